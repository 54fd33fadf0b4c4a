/* SPDX-License-Identifier: MIT */
/* Dispatch from a tensor type to its row converters. */
#include "tensor/quant.h"

#include "tensor/quant-private.h"

typedef struct {
  BendiDequantizeFunc dequantize;
  BendiQuantizeFunc   quantize;
} QuantFuncs;

#define QUANT_FUNCS(name) { bendi_dequantize_##name, bendi_quantize_##name }

static const QuantFuncs quant_funcs[BENDI_TENSOR_TYPE_COUNT] = {
  [BENDI_TENSOR_TYPE_F32]    = QUANT_FUNCS (f32),
  [BENDI_TENSOR_TYPE_F16]    = QUANT_FUNCS (f16),
  [BENDI_TENSOR_TYPE_BF16]   = QUANT_FUNCS (bf16),
  [BENDI_TENSOR_TYPE_Q4_0]   = QUANT_FUNCS (q4_0),
  [BENDI_TENSOR_TYPE_Q4_1]   = QUANT_FUNCS (q4_1),
  [BENDI_TENSOR_TYPE_Q5_0]   = QUANT_FUNCS (q5_0),
  [BENDI_TENSOR_TYPE_Q5_1]   = QUANT_FUNCS (q5_1),
  [BENDI_TENSOR_TYPE_Q8_0]   = QUANT_FUNCS (q8_0),
  [BENDI_TENSOR_TYPE_Q8_1]   = QUANT_FUNCS (q8_1),
  [BENDI_TENSOR_TYPE_Q2_K]   = QUANT_FUNCS (q2_k),
  [BENDI_TENSOR_TYPE_Q3_K]   = QUANT_FUNCS (q3_k),
  [BENDI_TENSOR_TYPE_Q4_K]   = QUANT_FUNCS (q4_k),
  [BENDI_TENSOR_TYPE_Q5_K]   = QUANT_FUNCS (q5_k),
  [BENDI_TENSOR_TYPE_Q6_K]   = QUANT_FUNCS (q6_k),
  [BENDI_TENSOR_TYPE_Q8_K]   = QUANT_FUNCS (q8_k),
  [BENDI_TENSOR_TYPE_IQ4_NL] = QUANT_FUNCS (iq4_nl),
  [BENDI_TENSOR_TYPE_IQ4_XS] = QUANT_FUNCS (iq4_xs),
};

static const QuantFuncs *
lookup (BendiTensorType type)
{
  if ((guint) type >= G_N_ELEMENTS (quant_funcs))
    return NULL;
  return &quant_funcs[type];
}

gboolean
bendi_quant_can_dequantize (BendiTensorType type)
{
  const QuantFuncs *funcs = lookup (type);

  return funcs != NULL && funcs->dequantize != NULL;
}

gboolean
bendi_quant_can_quantize (BendiTensorType type)
{
  const QuantFuncs *funcs = lookup (type);

  return funcs != NULL && funcs->quantize != NULL;
}

/* The number of blocks in @n elements of @type, or -1 when @n is not a
 * whole number of them: a caller's mistake, not bad input. */
static gint64
count_blocks (BendiTensorType type,
              gint64          n)
{
  const BendiTensorTypeInfo *info = bendi_tensor_type_info (type);

  if (info == NULL || n < 0 || n % info->block_size != 0)
    return -1;
  return n / info->block_size;
}

void
bendi_dequantize_row (BendiTensorType  type,
                      const void      *src,
                      float           *dst,
                      gint64           n)
{
  gint64 n_blocks = count_blocks (type, n);

  g_return_if_fail (bendi_quant_can_dequantize (type));
  g_return_if_fail (n_blocks >= 0);
  g_return_if_fail (n == 0 || (src != NULL && dst != NULL));

  if (n_blocks > 0)
    quant_funcs[type].dequantize (src, dst, n_blocks);
}

gsize
bendi_quantize_row (BendiTensorType  type,
                    const float     *src,
                    void            *dst,
                    gint64           n)
{
  gint64 n_blocks = count_blocks (type, n);

  g_return_val_if_fail (bendi_quant_can_quantize (type), 0);
  g_return_val_if_fail (n_blocks >= 0, 0);
  g_return_val_if_fail (n == 0 || (src != NULL && dst != NULL), 0);

  if (n_blocks > 0)
    quant_funcs[type].quantize (src, dst, n_blocks);
  return (gsize) n_blocks * bendi_tensor_type_info (type)->type_size;
}
