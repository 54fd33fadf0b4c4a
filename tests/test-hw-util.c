/* SPDX-License-Identifier: MIT */
/* Helpers for the hw tests: sparse model files of realistic sizes, described machines. */
#include "test-hw-util.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "gguf-builder.h"

#define ALIGNMENT 32

typedef struct {
  char            *name;
  BendiTensorType  type;
  guint32          n_dims;
  guint64          ne[3];
} TensorSpec;

static guint64
tensor_bytes (const TensorSpec *t)
{
  gsize row_bytes = 0;

  g_assert_true (bendi_tensor_type_row_bytes (t->type, (gint64) t->ne[0], &row_bytes));
  return (guint64) row_bytes * (t->n_dims > 1 ? t->ne[1] : 1) * (t->n_dims > 2 ? t->ne[2] : 1);
}

static void
add_tensor (GArray          *tensors,
            const char      *name,
            BendiTensorType  type,
            guint64          ne0,
            guint64          ne1,
            guint64          ne2)
{
  TensorSpec t = { g_strdup (name), type, ne2 > 0 ? 3 : ne1 > 0 ? 2 : 1, { ne0, ne1, ne2 } };

  g_array_append_val (tensors, t);
}

static void
add_layer (GArray            *tensors,
           const HwTestModel *m,
           gint64             il)
{
  guint64 head_dim = (guint64) (m->n_embd / m->n_head);
  guint64 q_dim = (guint64) m->n_head * head_dim;
  guint64 kv_dim = (guint64) m->n_head_kv * head_dim;
  guint64 e = (guint64) m->n_embd;
  guint64 f = (guint64) m->n_ff;
  char name[64];

#define NAME(suffix) (g_snprintf (name, sizeof name, "blk.%" G_GINT64_FORMAT "." suffix, il), name)
  add_tensor (tensors, NAME ("attn_norm.weight"), BENDI_TENSOR_TYPE_F32, e, 0, 0);
  add_tensor (tensors, NAME ("attn_q.weight"), m->type, e, q_dim, 0);
  add_tensor (tensors, NAME ("attn_k.weight"), m->type, e, kv_dim, 0);
  add_tensor (tensors, NAME ("attn_v.weight"), m->type, e, kv_dim, 0);
  add_tensor (tensors, NAME ("attn_output.weight"), m->type, q_dim, e, 0);
  add_tensor (tensors, NAME ("ffn_norm.weight"), BENDI_TENSOR_TYPE_F32, e, 0, 0);
  if (m->n_expert > 0)
    {
      guint64 x = (guint64) m->n_expert;

      add_tensor (tensors, NAME ("ffn_gate_inp.weight"), BENDI_TENSOR_TYPE_F32, e, x, 0);
      add_tensor (tensors, NAME ("ffn_gate_exps.weight"), m->type, e, f, x);
      add_tensor (tensors, NAME ("ffn_up_exps.weight"), m->type, e, f, x);
      add_tensor (tensors, NAME ("ffn_down_exps.weight"), m->type, f, e, x);
    }
  else
    {
      add_tensor (tensors, NAME ("ffn_gate.weight"), m->type, e, f, 0);
      add_tensor (tensors, NAME ("ffn_up.weight"), m->type, e, f, 0);
      add_tensor (tensors, NAME ("ffn_down.weight"), m->type, f, e, 0);
    }
#undef NAME
}

static void
add_shared (GArray            *tensors,
            const HwTestModel *m)
{
  add_tensor (tensors, "token_embd.weight", m->type, (guint64) m->n_embd, (guint64) m->n_vocab, 0);
  add_tensor (tensors, "output_norm.weight", BENDI_TENSOR_TYPE_F32, (guint64) m->n_embd, 0, 0);
  if (!m->tied)
    add_tensor (tensors, "output.weight", m->type, (guint64) m->n_embd, (guint64) m->n_vocab, 0);
}

static void
clear_tensor_spec (gpointer data)
{
  g_free (((TensorSpec *) data)->name);
}

static GArray *
tensor_specs (const HwTestModel *m)
{
  GArray *tensors = g_array_new (FALSE, FALSE, sizeof (TensorSpec));

  g_array_set_clear_func (tensors, clear_tensor_spec);
  add_shared (tensors, m);
  for (gint64 il = 0; il < m->n_layer; il++)
    add_layer (tensors, m, il);
  return tensors;
}

