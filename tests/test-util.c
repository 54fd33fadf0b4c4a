/* SPDX-License-Identifier: MIT */
/* Shared helpers for the test programs. */
#include "test-util.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>

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

gboolean
bendi_test_coopmat_required (void)
{
  return g_strcmp0 (g_getenv ("BENDI_TEST_REQUIRE_COOPMAT"), "1") == 0;
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

void
bendi_test_run_clear (BendiTestRun *r)
{
  g_clear_pointer (&r->out, g_free);
  g_clear_pointer (&r->err, g_free);
}

gboolean
bendi_test_run_cli (BendiTestRun      *r,
                    const char *const *args,
                    const char        *input)
{
  const char *cli = bendi_test_cli_path ();
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *script = NULL;
  int wait_status;

  memset (r, 0, sizeof *r);
  if (cli == NULL)
    return FALSE;
  if (input != NULL)
    {
      /* sh reads the input from a here-document: no second pipe to manage */
      g_autoptr (GString) command = g_string_new ("exec \"$0\"");

      for (gsize i = 0; args[i] != NULL; i++)
        {
          g_autofree char *quoted = g_shell_quote (args[i]);

          g_string_append_printf (command, " %s", quoted);
        }
      g_string_append_printf (command, " <<'BENDI_EOF'\n%s\nBENDI_EOF\n", input);
      script = g_string_free (g_steal_pointer (&command), FALSE);
      g_ptr_array_add (argv, (gpointer) "/bin/sh");
      g_ptr_array_add (argv, (gpointer) "-c");
      g_ptr_array_add (argv, script);
      g_ptr_array_add (argv, (gpointer) cli);
    }
  else
    {
      g_ptr_array_add (argv, (gpointer) cli);
      for (gsize i = 0; args[i] != NULL; i++)
        g_ptr_array_add (argv, (gpointer) args[i]);
    }
  g_ptr_array_add (argv, NULL);

  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &r->out, &r->err, &wait_status, &error));
  g_assert_no_error (error);
  if (WIFEXITED (wait_status))
    r->status = WEXITSTATUS (wait_status);
  else
    r->status = 128 + WTERMSIG (wait_status);
  return TRUE;
}

void
bendi_test_assert_no_driver_mapped (const char *when)
{
  g_autofree char *maps = NULL;
  g_auto (GStrv) lines = NULL;

  if (!g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL))
    return;
  lines = g_strsplit (maps, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], "vulkan") != NULL || strstr (lines[i], "libLLVM") != NULL)
      g_error ("mapped %s: %s", when, lines[i]);
}

float
bendi_test_ggml_dot_f16 (const BendiFp16 *k,
                         const float     *q_half,
                         gint64           n,
                         int              lanes)
{
  gint64 step = 4 * lanes, whole = lanes > 0 ? n / step * step : 0;
  float acc[4][16] = { { 0 } }, v[16], sum = 0;
  double total;

  for (gint64 i = 0; i < whole; i += step)
    for (int j = 0; j < 4; j++)
      for (int l = 0; l < lanes; l++)
        acc[j][l] = fmaf (bendi_fp16_to_fp32 (k[i + j * lanes + l]), q_half[i + j * lanes + l], acc[j][l]);
  for (int l = 0; l < lanes; l++)
    v[l] = (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l]);
  if (lanes == 16)
    {
      float t3[8], t6[4];

      for (int i = 0; i < 8; i++)
        t3[i] = v[i + 8] + v[i];
      for (int i = 0; i < 4; i++)
        t6[i] = t3[i + 4] + t3[i];
      sum = (t6[0] + t6[2]) + (t6[1] + t6[3]);
    }
  else if (lanes == 8)
    {
      float t0[4];

      for (int i = 0; i < 4; i++)
        t0[i] = v[i] + v[i + 4];
      sum = (t0[0] + t0[1]) + (t0[2] + t0[3]);
    }
  total = sum;
  for (gint64 i = whole; i < n; i++)
    total += (double) (bendi_fp16_to_fp32 (k[i]) * q_half[i]);
  return (float) total;
}
