/* SPDX-License-Identifier: MIT */
/* Portable kernels for every weight type: plain C, one output at a time.
 * They define what the SIMD kernels must compute, and run wherever no
 * SIMD kernel exists. The arithmetic follows ggml's reference dot
 * products: integer sums per block, then the block's scales in float. */
#include "cpu/kernels.h"

#include <math.h>
#include <string.h>

#include "model/ops.h"

/* ------------------------------------------------------------------------ */
/* Activation quantisers, as ggml's reference quantize_row_q8_* do it. */

/* F16 and BF16 activations are kept as floats rounded to the weights'
 * precision (exactly representable), so products need no conversion. */
static void
quantize_f16 (const BendiActs    *acts,
              const BendiActsOut *out,
              const float        *in,
              gint64              t0,
              gint64              t1)
{
  for (gint64 t = t0; t < t1; t++)
    {
      float *dst = (float *) (out->values + t * acts->stride);
      const float *src = in + t * acts->n_cols;

      for (gint64 i = 0; i < acts->n_cols; i++)
        dst[i] = bendi_fp16_round (src[i]);
    }
}

static void
quantize_bf16 (const BendiActs    *acts,
               const BendiActsOut *out,
               const float        *in,
               gint64              t0,
               gint64              t1)
{
  for (gint64 t = t0; t < t1; t++)
    {
      float *dst = (float *) (out->values + t * acts->stride);
      const float *src = in + t * acts->n_cols;

      for (gint64 i = 0; i < acts->n_cols; i++)
        dst[i] = bendi_bf16_to_fp32 (bendi_fp32_to_bf16 (src[i]));
    }
}

/* Q8_0 and Q8_1: d = max |x| / 127 kept as a half, q = round (x / d). */
static void
quantize_q8_01 (const BendiActs    *acts,
                const BendiActsOut *out,
                const float        *in,
                gint64              t0,
                gint64              t1)
{
  for (gint64 t = t0; t < t1; t++)
    for (gint64 b = 0; b < acts->n_blocks; b++)
      {
        const float *x = in + t * acts->n_cols + b * BENDI_QK;
        gint8 *q = (gint8 *) (out->values + t * acts->stride) + b * BENDI_QK;
        gint64 i = t * acts->n_blocks + b;
        float amax = 0, d, id;
        int sum = 0;

        for (int j = 0; j < BENDI_QK; j++)
          amax = MAX (amax, fabsf (x[j]));
        d = amax / 127;
        id = d != 0 ? 1.0f / d : 0.0f;
        for (int j = 0; j < BENDI_QK; j++)
          {
            q[j] = (gint8) roundf (x[j] * id);
            sum += q[j];
          }
        out->d[i] = bendi_fp16_round (d);
        if (acts->kind == BENDI_ACT_Q8_1)
          {
            out->sums[i] = sum;
            out->s[i] = bendi_fp16_round ((float) sum * d);
          }
        else
          out->sums[i] = -acts->bias * sum;
      }
}

/* Q8_K: the element of largest magnitude becomes -127 (the sign of d
 * follows), rounding half to even; sums of 16 for the K-quants' minimums. */
