/* SPDX-License-Identifier: MIT */
/* The element-wise transformer steps: RMS norm, RoPE with its scalings, SwiGLU, softmax. */
#include <math.h>

#include "model/ops.h"

static BendiModelConfig
rope_config (gint64 n_rot,
             float  base)
{
  BendiModelConfig c = { 0 };

  c.n_rot = n_rot;
  c.head_dim = n_rot;
  c.rope_freq_base = base;
  c.rope_freq_scale = 1.0f;
  c.rope_scaling = BENDI_ROPE_SCALING_NONE;
  c.rope_n_ctx_orig = 4096;
  c.yarn_attn_factor = 1.0f;
  c.yarn_beta_fast = 32.0f;
  c.yarn_beta_slow = 1.0f;
  return c;
}

static void
test_rms_norm (void)
{
  const float x[4] = { 1, -2, 3, -4 };      /* mean square 7.5 */
  const float w[4] = { 1, 1, 2, 0.5f };
  float out[4];
  float scale = 1.0f / sqrtf (7.5f + 1e-5f);

  bendi_rms_norm (out, x, w, 4, 1e-5f);
  g_assert_cmpfloat_with_epsilon (out[0], 1 * scale, 1e-6);
  g_assert_cmpfloat_with_epsilon (out[1], -2 * scale, 1e-6);
  g_assert_cmpfloat_with_epsilon (out[2], 6 * scale, 1e-6);
  g_assert_cmpfloat_with_epsilon (out[3], -2 * scale, 1e-6);

  /* in place, without weights */
  {
    float y[4] = { 1, -2, 3, -4 };

    bendi_rms_norm (y, y, NULL, 4, 1e-5f);
    g_assert_cmpfloat_with_epsilon (y[3], -4 * scale, 1e-6);
  }
}

/* Angles are pos · base^(-2i/n_rot): position 0 is the identity. */
static void
test_rope_angles (void)
{
  BendiModelConfig c = rope_config (8, 10000.0f);
  float cos_t[4], sin_t[4];

  bendi_rope_table (cos_t, sin_t, &c, NULL, 0);
  for (int i = 0; i < 4; i++)
    {
      g_assert_cmpfloat (cos_t[i], ==, 1.0f);
      g_assert_cmpfloat (sin_t[i], ==, 0.0f);
    }
  bendi_rope_table (cos_t, sin_t, &c, NULL, 7);
  for (int i = 0; i < 4; i++)
    {
      double angle = 7.0 * pow (10000.0, -2.0 * i / 8.0);

      g_assert_cmpfloat_with_epsilon (cos_t[i], cos (angle), 1e-5);
      g_assert_cmpfloat_with_epsilon (sin_t[i], sin (angle), 1e-5);
    }
}

/* Linear scaling by 4 makes position 8 look like position 2; frequency
 * factors divide each pair's angle. */
static void
test_rope_scaling (void)
{
  BendiModelConfig plain = rope_config (16, 500000.0f);
  BendiModelConfig linear = plain;
  float a_cos[8], a_sin[8], b_cos[8], b_sin[8];
  float factors[8];

  linear.rope_scaling = BENDI_ROPE_SCALING_LINEAR;
  linear.rope_freq_scale = 0.25f;
  bendi_rope_table (a_cos, a_sin, &plain, NULL, 2);
  bendi_rope_table (b_cos, b_sin, &linear, NULL, 8);
  for (int i = 0; i < 8; i++)
    {
      g_assert_cmpfloat_with_epsilon (a_cos[i], b_cos[i], 1e-5);
      g_assert_cmpfloat_with_epsilon (a_sin[i], b_sin[i], 1e-5);
    }

  for (int i = 0; i < 8; i++)
    factors[i] = (float) (i + 1);
  bendi_rope_table (b_cos, b_sin, &plain, factors, 100);
  for (int i = 0; i < 8; i++)
    {
      double angle = 100.0 * pow (500000.0, -2.0 * i / 16.0) / (i + 1);

      g_assert_cmpfloat_with_epsilon (b_cos[i], cos (angle), 1e-4);
      g_assert_cmpfloat_with_epsilon (b_sin[i], sin (angle), 1e-4);
    }
}

/* YaRN keeps the fastest-rotating pairs as they are, interpolates the
 * slowest, and scales every rotation by 1 + 0.1 ln (factor). */
