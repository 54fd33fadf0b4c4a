/* SPDX-License-Identifier: MIT */
/* Where the user writes: Enter sends, Shift+Enter breaks the line, and Enter that an input method uses to commit its text never sends. */
#pragma once

#include "app-types.h"

G_BEGIN_DECLS

#define BENDI_TYPE_CHAT_COMPOSER (bendi_chat_composer_get_type ())
G_DECLARE_FINAL_TYPE (BendiChatComposer, bendi_chat_composer, BENDI, CHAT_COMPOSER, GtkWidget)

/* Signals: "send" (the text, stripped; never empty) and "stop". The key
 * controller that sends on Enter is named "bendi-send-keys". */
GtkWidget *bendi_chat_composer_new         (void) G_GNUC_WARN_UNUSED_RESULT;

char      *bendi_chat_composer_dup_text    (BendiChatComposer *self) G_GNUC_WARN_UNUSED_RESULT;
void       bendi_chat_composer_set_text    (BendiChatComposer *self,
                                            const char        *text);
/* While busy (a reply is being written), the button stops it and Enter
 * sends nothing. */
gboolean   bendi_chat_composer_get_busy    (BendiChatComposer *self);
void       bendi_chat_composer_set_busy    (BendiChatComposer *self,
                                            gboolean           busy);
/* TRUE while an input method shows text it has not committed yet. */
gboolean   bendi_chat_composer_is_composing (BendiChatComposer *self);
/* Sends what is written, as Enter does. */
void       bendi_chat_composer_send        (BendiChatComposer *self);
GtkWidget *bendi_chat_composer_get_text_view (BendiChatComposer *self);

G_END_DECLS
