/* SPDX-License-Identifier: MIT */
/* The vector helpers of every kernel family against scalar references. */
#include <math.h>
#include <string.h>

#include "cpu/cpu-features.h"
#include "cpu/kernels.h"
#include "cpu/vec-ops.h"
#include "model/ops.h"
#include "test-util.h"

typedef struct {
  const char      *name;
  BendiCpuFeatures features;
} Family;

static const Family families[] = {
  { "generic", { 0 } },
  { "AVX2", { .avx2 = TRUE } },
  { "AVX2 VNNI", { .avx2 = TRUE, .avx_vnni = TRUE } },
  { "AVX-512 VNNI", { .avx2 = TRUE, .avx_vnni = TRUE, .avx512 = TRUE, .avx512_vnni = TRUE } },
  { "AVX-512 VNNI AMX", { .avx2 = TRUE, .avx_vnni = TRUE, .avx512 = TRUE, .avx512_vnni = TRUE, .amx_int8 = TRUE } },
};

static gboolean
family_select (const Family *family)
{
  bendi_cpu_features_override (&family->features);
  if (g_strcmp0 (bendi_cpu_features_describe (bendi_cpu_features_get ()), family->name) != 0)
    {
      bendi_cpu_features_override (NULL);
      return FALSE;
    }
  return TRUE;
}

/* Lengths around every vector width, so tails are exercised. */
static const gint64 lengths[] = { 0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 100, 130 };

static void
test_fp16_to_fp32 (void)
{
  /* Every half: conversions are exact, so compare bits (NaNs included). */
  g_autofree BendiFp16 *halves = g_new (BendiFp16, 65536 + 5);
  g_autofree float *out = g_new (float, 65536 + 5);

  for (guint i = 0; i < 65536; i++)
    halves[i] = (BendiFp16) i;
  for (gsize f = 0; f < G_N_ELEMENTS (families); f++)
    {
      if (!family_select (&families[f]))
        continue;
      for (gsize l = 0; l < G_N_ELEMENTS (lengths); l++)
        {
          gint64 n = lengths[l];

          out[n] = 42.0f;
          bendi_vec_fp16_to_fp32 (out, halves + 1000, n);
          for (gint64 i = 0; i < n; i++)
            g_assert_cmpuint (bendi_float_bits (out[i]), ==, bendi_float_bits (bendi_fp16_to_fp32 (halves[1000 + i])));
          g_assert_cmpfloat (out[n], ==, 42.0f);
        }
      bendi_vec_fp16_to_fp32 (out, halves, 65536);
      for (guint i = 0; i < 65536; i++)
        {
          float expected = bendi_fp16_to_fp32 ((BendiFp16) i);

          if (isnan (expected))
            g_assert_true (isnan (out[i]));
          else
            g_assert_cmpuint (bendi_float_bits (out[i]), ==, bendi_float_bits (expected));
        }
    }
  bendi_cpu_features_override (NULL);
}

