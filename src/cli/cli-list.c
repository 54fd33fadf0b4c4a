/* SPDX-License-Identifier: MIT */
/* bendi-cli list: the models on this computer, Bendi's and others'. */
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "cli-commands.h"
#include "hub-config.h"
#include "hub-library.h"
#include "hub-names.h"

int
bendi_cli_list (int    argc,
                char **argv)
{
  gboolean json = FALSE;
  g_autofree char *models_dir = NULL;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { "models-dir", 0, 0, G_OPTION_ARG_FILENAME, &models_dir, "The models directory", "DIR" },
    { NULL },
  };
  g_autoptr (BendiHubConfig) config = NULL;
  g_autoptr (GPtrArray) models = NULL;
  g_autoptr (GError) error = NULL;

  if (!bendi_cli_parse_options (&argc, &argv, NULL, "List the models on this computer.", entries))
    return BENDI_CLI_EXIT_USAGE;
  config = bendi_hub_config_new_from_environment ();
  if (models_dir != NULL)
    bendi_hub_config_set_models_dir (config, models_dir);
  models = bendi_hub_library_scan (bendi_hub_config_get_models_dir (config), BENDI_HUB_SCAN_DEFAULT, NULL, &error);
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
          const BendiHubLocalModel *m = g_ptr_array_index (models, i);

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "name");
          json_builder_add_string_value (b, m->name);
          json_builder_set_member_name (b, "source");
          json_builder_add_string_value (b, bendi_hub_source_to_string (m->source));
          json_builder_set_member_name (b, "repo");
          json_builder_add_string_value (b, m->repo_id);
          json_builder_set_member_name (b, "size");
          json_builder_add_int_value (b, (gint64) m->size);
          json_builder_set_member_name (b, "quant");
          json_builder_add_string_value (b, m->quant);
          json_builder_set_member_name (b, "architecture");
          json_builder_add_string_value (b, m->architecture);
          json_builder_set_member_name (b, "path");
          json_builder_add_string_value (b, m->paths[0]);
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
      const BendiHubLocalModel *m = g_ptr_array_index (models, i);
      g_autofree char *size = bendi_hub_format_size (m->size);

      printf ("%-64s %-8s %-10s %10s  %s\n", m->name, m->quant != NULL ? m->quant : "?",
              m->architecture != NULL ? m->architecture : "?", size, bendi_hub_source_to_string (m->source));
    }
  return BENDI_CLI_EXIT_OK;
}
