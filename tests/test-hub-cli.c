/* SPDX-License-Identifier: MIT */
/* bendi-cli's hub commands as a user runs them, with HF_ENDPOINT pointing
 * at a Hub-shaped server on 127.0.0.1: pull (also killed mid-transfer and
 * run again), split models, errors, list and rm. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "hub-test-server.h"
#include "model/model-maker.h"
#include "test-util.h"

#define REPO "test-org/Tiny-GGUF"
#define FILE_NAME "tiny-Q4_K_M.gguf"
#define FILE_SIZE ((gsize) 3 * 1024 * 1024 + 4321)

typedef struct {
  HubTestServer *server;
  char          *dir;
  char          *models;
  char         **env;
  GBytes        *content;
  const char    *cli;
} Fixture;

typedef struct {
  int   status;   /* the exit status, or 128 + signal */
  char *out;
  char *err;
} Run;

static void
run_clear (Run *r)
{
  g_free (r->out);
  g_free (r->err);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static void
fixture_setup (Fixture       *f,
               gconstpointer  data G_GNUC_UNUSED)
{
  g_autofree char *home = NULL;

  f->cli = bendi_test_cli_path ();
  f->server = hub_test_server_new ();
  f->dir = bendi_test_make_temp_dir ();
  f->models = g_build_filename (f->dir, "models", NULL);
  home = g_build_filename (f->dir, "home", NULL);
  g_assert_cmpint (g_mkdir (home, 0755), ==, 0);
  f->content = hub_test_random_bytes (FILE_SIZE, 11);
  hub_test_server_add_file (f->server, REPO, FILE_NAME, f->content, NULL);

  /* Nothing of the user's: no token, no proxy, no LM Studio or Ollama
   * models found in the real home. */
  f->env = g_get_environ ();
  f->env = g_environ_setenv (f->env, "HF_ENDPOINT", hub_test_server_get_endpoint (f->server), TRUE);
  f->env = g_environ_setenv (f->env, "BENDI_MODELS_DIR", f->models, TRUE);
  f->env = g_environ_setenv (f->env, "HOME", home, TRUE);
  f->env = g_environ_unsetenv (f->env, "XDG_CACHE_HOME");
  f->env = g_environ_unsetenv (f->env, "XDG_DATA_HOME");
  f->env = g_environ_unsetenv (f->env, "XDG_CONFIG_HOME");
  f->env = g_environ_setenv (f->env, "LC_ALL", "C.UTF-8", TRUE);
  f->env = g_environ_unsetenv (f->env, "LANGUAGE");
  f->env = g_environ_unsetenv (f->env, "HF_TOKEN");
  f->env = g_environ_unsetenv (f->env, "HUGGING_FACE_HUB_TOKEN");
  f->env = g_environ_unsetenv (f->env, "BENDI_HUB_PROXY");
  f->env = g_environ_unsetenv (f->env, "http_proxy");
  f->env = g_environ_unsetenv (f->env, "https_proxy");
  /* No keyring to ask for a token. */
  f->env = g_environ_unsetenv (f->env, "DBUS_SESSION_BUS_ADDRESS");
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data G_GNUC_UNUSED)
{
  hub_test_server_free (f->server);
  bendi_test_remove_dir (f->dir);
  g_free (f->dir);
  g_free (f->models);
  g_strfreev (f->env);
  g_bytes_unref (f->content);
}

static void
run_cli (Fixture           *f,
         Run               *r,
         const char *const *args)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  int wait_status;

  memset (r, 0, sizeof *r);
  g_ptr_array_add (argv, (gpointer) f->cli);
  for (gsize i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, f->env, G_SPAWN_DEFAULT, NULL, NULL, &r->out, &r->err,
                               &wait_status, &error));
  g_assert_no_error (error);
  r->status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : 128 + WTERMSIG (wait_status);
}

#define RUN(f, r, ...) run_cli ((f), (r), (const char *const[]) { __VA_ARGS__, NULL })

