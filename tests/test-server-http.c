/* SPDX-License-Identifier: MIT */
/* The API server over HTTP with stories260K: shapes of replies and streams, greedy parity with bendi-cli, errors, security, load, disconnects. */
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "gguf/gguf-writer.h"
#include "test-model-util.h"
#include "test-server-util.h"
#include "test-util.h"

#define CHAT_BODY(extra) \
  "{\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],\"max_tokens\":24,\"temperature\":0" extra "}"

static guint16
port_of (BendiServer *server)
{
  return bendi_server_get_port (server);
}

/* The error object of an OpenAI-shaped error reply, checked for shape. */
static JsonObject *
error_object (TestResponse *r,
              JsonNode    **root)
{
  JsonObject *error;

  *root = test_parse_json (r->body->str);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (*root));
  error = json_object_get_object_member (json_node_get_object (*root), "error");
  g_assert_nonnull (error);
  g_assert_nonnull (json_object_get_string_member (error, "message"));
  g_assert_nonnull (json_object_get_string_member (error, "type"));
  g_assert_true (json_object_has_member (error, "code"));
  g_assert_true (json_object_has_member (error, "param"));
  return error;
}

static void
assert_error (BendiServer *server,
              const char  *body,
              guint        status,
              const char  *param)
{
  g_autoptr (TestResponse) r = test_http (port_of (server), "POST", "/v1/chat/completions", body, NULL);
  g_autoptr (JsonNode) root = NULL;
  JsonObject *error;

  if (r->status != status)
    g_error ("%s: expected %u, got %u: %s", body, status, r->status, r->body->str);
  error = error_object (r, &root);
  if (param != NULL)
    g_assert_cmpstr (json_object_get_string_member (error, "param"), ==, param);
}

static void
assert_no_wildcard_cors (TestResponse *r)
{
  g_autofree char *allow = test_response_header (r, "Access-Control-Allow-Origin");

  g_assert_true (allow == NULL || !g_str_equal (allow, "*"));
}

/* ------------------------------------------------------------------------ */

static void
test_models (void)
{
  g_autoptr (BendiServer) server = test_server_start (NULL);
  g_autoptr (TestResponse) r = NULL;
  g_autoptr (TestResponse) one = NULL;
  g_autoptr (TestResponse) health = NULL;
  g_autoptr (JsonNode) root = NULL;
  JsonArray *data;
  JsonObject *model;

  if (server == NULL)
    return;
  health = test_http (port_of (server), "GET", "/health", NULL, NULL);
  g_assert_cmpuint (health->status, ==, 200);
  r = test_http (port_of (server), "GET", "/v1/models", NULL, NULL);
  g_assert_cmpuint (r->status, ==, 200);
  root = test_parse_json (r->body->str);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (root), "object"), ==, "list");
  data = json_object_get_array_member (json_node_get_object (root), "data");
  g_assert_cmpuint (json_array_get_length (data), ==, 1);
  model = json_array_get_object_element (data, 0);
  g_assert_cmpstr (json_object_get_string_member (model, "id"), ==, "stories260K");
  g_assert_cmpstr (json_object_get_string_member (model, "object"), ==, "model");
  g_assert_cmpint (json_object_get_int_member (model, "created"), >, 0);
  g_assert_nonnull (json_object_get_string_member (model, "owned_by"));
  one = test_http (port_of (server), "GET", "/v1/models/stories260K", NULL, NULL);
  g_assert_cmpuint (one->status, ==, 200);
  assert_no_wildcard_cors (r);
}

/* Before a model is set: 503 in OpenAI's shape, for health and work. */
static void
test_no_model (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiServer) server = NULL;
  g_autoptr (TestResponse) health = NULL;
  g_autoptr (TestResponse) chat = NULL;
  g_autoptr (JsonNode) root = NULL;
  BendiServerOptions options;

  bendi_server_options_init (&options);
  options.port = 0;
  server = bendi_server_new (&options, &error);
  g_assert_no_error (error);
  g_assert_true (bendi_server_start (server, &error));
  health = test_http (port_of (server), "GET", "/health", NULL, NULL);
  g_assert_cmpuint (health->status, ==, 503);
  chat = test_http (port_of (server), "POST", "/v1/chat/completions", CHAT_BODY (""), NULL);
  g_assert_cmpuint (chat->status, ==, 503);
  error_object (chat, &root);
  bendi_server_stop (server);
  bendi_server_stop (server);
  g_assert_finalize_object (g_steal_pointer (&server));
}

static void
test_chat_plain (void)
{
  g_autoptr (BendiServer) server = test_server_start (NULL);
  g_autoptr (TestResponse) r = NULL;
  g_autoptr (JsonNode) root = NULL;
  JsonObject *object, *choice, *message, *usage;

  if (server == NULL)
    return;
  r = test_http (port_of (server), "POST", "/v1/chat/completions", CHAT_BODY (",\"model\":\"stories260K\""), NULL);
  g_assert_cmpuint (r->status, ==, 200);
  root = test_parse_json (r->body->str);
  object = json_node_get_object (root);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (object, "id"), "chatcmpl-"));
  g_assert_cmpstr (json_object_get_string_member (object, "object"), ==, "chat.completion");
  g_assert_cmpstr (json_object_get_string_member (object, "model"), ==, "stories260K");
  g_assert_cmpint (json_object_get_int_member (object, "created"), >, 1600000000);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "choices")), ==, 1);
  choice = json_array_get_object_element (json_object_get_array_member (object, "choices"), 0);
  g_assert_cmpint (json_object_get_int_member (choice, "index"), ==, 0);
  g_assert_cmpstr (json_object_get_string_member (choice, "finish_reason"), ==, "length");
  message = json_object_get_object_member (choice, "message");
  g_assert_cmpstr (json_object_get_string_member (message, "role"), ==, "assistant");
  g_assert_cmpuint (strlen (json_object_get_string_member (message, "content")), >, 0);
  usage = json_object_get_object_member (object, "usage");
  g_assert_cmpint (json_object_get_int_member (usage, "completion_tokens"), ==, 24);
  g_assert_cmpint (json_object_get_int_member (usage, "prompt_tokens"), >, 5);
  g_assert_cmpint (json_object_get_int_member (usage, "total_tokens"), ==,
                   json_object_get_int_member (usage, "prompt_tokens") + 24);
}

