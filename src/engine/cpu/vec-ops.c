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

void
bendi_vec_add (float       *out,
               const float *x,
               gint64       n)
{
  bendi_cpu_kernels ()->add (out, x, n);
}

void
bendi_vec_rms_norm (float       *out,
                    const float *x,
                    const float *weight,
                    gint64       n,
                    float        eps)
{
  bendi_cpu_kernels ()->rms_norm (out, x, weight, n, eps);
}

void
bendi_vec_swiglu (float       *out,
                  const float *gate,
                  const float *up,
                  gint64       n)
{
  bendi_cpu_kernels ()->swiglu (out, gate, up, n);
}

void
bendi_vec_rope (float       *head,
                const float *cos_table,
                const float *sin_table,
                gint64       n_rot,
                gboolean     neox)
{
  bendi_cpu_kernels ()->rope (head, cos_table, sin_table, n_rot, neox);
}

void
bendi_vec_attend_heads (float           *out,
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
  const BendiCpuKernels *kernels = bendi_cpu_kernels ();

  /* Grouping pays from two heads on: one head alone ran 1.4 times slower
   * through attend_heads () than through attend () (AVX-512, 600
   * positions), two heads together 10% faster than one by one. */
  if (kernels->attend_heads != NULL && n_heads > 1)
    {
      kernels->attend_heads (out, q, n_heads, keys, values, stride, n_pos, head_dim, scale, scores);
      return;
    }
  for (int h = 0; h < n_heads; h++)
    kernels->attend (out + h * head_dim, q + h * head_dim, keys, values, stride, n_pos, head_dim, scale, scores);
}

void
bendi_vec_attend_heads_half (float           *out,
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
  bendi_cpu_kernels ()->attend_half (out, q, n_heads, keys, values, stride, n_pos, head_dim, scale, scores);
}

/* ggml's tiled attention takes 64 queries at a time (its Q_TILE_SZ). */
#define TILED_MIN_QUERIES 64

gboolean
bendi_vec_attention_in_half (gint64 n_tokens,
                             gint64 head_dim)
{
  return n_tokens < TILED_MIN_QUERIES || head_dim % bendi_cpu_kernels ()->vector_floats != 0;
}
