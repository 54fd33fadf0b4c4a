/* SPDX-License-Identifier: MIT */
/* The op functions: argument checks, push constants and grid sizes for each shader. */
#include "vulkan/vk-ops.h"

#include <math.h>
#include <stdarg.h>

#include "engine-error.h"
#include "vulkan/vk-private.h"
#include "vulkan/vk-push-constants.h"

/* Vulkan guarantees 65535 workgroups along each axis; longer grids fold
 * into y and the shaders skip the overshoot. */
#define MAX_GROUPS_X 65535u

static gboolean G_GNUC_PRINTF (3, 4)
check (BendiVkRecorder *rec,
       gboolean         ok,
       const char      *format,
       ...)
{
  va_list args;
  g_autofree char *message = NULL;

  if (ok)
    return TRUE;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  bendi_vk_recorder_fail (rec, g_error_new_literal (BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_ARGUMENT,
                                                    message));
  return FALSE;
}

/* @n_rows rows of @n floats, @stride apart, fit in @buffer; every count
 * fits the shaders' 32-bit indices. */
static gboolean
check_rows (BendiVkRecorder *rec,
            BendiVkBuffer   *buffer,
            gint64           stride,
            gint64           n,
            gint64           n_rows,
            const char      *what)
{
  guint64 needed;

  if (!check (rec, buffer != NULL, "%s: no buffer", what) ||
      !check (rec, n > 0 && n_rows > 0 && stride >= n && stride <= G_MAXUINT32 && n_rows <= G_MAXUINT32,
              "%s: %" G_GINT64_FORMAT " rows of %" G_GINT64_FORMAT " with stride %" G_GINT64_FORMAT
              " is not a valid shape", what, n_rows, n, stride))
    return FALSE;
  needed = ((guint64) (n_rows - 1) * (guint64) stride + (guint64) n) * sizeof (float);
  return check (rec, needed <= bendi_vk_buffer_get_size (buffer),
                "%s: %" G_GUINT64_FORMAT " bytes needed, the buffer has %" G_GSIZE_FORMAT,
                what, needed, bendi_vk_buffer_get_size (buffer));
}

static gboolean
check_ints (BendiVkRecorder *rec,
            BendiVkBuffer   *buffer,
            gint64           n,
            const char      *what)
{
  return check (rec, buffer != NULL && n > 0 && (guint64) n * 4 <= bendi_vk_buffer_get_size (buffer),
                "%s: a buffer of %" G_GINT64_FORMAT " int32 values is needed", what, n);
}

/* The pipeline for @op specialised for @size (bendi_vk_pipeline_get). */
static const BendiVkPipeline *
get_sized_pipeline (BendiVkRecorder      *rec,
                    BendiVkOp             op,
                    BendiTensorType       type,
                    guint32               size,
                    BendiVkOperandLayout  layout)
{
  GError *error = NULL;
  const BendiVkPipeline *pipeline;

  if (bendi_vk_recorder_failed (rec))
    return NULL;
  pipeline = bendi_vk_pipeline_get (bendi_vk_recorder_get_device (rec), op, type, size, layout, &error);
  if (pipeline == NULL)
    bendi_vk_recorder_fail (rec, error);
  return pipeline;
}

static const BendiVkPipeline *
get_pipeline (BendiVkRecorder *rec,
              BendiVkOp        op,
              BendiTensorType  type)
{
  return get_sized_pipeline (rec, op, type, 0, 0);
}

static guint32
div_up (guint64 n,
        guint64 d)
{
  return (guint32) ((n + d - 1) / d);
}

static gboolean
record_flat (BendiVkRecorder       *rec,
             const BendiVkPipeline *pipeline,
             BendiVkBuffer *const  *bindings,
             const void            *constants,
             guint64                n_groups)
{
  guint32 x = (guint32) MIN (n_groups, MAX_GROUPS_X);

  return bendi_vk_recorder_record (rec, pipeline, bindings, constants, x, div_up (n_groups, x), 1);
}

/* ------------------------------------------------------------------------ */
/* Matrix products and embeddings */

/* CPU devices read the weights once per MATVEC_MAX_TOKENS tokens, which
 * costs them less than the tiled kernel's barriers. */
static gboolean
uses_matvec (BendiVkRecorder *rec,
             gint64           n_tokens)
{
  return n_tokens <= BENDI_VK_MATVEC_MAX_TOKENS || bendi_vk_recorder_get_device (rec)->use_cpu_kernels;
}

gboolean
bendi_vk_matmul_can_norm (BendiVkRecorder *rec,
                          gint64           n_tokens)
{
  return uses_matvec (rec, n_tokens);
}

/* Rows of one partial sum of squares: a workgroup's, or on CPU devices an
 * invocation's. */
static gint64
rows_per_partial (BendiVkRecorder *rec)
{
  BendiVkDevice *device = bendi_vk_recorder_get_device (rec);

  return device->use_cpu_kernels ? BENDI_VK_ROWS_PER_LANE : device->matvec_rows;
}

gint64
bendi_vk_matmul_n_partials (BendiVkRecorder     *rec,
                            const BendiVkTensor *weights)
{
  gint64 per = rows_per_partial (rec);
  gint64 n = 0;

  for (guint i = 0; i < bendi_vk_tensor_get_n_chunks (weights); i++)
    n += (bendi_vk_tensor_get_chunk (weights, i)->n_rows + per - 1) / per;
  return n;
}

gboolean
bendi_vk_matmul_quantizes_x (BendiVkDevice   *device,
                             BendiTensorType  type,
                             gint64           n_cols,
                             gint64           n_tokens,
                             gint64           token)
{
  /* The matrix × vector shaders take tokens in passes of at most
   * BENDI_VK_MATVEC_MAX_TOKENS (bendi_vk_op_matmul_ex). */
  gint64 pass_first = token - token % BENDI_VK_MATVEC_MAX_TOKENS;
  gsize row_bytes;

  return bendi_tensor_type_row_bytes (type, n_cols, &row_bytes) && bendi_vk_rows_on_texels (device, type, row_bytes) &&
         MIN (BENDI_VK_MATVEC_MAX_TOKENS, n_tokens - pass_first) <= 2;
}

