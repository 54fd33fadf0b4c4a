/* SPDX-License-Identifier: MIT */
/* The fit estimator: memory by placement, the best placement for the hardware, and the generation speed it allows. */
#define G_LOG_DOMAIN "bendi-hw"

#include "fit-estimate.h"

#include "fit-private.h"
#include "model/context.h"

const char *
bendi_fit_verdict_name (BendiFitVerdict verdict)
{
  switch (verdict)
    {
    case BENDI_FIT_VERDICT_GPU: return "gpu";
    case BENDI_FIT_VERDICT_PARTIAL: return "partial";
    case BENDI_FIT_VERDICT_CPU: return "cpu";
    case BENDI_FIT_VERDICT_NO: return "no";
    default: return "unknown";
    }
}

void
bendi_fit_params_init (BendiFitParams *params)
{
  params->n_ctx = 0;
  params->gpu_layers = BENDI_FIT_GPU_LAYERS_AUTO;
  params->gpu = -1;
  params->n_threads = 0;
}

void
bendi_fit_result_free (BendiFitResult *self)
{
  if (self == NULL)
    return;
  g_free (self->explanation);
  g_free (self);
}

/* ------------------------------------------------------------------------ */
/* Memory by placement */

typedef struct {
  const BendiFitModel *model;
  gint64               n_layers;
  guint64              shared_bytes;       /* embeddings, output, norms */
  guint64              kv_per_layer_bytes;
  guint64              scratch_bytes;
  guint64              cpu_overhead_bytes;
  guint64             *last_bytes;         /* [n]: the weights of the last n layers, n = 0 … n_layers */
} Sizes;

/* What the GPU holds with the last @n layers on it: those layers, their
 * KV cache, a set of buffers and the device's own allocations; with every
 * layer, the shared tensors too. */
static guint64
gpu_need (const Sizes *s,
          gint64       n)
{
  if (n == 0)
    return 0;
  return s->last_bytes[n] + (n == s->n_layers ? s->shared_bytes : 0) + s->kv_per_layer_bytes * (guint64) n +
         s->scratch_bytes + BENDI_FIT_GPU_OVERHEAD_BYTES;
}

/* What RAM holds: the runtime, and unless every layer is on the GPU, the
 * other layers with their KV cache, the shared tensors and a set of
 * buffers. */
static guint64
ram_need (const Sizes *s,
          gint64       n)
{
  guint64 need = s->cpu_overhead_bytes;

  if (n < s->n_layers)
    need += s->last_bytes[s->n_layers] - s->last_bytes[n] + s->shared_bytes +
            s->kv_per_layer_bytes * (guint64) (s->n_layers - n) + s->scratch_bytes;
  return need;
}

/* Room on one GPU (or none) and in RAM. An integrated GPU's memory is the
 * RAM: what it holds comes out of the same free RAM. */
typedef struct {
  int      index;        /* into hw->gpus; -1: no GPU */
  guint64  gpu_free;
  guint64  ram_free;
  gboolean uma;
  double   gpu_bandwidth;
} Room;

/* Whether the last @n layers on the GPU fit, and what is missing. */
static gboolean
placement_fits (const Sizes *s,
                const Room  *room,
                gint64       n,
                guint64     *missing_gpu,
                guint64     *missing_ram)
{
  guint64 gpu = gpu_need (s, n);
  guint64 ram = ram_need (s, n) + (room->uma ? gpu : 0);

  *missing_gpu = gpu > room->gpu_free ? gpu - room->gpu_free : 0;
  *missing_ram = ram > room->ram_free ? ram - room->ram_free : 0;
  return *missing_gpu == 0 && *missing_ram == 0;
}

/* The most layers the GPU of @room takes while everything fits; -1 when
 * nothing fits, not even on the CPU alone. */
static gint64
most_layers (const Sizes *s,
             const Room  *room)
{
  gint64 max_n = room->index >= 0 ? s->n_layers : 0;
  guint64 missing_gpu, missing_ram;

  for (gint64 n = max_n; n >= 0; n--)
    if (placement_fits (s, room, n, &missing_gpu, &missing_ram))
      return n;
  return -1;
}

