/* SPDX-License-Identifier: MIT */
/* The GPU bandwidth measurement, apart from the cache, for tests. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The matrix size bendi_hw_bandwidth_measure () uses for a GPU. */
gsize  bendi_hw_gpu_bandwidth_default_bytes (guint64 vram_free_bytes);

/* Opens Vulkan device @index and reads a matrix of about @bytes bytes
 * with the backend's matrix × vector shader, at least three times and for
 * at least @min_seconds; returns the best pass in GB/s (10^9 bytes per
 * second), or 0 with an error when the device cannot run it. */
double bendi_hw_gpu_bandwidth_measure (guint    index,
                                       gsize    bytes,
                                       double   min_seconds,
                                       GError **error);

G_END_DECLS
