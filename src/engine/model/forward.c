/* SPDX-License-Identifier: MIT */
/* The forward pass: the first layers on the GPUs when asked, the rest as batched matrix products on the mapped weights, F16 KV cache, threads. */
#include "model/context.h"

#include <math.h>
#include <string.h>

#include "cpu/matmul.h"
#include "cpu/thread-pool.h"
#include "cpu/vec-ops.h"
#include "engine-error.h"
#include "model/backend.h"
#include "model/forward-vulkan.h"
#include "model/ops.h"
#include "sampler.h"

struct _BendiContext {
  BendiModel              *model;
  const BendiModelConfig  *config;
  const BendiModelWeights *weights;
  BendiThreadPool         *pool;
  BendiMatmulContext      *matmul;
  BendiAbortFunc           abort_func;
  gpointer                 abort_data;

  gint64      n_ctx;
  gint64      n_batch;
  gint64      n_past;
  gint64      q_dim;         /* n_head · head_dim */
  gint64      kv_dim;        /* n_head_kv · head_dim */

  /* Layers before first_cpu_layer (and with every layer, the output) run
   * on the GPUs; NULL: all on the CPU. */
  BendiVkForward *gpu;
  gint64      first_cpu_layer;
  BendiContextParams params;
  char       *backend_description;
  char       *shader_variants;       /* NULL without GPUs */
  BendiBackendNotes notes;
  /* While a GPU runs, the tokens in its KV cache: should it be lost, the
   * CPU redoes them. */
  GArray     *history;
  gboolean    logits_on_gpu;

  /* (n_layer - first_cpu_layer, n_head_kv, n_ctx, head_dim): each head's
   * positions one after another, so that attention reads them as one
   * stream (the cache comes from memory: every token's weights pass
   * through the caches since the last one). */
  BendiFp16  *key_cache;
  BendiFp16  *value_cache;

  /* Scratch for one batch of up to n_batch tokens, grown on demand. */
  gint64      n_scratch;
  float      *x;             /* (n, n_embd) the residual stream */
  float      *xb;            /* (n, n_embd) normed input of a block */
  float      *q;             /* (n, q_dim) */
  float      *k;             /* (n, kv_dim) */
  float      *v;             /* (n, kv_dim) */
  float      *att_out;       /* (n, q_dim) */
  float      *out;           /* (n, n_embd) a block's output */
  float      *hb;            /* (n, n_ff) gate, then for a batch silu (gate) · up */
  float      *hb2;           /* (n, n_ff) up */
  float      *rope_cos;      /* (n, n_rot / 2) */
  float      *rope_sin;      /* (n, n_rot / 2) */
  float      *scores;        /* (n_threads, query heads per KV head, n_ctx) attention scores */

  float      *logits;        /* (n_logits, n_vocab) */
  gint64      n_logits;
  gsize       logits_capacity;
};

/* ------------------------------------------------------------------------ */
/* Parallel steps. Each runs over a batch's tokens (or token × head pairs),
 * split across the pool; a single token runs on the caller alone, since
 * waking threads would cost more than the work. */

typedef struct {
  BendiContext            *ctx;
  const BendiLayerWeights *layer;
  gint64                   il;         /* the layer's place in the CPU's KV cache */
  gint64                   n_tokens;
  gint64                   pos;        /* position of the batch's first token */
  const float             *norm;       /* for the norm step and the normed inputs */
  gint64                   heads_per_item;  /* for the attention step */
  /* The attention step finishes q, k and v itself: one token, whose
   * items are one KV head's query heads each (a step between them would
   * leave all threads but one waiting on the RoPE). */
  gboolean                 finish_qkv;
  /* Attention with llama.cpp's arithmetic for few queries: see
   * bendi_vec_attention_in_half (). */
  gboolean                 attention_in_half;
} StepArgs;

static void
run_step (BendiContext     *ctx,
          BendiParallelFunc func,
          StepArgs         *args,
          gint64            n_items)
{
  if (n_items <= 1 || bendi_thread_pool_get_n_threads (ctx->pool) == 1)
    func (args, 0, 1);
  else
    bendi_thread_pool_run (ctx->pool, func, args);
}

/* The inputs of a block's first products, made by every thread of the
 * product for itself (see BendiMatmulSteps): rmsnorm (x) · norm. */
static void
make_normed_input (gpointer data,
                   gint64   t0,
                   gint64   t1,
                   float   *dest)
{
  const StepArgs *a = data;
  const BendiContext *ctx = a->ctx;
  gint64 n_embd = ctx->config->n_embd;

  for (gint64 t = t0; t < t1; t++)
    bendi_vec_rms_norm (dest + (t - t0) * n_embd, ctx->x + t * n_embd, a->norm, n_embd, ctx->config->norm_eps);
}

