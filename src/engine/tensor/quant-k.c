/* SPDX-License-Identifier: MIT */
/* The K-quants: 256-element super-blocks of Q2_K, Q3_K, Q4_K, Q5_K, Q6_K and the Q8_K activations.
 *
 * Each super-block holds sub-blocks of 16 or 32 elements. A sub-block has
 * its own scale (and, for Q2_K/Q4_K/Q5_K, a min), itself quantised against
 * the super-block's fp16 d (and dmin):
 *
 *   Q2_K  x = d * sc * q - dmin * m     q 2 bits,   sc, m 4 bits, 16 × 16
 *   Q3_K  x = d * (sc - 32) * (q - 4)   q 3 bits,   sc 6 bits,    16 × 16
 *   Q4_K  x = d * sc * q - dmin * m     q 4 bits,   sc, m 6 bits,  8 × 32
 *   Q5_K  x = d * sc * q - dmin * m     q 5 bits,   sc, m 6 bits,  8 × 32
 *   Q6_K  x = d * sc * (q - 32)         q 6 bits,   sc int8,      16 × 16
 *
 * The quantisers search each sub-block's scale (and min) for the least
 * squared error, quantise those to the super-block's d, then round every
 * element again against the scale the dequantiser will really use.
 */
#include "tensor/quant-private.h"

#include <math.h>
#include <string.h>

#define QK_K BENDI_QK_K

/* ------------------------------------------------------------------------ */
/* Where element e (0 ≤ e < 256) of a super-block keeps its bits. The 2-bit
 * fields (Q2_K and Q3_K quants, Q6_K's high bits) interleave four 32-element
 * runs in each 32-byte group: e = 128 h + 32 k + l is in byte 32 h + l at
 * bit 2 k. The 4-bit fields put two 32-element runs in each 32-byte group. */

static inline int
crumb_byte (int e)
{
  return (e / 128) * 32 + e % 32;
}

static inline int
crumb_shift (int e)
{
  return 2 * ((e % 128) / 32);
}

/* Q4_K and Q5_K: e = 64 h + 32 k + l is nibble k of byte 32 h + l. */
static inline int
q4k_nibble_byte (int e)
{
  return (e / 64) * 32 + e % 32;
}

static inline int
q4k_nibble_shift (int e)
{
  return 4 * ((e % 64) / 32);
}

/* Q6_K's low nibbles: e = 128 h + 64 k + r is nibble k of byte 64 h + r. */
static inline int
q6k_nibble_byte (int e)
{
  return (e / 128) * 64 + e % 64;
}

static inline int
q6k_nibble_shift (int e)
{
  return 4 * ((e % 128) / 64);
}

/* Q3_K's and Q5_K's high bits: element e is bit e / 32 of byte e % 32. */
static inline int
high_bit (const guint8 *bits,
          int           e)
{
  return (bits[e % 32] >> (e / 32)) & 1;
}

/* The 6-bit scale and min of sub-block j of Q4_K/Q5_K. Bytes 0-3 hold the
 * scales of sub-blocks 0-3 and bytes 4-7 their mins, in the low 6 bits;
 * sub-blocks 4-7 keep their low 4 bits in the nibbles of bytes 8-11 (scale
 * low, min high) and their top 2 bits in the top bits of bytes 0-7. */
static void
q4k_get_scale_min (const guint8 *scales,
                   int           j,
                   int          *out_scale,
                   int          *out_min)
{
  if (j < 4)
    {
      *out_scale = scales[j] & 63;
      *out_min = scales[j + 4] & 63;
    }
  else
    {
      *out_scale = (scales[j + 4] & 0xf) | (scales[j - 4] >> 6) << 4;
      *out_min = (scales[j + 4] >> 4) | (scales[j] >> 6) << 4;
    }
}

static void
q4k_pack_scale_mins (const int *ls,
                     const int *lm,
                     guint8    *scales)
{
  for (int j = 0; j < 4; j++)
    {
      scales[j] = (guint8) (ls[j] | (ls[j + 4] >> 4) << 6);
      scales[j + 4] = (guint8) (lm[j] | (lm[j + 4] >> 4) << 6);
      scales[j + 8] = (guint8) ((ls[j + 4] & 0xf) | (lm[j + 4] & 0xf) << 4);
    }
}

