/* SPDX-License-Identifier: MIT */
/* Every Vulkan op against a CPU reference, for every weight type, on odd shapes and tensors split across bindings. */
#include <math.h>
#include <string.h>

#include "engine-error.h"
#include "model/ops.h"
#include "tensor/fp16.h"
#include "tensor/quant.h"
#include "test-util.h"
#include "test-vulkan-util.h"
#include "vulkan/vk-ops.h"
#include "vulkan/vk-pipeline.h"

/* The device the running case uses; NULL when there is none. */
static BendiVkDevice *device;
static char *device_skip_reason;
/* The parameters of the running case's device, which the cases that open
 * devices of their own start from. */
static BendiVkDeviceParams variant_params;

static const BendiTensorType weight_types[] = {
  BENDI_TENSOR_TYPE_F32, BENDI_TENSOR_TYPE_F16, BENDI_TENSOR_TYPE_BF16,
  BENDI_TENSOR_TYPE_Q4_0, BENDI_TENSOR_TYPE_Q4_1, BENDI_TENSOR_TYPE_Q5_0,
  BENDI_TENSOR_TYPE_Q5_1, BENDI_TENSOR_TYPE_Q8_0, BENDI_TENSOR_TYPE_Q2_K,
  BENDI_TENSOR_TYPE_Q3_K, BENDI_TENSOR_TYPE_Q4_K, BENDI_TENSOR_TYPE_Q5_K,
  BENDI_TENSOR_TYPE_Q6_K, BENDI_TENSOR_TYPE_IQ4_NL, BENDI_TENSOR_TYPE_IQ4_XS,
};

static gboolean
have_device (void)
{
  if (device == NULL)
    g_test_skip (device_skip_reason != NULL ? device_skip_reason : "no Vulkan device");
  return device != NULL;
}

/* ------------------------------------------------------------------------ */
/* Weights and the matrix references */

/* A weight matrix: random values quantised to @type, and its rows
 * dequantised again, which is what the GPU must compute with. */
typedef struct {
  BendiTensorType type;
  gint64          n_cols;
  gint64          n_rows;
  gsize           row_bytes;
  guint8         *data;
  float          *dequantised;
} Weights;

static void
weights_init (Weights         *w,
              GRand           *rand,
              BendiTensorType  type,
              gint64           n_cols,
              gint64           n_rows)
{
  g_autofree float *values = bendi_test_random_floats (rand, (gsize) (n_cols * n_rows), 1.0f);

  w->type = type;
  w->n_cols = n_cols;
  w->n_rows = n_rows;
  g_assert_true (bendi_tensor_type_row_bytes (type, n_cols, &w->row_bytes));
  w->data = g_malloc0 (w->row_bytes * (gsize) n_rows);
  w->dequantised = g_new (float, n_cols * n_rows);
  for (gint64 r = 0; r < n_rows; r++)
    {
      g_assert_cmpuint (bendi_quantize_row (type, values + r * n_cols, w->data + (gsize) r * w->row_bytes, n_cols),
                        ==, w->row_bytes);
      bendi_dequantize_row (type, w->data + (gsize) r * w->row_bytes, w->dequantised + r * n_cols, n_cols);
    }
}

static void
weights_clear (Weights *w)
{
  g_free (w->data);
  g_free (w->dequantised);
}

static BendiVkTensor *
weights_upload (const Weights *w,
                BendiVkDevice *on)
{
  g_autoptr (GError) error = NULL;
  BendiVkTensor *tensor = bendi_vk_tensor_new (on, w->type, w->n_cols, w->n_rows, &error);

  g_assert_no_error (error);
  bendi_vk_tensor_upload (tensor, w->data, NULL, NULL, &error);
  g_assert_no_error (error);
  return tensor;
}

/* |got − want| within a bound scaled by the sum of the products' magnitudes
 * (float accumulation in any order stays well inside it), plus @slack. */
static void
assert_dot_close (float        got,
                  double       want,
                  double       magnitude,
                  double       slack,
                  const char  *what,
                  gint64       row,
                  gint64       token)
{
  double tolerance = 2e-5 * magnitude + 1e-6 + slack;

  if (!(fabs (got - want) <= tolerance))
    g_error ("%s: row %" G_GINT64_FORMAT " token %" G_GINT64_FORMAT ": got %.8g, want %.8g (±%.3g)",
             what, row, token, got, want, tolerance);
}

/* @n values of x as a product reads them where bendi_vk_matmul_quantizes_x ()
 * says so: each block of 32 quantised to 8 bits, scaled by max |x| / 127
 * and rounded to even, into @xq (as the values they stand for). @tie gets
 * the scale of each value so near a tie (within 10^-4 of a half) that the
 * device's reciprocal of the scale might round it the other way, else 0. */
static void
quantize_like_device (const float *x,
                      gint64       n,
                      double      *xq,
                      double      *tie)
{
  for (gint64 b = 0; b < n; b += 32)
    {
      float amax = 0.0f, scale, inverse;

      for (gint64 i = b; i < b + 32; i++)
        amax = fmaxf (amax, fabsf (x[i]));
      scale = amax / 127.0f;
      inverse = scale > 0.0f ? 1.0f / scale : 0.0f;
      for (gint64 i = b; i < b + 32; i++)
        {
          float v = x[i] * inverse;

          xq[i] = rintf (v) * (double) scale;
          tie[i] = fabs (fabs (v - truncf (v)) - 0.5) < 1e-4 ? scale : 0.0;
        }
    }
}

/* y = W · x on @on for n_tokens tokens, checked row by row in double: x
 * quantised for the tokens the product quantises. */
static void
check_matmul (BendiVkDevice   *on,
              GRand           *rand,
              BendiTensorType  type,
              gint64           n_cols,
              gint64           n_rows,
              gint64           n_tokens,
              gboolean         accumulate)
{
  Weights w;
  g_autoptr (BendiVkTensor) tensor = NULL;
  g_autoptr (BendiVkRecorder) rec = NULL;
  g_autoptr (BendiVkBuffer) x_buffer = NULL;
  g_autoptr (BendiVkBuffer) y_buffer = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree float *x = NULL;
  g_autofree float *y_before = NULL;
  g_autofree float *y = NULL;
  g_autofree double *xq = g_new (double, n_cols);
  g_autofree double *tie = g_new (double, n_cols);
  g_autofree char *what = g_strdup_printf ("%s %" G_GINT64_FORMAT "×%" G_GINT64_FORMAT " with %" G_GINT64_FORMAT
                                           " tokens", bendi_tensor_type_name (type), n_rows, n_cols, n_tokens);
  /* Strides a little over the rows, as a fused QKV buffer would have. */
  gint64 x_stride = n_cols + 3;
  gint64 y_stride = n_rows + 5;

  weights_init (&w, rand, type, n_cols, n_rows);
  tensor = weights_upload (&w, on);
  x = bendi_test_random_floats (rand, (gsize) (x_stride * n_tokens), 1.0f);
  y_before = bendi_test_random_floats (rand, (gsize) (y_stride * n_tokens), 1.0f);
  x_buffer = bendi_test_vk_upload (on, x, (gsize) (x_stride * n_tokens) * sizeof (float));
  y_buffer = bendi_test_vk_upload (on, y_before, (gsize) (y_stride * n_tokens) * sizeof (float));

  rec = bendi_vk_recorder_new (on, &error);
  g_assert_no_error (error);
  bendi_vk_recorder_begin (rec);
  g_assert_true (bendi_vk_op_matmul (rec, tensor, x_buffer, x_stride, y_buffer, y_stride, n_tokens, accumulate));
  bendi_test_vk_run (rec);
  y = bendi_test_vk_download (y_buffer);

  for (gint64 t = 0; t < n_tokens; t++)
    {
      if (bendi_vk_matmul_quantizes_x (on, type, n_cols, n_tokens, t))
        quantize_like_device (x + t * x_stride, n_cols, xq, tie);
      else
        for (gint64 c = 0; c < n_cols; c++)
          {
            xq[c] = x[t * x_stride + c];
            tie[c] = 0.0;
          }
      for (gint64 r = 0; r < y_stride; r++)
        {
          double want = 0.0, magnitude = 0.0, slack = 0.0;

          if (r >= n_rows)
            {
              /* Past the rows: untouched. */
              g_assert_cmpfloat (y[t * y_stride + r], ==, y_before[t * y_stride + r]);
              continue;
            }
          for (gint64 c = 0; c < n_cols; c++)
            {
              double product = (double) w.dequantised[r * n_cols + c] * xq[c];

              want += product;
              magnitude += fabs (product);
              slack += tie[c] * fabs (w.dequantised[r * n_cols + c]);
            }
          if (accumulate)
            {
              want += y_before[t * y_stride + r];
              magnitude += fabs (y_before[t * y_stride + r]);
            }
          assert_dot_close (y[t * y_stride + r], want, magnitude, slack, what, r, t);
        }
    }
  weights_clear (&w);
}