static void
test_fp32_to_fp16 (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);
  const gint64 n = 4096;
  g_autofree float *in = g_new (float, n);
  g_autofree BendiFp16 *out = g_new (BendiFp16, n + 1);

  /* Random bit patterns over the half range, exact ties, overflow,
   * subnormals, infinities and zeros of both signs. */
  for (gint64 i = 0; i < n; i++)
    {
      guint32 exponent = 100 + g_rand_int_range (rand, 0, 45);

      in[i] = bendi_float_from_bits ((g_rand_int (rand) & 0x807fffffu) | exponent << 23);
    }
  in[0] = 1.0f + 1.0f / 2048;             /* halfway between two halves: to even */
  in[1] = 1.0f + 3.0f / 2048;             /* halfway, rounds up to even */
  in[2] = 65520.0f;                       /* overflows to infinity */
  in[3] = 65519.0f;                       /* the largest half */
  in[4] = 1e-7f;                          /* subnormal half */
  in[5] = -0.0f;
  in[6] = INFINITY;
  in[7] = -INFINITY;
  in[8] = 2.9802322e-08f;                 /* half the smallest subnormal: to zero */

  for (gsize f = 0; f < G_N_ELEMENTS (families); f++)
    {
      if (!family_select (&families[f]))
        continue;
      for (gsize l = 0; l < G_N_ELEMENTS (lengths); l++)
        {
          out[lengths[l]] = 0x1234;
          bendi_vec_fp32_to_fp16 (out, in, lengths[l]);
          for (gint64 i = 0; i < lengths[l]; i++)
            g_assert_cmphex (out[i], ==, bendi_fp32_to_fp16 (in[i]));
          g_assert_cmphex (out[lengths[l]], ==, 0x1234);
        }
      bendi_vec_fp32_to_fp16 (out, in, n);
      for (gint64 i = 0; i < n; i++)
        g_assert_cmphex (out[i], ==, bendi_fp32_to_fp16 (in[i]));
    }
  bendi_cpu_features_override (NULL);
}

static void
test_dot (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (4);
  const gint64 n_max = 1000;
  g_autofree BendiFp16 *a = g_new (BendiFp16, n_max);
  g_autofree float *b = g_new (float, n_max);

  for (gint64 i = 0; i < n_max; i++)
    {
      a[i] = bendi_fp32_to_fp16 ((float) g_rand_double_range (rand, -2, 2));
      b[i] = (float) g_rand_double_range (rand, -2, 2);
    }
  for (gsize f = 0; f < G_N_ELEMENTS (families); f++)
    {
      if (!family_select (&families[f]))
        continue;
      for (gsize l = 0; l <= G_N_ELEMENTS (lengths); l++)
        {
          gint64 n = l < G_N_ELEMENTS (lengths) ? lengths[l] : n_max;
          double expected = 0, magnitude = 0;
          float got = bendi_vec_dot_f16_f32 (a, b, n);

          for (gint64 i = 0; i < n; i++)
            {
              expected += (double) bendi_fp16_to_fp32 (a[i]) * b[i];
              magnitude += fabs ((double) bendi_fp16_to_fp32 (a[i]) * b[i]);
            }
          /* Each product and each addition rounds once in single precision:
           * the error is at most (n + 1) · 2^-24 of the magnitudes. */
          g_assert_cmpfloat_with_epsilon (got, expected, (double) (n + 1) * 6e-8 * magnitude + 1e-9);
        }
    }
  bendi_cpu_features_override (NULL);
}

static void
test_mad (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (6);
  const gint64 n_max = 300;
  g_autofree BendiFp16 *x = g_new (BendiFp16, n_max);
  g_autofree float *y0 = g_new (float, n_max + 1);
  g_autofree float *y = g_new (float, n_max + 1);

  for (gint64 i = 0; i < n_max; i++)
    {
      x[i] = bendi_fp32_to_fp16 ((float) g_rand_double_range (rand, -2, 2));
      y0[i] = (float) g_rand_double_range (rand, -2, 2);
    }
  for (gsize f = 0; f < G_N_ELEMENTS (families); f++)
    {
      if (!family_select (&families[f]))
        continue;
      for (gsize l = 0; l <= G_N_ELEMENTS (lengths); l++)
        {
          gint64 n = l < G_N_ELEMENTS (lengths) ? lengths[l] : n_max;
          const float a = 0.3f;

          memcpy (y, y0, n_max * sizeof (float));
          y[n] = 7.0f;
          bendi_vec_mad_f16 (y, x, a, n);
          /* One rounding (fused) or two: within 2 ulps of the exact value. */
          for (gint64 i = 0; i < n; i++)
            {
              double expected = y0[i] + (double) a * bendi_fp16_to_fp32 (x[i]);

              g_assert_cmpfloat_with_epsilon (y[i], expected, 2.5e-7 * (fabs (expected) + fabs (y0[i])));
            }
          g_assert_cmpfloat (y[n], ==, 7.0f);
        }
    }
  bendi_cpu_features_override (NULL);
}

