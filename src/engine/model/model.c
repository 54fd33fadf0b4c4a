/* SPDX-License-Identifier: MIT */
/* Loading a model: checks the metadata and every tensor's shape and type, then binds weights in place. */
#include "model/model.h"

#include <math.h>
#include <string.h>

#include "cpu/weight-arena.h"
#include "engine-error.h"
#include "tensor/quant.h"

struct _BendiModel {
  gatomicrefcount    ref_count;
  BendiGguf         *gguf;
  BendiTokenizer    *tokenizer;
  char              *arch_name;
  BendiModelConfig   config;
  BendiModelWeights  weights;
  GPtrArray         *owned;          /* float copies of vectors not stored as F32 */
  BendiWeightArena  *repacked;       /* matrices rewritten for the SIMD kernels */
  gsize              weights_bytes;
  gsize              bytes_per_token;
  gint64             n_params;
};

typedef struct {
  const char *name;
  BendiArch   arch;
  BendiRopeType rope_type;
} ArchInfo;

static const ArchInfo arch_infos[] = {
  { "llama", BENDI_ARCH_LLAMA, BENDI_ROPE_NORMAL },
  { "qwen2", BENDI_ARCH_QWEN2, BENDI_ROPE_NEOX },
  { "qwen3", BENDI_ARCH_QWEN3, BENDI_ROPE_NEOX },
};

/* ------------------------------------------------------------------------ */
/* Metadata */

/* Reads hyper-parameters under the architecture's prefix ("llama.…"). */
typedef struct {
  const BendiGguf       *gguf;
  const char            *arch;
  BendiModelConfigFlags  flags;
  BendiModelConfig      *config;
} ConfigReader;

static gboolean
arch_int (ConfigReader *r,
          const char   *name,
          gboolean      required,
          gint64        min,
          gint64        max,
          gint64       *inout,
          GError      **error)
{
  g_autofree char *key = g_strdup_printf ("%s.%s", r->arch, name);

  return bendi_gguf_get_int (r->gguf, key, required, min, max, inout, error);
}

static gboolean
arch_float (ConfigReader *r,
            const char   *name,
            double        min,
            double        max,
            float        *inout,
            GError      **error)
{
  g_autofree char *key = g_strdup_printf ("%s.%s", r->arch, name);
  double v = *inout;

  if (!bendi_gguf_get_float (r->gguf, key, FALSE, &v, error))
    return FALSE;
  if (!(v >= min && v <= max))
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE,
                   "Metadata key '%s' is %g, outside %g to %g", key, v, min, max);
      return FALSE;
    }
  *inout = (float) v;
  return TRUE;
}

static gboolean
read_rope_scaling (ConfigReader *r,
                   GError      **error)
{
  BendiModelConfig *c = r->config;
  g_autofree char *type_key = g_strdup_printf ("%s.rope.scaling.type", r->arch);
  const char *type = "none";
  float factor = 1.0f;

  c->rope_scaling = BENDI_ROPE_SCALING_NONE;
  c->rope_freq_scale = 1.0f;
  c->rope_n_ctx_orig = c->n_ctx_train;
  c->yarn_ext_factor = 0.0f;
  c->yarn_attn_factor = 1.0f;
  c->yarn_beta_fast = 32.0f;
  c->yarn_beta_slow = 1.0f;

  if (!bendi_gguf_get_string (r->gguf, type_key, FALSE, &type, error) ||
      !arch_float (r, "rope.scaling.factor", 0.0, 1e6, &factor, error))
    return FALSE;
  if (g_str_equal (type, "none") || factor == 0.0f || factor == 1.0f)
    return TRUE;
  if (g_str_equal (type, "linear"))
    c->rope_scaling = BENDI_ROPE_SCALING_LINEAR;
  else if (g_str_equal (type, "yarn"))
    c->rope_scaling = BENDI_ROPE_SCALING_YARN;
  else if (r->flags & BENDI_MODEL_CONFIG_ANY_ARCH)
    return TRUE;
  else
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_UNSUPPORTED,
                   "RoPE scaling type '%s' (key '%s') is not supported", type, type_key);
      return FALSE;
    }
  c->rope_freq_scale = 1.0f / factor;
  if (c->rope_scaling == BENDI_ROPE_SCALING_YARN)
    {
      c->yarn_ext_factor = 1.0f;
      if (!arch_int (r, "rope.scaling.original_context_length", FALSE, 1, G_MAXINT32,
                     &c->rope_n_ctx_orig, error) ||
          !arch_float (r, "rope.scaling.yarn_ext_factor", 0.0, 1e3, &c->yarn_ext_factor, error) ||
          !arch_float (r, "rope.scaling.attn_factor", 0.0, 1e3, &c->yarn_attn_factor, error) ||
          !arch_float (r, "rope.scaling.yarn_beta_fast", 0.0, 1e4, &c->yarn_beta_fast, error) ||
          !arch_float (r, "rope.scaling.yarn_beta_slow", 0.0, 1e4, &c->yarn_beta_slow, error))
        return FALSE;
    }
  return TRUE;
}

