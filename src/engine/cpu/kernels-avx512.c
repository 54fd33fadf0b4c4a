/* SPDX-License-Identifier: MIT */
/* AVX-512 kernels (F, BW, DQ, VL and VNNI). The int8 products use VPDPBUSD:
 * unsigned weight bytes times signed activation bytes, four per 32-bit lane.
 * Weights that are signed get an offset that makes them unsigned; the
 * activations' quantiser stores -offset·Σq per block, which starts the sum. */
#include "cpu/kernels-avx512.h"

#include <math.h>
#include <stdalign.h>

/* Tokens per tile of the interleaved products: 16 rows × TILE_TOKENS
 * accumulators stay in registers while a group's block is reused. */
#ifndef TILE_TOKENS
#define TILE_TOKENS 12
#endif

/* ------------------------------------------------------------------------ */
/* Activation quantisers: the same arithmetic as the portable ones. */

/* One block's 32 values times @scale, rounded as roundf () does (add
 * ±(0.5 - ulp) and truncate, exact for |v| <= 127) into @q; returns the
 * rounded values' sums lane by lane. */
static ALWAYS_INLINE __m512i
round_block (const float *x,
             __m512       scale,
             gint8       *q)
{
  const __m512 just_below_half = _mm512_set1_ps (0.49999997f);
  __m512 v0 = _mm512_mul_ps (_mm512_loadu_ps (x), scale);
  __m512 v1 = _mm512_mul_ps (_mm512_loadu_ps (x + 16), scale);
  __m512i q0 = _mm512_cvttps_epi32 (_mm512_add_ps (v0, copysign_ps (just_below_half, v0)));
  __m512i q1 = _mm512_cvttps_epi32 (_mm512_add_ps (v1, copysign_ps (just_below_half, v1)));

  _mm_storeu_si128 ((__m128i *) q, _mm512_cvtsepi32_epi8 (q0));
  _mm_storeu_si128 ((__m128i *) (q + 16), _mm512_cvtsepi32_epi8 (q1));
  return _mm512_add_epi32 (q0, q1);
}

/* One block of 32 at @i (token and block counted together). */
static ALWAYS_INLINE void
quantize_q8_01_block (const BendiActs    *acts,
                      const BendiActsOut *out,
                      const float        *x,
                      gint8              *q,
                      gint64              i)
{
  float amax = _mm512_reduce_max_ps (_mm512_max_ps (_mm512_abs_ps (_mm512_loadu_ps (x)),
                                                    _mm512_abs_ps (_mm512_loadu_ps (x + 16))));
  float d = amax / 127;
  int sum = _mm512_reduce_add_epi32 (round_block (x, _mm512_set1_ps (d != 0 ? 1.0f / d : 0.0f), q));

  out->d[i] = fp16_round (d);
  if (acts->kind == BENDI_ACT_Q8_1)
    {
      out->sums[i] = sum;
      out->s[i] = fp16_round ((float) sum * d);
    }
  else
    out->sums[i] = -acts->bias * sum;
}

/* Sixteen blocks from @i, the same arithmetic as quantize_q8_01_block ()
 * but each block's maximum and sum a lane of one vector: a transposing
 * reduction gives all sixteen, one division serves them all. A block at a
 * time, its reductions and divisions were a chain of latencies: 1.4 µs for
 * the 2048 values of the 1.1B model's products (warm caches), 0.4 µs
 * this way. */
static ALWAYS_INLINE void
quantize_q8_01_16_blocks (const BendiActs    *acts,
                          const BendiActsOut *out,
                          const float        *x,
                          gint8              *q,
                          gint64              i)
{
  alignas (64) float inverse[16];
  __m512 lanes[16], d, id;
  __m512i sums;

  for (int b = 0; b < 16; b++)
    lanes[b] = _mm512_max_ps (_mm512_abs_ps (_mm512_loadu_ps (x + 32 * b)),
                              _mm512_abs_ps (_mm512_loadu_ps (x + 32 * b + 16)));
  d = _mm512_div_ps (reduce_lanes16 (LANES_MAX, lanes), _mm512_set1_ps (127));
  id = _mm512_maskz_div_ps (_mm512_cmp_ps_mask (d, _mm512_setzero_ps (), _CMP_NEQ_OQ), _mm512_set1_ps (1), d);
  _mm512_store_ps (inverse, id);
  for (int b = 0; b < 16; b++)
    lanes[b] = _mm512_castsi512_ps (round_block (x + 32 * b, _mm512_set1_ps (inverse[b]), q + 32 * b));
  sums = _mm512_castps_si512 (reduce_lanes16 (LANES_ADD_EPI32, lanes));
  _mm512_storeu_ps (out->d + i, fp16_round_ps (d));
  if (acts->kind == BENDI_ACT_Q8_1)
    {
      _mm512_storeu_si512 (out->sums + i, sums);
      _mm512_storeu_ps (out->s + i, fp16_round_ps (_mm512_mul_ps (_mm512_cvtepi32_ps (sums), d)));
    }
  else
    _mm512_storeu_si512 (out->sums + i, _mm512_mullo_epi32 (sums, _mm512_set1_epi32 (-acts->bias)));
}

static void
quantize_q8_01 (const BendiActs    *acts,
                const BendiActsOut *out,
                const float        *in,
                gint64              t0,
                gint64              t1)
{
  for (gint64 t = t0; t < t1; t++)
    {
      const float *x = in + t * acts->n_cols;
      gint8 *q = (gint8 *) (out->values + t * acts->stride);
      gint64 b = 0;

      for (; b + 16 <= acts->n_blocks; b += 16)
        quantize_q8_01_16_blocks (acts, out, x + b * BENDI_QK, q + b * BENDI_QK, t * acts->n_blocks + b);
      for (; b < acts->n_blocks; b++)
        quantize_q8_01_block (acts, out, x + b * BENDI_QK, q + b * BENDI_QK, t * acts->n_blocks + b);
    }
}

/* F16 and BF16 activations are kept as floats that the rounding left
 * exactly representable, so the products need no conversion. */
static void
quantize_f16 (const BendiActs    *acts,
              const BendiActsOut *out,
              const float        *in,
              gint64              t0,
              gint64              t1)
{
  for (gint64 t = t0; t < t1; t++)
    {
      const float *x = in + t * acts->n_cols;
      float *y = (float *) (out->values + t * acts->stride);
      gint64 i = 0;

      for (; i + 16 <= acts->n_cols; i += 16)
        {
          __m256i h = _mm512_cvtps_ph (_mm512_loadu_ps (x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);

          _mm512_storeu_ps (y + i, _mm512_cvtph_ps (h));
        }
      for (; i < acts->n_cols; i++)
        y[i] = bendi_fp16_round (x[i]);
    }
}

/* ------------------------------------------------------------------------ */
/* Interleaved groups (see interleave.c): 16 rows × TILE_TOKENS tokens per
 * tile. A block's 32 quants of all 16 rows are eight registers, register j
 * holding elements 4j .. 4j + 3 of each row, so one VPDPBUSD with the
 * token's 4 activation bytes at 4j broadcast adds them to all 16 rows. */

static ALWAYS_INLINE void
group_block_load (GroupKind         kind,
                  const GroupParts *parts,
                  gint64            b,
                  __m512i           w[8])
{
  const __m512i low_mask = _mm512_set1_epi8 (0x0f);
  const guint8 *chunks = parts->quants + b * parts->quant_bytes;

  if (kind == GROUP_Q8_0)
    {
      for (int j = 0; j < 8; j++)
        w[j] = _mm512_loadu_si512 (chunks + 64 * j);
      return;
    }
  for (int p = 0; p < 4; p++)
    {
      __m512i packed = _mm512_loadu_si512 (chunks + 64 * p);

      w[p] = _mm512_and_si512 (packed, low_mask);                           /* elements 4p.. */
      w[p + 4] = _mm512_and_si512 (_mm512_srli_epi16 (packed, 4), low_mask); /* elements 16 + 4p.. */
      if (kind == GROUP_IQ4_NL)
        {
          /* The 16 levels, offset by 128 so they are unsigned bytes. */
          const __m512i levels = _mm512_broadcast_i32x4 (_mm_setr_epi8 (
            1, 24, 45, 63, 79, 93, 106, 118, (char) 129, (char) 141, (char) 153,
            (char) 166, (char) 181, (char) 197, (char) 217, (char) 241));

          w[p] = _mm512_shuffle_epi8 (levels, w[p]);
          w[p + 4] = _mm512_shuffle_epi8 (levels, w[p + 4]);
        }
      if (kind == GROUP_Q5_0 || kind == GROUP_Q5_1)
        {
          __m512i qh = _mm512_loadu_si512 (parts->high_bits + b * 64);

          w[p] = _mm512_or_si512 (w[p], fifth_bits (qh, 4 * p));
          w[p + 4] = _mm512_or_si512 (w[p + 4], fifth_bits (qh, 16 + 4 * p));
        }
    }
}

/* The sum each block's products start from: -bias·Σq where the weights
 * carry an offset, nothing where they have a minimum instead. */
static ALWAYS_INLINE __m512i
group_sum_start (GroupKind        kind,
                 const BendiActs *a,
                 gint64           i)
{
  return group_has_min (kind) ? _mm512_setzero_si512 () : _mm512_set1_epi32 (a->sums[i]);
}

static ALWAYS_INLINE void
group_tile (GroupKind        kind,
            const guint8    *group,
            const BendiActs *a,
            gint64           t0,
            int              n_tokens,
            float           *out,
            gint64           ld_out)
{
  const gint64 nb = a->n_blocks;
  const GroupParts parts = group_parts (kind, group, nb);
  const gint8 *y = (const gint8 *) a->values + t0 * a->stride;
  const float *d = a->d + t0 * nb;
  __m512 acc[TILE_TOKENS];
  __m512i s[TILE_TOKENS];

  for (int t = 0; t < n_tokens; t++)
    acc[t] = _mm512_setzero_ps ();

  for (gint64 b = 0; b < nb; b++)
    {
      __m512i w[8];
      __m512 dw = _mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) (parts.scales + b * 32)));

      /* The first tile streams the group from memory, the next ones find
       * it in cache. */
      if (t0 == 0)
        {
          bendi_prefetch_stream (parts.quants + b * parts.quant_bytes, parts.quant_bytes);
          if (parts.high_bits != NULL)
            bendi_prefetch_stream (parts.high_bits + b * 64, 64);
        }
      group_block_load (kind, &parts, b, w);

      /* Element group j across all tokens before j + 1: the sums of
       * different tokens are independent, so VPDPBUSD never waits for the
       * previous one (a chain per token would, 8 deep). */
