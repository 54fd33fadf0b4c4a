/* SPDX-License-Identifier: MIT */
/* bendi-cli chat --endpoint, run as a user would, against Bendi's own
 * server and against the misbehaving stand-in. */
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>

#include "remote-test-server.h"
#include "test-server-util.h"
#include "test-util.h"

static char *
server_url (BendiServer *server)
{
  return g_strdup_printf ("http://127.0.0.1:%u", bendi_server_get_port (server));
}

/* The reply of Bendi's server to one user message, greedy, not streamed. */
static char *
whole_reply (BendiServer *server,
             const char  *text,
             gint         max_tokens)
{
  g_autofree char *body = g_strdup_printf ("{\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}],"
                                           "\"temperature\":0,\"max_tokens\":%d}", text, max_tokens);
  g_autoptr (TestResponse) response = test_http (bendi_server_get_port (server), "POST", "/v1/chat/completions",
                                                 body, NULL);
  g_autoptr (JsonNode) root = NULL;
  JsonObject *choice;

  g_assert_cmpuint (response->status, ==, 200);
  root = test_parse_json (response->body->str);
  choice = json_array_get_object_element (json_object_get_array_member (json_node_get_object (root), "choices"), 0);
  return g_strdup (json_object_get_string_member (json_object_get_object_member (choice, "message"), "content"));
}

static void
test_chat_with_bendi (void)
{
  g_autoptr (BendiServer) server = test_server_start (NULL);
  g_autofree char *url = NULL;
  g_autofree char *expected = NULL;
  g_auto (BendiTestRun) run = { 0 };

  if (server == NULL)
    return;
  url = server_url (server);
  expected = whole_reply (server, "Once upon a time", 20);
  g_assert_cmpuint (strlen (expected), >, 0);

  if (!bendi_test_run_cli (&run, (const char *const[]) { "chat", "--endpoint", url, "-m", "stories260K", "--temp", "0",
                                                         "-n", "20", NULL },
                           "Once upon a time\nAnd then?"))
    return;
  g_assert_cmpint (run.status, ==, 0);
  /* The first answer is the server's greedy reply, streamed. */
  g_assert_true (g_str_has_prefix (run.out, expected));
  /* A second answer came (what history it was sent is not seen here). */
  g_assert_cmpuint (strlen (run.out), >, strlen (expected) + 2);
  g_assert_cmpstr (run.err, ==, "");
}

static void
test_list_models (void)
{
  g_autoptr (BendiServer) server = test_server_start (NULL);
  RemoteTestServer *stand_in = remote_test_server_new ();
  g_autofree char *url = NULL;
  g_auto (BendiTestRun) bendi = { 0 };
  g_auto (BendiTestRun) other = { 0 };

  if (server == NULL)
    {
      remote_test_server_free (stand_in);
      return;
    }
  url = server_url (server);
  if (!bendi_test_run_cli (&bendi, (const char *const[]) { "chat", "--endpoint", url, "--list-models", NULL }, NULL))
    {
      remote_test_server_free (stand_in);
      return;
    }
  g_assert_cmpint (bendi.status, ==, 0);
  g_assert_cmpstr (bendi.out, ==, "stories260K\n");

  bendi_test_run_cli (&other, (const char *const[]) { "chat", "--endpoint", remote_test_server_get_url (stand_in),
                                                      "--list-models", NULL }, NULL);
  g_assert_cmpint (other.status, ==, 0);
  g_assert_cmpstr (other.out, ==, "test-model\t8192 tokens\nsmall-model\t2048 tokens\n");
  remote_test_server_free (stand_in);
}

static void
test_api_key (void)
{
  BendiServerOptions options;
  g_autoptr (BendiServer) server = NULL;
  g_autofree char *url = NULL;
  g_auto (BendiTestRun) without = { 0 };
  g_auto (BendiTestRun) with = { 0 };
  g_auto (BendiTestRun) wrong = { 0 };
  g_auto (BendiTestRun) unset = { 0 };

  bendi_server_options_init (&options);
  options.api_key = "open-sesame";
  server = test_server_start (&options);
  if (server == NULL)
    return;
  url = server_url (server);

  if (!bendi_test_run_cli (&without, (const char *const[]) { "chat", "--endpoint", url, "-m", "stories260K",
                                                             "-n", "4", NULL }, "Hi"))
    return;
  g_assert_cmpint (without.status, ==, 1);
  g_assert_nonnull (strstr (without.err, "needs an API key"));

  g_setenv ("BENDI_TEST_REMOTE_KEY", "open-sesame", TRUE);
  bendi_test_run_cli (&with, (const char *const[]) { "chat", "--endpoint", url, "-m", "stories260K", "-n", "4",
                                                     "--api-key-env", "BENDI_TEST_REMOTE_KEY", NULL }, "Hi");
  g_assert_cmpint (with.status, ==, 0);
  g_assert_cmpuint (strlen (with.out), >, 1);
  g_setenv ("BENDI_TEST_REMOTE_KEY", "open-barley", TRUE);
  bendi_test_run_cli (&wrong, (const char *const[]) { "chat", "--endpoint", url, "-m", "stories260K", "-n", "4",
                                                      "--api-key-env", "BENDI_TEST_REMOTE_KEY", NULL }, "Hi");
  g_assert_cmpint (wrong.status, ==, 1);
  g_assert_nonnull (strstr (wrong.err, "refused the API key"));
  g_unsetenv ("BENDI_TEST_REMOTE_KEY");

  /* A variable that is not set is a mistake on the command line. */
  bendi_test_run_cli (&unset, (const char *const[]) { "chat", "--endpoint", url, "-m", "stories260K",
                                                      "--api-key-env", "BENDI_TEST_REMOTE_KEY", NULL }, "Hi");
  g_assert_cmpint (unset.status, ==, 2);
  g_assert_nonnull (strstr (unset.err, "BENDI_TEST_REMOTE_KEY"));
}

