/* SPDX-License-Identifier: MIT */
/* bendi-cli hw, fit and advise as a user runs them: exit codes and the JSON they print. */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/wait.h>

#include "test-hw-util.h"
#include "test-util.h"

/* TinyLlama's shape: 0.6 GB, fits on any machine that runs the tests. */
static const HwTestModel tiny_q4k = {
  "llama", 32000, 2048, 22, 32, 4, 5632, 2048, 0, 0, BENDI_TENSOR_TYPE_Q4_K, FALSE, 15
};
static const HwTestModel tiny_q8 = {
  "llama", 32000, 2048, 22, 32, 4, 5632, 2048, 0, 0, BENDI_TENSOR_TYPE_Q8_0, FALSE, 7
};

typedef struct {
  char *dir;
  char *cache;
  int   status;
  char *out;
  char *err;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data G_GNUC_UNUSED)
{
  f->dir = bendi_test_make_temp_dir ();
  f->cache = g_build_filename (f->dir, "cache", NULL);
}

static void
clear_run (Fixture *f)
{
  g_clear_pointer (&f->out, g_free);
  g_clear_pointer (&f->err, g_free);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data G_GNUC_UNUSED)
{
  clear_run (f);
  bendi_test_remove_dir (f->dir);
  g_free (f->dir);
  g_free (f->cache);
}

/* Runs bendi-cli with its cache in the fixture; FALSE (the test skipped)
 * when BENDI_CLI is not set. */
static gboolean
run (Fixture           *f,
     const char *const *args)
{
  const char *cli = bendi_test_cli_path ();
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_auto (GStrv) env = g_get_environ ();
  g_autoptr (GError) error = NULL;
  int wait_status;

  clear_run (f);
  if (cli == NULL)
    return FALSE;
  env = g_environ_setenv (env, "XDG_CACHE_HOME", f->cache, TRUE);
  env = g_environ_unsetenv (env, "LANGUAGE");
  env = g_environ_setenv (env, "LC_ALL", "C.UTF-8", TRUE);
  g_ptr_array_add (argv, (gpointer) cli);
  for (gsize i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, env, G_SPAWN_DEFAULT, NULL, NULL, &f->out, &f->err,
                               &wait_status, &error));
  g_assert_no_error (error);
  f->status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : 128 + WTERMSIG (wait_status);
  return TRUE;
}

#define RUN(f, ...) run ((f), (const char *const[]) { __VA_ARGS__, NULL })

static JsonObject *
parse (const char *text,
       JsonNode  **root)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  *root = json_node_copy (json_parser_get_root (parser));
  g_assert_true (JSON_NODE_HOLDS_OBJECT (*root));
  return json_node_get_object (*root);
}

static void
test_hw (Fixture       *f,
         gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (JsonNode) root = NULL;
  JsonObject *o;

  if (!RUN (f, "hw", "--json"))
    return;
  g_assert_cmpint (f->status, ==, 0);
  o = parse (f->out, &root);
  g_assert_cmpint (json_object_get_int_member (o, "logical_cores"), >=, 1);
  g_assert_cmpint (json_object_get_int_member (o, "physical_cores"), >=, 1);
  g_assert_cmpint (json_object_get_int_member (o, "ram_total_bytes"), >, 0);
  g_assert_cmpint (json_object_get_int_member (o, "ram_available_bytes"), <=,
                   json_object_get_int_member (o, "ram_total_bytes"));
  g_assert_true (json_object_has_member (o, "disk_free_bytes"));
  g_assert_true (JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "gpus")));
  /* A fresh cache: nothing measured. */
  g_assert_true (json_object_get_null_member (o, "cpu_bandwidth_gbps"));
  for (guint i = 0; i < json_array_get_length (json_object_get_array_member (o, "gpus")); i++)
    {
      JsonObject *gpu = json_array_get_object_element (json_object_get_array_member (o, "gpus"), i);

      g_assert_true (json_object_has_member (gpu, "vram_bytes"));
      g_assert_true (json_object_has_member (gpu, "bandwidth_gbps"));
    }

  if (!RUN (f, "hw"))
    return;
  g_assert_cmpint (f->status, ==, 0);
  g_assert_nonnull (strstr (f->out, "memory:"));

  if (!RUN (f, "hw", "extra"))
    return;
  g_assert_cmpint (f->status, ==, 2);
}

/* Measures, caches, and the next run reads the cache. */
static void
test_hw_measure (Fixture       *f,
                 gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (JsonNode) measured_root = NULL;
  g_autoptr (JsonNode) cached_root = NULL;
  g_autofree char *cache_file = g_build_filename (f->cache, "bendi", "bandwidth.ini", NULL);
  double measured;
  JsonObject *o;

  if (!RUN (f, "hw", "--measure", "--json"))
    return;
  g_assert_cmpint (f->status, ==, 0);
  o = parse (f->out, &measured_root);
  measured = json_object_get_double_member (o, "cpu_bandwidth_gbps");
  g_assert_cmpfloat (measured, >, 0.0);
  g_assert_cmpfloat (json_object_get_double_member (o, "measure_seconds"), >, 0.0);
  g_assert_true (g_file_test (cache_file, G_FILE_TEST_IS_REGULAR));

  if (!RUN (f, "hw", "--json"))
    return;
  o = parse (f->out, &cached_root);
  g_assert_cmpfloat (json_object_get_double_member (o, "cpu_bandwidth_gbps"), ==, measured);
}