static void
quantize_q8_k (const BendiActs    *acts,
               const BendiActsOut *out,
               const float        *in,
               gint64              t0,
               gint64              t1)
{
  for (gint64 t = t0; t < t1; t++)
    for (gint64 b = 0; b < acts->n_blocks; b++)
      {
        const float *x = in + t * acts->n_cols + b * BENDI_QK_K;
        gint8 *q = (gint8 *) (out->values + t * acts->stride) + b * BENDI_QK_K;
        gint16 *bsums = out->bsums + (t * acts->n_blocks + b) * 16;
        float amax = 0, max = 0, iscale;

        for (int j = 0; j < BENDI_QK_K; j++)
          if (fabsf (x[j]) > amax)
            {
              amax = fabsf (x[j]);
              max = x[j];
            }
        if (amax == 0)
          {
            out->d[t * acts->n_blocks + b] = 0;
            memset (q, 0, BENDI_QK_K);
            memset (bsums, 0, 16 * sizeof (gint16));
            memset (out->sums + (t * acts->n_blocks + b) * 16, 0, 16 * sizeof (gint32));
            continue;
          }
        iscale = -127.0f / max;
        for (int j = 0; j < BENDI_QK_K; j++)
          q[j] = (gint8) MIN (127, bendi_round_even (iscale * x[j]));
        for (int j = 0; j < 16; j++)
          {
            int sum = 0;

            for (int i = 0; i < 16; i++)
              sum += q[j * 16 + i];
            bsums[j] = (gint16) sum;
            out->sums[(t * acts->n_blocks + b) * 16 + j] = -acts->bias * sum;
          }
        out->d[t * acts->n_blocks + b] = 1.0f / iscale;
      }
}

/* ------------------------------------------------------------------------ */
/* Dot products of one weight row with token t's activations. */

typedef float (*DotFunc) (const guint8    *row,
                          const BendiActs *a,
                          gint64           t);

static inline const gint8 *
act_quants (const BendiActs *a,
            gint64           t,
            gint64           b,
            int              block_size)
{
  return (const gint8 *) a->values + t * a->stride + b * block_size;
}

static float
dot_f32 (const guint8    *row,
         const BendiActs *a,
         gint64           t)
{
  const float *w = (const float *) row;
  const float *x = (const float *) ((const guint8 *) a->values + t * a->stride);
  float sum = 0;

  for (gint64 i = 0; i < a->n_cols; i++)
    sum += w[i] * x[i];
  return sum;
}

static float
dot_f16 (const guint8    *row,
         const BendiActs *a,
         gint64           t)
{
  const BendiFp16 *w = (const BendiFp16 *) row;
  const float *x = (const float *) ((const guint8 *) a->values + t * a->stride);
  float sum = 0;

  for (gint64 i = 0; i < a->n_cols; i++)
    sum += bendi_fp16_to_fp32 (w[i]) * x[i];
  return sum;
}

static float
dot_bf16 (const guint8    *row,
          const BendiActs *a,
          gint64           t)
{
  const BendiBf16 *w = (const BendiBf16 *) row;
  const float *x = (const float *) ((const guint8 *) a->values + t * a->stride);
  float sum = 0;

  for (gint64 i = 0; i < a->n_cols; i++)
    sum += bendi_bf16_to_fp32 (w[i]) * x[i];
  return sum;
}

static float
dot_q4_0 (const guint8    *row,
          const BendiActs *a,
          gint64           t)
{
  const BendiBlockQ4_0 *w = (const BendiBlockQ4_0 *) row;
  float sum = 0;

  for (gint64 b = 0; b < a->n_blocks; b++)
    {
      const gint8 *y = act_quants (a, t, b, BENDI_QK);
      int isum = 0;

      for (int j = 0; j < BENDI_QK / 2; j++)
        isum += ((w[b].qs[j] & 0x0f) - 8) * y[j] + ((w[b].qs[j] >> 4) - 8) * y[j + 16];
      sum += (float) isum * bendi_fp16_to_fp32 (w[b].d) * a->d[t * a->n_blocks + b];
    }
  return sum;
}

static float
dot_q4_1 (const guint8    *row,
          const BendiActs *a,
          gint64           t)
{
  const BendiBlockQ4_1 *w = (const BendiBlockQ4_1 *) row;
  float sum = 0;

  for (gint64 b = 0; b < a->n_blocks; b++)
    {
      const gint8 *y = act_quants (a, t, b, BENDI_QK);
      gint64 i = t * a->n_blocks + b;
      int isum = 0;

      for (int j = 0; j < BENDI_QK / 2; j++)
        isum += (w[b].qs[j] & 0x0f) * y[j] + (w[b].qs[j] >> 4) * y[j + 16];
      sum += bendi_fp16_to_fp32 (w[b].d) * a->d[i] * (float) isum +
             bendi_fp16_to_fp32 (w[b].m) * a->s[i];
    }
  return sum;
}

