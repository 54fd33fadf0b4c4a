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

/* fp16_round () on every lane. */
static ALWAYS_INLINE __m512
fp16_round_ps (__m512 x)
{
  return _mm512_cvtph_ps (_mm512_cvtps_ph (x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}

/* How reduce_lanes16 () combines lanes. */
typedef enum {
  LANES_ADD,
  LANES_MAX,
  LANES_ADD_EPI32,   /* the vectors hold 32-bit integers */
} LanesOp;

static ALWAYS_INLINE __m512
lanes_combine (LanesOp op,
               __m512  a,
               __m512  b)
{
  switch (op)
    {
    case LANES_MAX:
      return _mm512_max_ps (a, b);
    case LANES_ADD_EPI32:
      return _mm512_castsi512_ps (_mm512_add_epi32 (_mm512_castps_si512 (a), _mm512_castps_si512 (b)));
    case LANES_ADD:
    default:
      return _mm512_add_ps (a, b);
    }
}

/* r[i] = a[i]'s 16 lanes combined by @op (their sum, or their maximum):
 * pairs, then quads within each 128-bit lane, then across the lanes, 45
 * instructions for 16 results where one horizontal reduction alone takes
 * 8. */
static ALWAYS_INLINE __m512
reduce_lanes16 (LanesOp      op,
                const __m512 a[16])
{
  __m512 x[8], z[4], w01, w23;

  /* per 128-bit lane of pair (a, b): a0 · a2, b0 · b2, a1 · a3, b1 · b3 (· being @op) */
  for (int k = 0; k < 8; k++)
    x[k] = lanes_combine (op, _mm512_unpacklo_ps (a[2 * k], a[2 * k + 1]), _mm512_unpackhi_ps (a[2 * k], a[2 * k + 1]));
  /* per 128-bit lane: each of four vectors' lane combined */
  for (int m = 0; m < 4; m++)
    z[m] = lanes_combine (op, _mm512_shuffle_ps (x[2 * m], x[2 * m + 1], _MM_SHUFFLE (1, 0, 1, 0)),
                          _mm512_shuffle_ps (x[2 * m], x[2 * m + 1], _MM_SHUFFLE (3, 2, 3, 2)));
  /* the four 128-bit lanes of each z combined */
  w01 = lanes_combine (op, _mm512_shuffle_f32x4 (z[0], z[1], _MM_SHUFFLE (1, 0, 1, 0)),
                       _mm512_shuffle_f32x4 (z[0], z[1], _MM_SHUFFLE (3, 2, 3, 2)));
  w23 = lanes_combine (op, _mm512_shuffle_f32x4 (z[2], z[3], _MM_SHUFFLE (1, 0, 1, 0)),
                       _mm512_shuffle_f32x4 (z[2], z[3], _MM_SHUFFLE (3, 2, 3, 2)));
  return lanes_combine (op, _mm512_shuffle_f32x4 (w01, w23, _MM_SHUFFLE (2, 0, 2, 0)),
                        _mm512_shuffle_f32x4 (w01, w23, _MM_SHUFFLE (3, 1, 3, 1)));
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

/* ------------------------------------------------------------------------ */
/* The parts of a legacy-type group (Q4_0, Q8_0... see interleave.c), shared
 * with the AMX kernels. */

typedef enum {
  GROUP_Q4_0,
  GROUP_IQ4_NL,
  GROUP_Q8_0,
  GROUP_Q4_1,
  GROUP_Q5_0,
  GROUP_Q5_1,
} GroupKind;

/* Where a group's parts start: the scales first, then the minimums (Q4_1,
 * Q5_1), the fifth bits (Q5_0, Q5_1, a 32-bit word per row) and the quants. */
typedef struct {
  const guint8 *scales;    /* + b · 32 */
  const guint8 *mins;      /* + b · 32 */
  const guint8 *high_bits; /* + b · 64 */
  const guint8 *quants;    /* + b · quant_bytes */
  gsize         quant_bytes;
} GroupParts;

static ALWAYS_INLINE gboolean
group_has_min (GroupKind kind)
{
  return kind == GROUP_Q4_1 || kind == GROUP_Q5_1;
}

static ALWAYS_INLINE GroupParts
group_parts (GroupKind     kind,
             const guint8 *group,
             gint64        nb)
{
  GroupParts parts = { group, NULL, NULL, NULL, kind == GROUP_Q8_0 ? 512 : 256 };
  const guint8 *next = group + nb * 32;

  if (group_has_min (kind))
    {
      parts.mins = next;
      next += nb * 32;
    }
  if (kind == GROUP_Q5_0 || kind == GROUP_Q5_1)
    {
      parts.high_bits = next;
      next += nb * 64;
    }
  parts.quants = next;
  return parts;
}

/* Bits first .. first + 3 of each row's 32-bit word of fifth bits, as bit 4
 * of the lane's four bytes: byte i of each lane is tested against bit i. */
static ALWAYS_INLINE __m512i
fifth_bits (__m512i qh,
            int     first)
{
  const __m512i low_byte = _mm512_broadcast_i32x4 (_mm_setr_epi8 (0, 0, 0, 0, 4, 4, 4, 4, 8, 8, 8, 8, 12, 12, 12, 12));
  __m512i spread = _mm512_shuffle_epi8 (_mm512_srli_epi32 (qh, first), low_byte);
  __mmask64 set = _mm512_test_epi8_mask (spread, _mm512_set1_epi32 (0x08040201));

  return _mm512_maskz_mov_epi8 (set, _mm512_set1_epi8 (0x10));
}

/* ------------------------------------------------------------------------ */
/* Decoding K-quant groups (see kernels-avx512-kquant.c for the formats),
 * shared with the AMX kernels. */

typedef enum {
  KQUANT_Q2_K,
  KQUANT_Q3_K,
  KQUANT_Q4_K,
  KQUANT_Q5_K,
  KQUANT_Q6_K,
  KQUANT_IQ4_XS,
} KQuantKind;

/* One super-block of a group: where its parts are, and the 16 rows'
 * scales per sub-block in float (and minimums as 16-bit pairs). */
typedef struct {
  const guint8 *quants;
  const guint8 *high_bits;
  __m512        scale[16];
  __m512i       min_pairs[8];
  __m512        dmin;
} KSuper;

/* Q4_K's and Q5_K's scales and minimums of sub-block j for 16 rows, from
 * the 12 packed bytes per row stored transposed (byte k at 16 k). */
static ALWAYS_INLINE void
k4_scales (const guint8 *packed,
           int           j,
           __m128i      *scale,
           __m128i      *min)
{
  const __m128i low6 = _mm_set1_epi8 (63), low4 = _mm_set1_epi8 (0x0f), top2 = _mm_set1_epi8 ((char) 0x30);

  if (j < 4)
    {
      *scale = _mm_and_si128 (_mm_loadu_si128 ((const __m128i *) (packed + 16 * j)), low6);
      *min = _mm_and_si128 (_mm_loadu_si128 ((const __m128i *) (packed + 16 * (j + 4))), low6);
    }
  else
    {
      __m128i b_lo = _mm_loadu_si128 ((const __m128i *) (packed + 16 * (j + 4)));
      __m128i b_scale_hi = _mm_loadu_si128 ((const __m128i *) (packed + 16 * (j - 4)));
      __m128i b_min_hi = _mm_loadu_si128 ((const __m128i *) (packed + 16 * j));

      /* Bits 6-7 of the high byte become bits 4-5: shift right by 2. */
      *scale = _mm_or_si128 (_mm_and_si128 (b_lo, low4), _mm_and_si128 (_mm_srli_epi16 (b_scale_hi, 2), top2));
      *min = _mm_or_si128 (_mm_and_si128 (_mm_srli_epi16 (b_lo, 4), low4),
                           _mm_and_si128 (_mm_srli_epi16 (b_min_hi, 2), top2));
    }
}

static ALWAYS_INLINE void
ksuper_init (KQuantKind    kind,
             const guint8 *group,
             gint64        nb,
             gint64        sb,
             KSuper       *k)
{
  switch (kind)
    {
    case KQUANT_Q2_K:
      {
        __m512 d = _mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) (group + nb * 1280 + sb * 32)));

        k->dmin = _mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) (group + nb * 1312 + sb * 32)));
        k->quants = group + nb * 256 + sb * 1024;
        /* Byte j of the 16 rows: scale in the low nibble, minimum in the high. */
        for (int j = 0; j < 16; j++)
          {
            __m512i b = _mm512_cvtepu8_epi32 (_mm_loadu_si128 ((const __m128i *) (group + sb * 256 + 16 * j)));

            k->scale[j] = _mm512_mul_ps (d, _mm512_cvtepi32_ps (_mm512_and_si512 (b, _mm512_set1_epi32 (0x0f))));
            b = _mm512_srli_epi32 (b, 4);
            /* Pairs of minimums (sub-blocks 2k, 2k + 1) for VPDPWSSD. */
            if (j % 2 == 0)
              k->min_pairs[j / 2] = b;
            else
              k->min_pairs[j / 2] = _mm512_or_si512 (k->min_pairs[j / 2], _mm512_slli_epi32 (b, 16));
          }
        break;
      }
    case KQUANT_Q3_K:
      {
        const guint8 *packed = group + nb * 1536 + sb * 192;
        __m512 d = _mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) (group + nb * 1728 + sb * 32)));

        k->high_bits = group + sb * 512;
        k->quants = group + nb * 512 + sb * 1024;
        /* 6-bit scales: low 4 bits in bytes 0-7 (two per byte), high 2
         * bits in bytes 8-11 (four per byte); stored minus 32. */
        for (int j = 0; j < 16; j++)
          {
            __m128i low = _mm_loadu_si128 ((const __m128i *) (packed + 16 * (j % 8)));
            __m128i high = _mm_loadu_si128 ((const __m128i *) (packed + 16 * (8 + j % 4)));
            __m512i sc;

            low = _mm_and_si128 (j < 8 ? low : _mm_srli_epi16 (low, 4), _mm_set1_epi8 (0x0f));
            high = _mm_and_si128 (_mm_srli_epi16 (high, 2 * (j / 4)), _mm_set1_epi8 (3));
            sc = _mm512_cvtepu8_epi32 (_mm_or_si128 (low, _mm_slli_epi16 (high, 4)));
            k->scale[j] = _mm512_mul_ps (d, _mm512_cvtepi32_ps (_mm512_sub_epi32 (sc, _mm512_set1_epi32 (32))));
          }
        break;
      }
    case KQUANT_Q4_K:
    case KQUANT_Q5_K:
      {
        const guint8 *packed = group + nb * 64 + sb * 192;
        __m512 d = _mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) (group + sb * 32)));

        k->dmin = _mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) (group + nb * 32 + sb * 32)));
        k->quants = group + nb * 256 + sb * 2048;
        k->high_bits = group + nb * 2304 + sb * 512;
        for (int j = 0; j < 8; j++)
          {
            __m128i sc, mn;
            __m512i m32;

            k4_scales (packed, j, &sc, &mn);
            k->scale[j] = _mm512_mul_ps (d, _mm512_cvtepi32_ps (_mm512_cvtepu8_epi32 (sc)));
            /* (m, m): one minimum for both sums of 16 of the sub-block. */
            m32 = _mm512_cvtepu8_epi32 (mn);
            k->min_pairs[j] = _mm512_or_si512 (m32, _mm512_slli_epi32 (m32, 16));
          }
        break;
      }
    case KQUANT_Q6_K:
      {
        const guint8 *scales = group + nb * 3072 + sb * 256;
        __m512 d = _mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) (group + nb * 3328 + sb * 32)));

        k->quants = group + sb * 2048;
        k->high_bits = group + nb * 2048 + sb * 1024;
        for (int j = 0; j < 16; j++)
          k->scale[j] = _mm512_mul_ps (d, _mm512_cvtepi32_ps (_mm512_cvtepi8_epi32 (
                                         _mm_loadu_si128 ((const __m128i *) (scales + 16 * j)))));
        break;
      }
    case KQUANT_IQ4_XS:
    default:
      {
        __m512 d = _mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) (group + sb * 32)));
        __m512i high = _mm512_cvtepu16_epi32 (_mm256_loadu_si256 ((const __m256i *) (group + nb * 32 + sb * 32)));
        const guint8 *low = group + nb * 64 + sb * 64;

        k->quants = group + nb * 128 + sb * 2048;
        for (int j = 0; j < 8; j++)
          {
            /* ls = low 4 bits from scales_l, 2 high bits from scales_h. */
            __m512i ls = _mm512_cvtepu8_epi32 (_mm_loadu_si128 ((const __m128i *) (low + 16 * (j / 2))));

            ls = _mm512_and_si512 (_mm512_srli_epi32 (ls, 4 * (j % 2)), _mm512_set1_epi32 (0x0f));
            ls = _mm512_or_si512 (ls, _mm512_slli_epi32 (_mm512_and_si512 (_mm512_srli_epi32 (high, 2 * j),
                                                                           _mm512_set1_epi32 (3)), 4));
            k->scale[j] = _mm512_mul_ps (d, _mm512_cvtepi32_ps (_mm512_sub_epi32 (ls, _mm512_set1_epi32 (32))));
          }
        break;
      }
    }
}

