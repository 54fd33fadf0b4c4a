/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Memory for the weights that are rewritten at load time (repacked for the
 * SIMD kernels): one anonymous mapping, backed by 2 MiB pages where the
 * kernel allows (transparent huge pages). Generating a token reads every
 * weight once; through 4 KiB pages that is a TLB miss every 4 KiB, and the
 * hardware prefetchers stop at each page boundary, which holds a core's
 * streaming reads well below what the memory delivers. */
typedef struct _BendiWeightArena BendiWeightArena;

/* Reserves @size bytes (address space only: pages arrive as they are
 * written). Fails with BENDI_ENGINE_ERROR_NO_MEMORY. */
BendiWeightArena *bendi_weight_arena_new (gsize    size,
                                          GError **error);

/* The next @size bytes of the arena, 64-byte aligned; NULL once it is
 * full. Never freed one by one: the arena goes as a whole. */
void *bendi_weight_arena_alloc (BendiWeightArena *self,
                                gsize             size);

/* Bytes bendi_weight_arena_alloc () takes for @size, alignment included:
 * sum this over the allocations to size the arena. */
gsize bendi_weight_arena_size_for (gsize size);

void bendi_weight_arena_free (BendiWeightArena *self);

/* Drops the pages of a read-only file mapping that lie wholly inside
 * [@data, @data + @size) from this process (they stay in the page cache
 * and come back from the file if read again): once a tensor has been
 * copied into the arena, its file pages need not count towards resident
 * memory twice. */
void bendi_release_mapped_pages (const void *data,
                                 gsize       size);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiWeightArena, bendi_weight_arena_free)

G_END_DECLS