/* Records the quantisation of @n_tokens tokens of @x (from
 * options->x_first_token on, normed as @options say) to 8-bit blocks in the
 * recorder's scratch buffer, which it returns (NULL on failure). */
static BendiVkBuffer *
quantize_activations (BendiVkRecorder            *rec,
                      BendiVkBuffer              *x,
                      gint64                      x_stride,
                      gint64                      n_cols,
                      gint64                      n_tokens,
                      const BendiVkMatmulOptions *options)
{
  guint64 n_blocks = (guint64) n_cols / 32;
  const BendiVkPipeline *pipeline;
  BendiVkBuffer *scratch;
  BendiVkQuantizeConstants constants = {
    .n_cols = (guint32) n_cols,
    .n_tokens = (guint32) n_tokens,
    .x_stride = (guint32) x_stride,
    .x_first_token = (guint32) options->x_first_token,
    .norm = options->norm_weight != NULL,
    .n_partials = (guint32) options->n_partials,
    .partial_stride = (guint32) options->partial_stride,
    .eps = options->eps,
  };

  if (!check (rec, n_cols % 32 == 0 && n_tokens <= MAX_GROUPS_X,
              "matmul: the int8 shaders take whole blocks of 32 columns"))
    return NULL;
  pipeline = get_pipeline (rec, BENDI_VK_OP_QUANTIZE_Q8, BENDI_TENSOR_TYPE_F32);
  scratch = bendi_vk_recorder_get_scratch (rec, (gsize) n_tokens * n_blocks * BENDI_VK_Q8_BLOCK_WORDS * 4);
  if (pipeline == NULL || scratch == NULL)
    return NULL;
  {
    BendiVkBuffer *bindings[] = { x, options->norm_weight, options->norm_partials, scratch };

    if (!bendi_vk_recorder_record (rec, pipeline, bindings, &constants, div_up (n_blocks, pipeline->workgroup_size),
                                   (guint32) n_tokens, 1))
      return NULL;
  }
  return scratch;
}

gboolean
bendi_vk_op_matmul (BendiVkRecorder     *rec,
                    const BendiVkTensor *weights,
                    BendiVkBuffer       *x,
                    gint64               x_stride,
                    BendiVkBuffer       *y,
                    gint64               y_stride,
                    gint64               n_tokens,
                    gboolean             accumulate)
{
  BendiVkMatmulOptions options = { .accumulate = accumulate };

  return bendi_vk_op_matmul_ex (rec, weights, x, x_stride, y, y_stride, n_tokens, &options);
}

