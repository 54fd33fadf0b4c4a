/* SPDX-License-Identifier: MIT */
/* A verified, resumable download of one file. The work runs in a worker
 * thread with blocking HTTP; progress comes back to the caller's context. */
#define G_LOG_DOMAIN "bendi-hub"

#include "hub-download-private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "hub-error.h"
#include "hub-fs.h"
#include "hub-hasher.h"
#include "hub-names.h"
#include "hub-private.h"
#include "hub-sha256.h"

/* The body is read a MiB at a time; the hasher may lag behind by the
 * other buffers before the reader waits for it (a busy machine deschedules
 * either thread for milliseconds). */
#define BUFFER_BYTES       ((gsize) 1024 * 1024)
#define N_BUFFERS          8
/* Whole buffers go to the disk with O_DIRECT, which needs offsets, lengths
 * and addresses aligned to the device's blocks (4096 covers them all). The
 * page cache copy is what costs most on a loaded machine, and the fsync
 * before the rename has to write everything anyway. */
#define DIRECT_ALIGN       ((gsize) 4096)
/* Without O_DIRECT, written data is handed to the disk every so many bytes,
 * so that the fsync before the rename finds little left to write. */
#define WRITEBACK_BYTES    ((guint64) 32 * 1024 * 1024)
#define MAX_ATTEMPTS       6
#define PROGRESS_INTERVAL  (G_USEC_PER_SEC / 10)
#define LOCK_POLL_MS       100

/* What the part was started as, so that a later run can tell whether it
 * may resume it: the sha256 the Hub listed, and the server's ETag for If-Range. */
#define XATTR_SHA256 "user.bendi.sha256"
#define XATTR_ETAG   "user.bendi.etag"

typedef enum {
  STOP_NONE,
  STOP_PAUSE,
  STOP_CANCEL,
} StopReason;

struct _BendiHubDownload
{
  GObject                parent_instance;

  BendiHubClient        *client;
  char                  *repo_id;
  char                  *revision;
  BendiHubFile          *file;
  char                  *models_dir;
  char                  *destination;

  BendiHubDownloadState  state;
  GError                *error;
  GCancellable          *stop;          /* of the current run */
  gint                   stop_reason;   /* a StopReason; read by the worker */
  gboolean               running;

  /* Written by the worker under the lock, shown on the main context. */
  GMutex                 lock;
  guint64                downloaded;
  guint64                total;
  double                 speed;
  BendiHubDownloadState  worker_state;
  gboolean               progress_pending;
  GMainContext          *context;

  BendiHubWriteFunc      write_func;
  gpointer               write_data;
  guint                  retry_delay_ms;
  guint64                free_space_override;
};

enum {
  PROP_0,
  PROP_STATE,
  PROP_DOWNLOADED_BYTES,
  PROP_TOTAL_BYTES,
  PROP_SPEED,
  PROP_REMAINING_SECONDS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (BendiHubDownload, bendi_hub_download, G_TYPE_OBJECT)

static void
set_state (BendiHubDownload      *self,
           BendiHubDownloadState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

/* ------------------------------------------------------------------------ */
/* Progress: the worker records, the owner's context notifies. */

static gboolean
progress_idle_cb (gpointer data)
{
  BendiHubDownload *self = data;
  BendiHubDownloadState worker_state;

  g_mutex_lock (&self->lock);
  self->progress_pending = FALSE;
  worker_state = self->worker_state;
  g_mutex_unlock (&self->lock);

  g_object_freeze_notify (G_OBJECT (self));
  if (self->running)
    set_state (self, worker_state);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DOWNLOADED_BYTES]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL_BYTES]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SPEED]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REMAINING_SECONDS]);
  g_object_thaw_notify (G_OBJECT (self));
  return G_SOURCE_REMOVE;
}

static void
report_progress (BendiHubDownload      *self,
                 BendiHubDownloadState  state,
                 guint64                downloaded,
                 guint64                total,
                 double                 speed)
{
  gboolean schedule;

  g_mutex_lock (&self->lock);
  self->worker_state = state;
  self->downloaded = downloaded;
  self->total = total;
  self->speed = speed;
  schedule = !self->progress_pending;
  self->progress_pending = TRUE;
  g_mutex_unlock (&self->lock);
  if (schedule)
    g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, progress_idle_cb,
                                g_object_ref (self), g_object_unref);
}

/* ------------------------------------------------------------------------ */
/* The worker */

typedef struct {
  BendiHubDownload *self;
  HubHttp          *http;
  char             *url;
  char             *repo_id;
  char             *path;
  char             *sha256;
  guint64           size;          /* 0 when the Hub did not say */
  char             *models_dir;
  BendiHubWriteFunc write_func;
  gpointer          write_data;
  guint             retry_delay_ms;
  guint64           free_space_override;

  int               dir_fd;
  int               part_fd;
  char             *base_name;
  char             *part_name;

  /* The part's first `offset` bytes are on disk and hashed, or (while an
   * attempt receives) queued on `hasher` to be; another `received` bytes
   * are in the buffer being filled. The hasher's thread writes, and hands
   * the bytes before `flushed` to the disk. */
  guint64           offset;
  guint64           flushed;
  gsize             received;
  HubHasher        *hasher;
  gboolean          direct_ok;     /* the part may be written with O_DIRECT */
  gboolean          direct_on;     /* O_DIRECT is set on part_fd now */
  char             *etag;
  gboolean          no_range;      /* the server's ranges cannot be trusted */

  gint64            speed_time;
  guint64           speed_bytes;
  double            speed;
  gint64            last_report;
} Job;