/* When nothing fits: the placement that misses the least RAM among those
 * that fit the GPU (always one: nothing on it). */
static gint64
least_missing (const Sizes *s,
               const Room  *room,
               guint64     *missing)
{
  gint64 max_n = room->index >= 0 ? s->n_layers : 0;
  gint64 best = 0;
  guint64 best_missing = G_MAXUINT64;

  for (gint64 n = 0; n <= max_n; n++)
    {
      guint64 missing_gpu, missing_ram;

      placement_fits (s, room, n, &missing_gpu, &missing_ram);
      if (missing_gpu == 0 && missing_ram < best_missing)
        {
          best = n;
          best_missing = missing_ram;
        }
    }
  *missing = best_missing;
  return best;
}

static Room
room_for (const BendiHwInfo *hw,
          int                index)
{
  Room room = { .index = index, .ram_free = hw->ram_available_bytes };

  if (index >= 0)
    {
      const BendiHwGpu *gpu = g_ptr_array_index (hw->gpus, index);

      room.uma = gpu->uma;
      room.gpu_free = gpu->uma ? MIN (gpu->vram_free_bytes, hw->ram_available_bytes) : gpu->vram_free_bytes;
      room.gpu_bandwidth = gpu->bandwidth_gbps;
    }
  return room;
}

gboolean
bendi_fit_gpu_is_candidate (const BendiHwGpu *gpu)
{
  return gpu->usable && gpu->type != BENDI_VK_DEVICE_TYPE_CPU;
}

/* Discrete before integrated before the rest, when speed is unknown. */
static int
type_rank (BendiVkDeviceType type)
{
  switch (type)
    {
    case BENDI_VK_DEVICE_TYPE_DISCRETE: return 2;
    case BENDI_VK_DEVICE_TYPE_INTEGRATED: return 1;
    default: return 0;
    }
}

/* Whether the GPU of @a beats that of @b, which take as many layers. */
static gboolean
gpu_is_better (const BendiHwInfo *hw,
               const Room        *a,
               const Room        *b)
{
  const BendiHwGpu *gpu_a = g_ptr_array_index (hw->gpus, a->index);
  const BendiHwGpu *gpu_b = g_ptr_array_index (hw->gpus, b->index);

  if (a->gpu_bandwidth != b->gpu_bandwidth)
    return a->gpu_bandwidth > b->gpu_bandwidth;
  if (type_rank (gpu_a->type) != type_rank (gpu_b->type))
    return type_rank (gpu_a->type) > type_rank (gpu_b->type);
  return a->gpu_free > b->gpu_free;
}

/* The GPU that takes the most layers (when nothing fits anywhere: the one
 * that leaves the least RAM missing); among equals the faster, then the
 * discrete, then the roomier. -1 when there is none to use. */
static int
choose_gpu (const Sizes       *s,
            const BendiHwInfo *hw)
{
  Room best = { .index = -1 };
  gint64 best_n = -1;
  guint64 best_missing = G_MAXUINT64;

  for (guint i = 0; i < hw->gpus->len; i++)
    {
      Room room;
      gint64 n;
      guint64 missing = 0;

      if (!bendi_fit_gpu_is_candidate (g_ptr_array_index (hw->gpus, i)))
        continue;
      room = room_for (hw, (int) i);
      n = most_layers (s, &room);
      if (n < 0)
        least_missing (s, &room, &missing);
      if (best.index < 0 || n > best_n ||
          (n == best_n && n < 0 && missing < best_missing) ||
          (n == best_n && (n >= 0 || missing == best_missing) && gpu_is_better (hw, &room, &best)))
        {
          best = room;
          best_n = n;
          best_missing = missing;
        }
    }
  return best.index;
}

/* ------------------------------------------------------------------------ */
/* Speed */

