/* SPDX-License-Identifier: MIT */
/* BendiServer: the server's thread, its HTTP front door (Host, Origin, key, body size), routes, slots and queue. */
#define G_LOG_DOMAIN "bendi-server"

#include "server-private.h"

#include <string.h>

#include "engine-error.h"

struct _BendiServerClass {
  GObjectClass parent_class;
};

G_DEFINE_FINAL_TYPE (BendiServer, bendi_server, G_TYPE_OBJECT)

G_DEFINE_QUARK (bendi-server-error-quark, bendi_server_error)

/* The loader thread of bendi_server_load_model (). It holds no reference
 * on the server: stop waits for the thread and runs what it left in the
 * context, so the last reference is never dropped on the server's own
 * thread (whose dispose would then join itself). */
typedef struct {
  BendiServer          *server;
  char                 *path;
  BendiServerLoadedFunc callback;
  gpointer              user_data;
  BendiModel           *model;
  GError               *error;
} LoadData;

/* ------------------------------------------------------------------------ */
/* The served model */

static void
served_model_free (ServedModel *served)
{
  if (served == NULL)
    return;
  g_clear_pointer (&served->model, bendi_model_unref);
  g_free (served->id);
  g_clear_pointer (&served->chat_template, bendi_template_free);
  g_strfreev (served->template_stop);
  g_free (served->bos_text);
  g_free (served->eos_text);
  g_clear_pointer (&served->json_vocab, bendi_json_vocab_unref);
  g_free (served);
}

static ServedModel *
served_model_new (BendiServer *self,
                  BendiModel  *model,
                  const char  *path)
{
  ServedModel *served = g_new0 (ServedModel, 1);
  const BendiGguf *gguf = bendi_model_get_gguf (model);
  const BendiTokenizer *tokenizer = bendi_model_get_tokenizer (model);
  const char *source = NULL;
  const char *general_name = NULL;
  const char *end_tokens[2] = { NULL, NULL };
  g_autoptr (GError) error = NULL;

  served->model = bendi_model_ref (model);
  served->created = g_get_real_time () / G_USEC_PER_SEC;
  bendi_gguf_get_string (gguf, "general.name", FALSE, &general_name, NULL);
  if (self->model_id != NULL)
    served->id = g_strdup (self->model_id);
  else if (path != NULL)
    {
      g_autofree char *base = g_path_get_basename (path);

      if (g_str_has_suffix (base, ".gguf"))
        base[strlen (base) - 5] = '\0';
      served->id = g_steal_pointer (&base);
    }
  else
    served->id = g_strdup (general_name != NULL && general_name[0] != '\0' ? general_name : "local-model");

  if (bendi_tokenizer_get_bos (tokenizer) != BENDI_TOKEN_NONE)
    served->bos_text = g_strdup (bendi_tokenizer_get_text (tokenizer, bendi_tokenizer_get_bos (tokenizer)));
  if (bendi_tokenizer_get_eos (tokenizer) != BENDI_TOKEN_NONE)
    served->eos_text = g_strdup (bendi_tokenizer_get_text (tokenizer, bendi_tokenizer_get_eos (tokenizer)));

  /* The model's own template, else ChatML, as the issue asks. */
  bendi_gguf_get_string (gguf, "tokenizer.chat_template", FALSE, &source, NULL);
  if (source != NULL)
    {
      served->chat_template = bendi_template_new (source, -1, &error);
      if (served->chat_template == NULL)
        g_warning ("The model's chat template does not parse (%s); using ChatML", error->message);
    }
  if (served->chat_template == NULL)
    served->chat_template = bendi_template_new (bendi_chat_format_get_source ("chatml"), -1, NULL);
  end_tokens[0] = served->eos_text;
  served->template_stop = bendi_chat_template_get_stop_strings (served->chat_template, served->bos_text,
                                                                served->eos_text, end_tokens);
  return served;
}

BendiJsonVocab *
server_get_json_vocab (BendiServer *self)
{
  if (self->served->json_vocab == NULL)
    self->served->json_vocab = bendi_json_vocab_new (bendi_model_get_tokenizer (self->served->model));
  return self->served->json_vocab;
}

gint64
server_default_n_ctx (BendiServer *self)
{
  if (self->n_ctx > 0)
    return self->n_ctx;
  return MIN (bendi_model_get_config (self->served->model)->n_ctx_train, 4096);
}

/* ------------------------------------------------------------------------ */
/* Slots and queue, on the server thread */