static void
job_free (Job *job)
{
  if (job->part_fd >= 0)
    close (job->part_fd);
  if (job->dir_fd >= 0)
    close (job->dir_fd);
  g_clear_object (&job->self);
  g_clear_pointer (&job->http, hub_http_free);
  g_clear_pointer (&job->hasher, hub_hasher_free);
  g_free (job->url);
  g_free (job->repo_id);
  g_free (job->path);
  g_free (job->sha256);
  g_free (job->models_dir);
  g_free (job->base_name);
  g_free (job->part_name);
  g_free (job->etag);
  g_free (job);
}

static gssize
default_write (int         fd,
               const void *buffer,
               gsize       n,
               off_t       offset,
               gpointer    user_data G_GNUC_UNUSED)
{
  return pwrite (fd, buffer, n, offset);
}

static void
job_report (Job                   *job,
            BendiHubDownloadState  state,
            gboolean               force)
{
  gint64 now = g_get_monotonic_time ();
  guint64 done = job->offset + job->received;

  if (!force && now - job->last_report < PROGRESS_INTERVAL)
    return;
  job->last_report = now;
  /* Speed over windows of at least half a second, smoothed. */
  if (job->speed_time == 0 || done < job->speed_bytes)
    {
      job->speed_time = now;
      job->speed_bytes = done;
    }
  else if (now - job->speed_time >= G_USEC_PER_SEC / 2)
    {
      double sample = (double) (done - job->speed_bytes) * G_USEC_PER_SEC / (double) (now - job->speed_time);

      job->speed = job->speed == 0 ? sample : 0.7 * job->speed + 0.3 * sample;
      job->speed_time = now;
      job->speed_bytes = done;
    }
  report_progress (job->self, state, done, job->size, state == BENDI_HUB_DOWNLOAD_RUNNING ? job->speed : 0);
}

/* Empties the part: what it held is not a prefix of the file we want. */
static gboolean
job_restart (Job     *job,
             GError **error)
{
  /* Whatever the hasher still writes goes before the truncation. */
  hub_hasher_reset (job->hasher);
  if (ftruncate (job->part_fd, 0) != 0)
    {
      hub_fs_set_errno_error (error, errno, "Cannot truncate “%s”", job->part_name);
      return FALSE;
    }
  job->offset = 0;
  job->flushed = 0;
  g_clear_pointer (&job->etag, g_free);
  fremovexattr (job->part_fd, XATTR_ETAG);
  return TRUE;
}

static char *
get_xattr (int         fd,
           const char *name)
{
  char value[256];
  ssize_t n = fgetxattr (fd, name, value, sizeof value - 1);

  if (n <= 0)
    return NULL;
  value[n] = '\0';
  return g_strdup (value);
}

/* Hashes bytes [offset, end) of the part: what an earlier run left. */
static gboolean
job_hash_part (Job           *job,
               guint64        end,
               GCancellable  *cancellable,
               GError       **error)
{
  while (job->offset < end)
    {
      guint8 *buffer = hub_hasher_take_buffer (job->hasher);
      gsize want = (gsize) MIN ((guint64) BUFFER_BYTES, end - job->offset);
      ssize_t n = pread (job->part_fd, buffer, want, (off_t) job->offset);

      hub_hasher_push (job->hasher, buffer, n > 0 ? (gsize) n : 0, FALSE);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          hub_fs_set_errno_error (error, errno, "Cannot read “%s”", job->part_name);
          return FALSE;
        }
      if (n == 0)
        break;
      job->offset += (guint64) n;
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      job_report (job, BENDI_HUB_DOWNLOAD_VERIFYING, FALSE);
    }
  return TRUE;
}

/* Sets or clears O_DIRECT on the part for a write of @n bytes from @data
 * at @offset: on when all three are aligned, off otherwise. */
static void
job_choose_direct (Job           *job,
                   const guint8  *data,
                   gsize          n,
                   guint64        offset)
{
  gboolean want = job->direct_ok && offset % DIRECT_ALIGN == 0 && n % DIRECT_ALIGN == 0 &&
                  (guintptr) data % DIRECT_ALIGN == 0;
  int flags;

  if (want == job->direct_on)
    return;
  flags = fcntl (job->part_fd, F_GETFL);
  if (flags < 0 || fcntl (job->part_fd, F_SETFL, want ? flags | O_DIRECT : flags & ~O_DIRECT) != 0)
    {
      /* A file system without O_DIRECT (tmpfs before Linux 6.6, FUSE…)
       * refuses it here: write through the page cache from now on. */
      if (want)
        job->direct_ok = FALSE;
      else
        g_debug ("Cannot clear O_DIRECT on “%s”: %s", job->part_name, g_strerror (errno));
      return;
    }
  job->direct_on = want;
}

/* The hasher's write function, on its thread: writes all of @n bytes at
 * @offset, the end of the part, or none of them. */
