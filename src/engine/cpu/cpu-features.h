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
  gboolean amx_int8;     /* AMX tiles with int8 products, permitted by the OS */
} BendiCpuFeatures;

/* The features of this processor that the OS has enabled, minus any that
 * the BENDI_CPU_DISABLE environment variable names ("avx512,avx2"), so
 * every kernel can be tested on one machine. Disabling a feature also
 * disables those built on it: "avx2" leaves only the portable kernels. */
const BendiCpuFeatures *bendi_cpu_features_get (void);

/* "AVX-512 VNNI AMX", "AVX2", "generic"...: the best kernel family in use. */
const char *bendi_cpu_features_describe (const BendiCpuFeatures *features);

/* For tests: makes bendi_cpu_features_get () return @features (which must
 * be a subset of what the processor has) until called again; %NULL goes
 * back to the detected features. Kernels are chosen again at the next
 * call into them. Not thread-safe: call it while no kernel runs. */
void bendi_cpu_features_override (const BendiCpuFeatures *features);

/* CPUID's vendor ("GenuineIntel" or not), family and model (display
 * values, the extended fields folded in); FALSE where there is no CPUID. */
gboolean bendi_cpu_identify (gboolean *intel,
                             guint    *family,
                             guint    *model);

/* How far ahead of a weight stream, in bytes, the kernels prefetch into L2
 * on an x86 processor of this vendor (CPUID's "GenuineIntel" or not),
 * family and model (display values): the distance measured best there
 * (kernels.h). */
gsize bendi_cpu_prefetch_l2_ahead_for (gboolean intel,
                                       guint    family,
                                       guint    model);

/* Applies a BENDI_CPU_DISABLE-style list ("avx512,avx_vnni") to @features. */
void bendi_cpu_features_disable (BendiCpuFeatures *features,
                                 const char       *names);

G_END_DECLS