#pragma GCC unroll 16
      for (int t = 0; t < n_tokens; t++)
        s[t] = group_sum_start (kind, a, (t0 + t) * nb + b);
#pragma GCC unroll 8
      for (int j = 0; j < 8; j++)
#pragma GCC unroll 16
        for (int t = 0; t < n_tokens; t++)
          s[t] = dpbusd (s[t], w[j], broadcast_u32 (y + t * a->stride + b * BENDI_QK + 4 * j));
#pragma GCC unroll 16
      for (int t = 0; t < n_tokens; t++)
        {
          acc[t] = _mm512_fmadd_ps (_mm512_cvtepi32_ps (s[t]),
                                    _mm512_mul_ps (dw, _mm512_set1_ps (d[t * nb + b])), acc[t]);
          /* x = d·q + m: the minimum meets the activations' d·Σq. */
          if (group_has_min (kind))
            acc[t] = _mm512_fmadd_ps (_mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) (parts.mins + b * 32))),
                                      _mm512_set1_ps (a->s[(t0 + t) * nb + b]), acc[t]);
        }
    }

  for (int t = 0; t < n_tokens; t++)
    _mm512_storeu_ps (out + (t0 + t) * ld_out, acc[t]);
}

/* One token: two independent sums per block keep both VPDPBUSD ports
 * busy, and the next blocks' loads are already in flight. */
static ALWAYS_INLINE void
group_gemv (GroupKind        kind,
            const guint8    *group,
            const BendiActs *a,
            float           *out)
{
  const gint64 nb = a->n_blocks;
  const GroupParts parts = group_parts (kind, group, nb);
  const gint8 *y = a->values;
  __m512 acc0 = _mm512_setzero_ps (), acc1 = _mm512_setzero_ps ();

  for (gint64 b = 0; b < nb; b++)
    {
      __m512i w[8];
      __m512 dw = _mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) (parts.scales + b * 32)));
      const gint8 *yb = y + b * BENDI_QK;
      __m512i s0 = group_sum_start (kind, a, b), s1 = _mm512_setzero_si512 ();
      __m512 scale = _mm512_mul_ps (dw, _mm512_set1_ps (a->d[b]));
      __m512 sum;

      bendi_prefetch_stream (parts.quants + b * parts.quant_bytes, parts.quant_bytes);
      if (parts.high_bits != NULL)
        bendi_prefetch_stream (parts.high_bits + b * 64, 64);
      group_block_load (kind, &parts, b, w);
      for (int j = 0; j < 8; j += 2)
        {
          s0 = dpbusd (s0, w[j], broadcast_u32 (yb + 4 * j));
          s1 = dpbusd (s1, w[j + 1], broadcast_u32 (yb + 4 * j + 4));
        }
      sum = _mm512_cvtepi32_ps (_mm512_add_epi32 (s0, s1));
      if (b & 1)
        acc1 = _mm512_fmadd_ps (sum, scale, acc1);
      else
        acc0 = _mm512_fmadd_ps (sum, scale, acc0);
      if (group_has_min (kind))
        acc1 = _mm512_fmadd_ps (_mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) (parts.mins + b * 32))),
                                _mm512_set1_ps (a->s[b]), acc1);
    }
  _mm512_storeu_ps (out, _mm512_add_ps (acc0, acc1));
}

static ALWAYS_INLINE void
gemm_groups (GroupKind          kind,
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
        group_gemv (kind, data + r * w->row_bytes, a, out + r);
      return;
    }

  for (gint64 p0 = r0; p0 < r1; p0 += PANEL_GROUPS * BENDI_INTERLEAVE)
    {
      gint64 p1 = MIN (r1, p0 + PANEL_GROUPS * BENDI_INTERLEAVE);

      for (gint64 t = 0; t < a->n_tokens; t += TILE_TOKENS)
        {
          int nt = (int) MIN (TILE_TOKENS, a->n_tokens - t);

          for (gint64 r = p0; r < p1; r += BENDI_INTERLEAVE)
            {
              const guint8 *group = data + r * w->row_bytes;

              /* A constant token count lets each tile's loops unroll. */
              switch (nt)
                {
#define TILE_CASE(n) case n: group_tile (kind, group, a, t, n, out + r, ld_out); break;
                TILE_CASE (1) TILE_CASE (2) TILE_CASE (3) TILE_CASE (4)
                TILE_CASE (5) TILE_CASE (6) TILE_CASE (7) TILE_CASE (8)
#if TILE_TOKENS >= 12
                TILE_CASE (9) TILE_CASE (10) TILE_CASE (11) TILE_CASE (12)
#endif
#if TILE_TOKENS >= 16
                TILE_CASE (13) TILE_CASE (14) TILE_CASE (15) TILE_CASE (16)
#endif
#undef TILE_CASE
                default: g_assert_not_reached ();
                }
            }
        }
    }
}

BENDI_DEFINE_GEMM (gemm_interleaved_q4_0, gemm_groups, GROUP_Q4_0)
BENDI_DEFINE_GEMM (gemm_interleaved_iq4_nl, gemm_groups, GROUP_IQ4_NL)
BENDI_DEFINE_GEMM (gemm_interleaved_q4_1, gemm_groups, GROUP_Q4_1)
BENDI_DEFINE_GEMM (gemm_interleaved_q5_0, gemm_groups, GROUP_Q5_0)
BENDI_DEFINE_GEMM (gemm_interleaved_q5_1, gemm_groups, GROUP_Q5_1)
BENDI_DEFINE_GEMM (gemm_interleaved_q8_0, gemm_groups, GROUP_Q8_0)

/* ------------------------------------------------------------------------ */
/* ggml's row layout, for matrices that were not repacked and the rows
 * after the last whole group: one row against up to 4 tokens, each block
 * widened once to 32 unsigned bytes in a 256-bit register. */

#define ROW_TOKENS 4

static ALWAYS_INLINE __m256i
row_block_q4 (const guint8 *qs)
{
  __m128i packed = _mm_loadu_si128 ((const __m128i *) qs);
  __m256i both = _mm256_inserti128_si256 (_mm256_castsi128_si256 (packed), _mm_srli_epi16 (packed, 4), 1);

  return _mm256_and_si256 (both, _mm256_set1_epi8 (0x0f));
}

static ALWAYS_INLINE void
row_dot (GroupKind        kind,
         const guint8    *row,
         const BendiActs *a,
         gint64           t0,
         int              n_tokens,
         float           *out,
         gint64           ld_out)
{
  const gint64 nb = a->n_blocks;
  const gsize block_bytes = kind == GROUP_Q8_0 ? sizeof (BendiBlockQ8_0) : sizeof (BendiBlockQ4_0);
  const __m128i levels = _mm_setr_epi8 (1, 24, 45, 63, 79, 93, 106, 118, (char) 129, (char) 141,
                                        (char) 153, (char) 166, (char) 181, (char) 197, (char) 217, (char) 241);
  __m256 acc[ROW_TOKENS];

  for (int t = 0; t < n_tokens; t++)
    acc[t] = _mm256_setzero_ps ();

  for (gint64 b = 0; b < nb; b++)
    {
      const guint8 *block = row + b * block_bytes;
      BendiFp16 dw_bits;
      float dw;
      __m256i w;

      memcpy (&dw_bits, block, 2);
      dw = _cvtsh_ss (dw_bits);
      if (kind == GROUP_Q8_0)
        w = _mm256_xor_si256 (_mm256_loadu_si256 ((const __m256i *) (block + 2)), _mm256_set1_epi8 ((char) 0x80));
      else
        w = row_block_q4 (block + 2);
      if (kind == GROUP_IQ4_NL)
        w = _mm256_shuffle_epi8 (_mm256_broadcastsi128_si256 (levels), w);

      for (int t = 0; t < n_tokens; t++)
        {
          gint64 i = (t0 + t) * nb + b;
          const gint8 *yb = (const gint8 *) a->values + (t0 + t) * a->stride + b * BENDI_QK;
          /* The correction goes in lane 0 only: the lanes are summed at the end. */
          __m256i s = _mm256_castsi128_si256 (_mm_cvtsi32_si128 (a->sums[i]));

          s = dpbusd256 (s, w, _mm256_loadu_si256 ((const __m256i *) yb));
          acc[t] = _mm256_fmadd_ps (_mm256_cvtepi32_ps (s), _mm256_set1_ps (dw * a->d[i]), acc[t]);
        }
    }

  for (int t = 0; t < n_tokens; t++)
    out[(t0 + t) * ld_out] = hsum256 (acc[t]);
}

static ALWAYS_INLINE void
gemm_rows_legacy (GroupKind          kind,
                  const BendiMatrix *w,
                  gint64             r0,
                  gint64             r1,
                  const BendiActs   *a,
                  float             *out,
                  gint64             ld_out)
{
  for (gint64 r = r0; r < r1; r++)
    {
      const guint8 *row = (const guint8 *) w->data + r * w->row_bytes;
      gint64 t = 0;

      for (; t + ROW_TOKENS <= a->n_tokens; t += ROW_TOKENS)
        row_dot (kind, row, a, t, ROW_TOKENS, out + r, ld_out);
      for (; t < a->n_tokens; t++)
        row_dot (kind, row, a, t, 1, out + r, ld_out);
    }
}

