/* SPDX-License-Identifier: MIT */
/* Choosing the GPU part of a context: devices, layers, shader variants, and the self-check that keeps a bad driver from chatting nonsense. */
#include "model/backend.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "engine-error.h"
#include "vulkan/vk-device.h"
#include "vulkan/vk-ops.h"

/* ------------------------------------------------------------------------ */
/* Drivers known to compute garbage */

typedef struct {
  guint32             vendor_id;
  const char         *driver_name;   /* a part of VkPhysicalDeviceDriverProperties.driverName; NULL: any */
  const char         *device_name;   /* a part of the device's name; NULL: any */
  BendiVkFastPath     disable;       /* the fast paths it breaks; BENDI_VK_FAST_ALL: the portable shaders only */
  const char         *why;
} KnownBad;

/* Devices whose drivers have produced gibberish under other engines' Vulkan
 * backends while the CPU was right: the fast paths of the entry (subgroup
 * operations, fp16 arithmetic, int8 dot products; all of them, CPU-device
 * kernels too, for BENDI_VK_FAST_ALL) are turned off, and the self-check
 * still decides whether even the portable shaders may run. Matched by
 * vendor, driver and device name; extend as reports come in, naming only
 * the fast paths a report shows broken. */
static const KnownBad known_bad[] = {
  /* llama.cpp issue 17106: gibberish on Iris Xe (TGL GT2) with Mesa's ANV. */
  { 0x8086, "Intel open-source Mesa driver", "Xe Graphics", BENDI_VK_FAST_ALL,
    "Intel Iris Xe with Mesa's driver has computed garbage for other engines' shaders" },
  /* llama.cpp issues 12096 and 20097, ollama issue 15328: Arc GPUs. */
  { 0x8086, NULL, "Arc", BENDI_VK_FAST_ALL,
    "Intel Arc drivers have computed garbage for other engines' shaders" },
};

static gboolean
contains (const char *text,
          const char *part)
{
  return part == NULL || (text != NULL && strstr (text, part) != NULL);
}

const char *
bendi_backend_known_bad (const BendiVkDeviceInfo *info,
                         BendiVkFastPath         *disable)
{
  for (gsize i = 0; i < G_N_ELEMENTS (known_bad); i++)
    {
      const KnownBad *bad = &known_bad[i];

      if (bad->vendor_id == info->vendor_id && contains (info->driver_name, bad->driver_name) &&
          contains (info->name, bad->device_name))
        {
          if (disable != NULL)
            *disable = bad->disable;
          return bad->why;
        }
    }
  if (disable != NULL)
    *disable = 0;
  return NULL;
}

BendiVkFastPath
bendi_backend_fast_paths_from_names (const char *names)
{
  g_auto (GStrv) parts = g_strsplit (names != NULL ? names : "", ",", -1);
  BendiVkFastPath paths = 0;

  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *name = g_strstrip (parts[i]);

      if (g_str_equal (name, "subgroup"))
        paths |= BENDI_VK_FAST_SUBGROUP;
      else if (g_str_equal (name, "fp16"))
        paths |= BENDI_VK_FAST_FP16;
      else if (g_str_equal (name, "int8"))
        paths |= BENDI_VK_FAST_INT8;
      else if (g_str_equal (name, "int8-dot"))
        paths |= BENDI_VK_FAST_INT8_DOT;
      else if (g_str_equal (name, "coopmat"))
        paths |= BENDI_VK_FAST_COOPMAT;
    }
  return paths;
}

/* ------------------------------------------------------------------------ */
/* Devices and layers */

/* Discrete GPUs first, then integrated, virtual, other; CPU devices last,
 * and never under the auto backend: lavapipe is slower than the CPU path. */
