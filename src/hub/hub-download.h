/* SPDX-License-Identifier: MIT */
/* One file from the Hub into the library: written to NAME.part, resumed
 * with Range, hashed as it arrives, renamed into place only when its
 * sha256 matches the Hub's. */
#pragma once

#include <gio/gio.h>

#include "hub-client.h"
#include "hub-model.h"

G_BEGIN_DECLS

typedef enum {
  BENDI_HUB_DOWNLOAD_QUEUED,
  BENDI_HUB_DOWNLOAD_WAITING,     /* another download of the same file holds it */
  BENDI_HUB_DOWNLOAD_RUNNING,
  BENDI_HUB_DOWNLOAD_VERIFYING,
  BENDI_HUB_DOWNLOAD_PAUSED,
  BENDI_HUB_DOWNLOAD_COMPLETED,
  BENDI_HUB_DOWNLOAD_FAILED,
  BENDI_HUB_DOWNLOAD_CANCELLED,
} BendiHubDownloadState;

#define BENDI_HUB_TYPE_DOWNLOAD (bendi_hub_download_get_type ())
G_DECLARE_FINAL_TYPE (BendiHubDownload, bendi_hub_download, BENDI_HUB, DOWNLOAD, GObject)

/* A download of @file of @repo_id at @revision (NULL: "main") into the
 * client's models directory, as <models-dir>/<owner>/<repo>/<path>. */
BendiHubDownload     *bendi_hub_download_new (BendiHubClient     *client,
                                              const char         *repo_id,
                                              const char         *revision,
                                              const BendiHubFile *file) G_GNUC_WARN_UNUSED_RESULT;

const char           *bendi_hub_download_get_repo_id          (BendiHubDownload *self);
const BendiHubFile   *bendi_hub_download_get_file             (BendiHubDownload *self);
/* Where the verified file will be. */
const char           *bendi_hub_download_get_destination      (BendiHubDownload *self);
BendiHubDownloadState bendi_hub_download_get_state            (BendiHubDownload *self);
guint64               bendi_hub_download_get_downloaded_bytes (BendiHubDownload *self);
guint64               bendi_hub_download_get_total_bytes      (BendiHubDownload *self);
/* Bytes per second, smoothed; 0 when not running. */
double                bendi_hub_download_get_speed            (BendiHubDownload *self);
/* Seconds left at the current speed; -1 when unknown. */
double                bendi_hub_download_get_remaining_seconds (BendiHubDownload *self);
/* Why it failed, once FAILED; NULL otherwise. */
const GError         *bendi_hub_download_get_error            (BendiHubDownload *self);

/* Starts or resumes. Finishes with the verified file's path, or an error:
 * G_IO_ERROR_CANCELLED when paused, cancelled or @cancellable fired (the
 * part is kept, except after bendi_hub_download_cancel ()). Progress is
 * notified on the thread-default main context of the caller. */
void                  bendi_hub_download_run_async  (BendiHubDownload     *self,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
char                 *bendi_hub_download_run_finish (BendiHubDownload     *self,
                                                     GAsyncResult         *result,
                                                     GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* Stops and keeps the part for a later run. */
void                  bendi_hub_download_pause  (BendiHubDownload *self);
/* Stops and deletes the part. */
void                  bendi_hub_download_cancel (BendiHubDownload *self);

G_END_DECLS