static gboolean
job_write_cb (const guint8  *data,
              gsize          n,
              guint64        offset,
              gpointer       user_data,
              GError       **error)
{
  Job *job = user_data;
  gsize done = 0;

  while (done < n)
    {
      gssize written;

      job_choose_direct (job, data + done, n - done, offset + done);
      written = job->write_func (job->part_fd, data + done, n - done, (off_t) (offset + done), job->write_data);
      if (written < 0 && errno == EINTR)
        continue;
      /* Some file systems accept the flag and refuse the write. */
      if (written < 0 && errno == EINVAL && job->direct_on)
        {
          job->direct_ok = FALSE;
          continue;
        }
      if (written <= 0)
        {
          int saved_errno = written < 0 ? errno : ENOSPC;

          /* A torn write must not stay: the part is a verified-as-hashed prefix. */
          if (ftruncate (job->part_fd, (off_t) offset) != 0)
            g_debug ("Cannot cut back a torn write: %s", g_strerror (errno));
          if (saved_errno == ENOSPC || saved_errno == EDQUOT)
            g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_NO_SPACE,
                         "The disk is full after %" G_GUINT64_FORMAT " bytes of “%s”; the partial download "
                         "is kept and resumes when there is room", offset, job->path);
          else
            hub_fs_set_errno_error (error, saved_errno, "Cannot write “%s”", job->part_name);
          return FALSE;
        }
      done += (gsize) written;
    }
  /* What went through the page cache starts on its way to the disk without
   * waiting for it: a hint, so failure is no error (the fsync at the end is
   * what counts). */
  if (job->direct_on)
    job->flushed = offset + n;
  else if (offset + n - job->flushed >= WRITEBACK_BYTES)
    {
      sync_file_range (job->part_fd, (off_t) job->flushed, (off_t) (offset + n - job->flushed),
                       SYNC_FILE_RANGE_WRITE);
      job->flushed = offset + n;
    }
  return TRUE;
}

/* Waits until everything received is written and hashed; after a failed
 * write, the part ends where the writes did. */
static gboolean
job_sync_writes (Job     *job,
                 GError **error)
{
  return hub_hasher_wait (job->hasher, &job->offset, error);
}

static gboolean
job_check_free_space (Job     *job,
                      GError **error)
{
  struct statvfs st;
  guint64 free_bytes;
  guint64 needed;

  if (job->size == 0 || job->offset >= job->size)
    return TRUE;
  needed = job->size - job->offset;
  if (job->free_space_override > 0)
    free_bytes = job->free_space_override;
  else if (fstatvfs (job->part_fd, &st) == 0)
    free_bytes = (guint64) st.f_bavail * st.f_frsize;
  else
    return TRUE;
  if (free_bytes < needed)
    {
      g_autofree char *need_text = bendi_hub_format_size (needed);
      g_autofree char *free_text = bendi_hub_format_size (free_bytes);

      g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_NO_SPACE,
                   "Not enough disk space for “%s”: it needs %s more, and %s is free in %s",
                   job->path, need_text, free_text, job->models_dir);
      return FALSE;
    }
  return TRUE;
}

typedef enum {
  ATTEMPT_DONE,        /* the part holds the whole file */
  ATTEMPT_RETRY,       /* a transient failure: wait and try again */
  ATTEMPT_AGAIN,       /* try again at once (the part was reset) */
  ATTEMPT_FAILED,
} AttemptResult;

