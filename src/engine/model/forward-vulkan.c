/* SPDX-License-Identifier: MIT */
/* The model graph on Vulkan: each device's layers recorded once per batch size and replayed, one activation transfer per device boundary. */
#include "model/forward-vulkan.h"

#include <math.h>
#include <string.h>

#include "cpu/kernels.h"
#include "engine-error.h"
#include "model/context.h"
#include "model/ops.h"
#include "vulkan/vk-ops.h"

/* One layer's weights and KV cache on its device. Matrices of one type are
 * fused: Q, K and V into one (rows of q_dim + 2 kv_dim), gate and up into
 * (gate, up) row pairs that the product's GLU epilogue turns into
 * silu (gate) · up. */
typedef struct {
  BendiVkBuffer *attn_norm;   /* (n_embd) */
  BendiVkTensor *qkv;         /* (n_embd → q_dim + 2 kv_dim), or NULL when the types differ */
  BendiVkTensor *wq;          /* … then these three */
  BendiVkTensor *wk;
  BendiVkTensor *wv;
  BendiVkBuffer *qkv_bias;    /* Qwen2: (q_dim + 2 kv_dim), else NULL */
  BendiVkBuffer *q_norm;      /* Qwen3: (head_dim), else NULL */
  BendiVkBuffer *k_norm;
  BendiVkTensor *wo;          /* (q_dim → n_embd) */
  BendiVkBuffer *ffn_norm;    /* (n_embd) */
  BendiVkTensor *gate_up;     /* (n_embd → 2 n_ff) in pairs, or NULL when the types differ */
  BendiVkTensor *gate;        /* … then these two */
  BendiVkTensor *up;
  BendiVkTensor *down;        /* (n_ff → n_embd) */
  BendiVkBuffer *k_cache;     /* (n_ctx, kv_dim) F16 */
  BendiVkBuffer *v_cache;
} GpuLayer;

/* A recording of one batch size, replayed while the size stays. */
typedef struct {
  BendiVkRecorder *rec;
  gint64           n_tokens;   /* 0: nothing recorded */
  gboolean         all_logits;
} Recording;

/* One device's share: consecutive layers, and the output on the last. */
typedef struct {
  BendiVkForward *forward;
  BendiVkDevice  *device;
  gint64          first_layer;
  gint64          n_layers;
  gboolean        has_output;
  GpuLayer       *layers;
  BendiVkBuffer  *output_norm;     /* (n_embd) */
  BendiVkTensor  *output;          /* (n_embd → n_vocab) */

  /* Activations of up to n_batch tokens. */
  BendiVkBuffer  *x;               /* (n, n_embd) the residual stream */
  BendiVkBuffer  *xb;              /* (n, n_embd) normed x, where products cannot norm it */
  BendiVkBuffer  *qkv;             /* (n, q_dim + 2 kv_dim) */
  BendiVkBuffer  *att;             /* (n, q_dim) */
  BendiVkBuffer  *hb;              /* (n, n_ff) silu (gate) · up */
  BendiVkBuffer  *hb2;             /* (n, n_ff) up, when gate and up are apart */
  BendiVkBuffer  *partials;        /* (n, n_embd) partial sums of x² */
  BendiVkBuffer  *attn_scratch;    /* split attention of one token */
  gint64          n_splits;        /* of one token's attention */

  /* What the host writes or reads. */
  BendiVkBuffer  *x_host;          /* (n, n_embd), NULL where x itself is mapped */
  BendiVkBuffer  *input_partials;  /* (n) the sum of x² of the input */
  BendiVkBuffer  *positions;       /* (n) int32 */
  BendiVkBuffer  *rope_table;      /* (n, n_rot / 2) (cos, sin) pairs */
  BendiVkBuffer  *logits;          /* (logits_rows, n_vocab) */
  gint64          logits_rows;
  BendiVkBuffer  *argmax;          /* (1) int32 */

  Recording       decode;          /* one token */
  Recording       batch;           /* the last longer batch */
} Segment;

struct _BendiVkForward {
  BendiModel             *model;
  const BendiModelConfig *config;
  BendiVkForwardParams    params;
  gint64                  q_dim;
  gint64                  kv_dim;
  GPtrArray              *devices;   /* of BendiVkDevice, one per segment */
  Segment                *segments;
  guint                   n_segments;
  float                  *rope_table; /* (n_batch, n_rot / 2) pairs, the host's copy */
  float                  *rope_cos;
  float                  *rope_sin;
  gint64                  n_logits;  /* rows the last run kept */
  gboolean                logits_ready;
  /* Tests: BENDI_VULKAN_TEST_FAULT=all (or =fast: all but the portable
   * shaders) makes this GPU compute garbage, as a bad driver would; =lost
   * fails every run after the first, as a lost device would. */
  gboolean                fault;
  gboolean                fault_lost;
  guint                   n_runs;
  /* Upload progress over every device: bytes of the weight matrices done
   * before the current one, and in all. */
  gsize                   uploaded_bytes;
  gsize                   upload_total_bytes;
  gsize                   upload_current_bytes;
};

/* ------------------------------------------------------------------------ */
/* Uploading weights */

/* Rows of a GPU tensor, from up to three model matrices of one type:
 * concatenated (Q, K, V), or interleaved row by row (gate, up). */
typedef struct {
  const BendiMatrix *parts[3];
  guint              n_parts;
  gboolean           interleave;
} RowSource;

/* Row @row of @m as the file stores it, whichever layout the CPU kernels
 * rewrote it into. */
