/* SPDX-License-Identifier: MIT */
/* A client for one OpenAI-compatible endpoint on another machine (vLLM,
 * SGLang, llama-server, Ollama's /v1, another computer's `bendi-cli serve`):
 * its model list and streamed chat completions, for models too big for
 * this computer.
 *
 * The client lives on the thread (the thread-default main context) that
 * created it: call it from there, and its callbacks, on_delta included,
 * run there. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "session.h"
#include "template/template.h"

G_BEGIN_DECLS

/* ------------------------------------------------------------------------ */
/* Errors */

/* What went wrong, in terms the app can show and act on. Cancellation is
 * G_IO_ERROR_CANCELLED. */
#define BENDI_REMOTE_ERROR (bendi_remote_error_quark ())

typedef enum {
  BENDI_REMOTE_ERROR_INVALID_URL,      /* not an http:// or https:// URL */
  BENDI_REMOTE_ERROR_UNREACHABLE,      /* name lookup, connection refused, TLS */
  BENDI_REMOTE_ERROR_UNAUTHORIZED,     /* 401 or 403: the API key is missing or wrong */
  BENDI_REMOTE_ERROR_MODEL_NOT_FOUND,  /* 404: the server has no such model */
  BENDI_REMOTE_ERROR_RATE_LIMITED,     /* 429; see bendi_remote_error_get_retry_after () */
  BENDI_REMOTE_ERROR_TIMEOUT,          /* no connection, or no data, in the time allowed */
  BENDI_REMOTE_ERROR_SERVER,           /* 5xx or another failed status, with the server's message */
  BENDI_REMOTE_ERROR_STREAM_CUT,       /* the stream closed before the reply was finished */
  BENDI_REMOTE_ERROR_PROTOCOL,         /* not JSON, not an event stream, an oversize event */
} BendiRemoteError;

GQuark bendi_remote_error_quark (void);

/* For BENDI_REMOTE_ERROR_RATE_LIMITED: the seconds the server's
 * Retry-After asked to wait, or -1 when it did not say (or another error). */
gint64 bendi_remote_error_get_retry_after (const GError *error);
/* The HTTP status behind the error, or 0 when there was none. */
guint  bendi_remote_error_get_http_status (const GError *error);

/* ------------------------------------------------------------------------ */
/* Records */

/* One model of the endpoint, from GET /v1/models. */
typedef struct {
  char   *id;              /* the name to ask for in a chat */
  char   *owned_by;        /* or NULL */
  gint64  context_length;  /* tokens, when the server says (vLLM's max_model_len,
                            * llama-server's meta.n_ctx_train…); 0 when not */
} BendiRemoteModel;

/* How a streamed chat ended. */
typedef struct {
  char    *finish_reason;        /* "stop", "length", "tool_calls"…; "stop" when the server named none */
  char    *content;              /* the whole reply, as on_delta handed it out */
  char    *reasoning;            /* the whole reasoning, or NULL when there was none */
  gint64   prompt_tokens;        /* -1 when the server did not say */
  gint64   completion_tokens;    /* the server's count, else the chunks that carried text */
  gboolean usage_from_server;    /* the counts come from the stream's usage object */
  double   time_to_first_token;  /* seconds from sending the request to the first text */
  double   tokens_per_second;    /* completion tokens from the first to the end; 0 when unknown */
} BendiRemoteChatResult;

#define BENDI_TYPE_REMOTE_MODEL       (bendi_remote_model_get_type ())
#define BENDI_TYPE_REMOTE_CHAT_RESULT (bendi_remote_chat_result_get_type ())

GType                  bendi_remote_model_get_type       (void) G_GNUC_CONST;
GType                  bendi_remote_chat_result_get_type (void) G_GNUC_CONST;

BendiRemoteModel      *bendi_remote_model_copy        (const BendiRemoteModel      *self);
void                   bendi_remote_model_free        (BendiRemoteModel            *self);
BendiRemoteChatResult *bendi_remote_chat_result_copy  (const BendiRemoteChatResult *self);
void                   bendi_remote_chat_result_free  (BendiRemoteChatResult       *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiRemoteModel, bendi_remote_model_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiRemoteChatResult, bendi_remote_chat_result_free)

/* ------------------------------------------------------------------------ */
/* URLs */

