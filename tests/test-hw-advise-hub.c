/* SPDX-License-Identifier: MIT */
/* bendi-cli advise OWNER/REPO against a Hub-shaped server: one header peeked, the other files sized from their listed sizes. */
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/wait.h>

#include "hub-test-server.h"
#include "model/model-maker.h"
#include "test-util.h"

#define REPO "test/Tiny-GGUF"

static void
test_advise_repo (void)
{
  g_autofree char *vocab_path = bendi_test_data_path ("vocab/ggml-vocab-llama-spm.gguf");
  g_autofree char *dir = NULL;
  g_autofree char *model_path = NULL;
  g_autofree char *cache = NULL;
  g_autofree char *models = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiGguf) vocab = NULL;
  g_autoptr (GBytes) content = NULL;
  g_autoptr (GMappedFile) mapped = NULL;
  g_autoptr (GPtrArray) requests = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_auto (GStrv) env = g_get_environ ();
  HubTestServer *server;
  BendiModelMakerParams params;
  const char *cli = bendi_test_cli_path ();
  gsize size;
  int wait_status;
  JsonObject *o;
  JsonArray *files;
  gboolean peeked = FALSE;

  if (vocab_path == NULL || cli == NULL)
    return;
  dir = bendi_test_make_temp_dir ();
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
  model_path = g_build_filename (dir, "model.gguf", NULL);
  g_assert_true (bendi_model_maker_write (&params, vocab, model_path, &error));
  g_assert_no_error (error);
  mapped = g_mapped_file_new (model_path, FALSE, &error);
  g_assert_no_error (error);
  content = g_mapped_file_get_bytes (mapped);
  size = g_bytes_get_size (content);

  /* One file to peek at; the rest only listed, as far as this test goes;
   * half a split model; a README. */
  server = hub_test_server_new ();
  hub_test_server_add_file (server, REPO, "Tiny-IQ4_XS.gguf", content, NULL);
  hub_test_server_add_listing (server, REPO, "Tiny-Q8_0.gguf", 2 * size);
  hub_test_server_add_listing (server, REPO, "Tiny-Q2_K.gguf", size / 2);
  hub_test_server_add_listing (server, REPO, "Tiny-F16-00001-of-00002.gguf", 2 * size);
  hub_test_server_add_listing (server, REPO, "README.md", 100);

  cache = g_build_filename (dir, "cache", NULL);
  models = g_build_filename (dir, "models", NULL);
  env = g_environ_setenv (env, "HF_ENDPOINT", hub_test_server_get_endpoint (server), TRUE);
  env = g_environ_unsetenv (env, "HF_TOKEN");
  env = g_environ_unsetenv (env, "HUGGING_FACE_HUB_TOKEN");
  env = g_environ_unsetenv (env, "BENDI_HUB_PROXY");
  env = g_environ_setenv (env, "XDG_CACHE_HOME", cache, TRUE);
  env = g_environ_setenv (env, "BENDI_MODELS_DIR", models, TRUE);
  env = g_environ_setenv (env, "LC_ALL", "C.UTF-8", TRUE);
  env = g_environ_unsetenv (env, "LANGUAGE");
  g_assert_true (g_spawn_sync (NULL, (char *[]) { (char *) cli, "advise", REPO, "--no-measure", "--json", NULL }, env,
                               G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &wait_status, &error));
  g_assert_no_error (error);
  if (!WIFEXITED (wait_status) || WEXITSTATUS (wait_status) != 0)
    g_error ("bendi-cli advise failed: %s", err);

  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  o = json_node_get_object (json_parser_get_root (parser));
  files = json_object_get_array_member (o, "files");
  /* The incomplete split model is left out, and said so. */
  g_assert_cmpuint (json_array_get_length (files), ==, 3);
  g_assert_nonnull (strstr (err, "Tiny-F16"));
  for (guint i = 0; i < 3; i++)
    {
      JsonObject *file = json_array_get_object_element (files, i);
      const char *name = json_object_get_string_member (file, "file");
      const char *quant = json_object_get_string_member (file, "quant");
      gint64 weights = json_object_get_int_member (file, "weights_bytes");

      /* Named from the file names, sized from the listing. */
      g_assert_true (g_str_has_prefix (name, "Tiny-"));
      g_assert_true (g_str_has_prefix (name + 5, quant));
      g_assert_cmpint (weights, >, 0);
      if (g_str_equal (quant, "Q8_0"))
        g_assert_cmpint (weights, >, (gint64) size);
      if (g_str_equal (quant, "Q2_K"))
        g_assert_cmpint (weights, <, (gint64) size / 2);
    }
  g_assert_false (json_object_get_null_member (o, "recommended"));

  /* Only the one header was fetched. */
  requests = hub_test_server_get_requests (server);
  for (guint i = 0; i < requests->len; i++)
    {
      const HubTestRequest *request = g_ptr_array_index (requests, i);

      g_assert_null (strstr (request->path, "Q8_0"));
      g_assert_null (strstr (request->path, "Q2_K"));
      if (strstr (request->path, "IQ4_XS") != NULL && request->range != NULL)
        peeked = TRUE;
    }
  g_assert_true (peeked);

  hub_test_server_free (server);
  bendi_test_remove_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/hw/advise/hub-repository", test_advise_repo);

  return g_test_run ();
}