void
server_count (BendiServer *self,
              guint64     *counter)
{
  g_mutex_lock (&self->lock);
  (*counter)++;
  g_mutex_unlock (&self->lock);
}

static void
update_load_stats (BendiServer *self)
{
  guint busy = 0;

  for (guint i = 0; i < self->n_parallel; i++)
    busy += self->slots[i].job != NULL;
  g_mutex_lock (&self->lock);
  self->stats.n_busy_slots = busy;
  self->stats.n_queued = self->queue.length;
  g_mutex_unlock (&self->lock);
}

gboolean
server_schedule (BendiServer *self,
                 Job         *job)
{
  Slot *free_slot = NULL;
  gint64 n_ctx = server_job_get_n_ctx (job);

  /* A free slot whose context already has the size asked for keeps its
   * cache (and its common prefix); any free slot will do otherwise. */
  for (guint i = 0; i < self->n_parallel; i++)
    {
      Slot *slot = &self->slots[i];

      if (slot->job != NULL)
        continue;
      if (free_slot == NULL || (slot->session != NULL && slot->n_ctx == n_ctx && free_slot->n_ctx != n_ctx))
        free_slot = slot;
    }
  if (free_slot != NULL)
    {
      server_job_start (job, free_slot);
      update_load_stats (self);
      return TRUE;
    }
  if (self->queue.length >= self->max_queue)
    return FALSE;
  g_queue_push_tail (&self->queue, job);
  update_load_stats (self);
  return TRUE;
}

void
server_slot_done (BendiServer *self,
                  Slot        *slot)
{
  slot->job = NULL;
  while (!self->stopping && slot->job == NULL && self->queue.length > 0)
    server_job_start (g_queue_pop_head (&self->queue), slot);
  update_load_stats (self);
}

void
server_unqueue (BendiServer *self,
                Job         *job)
{
  g_queue_remove (&self->queue, job);
  update_load_stats (self);
}

/* Cancels every generation and waits for each; their done callbacks are
 * then pending in the server's context. */
static void
cancel_all (BendiServer *self)
{
  for (guint i = 0; i < self->n_parallel; i++)
    if (self->slots[i].session != NULL)
      bendi_session_cancel (self->slots[i].session);
  for (guint i = 0; i < self->n_parallel; i++)
    if (self->slots[i].session != NULL)
      bendi_session_wait (self->slots[i].session);
}

static void
install_model (BendiServer *self,
               BendiModel  *model,
               const char  *path)
{
  gboolean was_stopping = self->stopping;

  /* A new model: what runs on the old one ends first. */
  self->stopping = TRUE;
  cancel_all (self);
  while (g_main_context_iteration (self->context, FALSE))
    ;
  while (self->queue.length > 0)
    server_job_abandon (g_queue_pop_head (&self->queue));
  self->stopping = was_stopping;
  for (guint i = 0; i < self->n_parallel; i++)
    {
      g_clear_pointer (&self->slots[i].session, bendi_session_free);
      self->slots[i].n_ctx = 0;
    }
  g_clear_pointer (&self->served, served_model_free);
  if (model != NULL)
    self->served = served_model_new (self, model, path);
}

/* ------------------------------------------------------------------------ */
/* The front door: checks made from the headers, before any body is read */

static gboolean
is_loopback_name (const char *name)
{
  return g_ascii_strcasecmp (name, "localhost") == 0 || g_ascii_strcasecmp (name, "localhost.") == 0 ||
         g_str_equal (name, "127.0.0.1") || g_str_equal (name, "::1");
}

/* Splits a Host header into its name (brackets off an IPv6 address) and
 * checks the port is digits. NULL when it is malformed or the name empty
 * (": 8080" once slipped past another local server's check). */
static char *
host_name_from_header (const char *header)
{
  const char *end;
  const char *port = NULL;
  g_autofree char *name = NULL;

  if (header[0] == '[')
    {
      end = strchr (header, ']');
      if (end == NULL)
        return NULL;
      name = g_strndup (header + 1, (gsize) (end - header - 1));
      if (end[1] == ':')
        port = end + 2;
      else if (end[1] != '\0')
        return NULL;
    }
  else
    {
      const char *colon = strchr (header, ':');

      if (colon != NULL && strchr (colon + 1, ':') != NULL)
        return NULL;
      name = colon != NULL ? g_strndup (header, (gsize) (colon - header)) : g_strdup (header);
      port = colon != NULL ? colon + 1 : NULL;
    }
  if (name[0] == '\0')
    return NULL;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-' && *p != ':' && *p != '_')
      return NULL;
  if (port != NULL)
    {
      if (port[0] == '\0' || strlen (port) > 5)
        return NULL;
      for (const char *p = port; *p != '\0'; p++)
        if (!g_ascii_isdigit (*p))
          return NULL;
    }
  return g_steal_pointer (&name);
}

