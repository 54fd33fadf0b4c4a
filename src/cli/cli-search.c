/* SPDX-License-Identifier: MIT */
/* bendi-cli search: GGUF repositories on the Hub (or HF_ENDPOINT's mirror). */
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "cli-commands.h"
#include "hub-client.h"

static void
result_cb (GObject      *object G_GNUC_UNUSED,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

int
bendi_cli_search (int    argc,
                  char **argv)
{
  gboolean json = FALSE;
  g_autofree char *sort = NULL;
  int limit = 20;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { "sort", 0, 0, G_OPTION_ARG_STRING, &sort, "downloads, likes, updated or trending", "KEY" },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, "Show at most N repositories (20)", "N" },
    { NULL },
  };
  g_autoptr (BendiHubConfig) config = NULL;
  g_autoptr (BendiHubClient) client = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GPtrArray) models = NULL;
  g_autoptr (GError) error = NULL;
  BendiHubSort sort_by = BENDI_HUB_SORT_DOWNLOADS;

  if (!bendi_cli_parse_options (&argc, &argv, "QUERY", "Search the Hub for GGUF models.", entries))
    return BENDI_CLI_EXIT_USAGE;
  if (argc != 2 || limit < 1)
    {
      bendi_cli_print_error ("give one search query");
      return BENDI_CLI_EXIT_USAGE;
    }
  if (sort != NULL && strcmp (sort, "likes") == 0)
    sort_by = BENDI_HUB_SORT_LIKES;
  else if (sort != NULL && strcmp (sort, "updated") == 0)
    sort_by = BENDI_HUB_SORT_UPDATED;
  else if (sort != NULL && strcmp (sort, "trending") == 0)
    sort_by = BENDI_HUB_SORT_TRENDING;
  else if (sort != NULL && strcmp (sort, "downloads") != 0)
    {
      bendi_cli_print_error ("unknown sort key “%s”", sort);
      return BENDI_CLI_EXIT_USAGE;
    }

  config = bendi_hub_config_new_from_environment ();
  client = bendi_hub_client_new (config);
  bendi_hub_client_search_async (client, argv[1], sort_by, (guint) limit, NULL, result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  models = bendi_hub_client_search_finish (client, result, &error);
  if (models == NULL)
    {
      bendi_cli_print_error ("%s", error->message);
      return BENDI_CLI_EXIT_ERROR;
    }

  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_begin_array (b);
      for (guint i = 0; i < models->len; i++)
        {
          const BendiHubModel *m = g_ptr_array_index (models, i);

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "id");
          json_builder_add_string_value (b, m->id);
          json_builder_set_member_name (b, "downloads");
          json_builder_add_int_value (b, m->downloads);
          json_builder_set_member_name (b, "likes");
          json_builder_add_int_value (b, m->likes);
          json_builder_set_member_name (b, "last_modified");
          json_builder_add_string_value (b, m->last_modified);
          json_builder_set_member_name (b, "gated");
          json_builder_add_boolean_value (b, m->gated != NULL);
          json_builder_set_member_name (b, "license");
          json_builder_add_string_value (b, m->license);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      root = json_builder_get_root (b);
      text = json_to_string (root, TRUE);
      printf ("%s\n", text);
      return BENDI_CLI_EXIT_OK;
    }
  for (guint i = 0; i < models->len; i++)
    {
      const BendiHubModel *m = g_ptr_array_index (models, i);

      printf ("%-60s %10" G_GINT64_FORMAT " downloads %6" G_GINT64_FORMAT " likes%s\n", m->id, m->downloads,
              m->likes, m->gated != NULL ? "  (gated)" : "");
    }
  return BENDI_CLI_EXIT_OK;
}
