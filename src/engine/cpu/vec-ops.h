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

/* bendi_vec_attend_heads () with llama.cpp's arithmetic for a batch of
 * fewer than 64 queries (ggml's flash_attn_ext on the CPU, one query at a
 * time): the query rounded to half precision, each score summed as ggml's
 * vec_dot_f16 sums it on this processor, an online softmax with one expf ()
 * per position, the weighted values summed in half precision, the same bits
 * as llama.cpp's; errors of a few parts in ten thousand, those of half
 * precision. Greedy decoding agrees with llama.cpp's only if every token's
 * attention does: with single-precision sums here, the logits of
 * stories260K differed from llama.cpp's by up to 5e-3, and 27 of 72
 * greedy continuations (12 quantisations, 6 prompts, 48 tokens) parted
 * from llama.cpp's; with these sums 13 (and 10 once RoPE and the float
 * products round as llama.cpp's do: the rest are 8-bit activations rounded
 * the other way after a difference in the last bit of a sum). Not
 * reproduced: llama.cpp with several threads splits one query's positions
 * among them once its cache view reaches 512 positions, and its result then
 * depends on its thread count. @scores is scratch for @n_heads · @n_pos
 * floats. */
void  bendi_vec_attend_heads_half (float           *out,
                                   const float     *q,
                                   int              n_heads,
                                   const BendiFp16 *keys,
                                   const BendiFp16 *values,
                                   gint64           stride,
                                   gint64           n_pos,
                                   gint64           head_dim,
                                   float            scale,
                                   float           *scores);

/* Whether llama.cpp's CPU attention would take a batch of @n_tokens queries
 * of heads @head_dim wide one query at a time, with the arithmetic of
 * bendi_vec_attend_heads_half (): fewer than 64 queries, or heads that are
 * not a whole number of this processor's vectors. Larger batches it takes
 * in tiles with single-precision sums, as bendi_vec_attend_heads () sums. */
gboolean bendi_vec_attention_in_half (gint64 n_tokens,
                                      gint64 head_dim);

G_END_DECLS
