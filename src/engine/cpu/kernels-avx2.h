/* SPDX-License-Identifier: MIT */
/* Helpers shared by the AVX2 kernel files, which are built twice: with
 * AVX-VNNI (BENDI_KERNELS_VNNI defined) and without. */
#pragma once

#include <immintrin.h>
#include <string.h>

#include "cpu/kernels.h"

#ifdef BENDI_KERNELS_VNNI
#define KERNELS_INIT bendi_kernels_init_avx2_vnni
#define KQUANT_INIT bendi_kernels_avx2_vnni_kquant_init
#define KERNELS_NAME "AVX2 VNNI"
#define HAVE_VNNI TRUE
#else
#define KERNELS_INIT bendi_kernels_init_avx2
#define KQUANT_INIT bendi_kernels_avx2_kquant_init
#define KERNELS_NAME "AVX2"
#define HAVE_VNNI FALSE
#endif

#define ALWAYS_INLINE inline __attribute__ ((always_inline))

/* Tokens per tile: 8 rows × TILE_TOKENS sums fit the 16 registers. */
#define TILE_TOKENS 4
#define PANEL_GROUPS 4

/* acc + Σ u8 · s8 over each lane's four byte pairs; @u8 below 129. */
static ALWAYS_INLINE __m256i
dot_small (__m256i acc,
           __m256i u8,
           __m256i s8)
{
#ifdef BENDI_KERNELS_VNNI
  return _mm256_dpbusd_avx_epi32 (acc, u8, s8);
#else
  return _mm256_add_epi32 (acc, _mm256_madd_epi16 (_mm256_maddubs_epi16 (u8, s8), _mm256_set1_epi16 (1)));
#endif
}

/* acc + Σ w · a for signed weights stored with 128 added (@w_biased): with
 * VNNI the offset is taken back by the activations' sums, which start
 * @acc; without, the weights are made signed again and the sign trick
 * (|w| · (a with w's sign)) keeps VPMADDUBSW exact. */
static ALWAYS_INLINE __m256i
dot_biased (__m256i acc,
            __m256i w_biased,
            __m256i s8)
{
#ifdef BENDI_KERNELS_VNNI
  return _mm256_dpbusd_avx_epi32 (acc, w_biased, s8);
#else
  __m256i w = _mm256_xor_si256 (w_biased, _mm256_set1_epi8 ((char) 0x80));

  return _mm256_add_epi32 (acc, _mm256_madd_epi16 (_mm256_maddubs_epi16 (_mm256_sign_epi8 (w, w),
                                                                         _mm256_sign_epi8 (s8, w)),
                                                   _mm256_set1_epi16 (1)));
#endif
}

static ALWAYS_INLINE __m256i
broadcast_u32 (const void *p)
{
  guint32 v;

  memcpy (&v, p, 4);
  return _mm256_set1_epi32 ((int) v);
}

static ALWAYS_INLINE float
hsum256 (__m256 v)
{
  __m128 s = _mm_add_ps (_mm256_castps256_ps128 (v), _mm256_extractf128_ps (v, 1));

  s = _mm_add_ps (s, _mm_movehl_ps (s, s));
  s = _mm_add_ss (s, _mm_movehdup_ps (s));
  return _mm_cvtss_f32 (s);
}

static ALWAYS_INLINE int
hsum256_epi32 (__m256i v)
{
  __m128i s = _mm_add_epi32 (_mm256_castsi256_si128 (v), _mm256_extracti128_si256 (v, 1));

  s = _mm_add_epi32 (s, _mm_shuffle_epi32 (s, _MM_SHUFFLE (1, 0, 3, 2)));
  s = _mm_add_epi32 (s, _mm_shuffle_epi32 (s, _MM_SHUFFLE (2, 3, 0, 1)));
  return _mm_cvtsi128_si32 (s);
}

static ALWAYS_INLINE float
fp16_round (float x)
{
  return _cvtsh_ss (_cvtss_sh (x, _MM_FROUND_TO_NEAREST_INT));
}

/* fp16_round () on every lane. */
static ALWAYS_INLINE __m256
fp16_round_ps (__m256 x)
{
  return _mm256_cvtph_ps (_mm256_cvtps_ph (x, _MM_FROUND_TO_NEAREST_INT));
}

/* The IQ4_NL levels as VPSHUFB tables: offset by 128 (unsigned), or as
 * they are (signed, for the sign trick). */
static ALWAYS_INLINE __m256i
iq4nl_table (void)
{
#ifdef BENDI_KERNELS_VNNI
  return _mm256_setr_epi8 (1, 24, 45, 63, 79, 93, 106, 118, (char) 129, (char) 141, (char) 153,
                           (char) 166, (char) 181, (char) 197, (char) 217, (char) 241,
                           1, 24, 45, 63, 79, 93, 106, 118, (char) 129, (char) 141, (char) 153,
                           (char) 166, (char) 181, (char) 197, (char) 217, (char) 241);
#else
  return _mm256_setr_epi8 (-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113,
                           -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);
#endif
}

/* acc + Σ level · a for IQ4 levels looked up with iq4nl_table (): offset
 * by 128 with VNNI, the sign trick without. */
static ALWAYS_INLINE __m256i
dot_levels (__m256i acc,
            __m256i levels,
            __m256i s8)
{
#ifdef BENDI_KERNELS_VNNI
  return _mm256_dpbusd_avx_epi32 (acc, levels, s8);
#else
  return _mm256_add_epi32 (acc, _mm256_madd_epi16 (_mm256_maddubs_epi16 (_mm256_sign_epi8 (levels, levels),
                                                                         _mm256_sign_epi8 (s8, levels)),
                                                   _mm256_set1_epi16 (1)));
#endif
}

/* Fills @table's K-quant entries (kernels-avx2-kquant.c). */
void KQUANT_INIT (BendiCpuKernels *table);
