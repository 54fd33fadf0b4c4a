/* SPDX-License-Identifier: MIT */
/* A client for an OpenAI-compatible endpoint: model list and streamed chat
 * over libsoup 3, with the project's one SSE parser. */
#define G_LOG_DOMAIN "bendi-remote"

#include "remote-client.h"

#include <libsoup/soup.h>
#include <string.h>

#include "hub-private.h"
#include "sse.h"
#include "template/chat-template.h"

/* Bodies we read whole (model lists, error answers, a non-streamed reply). */
#define MAX_JSON_BYTES   ((gsize) 16 * 1024 * 1024)
#define MAX_ERROR_BYTES  ((gsize) 64 * 1024)
/* One event of a stream: a chunk is a few hundred bytes. */
#define MAX_EVENT_BYTES  ((gsize) 4 * 1024 * 1024)
#define READ_CHUNK_BYTES 16384

struct _BendiRemoteClient {
  GObject      parent_instance;

  char        *base_url;
  char        *api_key;
  SoupSession *session;
  guint        connect_timeout_ms;
  guint        read_timeout_ms;
};

G_DEFINE_FINAL_TYPE (BendiRemoteClient, bendi_remote_client, G_TYPE_OBJECT)

/* ------------------------------------------------------------------------ */
/* Errors */

typedef struct {
  gint64 retry_after;
  guint  http_status;
} BendiRemoteErrorPrivate;

static void
bendi_remote_error_private_init (BendiRemoteErrorPrivate *priv)
{
  priv->retry_after = -1;
  priv->http_status = 0;
}

static void
bendi_remote_error_private_copy (const BendiRemoteErrorPrivate *src,
                                 BendiRemoteErrorPrivate       *dest)
{
  *dest = *src;
}

static void
bendi_remote_error_private_clear (BendiRemoteErrorPrivate *priv G_GNUC_UNUSED)
{
}

G_DEFINE_EXTENDED_ERROR (BendiRemoteError, bendi_remote_error)

gint64
bendi_remote_error_get_retry_after (const GError *error)
{
  if (error == NULL || error->domain != BENDI_REMOTE_ERROR)
    return -1;
  return bendi_remote_error_get_private (error)->retry_after;
}

guint
bendi_remote_error_get_http_status (const GError *error)
{
  if (error == NULL || error->domain != BENDI_REMOTE_ERROR)
    return 0;
  return bendi_remote_error_get_private (error)->http_status;
}

/* ------------------------------------------------------------------------ */
/* Records */

BendiRemoteModel *
bendi_remote_model_copy (const BendiRemoteModel *self)
{
  BendiRemoteModel *copy = g_new0 (BendiRemoteModel, 1);

  copy->id = g_strdup (self->id);
  copy->owned_by = g_strdup (self->owned_by);
  copy->context_length = self->context_length;
  return copy;
}

void
bendi_remote_model_free (BendiRemoteModel *self)
{
  if (self == NULL)
    return;
  g_free (self->id);
  g_free (self->owned_by);
  g_free (self);
}

BendiRemoteChatResult *
bendi_remote_chat_result_copy (const BendiRemoteChatResult *self)
{
  BendiRemoteChatResult *copy = g_memdup2 (self, sizeof *self);

  copy->finish_reason = g_strdup (self->finish_reason);
  copy->content = g_strdup (self->content);
  copy->reasoning = g_strdup (self->reasoning);
  return copy;
}

void
bendi_remote_chat_result_free (BendiRemoteChatResult *self)
{
  if (self == NULL)
    return;
  g_free (self->finish_reason);
  g_free (self->content);
  g_free (self->reasoning);
  g_free (self);
}

G_DEFINE_BOXED_TYPE (BendiRemoteModel, bendi_remote_model, bendi_remote_model_copy, bendi_remote_model_free)
G_DEFINE_BOXED_TYPE (BendiRemoteChatResult, bendi_remote_chat_result,
                     bendi_remote_chat_result_copy, bendi_remote_chat_result_free)

/* ------------------------------------------------------------------------ */
/* URLs */

char *
bendi_remote_normalize_url (const char  *url,
                            GError     **error)
{
  g_autoptr (GUri) uri = NULL;
  g_autoptr (GString) path = NULL;
  const char *scheme;

  if (url == NULL || *url == '\0')
    {
      g_set_error (error, BENDI_REMOTE_ERROR, BENDI_REMOTE_ERROR_INVALID_URL, "No URL given");
      return NULL;
    }
  {
    g_autofree char *trimmed = g_strstrip (g_strdup (url));

    uri = g_uri_parse (trimmed, G_URI_FLAGS_ENCODED_PATH, NULL);
  }
  scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  if (scheme == NULL || (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0))
    {
      g_set_error (error, BENDI_REMOTE_ERROR, BENDI_REMOTE_ERROR_INVALID_URL,
                   "“%s” is not an http:// or https:// URL", url);
      return NULL;
    }
  if (g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error (error, BENDI_REMOTE_ERROR, BENDI_REMOTE_ERROR_INVALID_URL, "“%s” names no host", url);
      return NULL;
    }
  if (g_uri_get_userinfo (uri) != NULL)
    {
      /* A key in the URL would end up in the connections file. */
      g_set_error (error, BENDI_REMOTE_ERROR, BENDI_REMOTE_ERROR_INVALID_URL,
                   "Give the API key apart, not in the URL");
      return NULL;
    }

  path = g_string_new (g_uri_get_path (uri));
  while (path->len > 0 && path->str[path->len - 1] == '/')
    g_string_truncate (path, path->len - 1);
  if (!g_str_has_suffix (path->str, "/v1"))
    g_string_append (path, "/v1");

  {
    g_autofree char *lower_scheme = g_ascii_strdown (scheme, -1);
    g_autofree char *lower_host = g_ascii_strdown (g_uri_get_host (uri), -1);

    return g_uri_join (G_URI_FLAGS_ENCODED_PATH, lower_scheme, NULL, lower_host, g_uri_get_port (uri),
                       path->str, NULL, NULL);
  }
}

