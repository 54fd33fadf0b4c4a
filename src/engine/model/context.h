/* SPDX-License-Identifier: MIT */
/* An inference context: the KV cache, scratch memory and threads for running a model, on the CPU or with its first layers on Vulkan GPUs. */
#pragma once

#include <glib.h>

#include "model/model.h"

G_BEGIN_DECLS

typedef struct _BendiContext BendiContext;

typedef enum {
  BENDI_BACKEND_CPU,     /* every layer on the CPU */
  BENDI_BACKEND_VULKAN,  /* Vulkan devices (lavapipe when it is the only one); failing to start one is an error */
  BENDI_BACKEND_AUTO,    /* a real GPU that passes the self-check, else the CPU; never a CPU device like lavapipe */
} BendiBackend;

/* "cpu", "vulkan", "auto"; and back (FALSE for another name). */
const char *bendi_backend_name       (BendiBackend  backend);
gboolean    bendi_backend_from_name  (const char   *name,
                                      BendiBackend *out);

/* n_gpu_layers: every layer (and the output) on the GPUs, or as many as
 * the devices' memory budget holds, fewer again if allocating them fails. */
#define BENDI_GPU_LAYERS_ALL   (-1)
#define BENDI_GPU_LAYERS_AUTO  (-2)
#define BENDI_MAX_GPUS 8

typedef enum {
  BENDI_CONTEXT_DEFAULT           = 0,
  /* Vulkan under the Khronos validation layer (also BENDI_VULKAN_VALIDATION=1). */
  BENDI_CONTEXT_VULKAN_VALIDATION = 1 << 0,
  /* Skip the load-time comparison of the GPU's logits with the CPU's. */
  BENDI_CONTEXT_NO_SELF_CHECK     = 1 << 1,
  /* Only the portable shaders: no subgroup or CPU-device fast paths. */
  BENDI_CONTEXT_PORTABLE_SHADERS  = 1 << 2,
  /* Tests: the shaders shaped for GPUs even on a CPU device (lavapipe). */
  BENDI_CONTEXT_GPU_SHADERS       = 1 << 3,
  /* Tests and benchmarks: the int8 matrix × vector shaders (with the
   * integer dot product where the device has it) and the fp16 ones, even
   * where the driver does not accelerate them or on a CPU device; also
   * BENDI_VULKAN_FORCE=int8-dot,int8,fp16,coopmat. BENDI_VULKAN_DISABLE
   * takes the same names (and subgroup) to turn fast paths off. */
  BENDI_CONTEXT_INT8_SHADERS      = 1 << 4,
  BENDI_CONTEXT_FP16_SHADERS      = 1 << 5,
  /* Tests and benchmarks: prompts on cooperative matrices even on a CPU
   * device that has them (lavapipe from Mesa 25.2 on). */
  BENDI_CONTEXT_COOPMAT_SHADERS   = 1 << 6,
  /* Tests: no reduced-precision fast path (fp16, int8, cooperative
   * matrices) unless the flags above force it, where a GPU would use one
   * by default: for comparisons that must differ by summation order only. */
  BENDI_CONTEXT_F32_SHADERS       = 1 << 7,
  /* Benchmarks: time every dispatch of generation on the GPUs with
   * timestamp queries (bendi_context_get_gpu_times ()). */
  BENDI_CONTEXT_GPU_TIMES         = 1 << 8,
} BendiContextFlags;

typedef struct {
  gint64            n_ctx;       /* positions the KV cache holds; 0: the model's, at most 4096 */
  gint64            n_batch;     /* tokens per forward pass of a long prompt; 0: 512 */
  int               n_threads;   /* 0: one per processor */
  BendiBackend      backend;     /* BENDI_BACKEND_CPU by default */
  /* The first n_gpu_layers layers' weights and KV cache go to the GPUs,
   * the rest run on the CPU (one transfer of the activations between); a
   * count, BENDI_GPU_LAYERS_ALL (the default) or BENDI_GPU_LAYERS_AUTO.
   * Callers with the hardware probe resolve "auto" with its fit estimator
   * and pass the count. */
  gint64            n_gpu_layers;
  /* Indices of bendi_vk_list_devices () to split the layers across, in
   * proportion to split[] (all zero: evenly); the same index twice opens
   * the device twice. 0 devices: the best one. */
  guint             n_devices;
  guint             devices[BENDI_MAX_GPUS];
  double            split[BENDI_MAX_GPUS];
  BendiContextFlags flags;
  /* Called as the weights go to the GPUs, with the fraction done (again
   * from 0 if the self-check sends them up a second time with the
   * portable shaders); FALSE cancels, and bendi_context_new () then fails
   * with CANCELLED under any backend, everything freed. NULL: none. */
  BendiProgressFunc progress;
  gpointer          progress_data;
} BendiContextParams;

void bendi_context_params_init (BendiContextParams *params);

/* What a context allocates, so the fit estimator uses the engine's own
 * accounting: the KV cache, and the scratch of the largest batch (the
 * activations of every step, logits, attention scores, quantised
 * activations for the matrix products). Parameters as for
 * bendi_context_new (); 0 picks the same defaults. */
