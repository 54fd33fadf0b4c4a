/* SPDX-License-Identifier: MIT */
/* Text to tokens: checking the input, splitting special tokens out of it
 * as llama.cpp does, then SentencePiece or BPE on the stretches between. */
#include "tokenizer/tokenizer-private.h"

#include <string.h>

#include "engine-error.h"

/* A stretch of the input, or a special token found in it. */
typedef struct {
  gsize      offset;
  gsize      length;
  BendiToken token;    /* BENDI_TOKEN_NONE for text */
} Fragment;

/* Below this many bytes every special token is simply searched for. */
#define FILTER_MIN_TEXT 4096
#define GRAM_BITS       20

/* Which short byte strings occur in the text, so that special tokens that
 * cannot occur are not searched for: tokenising megabytes against hundreds
 * of special tokens would otherwise take hundreds of passes. A false "may
 * occur" only costs a search. */
typedef struct {
  guint8 *singles;   /* 256 bits */
  guint8 *pairs;     /* 65536 bits */
  guint8 *triples;   /* 2^GRAM_BITS bits, hashed */
  guint8 *quads;     /* 2^GRAM_BITS bits, hashed */
} GramFilter;

static guint32
gram_hash (const guint8 *p,
           gsize         n)
{
  guint32 h = 0;

  for (gsize i = 0; i < n; i++)
    h = (h << 8) | p[i];
  return (h * 2654435761u) >> (32 - GRAM_BITS);
}

static void
set_bit (guint8 *bits,
         guint32 i)
{
  bits[i >> 3] |= (guint8) (1u << (i & 7));
}

static gboolean
get_bit (const guint8 *bits,
         guint32       i)
{
  return (bits[i >> 3] >> (i & 7)) & 1;
}

static void
gram_filter_init (GramFilter *f,
                  const char *text,
                  gsize       len)
{
  const guint8 *p = (const guint8 *) text;

  f->singles = g_malloc0 (256 / 8);
  f->pairs = g_malloc0 (65536 / 8);
  f->triples = g_malloc0 ((1u << GRAM_BITS) / 8);
  f->quads = g_malloc0 ((1u << GRAM_BITS) / 8);
  for (gsize i = 0; i < len; i++)
    {
      set_bit (f->singles, p[i]);
      if (i + 2 <= len)
        set_bit (f->pairs, ((guint32) p[i] << 8) | p[i + 1]);
      if (i + 3 <= len)
        set_bit (f->triples, gram_hash (p + i, 3));
      if (i + 4 <= len)
        set_bit (f->quads, gram_hash (p + i, 4));
    }
}

static void
gram_filter_clear (GramFilter *f)
{
  g_clear_pointer (&f->singles, g_free);
  g_clear_pointer (&f->pairs, g_free);
  g_clear_pointer (&f->triples, g_free);
  g_clear_pointer (&f->quads, g_free);
}

static gboolean
gram_filter_may_contain (const GramFilter *f,
                         const char       *needle,
                         gsize             len)
{
  const guint8 *p = (const guint8 *) needle;

  if (f->singles == NULL)
    return TRUE;
  switch (len)
    {
    case 1:
      return get_bit (f->singles, p[0]);
    case 2:
      return get_bit (f->pairs, ((guint32) p[0] << 8) | p[1]);
    case 3:
      return get_bit (f->triples, gram_hash (p, 3));
    default:
      return get_bit (f->quads, gram_hash (p, 4)) && get_bit (f->quads, gram_hash (p + len - 4, 4));
    }
}

/* ------------------------------------------------------------------------ */