/* xb = rmsnorm (x) · norm, for the classifier */
static void
step_norm (gpointer data,
           int      ith,
           int      nth)
{
  StepArgs *a = data;
  gint64 start, end;

  bendi_split_range (a->n_tokens, ith, nth, &start, &end);
  make_normed_input (a, start, end, a->ctx->xb + start * a->ctx->config->n_embd);
}

/* The feed-forward's down projection's input: silu (gate) · up. */
static void
make_swiglu_input (gpointer data,
                   gint64   t0,
                   gint64   t1,
                   float   *dest)
{
  const StepArgs *a = data;
  const BendiContext *ctx = a->ctx;
  gint64 n_ff = ctx->config->n_ff;

  bendi_vec_swiglu (dest, ctx->hb + t0 * n_ff, ctx->hb2 + t0 * n_ff, (t1 - t0) * n_ff);
}

/* Where KV head @h of layer @il starts in the cache. */
static gsize
cache_head_offset (const BendiContext *ctx,
                   gint64              il,
                   gint64              h)
{
  return (gsize) ((il * ctx->config->n_head_kv + h) * ctx->n_ctx * ctx->config->head_dim);
}

/* For token @t of the batch and KV head @g: biases, qwen3's q/k norms and
 * RoPE on the query heads that share the KV head and on its key, then the
 * key and value into the cache as F16. */
static void
finish_qkv_group (const StepArgs *a,
                  gint64          t,
                  gint64          g)
{
  BendiContext *ctx = a->ctx;
  const BendiModelConfig *c = ctx->config;
  const BendiLayerWeights *l = a->layer;
  gint64 hd = c->head_dim;
  gint64 heads_per_kv = c->n_head / c->n_head_kv;
  gint64 half_rot = c->n_rot / 2;
  float *q = ctx->q + t * ctx->q_dim + g * heads_per_kv * hd;
  float *k = ctx->k + t * ctx->kv_dim + g * hd;
  float *v = ctx->v + t * ctx->kv_dim + g * hd;
  const float *cos_table = ctx->rope_cos + t * half_rot;
  const float *sin_table = ctx->rope_sin + t * half_rot;
  gsize cache_offset = cache_head_offset (ctx, a->il, g) + (gsize) ((a->pos + t) * hd);

  if (l->bq != NULL)
    {
      bendi_vec_add (q, l->bq + g * heads_per_kv * hd, heads_per_kv * hd);
      bendi_vec_add (k, l->bk + g * hd, hd);
      bendi_vec_add (v, l->bv + g * hd, hd);
    }
  for (gint64 h = 0; h < heads_per_kv; h++)
    {
      if (l->q_norm != NULL)
        bendi_vec_rms_norm (q + h * hd, q + h * hd, l->q_norm, hd, c->norm_eps);
      bendi_vec_rope (q + h * hd, cos_table, sin_table, c->n_rot, c->rope_type == BENDI_ROPE_NEOX);
    }
  if (l->k_norm != NULL)
    bendi_vec_rms_norm (k, k, l->k_norm, hd, c->norm_eps);
  bendi_vec_rope (k, cos_table, sin_table, c->n_rot, c->rope_type == BENDI_ROPE_NEOX);
  bendi_vec_fp32_to_fp16 (ctx->key_cache + cache_offset, k, hd);
  bendi_vec_fp32_to_fp16 (ctx->value_cache + cache_offset, v, hd);
}

/* finish_qkv_group () for every (token, KV head) of the batch. */
static void
step_qkv_finish (gpointer data,
                 int      ith,
                 int      nth)
{
  StepArgs *a = data;
  gint64 n_head_kv = a->ctx->config->n_head_kv;
  gint64 start, end;

  bendi_split_range (a->n_tokens * n_head_kv, ith, nth, &start, &end);
  for (gint64 item = start; item < end; item++)
    finish_qkv_group (a, item / n_head_kv, item % n_head_kv);
}

/* The query heads attention takes at a time: those sharing a KV head,
 * whose keys and values are then read once for all of them, unless that
 * leaves threads without work. */
static gint64
attention_heads_per_item (const BendiContext *ctx,
                          gint64              n_tokens)
{
  const BendiModelConfig *c = ctx->config;
  gint64 n = c->n_head / c->n_head_kv;

  while (n % 2 == 0 && n_tokens * (c->n_head / n) < bendi_thread_pool_get_n_threads (ctx->pool))
    n /= 2;
  return n;
}

/* Causal attention for (token, heads) items: scores against every cached
 * position up to the token's own, softmax, weighted sum of values. */
