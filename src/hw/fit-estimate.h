/* SPDX-License-Identifier: MIT */
/* Will this model run here, where, and how fast: the one fit estimator the CLI, the app and `--gpu-layers auto` share.
 *
 * Memory: weights (exact, by tensor) + KV cache and compute buffers (the
 * engine's own accounting, bendi_context_estimate_memory ()) + the
 * runtime's own memory, calibrated against the engine's peak resident
 * memory. What is free: the GPU's memory budget less what is in use, the
 * RAM not in use (and under any cgroup limit); an integrated GPU's memory
 * is the system RAM, counted once.
 *
 * Placement: all layers on one GPU, the last N of M layers on the GPU and
 * the rest in RAM (the embeddings and output stay with the CPU unless
 * every layer is on the GPU), all on the CPU, or does not fit (and what
 * is missing).
 *
 * Speed: generating a token reads every weight it uses once, so it takes
 * at least the bytes each device reads ÷ its measured bandwidth, times an
 * efficiency calibrated against `bendi-cli bench`; a mixture-of-experts
 * model reads only its active experts.
 */
#pragma once

#include <glib.h>

#include "fit-model.h"
#include "hw-info.h"

G_BEGIN_DECLS

/* The runtime's resident memory besides weights, KV cache and scratch: the
 * program, its libraries, the tokenizer's tables (which grow with the
 * vocabulary) and allocator slack. Calibrated against the peak resident
 * memory of `bendi-cli generate --ctx 2048` filling its context, on
 * stories260K and a TinyLlama-shaped model (tests/hw-calibrate.sh). */
#define BENDI_FIT_CPU_OVERHEAD_BYTES ((guint64) 7 * 1000 * 1000)
#define BENDI_FIT_CPU_OVERHEAD_PER_VOCAB_TOKEN 100

/* A Vulkan device's own allocations (driver context, command buffers,
 * pipelines, descriptor pools). Not calibrated yet, for want of a GPU:
 * llama.cpp's Vulkan backend shows a few hundred MB per device. */
#define BENDI_FIT_GPU_OVERHEAD_BYTES ((guint64) 300 * 1000 * 1000)

/* The share of the measured read bandwidth that generation reaches
 * (attention, norms and thread hand-offs cost time too). CPU: `bendi-cli
 * bench` against the bandwidth measured in the same run
 * (tests/hw-calibrate.sh). GPU: not calibrated yet; the Vulkan backend's
 * target is 85%, and the GPU is measured with that backend's own matrix ×
 * vector shader. */
#define BENDI_FIT_CPU_EFFICIENCY 0.80
#define BENDI_FIT_GPU_EFFICIENCY 0.85

typedef enum {
  BENDI_FIT_VERDICT_GPU,      /* every layer on the GPU */
  BENDI_FIT_VERDICT_PARTIAL,  /* some layers on the GPU, the rest in RAM */
  BENDI_FIT_VERDICT_CPU,      /* all in RAM, on the CPU */
  BENDI_FIT_VERDICT_NO,       /* does not fit */
} BendiFitVerdict;

/* "gpu", "partial", "cpu", "no" */
const char *bendi_fit_verdict_name (BendiFitVerdict verdict);

#define BENDI_FIT_GPU_LAYERS_AUTO (-1)

typedef struct {
  gint64 n_ctx;        /* 0: as the engine picks: the model's, at most 4096 */
  gint64 gpu_layers;   /* BENDI_FIT_GPU_LAYERS_AUTO: as many as fit */
  int    gpu;          /* index into hw->gpus; -1: the one that holds most */
  int    n_threads;    /* 0: hw->logical_cores */
} BendiFitParams;

void bendi_fit_params_init (BendiFitParams *params);

typedef struct {
  BendiFitVerdict verdict;
  gint64          n_ctx;
  gint64          n_layers;
  gint64          gpu_layers;            /* on the GPU: the last ones */
  int             gpu;                   /* index into hw->gpus, -1: none used or chosen */

  /* total = weights + KV cache + buffers + overhead, wherever they are. */
  guint64         weights_bytes;
  guint64         kv_cache_bytes;
  guint64         buffers_bytes;         /* scratch, on each device in use */
  guint64         overhead_bytes;        /* the runtime itself */
  guint64         total_bytes;
  guint64         gpu_bytes;             /* of the total, on the GPU */
  guint64         ram_bytes;             /* of the total, in RAM */
  guint64         gpu_free_bytes;        /* what the GPU could take */
  guint64         ram_free_bytes;        /* what the RAM could take */
  guint64         missing_gpu_bytes;     /* verdict NO: how much more is needed */
  guint64         missing_ram_bytes;

  guint64         bytes_per_token;       /* weights read per generated token */
  guint64         gpu_bytes_per_token;   /* of those, on the GPU */
  double          cpu_bandwidth_gbps;    /* measured; 0: unknown */
  double          gpu_bandwidth_gbps;
  double          cpu_efficiency;        /* the share of it generation reaches */
  double          gpu_efficiency;
  double          est_gen_tokens_per_s;  /* 0: unknown (a bandwidth not measured) or NO */

  gboolean        engine_supported;
  /* The arithmetic in the user's language, one sentence a line. When the
   * model does not fit (and the GPU layers were not forced), the last but
   * one line suggests a server (bendi_fit_server_gpus ()). */
  char           *explanation;
} BendiFitResult;

/* For a model that does not fit here: the GPUs of one common size (24, 48
 * or 80 GB) a server needs to hold its weights, KV cache and buffers, each
 * GPU giving 90% of its memory (vLLM's default share) less its runtime's
 * own. One 24 or 48 GB GPU when that is enough, else 80 GB GPUs, as many
 * as needed rounded up to a power of two (tensor parallelism splits the
 * attention heads evenly). Returns the count and sets *@gpu_gb and
 * *@needed_bytes (weights, KV cache and one device's buffers; may be NULL). */
guint           bendi_fit_server_gpus (const BendiFitResult *result,
                                       guint                *gpu_gb,
                                       guint64              *needed_bytes);

/* Where @model fits on @hw and how fast it would generate. @params may be
 * NULL for the defaults. */
BendiFitResult *bendi_fit_estimate    (const BendiFitModel  *model,
                                       const BendiHwInfo    *hw,
                                       const BendiFitParams *params) G_GNUC_WARN_UNUSED_RESULT;
void            bendi_fit_result_free (BendiFitResult       *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiFitResult, bendi_fit_result_free)

G_END_DECLS
