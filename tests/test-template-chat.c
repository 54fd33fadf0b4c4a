/* SPDX-License-Identifier: MIT */
/* Chat prompts: rendering conversations, the named fallback formats, stop strings and the reasoning splitter. */
#include <string.h>

#include "engine-error.h"
#include "template/chat-template.h"
#include "test-template-util.h"
#include "test-util.h"

static BendiTemplateValue *
conversation (gboolean with_system)
{
  BendiTemplateValue *messages = bendi_template_value_new_list ();

  if (with_system)
    bendi_chat_messages_append (messages, "system", "S");
  bendi_chat_messages_append (messages, "user", "U1");
  bendi_chat_messages_append (messages, "assistant", "A1");
  bendi_chat_messages_append (messages, "user", "U2");
  return messages;
}

static char *
render_format (const char *name,
               gboolean    with_system,
               const char *bos,
               const char *eos)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiTemplate) tmpl = bendi_template_new (bendi_chat_format_get_source (name), -1, &error);
  g_autoptr (BendiTemplateValue) messages = conversation (with_system);
  char *out;

  g_assert_no_error (error);
  out = bendi_chat_template_render (tmpl, messages, TRUE, bos, eos, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  return out;
}

/* Each format as its model family writes a system prompt, a user turn, an
 * answer and a second user turn, with the assistant's turn opened. */
static void
test_formats (void)
{
  static const struct {
    const char *name;
    const char *bos;
    const char *eos;
    const char *expected;
  } formats[] = {
    { "chatml", NULL, NULL,
      "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU1<|im_end|>\n<|im_start|>assistant\nA1<|im_end|>\n"
      "<|im_start|>user\nU2<|im_end|>\n<|im_start|>assistant\n" },
    { "llama2", "<s>", "</s>",
      "<s>[INST] <<SYS>>\nS\n<</SYS>>\n\nU1 [/INST] A1 </s><s>[INST] U2 [/INST]" },
    { "llama3", "<|begin_of_text|>", "<|eot_id|>",
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|>"
      "<|start_header_id|>user<|end_header_id|>\n\nU1<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nA1<|eot_id|>"
      "<|start_header_id|>user<|end_header_id|>\n\nU2<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n" },
    { "gemma", "<bos>", "<eos>",
      "<bos><start_of_turn>user\nS\n\nU1<end_of_turn>\n<start_of_turn>model\nA1<end_of_turn>\n"
      "<start_of_turn>user\nU2<end_of_turn>\n<start_of_turn>model\n" },
    { "phi3", "<s>", "<|endoftext|>",
      "<|system|>\nS<|end|>\n<|user|>\nU1<|end|>\n<|assistant|>\nA1<|end|>\n<|user|>\nU2<|end|>\n<|assistant|>\n" },
    { "mistral", "<s>", "</s>",
      "<s>[INST] U1[/INST] A1</s>[INST] S\n\nU2[/INST]" },
    { "zephyr", "<s>", "</s>",
      "<|system|>\nS</s>\n<|user|>\nU1</s>\n<|assistant|>\nA1</s>\n<|user|>\nU2</s>\n<|assistant|>\n" },
    { "deepseek", "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>",
      "<｜begin▁of▁sentence｜>S<｜User｜>U1<｜Assistant｜>A1<｜end▁of▁sentence｜><｜User｜>U2<｜Assistant｜><think>\n" },
  };
  const char *const *names = bendi_chat_format_list_names ();
  gsize n_names = g_strv_length ((char **) names);

  g_assert_cmpuint (n_names, ==, G_N_ELEMENTS (formats));
  for (gsize i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autofree char *out = render_format (formats[i].name, TRUE, formats[i].bos, formats[i].eos);

      g_test_message ("format %s", formats[i].name);
      g_assert_cmpstr (out, ==, formats[i].expected);
      g_assert_true (g_strv_contains (names, formats[i].name));
    }
  g_assert_null (bendi_chat_format_get_source ("no-such-format"));
  g_assert_nonnull (bendi_chat_format_get_source ("ChatML"));
}

