/* SPDX-License-Identifier: MIT */
/* Tokenizers: llama.cpp's conformance cases, special tokens, decoding and
 * streaming, and vocabularies that are broken on purpose. */
#include <math.h>
#include <string.h>

#include "engine-error.h"
#include "fuzz/tokenizer-vocab.h"
#include "test-util.h"
#include "tokenizer/tokenizer.h"

/* ------------------------------------------------------------------------ */
/* Helpers */

static BendiTokenizer *
load_shared_vocab (const char *name)
{
  g_autofree char *relative = g_strdup_printf ("vocab/ggml-vocab-%s.gguf", name);
  g_autofree char *path = bendi_test_data_path (relative);
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiGguf) gguf = NULL;
  BendiTokenizer *tokenizer;

  if (path == NULL)
    return NULL;
  gguf = bendi_gguf_open (path, BENDI_GGUF_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  tokenizer = bendi_tokenizer_new_from_gguf (gguf, &error);
  g_assert_no_error (error);
  return tokenizer;
}

static GArray *
encode (const BendiTokenizer *tokenizer,
        const char           *text,
        BendiTokenizeFlags    flags)
{
  g_autoptr (GError) error = NULL;
  GArray *tokens = bendi_tokenizer_encode (tokenizer, text, strlen (text), flags, &error);

  g_assert_no_error (error);
  g_assert_nonnull (tokens);
  return tokens;
}

static char *
format_tokens (const GArray *tokens)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < tokens->len; i++)
    g_string_append_printf (out, " %d", g_array_index (tokens, BendiToken, i));
  return g_string_free (out, FALSE);
}

/* Asserts @text encodes to @expected, a space-separated list of ids. */
static void
assert_encodes (const BendiTokenizer *tokenizer,
                const char           *text,
                BendiTokenizeFlags    flags,
                const char           *expected)
{
  g_autoptr (GArray) tokens = encode (tokenizer, text, flags);
  g_autofree char *got = format_tokens (tokens);
  g_autofree char *want = g_strconcat (*expected != '\0' ? " " : "", expected, NULL);

  if (g_strcmp0 (got, want) != 0)
    g_test_message ("text '%s'", text);
  g_assert_cmpstr (got, ==, want);
}

/* ------------------------------------------------------------------------ */
/* Conformance: llama.cpp's test-tokenizer-0 cases, tokenised without BOS
 * and without special-token parsing. */

static void
run_conformance (const char *name)
{
  g_autoptr (BendiTokenizer) tokenizer = load_shared_vocab (name);
  g_autofree char *inp_rel = g_strdup_printf ("vocab/ggml-vocab-%s.gguf.inp", name);
  g_autofree char *out_rel = g_strdup_printf ("vocab/ggml-vocab-%s.gguf.out", name);
  g_autofree char *inp_path = NULL;
  g_autofree char *out_path = NULL;
  g_autofree char *inp = NULL;
  g_autofree char *outp = NULL;
  g_auto (GStrv) cases = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GError) error = NULL;
  guint n_cases, n_failed = 0;

  if (tokenizer == NULL)
    return;
  inp_path = bendi_test_data_path (inp_rel);
  out_path = bendi_test_data_path (out_rel);
  if (inp_path == NULL || out_path == NULL)
    return;
  g_file_get_contents (inp_path, &inp, NULL, &error);
  g_assert_no_error (error);
  g_file_get_contents (out_path, &outp, NULL, &error);
  g_assert_no_error (error);

  /* Each case ends with the separator; each expected line with \n. */
  cases = g_strsplit (inp, "\n__ggml_vocab_test__\n", -1);
  lines = g_strsplit (outp, "\n", -1);
  n_cases = g_strv_length (cases);
  g_assert_cmpuint (n_cases, >, 1);
  g_assert_cmpstr (cases[n_cases - 1], ==, "");
  n_cases--;
  g_assert_cmpuint (g_strv_length (lines), ==, n_cases + 1);

  for (guint i = 0; i < n_cases; i++)
    {
      g_autoptr (GArray) tokens = encode (tokenizer, cases[i], BENDI_TOKENIZE_DEFAULT);
      g_autofree char *got = format_tokens (tokens);

      if (strcmp (got, lines[i]) != 0)
        {
          g_test_message ("%s case %u '%s':\n  expected%s\n  got     %s", name, i, cases[i], lines[i], got);
          n_failed++;
        }
    }
  g_assert_cmpuint (n_failed, ==, 0);
}

static void
test_conformance_llama_spm (void)
{
  run_conformance ("llama-spm");
}

static void
test_conformance_phi3 (void)
{
  run_conformance ("phi-3");
}

static void
test_conformance_gpt2 (void)
{
  run_conformance ("gpt-2");
}

static void
test_conformance_deepseek_coder (void)
{
  run_conformance ("deepseek-coder");
}

/* ------------------------------------------------------------------------ */
/* Synthetic vocabularies (tokenizer-vocab.h) */

static BendiTokenizer *
load_vocab (const TestVocab *v,
            const char      *model,
            const char      *pre)
{
  g_autoptr (BendiGgufWriter) writer = test_vocab_writer (v, model, pre, TEST_OMIT_NONE);
  g_autoptr (GError) error = NULL;
  BendiTokenizer *tokenizer = test_vocab_load (writer, &error);

  g_assert_no_error (error);
  return tokenizer;
}

/* Asserts the vocabulary @writer makes is refused with @code, and that the
 * message holds @needle. */
static void
assert_refused (BendiGgufWriter *writer,
                gint             code,
                const char      *needle)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiTokenizer) tokenizer = test_vocab_load (writer, &error);

  g_assert_null (tokenizer);
  g_assert_error (error, BENDI_ENGINE_ERROR, code);
  if (strstr (error->message, needle) == NULL)
    g_test_message ("message: %s", error->message);
  g_assert_nonnull (strstr (error->message, needle));
}

/* ------------------------------------------------------------------------ */
/* SentencePiece */

