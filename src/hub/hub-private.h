/* SPDX-License-Identifier: MIT */
/* Helpers shared by the hub's files: blocking HTTP for worker threads, members of JSON. */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "hub-client.h"

G_BEGIN_DECLS

/* What one operation needs from the client, copied on the calling thread
 * so that a worker never reads the config while the app changes it. */
typedef struct {
  SoupSession *session;
  char        *endpoint;
  char        *endpoint_host;
  char        *token;
  gboolean     has_token;
} HubHttp;

HubHttp      *hub_http_new_for_client (BendiHubClient  *client);
void          hub_http_free           (HubHttp         *http);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HubHttp, hub_http_free)

/* Sends a GET for @url and follows redirects (up to 10) itself, so that the
 * token goes to the endpoint's host only, never to a CDN. @range and
 * @if_range may be NULL. On success *@out_msg holds the final message,
 * whatever its status; errors are network failures and cancellation. */
GInputStream *hub_http_open           (HubHttp         *http,
                                       const char      *url,
                                       const char      *range,
                                       const char      *if_range,
                                       SoupMessage    **out_msg,
                                       GCancellable    *cancellable,
                                       GError         **error);

/* Sets an error for a failed status of @msg: gated, not found, refused
 * token… @repo_id and @path (either may be NULL) make it readable. */
void          hub_http_set_status_error (HubHttp       *http,
                                         SoupMessage   *msg,
                                         const char    *repo_id,
                                         const char    *path,
                                         GError       **error);

/* TRUE for statuses worth retrying: 408, 429 and 5xx. */
gboolean      hub_http_status_is_transient (guint status);

/* GETs @url, expects 200 and JSON. *@out_next_url, when not NULL, is set to
 * the Link header's rel="next" URL (paged listings) or NULL. */
JsonNode     *hub_http_get_json       (HubHttp         *http,
                                       const char      *url,
                                       const char      *repo_id,
                                       char           **out_next_url,
                                       GCancellable    *cancellable,
                                       GError         **error);

/* Reads the whole of @stream, refusing more than @max_bytes. */
GBytes       *hub_read_all            (GInputStream    *stream,
                                       gsize            max_bytes,
                                       GCancellable    *cancellable,
                                       GError         **error);

/* "https://host/owner/name/resolve/REV/PATH" with each path segment escaped. */
char         *hub_build_file_url      (const char      *endpoint,
                                       const char      *repo_id,
                                       const char      *revision,
                                       const char      *path);

/* A member of @object (which may be NULL) of the given JSON type: NULL, or
 * 0 for a number, when it is missing or of another type. A number may be
 * an integer or a double. */
const char   *hub_json_string         (JsonObject      *object,
                                       const char      *name);
gint64        hub_json_int            (JsonObject      *object,
                                       const char      *name);
JsonObject   *hub_json_object         (JsonObject      *object,
                                       const char      *name);
JsonArray    *hub_json_array          (JsonObject      *object,
                                       const char      *name);

/* Parsing the Hub's JSON. NULL for entries that make no sense. */
BendiHubModel *hub_model_from_json    (JsonObject      *object);
BendiHubFile  *hub_file_from_json     (JsonObject      *object);

G_END_DECLS