/* Element j's fifth bit in a Q5 block, as 0 or 16. */
static inline int
q5_high_bit (const guint8 *qh,
             int           j)
{
  guint32 bits = (guint32) qh[0] | (guint32) qh[1] << 8 | (guint32) qh[2] << 16 | (guint32) qh[3] << 24;

  return ((bits >> j) & 1) << 4;
}

static float
dot_q5_0 (const guint8    *row,
          const BendiActs *a,
          gint64           t)
{
  const BendiBlockQ5_0 *w = (const BendiBlockQ5_0 *) row;
  float sum = 0;

  for (gint64 b = 0; b < a->n_blocks; b++)
    {
      const gint8 *y = act_quants (a, t, b, BENDI_QK);
      int isum = 0;

      for (int j = 0; j < BENDI_QK / 2; j++)
        {
          int q0 = ((w[b].qs[j] & 0x0f) | q5_high_bit (w[b].qh, j)) - 16;
          int q1 = ((w[b].qs[j] >> 4) | q5_high_bit (w[b].qh, j + 16)) - 16;

          isum += q0 * y[j] + q1 * y[j + 16];
        }
      sum += (float) isum * bendi_fp16_to_fp32 (w[b].d) * a->d[t * a->n_blocks + b];
    }
  return sum;
}

static float
dot_q5_1 (const guint8    *row,
          const BendiActs *a,
          gint64           t)
{
  const BendiBlockQ5_1 *w = (const BendiBlockQ5_1 *) row;
  float sum = 0;

  for (gint64 b = 0; b < a->n_blocks; b++)
    {
      const gint8 *y = act_quants (a, t, b, BENDI_QK);
      gint64 i = t * a->n_blocks + b;
      int isum = 0;

      for (int j = 0; j < BENDI_QK / 2; j++)
        {
          int q0 = (w[b].qs[j] & 0x0f) | q5_high_bit (w[b].qh, j);
          int q1 = (w[b].qs[j] >> 4) | q5_high_bit (w[b].qh, j + 16);

          isum += q0 * y[j] + q1 * y[j + 16];
        }
      sum += bendi_fp16_to_fp32 (w[b].d) * a->d[i] * (float) isum +
             bendi_fp16_to_fp32 (w[b].m) * a->s[i];
    }
  return sum;
}

static float
dot_q8_0 (const guint8    *row,
          const BendiActs *a,
          gint64           t)
{
  const BendiBlockQ8_0 *w = (const BendiBlockQ8_0 *) row;
  float sum = 0;

  for (gint64 b = 0; b < a->n_blocks; b++)
    {
      const gint8 *y = act_quants (a, t, b, BENDI_QK);
      int isum = 0;

      for (int j = 0; j < BENDI_QK; j++)
        isum += w[b].qs[j] * y[j];
      sum += (float) isum * bendi_fp16_to_fp32 (w[b].d) * a->d[t * a->n_blocks + b];
    }
  return sum;
}

static float
dot_iq4_nl (const guint8    *row,
            const BendiActs *a,
            gint64           t)
{
  const BendiBlockIQ4_NL *w = (const BendiBlockIQ4_NL *) row;
  float sum = 0;

  for (gint64 b = 0; b < a->n_blocks; b++)
    {
      const gint8 *y = act_quants (a, t, b, BENDI_QK);
      int isum = 0;

      for (int j = 0; j < BENDI_QK / 2; j++)
        isum += bendi_iq4nl_values[w[b].qs[j] & 0x0f] * y[j] +
                bendi_iq4nl_values[w[b].qs[j] >> 4] * y[j + 16];
      sum += (float) isum * bendi_fp16_to_fp32 (w[b].d) * a->d[t * a->n_blocks + b];
    }
  return sum;
}

