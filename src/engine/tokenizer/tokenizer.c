/* SPDX-License-Identifier: MIT */
/* Loading a vocabulary from GGUF metadata: checking it, and deriving the
 * special tokens, flags and token attributes the way llama.cpp does. */
#include "tokenizer/tokenizer-private.h"

#include <stdio.h>
#include <string.h>

#include "engine-error.h"

#define KEY_MODEL      "tokenizer.ggml.model"
#define KEY_PRE        "tokenizer.ggml.pre"
#define KEY_TOKENS     "tokenizer.ggml.tokens"
#define KEY_SCORES     "tokenizer.ggml.scores"
#define KEY_TOKEN_TYPE "tokenizer.ggml.token_type"
#define KEY_MERGES     "tokenizer.ggml.merges"
#define KEY_ADD_BOS    "tokenizer.ggml.add_bos_token"
#define KEY_ADD_EOS    "tokenizer.ggml.add_eos_token"
#define KEY_ADD_PREFIX "tokenizer.ggml.add_space_prefix"
#define KEY_BOS_ID     "tokenizer.ggml.bos_token_id"
#define KEY_EOS_ID     "tokenizer.ggml.eos_token_id"

/* tokenizer.ggml.token_type values (gguf-py's TokenType). */
enum {
  TOKEN_TYPE_UNDEFINED    = 0,
  TOKEN_TYPE_NORMAL       = 1,
  TOKEN_TYPE_UNKNOWN      = 2,
  TOKEN_TYPE_CONTROL      = 3,
  TOKEN_TYPE_USER_DEFINED = 4,
  TOKEN_TYPE_UNUSED       = 5,
  TOKEN_TYPE_BYTE         = 6,
};

/* The fill-in-the-middle tokens matter here only because some of them end
 * a generation; llama.cpp also finds them by text when the metadata does
 * not name them. */
typedef enum {
  FIM_PRE,
  FIM_SUF,
  FIM_MID,
  FIM_PAD,
  FIM_REP,
  FIM_SEP,
  N_FIM,
} FimKind;

typedef struct {
  BendiToken eot;
  BendiToken eom;
  BendiToken fim[N_FIM];
} ExtraIds;

/* ------------------------------------------------------------------------ */

void
bendi_tokenizer_free (BendiTokenizer *self)
{
  if (self == NULL)
    return;
  g_free (self->pre_name);
  g_free (self->texts);
  g_free (self->text_lens);
  g_free (self->scores);
  g_free (self->attrs);
  g_free (self->text_storage);
  g_free (self->pieces);
  g_free (self->piece_lens);
  g_free (self->piece_storage);
  bendi_token_index_clear (&self->index);
  bendi_merge_index_clear (&self->merges);
  g_free (self->special);
  g_free (self);
}

/* Vocabulary text quoted for an error message: printable, short. */
static char *
describe_text (const char *text,
               gsize       len)
{
  GString *out = g_string_new ("'");
  gsize pos = 0;

  while (pos < len && pos < 64)
    {
      guint8 b = (guint8) text[pos];
      gsize n = 1;
      gunichar c;

      if (b >= 0x20 && b < 0x7f && b != '\'' && b != '\\')
        g_string_append_c (out, (char) b);
      else if (b >= 0x80 && bendi_utf8_next (text + pos, len - pos, &n, &c) == BENDI_UTF8_VALID)
        g_string_append_len (out, text + pos, (gssize) n);
      else
        {
          n = 1;
          g_string_append_printf (out, "\\x%02x", b);
        }
      pos += n;
    }
  g_string_append (out, pos < len ? "'…" : "'");
  return g_string_free (out, FALSE);
}

G_GNUC_PRINTF (2, 3)
static gboolean
fail (GError    **error,
      const char *format,
      ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE,
               "Invalid vocabulary: %s", message);
  return FALSE;
}

/* ------------------------------------------------------------------------ */
/* The token list, scores and types. */

/* Reads an optional per-token array and checks it has one entry per token. */
static gboolean
get_per_token_array (const BendiGguf       *gguf,
                     const char            *key,
                     BendiGgufType          elem_type,
                     gsize                  n_tokens,
                     const BendiGgufValue **out,
                     GError               **error)
{
  if (!bendi_gguf_get_array (gguf, key, elem_type, FALSE, out, error))
    return FALSE;
  if (*out != NULL && (*out)->arr.n != n_tokens)
    return fail (error, "'%s' has %" G_GSIZE_FORMAT " entries for %" G_GSIZE_FORMAT " tokens",
                 key, (*out)->arr.n, n_tokens);
  return TRUE;
}

