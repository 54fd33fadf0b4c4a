/* SPDX-License-Identifier: MIT */
/* Download benchmark: `bendi-cli pull` against `curl` on the same file from
 * the Hub-shaped test server on 127.0.0.1, in the same run. Not a test: run
 * it by hand (the issue asks for at least 90% of curl's throughput).
 *
 *   perf-hub-download [--size-mib 1024] [--runs 5] [--cli build/src/cli/bendi-cli]
 *                     [--dir DIR]
 *
 * Both clients follow the same 302 from /resolve/ to the CDN path and write
 * to the same directory (--dir, by default a temporary directory under
 * $TMPDIR: put it on the disk you care about). curl only writes; bendi-cli
 * also hashes, verifies, fsyncs and renames, which is the point of the
 * comparison. The runs alternate which client goes first, so that a busy
 * machine penalises both alike; the ratio printed is of the medians
 * (curl's time / bendi-cli's time, so 100% is as fast as curl). Each
 * client's CPU time (user + system, from wait4) is printed too: on a
 * machine shared with compilers the wall times swing by 2x between runs,
 * the CPU times hardly at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hub-test-server.h"

#define REPO "bench/Bench-GGUF"
#define FILE_NAME "bench-Q8_0.gguf"

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
median (GArray *times)
{
  g_array_sort (times, compare_doubles);
  if (times->len % 2 == 1)
    return g_array_index (times, double, times->len / 2);
  return (g_array_index (times, double, times->len / 2 - 1) + g_array_index (times, double, times->len / 2)) / 2;
}

/* Runs @argv with @envp; its wall time in seconds, or -1 when it fails
 * (its stderr is shown), and the CPU time it used in @cpu_seconds:
 * on a busy machine the wall time is noisy, the CPU time much less so. */
static double
time_command (const char *const *argv,
              char              **envp,
              double             *cpu_seconds)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *err_path = NULL;
  g_autofree char *err = NULL;
  gint64 start;
  struct rusage usage;
  int wait_status;
  int err_fd, null_fd;
  gboolean spawned;
  GPid pid;

  /* Its stderr goes to a file, shown when it fails: bendi-cli's progress
   * lines would drown the table. */
  err_fd = g_file_open_tmp ("bendi-perf-stderr-XXXXXX", &err_path, &error);
  if (err_fd < 0)
    {
      fprintf (stderr, "%s\n", error->message);
      return -1;
    }
  null_fd = open ("/dev/null", O_WRONLY | O_CLOEXEC);
  start = g_get_monotonic_time ();
  spawned = g_spawn_async_with_fds (NULL, (char **) argv, envp, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD, NULL,
                                    NULL, &pid, -1, null_fd, err_fd, &error);
  close (null_fd);
  close (err_fd);
  if (!spawned)
    {
      fprintf (stderr, "Cannot run %s: %s\n", argv[0], error->message);
      g_unlink (err_path);
      return -1;
    }
  while (wait4 (pid, &wait_status, 0, &usage) < 0)
    {
      if (errno != EINTR)
        {
          fprintf (stderr, "Cannot wait for %s: %s\n", argv[0], g_strerror (errno));
          g_unlink (err_path);
          return -1;
        }
    }
  g_spawn_close_pid (pid);
  g_file_get_contents (err_path, &err, NULL, NULL);
  g_unlink (err_path);
  if (!g_spawn_check_wait_status (wait_status, &error))
    {
      fprintf (stderr, "%s failed: %s\n%s", argv[0], error->message, err != NULL ? err : "");
      return -1;
    }
  *cpu_seconds = (double) usage.ru_utime.tv_sec + (double) usage.ru_utime.tv_usec / 1e6 +
                 (double) usage.ru_stime.tv_sec + (double) usage.ru_stime.tv_usec / 1e6;
  return (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
}

static gboolean
same_size (const char *path,
           gsize       size)
{
  GStatBuf st;

  return g_stat (path, &st) == 0 && (gsize) st.st_size == size;
}

