/* SPDX-License-Identifier: MIT */
/* AVX2 kernels for the K-quants and IQ4_XS: their interleaved groups, and
 * the Q8_K activations they are multiplied with. */
#include "cpu/kernels-avx2.h"

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
  const __m256 sign_bit = _mm256_set1_ps (-0.0f);

  for (gint64 t = t0; t < t1; t++)
    for (gint64 b = 0; b < acts->n_blocks; b++)
      {
        const float *x = in + t * acts->n_cols + b * BENDI_QK_K;
        gint8 *q = (gint8 *) (out->values + t * acts->stride) + b * BENDI_QK_K;
        gint64 i = t * acts->n_blocks + b;
        gint16 *bsums = out->bsums + i * 16;
        gint32 *sums = out->sums + i * 16;
        __m256 amax_v = _mm256_setzero_ps (), iscale;
        __m128 m;
        float amax, max = 0;

        for (int k = 0; k < 32; k++)
          amax_v = _mm256_max_ps (amax_v, _mm256_andnot_ps (sign_bit, _mm256_loadu_ps (x + 8 * k)));
        m = _mm_max_ps (_mm256_castps256_ps128 (amax_v), _mm256_extractf128_ps (amax_v, 1));
        m = _mm_max_ps (m, _mm_movehl_ps (m, m));
        m = _mm_max_ss (m, _mm_movehdup_ps (m));
        amax = _mm_cvtss_f32 (m);
        if (amax == 0)
          {
            out->d[i] = 0;
            memset (q, 0, BENDI_QK_K);
            memset (bsums, 0, 16 * sizeof (gint16));
            memset (sums, 0, 16 * sizeof (gint32));
            continue;
          }
        for (int k = 0; k < 32; k++)
          {
            int hit = _mm256_movemask_ps (_mm256_cmp_ps (_mm256_andnot_ps (sign_bit, _mm256_loadu_ps (x + 8 * k)),
                                                         _mm256_set1_ps (amax), _CMP_EQ_OQ));

            if (hit != 0)
              {
                max = x[8 * k + __builtin_ctz ((unsigned) hit)];
                break;
              }
          }
        iscale = _mm256_set1_ps (-127.0f / max);
        for (int k = 0; k < 16; k++)
          {
            __m256i v0 = _mm256_cvtps_epi32 (_mm256_mul_ps (iscale, _mm256_loadu_ps (x + 16 * k)));
            __m256i v1 = _mm256_cvtps_epi32 (_mm256_mul_ps (iscale, _mm256_loadu_ps (x + 16 * k + 8)));
            __m128i packed;
            int sum;

            v0 = _mm256_min_epi32 (v0, _mm256_set1_epi32 (127));
            v1 = _mm256_min_epi32 (v1, _mm256_set1_epi32 (127));
            packed = _mm_packs_epi16 (_mm_packs_epi32 (_mm256_castsi256_si128 (v0), _mm256_extracti128_si256 (v0, 1)),
                                      _mm_packs_epi32 (_mm256_castsi256_si128 (v1), _mm256_extracti128_si256 (v1, 1)));
            _mm_storeu_si128 ((__m128i *) (q + 16 * k), packed);
            sum = hsum256_epi32 (_mm256_add_epi32 (v0, v1));
            bsums[k] = (gint16) sum;
            sums[k] = -acts->bias * sum;
          }
        out->d[i] = 1.0f / (-127.0f / max);
      }
}

/* ------------------------------------------------------------------------ */
/* K-quant groups, as in the AVX-512 kernels (which explain the formats),
 * 8 rows × TILE_TOKENS tokens per tile. The unsigned quants of Q4_K, Q5_K
 * and Q6_K stay below 64, so VPMADDUBSW is exact without VNNI; IQ4_XS's
 * levels then go signed, with the sign trick. */

typedef enum {
  KQUANT_Q2_K,
  KQUANT_Q3_K,
  KQUANT_Q4_K,
  KQUANT_Q5_K,
  KQUANT_Q6_K,
  KQUANT_IQ4_XS,
} KQuantKind;