/* ------------------------------------------------------------------------ */
/* The K-quants and IQ4_XS: each super-block of 256 is unpacked to integer
 * quants with integer scales (and minimums) per sub-block, then
 *   x = d · scale_j · q  -  dmin · min_j
 * so the dot product is d_y · (d · Σ_j scale_j Σ q·y  -  dmin · Σ_j min_j Σ y). */

typedef struct {
  gint8 q[BENDI_QK_K];
  int   scales[16];
  int   mins[16];
  int   sub_size;        /* 16 or 32 */
  float d;
  float dmin;
} KBlock;

static void
unpack_q2_k (const guint8 *data,
             KBlock       *k)
{
  const BendiBlockQ2_K *x = (const BendiBlockQ2_K *) data;

  k->sub_size = 16;
  k->d = bendi_fp16_to_fp32 (x->d);
  k->dmin = bendi_fp16_to_fp32 (x->dmin);
  for (int j = 0; j < 16; j++)
    {
      k->scales[j] = x->scales[j] & 0x0f;
      k->mins[j] = x->scales[j] >> 4;
    }
  /* Each 128 elements take 32 bytes, four 2-bit planes of 32. */
  for (int n = 0; n < 2; n++)
    for (int shift = 0; shift < 4; shift++)
      for (int l = 0; l < 32; l++)
        k->q[n * 128 + shift * 32 + l] = (x->qs[n * 32 + l] >> (2 * shift)) & 3;
}

static void
unpack_q3_k (const guint8 *data,
             KBlock       *k)
{
  const BendiBlockQ3_K *x = (const BendiBlockQ3_K *) data;
  const guint8 *s = x->scales;

  k->sub_size = 16;
  k->d = bendi_fp16_to_fp32 (x->d);
  k->dmin = 0;
  /* 16 6-bit scales: low 4 bits in bytes 0-7 (two per byte), high 2 bits in
   * bytes 8-11 (four per byte). */
  for (int j = 0; j < 16; j++)
    {
      int low = j < 8 ? s[j] & 0x0f : s[j - 8] >> 4;
      int high = (s[8 + j % 4] >> (2 * (j / 4))) & 3;

      k->scales[j] = (low | high << 4) - 32;
      k->mins[j] = 0;
    }
  /* 2 low bits as in Q2_K; a clear bit in hmask subtracts 4. */
  for (int n = 0; n < 2; n++)
    for (int shift = 0; shift < 4; shift++)
      for (int l = 0; l < 32; l++)
        {
          int m = n * 4 + shift;
          int low = (x->qs[n * 32 + l] >> (2 * shift)) & 3;

          k->q[n * 128 + shift * 32 + l] = low - ((x->hmask[l] >> m) & 1 ? 0 : 4);
        }
}

static void
unpack_q4_k (const guint8 *data,
             KBlock       *k)
{
  const BendiBlockQ4_K *x = (const BendiBlockQ4_K *) data;

  k->sub_size = 32;
  k->d = bendi_fp16_to_fp32 (x->d);
  k->dmin = bendi_fp16_to_fp32 (x->dmin);
  for (int j = 0; j < 8; j++)
    {
      guint8 scale, min;

      bendi_k4_scale_min (j, x->scales, &scale, &min);
      k->scales[j] = scale;
      k->mins[j] = min;
    }
  /* Each 64 elements take 32 bytes: low nibbles first, then high. */
  for (int n = 0; n < 4; n++)
    for (int l = 0; l < 32; l++)
      {
        k->q[n * 64 + l] = x->qs[n * 32 + l] & 0x0f;
        k->q[n * 64 + 32 + l] = x->qs[n * 32 + l] >> 4;
      }
}