static void
copy_file_row (const BendiMatrix *m,
               gint64             row,
               guint8            *out)
{
  const guint8 *data = m->data;
  gint64 grouped = m->layout == BENDI_MATRIX_LAYOUT_INTERLEAVED ? m->n_rows - m->n_rows % BENDI_INTERLEAVE : 0;

  if (row < grouped)
    bendi_deinterleave_row (m->type, m->n_cols, data + (gsize) (row - row % BENDI_INTERLEAVE) * m->row_bytes,
                            (int) (row % BENDI_INTERLEAVE), out);
  else
    memcpy (out, data + (gsize) row * m->row_bytes, m->row_bytes);
}

static void
source_rows (gint64    first_row,
             gint64    n_rows,
             guint8   *out,
             gpointer  user_data)
{
  const RowSource *source = user_data;
  gsize row_bytes = source->parts[0]->row_bytes;

  for (gint64 r = first_row; r < first_row + n_rows; r++, out += row_bytes)
    {
      gint64 row = r;
      guint part = 0;

      if (source->interleave)
        {
          part = (guint) (r % 2);
          row = r / 2;
        }
      else
        while (row >= source->parts[part]->n_rows)
          row -= source->parts[part++]->n_rows;
      copy_file_row (source->parts[part], row, out);
    }
}

/* One tensor's progress as a part of the whole upload's. */
static gboolean
upload_progress (double   fraction,
                 gpointer user_data)
{
  BendiVkForward *self = user_data;
  double done = (double) self->uploaded_bytes + fraction * (double) self->upload_current_bytes;

  return self->params.progress (MIN (1.0, done / (double) MAX (self->upload_total_bytes, 1)),
                                self->params.progress_data);
}

static gsize
matrix_bytes (const BendiMatrix *m)
{
  return m->row_bytes * (gsize) m->n_rows;
}

/* Bytes of the weight matrices of the first @n_layers layers, and of the
 * output with @has_output: what the progress counts. */
static gsize
weight_bytes (const BendiModelWeights *w,
              gint64                   n_layers,
              gboolean                 has_output)
{
  gsize total = has_output ? matrix_bytes (&w->output) : 0;

  for (gint64 i = 0; i < n_layers; i++)
    {
      const BendiLayerWeights *l = &w->layers[i];

      total += matrix_bytes (&l->wq) + matrix_bytes (&l->wk) + matrix_bytes (&l->wv) + matrix_bytes (&l->wo) +
               matrix_bytes (&l->ffn_gate) + matrix_bytes (&l->ffn_up) + matrix_bytes (&l->ffn_down);
    }
  return total;
}

static BendiVkTensor *
upload_matrices (BendiVkForward  *self,
                 BendiVkDevice   *device,
                 const RowSource *source,
                 GError         **error)
{
  const BendiMatrix *first = source->parts[0];
  gint64 n_rows = 0;
  g_autoptr (BendiVkTensor) tensor = NULL;

  for (guint i = 0; i < source->n_parts; i++)
    n_rows += source->parts[i]->n_rows;
  tensor = bendi_vk_tensor_new_full (device, first->type, first->n_cols, n_rows, source->interleave ? 2 : 1, error);
  if (tensor == NULL)
    return NULL;
  self->upload_current_bytes = 0;
  for (guint i = 0; i < source->n_parts; i++)
    self->upload_current_bytes += matrix_bytes (source->parts[i]);
  if (!bendi_vk_tensor_upload_rows (tensor, source_rows, (gpointer) source,
                                    self->params.progress != NULL ? upload_progress : NULL, self, error))
    return NULL;
  self->uploaded_bytes += self->upload_current_bytes;
  return g_steal_pointer (&tensor);
}

static BendiVkTensor *
upload_matrix (BendiVkForward     *self,
               BendiVkDevice      *device,
               const BendiMatrix  *matrix,
               GError            **error)
{
  RowSource source = { .parts = { matrix }, .n_parts = 1 };

  return upload_matrices (self, device, &source, error);
}

static BendiVkBuffer *
upload_floats (BendiVkDevice  *device,
               const float    *values,
               gint64          n,
               GError        **error)
{
  g_autoptr (BendiVkBuffer) buffer = NULL;

  buffer = bendi_vk_buffer_new (device, (gsize) n * sizeof (float), BENDI_VK_MEMORY_DEVICE, error);
  if (buffer == NULL || !bendi_vk_buffer_upload (buffer, 0, values, (gsize) n * sizeof (float), error))
    return NULL;
  return g_steal_pointer (&buffer);
}