BENDI_DEFINE_GEMM (gemm_rows_q4_0, gemm_rows_legacy, GROUP_Q4_0)
BENDI_DEFINE_GEMM (gemm_rows_iq4_nl, gemm_rows_legacy, GROUP_IQ4_NL)
BENDI_DEFINE_GEMM (gemm_rows_q8_0, gemm_rows_legacy, GROUP_Q8_0)

/* ------------------------------------------------------------------------ */
/* Float weights: FLOAT_ROWS rows × FLOAT_TOKENS tokens of dot products,
 * 16 columns at a time. F16 and BF16 rows are widened as they are loaded;
 * the activations are already floats (rounded to the weights' precision). */

#define FLOAT_ROWS 4
#define FLOAT_TOKENS 6

typedef enum {
  FLOAT_F32,
  FLOAT_F16,
  FLOAT_BF16,
} FloatKind;

static ALWAYS_INLINE __m512
float_load (FloatKind     kind,
            const guint8 *row,
            gint64        c)
{
  switch (kind)
    {
    case FLOAT_F16:
      return _mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) (row + 2 * c)));
    case FLOAT_BF16:
      return _mm512_castsi512_ps (_mm512_slli_epi32 (
        _mm512_cvtepu16_epi32 (_mm256_loadu_si256 ((const __m256i *) (row + 2 * c))), 16));
    case FLOAT_F32:
    default:
      return _mm512_loadu_ps ((const float *) row + c);
    }
}

static ALWAYS_INLINE float
float_scalar (FloatKind     kind,
              const guint8 *row,
              gint64        c)
{
  guint16 bits;

  if (kind == FLOAT_F32)
    return ((const float *) row)[c];
  memcpy (&bits, row + 2 * c, 2);
  return kind == FLOAT_F16 ? bendi_fp16_to_fp32 (bits) : bendi_bf16_to_fp32 (bits);
}

static ALWAYS_INLINE void
float_tile (FloatKind        kind,
            const guint8    *rows,
            gsize            row_bytes,
            int              n_rows,
            const BendiActs *a,
            gint64           t0,
            int              n_tokens,
            float           *out,
            gint64           ld_out)
{
  const gint64 n = a->n_cols;
  const gint64 n_vec = n - n % 16;
  __m512 acc[FLOAT_ROWS][FLOAT_TOKENS];

  for (int r = 0; r < n_rows; r++)
    for (int t = 0; t < n_tokens; t++)
      acc[r][t] = _mm512_setzero_ps ();

  for (gint64 c = 0; c < n_vec; c += 16)
    {
      __m512 w[FLOAT_ROWS];

      for (int r = 0; r < n_rows; r++)
        w[r] = float_load (kind, rows + r * row_bytes, c);
      for (int t = 0; t < n_tokens; t++)
        {
          __m512 x = _mm512_loadu_ps ((const float *) ((const guint8 *) a->values + (t0 + t) * a->stride) + c);

          for (int r = 0; r < n_rows; r++)
            acc[r][t] = _mm512_fmadd_ps (w[r], x, acc[r][t]);
        }
    }

  for (int r = 0; r < n_rows; r++)
    for (int t = 0; t < n_tokens; t++)
      {
        const float *x = (const float *) ((const guint8 *) a->values + (t0 + t) * a->stride);
        float sum = _mm512_reduce_add_ps (acc[r][t]);

        for (gint64 c = n_vec; c < n; c++)
          sum += float_scalar (kind, rows + r * row_bytes, c) * x[c];
        out[(t0 + t) * ld_out + r] = sum;
      }
}

/* @a's lanes summed in the order of GCC's _mm512_reduce_add_ps (), which
 * ggml is built with: lanes i and i + 8, then i and i + 4, i and i + 2,
 * and the last two (other compilers' reduction may add in another order). */
static ALWAYS_INLINE float
reduce_add_gcc_order (__m512 a)
{
  __m256 eight = _mm256_add_ps (_mm512_extractf32x8_ps (a, 1), _mm512_castps512_ps256 (a));
  __m128 four = _mm_add_ps (_mm256_extractf128_ps (eight, 1), _mm256_castps256_ps128 (eight));
  __m128 two = _mm_add_ps (four, _mm_shuffle_ps (four, four, _MM_SHUFFLE (1, 0, 3, 2)));

  return _mm_cvtss_f32 (two) + _mm_cvtss_f32 (_mm_shuffle_ps (two, two, _MM_SHUFFLE (1, 1, 1, 1)));
}

/* F32 and F16 weights with the sums of ggml's vec_dot_f32 and vec_dot_f16
 * (AVX-512), which its CPU backend uses for these weights on a token and on
 * a batch alike (checked up to 64 tokens): per dot product four
 * accumulators of 16 lanes over each 64 columns, column c in accumulator
 * (c / 16) % 4, added as (a0 + a2) + (a1 + a3) and then lane by lane; the
 * columns past the last 64 added in double precision (F16; ggml's F32 tail
 * is summed otherwise, not reproduced). The same bits as llama.cpp's
 * products, so that no 8-bit activation after them rounds the other way:
 * with them and the attention of bendi_vec_attend_heads_half (), a
 * two-layer F16 model's logits equal llama.cpp's bit for bit over 30
 * generated tokens. Up to 24 accumulators: 2 rows × 3 tokens, or 4 rows
 * of one token. */
#define GGML_ORDER_ROWS 2
#define GGML_ORDER_TOKENS 3
#define GGML_ORDER_MAX_ROWS 4
/* columns of a block for float_tile_ggml_passes () (256 to 2048 made no
 * difference beyond the noise) */
#define GGML_ORDER_BLOCK 2048

/* One dot product's end: its four accumulators added (a0 + a2) + (a1 + a3)
 * and lane by lane, the columns past the last 64 added in double
 * precision. */
static ALWAYS_INLINE float
ggml_order_sum (FloatKind        kind,
                const guint8    *row,
                const BendiActs *a,
                gint64           t,
                const __m512     acc[4])
{
  const float *x = (const float *) ((const guint8 *) a->values + t * a->stride);
  double sum = reduce_add_gcc_order (_mm512_add_ps (_mm512_add_ps (acc[0], acc[2]), _mm512_add_ps (acc[1], acc[3])));

  for (gint64 c = a->n_cols & ~(gint64) 63; c < a->n_cols; c++)
    sum += (double) (float_scalar (kind, row, c) * x[c]);
  return (float) sum;
}

static ALWAYS_INLINE void
float_tile_ggml_order (FloatKind        kind,
                       const guint8    *rows,
                       gsize            row_bytes,
                       int              n_rows,
                       const BendiActs *a,
                       gint64           t0,
                       int              n_tokens,
                       float           *out,
                       gint64           ld_out)
{
  const gint64 n = a->n_cols;
  const gint64 n_vec = n & ~(gint64) 63;
  __m512 acc[GGML_ORDER_MAX_ROWS][GGML_ORDER_TOKENS][4];

  for (int r = 0; r < n_rows; r++)
    for (int t = 0; t < n_tokens; t++)
      for (int j = 0; j < 4; j++)
        acc[r][t][j] = _mm512_setzero_ps ();

  for (gint64 c = 0; c < n_vec; c += 64)
    for (int j = 0; j < 4; j++)
      {
        __m512 w[GGML_ORDER_MAX_ROWS];

        for (int r = 0; r < n_rows; r++)
          w[r] = float_load (kind, rows + r * row_bytes, c + 16 * j);
        for (int t = 0; t < n_tokens; t++)
          {
            __m512 x = _mm512_loadu_ps ((const float *) ((const guint8 *) a->values + (t0 + t) * a->stride) + c + 16 * j);

            for (int r = 0; r < n_rows; r++)
              acc[r][t][j] = _mm512_fmadd_ps (w[r], x, acc[r][t][j]);
          }
      }

  for (int r = 0; r < n_rows; r++)
    for (int t = 0; t < n_tokens; t++)
      out[(t0 + t) * ld_out + r] = ggml_order_sum (kind, rows + r * row_bytes, a, t0 + t, acc[r][t]);
}

/* float_tile_ggml_order () for FLOAT_ROWS rows × FLOAT_TOKENS tokens,
 * one accumulator of the four at a time: four passes over a block of
 * columns, each taking every fourth group of 16, so that 24 registers hold
 * a pass's sums and the tile is as large as float_tile ()'s. llama.cpp's
 * order costs prompts of float weights: perf-matmul, 1.1B shapes at F16,
 * 512 tokens, 2 threads, 58-78 tokens/s this way (59-63 with 2 × 3 tiles
 * of four accumulators) against 93-100 with float_tile ()'s one
 * accumulator; generation is unchanged (80 against 82 ms a token). */
