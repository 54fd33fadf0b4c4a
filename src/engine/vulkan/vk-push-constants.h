/* SPDX-License-Identifier: MIT */
/* The push-constant block of every shader, mirrored field for field: the GLSL declarations in shaders/ must match. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* matvec.comp, matmul.comp: what the epilogue does, in flags */
#define BENDI_VK_MATMUL_ACCUMULATE  (1u << 0)  /* y += W · x */
#define BENDI_VK_MATMUL_GLU         (1u << 1)  /* rows are (gate, up) pairs: y = silu (gate) · up */
#define BENDI_VK_MATMUL_NORM        (1u << 2)  /* x is RMS-normed (times a weight) on the way in */
#define BENDI_VK_MATMUL_BIAS        (1u << 3)  /* y = W · x + bias */
#define BENDI_VK_MATMUL_PARTIALS    (1u << 4)  /* write partial sums of y² for the next NORM */

typedef struct {
  guint32 n_cols;
  guint32 n_rows;          /* of this chunk */
  guint32 row_bytes;
  guint32 first_row;       /* the chunk's first output row within a token's y row */
  guint32 n_tokens;
  guint32 x_stride;
  guint32 y_stride;
  guint32 flags;
  guint32 first_token;
  guint32 n_partials;      /* NORM: partial sums of x² per token */
  guint32 partial_stride;  /* floats from one token's partial sums to the next */
  guint32 partial_base;    /* PARTIALS: this dispatch's first slot */
  float   eps;             /* NORM */
  guint32 x_first_token;   /* x's (and the norm's) token of y's token 0 */
  guint32 interleave_lanes; /* bendi_vk_tensor_get_interleave_lanes () of W */
} BendiVkMatmulConstants;

/* quantize_q8.comp */
typedef struct {
  guint32 n_cols;
  guint32 n_tokens;
  guint32 x_stride;
  guint32 x_first_token;
  guint32 norm;
  guint32 n_partials;
  guint32 partial_stride;
  float   eps;
} BendiVkQuantizeConstants;

/* Words quantize_q8.comp writes per token and block of 32 activations. */
#define BENDI_VK_Q8_BLOCK_WORDS 12

/* get_rows.comp */
typedef struct {
  guint32 n_cols;
  guint32 n_rows;
  guint32 row_bytes;
  guint32 first_row;
  guint32 n_tokens;
  guint32 out_stride;
  guint32 interleave_lanes; /* bendi_vk_tensor_get_interleave_lanes () of W */
} BendiVkGetRowsConstants;

/* rms_norm.comp */
typedef struct {
  guint32 n;
  guint32 n_rows;
  guint32 rows_per_token;
  guint32 x_stride;
  guint32 out_stride;
  guint32 has_weight;
  float   eps;
} BendiVkRmsNormConstants;

/* rope.comp */
typedef struct {
  guint32 n_heads;
  guint32 head_dim;
  guint32 n_rot;
  guint32 token_stride;
  guint32 neox;
  float   mscale;
} BendiVkRopeConstants;

/* rope_kv.comp */
typedef struct {
  guint32 n_head;
  guint32 n_head_kv;
  guint32 head_dim;
  guint32 n_rot;
  guint32 neox;
  guint32 q_stride;
  guint32 q_offset;
  guint32 k_stride;
  guint32 k_offset;
  guint32 v_stride;
  guint32 v_offset;
  guint32 n_ctx;
  float   mscale;
} BendiVkRopeKvConstants;

/* swiglu.comp */
typedef struct {
  guint32 n;
  guint32 gate_stride;
  guint32 up_stride;
  guint32 out_stride;
} BendiVkSwigluConstants;

/* add.comp */
typedef struct {
  guint32 n;
  guint32 a_stride;
  guint32 b_stride;
  guint32 out_stride;
} BendiVkAddConstants;

/* kv_write.comp */
typedef struct {
  guint32 kv_dim;
  guint32 k_stride;
  guint32 v_stride;
  guint32 n_ctx;
} BendiVkKvWriteConstants;

/* qkv_prep.comp */
typedef struct {
  guint32 n_head;
  guint32 n_head_kv;
  guint32 head_dim;
  guint32 n_rot;
  guint32 neox;
  guint32 qkv_stride;      /* floats from one token's q|k|v row to the next */
  guint32 n_ctx;
  guint32 has_q_norm;
  guint32 has_k_norm;
  float   eps;
} BendiVkQkvPrepConstants;

/* attention.comp, with and without SPLIT */
typedef struct {
  guint32 n_head;
  guint32 n_head_kv;
  guint32 head_dim;
  guint32 q_stride;
  guint32 out_stride;
  guint32 n_ctx;
  guint32 n_splits;
  float   scale;
} BendiVkAttentionConstants;

/* attention_combine.comp */
typedef struct {
  guint32 n_head;
  guint32 head_dim;
  guint32 out_stride;
  guint32 n_splits;
} BendiVkCombineConstants;

/* read.comp */
typedef struct {
  guint32 n_vec4;
} BendiVkReadConstants;

/* softmax.comp, argmax.comp */
typedef struct {
  guint32 n;
  guint32 n_rows;
  guint32 stride;
} BendiVkRowConstants;

/* 128 bytes is the least every Vulkan device offers. */
_Static_assert (sizeof (BendiVkMatmulConstants) <= 128, "matmul push constants");
_Static_assert (sizeof (BendiVkQuantizeConstants) <= 128, "quantize_q8 push constants");
_Static_assert (sizeof (BendiVkGetRowsConstants) <= 128, "get_rows push constants");
_Static_assert (sizeof (BendiVkRmsNormConstants) <= 128, "rms_norm push constants");
_Static_assert (sizeof (BendiVkRopeConstants) <= 128, "rope push constants");
_Static_assert (sizeof (BendiVkRopeKvConstants) <= 128, "rope_kv push constants");
_Static_assert (sizeof (BendiVkSwigluConstants) <= 128, "swiglu push constants");
_Static_assert (sizeof (BendiVkAddConstants) <= 128, "add push constants");
_Static_assert (sizeof (BendiVkKvWriteConstants) <= 128, "kv_write push constants");
_Static_assert (sizeof (BendiVkQkvPrepConstants) <= 128, "qkv_prep push constants");
_Static_assert (sizeof (BendiVkAttentionConstants) <= 128, "attention push constants");
_Static_assert (sizeof (BendiVkCombineConstants) <= 128, "attention_combine push constants");
_Static_assert (sizeof (BendiVkRowConstants) <= 128, "softmax/argmax push constants");
_Static_assert (sizeof (BendiVkReadConstants) <= 128, "read push constants");

G_END_DECLS