gboolean
bendi_vk_op_matmul_ex (BendiVkRecorder            *rec,
                       const BendiVkTensor        *weights,
                       BendiVkBuffer              *x,
                       gint64                      x_stride,
                       BendiVkBuffer              *y,
                       gint64                      y_stride,
                       gint64                      n_tokens,
                       const BendiVkMatmulOptions *options)
{
  BendiTensorType type = bendi_vk_tensor_get_type (weights);
  gint64 n_cols = bendi_vk_tensor_get_n_cols (weights);
  gint64 n_rows = bendi_vk_tensor_get_n_rows (weights);
  gint64 n_out = options->glu ? n_rows / 2 : n_rows;
  gboolean use_matvec = uses_matvec (rec, n_tokens);
  gboolean norm = options->norm_weight != NULL;
  gboolean partials = options->partials_out != NULL;
  /* Four activations at a time where every token's row starts on a
   * 16-byte boundary and holds whole groups of 16; CPU devices take Q4_0
   * rows that start on 16-byte texels eight blocks a step. */
  BendiVkOperandLayout layout =
    (x_stride % 4 == 0 && n_cols % 16 == 0 ? BENDI_VK_X_VEC4 : 0) |
    (bendi_vk_rows_on_texels (bendi_vk_recorder_get_device (rec), type, bendi_vk_tensor_get_row_bytes (weights))
     ? BENDI_VK_ROWS_ON_TEXELS : 0);
  guint32 flags = (options->accumulate ? BENDI_VK_MATMUL_ACCUMULATE : 0) |
                  (options->glu ? BENDI_VK_MATMUL_GLU : 0) |
                  (norm ? BENDI_VK_MATMUL_NORM : 0) |
                  (options->bias != NULL ? BENDI_VK_MATMUL_BIAS : 0) |
                  (partials ? BENDI_VK_MATMUL_PARTIALS : 0);
  gint64 partial_base = 0;
  gint64 x_first_token = options->x_first_token;
  const BendiVkPipeline *pipeline;

  if (!check (rec, options->x_first_token >= 0 && (options->x_first_token == 0 || use_matvec),
             "matmul: only the matrix × vector shaders start at a later token of x") ||
      !check_rows (rec, x, x_stride, n_cols, options->x_first_token + n_tokens, "matmul input") ||
      !check (rec, options->y_offset >= 0 && options->y_offset <= y_stride - n_out,
              "matmul: %" G_GINT64_FORMAT " outputs at %" G_GINT64_FORMAT " do not fit rows of %" G_GINT64_FORMAT,
              n_out, options->y_offset, y_stride) ||
      !check_rows (rec, y, y_stride, options->y_offset + n_out, n_tokens, "matmul output") ||
      !check (rec, bendi_vk_type_is_supported (type), "The Vulkan backend has no shaders for %s weights",
              bendi_tensor_type_name (type)) ||
      !check (rec, !options->glu || (n_rows % 2 == 0 && options->y_offset == 0 && !options->accumulate &&
                                     !partials),
              "matmul: GLU takes (gate, up) row pairs and stores, without accumulating") ||
      !check (rec, (!norm && !partials) || use_matvec,
              "matmul: only the matrix × vector shaders norm their input or write partial sums") ||
      !check (rec, !partials || options->accumulate, "matmul: partial sums are of accumulated rows") ||
      (options->bias != NULL && !check_rows (rec, options->bias, options->y_offset + n_rows, options->y_offset + n_rows,
                                             1, "matmul bias")) ||
      (norm && (!check_rows (rec, options->norm_weight, n_cols, n_cols, 1, "matmul norm weight") ||
                !check (rec, options->n_partials > 0 && options->partial_stride >= options->n_partials,
                        "matmul: a norm needs its partial sums") ||
                !check_rows (rec, options->norm_partials, options->partial_stride, options->n_partials,
                             options->x_first_token + n_tokens, "matmul norm partials"))) ||
      (partials && !check_rows (rec, options->partials_out, options->partial_stride,
                                bendi_vk_matmul_n_partials (rec, weights), n_tokens, "matmul partial sums")))
    return FALSE;

  /* The int8 variants read x quantised (and normed) by a dispatch of its
   * own, for every chunk at once. */
  if (use_matvec && bendi_vk_pipeline_uses_int8 (bendi_vk_recorder_get_device (rec), type))
    {
      x = quantize_activations (rec, x, x_stride, n_cols, n_tokens, options);
      if (x == NULL)
        return FALSE;
      x_stride = n_cols;
      flags &= ~BENDI_VK_MATMUL_NORM;
      x_first_token = 0;
    }

  /* One dispatch per chunk of rows; each writes its own rows of y. */
  for (guint i = 0; i < bendi_vk_tensor_get_n_chunks (weights); i++)
    {
      const BendiVkTensorChunk *chunk = bendi_vk_tensor_get_chunk (weights, i);
      BendiVkBuffer *bindings[] = {
        chunk->buffer, x, y, options->norm_weight, options->norm_partials, options->partials_out, options->bias,
        chunk->buffer,  /* as four-word texels, where the pipeline has an eighth binding */
      };
      BendiVkMatmulConstants constants = {
        .n_cols = (guint32) n_cols,
        .n_rows = (guint32) chunk->n_rows,
        .row_bytes = (guint32) bendi_vk_tensor_get_row_bytes (weights),
        .first_row = (guint32) (chunk->first_row + options->y_offset),
        .x_stride = (guint32) x_stride,
        .y_stride = (guint32) y_stride,
        .flags = flags,
        .n_partials = (guint32) options->n_partials,
        .partial_stride = (guint32) options->partial_stride,
        .partial_base = (guint32) partial_base,
        .eps = options->eps,
        .x_first_token = (guint32) x_first_token,
        .interleave_lanes = bendi_vk_tensor_get_interleave_lanes (weights),
      };
      gboolean ok = TRUE;

      if (use_matvec)
        for (gint64 first = 0; first < n_tokens && ok; first += BENDI_VK_MATVEC_MAX_TOKENS)
          {
            constants.first_token = (guint32) first;
            constants.n_tokens = (guint32) MIN (BENDI_VK_MATVEC_MAX_TOKENS, n_tokens - first);
            pipeline = get_sized_pipeline (rec, BENDI_VK_OP_MATVEC, type, constants.n_tokens, layout);
            ok = pipeline != NULL &&
                 record_flat (rec, pipeline, bindings, &constants,
                              div_up ((guint64) chunk->n_rows, pipeline->rows_per_workgroup));
          }
      else
        {
          constants.n_tokens = (guint32) n_tokens;
          pipeline = get_pipeline (rec, BENDI_VK_OP_MATMUL, type);
          ok = pipeline != NULL &&
               bendi_vk_recorder_record (rec, pipeline, bindings, &constants,
                                         div_up ((guint64) chunk->n_rows, pipeline->rows_per_workgroup),
                                         div_up ((guint64) n_tokens, pipeline->tokens_per_workgroup), 1);
        }
      if (!ok)
        return FALSE;
      partial_base += (chunk->n_rows + rows_per_partial (rec) - 1) / rows_per_partial (rec);
    }
  return TRUE;
}

