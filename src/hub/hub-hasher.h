/* SPDX-License-Identifier: MIT */
/* The second half of a download's pipeline, on a thread of its own: it
 * writes each buffer the download thread has filled and hashes it, in
 * order, while the download thread receives the next. Writing and hashing
 * cost as much as receiving, and a disk write with O_DIRECT waits for the
 * device; done in line, both would stall the connection. */
#pragma once

#include <glib.h>

#include "hub-sha256.h"

G_BEGIN_DECLS

typedef struct _HubHasher HubHasher;

/* Writes @n bytes of @data at @offset, which is where the bytes hashed so
 * far end; on failure, leaves the file as it was before the call. Runs on
 * the hasher's thread. */
typedef gboolean (*HubHasherWriteFunc) (const guint8  *data,
                                        gsize          n,
                                        guint64        offset,
                                        gpointer       user_data,
                                        GError       **error);

/* A hasher with @n_buffers buffers of @buffer_bytes each to fill, each at
 * an address that is a multiple of @alignment (a power of two that divides
 * @buffer_bytes), so that they can be written with O_DIRECT. */
HubHasher *hub_hasher_new              (guint               n_buffers,
                                        gsize               buffer_bytes,
                                        gsize               alignment,
                                        HubHasherWriteFunc  write_func,
                                        gpointer            user_data) G_GNUC_WARN_UNUSED_RESULT;
/* Finishes what is queued, then stops the thread. */
void       hub_hasher_free             (HubHasher  *self);

/* A buffer to fill, waiting while every buffer is queued. */
guint8    *hub_hasher_take_buffer      (HubHasher  *self);
/* Queues the first @n bytes of @buffer (from hub_hasher_take_buffer ()),
 * to be written (when @write) and hashed after everything queued before;
 * the buffer goes back to the hasher, which reuses it once done. @n may be
 * 0 to give it back unused. After a failed write, nothing more is written
 * or hashed until hub_hasher_wait () reports the failure. */
void       hub_hasher_push             (HubHasher  *self,
                                        guint8     *buffer,
                                        gsize       n,
                                        gboolean    write);
/* Whether a write failed (without waiting): stop filling buffers. */
gboolean   hub_hasher_has_failed       (HubHasher  *self);
/* Waits for everything queued. @out_n_bytes: the bytes written or hashed
 * since the last reset (after a failure, those before it). FALSE with the
 * write's error if one failed; the hasher goes on from there. */
gboolean   hub_hasher_wait             (HubHasher  *self,
                                        guint64    *out_n_bytes,
                                        GError    **error);
/* Waits for everything queued, forgets any failure, and starts over from
 * no bytes. */
void       hub_hasher_reset            (HubHasher  *self);
/* Waits for everything queued; the digest of all bytes since the last
 * reset, as 64 lowercase hex digits. Reset before hashing more. */
void       hub_hasher_finish_hex       (HubHasher  *self,
                                        char        hex[BENDI_SHA256_HEX_LENGTH + 1]);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HubHasher, hub_hasher_free)

G_END_DECLS
