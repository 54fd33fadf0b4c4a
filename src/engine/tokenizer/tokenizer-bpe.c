/* SPDX-License-Identifier: MIT */
/* Byte-level BPE as llama.cpp does it: pre-tokenize into words, spell each
 * word in GPT-2's byte alphabet, then apply the lowest-ranked merge between
 * adjacent symbols until no listed merge is left. */
#include "tokenizer/tokenizer-private.h"

#include <string.h>

typedef struct {
  gsize      start;   /* in the encoded word */
  gsize      len;     /* 0 once merged into the symbol on its left */
  gint32     prev;
  gint32     next;
  BendiToken token;   /* BENDI_TOKEN_NONE for a character the vocabulary lacks */
} Symbol;

typedef struct {
  const BendiTokenizer *tokenizer;
  GString              *word;      /* the current word in the byte alphabet */
  GArray               *symbols;   /* Symbol */
  BendiHeap             queue;
} Session;

/* Queues the pair if it merges: the lowest rank first and on a tie the
 * leftmost pair, as llama.cpp orders them. */
static void
add_bigram (Session *s,
            gint32   left,
            gint32   right)
{
  const Symbol *l, *r;
  BendiToken result;
  gint32 rank;

  if (left < 0 || right < 0)
    return;
  l = &g_array_index (s->symbols, Symbol, left);
  r = &g_array_index (s->symbols, Symbol, right);
  rank = bendi_tokenizer_merge_rank (s->tokenizer, l->token, r->token, &result);
  if (rank < 0)
    return;
  bendi_heap_push (&s->queue, ((guint64) rank << 32) | (guint32) left, (guint32) l->token, (guint32) r->token);
}

static void
encode_word (Session *s,
             GArray  *out)
{
  const BendiTokenizer *self = s->tokenizer;
  const char *word = s->word->str;
  gsize len = s->word->len;
  Symbol *symbols;
  BendiHeapItem item;

  /* Llama 3 and its kin take a word that is a whole token as it is, even
   * where the merges would split it otherwise. */
  if (self->ignore_merges)
    {
      BendiToken token = bendi_tokenizer_lookup (self, word, len);

      if (token != BENDI_TOKEN_NONE)
        {
          g_array_append_val (out, token);
          return;
        }
    }

  g_array_set_size (s->symbols, 0);
  for (gsize pos = 0; pos < len;)
    {
      Symbol sym;

      sym.start = pos;
      sym.len = MIN (bendi_utf8_lead_len ((guint8) word[pos]), len - pos);
      sym.prev = (gint32) s->symbols->len - 1;
      pos += sym.len;
      sym.next = pos == len ? -1 : (gint32) s->symbols->len + 1;
      sym.token = bendi_tokenizer_lookup (self, word + sym.start, sym.len);
      g_array_append_val (s->symbols, sym);
    }

  for (guint i = 1; i < s->symbols->len; i++)
    add_bigram (s, (gint32) i - 1, (gint32) i);

  symbols = (Symbol *) (gpointer) s->symbols->data;
  while (bendi_heap_pop (&s->queue, &item))
    {
      gint32 left_index = (gint32) (guint32) item.key;
      Symbol *left = &symbols[left_index];
      Symbol *right;
      BendiToken result = BENDI_TOKEN_NONE;

      /* Skip pairs one side of which has been merged away or grown since
       * they were queued. Texts are unique, so equal tokens mean equal
       * texts, and a merge always changes the left token. */
      if (left->len == 0 || left->next < 0)
        continue;
      right = &symbols[left->next];
      if (left->token != (BendiToken) item.a || right->token != (BendiToken) item.b)
        continue;

      bendi_tokenizer_merge_rank (self, left->token, right->token, &result);
      left->len += right->len;
      left->token = result;
      right->len = 0;
      left->next = right->next;
      if (right->next >= 0)
        symbols[right->next].prev = left_index;

      add_bigram (s, left->prev, left_index);
      add_bigram (s, left_index, left->next);
    }

  for (guint i = 0; i < s->symbols->len; i++)
    {
      const Symbol *sym = &symbols[i];

      if (sym->len == 0)
        continue;
      if (sym->token != BENDI_TOKEN_NONE)
        {
          g_array_append_val (out, sym->token);
          continue;
        }
      /* A character the vocabulary lacks: llama.cpp tries each of its
       * bytes as a one-byte token and drops those that are not. */
      for (gsize j = 0; j < sym->len; j++)
        {
          BendiToken token = bendi_tokenizer_lookup (self, word + sym->start + j, 1);

          if (token != BENDI_TOKEN_NONE)
            g_array_append_val (out, token);
        }
    }
}

void
bendi_bpe_encode (const BendiTokenizer *self,
                  const char           *text,
                  gsize                 len,
                  GArray               *out)
{
  g_autoptr (GArray) word_ends = g_array_new (FALSE, FALSE, sizeof (gsize));
  g_autoptr (GArray) symbols = g_array_new (FALSE, FALSE, sizeof (Symbol));
  g_autoptr (GString) word = g_string_new (NULL);
  Session s = { 0 };
  gsize start = 0;

  bendi_pre_tokenize (self->pre, text, len, word_ends);

  s.tokenizer = self;
  s.word = word;
  s.symbols = symbols;

  for (guint i = 0; i < word_ends->len; i++)
    {
      gsize end = g_array_index (word_ends, gsize, i);

      g_string_truncate (word, 0);
      for (gsize j = start; j < end; j++)
        {
          char encoded[2];
          gsize n = bendi_byte_to_unicode ((guint8) text[j], encoded);

          g_string_append_len (word, encoded, (gssize) n);
        }
      start = end;
      encode_word (&s, out);
    }
  bendi_heap_clear (&s.queue);
}