/* The tokenizer's token count, or the rows of the embedding table; 0 when
 * neither says. */
static gint64
header_n_vocab (const BendiGguf *gguf)
{
  const BendiGgufValue *tokens = bendi_gguf_find (gguf, "tokenizer.ggml.tokens");
  const BendiGgufTensorInfo *embd = bendi_gguf_find_tensor (gguf, "token_embd.weight");

  if (tokens != NULL && tokens->type == BENDI_GGUF_TYPE_ARRAY && tokens->arr.n <= G_MAXINT32)
    return (gint64) tokens->arr.n;
  if (embd != NULL && embd->n_dims >= 2)
    return embd->ne[1];
  return 0;
}

gboolean
bendi_model_config_from_gguf (const BendiGguf       *gguf,
                              BendiModelConfigFlags  flags,
                              BendiModelConfig      *config,
                              GError               **error)
{
  ConfigReader reader = { .gguf = gguf, .flags = flags, .config = config };
  ConfigReader *r = &reader;
  BendiModelConfig *c = config;
  gboolean any_arch = (flags & BENDI_MODEL_CONFIG_ANY_ARCH) != 0;
  gint64 value_length;
  gsize i;

  g_return_val_if_fail (gguf != NULL, FALSE);
  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  memset (c, 0, sizeof *c);
  if (!bendi_gguf_get_string (gguf, "general.architecture", TRUE, &r->arch, error))
    return FALSE;
  for (i = 0; i < G_N_ELEMENTS (arch_infos); i++)
    if (g_str_equal (r->arch, arch_infos[i].name))
      break;
  if (i < G_N_ELEMENTS (arch_infos))
    {
      c->arch = arch_infos[i].arch;
      c->rope_type = arch_infos[i].rope_type;
    }
  else if (any_arch)
    {
      c->arch = BENDI_ARCH_LLAMA;
      c->rope_type = BENDI_ROPE_NORMAL;
    }
  else
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_UNSUPPORTED,
                   "The model architecture '%s' is not supported yet (Bendi runs llama, qwen2 and qwen3)",
                   r->arch);
      return FALSE;
    }

  c->n_vocab = header_n_vocab (gguf);
  c->n_ctx_train = 2048;
  c->rope_freq_base = 10000.0f;
  c->norm_eps = 1e-5f;
  if (!arch_int (r, "embedding_length", TRUE, 1, 1 << 20, &c->n_embd, error) ||
      !arch_int (r, "block_count", TRUE, 1, 4096, &c->n_layer, error) ||
      !arch_int (r, "feed_forward_length", !any_arch, 1, 1 << 24, &c->n_ff, error) ||
      !arch_int (r, "attention.head_count", TRUE, 1, 1 << 16, &c->n_head, error) ||
      !arch_int (r, "context_length", FALSE, 1, 1 << 24, &c->n_ctx_train, error) ||
      !arch_float (r, "attention.layer_norm_rms_epsilon", 0.0, 1.0, &c->norm_eps, error) ||
      !arch_float (r, "rope.freq_base", 1e-3, 1e12, &c->rope_freq_base, error))
    return FALSE;

  c->n_head_kv = c->n_head;
  if (!arch_int (r, "attention.head_count_kv", FALSE, 1, c->n_head, &c->n_head_kv, error))
    return FALSE;
  if (c->n_head % c->n_head_kv != 0)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE,
                   "Metadata key '%s.attention.head_count_kv' (%" G_GINT64_FORMAT ") does not divide "
                   "the head count (%" G_GINT64_FORMAT ")", r->arch, c->n_head_kv, c->n_head);
      return FALSE;
    }

  c->head_dim = c->n_embd % c->n_head == 0 ? c->n_embd / c->n_head : 0;
  if (!arch_int (r, "attention.key_length", c->head_dim == 0, 1, 1 << 16, &c->head_dim, error))
    return FALSE;
  value_length = c->head_dim;
  if (!arch_int (r, "attention.value_length", FALSE, 1, 1 << 16, &value_length, error))
    return FALSE;
  if (value_length != c->head_dim && !any_arch)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_UNSUPPORTED,
                   "Heads with different key and value lengths (%" G_GINT64_FORMAT " and %" G_GINT64_FORMAT
                   ") are not supported", c->head_dim, value_length);
      return FALSE;
    }
  c->n_rot = c->head_dim;
  if (!arch_int (r, "rope.dimension_count", FALSE, 2, c->head_dim, &c->n_rot, error))
    return FALSE;
  if (c->n_rot % 2 != 0)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE,
                   "Metadata key '%s.rope.dimension_count' must be even, not %" G_GINT64_FORMAT,
                   r->arch, c->n_rot);
      return FALSE;
    }
  /* For an estimate, keys and values of different lengths count as two of
   * their mean length: the same bytes in the KV cache. */
  if (value_length != c->head_dim)
    c->head_dim = (c->head_dim + value_length) / 2;
  return read_rope_scaling (r, error);
}