/* Columns: a whole number of blocks, not a multiple of the 16-element
 * groups where the type allows it. */
static gint64
odd_columns (BendiTensorType type,
             gint64          blocks)
{
  guint32 block = bendi_tensor_type_info (type)->block_size;

  return block == 1 ? 16 * blocks + 5 : (gint64) block * blocks;
}

static void
test_matmul_types (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (1);
  const gint64 token_counts[] = { 1, 2, 3, 8, 9, 17 };

  if (!have_device ())
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (weight_types); i++)
    for (gsize t = 0; t < G_N_ELEMENTS (token_counts); t++)
      {
        BendiTensorType type = weight_types[i];
        gint64 n_tokens = token_counts[t];

        /* Rows not a multiple of a workgroup's rows nor of the 64-row tile. */
        check_matmul (device, rand, type, odd_columns (type, 3), 67, n_tokens, FALSE);
      }
}

static void
test_matmul_shapes (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (2);

  if (!have_device ())
    return;
  /* One row, one block; a single column of F32. */
  check_matmul (device, rand, BENDI_TENSOR_TYPE_Q4_0, 32, 1, 1, FALSE);
  check_matmul (device, rand, BENDI_TENSOR_TYPE_F32, 1, 3, 2, FALSE);
  check_matmul (device, rand, BENDI_TENSOR_TYPE_Q6_K, 256, 1, 17, FALSE);
  /* Wider than a workgroup's stride and past one tile in both directions. */
  check_matmul (device, rand, BENDI_TENSOR_TYPE_Q4_K, 256 * 5, 130, 70, FALSE);
  check_matmul (device, rand, BENDI_TENSOR_TYPE_Q8_0, 32 * 41, 129, 5, FALSE);
  check_matmul (device, rand, BENDI_TENSOR_TYPE_F16, 2053, 65, 65, FALSE);
  /* Q4_0 rows on 16-byte texels: CPU devices read them eight blocks a
   * step for one or two tokens. */
  check_matmul (device, rand, BENDI_TENSOR_TYPE_Q4_0, 256 * 3, 37, 1, FALSE);
  check_matmul (device, rand, BENDI_TENSOR_TYPE_Q4_0, 256 * 2, 21, 2, FALSE);
  check_matmul (device, rand, BENDI_TENSOR_TYPE_Q4_0, 256, 40, 2, TRUE);
}

static void
test_matmul_accumulate (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);

  if (!have_device ())
    return;
  check_matmul (device, rand, BENDI_TENSOR_TYPE_Q4_0, 64, 33, 1, TRUE);
  check_matmul (device, rand, BENDI_TENSOR_TYPE_Q5_K, 256, 33, 12, TRUE);
}

/* A device whose bindings see only 1000 bytes: every tensor splits. */
static BendiVkDevice *
open_small_binding_device (void)
{
  BendiVkDeviceParams params;

  params = variant_params;
  params.max_binding_bytes = 1000;
  return bendi_test_vk_device_new (&params);
}

static void
test_matmul_split (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (4);
  g_autoptr (BendiVkDevice) small = NULL;
  g_autoptr (GError) error = NULL;

  if (!have_device ())
    return;
  small = open_small_binding_device ();
  for (gsize i = 0; i < G_N_ELEMENTS (weight_types); i++)
    {
      BendiTensorType type = weight_types[i];
      gint64 n_cols = odd_columns (type, 1);
      g_autoptr (BendiVkTensor) probe = bendi_vk_tensor_new (small, type, n_cols, 80, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (bendi_vk_tensor_get_n_chunks (probe), >, 1);
      check_matmul (small, rand, type, n_cols, 80, 1, FALSE);
      check_matmul (small, rand, type, n_cols, 80, 11, FALSE);
    }
}

/* A real tensor over lavapipe's 128 MiB binding limit (or any device's
 * limit under 160 MiB): split by the device's own limit. */
static void
test_matmul_over_binding_limit (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  const BendiVkDeviceInfo *info;
  gint64 n_cols = 8192;
  gint64 n_rows;

  if (!have_device ())
    return;
  info = bendi_vk_device_get_info (device);
  if (info->max_storage_buffer_range > 160u * 1024 * 1024)
    {
      g_test_skip ("the device's bindings see more than 160 MiB");
      return;
    }
  n_rows = (gint64) (info->max_storage_buffer_range / (n_cols * 4)) + 37;
  check_matmul (device, rand, BENDI_TENSOR_TYPE_F32, n_cols, n_rows, 2, FALSE);
}

static void
check_get_rows (BendiVkDevice   *on,
                GRand           *rand,
                BendiTensorType  type,
                gint64           n_cols,
                gint64           n_rows)
{
  Weights w;
  g_autoptr (BendiVkTensor) tensor = NULL;
  g_autoptr (BendiVkRecorder) rec = NULL;
  g_autoptr (BendiVkBuffer) token_buffer = NULL;
  g_autoptr (BendiVkBuffer) out_buffer = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree float *out = NULL;
  gint32 tokens[5] = { (gint32) n_rows - 1, 0, 3, (gint32) n_rows / 2, 3 };
  gint64 stride = n_cols + 1;

  weights_init (&w, rand, type, n_cols, n_rows);
  tensor = weights_upload (&w, on);
  token_buffer = bendi_test_vk_upload (on, tokens, sizeof tokens);
  out_buffer = bendi_test_vk_poisoned (on, (gsize) (stride * G_N_ELEMENTS (tokens)) * sizeof (float));
  rec = bendi_vk_recorder_new (on, &error);
  g_assert_no_error (error);
  bendi_vk_recorder_begin (rec);
  g_assert_true (bendi_vk_op_get_rows (rec, tensor, token_buffer, G_N_ELEMENTS (tokens), out_buffer, stride));
  bendi_test_vk_run (rec);
  out = bendi_test_vk_download (out_buffer);
  for (gsize t = 0; t < G_N_ELEMENTS (tokens); t++)
    for (gint64 c = 0; c < n_cols; c++)
      g_assert_cmpfloat_with_epsilon (out[(gint64) t * stride + c], w.dequantised[tokens[t] * n_cols + c],
                                      1e-6 * (1.0 + fabsf (w.dequantised[tokens[t] * n_cols + c])));
  weights_clear (&w);
}

static void
test_get_rows (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (6);
  g_autoptr (BendiVkDevice) small = NULL;

  if (!have_device ())
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (weight_types); i++)
    check_get_rows (device, rand, weight_types[i], odd_columns (weight_types[i], 2), 9);
  /* Rows spread over several bindings. */
  small = open_small_binding_device ();
  for (gsize i = 0; i < G_N_ELEMENTS (weight_types); i++)
    check_get_rows (small, rand, weight_types[i], odd_columns (weight_types[i], 1), 31);
}

/* Q4_0 rows of whole octets, which CPU devices store interleaved in groups
 * of a workgroup's rows (bendi_vk_tensor_get_interleave_lanes): a last
 * group short of rows, tensors split into chunks of whole groups,
 * generation's kernel, prompts' (three and nine tokens) and the embedding
 * lookup. Elsewhere the rows are plain and this checks
 * them all the same. */
static void
test_interleaved (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (12);
  g_autoptr (BendiVkDevice) chunked = NULL;
  g_autoptr (BendiVkDevice) small = NULL;
  g_autoptr (BendiVkTensor) probe = NULL;
  g_autoptr (BendiVkTensor) small_probe = NULL;
  g_autoptr (GError) error = NULL;
  BendiVkDeviceParams params;
  const BendiTensorType q4_0 = BENDI_TENSOR_TYPE_Q4_0;
  gboolean cpu;

  if (!have_device ())
    return;
  cpu = bendi_vk_device_uses_cpu_kernels (device);
  /* 144-byte rows: groups of 32 rows a lane; bindings of 80000 bytes hold
   * 555 rows, chunks whole groups of them. */
  params = variant_params;
  params.max_binding_bytes = 80000;
  chunked = bendi_test_vk_device_new (&params);
  probe = bendi_vk_tensor_new (chunked, q4_0, 256, 600, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bendi_vk_tensor_get_n_chunks (probe), ==, 2);
  if (cpu)
    {
      guint32 lanes = bendi_vk_tensor_get_interleave_lanes (probe);

      g_assert_cmpuint (lanes, >=, 8);
      g_assert_cmpint (bendi_vk_tensor_get_chunk (probe, 0)->n_rows % (lanes * BENDI_VK_ROWS_PER_LANE), ==, 0);
    }
  else
    g_assert_cmpuint (bendi_vk_tensor_get_interleave_lanes (probe), ==, 0);
  /* Bindings too small for a group: plain rows. */
  small = open_small_binding_device ();
  small_probe = bendi_vk_tensor_new (small, q4_0, 256, 600, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bendi_vk_tensor_get_interleave_lanes (small_probe), ==, 0);

  check_matmul (device, rand, q4_0, 512, 600, 1, FALSE);
  check_matmul (device, rand, q4_0, 256, 300, 3, TRUE);
  check_matmul (device, rand, q4_0, 256 * 3, 70, 9, FALSE);
  check_matmul (chunked, rand, q4_0, 256, 600, 1, FALSE);
  check_matmul (chunked, rand, q4_0, 256, 600, 9, TRUE);
  check_get_rows (device, rand, q4_0, 256, 600);
  check_get_rows (chunked, rand, q4_0, 256, 600);
}

