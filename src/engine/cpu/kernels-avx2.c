/* SPDX-License-Identifier: MIT */
/* AVX2 kernels (with FMA and F16C), built twice: with AVX-VNNI, whose
 * VPDPBUSD adds four unsigned × signed byte products per 32-bit lane, and
 * without, where VPMADDUBSW and VPMADDWD do the same in two steps (exact
 * while the unsigned bytes stay below 129; larger weights use signed bytes
 * and the sign trick instead). They read the same interleaved layout as
 * the AVX-512 kernels, half a group (8 rows) per register. */
#include "cpu/kernels-avx2.h"

#include <math.h>
#include <stdalign.h>

/* ------------------------------------------------------------------------ */
/* Activation quantisers: the same arithmetic as the portable ones. */

static void
quantize_q8_01 (const BendiActs    *acts,
                const BendiActsOut *out,
                const float        *in,
                gint64              t0,
                gint64              t1)
{
  const __m256 sign_bit = _mm256_set1_ps (-0.0f);
  const __m256 just_below_half = _mm256_set1_ps (0.49999997f);

  for (gint64 t = t0; t < t1; t++)
    for (gint64 b = 0; b < acts->n_blocks; b++)
      {
        const float *x = in + t * acts->n_cols + b * BENDI_QK;
        gint8 *q = (gint8 *) (out->values + t * acts->stride) + b * BENDI_QK;
        gint64 i = t * acts->n_blocks + b;
        __m256 v[4], amax;
        __m128 m;
        __m256i q32[4], packed;
        float d, id;

        for (int k = 0; k < 4; k++)
          v[k] = _mm256_loadu_ps (x + 8 * k);
        amax = _mm256_max_ps (_mm256_max_ps (_mm256_andnot_ps (sign_bit, v[0]), _mm256_andnot_ps (sign_bit, v[1])),
                              _mm256_max_ps (_mm256_andnot_ps (sign_bit, v[2]), _mm256_andnot_ps (sign_bit, v[3])));
        m = _mm_max_ps (_mm256_castps256_ps128 (amax), _mm256_extractf128_ps (amax, 1));
        m = _mm_max_ps (m, _mm_movehl_ps (m, m));
        m = _mm_max_ss (m, _mm_movehdup_ps (m));
        d = _mm_cvtss_f32 (m) / 127;
        id = d != 0 ? 1.0f / d : 0.0f;

        /* roundf: add ±(0.5 - ulp) and truncate, exact for |v| <= 127. */
        for (int k = 0; k < 4; k++)
          {
            __m256 scaled = _mm256_mul_ps (v[k], _mm256_set1_ps (id));

            scaled = _mm256_add_ps (scaled, _mm256_or_ps (_mm256_and_ps (scaled, sign_bit), just_below_half));
            q32[k] = _mm256_cvttps_epi32 (scaled);
          }
        /* Packing interleaves the 128-bit lanes; one permute restores order. */
        packed = _mm256_packs_epi16 (_mm256_packs_epi32 (q32[0], q32[1]), _mm256_packs_epi32 (q32[2], q32[3]));
        packed = _mm256_permutevar8x32_epi32 (packed, _mm256_setr_epi32 (0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256 ((__m256i *) q, packed);

        {
          int sum = hsum256_epi32 (_mm256_add_epi32 (_mm256_add_epi32 (q32[0], q32[1]),
                                                     _mm256_add_epi32 (q32[2], q32[3])));

          out->d[i] = fp16_round (d);
          if (acts->kind == BENDI_ACT_Q8_1)
            {
              out->sums[i] = sum;
              out->s[i] = fp16_round ((float) sum * d);
            }
          else
            out->sums[i] = -acts->bias * sum;
        }
      }
}

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

      for (; i + 8 <= acts->n_cols; i += 8)
        _mm256_storeu_ps (y + i, fp16_round_ps (_mm256_loadu_ps (x + i)));
      for (; i < acts->n_cols; i++)
        y[i] = bendi_fp16_round (x[i]);
    }
}

/* ------------------------------------------------------------------------ */
/* Interleaved groups (see interleave.c). A 64-byte chunk is two registers
 * here: rows 0-7, then rows 8-15. A tile is 8 rows × TILE_TOKENS tokens. */

typedef enum {
  GROUP_Q4_0,
  GROUP_IQ4_NL,
  GROUP_Q8_0,
  GROUP_Q4_1,
  GROUP_Q5_0,
  GROUP_Q5_1,
} GroupKind;

/* Where a group's parts start (see the AVX-512 kernels). */
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

/* Bits first .. first + 3 of each row's word of fifth bits, as bit 4 of
 * the lane's four bytes. */
static ALWAYS_INLINE __m256i
fifth_bits (__m256i qh,
            int     first)
{
  const __m256i low_byte = _mm256_setr_epi8 (0, 0, 0, 0, 4, 4, 4, 4, 8, 8, 8, 8, 12, 12, 12, 12,
                                             0, 0, 0, 0, 4, 4, 4, 4, 8, 8, 8, 8, 12, 12, 12, 12);
  const __m256i bit_of_byte = _mm256_set1_epi32 (0x08040201);
  __m256i spread = _mm256_shuffle_epi8 (_mm256_srli_epi32 (qh, first), low_byte);
  __m256i set = _mm256_cmpeq_epi8 (_mm256_and_si256 (spread, bit_of_byte), bit_of_byte);

  return _mm256_and_si256 (set, _mm256_set1_epi8 (0x10));
}