/* The streamed chunks add up to the plain reply; framing as OpenAI's. */
static void
test_chat_stream (void)
{
  g_autoptr (BendiServer) server = test_server_start (NULL);
  g_autoptr (TestResponse) plain = NULL;
  g_autoptr (TestResponse) r = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GString) content = g_string_new (NULL);
  g_autoptr (JsonNode) plain_root = NULL;
  g_autofree char *type = NULL;
  const char *id = NULL;
  JsonObject *usage = NULL;
  guint n_finish = 0;

  if (server == NULL)
    return;
  plain = test_http (port_of (server), "POST", "/v1/chat/completions", CHAT_BODY (""), NULL);
  g_assert_cmpuint (plain->status, ==, 200);
  plain_root = test_parse_json (plain->body->str);
  r = test_http (port_of (server), "POST", "/v1/chat/completions",
                 CHAT_BODY (",\"stream\":true,\"stream_options\":{\"include_usage\":true}"), NULL);
  g_assert_cmpuint (r->status, ==, 200);
  type = test_response_header (r, "Content-Type");
  g_assert_true (g_str_has_prefix (type, "text/event-stream"));
  /* every event is "data: …" and a blank line */
  g_assert_true (g_str_has_prefix (r->body->str, "data: "));
  g_assert_true (g_str_has_suffix (r->body->str, "data: [DONE]\n\n"));

  events = test_sse_events (r->body);
  g_assert_cmpuint (events->len, >=, 4);
  g_assert_cmpstr (g_ptr_array_index (events, events->len - 1), ==, "[DONE]");
  for (guint i = 0; i + 1 < events->len; i++)
    {
      g_autoptr (JsonNode) root = test_parse_json (g_ptr_array_index (events, i));
      JsonObject *chunk = json_node_get_object (root);
      JsonArray *choices = json_object_get_array_member (chunk, "choices");

      g_assert_cmpstr (json_object_get_string_member (chunk, "object"), ==, "chat.completion.chunk");
      if (id == NULL)
        id = g_intern_string (json_object_get_string_member (chunk, "id"));
      g_assert_cmpstr (json_object_get_string_member (chunk, "id"), ==, id);
      g_assert_true (json_object_has_member (chunk, "usage"));
      if (json_array_get_length (choices) == 0)
        {
          /* the usage chunk comes last, after the finish */
          g_assert_cmpuint (i, ==, events->len - 2);
          usage = json_object_ref (json_object_get_object_member (chunk, "usage"));
          continue;
        }
      g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (chunk, "usage")));
      {
        JsonObject *choice = json_array_get_object_element (choices, 0);
        JsonObject *delta = json_object_get_object_member (choice, "delta");

        g_assert_nonnull (delta);
        if (i == 0)
          g_assert_cmpstr (json_object_get_string_member (delta, "role"), ==, "assistant");
        else
          g_assert_false (json_object_has_member (delta, "role"));
        if (json_object_has_member (delta, "content"))
          g_string_append (content, json_object_get_string_member (delta, "content"));
        if (!JSON_NODE_HOLDS_NULL (json_object_get_member (choice, "finish_reason")))
          {
            g_assert_cmpstr (json_object_get_string_member (choice, "finish_reason"), ==, "length");
            n_finish++;
          }
      }
    }
  g_assert_cmpuint (n_finish, ==, 1);
  g_assert_nonnull (usage);
  g_assert_cmpint (json_object_get_int_member (usage, "completion_tokens"), ==, 24);
  json_object_unref (usage);
  {
    JsonObject *choice = json_array_get_object_element (
      json_object_get_array_member (json_node_get_object (plain_root), "choices"), 0);

    g_assert_cmpstr (content->str, ==,
                     json_object_get_string_member (json_object_get_object_member (choice, "message"), "content"));
  }
}

/* Greedy decoding gives what bendi-cli generate gives for the same prompt:
 * /v1/completions with the plain prompt, and chat with the prompt ChatML
 * renders (the model has no template of its own). */
static char *
run_generate (const char *model,
              const char *prompt)
{
  const char *cli = bendi_test_cli_path ();
  g_autoptr (GError) error = NULL;
  char *out = NULL;
  int status = 0;
  const char *argv[] = { cli, "generate", "-m", model, "-p", prompt, "--temp", "0", "-n", "20", "-t", "1", NULL };

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, &status,
                               &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return out;
}

static void
test_greedy_matches_cli (void)
{
  g_autofree char *model = bendi_test_data_path ("models/stories260K.gguf");
  g_autoptr (BendiServer) server = NULL;
  g_autoptr (TestResponse) completion = NULL;
  g_autoptr (TestResponse) chat = NULL;
  g_autoptr (JsonNode) completion_root = NULL;
  g_autoptr (JsonNode) chat_root = NULL;
  g_autofree char *cli_text = NULL;
  g_autofree char *cli_chat = NULL;
  JsonObject *choice;

  if (model == NULL || bendi_test_cli_path () == NULL)
    return;
  server = test_server_start (NULL);
  completion = test_http (port_of (server), "POST", "/v1/completions",
                          "{\"prompt\":\"Once upon a time\",\"max_tokens\":20,\"temperature\":0}", NULL);
  g_assert_cmpuint (completion->status, ==, 200);
  completion_root = test_parse_json (completion->body->str);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (completion_root), "object"), ==,
                   "text_completion");
  choice = json_array_get_object_element (json_object_get_array_member (json_node_get_object (completion_root),
                                                                        "choices"), 0);
  cli_text = run_generate (model, "Once upon a time");
  g_assert_cmpuint (strlen (cli_text), >, 0);
  g_assert_cmpstr (json_object_get_string_member (choice, "text"), ==, cli_text);

  chat = test_http (port_of (server), "POST", "/v1/chat/completions",
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"Lily and Ben\"}],\"max_tokens\":20,\"temperature\":0}",
                    NULL);
  g_assert_cmpuint (chat->status, ==, 200);
  chat_root = test_parse_json (chat->body->str);
  choice = json_array_get_object_element (json_object_get_array_member (json_node_get_object (chat_root), "choices"),
                                          0);
  cli_chat = run_generate (model, "<|im_start|>user\nLily and Ben<|im_end|>\n<|im_start|>assistant\n");
  g_assert_cmpuint (strlen (cli_chat), >, 0);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (choice, "message"), "content"), ==,
                   cli_chat);
}

