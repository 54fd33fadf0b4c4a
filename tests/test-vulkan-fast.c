/* SPDX-License-Identifier: MIT */
/* The fast matrix × vector variants (8-bit activations with and without the integer dot product, fp16 arithmetic) and the cooperative-matrix prompt products against a CPU reference in double, forced on whatever device there is. */
#include <math.h>
#include <string.h>

#include "engine-error.h"
#include "tensor/quant.h"
#include "test-util.h"
#include "test-vulkan-util.h"
#include "vulkan/vk-ops.h"
#include "vulkan/vk-pipeline.h"

/* The types that must have int8 variants (int8_weight_types in
 * shaders/meson.build), and every type for fp16. */
static const BendiTensorType int8_types[] = {
  BENDI_TENSOR_TYPE_Q4_0, BENDI_TENSOR_TYPE_Q4_1, BENDI_TENSOR_TYPE_Q5_0,
  BENDI_TENSOR_TYPE_Q5_1, BENDI_TENSOR_TYPE_Q8_0, BENDI_TENSOR_TYPE_IQ4_NL,
  BENDI_TENSOR_TYPE_Q4_K, BENDI_TENSOR_TYPE_Q5_K, BENDI_TENSOR_TYPE_Q6_K,
  BENDI_TENSOR_TYPE_IQ4_XS,
};

static const BendiTensorType all_types[] = {
  BENDI_TENSOR_TYPE_F32, BENDI_TENSOR_TYPE_F16, BENDI_TENSOR_TYPE_BF16,
  BENDI_TENSOR_TYPE_Q4_0, BENDI_TENSOR_TYPE_Q4_1, BENDI_TENSOR_TYPE_Q5_0,
  BENDI_TENSOR_TYPE_Q5_1, BENDI_TENSOR_TYPE_Q8_0, BENDI_TENSOR_TYPE_Q2_K,
  BENDI_TENSOR_TYPE_Q3_K, BENDI_TENSOR_TYPE_Q4_K, BENDI_TENSOR_TYPE_Q5_K,
  BENDI_TENSOR_TYPE_Q6_K, BENDI_TENSOR_TYPE_IQ4_NL, BENDI_TENSOR_TYPE_IQ4_XS,
};

/* A device that runs @path, forced on (INT8 alone: the plain integer
 * variant, the dot product turned off); NULL and the test skipped where
 * the device lacks the features. */
static BendiVkDevice *
open_variant (BendiVkFastPath path,
              guint64         max_binding_bytes)
{
  BendiVkDeviceParams params;
  g_autoptr (BendiVkDevice) device = NULL;
  BendiVkFastPath used;

  bendi_vk_device_params_init (&params);
  params.cache_dir = "";
  params.gpu_kernels = TRUE;
  params.forced_fast_paths = path;
  params.disabled_fast_paths = path == BENDI_VK_FAST_INT8 ? BENDI_VK_FAST_INT8_DOT : 0;
  params.max_binding_bytes = max_binding_bytes;
  device = bendi_test_vk_device_new (&params);
  if (device == NULL)
    return NULL;
  used = bendi_vk_device_get_fast_paths (device);
  if (!(used & path))
    {
      g_test_skip ("the device lacks the features of this variant");
      return NULL;
    }
  /* The plain integer variant is not the dot product one in disguise. */
  if (path == BENDI_VK_FAST_INT8)
    g_assert_false (used & BENDI_VK_FAST_INT8_DOT);
  return g_steal_pointer (&device);
}

typedef enum {
  EPILOGUE_NONE,
  EPILOGUE_ACCUMULATE,   /* y += W · x, with partial sums of the new y² */
  EPILOGUE_NORM,         /* x RMS-normed on the way in, from a later token of x */
  EPILOGUE_GLU_BIAS,     /* (gate, up) row pairs plus a bias */
  EPILOGUE_ADD,          /* y += W · x (prompts: no partial sums) */
} Epilogue;

static double
silu (double v)
{
  return v / (1.0 + exp (-v));
}

/* The bound on |GPU − exact| for one output: float summation, plus for
 * 8-bit activations half a quantisation step of each block's scale times
 * the block's weights, plus for fp16 a few f16 roundings of each product. */