/* Scores are float32 in practice; llama.cpp also takes int32. */
static gboolean
read_scores (BendiTokenizer  *self,
             const BendiGguf *gguf,
             GError         **error)
{
  const BendiGgufValue *value = bendi_gguf_find (gguf, KEY_SCORES);
  const BendiGgufValue *array = NULL;
  gboolean integers;

  self->scores = g_new0 (float, self->n_vocab);
  if (value == NULL)
    return TRUE;
  integers = value->type == BENDI_GGUF_TYPE_ARRAY &&
             value->arr.elem_type != BENDI_GGUF_TYPE_FLOAT32 &&
             value->arr.elem_type != BENDI_GGUF_TYPE_FLOAT64;
  if (!get_per_token_array (gguf, KEY_SCORES, integers ? BENDI_GGUF_TYPE_INT64 : BENDI_GGUF_TYPE_FLOAT32,
                            (gsize) self->n_vocab, &array, error))
    return FALSE;

  for (gint32 i = 0; i < self->n_vocab; i++)
    {
      gint64 integer = 0;
      double score = 0;

      if (integers)
        {
          if (!bendi_gguf_array_get_int64 (array, (gsize) i, &integer))
            return fail (error, "score %d does not fit", i);
          score = (double) integer;
        }
      else if (!bendi_gguf_array_get_double (array, (gsize) i, &score))
        return fail (error, "score %d cannot be read", i);
      /* NaN would make the merge order undefined. */
      if (score != score)
        return fail (error, "the score of token %d is not a number", i);
      /* -0 and +0 tie in llama.cpp's comparison; one zero keeps them so. */
      self->scores[i] = (float) score;
      if (self->scores[i] == 0)
        self->scores[i] = 0.0f;
    }
  return TRUE;
}

static gboolean
read_token_types (BendiTokenizer  *self,
                  const BendiGguf *gguf,
                  GError         **error)
{
  static const guint16 attr_of_type[] = {
    [TOKEN_TYPE_UNDEFINED]    = 0,
    [TOKEN_TYPE_NORMAL]       = BENDI_TOKEN_ATTR_NORMAL,
    [TOKEN_TYPE_UNKNOWN]      = BENDI_TOKEN_ATTR_UNKNOWN,
    [TOKEN_TYPE_CONTROL]      = BENDI_TOKEN_ATTR_CONTROL,
    [TOKEN_TYPE_USER_DEFINED] = BENDI_TOKEN_ATTR_USER_DEFINED,
    [TOKEN_TYPE_UNUSED]       = BENDI_TOKEN_ATTR_UNUSED,
    [TOKEN_TYPE_BYTE]         = BENDI_TOKEN_ATTR_BYTE,
  };
  const BendiGgufValue *types = NULL;

  self->attrs = g_new (guint16, self->n_vocab);
  if (!get_per_token_array (gguf, KEY_TOKEN_TYPE, BENDI_GGUF_TYPE_INT64, (gsize) self->n_vocab, &types, error))
    return FALSE;

  for (gint32 i = 0; i < self->n_vocab; i++)
    {
      gint64 type = TOKEN_TYPE_NORMAL;

      if (types != NULL && !bendi_gguf_array_get_int64 (types, (gsize) i, &type))
        return fail (error, "the type of token %d does not fit", i);
      if (type < 0 || type >= (gint64) G_N_ELEMENTS (attr_of_type))
        return fail (error, "token %d has type %" G_GINT64_FORMAT "; types go from 0 to 6", i, type);
      self->attrs[i] = attr_of_type[type];
    }
  return TRUE;
}

/* "<0x41>" → 0x41; -1 for anything else ("<0x-1>", "<0xZZ>", "<0x100>"). */
static gint
parse_byte_token (const char *text,
                  gsize       len)
{
  if (len != 6 || memcmp (text, "<0x", 3) != 0 || text[5] != '>' ||
      !g_ascii_isxdigit (text[3]) || !g_ascii_isxdigit (text[4]))
    return -1;
  return g_ascii_xdigit_value (text[3]) * 16 + g_ascii_xdigit_value (text[4]);
}