/* One request: appends what the server sends to the part. */
static AttemptResult
job_attempt (Job           *job,
             gboolean      *made_progress,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GInputStream) stream = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *range = NULL;
  SoupMessageHeaders *headers;
  guint64 expected_end;
  guint status;
  const char *etag;

  *made_progress = FALSE;
  if (job->offset > 0 && !job->no_range)
    range = g_strdup_printf ("bytes=%" G_GUINT64_FORMAT "-", job->offset);
  else if (job->offset > 0 && !job_restart (job, error))
    return ATTEMPT_FAILED;

  stream = hub_http_open (job->http, job->url, range, range != NULL ? job->etag : NULL,
                          &msg, cancellable, &local_error);
  if (stream == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return g_error_matches (*error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_NETWORK) ? ATTEMPT_RETRY : ATTEMPT_FAILED;
    }
  status = soup_message_get_status (msg);
  headers = soup_message_get_response_headers (msg);

  if (status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE && range != NULL)
    {
      const char *content_range = soup_message_headers_get_one (headers, "Content-Range");
      gint64 total = -1;

      /* "bytes, star, slash, SIZE", which libsoup does not parse: complete if SIZE is our offset. */
      if (content_range != NULL && g_str_has_prefix (content_range, "bytes */") &&
          g_ascii_isdigit (content_range[8]))
        total = (gint64) g_ascii_strtoull (content_range + 8, NULL, 10);
      if (total > 0 && (guint64) total == job->offset && (job->size == 0 || job->size == job->offset))
        {
          job->size = job->offset;
          return ATTEMPT_DONE;
        }
      g_debug ("416 for a part of %" G_GUINT64_FORMAT " bytes: starting over", job->offset);
      return job_restart (job, error) ? ATTEMPT_AGAIN : ATTEMPT_FAILED;
    }
  if (status != SOUP_STATUS_OK && status != SOUP_STATUS_PARTIAL_CONTENT)
    {
      hub_http_set_status_error (job->http, msg, job->repo_id, job->path, error);
      return hub_http_status_is_transient (status) ? ATTEMPT_RETRY : ATTEMPT_FAILED;
    }

  if (status == SOUP_STATUS_PARTIAL_CONTENT)
    {
      goffset start = -1, end = -1, total = -1;

      if (range == NULL ||
          !soup_message_headers_get_content_range (headers, &start, &end, &total) ||
          (guint64) start != job->offset || total <= 0 || end != total - 1 ||
          (job->size != 0 && (guint64) total != job->size))
        {
          /* Bytes other than the ones asked for: appending them would
           * corrupt the part, so start over without trusting ranges. */
          g_debug ("Wrong Content-Range for offset %" G_GUINT64_FORMAT ": starting over", job->offset);
          job->no_range = TRUE;
          return job_restart (job, error) ? ATTEMPT_AGAIN : ATTEMPT_FAILED;
        }
      expected_end = (guint64) total;
    }
  else
    {
      goffset length = soup_message_headers_get_content_length (headers);

      /* A 200 is the whole file from its first byte, whatever was asked:
       * a server that ignores Range, or If-Range saying the file changed. */
      if (job->offset > 0 && !job_restart (job, error))
        return ATTEMPT_FAILED;
      if (length > 0 && job->size != 0 && (guint64) length != job->size)
        {
          g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_INVALID_RESPONSE,
                       "The server sends %" G_GINT64_FORMAT " bytes for “%s”; the Hub lists %" G_GUINT64_FORMAT,
                       (gint64) length, job->path, job->size);
          return ATTEMPT_FAILED;
        }
      expected_end = length > 0 ? (guint64) length : job->size;
    }
  if (job->size == 0)
    job->size = expected_end;

  /* Only a strong validator may be used with If-Range. */
  etag = soup_message_headers_get_one (headers, "ETag");
  if (etag != NULL && !g_str_has_prefix (etag, "W/") && strlen (etag) < 200)
    {
      if (g_strcmp0 (etag, job->etag) != 0)
        {
          g_free (job->etag);
          job->etag = g_strdup (etag);
          fsetxattr (job->part_fd, XATTR_ETAG, etag, strlen (etag), 0);
        }
    }
  if (!job_check_free_space (job, error))
    return ATTEMPT_FAILED;

  /* Here `offset` counts the bytes received and queued for the hasher to
   * write; job_sync_writes () brings it back to what is on disk. */
  while (!hub_hasher_has_failed (job->hasher))
    {
      guint8 *buffer = hub_hasher_take_buffer (job->hasher);
      /* Fill the buffer up to the next multiple of its size in the file, so
       * that (after the first) whole aligned buffers are written. */
      gsize want = BUFFER_BYTES - (gsize) (job->offset % BUFFER_BYTES);
      gboolean at_end = FALSE;
      gssize r = 0;

      job->received = 0;
      while (job->received < want)
        {
          r = g_input_stream_read (stream, buffer + job->received, want - job->received, cancellable,
                                   &local_error);
          if (r <= 0)
            {
              at_end = TRUE;
              break;
            }
          job->received += (gsize) r;
          job_report (job, BENDI_HUB_DOWNLOAD_RUNNING, FALSE);
        }

      if (expected_end != 0 && job->received > expected_end - job->offset)
        {
          job->received = 0;
          hub_hasher_push (job->hasher, buffer, 0, FALSE);
          g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_INVALID_RESPONSE,
                       "The server sends more than the %" G_GUINT64_FORMAT " bytes of “%s”", expected_end, job->path);
          job_restart (job, NULL);
          return ATTEMPT_FAILED;
        }
      /* What arrived before an error is good: keep it for the next attempt. */
      hub_hasher_push (job->hasher, buffer, job->received, TRUE);
      if (job->received > 0)
        {
          job->offset += job->received;
          job->received = 0;
          *made_progress = TRUE;
          job_report (job, BENDI_HUB_DOWNLOAD_RUNNING, FALSE);
        }
      if (r < 0)
        {
          if (!job_sync_writes (job, error))
            return ATTEMPT_FAILED;
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return ATTEMPT_FAILED;
            }
          g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_NETWORK,
                       "The connection dropped after %" G_GUINT64_FORMAT " bytes of “%s”: %s",
                       job->offset, job->path, local_error->message);
          return ATTEMPT_RETRY;
        }
      if (at_end)
        break;
    }
  if (!job_sync_writes (job, error))
    return ATTEMPT_FAILED;
  if (expected_end != 0 && job->offset < expected_end)
    {
      g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_NETWORK,
                   "The connection closed after %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " bytes of “%s”",
                   job->offset, expected_end, job->path);
      return ATTEMPT_RETRY;
    }
  return ATTEMPT_DONE;
}

/* Sleeps @ms unless cancelled first. */
static gboolean
sleep_cancellable (guint          ms,
                   GCancellable  *cancellable,
                   GError       **error)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      g_usleep (MIN ((gint64) 20000, end - g_get_monotonic_time () > 0 ? end - g_get_monotonic_time () : 0));
    }
  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

/* Compares the finished part with the Hub's sha256 and renames it into
 * place; a mismatch deletes it. */
static gboolean
job_verify_and_commit (Job     *job,
                       GError **error)
{
  char digest[BENDI_SHA256_HEX_LENGTH + 1];

  job_report (job, BENDI_HUB_DOWNLOAD_VERIFYING, TRUE);
  hub_hasher_finish_hex (job->hasher, digest);
  if (g_ascii_strcasecmp (digest, job->sha256) != 0)
    {
      unlinkat (job->dir_fd, job->part_name, 0);
      g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_CHECKSUM_MISMATCH,
                   "“%s” arrived damaged: its sha256 is %s, the Hub lists %s; the download was deleted",
                   job->path, digest, job->sha256);
      return FALSE;
    }
  if (fsync (job->part_fd) != 0)
    {
      hub_fs_set_errno_error (error, errno, "Cannot save “%s”", job->part_name);
      return FALSE;
    }
  fremovexattr (job->part_fd, XATTR_ETAG);
  if (renameat (job->dir_fd, job->part_name, job->dir_fd, job->base_name) != 0)
    {
      hub_fs_set_errno_error (error, errno, "Cannot move “%s” into place", job->part_name);
      return FALSE;
    }
  fsync (job->dir_fd);
  return TRUE;
}