static double
product_tolerance (BendiVkFastPath  path,
                   const float     *w,
                   const double    *x,
                   gint64           n_cols)
{
  double magnitude = 0.0, quantisation = 0.0;

  for (gint64 c = 0; c < n_cols; c++)
    magnitude += fabs (w[c] * x[c]);
  if (path & (BENDI_VK_FAST_INT8 | BENDI_VK_FAST_INT8_DOT))
    for (gint64 b = 0; b < n_cols / 32; b++)
      {
        double amax = 0.0, weights = 0.0;

        for (gint64 i = 32 * b; i < 32 * b + 32; i++)
          {
            amax = MAX (amax, fabs (x[i]));
            weights += fabs (w[i]);
          }
        quantisation += 0.5 * amax / 127.0 * weights * 1.01;
      }
  if (path & BENDI_VK_FAST_FP16)
    return 3e-3 * magnitude + 1e-5;
  /* Each weight and activation rounded to float16_t once: 2^-11 each. */
  if (path & BENDI_VK_FAST_COOPMAT)
    return 1.2e-3 * magnitude + 1e-5;
  return quantisation + 2e-5 * magnitude + 1e-6;
}

static void
check_product (BendiVkDevice   *on,
               BendiVkFastPath  path,
               GRand           *rand,
               BendiTensorType  type,
               gint64           n_cols,
               gint64           n_rows,
               gint64           n_tokens,
               Epilogue         epilogue)
{
  g_autofree char *what = g_strdup_printf ("%s %" G_GINT64_FORMAT "×%" G_GINT64_FORMAT " with %" G_GINT64_FORMAT
                                           " tokens, epilogue %d", bendi_tensor_type_name (type), n_rows, n_cols,
                                           n_tokens, epilogue);
  gsize row_bytes;
  g_autofree float *values = bendi_test_random_floats (rand, (gsize) (n_cols * n_rows), 1.0f);
  g_autofree guint8 *data = NULL;
  g_autofree float *w = g_new (float, n_cols * n_rows);
  /* Strides of whole groups of four (vec4 loads) or not. */
  gint64 x_stride = n_cols + (n_tokens % 2 == 1 ? 4 : 3);
  gint64 x_first = epilogue == EPILOGUE_NORM ? 1 : 0;
  gint64 n_out = epilogue == EPILOGUE_GLU_BIAS ? n_rows / 2 : n_rows;
  gint64 y_stride = n_out + 5;
  g_autofree float *x = bendi_test_random_floats (rand, (gsize) (x_stride * (n_tokens + x_first)), 1.0f);
  g_autofree float *y_before = bendi_test_random_floats (rand, (gsize) (y_stride * n_tokens), 1.0f);
  g_autofree float *norm_weight = bendi_test_random_floats (rand, (gsize) n_cols, 0.5f);
  g_autofree float *bias = bendi_test_random_floats (rand, (gsize) n_rows, 1.0f);
  g_autofree float *partials = g_new0 (float, 4 * (n_tokens + x_first));
  g_autofree double *xn = g_new (double, n_cols);
  g_autofree double *dots = g_new (double, n_rows);
  g_autofree double *tolerances = g_new (double, n_rows);
  g_autofree float *y = NULL;
  g_autofree float *partials_out = NULL;
  g_autoptr (BendiVkTensor) tensor = NULL;
  g_autoptr (BendiVkBuffer) x_buffer = NULL;
  g_autoptr (BendiVkBuffer) y_buffer = NULL;
  g_autoptr (BendiVkBuffer) norm_buffer = NULL;
  g_autoptr (BendiVkBuffer) partials_buffer = NULL;
  g_autoptr (BendiVkBuffer) partials_out_buffer = NULL;
  g_autoptr (BendiVkBuffer) bias_buffer = NULL;
  g_autoptr (BendiVkRecorder) rec = NULL;
  g_autoptr (GError) error = NULL;
  BendiVkMatmulOptions options = { 0 };
  const float eps = 1e-5f;

  g_assert_true (bendi_tensor_type_row_bytes (type, n_cols, &row_bytes));
  data = g_malloc0 (row_bytes * (gsize) n_rows);
  for (gint64 r = 0; r < n_rows; r++)
    {
      bendi_quantize_row (type, values + r * n_cols, data + (gsize) r * row_bytes, n_cols);
      bendi_dequantize_row (type, data + (gsize) r * row_bytes, w + r * n_cols, n_cols);
    }
  for (gint64 c = 0; c < n_cols; c++)
    norm_weight[c] += 1.0f;
  /* Each token's sum of x², in three partial sums. */
  for (gint64 t = 0; t < n_tokens + x_first; t++)
    for (gint64 c = 0; c < n_cols; c++)
      partials[4 * t + c % 3] += x[t * x_stride + c] * x[t * x_stride + c];

  tensor = bendi_vk_tensor_new (on, type, n_cols, n_rows, &error);
  g_assert_no_error (error);
  bendi_vk_tensor_upload (tensor, data, NULL, NULL, &error);
  g_assert_no_error (error);
  x_buffer = bendi_test_vk_upload (on, x, (gsize) (x_stride * (n_tokens + x_first)) * sizeof (float));
  y_buffer = bendi_test_vk_upload (on, y_before, (gsize) (y_stride * n_tokens) * sizeof (float));
  switch (epilogue)
    {
    case EPILOGUE_NONE:
      break;
    case EPILOGUE_ACCUMULATE:
      options.accumulate = TRUE;
      options.partial_stride = 64;
      partials_out_buffer = bendi_test_vk_poisoned (on, (gsize) (64 * n_tokens) * sizeof (float));
      options.partials_out = partials_out_buffer;
      break;
    case EPILOGUE_NORM:
      norm_buffer = bendi_test_vk_upload (on, norm_weight, (gsize) n_cols * sizeof (float));
      partials_buffer = bendi_test_vk_upload (on, partials, (gsize) (4 * (n_tokens + x_first)) * sizeof (float));
      options.norm_weight = norm_buffer;
      options.norm_partials = partials_buffer;
      options.n_partials = 3;
      options.partial_stride = 4;
      options.eps = eps;
      options.x_first_token = x_first;
      break;
    case EPILOGUE_GLU_BIAS:
      bias_buffer = bendi_test_vk_upload (on, bias, (gsize) n_rows * sizeof (float));
      options.glu = TRUE;
      options.bias = bias_buffer;
      break;
    case EPILOGUE_ADD:
      options.accumulate = TRUE;
      break;
    }

  rec = bendi_vk_recorder_new (on, &error);
  g_assert_no_error (error);
  bendi_vk_recorder_begin (rec);
  if (epilogue == EPILOGUE_ACCUMULATE)
    g_assert_cmpint (bendi_vk_matmul_n_partials (rec, tensor), <=, 64);
  g_assert_true (bendi_vk_op_matmul_ex (rec, tensor, x_buffer, x_stride, y_buffer, y_stride, n_tokens, &options));
  bendi_test_vk_run (rec);
  y = bendi_test_vk_download (y_buffer);
  if (partials_out_buffer != NULL)
    partials_out = bendi_test_vk_download (partials_out_buffer);

  for (gint64 t = 0; t < n_tokens; t++)
    {
      const float *xt = x + (t + x_first) * x_stride;
      double scale = 1.0, squares = 0.0, partial_total = 0.0;

      if (epilogue == EPILOGUE_NORM)
        {
          double sum = 0.0;

          for (gint64 c = 0; c < n_cols; c++)
            sum += (double) xt[c] * xt[c];
          scale = 1.0 / sqrt (sum / (double) n_cols + eps);
        }
      for (gint64 c = 0; c < n_cols; c++)
        xn[c] = xt[c] * (epilogue == EPILOGUE_NORM ? norm_weight[c] * scale : 1.0);
      for (gint64 r = 0; r < n_rows; r++)
        {
          dots[r] = epilogue == EPILOGUE_GLU_BIAS ? bias[r] : 0.0;
          for (gint64 c = 0; c < n_cols; c++)
            dots[r] += (double) w[r * n_cols + c] * xn[c];
          tolerances[r] = product_tolerance (path, w + r * n_cols, xn, n_cols);
        }
      for (gint64 r = 0; r < y_stride; r++)
        {
          double got = y[t * y_stride + r], want, tolerance;

          if (r >= n_out)
            {
              g_assert_cmpfloat (got, ==, y_before[t * y_stride + r]);
              continue;
            }
          if (epilogue == EPILOGUE_GLU_BIAS)
            {
              double gate = dots[2 * r], up = dots[2 * r + 1];
              double tg = tolerances[2 * r], tu = tolerances[2 * r + 1];

              want = silu (gate) * up;
              /* silu's slope stays under 1.1. */
              tolerance = 1.1 * tg * fabs (up) + fabs (silu (gate)) * tu + 1.1 * tg * tu + 1e-6;
            }
          else
            {
              want = dots[r];
              tolerance = tolerances[r];
              if (epilogue == EPILOGUE_ACCUMULATE || epilogue == EPILOGUE_ADD)
                {
                  want += y_before[t * y_stride + r];
                  tolerance += 1e-6 * fabs (y_before[t * y_stride + r]);
                }
            }
          if (!(fabs (got - want) <= tolerance))
            g_error ("%s: row %" G_GINT64_FORMAT " token %" G_GINT64_FORMAT ": got %.8g, want %.8g (±%.3g)",
                     what, r, t, got, want, tolerance);
          squares += got * got;
        }
      if (partials_out != NULL)
        {
          for (gint64 i = 0; i < bendi_vk_matmul_n_partials (rec, tensor); i++)
            partial_total += partials_out[t * 64 + i];
          g_assert_cmpfloat_with_epsilon (partial_total, squares, 1e-4 * squares);
        }
    }
}

