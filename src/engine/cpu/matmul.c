/* SPDX-License-Identifier: MIT */
/* bendi_matmul: quantises the activations as llama.cpp would, then splits
 * the rows over the thread pool and runs the best kernel for the CPU. */
#include "cpu/matmul.h"

#include <stdalign.h>
#include <stdatomic.h>
#include <string.h>

#include "cpu/cpu-features.h"
#include "cpu/kernels.h"
#include "tensor/quant.h"

/* A thread's share of a product's groups, [first, end) packed in one word
 * (first in the high half) so the owner taking from the front and a thief
 * taking from the back agree through one compare-and-swap. On a cache line
 * of its own. */
typedef struct {
  alignas (64) _Atomic guint64 range;
} ThreadShare;

struct _BendiMatmulContext {
  BendiThreadPool *pool;
  gpointer         scratch;       /* quantised activations, 64-byte aligned */
  gsize            scratch_size;
  ThreadShare     *shares;        /* one per thread of the pool */
  gpointer         inputs;        /* floats made by a BendiMatmulInputFunc */
  gsize            inputs_size;
};

/* ------------------------------------------------------------------------ */
/* Choosing the kernel family. */

/* generic, AVX2, AVX2 with AVX-VNNI, AVX-512 with VNNI, and with AMX for
 * batches. AVX-512 without VNNI (Skylake-X) runs the AVX2 kernels. */
static BendiCpuKernels tables[5];
static const BendiCpuKernels *active;  /* atomic: any thread may choose it */
static guint active_serial;             /* the features' serial it was chosen for */

static void
init_tables (void)
{
  bendi_kernels_init_generic (&tables[0]);
#if defined(__x86_64__)
  bendi_kernels_init_avx2 (&tables[1]);
  bendi_kernels_init_avx2_vnni (&tables[2]);
  bendi_kernels_init_avx512_vnni (&tables[3]);
  bendi_kernels_init_amx (&tables[4]);
#endif
}

const BendiCpuKernels *
bendi_cpu_kernels (void)
{
  static gsize initialized = 0;
  const BendiCpuFeatures *features;
  guint serial = bendi_cpu_features_serial ();
  int family = 0;

  if (G_LIKELY ((guint) g_atomic_int_get (&active_serial) == serial))
    return g_atomic_pointer_get (&active);

  if (g_once_init_enter (&initialized))
    {
      init_tables ();
      g_once_init_leave (&initialized, 1);
    }
  features = bendi_cpu_features_get ();
#if defined(__x86_64__)
  if (features->avx512 && features->avx512_vnni)
    family = features->amx_int8 ? 4 : 3;
  else if (features->avx2)
    family = features->avx_vnni ? 2 : 1;
#else
  (void) features;
#endif
  /* The table first, then the serial that makes readers trust it. */
  g_atomic_pointer_set (&active, &tables[family]);
  g_atomic_int_set (&active_serial, serial);
  return &tables[family];
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
    case BENDI_TENSOR_TYPE_Q3_K:
      return 4;
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
                     void        *dest)
{
  const guint8 *src;
  gsize group_bytes;
  gint64 n_grouped;
  g_autofree guint8 *rows = NULL;

  g_return_if_fail (matrix != NULL);
  g_return_if_fail (dest != NULL);

  if (matrix->layout != BENDI_MATRIX_LAYOUT_ROWS ||
      matrix->n_rows < BENDI_INTERLEAVE ||
      !bendi_interleave_supported (matrix->type))
    {
      if (dest != matrix->data)
        {
          memcpy (dest, matrix->data, matrix->row_bytes * (gsize) matrix->n_rows);
          matrix->data = dest;
        }
      return;
    }

  /* In place, one group at a time goes through a small copy, so memory
   * never doubles. */
  src = matrix->data;
  group_bytes = matrix->row_bytes * BENDI_INTERLEAVE;
  if (dest == matrix->data)
    rows = g_malloc (group_bytes);
  n_grouped = matrix->n_rows - matrix->n_rows % BENDI_INTERLEAVE;
  for (gint64 r = 0; r < n_grouped; r += BENDI_INTERLEAVE)
    {
      const guint8 *group = src + r * matrix->row_bytes;

      if (rows != NULL)
        {
          memcpy (rows, group, group_bytes);
          group = rows;
        }
      bendi_interleave_group (matrix->type, matrix->n_cols, group, (guint8 *) dest + r * matrix->row_bytes);
    }
  if (dest != matrix->data)
    memcpy ((guint8 *) dest + n_grouped * matrix->row_bytes, src + n_grouped * matrix->row_bytes,
            (gsize) (matrix->n_rows - n_grouped) * matrix->row_bytes);
  matrix->data = dest;
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
  self->shares = g_aligned_alloc0 (bendi_thread_pool_get_n_threads (pool), sizeof (ThreadShare), 64);
  return self;
}