static gboolean
read_tokens (BendiTokenizer  *self,
             const BendiGguf *gguf,
             GError         **error)
{
  const BendiGgufValue *tokens = NULL;
  g_autofree gsize *offsets = NULL;
  gsize total = 0;
  char *p;

  if (!bendi_gguf_get_array (gguf, KEY_TOKENS, BENDI_GGUF_TYPE_STRING, TRUE, &tokens, error))
    return FALSE;
  if (tokens->arr.n == 0)
    return fail (error, "'%s' is empty", KEY_TOKENS);
  if (tokens->arr.n > BENDI_TOKENIZER_MAX_VOCAB)
    return fail (error, "%" G_GSIZE_FORMAT " tokens, more than the limit of %d",
                 tokens->arr.n, BENDI_TOKENIZER_MAX_VOCAB);
  self->n_vocab = (gint32) tokens->arr.n;

  /* llama.cpp names an empty token "[EMPTY_<id>]" rather than refuse the
   * model; so do we, so that ids keep their meaning. */
  offsets = g_new (gsize, self->n_vocab);
  for (gint32 i = 0; i < self->n_vocab; i++)
    {
      const BendiGgufString *s = &tokens->arr.strings[i];
      gsize bad = 0;

      if (s->len > G_MAXUINT32 / 2)
        return fail (error, "token %d is %" G_GSIZE_FORMAT " bytes long", i, s->len);
      if (memchr (s->data, '\0', s->len) != NULL)
        return fail (error, "token %d holds a NUL byte", i);
      if (!bendi_utf8_validate (s->data, s->len, &bad))
        {
          g_autofree char *quoted = describe_text (s->data, s->len);

          return fail (error, "token %d, %s, is not valid UTF-8 (byte %" G_GSIZE_FORMAT ")", i, quoted, bad);
        }
      offsets[i] = total;
      total += (s->len > 0 ? s->len : 32) + 1;
    }

  self->text_storage = g_malloc (total);
  self->texts = g_new (const char *, self->n_vocab);
  self->text_lens = g_new (guint32, self->n_vocab);
  for (gint32 i = 0; i < self->n_vocab; i++)
    {
      const BendiGgufString *s = &tokens->arr.strings[i];

      p = self->text_storage + offsets[i];
      if (s->len == 0)
        {
          g_debug ("Empty token at index %d, named [EMPTY_%d]", i, i);
          self->text_lens[i] = (guint32) g_snprintf (p, 32, "[EMPTY_%d]", i);
        }
      else
        {
          memcpy (p, s->data, s->len);
          p[s->len] = '\0';
          self->text_lens[i] = (guint32) s->len;
        }
      self->texts[i] = p;
    }

  bendi_token_index_init (&self->index, (gsize) self->n_vocab);
  for (gint32 i = 0; i < self->n_vocab; i++)
    {
      gint32 other = bendi_token_index_insert (&self->index, self, i);

      if (other >= 0)
        {
          g_autofree char *quoted = describe_text (self->texts[i], self->text_lens[i]);

          return fail (error, "tokens %d and %d are both %s", other, i, quoted);
        }
    }

  if (!read_scores (self, gguf, error) || !read_token_types (self, gguf, error))
    return FALSE;

  for (gint32 i = 0; i < self->n_vocab; i++)
    if ((self->attrs[i] & BENDI_TOKEN_ATTR_BYTE) &&
        parse_byte_token (self->texts[i], self->text_lens[i]) < 0)
      {
        g_autofree char *quoted = describe_text (self->texts[i], self->text_lens[i]);

        return fail (error, "byte token %d is %s, not <0x00> to <0xFF>", i, quoted);
      }
  return TRUE;
}

/* "Ġt he": the pair and the token it makes must all be in the vocabulary,
 * as Hugging Face's tokenizers require. */