/* acc += weights (8 rows, 4 elements each) · the token's 4 activations. */
static ALWAYS_INLINE __m256i
group_dot (GroupKind kind,
           __m256i   acc,
           __m256i   w,
           __m256i   a)
{
  if (kind == GROUP_Q4_0 || kind == GROUP_Q4_1 || kind == GROUP_Q5_0 || kind == GROUP_Q5_1)
    return dot_small (acc, w, a);
  if (kind == GROUP_IQ4_NL)
    return dot_levels (acc, w, a);
  return dot_biased (acc, w, a);
}

static ALWAYS_INLINE void
group_tile (GroupKind        kind,
            const guint8    *group,
            int              half,
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
  /* Without VNNI only the small unsigned weights (Q4_0, Q5_0) need the
   * activations' sums; Q8_0 and IQ4_NL go signed; Q4_1 and Q5_1 have a
   * minimum instead. */
  const gboolean corrected = !group_has_min (kind) &&
                             (kind == GROUP_Q4_0 || kind == GROUP_Q5_0 || HAVE_VNNI);
  const __m256i low_mask = _mm256_set1_epi8 (0x0f);
  __m256 acc[TILE_TOKENS];
  __m256i s[TILE_TOKENS];

  for (int t = 0; t < n_tokens; t++)
    acc[t] = _mm256_setzero_ps ();

  for (gint64 b = 0; b < nb; b++)
    {
      const guint8 *chunks = parts.quants + b * parts.quant_bytes + 32 * half;
      __m256 dw = _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) (parts.scales + b * 32 + 16 * half)));
      __m256i qh = _mm256_setzero_si256 ();

      /* The first tile's first half streams the group from memory, the
       * rest find it in cache. */
      if (t0 == 0 && half == 0)
        {
          bendi_prefetch_stream (parts.quants + b * parts.quant_bytes, parts.quant_bytes);
          if (parts.high_bits != NULL)
            bendi_prefetch_stream (parts.high_bits + b * 64, 64);
        }
      if (parts.high_bits != NULL)
        qh = _mm256_loadu_si256 ((const __m256i *) (parts.high_bits + b * 64 + 32 * half));
      for (int t = 0; t < n_tokens; t++)
        s[t] = corrected ? _mm256_set1_epi32 (a->sums[(t0 + t) * nb + b]) : _mm256_setzero_si256 ();

      /* Register j holds elements 4j .. 4j + 3 of the 8 rows; the token's
       * 4 activation bytes at 4j are broadcast to meet them. */
      if (kind == GROUP_Q8_0)
        {
          for (int j = 0; j < 8; j++)
            {
              __m256i w = _mm256_loadu_si256 ((const __m256i *) (chunks + 64 * j));

              for (int t = 0; t < n_tokens; t++)
                s[t] = group_dot (kind, s[t], w, broadcast_u32 (y + t * a->stride + b * BENDI_QK + 4 * j));
            }
        }
      else
        for (int p = 0; p < 4; p++)
          {
            __m256i packed = _mm256_loadu_si256 ((const __m256i *) (chunks + 64 * p));
            __m256i lo = _mm256_and_si256 (packed, low_mask);
            __m256i hi = _mm256_and_si256 (_mm256_srli_epi16 (packed, 4), low_mask);

            if (kind == GROUP_IQ4_NL)
              {
                lo = _mm256_shuffle_epi8 (iq4nl_table (), lo);
                hi = _mm256_shuffle_epi8 (iq4nl_table (), hi);
              }
            if (parts.high_bits != NULL)
              {
                lo = _mm256_or_si256 (lo, fifth_bits (qh, 4 * p));
                hi = _mm256_or_si256 (hi, fifth_bits (qh, 16 + 4 * p));
              }
            for (int t = 0; t < n_tokens; t++)
              {
                const gint8 *yb = y + t * a->stride + b * BENDI_QK;

                s[t] = group_dot (kind, s[t], lo, broadcast_u32 (yb + 4 * p));
                s[t] = group_dot (kind, s[t], hi, broadcast_u32 (yb + 16 + 4 * p));
              }
          }

      for (int t = 0; t < n_tokens; t++)
        {
          acc[t] = _mm256_fmadd_ps (_mm256_cvtepi32_ps (s[t]),
                                    _mm256_mul_ps (dw, _mm256_set1_ps (d[t * nb + b])), acc[t]);
          /* x = d·q + m: the minimum meets the activations' d·Σq. */
          if (group_has_min (kind))
            acc[t] = _mm256_fmadd_ps (_mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) (parts.mins + b * 32 + 16 * half))),
                                      _mm256_set1_ps (a->s[(t0 + t) * nb + b]), acc[t]);
        }
    }

  for (int t = 0; t < n_tokens; t++)
    _mm256_storeu_ps (out + (t0 + t) * ld_out + 8 * half, acc[t]);
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
                  case 1: group_tile (kind, group, half, a, t, 1, out + r, ld_out); break;
                  case 2: group_tile (kind, group, half, a, t, 2, out + r, ld_out); break;
                  case 3: group_tile (kind, group, half, a, t, 3, out + r, ld_out); break;
                  default: group_tile (kind, group, half, a, t, 4, out + r, ld_out); break;
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
/* ggml's row layout: one row against up to 4 tokens, each block widened
 * once to 32 bytes. */