/* ------------------------------------------------------------------------ */
/* Element-wise ops */

static void
test_rms_norm (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  /* n, rows per token (heads), tokens, with weight */
  const gint64 cases[][4] = {
    { 1, 1, 1, TRUE }, { 37, 1, 3, TRUE }, { 2048, 1, 2, TRUE }, { 4097, 1, 1, FALSE },
    { 64, 8, 5, TRUE }, { 128, 3, 17, TRUE },
  };
  const float eps = 1e-5f;

  if (!have_device ())
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gint64 n = cases[i][0], heads = cases[i][1], n_tokens = cases[i][2];
      gboolean with_weight = cases[i][3];
      gint64 stride = n * heads + 2;
      g_autofree float *x = bendi_test_random_floats (rand, (gsize) (stride * n_tokens), 3.0f);
      g_autofree float *weight = bendi_test_random_floats (rand, (gsize) n, 2.0f);
      g_autofree float *want = g_new (float, n);
      g_autofree float *got = NULL;
      g_autofree float *got_in_place = NULL;
      g_autoptr (BendiVkBuffer) x_buffer = bendi_test_vk_upload (device, x, (gsize) (stride * n_tokens) * 4);
      g_autoptr (BendiVkBuffer) x_copy = bendi_test_vk_upload (device, x, (gsize) (stride * n_tokens) * 4);
      g_autoptr (BendiVkBuffer) w_buffer = bendi_test_vk_upload (device, weight, (gsize) n * 4);
      g_autoptr (BendiVkBuffer) out_buffer = bendi_test_vk_poisoned (device, (gsize) (n * heads * n_tokens) * 4);
      g_autoptr (BendiVkRecorder) rec = bendi_vk_recorder_new (device, NULL);

      bendi_vk_recorder_begin (rec);
      bendi_vk_op_rms_norm (rec, x_buffer, stride, with_weight ? w_buffer : NULL, out_buffer, n * heads,
                            n, heads, n_tokens, eps);
      /* In place, as the per-head norms run. */
      bendi_vk_op_rms_norm (rec, x_copy, stride, with_weight ? w_buffer : NULL, x_copy, stride,
                            n, heads, n_tokens, eps);
      bendi_test_vk_run (rec);
      got = bendi_test_vk_download (out_buffer);
      got_in_place = bendi_test_vk_download (x_copy);
      for (gint64 t = 0; t < n_tokens; t++)
        for (gint64 h = 0; h < heads; h++)
          {
            bendi_rms_norm (want, x + t * stride + h * n, with_weight ? weight : NULL, n, eps);
            for (gint64 j = 0; j < n; j++)
              {
                float tolerance = 1e-5f * (1.0f + fabsf (want[j]));

                g_assert_cmpfloat_with_epsilon (got[(t * heads + h) * n + j], want[j], tolerance);
                g_assert_cmpfloat_with_epsilon (got_in_place[t * stride + h * n + j], want[j], tolerance);
              }
          }
    }
}

static void
test_swiglu_add_bias (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (8);
  gint64 n = 1000, n_tokens = 3;
  g_autofree float *gate = bendi_test_random_floats (rand, (gsize) (n * n_tokens), 8.0f);
  g_autofree float *up = bendi_test_random_floats (rand, (gsize) (n * n_tokens), 2.0f);
  g_autofree float *bias = bendi_test_random_floats (rand, (gsize) n, 1.0f);
  g_autofree float *swiglu = NULL;
  g_autofree float *sum = NULL;
  g_autofree float *biased = NULL;
  g_autofree float *want = NULL;
  g_autoptr (BendiVkBuffer) gate_buffer = NULL;
  g_autoptr (BendiVkBuffer) up_buffer = NULL;
  g_autoptr (BendiVkBuffer) bias_buffer = NULL;
  g_autoptr (BendiVkBuffer) swiglu_buffer = NULL;
  g_autoptr (BendiVkBuffer) sum_buffer = NULL;
  g_autoptr (BendiVkBuffer) biased_buffer = NULL;
  g_autoptr (BendiVkRecorder) rec = NULL;

  if (!have_device ())
    return;
  gate_buffer = bendi_test_vk_upload (device, gate, (gsize) (n * n_tokens) * 4);
  up_buffer = bendi_test_vk_upload (device, up, (gsize) (n * n_tokens) * 4);
  bias_buffer = bendi_test_vk_upload (device, bias, (gsize) n * 4);
  biased_buffer = bendi_test_vk_upload (device, gate, (gsize) (n * n_tokens) * 4);
  swiglu_buffer = bendi_test_vk_poisoned (device, (gsize) (n * n_tokens) * 4);
  sum_buffer = bendi_test_vk_poisoned (device, (gsize) (n * n_tokens) * 4);
  rec = bendi_vk_recorder_new (device, NULL);
  bendi_vk_recorder_begin (rec);
  bendi_vk_op_swiglu (rec, gate_buffer, n, up_buffer, n, swiglu_buffer, n, n, n_tokens);
  bendi_vk_op_add (rec, gate_buffer, n, up_buffer, n, sum_buffer, n, n, n_tokens);
  bendi_vk_op_add_bias (rec, biased_buffer, n, bias_buffer, n, n_tokens);
  bendi_test_vk_run (rec);
  swiglu = bendi_test_vk_download (swiglu_buffer);
  sum = bendi_test_vk_download (sum_buffer);
  biased = bendi_test_vk_download (biased_buffer);
  want = g_new (float, n * n_tokens);
  bendi_swiglu (want, gate, up, n * n_tokens);
  for (gint64 i = 0; i < n * n_tokens; i++)
    {
      g_assert_cmpfloat_with_epsilon (swiglu[i], want[i], 1e-5f * (1.0f + fabsf (want[i])));
      g_assert_cmpfloat (sum[i], ==, gate[i] + up[i]);
      g_assert_cmpfloat (biased[i], ==, gate[i] + bias[i % n]);
    }
}

/* The bandwidth test's read: every word of the first 16 × 70001 bytes
 * read once, added to what the output held, the words past them not. */
static void
test_read (void)
{
  const gsize n_words = 4 * 70001;
  g_autoptr (GRand) rand = g_rand_new_with_seed (10);
  g_autofree guint32 *words = g_new (guint32, n_words + 4);
  guint32 start = 12345, want = 12345;
  g_autofree float *got = NULL;
  g_autoptr (BendiVkBuffer) buffer = NULL;
  g_autoptr (BendiVkBuffer) out = NULL;
  g_autoptr (BendiVkRecorder) rec = NULL;
  guint32 sum;

  if (!have_device ())
    return;
  for (gsize i = 0; i < n_words + 4; i++)
    {
      words[i] = g_rand_int (rand);
      if (i < n_words)
        want += words[i];
    }
  buffer = bendi_test_vk_upload (device, words, (n_words + 4) * sizeof (guint32));
  out = bendi_test_vk_upload (device, &start, sizeof start);
  rec = bendi_vk_recorder_new (device, NULL);
  bendi_vk_recorder_begin (rec);
  g_assert_true (bendi_vk_op_read (rec, buffer, n_words * sizeof (guint32), out));
  bendi_test_vk_run (rec);
  got = bendi_test_vk_download (out);
  memcpy (&sum, got, sizeof sum);
  g_assert_cmpuint (sum, ==, want);
}

