/* SPDX-License-Identifier: MIT */
/* Helpers shared by the AVX-512 kernel files (compiled with AVX-512 flags only). */
#pragma once

#include <immintrin.h>
#include <string.h>

#include "cpu/kernels.h"

#define ALWAYS_INLINE inline __attribute__ ((always_inline))

/* Groups per panel: their weights stay in L2 while every token passes. */
#define PANEL_GROUPS 4

static ALWAYS_INLINE __m512i
dpbusd (__m512i acc,
        __m512i u8,
        __m512i s8)
{
  return _mm512_dpbusd_epi32 (acc, u8, s8);
}

static ALWAYS_INLINE __m256i
dpbusd256 (__m256i acc,
           __m256i u8,
           __m256i s8)
{
  return _mm256_dpbusd_epi32 (acc, u8, s8);
}

static ALWAYS_INLINE __m512i
broadcast_u32 (const void *p)
{
  guint32 v;

  memcpy (&v, p, 4);
  return _mm512_set1_epi32 ((int) v);
}

static ALWAYS_INLINE float
hsum256 (__m256 v)
{
  __m128 s = _mm_add_ps (_mm256_castps256_ps128 (v), _mm256_extractf128_ps (v, 1));

  s = _mm_add_ps (s, _mm_movehl_ps (s, s));
  s = _mm_add_ss (s, _mm_movehdup_ps (s));
  return _mm_cvtss_f32 (s);
}

static ALWAYS_INLINE float
fp16_round (float x)
{
  return _cvtsh_ss (_cvtss_sh (x, _MM_FROUND_TO_NEAREST_INT));
}

/* |magnitude| with the sign of @sign. */
static ALWAYS_INLINE __m512
copysign_ps (__m512 magnitude,
             __m512 sign)
{
  /* (sign & 0x80000000) | magnitude */
  return _mm512_castsi512_ps (_mm512_ternarylogic_epi32 (_mm512_set1_epi32 ((int) 0x80000000u),
                                                         _mm512_castps_si512 (sign),
                                                         _mm512_castps_si512 (magnitude), 0xea));
}

/* Fills @table's K-quant entries (kernels-avx512-kquant.c). */
void bendi_kernels_avx512_kquant_init (BendiCpuKernels *table);
