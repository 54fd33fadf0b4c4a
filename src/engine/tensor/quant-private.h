/* SPDX-License-Identifier: MIT */
/* Per-type row converters behind bendi_dequantize_row () and bendi_quantize_row (), and helpers they share. */
#pragma once

#include <glib.h>
#include <math.h>

#include "tensor/fp16.h"
#include "tensor/quant-blocks.h"

G_BEGIN_DECLS

/* Each converter handles @n_blocks whole blocks (elements, for the float
 * types); bendi_dequantize_row () has checked the type and length. */
typedef void (*BendiDequantizeFunc) (const void  *src,
                                     float       *dst,
                                     gint64       n_blocks);
typedef void (*BendiQuantizeFunc)   (const float *src,
                                     void        *dst,
                                     gint64       n_blocks);

#define BENDI_DECLARE_QUANT_FUNCS(name)                                     \
  void bendi_dequantize_##name (const void *src, float *dst, gint64 n_blocks); \
  void bendi_quantize_##name   (const float *src, void *dst, gint64 n_blocks)

BENDI_DECLARE_QUANT_FUNCS (f32);
BENDI_DECLARE_QUANT_FUNCS (f16);
BENDI_DECLARE_QUANT_FUNCS (bf16);
BENDI_DECLARE_QUANT_FUNCS (q4_0);
BENDI_DECLARE_QUANT_FUNCS (q4_1);
BENDI_DECLARE_QUANT_FUNCS (q5_0);
BENDI_DECLARE_QUANT_FUNCS (q5_1);
BENDI_DECLARE_QUANT_FUNCS (q8_0);
BENDI_DECLARE_QUANT_FUNCS (q8_1);
BENDI_DECLARE_QUANT_FUNCS (q2_k);
BENDI_DECLARE_QUANT_FUNCS (q3_k);
BENDI_DECLARE_QUANT_FUNCS (q4_k);
BENDI_DECLARE_QUANT_FUNCS (q5_k);
BENDI_DECLARE_QUANT_FUNCS (q6_k);
BENDI_DECLARE_QUANT_FUNCS (q8_k);
BENDI_DECLARE_QUANT_FUNCS (iq4_nl);
BENDI_DECLARE_QUANT_FUNCS (iq4_xs);

/* Block fields are little-endian in the file, whatever the host. */
static inline float
bendi_quant_load_fp16 (BendiFp16 h)
{
  return bendi_fp16_to_fp32 (GUINT16_FROM_LE (h));
}

static inline BendiFp16
bendi_quant_store_fp16 (float f)
{
  return GUINT16_TO_LE (bendi_fp32_to_fp16 (f));
}

/* The element of largest magnitude, with its sign; the first one on ties,
 * as ggml picks it (its sign decides which end of a grid it takes). NaN
 * elements are passed over. */
static inline float
bendi_quant_signed_absmax (const float *x,
                           int          n)
{
  float amax = 0.0f;
  float max = 0.0f;

  for (int j = 0; j < n; j++)
    {
      if (amax < fabsf (x[j]))
        {
          amax = fabsf (x[j]);
          max = x[j];
        }
    }
  return max;
}

/* Stores the scale d = @max / @top that gives the largest sub-block scale,
 * @max, the integer @top. Below 2^-14 halves lose bits, and rounding d to
 * the nearest one can make @max / d overflow the integer range (or d
 * vanish), clipping the very sub-block that set it; then d grows by a step,
 * and the integers are taken against the stored d. */
static inline BendiFp16
bendi_quant_store_super_scale (float max,
                               float top)
{
  BendiFp16 h;

  if (max == 0.0f || !isfinite (max))
    return 0;
  h = bendi_fp32_to_fp16 (max / top);
  if (fabsf (max / bendi_fp16_to_fp32 (h)) > fabsf (top) + 0.5f && (h & 0x7fff) < 0x7bff)
    h++;
  return GUINT16_TO_LE (h);
}

/* @v rounded to the nearest integer, ties to even, and clamped to
 * [@lo, @hi]; NaN gives @lo. Clamping first keeps |v| < 2^22, where adding
 * 1.5 * 2^23 leaves the rounded integer in the low mantissa bits: exact,
 * and far cheaper than a libm call in the quantisers' search loops. */
static inline int
bendi_quant_round_clamp (float v,
                         int   lo,
                         int   hi)
{
  if (!(v > (float) lo))
    return lo;
  if (v >= (float) hi)
    return hi;
  v += 12582912.0f;
  return (int) (bendi_float_bits (v) & 0x7fffff) - 0x400000;
}

G_END_DECLS
