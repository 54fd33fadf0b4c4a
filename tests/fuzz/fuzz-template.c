/* SPDX-License-Identifier: MIT */
/* Fuzz target for chat templates: parse arbitrary bytes as a template and
 * render it against a conversation holding every kind of value, under
 * tight limits; then ask it for stop strings, and split the input as a
 * model's reply into reasoning and content.
 *
 * Input: TEMPLATE [ NUL CONTENT ]. CONTENT, when present, becomes the last
 * user message, so values the fuzzer chooses reach the template too. */
#include <string.h>

#include "engine-error.h"
#include "fuzz-target.h"
#include "template/chat-template.h"

/* Valid UTF-8, where NUL bytes (which messages may bring) count as text. */
static gboolean
valid_text (const char *text,
            gsize       len)
{
  const char *end = text + len;

  while (text < end)
    {
      const char *nul = memchr (text, '\0', (gsize) (end - text));
      const char *stop = nul != NULL ? nul : end;

      if (!g_utf8_validate_len (text, (gsize) (stop - text), NULL))
        return FALSE;
      text = nul != NULL ? nul + 1 : end;
    }
  return TRUE;
}

static BendiTemplateValue *
message (const char         *role,
         BendiTemplateValue *content)
{
  BendiTemplateValue *m = bendi_template_value_new_dict ();

  bendi_template_value_dict_set (m, "role", bendi_template_value_new_string (role, -1));
  bendi_template_value_dict_set (m, "content", content);
  return m;
}

/* A conversation with strings, None, lists of parts, tool calls, numbers,
 * booleans and non-ASCII text, as real chats hand templates. */
static BendiTemplateValue *
make_messages (const char *content,
               gsize       content_len)
{
  BendiTemplateValue *messages = bendi_template_value_new_list ();
  BendiTemplateValue *parts = bendi_template_value_new_list ();
  BendiTemplateValue *part = bendi_template_value_new_dict ();
  BendiTemplateValue *assistant = message ("assistant", bendi_template_value_new_none ());
  BendiTemplateValue *calls = bendi_template_value_new_list ();
  BendiTemplateValue *call = bendi_template_value_new_dict ();
  BendiTemplateValue *function = bendi_template_value_new_dict ();
  BendiTemplateValue *arguments = bendi_template_value_new_dict ();
  BendiTemplateValue *tool = message ("tool", bendi_template_value_new_string ("{\"temp\": 21.5}", -1));
  BendiTemplateValue *thinking = message ("assistant", bendi_template_value_new_string ("<think>\nhm\n</think>\n\nOK", -1));

  bendi_template_value_list_append (messages, message ("system", bendi_template_value_new_string ("Be brief. 简短", -1)));
  bendi_template_value_dict_set (part, "type", bendi_template_value_new_string ("text", -1));
  bendi_template_value_dict_set (part, "text", bendi_template_value_new_string ("What is the weather?", -1));
  bendi_template_value_list_append (parts, part);
  bendi_template_value_list_append (messages, message ("user", parts));

  bendi_template_value_dict_set (arguments, "city", bendi_template_value_new_string ("Paris", -1));
  bendi_template_value_dict_set (arguments, "days", bendi_template_value_new_integer (3));
  bendi_template_value_dict_set (arguments, "metric", bendi_template_value_new_boolean (TRUE));
  bendi_template_value_dict_set (function, "name", bendi_template_value_new_string ("get_weather", -1));
  bendi_template_value_dict_set (function, "arguments", arguments);
  bendi_template_value_dict_set (call, "id", bendi_template_value_new_string ("call12345", -1));
  bendi_template_value_dict_set (call, "type", bendi_template_value_new_string ("function", -1));
  bendi_template_value_dict_set (call, "function", function);
  bendi_template_value_list_append (calls, call);
  bendi_template_value_dict_set (assistant, "tool_calls", calls);
  bendi_template_value_list_append (messages, assistant);

  bendi_template_value_dict_set (tool, "tool_call_id", bendi_template_value_new_string ("call12345", -1));
  bendi_template_value_dict_set (tool, "name", bendi_template_value_new_string ("get_weather", -1));
  bendi_template_value_list_append (messages, tool);
  bendi_template_value_dict_set (thinking, "reasoning_content", bendi_template_value_new_string ("hm", -1));
  bendi_template_value_list_append (messages, thinking);
  bendi_template_value_list_append (messages,
                                    message ("user", content != NULL ? bendi_template_value_new_string (content, (gssize) content_len)
                                                                     : bendi_template_value_new_float (-0.5)));
  return messages;
}

