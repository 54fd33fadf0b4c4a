/* SPDX-License-Identifier: MIT */
/* Transformer ops on the GPU: each records its dispatches on a recorder, to run with the others when it is submitted.
 *
 * Activations are F32 buffers holding one row per token; a stride is the
 * number of floats from one token's row to the next (at least the row's
 * length). Token ids and positions are int32 buffers, one per token, that
 * the host may rewrite before every replay of a recording. KV caches are F16
 * rows of kv_dim (n_head_kv · head_dim) values, one per position.
 *
 * Ops check their arguments; a wrong one fails the recording (see
 * bendi_vk_recorder_end ()), and the op returns FALSE. */
#pragma once

#include <glib.h>

#include "vulkan/vk-memory.h"
#include "vulkan/vk-recorder.h"

G_BEGIN_DECLS

/* Up to this many tokens, matrix products use the matrix × vector shaders
 * (one pass over the weights); past it, the tiled matrix × matrix one. */
#define BENDI_VK_MATVEC_MAX_TOKENS 8

/* y[t] = W · x[t] (or y[t] += W · x[t] when @accumulate: a fused residual
 * add) for @n_tokens tokens. x rows hold n_cols floats, y rows n_rows.
 * Where the device runs the int8 matrix × vector variants
 * (bendi_vk_pipeline_uses_int8 ()), a dispatch before the product
 * quantises x (normed, with a norm) into the recorder's scratch buffer. */
gboolean bendi_vk_op_matmul (BendiVkRecorder     *rec,
                             const BendiVkTensor *weights,
                             BendiVkBuffer       *x,
                             gint64               x_stride,
                             BendiVkBuffer       *y,
                             gint64               y_stride,
                             gint64               n_tokens,
                             gboolean             accumulate);

/* What a matrix product does besides y = W · x, each step a dispatch
 * saved (all zero: nothing). */
typedef struct {
  gboolean       accumulate;      /* y += W · x */
  /* The weight rows are (gate, up) pairs: y gets n_rows / 2 values per
   * token, silu (gate) · up. Not with accumulate, y_offset or partials. */
  gboolean       glu;
  gint64         y_offset;        /* floats into each token's y row where the outputs go */
  /* y's token t is x's token x_first_token + t (the norm's too): the last
   * token of a prompt alone. Only with the matrix × vector shaders. */
  gint64         x_first_token;
  BendiVkBuffer *bias;            /* y += bias[y_offset + row]: NULL for none */
  /* x · norm_weight / sqrt (mean (x²) + eps) is multiplied instead of x,
   * the sum of x² being the n_partials values per token (partial_stride
   * apart) in norm_partials that an earlier product wrote: only where
   * bendi_vk_matmul_can_norm (). */
  BendiVkBuffer *norm_weight;
  BendiVkBuffer *norm_partials;
  gint64         n_partials;
  float          eps;
  /* Partial sums of the new y² (accumulate only) for a later norm, from
   * slot 0 on, bendi_vk_matmul_n_partials () of them per token. */
  BendiVkBuffer *partials_out;
  gint64         partial_stride;  /* floats between tokens, in and out */
} BendiVkMatmulOptions;

gboolean bendi_vk_op_matmul_ex (BendiVkRecorder            *rec,
                                const BendiVkTensor        *weights,
                                BendiVkBuffer              *x,
                                gint64                      x_stride,
                                BendiVkBuffer              *y,
                                gint64                      y_stride,
                                gint64                      n_tokens,
                                const BendiVkMatmulOptions *options);

/* Whether a product of @n_tokens tokens runs the matrix × vector shaders,
 * which norm their input and write partial sums; the tiled kernel (prompts
 * on GPUs) does neither, and the input is normed by a dispatch of its own. */
gboolean bendi_vk_matmul_can_norm   (BendiVkRecorder     *rec,
                                     gint64               n_tokens);
/* The partial sums per token a product with partials_out writes. */
gint64   bendi_vk_matmul_n_partials (BendiVkRecorder     *rec,
                                     const BendiVkTensor *weights);
/* Whether a product on @device of @type weights @n_cols wide, of @n_tokens
 * tokens, reads token @token's activations quantised to 8 bits, as the CPU
 * path does: each block of 32 scaled by max |x| / 127 and rounded to even.
 * The CPU devices' Q4_0 generation kernel does (rows of whole 256-element
 * octets, passes of one or two tokens); every other product reads floats. */
gboolean bendi_vk_matmul_quantizes_x (BendiVkDevice       *device,
                                      BendiTensorType      type,
                                      gint64               n_cols,
                                      gint64               n_tokens,
                                      gint64               token);