int
main (int   argc,
      char *argv[])
{
  gint size_mib = 1024;
  gint runs = 5;
  g_autofree char *cli = NULL;
  g_autofree char *dir_option = NULL;
  GOptionEntry entries[] = {
    { "size-mib", 0, 0, G_OPTION_ARG_INT, &size_mib, "Size of the file in MiB (1024)", "N" },
    { "runs", 0, 0, G_OPTION_ARG_INT, &runs, "Downloads per client (5)", "N" },
    { "cli", 0, 0, G_OPTION_ARG_FILENAME, &cli, "bendi-cli to run (BENDI_CLI, or src/cli/bendi-cli)", "PATH" },
    { "dir", 0, 0, G_OPTION_ARG_FILENAME, &dir_option, "Download into DIR (a temporary directory)", "DIR" },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("- bendi-cli pull against curl on loopback");
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) curl_times = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) pull_times = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) curl_cpu_times = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) pull_cpu_times = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GBytes) content = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *url = NULL;
  g_autofree char *curl_out = NULL;
  g_autofree char *models_dir = NULL;
  g_autofree char *pulled = NULL;
  g_auto (GStrv) envp = NULL;
  HubTestServer *server;
  gsize size;
  double curl_median, pull_median, curl_cpu_median, pull_cpu_median;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || size_mib <= 0 || runs <= 0)
    {
      fprintf (stderr, "%s\n", error != NULL ? error->message : "--size-mib and --runs must be positive");
      return 2;
    }
  if (cli == NULL)
    cli = g_strdup (g_getenv ("BENDI_CLI") != NULL ? g_getenv ("BENDI_CLI") : "src/cli/bendi-cli");
  if (!g_file_test (cli, G_FILE_TEST_IS_EXECUTABLE))
    {
      fprintf (stderr, "No bendi-cli at %s: give --cli or run from the build directory\n", cli);
      return 2;
    }
  if (dir_option != NULL)
    dir = g_strdup (dir_option);
  else if ((dir = g_dir_make_tmp ("bendi-perf-XXXXXX", &error)) == NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  size = (gsize) size_mib * 1024 * 1024;
  curl_out = g_build_filename (dir, "curl.out", NULL);
  models_dir = g_build_filename (dir, "models", NULL);
  pulled = g_build_filename (models_dir, REPO, FILE_NAME, NULL);

  fprintf (stderr, "Preparing %d MiB…\n", size_mib);
  content = hub_test_random_bytes (size, 1);
  server = hub_test_server_new ();
  hub_test_server_add_file (server, REPO, FILE_NAME, content, NULL);
  url = g_strdup_printf ("%s/%s/resolve/main/%s", hub_test_server_get_endpoint (server), REPO, FILE_NAME);
  envp = g_environ_setenv (g_get_environ (), "HF_ENDPOINT", hub_test_server_get_endpoint (server), TRUE);
  envp = g_environ_unsetenv (envp, "HF_TOKEN");
  envp = g_environ_unsetenv (envp, "http_proxy");
  envp = g_environ_unsetenv (envp, "https_proxy");

  printf ("%-4s %10s %10s %10s %10s\n", "run", "curl s", "pull s", "curl cpu", "pull cpu");
  for (gint run = 0; run < runs; run++)
    {
      const char *curl_argv[] = { "curl", "-sS", "-f", "-L", "--noproxy", "*", "-o", curl_out, url, NULL };
      const char *pull_argv[] = { cli, "pull", REPO, FILE_NAME, "--models-dir", models_dir, NULL };
      double curl_time = 0, pull_time = 0, curl_cpu = 0, pull_cpu = 0;

      /* Alternate who goes first: the page cache and the neighbours' load
       * then favour neither. */
      for (int turn = 0; turn < 2; turn++)
        {
          if ((turn == 0) == (run % 2 == 0))
            curl_time = time_command (curl_argv, envp, &curl_cpu);
          else
            pull_time = time_command (pull_argv, envp, &pull_cpu);
        }
      if (curl_time < 0 || pull_time < 0 || !same_size (curl_out, size) || !same_size (pulled, size))
        {
          fprintf (stderr, "A download failed or came out the wrong size\n");
          hub_test_server_free (server);
          return 1;
        }
      g_unlink (curl_out);
      g_unlink (pulled);
      g_array_append_val (curl_times, curl_time);
      g_array_append_val (pull_times, pull_time);
      g_array_append_val (curl_cpu_times, curl_cpu);
      g_array_append_val (pull_cpu_times, pull_cpu);
      printf ("%-4d %10.2f %10.2f %10.2f %10.2f\n", run + 1, curl_time, pull_time, curl_cpu, pull_cpu);
      fflush (stdout);
    }
  hub_test_server_free (server);
  if (dir_option == NULL)
    {
      g_autofree char *repo_dir = g_build_filename (models_dir, REPO, NULL);
      g_autofree char *owner_dir = g_path_get_dirname (repo_dir);

      g_rmdir (repo_dir);
      g_rmdir (owner_dir);
      g_rmdir (models_dir);
      g_rmdir (dir);
    }

  curl_median = median (curl_times);
  pull_median = median (pull_times);
  curl_cpu_median = median (curl_cpu_times);
  pull_cpu_median = median (pull_cpu_times);
  printf ("median: curl %.2f s (%.0f MB/s), bendi-cli pull %.2f s (%.0f MB/s): %.0f%% of curl's throughput\n",
          curl_median, (double) size / curl_median / 1e6, pull_median, (double) size / pull_median / 1e6,
          100 * curl_median / pull_median);
  printf ("median CPU time (user + system): curl %.2f s, bendi-cli pull %.2f s\n", curl_cpu_median, pull_cpu_median);
  return 0;
}