static gboolean
upload_layer (Segment                 *seg,
              GpuLayer                *gl,
              const BendiLayerWeights *l,
              GError                 **error)
{
  BendiVkForward *self = seg->forward;
  const BendiModelConfig *c = self->config;
  BendiVkDevice *device = seg->device;
  BendiVkAttentionShape shape = { c->n_head, c->n_head_kv, c->head_dim, self->params.n_ctx, 1.0f };
  gsize kv_bytes = bendi_vk_kv_cache_bytes (&shape);

  gl->attn_norm = upload_floats (device, l->attn_norm, c->n_embd, error);
  gl->ffn_norm = gl->attn_norm != NULL ? upload_floats (device, l->ffn_norm, c->n_embd, error) : NULL;
  if (gl->ffn_norm == NULL)
    return FALSE;
  if (l->wq.type == l->wk.type && l->wk.type == l->wv.type)
    {
      RowSource qkv = { .parts = { &l->wq, &l->wk, &l->wv }, .n_parts = 3 };

      gl->qkv = upload_matrices (self, device, &qkv, error);
      if (gl->qkv == NULL)
        return FALSE;
    }
  else if ((gl->wq = upload_matrix (self, device, &l->wq, error)) == NULL ||
           (gl->wk = upload_matrix (self, device, &l->wk, error)) == NULL ||
           (gl->wv = upload_matrix (self, device, &l->wv, error)) == NULL)
    return FALSE;
  if (l->bq != NULL)
    {
      g_autofree float *bias = g_new (float, self->q_dim + 2 * self->kv_dim);

      memcpy (bias, l->bq, (gsize) self->q_dim * sizeof (float));
      memcpy (bias + self->q_dim, l->bk, (gsize) self->kv_dim * sizeof (float));
      memcpy (bias + self->q_dim + self->kv_dim, l->bv, (gsize) self->kv_dim * sizeof (float));
      gl->qkv_bias = upload_floats (device, bias, self->q_dim + 2 * self->kv_dim, error);
      if (gl->qkv_bias == NULL)
        return FALSE;
    }
  if (l->q_norm != NULL &&
      ((gl->q_norm = upload_floats (device, l->q_norm, c->head_dim, error)) == NULL ||
       (gl->k_norm = upload_floats (device, l->k_norm, c->head_dim, error)) == NULL))
    return FALSE;
  if ((gl->wo = upload_matrix (self, device, &l->wo, error)) == NULL)
    return FALSE;
  if (l->ffn_gate.type == l->ffn_up.type)
    {
      RowSource gate_up = { .parts = { &l->ffn_gate, &l->ffn_up }, .n_parts = 2, .interleave = TRUE };

      if ((gl->gate_up = upload_matrices (self, device, &gate_up, error)) == NULL)
        return FALSE;
    }
  else if ((gl->gate = upload_matrix (self, device, &l->ffn_gate, error)) == NULL ||
           (gl->up = upload_matrix (self, device, &l->ffn_up, error)) == NULL)
    return FALSE;
  if ((gl->down = upload_matrix (self, device, &l->ffn_down, error)) == NULL)
    return FALSE;

  gl->k_cache = bendi_vk_buffer_new (device, kv_bytes, BENDI_VK_MEMORY_DEVICE, error);
  gl->v_cache = gl->k_cache != NULL ? bendi_vk_buffer_new (device, kv_bytes, BENDI_VK_MEMORY_DEVICE, error) : NULL;
  return gl->v_cache != NULL;
}

static void
gpu_layer_clear (GpuLayer *gl)
{
  g_clear_pointer (&gl->attn_norm, bendi_vk_buffer_free);
  g_clear_pointer (&gl->qkv, bendi_vk_tensor_free);
  g_clear_pointer (&gl->wq, bendi_vk_tensor_free);
  g_clear_pointer (&gl->wk, bendi_vk_tensor_free);
  g_clear_pointer (&gl->wv, bendi_vk_tensor_free);
  g_clear_pointer (&gl->qkv_bias, bendi_vk_buffer_free);
  g_clear_pointer (&gl->q_norm, bendi_vk_buffer_free);
  g_clear_pointer (&gl->k_norm, bendi_vk_buffer_free);
  g_clear_pointer (&gl->wo, bendi_vk_tensor_free);
  g_clear_pointer (&gl->ffn_norm, bendi_vk_buffer_free);
  g_clear_pointer (&gl->gate_up, bendi_vk_tensor_free);
  g_clear_pointer (&gl->gate, bendi_vk_tensor_free);
  g_clear_pointer (&gl->up, bendi_vk_tensor_free);
  g_clear_pointer (&gl->down, bendi_vk_tensor_free);
  g_clear_pointer (&gl->k_cache, bendi_vk_buffer_free);
  g_clear_pointer (&gl->v_cache, bendi_vk_buffer_free);
}

/* ------------------------------------------------------------------------ */
/* Buffers */

static BendiVkBuffer *
new_floats (Segment            *seg,
            gint64              n,
            BendiVkMemoryKind   kind,
            GError            **error)
{
  return bendi_vk_buffer_new (seg->device, (gsize) MAX (n, 1) * sizeof (float), kind, error);
}

static gboolean
segment_alloc_buffers (Segment  *seg,
                       GError  **error)
{
  BendiVkForward *self = seg->forward;
  const BendiModelConfig *c = self->config;
  gint64 n = self->params.n_batch;
  BendiVkAttentionShape shape = { c->n_head, c->n_head_kv, c->head_dim, self->params.n_ctx, 1.0f };

  /* Long contexts keep a GPU busy with one token only when its keys are
   * shared out among workgroups; a CPU device's threads are few enough. */
  seg->n_splits = bendi_vk_device_uses_cpu_kernels (seg->device) ? 1 : CLAMP (self->params.n_ctx / 512, 1, 8);
  if ((seg->x = new_floats (seg, n * c->n_embd, BENDI_VK_MEMORY_DEVICE, error)) == NULL ||
      (seg->xb = new_floats (seg, n * c->n_embd, BENDI_VK_MEMORY_DEVICE, error)) == NULL ||
      (seg->qkv = new_floats (seg, n * (self->q_dim + 2 * self->kv_dim), BENDI_VK_MEMORY_DEVICE, error)) == NULL ||
      (seg->att = new_floats (seg, n * self->q_dim, BENDI_VK_MEMORY_DEVICE, error)) == NULL ||
      (seg->hb = new_floats (seg, n * c->n_ff, BENDI_VK_MEMORY_DEVICE, error)) == NULL ||
      (seg->hb2 = new_floats (seg, n * c->n_ff, BENDI_VK_MEMORY_DEVICE, error)) == NULL ||
      (seg->partials = new_floats (seg, n * c->n_embd, BENDI_VK_MEMORY_DEVICE, error)) == NULL ||
      (seg->input_partials = new_floats (seg, n, BENDI_VK_MEMORY_HOST, error)) == NULL ||
      (seg->positions = new_floats (seg, n, BENDI_VK_MEMORY_HOST, error)) == NULL ||
      (seg->rope_table = new_floats (seg, n * c->n_rot, BENDI_VK_MEMORY_HOST, error)) == NULL)
    return FALSE;
  if (seg->n_splits > 1)
    {
      seg->attn_scratch = bendi_vk_buffer_new (seg->device, bendi_vk_attention_scratch_bytes (&shape, 1, seg->n_splits),
                                               BENDI_VK_MEMORY_DEVICE, error);
      if (seg->attn_scratch == NULL)
        return FALSE;
    }
  /* Where the device's memory is the host's, x is written in place;
   * elsewhere it goes through a host-visible copy. */
  if (bendi_vk_buffer_get_mapped (seg->x) == NULL &&
      (seg->x_host = new_floats (seg, n * c->n_embd, BENDI_VK_MEMORY_HOST, error)) == NULL)
    return FALSE;
  if (seg->has_output)
    {
      seg->argmax = bendi_vk_buffer_new (seg->device, sizeof (gint32), BENDI_VK_MEMORY_HOST, error);
      if (seg->argmax == NULL)
        return FALSE;
    }
  return TRUE;
}

