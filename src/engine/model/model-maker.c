/* SPDX-License-Identifier: MIT */
/* The model maker: architecture metadata, a borrowed vocabulary and seeded random weights. */
#include "model/model-maker.h"

#include <math.h>
#include <string.h>

#include "engine-error.h"
#include "gguf/gguf-writer.h"
#include "tensor/quant.h"

typedef enum {
  FILL_MATRIX,     /* normal noise, scaled by 1/sqrt(n_cols) */
  FILL_NORM,       /* around 1 */
  FILL_BIAS,       /* small noise */
} FillKind;

typedef struct {
  const BendiModelMakerParams *params;
  GArray                      *kinds;    /* FillKind per tensor */
  GArray                      *shapes;   /* gint64[2] per tensor */
  GArray                      *types;    /* BendiTensorType per tensor */
} Maker;

/* A small fixed generator: every tensor gets its own stream from the seed
 * and its index, so files do not depend on the order of anything else. */
static guint64
mix (guint64 x)
{
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

static float
next_uniform (guint64 *state)
{
  *state = mix (*state);
  return (float) ((*state >> 40) + 0.5) / (float) (1ull << 24);
}

/* Normal deviates by Box–Muller. */
static float
next_normal (guint64 *state)
{
  float u1 = next_uniform (state);
  float u2 = next_uniform (state);

  return sqrtf (-2.0f * logf (u1)) * cosf (2.0f * (float) G_PI * u2);
}

static gboolean
fill_tensor (gsize     index,
             guint8   *buffer,
             gsize     n_bytes G_GNUC_UNUSED,
             gpointer  user_data,
             GError  **error G_GNUC_UNUSED)
{
  Maker *maker = user_data;
  FillKind kind = g_array_index (maker->kinds, FillKind, index);
  const gint64 *shape = &g_array_index (maker->shapes, gint64, 2 * index);
  BendiTensorType type = g_array_index (maker->types, BendiTensorType, index);
  gint64 n_cols = shape[0], n_rows = shape[1];
  guint64 state = mix (maker->params->seed ^ mix (index + 1));
  g_autofree float *row = g_new (float, n_cols);
  float scale = 1.0f / sqrtf ((float) n_cols);

  for (gint64 r = 0; r < n_rows; r++)
    {
      for (gint64 c = 0; c < n_cols; c++)
        {
          float z = next_normal (&state);

          row[c] = kind == FILL_MATRIX ? z * scale : kind == FILL_NORM ? 1.0f + 0.1f * z : 0.1f * z;
        }
      buffer += bendi_quantize_row (type, row, buffer, n_cols);
    }
  return TRUE;
}

static void
add_tensor (BendiGgufWriter *writer,
            Maker           *maker,
            const char      *name,
            BendiTensorType  type,
            gint64           n_cols,
            gint64           n_rows,
            FillKind         kind)
{
  gint64 ne[2] = { n_cols, n_rows };

  bendi_gguf_writer_add_tensor (writer, name, type, n_rows > 1 ? 2 : 1, ne, NULL);
  g_array_append_val (maker->kinds, kind);
  g_array_append_vals (maker->shapes, ne, 2);
  g_array_append_val (maker->types, type);
}

void
bendi_model_maker_params_init (BendiModelMakerParams *params)
{
  memset (params, 0, sizeof *params);
  params->arch = BENDI_ARCH_LLAMA;
  params->n_embd = 64;
  params->n_layer = 2;
  params->n_head = 4;
  params->n_head_kv = 2;
  params->n_ff = 128;
  params->type = BENDI_TENSOR_TYPE_F32;
  params->seed = 1;
}

static gboolean
check_params (const BendiModelMakerParams *p,
              gint64                       n_vocab,
              GError                     **error)
{
  const BendiTensorTypeInfo *info = bendi_tensor_type_info (p->type);

  if (p->n_embd < 1 || p->n_layer < 1 || p->n_head < 1 || p->n_head_kv < 1 || p->n_ff < 1 ||
      p->n_embd > (1 << 16) || p->n_layer > 1024 || p->n_ff > (1 << 18) || p->n_head > 1024)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_ARGUMENT,
                   "Model dimensions out of range");
      return FALSE;
    }
  if (p->n_embd % p->n_head != 0 || p->n_head % p->n_head_kv != 0 || (p->n_embd / p->n_head) % 2 != 0)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_ARGUMENT,
                   "The heads (%" G_GINT64_FORMAT ") must divide the embedding (%" G_GINT64_FORMAT
                   ") into even head sizes, and the KV heads (%" G_GINT64_FORMAT ") must divide the heads",
                   p->n_head, p->n_embd, p->n_head_kv);
      return FALSE;
    }
  if (info == NULL || !bendi_quant_can_quantize (p->type) || !info->supported)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_UNSUPPORTED,
                   "Cannot make weights of type %s", bendi_tensor_type_name (p->type));
      return FALSE;
    }
  if (p->n_embd % info->block_size != 0 || p->n_ff % info->block_size != 0)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_ARGUMENT,
                   "The embedding (%" G_GINT64_FORMAT ") and feed-forward (%" G_GINT64_FORMAT
                   ") sizes must be multiples of %s's block size, %u",
                   p->n_embd, p->n_ff, info->name, info->block_size);
      return FALSE;
    }
  if (n_vocab < 1)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_ARGUMENT,
                   "The vocabulary file has no tokenizer.ggml.tokens");
      return FALSE;
    }
  return TRUE;
}