/* Row lengths for the type tests: three blocks of @type (of 32 at least),
 * or 53 floats, not whole groups of 16. */
static gint64
three_blocks (BendiTensorType type)
{
  guint32 block = bendi_tensor_type_info (type)->block_size;

  return block == 1 ? 53 : 3 * (gint64) MAX (block, 32);
}

static void
check_types (BendiVkFastPath        path,
             const BendiTensorType *types,
             gsize                  n_types,
             guint32                seed)
{
  g_autoptr (BendiVkDevice) device = open_variant (path, 0);
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);

  if (device == NULL)
    return;
  for (gsize i = 0; i < n_types; i++)
    {
      BendiTensorType type = types[i];
      gint64 n_cols = three_blocks (type);

      /* The engine finds the int8 variants among the shaders the build
       * made: each type listed here must have them. */
      if (path & (BENDI_VK_FAST_INT8 | BENDI_VK_FAST_INT8_DOT))
        g_assert_true (bendi_vk_pipeline_uses_int8 (device, type));
      check_product (device, path, rand, type, n_cols, 67, 1, EPILOGUE_NONE);
      check_product (device, path, rand, type, n_cols, 67, 3, EPILOGUE_NONE);
    }
}

static void
test_int8_dot_types (void)
{
  check_types (BENDI_VK_FAST_INT8_DOT, int8_types, G_N_ELEMENTS (int8_types), 1);
}

