/* SPDX-License-Identifier: MIT */
/* Catalogue entries sized by their parameter count: enough to recommend and to chart, never to decide a placement. */
#define G_LOG_DOMAIN "bendi-app"

#include "catalogue-fit.h"

#include <math.h>

/* KV cache bytes per token of context, f16, for a grouped-query model of
 * this size: 0.5B models hold about 12 kB, 8B about 130 kB, 70B about 330 kB;
 * 40 kB × √(billions of parameters) is within a factor of two of each. */
static guint64
kv_bytes_per_token (gint64 n_params)
{
  return (guint64) (40000.0 * sqrt ((double) n_params / 1e9));
}

/* Scratch buffers and the runtime: a few percent of the weights plus the
 * tokenizer's tables, as the estimator's calibration found. */
static guint64
buffers_bytes (guint64 weights)
{
  return weights / 32 + BENDI_FIT_CPU_OVERHEAD_BYTES + (guint64) 150000 * BENDI_FIT_CPU_OVERHEAD_PER_VOCAB_TOKEN;
}

guint64
bendi_catalogue_fit_weights_bytes (gint64 n_params)
{
  return (guint64) ((double) MAX (n_params, 0) * BENDI_CATALOGUE_FIT_BITS_PER_WEIGHT / 8.0);
}

const BendiHwGpu *
bendi_catalogue_fit_offload_gpu (const BendiHwInfo *hw)
{
  const BendiHwGpu *best = NULL;

  for (guint i = 0; hw->gpus != NULL && i < hw->gpus->len; i++)
    {
      const BendiHwGpu *gpu = g_ptr_array_index (hw->gpus, i);

      if (!gpu->usable || gpu->type == BENDI_VK_DEVICE_TYPE_CPU)
        continue;
      if (best == NULL || gpu->vram_free_bytes > best->vram_free_bytes)
        best = gpu;
    }
  return best;
}

void
bendi_catalogue_fit_estimate (const BendiHubCatalogueEntry *entry,
                              const BendiHwInfo            *hw,
                              gint64                        n_ctx,
                              BendiCatalogueFit            *fit)
{
  const BendiHwGpu *gpu = bendi_catalogue_fit_offload_gpu (hw);
  guint64 gpu_free = 0, ram_free = hw->ram_available_bytes;
  guint64 bytes_per_token;
  double cpu_rate = hw->cpu_bandwidth_gbps * 1e9 * BENDI_FIT_CPU_EFFICIENCY;
  double gpu_rate = 0.0;

  if (n_ctx <= 0)
    n_ctx = entry->context_length > 0 ? MIN (entry->context_length, 4096) : 4096;
  fit->weights_bytes = bendi_catalogue_fit_weights_bytes (entry->params_total);
  fit->total_bytes = fit->weights_bytes + kv_bytes_per_token (entry->params_total) * (guint64) n_ctx +
                     buffers_bytes (fit->weights_bytes);
  /* A mixture of experts reads only the experts each token uses. */
  bytes_per_token = entry->params_total > 0
                    ? (guint64) ((double) fit->weights_bytes * (double) entry->params_active /
                                 (double) entry->params_total)
                    : fit->weights_bytes;

  if (gpu != NULL)
    {
      /* An integrated GPU's memory is the RAM, counted once. */
      gpu_free = gpu->uma ? MIN (gpu->vram_free_bytes, ram_free) : gpu->vram_free_bytes;
      gpu_free = gpu_free > BENDI_FIT_GPU_OVERHEAD_BYTES ? gpu_free - BENDI_FIT_GPU_OVERHEAD_BYTES : 0;
      gpu_rate = gpu->bandwidth_gbps * 1e9 * BENDI_FIT_GPU_EFFICIENCY;
    }

  fit->tokens_per_s = 0.0;
  if (gpu != NULL && fit->total_bytes <= gpu_free)
    {
      fit->verdict = BENDI_FIT_VERDICT_GPU;
      if (gpu_rate > 0.0)
        fit->tokens_per_s = gpu_rate / (double) bytes_per_token;
    }
  else if (gpu != NULL && !gpu->uma && gpu_free > fit->total_bytes / 16 &&
           fit->total_bytes <= gpu_free + ram_free)
    {
      double on_gpu = (double) gpu_free / (double) fit->total_bytes;

      fit->verdict = BENDI_FIT_VERDICT_PARTIAL;
      if (gpu_rate > 0.0 && cpu_rate > 0.0)
        fit->tokens_per_s = 1.0 / ((double) bytes_per_token * on_gpu / gpu_rate +
                                   (double) bytes_per_token * (1.0 - on_gpu) / cpu_rate);
    }
  else if (fit->total_bytes <= ram_free)
    {
      fit->verdict = BENDI_FIT_VERDICT_CPU;
      if (cpu_rate > 0.0)
        fit->tokens_per_s = cpu_rate / (double) bytes_per_token;
    }
  else
    fit->verdict = BENDI_FIT_VERDICT_NO;
}

const BendiHubFileGroup *
bendi_catalogue_fit_choose_group (GPtrArray                    *groups,
                                  const BendiHubCatalogueEntry *entry)
{
  const BendiHubFileGroup *best = NULL;
  int best_score = -1;

  for (guint i = 0; groups != NULL && i < groups->len; i++)
    {
      const BendiHubFileGroup *group = g_ptr_array_index (groups, i);
      int score = 0;

      if (entry != NULL && entry->recommended_file != NULL)
        for (guint j = 0; j < group->parts->len; j++)
          if (g_strcmp0 (((const BendiHubFile *) g_ptr_array_index (group->parts, j))->path,
                         entry->recommended_file) == 0)
            score += 8;
      /* The usual sweet spot of size and quality. */
      if (g_strcmp0 (group->quant, "Q4_K_M") == 0)
        score += 4;
      if (group->parts->len == 1)
        score += 2;
      if (score > best_score)
        {
          best = group;
          best_score = score;
        }
    }
  return best;
}
