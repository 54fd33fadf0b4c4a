/* SPDX-License-Identifier: MIT */
/* A Hub-shaped HTTP server on 127.0.0.1 for tests, in its own thread:
 * /api/models search, details and tree, /{repo}/resolve/main/{path}
 * answering 302 to a CDN path, and that CDN serving bytes with Range,
 * If-Range and ETag, plus the faults the tests ask for. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _HubTestServer HubTestServer;

typedef enum {
  HUB_TEST_RANGE_NORMAL,
  HUB_TEST_RANGE_IGNORE,         /* answer 200 and the whole file to any Range */
  HUB_TEST_RANGE_WRONG,          /* answer 206 with a Content-Range that is off by 100 */
} HubTestRangeMode;

typedef struct {
  char    *path;        /* the request path */
  char    *range;       /* its Range header, or NULL */
  char    *if_range;
  gboolean authorized;  /* an Authorization header came with it */
  guint    status;
} HubTestRequest;

HubTestServer *hub_test_server_new          (void);
void           hub_test_server_free         (HubTestServer *self);
/* "http://127.0.0.1:PORT" */
const char    *hub_test_server_get_endpoint (HubTestServer *self);

/* Adds a file to a repository (created on first use) with @content; the
 * tree lists @listed_sha256 (NULL: the content's real sha256). */
void           hub_test_server_add_file     (HubTestServer *self,
                                             const char    *repo_id,
                                             const char    *path,
                                             GBytes        *content,
                                             const char    *listed_sha256);
/* Replaces a file's content (and ETag) as served, keeping the listing. */
void           hub_test_server_replace_content (HubTestServer *self,
                                                const char    *repo_id,
                                                const char    *path,
                                                GBytes        *content);
/* Adds a tree entry with no content behind it (e.g. a hostile path). */
void           hub_test_server_add_listing  (HubTestServer *self,
                                             const char    *repo_id,
                                             const char    *path,
                                             guint64        size);
/* Downloads of the repository need "Bearer @token"; its details say gated. */
void           hub_test_server_set_gated    (HubTestServer *self,
                                             const char    *repo_id,
                                             const char    *token);

void           hub_test_server_set_range_mode (HubTestServer    *self,
                                               HubTestRangeMode  mode);
/* The next CDN answers end their body (closing the connection) after these
 * many bytes, one per request; then answers are whole again. */
void           hub_test_server_push_cut     (HubTestServer *self,
                                             guint64        n_bytes);
/* Sends the body @chunk bytes at a time with @delay_us between chunks. */
void           hub_test_server_set_throttle (HubTestServer *self,
                                             gsize          chunk,
                                             guint          delay_us);

/* The requests so far (HubTestRequest), and forgetting them. */
GPtrArray     *hub_test_server_get_requests (HubTestServer *self) G_GNUC_WARN_UNUSED_RESULT;
void           hub_test_server_clear_requests (HubTestServer *self);
/* Requests for CDN paths so far. */
guint          hub_test_server_count_cdn_requests (HubTestServer *self);

/* The sha256 of @bytes, as lowercase hex, with GLib's own GChecksum. */
char          *hub_test_sha256              (GBytes        *bytes) G_GNUC_WARN_UNUSED_RESULT;
/* @n pseudo-random bytes from @seed. */
GBytes        *hub_test_random_bytes        (gsize          n,
                                             guint32        seed) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
