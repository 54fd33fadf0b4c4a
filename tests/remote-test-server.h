/* SPDX-License-Identifier: MIT */
/* An OpenAI-shaped endpoint on 127.0.0.1 for tests, one thread per
 * connection, that does what Bendi's own server never does: answers 404
 * for an unknown model, 429 with Retry-After, 500, garbage, a stream that
 * breaks off mid-event or stalls, reasoning as reasoning_content or inline
 * <think>. It writes raw HTTP/1.1, so every byte is under the test's control.
 *
 * GET /v1/models lists "test-model" (max_model_len 8192) and "small-model"
 * (meta.n_ctx_train 2048). POST /v1/chat/completions streams the script
 * for either (with "stream": false, the whole reply in one JSON answer);
 * another model gets 404 with code "model_not_found". */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  REMOTE_TEST_REPLY_NORMAL,        /* the script, finish_reason, usage (when asked), [DONE] */
  REMOTE_TEST_REPLY_RATE_LIMITED,  /* 429, "Retry-After: 7" */
  REMOTE_TEST_REPLY_SERVER_ERROR,  /* 500 with {"error": {"message": "CUDA out of memory", …}} */
  REMOTE_TEST_REPLY_GARBAGE,       /* 200, text/html, an HTML page */
  REMOTE_TEST_REPLY_CUT,           /* the script, half an event, then the connection closes */
  REMOTE_TEST_REPLY_STALL,         /* the script, then nothing until the client leaves */
  REMOTE_TEST_REPLY_ERROR_EVENT,   /* the script, then data: {"error": …} and the end */
  REMOTE_TEST_REPLY_WHOLE,         /* one JSON answer, as if "stream" were false */
} RemoteTestReply;

typedef struct _RemoteTestServer RemoteTestServer;

RemoteTestServer *remote_test_server_new      (void) G_GNUC_WARN_UNUSED_RESULT;
/* Stops serving; connections still open are closed. */
void              remote_test_server_free     (RemoteTestServer *self);
/* "http://127.0.0.1:PORT" (the client adds /v1). */
const char       *remote_test_server_get_url  (RemoteTestServer *self);

void remote_test_server_set_reply   (RemoteTestServer  *self,
                                     RemoteTestReply    reply);
/* Requests then need "Authorization: Bearer @api_key" (NULL: none), else 401. */
void remote_test_server_set_api_key (RemoteTestServer  *self,
                                     const char        *api_key);
/* The pieces streamed, one chunk each: a piece that starts with "R:" is
 * sent (without that prefix) as delta.reasoning_content, any other as
 * delta.content. Default: "Hello", ",", " world", "!". */
void remote_test_server_set_script  (RemoteTestServer  *self,
                                     const char *const *pieces);
/* A pause before each piece (default 0), to show streaming or to cancel
 * in the middle of it. */
void remote_test_server_set_delay   (RemoteTestServer  *self,
                                     guint              delay_ms);
/* Sends the script's events in one HTTP chunk, so that one read of the
 * client gets them all (default FALSE: a chunk each). */
void remote_test_server_set_batched (RemoteTestServer  *self,
                                     gboolean           batched);
/* Whether to send the usage chunk when asked for it (default TRUE). */
void remote_test_server_set_usage   (RemoteTestServer  *self,
                                     gboolean           send_usage);

/* The body of the last chat request, or NULL. */
char *remote_test_server_get_last_request (RemoteTestServer *self) G_GNUC_WARN_UNUSED_RESULT;
/* Streams that ended because the client went away before the script was
 * over, and streams that ran to their end. */
guint remote_test_server_count_abandoned  (RemoteTestServer *self);
guint remote_test_server_count_completed  (RemoteTestServer *self);
/* GET /v1/models requests answered. */
guint remote_test_server_count_listings   (RemoteTestServer *self);

G_END_DECLS