#define ROW_TOKENS 4

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
  const gboolean corrected = kind == GROUP_Q4_0 || HAVE_VNNI;
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
        {
          __m128i packed = _mm_loadu_si128 ((const __m128i *) (block + 2));

          w = _mm256_and_si256 (_mm256_inserti128_si256 (_mm256_castsi128_si256 (packed), _mm_srli_epi16 (packed, 4), 1),
                                _mm256_set1_epi8 (0x0f));
          if (kind == GROUP_IQ4_NL)
            w = _mm256_shuffle_epi8 (iq4nl_table (), w);
        }

      for (int t = 0; t < n_tokens; t++)
        {
          gint64 i = (t0 + t) * nb + b;
          const gint8 *yb = (const gint8 *) a->values + (t0 + t) * a->stride + b * BENDI_QK;
          /* The correction goes in lane 0 only: the lanes are summed at the end. */
          __m256i s = corrected ? _mm256_castsi128_si256 (_mm_cvtsi32_si128 (a->sums[i])) : _mm256_setzero_si256 ();

          s = group_dot (kind, s, w, _mm256_loadu_si256 ((const __m256i *) yb));
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
/* Float weights: 4 rows × 2 tokens of dot products, 8 columns at a time. */

#define FLOAT_ROWS 4
#define FLOAT_TOKENS 2

typedef enum {
  FLOAT_F32,
  FLOAT_F16,
  FLOAT_BF16,
} FloatKind;

static ALWAYS_INLINE __m256
float_load (FloatKind     kind,
            const guint8 *row,
            gint64        c)
{
  switch (kind)
    {
    case FLOAT_F16:
      return _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) (row + 2 * c)));
    case FLOAT_BF16:
      return _mm256_castsi256_ps (_mm256_slli_epi32 (
        _mm256_cvtepu16_epi32 (_mm_loadu_si128 ((const __m128i *) (row + 2 * c))), 16));
    case FLOAT_F32:
    default:
      return _mm256_loadu_ps ((const float *) row + c);
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
  const gint64 n_vec = n - n % 8;
  __m256 acc[FLOAT_ROWS][FLOAT_TOKENS];

  for (int r = 0; r < n_rows; r++)
    for (int t = 0; t < n_tokens; t++)
      acc[r][t] = _mm256_setzero_ps ();

  for (gint64 c = 0; c < n_vec; c += 8)
    {
      __m256 w[FLOAT_ROWS];

      for (int r = 0; r < n_rows; r++)
        w[r] = float_load (kind, rows + r * row_bytes, c);
      for (int t = 0; t < n_tokens; t++)
        {
          __m256 x = _mm256_loadu_ps ((const float *) ((const guint8 *) a->values + (t0 + t) * a->stride) + c);

          for (int r = 0; r < n_rows; r++)
            acc[r][t] = _mm256_fmadd_ps (w[r], x, acc[r][t]);
        }
    }

  for (int r = 0; r < n_rows; r++)
    for (int t = 0; t < n_tokens; t++)
      {
        const float *x = (const float *) ((const guint8 *) a->values + (t0 + t) * a->stride);
        float sum = hsum256 (acc[r][t]);

        for (gint64 c = n_vec; c < n; c++)
          sum += float_scalar (kind, rows + r * row_bytes, c) * x[c];
        out[(t0 + t) * ld_out + r] = sum;
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

BENDI_DEFINE_GEMM (gemm_rows_f32, gemm_float, FLOAT_F32)
BENDI_DEFINE_GEMM (gemm_rows_f16, gemm_float, FLOAT_F16)
BENDI_DEFINE_GEMM (gemm_rows_bf16, gemm_float, FLOAT_BF16)

/* ------------------------------------------------------------------------ */
/* Vector helpers; tails go through the portable conversions. */

static void
fp16_to_fp32 (float           *out,
              const BendiFp16 *in,
              gint64           n)
{
  gint64 i = 0;

  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps (out + i, _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) (in + i))));
  for (; i < n; i++)
    out[i] = bendi_fp16_to_fp32 (in[i]);
}

static void
fp32_to_fp16 (BendiFp16   *out,
              const float *in,
              gint64       n)
{
  gint64 i = 0;

  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128 ((__m128i *) (out + i), _mm256_cvtps_ph (_mm256_loadu_ps (in + i), _MM_FROUND_TO_NEAREST_INT));
  for (; i < n; i++)
    out[i] = bendi_fp32_to_fp16 (in[i]);
}

static float
dot_f16_f32 (const BendiFp16 *a,
             const float     *b,
             gint64           n)
{
  __m256 acc0 = _mm256_setzero_ps (), acc1 = _mm256_setzero_ps ();
  gint64 i = 0;
  float sum;

  for (; i + 16 <= n; i += 16)
    {
      acc0 = _mm256_fmadd_ps (_mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) (a + i))),
                              _mm256_loadu_ps (b + i), acc0);
      acc1 = _mm256_fmadd_ps (_mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) (a + i + 8))),
                              _mm256_loadu_ps (b + i + 8), acc1);
    }
  for (; i + 8 <= n; i += 8)
    acc0 = _mm256_fmadd_ps (_mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) (a + i))),
                            _mm256_loadu_ps (b + i), acc0);
  sum = hsum256 (_mm256_add_ps (acc0, acc1));
  for (; i < n; i++)
    sum += bendi_fp16_to_fp32 (a[i]) * b[i];
  return sum;
}

static void
mad_f16 (float           *y,
         const BendiFp16 *x,
         float            a,
         gint64           n)
{
  __m256 va = _mm256_set1_ps (a);
  gint64 i = 0;

  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps (y + i, _mm256_fmadd_ps (_mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) (x + i))),
                                              va, _mm256_loadu_ps (y + i)));
  for (; i < n; i++)
    y[i] += a * bendi_fp16_to_fp32 (x[i]);
}