/* The 6-bit biased scale of sub-block j of Q3_K: its low 4 bits in a nibble
 * of bytes 0-7 (low nibbles for 0-7, high for 8-15), its top 2 bits in bits
 * 2 (j / 4) of byte 8 + j % 4. */
static int
q3k_get_scale (const guint8 *scales,
               int           j)
{
  int low = j < 8 ? scales[j] & 0xf : scales[j - 8] >> 4;
  int high = (scales[8 + j % 4] >> (2 * (j / 4))) & 3;

  return low | high << 4;
}

static void
q3k_pack_scales (const int *biased,
                 guint8    *scales)
{
  memset (scales, 0, 12);
  for (int j = 0; j < 16; j++)
    {
      if (j < 8)
        scales[j] |= (guint8) (biased[j] & 0xf);
      else
        scales[j - 8] |= (guint8) ((biased[j] & 0xf) << 4);
      scales[8 + j % 4] |= (guint8) ((biased[j] >> 4) << (2 * (j / 4)));
    }
}

/* ------------------------------------------------------------------------ */
/* Scale searches, shared by the quantisers. */

/* Fits x ≈ scale · q − min over @n elements, q in [0, @q_max], scale ≥ 0,
 * min ≥ 0 (the grid always reaches down to zero or below, as the format's
 * subtracted min requires). Tries grids whose top sits around the data's
 * maximum, solves each assignment for the least-squares scale and min, then
 * polishes the best by re-rounding until the error stops falling. */
static void
fit_scale_min (const float *x,
               int          n,
               int          q_max,
               float       *out_scale,
               float       *out_min)
{
  guint8 q[32];
  float lo = 0.0f;
  float hi = -G_MAXFLOAT;
  float best_err = G_MAXFLOAT;
  float best_a = 0.0f;
  float best_b = 0.0f;

  g_assert (n <= (int) sizeof q);

  for (int j = 0; j < n; j++)
    {
      lo = MIN (lo, x[j]);
      hi = MAX (hi, x[j]);
    }
  if (!(hi > lo))
    {
      /* Constant non-positive (or non-finite) data: the min alone says it. */
      *out_scale = 0.0f;
      *out_min = isfinite (lo) ? -lo : 0.0f;
      return;
    }

  for (int step = -10; step <= 20; step++)
    {
      float a, b, err;
      float sum_q = 0.0f, sum_qq = 0.0f, sum_x = 0.0f, sum_qx = 0.0f;
      float det;

      if (step <= 10)
        {
          /* Grids whose top lies between q_max - 1 and q_max + 1 steps
           * above the minimum; step 0 is the plain min-max grid. */
          float iscale = ((float) q_max + 0.1f * (float) step) / (hi - lo);

          for (int j = 0; j < n; j++)
            q[j] = (guint8) bendi_quant_round_clamp (iscale * (x[j] - lo), 0, q_max);
        }
      else
        {
          /* Polish: re-round against the best fit so far. */
          float inv;

          if (best_a <= 0.0f)
            break;
          inv = 1.0f / best_a;
          for (int j = 0; j < n; j++)
            q[j] = (guint8) bendi_quant_round_clamp ((x[j] - best_b) * inv, 0, q_max);
        }

      for (int j = 0; j < n; j++)
        {
          sum_q += q[j];
          sum_qq += (float) (q[j] * q[j]);
          sum_x += x[j];
          sum_qx += (float) q[j] * x[j];
        }
      det = (float) n * sum_qq - sum_q * sum_q;
      a = b = 0.0f;
      if (det > 0.0f)
        {
          a = ((float) n * sum_qx - sum_q * sum_x) / det;
          b = (sum_qq * sum_x - sum_q * sum_qx) / det;
        }
      if (!(det > 0.0f) || b > 0.0f)
        {
          /* Every q alike (det = 0) leaves the min free, and the min
           * cannot be negative: either way, fit the scale alone. */
          if (!(sum_qq > 0.0f))
            continue;
          b = 0.0f;
          a = sum_qx / sum_qq;
        }
      a = MAX (a, 0.0f);

      err = 0.0f;
      for (int j = 0; j < n; j++)
        {
          float diff = a * (float) q[j] + b - x[j];

          err += diff * diff;
        }
      if (err < best_err)
        {
          best_err = err;
          best_a = a;
          best_b = b;
        }
      else if (step > 10)
        break;
    }

  *out_scale = best_a;
  *out_min = -best_b;
}