static int
device_rank (const BendiVkDeviceInfo *info)
{
  switch (info->type)
    {
    case BENDI_VK_DEVICE_TYPE_DISCRETE:
      return 4;
    case BENDI_VK_DEVICE_TYPE_INTEGRATED:
      return 3;
    case BENDI_VK_DEVICE_TYPE_VIRTUAL:
      return 2;
    case BENDI_VK_DEVICE_TYPE_OTHER:
      return 1;
    case BENDI_VK_DEVICE_TYPE_CPU:
    default:
      return 0;
    }
}

/* The device to use when none is named, or -1. */
static gint
best_device (GPtrArray *infos,
             gboolean   allow_cpu)
{
  gint best = -1;

  for (guint i = 0; i < infos->len; i++)
    {
      const BendiVkDeviceInfo *info = g_ptr_array_index (infos, i);
      const BendiVkDeviceInfo *current = best >= 0 ? g_ptr_array_index (infos, best) : NULL;

      if (!info->usable || (!allow_cpu && info->type == BENDI_VK_DEVICE_TYPE_CPU))
        continue;
      if (current == NULL || device_rank (info) > device_rank (current) ||
          (device_rank (info) == device_rank (current) && info->device_local_bytes > current->device_local_bytes))
        best = (gint) i;
    }
  return best;
}

static gsize
matrix_bytes (const BendiMatrix *m)
{
  return m->row_bytes * (gsize) m->n_rows;
}

/* Bytes one layer takes on a GPU: its weights and KV cache. */
static gsize
layer_bytes (const BendiModelConfig  *c,
             const BendiLayerWeights *l,
             gint64                   n_ctx)
{
  gsize kv = 2 * (gsize) n_ctx * (gsize) (c->n_head_kv * c->head_dim) * sizeof (guint16);

  return matrix_bytes (&l->wq) + matrix_bytes (&l->wk) + matrix_bytes (&l->wv) + matrix_bytes (&l->wo) +
         matrix_bytes (&l->ffn_gate) + matrix_bytes (&l->ffn_up) + matrix_bytes (&l->ffn_down) +
         (gsize) (2 * c->n_embd + 4 * c->n_head * c->head_dim) * sizeof (float) + kv;
}

/* The engine's own rule for BENDI_GPU_LAYERS_AUTO, for callers without the
 * hardware probe's fit estimator: as many layers as the devices' memory
 * budgets hold after the activations, with a tenth kept free for the
 * driver; every layer only if the output fits too. */
static gint64
fit_layers (BendiModel               *model,
            GPtrArray                *infos,
            const BendiContextParams *params,
            const guint              *devices,
            guint                     n_devices,
            gint64                    n_ctx,
            gint64                    n_batch)
{
  const BendiModelConfig *c = bendi_model_get_config (model);
  const BendiModelWeights *w = bendi_model_get_weights (model);
  gint64 q_dim = c->n_head * c->head_dim, kv_dim = c->n_head_kv * c->head_dim;
  gsize activations = sizeof (float) * (gsize) n_batch *
                      (gsize) (4 * c->n_embd + 2 * q_dim + 2 * kv_dim + 2 * c->n_ff + c->n_rot);
  gsize output = matrix_bytes (&w->output) + sizeof (float) * (gsize) (c->n_embd + c->n_vocab);
  gsize free_bytes = 0, used = 0;
  gint64 n = 0;

  (void) params;
  for (guint d = 0; d < n_devices; d++)
    {
      const BendiVkDeviceInfo *info = g_ptr_array_index (infos, devices[d]);
      guint64 budget = info->has_memory_budget ? info->budget_bytes - MIN (info->budget_bytes, info->usage_bytes)
                                               : info->device_local_bytes;

      budget = budget / 10 * 9;
      free_bytes += budget > activations ? budget - activations : 0;
    }
  while (n < c->n_layer && used + layer_bytes (c, &w->layers[n], n_ctx) <= free_bytes)
    used += layer_bytes (c, &w->layers[n++], n_ctx);
  if (n == c->n_layer && used + output > free_bytes)
    n--;
  return n;
}

#define NO_DEVICE "No usable Vulkan device"
#define ONLY_CPU_DEVICE "The only Vulkan device is a CPU device, slower than the CPU path"

