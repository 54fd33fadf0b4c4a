/* SPDX-License-Identifier: MIT */
/* Chat prompts from templates: the conversation's variables, named formats and stop strings. */
#include "template/chat-template.h"

#include <string.h>

#include "template/template-private.h"

char *
bendi_chat_template_render (BendiTemplate              *tmpl,
                            BendiTemplateValue         *messages,
                            gboolean                    add_generation_prompt,
                            const char                 *bos_token,
                            const char                 *eos_token,
                            BendiTemplateValue         *extra,
                            const BendiTemplateOptions *options,
                            gsize                      *length,
                            GError                    **error)
{
  g_autoptr (BendiTemplateValue) variables = bendi_template_value_new_dict ();

  g_return_val_if_fail (tmpl != NULL, NULL);
  g_return_val_if_fail (messages != NULL, NULL);
  g_return_val_if_fail (extra == NULL || extra->type == BENDI_TEMPLATE_VALUE_DICT, NULL);

  bendi_template_value_dict_set (variables, "messages", bendi_template_value_ref (messages));
  bendi_template_value_dict_set (variables, "add_generation_prompt",
                                 bendi_template_value_new_boolean (add_generation_prompt));
  /* Hugging Face passes only the special tokens the tokenizer has. */
  if (bos_token != NULL)
    bendi_template_value_dict_set (variables, "bos_token", bendi_template_value_new_string (bos_token, -1));
  if (eos_token != NULL)
    bendi_template_value_dict_set (variables, "eos_token", bendi_template_value_new_string (eos_token, -1));
  for (gsize i = 0; extra != NULL && i < extra->dict.len; i++)
    {
      const Value *key = extra->dict.entries[i].key;

      if (key->type == BENDI_TEMPLATE_VALUE_STRING)
        bendi_template_value_dict_set (variables, key->string.data, tmpl_ref (extra->dict.entries[i].value));
    }
  return bendi_template_render (tmpl, variables, options, length, error);
}

void
bendi_chat_messages_append (BendiTemplateValue *messages,
                            const char         *role,
                            const char         *content)
{
  BendiTemplateValue *message;

  g_return_if_fail (messages != NULL && role != NULL && content != NULL);

  message = bendi_template_value_new_dict ();

  bendi_template_value_dict_set (message, "role", bendi_template_value_new_string (role, -1));
  bendi_template_value_dict_set (message, "content", bendi_template_value_new_string (content, -1));
  bendi_template_value_list_append (messages, message);
}

/* ------------------------------------------------------------------------ */
/* Named formats, written as templates so they render like any other. */

typedef struct {
  const char *name;
  const char *source;
} ChatFormat;

