/* SPDX-License-Identifier: MIT */
/* The remote-endpoint client against Bendi's own server (stories260K) and
 * against a misbehaving one (remote-test-server.c). */
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "remote-client.h"
#include "remote-test-server.h"
#include "template/chat-template.h"
#include "test-server-util.h"
#include "test-util.h"

/* ------------------------------------------------------------------------ */
/* Helpers */

typedef struct {
  GString               *content;
  GString               *reasoning;
  guint                  n_deltas;
  guint                  cancel_after;   /* cancel once this many deltas came; 0: never */
  GCancellable          *cancellable;
  BendiRemoteChatResult *result;
  GPtrArray             *models;
  GError                *error;
  gboolean               done;
} Outcome;

static void
outcome_init (Outcome *o)
{
  memset (o, 0, sizeof *o);
  o->content = g_string_new (NULL);
  o->reasoning = g_string_new (NULL);
  o->cancellable = g_cancellable_new ();
}

static void
outcome_clear (Outcome *o)
{
  if (o->content != NULL)
    g_string_free (o->content, TRUE);
  if (o->reasoning != NULL)
    g_string_free (o->reasoning, TRUE);
  g_clear_object (&o->cancellable);
  g_clear_pointer (&o->result, bendi_remote_chat_result_free);
  g_clear_pointer (&o->models, g_ptr_array_unref);
  g_clear_error (&o->error);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Outcome, outcome_clear)

static void
delta_cb (const char *reasoning,
          const char *content,
          gpointer    user_data)
{
  Outcome *o = user_data;

  g_assert_true (reasoning != NULL || content != NULL);
  g_assert_true (reasoning == NULL || *reasoning != '\0');
  g_assert_true (content == NULL || *content != '\0');
  if (reasoning != NULL)
    g_string_append (o->reasoning, reasoning);
  if (content != NULL)
    g_string_append (o->content, content);
  o->n_deltas++;
  if (o->cancel_after > 0 && o->n_deltas == o->cancel_after)
    g_cancellable_cancel (o->cancellable);
}

static void
chat_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Outcome *o = user_data;

  o->result = bendi_remote_client_chat_finish (BENDI_REMOTE_CLIENT (object), result, &o->error);
  g_assert_true ((o->result == NULL) != (o->error == NULL));
  o->done = TRUE;
}

static void
models_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Outcome *o = user_data;

  o->models = bendi_remote_client_list_models_finish (BENDI_REMOTE_CLIENT (object), result, &o->error);
  o->done = TRUE;
}

static void
wait_for (Outcome *o)
{
  while (!o->done)
    g_main_context_iteration (NULL, TRUE);
}

static BendiTemplateValue *
user_message (const char *text)
{
  BendiTemplateValue *messages = bendi_template_value_new_list ();

  bendi_chat_messages_append (messages, "user", text);
  return messages;
}

static void
run_chat (BendiRemoteClient         *client,
          const char                *model,
          const BendiGenerateParams *params,
          Outcome                   *o)
{
  g_autoptr (BendiTemplateValue) messages = user_message ("Once upon a time");

  bendi_remote_client_chat_async (client, model, messages, params, delta_cb, o->cancellable, chat_cb, o);
  wait_for (o);
}

static void
list_models (BendiRemoteClient *client,
             Outcome           *o)
{
  bendi_remote_client_list_models_async (client, NULL, models_cb, o);
  wait_for (o);
}

static BendiRemoteClient *
client_for_server (BendiServer *server,
                   const char  *api_key)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/", bendi_server_get_port (server));
  g_autoptr (GError) error = NULL;
  BendiRemoteClient *client = bendi_remote_client_new (url, api_key, &error);

  g_assert_no_error (error);
  return client;
}

static BendiRemoteClient *
client_for_test_server (RemoteTestServer *server)
{
  g_autoptr (GError) error = NULL;
  BendiRemoteClient *client = bendi_remote_client_new (remote_test_server_get_url (server), NULL, &error);

  g_assert_no_error (error);
  return client;
}

/* The model id Bendi's server lists. */
static char *
served_model (BendiRemoteClient *client)
{
  g_auto (Outcome) o = { 0 };

  outcome_init (&o);
  list_models (client, &o);
  g_assert_no_error (o.error);
  g_assert_cmpuint (o.models->len, ==, 1);
  return g_strdup (((BendiRemoteModel *) g_ptr_array_index (o.models, 0))->id);
}

