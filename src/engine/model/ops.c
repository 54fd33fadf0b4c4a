/* SPDX-License-Identifier: MIT */
/* Element-wise transformer steps, written plainly: they cost little next to the matrix products. */
#include "model/ops.h"

#include <math.h>

void
bendi_rms_norm (float       *out,
                const float *x,
                const float *weight,
                gint64       n,
                float        eps)
{
  double sum = 0.0;
  float scale;

  /* as ggml sums them: each square rounded to single precision, the sum
   * and the mean in double precision, then the scale in single */
  for (gint64 i = 0; i < n; i++)
    sum += (double) (x[i] * x[i]);
  scale = 1.0f / sqrtf ((float) (sum / (double) n) + eps);
  if (weight != NULL)
    for (gint64 i = 0; i < n; i++)
      out[i] = x[i] * scale * weight[i];
  else
    for (gint64 i = 0; i < n; i++)
      out[i] = x[i] * scale;
}

/* YaRN blends interpolated and extrapolated angles: dimensions that rotate
 * fast keep their angle, slow ones are interpolated, with a ramp between
 * the two "correction" dimensions. */
static float
yarn_ramp (float  low,
           float  high,
           gint64 i0)
{
  float y = ((float) (i0 / 2) - low) / MAX (0.001f, high - low);

  return 1.0f - MIN (1.0f, MAX (0.0f, y));
}

/* The dimension whose wavelength makes @n_rotations turns over the
 * original context. */
static float
yarn_correction_dim (gint64 n_rot,
                     gint64 n_ctx_orig,
                     float  n_rotations,
                     float  base)
{
  return (float) n_rot * logf ((float) n_ctx_orig / (n_rotations * 2.0f * (float) G_PI)) / (2.0f * logf (base));
}

void
bendi_rope_table (float                  *cos_out,
                  float                  *sin_out,
                  const BendiModelConfig *config,
                  const float            *freq_factors,
                  gint64                  pos)
{
  gint64 n_rot = config->n_rot;
  float freq_scale = config->rope_freq_scale;
  float ext_factor = config->rope_scaling == BENDI_ROPE_SCALING_YARN ? config->yarn_ext_factor : 0.0f;
  float mscale = config->rope_scaling == BENDI_ROPE_SCALING_YARN ? config->yarn_attn_factor : 1.0f;
  /* Each pair's frequency is the previous one's times base^(-2/n_rot),
   * computed by repeated multiplication as llama.cpp does, so angles agree
   * to the last bit. */
  float theta_scale = powf (config->rope_freq_base, -2.0f / (float) n_rot);
  float theta = (float) pos;
  float corr_low = 0.0f, corr_high = 0.0f;

  if (ext_factor != 0.0f)
    {
      corr_low = floorf (yarn_correction_dim (n_rot, config->rope_n_ctx_orig, config->yarn_beta_fast,
                                              config->rope_freq_base));
      corr_high = ceilf (yarn_correction_dim (n_rot, config->rope_n_ctx_orig, config->yarn_beta_slow,
                                              config->rope_freq_base));
      corr_low = MAX (0.0f, corr_low);
      corr_high = MIN ((float) (n_rot - 1), corr_high);
      mscale *= 1.0f + 0.1f * logf (1.0f / freq_scale);
    }

  for (gint64 i0 = 0; i0 < n_rot; i0 += 2)
    {
      float theta_extrap = freq_factors != NULL ? theta / freq_factors[i0 / 2] : theta;
      float theta_interp = freq_scale * theta_extrap;
      float angle = theta_interp;

      if (ext_factor != 0.0f)
        {
          float mix = yarn_ramp (corr_low, corr_high, i0) * ext_factor;

          angle = theta_interp * (1.0f - mix) + theta_extrap * mix;
        }
      cos_out[i0 / 2] = cosf (angle) * mscale;
      sin_out[i0 / 2] = sinf (angle) * mscale;
      theta *= theta_scale;
    }
}

void
bendi_rope_apply (float         *head,
                  const float   *cos_table,
                  const float   *sin_table,
                  gint64         n_rot,
                  BendiRopeType  type)
{
  gint64 half = n_rot / 2;

  for (gint64 i = 0; i < half; i++)
    {
      /* NORMAL rotates neighbours, NEOX the two halves of the rotated part. */
      gint64 a = type == BENDI_ROPE_NORMAL ? 2 * i : i;
      gint64 b = type == BENDI_ROPE_NORMAL ? 2 * i + 1 : i + half;
      float x0 = head[a];
      float x1 = head[b];

      /* ggml's rotation as its compiler contracts it: the first product
       * fused, the second rounded (llama.cpp's RoPE, bit for bit) */
      head[a] = fmaf (x0, cos_table[i], -(x1 * sin_table[i]));
      head[b] = fmaf (x0, sin_table[i], x1 * cos_table[i]);
    }
}

void
bendi_swiglu (float       *out,
              const float *gate,
              const float *up,
              gint64       n)
{
  for (gint64 i = 0; i < n; i++)
    out[i] = gate[i] / (1.0f + expf (-gate[i])) * up[i];
}

void
bendi_softmax (float *x,
               gint64 n)
{
  float max = -INFINITY;
  double sum = 0.0;
  float inv;

  for (gint64 i = 0; i < n; i++)
    max = MAX (max, x[i]);
  for (gint64 i = 0; i < n; i++)
    {
      x[i] = expf (x[i] - max);
      sum += x[i];
    }
  inv = (float) (1.0 / sum);
  for (gint64 i = 0; i < n; i++)
    x[i] *= inv;
}

void
bendi_add (float       *out,
           const float *x,
           gint64       n)
{
  for (gint64 i = 0; i < n; i++)
    out[i] += x[i];
}