static void
recording_clear (Recording *r)
{
  g_clear_pointer (&r->rec, bendi_vk_recorder_free);
  r->n_tokens = 0;
}

/* Logits for @rows tokens; the recordings that wrote the old buffer go. */
static gboolean
segment_ensure_logits (Segment  *seg,
                       gint64    rows,
                       GError  **error)
{
  if (seg->logits != NULL && seg->logits_rows >= rows && (rows > 1 || seg->logits_rows == 1))
    return TRUE;
  recording_clear (&seg->decode);
  recording_clear (&seg->batch);
  g_clear_pointer (&seg->logits, bendi_vk_buffer_free);
  seg->logits = new_floats (seg, rows * seg->forward->config->n_vocab, BENDI_VK_MEMORY_HOST, error);
  seg->logits_rows = seg->logits != NULL ? rows : 0;
  return seg->logits != NULL;
}

static void
segment_clear (Segment *seg)
{
  recording_clear (&seg->decode);
  recording_clear (&seg->batch);
  for (gint64 i = 0; seg->layers != NULL && i < seg->n_layers; i++)
    gpu_layer_clear (&seg->layers[i]);
  g_clear_pointer (&seg->layers, g_free);
  g_clear_pointer (&seg->output_norm, bendi_vk_buffer_free);
  g_clear_pointer (&seg->output, bendi_vk_tensor_free);
  g_clear_pointer (&seg->x, bendi_vk_buffer_free);
  g_clear_pointer (&seg->xb, bendi_vk_buffer_free);
  g_clear_pointer (&seg->qkv, bendi_vk_buffer_free);
  g_clear_pointer (&seg->att, bendi_vk_buffer_free);
  g_clear_pointer (&seg->hb, bendi_vk_buffer_free);
  g_clear_pointer (&seg->hb2, bendi_vk_buffer_free);
  g_clear_pointer (&seg->partials, bendi_vk_buffer_free);
  g_clear_pointer (&seg->attn_scratch, bendi_vk_buffer_free);
  g_clear_pointer (&seg->x_host, bendi_vk_buffer_free);
  g_clear_pointer (&seg->input_partials, bendi_vk_buffer_free);
  g_clear_pointer (&seg->positions, bendi_vk_buffer_free);
  g_clear_pointer (&seg->rope_table, bendi_vk_buffer_free);
  g_clear_pointer (&seg->logits, bendi_vk_buffer_free);
  g_clear_pointer (&seg->argmax, bendi_vk_buffer_free);
}

/* ------------------------------------------------------------------------ */
/* The graph */

/* Where a product that norms its input finds the sum of squares of x: the
 * host's for the segment's first product, then those the last residual
 * product left. */
typedef struct {
  BendiVkBuffer *buffer;
  gint64         n;
  gint64         stride;
} Partials;

/* A product whose input is rmsnorm (x) · @norm_weight: normed on the way
 * in where the product can, else by a dispatch of its own into xb. Sets
 * @in to what the product reads. */
static void
norm_input (Segment              *seg,
            BendiVkRecorder      *rec,
            gint64                n,
            BendiVkBuffer        *norm_weight,
            const Partials       *partials,
            BendiVkMatmulOptions *options,
            BendiVkBuffer       **in)
{
  const BendiModelConfig *c = seg->forward->config;

  if (bendi_vk_matmul_can_norm (rec, n))
    {
      options->norm_weight = norm_weight;
      options->norm_partials = partials->buffer;
      options->n_partials = partials->n;
      options->partial_stride = partials->stride;
      options->eps = c->norm_eps;
      *in = seg->x;
    }
  else
    {
      bendi_vk_op_rms_norm (rec, seg->x, c->n_embd, norm_weight, seg->xb, c->n_embd, c->n_embd, 1, n, c->norm_eps);
      *in = seg->xb;
    }
}

/* A residual product: y += W · x, leaving the partial sums of the new x²
 * for the next norm. */
static void
residual_product (Segment             *seg,
                  BendiVkRecorder     *rec,
                  const BendiVkTensor *weights,
                  BendiVkBuffer       *in,
                  gint64               in_stride,
                  gint64               n,
                  Partials            *partials)
{
  const BendiModelConfig *c = seg->forward->config;
  BendiVkMatmulOptions options = { .accumulate = TRUE };

  if (bendi_vk_matmul_can_norm (rec, n))
    {
      options.partials_out = seg->partials;
      options.partial_stride = c->n_embd;
      *partials = (Partials) { seg->partials, bendi_vk_matmul_n_partials (rec, weights), c->n_embd };
    }
  bendi_vk_op_matmul_ex (rec, weights, in, in_stride, seg->x, c->n_embd, n, &options);
}

