/* SPDX-License-Identifier: MIT */
/* bendi-cli chat: a conversation with a model in the terminal, in its own
 * chat format, or with a model on an OpenAI-compatible server (--endpoint). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>

#include "chat-prompt.h"
#include "cli-commands.h"
#include "remote-client.h"
#include "session.h"

#define DIM "\033[2m"
#define RESET "\033[0m"

/* Ctrl+C while a local model answers stops the answer, not the program
 * (a remote answer has GLib's handler meanwhile: see answer_remote). */
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

static void
install_interrupt_handler (void)
{
  struct sigaction action = { 0 };

  action.sa_handler = on_interrupt;
  sigemptyset (&action.sa_mask);
  sigaction (SIGINT, &action, NULL);
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

/* ------------------------------------------------------------------------ */
/* A model on a server */

typedef struct {
  Reply                 *reply;
  BendiRemoteChatResult *result;
  GError                *error;
  gboolean               done;
} RemoteTurn;

static void
remote_delta_cb (const char *reasoning,
                 const char *content,
                 gpointer    user_data)
{
  RemoteTurn *turn = user_data;

  if (reasoning != NULL)
    g_string_append (turn->reply->reasoning, reasoning);
  if (content != NULL)
    g_string_append (turn->reply->content, content);
  show_reply (turn->reply);
}

static void
remote_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  RemoteTurn *turn = user_data;

  turn->result = bendi_remote_client_chat_finish (BENDI_REMOTE_CLIENT (object), result, &turn->error);
  turn->done = TRUE;
}

/* Ctrl+C while the server answers: GLib runs this in the main loop the
 * answer streams in, where the cancellable may be touched. */
static gboolean
remote_interrupt_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_CONTINUE;
}

/* One assistant turn from the server: returns FALSE when it failed. */
static gboolean
answer_remote (BendiRemoteClient         *client,
               const char                *model,
               BendiTemplateValue        *messages,
               const BendiGenerateParams *params,
               gboolean                   color,
               gboolean                   verbose)
{
  g_autoptr (GString) reasoning = g_string_new (NULL);
  g_autoptr (GString) content = g_string_new (NULL);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  Reply reply = { .reasoning = reasoning, .content = content, .color = color };
  RemoteTurn turn = { .reply = &reply };
  gboolean stopped;
  guint interrupt_id;

  /* GLib's handler only while the answer streams: removing it resets
   * SIGINT to its default, so ours (Ctrl+C at the prompt quits) goes back. */
  interrupt_id = g_unix_signal_add (SIGINT, remote_interrupt_cb, cancellable);
  bendi_remote_client_chat_async (client, model, messages, params, remote_delta_cb, cancellable, remote_done_cb, &turn);
  while (!turn.done)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (interrupt_id);
  install_interrupt_handler ();

  stopped = g_error_matches (turn.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  fputs (stopped ? " [stopped]\n" :
         turn.result != NULL && g_strcmp0 (turn.result->finish_reason, "length") == 0 ? " [length limit]\n" : "\n",
         stdout);
  fflush (stdout);
  if (turn.error != NULL && !stopped)
    {
      bendi_cli_print_error ("%s", turn.error->message);
      g_clear_error (&turn.error);
      return FALSE;
    }
  if (verbose && turn.result != NULL)
    fprintf (stderr, "%" G_GINT64_FORMAT " tokens%s, %.1f tokens/s, first after %.2f s\n",
             turn.result->completion_tokens, turn.result->usage_from_server ? "" : " (chunks counted)",
             turn.result->tokens_per_second, turn.result->time_to_first_token);
  g_clear_error (&turn.error);
  g_clear_pointer (&turn.result, bendi_remote_chat_result_free);
  /* What was said stays in the history, a stopped answer too, as locally. */
  bendi_chat_messages_append (messages, "assistant", g_strstrip (content->str));
  return TRUE;
}

typedef struct {
  GPtrArray *models;
  GError    *error;
  gboolean   done;
} ModelList;

static void
models_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  ModelList *list = user_data;

  list->models = bendi_remote_client_list_models_finish (BENDI_REMOTE_CLIENT (object), result, &list->error);
  list->done = TRUE;
}