static void
test_bad_requests (void)
{
  g_autoptr (BendiServer) server = test_server_start (NULL);
  g_autofree char *deep = NULL;
  g_autoptr (GString) nested = g_string_new ("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"x\":");

  if (server == NULL)
    return;
  assert_error (server, "{\"messages\":", 400, NULL);
  assert_error (server, "[1,2]", 400, NULL);
  assert_error (server, "", 400, NULL);
  assert_error (server, "{\"messages\":\"hello\"}", 400, "messages");
  assert_error (server, "{\"messages\":[]}", 400, "messages");
  assert_error (server, "{}", 400, "messages");
  assert_error (server, "{\"messages\":[{\"role\":\"wizard\",\"content\":\"hi\"}]}", 400, "messages[0]");
  assert_error (server, "{\"messages\":[{\"role\":\"user\",\"content\":42}]}", 400, "messages[0].content");
  assert_error (server, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\"}]}]}", 400,
                "messages[0].content");
  assert_error (server, CHAT_BODY (",\"temperature\":\"hot\""), 400, "temperature");
  assert_error (server, CHAT_BODY (",\"temperature\":-1"), 400, "temperature");
  assert_error (server, CHAT_BODY (",\"temperature\":1e999"), 400, "temperature");
  assert_error (server, CHAT_BODY (",\"temperature\":NaN"), 400, NULL);
  assert_error (server, CHAT_BODY (",\"top_p\":0"), 400, "top_p");
  assert_error (server, CHAT_BODY (",\"top_p\":1.5"), 400, "top_p");
  assert_error (server, CHAT_BODY (",\"min_p\":-0.1"), 400, "min_p");
  assert_error (server, CHAT_BODY (",\"top_k\":-3"), 400, "top_k");
  assert_error (server, CHAT_BODY (",\"top_k\":1e300"), 400, "top_k");
  assert_error (server, CHAT_BODY (",\"top_k\":2.5"), 400, "top_k");
  assert_error (server, CHAT_BODY (",\"presence_penalty\":3"), 400, "presence_penalty");
  assert_error (server, CHAT_BODY (",\"frequency_penalty\":-100"), 400, "frequency_penalty");
  assert_error (server, CHAT_BODY (",\"seed\":-5"), 400, "seed");
  assert_error (server, CHAT_BODY (",\"max_tokens\":0"), 400, "max_tokens");
  assert_error (server, CHAT_BODY (",\"max_completion_tokens\":-1"), 400, "max_completion_tokens");
  assert_error (server, CHAT_BODY (",\"n\":2"), 400, "n");
  assert_error (server, CHAT_BODY (",\"stream\":\"yes\""), 400, "stream");
  assert_error (server, CHAT_BODY (",\"stop\":[1]"), 400, "stop");
  assert_error (server, CHAT_BODY (",\"stream_options\":{\"include_usage\":1}"), 400, "stream_options.include_usage");
  assert_error (server, CHAT_BODY (",\"response_format\":{\"type\":\"xml\"}"), 400, "response_format.type");
  assert_error (server, CHAT_BODY (",\"response_format\":{\"type\":\"json_schema\"}"), 400,
                "response_format.json_schema.schema");
  assert_error (server, CHAT_BODY (",\"tools\":[{\"type\":\"function\"}]"), 400, "tools");
  assert_error (server, CHAT_BODY (",\"tool_choice\":\"sometimes\""), 400, "tool_choice");
  assert_error (server, CHAT_BODY (",\"logprobs\":true"), 400, "logprobs");
  assert_error (server, CHAT_BODY (",\"n_ctx\":1000000000"), 400, "n_ctx");
  assert_error (server, CHAT_BODY (",\"model\":\"gpt-4o\""), 404, "model");
  assert_error (server, CHAT_BODY (",\"model\":7"), 400, "model");
  /* a prompt longer than the context asked for is refused, not cut */
  assert_error (server,
                "{\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time there was a little girl named Lily "
                "who liked to play in the park with her dog\"}],\"n_ctx\":16}", 400, "messages");

  /* JSON nested deeper than 64 levels is refused before parsing */
  for (int i = 0; i < 100; i++)
    g_string_append_c (nested, '[');
  for (int i = 0; i < 100; i++)
    g_string_append_c (nested, ']');
  g_string_append_c (nested, '}');
  assert_error (server, nested->str, 400, NULL);
  deep = g_strnfill (100000, '[');
  assert_error (server, deep, 400, NULL);

  {
    g_autoptr (TestResponse) unknown = test_http (port_of (server), "GET", "/v1/nothing", NULL, NULL);
    g_autoptr (TestResponse) embeddings = test_http (port_of (server), "POST", "/v1/embeddings", "{}", NULL);
    g_autoptr (TestResponse) method = test_http (port_of (server), "GET", "/v1/chat/completions", NULL, NULL);
    g_autoptr (TestResponse) model = test_http (port_of (server), "GET", "/v1/models/gpt-4o", NULL, NULL);
    g_autoptr (JsonNode) r1 = NULL;
    g_autoptr (JsonNode) r2 = NULL;

    g_assert_cmpuint (unknown->status, ==, 404);
    error_object (unknown, &r1);
    g_assert_cmpuint (embeddings->status, ==, 404);
    error_object (embeddings, &r2);
    g_assert_cmpuint (method->status, ==, 405);
    g_assert_cmpuint (model->status, ==, 404);
  }
}