static gboolean
read_config (BendiModel *self,
             GError    **error)
{
  const char *arch = NULL;

  if (!bendi_model_config_from_gguf (self->gguf, BENDI_MODEL_CONFIG_DEFAULT, &self->config, error))
    return FALSE;
  /* Checked by the call above. */
  bendi_gguf_get_string (self->gguf, "general.architecture", TRUE, &arch, NULL);
  self->arch_name = g_strdup (arch);
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Tensors */

static gboolean
check_type (const BendiGgufTensorInfo *t,
            GError                   **error)
{
  if (!bendi_tensor_type_is_supported (t->type))
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_UNSUPPORTED,
                   "Tensor '%s' has type %s: unsupported tensor type (Bendi runs F32, F16, BF16, "
                   "Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K–Q6_K, IQ4_NL and IQ4_XS)",
                   t->name, bendi_tensor_type_name (t->type));
      return FALSE;
    }
  return TRUE;
}

/* The tensor @name with shape [ne0] or [ne0, ne1] (ne1 = 0 for vectors).
 * An absent optional tensor is not an error: *out is then NULL. */
static gboolean
find_tensor (BendiModel                 *self,
             const char                 *name,
             gint64                      ne0,
             gint64                      ne1,
             gboolean                    required,
             const BendiGgufTensorInfo **out,
             GError                    **error)
{
  const BendiGgufTensorInfo *t = bendi_gguf_find_tensor (self->gguf, name);
  gint64 want_ne1 = ne1 == 0 ? 1 : ne1;

  *out = NULL;
  if (t == NULL)
    {
      if (!required)
        return TRUE;
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE,
                   "The model lacks the required tensor '%s'", name);
      return FALSE;
    }
  if (t->ne[0] != ne0 || t->ne[1] != want_ne1 || t->ne[2] != 1 || t->ne[3] != 1)
    {
      g_autofree char *expected = ne1 == 0
        ? g_strdup_printf ("[%" G_GINT64_FORMAT "]", ne0)
        : g_strdup_printf ("[%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "]", ne0, ne1);

      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE,
                   "Tensor '%s' has shape [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
                   ", %" G_GINT64_FORMAT "]; expected %s",
                   name, t->ne[0], t->ne[1], t->ne[2], t->ne[3], expected);
      return FALSE;
    }
  if (!check_type (t, error))
    return FALSE;
  *out = t;
  return TRUE;
}

static gboolean
bind_matrix (BendiModel  *self,
             const char  *name,
             gint64       n_cols,
             gint64       n_rows,
             BendiMatrix *out,
             GError     **error)
{
  const BendiGgufTensorInfo *t;

  if (!find_tensor (self, name, n_cols, n_rows, TRUE, &t, error))
    return FALSE;
  bendi_matrix_init (out, t->type, n_cols, n_rows, t->data);
  return TRUE;
}