static void
test_render_variables (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiTemplate) tmpl = bendi_template_new (
    "[{{ bos_token }}][{{ eos_token }}][{{ add_generation_prompt }}][{{ messages|length }}]"
    "[{{ bos_token is defined }}][{{ tools|length }}][{{ date_string }}][{{ enable_thinking }}]", -1, &error);
  g_autoptr (BendiTemplateValue) messages = conversation (FALSE);
  g_autoptr (BendiTemplateValue) extra = template_test_value_from_json (
    "{\"tools\": [{\"type\": \"function\"}], \"date_string\": \"26 Jul 2024\", \"enable_thinking\": false}");
  g_autofree char *with_tokens = NULL;
  g_autofree char *without = NULL;

  g_assert_no_error (error);
  with_tokens = bendi_chat_template_render (tmpl, messages, TRUE, "<s>", "</s>", extra, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (with_tokens, ==, "[<s>][</s>][True][3][True][1][26 Jul 2024][False]");
  /* Tokens the model lacks stay undefined, as Hugging Face leaves them out. */
  without = bendi_chat_template_render (tmpl, messages, FALSE, NULL, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (without, ==, "[][][False][3][False][0][][]");
}

static void
test_raise_exception (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiTemplate) tmpl = bendi_template_new (
    "{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}", -1, &error);
  g_autoptr (BendiTemplateValue) messages = conversation (TRUE);
  g_autofree char *out = NULL;

  g_assert_no_error (error);
  out = bendi_chat_template_render (tmpl, messages, TRUE, NULL, NULL, NULL, NULL, NULL, &error);
  g_assert_null (out);
  g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_INPUT);
  g_assert_cmpstr (error->message, ==, "1:41: System role not supported");
}

/* ------------------------------------------------------------------------ */

static BendiTemplate *
load_shared_template (const char *name)
{
  g_autofree char *relative = g_build_filename ("templates", name, NULL);
  g_autofree char *path = bendi_test_data_path (relative);
  g_autofree char *source = NULL;
  g_autoptr (GError) error = NULL;
  BendiTemplate *tmpl;

  if (path == NULL)
    return NULL;
  g_file_get_contents (path, &source, NULL, &error);
  g_assert_no_error (error);
  tmpl = bendi_template_new (source, -1, &error);
  g_assert_no_error (error);
  return tmpl;
}

static void
check_stops (BendiTemplate     *tmpl,
             const char        *bos,
             const char        *eos,
             const char *const *end_tokens,
             const char *const *expected)
{
  g_auto (GStrv) stops = bendi_chat_template_get_stop_strings (tmpl, bos, eos, end_tokens);

  g_assert_cmpstrv (stops, expected);
}