/* A body over the limit is refused from its Content-Length: the answer
 * comes although the body is never sent. */
static void
test_body_limit (void)
{
  BendiServerOptions options;
  g_autoptr (BendiServer) server = NULL;
  g_autoptr (TestResponse) big = NULL;
  g_autoptr (TestResponse) chunked = NULL;
  g_autoptr (TestResponse) small_limit = NULL;
  g_autoptr (GString) body = g_string_new (CHAT_BODY (",\"pad\":\""));
  g_autofree char *request = NULL;

  bendi_server_options_init (&options);
  options.max_body_bytes = 4096;
  server = test_server_start (&options);
  if (server == NULL)
    return;
  request = g_strdup_printf ("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json"
                             "\r\nContent-Length: %d\r\n\r\n", 100 * 1024 * 1024);
  big = test_http_raw (port_of (server), request, strlen (request));
  g_assert_cmpuint (big->status, ==, 413);
  chunked = test_http_raw (port_of (server),
                           "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n",
                           strlen ("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n"
                                   "Transfer-Encoding: chunked\r\n\r\n"));
  g_assert_cmpuint (chunked->status, ==, 411);
  while (body->len < 5000)
    g_string_append_c (body, 'x');
  g_string_append (body, "\"}");
  small_limit = test_http (port_of (server), "POST", "/v1/chat/completions", body->str, NULL);
  g_assert_cmpuint (small_limit->status, ==, 413);
  {
    g_autoptr (TestResponse) alive = test_http (port_of (server), "GET", "/health", NULL, NULL);

    g_assert_cmpuint (alive->status, ==, 200);
  }
}

static guint
status_of_raw (guint16     port,
               const char *request)
{
  g_autoptr (TestResponse) r = test_http_raw (port, request, strlen (request));

  assert_no_wildcard_cors (r);
  return r->status;
}

/* DNS rebinding: only loopback names (and configured ones) in Host. */
static void
test_host_header (void)
{
  g_autoptr (BendiServer) server = test_server_start (NULL);
  g_autofree char *empty = NULL;
  g_autofree char *loopback = NULL;
  guint16 port;

  if (server == NULL)
    return;
  port = port_of (server);
  empty = g_strdup_printf ("GET /v1/models HTTP/1.1\r\nHost: :%u\r\nConnection: close\r\n\r\n", port);
  loopback = g_strdup_printf ("GET /v1/models HTTP/1.1\r\nHost: localhost:%u\r\nConnection: close\r\n\r\n", port);
  g_assert_cmpuint (status_of_raw (port, loopback), ==, 200);
  g_assert_cmpuint (status_of_raw (port, "GET /v1/models HTTP/1.1\r\nHost: [::1]\r\nConnection: close\r\n\r\n"), ==, 200);
  g_assert_cmpuint (status_of_raw (port, "GET /v1/models HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"),
                    ==, 403);
  g_assert_cmpuint (status_of_raw (port, "GET /v1/models HTTP/1.1\r\nHost: evil.example:80\r\nConnection: close\r\n\r\n"),
                    ==, 403);
  g_assert_cmpuint (status_of_raw (port, empty), ==, 400);
  g_assert_cmpuint (status_of_raw (port, "GET /v1/models HTTP/1.1\r\nConnection: close\r\n\r\n"), ==, 400);
  g_assert_cmpuint (status_of_raw (port, "GET /v1/models HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\n"
                                         "Connection: close\r\n\r\n"), ==, 400);
  g_assert_cmpuint (status_of_raw (port, "GET /v1/models HTTP/1.1\r\nHost: localhost\r\nHost: localhost\r\n"
                                         "Connection: close\r\n\r\n"), ==, 400);
  g_assert_cmpuint (status_of_raw (port, "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1.evil.example\r\n"
                                         "Connection: close\r\n\r\n"), ==, 403);
  /* a POST with a body from a foreign host is refused before its body */
  g_assert_cmpuint (status_of_raw (port, "POST /v1/chat/completions HTTP/1.1\r\nHost: evil.example\r\n"
                                         "Content-Length: 1000000\r\n\r\n"), ==, 403);
}

static void
test_origin (void)
{
  g_autoptr (BendiServer) server = test_server_start (NULL);
  const char *foreign[] = { "Origin: http://evil.example", NULL };

  if (server == NULL)
    return;
  {
    g_autoptr (TestResponse) r = test_http (port_of (server), "GET", "/v1/models", NULL, foreign);
    g_autoptr (TestResponse) chat = test_http (port_of (server), "POST", "/v1/chat/completions", CHAT_BODY (""),
                                               foreign);
    g_autoptr (TestResponse) preflight = test_http (port_of (server), "OPTIONS", "/v1/chat/completions", NULL,
                                                    foreign);
    g_autofree char *allow = test_response_header (r, "Access-Control-Allow-Origin");

    g_assert_cmpuint (r->status, ==, 403);
    g_assert_cmpuint (chat->status, ==, 403);
    g_assert_cmpuint (preflight->status, ==, 403);
    g_assert_null (allow);
  }
}