static void
step_attention (gpointer data,
                int      ith,
                int      nth)
{
  StepArgs *a = data;
  BendiContext *ctx = a->ctx;
  const BendiModelConfig *c = ctx->config;
  gint64 hd = c->head_dim;
  gint64 heads_per_kv = c->n_head / c->n_head_kv;
  gint64 items_per_token = c->n_head / a->heads_per_item;
  float scale = 1.0f / sqrtf ((float) hd);
  float *scores = ctx->scores + (gsize) ith * (gsize) ctx->n_ctx * (gsize) heads_per_kv;
  gint64 start, end;

  bendi_split_range (a->n_tokens * items_per_token, ith, nth, &start, &end);
  for (gint64 item = start; item < end; item++)
    {
      gint64 t = item / items_per_token;
      gint64 h = (item % items_per_token) * a->heads_per_item;
      gsize kv_offset = cache_head_offset (ctx, a->il, h / heads_per_kv);

      if (a->finish_qkv)
        finish_qkv_group (a, t, h / heads_per_kv);
      gint64 n_seen = a->pos + t + 1;
      const float *q = ctx->q + t * ctx->q_dim + h * hd;
      float *out = ctx->att_out + t * ctx->q_dim + h * hd;

      if (a->attention_in_half)
        bendi_vec_attend_heads_half (out, q, (int) a->heads_per_item, ctx->key_cache + kv_offset,
                                     ctx->value_cache + kv_offset, hd, n_seen, hd, scale, scores);
      else
        bendi_vec_attend_heads (out, q, (int) a->heads_per_item, ctx->key_cache + kv_offset,
                                ctx->value_cache + kv_offset, hd, n_seen, hd, scale, scores);
    }
}

/* ------------------------------------------------------------------------ */

static void
free_scratch (BendiContext *ctx)
{
  g_clear_pointer (&ctx->x, g_free);
  g_clear_pointer (&ctx->xb, g_free);
  g_clear_pointer (&ctx->q, g_free);
  g_clear_pointer (&ctx->k, g_free);
  g_clear_pointer (&ctx->v, g_free);
  g_clear_pointer (&ctx->att_out, g_free);
  g_clear_pointer (&ctx->out, g_free);
  g_clear_pointer (&ctx->hb, g_free);
  g_clear_pointer (&ctx->hb2, g_free);
  g_clear_pointer (&ctx->rope_cos, g_free);
  g_clear_pointer (&ctx->rope_sin, g_free);
  ctx->n_scratch = 0;
}

/* Scratch sized for @n tokens. A long prompt needs tens of megabytes of it;
 * generation, one token at a time, needs a few kilobytes, so after a prompt
 * the big buffers go back to the system rather than sit in resident memory
 * for the rest of a conversation. */
#define SMALL_BATCH 8

static void
ensure_scratch (BendiContext *ctx,
                gint64        n)
{
  const BendiModelConfig *c = ctx->config;

  if (n <= SMALL_BATCH && ctx->n_scratch > 4 * SMALL_BATCH)
    free_scratch (ctx);
  if (n <= ctx->n_scratch)
    return;
  n = MAX (n, MIN (SMALL_BATCH, ctx->n_batch));
  free_scratch (ctx);
  ctx->x = g_new (float, n * c->n_embd);
  ctx->xb = g_new (float, n * c->n_embd);
  ctx->q = g_new (float, n * ctx->q_dim);
  ctx->k = g_new (float, n * ctx->kv_dim);
  ctx->v = g_new (float, n * ctx->kv_dim);
  ctx->att_out = g_new (float, n * ctx->q_dim);
  ctx->out = g_new (float, n * c->n_embd);
  ctx->hb = g_new (float, n * c->n_ff);
  ctx->hb2 = g_new (float, n * c->n_ff);
  ctx->rope_cos = g_new (float, n * (c->n_rot / 2));
  ctx->rope_sin = g_new (float, n * (c->n_rot / 2));
  ctx->n_scratch = n;
}

static void
ensure_logits (BendiContext *ctx,
               gint64        n)
{
  gsize needed = (gsize) n * (gsize) ctx->config->n_vocab;

  if (needed > ctx->logits_capacity || (n == 1 && ctx->logits_capacity > 4 * needed))
    {
      g_free (ctx->logits);
      ctx->logits = g_new (float, needed);
      ctx->logits_capacity = needed;
    }
}

static gboolean
aborted (BendiContext  *ctx,
         GError       **error)
{
  if (ctx->abort_func != NULL && ctx->abort_func (ctx->abort_data))
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_CANCELLED, "Cancelled");
      return TRUE;
    }
  return FALSE;
}

