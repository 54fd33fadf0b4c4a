/* SPDX-License-Identifier: MIT */
/* The forward pass on Vulkan devices: the first layers' weights and KV cache on one or more GPUs, each device's share recorded once and replayed for every token. */
#pragma once

#include <glib.h>

#include "model/model.h"
#include "vulkan/vk-device.h"

G_BEGIN_DECLS

#define BENDI_VK_FORWARD_MAX_DEVICES 8

typedef struct {
  gint64   n_ctx;
  gint64   n_batch;      /* most tokens of one run */
  /* The first n_layers layers run on the GPUs; with every layer, the final
   * norm and the classifier too. */
  gint64   n_layers;
  /* Indices of bendi_vk_list_devices (), in layer order (the same index
   * twice opens the device twice), each taking a share of the layers in
   * proportion to split[] (all zero: even shares). */
  guint    n_devices;
  guint    devices[BENDI_VK_FORWARD_MAX_DEVICES];
  double   split[BENDI_VK_FORWARD_MAX_DEVICES];
  gboolean validation;   /* under the Khronos validation layer */
  gboolean portable;     /* only the portable shader variants */
  /* Fast paths off (known-bad drivers) and, for tests, on even where the
   * device would not use them: BendiVkDeviceParams's. */
  BendiVkFastPath disabled_fast_paths;
  BendiVkFastPath forced_fast_paths;
  /* Called as the weight matrices go up, with the fraction of their bytes
   * done over all devices; FALSE cancels (CANCELLED). NULL: none. */
  BendiProgressFunc progress;
  gpointer          progress_data;
  /* Tests: GPU-shaped shaders on CPU devices, and bindings as small as
   * this (0: the device's limit). */
  gboolean gpu_kernels;
  guint64  max_binding_bytes;
  /* Benchmarks: time the dispatches (bendi_vk_forward_get_gpu_times ()). */
  gboolean time_dispatches;
} BendiVkForwardParams;

typedef struct _BendiVkForward BendiVkForward;

/* Uploads the weights (from the model's mapping, whatever layout the CPU
 * kernels gave them) and allocates KV caches and activations on each
 * device. Errors: no such device, a device that cannot be used, out of
 * GPU memory (NO_MEMORY), a weight type without shaders (UNSUPPORTED). */
BendiVkForward *bendi_vk_forward_new  (BendiModel                 *model,
                                       const BendiVkForwardParams *params,
                                       GError                    **error) G_GNUC_WARN_UNUSED_RESULT;
void            bendi_vk_forward_free (BendiVkForward             *self);

gint64   bendi_vk_forward_get_n_layers (const BendiVkForward *self);
/* Whether the final norm and classifier run here (every layer does). */
gboolean bendi_vk_forward_has_output   (const BendiVkForward *self);

/* Runs @n_tokens tokens (at most n_batch) at positions @pos …: @x holds
 * their embeddings, n_tokens rows of n_embd. Without the output, @x holds
 * the residual stream after the last GPU layer on return; with it, the
 * logits of every token (@all_logits) or of the last one wait on the
 * device for bendi_vk_forward_get_logits (). */
gboolean bendi_vk_forward_run (BendiVkForward  *self,
                               float           *x,
                               gint64           n_tokens,
                               gint64           pos,
                               gboolean         all_logits,
                               GError         **error);

/* The most tokens a run with @all_logits may have (at most n_batch): the
 * logits of one run sit in one binding, which holds only so many rows of a
 * large vocabulary (lavapipe's: 128 MiB, 220 rows of 150,000 logits). */
gint64       bendi_vk_forward_get_max_logits_rows (const BendiVkForward *self);
/* The n_vocab logits of row @index of those the last run kept. */
const float *bendi_vk_forward_get_logits (const BendiVkForward *self,
                                          gint64                index);
/* The largest of the last token's logits, found on the device: greedy
 * decoding without reading the logits. -1 when the last run kept every
 * token's. */
gint32       bendi_vk_forward_get_argmax (const BendiVkForward *self);

/* Dispatches in the recordings one generated token replays, over all
 * devices. */
guint        bendi_vk_forward_get_dispatches_per_token (const BendiVkForward *self);
/* bendi_context_get_gpu_times ()'s, and its reset. */
GArray      *bendi_vk_forward_get_gpu_times            (const BendiVkForward *self);
void         bendi_vk_forward_reset_gpu_times          (BendiVkForward       *self);
/* The devices' indices (as bendi_vk_list_devices () orders them), in the
 * order the layers run on them; @n_devices gets their count. */
const guint *bendi_vk_forward_get_device_indices (const BendiVkForward *self,
                                                  guint                *n_devices);
/* Bytes of the KV caches on the devices. */
gsize        bendi_vk_forward_get_kv_bytes (const BendiVkForward *self);
/* "llvmpipe (LLVM 15.0.6, 256 bits): layers 0–21, output", a line per
 * device. */
char        *bendi_vk_forward_describe (const BendiVkForward *self) G_GNUC_WARN_UNUSED_RESULT;
/* The shader variants of the devices ("int8-dot,subgroup", "cpu-device"),
 * joined by "+" where devices differ. */
char        *bendi_vk_forward_describe_shaders (const BendiVkForward *self) G_GNUC_WARN_UNUSED_RESULT;
/* Validation-layer errors over all devices; -1 when not every device
 * runs under the layer. */
gint         bendi_vk_forward_get_validation_errors (const BendiVkForward *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiVkForward, bendi_vk_forward_free)

G_END_DECLS
