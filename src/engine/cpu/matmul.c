/* SPDX-License-Identifier: MIT */
/* bendi_matmul: quantises the activations as llama.cpp would, then splits
 * the rows over the thread pool and runs the best kernel for the CPU. */
#include "cpu/matmul.h"

#include <string.h>

#include "cpu/cpu-features.h"
#include "cpu/kernels.h"
#include "tensor/quant.h"

struct _BendiMatmulContext {
  BendiThreadPool *pool;
  guint8          *scratch;       /* quantised activations, 64-byte aligned */
  gsize            scratch_size;
};

/* ------------------------------------------------------------------------ */
/* Choosing the kernel family. */

/* generic, AVX2, AVX2 with AVX-VNNI, AVX-512 with VNNI. AVX-512 without
 * VNNI (Skylake-X) runs the AVX2 kernels. */
static BendiCpuKernels tables[4];
static const BendiCpuKernels *active;
static guint active_serial;

static void
init_tables (void)
{
  bendi_kernels_init_generic (&tables[0]);
#if defined(__x86_64__)
  bendi_kernels_init_avx2 (&tables[1]);
  bendi_kernels_init_avx2_vnni (&tables[2]);
  bendi_kernels_init_avx512_vnni (&tables[3]);
#endif
}

const BendiCpuKernels *
bendi_cpu_kernels (void)
{
  static gsize initialized = 0;
  const BendiCpuFeatures *features;
  guint serial = bendi_cpu_features_serial ();
  int family = 0;

  if (G_LIKELY (active != NULL && active_serial == serial))
    return active;

  if (g_once_init_enter (&initialized))
    {
      init_tables ();
      g_once_init_leave (&initialized, 1);
    }
  features = bendi_cpu_features_get ();
#if defined(__x86_64__)
  if (features->avx512 && features->avx512_vnni)
    family = 3;
  else if (features->avx2)
    family = features->avx_vnni ? 2 : 1;
#else
  (void) features;
#endif
  active_serial = serial;
  active = &tables[family];
  return active;
}

BendiActKind
bendi_act_kind_for_type (BendiTensorType type)
{
  switch (type)
    {
    case BENDI_TENSOR_TYPE_F32:
      return BENDI_ACT_F32;
    case BENDI_TENSOR_TYPE_F16:
      return BENDI_ACT_F16;
    case BENDI_TENSOR_TYPE_BF16:
      return BENDI_ACT_BF16;
    case BENDI_TENSOR_TYPE_Q4_1:
    case BENDI_TENSOR_TYPE_Q5_1:
      return BENDI_ACT_Q8_1;
    case BENDI_TENSOR_TYPE_Q2_K:
    case BENDI_TENSOR_TYPE_Q3_K:
    case BENDI_TENSOR_TYPE_Q4_K:
    case BENDI_TENSOR_TYPE_Q5_K:
    case BENDI_TENSOR_TYPE_Q6_K:
    case BENDI_TENSOR_TYPE_IQ4_XS:
      return BENDI_ACT_Q8_K;
    default:
      return BENDI_ACT_Q8_0;
    }
}

int
bendi_act_bias_for_type (BendiTensorType type)
{
  switch (type)
    {
    case BENDI_TENSOR_TYPE_Q4_0:
      return 8;
    case BENDI_TENSOR_TYPE_Q5_0:
      return 16;
    case BENDI_TENSOR_TYPE_Q8_0:
    case BENDI_TENSOR_TYPE_IQ4_NL:
    case BENDI_TENSOR_TYPE_IQ4_XS:
      return 128;
    case BENDI_TENSOR_TYPE_Q6_K:
      return 32;
    default:
      return 0;
    }
}

/* ------------------------------------------------------------------------ */
/* Matrices. */

void
bendi_matrix_init (BendiMatrix     *matrix,
                   BendiTensorType  type,
                   gint64           n_cols,
                   gint64           n_rows,
                   const void      *data)
{
  gsize row_bytes = 0;

  g_return_if_fail (matrix != NULL);

  memset (matrix, 0, sizeof *matrix);
  g_return_if_fail (bendi_tensor_type_row_bytes (type, n_cols, &row_bytes));
  matrix->type = type;
  matrix->n_cols = n_cols;
  matrix->n_rows = MAX (n_rows, 0);
  matrix->row_bytes = row_bytes;
  matrix->data = data;
  matrix->layout = BENDI_MATRIX_LAYOUT_ROWS;
}

/* Rows that belong to a whole interleaved group; the rest keep ggml's layout. */
static gint64
interleaved_rows (const BendiMatrix *matrix)
{
  if (matrix->layout != BENDI_MATRIX_LAYOUT_INTERLEAVED)
    return 0;
  return matrix->n_rows - matrix->n_rows % BENDI_INTERLEAVE;
}