/* Hashes an existing final file: a second run, or a second download of the
 * same file, finds it there and need not fetch it again. */
static gboolean
job_final_file_is_valid (Job          *job,
                         GCancellable *cancellable)
{
  struct stat st;
  char digest[BENDI_SHA256_HEX_LENGTH + 1];
  int fd;
  gboolean ok = TRUE;

  if (fstatat (job->dir_fd, job->base_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG (st.st_mode) ||
      (job->size != 0 && (guint64) st.st_size != job->size))
    return FALSE;
  fd = openat (job->dir_fd, job->base_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return FALSE;
  hub_hasher_reset (job->hasher);
  for (;;)
    {
      guint8 *buffer = hub_hasher_take_buffer (job->hasher);
      ssize_t n = read (fd, buffer, BUFFER_BYTES);

      hub_hasher_push (job->hasher, buffer, n > 0 ? (gsize) n : 0, FALSE);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0 || g_cancellable_is_cancelled (cancellable))
        {
          ok = n == 0;
          break;
        }
    }
  close (fd);
  hub_hasher_finish_hex (job->hasher, digest);
  hub_hasher_reset (job->hasher);
  return ok && g_ascii_strcasecmp (digest, job->sha256) == 0;
}

/* Opens and locks the part. Another download of the same file, in this
 * process or another, holds the lock until it is done: wait for it, then
 * look again, since it may have renamed the part into place meanwhile. */
static gboolean
job_open_part (Job           *job,
               gboolean      *out_already_done,
               GCancellable  *cancellable,
               GError       **error)
{
  *out_already_done = FALSE;
  for (;;)
    {
      struct stat st_fd, st_path;
      int fd;

      if (job_final_file_is_valid (job, cancellable))
        {
          *out_already_done = TRUE;
          return TRUE;
        }
      fd = openat (job->dir_fd, job->part_name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
      if (fd < 0)
        {
          int saved_errno = errno;

          if (saved_errno == ELOOP)
            g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_UNSAFE_PATH,
                         "Refusing to write through the symbolic link “%s”", job->part_name);
          else
            hub_fs_set_errno_error (error, saved_errno, "Cannot create “%s”", job->part_name);
          return FALSE;
        }
      if (flock (fd, LOCK_EX | LOCK_NB) != 0)
        {
          close (fd);
          if (errno != EWOULDBLOCK && errno != EINTR)
            {
              hub_fs_set_errno_error (error, errno, "Cannot lock “%s”", job->part_name);
              return FALSE;
            }
          job_report (job, BENDI_HUB_DOWNLOAD_WAITING, TRUE);
          if (!sleep_cancellable (LOCK_POLL_MS, cancellable, error))
            return FALSE;
          continue;
        }
      /* The holder may have renamed or deleted the part before we locked it. */
      if (fstat (fd, &st_fd) != 0 || !S_ISREG (st_fd.st_mode) ||
          fstatat (job->dir_fd, job->part_name, &st_path, AT_SYMLINK_NOFOLLOW) != 0 ||
          st_fd.st_ino != st_path.st_ino || st_fd.st_dev != st_path.st_dev)
        {
          close (fd);
          if (!S_ISREG (st_fd.st_mode))
            {
              g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_UNSAFE_PATH,
                           "“%s” is not a regular file", job->part_name);
              return FALSE;
            }
          continue;
        }
      job->part_fd = fd;
      return TRUE;
    }
}