/* Fits x ≈ scale · q over @n elements, q in [-@q_neg, @q_neg - 1]. The
 * range has one more step below zero, so grids put the largest magnitude
 * near either end; each assignment gets its least-squares scale, and the
 * best is polished by re-rounding. The scale may be negative. */
static float
fit_scale (const float *x,
           int          n,
           int          q_neg)
{
  gint8 q[32];
  float max = bendi_quant_signed_absmax (x, n);
  float best_score = 0.0f;
  float best_scale = 0.0f;

  g_assert (n <= (int) sizeof q);

  if (max == 0.0f || !isfinite (max))
    return 0.0f;

  for (int step = -20; step <= 24; step++)
    {
      float sum_qx = 0.0f, sum_qq = 0.0f;
      float iscale;

      if (step <= 20)
        {
          /* Steps -20..0 put max near -q_neg, 1..20 near q_neg - 1. */
          if (step <= 0)
            iscale = -((float) q_neg + 0.05f * (float) (step + 10)) / max;
          else
            iscale = ((float) (q_neg - 1) + 0.05f * (float) (step - 10)) / max;
        }
      else
        {
          if (best_scale == 0.0f)
            break;
          iscale = 1.0f / best_scale;
        }

      for (int j = 0; j < n; j++)
        {
          q[j] = (gint8) bendi_quant_round_clamp (iscale * x[j], -q_neg, q_neg - 1);
          sum_qx += (float) q[j] * x[j];
          sum_qq += (float) (q[j] * q[j]);
        }
      /* For q fixed the best scale is Σqx / Σqq, leaving an error of
       * Σx² − (Σqx)² / Σqq: the larger (Σqx)² / Σqq, the better. */
      if (sum_qq > 0.0f && sum_qx * sum_qx / sum_qq > best_score)
        {
          best_score = sum_qx * sum_qx / sum_qq;
          best_scale = sum_qx / sum_qq;
        }
      else if (step > 20)
        break;
    }
  return best_scale;
}

/* ------------------------------------------------------------------------ */
/* Q2_K */

void
bendi_dequantize_q2_k (const void *src,
                       float      *dst,
                       gint64      n_blocks)
{
  const BendiBlockQ2_K *blocks = src;

  for (gint64 i = 0; i < n_blocks; i++, dst += QK_K)
    {
      const BendiBlockQ2_K *b = &blocks[i];
      float d = bendi_quant_load_fp16 (b->d);
      float dmin = bendi_quant_load_fp16 (b->dmin);

      for (int s = 0; s < QK_K / 16; s++)
        {
          float dl = d * (float) (b->scales[s] & 0xf);
          float ml = dmin * (float) (b->scales[s] >> 4);

          for (int e = 16 * s; e < 16 * s + 16; e++)
            {
              int q = (b->qs[crumb_byte (e)] >> crumb_shift (e)) & 3;

              dst[e] = dl * (float) q - ml;
            }
        }
    }
}

/* The per-sub-block fits of a Q2_K, Q4_K or Q5_K super-block, quantised to
 * @levels against d and dmin (returned as stored). */
static void
quantize_scale_mins (const float *x,
                     int          sub_size,
                     int          q_max,
                     int          levels,
                     int         *ls,
                     int         *lm,
                     BendiFp16   *out_d,
                     BendiFp16   *out_dmin)
{
  float scale[16], min[16];
  float max_scale = 0.0f, max_min = 0.0f;
  float d, dmin;
  int n_sub = QK_K / sub_size;

  for (int s = 0; s < n_sub; s++)
    {
      fit_scale_min (x + s * sub_size, sub_size, q_max, &scale[s], &min[s]);
      max_scale = MAX (max_scale, scale[s]);
      max_min = MAX (max_min, min[s]);
    }
  *out_d = bendi_quant_store_super_scale (max_scale, (float) levels);
  *out_dmin = bendi_quant_store_super_scale (max_min, (float) levels);
  d = bendi_quant_load_fp16 (*out_d);
  dmin = bendi_quant_load_fp16 (*out_dmin);
  for (int s = 0; s < n_sub; s++)
    {
      ls[s] = d > 0.0f ? bendi_quant_round_clamp (scale[s] / d, 0, levels) : 0;
      lm[s] = dmin > 0.0f ? bendi_quant_round_clamp (min[s] / dmin, 0, levels) : 0;
    }
}

