/* SPDX-License-Identifier: MIT */
/* Writes and hashes buffers in order on a thread of its own. */
#define G_LOG_DOMAIN "bendi-hub"

#include "hub-hasher.h"

typedef struct {
  guint8  *buffer;
  gsize    n;
  gboolean write;
} Chunk;

struct _HubHasher
{
  GThread            *thread;
  gsize               buffer_bytes;
  guint8             *buffers;       /* n_buffers × buffer_bytes, one aligned allocation */
  HubHasherWriteFunc  write_func;
  gpointer            user_data;

  GMutex              lock;
  GCond               changed;       /* anything below changed */
  GQueue              queued;        /* Chunk *, oldest first */
  GPtrArray          *free_buffers;
  gboolean            busy;          /* the thread holds a chunk outside the lock */
  gboolean            quit;
  guint64             n_bytes;       /* written or hashed since the reset */
  GError             *error;         /* the failed write, until reported */

  /* Touched by the thread while `busy`, by others only when nothing is
   * queued or busy. */
  BendiSha256         sha;
};

static gpointer
hasher_thread (gpointer data)
{
  HubHasher *self = data;

  g_mutex_lock (&self->lock);
  for (;;)
    {
      g_autoptr (GError) error = NULL;
      Chunk *chunk;
      guint64 offset;
      gboolean skip;

      while (g_queue_is_empty (&self->queued) && !self->quit)
        g_cond_wait (&self->changed, &self->lock);
      if (g_queue_is_empty (&self->queued))
        break;
      chunk = g_queue_pop_head (&self->queued);
      self->busy = TRUE;
      offset = self->n_bytes;
      /* After a failed write the bytes queued behind it do not follow on. */
      skip = self->error != NULL;
      g_mutex_unlock (&self->lock);

      if (!skip && (!chunk->write || self->write_func (chunk->buffer, chunk->n, offset, self->user_data, &error)))
        bendi_sha256_update (&self->sha, chunk->buffer, chunk->n);

      g_mutex_lock (&self->lock);
      if (error != NULL)
        self->error = g_steal_pointer (&error);
      else if (!skip)
        self->n_bytes += chunk->n;
      self->busy = FALSE;
      g_ptr_array_add (self->free_buffers, chunk->buffer);
      g_free (chunk);
      g_cond_broadcast (&self->changed);
    }
  g_mutex_unlock (&self->lock);
  return NULL;
}

/* With the lock held: waits until the thread has done all it was given. */
static void
wait_idle_locked (HubHasher *self)
{
  while (!g_queue_is_empty (&self->queued) || self->busy)
    g_cond_wait (&self->changed, &self->lock);
}

HubHasher *
hub_hasher_new (guint              n_buffers,
                gsize              buffer_bytes,
                gsize              alignment,
                HubHasherWriteFunc write_func,
                gpointer           user_data)
{
  HubHasher *self;

  g_return_val_if_fail (n_buffers > 0 && buffer_bytes > 0, NULL);
  g_return_val_if_fail (alignment > 0 && (alignment & (alignment - 1)) == 0 && buffer_bytes % alignment == 0, NULL);

  self = g_new0 (HubHasher, 1);
  self->buffer_bytes = buffer_bytes;
  self->buffers = g_aligned_alloc (n_buffers, buffer_bytes, alignment);
  self->write_func = write_func;
  self->user_data = user_data;
  self->free_buffers = g_ptr_array_sized_new (n_buffers);
  for (guint i = 0; i < n_buffers; i++)
    g_ptr_array_add (self->free_buffers, self->buffers + (gsize) i * buffer_bytes);
  g_mutex_init (&self->lock);
  g_cond_init (&self->changed);
  g_queue_init (&self->queued);
  bendi_sha256_init (&self->sha);
  self->thread = g_thread_new ("bendi-hasher", hasher_thread, self);
  return self;
}

void
hub_hasher_free (HubHasher *self)
{
  if (self == NULL)
    return;
  g_mutex_lock (&self->lock);
  self->quit = TRUE;
  g_cond_broadcast (&self->changed);
  g_mutex_unlock (&self->lock);
  g_thread_join (self->thread);
  g_queue_clear_full (&self->queued, g_free);
  g_ptr_array_unref (self->free_buffers);
  g_clear_error (&self->error);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->changed);
  g_aligned_free (self->buffers);
  g_free (self);
}

guint8 *
hub_hasher_take_buffer (HubHasher *self)
{
  guint8 *buffer;

  g_mutex_lock (&self->lock);
  while (self->free_buffers->len == 0)
    g_cond_wait (&self->changed, &self->lock);
  buffer = g_ptr_array_steal_index_fast (self->free_buffers, self->free_buffers->len - 1);
  g_mutex_unlock (&self->lock);
  return buffer;
}

void
hub_hasher_push (HubHasher *self,
                 guint8    *buffer,
                 gsize      n,
                 gboolean   write)
{
  g_return_if_fail (n <= self->buffer_bytes);

  g_mutex_lock (&self->lock);
  if (n == 0)
    {
      g_ptr_array_add (self->free_buffers, buffer);
    }
  else
    {
      Chunk *chunk = g_new (Chunk, 1);

      chunk->buffer = buffer;
      chunk->n = n;
      chunk->write = write;
      g_queue_push_tail (&self->queued, chunk);
    }
  g_cond_broadcast (&self->changed);
  g_mutex_unlock (&self->lock);
}

gboolean
hub_hasher_has_failed (HubHasher *self)
{
  gboolean failed;

  g_mutex_lock (&self->lock);
  failed = self->error != NULL;
  g_mutex_unlock (&self->lock);
  return failed;
}

gboolean
hub_hasher_wait (HubHasher  *self,
                 guint64    *out_n_bytes,
                 GError    **error)
{
  GError *failure;

  g_mutex_lock (&self->lock);
  wait_idle_locked (self);
  failure = g_steal_pointer (&self->error);
  if (out_n_bytes != NULL)
    *out_n_bytes = self->n_bytes;
  g_mutex_unlock (&self->lock);
  if (failure != NULL)
    {
      g_propagate_error (error, failure);
      return FALSE;
    }
  return TRUE;
}

void
hub_hasher_reset (HubHasher *self)
{
  g_mutex_lock (&self->lock);
  wait_idle_locked (self);
  g_clear_error (&self->error);
  self->n_bytes = 0;
  bendi_sha256_init (&self->sha);
  g_mutex_unlock (&self->lock);
}

void
hub_hasher_finish_hex (HubHasher *self,
                       char       hex[BENDI_SHA256_HEX_LENGTH + 1])
{
  g_mutex_lock (&self->lock);
  wait_idle_locked (self);
  bendi_sha256_finish_hex (&self->sha, hex);
  g_mutex_unlock (&self->lock);
}