static const ChatFormat formats[] = {
  { "chatml",
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}" },
  /* Llama 2 chat: the system prompt inside the first [INST]. */
  { "llama2",
    "{% if messages[0]['role'] == 'system' %}"
    "{% set loop_messages = messages[1:] %}"
    "{% set system_message = '<<SYS>>\n' + messages[0]['content'] + '\n<</SYS>>\n\n' %}"
    "{% else %}{% set loop_messages = messages %}{% set system_message = '' %}{% endif %}"
    "{% for message in loop_messages %}"
    "{% if message['role'] == 'user' %}"
    "{{ bos_token + '[INST] ' + (system_message if loop.first else '') + message['content'] | trim + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}"
    "{{ ' ' + message['content'] | trim + ' ' + eos_token }}"
    "{% endif %}"
    "{% endfor %}" },
  { "llama3",
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + message['content'] | trim + '<|eot_id|>' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}" },
  /* Gemma has no system role: the system prompt leads the first user turn. */
  { "gemma",
    "{{ bos_token }}"
    "{% if messages[0]['role'] == 'system' %}"
    "{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] | trim + '\n\n' %}"
    "{% else %}{% set loop_messages = messages %}{% set system_message = '' %}{% endif %}"
    "{% for message in loop_messages %}"
    "{% set role = 'model' if message['role'] == 'assistant' else message['role'] %}"
    "{{ '<start_of_turn>' + role + '\n' + (system_message if loop.first else '') + message['content'] | trim + '<end_of_turn>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<start_of_turn>model\n' }}{% endif %}" },
  { "phi3",
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>\n' + message['content'] + '<|end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}" },
  /* Mistral instruct (v0.3 style): the system prompt joins the last user turn. */
  { "mistral",
    "{% if messages[0]['role'] == 'system' %}"
    "{% set system_message = messages[0]['content'] %}{% set loop_messages = messages[1:] %}"
    "{% else %}{% set loop_messages = messages %}{% endif %}"
    "{{ bos_token }}"
    "{% for message in loop_messages %}"
    "{% if message['role'] == 'user' %}"
    "{% if loop.last and system_message is defined %}"
    "{{ '[INST] ' + system_message + '\n\n' + message['content'] + '[/INST]' }}"
    "{% else %}{{ '[INST] ' + message['content'] + '[/INST]' }}{% endif %}"
    "{% elif message['role'] == 'assistant' %}"
    "{{ ' ' + message['content'] + eos_token }}"
    "{% endif %}"
    "{% endfor %}" },
  { "zephyr",
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>\n' + message['content'] + eos_token + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}" },
  /* DeepSeek-R1 and its distillations. */
  { "deepseek",
    "{{ bos_token }}"
    "{% for message in messages %}{% if message['role'] == 'system' %}{{ message['content'] }}{% endif %}{% endfor %}"
    "{% for message in messages %}"
    "{% if message['role'] == 'user' %}{{ '<｜User｜>' + message['content'] }}"
    "{% elif message['role'] == 'assistant' %}"
    "{% set content = message['content'] %}"
    "{% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}"
    "{{ '<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>' }}"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<｜Assistant｜><think>\n' }}{% endif %}" },
};

static const char *const format_names[] = {
  "chatml", "llama2", "llama3", "gemma", "phi3", "mistral", "zephyr", "deepseek", NULL,
};

G_STATIC_ASSERT (G_N_ELEMENTS (format_names) == G_N_ELEMENTS (formats) + 1);

const char *
bendi_chat_format_get_source (const char *name)
{
  g_return_val_if_fail (name != NULL, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (formats); i++)
    if (g_ascii_strcasecmp (formats[i].name, name) == 0)
      return formats[i].source;
  return NULL;
}

const char *const *
bendi_chat_format_list_names (void)
{
  return format_names;
}

/* ------------------------------------------------------------------------ */
/* Stop strings. */

static void
add_stop (GPtrArray  *stops,
          const char *text)
{
  if (text == NULL || *text == '\0')
    return;
  for (guint i = 0; i < stops->len; i++)
    if (g_str_equal (stops->pdata[i], text))
      return;
  g_ptr_array_add (stops, g_strdup (text));
}

/* What the template writes right after an assistant message: render a
 * short conversation with a marker as the reply and take the first run of
 * non-space text after it. */
static char *
find_turn_terminator (BendiTemplate *tmpl,
                      const char    *bos_token,
                      const char    *eos_token)
{
  static const char marker[] = "BendiProbeReply7f3a";
  g_autoptr (BendiTemplateValue) messages = bendi_template_value_new_list ();
  g_autofree char *text = NULL;
  const char *after;
  const char *end;
  BendiTemplateOptions options;

  /* The probe is three short messages: a template that needs more than
   * this for them is not one to take a terminator from. */
  bendi_template_options_init (&options);
  options.max_steps = 500000;
  options.max_output_bytes = 64 * 1024;
  options.max_memory_bytes = 8 * 1024 * 1024;
  options.has_now = TRUE;
  bendi_chat_messages_append (messages, "user", "BendiProbeQuestion");
  bendi_chat_messages_append (messages, "assistant", marker);
  bendi_chat_messages_append (messages, "user", "BendiProbeFollowUp");
  text = bendi_chat_template_render (tmpl, messages, FALSE, bos_token, eos_token, NULL, &options, NULL, NULL);
  if (text == NULL || (after = strstr (text, marker)) == NULL)
    return NULL;
  after += strlen (marker);
  while (g_ascii_isspace (*after))
    after++;
  end = after;
  while (*end != '\0' && !g_ascii_isspace (*end) && strncmp (end, "BendiProbe", 10) != 0)
    end++;
  /* Text that runs into the next turn's own tags (Llama 3 writes
   * "<|eot_id|><|start_header_id|>") ends at the first closed tag. */
  if (end > after && *after == '<')
    {
      const char *close = memchr (after, '>', (gsize) (end - after));

      if (close != NULL)
        end = close + 1;
    }
  else if (end > after && *after == '[')
    {
      const char *close = memchr (after, ']', (gsize) (end - after));

      if (close != NULL)
        end = close + 1;
    }
  if (end == after)
    return NULL;
  return g_strndup (after, (gsize) (end - after));
}

char **
bendi_chat_template_get_stop_strings (BendiTemplate     *tmpl,
                                      const char        *bos_token,
                                      const char        *eos_token,
                                      const char *const *end_tokens)
{
  g_autoptr (GPtrArray) stops = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *terminator = NULL;

  add_stop (stops, eos_token);
  for (gsize i = 0; end_tokens != NULL && end_tokens[i] != NULL; i++)
    add_stop (stops, end_tokens[i]);
  if (tmpl != NULL)
    {
      terminator = find_turn_terminator (tmpl, bos_token, eos_token);
      add_stop (stops, terminator);
    }
  g_ptr_array_add (stops, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&stops), FALSE);
}
