/* SPDX-License-Identifier: MIT */
/* AVX-512 VNNI kernels for the K-quants and IQ4_XS: their interleaved
 * groups, and the Q8_K activations they are multiplied with. */
#include "cpu/kernels-avx512.h"

/* ------------------------------------------------------------------------ */
/* Activations. */

/* Q8_K: the element of largest magnitude (the first, on ties) becomes
 * -127, rounding half to even (the default rounding of VCVTPS2DQ). */
static void
quantize_q8_k (const BendiActs    *acts,
               const BendiActsOut *out,
               const float        *in,
               gint64              t0,
               gint64              t1)
{
  for (gint64 t = t0; t < t1; t++)
    for (gint64 b = 0; b < acts->n_blocks; b++)
      {
        const float *x = in + t * acts->n_cols + b * BENDI_QK_K;
        gint8 *q = (gint8 *) (out->values + t * acts->stride) + b * BENDI_QK_K;
        gint64 i = t * acts->n_blocks + b;
        gint16 *bsums = out->bsums + i * 16;
        gint32 *sums = out->sums + i * 16;
        __m512 amax_v = _mm512_setzero_ps (), iscale;
        float amax, max = 0;

        for (int k = 0; k < 16; k++)
          amax_v = _mm512_max_ps (amax_v, _mm512_abs_ps (_mm512_loadu_ps (x + 16 * k)));
        amax = _mm512_reduce_max_ps (amax_v);
        if (amax == 0)
          {
            out->d[i] = 0;
            memset (q, 0, BENDI_QK_K);
            memset (bsums, 0, 16 * sizeof (gint16));
            memset (sums, 0, 16 * sizeof (gint32));
            continue;
          }
        for (int k = 0; k < 16; k++)
          {
            __mmask16 hit = _mm512_cmpeq_ps_mask (_mm512_abs_ps (_mm512_loadu_ps (x + 16 * k)), _mm512_set1_ps (amax));

            if (hit != 0)
              {
                max = x[16 * k + __builtin_ctz (hit)];
                break;
              }
          }
        iscale = _mm512_set1_ps (-127.0f / max);
        for (int k = 0; k < 16; k++)
          {
            __m512i v = _mm512_cvtps_epi32 (_mm512_mul_ps (iscale, _mm512_loadu_ps (x + 16 * k)));
            int sum;

            v = _mm512_min_epi32 (v, _mm512_set1_epi32 (127));
            _mm_storeu_si128 ((__m128i *) (q + 16 * k), _mm512_cvtsepi32_epi8 (v));
            sum = _mm512_reduce_add_epi32 (v);
            bsums[k] = (gint16) sum;
            sums[k] = -acts->bias * sum;
          }
        out->d[i] = 1.0f / (-127.0f / max);
      }
}

/* ------------------------------------------------------------------------ */
/* K-quant groups (see interleave.c), 16 rows × K_TILE_TOKENS tokens per
 * tile. Per super-block of 256, the quants are unpacked to unsigned bytes
 * 32 elements at a time (a "unit": eight registers, one per 4 elements),
 * each unpacked register is used by every token of the tile, and each
 * sub-block's integer sums are scaled in float:
 *
 *   Q2_K    x = d·sc_j·q - dmin·m_j        (16 sub-blocks of 16, 2 bits)
 *   Q3_K    x = d·(sc_j - 32)·(q - 4)      (16 sub-blocks of 16, 3 bits)
 *   Q4_K    x = d·sc_j·q - dmin·m_j        (8 sub-blocks of 32)
 *   Q5_K    the same with a fifth bit
 *   Q6_K    x = d·sc_j·(q - 32)            (16 sub-blocks of 16)
 *   IQ4_XS  x = d·(ls_j - 32)·level[q]     (8 sub-blocks of 32)
 *
 * Offsets that make the quants unsigned (Q3_K's -4, Q6_K's -32, IQ4_XS's
 * levels + 128)
 * come in with the activations' sums per 16, which start each sub-block's
 * sum; the minimums of Q2_K, Q4_K and Q5_K are added once per super-block with
 * VPMADDWD against the sums of 16. */

