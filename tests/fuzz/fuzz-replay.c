/* SPDX-License-Identifier: MIT */
/* Stands in for libFuzzer where it is missing (gcc builds): feeds the empty
 * input, every file of the target's seed corpus (BENDI_FUZZ_CORPUS) and
 * every file or folder given as an argument to LLVMFuzzerTestOneInput, so
 * the normal and sanitizer test suites replay the corpus. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "fuzz-target.h"

/* Targets need not define it, as with libFuzzer. */
extern int LLVMFuzzerInitialize (int    *argc,
                                 char ***argv) __attribute__ ((weak));

static gsize replay_path (const char *path);

static gsize
replay_file (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree guint8 *exact = NULL;
  gsize size;

  if (!g_file_get_contents (path, &contents, &size, &error))
    {
      fprintf (stderr, "fuzz-replay: %s\n", error->message);
      exit (1);
    }
  /* A copy of exactly the file's size, so that reading one byte past the
   * end is caught by AddressSanitizer as it is under libFuzzer. */
  exact = g_memdup2 (contents, size);
  fprintf (stderr, "Running: %s (%" G_GSIZE_FORMAT " bytes)\n", path, size);
  LLVMFuzzerTestOneInput (exact, size);
  return 1;
}

static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static gsize
replay_dir (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) dir = g_dir_open (path, 0, &error);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  gsize n = 0;

  if (dir == NULL)
    {
      fprintf (stderr, "fuzz-replay: %s\n", error->message);
      exit (1);
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_build_filename (path, name, NULL));
  /* The same order on every machine, for reproducible logs. */
  g_ptr_array_sort (names, compare_paths);
  for (guint i = 0; i < names->len; i++)
    n += replay_path (g_ptr_array_index (names, i));
  return n;
}

static gsize
replay_path (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    return replay_dir (path);
  return replay_file (path);
}

int
main (int   argc,
      char *argv[])
{
  gsize n = 0;

  if (LLVMFuzzerInitialize != NULL)
    LLVMFuzzerInitialize (&argc, &argv);

  LLVMFuzzerTestOneInput ((const uint8_t *) "", 0);
  n++;
#ifdef BENDI_FUZZ_CORPUS
  if (g_file_test (BENDI_FUZZ_CORPUS, G_FILE_TEST_IS_DIR))
    n += replay_dir (BENDI_FUZZ_CORPUS);
#endif
  for (int i = 1; i < argc; i++)
    n += replay_path (argv[i]);
  printf ("fuzz-replay: %" G_GSIZE_FORMAT " inputs ran without a finding\n", n);
  return 0;
}