static void
test_rope_yarn (void)
{
  BendiModelConfig c = rope_config (128, 10000.0f);
  float cos_t[64], sin_t[64];
  float mscale = 1.0f + 0.1f * logf (4.0f);
  gint64 pos = 1000;

  c.rope_scaling = BENDI_ROPE_SCALING_YARN;
  c.rope_freq_scale = 0.25f;
  c.yarn_ext_factor = 1.0f;
  c.rope_n_ctx_orig = 4096;
  bendi_rope_table (cos_t, sin_t, &c, NULL, pos);
  for (int i = 0; i < 64; i++)
    g_assert_cmpfloat_with_epsilon (cos_t[i] * cos_t[i] + sin_t[i] * sin_t[i], mscale * mscale, 1e-4);
  /* pair 0 rotates by pos radians exactly: extrapolated */
  g_assert_cmpfloat_with_epsilon (atan2f (sin_t[0], cos_t[0]), atan2f (sinf (1000.0f), cosf (1000.0f)), 1e-3);
  /* the last pair is interpolated: a quarter of its plain angle */
  {
    double angle = 0.25 * pos * pow (10000.0, -2.0 * 63 / 128.0);

    g_assert_cmpfloat_with_epsilon (cos_t[63] / mscale, cos (angle), 1e-4);
    g_assert_cmpfloat_with_epsilon (sin_t[63] / mscale, sin (angle), 1e-4);
  }
}

/* NORMAL rotates neighbours, NEOX the halves; both keep the length and
 * leave the dimensions past n_rot alone. */
static void
test_rope_apply (void)
{
  const float cos_t[2] = { 0.0f, 1.0f };   /* pair 0 turns by 90°, pair 1 not */
  const float sin_t[2] = { 1.0f, 0.0f };
  float normal[6] = { 1, 2, 3, 4, 5, 6 };
  float neox[6] = { 1, 2, 3, 4, 5, 6 };

  bendi_rope_apply (normal, cos_t, sin_t, 4, BENDI_ROPE_NORMAL);
  /* (1, 2) → (-2, 1); (3, 4) unchanged */
  g_assert_cmpfloat (normal[0], ==, -2);
  g_assert_cmpfloat (normal[1], ==, 1);
  g_assert_cmpfloat (normal[2], ==, 3);
  g_assert_cmpfloat (normal[3], ==, 4);
  g_assert_cmpfloat (normal[4], ==, 5);

  bendi_rope_apply (neox, cos_t, sin_t, 4, BENDI_ROPE_NEOX);
  /* (x0, x2) = (1, 3) → (-3, 1); (x1, x3) = (2, 4) unchanged */
  g_assert_cmpfloat (neox[0], ==, -3);
  g_assert_cmpfloat (neox[2], ==, 1);
  g_assert_cmpfloat (neox[1], ==, 2);
  g_assert_cmpfloat (neox[3], ==, 4);
  g_assert_cmpfloat (neox[5], ==, 6);
}

static void
test_swiglu (void)
{
  const float gate[3] = { 0.0f, 2.0f, -3.0f };
  const float up[3] = { 5.0f, 0.5f, 2.0f };
  float out[3];

  bendi_swiglu (out, gate, up, 3);
  g_assert_cmpfloat (out[0], ==, 0.0f);
  g_assert_cmpfloat_with_epsilon (out[1], 2.0 / (1.0 + exp (-2.0)) * 0.5, 1e-6);
  g_assert_cmpfloat_with_epsilon (out[2], -3.0 / (1.0 + exp (3.0)) * 2.0, 1e-6);
}

static void
test_softmax (void)
{
  float x[4] = { 1000.0f, 1001.0f, -INFINITY, 999.0f };
  double e = exp (1.0), sum = 1.0 + e + 1.0 / e;

  bendi_softmax (x, 4);
  g_assert_cmpfloat_with_epsilon (x[0], 1.0 / sum, 1e-6);
  g_assert_cmpfloat_with_epsilon (x[1], e / sum, 1e-6);
  g_assert_cmpfloat (x[2], ==, 0.0f);
  g_assert_cmpfloat_with_epsilon (x[3], 1.0 / e / sum, 1e-6);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/ops/rms-norm", test_rms_norm);
  g_test_add_func ("/engine/ops/rope-angles", test_rope_angles);
  g_test_add_func ("/engine/ops/rope-scaling", test_rope_scaling);
  g_test_add_func ("/engine/ops/rope-yarn", test_rope_yarn);
  g_test_add_func ("/engine/ops/rope-apply", test_rope_apply);
  g_test_add_func ("/engine/ops/swiglu", test_swiglu);
  g_test_add_func ("/engine/ops/softmax", test_softmax);

  return g_test_run ();
}
