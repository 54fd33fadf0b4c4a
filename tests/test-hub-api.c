/* SPDX-License-Identifier: MIT */
/* The hub's pieces that need no download: names, SHA-256, the catalogue,
 * search, details and file lists, header peeks, and the local library. */
#include <string.h>
#include <glib/gstdio.h>

#include "gguf-builder.h"
#include "gguf/gguf-writer.h"
#include "hub-catalogue.h"
#include "hub-client.h"
#include "hub-error.h"
#include "hub-library.h"
#include "hub-names.h"
#include "hub-sha256.h"
#include "hub-test-server.h"
#include "test-util.h"

static void
test_quant_names (void)
{
  const struct { const char *name; const char *quant; } cases[] = {
    { "Qwen2.5-7B-Instruct-Q4_K_M.gguf", "Q4_K_M" },
    { "qwen2.5-7b-instruct-q4_k_m-00001-of-00002.gguf", "Q4_K_M" },
    { "llama-2-7b.Q5_K_S.gguf", "Q5_K_S" },
    { "Meta-Llama-3.1-8B-Instruct-IQ4_XS.gguf", "IQ4_XS" },
    { "gemma-2-2b-it-f16.gguf", "F16" },
    { "model-BF16.gguf", "BF16" },
    { "DeepSeek-R1-UD-Q4_K_XL.gguf", "Q4_K_XL" },
    { "Q8_0/model-Q8_0-00001-of-00003.gguf", "Q8_0" },
    { "phi-2.IQ2_XXS.gguf", "IQ2_XXS" },
    { "smollm-135m.gguf", NULL },
    { "BQ4_K_M.gguf", NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpstr (bendi_hub_quant_from_name (cases[i].name), ==, cases[i].quant);
}

static void
test_split_names (void)
{
  g_autofree char *base = NULL;
  guint index = 0, count = 0;

  g_assert_true (bendi_hub_split_parse ("m-Q4_K_M-00002-of-00003.gguf", &index, &count, &base));
  g_assert_cmpuint (index, ==, 2);
  g_assert_cmpuint (count, ==, 3);
  g_assert_cmpstr (base, ==, "m-Q4_K_M.gguf");
  g_assert_false (bendi_hub_split_parse ("m-00004-of-00003.gguf", NULL, NULL, NULL));
  g_assert_false (bendi_hub_split_parse ("m-00000-of-00003.gguf", NULL, NULL, NULL));
  g_assert_false (bendi_hub_split_parse ("m-0001-of-0003.gguf", NULL, NULL, NULL));
  g_assert_false (bendi_hub_split_parse ("m.gguf", NULL, NULL, NULL));

  /* Listing order does not matter; a missing part is seen. */
  {
    g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func ((GDestroyNotify) bendi_hub_file_free);
    g_autoptr (GPtrArray) groups = NULL;
    const BendiHubFileGroup *split, *single;

    g_ptr_array_add (files, bendi_hub_file_new ("big-Q8_0-00002-of-00002.gguf", 20, NULL));
    g_ptr_array_add (files, bendi_hub_file_new ("README.md", 5, NULL));
    g_ptr_array_add (files, bendi_hub_file_new ("big-Q8_0-00001-of-00002.gguf", 10, NULL));
    g_ptr_array_add (files, bendi_hub_file_new ("small-IQ4_XS.gguf", 7, NULL));
    g_ptr_array_add (files, bendi_hub_file_new ("gap-Q2_K-00001-of-00003.gguf", 1, NULL));
    groups = bendi_hub_group_files (files);
    g_assert_cmpuint (groups->len, ==, 3);
    split = g_ptr_array_index (groups, 0);
    g_assert_cmpstr (split->name, ==, "big-Q8_0.gguf");
    g_assert_cmpuint (split->size, ==, 30);
    g_assert_cmpuint (split->parts->len, ==, 2);
    g_assert_cmpstr (((BendiHubFile *) g_ptr_array_index (split->parts, 0))->path, ==, "big-Q8_0-00001-of-00002.gguf");
    g_assert_true (split->complete);
    g_assert_cmpstr (split->quant, ==, "Q8_0");
    g_assert_false (((BendiHubFileGroup *) g_ptr_array_index (groups, 1))->complete);
    single = g_ptr_array_index (groups, 2);
    g_assert_cmpstr (single->quant, ==, "IQ4_XS");
    g_assert_true (single->complete);
  }
}

static void
test_safe_paths (void)
{
  const char *const safe[] = { "a.gguf", "Q4_K_M/a-00001-of-00002.gguf", "dir/.hidden", "中文.gguf" };
  const char *const unsafe[] = { "", "/a.gguf", "../a.gguf", "a/../b", "a/./b", "a//b", "a/", "a\\b",
                                 "a\nb", "a.gguf.part", ".." , "." };

  for (gsize i = 0; i < G_N_ELEMENTS (safe); i++)
    g_assert_true (bendi_hub_file_path_is_safe (safe[i]));
  for (gsize i = 0; i < G_N_ELEMENTS (unsafe); i++)
    g_assert_false (bendi_hub_file_path_is_safe (unsafe[i]));
  g_assert_true (bendi_hub_repo_id_is_valid ("Qwen/Qwen2.5-7B-Instruct-GGUF"));
  g_assert_false (bendi_hub_repo_id_is_valid ("../x"));
  g_assert_false (bendi_hub_repo_id_is_valid ("a/b/c"));
  g_assert_false (bendi_hub_repo_id_is_valid ("a/.."));
  g_assert_false (bendi_hub_repo_id_is_valid ("a"));
}

/* Against GLib's GChecksum, at lengths around every block boundary, in one
 * piece and in odd pieces, with and without the SHA extensions. */
static void
test_sha256 (void)
{
  g_autoptr (GBytes) data = hub_test_random_bytes (5000, 3);
  const guint8 *p = g_bytes_get_data (data, NULL);

  for (guint portable = 0; portable < 2; portable++)
    {
      bendi_sha256_force_portable (portable);
      for (gsize n = 0; n < 5000; n += (n < 300 ? 1 : 97))
        {
          g_autoptr (GBytes) slice = g_bytes_new_from_bytes (data, 0, n);
          g_autofree char *expected = hub_test_sha256 (slice);
          char got[BENDI_SHA256_HEX_LENGTH + 1];
          BendiSha256 sha;
          gsize done = 0;

          bendi_sha256_init (&sha);
          while (done < n)
            {
              gsize step = MIN (n - done, 1 + (done * 7) % 131);

              bendi_sha256_update (&sha, p + done, step);
              done += step;
            }
          bendi_sha256_finish_hex (&sha, got);
          g_assert_cmpstr (got, ==, expected);
        }
    }
  bendi_sha256_force_portable (FALSE);
  g_test_message ("SHA extensions in use: %s", bendi_sha256_is_accelerated () ? "yes" : "no");
}

/* The shipped catalogue: enough entries, every field, the families the
 * issue names, and "supported" matching the engine's architectures. */
static void
test_catalogue (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) entries = bendi_hub_catalogue_load (NULL, &error);
  const char *const families[] = { "Qwen", "DeepSeek", "GLM", "Yi", "InternLM", "MiniCPM", "Llama", "Gemma",
                                   "Mistral", "Phi", "SmolLM" };
  gboolean small = FALSE, large = FALSE, coding = FALSE, reasoning = FALSE, unsupported = FALSE;

  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, >=, 25);
  for (gsize f = 0; f < G_N_ELEMENTS (families); f++)
    {
      gboolean found = FALSE;

      for (guint i = 0; i < entries->len && !found; i++)
        found = g_str_has_prefix (((BendiHubCatalogueEntry *) g_ptr_array_index (entries, i))->family, families[f]);
      if (!found)
        g_error ("No %s model in the catalogue", families[f]);
    }
  for (guint i = 0; i < entries->len; i++)
    {
      const BendiHubCatalogueEntry *e = g_ptr_array_index (entries, i);

      g_assert_true (g_str_has_prefix (e->license_url, "https://"));
      /* Every fact has a place it was checked. */
      g_assert_nonnull (strstr (e->source, "https://huggingface.co/"));
      g_assert_true (g_utf8_validate (e->description_zh, -1, NULL));
      g_assert_cmpint (e->supported, ==, bendi_hub_architecture_is_supported (e->architecture));
      small |= e->params_total <= G_GINT64_CONSTANT (1000000000);
      large |= e->params_total >= G_GINT64_CONSTANT (65000000000);
      coding |= g_strv_contains ((const char * const *) e->tasks, "coding");
      reasoning |= g_strv_contains ((const char * const *) e->tasks, "reasoning");
      unsupported |= !e->supported;
    }
  g_assert_true (small && large && coding && reasoning && unsupported);
}

