/* SPDX-License-Identifier: MIT */
/* BPE pre-tokenizers: splits worked out by hand from each tokenizer.ggml.pre
 * value's regexes as llama.cpp applies them, for the vocabularies the shared
 * test data does not cover. */
#include <string.h>

#include "tokenizer/tokenizer-private.h"

/* Asserts @text splits into the words of @expected (NULL-terminated). */
static void
assert_split (const char        *pre,
              const char        *text,
              const char *const *expected)
{
  const BendiPreTokenizerInfo *info = bendi_pre_tokenizer_lookup (pre);
  g_autoptr (GArray) ends = g_array_new (FALSE, FALSE, sizeof (gsize));
  g_autoptr (GString) got = g_string_new (NULL);
  g_autoptr (GString) want = g_string_new (NULL);
  gsize start = 0;

  g_assert_nonnull (info);
  bendi_pre_tokenize (info->pre, text, strlen (text), ends);
  for (guint i = 0; i < ends->len; i++)
    {
      gsize end = g_array_index (ends, gsize, i);

      g_string_append_printf (got, "[%.*s]", (int) (end - start), text + start);
      start = end;
    }
  for (gsize i = 0; expected[i] != NULL; i++)
    g_string_append_printf (want, "[%s]", expected[i]);
  if (!g_str_equal (got->str, want->str))
    g_test_message ("pre-tokenizer %s, text '%s'", pre, text);
  g_assert_cmpstr (got->str, ==, want->str);
}

#define SPLIT(pre, text, ...) assert_split (pre, text, (const char *const[]) { __VA_ARGS__, NULL })

/* 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S) */
static void
test_gpt2 (void)
{
  SPLIT ("gpt-2", "Hello world!!  ", "Hello", " world", "!!", "  ");
  /* Contractions are lowercase only. */
  SPLIT ("gpt-2", "don't DON'T", "don", "'t", " DON", "'", "T");
  /* A run of spaces leaves its last space to the word after it. */
  SPLIT ("gpt-2", "a   b", "a", "  ", " b");
  SPLIT ("gpt-2", " 123abc", " 123", "abc");
  /* mpt and the other aliases take the same rules. */
  SPLIT ("mpt", "Hello world", "Hello", " world");
}

/* Llama 3: case-insensitive contractions, a non-letter may lead a word,
 * numbers in threes, newlines kept together. */
static void
test_llama3 (void)
{
  SPLIT ("llama-bpe", "I'm 12345 ok", "I", "'m", " ", "123", "45", " ok");
  SPLIT ("llama3", "DON'T", "DON", "'T");
  SPLIT ("llama-bpe", "a\n\nb", "a", "\n\n", "b");
  SPLIT ("llama-bpe", "a  b", "a", " ", " b");
  SPLIT ("llama-bpe", "x!!\n", "x", "!!\n");
  /* U+00A0 is white space, so it leads the word; ² and ³ are numbers. */
  SPLIT ("llama-bpe", "\xc2\xa0word\r\n\r\n  x 1\xc2\xb2\xc2\xb3\xc2\xb9",
         "\xc2\xa0word", "\r\n\r\n", " ", " x", " ", "1\xc2\xb2\xc2\xb3", "\xc2\xb9");
}

/* Qwen 2: Llama 3's rules with single digits; Qwen 3.5 keeps combining
 * marks in words. */
static void
test_qwen (void)
{
  SPLIT ("qwen2", "I'm 12345 ok", "I", "'m", " ", "1", "2", "3", "4", "5", " ok");
  SPLIT ("qwen2", "cafe\xcc\x81", "cafe", "\xcc\x81");
  SPLIT ("qwen35", "cafe\xcc\x81", "cafe\xcc\x81");
  SPLIT ("qwen2", "\xe4\xbd\xa0\xe5\xa5\xbd\xef\xbc\x8c\xe4\xb8\x96\xe7\x95\x8c",   /* 你好，世界 */
         "\xe4\xbd\xa0\xe5\xa5\xbd", "\xef\xbc\x8c\xe4\xb8\x96\xe7\x95\x8c");
}

/* default: punctuation runs first, then GPT-2's rules, numbers, and ASCII
 * digits in threes. */
static void
test_default (void)
{
  SPLIT ("default", "a+=b 1234", "a", "+=", "b", " ", "123", "4");
}

static void
test_falcon (void)
{
  SPLIT ("falcon", "a 12345 x`y", "a", " ", "123", "45", " x", "`", "y");
}

/* starcoder, refact, smollm: every digit alone, then GPT-2's rules. */
static void
test_starcoder (void)
{
  SPLIT ("starcoder", "ab12 34", "ab", "1", "2", " ", "3", "4");
  SPLIT ("refact", "x=10", "x", "=", "1", "0");
  SPLIT ("smollm", "ab12 34", "ab", "1", "2", " ", "3", "4");
}

