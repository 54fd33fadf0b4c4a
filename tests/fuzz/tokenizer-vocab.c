/* SPDX-License-Identifier: MIT */
/* Small synthetic vocabularies for the tokenizer tests and fuzz target. */
#include "tokenizer-vocab.h"

#include <string.h>

static TestVocab *
vocab_new (void)
{
  TestVocab *v = g_new0 (TestVocab, 1);

  v->tokens = g_ptr_array_new_with_free_func (g_free);
  v->scores = g_array_new (FALSE, FALSE, sizeof (float));
  v->types = g_array_new (FALSE, FALSE, sizeof (gint32));
  return v;
}

void
test_vocab_free (TestVocab *v)
{
  if (v == NULL)
    return;
  g_ptr_array_unref (v->tokens);
  g_array_unref (v->scores);
  g_array_unref (v->types);
  if (v->merges != NULL)
    g_ptr_array_unref (v->merges);
  g_free (v);
}

BendiToken
test_vocab_add (TestVocab  *v,
                const char *text,
                float       score,
                gint32      type)
{
  g_ptr_array_add (v->tokens, g_strdup (text));
  g_array_append_val (v->scores, score);
  g_array_append_val (v->types, type);
  return (BendiToken) v->tokens->len - 1;
}

void
test_vocab_set (TestVocab  *v,
                BendiToken  id,
                const char *text)
{
  g_assert_true (id >= 0 && (guint) id < v->tokens->len);
  g_free (v->tokens->pdata[id]);
  v->tokens->pdata[id] = g_strdup (text);
}

TestVocab *
test_vocab_new_spm (gboolean with_bytes)
{
  TestVocab *v = vocab_new ();

  test_vocab_add (v, "<unk>", 0, TEST_TOKEN_UNKNOWN);
  test_vocab_add (v, "<s>", 0, TEST_TOKEN_CONTROL);
  test_vocab_add (v, "</s>", 0, TEST_TOKEN_CONTROL);
  for (guint b = 0; b < 256; b++)
    {
      g_autofree char *text = with_bytes ? g_strdup_printf ("<0x%02X>", b) : g_strdup_printf ("filler%u", b);

      test_vocab_add (v, text, 0, with_bytes ? TEST_TOKEN_BYTE : TEST_TOKEN_NORMAL);
    }
  test_vocab_add (v, "\xe2\x96\x81", -1, TEST_TOKEN_NORMAL);
  test_vocab_add (v, "a", -2, TEST_TOKEN_NORMAL);
  test_vocab_add (v, "b", -3, TEST_TOKEN_NORMAL);
  test_vocab_add (v, "c", -4, TEST_TOKEN_NORMAL);
  test_vocab_add (v, "\xe2\x96\x81" "a", -5, TEST_TOKEN_NORMAL);
  test_vocab_add (v, "ab", -6, TEST_TOKEN_NORMAL);
  test_vocab_add (v, "\xe2\x96\x81" "ab", -7, TEST_TOKEN_NORMAL);
  test_vocab_add (v, "bc", -1.5f, TEST_TOKEN_NORMAL);
  test_vocab_add (v, "<|im_start|>", 0, TEST_TOKEN_CONTROL);
  test_vocab_add (v, "<tool>", 0, TEST_TOKEN_USER_DEFINED);
  return v;
}

TestVocab *
test_vocab_new_bpe (void)
{
  TestVocab *v = vocab_new ();
  gunichar next = 0x100;

  /* Printable bytes stand for themselves; the others take U+0100 onwards
   * in byte order. */
  for (guint b = 0; b < 256; b++)
    {
      gboolean printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || b >= 0xae;
      char utf8[8] = { 0 };

      g_unichar_to_utf8 (printable ? b : next++, utf8);
      test_vocab_add (v, utf8, 0, TEST_TOKEN_NORMAL);
    }
  test_vocab_add (v, "ab", 0, TEST_TOKEN_NORMAL);
  test_vocab_add (v, "\xc4\xa0" "a", 0, TEST_TOKEN_NORMAL);
  test_vocab_add (v, "\xc4\xa0" "ab", 0, TEST_TOKEN_NORMAL);
  test_vocab_add (v, "\xc4\xa0" "bc", 0, TEST_TOKEN_NORMAL);
  test_vocab_add (v, "<|endoftext|>", 0, TEST_TOKEN_CONTROL);
  test_vocab_add (v, "<|im_end|>", 0, TEST_TOKEN_NORMAL);
  test_vocab_add (v, "<tool>", 0, TEST_TOKEN_USER_DEFINED);

  v->merges = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (v->merges, g_strdup ("\xc4\xa0 a"));
  g_ptr_array_add (v->merges, g_strdup ("a b"));
  g_ptr_array_add (v->merges, g_strdup ("\xc4\xa0" "a b"));
  return v;
}

static void
add_strings (BendiGgufWriter *writer,
             const char      *key,
             GPtrArray       *strings)
{
  bendi_gguf_writer_add_string_array (writer, key, (const char *const *) strings->pdata, strings->len);
}

BendiGgufWriter *
test_vocab_writer (const TestVocab *v,
                   const char      *model,
                   const char      *pre,
                   TestOmit         omit)
{
  BendiGgufWriter *writer = bendi_gguf_writer_new ();

  bendi_gguf_writer_add_string (writer, "general.architecture", "llama");
  bendi_gguf_writer_add_string (writer, "tokenizer.ggml.model", model);
  if (pre != NULL)
    bendi_gguf_writer_add_string (writer, "tokenizer.ggml.pre", pre);
  if (!(omit & TEST_OMIT_TOKENS))
    add_strings (writer, "tokenizer.ggml.tokens", v->tokens);
  if (!(omit & TEST_OMIT_SCORES))
    bendi_gguf_writer_add_array (writer, "tokenizer.ggml.scores", BENDI_GGUF_TYPE_FLOAT32,
                                 v->scores->data, v->scores->len);
  if (!(omit & TEST_OMIT_TYPES))
    bendi_gguf_writer_add_array (writer, "tokenizer.ggml.token_type", BENDI_GGUF_TYPE_INT32,
                                 v->types->data, v->types->len);
  if (v->merges != NULL && !(omit & TEST_OMIT_MERGES))
    add_strings (writer, "tokenizer.ggml.merges", v->merges);
  return writer;
}

BendiTokenizer *
test_vocab_load (BendiGgufWriter *writer,
                 GError         **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GBytes) bytes = bendi_gguf_writer_write_bytes (writer, NULL, NULL, &local_error);
  g_autoptr (BendiGguf) gguf = NULL;

  g_assert_no_error (local_error);
  gguf = bendi_gguf_new_from_bytes (bytes, &local_error);
  g_assert_no_error (local_error);
  return bendi_tokenizer_new_from_gguf (gguf, error);
}