static gboolean
host_allowed (BendiServer *self,
              const char  *name)
{
  if (is_loopback_name (name))
    return TRUE;
  if (self->host != NULL && g_ascii_strcasecmp (name, self->host) == 0 &&
      !g_str_equal (self->host, "0.0.0.0") && !g_str_equal (self->host, "::"))
    return TRUE;
  for (guint i = 0; self->allowed_hosts != NULL && self->allowed_hosts[i] != NULL; i++)
    if (g_ascii_strcasecmp (name, self->allowed_hosts[i]) == 0)
      return TRUE;
  return FALSE;
}

/* Compares without stopping at the first difference, so the time taken
 * tells nothing about the key. */
static gboolean
key_matches (const char *given,
             const char *key)
{
  gsize given_len = strlen (given), key_len = strlen (key);
  guint8 diff = given_len != key_len;

  for (gsize i = 0; i < key_len; i++)
    diff |= (guint8) (key[i] ^ (i < given_len ? given[i] : 0));
  return diff == 0;
}

/* A refused request's connection, taken over from libsoup: the reply is
 * written, then whatever the client still sends is read and dropped for a
 * moment, so closing does not reset the connection before the client has
 * read the reply. */
typedef struct {
  GIOStream *stream;
  GSocket   *socket;
  GSource   *input;
  GSource   *timeout;
  gsize      drained;
} Drain;

#define DRAIN_MAX_BYTES   ((gsize) 1024 * 1024)
#define DRAIN_MAX_SECONDS 2

static void
drain_close (Drain *drain)
{
  if (drain->input != NULL)
    {
      g_source_destroy (drain->input);
      g_source_unref (drain->input);
    }
  if (drain->timeout != NULL)
    {
      g_source_destroy (drain->timeout);
      g_source_unref (drain->timeout);
    }
  g_io_stream_close (drain->stream, NULL, NULL);
  g_object_unref (drain->stream);
  g_free (drain);
}

static gboolean
drain_timeout_cb (gpointer data)
{
  Drain *drain = data;

  g_clear_pointer (&drain->timeout, g_source_unref);
  drain_close (drain);
  return G_SOURCE_REMOVE;
}

