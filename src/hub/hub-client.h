/* SPDX-License-Identifier: MIT */
/* Talking to the Hugging Face Hub (or a mirror): search, repository
 * details, file lists, and peeks at a GGUF's header with Range requests. */
#pragma once

#include <gio/gio.h>

#include "gguf/gguf.h"
#include "hub-config.h"
#include "hub-model.h"

G_BEGIN_DECLS

typedef enum {
  BENDI_HUB_SORT_DOWNLOADS,
  BENDI_HUB_SORT_LIKES,
  BENDI_HUB_SORT_UPDATED,
  BENDI_HUB_SORT_TRENDING,
} BendiHubSort;

/* How many header bytes a peek fetches at most before giving up. */
#define BENDI_HUB_PEEK_MAX_BYTES ((gsize) 64 * 1024 * 1024)

#define BENDI_HUB_TYPE_CLIENT (bendi_hub_client_get_type ())
G_DECLARE_FINAL_TYPE (BendiHubClient, bendi_hub_client, BENDI_HUB, CLIENT, GObject)

BendiHubClient *bendi_hub_client_new        (BendiHubConfig  *config) G_GNUC_WARN_UNUSED_RESULT;
BendiHubConfig *bendi_hub_client_get_config (BendiHubClient  *self);

/* GGUF repositories matching @query (/api/models?search=…&filter=gguf).
 * @limit 0 means the Hub's default. Finishes with BendiHubModel records. */
void        bendi_hub_client_search_async       (BendiHubClient       *self,
                                                 const char           *query,
                                                 BendiHubSort          sort,
                                                 guint                 limit,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
GPtrArray  *bendi_hub_client_search_finish      (BendiHubClient       *self,
                                                 GAsyncResult         *result,
                                                 GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* One repository's details (/api/models/{repo}). */
void           bendi_hub_client_get_model_async  (BendiHubClient       *self,
                                                  const char           *repo_id,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
BendiHubModel *bendi_hub_client_get_model_finish (BendiHubClient       *self,
                                                  GAsyncResult         *result,
                                                  GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* Every file of @repo_id at @revision (NULL for "main"), with sizes and LFS
 * sha256s (/api/models/{repo}/tree/{rev}?recursive=true, all pages). Files
 * whose path is unsafe to write are left out. Finishes with BendiHubFile. */
void        bendi_hub_client_list_files_async   (BendiHubClient       *self,
                                                 const char           *repo_id,
                                                 const char           *revision,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
GPtrArray  *bendi_hub_client_list_files_finish  (BendiHubClient       *self,
                                                 GAsyncResult         *result,
                                                 GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* Parses a GGUF's header from its first bytes, fetched with Range requests
 * (more when the header is longer, up to BENDI_HUB_PEEK_MAX_BYTES). The
 * result is header-only: metadata and tensor infos, no tensor data. */
void        bendi_hub_client_peek_header_async  (BendiHubClient       *self,
                                                 const char           *repo_id,
                                                 const char           *revision,
                                                 const char           *path,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
BendiGguf  *bendi_hub_client_peek_header_finish (BendiHubClient       *self,
                                                 GAsyncResult         *result,
                                                 GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* The download URL of a file: {endpoint}/{repo}/resolve/{revision}/{path}. */
char       *bendi_hub_client_get_file_url       (BendiHubClient       *self,
                                                 const char           *repo_id,
                                                 const char           *revision,
                                                 const char           *path) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