static void
record_layer (Segment         *seg,
              BendiVkRecorder *rec,
              const GpuLayer  *gl,
              gint64           n,
              Partials        *partials)
{
  BendiVkForward *self = seg->forward;
  const BendiModelConfig *c = self->config;
  gint64 qkv_dim = self->q_dim + 2 * self->kv_dim;
  BendiVkAttentionShape shape = {
    c->n_head, c->n_head_kv, c->head_dim, self->params.n_ctx, 1.0f / sqrtf ((float) c->head_dim),
  };
  BendiVkQkvPrepParams prep = {
    .n_rot = c->n_rot,
    .neox = c->rope_type == BENDI_ROPE_NEOX,
    .q_norm = gl->q_norm,
    .k_norm = gl->k_norm,
    .eps = c->norm_eps,
  };
  BendiVkMatmulOptions options = { .bias = gl->qkv_bias };
  gint64 n_splits = n == 1 ? seg->n_splits : 1;
  BendiVkBuffer *in;

  /* attention rmsnorm; q, k, v projections (and Qwen2's biases) */
  norm_input (seg, rec, n, gl->attn_norm, partials, &options, &in);
  if (gl->qkv != NULL)
    bendi_vk_op_matmul_ex (rec, gl->qkv, in, c->n_embd, seg->qkv, qkv_dim, n, &options);
  else
    {
      bendi_vk_op_matmul_ex (rec, gl->wq, in, c->n_embd, seg->qkv, qkv_dim, n, &options);
      options.y_offset = self->q_dim;
      bendi_vk_op_matmul_ex (rec, gl->wk, in, c->n_embd, seg->qkv, qkv_dim, n, &options);
      options.y_offset = self->q_dim + self->kv_dim;
      bendi_vk_op_matmul_ex (rec, gl->wv, in, c->n_embd, seg->qkv, qkv_dim, n, &options);
    }

  /* Qwen3's q/k norms, RoPE; keys and values into the cache */
  bendi_vk_op_qkv_prep (rec, &shape, &prep, seg->qkv, qkv_dim, seg->rope_table, gl->k_cache, gl->v_cache,
                        seg->positions, n);

  /* attention, output projection, residual */
  bendi_vk_op_attention (rec, &shape, seg->qkv, qkv_dim, gl->k_cache, gl->v_cache, seg->positions,
                         seg->att, self->q_dim, n, n_splits, seg->attn_scratch);
  residual_product (seg, rec, gl->wo, seg->att, self->q_dim, n, partials);

  /* feed-forward rmsnorm; SwiGLU */
  options = (BendiVkMatmulOptions) { .glu = TRUE };
  norm_input (seg, rec, n, gl->ffn_norm, partials, &options, &in);
  if (gl->gate_up != NULL)
    bendi_vk_op_matmul_ex (rec, gl->gate_up, in, c->n_embd, seg->hb, c->n_ff, n, &options);
  else
    {
      options.glu = FALSE;
      bendi_vk_op_matmul_ex (rec, gl->gate, in, c->n_embd, seg->hb, c->n_ff, n, &options);
      bendi_vk_op_matmul_ex (rec, gl->up, in, c->n_embd, seg->hb2, c->n_ff, n, &options);
      bendi_vk_op_swiglu (rec, seg->hb, c->n_ff, seg->hb2, c->n_ff, seg->hb, c->n_ff, c->n_ff, n);
    }

  /* down projection, residual */
  residual_product (seg, rec, gl->down, seg->hb, c->n_ff, n, partials);
}