static gboolean
read_merges (BendiTokenizer  *self,
             const BendiGguf *gguf,
             GError         **error)
{
  const BendiGgufValue *merges = NULL;
  g_autoptr (GString) joined = g_string_new (NULL);

  if (!bendi_gguf_get_array (gguf, KEY_MERGES, BENDI_GGUF_TYPE_STRING, TRUE, &merges, error))
    return FALSE;
  if (merges->arr.n > G_MAXINT32)
    return fail (error, "%" G_GSIZE_FORMAT " merges are too many", merges->arr.n);

  bendi_merge_index_init (&self->merges, merges->arr.n);
  for (gsize i = 0; i < merges->arr.n; i++)
    {
      const BendiGgufString *s = &merges->arr.strings[i];
      const char *space = s->len > 1 ? memchr (s->data + 1, ' ', s->len - 1) : NULL;
      BendiToken left, right, result;
      gsize left_len, right_len;

      if (space == NULL)
        {
          g_autofree char *quoted = describe_text (s->data, s->len);

          return fail (error, "merge %" G_GSIZE_FORMAT ", %s, has no space between two tokens", i, quoted);
        }
      left_len = (gsize) (space - s->data);
      right_len = s->len - left_len - 1;
      left = bendi_tokenizer_lookup (self, s->data, left_len);
      right = bendi_tokenizer_lookup (self, space + 1, right_len);
      g_string_truncate (joined, 0);
      g_string_append_len (joined, s->data, (gssize) left_len);
      g_string_append_len (joined, space + 1, (gssize) right_len);
      result = bendi_tokenizer_lookup (self, joined->str, joined->len);
      if (left == BENDI_TOKEN_NONE || right == BENDI_TOKEN_NONE || result == BENDI_TOKEN_NONE)
        {
          g_autofree char *quoted = describe_text (s->data, s->len);

          return fail (error, "merge %" G_GSIZE_FORMAT ", %s, names a token the vocabulary lacks", i, quoted);
        }
      bendi_merge_index_insert (&self->merges, left, right, (gint32) i, result);
    }
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Special tokens */

/* An id from the metadata. Like llama.cpp, an id outside the vocabulary
 * (often 0xFFFFFFFF for "none") leaves the default in place. */
static gboolean
read_special_id (const BendiTokenizer *self,
                 const BendiGguf      *gguf,
                 const char           *key,
                 BendiToken           *id,
                 GError              **error)
{
  const BendiGgufValue *value = bendi_gguf_find (gguf, key);
  gint64 v;

  if (value == NULL)
    return TRUE;
  if (!bendi_gguf_value_get_int64 (value, &v))
    {
      if (value->type == BENDI_GGUF_TYPE_UINT64)
        v = -1;
      else
        return fail (error, "'%s' has type %s; expected an integer", key, bendi_gguf_type_name (value->type));
    }
  if (v < 0 || v >= self->n_vocab)
    g_debug ("Vocabulary: '%s' = %" G_GINT64_FORMAT " is outside the vocabulary; keeping %d", key, v, *id);
  else
    *id = (BendiToken) v;
  return TRUE;
}

static gboolean
read_special_ids (BendiTokenizer  *self,
                  const BendiGguf *gguf,
                  ExtraIds        *extra,
                  GError         **error)
{
  const struct {
    const char *key;
    BendiToken *id;
  } keys[] = {
    { KEY_BOS_ID,                          &self->bos },
    { KEY_EOS_ID,                          &self->eos },
    { "tokenizer.ggml.eot_token_id",       &extra->eot },
    { "tokenizer.ggml.eom_token_id",       &extra->eom },
    { "tokenizer.ggml.unknown_token_id",   &self->unk },
    { "tokenizer.ggml.fim_pre_token_id",   &extra->fim[FIM_PRE] },
    { "tokenizer.ggml.fim_suf_token_id",   &extra->fim[FIM_SUF] },
    { "tokenizer.ggml.fim_mid_token_id",   &extra->fim[FIM_MID] },
    { "tokenizer.ggml.fim_pad_token_id",   &extra->fim[FIM_PAD] },
    { "tokenizer.ggml.fim_rep_token_id",   &extra->fim[FIM_REP] },
    { "tokenizer.ggml.fim_sep_token_id",   &extra->fim[FIM_SEP] },
    /* older names, which win as in llama.cpp */
    { "tokenizer.ggml.prefix_token_id",    &extra->fim[FIM_PRE] },
    { "tokenizer.ggml.suffix_token_id",    &extra->fim[FIM_SUF] },
    { "tokenizer.ggml.middle_token_id",    &extra->fim[FIM_MID] },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      /* A default the vocabulary is too small for is no token at all. */
      if (*keys[i].id >= self->n_vocab)
        *keys[i].id = BENDI_TOKEN_NONE;
      if (!read_special_id (self, gguf, keys[i].key, keys[i].id, error))
        return FALSE;
    }

  if (!bendi_gguf_get_bool (gguf, KEY_ADD_BOS, FALSE, &self->add_bos, error) ||
      !bendi_gguf_get_bool (gguf, KEY_ADD_EOS, FALSE, &self->add_eos, error))
    return FALSE;
  if (self->add_bos && self->bos == BENDI_TOKEN_NONE)
    return fail (error, "'%s' is true, but there is no BOS token ('%s')", KEY_ADD_BOS, KEY_BOS_ID);
  if (self->add_eos && self->eos == BENDI_TOKEN_NONE)
    return fail (error, "'%s' is true, but there is no EOS token ('%s')", KEY_ADD_EOS, KEY_EOS_ID);
  return TRUE;
}

static gboolean
text_is_one_of (const BendiTokenizer *self,
                BendiToken            id,
                const char *const    *texts)
{
  for (gsize i = 0; texts[i] != NULL; i++)
    if (strlen (texts[i]) == self->text_lens[id] && strcmp (self->texts[id], texts[i]) == 0)
      return TRUE;
  return FALSE;
}

/* Finds the special tokens the metadata left out by their text, and the
 * tokens that end a generation, as llama.cpp's load () does (its lists as
 * of 2026). Tokens found this way are control tokens whatever their type. */
static void
find_special_tokens (BendiTokenizer *self,
                     ExtraIds       *extra)
{
  static const char *const eot_texts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
    "<EOT>", "_<EOT>", "[EOT]", "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>",
    "<end_of_utterance>", NULL
  };
  static const char *const eom_texts[] = { "<|eom_id|>", NULL };
  static const char *const fim_texts[N_FIM][9] = {
    [FIM_PRE] = { "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<\xef\xbd\x9c" "fim\xe2\x96\x81" "begin\xef\xbd\x9c>",
                  "<PRE>", "\xe2\x96\x81<PRE>", "<|code_prefix|>", "<|prefix|>", NULL },
    [FIM_SUF] = { "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<\xef\xbd\x9c" "fim\xe2\x96\x81hole\xef\xbd\x9c>",
                  "<SUF>", "\xe2\x96\x81<SUF>", "<|code_suffix|>", "<|suffix|>", NULL },
    [FIM_MID] = { "<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<\xef\xbd\x9c" "fim\xe2\x96\x81" "end\xef\xbd\x9c>",
                  "<MID>", "\xe2\x96\x81<MID>", "<|code_middle|>", "<|middle|>", NULL },
    [FIM_PAD] = { "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]", NULL },
    [FIM_REP] = { "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>", NULL },
    [FIM_SEP] = { "<|file_sep|>", NULL },
  };
  static const char *const eog_texts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
    "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
    "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
    "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>", "[e~[", NULL
  };
  const BendiToken eog_ids[] = {
    self->eos, extra->eot, extra->eom, extra->fim[FIM_PAD], extra->fim[FIM_REP], extra->fim[FIM_SEP],
  };

  /* llama.cpp walks a hash map here; ids in order make the choice between
   * two candidates stable. */
  for (BendiToken id = 0; id < self->n_vocab; id++)
    {
      if (extra->eot == BENDI_TOKEN_NONE && text_is_one_of (self, id, eot_texts))
        {
          extra->eot = id;
          self->attrs[id] |= BENDI_TOKEN_ATTR_CONTROL;
        }
      if (extra->eom == BENDI_TOKEN_NONE && text_is_one_of (self, id, eom_texts))
        {
          extra->eom = id;
          self->attrs[id] |= BENDI_TOKEN_ATTR_CONTROL;
        }
      for (guint kind = 0; kind < N_FIM; kind++)
        if (extra->fim[kind] == BENDI_TOKEN_NONE && text_is_one_of (self, id, fim_texts[kind]))
          {
            extra->fim[kind] = id;
            self->attrs[id] |= BENDI_TOKEN_ATTR_CONTROL;
          }
      if (text_is_one_of (self, id, eog_texts))
        self->attrs[id] |= BENDI_TOKEN_ATTR_EOG | BENDI_TOKEN_ATTR_CONTROL;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (eog_ids); i++)
    if (eog_ids[i] != BENDI_TOKEN_NONE)
      self->attrs[eog_ids[i]] |= BENDI_TOKEN_ATTR_EOG;
  self->eot = extra->eot;
  self->eom = extra->eom;
}

