/* SPDX-License-Identifier: MIT */
/* How fast a GPU can read its memory: the ceiling for generating tokens there (the hardware probe caches it; bench measures it in its own run). */
#pragma once

#include <glib.h>

#include "vulkan/vk-device.h"

G_BEGIN_DECLS

/* Device-local memory @info says is free: its budget less its usage where
 * the driver reports them (VK_EXT_memory_budget), else all of it. */
guint64 bendi_hw_gpu_free_bytes (const BendiVkDeviceInfo *info);

/* The buffer size the measurement takes for a GPU with @vram_free_bytes
 * free: well past its caches, within a quarter of that memory. */
gsize  bendi_hw_gpu_bandwidth_default_bytes (guint64 vram_free_bytes);

/* Opens Vulkan device @index and reads a buffer of about @bytes bytes (0:
 * the default size for the memory the device has free) with a shader that
 * only reads (read.comp), at least three times and for
 * at least @min_seconds; returns the best pass in GB/s (10^9 bytes per
 * second), or 0 with an error when the device cannot run it. */
double bendi_hw_gpu_bandwidth_measure (guint    index,
                                       gsize    bytes,
                                       double   min_seconds,
                                       GError **error);

G_END_DECLS