static gboolean
drain_input_cb (GSocket      *socket,
                GIOCondition  condition G_GNUC_UNUSED,
                gpointer      data)
{
  Drain *drain = data;
  char buffer[16384];
  gssize n = g_socket_receive_with_blocking (socket, buffer, sizeof buffer, FALSE, NULL, NULL);

  if (n < 0 && !g_socket_condition_check (socket, G_IO_HUP | G_IO_ERR))
    return G_SOURCE_CONTINUE;
  if (n > 0)
    drain->drained += (gsize) n;
  if (n <= 0 || drain->drained > DRAIN_MAX_BYTES)
    {
      g_clear_pointer (&drain->input, g_source_unref);
      drain_close (drain);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
refuse (BendiServer       *self,
        SoupServerMessage *msg,
        guint              status,
        const char        *code,
        const char        *message)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  gboolean has_body = soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CHUNKED ||
                      (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
                       soup_message_headers_get_content_length (headers) > 0);
  g_autoptr (GString) reply = NULL;
  SoupMessageBody *body;
  g_autoptr (GBytes) bytes = NULL;
  Drain *drain;
  GSocket *socket;

  server_reply_error (msg, status, "invalid_request_error", code, NULL, "%s", message);
  if (!has_body)
    return;

  /* libsoup would read the whole body before replying: answer from the
   * headers instead, on the connection taken over. */
  body = soup_server_message_get_response_body (msg);
  bytes = soup_message_body_flatten (body);
  reply = g_string_new (NULL);
  g_string_append_printf (reply, "HTTP/1.1 %u %s\r\nContent-Type: application/json\r\nContent-Length: %" G_GSIZE_FORMAT
                          "\r\nConnection: close\r\n", status, soup_status_get_phrase (status), g_bytes_get_size (bytes));
  if (self->cors_origin != NULL &&
      g_strcmp0 (soup_message_headers_get_one (headers, "Origin"), self->cors_origin) == 0)
    g_string_append_printf (reply, "Access-Control-Allow-Origin: %s\r\nVary: Origin\r\n", self->cors_origin);
  g_string_append (reply, "\r\n");
  g_string_append_len (reply, g_bytes_get_data (bytes, NULL), (gssize) g_bytes_get_size (bytes));

  socket = soup_server_message_get_socket (msg);
  drain = g_new0 (Drain, 1);
  drain->stream = soup_server_message_steal_connection (msg);
  drain->socket = socket;
  server_count (self, &self->stats.n_requests);
  g_output_stream_write_all (g_io_stream_get_output_stream (drain->stream), reply->str, reply->len, NULL, NULL, NULL);
  g_output_stream_flush (g_io_stream_get_output_stream (drain->stream), NULL, NULL);
  if (socket == NULL)
    {
      drain_close (drain);
      return;
    }
  g_socket_shutdown (socket, FALSE, TRUE, NULL);
  drain->input = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (drain->input, G_SOURCE_FUNC (drain_input_cb), drain, NULL);
  g_source_attach (drain->input, self->context);
  drain->timeout = g_timeout_source_new_seconds (DRAIN_MAX_SECONDS);
  g_source_set_callback (drain->timeout, drain_timeout_cb, drain, NULL);
  g_source_attach (drain->timeout, self->context);
}

static void
early_handler_cb (SoupServer        *soup G_GNUC_UNUSED,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query G_GNUC_UNUSED,
                  gpointer           user_data)
{
  BendiServer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *host = soup_message_headers_get_list (headers, "Host");
  const char *origin = soup_message_headers_get_list (headers, "Origin");
  const char *method = soup_server_message_get_method (msg);
  g_autofree char *host_name = NULL;

  if (host == NULL)
    {
      refuse (self, msg, SOUP_STATUS_BAD_REQUEST, "invalid_host", "The request has no Host header");
      return;
    }
  host_name = host_name_from_header (host);
  if (host_name == NULL)
    {
      refuse (self, msg, SOUP_STATUS_BAD_REQUEST, "invalid_host", "The Host header is malformed or repeated");
      return;
    }
  if (!host_allowed (self, host_name))
    {
      refuse (self, msg, SOUP_STATUS_FORBIDDEN, "invalid_host",
              "The Host header names a host this server does not answer for (allow it with --allowed-host)");
      return;
    }
  if (origin != NULL)
    {
      if (self->cors_origin == NULL || !g_str_equal (origin, self->cors_origin))
        {
          refuse (self, msg, SOUP_STATUS_FORBIDDEN, "origin_not_allowed",
                  "Requests from web pages are refused unless their origin is allowed with --cors");
          return;
        }
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Access-Control-Allow-Origin", self->cors_origin);
      soup_message_headers_append (soup_server_message_get_response_headers (msg), "Vary", "Origin");
    }
  if (g_str_equal (method, "OPTIONS"))
    return;   /* a CORS preflight carries no key */
  if (self->api_key != NULL && !g_str_equal (path, "/health"))
    {
      const char *authorization = soup_message_headers_get_one (headers, "Authorization");

      if (authorization == NULL || g_ascii_strncasecmp (authorization, "Bearer ", 7) != 0 ||
          !key_matches (authorization + 7, self->api_key))
        {
          refuse (self, msg, SOUP_STATUS_UNAUTHORIZED, "invalid_api_key",
                  authorization == NULL ? "This server needs an API key (Authorization: Bearer KEY)"
                                        : "Incorrect API key provided");
          return;
        }
    }
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CHUNKED)
    {
      refuse (self, msg, SOUP_STATUS_LENGTH_REQUIRED, "length_required", "Request bodies need a Content-Length");
      return;
    }
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length (headers) > (goffset) self->max_body_bytes)
    {
      g_autofree char *message = g_strdup_printf ("The request body is over the limit of %" G_GSIZE_FORMAT " bytes",
                                                  self->max_body_bytes);

      refuse (self, msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "request_too_large", message);
      return;
    }
}

/* ------------------------------------------------------------------------ */
/* Routes */

static void
reply_not_ready (BendiServer       *self,
                 SoupServerMessage *msg)
{
  server_reply_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "unavailable_error", "model_not_ready", NULL,
                      self->loading ? "The model is loading" : "No model is loaded");
}