gboolean
bendi_vk_op_get_rows (BendiVkRecorder     *rec,
                      const BendiVkTensor *weights,
                      BendiVkBuffer       *tokens,
                      gint64               n_tokens,
                      BendiVkBuffer       *out,
                      gint64               out_stride)
{
  gint64 n_cols = bendi_vk_tensor_get_n_cols (weights);
  const BendiVkPipeline *pipeline;
  guint64 n_groups = (guint64) (n_cols + 15) / 16;

  if (!check_ints (rec, tokens, n_tokens, "get_rows tokens") ||
      !check_rows (rec, out, out_stride, n_cols, n_tokens, "get_rows output") ||
      !check (rec, n_tokens <= MAX_GROUPS_X, "get_rows: at most %u tokens at once", MAX_GROUPS_X))
    return FALSE;
  pipeline = get_pipeline (rec, BENDI_VK_OP_GET_ROWS, bendi_vk_tensor_get_type (weights));
  if (pipeline == NULL)
    return FALSE;

  for (guint i = 0; i < bendi_vk_tensor_get_n_chunks (weights); i++)
    {
      const BendiVkTensorChunk *chunk = bendi_vk_tensor_get_chunk (weights, i);
      BendiVkBuffer *bindings[] = { chunk->buffer, tokens, out };
      BendiVkGetRowsConstants constants = {
        .n_cols = (guint32) n_cols,
        .n_rows = (guint32) chunk->n_rows,
        .row_bytes = (guint32) bendi_vk_tensor_get_row_bytes (weights),
        .first_row = (guint32) chunk->first_row,
        .n_tokens = (guint32) n_tokens,
        .out_stride = (guint32) out_stride,
        .interleave_lanes = bendi_vk_tensor_get_interleave_lanes (weights),
      };

      if (!bendi_vk_recorder_record (rec, pipeline, bindings, &constants,
                                     MIN (div_up (n_groups, pipeline->workgroup_size), MAX_GROUPS_X),
                                     (guint32) n_tokens, 1))
        return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Norms, RoPE, element-wise ops */

gboolean
bendi_vk_op_rms_norm (BendiVkRecorder *rec,
                      BendiVkBuffer   *x,
                      gint64           x_stride,
                      BendiVkBuffer   *weight,
                      BendiVkBuffer   *out,
                      gint64           out_stride,
                      gint64           n,
                      gint64           rows_per_token,
                      gint64           n_tokens,
                      float            eps)
{
  const BendiVkPipeline *pipeline;
  BendiVkRmsNormConstants constants = {
    .n = (guint32) n,
    .n_rows = (guint32) (n_tokens * rows_per_token),
    .rows_per_token = (guint32) rows_per_token,
    .x_stride = (guint32) x_stride,
    .out_stride = (guint32) out_stride,
    .has_weight = weight != NULL,
    .eps = eps,
  };
  BendiVkBuffer *bindings[] = { x, weight != NULL ? weight : x, out };

  if (!check (rec, rows_per_token > 0 && rows_per_token <= G_MAXUINT32 / MAX (n, 1), "rms_norm: bad rows per token") ||
      !check_rows (rec, x, x_stride, n * rows_per_token, n_tokens, "rms_norm input") ||
      !check_rows (rec, out, out_stride, n * rows_per_token, n_tokens, "rms_norm output") ||
      (weight != NULL && !check_rows (rec, weight, n, n, 1, "rms_norm weight")))
    return FALSE;
  pipeline = get_pipeline (rec, BENDI_VK_OP_RMS_NORM, BENDI_TENSOR_TYPE_F32);
  if (pipeline == NULL)
    return FALSE;
  return record_flat (rec, pipeline, bindings, &constants, (guint64) n_tokens * (guint64) rows_per_token);
}

struct _BendiVkRope {
  BendiVkBuffer *freqs;
  gint64         n_rot;
  gboolean       neox;
  float          mscale;
};

/* YaRN, as the CPU's bendi_rope_table computes it: dimensions that rotate
 * fast keep their angle, slow ones are interpolated, with a ramp between
 * the two correction dimensions. */
static float
yarn_correction_dim (gint64 n_rot,
                     gint64 n_ctx_orig,
                     float  n_rotations,
                     float  base)
{
  return (float) n_rot * logf ((float) n_ctx_orig / (n_rotations * 2.0f * (float) G_PI)) / (2.0f * logf (base));
}

BendiVkRope *
bendi_vk_rope_new (BendiVkDevice           *device,
                   const BendiVkRopeParams *params,
                   GError                 **error)
{
  g_autoptr (BendiVkRope) self = NULL;
  g_autofree float *freqs = NULL;
  gint64 half = params->n_rot / 2;
  gboolean yarn = params->scaling == BENDI_VK_ROPE_SCALING_YARN;
  float ext_factor = yarn ? params->ext_factor : 0.0f;
  float corr_low = 0.0f, corr_high = 0.0f;
  double theta_scale;

  if (params->n_rot <= 0 || params->n_rot % 2 != 0 || !(params->freq_base > 0.0f) ||
      !(params->freq_scale > 0.0f))
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_ARGUMENT,
                   "RoPE needs an even n_rot and positive frequency base and scale");
      return NULL;
    }
  self = g_new0 (BendiVkRope, 1);
  self->n_rot = params->n_rot;
  self->neox = params->neox;
  self->mscale = yarn ? params->attn_factor : 1.0f;
  if (ext_factor != 0.0f)
    {
      corr_low = floorf (yarn_correction_dim (params->n_rot, params->n_ctx_orig, params->beta_fast,
                                              params->freq_base));
      corr_high = ceilf (yarn_correction_dim (params->n_rot, params->n_ctx_orig, params->beta_slow,
                                              params->freq_base));
      corr_low = MAX (0.0f, corr_low);
      corr_high = MIN ((float) (params->n_rot - 1), corr_high);
      self->mscale *= 1.0f + 0.1f * logf (1.0f / params->freq_scale);
    }

  /* angle (pos) = pos · freqs[i]: the scalings are all linear in pos, so
   * they fold into one factor per pair, computed here in double. */
  freqs = g_new (float, half);
  theta_scale = pow (params->freq_base, -2.0 / (double) params->n_rot);
  for (gint64 i = 0; i < half; i++)
    {
      double extrap = pow (theta_scale, (double) i);
      double interp;

      if (params->freq_factors != NULL)
        extrap /= params->freq_factors[i];
      interp = params->freq_scale * extrap;
      if (ext_factor != 0.0f)
        {
          float y = ((float) i - corr_low) / MAX (0.001f, corr_high - corr_low);
          double mix = (1.0f - MIN (1.0f, MAX (0.0f, y))) * ext_factor;

          interp = interp * (1.0 - mix) + extrap * mix;
        }
      freqs[i] = (float) interp;
    }
  self->freqs = bendi_vk_buffer_new (device, (gsize) half * sizeof (float), BENDI_VK_MEMORY_DEVICE, error);
  if (self->freqs == NULL ||
      !bendi_vk_buffer_upload (self->freqs, 0, freqs, (gsize) half * sizeof (float), error))
    return NULL;
  return g_steal_pointer (&self);
}

void
bendi_vk_rope_free (BendiVkRope *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->freqs, bendi_vk_buffer_free);
  g_free (self);
}

