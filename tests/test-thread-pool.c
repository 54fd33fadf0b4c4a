/* SPDX-License-Identifier: MIT */
/* The thread pool: every share runs once per loop, barriers hold, and
 * sleeping workers wake up for the next loop. */
#include <stdatomic.h>

#include "cpu/thread-pool.h"
#include "test-util.h"

#define MAX_THREADS 8

typedef struct {
  BendiThreadPool *pool;
  atomic_int       calls[MAX_THREADS];
  atomic_int       wrong_nth;
  int              expected_nth;
  gint64           values[MAX_THREADS * 64];
  atomic_int       barrier_errors;
} LoopData;

static void
count_share (gpointer data,
             int      ith,
             int      nth)
{
  LoopData *loop = data;

  if (nth != loop->expected_nth)
    atomic_fetch_add (&loop->wrong_nth, 1);
  atomic_fetch_add (&loop->calls[ith], 1);
}

static void
test_every_share_once (void)
{
  for (int n_threads = 1; n_threads <= 4; n_threads++)
    {
      g_autoptr (BendiThreadPool) pool = bendi_thread_pool_new (n_threads);
      LoopData loop = { .expected_nth = n_threads };
      const int n_loops = 3000;

      g_assert_cmpint (bendi_thread_pool_get_n_threads (pool), ==, n_threads);
      for (int i = 0; i < n_loops; i++)
        bendi_thread_pool_run (pool, count_share, &loop);
      /* Returning means every share is done: nothing runs late. */
      for (int t = 0; t < n_threads; t++)
        g_assert_cmpint (atomic_load (&loop.calls[t]), ==, n_loops);
      g_assert_cmpint (atomic_load (&loop.wrong_nth), ==, 0);
    }
}

static void
test_default_threads (void)
{
  g_autoptr (BendiThreadPool) pool = bendi_thread_pool_new (0);

  g_assert_cmpint (bendi_thread_pool_get_n_threads (pool), ==, (int) g_get_num_processors ());
}

/* Each share writes its range, passes a barrier, then reads everyone's:
 * a barrier that let a thread through early would show stale values. */
static void
barrier_share (gpointer data,
               int      ith,
               int      nth)
{
  LoopData *loop = data;

  for (int round = 1; round <= 50; round++)
    {
      gint64 start, end;

      bendi_split_range (G_N_ELEMENTS (loop->values), ith, nth, &start, &end);
      for (gint64 i = start; i < end; i++)
        loop->values[i] = round * 1000 + i;
      bendi_thread_pool_barrier (loop->pool);
      for (gsize i = 0; i < G_N_ELEMENTS (loop->values); i++)
        if (loop->values[i] != round * 1000 + (gint64) i)
          atomic_fetch_add (&loop->barrier_errors, 1);
      bendi_thread_pool_barrier (loop->pool);
    }
}

static void
test_barrier (void)
{
  for (int n_threads = 1; n_threads <= 4; n_threads++)
    {
      g_autoptr (BendiThreadPool) pool = bendi_thread_pool_new (n_threads);
      LoopData loop = { .pool = pool, .expected_nth = n_threads };

      for (int i = 0; i < 20; i++)
        bendi_thread_pool_run (pool, barrier_share, &loop);
      g_assert_cmpint (atomic_load (&loop.barrier_errors), ==, 0);
    }
}

/* Workers fall asleep after a while without loops; the next loop must
 * still run on all of them. */
static void
test_wake_after_sleep (void)
{
  g_autoptr (BendiThreadPool) pool = bendi_thread_pool_new (3);
  LoopData loop = { .expected_nth = 3 };

  for (int i = 0; i < 5; i++)
    {
      g_usleep (20000);
      bendi_thread_pool_run (pool, count_share, &loop);
    }
  for (int t = 0; t < 3; t++)
    g_assert_cmpint (atomic_load (&loop.calls[t]), ==, 5);
}

/* Freeing a pool whose workers sleep, or never ran anything, must not hang. */
static void
test_free_idle (void)
{
  BendiThreadPool *pool = bendi_thread_pool_new (4);

  bendi_thread_pool_free (pool);
  pool = bendi_thread_pool_new (4);
  g_usleep (20000);
  bendi_thread_pool_free (pool);
  bendi_thread_pool_free (NULL);
}

static void
test_split_range (void)
{
  const gint64 counts[] = { 0, 1, 7, 16, 17, 1000 };

  for (gsize c = 0; c < G_N_ELEMENTS (counts); c++)
    for (int nth = 1; nth <= 5; nth++)
      {
        gint64 next = 0;

        for (int ith = 0; ith < nth; ith++)
          {
            gint64 start, end;

            bendi_split_range (counts[c], ith, nth, &start, &end);
            /* Contiguous, in order, and never more than one apart in size. */
            g_assert_cmpint (start, ==, next);
            g_assert_cmpint (end - start, <=, counts[c] / nth + 1);
            g_assert_cmpint (end - start, >=, counts[c] / nth);
            next = end;
          }
        g_assert_cmpint (next, ==, counts[c]);
      }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/thread-pool/every-share-once", test_every_share_once);
  g_test_add_func ("/engine/thread-pool/default-threads", test_default_threads);
  g_test_add_func ("/engine/thread-pool/barrier", test_barrier);
  g_test_add_func ("/engine/thread-pool/wake-after-sleep", test_wake_after_sleep);
  g_test_add_func ("/engine/thread-pool/free-idle", test_free_idle);
  g_test_add_func ("/engine/thread-pool/split-range", test_split_range);

  return g_test_run ();
}