/* ------------------------------------------------------------------------ */
/* URLs */

static void
test_normalize_url (void)
{
  static const struct {
    const char *in;
    const char *out;
  } cases[] = {
    { "http://host:8000", "http://host:8000/v1" },
    { "http://host:8000/", "http://host:8000/v1" },
    { "http://host:8000/v1", "http://host:8000/v1" },
    { "http://host:8000/v1///", "http://host:8000/v1" },
    { "  HTTPS://Example.org/openai/v1/ ", "https://example.org/openai/v1" },
    { "https://example.org/api?x=1#top", "https://example.org/api/v1" },
    { "http://[::1]:11434", "http://[::1]:11434/v1" },
  };
  static const char *const refused[] = {
    "", "ftp://host/", "host:8000", "file:///etc/passwd", "http://", "http://user:secret@host/",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *out = bendi_remote_normalize_url (cases[i].in, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (out, ==, cases[i].out);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *out = bendi_remote_normalize_url (refused[i], &error);
      g_autoptr (BendiRemoteClient) client = NULL;

      g_assert_error (error, BENDI_REMOTE_ERROR, BENDI_REMOTE_ERROR_INVALID_URL);
      g_assert_null (out);
      g_clear_error (&error);
      client = bendi_remote_client_new (refused[i], NULL, &error);
      g_assert_error (error, BENDI_REMOTE_ERROR, BENDI_REMOTE_ERROR_INVALID_URL);
      g_assert_null (client);
    }
}

/* ------------------------------------------------------------------------ */
/* Against Bendi's own server */

static void
test_bendi_list_models (void)
{
  g_autoptr (BendiServer) server = test_server_start (NULL);
  g_autoptr (BendiRemoteClient) client = NULL;
  g_autofree char *id = NULL;

  if (server == NULL)
    return;
  client = client_for_server (server, NULL);
  id = served_model (client);
  /* The server names the model after its file. */
  g_assert_cmpstr (id, ==, "stories260K");
}

/* The streamed deltas, put together, are the reply the same server gives
 * without streaming; the usage agrees too. */
static void
test_bendi_stream_matches_whole (void)
{
  g_autoptr (BendiServer) server = test_server_start (NULL);
  g_autoptr (BendiRemoteClient) client = NULL;
  g_autoptr (TestResponse) whole = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *model = NULL;
  g_autofree char *body = NULL;
  g_auto (Outcome) o = { 0 };
  BendiGenerateParams params = { 0 };
  JsonObject *answer, *usage;
  const char *whole_content;

  if (server == NULL)
    return;
  client = client_for_server (server, NULL);
  model = served_model (client);

  bendi_generate_params_init (&params);
  params.sampling.temperature = 0.0f;
  params.max_tokens = 40;
  outcome_init (&o);
  run_chat (client, model, &params, &o);
  g_assert_no_error (o.error);

  body = g_strdup_printf ("{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],"
                          "\"temperature\":0,\"max_tokens\":40}", model);
  whole = test_http (bendi_server_get_port (server), "POST", "/v1/chat/completions", body, NULL);
  g_assert_cmpuint (whole->status, ==, 200);
  root = test_parse_json (whole->body->str);
  answer = json_node_get_object (root);
  whole_content = json_object_get_string_member (
    json_object_get_object_member (json_array_get_object_element (json_object_get_array_member (answer, "choices"), 0),
                                   "message"),
    "content");
  usage = json_object_get_object_member (answer, "usage");

  g_assert_cmpuint (o.n_deltas, >, 1);
  g_assert_cmpstr (o.content->str, ==, whole_content);
  g_assert_cmpstr (o.result->content, ==, whole_content);
  g_assert_cmpuint (strlen (whole_content), >, 0);
  g_assert_true (o.result->usage_from_server);
  g_assert_cmpint (o.result->prompt_tokens, ==, json_object_get_int_member (usage, "prompt_tokens"));
  g_assert_cmpint (o.result->completion_tokens, ==, json_object_get_int_member (usage, "completion_tokens"));
  g_assert_cmpint (o.result->completion_tokens, >, 1);
  g_assert_cmpint (o.result->completion_tokens, <=, 40);
  g_assert_nonnull (o.result->finish_reason);
  g_assert_true (g_str_equal (o.result->finish_reason, "stop") || g_str_equal (o.result->finish_reason, "length"));
  g_assert_cmpfloat (o.result->time_to_first_token, >, 0.0);
  g_assert_cmpfloat (o.result->tokens_per_second, >, 0.0);
}

/* Stopping closes the connection: the server cancels the generation and
 * frees its slot; what arrived was handed out before the cancel finished. */
static void
test_bendi_cancel (void)
{
  BendiServerOptions options;
  g_autoptr (BendiServer) server = NULL;
  g_autoptr (BendiRemoteClient) client = NULL;
  g_autofree char *model = NULL;
  g_auto (Outcome) o = { 0 };
  BendiGenerateParams params = { 0 };
  BendiServerStats stats;
  gint64 deadline;

  bendi_server_options_init (&options);
  options.n_parallel = 1;
  options.n_ctx = 8192;
  options.max_ctx = 8192;
  server = test_server_start (&options);
  if (server == NULL)
    return;
  client = client_for_server (server, NULL);
  model = served_model (client);

  /* 8192 tokens take far longer than a cancel does. */
  bendi_generate_params_init (&params);
  params.max_tokens = 8000;
  params.ignore_eos = TRUE;
  outcome_init (&o);
  o.cancel_after = 3;
  run_chat (client, model, &params, &o);
  g_assert_error (o.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (o.n_deltas, >=, 3);
  g_assert_cmpuint (o.content->len, >, 0);

  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  do
    {
      g_usleep (2000);
      bendi_server_get_stats (server, &stats);
    }
  while ((stats.n_busy_slots > 0 || stats.n_cancelled < 1) && g_get_monotonic_time () < deadline);
  g_assert_cmpuint (stats.n_cancelled, ==, 1);
  g_assert_cmpuint (stats.n_completions, ==, 0);
  g_assert_cmpuint (stats.n_busy_slots, ==, 0);
}

static void
test_bendi_api_key (void)
{
  BendiServerOptions options;
  g_autoptr (BendiServer) server = NULL;
  g_autoptr (BendiRemoteClient) without = NULL;
  g_autoptr (BendiRemoteClient) wrong = NULL;
  g_autoptr (BendiRemoteClient) with = NULL;
  g_autofree char *model = NULL;
  BendiGenerateParams params = { 0 };

  bendi_server_options_init (&options);
  options.api_key = "open-sesame";
  server = test_server_start (&options);
  if (server == NULL)
    return;
  without = client_for_server (server, NULL);
  wrong = client_for_server (server, "open-barley");
  with = client_for_server (server, "open-sesame");
  model = served_model (with);

  bendi_generate_params_init (&params);
  params.max_tokens = 4;
  for (int i = 0; i < 2; i++)
    {
      BendiRemoteClient *client = i == 0 ? without : wrong;
      g_auto (Outcome) listing = { 0 };
      g_auto (Outcome) chat = { 0 };

      outcome_init (&listing);
      list_models (client, &listing);
      g_assert_error (listing.error, BENDI_REMOTE_ERROR, BENDI_REMOTE_ERROR_UNAUTHORIZED);
      g_assert_cmpuint (bendi_remote_error_get_http_status (listing.error), ==, 401);

      outcome_init (&chat);
      run_chat (client, model, &params, &chat);
      g_assert_error (chat.error, BENDI_REMOTE_ERROR, BENDI_REMOTE_ERROR_UNAUTHORIZED);
      g_assert_cmpuint (chat.n_deltas, ==, 0);
    }
  {
    g_auto (Outcome) chat = { 0 };

    outcome_init (&chat);
    run_chat (with, model, &params, &chat);
    g_assert_no_error (chat.error);
    g_assert_cmpuint (chat.content->len, >, 0);
  }
}

/* ------------------------------------------------------------------------ */
/* Against the misbehaving server */

typedef struct {
  RemoteTestServer  *server;
  BendiRemoteClient *client;
  Outcome            o;
} StandIn;

static void
stand_in_set_up (StandIn       *s,
                 gconstpointer  data G_GNUC_UNUSED)
{
  s->server = remote_test_server_new ();
  s->client = client_for_test_server (s->server);
  outcome_init (&s->o);
}

static void
stand_in_tear_down (StandIn       *s,
                    gconstpointer  data G_GNUC_UNUSED)
{
  outcome_clear (&s->o);
  g_assert_finalize_object (s->client);
  remote_test_server_free (s->server);
}

static void
test_list_models_context (StandIn       *s,
                          gconstpointer  data G_GNUC_UNUSED)
{
  BendiRemoteModel *model;

  list_models (s->client, &s->o);
  g_assert_no_error (s->o.error);
  g_assert_cmpuint (s->o.models->len, ==, 2);
  model = g_ptr_array_index (s->o.models, 0);
  g_assert_cmpstr (model->id, ==, "test-model");
  g_assert_cmpstr (model->owned_by, ==, "tester");
  g_assert_cmpint (model->context_length, ==, 8192);     /* vLLM's max_model_len */
  model = g_ptr_array_index (s->o.models, 1);
  g_assert_cmpstr (model->id, ==, "small-model");
  g_assert_cmpint (model->context_length, ==, 2048);     /* llama-server's meta.n_ctx_train */
}

/* What goes over the wire: streaming with usage and the sampling settings. */
static void
test_request_body (StandIn       *s,
                   gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *sent = NULL;
  static const char *const stop[] = { "\n\n", NULL };
  BendiGenerateParams params = { 0 };
  JsonObject *body;

  bendi_generate_params_init (&params);
  params.max_tokens = 77;
  params.sampling.temperature = 0.5f;
  params.sampling.top_k = 12;
  params.sampling.top_p = 1.0f;
  params.sampling.min_p = 0.25f;
  params.sampling.repeat_penalty = 1.0f;
  params.sampling.seed = 1234;
  params.stop = stop;
  run_chat (s->client, "test-model", &params, &s->o);
  g_assert_no_error (s->o.error);

  sent = remote_test_server_get_last_request (s->server);
  root = test_parse_json (sent);
  body = json_node_get_object (root);
  g_assert_cmpstr (json_object_get_string_member (body, "model"), ==, "test-model");
  g_assert_true (json_object_get_boolean_member (body, "stream"));
  g_assert_true (json_object_get_boolean_member (json_object_get_object_member (body, "stream_options"),
                                                 "include_usage"));
  g_assert_cmpint (json_object_get_int_member (body, "max_tokens"), ==, 77);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (body, "temperature"), 0.5, 1e-6);
  g_assert_cmpint (json_object_get_int_member (body, "top_k"), ==, 12);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (body, "min_p"), 0.25, 1e-6);
  g_assert_cmpint (json_object_get_int_member (body, "seed"), ==, 1234);
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (body, "stop"), 0), ==, "\n\n");
  /* Values that mean "off" are left to the server's defaults. */
  g_assert_false (json_object_has_member (body, "top_p"));
  g_assert_false (json_object_has_member (body, "repeat_penalty"));
  g_assert_false (json_object_has_member (body, "presence_penalty"));
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (
                     json_object_get_array_member (body, "messages"), 0), "content"), ==, "Once upon a time");
}

