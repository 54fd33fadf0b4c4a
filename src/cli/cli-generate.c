/* SPDX-License-Identifier: MIT */
/* bendi-cli generate: continue a prompt, streaming only the new text to stdout. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "cli-commands.h"
#include "session.h"

/* Set by Ctrl+C while the weights go to the GPU: the upload stops. */
static volatile sig_atomic_t upload_interrupted;

static void
on_interrupt (int signal_number G_GNUC_UNUSED)
{
  upload_interrupted = 1;
}

typedef struct {
  gboolean show;       /* on a terminal or with --verbose */
  gboolean terminal;
  int      last_percent;
} UploadProgress;

/* "Uploading weights to the GPU: 45%" on stderr, in place on a terminal,
 * every 10% otherwise; FALSE, cancelling, after Ctrl+C. */
static gboolean
print_upload_progress (double   fraction,
                       gpointer user_data)
{
  UploadProgress *progress = user_data;
  int percent = (int) (fraction * 100.0);

  if (!progress->show)
    return !upload_interrupted;
  if (progress->terminal && percent != progress->last_percent)
    fprintf (stderr, "\rUploading weights to the GPU: %3d%% (Ctrl+C cancels)", percent);
  else if (!progress->terminal && percent >= progress->last_percent + 10)
    fprintf (stderr, "Uploading weights to the GPU: %d%%\n", percent - percent % 10);
  else
    return !upload_interrupted;
  progress->last_percent = progress->terminal ? percent : percent - percent % 10;
  return !upload_interrupted;
}

static gboolean
print_text (const char *text,
            gsize       len,
            gpointer    user_data G_GNUC_UNUSED)
{
  fwrite (text, 1, len, stdout);
  fflush (stdout);
  return TRUE;
}

typedef struct {
  BendiStopReason      reason;
  GError              *error;
  BendiGenerationStats stats;
} Outcome;

static void
on_done (BendiStopReason             reason,
         const GError               *error,
         const BendiGenerationStats *stats,
         gpointer                    user_data)
{
  Outcome *outcome = user_data;

  outcome->reason = reason;
  outcome->stats = *stats;
  if (error != NULL)
    outcome->error = g_error_copy (error);
}