static void
test_softmax_argmax (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (9);
  gint64 n = 1001, n_rows = 4, stride = 1003;
  g_autofree float *x = bendi_test_random_floats (rand, (gsize) (stride * n_rows), 20.0f);
  g_autofree float *got = NULL;
  g_autofree gint32 *indices = NULL;
  g_autoptr (BendiVkBuffer) x_buffer = NULL;
  g_autoptr (BendiVkBuffer) soft_buffer = NULL;
  g_autoptr (BendiVkBuffer) index_buffer = NULL;
  g_autoptr (BendiVkRecorder) rec = NULL;

  if (!have_device ())
    return;
  /* Row 1: a tie for the maximum, the first must win; row 2: the last
   * element; row 3: all equal. */
  x[1 * stride + 700] = 50.0f;
  x[1 * stride + 5] = 50.0f;
  x[2 * stride + n - 1] = 30.0f;
  for (gint64 i = 0; i < n; i++)
    x[3 * stride + i] = -1.5f;
  x_buffer = bendi_test_vk_upload (device, x, (gsize) (stride * n_rows) * 4);
  soft_buffer = bendi_test_vk_upload (device, x, (gsize) (stride * n_rows) * 4);
  index_buffer = bendi_test_vk_poisoned (device, (gsize) n_rows * 4);
  rec = bendi_vk_recorder_new (device, NULL);
  bendi_vk_recorder_begin (rec);
  bendi_vk_op_argmax (rec, x_buffer, stride, n, n_rows, index_buffer);
  bendi_vk_op_softmax (rec, soft_buffer, stride, n, n_rows);
  bendi_test_vk_run (rec);
  indices = (gint32 *) bendi_test_vk_download (index_buffer);
  got = bendi_test_vk_download (soft_buffer);

  for (gint64 r = 0; r < n_rows; r++)
    {
      gint32 best = 0;

      for (gint32 i = 1; i < n; i++)
        if (x[r * stride + i] > x[r * stride + best])
          best = i;
      g_assert_cmpint (indices[r], ==, best);
      bendi_softmax (x + r * stride, n);
      for (gint64 i = 0; i < n; i++)
        g_assert_cmpfloat_with_epsilon (got[r * stride + i], x[r * stride + i], 1e-6f + 1e-5f * x[r * stride + i]);
    }
  g_assert_cmpint (indices[1], ==, 5);
  g_assert_cmpint (indices[2], ==, n - 1);
  g_assert_cmpint (indices[3], ==, 0);
}

/* ------------------------------------------------------------------------ */
/* RoPE */

/* The GPU's RoPE parameters for a model config, as the model code maps them. */
static BendiVkRopeParams
rope_params (const BendiModelConfig *config,
             const float            *freq_factors)
{
  BendiVkRopeParams params = {
    .n_rot = config->n_rot,
    .neox = config->rope_type == BENDI_ROPE_NEOX,
    .freq_base = config->rope_freq_base,
    .scaling = config->rope_scaling == BENDI_ROPE_SCALING_YARN ? BENDI_VK_ROPE_SCALING_YARN :
               config->rope_scaling == BENDI_ROPE_SCALING_LINEAR ? BENDI_VK_ROPE_SCALING_LINEAR :
               BENDI_VK_ROPE_SCALING_NONE,
    .freq_scale = config->rope_freq_scale,
    .n_ctx_orig = config->rope_n_ctx_orig,
    .ext_factor = config->yarn_ext_factor,
    .attn_factor = config->yarn_attn_factor,
    .beta_fast = config->yarn_beta_fast,
    .beta_slow = config->yarn_beta_slow,
    .freq_factors = freq_factors,
  };

  return params;
}

/* The CPU's rotation of one head at @pos: bendi_rope_table, bendi_rope_apply. */
static void
reference_rope (float                  *head,
                const BendiModelConfig *config,
                const float            *freq_factors,
                gint64                  pos)
{
  g_autofree float *cos_table = g_new (float, config->n_rot / 2);
  g_autofree float *sin_table = g_new (float, config->n_rot / 2);

  bendi_rope_table (cos_table, sin_table, config, freq_factors, pos);
  bendi_rope_apply (head, cos_table, sin_table, config->n_rot, config->rope_type);
}

static BendiModelConfig
rope_config (gint64        n_rot,
             BendiRopeType type)
{
  BendiModelConfig config = {
    .n_rot = n_rot,
    .rope_type = type,
    .rope_freq_base = 10000.0f,
    .rope_scaling = BENDI_ROPE_SCALING_NONE,
    .rope_freq_scale = 1.0f,
  };

  return config;
}

static void
check_rope (GRand                  *rand,
            const BendiModelConfig *config,
            gint64                  head_dim,
            gint64                  n_heads,
            const float            *freq_factors)
{
  const gint32 positions[] = { 0, 1, 7, 100, 513 };
  gint64 n_tokens = G_N_ELEMENTS (positions);
  gint64 stride = n_heads * head_dim + 4;
  g_autofree float *x = bendi_test_random_floats (rand, (gsize) (stride * n_tokens), 1.0f);
  g_autofree float *got = NULL;
  g_autoptr (BendiVkBuffer) x_buffer = bendi_test_vk_upload (device, x, (gsize) (stride * n_tokens) * 4);
  g_autoptr (BendiVkBuffer) pos_buffer = bendi_test_vk_upload (device, positions, sizeof positions);
  g_autoptr (BendiVkRecorder) rec = bendi_vk_recorder_new (device, NULL);
  g_autoptr (BendiVkRope) rope = NULL;
  g_autoptr (GError) error = NULL;
  BendiVkRopeParams params = rope_params (config, freq_factors);

  rope = bendi_vk_rope_new (device, &params, &error);
  g_assert_no_error (error);
  bendi_vk_recorder_begin (rec);
  bendi_vk_op_rope (rec, rope, x_buffer, stride, n_heads, head_dim, pos_buffer, n_tokens);
  bendi_test_vk_run (rec);
  got = bendi_test_vk_download (x_buffer);
  for (gint64 t = 0; t < n_tokens; t++)
    for (gint64 h = 0; h < n_heads; h++)
      {
        float *want = x + t * stride + h * head_dim;

        reference_rope (want, config, freq_factors, positions[t]);
        for (gint64 i = 0; i < head_dim; i++)
          g_assert_cmpfloat_with_epsilon (got[t * stride + h * head_dim + i], want[i], 2e-4f);
      }
}

static void
test_rope (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (10);
  BendiModelConfig config;
  float factors[32];

  if (!have_device ())
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (factors); i++)
    factors[i] = 1.0f + (float) i / 4.0f;

  config = rope_config (64, BENDI_ROPE_NORMAL);
  check_rope (rand, &config, 64, 3, NULL);
  config = rope_config (64, BENDI_ROPE_NEOX);
  check_rope (rand, &config, 64, 3, NULL);
  /* Llama 3.1's frequency factors. */
  check_rope (rand, &config, 64, 2, factors);
  /* Partial rotation leaves the tail alone. */
  config = rope_config (32, BENDI_ROPE_NEOX);
  check_rope (rand, &config, 128, 2, NULL);
  config = rope_config (16, BENDI_ROPE_NORMAL);
  check_rope (rand, &config, 48, 5, NULL);
  /* Linear scaling. */
  config = rope_config (64, BENDI_ROPE_NORMAL);
  config.rope_scaling = BENDI_ROPE_SCALING_LINEAR;
  config.rope_freq_scale = 0.25f;
  check_rope (rand, &config, 64, 2, NULL);
  /* YaRN: interpolation ramped between the correction dimensions, and the
   * magnitude correction. */
  config = rope_config (128, BENDI_ROPE_NEOX);
  config.rope_scaling = BENDI_ROPE_SCALING_YARN;
  config.rope_freq_scale = 0.25f;
  config.rope_n_ctx_orig = 2048;
  config.yarn_ext_factor = 1.0f;
  config.yarn_attn_factor = 1.0f;
  config.yarn_beta_fast = 32.0f;
  config.yarn_beta_slow = 1.0f;
  check_rope (rand, &config, 128, 2, NULL);
}

/* The fused RoPE and cache write against the CPU: rotated queries in
 * place, rotated keys and plain values in F16 at each token's position,
 * the rest of the caches and of the QKV rows untouched. */
