/* SPDX-License-Identifier: MIT */
/* The models of the remote endpoints the user added (Preferences → Connections), listed from each one's GET /v1/models, with a client ready to chat with them. */
#pragma once

#include <gio/gio.h>

#include "remote-client.h"
#include "remote-connections.h"

G_BEGIN_DECLS

typedef enum {
  BENDI_REMOTE_ENDPOINT_LISTING,   /* asking the server */
  BENDI_REMOTE_ENDPOINT_LISTED,    /* models holds what it said */
  BENDI_REMOTE_ENDPOINT_FAILED,    /* error says why (unreachable, 401…) */
} BendiRemoteEndpointState;

/* One connection and what its server said. */
typedef struct {
  BendiRemoteConnection    *connection;
  BendiRemoteEndpointState  state;
  GPtrArray                *models;   /* of BendiRemoteModel; empty unless LISTED */
  GError                   *error;    /* FAILED: why */
} BendiRemoteEndpoint;

/* A chat's model path for @model_id of connection @connection_id:
 * "remote:ID/MODEL" (what a conversation remembers). */
char     *bendi_remote_model_path_new   (const char  *connection_id,
                                         const char  *model_id) G_GNUC_WARN_UNUSED_RESULT;
/* Whether @path is such a path; its parts, newly allocated, when it is. */
gboolean  bendi_remote_model_path_parse (const char  *path,
                                         char       **connection_id,
                                         char       **model_id);

#define BENDI_TYPE_REMOTE_MODELS (bendi_remote_models_get_type ())
G_DECLARE_FINAL_TYPE (BendiRemoteModels, bendi_remote_models, BENDI, REMOTE_MODELS, GObject)

/* Lists the models of @connections' endpoints, and those of the ones that
 * change: a new server or a new address is listed, a renamed connection
 * keeps its list. Signal "changed": an endpoint's state or models changed. */
BendiRemoteModels *bendi_remote_models_new (BendiRemoteConnections *connections) G_GNUC_WARN_UNUSED_RESULT;

BendiRemoteConnections *bendi_remote_models_get_connections (BendiRemoteModels *self);
/* The endpoints (BendiRemoteEndpoint), in the connections' order; valid
 * until the next "changed". */
GPtrArray         *bendi_remote_models_get_endpoints (BendiRemoteModels *self);
/* Asks every server for its models again (on demand: the Refresh button). */
void               bendi_remote_models_refresh       (BendiRemoteModels *self);
/* The client for connection @id (with its API key), or NULL while the key
 * is looked up or when there is no such connection. */
BendiRemoteClient *bendi_remote_models_get_client    (BendiRemoteModels *self,
                                                      const char        *connection_id);
/* The connection @id, or NULL. */
const BendiRemoteConnection *bendi_remote_models_lookup_connection (BendiRemoteModels *self,
                                                                    const char        *connection_id);
/* What the server said of @model_id, or NULL (not listed, or not yet). */
const BendiRemoteModel *bendi_remote_models_lookup_model (BendiRemoteModels *self,
                                                          const char        *connection_id,
                                                          const char        *model_id);
/* Sets connection @id's API key (NULL or "": none), for this session and
 * in the keyring when one runs; lists its models again. */
void               bendi_remote_models_set_api_key   (BendiRemoteModels *self,
                                                      const char        *connection_id,
                                                      const char        *api_key);

G_END_DECLS