static void
assert_file_equals (const char *path,
                    GBytes     *expected)
{
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;
  gsize size;

  g_assert_true (g_file_get_contents (path, &contents, &size, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (contents, size, g_bytes_get_data (expected, NULL), g_bytes_get_size (expected));
}

/* The last request for a CDN path, or NULL. */
static HubTestRequest *
last_cdn_request (GPtrArray *requests)
{
  for (guint i = requests->len; i > 0; i--)
    {
      HubTestRequest *r = g_ptr_array_index (requests, i - 1);

      if (g_str_has_prefix (r->path, "/cdn/"))
        return r;
    }
  return NULL;
}

/* ------------------------------------------------------------------------ */

/* The Hub's API shape end to end: the tree listing, the 302 from /resolve/
 * to the CDN, the verified file printed on stdout; then list and rm. */
static void
test_pull (Fixture       *f,
           gconstpointer  data G_GNUC_UNUSED)
{
  g_auto (Run) r = { 0 };
  g_autoptr (GPtrArray) requests = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *expected = NULL;
  gboolean saw_tree = FALSE, saw_redirect = FALSE;
  JsonArray *listed;

  if (f->cli == NULL)
    return;
  RUN (f, &r, "pull", REPO, FILE_NAME);
  g_assert_cmpint (r.status, ==, 0);
  expected = g_build_filename (f->models, REPO, FILE_NAME, NULL);
  g_assert_cmpstr (g_strstrip (r.out), ==, expected);
  assert_file_equals (expected, f->content);

  requests = hub_test_server_get_requests (f->server);
  for (guint i = 0; i < requests->len; i++)
    {
      HubTestRequest *request = g_ptr_array_index (requests, i);

      saw_tree |= g_str_has_prefix (request->path, "/api/models/" REPO "/tree/main");
      saw_redirect |= g_str_equal (request->path, "/" REPO "/resolve/main/" FILE_NAME) && request->status == 302;
    }
  g_assert_true (saw_tree);
  g_assert_true (saw_redirect);
  g_assert_cmpuint (hub_test_server_count_cdn_requests (f->server), ==, 1);

  /* The library lists it, with where it came from. */
  run_clear (&r);
  RUN (f, &r, "list", "--json");
  g_assert_cmpint (r.status, ==, 0);
  json_parser_load_from_data (parser, r.out, -1, &error);
  g_assert_no_error (error);
  listed = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (listed), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (listed, 0), "repo"), ==, REPO);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (listed, 0), "quant"), ==, "Q4_K_M");

  /* rm takes the name list shows. */
  {
    g_autofree char *name = g_strdup (json_object_get_string_member (json_array_get_object_element (listed, 0),
                                                                     "name"));

    run_clear (&r);
    RUN (f, &r, "rm", name);
    g_assert_cmpint (r.status, ==, 0);
    g_assert_false (g_file_test (expected, G_FILE_TEST_EXISTS));
  }
}

/* bendi-cli pull is killed (SIGKILL, no chance to clean up) in the middle of
 * the transfer; the next run hashes what the first left, resumes it with a
 * Range request and ends with a verified, byte-identical file. */
static void
test_pull_killed (Fixture       *f,
                  gconstpointer  data G_GNUC_UNUSED)
{
  g_auto (Run) r = { 0 };
  g_autoptr (GPtrArray) requests = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *part = NULL;
  g_autofree char *final = NULL;
  g_autofree char *expected_range = NULL;
  const char *argv[] = { f->cli, "pull", REPO, FILE_NAME, NULL };
  HubTestRequest *resumed;
  GStatBuf st;
  GPid pid;
  int wait_status;
  gint64 deadline;

  if (f->cli == NULL)
    return;
  part = g_build_filename (f->models, REPO, FILE_NAME ".part", NULL);
  final = g_build_filename (f->models, REPO, FILE_NAME, NULL);

  /* About 3 MB/s: a second or so for the whole file. */
  hub_test_server_set_throttle (f->server, 32 * 1024, 10000);
  g_assert_true (g_spawn_async (NULL, (char **) argv, f->env,
                                G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                                NULL, NULL, &pid, &error));
  g_assert_no_error (error);
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (g_stat (part, &st) != 0 || st.st_size < (goffset) FILE_SIZE / 3)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (2000);
    }
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
  g_assert_cmpint (waitpid (pid, &wait_status, 0), ==, pid);
  g_spawn_close_pid (pid);
  g_assert_true (WIFSIGNALED (wait_status));
  g_assert_cmpint (WTERMSIG (wait_status), ==, SIGKILL);

  /* What the killed run wrote is a part, not a file in the library. */
  g_assert_false (g_file_test (final, G_FILE_TEST_EXISTS));
  g_assert_cmpint (g_stat (part, &st), ==, 0);
  g_assert_cmpint (st.st_size, >=, (goffset) FILE_SIZE / 3);
  g_assert_cmpint (st.st_size, <, (goffset) FILE_SIZE);
  {
    g_autoptr (GBytes) prefix = g_bytes_new_from_bytes (f->content, 0, (gsize) st.st_size);

    assert_file_equals (part, prefix);
  }

  hub_test_server_set_throttle (f->server, 0, 0);
  hub_test_server_clear_requests (f->server);
  RUN (f, &r, "pull", REPO, FILE_NAME);
  g_assert_cmpint (r.status, ==, 0);
  assert_file_equals (final, f->content);
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));

  /* Resumed where the first run stopped, not fetched again from the start. */
  requests = hub_test_server_get_requests (f->server);
  g_assert_cmpuint (hub_test_server_count_cdn_requests (f->server), ==, 1);
  resumed = last_cdn_request (requests);
  expected_range = g_strdup_printf ("bytes=%" G_GINT64_FORMAT "-", (gint64) st.st_size);
  g_assert_cmpstr (resumed->range, ==, expected_range);
  g_assert_nonnull (resumed->if_range);
  g_assert_cmpuint (resumed->status, ==, 206);
}