static void
check_rope_kv (GRand                  *rand,
               const BendiModelConfig *config)
{
  BendiVkAttentionShape shape = { 4, 2, 64, 32, 0.125f };
  const gint32 positions[] = { 5, 6, 30 };
  gint64 n_tokens = G_N_ELEMENTS (positions);
  gint64 q_dim = shape.n_head * shape.head_dim;
  gint64 kv_dim = shape.n_head_kv * shape.head_dim;
  gint64 stride = q_dim + 2 * kv_dim + 3;
  g_autofree float *qkv = bendi_test_random_floats (rand, (gsize) (stride * n_tokens), 1.0f);
  g_autofree float *got = NULL;
  g_autofree BendiFp16 *zeros = g_new0 (BendiFp16, shape.n_ctx * kv_dim);
  g_autofree BendiFp16 *k_got = NULL;
  g_autofree BendiFp16 *v_got = NULL;
  g_autoptr (BendiVkBuffer) qkv_buffer = bendi_test_vk_upload (device, qkv, (gsize) (stride * n_tokens) * 4);
  g_autoptr (BendiVkBuffer) pos_buffer = bendi_test_vk_upload (device, positions, sizeof positions);
  g_autoptr (BendiVkBuffer) k_cache = bendi_test_vk_upload (device, zeros, bendi_vk_kv_cache_bytes (&shape));
  g_autoptr (BendiVkBuffer) v_cache = bendi_test_vk_upload (device, zeros, bendi_vk_kv_cache_bytes (&shape));
  g_autoptr (BendiVkRecorder) rec = bendi_vk_recorder_new (device, NULL);
  g_autoptr (BendiVkRope) rope = NULL;
  g_autoptr (GError) error = NULL;
  BendiVkRopeParams params = rope_params (config, NULL);

  rope = bendi_vk_rope_new (device, &params, &error);
  g_assert_no_error (error);
  bendi_vk_recorder_begin (rec);
  g_assert_true (bendi_vk_op_rope_kv_write (rec, rope, &shape, qkv_buffer, stride, 0, qkv_buffer, stride, q_dim,
                                            qkv_buffer, stride, q_dim + kv_dim, k_cache, v_cache, pos_buffer,
                                            n_tokens));
  g_assert_cmpuint (bendi_vk_recorder_get_n_dispatches (rec), ==, 1);
  bendi_test_vk_run (rec);
  got = bendi_test_vk_download (qkv_buffer);
  k_got = (BendiFp16 *) bendi_test_vk_download (k_cache);
  v_got = (BendiFp16 *) bendi_test_vk_download (v_cache);

  for (gint64 t = 0; t < n_tokens; t++)
    {
      float *row = qkv + t * stride;
      float *k_want = g_memdup2 (row + q_dim, (gsize) kv_dim * sizeof (float));

      for (gint64 h = 0; h < shape.n_head; h++)
        reference_rope (row + h * shape.head_dim, config, NULL, positions[t]);
      for (gint64 h = 0; h < shape.n_head_kv; h++)
        reference_rope (k_want + h * shape.head_dim, config, NULL, positions[t]);
      /* Queries rotated, keys and values as they were. */
      for (gint64 i = 0; i < stride; i++)
        g_assert_cmpfloat_with_epsilon (got[t * stride + i], row[i], 2e-4f);
      for (gint64 i = 0; i < kv_dim; i++)
        {
          float k_cached = bendi_fp16_to_fp32 (k_got[positions[t] * kv_dim + i]);
          float v_cached = bendi_fp16_to_fp32 (v_got[positions[t] * kv_dim + i]);

          g_assert_cmpfloat_with_epsilon (k_cached, k_want[i], 2e-4f + 1e-3f * fabsf (k_want[i]));
          g_assert_cmpfloat (v_cached, ==, bendi_fp16_to_fp32 (bendi_fp32_to_fp16 (row[q_dim + kv_dim + i])));
        }
      g_free (k_want);
    }
  /* Rows of other positions stay empty. */
  for (gint64 p = 0; p < shape.n_ctx; p++)
    if (p != 5 && p != 6 && p != 30)
      for (gint64 i = 0; i < kv_dim; i++)
        {
          g_assert_cmpuint (k_got[p * kv_dim + i], ==, 0);
          g_assert_cmpuint (v_got[p * kv_dim + i], ==, 0);
        }
}

static void
test_rope_kv (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (14);
  BendiModelConfig config;

  if (!have_device ())
    return;
  config = rope_config (64, BENDI_ROPE_NORMAL);
  check_rope_kv (rand, &config);
  config = rope_config (64, BENDI_ROPE_NEOX);
  check_rope_kv (rand, &config);
  config = rope_config (32, BENDI_ROPE_NEOX);
  check_rope_kv (rand, &config);
  config = rope_config (16, BENDI_ROPE_NORMAL);
  check_rope_kv (rand, &config);
}

/* ------------------------------------------------------------------------ */
/* KV cache and attention */

typedef struct {
  BendiVkAttentionShape shape;
  gint64                n_tokens;
  gint64                first_pos;
  gint64                n_splits;
} AttentionCase;

/* Fills the caches on the CPU and GPU with @n_past random positions, then
 * writes a batch of tokens at first_pos … and attends; the reference
 * reads the F16-rounded caches. */
static void
check_attention (GRand               *rand,
                 const AttentionCase *c)
{
  const BendiVkAttentionShape *s = &c->shape;
  gint64 kv_dim = s->n_head_kv * s->head_dim;
  gint64 q_dim = s->n_head * s->head_dim;
  gint64 n_tokens = c->n_tokens;
  gint64 n_past = c->first_pos;
  g_autofree float *past_k = bendi_test_random_floats (rand, (gsize) (n_past * kv_dim + 1), 1.0f);
  g_autofree float *past_v = bendi_test_random_floats (rand, (gsize) (n_past * kv_dim + 1), 1.0f);
  g_autofree float *k = bendi_test_random_floats (rand, (gsize) (n_tokens * kv_dim), 1.0f);
  g_autofree float *v = bendi_test_random_floats (rand, (gsize) (n_tokens * kv_dim), 1.0f);
  g_autofree float *q = bendi_test_random_floats (rand, (gsize) (n_tokens * q_dim), 1.0f);
  g_autofree BendiFp16 *cache_init = g_new0 (BendiFp16, s->n_ctx * kv_dim);
  g_autofree gint32 *positions = g_new (gint32, n_tokens);
  g_autofree float *cache_k = g_new0 (float, s->n_ctx * kv_dim);
  g_autofree float *cache_v = g_new0 (float, s->n_ctx * kv_dim);
  g_autofree float *got = NULL;
  g_autofree float *scores = g_new (float, s->n_ctx);
  g_autoptr (BendiVkBuffer) k_cache = NULL;
  g_autoptr (BendiVkBuffer) v_cache = NULL;
  g_autoptr (BendiVkBuffer) q_buffer = bendi_test_vk_upload (device, q, (gsize) (n_tokens * q_dim) * 4);
  g_autoptr (BendiVkBuffer) k_buffer = bendi_test_vk_upload (device, k, (gsize) (n_tokens * kv_dim) * 4);
  g_autoptr (BendiVkBuffer) v_buffer = bendi_test_vk_upload (device, v, (gsize) (n_tokens * kv_dim) * 4);
  g_autoptr (BendiVkBuffer) pos_buffer = NULL;
  g_autoptr (BendiVkBuffer) out_buffer = bendi_test_vk_poisoned (device, (gsize) (n_tokens * q_dim) * 4);
  g_autoptr (BendiVkBuffer) scratch = NULL;
  g_autoptr (BendiVkRecorder) rec = bendi_vk_recorder_new (device, NULL);

  /* The past, stored as F16 in both caches. */
  for (gint64 i = 0; i < n_past * kv_dim; i++)
    {
      cache_init[i] = bendi_fp32_to_fp16 (past_k[i]);
      cache_k[i] = bendi_fp16_to_fp32 (cache_init[i]);
    }
  k_cache = bendi_test_vk_upload (device, cache_init, bendi_vk_kv_cache_bytes (s));
  for (gint64 i = 0; i < n_past * kv_dim; i++)
    {
      cache_init[i] = bendi_fp32_to_fp16 (past_v[i]);
      cache_v[i] = bendi_fp16_to_fp32 (cache_init[i]);
    }
  v_cache = bendi_test_vk_upload (device, cache_init, bendi_vk_kv_cache_bytes (s));
  for (gint64 t = 0; t < n_tokens; t++)
    {
      positions[t] = (gint32) (c->first_pos + t);
      for (gint64 i = 0; i < kv_dim; i++)
        {
          cache_k[(c->first_pos + t) * kv_dim + i] = bendi_fp16_to_fp32 (bendi_fp32_to_fp16 (k[t * kv_dim + i]));
          cache_v[(c->first_pos + t) * kv_dim + i] = bendi_fp16_to_fp32 (bendi_fp32_to_fp16 (v[t * kv_dim + i]));
        }
    }
  pos_buffer = bendi_test_vk_upload (device, positions, (gsize) n_tokens * 4);
  if (c->n_splits > 1)
    scratch = bendi_test_vk_poisoned (device, bendi_vk_attention_scratch_bytes (s, n_tokens, c->n_splits));

  bendi_vk_recorder_begin (rec);
  bendi_vk_op_kv_write (rec, s, k_buffer, kv_dim, v_buffer, kv_dim, k_cache, v_cache, pos_buffer, n_tokens);
  bendi_vk_op_attention (rec, s, q_buffer, q_dim, k_cache, v_cache, pos_buffer, out_buffer, q_dim, n_tokens,
                         c->n_splits, scratch);
  bendi_test_vk_run (rec);
  got = bendi_test_vk_download (out_buffer);

  for (gint64 t = 0; t < n_tokens; t++)
    for (gint64 h = 0; h < s->n_head; h++)
      {
        gint64 kv_head = h / (s->n_head / s->n_head_kv);
        gint64 n_keys = positions[t] + 1;

        for (gint64 key = 0; key < n_keys; key++)
          {
            double dot = 0.0;

            for (gint64 i = 0; i < s->head_dim; i++)
              dot += (double) q[t * q_dim + h * s->head_dim + i] * cache_k[key * kv_dim + kv_head * s->head_dim + i];
            scores[key] = (float) dot * s->scale;
          }
        bendi_softmax (scores, n_keys);
        for (gint64 i = 0; i < s->head_dim; i++)
          {
            double want = 0.0;

            for (gint64 key = 0; key < n_keys; key++)
              want += (double) scores[key] * cache_v[key * kv_dim + kv_head * s->head_dim + i];
            if (!(fabs (got[t * q_dim + h * s->head_dim + i] - want) <= 1e-4))
              g_error ("attention token %" G_GINT64_FORMAT " head %" G_GINT64_FORMAT " dim %" G_GINT64_FORMAT
                       ": got %.7g, want %.7g", t, h, i, got[t * q_dim + h * s->head_dim + i], want);
          }
      }
}