static char *
job_run (Job           *job,
         GCancellable  *cancellable,
         GError       **error)
{
  g_autofree char *relative_dir = NULL;
  g_autofree char *part_sha = NULL;
  const char *slash;
  struct stat st;
  gboolean already_done;
  guint failures = 0;
  int root_fd;

  if (!bendi_hub_repo_id_is_valid (job->repo_id))
    {
      g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_INVALID_ARGUMENT,
                   "“%s” is not a repository name like owner/name", job->repo_id);
      return NULL;
    }
  if (!bendi_hub_file_path_is_safe (job->path))
    {
      g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_UNSAFE_PATH,
                   "Refusing the file name “%s”: it could write outside the models directory", job->path);
      return NULL;
    }
  if (job->sha256 == NULL)
    {
      g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_UNVERIFIABLE,
                   "The Hub lists no sha256 for “%s”, so it cannot be verified", job->path);
      return NULL;
    }

  slash = strrchr (job->path, '/');
  job->base_name = g_strdup (slash != NULL ? slash + 1 : job->path);
  job->part_name = g_strconcat (job->base_name, ".part", NULL);
  if (slash != NULL)
    relative_dir = g_strdup_printf ("%s/%.*s", job->repo_id, (int) (slash - job->path), job->path);
  else
    relative_dir = g_strdup (job->repo_id);

  job->hasher = hub_hasher_new (N_BUFFERS, BUFFER_BYTES, DIRECT_ALIGN, job_write_cb, job);
  root_fd = hub_fs_open_root (job->models_dir, TRUE, error);
  if (root_fd < 0)
    return NULL;
  job->dir_fd = hub_fs_open_dir_beneath (root_fd, relative_dir, TRUE, error);
  close (root_fd);
  if (job->dir_fd < 0)
    return NULL;

  if (!job_open_part (job, &already_done, cancellable, error))
    return NULL;
  if (already_done)
    goto done;
  job->direct_ok = TRUE;

  /* A part begun for another version of the file is of no use. */
  part_sha = get_xattr (job->part_fd, XATTR_SHA256);
  if (fstat (job->part_fd, &st) != 0)
    {
      hub_fs_set_errno_error (error, errno, "Cannot read “%s”", job->part_name);
      return NULL;
    }
  hub_hasher_reset (job->hasher);
  job->offset = 0;
  job->flushed = 0;
  if ((part_sha != NULL && g_ascii_strcasecmp (part_sha, job->sha256) != 0) ||
      (job->size != 0 && (guint64) st.st_size > job->size))
    {
      if (!job_restart (job, error))
        return NULL;
    }
  else if (st.st_size > 0)
    {
      job->etag = get_xattr (job->part_fd, XATTR_ETAG);
      if (!job_hash_part (job, (guint64) st.st_size, cancellable, error))
        return NULL;
      job->flushed = job->offset;
    }
  fsetxattr (job->part_fd, XATTR_SHA256, job->sha256, strlen (job->sha256), 0);

  for (;;)
    {
      g_autoptr (GError) attempt_error = NULL;
      gboolean made_progress = FALSE;
      AttemptResult result;

      if (job->size != 0 && job->offset == job->size)
        break;
      if (!job_check_free_space (job, error))
        return NULL;
      job_report (job, BENDI_HUB_DOWNLOAD_RUNNING, TRUE);
      result = job_attempt (job, &made_progress, cancellable, &attempt_error);
      if (result == ATTEMPT_DONE)
        break;
      if (result == ATTEMPT_FAILED)
        {
          g_propagate_error (error, g_steal_pointer (&attempt_error));
          return NULL;
        }
      if (made_progress)
        failures = 0;
      if (result == ATTEMPT_AGAIN)
        {
          if (++failures >= MAX_ATTEMPTS)
            {
              g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_INVALID_RESPONSE,
                           "The server keeps sending the wrong bytes for “%s”", job->path);
              return NULL;
            }
          continue;
        }
      if (++failures >= MAX_ATTEMPTS)
        {
          g_propagate_error (error, g_steal_pointer (&attempt_error));
          return NULL;
        }
      g_debug ("Retrying “%s”: %s", job->path, attempt_error->message);
      if (!sleep_cancellable (job->retry_delay_ms << (failures - 1), cancellable, error))
        return NULL;
    }

  if (!job_verify_and_commit (job, error))
    return NULL;

done:
  job_report (job, BENDI_HUB_DOWNLOAD_COMPLETED, TRUE);
  return g_build_filename (job->models_dir, job->repo_id, job->path, NULL);
}

static void
download_thread (GTask        *task,
                 gpointer      source_object G_GNUC_UNUSED,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  Job *job = task_data;
  GError *error = NULL;
  char *path = job_run (job, cancellable, &error);

  /* A cancelled download gives up its part; the lock is still held, so no
   * other download of the file is writing it. */
  if (path == NULL && g_atomic_int_get (&job->self->stop_reason) == STOP_CANCEL && job->dir_fd >= 0 && job->part_name != NULL &&
      job->part_fd >= 0)
    unlinkat (job->dir_fd, job->part_name, 0);
  /* The hasher may still be writing to the part. */
  g_clear_pointer (&job->hasher, hub_hasher_free);
  /* The lock goes before the result: whoever acts on it may open the part. */
  if (job->part_fd >= 0)
    close (job->part_fd);
  job->part_fd = -1;
  if (path == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, path, g_free);
}

/* ------------------------------------------------------------------------ */

static void
bendi_hub_download_dispose (GObject *object)
{
  BendiHubDownload *self = (BendiHubDownload *) object;

  g_clear_object (&self->client);
  g_clear_object (&self->stop);

  G_OBJECT_CLASS (bendi_hub_download_parent_class)->dispose (object);
}

static void
bendi_hub_download_finalize (GObject *object)
{
  BendiHubDownload *self = (BendiHubDownload *) object;

  g_free (self->repo_id);
  g_free (self->revision);
  bendi_hub_file_free (self->file);
  g_free (self->models_dir);
  g_free (self->destination);
  g_clear_error (&self->error);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (bendi_hub_download_parent_class)->finalize (object);
}