#define K_TILE_TOKENS 8

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
            /* Pairs of minimums (sub-blocks 2k, 2k + 1) for VPMADDWD. */
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

static ALWAYS_INLINE void
kquant_tile (KQuantKind       kind,
             const guint8    *group,
             const BendiActs *a,
             gint64           t0,
             int              n_tokens,
             float           *out,
             gint64           ld_out)
{
  const gint64 nb = a->n_blocks;
  const gint8 *y = (const gint8 *) a->values + t0 * a->stride;
  const float *dy = a->d + t0 * nb;
  const gboolean has_min = kind == KQUANT_Q2_K || kind == KQUANT_Q4_K || kind == KQUANT_Q5_K;
  const int n_sub = kind == KQUANT_Q2_K || kind == KQUANT_Q3_K || kind == KQUANT_Q6_K ? 16 : 8;
  __m512 acc[K_TILE_TOKENS], tmp[K_TILE_TOKENS];
  __m512i s[K_TILE_TOKENS];
  KSuper k;

  for (int t = 0; t < n_tokens; t++)
    acc[t] = _mm512_setzero_ps ();

  for (gint64 sb = 0; sb < nb; sb++)
    {
      ksuper_init (kind, group, nb, sb, &k);

      for (int t = 0; t < n_tokens; t++)
        tmp[t] = _mm512_setzero_ps ();
      for (int u = 0; u < 8; u++)
        {
          /* Sums of the unit's 8 registers, or of each half of them for
           * Q6_K's sub-blocks of 16. */
          for (int part = 0; part < (n_sub == 16 ? 2 : 1); part++)
            {
              int j = n_sub == 16 ? 2 * u + part : u;
              int p0 = n_sub == 16 ? 4 * part : 0, p1 = n_sub == 16 ? p0 + 4 : 8;

#pragma GCC unroll 8
              for (int t = 0; t < n_tokens; t++)
                {
                  const gint32 *sums = a->sums + ((t0 + t) * nb + sb) * 16;

                  if (kind == KQUANT_Q3_K || kind == KQUANT_Q6_K)
                    s[t] = _mm512_set1_epi32 (sums[j]);
                  else if (kind == KQUANT_IQ4_XS)
                    s[t] = _mm512_set1_epi32 (sums[2 * j] + sums[2 * j + 1]);
                  else
                    s[t] = _mm512_setzero_si512 ();
                }
#pragma GCC unroll 8
              for (int p = p0; p < p1; p++)
                {
                  __m512i w = kquant_unit_load (kind, &k, u, p);

#pragma GCC unroll 8
                  for (int t = 0; t < n_tokens; t++)
                    s[t] = dpbusd (s[t], w, broadcast_u32 (y + t * a->stride + sb * BENDI_QK_K + 32 * u + 4 * p));
                }
#pragma GCC unroll 8
              for (int t = 0; t < n_tokens; t++)
                tmp[t] = _mm512_fmadd_ps (_mm512_cvtepi32_ps (s[t]), k.scale[j], tmp[t]);
            }
        }

#pragma GCC unroll 8
      for (int t = 0; t < n_tokens; t++)
        {
          if (has_min)
            {
              /* Σ_j m_j · (sums of 16 of sub-block j): the bsums' pair j
               * is one 32-bit word. */
              const gint16 *bsums = a->bsums + ((t0 + t) * nb + sb) * 16;
              __m512i m = _mm512_setzero_si512 ();

              for (int j = 0; j < 8; j++)
                m = _mm512_add_epi32 (m, _mm512_madd_epi16 (k.min_pairs[j], broadcast_u32 (bsums + 2 * j)));
              tmp[t] = _mm512_fnmadd_ps (_mm512_cvtepi32_ps (m), k.dmin, tmp[t]);
            }
          acc[t] = _mm512_fmadd_ps (tmp[t], _mm512_set1_ps (dy[t * nb + sb]), acc[t]);
        }
    }

  for (int t = 0; t < n_tokens; t++)
    _mm512_storeu_ps (out + (t0 + t) * ld_out, acc[t]);
}

