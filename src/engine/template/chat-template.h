/* SPDX-License-Identifier: MIT */
/* Chat prompts from templates: rendering a conversation, fallback formats, stop strings, reasoning.
 *
 * The flow for a chat turn:
 *   1. The model's template: tokenizer.chat_template from the GGUF, or, when
 *      it has none, a named format (bendi_chat_format_get_source).
 *   2. bendi_chat_template_render () the conversation into the prompt.
 *   3. Generate with the stop strings of bendi_chat_template_get_stop_strings ().
 *   4. Split the reply into reasoning and content with a
 *      BendiReasoningSplitter, started inside the reasoning when
 *      bendi_chat_prompt_opens_reasoning () says the prompt opened it.
 */
#pragma once

#include <glib.h>

#include "template/template.h"

G_BEGIN_DECLS

/* Renders @messages (a list of dicts with "role", "content" as a string or
 * a list of parts, and optionally "reasoning_content", "tool_calls",
 * "tool_call_id", "name") as Hugging Face's apply_chat_template does. The
 * template sees `messages`, `add_generation_prompt`, `bos_token` and
 * `eos_token` (left undefined when NULL), then every entry of @extra (a
 * dict, or NULL: `tools`, `date_string`, `enable_thinking`…), which wins
 * over the others. @options may be NULL for the defaults; *@length
 * (optional) gets the length, which counts NUL bytes the messages held.
 * Errors carry "LINE:COLUMN: " in their message; raise_exception () fails
 * with BENDI_ENGINE_ERROR_INVALID_INPUT, every other template error with
 * BENDI_ENGINE_ERROR_INVALID_FILE. */
char *bendi_chat_template_render (BendiTemplate              *tmpl,
                                  BendiTemplateValue         *messages,
                                  gboolean                    add_generation_prompt,
                                  const char                 *bos_token,
                                  const char                 *eos_token,
                                  BendiTemplateValue         *extra,
                                  const BendiTemplateOptions *options,
                                  gsize                      *length,
                                  GError                    **error) G_GNUC_WARN_UNUSED_RESULT;

/* Appends {"role": @role, "content": @content} to @messages. */
void bendi_chat_messages_append (BendiTemplateValue *messages,
                                 const char         *role,
                                 const char         *content);

/* ------------------------------------------------------------------------ */
/* Named formats for models without a template: "chatml", "llama2",
 * "llama3", "gemma", "phi3", "mistral", "zephyr", "deepseek". */

/* The Jinja source of a named format, or NULL for an unknown name. */
const char         *bendi_chat_format_get_source (const char *name);
/* The names, NULL-terminated. */
const char *const  *bendi_chat_format_list_names (void);

/* ------------------------------------------------------------------------ */
/* Stopping. */

/* The strings that end the assistant's turn: @eos_token and each of
 * @end_tokens (the tokenizer's EOS/EOT texts; NULL-terminated, may be
 * NULL), and the turn terminator the template writes after an assistant
 * message ("<|im_end|>", "<|eot_id|>", "<end_of_turn>"…), found by
 * rendering a probe conversation. Empty and repeated strings are dropped.
 * Never fails: a template that cannot render the probe just adds nothing. */
char **bendi_chat_template_get_stop_strings (BendiTemplate     *tmpl,
                                             const char        *bos_token,
                                             const char        *eos_token,
                                             const char *const *end_tokens) G_GNUC_WARN_UNUSED_RESULT;

/* ------------------------------------------------------------------------ */
/* Reasoning. */

/* TRUE when @prompt ends inside a reasoning block the template opened
 * (DeepSeek-R1 and Qwen3 prompts end with "<think>\n"), so the reply starts
 * with reasoning and only closes the tag. */
gboolean bendi_chat_prompt_opens_reasoning (const char *prompt);

/* Splits streamed reply text into reasoning and content. Recognises
 * <think>…</think>, <thinking>…</thinking>, <reasoning>…</reasoning>,
 * <seed:think>…</seed:think>, [THINK]…[/THINK] and
 * <|begin_of_thought|>…<|end_of_thought|>. A tag split across chunks is held
 * back until it is complete or ruled out. */
typedef struct _BendiReasoningSplitter BendiReasoningSplitter;

BendiReasoningSplitter *bendi_reasoning_splitter_new  (gboolean starts_in_reasoning) G_GNUC_WARN_UNUSED_RESULT;
void                    bendi_reasoning_splitter_free (BendiReasoningSplitter *self);
/* Appends what is now known of @text to @reasoning and @content. */
void bendi_reasoning_splitter_feed   (BendiReasoningSplitter *self,
                                      const char             *text,
                                      gsize                   len,
                                      GString                *reasoning,
                                      GString                *content);
/* At the end of the reply: whatever was held back. */
void bendi_reasoning_splitter_finish (BendiReasoningSplitter *self,
                                      GString                *reasoning,
                                      GString                *content);

/* The whole reply at once: the reasoning (NULL when there was none) and
 * the content, both with surrounding whitespace trimmed. */
void bendi_chat_split_reasoning (const char  *reply,
                                 gboolean     starts_in_reasoning,
                                 char       **reasoning,
                                 char       **content);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiReasoningSplitter, bendi_reasoning_splitter_free)

G_END_DECLS