static void
bendi_hub_download_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  BendiHubDownload *self = BENDI_HUB_DOWNLOAD (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_int (value, self->state);
      break;
    case PROP_DOWNLOADED_BYTES:
      g_value_set_uint64 (value, bendi_hub_download_get_downloaded_bytes (self));
      break;
    case PROP_TOTAL_BYTES:
      g_value_set_uint64 (value, bendi_hub_download_get_total_bytes (self));
      break;
    case PROP_SPEED:
      g_value_set_double (value, bendi_hub_download_get_speed (self));
      break;
    case PROP_REMAINING_SECONDS:
      g_value_set_double (value, bendi_hub_download_get_remaining_seconds (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bendi_hub_download_class_init (BendiHubDownloadClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bendi_hub_download_dispose;
  object_class->finalize = bendi_hub_download_finalize;
  object_class->get_property = bendi_hub_download_get_property;

  properties[PROP_STATE] =
    g_param_spec_int ("state", NULL, NULL, BENDI_HUB_DOWNLOAD_QUEUED, BENDI_HUB_DOWNLOAD_CANCELLED,
                      BENDI_HUB_DOWNLOAD_QUEUED, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_DOWNLOADED_BYTES] =
    g_param_spec_uint64 ("downloaded-bytes", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_TOTAL_BYTES] =
    g_param_spec_uint64 ("total-bytes", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_SPEED] =
    g_param_spec_double ("speed", NULL, NULL, 0, G_MAXDOUBLE, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_REMAINING_SECONDS] =
    g_param_spec_double ("remaining-seconds", NULL, NULL, -1, G_MAXDOUBLE, -1,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
bendi_hub_download_init (BendiHubDownload *self)
{
  g_mutex_init (&self->lock);
  self->write_func = default_write;
  self->retry_delay_ms = 1000;
}

BendiHubDownload *
bendi_hub_download_new (BendiHubClient     *client,
                        const char         *repo_id,
                        const char         *revision,
                        const BendiHubFile *file)
{
  BendiHubDownload *self;

  g_return_val_if_fail (BENDI_HUB_IS_CLIENT (client), NULL);
  g_return_val_if_fail (repo_id != NULL, NULL);
  g_return_val_if_fail (file != NULL && file->path != NULL, NULL);

  self = g_object_new (BENDI_HUB_TYPE_DOWNLOAD, NULL);
  self->client = g_object_ref (client);
  self->repo_id = g_strdup (repo_id);
  self->revision = g_strdup (revision != NULL ? revision : "main");
  self->file = bendi_hub_file_copy (file);
  self->models_dir = g_strdup (bendi_hub_config_get_models_dir (bendi_hub_client_get_config (client)));
  self->destination = g_build_filename (self->models_dir, repo_id, file->path, NULL);
  self->total = file->size;
  return self;
}

const char *
bendi_hub_download_get_repo_id (BendiHubDownload *self)
{
  g_return_val_if_fail (BENDI_HUB_IS_DOWNLOAD (self), NULL);
  return self->repo_id;
}

const BendiHubFile *
bendi_hub_download_get_file (BendiHubDownload *self)
{
  g_return_val_if_fail (BENDI_HUB_IS_DOWNLOAD (self), NULL);
  return self->file;
}

const char *
bendi_hub_download_get_destination (BendiHubDownload *self)
{
  g_return_val_if_fail (BENDI_HUB_IS_DOWNLOAD (self), NULL);
  return self->destination;
}

BendiHubDownloadState
bendi_hub_download_get_state (BendiHubDownload *self)
{
  g_return_val_if_fail (BENDI_HUB_IS_DOWNLOAD (self), BENDI_HUB_DOWNLOAD_FAILED);
  return self->state;
}

guint64
bendi_hub_download_get_downloaded_bytes (BendiHubDownload *self)
{
  guint64 n;

  g_return_val_if_fail (BENDI_HUB_IS_DOWNLOAD (self), 0);
  g_mutex_lock (&self->lock);
  n = self->downloaded;
  g_mutex_unlock (&self->lock);
  return n;
}

guint64
bendi_hub_download_get_total_bytes (BendiHubDownload *self)
{
  guint64 n;

  g_return_val_if_fail (BENDI_HUB_IS_DOWNLOAD (self), 0);
  g_mutex_lock (&self->lock);
  n = self->total;
  g_mutex_unlock (&self->lock);
  return n;
}

double
bendi_hub_download_get_speed (BendiHubDownload *self)
{
  double speed;

  g_return_val_if_fail (BENDI_HUB_IS_DOWNLOAD (self), 0);
  if (self->state != BENDI_HUB_DOWNLOAD_RUNNING)
    return 0;
  g_mutex_lock (&self->lock);
  speed = self->speed;
  g_mutex_unlock (&self->lock);
  return speed;
}

double
bendi_hub_download_get_remaining_seconds (BendiHubDownload *self)
{
  double speed;
  guint64 downloaded, total;

  g_return_val_if_fail (BENDI_HUB_IS_DOWNLOAD (self), -1);
  speed = bendi_hub_download_get_speed (self);
  g_mutex_lock (&self->lock);
  downloaded = self->downloaded;
  total = self->total;
  g_mutex_unlock (&self->lock);
  if (speed <= 0 || total == 0 || downloaded > total)
    return -1;
  return (double) (total - downloaded) / speed;
}

const GError *
bendi_hub_download_get_error (BendiHubDownload *self)
{
  g_return_val_if_fail (BENDI_HUB_IS_DOWNLOAD (self), NULL);
  return self->error;
}

static void
forward_cancel_cb (GCancellable *cancellable G_GNUC_UNUSED,
                   GCancellable *stop)
{
  g_cancellable_cancel (stop);
}

static void
run_done_cb (GObject      *object G_GNUC_UNUSED,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (GTask) outer = user_data;
  BendiHubDownload *self = g_task_get_source_object (outer);
  GError *error = NULL;
  char *path = g_task_propagate_pointer (G_TASK (result), &error);
  gulong handler = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (outer), "bendi-cancel-handler"));

  if (handler != 0)
    g_cancellable_disconnect (g_task_get_cancellable (outer), handler);
  self->running = FALSE;
  progress_idle_cb (self);
  g_clear_error (&self->error);
  if (path != NULL)
    set_state (self, BENDI_HUB_DOWNLOAD_COMPLETED);
  else if (self->stop_reason == STOP_CANCEL)
    set_state (self, BENDI_HUB_DOWNLOAD_CANCELLED);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    set_state (self, BENDI_HUB_DOWNLOAD_PAUSED);
  else
    {
      self->error = g_error_copy (error);
      set_state (self, BENDI_HUB_DOWNLOAD_FAILED);
    }
  if (path != NULL)
    g_task_return_pointer (outer, path, g_free);
  else
    g_task_return_error (outer, error);
}

void
bendi_hub_download_run_async (BendiHubDownload    *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr (GTask) outer = NULL;
  g_autoptr (GTask) inner = NULL;
  Job *job;

  g_return_if_fail (BENDI_HUB_IS_DOWNLOAD (self));

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, bendi_hub_download_run_async);
  if (self->running)
    {
      g_task_return_new_error (outer, G_IO_ERROR, G_IO_ERROR_PENDING, "The download is already running");
      return;
    }

  self->running = TRUE;
  g_atomic_int_set (&self->stop_reason, STOP_NONE);
  g_clear_object (&self->stop);
  self->stop = g_cancellable_new ();
  g_clear_pointer (&self->context, g_main_context_unref);
  self->context = g_main_context_ref_thread_default ();
  if (cancellable != NULL)
    {
      gulong handler = g_cancellable_connect (cancellable, G_CALLBACK (forward_cancel_cb),
                                              g_object_ref (self->stop), g_object_unref);

      g_object_set_data (G_OBJECT (outer), "bendi-cancel-handler", GSIZE_TO_POINTER (handler));
    }
  set_state (self, BENDI_HUB_DOWNLOAD_RUNNING);

  job = g_new0 (Job, 1);
  job->self = g_object_ref (self);
  job->http = hub_http_new_for_client (self->client);
  job->url = hub_build_file_url (job->http->endpoint, self->repo_id, self->revision, self->file->path);
  job->repo_id = g_strdup (self->repo_id);
  job->path = g_strdup (self->file->path);
  job->sha256 = g_strdup (self->file->sha256);
  job->size = self->file->size;
  job->models_dir = g_strdup (self->models_dir);
  job->write_func = self->write_func;
  job->write_data = self->write_data;
  job->retry_delay_ms = self->retry_delay_ms;
  job->free_space_override = self->free_space_override;
  job->dir_fd = -1;
  job->part_fd = -1;

  inner = g_task_new (NULL, self->stop, run_done_cb, g_steal_pointer (&outer));
  g_task_set_source_tag (inner, download_thread);
  g_task_set_task_data (inner, job, (GDestroyNotify) job_free);
  g_task_run_in_thread (inner, download_thread);
}

char *
bendi_hub_download_run_finish (BendiHubDownload  *self,
                               GAsyncResult      *result,
                               GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == bendi_hub_download_run_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
bendi_hub_download_pause (BendiHubDownload *self)
{
  g_return_if_fail (BENDI_HUB_IS_DOWNLOAD (self));

  if (!self->running)
    return;
  g_atomic_int_set (&self->stop_reason, STOP_PAUSE);
  g_cancellable_cancel (self->stop);
}

/* Deletes the part of a download that is not running. */
static void
delete_part (BendiHubDownload *self)
{
  g_autofree char *relative_dir = NULL;
  g_autofree char *part_name = NULL;
  const char *slash = strrchr (self->file->path, '/');
  int root_fd, dir_fd, part_fd;

  if (!bendi_hub_repo_id_is_valid (self->repo_id) || !bendi_hub_file_path_is_safe (self->file->path))
    return;
  part_name = g_strconcat (slash != NULL ? slash + 1 : self->file->path, ".part", NULL);
  if (slash != NULL)
    relative_dir = g_strdup_printf ("%s/%.*s", self->repo_id, (int) (slash - self->file->path), self->file->path);
  else
    relative_dir = g_strdup (self->repo_id);
  root_fd = hub_fs_open_root (self->models_dir, FALSE, NULL);
  if (root_fd < 0)
    return;
  dir_fd = hub_fs_open_dir_beneath (root_fd, relative_dir, FALSE, NULL);
  close (root_fd);
  if (dir_fd < 0)
    return;
  /* Only when no other download of the file holds it. */
  part_fd = openat (dir_fd, part_name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  if (part_fd >= 0)
    {
      if (flock (part_fd, LOCK_EX | LOCK_NB) == 0)
        unlinkat (dir_fd, part_name, 0);
      close (part_fd);
    }
  close (dir_fd);
}

void
bendi_hub_download_cancel (BendiHubDownload *self)
{
  g_return_if_fail (BENDI_HUB_IS_DOWNLOAD (self));

  if (self->running)
    {
      g_atomic_int_set (&self->stop_reason, STOP_CANCEL);
      g_cancellable_cancel (self->stop);
      return;
    }
  if (self->state == BENDI_HUB_DOWNLOAD_COMPLETED || self->state == BENDI_HUB_DOWNLOAD_CANCELLED)
    return;
  delete_part (self);
  set_state (self, BENDI_HUB_DOWNLOAD_CANCELLED);
}

void
bendi_hub_download_set_write_func (BendiHubDownload  *self,
                                   BendiHubWriteFunc  func,
                                   gpointer           user_data)
{
  g_return_if_fail (BENDI_HUB_IS_DOWNLOAD (self));
  self->write_func = func != NULL ? func : default_write;
  self->write_data = user_data;
}

void
bendi_hub_download_set_retry_delay (BendiHubDownload *self,
                                    guint             ms)
{
  g_return_if_fail (BENDI_HUB_IS_DOWNLOAD (self));
  self->retry_delay_ms = ms;
}

void
bendi_hub_download_set_free_space (BendiHubDownload *self,
                                   guint64           n_bytes)
{
  g_return_if_fail (BENDI_HUB_IS_DOWNLOAD (self));
  self->free_space_override = n_bytes;
}