static void
test_add (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (6);
  const gint64 n_max = 2051;
  g_autofree float *x = g_new (float, n_max);
  g_autofree float *y = g_new (float, n_max);
  g_autofree float *out = g_new (float, n_max + 1);

  for (gint64 i = 0; i < n_max; i++)
    {
      x[i] = (float) g_rand_double_range (rand, -3, 3);
      y[i] = (float) g_rand_double_range (rand, -3, 3);
    }
  for (gsize f = 0; f < G_N_ELEMENTS (families); f++)
    {
      if (!family_select (&families[f]))
        continue;
      for (gsize l = 0; l <= G_N_ELEMENTS (lengths); l++)
        {
          gint64 n = l < G_N_ELEMENTS (lengths) ? lengths[l] : n_max;

          memcpy (out, y, n * sizeof (float));
          out[n] = 42.0f;
          bendi_vec_add (out, x, n);
          /* one rounding each, as the scalar sum */
          for (gint64 i = 0; i < n; i++)
            g_assert_cmpfloat (out[i], ==, y[i] + x[i]);
          g_assert_cmpfloat (out[n], ==, 42.0f);
        }
    }
  bendi_cpu_features_override (NULL);
}

static void
test_rms_norm (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  const gint64 n_max = 2051;
  g_autofree float *x = g_new (float, n_max);
  g_autofree float *weight = g_new (float, n_max);
  g_autofree float *out = g_new (float, n_max + 1);

  for (gint64 i = 0; i < n_max; i++)
    {
      x[i] = (float) g_rand_double_range (rand, -3, 3);
      weight[i] = (float) g_rand_double_range (rand, 0.5, 1.5);
    }
  for (gsize f = 0; f < G_N_ELEMENTS (families); f++)
    {
      if (!family_select (&families[f]))
        continue;
      for (gsize l = 1; l <= G_N_ELEMENTS (lengths); l++)
        for (int with_weight = 0; with_weight < 2; with_weight++)
          {
            gint64 n = l < G_N_ELEMENTS (lengths) ? lengths[l] : n_max;
            double sum = 0;
            double scale;

            for (gint64 i = 0; i < n; i++)
              sum += (double) x[i] * x[i];
            scale = 1.0 / sqrt (sum / (double) n + 1e-5);
            out[n] = 42.0f;
            bendi_vec_rms_norm (out, x, with_weight ? weight : NULL, n, 1e-5f);
            for (gint64 i = 0; i < n; i++)
              {
                double expected = x[i] * scale * (with_weight ? weight[i] : 1.0);

                g_assert_cmpfloat_with_epsilon (out[i], expected, 4e-7 * fabs (expected) + 1e-12);
              }
            g_assert_cmpfloat (out[n], ==, 42.0f);
          }
      /* in place, as the Q and K norms run: the same as out of place */
      {
        float expected[64];

        bendi_vec_rms_norm (expected, x, weight, 64, 1e-6f);
        memcpy (out, x, 64 * sizeof (float));
        bendi_vec_rms_norm (out, out, weight, 64, 1e-6f);
        for (gint64 i = 0; i < 64; i++)
          g_assert_cmpfloat (out[i], ==, expected[i]);
      }
    }
  bendi_cpu_features_override (NULL);
}

/* Every family's RoPE against the reference pass's scalar loop, bit for
 * bit: both orderings, rotated widths around every vector width (odd ones
 * leave their last value alone), and nothing written past the rotated part
 * of the head. */