/* A split model is pulled by its group name: every part, each verified. */
static void
test_pull_split (Fixture       *f,
                 gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (GBytes) part1 = hub_test_random_bytes (100000, 1);
  g_autoptr (GBytes) part2 = hub_test_random_bytes (70000, 2);
  g_autofree char *path1 = NULL;
  g_autofree char *path2 = NULL;
  g_auto (Run) r = { 0 };

  if (f->cli == NULL)
    return;
  hub_test_server_add_file (f->server, REPO, "big-Q8_0-00001-of-00002.gguf", part1, NULL);
  hub_test_server_add_file (f->server, REPO, "big-Q8_0-00002-of-00002.gguf", part2, NULL);
  RUN (f, &r, "pull", REPO, "big-Q8_0.gguf");
  g_assert_cmpint (r.status, ==, 0);
  path1 = g_build_filename (f->models, REPO, "big-Q8_0-00001-of-00002.gguf", NULL);
  path2 = g_build_filename (f->models, REPO, "big-Q8_0-00002-of-00002.gguf", NULL);
  assert_file_equals (path1, part1);
  assert_file_equals (path2, part2);
  g_assert_nonnull (strstr (r.out, path1));
  g_assert_nonnull (strstr (r.out, path2));
}

/* Errors say what went wrong, exit 1, and leave nothing in the library. */
static void
test_pull_errors (Fixture       *f,
                  gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (GBytes) flipped = NULL;
  g_autofree guint8 *copy = NULL;
  g_autofree char *final = NULL;

  if (f->cli == NULL)
    return;
  {
    g_auto (Run) r = { 0 };

    RUN (f, &r, "pull", "nobody/nothing-GGUF", FILE_NAME);
    g_assert_cmpint (r.status, ==, 1);
    g_assert_nonnull (strstr (r.err, "nobody/nothing-GGUF"));
    g_assert_nonnull (strstr (r.err, "not found"));
  }
  {
    g_auto (Run) r = { 0 };

    RUN (f, &r, "pull", REPO, "missing-Q4_0.gguf");
    g_assert_cmpint (r.status, ==, 1);
    g_assert_nonnull (strstr (r.err, "missing-Q4_0.gguf"));
  }
  {
    g_auto (Run) r = { 0 };
    g_autofree char *link = g_strdup_printf ("%s/meta/Gated-GGUF", hub_test_server_get_endpoint (f->server));

    hub_test_server_add_file (f->server, "meta/Gated-GGUF", FILE_NAME, f->content, NULL);
    hub_test_server_set_gated (f->server, "meta/Gated-GGUF", "secret");
    RUN (f, &r, "pull", "meta/Gated-GGUF", FILE_NAME);
    g_assert_cmpint (r.status, ==, 1);
    g_assert_nonnull (strstr (r.err, "gated"));
    g_assert_nonnull (strstr (r.err, link));
    g_assert_nonnull (strstr (r.err, "HF_TOKEN"));
  }

  /* Bytes other than the listed sha256 says. */
  copy = g_memdup2 (g_bytes_get_data (f->content, NULL), FILE_SIZE);
  copy[12345] ^= 1;
  flipped = g_bytes_new (copy, FILE_SIZE);
  hub_test_server_replace_content (f->server, REPO, FILE_NAME, flipped);
  {
    g_auto (Run) r = { 0 };

    RUN (f, &r, "pull", REPO, FILE_NAME);
    g_assert_cmpint (r.status, ==, 1);
    g_assert_nonnull (strstr (r.err, "sha256"));
    g_assert_cmpstr (r.out, ==, "");
  }
  final = g_build_filename (f->models, REPO, FILE_NAME, NULL);
  g_assert_false (g_file_test (final, G_FILE_TEST_EXISTS));
}

/* files REPO: each complete model with a fit verdict, judged from one
 * header read with Range requests and the others' listed sizes; --no-fit
 * reads no header. */
