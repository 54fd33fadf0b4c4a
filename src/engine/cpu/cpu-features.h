/* SPDX-License-Identifier: MIT */
/* What the processor can do, asked once (CPUID on x86), for choosing kernels at run time. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  gboolean avx2;         /* with FMA and F16C */
  gboolean avx_vnni;     /* VEX-encoded VPDPBUSD on 256-bit registers */
  gboolean avx512;       /* F, BW, DQ, VL */
  gboolean avx512_vnni;
  gboolean avx512_bf16;
  gboolean neon;
} BendiCpuFeatures;

/* The features of this processor that the OS has enabled, minus any that
 * the BENDI_CPU_DISABLE environment variable names ("avx512,avx2"), so
 * every kernel can be tested on one machine. */
const BendiCpuFeatures *bendi_cpu_features_get (void);

/* "AVX-512 VNNI", "AVX2", "generic"...: the best kernel family in use. */
const char *bendi_cpu_features_describe (const BendiCpuFeatures *features);

G_END_DECLS