static void
test_int8_types (void)
{
  check_types (BENDI_VK_FAST_INT8, int8_types, G_N_ELEMENTS (int8_types), 2);
}

static void
test_fp16_types (void)
{
  check_types (BENDI_VK_FAST_FP16, all_types, G_N_ELEMENTS (all_types), 3);
}

/* The epilogues (the norm done by the quantiser for int8), eight tokens,
 * one row, rows longer than a workgroup's stride of blocks. */
static void
check_shapes (BendiVkFastPath path,
              guint32         seed)
{
  g_autoptr (BendiVkDevice) device = open_variant (path, 0);
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);

  if (device == NULL)
    return;
  check_product (device, path, rand, BENDI_TENSOR_TYPE_Q4_0, 32, 1, 1, EPILOGUE_NONE);
  check_product (device, path, rand, BENDI_TENSOR_TYPE_Q8_0, 32 * 70, 33, 8, EPILOGUE_NONE);
  check_product (device, path, rand, BENDI_TENSOR_TYPE_Q5_1, 128, 33, 2, EPILOGUE_ACCUMULATE);
  check_product (device, path, rand, BENDI_TENSOR_TYPE_Q4_1, 96, 35, 3, EPILOGUE_NORM);
  check_product (device, path, rand, BENDI_TENSOR_TYPE_Q5_0, 64, 34, 1, EPILOGUE_GLU_BIAS);
}