/* Rounds each element against the scale and min the dequantiser will use. */
static void
requantize_affine (const float *x,
                   int          sub_size,
                   int          q_max,
                   const int   *ls,
                   const int   *lm,
                   BendiFp16    stored_d,
                   BendiFp16    stored_dmin,
                   guint8      *q)
{
  float d = bendi_quant_load_fp16 (stored_d);
  float dmin = bendi_quant_load_fp16 (stored_dmin);

  for (int s = 0; s < QK_K / sub_size; s++)
    {
      float scale = d * (float) ls[s];
      float min = dmin * (float) lm[s];
      float inv = scale > 0.0f ? 1.0f / scale : 0.0f;

      for (int e = s * sub_size; e < (s + 1) * sub_size; e++)
        q[e] = (guint8) bendi_quant_round_clamp ((x[e] + min) * inv, 0, q_max);
    }
}

void
bendi_quantize_q2_k (const float *src,
                     void        *dst,
                     gint64       n_blocks)
{
  BendiBlockQ2_K *blocks = dst;

  for (gint64 i = 0; i < n_blocks; i++, src += QK_K)
    {
      BendiBlockQ2_K *b = &blocks[i];
      int ls[16], lm[16];
      guint8 q[QK_K];

      quantize_scale_mins (src, 16, 3, 15, ls, lm, &b->d, &b->dmin);
      for (int s = 0; s < 16; s++)
        b->scales[s] = (guint8) (ls[s] | lm[s] << 4);
      requantize_affine (src, 16, 3, ls, lm, b->d, b->dmin, q);
      memset (b->qs, 0, sizeof b->qs);
      for (int e = 0; e < QK_K; e++)
        b->qs[crumb_byte (e)] |= (guint8) (q[e] << crumb_shift (e));
    }
}

/* ------------------------------------------------------------------------ */
/* Q3_K */

void
bendi_dequantize_q3_k (const void *src,
                       float      *dst,
                       gint64      n_blocks)
{
  const BendiBlockQ3_K *blocks = src;

  for (gint64 i = 0; i < n_blocks; i++, dst += QK_K)
    {
      const BendiBlockQ3_K *b = &blocks[i];
      float d = bendi_quant_load_fp16 (b->d);

      for (int s = 0; s < QK_K / 16; s++)
        {
          float dl = d * (float) (q3k_get_scale (b->scales, s) - 32);

          for (int e = 16 * s; e < 16 * s + 16; e++)
            {
              int low = (b->qs[crumb_byte (e)] >> crumb_shift (e)) & 3;
              /* A clear high bit means "subtract 4". */
              int q = low - (high_bit (b->hmask, e) ? 0 : 4);

              dst[e] = dl * (float) q;
            }
        }
    }
}

/* The signed per-sub-block scales of a Q3_K or Q6_K super-block, quantised
 * to [-@levels, @levels - 1] against d (returned as stored). */
static BendiFp16
quantize_scales (const float *x,
                 int          q_neg,
                 int          levels,
                 int         *ls)
{
  float scale[16];
  float max_scale = 0.0f;
  BendiFp16 stored_d;
  float d;

  for (int s = 0; s < 16; s++)
    {
      scale[s] = fit_scale (x + 16 * s, 16, q_neg);
      if (fabsf (scale[s]) > fabsf (max_scale))
        max_scale = scale[s];
    }
  /* The largest scale takes -levels, the end of the range with room. */
  stored_d = bendi_quant_store_super_scale (max_scale, (float) -levels);
  d = bendi_quant_load_fp16 (stored_d);
  for (int s = 0; s < 16; s++)
    ls[s] = d != 0.0f ? bendi_quant_round_clamp (scale[s] / d, -levels, levels - 1) : 0;
  return stored_d;
}

/* Rounds each element to [-q_neg, q_neg - 1] against the scale the
 * dequantiser will use, returning it biased by q_neg. */
static void
requantize_symmetric (const float *x,
                      int          q_neg,
                      const int   *ls,
                      BendiFp16    stored_d,
                      guint8      *q)
{
  float d = bendi_quant_load_fp16 (stored_d);

  for (int s = 0; s < 16; s++)
    {
      float scale = d * (float) ls[s];
      float inv = scale != 0.0f ? 1.0f / scale : 0.0f;

      for (int e = 16 * s; e < 16 * s + 16; e++)
        q[e] = (guint8) (bendi_quant_round_clamp (x[e] * inv, -q_neg, q_neg - 1) + q_neg);
    }
}

