/* SPDX-License-Identifier: MIT */
/* Compatibility with the official openai client library for Node: a plain and a streamed chat, models, errors.
 * With BENDI_TEST_NPM=1 the package is installed from npm into a temporary directory; the test skips
 * without it (the suite talks to nothing but its own servers by default), and when node, npm or the
 * registry is not there. */
#include <json-glib/json-glib.h>
#include <string.h>

#include "test-server-util.h"
#include "test-util.h"

static const char script[] =
  "import OpenAI from 'openai';\n"
  "const client = new OpenAI({ baseURL: process.env.BASE_URL, apiKey: 'test-key', maxRetries: 0 });\n"
  "const ask = { model: 'stories260K', messages: [{ role: 'user', content: 'Once upon a time' }],\n"
  "              max_tokens: 16, temperature: 0 };\n"
  "const plain = await client.chat.completions.create(ask);\n"
  "let streamed = '', finish = null, usage = null, chunks = 0;\n"
  "const stream = await client.chat.completions.create({ ...ask, stream: true,\n"
  "                                                      stream_options: { include_usage: true } });\n"
  "for await (const chunk of stream) {\n"
  "  chunks++;\n"
  "  if (chunk.choices.length > 0) {\n"
  "    streamed += chunk.choices[0].delta.content ?? '';\n"
  "    if (chunk.choices[0].finish_reason) finish = chunk.choices[0].finish_reason;\n"
  "  }\n"
  "  if (chunk.usage) usage = chunk.usage;\n"
  "}\n"
  "const models = await client.models.list();\n"
  "let error = null;\n"
  "try { await client.chat.completions.create({ ...ask, model: 'no-such-model' }); }\n"
  "catch (e) { error = { status: e.status, code: e.code ?? null }; }\n"
  "const anonymous = new OpenAI({ baseURL: process.env.BASE_URL, apiKey: 'wrong', maxRetries: 0 });\n"
  "let auth = null;\n"
  "try { await anonymous.models.list(); } catch (e) { auth = e.status; }\n"
  "console.log(JSON.stringify({ plain: plain.choices[0].message.content, plain_finish: plain.choices[0].finish_reason,\n"
  "  plain_usage: plain.usage, streamed, finish, usage, chunks, models: models.data.map(m => m.id), error, auth }));\n";

static gboolean
run (const char  *dir,
     const char **argv,
     char       **out)
{
  g_autoptr (GError) error = NULL;
  int status = 0;

  if (!g_spawn_sync (dir, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | (out == NULL ? G_SPAWN_STDOUT_TO_DEV_NULL : 0),
                     NULL, NULL, out, NULL, &status, &error))
    return FALSE;
  return g_spawn_check_wait_status (status, NULL);
}

static void
test_openai_client (void)
{
  g_autofree char *node = g_find_program_in_path ("node");
  g_autofree char *npm = g_find_program_in_path ("npm");
  g_autofree char *dir = NULL;
  g_autofree char *script_path = NULL;
  g_autofree char *base_url = NULL;
  g_autofree char *output = NULL;
  g_autoptr (BendiServer) server = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GError) error = NULL;
  BendiServerOptions options;
  JsonObject *result;
  const char *install[] = { "timeout", "240", "npm", "install", "--no-audit", "--no-fund", "--silent",
                            "--prefix", NULL, "openai@4", NULL };

  /* The suite never reaches beyond 127.0.0.1 unless asked to. */
  if (g_strcmp0 (g_getenv ("BENDI_TEST_NPM"), "1") != 0)
    {
      g_test_skip ("set BENDI_TEST_NPM=1 to install the openai client library from npm and run it");
      return;
    }
  if (node == NULL || npm == NULL)
    {
      g_test_skip ("node and npm are needed for the openai client library");
      return;
    }
  dir = bendi_test_make_temp_dir ();
  install[8] = dir;
  if (!run (dir, install, NULL))
    {
      g_test_skip ("npm could not install the openai package (no registry?)");
      bendi_test_remove_dir (dir);
      return;
    }

  bendi_server_options_init (&options);
  options.api_key = "test-key";
  server = test_server_start (&options);
  if (server == NULL)
    {
      bendi_test_remove_dir (dir);
      return;
    }
  script_path = g_build_filename (dir, "check.mjs", NULL);
  g_assert_true (g_file_set_contents (script_path, script, -1, &error));
  base_url = g_strdup_printf ("http://127.0.0.1:%u/v1", bendi_server_get_port (server));
  {
    const char *argv[] = { "env", NULL, "node", script_path, NULL };
    g_autofree char *env = g_strdup_printf ("BASE_URL=%s", base_url);

    argv[1] = env;
    g_assert_true (run (dir, argv, &output));
  }
  root = test_parse_json (output);
  result = json_node_get_object (root);
  g_assert_cmpuint (strlen (json_object_get_string_member (result, "plain")), >, 0);
  g_assert_cmpstr (json_object_get_string_member (result, "plain"), ==,
                   json_object_get_string_member (result, "streamed"));
  g_assert_cmpstr (json_object_get_string_member (result, "plain_finish"), ==, "length");
  g_assert_cmpstr (json_object_get_string_member (result, "finish"), ==, "length");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (result, "plain_usage"),
                                               "completion_tokens"), ==, 16);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (result, "usage"), "completion_tokens"),
                   ==, 16);
  g_assert_cmpint (json_object_get_int_member (result, "chunks"), >, 3);
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (result, "models"), 0), ==,
                   "stories260K");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (result, "error"), "status"), ==, 404);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (result, "error"), "code"), ==,
                   "model_not_found");
  g_assert_cmpint (json_object_get_int_member (result, "auth"), ==, 401);
  bendi_test_remove_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server/openai/client", test_openai_client);

  return g_test_run ();
}