static void
test_usage_counted_without_server_usage (void)
{
  RemoteTestServer *server = remote_test_server_new ();
  g_autoptr (BendiRemoteClient) client = client_for_test_server (server);
  g_auto (Outcome) with_usage = { 0 };
  g_auto (Outcome) without_usage = { 0 };

  outcome_init (&with_usage);
  run_chat (client, "test-model", NULL, &with_usage);
  g_assert_no_error (with_usage.error);
  g_assert_cmpstr (with_usage.content->str, ==, "Hello, world!");
  g_assert_cmpstr (with_usage.result->content, ==, "Hello, world!");
  g_assert_null (with_usage.result->reasoning);
  g_assert_cmpstr (with_usage.result->finish_reason, ==, "stop");
  g_assert_true (with_usage.result->usage_from_server);
  g_assert_cmpint (with_usage.result->prompt_tokens, ==, 11);
  g_assert_cmpint (with_usage.result->completion_tokens, ==, 4);

  remote_test_server_set_usage (server, FALSE);
  outcome_init (&without_usage);
  run_chat (client, "test-model", NULL, &without_usage);
  g_assert_no_error (without_usage.error);
  g_assert_false (without_usage.result->usage_from_server);
  g_assert_cmpint (without_usage.result->prompt_tokens, ==, -1);
  /* Four chunks carried text. */
  g_assert_cmpint (without_usage.result->completion_tokens, ==, 4);
  remote_test_server_free (server);
}