static void
test_rope (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (9);
  static const gint64 widths[] = { 0, 1, 2, 4, 6, 8, 14, 15, 16, 18, 30, 32, 34, 48, 62, 64, 66, 96, 128, 130 };
  const gint64 head_dim = 160;
  float head[160], want[160], cos_table[80], sin_table[80];

  for (gsize f = 0; f < G_N_ELEMENTS (families); f++)
    {
      if (!family_select (&families[f]))
        continue;
      for (int neox = 0; neox <= 1; neox++)
        for (gsize w = 0; w < G_N_ELEMENTS (widths); w++)
          {
            gint64 n_rot = widths[w];

            for (gint64 i = 0; i < head_dim; i++)
              head[i] = (float) g_rand_double_range (rand, -4, 4);
            for (gint64 i = 0; i < head_dim / 2; i++)
              {
                double angle = g_rand_double_range (rand, -100, 100);

                cos_table[i] = (float) cos (angle);
                sin_table[i] = (float) sin (angle);
              }
            memcpy (want, head, sizeof head);
            bendi_rope_apply (want, cos_table, sin_table, n_rot, neox ? BENDI_ROPE_NEOX : BENDI_ROPE_NORMAL);
            bendi_vec_rope (head, cos_table, sin_table, n_rot, neox);
            for (gint64 i = 0; i < head_dim; i++)
              if (memcmp (&head[i], &want[i], sizeof (float)) != 0)
                g_error ("%s, %s, %" G_GINT64_FORMAT " rotated: value %" G_GINT64_FORMAT " is %.9g, not %.9g",
                         families[f].name, neox ? "NeoX" : "normal", n_rot, i, head[i], want[i]);
          }
    }
  bendi_cpu_features_override (NULL);
}

static void
test_swiglu (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (8);
  const gint64 n_max = 1000;
  /* ends of exp's range and beyond, where silu is x or 0 */
  static const float edges[] = { 0.0f, -0.0f, 1e-30f, -1e-30f, 87.0f, -87.0f, 88.5f, -88.5f, 89.0f, -89.0f,
                                 100.0f, -100.0f, 200.0f, -200.0f, 1e10f, -1e10f };
  g_autofree float *gate = g_new (float, n_max);
  g_autofree float *up = g_new (float, n_max);
  g_autofree float *out = g_new (float, n_max + 1);

  for (gint64 i = 0; i < n_max; i++)
    {
      gate[i] = i < (gint64) G_N_ELEMENTS (edges) ? edges[i] : (float) g_rand_double_range (rand, -20, 20);
      up[i] = (float) g_rand_double_range (rand, -2, 2);
    }
  for (gsize f = 0; f < G_N_ELEMENTS (families); f++)
    {
      if (!family_select (&families[f]))
        continue;
      for (gsize l = 0; l <= G_N_ELEMENTS (lengths); l++)
        {
          gint64 n = l < G_N_ELEMENTS (lengths) ? lengths[l] : n_max;

          out[n] = 42.0f;
          bendi_vec_swiglu (out, gate, up, n);
          for (gint64 i = 0; i < n; i++)
            {
              double expected = gate[i] / (1.0 + exp (-(double) gate[i])) * up[i];

              /* a few ulps: the exponential is a polynomial, not libm's */
              g_assert_cmpfloat_with_epsilon (out[i], expected, 6e-7 * fabs (expected) + 1e-30);
            }
          g_assert_cmpfloat (out[n], ==, 42.0f);
        }
    }
  bendi_cpu_features_override (NULL);
}

/* A cache laid out like the engine's: positions STRIDE halves apart, the
 * head at OFFSET inside; queries for up to MAX_HEADS heads of up to
 * MAX_DIM each. */
#define STRIDE 600
#define OFFSET 40
#define MAX_POS 100
#define MAX_DIM 300
#define MAX_HEADS 8

typedef struct {
  BendiFp16 keys[STRIDE * MAX_POS];
  BendiFp16 values[STRIDE * MAX_POS];
  float     q[MAX_HEADS * MAX_DIM];
} AttendCase;

