/* SPDX-License-Identifier: MIT */
/* A STREAM-like read test: every thread sums its own slice of one large
 * buffer with vector loads, four independent accumulators deep, and with
 * the same software prefetches as the engine's kernels, so only the memory
 * system limits the pass. Without them a core keeps too few lines in
 * flight to find the memory's limit: on a 2-core AVX-512 VM the 512-bit
 * loop read 30.5 GB/s and the 256-bit one 36, with prefetches both read
 * 36.5-37, as an independent OpenMP read test does (tests/hw-stream.c). */
#include "cpu-bandwidth.h"

#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/mman.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "cpu/cpu-features.h"
#include "cpu/kernels.h"
#include "cpu/thread-pool.h"

#define MIB ((gsize) 1024 * 1024)
#define MIN_PASSES 5

typedef guint64 (*ReadFunc) (const guint8 *p,
                             gsize         n);

/* The sums are returned so the loads cannot be optimised away. */
static guint64
read_scalar (const guint8 *p,
             gsize         n)
{
  const guint64 *q = (const guint64 *) p;
  guint64 s0 = 0, s1 = 0, s2 = 0, s3 = 0;

  for (gsize i = 0; i < n / 8; i += 4)
    {
      s0 += q[i];
      s1 += q[i + 1];
      s2 += q[i + 2];
      s3 += q[i + 3];
    }
  return s0 + s1 + s2 + s3;
}

#if defined(__x86_64__)
__attribute__ ((target ("avx2")))
static guint64
read_avx2 (const guint8 *p,
           gsize         n)
{
  __m256i s0 = _mm256_setzero_si256 (), s1 = s0, s2 = s0, s3 = s0;
  guint64 lanes[4];

  for (gsize i = 0; i < n; i += 128)
    {
      bendi_prefetch_stream (p + i, 128);
      s0 = _mm256_add_epi64 (s0, _mm256_load_si256 ((const __m256i *) (p + i)));
      s1 = _mm256_add_epi64 (s1, _mm256_load_si256 ((const __m256i *) (p + i + 32)));
      s2 = _mm256_add_epi64 (s2, _mm256_load_si256 ((const __m256i *) (p + i + 64)));
      s3 = _mm256_add_epi64 (s3, _mm256_load_si256 ((const __m256i *) (p + i + 96)));
    }
  s0 = _mm256_add_epi64 (_mm256_add_epi64 (s0, s1), _mm256_add_epi64 (s2, s3));
  _mm256_storeu_si256 ((__m256i *) lanes, s0);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}

__attribute__ ((target ("avx512f")))
static guint64
read_avx512 (const guint8 *p,
             gsize         n)
{
  __m512i s0 = _mm512_setzero_si512 (), s1 = s0, s2 = s0, s3 = s0;
  guint64 lanes[8], sum = 0;

  for (gsize i = 0; i < n; i += 256)
    {
      bendi_prefetch_stream (p + i, 256);
      s0 = _mm512_add_epi64 (s0, _mm512_load_si512 (p + i));
      s1 = _mm512_add_epi64 (s1, _mm512_load_si512 (p + i + 64));
      s2 = _mm512_add_epi64 (s2, _mm512_load_si512 (p + i + 128));
      s3 = _mm512_add_epi64 (s3, _mm512_load_si512 (p + i + 192));
    }
  /* Summed as unsigned: _mm512_reduce_add_epi64 adds signed lanes, and
   * these sums wrap (undefined behaviour that UBSan stops on). */
  _mm512_storeu_si512 (lanes, _mm512_add_epi64 (_mm512_add_epi64 (s0, s1), _mm512_add_epi64 (s2, s3)));
  for (int i = 0; i < 8; i++)
    sum += lanes[i];
  return sum;
}
#endif

static ReadFunc
read_func_for_cpu (void)
{
#if defined(__x86_64__)
  const BendiCpuFeatures *features = bendi_cpu_features_get ();

  if (features->avx512)
    return read_avx512;
  if (features->avx2)
    return read_avx2;
#endif
  return read_scalar;
}

typedef struct {
  ReadFunc      read;
  const guint8 *buffer;
  gsize         slice_bytes;   /* per thread, a multiple of 256 */
  guint64       sums[64];
} PassJob;

static void
read_share (gpointer data,
            int      ith,
            int      nth G_GNUC_UNUSED)
{
  PassJob *job = data;
  guint64 sum = job->read (job->buffer + (gsize) ith * job->slice_bytes, job->slice_bytes);

  job->sums[ith % 64] += sum;
}

static void
fill_share (gpointer data,
            int      ith,
            int      nth G_GNUC_UNUSED)
{
  PassJob *job = data;

  /* Written (not left as the shared zero page) by the thread that reads
   * it, so the pages sit near that thread on NUMA machines. */
  memset ((guint8 *) job->buffer + (gsize) ith * job->slice_bytes, ith + 1, job->slice_bytes);
}

gsize
bendi_cpu_bandwidth_default_buffer (void)
{
  gsize size = 256 * MIB;
  gsize cap = 1024 * MIB;
#if defined(_SC_LEVEL3_CACHE_SIZE) && defined(_SC_PHYS_PAGES)
  long llc = sysconf (_SC_LEVEL3_CACHE_SIZE);
  long pages = sysconf (_SC_PHYS_PAGES);
  long page_size = sysconf (_SC_PAGESIZE);

  if (llc > 0)
    size = MAX (size, (gsize) llc * 4);
  if (pages > 0 && page_size > 0)
    cap = MIN (cap, (gsize) pages * (gsize) page_size / 4);
#endif
  return MAX (MIN (size, cap), 16 * MIB);
}

double
bendi_cpu_read_bandwidth_measure (int    n_threads,
                                  gsize  buffer_bytes,
                                  double min_seconds)
{
  g_autoptr (BendiThreadPool) pool = NULL;
  PassJob job = { 0 };
  guint8 *buffer;
  gsize total;
  double best = G_MAXDOUBLE;
  gint64 start;
  int nth;

  pool = bendi_thread_pool_new (n_threads);
  nth = bendi_thread_pool_get_n_threads (pool);
  if (buffer_bytes == 0)
    buffer_bytes = bendi_cpu_bandwidth_default_buffer ();

  job.read = read_func_for_cpu ();
  job.slice_bytes = MAX (buffer_bytes / (gsize) nth / 256, 1) * 256;
  total = job.slice_bytes * (gsize) nth;
  buffer = g_try_malloc (total + 2 * MIB);
  if (buffer == NULL)
    return 0;
  /* 2 MiB alignment lets the kernel back the buffer with huge pages, so
   * page walks do not count against the memory. */
  job.buffer = (const guint8 *) (((guintptr) buffer + 2 * MIB - 1) & ~(guintptr) (2 * MIB - 1));
#ifdef MADV_HUGEPAGE
  madvise ((void *) job.buffer, total, MADV_HUGEPAGE);
#endif
  bendi_thread_pool_run (pool, fill_share, &job);

  start = g_get_monotonic_time ();
  for (int pass = 0; ; pass++)
    {
      gint64 t0 = g_get_monotonic_time ();
      gint64 t1;

      bendi_thread_pool_run (pool, read_share, &job);
      t1 = g_get_monotonic_time ();
      best = MIN (best, (double) (t1 - t0) * 1e-6);
      if (pass + 1 >= MIN_PASSES && (double) (t1 - start) * 1e-6 >= min_seconds)
        break;
    }

  g_free (buffer);
  return (double) total / MAX (best, 1e-9) / 1e9;
}