void
bendi_matmul_context_free (BendiMatmulContext *self)
{
  if (self == NULL)
    return;
  g_aligned_free (self->scratch);
  g_aligned_free (self->shares);
  g_aligned_free (self->inputs);
  g_free (self);
}

/* @*buffer, 64-byte aligned, grown to at least @size bytes (by half again
 * at least, so that slowly growing batches do not reallocate each time). */
static gpointer
grow_buffer (gpointer *buffer,
             gsize    *capacity,
             gsize     size)
{
  if (size > *capacity)
    {
      g_aligned_free (*buffer);
      *capacity = MAX (size, *capacity + *capacity / 2);
      *buffer = g_aligned_alloc (1, *capacity, 64);
    }
  return *buffer;
}

static guint8 *
scratch_get (BendiMatmulContext *self,
             gsize               size)
{
  return grow_buffer (&self->scratch, &self->scratch_size, size);
}

static float *
inputs_get (BendiMatmulContext *self,
            gsize               n_floats)
{
  return grow_buffer (&self->inputs, &self->inputs_size, n_floats * sizeof (float));
}

static gsize
align64 (gsize n)
{
  return (n + 63) & ~(gsize) 63;
}

/* Batches of up to this many tokens are quantised by every thread for
 * itself: cheaper than having the threads wait for one another. */
#define PRIVATE_QUANT_TOKENS 4
/* Row chunks handed out per thread: enough to even out a thread that runs
 * slower or starts late, few enough to keep each chunk a long stream. */
#define CHUNKS_PER_THREAD 4

/* Lays the activations' arrays out in the context's scratch, @n_copies
 * times (each @copy_bytes apart). */
static void
acts_prepare (BendiMatmulContext *self,
              const BendiMatrix  *w,
              gint64              n_tokens,
              int                 n_copies,
              BendiActs          *acts,
              BendiActsOut       *out,
              gsize              *copy_bytes)
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

  *copy_bytes = values_bytes + 2 * floats_bytes + ints_bytes + bsums_bytes;
  base = scratch_get (self, *copy_bytes * (gsize) n_copies);
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

/* The same arrays @offset bytes further on: another thread's copy. */
static void
acts_offset (BendiActs    *acts,
             BendiActsOut *out,
             gsize         offset)
{
  out->values += offset;
  out->d = (float *) ((guint8 *) out->d + offset);
  out->s = (float *) ((guint8 *) out->s + offset);
  out->sums = (gint32 *) ((guint8 *) out->sums + offset);
  out->bsums = (gint16 *) ((guint8 *) out->bsums + offset);
  acts->values = out->values;
  acts->d = out->d;
  acts->s = out->s;
  acts->sums = out->sums;
  acts->bsums = out->bsums;
}

/* Matrices multiplied in one pass, sharing their input. */
#define MAX_FUSED 3

typedef struct {
  const BendiCpuKernels *kernels;
  int                    n_w;
  const BendiMatrix     *w[MAX_FUSED];
  float                 *out[MAX_FUSED];
  gint64                 row_chunk[MAX_FUSED];        /* rows, a multiple of BENDI_INTERLEAVE */
  gint64                 first_chunk[MAX_FUSED + 1];  /* chunks of the matrices before each */
  const float           *in;
  BendiMatmulInputFunc   make_input;    /* or NULL: the input is @in */
  gpointer               input_data;
  float                 *inputs;        /* where make_input writes: a copy per thread if private_acts */
  float                 *residual;      /* or NULL */
  BendiActs              acts;
  BendiActsOut           acts_out;
  gboolean               private_acts;   /* each thread quantises all tokens itself */
  gsize                  copy_bytes;
  gint64                 token_chunk;
  /* One or a few tokens: every thread streams a share of the groups,
   * counted across the matrices (see take_groups). */
  gboolean               shared;
  int                    n_threads;
  gint64                 first_group[MAX_FUSED + 1];
  ThreadShare           *shares;

  /* Work handed out as it is asked for, each counter on its own line. */
  alignas (64) atomic_llong next_token;
  alignas (64) atomic_llong tokens_done;
  alignas (64) atomic_llong next_chunk;
} MatmulJob;