static AttendCase *
attend_case_new (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (9);
  AttendCase *c = g_new (AttendCase, 1);

  for (gint64 i = 0; i < STRIDE * MAX_POS; i++)
    {
      c->keys[i] = bendi_fp32_to_fp16 ((float) g_rand_double_range (rand, -1, 1));
      c->values[i] = bendi_fp32_to_fp16 ((float) g_rand_double_range (rand, -1, 1));
    }
  for (gint64 i = 0; i < MAX_HEADS * MAX_DIM; i++)
    c->q[i] = (float) g_rand_double_range (rand, -1, 1);
  return c;
}

/* Checks @out (one head) against attention computed in double precision. */
static void
attend_check (const AttendCase *c,
              const float      *q,
              const float      *out,
              gint64            n_pos,
              gint64            hd,
              float             scale)
{
  double weights[MAX_POS];
  double max = -INFINITY, sum = 0;

  for (gint64 j = 0; j < n_pos; j++)
    {
      double dot = 0;

      for (gint64 i = 0; i < hd; i++)
        dot += (double) bendi_fp16_to_fp32 (c->keys[j * STRIDE + OFFSET + i]) * q[i];
      weights[j] = dot * scale;
      max = MAX (max, weights[j]);
    }
  for (gint64 j = 0; j < n_pos; j++)
    {
      weights[j] = exp (weights[j] - max);
      sum += weights[j];
    }
  for (gint64 i = 0; i < hd; i++)
    {
      double expected = 0;

      for (gint64 j = 0; j < n_pos; j++)
        expected += weights[j] / sum * bendi_fp16_to_fp32 (c->values[j * STRIDE + OFFSET + i]);
      /* single-precision sums over hd products and n_pos terms */
      g_assert_cmpfloat_with_epsilon (out[i], expected, 2e-6);
    }
}

/* One head, and several query heads sharing the keys and values
 * (grouped-query attention): each head as if it were alone. */
static void
test_attend_heads (void)
{
  static const int head_counts[] = { 1, 3, 8 };
  static const gint64 head_dims[] = { 8, 16, 64, 72, 128, 256, 272 };
  static const gint64 positions[] = { 1, 2, 15, 16, 17, 31, 33, 100 };
  g_autofree AttendCase *c = attend_case_new ();
  g_autofree float *out = g_new (float, MAX_HEADS * MAX_DIM + 1);
  g_autofree float *scores = g_new (float, MAX_HEADS * MAX_POS);

  for (gsize f = 0; f < G_N_ELEMENTS (families); f++)
    {
      if (!family_select (&families[f]))
        continue;
      for (gsize n = 0; n < G_N_ELEMENTS (head_counts); n++)
        for (gsize h = 0; h < G_N_ELEMENTS (head_dims); h++)
          for (gsize p = 0; p < G_N_ELEMENTS (positions); p++)
            {
              int n_heads = head_counts[n];
              gint64 hd = head_dims[h], n_pos = positions[p];
              float scale = 4.0f / sqrtf ((float) hd);

              out[n_heads * hd] = 42.0f;
              bendi_vec_attend_heads (out, c->q, n_heads, c->keys + OFFSET, c->values + OFFSET, STRIDE, n_pos, hd,
                                      scale, scores);
              for (int k = 0; k < n_heads; k++)
                attend_check (c, c->q + k * hd, out + k * hd, n_pos, hd, scale);
              g_assert_cmpfloat (out[n_heads * hd], ==, 42.0f);
            }
    }
  bendi_cpu_features_override (NULL);
}

/* llama.cpp's CPU flash attention for one query (ggml's one-chunk path), step
 * by step: the query rounded to half precision; per position the score, an
 * online softmax with expf () and the weighted values summed in half
 * precision; the sum of weights by fused steps; out = sums · (1 / sum). */
