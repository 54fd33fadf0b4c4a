/* SPDX-License-Identifier: MIT */
/* bendi-cli rm: remove downloaded models (or forget imported ones) by the
 * names “bendi-cli list” shows. */
#include <stdio.h>
#include <string.h>

#include "cli-commands.h"
#include "hub-config.h"
#include "hub-library.h"

int
bendi_cli_rm (int    argc,
              char **argv)
{
  g_autofree char *models_dir = NULL;
  GOptionEntry entries[] = {
    { "models-dir", 0, 0, G_OPTION_ARG_FILENAME, &models_dir, "The models directory", "DIR" },
    { NULL },
  };
  g_autoptr (BendiHubConfig) config = NULL;
  g_autoptr (GPtrArray) models = NULL;
  g_autoptr (GError) error = NULL;
  int status = BENDI_CLI_EXIT_OK;

  if (!bendi_cli_parse_options (&argc, &argv, "NAME…", "Remove models from the library.", entries))
    return BENDI_CLI_EXIT_USAGE;
  if (argc < 2)
    {
      bendi_cli_print_error ("give the names of models, as “bendi-cli list” shows them");
      return BENDI_CLI_EXIT_USAGE;
    }
  config = bendi_hub_config_new_from_environment ();
  if (models_dir != NULL)
    bendi_hub_config_set_models_dir (config, models_dir);
  models = bendi_hub_library_scan (bendi_hub_config_get_models_dir (config), BENDI_HUB_SCAN_DEFAULT, NULL, &error);
  if (models == NULL)
    {
      bendi_cli_print_error ("%s", error->message);
      return BENDI_CLI_EXIT_ERROR;
    }
  for (int a = 1; a < argc; a++)
    {
      const BendiHubLocalModel *found = NULL;

      for (guint i = 0; i < models->len && found == NULL; i++)
        {
          const BendiHubLocalModel *m = g_ptr_array_index (models, i);

          if (strcmp (m->name, argv[a]) == 0 || strcmp (m->paths[0], argv[a]) == 0)
            found = m;
        }
      if (found == NULL)
        {
          bendi_cli_print_error ("no model “%s” in the library", argv[a]);
          status = BENDI_CLI_EXIT_ERROR;
          continue;
        }
      if (!bendi_hub_library_remove (bendi_hub_config_get_models_dir (config), found, &error))
        {
          bendi_cli_print_error ("%s", error->message);
          g_clear_error (&error);
          status = BENDI_CLI_EXIT_ERROR;
          continue;
        }
      printf ("removed %s\n", found->name);
    }
  return status;
}