gboolean
bendi_vk_op_rope (BendiVkRecorder   *rec,
                  const BendiVkRope *rope,
                  BendiVkBuffer     *x,
                  gint64             x_stride,
                  gint64             n_heads,
                  gint64             head_dim,
                  BendiVkBuffer     *positions,
                  gint64             n_tokens)
{
  const BendiVkPipeline *pipeline;
  BendiVkRopeConstants constants = {
    .n_heads = (guint32) n_heads,
    .head_dim = (guint32) head_dim,
    .n_rot = (guint32) rope->n_rot,
    .token_stride = (guint32) x_stride,
    .neox = rope->neox ? 1 : 0,
    .mscale = rope->mscale,
  };
  BendiVkBuffer *bindings[] = { x, positions, rope->freqs };

  if (!check (rec, rope->n_rot <= head_dim && n_heads > 0 && n_tokens <= MAX_GROUPS_X,
              "rope: n_rot %" G_GINT64_FORMAT " over head_dim %" G_GINT64_FORMAT, rope->n_rot, head_dim) ||
      !check_rows (rec, x, x_stride, n_heads * head_dim, n_tokens, "rope input") ||
      !check_ints (rec, positions, n_tokens, "rope positions"))
    return FALSE;
  pipeline = get_pipeline (rec, BENDI_VK_OP_ROPE, BENDI_TENSOR_TYPE_F32);
  if (pipeline == NULL)
    return FALSE;
  return bendi_vk_recorder_record (rec, pipeline, bindings, &constants,
                                   div_up ((guint64) (n_heads * rope->n_rot / 2), pipeline->workgroup_size),
                                   (guint32) n_tokens, 1);
}

gboolean
bendi_vk_op_swiglu (BendiVkRecorder *rec,
                    BendiVkBuffer   *gate,
                    gint64           gate_stride,
                    BendiVkBuffer   *up,
                    gint64           up_stride,
                    BendiVkBuffer   *out,
                    gint64           out_stride,
                    gint64           n,
                    gint64           n_tokens)
{
  const BendiVkPipeline *pipeline;
  BendiVkSwigluConstants constants = {
    .n = (guint32) n,
    .gate_stride = (guint32) gate_stride,
    .up_stride = (guint32) up_stride,
    .out_stride = (guint32) out_stride,
  };
  BendiVkBuffer *bindings[] = { gate, up, out };

  if (!check (rec, n_tokens <= MAX_GROUPS_X, "swiglu: too many tokens") ||
      !check_rows (rec, gate, gate_stride, n, n_tokens, "swiglu gate") ||
      !check_rows (rec, up, up_stride, n, n_tokens, "swiglu up") ||
      !check_rows (rec, out, out_stride, n, n_tokens, "swiglu output"))
    return FALSE;
  pipeline = get_pipeline (rec, BENDI_VK_OP_SWIGLU, BENDI_TENSOR_TYPE_F32);
  if (pipeline == NULL)
    return FALSE;
  return bendi_vk_recorder_record (rec, pipeline, bindings, &constants,
                                   div_up ((guint64) n, pipeline->workgroup_size), (guint32) n_tokens, 1);
}

static gboolean
record_add (BendiVkRecorder *rec,
            BendiVkBuffer   *a,
            gint64           a_stride,
            BendiVkBuffer   *b,
            gint64           b_stride,
            BendiVkBuffer   *out,
            gint64           out_stride,
            gint64           n,
            gint64           n_tokens)
{
  const BendiVkPipeline *pipeline;
  BendiVkAddConstants constants = {
    .n = (guint32) n,
    .a_stride = (guint32) a_stride,
    .b_stride = (guint32) b_stride,
    .out_stride = (guint32) out_stride,
  };
  BendiVkBuffer *bindings[] = { a, b, out };

  pipeline = get_pipeline (rec, BENDI_VK_OP_ADD, BENDI_TENSOR_TYPE_F32);
  if (pipeline == NULL)
    return FALSE;
  return bendi_vk_recorder_record (rec, pipeline, bindings, &constants,
                                   div_up ((guint64) n, pipeline->workgroup_size), (guint32) n_tokens, 1);
}

gboolean
bendi_vk_op_add (BendiVkRecorder *rec,
                 BendiVkBuffer   *a,
                 gint64           a_stride,
                 BendiVkBuffer   *b,
                 gint64           b_stride,
                 BendiVkBuffer   *out,
                 gint64           out_stride,
                 gint64           n,
                 gint64           n_tokens)
{
  if (!check (rec, n_tokens <= MAX_GROUPS_X, "add: too many tokens") ||
      !check_rows (rec, a, a_stride, n, n_tokens, "add a") ||
      !check_rows (rec, b, b_stride, n, n_tokens, "add b") ||
      !check_rows (rec, out, out_stride, n, n_tokens, "add output"))
    return FALSE;
  return record_add (rec, a, a_stride, b, b_stride, out, out_stride, n, n_tokens);
}

gboolean
bendi_vk_op_read (BendiVkRecorder *rec,
                  BendiVkBuffer   *buffer,
                  gsize            bytes,
                  BendiVkBuffer   *out)
{
  BendiVkReadConstants constants = { .n_vec4 = (guint32) (bytes / 16) };
  BendiVkBuffer *bindings[] = { buffer, out };
  const BendiVkPipeline *pipeline;
  guint64 n_groups;

  if (!check (rec, buffer != NULL && out != NULL, "read: no buffer") ||
      !check (rec, bytes > 0 && bytes % 16 == 0 && bytes / 16 <= G_MAXUINT32 &&
                   bytes <= bendi_vk_buffer_get_size (buffer) && bendi_vk_buffer_get_size (out) >= 4,
              "read: %" G_GSIZE_FORMAT " bytes of a buffer of %" G_GSIZE_FORMAT, bytes,
              bendi_vk_buffer_get_size (buffer)))
    return FALSE;
  pipeline = get_pipeline (rec, BENDI_VK_OP_READ, BENDI_TENSOR_TYPE_F32);
  if (pipeline == NULL)
    return FALSE;
  /* About 64 words an invocation, every invocation streaming its share. */
  n_groups = CLAMP (constants.n_vec4 / ((guint64) pipeline->workgroup_size * 64), 1, MAX_GROUPS_X);
  return bendi_vk_recorder_record (rec, pipeline, bindings, &constants, (guint32) n_groups, 1, 1);
}

