/* SPDX-License-Identifier: MIT */
/* Chat prompts for a model: template choice, BOS handling and stop strings, shared by the CLI, the server and the app. */
#include "chat-prompt.h"

#include <string.h>

#include "engine-error.h"

struct _BendiChatPrompt {
  BendiModel    *model;
  BendiTemplate *tmpl;
  char          *format_name;
  char          *bos_text;     /* NULL when the model has no BOS token */
  char          *eos_text;
  char         **stop;
};

static char *
token_text (const BendiTokenizer *tokenizer,
            BendiToken            token)
{
  return token == BENDI_TOKEN_NONE ? NULL : g_strdup (bendi_tokenizer_get_text (tokenizer, token));
}

BendiChatPrompt *
bendi_chat_prompt_new (BendiModel  *model,
                       const char  *format,
                       GError     **error)
{
  g_autoptr (BendiChatPrompt) self = g_new0 (BendiChatPrompt, 1);
  const BendiTokenizer *tokenizer = bendi_model_get_tokenizer (model);
  const char *source = NULL;

  self->model = bendi_model_ref (model);
  if (format == NULL)
    {
      const BendiGgufValue *value = bendi_gguf_find (bendi_model_get_gguf (model), "tokenizer.chat_template");

      if (value != NULL && value->type == BENDI_GGUF_TYPE_STRING)
        {
          source = value->str.data;
          self->format_name = g_strdup ("model");
        }
      else
        format = "chatml";
    }
  if (source == NULL)
    {
      source = bendi_chat_format_get_source (format);
      if (source == NULL)
        {
          g_autofree char *names = g_strjoinv (", ", (char **) bendi_chat_format_list_names ());

          g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_ARGUMENT,
                       "Unknown chat format “%s” (known: %s)", format, names);
          return NULL;
        }
      self->format_name = g_strdup (format);
    }
  self->tmpl = bendi_template_new (source, strlen (source), error);
  if (self->tmpl == NULL)
    {
      g_prefix_error (error, "The model's chat template: ");
      return NULL;
    }

  self->bos_text = token_text (tokenizer, bendi_tokenizer_get_bos (tokenizer));
  self->eos_text = token_text (tokenizer, bendi_tokenizer_get_eos (tokenizer));
  self->stop = bendi_chat_template_get_stop_strings (self->tmpl, self->bos_text, self->eos_text, NULL);
  return g_steal_pointer (&self);
}

void
bendi_chat_prompt_free (BendiChatPrompt *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->tmpl, bendi_template_free);
  g_clear_pointer (&self->model, bendi_model_unref);
  g_free (self->format_name);
  g_free (self->bos_text);
  g_free (self->eos_text);
  g_strfreev (self->stop);
  g_free (self);
}

const char *
bendi_chat_prompt_get_format_name (const BendiChatPrompt *self)
{
  return self->format_name;
}

const char *const *
bendi_chat_prompt_get_stop_strings (const BendiChatPrompt *self)
{
  return (const char *const *) self->stop;
}

GArray *
bendi_chat_prompt_build (BendiChatPrompt    *self,
                         BendiTemplateValue *messages,
                         BendiTemplateValue *extra,
                         gboolean            add_generation_prompt,
                         char              **out_text,
                         gboolean           *out_opens_reasoning,
                         GError            **error)
{
  const BendiTokenizer *tokenizer = bendi_model_get_tokenizer (self->model);
  BendiToken bos = bendi_tokenizer_get_bos (tokenizer);
  g_autofree char *text = NULL;
  GArray *tokens;
  gsize len;

  text = bendi_chat_template_render (self->tmpl, messages, add_generation_prompt, self->bos_text, self->eos_text,
                                     extra, NULL, &len, error);
  if (text == NULL)
    return NULL;
  tokens = bendi_tokenizer_encode (tokenizer, text, len, BENDI_TOKENIZE_PARSE_SPECIAL, error);
  if (tokens == NULL)
    return NULL;
  /* Templates that write {{ bos_token }} already start with it. */
  if (bendi_tokenizer_get_add_bos (tokenizer) && bos != BENDI_TOKEN_NONE &&
      (tokens->len == 0 || g_array_index (tokens, BendiToken, 0) != bos))
    g_array_prepend_val (tokens, bos);

  if (out_opens_reasoning != NULL)
    *out_opens_reasoning = bendi_chat_prompt_opens_reasoning (text);
  if (out_text != NULL)
    *out_text = g_steal_pointer (&text);
  return tokens;
}