/* ------------------------------------------------------------------------ */
/* The steps between the matrix products. */

/* e^x with the AVX2 form of ggml's vector exp (ggml_v_expf), so that
 * SwiGLU and the softmax round as llama.cpp's AVX2 build does: as the
 * AVX-512 kernels' exp_ps () up to e^b - 1, then 2^n built in the exponent
 * bits and e^x = 2^n + 2^n·(e^b - 1) in one fused step; for 126 < |n| <=
 * 192 the scaling in two factors (subnormals, or infinity), beyond that
 * infinity or zero. */
static inline __m256
exp_ps (__m256 x)
{
  const __m256 shift = _mm256_set1_ps (0x1.8p23f);
  __m256 z = _mm256_fmadd_ps (x, _mm256_set1_ps (0x1.715476p+0f), shift);
  __m256 n = _mm256_sub_ps (z, shift);
  __m256 b = _mm256_fnmadd_ps (n, _mm256_set1_ps (0x1.7f7d1cp-20f),
                               _mm256_fnmadd_ps (n, _mm256_set1_ps (0x1.62e4p-1f), x));
  __m256 u = _mm256_mul_ps (b, b);
  __m256 j = _mm256_fmadd_ps (_mm256_fmadd_ps (_mm256_fmadd_ps (_mm256_set1_ps (0x1.0e4020p-7f), b,
                                                                _mm256_set1_ps (0x1.573e2ep-5f)),
                                               u,
                                               _mm256_fmadd_ps (_mm256_set1_ps (0x1.555e66p-3f), b,
                                                                _mm256_set1_ps (0x1.fffdb6p-2f))),
                              u, _mm256_mul_ps (_mm256_set1_ps (0x1.ffffecp-1f), b));
  __m256i e = _mm256_slli_epi32 (_mm256_castps_si256 (z), 23);
  __m256 k = _mm256_castsi256_ps (_mm256_add_epi32 (e, _mm256_castps_si256 (_mm256_set1_ps (1.0f))));
  __m256 abs_n = _mm256_andnot_ps (_mm256_set1_ps (-0.0f), n);
  __m256 near = _mm256_cmp_ps (abs_n, _mm256_set1_ps (126.0f), _CMP_LE_OQ);
  __m256i g = _mm256_and_si256 (_mm256_castps_si256 (_mm256_cmp_ps (n, _mm256_setzero_ps (), _CMP_LE_OQ)),
                                _mm256_set1_epi32 ((int) 0x82000000u));
  __m256 s1 = _mm256_castsi256_ps (_mm256_add_epi32 (g, _mm256_set1_epi32 (0x7f000000)));
  __m256 s2 = _mm256_castsi256_ps (_mm256_sub_epi32 (e, g));
  __m256 middle = _mm256_mul_ps (_mm256_fmadd_ps (s2, j, s2), s1);
  __m256 far = _mm256_mul_ps (s1, s1);
  __m256 r = _mm256_blendv_ps (middle, far, _mm256_cmp_ps (abs_n, _mm256_set1_ps (192.0f), _CMP_GT_OQ));

  return _mm256_blendv_ps (r, _mm256_fmadd_ps (j, k, k), near);
}

static void
add (float       *out,
     const float *x,
     gint64       n)
{
  gint64 i = 0;

  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps (out + i, _mm256_add_ps (_mm256_loadu_ps (out + i), _mm256_loadu_ps (x + i)));
  for (; i < n; i++)
    out[i] += x[i];
}

static void
rms_norm (float       *out,
          const float *x,
          const float *weight,
          gint64       n,
          float        eps)
{
  __m256d s0 = _mm256_setzero_pd (), s1 = _mm256_setzero_pd ();
  double lanes[4], sum = 0;
  float scale;
  gint64 i = 0;

  for (; i + 8 <= n; i += 8)
    {
      __m256 v = _mm256_loadu_ps (x + i);
      __m256 squares = _mm256_mul_ps (v, v);   /* rounded as ggml's are */

      s0 = _mm256_add_pd (s0, _mm256_cvtps_pd (_mm256_castps256_ps128 (squares)));
      s1 = _mm256_add_pd (s1, _mm256_cvtps_pd (_mm256_extractf128_ps (squares, 1)));
    }
  _mm256_storeu_pd (lanes, _mm256_add_pd (s0, s1));
  sum = lanes[0] + lanes[1] + lanes[2] + lanes[3];
  for (gint64 j = i; j < n; j++)
    sum += (double) (x[j] * x[j]);
  scale = 1.0f / sqrtf ((float) (sum / (double) n) + eps);
  for (i = 0; i + 8 <= n; i += 8)
    {
      __m256 v = _mm256_mul_ps (_mm256_loadu_ps (x + i), _mm256_set1_ps (scale));

      if (weight != NULL)
        v = _mm256_mul_ps (v, _mm256_loadu_ps (weight + i));
      _mm256_storeu_ps (out + i, v);
    }
  for (; i < n; i++)
    out[i] = x[i] * scale * (weight != NULL ? weight[i] : 1.0f);
}

