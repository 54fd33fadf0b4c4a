/* SPDX-License-Identifier: MIT */
/* What the model pages share: the hub and its settings, the download queue, the catalogue, the local library and this computer's hardware. */
#pragma once

#include <gio/gio.h>

#include "api-server.h"
#include "hub-catalogue.h"
#include "hub-client.h"
#include "hub-library.h"
#include "hub-queue.h"
#include "hw-bandwidth.h"
#include "hw-info.h"
#include "remote-models.h"

G_BEGIN_DECLS

#define BENDI_TYPE_APP_STATE (bendi_app_state_get_type ())
G_DECLARE_FINAL_TYPE (BendiAppState, bendi_app_state, BENDI, APP_STATE, GObject)

/* The state of the running application (g_application_get_default ()),
 * made the first time it is asked for and kept until the application
 * shuts down, when running downloads are paused (their parts kept). */
BendiAppState         *bendi_app_state_get_default   (void);

GSettings             *bendi_app_state_get_settings  (BendiAppState *self);
/* The hub's configuration, bound to the settings (endpoint, models folder)
 * and holding the access token from the keyring. */
BendiHubConfig        *bendi_app_state_get_config    (BendiAppState *self);
BendiHubClient        *bendi_app_state_get_client    (BendiAppState *self);
/* A GListModel of BendiHubDownload. */
BendiHubDownloadQueue *bendi_app_state_get_downloads (BendiAppState *self);

/* The local API server, running while the setting says so. */
BendiApiServer        *bendi_app_state_get_api_server (BendiAppState *self);

/* The curated catalogue (BendiHubCatalogueEntry), read on the first call;
 * NULL with @error when it cannot be read. */
GPtrArray             *bendi_app_state_get_catalogue (BendiAppState *self,
                                                      GError       **error);

/* This computer, with the bandwidths the cache holds; NULL until the first
 * probe (bendi_app_state_probe_hardware ()) is done. "notify::hardware"
 * says when it is replaced: do not keep the pointer past that. */
const BendiHwInfo     *bendi_app_state_get_hardware   (BendiAppState *self);
/* The remote endpoints (Preferences → Connections) and their models,
 * listed the first time this is called. */
BendiRemoteModels     *bendi_app_state_get_remote_models (BendiAppState *self);

/* A copy of the hardware that the caller owns and may hand to another
 * thread, its free memory read again now; NULL until the first probe. */
BendiHwInfo           *bendi_app_state_dup_hardware   (BendiAppState *self) G_GNUC_WARN_UNUSED_RESULT;
/* Starts a probe unless one ran or runs. */
void                   bendi_app_state_probe_hardware (BendiAppState *self);
/* Replaces the hardware description (after a measurement); takes @info. */
void                   bendi_app_state_set_hardware   (BendiAppState *self,
                                                       BendiHwInfo   *info);

/* Probes again and measures what @flags ask for (hw-bandwidth.h), then
 * replaces the hardware description. Fails only when the measurement
 * could not be cached; the hardware is replaced anyway. */
void                   bendi_app_state_measure_async  (BendiAppState        *self,
                                                       BendiHwMeasureFlags   flags,
                                                       GCancellable         *cancellable,
                                                       GAsyncReadyCallback   callback,
                                                       gpointer              user_data);
gboolean               bendi_app_state_measure_finish (BendiAppState        *self,
                                                       GAsyncResult         *result,
                                                       GError              **error);

/* The local models (BendiHubLocalModel), NULL until the first scan is
 * done; "notify::library" says when it is replaced. */
GPtrArray             *bendi_app_state_get_library        (BendiAppState *self);
/* Why the last scan failed, or NULL. */
const GError          *bendi_app_state_get_library_error  (BendiAppState *self);
/* Scans again (a scan in progress is cancelled first). */
void                   bendi_app_state_rescan_library     (BendiAppState *self);
/* Scans unless a scan ran or runs. */
void                   bendi_app_state_ensure_library     (BendiAppState *self);
/* The local model downloaded from @repo_id whose first part is
 * @file_path (a path inside the repository), or NULL. */
const BendiHubLocalModel *bendi_app_state_find_download   (BendiAppState *self,
                                                           const char    *repo_id,
                                                           const char    *file_path);

/* Queues every part of @group of @repo_id; returns their downloads, in
 * part order (the array is new, the downloads are the queue's). */
GPtrArray             *bendi_app_state_download_group (BendiAppState           *self,
                                                       const char              *repo_id,
                                                       const BendiHubFileGroup *group);

G_END_DECLS
