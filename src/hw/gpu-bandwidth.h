/* SPDX-License-Identifier: MIT */
/* How fast a GPU can read its memory: the ceiling for generating tokens there (the hardware probe caches it; bench measures it in its own run). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The matrix size bendi_hw_bandwidth_measure () uses for a GPU. */
gsize  bendi_hw_gpu_bandwidth_default_bytes (guint64 vram_free_bytes);

/* Opens Vulkan device @index and reads a buffer of about @bytes bytes
 * with a shader that only reads (read.comp), at least three times and for
 * at least @min_seconds; returns the best pass in GB/s (10^9 bytes per
 * second), or 0 with an error when the device cannot run it. */
double bendi_hw_gpu_bandwidth_measure (guint    index,
                                       gsize    bytes,
                                       double   min_seconds,
                                       GError **error);

G_END_DECLS