static gboolean
record_segment (Segment    *seg,
                Recording  *r,
                gint64      n,
                gboolean    all_logits,
                GError    **error)
{
  BendiVkForward *self = seg->forward;
  const BendiModelConfig *c = self->config;
  Partials partials = { seg->input_partials, 1, 1 };
  gsize x_bytes = (gsize) n * (gsize) c->n_embd * sizeof (float);

  if (r->rec == NULL && (r->rec = bendi_vk_recorder_new (seg->device, error)) == NULL)
    return FALSE;
  r->n_tokens = 0;
  bendi_vk_recorder_begin (r->rec);
  if (seg->x_host != NULL)
    bendi_vk_recorder_copy (r->rec, seg->x_host, seg->x, x_bytes);
  for (gint64 il = 0; il < seg->n_layers; il++)
    record_layer (seg, r->rec, &seg->layers[il], n, &partials);

  if (seg->has_output)
    {
      /* last rmsnorm, classifier: every token's logits or the last's;
       * argmax of the last for greedy decoding */
      gint64 rows = all_logits ? n : 1;
      BendiVkMatmulOptions options = { .x_first_token = n - rows };
      BendiVkBuffer *in;

      norm_input (seg, r->rec, n, seg->output_norm, &partials, &options, &in);
      bendi_vk_op_matmul_ex (r->rec, seg->output, in, c->n_embd, seg->logits, c->n_vocab, rows, &options);
      if (!all_logits)
        bendi_vk_op_argmax (r->rec, seg->logits, c->n_vocab, c->n_vocab, 1, seg->argmax);
    }
  else if (seg->x_host != NULL)
    bendi_vk_recorder_copy (r->rec, seg->x, seg->x_host, x_bytes);
  if (!bendi_vk_recorder_end (r->rec, error))
    return FALSE;
  r->n_tokens = n;
  r->all_logits = all_logits;
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Running */

static gboolean
segment_run (Segment      *seg,
             float        *x,
             gint64        n,
             gint64        pos,
             gboolean      all_logits,
             GError      **error)
{
  BendiVkForward *self = seg->forward;
  const BendiModelConfig *c = self->config;
  gsize x_bytes = (gsize) n * (gsize) c->n_embd * sizeof (float);
  gint32 *positions = bendi_vk_buffer_get_mapped (seg->positions);
  float *input_partials = bendi_vk_buffer_get_mapped (seg->input_partials);
  Recording *r = n == 1 ? &seg->decode : &seg->batch;

  if (seg->has_output && !segment_ensure_logits (seg, all_logits ? n : 1, error))
    return FALSE;
  if (r->n_tokens != n || (seg->has_output && r->all_logits != all_logits))
    if (!record_segment (seg, r, n, all_logits, error))
      return FALSE;

  /* The inputs: positions, their RoPE angles, x and its sum of squares. */
  for (gint64 t = 0; t < n; t++)
    {
      const float *row = x + t * c->n_embd;
      double sum = 0.0;

      positions[t] = (gint32) (pos + t);
      for (gint64 i = 0; i < c->n_embd; i++)
        sum += (double) row[i] * row[i];
      input_partials[t] = (float) sum;
    }
  memcpy (bendi_vk_buffer_get_mapped (seg->rope_table), self->rope_table, (gsize) n * (gsize) c->n_rot * sizeof (float));
  memcpy (bendi_vk_buffer_get_mapped (seg->x_host != NULL ? seg->x_host : seg->x), x, x_bytes);

  if (!bendi_vk_recorder_submit_and_wait (r->rec, error))
    return FALSE;

  /* The one transfer to the next device or the CPU's layers. */
  if (!seg->has_output)
    memcpy (x, bendi_vk_buffer_get_mapped (seg->x_host != NULL ? seg->x_host : seg->x), x_bytes);
  return TRUE;
}

static void
inject_fault (BendiVkForward *self,
              float          *x,
              gint64          n_tokens)
{
  Segment *last = &self->segments[self->n_segments - 1];
  float *values = self->logits_ready ? bendi_vk_buffer_get_mapped (last->logits) : x;
  gint64 n = self->logits_ready ? self->n_logits * self->config->n_vocab : n_tokens * self->config->n_embd;

  for (gint64 i = 0; i < n; i++)
    values[i] = values[i] * -0.5f + (float) ((i * 37) % 11);
  if (self->logits_ready)
    *(gint32 *) bendi_vk_buffer_get_mapped (last->argmax) = -1;
}

gboolean
bendi_vk_forward_run (BendiVkForward  *self,
                      float           *x,
                      gint64           n_tokens,
                      gint64           pos,
                      gboolean         all_logits,
                      GError         **error)
{
  const BendiModelConfig *c = self->config;
  const BendiModelWeights *w = bendi_model_get_weights (self->model);
  gint64 half_rot = c->n_rot / 2;

  g_return_val_if_fail (n_tokens > 0 && n_tokens <= self->params.n_batch, FALSE);
  g_return_val_if_fail (!all_logits || !bendi_vk_forward_has_output (self) ||
                        n_tokens <= bendi_vk_forward_get_max_logits_rows (self), FALSE);
  g_return_val_if_fail (pos >= 0 && pos + n_tokens <= self->params.n_ctx, FALSE);

  if (self->fault_lost && self->n_runs++ > 0)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_UNSUPPORTED,
                   "Waiting for the GPU failed: VK_ERROR_DEVICE_LOST");
      return FALSE;
    }

  /* Each position's rotary angles, exactly as the CPU computes them. */
  for (gint64 t = 0; t < n_tokens; t++)
    {
      float *pairs = self->rope_table + t * c->n_rot;

      bendi_rope_table (self->rope_cos, self->rope_sin, c, w->rope_freqs, pos + t);
      for (gint64 i = 0; i < half_rot; i++)
        {
          pairs[2 * i] = self->rope_cos[i];
          pairs[2 * i + 1] = self->rope_sin[i];
        }
    }

  self->logits_ready = FALSE;
  for (guint s = 0; s < self->n_segments; s++)
    if (!segment_run (&self->segments[s], x, n_tokens, pos, all_logits, error))
      return FALSE;
  self->n_logits = all_logits ? n_tokens : 1;
  self->logits_ready = bendi_vk_forward_has_output (self);
  if (self->fault)
    inject_fault (self, x, n_tokens);
  return TRUE;
}

const float *
bendi_vk_forward_get_logits (const BendiVkForward *self,
                             gint64                index)
{
  const Segment *last = &self->segments[self->n_segments - 1];

  g_return_val_if_fail (self->logits_ready, NULL);
  g_return_val_if_fail (index >= 0 && index < self->n_logits, NULL);
  return (const float *) bendi_vk_buffer_get_mapped (last->logits) + index * self->config->n_vocab;
}

gint64
bendi_vk_forward_get_max_logits_rows (const BendiVkForward *self)
{
  const Segment *last = &self->segments[self->n_segments - 1];
  guint64 row_bytes = (guint64) self->config->n_vocab * sizeof (float);

  return CLAMP ((gint64) (bendi_vk_device_get_max_buffer_bytes (last->device) / row_bytes), 1, self->params.n_batch);
}

gint32
bendi_vk_forward_get_argmax (const BendiVkForward *self)
{
  const Segment *last = &self->segments[self->n_segments - 1];

  if (!self->logits_ready || self->n_logits != 1)
    return -1;
  return *(const gint32 *) bendi_vk_buffer_get_mapped (last->argmax);
}

/* ------------------------------------------------------------------------ */
/* Setting up */