gboolean
bendi_vk_op_add_bias (BendiVkRecorder *rec,
                      BendiVkBuffer   *x,
                      gint64           x_stride,
                      BendiVkBuffer   *bias,
                      gint64           n,
                      gint64           n_tokens)
{
  if (!check (rec, n_tokens <= MAX_GROUPS_X, "bias: too many tokens") ||
      !check_rows (rec, x, x_stride, n, n_tokens, "bias input") ||
      !check_rows (rec, bias, n, n, 1, "bias"))
    return FALSE;
  /* A b stride of 0 reads the same bias for every token. */
  return record_add (rec, x, x_stride, bias, 0, x, x_stride, n, n_tokens);
}

/* ------------------------------------------------------------------------ */
/* KV cache and attention */

static gboolean
check_shape (BendiVkRecorder             *rec,
             const BendiVkAttentionShape *shape)
{
  return check (rec, shape->n_head > 0 && shape->n_head_kv > 0 && shape->n_head % shape->n_head_kv == 0 &&
                shape->head_dim > 0 && shape->head_dim % 2 == 0 && shape->head_dim <= 256 &&
                shape->n_ctx > 0 && shape->n_ctx * shape->n_head_kv * shape->head_dim <= G_MAXUINT32 &&
                shape->n_head <= MAX_GROUPS_X,
                "attention: %" G_GINT64_FORMAT " heads over %" G_GINT64_FORMAT " KV heads of %" G_GINT64_FORMAT
                " is not a shape the shaders handle (head_dim even and at most 256)",
                shape->n_head, shape->n_head_kv, shape->head_dim);
}

gsize
bendi_vk_kv_cache_bytes (const BendiVkAttentionShape *shape)
{
  return (gsize) shape->n_ctx * (gsize) shape->n_head_kv * (gsize) shape->head_dim * 2;
}

gboolean
bendi_vk_op_kv_write (BendiVkRecorder             *rec,
                      const BendiVkAttentionShape *shape,
                      BendiVkBuffer               *k,
                      gint64                       k_stride,
                      BendiVkBuffer               *v,
                      gint64                       v_stride,
                      BendiVkBuffer               *k_cache,
                      BendiVkBuffer               *v_cache,
                      BendiVkBuffer               *positions,
                      gint64                       n_tokens)
{
  gint64 kv_dim = shape->n_head_kv * shape->head_dim;
  const BendiVkPipeline *pipeline;
  BendiVkKvWriteConstants constants = {
    .kv_dim = (guint32) kv_dim,
    .k_stride = (guint32) k_stride,
    .v_stride = (guint32) v_stride,
    .n_ctx = (guint32) shape->n_ctx,
  };
  BendiVkBuffer *bindings[] = { k, v, k_cache, v_cache, positions };

  if (!check_shape (rec, shape) ||
      !check (rec, n_tokens <= MAX_GROUPS_X, "kv_write: too many tokens") ||
      !check_rows (rec, k, k_stride, kv_dim, n_tokens, "kv_write keys") ||
      !check_rows (rec, v, v_stride, kv_dim, n_tokens, "kv_write values") ||
      !check_ints (rec, positions, n_tokens, "kv_write positions") ||
      !check (rec, bendi_vk_buffer_get_size (k_cache) >= bendi_vk_kv_cache_bytes (shape) &&
              bendi_vk_buffer_get_size (v_cache) >= bendi_vk_kv_cache_bytes (shape),
              "kv_write: the caches are smaller than n_ctx rows"))
    return FALSE;
  pipeline = get_pipeline (rec, BENDI_VK_OP_KV_WRITE, BENDI_TENSOR_TYPE_F32);
  if (pipeline == NULL)
    return FALSE;
  return bendi_vk_recorder_record (rec, pipeline, bindings, &constants,
                                   div_up ((guint64) kv_dim / 2, pipeline->workgroup_size), (guint32) n_tokens, 1);
}

/* Rows of @n floats at @offset within rows of @stride fit @buffer. */
static gboolean
check_part (BendiVkRecorder *rec,
            BendiVkBuffer   *buffer,
            gint64           stride,
            gint64           offset,
            gint64           n,
            gint64           n_tokens,
            const char      *what)
{
  return check (rec, offset >= 0 && offset <= stride - n, "%s: %" G_GINT64_FORMAT " values at %" G_GINT64_FORMAT
                " do not fit rows of %" G_GINT64_FORMAT, what, n, offset, stride) &&
         check_rows (rec, buffer, stride, offset + n, n_tokens, what);
}