static inline void
cpu_relax (void)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause ();
#elif defined(__aarch64__)
  __asm__ volatile ("yield");
#endif
}

#define SHARE(first, end) (((guint64) (first) << 32) | (guint64) (end))
#define SHARE_FIRST(range) ((gint64) ((range) >> 32))
#define SHARE_END(range) ((gint64) ((range) & G_MAXUINT32))

/* The next groups [*g0, *g1) for thread @ith, or FALSE when every group
 * is taken. With few tokens a product takes tens to hundreds of
 * microseconds and ends at a barrier, so the threads must finish together;
 * yet every jump to other rows restarts a memory stream, which costs the
 * time the prefetchers take to catch up. So each thread starts on its own
 * contiguous share and takes it one group at a time, one unbroken stream;
 * a thread that has finished takes the back half of the largest share
 * left, which then is its own (and can be halved again by the other
 * threads). The threads end within a group of each other after a handful
 * of jumps. Generation, 1B Q4_0, 2 threads, four runs each alternated,
 * against shares handed out from one counter and shrinking from a quarter
 * of the work left to one group (some twenty streams a product): about 2%
 * faster (perf-matmul 20.2-20.7 -> 19.6-20.6 ms a token; bench 45.2-48.3
 * -> 45.5-48.8 tokens/s). */
static gboolean
take_groups (MatmulJob *job,
             int        ith,
             gint64    *g0,
             gint64    *g1)
{
  ThreadShare *own = &job->shares[ith];
  guint64 range = atomic_load_explicit (&own->range, memory_order_relaxed);

  for (;;)
    {
      gint64 first = SHARE_FIRST (range), end = SHARE_END (range);
      ThreadShare *victim = NULL;
      guint64 victim_range = 0;
      gint64 most = 0, half;

      if (first < end)
        {
          if (atomic_compare_exchange_weak_explicit (&own->range, &range, SHARE (first + 1, end),
                                                     memory_order_relaxed, memory_order_relaxed))
            {
              *g0 = first;
              *g1 = first + 1;
              return TRUE;
            }
          continue;
        }

      /* Nothing left of our own: the largest share left, if any. */
      for (int t = 0; t < job->n_threads; t++)
        {
          guint64 r = atomic_load_explicit (&job->shares[t].range, memory_order_relaxed);

          if (SHARE_END (r) - SHARE_FIRST (r) > most)
            {
              most = SHARE_END (r) - SHARE_FIRST (r);
              victim = &job->shares[t];
              victim_range = r;
            }
        }
      if (victim == NULL)
        return FALSE;
      half = (most + 1) / 2;
      if (!atomic_compare_exchange_strong_explicit (&victim->range, &victim_range,
                                                    SHARE (SHARE_FIRST (victim_range), SHARE_END (victim_range) - half),
                                                    memory_order_relaxed, memory_order_relaxed))
        continue;
      /* Ours was empty, so no other thread touches it until this store. */
      range = SHARE (SHARE_END (victim_range) - half, SHARE_END (victim_range));
      atomic_store_explicit (&own->range, range, memory_order_relaxed);
    }
}

/* The next rows [*r0, *r1) of matrix *i for thread @ith, or FALSE when
 * every row is taken. */
static gboolean
take_rows (MatmulJob *job,
           int        ith,
           int       *i,
           gint64    *r0,
           gint64    *r1)
{
  gint64 chunk;

  if (job->shared)
    {
      gint64 g0, g1;

      if (!take_groups (job, ith, &g0, &g1))
        return FALSE;
      *i = 0;
      while (g0 >= job->first_group[*i + 1])
        (*i)++;
      *r0 = (g0 - job->first_group[*i]) * BENDI_INTERLEAVE;
      *r1 = MIN ((g1 - job->first_group[*i]) * BENDI_INTERLEAVE, job->w[*i]->n_rows);
      return TRUE;
    }

  chunk = atomic_fetch_add (&job->next_chunk, 1);
  if (chunk >= job->first_chunk[job->n_w])
    return FALSE;
  *i = 0;
  while (chunk >= job->first_chunk[*i + 1])
    (*i)++;
  *r0 = (chunk - job->first_chunk[*i]) * job->row_chunk[*i];
  *r1 = MIN (*r0 + job->row_chunk[*i], job->w[*i]->n_rows);
  return TRUE;
}