void bendi_context_estimate_memory (const BendiModelConfig   *config,
                                    const BendiContextParams *params,
                                    gsize                    *kv_cache_bytes,
                                    gsize                    *scratch_bytes);

/* Polled between layers: return TRUE to abandon the current decode. */
typedef gboolean (*BendiAbortFunc) (gpointer user_data);

/* A context on the backend @params asks for. Vulkan errors (no loader, no
 * device, out of GPU memory, a driver failing the self-check) are errors
 * under BENDI_BACKEND_VULKAN, with the device named, and under AUTO a
 * fallback to the CPU that bendi_context_get_backend_note () explains. A
 * GPU whose logits disagree with the CPU's is retried with the portable
 * shaders, then left for the CPU, under either. */
BendiContext *bendi_context_new  (BendiModel               *model,
                                  const BendiContextParams *params,
                                  GError                  **error) G_GNUC_WARN_UNUSED_RESULT;
void          bendi_context_free (BendiContext             *self);

BendiModel *bendi_context_get_model     (BendiContext *self);
gint64      bendi_context_get_n_ctx     (const BendiContext *self);
int         bendi_context_get_n_threads (const BendiContext *self);
/* Positions filled in the KV cache. */
gint64      bendi_context_get_n_past    (const BendiContext *self);
/* Forgets every position from @n_keep on (to reuse a common prefix). */
void        bendi_context_truncate      (BendiContext *self,
                                         gint64        n_keep);
/* Bytes of the KV cache, on the CPU and the GPUs. */
gsize       bendi_context_get_kv_bytes  (const BendiContext *self);

/* The backend in use: CPU or VULKAN (never AUTO). */
BendiBackend bendi_context_get_backend      (const BendiContext *self);
/* Layers on the GPUs (all of them: the output head too). */
gint64       bendi_context_get_n_gpu_layers (const BendiContext *self);
/* What runs where, a line per device: "CPU, 2 threads" or the devices
 * with their layers; under the auto backend without a GPU, a line on why. */
const char  *bendi_context_get_backend_description (const BendiContext *self);
/* The shader variants the GPUs run ("int8-dot,subgroup", "portable",
 * "cpu-device"), joined by "+" where devices differ; NULL on the CPU. */
const char  *bendi_context_get_shader_variants (const BendiContext *self);
/* Why the backend is not the one asked for, or what it gave up (a self-check
 * that failed, a GPU that was lost, fewer layers than asked); NULL when
 * nothing happened. */
const char  *bendi_context_get_backend_note (const BendiContext *self);
/* The Vulkan devices the layers run on (indices as bendi_vk_list_devices ()
 * orders them), in layer order; NULL and 0 on the CPU. */
const guint *bendi_context_get_gpu_devices (const BendiContext *self,
                                            guint              *n_devices);
/* Dispatches one generated token replays on the GPUs; 0 on the CPU. */
guint        bendi_context_get_dispatches_per_token (const BendiContext *self);

/* One kernel's share of a generated token's GPU time: the dispatches of
 * one pipeline with one workgroup count (which tells a model's matrices
 * apart), or the copies. */
typedef struct {
  char   *kernel;        /* "matvec_q4_0_fp16_subgroup@1v, 2816 workgroups", "copy" */
  guint   dispatches;    /* per token */
  guint64 bytes;         /* per token: binding 0's (a product's weights), or copied */
  double  ns_per_token;
} BendiGpuTime;

/* With BENDI_CONTEXT_GPU_TIMES, where the GPUs have timestamps: the GPU
 * time of each kernel of generation (one-token forward passes) per token,
 * over the tokens since the last reset, in the order the kernels first
 * run; a dispatch's time runs from the end of the work before it to its
 * own end. An array of BendiGpuTime that frees its strings; NULL where
 * nothing was timed. */
GArray      *bendi_context_get_gpu_times   (const BendiContext *self);
void         bendi_context_reset_gpu_times (BendiContext       *self);
/* Tests and diagnostics: errors the Khronos validation layer reported on
 * the GPUs; -1 when they do not run under it. */
gint         bendi_context_get_validation_errors    (const BendiContext *self);

void        bendi_context_set_abort_func (BendiContext   *self,
                                          BendiAbortFunc  func,
                                          gpointer        user_data);

/* Runs @n_tokens tokens at the next positions, adding them to the KV cache.
 * With @all_logits, logits are kept for every token, else for the last.
 * Errors: the context is full (CONTEXT_FULL), a token outside the
 * vocabulary (INVALID_INPUT), an abort (CANCELLED; the cache then holds the
 * positions before this call). */
gboolean bendi_context_decode (BendiContext      *self,
                               const BendiToken  *tokens,
                               gint64             n_tokens,
                               gboolean           all_logits,
                               GError           **error);

/* The n_vocab logits of token @index of the last decode (-1: the last). */
const float *bendi_context_get_logits (const BendiContext *self,
                                       gint64              index);
/* The token with the largest logit after the last decode (the first on
 * ties), found on the GPU when the output runs there: greedy decoding
 * without reading the logits. */
BendiToken   bendi_context_get_argmax (const BendiContext *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiContext, bendi_context_free)

G_END_DECLS
