/* SPDX-License-Identifier: MIT */
/* A misbehaving OpenAI-shaped endpoint for the remote client's tests (and
 * the app's): raw HTTP/1.1 over GSocket, a thread per connection. */
#include "remote-test-server.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#define MAX_REQUEST_BYTES ((gsize) 4 * 1024 * 1024)

struct _RemoteTestServer {
  GMutex             lock;
  GCond              cond;
  GSocketListener   *listener;
  GCancellable      *cancellable;
  GThread           *accept_thread;
  guint              n_active;         /* connection threads running */
  char              *url;

  /* Under lock. */
  RemoteTestReply    reply;
  char              *api_key;
  char             **script;
  guint              delay_ms;
  gboolean           send_usage;
  gboolean           batched;
  char              *last_request;
  guint              n_abandoned;
  guint              n_completed;
  guint              n_listings;
};

typedef struct {
  RemoteTestServer  *server;
  GSocketConnection *connection;
} Connection;

/* ------------------------------------------------------------------------ */
/* Writing */

static gboolean
write_all (GSocketConnection *connection,
           const char        *data,
           gsize              len)
{
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));

  return g_output_stream_write_all (out, data, len, NULL, NULL, NULL);
}

static gboolean
write_chunk (GSocketConnection *connection,
             const char        *data,
             gsize              len)
{
  g_autofree char *head = g_strdup_printf ("%" G_GSIZE_MODIFIER "x\r\n", len);

  return write_all (connection, head, strlen (head)) && write_all (connection, data, len) &&
         write_all (connection, "\r\n", 2);
}

static void
write_response (GSocketConnection *connection,
                guint              status,
                const char        *reason,
                const char        *content_type,
                const char        *extra_headers,
                const char        *body)
{
  g_autofree char *head = g_strdup_printf ("HTTP/1.1 %u %s\r\n"
                                           "Content-Type: %s\r\n"
                                           "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                                           "%s"
                                           "Connection: close\r\n\r\n",
                                           status, reason, content_type, strlen (body),
                                           extra_headers != NULL ? extra_headers : "");

  if (write_all (connection, head, strlen (head)))
    write_all (connection, body, strlen (body));
}

static void
write_error (GSocketConnection *connection,
             guint              status,
             const char        *reason,
             const char        *extra_headers,
             const char        *code,
             const char        *message)
{
  g_autofree char *body = g_strdup_printf ("{\"error\":{\"message\":\"%s\",\"type\":\"invalid_request_error\","
                                           "\"param\":null,\"code\":\"%s\"}}", message, code);

  write_response (connection, status, reason, "application/json", extra_headers, body);
}

/* Waits @delay_ms, or until the client goes away (TRUE) or the server
 * stops. @delay_ms < 0: until one of those. */
static gboolean
client_left_within (Connection *c,
                    gint64      delay_ms)
{
  GSocket *socket = g_socket_connection_get_socket (c->connection);
  g_autoptr (GError) error = NULL;
  char byte;

  if (!g_socket_condition_timed_wait (socket, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                      delay_ms < 0 ? -1 : delay_ms * 1000, c->server->cancellable, &error))
    return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* Readable after a whole request with Connection: close means the end. */
  return g_socket_receive (socket, &byte, 1, NULL, NULL) <= 0;
}

/* ------------------------------------------------------------------------ */
/* Chat */

static char *
chunk_json (const char *field,
            const char *text,
            const char *finish_reason)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, "chatcmpl-test");
  json_builder_set_member_name (b, "object");
  json_builder_add_string_value (b, "chat.completion.chunk");
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, "test-model");
  json_builder_set_member_name (b, "choices");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "index");
  json_builder_add_int_value (b, 0);
  json_builder_set_member_name (b, "delta");
  json_builder_begin_object (b);
  if (field != NULL)
    {
      json_builder_set_member_name (b, field);
      json_builder_add_string_value (b, text);
    }
  json_builder_end_object (b);
  json_builder_set_member_name (b, "finish_reason");
  if (finish_reason != NULL)
    json_builder_add_string_value (b, finish_reason);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static gboolean
send_event (Connection *c,
            const char *data)
{
  g_autofree char *event = g_strdup_printf ("data: %s\n\n", data);

  return write_chunk (c->connection, event, strlen (event));
}