static void
test_cors (void)
{
  BendiServerOptions options;
  g_autoptr (BendiServer) server = NULL;
  const char *allowed[] = { "Origin: https://app.example", NULL };
  const char *other[] = { "Origin: https://other.example", NULL };

  bendi_server_options_init (&options);
  options.cors_origin = "https://app.example";
  server = test_server_start (&options);
  if (server == NULL)
    return;
  {
    g_autoptr (TestResponse) r = test_http (port_of (server), "GET", "/v1/models", NULL, allowed);
    g_autoptr (TestResponse) preflight = test_http (port_of (server), "OPTIONS", "/v1/chat/completions", NULL, allowed);
    g_autoptr (TestResponse) refused = test_http (port_of (server), "GET", "/v1/models", NULL, other);
    g_autoptr (TestResponse) plain = test_http (port_of (server), "GET", "/v1/models", NULL, NULL);
    g_autofree char *allow = test_response_header (r, "Access-Control-Allow-Origin");
    g_autofree char *allow_preflight = test_response_header (preflight, "Access-Control-Allow-Origin");
    g_autofree char *methods = test_response_header (preflight, "Access-Control-Allow-Methods");
    g_autofree char *allow_plain = test_response_header (plain, "Access-Control-Allow-Origin");

    g_assert_cmpuint (r->status, ==, 200);
    g_assert_cmpstr (allow, ==, "https://app.example");
    g_assert_cmpuint (preflight->status, ==, 204);
    g_assert_cmpstr (allow_preflight, ==, "https://app.example");
    g_assert_nonnull (methods);
    g_assert_cmpuint (refused->status, ==, 403);
    g_assert_null (allow_plain);
  }
}

static void
test_unsafe_config (void)
{
  BendiServerOptions options;
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiServer) server = NULL;

  bendi_server_options_init (&options);
  options.host = "0.0.0.0";
  server = bendi_server_new (&options, &error);
  g_assert_error (error, BENDI_SERVER_ERROR, BENDI_SERVER_ERROR_INVALID_CONFIG);
  g_assert_null (server);
  g_clear_error (&error);

  bendi_server_options_init (&options);
  options.cors_origin = "*";
  server = bendi_server_new (&options, &error);
  g_assert_error (error, BENDI_SERVER_ERROR, BENDI_SERVER_ERROR_INVALID_CONFIG);
  g_clear_error (&error);

  bendi_server_options_init (&options);
  options.host = "my.host.example";
  server = bendi_server_new (&options, &error);
  g_assert_error (error, BENDI_SERVER_ERROR, BENDI_SERVER_ERROR_INVALID_CONFIG);
  g_clear_error (&error);

  /* beyond loopback with a key, or when forced: allowed (not started) */
  bendi_server_options_init (&options);
  options.host = "0.0.0.0";
  options.api_key = "secret";
  server = bendi_server_new (&options, &error);
  g_assert_no_error (error);
  g_clear_object (&server);
  options.api_key = NULL;
  options.allow_public = TRUE;
  server = bendi_server_new (&options, &error);
  g_assert_no_error (error);
}

static void
test_api_key (void)
{
  BendiServerOptions options;
  g_autoptr (BendiServer) server = NULL;
  const char *wrong[] = { "Authorization: Bearer nope", NULL };
  const char *longer[] = { "Authorization: Bearer s3cret-key-and-more", NULL };
  const char *right[] = { "Authorization: Bearer s3cret-key", NULL };

  bendi_server_options_init (&options);
  options.api_key = "s3cret-key";
  server = test_server_start (&options);
  if (server == NULL)
    return;
  {
    g_autoptr (TestResponse) missing = test_http (port_of (server), "GET", "/v1/models", NULL, NULL);
    g_autoptr (TestResponse) bad = test_http (port_of (server), "POST", "/v1/chat/completions", CHAT_BODY (""), wrong);
    g_autoptr (TestResponse) prefix = test_http (port_of (server), "GET", "/v1/models", NULL, longer);
    g_autoptr (TestResponse) good = test_http (port_of (server), "POST", "/v1/chat/completions", CHAT_BODY (""), right);
    g_autoptr (TestResponse) health = test_http (port_of (server), "GET", "/health", NULL, NULL);
    g_autoptr (JsonNode) root = NULL;
    JsonObject *error;

    g_assert_cmpuint (missing->status, ==, 401);
    error = error_object (missing, &root);
    g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, "invalid_api_key");
    g_assert_cmpuint (bad->status, ==, 401);
    g_assert_cmpuint (prefix->status, ==, 401);
    g_assert_cmpuint (good->status, ==, 200);
    g_assert_cmpuint (health->status, ==, 200);
  }
}

/* response_format: the output is JSON of the schema, by construction. */
static void
test_json_schema (void)
{
  g_autoptr (BendiServer) server = test_server_start (NULL);
  static const char body[] =
    "{\"messages\":[{\"role\":\"user\",\"content\":\"Answer in JSON\"}],\"max_tokens\":400,\"temperature\":1,"
    "\"seed\":%d,\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"answer\",\"schema\":"
    "{\"type\":\"object\",\"properties\":{\"answer\":{\"enum\":[\"yes\",\"no\"]},\"count\":{\"type\":\"integer\"},"
    "\"ok\":{\"type\":\"boolean\"}},\"required\":[\"answer\",\"count\"]}}}}";

  if (server == NULL)
    return;
  for (int seed = 1; seed <= 4; seed++)
    {
      g_autofree char *request = g_strdup_printf (body, seed);
      g_autoptr (TestResponse) r = test_http (port_of (server), "POST", "/v1/chat/completions", request, NULL);
      g_autoptr (JsonNode) root = NULL;
      g_autoptr (JsonNode) answer = NULL;
      JsonObject *choice, *object;
      const char *value;

      g_assert_cmpuint (r->status, ==, 200);
      root = test_parse_json (r->body->str);
      choice = json_array_get_object_element (json_object_get_array_member (json_node_get_object (root), "choices"), 0);
      /* the grammar bounds the reply well under max_tokens */
      g_assert_cmpstr (json_object_get_string_member (choice, "finish_reason"), ==, "stop");
      answer = test_parse_json (json_object_get_string_member (json_object_get_object_member (choice, "message"),
                                                               "content"));
      g_assert_true (JSON_NODE_HOLDS_OBJECT (answer));
      object = json_node_get_object (answer);
      value = json_object_get_string_member (object, "answer");
      g_assert_true (g_strcmp0 (value, "yes") == 0 || g_strcmp0 (value, "no") == 0);
      g_assert_cmpint (json_node_get_value_type (json_object_get_member (object, "count")), ==, G_TYPE_INT64);
      g_assert_cmpuint (json_object_get_size (object), <=, 3);
    }
}