typedef struct {
  const guint8 *quants;
  const guint8 *high_bits;
  __m256        scale[16];
  __m256i       min_pairs[8];
  __m256        dmin;
} KSuper;

/* Q4_K's and Q5_K's scales and minimums of sub-block j for the 8 rows of @half. */
static ALWAYS_INLINE void
k4_scales (const guint8 *packed,
           int           half,
           int           j,
           __m128i      *scale,
           __m128i      *min)
{
  const __m128i low6 = _mm_set1_epi8 (63), low4 = _mm_set1_epi8 (0x0f), top2 = _mm_set1_epi8 ((char) 0x30);
#define PACKED(k) _mm_loadl_epi64 ((const __m128i *) (packed + 16 * (k) + 8 * half))

  if (j < 4)
    {
      *scale = _mm_and_si128 (PACKED (j), low6);
      *min = _mm_and_si128 (PACKED (j + 4), low6);
    }
  else
    {
      __m128i b_lo = PACKED (j + 4);

      *scale = _mm_or_si128 (_mm_and_si128 (b_lo, low4), _mm_and_si128 (_mm_srli_epi16 (PACKED (j - 4), 2), top2));
      *min = _mm_or_si128 (_mm_and_si128 (_mm_srli_epi16 (b_lo, 4), low4),
                           _mm_and_si128 (_mm_srli_epi16 (PACKED (j), 2), top2));
    }
#undef PACKED
}