/* A vector as floats, always a copy of the file's. Norms and biases are read
 * for every token, and a read of the file's mapping can bring back a whole
 * large folio (2 MiB where the file system caches in huge pages) that the
 * repacked matrices beside it had let go: for a 22-layer model that was
 * 90 MB resident for 360 KB of norms. The copy is the vector's only reader
 * after loading, and its pages in the mapping go now. */
static gboolean
bind_vector (BendiModel   *self,
             const char   *name,
             gint64        n,
             gboolean      required,
             const float **out,
             GError      **error)
{
  const BendiGgufTensorInfo *t;
  float *copy;

  *out = NULL;
  if (!find_tensor (self, name, n, 0, required, &t, error))
    return FALSE;
  if (t == NULL)
    return TRUE;
  copy = g_new (float, n);
  bendi_dequantize_row (t->type, t->data, copy, n);
  bendi_release_mapped_pages (t->data, t->n_bytes);
  g_ptr_array_add (self->owned, copy);
  *out = copy;
  return TRUE;
}

static gboolean
bind_layer (BendiModel        *self,
            gint64             il,
            BendiLayerWeights *l,
            GError           **error)
{
  const BendiModelConfig *c = &self->config;
  gint64 q_dim = c->n_head * c->head_dim;
  gint64 kv_dim = c->n_head_kv * c->head_dim;
  gboolean has_bias = c->arch == BENDI_ARCH_QWEN2;
  gboolean has_qk_norm = c->arch == BENDI_ARCH_QWEN3;
  char name[64];

#define NAME(suffix) (g_snprintf (name, sizeof name, "blk.%" G_GINT64_FORMAT "." suffix, il), name)
  return bind_vector (self, NAME ("attn_norm.weight"), c->n_embd, TRUE, &l->attn_norm, error) &&
         bind_matrix (self, NAME ("attn_q.weight"), c->n_embd, q_dim, &l->wq, error) &&
         bind_matrix (self, NAME ("attn_k.weight"), c->n_embd, kv_dim, &l->wk, error) &&
         bind_matrix (self, NAME ("attn_v.weight"), c->n_embd, kv_dim, &l->wv, error) &&
         bind_matrix (self, NAME ("attn_output.weight"), q_dim, c->n_embd, &l->wo, error) &&
         bind_vector (self, NAME ("attn_q.bias"), q_dim, has_bias, &l->bq, error) &&
         bind_vector (self, NAME ("attn_k.bias"), kv_dim, has_bias, &l->bk, error) &&
         bind_vector (self, NAME ("attn_v.bias"), kv_dim, has_bias, &l->bv, error) &&
         bind_vector (self, NAME ("attn_q_norm.weight"), c->head_dim, has_qk_norm, &l->q_norm, error) &&
         bind_vector (self, NAME ("attn_k_norm.weight"), c->head_dim, has_qk_norm, &l->k_norm, error) &&
         bind_vector (self, NAME ("ffn_norm.weight"), c->n_embd, TRUE, &l->ffn_norm, error) &&
         bind_matrix (self, NAME ("ffn_gate.weight"), c->n_embd, c->n_ff, &l->ffn_gate, error) &&
         bind_matrix (self, NAME ("ffn_up.weight"), c->n_embd, c->n_ff, &l->ffn_up, error) &&
         bind_matrix (self, NAME ("ffn_down.weight"), c->n_ff, c->n_embd, &l->ffn_down, error);
#undef NAME
}

static gboolean
bind_weights (BendiModel *self,
              GError    **error)
{
  const BendiModelConfig *c = &self->config;
  BendiModelWeights *w = &self->weights;
  const BendiGgufTensorInfo *output;

  if (!bind_matrix (self, "token_embd.weight", c->n_embd, c->n_vocab, &w->token_embd, error) ||
      !bind_vector (self, "output_norm.weight", c->n_embd, TRUE, &w->output_norm, error) ||
      !bind_vector (self, "rope_freqs.weight", c->n_rot / 2, FALSE, &w->rope_freqs, error))
    return FALSE;

  if (!find_tensor (self, "output.weight", c->n_embd, c->n_vocab, FALSE, &output, error))
    return FALSE;
  if (output != NULL)
    bendi_matrix_init (&w->output, output->type, c->n_embd, c->n_vocab, output->data);
  else
    w->output = w->token_embd;   /* tied embeddings */

  w->layers = g_new0 (BendiLayerWeights, c->n_layer);
  for (gint64 il = 0; il < c->n_layer; il++)
    if (!bind_layer (self, il, &w->layers[il], error))
      return FALSE;
  return TRUE;
}