static void
test_spm_merges (void)
{
  g_autoptr (TestVocab) v = test_vocab_new_spm (TRUE);
  g_autoptr (BendiTokenizer) tokenizer = load_vocab (v, "llama", NULL);
  g_autofree char *expected_ab = g_strdup_printf ("%d", TEST_SPM_SPACE_AB);
  g_autofree char *expected_abc = g_strdup_printf ("%d %d", TEST_SPM_SPACE_A, TEST_SPM_BC);
  g_autofree char *expected_fallback = g_strdup_printf ("%d %d %d", TEST_SPM_SPACE, TEST_SPM_BYTE (0xc3), TEST_SPM_BYTE (0xa9));
  g_autofree char *expected_two = g_strdup_printf ("%d %d", TEST_SPM_SPACE_A, TEST_SPM_SPACE_AB);

  g_assert_cmpstr (bendi_tokenizer_get_model (tokenizer), ==, "llama");
  g_assert_cmpstr (bendi_tokenizer_get_pre (tokenizer), ==, "default");
  /* "▁ab": ▁a (-5) merges before ab (-6), then ▁a + b is ▁ab. */
  assert_encodes (tokenizer, "ab", BENDI_TOKENIZE_DEFAULT, expected_ab);
  /* "▁abc": bc (-1.5) is the best pair, then ▁a (-5); ▁abc is no token. */
  assert_encodes (tokenizer, "abc", BENDI_TOKENIZE_DEFAULT, expected_abc);
  /* é is no token: its two bytes become byte tokens. */
  assert_encodes (tokenizer, "\xc3\xa9", BENDI_TOKENIZE_DEFAULT, expected_fallback);
  /* A space inside the text is a ▁ too. */
  assert_encodes (tokenizer, "a ab", BENDI_TOKENIZE_DEFAULT, expected_two);
  assert_encodes (tokenizer, "", BENDI_TOKENIZE_DEFAULT, "");
}

/* Without byte tokens an unknown character is one <unk>. */
static void
test_spm_unknown (void)
{
  g_autoptr (TestVocab) v = test_vocab_new_spm (FALSE);
  g_autoptr (BendiTokenizer) tokenizer = load_vocab (v, "llama", NULL);
  g_autofree char *expected = g_strdup_printf ("%d 0 %d", TEST_SPM_SPACE_A, TEST_SPM_B);

  assert_encodes (tokenizer, "a\xe4\xb8\x96" "b", BENDI_TOKENIZE_DEFAULT, expected);
}

/* add_space_prefix false: no dummy ▁ in front. */
static void
test_spm_no_prefix (void)
{
  g_autoptr (TestVocab) v = test_vocab_new_spm (TRUE);
  g_autoptr (BendiGgufWriter) writer = test_vocab_writer (v, "llama", NULL, TEST_OMIT_NONE);
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiTokenizer) tokenizer = NULL;
  g_autofree char *expected = g_strdup_printf ("%d", TEST_SPM_AB);
  g_autofree char *piece = NULL;
  BendiToken ab = TEST_SPM_AB;

  bendi_gguf_writer_add_bool (writer, "tokenizer.ggml.add_space_prefix", FALSE);
  tokenizer = test_vocab_load (writer, &error);
  g_assert_no_error (error);
  assert_encodes (tokenizer, "ab", BENDI_TOKENIZE_DEFAULT, expected);
  /* Nor is a leading space taken off when decoding. */
  piece = bendi_tokenizer_decode (tokenizer, &ab, 1, FALSE);
  g_assert_cmpstr (piece, ==, "ab");
}

/* ------------------------------------------------------------------------ */
/* Byte-level BPE */

static void
test_bpe_merges (void)
{
  g_autoptr (TestVocab) v = test_vocab_new_bpe ();
  g_autoptr (BendiTokenizer) tokenizer = load_vocab (v, "gpt2", "gpt-2");
  g_autofree char *expected = g_strdup_printf ("%d %d", TEST_BPE_AB, TEST_BPE_SPACE_AB);

  g_assert_cmpstr (bendi_tokenizer_get_model (tokenizer), ==, "gpt2");
  g_assert_cmpstr (bendi_tokenizer_get_pre (tokenizer), ==, "gpt-2");
  /* " ab": Ġ a (rank 0) before a b (rank 1), then Ġa b (rank 2). */
  assert_encodes (tokenizer, "ab ab", BENDI_TOKENIZE_DEFAULT, expected);
}

/* The same words with "a b" ranked first: " ab" stops at Ġ + ab. */
static void
test_bpe_rank_order (void)
{
  g_autoptr (TestVocab) v = test_vocab_new_bpe ();
  g_autoptr (BendiTokenizer) tokenizer = NULL;
  g_autofree char *expected = g_strdup_printf ("%d %d", ' ', TEST_BPE_AB);
  gpointer first;

  first = v->merges->pdata[0];
  v->merges->pdata[0] = v->merges->pdata[1];
  v->merges->pdata[1] = first;
  tokenizer = load_vocab (v, "gpt2", "gpt-2");
  /* Tokens are in byte order, so Ġ (the space) is id 0x20. */
  assert_encodes (tokenizer, " ab", BENDI_TOKENIZE_DEFAULT, expected);
}

/* Llama 3's ignore_merges: a word that is a token is taken whole. */
static void
test_bpe_ignore_merges (void)
{
  g_autoptr (TestVocab) v = test_vocab_new_bpe ();
  g_autoptr (BendiTokenizer) gpt2 = load_vocab (v, "gpt2", "gpt-2");
  g_autoptr (BendiTokenizer) llama3 = load_vocab (v, "gpt2", "llama-bpe");
  g_autofree char *split = g_strdup_printf ("%d %d %d", 0x20, 'b', 'c');
  g_autofree char *whole = g_strdup_printf ("%d", TEST_BPE_SPACE_BC);

  assert_encodes (gpt2, " bc", BENDI_TOKENIZE_DEFAULT, split);
  assert_encodes (llama3, " bc", BENDI_TOKENIZE_DEFAULT, whole);
  g_assert_false (bendi_tokenizer_get_add_bos (gpt2));
  g_assert_true (bendi_tokenizer_get_add_bos (llama3));
}