static void
estimate_speed (BendiFitResult      *r,
                const BendiFitModel *model,
                const BendiHwInfo   *hw,
                const Room          *room)
{
  gint64 n_layers = r->n_layers;
  guint64 gpu_read = 0;
  double seconds = 0.0;

  for (gint64 il = n_layers - r->gpu_layers; il < n_layers; il++)
    gpu_read += bendi_fit_model_get_layer_bytes_per_token (model, il);
  if (r->gpu_layers == n_layers)
    gpu_read = r->bytes_per_token;
  r->gpu_bytes_per_token = gpu_read;

  r->cpu_bandwidth_gbps = hw->cpu_bandwidth_gbps;
  r->gpu_bandwidth_gbps = room->index >= 0 ? room->gpu_bandwidth : 0.0;
  r->cpu_efficiency = BENDI_FIT_CPU_EFFICIENCY;
  r->gpu_efficiency = BENDI_FIT_GPU_EFFICIENCY;
  if (r->verdict == BENDI_FIT_VERDICT_NO)
    return;
  if (gpu_read > 0)
    {
      if (r->gpu_bandwidth_gbps <= 0.0)
        return;
      seconds += (double) gpu_read / (r->gpu_bandwidth_gbps * 1e9 * BENDI_FIT_GPU_EFFICIENCY);
    }
  if (r->bytes_per_token > gpu_read)
    {
      if (r->cpu_bandwidth_gbps <= 0.0)
        return;
      seconds += (double) (r->bytes_per_token - gpu_read) / (r->cpu_bandwidth_gbps * 1e9 * BENDI_FIT_CPU_EFFICIENCY);
    }
  if (seconds > 0.0)
    r->est_gen_tokens_per_s = 1.0 / seconds;
}

/* ------------------------------------------------------------------------ */

guint
bendi_fit_server_gpus (const BendiFitResult *result,
                       guint                *gpu_gb,
                       guint64              *needed_bytes)
{
  /* Sold as "24 GB" and so on, they hold GiB. */
  static const guint sizes[] = { 24, 48, 80 };
  /* Here the buffers may be counted on two devices; a server needs them once. */
  guint n_devices = (result->gpu_layers > 0) + (result->gpu_layers < result->n_layers);
  guint64 needed = result->weights_bytes + result->kv_cache_bytes +
                   (n_devices > 0 ? result->buffers_bytes / n_devices : 0);
  guint count = 1;

  if (needed_bytes != NULL)
    *needed_bytes = needed;

  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      guint64 usable = (guint64) ((double) ((guint64) sizes[i] << 30) * 0.90) - BENDI_FIT_GPU_OVERHEAD_BYTES;
      guint64 n = (needed + usable - 1) / usable;

      *gpu_gb = sizes[i];
      if (n <= 1)
        return 1;
      count = (guint) MIN (n, (guint64) G_MAXUINT / 2);
    }
  /* Powers of two: vLLM's --tensor-parallel-size must divide the heads. */
  while (count & (count - 1))
    count += count & -count;
  return count;
}

