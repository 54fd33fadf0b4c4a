/* SPDX-License-Identifier: MIT */
/* How fast this machine's cores can stream memory: the ceiling for generating tokens on the CPU. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Reads a buffer of @buffer_bytes (0: a size well beyond the last-level
 * cache) with @n_threads threads (0: one per core) using the widest vector
 * loads the CPU has, for at least @min_seconds, and returns the best pass
 * in GB/s (10^9 bytes per second); 0 if the buffer cannot be allocated.
 * Takes about @min_seconds plus the time to fill the buffer once. */
double bendi_cpu_read_bandwidth_measure (int    n_threads,
                                         gsize  buffer_bytes,
                                         double min_seconds);

/* The buffer size used when 0 is passed: four times the last-level cache,
 * at least 256 MiB and at most 1 GiB or a quarter of the memory. */
gsize  bendi_cpu_bandwidth_default_buffer (void);

G_END_DECLS