static void
serve_chat (Connection *c,
            JsonObject *body)
{
  RemoteTestServer *self = c->server;
  const char *model = json_object_get_string_member_with_default (body, "model", "");
  gboolean stream = json_object_get_boolean_member_with_default (body, "stream", FALSE);
  JsonObject *stream_options = json_object_has_member (body, "stream_options")
                               ? json_object_get_object_member (body, "stream_options") : NULL;
  gboolean include_usage = stream_options != NULL &&
                           json_object_get_boolean_member_with_default (stream_options, "include_usage", FALSE);
  g_auto (GStrv) script = NULL;
  RemoteTestReply reply;
  guint delay_ms;
  gboolean send_usage;
  gboolean batched;
  g_autoptr (GString) content = g_string_new (NULL);
  g_autoptr (GString) batch = g_string_new (NULL);
  g_autoptr (GString) reasoning = g_string_new (NULL);

  g_mutex_lock (&self->lock);
  script = g_strdupv (self->script);
  reply = self->reply;
  delay_ms = self->delay_ms;
  send_usage = self->send_usage;
  batched = self->batched;
  g_mutex_unlock (&self->lock);

  if (!g_str_equal (model, "test-model") && !g_str_equal (model, "small-model"))
    {
      g_autofree char *message = g_strdup_printf ("The model `%s` does not exist.", model);

      write_error (c->connection, 404, "Not Found", NULL, "model_not_found", message);
      return;
    }
  switch (reply)
    {
    case REMOTE_TEST_REPLY_RATE_LIMITED:
      write_error (c->connection, 429, "Too Many Requests", "Retry-After: 7\r\n", "rate_limit_exceeded",
                   "Too many requests in flight");
      return;
    case REMOTE_TEST_REPLY_SERVER_ERROR:
      write_error (c->connection, 500, "Internal Server Error", NULL, "internal_error", "CUDA out of memory");
      return;
    case REMOTE_TEST_REPLY_GARBAGE:
      write_response (c->connection, 200, "OK", "text/html",  NULL,
                      "<html><body>Welcome to nginx!</body></html>\n");
      return;
    case REMOTE_TEST_REPLY_NORMAL:
    case REMOTE_TEST_REPLY_CUT:
    case REMOTE_TEST_REPLY_STALL:
    case REMOTE_TEST_REPLY_ERROR_EVENT:
    case REMOTE_TEST_REPLY_WHOLE:
    default:
      break;
    }

  for (guint i = 0; script[i] != NULL; i++)
    {
      if (g_str_has_prefix (script[i], "R:"))
        g_string_append (reasoning, script[i] + 2);
      else
        g_string_append (content, script[i]);
    }
  if (!stream || reply == REMOTE_TEST_REPLY_WHOLE)
    {
      g_autofree char *text = NULL;
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "object");
      json_builder_add_string_value (b, "chat.completion");
      json_builder_set_member_name (b, "choices");
      json_builder_begin_array (b);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "message");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "role");
      json_builder_add_string_value (b, "assistant");
      json_builder_set_member_name (b, "content");
      json_builder_add_string_value (b, content->str);
      if (reasoning->len > 0)
        {
          json_builder_set_member_name (b, "reasoning_content");
          json_builder_add_string_value (b, reasoning->str);
        }
      json_builder_end_object (b);
      json_builder_set_member_name (b, "finish_reason");
      json_builder_add_string_value (b, "stop");
      json_builder_end_object (b);
      json_builder_end_array (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      text = json_to_string (root, FALSE);
      write_response (c->connection, 200, "OK", "application/json", NULL, text);
      return;
    }

  {
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                               "Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";

    if (!write_all (c->connection, head, strlen (head)))
      goto abandoned;
  }
  for (guint i = 0; script[i] != NULL; i++)
    {
      gboolean is_reasoning = g_str_has_prefix (script[i], "R:");
      g_autofree char *event = chunk_json (is_reasoning ? "reasoning_content" : "content",
                                           script[i] + (is_reasoning ? 2 : 0), NULL);

      if (delay_ms > 0 && client_left_within (c, delay_ms))
        goto abandoned;
      if (batched)
        g_string_append_printf (batch, "data: %s\n\n", event);
      else if (!send_event (c, event))
        goto abandoned;
    }
  if (batch->len > 0 && !write_chunk (c->connection, batch->str, batch->len))
    goto abandoned;

  if (reply == REMOTE_TEST_REPLY_CUT)
    {
      static const char half[] = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"never";

      /* Half an event, and no last chunk: the connection simply ends. */
      write_chunk (c->connection, half, strlen (half));
      g_mutex_lock (&self->lock);
      self->n_completed++;
      g_mutex_unlock (&self->lock);
      return;
    }
  if (reply == REMOTE_TEST_REPLY_STALL)
    {
      client_left_within (c, -1);
      goto abandoned;
    }
  if (reply == REMOTE_TEST_REPLY_ERROR_EVENT)
    {
      send_event (c, "{\"error\":{\"message\":\"The engine crashed\",\"type\":\"server_error\"}}");
      write_all (c->connection, "0\r\n\r\n", 5);
      g_mutex_lock (&self->lock);
      self->n_completed++;
      g_mutex_unlock (&self->lock);
      return;
    }

  {
    g_autofree char *last = chunk_json (NULL, NULL, "stop");

    if (!send_event (c, last))
      goto abandoned;
  }
  if (include_usage && send_usage)
    {
      guint n = g_strv_length (script);
      g_autofree char *usage = g_strdup_printf ("{\"id\":\"chatcmpl-test\",\"object\":\"chat.completion.chunk\","
                                                "\"choices\":[],\"usage\":{\"prompt_tokens\":11,"
                                                "\"completion_tokens\":%u,\"total_tokens\":%u}}", n, n + 11);

      if (!send_event (c, usage))
        goto abandoned;
    }
  if (!send_event (c, "[DONE]") || !write_all (c->connection, "0\r\n\r\n", 5))
    goto abandoned;
  g_mutex_lock (&self->lock);
  self->n_completed++;
  g_mutex_unlock (&self->lock);
  return;