static void
test_errors (void)
{
  RemoteTestServer *server = remote_test_server_new ();
  const char *url = remote_test_server_get_url (server);
  g_auto (BendiTestRun) unknown = { 0 };
  g_auto (BendiTestRun) busy = { 0 };
  g_auto (BendiTestRun) bad_url = { 0 };
  g_auto (BendiTestRun) no_model = { 0 };
  g_auto (BendiTestRun) stray = { 0 };

  if (!bendi_test_run_cli (&unknown, (const char *const[]) { "chat", "--endpoint", url, "-m", "gpt-17", NULL }, "Hi"))
    {
      remote_test_server_free (server);
      return;
    }
  g_assert_cmpint (unknown.status, ==, 1);
  g_assert_nonnull (strstr (unknown.err, "The model `gpt-17` does not exist"));

  remote_test_server_set_reply (server, REMOTE_TEST_REPLY_RATE_LIMITED);
  bendi_test_run_cli (&busy, (const char *const[]) { "chat", "--endpoint", url, "-m", "test-model", NULL }, "Hi");
  g_assert_cmpint (busy.status, ==, 1);
  g_assert_nonnull (strstr (busy.err, "try again in 7 s"));

  bendi_test_run_cli (&bad_url, (const char *const[]) { "chat", "--endpoint", "ftp://host", "-m", "x", NULL }, "Hi");
  g_assert_cmpint (bad_url.status, ==, 2);
  bendi_test_run_cli (&no_model, (const char *const[]) { "chat", "--endpoint", url, NULL }, "Hi");
  g_assert_cmpint (no_model.status, ==, 2);
  bendi_test_run_cli (&stray, (const char *const[]) { "chat", "-m", "x.gguf", "--list-models", NULL }, NULL);
  g_assert_cmpint (stray.status, ==, 2);
  remote_test_server_free (server);
}

/* Reasoning is shown before the answer (dimmed on a terminal; here, a pipe,
 * plain), a blank line between them. */
static void
test_reasoning (void)
{
  static const char *const script[] = { "R:Two and", "R: two.", "Four", ".", NULL };
  RemoteTestServer *server = remote_test_server_new ();
  g_auto (BendiTestRun) run = { 0 };

  remote_test_server_set_script (server, script);
  if (bendi_test_run_cli (&run, (const char *const[]) { "chat", "--endpoint", remote_test_server_get_url (server),
                                                        "-m", "test-model", NULL }, "2+2?"))
    {
      g_assert_cmpint (run.status, ==, 0);
      g_assert_cmpstr (run.out, ==, "Two and two.\n\nFour.\n");
    }
  remote_test_server_free (server);
}

/* Ctrl+C stops the answer and closes its stream; the chat goes on. */
static void
test_interrupt_stops_answer (void)
{
  static const char *const script[] = { "one", " two", " three", " four", " five", " six", " seven", " eight", NULL };
  const char *cli = bendi_test_cli_path ();
  RemoteTestServer *server = NULL;
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) out = g_string_new (NULL);
  GOutputStream *stdin_pipe;
  GInputStream *stdout_pipe;
  char buffer[4096];
  gssize n;
  gint64 deadline;

  if (cli == NULL)
    return;
  server = remote_test_server_new ();
  remote_test_server_set_script (server, script);
  remote_test_server_set_delay (server, 200);
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                              cli, "chat", "--endpoint", remote_test_server_get_url (server), "-m", "test-model", NULL);
  g_assert_no_error (error);
  stdin_pipe = g_subprocess_get_stdin_pipe (process);
  stdout_pipe = g_subprocess_get_stdout_pipe (process);
  g_output_stream_write_all (stdin_pipe, "Count\n", 6, NULL, NULL, &error);
  g_assert_no_error (error);

  while (strstr (out->str, "one") == NULL)
    {
      n = g_input_stream_read (stdout_pipe, buffer, sizeof buffer, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpint (n, >, 0);
      g_string_append_len (out, buffer, n);
    }
  g_subprocess_send_signal (process, SIGINT);
  g_output_stream_write_all (stdin_pipe, "/exit\n", 6, NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (stdin_pipe, NULL, NULL);
  while ((n = g_input_stream_read (stdout_pipe, buffer, sizeof buffer, NULL, &error)) > 0)
    g_string_append_len (out, buffer, n);
  g_assert_no_error (error);
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);

  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  g_assert_nonnull (strstr (out->str, "[stopped]"));
  g_assert_null (strstr (out->str, "eight"));

  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (remote_test_server_count_abandoned (server) == 0 && g_get_monotonic_time () < deadline)
    g_usleep (2000);
  g_assert_cmpuint (remote_test_server_count_abandoned (server), ==, 1);
  remote_test_server_free (server);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/remote/cli/chat-with-bendi", test_chat_with_bendi);
  g_test_add_func ("/remote/cli/list-models", test_list_models);
  g_test_add_func ("/remote/cli/api-key", test_api_key);
  g_test_add_func ("/remote/cli/errors", test_errors);
  g_test_add_func ("/remote/cli/reasoning", test_reasoning);
  g_test_add_func ("/remote/cli/interrupt-stops-answer", test_interrupt_stops_answer);

  return g_test_run ();
}