static void
swiglu (float       *out,
        const float *gate,
        const float *up,
        gint64       n)
{
  gint64 i = 0;

  for (; i + 8 <= n; i += 8)
    {
      __m256 g = _mm256_loadu_ps (gate + i);
      __m256 silu = _mm256_div_ps (g, _mm256_add_ps (_mm256_set1_ps (1.0f), exp_ps (_mm256_sub_ps (_mm256_setzero_ps (), g))));

      _mm256_storeu_ps (out + i, _mm256_mul_ps (silu, _mm256_loadu_ps (up + i)));
    }
  for (; i < n; i++)
    out[i] = gate[i] / (1.0f + expf (-gate[i])) * up[i];
}

/* Lanes [0, n) of eight, as a mask for maskload and maskstore. */
static inline __m256i
lanes_below (gint64 n)
{
  return _mm256_cmpgt_epi32 (_mm256_set1_epi32 ((int) MIN (n, 8)), _mm256_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7));
}

/* RoPE eight values at a time, as the AVX-512 version (the last step
 * masked). */
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

      for (gint64 i = 0; i < half; i += 8)
        {
          __m256i m = lanes_below (half - i);
          __m256 x0 = _mm256_maskload_ps (head + i, m), x1 = _mm256_maskload_ps (head + half + i, m);
          __m256 c = _mm256_maskload_ps (cos_table + i, m), s = _mm256_maskload_ps (sin_table + i, m);

          _mm256_maskstore_ps (head + i, m, _mm256_fmsub_ps (x0, c, _mm256_mul_ps (x1, s)));
          _mm256_maskstore_ps (head + half + i, m, _mm256_fmadd_ps (x0, s, _mm256_mul_ps (x1, c)));
        }
      return;
    }

  const __m256i spread = _mm256_set_epi32 (3, 3, 2, 2, 1, 1, 0, 0);
  gint64 n = n_rot & ~(gint64) 1;   /* whole pairs */

  for (gint64 i = 0; i < n; i += 8)
    {
      __m256i m = lanes_below (n - i);
      __m128i pairs = _mm256_castsi256_si128 (lanes_below ((n - i) / 2));
      __m256 x = _mm256_maskload_ps (head + i, m);
      __m256 swapped = _mm256_permute_ps (x, 0xb1);
      __m256 c = _mm256_permutevar8x32_ps (_mm256_castps128_ps256 (_mm_maskload_ps (cos_table + i / 2, pairs)), spread);
      __m256 s = _mm256_permutevar8x32_ps (_mm256_castps128_ps256 (_mm_maskload_ps (sin_table + i / 2, pairs)), spread);
      __m256 xc = _mm256_mul_ps (x, c), ys = _mm256_mul_ps (swapped, s);

      /* even lanes fma (x, c, -ys), odd lanes fma (x', s, xc) */
      _mm256_maskstore_ps (head + i, m, _mm256_blend_ps (_mm256_fmadd_ps (swapped, s, xc), _mm256_fmsub_ps (x, c, ys), 0x55));
    }
}

/* Heads of whole 8-wide vectors up to 128 wide stay in registers; others
 * go through the generic version. */
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
  int n_vecs = (int) (head_dim / 8);
  __m256 qv[ATTEND_MAX_VECS], ov[ATTEND_MAX_VECS];
  float max_score = -INFINITY, inv;
  double sum = 0;
  gint64 p;

  if (head_dim % 8 != 0 || n_vecs > ATTEND_MAX_VECS)
    {
      bendi_kernels_attend_generic (out, q, keys, values, stride, n_pos, head_dim, scale, scores);
      return;
    }
  for (int j = 0; j < n_vecs; j++)
    {
      qv[j] = _mm256_loadu_ps (q + 8 * j);
      ov[j] = _mm256_setzero_ps ();
    }

  for (p = 0; p < n_pos; p++)
    {
      const BendiFp16 *k = keys + p * stride;
      __m256 acc = _mm256_setzero_ps ();

      for (int j = 0; j < n_vecs; j++)
        acc = _mm256_fmadd_ps (_mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) (k + 8 * j))), qv[j], acc);
      scores[p] = hsum256 (acc) * scale;
      max_score = MAX (max_score, scores[p]);
    }
  for (p = 0; p + 8 <= n_pos; p += 8)
    {
      __m256 e = exp_ps (_mm256_sub_ps (_mm256_loadu_ps (scores + p), _mm256_set1_ps (max_score)));

      _mm256_storeu_ps (scores + p, e);
      sum += hsum256 (e);
    }
  for (; p < n_pos; p++)
    {
      scores[p] = expf (scores[p] - max_score);
      sum += scores[p];
    }
  inv = (float) (1.0 / sum);

  for (p = 0; p < n_pos; p++)
    {
      const BendiFp16 *v = values + p * stride;
      __m256 w = _mm256_set1_ps (scores[p]);

      for (int j = 0; j < n_vecs; j++)
        ov[j] = _mm256_fmadd_ps (_mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) (v + 8 * j))), w, ov[j]);
    }
  for (int j = 0; j < n_vecs; j++)
    _mm256_storeu_ps (out + 8 * j, _mm256_mul_ps (ov[j], _mm256_set1_ps (inv)));
}

/* A score as ggml's vec_dot_f16 sums it in its AVX2 build: four
 * accumulators of 8 lanes over each 32 elements, element i in accumulator
 * (i / 8) % 4; then (a0 + a2) + (a1 + a3), that vector's halves added, two
 * horizontal adds, and the elements past the last 32 added in double
 * precision. @q holds the query rounded to half precision. */
