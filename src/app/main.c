/* SPDX-License-Identifier: MIT */
/* bendi: the desktop app's entry point. */
#include <glib/gi18n.h>

#include "application.h"

/* Without its schema GSettings aborts; say how to run from the build tree. */
static gboolean
check_schema (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, BENDI_APP_ID, TRUE);
  if (schema != NULL)
    return TRUE;
  g_printerr (_("bendi: the settings schema %s is not installed. "
                "To run Bendi from its build folder, use “meson devenv -C build bendi”.\n"),
              BENDI_APP_ID);
  return FALSE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (BendiApplication) app = NULL;

  bendi_application_init_i18n ();
  if (!check_schema ())
    return 1;
  app = bendi_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
