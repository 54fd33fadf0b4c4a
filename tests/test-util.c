/* SPDX-License-Identifier: MIT */
/* Shared helpers for the test programs. */
#include "test-util.h"

#include <glib/gstdio.h>

static char *
test_data_dir (void)
{
  const char *env = g_getenv ("BENDI_TEST_DATA");
  const char *source_root = g_getenv ("BENDI_SOURCE_ROOT");

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  if (source_root != NULL && *source_root != '\0')
    return g_build_filename (source_root, "..", "shared", NULL);
  return NULL;
}

char *
bendi_test_data_path (const char *relative)
{
  g_autofree char *dir = test_data_dir ();
  g_autofree char *path = NULL;

  if (dir == NULL)
    {
      g_test_skip ("test data not found: set BENDI_TEST_DATA or put shared/ beside the source tree");
      return NULL;
    }
  path = g_build_filename (dir, relative, NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_autofree char *message = g_strdup_printf ("test data %s not found", path);

      g_test_skip (message);
      return NULL;
    }
  return g_steal_pointer (&path);
}

char *
bendi_test_make_temp_dir (void)
{
  g_autoptr (GError) error = NULL;
  char *path = g_dir_make_tmp ("bendi-test-XXXXXX", &error);

  g_assert_no_error (error);
  return path;
}

void
bendi_test_remove_dir (const char *path)
{
  g_autoptr (GDir) dir = NULL;
  const char *name;

  if (path == NULL)
    return;
  dir = g_dir_open (path, 0, NULL);
  if (dir != NULL)
    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *child = g_build_filename (path, name, NULL);

        if (g_file_test (child, G_FILE_TEST_IS_DIR))
          bendi_test_remove_dir (child);
        else
          g_unlink (child);
      }
  g_rmdir (path);
}

const char *
bendi_test_cli_path (void)
{
  const char *cli = g_getenv ("BENDI_CLI");

  if (cli == NULL || *cli == '\0')
    {
      g_test_skip ("BENDI_CLI is not set; run the tests through meson test");
      return NULL;
    }
  return cli;
}