static void
add_model_object (JsonBuilder *b,
                  ServedModel *served)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, served->id);
  json_builder_set_member_name (b, "object");
  json_builder_add_string_value (b, "model");
  json_builder_set_member_name (b, "created");
  json_builder_add_int_value (b, served->created);
  json_builder_set_member_name (b, "owned_by");
  json_builder_add_string_value (b, "bendi");
  json_builder_end_object (b);
}

static void
handle_models (BendiServer       *self,
               SoupServerMessage *msg,
               const char        *path)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  const char *wanted = path + strlen ("/v1/models");

  if (self->served == NULL)
    {
      reply_not_ready (self, msg);
      return;
    }
  if (wanted[0] == '/')
    {
      if (!g_str_equal (wanted + 1, self->served->id))
        {
          server_reply_error (msg, SOUP_STATUS_NOT_FOUND, "invalid_request_error", "model_not_found", "model",
                              "The model '%s' does not exist", wanted + 1);
          return;
        }
      add_model_object (b, self->served);
      server_reply_json (msg, SOUP_STATUS_OK, b);
      return;
    }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "object");
  json_builder_add_string_value (b, "list");
  json_builder_set_member_name (b, "data");
  json_builder_begin_array (b);
  add_model_object (b, self->served);
  json_builder_end_array (b);
  json_builder_end_object (b);
  server_reply_json (msg, SOUP_STATUS_OK, b);
}

static void
handle_body (BendiServer       *self,
             SoupServerMessage *msg,
             gboolean           chat)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) error = NULL;
  JsonNode *root;

  if (self->served == NULL)
    {
      reply_not_ready (self, msg);
      return;
    }
  if (len > self->max_body_bytes)
    {
      server_reply_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "invalid_request_error", "request_too_large",
                          NULL, "The request body is over the limit of %" G_GSIZE_FORMAT " bytes", self->max_body_bytes);
      return;
    }
  if (server_json_too_deep (data, len, SERVER_MAX_JSON_DEPTH))
    {
      server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request_error", "invalid_json", NULL,
                          "The JSON body is nested more than %d deep", SERVER_MAX_JSON_DEPTH);
      return;
    }
  if (len == 0 || !json_parser_load_from_data (parser, data, (gssize) len, &error))
    {
      server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request_error", "invalid_json", NULL,
                          "The body is not valid JSON: %s", error != NULL ? error->message : "it is empty");
      return;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request_error", "invalid_json", NULL,
                          "The body must be a JSON object");
      return;
    }
  server_handle_completion (self, msg, root, chat);
}

static void
handler_cb (SoupServer        *soup G_GNUC_UNUSED,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query G_GNUC_UNUSED,
            gpointer           user_data)
{
  BendiServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  gboolean get = g_str_equal (method, "GET") || g_str_equal (method, "HEAD");
  gboolean post = g_str_equal (method, "POST");

  /* The early handler answered already. */
  if (soup_server_message_get_status (msg) != 0)
    return;

  if (g_str_equal (method, "OPTIONS"))
    {
      SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);

      if (self->cors_origin == NULL)
        {
          server_reply_error (msg, SOUP_STATUS_FORBIDDEN, "invalid_request_error", "origin_not_allowed", NULL,
                              "Cross-origin requests are not enabled (see --cors)");
          return;
        }
      soup_message_headers_replace (response, "Access-Control-Allow-Methods", "GET, POST, OPTIONS");
      soup_message_headers_replace (response, "Access-Control-Allow-Headers", "Authorization, Content-Type");
      soup_message_headers_replace (response, "Access-Control-Max-Age", "600");
      soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
      return;
    }

  if (g_str_equal (path, "/health"))
    {
      if (!get)
        goto bad_method;
      if (self->served == NULL)
        reply_not_ready (self, msg);
      else
        {
          static const char ok[] = "{\"status\":\"ok\"}";

          soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
          soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, ok, strlen (ok));
        }
      return;
    }
  if (g_str_equal (path, "/v1/models") || g_str_has_prefix (path, "/v1/models/"))
    {
      if (!get)
        goto bad_method;
      handle_models (self, msg, path);
      return;
    }
  if (g_str_equal (path, "/v1/chat/completions") || g_str_equal (path, "/v1/completions"))
    {
      if (!post)
        goto bad_method;
      handle_body (self, msg, g_str_equal (path, "/v1/chat/completions"));
      return;
    }
  if (g_str_equal (path, "/v1/embeddings"))
    {
      server_reply_error (msg, SOUP_STATUS_NOT_FOUND, "invalid_request_error", "unsupported_endpoint", NULL,
                          "Embeddings are not supported by this server");
      return;
    }
  server_reply_error (msg, SOUP_STATUS_NOT_FOUND, "invalid_request_error", "unknown_url", NULL,
                      "Unknown request URL: %s %s", method, path);
  return;