int
bendi_cli_generate (int    argc,
                    char **argv)
{
  g_autofree char *model_path = NULL;
  g_autofree char *prompt = NULL;
  g_auto (BendiCliBackendOptions) backend = { 0 };
  g_auto (GStrv) stop = NULL;
  gint n_predict = 128, top_k = 40, n_threads = 0, repeat_last_n = 64;
  gint64 seed = -1, n_ctx = 0;
  double temperature = 0.8, top_p = 0.95, min_p = 0.05, repeat_penalty = 1.0;
  gboolean verbose = FALSE, ignore_eos = FALSE, special = FALSE;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, "Model GGUF file", "FILE" },
    { "prompt", 'p', 0, G_OPTION_ARG_STRING, &prompt, "Prompt to continue", "TEXT" },
    { "n-predict", 'n', 0, G_OPTION_ARG_INT, &n_predict, "Tokens to generate (default 128; -1: until the context is full)", "N" },
    { "temp", 0, 0, G_OPTION_ARG_DOUBLE, &temperature, "Temperature; 0 is greedy (default 0.8)", "T" },
    { "top-k", 0, 0, G_OPTION_ARG_INT, &top_k, "Top-k sampling; 0 is off (default 40)", "K" },
    { "top-p", 0, 0, G_OPTION_ARG_DOUBLE, &top_p, "Top-p sampling; 1 is off (default 0.95)", "P" },
    { "min-p", 0, 0, G_OPTION_ARG_DOUBLE, &min_p, "Min-p sampling; 0 is off (default 0.05)", "P" },
    { "repeat-penalty", 0, 0, G_OPTION_ARG_DOUBLE, &repeat_penalty, "Repetition penalty; 1 is off (default)", "R" },
    { "repeat-last-n", 0, 0, G_OPTION_ARG_INT, &repeat_last_n, "Recent tokens the penalty looks at (default 64)", "N" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "Random seed (default: random)", "S" },
    { "ctx", 'c', 0, G_OPTION_ARG_INT64, &n_ctx, "Context size (default: the model's, at most 4096)", "N" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &n_threads, "Threads (default: one per core)", "N" },
    { "stop", 0, 0, G_OPTION_ARG_STRING_ARRAY, &stop, "Stop when this text is generated (repeatable)", "TEXT" },
    { "special", 0, 0, G_OPTION_ARG_NONE, &special, "Match special tokens written in the prompt (\"<|im_start|>\")", NULL },
    { "ignore-eos", 0, 0, G_OPTION_ARG_NONE, &ignore_eos, "Keep generating past end-of-text tokens", NULL },
    BENDI_CLI_BACKEND_OPTION_ENTRIES (&backend),
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Print timings and where the model runs on stderr", NULL },
    { NULL }
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiModel) model = NULL;
  g_autoptr (BendiSession) session = NULL;
  BendiContextParams context_params;
  BendiGenerateParams params;
  Outcome outcome = { 0 };
  UploadProgress upload = { FALSE, isatty (STDERR_FILENO), -1 };
  struct sigaction interrupt = { .sa_handler = on_interrupt }, previous;

  if (!bendi_cli_parse_options (&argc, &argv, "", "Continue a prompt; prints only the generated text.", entries))
    return BENDI_CLI_EXIT_USAGE;
  if (model_path == NULL || prompt == NULL || argc != 1)
    {
      bendi_cli_print_error ("generate needs -m FILE and -p TEXT");
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
  if (model == NULL)
    {
      bendi_cli_print_error ("%s", error->message);
      return BENDI_CLI_EXIT_ERROR;
    }
  context_params.n_ctx = n_ctx;
  context_params.n_threads = n_threads;
  bendi_cli_backend_resolve (model, &context_params, verbose);
  /* Progress while the weights go to a GPU (shown on a terminal, or with
   * --verbose), and Ctrl+C cancels it rather than killing the process
   * half way through a driver call. */
  upload.show = upload.terminal || verbose;
  context_params.progress = print_upload_progress;
  context_params.progress_data = &upload;
  upload_interrupted = 0;
  sigemptyset (&interrupt.sa_mask);
  sigaction (SIGINT, &interrupt, &previous);
  session = bendi_session_new (model, &context_params, &error);
  sigaction (SIGINT, &previous, NULL);
  if (upload.terminal && upload.last_percent >= 0)
    fputc ('\n', stderr);
  if (session == NULL)
    {
      bendi_cli_print_error ("%s", error->message);
      return BENDI_CLI_EXIT_ERROR;
    }
  bendi_cli_backend_report (bendi_session_get_context (session), verbose);

  bendi_generate_params_init (&params);
  params.prompt = prompt;
  params.max_tokens = n_predict;
  params.stop = (const char *const *) stop;
  params.ignore_eos = ignore_eos;
  params.parse_special = special;
  params.sampling.temperature = (float) temperature;
  params.sampling.top_k = top_k;
  params.sampling.top_p = (float) top_p;
  params.sampling.min_p = (float) min_p;
  params.sampling.repeat_penalty = (float) repeat_penalty;
  params.sampling.repeat_last_n = repeat_last_n;
  params.sampling.seed = seed;
  if (!bendi_session_generate (session, &params, print_text, on_done, &outcome, NULL, &error))
    {
      bendi_cli_print_error ("%s", error->message);
      return BENDI_CLI_EXIT_ERROR;
    }
  bendi_session_wait (session);

  if (verbose)
    fprintf (stderr, "\nprompt: %" G_GINT64_FORMAT " tokens in %.3f s (%.2f tokens/s); "
             "generated: %" G_GINT64_FORMAT " tokens in %.3f s (%.2f tokens/s); stop: %s\n",
             outcome.stats.n_prompt_tokens, outcome.stats.prompt_seconds,
             outcome.stats.n_prompt_tokens / MAX (outcome.stats.prompt_seconds, 1e-9),
             outcome.stats.n_generated_tokens, outcome.stats.generate_seconds,
             outcome.stats.n_generated_tokens / MAX (outcome.stats.generate_seconds, 1e-9),
             bendi_stop_reason_to_string (outcome.reason));
  if (outcome.reason == BENDI_STOP_REASON_ERROR)
    {
      bendi_cli_print_error ("%s", outcome.error != NULL ? outcome.error->message : "generation failed");
      g_clear_error (&outcome.error);
      return BENDI_CLI_EXIT_ERROR;
    }
  return BENDI_CLI_EXIT_OK;
}