/* One batch of at most n_batch tokens through every layer. */
static gboolean
forward_batch (BendiContext      *ctx,
               const BendiToken  *tokens,
               gint64             n_tokens,
               gboolean           all_logits,
               GError           **error)
{
  const BendiModelConfig *c = ctx->config;
  const BendiModelWeights *w = ctx->weights;
  gint64 heads_per_item = attention_heads_per_item (ctx, n_tokens);
  StepArgs args = { .ctx = ctx, .n_tokens = n_tokens, .pos = ctx->n_past, .heads_per_item = heads_per_item,
                    .finish_qkv = n_tokens == 1 && heads_per_item == c->n_head / c->n_head_kv,
                    .attention_in_half = bendi_vec_attention_in_half (n_tokens, c->head_dim) };
  /* The steps between the products run inside them, on all their threads:
   * the norms and SwiGLU make the next product's input, the residual
   * additions follow the rows that end a block. */
  BendiMatmulSteps normed = { .make_input = make_normed_input, .input_data = &args };
  BendiMatmulSteps to_residual = { 0 };
  BendiMatmulSteps swiglu_to_residual = { .make_input = make_swiglu_input, .input_data = &args };
  gint64 half_rot = c->n_rot / 2;

  ensure_scratch (ctx, n_tokens);
  /* a batch's inputs where the steps wrote them before: SwiGLU in place */
  normed.batch_input = ctx->xb;
  to_residual.residual = ctx->x;
  swiglu_to_residual.batch_input = ctx->hb;
  swiglu_to_residual.residual = ctx->x;

  /* token embeddings and each position's rotary angles */
  for (gint64 t = 0; t < n_tokens; t++)
    {
      bendi_matrix_get_row (&w->token_embd, tokens[t], ctx->x + t * c->n_embd);
      bendi_rope_table (ctx->rope_cos + t * half_rot, ctx->rope_sin + t * half_rot, c, w->rope_freqs,
                        ctx->n_past + t);
    }

  /* the first layers on the GPUs: their residual stream comes back for
   * the CPU's layers, or, with every layer there, the logits stay there */
  ctx->logits_on_gpu = FALSE;
  if (ctx->gpu != NULL)
    {
      if (aborted (ctx, error) ||
          !bendi_vk_forward_run (ctx->gpu, ctx->x, n_tokens, ctx->n_past, all_logits, error))
        return FALSE;
      if (bendi_vk_forward_has_output (ctx->gpu))
        {
          ctx->logits_on_gpu = TRUE;
          ctx->n_logits = all_logits ? n_tokens : 1;
          ctx->n_past += n_tokens;
          return TRUE;
        }
    }

  for (gint64 il = ctx->first_cpu_layer; il < c->n_layer; il++)
    {
      const BendiLayerWeights *l = &w->layers[il];

      if (aborted (ctx, error))
        return FALSE;
      args.layer = l;
      args.il = il - ctx->first_cpu_layer;

      /* q, k, v projections of the normed residual; biases, norms, RoPE;
       * keys and values cached */
      args.norm = l->attn_norm;
      bendi_matmul_with (ctx->matmul, 3, (const BendiMatrix *[]) { &l->wq, &l->wk, &l->wv }, NULL, n_tokens,
                         (float *[]) { ctx->q, ctx->k, ctx->v }, &normed);
      if (!args.finish_qkv)
        run_step (ctx, step_qkv_finish, &args, n_tokens * c->n_head_kv);

      /* attention, output projection added to the residual */
      run_step (ctx, step_attention, &args, n_tokens * c->n_head / args.heads_per_item);
      bendi_matmul_with (ctx->matmul, 1, (const BendiMatrix *[]) { &l->wo }, ctx->att_out, n_tokens, &ctx->out,
                         &to_residual);

      /* SwiGLU feed-forward of the normed residual, added to it */
      args.norm = l->ffn_norm;
      bendi_matmul_with (ctx->matmul, 2, (const BendiMatrix *[]) { &l->ffn_gate, &l->ffn_up }, NULL, n_tokens,
                         (float *[]) { ctx->hb, ctx->hb2 }, &normed);
      bendi_matmul_with (ctx->matmul, 1, (const BendiMatrix *[]) { &l->ffn_down }, NULL, n_tokens, &ctx->out,
                         &swiglu_to_residual);
    }

  /* final rmsnorm, classifier: only the rows asked for */
  args.norm = w->output_norm;
  run_step (ctx, step_norm, &args, n_tokens);
  if (all_logits)
    {
      ensure_logits (ctx, n_tokens);
      bendi_matmul (ctx->matmul, &w->output, ctx->xb, n_tokens, ctx->logits);
      ctx->n_logits = n_tokens;
    }
  else
    {
      ensure_logits (ctx, 1);
      bendi_matmul (ctx->matmul, &w->output, ctx->xb + (n_tokens - 1) * c->n_embd, 1, ctx->logits);
      ctx->n_logits = 1;
    }
  ctx->n_past += n_tokens;
  return TRUE;
}