/* Under AUTO, a reason for the CPU goes to @notes (with the warnings,
 * unless there was no GPU to try) and nothing fails; under VULKAN it is
 * the error. */
static gboolean G_GNUC_PRINTF (6, 7)
give_up (const BendiContextParams *params,
         BendiBackendNotes        *notes,
         gboolean                  no_gpu,
         GError                   *cause,
         GError                  **error,
         const char               *format,
         ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  if (params->backend == BENDI_BACKEND_AUTO)
    {
      g_string_append_printf (no_gpu ? notes->no_gpu : notes->warnings, "%s: the CPU runs this model.\n", message);
      g_clear_error (&cause);
      return TRUE;
    }
  g_set_error_literal (error, BENDI_ENGINE_ERROR,
                       cause != NULL && cause->domain == BENDI_ENGINE_ERROR ? cause->code
                                                                            : BENDI_ENGINE_ERROR_UNSUPPORTED,
                       message);
  g_clear_error (&cause);
  return FALSE;
}

gboolean
bendi_backend_start_gpu (BendiModel               *model,
                         const BendiContextParams *params,
                         gint64                    n_ctx,
                         gint64                    n_batch,
                         gboolean                  portable,
                         BendiBackendNotes        *notes,
                         BendiVkForward          **gpu,
                         GError                  **error)
{
  const BendiModelConfig *c = bendi_model_get_config (model);
  g_autoptr (GPtrArray) infos = NULL;
  GError *local_error = NULL;
  BendiVkForwardParams forward = { .n_ctx = n_ctx, .n_batch = n_batch };
  const char *validation = g_getenv ("BENDI_VULKAN_VALIDATION");
  const char *max_binding = g_getenv ("BENDI_VULKAN_TEST_MAX_BINDING");

  *gpu = NULL;
  /* Under auto with no device named, first ask a child process whether
   * there is a GPU at all: on a machine without one no driver gets loaded
   * here (see vk-probe.c). */
  if (params->backend == BENDI_BACKEND_AUTO && params->n_devices == 0)
    {
      g_autofree char *reason = NULL;

      switch (bendi_vk_probe_in_child (&reason))
        {
        case BENDI_VK_PROBE_NO_VULKAN:
          return give_up (params, notes, TRUE, NULL, error, "No Vulkan: %s", reason);
        case BENDI_VK_PROBE_NO_DEVICE:
          return give_up (params, notes, TRUE, NULL, error, "%s", NO_DEVICE);
        case BENDI_VK_PROBE_BROKEN:
          return give_up (params, notes, FALSE, NULL, error, "%s", reason);
        case BENDI_VK_PROBE_CPU_ONLY:
          return give_up (params, notes, TRUE, NULL, error, "%s", ONLY_CPU_DEVICE);
        case BENDI_VK_PROBE_GPU:
        case BENDI_VK_PROBE_FAILED:
        default:
          break;
        }
    }
  infos = bendi_vk_list_devices (&local_error);
  if (infos == NULL)
    return give_up (params, notes, TRUE, local_error, error, "No Vulkan: %s", local_error->message);

  /* The devices: those named, or the best one. */
  if (params->n_devices > 0)
    for (guint d = 0; d < params->n_devices; d++)
      {
        const BendiVkDeviceInfo *info;

        if (params->devices[d] >= infos->len)
          return give_up (params, notes, FALSE, NULL, error, "There is no Vulkan device %u (%u found)",
                          params->devices[d], infos->len);
        info = g_ptr_array_index (infos, params->devices[d]);
        if (!info->usable)
          return give_up (params, notes, FALSE, NULL, error, "Vulkan device %u (%s) cannot be used: %s",
                          params->devices[d], info->name, info->unusable_reason);
        forward.devices[forward.n_devices] = params->devices[d];
        forward.split[forward.n_devices++] = params->split[d];
      }
  else
    {
      gint best = best_device (infos, params->backend != BENDI_BACKEND_AUTO);

      /* Under vulkan a CPU device would have been taken. */
      if (best < 0)
        return give_up (params, notes, TRUE, NULL, error, "%s",
                        bendi_vk_probe_devices (infos) == BENDI_VK_PROBE_CPU_ONLY ? ONLY_CPU_DEVICE : NO_DEVICE);
      forward.devices[forward.n_devices++] = (guint) best;
    }

  /* Fast paths off for drivers known to compute garbage, and as the
   * environment says (a driver the table does not know yet). */
  forward.disabled_fast_paths = bendi_backend_fast_paths_from_names (g_getenv ("BENDI_VULKAN_DISABLE"));
  for (guint d = 0; d < forward.n_devices && !portable; d++)
    {
      const BendiVkDeviceInfo *info = g_ptr_array_index (infos, forward.devices[d]);
      BendiVkFastPath disable = 0;
      const char *why = bendi_backend_known_bad (info, &disable);

      if (why != NULL && disable == BENDI_VK_FAST_ALL)
        {
          g_string_append_printf (notes->warnings, "%s: the portable shaders only.\n", why);
          portable = TRUE;
        }
      else if (why != NULL)
        {
          g_autofree char *names = bendi_vk_fast_paths_describe (disable);

          g_string_append_printf (notes->warnings, "%s: no %s shaders.\n", why, names);
          forward.disabled_fast_paths |= disable;
        }
    }
  forward.portable = portable;
  forward.gpu_kernels = portable || (params->flags & BENDI_CONTEXT_GPU_SHADERS) != 0;
  forward.forced_fast_paths = bendi_backend_fast_paths_from_names (g_getenv ("BENDI_VULKAN_FORCE"));
  if (params->flags & BENDI_CONTEXT_INT8_SHADERS)
    forward.forced_fast_paths |= BENDI_VK_FAST_INT8 | BENDI_VK_FAST_INT8_DOT;
  if (params->flags & BENDI_CONTEXT_FP16_SHADERS)
    forward.forced_fast_paths |= BENDI_VK_FAST_FP16;
  if (params->flags & BENDI_CONTEXT_COOPMAT_SHADERS)
    forward.forced_fast_paths |= BENDI_VK_FAST_COOPMAT;
  if (params->flags & BENDI_CONTEXT_F32_SHADERS)
    forward.disabled_fast_paths |= (BENDI_VK_FAST_FP16 | BENDI_VK_FAST_INT8 | BENDI_VK_FAST_INT8_DOT |
                                    BENDI_VK_FAST_COOPMAT) & ~forward.forced_fast_paths;
  forward.time_dispatches = (params->flags & BENDI_CONTEXT_GPU_TIMES) != 0;
  forward.progress = params->progress;
  forward.progress_data = params->progress_data;
  forward.validation = (params->flags & BENDI_CONTEXT_VULKAN_VALIDATION) != 0 ||
                       (validation != NULL && g_str_equal (validation, "1"));
  /* Tests: bindings as small as a large vocabulary's logits make them. */
  if (max_binding != NULL)
    forward.max_binding_bytes = g_ascii_strtoull (max_binding, NULL, 10);

  /* The layers: as asked, or as many as fit (fewer again when allocating
   * them fails). */
  if (params->n_gpu_layers == BENDI_GPU_LAYERS_ALL)
    forward.n_layers = c->n_layer;
  else if (params->n_gpu_layers == BENDI_GPU_LAYERS_AUTO)
    forward.n_layers = fit_layers (model, infos, params, forward.devices, forward.n_devices, n_ctx, n_batch);
  else
    forward.n_layers = MIN (params->n_gpu_layers, c->n_layer);

  for (;;)
    {
      const BendiVkDeviceInfo *info = g_ptr_array_index (infos, forward.devices[0]);

      if (forward.n_layers <= 0)
        {
          if (params->n_gpu_layers == BENDI_GPU_LAYERS_AUTO)
            g_string_append_printf (notes->warnings, "No layer fits %s's memory: the CPU runs this model.\n",
                                    info->name);
          return TRUE;
        }
      *gpu = bendi_vk_forward_new (model, &forward, &local_error);
      if (*gpu != NULL)
        return TRUE;
      /* The caller's own cancel is no GPU failure to fall back from. */
      if (g_error_matches (local_error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_CANCELLED))
        {
          g_propagate_error (error, local_error);
          return FALSE;
        }
      if (params->n_gpu_layers != BENDI_GPU_LAYERS_AUTO ||
          !g_error_matches (local_error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_NO_MEMORY))
        return give_up (params, notes, FALSE, local_error, error, "Vulkan: %s", local_error->message);
      g_string_append_printf (notes->warnings, "%" G_GINT64_FORMAT " layers did not fit (%s); trying fewer.\n",
                              forward.n_layers, local_error->message);
      g_clear_error (&local_error);
      forward.n_layers = forward.n_layers * 3 / 4;
    }
}