static void
count_bytes (BendiModel *self)
{
  const BendiModelWeights *w = &self->weights;
  const BendiGgufTensorInfo *embd = bendi_gguf_find_tensor (self->gguf, "token_embd.weight");

  self->weights_bytes = 0;
  self->n_params = 0;
  for (gsize i = 0; i < bendi_gguf_get_n_tensors (self->gguf); i++)
    {
      const BendiGgufTensorInfo *t = bendi_gguf_get_tensor (self->gguf, i);

      self->weights_bytes += t->n_bytes;
      self->n_params += t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3];
    }
  /* Everything but the embedding table is read for each token; a tied
   * output matrix is the embedding table read in full. */
  self->bytes_per_token = self->weights_bytes - embd->n_bytes + embd->n_bytes / (gsize) self->config.n_vocab;
  if (w->output.data == w->token_embd.data)
    self->bytes_per_token += embd->n_bytes;
}

/* Visits the weight matrices of the model, each once; @in_matmul says
 * whether matrix products read it (the embedding table alone is only read
 * row by row, unless it doubles as the output matrix). */
static void
foreach_matrix (BendiModel *self,
                void      (*func) (BendiModel *self, BendiMatrix *m, gboolean in_matmul, gpointer data),
                gpointer    data)
{
  BendiModelWeights *w = &self->weights;
  gboolean tied = w->output.data == w->token_embd.data;

  func (self, &w->token_embd, tied, data);
  if (!tied)
    func (self, &w->output, TRUE, data);
  for (gint64 il = 0; il < self->config.n_layer; il++)
    {
      BendiLayerWeights *l = &w->layers[il];
      BendiMatrix *matrices[] = { &l->wq, &l->wk, &l->wv, &l->wo, &l->ffn_gate, &l->ffn_up, &l->ffn_down };

      for (gsize i = 0; i < G_N_ELEMENTS (matrices); i++)
        func (self, matrices[i], TRUE, data);
    }
}

typedef struct {
  BendiProgressFunc func;
  gpointer          user_data;
  gboolean          repack;
  gsize             done_bytes;
  gsize             total_bytes;
  gsize             repack_bytes;
  gboolean          cancelled;
} LoadProgress;

/* Brings a matrix into memory (faulting in its pages now rather than during
 * the first token) and, when asked, copies it into the arena in the layout
 * of the fast kernels. The file's pages it was read from are then let go,
 * so the weights stay in memory once. */
static void
prepare_matrix (BendiModel  *self,
                BendiMatrix *m,
                gboolean     in_matmul,
                gpointer     data)
{
  LoadProgress *p = data;
  gsize n_bytes = m->row_bytes * (gsize) m->n_rows;
  void *dest = NULL;

  if (p->cancelled)
    return;
  if (self->repacked != NULL && in_matmul && bendi_matrix_can_repack (m))
    dest = bendi_weight_arena_alloc (self->repacked, n_bytes);
  if (dest != NULL)
    {
      const void *source = m->data;
      gboolean tied = m == &self->weights.token_embd;

      bendi_matrix_repack (m, dest);
      bendi_release_mapped_pages (source, n_bytes);
      if (tied)
        self->weights.output = *m;
    }
  else
    {
      const volatile guint8 *bytes = m->data;
      guint8 sum = 0;

      for (gsize i = 0; i < n_bytes; i += 4096)
        sum ^= bytes[i];
      (void) sum;
    }
  p->done_bytes += n_bytes;
  if (p->func != NULL && !p->func ((double) p->done_bytes / (double) MAX (p->total_bytes, 1), p->user_data))
    p->cancelled = TRUE;
}