static ALWAYS_INLINE float
dot_half (const BendiFp16 *k,
          const float     *q,
          gint64           n)
{
  gint64 whole = n & ~(gint64) 31;
  __m256 acc[4] = { _mm256_setzero_ps (), _mm256_setzero_ps (), _mm256_setzero_ps (), _mm256_setzero_ps () };
  __m256 all;
  __m128 pair;
  double sum;

  for (gint64 i = 0; i < whole; i += 32)
    for (int j = 0; j < 4; j++)
      acc[j] = _mm256_fmadd_ps (_mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) (k + i + 8 * j))),
                                _mm256_loadu_ps (q + i + 8 * j), acc[j]);
  all = _mm256_add_ps (_mm256_add_ps (acc[0], acc[2]), _mm256_add_ps (acc[1], acc[3]));
  pair = _mm_add_ps (_mm256_castps256_ps128 (all), _mm256_extractf128_ps (all, 1));
  pair = _mm_hadd_ps (pair, pair);
  sum = _mm_cvtss_f32 (_mm_hadd_ps (pair, pair));
  for (gint64 i = whole; i < n; i++)
    sum += (double) (bendi_fp16_to_fp32 (k[i]) * q[i]);
  return (float) sum;
}

/* Heads of whole 8-wide vectors up to 256 wide for attend_half (). */
#define ATTEND_HALF_MAX_VECS 32

/* bendi_kernels_attend_half_generic ()'s arithmetic with this family's sums
 * of the scores, for heads of whole 8-wide vectors. */
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
  int n_vecs = (int) (head_dim / 8);
  alignas (32) float q_half[8 * ATTEND_HALF_MAX_VECS];
  __m256 acc[ATTEND_HALF_MAX_VECS];
  float max = -INFINITY, sum = 0;

  if (head_dim % 8 != 0 || n_vecs > ATTEND_HALF_MAX_VECS)
    {
      bendi_kernels_attend_half_generic (out, q, keys, values, stride, n_pos, head_dim, scale, scores);
      return;
    }
  for (int j = 0; j < n_vecs; j++)
    {
      _mm256_store_ps (q_half + 8 * j, fp16_round_ps (_mm256_loadu_ps (q + 8 * j)));
      acc[j] = _mm256_setzero_ps ();
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
            acc[j] = fp16_round_ps (_mm256_mul_ps (acc[j], _mm256_set1_ps (rescale)));
        }
      else
        weight = expf (s - max);
      for (int j = 0; j < n_vecs; j++)
        acc[j] = fp16_round_ps (_mm256_fmadd_ps (_mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) (v + 8 * j))),
                                               _mm256_set1_ps (weight), acc[j]));
      sum = fmaf (sum, rescale, weight);   /* ggml's S = S*ms + vs, contracted */
    }
  for (int j = 0; j < n_vecs; j++)
    _mm256_storeu_ps (out + 8 * j, _mm256_mul_ps (acc[j], _mm256_set1_ps (1.0f / sum)));
}

/* glibc's expf () on 4 lanes, for arguments <= 0 (see
 * bendi_kernels_exp2_32nds). Below -103.97 the result is 0. */
static ALWAYS_INLINE __m128
expf_libm_pd4 (__m128 x)
{
  const __m256d shift = _mm256_set1_pd (0x1.8p52);
  __m256d z = _mm256_mul_pd (_mm256_cvtps_pd (x), _mm256_set1_pd (0x1.71547652b82fep+5));
  __m256d kd = _mm256_add_pd (z, shift);
  __m256i k = _mm256_castpd_si256 (kd);
  __m256d r = _mm256_sub_pd (z, _mm256_sub_pd (kd, shift));
  __m256i t = _mm256_i64gather_epi64 ((const long long *) bendi_kernels_exp2_32nds,
                                      _mm256_and_si256 (k, _mm256_set1_epi64x (31)), 8);
  __m256d scale = _mm256_castsi256_pd (_mm256_add_epi64 (t, _mm256_slli_epi64 (k, 47)));
  __m256d cubic = _mm256_fmadd_pd (_mm256_set1_pd (0x1.c6af84b912394p-20), r, _mm256_set1_pd (0x1.ebfce50fac4f3p-13));
  __m256d y = _mm256_fmadd_pd (_mm256_set1_pd (0x1.62e42ff0c52d6p-6), r, _mm256_set1_pd (1.0));

  y = _mm256_mul_pd (_mm256_fmadd_pd (cubic, _mm256_mul_pd (r, r), y), scale);
  return _mm_andnot_ps (_mm_cmplt_ps (x, _mm_set1_ps (-0x1.9fe368p6f)), _mm256_cvtpd_ps (y));
}

static void
expf_neg (float  *x,
          gint64  n)
{
  gint64 i = 0;

  for (; i + 4 <= n; i += 4)
    _mm_storeu_ps (x + i, expf_libm_pd4 (_mm_loadu_ps (x + i)));
  for (; i < n; i++)
    x[i] = expf (x[i]);
}

/* @x's lanes moved up by 1, 2 or 4 (@index, @mask), -inf in those left;
 * a macro, as clang wants VBLENDPS's mask a constant where it is written. */
#define LANES_UP(x, index, mask) \
  _mm256_blend_ps (_mm256_permutevar8x32_ps ((x), (index)), _mm256_set1_ps (-INFINITY), (mask))

/* A head's scores turned into the steps of llama.cpp's online softmax, in
 * place: where a score is not above the running maximum, its weight
 * e^(s − max); where it raises the maximum, the factor e^(old max − s) by
 * which the sums so far shrink, stored negated (its own weight is 1; the
 * first position's factor, e^-inf, is stored as -0). */
