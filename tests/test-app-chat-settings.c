/* SPDX-License-Identifier: MIT */
/* Per-model chat settings: the GPU layers a model is given, saved with it and read back, and the default they follow until chosen. */
#include <locale.h>

#include <json-glib/json-glib.h>

#include "chat-settings.h"
#include "test-util.h"

/* The saved file's "gpu_layers" for @model, or G_MININT64 when absent. */
static gint64
saved_gpu_layers (const char *path,
                  const char *model)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonObject *models;
  JsonObject *values;

  g_assert_true (json_parser_load_from_file (parser, path, &error));
  g_assert_no_error (error);
  models = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "models");
  g_assert_nonnull (models);
  values = json_object_get_object_member (models, model);
  g_assert_nonnull (values);
  if (!json_object_has_member (values, "gpu_layers"))
    return G_MININT64;
  return json_object_get_int_member (values, "gpu_layers");
}

static void
test_gpu_layers_round_trip (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "chat-settings.json", NULL);
  BendiChatSettings *settings;
  gint64 layers = 0;
  double temperature = 0.0;

  settings = bendi_chat_settings_new (path);
  /* Preferences say 20: a model with nothing chosen follows them. */
  bendi_chat_settings_set_default_gpu_layers (settings, 20);
  bendi_chat_settings_set_model (settings, "/models/a.gguf");
  g_assert_cmpint (bendi_chat_settings_get_gpu_layers (settings), ==, 20);
  /* Another value saved for it leaves the GPU layers unchosen. */
  g_object_set (settings, "temperature", 0.5, NULL);
  bendi_chat_settings_flush (settings);
  g_assert_cmpint (saved_gpu_layers (path, "a.gguf"), ==, G_MININT64);

  g_object_set (settings, "gpu-layers", (gint64) 7, NULL);
  bendi_chat_settings_set_model (settings, "/models/b.gguf");
  g_object_set (settings, "gpu-layers", (gint64) -1, NULL);
  bendi_chat_settings_flush (settings);
  g_assert_cmpint (saved_gpu_layers (path, "a.gguf"), ==, 7);
  g_assert_cmpint (saved_gpu_layers (path, "b.gguf"), ==, -1);
  g_assert_finalize_object (settings);

  /* Read back by a new instance, by file name (a moved file keeps them). */
  settings = bendi_chat_settings_new (path);
  bendi_chat_settings_set_default_gpu_layers (settings, 0);
  bendi_chat_settings_set_model (settings, "/elsewhere/a.gguf");
  g_object_get (settings, "gpu-layers", &layers, NULL);
  g_assert_cmpint (layers, ==, 7);
  g_object_get (settings, "temperature", &temperature, NULL);
  g_assert_cmpfloat_with_epsilon (temperature, 0.5, 1e-9);
  bendi_chat_settings_set_model (settings, "/models/b.gguf");
  g_assert_cmpint (bendi_chat_settings_get_gpu_layers (settings), ==, -1);
  /* A model never seen gets Preferences', and follows them. */
  bendi_chat_settings_set_model (settings, "/models/c.gguf");
  g_assert_cmpint (bendi_chat_settings_get_gpu_layers (settings), ==, 0);
  bendi_chat_settings_set_default_gpu_layers (settings, 12);
  g_assert_cmpint (bendi_chat_settings_get_gpu_layers (settings), ==, 12);
  /* Resetting a model forgets its choice. */
  bendi_chat_settings_set_model (settings, "/models/a.gguf");
  bendi_chat_settings_reset (settings);
  g_assert_cmpint (bendi_chat_settings_get_gpu_layers (settings), ==, 12);
  bendi_chat_settings_flush (settings);
  g_assert_cmpint (saved_gpu_layers (path, "a.gguf"), ==, G_MININT64);
  g_assert_finalize_object (settings);

  bendi_test_remove_dir (dir);
}

/* The backend: Preferences' until chosen for the model, then the model's,
 * saved and read back; a name the engine does not know is refused. */
static void
test_backend_round_trip (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "chat-settings.json", NULL);
  g_autofree char *text = NULL;
  BendiChatSettings *settings;

  settings = bendi_chat_settings_new (path);
  g_assert_cmpstr (bendi_chat_settings_get_backend (settings), ==, "auto");
  bendi_chat_settings_set_default_backend (settings, "vulkan");
  bendi_chat_settings_set_model (settings, "/models/a.gguf");
  g_assert_cmpstr (bendi_chat_settings_get_backend (settings), ==, "vulkan");
  g_object_set (settings, "backend", "cpu", NULL);
  g_object_set (settings, "backend", "quantum", NULL);
  g_assert_cmpstr (bendi_chat_settings_get_backend (settings), ==, "cpu");
  bendi_chat_settings_set_model (settings, "/models/b.gguf");
  g_object_set (settings, "temperature", 0.3, NULL);
  bendi_chat_settings_flush (settings);
  g_assert_finalize_object (settings);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, "\"backend\" : \"cpu\""));

  settings = bendi_chat_settings_new (path);
  bendi_chat_settings_set_default_backend (settings, "auto");
  bendi_chat_settings_set_model (settings, "a.gguf");
  g_assert_cmpstr (bendi_chat_settings_get_backend (settings), ==, "cpu");
  bendi_chat_settings_set_model (settings, "b.gguf");
  g_assert_cmpstr (bendi_chat_settings_get_backend (settings), ==, "auto");
  bendi_chat_settings_set_default_backend (settings, "vulkan");
  g_assert_cmpstr (bendi_chat_settings_get_backend (settings), ==, "vulkan");
  g_assert_finalize_object (settings);
  bendi_test_remove_dir (dir);
}

/* A hand-edited file cannot set what the spin button could not. */
static void
test_gpu_layers_invalid (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "chat-settings.json", NULL);
  const char *text = "{ \"version\": 1, \"models\": { \"a.gguf\": { \"gpu_layers\": -7 },"
                     " \"b.gguf\": { \"gpu_layers\": \"many\" }, \"c.gguf\": { \"gpu_layers\": 40 } } }";
  BendiChatSettings *settings;

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  settings = bendi_chat_settings_new (path);
  bendi_chat_settings_set_default_gpu_layers (settings, 5);
  bendi_chat_settings_set_model (settings, "a.gguf");
  g_assert_cmpint (bendi_chat_settings_get_gpu_layers (settings), ==, 5);
  bendi_chat_settings_set_model (settings, "b.gguf");
  g_assert_cmpint (bendi_chat_settings_get_gpu_layers (settings), ==, 5);
  bendi_chat_settings_set_model (settings, "c.gguf");
  g_assert_cmpint (bendi_chat_settings_get_gpu_layers (settings), ==, 40);
  g_assert_finalize_object (settings);
  bendi_test_remove_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("LANGUAGE", "C", TRUE);
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/app/chat-settings/gpu-layers-round-trip", test_gpu_layers_round_trip);
  g_test_add_func ("/app/chat-settings/gpu-layers-invalid", test_gpu_layers_invalid);
  g_test_add_func ("/app/chat-settings/backend-round-trip", test_backend_round_trip);

  return g_test_run ();
}
