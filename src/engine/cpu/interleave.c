/* SPDX-License-Identifier: MIT */
/* The interleaved weight layout: groups of 16 rows rewritten in place so
 * that one 512-bit load holds the same four quant bytes of all 16 rows.
 *
 * A ggml block is cut into segments (its scale, its quants...). A group of
 * 16 rows with nb blocks each stores segment by segment: first segment 0
 * of every block, then segment 1, and so on. Within a segment of L bytes
 * cut into units of U bytes, block b of the group takes 16 L bytes at
 * (region start + b · 16 L), and unit i of row r lands at (i · 16 U + r U):
 * the 16 rows' unit i side by side. With U = 4 that is one 64-byte chunk
 * per unit, the 32-bit lane r holding row r's four bytes.
 *
 *   Q4_0, IQ4_NL  d (2 × 2 B), qs (16 × 4 B): chunk p's low nibbles are
 *                 elements 4p..4p+3, its high nibbles 16+4p..16+4p+3
 *   Q4_1          d, m (2 each), qs (16 × 4 B)
 *   Q5_0          d (2), qh (4 × 4 B: a row's 32 fifth bits), qs (16 × 4 B)
 *   Q5_1          d, m (2 each), qh (4 × 4 B), qs (16 × 4 B)
 *   Q8_0          d (2), qs (32 × 4 B) stored with 128 added, so every
 *                 quant is an unsigned byte as VPDPBUSD wants
 *   Q2_K          scales (16 × 1 B), qs (64 × 4 B), d, dmin (2 each)
 *   Q3_K          hmask (32 × 4 B), qs (64 × 4 B), scales (12 × 1 B), d (2)
 *   Q4_K          d, dmin (2 each), scales (12 × 1 B), qs (128 × 4 B)
 *   Q5_K          as Q4_K, then qh (32 × 4 B)
 *   Q6_K          ql (128 × 4 B), qh (64 × 4 B), scales (16 × 1 B), d (2)
 *   IQ4_XS        d, scales_h (2 each), scales_l (4 × 1 B), qs (128 × 4 B)
 *
 * Every byte is kept, so the conversion is a permutation and the size does
 * not change.
 */
#include "cpu/kernels.h"

#include <string.h>

typedef struct {
  guint8 offset;   /* in ggml's block */
  guint8 length;
  guint8 unit;
  guint8 flip;     /* xor applied to every byte */
} Segment;

typedef struct {
  gsize         block_bytes;
  gint64        block_elements;
  int           n_segments;
  const Segment *segments;
} Layout;

static const Segment q4_0_segments[] = { { 0, 2, 2, 0 }, { 2, 16, 4, 0 } };
static const Segment q4_1_segments[] = { { 0, 2, 2, 0 }, { 2, 2, 2, 0 }, { 4, 16, 4, 0 } };
static const Segment q5_0_segments[] = { { 0, 2, 2, 0 }, { 2, 4, 4, 0 }, { 6, 16, 4, 0 } };
static const Segment q5_1_segments[] = { { 0, 2, 2, 0 }, { 2, 2, 2, 0 }, { 4, 4, 4, 0 }, { 8, 16, 4, 0 } };
static const Segment q8_0_segments[] = { { 0, 2, 2, 0 }, { 2, 32, 4, 0x80 } };
static const Segment q2_k_segments[] = { { 0, 16, 1, 0 }, { 16, 64, 4, 0 }, { 80, 2, 2, 0 }, { 82, 2, 2, 0 } };
static const Segment q3_k_segments[] = { { 0, 32, 4, 0 }, { 32, 64, 4, 0 }, { 96, 12, 1, 0 }, { 108, 2, 2, 0 } };
static const Segment q4_k_segments[] = { { 0, 2, 2, 0 }, { 2, 2, 2, 0 }, { 4, 12, 1, 0 }, { 16, 128, 4, 0 } };
static const Segment q5_k_segments[] = { { 0, 2, 2, 0 }, { 2, 2, 2, 0 }, { 4, 12, 1, 0 }, { 48, 128, 4, 0 }, { 16, 32, 4, 0 } };
static const Segment q6_k_segments[] = { { 0, 128, 4, 0 }, { 128, 64, 4, 0 }, { 192, 16, 1, 0 }, { 208, 2, 2, 0 } };
static const Segment iq4_xs_segments[] = { { 0, 2, 2, 0 }, { 2, 2, 2, 0 }, { 4, 4, 1, 0 }, { 8, 128, 4, 0 } };

