/* SPDX-License-Identifier: MIT */
/* Half-precision (IEEE binary16) and bfloat16 conversions, exact and portable. */
#pragma once

#include <glib.h>
#include <string.h>

G_BEGIN_DECLS

typedef guint16 BendiFp16;
typedef guint16 BendiBf16;

static inline guint32
bendi_float_bits (float f)
{
  guint32 u;

  memcpy (&u, &f, sizeof u);
  return u;
}

static inline float
bendi_float_from_bits (guint32 u)
{
  float f;

  memcpy (&f, &u, sizeof f);
  return f;
}

static inline float
bendi_fp16_to_fp32 (BendiFp16 h)
{
  guint32 sign = (guint32) (h & 0x8000) << 16;
  guint32 exponent = (h >> 10) & 0x1f;
  guint32 mantissa = h & 0x3ff;

  if (exponent == 0x1f)                   /* infinity or NaN */
    return bendi_float_from_bits (sign | 0x7f800000u | (mantissa << 13));
  if (exponent == 0)
    {
      /* Zero or subnormal: value = mantissa * 2^-24. */
      float magnitude = (float) mantissa * (1.0f / 16777216.0f);

      return sign != 0 ? -magnitude : magnitude;
    }
  return bendi_float_from_bits (sign | ((exponent + 112) << 23) | (mantissa << 13));
}

/* Rounds to nearest, ties to even, as the F16C instructions do. */
static inline BendiFp16
bendi_fp32_to_fp16 (float f)
{
  guint32 u = bendi_float_bits (f);
  guint32 sign = (u >> 16) & 0x8000;
  guint32 abs_bits = u & 0x7fffffffu;

  if (abs_bits >= 0x7f800000u)            /* infinity or NaN */
    return (BendiFp16) (sign | 0x7c00 | (abs_bits > 0x7f800000u ? 0x200 : 0));
  if (abs_bits >= 0x477ff000u)            /* rounds to more than 65504 */
    return (BendiFp16) (sign | 0x7c00);
  if (abs_bits < 0x38800000u)             /* below the smallest normal half */
    {
      /* Scale so the half subnormal's unit is 1, then round to even. */
      float magnitude = bendi_float_from_bits (abs_bits) * 16777216.0f;
      guint32 q = (guint32) magnitude;
      float rest = magnitude - (float) q;

      if (rest > 0.5f || (rest == 0.5f && (q & 1)))
        q++;
      return (BendiFp16) (sign | q);
    }
  {
    guint32 exponent = (abs_bits >> 23) - 112;
    guint32 mantissa = abs_bits & 0x7fffff;
    guint32 half = (exponent << 10) | (mantissa >> 13);
    guint32 rest = mantissa & 0x1fff;

    if (rest > 0x1000 || (rest == 0x1000 && (half & 1)))
      half++;                             /* may carry into the exponent: still right */
    return (BendiFp16) (sign | half);
  }
}

/* @f rounded to the nearest half-precision value. */
static inline float
bendi_fp16_round (float f)
{
  return bendi_fp16_to_fp32 (bendi_fp32_to_fp16 (f));
}

static inline float
bendi_bf16_to_fp32 (BendiBf16 h)
{
  return bendi_float_from_bits ((guint32) h << 16);
}

/* Rounds to nearest, ties to even; NaN stays NaN. */
static inline BendiBf16
bendi_fp32_to_bf16 (float f)
{
  guint32 u = bendi_float_bits (f);

  if ((u & 0x7fffffffu) > 0x7f800000u)
    return (BendiBf16) ((u >> 16) | 0x40);
  return (BendiBf16) ((u + 0x7fff + ((u >> 16) & 1)) >> 16);
}

G_END_DECLS