static ALWAYS_INLINE void
float_tile_ggml_passes (FloatKind        kind,
                        const guint8    *rows,
                        gsize            row_bytes,
                        const BendiActs *a,
                        gint64           t0,
                        float           *out,
                        gint64           ld_out)
{
  const gint64 n = a->n_cols;
  const gint64 n_vec = n & ~(gint64) 63;
  __m512 parts[4][FLOAT_ROWS][FLOAT_TOKENS];

  memset (parts, 0, sizeof parts);
  /* a block of columns at a time, so that its weights and activations stay
   * in the first-level cache through the four passes */
  for (gint64 c0 = 0; c0 < n_vec; c0 += GGML_ORDER_BLOCK)
    for (int j = 0; j < 4; j++)
      {
        __m512 acc[FLOAT_ROWS][FLOAT_TOKENS];

        memcpy (acc, parts[j], sizeof acc);
        for (gint64 c = c0 + 16 * j; c < MIN (c0 + GGML_ORDER_BLOCK, n_vec); c += 64)
          {
            __m512 w[FLOAT_ROWS];

            for (int r = 0; r < FLOAT_ROWS; r++)
              w[r] = float_load (kind, rows + r * row_bytes, c);
            for (int t = 0; t < FLOAT_TOKENS; t++)
              {
                __m512 x = _mm512_loadu_ps ((const float *) ((const guint8 *) a->values + (t0 + t) * a->stride) + c);

                for (int r = 0; r < FLOAT_ROWS; r++)
                  acc[r][t] = _mm512_fmadd_ps (w[r], x, acc[r][t]);
              }
          }
        memcpy (parts[j], acc, sizeof acc);
      }

  for (int r = 0; r < FLOAT_ROWS; r++)
    for (int t = 0; t < FLOAT_TOKENS; t++)
      {
        __m512 acc[4] = { parts[0][r][t], parts[1][r][t], parts[2][r][t], parts[3][r][t] };

        out[(t0 + t) * ld_out + r] = ggml_order_sum (kind, rows + r * row_bytes, a, t0 + t, acc);
      }
}

static ALWAYS_INLINE void
gemm_float_ggml_order (FloatKind          kind,
                       const BendiMatrix *w,
                       gint64             r0,
                       gint64             r1,
                       const BendiActs   *a,
                       float             *out,
                       gint64             ld_out)
{
  gint64 r = r0;

  /* prompts: whole tiles of FLOAT_ROWS × FLOAT_TOKENS in four passes */
  if (a->n_tokens >= FLOAT_TOKENS)
    for (; r + FLOAT_ROWS <= r1; r += FLOAT_ROWS)
      {
        const guint8 *rows = (const guint8 *) w->data + r * w->row_bytes;
        gint64 t = 0;

        for (; t + FLOAT_TOKENS <= a->n_tokens; t += FLOAT_TOKENS)
          float_tile_ggml_passes (kind, rows, w->row_bytes, a, t, out + r, ld_out);
        for (; t + GGML_ORDER_TOKENS <= a->n_tokens; t += GGML_ORDER_TOKENS)
          for (int i = 0; i < FLOAT_ROWS; i += GGML_ORDER_ROWS)
            float_tile_ggml_order (kind, rows + i * w->row_bytes, w->row_bytes, GGML_ORDER_ROWS, a, t,
                                   GGML_ORDER_TOKENS, out + r + i, ld_out);
        for (; t < a->n_tokens; t++)
          for (int i = 0; i < FLOAT_ROWS; i += GGML_ORDER_ROWS)
            float_tile_ggml_order (kind, rows + i * w->row_bytes, w->row_bytes, GGML_ORDER_ROWS, a, t, 1,
                                   out + r + i, ld_out);
      }
  /* a token or two: four rows at a time */
  if (a->n_tokens < GGML_ORDER_TOKENS)
    for (; r + GGML_ORDER_MAX_ROWS <= r1; r += GGML_ORDER_MAX_ROWS)
      for (gint64 t = 0; t < a->n_tokens; t++)
        float_tile_ggml_order (kind, (const guint8 *) w->data + r * w->row_bytes, w->row_bytes, GGML_ORDER_MAX_ROWS,
                               a, t, 1, out + r, ld_out);
  for (; r < r1; r += GGML_ORDER_ROWS)
    {
      const guint8 *rows = (const guint8 *) w->data + r * w->row_bytes;
      int nr = (int) MIN (GGML_ORDER_ROWS, r1 - r);
      gint64 t = 0;

      if (nr == GGML_ORDER_ROWS)
        {
          for (; t + GGML_ORDER_TOKENS <= a->n_tokens; t += GGML_ORDER_TOKENS)
            float_tile_ggml_order (kind, rows, w->row_bytes, GGML_ORDER_ROWS, a, t, GGML_ORDER_TOKENS, out + r, ld_out);
          for (; t < a->n_tokens; t++)
            float_tile_ggml_order (kind, rows, w->row_bytes, GGML_ORDER_ROWS, a, t, 1, out + r, ld_out);
        }
      else
        for (t = 0; t < a->n_tokens; t++)
          float_tile_ggml_order (kind, rows, w->row_bytes, 1, a, t, 1, out + r, ld_out);
    }
}

static ALWAYS_INLINE void
gemm_float (FloatKind          kind,
            const BendiMatrix *w,
            gint64             r0,
            gint64             r1,
            const BendiActs   *a,
            float             *out,
            gint64             ld_out)
{
  for (gint64 r = r0; r < r1; r += FLOAT_ROWS)
    {
      const guint8 *rows = (const guint8 *) w->data + r * w->row_bytes;
      int nr = (int) MIN (FLOAT_ROWS, r1 - r);
      gint64 t = 0;

      if (nr == FLOAT_ROWS)
        {
          for (; t + FLOAT_TOKENS <= a->n_tokens; t += FLOAT_TOKENS)
            float_tile (kind, rows, w->row_bytes, FLOAT_ROWS, a, t, FLOAT_TOKENS, out + r, ld_out);
          for (; t < a->n_tokens; t++)
            float_tile (kind, rows, w->row_bytes, FLOAT_ROWS, a, t, 1, out + r, ld_out);
        }
      else
        for (int i = 0; i < nr; i++)
          for (t = 0; t < a->n_tokens; t++)
            float_tile (kind, rows + i * w->row_bytes, w->row_bytes, 1, a, t, 1, out + r + i, ld_out);
    }
}

BENDI_DEFINE_GEMM (gemm_rows_f32, gemm_float_ggml_order, FLOAT_F32)
BENDI_DEFINE_GEMM (gemm_rows_f16, gemm_float_ggml_order, FLOAT_F16)
BENDI_DEFINE_GEMM (gemm_rows_bf16, gemm_float, FLOAT_BF16)

/* ------------------------------------------------------------------------ */
/* Vector helpers. */

static void
fp16_to_fp32 (float           *out,
              const BendiFp16 *in,
              gint64           n)
{
  gint64 i = 0;

  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps (out + i, _mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) (in + i))));
  if (i < n)
    {
      __mmask16 m = (__mmask16) ((1u << (n - i)) - 1);

      _mm512_mask_storeu_ps (out + i, m, _mm512_cvtph_ps (_mm256_maskz_loadu_epi16 (m, in + i)));
    }
}

static void
fp32_to_fp16 (BendiFp16   *out,
              const float *in,
              gint64       n)
{
  gint64 i = 0;

  for (; i + 16 <= n; i += 16)
    _mm256_storeu_si256 ((__m256i *) (out + i),
                         _mm512_cvtps_ph (_mm512_loadu_ps (in + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  if (i < n)
    {
      __mmask16 m = (__mmask16) ((1u << (n - i)) - 1);

      _mm256_mask_storeu_epi16 (out + i, m,
                                _mm512_cvtps_ph (_mm512_maskz_loadu_ps (m, in + i),
                                                 _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    }
}

static float
dot_f16_f32 (const BendiFp16 *a,
             const float     *b,
             gint64           n)
{
  __m512 acc0 = _mm512_setzero_ps (), acc1 = _mm512_setzero_ps ();
  gint64 i = 0;

  for (; i + 32 <= n; i += 32)
    {
      acc0 = _mm512_fmadd_ps (_mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) (a + i))),
                              _mm512_loadu_ps (b + i), acc0);
      acc1 = _mm512_fmadd_ps (_mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) (a + i + 16))),
                              _mm512_loadu_ps (b + i + 16), acc1);
    }
  for (; i < n; i += 16)
    {
      __mmask16 m = n - i >= 16 ? 0xffff : (__mmask16) ((1u << (n - i)) - 1);

      acc0 = _mm512_fmadd_ps (_mm512_cvtph_ps (_mm256_maskz_loadu_epi16 (m, a + i)),
                              _mm512_maskz_loadu_ps (m, b + i), acc0);
    }
  return _mm512_reduce_add_ps (_mm512_add_ps (acc0, acc1));
}

static void
mad_f16 (float           *y,
         const BendiFp16 *x,
         float            a,
         gint64           n)
{
  __m512 va = _mm512_set1_ps (a);
  gint64 i = 0;

  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps (y + i, _mm512_fmadd_ps (_mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) (x + i))),
                                              va, _mm512_loadu_ps (y + i)));
  if (i < n)
    {
      __mmask16 m = (__mmask16) ((1u << (n - i)) - 1);

      _mm512_mask_storeu_ps (y + i, m,
                             _mm512_fmadd_ps (_mm512_cvtph_ps (_mm256_maskz_loadu_epi16 (m, x + i)), va,
                                              _mm512_maskz_loadu_ps (m, y + i)));
    }
}

/* ------------------------------------------------------------------------ */
/* The steps between the matrix products. */

/* e^x with ggml's vector exp (ggml_v_expf, from Arm's optimized
 * routines), so that SwiGLU and the softmax round as llama.cpp's do: the
 * same constants and the same fused steps give the same bits. x = n·ln 2
 * + b with n = round (x·log2 e) (the shift 1.5·2^23 rounds to even),
 * ln 2 in two parts; e^b by a degree-5 polynomial with the 1 added in the
 * last fused step; times 2^n by VSCALEFPS, which also gives the
 * subnormals; |n| > 192 gives infinity or zero. Error under 2 ulp. */