/* Tools end to end: the schema makes the model write a call in Llama 3.1's
 * bare JSON form, which comes back as tool_calls, whole or streamed. */
static void
test_tool_calls (void)
{
  g_autoptr (BendiServer) server = test_server_start (NULL);
  static const char body[] =
    "{\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"}],\"max_tokens\":400,\"temperature\":0.7,\"seed\":2,"
    "\"stream\":%s,\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":"
    "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}}],"
    "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"call\",\"schema\":{\"type\":\"object\","
    "\"properties\":{\"name\":{\"const\":\"get_weather\"},\"parameters\":{\"type\":\"object\",\"properties\":"
    "{\"city\":{\"enum\":[\"Paris\",\"Oslo\"]}},\"required\":[\"city\"]}},\"required\":[\"name\",\"parameters\"]}}}}";
  g_autofree char *plain_body = g_strdup_printf (body, "false");
  g_autofree char *stream_body = g_strdup_printf (body, "true");

  if (server == NULL)
    return;
  {
    g_autoptr (TestResponse) r = test_http (port_of (server), "POST", "/v1/chat/completions", plain_body, NULL);
    g_autoptr (JsonNode) root = NULL;
    g_autoptr (JsonNode) arguments = NULL;
    JsonObject *choice, *message, *call, *function;

    g_assert_cmpuint (r->status, ==, 200);
    root = test_parse_json (r->body->str);
    choice = json_array_get_object_element (json_object_get_array_member (json_node_get_object (root), "choices"), 0);
    g_assert_cmpstr (json_object_get_string_member (choice, "finish_reason"), ==, "tool_calls");
    message = json_object_get_object_member (choice, "message");
    g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (message, "content")));
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (message, "tool_calls")), ==, 1);
    call = json_array_get_object_element (json_object_get_array_member (message, "tool_calls"), 0);
    g_assert_true (g_str_has_prefix (json_object_get_string_member (call, "id"), "call_"));
    g_assert_cmpstr (json_object_get_string_member (call, "type"), ==, "function");
    function = json_object_get_object_member (call, "function");
    g_assert_cmpstr (json_object_get_string_member (function, "name"), ==, "get_weather");
    /* arguments are JSON text, as OpenAI sends them */
    arguments = test_parse_json (json_object_get_string_member (function, "arguments"));
    g_assert_nonnull (json_object_get_string_member (json_node_get_object (arguments), "city"));
  }
  {
    g_autoptr (TestResponse) r = test_http (port_of (server), "POST", "/v1/chat/completions", stream_body, NULL);
    g_autoptr (GPtrArray) events = test_sse_events (r->body);
    gboolean saw_call = FALSE, saw_finish = FALSE;

    g_assert_cmpuint (r->status, ==, 200);
    g_assert_cmpstr (g_ptr_array_index (events, events->len - 1), ==, "[DONE]");
    for (guint i = 0; i + 1 < events->len; i++)
      {
        g_autoptr (JsonNode) chunk = test_parse_json (g_ptr_array_index (events, i));
        JsonObject *choice = json_array_get_object_element (
          json_object_get_array_member (json_node_get_object (chunk), "choices"), 0);
        JsonObject *delta = json_object_get_object_member (choice, "delta");

        /* the call is held back, never streamed as content */
        if (json_object_has_member (delta, "content"))
          g_assert_cmpstr (json_object_get_string_member (delta, "content"), ==, "");
        if (json_object_has_member (delta, "tool_calls"))
          {
            JsonObject *call = json_array_get_object_element (json_object_get_array_member (delta, "tool_calls"), 0);

            g_assert_cmpint (json_object_get_int_member (call, "index"), ==, 0);
            g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (call, "function"), "name"),
                             ==, "get_weather");
            saw_call = TRUE;
          }
        if (!JSON_NODE_HOLDS_NULL (json_object_get_member (choice, "finish_reason")))
          {
            g_assert_cmpstr (json_object_get_string_member (choice, "finish_reason"), ==, "tool_calls");
            saw_finish = TRUE;
          }
      }
    g_assert_true (saw_call);
    g_assert_true (saw_finish);
  }
}

/* ------------------------------------------------------------------------ */
/* Concurrency */

typedef struct {
  guint16 port;
  guint   n_requests;
  guint   n_ok;
  guint   n_busy;
  guint   n_other;
} Client;

static gpointer
client_thread (gpointer data)
{
  Client *client = data;

  for (guint i = 0; i < client->n_requests; i++)
    {
      g_autofree char *body = g_strdup_printf (
        "{\"messages\":[{\"role\":\"user\",\"content\":\"Story %u\"}],\"max_tokens\":16,\"stream\":%s}", i,
        i % 2 ? "true" : "false");
      g_autoptr (TestResponse) r = test_http (client->port, "POST", "/v1/chat/completions", body, NULL);

      if (r->status == 200)
        client->n_ok++;
      else if (r->status == 429)
        client->n_busy++;
      else
        {
          g_printerr ("unexpected %u: %s\n", r->status, r->body->str);
          client->n_other++;
        }
    }
  return NULL;
}

static void
test_concurrent_clients (void)
{
  BendiServerOptions options;
  g_autoptr (BendiServer) server = NULL;
  Client clients[8];
  GThread *threads[8];
  guint n_ok = 0, n_busy = 0;
  BendiServerStats stats;

  bendi_server_options_init (&options);
  options.n_parallel = 2;
  options.max_queue = 2;
  server = test_server_start (&options);
  if (server == NULL)
    return;
  for (guint i = 0; i < 8; i++)
    {
      clients[i] = (Client) { .port = port_of (server), .n_requests = 5 };
      threads[i] = g_thread_new ("client", client_thread, &clients[i]);
    }
  for (guint i = 0; i < 8; i++)
    {
      g_thread_join (threads[i]);
      g_assert_cmpuint (clients[i].n_other, ==, 0);
      n_ok += clients[i].n_ok;
      n_busy += clients[i].n_busy;
    }
  g_assert_cmpuint (n_ok + n_busy, ==, 40);
  g_assert_cmpuint (n_ok, >, 0);
  bendi_server_get_stats (server, &stats);
  g_assert_cmpuint (stats.n_rejected_busy, ==, n_busy);
  g_assert_cmpuint (stats.n_busy_slots, ==, 0);
  g_assert_cmpuint (stats.n_queued, ==, 0);
  {
    g_autoptr (TestResponse) alive = test_http (port_of (server), "POST", "/v1/chat/completions", CHAT_BODY (""), NULL);

    g_assert_cmpuint (alive->status, ==, 200);
  }
}