static void
matmul_worker (gpointer data,
               int      ith,
               int      nth G_GNUC_UNUSED)
{
  MatmulJob *job = data;
  const BendiCpuKernels *kernels = job->kernels;
  gint64 n_tokens = job->acts.n_tokens;
  BendiActs acts = job->acts;
  BendiActsOut acts_out = job->acts_out;

  if (job->private_acts)
    {
      const float *in = job->in;

      acts_offset (&acts, &acts_out, job->copy_bytes * (gsize) ith);
      if (job->make_input != NULL)
        {
          float *mine = job->inputs + (gsize) ith * (gsize) n_tokens * (gsize) acts.n_cols;

          job->make_input (job->input_data, 0, n_tokens, mine);
          in = mine;
        }
      kernels->quantize[acts.kind] (&acts, &acts_out, in, 0, n_tokens);
    }
  else if (acts.kind != BENDI_ACT_F32 || job->make_input != NULL)
    {
      /* Take chunks of tokens until none are left, then wait for those
       * that other threads are still preparing. */
      for (;;)
        {
          gint64 t0 = atomic_fetch_add (&job->next_token, job->token_chunk);
          gint64 t1 = MIN (t0 + job->token_chunk, n_tokens);
          const float *in = job->in;

          if (t0 >= n_tokens)
            break;
          if (job->make_input != NULL)
            {
              job->make_input (job->input_data, t0, t1, job->inputs + t0 * acts.n_cols);
              in = job->inputs;
            }
          if (acts.kind != BENDI_ACT_F32)
            kernels->quantize[acts.kind] (&acts, &acts_out, in, t0, t1);
          atomic_fetch_add_explicit (&job->tokens_done, t1 - t0, memory_order_release);
        }
      for (guint i = 0; atomic_load_explicit (&job->tokens_done, memory_order_acquire) < n_tokens; i++)
        {
          cpu_relax ();
          if ((i & 4095) == 4095)
            g_thread_yield ();
        }
    }

  /* Rows go out in whole groups, so no two threads write the same cache
   * line of the output; one matrix's rows after another's. */
  for (;;)
    {
      const BendiMatrix *w;
      gint64 n_interleaved, r0, r1;
      int i;

      if (!take_rows (job, ith, &i, &r0, &r1))
        break;
      w = job->w[i];
      n_interleaved = interleaved_rows (w);
      if (r0 < MIN (r1, n_interleaved))
        kernels->gemm_interleaved[w->type] (w, r0, MIN (r1, n_interleaved), &acts, job->out[i], w->n_rows);
      if (MAX (r0, n_interleaved) < r1)
        kernels->gemm_rows[w->type] (w, MAX (r0, n_interleaved), r1, &acts, job->out[i], w->n_rows);
      /* while the rows are in this thread's cache */
      if (job->residual != NULL)
        for (gint64 t = 0; t < n_tokens; t++)
          kernels->add (job->residual + t * w->n_rows + r0, job->out[i] + t * w->n_rows + r0, r1 - r0);
    }
}

/* Whether @a and @b can share one quantisation of their input. */
static gboolean
same_activations (const BendiMatrix *a,
                  const BendiMatrix *b)
{
  return a->n_cols == b->n_cols &&
         bendi_act_kind_for_type (a->type) == bendi_act_kind_for_type (b->type) &&
         bendi_act_bias_for_type (a->type) == bendi_act_bias_for_type (b->type);
}

void
bendi_matmul (BendiMatmulContext *ctx,
              const BendiMatrix  *w,
              const float        *in,
              gint64              n_tokens,
              float              *out)
{
  bendi_matmul_n (ctx, 1, &w, in, n_tokens, &out);
}

void
bendi_matmul_n (BendiMatmulContext       *ctx,
                int                       n,
                const BendiMatrix *const *w,
                const float              *in,
                gint64                    n_tokens,
                float *const             *out)
{
  g_return_if_fail (in != NULL);

  bendi_matmul_with (ctx, n, w, in, n_tokens, out, NULL);
}