bad_method:
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                g_str_equal (path, "/v1/chat/completions") || g_str_equal (path, "/v1/completions")
                                ? "POST" : "GET, HEAD");
  server_reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "invalid_request_error", "method_not_allowed", NULL,
                      "%s is not allowed on %s", method, path);
}

static void
request_finished_cb (SoupServer        *soup G_GNUC_UNUSED,
                     SoupServerMessage *msg,
                     gpointer           user_data)
{
  BendiServer *self = user_data;
  guint status = soup_server_message_get_status (msg);

  g_mutex_lock (&self->lock);
  self->stats.n_requests++;
  if (status == SERVER_STATUS_TOO_MANY_REQUESTS)
    self->stats.n_rejected_busy++;
  g_mutex_unlock (&self->lock);
  /* Never the body: prompts stay private. */
  if (self->verbose)
    {
      GUri *uri = soup_server_message_get_uri (msg);

      g_message ("%s %s %u", soup_server_message_get_method (msg), uri != NULL ? g_uri_get_path (uri) : "-", status);
    }
}

/* ------------------------------------------------------------------------ */
/* The thread */

static gpointer
server_thread (gpointer data)
{
  BendiServer *self = data;
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (GError) error = NULL;
  const char *host = self->host != NULL && g_ascii_strcasecmp (self->host, "localhost") != 0 ? self->host : "127.0.0.1";
  GSList *listeners;

  g_main_context_push_thread_default (self->context);
  self->soup = soup_server_new ("server-header", "bendi/" BENDI_VERSION " ", NULL);
  soup_server_add_early_handler (self->soup, NULL, early_handler_cb, self, NULL);
  soup_server_add_handler (self->soup, NULL, handler_cb, self, NULL);
  g_signal_connect (self->soup, "request-finished", G_CALLBACK (request_finished_cb), self);
  g_signal_connect (self->soup, "request-aborted", G_CALLBACK (request_finished_cb), self);

  address = g_inet_socket_address_new_from_string (host, self->port);
  if (address == NULL)
    g_set_error (&error, BENDI_SERVER_ERROR, BENDI_SERVER_ERROR_LISTEN, "“%s” is not an IP address to listen on", host);
  else if (!soup_server_listen (self->soup, address, 0, &error))
    g_prefix_error (&error, "Cannot listen on %s port %u: ", host, self->port);

  listeners = error == NULL ? soup_server_get_listeners (self->soup) : NULL;
  g_mutex_lock (&self->lock);
  if (listeners != NULL)
    {
      g_autoptr (GSocketAddress) local = g_socket_get_local_address (listeners->data, NULL);

      if (local != NULL)
        self->bound_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
    }
  g_slist_free (listeners);
  self->start_error = g_steal_pointer (&error);
  self->start_done = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  if (self->start_error == NULL)
    g_main_loop_run (self->loop);

  soup_server_disconnect (self->soup);
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

static gboolean
stop_cb (gpointer data)
{
  BendiServer *self = data;

  self->stopping = TRUE;
  g_main_loop_quit (self->loop);
  return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------------------ */

static void
bendi_server_dispose (GObject *object)
{
  BendiServer *self = BENDI_SERVER (object);

  bendi_server_stop (self);
  G_OBJECT_CLASS (bendi_server_parent_class)->dispose (object);
}

static void
bendi_server_finalize (GObject *object)
{
  BendiServer *self = BENDI_SERVER (object);

  g_free (self->host);
  g_free (self->api_key);
  g_strfreev (self->allowed_hosts);
  g_free (self->cors_origin);
  g_free (self->model_id);
  g_free (self->slots);
  g_clear_error (&self->start_error);
  g_main_loop_unref (self->loop);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (bendi_server_parent_class)->finalize (object);
}

static void
bendi_server_class_init (BendiServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bendi_server_dispose;
  object_class->finalize = bendi_server_finalize;
}

static void
bendi_server_init (BendiServer *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->queue);
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
}

/* ------------------------------------------------------------------------ */
/* Public API */

void
bendi_server_options_init (BendiServerOptions *options)
{
  memset (options, 0, sizeof *options);
  options->port = BENDI_SERVER_DEFAULT_PORT;
}

BendiServer *
bendi_server_new (const BendiServerOptions *options,
                  GError                  **error)
{
  g_autoptr (BendiServer) self = NULL;
  const char *host = options->host != NULL ? options->host : "127.0.0.1";
  g_autoptr (GInetAddress) address = g_inet_address_new_from_string (host);
  gboolean loopback = g_ascii_strcasecmp (host, "localhost") == 0 ||
                      (address != NULL && g_inet_address_get_is_loopback (address));

  if (g_ascii_strcasecmp (host, "localhost") != 0 && address == NULL)
    {
      g_set_error (error, BENDI_SERVER_ERROR, BENDI_SERVER_ERROR_INVALID_CONFIG,
                   "“%s” is not an IP address: listen on an address such as 127.0.0.1 or 0.0.0.0", host);
      return NULL;
    }
  if (!loopback && options->api_key == NULL && !options->allow_public)
    {
      g_set_error (error, BENDI_SERVER_ERROR, BENDI_SERVER_ERROR_INVALID_CONFIG,
                   "Refusing to listen on %s, beyond this computer, without an API key: anyone on the network "
                   "could use the model. Set --api-key, or --public to do it anyway", host);
      return NULL;
    }
  if (options->cors_origin != NULL &&
      (g_str_equal (options->cors_origin, "*") || strchr (options->cors_origin, ',') != NULL ||
       strstr (options->cors_origin, "://") == NULL))
    {
      g_set_error (error, BENDI_SERVER_ERROR, BENDI_SERVER_ERROR_INVALID_CONFIG,
                   "--cors takes one origin such as https://app.example, never “*”");
      return NULL;
    }
  if (options->api_key != NULL && options->api_key[0] == '\0')
    {
      g_set_error (error, BENDI_SERVER_ERROR, BENDI_SERVER_ERROR_INVALID_CONFIG, "The API key is empty");
      return NULL;
    }
  if (options->n_ctx < 0 || options->max_ctx < 0 || options->n_threads < 0 || options->n_parallel > 64)
    {
      g_set_error (error, BENDI_SERVER_ERROR, BENDI_SERVER_ERROR_INVALID_CONFIG,
                   "The context size, threads and slots must be positive (at most 64 slots)");
      return NULL;
    }

  self = g_object_new (BENDI_TYPE_SERVER, NULL);
  self->host = g_strdup (host);
  self->port = options->port;
  self->n_ctx = options->n_ctx;
  self->max_ctx = options->max_ctx;
  self->n_parallel = options->n_parallel > 0 ? options->n_parallel : 1;
  self->max_queue = options->max_queue > 0 ? options->max_queue : 4 * self->n_parallel;
  self->n_threads = options->n_threads > 0 ? options->n_threads
                    : MAX (1, (int) g_get_num_processors () / (int) self->n_parallel);
  self->api_key = g_strdup (options->api_key);
  self->allowed_hosts = g_strdupv ((char **) options->allowed_hosts);
  self->cors_origin = g_strdup (options->cors_origin);
  self->allow_public = options->allow_public;
  self->max_body_bytes = options->max_body_bytes > 0 ? options->max_body_bytes : BENDI_SERVER_DEFAULT_MAX_BODY_BYTES;
  self->model_id = g_strdup (options->model_id);
  self->verbose = options->verbose;
  self->slots = g_new0 (Slot, self->n_parallel);
  for (guint i = 0; i < self->n_parallel; i++)
    self->slots[i].index = i;
  self->stats.n_slots = self->n_parallel;
  return g_steal_pointer (&self);
}

gboolean
bendi_server_start (BendiServer  *self,
                    GError      **error)
{
  g_return_val_if_fail (BENDI_IS_SERVER (self), FALSE);

  if (self->thread != NULL)
    {
      g_set_error (error, BENDI_SERVER_ERROR, BENDI_SERVER_ERROR_STATE, "The server is running already");
      return FALSE;
    }
  self->start_done = FALSE;
  self->stopping = FALSE;
  g_atomic_int_set (&self->cancel_loads, 0);
  g_clear_error (&self->start_error);
  self->thread = g_thread_new ("bendi-server", server_thread, self);
  g_mutex_lock (&self->lock);
  while (!self->start_done)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);
  if (self->start_error != NULL)
    {
      g_thread_join (g_steal_pointer (&self->thread));
      g_clear_object (&self->soup);
      g_propagate_error (error, g_steal_pointer (&self->start_error));
      return FALSE;
    }
  return TRUE;
}

