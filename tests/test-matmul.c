/* SPDX-License-Identifier: MIT */
/* bendi_matmul against a double-precision reference, for every weight type,
 * every kernel family this CPU has, both layouts and odd shapes. */
#include <math.h>
#include <string.h>

#include "cpu/cpu-features.h"
#include "cpu/kernels.h"
#include "cpu/matmul.h"
#include "tensor/quant.h"
#include "test-util.h"

/* ------------------------------------------------------------------------ */
/* Kernel families, forced with bendi_cpu_features_override (). */

typedef struct {
  const char      *name;     /* as bendi_cpu_features_describe () says it */
  BendiCpuFeatures features;
} Family;

static const Family families[] = {
  { "generic", { 0 } },
  { "AVX2", { .avx2 = TRUE } },
  { "AVX2 VNNI", { .avx2 = TRUE, .avx_vnni = TRUE } },
  { "AVX-512 VNNI", { .avx2 = TRUE, .avx_vnni = TRUE, .avx512 = TRUE, .avx512_vnni = TRUE } },
  { "AVX-512 VNNI AMX", { .avx2 = TRUE, .avx_vnni = TRUE, .avx512 = TRUE, .avx512_vnni = TRUE, .amx_int8 = TRUE } },
};

/* Selects @family; FALSE (and a message) when this CPU lacks it. */
static gboolean
family_select (const Family *family)
{
  bendi_cpu_features_override (&family->features);
  if (g_strcmp0 (bendi_cpu_features_describe (bendi_cpu_features_get ()), family->name) != 0)
    {
      g_test_message ("kernel family %s: not on this CPU", family->name);
      bendi_cpu_features_override (NULL);
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Test data. */

static float
random_value (GRand *rand)
{
  /* Roughly normal, with the odd large value as real activations have. */
  float v = (float) (g_rand_double (rand) + g_rand_double (rand) + g_rand_double (rand) - 1.5);

  if (g_rand_int_range (rand, 0, 50) == 0)
    v *= 8;
  return v;
}

typedef struct {
  BendiTensorType type;
  gint64          n_cols;
  gint64          n_rows;
  gsize           row_bytes;
  guint8         *data;        /* ggml's row layout */
  double         *dequant;     /* n_rows × n_cols */
} Weights;

static void
weights_init (Weights         *w,
              BendiTensorType  type,
              gint64           n_rows,
              gint64           n_cols,
              GRand           *rand)
{
  g_autofree float *row = g_new (float, n_cols);
  g_autofree float *back = g_new (float, n_cols);

  w->type = type;
  w->n_rows = n_rows;
  w->n_cols = n_cols;
  g_assert_true (bendi_tensor_type_row_bytes (type, n_cols, &w->row_bytes));
  w->data = g_malloc (w->row_bytes * n_rows);
  w->dequant = g_new (double, n_rows * n_cols);
  for (gint64 r = 0; r < n_rows; r++)
    {
      for (gint64 c = 0; c < n_cols; c++)
        row[c] = random_value (rand) * 0.1f;
      bendi_quantize_row (type, row, w->data + r * w->row_bytes, n_cols);
      bendi_dequantize_row (type, w->data + r * w->row_bytes, back, n_cols);
      for (gint64 c = 0; c < n_cols; c++)
        w->dequant[r * n_cols + c] = back[c];
    }
}

static void
weights_clear (Weights *w)
{
  g_clear_pointer (&w->data, g_free);
  g_clear_pointer (&w->dequant, g_free);
}

/* The activations as the kernels see them after rounding, which the
 * reference must use too: llama.cpp's pairing of activation and weight types. */
static void
round_activations (BendiTensorType type,
                   const float    *in,
                   gint64          n_cols,
                   double         *out,
                   float          *s_error)
{
  BendiTensorType act_type;
  gsize bytes;
  g_autofree guint8 *q = NULL;
  g_autofree float *back = g_new (float, n_cols);

  switch (bendi_act_kind_for_type (type))
    {
    case BENDI_ACT_F32:
      for (gint64 c = 0; c < n_cols; c++)
        out[c] = in[c];
      return;
    case BENDI_ACT_F16:
      for (gint64 c = 0; c < n_cols; c++)
        out[c] = bendi_fp16_to_fp32 (bendi_fp32_to_fp16 (in[c]));
      return;
    case BENDI_ACT_BF16:
      for (gint64 c = 0; c < n_cols; c++)
        out[c] = bendi_bf16_to_fp32 (bendi_fp32_to_bf16 (in[c]));
      return;
    case BENDI_ACT_Q8_1:
      act_type = BENDI_TENSOR_TYPE_Q8_1;
      break;
    case BENDI_ACT_Q8_K:
      act_type = BENDI_TENSOR_TYPE_Q8_K;
      break;
    default:
      act_type = BENDI_TENSOR_TYPE_Q8_0;
      break;
    }
  g_assert_true (bendi_tensor_type_row_bytes (act_type, n_cols, &bytes));
  q = g_malloc (bytes);
  bendi_quantize_row (act_type, in, q, n_cols);
  bendi_dequantize_row (act_type, q, back, n_cols);
  for (gint64 c = 0; c < n_cols; c++)
    out[c] = back[c];

  /* Q8_1 keeps s = d·Σq rounded to half precision, and the products use
   * it for the weights' minimum: record s - d·Σq per block. */
  if (act_type == BENDI_TENSOR_TYPE_Q8_1)
    for (gint64 b = 0; b < n_cols / BENDI_QK; b++)
      {
        const BendiBlockQ8_1 *block = (const BendiBlockQ8_1 *) q + b;
        double exact = 0;

        for (int j = 0; j < BENDI_QK; j++)
          exact += back[b * BENDI_QK + j];
        s_error[b] = (float) (bendi_fp16_to_fp32 (block->s) - exact);
      }
}

/* The minimum of block @b of a Q4_1 or Q5_1 row (its second half). */
static float
block_min (const Weights *w,
           gint64         r,
           gint64         b)
{
  const guint8 *block = w->data + r * w->row_bytes + b * (w->type == BENDI_TENSOR_TYPE_Q4_1 ? 20 : 24);
  BendiFp16 m;

  memcpy (&m, block + 2, 2);
  return bendi_fp16_to_fp32 (m);
}

/* ------------------------------------------------------------------------ */
/* One product, checked output by output. */

typedef struct {
  gint64 n_rows;
  gint64 n_tokens;
  int    n_threads;
} Shape;

/* Rows not a multiple of the 16-row groups, 1 token, 2-17 tokens, 64+
 * tokens, 1-3 threads. */
static const Shape shapes[] = {
  { 1, 1, 1 },
  { 16, 1, 2 },
  { 17, 1, 3 },
  { 33, 2, 2 },
  { 48, 3, 3 },
  { 35, 5, 1 },
  { 64, 8, 2 },
  { 20, 9, 3 },
  { 50, 13, 2 },
  { 32, 17, 3 },
  { 80, 64, 2 },
  { 37, 67, 3 },
};

static void
check_product (const Weights *w,
               gboolean       repack,
               const Shape   *shape,
               GRand         *rand,
               const char    *family)
{
  g_autoptr (BendiThreadPool) pool = bendi_thread_pool_new (shape->n_threads);
  g_autoptr (BendiMatmulContext) ctx = bendi_matmul_context_new (pool);
  gint64 n_rows = MIN (shape->n_rows, w->n_rows);
  gint64 n_cols = w->n_cols;
  gint64 n_tokens = shape->n_tokens;
  g_autofree float *in = g_new (float, n_tokens * n_cols);
  g_autofree double *act = g_new (double, n_tokens * n_cols);
  g_autofree float *s_error = g_new0 (float, n_tokens * (n_cols / BENDI_QK + 1));
  g_autofree float *out = g_new (float, n_tokens * n_rows + 1);
  g_autofree guint8 *data = g_memdup2 (w->data, w->row_bytes * n_rows);
  g_autofree guint8 *elsewhere = NULL;
  BendiMatrix matrix;

  bendi_matrix_init (&matrix, w->type, n_cols, n_rows, data);
  g_assert_cmpuint (matrix.row_bytes, ==, w->row_bytes);
  if (repack)
    {
      /* Half the shapes are rewritten in place, half copied into other
       * memory (as the model loader does), leaving the source as it was. */
      gboolean in_place = shape->n_threads != 3;

      if (!in_place)
        elsewhere = g_malloc (w->row_bytes * n_rows);
      bendi_matrix_repack (&matrix, in_place ? (void *) data : (void *) elsewhere);
      g_assert_true (matrix.data == (in_place ? (void *) data : (void *) elsewhere));
      g_assert_cmpint (matrix.layout, ==, n_rows >= 16 ? BENDI_MATRIX_LAYOUT_INTERLEAVED : BENDI_MATRIX_LAYOUT_ROWS);
      if (!in_place)
        g_assert_cmpmem (data, w->row_bytes * n_rows, w->data, w->row_bytes * n_rows);
    }

  for (gint64 i = 0; i < n_tokens * n_cols; i++)
    in[i] = random_value (rand);
  for (gint64 t = 0; t < n_tokens; t++)
    round_activations (w->type, in + t * n_cols, n_cols, act + t * n_cols,
                       s_error + t * (n_cols / BENDI_QK + 1));
  out[n_tokens * n_rows] = 12345.0f;   /* must survive */

  bendi_matmul (ctx, &matrix, in, n_tokens, out);

  g_assert_cmpfloat (out[n_tokens * n_rows], ==, 12345.0f);
  for (gint64 t = 0; t < n_tokens; t++)
    for (gint64 r = 0; r < n_rows; r++)
      {
        const double *wr = w->dequant + r * n_cols;
        const double *x = act + t * n_cols;
        double expected = 0, magnitude = 0, tolerance;

        for (gint64 c = 0; c < n_cols; c++)
          {
            expected += wr[c] * x[c];
            magnitude += fabs (wr[c] * x[c]);
          }
        if (w->type == BENDI_TENSOR_TYPE_Q4_1 || w->type == BENDI_TENSOR_TYPE_Q5_1)
          for (gint64 b = 0; b < n_cols / BENDI_QK; b++)
            {
              double term = block_min (w, r, b) * s_error[t * (n_cols / BENDI_QK + 1) + b];

              expected += term;
              magnitude += fabs (term);
            }

        /* The kernels sum exact integer products per block and then
         * accumulate a few hundred float terms; float rounding stays far
         * below 1e-4 of the sum of magnitudes, while a wrong quant, scale
         * or block (a layout bug) is off by a whole term, more than 1e-2
         * of it for these sizes. */
        tolerance = 1e-4 * magnitude + 1e-6;
        if (fabs (out[t * n_rows + r] - expected) > tolerance)
          g_error ("%s %s %s: %" G_GINT64_FORMAT " rows x %" G_GINT64_FORMAT " cols x %" G_GINT64_FORMAT
                   " tokens, %d threads: out[%" G_GINT64_FORMAT "][%" G_GINT64_FORMAT "] = %.7g, expected %.7g (+/- %.3g)",
                   family, bendi_tensor_type_name (w->type), repack ? "interleaved" : "rows",
                   n_rows, n_cols, n_tokens, shape->n_threads, t, r,
                   out[t * n_rows + r], expected, tolerance);
      }
}

static void
test_type (gconstpointer data)
{
  BendiTensorType type = GPOINTER_TO_INT (data);
  const BendiTensorTypeInfo *info = bendi_tensor_type_info (type);
  g_autoptr (GRand) rand = g_rand_new_with_seed (1234 + type);
  /* Several blocks, an odd number of them where the block is small; F32
   * and friends get a length that is no multiple of any vector. */
  gint64 n_cols = info->block_size == 1 ? 203 : info->block_size == BENDI_QK ? 7 * BENDI_QK : 2 * BENDI_QK_K;
  gint64 max_rows = 0;
  Weights w;

  for (gsize i = 0; i < G_N_ELEMENTS (shapes); i++)
    max_rows = MAX (max_rows, shapes[i].n_rows);
  weights_init (&w, type, max_rows, n_cols, rand);

  for (gsize f = 0; f < G_N_ELEMENTS (families); f++)
    {
      if (!family_select (&families[f]))
        continue;
      for (gsize i = 0; i < G_N_ELEMENTS (shapes); i++)
        {
          check_product (&w, FALSE, &shapes[i], rand, families[f].name);
          if (bendi_interleave_supported (type))
            check_product (&w, TRUE, &shapes[i], rand, families[f].name);
        }
    }
  bendi_cpu_features_override (NULL);
  weights_clear (&w);
}

/* bendi_matmul_n () gives each matrix exactly what bendi_matmul () gives it
 * alone: fused where the matrices round their input alike (three Q4_0;
 * Q4_K and Q5_K, both Q8_K blocks without offset), one by one where they
 * do not (Q4_0 with Q8_0 blocks, Q4_1 with Q8_1 ones, Q4_K with Q8_K).
 * Row counts that are not multiples of a group or of a thread's chunk
 * check the hand-over between matrices. */
static void
test_fused (void)
{
  static const BendiTensorType sets[][3] = {
    { BENDI_TENSOR_TYPE_Q4_0, BENDI_TENSOR_TYPE_Q4_0, BENDI_TENSOR_TYPE_Q4_0 },
    { BENDI_TENSOR_TYPE_Q4_K, BENDI_TENSOR_TYPE_Q5_K, BENDI_TENSOR_TYPE_Q4_K },
    { BENDI_TENSOR_TYPE_Q4_0, BENDI_TENSOR_TYPE_Q4_1, BENDI_TENSOR_TYPE_Q4_K },
  };
  static const gint64 n_rows[3] = { 96, 37, 16 };
  static const gint64 token_counts[] = { 1, 3, 20 };
  const gint64 n_cols = 512;
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  g_autoptr (BendiThreadPool) pool = bendi_thread_pool_new (3);
  g_autoptr (BendiMatmulContext) ctx = bendi_matmul_context_new (pool);

  for (gsize s = 0; s < G_N_ELEMENTS (sets); s++)
    for (gsize k = 0; k < G_N_ELEMENTS (token_counts); k++)
      {
        gint64 n_tokens = token_counts[k];
        g_autofree float *in = g_new (float, n_tokens * n_cols);
        Weights w[3];
        BendiMatrix m[3];
        float *fused[3], *alone[3];

        for (gint64 i = 0; i < n_tokens * n_cols; i++)
          in[i] = random_value (rand);
        for (int i = 0; i < 3; i++)
          {
            weights_init (&w[i], sets[s][i], n_rows[i], n_cols, rand);
            bendi_matrix_init (&m[i], w[i].type, n_cols, n_rows[i], w[i].data);
            if (bendi_matrix_can_repack (&m[i]))
              bendi_matrix_repack (&m[i], w[i].data);
            fused[i] = g_new0 (float, n_tokens * n_rows[i]);
            alone[i] = g_new0 (float, n_tokens * n_rows[i]);
            bendi_matmul (ctx, &m[i], in, n_tokens, alone[i]);
          }
        bendi_matmul_n (ctx, 3, (const BendiMatrix *[]) { &m[0], &m[1], &m[2] }, in, n_tokens, fused);
        for (int i = 0; i < 3; i++)
          {
            g_assert_cmpmem (fused[i], n_tokens * n_rows[i] * sizeof (float),
                             alone[i], n_tokens * n_rows[i] * sizeof (float));
            g_free (fused[i]);
            g_free (alone[i]);
            weights_clear (&w[i]);
          }
      }
}

/* Generation's shares: each thread streams its own groups and takes half
 * of another's when done (threads beyond the cores make that happen
 * often). Every row must be computed exactly once, whoever takes it: the
 * outputs equal one thread's bit for bit, over fused matrices and a last
 * group of a few rows, and nothing past the rows is written. */
static void
test_shares (void)
{
  static const gint64 n_rows[3] = { 16 * 97 + 5, 16 * 8, 16 * 200 };
  const gint64 n_cols = 64;
  g_autoptr (GRand) rand = g_rand_new_with_seed (11);
  g_autoptr (BendiThreadPool) one = bendi_thread_pool_new (1);
  g_autoptr (BendiMatmulContext) alone = bendi_matmul_context_new (one);
  float in[2 * 64];
  Weights w[3];
  BendiMatrix m[3];
  float *want[3], *got[3];

  for (gsize i = 0; i < G_N_ELEMENTS (in); i++)
    in[i] = random_value (rand);
  for (int i = 0; i < 3; i++)
    {
      weights_init (&w[i], BENDI_TENSOR_TYPE_Q4_0, n_rows[i], n_cols, rand);
      bendi_matrix_init (&m[i], w[i].type, n_cols, n_rows[i], w[i].data);
      g_assert_true (bendi_matrix_can_repack (&m[i]));
      bendi_matrix_repack (&m[i], w[i].data);
      want[i] = g_new (float, 2 * n_rows[i]);
      got[i] = g_new (float, 2 * n_rows[i] + 1);
    }

  for (gint64 n_tokens = 1; n_tokens <= 2; n_tokens++)
    {
      bendi_matmul_n (alone, 3, (const BendiMatrix *[]) { &m[0], &m[1], &m[2] }, in, n_tokens, want);
      for (int n_threads = 2; n_threads <= 6; n_threads++)
        {
          g_autoptr (BendiThreadPool) pool = bendi_thread_pool_new (n_threads);
          g_autoptr (BendiMatmulContext) ctx = bendi_matmul_context_new (pool);

          for (int pass = 0; pass < 20; pass++)
            {
              for (int i = 0; i < 3; i++)
                for (gint64 k = 0; k <= n_tokens * n_rows[i]; k++)
                  got[i][k] = NAN;
              bendi_matmul_n (ctx, 3, (const BendiMatrix *[]) { &m[0], &m[1], &m[2] }, in, n_tokens, got);
              for (int i = 0; i < 3; i++)
                {
                  g_assert_cmpmem (got[i], n_tokens * n_rows[i] * sizeof (float),
                                   want[i], n_tokens * n_rows[i] * sizeof (float));
                  g_assert_true (isnan (got[i][n_tokens * n_rows[i]]));
                }
            }
        }
    }
  for (int i = 0; i < 3; i++)
    {
      g_free (want[i]);
      g_free (got[i]);
      weights_clear (&w[i]);
    }
}

/* The input a test's make_input writes: in[t] · (t + 1), so that each
 * row depends on its token; counts the rows made. */
typedef struct {
  const float *in;
  gint64       n_cols;
  gint         rows_made;  /* atomic */
} MadeInput;

static void
make_scaled_input (gpointer data,
                   gint64   t0,
                   gint64   t1,
                   float   *dest)
{
  MadeInput *m = data;

  for (gint64 t = t0; t < t1; t++)
    for (gint64 c = 0; c < m->n_cols; c++)
      dest[(t - t0) * m->n_cols + c] = m->in[t * m->n_cols + c] * (float) (t + 1);
  g_atomic_int_add (&m->rows_made, (gint) (t1 - t0));
}

/* bendi_matmul_with (): an input made on the product's threads gives what
 * the input made beforehand gives, bit for bit, for one token (every
 * thread makes it all), a few, and a batch (each thread a share), on
 * quantised and float weights, in the context's memory or in place over
 * its source; a residual gets exactly the output added, and the output is
 * still written. */
static void
test_steps (void)
{
  const BendiTensorType types[] = { BENDI_TENSOR_TYPE_Q4_0, BENDI_TENSOR_TYPE_Q4_K, BENDI_TENSOR_TYPE_F32 };
  const gint64 n_rows = 16 * 5 + 3, n_cols = 256, max_tokens = 37;
  const gint64 token_counts[] = { 1, 3, max_tokens };
  g_autoptr (GRand) rand = g_rand_new_with_seed (12);
  g_autofree float *in = g_new (float, max_tokens * n_cols);
  g_autofree float *made = g_new (float, max_tokens * n_cols);
  g_autofree float *want = g_new (float, max_tokens * n_rows);
  g_autofree float *got = g_new (float, max_tokens * n_rows + 1);
  g_autofree float *residual = g_new (float, max_tokens * n_rows + 1);
  g_autofree float *residual0 = g_new (float, max_tokens * n_rows);

  for (gint64 i = 0; i < max_tokens * n_cols; i++)
    in[i] = random_value (rand);
  for (gint64 i = 0; i < max_tokens * n_rows; i++)
    residual0[i] = random_value (rand);
  for (gsize ty = 0; ty < G_N_ELEMENTS (types); ty++)
    {
      Weights w;
      BendiMatrix m;

      weights_init (&w, types[ty], n_rows, n_cols, rand);
      bendi_matrix_init (&m, w.type, n_cols, n_rows, w.data);
      if (bendi_matrix_can_repack (&m))
        bendi_matrix_repack (&m, w.data);
      for (int n_threads = 1; n_threads <= 3; n_threads++)
        {
          g_autoptr (BendiThreadPool) pool = bendi_thread_pool_new (n_threads);
          g_autoptr (BendiMatmulContext) ctx = bendi_matmul_context_new (pool);

          for (gsize k = 0; k < G_N_ELEMENTS (token_counts); k++)
            {
              gint64 n_tokens = token_counts[k];
              MadeInput data = { in, n_cols, 0 };
              BendiMatmulSteps steps = { .make_input = make_scaled_input, .input_data = &data };

              make_scaled_input (&data, 0, n_tokens, made);
              bendi_matmul (ctx, &m, made, n_tokens, want);

              data.rows_made = 0;
              got[n_tokens * n_rows] = NAN;
              bendi_matmul_with (ctx, 1, (const BendiMatrix *[]) { &m }, NULL, n_tokens, &got, &steps);
              g_assert_cmpmem (got, n_tokens * n_rows * sizeof (float), want, n_tokens * n_rows * sizeof (float));
              g_assert_true (isnan (got[n_tokens * n_rows]));
              /* every row at least once; at most once per thread */
              g_assert_cmpint (data.rows_made, >=, n_tokens);
              g_assert_cmpint (data.rows_made, <=, n_tokens * n_threads);

              memcpy (residual, residual0, n_tokens * n_rows * sizeof (float));
              residual[n_tokens * n_rows] = NAN;
              steps.residual = residual;
              memset (got, 0, n_tokens * n_rows * sizeof (float));
              bendi_matmul_with (ctx, 1, (const BendiMatrix *[]) { &m }, NULL, n_tokens, &got, &steps);
              g_assert_cmpmem (got, n_tokens * n_rows * sizeof (float), want, n_tokens * n_rows * sizeof (float));
              for (gint64 i = 0; i < n_tokens * n_rows; i++)
                g_assert_cmpfloat (residual[i], ==, residual0[i] + want[i]);
              g_assert_true (isnan (residual[n_tokens * n_rows]));

              /* a batch's input made in place, over what it is made from */
              memcpy (made, in, n_tokens * n_cols * sizeof (float));
              data.in = made;
              steps = (BendiMatmulSteps) { .make_input = make_scaled_input, .input_data = &data,
                                           .batch_input = made };
              bendi_matmul_with (ctx, 1, (const BendiMatrix *[]) { &m }, NULL, n_tokens, &got, &steps);
              g_assert_cmpmem (got, n_tokens * n_rows * sizeof (float), want, n_tokens * n_rows * sizeof (float));
            }
        }
      weights_clear (&w);
    }
}

/* A longer row, as real models have: more blocks to accumulate. */
static void
test_long_rows (void)
{
  const BendiTensorType types[] = { BENDI_TENSOR_TYPE_Q4_0, BENDI_TENSOR_TYPE_Q8_0, BENDI_TENSOR_TYPE_F16 };
  const Shape shape = { 48, 11, 2 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (99);

  for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
    {
      Weights w;

      weights_init (&w, types[i], shape.n_rows, 2816, rand);
      for (gsize f = 0; f < G_N_ELEMENTS (families); f++)
        {
          if (!family_select (&families[f]))
            continue;
          check_product (&w, FALSE, &shape, rand, families[f].name);
          if (bendi_interleave_supported (types[i]))
            check_product (&w, TRUE, &shape, rand, families[f].name);
        }
      bendi_cpu_features_override (NULL);
      weights_clear (&w);
    }
}

/* ------------------------------------------------------------------------ */
/* Rows, repacking and the activation quantisers. */

static void
test_get_row (void)
{
  const BendiTensorType types[] = {
    BENDI_TENSOR_TYPE_F32, BENDI_TENSOR_TYPE_F16, BENDI_TENSOR_TYPE_BF16,
    BENDI_TENSOR_TYPE_Q4_0, BENDI_TENSOR_TYPE_Q8_0, BENDI_TENSOR_TYPE_IQ4_NL,
    BENDI_TENSOR_TYPE_Q4_K, BENDI_TENSOR_TYPE_Q6_K,
  };
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);

  for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
    {
      const gint64 n_rows = 37, n_cols = 512;
      g_autofree float *row = g_new (float, n_cols);
      BendiMatrix matrix;
      Weights w;

      weights_init (&w, types[i], n_rows, n_cols, rand);
      bendi_matrix_init (&matrix, types[i], n_cols, n_rows, w.data);
      bendi_matrix_repack (&matrix, w.data);
      g_assert_cmpint (matrix.layout, ==, bendi_interleave_supported (types[i]) ?
                       BENDI_MATRIX_LAYOUT_INTERLEAVED : BENDI_MATRIX_LAYOUT_ROWS);
      for (gint64 r = 0; r < n_rows; r++)
        {
          bendi_matrix_get_row (&matrix, r, row);
          for (gint64 c = 0; c < n_cols; c++)
            g_assert_cmpfloat (row[c], ==, w.dequant[r * n_cols + c]);
        }
      weights_clear (&w);
    }
}

/* Interleaving keeps every byte: a group goes back to the same rows. */
static void
test_interleave_round_trip (void)
{
  const BendiTensorType types[] = { BENDI_TENSOR_TYPE_Q4_0, BENDI_TENSOR_TYPE_Q8_0, BENDI_TENSOR_TYPE_IQ4_NL,
                                     BENDI_TENSOR_TYPE_Q4_1, BENDI_TENSOR_TYPE_Q5_0, BENDI_TENSOR_TYPE_Q5_1,
                                     BENDI_TENSOR_TYPE_Q2_K, BENDI_TENSOR_TYPE_Q3_K, BENDI_TENSOR_TYPE_Q4_K,
                                     BENDI_TENSOR_TYPE_Q5_K, BENDI_TENSOR_TYPE_Q6_K, BENDI_TENSOR_TYPE_IQ4_XS };
  g_autoptr (GRand) rand = g_rand_new_with_seed (8);

  for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
    {
      const gint64 n_cols = 3 * BENDI_QK_K;
      gsize row_bytes;
      g_autofree guint8 *rows = NULL;
      g_autofree guint8 *group = NULL;
      g_autofree guint8 *row = NULL;

      g_assert_true (bendi_tensor_type_row_bytes (types[i], n_cols, &row_bytes));
      rows = g_malloc (row_bytes * BENDI_INTERLEAVE);
      group = g_malloc (row_bytes * BENDI_INTERLEAVE);
      row = g_malloc (row_bytes);
      for (gsize b = 0; b < row_bytes * BENDI_INTERLEAVE; b++)
        rows[b] = (guint8) g_rand_int (rand);
      bendi_interleave_group (types[i], n_cols, rows, group);
      g_assert_true (memcmp (rows, group, row_bytes * BENDI_INTERLEAVE) != 0);
      for (int r = 0; r < BENDI_INTERLEAVE; r++)
        {
          bendi_deinterleave_row (types[i], n_cols, group, r, row);
          g_assert_true (memcmp (row, rows + r * row_bytes, row_bytes) == 0);
        }
    }
}

static void
test_can_repack (void)
{
  BendiMatrix big, small, other;
  static guint8 data[16 * 64 * 2];

  bendi_matrix_init (&big, BENDI_TENSOR_TYPE_Q4_0, 64, 16, data);
  bendi_matrix_init (&small, BENDI_TENSOR_TYPE_Q4_0, 64, 15, data);
  bendi_matrix_init (&other, BENDI_TENSOR_TYPE_F16, 64, 16, data);
  g_assert_false (bendi_matrix_can_repack (&small));
  g_assert_false (bendi_matrix_can_repack (&other));

  g_assert_true (family_select (&families[0]));
  g_assert_false (bendi_matrix_can_repack (&big));
  for (gsize f = 1; f < G_N_ELEMENTS (families); f++)
    if (family_select (&families[f]))
      g_assert_true (bendi_matrix_can_repack (&big));
  bendi_cpu_features_override (NULL);

  /* Repacking twice leaves the layout alone the second time. */
  bendi_matrix_repack (&big, data);
  g_assert_cmpint (big.layout, ==, BENDI_MATRIX_LAYOUT_INTERLEAVED);
  g_assert_false (bendi_matrix_can_repack (&big));
}

/* Every family's activation quantiser writes what the reference quantiser
 * writes, bit for bit: this is what keeps perplexities at llama.cpp's. */
static void
check_quantizer (BendiTensorType  weight_type,
                 const float     *in,
                 gint64           n_cols,
                 const char      *family)
{
  const BendiCpuKernels *kernels = bendi_cpu_kernels ();
  BendiActKind kind = bendi_act_kind_for_type (weight_type);
  gboolean k = kind == BENDI_ACT_Q8_K;
  gint64 block_size = k ? BENDI_QK_K : BENDI_QK;
  gint64 n_blocks = n_cols / block_size;
  BendiTensorType ref_type = k ? BENDI_TENSOR_TYPE_Q8_K :
                             kind == BENDI_ACT_Q8_1 ? BENDI_TENSOR_TYPE_Q8_1 : BENDI_TENSOR_TYPE_Q8_0;
  gsize ref_bytes;
  g_autofree guint8 *ref = NULL;
  g_autofree gint8 *values = g_new0 (gint8, n_cols);
  g_autofree float *d = g_new0 (float, n_blocks);
  g_autofree float *s = g_new0 (float, n_blocks);
  g_autofree gint32 *sums = g_new0 (gint32, n_blocks * 16);
  g_autofree gint16 *bsums = g_new0 (gint16, n_blocks * 16);
  BendiActs acts = {
    .kind = kind, .n_cols = n_cols, .n_tokens = 1, .n_blocks = n_blocks, .stride = n_cols,
    .values = values, .d = d, .sums = sums, .s = s, .bsums = bsums,
    .bias = bendi_act_bias_for_type (weight_type),
  };
  BendiActsOut out = { (guint8 *) values, d, sums, s, bsums };

  g_assert_true (bendi_tensor_type_row_bytes (ref_type, n_cols, &ref_bytes));
  ref = g_malloc (ref_bytes);
  bendi_quantize_row (ref_type, in, ref, n_cols);
  kernels->quantize[kind] (&acts, &out, in, 0, 1);

  for (gint64 b = 0; b < n_blocks; b++)
    {
      const gint8 *ref_qs;
      float ref_d;
      int sum = 0;

      if (k)
        {
          const BendiBlockQ8_K *block = (const BendiBlockQ8_K *) ref + b;

          ref_qs = block->qs;
          ref_d = block->d;
          for (int j = 0; j < 16; j++)
            {
              g_assert_cmpint (bsums[b * 16 + j], ==, block->bsums[j]);
              g_assert_cmpint (sums[b * 16 + j], ==, -acts.bias * block->bsums[j]);
            }
        }
      else if (ref_type == BENDI_TENSOR_TYPE_Q8_1)
        {
          const BendiBlockQ8_1 *block = (const BendiBlockQ8_1 *) ref + b;

          ref_qs = block->qs;
          ref_d = bendi_fp16_to_fp32 (block->d);
          g_assert_cmpfloat (s[b], ==, bendi_fp16_to_fp32 (block->s));
        }
      else
        {
          const BendiBlockQ8_0 *block = (const BendiBlockQ8_0 *) ref + b;

          ref_qs = block->qs;
          ref_d = bendi_fp16_to_fp32 (block->d);
        }
      if (memcmp (values + b * block_size, ref_qs, block_size) != 0 || d[b] != ref_d)
        g_error ("%s: %s activations, block %" G_GINT64_FORMAT " differ from the reference",
                 family, bendi_tensor_type_name (ref_type), b);
      for (gint64 j = 0; j < block_size; j++)
        sum += ref_qs[j];
      if (kind == BENDI_ACT_Q8_0)
        g_assert_cmpint (sums[b], ==, -acts.bias * sum);
      else if (kind == BENDI_ACT_Q8_1)
        g_assert_cmpint (sums[b], ==, sum);
    }
}

static void
test_quantizers (void)
{
  const BendiTensorType weight_types[] = { BENDI_TENSOR_TYPE_Q4_0, BENDI_TENSOR_TYPE_Q8_0,
                                           BENDI_TENSOR_TYPE_Q4_1, BENDI_TENSOR_TYPE_Q4_K,
                                           BENDI_TENSOR_TYPE_Q6_K };
  const gint64 n_cols = 4 * BENDI_QK_K;
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  g_autofree float *in = g_new (float, n_cols);

  /* Random values; then blocks of zeros, of exact halves (ties for the
   * rounding), a constant, one outlier, and values straddling the ±127 end. */
  for (gint64 i = 0; i < n_cols; i++)
    in[i] = random_value (rand);
  for (gint64 i = 0; i < BENDI_QK; i++)
    {
      in[BENDI_QK + i] = 0;
      in[2 * BENDI_QK + i] = (float) (i - 16) * 0.5f;
      in[3 * BENDI_QK + i] = -3.25f;
      in[4 * BENDI_QK + i] = i == 7 ? 1000.0f : 0.001f * (float) i;
    }
  for (gint64 i = 0; i < BENDI_QK_K; i++)
    in[3 * BENDI_QK_K + i] = (float) (i % 255) - 127.0f;

  for (gsize f = 0; f < G_N_ELEMENTS (families); f++)
    {
      if (!family_select (&families[f]))
        continue;
      for (gsize i = 0; i < G_N_ELEMENTS (weight_types); i++)
        check_quantizer (weight_types[i], in, n_cols, families[f].name);
      /* Blocks of 32 that do not fill the kernels' groups of 16 (nor
       * Q8_K's 256): the last ones take another path in some families. */
      check_quantizer (BENDI_TENSOR_TYPE_Q4_0, in, n_cols - 13 * BENDI_QK, families[f].name);
      check_quantizer (BENDI_TENSOR_TYPE_Q4_1, in, 3 * BENDI_QK, families[f].name);
    }
  bendi_cpu_features_override (NULL);
}

static void
test_empty (void)
{
  g_autoptr (BendiThreadPool) pool = bendi_thread_pool_new (2);
  g_autoptr (BendiMatmulContext) ctx = bendi_matmul_context_new (pool);
  float in[64] = { 0 }, out[4] = { 1, 2, 3, 4 };
  guint8 data[18 * 2] = { 0 };
  BendiMatrix matrix;

  /* No tokens: nothing is written. */
  bendi_matrix_init (&matrix, BENDI_TENSOR_TYPE_Q4_0, 64, 1, data);
  bendi_matmul (ctx, &matrix, in, 0, out);
  g_assert_cmpfloat (out[0], ==, 1);
}

/* The AVX-512 family's F16 products give ggml's sums bit for bit (its
 * vec_dot_f16, four accumulators of 16 lanes, which llama.cpp's CPU
 * backend uses for F16 weights on a token and on a batch alike): a token,
 * a few, whole prompt tiles and their remainders, rows a multiple of 64
 * wide and not. */
static void
test_f16_products_ggml_order (void)
{
  static const gint64 widths[] = { 64, 172, 2048, 300 };
  static const gint64 token_counts[] = { 1, 2, 3, 6, 7, 13 };
  const Family *avx512 = &families[3];
  g_autoptr (BendiThreadPool) pool = bendi_thread_pool_new (2);
  g_autoptr (BendiMatmulContext) ctx = bendi_matmul_context_new (pool);
  g_autoptr (GRand) rand = g_rand_new_with_seed (12);
  const gint64 n_rows = 10;

  if (!family_select (avx512))
    return;
  for (gsize k = 0; k < G_N_ELEMENTS (widths); k++)
    for (gsize n = 0; n < G_N_ELEMENTS (token_counts); n++)
      {
        gint64 cols = widths[k], n_tokens = token_counts[n];
        g_autofree BendiFp16 *weights = g_new (BendiFp16, n_rows * cols);
        g_autofree float *in = g_new (float, n_tokens * cols);
        g_autofree float *in_half = g_new (float, n_tokens * cols);
        g_autofree float *out = g_new (float, n_tokens * n_rows);
        BendiMatrix w;

        for (gint64 i = 0; i < n_rows * cols; i++)
          weights[i] = bendi_fp32_to_fp16 ((float) g_rand_double_range (rand, -1, 1));
        for (gint64 i = 0; i < n_tokens * cols; i++)
          {
            in[i] = (float) g_rand_double_range (rand, -3, 3);
            in_half[i] = bendi_fp16_round (in[i]);
          }
        bendi_matrix_init (&w, BENDI_TENSOR_TYPE_F16, cols, n_rows, weights);
        bendi_matmul (ctx, &w, in, n_tokens, out);
        for (gint64 t = 0; t < n_tokens; t++)
          for (gint64 r = 0; r < n_rows; r++)
            {
              float want = bendi_test_ggml_dot_f16 (weights + r * cols, in_half + t * cols, cols, 16);

              if (memcmp (&out[t * n_rows + r], &want, sizeof want) != 0)
                g_error ("%" G_GINT64_FORMAT " columns, %" G_GINT64_FORMAT " tokens: row %" G_GINT64_FORMAT
                         " token %" G_GINT64_FORMAT " is %a, ggml's %a", cols, n_tokens, r, t, out[t * n_rows + r],
                         want);
            }
      }
  bendi_cpu_features_override (NULL);
}

int
main (int   argc,
      char *argv[])
{
  const BendiTensorType types[] = {
    BENDI_TENSOR_TYPE_F32, BENDI_TENSOR_TYPE_F16, BENDI_TENSOR_TYPE_BF16,
    BENDI_TENSOR_TYPE_Q4_0, BENDI_TENSOR_TYPE_Q4_1, BENDI_TENSOR_TYPE_Q5_0,
    BENDI_TENSOR_TYPE_Q5_1, BENDI_TENSOR_TYPE_Q8_0, BENDI_TENSOR_TYPE_Q2_K,
    BENDI_TENSOR_TYPE_Q3_K, BENDI_TENSOR_TYPE_Q4_K, BENDI_TENSOR_TYPE_Q5_K,
    BENDI_TENSOR_TYPE_Q6_K, BENDI_TENSOR_TYPE_IQ4_NL, BENDI_TENSOR_TYPE_IQ4_XS,
  };

  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autofree char *path = g_strdup_printf ("/engine/matmul/type/%s", bendi_tensor_type_name (types[i]));

      g_test_add_data_func (path, GINT_TO_POINTER (types[i]), test_type);
    }
  g_test_add_func ("/engine/matmul/long-rows", test_long_rows);
  g_test_add_func ("/engine/matmul/fused", test_fused);
  g_test_add_func ("/engine/matmul/shares", test_shares);
  g_test_add_func ("/engine/matmul/steps", test_steps);
  g_test_add_func ("/engine/matmul/get-row", test_get_row);
  g_test_add_func ("/engine/matmul/interleave-round-trip", test_interleave_round_trip);
  g_test_add_func ("/engine/matmul/can-repack", test_can_repack);
  g_test_add_func ("/engine/matmul/quantizers", test_quantizers);
  g_test_add_func ("/engine/matmul/empty", test_empty);
  g_test_add_func ("/engine/matmul/f16-products-ggml-order", test_f16_products_ggml_order);

  return g_test_run ();
}