/* ------------------------------------------------------------------------ */

void
bendi_context_params_init (BendiContextParams *params)
{
  memset (params, 0, sizeof *params);
  params->backend = BENDI_BACKEND_CPU;
  params->n_gpu_layers = BENDI_GPU_LAYERS_ALL;
}

static gint64
default_n_ctx (const BendiModelConfig *c)
{
  return MIN (c->n_ctx_train, 4096);
}

void
bendi_context_estimate_memory (const BendiModelConfig   *c,
                               const BendiContextParams *params,
                               gsize                    *kv_cache_bytes,
                               gsize                    *scratch_bytes)
{
  gint64 n_ctx = params->n_ctx > 0 ? params->n_ctx : default_n_ctx (c);
  gint64 n = MIN (params->n_batch > 0 ? params->n_batch : 512, n_ctx);
  gint64 n_threads = params->n_threads > 0 ? params->n_threads : (gint64) g_get_num_processors ();
  gint64 q_dim = c->n_head * c->head_dim;
  gint64 kv_dim = c->n_head_kv * c->head_dim;
  gint64 widest = MAX (MAX (c->n_embd, c->n_ff), q_dim);

  *kv_cache_bytes = 2 * (gsize) c->n_layer * (gsize) n_ctx * (gsize) kv_dim * sizeof (BendiFp16);
  /* ensure_scratch's buffers, one batch's logits, the attention scores,
   * and the activations quantised for a product (at most four bytes a
   * value, for float weights) */
  *scratch_bytes = sizeof (float) * (gsize) n * (gsize) (3 * c->n_embd + 2 * q_dim + 2 * kv_dim + 2 * c->n_ff + c->n_rot)
                   + sizeof (float) * (gsize) c->n_vocab
                   + sizeof (float) * (gsize) n_threads * (gsize) n_ctx * (gsize) (c->n_head / c->n_head_kv)
                   + sizeof (float) * (gsize) n * (gsize) widest;
}

/* The KV cache of the layers the CPU runs. */
static gboolean
alloc_cpu_cache (BendiContext  *ctx,
                 GError       **error)
{
  gsize cache_elements = (gsize) (ctx->config->n_layer - ctx->first_cpu_layer) * (gsize) ctx->n_ctx *
                         (gsize) ctx->kv_dim;

  g_clear_pointer (&ctx->key_cache, g_free);
  g_clear_pointer (&ctx->value_cache, g_free);
  if (cache_elements == 0)
    return TRUE;
  ctx->key_cache = g_try_new0 (BendiFp16, cache_elements);
  ctx->value_cache = g_try_new0 (BendiFp16, cache_elements);
  if (ctx->key_cache == NULL || ctx->value_cache == NULL)
    {
      g_autofree char *size = g_format_size (cache_elements * 2 * sizeof (BendiFp16));

      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_NO_MEMORY,
                   "Not enough memory for a KV cache of %" G_GINT64_FORMAT " tokens (%s); try a smaller context",
                   ctx->n_ctx, size);
      return FALSE;
    }
  return TRUE;
}

static void
describe_backend (BendiContext *ctx)
{
  g_free (ctx->backend_description);
  g_clear_pointer (&ctx->shader_variants, g_free);
  if (ctx->gpu != NULL)
    ctx->shader_variants = bendi_vk_forward_describe_shaders (ctx->gpu);
  if (ctx->gpu == NULL && ctx->notes.no_gpu->len > 0)
    ctx->backend_description = g_strdup_printf ("CPU, %d threads\n%.*s", bendi_thread_pool_get_n_threads (ctx->pool),
                                                (int) ctx->notes.no_gpu->len - 1, ctx->notes.no_gpu->str);
  else if (ctx->gpu == NULL)
    ctx->backend_description = g_strdup_printf ("CPU, %d threads", bendi_thread_pool_get_n_threads (ctx->pool));
  else
    {
      g_autofree char *devices = bendi_vk_forward_describe (ctx->gpu);

      ctx->backend_description = ctx->first_cpu_layer < ctx->config->n_layer
        ? g_strdup_printf ("%s\nCPU, %d threads: layers %" G_GINT64_FORMAT "–%" G_GINT64_FORMAT ", output", devices,
                           bendi_thread_pool_get_n_threads (ctx->pool), ctx->first_cpu_layer,
                           ctx->config->n_layer - 1)
        : g_steal_pointer (&devices);
    }
}