static void
ggml_attend_one (float           *out,
                 const float     *q,
                 const BendiFp16 *keys,
                 const BendiFp16 *values,
                 gint64           stride,
                 gint64           n_pos,
                 gint64           hd,
                 float            scale,
                 int              lanes)
{
  float q_half[MAX_DIM], acc[MAX_DIM] = { 0 }, max = -INFINITY, sum = 0;

  for (gint64 i = 0; i < hd; i++)
    q_half[i] = bendi_fp16_round (q[i]);
  for (gint64 p = 0; p < n_pos; p++)
    {
      float s = bendi_test_ggml_dot_f16 (keys + p * stride, q_half, hd, lanes) * scale, ms = 1, vs = 1;

      if (s > max)
        {
          ms = expf (max - s);
          max = s;
          for (gint64 i = 0; i < hd; i++)
            acc[i] = bendi_fp16_round (acc[i] * ms);
        }
      else
        vs = expf (s - max);
      for (gint64 i = 0; i < hd; i++)
        acc[i] = bendi_fp16_round (fmaf (bendi_fp16_to_fp32 (values[p * stride + i]), vs, acc[i]));
      sum = fmaf (sum, ms, vs);
    }
  for (gint64 i = 0; i < hd; i++)
    out[i] = acc[i] * (1.0f / sum);
}

/* Every family's llama.cpp-style attention bit for bit against the steps
 * above, with the family's own vector width; heads up to 256 wide (wider
 * ones the families leave to the generic sums). Also close to attention in
 * double precision (half precision's errors), and equal where all heads go
 * together or one by one. Scores spread wide, so that the running maximum
 * moves often. */
static void
test_attend_heads_half (void)
{
  static const int head_counts[] = { 1, 3, 8 };
  static const gint64 head_dims[] = { 8, 16, 64, 72, 128, 256 };
  static const gint64 positions[] = { 1, 2, 15, 16, 17, 31, 33, 100 };
  g_autofree AttendCase *c = attend_case_new ();
  g_autofree float *out = g_new (float, MAX_HEADS * MAX_DIM + 1);
  g_autofree float *one = g_new (float, MAX_DIM);
  g_autofree float *want = g_new (float, MAX_DIM);
  g_autofree float *scores = g_new (float, MAX_HEADS * MAX_POS);

  for (gsize f = 0; f < G_N_ELEMENTS (families); f++)
    {
      int lanes;

      if (!family_select (&families[f]))
        continue;
      /* the generic family sums the scores in double precision */
      lanes = bendi_cpu_kernels ()->vector_floats >= 8 ? bendi_cpu_kernels ()->vector_floats : 0;
      for (gsize n = 0; n < G_N_ELEMENTS (head_counts); n++)
        for (gsize h = 0; h < G_N_ELEMENTS (head_dims); h++)
          for (gsize p = 0; p < G_N_ELEMENTS (positions); p++)
            {
              int n_heads = head_counts[n];
              gint64 hd = head_dims[h], n_pos = positions[p];
              float scale = 6.0f / sqrtf ((float) hd);

              out[n_heads * hd] = 42.0f;
              bendi_vec_attend_heads_half (out, c->q, n_heads, c->keys + OFFSET, c->values + OFFSET, STRIDE, n_pos,
                                           hd, scale, scores);
              g_assert_cmpfloat (out[n_heads * hd], ==, 42.0f);
              for (int k = 0; k < n_heads; k++)
                {
                  ggml_attend_one (want, c->q + k * hd, c->keys + OFFSET, c->values + OFFSET, STRIDE, n_pos, hd,
                                   scale, lanes);
                  for (gint64 i = 0; i < hd; i++)
                    if (memcmp (&out[k * hd + i], &want[i], sizeof (float)) != 0)
                      g_error ("%s, %d heads of %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT " positions: head %d value %"
                               G_GINT64_FORMAT " is %a, llama.cpp's %a", families[f].name, n_heads, hd, n_pos, k, i,
                               out[k * hd + i], want[i]);
                  bendi_vec_attend_heads_half (one, c->q + k * hd, 1, c->keys + OFFSET, c->values + OFFSET, STRIDE,
                                               n_pos, hd, scale, scores);
                  g_assert_true (memcmp (one, out + k * hd, hd * sizeof (float)) == 0);
                  /* half precision: a few parts in ten thousand of the values' range */
                  bendi_vec_attend_heads (one, c->q + k * hd, 1, c->keys + OFFSET, c->values + OFFSET, STRIDE, n_pos,
                                          hd, scale, scores);
                  for (gint64 i = 0; i < hd; i++)
                    g_assert_cmpfloat_with_epsilon (out[k * hd + i], one[i], 3e-3);
                }
            }
    }
  bendi_cpu_features_override (NULL);
}

