/* SPDX-License-Identifier: MIT */
/* A conversation: a tree of messages, where edits and regenerations are
 * siblings (branches), and the thread shown follows each message's
 * selected reply. Saved as JSON; exported as Markdown or JSON. */
#pragma once

#include <json-glib/json-glib.h>

#include "app-types.h"
#include "chat-message.h"

G_BEGIN_DECLS

#define BENDI_TYPE_CONVERSATION (bendi_conversation_get_type ())
G_DECLARE_FINAL_TYPE (BendiConversation, bendi_conversation, BENDI, CONVERSATION, GObject)

/* A new, empty conversation with a random id. */
BendiConversation *bendi_conversation_new           (void) G_GNUC_WARN_UNUSED_RESULT;

const char        *bendi_conversation_get_id        (BendiConversation *self);
/* "" until set; see bendi_conversation_dup_display_title (). */
const char        *bendi_conversation_get_title     (BendiConversation *self);
void               bendi_conversation_set_title     (BendiConversation *self,
                                                     const char        *title);
/* The title, else the start of the first message, else "New Chat". */
char              *bendi_conversation_dup_display_title (BendiConversation *self) G_GNUC_WARN_UNUSED_RESULT;
const char        *bendi_conversation_get_system_prompt (BendiConversation *self);
void               bendi_conversation_set_system_prompt (BendiConversation *self,
                                                         const char        *system_prompt);
/* The GGUF file the conversation was last continued with, or NULL. */
const char        *bendi_conversation_get_model     (BendiConversation *self);
void               bendi_conversation_set_model     (BendiConversation *self,
                                                     const char        *model);
/* Seconds since 1970. "updated" moves with every change (sorting). */
gint64             bendi_conversation_get_created   (BendiConversation *self);
gint64             bendi_conversation_get_updated   (BendiConversation *self);
void               bendi_conversation_touch         (BendiConversation *self);

guint              bendi_conversation_get_n_messages (BendiConversation *self);
BendiChatMessage  *bendi_conversation_lookup        (BendiConversation *self,
                                                     guint              id);

/* The messages shown: from a first message down, each time to the
 * selected reply. */
GPtrArray         *bendi_conversation_get_thread    (BendiConversation *self) G_GNUC_WARN_UNUSED_RESULT;
/* The thread's last message, or NULL when empty. */
BendiChatMessage  *bendi_conversation_get_last      (BendiConversation *self);

/* Adds a message under @parent (NULL: a first message), selected, so it
 * ends the thread when @parent did. Emits "thread-changed". */
BendiChatMessage  *bendi_conversation_add_message   (BendiConversation *self,
                                                     BendiChatMessage  *parent,
                                                     const char        *role,
                                                     const char        *content);

/* The alternatives of @message: the messages with its parent, in the
 * order they were written. @message's index among them (from 0) and
 * their count: "‹ 2/3 ›" shows index + 1 and n. */
guint              bendi_conversation_get_n_alternatives     (BendiConversation *self,
                                                              BendiChatMessage  *message);
guint              bendi_conversation_get_alternative_index  (BendiConversation *self,
                                                              BendiChatMessage  *message);
/* Shows alternative @index of @message instead (and below it, the replies
 * selected the last time it was shown). Emits "thread-changed". */
void               bendi_conversation_select_alternative     (BendiConversation *self,
                                                              BendiChatMessage  *message,
                                                              guint              index);

/* The saved form (see conversation.c for the format). */
JsonNode          *bendi_conversation_to_json       (BendiConversation *self) G_GNUC_WARN_UNUSED_RESULT;
/* Errors: G_IO_ERROR_INVALID_DATA, saying what is wrong. */
BendiConversation *bendi_conversation_new_from_json (JsonNode          *node,
                                                     GError           **error) G_GNUC_WARN_UNUSED_RESULT;

/* The thread as Markdown: a heading per message, reasoning folded in a
 * <details> block. */
char              *bendi_conversation_to_markdown   (BendiConversation *self) G_GNUC_WARN_UNUSED_RESULT;
/* The thread as {"title", "model", "messages": [{"role", "content",
 * "reasoning_content"?}…]}, the system prompt first: what chat APIs and
 * `bendi-cli template` read. */
char              *bendi_conversation_export_json   (BendiConversation *self) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
