/* SPDX-License-Identifier: MIT */
/* The vector helpers: each call goes to the current kernel family's version. */
#include "cpu/vec-ops.h"

#include "cpu/kernels.h"

void
bendi_vec_fp16_to_fp32 (float           *out,
                        const BendiFp16 *in,
                        gint64           n)
{
  bendi_cpu_kernels ()->fp16_to_fp32 (out, in, n);
}

void
bendi_vec_fp32_to_fp16 (BendiFp16   *out,
                        const float *in,
                        gint64       n)
{
  bendi_cpu_kernels ()->fp32_to_fp16 (out, in, n);
}

float
bendi_vec_dot_f16_f32 (const BendiFp16 *a,
                       const float     *b,
                       gint64           n)
{
  return bendi_cpu_kernels ()->dot_f16_f32 (a, b, n);
}

void
bendi_vec_mad_f16 (float           *y,
                   const BendiFp16 *x,
                   float            a,
                   gint64           n)
{
  bendi_cpu_kernels ()->mad_f16 (y, x, a, n);
}