/* Each family's exponential for the softmax's steps gives the C library's
 * expf () bit for bit: every 101st float from -0 down to -inf, the ends
 * and the underflow edge. */
static void
test_expf_neg (void)
{
  static const guint32 edges[] = { 0x80000000u, 0xff800000u, 0xc2cff1b4u, 0xc2cff1b5u, 0xc2cff1b3u, 0xc2aeac50u,
                                   0xc2b00000u, 0xbf800000u, 0x80000001u, 0xb3800000u };
  const gsize n = (0xff800000u - 0x80000000u) / 101 + G_N_ELEMENTS (edges);
  g_autofree float *x = g_new (float, n);
  g_autofree float *y = g_new (float, n);

  for (gsize i = 0; i < G_N_ELEMENTS (edges); i++)
    x[i] = bendi_float_from_bits (edges[i]);
  for (gsize i = G_N_ELEMENTS (edges); i < n; i++)
    x[i] = bendi_float_from_bits (0x80000000u + (guint32) ((i - G_N_ELEMENTS (edges)) * 101));
  for (gsize f = 0; f < G_N_ELEMENTS (families); f++)
    {
      if (!family_select (&families[f]))
        continue;
      memcpy (y, x, n * sizeof (float));
      bendi_cpu_kernels ()->expf_neg (y, (gint64) n);
      for (gsize i = 0; i < n; i++)
        {
          float want = expf (x[i]);

          if (memcmp (&y[i], &want, sizeof (float)) != 0)
            g_error ("%s: e^%a is %a, expf's %a", families[f].name, x[i], y[i], want);
        }
    }
  bendi_cpu_features_override (NULL);
}

/* llama.cpp takes 64 queries and more in tiles, unless its vectors do not
 * divide the heads. */
static void
test_attention_in_half (void)
{
  gint64 lanes = bendi_cpu_kernels ()->vector_floats;

  g_assert_true (bendi_vec_attention_in_half (1, 64));
  g_assert_true (bendi_vec_attention_in_half (63, 128));
  g_assert_false (bendi_vec_attention_in_half (64, 64));
  g_assert_false (bendi_vec_attention_in_half (512, 128));
  g_assert_true (bendi_vec_attention_in_half (512, lanes + lanes / 2));
}

