/* SPDX-License-Identifier: MIT */
/* The remote endpoints the user added (Preferences → Connections): names
 * and URLs in $XDG_CONFIG_HOME/bendi/connections.json, each API key in the
 * keyring (libsecret), never in a file. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
  char *id;        /* stable, made up on add (a UUID); keys the API key */
  char *name;      /* what the user calls it */
  char *base_url;  /* normalized, "…/v1" (bendi_remote_normalize_url ()) */
} BendiRemoteConnection;

#define BENDI_TYPE_REMOTE_CONNECTION (bendi_remote_connection_get_type ())

GType                  bendi_remote_connection_get_type (void) G_GNUC_CONST;
BendiRemoteConnection *bendi_remote_connection_copy     (const BendiRemoteConnection *self);
void                   bendi_remote_connection_free     (BendiRemoteConnection       *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiRemoteConnection, bendi_remote_connection_free)

/* The list, saved (atomically replaced) after every change. Emits
 * "changed" (no arguments) after each add, remove, rename or URL change. */
#define BENDI_TYPE_REMOTE_CONNECTIONS (bendi_remote_connections_get_type ())
G_DECLARE_FINAL_TYPE (BendiRemoteConnections, bendi_remote_connections, BENDI, REMOTE_CONNECTIONS, GObject)

/* Loads @path (NULL: $XDG_CONFIG_HOME/bendi/connections.json). A missing
 * file is an empty list; a file that is not a connection list fails
 * (G_IO_ERROR_INVALID_DATA) rather than being overwritten later. */
BendiRemoteConnections *bendi_remote_connections_new (const char  *path,
                                                      GError     **error) G_GNUC_WARN_UNUSED_RESULT;

const char *bendi_remote_connections_get_path (BendiRemoteConnections *self);

/* Copies of the connections (BendiRemoteConnection), in the order added. */
GPtrArray  *bendi_remote_connections_list     (BendiRemoteConnections *self) G_GNUC_WARN_UNUSED_RESULT;
/* A copy of the connection @id, or NULL. */
BendiRemoteConnection *bendi_remote_connections_lookup (BendiRemoteConnections *self,
                                                        const char             *id) G_GNUC_WARN_UNUSED_RESULT;

/* Adds a connection and saves; returns its id. @base_url is normalized
 * (BENDI_REMOTE_ERROR_INVALID_URL when it cannot be); an empty @name
 * becomes the URL's host. The API key is stored apart, with
 * bendi_remote_api_key_store_async (). */
char       *bendi_remote_connections_add      (BendiRemoteConnections  *self,
                                               const char              *name,
                                               const char              *base_url,
                                               GError                 **error) G_GNUC_WARN_UNUSED_RESULT;
/* Removes @id and saves; its API key is cleared from the keyring in the
 * background when there is one. FALSE (G_IO_ERROR_NOT_FOUND) for an
 * unknown id. */
gboolean    bendi_remote_connections_remove   (BendiRemoteConnections  *self,
                                               const char              *id,
                                               GError                 **error);
gboolean    bendi_remote_connections_rename   (BendiRemoteConnections  *self,
                                               const char              *id,
                                               const char              *name,
                                               GError                 **error);
gboolean    bendi_remote_connections_set_base_url (BendiRemoteConnections  *self,
                                                   const char              *id,
                                                   const char              *base_url,
                                                   GError                 **error);

/* The API key of connection @id in the keyring. Lookup finishes with NULL
 * (no error) when there is none or no keyring runs (check with
 * bendi_hub_token_keyring_available ()); store with NULL or "" clears. */
void      bendi_remote_api_key_lookup_async  (const char           *connection_id,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
char     *bendi_remote_api_key_lookup_finish (GAsyncResult         *result,
                                              GError              **error) G_GNUC_WARN_UNUSED_RESULT;
void      bendi_remote_api_key_store_async   (const char           *connection_id,
                                              const char           *api_key,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
gboolean  bendi_remote_api_key_store_finish  (GAsyncResult         *result,
                                              GError              **error);

G_END_DECLS
