/* SPDX-License-Identifier: MIT */
/* Exercises every accessor of a parsed GGUF and checks what they promise;
 * shared by the GGUF fuzz target and the byte-flip sweep in the tests. */
#pragma once

#include <glib.h>

#include "gguf/gguf.h"

G_BEGIN_DECLS

/* Walks every key, value, array element and tensor of @gguf, calls every
 * typed getter on every key, and reads every byte of every tensor; @file and
 * @file_size are the bytes it was parsed from, which every tensor must lie
 * within. Aborts (through g_assert) when an accessor breaks its contract.
 * Returns a checksum of what it read, so that no read can be optimised away. */
guint64 gguf_walk (const BendiGguf *gguf,
                   const guint8    *file,
                   gsize            file_size);

G_END_DECLS
