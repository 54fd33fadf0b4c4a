/* SPDX-License-Identifier: MIT */
/* SentencePiece-style encoding as llama.cpp does it: start from single
 * characters, merge the adjacent pair whose union is the best-scoring token
 * until none is left, and spell what never became a token in byte tokens. */
#include "tokenizer/tokenizer-private.h"

#include <string.h>

#include "engine-error.h"

#define ESCAPED_SPACE     "\xe2\x96\x81"   /* U+2581 ▁, SentencePiece's space */
#define ESCAPED_SPACE_LEN 3

typedef struct {
  gsize      start;   /* in the escaped text */
  guint32    len;     /* 0 once merged into the symbol on its left */
  gint32     prev;
  gint32     next;
  BendiToken token;   /* known once merged; looked up at the end otherwise */
} Symbol;

typedef struct {
  const BendiTokenizer *tokenizer;
  const char           *text;
  Symbol               *symbols;
  gsize                 capacity;   /* of symbols */
  BendiHeap             queue;
} Session;

/* Scores as keys that sort like the floats (no NaN: the loader refuses
 * them, and it stores zero as +0). */
static guint32
score_order (float score)
{
  guint32 bits;

  memcpy (&bits, &score, sizeof bits);
  return (bits & 0x80000000u) ? ~bits : bits | 0x80000000u;
}

/* Queues the pair if its union is a token. The best score comes first and
 * on a tie the leftmost pair, as llama.cpp orders them. */
static void
try_add_bigram (Session *s,
                gint32   left,
                gint32   right)
{
  const Symbol *l, *r;
  BendiToken token;
  guint64 key;

  if (left < 0 || right < 0)
    return;
  l = &s->symbols[left];
  r = &s->symbols[right];
  /* Live neighbours are contiguous in the text, so their union is a slice. */
  token = bendi_tokenizer_lookup (s->tokenizer, s->text + l->start, (gsize) l->len + r->len);
  if (token == BENDI_TOKEN_NONE)
    return;
  key = ((guint64) ~score_order (s->tokenizer->scores[token]) << 32) | (guint32) left;
  bendi_heap_push (&s->queue, key, l->len + r->len, (guint32) token);
}

/* A symbol that is no token: its bytes as byte tokens, or one <unk> when
 * the vocabulary cannot spell them. */
static gboolean
emit_fallback (const BendiTokenizer *self,
               const char           *text,
               gsize                 len,
               GArray               *out,
               GError              **error)
{
  gboolean spelled = TRUE;

  for (gsize i = 0; i < len; i++)
    if (self->byte_tokens[(guint8) text[i]] == BENDI_TOKEN_NONE)
      spelled = FALSE;

  if (spelled)
    {
      for (gsize i = 0; i < len; i++)
        g_array_append_val (out, self->byte_tokens[(guint8) text[i]]);
      return TRUE;
    }
  if (self->unk != BENDI_TOKEN_NONE)
    {
      g_array_append_val (out, self->unk);
      return TRUE;
    }
  g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_INPUT,
               "The text holds '%.*s', which the vocabulary has neither a token, byte tokens nor <unk> for",
               (int) len, text);
  return FALSE;
}