static gboolean
layout_for_type (BendiTensorType type,
                 Layout         *layout)
{
#define LAYOUT(block, elements, segments) \
  (*layout = (Layout) { sizeof (block), elements, G_N_ELEMENTS (segments), segments }, TRUE)

  switch (type)
    {
    case BENDI_TENSOR_TYPE_Q4_0:
    case BENDI_TENSOR_TYPE_IQ4_NL:
      return LAYOUT (BendiBlockQ4_0, BENDI_QK, q4_0_segments);
    case BENDI_TENSOR_TYPE_Q4_1:
      return LAYOUT (BendiBlockQ4_1, BENDI_QK, q4_1_segments);
    case BENDI_TENSOR_TYPE_Q5_0:
      return LAYOUT (BendiBlockQ5_0, BENDI_QK, q5_0_segments);
    case BENDI_TENSOR_TYPE_Q5_1:
      return LAYOUT (BendiBlockQ5_1, BENDI_QK, q5_1_segments);
    case BENDI_TENSOR_TYPE_Q8_0:
      return LAYOUT (BendiBlockQ8_0, BENDI_QK, q8_0_segments);
    case BENDI_TENSOR_TYPE_Q2_K:
      return LAYOUT (BendiBlockQ2_K, BENDI_QK_K, q2_k_segments);
    case BENDI_TENSOR_TYPE_Q3_K:
      return LAYOUT (BendiBlockQ3_K, BENDI_QK_K, q3_k_segments);
    case BENDI_TENSOR_TYPE_Q4_K:
      return LAYOUT (BendiBlockQ4_K, BENDI_QK_K, q4_k_segments);
    case BENDI_TENSOR_TYPE_Q5_K:
      return LAYOUT (BendiBlockQ5_K, BENDI_QK_K, q5_k_segments);
    case BENDI_TENSOR_TYPE_Q6_K:
      return LAYOUT (BendiBlockQ6_K, BENDI_QK_K, q6_k_segments);
    case BENDI_TENSOR_TYPE_IQ4_XS:
      return LAYOUT (BendiBlockIQ4_XS, BENDI_QK_K, iq4_xs_segments);
    default:
      return FALSE;
    }
#undef LAYOUT
}

gboolean
bendi_interleave_supported (BendiTensorType type)
{
  Layout layout;

  return layout_for_type (type, &layout);
}

/* Moves every unit between ggml's rows and the group, either way. */
static void
permute (BendiTensorType type,
         gint64          n_cols,
         guint8         *rows,
         guint8         *group,
         int             only_row,
         gboolean        to_group)
{
  Layout layout;
  gint64 n_blocks;
  gsize region = 0;

  if (!layout_for_type (type, &layout))
    g_return_if_reached ();
  n_blocks = n_cols / layout.block_elements;

  for (int s = 0; s < layout.n_segments; s++)
    {
      const Segment *seg = &layout.segments[s];
      gsize block_stride = BENDI_INTERLEAVE * seg->length;
      gsize unit_stride = BENDI_INTERLEAVE * seg->unit;

      for (gint64 b = 0; b < n_blocks; b++)
        for (int r = 0; r < BENDI_INTERLEAVE; r++)
          {
            guint8 *slots = group + region + (gsize) b * block_stride + (gsize) r * seg->unit;
            guint8 *block;

            if (only_row >= 0 && r != only_row)
              continue;
            /* With only_row set, @rows holds that one row. */
            block = rows + (only_row >= 0 ? 0 : (gsize) r * n_blocks * layout.block_bytes) +
                    (gsize) b * layout.block_bytes + seg->offset;
            if (seg->unit == 4)
              {
                /* Most bytes are quants moved 4 at a time: one word each. */
                guint32 flip = seg->flip * 0x01010101u;

                for (int i = 0; i < seg->length / 4; i++)
                  {
                    guint32 v;

                    if (to_group)
                      {
                        memcpy (&v, block + 4 * i, 4);
                        v ^= flip;
                        memcpy (slots + i * unit_stride, &v, 4);
                      }
                    else
                      {
                        memcpy (&v, slots + i * unit_stride, 4);
                        v ^= flip;
                        memcpy (block + 4 * i, &v, 4);
                      }
                  }
                continue;
              }
            for (int i = 0; i < seg->length / seg->unit; i++)
              for (int k = 0; k < seg->unit; k++)
                {
                  if (to_group)
                    slots[i * unit_stride + k] = block[i * seg->unit + k] ^ seg->flip;
                  else
                    block[i * seg->unit + k] = slots[i * unit_stride + k] ^ seg->flip;
                }
          }
      region += (gsize) n_blocks * block_stride;
    }
}

void
bendi_interleave_group (BendiTensorType type,
                        gint64          n_cols,
                        const guint8   *rows,
                        guint8         *group)
{
  permute (type, n_cols, (guint8 *) rows, group, -1, TRUE);
}

void
bendi_deinterleave_row (BendiTensorType type,
                        gint64          n_cols,
                        const guint8   *group,
                        int             row_in_group,
                        guint8         *row)
{
  permute (type, n_cols, row, (guint8 *) group, row_in_group, FALSE);
}