static void
test_int8_dot_shapes (void)
{
  check_shapes (BENDI_VK_FAST_INT8_DOT, 4);
}

static void
test_int8_shapes (void)
{
  check_shapes (BENDI_VK_FAST_INT8, 5);
}

static void
test_fp16_shapes (void)
{
  check_shapes (BENDI_VK_FAST_FP16, 6);
}

/* The CPU devices' kernel for Q4_0 rows of whole 256-element octets
 * quantises one or two tokens' activations to 8 bits as the int8 variants
 * do (bendi_vk_matmul_quantizes_x): the same bound, every epilogue, and
 * three tokens, which it takes as floats. */
static void
test_cpu_q4_0_shapes (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  g_autoptr (BendiVkDevice) device = NULL;
  BendiVkDeviceParams params;
  const BendiTensorType q4_0 = BENDI_TENSOR_TYPE_Q4_0;

  bendi_vk_device_params_init (&params);
  params.cache_dir = "";
  device = bendi_test_vk_device_new (&params);
  if (device == NULL)
    return;
  if (!bendi_vk_device_uses_cpu_kernels (device))
    {
      g_test_skip ("not a CPU device: its kernels are the GPUs'");
      return;
    }
  g_assert_true (bendi_vk_matmul_quantizes_x (device, q4_0, 256, 1, 0));
  g_assert_true (bendi_vk_matmul_quantizes_x (device, q4_0, 768, 2, 1));
  g_assert_true (bendi_vk_matmul_quantizes_x (device, q4_0, 256, 9, 8));
  g_assert_false (bendi_vk_matmul_quantizes_x (device, q4_0, 256, 3, 0));
  g_assert_false (bendi_vk_matmul_quantizes_x (device, q4_0, 96, 1, 0));
  g_assert_false (bendi_vk_matmul_quantizes_x (device, BENDI_TENSOR_TYPE_Q4_1, 256, 1, 0));
  check_product (device, BENDI_VK_FAST_INT8, rand, q4_0, 256, 67, 1, EPILOGUE_NONE);
  check_product (device, BENDI_VK_FAST_INT8, rand, q4_0, 512, 33, 2, EPILOGUE_ACCUMULATE);
  check_product (device, BENDI_VK_FAST_INT8, rand, q4_0, 256, 35, 1, EPILOGUE_NORM);
  check_product (device, BENDI_VK_FAST_INT8, rand, q4_0, 768, 34, 2, EPILOGUE_GLU_BIAS);
  check_product (device, 0, rand, q4_0, 256, 40, 3, EPILOGUE_NORM);
}

/* ------------------------------------------------------------------------ */
/* Prompts on cooperative matrices: run where the device has them (on CI,
 * Debian unstable's lavapipe through tests/coopmat-toolchain.sh's runner,
 * which sets BENDI_TEST_REQUIRE_COOPMAT so that their absence fails). */

static const BendiTensorType coopmat_types[] = {
  BENDI_TENSOR_TYPE_F16, BENDI_TENSOR_TYPE_Q4_0, BENDI_TENSOR_TYPE_Q4_1, BENDI_TENSOR_TYPE_Q5_0,
  BENDI_TENSOR_TYPE_Q5_1, BENDI_TENSOR_TYPE_Q8_0, BENDI_TENSOR_TYPE_Q2_K, BENDI_TENSOR_TYPE_Q3_K,
  BENDI_TENSOR_TYPE_Q4_K, BENDI_TENSOR_TYPE_Q5_K, BENDI_TENSOR_TYPE_Q6_K, BENDI_TENSOR_TYPE_IQ4_NL,
  BENDI_TENSOR_TYPE_IQ4_XS,
};