/* The server's models, one a line, with the context length when it says. */
static int
list_remote_models (BendiRemoteClient *client)
{
  ModelList list = { 0 };

  bendi_remote_client_list_models_async (client, NULL, models_cb, &list);
  while (!list.done)
    g_main_context_iteration (NULL, TRUE);
  if (list.error != NULL)
    {
      bendi_cli_print_error ("%s", list.error->message);
      g_error_free (list.error);
      return BENDI_CLI_EXIT_ERROR;
    }
  for (guint i = 0; i < list.models->len; i++)
    {
      BendiRemoteModel *model = g_ptr_array_index (list.models, i);

      if (model->context_length > 0)
        printf ("%s\t%" G_GINT64_FORMAT " tokens\n", model->id, model->context_length);
      else
        printf ("%s\n", model->id);
    }
  g_ptr_array_unref (list.models);
  return BENDI_CLI_EXIT_OK;
}

/* A local model or a remote one behind the same conversation loop. */
typedef struct {
  BendiTemplateValue *messages;         /* the conversation, either way */
  BendiSession       *session;          /* local */
  BendiChatPrompt    *prompt;
  BendiRemoteClient  *client;           /* remote */
  const char         *remote_model;
  BendiGenerateParams params;
  gboolean            color;
  gboolean            verbose;
} Chat;

static void
chat_reset (Chat       *chat,
            const char *system)
{
  g_clear_pointer (&chat->messages, bendi_template_value_unref);
  chat->messages = new_conversation (system);
  if (chat->session != NULL)
    bendi_session_reset (chat->session);
}

static gboolean
chat_answer (Chat       *chat,
             const char *text)
{
  bendi_chat_messages_append (chat->messages, "user", text);
  if (chat->client != NULL)
    return answer_remote (chat->client, chat->remote_model, chat->messages, &chat->params, chat->color,
                          chat->verbose);
  return answer (chat->session, chat->prompt, chat->messages, &chat->params, chat->color);
}