static void
test_model_not_found (StandIn       *s,
                      gconstpointer  data G_GNUC_UNUSED)
{
  run_chat (s->client, "no-such-model", NULL, &s->o);
  g_assert_error (s->o.error, BENDI_REMOTE_ERROR, BENDI_REMOTE_ERROR_MODEL_NOT_FOUND);
  g_assert_nonnull (strstr (s->o.error->message, "does not exist"));
  g_assert_cmpuint (bendi_remote_error_get_http_status (s->o.error), ==, 404);
  g_assert_cmpuint (s->o.n_deltas, ==, 0);
}

static void
test_rate_limited (StandIn       *s,
                   gconstpointer  data G_GNUC_UNUSED)
{
  remote_test_server_set_reply (s->server, REMOTE_TEST_REPLY_RATE_LIMITED);
  run_chat (s->client, "test-model", NULL, &s->o);
  g_assert_error (s->o.error, BENDI_REMOTE_ERROR, BENDI_REMOTE_ERROR_RATE_LIMITED);
  g_assert_cmpint (bendi_remote_error_get_retry_after (s->o.error), ==, 7);
  g_assert_nonnull (strstr (s->o.error->message, "7 s"));
  g_assert_cmpuint (bendi_remote_error_get_http_status (s->o.error), ==, 429);
}