/* Merges the characters of [start, end) of the escaped text. */
static gboolean
encode_chunk (Session *s,
              gsize    start,
              gsize    end,
              GArray  *out,
              GError **error)
{
  Symbol *symbols;
  gint32 n_symbols = 0;
  gsize n_chars = 0;
  BendiHeapItem item;

  for (gsize pos = start; pos < end; pos++)
    n_chars += ((guint8) s->text[pos] & 0xc0) != 0x80;
  if (s->capacity < n_chars)
    {
      s->capacity = n_chars;
      s->symbols = g_renew (Symbol, s->symbols, s->capacity);
    }
  symbols = s->symbols;
  for (gsize pos = start; pos < end; n_symbols++)
    {
      gsize n = MIN (bendi_utf8_lead_len ((guint8) s->text[pos]), end - pos);

      symbols[n_symbols].start = pos;
      symbols[n_symbols].len = (guint32) n;
      symbols[n_symbols].prev = n_symbols - 1;
      pos += n;
      symbols[n_symbols].next = pos == end ? -1 : n_symbols + 1;
      symbols[n_symbols].token = BENDI_TOKEN_NONE;
    }

  for (gint32 i = 1; i < n_symbols; i++)
    try_add_bigram (s, i - 1, i);

  while (bendi_heap_pop (&s->queue, &item))
    {
      gint32 left_index = (gint32) (guint32) item.key;
      Symbol *left = &symbols[left_index];
      Symbol *right;

      /* Skip pairs one side of which has changed since they were queued:
       * symbols only grow, so an unchanged total means unchanged sides. */
      if (left->len == 0 || left->next < 0)
        continue;
      right = &symbols[left->next];
      if ((gsize) left->len + right->len != item.a)
        continue;

      left->len += right->len;
      left->token = (BendiToken) item.b;
      right->len = 0;
      left->next = right->next;
      if (right->next >= 0)
        symbols[right->next].prev = left_index;

      try_add_bigram (s, left->prev, left_index);
      try_add_bigram (s, left_index, left->next);
    }

  for (gint32 i = 0; i >= 0 && n_symbols > 0; i = symbols[i].next)
    {
      const Symbol *sym = &symbols[i];
      BendiToken token = sym->token;

      if (token == BENDI_TOKEN_NONE)
        token = bendi_tokenizer_lookup (s->tokenizer, s->text + sym->start, sym->len);
      if (token != BENDI_TOKEN_NONE)
        g_array_append_val (out, token);
      else if (!emit_fallback (s->tokenizer, s->text + sym->start, sym->len, out, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
is_escaped_space (const GString *text,
                  gsize          pos)
{
  return pos + ESCAPED_SPACE_LEN <= text->len && memcmp (text->str + pos, ESCAPED_SPACE, ESCAPED_SPACE_LEN) == 0;
}

gboolean
bendi_spm_encode (const BendiTokenizer *self,
                  const char           *text,
                  gsize                 len,
                  gboolean              add_space_prefix,
                  GArray               *out,
                  GError              **error)
{
  g_autoptr (GString) escaped = NULL;
  Session s = { 0 };
  gsize chunk = 0;
  gboolean ok = TRUE;

  /* Spaces become ▁, and text after a special token (or at the start)
   * gets one in front, as SentencePiece's dummy prefix. */
  escaped = g_string_sized_new (len + 16);
  if (add_space_prefix)
    g_string_append (escaped, ESCAPED_SPACE);
  for (gsize i = 0; i < len; i++)
    {
      if (text[i] == ' ')
        g_string_append (escaped, ESCAPED_SPACE);
      else
        g_string_append_c (escaped, text[i]);
    }
  if (escaped->len == 0)
    return TRUE;

  s.tokenizer = self;
  s.text = escaped->str;

  /* llama.cpp merges over the whole text at once. Where no token can span
   * the start of a word, words are independent and the result is the same
   * word by word, with small queues instead of one the size of the text. */
  if (self->spm_split_words)
    {
      gboolean prev_space = TRUE;

      for (gsize pos = 0; pos < escaped->len && ok;)
        {
          gboolean space = is_escaped_space (escaped, pos);

          if (space && !prev_space && pos > chunk)
            {
              ok = encode_chunk (&s, chunk, pos, out, error);
              chunk = pos;
            }
          prev_space = space;
          pos += space ? ESCAPED_SPACE_LEN : 1;
        }
    }
  if (ok)
    ok = encode_chunk (&s, chunk, escaped->len, out, error);
  bendi_heap_clear (&s.queue);
  g_free (s.symbols);
  return ok;
}