gboolean
bendi_model_maker_write (const BendiModelMakerParams *p,
                         const BendiGguf             *vocab,
                         const char                  *path,
                         GError                     **error)
{
  g_autoptr (BendiGgufWriter) writer = bendi_gguf_writer_new ();
  const char *arch = bendi_arch_name (p->arch);
  const BendiGgufValue *tokens = bendi_gguf_find (vocab, "tokenizer.ggml.tokens");
  gint64 n_vocab = tokens != NULL && tokens->type == BENDI_GGUF_TYPE_ARRAY ? (gint64) tokens->arr.n : 0;
  gint64 head_dim = p->n_embd / MAX (p->n_head, 1);
  gint64 q_dim = p->n_head * head_dim;
  gint64 kv_dim = p->n_head_kv * head_dim;
  gboolean qwen = p->arch != BENDI_ARCH_LLAMA;
  Maker maker = { .params = p };
  gboolean ok;
  char key[128];

  if (!check_params (p, n_vocab, error))
    return FALSE;

#define KEY(suffix) (g_snprintf (key, sizeof key, "%s." suffix, arch), key)
  bendi_gguf_writer_add_string (writer, "general.architecture", arch);
  bendi_gguf_writer_add_string (writer, "general.name", "bendi synthetic model");
  bendi_gguf_writer_add_uint32 (writer, KEY ("context_length"), (guint32) (p->n_ctx_train > 0 ? p->n_ctx_train : 2048));
  bendi_gguf_writer_add_uint32 (writer, KEY ("embedding_length"), (guint32) p->n_embd);
  bendi_gguf_writer_add_uint32 (writer, KEY ("block_count"), (guint32) p->n_layer);
  bendi_gguf_writer_add_uint32 (writer, KEY ("feed_forward_length"), (guint32) p->n_ff);
  bendi_gguf_writer_add_uint32 (writer, KEY ("attention.head_count"), (guint32) p->n_head);
  bendi_gguf_writer_add_uint32 (writer, KEY ("attention.head_count_kv"), (guint32) p->n_head_kv);
  bendi_gguf_writer_add_float32 (writer, KEY ("attention.layer_norm_rms_epsilon"), qwen ? 1e-6f : 1e-5f);
  bendi_gguf_writer_add_float32 (writer, KEY ("rope.freq_base"), qwen ? 1000000.0f : 10000.0f);
#undef KEY
  for (gsize i = 0; i < bendi_gguf_get_n_kv (vocab); i++)
    if (g_str_has_prefix (bendi_gguf_get_key (vocab, i), "tokenizer."))
      bendi_gguf_writer_add_value (writer, bendi_gguf_get_key (vocab, i), bendi_gguf_get_value (vocab, i));

  maker.kinds = g_array_new (FALSE, FALSE, sizeof (FillKind));
  maker.shapes = g_array_new (FALSE, FALSE, sizeof (gint64));
  maker.types = g_array_new (FALSE, FALSE, sizeof (BendiTensorType));

  add_tensor (writer, &maker, "token_embd.weight", p->type, p->n_embd, n_vocab, FILL_MATRIX);
  for (gint64 il = 0; il < p->n_layer; il++)
    {
      char name[64];

#define NAME(suffix) (g_snprintf (name, sizeof name, "blk.%" G_GINT64_FORMAT "." suffix, il), name)
      add_tensor (writer, &maker, NAME ("attn_norm.weight"), BENDI_TENSOR_TYPE_F32, p->n_embd, 1, FILL_NORM);
      add_tensor (writer, &maker, NAME ("attn_q.weight"), p->type, p->n_embd, q_dim, FILL_MATRIX);
      add_tensor (writer, &maker, NAME ("attn_k.weight"), p->type, p->n_embd, kv_dim, FILL_MATRIX);
      add_tensor (writer, &maker, NAME ("attn_v.weight"), p->type, p->n_embd, kv_dim, FILL_MATRIX);
      if (p->arch == BENDI_ARCH_QWEN2)
        {
          add_tensor (writer, &maker, NAME ("attn_q.bias"), BENDI_TENSOR_TYPE_F32, q_dim, 1, FILL_BIAS);
          add_tensor (writer, &maker, NAME ("attn_k.bias"), BENDI_TENSOR_TYPE_F32, kv_dim, 1, FILL_BIAS);
          add_tensor (writer, &maker, NAME ("attn_v.bias"), BENDI_TENSOR_TYPE_F32, kv_dim, 1, FILL_BIAS);
        }
      if (p->arch == BENDI_ARCH_QWEN3)
        {
          add_tensor (writer, &maker, NAME ("attn_q_norm.weight"), BENDI_TENSOR_TYPE_F32, head_dim, 1, FILL_NORM);
          add_tensor (writer, &maker, NAME ("attn_k_norm.weight"), BENDI_TENSOR_TYPE_F32, head_dim, 1, FILL_NORM);
        }
      add_tensor (writer, &maker, NAME ("attn_output.weight"), p->type, q_dim, p->n_embd, FILL_MATRIX);
      add_tensor (writer, &maker, NAME ("ffn_norm.weight"), BENDI_TENSOR_TYPE_F32, p->n_embd, 1, FILL_NORM);
      add_tensor (writer, &maker, NAME ("ffn_gate.weight"), p->type, p->n_embd, p->n_ff, FILL_MATRIX);
      add_tensor (writer, &maker, NAME ("ffn_up.weight"), p->type, p->n_embd, p->n_ff, FILL_MATRIX);
      add_tensor (writer, &maker, NAME ("ffn_down.weight"), p->type, p->n_ff, p->n_embd, FILL_MATRIX);
#undef NAME
    }
  add_tensor (writer, &maker, "output_norm.weight", BENDI_TENSOR_TYPE_F32, p->n_embd, 1, FILL_NORM);
  if (!p->tied_output)
    add_tensor (writer, &maker, "output.weight", p->type, p->n_embd, n_vocab, FILL_MATRIX);

  ok = bendi_gguf_writer_write_file (writer, path, fill_tensor, &maker, error);
  g_array_unref (maker.kinds);
  g_array_unref (maker.shapes);
  g_array_unref (maker.types);
  return ok;
}