static void
test_server_error (StandIn       *s,
                   gconstpointer  data G_GNUC_UNUSED)
{
  remote_test_server_set_reply (s->server, REMOTE_TEST_REPLY_SERVER_ERROR);
  run_chat (s->client, "test-model", NULL, &s->o);
  g_assert_error (s->o.error, BENDI_REMOTE_ERROR, BENDI_REMOTE_ERROR_SERVER);
  g_assert_nonnull (strstr (s->o.error->message, "CUDA out of memory"));
  g_assert_cmpuint (bendi_remote_error_get_http_status (s->o.error), ==, 500);
  g_assert_cmpint (bendi_remote_error_get_retry_after (s->o.error), ==, -1);
}

/* A server that dies mid-stream: the error says so, and every piece that
 * arrived whole was handed out first. */
static void
test_stream_cut (StandIn       *s,
                 gconstpointer  data G_GNUC_UNUSED)
{
  remote_test_server_set_reply (s->server, REMOTE_TEST_REPLY_CUT);
  run_chat (s->client, "test-model", NULL, &s->o);
  g_assert_error (s->o.error, BENDI_REMOTE_ERROR, BENDI_REMOTE_ERROR_STREAM_CUT);
  g_assert_cmpstr (s->o.content->str, ==, "Hello, world!");
}

static void
test_error_event (StandIn       *s,
                  gconstpointer  data G_GNUC_UNUSED)
{
  remote_test_server_set_reply (s->server, REMOTE_TEST_REPLY_ERROR_EVENT);
  run_chat (s->client, "test-model", NULL, &s->o);
  g_assert_error (s->o.error, BENDI_REMOTE_ERROR, BENDI_REMOTE_ERROR_SERVER);
  g_assert_nonnull (strstr (s->o.error->message, "The engine crashed"));
  g_assert_cmpstr (s->o.content->str, ==, "Hello, world!");
}

static void
test_stall_times_out (StandIn       *s,
                      gconstpointer  data G_GNUC_UNUSED)
{
  gint64 deadline;

  remote_test_server_set_reply (s->server, REMOTE_TEST_REPLY_STALL);
  bendi_remote_client_set_timeouts (s->client, 0, 300);
  run_chat (s->client, "test-model", NULL, &s->o);
  g_assert_error (s->o.error, BENDI_REMOTE_ERROR, BENDI_REMOTE_ERROR_TIMEOUT);
  g_assert_cmpstr (s->o.content->str, ==, "Hello, world!");

  /* The client hung up: the server's stream ends. */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (remote_test_server_count_abandoned (s->server) == 0 && g_get_monotonic_time () < deadline)
    g_usleep (2000);
  g_assert_cmpuint (remote_test_server_count_abandoned (s->server), ==, 1);
}