static void
test_fit (Fixture       *f,
          gconstpointer  data G_GNUC_UNUSED)
{
  g_autofree char *model = hw_test_write_model (f->dir, "tiny.gguf", &tiny_q4k);
  g_autoptr (JsonNode) root = NULL;
  const char *verdict;
  JsonObject *o;

  if (!RUN (f, "fit", "-m", model, "--ctx", "2048", "--no-measure", "--json"))
    return;
  g_assert_cmpint (f->status, ==, 0);
  o = parse (f->out, &root);
  verdict = json_object_get_string_member (o, "verdict");
  g_assert_true (g_strv_contains ((const char *const[]) { "gpu", "partial", "cpu", NULL }, verdict));
  g_assert_cmpint (json_object_get_int_member (o, "n_layers"), ==, 22);
  g_assert_cmpint (json_object_get_int_member (o, "n_ctx"), ==, 2048);
  g_assert_cmpint (json_object_get_int_member (o, "weights_bytes"), ==,
                   (gint64) (hw_test_shared_bytes (&tiny_q4k) + 22 * hw_test_layer_bytes (&tiny_q4k)));
  /* 2 × 22 layers × 2048 positions × 256 (4 KV heads of 64) × 2 bytes */
  g_assert_cmpint (json_object_get_int_member (o, "kv_cache_bytes"), ==, 2 * 22 * 2048 * 256 * 2);
  g_assert_cmpint (json_object_get_int_member (o, "total_bytes"), ==,
                   json_object_get_int_member (o, "weights_bytes") + json_object_get_int_member (o, "kv_cache_bytes") +
                   json_object_get_int_member (o, "buffers_bytes") + json_object_get_int_member (o, "overhead_bytes"));
  g_assert_cmpint (json_object_get_int_member (o, "gpu_layers"), <=, 22);
  /* Not measured, not estimated. */
  g_assert_true (json_object_get_null_member (o, "est_gen_tokens_per_s"));
  g_assert_true (json_object_get_boolean_member (o, "engine_supported"));
  g_assert_true (g_str_has_suffix (json_object_get_string_member (o, "explanation"),
                                   "Speed unknown until the memory bandwidth is measured (bendi-cli hw --measure)."));

  /* Forced onto the CPU. */
  if (!RUN (f, "fit", "-m", model, "--gpu-layers", "0", "--no-measure"))
    return;
  g_assert_cmpint (f->status, ==, 0);
  g_assert_true (g_str_has_prefix (strstr (f->out, ": "), ": cpu\n"));

  if (!RUN (f, "fit", "-m", model, "--gpu-layers", "many"))
    return;
  g_assert_cmpint (f->status, ==, 2);
  if (!RUN (f, "fit"))
    return;
  g_assert_cmpint (f->status, ==, 2);
  if (!RUN (f, "fit", "-m", f->dir, "--no-measure"))
    return;
  g_assert_cmpint (f->status, ==, 1);
}

static void
test_advise (Fixture       *f,
             gconstpointer  data G_GNUC_UNUSED)
{
  g_autofree char *repo = g_build_filename (f->dir, "repo", NULL);
  g_autofree char *a = NULL, *b = NULL;
  g_autofree char *missing = g_build_filename (f->dir, "absent", NULL);
  g_autofree char *empty = g_build_filename (f->dir, "empty", NULL);
  g_autoptr (JsonNode) root = NULL;
  JsonArray *files;
  JsonObject *o;

  g_assert_cmpint (g_mkdir (repo, 0700), ==, 0);
  a = hw_test_write_model (repo, "tiny-Q4_K_M.gguf", &tiny_q4k);
  b = hw_test_write_model (repo, "tiny-Q8_0.gguf", &tiny_q8);

  if (!RUN (f, "advise", repo, "--no-measure", "--json"))
    return;
  g_assert_cmpint (f->status, ==, 0);
  o = parse (f->out, &root);
  files = json_object_get_array_member (o, "files");
  g_assert_cmpuint (json_array_get_length (files), ==, 2);
  /* The recommended one comes first, named by its header's file type. */
  g_assert_cmpstr (json_object_get_string_member (o, "recommended"), ==,
                   json_object_get_string_member (json_array_get_object_element (files, 0), "file"));
  g_assert_true (json_object_get_boolean_member (json_array_get_object_element (files, 0), "recommended"));
  for (guint i = 0; i < 2; i++)
    {
      JsonObject *file = json_array_get_object_element (files, i);
      const char *name = json_object_get_string_member (file, "file");

      g_assert_cmpstr (json_object_get_string_member (file, "quant"), ==,
                       g_str_equal (name, "tiny-Q8_0.gguf") ? "Q8_0" : "Q4_K_M");
      g_assert_true (json_object_has_member (file, "verdict"));
      g_assert_true (json_object_has_member (file, "total_bytes"));
    }

  if (!RUN (f, "advise", repo, "--no-measure"))
    return;
  g_assert_cmpint (f->status, ==, 0);
  g_assert_true (g_str_has_prefix (f->out, "Recommended: "));

  if (!RUN (f, "advise", missing))
    return;
  g_assert_cmpint (f->status, ==, 2);
  g_assert_cmpint (g_mkdir (empty, 0700), ==, 0);
  if (!RUN (f, "advise", empty, "--no-measure"))
    return;
  g_assert_cmpint (f->status, !=, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/hw/cli/hw", test_hw);
  ADD ("/hw/cli/hw-measure", test_hw_measure);
  ADD ("/hw/cli/fit", test_fit);
  ADD ("/hw/cli/advise", test_advise);
#undef ADD

  return g_test_run ();
}