static ALWAYS_INLINE void
ksuper_init (KQuantKind    kind,
             const guint8 *group,
             int           half,
             gint64        nb,
             gint64        sb,
             KSuper       *k)
{
#define HALVES(offset) _mm_loadu_si128 ((const __m128i *) (group + (offset) + 16 * half))

  switch (kind)
    {
    case KQUANT_Q2_K:
      {
        __m256 d = _mm256_cvtph_ps (HALVES (nb * 1280 + sb * 32));

        k->dmin = _mm256_cvtph_ps (HALVES (nb * 1312 + sb * 32));
        k->quants = group + nb * 256 + sb * 1024;
        for (int j = 0; j < 16; j++)
          {
            __m256i b = _mm256_cvtepu8_epi32 (_mm_loadl_epi64 ((const __m128i *) (group + sb * 256 + 16 * j + 8 * half)));

            k->scale[j] = _mm256_mul_ps (d, _mm256_cvtepi32_ps (_mm256_and_si256 (b, _mm256_set1_epi32 (0x0f))));
            b = _mm256_srli_epi32 (b, 4);
            if (j % 2 == 0)
              k->min_pairs[j / 2] = b;
            else
              k->min_pairs[j / 2] = _mm256_or_si256 (k->min_pairs[j / 2], _mm256_slli_epi32 (b, 16));
          }
        break;
      }
    case KQUANT_Q3_K:
      {
        const guint8 *packed = group + nb * 1536 + sb * 192 + 8 * half;
        __m256 d = _mm256_cvtph_ps (HALVES (nb * 1728 + sb * 32));

        k->high_bits = group + sb * 512;
        k->quants = group + nb * 512 + sb * 1024;
        for (int j = 0; j < 16; j++)
          {
            __m128i low = _mm_loadl_epi64 ((const __m128i *) (packed + 16 * (j % 8)));
            __m128i high = _mm_loadl_epi64 ((const __m128i *) (packed + 16 * (8 + j % 4)));
            __m256i sc;

            low = _mm_and_si128 (j < 8 ? low : _mm_srli_epi16 (low, 4), _mm_set1_epi8 (0x0f));
            high = _mm_and_si128 (_mm_srli_epi16 (high, 2 * (j / 4)), _mm_set1_epi8 (3));
            sc = _mm256_cvtepu8_epi32 (_mm_or_si128 (low, _mm_slli_epi16 (high, 4)));
            k->scale[j] = _mm256_mul_ps (d, _mm256_cvtepi32_ps (_mm256_sub_epi32 (sc, _mm256_set1_epi32 (32))));
          }
        break;
      }
    case KQUANT_Q4_K:
    case KQUANT_Q5_K:
      {
        const guint8 *packed = group + nb * 64 + sb * 192;
        __m256 d = _mm256_cvtph_ps (HALVES (sb * 32));

        k->dmin = _mm256_cvtph_ps (HALVES (nb * 32 + sb * 32));
        k->quants = group + nb * 256 + sb * 2048;
        k->high_bits = group + nb * 2304 + sb * 512;
        for (int j = 0; j < 8; j++)
          {
            __m128i sc, mn;
            __m256i m32;

            k4_scales (packed, half, j, &sc, &mn);
            k->scale[j] = _mm256_mul_ps (d, _mm256_cvtepi32_ps (_mm256_cvtepu8_epi32 (sc)));
            m32 = _mm256_cvtepu8_epi32 (mn);
            k->min_pairs[j] = _mm256_or_si256 (m32, _mm256_slli_epi32 (m32, 16));
          }
        break;
      }
    case KQUANT_Q6_K:
      {
        const guint8 *scales = group + nb * 3072 + sb * 256;
        __m256 d = _mm256_cvtph_ps (HALVES (nb * 3328 + sb * 32));

        k->quants = group + sb * 2048;
        k->high_bits = group + nb * 2048 + sb * 1024;
        for (int j = 0; j < 16; j++)
          k->scale[j] = _mm256_mul_ps (d, _mm256_cvtepi32_ps (_mm256_cvtepi8_epi32 (
                                         _mm_loadl_epi64 ((const __m128i *) (scales + 16 * j + 8 * half)))));
        break;
      }
    case KQUANT_IQ4_XS:
    default:
      {
        __m256 d = _mm256_cvtph_ps (HALVES (sb * 32));
        __m256i high = _mm256_cvtepu16_epi32 (HALVES (nb * 32 + sb * 32));
        const guint8 *low = group + nb * 64 + sb * 64 + 8 * half;

        k->quants = group + nb * 128 + sb * 2048;
        for (int j = 0; j < 8; j++)
          {
            __m256i ls = _mm256_cvtepu8_epi32 (_mm_loadl_epi64 ((const __m128i *) (low + 16 * (j / 2))));

            ls = _mm256_and_si256 (_mm256_srli_epi32 (ls, 4 * (j % 2)), _mm256_set1_epi32 (0x0f));
            ls = _mm256_or_si256 (ls, _mm256_slli_epi32 (_mm256_and_si256 (_mm256_srli_epi32 (high, 2 * j),
                                                                           _mm256_set1_epi32 (3)), 4));
            k->scale[j] = _mm256_mul_ps (d, _mm256_cvtepi32_ps (_mm256_sub_epi32 (ls, _mm256_set1_epi32 (32))));
          }
        break;
      }
    }
#undef HALVES
}