void
bendi_server_stop (BendiServer *self)
{
  g_return_if_fail (BENDI_IS_SERVER (self));
  /* The thread cannot join itself. */
  g_return_if_fail (self->thread == NULL || self->thread != g_thread_self ());

  if (self->thread != NULL)
    {
      g_main_context_invoke (self->context, stop_cb, self);
      g_thread_join (g_steal_pointer (&self->thread));
    }

  /* Loads in flight give up, and report to the context drained below. */
  g_atomic_int_set (&self->cancel_loads, 1);
  g_mutex_lock (&self->lock);
  while (self->n_loaders > 0)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);

  /* The loop is over: what is left runs here, with the context ours. */
  g_main_context_push_thread_default (self->context);
  self->stopping = TRUE;
  install_model (self, NULL, NULL);
  while (g_main_context_iteration (self->context, FALSE))
    ;
  for (guint i = 0; i < self->n_parallel; i++)
    g_clear_pointer (&self->slots[i].session, bendi_session_free);
  g_clear_pointer (&self->served, served_model_free);
  g_clear_object (&self->soup);
  while (g_main_context_iteration (self->context, FALSE))
    ;
  g_main_context_pop_thread_default (self->context);
}

guint16
bendi_server_get_port (BendiServer *self)
{
  guint16 port;

  g_mutex_lock (&self->lock);
  port = self->bound_port;
  g_mutex_unlock (&self->lock);
  return port;
}

