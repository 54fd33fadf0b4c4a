/* SPDX-License-Identifier: MIT */
/* IQ4_NL and IQ4_XS: 4-bit indices into 16 non-uniform levels, denser near zero where weights crowd.
 *
 *   IQ4_NL  x = d * levels[q]                 blocks of 32, fp16 d
 *   IQ4_XS  x = d * (ls - 32) * levels[q]     super-blocks of 8 × 32, 6-bit ls
 */
#include "tensor/quant-private.h"

#include <math.h>
#include <string.h>

const gint8 bendi_iq4nl_values[16] = {
  -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113,
};

/* The index of the level nearest to @v (the levels rise with the index):
 * the number of midpoints between neighbouring levels at or below it.
 * Counting without branches is faster than a search in the quantisers'
 * inner loops. NaN gives 0. */
static inline int
nearest_level (float v)
{
  int index = 0;

  for (int i = 0; i < 15; i++)
    index += v >= 0.5f * (float) (bendi_iq4nl_values[i] + bendi_iq4nl_values[i + 1]);
  return index;
}

/* Fits x ≈ scale · levels[q] over the 32 elements of a block. The levels
 * reach further below zero (-127) than above (113), so grids put the
 * largest magnitude near either end; each assignment gets its least-squares
 * scale and the best is polished by re-picking levels. */
static float
fit_nl_scale (const float *x)
{
  float max = bendi_quant_signed_absmax (x, BENDI_QK);
  float best_score = 0.0f;
  float best_scale = 0.0f;

  if (max == 0.0f || !isfinite (max))
    return 0.0f;

  for (int step = -15; step <= 19; step++)
    {
      float sum_vx = 0.0f, sum_vv = 0.0f;
      float iscale;

      if (step < 0)
        iscale = (-127.0f + 2.0f * (float) (step + 8)) / max;  /* max near -127 */
      else if (step < 15)
        iscale = (113.0f + 2.0f * (float) (step - 7)) / max;   /* max near 113 */
      else if (best_scale != 0.0f)
        iscale = 1.0f / best_scale;
      else
        break;

      for (int j = 0; j < BENDI_QK; j++)
        {
          float v = bendi_iq4nl_values[nearest_level (iscale * x[j])];

          sum_vx += v * x[j];
          sum_vv += v * v;
        }
      /* As for a uniform grid: the best scale is Σvx / Σvv and the error
       * falls as (Σvx)² / Σvv grows. */
      if (sum_vv > 0.0f && sum_vx * sum_vx / sum_vv > best_score)
        {
          best_score = sum_vx * sum_vx / sum_vv;
          best_scale = sum_vx / sum_vv;
        }
      else if (step >= 15)
        break;
    }
  return best_scale;
}

/* Picks each element's level against the scale the dequantiser will use
 * and packs them: byte j holds element j (low nibble) and j + 16. */
static void
pack_levels (const float *x,
             float        scale,
             guint8      *qs)
{
  float inv = scale != 0.0f ? 1.0f / scale : 0.0f;

  for (int j = 0; j < BENDI_QK / 2; j++)
    {
      int q0 = nearest_level (x[j] * inv);
      int q1 = nearest_level (x[j + BENDI_QK / 2] * inv);

      qs[j] = (guint8) (q0 | q1 << 4);
    }
}

static void
unpack_levels (const guint8 *qs,
               float         scale,
               float        *dst)
{
  for (int j = 0; j < BENDI_QK / 2; j++)
    {
      dst[j] = scale * (float) bendi_iq4nl_values[qs[j] & 0xf];
      dst[j + BENDI_QK / 2] = scale * (float) bendi_iq4nl_values[qs[j] >> 4];
    }
}

/* ------------------------------------------------------------------------ */
/* IQ4_NL */

void
bendi_dequantize_iq4_nl (const void *src,
                         float      *dst,
                         gint64      n_blocks)
{
  const BendiBlockIQ4_NL *blocks = src;

  for (gint64 i = 0; i < n_blocks; i++, dst += BENDI_QK)
    unpack_levels (blocks[i].qs, bendi_quant_load_fp16 (blocks[i].d), dst);
}

void
bendi_quantize_iq4_nl (const float *src,
                       void        *dst,
                       gint64       n_blocks)
{
  BendiBlockIQ4_NL *blocks = dst;

  for (gint64 i = 0; i < n_blocks; i++, src += BENDI_QK)
    {
      blocks[i].d = bendi_quant_store_fp16 (fit_nl_scale (src));
      pack_levels (src, bendi_quant_load_fp16 (blocks[i].d), blocks[i].qs);
    }
}

/* ------------------------------------------------------------------------ */
/* IQ4_XS: sub-block s keeps the low 4 bits of its biased scale in nibble
 * s % 2 of scales_l[s / 2] and the top 2 bits in bits 2 s of scales_h. */

static int
iq4xs_get_scale (const BendiBlockIQ4_XS *b,
                 int                     s)
{
  guint16 scales_h = GUINT16_FROM_LE (b->scales_h);
  int low = (b->scales_l[s / 2] >> (4 * (s % 2))) & 0xf;
  int high = (scales_h >> (2 * s)) & 3;

  return low | high << 4;
}

void
bendi_dequantize_iq4_xs (const void *src,
                         float      *dst,
                         gint64      n_blocks)
{
  const BendiBlockIQ4_XS *blocks = src;

  for (gint64 i = 0; i < n_blocks; i++)
    {
      const BendiBlockIQ4_XS *b = &blocks[i];
      float d = bendi_quant_load_fp16 (b->d);

      for (int s = 0; s < BENDI_QK_K / 32; s++, dst += 32)
        unpack_levels (b->qs + 16 * s, d * (float) (iq4xs_get_scale (b, s) - 32), dst);
    }
}

void
bendi_quantize_iq4_xs (const float *src,
                       void        *dst,
                       gint64       n_blocks)
{
  BendiBlockIQ4_XS *blocks = dst;

  for (gint64 i = 0; i < n_blocks; i++, src += BENDI_QK_K)
    {
      BendiBlockIQ4_XS *b = &blocks[i];
      float scale[BENDI_QK_K / 32];
      float max_scale = 0.0f;
      float d;
      guint16 scales_h = 0;

      for (int s = 0; s < BENDI_QK_K / 32; s++)
        {
          scale[s] = fit_nl_scale (src + 32 * s);
          if (fabsf (scale[s]) > fabsf (max_scale))
            max_scale = scale[s];
        }
      /* The largest scale takes -32, the end of the 6-bit range with room. */
      b->d = bendi_quant_store_super_scale (max_scale, -32.0f);
      d = bendi_quant_load_fp16 (b->d);
      memset (b->scales_l, 0, sizeof b->scales_l);
      for (int s = 0; s < BENDI_QK_K / 32; s++)
        {
          int ls = d != 0.0f ? bendi_quant_round_clamp (scale[s] / d, -32, 31) : 0;
          int biased = ls + 32;

          b->scales_l[s / 2] |= (guint8) ((biased & 0xf) << (4 * (s % 2)));
          scales_h |= (guint16) ((biased >> 4) << (2 * s));
          pack_levels (src + 32 * s, d * (float) ls, b->qs + 16 * s);
        }
      b->scales_h = GUINT16_TO_LE (scales_h);
    }
}