static void
test_stop_strings (void)
{
  static const struct {
    const char *name;
    const char *bos;
    const char *eos;
    const char *end_token;
    const char *expected[4];
  } models[] = {
    /* The turn terminator comes from the template, after the tokenizer's. */
    { "Qwen-Qwen2.5-7B-Instruct.jinja", NULL, "<|im_end|>", "<|endoftext|>", { "<|im_end|>", "<|endoftext|>", NULL } },
    { "Qwen-Qwen3-0.6B.jinja", NULL, "<|endoftext|>", NULL, { "<|endoftext|>", "<|im_end|>", NULL } },
    { "meta-llama-Llama-3.1-8B-Instruct.jinja", "<|begin_of_text|>", "<|end_of_text|>", "<|eom_id|>",
      { "<|end_of_text|>", "<|eom_id|>", "<|eot_id|>", NULL } },
    { "google-gemma-2-2b-it.jinja", "<bos>", "<eos>", NULL, { "<eos>", "<end_of_turn>", NULL } },
    { "microsoft-Phi-3.5-mini-instruct.jinja", "<s>", "<|endoftext|>", NULL, { "<|endoftext|>", "<|end|>", NULL } },
    { "mistralai-Mistral-Nemo-Instruct-2407.jinja", "<s>", "</s>", NULL, { "</s>", NULL } },
    { "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja", "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", NULL,
      { "<｜end▁of▁sentence｜>", NULL } },
    { "HuggingFaceTB-SmolLM3-3B.jinja", NULL, "<|im_end|>", NULL, { "<|im_end|>", NULL } },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (models); i++)
    {
      g_autoptr (BendiTemplate) tmpl = load_shared_template (models[i].name);
      const char *end_tokens[] = { models[i].end_token, NULL };

      if (tmpl == NULL)
        return;
      g_test_message ("stop strings of %s", models[i].name);
      check_stops (tmpl, models[i].bos, models[i].eos, end_tokens, models[i].expected);
    }

  /* Without a template only the tokens count; empty and repeated ones go. */
  {
    const char *end_tokens[] = { "", "</s>", "<|eot|>", NULL };
    const char *expected[] = { "</s>", "<|eot|>", NULL };

    check_stops (NULL, NULL, "</s>", end_tokens, expected);
  }
  /* A template that fails on the probe adds nothing. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (BendiTemplate) tmpl = bendi_template_new ("{{ raise_exception('no') }}", -1, &error);
    const char *expected[] = { "</s>", NULL };

    g_assert_no_error (error);
    check_stops (tmpl, NULL, "</s>", NULL, expected);
  }
}

/* ------------------------------------------------------------------------ */
/* Reasoning. */

static void
split_streamed (const char  *reply,
                gboolean     starts_in_reasoning,
                gsize        chunk,
                GString     *reasoning,
                GString     *content)
{
  g_autoptr (BendiReasoningSplitter) splitter = bendi_reasoning_splitter_new (starts_in_reasoning);
  gsize len = strlen (reply);

  for (gsize at = 0; at < len; at += chunk)
    bendi_reasoning_splitter_feed (splitter, reply + at, MIN (chunk, len - at), reasoning, content);
  bendi_reasoning_splitter_finish (splitter, reasoning, content);
}

static void
test_reasoning (void)
{
  static const struct {
    const char *reply;
    gboolean    starts_in_reasoning;
    const char *reasoning;   /* NULL: none */
    const char *content;
  } cases[] = {
    { "<think>\nShort wavelengths scatter more.\n</think>\n\nRayleigh scattering.", FALSE,
      "Short wavelengths scatter more.", "Rayleigh scattering." },
    { "  \n<think>a</think>b", FALSE, "a", "b" },
    { "<thinking>x</thinking>y", FALSE, "x", "y" },
    { "[THINK]plan[/THINK]answer", FALSE, "plan", "answer" },
    { "<seed:think>s</seed:think>t", FALSE, "s", "t" },
    { "<|begin_of_thought|>p<|end_of_thought|>q", FALSE, "p", "q" },
    /* The prompt opened the block (DeepSeek-R1): only the end tag comes. */
    { "Let me think.\n</think>\n\nThe answer.", TRUE, "Let me think.", "The answer." },
    { "<think>\n\n</think>\n\nNo reasoning needed.", FALSE, "", "No reasoning needed." },
    /* A tag later in the answer is just text. */
    { "Use <think> tags like this.", FALSE, NULL, "Use <think> tags like this." },
    { "Plain answer.", FALSE, NULL, "Plain answer." },
    /* Cut off while reasoning: all of it is reasoning. */
    { "<think>unfinished", FALSE, "unfinished", "" },
    { "still thinking", TRUE, "still thinking", "" },
    /* Only the matching end tag closes a block. */
    { "<think>a </thinking> b</think>c", FALSE, "a </thinking> b", "c" },
    { "<thi", FALSE, NULL, "<thi" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *reasoning = NULL;
      g_autofree char *content = NULL;

      g_test_message ("reply: %s", cases[i].reply);
      bendi_chat_split_reasoning (cases[i].reply, cases[i].starts_in_reasoning, &reasoning, &content);
      g_assert_cmpstr (reasoning, ==, cases[i].reasoning);
      g_assert_cmpstr (content, ==, cases[i].content);

      /* Streamed in chunks of every size, the same text comes out. */
      for (gsize chunk = 1; chunk <= 7; chunk++)
        {
          g_autoptr (GString) streamed_reasoning = g_string_new (NULL);
          g_autoptr (GString) streamed_content = g_string_new (NULL);

          split_streamed (cases[i].reply, cases[i].starts_in_reasoning, chunk, streamed_reasoning, streamed_content);
          g_assert_cmpstr (g_strstrip (streamed_reasoning->str), ==, cases[i].reasoning != NULL ? cases[i].reasoning : "");
          g_assert_cmpstr (g_strstrip (streamed_content->str), ==, cases[i].content);
        }
    }
}

/* A partial tag is held back until it is settled, never shown as content. */
static void
test_reasoning_holds_partial_tags (void)
{
  g_autoptr (BendiReasoningSplitter) splitter = bendi_reasoning_splitter_new (FALSE);
  g_autoptr (GString) reasoning = g_string_new (NULL);
  g_autoptr (GString) content = g_string_new (NULL);

  bendi_reasoning_splitter_feed (splitter, "<thi", 4, reasoning, content);
  g_assert_cmpstr (content->str, ==, "");
  bendi_reasoning_splitter_feed (splitter, "nk>idea</th", 11, reasoning, content);
  g_assert_cmpstr (reasoning->str, ==, "idea");
  g_assert_cmpstr (content->str, ==, "");
  bendi_reasoning_splitter_feed (splitter, "ink>\n\nAnswer", 12, reasoning, content);
  g_assert_cmpstr (reasoning->str, ==, "idea");
  g_assert_cmpstr (content->str, ==, "Answer");
  bendi_reasoning_splitter_finish (splitter, reasoning, content);
  g_assert_cmpstr (content->str, ==, "Answer");
}

static void
test_prompt_opens_reasoning (void)
{
  g_autoptr (BendiTemplate) deepseek = load_shared_template ("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja");
  g_autoptr (BendiTemplate) qwen3 = load_shared_template ("Qwen-Qwen3-0.6B.jinja");
  g_autoptr (BendiTemplateValue) messages = conversation (FALSE);
  g_autoptr (BendiTemplateValue) no_thinking = template_test_value_from_json ("{\"enable_thinking\": false}");
  g_autoptr (BendiTemplateValue) thinking = template_test_value_from_json ("{\"enable_thinking\": true}");
  g_autoptr (GError) error = NULL;
  g_autofree char *deepseek_prompt = NULL;
  g_autofree char *qwen3_prompt = NULL;
  g_autofree char *qwen3_no_thinking = NULL;

  g_assert_false (bendi_chat_prompt_opens_reasoning ("<|im_start|>assistant\n"));
  g_assert_true (bendi_chat_prompt_opens_reasoning ("x<think>\n"));
  g_assert_false (bendi_chat_prompt_opens_reasoning ("<think>\n\n</think>\n\n"));
  if (deepseek == NULL || qwen3 == NULL)
    return;
  /* This DeepSeek template closes the block unless thinking is enabled. */
  deepseek_prompt = bendi_chat_template_render (deepseek, messages, TRUE, "<｜begin▁of▁sentence｜>", NULL,
                                                thinking, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (deepseek_prompt, "<｜Assistant｜><think>\n"));
  g_assert_true (bendi_chat_prompt_opens_reasoning (deepseek_prompt));
  g_clear_pointer (&deepseek_prompt, g_free);
  deepseek_prompt = bendi_chat_template_render (deepseek, messages, TRUE, "<｜begin▁of▁sentence｜>", NULL,
                                                NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (deepseek_prompt, "<think>\n</think>"));
  g_assert_false (bendi_chat_prompt_opens_reasoning (deepseek_prompt));
  qwen3_prompt = bendi_chat_template_render (qwen3, messages, TRUE, NULL, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (bendi_chat_prompt_opens_reasoning (qwen3_prompt));
  qwen3_no_thinking = bendi_chat_template_render (qwen3, messages, TRUE, NULL, NULL, no_thinking, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (qwen3_no_thinking, "<think>\n\n</think>\n\n"));
  g_assert_false (bendi_chat_prompt_opens_reasoning (qwen3_no_thinking));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/template-chat/formats", test_formats);
  g_test_add_func ("/engine/template-chat/render-variables", test_render_variables);
  g_test_add_func ("/engine/template-chat/raise-exception", test_raise_exception);
  g_test_add_func ("/engine/template-chat/stop-strings", test_stop_strings);
  g_test_add_func ("/engine/template-chat/reasoning", test_reasoning);
  g_test_add_func ("/engine/template-chat/reasoning-partial-tags", test_reasoning_holds_partial_tags);
  g_test_add_func ("/engine/template-chat/prompt-opens-reasoning", test_prompt_opens_reasoning);

  return g_test_run ();
}