/* ------------------------------------------------------------------------ */
/* One request: send, timers, cancel, read the body */

typedef enum {
  BODY_JSON,        /* read whole, then parsed */
  BODY_ERROR,       /* a failed status's body, read whole for its message */
  BODY_STREAM,      /* an event stream, fed to the SSE parser as it comes */
} BodyMode;

typedef struct _Request Request;
typedef void (*RequestDoneFunc) (Request *req);

struct _Request {
  BendiRemoteClient *client;
  GTask             *task;
  SoupMessage       *msg;
  GInputStream      *stream;
  GSocket           *socket;          /* the request's own connection, to cut it at once */
  GCancellable      *op_cancellable;  /* cancelled on timeout or by the caller */
  gulong             cancelled_id;
  GSource           *timer;
  gboolean           timed_out;
  gboolean           connected;
  gboolean           eof;
  BodyMode           mode;
  GByteArray        *body;
  RequestDoneFunc    done;            /* the body is read (or the read failed: error set) */
  GError            *error;
  guint8             buffer[READ_CHUNK_BYTES];

  /* For chats. */
  BendiSseParser         *parser;
  BendiReasoningSplitter *splitter;
  BendiRemoteDeltaFunc    on_delta;
  gpointer                delta_data;
  GString                *content;
  GString                *reasoning;
  char                   *finish_reason;
  gboolean                saw_done;
  guint                   n_events;
  guint64                 bytes_received;
  gint64                  n_text_chunks;
  gint64                  prompt_tokens;
  gint64                  completion_tokens;
  gboolean                usage_seen;
  gint64                  start_us;
  gint64                  first_text_us;
  gint64                  last_text_us;
};

static void
request_disarm_timer (Request *req)
{
  if (req->timer != NULL)
    {
      g_source_destroy (req->timer);
      g_clear_pointer (&req->timer, g_source_unref);
    }
}

static void
request_free (Request *req)
{
  request_disarm_timer (req);
  if (req->cancelled_id != 0)
    g_cancellable_disconnect (g_task_get_cancellable (req->task), req->cancelled_id);
  /* Closing a stream libsoup has not read to its end would read on; a
   * request's connection is its own, so cut it instead. */
  if (req->socket != NULL && !req->eof)
    g_socket_shutdown (req->socket, TRUE, TRUE, NULL);
  g_clear_object (&req->stream);
  g_clear_object (&req->socket);
  g_clear_object (&req->msg);
  g_clear_object (&req->op_cancellable);
  g_clear_pointer (&req->body, g_byte_array_unref);
  g_clear_error (&req->error);
  g_clear_pointer (&req->parser, bendi_sse_parser_free);
  g_clear_pointer (&req->splitter, bendi_reasoning_splitter_free);
  if (req->content != NULL)
    g_string_free (req->content, TRUE);
  if (req->reasoning != NULL)
    g_string_free (req->reasoning, TRUE);
  g_free (req->finish_reason);
  g_clear_object (&req->task);
  g_clear_object (&req->client);
  g_free (req);
}

/* Stops the request's I/O now: the pending operation fails, the
 * connection closes and the server sees its client gone. */
static void
request_abort (Request *req)
{
  if (req->socket != NULL)
    g_socket_shutdown (req->socket, TRUE, TRUE, NULL);
  g_cancellable_cancel (req->op_cancellable);
}

static gboolean
timeout_cb (gpointer user_data)
{
  Request *req = user_data;

  g_clear_pointer (&req->timer, g_source_unref);
  req->timed_out = TRUE;
  request_abort (req);
  return G_SOURCE_REMOVE;
}

/* On the caller's thread-default context, where the request runs. */
static void
request_arm_timer (Request *req,
                   guint    ms)
{
  request_disarm_timer (req);
  if (ms == 0 || req->timed_out)
    return;
  req->timer = g_timeout_source_new (ms);
  g_source_set_callback (req->timer, timeout_cb, req, NULL);
  g_source_set_static_name (req->timer, "[bendi] remote request timeout");
  g_source_attach (req->timer, g_task_get_context (req->task));
}

/* The caller's cancellable may fire on any thread; the op cancellable and
 * shutdown are safe from there. */
static void
cancelled_cb (GCancellable *cancellable G_GNUC_UNUSED,
              gpointer      user_data)
{
  request_abort (user_data);
}

