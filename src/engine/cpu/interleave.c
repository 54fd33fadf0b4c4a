/* SPDX-License-Identifier: MIT */
/* The interleaved weight layout: groups of 16 rows rewritten so that one
 * 512-bit load holds four consecutive quants of each of the 16 rows.
 *
 * A group replaces 16 rows of ggml blocks, in the same bytes. For each
 * block column b (32 elements of every row) of a group with nb columns:
 *
 *   scales   16 half-precision scales, row r at [b * 32 + 2 r]
 *   quants   at nb * 32 + b * Q: chunks of 64 bytes; in chunk p, bytes
 *            4 r .. 4 r + 3 are row r's quant bytes 4 p .. 4 p + 3
 *
 * Q4_0 and IQ4_NL (Q = 256) keep ggml's nibbles: chunk p's low nibbles are
 * elements 4 p .. 4 p + 3 and its high nibbles elements 16 + 4 p ...
 * Q8_0 (Q = 512) stores q + 128, so every quant is an unsigned byte as
 * VPDPBUSD wants; chunk p holds elements 4 p .. 4 p + 3.
 */
#include "cpu/kernels.h"

#include <string.h>

typedef struct {
  gsize block_bytes;   /* of one row's block in ggml's layout */
  gsize quant_bytes;   /* of one row's quants in a block */
  gsize quant_offset;  /* of the quants in ggml's block, after the scale */
  guint8 flip;         /* xor applied to every quant byte */
} InterleaveInfo;

static gboolean
interleave_info (BendiTensorType type,
                 InterleaveInfo *info)
{
  switch (type)
    {
    case BENDI_TENSOR_TYPE_Q4_0:
    case BENDI_TENSOR_TYPE_IQ4_NL:
      *info = (InterleaveInfo) { sizeof (BendiBlockQ4_0), BENDI_QK / 2, 2, 0 };
      return TRUE;
    case BENDI_TENSOR_TYPE_Q8_0:
      *info = (InterleaveInfo) { sizeof (BendiBlockQ8_0), BENDI_QK, 2, 0x80 };
      return TRUE;
    default:
      return FALSE;
    }
}

gboolean
bendi_interleave_supported (BendiTensorType type)
{
  InterleaveInfo info;

  return interleave_info (type, &info);
}

void
bendi_interleave_group (BendiTensorType type,
                        gint64          n_cols,
                        const guint8   *rows,
                        guint8         *group)
{
  InterleaveInfo info;
  gint64 n_blocks = n_cols / BENDI_QK;
  gsize row_bytes, chunk_stride;
  guint8 *quants;

  if (!interleave_info (type, &info))
    g_return_if_reached ();
  row_bytes = (gsize) n_blocks * info.block_bytes;
  chunk_stride = info.quant_bytes * BENDI_INTERLEAVE;
  quants = group + (gsize) n_blocks * 2 * BENDI_INTERLEAVE;

  for (gint64 b = 0; b < n_blocks; b++)
    for (int r = 0; r < BENDI_INTERLEAVE; r++)
      {
        const guint8 *block = rows + r * row_bytes + (gsize) b * info.block_bytes;
        guint8 *chunks = quants + (gsize) b * chunk_stride;

        memcpy (group + (gsize) b * 2 * BENDI_INTERLEAVE + 2 * r, block, 2);
        for (gsize p = 0; p < info.quant_bytes / 4; p++)
          for (int i = 0; i < 4; i++)
            chunks[p * 64 + 4 * r + i] = block[info.quant_offset + 4 * p + i] ^ info.flip;
      }
}

void
bendi_deinterleave_row (BendiTensorType type,
                        gint64          n_cols,
                        const guint8   *group,
                        int             row_in_group,
                        guint8         *row)
{
  InterleaveInfo info;
  gint64 n_blocks = n_cols / BENDI_QK;
  gsize chunk_stride;
  const guint8 *quants;
  int r = row_in_group;

  if (!interleave_info (type, &info))
    g_return_if_reached ();
  chunk_stride = info.quant_bytes * BENDI_INTERLEAVE;
  quants = group + (gsize) n_blocks * 2 * BENDI_INTERLEAVE;

  for (gint64 b = 0; b < n_blocks; b++)
    {
      guint8 *block = row + (gsize) b * info.block_bytes;
      const guint8 *chunks = quants + (gsize) b * chunk_stride;

      memcpy (block, group + (gsize) b * 2 * BENDI_INTERLEAVE + 2 * r, 2);
      for (gsize p = 0; p < info.quant_bytes / 4; p++)
        for (int i = 0; i < 4; i++)
          block[info.quant_offset + 4 * p + i] = chunks[p * 64 + 4 * r + i] ^ info.flip;
    }
}