/* A character the vocabulary lacks is dropped, as in llama.cpp. */
static void
test_bpe_missing_character (void)
{
  g_autoptr (TestVocab) v = test_vocab_new_bpe ();
  g_autoptr (BendiTokenizer) tokenizer = NULL;
  g_autofree char *expected = g_strdup_printf ("%d %d", 'x', 'y');

  /* Rename the token for byte 'q' so that no token spells it. */
  test_vocab_set (v, 'q', "not-q");
  tokenizer = load_vocab (v, "gpt2", "gpt-2");
  assert_encodes (tokenizer, "xqy", BENDI_TOKENIZE_DEFAULT, expected);
}

/* ------------------------------------------------------------------------ */
/* Special tokens, BOS and EOS */

static void
test_special_tokens_bpe (void)
{
  g_autoptr (TestVocab) v = test_vocab_new_bpe ();
  g_autoptr (BendiTokenizer) tokenizer = load_vocab (v, "gpt2", "gpt-2");
  g_autoptr (GArray) plain = encode (tokenizer, "a<|endoftext|>", BENDI_TOKENIZE_DEFAULT);
  g_autofree char *parsed = g_strdup_printf ("%d %d", 'a', TEST_BPE_EOT);
  g_autofree char *tool = g_strdup_printf ("%d %d %d", 'a', TEST_BPE_TOOL, 'b');

  /* Control tokens are text unless asked for. */
  for (guint i = 0; i < plain->len; i++)
    g_assert_cmpint (g_array_index (plain, BendiToken, i), !=, TEST_BPE_EOT);
  g_assert_cmpuint (plain->len, >, 2);
  assert_encodes (tokenizer, "a<|endoftext|>", BENDI_TOKENIZE_PARSE_SPECIAL, parsed);
  /* User-defined tokens are split out either way. */
  assert_encodes (tokenizer, "a<tool>b", BENDI_TOKENIZE_DEFAULT, tool);
  assert_encodes (tokenizer, "a<tool>b", BENDI_TOKENIZE_PARSE_SPECIAL, tool);

  /* A control-looking token is made a control token and ends generation. */
  g_assert_true (bendi_tokenizer_is_control (tokenizer, TEST_BPE_IM_END));
  g_assert_true (bendi_tokenizer_is_end_of_generation (tokenizer, TEST_BPE_IM_END));
  g_assert_true (bendi_tokenizer_is_end_of_generation (tokenizer, TEST_BPE_EOT));
  g_assert_false (bendi_tokenizer_is_end_of_generation (tokenizer, TEST_BPE_TOOL));
  g_assert_false (bendi_tokenizer_is_control (tokenizer, TEST_BPE_TOOL));
  g_assert_false (bendi_tokenizer_is_end_of_generation (tokenizer, 'a'));
  g_assert_false (bendi_tokenizer_is_end_of_generation (tokenizer, -1));
  g_assert_false (bendi_tokenizer_is_end_of_generation (tokenizer, 1 << 30));
}

static void
test_special_tokens_llama (void)
{
  g_autoptr (BendiTokenizer) tokenizer = load_shared_vocab ("llama-spm");
  g_autoptr (GArray) hello = NULL;
  g_autoptr (GArray) plain = NULL;
  g_autofree char *expected = NULL;

  if (tokenizer == NULL)
    return;
  hello = encode (tokenizer, "Hello", BENDI_TOKENIZE_DEFAULT);
  g_assert_cmpuint (hello->len, ==, 1);
  /* After a special token the text gets the dummy prefix again. */
  expected = g_strdup_printf ("1 %d 2", g_array_index (hello, BendiToken, 0));
  assert_encodes (tokenizer, "<s>Hello</s>", BENDI_TOKENIZE_PARSE_SPECIAL, expected);
  plain = encode (tokenizer, "<s>Hello</s>", BENDI_TOKENIZE_DEFAULT);
  for (guint i = 0; i < plain->len; i++)
    g_assert_cmpint (g_array_index (plain, BendiToken, i), >, 2);

  g_assert_true (bendi_tokenizer_is_control (tokenizer, 1));
  g_assert_true (bendi_tokenizer_is_end_of_generation (tokenizer, 2));
  g_assert_false (bendi_tokenizer_is_end_of_generation (tokenizer, 1));
  g_assert_cmpstr (bendi_tokenizer_get_text (tokenizer, 1), ==, "<s>");
  g_assert_null (bendi_tokenizer_get_text (tokenizer, 32000));
  g_assert_cmpint (bendi_tokenizer_get_n_vocab (tokenizer), ==, 32000);
}

/* Phi-3 drops the white space after its chat tokens (but not after <s>). */
static void
test_special_tokens_phi3 (void)
{
  g_autoptr (BendiTokenizer) tokenizer = load_shared_vocab ("phi-3");
  g_autoptr (GArray) hi = NULL;
  g_autofree char *expected = NULL;

  if (tokenizer == NULL)
    return;
  hi = encode (tokenizer, "Hi", BENDI_TOKENIZE_DEFAULT);
  g_assert_cmpuint (hi->len, ==, 1);
  /* <|user|> 32010, <|end|> 32007, <|assistant|> 32001 */
  expected = g_strdup_printf ("32010 %d 32007 32001", g_array_index (hi, BendiToken, 0));
  assert_encodes (tokenizer, "<|user|>\nHi<|end|>\n<|assistant|>\n", BENDI_TOKENIZE_PARSE_SPECIAL, expected);
  g_assert_true (bendi_tokenizer_is_end_of_generation (tokenizer, 32007));
  g_assert_true (bendi_tokenizer_is_end_of_generation (tokenizer, 32000));
  g_assert_false (bendi_tokenizer_is_end_of_generation (tokenizer, 32010));
  g_assert_cmpint (bendi_tokenizer_get_eos (tokenizer), ==, 32000);
}

/* deepseek-coder's user-defined tokens (õ ÷ Á…) are matched in plain
 * text; its control tokens only when asked. */
static void
test_special_tokens_deepseek (void)
{
  g_autoptr (BendiTokenizer) tokenizer = load_shared_vocab ("deepseek-coder");
  const char *bos = "<\xef\xbd\x9c" "begin\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>";
  g_autoptr (GArray) plain = NULL;

  if (tokenizer == NULL)
    return;
  assert_encodes (tokenizer, "\xc3\xb5", BENDI_TOKENIZE_DEFAULT, "32000");
  assert_encodes (tokenizer, bos, BENDI_TOKENIZE_PARSE_SPECIAL, "32013");
  plain = encode (tokenizer, bos, BENDI_TOKENIZE_DEFAULT);
  g_assert_cmpuint (plain->len, >, 1);
  g_assert_true (bendi_tokenizer_is_end_of_generation (tokenizer, 32014));
  g_assert_false (bendi_tokenizer_is_end_of_generation (tokenizer, 32013));
}