static void
network_event_cb (SoupMessage        *msg G_GNUC_UNUSED,
                  GSocketClientEvent  event,
                  GIOStream          *connection,
                  gpointer            user_data)
{
  Request *req = user_data;

  if (event == G_SOCKET_CLIENT_CONNECTED && G_IS_SOCKET_CONNECTION (connection) && req->socket == NULL)
    req->socket = g_object_ref (g_socket_connection_get_socket (G_SOCKET_CONNECTION (connection)));
}

/* The request is on the wire: from now on the server may think (a long
 * prompt) before it answers, which the read timeout allows. */
static void
wrote_body_cb (SoupMessage *msg G_GNUC_UNUSED,
               gpointer     user_data)
{
  Request *req = user_data;

  req->connected = TRUE;
  request_arm_timer (req, req->client->read_timeout_ms);
}

static Request *
request_new (BendiRemoteClient   *client,
             gpointer             source_tag,
             const char          *method,
             const char          *path,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  Request *req = g_new0 (Request, 1);
  g_autofree char *url = g_strconcat (client->base_url, path, NULL);

  req->client = g_object_ref (client);
  req->task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (req->task, source_tag);
  req->op_cancellable = g_cancellable_new ();
  req->msg = soup_message_new (method, url);
  /* Its own connection, so that a stop or a timeout can cut it without
   * touching other requests, and the server frees its slot at once. */
  soup_message_add_flags (req->msg, SOUP_MESSAGE_NEW_CONNECTION);
  if (client->api_key != NULL)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", client->api_key, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (req->msg), "Authorization", auth);
    }
  g_signal_connect (req->msg, "network-event", G_CALLBACK (network_event_cb), req);
  g_signal_connect (req->msg, "wrote-body", G_CALLBACK (wrote_body_cb), req);
  req->prompt_tokens = -1;
  return req;
}

static gboolean
request_cancelled_by_caller (Request *req)
{
  GCancellable *cancellable = g_task_get_cancellable (req->task);

  return cancellable != NULL && g_cancellable_is_cancelled (cancellable);
}

/* The error to report for a failed send or read: the caller's cancel, our
 * timeout, or what the network said. */
