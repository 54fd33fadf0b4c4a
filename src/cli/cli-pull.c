/* SPDX-License-Identifier: MIT */
/* bendi-cli pull: download a model file (every part of a split) into the
 * library, verified; exit 0 only when it is in place. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli-commands.h"
#include "hub-client.h"
#include "hub-download.h"
#include "hub-names.h"
#include "hub-token.h"

static void
result_cb (GObject      *object G_GNUC_UNUSED,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

typedef struct {
  gboolean    terminal;
  const char *name;
  guint       last_percent;
} Progress;

static void
progress_cb (BendiHubDownload *download,
             GParamSpec       *pspec G_GNUC_UNUSED,
             Progress         *progress)
{
  guint64 done = bendi_hub_download_get_downloaded_bytes (download);
  guint64 total = bendi_hub_download_get_total_bytes (download);
  guint percent = total > 0 ? (guint) (done * 100 / total) : 0;
  double speed = bendi_hub_download_get_speed (download);
  double remaining = bendi_hub_download_get_remaining_seconds (download);

  if (progress->terminal)
    {
      char bar[31];
      guint filled = percent * 30 / 100;

      memset (bar, '#', filled);
      memset (bar + filled, '-', 30 - filled);
      bar[30] = '\0';
      if (remaining >= 0)
        fprintf (stderr, "\r%s [%s] %3u%% %6.1f MB/s %5.0f s left ", progress->name, bar, percent, speed / 1e6,
                 remaining);
      else
        fprintf (stderr, "\r%s [%s] %3u%% ", progress->name, bar, percent);
    }
  else if (percent >= progress->last_percent + 10)
    {
      progress->last_percent = percent - percent % 10;
      fprintf (stderr, "%s: %u%%\n", progress->name, progress->last_percent);
    }
}

int
bendi_cli_pull (int    argc,
                char **argv)
{
  g_autofree char *models_dir = NULL;
  GOptionEntry entries[] = {
    { "models-dir", 0, 0, G_OPTION_ARG_FILENAME, &models_dir, "Download into DIR", "DIR" },
    { NULL },
  };
  g_autoptr (BendiHubConfig) config = NULL;
  g_autoptr (BendiHubClient) client = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GPtrArray) files = NULL;
  g_autoptr (GPtrArray) groups = NULL;
  g_autoptr (GError) error = NULL;
  const BendiHubFileGroup *group = NULL;

  if (!bendi_cli_parse_options (&argc, &argv, "OWNER/REPO FILE", "Download a model file, verified.", entries))
    return BENDI_CLI_EXIT_USAGE;
  if (argc != 3)
    {
      bendi_cli_print_error ("give a repository and a file, as “bendi-cli files REPO” lists them");
      return BENDI_CLI_EXIT_USAGE;
    }
  config = bendi_hub_config_new_from_environment ();
  if (models_dir != NULL)
    bendi_hub_config_set_models_dir (config, models_dir);
  if (bendi_hub_config_get_token (config) == NULL && bendi_hub_token_keyring_available ())
    {
      g_autoptr (GAsyncResult) token_result = NULL;
      g_autofree char *token = NULL;

      bendi_hub_token_lookup_async (bendi_hub_config_get_endpoint (config), NULL, result_cb, &token_result);
      token = bendi_hub_token_lookup_finish (wait_for (&token_result), NULL);
      bendi_hub_config_set_token (config, token);
    }
  client = bendi_hub_client_new (config);

  bendi_hub_client_list_files_async (client, argv[1], NULL, NULL, result_cb, &result);
  files = bendi_hub_client_list_files_finish (client, wait_for (&result), &error);
  if (files == NULL)
    {
      bendi_cli_print_error ("%s", error->message);
      return BENDI_CLI_EXIT_ERROR;
    }
  groups = bendi_hub_group_files (files);
  for (guint i = 0; i < groups->len && group == NULL; i++)
    {
      const BendiHubFileGroup *g = g_ptr_array_index (groups, i);

      if (strcmp (g->name, argv[2]) == 0)
        group = g;
      for (guint p = 0; p < g->parts->len && group == NULL; p++)
        if (strcmp (((BendiHubFile *) g_ptr_array_index (g->parts, p))->path, argv[2]) == 0)
          group = g;
    }
  if (group == NULL)
    {
      bendi_cli_print_error ("“%s” has no GGUF file “%s”", argv[1], argv[2]);
      return BENDI_CLI_EXIT_ERROR;
    }
  if (!group->complete)
    {
      bendi_cli_print_error ("“%s” lacks some of its parts on the Hub", group->name);
      return BENDI_CLI_EXIT_ERROR;
    }

  for (guint p = 0; p < group->parts->len; p++)
    {
      const BendiHubFile *file = g_ptr_array_index (group->parts, p);
      g_autoptr (BendiHubDownload) download = bendi_hub_download_new (client, argv[1], NULL, file);
      g_autoptr (GAsyncResult) run_result = NULL;
      g_autofree char *path = NULL;
      Progress progress = { isatty (STDERR_FILENO), file->path, 0 };

      g_signal_connect (download, "notify::downloaded-bytes", G_CALLBACK (progress_cb), &progress);
      bendi_hub_download_run_async (download, NULL, result_cb, &run_result);
      path = bendi_hub_download_run_finish (download, wait_for (&run_result), &error);
      if (progress.terminal)
        fputc ('\n', stderr);
      if (path == NULL)
        {
          bendi_cli_print_error ("%s", error->message);
          return BENDI_CLI_EXIT_ERROR;
        }
      printf ("%s\n", path);
    }
  return BENDI_CLI_EXIT_OK;
}