/* [\r\n], \s?\p{L}+, \s?\p{P}+, [一-龥ࠀ-一가-퟿]+, \p{N} */
static void
test_deepseek_coder (void)
{
  SPLIT ("deepseek-coder", "Hello, \xe4\xb8\x96\xe7\x95\x8c" "123\n",
         "Hello", ",", " ", "\xe4\xb8\x96\xe7\x95\x8c", "1", "2", "3", "\n");
  /* Spaces before anything but letters and punctuation stay together. */
  SPLIT ("deepseek-coder", "a   +b", "a", "   +", "b");
}

/* [\r\n], \s?[Latin…]+, \s?[!-/:-~…]+, \s+$, [CJK]+, \p{N}+ */
static void
test_deepseek_llm (void)
{
  SPLIT ("deepseek-llm", "Hello, \xe4\xb8\x96\xe7\x95\x8c 123",
         "Hello", ",", " ", "\xe4\xb8\x96\xe7\x95\x8c", " ", "123");
  /* U+3000 is in its punctuation class, but as white space it only ever
   * matches \s. */
  SPLIT ("deepseek-llm", "Ab\xe3\x80\x80\xef\xbc\x81" "c  ", "Ab", "\xe3\x80\x80\xef\xbc\x81", "c", "  ");
}

/* \p{N}{1,3}, [一-龥぀-ゟ゠-ヿ]+, then one word pattern. */
static void
test_deepseek_v3 (void)
{
  SPLIT ("deepseek-v3", "abc123456 .Net x.Net", "abc", "123", "456", " .", "Net", " x", ".Net");
}

/*  ?[^(\s|.,!?…。，、।۔،)]+, and for viking single digits after. */
static void
test_poro_viking (void)
{
  SPLIT ("poro-chat", "Hello, world.", "Hello", ",", " world", ".");
  SPLIT ("viking", "ab12, cd", "ab", "1", "2", ",", " cd");
}

static void
test_unknown_names (void)
{
  g_assert_null (bendi_pre_tokenizer_lookup ("no-such-pre"));
  g_assert_null (bendi_pre_tokenizer_lookup (""));
  g_assert_nonnull (bendi_pre_tokenizer_lookup ("default"));
}

/* Words always cover the text exactly, whatever it holds. */
static void
test_covers_text (void)
{
  static const char *const pres[] = {
    "default", "gpt-2", "llama-bpe", "qwen2", "qwen35", "deepseek-llm", "deepseek-coder",
    "deepseek-v3", "falcon", "starcoder", "poro-chat", "viking",
  };
  g_autoptr (GString) text = g_string_new (NULL);
  GRand *rand = g_rand_new_with_seed (42);
  static const char *const pieces[] = {
    "a", "Z", "1", " ", "  ", "\t", "\n", "\r\n", "'s", "!", "+", "\xc2\xa0", "\xe3\x80\x80",
    "\xe4\xb8\x96", "\xf0\x9f\xa6\x99", "\xcc\x81", "\xef\xbc\x81", "\xe2\x80\x8d", "\0",
  };

  for (guint round = 0; round < 200; round++)
    {
      g_string_truncate (text, 0);
      for (gint i = g_rand_int_range (rand, 0, 40); i > 0; i--)
        {
          const char *piece = pieces[g_rand_int_range (rand, 0, G_N_ELEMENTS (pieces))];

          g_string_append_len (text, piece, *piece == '\0' ? 1 : (gssize) strlen (piece));
        }
      for (gsize p = 0; p < G_N_ELEMENTS (pres); p++)
        {
          g_autoptr (GArray) ends = g_array_new (FALSE, FALSE, sizeof (gsize));
          gsize prev = 0;

          bendi_pre_tokenize (bendi_pre_tokenizer_lookup (pres[p])->pre, text->str, text->len, ends);
          for (guint i = 0; i < ends->len; i++)
            {
              gsize end = g_array_index (ends, gsize, i);

              g_assert_cmpuint (end, >, prev);
              g_assert_true (bendi_utf8_validate (text->str + prev, end - prev, NULL));
              prev = end;
            }
          g_assert_cmpuint (prev, ==, text->len);
        }
    }
  g_rand_free (rand);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/tokenizer-pre/gpt2", test_gpt2);
  g_test_add_func ("/engine/tokenizer-pre/llama3", test_llama3);
  g_test_add_func ("/engine/tokenizer-pre/qwen", test_qwen);
  g_test_add_func ("/engine/tokenizer-pre/default", test_default);
  g_test_add_func ("/engine/tokenizer-pre/falcon", test_falcon);
  g_test_add_func ("/engine/tokenizer-pre/starcoder", test_starcoder);
  g_test_add_func ("/engine/tokenizer-pre/deepseek-coder", test_deepseek_coder);
  g_test_add_func ("/engine/tokenizer-pre/deepseek-llm", test_deepseek_llm);
  g_test_add_func ("/engine/tokenizer-pre/deepseek-v3", test_deepseek_v3);
  g_test_add_func ("/engine/tokenizer-pre/poro-viking", test_poro_viking);
  g_test_add_func ("/engine/tokenizer-pre/unknown-names", test_unknown_names);
  g_test_add_func ("/engine/tokenizer-pre/covers-text", test_covers_text);

  return g_test_run ();
}
