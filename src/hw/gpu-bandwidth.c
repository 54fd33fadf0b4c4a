/* SPDX-License-Identifier: MIT */
/* A GPU's memory read bandwidth: a buffer far larger than the GPU's caches read by a shader that does nothing else (read.comp), so that the figure is the memory's and not the speed of Bendi's matrix shaders (on an H100 those read 8-16% of this in 2026-11). */
#define G_LOG_DOMAIN "bendi-hw"

#include "gpu-bandwidth.h"

#include "vulkan/vk-ops.h"
#include "vulkan/vk-recorder.h"

#define MIB ((gsize) 1024 * 1024)
/* The buffer is allocated as an F16 matrix of this width: the backend's
 * allocator then splits it across bindings as it does weights. */
#define N_COLS 8192
/* Passes over the buffer per submission, so the submission's own cost
 * hides. */
#define PASSES_PER_SUBMIT 4
#define MIN_RUNS 3

guint64
bendi_hw_gpu_free_bytes (const BendiVkDeviceInfo *info)
{
  if (info->has_memory_budget)
    return info->budget_bytes - MIN (info->usage_bytes, info->budget_bytes);
  return info->device_local_bytes;
}

gsize
bendi_hw_gpu_bandwidth_default_bytes (guint64 vram_free_bytes)
{
  /* Well past the largest caches (256 MiB on some AMD GPUs), within a
   * quarter of the free memory. */
  return (gsize) CLAMP (vram_free_bytes / 4, 64 * MIB, 1024 * MIB);
}

double
bendi_hw_gpu_bandwidth_measure (guint    index,
                                gsize    bytes,
                                double   min_seconds,
                                GError **error)
{
  g_autoptr (BendiVkDevice) device = NULL;
  g_autoptr (BendiVkTensor) matrix = NULL;
  g_autoptr (BendiVkBuffer) sink = NULL;
  g_autoptr (BendiVkRecorder) recorder = NULL;
  BendiVkDeviceParams params;
  gint64 n_rows;
  gsize matrix_bytes;
  double best = G_MAXDOUBLE;
  gint64 start;

  bendi_vk_device_params_init (&params);
  device = bendi_vk_device_new (index, &params, error);
  if (device == NULL)
    return 0.0;
  if (bytes == 0)
    bytes = bendi_hw_gpu_bandwidth_default_bytes (bendi_hw_gpu_free_bytes (bendi_vk_device_get_info (device)));

  n_rows = MAX ((gint64) (bytes / (N_COLS * sizeof (guint16))), 1);
  matrix = bendi_vk_tensor_new (device, BENDI_TENSOR_TYPE_F16, N_COLS, n_rows, error);
  if (matrix == NULL)
    return 0.0;
  matrix_bytes = bendi_vk_tensor_get_row_bytes (matrix) * (gsize) n_rows;
  /* Zeros: what the values are does not change how fast they are read,
   * but they must be numbers. */
  for (guint i = 0; i < bendi_vk_tensor_get_n_chunks (matrix); i++)
    if (!bendi_vk_buffer_clear (bendi_vk_tensor_get_chunk (matrix, i)->buffer, error))
      return 0.0;
  sink = bendi_vk_buffer_new (device, 16, BENDI_VK_MEMORY_DEVICE, error);
  if (sink == NULL)
    return 0.0;

  recorder = bendi_vk_recorder_new (device, error);
  if (recorder == NULL)
    return 0.0;
  bendi_vk_recorder_begin (recorder);
  for (int i = 0; i < PASSES_PER_SUBMIT; i++)
    for (guint c = 0; c < bendi_vk_tensor_get_n_chunks (matrix); c++)
      {
        const BendiVkTensorChunk *chunk = bendi_vk_tensor_get_chunk (matrix, c);

        bendi_vk_op_read (recorder, chunk->buffer,
                          (gsize) chunk->n_rows * bendi_vk_tensor_get_row_bytes (matrix), sink);
      }
  if (!bendi_vk_recorder_end (recorder, error) ||
      !bendi_vk_recorder_submit_and_wait (recorder, error))   /* warm-up: pipelines, page tables */
    return 0.0;

  start = g_get_monotonic_time ();
  for (int run = 0; ; run++)
    {
      gint64 t0 = g_get_monotonic_time ();
      gint64 t1;

      if (!bendi_vk_recorder_submit_and_wait (recorder, error))
        return 0.0;
      t1 = g_get_monotonic_time ();
      best = MIN (best, (double) (t1 - t0) * 1e-6);
      if (run + 1 >= MIN_RUNS && (double) (t1 - start) * 1e-6 >= min_seconds)
        break;
    }
  return (double) matrix_bytes * PASSES_PER_SUBMIT / MAX (best, 1e-9) / 1e9;
}