static gint
compare_special (gconstpointer a,
                 gconstpointer b,
                 gpointer      user_data)
{
  const BendiTokenizer *self = user_data;
  BendiToken x = *(const BendiToken *) a;
  BendiToken y = *(const BendiToken *) b;

  if (self->text_lens[x] != self->text_lens[y])
    return self->text_lens[x] > self->text_lens[y] ? -1 : 1;
  return x < y ? -1 : x > y;
}

static void
set_token_attr (BendiTokenizer *self,
                const char     *text,
                guint16         attr,
                gboolean        value)
{
  BendiToken id = bendi_tokenizer_lookup (self, text, strlen (text));

  if (id == BENDI_TOKEN_NONE)
    return;
  if (value)
    self->attrs[id] |= attr;
  else
    self->attrs[id] &= (guint16) ~attr;
}

/* The tokens matched in text before tokenizing, longest first, and the
 * per-model spacing rules llama.cpp hard-codes for them. */
static void
build_special_list (BendiTokenizer  *self,
                    const BendiGguf *gguf)
{
  const guint16 special = BENDI_TOKEN_ATTR_CONTROL | BENDI_TOKEN_ATTR_USER_DEFINED | BENDI_TOKEN_ATTR_UNKNOWN;
  const char *name = NULL;
  g_autofree char *lower = NULL;

  self->special = g_new (BendiToken, self->n_vocab);
  for (BendiToken id = 0; id < self->n_vocab; id++)
    if (self->attrs[id] & special)
      self->special[self->n_special++] = id;
  g_qsort_with_data (self->special, (gint) self->n_special, sizeof (BendiToken), compare_special, self);

  if (self->pre_name != NULL &&
      (strstr (self->pre_name, "jina-v2-de") != NULL || strstr (self->pre_name, "jina-v2-es") != NULL ||
       strstr (self->pre_name, "jina-v2-code") != NULL))
    {
      set_token_attr (self, "<mask>", BENDI_TOKEN_ATTR_LSTRIP, TRUE);
      return;
    }

  /* Phi-3 drops the spaces after its chat tokens. */
  if (!bendi_gguf_get_string (gguf, "general.name", FALSE, &name, NULL) || name == NULL)
    return;
  lower = g_ascii_strdown (name, -1);
  if (strstr (lower, "phi-3") != NULL || strstr (lower, "phi3") != NULL)
    {
      for (gsize i = 0; i < self->n_special; i++)
        self->attrs[self->special[i]] |= BENDI_TOKEN_ATTR_RSTRIP;
      set_token_attr (self, "</s>", BENDI_TOKEN_ATTR_RSTRIP, TRUE);
      set_token_attr (self, "<unk>", BENDI_TOKEN_ATTR_RSTRIP, FALSE);
      set_token_attr (self, "<s>", BENDI_TOKEN_ATTR_RSTRIP, FALSE);
      set_token_attr (self, "<|endoftext|>", BENDI_TOKEN_ATTR_RSTRIP, FALSE);
    }
}

