/* SPDX-License-Identifier: MIT */
/* Rows of the float types: F32 copied, F16 and BF16 converted one element at a time. */
#include "tensor/quant-private.h"

#include <string.h>

void
bendi_dequantize_f32 (const void *src,
                      float      *dst,
                      gint64      n_blocks)
{
  memcpy (dst, src, (gsize) n_blocks * sizeof (float));
}

void
bendi_quantize_f32 (const float *src,
                    void        *dst,
                    gint64       n_blocks)
{
  memcpy (dst, src, (gsize) n_blocks * sizeof (float));
}

void
bendi_dequantize_f16 (const void *src,
                      float      *dst,
                      gint64      n_blocks)
{
  const BendiFp16 *x = src;

  for (gint64 i = 0; i < n_blocks; i++)
    dst[i] = bendi_quant_load_fp16 (x[i]);
}

void
bendi_quantize_f16 (const float *src,
                    void        *dst,
                    gint64       n_blocks)
{
  BendiFp16 *y = dst;

  for (gint64 i = 0; i < n_blocks; i++)
    y[i] = bendi_quant_store_fp16 (src[i]);
}

void
bendi_dequantize_bf16 (const void *src,
                       float      *dst,
                       gint64      n_blocks)
{
  const BendiBf16 *x = src;

  for (gint64 i = 0; i < n_blocks; i++)
    dst[i] = bendi_bf16_to_fp32 (GUINT16_FROM_LE (x[i]));
}

void
bendi_quantize_bf16 (const float *src,
                     void        *dst,
                     gint64       n_blocks)
{
  BendiBf16 *y = dst;

  for (gint64 i = 0; i < n_blocks; i++)
    y[i] = GUINT16_TO_LE (bendi_fp32_to_bf16 (src[i]));
}