static gboolean
is_c_space (char c)
{
  return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Splits every text fragment at each occurrence of @token, leftmost first,
 * keeping llama.cpp's rules for the spaces beside lstrip/rstrip tokens. */
static void
split_out_token (const BendiTokenizer *self,
                 const char           *text,
                 BendiToken            token,
                 GArray               *fragments,
                 GArray               *result)
{
  const char *needle = self->texts[token];
  gsize needle_len = self->text_lens[token];
  guint16 attr = self->attrs[token];

  g_array_set_size (result, 0);
  for (guint i = 0; i < fragments->len; i++)
    {
      Fragment frag = g_array_index (fragments, Fragment, i);
      gsize start = frag.offset;
      gsize end = frag.offset + frag.length;

      if (frag.token != BENDI_TOKEN_NONE)
        {
          g_array_append_val (result, frag);
          continue;
        }
      while (start < end)
        {
          const char *found = memmem (text + start, end - start, needle, needle_len);
          gsize match, left_end;
          Fragment piece;

          if (found == NULL)
            {
              piece.offset = start;
              piece.length = end - start;
              piece.token = BENDI_TOKEN_NONE;
              g_array_append_val (result, piece);
              break;
            }
          match = (gsize) (found - text);
          left_end = match;
          if (attr & BENDI_TOKEN_ATTR_LSTRIP)
            while (left_end > start && is_c_space (text[left_end - 1]))
              left_end--;
          if (left_end > start)
            {
              piece.offset = start;
              piece.length = left_end - start;
              piece.token = BENDI_TOKEN_NONE;
              g_array_append_val (result, piece);
            }
          piece.offset = match;
          piece.length = needle_len;
          piece.token = token;
          g_array_append_val (result, piece);

          start = match + needle_len;
          if (attr & BENDI_TOKEN_ATTR_RSTRIP)
            while (start < end && is_c_space (text[start]))
              start++;
        }
    }
}

/* The input as text fragments and special tokens. Without PARSE_SPECIAL
 * only user-defined tokens are split out, as Hugging Face does. */
static GArray *
partition (const BendiTokenizer *self,
           const char           *text,
           gsize                 len,
           gboolean              parse_special)
{
  GArray *fragments = g_array_new (FALSE, FALSE, sizeof (Fragment));
  g_autoptr (GArray) scratch = g_array_new (FALSE, FALSE, sizeof (Fragment));
  GramFilter filter = { 0 };
  Fragment whole = { 0, len, BENDI_TOKEN_NONE };

  if (len == 0)
    return fragments;
  g_array_append_val (fragments, whole);
  if (len >= FILTER_MIN_TEXT)
    gram_filter_init (&filter, text, len);

  for (gsize i = 0; i < self->n_special; i++)
    {
      BendiToken token = self->special[i];
      GArray *swap;

      if (!parse_special && (self->attrs[token] & (BENDI_TOKEN_ATTR_CONTROL | BENDI_TOKEN_ATTR_UNKNOWN)))
        continue;
      if (!gram_filter_may_contain (&filter, self->texts[token], self->text_lens[token]))
        continue;
      split_out_token (self, text, token, fragments, scratch);
      swap = fragments;
      fragments = scratch;
      scratch = swap;
    }
  gram_filter_clear (&filter);
  return fragments;
}

GArray *
bendi_tokenizer_encode (const BendiTokenizer *self,
                        const char           *text,
                        gsize                 len,
                        BendiTokenizeFlags    flags,
                        GError              **error)
{
  g_autoptr (GArray) out = NULL;
  g_autoptr (GArray) fragments = NULL;
  gboolean after_special = TRUE;
  gsize bad = 0;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (text == NULL && len > 0)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_ARGUMENT,
                   "No text given for %" G_GSIZE_FORMAT " bytes", len);
      return NULL;
    }
  if (len >= BENDI_TOKENIZER_MAX_INPUT)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_INPUT,
                   "The text is %" G_GSIZE_FORMAT " bytes long; the tokenizer takes less than 2 GiB", len);
      return NULL;
    }
  if (!bendi_utf8_validate (text, len, &bad))
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_INPUT,
                   "The text is not valid UTF-8 (byte %" G_GSIZE_FORMAT ")", bad);
      return NULL;
    }

  out = g_array_sized_new (FALSE, FALSE, sizeof (BendiToken), (guint) MIN (len / 3 + 16, 1u << 24));
  fragments = partition (self, text, len, (flags & BENDI_TOKENIZE_PARSE_SPECIAL) != 0);

  if ((flags & BENDI_TOKENIZE_ADD_SPECIAL) && self->add_bos)
    g_array_append_val (out, self->bos);

  for (guint i = 0; i < fragments->len; i++)
    {
      const Fragment *frag = &g_array_index (fragments, Fragment, i);

      if (frag->token != BENDI_TOKEN_NONE)
        {
          g_array_append_val (out, frag->token);
          after_special = TRUE;
          continue;
        }
      if (self->type == BENDI_VOCAB_SPM)
        {
          /* SentencePiece's dummy prefix goes at the start and after each
           * special token. */
          if (!bendi_spm_encode (self, text + frag->offset, frag->length,
                                 self->add_space_prefix && after_special, out, error))
            return NULL;
        }
      else
        bendi_bpe_encode (self, text + frag->offset, frag->length, out);
      after_special = FALSE;
    }

  if ((flags & BENDI_TOKENIZE_ADD_SPECIAL) && self->add_eos)
    g_array_append_val (out, self->eos);
  return g_steal_pointer (&out);
}