void
bendi_quantize_q3_k (const float *src,
                     void        *dst,
                     gint64       n_blocks)
{
  BendiBlockQ3_K *blocks = dst;

  for (gint64 i = 0; i < n_blocks; i++, src += QK_K)
    {
      BendiBlockQ3_K *b = &blocks[i];
      int ls[16], biased[16];
      guint8 q[QK_K];

      b->d = quantize_scales (src, 4, 32, ls);
      for (int s = 0; s < 16; s++)
        biased[s] = ls[s] + 32;
      q3k_pack_scales (biased, b->scales);
      requantize_symmetric (src, 4, ls, b->d, q);
      memset (b->qs, 0, sizeof b->qs);
      memset (b->hmask, 0, sizeof b->hmask);
      for (int e = 0; e < QK_K; e++)
        {
          b->qs[crumb_byte (e)] |= (guint8) ((q[e] & 3) << crumb_shift (e));
          b->hmask[e % 32] |= (guint8) ((q[e] >> 2) << (e / 32));
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Q4_K and Q5_K */

void
bendi_dequantize_q4_k (const void *src,
                       float      *dst,
                       gint64      n_blocks)
{
  const BendiBlockQ4_K *blocks = src;

  for (gint64 i = 0; i < n_blocks; i++, dst += QK_K)
    {
      const BendiBlockQ4_K *b = &blocks[i];
      float d = bendi_quant_load_fp16 (b->d);
      float dmin = bendi_quant_load_fp16 (b->dmin);

      for (int s = 0; s < QK_K / 32; s++)
        {
          int sc, m;
          float dl, ml;

          q4k_get_scale_min (b->scales, s, &sc, &m);
          dl = d * (float) sc;
          ml = dmin * (float) m;
          for (int e = 32 * s; e < 32 * s + 32; e++)
            {
              int q = (b->qs[q4k_nibble_byte (e)] >> q4k_nibble_shift (e)) & 0xf;

              dst[e] = dl * (float) q - ml;
            }
        }
    }
}

void
bendi_quantize_q4_k (const float *src,
                     void        *dst,
                     gint64       n_blocks)
{
  BendiBlockQ4_K *blocks = dst;

  for (gint64 i = 0; i < n_blocks; i++, src += QK_K)
    {
      BendiBlockQ4_K *b = &blocks[i];
      int ls[8], lm[8];
      guint8 q[QK_K];

      quantize_scale_mins (src, 32, 15, 63, ls, lm, &b->d, &b->dmin);
      q4k_pack_scale_mins (ls, lm, b->scales);
      requantize_affine (src, 32, 15, ls, lm, b->d, b->dmin, q);
      memset (b->qs, 0, sizeof b->qs);
      for (int e = 0; e < QK_K; e++)
        b->qs[q4k_nibble_byte (e)] |= (guint8) (q[e] << q4k_nibble_shift (e));
    }
}

void
bendi_dequantize_q5_k (const void *src,
                       float      *dst,
                       gint64      n_blocks)
{
  const BendiBlockQ5_K *blocks = src;

  for (gint64 i = 0; i < n_blocks; i++, dst += QK_K)
    {
      const BendiBlockQ5_K *b = &blocks[i];
      float d = bendi_quant_load_fp16 (b->d);
      float dmin = bendi_quant_load_fp16 (b->dmin);

      for (int s = 0; s < QK_K / 32; s++)
        {
          int sc, m;
          float dl, ml;

          q4k_get_scale_min (b->scales, s, &sc, &m);
          dl = d * (float) sc;
          ml = dmin * (float) m;
          for (int e = 32 * s; e < 32 * s + 32; e++)
            {
              int q = ((b->qs[q4k_nibble_byte (e)] >> q4k_nibble_shift (e)) & 0xf) |
                      high_bit (b->qh, e) << 4;

              dst[e] = dl * (float) q - ml;
            }
        }
    }
}

void
bendi_quantize_q5_k (const float *src,
                     void        *dst,
                     gint64       n_blocks)
{
  BendiBlockQ5_K *blocks = dst;

  for (gint64 i = 0; i < n_blocks; i++, src += QK_K)
    {
      BendiBlockQ5_K *b = &blocks[i];
      int ls[8], lm[8];
      guint8 q[QK_K];

      quantize_scale_mins (src, 32, 31, 63, ls, lm, &b->d, &b->dmin);
      q4k_pack_scale_mins (ls, lm, b->scales);
      requantize_affine (src, 32, 31, ls, lm, b->d, b->dmin, q);
      memset (b->qs, 0, sizeof b->qs);
      memset (b->qh, 0, sizeof b->qh);
      for (int e = 0; e < QK_K; e++)
        {
          b->qs[q4k_nibble_byte (e)] |= (guint8) ((q[e] & 0xf) << q4k_nibble_shift (e));
          b->qh[e % 32] |= (guint8) ((q[e] >> 4) << (e / 32));
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Q6_K */

void
bendi_dequantize_q6_k (const void *src,
                       float      *dst,
                       gint64      n_blocks)
{
  const BendiBlockQ6_K *blocks = src;

  for (gint64 i = 0; i < n_blocks; i++, dst += QK_K)
    {
      const BendiBlockQ6_K *b = &blocks[i];
      float d = bendi_quant_load_fp16 (b->d);

      for (int s = 0; s < QK_K / 16; s++)
        {
          float dl = d * (float) b->scales[s];

          for (int e = 16 * s; e < 16 * s + 16; e++)
            {
              int low = (b->ql[q6k_nibble_byte (e)] >> q6k_nibble_shift (e)) & 0xf;
              int high = (b->qh[crumb_byte (e)] >> crumb_shift (e)) & 3;

              dst[e] = dl * (float) ((low | high << 4) - 32);
            }
        }
    }
}

void
bendi_quantize_q6_k (const float *src,
                     void        *dst,
                     gint64       n_blocks)
{
  BendiBlockQ6_K *blocks = dst;

  for (gint64 i = 0; i < n_blocks; i++, src += QK_K)
    {
      BendiBlockQ6_K *b = &blocks[i];
      int ls[16];
      guint8 q[QK_K];

      b->d = quantize_scales (src, 32, 128, ls);
      for (int s = 0; s < 16; s++)
        b->scales[s] = (gint8) ls[s];
      requantize_symmetric (src, 32, ls, b->d, q);
      memset (b->ql, 0, sizeof b->ql);
      memset (b->qh, 0, sizeof b->qh);
      for (int e = 0; e < QK_K; e++)
        {
          b->ql[q6k_nibble_byte (e)] |= (guint8) ((q[e] & 0xf) << q6k_nibble_shift (e));
          b->qh[crumb_byte (e)] |= (guint8) ((q[e] >> 4) << crumb_shift (e));
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Q8_K: activations for the K-quant dot products, quantised exactly as
 * ggml does (the largest magnitude maps to -127, ties round to even), with
 * bsums, the sums of each 16 quants, for the kernels' min terms. */

void
bendi_dequantize_q8_k (const void *src,
                       float      *dst,
                       gint64      n_blocks)
{
  const BendiBlockQ8_K *blocks = src;

  for (gint64 i = 0; i < n_blocks; i++, dst += QK_K)
    {
      for (int e = 0; e < QK_K; e++)
        dst[e] = blocks[i].d * (float) blocks[i].qs[e];
    }
}

void
bendi_quantize_q8_k (const float *src,
                     void        *dst,
                     gint64       n_blocks)
{
  BendiBlockQ8_K *blocks = dst;

  for (gint64 i = 0; i < n_blocks; i++, src += QK_K)
    {
      BendiBlockQ8_K *b = &blocks[i];
      float max = bendi_quant_signed_absmax (src, QK_K);
      float iscale;

      if (max == 0.0f)
        {
          memset (b, 0, sizeof *b);
          continue;
        }
      iscale = -127.0f / max;
      for (int e = 0; e < QK_K; e++)
        b->qs[e] = (gint8) bendi_quant_round_clamp (iscale * src[e], -128, 127);
      for (int s = 0; s < QK_K / 16; s++)
        {
          int sum = 0;

          for (int e = 16 * s; e < 16 * s + 16; e++)
            sum += b->qs[e];
          b->bsums[s] = (gint16) sum;
        }
      b->d = 1.0f / iscale;
    }
}
