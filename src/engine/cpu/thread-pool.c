/* SPDX-License-Identifier: MIT */
/* Persistent worker threads: a loop starts by bumping a counter the workers
 * spin on, and they sleep on a futex when no loop has come for a while. */
#include "cpu/thread-pool.h"

#include <stdalign.h>
#include <stdatomic.h>

#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

/* How long a waiting thread spins before it sleeps. Workers wait between
 * loops, which a forward pass issues microseconds to a few hundred apart
 * (attention runs between them); waking a sleeping thread costs tens to
 * hundreds of microseconds, far more in a virtual machine whose idle vCPU
 * the host has descheduled. The caller waits for the other shares of its
 * own loop, which end almost together. */
#define WORKER_SPIN_US 1000
#define CALLER_SPIN_US 2000

typedef struct {
  BendiThreadPool *pool;
  int              ith;
  GThread         *thread;
} Worker;

struct _BendiThreadPool {
  int                    n_threads;
  Worker                *workers;       /* n_threads - 1 of them; the caller is share 0 */
  BendiParallelFunc      func;
  gpointer               data;
  gboolean               stop;
  gboolean               oversubscribed;  /* more threads than cores */

  /* Each counter on its own cache line: the caller writes the first, the
   * workers the second, everyone the barrier's. */
  alignas (64) atomic_uint generation;  /* bumped to start a loop */
  atomic_int             n_workers_sleeping;
  alignas (64) atomic_uint n_done;      /* workers done with the current loop */
  atomic_int             caller_sleeping;
  alignas (64) atomic_uint barrier_count;
  atomic_uint            barrier_phase;
#ifndef __linux__
  GMutex                 mutex;
  GCond                  cond;
#endif
};

static inline void
cpu_relax (void)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause ();
#elif defined(__aarch64__)
  __asm__ volatile ("yield");
#endif
}

/* ------------------------------------------------------------------------ */
/* Sleeping until a word changes: a futex on Linux, a condition elsewhere. */

static void
word_sleep (BendiThreadPool *self,
            atomic_uint     *word,
            guint            old)
{
#ifdef __linux__
  (void) self;
  syscall (SYS_futex, (guint *) word, FUTEX_WAIT_PRIVATE, old, NULL, NULL, 0);
#else
  g_mutex_lock (&self->mutex);
  while (atomic_load (word) == old)
    g_cond_wait (&self->cond, &self->mutex);
  g_mutex_unlock (&self->mutex);
#endif
}

static void
word_wake (BendiThreadPool *self,
           atomic_uint     *word)
{
#ifdef __linux__
  (void) self;
  syscall (SYS_futex, (guint *) word, FUTEX_WAKE_PRIVATE, G_MAXINT, NULL, NULL, 0);
#else
  (void) word;
  g_mutex_lock (&self->mutex);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->mutex);
#endif
}

/* Returns the value of @word once it differs from @old (or, for the done
 * counter, reaches @old: see wait_done). Spins for @spin_us first. The
 * sleeper count is raised before the last look at the word, and the waker
 * stores the word before it reads the count, so (both sequentially
 * consistent) one of them always sees the other: no wake-up is lost. */
static guint
wait_for_change (BendiThreadPool *self,
                 atomic_uint     *word,
                 guint            old,
                 atomic_int      *sleepers,
                 gint64           spin_us)
{
  gint64 deadline = 0;
  guint value;

  for (guint i = 0; ; i++)
    {
      value = atomic_load_explicit (word, memory_order_acquire);
      if (value != old)
        return value;
      cpu_relax ();
      if ((i & 255) == 255)
        {
          gint64 now = g_get_monotonic_time ();

          if (deadline == 0)
            deadline = now + spin_us;
          else if (now >= deadline)
            break;
        }
      /* With more threads than cores, the thread we wait for may need
       * this core: offer it now and then. */
      if (self->oversubscribed && (i & 15) == 15)
        g_thread_yield ();
    }

  atomic_fetch_add (sleepers, 1);
  while ((value = atomic_load (word)) == old)
    word_sleep (self, word, old);
  atomic_fetch_sub (sleepers, 1);
  return value;
}