/* Hands every layer to the CPU, a KV cache for all of them included. */
static gboolean
drop_gpu (BendiContext  *ctx,
          GError       **error)
{
  g_clear_pointer (&ctx->gpu, bendi_vk_forward_free);
  g_clear_pointer (&ctx->history, g_array_unref);
  ctx->first_cpu_layer = 0;
  ctx->logits_on_gpu = FALSE;
  ctx->n_logits = 0;
  describe_backend (ctx);
  return alloc_cpu_cache (ctx, error);
}

/* Starts the GPU part, then checks its logits against the CPU's: a
 * mismatch gets the portable shaders, and another the CPU. */
static gboolean
start_gpu (BendiContext  *ctx,
           GError       **error)
{
  gboolean portable = (ctx->params.flags & BENDI_CONTEXT_PORTABLE_SHADERS) != 0;

  for (;;)
    {
      BendiBackendCheck check;

      if (!bendi_backend_start_gpu (ctx->model, &ctx->params, ctx->n_ctx, ctx->n_batch, portable,
                                    &ctx->notes, &ctx->gpu, error))
        return FALSE;
      if (ctx->gpu == NULL)
        {
          describe_backend (ctx);
          return alloc_cpu_cache (ctx, error);
        }
      ctx->first_cpu_layer = bendi_vk_forward_get_n_layers (ctx->gpu);
      ctx->history = g_array_new (FALSE, FALSE, sizeof (BendiToken));
      describe_backend (ctx);
      if (!alloc_cpu_cache (ctx, error))
        return FALSE;
      if (ctx->params.flags & BENDI_CONTEXT_NO_SELF_CHECK)
        return TRUE;
      if (!bendi_backend_self_check (ctx, &check, error))
        return FALSE;
      if (check.passed)
        return TRUE;

      g_string_append_printf (ctx->notes.warnings, "The GPU's logits differ from the CPU's by %.1f%% on a fixed input "
                              "(%s shaders): %s.\n", 100.0 * check.difference,
                              portable ? "portable" : "fast",
                              portable ? "the CPU runs this model" : "trying the portable shaders");
      if (!drop_gpu (ctx, error))
        return FALSE;
      if (portable)
        return TRUE;
      portable = TRUE;
    }
}

BendiContext *
bendi_context_new (BendiModel               *model,
                   const BendiContextParams *params,
                   GError                  **error)
{
  BendiContextParams defaults;
  g_autoptr (BendiContext) ctx = NULL;
  const BendiModelConfig *c = bendi_model_get_config (model);
  gint64 n_ctx;

  if (params == NULL)
    {
      bendi_context_params_init (&defaults);
      params = &defaults;
    }
  n_ctx = params->n_ctx > 0 ? params->n_ctx : default_n_ctx (c);
  if (n_ctx > (1 << 24) || params->n_batch < 0 || params->n_threads < 0 || params->n_threads > 1024 ||
      params->n_devices > BENDI_MAX_GPUS || params->n_gpu_layers < BENDI_GPU_LAYERS_AUTO)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_ARGUMENT,
                   "Invalid context parameters (context %" G_GINT64_FORMAT ", batch %" G_GINT64_FORMAT
                   ", threads %d, %u devices, %" G_GINT64_FORMAT " GPU layers)", params->n_ctx, params->n_batch,
                   params->n_threads, params->n_devices, params->n_gpu_layers);
      return NULL;
    }

  ctx = g_new0 (BendiContext, 1);
  ctx->model = bendi_model_ref (model);
  ctx->config = c;
  ctx->weights = bendi_model_get_weights (model);
  ctx->params = *params;
  ctx->n_ctx = n_ctx;
  ctx->n_batch = params->n_batch > 0 ? params->n_batch : 512;
  ctx->q_dim = c->n_head * c->head_dim;
  ctx->kv_dim = c->n_head_kv * c->head_dim;
  ctx->notes.warnings = g_string_new (NULL);
  ctx->notes.no_gpu = g_string_new (NULL);
  ctx->pool = bendi_thread_pool_new (params->n_threads);
  ctx->matmul = bendi_matmul_context_new (ctx->pool);
  ctx->scores = g_new (float, (gsize) bendi_thread_pool_get_n_threads (ctx->pool) * (gsize) n_ctx *
                                (gsize) (c->n_head / c->n_head_kv));
  describe_backend (ctx);

  if (params->backend != BENDI_BACKEND_CPU)
    {
      if (!start_gpu (ctx, error))
        return NULL;
    }
  else if (!alloc_cpu_cache (ctx, error))
    return NULL;
  return g_steal_pointer (&ctx);
}

