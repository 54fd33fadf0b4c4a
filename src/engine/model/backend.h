/* SPDX-License-Identifier: MIT */
/* Where a context runs: the Vulkan devices and layers it gets, drivers known to compute garbage, and the load-time check of the GPU against the CPU. */
#pragma once

#include <glib.h>

#include "model/context.h"
#include "model/forward-vulkan.h"
#include "vulkan/vk-device.h"

G_BEGIN_DECLS

/* What the choice of backend has to say, a sentence a line. */
typedef struct {
  GString *warnings;  /* a GPU that was tried and failed, or gave something up */
  GString *no_gpu;    /* why no GPU was tried at all: no loader, no usable device */
} BendiBackendNotes;

/* Why fast paths of @info are off, its driver being known to compute
 * garbage for some shaders, and which in *@disable (BENDI_VK_FAST_ALL:
 * every one; may be NULL); NULL and 0 for a device not in the table. */
const char *bendi_backend_known_bad (const BendiVkDeviceInfo *info,
                                     BendiVkFastPath         *disable);

/* "int8-dot,fp16": the fast paths named in a comma-separated list
 * (subgroup, fp16, int8, int8-dot, coopmat; others are ignored), as
 * BENDI_VULKAN_FORCE and BENDI_VULKAN_DISABLE take them. */
BendiVkFastPath bendi_backend_fast_paths_from_names (const char *names);

/* Starts the GPU part @params asks for, into *@gpu: the devices (the best
 * one when none is named), the layers (fitted to their memory for
 * BENDI_GPU_LAYERS_AUTO, fewer again when allocating fails), the shader
 * variants (portable where @portable or a known-bad driver says so).
 * Under BENDI_BACKEND_VULKAN a failure is an error; under AUTO it leaves
 * *@gpu NULL and says why in @notes, as it does what it gave up. */
gboolean bendi_backend_start_gpu (BendiModel               *model,
                                  const BendiContextParams *params,
                                  gint64                    n_ctx,
                                  gint64                    n_batch,
                                  gboolean                  portable,
                                  BendiBackendNotes        *notes,
                                  BendiVkForward          **gpu,
                                  GError                  **error);

typedef struct {
  gboolean passed;
  /* The largest RMS difference of the GPU's logits from the CPU's,
   * relative to the CPU logits' spread around their mean. */
  double   difference;
} BendiBackendCheck;

/* Runs a fixed input through @ctx, whose first layers are on a GPU (a
 * prompt, then single tokens), and the same through a CPU-only context,
 * and compares the logits; @ctx is left empty. FALSE only on errors that
 * are not the GPU's answer (the CPU context could not be made, or the GPU
 * failed under BENDI_BACKEND_VULKAN). */
gboolean bendi_backend_self_check (BendiContext      *ctx,
                                   BendiBackendCheck *check,
                                   GError           **error);

/* How far the GPU's logits may stray from the CPU's: the CPU rounds
 * activations to 8 bits for quantised weights where the GPU keeps floats,
 * which moves logits by a few per cent of their spread; a driver computing
 * garbage moves them by their whole spread. */
#define BENDI_BACKEND_CHECK_TOLERANCE 0.1

G_END_DECLS
