/* SPDX-License-Identifier: MIT */
/* A pool of threads that run one parallel loop at a time, with little overhead per loop. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _BendiThreadPool BendiThreadPool;

/* One share of a parallel loop: thread @ith of @nth. */
typedef void (*BendiParallelFunc) (gpointer data,
                                   int      ith,
                                   int      nth);

/* @n_threads counts the caller, which runs share 0; 0 means one per core. */
BendiThreadPool *bendi_thread_pool_new       (int               n_threads) G_GNUC_WARN_UNUSED_RESULT;
void             bendi_thread_pool_free      (BendiThreadPool  *self);
int              bendi_thread_pool_get_n_threads (const BendiThreadPool *self);

/* Runs @func on every thread and returns when all are done. Called from
 * one thread at a time. */
void             bendi_thread_pool_run       (BendiThreadPool  *self,
                                              BendiParallelFunc func,
                                              gpointer          data);

/* Called by every share of a running loop: returns when all shares have
 * reached it, and what each wrote before is then visible to all. */
void             bendi_thread_pool_barrier   (BendiThreadPool  *self);

/* Splits @n items into @nth near-equal ranges; share @ith is [*start, *end). */
static inline void
bendi_split_range (gint64  n,
                   int     ith,
                   int     nth,
                   gint64 *start,
                   gint64 *end)
{
  gint64 per = n / nth, extra = n % nth;

  *start = ith * per + MIN (ith, extra);
  *end = *start + per + (ith < extra ? 1 : 0);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiThreadPool, bendi_thread_pool_free)

G_END_DECLS
