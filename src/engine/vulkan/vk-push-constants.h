/* SPDX-License-Identifier: MIT */
/* The push-constant block of every shader, mirrored field for field: the GLSL declarations in shaders/ must match. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* matvec.comp, matmul.comp */
typedef struct {
  guint32 n_cols;
  guint32 n_rows;
  guint32 row_bytes;
  guint32 first_row;
  guint32 n_tokens;
  guint32 x_stride;
  guint32 y_stride;
  guint32 accumulate;
  guint32 first_token;
} BendiVkMatmulConstants;

/* get_rows.comp */
typedef struct {
  guint32 n_cols;
  guint32 n_rows;
  guint32 row_bytes;
  guint32 first_row;
  guint32 n_tokens;
  guint32 out_stride;
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

/* softmax.comp, argmax.comp */
typedef struct {
  guint32 n;
  guint32 n_rows;
  guint32 stride;
} BendiVkRowConstants;

/* 128 bytes is the least every Vulkan device offers. */
_Static_assert (sizeof (BendiVkMatmulConstants) <= 128, "matmul push constants");
_Static_assert (sizeof (BendiVkGetRowsConstants) <= 128, "get_rows push constants");
_Static_assert (sizeof (BendiVkRmsNormConstants) <= 128, "rms_norm push constants");
_Static_assert (sizeof (BendiVkRopeConstants) <= 128, "rope push constants");
_Static_assert (sizeof (BendiVkRopeKvConstants) <= 128, "rope_kv push constants");
_Static_assert (sizeof (BendiVkSwigluConstants) <= 128, "swiglu push constants");
_Static_assert (sizeof (BendiVkAddConstants) <= 128, "add push constants");
_Static_assert (sizeof (BendiVkKvWriteConstants) <= 128, "kv_write push constants");
_Static_assert (sizeof (BendiVkAttentionConstants) <= 128, "attention push constants");
_Static_assert (sizeof (BendiVkCombineConstants) <= 128, "attention_combine push constants");
_Static_assert (sizeof (BendiVkRowConstants) <= 128, "softmax/argmax push constants");

G_END_DECLS