static BendiVkDevice *
open_coopmat (guint64 max_binding_bytes)
{
  gboolean required = bendi_test_coopmat_required ();
  g_autoptr (BendiVkDevice) device = NULL;
  BendiVkDeviceParams params;

  bendi_vk_device_params_init (&params);
  params.cache_dir = "";
  params.gpu_kernels = TRUE;
  params.forced_fast_paths = BENDI_VK_FAST_COOPMAT;
  params.max_binding_bytes = max_binding_bytes;
  device = bendi_test_vk_device_new (&params);
  if (device == NULL)
    {
      g_assert_false (required);
      return NULL;
    }
  if (!(bendi_vk_device_get_fast_paths (device) & BENDI_VK_FAST_COOPMAT))
    {
      const char *why = "no cooperative matrices here (VK_KHR_cooperative_matrix with an f16 shape, or a glslc "
                        "that compiles them); CI runs these on Debian unstable's lavapipe, see "
                        "tests/coopmat-toolchain.sh";

      if (required)
        g_error ("%s", why);
      g_test_skip (why);
      return NULL;
    }
  return g_steal_pointer (&device);
}

/* The prompt kernel @type's products take: the cooperative-matrix one. */
static void
assert_coopmat_pipeline (BendiVkDevice   *device,
                         BendiTensorType  type,
                         gboolean         expected)
{
  g_autoptr (GError) error = NULL;
  const BendiVkPipeline *pipeline = bendi_vk_pipeline_get (device, BENDI_VK_OP_MATMUL, type, 1, 0, &error);

  g_assert_no_error (error);
  g_assert_cmpint (g_str_has_suffix (pipeline->name, "_coopmat"), ==, expected);
  g_assert_cmpuint (pipeline->tokens_per_workgroup, ==, expected ? 4 * bendi_vk_device_get_info (device)->coopmat_n : 64);
}

/* Every type with a cooperative-matrix kernel: 67 rows and 9 or 40 tokens
 * (edges of the device's tiles either way), three blocks deep. F32 and
 * BF16 keep the f32 kernel. */
static void
test_coopmat_types (void)
{
  g_autoptr (BendiVkDevice) device = open_coopmat (0);
  g_autoptr (GRand) rand = g_rand_new_with_seed (8);

  if (device == NULL)
    return;
  g_test_message ("cooperative matrices of %ux%ux%u", bendi_vk_device_get_info (device)->coopmat_m,
                  bendi_vk_device_get_info (device)->coopmat_n, bendi_vk_device_get_info (device)->coopmat_k);
  for (gsize i = 0; i < G_N_ELEMENTS (coopmat_types); i++)
    {
      BendiTensorType type = coopmat_types[i];
      gint64 n_cols = three_blocks (type);

      assert_coopmat_pipeline (device, type, TRUE);
      check_product (device, BENDI_VK_FAST_COOPMAT, rand, type, n_cols, 67, 9, EPILOGUE_NONE);
      check_product (device, BENDI_VK_FAST_COOPMAT, rand, type, n_cols, 67, 40, EPILOGUE_NONE);
    }
  assert_coopmat_pipeline (device, BENDI_TENSOR_TYPE_F32, FALSE);
  assert_coopmat_pipeline (device, BENDI_TENSOR_TYPE_BF16, FALSE);
}

