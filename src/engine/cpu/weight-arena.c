/* SPDX-License-Identifier: MIT */
#include "cpu/weight-arena.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "engine-error.h"

#define HUGE_PAGE ((gsize) 2 << 20)
#define ALIGNMENT 64

struct _BendiWeightArena {
  guint8 *base;
  gsize   size;   /* mapped bytes, a multiple of HUGE_PAGE */
  gsize   used;
};

gsize
bendi_weight_arena_size_for (gsize size)
{
  return (size + ALIGNMENT - 1) & ~(gsize) (ALIGNMENT - 1);
}

BendiWeightArena *
bendi_weight_arena_new (gsize    size,
                        GError **error)
{
  BendiWeightArena *self;
  gsize mapped;
  guint8 *raw, *base;
  gsize head;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  size = MAX (size, 1);
  if (size > G_MAXSIZE - 2 * HUGE_PAGE)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_NO_MEMORY,
                   "Cannot reserve %" G_GSIZE_FORMAT " bytes for the weights", size);
      return NULL;
    }
  mapped = (size + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);

  /* One page more than asked, so that the arena can start on a 2 MiB
   * boundary (huge pages only back aligned 2 MiB ranges); the slack at
   * either end goes back at once. */
  raw = mmap (NULL, mapped + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (raw == MAP_FAILED)
    {
      int saved = errno;

      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_NO_MEMORY,
                   "Cannot reserve %" G_GSIZE_FORMAT " bytes for the weights: %s", size, g_strerror (saved));
      return NULL;
    }
  base = (guint8 *) (((guintptr) raw + HUGE_PAGE - 1) & ~(guintptr) (HUGE_PAGE - 1));
  head = (gsize) (base - raw);
  if (head > 0)
    munmap (raw, head);
  munmap (base + mapped, HUGE_PAGE - head);
#ifdef MADV_HUGEPAGE
  /* Advice only: without transparent huge pages the arena still works. */
  madvise (base, mapped, MADV_HUGEPAGE);
#endif

  self = g_new0 (BendiWeightArena, 1);
  self->base = base;
  self->size = mapped;
  return self;
}

void *
bendi_weight_arena_alloc (BendiWeightArena *self,
                          gsize             size)
{
  gsize need = bendi_weight_arena_size_for (size);
  void *p;

  g_return_val_if_fail (self != NULL, NULL);

  if (need < size || need > self->size - self->used)
    return NULL;
  p = self->base + self->used;
  self->used += need;
  return p;
}

void
bendi_weight_arena_free (BendiWeightArena *self)
{
  if (self == NULL)
    return;
  munmap (self->base, self->size);
  g_free (self);
}

void
bendi_release_mapped_pages (const void *data,
                            gsize       size)
{
  gsize page = (gsize) sysconf (_SC_PAGESIZE);
  guintptr start = ((guintptr) data + page - 1) & ~(guintptr) (page - 1);
  guintptr end = ((guintptr) data + size) & ~(guintptr) (page - 1);

  if (end > start)
    madvise ((void *) start, end - start, MADV_DONTNEED);
}