/* A client that leaves mid-stream cancels its generation at once and its
 * slot serves the next request. */
static void
test_disconnect_frees_slot (void)
{
  BendiServerOptions options;
  g_autoptr (BendiServer) server = NULL;
  g_autoptr (GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr (GSocketConnection) connection = NULL;
  g_autoptr (GError) error = NULL;
  static const char body[] = "{\"messages\":[{\"role\":\"user\",\"content\":\"Once\"}],\"max_tokens\":100000,"
                             "\"n_ctx\":8192,\"ignore_eos\":true,\"stream\":%s}";
  BendiServerStats stats;
  char buffer[4096];
  gssize n;
  gint64 deadline;

  bendi_server_options_init (&options);
  options.n_parallel = 1;
  options.max_queue = 1;
  options.max_ctx = 8192;
  server = test_server_start (&options);
  if (server == NULL)
    return;

  for (int streamed = 1; streamed >= 0; streamed--)
    {
      g_autofree char *json = g_strdup_printf (body, streamed ? "true" : "false");
      g_autofree char *request = g_strdup_printf ("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n"
                                                  "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n%s", strlen (json), json);

      connection = g_socket_client_connect_to_host (socket_client, "127.0.0.1", port_of (server), NULL, &error);
      g_assert_no_error (error);
      g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), request, strlen (request),
                                 NULL, NULL, &error);
      g_assert_no_error (error);
      if (streamed)
        {
          /* the headers and the first chunk, then away */
          n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)), buffer, sizeof buffer - 1,
                                   NULL, &error);
          g_assert_no_error (error);
          g_assert_cmpint (n, >, 0);
          buffer[n] = '\0';
          g_assert_true (g_str_has_prefix (buffer, "HTTP/1.1 200"));
        }
      else
        {
          /* wait until the generation runs */
          deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
          do
            {
              g_usleep (2000);
              bendi_server_get_stats (server, &stats);
            }
          while (stats.n_busy_slots == 0 && g_get_monotonic_time () < deadline);
          g_assert_cmpuint (stats.n_busy_slots, ==, 1);
        }
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      g_clear_object (&connection);

      /* 8192 tokens take far longer than noticing the close does */
      deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
      do
        {
          g_usleep (2000);
          bendi_server_get_stats (server, &stats);
        }
      while ((stats.n_busy_slots > 0 || stats.n_cancelled < (guint64) (2 - streamed)) &&
             g_get_monotonic_time () < deadline);
      g_assert_cmpuint (stats.n_cancelled, ==, 2 - streamed);
      g_assert_cmpuint (stats.n_completions, ==, 0);
      g_assert_cmpuint (stats.n_busy_slots, ==, 0);
    }

  {
    g_autoptr (TestResponse) next = test_http (port_of (server), "POST", "/v1/chat/completions", CHAT_BODY (""), NULL);

    g_assert_cmpuint (next->status, ==, 200);
  }
}

/* ------------------------------------------------------------------------ */
/* Models with chat templates of their own: the tiny random model. */

static BendiServer *
start_with_template (const char *dir,
                     const char *chat_template)
{
  g_autoptr (BendiGguf) tiny = bendi_test_tiny_vocab ();
  g_autoptr (BendiGgufWriter) writer = bendi_gguf_writer_new ();
  g_autoptr (BendiGguf) vocab = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiModel) model = NULL;
  g_autofree char *path = NULL;
  BendiServerOptions options;
  BendiServer *server;

  for (gsize i = 0; i < bendi_gguf_get_n_kv (tiny); i++)
    bendi_gguf_writer_add_value (writer, bendi_gguf_get_key (tiny, i), bendi_gguf_get_value (tiny, i));
  bendi_gguf_writer_add_string (writer, "tokenizer.chat_template", chat_template);
  bytes = bendi_gguf_writer_write_bytes (writer, NULL, NULL, &error);
  g_assert_no_error (error);
  vocab = bendi_gguf_new_from_bytes (bytes, &error);
  g_assert_no_error (error);
  path = bendi_test_make_model_with_vocab (dir, "chat.gguf", NULL, vocab);
  model = bendi_model_load (path, NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  bendi_server_options_init (&options);
  options.port = 0;
  options.n_threads = 1;
  options.model_id = "tiny";
  server = bendi_server_new (&options, &error);
  g_assert_no_error (error);
  g_assert_true (bendi_server_start (server, &error));
  bendi_server_set_model (server, model);
  for (int i = 0; i < 1000; i++)
    {
      g_autoptr (TestResponse) health = test_http (bendi_server_get_port (server), "GET", "/health", NULL, NULL);

      if (health->status == 200)
        break;
      g_usleep (5000);
    }
  return server;
}

/* A template whose generation prompt opens a thinking block (as
 * DeepSeek-R1's and Qwen3's do): what the model writes is reasoning. */