static void
test_bos_eos (void)
{
  g_autoptr (BendiTokenizer) llama = load_shared_vocab ("llama-spm");
  g_autoptr (BendiTokenizer) gpt2 = load_shared_vocab ("gpt-2");
  g_autoptr (BendiTokenizer) deepseek = load_shared_vocab ("deepseek-coder");
  g_autoptr (TestVocab) v = test_vocab_new_spm (TRUE);
  g_autoptr (BendiGgufWriter) writer = test_vocab_writer (v, "llama", NULL, TEST_OMIT_NONE);
  g_autoptr (BendiTokenizer) with_eos = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *expected = g_strdup_printf ("1 %d 2", TEST_SPM_SPACE_AB);

  if (llama == NULL || gpt2 == NULL || deepseek == NULL)
    return;
  g_assert_true (bendi_tokenizer_get_add_bos (llama));
  g_assert_false (bendi_tokenizer_get_add_eos (llama));
  g_assert_cmpint (bendi_tokenizer_get_bos (llama), ==, 1);
  assert_encodes (llama, "Hello", BENDI_TOKENIZE_ADD_SPECIAL, "1 15043");
  assert_encodes (llama, "", BENDI_TOKENIZE_ADD_SPECIAL, "1");

  /* GPT-2 adds no BOS by default. */
  g_assert_false (bendi_tokenizer_get_add_bos (gpt2));
  g_assert_cmpint (bendi_tokenizer_get_bos (gpt2), ==, 50256);
  assert_encodes (gpt2, "Hello", BENDI_TOKENIZE_ADD_SPECIAL, "15496");

  g_assert_true (bendi_tokenizer_get_add_bos (deepseek));
  g_assert_cmpint (bendi_tokenizer_get_bos (deepseek), ==, 32013);

  bendi_gguf_writer_add_bool (writer, "tokenizer.ggml.add_eos_token", TRUE);
  with_eos = test_vocab_load (writer, &error);
  g_assert_no_error (error);
  g_assert_true (bendi_tokenizer_get_add_eos (with_eos));
  assert_encodes (with_eos, "ab", BENDI_TOKENIZE_ADD_SPECIAL, expected);
}

/* Ids outside the vocabulary leave the defaults, as in llama.cpp. */
static void
test_special_ids_out_of_range (void)
{
  g_autoptr (TestVocab) v = test_vocab_new_spm (TRUE);
  g_autoptr (BendiGgufWriter) writer = test_vocab_writer (v, "llama", NULL, TEST_OMIT_NONE);
  g_autoptr (BendiTokenizer) tokenizer = NULL;
  g_autoptr (GError) error = NULL;

  bendi_gguf_writer_add_uint32 (writer, "tokenizer.ggml.bos_token_id", 999999);
  bendi_gguf_writer_add_uint32 (writer, "tokenizer.ggml.eos_token_id", G_MAXUINT32);
  bendi_gguf_writer_add_int32 (writer, "tokenizer.ggml.padding_token_id", -1);
  bendi_gguf_writer_add_uint64 (writer, "tokenizer.ggml.eot_token_id", G_MAXUINT64);
  tokenizer = test_vocab_load (writer, &error);
  g_assert_no_error (error);
  g_assert_cmpint (bendi_tokenizer_get_bos (tokenizer), ==, 1);
  g_assert_cmpint (bendi_tokenizer_get_eos (tokenizer), ==, 2);
}

/* ------------------------------------------------------------------------ */
/* Decoding */

static void
test_pieces (void)
{
  g_autoptr (BendiTokenizer) llama = load_shared_vocab ("llama-spm");
  g_autoptr (BendiTokenizer) gpt2 = load_shared_vocab ("gpt-2");
  gsize len = 99;
  const char *piece;

  if (llama == NULL || gpt2 == NULL)
    return;
  piece = bendi_tokenizer_get_piece (llama, 15043, FALSE, &len);
  g_assert_cmpmem (piece, len, " Hello", 6);
  piece = bendi_tokenizer_get_piece (llama, 13, FALSE, &len);   /* <0x0A> */
  g_assert_cmpmem (piece, len, "\n", 1);
  piece = bendi_tokenizer_get_piece (llama, 3, FALSE, &len);    /* <0x00> */
  g_assert_cmpmem (piece, len, "\0", 1);
  piece = bendi_tokenizer_get_piece (llama, 1, FALSE, &len);
  g_assert_cmpmem (piece, len, "", 0);
  piece = bendi_tokenizer_get_piece (llama, 1, TRUE, &len);
  g_assert_cmpmem (piece, len, "<s>", 3);
  piece = bendi_tokenizer_get_piece (llama, -5, TRUE, &len);
  g_assert_cmpuint (len, ==, 0);
  piece = bendi_tokenizer_get_piece (llama, 32000, TRUE, &len);
  g_assert_cmpuint (len, ==, 0);

  piece = bendi_tokenizer_get_piece (gpt2, 995, FALSE, &len);   /* Ġworld */
  g_assert_cmpmem (piece, len, " world", 6);
  g_assert_cmpstr (bendi_tokenizer_get_text (gpt2, 995), ==, "\xc4\xa0world");
  piece = bendi_tokenizer_get_piece (gpt2, 198, FALSE, &len);   /* Ċ */
  g_assert_cmpmem (piece, len, "\n", 1);
  piece = bendi_tokenizer_get_piece (gpt2, 50256, FALSE, &len);
  g_assert_cmpuint (len, ==, 0);
  piece = bendi_tokenizer_get_piece (gpt2, 50256, TRUE, &len);
  g_assert_cmpmem (piece, len, "<|endoftext|>", 13);
}

/* decode (encode (text)) is the text again, for every conformance case of
 * the vocabularies that neither normalise nor clean up spaces. */