static void
test_files_fit (Fixture       *f,
                gconstpointer  data G_GNUC_UNUSED)
{
  g_autofree char *vocab_path = bendi_test_data_path ("vocab/ggml-vocab-llama-spm.gguf");
  g_autofree char *model_path = NULL;
  g_autoptr (BendiGguf) vocab = NULL;
  g_autoptr (GMappedFile) mapped = NULL;
  g_autoptr (GBytes) model = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  BendiModelMakerParams params;
  JsonArray *groups;
  gboolean saw_tiny = FALSE, saw_huge = FALSE, saw_split = FALSE;

  if (f->cli == NULL || vocab_path == NULL)
    return;
  vocab = bendi_gguf_open (vocab_path, BENDI_GGUF_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  bendi_model_maker_params_init (&params);
  params.arch = BENDI_ARCH_LLAMA;
  params.n_embd = 64;
  params.n_layer = 2;
  params.n_head = 4;
  params.n_head_kv = 4;
  params.n_ff = 128;
  params.type = BENDI_TENSOR_TYPE_Q8_0;
  model_path = g_build_filename (f->dir, "tiny.gguf", NULL);
  g_assert_true (bendi_model_maker_write (&params, vocab, model_path, &error));
  g_assert_no_error (error);
  mapped = g_mapped_file_new (model_path, FALSE, &error);
  g_assert_no_error (error);
  model = g_mapped_file_get_bytes (mapped);

  /* A real small file; the same model listed at 10 TB, which no computer
   * running this test holds in memory; half of a split model. */
  hub_test_server_add_file (f->server, "test/Fit-GGUF", "Fit-Q8_0.gguf", model, NULL);
  hub_test_server_add_listing (f->server, "test/Fit-GGUF", "Fit-F32.gguf", G_GUINT64_CONSTANT (10000000000000));
  hub_test_server_add_listing (f->server, "test/Fit-GGUF", "Fit-Q4_0-00001-of-00002.gguf", 1000000);
  {
    g_auto (Run) r = { 0 };

    RUN (f, &r, "files", "test/Fit-GGUF", "--json");
    g_assert_cmpint (r.status, ==, 0);
    json_parser_load_from_data (parser, r.out, -1, &error);
    g_assert_no_error (error);
  }
  groups = json_node_get_array (json_parser_get_root (parser));
  for (guint i = 0; i < json_array_get_length (groups); i++)
    {
      JsonObject *group = json_array_get_object_element (groups, i);
      const char *name = json_object_get_string_member (group, "name");
      JsonObject *fit = NULL;

      if (json_object_has_member (group, "fit"))
        fit = json_object_get_object_member (group, "fit");
      if (g_str_equal (name, "Fit-Q8_0.gguf"))
        {
          saw_tiny = TRUE;
          g_assert_nonnull (fit);
          g_assert_cmpstr (json_object_get_string_member (fit, "verdict"), !=, "no");
          /* Weights as the header's tensors add up: less than the file, which has the vocabulary too. */
          g_assert_cmpint (json_object_get_int_member (fit, "weights_bytes"), >, 0);
          g_assert_cmpint (json_object_get_int_member (fit, "weights_bytes"), <, (gint64) g_bytes_get_size (model));
          g_assert_cmpint (json_object_get_int_member (fit, "total_bytes"), >,
                           json_object_get_int_member (fit, "weights_bytes"));
        }
      else if (g_str_equal (name, "Fit-F32.gguf"))
        {
          saw_huge = TRUE;
          g_assert_nonnull (fit);
          g_assert_cmpstr (json_object_get_string_member (fit, "verdict"), ==, "no");
          g_assert_cmpint (json_object_get_int_member (fit, "missing_ram_bytes"), >, 0);
        }
      else
        {
          /* Incomplete: nothing to judge. */
          saw_split = TRUE;
          g_assert_false (json_object_get_boolean_member (group, "complete"));
          g_assert_false (json_object_has_member (group, "fit"));
        }
    }
  g_assert_true (saw_tiny && saw_huge && saw_split);
  /* The header came from the real file, with a Range request. */
  {
    g_autoptr (GPtrArray) requests = hub_test_server_get_requests (f->server);
    HubTestRequest *peek = last_cdn_request (requests);

    g_assert_nonnull (peek);
    g_assert_nonnull (strstr (peek->path, "Fit-Q8_0.gguf"));
    g_assert_nonnull (peek->range);
  }

  /* --no-fit: the list alone, no header read. */
  hub_test_server_clear_requests (f->server);
  {
    g_auto (Run) r = { 0 };

    RUN (f, &r, "files", "test/Fit-GGUF", "--no-fit");
    g_assert_cmpint (r.status, ==, 0);
    g_assert_nonnull (strstr (r.out, "Fit-F32.gguf"));
    g_assert_null (strstr (r.out, " no "));
    g_assert_cmpuint (hub_test_server_count_cdn_requests (f->server), ==, 0);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add ("/hub/cli/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("pull", test_pull);
  ADD ("pull-killed", test_pull_killed);
  ADD ("pull-split", test_pull_split);
  ADD ("pull-errors", test_pull_errors);
  ADD ("files-fit", test_files_fit);
#undef ADD

  return g_test_run ();
}