static GError *
request_io_error (Request      *req,
                  const GError *io_error,
                  gboolean      during_body)
{
  if (request_cancelled_by_caller (req))
    return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Stopped");
  if (req->timed_out || g_error_matches (io_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    {
      if (!req->connected)
        return g_error_new (BENDI_REMOTE_ERROR, BENDI_REMOTE_ERROR_TIMEOUT,
                            "No connection to %s within %u s", req->client->base_url,
                            (req->client->connect_timeout_ms + 999) / 1000);
      return g_error_new (BENDI_REMOTE_ERROR, BENDI_REMOTE_ERROR_TIMEOUT,
                          "The server sent nothing for %u s", (req->client->read_timeout_ms + 999) / 1000);
    }
  if (during_body)
    return g_error_new (BENDI_REMOTE_ERROR, BENDI_REMOTE_ERROR_STREAM_CUT,
                        "The connection broke during the reply: %s", io_error->message);
  return g_error_new (BENDI_REMOTE_ERROR, BENDI_REMOTE_ERROR_UNREACHABLE,
                      "Cannot reach %s: %s", req->client->base_url, io_error->message);
}

/* "Retry-After: 120" or an HTTP date; -1 when absent or unreadable. */
static gint64
parse_retry_after (const char *value)
{
  g_autoptr (GDateTime) when = NULL;
  g_autoptr (GDateTime) now = NULL;
  gint64 seconds;
  char *end = NULL;

  if (value == NULL)
    return -1;
  while (g_ascii_isspace (*value))
    value++;
  if (g_ascii_isdigit (*value))
    {
      seconds = (gint64) g_ascii_strtoull (value, &end, 10);
      return end != NULL && (*end == '\0' || g_ascii_isspace (*end)) ? seconds : -1;
    }
  when = soup_date_time_new_from_http_string (value);
  if (when == NULL)
    return -1;
  now = g_date_time_new_now_utc ();
  return MAX (0, g_date_time_difference (when, now) / G_TIME_SPAN_SECOND);
}

/* The message of an OpenAI-style error body ({"error": {"message": …}},
 * or {"error": "…"} as some servers send), or NULL. @code gets
 * error.code when it is a string. */
static char *
error_body_message (JsonNode  *root,
                    char     **code)
{
  JsonObject *object;
  JsonNode *error_node;

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  object = json_node_get_object (root);
  error_node = json_object_get_member (object, "error");
  if (error_node == NULL)
    {
      JsonNode *message = json_object_get_member (object, "message");

      if (message != NULL && JSON_NODE_HOLDS_VALUE (message) && json_node_get_value_type (message) == G_TYPE_STRING)
        return g_strdup (json_node_get_string (message));
      return NULL;
    }
  if (JSON_NODE_HOLDS_VALUE (error_node) && json_node_get_value_type (error_node) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (error_node));
  if (JSON_NODE_HOLDS_OBJECT (error_node))
    {
      JsonObject *e = json_node_get_object (error_node);
      JsonNode *message = json_object_get_member (e, "message");
      JsonNode *code_node = json_object_get_member (e, "code");

      if (code != NULL && code_node != NULL && JSON_NODE_HOLDS_VALUE (code_node) &&
          json_node_get_value_type (code_node) == G_TYPE_STRING)
        *code = g_strdup (json_node_get_string (code_node));
      if (message != NULL && JSON_NODE_HOLDS_VALUE (message) && json_node_get_value_type (message) == G_TYPE_STRING)
        return g_strdup (json_node_get_string (message));
    }
  return NULL;
}

static JsonNode *
parse_json (const char *text,
            gsize       len)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();

  if (!json_parser_load_from_data (parser, text, (gssize) len, NULL))
    return NULL;
  return json_parser_steal_root (parser);
}

/* The error for a failed status, with what the server said in its body. */
static GError *
status_error (Request *req)
{
  guint status = soup_message_get_status (req->msg);
  const char *body = req->body != NULL ? (const char *) req->body->data : "";
  gsize body_len = req->body != NULL ? req->body->len : 0;
  g_autoptr (JsonNode) root = parse_json (body, body_len);
  g_autofree char *code = NULL;
  g_autofree char *said = error_body_message (root, &code);
  g_autofree char *detail = NULL;
  BendiRemoteError error_code;
  GError *error;

  if (said == NULL && body_len > 0 && g_utf8_validate (body, (gssize) MIN (body_len, 200), NULL))
    said = g_strndup (body, MIN (body_len, 200));
  detail = said != NULL ? g_strdup_printf (": %s", g_strstrip (said)) : g_strdup ("");

  if (status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN)
    {
      /* 403 is also a proxy's or a Host check's refusal: say what the
       * server said rather than blame the key. */
      error_code = BENDI_REMOTE_ERROR_UNAUTHORIZED;
      if (status == SOUP_STATUS_FORBIDDEN)
        error = g_error_new (BENDI_REMOTE_ERROR, error_code, "%s refused the request (403)%s",
                             req->client->base_url, detail);
      else if (req->client->api_key == NULL)
        error = g_error_new (BENDI_REMOTE_ERROR, error_code, "%s needs an API key (401)%s",
                             req->client->base_url, detail);
      else
        error = g_error_new (BENDI_REMOTE_ERROR, error_code, "%s refused the API key (401)%s",
                             req->client->base_url, detail);
    }
  else if (status == SOUP_STATUS_NOT_FOUND && g_task_get_source_tag (req->task) != bendi_remote_client_list_models_async)
    {
      error_code = BENDI_REMOTE_ERROR_MODEL_NOT_FOUND;
      error = g_error_new (BENDI_REMOTE_ERROR, error_code, "The server has no such model%s", detail);
    }
  else if (status == SOUP_STATUS_NOT_FOUND)
    {
      error_code = BENDI_REMOTE_ERROR_PROTOCOL;
      error = g_error_new (BENDI_REMOTE_ERROR, error_code,
                           "%s/models does not exist: is this an OpenAI-compatible endpoint?", req->client->base_url);
    }
  else if (status == 429)
    {
      gint64 retry_after = parse_retry_after (soup_message_headers_get_one (soup_message_get_response_headers (req->msg),
                                                                            "Retry-After"));

      error_code = BENDI_REMOTE_ERROR_RATE_LIMITED;
      if (retry_after >= 0)
        error = g_error_new (BENDI_REMOTE_ERROR, error_code,
                             "The server is busy: try again in %" G_GINT64_FORMAT " s%s", retry_after, detail);
      else
        error = g_error_new (BENDI_REMOTE_ERROR, error_code, "The server is busy: try again later%s", detail);
      bendi_remote_error_get_private (error)->retry_after = retry_after;
    }
  else if (code != NULL && g_str_equal (code, "model_not_found"))
    {
      error_code = BENDI_REMOTE_ERROR_MODEL_NOT_FOUND;
      error = g_error_new (BENDI_REMOTE_ERROR, error_code, "The server has no such model%s", detail);
    }
  else
    {
      error_code = BENDI_REMOTE_ERROR_SERVER;
      error = g_error_new (BENDI_REMOTE_ERROR, error_code, "The server answered %u %s%s", status,
                           soup_message_get_reason_phrase (req->msg) != NULL ? soup_message_get_reason_phrase (req->msg) : "",
                           detail);
    }
  bendi_remote_error_get_private (error)->http_status = status;
  return error;
}

static void stream_feed (Request *req, const guint8 *bytes, gsize len);
static void read_cb (GObject *object, GAsyncResult *result, gpointer user_data);

static void
request_read_next (Request *req)
{
  g_input_stream_read_async (req->stream, req->buffer, sizeof req->buffer, G_PRIORITY_DEFAULT,
                             req->op_cancellable, read_cb, req);
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Request *req = user_data;
  g_autoptr (GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);

  if (n < 0)
    {
      /* A failed status's body cut short still says what the status says. */
      if (req->mode != BODY_ERROR || req->timed_out || request_cancelled_by_caller (req))
        req->error = request_io_error (req, error, TRUE);
      request_disarm_timer (req);
      req->done (req);
      return;
    }
  if (n == 0)
    {
      req->eof = TRUE;
      request_disarm_timer (req);
      req->done (req);
      return;
    }
  request_arm_timer (req, req->client->read_timeout_ms);
  req->bytes_received += (guint64) n;
  if (req->mode == BODY_STREAM)
    {
      stream_feed (req, req->buffer, (gsize) n);
      if (req->error != NULL || req->saw_done)
        {
          request_disarm_timer (req);
          req->done (req);
          return;
        }
    }
  else
    {
      gsize cap = req->mode == BODY_ERROR ? MAX_ERROR_BYTES : MAX_JSON_BYTES;

      if (req->body->len + (gsize) n > cap)
        {
          if (req->mode == BODY_JSON)
            req->error = g_error_new (BENDI_REMOTE_ERROR, BENDI_REMOTE_ERROR_PROTOCOL,
                                      "The server's answer is larger than %" G_GSIZE_FORMAT " bytes", cap);
          /* An error body past the cap is cut there: its start says enough. */
          request_disarm_timer (req);
          req->done (req);
          return;
        }
      g_byte_array_append (req->body, req->buffer, (guint) n);
    }
  request_read_next (req);
}

static gboolean
content_type_is (SoupMessage *msg,
                 const char  *type)
{
  const char *actual = soup_message_headers_get_content_type (soup_message_get_response_headers (msg), NULL);

  return actual != NULL && g_ascii_strcasecmp (actual, type) == 0;
}

static void
send_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Request *req = user_data;
  g_autoptr (GError) error = NULL;
  guint status;

  req->stream = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  if (req->stream == NULL)
    {
      req->error = request_io_error (req, error, FALSE);
      req->done (req);
      return;
    }
  req->connected = TRUE;
  request_arm_timer (req, req->client->read_timeout_ms);
  status = soup_message_get_status (req->msg);
  req->body = g_byte_array_new ();
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    req->mode = BODY_ERROR;
  else if (req->mode == BODY_STREAM && !content_type_is (req->msg, "text/event-stream"))
    {
      /* A server that ignores "stream" answers with the whole reply. */
      if (content_type_is (req->msg, "application/json"))
        req->mode = BODY_JSON;
      else
        {
          const char *type = soup_message_headers_get_content_type (soup_message_get_response_headers (req->msg), NULL);

          req->error = g_error_new (BENDI_REMOTE_ERROR, BENDI_REMOTE_ERROR_PROTOCOL,
                                    "The server answered with %s, not an event stream: is this an OpenAI-compatible endpoint?",
                                    type != NULL ? type : "no content type");
          req->done (req);
          return;
        }
    }
  request_read_next (req);
}