guint64
hw_test_layer_bytes (const HwTestModel *m)
{
  g_autoptr (GArray) tensors = g_array_new (FALSE, FALSE, sizeof (TensorSpec));
  guint64 total = 0;

  g_array_set_clear_func (tensors, clear_tensor_spec);
  add_layer (tensors, m, 0);
  for (guint i = 0; i < tensors->len; i++)
    total += tensor_bytes (&g_array_index (tensors, TensorSpec, i));
  return total;
}

guint64
hw_test_shared_bytes (const HwTestModel *m)
{
  g_autoptr (GArray) tensors = g_array_new (FALSE, FALSE, sizeof (TensorSpec));
  guint64 total = 0;

  g_array_set_clear_func (tensors, clear_tensor_spec);
  add_shared (tensors, m);
  for (guint i = 0; i < tensors->len; i++)
    total += tensor_bytes (&g_array_index (tensors, TensorSpec, i));
  return total;
}

char *
hw_test_write_model (const char        *dir,
                     const char        *name,
                     const HwTestModel *m)
{
  g_autoptr (GArray) tensors = tensor_specs (m);
  g_autoptr (GByteArray) kvs = g_byte_array_new ();
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;
  guint64 n_kv = 0, offset = 0;
  int fd;

#define KV_U32(suffix, value) \
  G_STMT_START { \
    g_autofree char *key = g_strdup_printf ("%s." suffix, m->arch); \
    gguf_put_kv_u32 (kvs, key, (guint32) (value)); \
    n_kv++; \
  } G_STMT_END
  gguf_put_kv_string (kvs, "general.architecture", m->arch);
  n_kv++;
  if (m->file_type >= 0)
    {
      gguf_put_kv_u32 (kvs, "general.file_type", (guint32) m->file_type);
      n_kv++;
    }
  KV_U32 ("embedding_length", m->n_embd);
  KV_U32 ("block_count", m->n_layer);
  KV_U32 ("feed_forward_length", m->n_ff);
  KV_U32 ("attention.head_count", m->n_head);
  KV_U32 ("attention.head_count_kv", m->n_head_kv);
  KV_U32 ("context_length", m->n_ctx_train);
  if (m->n_expert > 0)
    {
      KV_U32 ("expert_count", m->n_expert);
      KV_U32 ("expert_used_count", m->n_expert_used);
    }
#undef KV_U32

  gguf_put_header (out, 3, tensors->len, n_kv);
  gguf_put_bytes (out, kvs->data, kvs->len);
  for (guint i = 0; i < tensors->len; i++)
    {
      const TensorSpec *t = &g_array_index (tensors, TensorSpec, i);

      gguf_put_tensor_info (out, t->name, t->n_dims, t->ne, t->type, offset);
      offset = (offset + tensor_bytes (t) + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }
  gguf_put_padding (out, ALIGNMENT);

  g_file_set_contents (path, (const char *) out->data, out->len, &error);
  g_assert_no_error (error);
  /* The data section as a hole: nothing reads it. */
  fd = g_open (path, O_WRONLY, 0);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, (off_t) (out->len + offset)), ==, 0);
  g_assert_cmpint (close (fd), ==, 0);
  return g_steal_pointer (&path);
}

BendiHwInfo *
hw_test_machine (guint64 ram_total,
                 guint64 ram_available)
{
  BendiHwInfo *hw = bendi_hw_info_new ();

  hw->cpu_model = g_strdup ("Test CPU");
  hw->logical_cores = 8;
  hw->physical_cores = 8;
  hw->ram_physical_bytes = ram_total;
  hw->ram_total_bytes = ram_total;
  hw->ram_available_bytes = ram_available;
  return hw;
}

BendiHwGpu *
hw_test_add_gpu (BendiHwInfo       *hw,
                 const char        *name,
                 BendiVkDeviceType  type,
                 guint64            vram,
                 guint64            vram_free,
                 gboolean           uma)
{
  BendiHwGpu *gpu = bendi_hw_gpu_new ();

  gpu->index = hw->gpus->len;
  gpu->name = g_strdup (name);
  gpu->vendor = g_strdup ("Test");
  gpu->type = type;
  gpu->driver = g_strdup ("test driver");
  gpu->vram_bytes = vram;
  gpu->vram_free_bytes = vram_free;
  gpu->has_memory_budget = TRUE;
  gpu->uma = uma;
  gpu->usable = TRUE;
  gpu->features = g_strdup ("");
  gpu->cache_key = g_strdup_printf ("test:%u", gpu->index);
  bendi_hw_info_add_gpu (hw, gpu);
  return gpu;
}
