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
 * VPDPWSSD against the sums of 16. */

#define K_TILE_TOKENS 8

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
static ALWAYS_INLINE __m512i
ksub_sum_start (KQuantKind     kind,
                const gint32  *sums,
                int            j)
{
  if (kind == KQUANT_Q3_K || kind == KQUANT_Q6_K)
    return _mm512_set1_epi32 (sums[j]);
  if (kind == KQUANT_IQ4_XS)
    return _mm512_set1_epi32 (sums[2 * j] + sums[2 * j + 1]);
  return _mm512_setzero_si512 ();
}

/* @sum less dmin · Σ_j m_j · (sums of 16 of sub-block j), for the kinds
 * with minimums: the bsums' pair j is one 32-bit word. */
static ALWAYS_INLINE __m512
ksuper_less_mins (KQuantKind     kind,
                  const KSuper  *k,
                  const gint16  *bsums,
                  __m512         sum)
{
  __m512i m = _mm512_setzero_si512 ();

  if (kind != KQUANT_Q2_K && kind != KQUANT_Q4_K && kind != KQUANT_Q5_K)
    return sum;
  for (int j = 0; j < 8; j++)
    m = _mm512_dpwssd_epi32 (m, k->min_pairs[j], broadcast_u32 (bsums + 2 * j));
  return _mm512_fnmadd_ps (_mm512_cvtepi32_ps (m), k->dmin, sum);
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
  const int n_sub = kind == KQUANT_Q2_K || kind == KQUANT_Q3_K || kind == KQUANT_Q6_K ? 16 : 8;
  __m512 acc[K_TILE_TOKENS], tmp[K_TILE_TOKENS];
  __m512i s[K_TILE_TOKENS];
  KSuper k;

  for (int t = 0; t < n_tokens; t++)
    acc[t] = _mm512_setzero_ps ();

  for (gint64 sb = 0; sb < nb; sb++)
    {
      ksuper_init (kind, group, nb, sb, &k);
      /* The first tile streams the group from memory, the next ones find
       * it in cache. */
      if (t0 == 0)
        ksuper_prefetch (kind, &k);

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
                s[t] = ksub_sum_start (kind, a->sums + ((t0 + t) * nb + sb) * 16, j);
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
        acc[t] = _mm512_fmadd_ps (ksuper_less_mins (kind, &k, a->bsums + ((t0 + t) * nb + sb) * 16, tmp[t]),
                                  _mm512_set1_ps (dy[t * nb + sb]), acc[t]);
    }

  for (int t = 0; t < n_tokens; t++)
    _mm512_storeu_ps (out + (t0 + t) * ld_out, acc[t]);
}

/* One token, kquant_tile ()'s sums in the same order (the same bits) but
 * with the units unrolled, where the tile kernel's loop stays rolled, and
 * each unit's products in two chains of VPDPBUSD (even and odd registers)
 * added before they are scaled (Q4_K, one thread, warm cache: 31.9 GB/s
 * rolled in one chain, 37.9 rolled in two, 39.4 unrolled in one, 41.6
 * both); unrolling the tile kernel too, for up to 8 tokens of every kind,
 * made the library 3 MB larger. */
static ALWAYS_INLINE void
kquant_gemv (KQuantKind       kind,
             const guint8    *group,
             const BendiActs *a,
             float           *out)
{
  const gint64 nb = a->n_blocks;
  const gint8 *y = (const gint8 *) a->values;
  const int n_sub = kind == KQUANT_Q2_K || kind == KQUANT_Q3_K || kind == KQUANT_Q6_K ? 16 : 8;
  __m512 acc = _mm512_setzero_ps ();
  KSuper k;

  for (gint64 sb = 0; sb < nb; sb++)
    {
      const gint8 *ys = y + sb * BENDI_QK_K;
      __m512 tmp = _mm512_setzero_ps ();

      ksuper_init (kind, group, nb, sb, &k);
      ksuper_prefetch (kind, &k);
#pragma GCC unroll 8
      for (int u = 0; u < 8; u++)
        for (int part = 0; part < (n_sub == 16 ? 2 : 1); part++)
          {
            int j = n_sub == 16 ? 2 * u + part : u;
            int p0 = n_sub == 16 ? 4 * part : 0, p1 = n_sub == 16 ? p0 + 4 : 8;
            __m512i s0 = ksub_sum_start (kind, a->sums + sb * 16, j), s1 = _mm512_setzero_si512 ();

            for (int p = p0; p < p1; p += 2)
              {
                s0 = dpbusd (s0, kquant_unit_load (kind, &k, u, p), broadcast_u32 (ys + 32 * u + 4 * p));
                s1 = dpbusd (s1, kquant_unit_load (kind, &k, u, p + 1), broadcast_u32 (ys + 32 * u + 4 * p + 4));
              }
            tmp = _mm512_fmadd_ps (_mm512_cvtepi32_ps (_mm512_add_epi32 (s0, s1)), k.scale[j], tmp);
          }
      acc = _mm512_fmadd_ps (ksuper_less_mins (kind, &k, a->bsums + sb * 16, tmp), _mm512_set1_ps (a->d[sb]), acc);
    }
  _mm512_storeu_ps (out, acc);
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
        kquant_gemv (kind, data + r * w->row_bytes, a, out + r);
      return;
    }

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

BENDI_DEFINE_GEMM (gemm_interleaved_q2_k, gemm_kquant_groups, KQUANT_Q2_K)
BENDI_DEFINE_GEMM (gemm_interleaved_q3_k, gemm_kquant_groups, KQUANT_Q3_K)
BENDI_DEFINE_GEMM (gemm_interleaved_q4_k, gemm_kquant_groups, KQUANT_Q4_K)
BENDI_DEFINE_GEMM (gemm_interleaved_q5_k, gemm_kquant_groups, KQUANT_Q5_K)
BENDI_DEFINE_GEMM (gemm_interleaved_q6_k, gemm_kquant_groups, KQUANT_Q6_K)
BENDI_DEFINE_GEMM (gemm_interleaved_iq4_xs, gemm_kquant_groups, KQUANT_IQ4_XS)

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
