/* SPDX-License-Identifier: MIT */
/* Scalar reference conversions between float rows and every supported tensor type. */
#pragma once

#include <glib.h>

#include "tensor/tensor-type.h"

G_BEGIN_DECLS

/* Converts @n elements (a whole number of blocks) of @type at @src to floats.
 * The reference: plain C, bit-exact with ggml's layouts and with the float
 * arithmetic of its reference dequantisers (d · sc · q − dmin · m, in that
 * order). A length that is not a whole number of blocks, or a type that
 * bendi_quant_can_dequantize () refuses, is a programming error: it is
 * reported with g_critical () and nothing is written. */
void  bendi_dequantize_row (BendiTensorType  type,
                            const void      *src,
                            float           *dst,
                            gint64           n);

/* Quantises @n floats (a whole number of blocks) into @dst, which must hold
 * the row's bytes (bendi_tensor_type_row_bytes). Returns the bytes written,
 * 0 on a programming error as above.
 * Works for every supported type, plus Q8_1 and Q8_K (activation types).
 * Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1 and Q8_K compute exactly what ggml's
 * reference quantisers compute (round to nearest), so files and activations
 * match llama.cpp's byte for byte. The K-quants and IQ4_NL/IQ4_XS search
 * each sub-block's scale (and min) for the least squared error instead; no
 * importance matrix is used. Non-finite input gives valid blocks of
 * unspecified content. */
gsize bendi_quantize_row   (BendiTensorType  type,
                            const float     *src,
                            void            *dst,
                            gint64           n);

/* Whether bendi_dequantize_row / bendi_quantize_row handle @type. */
gboolean bendi_quant_can_dequantize (BendiTensorType type);
gboolean bendi_quant_can_quantize   (BendiTensorType type);

G_END_DECLS
