/* SPDX-License-Identifier: MIT */
/* bendi-cli serve as a user runs it: unsafe command lines refused with the reason, and a served model answering
 * until SIGTERM, with prompts kept out of its log. */
#include <gio/gio.h>
#include <signal.h>
#include <string.h>

#include "test-server-util.h"
#include "test-util.h"

/* Runs bendi-cli with @args (NULL-terminated), returning its exit status
 * and stderr. */
static int
run_cli (const char *const *args,
         char             **err_out)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;

  g_ptr_array_add (argv, (gpointer) bendi_test_cli_path ());
  for (gsize i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_newv ((const char *const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, NULL, err_out, &error);
  g_assert_no_error (error);
  return g_subprocess_get_exit_status (process);
}

/* A non-loopback address without a key, a wildcard origin and nonsense
 * are refused before anything listens, each saying why. */
static void
test_refuses_unsafe (void)
{
  g_autofree char *model = bendi_test_data_path ("models/stories260K.gguf");
  struct {
    const char *args[8];
    const char *says;
  } cases[] = {
    { { "serve", "-m", NULL, "--host", "0.0.0.0", "--port", "0", NULL }, "--api-key" },
    { { "serve", "-m", NULL, "--cors", "*", "--port", "0", NULL }, "--cors" },
    { { "serve", "-m", NULL, "--host", "example.org", NULL }, "not an IP address" },
    { { "serve", "-m", NULL, "--gpu-layers", "10", NULL }, "--gpu-layers" },
    { { "serve", "-m", NULL, "--parallel", "0", NULL }, "out of range" },
    { { "serve", "--port", "0", NULL }, "-m" },
  };

  if (model == NULL || bendi_test_cli_path () == NULL)
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *err = NULL;
      int status;

      if (cases[i].args[2] == NULL && g_str_equal (cases[i].args[1], "-m"))
        cases[i].args[2] = model;
      status = run_cli (cases[i].args, &err);
      g_assert_cmpint (status, ==, 2);
      g_assert_nonnull (strstr (err, cases[i].says));
    }
}

/* Reads the port from "Listening on http://127.0.0.1:PORT/v1". */
static guint16
read_port (GDataInputStream *out)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  const char *p;

  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "Listening on http://127.0.0.1:"));
  p = line + strlen ("Listening on http://127.0.0.1:");
  return (guint16) g_ascii_strtoull (p, NULL, 10);
}

/* Serves stories260K on a free port: 503 or 200 from /health while it
 * loads, then chat answers; SIGTERM ends it with status 0, and the
 * verbose log names requests but never their prompt. */
static void
test_serve (void)
{
  g_autofree char *model = bendi_test_data_path ("models/stories260K.gguf");
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GDataInputStream) out = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *rest_out = NULL;
  g_autofree char *err = NULL;
  static const char secret[] = "zebra-umbrella-4711";
  g_autofree char *body = g_strdup_printf ("{\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}],\"max_tokens\":8}",
                                           secret);
  guint16 port;
  guint health = 0;

  if (model == NULL || bendi_test_cli_path () == NULL)
    return;
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                              bendi_test_cli_path (), "serve", "-m", model, "--port", "0", "-t", "1", "--verbose",
                              "--alias", "tales", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  port = read_port (out);
  g_assert_cmpuint (port, >, 0);

  for (int i = 0; i < 2000; i++)
    {
      g_autoptr (TestResponse) r = test_http (port, "GET", "/health", NULL, NULL);

      health = r->status;
      g_assert_true (health == 200 || health == 503);
      if (health == 200)
        break;
      g_usleep (5000);
    }
  g_assert_cmpuint (health, ==, 200);
  {
    g_autoptr (TestResponse) models = test_http (port, "GET", "/v1/models", NULL, NULL);
    g_autoptr (TestResponse) chat = test_http (port, "POST", "/v1/chat/completions", body, NULL);
    g_autoptr (JsonNode) root = NULL;

    g_assert_cmpuint (models->status, ==, 200);
    root = test_parse_json (models->body->str);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (
                       json_object_get_array_member (json_node_get_object (root), "data"), 0), "id"), ==, "tales");
    g_assert_cmpuint (chat->status, ==, 200);
  }

  g_subprocess_send_signal (process, SIGTERM);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &rest_out, &err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  /* the verbose log saw the request, not its words */
  g_assert_nonnull (strstr (err, "/v1/chat/completions"));
  g_assert_null (strstr (err, secret));
  g_assert_null (strstr (rest_out, secret));
}

/* SIGTERM as soon as it listens, most likely while the model loads: the
 * load gives up and that is no failure. */
static void
test_sigterm_while_loading (void)
{
  g_autofree char *model = bendi_test_data_path ("models/stories260K.gguf");
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GDataInputStream) out = NULL;
  g_autoptr (GError) error = NULL;

  if (model == NULL || bendi_test_cli_path () == NULL)
    return;
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                              bendi_test_cli_path (), "serve", "-m", model, "--port", "0", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  g_assert_cmpuint (read_port (out), >, 0);
  g_subprocess_send_signal (process, SIGTERM);
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server/cli/refuses-unsafe", test_refuses_unsafe);
  g_test_add_func ("/server/cli/serve", test_serve);
  g_test_add_func ("/server/cli/sigterm-while-loading", test_sigterm_while_loading);

  return g_test_run ();
}
