/* SPDX-License-Identifier: MIT */
/* An independent STREAM-like read test, to check `bendi-cli hw --measure` against: plain C and OpenMP, nothing of Bendi's.
 *
 * Build and run (tests/hw-calibrate.py does both):
 *   cc -O3 -march=native -fopenmp tests/hw-stream.c -o hw-stream && ./hw-stream [MiB] [repetitions]
 *
 * Every thread sums its static share of one array of doubles (the compiler
 * vectorises the reduction); the best of the repetitions counts, as STREAM
 * reports its best time. Prints the read bandwidth in GB/s (10^9 bytes a
 * second).
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

int
main (int   argc,
      char *argv[])
{
  size_t mib = argc > 1 ? strtoul (argv[1], NULL, 10) : 1024;
  int repetitions = argc > 2 ? atoi (argv[2]) : 20;
  size_t n = mib * 1024 * 1024 / sizeof (double);
  double *a = NULL;
  double best = 1e30, sink = 0.0;

  /* 2 MiB pages where the kernel offers them (as the engine keeps its
   * weights and as `hw --measure` reads): through 4 KiB pages a core's
   * prefetchers stop at every page boundary, and the test would measure
   * that rather than the memory. */
  if (repetitions < 1 || posix_memalign ((void **) &a, 2 << 20, n * sizeof (double)) != 0)
    return 1;
  madvise (a, n * sizeof (double), MADV_HUGEPAGE);
  /* First touch by the thread that reads each part. */
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < n; i++)
    a[i] = (double) (i & 7);

  for (int r = 0; r < repetitions; r++)
    {
      double sum = 0.0;
      double t0 = omp_get_wtime ();

      /* simd: the sum may be reordered, so it is vectorised and several
       * partial sums run at once; a single chain of dependent additions
       * would measure the adder's latency, not the memory. */
#pragma omp parallel for simd schedule(static) reduction(+:sum)
      for (size_t i = 0; i < n; i++)
        sum += a[i];
      double t = omp_get_wtime () - t0;
      if (t < best)
        best = t;
      sink += sum;
    }
  printf ("%.3f\n", (double) (n * sizeof (double)) / best / 1e9);
  fprintf (stderr, "hw-stream: %zu MiB, %d threads, best of %d, checksum %g\n", mib, omp_get_max_threads (),
           repetitions, sink);
  free (a);
  return 0;
}
