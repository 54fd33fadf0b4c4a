/* SPDX-License-Identifier: MIT */
/* The tokenizer's lookup structures: token text → id, merge pair → rank,
 * and the binary heap both merge loops run on. */
#include "tokenizer/tokenizer-private.h"

#include <string.h>

/* FNV-1a: short keys, no setup, good enough spread for open addressing. */
static guint64
hash_bytes (const char *text,
            gsize       len)
{
  guint64 h = G_GUINT64_CONSTANT (0xcbf29ce484222325);

  for (gsize i = 0; i < len; i++)
    {
      h ^= (guint8) text[i];
      h *= G_GUINT64_CONSTANT (0x100000001b3);
    }
  return h;
}

/* splitmix64's finaliser, to spread id pairs over the slots. */
static guint64
hash_pair (guint64 key)
{
  key ^= key >> 30;
  key *= G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  key ^= key >> 27;
  key *= G_GUINT64_CONSTANT (0x94d049bb133111eb);
  key ^= key >> 31;
  return key;
}

/* Slots for @n keys at most half full. @n is capped by the vocabulary and
 * merge limits, so this cannot overflow. */
static gsize
slot_count (gsize n)
{
  gsize slots = 16;

  while (slots < 2 * n)
    slots *= 2;
  return slots;
}

/* ------------------------------------------------------------------------ */

void
bendi_token_index_init (BendiTokenIndex *index,
                        gsize            n)
{
  gsize slots = slot_count (n);

  index->slots = g_new (gint32, slots);
  memset (index->slots, 0xff, slots * sizeof (gint32));
  index->mask = slots - 1;
}

void
bendi_token_index_clear (BendiTokenIndex *index)
{
  g_clear_pointer (&index->slots, g_free);
  index->mask = 0;
}

gint32
bendi_token_index_insert (BendiTokenIndex      *index,
                          const BendiTokenizer *self,
                          gint32                id)
{
  const char *text = self->texts[id];
  gsize len = self->text_lens[id];
  gsize slot = hash_bytes (text, len) & index->mask;

  for (;;)
    {
      gint32 other = index->slots[slot];

      if (other < 0)
        {
          index->slots[slot] = id;
          return -1;
        }
      if (self->text_lens[other] == len && memcmp (self->texts[other], text, len) == 0)
        return other;
      slot = (slot + 1) & index->mask;
    }
}

BendiToken
bendi_tokenizer_lookup (const BendiTokenizer *self,
                        const char           *text,
                        gsize                 len)
{
  const BendiTokenIndex *index = &self->index;
  gsize slot = hash_bytes (text, len) & index->mask;

  for (;;)
    {
      gint32 id = index->slots[slot];

      if (id < 0)
        return BENDI_TOKEN_NONE;
      if (self->text_lens[id] == len && memcmp (self->texts[id], text, len) == 0)
        return id;
      slot = (slot + 1) & index->mask;
    }
}

/* ------------------------------------------------------------------------ */

void
bendi_merge_index_init (BendiMergeIndex *index,
                        gsize            n)
{
  gsize slots = slot_count (n);

  index->slots = g_new (BendiMergeSlot, slots);
  for (gsize i = 0; i < slots; i++)
    index->slots[i].key = G_MAXUINT64;
  index->mask = slots - 1;
  index->n = 0;
}

void
bendi_merge_index_clear (BendiMergeIndex *index)
{
  g_clear_pointer (&index->slots, g_free);
  index->mask = 0;
  index->n = 0;
}

static guint64
pair_key (BendiToken left,
          BendiToken right)
{
  return ((guint64) (guint32) left << 32) | (guint32) right;
}

void
bendi_merge_index_insert (BendiMergeIndex *index,
                          BendiToken       left,
                          BendiToken       right,
                          gint32           rank,
                          BendiToken       result)
{
  guint64 key = pair_key (left, right);
  gsize slot = hash_pair (key) & index->mask;

  while (index->slots[slot].key != G_MAXUINT64)
    {
      if (index->slots[slot].key == key)
        return;
      slot = (slot + 1) & index->mask;
    }
  index->slots[slot].key = key;
  index->slots[slot].rank = rank;
  index->slots[slot].result = result;
  index->n++;
}

gint32
bendi_tokenizer_merge_rank (const BendiTokenizer *self,
                            BendiToken            left,
                            BendiToken            right,
                            BendiToken           *out_result)
{
  const BendiMergeIndex *index = &self->merges;
  guint64 key;
  gsize slot;

  if (index->slots == NULL || left < 0 || right < 0)
    return -1;
  key = pair_key (left, right);
  slot = hash_pair (key) & index->mask;
  while (index->slots[slot].key != G_MAXUINT64)
    {
      if (index->slots[slot].key == key)
        {
          *out_result = index->slots[slot].result;
          return index->slots[slot].rank;
        }
      slot = (slot + 1) & index->mask;
    }
  return -1;
}

/* ------------------------------------------------------------------------ */

void
bendi_heap_clear (BendiHeap *heap)
{
  g_clear_pointer (&heap->items, g_free);
  heap->n = 0;
  heap->capacity = 0;
}

/* Both directions move a hole rather than swapping items. */
void
bendi_heap_push (BendiHeap *heap,
                 guint64    key,
                 guint32    a,
                 guint32    b)
{
  BendiHeapItem item = { key, a, b };
  gsize i;

  if (heap->n == heap->capacity)
    {
      heap->capacity = heap->capacity == 0 ? 256 : heap->capacity * 2;
      heap->items = g_renew (BendiHeapItem, heap->items, heap->capacity);
    }
  i = heap->n++;
  while (i > 0)
    {
      gsize parent = (i - 1) / 2;

      if (heap->items[parent].key <= key)
        break;
      heap->items[i] = heap->items[parent];
      i = parent;
    }
  heap->items[i] = item;
}

gboolean
bendi_heap_pop (BendiHeap     *heap,
                BendiHeapItem *out)
{
  BendiHeapItem last;
  gsize i = 0;

  if (heap->n == 0)
    return FALSE;
  *out = heap->items[0];
  last = heap->items[--heap->n];
  for (;;)
    {
      gsize child = 2 * i + 1;

      if (child >= heap->n)
        break;
      if (child + 1 < heap->n && heap->items[child + 1].key < heap->items[child].key)
        child++;
      if (last.key <= heap->items[child].key)
        break;
      heap->items[i] = heap->items[child];
      i = child;
    }
  if (heap->n > 0)
    heap->items[i] = last;
  return TRUE;
}