int
bendi_cli_chat (int    argc,
                char **argv)
{
  g_autofree char *model_name = NULL;
  g_autofree char *format = NULL;
  g_autofree char *system = NULL;
  g_autofree char *endpoint = NULL;
  g_autofree char *api_key_env = NULL;
  g_auto (BendiCliBackendOptions) backend = { 0 };
  gint n_predict = -1, top_k = -1, n_threads = 0;
  gboolean verbose = FALSE, list_models = FALSE;
  gint64 seed = -1, n_ctx = 0;
  /* Negative: not given. A local model then gets llama.cpp's defaults; a
   * server keeps its own (the model's generation config, say). */
  double temperature = -1.0, top_p = -1.0, min_p = -1.0, repeat_penalty = 1.0;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_name, "Model GGUF file, or with --endpoint the server's model name", "FILE|NAME" },
    { "endpoint", 0, 0, G_OPTION_ARG_STRING, &endpoint, "Chat with a model on an OpenAI-compatible server (vLLM, llama-server, Ollama, bendi-cli serve): http://host:port", "URL" },
    { "api-key-env", 0, 0, G_OPTION_ARG_STRING, &api_key_env, "With --endpoint: the environment variable that holds the server's API key", "VAR" },
    { "list-models", 0, 0, G_OPTION_ARG_NONE, &list_models, "With --endpoint: list the server's models and exit", NULL },
    { "format", 0, 0, G_OPTION_ARG_STRING, &format, "Chat format instead of the model's template (chatml, llama3…)", "NAME" },
    { "system", 0, 0, G_OPTION_ARG_STRING, &system, "System prompt", "TEXT" },
    { "n-predict", 'n', 0, G_OPTION_ARG_INT, &n_predict, "Most tokens per answer (default: until the context is full)", "N" },
    { "temp", 0, 0, G_OPTION_ARG_DOUBLE, &temperature, "Temperature; 0 is greedy (default 0.8; a server's own)", "T" },
    { "top-k", 0, 0, G_OPTION_ARG_INT, &top_k, "Top-k sampling; 0 is off (default 40; a server's own)", "K" },
    { "top-p", 0, 0, G_OPTION_ARG_DOUBLE, &top_p, "Top-p sampling; 1 is off (default 0.95; a server's own)", "P" },
    { "min-p", 0, 0, G_OPTION_ARG_DOUBLE, &min_p, "Min-p sampling; 0 is off (default 0.05; a server's own)", "P" },
    { "repeat-penalty", 0, 0, G_OPTION_ARG_DOUBLE, &repeat_penalty, "Repetition penalty; 1 is off (default)", "R" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "Random seed (default: random)", "S" },
    { "ctx", 'c', 0, G_OPTION_ARG_INT64, &n_ctx, "Context size (default: the model's, at most 4096)", "N" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &n_threads, "Threads (default: one per core)", "N" },
    BENDI_CLI_BACKEND_OPTION_ENTRIES (&backend),
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Print where the model runs (or a server's token rate) on stderr", NULL },
    { NULL }
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiModel) model = NULL;
  g_autoptr (BendiSession) session = NULL;
  g_autoptr (BendiChatPrompt) prompt = NULL;
  g_autoptr (BendiRemoteClient) client = NULL;
  BendiContextParams context_params;
  gboolean interactive = isatty (STDIN_FILENO);
  Chat chat = { .color = isatty (STDOUT_FILENO) };
  char line[65536];
  int status = BENDI_CLI_EXIT_OK;

  if (!bendi_cli_parse_options (&argc, &argv, "", "Chat with a model in the terminal, from a GGUF file (-m FILE) "
                                "or on a server (--endpoint URL -m NAME). In the chat, /system TEXT sets the system "
                                "prompt, /reset starts over, /exit quits.", entries))
    return BENDI_CLI_EXIT_USAGE;
  chat.verbose = verbose;
  if (argc != 1 || (model_name == NULL && !(endpoint != NULL && list_models)))
    {
      bendi_cli_print_error ("chat needs -m FILE, or --endpoint URL with -m NAME or --list-models");
      return BENDI_CLI_EXIT_USAGE;
    }
  if (endpoint == NULL && (api_key_env != NULL || list_models))
    {
      bendi_cli_print_error ("--api-key-env and --list-models go with --endpoint");
      return BENDI_CLI_EXIT_USAGE;
    }
  if (n_ctx < 0 || n_threads < 0 || top_k < -1 || (temperature < 0 && temperature != -1.0) ||
      (top_p <= 0 && top_p != -1.0) || top_p > 1 || (min_p < 0 && min_p != -1.0) || min_p > 1 ||
      repeat_penalty <= 0)
    {
      bendi_cli_print_error ("a sampling or context option is out of range");
      return BENDI_CLI_EXIT_USAGE;
    }

  bendi_generate_params_init (&chat.params);
  chat.params.max_tokens = n_predict;
  chat.params.sampling.repeat_penalty = (float) repeat_penalty;
  chat.params.sampling.seed = seed;
  if (endpoint != NULL)
    {
      const char *api_key = NULL;

      if (api_key_env != NULL)
        {
          api_key = g_getenv (api_key_env);
          if (api_key == NULL || *api_key == '\0')
            {
              bendi_cli_print_error ("the environment variable %s, which should hold the API key, is not set",
                                     api_key_env);
              return BENDI_CLI_EXIT_USAGE;
            }
        }
      client = bendi_remote_client_new (endpoint, api_key, &error);
      if (client == NULL)
        {
          bendi_cli_print_error ("%s", error->message);
          return BENDI_CLI_EXIT_USAGE;
        }
      if (list_models)
        return list_remote_models (client);
      /* Only what was asked for: "off" values are not sent. */
      chat.params.sampling.temperature = (float) temperature;
      chat.params.sampling.top_k = MAX (top_k, 0);
      chat.params.sampling.top_p = top_p < 0 ? 1.0f : (float) top_p;
      chat.params.sampling.min_p = MAX ((float) min_p, 0.0f);
      chat.client = client;
      chat.remote_model = model_name;
    }
  else
    {
      bendi_context_params_init (&context_params);
      if (!bendi_cli_backend_options_parse (&backend, &context_params))
        return BENDI_CLI_EXIT_USAGE;
      model = bendi_cli_load_model (model_name, TRUE, &error);
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
      chat.params.sampling.temperature = temperature < 0 ? 0.8f : (float) temperature;
      chat.params.sampling.top_k = top_k < 0 ? 40 : top_k;
      chat.params.sampling.top_p = top_p < 0 ? 0.95f : (float) top_p;
      chat.params.sampling.min_p = min_p < 0 ? 0.05f : (float) min_p;
      chat.session = session;
      chat.prompt = prompt;
    }

  install_interrupt_handler ();

  if (interactive && client != NULL)
    fprintf (stderr, "Chatting with %s on %s. /system TEXT sets the system prompt, /reset starts over, "
             "/exit quits; Ctrl+C stops an answer.\n", model_name, bendi_remote_client_get_base_url (client));
  else if (interactive)
    fprintf (stderr, "Chatting with %s (%s format). /system TEXT sets the system prompt, /reset starts over, "
             "/exit quits; Ctrl+C stops an answer.\n", model_name, bendi_chat_prompt_get_format_name (prompt));
  chat_reset (&chat, system);
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
          chat_reset (&chat, system);
          if (interactive)
            fprintf (stderr, "(new conversation)\n");
          continue;
        }
      if (!chat_answer (&chat, text))
        {
          status = BENDI_CLI_EXIT_ERROR;
          break;
        }
    }
  g_clear_pointer (&chat.messages, bendi_template_value_unref);
  return status;
}