/* Layers per device in proportion to @split (even without one), each
 * device at least one while there are layers enough. */
static void
share_layers (gint64        n_layers,
              guint         n_devices,
              const double *split,
              gint64       *counts)
{
  double total = 0.0;
  gint64 given = 0;

  for (guint d = 0; d < n_devices; d++)
    total += split[d] > 0.0 ? split[d] : 0.0;
  for (guint d = 0; d < n_devices; d++)
    {
      double share = total > 0.0 ? MAX (split[d], 0.0) / total : 1.0 / n_devices;

      counts[d] = (gint64) floor (share * (double) n_layers + 0.5);
      if (d == n_devices - 1 || given + counts[d] > n_layers)
        counts[d] = n_layers - given;
      given += counts[d];
    }
}

static gboolean
segment_init (Segment                   *seg,
              BendiVkForward            *self,
              BendiVkDevice             *device,
              gint64                     first_layer,
              gint64                     n_layers,
              gboolean                   has_output,
              GError                   **error)
{
  const BendiModelWeights *w = bendi_model_get_weights (self->model);

  seg->forward = self;
  seg->device = device;
  seg->first_layer = first_layer;
  seg->n_layers = n_layers;
  seg->has_output = has_output;
  seg->layers = g_new0 (GpuLayer, MAX (n_layers, 1));
  for (gint64 i = 0; i < n_layers; i++)
    if (!upload_layer (seg, &seg->layers[i], &w->layers[first_layer + i], error))
      return FALSE;
  if (has_output &&
      ((seg->output_norm = upload_floats (device, w->output_norm, self->config->n_embd, error)) == NULL ||
       (seg->output = upload_matrix (self, device, &w->output, error)) == NULL))
    return FALSE;
  return segment_alloc_buffers (seg, error);
}

void
bendi_vk_forward_free (BendiVkForward *self)
{
  if (self == NULL)
    return;
  for (guint s = 0; self->segments != NULL && s < self->n_segments; s++)
    segment_clear (&self->segments[s]);
  g_free (self->segments);
  g_clear_pointer (&self->devices, g_ptr_array_unref);
  g_free (self->rope_table);
  g_free (self->rope_cos);
  g_free (self->rope_sin);
  g_clear_pointer (&self->model, bendi_model_unref);
  g_free (self);
}

BendiVkForward *
bendi_vk_forward_new (BendiModel                 *model,
                      const BendiVkForwardParams *params,
                      GError                    **error)
{
  g_autoptr (BendiVkForward) self = NULL;
  const BendiModelConfig *c = bendi_model_get_config (model);
  gint64 counts[BENDI_VK_FORWARD_MAX_DEVICES];
  gint64 first = 0;

  g_return_val_if_fail (params->n_devices >= 1 && params->n_devices <= BENDI_VK_FORWARD_MAX_DEVICES, NULL);
  g_return_val_if_fail (params->n_layers >= 0 && params->n_layers <= c->n_layer, NULL);
  g_return_val_if_fail (params->n_ctx > 0 && params->n_batch > 0, NULL);

  self = g_new0 (BendiVkForward, 1);
  self->model = bendi_model_ref (model);
  self->config = c;
  self->params = *params;
  self->q_dim = c->n_head * c->head_dim;
  self->kv_dim = c->n_head_kv * c->head_dim;
  self->rope_table = g_new (float, params->n_batch * c->n_rot);
  self->rope_cos = g_new (float, c->n_rot / 2);
  self->rope_sin = g_new (float, c->n_rot / 2);
  self->devices = g_ptr_array_new_with_free_func ((GDestroyNotify) bendi_vk_device_free);
  self->upload_total_bytes = weight_bytes (bendi_model_get_weights (model), params->n_layers,
                                           params->n_layers == c->n_layer);
  {
    const char *fault = g_getenv ("BENDI_VULKAN_TEST_FAULT");

    self->fault = fault != NULL && (g_str_equal (fault, "all") || (g_str_equal (fault, "fast") && !params->portable));
    self->fault_lost = fault != NULL && g_str_equal (fault, "lost");
  }

  /* No more devices than layers; each takes its share in order, the last
   * the output too when every layer is here. */
  self->n_segments = (guint) MAX (1, MIN ((gint64) params->n_devices, params->n_layers));
  share_layers (params->n_layers, self->n_segments, params->split, counts);
  self->segments = g_new0 (Segment, self->n_segments);
  for (guint s = 0; s < self->n_segments; s++)
    {
      BendiVkDeviceParams device_params;
      BendiVkDevice *device;
      gboolean last = s == self->n_segments - 1;

      bendi_vk_device_params_init (&device_params);
      device_params.validation = params->validation;
      device_params.portable_only = params->portable;
      device_params.disabled_fast_paths = params->disabled_fast_paths;
      device_params.forced_fast_paths = params->forced_fast_paths;
      device_params.gpu_kernels = params->gpu_kernels;
      device_params.max_binding_bytes = params->max_binding_bytes;
      device_params.time_dispatches = params->time_dispatches;
      device = bendi_vk_device_new (params->devices[s], &device_params, error);
      if (device == NULL)
        return NULL;
      g_ptr_array_add (self->devices, device);
      if (!segment_init (&self->segments[s], self, device, first, counts[s], last && params->n_layers == c->n_layer,
                         error))
        {
          g_prefix_error (error, "%s: ", bendi_vk_device_get_info (device)->name);
          return NULL;
        }
      first += counts[s];
    }
  return g_steal_pointer (&self);
}

/* ------------------------------------------------------------------------ */

gint64
bendi_vk_forward_get_n_layers (const BendiVkForward *self)
{
  return self->params.n_layers;
}

