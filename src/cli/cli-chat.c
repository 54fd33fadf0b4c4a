/* SPDX-License-Identifier: MIT */
/* bendi-cli chat: a conversation with a model in the terminal, in its own chat format. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "chat-prompt.h"
#include "cli-commands.h"
#include "session.h"

#define DIM "\033[2m"
#define RESET "\033[0m"

/* Ctrl+C while the model answers stops the answer, not the program. */
static BendiSession *interruptible;

static void
on_interrupt (int signal_number G_GNUC_UNUSED)
{
  BendiSession *session = interruptible;

  if (session != NULL)
    bendi_session_cancel (session);
  else
    _exit (130);
}

typedef struct {
  BendiReasoningSplitter *splitter;
  GString                *reasoning;
  GString                *content;
  gsize                   reasoning_shown;
  gsize                   content_shown;
  gboolean                color;
  BendiStopReason         reason;
  GError                 *error;
} Reply;

/* Prints what is new of the reasoning (dimmed) and of the answer. */
static void
show_reply (Reply *reply)
{
  if (reply->reasoning->len > reply->reasoning_shown)
    {
      if (reply->color)
        fputs (DIM, stdout);
      fwrite (reply->reasoning->str + reply->reasoning_shown, 1, reply->reasoning->len - reply->reasoning_shown,
              stdout);
      if (reply->color)
        fputs (RESET, stdout);
      reply->reasoning_shown = reply->reasoning->len;
    }
  if (reply->content->len > reply->content_shown)
    {
      if (reply->reasoning_shown > 0 && reply->content_shown == 0)
        fputs ("\n\n", stdout);
      fwrite (reply->content->str + reply->content_shown, 1, reply->content->len - reply->content_shown, stdout);
      reply->content_shown = reply->content->len;
    }
  fflush (stdout);
}

static gboolean
on_text (const char *text,
         gsize       len,
         gpointer    user_data)
{
  Reply *reply = user_data;

  bendi_reasoning_splitter_feed (reply->splitter, text, len, reply->reasoning, reply->content);
  show_reply (reply);
  return TRUE;
}

static void
on_done (BendiStopReason             reason,
         const GError               *error,
         const BendiGenerationStats *stats G_GNUC_UNUSED,
         gpointer                    user_data)
{
  Reply *reply = user_data;

  reply->reason = reason;
  if (error != NULL)
    reply->error = g_error_copy (error);
}

static BendiTemplateValue *
new_conversation (const char *system)
{
  BendiTemplateValue *messages = bendi_template_value_new_list ();

  if (system != NULL && *system != '\0')
    bendi_chat_messages_append (messages, "system", system);
  return messages;
}

/* One assistant turn: returns FALSE when generation failed. */
static gboolean
answer (BendiSession              *session,
        BendiChatPrompt           *prompt,
        BendiTemplateValue        *messages,
        const BendiGenerateParams *base,
        gboolean                   color)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) tokens = NULL;
  g_autoptr (GString) reasoning = g_string_new (NULL);
  g_autoptr (GString) content = g_string_new (NULL);
  BendiGenerateParams params = *base;
  gboolean opens_reasoning = FALSE;
  Reply reply = { .reasoning = reasoning, .content = content, .color = color };

  tokens = bendi_chat_prompt_build (prompt, messages, NULL, TRUE, NULL, &opens_reasoning, &error);
  if (tokens == NULL)
    {
      bendi_cli_print_error ("%s", error->message);
      return FALSE;
    }
  reply.splitter = bendi_reasoning_splitter_new (opens_reasoning);
  params.prompt_tokens = &g_array_index (tokens, BendiToken, 0);
  params.n_prompt_tokens = tokens->len;
  params.stop = bendi_chat_prompt_get_stop_strings (prompt);

  interruptible = session;
  if (!bendi_session_generate (session, &params, on_text, on_done, &reply, NULL, &error))
    {
      interruptible = NULL;
      bendi_reasoning_splitter_free (reply.splitter);
      bendi_cli_print_error ("%s", error->message);
      return FALSE;
    }
  bendi_session_wait (session);
  interruptible = NULL;
  bendi_reasoning_splitter_finish (reply.splitter, reasoning, content);
  bendi_reasoning_splitter_free (reply.splitter);
  show_reply (&reply);
  fputs (reply.reason == BENDI_STOP_REASON_CANCELLED ? " [stopped]\n" :
         reply.reason == BENDI_STOP_REASON_LENGTH ? " [length limit]\n" : "\n", stdout);

  if (reply.reason == BENDI_STOP_REASON_ERROR)
    {
      bendi_cli_print_error ("%s", reply.error != NULL ? reply.error->message : "generation failed");
      g_clear_error (&reply.error);
      return FALSE;
    }
  /* The history keeps the answer, as chat templates expect; reasoning is
   * dropped, as they drop it from earlier turns anyway. */
  bendi_chat_messages_append (messages, "assistant", g_strstrip (content->str));
  return TRUE;
}

