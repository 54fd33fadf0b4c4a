/* SPDX-License-Identifier: MIT */
/* Vector helpers for attention over a half-precision KV cache, SIMD-dispatched. */
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

G_END_DECLS