static void
add_matrix_bytes (BendiModel  *self G_GNUC_UNUSED,
                  BendiMatrix *m,
                  gboolean     in_matmul,
                  gpointer     data)
{
  LoadProgress *p = data;
  gsize n_bytes = m->row_bytes * (gsize) m->n_rows;

  p->total_bytes += n_bytes;
  if (p->repack && in_matmul && bendi_matrix_can_repack (m))
    p->repack_bytes += bendi_weight_arena_size_for (n_bytes);
}

/* ------------------------------------------------------------------------ */

void
bendi_model_params_init (BendiModelParams *params)
{
  memset (params, 0, sizeof *params);
  params->repack = TRUE;
}

static void
model_free (BendiModel *self)
{
  g_free (self->weights.layers);
  g_clear_pointer (&self->owned, g_ptr_array_unref);
  g_clear_pointer (&self->repacked, bendi_weight_arena_free);
  g_clear_pointer (&self->tokenizer, bendi_tokenizer_free);
  g_clear_pointer (&self->gguf, bendi_gguf_free);
  g_free (self->arch_name);
  g_free (self);
}

BendiModel *
bendi_model_load (const char             *path,
                  const BendiModelParams *params,
                  BendiProgressFunc       progress,
                  gpointer                user_data,
                  GError                **error)
{
  BendiModelParams default_params;
  BendiModel *self;
  LoadProgress load_progress = { .func = progress, .user_data = user_data };

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (params == NULL)
    {
      bendi_model_params_init (&default_params);
      params = &default_params;
    }
  load_progress.repack = params->repack;

  self = g_new0 (BendiModel, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->owned = g_ptr_array_new_with_free_func (g_free);
  self->gguf = bendi_gguf_open (path, BENDI_GGUF_OPEN_DEFAULT, error);
  if (self->gguf == NULL || !read_config (self, error))
    goto fail;
  self->tokenizer = bendi_tokenizer_new_from_gguf (self->gguf, error);
  if (self->tokenizer == NULL)
    goto fail;
  self->config.n_vocab = bendi_tokenizer_get_n_vocab (self->tokenizer);
  if (!bind_weights (self, error))
    goto fail;
  count_bytes (self);

  foreach_matrix (self, add_matrix_bytes, &load_progress);
  if (load_progress.repack_bytes > 0)
    {
      g_autoptr (GError) arena_error = NULL;

      /* Without the memory, the kernels read the file's layout: slower,
       * never wrong. */
      self->repacked = bendi_weight_arena_new (load_progress.repack_bytes, &arena_error);
      if (self->repacked == NULL)
        g_debug ("%s: weights kept in the file's layout: %s", path, arena_error->message);
    }
  foreach_matrix (self, prepare_matrix, &load_progress);
  if (load_progress.cancelled)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_CANCELLED, "Loading was cancelled");
      goto fail;
    }
  return self;

fail:
  if (error != NULL && *error != NULL && self->gguf != NULL &&
      !g_str_has_prefix ((*error)->message, path))
    g_prefix_error (error, "%s: ", path);
  model_free (self);
  return NULL;
}

BendiModel *
bendi_model_ref (BendiModel *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
bendi_model_unref (BendiModel *self)
{
  if (self != NULL && g_atomic_ref_count_dec (&self->ref_count))
    model_free (self);
}

const BendiModelConfig *
bendi_model_get_config (const BendiModel *self)
{
  return &self->config;
}

const BendiModelWeights *
bendi_model_get_weights (const BendiModel *self)
{
  return &self->weights;
}

const BendiTokenizer *
bendi_model_get_tokenizer (const BendiModel *self)
{
  return self->tokenizer;
}

const BendiGguf *
bendi_model_get_gguf (const BendiModel *self)
{
  return self->gguf;
}

const char *
bendi_model_get_arch_name (const BendiModel *self)
{
  return self->arch_name;
}

gsize
bendi_model_get_weights_bytes (const BendiModel *self)
{
  return self->weights_bytes;
}

gsize
bendi_model_get_bytes_per_token (const BendiModel *self)
{
  return self->bytes_per_token;
}

gint64
bendi_model_get_n_params (const BendiModel *self)
{
  return self->n_params;
}

const char *
bendi_arch_name (BendiArch arch)
{
  for (gsize i = 0; i < G_N_ELEMENTS (arch_infos); i++)
    if (arch_infos[i].arch == arch)
      return arch_infos[i].name;
  return "unknown";
}
