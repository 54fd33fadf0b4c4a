/* SPDX-License-Identifier: MIT */
/* The API server's test helpers: a raw HTTP/1.1 client (so tests control every header) and a server on stories260K. */
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "sse.h"
#include "test-server-util.h"
#include "test-util.h"

void
test_response_free (TestResponse *response)
{
  if (response == NULL)
    return;
  g_free (response->head);
  g_string_free (response->body, TRUE);
  g_free (response);
}

char *
test_response_header (TestResponse *response,
                      const char   *name)
{
  g_auto (GStrv) lines = g_strsplit (response->head, "\r\n", -1);

  for (guint i = 1; lines[i] != NULL; i++)
    {
      const char *colon = strchr (lines[i], ':');

      if (colon != NULL && (gsize) (colon - lines[i]) == strlen (name) &&
          g_ascii_strncasecmp (lines[i], name, strlen (name)) == 0)
        return g_strstrip (g_strdup (colon + 1));
    }
  return NULL;
}

/* Undoes chunked transfer encoding. */
static GString *
dechunk (const char *data,
         gsize       len)
{
  GString *out = g_string_new (NULL);
  gsize i = 0;

  while (i < len)
    {
      char *end = NULL;
      guint64 size = g_ascii_strtoull (data + i, &end, 16);
      const char *line_end = g_strstr_len (data + i, (gssize) (len - i), "\r\n");

      if (line_end == NULL || end == data + i)
        break;
      i = (gsize) (line_end - data) + 2;
      if (size == 0 || i + size > len)
        break;
      g_string_append_len (out, data + i, (gssize) size);
      i += size + 2;
    }
  return out;
}

TestResponse *
test_http_raw (guint16     port,
               const char *request,
               gsize       len)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) connection = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) received = g_byte_array_new ();
  TestResponse *response = g_new0 (TestResponse, 1);
  GInputStream *input;
  const char *data, *split;
  char buffer[16384];
  gssize n;

  /* straight to the loopback server, whatever proxy the environment names */
  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_set_timeout (client, 60);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), request, len, NULL, NULL,
                             NULL);
  input = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  while ((n = g_input_stream_read (input, buffer, sizeof buffer, NULL, NULL)) > 0)
    g_byte_array_append (received, (guint8 *) buffer, (guint) n);
  g_byte_array_append (received, (const guint8 *) "", 1);

  data = (const char *) received->data;
  split = strstr (data, "\r\n\r\n");
  response->body = g_string_new (NULL);
  if (split == NULL)
    {
      response->head = g_strdup (data);
      return response;
    }
  response->head = g_strndup (data, (gsize) (split - data));
  if (g_str_has_prefix (data, "HTTP/1."))
    response->status = (guint) g_ascii_strtoull (data + 9, NULL, 10);
  {
    g_autofree char *encoding = test_response_header (response, "Transfer-Encoding");
    const char *body = split + 4;
    gsize body_len = received->len - 1 - (gsize) (body - data);

    if (encoding != NULL && g_ascii_strcasecmp (encoding, "chunked") == 0)
      {
        g_string_free (response->body, TRUE);
        response->body = dechunk (body, body_len);
      }
    else
      g_string_append_len (response->body, body, (gssize) body_len);
  }
  return response;
}

TestResponse *
test_http (guint16            port,
           const char        *method,
           const char        *path,
           const char        *body,
           const char *const *headers)
{
  g_autoptr (GString) request = g_string_new (NULL);

  g_string_append_printf (request, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n", method, path, port);
  for (guint i = 0; headers != NULL && headers[i] != NULL; i++)
    g_string_append_printf (request, "%s\r\n", headers[i]);
  if (body != NULL)
    g_string_append_printf (request, "Content-Type: application/json\r\nContent-Length: %" G_GSIZE_FORMAT "\r\n",
                            strlen (body));
  g_string_append (request, "\r\n");
  if (body != NULL)
    g_string_append (request, body);
  return test_http_raw (port, request->str, request->len);
}

static void
collect_event (const char *event G_GNUC_UNUSED,
               const char *data,
               gsize       data_len,
               const char *id G_GNUC_UNUSED,
               gpointer    user_data)
{
  g_ptr_array_add (user_data, g_strndup (data, data_len));
}

GPtrArray *
test_sse_events (const GString *body)
{
  GPtrArray *events = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (BendiSseParser) parser = bendi_sse_parser_new (0, collect_event, events);
  g_autoptr (GError) error = NULL;

  g_assert_true (bendi_sse_parser_feed (parser, body->str, body->len, &error));
  g_assert_no_error (error);
  return events;
}

static void
loaded (BendiServer  *server G_GNUC_UNUSED,
        const GError *error,
        gpointer      user_data)
{
  g_assert_no_error (error);
  g_atomic_int_set ((gint *) user_data, 1);
}

BendiServer *
test_server_start (BendiServerOptions *options)
{
  g_autofree char *model = bendi_test_data_path ("models/stories260K.gguf");
  g_autoptr (GError) error = NULL;
  BendiServerOptions defaults;
  BendiServer *server;
  gint done = 0;

  if (model == NULL)
    return NULL;
  if (options == NULL)
    {
      bendi_server_options_init (&defaults);
      options = &defaults;
    }
  options->port = 0;
  if (options->n_threads == 0)
    options->n_threads = 1;
  server = bendi_server_new (options, &error);
  g_assert_no_error (error);
  g_assert_true (bendi_server_start (server, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (bendi_server_get_port (server), >, 0);
  bendi_server_load_model (server, model, loaded, &done);
  while (!g_atomic_int_get (&done))
    g_usleep (1000);
  return server;
}

JsonNode *
test_parse_json (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  if (!json_parser_load_from_data (parser, text, -1, &error))
    g_error ("not JSON (%s): %s", error->message, text);
  return json_node_copy (json_parser_get_root (parser));
}