/* SentencePiece byte fallback: "<0x41>", else the byte as a one-byte token. */
static void
find_byte_tokens (BendiTokenizer *self)
{
  for (guint b = 0; b < 256; b++)
    {
      char text[8];
      char single = (char) b;

      g_snprintf (text, sizeof text, "<0x%02X>", b);
      self->byte_tokens[b] = bendi_tokenizer_lookup (self, text, 6);
      if (self->byte_tokens[b] == BENDI_TOKEN_NONE)
        self->byte_tokens[b] = bendi_tokenizer_lookup (self, &single, 1);
    }
}

/* Whether no token has a "▁" right after another character; then no
 * SentencePiece merge can cross the start of a word. */
static gboolean
no_token_spans_words (const BendiTokenizer *self)
{
  for (BendiToken id = 0; id < self->n_vocab; id++)
    {
      const char *text = self->texts[id];
      gsize len = self->text_lens[id];

      for (gsize pos = 1; pos + 3 <= len; pos++)
        if (memcmp (text + pos, "\xe2\x96\x81", 3) == 0 &&
            (pos < 3 || memcmp (text + pos - 3, "\xe2\x96\x81", 3) != 0))
          return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Pieces: what each token prints as, computed once. */

static void
append_piece (const BendiTokenizer *self,
              BendiToken            id,
              GString              *out)
{
  guint16 attr = self->attrs[id];
  const char *text = self->texts[id];
  gsize len = self->text_lens[id];
  gsize start;

  if (attr & (BENDI_TOKEN_ATTR_UNKNOWN | BENDI_TOKEN_ATTR_CONTROL | BENDI_TOKEN_ATTR_USER_DEFINED))
    {
      g_string_append_len (out, text, (gssize) len);
      return;
    }
  if (attr & BENDI_TOKEN_ATTR_BYTE)
    {
      g_string_append_c (out, (char) parse_byte_token (text, len));
      return;
    }
  if (!(attr & BENDI_TOKEN_ATTR_NORMAL))
    return;

  if (self->type == BENDI_VOCAB_SPM)
    {
      for (gsize pos = 0; pos < len; pos++)
        {
          if (pos + 3 <= len && memcmp (text + pos, "\xe2\x96\x81", 3) == 0)
            {
              g_string_append_c (out, ' ');
              pos += 2;
            }
          else
            g_string_append_c (out, text[pos]);
        }
      return;
    }

  /* Byte-level BPE: each character of the alphabet is one byte. One that
   * is not gets llama.cpp's marker, which repeats the whole text; markers
   * stop at a few times the text's length so that a hostile vocabulary
   * cannot make the pieces quadratic. */
  start = out->len;
  for (gsize pos = 0; pos < len;)
    {
      gsize n = 1;
      gunichar c = 0;
      gint byte;

      bendi_utf8_next (text + pos, len - pos, &n, &c);
      byte = bendi_unicode_to_byte (c);
      if (byte >= 0)
        g_string_append_c (out, (char) byte);
      else if (out->len - start + len + 2 * n + 13 <= MAX (4 * len, 256))
        {
          g_string_append (out, "[UNK_BYTE_0x");
          for (gsize i = 0; i < n; i++)
            g_string_append_printf (out, "%02x", (guint8) text[pos + i]);
          g_string_append_len (out, text, (gssize) len);
          g_string_append_c (out, ']');
        }
      pos += n;
    }
}

static void
build_pieces (BendiTokenizer *self)
{
  g_autoptr (GString) storage = g_string_new (NULL);
  g_autofree gsize *offsets = g_new (gsize, (gsize) self->n_vocab + 1);

  /* Each piece is followed by a NUL, which its length leaves out. */
  for (BendiToken id = 0; id < self->n_vocab; id++)
    {
      offsets[id] = storage->len;
      append_piece (self, id, storage);
      g_string_append_c (storage, '\0');
    }
  offsets[self->n_vocab] = storage->len;

  self->piece_storage = g_string_free (g_steal_pointer (&storage), FALSE);
  self->pieces = g_new (const char *, self->n_vocab);
  self->piece_lens = g_new (guint32, self->n_vocab);
  for (BendiToken id = 0; id < self->n_vocab; id++)
    {
      self->pieces[id] = self->piece_storage + offsets[id];
      self->piece_lens[id] = (guint32) (offsets[id + 1] - offsets[id] - 1);
    }
}

/* ------------------------------------------------------------------------ */

static gboolean
read_model (BendiTokenizer  *self,
            const BendiGguf *gguf,
            GError         **error)
{
  const char *model = NULL;
  const char *pre = NULL;
  const BendiPreTokenizerInfo *info;

  if (!bendi_gguf_get_string (gguf, KEY_MODEL, TRUE, &model, error) ||
      !bendi_gguf_get_string (gguf, KEY_PRE, FALSE, &pre, error))
    return FALSE;

  if (g_strcmp0 (model, "llama") == 0)
    {
      /* SentencePiece: the pre-tokenizer key, if any, does not apply. */
      self->type = BENDI_VOCAB_SPM;
      self->pre = BENDI_PRE_DEFAULT;
      self->pre_name = g_strdup ("default");
      self->bos = 1;
      self->eos = 2;
      self->unk = 0;
      self->add_bos = TRUE;
      self->add_space_prefix = TRUE;
      return TRUE;
    }
  if (g_strcmp0 (model, "gpt2") != 0)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_UNSUPPORTED,
                   "The tokenizer model '%s' is not supported; Bendi reads 'llama' (SentencePiece) and 'gpt2' (BPE)",
                   model);
      return FALSE;
    }

  self->type = BENDI_VOCAB_BPE;
  self->bos = 11;
  self->eos = 11;
  self->unk = BENDI_TOKEN_NONE;
  if (pre == NULL)
    {
      /* llama.cpp warns and carries on; old conversions lack the key. */
      g_debug ("Vocabulary: no %s; using the default pre-tokenizer", KEY_PRE);
      pre = "default";
    }
  /* An unknown pre-tokenizer is refused, as llama.cpp refuses it: the
   * default rules would split words differently from the model's training
   * and quietly degrade every answer. */
  info = bendi_pre_tokenizer_lookup (pre);
  if (info == NULL)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_UNSUPPORTED,
                   "The pre-tokenizer '%s' (%s) is not supported", pre, KEY_PRE);
      return FALSE;
    }
  self->pre = info->pre;
  self->pre_name = g_strdup (info->name);
  self->ignore_merges = info->ignore_merges;
  self->add_bos = info->add_bos;
  self->clean_spaces = info->clean_spaces;
  if (info->no_bos)
    self->bos = BENDI_TOKEN_NONE;
  return TRUE;
}