static void
request_send (Request *req,
              GBytes  *body)
{
  GCancellable *cancellable = g_task_get_cancellable (req->task);

  if (body != NULL)
    soup_message_set_request_body_from_bytes (req->msg, "application/json", body);
  if (cancellable != NULL)
    req->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (cancelled_cb), req, NULL);
  request_arm_timer (req, req->client->connect_timeout_ms);
  soup_session_send_async (req->client->session, req->msg, G_PRIORITY_DEFAULT, req->op_cancellable, send_cb, req);
}

/* ------------------------------------------------------------------------ */
/* Model list */

/* A count the server gave (tokens, context length): never negative. */
static gint64
member_count (JsonObject *object,
              const char *name)
{
  return MAX (0, hub_json_int (object, name));
}

static void
list_models_done (Request *req)
{
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GPtrArray) models = NULL;
  JsonArray *data;

  if (req->error != NULL)
    {
      g_task_return_error (req->task, g_steal_pointer (&req->error));
      request_free (req);
      return;
    }
  if (req->mode == BODY_ERROR)
    {
      g_task_return_error (req->task, status_error (req));
      request_free (req);
      return;
    }
  root = parse_json ((const char *) req->body->data, req->body->len);
  data = root != NULL && JSON_NODE_HOLDS_OBJECT (root) ? hub_json_array (json_node_get_object (root), "data") : NULL;
  if (data == NULL)
    {
      g_task_return_new_error (req->task, BENDI_REMOTE_ERROR, BENDI_REMOTE_ERROR_PROTOCOL,
                               "%s/models did not answer with a model list", req->client->base_url);
      request_free (req);
      return;
    }

  models = g_ptr_array_new_with_free_func ((GDestroyNotify) bendi_remote_model_free);
  for (guint i = 0; i < json_array_get_length (data); i++)
    {
      JsonNode *node = json_array_get_element (data, i);
      JsonObject *object = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *id = hub_json_string (object, "id");
      BendiRemoteModel *model;

      if (id == NULL || *id == '\0')
        continue;
      model = g_new0 (BendiRemoteModel, 1);
      model->id = g_strdup (id);
      model->owned_by = g_strdup (hub_json_string (object, "owned_by"));
      /* Each server says it its own way. */
      model->context_length = member_count (object, "max_model_len");
      if (model->context_length == 0)
        model->context_length = member_count (object, "context_length");
      if (model->context_length == 0)
        model->context_length = member_count (object, "context_window");
      if (model->context_length == 0)
        model->context_length = member_count (hub_json_object (object, "meta"), "n_ctx_train");
      g_ptr_array_add (models, model);
    }
  g_task_return_pointer (req->task, g_steal_pointer (&models), (GDestroyNotify) g_ptr_array_unref);
  request_free (req);
}