static void
test_reasoning (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autoptr (BendiServer) server = start_with_template (
    dir, "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}\n{% endfor %}"
         "{% if add_generation_prompt %}<|assistant|><think>\n{% endif %}");
  static const char body[] = "{\"messages\":[{\"role\":\"user\",\"content\":\"the dog\"}],\"max_tokens\":12,"
                             "\"temperature\":0,\"ignore_eos\":true,\"stream\":%s}";
  g_autofree char *plain_body = g_strdup_printf (body, "false");
  g_autofree char *stream_body = g_strdup_printf (body, "true");
  g_autoptr (TestResponse) plain = test_http (bendi_server_get_port (server), "POST", "/v1/chat/completions",
                                              plain_body, NULL);
  g_autoptr (TestResponse) streamed = test_http (bendi_server_get_port (server), "POST", "/v1/chat/completions",
                                                 stream_body, NULL);
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GString) reasoning = g_string_new (NULL);
  JsonObject *message;

  g_assert_cmpuint (plain->status, ==, 200);
  root = test_parse_json (plain->body->str);
  message = json_object_get_object_member (json_array_get_object_element (
    json_object_get_array_member (json_node_get_object (root), "choices"), 0), "message");
  g_assert_cmpstr (json_object_get_string_member (message, "content"), ==, "");
  g_assert_cmpuint (strlen (json_object_get_string_member (message, "reasoning_content")), >, 0);

  g_assert_cmpuint (streamed->status, ==, 200);
  events = test_sse_events (streamed->body);
  for (guint i = 0; i + 1 < events->len; i++)
    {
      g_autoptr (JsonNode) chunk = test_parse_json (g_ptr_array_index (events, i));
      JsonObject *delta = json_object_get_object_member (json_array_get_object_element (
        json_object_get_array_member (json_node_get_object (chunk), "choices"), 0), "delta");

      if (json_object_has_member (delta, "reasoning_content"))
        g_string_append (reasoning, json_object_get_string_member (delta, "reasoning_content"));
      if (i > 0)
        g_assert_false (json_object_has_member (delta, "content"));
    }
  /* the whole reply trims its reasoning; the stream sends it as it comes */
  {
    g_autofree char *trimmed = g_strstrip (g_strdup (reasoning->str));

    g_assert_cmpstr (trimmed, ==, json_object_get_string_member (message, "reasoning_content"));
  }
  g_clear_object (&server);
  bendi_test_remove_dir (dir);
}

/* "tools" reach the template; tool_choice "none" keeps them out. */
static void
test_tools_reach_template (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autoptr (BendiServer) server = start_with_template (
    dir, "{% if tools %}the dog ran to the park and the sun was happy {{ tools | length }}\n{% endif %}"
         "{% for m in messages %}{{ m.content }}\n{% endfor %}");
  static const char body[] = "{\"messages\":[{\"role\":\"user\",\"content\":\"the dog\"}],\"max_tokens\":2%s}";
  static const char tools[] = ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{}}}]";
  g_autofree char *without = g_strdup_printf (body, "");
  g_autofree char *with = g_strdup_printf (body, tools);
  g_autofree char *none = g_strdup_printf (body, ",\"tool_choice\":\"none\",\"tools\":[{\"type\":\"function\","
                                           "\"function\":{\"name\":\"f\"}}]");
  gint64 prompt_tokens[3];
  const char *bodies[] = { without, with, none };

  for (int i = 0; i < 3; i++)
    {
      g_autoptr (TestResponse) r = test_http (bendi_server_get_port (server), "POST", "/v1/chat/completions",
                                              bodies[i], NULL);
      g_autoptr (JsonNode) root = NULL;

      g_assert_cmpuint (r->status, ==, 200);
      root = test_parse_json (r->body->str);
      prompt_tokens[i] = json_object_get_int_member (json_object_get_object_member (json_node_get_object (root),
                                                                                    "usage"), "prompt_tokens");
    }
  g_assert_cmpint (prompt_tokens[1], >, prompt_tokens[0] + 5);
  g_assert_cmpint (prompt_tokens[2], ==, prompt_tokens[0]);
  g_clear_object (&server);
  bendi_test_remove_dir (dir);
}

/* Stopping while the model loads: the load gives up or is dropped, and
 * nothing is left behind (the object finalizes). */
static void
test_stop_while_loading (void)
{
  g_autofree char *model = bendi_test_data_path ("models/stories260K.gguf");
  g_autoptr (GError) error = NULL;
  BendiServerOptions options;

  if (model == NULL)
    return;
  bendi_server_options_init (&options);
  options.port = 0;
  for (int i = 0; i < 3; i++)
    {
      BendiServer *server = bendi_server_new (&options, &error);

      g_assert_no_error (error);
      g_assert_true (bendi_server_start (server, &error));
      bendi_server_load_model (server, model, NULL, NULL);
      if (i > 0)
        g_usleep (i * 2000);
      bendi_server_stop (server);
      /* and it can start again */
      g_assert_true (bendi_server_start (server, &error));
      g_assert_no_error (error);
      bendi_server_stop (server);
      g_assert_finalize_object (server);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server/http/models", test_models);
  g_test_add_func ("/server/http/no-model", test_no_model);
  g_test_add_func ("/server/http/stop-while-loading", test_stop_while_loading);
  g_test_add_func ("/server/http/chat-plain", test_chat_plain);
  g_test_add_func ("/server/http/chat-stream", test_chat_stream);
  g_test_add_func ("/server/http/greedy-matches-cli", test_greedy_matches_cli);
  g_test_add_func ("/server/http/bad-requests", test_bad_requests);
  g_test_add_func ("/server/http/body-limit", test_body_limit);
  g_test_add_func ("/server/http/host-header", test_host_header);
  g_test_add_func ("/server/http/origin", test_origin);
  g_test_add_func ("/server/http/cors", test_cors);
  g_test_add_func ("/server/http/unsafe-config", test_unsafe_config);
  g_test_add_func ("/server/http/api-key", test_api_key);
  g_test_add_func ("/server/http/json-schema", test_json_schema);
  g_test_add_func ("/server/http/tool-calls", test_tool_calls);
  g_test_add_func ("/server/http/concurrent-clients", test_concurrent_clients);
  g_test_add_func ("/server/http/disconnect-frees-slot", test_disconnect_frees_slot);
  g_test_add_func ("/server/http/reasoning", test_reasoning);
  g_test_add_func ("/server/http/tools-reach-template", test_tools_reach_template);

  return g_test_run ();
}
