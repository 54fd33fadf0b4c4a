/* SPDX-License-Identifier: MIT */
/* The small element-wise steps of a transformer layer, shared by the reference and the fast forward pass. */
#pragma once

#include <glib.h>

#include "model/model.h"

G_BEGIN_DECLS

/* out = x / sqrt (mean (x²) + eps) · weight  (weight may be NULL: no scale) */
void bendi_rms_norm (float       *out,
                     const float *x,
                     const float *weight,
                     gint64       n,
                     float        eps);

/* cos/sin of each rotated pair for position @pos: @n_rot / 2 values each,
 * with the model's frequency base, scaling (linear, YaRN) and Llama 3
 * frequency factors. */
void bendi_rope_table (float                   *cos_out,
                       float                   *sin_out,
                       const BendiModelConfig  *config,
                       const float             *freq_factors,
                       gint64                   pos);

/* Rotates the first n_rot dimensions of one head in place. */
void bendi_rope_apply (float         *head,
                       const float   *cos_table,
                       const float   *sin_table,
                       gint64         n_rot,
                       BendiRopeType  type);

/* out = silu (gate) · up, element-wise. */
void bendi_swiglu (float       *out,
                   const float *gate,
                   const float *up,
                   gint64       n);

/* x = softmax (x), in place; returns nothing, stable for large inputs. */
void bendi_softmax (float *x,
                    gint64 n);

/* out += x */
void bendi_add (float       *out,
                const float *x,
                gint64       n);

G_END_DECLS