void
bendi_remote_client_list_models_async (BendiRemoteClient   *self,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  Request *req;

  g_return_if_fail (BENDI_IS_REMOTE_CLIENT (self));

  req = request_new (self, bendi_remote_client_list_models_async, SOUP_METHOD_GET, "/models",
                     cancellable, callback, user_data);
  req->mode = BODY_JSON;
  req->done = list_models_done;
  soup_message_headers_replace (soup_message_get_request_headers (req->msg), "Accept", "application/json");
  request_send (req, NULL);
}

GPtrArray *
bendi_remote_client_list_models_finish (BendiRemoteClient  *self,
                                        GAsyncResult       *result,
                                        GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------------ */
/* Chat */

static void
chat_emit (Request    *req,
           const char *reasoning,
           gsize       reasoning_len,
           const char *content,
           gsize       content_len)
{
  g_autofree char *r = reasoning_len > 0 ? g_strndup (reasoning, reasoning_len) : NULL;
  g_autofree char *c = content_len > 0 ? g_strndup (content, content_len) : NULL;

  if (r == NULL && c == NULL)
    return;
  if (r != NULL)
    g_string_append (req->reasoning, r);
  if (c != NULL)
    g_string_append (req->content, c);
  if (req->on_delta != NULL)
    req->on_delta (r, c, req->delta_data);
}

/* Text of delta.content goes through the splitter, which moves inline
 * <think> blocks to the reasoning. */
static void
chat_take_text (Request    *req,
                const char *reasoning,
                const char *content)
{
  g_autoptr (GString) split_reasoning = g_string_new (NULL);
  g_autoptr (GString) split_content = g_string_new (NULL);
  gint64 now = g_get_monotonic_time ();

  if ((reasoning == NULL || *reasoning == '\0') && (content == NULL || *content == '\0'))
    return;
  if (req->first_text_us == 0)
    req->first_text_us = now;
  req->last_text_us = now;
  req->n_text_chunks++;

  if (reasoning != NULL)
    g_string_append (split_reasoning, reasoning);
  if (content != NULL)
    bendi_reasoning_splitter_feed (req->splitter, content, strlen (content), split_reasoning, split_content);
  chat_emit (req, split_reasoning->str, split_reasoning->len, split_content->str, split_content->len);
}

static void
chat_take_usage (Request    *req,
                 JsonObject *object)
{
  JsonObject *usage = hub_json_object (object, "usage");

  if (usage == NULL)
    return;
  req->usage_seen = TRUE;
  req->prompt_tokens = member_count (usage, "prompt_tokens");
  req->completion_tokens = member_count (usage, "completion_tokens");
}

/* One chunk (or a whole non-streamed reply: "message" in place of "delta"). */
static void
chat_take_choice (Request    *req,
                  JsonObject *object,
                  const char *delta_name)
{
  JsonArray *choices = hub_json_array (object, "choices");
  JsonObject *choice;
  JsonObject *delta;
  const char *reasoning;
  const char *finish_reason;

  chat_take_usage (req, object);
  if (choices == NULL || json_array_get_length (choices) == 0)
    return;
  choice = JSON_NODE_HOLDS_OBJECT (json_array_get_element (choices, 0))
           ? json_node_get_object (json_array_get_element (choices, 0)) : NULL;
  delta = hub_json_object (choice, delta_name);
  /* vLLM and llama-server say reasoning_content; newer vLLM and Ollama say reasoning. */
  reasoning = hub_json_string (delta, "reasoning_content");
  if (reasoning == NULL)
    reasoning = hub_json_string (delta, "reasoning");
  chat_take_text (req, reasoning, hub_json_string (delta, "content"));
  finish_reason = hub_json_string (choice, "finish_reason");
  if (finish_reason != NULL)
    {
      g_free (req->finish_reason);
      req->finish_reason = g_strdup (finish_reason);
    }
}

static void
chat_event_cb (const char *event,
               const char *data,
               gsize       data_len,
               const char *id G_GNUC_UNUSED,
               gpointer    user_data)
{
  Request *req = user_data;
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *message = NULL;
  JsonObject *object;

  /* Nothing more after a stop, even what the same read brought. */
  if (req->error != NULL || req->saw_done || g_cancellable_is_cancelled (req->op_cancellable))
    return;
  req->n_events++;
  if (data_len == 6 && memcmp (data, "[DONE]", 6) == 0)
    {
      req->saw_done = TRUE;
      return;
    }
  root = parse_json (data, data_len);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      req->error = g_error_new (BENDI_REMOTE_ERROR, BENDI_REMOTE_ERROR_PROTOCOL,
                                "An event of the stream is not a JSON object");
      return;
    }
  object = json_node_get_object (root);
  if (json_object_has_member (object, "error") || g_strcmp0 (event, "error") == 0)
    {
      message = error_body_message (root, NULL);
      req->error = g_error_new (BENDI_REMOTE_ERROR, BENDI_REMOTE_ERROR_SERVER, "The server failed during the reply: %s",
                                message != NULL ? message : "no reason given");
      return;
    }
  chat_take_choice (req, object, "delta");
}