static void
test_catalogue_refuses_bad_entries (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "c.json", NULL);
  const char *const bad[] = {
    "{\"models\": [{\"repo\": \"a/b\"}]}",
    "{\"models\": 3}",
    "{\"models\": [{\"repo\": \"../b\", \"name\": \"x\"}]}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) entries = NULL;

      g_assert_true (g_file_set_contents (path, bad[i], -1, NULL));
      entries = bendi_hub_catalogue_load (path, &error);
      g_assert_null (entries);
      g_assert_nonnull (error);
    }
  bendi_test_remove_dir (dir);
}

/* ------------------------------------------------------------------------ */

static void
result_cb (GObject      *object G_GNUC_UNUSED,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static BendiHubClient *
client_for (HubTestServer *server)
{
  g_autoptr (BendiHubConfig) config = bendi_hub_config_new ();

  bendi_hub_config_set_endpoint (config, hub_test_server_get_endpoint (server));
  return bendi_hub_client_new (config);
}

static void
test_search_and_details (void)
{
  HubTestServer *server = hub_test_server_new ();
  g_autoptr (BendiHubClient) client = client_for (server);
  g_autoptr (GBytes) bytes = hub_test_random_bytes (100, 1);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GPtrArray) models = NULL;
  g_autoptr (BendiHubModel) model = NULL;
  g_autoptr (GError) error = NULL;

  hub_test_server_add_file (server, "Qwen/Qwen2.5-0.5B-Instruct-GGUF", "q-Q4_K_M.gguf", bytes, NULL);
  hub_test_server_add_file (server, "other/Thing", "t.gguf", bytes, NULL);
  bendi_hub_client_search_async (client, "qwen", BENDI_HUB_SORT_DOWNLOADS, 20, NULL, result_cb, &result);
  models = bendi_hub_client_search_finish (client, wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (models->len, ==, 1);
  model = bendi_hub_model_copy (g_ptr_array_index (models, 0));
  g_assert_cmpstr (model->id, ==, "Qwen/Qwen2.5-0.5B-Instruct-GGUF");
  g_assert_cmpstr (model->author, ==, "Qwen");
  g_assert_cmpstr (model->license, ==, "apache-2.0");
  g_assert_null (model->gated);
  {
    g_autoptr (GPtrArray) requests = hub_test_server_get_requests (server);
    const HubTestRequest *r = g_ptr_array_index (requests, 0);

    g_assert_cmpstr (r->path, ==, "/api/models");
  }

  g_clear_object (&result);
  g_clear_pointer (&model, bendi_hub_model_free);
  hub_test_server_set_gated (server, "other/Thing", "t");
  bendi_hub_client_get_model_async (client, "other/Thing", NULL, result_cb, &result);
  model = bendi_hub_client_get_model_finish (client, wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (model->gated, ==, "manual");

  g_clear_object (&result);
  g_clear_pointer (&model, bendi_hub_model_free);
  bendi_hub_client_get_model_async (client, "no/such", NULL, result_cb, &result);
  model = bendi_hub_client_get_model_finish (client, wait_for (&result), &error);
  g_assert_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_clear_object (&result);
  bendi_hub_client_get_model_async (client, "../../etc", NULL, result_cb, &result);
  model = bendi_hub_client_get_model_finish (client, wait_for (&result), &error);
  g_assert_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_INVALID_ARGUMENT);

  g_clear_object (&client);
  hub_test_server_free (server);
}

/* A GGUF whose header is longer than the first fetch: the peek asks for
 * more with Range and never fetches the tensor data. */
static void
test_peek_header (void)
{
  HubTestServer *server = hub_test_server_new ();
  g_autoptr (BendiHubClient) client = client_for (server);
  g_autoptr (BendiGgufWriter) writer = bendi_gguf_writer_new ();
  g_autoptr (GBytes) tensor = hub_test_random_bytes (8 * 1024 * 1024, 2);
  g_autoptr (GBytes) file = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiGguf) gguf = NULL;
  g_autofree char *long_text = g_strnfill (3 * 1024 * 1024, 'x');
  const gint64 ne[1] = { 2 * 1024 * 1024 };
  const char *arch = NULL;

  bendi_gguf_writer_add_string (writer, "general.architecture", "qwen2");
  bendi_gguf_writer_add_string (writer, "long.text", long_text);
  bendi_gguf_writer_add_tensor (writer, "w", BENDI_TENSOR_TYPE_F32, 1, ne, tensor);
  file = bendi_gguf_writer_write_bytes (writer, NULL, NULL, &error);
  g_assert_no_error (error);
  hub_test_server_add_file (server, "a/b", "m-F32.gguf", file, NULL);

  bendi_hub_client_peek_header_async (client, "a/b", NULL, "m-F32.gguf", NULL, result_cb, &result);
  gguf = bendi_hub_client_peek_header_finish (client, wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_true (bendi_gguf_is_header_only (gguf));
  g_assert_true (bendi_gguf_get_string (gguf, "general.architecture", TRUE, &arch, NULL));
  g_assert_cmpstr (arch, ==, "qwen2");
  g_assert_cmpuint (bendi_gguf_get_file_size (gguf), ==, g_bytes_get_size (file));
  g_assert_cmpuint (bendi_gguf_find_tensor (gguf, "w")->n_bytes, ==, 8 * 1024 * 1024);
  {
    g_autoptr (GPtrArray) requests = hub_test_server_get_requests (server);
    guint cdn = 0;

    for (guint i = 0; i < requests->len; i++)
      {
        const HubTestRequest *r = g_ptr_array_index (requests, i);

        if (g_str_has_prefix (r->path, "/cdn/"))
          {
            cdn++;
            g_assert_nonnull (r->range);
            g_assert_cmpuint (r->status, ==, 206);
          }
      }
    g_assert_cmpuint (cdn, ==, 2);
  }
  g_clear_object (&client);
  hub_test_server_free (server);
}

/* LM Studio's and Ollama's folders under a fake home, a download, an import. */
static void
test_library (void)
{
  g_autofree char *home = g_strdup (g_get_home_dir ());
  g_autofree char *models = g_build_filename (home, "bendi-models", NULL);
  g_autofree char *lms = g_build_filename (home, ".lmstudio", "models", "lmstudio-community", "Q-GGUF", NULL);
  g_autofree char *manifest_dir = g_build_filename (home, ".ollama", "models", "manifests", "registry.ollama.ai",
                                                    "library", "qwen2.5", NULL);
  g_autofree char *blobs = g_build_filename (home, ".ollama", "models", "blobs", NULL);
  g_autofree char *bendi_repo = g_build_filename (models, "Qwen", "Q-GGUF", NULL);
  g_autofree char *elsewhere = g_build_filename (home, "picked.gguf", NULL);
  g_autoptr (GBytes) gguf = gguf_build_small_model ();
  const char *digest = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) found = NULL;
  struct { const char *dir; const char *name; } files[] = {
    { lms, "q-Q4_K_M.gguf" },
    { bendi_repo, "q-Q8_0-00001-of-00002.gguf" },
    { bendi_repo, "q-Q8_0-00002-of-00002.gguf" },
  };
  guint by_source[4] = { 0 };

  g_assert_cmpint (g_mkdir_with_parents (manifest_dir, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (blobs, 0755), ==, 0);
  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (files[i].dir, files[i].name, NULL);

      g_assert_cmpint (g_mkdir_with_parents (files[i].dir, 0755), ==, 0);
      g_assert_true (g_file_set_contents (path, g_bytes_get_data (gguf, NULL), (gssize) g_bytes_get_size (gguf), NULL));
    }
  g_assert_true (g_file_set_contents (elsewhere, g_bytes_get_data (gguf, NULL), (gssize) g_bytes_get_size (gguf), NULL));
  {
    g_autofree char *blob = g_strdup_printf ("%s/sha256-%s", blobs, digest);
    g_autofree char *manifest = g_build_filename (manifest_dir, "7b", NULL);
    g_autofree char *evil = g_build_filename (manifest_dir, "evil", NULL);
    g_autofree char *text = g_strdup_printf ("{\"layers\": [{\"mediaType\": \"application/vnd.ollama.image.model\","
                                             " \"digest\": \"sha256:%s\"}]}", digest);

    g_assert_true (g_file_set_contents (blob, g_bytes_get_data (gguf, NULL), (gssize) g_bytes_get_size (gguf), NULL));
    g_assert_true (g_file_set_contents (manifest, text, -1, NULL));
    /* A manifest whose digest would climb out of blobs/ is ignored. */
    g_assert_true (g_file_set_contents (evil, "{\"layers\": [{\"mediaType\": \"application/vnd.ollama.image.model\","
                                              " \"digest\": \"sha256:../../../../etc/passwd\"}]}", -1, NULL));
  }

  g_assert_true (bendi_hub_library_import (models, elsewhere, &error));
  g_assert_no_error (error);
  found = bendi_hub_library_scan (models, BENDI_HUB_SCAN_DEFAULT, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < found->len; i++)
    {
      const BendiHubLocalModel *m = g_ptr_array_index (found, i);

      by_source[m->source]++;
      g_assert_cmpstr (m->architecture, ==, "llama");
      if (m->source == BENDI_HUB_SOURCE_BENDI)
        {
          g_assert_cmpstr (m->name, ==, "Qwen/Q-GGUF/q-Q8_0.gguf");
          g_assert_cmpstr (m->repo_id, ==, "Qwen/Q-GGUF");
          g_assert_cmpuint (g_strv_length (m->paths), ==, 2);
          g_assert_cmpstr (m->quant, ==, "Q8_0");
          g_assert_cmpuint (m->size, ==, 2 * g_bytes_get_size (gguf));
        }
      if (m->source == BENDI_HUB_SOURCE_OLLAMA)
        g_assert_cmpstr (m->name, ==, "qwen2.5:7b");
    }
  g_assert_cmpuint (by_source[BENDI_HUB_SOURCE_BENDI], ==, 1);
  g_assert_cmpuint (by_source[BENDI_HUB_SOURCE_IMPORTED], ==, 1);
  g_assert_cmpuint (by_source[BENDI_HUB_SOURCE_LM_STUDIO], ==, 1);
  g_assert_cmpuint (by_source[BENDI_HUB_SOURCE_OLLAMA], ==, 1);

  /* Removing: Bendi's files go, an import is forgotten, others refused. */
  for (guint i = 0; i < found->len; i++)
    {
      const BendiHubLocalModel *m = g_ptr_array_index (found, i);
      gboolean ok = bendi_hub_library_remove (models, m, &error);

      if (m->source == BENDI_HUB_SOURCE_BENDI || m->source == BENDI_HUB_SOURCE_IMPORTED)
        g_assert_no_error (error);
      else
        g_assert_false (ok);
      g_clear_error (&error);
    }
  g_assert_false (g_file_test (bendi_repo, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (elsewhere, G_FILE_TEST_EXISTS));
  g_clear_pointer (&found, g_ptr_array_unref);
  found = bendi_hub_library_scan (models, BENDI_HUB_SCAN_NO_DISCOVER, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *home = bendi_test_make_temp_dir ();
  int status;

  /* Discovery looks in the home folder: a fresh one, before GLib caches it. */
  g_setenv ("HOME", home, TRUE);
  g_unsetenv ("OLLAMA_MODELS");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/hub/names/quant", test_quant_names);
  g_test_add_func ("/hub/names/split", test_split_names);
  g_test_add_func ("/hub/names/safe-paths", test_safe_paths);
  g_test_add_func ("/hub/sha256", test_sha256);
  g_test_add_func ("/hub/catalogue/shipped", test_catalogue);
  g_test_add_func ("/hub/catalogue/bad-entries", test_catalogue_refuses_bad_entries);
  g_test_add_func ("/hub/api/search-and-details", test_search_and_details);
  g_test_add_func ("/hub/api/peek-header", test_peek_header);
  g_test_add_func ("/hub/library", test_library);

  status = g_test_run ();
  bendi_test_remove_dir (home);
  return status;
}