BendiFitResult *
bendi_fit_estimate (const BendiFitModel  *model,
                    const BendiHwInfo    *hw,
                    const BendiFitParams *params)
{
  const BendiModelConfig *config = bendi_fit_model_get_config (model);
  BendiFitParams defaults;
  BendiContextParams context_params;
  BendiFitResult *r;
  BendiFitWhy why = BENDI_FIT_WHY_AUTO;
  g_autofree guint64 *last_bytes = NULL;
  gsize kv_cache_bytes, scratch_bytes;
  Sizes s = { .model = model };
  Room room;
  gint64 n;
  guint64 missing_gpu = 0, missing_ram = 0;

  g_return_val_if_fail (model != NULL && hw != NULL, NULL);

  if (params == NULL)
    {
      bendi_fit_params_init (&defaults);
      params = &defaults;
    }

  /* The engine's own accounting of the KV cache and scratch. */
  bendi_context_params_init (&context_params);
  context_params.n_ctx = params->n_ctx;
  context_params.n_threads = params->n_threads > 0 ? params->n_threads : MAX (hw->logical_cores, 1);
  bendi_context_estimate_memory (config, &context_params, &kv_cache_bytes, &scratch_bytes);

  s.n_layers = config->n_layer;
  s.shared_bytes = bendi_fit_model_get_shared_bytes (model);
  s.kv_per_layer_bytes = kv_cache_bytes / (guint64) MAX (s.n_layers, 1);
  s.scratch_bytes = scratch_bytes;
  s.cpu_overhead_bytes = BENDI_FIT_CPU_OVERHEAD_BYTES + BENDI_FIT_CPU_OVERHEAD_PER_VOCAB_TOKEN * (guint64) MAX (config->n_vocab, 0);
  last_bytes = g_new0 (guint64, s.n_layers + 1);
  for (gint64 i = 1; i <= s.n_layers; i++)
    last_bytes[i] = last_bytes[i - 1] + bendi_fit_model_get_layer_bytes (model, s.n_layers - i);
  s.last_bytes = last_bytes;

  r = g_new0 (BendiFitResult, 1);
  /* The context the engine would pick, read back from its own accounting:
   * two F16 values per layer, position and KV dimension. */
  r->n_ctx = (gint64) (kv_cache_bytes / (4 * (gsize) MAX (s.n_layers, 1) *
                                         (gsize) MAX (config->n_head_kv * config->head_dim, 1)));
  r->n_layers = s.n_layers;
  r->engine_supported = bendi_fit_model_get_engine_supported (model);
  r->weights_bytes = bendi_fit_model_get_weights_bytes (model);
  r->kv_cache_bytes = s.kv_per_layer_bytes * (guint64) s.n_layers;
  r->bytes_per_token = bendi_fit_model_get_bytes_per_token (model);

  /* Which GPU, if any. */
  if (params->gpu >= 0 && (guint) params->gpu < hw->gpus->len &&
      ((const BendiHwGpu *) g_ptr_array_index (hw->gpus, params->gpu))->usable)
    r->gpu = params->gpu;
  else
    r->gpu = choose_gpu (&s, hw);
  if (r->gpu < 0)
    why = BENDI_FIT_WHY_NO_GPU;
  room = room_for (hw, r->gpu);

  /* How many layers on it. */
  if (params->gpu_layers >= 0)
    {
      n = r->gpu >= 0 ? MIN (params->gpu_layers, s.n_layers) : 0;
      if (r->gpu >= 0)
        why = BENDI_FIT_WHY_FORCED;
      if (placement_fits (&s, &room, n, &missing_gpu, &missing_ram))
        r->verdict = n == s.n_layers ? BENDI_FIT_VERDICT_GPU : n > 0 ? BENDI_FIT_VERDICT_PARTIAL : BENDI_FIT_VERDICT_CPU;
      else
        r->verdict = BENDI_FIT_VERDICT_NO;
    }
  else
    {
      n = most_layers (&s, &room);
      if (n >= 0)
        r->verdict = n == s.n_layers ? BENDI_FIT_VERDICT_GPU : n > 0 ? BENDI_FIT_VERDICT_PARTIAL : BENDI_FIT_VERDICT_CPU;
      else
        {
          r->verdict = BENDI_FIT_VERDICT_NO;
          n = least_missing (&s, &room, &missing_ram);
        }
    }
  r->gpu_layers = n;
  r->missing_gpu_bytes = missing_gpu;
  r->missing_ram_bytes = missing_ram;

  r->gpu_bytes = gpu_need (&s, n);
  r->ram_bytes = ram_need (&s, n);
  r->total_bytes = r->gpu_bytes + r->ram_bytes;
  r->buffers_bytes = (n > 0 ? s.scratch_bytes : 0) + (n < s.n_layers ? s.scratch_bytes : 0);
  r->overhead_bytes = r->total_bytes - r->weights_bytes - r->kv_cache_bytes - r->buffers_bytes;
  r->gpu_free_bytes = room.gpu_free;
  r->ram_free_bytes = room.ram_free;

  estimate_speed (r, model, hw, &room);
  r->explanation = bendi_fit_explain (r, model, hw, why);
  return r;
}