static inline __m512
exp_ps (__m512 x)
{
  const __m512 shift = _mm512_set1_ps (0x1.8p23f);
  __m512 z = _mm512_fmadd_ps (x, _mm512_set1_ps (0x1.715476p+0f), shift);
  __m512 n = _mm512_sub_ps (z, shift);
  __m512 b = _mm512_fnmadd_ps (n, _mm512_set1_ps (0x1.7f7d1cp-20f),
                               _mm512_fnmadd_ps (n, _mm512_set1_ps (0x1.62e4p-1f), x));
  __m512 u = _mm512_mul_ps (b, b);
  __m512 j = _mm512_fmadd_ps (_mm512_fmadd_ps (_mm512_fmadd_ps (_mm512_set1_ps (0x1.0e4020p-7f), b,
                                                                _mm512_set1_ps (0x1.573e2ep-5f)),
                                               u,
                                               _mm512_fmadd_ps (_mm512_set1_ps (0x1.555e66p-3f), b,
                                                                _mm512_set1_ps (0x1.fffdb6p-2f))),
                              u,
                              _mm512_fmadd_ps (_mm512_set1_ps (0x1.ffffecp-1f), b, _mm512_set1_ps (1.0f)));
  __mmask16 far = _mm512_cmp_ps_mask (_mm512_abs_ps (n), _mm512_set1_ps (192.0f), _CMP_GT_OQ);
  __mmask16 up = _mm512_cmp_ps_mask (n, _mm512_setzero_ps (), _CMP_GT_OQ);
  __m512 r = _mm512_scalef_ps (j, n);

  r = _mm512_mask_mov_ps (r, far, _mm512_setzero_ps ());
  return _mm512_mask_mov_ps (r, far & up, _mm512_set1_ps (INFINITY));
}

static inline __mmask16
tail_mask (gint64 left)
{
  return left >= 16 ? (__mmask16) 0xffff : (__mmask16) ((1u << left) - 1);
}

static void
add (float       *out,
     const float *x,
     gint64       n)
{
  for (gint64 i = 0; i < n; i += 16)
    {
      __mmask16 m = tail_mask (n - i);

      _mm512_mask_storeu_ps (out + i, m, _mm512_add_ps (_mm512_maskz_loadu_ps (m, out + i),
                                                        _mm512_maskz_loadu_ps (m, x + i)));
    }
}

static void
rms_norm (float       *out,
          const float *x,
          const float *weight,
          gint64       n,
          float        eps)
{
  __m512d s0 = _mm512_setzero_pd (), s1 = _mm512_setzero_pd ();
  __m512 scale;

  for (gint64 i = 0; i < n; i += 16)
    {
      __m512 v = _mm512_maskz_loadu_ps (tail_mask (n - i), x + i);
      __m512 squares = _mm512_mul_ps (v, v);   /* rounded as ggml's are */

      s0 = _mm512_add_pd (s0, _mm512_cvtps_pd (_mm512_castps512_ps256 (squares)));
      s1 = _mm512_add_pd (s1, _mm512_cvtps_pd (_mm256_castpd_ps (_mm512_extractf64x4_pd (_mm512_castps_pd (squares), 1))));
    }
  scale = _mm512_set1_ps (1.0f / sqrtf ((float) (_mm512_reduce_add_pd (_mm512_add_pd (s0, s1)) / (double) n) + eps));
  for (gint64 i = 0; i < n; i += 16)
    {
      __mmask16 m = tail_mask (n - i);
      __m512 v = _mm512_mul_ps (_mm512_maskz_loadu_ps (m, x + i), scale);

      if (weight != NULL)
        v = _mm512_mul_ps (v, _mm512_maskz_loadu_ps (m, weight + i));
      _mm512_mask_storeu_ps (out + i, m, v);
    }
}

static void
swiglu (float       *out,
        const float *gate,
        const float *up,
        gint64       n)
{
  gint64 i = 0;

  for (; i + 16 <= n; i += 16)
    {
      __m512 g = _mm512_loadu_ps (gate + i);
      __m512 silu = _mm512_div_ps (g, _mm512_add_ps (_mm512_set1_ps (1.0f), exp_ps (_mm512_sub_ps (_mm512_setzero_ps (), g))));

      _mm512_storeu_ps (out + i, _mm512_mul_ps (silu, _mm512_loadu_ps (up + i)));
    }
  /* the tail as ggml's: with expf () */
  for (; i < n; i++)
    out[i] = gate[i] / (1.0f + expf (-gate[i])) * up[i];
}

/* RoPE, sixteen values at a time: for adjacent pairs each pair's cosine
 * and sine are spread over its two lanes and the pair's values swapped, so
 * that even lanes take x·cos − x'·sin and odd lanes x·cos + x'·sin; for
 * halves the two halves' vectors meet directly. Rounded as the scalar loop
 * (bendi_rope_apply ()) rounds them: the first product fused. */
static void
rope (float       *head,
      const float *cos_table,
      const float *sin_table,
      gint64       n_rot,
      gboolean     neox)
{
  if (neox)
    {
      gint64 half = n_rot / 2;

      for (gint64 i = 0; i < half; i += 16)
        {
          __mmask16 m = tail_mask (half - i);
          __m512 x0 = _mm512_maskz_loadu_ps (m, head + i), x1 = _mm512_maskz_loadu_ps (m, head + half + i);
          __m512 c = _mm512_maskz_loadu_ps (m, cos_table + i), s = _mm512_maskz_loadu_ps (m, sin_table + i);

          _mm512_mask_storeu_ps (head + i, m, _mm512_fmsub_ps (x0, c, _mm512_mul_ps (x1, s)));
          _mm512_mask_storeu_ps (head + half + i, m, _mm512_fmadd_ps (x0, s, _mm512_mul_ps (x1, c)));
        }
      return;
    }

  const __m512i spread = _mm512_set_epi32 (7, 7, 6, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0);
  gint64 n = n_rot & ~(gint64) 1;   /* whole pairs */

  for (gint64 i = 0; i < n; i += 16)
    {
      __mmask16 m = tail_mask (n - i);
      __mmask16 pairs = tail_mask (MIN (8, (n - i) / 2));   /* the eight pairs of this step */
      __m512 x = _mm512_maskz_loadu_ps (m, head + i);
      __m512 swapped = _mm512_permute_ps (x, 0xb1);
      __m512 c = _mm512_permutexvar_ps (spread, _mm512_maskz_loadu_ps (pairs, cos_table + i / 2));
      __m512 s = _mm512_permutexvar_ps (spread, _mm512_maskz_loadu_ps (pairs, sin_table + i / 2));
      __m512 xc = _mm512_mul_ps (x, c), ys = _mm512_mul_ps (swapped, s);

      /* even lanes fma (x, c, -ys), odd lanes fma (x', s, xc) */
      _mm512_mask_storeu_ps (head + i, m, _mm512_mask_blend_ps (0x5555, _mm512_fmadd_ps (swapped, s, xc),
                                                                _mm512_fmsub_ps (x, c, ys)));
    }
}

/* scores[p] = e^(scores[p] - max) in place; returns their sum. */
static float
exp_scores (float  *scores,
            gint64  n_pos)
{
  __m512 max = _mm512_set1_ps (-INFINITY), sum = _mm512_setzero_ps ();
  float max_score;

  for (gint64 p = 0; p < n_pos; p += 16)
    max = _mm512_mask_max_ps (max, tail_mask (n_pos - p), max, _mm512_maskz_loadu_ps (tail_mask (n_pos - p), scores + p));
  max_score = _mm512_reduce_max_ps (max);
  for (gint64 p = 0; p < n_pos; p += 16)
    {
      __mmask16 m = tail_mask (n_pos - p);
      __m512 e = exp_ps (_mm512_sub_ps (_mm512_maskz_loadu_ps (m, scores + p), _mm512_set1_ps (max_score)));

      _mm512_mask_storeu_ps (scores + p, m, e);
      sum = _mm512_add_ps (sum, _mm512_maskz_mov_ps (m, e));
    }
  return _mm512_reduce_add_ps (sum);
}

/* Heads up to 256 wide stay in registers: the query, and the output as it
 * is summed; no call per cached position. */
#define ATTEND_MAX_VECS 16

static void
attend (float           *out,
        const float     *q,
        const BendiFp16 *keys,
        const BendiFp16 *values,
        gint64           stride,
        gint64           n_pos,
        gint64           head_dim,
        float            scale,
        float           *scores)
{
  int n_vecs = (int) ((head_dim + 15) / 16);
  __m512 qv[ATTEND_MAX_VECS], ov[ATTEND_MAX_VECS];
  __mmask16 last = tail_mask (head_dim - 16 * (n_vecs - 1));
  float inv;

  if (n_vecs > ATTEND_MAX_VECS)
    {
      bendi_kernels_attend_generic (out, q, keys, values, stride, n_pos, head_dim, scale, scores);
      return;
    }
  for (int j = 0; j < n_vecs; j++)
    {
      qv[j] = _mm512_maskz_loadu_ps (j == n_vecs - 1 ? last : 0xffff, q + 16 * j);
      ov[j] = _mm512_setzero_ps ();
    }

  for (gint64 p = 0; p < n_pos; p++)
    {
      const BendiFp16 *k = keys + p * stride;
      __m512 acc = _mm512_setzero_ps ();

      for (int j = 0; j < n_vecs; j++)
        acc = _mm512_fmadd_ps (_mm512_cvtph_ps (_mm256_maskz_loadu_epi16 (j == n_vecs - 1 ? last : 0xffff, k + 16 * j)),
                               qv[j], acc);
      scores[p] = _mm512_reduce_add_ps (acc) * scale;
    }

  inv = 1.0f / exp_scores (scores, n_pos);

  for (gint64 p = 0; p < n_pos; p++)
    {
      const BendiFp16 *v = values + p * stride;
      __m512 w = _mm512_set1_ps (scores[p]);

      for (int j = 0; j < n_vecs; j++)
        ov[j] = _mm512_fmadd_ps (_mm512_cvtph_ps (_mm256_maskz_loadu_epi16 (j == n_vecs - 1 ? last : 0xffff, v + 16 * j)),
                                 w, ov[j]);
    }
  for (int j = 0; j < n_vecs; j++)
    _mm512_mask_storeu_ps (out + 16 * j, j == n_vecs - 1 ? last : 0xffff, _mm512_mul_ps (ov[j], _mm512_set1_ps (inv)));
}