/* BENDI_CPU_DISABLE's names take a feature away with everything built on it. */
static void
test_features_disable (void)
{
  const BendiCpuFeatures all = { TRUE, TRUE, TRUE, TRUE, TRUE, FALSE, TRUE };
  BendiCpuFeatures f;

  f = all;
  bendi_cpu_features_disable (&f, "avx512");
  g_assert_true (f.avx2 && f.avx_vnni);
  g_assert_false (f.avx512 || f.avx512_vnni || f.avx512_bf16 || f.amx_int8);
  g_assert_cmpstr (bendi_cpu_features_describe (&f), ==, "AVX2 VNNI");

  f = all;
  bendi_cpu_features_disable (&f, "avx_vnni, avx512_vnni");
  g_assert_true (f.avx2 && f.avx512);
  g_assert_false (f.avx_vnni || f.avx512_vnni);
  /* AVX-512 without VNNI runs the AVX2 kernels. */
  g_assert_cmpstr (bendi_cpu_features_describe (&f), ==, "AVX2");

  f = all;
  bendi_cpu_features_disable (&f, "AVX2");
  g_assert_false (f.avx2 || f.avx_vnni || f.avx512 || f.avx512_vnni);
  g_assert_cmpstr (bendi_cpu_features_describe (&f), ==, "generic");

  f = all;
  bendi_cpu_features_disable (&f, "nonsense,,");
  g_assert_true (memcmp (&f, &all, sizeof f) == 0);
  bendi_cpu_features_disable (&f, NULL);
  g_assert_true (memcmp (&f, &all, sizeof f) == 0);
  g_assert_cmpstr (bendi_cpu_features_describe (&f), ==, "AVX-512 VNNI AMX");
  bendi_cpu_features_disable (&f, "amx");
  g_assert_false (f.amx_int8);
  g_assert_cmpstr (bendi_cpu_features_describe (&f), ==, "AVX-512 VNNI");
}

/* The L2 prefetch distance by processor: Skylake-SP and Cascade Lake
 * servers (Intel 6/0x55) farther than the rest, and the one the kernels
 * use is this processor's. */
static void
test_prefetch_distance (void)
{
  g_assert_cmpuint (bendi_cpu_prefetch_l2_ahead_for (TRUE, 6, 0x55), ==, 6144);
  g_assert_cmpuint (bendi_cpu_prefetch_l2_ahead_for (TRUE, 6, 0x8f), ==, 3584);   /* Sapphire Rapids */
  g_assert_cmpuint (bendi_cpu_prefetch_l2_ahead_for (TRUE, 6, 0x6a), ==, 3584);   /* Ice Lake server */
  g_assert_cmpuint (bendi_cpu_prefetch_l2_ahead_for (FALSE, 6, 0x55), ==, 3584);
  g_assert_cmpuint (bendi_cpu_prefetch_l2_ahead_for (FALSE, 25, 0x11), ==, 3584); /* Zen 4 */
#if defined(__x86_64__)
  {
    gboolean intel;
    guint family, model;

    bendi_cpu_features_get ();
    g_assert_true (bendi_cpu_identify (&intel, &family, &model));
    g_test_message ("family %u model 0x%x: %" G_GSIZE_FORMAT " bytes", family, model, bendi_prefetch_l2_ahead);
    g_assert_cmpuint (bendi_prefetch_l2_ahead, ==, bendi_cpu_prefetch_l2_ahead_for (intel, family, model));
  }
#endif
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/cpu-vec/fp16-to-fp32", test_fp16_to_fp32);
  g_test_add_func ("/engine/cpu-vec/fp32-to-fp16", test_fp32_to_fp16);
  g_test_add_func ("/engine/cpu-vec/dot-f16-f32", test_dot);
  g_test_add_func ("/engine/cpu-vec/mad-f16", test_mad);
  g_test_add_func ("/engine/cpu-vec/add", test_add);
  g_test_add_func ("/engine/cpu-vec/prefetch-distance", test_prefetch_distance);
  g_test_add_func ("/engine/cpu-vec/rms-norm", test_rms_norm);
  g_test_add_func ("/engine/cpu-vec/swiglu", test_swiglu);
  g_test_add_func ("/engine/cpu-vec/rope", test_rope);
  g_test_add_func ("/engine/cpu-vec/attend-heads", test_attend_heads);
  g_test_add_func ("/engine/cpu-vec/attend-heads-half", test_attend_heads_half);
  g_test_add_func ("/engine/cpu-vec/expf-neg", test_expf_neg);
  g_test_add_func ("/engine/cpu-vec/attention-in-half", test_attention_in_half);
  g_test_add_func ("/engine/cpu-vec/features-disable", test_features_disable);

  return g_test_run ();
}