/* Register p (0..7) of unit u: elements 32u + 4p .. + 3 of the 8 rows. */
static ALWAYS_INLINE __m256i
kquant_unit_load (KQuantKind    kind,
                  const KSuper *k,
                  int           half,
                  int           u,
                  int           p)
{
  const __m256i low_mask = _mm256_set1_epi8 (0x0f);
#define CHUNK(base, index) _mm256_loadu_si256 ((const __m256i *) ((base) + 64 * (index) + 32 * half))

  switch (kind)
    {
    case KQUANT_Q2_K:
    case KQUANT_Q3_K:
      {
        int n = u / 4, shift = u % 4;
        __m256i raw = CHUNK (k->quants, 8 * n + p);
        __m256i low = _mm256_and_si256 (_mm256_srli_epi16 (raw, 2 * shift), _mm256_set1_epi8 (3));
        __m256i hm, high;

        if (kind == KQUANT_Q2_K)
          return low;
        hm = CHUNK (k->high_bits, p);
        high = u <= 2 ? _mm256_slli_epi16 (hm, 2 - u) : _mm256_srli_epi16 (hm, u - 2);
        return _mm256_or_si256 (low, _mm256_and_si256 (high, _mm256_set1_epi8 (0x04)));
      }
    case KQUANT_Q4_K:
    case KQUANT_Q5_K:
      {
        __m256i raw = CHUNK (k->quants + (u / 2) * 512, p);
        __m256i low = _mm256_and_si256 (u % 2 ? _mm256_srli_epi16 (raw, 4) : raw, low_mask);
        __m256i qh, high;

        if (kind == KQUANT_Q4_K)
          return low;
        qh = CHUNK (k->high_bits, p);
        high = u <= 4 ? _mm256_slli_epi16 (qh, 4 - u) : _mm256_srli_epi16 (qh, u - 4);
        return _mm256_or_si256 (low, _mm256_and_si256 (high, _mm256_set1_epi8 (0x10)));
      }
    case KQUANT_Q6_K:
      {
        int n = u / 4, kk = u % 4;
        __m256i ql = CHUNK (k->quants + (2 * n + kk % 2) * 512, p);
        __m256i qh = CHUNK (k->high_bits + n * 512, p);
        __m256i low = _mm256_and_si256 (kk < 2 ? ql : _mm256_srli_epi16 (ql, 4), low_mask);
        __m256i high = kk <= 2 ? _mm256_slli_epi16 (qh, 4 - 2 * kk) : _mm256_srli_epi16 (qh, 2);

        return _mm256_or_si256 (low, _mm256_and_si256 (high, _mm256_set1_epi8 (0x30)));
      }
    case KQUANT_IQ4_XS:
    default:
      {
        __m256i raw = CHUNK (k->quants, 4 * u + p % 4);

        return _mm256_shuffle_epi8 (iq4nl_table (), _mm256_and_si256 (p < 4 ? raw : _mm256_srli_epi16 (raw, 4),
                                                                       low_mask));
      }
    }
#undef CHUNK
}

/* Prefetches for the super-block's quants, for the K-quants that gain
 * from them (see bendi_prefetch_stream). */
static ALWAYS_INLINE void
ksuper_prefetch (KQuantKind    kind,
                 const KSuper *k)
{
  if (kind == KQUANT_Q2_K)
    bendi_prefetch_stream (k->quants, 1024);
  else if (kind == KQUANT_Q4_K || kind == KQUANT_IQ4_XS)
    bendi_prefetch_stream (k->quants, 2048);
}

/* The integer sum sub-block @j's products start from: the offsets' share
 * (see above), carried by the activations' sums of 16. */
static ALWAYS_INLINE __m256i
ksub_sum_start (KQuantKind     kind,
                const gint32  *sums,
                int            j)
{
  if (kind == KQUANT_Q3_K || kind == KQUANT_Q6_K)
    return _mm256_set1_epi32 (sums[j]);
  if (kind == KQUANT_IQ4_XS && HAVE_VNNI)
    return _mm256_set1_epi32 (sums[2 * j] + sums[2 * j + 1]);
  return _mm256_setzero_si256 ();
}

/* @acc + the products of an unpacked register and 4 activation bytes. */
static ALWAYS_INLINE __m256i
kquant_dot (KQuantKind kind,
            __m256i    acc,
            __m256i    w,
            __m256i    a4)
{
  return kind == KQUANT_IQ4_XS ? dot_levels (acc, w, a4) : dot_small (acc, w, a4);
}

/* @sum less dmin · Σ_j m_j · (sums of 16 of sub-block j), for the kinds
 * with minimums. */
static ALWAYS_INLINE __m256
ksuper_less_mins (KQuantKind     kind,
                  const KSuper  *k,
                  const gint16  *bsums,
                  __m256         sum)
{
  __m256i m = _mm256_setzero_si256 ();

  if (kind != KQUANT_Q2_K && kind != KQUANT_Q4_K && kind != KQUANT_Q5_K)
    return sum;
  for (int j = 0; j < 8; j++)
    m = _mm256_add_epi32 (m, _mm256_madd_epi16 (k->min_pairs[j], broadcast_u32 (bsums + 2 * j)));
  return _mm256_fnmadd_ps (_mm256_cvtepi32_ps (m), k->dmin, sum);
}