BendiTokenizer *
bendi_tokenizer_new_from_gguf (const BendiGguf *gguf,
                               GError         **error)
{
  g_autoptr (BendiTokenizer) self = g_new0 (BendiTokenizer, 1);
  ExtraIds extra;

  g_return_val_if_fail (gguf != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  extra.eot = BENDI_TOKEN_NONE;
  extra.eom = BENDI_TOKEN_NONE;
  for (guint i = 0; i < N_FIM; i++)
    extra.fim[i] = BENDI_TOKEN_NONE;

  if (!read_model (self, gguf, error) ||
      !bendi_gguf_get_bool (gguf, KEY_ADD_PREFIX, FALSE, &self->add_space_prefix, error) ||
      !read_tokens (self, gguf, error) ||
      (self->type == BENDI_VOCAB_BPE && !read_merges (self, gguf, error)) ||
      !read_special_ids (self, gguf, &extra, error))
    return NULL;

  find_special_tokens (self, &extra);
  build_special_list (self, gguf);
  find_byte_tokens (self);
  if (self->type == BENDI_VOCAB_SPM)
    self->spm_split_words = no_token_spans_words (self);
  build_pieces (self);
  return g_steal_pointer (&self);
}

/* ------------------------------------------------------------------------ */

gint32
bendi_tokenizer_get_n_vocab (const BendiTokenizer *self)
{
  return self->n_vocab;
}

const char *
bendi_tokenizer_get_model (const BendiTokenizer *self)
{
  return self->type == BENDI_VOCAB_SPM ? "llama" : "gpt2";
}

const char *
bendi_tokenizer_get_pre (const BendiTokenizer *self)
{
  return self->pre_name;
}

BendiToken
bendi_tokenizer_get_bos (const BendiTokenizer *self)
{
  return self->bos;
}

BendiToken
bendi_tokenizer_get_eos (const BendiTokenizer *self)
{
  return self->eos;
}

gboolean
bendi_tokenizer_get_add_bos (const BendiTokenizer *self)
{
  return self->add_bos;
}

gboolean
bendi_tokenizer_get_add_eos (const BendiTokenizer *self)
{
  return self->add_eos;
}

gboolean
bendi_tokenizer_is_end_of_generation (const BendiTokenizer *self,
                                      BendiToken            token)
{
  return bendi_tokenizer_has_token (self, token) && (self->attrs[token] & BENDI_TOKEN_ATTR_EOG);
}

gboolean
bendi_tokenizer_is_control (const BendiTokenizer *self,
                            BendiToken            token)
{
  return bendi_tokenizer_has_token (self, token) && (self->attrs[token] & BENDI_TOKEN_ATTR_CONTROL);
}

const char *
bendi_tokenizer_get_text (const BendiTokenizer *self,
                          BendiToken            token)
{
  return bendi_tokenizer_has_token (self, token) ? self->texts[token] : NULL;
}
