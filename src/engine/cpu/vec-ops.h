/* SPDX-License-Identifier: MIT */
/* Vector helpers for the steps between the matrix products (norms, SwiGLU, attention over a half-precision KV cache), SIMD-dispatched. */
#pragma once

#include <glib.h>

#include "tensor/fp16.h"

G_BEGIN_DECLS

/* out[i] = in[i], widened exactly. */
void  bendi_vec_fp16_to_fp32 (float           *out,
                              const BendiFp16 *in,
                              gint64           n);

/* out[i] = in[i] rounded to nearest, ties to even. */
void  bendi_vec_fp32_to_fp16 (BendiFp16       *out,
                              const float     *in,
                              gint64           n);

/* Σ a[i] · b[i], accumulated in single precision. */
float bendi_vec_dot_f16_f32  (const BendiFp16 *a,
                              const float     *b,
                              gint64           n);

/* y[i] += a · x[i] */
void  bendi_vec_mad_f16      (float           *y,
                              const BendiFp16 *x,
                              float            a,
                              gint64           n);

/* out[i] += x[i] */
void  bendi_vec_add          (float           *out,
                              const float     *x,
                              gint64           n);

/* out = x / rms (x) · weight (weight may be NULL); out may be x. The sum
 * of squares is kept in double precision. */
void  bendi_vec_rms_norm     (float           *out,
                              const float     *x,
                              const float     *weight,
                              gint64           n,
                              float            eps);

/* out[i] = silu (gate[i]) · up[i]; out may be gate. */
void  bendi_vec_swiglu       (float           *out,
                              const float     *gate,
                              const float     *up,
                              gint64           n);

/* Rotates the first @n_rot (even) values of one head in place by the
 * angles whose cosines and sines are @cos_table and @sin_table (n_rot / 2
 * each): adjacent pairs (x[2i], x[2i+1]), or with @neox the halves (x[i],
 * x[i + n_rot/2]). The same arithmetic as bendi_rope_apply (): a product
 * rounded, then the sum or difference. */
void  bendi_vec_rope         (float           *head,
                              const float     *cos_table,
                              const float     *sin_table,
                              gint64           n_rot,
                              gboolean         neox);

/* Attention of @n_heads query heads that share their keys and values
 * (grouped-query attention; 1 for a head of its own) against @n_pos cached
 * positions: scores q · k · @scale, their softmax, and out = Σ p · v. Head
 * h's query is at q + h · @head_dim, its output at out + h · @head_dim;
 * keys and values of position p start at p · @stride; @scores is scratch
 * for @n_heads · @n_pos floats. */
void  bendi_vec_attend_heads (float           *out,
                              const float     *q,
                              int              n_heads,
                              const BendiFp16 *keys,
                              const BendiFp16 *values,
                              gint64           stride,
                              gint64           n_pos,
                              gint64           head_dim,
                              float            scale,
                              float           *scores);

G_END_DECLS