gboolean
bendi_vk_op_rope_kv_write (BendiVkRecorder             *rec,
                           const BendiVkRope           *rope,
                           const BendiVkAttentionShape *shape,
                           BendiVkBuffer               *q,
                           gint64                       q_stride,
                           gint64                       q_offset,
                           BendiVkBuffer               *k,
                           gint64                       k_stride,
                           gint64                       k_offset,
                           BendiVkBuffer               *v,
                           gint64                       v_stride,
                           gint64                       v_offset,
                           BendiVkBuffer               *k_cache,
                           BendiVkBuffer               *v_cache,
                           BendiVkBuffer               *positions,
                           gint64                       n_tokens)
{
  gint64 kv_dim = shape->n_head_kv * shape->head_dim;
  const BendiVkPipeline *pipeline;
  BendiVkRopeKvConstants constants = {
    .n_head = (guint32) shape->n_head,
    .n_head_kv = (guint32) shape->n_head_kv,
    .head_dim = (guint32) shape->head_dim,
    .n_rot = (guint32) rope->n_rot,
    .neox = rope->neox ? 1 : 0,
    .q_stride = (guint32) q_stride,
    .q_offset = (guint32) q_offset,
    .k_stride = (guint32) k_stride,
    .k_offset = (guint32) k_offset,
    .v_stride = (guint32) v_stride,
    .v_offset = (guint32) v_offset,
    .n_ctx = (guint32) shape->n_ctx,
    .mscale = rope->mscale,
  };
  BendiVkBuffer *bindings[] = { q, k, v, k_cache, v_cache, positions, rope->freqs };

  if (!check_shape (rec, shape) ||
      !check (rec, rope->n_rot <= shape->head_dim && n_tokens <= MAX_GROUPS_X,
              "rope_kv: n_rot %" G_GINT64_FORMAT " over head_dim %" G_GINT64_FORMAT, rope->n_rot, shape->head_dim) ||
      !check_part (rec, q, q_stride, q_offset, shape->n_head * shape->head_dim, n_tokens, "rope_kv queries") ||
      !check_part (rec, k, k_stride, k_offset, kv_dim, n_tokens, "rope_kv keys") ||
      !check_part (rec, v, v_stride, v_offset, kv_dim, n_tokens, "rope_kv values") ||
      !check_ints (rec, positions, n_tokens, "rope_kv positions") ||
      !check (rec, bendi_vk_buffer_get_size (k_cache) >= bendi_vk_kv_cache_bytes (shape) &&
              bendi_vk_buffer_get_size (v_cache) >= bendi_vk_kv_cache_bytes (shape),
              "rope_kv: the caches are smaller than n_ctx rows"))
    return FALSE;
  pipeline = get_pipeline (rec, BENDI_VK_OP_ROPE_KV, BENDI_TENSOR_TYPE_F32);
  if (pipeline == NULL)
    return FALSE;
  return bendi_vk_recorder_record (rec, pipeline, bindings, &constants,
                                   div_up ((guint64) (shape->n_head * rope->n_rot / 2 + kv_dim),
                                           pipeline->workgroup_size),
                                   (guint32) n_tokens, 1);
}

gboolean
bendi_vk_op_qkv_prep (BendiVkRecorder             *rec,
                      const BendiVkAttentionShape *shape,
                      const BendiVkQkvPrepParams  *params,
                      BendiVkBuffer               *qkv,
                      gint64                       qkv_stride,
                      BendiVkBuffer               *rope_table,
                      BendiVkBuffer               *k_cache,
                      BendiVkBuffer               *v_cache,
                      BendiVkBuffer               *positions,
                      gint64                       n_tokens)
{
  gint64 q_dim = shape->n_head * shape->head_dim;
  gint64 kv_dim = shape->n_head_kv * shape->head_dim;
  const BendiVkPipeline *pipeline;
  BendiVkQkvPrepConstants constants = {
    .n_head = (guint32) shape->n_head,
    .n_head_kv = (guint32) shape->n_head_kv,
    .head_dim = (guint32) shape->head_dim,
    .n_rot = (guint32) params->n_rot,
    .neox = params->neox ? 1 : 0,
    .qkv_stride = (guint32) qkv_stride,
    .n_ctx = (guint32) shape->n_ctx,
    .has_q_norm = params->q_norm != NULL,
    .has_k_norm = params->k_norm != NULL,
    .eps = params->eps,
  };
  BendiVkBuffer *bindings[] = { qkv, k_cache, v_cache, positions, rope_table, params->q_norm, params->k_norm };

  if (!check_shape (rec, shape) ||
      !check (rec, params->n_rot > 0 && params->n_rot % 2 == 0 && params->n_rot <= shape->head_dim &&
              n_tokens <= MAX_GROUPS_X,
              "qkv_prep: n_rot %" G_GINT64_FORMAT " for heads of %" G_GINT64_FORMAT, params->n_rot, shape->head_dim) ||
      !check_rows (rec, qkv, qkv_stride, q_dim + 2 * kv_dim, n_tokens, "qkv_prep Q|K|V") ||
      !check_rows (rec, rope_table, params->n_rot, params->n_rot, n_tokens, "qkv_prep RoPE table") ||
      !check_ints (rec, positions, n_tokens, "qkv_prep positions") ||
      (params->q_norm != NULL && !check_rows (rec, params->q_norm, shape->head_dim, shape->head_dim, 1, "q norm")) ||
      (params->k_norm != NULL && !check_rows (rec, params->k_norm, shape->head_dim, shape->head_dim, 1, "k norm")) ||
      !check (rec, bendi_vk_buffer_get_size (k_cache) >= bendi_vk_kv_cache_bytes (shape) &&
              bendi_vk_buffer_get_size (v_cache) >= bendi_vk_kv_cache_bytes (shape),
              "qkv_prep: the caches are smaller than n_ctx rows"))
    return FALSE;
  pipeline = get_pipeline (rec, BENDI_VK_OP_QKV_PREP, BENDI_TENSOR_TYPE_F32);
  return pipeline != NULL &&
         bendi_vk_recorder_record (rec, pipeline, bindings, &constants,
                                   (guint32) (shape->n_head + 2 * shape->n_head_kv), (guint32) n_tokens, 1);
}

gsize
bendi_vk_attention_scratch_bytes (const BendiVkAttentionShape *shape,
                                  gint64                       n_tokens,
                                  gint64                       n_splits)
{
  return (gsize) n_tokens * (gsize) shape->n_head * (gsize) n_splits * (gsize) (shape->head_dim + 2) * sizeof (float);
}