static void
test_attention (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (11);
  const AttentionCase cases[] = {
    /* One token at position 0; a prompt from 0; generation after a past. */
    { { 4, 2, 64, 16, 0.125f }, 1, 0, 1 },
    { { 4, 2, 64, 40, 0.125f }, 17, 0, 1 },
    { { 8, 1, 128, 300, 0.088f }, 2, 200, 1 },
    { { 2, 2, 256, 70, 0.0625f }, 3, 65, 1 },
    { { 6, 3, 16, 90, 0.25f }, 5, 80, 1 },
    /* Key rows off 16-byte texels (CPU devices read them word by word). */
    { { 3, 1, 12, 30, 0.29f }, 2, 20, 1 },
    /* Split-K over long contexts, splits that get no keys included. */
    { { 4, 2, 64, 400, 0.125f }, 1, 390, 4 },
    { { 4, 4, 128, 300, 0.088f }, 9, 250, 7 },
    { { 2, 1, 64, 40, 0.125f }, 2, 0, 5 },
  };

  if (!have_device ())
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    check_attention (rand, &cases[i]);
}

/* ------------------------------------------------------------------------ */
/* A whole layer */

/* out = W · x in double, from the dequantised rows. */
static void
reference_matvec (float         *out,
                  const Weights *w,
                  const float   *x)
{
  for (gint64 r = 0; r < w->n_rows; r++)
    {
      double sum = 0.0;

      for (gint64 c = 0; c < w->n_cols; c++)
        sum += (double) w->dequantised[r * w->n_cols + c] * x[c];
      out[r] = (float) sum;
    }
}

/* One Llama layer (GQA, NeoX RoPE) over a 5-token prompt and then one
 * generated token, composed from the ops as the model code will compose
 * them, against the same layer computed on the CPU. Q, K and V come from
 * three matrices written into views of one QKV buffer, the residual adds
 * are fused into the output projections. */
static void
test_layer (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (15);
  const gint64 n_embd = 256, n_ff = 512, n_prompt = 5, n_all = 6;
  BendiVkAttentionShape shape = { 4, 2, 64, 16, 0.125f };
  gint64 q_dim = shape.n_head * shape.head_dim, kv_dim = shape.n_head_kv * shape.head_dim;
  gint64 qkv_dim = q_dim + 2 * kv_dim;
  BendiModelConfig config = rope_config (64, BENDI_ROPE_NEOX);
  BendiVkRopeParams rope_parameters = rope_params (&config, NULL);
  Weights wq, wk, wv, wo, w_gate, w_up, w_down;
  g_autofree float *attn_norm = bendi_test_random_floats (rand, (gsize) n_embd, 1.0f);
  g_autofree float *ffn_norm = bendi_test_random_floats (rand, (gsize) n_embd, 1.0f);
  g_autofree float *x = bendi_test_random_floats (rand, (gsize) (n_embd * n_all), 1.0f);
  g_autofree float *want = g_memdup2 (x, (gsize) (n_embd * n_all) * sizeof (float));
  g_autofree float *key_cache = g_new0 (float, n_all * kv_dim);
  g_autofree float *value_cache = g_new0 (float, n_all * kv_dim);
  g_autofree float *got = NULL;
  g_autofree gint32 *positions = g_new (gint32, n_all);
  BendiVkTensor *tensors[7];
  g_autoptr (BendiVkBuffer) x_buffer = NULL;
  g_autoptr (BendiVkBuffer) xb = NULL;
  g_autoptr (BendiVkBuffer) qkv = NULL;
  g_autoptr (BendiVkBuffer) q_view = NULL;
  g_autoptr (BendiVkBuffer) k_view = NULL;
  g_autoptr (BendiVkBuffer) v_view = NULL;
  g_autoptr (BendiVkBuffer) attn_out = NULL;
  g_autoptr (BendiVkBuffer) gate = NULL;
  g_autoptr (BendiVkBuffer) up = NULL;
  g_autoptr (BendiVkBuffer) attn_norm_buffer = NULL;
  g_autoptr (BendiVkBuffer) ffn_norm_buffer = NULL;
  g_autoptr (BendiVkBuffer) k_cache = NULL;
  g_autoptr (BendiVkBuffer) v_cache = NULL;
  g_autoptr (BendiVkBuffer) pos_buffer = NULL;
  g_autoptr (BendiVkRope) rope = NULL;
  g_autoptr (GError) error = NULL;
  guint64 alignment;

  if (!have_device ())
    return;
  alignment = MAX (bendi_vk_device_get_info (device)->min_storage_buffer_offset_alignment, 4);
  if ((gsize) q_dim * 4 % alignment != 0 || (gsize) (q_dim + kv_dim) * 4 % alignment != 0)
    {
      g_test_skip ("the device aligns buffer views more coarsely than this layer's QKV row");
      return;
    }
  weights_init (&wq, rand, BENDI_TENSOR_TYPE_Q4_K, n_embd, q_dim);
  weights_init (&wk, rand, BENDI_TENSOR_TYPE_Q8_0, n_embd, kv_dim);
  weights_init (&wv, rand, BENDI_TENSOR_TYPE_Q6_K, n_embd, kv_dim);
  weights_init (&wo, rand, BENDI_TENSOR_TYPE_Q4_0, q_dim, n_embd);
  weights_init (&w_gate, rand, BENDI_TENSOR_TYPE_Q5_K, n_embd, n_ff);
  weights_init (&w_up, rand, BENDI_TENSOR_TYPE_IQ4_XS, n_embd, n_ff);
  weights_init (&w_down, rand, BENDI_TENSOR_TYPE_F16, n_ff, n_embd);
  {
    const Weights *all[7] = { &wq, &wk, &wv, &wo, &w_gate, &w_up, &w_down };

    for (gsize i = 0; i < 7; i++)
      tensors[i] = weights_upload (all[i], device);
  }
  for (gint64 t = 0; t < n_all; t++)
    positions[t] = (gint32) t;

  /* The CPU's layer, token by token. */
  for (gint64 t = 0; t < n_all; t++)
    {
      float *xt = want + t * n_embd;
      float xn[256], q[256], k[128], v[128], att[256], out[256], g[512], u[512], scores[16];

      bendi_rms_norm (xn, xt, attn_norm, n_embd, 1e-5f);
      reference_matvec (q, &wq, xn);
      reference_matvec (k, &wk, xn);
      reference_matvec (v, &wv, xn);
      for (gint64 h = 0; h < shape.n_head; h++)
        reference_rope (q + h * shape.head_dim, &config, NULL, t);
      for (gint64 h = 0; h < shape.n_head_kv; h++)
        reference_rope (k + h * shape.head_dim, &config, NULL, t);
      for (gint64 i = 0; i < kv_dim; i++)
        {
          key_cache[t * kv_dim + i] = bendi_fp16_to_fp32 (bendi_fp32_to_fp16 (k[i]));
          value_cache[t * kv_dim + i] = bendi_fp16_to_fp32 (bendi_fp32_to_fp16 (v[i]));
        }
      for (gint64 h = 0; h < shape.n_head; h++)
        {
          gint64 kv_head = h / (shape.n_head / shape.n_head_kv);

          for (gint64 key = 0; key <= t; key++)
            {
              float dot = 0.0f;

              for (gint64 i = 0; i < shape.head_dim; i++)
                dot += q[h * shape.head_dim + i] * key_cache[key * kv_dim + kv_head * shape.head_dim + i];
              scores[key] = dot * shape.scale;
            }
          bendi_softmax (scores, t + 1);
          for (gint64 i = 0; i < shape.head_dim; i++)
            {
              float sum = 0.0f;

              for (gint64 key = 0; key <= t; key++)
                sum += scores[key] * value_cache[key * kv_dim + kv_head * shape.head_dim + i];
              att[h * shape.head_dim + i] = sum;
            }
        }
      /* The generated token's output product may read its input
       * quantised (the prompt's five are one pass of floats). */
      if (bendi_vk_matmul_quantizes_x (device, wo.type, q_dim, t < n_prompt ? n_prompt : 1, t < n_prompt ? t : 0))
        {
          double quantised[256], tie[256];

          quantize_like_device (att, q_dim, quantised, tie);
          for (gint64 i = 0; i < q_dim; i++)
            att[i] = (float) quantised[i];
        }
      reference_matvec (out, &wo, att);
      bendi_add (xt, out, n_embd);
      bendi_rms_norm (xn, xt, ffn_norm, n_embd, 1e-5f);
      reference_matvec (g, &w_gate, xn);
      reference_matvec (u, &w_up, xn);
      bendi_swiglu (g, g, u, n_ff);
      reference_matvec (out, &w_down, g);
      bendi_add (xt, out, n_embd);
    }

  /* The GPU's: buffers for the largest batch, views of the QKV rows. */
  x_buffer = bendi_test_vk_upload (device, x, (gsize) (n_embd * n_all) * 4);
  xb = bendi_test_vk_poisoned (device, (gsize) (n_embd * n_prompt) * 4);
  qkv = bendi_test_vk_poisoned (device, (gsize) (qkv_dim * n_prompt) * 4);
  q_view = bendi_vk_buffer_new_view (qkv, 0, (gsize) (qkv_dim * n_prompt) * 4, &error);
  g_assert_no_error (error);
  k_view = bendi_vk_buffer_new_view (qkv, (gsize) q_dim * 4, (gsize) (qkv_dim * n_prompt - q_dim) * 4, &error);
  g_assert_no_error (error);
  v_view = bendi_vk_buffer_new_view (qkv, (gsize) (q_dim + kv_dim) * 4,
                                     (gsize) (qkv_dim * n_prompt - q_dim - kv_dim) * 4, &error);
  g_assert_no_error (error);
  attn_out = bendi_test_vk_poisoned (device, (gsize) (q_dim * n_prompt) * 4);
  gate = bendi_test_vk_poisoned (device, (gsize) (n_ff * n_prompt) * 4);
  up = bendi_test_vk_poisoned (device, (gsize) (n_ff * n_prompt) * 4);
  attn_norm_buffer = bendi_test_vk_upload (device, attn_norm, (gsize) n_embd * 4);
  ffn_norm_buffer = bendi_test_vk_upload (device, ffn_norm, (gsize) n_embd * 4);
  k_cache = bendi_vk_buffer_new (device, bendi_vk_kv_cache_bytes (&shape), BENDI_VK_MEMORY_DEVICE, &error);
  g_assert_no_error (error);
  v_cache = bendi_vk_buffer_new (device, bendi_vk_kv_cache_bytes (&shape), BENDI_VK_MEMORY_DEVICE, &error);
  g_assert_no_error (error);
  pos_buffer = bendi_vk_buffer_new (device, (gsize) n_prompt * 4, BENDI_VK_MEMORY_HOST, &error);
  g_assert_no_error (error);
  rope = bendi_vk_rope_new (device, &rope_parameters, &error);
  g_assert_no_error (error);

  /* The prompt, then the sixth token on its own: the same recording
   * recipe, with the token's x row and position. */
  for (gint64 batch = 0; batch < 2; batch++)
    {
      gint64 first = batch == 0 ? 0 : n_prompt;
      gint64 n = batch == 0 ? n_prompt : 1;
      g_autoptr (BendiVkBuffer) x_rows = NULL;
      g_autoptr (BendiVkRecorder) rec = bendi_vk_recorder_new (device, &error);

      g_assert_no_error (error);
      g_assert_true ((gsize) (first * n_embd * 4) % alignment == 0);
      x_rows = bendi_vk_buffer_new_view (x_buffer, (gsize) (first * n_embd) * 4, (gsize) (n * n_embd) * 4, &error);
      g_assert_no_error (error);
      memcpy (bendi_vk_buffer_get_mapped (pos_buffer), positions + first, (gsize) n * 4);

      bendi_vk_recorder_begin (rec);
      bendi_vk_op_rms_norm (rec, x_rows, n_embd, attn_norm_buffer, xb, n_embd, n_embd, 1, n, 1e-5f);
      bendi_vk_op_matmul (rec, tensors[0], xb, n_embd, q_view, qkv_dim, n, FALSE);
      bendi_vk_op_matmul (rec, tensors[1], xb, n_embd, k_view, qkv_dim, n, FALSE);
      bendi_vk_op_matmul (rec, tensors[2], xb, n_embd, v_view, qkv_dim, n, FALSE);
      bendi_vk_op_rope_kv_write (rec, rope, &shape, qkv, qkv_dim, 0, qkv, qkv_dim, q_dim, qkv, qkv_dim,
                                 q_dim + kv_dim, k_cache, v_cache, pos_buffer, n);
      bendi_vk_op_attention (rec, &shape, qkv, qkv_dim, k_cache, v_cache, pos_buffer, attn_out, q_dim, n, 1, NULL);
      bendi_vk_op_matmul (rec, tensors[3], attn_out, q_dim, x_rows, n_embd, n, TRUE);
      bendi_vk_op_rms_norm (rec, x_rows, n_embd, ffn_norm_buffer, xb, n_embd, n_embd, 1, n, 1e-5f);
      bendi_vk_op_matmul (rec, tensors[4], xb, n_embd, gate, n_ff, n, FALSE);
      bendi_vk_op_matmul (rec, tensors[5], xb, n_embd, up, n_ff, n, FALSE);
      bendi_vk_op_swiglu (rec, gate, n_ff, up, n_ff, gate, n_ff, n_ff, n);
      bendi_vk_op_matmul (rec, tensors[6], gate, n_ff, x_rows, n_embd, n, TRUE);
      bendi_test_vk_run (rec);
      if (batch == 1)
        /* A generated token's layer: twelve dispatches. */
        g_assert_cmpuint (bendi_vk_recorder_get_n_dispatches (rec), ==, 12);
    }

  got = bendi_test_vk_download (x_buffer);
  for (gint64 i = 0; i < n_embd * n_all; i++)
    if (!(fabsf (got[i] - want[i]) <= 2e-3f * (1.0f + fabsf (want[i]))))
      g_error ("layer output %" G_GINT64_FORMAT " of token %" G_GINT64_FORMAT ": got %.6g, want %.6g",
               i % n_embd, i / n_embd, got[i], want[i]);

  for (gsize i = 0; i < 7; i++)
    bendi_vk_tensor_free (tensors[i]);
  weights_clear (&wq);
  weights_clear (&wk);
  weights_clear (&wv);
  weights_clear (&wo);
  weights_clear (&w_gate);
  weights_clear (&w_up);
  weights_clear (&w_down);
}

