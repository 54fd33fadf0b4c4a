/* SPDX-License-Identifier: MIT */
/* Measured memory bandwidths, the limit on generation speed: measured on request (seconds), cached per machine. */
#pragma once

#include <glib.h>

#include "hw-info.h"

G_BEGIN_DECLS

typedef enum {
  BENDI_HW_MEASURE_CPU   = 1 << 0,
  BENDI_HW_MEASURE_GPUS  = 1 << 1,  /* usable GPUs that are not the CPU itself */
  BENDI_HW_MEASURE_AGAIN = 1 << 2,  /* even what the cache already holds */
} BendiHwMeasureFlags;

/* Sets the bandwidths of @info that the cache holds for this very
 * hardware (the processor and memory size; each GPU and its driver).
 * @cache_dir NULL: $XDG_CACHE_HOME/bendi. Returns whether it found the
 * CPU's. */
gboolean bendi_hw_bandwidth_load    (BendiHwInfo          *info,
                                     const char           *cache_dir);

/* Measures what @flags ask for and the cache lacks, sets it in @info and
 * stores it in the cache. The CPU takes about two seconds, each GPU about
 * one. Errors: the cache cannot be written (the measurements are still set
 * in @info). A GPU that cannot be measured keeps 0 and is not an error. */
gboolean bendi_hw_bandwidth_measure (BendiHwInfo          *info,
                                     BendiHwMeasureFlags   flags,
                                     const char           *cache_dir,
                                     GError              **error);

G_END_DECLS