static BendiTemplateValue *
make_extra (void)
{
  BendiTemplateValue *extra = bendi_template_value_new_dict ();
  BendiTemplateValue *tools = bendi_template_value_new_list ();
  BendiTemplateValue *tool = bendi_template_value_new_dict ();

  bendi_template_value_dict_set (tool, "type", bendi_template_value_new_string ("function", -1));
  bendi_template_value_dict_set (tool, "name", bendi_template_value_new_string ("get_weather", -1));
  bendi_template_value_list_append (tools, tool);
  bendi_template_value_dict_set (extra, "tools", tools);
  bendi_template_value_dict_set (extra, "date_string", bendi_template_value_new_string ("26 Jul 2024", -1));
  bendi_template_value_dict_set (extra, "enable_thinking", bendi_template_value_new_boolean (FALSE));
  return extra;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const char *text = (const char *) data;
  const char *nul = memchr (text, '\0', size);
  gsize template_len = nul != NULL ? (gsize) (nul - text) : size;
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiTemplate) tmpl = bendi_template_new (text, (gssize) template_len, &error);
  g_autoptr (BendiTemplateValue) messages = NULL;
  g_autoptr (BendiTemplateValue) extra = NULL;
  g_autofree char *rendered = NULL;
  g_autofree char *reasoning = NULL;
  g_autofree char *content = NULL;
  g_autofree char *reply = g_strndup (text, template_len);
  BendiTemplateOptions options;
  gsize len = 0;

  /* The reply splitter takes any text a model could produce. */
  bendi_chat_split_reasoning (reply, size > 0 && (data[0] & 1), &reasoning, &content);
  g_assert (content != NULL);

  if (tmpl == NULL)
    {
      /* A refused template says where and why. */
      g_assert (error != NULL && error->domain == BENDI_ENGINE_ERROR);
      g_assert (g_ascii_isdigit (error->message[0]));
      return 0;
    }
  g_assert (error == NULL);

  /* Small limits keep each input fast; the limits' own tests use the defaults. */
  bendi_template_options_init (&options);
  options.max_steps = 200000;
  options.max_output_bytes = 64 * 1024;
  options.max_memory_bytes = 4 * 1024 * 1024;
  options.max_range = 1000;
  options.has_now = TRUE;
  options.now_unix = 1721952000;

  messages = make_messages (nul != NULL ? nul + 1 : NULL, nul != NULL ? size - template_len - 1 : 0);
  extra = make_extra ();
  rendered = bendi_chat_template_render (tmpl, messages, TRUE, "<s>", "</s>", extra, &options, &len, &error);
  if (rendered == NULL)
    {
      g_assert (error != NULL && error->domain == BENDI_ENGINE_ERROR);
      g_assert (g_ascii_isdigit (error->message[0]));
    }
  else
    {
      g_assert (error == NULL);
      g_assert (len <= options.max_output_bytes);
      g_assert (rendered[len] == '\0');
      g_assert (valid_text (rendered, len));
      bendi_chat_prompt_opens_reasoning (rendered);
    }

  /* The stop-string probe renders once more, with the default limits. */
  {
    const char *end_tokens[] = { "<|eot_id|>", NULL };
    g_auto (GStrv) stops = bendi_chat_template_get_stop_strings (tmpl, "<s>", "</s>", end_tokens);

    g_assert (stops != NULL && stops[0] != NULL);
  }
  return 0;
}