/* ------------------------------------------------------------------------ */
/* Replay */

/* One recording run at two positions: only the host-written positions and
 * token change between the runs, as in generation. */
static void
test_replay (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (12);
  Weights embedding;
  g_autoptr (BendiVkTensor) tensor = NULL;
  g_autoptr (BendiVkBuffer) token = NULL;
  g_autoptr (BendiVkBuffer) position = NULL;
  g_autoptr (BendiVkBuffer) x = NULL;
  g_autoptr (BendiVkRope) rope = NULL;
  g_autoptr (BendiVkRecorder) rec = NULL;
  g_autoptr (GError) error = NULL;
  BendiModelConfig config = rope_config (32, BENDI_ROPE_NORMAL);
  BendiVkRopeParams params = rope_params (&config, NULL);
  const gint32 steps[][2] = { { 3, 0 }, { 10, 5 }, { 0, 99 } };

  if (!have_device ())
    return;
  weights_init (&embedding, rand, BENDI_TENSOR_TYPE_Q8_0, 64, 12);
  tensor = weights_upload (&embedding, device);
  token = bendi_vk_buffer_new (device, 4, BENDI_VK_MEMORY_HOST, &error);
  g_assert_no_error (error);
  position = bendi_vk_buffer_new (device, 4, BENDI_VK_MEMORY_HOST, &error);
  g_assert_no_error (error);
  g_assert_nonnull (bendi_vk_buffer_get_mapped (token));
  x = bendi_vk_buffer_new (device, 64 * 4, BENDI_VK_MEMORY_DEVICE, &error);
  g_assert_no_error (error);
  rope = bendi_vk_rope_new (device, &params, &error);
  g_assert_no_error (error);

  rec = bendi_vk_recorder_new (device, &error);
  g_assert_no_error (error);
  bendi_vk_recorder_begin (rec);
  bendi_vk_op_get_rows (rec, tensor, token, 1, x, 64);
  bendi_vk_op_rope (rec, rope, x, 64, 2, 32, position, 1);
  bendi_vk_recorder_end (rec, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bendi_vk_recorder_get_n_dispatches (rec), ==, 2);
  /* The rope reads what get_rows wrote: one barrier between them. */
  g_assert_cmpuint (bendi_vk_recorder_get_n_barriers (rec), ==, 1);

  for (gsize i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      g_autofree float *got = NULL;
      float want[64];

      *(gint32 *) bendi_vk_buffer_get_mapped (token) = steps[i][0];
      *(gint32 *) bendi_vk_buffer_get_mapped (position) = steps[i][1];
      bendi_vk_recorder_submit_and_wait (rec, &error);
      g_assert_no_error (error);
      got = bendi_test_vk_download (x);
      memcpy (want, embedding.dequantised + steps[i][0] * 64, sizeof want);
      reference_rope (want, &config, NULL, steps[i][1]);
      reference_rope (want + 32, &config, NULL, steps[i][1]);
      for (gsize j = 0; j < 64; j++)
        g_assert_cmpfloat_with_epsilon (got[j], want[j], 2e-4f);
    }
  weights_clear (&embedding);
}