static void
unpack_q5_k (const guint8 *data,
             KBlock       *k)
{
  const BendiBlockQ5_K *x = (const BendiBlockQ5_K *) data;

  k->sub_size = 32;
  k->d = bendi_fp16_to_fp32 (x->d);
  k->dmin = bendi_fp16_to_fp32 (x->dmin);
  for (int j = 0; j < 8; j++)
    {
      guint8 scale, min;

      bendi_k4_scale_min (j, x->scales, &scale, &min);
      k->scales[j] = scale;
      k->mins[j] = min;
    }
  /* As Q4_K; bit 2n of qh[l] tops the low nibble, bit 2n + 1 the high. */
  for (int n = 0; n < 4; n++)
    for (int l = 0; l < 32; l++)
      {
        k->q[n * 64 + l] = (x->qs[n * 32 + l] & 0x0f) | (((x->qh[l] >> (2 * n)) & 1) << 4);
        k->q[n * 64 + 32 + l] = (x->qs[n * 32 + l] >> 4) | (((x->qh[l] >> (2 * n + 1)) & 1) << 4);
      }
}

static void
unpack_q6_k (const guint8 *data,
             KBlock       *k)
{
  const BendiBlockQ6_K *x = (const BendiBlockQ6_K *) data;

  k->sub_size = 16;
  k->d = bendi_fp16_to_fp32 (x->d);
  k->dmin = 0;
  for (int j = 0; j < 16; j++)
    {
      k->scales[j] = x->scales[j];
      k->mins[j] = 0;
    }
  /* Each 128 elements: low nibbles of ql[0..63] then high nibbles, with
   * 2-bit pairs of qh[0..31] on top, minus 32. */
  for (int n = 0; n < 2; n++)
    {
      const guint8 *ql = x->ql + n * 64;
      const guint8 *qh = x->qh + n * 32;
      gint8 *q = k->q + n * 128;

      for (int l = 0; l < 32; l++)
        {
          q[l] = (gint8) (((ql[l] & 0x0f) | ((qh[l] & 3) << 4)) - 32);
          q[l + 32] = (gint8) (((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) - 32);
          q[l + 64] = (gint8) (((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
          q[l + 96] = (gint8) (((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
        }
    }
}

static void
unpack_iq4_xs (const guint8 *data,
               KBlock       *k)
{
  const BendiBlockIQ4_XS *x = (const BendiBlockIQ4_XS *) data;

  k->sub_size = 32;
  k->d = bendi_fp16_to_fp32 (x->d);
  k->dmin = 0;
  for (int j = 0; j < 8; j++)
    {
      int low = (x->scales_l[j / 2] >> (4 * (j % 2))) & 0x0f;
      int high = (GUINT16_FROM_LE (x->scales_h) >> (2 * j)) & 3;

      k->scales[j] = (low | high << 4) - 32;
      k->mins[j] = 0;
    }
  for (int j = 0; j < 8; j++)
    for (int l = 0; l < 16; l++)
      {
        k->q[j * 32 + l] = bendi_iq4nl_values[x->qs[j * 16 + l] & 0x0f];
        k->q[j * 32 + 16 + l] = bendi_iq4nl_values[x->qs[j * 16 + l] >> 4];
      }
}

static inline float
dot_k_generic (const guint8    *row,
               const BendiActs *a,
               gint64           t,
               gsize            block_bytes,
               void           (*unpack) (const guint8 *, KBlock *))
{
  float sum = 0;

  for (gint64 b = 0; b < a->n_blocks; b++)
    {
      const gint8 *y = act_quants (a, t, b, BENDI_QK_K);
      const gint16 *bsums = a->bsums + (t * a->n_blocks + b) * 16;
      int isum = 0, msum = 0;
      KBlock k;

      unpack (row + b * block_bytes, &k);
      for (int j = 0; j < BENDI_QK_K / k.sub_size; j++)
        {
          int s = 0;

          for (int l = 0; l < k.sub_size; l++)
            s += k.q[j * k.sub_size + l] * y[j * k.sub_size + l];
          isum += k.scales[j] * s;
          if (k.sub_size == 16)
            msum += k.mins[j] * bsums[j];
          else
            msum += k.mins[j] * (bsums[2 * j] + bsums[2 * j + 1]);
        }
      sum += a->d[t * a->n_blocks + b] * (k.d * (float) isum - k.dmin * (float) msum);
    }
  return sum;
}

#define DEFINE_DOT_K(name, block_type)                                       \
  static float                                                               \
  dot_##name (const guint8    *row,                                          \
              const BendiActs *a,                                            \
              gint64           t)                                            \
  {                                                                          \
    return dot_k_generic (row, a, t, sizeof (block_type), unpack_##name);    \
  }

DEFINE_DOT_K (q2_k, BendiBlockQ2_K)
DEFINE_DOT_K (q3_k, BendiBlockQ3_K)
DEFINE_DOT_K (q4_k, BendiBlockQ4_K)
DEFINE_DOT_K (q5_k, BendiBlockQ5_K)
DEFINE_DOT_K (q6_k, BendiBlockQ6_K)
DEFINE_DOT_K (iq4_xs, BendiBlockIQ4_XS)

static const DotFunc dot_funcs[BENDI_TENSOR_TYPE_COUNT] = {
  [BENDI_TENSOR_TYPE_F32] = dot_f32,
  [BENDI_TENSOR_TYPE_F16] = dot_f16,
  [BENDI_TENSOR_TYPE_BF16] = dot_bf16,
  [BENDI_TENSOR_TYPE_Q4_0] = dot_q4_0,
  [BENDI_TENSOR_TYPE_Q4_1] = dot_q4_1,
  [BENDI_TENSOR_TYPE_Q5_0] = dot_q5_0,
  [BENDI_TENSOR_TYPE_Q5_1] = dot_q5_1,
  [BENDI_TENSOR_TYPE_Q8_0] = dot_q8_0,
  [BENDI_TENSOR_TYPE_Q2_K] = dot_q2_k,
  [BENDI_TENSOR_TYPE_Q3_K] = dot_q3_k,
  [BENDI_TENSOR_TYPE_Q4_K] = dot_q4_k,
  [BENDI_TENSOR_TYPE_Q5_K] = dot_q5_k,
  [BENDI_TENSOR_TYPE_Q6_K] = dot_q6_k,
  [BENDI_TENSOR_TYPE_IQ4_NL] = dot_iq4_nl,
  [BENDI_TENSOR_TYPE_IQ4_XS] = dot_iq4_xs,
};

/* ------------------------------------------------------------------------ */
/* Products: every (row, token) pair on its own. */

static void
gemm_rows_generic (const BendiMatrix *w,
                   gint64             r0,
                   gint64             r1,
                   const BendiActs   *acts,
                   float             *out,
                   gint64             ld_out)
{
  DotFunc dot = dot_funcs[w->type];

  for (gint64 r = r0; r < r1; r++)
    {
      const guint8 *row = (const guint8 *) w->data + r * w->row_bytes;

      for (gint64 t = 0; t < acts->n_tokens; t++)
        out[t * ld_out + r] = dot (row, acts, t);
    }
}

/* Interleaved groups are turned back into rows one at a time. */
static void
gemm_interleaved_generic (const BendiMatrix *w,
                          gint64             r0,
                          gint64             r1,
                          const BendiActs   *acts,
                          float             *out,
                          gint64             ld_out)
{
  DotFunc dot = dot_funcs[w->type];
  g_autofree guint8 *row = g_malloc (w->row_bytes);

  for (gint64 r = r0; r < r1; r++)
    {
      const guint8 *group = (const guint8 *) w->data + (r - r % BENDI_INTERLEAVE) * w->row_bytes;

      bendi_deinterleave_row (w->type, w->n_cols, group, (int) (r % BENDI_INTERLEAVE), row);
      for (gint64 t = 0; t < acts->n_tokens; t++)
        out[t * ld_out + r] = dot (row, acts, t);
    }
}

/* ------------------------------------------------------------------------ */
/* Vector helpers for attention. */

static void
fp16_to_fp32_generic (float           *out,
                      const BendiFp16 *in,
                      gint64           n)
{
  for (gint64 i = 0; i < n; i++)
    out[i] = bendi_fp16_to_fp32 (in[i]);
}

static void
fp32_to_fp16_generic (BendiFp16   *out,
                      const float *in,
                      gint64       n)
{
  for (gint64 i = 0; i < n; i++)
    out[i] = bendi_fp32_to_fp16 (in[i]);
}

static float
dot_f16_f32_generic (const BendiFp16 *a,
                     const float     *b,
                     gint64           n)
{
  float sum = 0;

  for (gint64 i = 0; i < n; i++)
    sum += bendi_fp16_to_fp32 (a[i]) * b[i];
  return sum;
}

static void
mad_f16_generic (float           *y,
                 const BendiFp16 *x,
                 float            a,
                 gint64           n)
{
  for (gint64 i = 0; i < n; i++)
    y[i] += a * bendi_fp16_to_fp32 (x[i]);
}

/* Through the table's dot and mad, so a family with only those two fast
 * still gets them here. */
void
bendi_kernels_attend_generic (float           *out,
                              const float     *q,
                              const BendiFp16 *keys,
                              const BendiFp16 *values,
                              gint64           stride,
                              gint64           n_pos,
                              gint64           head_dim,
                              float            scale,
                              float           *scores)
{
  const BendiCpuKernels *k = bendi_cpu_kernels ();

  for (gint64 p = 0; p < n_pos; p++)
    scores[p] = k->dot_f16_f32 (keys + p * stride, q, head_dim) * scale;
  bendi_softmax (scores, n_pos);
  memset (out, 0, (gsize) head_dim * sizeof (float));
  for (gint64 p = 0; p < n_pos; p++)
    k->mad_f16 (out, values + p * stride, scores[p], head_dim);
}

/* The online softmax of @scores (already scaled) and the values' sums in
 * half precision, step by step as ggml's flash_attn_ext computes them for
 * one query (see bendi_vec_attend_heads_half ()). */
static void
attend_half_sums (float           *out,
                  const BendiFp16 *values,
                  gint64           stride,
                  gint64           n_pos,
                  gint64           head_dim,
                  const float     *scores)
{
  float max = -INFINITY, sum = 0;

  for (gint64 i = 0; i < head_dim; i++)
    out[i] = 0;
  for (gint64 p = 0; p < n_pos; p++)
    {
      const BendiFp16 *v = values + p * stride;
      float s = scores[p], rescale = 1, weight = 1;

      if (s > max)
        {
          rescale = expf (max - s);
          max = s;
          for (gint64 i = 0; i < head_dim; i++)
            out[i] = bendi_fp16_round (out[i] * rescale);
        }
      else
        weight = expf (s - max);
      for (gint64 i = 0; i < head_dim; i++)
        out[i] = bendi_fp16_round (fmaf (bendi_fp16_to_fp32 (v[i]), weight, out[i]));
      sum = fmaf (sum, rescale, weight);   /* ggml's S = S*ms + vs, contracted */
    }
  for (gint64 i = 0; i < head_dim; i++)
    out[i] *= 1.0f / sum;
}

void
bendi_kernels_attend_half_generic (float           *out,
                                   const float     *q,
                                   const BendiFp16 *keys,
                                   const BendiFp16 *values,
                                   gint64           stride,
                                   gint64           n_pos,
                                   gint64           head_dim,
                                   float            scale,
                                   float           *scores)
{
  for (gint64 p = 0; p < n_pos; p++)
    {
      const BendiFp16 *k = keys + p * stride;
      double dot = 0;

      /* half-precision products are exact in single precision */
      for (gint64 i = 0; i < head_dim; i++)
        dot += (double) (bendi_fp16_round (q[i]) * bendi_fp16_to_fp32 (k[i]));
      scores[p] = (float) dot * scale;
    }
  attend_half_sums (out, values, stride, n_pos, head_dim, scores);
}

const guint64 bendi_kernels_exp2_32nds[32] = {
  0x3ff0000000000000, 0x3fefd9b0d3158574, 0x3fefb5586cf9890f, 0x3fef9301d0125b51,
  0x3fef72b83c7d517b, 0x3fef54873168b9aa, 0x3fef387a6e756238, 0x3fef1e9df51fdee1,
  0x3fef06fe0a31b715, 0x3feef1a7373aa9cb, 0x3feedea64c123422, 0x3feece086061892d,
  0x3feebfdad5362a27, 0x3feeb42b569d4f82, 0x3feeab07dd485429, 0x3feea47eb03a5585,
  0x3feea09e667f3bcd, 0x3fee9f75e8ec5f74, 0x3feea11473eb0187, 0x3feea589994cce13,
  0x3feeace5422aa0db, 0x3feeb737b0cdc5e5, 0x3feec49182a3f090, 0x3feed503b23e255d,
  0x3feee89f995ad3ad, 0x3feeff76f2fb5e47, 0x3fef199bdd85529c, 0x3fef3720dcef9069,
  0x3fef5818dcfba487, 0x3fef7c97337b9b5f, 0x3fefa4afa2a490da, 0x3fefd0765b6e4540,
};

static void
expf_neg_generic (float  *x,
                  gint64  n)
{
  for (gint64 i = 0; i < n; i++)
    x[i] = expf (x[i]);
}

static void
attend_half_heads_generic (float           *out,
                           const float     *q,
                           int              n_heads,
                           const BendiFp16 *keys,
                           const BendiFp16 *values,
                           gint64           stride,
                           gint64           n_pos,
                           gint64           head_dim,
                           float            scale,
                           float           *scores)
{
  for (int h = 0; h < n_heads; h++)
    bendi_kernels_attend_half_generic (out + h * head_dim, q + h * head_dim, keys, values, stride, n_pos, head_dim,
                                       scale, scores);
}

static void
rope_generic (float       *head,
              const float *cos_table,
              const float *sin_table,
              gint64       n_rot,
              gboolean     neox)
{
  bendi_rope_apply (head, cos_table, sin_table, n_rot, neox ? BENDI_ROPE_NEOX : BENDI_ROPE_NORMAL);
}

void
bendi_kernels_init_generic (BendiCpuKernels *table)
{
  memset (table, 0, sizeof *table);
  table->name = "generic";
  table->quantize[BENDI_ACT_F16] = quantize_f16;
  table->quantize[BENDI_ACT_BF16] = quantize_bf16;
  table->quantize[BENDI_ACT_Q8_0] = quantize_q8_01;
  table->quantize[BENDI_ACT_Q8_1] = quantize_q8_01;
  table->quantize[BENDI_ACT_Q8_K] = quantize_q8_k;
  for (int type = 0; type < BENDI_TENSOR_TYPE_COUNT; type++)
    if (dot_funcs[type] != NULL)
      {
        table->gemm_rows[type] = gemm_rows_generic;
        if (bendi_interleave_supported ((BendiTensorType) type))
          table->gemm_interleaved[type] = gemm_interleaved_generic;
      }
  table->fp16_to_fp32 = fp16_to_fp32_generic;
  table->fp32_to_fp16 = fp32_to_fp16_generic;
  table->dot_f16_f32 = dot_f16_f32_generic;
  table->mad_f16 = mad_f16_generic;
  /* the reference pass's own steps */
  table->add = bendi_add;
  table->rms_norm = bendi_rms_norm;
  table->swiglu = bendi_swiglu;
  table->rope = rope_generic;
  table->attend = bendi_kernels_attend_generic;
  table->attend_half = attend_half_heads_generic;
  table->expf_neg = expf_neg_generic;
  table->vector_floats = 4;
}