/* The API root of @url, ending in "/v1" without a trailing slash:
 * "http://host:8000", "http://host:8000/", "http://host:8000/v1/" and
 * "https://host/openai/v1" are all accepted; any other scheme, or a URL
 * without a host, is BENDI_REMOTE_ERROR_INVALID_URL. Query and fragment
 * are dropped. */
char *bendi_remote_normalize_url (const char  *url,
                                  GError     **error) G_GNUC_WARN_UNUSED_RESULT;

/* ------------------------------------------------------------------------ */
/* The client */

/* Default time allowed to connect (TCP and TLS), and to wait for the
 * response headers or the next bytes of a stream: a long prompt on a busy
 * server may take a while before its first token. */
#define BENDI_REMOTE_DEFAULT_CONNECT_TIMEOUT_MS 30000
#define BENDI_REMOTE_DEFAULT_READ_TIMEOUT_MS    120000

/* Receives the reply as it streams, on the client's thread: @reasoning
 * and @content are each NULL or a non-empty piece of text (whole UTF-8
 * characters). Reasoning comes from delta.reasoning_content (vLLM,
 * llama-server, Bendi) or from inline <think>…</think> blocks (Ollama and
 * others), split out the same way as for local models. */
typedef void (*BendiRemoteDeltaFunc) (const char *reasoning,
                                      const char *content,
                                      gpointer    user_data);

#define BENDI_TYPE_REMOTE_CLIENT (bendi_remote_client_get_type ())
G_DECLARE_FINAL_TYPE (BendiRemoteClient, bendi_remote_client, BENDI, REMOTE_CLIENT, GObject)

/* @api_key: sent as "Authorization: Bearer …", or NULL/"" for none. Fails
 * with BENDI_REMOTE_ERROR_INVALID_URL (see bendi_remote_normalize_url ()). */
BendiRemoteClient *bendi_remote_client_new (const char  *base_url,
                                            const char  *api_key,
                                            GError     **error) G_GNUC_WARN_UNUSED_RESULT;

/* The normalized API root, "…/v1". */
const char *bendi_remote_client_get_base_url (BendiRemoteClient *self);

/* Milliseconds; 0 keeps the current value. They apply to requests started
 * afterwards. */
void        bendi_remote_client_set_timeouts (BendiRemoteClient *self,
                                              guint              connect_timeout_ms,
                                              guint              read_timeout_ms);

/* GET /v1/models. Finishes with a GPtrArray of BendiRemoteModel, in the
 * server's order. */
void       bendi_remote_client_list_models_async  (BendiRemoteClient    *self,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
GPtrArray *bendi_remote_client_list_models_finish (BendiRemoteClient    *self,
                                                   GAsyncResult         *result,
                                                   GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* A streamed POST /v1/chat/completions for @model with @messages: the
 * conversation as the chat templates take it (a list of dicts with "role"
 * and "content", as bendi_chat_messages_append () makes it), sent as
 * OpenAI's messages.
 *
 * @params may be NULL (the server's defaults). From it go max_tokens (when
 * > 0), temperature (when ≥ 0: 0 is greedy; a negative one leaves the
 * server's default), top_p (when < 1), seed (when ≥ 0), stop, presence and
 * frequency penalties, and the extensions llama-server, vLLM and Bendi
 * take: top_k (when > 0), min_p (when > 0), repeat_penalty (when ≠ 1),
 * ignore_eos (when set).
 *
 * @on_delta (may be NULL) gets each piece of the reply as it arrives, with
 * @user_data. Whatever arrived has been handed to @on_delta before the
 * request finishes, whatever the outcome: a reply cut short by
 * BENDI_REMOTE_ERROR_STREAM_CUT, a timeout or a cancel is not lost.
 * Cancelling @cancellable closes the stream at once and finishes with
 * G_IO_ERROR_CANCELLED. */
void                   bendi_remote_client_chat_async  (BendiRemoteClient         *self,
                                                        const char                *model,
                                                        BendiTemplateValue        *messages,
                                                        const BendiGenerateParams *params,
                                                        BendiRemoteDeltaFunc       on_delta,
                                                        GCancellable              *cancellable,
                                                        GAsyncReadyCallback        callback,
                                                        gpointer                   user_data);
BendiRemoteChatResult *bendi_remote_client_chat_finish (BendiRemoteClient         *self,
                                                        GAsyncResult              *result,
                                                        GError                   **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