static void
run_round_trips (const char *name)
{
  g_autoptr (BendiTokenizer) tokenizer = load_shared_vocab (name);
  g_autofree char *inp_rel = g_strdup_printf ("vocab/ggml-vocab-%s.gguf.inp", name);
  g_autofree char *inp_path = NULL;
  g_autofree char *inp = NULL;
  g_auto (GStrv) cases = NULL;

  if (tokenizer == NULL || (inp_path = bendi_test_data_path (inp_rel)) == NULL)
    return;
  g_assert_true (g_file_get_contents (inp_path, &inp, NULL, NULL));
  cases = g_strsplit (inp, "\n__ggml_vocab_test__\n", -1);
  for (guint i = 0; cases[i] != NULL; i++)
    {
      g_autoptr (GArray) tokens = encode (tokenizer, cases[i], BENDI_TOKENIZE_DEFAULT);
      g_autofree char *text = bendi_tokenizer_decode (tokenizer, (const BendiToken *) (gpointer) tokens->data,
                                                      tokens->len, FALSE);

      g_assert_cmpstr (text, ==, cases[i]);
    }
}

static void
test_round_trip_llama (void)
{
  run_round_trips ("llama-spm");
}

static void
test_round_trip_deepseek (void)
{
  run_round_trips ("deepseek-coder");
}

static void
test_decode_rules (void)
{
  g_autoptr (BendiTokenizer) llama = load_shared_vocab ("llama-spm");
  g_autoptr (BendiTokenizer) gpt2 = load_shared_vocab ("gpt-2");
  g_autoptr (BendiTokenizer) deepseek = load_shared_vocab ("deepseek-coder");
  const char *spaced = "Hello , world ! I 'm sure it 's fine .";
  const BendiToken with_bos[] = { 1, 15043 };
  g_autoptr (GArray) tokens = NULL;
  g_autofree char *text = NULL;

  if (llama == NULL || gpt2 == NULL || deepseek == NULL)
    return;
  /* GPT-2 cleans up spaces before punctuation and contractions. */
  tokens = encode (gpt2, spaced, BENDI_TOKENIZE_DEFAULT);
  text = bendi_tokenizer_decode (gpt2, (const BendiToken *) (gpointer) tokens->data, tokens->len, FALSE);
  g_assert_cmpstr (text, ==, "Hello, world! I'm sure it's fine.");
  g_clear_pointer (&text, g_free);
  g_clear_pointer (&tokens, g_array_unref);
  /* deepseek-coder does not. */
  tokens = encode (deepseek, spaced, BENDI_TOKENIZE_DEFAULT);
  text = bendi_tokenizer_decode (deepseek, (const BendiToken *) (gpointer) tokens->data, tokens->len, FALSE);
  g_assert_cmpstr (text, ==, spaced);
  g_clear_pointer (&text, g_free);

  /* SentencePiece drops the dummy space of the first piece only; a hidden
   * BOS in front uses that up, as in llama.cpp. */
  text = bendi_tokenizer_decode (llama, with_bos, 2, FALSE);
  g_assert_cmpstr (text, ==, " Hello");
  g_clear_pointer (&text, g_free);
  text = bendi_tokenizer_decode (llama, with_bos, 2, TRUE);
  g_assert_cmpstr (text, ==, "<s> Hello");
  g_clear_pointer (&text, g_free);
  text = bendi_tokenizer_decode (llama, with_bos + 1, 1, FALSE);
  g_assert_cmpstr (text, ==, "Hello");
  g_clear_pointer (&text, g_free);
  text = bendi_tokenizer_decode (llama, NULL, 0, FALSE);
  g_assert_cmpstr (text, ==, "");
}

/* Byte tokens that do not add up to UTF-8 decode to U+FFFD. */
static void
test_decode_invalid (void)
{
  g_autoptr (BendiTokenizer) llama = load_shared_vocab ("llama-spm");
  const BendiToken tokens[] = { 3 + 0xe5, 3 + 0xb7, 3 + 'a', 3 + 0xff };
  g_autofree char *text = NULL;

  if (llama == NULL)
    return;
  text = bendi_tokenizer_decode (llama, tokens, G_N_ELEMENTS (tokens), FALSE);
  g_assert_cmpstr (text, ==, "\xef\xbf\xbd" "a" "\xef\xbf\xbd");
}

/* ------------------------------------------------------------------------ */
/* Streaming */

/* Feeds @token and returns what came out. */
static char *
feed (BendiDetokenizer *detokenizer,
      BendiToken        token)
{
  GString *out = g_string_new (NULL);

  bendi_detokenizer_feed (detokenizer, token, out);
  g_assert_true (g_utf8_validate (out->str, (gssize) out->len, NULL));
  return g_string_free (out, FALSE);
}

#define ASSERT_FEED(d, token, expected) \
  G_STMT_START { g_autofree char *_got = feed (d, token); g_assert_cmpstr (_got, ==, expected); } G_STMT_END

static void
test_streaming_bytes (void)
{
  g_autoptr (BendiTokenizer) llama = load_shared_vocab ("llama-spm");
  g_autoptr (BendiDetokenizer) d = NULL;
  g_autoptr (GString) out = g_string_new (NULL);

  if (llama == NULL)
    return;
  d = bendi_detokenizer_new (llama, FALSE);
  /* 工 (E5 B7 A5) and 🦙 (F0 9F A6 99) spelled in byte tokens. */
  ASSERT_FEED (d, 3 + 0xe5, "");
  ASSERT_FEED (d, 3 + 0xb7, "");
  ASSERT_FEED (d, 3 + 0xa5, "\xe5\xb7\xa5");
  ASSERT_FEED (d, 3 + 0xf0, "");
  ASSERT_FEED (d, 3 + 0x9f, "");
  ASSERT_FEED (d, 1, "");                    /* a hidden <s> in between */
  ASSERT_FEED (d, 3 + 0xa6, "");
  ASSERT_FEED (d, 3 + 0x99, "\xf0\x9f\xa6\x99");
  ASSERT_FEED (d, 15043, " Hello");
  /* Bytes that can never be UTF-8 come out at once as U+FFFD. */
  ASSERT_FEED (d, 3 + 0xff, "\xef\xbf\xbd");
  ASSERT_FEED (d, 3 + 0xe5, "");
  ASSERT_FEED (d, 3 + 'a', "\xef\xbf\xbd" "a");
  /* A character cut short by the end of the stream. */
  ASSERT_FEED (d, 3 + 0xe5, "");
  bendi_detokenizer_flush (d, out);
  g_assert_cmpstr (out->str, ==, "\xef\xbf\xbd");
  g_string_truncate (out, 0);
  bendi_detokenizer_flush (d, out);
  g_assert_cmpstr (out->str, ==, "");
}

