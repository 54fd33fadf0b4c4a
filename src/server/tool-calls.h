/* SPDX-License-Identifier: MIT */
/* Tool calls in a model's reply, for the chat template families that define them: Qwen/Hermes, Llama 3.1, Mistral. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  char *name;
  char *arguments;   /* a JSON object, as compact text */
} BendiToolCall;

void bendi_tool_call_free (BendiToolCall *call);

/* Finds the tool calls in @reply, a finished assistant turn:
 *   - Qwen 2.5/3, Hermes: <tool_call>{"name": …, "arguments": {…}}</tool_call>,
 *     one or more, text around them being content;
 *   - Mistral: [TOOL_CALLS][{"name": …, "arguments": {…}}, …] or the newer
 *     [TOOL_CALLS]name[ARGS]{…}, text before the marker being content;
 *   - Llama 3.1/3.2: {"name": …, "parameters": {…}} as the whole reply,
 *     after <|python_tag|> or not, several separated by ";".
 * The marker tokens are control tokens in some vocabularies and so may be
 * missing from the text: a reply that is only a JSON object, or a list of
 * them, of that shape counts too, when it names one of @tool_names (NULL:
 * any name). Returns the calls (BendiToolCall), or NULL when the reply
 * holds none or a malformed one (it is then all content); *@content gets
 * the text outside the calls, trimmed, or NULL when there is none. */
GPtrArray *bendi_tool_calls_parse (const char        *reply,
                                   const char *const *tool_names,
                                   char             **content) G_GNUC_WARN_UNUSED_RESULT;

/* The markers a reply may start a tool call with, for a streamer that
 * must hold text back until it knows; NULL-terminated. */
const char *const *bendi_tool_calls_get_markers (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiToolCall, bendi_tool_call_free)

G_END_DECLS