static void
online_softmax_steps (float  *s,
                      gint64  n_pos)
{
  const __m256 sign = _mm256_set1_ps (-0.0f);
  const __m256i up1 = _mm256_setr_epi32 (0, 0, 1, 2, 3, 4, 5, 6);
  const __m256i up2 = _mm256_setr_epi32 (0, 0, 0, 1, 2, 3, 4, 5);
  const __m256i up4 = _mm256_setr_epi32 (0, 0, 0, 0, 0, 1, 2, 3);
  __m256 carry = _mm256_set1_ps (-INFINITY);   /* the maximum of the positions before */
  float max;
  gint64 p = 0;

  for (; p + 8 <= n_pos; p += 8)
    {
      __m256 v = _mm256_loadu_ps (s + p), upto = v, before, d, raises, e;

      /* upto[i] = max (v[0..i]), then each lane's maximum before it */
      upto = _mm256_max_ps (upto, LANES_UP (upto, up1, 0x01));
      upto = _mm256_max_ps (upto, LANES_UP (upto, up2, 0x03));
      upto = _mm256_max_ps (upto, LANES_UP (upto, up4, 0x0f));
      before = _mm256_max_ps (carry, LANES_UP (upto, up1, 0x01));
      carry = _mm256_max_ps (carry, _mm256_permutevar8x32_ps (upto, _mm256_set1_epi32 (7)));
      d = _mm256_sub_ps (v, before);
      raises = _mm256_cmp_ps (v, before, _CMP_GT_OQ);
      d = _mm256_blendv_ps (d, _mm256_sub_ps (_mm256_setzero_ps (), d), raises);   /* old max − s */
      e = _mm256_set_m128 (expf_libm_pd4 (_mm256_extractf128_ps (d, 1)), expf_libm_pd4 (_mm256_castps256_ps128 (d)));
      _mm256_storeu_ps (s + p, _mm256_xor_ps (e, _mm256_and_ps (raises, sign)));
    }
  max = _mm256_cvtss_f32 (carry);
  for (; p < n_pos; p++)
    {
      if (s[p] > max)
        {
          float shrink = -expf (max - s[p]);

          max = s[p];
          s[p] = shrink;
        }
      else
        s[p] = expf (s[p] - max);
    }
}

/* r[i] = a[i]'s lanes summed as ggml's AVX2 vec_dot_f16 sums them (see
 * dot_half ()), for 8 vectors at once. */
static ALWAYS_INLINE __m256
reduce_add_ps8 (const __m256 a[8])
{
  __m256 x[4], h0, h1;

  for (int k = 0; k < 4; k++)
    x[k] = _mm256_add_ps (_mm256_permute2f128_ps (a[2 * k], a[2 * k + 1], 0x20),
                          _mm256_permute2f128_ps (a[2 * k], a[2 * k + 1], 0x31));
  /* x[k]: a[2k]'s halves added, then a[2k + 1]'s */
  h0 = _mm256_hadd_ps (x[0], x[1]);
  h1 = _mm256_hadd_ps (x[2], x[3]);
  /* h0: a0's two pair sums, a2's; then a1's, a3's (h1: a4 .. a7) */
  return _mm256_permutevar8x32_ps (_mm256_hadd_ps (h0, h1), _mm256_setr_epi32 (0, 4, 1, 5, 2, 6, 3, 7));
}

/* Positions widened to floats at a time, shared by the heads of a group. */
#define HALF_CHUNK 32
/* Heads of a group taken at a time (their sums' normalisers on the stack). */
#define HALF_MAX_HEADS 64

/* Widens @n rows of @n_vecs vectors (@stride halves apart) into @block,
 * and asks for the next chunk's rows; the rows up to a multiple of 8 are
 * zero. */
static ALWAYS_INLINE void
widen_chunk (float           *block,
             const BendiFp16 *rows,
             gint64           stride,
             int              n,
             gint64           n_next,
             int              n_vecs)
{
  for (gint64 i = 0; i < n_next; i++)
    for (int b = 0; b < n_vecs * 16; b += 64)
      _mm_prefetch ((const char *) (rows + (HALF_CHUNK + i) * stride) + b, _MM_HINT_T0);
  for (int i = 0; i < ((n + 7) & ~7); i++)
    for (int j = 0; j < n_vecs; j++)
      _mm256_store_ps (block + (i * n_vecs + j) * 8,
                       i < n ? _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) (rows + i * stride + 8 * j)))
                             : _mm256_setzero_ps ());
}

/* attend_half () for @n_heads heads (at most HALF_MAX_HEADS) sharing keys
 * and values, heads a whole number of 32 wide (@n_vecs a multiple of 4, a
 * constant where inlined): the same bits, faster. Each chunk of keys and
 * values is widened once for all heads; 8 scores are summed in one
 * transposing reduction; the softmax's exponentials 4 at a time; a head's
 * half-precision sums 8 vectors at a time, kept in @out between chunks. */