/* Streaming Chinese and emoji through each vocabulary gives back the text,
 * one whole character at a time. */
static void
run_streaming_text (const char *name,
                    const char *prefix)
{
  g_autoptr (BendiTokenizer) tokenizer = load_shared_vocab (name);
  const char *text = "\xe6\x88\x91\xe6\x83\xb3\xe5\x9c\xa8 apple \xe5\xb7\xa5\xe4\xbd\x9c \xf0\x9f\xa6\x99\xf0\x9f\x98\x81!";
  g_autoptr (BendiDetokenizer) d = NULL;
  g_autoptr (GString) all = g_string_new (NULL);
  g_autoptr (GArray) tokens = NULL;
  g_autofree char *expected = NULL;

  if (tokenizer == NULL)
    return;
  tokens = encode (tokenizer, text, BENDI_TOKENIZE_ADD_SPECIAL);
  d = bendi_detokenizer_new (tokenizer, FALSE);
  for (guint i = 0; i < tokens->len; i++)
    {
      g_autofree char *chunk = feed (d, g_array_index (tokens, BendiToken, i));

      g_string_append (all, chunk);
    }
  bendi_detokenizer_flush (d, all);
  expected = g_strconcat (prefix, text, NULL);
  g_assert_cmpstr (all->str, ==, expected);
}

static void
test_streaming_text (void)
{
  /* SentencePiece's dummy space stays: a stream continues a prompt. */
  run_streaming_text ("llama-spm", " ");
  run_streaming_text ("phi-3", " ");
  run_streaming_text ("gpt-2", "");
  run_streaming_text ("deepseek-coder", "");
}

/* ------------------------------------------------------------------------ */
/* Bad input */

static void
test_invalid_utf8 (void)
{
  g_autoptr (TestVocab) v = test_vocab_new_spm (TRUE);
  g_autoptr (BendiTokenizer) tokenizer = load_vocab (v, "llama", NULL);
  static const char *const bad[] = {
    "\xff", "a\xe4\xb8", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "ab\x80", "\xe4\x41\x42",
  };
  g_autofree char *nul_expected = g_strdup_printf ("%d %d %d", TEST_SPM_SPACE_A, TEST_SPM_BYTE (0), TEST_SPM_B);

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GArray) tokens = bendi_tokenizer_encode (tokenizer, bad[i], strlen (bad[i]),
                                                          BENDI_TOKENIZE_DEFAULT, &error);

      g_assert_null (tokens);
      g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_INPUT);
    }

  /* A NUL byte is a character like any other. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (GArray) tokens = bendi_tokenizer_encode (tokenizer, "a\0b", 3, BENDI_TOKENIZE_DEFAULT, &error);
    g_autofree char *got = NULL;

    g_assert_no_error (error);
    got = format_tokens (tokens);
    g_assert_cmpstr (got + 1, ==, nul_expected);
  }
}

/* Lengths of 2^31 bytes and more are refused before the text is read. */
static void
test_input_too_long (void)
{
  g_autoptr (TestVocab) v = test_vocab_new_spm (TRUE);
  g_autoptr (BendiTokenizer) tokenizer = load_vocab (v, "llama", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) error_null = NULL;
  g_autoptr (GArray) tokens = NULL;
  g_autoptr (GArray) tokens_null = NULL;

  tokens = bendi_tokenizer_encode (tokenizer, "a", (gsize) G_MAXINT32 + 1, BENDI_TOKENIZE_DEFAULT, &error);
  g_assert_null (tokens);
  g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_INPUT);
  tokens_null = bendi_tokenizer_encode (tokenizer, NULL, 5, BENDI_TOKENIZE_DEFAULT, &error_null);
  g_assert_null (tokens_null);
  g_assert_error (error_null, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_ARGUMENT);
}

/* Long words and runs of spaces, the cases a naive merge loop is quadratic
 * on, still decode to themselves (the test timeout catches slowness). */
static void
test_long_inputs (void)
{
  const char *names[] = { "llama-spm", "gpt-2", "deepseek-coder" };

  for (gsize n = 0; n < G_N_ELEMENTS (names); n++)
    {
      g_autoptr (BendiTokenizer) tokenizer = load_shared_vocab (names[n]);
      g_autoptr (GString) text = g_string_new (NULL);
      g_autoptr (GArray) tokens = NULL;
      g_autofree char *back = NULL;

      if (tokenizer == NULL)
        return;
      for (guint i = 0; i < 100000; i++)
        g_string_append_c (text, ' ');
      for (guint i = 0; i < 100000; i++)
        g_string_append_c (text, "ab"[i % 2]);
      for (guint i = 0; i < 20000; i++)
        g_string_append (text, "\xe4\xb8\x96");
      g_string_append (text, "\n\t \n");
      tokens = encode (tokenizer, text->str, BENDI_TOKENIZE_DEFAULT);
      back = bendi_tokenizer_decode (tokenizer, (const BendiToken *) (gpointer) tokens->data, tokens->len, FALSE);
      g_assert_cmpstr (back, ==, text->str);
    }
}

/* ------------------------------------------------------------------------ */
/* Malformed vocabularies */

static void
test_bad_byte_tokens (void)
{
  static const char *const bad[] = { "<0x-1>", "<0xZZ>", "<0x100>", "<0x4>", "0x41", "<0x41" };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (TestVocab) v = test_vocab_new_spm (TRUE);
      g_autoptr (BendiGgufWriter) writer = NULL;

      /* Token 3 + 0x41 ("<0x41>") becomes the bad one, still typed BYTE. */
      test_vocab_set (v, TEST_SPM_BYTE (0x41), bad[i]);
      writer = test_vocab_writer (v, "llama", NULL, TEST_OMIT_NONE);
      assert_refused (writer, BENDI_ENGINE_ERROR_INVALID_FILE, bad[i]);
    }
}