gboolean
bendi_matrix_can_repack (const BendiMatrix *matrix)
{
  const BendiCpuKernels *kernels = bendi_cpu_kernels ();

  g_return_val_if_fail (matrix != NULL, FALSE);

  /* Only worth it where a SIMD kernel reads the layout (the portable one
   * is there for correctness, not speed). */
  return matrix->layout == BENDI_MATRIX_LAYOUT_ROWS &&
         matrix->n_rows >= BENDI_INTERLEAVE &&
         bendi_interleave_supported (matrix->type) &&
         kernels->gemm_interleaved[matrix->type] != NULL &&
         kernels->gemm_interleaved[matrix->type] != tables[0].gemm_interleaved[matrix->type];
}

void
bendi_matrix_repack (BendiMatrix *matrix,
                     void        *data)
{
  gsize group_bytes;
  g_autofree guint8 *rows = NULL;

  g_return_if_fail (matrix != NULL);
  g_return_if_fail (data == matrix->data);

  if (matrix->layout != BENDI_MATRIX_LAYOUT_ROWS ||
      matrix->n_rows < BENDI_INTERLEAVE ||
      !bendi_interleave_supported (matrix->type))
    return;

  /* One group at a time through a small copy, so memory never doubles. */
  group_bytes = matrix->row_bytes * BENDI_INTERLEAVE;
  rows = g_malloc (group_bytes);
  for (gint64 r = 0; r + BENDI_INTERLEAVE <= matrix->n_rows; r += BENDI_INTERLEAVE)
    {
      guint8 *group = (guint8 *) data + r * matrix->row_bytes;

      memcpy (rows, group, group_bytes);
      bendi_interleave_group (matrix->type, matrix->n_cols, rows, group);
    }
  matrix->layout = BENDI_MATRIX_LAYOUT_INTERLEAVED;
}

void
bendi_matrix_get_row (const BendiMatrix *w,
                      gint64             row,
                      float             *out)
{
  const guint8 *data;
  g_autofree guint8 *copy = NULL;

  g_return_if_fail (w != NULL && out != NULL);
  g_return_if_fail (row >= 0 && row < w->n_rows);

  data = (const guint8 *) w->data + row * w->row_bytes;
  if (row < interleaved_rows (w))
    {
      copy = g_malloc (w->row_bytes);
      bendi_deinterleave_row (w->type, w->n_cols, data - (row % BENDI_INTERLEAVE) * w->row_bytes,
                              (int) (row % BENDI_INTERLEAVE), copy);
      data = copy;
    }
  bendi_dequantize_row (w->type, data, out, w->n_cols);
}

/* ------------------------------------------------------------------------ */
/* Contexts. */

BendiMatmulContext *
bendi_matmul_context_new (BendiThreadPool *pool)
{
  BendiMatmulContext *self;

  g_return_val_if_fail (pool != NULL, NULL);

  self = g_new0 (BendiMatmulContext, 1);
  self->pool = pool;
  return self;
}

void
bendi_matmul_context_free (BendiMatmulContext *self)
{
  if (self == NULL)
    return;
  g_aligned_free (self->scratch);
  g_free (self);
}

static guint8 *
scratch_get (BendiMatmulContext *self,
             gsize               size)
{
  if (size > self->scratch_size)
    {
      g_aligned_free (self->scratch);
      self->scratch_size = MAX (size, self->scratch_size + self->scratch_size / 2);
      self->scratch = g_aligned_alloc (1, self->scratch_size, 64);
    }
  return self->scratch;
}

static gsize
align64 (gsize n)
{
  return (n + 63) & ~(gsize) 63;
}