void
bendi_context_free (BendiContext *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->gpu, bendi_vk_forward_free);
  g_clear_pointer (&self->history, g_array_unref);
  free_scratch (self);
  g_free (self->scores);
  g_free (self->logits);
  g_free (self->key_cache);
  g_free (self->value_cache);
  g_free (self->backend_description);
  g_free (self->shader_variants);
  if (self->notes.warnings != NULL)
    g_string_free (self->notes.warnings, TRUE);
  if (self->notes.no_gpu != NULL)
    g_string_free (self->notes.no_gpu, TRUE);
  g_clear_pointer (&self->matmul, bendi_matmul_context_free);
  g_clear_pointer (&self->pool, bendi_thread_pool_free);
  bendi_model_unref (self->model);
  g_free (self);
}

BendiModel *
bendi_context_get_model (BendiContext *self)
{
  return self->model;
}

gint64
bendi_context_get_n_ctx (const BendiContext *self)
{
  return self->n_ctx;
}

int
bendi_context_get_n_threads (const BendiContext *self)
{
  return bendi_thread_pool_get_n_threads (self->pool);
}

gint64
bendi_context_get_n_past (const BendiContext *self)
{
  return self->n_past;
}

void
bendi_context_truncate (BendiContext *self,
                        gint64        n_keep)
{
  self->n_past = CLAMP (n_keep, 0, self->n_past);
  if (self->history != NULL)
    g_array_set_size (self->history, (guint) self->n_past);
}

gsize
bendi_context_get_kv_bytes (const BendiContext *self)
{
  gsize cpu = 2 * (gsize) (self->config->n_layer - self->first_cpu_layer) * (gsize) self->n_ctx *
              (gsize) self->kv_dim * sizeof (BendiFp16);

  return cpu + (self->gpu != NULL ? bendi_vk_forward_get_kv_bytes (self->gpu) : 0);
}

BendiBackend
bendi_context_get_backend (const BendiContext *self)
{
  return self->gpu != NULL ? BENDI_BACKEND_VULKAN : BENDI_BACKEND_CPU;
}

gint64
bendi_context_get_n_gpu_layers (const BendiContext *self)
{
  return self->first_cpu_layer;
}

const char *
bendi_context_get_backend_description (const BendiContext *self)
{
  return self->backend_description;
}

const char *
bendi_context_get_shader_variants (const BendiContext *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->shader_variants;
}

const char *
bendi_context_get_backend_note (const BendiContext *self)
{
  return self->notes.warnings->len > 0 ? self->notes.warnings->str : NULL;
}

gint
bendi_context_get_validation_errors (const BendiContext *self)
{
  return self->gpu != NULL ? bendi_vk_forward_get_validation_errors (self->gpu) : -1;
}

const guint *
bendi_context_get_gpu_devices (const BendiContext *self,
                               guint              *n_devices)
{
  *n_devices = 0;
  return self->gpu != NULL ? bendi_vk_forward_get_device_indices (self->gpu, n_devices) : NULL;
}

GArray *
bendi_context_get_gpu_times (const BendiContext *self)
{
  return self->gpu != NULL ? bendi_vk_forward_get_gpu_times (self->gpu) : NULL;
}

void
bendi_context_reset_gpu_times (BendiContext *self)
{
  if (self->gpu != NULL)
    bendi_vk_forward_reset_gpu_times (self->gpu);
}

guint
bendi_context_get_dispatches_per_token (const BendiContext *self)
{
  return self->gpu != NULL ? bendi_vk_forward_get_dispatches_per_token (self->gpu) : 0;
}

void
bendi_context_set_abort_func (BendiContext   *self,
                              BendiAbortFunc  func,
                              gpointer        user_data)
{
  self->abort_func = func;
  self->abort_data = user_data;
}

/* Runs @n_tokens tokens in batches, gathering every batch's logits when
 * all are wanted. */
static gboolean
decode_batches (BendiContext      *self,
                const BendiToken  *tokens,
                gint64             n_tokens,
                gboolean           all_logits,
                GError           **error)
{
  g_autofree float *all = NULL;
  gsize n_vocab = (gsize) self->config->n_vocab;
  gint64 n_batch = self->n_batch;

  /* A GPU keeps one batch's logits in one binding: fewer rows of a large
   * vocabulary fit. */
  if (all_logits && self->gpu != NULL && bendi_vk_forward_has_output (self->gpu))
    n_batch = MIN (n_batch, bendi_vk_forward_get_max_logits_rows (self->gpu));
  if (all_logits && n_tokens > n_batch)
    all = g_new (float, (gsize) n_tokens * n_vocab);
  for (gint64 done = 0; done < n_tokens; )
    {
      gint64 n = MIN (n_batch, n_tokens - done);

      if (!forward_batch (self, tokens + done, n, all_logits, error))
        return FALSE;
      if (all != NULL)
        memcpy (all + (gsize) done * n_vocab, bendi_context_get_logits (self, 0), (gsize) n * n_vocab * sizeof (float));
      done += n;
    }
  if (all != NULL)
    {
      g_free (self->logits);
      self->logits = g_steal_pointer (&all);
      self->logits_capacity = (gsize) n_tokens * n_vocab;
      self->n_logits = n_tokens;
      self->logits_on_gpu = FALSE;
    }
  return TRUE;
}