gboolean
bendi_vk_op_attention (BendiVkRecorder             *rec,
                       const BendiVkAttentionShape *shape,
                       BendiVkBuffer               *q,
                       gint64                       q_stride,
                       BendiVkBuffer               *k_cache,
                       BendiVkBuffer               *v_cache,
                       BendiVkBuffer               *positions,
                       BendiVkBuffer               *out,
                       gint64                       out_stride,
                       gint64                       n_tokens,
                       gint64                       n_splits,
                       BendiVkBuffer               *scratch)
{
  gint64 q_dim = shape->n_head * shape->head_dim;
  const BendiVkPipeline *pipeline;
  BendiVkAttentionConstants constants = {
    .n_head = (guint32) shape->n_head,
    .n_head_kv = (guint32) shape->n_head_kv,
    .head_dim = (guint32) shape->head_dim,
    .q_stride = (guint32) q_stride,
    .out_stride = (guint32) out_stride,
    .n_ctx = (guint32) shape->n_ctx,
    .n_splits = (guint32) n_splits,
    .scale = shape->scale,
  };

  if (!check_shape (rec, shape) ||
      !check (rec, n_tokens <= MAX_GROUPS_X && n_splits >= 1 && n_splits <= 1024,
              "attention: %" G_GINT64_FORMAT " tokens in %" G_GINT64_FORMAT " splits", n_tokens, n_splits) ||
      !check_rows (rec, q, q_stride, q_dim, n_tokens, "attention queries") ||
      !check_rows (rec, out, out_stride, q_dim, n_tokens, "attention output") ||
      !check_ints (rec, positions, n_tokens, "attention positions") ||
      !check (rec, bendi_vk_buffer_get_size (k_cache) >= bendi_vk_kv_cache_bytes (shape) &&
              bendi_vk_buffer_get_size (v_cache) >= bendi_vk_kv_cache_bytes (shape),
              "attention: the caches are smaller than n_ctx rows") ||
      !check (rec, n_splits == 1 ||
              (scratch != NULL &&
               bendi_vk_buffer_get_size (scratch) >= bendi_vk_attention_scratch_bytes (shape, n_tokens, n_splits)),
              "attention: split attention needs a scratch buffer of %" G_GSIZE_FORMAT " bytes",
              bendi_vk_attention_scratch_bytes (shape, n_tokens, n_splits)))
    return FALSE;

  if (n_splits == 1)
    {
      BendiVkBuffer *bindings[] = { q, k_cache, v_cache, positions, out };

      /* CPU devices' kernel takes the head dimension as a constant. */
      pipeline = get_sized_pipeline (rec, BENDI_VK_OP_ATTENTION, BENDI_TENSOR_TYPE_F32, (guint32) shape->head_dim, 0);
      return pipeline != NULL &&
             bendi_vk_recorder_record (rec, pipeline, bindings, &constants,
                                       (guint32) shape->n_head, (guint32) n_tokens, 1);
    }
  else
    {
      BendiVkBuffer *split_bindings[] = { q, k_cache, v_cache, positions, scratch };
      BendiVkBuffer *combine_bindings[] = { scratch, out };
      BendiVkCombineConstants combine = {
        .n_head = (guint32) shape->n_head,
        .head_dim = (guint32) shape->head_dim,
        .out_stride = (guint32) out_stride,
        .n_splits = (guint32) n_splits,
      };

      pipeline = get_pipeline (rec, BENDI_VK_OP_ATTENTION_SPLIT, BENDI_TENSOR_TYPE_F32);
      if (pipeline == NULL ||
          !bendi_vk_recorder_record (rec, pipeline, split_bindings, &constants,
                                     (guint32) shape->n_head, (guint32) n_tokens, (guint32) n_splits))
        return FALSE;
      pipeline = get_pipeline (rec, BENDI_VK_OP_ATTENTION_COMBINE, BENDI_TENSOR_TYPE_F32);
      return pipeline != NULL &&
             bendi_vk_recorder_record (rec, pipeline, combine_bindings, &combine,
                                       (guint32) shape->n_head, (guint32) n_tokens, 1);
    }
}

/* ------------------------------------------------------------------------ */
/* Softmax and argmax */

gboolean
bendi_vk_op_softmax (BendiVkRecorder *rec,
                     BendiVkBuffer   *x,
                     gint64           stride,
                     gint64           n,
                     gint64           n_rows)
{
  const BendiVkPipeline *pipeline;
  BendiVkRowConstants constants = {
    .n = (guint32) n,
    .n_rows = (guint32) n_rows,
    .stride = (guint32) stride,
  };
  BendiVkBuffer *bindings[] = { x };

  if (!check_rows (rec, x, stride, n, n_rows, "softmax"))
    return FALSE;
  pipeline = get_pipeline (rec, BENDI_VK_OP_SOFTMAX, BENDI_TENSOR_TYPE_F32);
  return pipeline != NULL && record_flat (rec, pipeline, bindings, &constants, (guint64) n_rows);
}

gboolean
bendi_vk_op_argmax (BendiVkRecorder *rec,
                    BendiVkBuffer   *x,
                    gint64           stride,
                    gint64           n,
                    gint64           n_rows,
                    BendiVkBuffer   *out)
{
  const BendiVkPipeline *pipeline;
  BendiVkRowConstants constants = {
    .n = (guint32) n,
    .n_rows = (guint32) n_rows,
    .stride = (guint32) stride,
  };
  BendiVkBuffer *bindings[] = { x, out };

  if (!check_rows (rec, x, stride, n, n_rows, "argmax input") ||
      !check_ints (rec, out, n_rows, "argmax output"))
    return FALSE;
  pipeline = get_pipeline (rec, BENDI_VK_OP_ARGMAX, BENDI_TENSOR_TYPE_F32);
  return pipeline != NULL && record_flat (rec, pipeline, bindings, &constants, (guint64) n_rows);
}