static ALWAYS_INLINE void
gemm_kquant_groups (KQuantKind         kind,
                    const BendiMatrix *w,
                    gint64             r0,
                    gint64             r1,
                    const BendiActs   *a,
                    float             *out,
                    gint64             ld_out)
{
  const guint8 *data = w->data;

  for (gint64 p0 = r0; p0 < r1; p0 += PANEL_GROUPS * BENDI_INTERLEAVE)
    {
      gint64 p1 = MIN (r1, p0 + PANEL_GROUPS * BENDI_INTERLEAVE);

      for (gint64 t = 0; t < a->n_tokens; t += K_TILE_TOKENS)
        {
          int nt = (int) MIN (K_TILE_TOKENS, a->n_tokens - t);

          for (gint64 r = p0; r < p1; r += BENDI_INTERLEAVE)
            {
              const guint8 *group = data + r * w->row_bytes;

              switch (nt)
                {
#define TILE_CASE(n) case n: kquant_tile (kind, group, a, t, n, out + r, ld_out); break;
                TILE_CASE (1) TILE_CASE (2) TILE_CASE (3) TILE_CASE (4)
                TILE_CASE (5) TILE_CASE (6) TILE_CASE (7) TILE_CASE (8)
#undef TILE_CASE
                default: g_assert_not_reached ();
                }
            }
        }
    }
}

static void
gemm_interleaved_q2_k (const BendiMatrix *w,
                       gint64             r0,
                       gint64             r1,
                       const BendiActs   *a,
                       float             *out,
                       gint64             ld_out)
{
  gemm_kquant_groups (KQUANT_Q2_K, w, r0, r1, a, out, ld_out);
}

static void
gemm_interleaved_q3_k (const BendiMatrix *w,
                       gint64             r0,
                       gint64             r1,
                       const BendiActs   *a,
                       float             *out,
                       gint64             ld_out)
{
  gemm_kquant_groups (KQUANT_Q3_K, w, r0, r1, a, out, ld_out);
}

static void
gemm_interleaved_q4_k (const BendiMatrix *w,
                       gint64             r0,
                       gint64             r1,
                       const BendiActs   *a,
                       float             *out,
                       gint64             ld_out)
{
  gemm_kquant_groups (KQUANT_Q4_K, w, r0, r1, a, out, ld_out);
}

static void
gemm_interleaved_q5_k (const BendiMatrix *w,
                       gint64             r0,
                       gint64             r1,
                       const BendiActs   *a,
                       float             *out,
                       gint64             ld_out)
{
  gemm_kquant_groups (KQUANT_Q5_K, w, r0, r1, a, out, ld_out);
}

static void
gemm_interleaved_q6_k (const BendiMatrix *w,
                       gint64             r0,
                       gint64             r1,
                       const BendiActs   *a,
                       float             *out,
                       gint64             ld_out)
{
  gemm_kquant_groups (KQUANT_Q6_K, w, r0, r1, a, out, ld_out);
}

static void
gemm_interleaved_iq4_xs (const BendiMatrix *w,
                         gint64             r0,
                         gint64             r1,
                         const BendiActs   *a,
                         float             *out,
                         gint64             ld_out)
{
  gemm_kquant_groups (KQUANT_IQ4_XS, w, r0, r1, a, out, ld_out);
}

void
bendi_kernels_avx512_kquant_init (BendiCpuKernels *table)
{
  table->quantize[BENDI_ACT_Q8_K] = quantize_q8_k;
  table->gemm_interleaved[BENDI_TENSOR_TYPE_Q2_K] = gemm_interleaved_q2_k;
  table->gemm_interleaved[BENDI_TENSOR_TYPE_Q3_K] = gemm_interleaved_q3_k;
  table->gemm_interleaved[BENDI_TENSOR_TYPE_Q4_K] = gemm_interleaved_q4_k;
  table->gemm_interleaved[BENDI_TENSOR_TYPE_Q5_K] = gemm_interleaved_q5_k;
  table->gemm_interleaved[BENDI_TENSOR_TYPE_Q6_K] = gemm_interleaved_q6_k;
  table->gemm_interleaved[BENDI_TENSOR_TYPE_IQ4_XS] = gemm_interleaved_iq4_xs;
}
