/* SPDX-License-Identifier: MIT */
/* The legacy 32-element block types: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 and the Q8_1 activations.
 *
 * Their quantisers compute exactly what ggml's reference quantisers compute
 * for finite input, so that a model quantised here is byte for byte the one
 * llama.cpp would write, and activations are rounded as llama.cpp rounds
 * them. Non-finite input gives some valid block, never undefined behaviour.
 */
#include "tensor/quant-private.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Helpers */

static float
absmax (const float *x,
        int          n)
{
  float amax = 0.0f;

  for (int j = 0; j < n; j++)
    amax = MAX (amax, fabsf (x[j]));
  return amax;
}

/* Truncation toward zero clamped to [0, @hi]: ggml's (int8_t)(v) followed by
 * MIN (hi, …), where v never falls below 0 for finite input. */
static inline int
truncate_clamp (float v,
                int   hi)
{
  if (!(v >= 0.0f))
    return 0;
  if (v >= (float) hi)
    return hi;
  return (int) v;
}

/* roundf () (halves away from zero) clamped to [-127, 127], without libm:
 * a - trunc (a) is exact for |a| < 2^23. */
static inline int
round_away_clamp_127 (float v)
{
  float a;
  int t;

  if (isnan (v))
    return 0;
  a = MIN (fabsf (v), 127.0f);
  t = (int) a;
  if (a - (float) t >= 0.5f)
    t++;
  return v < 0.0f ? -t : t;
}