/* The middle of a slow stream: the cancel finishes at once with what
 * arrived, and the server sees its client leave before the script ends. */
static void
test_cancel_mid_stream (StandIn       *s,
                        gconstpointer  data G_GNUC_UNUSED)
{
  static const char *const script[] = { "one", " two", " three", " four", " five", " six", NULL };
  gint64 deadline;

  remote_test_server_set_script (s->server, script);
  remote_test_server_set_delay (s->server, 100);
  s->o.cancel_after = 2;
  run_chat (s->client, "test-model", NULL, &s->o);
  g_assert_error (s->o.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpstr (s->o.content->str, ==, "one two");

  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (remote_test_server_count_abandoned (s->server) == 0 && g_get_monotonic_time () < deadline)
    g_usleep (2000);
  g_assert_cmpuint (remote_test_server_count_abandoned (s->server), ==, 1);
  g_assert_cmpuint (remote_test_server_count_completed (s->server), ==, 0);
}

/* A stop from on_delta is the last delta, even when the same read brought
 * more events. */
static void
test_cancel_stops_deltas (StandIn       *s,
                          gconstpointer  data G_GNUC_UNUSED)
{
  remote_test_server_set_batched (s->server, TRUE);
  s->o.cancel_after = 2;
  run_chat (s->client, "test-model", NULL, &s->o);
  g_assert_error (s->o.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (s->o.n_deltas, ==, 2);
  g_assert_cmpstr (s->o.content->str, ==, "Hello,");
}

static void
test_cancel_before_send (StandIn       *s,
                         gconstpointer  data G_GNUC_UNUSED)
{
  g_cancellable_cancel (s->o.cancellable);
  run_chat (s->client, "test-model", NULL, &s->o);
  g_assert_error (s->o.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (s->o.n_deltas, ==, 0);
}

static void
test_garbage (StandIn       *s,
              gconstpointer  data G_GNUC_UNUSED)
{
  remote_test_server_set_reply (s->server, REMOTE_TEST_REPLY_GARBAGE);
  run_chat (s->client, "test-model", NULL, &s->o);
  g_assert_error (s->o.error, BENDI_REMOTE_ERROR, BENDI_REMOTE_ERROR_PROTOCOL);
  g_assert_cmpuint (s->o.n_deltas, ==, 0);
}

/* A port nobody listens on: bound, then closed, so nothing else takes it
 * in the meantime as far as this test can tell. */
static void
test_unreachable (void)
{
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (BendiRemoteClient) client = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;
  g_auto (Outcome) listing = { 0 };
  g_auto (Outcome) chat = { 0 };

  g_assert_true (g_socket_bind (socket, address, FALSE, &error));
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  url = g_strdup_printf ("http://127.0.0.1:%u", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_socket_close (socket, NULL);
  client = bendi_remote_client_new (url, NULL, &error);
  g_assert_no_error (error);

  outcome_init (&listing);
  list_models (client, &listing);
  g_assert_error (listing.error, BENDI_REMOTE_ERROR, BENDI_REMOTE_ERROR_UNREACHABLE);
  outcome_init (&chat);
  run_chat (client, "test-model", NULL, &chat);
  g_assert_error (chat.error, BENDI_REMOTE_ERROR, BENDI_REMOTE_ERROR_UNREACHABLE);
}

/* A peer that accepts the connection and never answers: the read timeout. */
static void
test_silent_server (void)
{
  g_autoptr (GSocketListener) listener = g_socket_listener_new ();
  g_autoptr (BendiRemoteClient) client = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;
  g_auto (Outcome) o = { 0 };
  guint16 port;

  port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_assert_no_error (error);
  url = g_strdup_printf ("http://127.0.0.1:%u", port);
  client = bendi_remote_client_new (url, NULL, &error);
  g_assert_no_error (error);
  bendi_remote_client_set_timeouts (client, 300, 300);
  outcome_init (&o);
  list_models (client, &o);
  g_assert_error (o.error, BENDI_REMOTE_ERROR, BENDI_REMOTE_ERROR_TIMEOUT);
}

static void
test_reasoning_content (StandIn       *s,
                        gconstpointer  data G_GNUC_UNUSED)
{
  static const char *const script[] = { "R:Let me", "R: think.", "The answer", " is 4.", NULL };

  remote_test_server_set_script (s->server, script);
  run_chat (s->client, "test-model", NULL, &s->o);
  g_assert_no_error (s->o.error);
  g_assert_cmpstr (s->o.reasoning->str, ==, "Let me think.");
  g_assert_cmpstr (s->o.content->str, ==, "The answer is 4.");
  g_assert_cmpstr (s->o.result->reasoning, ==, "Let me think.");
  g_assert_cmpstr (s->o.result->content, ==, "The answer is 4.");
}

/* Ollama and others put the reasoning inline; the tags may be split
 * across chunks. */
static void
test_inline_think (StandIn       *s,
                   gconstpointer  data G_GNUC_UNUSED)
{
  static const char *const script[] = { "<thi", "nk>Let me", " think.</th", "ink>", "The answer", " is 4.", NULL };

  remote_test_server_set_script (s->server, script);
  run_chat (s->client, "test-model", NULL, &s->o);
  g_assert_no_error (s->o.error);
  g_assert_nonnull (strstr (s->o.reasoning->str, "Let me think."));
  g_assert_null (strstr (s->o.reasoning->str, "think>"));
  g_assert_cmpstr (g_strstrip (s->o.content->str), ==, "The answer is 4.");
  g_assert_null (strstr (s->o.content->str, "think"));
}

/* A server that ignores "stream" and answers with the whole reply. */
static void
test_whole_json_answer (StandIn       *s,
                        gconstpointer  data G_GNUC_UNUSED)
{
  static const char *const script[] = { "R:Hmm.", "All ", "at once.", NULL };

  remote_test_server_set_script (s->server, script);
  remote_test_server_set_reply (s->server, REMOTE_TEST_REPLY_WHOLE);
  run_chat (s->client, "test-model", NULL, &s->o);
  g_assert_no_error (s->o.error);
  g_assert_cmpstr (s->o.content->str, ==, "All at once.");
  g_assert_cmpstr (s->o.reasoning->str, ==, "Hmm.");
  g_assert_cmpstr (s->o.result->finish_reason, ==, "stop");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, StandIn, NULL, stand_in_set_up, func, stand_in_tear_down)
  g_test_add_func ("/remote/client/normalize-url", test_normalize_url);
  g_test_add_func ("/remote/client/bendi/list-models", test_bendi_list_models);
  g_test_add_func ("/remote/client/bendi/stream-matches-whole", test_bendi_stream_matches_whole);
  g_test_add_func ("/remote/client/bendi/cancel", test_bendi_cancel);
  g_test_add_func ("/remote/client/bendi/api-key", test_bendi_api_key);
  ADD ("/remote/client/list-models-context", test_list_models_context);
  ADD ("/remote/client/request-body", test_request_body);
  g_test_add_func ("/remote/client/usage", test_usage_counted_without_server_usage);
  ADD ("/remote/client/model-not-found", test_model_not_found);
  ADD ("/remote/client/rate-limited", test_rate_limited);
  ADD ("/remote/client/server-error", test_server_error);
  ADD ("/remote/client/stream-cut", test_stream_cut);
  ADD ("/remote/client/error-event", test_error_event);
  ADD ("/remote/client/stall-times-out", test_stall_times_out);
  ADD ("/remote/client/cancel-mid-stream", test_cancel_mid_stream);
  ADD ("/remote/client/cancel-stops-deltas", test_cancel_stops_deltas);
  ADD ("/remote/client/cancel-before-send", test_cancel_before_send);
  ADD ("/remote/client/garbage", test_garbage);
  g_test_add_func ("/remote/client/unreachable", test_unreachable);
  g_test_add_func ("/remote/client/silent-server", test_silent_server);
  ADD ("/remote/client/reasoning-content", test_reasoning_content);
  ADD ("/remote/client/inline-think", test_inline_think);
  ADD ("/remote/client/whole-json-answer", test_whole_json_answer);
#undef ADD

  return g_test_run ();
}
