/* SPDX-License-Identifier: MIT */
/* Helpers for tests that run models. */
#include "test-model-util.h"

#include <math.h>

#include "gguf/gguf-writer.h"

BendiGguf *
bendi_test_tiny_vocab (void)
{
  return bendi_test_tiny_vocab_with_eos (2);
}

BendiGguf *
bendi_test_tiny_vocab_with_eos (gint32 eos)
{
  static const char *const words[] = {
    "▁", "▁a", "▁the", "▁little", "▁girl", "▁boy", "▁dog", "▁ran", "▁to", "▁park",
    "▁Once", "▁upon", "▁time", "▁was", "▁happy", "▁sun", "▁and", "▁she", "▁he", ".",
    ",", "e", "t", "a", "o", "n", "s", "h", "r", "d", "l", "u", "▁t", "he", "in",
  };
  g_autoptr (BendiGgufWriter) writer = bendi_gguf_writer_new ();
  g_autoptr (GPtrArray) tokens = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) scores = g_array_new (FALSE, FALSE, sizeof (float));
  g_autoptr (GArray) types = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  BendiGguf *gguf;

#define ADD(text, score, type) G_STMT_START { \
    float s_ = (score); gint32 t_ = (type); \
    g_ptr_array_add (tokens, (text)); \
    g_array_append_val (scores, s_); \
    g_array_append_val (types, t_); \
  } G_STMT_END
  ADD (g_strdup ("<unk>"), 0.0f, 2);
  ADD (g_strdup ("<s>"), 0.0f, 3);
  ADD (g_strdup ("</s>"), 0.0f, 3);
  for (int b = 0; b < 256; b++)
    ADD (g_strdup_printf ("<0x%02X>", b), 0.0f, 6);
  for (gsize i = 0; i < G_N_ELEMENTS (words); i++)
    ADD (g_strdup (words[i]), -(float) i, 1);
#undef ADD

  bendi_gguf_writer_add_string (writer, "general.architecture", "llama");
  bendi_gguf_writer_add_string (writer, "tokenizer.ggml.model", "llama");
  bendi_gguf_writer_add_string_array (writer, "tokenizer.ggml.tokens", (const char *const *) tokens->pdata,
                                      tokens->len);
  bendi_gguf_writer_add_array (writer, "tokenizer.ggml.scores", BENDI_GGUF_TYPE_FLOAT32, scores->data,
                               scores->len);
  bendi_gguf_writer_add_array (writer, "tokenizer.ggml.token_type", BENDI_GGUF_TYPE_INT32, types->data,
                               types->len);
  bendi_gguf_writer_add_uint32 (writer, "tokenizer.ggml.bos_token_id", 1);
  bendi_gguf_writer_add_uint32 (writer, "tokenizer.ggml.eos_token_id", (guint32) eos);
  bendi_gguf_writer_add_uint32 (writer, "tokenizer.ggml.unknown_token_id", 0);
  bendi_gguf_writer_add_bool (writer, "tokenizer.ggml.add_bos_token", TRUE);
  bytes = bendi_gguf_writer_write_bytes (writer, NULL, NULL, &error);
  g_assert_no_error (error);
  gguf = bendi_gguf_new_from_bytes (bytes, &error);
  g_assert_no_error (error);
  return gguf;
}

char *
bendi_test_make_model (const char                  *dir,
                       const char                  *name,
                       const BendiModelMakerParams *params)
{
  g_autoptr (BendiGguf) vocab = bendi_test_tiny_vocab ();

  return bendi_test_make_model_with_vocab (dir, name, params, vocab);
}

char *
bendi_test_make_model_with_vocab (const char                  *dir,
                                  const char                  *name,
                                  const BendiModelMakerParams *params,
                                  const BendiGguf             *vocab)
{
  g_autoptr (GError) error = NULL;
  char *path = g_build_filename (dir, name, NULL);
  BendiModelMakerParams defaults;

  if (params == NULL)
    {
      bendi_model_maker_params_init (&defaults);
      params = &defaults;
    }
  g_assert_true (bendi_model_maker_write (params, vocab, path, &error));
  g_assert_no_error (error);
  return path;
}

BendiModel *
bendi_test_load_model (const char *path,
                       gboolean    repack)
{
  g_autoptr (GError) error = NULL;
  BendiModelParams params;
  BendiModel *model;

  bendi_model_params_init (&params);
  params.repack = repack;
  model = bendi_model_load (path, &params, NULL, NULL, &error);
  g_assert_no_error (error);
  return model;
}

double
bendi_test_relative_rms_error (const float *a,
                               const float *b,
                               gint64       n)
{
  double diff = 0.0, ref = 0.0;

  for (gint64 i = 0; i < n; i++)
    {
      diff += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
      ref += (double) b[i] * b[i];
    }
  return sqrt (diff / MAX (ref, 1e-30));
}