/* out[t] = row tokens[t] of @weights, as floats: the embedding lookup. */
gboolean bendi_vk_op_get_rows (BendiVkRecorder     *rec,
                               const BendiVkTensor *weights,
                               BendiVkBuffer       *tokens,
                               gint64               n_tokens,
                               BendiVkBuffer       *out,
                               gint64               out_stride);

/* RMS norm of rows of @n floats, times @weight (NULL: no weight). Each
 * token holds @rows_per_token consecutive rows: 1 for the layer norms,
 * n_head for the per-head Q/K norms (the weight then has @n values shared
 * by all heads). @out may be @x. */
gboolean bendi_vk_op_rms_norm (BendiVkRecorder *rec,
                               BendiVkBuffer   *x,
                               gint64           x_stride,
                               BendiVkBuffer   *weight,
                               BendiVkBuffer   *out,
                               gint64           out_stride,
                               gint64           n,
                               gint64           rows_per_token,
                               gint64           n_tokens,
                               float            eps);

typedef enum {
  BENDI_VK_ROPE_SCALING_NONE,
  BENDI_VK_ROPE_SCALING_LINEAR,
  BENDI_VK_ROPE_SCALING_YARN,
} BendiVkRopeScaling;

/* RoPE's hyper-parameters, as the model config holds them. */
typedef struct {
  gint64              n_rot;
  gboolean            neox;            /* halves rather than adjacent pairs */
  float               freq_base;
  BendiVkRopeScaling  scaling;
  float               freq_scale;      /* 1 / scaling factor */
  gint64              n_ctx_orig;      /* YaRN */
  float               ext_factor;
  float               attn_factor;
  float               beta_fast;
  float               beta_slow;
  const float        *freq_factors;    /* Llama 3.1: n_rot / 2 of them, or NULL */
} BendiVkRopeParams;

/* The per-pair frequencies on the device, computed once per model. */
typedef struct _BendiVkRope BendiVkRope;

BendiVkRope *bendi_vk_rope_new  (BendiVkDevice           *device,
                                 const BendiVkRopeParams *params,
                                 GError                 **error) G_GNUC_WARN_UNUSED_RESULT;
void         bendi_vk_rope_free (BendiVkRope             *self);

/* Rotates the first n_rot dimensions of @n_heads heads of @head_dim floats
 * in each token's row of @x, in place, at the token's position. */
gboolean bendi_vk_op_rope (BendiVkRecorder   *rec,
                           const BendiVkRope *rope,
                           BendiVkBuffer     *x,
                           gint64             x_stride,
                           gint64             n_heads,
                           gint64             head_dim,
                           BendiVkBuffer     *positions,
                           gint64             n_tokens);

/* out = silu (gate) · up over @n values per token. */
gboolean bendi_vk_op_swiglu (BendiVkRecorder *rec,
                             BendiVkBuffer   *gate,
                             gint64           gate_stride,
                             BendiVkBuffer   *up,
                             gint64           up_stride,
                             BendiVkBuffer   *out,
                             gint64           out_stride,
                             gint64           n,
                             gint64           n_tokens);

/* Reads the first @bytes of @buffer (a multiple of 16), each word once,
 * as fast as the device can, adding their sum (modulo 2^32, as 32-bit
 * words) to the first word of @out: the memory bandwidth test's op. */
gboolean bendi_vk_op_read (BendiVkRecorder *rec,
                           BendiVkBuffer   *buffer,
                           gsize            bytes,
                           BendiVkBuffer   *out);

/* out = a + b over @n values per token; @out may be @a or @b. */
gboolean bendi_vk_op_add (BendiVkRecorder *rec,
                          BendiVkBuffer   *a,
                          gint64           a_stride,
                          BendiVkBuffer   *b,
                          gint64           b_stride,
                          BendiVkBuffer   *out,
                          gint64           out_stride,
                          gint64           n,
                          gint64           n_tokens);

/* x[t] += bias for every token (@n values). */
gboolean bendi_vk_op_add_bias (BendiVkRecorder *rec,
                               BendiVkBuffer   *x,
                               gint64           x_stride,
                               BendiVkBuffer   *bias,
                               gint64           n,
                               gint64           n_tokens);

/* The shape of attention, shared by the KV cache and attention ops. */
typedef struct {
  gint64 n_head;
  gint64 n_head_kv;   /* divides n_head */
  gint64 head_dim;    /* even, at most 256 */
  gint64 n_ctx;       /* rows of the KV cache */
  float  scale;       /* usually 1 / sqrt (head_dim) */
} BendiVkAttentionShape;