abandoned:
  g_mutex_lock (&self->lock);
  self->n_abandoned++;
  g_mutex_unlock (&self->lock);
}

/* ------------------------------------------------------------------------ */
/* Requests */

static const char models_body[] =
  "{\"object\":\"list\",\"data\":["
  "{\"id\":\"test-model\",\"object\":\"model\",\"owned_by\":\"tester\",\"max_model_len\":8192},"
  "{\"id\":\"small-model\",\"object\":\"model\",\"owned_by\":\"llamacpp\",\"meta\":{\"n_ctx_train\":2048}}"
  "]}";

/* The value of header @name in @head, or NULL. */
static char *
header_value (const char *head,
              const char *name)
{
  g_auto (GStrv) lines = g_strsplit (head, "\r\n", -1);

  for (guint i = 1; lines[i] != NULL; i++)
    {
      const char *colon = strchr (lines[i], ':');

      if (colon != NULL && (gsize) (colon - lines[i]) == strlen (name) &&
          g_ascii_strncasecmp (lines[i], name, strlen (name)) == 0)
        return g_strstrip (g_strdup (colon + 1));
    }
  return NULL;
}

static void
serve_connection (Connection *c)
{
  RemoteTestServer *self = c->server;
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (c->connection));
  g_autoptr (GByteArray) received = g_byte_array_new ();
  g_autofree char *head = NULL;
  g_autofree char *length_text = NULL;
  g_autofree char *authorization = NULL;
  g_autofree char *api_key = NULL;
  g_auto (GStrv) request_line = NULL;
  const guint8 *end = NULL;
  gsize head_len, body_len;
  char buffer[8192];

  while (end == NULL)
    {
      gssize n = g_input_stream_read (in, buffer, sizeof buffer, self->cancellable, NULL);

      if (n <= 0 || received->len + (gsize) n > MAX_REQUEST_BYTES)
        return;
      g_byte_array_append (received, (const guint8 *) buffer, (guint) n);
      end = memmem (received->data, received->len, "\r\n\r\n", 4);
    }
  head_len = (gsize) (end - received->data);
  head = g_strndup ((const char *) received->data, head_len);
  length_text = header_value (head, "Content-Length");
  body_len = length_text != NULL ? (gsize) g_ascii_strtoull (length_text, NULL, 10) : 0;
  if (body_len > MAX_REQUEST_BYTES)
    return;
  while (received->len < head_len + 4 + body_len)
    {
      gssize n = g_input_stream_read (in, buffer, sizeof buffer, self->cancellable, NULL);

      if (n <= 0)
        return;
      g_byte_array_append (received, (const guint8 *) buffer, (guint) n);
    }
  request_line = g_strsplit (head, " ", 3);
  if (g_strv_length (request_line) < 3)
    return;

  g_mutex_lock (&self->lock);
  api_key = g_strdup (self->api_key);
  g_mutex_unlock (&self->lock);
  authorization = header_value (head, "Authorization");
  if (api_key != NULL)
    {
      g_autofree char *expected = g_strconcat ("Bearer ", api_key, NULL);

      if (g_strcmp0 (authorization, expected) != 0)
        {
          write_error (c->connection, 401, "Unauthorized", NULL, "invalid_api_key", "Invalid API key");
          return;
        }
    }

  if (g_str_equal (request_line[0], "GET") && g_str_equal (request_line[1], "/v1/models"))
    {
      g_mutex_lock (&self->lock);
      self->n_listings++;
      g_mutex_unlock (&self->lock);
      write_response (c->connection, 200, "OK", "application/json", NULL, models_body);
    }
  else if (g_str_equal (request_line[0], "POST") && g_str_equal (request_line[1], "/v1/chat/completions"))
    {
      g_autofree char *body = g_strndup ((const char *) received->data + head_len + 4, body_len);
      g_autoptr (JsonParser) parser = json_parser_new ();

      g_mutex_lock (&self->lock);
      g_free (self->last_request);
      self->last_request = g_strdup (body);
      g_mutex_unlock (&self->lock);
      if (!json_parser_load_from_data (parser, body, -1, NULL) ||
          !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        write_error (c->connection, 400, "Bad Request", NULL, "invalid_json", "The body is not JSON");
      else
        serve_chat (c, json_node_get_object (json_parser_get_root (parser)));
    }
  else
    write_error (c->connection, 404, "Not Found", NULL, "unknown_url", "No such path");
}