int
bendi_cli_chat (int    argc,
                char **argv)
{
  g_autofree char *model_path = NULL;
  g_autofree char *format = NULL;
  g_autofree char *system = NULL;
  g_auto (BendiCliBackendOptions) backend = { 0 };
  gint n_predict = -1, top_k = 40, n_threads = 0;
  gboolean verbose = FALSE;
  gint64 seed = -1, n_ctx = 0;
  double temperature = 0.8, top_p = 0.95, min_p = 0.05, repeat_penalty = 1.0;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, "Model GGUF file", "FILE" },
    { "format", 0, 0, G_OPTION_ARG_STRING, &format, "Chat format instead of the model's template (chatml, llama3…)", "NAME" },
    { "system", 0, 0, G_OPTION_ARG_STRING, &system, "System prompt", "TEXT" },
    { "n-predict", 'n', 0, G_OPTION_ARG_INT, &n_predict, "Most tokens per answer (default: until the context is full)", "N" },
    { "temp", 0, 0, G_OPTION_ARG_DOUBLE, &temperature, "Temperature; 0 is greedy (default 0.8)", "T" },
    { "top-k", 0, 0, G_OPTION_ARG_INT, &top_k, "Top-k sampling; 0 is off (default 40)", "K" },
    { "top-p", 0, 0, G_OPTION_ARG_DOUBLE, &top_p, "Top-p sampling; 1 is off (default 0.95)", "P" },
    { "min-p", 0, 0, G_OPTION_ARG_DOUBLE, &min_p, "Min-p sampling; 0 is off (default 0.05)", "P" },
    { "repeat-penalty", 0, 0, G_OPTION_ARG_DOUBLE, &repeat_penalty, "Repetition penalty; 1 is off (default)", "R" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "Random seed (default: random)", "S" },
    { "ctx", 'c', 0, G_OPTION_ARG_INT64, &n_ctx, "Context size (default: the model's, at most 4096)", "N" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &n_threads, "Threads (default: one per core)", "N" },
    BENDI_CLI_BACKEND_OPTION_ENTRIES (&backend),
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Print where the model runs on stderr", NULL },
    { NULL }
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiModel) model = NULL;
  g_autoptr (BendiSession) session = NULL;
  g_autoptr (BendiChatPrompt) prompt = NULL;
  g_autoptr (BendiTemplateValue) messages = NULL;
  BendiContextParams context_params;
  BendiGenerateParams params;
  gboolean interactive = isatty (STDIN_FILENO);
  gboolean color = isatty (STDOUT_FILENO);
  struct sigaction action = { 0 };
  char line[65536];

  if (!bendi_cli_parse_options (&argc, &argv, "", "Chat with a model in the terminal. In the chat, "
                                "/system TEXT sets the system prompt, /reset starts over, /exit quits.", entries))
    return BENDI_CLI_EXIT_USAGE;
  if (model_path == NULL || argc != 1)
    {
      bendi_cli_print_error ("chat needs -m FILE");
      return BENDI_CLI_EXIT_USAGE;
    }
  bendi_context_params_init (&context_params);
  if (!bendi_cli_backend_options_parse (&backend, &context_params))
    return BENDI_CLI_EXIT_USAGE;
  if (n_ctx < 0 || n_threads < 0 || top_k < 0 || temperature < 0 || top_p <= 0 || min_p < 0 || min_p > 1 ||
      repeat_penalty <= 0)
    {
      bendi_cli_print_error ("a sampling or context option is out of range");
      return BENDI_CLI_EXIT_USAGE;
    }

  model = bendi_cli_load_model (model_path, TRUE, &error);
  if (model != NULL)
    prompt = bendi_chat_prompt_new (model, format, &error);
  if (prompt == NULL)
    {
      bendi_cli_print_error ("%s", error->message);
      return BENDI_CLI_EXIT_ERROR;
    }
  context_params.n_ctx = n_ctx;
  context_params.n_threads = n_threads;
  bendi_cli_backend_resolve (model, &context_params, verbose);
  session = bendi_session_new (model, &context_params, &error);
  if (session == NULL)
    {
      bendi_cli_print_error ("%s", error->message);
      return BENDI_CLI_EXIT_ERROR;
    }
  bendi_cli_backend_report (bendi_session_get_context (session), verbose);

  bendi_generate_params_init (&params);
  params.max_tokens = n_predict;
  params.sampling.temperature = (float) temperature;
  params.sampling.top_k = top_k;
  params.sampling.top_p = (float) top_p;
  params.sampling.min_p = (float) min_p;
  params.sampling.repeat_penalty = (float) repeat_penalty;
  params.sampling.seed = seed;

  action.sa_handler = on_interrupt;
  sigaction (SIGINT, &action, NULL);

  if (interactive)
    fprintf (stderr, "Chatting with %s (%s format). /system TEXT sets the system prompt, /reset starts over, "
             "/exit quits; Ctrl+C stops an answer.\n", model_path, bendi_chat_prompt_get_format_name (prompt));
  messages = new_conversation (system);
  for (;;)
    {
      char *text;

      if (interactive)
        {
          fputs ("> ", stdout);
          fflush (stdout);
        }
      if (fgets (line, sizeof line, stdin) == NULL)
        break;
      text = g_strstrip (line);
      if (*text == '\0')
        continue;
      if (g_str_equal (text, "/exit") || g_str_equal (text, "/quit"))
        break;
      if (g_str_equal (text, "/reset") || g_str_has_prefix (text, "/system"))
        {
          if (g_str_has_prefix (text, "/system"))
            {
              g_free (system);
              system = g_strdup (g_strstrip (text + strlen ("/system")));
            }
          g_clear_pointer (&messages, bendi_template_value_unref);
          messages = new_conversation (system);
          bendi_session_reset (session);
          if (interactive)
            fprintf (stderr, "(new conversation)\n");
          continue;
        }
      bendi_chat_messages_append (messages, "user", text);
      if (!answer (session, prompt, messages, &params, color))
        return BENDI_CLI_EXIT_ERROR;
    }
  return BENDI_CLI_EXIT_OK;
}