/* Bytes of one F16 KV cache (keys or values) of @shape. */
gsize bendi_vk_kv_cache_bytes (const BendiVkAttentionShape *shape);

/* Stores each token's keys and values (n_head_kv · head_dim floats) in the
 * caches at its position. */
gboolean bendi_vk_op_kv_write (BendiVkRecorder             *rec,
                               const BendiVkAttentionShape *shape,
                               BendiVkBuffer               *k,
                               gint64                       k_stride,
                               BendiVkBuffer               *v,
                               gint64                       v_stride,
                               BendiVkBuffer               *k_cache,
                               BendiVkBuffer               *v_cache,
                               BendiVkBuffer               *positions,
                               gint64                       n_tokens);

/* RoPE and the cache write fused, for one dispatch instead of three:
 * rotates each token's n_head query heads in place, stores its n_head_kv
 * key heads rotated and its values in the caches at its position. Q, K and
 * V may be the same buffer (a fused QKV projection's output), each at its
 * own offset (in floats) within a token's row. */
gboolean bendi_vk_op_rope_kv_write (BendiVkRecorder             *rec,
                                    const BendiVkRope           *rope,
                                    const BendiVkAttentionShape *shape,
                                    BendiVkBuffer               *q,
                                    gint64                       q_stride,
                                    gint64                       q_offset,
                                    BendiVkBuffer               *k,
                                    gint64                       k_stride,
                                    gint64                       k_offset,
                                    BendiVkBuffer               *v,
                                    gint64                       v_stride,
                                    gint64                       v_offset,
                                    BendiVkBuffer               *k_cache,
                                    BendiVkBuffer               *v_cache,
                                    BendiVkBuffer               *positions,
                                    gint64                       n_tokens);

/* What happens to Q and K between their projection and attention. */
typedef struct {
  gint64         n_rot;
  gboolean       neox;
  BendiVkBuffer *q_norm;   /* Qwen3: head_dim weights of a per-head RMS norm, or NULL */
  BendiVkBuffer *k_norm;
  float          eps;
} BendiVkQkvPrepParams;

/* For each token's Q|K|V row of @qkv (n_head query heads, then n_head_kv
 * key and n_head_kv value heads): per-head norms of queries and keys,
 * RoPE with the (cos, sin) pairs of @rope_table (n_rot / 2 per token, as
 * bendi_rope_table () computes them), queries rotated in place, keys and
 * values stored in the F16 caches at the token's position. */
gboolean bendi_vk_op_qkv_prep (BendiVkRecorder             *rec,
                               const BendiVkAttentionShape *shape,
                               const BendiVkQkvPrepParams  *params,
                               BendiVkBuffer               *qkv,
                               gint64                       qkv_stride,
                               BendiVkBuffer               *rope_table,
                               BendiVkBuffer               *k_cache,
                               BendiVkBuffer               *v_cache,
                               BendiVkBuffer               *positions,
                               gint64                       n_tokens);

/* Bytes of the scratch buffer split attention needs. */
gsize bendi_vk_attention_scratch_bytes (const BendiVkAttentionShape *shape,
                                        gint64                       n_tokens,
                                        gint64                       n_splits);

/* Causal attention of each token's n_head query heads over the cached keys
 * and values of positions 0 … its own, into @out (n_head · head_dim floats
 * per token). @n_splits > 1 divides each token's keys among that many
 * workgroups and merges them after (for long contexts), through @scratch
 * (bendi_vk_attention_scratch_bytes); 1 needs no scratch. */
gboolean bendi_vk_op_attention (BendiVkRecorder             *rec,
                                const BendiVkAttentionShape *shape,
                                BendiVkBuffer               *q,
                                gint64                       q_stride,
                                BendiVkBuffer               *k_cache,
                                BendiVkBuffer               *v_cache,
                                BendiVkBuffer               *positions,
                                BendiVkBuffer               *out,
                                gint64                       out_stride,
                                gint64                       n_tokens,
                                gint64                       n_splits,
                                BendiVkBuffer               *scratch);

/* x = softmax (x) over @n values of each of @n_rows rows, in place. */
gboolean bendi_vk_op_softmax (BendiVkRecorder *rec,
                              BendiVkBuffer   *x,
                              gint64           stride,
                              gint64           n,
                              gint64           n_rows);

/* out[r] = the index of the largest of the @n values of row r (the first
 * on ties), as int32. */
gboolean bendi_vk_op_argmax (BendiVkRecorder *rec,
                             BendiVkBuffer   *x,
                             gint64           stride,
                             gint64           n,
                             gint64           n_rows,
                             BendiVkBuffer   *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiVkRope, bendi_vk_rope_free)

G_END_DECLS
