/* SPDX-License-Identifier: MIT */
/* A model's chat conventions in one place: its template, the prompt tokens of a conversation, the strings that end a turn. */
#pragma once

#include <glib.h>

#include "model/model.h"
#include "template/chat-template.h"

G_BEGIN_DECLS

typedef struct _BendiChatPrompt BendiChatPrompt;

/* Uses @format, a named format ("chatml", "llama3"…; see
 * bendi_chat_format_list_names), when given; otherwise the model's own
 * template (tokenizer.chat_template), or chatml when it has none. Fails on
 * an unknown format name or a template that does not parse. */
BendiChatPrompt   *bendi_chat_prompt_new  (BendiModel       *model,
                                           const char       *format,
                                           GError          **error) G_GNUC_WARN_UNUSED_RESULT;
void               bendi_chat_prompt_free (BendiChatPrompt  *self);

/* "model" for the model's own template, else the format's name. */
const char        *bendi_chat_prompt_get_format_name  (const BendiChatPrompt *self);
/* What ends the assistant's turn besides end-of-generation tokens. */
const char *const *bendi_chat_prompt_get_stop_strings (const BendiChatPrompt *self);

/* Renders @messages (see bendi_chat_template_render; @extra may be NULL)
 * and tokenises the text with special tokens parsed. BOS is added when the
 * model wants one and the template did not write it, never twice. The
 * rendered text (optional) and whether it opened a reasoning block come
 * back too. */
GArray *bendi_chat_prompt_build (BendiChatPrompt    *self,
                                 BendiTemplateValue *messages,
                                 BendiTemplateValue *extra,
                                 gboolean            add_generation_prompt,
                                 char              **out_text,
                                 gboolean           *out_opens_reasoning,
                                 GError            **error) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiChatPrompt, bendi_chat_prompt_free)

G_END_DECLS