static gpointer
connection_thread (gpointer data)
{
  Connection *c = data;
  RemoteTestServer *self = c->server;

  serve_connection (c);
  g_io_stream_close (G_IO_STREAM (c->connection), NULL, NULL);
  g_object_unref (c->connection);
  g_free (c);

  g_mutex_lock (&self->lock);
  self->n_active--;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  return NULL;
}

static gpointer
accept_thread (gpointer data)
{
  RemoteTestServer *self = data;

  for (;;)
    {
      GSocketConnection *connection = g_socket_listener_accept (self->listener, NULL, self->cancellable, NULL);
      Connection *c;

      if (connection == NULL)
        break;
      c = g_new0 (Connection, 1);
      c->server = self;
      c->connection = connection;
      g_mutex_lock (&self->lock);
      self->n_active++;
      g_mutex_unlock (&self->lock);
      g_thread_unref (g_thread_new ("remote-test-connection", connection_thread, c));
    }
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* Public */

RemoteTestServer *
remote_test_server_new (void)
{
  static const char *const default_script[] = { "Hello", ",", " world", "!", NULL };
  RemoteTestServer *self = g_new0 (RemoteTestServer, 1);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GError) error = NULL;

  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->cancellable = g_cancellable_new ();
  self->listener = g_socket_listener_new ();
  self->script = g_strdupv ((char **) default_script);
  self->send_usage = TRUE;
  g_socket_listener_add_address (self->listener, address, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                 NULL, &bound, &error);
  g_assert_no_error (error);
  self->url = g_strdup_printf ("http://127.0.0.1:%u",
                               g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  self->accept_thread = g_thread_new ("remote-test-server", accept_thread, self);
  return self;
}

void
remote_test_server_free (RemoteTestServer *self)
{
  if (self == NULL)
    return;
  g_cancellable_cancel (self->cancellable);
  g_thread_join (self->accept_thread);
  g_socket_listener_close (self->listener);
  g_mutex_lock (&self->lock);
  while (self->n_active > 0)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);
  g_object_unref (self->listener);
  g_object_unref (self->cancellable);
  g_strfreev (self->script);
  g_free (self->api_key);
  g_free (self->last_request);
  g_free (self->url);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}

const char *
remote_test_server_get_url (RemoteTestServer *self)
{
  return self->url;
}

void
remote_test_server_set_reply (RemoteTestServer *self,
                              RemoteTestReply   reply)
{
  g_mutex_lock (&self->lock);
  self->reply = reply;
  g_mutex_unlock (&self->lock);
}

void
remote_test_server_set_api_key (RemoteTestServer *self,
                                const char       *api_key)
{
  g_mutex_lock (&self->lock);
  g_free (self->api_key);
  self->api_key = g_strdup (api_key);
  g_mutex_unlock (&self->lock);
}

void
remote_test_server_set_script (RemoteTestServer  *self,
                               const char *const *pieces)
{
  g_mutex_lock (&self->lock);
  g_strfreev (self->script);
  self->script = g_strdupv ((char **) pieces);
  g_mutex_unlock (&self->lock);
}

void
remote_test_server_set_delay (RemoteTestServer *self,
                              guint             delay_ms)
{
  g_mutex_lock (&self->lock);
  self->delay_ms = delay_ms;
  g_mutex_unlock (&self->lock);
}

void
remote_test_server_set_batched (RemoteTestServer *self,
                                gboolean          batched)
{
  g_mutex_lock (&self->lock);
  self->batched = batched;
  g_mutex_unlock (&self->lock);
}

void
remote_test_server_set_usage (RemoteTestServer *self,
                              gboolean          send_usage)
{
  g_mutex_lock (&self->lock);
  self->send_usage = send_usage;
  g_mutex_unlock (&self->lock);
}

char *
remote_test_server_get_last_request (RemoteTestServer *self)
{
  char *copy;

  g_mutex_lock (&self->lock);
  copy = g_strdup (self->last_request);
  g_mutex_unlock (&self->lock);
  return copy;
}

guint
remote_test_server_count_abandoned (RemoteTestServer *self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = self->n_abandoned;
  g_mutex_unlock (&self->lock);
  return n;
}

guint
remote_test_server_count_listings (RemoteTestServer *self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = self->n_listings;
  g_mutex_unlock (&self->lock);
  return n;
}

guint
remote_test_server_count_completed (RemoteTestServer *self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = self->n_completed;
  g_mutex_unlock (&self->lock);
  return n;
}