static void
test_bad_arrays (void)
{
  g_autoptr (TestVocab) v = test_vocab_new_spm (TRUE);
  const float one_score[] = { 0 };
  const gint32 one_type[] = { 1 };
  const gint32 ints[] = { 1, 2 };

  {
    g_autoptr (BendiGgufWriter) writer = test_vocab_writer (v, "llama", NULL, TEST_OMIT_SCORES);

    bendi_gguf_writer_add_array (writer, "tokenizer.ggml.scores", BENDI_GGUF_TYPE_FLOAT32, one_score, 1);
    assert_refused (writer, BENDI_ENGINE_ERROR_INVALID_FILE, "tokenizer.ggml.scores");
  }
  {
    g_autoptr (BendiGgufWriter) writer = test_vocab_writer (v, "llama", NULL, TEST_OMIT_TYPES);

    bendi_gguf_writer_add_array (writer, "tokenizer.ggml.token_type", BENDI_GGUF_TYPE_INT32, one_type, 1);
    assert_refused (writer, BENDI_ENGINE_ERROR_INVALID_FILE, "tokenizer.ggml.token_type");
  }
  {
    g_autoptr (BendiGgufWriter) writer = test_vocab_writer (v, "llama", NULL, TEST_OMIT_TOKENS);

    assert_refused (writer, BENDI_ENGINE_ERROR_INVALID_FILE, "tokenizer.ggml.tokens");
  }
  {
    g_autoptr (BendiGgufWriter) writer = test_vocab_writer (v, "llama", NULL, TEST_OMIT_TOKENS);

    bendi_gguf_writer_add_array (writer, "tokenizer.ggml.tokens", BENDI_GGUF_TYPE_INT32, ints, 2);
    assert_refused (writer, BENDI_ENGINE_ERROR_INVALID_FILE, "tokenizer.ggml.tokens");
  }
  {
    g_autoptr (BendiGgufWriter) writer = test_vocab_writer (v, "llama", NULL, TEST_OMIT_SCORES);
    const char *const strings[] = { "x" };

    bendi_gguf_writer_add_string_array (writer, "tokenizer.ggml.scores", strings, 1);
    assert_refused (writer, BENDI_ENGINE_ERROR_INVALID_FILE, "tokenizer.ggml.scores");
  }
  {
    g_autoptr (BendiGgufWriter) writer = bendi_gguf_writer_new ();

    bendi_gguf_writer_add_string (writer, "general.architecture", "llama");
    assert_refused (writer, BENDI_ENGINE_ERROR_INVALID_FILE, "tokenizer.ggml.model");
  }
}

static void
test_bad_token_values (void)
{
  {
    g_autoptr (TestVocab) v = test_vocab_new_spm (TRUE);
    g_autoptr (BendiGgufWriter) writer = NULL;

    g_array_index (v->types, gint32, TEST_SPM_A) = 9;
    writer = test_vocab_writer (v, "llama", NULL, TEST_OMIT_NONE);
    assert_refused (writer, BENDI_ENGINE_ERROR_INVALID_FILE, "type 9");
  }
  {
    g_autoptr (TestVocab) v = test_vocab_new_spm (TRUE);
    g_autoptr (BendiGgufWriter) writer = NULL;

    g_array_index (v->types, gint32, TEST_SPM_A) = -1;
    writer = test_vocab_writer (v, "llama", NULL, TEST_OMIT_NONE);
    assert_refused (writer, BENDI_ENGINE_ERROR_INVALID_FILE, "type -1");
  }
  {
    g_autoptr (TestVocab) v = test_vocab_new_spm (TRUE);
    g_autoptr (BendiGgufWriter) writer = NULL;

    g_array_index (v->scores, float, TEST_SPM_A) = NAN;
    writer = test_vocab_writer (v, "llama", NULL, TEST_OMIT_NONE);
    assert_refused (writer, BENDI_ENGINE_ERROR_INVALID_FILE, "not a number");
  }
  {
    g_autoptr (TestVocab) v = test_vocab_new_spm (TRUE);
    g_autoptr (BendiGgufWriter) writer = NULL;

    test_vocab_add (v, "ab", 0, TEST_TOKEN_NORMAL);
    writer = test_vocab_writer (v, "llama", NULL, TEST_OMIT_NONE);
    assert_refused (writer, BENDI_ENGINE_ERROR_INVALID_FILE, "'ab'");
  }
  {
    g_autoptr (TestVocab) v = test_vocab_new_spm (TRUE);
    g_autoptr (BendiGgufWriter) writer = NULL;

    test_vocab_add (v, "bad\xe4\xb8", 0, TEST_TOKEN_NORMAL);
    writer = test_vocab_writer (v, "llama", NULL, TEST_OMIT_NONE);
    assert_refused (writer, BENDI_ENGINE_ERROR_INVALID_FILE, "UTF-8");
  }
  {
    g_autoptr (TestVocab) v = test_vocab_new_spm (TRUE);
    g_autoptr (BendiGgufWriter) writer = test_vocab_writer (v, "llama", NULL, TEST_OMIT_TOKENS);
    g_autofree BendiGgufString *strings = g_new0 (BendiGgufString, v->tokens->len);
    BendiGgufValue value = { 0 };

    /* A NUL byte inside a token, which the string-array helper cannot
     * write. */
    for (guint i = 0; i < v->tokens->len; i++)
      {
        strings[i].data = v->tokens->pdata[i];
        strings[i].len = strlen (v->tokens->pdata[i]);
      }
    strings[TEST_SPM_AB].data = "a\0b";
    strings[TEST_SPM_AB].len = 3;
    value.type = BENDI_GGUF_TYPE_ARRAY;
    value.arr.elem_type = BENDI_GGUF_TYPE_STRING;
    value.arr.n = v->tokens->len;
    value.arr.strings = strings;
    bendi_gguf_writer_add_value (writer, "tokenizer.ggml.tokens", &value);
    assert_refused (writer, BENDI_ENGINE_ERROR_INVALID_FILE, "NUL");
  }
}

