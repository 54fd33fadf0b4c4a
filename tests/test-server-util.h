/* SPDX-License-Identifier: MIT */
/* Helpers for the API server's tests: a server on a free loopback port serving stories260K, and a raw HTTP client. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "bendi-server.h"

G_BEGIN_DECLS

typedef struct {
  guint       status;
  char       *head;       /* the status line and headers, as received */
  GString    *body;       /* de-chunked */
} TestResponse;

void test_response_free (TestResponse *response);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestResponse, test_response_free)

/* A response header's value (the first), or NULL. */
char *test_response_header (TestResponse *response,
                            const char   *name) G_GNUC_WARN_UNUSED_RESULT;

/* Sends @request (a whole HTTP request, as bytes) to 127.0.0.1:@port and
 * reads the response until the connection closes. status is 0 when the
 * server closed without answering. */
TestResponse *test_http_raw (guint16     port,
                             const char *request,
                             gsize       len) G_GNUC_WARN_UNUSED_RESULT;

/* A request with "Host: 127.0.0.1:PORT", Connection: close, the JSON @body
 * (NULL: none) and @headers ("Name: value" lines, NULL-terminated, may be
 * NULL). */
TestResponse *test_http (guint16            port,
                         const char        *method,
                         const char        *path,
                         const char        *body,
                         const char *const *headers) G_GNUC_WARN_UNUSED_RESULT;

/* The events of an SSE body, each event's data. */
GPtrArray *test_sse_events (const GString *body) G_GNUC_WARN_UNUSED_RESULT;

/* A started server with stories260K loaded (waits for it), or NULL and the
 * test skipped when the model is absent. @options NULL: the defaults on
 * port 0. */
BendiServer *test_server_start (BendiServerOptions *options) G_GNUC_WARN_UNUSED_RESULT;

/* The parsed body's root object; fails the test if it is not JSON. */
JsonNode *test_parse_json (const char *text) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
