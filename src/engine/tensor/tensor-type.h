/* SPDX-License-Identifier: MIT */
/* Tensor element types, numbered as ggml and GGUF number them, with their block layouts. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The numeric values are part of the GGUF format: never renumber. Gaps are
 * types that ggml removed; a file that uses one is refused as unknown. */
typedef enum {
  BENDI_TENSOR_TYPE_F32     = 0,
  BENDI_TENSOR_TYPE_F16     = 1,
  BENDI_TENSOR_TYPE_Q4_0    = 2,
  BENDI_TENSOR_TYPE_Q4_1    = 3,
  BENDI_TENSOR_TYPE_Q5_0    = 6,
  BENDI_TENSOR_TYPE_Q5_1    = 7,
  BENDI_TENSOR_TYPE_Q8_0    = 8,
  BENDI_TENSOR_TYPE_Q8_1    = 9,
  BENDI_TENSOR_TYPE_Q2_K    = 10,
  BENDI_TENSOR_TYPE_Q3_K    = 11,
  BENDI_TENSOR_TYPE_Q4_K    = 12,
  BENDI_TENSOR_TYPE_Q5_K    = 13,
  BENDI_TENSOR_TYPE_Q6_K    = 14,
  BENDI_TENSOR_TYPE_Q8_K    = 15,
  BENDI_TENSOR_TYPE_IQ2_XXS = 16,
  BENDI_TENSOR_TYPE_IQ2_XS  = 17,
  BENDI_TENSOR_TYPE_IQ3_XXS = 18,
  BENDI_TENSOR_TYPE_IQ1_S   = 19,
  BENDI_TENSOR_TYPE_IQ4_NL  = 20,
  BENDI_TENSOR_TYPE_IQ3_S   = 21,
  BENDI_TENSOR_TYPE_IQ2_S   = 22,
  BENDI_TENSOR_TYPE_IQ4_XS  = 23,
  BENDI_TENSOR_TYPE_I8      = 24,
  BENDI_TENSOR_TYPE_I16     = 25,
  BENDI_TENSOR_TYPE_I32     = 26,
  BENDI_TENSOR_TYPE_I64     = 27,
  BENDI_TENSOR_TYPE_F64     = 28,
  BENDI_TENSOR_TYPE_IQ1_M   = 29,
  BENDI_TENSOR_TYPE_BF16    = 30,
  BENDI_TENSOR_TYPE_TQ1_0   = 34,
  BENDI_TENSOR_TYPE_TQ2_0   = 35,
  BENDI_TENSOR_TYPE_MXFP4   = 39,
  BENDI_TENSOR_TYPE_COUNT   = 40,
} BendiTensorType;

typedef struct {
  const char *name;        /* "Q4_0", as llama.cpp prints it */
  guint32     block_size;  /* elements per block */
  guint32     type_size;   /* bytes per block */
  gboolean    supported;   /* the engine can dequantise and compute with it */
} BendiTensorTypeInfo;

/* NULL for a number that names no type (including removed ones). */
const BendiTensorTypeInfo *bendi_tensor_type_info (guint32 type);

/* The type's name, or "unknown" for a number that names none. */
const char *bendi_tensor_type_name (guint32 type);

/* Looks a type up by name, case-insensitively ("q4_0", "Q4_K"). FALSE if none. */
gboolean bendi_tensor_type_from_name (const char      *name,
                                      BendiTensorType *out_type);

gboolean bendi_tensor_type_is_supported (guint32 type);

/* Bytes taken by @n_elements elements of @type laid out in one row. Fails
 * (returns FALSE) when @n_elements is not a whole number of blocks, is
 * negative, or the size overflows. */
gboolean bendi_tensor_type_row_bytes (BendiTensorType type,
                                      gint64          n_elements,
                                      gsize          *out_bytes);

G_END_DECLS