/* An empty token gets llama.cpp's placeholder name and keeps its id. */
static void
test_empty_token (void)
{
  g_autoptr (TestVocab) v = test_vocab_new_spm (TRUE);
  g_autoptr (BendiTokenizer) tokenizer = NULL;
  g_autofree char *expected = g_strdup_printf ("%d", TEST_SPM_SPACE_AB);

  test_vocab_set (v, TEST_SPM_C, "");
  tokenizer = load_vocab (v, "llama", NULL);
  g_assert_cmpstr (bendi_tokenizer_get_text (tokenizer, TEST_SPM_C), ==, "[EMPTY_262]");
  assert_encodes (tokenizer, "ab", BENDI_TOKENIZE_DEFAULT, expected);
}

static void
test_bad_merges (void)
{
  static const struct {
    const char *merge;
    const char *needle;
  } bad[] = {
    { "a x", "lacks" },                 /* x is a token, "ax" is not */
    { "a \xe2\x98\x83", "lacks" },      /* ☃ is no token */
    { "ab", "no space" },
    { " ab", "no space" },
    { "a ", "lacks" },
    { "", "no space" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (TestVocab) v = test_vocab_new_bpe ();
      g_autoptr (BendiGgufWriter) writer = NULL;

      g_ptr_array_add (v->merges, g_strdup (bad[i].merge));
      writer = test_vocab_writer (v, "gpt2", "gpt-2", TEST_OMIT_NONE);
      assert_refused (writer, BENDI_ENGINE_ERROR_INVALID_FILE, bad[i].needle);
    }
  {
    g_autoptr (TestVocab) v = test_vocab_new_bpe ();
    g_autoptr (BendiGgufWriter) writer = test_vocab_writer (v, "gpt2", "gpt-2", TEST_OMIT_MERGES);

    assert_refused (writer, BENDI_ENGINE_ERROR_INVALID_FILE, "tokenizer.ggml.merges");
  }
}

static void
test_unsupported (void)
{
  g_autoptr (TestVocab) v = test_vocab_new_bpe ();

  {
    g_autoptr (BendiGgufWriter) writer = test_vocab_writer (v, "bert", NULL, TEST_OMIT_NONE);

    assert_refused (writer, BENDI_ENGINE_ERROR_UNSUPPORTED, "bert");
  }
  {
    g_autoptr (BendiGgufWriter) writer = test_vocab_writer (v, "gpt2", "no-such-pre", TEST_OMIT_NONE);

    assert_refused (writer, BENDI_ENGINE_ERROR_UNSUPPORTED, "no-such-pre");
  }
  {
    /* No pre-tokenizer at all: old files, read with the default rules. */
    g_autoptr (BendiTokenizer) tokenizer = load_vocab (v, "gpt2", NULL);

    g_assert_cmpstr (bendi_tokenizer_get_pre (tokenizer), ==, "default");
  }
  {
    /* add_bos_token with no BOS token to add. */
    g_autoptr (BendiGgufWriter) writer = test_vocab_writer (v, "gpt2", "chatglm-bpe", TEST_OMIT_NONE);

    bendi_gguf_writer_add_bool (writer, "tokenizer.ggml.add_bos_token", TRUE);
    assert_refused (writer, BENDI_ENGINE_ERROR_INVALID_FILE, "add_bos_token");
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/tokenizer/conformance/llama-spm", test_conformance_llama_spm);
  g_test_add_func ("/engine/tokenizer/conformance/phi-3", test_conformance_phi3);
  g_test_add_func ("/engine/tokenizer/conformance/gpt-2", test_conformance_gpt2);
  g_test_add_func ("/engine/tokenizer/conformance/deepseek-coder", test_conformance_deepseek_coder);
  g_test_add_func ("/engine/tokenizer/spm/merges", test_spm_merges);
  g_test_add_func ("/engine/tokenizer/spm/unknown", test_spm_unknown);
  g_test_add_func ("/engine/tokenizer/spm/no-prefix", test_spm_no_prefix);
  g_test_add_func ("/engine/tokenizer/bpe/merges", test_bpe_merges);
  g_test_add_func ("/engine/tokenizer/bpe/rank-order", test_bpe_rank_order);
  g_test_add_func ("/engine/tokenizer/bpe/ignore-merges", test_bpe_ignore_merges);
  g_test_add_func ("/engine/tokenizer/bpe/missing-character", test_bpe_missing_character);
  g_test_add_func ("/engine/tokenizer/special/bpe", test_special_tokens_bpe);
  g_test_add_func ("/engine/tokenizer/special/llama", test_special_tokens_llama);
  g_test_add_func ("/engine/tokenizer/special/phi-3", test_special_tokens_phi3);
  g_test_add_func ("/engine/tokenizer/special/deepseek", test_special_tokens_deepseek);
  g_test_add_func ("/engine/tokenizer/special/bos-eos", test_bos_eos);
  g_test_add_func ("/engine/tokenizer/special/ids-out-of-range", test_special_ids_out_of_range);
  g_test_add_func ("/engine/tokenizer/decode/pieces", test_pieces);
  g_test_add_func ("/engine/tokenizer/decode/round-trip-llama", test_round_trip_llama);
  g_test_add_func ("/engine/tokenizer/decode/round-trip-deepseek", test_round_trip_deepseek);
  g_test_add_func ("/engine/tokenizer/decode/rules", test_decode_rules);
  g_test_add_func ("/engine/tokenizer/decode/invalid", test_decode_invalid);
  g_test_add_func ("/engine/tokenizer/streaming/bytes", test_streaming_bytes);
  g_test_add_func ("/engine/tokenizer/streaming/text", test_streaming_text);
  g_test_add_func ("/engine/tokenizer/input/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/engine/tokenizer/input/too-long", test_input_too_long);
  g_test_add_func ("/engine/tokenizer/input/long", test_long_inputs);
  g_test_add_func ("/engine/tokenizer/malformed/byte-tokens", test_bad_byte_tokens);
  g_test_add_func ("/engine/tokenizer/malformed/arrays", test_bad_arrays);
  g_test_add_func ("/engine/tokenizer/malformed/token-values", test_bad_token_values);
  g_test_add_func ("/engine/tokenizer/malformed/empty-token", test_empty_token);
  g_test_add_func ("/engine/tokenizer/malformed/merges", test_bad_merges);
  g_test_add_func ("/engine/tokenizer/malformed/unsupported", test_unsupported);

  return g_test_run ();
}