/* A GPU that fails mid-run (a lost device) under the auto backend hands
 * over to the CPU, which redoes the tokens the GPU's cache held. */
static gboolean
fall_back_to_cpu (BendiContext  *self,
                  GError        *gpu_error,
                  GError       **error)
{
  g_autoptr (GArray) history = g_steal_pointer (&self->history);

  g_string_append_printf (self->notes.warnings, "The GPU failed (%s): the CPU takes over.\n", gpu_error->message);
  if (!drop_gpu (self, error))
    return FALSE;
  self->n_past = 0;
  return history->len == 0 ||
         decode_batches (self, &g_array_index (history, BendiToken, 0), history->len, FALSE, error);
}

gboolean
bendi_context_decode (BendiContext      *self,
                      const BendiToken  *tokens,
                      gint64             n_tokens,
                      gboolean           all_logits,
                      GError           **error)
{
  gint64 n_past_before = self->n_past;
  g_autoptr (GError) local_error = NULL;

  g_return_val_if_fail (n_tokens > 0, FALSE);

  if (n_tokens > self->n_ctx - self->n_past)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_CONTEXT_FULL,
                   "The context is full: %" G_GINT64_FORMAT " tokens do not fit after %" G_GINT64_FORMAT
                   " of %" G_GINT64_FORMAT, n_tokens, self->n_past, self->n_ctx);
      return FALSE;
    }
  for (gint64 i = 0; i < n_tokens; i++)
    if (tokens[i] < 0 || tokens[i] >= self->config->n_vocab)
      {
        g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_INPUT,
                     "Token %d is outside the vocabulary of %" G_GINT64_FORMAT, tokens[i], self->config->n_vocab);
        return FALSE;
      }

  if (!decode_batches (self, tokens, n_tokens, all_logits, &local_error))
    {
      self->n_past = n_past_before;
      if (self->gpu == NULL || self->params.backend != BENDI_BACKEND_AUTO ||
          g_error_matches (local_error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_CANCELLED))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_array_set_size (self->history, (guint) n_past_before);
      if (!fall_back_to_cpu (self, local_error, error) ||
          !decode_batches (self, tokens, n_tokens, all_logits, error))
        {
          self->n_past = MIN (self->n_past, n_past_before);
          return FALSE;
        }
    }
  if (self->history != NULL)
    g_array_append_vals (self->history, tokens, (guint) n_tokens);
  return TRUE;
}

const float *
bendi_context_get_logits (const BendiContext *self,
                          gint64              index)
{
  if (index < 0)
    index = self->n_logits - 1;
  g_return_val_if_fail (index >= 0 && index < self->n_logits, NULL);
  if (self->logits_on_gpu)
    return bendi_vk_forward_get_logits (self->gpu, index);
  return self->logits + (gsize) index * (gsize) self->config->n_vocab;
}

BendiToken
bendi_context_get_argmax (const BendiContext *self)
{
  gint32 token = self->logits_on_gpu ? bendi_vk_forward_get_argmax (self->gpu) : -1;

  if (token >= 0 && token < self->config->n_vocab)
    return token;
  return bendi_argmax (bendi_context_get_logits (self, -1), (gint32) self->config->n_vocab);
}

const char *
bendi_backend_name (BendiBackend backend)
{
  switch (backend)
    {
    case BENDI_BACKEND_VULKAN:
      return "vulkan";
    case BENDI_BACKEND_AUTO:
      return "auto";
    case BENDI_BACKEND_CPU:
    default:
      return "cpu";
    }
}

gboolean
bendi_backend_from_name (const char   *name,
                         BendiBackend *out)
{
  static const BendiBackend all[] = { BENDI_BACKEND_CPU, BENDI_BACKEND_VULKAN, BENDI_BACKEND_AUTO };

  for (gsize i = 0; name != NULL && i < G_N_ELEMENTS (all); i++)
    if (g_str_equal (name, bendi_backend_name (all[i])))
      {
        *out = all[i];
        return TRUE;
      }
  return FALSE;
}
