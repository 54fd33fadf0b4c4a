/* SPDX-License-Identifier: MIT */
/* AVX2 kernels (with FMA and F16C), built twice: with and without AVX-VNNI. */
#include "cpu/kernels.h"

#include <immintrin.h>

#ifdef BENDI_KERNELS_VNNI
void
bendi_kernels_init_avx2_vnni (BendiCpuKernels *table)
{
  bendi_kernels_init_generic (table);
  table->name = "AVX2 VNNI";
}
#else
void
bendi_kernels_init_avx2 (BendiCpuKernels *table)
{
  bendi_kernels_init_generic (table);
  table->name = "AVX2";
}
#endif