void
bendi_matmul_with (BendiMatmulContext       *ctx,
                   int                       n,
                   const BendiMatrix *const *w,
                   const float              *in,
                   gint64                    n_tokens,
                   float *const             *out,
                   const BendiMatmulSteps   *steps)
{
  gboolean fusable = n <= MAX_FUSED;
  int nth;
  MatmulJob job;

  g_return_if_fail (ctx != NULL && w != NULL && out != NULL);
  g_return_if_fail (n >= 1 && n_tokens >= 0);
  g_return_if_fail (steps == NULL || steps->residual == NULL || n == 1);
  g_return_if_fail (in != NULL || (steps != NULL && steps->make_input != NULL));

  if (n_tokens == 0)
    return;
  /* Matrices that round their input differently go one by one. */
  for (int i = 1; i < n && fusable; i++)
    fusable = same_activations (w[0], w[i]);
  if (!fusable)
    {
      for (int i = 0; i < n; i++)
        bendi_matmul_with (ctx, 1, &w[i], in, n_tokens, &out[i], steps);
      return;
    }

  memset (&job, 0, sizeof job);
  job.kernels = bendi_cpu_kernels ();
  job.in = in;
  if (steps != NULL)
    {
      job.make_input = steps->make_input;
      job.input_data = steps->input_data;
      job.residual = steps->residual;
    }
  job.n_w = n;
  nth = bendi_thread_pool_get_n_threads (ctx->pool);
  job.n_threads = nth;
  job.shared = n_tokens <= PRIVATE_QUANT_TOKENS;
  job.shares = ctx->shares;
  for (int i = 0; i < n; i++)
    {
      gint64 n_groups, chunk_groups;

      g_return_if_fail (w[i] != NULL && out[i] != NULL);
      g_return_if_fail (job.kernels->gemm_rows[w[i]->type] != NULL);
      g_return_if_fail (w[i]->layout == BENDI_MATRIX_LAYOUT_ROWS ||
                        job.kernels->gemm_interleaved[w[i]->type] != NULL);
      job.w[i] = w[i];
      job.out[i] = out[i];

      n_groups = (w[i]->n_rows + BENDI_INTERLEAVE - 1) / BENDI_INTERLEAVE;
      job.first_group[i + 1] = job.first_group[i] + n_groups;
      /* Fixed chunks of whole groups, at least a panel's worth so the
       * kernels' tiling over tokens pays off. */
      chunk_groups = MAX (1, n_groups / (nth * CHUNKS_PER_THREAD));
      chunk_groups = MAX (chunk_groups, MIN (4, (n_groups + nth - 1) / nth));
      job.row_chunk[i] = chunk_groups * BENDI_INTERLEAVE;
      job.first_chunk[i + 1] = job.first_chunk[i] + (w[i]->n_rows + job.row_chunk[i] - 1) / job.row_chunk[i];
    }
  if (job.first_group[n] == 0)
    return;
  /* Shares are packed in 32 bits each. */
  if (job.first_group[n] > G_MAXUINT32)
    job.shared = FALSE;
  for (int t = 0; t < nth && job.shared; t++)
    atomic_store_explicit (&ctx->shares[t].range,
                           SHARE (job.first_group[n] * t / nth, job.first_group[n] * (t + 1) / nth),
                           memory_order_relaxed);

  job.token_chunk = MAX (1, n_tokens / (nth * CHUNKS_PER_THREAD));
  if (bendi_act_kind_for_type (w[0]->type) == BENDI_ACT_F32)
    {
      job.acts.kind = BENDI_ACT_F32;
      job.acts.n_cols = w[0]->n_cols;
      job.acts.n_tokens = n_tokens;
      job.acts.stride = (gsize) w[0]->n_cols * sizeof (float);
      if (job.make_input != NULL)
        job.inputs = steps->batch_input != NULL ? steps->batch_input :
                     inputs_get (ctx, (gsize) n_tokens * (gsize) w[0]->n_cols);
      job.acts.values = job.make_input != NULL ? (const void *) job.inputs : (const void *) in;
    }
  else
    {
      job.private_acts = nth > 1 && n_tokens <= PRIVATE_QUANT_TOKENS;
      acts_prepare (ctx, w[0], n_tokens, job.private_acts ? nth : 1, &job.acts, &job.acts_out, &job.copy_bytes);
      if (job.make_input != NULL && job.private_acts)
        job.inputs = inputs_get (ctx, (gsize) nth * (gsize) n_tokens * (gsize) w[0]->n_cols);
      else if (job.make_input != NULL)
        job.inputs = steps->batch_input != NULL ? steps->batch_input :
                     inputs_get (ctx, (gsize) n_tokens * (gsize) w[0]->n_cols);
    }

  bendi_thread_pool_run (ctx->pool, matmul_worker, &job);
}