/* A score as ggml's vec_dot_f16 sums it in its AVX-512 build: four
 * accumulators of 16 lanes over each 64 elements, element i in accumulator
 * (i / 16) % 4; then (a0 + a2) + (a1 + a3), that vector's lanes summed by
 * reduce_add_gcc_order (), and the elements past the last 64 added in
 * double precision. @q holds the query rounded to half precision. */
static ALWAYS_INLINE float
dot_half (const BendiFp16 *k,
          const float     *q,
          gint64           n)
{
  gint64 whole = n & ~(gint64) 63;
  __m512 acc[4] = { _mm512_setzero_ps (), _mm512_setzero_ps (), _mm512_setzero_ps (), _mm512_setzero_ps () };
  double sum;

  for (gint64 i = 0; i < whole; i += 64)
    for (int j = 0; j < 4; j++)
      acc[j] = _mm512_fmadd_ps (_mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) (k + i + 16 * j))),
                                _mm512_loadu_ps (q + i + 16 * j), acc[j]);
  sum = reduce_add_gcc_order (_mm512_add_ps (_mm512_add_ps (acc[0], acc[2]), _mm512_add_ps (acc[1], acc[3])));
  for (gint64 i = whole; i < n; i++)
    sum += (double) (bendi_fp16_to_fp32 (k[i]) * q[i]);
  return (float) sum;
}

/* bendi_kernels_attend_half_generic ()'s arithmetic with this family's sums
 * of the scores; the values' half-precision sums lane by lane, as ggml's
 * vector code and its scalar tail both compute them. */
static void
attend_half (float           *out,
             const float     *q,
             const BendiFp16 *keys,
             const BendiFp16 *values,
             gint64           stride,
             gint64           n_pos,
             gint64           head_dim,
             float            scale,
             float           *scores)
{
  int n_vecs = (int) ((head_dim + 15) / 16);
  __mmask16 last = tail_mask (head_dim - 16 * (n_vecs - 1));
  alignas (64) float q_half[16 * ATTEND_MAX_VECS];
  __m512 acc[ATTEND_MAX_VECS];
  float max = -INFINITY, sum = 0;

  if (n_vecs > ATTEND_MAX_VECS)
    {
      bendi_kernels_attend_half_generic (out, q, keys, values, stride, n_pos, head_dim, scale, scores);
      return;
    }
  for (int j = 0; j < n_vecs; j++)
    {
      __mmask16 m = j == n_vecs - 1 ? last : 0xffff;

      _mm512_store_ps (q_half + 16 * j, fp16_round_ps (_mm512_maskz_loadu_ps (m, q + 16 * j)));
      acc[j] = _mm512_setzero_ps ();
    }
  for (gint64 p = 0; p < n_pos; p++)
    scores[p] = dot_half (keys + p * stride, q_half, head_dim) * scale;

  for (gint64 p = 0; p < n_pos; p++)
    {
      const BendiFp16 *v = values + p * stride;
      float s = scores[p], rescale = 1, weight = 1;

      if (s > max)
        {
          rescale = expf (max - s);
          max = s;
          for (int j = 0; j < n_vecs; j++)
            acc[j] = fp16_round_ps (_mm512_mul_ps (acc[j], _mm512_set1_ps (rescale)));
        }
      else
        weight = expf (s - max);
      for (int j = 0; j < n_vecs; j++)
        acc[j] = fp16_round_ps (_mm512_fmadd_ps (_mm512_cvtph_ps (_mm256_maskz_loadu_epi16 (j == n_vecs - 1 ? last : 0xffff,
                                                                                         v + 16 * j)),
                                              _mm512_set1_ps (weight), acc[j]));
      sum = fmaf (sum, rescale, weight);   /* ggml's S = S*ms + vs, contracted */
    }
  for (int j = 0; j < n_vecs; j++)
    _mm512_mask_storeu_ps (out + 16 * j, j == n_vecs - 1 ? last : 0xffff,
                           _mm512_mul_ps (acc[j], _mm512_set1_ps (1.0f / sum)));
}

/* Positions widened to floats at a time, shared by the heads. */
#define ATTEND_BLOCK 16
/* positions asked for ahead of the one being read */
#define ATTEND_AHEAD (4 * ATTEND_BLOCK)

/* Widens @n of the 16 positions from @rows (each @stride halves apart) to
 * floats in @block, row i at i · n_vecs · 16; the rest are zero. */
static ALWAYS_INLINE void
widen_block (float           *block,
             const BendiFp16 *rows,
             gint64           stride,
             int              n,
             int              n_vecs,
             __mmask16        last)
{
  for (int i = 0; i < ATTEND_BLOCK; i++)
    for (int j = 0; j < n_vecs; j++)
      _mm512_store_ps (block + (i * n_vecs + j) * 16,
                       i < n ? _mm512_cvtph_ps (_mm256_maskz_loadu_epi16 (j == n_vecs - 1 ? last : 0xffff,
                                                                           rows + i * stride + 16 * j))
                             : _mm512_setzero_ps ());
}

/* Asks for @n rows of @row_bytes, @stride elements apart: the KV cache
 * comes from memory (a token's weights pass through the caches between
 * one layer's attention and the next token's), so attention would
 * otherwise wait on each block's loads in turn. */
static ALWAYS_INLINE void
prefetch_rows (const BendiFp16 *rows,
               gint64           stride,
               gint64           n,
               gsize            row_bytes)
{
  for (gint64 i = 0; i < n; i++)
    for (gsize b = 0; b < row_bytes; b += 64)
      _mm_prefetch ((const char *) (rows + i * stride) + b, _MM_HINT_T0);
}

/* The query heads that share one KV head (grouped-query attention): each
 * block of 16 keys and values is widened once for all of them, and the 16
 * scores of a block are summed across lanes together. Inlined with a
 * constant @n_vecs for the common head sizes, so that a head's output sums
 * stay in registers: with the count known only at run time they went
 * through the stack, a store and a load on every update, and 8 heads of 64
 * over 32 positions took 3.6 µs where this takes a fraction of it. */
static ALWAYS_INLINE void
attend_heads_body (float           *out,
                   const float     *q,
                   int              n_heads,
                   const BendiFp16 *keys,
                   const BendiFp16 *values,
                   gint64           stride,
                   gint64           n_pos,
                   gint64           head_dim,
                   int              n_vecs,
                   float            scale,
                   float           *scores)
{
  __mmask16 last = tail_mask (head_dim - 16 * (n_vecs - 1));
  gsize row_bytes = (gsize) head_dim * sizeof (BendiFp16);
  alignas (64) float block[ATTEND_BLOCK * ATTEND_MAX_VECS * 16];

  /* scores[h · n_pos + p] = q_h · k_p · scale */
  prefetch_rows (keys, stride, MIN (n_pos, ATTEND_AHEAD), row_bytes);
  prefetch_rows (values, stride, MIN (n_pos, ATTEND_AHEAD), row_bytes);
  for (gint64 p0 = 0; p0 < n_pos; p0 += ATTEND_BLOCK)
    {
      int n = (int) MIN (ATTEND_BLOCK, n_pos - p0);

      if (p0 + ATTEND_AHEAD < n_pos)
        prefetch_rows (keys + (p0 + ATTEND_AHEAD) * stride, stride, MIN (ATTEND_BLOCK, n_pos - p0 - ATTEND_AHEAD),
                       row_bytes);
      widen_block (block, keys + p0 * stride, stride, n, n_vecs, last);
      for (int h = 0; h < n_heads; h++)
        {
          const float *qh = q + h * head_dim;
          __m512 acc[ATTEND_BLOCK];

          for (int i = 0; i < ATTEND_BLOCK; i++)
            acc[i] = _mm512_setzero_ps ();
          for (int j = 0; j < n_vecs; j++)
            {
              __m512 qv = _mm512_maskz_loadu_ps (j == n_vecs - 1 ? last : 0xffff, qh + 16 * j);

              for (int i = 0; i < ATTEND_BLOCK; i++)
                acc[i] = _mm512_fmadd_ps (_mm512_load_ps (block + (i * n_vecs + j) * 16), qv, acc[i]);
            }
          _mm512_mask_storeu_ps (scores + h * n_pos + p0, tail_mask (n),
                                 _mm512_mul_ps (reduce_lanes16 (LANES_ADD, acc), _mm512_set1_ps (scale)));
        }
    }

  /* each head's softmax, normalised in place */
  for (int h = 0; h < n_heads; h++)
    {
      float *sh = scores + h * n_pos;
      __m512 inv = _mm512_set1_ps (1.0f / exp_scores (sh, n_pos));
      for (gint64 p = 0; p < n_pos; p += 16)
        _mm512_mask_storeu_ps (sh + p, tail_mask (n_pos - p), _mm512_mul_ps (_mm512_maskz_loadu_ps (tail_mask (n_pos - p), sh + p), inv));
    }

  /* out_h = Σ_p weight_h,p · v_p, even and odd positions in separate sums
   * so that the additions do not wait on each other */
  for (int h = 0; h < n_heads; h++)
    for (int j = 0; j < n_vecs; j++)
      _mm512_mask_storeu_ps (out + h * head_dim + 16 * j, j == n_vecs - 1 ? last : 0xffff, _mm512_setzero_ps ());
  for (gint64 p0 = 0; p0 < n_pos; p0 += ATTEND_BLOCK)
    {
      int n = (int) MIN (ATTEND_BLOCK, n_pos - p0);

      if (p0 + ATTEND_AHEAD < n_pos)
        prefetch_rows (values + (p0 + ATTEND_AHEAD) * stride, stride, MIN (ATTEND_BLOCK, n_pos - p0 - ATTEND_AHEAD),
                       row_bytes);
      widen_block (block, values + p0 * stride, stride, n, n_vecs, last);
      for (int h = 0; h < n_heads; h++)
        {
          float *oh = out + h * head_dim;
          const float *w = scores + h * n_pos + p0;
          __m512 even[ATTEND_MAX_VECS], odd[ATTEND_MAX_VECS];
          int i = 0;

          for (int j = 0; j < n_vecs; j++)
            {
              even[j] = _mm512_maskz_loadu_ps (j == n_vecs - 1 ? last : 0xffff, oh + 16 * j);
              odd[j] = _mm512_setzero_ps ();
            }
          for (; i + 1 < n; i += 2)
            {
              __m512 w0 = _mm512_set1_ps (w[i]), w1 = _mm512_set1_ps (w[i + 1]);

              for (int j = 0; j < n_vecs; j++)
                {
                  even[j] = _mm512_fmadd_ps (_mm512_load_ps (block + (i * n_vecs + j) * 16), w0, even[j]);
                  odd[j] = _mm512_fmadd_ps (_mm512_load_ps (block + ((i + 1) * n_vecs + j) * 16), w1, odd[j]);
                }
            }
          if (i < n)
            for (int j = 0; j < n_vecs; j++)
              even[j] = _mm512_fmadd_ps (_mm512_load_ps (block + (i * n_vecs + j) * 16), _mm512_set1_ps (w[i]), even[j]);
          for (int j = 0; j < n_vecs; j++)
            _mm512_mask_storeu_ps (oh + 16 * j, j == n_vecs - 1 ? last : 0xffff, _mm512_add_ps (even[j], odd[j]));
        }
    }
}

