/* SPDX-License-Identifier: MIT */
/* bendi-cli serve: the OpenAI-compatible API server for one model, until Ctrl-C. */
#include <glib-unix.h>
#include <stdio.h>

#include "bendi-server.h"
#include "cli-commands.h"
#include "engine-error.h"

typedef struct {
  GMainLoop *loop;
  int        status;
} ServeState;

static gboolean
on_signal (gpointer user_data)
{
  ServeState *state = user_data;

  g_main_loop_quit (state->loop);
  return G_SOURCE_REMOVE;
}

/* Runs on the server's thread when the model is in (or failed). */
static void
on_loaded (BendiServer  *server G_GNUC_UNUSED,
           const GError *error,
           gpointer      user_data)
{
  ServeState *state = user_data;

  /* Ctrl-C while loading: the load gave up, which is no failure. */
  if (g_error_matches (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_CANCELLED))
    return;
  if (error != NULL)
    {
      bendi_cli_print_error ("%s", error->message);
      state->status = BENDI_CLI_EXIT_ERROR;
      g_main_loop_quit (state->loop);
      return;
    }
  fprintf (stderr, "Model loaded; serving.\n");
}

int
bendi_cli_serve (int    argc,
                 char **argv)
{
  g_autofree char *model_path = NULL;
  g_autofree char *host = NULL;
  g_autofree char *api_key = NULL;
  g_autofree char *cors = NULL;
  g_autofree char *alias = NULL;
  g_autofree char *backend = NULL;
  g_autofree char *gpu_layers = NULL;
  g_auto (GStrv) allowed_hosts = NULL;
  gint port = BENDI_SERVER_DEFAULT_PORT, parallel = 1, queue = 0, n_threads = 0;
  gint64 n_ctx = 0, max_ctx = 0, max_body = 0;
  gboolean allow_public = FALSE, verbose = FALSE;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, "Model GGUF file", "FILE" },
    { "host", 0, 0, G_OPTION_ARG_STRING, &host, "Address to listen on (default 127.0.0.1)", "ADDRESS" },
    { "port", 0, 0, G_OPTION_ARG_INT, &port, "Port (default 8080; 0: any free port)", "PORT" },
    { "ctx", 'c', 0, G_OPTION_ARG_INT64, &n_ctx, "Context per slot (default: the model's, at most 4096)", "N" },
    { "max-ctx", 0, 0, G_OPTION_ARG_INT64, &max_ctx, "Largest context a request may ask for (default: the model's training length)", "N" },
    { "parallel", 0, 0, G_OPTION_ARG_INT, &parallel, "Requests generated at once (default 1)", "N" },
    { "queue", 0, 0, G_OPTION_ARG_INT, &queue, "Requests that may wait for a slot before 429 (default 4 per slot)", "N" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &n_threads, "Threads per slot (default: the cores shared between slots)", "N" },
    { "api-key", 0, 0, G_OPTION_ARG_STRING, &api_key, "Require this bearer key (or set BENDI_API_KEY)", "KEY" },
    { "allowed-host", 0, 0, G_OPTION_ARG_STRING_ARRAY, &allowed_hosts, "Also answer requests for this Host name (repeatable)", "NAME" },
    { "cors", 0, 0, G_OPTION_ARG_STRING, &cors, "Let web pages from this one origin call the API", "ORIGIN" },
    { "public", 0, 0, G_OPTION_ARG_NONE, &allow_public, "Listen beyond this computer even without an API key", NULL },
    { "max-body", 0, 0, G_OPTION_ARG_INT64, &max_body, "Largest request body in bytes (default 8 MiB)", "BYTES" },
    { "alias", 'a', 0, G_OPTION_ARG_STRING, &alias, "The model's id in the API (default: the file name)", "ID" },
    { "backend", 0, 0, G_OPTION_ARG_STRING, &backend, "Compute backend: cpu", "NAME" },
    { "gpu-layers", 0, 0, G_OPTION_ARG_STRING, &gpu_layers, "Layers on the GPU (the CPU backend takes 0)", "N" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Log each request (never its content)", NULL },
    { NULL }
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiServer) server = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  BendiServerOptions options;
  ServeState state = { 0 };

  if (!bendi_cli_parse_options (&argc, &argv, "", "Serve a model over an OpenAI-compatible HTTP API.", entries))
    return BENDI_CLI_EXIT_USAGE;
  if (model_path == NULL || argc != 1)
    {
      bendi_cli_print_error ("serve needs -m FILE");
      return BENDI_CLI_EXIT_USAGE;
    }
  if (!bendi_cli_check_backend (backend))
    return BENDI_CLI_EXIT_USAGE;
  if (gpu_layers != NULL && !g_str_equal (gpu_layers, "0"))
    {
      bendi_cli_print_error ("--gpu-layers: the cpu backend runs every layer on the CPU (0)");
      return BENDI_CLI_EXIT_USAGE;
    }
  if (port < 0 || port > 65535 || parallel < 1 || parallel > 64 || queue < 0 || n_threads < 0 || n_ctx < 0 ||
      max_ctx < 0 || max_body < 0)
    {
      bendi_cli_print_error ("a port, slot, queue, thread or size option is out of range");
      return BENDI_CLI_EXIT_USAGE;
    }
  if (api_key == NULL && g_getenv ("BENDI_API_KEY") != NULL && g_getenv ("BENDI_API_KEY")[0] != '\0')
    api_key = g_strdup (g_getenv ("BENDI_API_KEY"));

  bendi_server_options_init (&options);
  options.host = host;
  options.port = (guint16) port;
  options.n_ctx = n_ctx;
  options.max_ctx = max_ctx;
  options.n_parallel = (guint) parallel;
  options.max_queue = (guint) queue;
  options.n_threads = n_threads;
  options.api_key = api_key;
  options.allowed_hosts = (const char *const *) allowed_hosts;
  options.cors_origin = cors;
  options.allow_public = allow_public;
  options.max_body_bytes = (gsize) max_body;
  options.model_id = alias;
  options.verbose = verbose;
  server = bendi_server_new (&options, &error);
  if (server == NULL)
    {
      bendi_cli_print_error ("%s", error->message);
      return BENDI_CLI_EXIT_USAGE;
    }
  if (!bendi_server_start (server, &error))
    {
      bendi_cli_print_error ("%s", error->message);
      return BENDI_CLI_EXIT_ERROR;
    }

  loop = g_main_loop_new (NULL, FALSE);
  state.loop = loop;
  state.status = BENDI_CLI_EXIT_OK;
  g_unix_signal_add (SIGINT, on_signal, &state);
  g_unix_signal_add (SIGTERM, on_signal, &state);
  bendi_server_load_model (server, model_path, on_loaded, &state);
  /* Scripts read the port from here when they asked for any free one. */
  printf ("Listening on http://%s:%u/v1 (loading %s)\n", host != NULL ? host : "127.0.0.1",
          bendi_server_get_port (server), model_path);
  fflush (stdout);
  if (api_key == NULL && host != NULL && !g_str_equal (host, "127.0.0.1") && !g_str_equal (host, "localhost"))
    fprintf (stderr, "Warning: no API key: anyone who reaches %s can use the model.\n", host);
  g_main_loop_run (loop);
  bendi_server_stop (server);
  return state.status;
}