static void
stream_feed (Request      *req,
             const guint8 *bytes,
             gsize         len)
{
  g_autoptr (GError) error = NULL;

  if (!bendi_sse_parser_feed (req->parser, (const char *) bytes, len, &error))
    req->error = g_error_new (BENDI_REMOTE_ERROR, BENDI_REMOTE_ERROR_PROTOCOL, "%s", error->message);
}

static void
chat_done (Request *req)
{
  g_autoptr (GString) reasoning = g_string_new (NULL);
  g_autoptr (GString) content = g_string_new (NULL);
  BendiRemoteChatResult *result;

  if (req->mode == BODY_ERROR && req->error == NULL)
    {
      g_task_return_error (req->task, status_error (req));
      request_free (req);
      return;
    }
  if (req->mode == BODY_JSON && req->error == NULL)
    {
      g_autoptr (JsonNode) root = parse_json ((const char *) req->body->data, req->body->len);

      if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
        req->error = g_error_new (BENDI_REMOTE_ERROR, BENDI_REMOTE_ERROR_PROTOCOL, "The server's reply is not JSON");
      else
        {
          chat_take_choice (req, json_node_get_object (root), "message");
          req->saw_done = TRUE;
        }
    }

  /* Whatever the splitter held back is part of the reply, whatever the outcome. */
  bendi_reasoning_splitter_finish (req->splitter, reasoning, content);
  chat_emit (req, reasoning->str, reasoning->len, content->str, content->len);

  if (req->error == NULL && !req->saw_done && req->finish_reason == NULL)
    {
      if (req->n_events == 0 && req->bytes_received > 0)
        req->error = g_error_new (BENDI_REMOTE_ERROR, BENDI_REMOTE_ERROR_PROTOCOL,
                                  "The server's answer held no events");
      else
        req->error = g_error_new (BENDI_REMOTE_ERROR, BENDI_REMOTE_ERROR_STREAM_CUT,
                                  "The server closed the connection before the reply was finished");
    }
  if (req->error != NULL)
    {
      g_task_return_error (req->task, g_steal_pointer (&req->error));
      request_free (req);
      return;
    }

  result = g_new0 (BendiRemoteChatResult, 1);
  result->finish_reason = g_strdup (req->finish_reason != NULL ? req->finish_reason : "stop");
  result->content = g_strdup (req->content->str);
  result->reasoning = req->reasoning->len > 0 ? g_strdup (req->reasoning->str) : NULL;
  result->usage_from_server = req->usage_seen;
  result->prompt_tokens = req->usage_seen ? req->prompt_tokens : -1;
  result->completion_tokens = req->usage_seen ? req->completion_tokens : req->n_text_chunks;
  if (req->first_text_us > 0)
    {
      double span = (double) (req->last_text_us - req->first_text_us) / G_USEC_PER_SEC;

      result->time_to_first_token = (double) (req->first_text_us - req->start_us) / G_USEC_PER_SEC;
      /* The first token's time is the wait for it; the rate is of the rest. */
      if (result->completion_tokens > 1 && span > 0.0)
        result->tokens_per_second = (double) (result->completion_tokens - 1) / span;
    }
  g_task_return_pointer (req->task, result, (GDestroyNotify) bendi_remote_chat_result_free);
  request_free (req);
}

/* The request body: the messages, streaming with usage, and what of @params
 * the servers take. */
static GBytes *
chat_request_body (const char                *model,
                   BendiTemplateValue        *messages,
                   const BendiGenerateParams *params)
{
  g_autoptr (JsonBuilder) b = json_builder_new_immutable ();
  g_autoptr (JsonNode) root = NULL;
  char *text;
  gsize len;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, model);
  /* The messages as OpenAI's: their role and content. */
  json_builder_set_member_name (b, "messages");
  json_builder_begin_array (b);
  for (gsize i = 0; i < bendi_template_value_get_length (messages); i++)
    {
      BendiTemplateValue *message = bendi_template_value_list_get (messages, i);
      BendiTemplateValue *role = bendi_template_value_dict_lookup (message, "role");
      BendiTemplateValue *content = bendi_template_value_dict_lookup (message, "content");

      if (role == NULL || content == NULL)
        continue;
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "role");
      json_builder_add_string_value (b, bendi_template_value_get_string (role, NULL));
      json_builder_set_member_name (b, "content");
      json_builder_add_string_value (b, bendi_template_value_get_string (content, NULL));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "stream");
  json_builder_add_boolean_value (b, TRUE);
  json_builder_set_member_name (b, "stream_options");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "include_usage");
  json_builder_add_boolean_value (b, TRUE);
  json_builder_end_object (b);
  if (params != NULL)
    {
      const BendiSamplerParams *s = &params->sampling;

      if (params->max_tokens > 0)
        {
          json_builder_set_member_name (b, "max_tokens");
          json_builder_add_int_value (b, params->max_tokens);
        }
      if (s->temperature >= 0.0f)
        {
          json_builder_set_member_name (b, "temperature");
          json_builder_add_double_value (b, s->temperature);
        }
      if (s->top_p > 0.0f && s->top_p < 1.0f)
        {
          json_builder_set_member_name (b, "top_p");
          json_builder_add_double_value (b, s->top_p);
        }
      if (s->top_k > 0)
        {
          json_builder_set_member_name (b, "top_k");
          json_builder_add_int_value (b, s->top_k);
        }
      if (s->min_p > 0.0f)
        {
          json_builder_set_member_name (b, "min_p");
          json_builder_add_double_value (b, s->min_p);
        }
      if (s->repeat_penalty > 0.0f && s->repeat_penalty != 1.0f)
        {
          json_builder_set_member_name (b, "repeat_penalty");
          json_builder_add_double_value (b, s->repeat_penalty);
        }
      if (s->presence_penalty != 0.0f)
        {
          json_builder_set_member_name (b, "presence_penalty");
          json_builder_add_double_value (b, s->presence_penalty);
        }
      if (s->frequency_penalty != 0.0f)
        {
          json_builder_set_member_name (b, "frequency_penalty");
          json_builder_add_double_value (b, s->frequency_penalty);
        }
      if (s->seed >= 0)
        {
          json_builder_set_member_name (b, "seed");
          json_builder_add_int_value (b, s->seed);
        }
      if (params->ignore_eos)
        {
          json_builder_set_member_name (b, "ignore_eos");
          json_builder_add_boolean_value (b, TRUE);
        }
      if (params->stop != NULL && params->stop[0] != NULL)
        {
          json_builder_set_member_name (b, "stop");
          json_builder_begin_array (b);
          for (gsize i = 0; params->stop[i] != NULL; i++)
            json_builder_add_string_value (b, params->stop[i]);
          json_builder_end_array (b);
        }
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  text = json_to_string (root, FALSE);
  len = strlen (text);
  return g_bytes_new_take (text, len);
}