/* ------------------------------------------------------------------------ */
/* The self-check */

/* RMS of (a − b) over the RMS of b around its mean. */
static double
relative_difference (const float *a,
                     const float *b,
                     gint64       n)
{
  double mean = 0.0, spread = 0.0, diff = 0.0;

  for (gint64 i = 0; i < n; i++)
    mean += b[i];
  mean /= (double) n;
  for (gint64 i = 0; i < n; i++)
    {
      spread += (b[i] - mean) * (b[i] - mean);
      diff += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
    }
  if (!isfinite (diff))
    return INFINITY;
  return spread > 0.0 ? sqrt (diff / spread) : sqrt (diff);
}

gboolean
bendi_backend_self_check (BendiContext      *ctx,
                          BendiBackendCheck *check,
                          GError           **error)
{
  BendiModel *model = bendi_context_get_model (ctx);
  const BendiModelConfig *c = bendi_model_get_config (model);
  g_autoptr (BendiContext) cpu = NULL;
  BendiContextParams params;
  BendiToken tokens[BENDI_VK_MATVEC_MAX_TOKENS + 3];
  gint64 n_tokens = MIN ((gint64) G_N_ELEMENTS (tokens), bendi_context_get_n_ctx (ctx));
  /* A prompt, then single tokens: both kinds of recording, and a prompt
   * long enough for the prompt kernels (tiled, or cooperative matrices). */
  gint64 n_prompt = MAX (1, n_tokens - 2);
  gboolean ok = TRUE;

  check->passed = TRUE;
  check->difference = 0.0;
  for (gint64 i = 0; i < n_tokens; i++)
    tokens[i] = (BendiToken) ((1 + i * 7919) % c->n_vocab);

  bendi_context_params_init (&params);
  params.n_ctx = n_tokens;
  params.n_batch = n_tokens;
  params.n_threads = bendi_context_get_n_threads (ctx);
  cpu = bendi_context_new (model, &params, error);
  if (cpu == NULL)
    return FALSE;

  bendi_context_truncate (ctx, 0);
  for (gint64 done = 0; done < n_tokens && ok; )
    {
      gint64 n = done == 0 ? n_prompt : 1;

      ok = bendi_context_decode (ctx, tokens + done, n, FALSE, error) &&
           bendi_context_decode (cpu, tokens + done, n, FALSE, error);
      /* A GPU lost on the way has handed over to the CPU already. */
      if (ok && bendi_context_get_backend (ctx) == BENDI_BACKEND_CPU)
        break;
      if (ok)
        check->difference = MAX (check->difference,
                                 relative_difference (bendi_context_get_logits (ctx, -1),
                                                      bendi_context_get_logits (cpu, -1), c->n_vocab));
      done += n;
    }
  bendi_context_truncate (ctx, 0);
  check->passed = check->difference <= BENDI_BACKEND_CHECK_TOLERANCE;
  return ok;
}
