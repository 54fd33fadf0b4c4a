/* SPDX-License-Identifier: MIT */
/* One message in the chat: Markdown for replies, reasoning folded away, the ‹ 2/3 › switch between alternatives, copy, edit and regenerate. */
#pragma once

#include "app-types.h"
#include "conversation.h"

G_BEGIN_DECLS

#define BENDI_TYPE_MESSAGE_ROW (bendi_message_row_get_type ())
G_DECLARE_FINAL_TYPE (BendiMessageRow, bendi_message_row, BENDI, MESSAGE_ROW, GtkWidget)

/* Signals: "regenerate" (a reply asks for another alternative) and
 * "edit-submitted" (a user message edited into a new alternative, with
 * the new text). */
GtkWidget        *bendi_message_row_new         (BendiConversation *conversation,
                                                 BendiChatMessage  *message) G_GNUC_WARN_UNUSED_RESULT;

BendiChatMessage *bendi_message_row_get_message (BendiMessageRow   *self);
/* While a reply is being written, editing and regenerating wait. */
void              bendi_message_row_set_busy    (BendiMessageRow   *self,
                                                 gboolean           busy);
/* Opens the editor on a user message. */
void              bendi_message_row_start_edit  (BendiMessageRow   *self);
/* Shows the message's current text now rather than at the next frame. */
void              bendi_message_row_sync        (BendiMessageRow   *self);

G_END_DECLS