/* Register p (0..7) of unit u (32 elements): elements 32u + 4p .. + 3 of
 * the 16 rows, as unsigned bytes. */
static ALWAYS_INLINE __m512i
kquant_unit_load (KQuantKind    kind,
                  const KSuper *k,
                  int           u,
                  int           p)
{
  const __m512i low_mask = _mm512_set1_epi8 (0x0f);

  switch (kind)
    {
    case KQUANT_Q2_K:
    case KQUANT_Q3_K:
      {
        /* Unit u = 4n + shift: bits 2 shift of qs's bytes 32n.. */
        int n = u / 4, shift = u % 4;
        __m512i raw = _mm512_loadu_si512 (k->quants + (8 * n + p) * 64);
        __m512i low = _mm512_and_si512 (_mm512_srli_epi16 (raw, 2 * shift), _mm512_set1_epi8 (3));
        __m512i hm, high;

        if (kind == KQUANT_Q2_K)
          return low;
        /* Bit u of hmask's byte is the third bit: moved to bit 2. */
        hm = _mm512_loadu_si512 (k->high_bits + 64 * p);
        high = u <= 2 ? _mm512_slli_epi16 (hm, 2 - u) : _mm512_srli_epi16 (hm, u - 2);
        return _mm512_ternarylogic_epi32 (high, _mm512_set1_epi8 (0x04), low, 0xea);
      }
    case KQUANT_Q4_K:
    case KQUANT_Q5_K:
      {
        /* Units 2c and 2c + 1 are the low and high nibbles of chunk c. */
        __m512i raw = _mm512_loadu_si512 (k->quants + (u / 2) * 512 + 64 * p);
        __m512i low = _mm512_and_si512 (u % 2 ? _mm512_srli_epi16 (raw, 4) : raw, low_mask);
        __m512i qh, high;

        if (kind == KQUANT_Q4_K)
          return low;
        /* Bit u of qh's byte is the fifth bit: moved to bit 4. */
        qh = _mm512_loadu_si512 (k->high_bits + 64 * p);
        high = u <= 4 ? _mm512_slli_epi16 (qh, 4 - u) : _mm512_srli_epi16 (qh, u - 4);
        return _mm512_ternarylogic_epi32 (high, _mm512_set1_epi8 (0x10), low, 0xea);
      }
    case KQUANT_Q6_K:
      {
        /* Unit u = 4n + k: ql's bytes 64n + 32(k % 2).. give the low 4 bits
         * (low nibbles for k < 2, high ones after), qh's bytes 32n.. give
         * bits 2k, 2k + 1 as bits 4-5. */
        int n = u / 4, kk = u % 4;
        __m512i ql = _mm512_loadu_si512 (k->quants + (2 * n + kk % 2) * 512 + 64 * p);
        __m512i qh = _mm512_loadu_si512 (k->high_bits + n * 512 + 64 * p);
        __m512i low = _mm512_and_si512 (kk < 2 ? ql : _mm512_srli_epi16 (ql, 4), low_mask);
        __m512i high = kk <= 2 ? _mm512_slli_epi16 (qh, 4 - 2 * kk) : _mm512_srli_epi16 (qh, 2);

        /* (high & 0x30) | low */
        return _mm512_ternarylogic_epi32 (high, _mm512_set1_epi8 (0x30), low, 0xea);
      }
    case KQUANT_IQ4_XS:
    default:
      {
        /* Sub-block u's 16 bytes: low nibbles are elements 0-15, high 16-31. */
        const __m512i levels = _mm512_broadcast_i32x4 (_mm_setr_epi8 (
          1, 24, 45, 63, 79, 93, 106, 118, (char) 129, (char) 141, (char) 153,
          (char) 166, (char) 181, (char) 197, (char) 217, (char) 241));
        __m512i raw = _mm512_loadu_si512 (k->quants + (4 * u + p % 4) * 64);

        return _mm512_shuffle_epi8 (levels, _mm512_and_si512 (p < 4 ? raw : _mm512_srli_epi16 (raw, 4), low_mask));
      }
    }
}

/* Fills @table's K-quant entries (kernels-avx512-kquant.c). */
void bendi_kernels_avx512_kquant_init (BendiCpuKernels *table);