static ALWAYS_INLINE void
attend_half_group_body (float           *out,
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
  alignas (32) float block[HALF_CHUNK * ATTEND_HALF_MAX_VECS * 8];
  float sums[HALF_MAX_HEADS];

  for (gint64 p0 = 0; p0 < n_pos; p0 += HALF_CHUNK)
    {
      int n = (int) MIN (HALF_CHUNK, n_pos - p0);

      widen_chunk (block, keys + p0 * stride, stride, n, MIN (HALF_CHUNK, n_pos - p0 - n), n_vecs);
      for (int h = 0; h < n_heads; h++)
        {
          alignas (32) float q_half[8 * ATTEND_HALF_MAX_VECS];

          for (int j = 0; j < n_vecs; j++)
            _mm256_store_ps (q_half + 8 * j, fp16_round_ps (_mm256_loadu_ps (q + h * head_dim + 8 * j)));
          for (int i0 = 0; i0 < n; i0 += 8)
            {
              alignas (32) float eight[8];
              __m256 dots[8];

              for (int i = 0; i < 8; i++)
                {
                  /* vec_dot_f16's four accumulators */
                  __m256 acc[4] = { _mm256_setzero_ps (), _mm256_setzero_ps (), _mm256_setzero_ps (),
                                    _mm256_setzero_ps () };

                  for (int j = 0; j < n_vecs; j++)
                    acc[j % 4] = _mm256_fmadd_ps (_mm256_load_ps (block + ((i0 + i) * n_vecs + j) * 8),
                                                  _mm256_load_ps (q_half + 8 * j), acc[j % 4]);
                  dots[i] = _mm256_add_ps (_mm256_add_ps (acc[0], acc[2]), _mm256_add_ps (acc[1], acc[3]));
                }
              _mm256_store_ps (eight, _mm256_mul_ps (reduce_add_ps8 (dots), _mm256_set1_ps (scale)));
              memcpy (scores + h * n_pos + p0 + i0, eight, (gsize) MIN (8, n - i0) * sizeof (float));
            }
        }
    }
  for (int h = 0; h < n_heads; h++)
    online_softmax_steps (scores + h * n_pos, n_pos);

  for (gint64 p0 = 0; p0 < n_pos; p0 += HALF_CHUNK)
    {
      int n = (int) MIN (HALF_CHUNK, n_pos - p0);

      widen_chunk (block, values + p0 * stride, stride, n, MIN (HALF_CHUNK, n_pos - p0 - n), n_vecs);
      for (int h = 0; h < n_heads; h++)
        for (int c0 = 0; c0 < n_vecs; c0 += 8)
          {
            const float *steps = scores + h * n_pos + p0;
            float *oh = out + h * head_dim + 8 * c0;
            int nv = MIN (8, n_vecs - c0);
            float sum = p0 == 0 ? 0.0f : sums[h];
            __m256 acc[8];

            for (int j = 0; j < nv; j++)
              acc[j] = p0 == 0 ? _mm256_setzero_ps () : _mm256_loadu_ps (oh + 8 * j);
            for (int i = 0; i < n; i++)
              {
                float weight = steps[i];

                if (signbit (weight))
                  {
                    /* a new maximum: the sums so far shrink, this one weighs 1 */
                    for (int j = 0; j < nv; j++)
                      acc[j] = fp16_round_ps (_mm256_mul_ps (acc[j], _mm256_set1_ps (-weight)));
                    sum = fmaf (sum, -weight, 1.0f);
                    weight = 1.0f;
                  }
                else
                  sum += weight;
                for (int j = 0; j < nv; j++)
                  acc[j] = fp16_round_ps (_mm256_fmadd_ps (_mm256_load_ps (block + (i * n_vecs + c0 + j) * 8),
                                                           _mm256_set1_ps (weight), acc[j]));
              }
            for (int j = 0; j < nv; j++)
              _mm256_storeu_ps (oh + 8 * j, acc[j]);
            if (c0 == 0)
              sums[h] = sum;
          }
    }
  for (int h = 0; h < n_heads; h++)
    for (int j = 0; j < n_vecs; j++)
      _mm256_storeu_ps (out + h * head_dim + 8 * j,
                        _mm256_mul_ps (_mm256_loadu_ps (out + h * head_dim + 8 * j), _mm256_set1_ps (1.0f / sums[h])));
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
  int n_vecs = (int) (head_dim / 8);

  if (head_dim % 32 != 0 || n_vecs > ATTEND_HALF_MAX_VECS || n_pos < 1)
    {
      for (int h = 0; h < n_heads; h++)
        attend_half (out + h * head_dim, q + h * head_dim, keys, values, stride, n_pos, head_dim, scale, scores);
      return;
    }
  for (int h0 = 0; h0 < n_heads; h0 += HALF_MAX_HEADS)
    {
      int nh = MIN (HALF_MAX_HEADS, n_heads - h0);
      float *o = out + h0 * head_dim;
      const float *qh = q + h0 * head_dim;

      switch (n_vecs)
        {
        case 8:   /* heads of 64 */
          attend_half_group_body (o, qh, nh, keys, values, stride, n_pos, head_dim, 8, scale, scores);
          break;
        case 16:  /* 128 */
          attend_half_group_body (o, qh, nh, keys, values, stride, n_pos, head_dim, 16, scale, scores);
          break;
        default:
          attend_half_group_body (o, qh, nh, keys, values, stride, n_pos, head_dim, n_vecs, scale, scores);
          break;
        }
    }
}

void
KERNELS_INIT (BendiCpuKernels *table)
{
  bendi_kernels_init_generic (table);
  table->name = KERNELS_NAME;
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

  KQUANT_INIT (table);

  table->fp16_to_fp32 = fp16_to_fp32;
  table->fp32_to_fp16 = fp32_to_fp16;
  table->dot_f16_f32 = dot_f16_f32;
  table->mad_f16 = mad_f16;
  table->add = add;
  table->rms_norm = rms_norm;
  table->swiglu = swiglu;
  table->rope = rope;
  table->attend = attend;
  table->attend_half = attend_half_heads;
  table->expf_neg = expf_neg;
  table->vector_floats = 8;
}
