/* SPDX-License-Identifier: MIT */
/* bendi-cli files: a repository's GGUF models, split parts grouped, with
 * sizes and quantisations. */
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "cli-commands.h"
#include "hub-client.h"
#include "hub-names.h"

static void
result_cb (GObject      *object G_GNUC_UNUSED,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

int
bendi_cli_files (int    argc,
                 char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { NULL },
  };
  g_autoptr (BendiHubConfig) config = NULL;
  g_autoptr (BendiHubClient) client = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GPtrArray) files = NULL;
  g_autoptr (GPtrArray) groups = NULL;
  g_autoptr (GError) error = NULL;

  if (!bendi_cli_parse_options (&argc, &argv, "OWNER/REPO", "List a repository's GGUF files.", entries))
    return BENDI_CLI_EXIT_USAGE;
  if (argc != 2)
    {
      bendi_cli_print_error ("give one repository, like Qwen/Qwen2.5-7B-Instruct-GGUF");
      return BENDI_CLI_EXIT_USAGE;
    }
  config = bendi_hub_config_new_from_environment ();
  client = bendi_hub_client_new (config);
  bendi_hub_client_list_files_async (client, argv[1], NULL, NULL, result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  files = bendi_hub_client_list_files_finish (client, result, &error);
  if (files == NULL)
    {
      bendi_cli_print_error ("%s", error->message);
      return BENDI_CLI_EXIT_ERROR;
    }
  groups = bendi_hub_group_files (files);

  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_begin_array (b);
      for (guint i = 0; i < groups->len; i++)
        {
          const BendiHubFileGroup *g = g_ptr_array_index (groups, i);

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "name");
          json_builder_add_string_value (b, g->name);
          json_builder_set_member_name (b, "quant");
          json_builder_add_string_value (b, g->quant);
          json_builder_set_member_name (b, "size");
          json_builder_add_int_value (b, (gint64) g->size);
          json_builder_set_member_name (b, "complete");
          json_builder_add_boolean_value (b, g->complete);
          json_builder_set_member_name (b, "parts");
          json_builder_begin_array (b);
          for (guint p = 0; p < g->parts->len; p++)
            {
              const BendiHubFile *f = g_ptr_array_index (g->parts, p);

              json_builder_begin_object (b);
              json_builder_set_member_name (b, "path");
              json_builder_add_string_value (b, f->path);
              json_builder_set_member_name (b, "size");
              json_builder_add_int_value (b, (gint64) f->size);
              json_builder_set_member_name (b, "sha256");
              json_builder_add_string_value (b, f->sha256);
              json_builder_end_object (b);
            }
          json_builder_end_array (b);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      root = json_builder_get_root (b);
      text = json_to_string (root, TRUE);
      printf ("%s\n", text);
      return BENDI_CLI_EXIT_OK;
    }
  for (guint i = 0; i < groups->len; i++)
    {
      const BendiHubFileGroup *g = g_ptr_array_index (groups, i);
      g_autofree char *size = bendi_hub_format_size (g->size);

      printf ("%-64s %-8s %10s", g->name, g->quant != NULL ? g->quant : "?", size);
      if (g->parts->len > 1)
        printf ("  (%u parts%s)", g->parts->len, g->complete ? "" : ", incomplete");
      printf ("\n");
    }
  return BENDI_CLI_EXIT_OK;
}
