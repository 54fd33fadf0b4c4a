/* SPDX-License-Identifier: MIT */
/* Downloads waiting and running: a GListModel of BendiHubDownload that runs
 * a few at a time, and joins a second request for the same file to the first. */
#pragma once

#include <gio/gio.h>

#include "hub-download.h"

G_BEGIN_DECLS

#define BENDI_HUB_TYPE_DOWNLOAD_QUEUE (bendi_hub_download_queue_get_type ())
G_DECLARE_FINAL_TYPE (BendiHubDownloadQueue, bendi_hub_download_queue, BENDI_HUB, DOWNLOAD_QUEUE, GObject)

/* Runs as many at once as the client's config says. */
BendiHubDownloadQueue *bendi_hub_download_queue_new    (BendiHubClient        *client) G_GNUC_WARN_UNUSED_RESULT;
/* Queues @file of @repo_id; when that file is already queued, returns the
 * download that has it (transfer none) instead of adding another. */
BendiHubDownload      *bendi_hub_download_queue_add    (BendiHubDownloadQueue *self,
                                                        const char            *repo_id,
                                                        const BendiHubFile    *file);
/* Resumes a paused or failed download: it goes back in line. */
void                   bendi_hub_download_queue_resume (BendiHubDownloadQueue *self,
                                                        BendiHubDownload      *download);
/* Removes a finished, failed or cancelled download from the list. */
void                   bendi_hub_download_queue_remove (BendiHubDownloadQueue *self,
                                                        BendiHubDownload      *download);
guint                  bendi_hub_download_queue_get_n_running (BendiHubDownloadQueue *self);

G_END_DECLS