/* Wrong arguments fail the recording with a message, never the process. */
static void
test_bad_arguments (void)
{
  g_autoptr (BendiVkBuffer) small = NULL;
  g_autoptr (BendiVkBuffer) big = NULL;
  g_autoptr (BendiVkTensor) tensor = NULL;
  g_autoptr (BendiVkRecorder) rec = NULL;
  g_autoptr (GError) error = NULL;
  BendiVkAttentionShape odd = { 3, 2, 64, 10, 0.1f };

  if (!have_device ())
    return;
  small = bendi_vk_buffer_new (device, 16, BENDI_VK_MEMORY_DEVICE, &error);
  g_assert_no_error (error);
  big = bendi_vk_buffer_new (device, 4096, BENDI_VK_MEMORY_DEVICE, &error);
  g_assert_no_error (error);
  tensor = bendi_vk_tensor_new (device, BENDI_TENSOR_TYPE_Q4_0, 64, 8, &error);
  g_assert_no_error (error);
  rec = bendi_vk_recorder_new (device, &error);
  g_assert_no_error (error);

  bendi_vk_recorder_begin (rec);
  g_assert_false (bendi_vk_op_matmul (rec, tensor, small, 64, big, 8, 1, FALSE));
  /* Later ops do nothing once failed. */
  g_assert_false (bendi_vk_op_softmax (rec, big, 10, 10, 1));
  g_assert_false (bendi_vk_recorder_end (rec, &error));
  g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "matmul input"));
  g_clear_error (&error);
  g_assert_false (bendi_vk_recorder_submit_and_wait (rec, &error));
  g_clear_error (&error);

  bendi_vk_recorder_begin (rec);
  g_assert_false (bendi_vk_op_attention (rec, &odd, big, 192, big, big, small, big, 192, 1, 1, NULL));
  g_assert_false (bendi_vk_recorder_end (rec, &error));
  g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* A recording can start over after a failure. */
  bendi_vk_recorder_begin (rec);
  g_assert_true (bendi_vk_op_softmax (rec, big, 10, 10, 1));
  bendi_test_vk_run (rec);
}

/* ------------------------------------------------------------------------ */
/* The same ops under the Khronos validation layer */

static void
test_validation (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (13);
  BendiVkDeviceParams params;
  BendiVkDevice *plain = device;
  BendiVkDevice *validated;
  const AttentionCase attention = { { 4, 2, 64, 64, 0.125f }, 3, 40, 3 };

  if (!have_device ())
    return;
  params = variant_params;
  params.validation = TRUE;
  validated = bendi_test_vk_device_new (&params);
  if (!bendi_vk_device_is_validated (validated))
    {
      bendi_vk_device_free (validated);
      g_test_skip ("the Khronos validation layer is not installed");
      return;
    }
  /* Every op once, on the validated device. */
  device = validated;
  check_matmul (device, rand, BENDI_TENSOR_TYPE_Q4_K, 256, 9, 1, TRUE);
  check_matmul (device, rand, BENDI_TENSOR_TYPE_Q8_0, 64, 70, 12, FALSE);
  check_get_rows (device, rand, BENDI_TENSOR_TYPE_Q6_K, 256, 4);
  check_attention (rand, &attention);
  {
    BendiModelConfig config = rope_config (64, BENDI_ROPE_NEOX);

    check_rope (rand, &config, 64, 2, NULL);
    check_rope_kv (rand, &config);
  }
  test_rms_norm ();
  test_swiglu_add_bias ();
  test_softmax_argmax ();
  test_replay ();
  device = plain;

  g_assert_cmpuint (bendi_vk_device_get_validation_errors (validated), ==, 0);
  bendi_vk_device_free (validated);
}

typedef struct {
  const char *path;
  GTestFunc   func;
} Case;

static const Case cases[] = {
  { "matmul-types", test_matmul_types },
  { "matmul-shapes", test_matmul_shapes },
  { "matmul-accumulate", test_matmul_accumulate },
  { "matmul-split", test_matmul_split },
  { "matmul-over-binding-limit", test_matmul_over_binding_limit },
  { "get-rows", test_get_rows },
  { "interleaved", test_interleaved },
  { "rms-norm", test_rms_norm },
  { "swiglu-add-bias", test_swiglu_add_bias },
  { "softmax-argmax", test_softmax_argmax },
  { "read", test_read },
  { "rope", test_rope },
  { "rope-kv-write", test_rope_kv },
  { "attention", test_attention },
  { "layer", test_layer },
  { "replay", test_replay },
  { "bad-arguments", test_bad_arguments },
  { "validation", test_validation },
};

/* The device each run of the cases uses: the portable shaders, the
 * subgroup fast paths where the device has them, on CPU devices the
 * kernels shaped for their SIMD lanes, and the GPU-shaped kernels with 4
 * rows a workgroup instead of the default 2 (only for the cases that run
 * matrix × vector products: every variant of the GPU shape is compiled
 * once per weight type and token count, which on lavapipe takes minutes). */
#define N_VARIANTS 4
static const char *const rows4_cases[] = {
  "matmul-shapes", "matmul-accumulate", "matmul-split", "swiglu-add-bias", "layer", "replay", NULL
};
static BendiVkDevice *devices_by_variant[N_VARIANTS];
static BendiVkDeviceParams params_by_variant[N_VARIANTS];

typedef struct {
  const Case *test_case;
  guint       variant;
} CaseRun;

static void
run_case (gconstpointer data)
{
  const CaseRun *run = data;

  device = devices_by_variant[run->variant];
  variant_params = params_by_variant[run->variant];
  run->test_case->func ();
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) devices = NULL;
  static CaseRun runs[N_VARIANTS][G_N_ELEMENTS (cases)];
  const char *const variant_names[N_VARIANTS] = { "portable", "subgroup", "cpu", "rows4" };
  gint index = -1;
  int status;

  g_test_init (&argc, &argv, NULL);

  for (guint variant = 0; variant < N_VARIANTS; variant++)
    {
      bendi_vk_device_params_init (&params_by_variant[variant]);
      params_by_variant[variant].cache_dir = "";
      params_by_variant[variant].portable_only = variant == 0;
      params_by_variant[variant].gpu_kernels = variant != 2;
      params_by_variant[variant].matvec_rows = variant == 3 ? 4 : 0;
      /* The reduced-precision variants have test-vulkan-fast.c; here a
       * GPU computes in f32 as the references do. */
      params_by_variant[variant].disabled_fast_paths = BENDI_VK_FAST_ALL & ~BENDI_VK_FAST_SUBGROUP;
    }

  /* Open the devices up front so each case only checks that one exists. */
  devices = bendi_vk_list_devices (&error);
  if (devices == NULL)
    device_skip_reason = g_strdup_printf ("no Vulkan: %s", error->message);
  else
    for (guint i = 0; i < devices->len && index < 0; i++)
      if (((BendiVkDeviceInfo *) g_ptr_array_index (devices, i))->usable)
        index = (gint) i;
  if (devices != NULL && index < 0)
    device_skip_reason = g_strdup ("no usable Vulkan device");
  for (guint variant = 0; variant < N_VARIANTS && index >= 0; variant++)
    {
      devices_by_variant[variant] = bendi_vk_device_new ((guint) index, &params_by_variant[variant], &error);
      g_assert_no_error (error);
    }
  /* Variants the device does not have would only repeat another. */
  if (devices_by_variant[1] != NULL && !bendi_vk_device_uses_subgroups (devices_by_variant[1]))
    g_clear_pointer (&devices_by_variant[1], bendi_vk_device_free);
  if (devices_by_variant[2] != NULL && !bendi_vk_device_uses_cpu_kernels (devices_by_variant[2]))
    g_clear_pointer (&devices_by_variant[2], bendi_vk_device_free);

  for (guint variant = 0; variant < N_VARIANTS; variant++)
    for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_autofree char *path = g_strdup_printf ("/engine/vulkan-ops/%s/%s", variant_names[variant],
                                                 cases[i].path);

        if (variant > 0 && index >= 0 && devices_by_variant[variant] == NULL)
          continue;
        if (variant == 3 && !g_strv_contains (rows4_cases, cases[i].path))
          continue;
        runs[variant][i] = (CaseRun) { &cases[i], variant };
        g_test_add_data_func (path, &runs[variant][i], run_case);
      }

  status = g_test_run ();
  for (guint variant = 0; variant < N_VARIANTS; variant++)
    if (devices_by_variant[variant] != NULL)
      {
        g_assert_cmpuint (bendi_vk_device_get_validation_errors (devices_by_variant[variant]), ==, 0);
        bendi_vk_device_free (devices_by_variant[variant]);
      }
  g_free (device_skip_reason);
  return status;
}