static ALWAYS_INLINE void
kquant_tile (KQuantKind       kind,
             const guint8    *group,
             int              half,
             const BendiActs *a,
             gint64           t0,
             int              n_tokens,
             float           *out,
             gint64           ld_out)
{
  const gint64 nb = a->n_blocks;
  const gint8 *y = (const gint8 *) a->values + t0 * a->stride;
  const float *dy = a->d + t0 * nb;
  const int n_sub = kind == KQUANT_Q2_K || kind == KQUANT_Q3_K || kind == KQUANT_Q6_K ? 16 : 8;
  __m256 acc[TILE_TOKENS], tmp[TILE_TOKENS];
  __m256i s[TILE_TOKENS];
  KSuper k;

  for (int t = 0; t < n_tokens; t++)
    acc[t] = _mm256_setzero_ps ();

  for (gint64 sb = 0; sb < nb; sb++)
    {
      ksuper_init (kind, group, half, nb, sb, &k);
      /* The first tile's first half streams the group from memory, the
       * rest find it in cache. */
      if (t0 == 0 && half == 0)
        ksuper_prefetch (kind, &k);

      for (int t = 0; t < n_tokens; t++)
        tmp[t] = _mm256_setzero_ps ();
      for (int u = 0; u < 8; u++)
        for (int part = 0; part < (n_sub == 16 ? 2 : 1); part++)
          {
            int j = n_sub == 16 ? 2 * u + part : u;
            int p0 = n_sub == 16 ? 4 * part : 0, p1 = n_sub == 16 ? p0 + 4 : 8;

            for (int t = 0; t < n_tokens; t++)
              s[t] = ksub_sum_start (kind, a->sums + ((t0 + t) * nb + sb) * 16, j);
            for (int p = p0; p < p1; p++)
              {
                __m256i w = kquant_unit_load (kind, &k, half, u, p);

                for (int t = 0; t < n_tokens; t++)
                  s[t] = kquant_dot (kind, s[t], w,
                                     broadcast_u32 (y + t * a->stride + sb * BENDI_QK_K + 32 * u + 4 * p));
              }
            for (int t = 0; t < n_tokens; t++)
              tmp[t] = _mm256_fmadd_ps (_mm256_cvtepi32_ps (s[t]), k.scale[j], tmp[t]);
          }

      for (int t = 0; t < n_tokens; t++)
        acc[t] = _mm256_fmadd_ps (ksuper_less_mins (kind, &k, a->bsums + ((t0 + t) * nb + sb) * 16, tmp[t]),
                                  _mm256_set1_ps (dy[t * nb + sb]), acc[t]);
    }

  for (int t = 0; t < n_tokens; t++)
    _mm256_storeu_ps (out + (t0 + t) * ld_out + 8 * half, acc[t]);
}

/* One token, as the AVX-512 kquant_gemv (): kquant_tile ()'s sums in the
 * same order (the same bits), the units unrolled and each unit's products
 * in two chains (even and odd registers) added before they are scaled. */