/* glibc's expf () on 8 lanes, for arguments <= 0 (see
 * bendi_kernels_exp2_32nds). Below -103.97 the result is 0. */
static ALWAYS_INLINE __m256
expf_libm_pd8 (__m256 x)
{
  const __m512d shift = _mm512_set1_pd (0x1.8p52);
  const guint64 *table = bendi_kernels_exp2_32nds;
  __m512d z = _mm512_mul_pd (_mm512_cvtps_pd (x), _mm512_set1_pd (0x1.71547652b82fep+5));
  __m512d kd = _mm512_add_pd (z, shift);
  __m512i k = _mm512_castpd_si512 (kd);
  __m512d r = _mm512_sub_pd (z, _mm512_sub_pd (kd, shift));
  /* the table's entry k mod 32, from four registers of eight */
  __m512i lo = _mm512_permutex2var_epi64 (_mm512_loadu_si512 (table), k, _mm512_loadu_si512 (table + 8));
  __m512i hi = _mm512_permutex2var_epi64 (_mm512_loadu_si512 (table + 16), k, _mm512_loadu_si512 (table + 24));
  __m512i t = _mm512_mask_blend_epi64 (_mm512_test_epi64_mask (k, _mm512_set1_epi64 (16)), lo, hi);
  __m512d scale = _mm512_castsi512_pd (_mm512_add_epi64 (t, _mm512_slli_epi64 (k, 47)));
  __m512d cubic = _mm512_fmadd_pd (_mm512_set1_pd (0x1.c6af84b912394p-20), r, _mm512_set1_pd (0x1.ebfce50fac4f3p-13));
  __m512d y = _mm512_fmadd_pd (_mm512_set1_pd (0x1.62e42ff0c52d6p-6), r, _mm512_set1_pd (1.0));

  y = _mm512_mul_pd (_mm512_fmadd_pd (cubic, _mm512_mul_pd (r, r), y), scale);
  return _mm256_mask_mov_ps (_mm512_cvtpd_ps (y), _mm256_cmp_ps_mask (x, _mm256_set1_ps (-0x1.9fe368p6f), _CMP_LT_OQ),
                             _mm256_setzero_ps ());
}

static void
expf_neg (float  *x,
          gint64  n)
{
  for (gint64 i = 0; i < n; i += 8)
    {
      __mmask8 m = (__mmask8) (n - i >= 8 ? 0xff : (1u << (n - i)) - 1);

      _mm256_mask_storeu_ps (x + i, m, expf_libm_pd8 (_mm256_maskz_loadu_ps (m, x + i)));
    }
}

/* r[p] = a[p]'s lanes summed as reduce_add_gcc_order () sums them, for 16
 * vectors at once. */
static ALWAYS_INLINE __m512
reduce_add_ps16 (const __m512 a[16])
{
  __m512 x[8], y[4], z[2], r;

  for (int k = 0; k < 8; k++)
    x[k] = _mm512_add_ps (_mm512_shuffle_f32x4 (a[2 * k], a[2 * k + 1], _MM_SHUFFLE (1, 0, 1, 0)),
                          _mm512_shuffle_f32x4 (a[2 * k], a[2 * k + 1], _MM_SHUFFLE (3, 2, 3, 2)));
  /* x[k]: a[2k]'s eight sums, then a[2k + 1]'s */
  for (int m = 0; m < 4; m++)
    y[m] = _mm512_add_ps (_mm512_shuffle_f32x4 (x[2 * m], x[2 * m + 1], _MM_SHUFFLE (2, 0, 2, 0)),
                          _mm512_shuffle_f32x4 (x[2 * m], x[2 * m + 1], _MM_SHUFFLE (3, 1, 3, 1)));
  /* y[m]: 128-bit lane q holds a[4m + q]'s four sums */
  for (int n = 0; n < 2; n++)
    z[n] = _mm512_add_ps (_mm512_shuffle_ps (y[2 * n], y[2 * n + 1], _MM_SHUFFLE (1, 0, 1, 0)),
                          _mm512_shuffle_ps (y[2 * n], y[2 * n + 1], _MM_SHUFFLE (3, 2, 3, 2)));
  /* z[n]: 128-bit lane q holds a[8n + q]'s two sums, then a[8n + 4 + q]'s */
  r = _mm512_add_ps (_mm512_shuffle_ps (z[0], z[1], _MM_SHUFFLE (2, 0, 2, 0)),
                     _mm512_shuffle_ps (z[0], z[1], _MM_SHUFFLE (3, 1, 3, 1)));
  /* lane 4q + j holds a[4j + q]'s sum */
  return _mm512_permutexvar_ps (_mm512_setr_epi32 (0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15), r);
}

/* A head's scores turned into the steps of llama.cpp's online softmax, in
 * place: where a score is not above the running maximum, its weight
 * e^(s − max); where it raises the maximum, the factor e^(old max − s) by
 * which the sums so far shrink, stored negated (its own weight is 1; the
 * first position's factor, e^-inf, is stored as -0). */
static void
online_softmax_steps (float  *s,
                      gint64  n_pos)
{
  const __m512 minus_inf = _mm512_set1_ps (-INFINITY);
  __m512 carry = minus_inf;   /* the maximum of the positions before */

  for (gint64 p = 0; p < n_pos; p += 16)
    {
      __mmask16 m = tail_mask (n_pos - p);
      __m512 v = _mm512_mask_loadu_ps (minus_inf, m, s + p);
      __m512 upto = v, before, d, e;
      __mmask16 raises;

      /* upto[i] = max (v[0..i]), then each lane's maximum before it */
      upto = _mm512_max_ps (upto, _mm512_castsi512_ps (_mm512_alignr_epi32 (_mm512_castps_si512 (upto),
                                                                          _mm512_castps_si512 (minus_inf), 15)));
      upto = _mm512_max_ps (upto, _mm512_castsi512_ps (_mm512_alignr_epi32 (_mm512_castps_si512 (upto),
                                                                          _mm512_castps_si512 (minus_inf), 14)));
      upto = _mm512_max_ps (upto, _mm512_castsi512_ps (_mm512_alignr_epi32 (_mm512_castps_si512 (upto),
                                                                          _mm512_castps_si512 (minus_inf), 12)));
      upto = _mm512_max_ps (upto, _mm512_castsi512_ps (_mm512_alignr_epi32 (_mm512_castps_si512 (upto),
                                                                          _mm512_castps_si512 (minus_inf), 8)));
      before = _mm512_max_ps (carry, _mm512_castsi512_ps (_mm512_alignr_epi32 (_mm512_castps_si512 (upto),
                                                                              _mm512_castps_si512 (minus_inf), 15)));
      carry = _mm512_max_ps (carry, _mm512_permutexvar_ps (_mm512_set1_epi32 (15), upto));
      d = _mm512_sub_ps (v, before);
      raises = _mm512_cmp_ps_mask (v, before, _CMP_GT_OQ);
      d = _mm512_mask_sub_ps (d, raises, _mm512_setzero_ps (), d);   /* old max − s */
      e = _mm512_insertf32x8 (_mm512_castps256_ps512 (expf_libm_pd8 (_mm512_castps512_ps256 (d))),
                              expf_libm_pd8 (_mm512_extractf32x8_ps (d, 1)), 1);
      e = _mm512_castsi512_ps (_mm512_mask_xor_epi32 (_mm512_castps_si512 (e), raises, _mm512_castps_si512 (e),
                                                      _mm512_set1_epi32 ((int) 0x80000000u)));
      _mm512_mask_storeu_ps (s + p, m, e);
    }
}

/* The values' half-precision sums of @n_heads heads (a constant where
 * inlined, so their sums stay in registers) from their online-softmax
 * steps (online_softmax_steps ()), normalised into @out. */