gboolean
bendi_vk_forward_has_output (const BendiVkForward *self)
{
  return self->segments[self->n_segments - 1].has_output;
}

const guint *
bendi_vk_forward_get_device_indices (const BendiVkForward *self,
                                     guint                *n_devices)
{
  /* Segment s runs on params.devices[s]. */
  *n_devices = self->n_segments;
  return self->params.devices;
}

guint
bendi_vk_forward_get_dispatches_per_token (const BendiVkForward *self)
{
  guint n = 0;

  for (guint s = 0; s < self->n_segments; s++)
    if (self->segments[s].decode.rec != NULL && self->segments[s].decode.n_tokens == 1)
      n += bendi_vk_recorder_get_n_dispatches (self->segments[s].decode.rec);
  return n;
}

static void
gpu_time_clear (gpointer data)
{
  g_free (((BendiGpuTime *) data)->kernel);
}

GArray *
bendi_vk_forward_get_gpu_times (const BendiVkForward *self)
{
  g_autoptr (GArray) kernels = g_array_new (FALSE, TRUE, sizeof (BendiGpuTime));
  g_autoptr (GHashTable) index = g_hash_table_new (g_str_hash, g_str_equal);

  g_array_set_clear_func (kernels, gpu_time_clear);
  for (guint s = 0; s < self->n_segments; s++)
    {
      const Recording *decode = &self->segments[s].decode;
      const BendiVkDispatchTime *times;
      guint n_times;
      guint64 n_runs;

      if (decode->rec == NULL || decode->n_tokens != 1)
        continue;
      times = bendi_vk_recorder_get_times (decode->rec, &n_times, &n_runs);
      if (n_runs == 0)
        continue;
      for (guint i = 0; i < n_times; i++)
        {
          g_autofree char *name = times[i].groups > 0
                                  ? g_strdup_printf ("%s, %" G_GUINT64_FORMAT " workgroups", times[i].what,
                                                     times[i].groups)
                                  : g_strdup (times[i].what);
          gpointer found;
          BendiGpuTime *kernel;

          if (g_hash_table_lookup_extended (index, name, NULL, &found))
            kernel = &g_array_index (kernels, BendiGpuTime, GPOINTER_TO_UINT (found));
          else
            {
              BendiGpuTime fresh = { .kernel = g_steal_pointer (&name) };

              g_array_append_val (kernels, fresh);
              kernel = &g_array_index (kernels, BendiGpuTime, kernels->len - 1);
              g_hash_table_insert (index, kernel->kernel, GUINT_TO_POINTER (kernels->len - 1));
            }
          kernel->dispatches++;
          kernel->bytes += times[i].bytes;
          kernel->ns_per_token += (double) times[i].ns / (double) n_runs;
        }
    }
  return kernels->len > 0 ? g_steal_pointer (&kernels) : NULL;
}

void
bendi_vk_forward_reset_gpu_times (BendiVkForward *self)
{
  for (guint s = 0; s < self->n_segments; s++)
    if (self->segments[s].decode.rec != NULL)
      bendi_vk_recorder_reset_times (self->segments[s].decode.rec);
}

gsize
bendi_vk_forward_get_kv_bytes (const BendiVkForward *self)
{
  return 2 * (gsize) self->params.n_layers * (gsize) self->params.n_ctx * (gsize) self->kv_dim * sizeof (guint16);
}

char *
bendi_vk_forward_describe (const BendiVkForward *self)
{
  GString *text = g_string_new (NULL);

  for (guint s = 0; s < self->n_segments; s++)
    {
      const Segment *seg = &self->segments[s];
      const BendiVkDeviceInfo *info = bendi_vk_device_get_info (seg->device);

      if (s > 0)
        g_string_append_c (text, '\n');
      g_string_append_printf (text, "%s (%s): ", info->name, info->driver_name);
      if (seg->n_layers > 0)
        g_string_append_printf (text, "layers %" G_GINT64_FORMAT "–%" G_GINT64_FORMAT, seg->first_layer,
                                seg->first_layer + seg->n_layers - 1);
      if (seg->has_output)
        g_string_append (text, seg->n_layers > 0 ? ", output" : "output");
      if (bendi_vk_device_uses_cpu_kernels (seg->device))
        g_string_append (text, "; CPU-device shaders");
      else
        {
          g_autofree char *variants = bendi_vk_fast_paths_describe (bendi_vk_device_get_fast_paths (seg->device));

          g_string_append_printf (text, "; %s shaders", variants);
        }
    }
  return g_string_free (text, FALSE);
}

char *
bendi_vk_forward_describe_shaders (const BendiVkForward *self)
{
  g_autoptr (GPtrArray) variants = g_ptr_array_new_with_free_func (g_free);

  for (guint s = 0; s < self->n_segments; s++)
    {
      BendiVkDevice *device = self->segments[s].device;
      char *variant = bendi_vk_device_uses_cpu_kernels (device)
                        ? g_strdup ("cpu-device")
                        : bendi_vk_fast_paths_describe (bendi_vk_device_get_fast_paths (device));

      if (g_ptr_array_find_with_equal_func (variants, variant, g_str_equal, NULL))
        g_free (variant);
      else
        g_ptr_array_add (variants, variant);
    }
  g_ptr_array_add (variants, NULL);
  return g_strjoinv ("+", (char **) variants->pdata);
}

gint
bendi_vk_forward_get_validation_errors (const BendiVkForward *self)
{
  gint n = 0;

  for (guint s = 0; s < self->n_segments; s++)
    {
      if (!bendi_vk_device_is_validated (self->segments[s].device))
        return -1;
      n += (gint) bendi_vk_device_get_validation_errors (self->segments[s].device);
    }
  return n;
}