static ALWAYS_INLINE void
kquant_gemv (KQuantKind       kind,
             const guint8    *group,
             int              half,
             const BendiActs *a,
             float           *out)
{
  const gint64 nb = a->n_blocks;
  const gint8 *y = (const gint8 *) a->values;
  const int n_sub = kind == KQUANT_Q2_K || kind == KQUANT_Q3_K || kind == KQUANT_Q6_K ? 16 : 8;
  __m256 acc = _mm256_setzero_ps ();
  KSuper k;

  for (gint64 sb = 0; sb < nb; sb++)
    {
      const gint8 *ys = y + sb * BENDI_QK_K;
      __m256 tmp = _mm256_setzero_ps ();

      ksuper_init (kind, group, half, nb, sb, &k);
      if (half == 0)
        ksuper_prefetch (kind, &k);
#pragma GCC unroll 8
      for (int u = 0; u < 8; u++)
        for (int part = 0; part < (n_sub == 16 ? 2 : 1); part++)
          {
            int j = n_sub == 16 ? 2 * u + part : u;
            int p0 = n_sub == 16 ? 4 * part : 0, p1 = n_sub == 16 ? p0 + 4 : 8;
            __m256i s0 = ksub_sum_start (kind, a->sums + sb * 16, j), s1 = _mm256_setzero_si256 ();

            for (int p = p0; p < p1; p += 2)
              {
                s0 = kquant_dot (kind, s0, kquant_unit_load (kind, &k, half, u, p), broadcast_u32 (ys + 32 * u + 4 * p));
                s1 = kquant_dot (kind, s1, kquant_unit_load (kind, &k, half, u, p + 1),
                                 broadcast_u32 (ys + 32 * u + 4 * p + 4));
              }
            tmp = _mm256_fmadd_ps (_mm256_cvtepi32_ps (_mm256_add_epi32 (s0, s1)), k.scale[j], tmp);
          }
      acc = _mm256_fmadd_ps (ksuper_less_mins (kind, &k, a->bsums + sb * 16, tmp), _mm256_set1_ps (a->d[sb]), acc);
    }
  _mm256_storeu_ps (out + 8 * half, acc);
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

  if (a->n_tokens == 1)
    {
      for (gint64 r = r0; r < r1; r += BENDI_INTERLEAVE)
        for (int half = 0; half < 2; half++)
          kquant_gemv (kind, data + r * w->row_bytes, half, a, out + r);
      return;
    }

  for (gint64 p0 = r0; p0 < r1; p0 += PANEL_GROUPS * BENDI_INTERLEAVE)
    {
      gint64 p1 = MIN (r1, p0 + PANEL_GROUPS * BENDI_INTERLEAVE);

      for (gint64 t = 0; t < a->n_tokens; t += TILE_TOKENS)
        {
          int nt = (int) MIN (TILE_TOKENS, a->n_tokens - t);

          for (gint64 r = p0; r < p1; r += BENDI_INTERLEAVE)
            for (int half = 0; half < 2; half++)
              {
                const guint8 *group = data + r * w->row_bytes;

                switch (nt)
                  {
                  case 1: kquant_tile (kind, group, half, a, t, 1, out + r, ld_out); break;
                  case 2: kquant_tile (kind, group, half, a, t, 2, out + r, ld_out); break;
                  case 3: kquant_tile (kind, group, half, a, t, 3, out + r, ld_out); break;
                  default: kquant_tile (kind, group, half, a, t, 4, out + r, ld_out); break;
                  }
              }
        }
    }
}

BENDI_DEFINE_GEMM (gemm_interleaved_q2_k, gemm_kquant_groups, KQUANT_Q2_K)
BENDI_DEFINE_GEMM (gemm_interleaved_q3_k, gemm_kquant_groups, KQUANT_Q3_K)
BENDI_DEFINE_GEMM (gemm_interleaved_q4_k, gemm_kquant_groups, KQUANT_Q4_K)
BENDI_DEFINE_GEMM (gemm_interleaved_q5_k, gemm_kquant_groups, KQUANT_Q5_K)
BENDI_DEFINE_GEMM (gemm_interleaved_q6_k, gemm_kquant_groups, KQUANT_Q6_K)
BENDI_DEFINE_GEMM (gemm_interleaved_iq4_xs, gemm_kquant_groups, KQUANT_IQ4_XS)

void
KQUANT_INIT (BendiCpuKernels *table)
{
  table->quantize[BENDI_ACT_Q8_K] = quantize_q8_k;
  table->gemm_interleaved[BENDI_TENSOR_TYPE_Q2_K] = gemm_interleaved_q2_k;
  table->gemm_interleaved[BENDI_TENSOR_TYPE_Q3_K] = gemm_interleaved_q3_k;
  table->gemm_interleaved[BENDI_TENSOR_TYPE_Q4_K] = gemm_interleaved_q4_k;
  table->gemm_interleaved[BENDI_TENSOR_TYPE_Q5_K] = gemm_interleaved_q5_k;
  table->gemm_interleaved[BENDI_TENSOR_TYPE_Q6_K] = gemm_interleaved_q6_k;
  table->gemm_interleaved[BENDI_TENSOR_TYPE_IQ4_XS] = gemm_interleaved_iq4_xs;
}
