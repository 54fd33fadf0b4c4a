/* SPDX-License-Identifier: MIT */
/* Scalar reference conversions between float rows and every supported tensor type. */
#pragma once

#include <glib.h>

#include "tensor/tensor-type.h"

G_BEGIN_DECLS

/* Converts @n elements (a whole number of blocks) of @type at @src to floats.
 * The reference: plain C, one element at a time, bit-exact with ggml. */
void  bendi_dequantize_row (BendiTensorType  type,
                            const void      *src,
                            float           *dst,
                            gint64           n);

/* Quantises @n floats (a whole number of blocks) into @dst, which must hold
 * the row's bytes (bendi_tensor_type_row_bytes). Returns the bytes written.
 * Works for every supported type, plus Q8_1 and Q8_K (activation types). */
gsize bendi_quantize_row   (BendiTensorType  type,
                            const float     *src,
                            void            *dst,
                            gint64           n);

/* Whether bendi_dequantize_row / bendi_quantize_row handle @type. */
gboolean bendi_quant_can_dequantize (BendiTensorType type);
gboolean bendi_quant_can_quantize   (BendiTensorType type);

G_END_DECLS