static ALWAYS_INLINE void
values_half_sums (float           *out,
                  int              n_heads,
                  const BendiFp16 *values,
                  gint64           stride,
                  gint64           n_pos,
                  gint64           head_dim,
                  int              n_vecs,
                  const float     *steps,
                  float           *block)
{
  gsize row_bytes = (gsize) head_dim * sizeof (BendiFp16);
  __m512 acc[16];
  float sum[16];

  for (int k = 0; k < n_heads * n_vecs; k++)
    acc[k] = _mm512_setzero_ps ();
  for (int k = 0; k < n_heads; k++)
    sum[k] = 0;
  prefetch_rows (values, stride, MIN (n_pos, ATTEND_AHEAD), row_bytes);
  for (gint64 p0 = 0; p0 < n_pos; p0 += ATTEND_BLOCK)
    {
      int n = (int) MIN (ATTEND_BLOCK, n_pos - p0);

      if (p0 + ATTEND_AHEAD < n_pos)
        prefetch_rows (values + (p0 + ATTEND_AHEAD) * stride, stride, MIN (ATTEND_BLOCK, n_pos - p0 - ATTEND_AHEAD),
                       row_bytes);
      widen_block (block, values + p0 * stride, stride, n, n_vecs, 0xffff);
      for (int i = 0; i < n; i++)
        for (int k = 0; k < n_heads; k++)
          {
            float step = steps[k * n_pos + p0 + i], weight = step;

            if (signbit (step))
              {
                /* a new maximum: the sums so far shrink, this one weighs 1 */
                for (int j = 0; j < n_vecs; j++)
                  acc[k * n_vecs + j] = fp16_round_ps (_mm512_mul_ps (acc[k * n_vecs + j], _mm512_set1_ps (-step)));
                sum[k] = fmaf (sum[k], -step, 1.0f);
                weight = 1.0f;
              }
            else
              sum[k] += weight;
            for (int j = 0; j < n_vecs; j++)
              acc[k * n_vecs + j] = fp16_round_ps (_mm512_fmadd_ps (_mm512_load_ps (block + (i * n_vecs + j) * 16),
                                                                    _mm512_set1_ps (weight), acc[k * n_vecs + j]));
          }
    }
  for (int k = 0; k < n_heads; k++)
    for (int j = 0; j < n_vecs; j++)
      _mm512_storeu_ps (out + k * head_dim + 16 * j, _mm512_mul_ps (acc[k * n_vecs + j], _mm512_set1_ps (1.0f / sum[k])));
}

/* attend_half () for @n_heads heads sharing keys and values, heads a whole
 * number of 64 wide (@n_vecs a multiple of 4, a constant where inlined):
 * the same bits, faster. Each block of 16 keys is widened once for all
 * heads and its 16 scores summed in one transposing reduction; the
 * softmax's exponentials 8 at a time; the values' half-precision sums of
 * several heads at once, whose chains of rounding steps then overlap. */
static ALWAYS_INLINE void
attend_half_heads_body (float           *out,
                        const float     *q,
                        int              n_heads,
                        const BendiFp16 *keys,
                        const BendiFp16 *values,
                        gint64           stride,
                        gint64           n_pos,
                        gint64           head_dim,
                        int              n_vecs,
                        float            scale,
                        float           *scores)
{
  const int heads_at_once = MAX (1, 16 / n_vecs);
  gsize row_bytes = (gsize) head_dim * sizeof (BendiFp16);
  alignas (64) float block[ATTEND_BLOCK * ATTEND_MAX_VECS * 16];
  int h0;

  prefetch_rows (keys, stride, MIN (n_pos, ATTEND_AHEAD), row_bytes);
  for (gint64 p0 = 0; p0 < n_pos; p0 += ATTEND_BLOCK)
    {
      int n = (int) MIN (ATTEND_BLOCK, n_pos - p0);

      if (p0 + ATTEND_AHEAD < n_pos)
        prefetch_rows (keys + (p0 + ATTEND_AHEAD) * stride, stride, MIN (ATTEND_BLOCK, n_pos - p0 - ATTEND_AHEAD),
                       row_bytes);
      widen_block (block, keys + p0 * stride, stride, n, n_vecs, 0xffff);
      for (int h = 0; h < n_heads; h++)
        {
          __m512 qv[ATTEND_MAX_VECS], dots[ATTEND_BLOCK];

          for (int j = 0; j < n_vecs; j++)
            qv[j] = fp16_round_ps (_mm512_loadu_ps (q + h * head_dim + 16 * j));
          for (int i = 0; i < ATTEND_BLOCK; i++)
            {
              /* vec_dot_f16's four accumulators */
              __m512 acc[4] = { _mm512_setzero_ps (), _mm512_setzero_ps (), _mm512_setzero_ps (), _mm512_setzero_ps () };

              for (int j = 0; j < n_vecs; j++)
                acc[j % 4] = _mm512_fmadd_ps (_mm512_load_ps (block + (i * n_vecs + j) * 16), qv[j], acc[j % 4]);
              dots[i] = _mm512_add_ps (_mm512_add_ps (acc[0], acc[2]), _mm512_add_ps (acc[1], acc[3]));
            }
          _mm512_mask_storeu_ps (scores + h * n_pos + p0, tail_mask (n),
                                 _mm512_mul_ps (reduce_add_ps16 (dots), _mm512_set1_ps (scale)));
        }
    }
  for (int h = 0; h < n_heads; h++)
    online_softmax_steps (scores + h * n_pos, n_pos);

  for (h0 = 0; h0 + heads_at_once <= n_heads; h0 += heads_at_once)
    values_half_sums (out + h0 * head_dim, heads_at_once, values, stride, n_pos, head_dim, n_vecs,
                      scores + h0 * n_pos, block);
  for (; h0 < n_heads; h0++)
    values_half_sums (out + h0 * head_dim, 1, values, stride, n_pos, head_dim, n_vecs, scores + h0 * n_pos, block);
}

static void
attend_half_heads (float           *out,
                   const float     *q,
                   int              n_heads,
                   const BendiFp16 *keys,
                   const BendiFp16 *values,
                   gint64           stride,
                   gint64           n_pos,
                   gint64           head_dim,
                   float            scale,
                   float           *scores)
{
  switch (head_dim)
    {
    case 64:
      attend_half_heads_body (out, q, n_heads, keys, values, stride, n_pos, head_dim, 4, scale, scores);
      break;
    case 128:
      attend_half_heads_body (out, q, n_heads, keys, values, stride, n_pos, head_dim, 8, scale, scores);
      break;
    case 256:
      attend_half_heads_body (out, q, n_heads, keys, values, stride, n_pos, head_dim, 16, scale, scores);
      break;
    default:
      for (int h = 0; h < n_heads; h++)
        attend_half (out + h * head_dim, q + h * head_dim, keys, values, stride, n_pos, head_dim, scale, scores);
      break;
    }
}

static void
attend_heads (float           *out,
              const float     *q,
              int              n_heads,
              const BendiFp16 *keys,
              const BendiFp16 *values,
              gint64           stride,
              gint64           n_pos,
              gint64           head_dim,
              float            scale,
              float           *scores)
{
  int n_vecs = (int) ((head_dim + 15) / 16);

  switch (n_vecs)
    {
    case 4:   /* heads of 64 */
      attend_heads_body (out, q, n_heads, keys, values, stride, n_pos, head_dim, 4, scale, scores);
      break;
    case 8:   /* 128 */
      attend_heads_body (out, q, n_heads, keys, values, stride, n_pos, head_dim, 8, scale, scores);
      break;
    default:
      if (n_vecs <= ATTEND_MAX_VECS)
        attend_heads_body (out, q, n_heads, keys, values, stride, n_pos, head_dim, n_vecs, scale, scores);
      else
        for (int h = 0; h < n_heads; h++)
          bendi_kernels_attend_generic (out + h * head_dim, q + h * head_dim, keys, values, stride, n_pos, head_dim,
                                        scale, scores);
      break;
    }
}

void
bendi_kernels_init_avx512_vnni (BendiCpuKernels *table)
{
  bendi_kernels_init_generic (table);
  table->name = "AVX-512 VNNI";
  table->add = add;
  table->rms_norm = rms_norm;
  table->swiglu = swiglu;
  table->rope = rope;
  table->attend = attend;
  table->attend_heads = attend_heads;
  table->attend_half = attend_half_heads;
  table->expf_neg = expf_neg;
  table->vector_floats = 16;
  table->quantize[BENDI_ACT_Q8_0] = quantize_q8_01;
  table->quantize[BENDI_ACT_Q8_1] = quantize_q8_01;
  table->quantize[BENDI_ACT_F16] = quantize_f16;

  table->gemm_rows[BENDI_TENSOR_TYPE_F32] = gemm_rows_f32;
  table->gemm_rows[BENDI_TENSOR_TYPE_F16] = gemm_rows_f16;
  table->gemm_rows[BENDI_TENSOR_TYPE_BF16] = gemm_rows_bf16;
  table->gemm_rows[BENDI_TENSOR_TYPE_Q4_0] = gemm_rows_q4_0;
  table->gemm_rows[BENDI_TENSOR_TYPE_IQ4_NL] = gemm_rows_iq4_nl;
  table->gemm_rows[BENDI_TENSOR_TYPE_Q8_0] = gemm_rows_q8_0;
  table->gemm_interleaved[BENDI_TENSOR_TYPE_Q4_0] = gemm_interleaved_q4_0;
  table->gemm_interleaved[BENDI_TENSOR_TYPE_IQ4_NL] = gemm_interleaved_iq4_nl;
  table->gemm_interleaved[BENDI_TENSOR_TYPE_Q8_0] = gemm_interleaved_q8_0;
  table->gemm_interleaved[BENDI_TENSOR_TYPE_Q4_1] = gemm_interleaved_q4_1;
  table->gemm_interleaved[BENDI_TENSOR_TYPE_Q5_0] = gemm_interleaved_q5_0;
  table->gemm_interleaved[BENDI_TENSOR_TYPE_Q5_1] = gemm_interleaved_q5_1;

  bendi_kernels_avx512_kquant_init (table);

  table->fp16_to_fp32 = fp16_to_fp32;
  table->fp32_to_fp16 = fp32_to_fp16;
  table->dot_f16_f32 = dot_f16_f32;
  table->mad_f16 = mad_f16;
}
