/* SPDX-License-Identifier: MIT */
/* The table of tensor types: block sizes and byte sizes exactly as ggml lays them out. */
#include "tensor-type.h"

#include <string.h>

#define QK_K 256

static const BendiTensorTypeInfo type_infos[BENDI_TENSOR_TYPE_COUNT] = {
  [BENDI_TENSOR_TYPE_F32]     = { "F32",     1,    4,   TRUE  },
  [BENDI_TENSOR_TYPE_F16]     = { "F16",     1,    2,   TRUE  },
  [BENDI_TENSOR_TYPE_Q4_0]    = { "Q4_0",    32,   18,  TRUE  },
  [BENDI_TENSOR_TYPE_Q4_1]    = { "Q4_1",    32,   20,  TRUE  },
  [BENDI_TENSOR_TYPE_Q5_0]    = { "Q5_0",    32,   22,  TRUE  },
  [BENDI_TENSOR_TYPE_Q5_1]    = { "Q5_1",    32,   24,  TRUE  },
  [BENDI_TENSOR_TYPE_Q8_0]    = { "Q8_0",    32,   34,  TRUE  },
  [BENDI_TENSOR_TYPE_Q8_1]    = { "Q8_1",    32,   36,  FALSE },
  [BENDI_TENSOR_TYPE_Q2_K]    = { "Q2_K",    QK_K, 84,  TRUE  },
  [BENDI_TENSOR_TYPE_Q3_K]    = { "Q3_K",    QK_K, 110, TRUE  },
  [BENDI_TENSOR_TYPE_Q4_K]    = { "Q4_K",    QK_K, 144, TRUE  },
  [BENDI_TENSOR_TYPE_Q5_K]    = { "Q5_K",    QK_K, 176, TRUE  },
  [BENDI_TENSOR_TYPE_Q6_K]    = { "Q6_K",    QK_K, 210, TRUE  },
  [BENDI_TENSOR_TYPE_Q8_K]    = { "Q8_K",    QK_K, 292, FALSE },
  [BENDI_TENSOR_TYPE_IQ2_XXS] = { "IQ2_XXS", QK_K, 66,  FALSE },
  [BENDI_TENSOR_TYPE_IQ2_XS]  = { "IQ2_XS",  QK_K, 74,  FALSE },
  [BENDI_TENSOR_TYPE_IQ3_XXS] = { "IQ3_XXS", QK_K, 98,  FALSE },
  [BENDI_TENSOR_TYPE_IQ1_S]   = { "IQ1_S",   QK_K, 50,  FALSE },
  [BENDI_TENSOR_TYPE_IQ4_NL]  = { "IQ4_NL",  32,   18,  TRUE  },
  [BENDI_TENSOR_TYPE_IQ3_S]   = { "IQ3_S",   QK_K, 110, FALSE },
  [BENDI_TENSOR_TYPE_IQ2_S]   = { "IQ2_S",   QK_K, 82,  FALSE },
  [BENDI_TENSOR_TYPE_IQ4_XS]  = { "IQ4_XS",  QK_K, 136, TRUE  },
  [BENDI_TENSOR_TYPE_I8]      = { "I8",      1,    1,   FALSE },
  [BENDI_TENSOR_TYPE_I16]     = { "I16",     1,    2,   FALSE },
  [BENDI_TENSOR_TYPE_I32]     = { "I32",     1,    4,   FALSE },
  [BENDI_TENSOR_TYPE_I64]     = { "I64",     1,    8,   FALSE },
  [BENDI_TENSOR_TYPE_F64]     = { "F64",     1,    8,   FALSE },
  [BENDI_TENSOR_TYPE_IQ1_M]   = { "IQ1_M",   QK_K, 56,  FALSE },
  [BENDI_TENSOR_TYPE_BF16]    = { "BF16",    1,    2,   TRUE  },
  [BENDI_TENSOR_TYPE_TQ1_0]   = { "TQ1_0",   QK_K, 54,  FALSE },
  [BENDI_TENSOR_TYPE_TQ2_0]   = { "TQ2_0",   QK_K, 66,  FALSE },
  [BENDI_TENSOR_TYPE_MXFP4]   = { "MXFP4",   32,   17,  FALSE },
};

const BendiTensorTypeInfo *
bendi_tensor_type_info (guint32 type)
{
  if (type >= BENDI_TENSOR_TYPE_COUNT || type_infos[type].name == NULL)
    return NULL;
  return &type_infos[type];
}

const char *
bendi_tensor_type_name (guint32 type)
{
  const BendiTensorTypeInfo *info = bendi_tensor_type_info (type);

  return info != NULL ? info->name : "unknown";
}

gboolean
bendi_tensor_type_from_name (const char      *name,
                             BendiTensorType *out_type)
{
  g_return_val_if_fail (name != NULL, FALSE);

  for (guint32 type = 0; type < BENDI_TENSOR_TYPE_COUNT; type++)
    {
      if (type_infos[type].name != NULL &&
          g_ascii_strcasecmp (type_infos[type].name, name) == 0)
        {
          if (out_type != NULL)
            *out_type = (BendiTensorType) type;
          return TRUE;
        }
    }
  return FALSE;
}

gboolean
bendi_tensor_type_is_supported (guint32 type)
{
  const BendiTensorTypeInfo *info = bendi_tensor_type_info (type);

  return info != NULL && info->supported;
}

gboolean
bendi_tensor_type_row_bytes (BendiTensorType type,
                             gint64          n_elements,
                             gsize          *out_bytes)
{
  const BendiTensorTypeInfo *info = bendi_tensor_type_info (type);
  guint64 n_blocks;

  if (info == NULL || n_elements < 0 || n_elements % info->block_size != 0)
    return FALSE;
  n_blocks = (guint64) n_elements / info->block_size;
  if (n_blocks > G_MAXSIZE / info->type_size)
    return FALSE;
  *out_bytes = (gsize) n_blocks * info->type_size;
  return TRUE;
}