static gpointer
worker_main (gpointer data)
{
  Worker *worker = data;
  BendiThreadPool *self = worker->pool;
  guint seen = 0;

  for (;;)
    {
      seen = wait_for_change (self, &self->generation, seen,
                              &self->n_workers_sleeping, WORKER_SPIN_US);
      if (self->stop)
        break;
      self->func (self->data, worker->ith, self->n_threads);
      if (atomic_fetch_add (&self->n_done, 1) + 1 == (guint) self->n_threads - 1 &&
          atomic_load (&self->caller_sleeping) > 0)
        word_wake (self, &self->n_done);
    }
  return NULL;
}

BendiThreadPool *
bendi_thread_pool_new (int n_threads)
{
  BendiThreadPool *self;

  if (n_threads <= 0)
    n_threads = (int) g_get_num_processors ();
  n_threads = CLAMP (n_threads, 1, 1024);

  /* Aligned for the counters' cache lines. */
  self = g_aligned_alloc0 (1, sizeof (BendiThreadPool), 64);
  self->n_threads = n_threads;
  self->oversubscribed = (guint) n_threads > g_get_num_processors ();
#ifndef __linux__
  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);
#endif
  self->workers = g_new0 (Worker, n_threads);
  for (int i = 1; i < n_threads; i++)
    {
      g_autofree char *name = g_strdup_printf ("bendi-worker-%d", i);

      self->workers[i].pool = self;
      self->workers[i].ith = i;
      self->workers[i].thread = g_thread_new (name, worker_main, &self->workers[i]);
    }
  return self;
}

void
bendi_thread_pool_free (BendiThreadPool *self)
{
  if (self == NULL)
    return;

  self->stop = TRUE;
  atomic_fetch_add (&self->generation, 1);
  word_wake (self, &self->generation);
  for (int i = 1; i < self->n_threads; i++)
    g_thread_join (self->workers[i].thread);
#ifndef __linux__
  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->cond);
#endif
  g_free (self->workers);
  g_aligned_free (self);
}

int
bendi_thread_pool_get_n_threads (const BendiThreadPool *self)
{
  g_return_val_if_fail (self != NULL, 1);

  return self->n_threads;
}

void
bendi_thread_pool_run (BendiThreadPool  *self,
                       BendiParallelFunc func,
                       gpointer          data)
{
  guint n_workers;
  guint done;

  g_return_if_fail (self != NULL);
  g_return_if_fail (func != NULL);

  if (self->n_threads == 1)
    {
      func (data, 0, 1);
      return;
    }

  n_workers = (guint) self->n_threads - 1;
  self->func = func;
  self->data = data;
  atomic_store_explicit (&self->n_done, 0, memory_order_relaxed);
  /* The sequentially consistent bump publishes func and data and pairs
   * with the workers' sleeper count (see wait_for_change). */
  atomic_fetch_add (&self->generation, 1);
  if (atomic_load (&self->n_workers_sleeping) > 0)
    word_wake (self, &self->generation);

  func (data, 0, self->n_threads);

  /* Wait for the workers: n_done counts up to n_workers, and
   * wait_for_change returns as soon as the value moves, so loop. */
  done = atomic_load_explicit (&self->n_done, memory_order_acquire);
  while (done != n_workers)
    done = wait_for_change (self, &self->n_done, done, &self->caller_sleeping, CALLER_SPIN_US);
}

void
bendi_thread_pool_barrier (BendiThreadPool *self)
{
  guint phase;

  if (self->n_threads == 1)
    return;

  phase = atomic_load_explicit (&self->barrier_phase, memory_order_acquire);
  if (atomic_fetch_add_explicit (&self->barrier_count, 1, memory_order_acq_rel) ==
      (guint) self->n_threads - 1)
    {
      /* The last to arrive resets the count, then lets everyone go. */
      atomic_store_explicit (&self->barrier_count, 0, memory_order_relaxed);
      atomic_fetch_add_explicit (&self->barrier_phase, 1, memory_order_release);
      return;
    }
  for (guint i = 0; atomic_load_explicit (&self->barrier_phase, memory_order_acquire) == phase; i++)
    {
      cpu_relax ();
      /* A preempted thread holds everyone up: give it the core. */
      if ((i & 4095) == 4095 || (self->oversubscribed && (i & 15) == 15))
        g_thread_yield ();
    }
}