void
bendi_remote_client_chat_async (BendiRemoteClient         *self,
                                const char                *model,
                                BendiTemplateValue        *messages,
                                const BendiGenerateParams *params,
                                BendiRemoteDeltaFunc       on_delta,
                                GCancellable              *cancellable,
                                GAsyncReadyCallback        callback,
                                gpointer                   user_data)
{
  g_autoptr (GBytes) body = NULL;
  Request *req;

  g_return_if_fail (BENDI_IS_REMOTE_CLIENT (self));
  g_return_if_fail (model != NULL);
  g_return_if_fail (messages != NULL);

  req = request_new (self, bendi_remote_client_chat_async, SOUP_METHOD_POST, "/chat/completions",
                     cancellable, callback, user_data);
  req->mode = BODY_STREAM;
  req->done = chat_done;
  req->on_delta = on_delta;
  req->delta_data = user_data;
  req->parser = bendi_sse_parser_new (MAX_EVENT_BYTES, chat_event_cb, req);
  req->splitter = bendi_reasoning_splitter_new (FALSE);
  req->content = g_string_new (NULL);
  req->reasoning = g_string_new (NULL);
  req->start_us = g_get_monotonic_time ();
  soup_message_headers_replace (soup_message_get_request_headers (req->msg), "Accept", "text/event-stream");
  body = chat_request_body (model, messages, params);
  request_send (req, body);
}

BendiRemoteChatResult *
bendi_remote_client_chat_finish (BendiRemoteClient  *self,
                                 GAsyncResult       *result,
                                 GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------------ */
/* The object */

static void
bendi_remote_client_finalize (GObject *object)
{
  BendiRemoteClient *self = BENDI_REMOTE_CLIENT (object);

  g_free (self->base_url);
  g_free (self->api_key);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (bendi_remote_client_parent_class)->finalize (object);
}

static void
bendi_remote_client_class_init (BendiRemoteClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = bendi_remote_client_finalize;
}

static void
bendi_remote_client_init (BendiRemoteClient *self)
{
  self->connect_timeout_ms = BENDI_REMOTE_DEFAULT_CONNECT_TIMEOUT_MS;
  self->read_timeout_ms = BENDI_REMOTE_DEFAULT_READ_TIMEOUT_MS;
  /* Our own timers watch connecting and reading; libsoup's would cut a
   * long prompt's wait for its first token. */
  self->session = soup_session_new_with_options ("user-agent", "Bendi/" BENDI_VERSION " ",
                                                 "timeout", 0,
                                                 NULL);
}

BendiRemoteClient *
bendi_remote_client_new (const char  *base_url,
                         const char  *api_key,
                         GError     **error)
{
  g_autofree char *normal = bendi_remote_normalize_url (base_url, error);
  BendiRemoteClient *self;

  if (normal == NULL)
    return NULL;
  self = g_object_new (BENDI_TYPE_REMOTE_CLIENT, NULL);
  self->base_url = g_steal_pointer (&normal);
  self->api_key = api_key != NULL && *api_key != '\0' ? g_strdup (api_key) : NULL;
  return self;
}

const char *
bendi_remote_client_get_base_url (BendiRemoteClient *self)
{
  g_return_val_if_fail (BENDI_IS_REMOTE_CLIENT (self), NULL);

  return self->base_url;
}

void
bendi_remote_client_set_timeouts (BendiRemoteClient *self,
                                  guint              connect_timeout_ms,
                                  guint              read_timeout_ms)
{
  g_return_if_fail (BENDI_IS_REMOTE_CLIENT (self));

  if (connect_timeout_ms > 0)
    self->connect_timeout_ms = connect_timeout_ms;
  if (read_timeout_ms > 0)
    self->read_timeout_ms = read_timeout_ms;
}