/* Lays the activations' arrays out in the context's scratch. */
static void
acts_prepare (BendiMatmulContext *self,
              const BendiMatrix  *w,
              gint64              n_tokens,
              BendiActs          *acts,
              BendiActsOut       *out)
{
  BendiActKind kind = bendi_act_kind_for_type (w->type);
  gsize n = (gsize) n_tokens;
  gsize values_bytes, floats_bytes, ints_bytes, bsums_bytes = 0;
  guint8 *base;

  memset (acts, 0, sizeof *acts);
  memset (out, 0, sizeof *out);
  acts->kind = kind;
  acts->n_cols = w->n_cols;
  acts->n_tokens = n_tokens;
  acts->bias = bendi_act_bias_for_type (w->type);
  switch (kind)
    {
    case BENDI_ACT_F16:
    case BENDI_ACT_BF16:
      acts->stride = align64 ((gsize) w->n_cols * sizeof (float));
      break;
    case BENDI_ACT_Q8_K:
      acts->n_blocks = w->n_cols / BENDI_QK_K;
      acts->stride = align64 ((gsize) w->n_cols);
      bsums_bytes = align64 (n * (gsize) acts->n_blocks * 16 * sizeof (gint16));
      break;
    default:
      acts->n_blocks = w->n_cols / BENDI_QK;
      acts->stride = align64 ((gsize) w->n_cols);
      break;
    }
  values_bytes = acts->stride * n;
  floats_bytes = align64 (n * (gsize) acts->n_blocks * sizeof (float));
  /* Q8_K keeps a sum per 16 quants, the others one per block. */
  ints_bytes = align64 (n * (gsize) acts->n_blocks * (kind == BENDI_ACT_Q8_K ? 16 : 1) * sizeof (gint32));

  base = scratch_get (self, values_bytes + 2 * floats_bytes + ints_bytes + bsums_bytes);
  out->values = base;
  out->d = (float *) (base + values_bytes);
  out->s = (float *) (base + values_bytes + floats_bytes);
  out->sums = (gint32 *) (base + values_bytes + 2 * floats_bytes);
  out->bsums = (gint16 *) (base + values_bytes + 2 * floats_bytes + ints_bytes);
  acts->values = out->values;
  acts->d = out->d;
  acts->s = out->s;
  acts->sums = out->sums;
  acts->bsums = out->bsums;
}

typedef struct {
  BendiThreadPool       *pool;
  const BendiCpuKernels *kernels;
  const BendiMatrix     *w;
  const float           *in;
  float                 *out;
  BendiActs              acts;
  BendiActsOut           acts_out;
} MatmulJob;

static void
matmul_worker (gpointer data,
               int      ith,
               int      nth)
{
  MatmulJob *job = data;
  const BendiMatrix *w = job->w;
  gint64 n_interleaved = interleaved_rows (w);
  gint64 n_units = (w->n_rows + BENDI_INTERLEAVE - 1) / BENDI_INTERLEAVE;
  gint64 u0, u1, r0, r1;

  /* Each thread quantises its share of the tokens, then all wait for all. */
  if (job->acts.kind != BENDI_ACT_F32)
    {
      gint64 t0, t1;

      bendi_split_range (job->acts.n_tokens, ith, nth, &t0, &t1);
      if (t1 > t0)
        job->kernels->quantize[job->acts.kind] (&job->acts, &job->acts_out, job->in, t0, t1);
      bendi_thread_pool_barrier (job->pool);
    }

  /* Rows go out in units of a whole group, so no two threads write the
   * same cache line of the output. */
  bendi_split_range (n_units, ith, nth, &u0, &u1);
  r0 = u0 * BENDI_INTERLEAVE;
  r1 = MIN (u1 * BENDI_INTERLEAVE, w->n_rows);
  if (r0 < MIN (r1, n_interleaved))
    job->kernels->gemm_interleaved[w->type] (w, r0, MIN (r1, n_interleaved), &job->acts, job->out, w->n_rows);
  if (MAX (r0, n_interleaved) < r1)
    job->kernels->gemm_rows[w->type] (w, MAX (r0, n_interleaved), r1, &job->acts, job->out, w->n_rows);
}

void
bendi_matmul (BendiMatmulContext *ctx,
              const BendiMatrix  *w,
              const float        *in,
              gint64              n_tokens,
              float              *out)
{
  MatmulJob job;

  g_return_if_fail (ctx != NULL && w != NULL && in != NULL && out != NULL);
  g_return_if_fail (n_tokens >= 0);

  if (n_tokens == 0 || w->n_rows == 0)
    return;

  memset (&job, 0, sizeof job);
  job.pool = ctx->pool;
  job.kernels = bendi_cpu_kernels ();
  job.w = w;
  job.in = in;
  job.out = out;
  g_return_if_fail (job.kernels->gemm_rows[w->type] != NULL);
  g_return_if_fail (w->layout == BENDI_MATRIX_LAYOUT_ROWS ||
                    job.kernels->gemm_interleaved[w->type] != NULL);

  if (bendi_act_kind_for_type (w->type) == BENDI_ACT_F32)
    {
      job.acts.kind = BENDI_ACT_F32;
      job.acts.n_cols = w->n_cols;
      job.acts.n_tokens = n_tokens;
      job.acts.stride = (gsize) w->n_cols * sizeof (float);
      job.acts.values = in;
    }
  else
    acts_prepare (ctx, w, n_tokens, &job.acts, &job.acts_out);

  bendi_thread_pool_run (ctx->pool, matmul_worker, &job);
}