typedef struct {
  BendiServer *server;
  BendiModel  *model;
  char        *path;
} InstallData;

static gboolean
install_cb (gpointer data)
{
  InstallData *install = data;

  if (!install->server->stopping)
    install_model (install->server, install->model, install->path);
  return G_SOURCE_REMOVE;
}

static void
install_data_free (gpointer data)
{
  InstallData *install = data;

  g_clear_pointer (&install->model, bendi_model_unref);
  g_free (install->path);
  g_free (install);
}

void
bendi_server_set_model (BendiServer *self,
                        BendiModel  *model)
{
  InstallData *install = g_new0 (InstallData, 1);

  /* No reference on the server, as for LoadData: stop runs or drops it. */
  install->server = self;
  install->model = bendi_model_ref (model);
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, install_cb, install, install_data_free);
}

static gboolean
loaded_cb (gpointer data)
{
  LoadData *load = data;
  BendiServer *self = load->server;

  self->loading = FALSE;
  if (load->model != NULL && !self->stopping && !g_atomic_int_get (&self->cancel_loads))
    install_model (self, load->model, load->path);
  else if (load->error == NULL)
    g_set_error (&load->error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_CANCELLED,
                 "The server stopped before the model was served");
  if (load->callback != NULL)
    load->callback (self, load->error, load->user_data);
  return G_SOURCE_REMOVE;
}

static void
load_data_free (gpointer data)
{
  LoadData *load = data;

  g_clear_pointer (&load->model, bendi_model_unref);
  g_clear_error (&load->error);
  g_free (load->path);
  g_free (load);
}

static gboolean
load_progress (double   fraction G_GNUC_UNUSED,
               gpointer user_data)
{
  BendiServer *self = user_data;

  return !g_atomic_int_get (&self->cancel_loads);
}

static gpointer
load_thread (gpointer data)
{
  LoadData *load = data;
  BendiServer *self = load->server;

  load->model = bendi_model_load (load->path, NULL, load_progress, self, &load->error);
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, loaded_cb, load, load_data_free);
  g_mutex_lock (&self->lock);
  self->n_loaders--;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  return NULL;
}

static gboolean
loading_cb (gpointer data)
{
  BendiServer *self = data;

  self->loading = TRUE;
  return G_SOURCE_REMOVE;
}

void
bendi_server_load_model (BendiServer          *self,
                         const char           *path,
                         BendiServerLoadedFunc callback,
                         gpointer              user_data)
{
  LoadData *load = g_new0 (LoadData, 1);

  load->server = self;
  load->path = g_strdup (path);
  load->callback = callback;
  load->user_data = user_data;
  g_main_context_invoke_full (self->context, G_PRIORITY_HIGH, loading_cb, self, NULL);
  g_mutex_lock (&self->lock);
  self->n_loaders++;
  g_mutex_unlock (&self->lock);
  g_thread_unref (g_thread_new ("bendi-server-load", load_thread, load));
}

void
bendi_server_get_stats (BendiServer      *self,
                        BendiServerStats *stats)
{
  g_mutex_lock (&self->lock);
  *stats = self->stats;
  g_mutex_unlock (&self->lock);
}