/* The epilogues, a long row, a wide prompt, and tensors in chunks. */
static void
test_coopmat_shapes (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (9);

  {
    g_autoptr (BendiVkDevice) device = open_coopmat (0);

    if (device == NULL)
      return;
    check_product (device, BENDI_VK_FAST_COOPMAT, rand, BENDI_TENSOR_TYPE_Q4_0, 64, 34, 70, EPILOGUE_GLU_BIAS);
    check_product (device, BENDI_VK_FAST_COOPMAT, rand, BENDI_TENSOR_TYPE_Q5_1, 128, 33, 12, EPILOGUE_ADD);
    check_product (device, BENDI_VK_FAST_COOPMAT, rand, BENDI_TENSOR_TYPE_Q8_0, 32 * 70, 20, 9, EPILOGUE_NONE);
    check_product (device, BENDI_VK_FAST_COOPMAT, rand, BENDI_TENSOR_TYPE_Q4_K, 256, 130, 100, EPILOGUE_NONE);
  }
  {
    g_autoptr (BendiVkDevice) device = open_coopmat (1000);
    g_autoptr (GError) error = NULL;
    g_autoptr (BendiVkTensor) probe = bendi_vk_tensor_new (device, BENDI_TENSOR_TYPE_Q4_0, 64, 80, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (bendi_vk_tensor_get_n_chunks (probe), >, 1);
    check_product (device, BENDI_VK_FAST_COOPMAT, rand, BENDI_TENSOR_TYPE_Q4_0, 64, 80, 17, EPILOGUE_NONE);
  }
}

/* Bindings of 1000 bytes: every tensor in chunks, the activations
 * quantised once for all of them. */
static void
test_split (void)
{
  const BendiVkFastPath paths[] = { BENDI_VK_FAST_INT8_DOT, BENDI_VK_FAST_FP16 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);

  for (gsize p = 0; p < G_N_ELEMENTS (paths); p++)
    {
      g_autoptr (BendiVkDevice) device = open_variant (paths[p], 1000);
      g_autoptr (GError) error = NULL;
      g_autoptr (BendiVkTensor) probe = NULL;

      /* One variant missing still leaves the other to check. */
      if (device == NULL)
        continue;
      probe = bendi_vk_tensor_new (device, BENDI_TENSOR_TYPE_Q4_0, 64, 80, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (bendi_vk_tensor_get_n_chunks (probe), >, 1);
      check_product (device, paths[p], rand, BENDI_TENSOR_TYPE_Q4_0, 64, 80, 3, EPILOGUE_NONE);
      check_product (device, paths[p], rand, BENDI_TENSOR_TYPE_Q8_0, 96, 80, 2, EPILOGUE_ACCUMULATE);
    }
}

/* The portable variants turn every fast path off, forced or not. */
static void
test_portable_wins (void)
{
  BendiVkDeviceParams params;
  g_autoptr (BendiVkDevice) device = NULL;

  bendi_vk_device_params_init (&params);
  params.cache_dir = "";
  params.forced_fast_paths = BENDI_VK_FAST_ALL;
  params.portable_only = TRUE;
  device = bendi_test_vk_device_new (&params);
  if (device == NULL)
    return;
  g_assert_cmpint (bendi_vk_device_get_fast_paths (device), ==, 0);
  g_clear_pointer (&device, bendi_vk_device_free);

  /* Turning int8 off turns its dot product variant off too. */
  params.portable_only = FALSE;
  params.disabled_fast_paths = BENDI_VK_FAST_INT8;
  device = bendi_test_vk_device_new (&params);
  g_assert_nonnull (device);
  g_assert_cmpint (bendi_vk_device_get_fast_paths (device) & (BENDI_VK_FAST_INT8 | BENDI_VK_FAST_INT8_DOT), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/vulkan-fast/int8-dot-types", test_int8_dot_types);
  g_test_add_func ("/engine/vulkan-fast/int8-types", test_int8_types);
  g_test_add_func ("/engine/vulkan-fast/fp16-types", test_fp16_types);
  g_test_add_func ("/engine/vulkan-fast/int8-dot-shapes", test_int8_dot_shapes);
  g_test_add_func ("/engine/vulkan-fast/int8-shapes", test_int8_shapes);
  g_test_add_func ("/engine/vulkan-fast/fp16-shapes", test_fp16_shapes);
  g_test_add_func ("/engine/vulkan-fast/split", test_split);
  g_test_add_func ("/engine/vulkan-fast/cpu-q4_0-shapes", test_cpu_q4_0_shapes);
  g_test_add_func ("/engine/vulkan-fast/coopmat/types", test_coopmat_types);
  g_test_add_func ("/engine/vulkan-fast/coopmat/shapes", test_coopmat_shapes);
  g_test_add_func ("/engine/vulkan-fast/portable-wins", test_portable_wins);
  return g_test_run ();
}
