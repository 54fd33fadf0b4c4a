/* SPDX-License-Identifier: MIT */
/* bendi-cli perplexity: llama.cpp's perplexity method, to compare the engine with it. */
#include <stdio.h>

#include "cli-commands.h"
#include "perplexity.h"

static gboolean
print_chunk (gint64   chunk,
             gint64   n_chunks,
             double   perplexity,
             gpointer user_data G_GNUC_UNUSED)
{
  printf ("[%" G_GINT64_FORMAT "]%.4f,", chunk + 1, perplexity);
  if (chunk + 1 == n_chunks)
    printf ("\n");
  fflush (stdout);
  return TRUE;
}

int
bendi_cli_perplexity (int    argc,
                      char **argv)
{
  g_autofree char *model_path = NULL;
  g_autofree char *text_path = NULL;
  g_auto (BendiCliBackendOptions) backend = { 0 };
  gint64 n_ctx = 512;
  gboolean verbose = FALSE;
  gint n_threads = 0;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, "Model GGUF file", "FILE" },
    { "file", 'f', 0, G_OPTION_ARG_FILENAME, &text_path, "Text file to score", "TEXT" },
    { "ctx", 'c', 0, G_OPTION_ARG_INT64, &n_ctx, "Chunk (context) size (default 512)", "N" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &n_threads, "Threads (default: one per core)", "N" },
    BENDI_CLI_BACKEND_OPTION_ENTRIES (&backend),
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Print where the model runs on stderr", NULL },
    { NULL }
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiModel) model = NULL;
  g_autoptr (BendiContext) context = NULL;
  g_autoptr (GArray) tokens = NULL;
  g_autofree char *text = NULL;
  BendiContextParams context_params;
  gsize text_len;
  double perplexity;

  if (!bendi_cli_parse_options (&argc, &argv, "", "Measure a model's perplexity on a text.", entries))
    return BENDI_CLI_EXIT_USAGE;
  if (model_path == NULL || text_path == NULL || argc != 1 || n_ctx < 4 || n_threads < 0)
    {
      bendi_cli_print_error ("perplexity needs -m FILE, -f TEXT and a --ctx of at least 4");
      return BENDI_CLI_EXIT_USAGE;
    }
  bendi_context_params_init (&context_params);
  if (!bendi_cli_backend_options_parse (&backend, &context_params))
    return BENDI_CLI_EXIT_USAGE;

  if (!g_file_get_contents (text_path, &text, &text_len, &error))
    {
      bendi_cli_print_error ("%s", error->message);
      return BENDI_CLI_EXIT_ERROR;
    }
  model = bendi_cli_load_model (model_path, TRUE, &error);
  if (model == NULL)
    {
      bendi_cli_print_error ("%s", error->message);
      return BENDI_CLI_EXIT_ERROR;
    }
  tokens = bendi_tokenizer_encode (bendi_model_get_tokenizer (model), text, text_len,
                                   BENDI_TOKENIZE_ADD_SPECIAL, &error);
  if (tokens == NULL)
    {
      bendi_cli_print_error ("%s", error->message);
      return BENDI_CLI_EXIT_ERROR;
    }
  fprintf (stderr, "%u tokens, %" G_GINT64_FORMAT " chunks of %" G_GINT64_FORMAT "\n",
           tokens->len, (gint64) tokens->len / n_ctx, n_ctx);

  context_params.n_ctx = n_ctx;
  context_params.n_batch = n_ctx;
  context_params.n_threads = n_threads;
  context = bendi_cli_context_new (model, &context_params, verbose, &error);
  if (context == NULL ||
      !bendi_perplexity (context, &g_array_index (tokens, BendiToken, 0), tokens->len, n_ctx,
                         print_chunk, NULL, &perplexity, &error))
    {
      bendi_cli_print_error ("%s", error->message);
      return BENDI_CLI_EXIT_ERROR;
    }
  printf ("PPL = %.4f\n", perplexity);
  return BENDI_CLI_EXIT_OK;
}