static inline guint32
load_u32_le (const guint8 *p)
{
  return (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 | (guint32) p[3] << 24;
}

static inline void
store_u32_le (guint8  *p,
              guint32  v)
{
  p[0] = (guint8) v;
  p[1] = (guint8) (v >> 8);
  p[2] = (guint8) (v >> 16);
  p[3] = (guint8) (v >> 24);
}

/* ------------------------------------------------------------------------ */
/* Q4_0: x = (q - 8) * d; byte j holds element j (low nibble) and j + 16. */

void
bendi_dequantize_q4_0 (const void *src,
                       float      *dst,
                       gint64      n_blocks)
{
  const BendiBlockQ4_0 *blocks = src;

  for (gint64 i = 0; i < n_blocks; i++, dst += BENDI_QK)
    {
      const BendiBlockQ4_0 *b = &blocks[i];
      float d = bendi_quant_load_fp16 (b->d);

      for (int j = 0; j < BENDI_QK / 2; j++)
        {
          dst[j] = (float) ((b->qs[j] & 0xf) - 8) * d;
          dst[j + BENDI_QK / 2] = (float) ((b->qs[j] >> 4) - 8) * d;
        }
    }
}

void
bendi_quantize_q4_0 (const float *src,
                     void        *dst,
                     gint64       n_blocks)
{
  BendiBlockQ4_0 *blocks = dst;

  for (gint64 i = 0; i < n_blocks; i++, src += BENDI_QK)
    {
      BendiBlockQ4_0 *b = &blocks[i];
      /* The largest magnitude maps to -8, the end of the range with room. */
      float d = bendi_quant_signed_absmax (src, BENDI_QK) / -8.0f;
      float id = d != 0.0f ? 1.0f / d : 0.0f;

      b->d = bendi_quant_store_fp16 (d);
      for (int j = 0; j < BENDI_QK / 2; j++)
        {
          int q0 = truncate_clamp (src[j] * id + 8.5f, 15);
          int q1 = truncate_clamp (src[j + BENDI_QK / 2] * id + 8.5f, 15);

          b->qs[j] = (guint8) (q0 | q1 << 4);
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Q4_1: x = q * d + m */

void
bendi_dequantize_q4_1 (const void *src,
                       float      *dst,
                       gint64      n_blocks)
{
  const BendiBlockQ4_1 *blocks = src;

  for (gint64 i = 0; i < n_blocks; i++, dst += BENDI_QK)
    {
      const BendiBlockQ4_1 *b = &blocks[i];
      float d = bendi_quant_load_fp16 (b->d);
      float m = bendi_quant_load_fp16 (b->m);

      for (int j = 0; j < BENDI_QK / 2; j++)
        {
          dst[j] = (float) (b->qs[j] & 0xf) * d + m;
          dst[j + BENDI_QK / 2] = (float) (b->qs[j] >> 4) * d + m;
        }
    }
}

/* The block's minimum and maximum, found as ggml finds them (NaN elements
 * are passed over). */
static void
min_max (const float *x,
         int          n,
         float       *out_min,
         float       *out_max)
{
  float lo = G_MAXFLOAT;
  float hi = -G_MAXFLOAT;

  for (int j = 0; j < n; j++)
    {
      if (x[j] < lo)
        lo = x[j];
      if (x[j] > hi)
        hi = x[j];
    }
  *out_min = lo;
  *out_max = hi;
}

void
bendi_quantize_q4_1 (const float *src,
                     void        *dst,
                     gint64       n_blocks)
{
  BendiBlockQ4_1 *blocks = dst;

  for (gint64 i = 0; i < n_blocks; i++, src += BENDI_QK)
    {
      BendiBlockQ4_1 *b = &blocks[i];
      float lo, hi, d, id;

      min_max (src, BENDI_QK, &lo, &hi);
      d = (hi - lo) / 15.0f;
      id = d != 0.0f ? 1.0f / d : 0.0f;
      b->d = bendi_quant_store_fp16 (d);
      b->m = bendi_quant_store_fp16 (lo);
      for (int j = 0; j < BENDI_QK / 2; j++)
        {
          int q0 = truncate_clamp ((src[j] - lo) * id + 0.5f, 15);
          int q1 = truncate_clamp ((src[j + BENDI_QK / 2] - lo) * id + 0.5f, 15);

          b->qs[j] = (guint8) (q0 | q1 << 4);
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Q5_0 and Q5_1: the low four bits as in Q4_0/Q4_1, bit j of the 32-bit
 * little-endian qh is the fifth bit of element j. */

void
bendi_dequantize_q5_0 (const void *src,
                       float      *dst,
                       gint64      n_blocks)
{
  const BendiBlockQ5_0 *blocks = src;

  for (gint64 i = 0; i < n_blocks; i++, dst += BENDI_QK)
    {
      const BendiBlockQ5_0 *b = &blocks[i];
      float d = bendi_quant_load_fp16 (b->d);
      guint32 qh = load_u32_le (b->qh);

      for (int j = 0; j < BENDI_QK / 2; j++)
        {
          int q0 = (b->qs[j] & 0xf) | ((qh >> j) & 1) << 4;
          int q1 = (b->qs[j] >> 4) | ((qh >> (j + BENDI_QK / 2)) & 1) << 4;

          dst[j] = (float) (q0 - 16) * d;
          dst[j + BENDI_QK / 2] = (float) (q1 - 16) * d;
        }
    }
}

static void
pack_q5 (const int *q,
         guint8    *qs,
         guint8    *qh_bytes)
{
  guint32 qh = 0;

  for (int j = 0; j < BENDI_QK / 2; j++)
    {
      qs[j] = (guint8) ((q[j] & 0xf) | (q[j + BENDI_QK / 2] & 0xf) << 4);
      qh |= (guint32) (q[j] >> 4) << j;
      qh |= (guint32) (q[j + BENDI_QK / 2] >> 4) << (j + BENDI_QK / 2);
    }
  store_u32_le (qh_bytes, qh);
}

void
bendi_quantize_q5_0 (const float *src,
                     void        *dst,
                     gint64       n_blocks)
{
  BendiBlockQ5_0 *blocks = dst;

  for (gint64 i = 0; i < n_blocks; i++, src += BENDI_QK)
    {
      BendiBlockQ5_0 *b = &blocks[i];
      float d = bendi_quant_signed_absmax (src, BENDI_QK) / -16.0f;
      float id = d != 0.0f ? 1.0f / d : 0.0f;
      int q[BENDI_QK];

      b->d = bendi_quant_store_fp16 (d);
      for (int j = 0; j < BENDI_QK; j++)
        q[j] = truncate_clamp (src[j] * id + 16.5f, 31);
      pack_q5 (q, b->qs, b->qh);
    }
}

void
bendi_dequantize_q5_1 (const void *src,
                       float      *dst,
                       gint64      n_blocks)
{
  const BendiBlockQ5_1 *blocks = src;

  for (gint64 i = 0; i < n_blocks; i++, dst += BENDI_QK)
    {
      const BendiBlockQ5_1 *b = &blocks[i];
      float d = bendi_quant_load_fp16 (b->d);
      float m = bendi_quant_load_fp16 (b->m);
      guint32 qh = load_u32_le (b->qh);

      for (int j = 0; j < BENDI_QK / 2; j++)
        {
          int q0 = (b->qs[j] & 0xf) | ((qh >> j) & 1) << 4;
          int q1 = (b->qs[j] >> 4) | ((qh >> (j + BENDI_QK / 2)) & 1) << 4;

          dst[j] = (float) q0 * d + m;
          dst[j + BENDI_QK / 2] = (float) q1 * d + m;
        }
    }
}

void
bendi_quantize_q5_1 (const float *src,
                     void        *dst,
                     gint64       n_blocks)
{
  BendiBlockQ5_1 *blocks = dst;

  for (gint64 i = 0; i < n_blocks; i++, src += BENDI_QK)
    {
      BendiBlockQ5_1 *b = &blocks[i];
      float lo, hi, d, id;
      int q[BENDI_QK];

      min_max (src, BENDI_QK, &lo, &hi);
      d = (hi - lo) / 31.0f;
      id = d != 0.0f ? 1.0f / d : 0.0f;
      b->d = bendi_quant_store_fp16 (d);
      b->m = bendi_quant_store_fp16 (lo);
      for (int j = 0; j < BENDI_QK; j++)
        q[j] = truncate_clamp ((src[j] - lo) * id + 0.5f, 31);
      pack_q5 (q, b->qs, b->qh);
    }
}

/* ------------------------------------------------------------------------ */
/* Q8_0: x = q * d, and Q8_1, which adds s = d * Σ q for the Q4_1/Q5_1 dot
 * products (their m * Σ x term). */

void
bendi_dequantize_q8_0 (const void *src,
                       float      *dst,
                       gint64      n_blocks)
{
  const BendiBlockQ8_0 *blocks = src;

  for (gint64 i = 0; i < n_blocks; i++, dst += BENDI_QK)
    {
      float d = bendi_quant_load_fp16 (blocks[i].d);

      for (int j = 0; j < BENDI_QK; j++)
        dst[j] = (float) blocks[i].qs[j] * d;
    }
}

/* Fills @qs and returns Σ qs; @d is the unrounded scale, as in ggml. */
static int
quantize_q8 (const float *x,
             float        d,
             gint8       *qs)
{
  float id = d != 0.0f ? 1.0f / d : 0.0f;
  int sum = 0;

  for (int j = 0; j < BENDI_QK; j++)
    {
      qs[j] = (gint8) round_away_clamp_127 (x[j] * id);
      sum += qs[j];
    }
  return sum;
}

void
bendi_quantize_q8_0 (const float *src,
                     void        *dst,
                     gint64       n_blocks)
{
  BendiBlockQ8_0 *blocks = dst;

  for (gint64 i = 0; i < n_blocks; i++, src += BENDI_QK)
    {
      float d = absmax (src, BENDI_QK) / 127.0f;

      blocks[i].d = bendi_quant_store_fp16 (d);
      quantize_q8 (src, d, blocks[i].qs);
    }
}

void
bendi_dequantize_q8_1 (const void *src,
                       float      *dst,
                       gint64      n_blocks)
{
  const BendiBlockQ8_1 *blocks = src;

  for (gint64 i = 0; i < n_blocks; i++, dst += BENDI_QK)
    {
      float d = bendi_quant_load_fp16 (blocks[i].d);

      for (int j = 0; j < BENDI_QK; j++)
        dst[j] = (float) blocks[i].qs[j] * d;
    }
}

void
bendi_quantize_q8_1 (const float *src,
                     void        *dst,
                     gint64       n_blocks)
{
  BendiBlockQ8_1 *blocks = dst;

  for (gint64 i = 0; i < n_blocks; i++, src += BENDI_QK)
    {
      float d = absmax (src, BENDI_QK) / 127.0f;
      int sum;

      blocks[i].d = bendi_quant_store_fp16 (d);
      sum = quantize_q8 (src, d, blocks[i].qs);
      blocks[i].s = bendi_quant_store_fp16 ((float) sum * d);
    }
}
