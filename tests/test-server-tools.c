/* SPDX-License-Identifier: MIT */
/* Tool calls parsed from replies: Qwen/Hermes, Llama 3.1 and Mistral forms, and what is not a call. */
#include <json-glib/json-glib.h>
#include <string.h>

#include "tool-calls.h"

static const char *const tools[] = { "get_weather", "search", NULL };

/* Checks @reply gives @n calls, the first named @name with arguments that
 * parse to an object with @key, and @content around them. */
static void
assert_calls (const char *reply,
              guint       n,
              const char *name,
              const char *key,
              const char *content)
{
  g_autofree char *rest = NULL;
  g_autoptr (GPtrArray) calls = bendi_tool_calls_parse (reply, tools, &rest);
  g_autoptr (JsonParser) parser = json_parser_new ();
  BendiToolCall *call;

  g_assert_nonnull (calls);
  g_assert_cmpuint (calls->len, ==, n);
  call = g_ptr_array_index (calls, 0);
  g_assert_cmpstr (call->name, ==, name);
  g_assert_true (json_parser_load_from_data (parser, call->arguments, -1, NULL));
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  if (key != NULL)
    g_assert_true (json_object_has_member (json_node_get_object (json_parser_get_root (parser)), key));
  g_assert_cmpstr (rest, ==, content);
}

static void
assert_no_calls (const char *reply)
{
  g_autofree char *rest = NULL;
  g_autoptr (GPtrArray) calls = bendi_tool_calls_parse (reply, tools, &rest);

  g_assert_null (calls);
  g_assert_null (rest);
}

static void
test_hermes (void)
{
  assert_calls ("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}\n</tool_call>", 1,
                "get_weather", "city", NULL);
  assert_calls ("Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}\n"
                "</tool_call>\n<tool_call>\n{\"name\": \"search\", \"arguments\": {\"q\": \"rain\"}}\n</tool_call>",
                2, "get_weather", "city", "Let me check.");
  /* cut short before the closing tag */
  assert_calls ("<tool_call>{\"name\": \"search\", \"arguments\": {\"q\": \"x\"}}", 1, "search", "q", NULL);
  /* arguments given as a string of JSON are kept as such */
  assert_calls ("<tool_call>{\"name\": \"search\", \"arguments\": \"{\\\"q\\\": 1}\"}</tool_call>", 1, "search", "q",
                NULL);
  assert_no_calls ("<tool_call>not json</tool_call>");
  assert_no_calls ("<tool_call>{\"arguments\": {}}</tool_call>");
}

static void
test_llama (void)
{
  assert_calls ("{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}", 1, "get_weather", "city", NULL);
  assert_calls ("  {\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}\n", 1, "get_weather", "city",
                NULL);
  assert_calls ("<|python_tag|>{\"name\": \"anything\", \"parameters\": {\"a\": 1}}", 1, "anything", "a", NULL);
  assert_calls ("{\"name\": \"search\", \"parameters\": {\"q\": \"a\"}}; {\"name\": \"get_weather\", \"parameters\": {}}",
                2, "search", "q", NULL);
  /* bare JSON is a call only when it names an offered tool */
  assert_no_calls ("{\"name\": \"launch_rockets\", \"parameters\": {}}");
  assert_no_calls ("{\"answer\": 42}");
  assert_no_calls ("The weather is {\"name\": \"get_weather\"} nice");
  assert_no_calls ("Plain text, no call.");
  assert_no_calls ("");
}

static void
test_mistral (void)
{
  assert_calls ("[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Rome\"}}]", 1, "get_weather",
                "city", NULL);
  assert_calls ("Sure. [TOOL_CALLS] [{\"name\": \"search\", \"arguments\": {\"q\": \"x\"}}, "
                "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Rome\"}}]", 2, "search", "q", "Sure.");
  /* the newer form: name[ARGS]{…}, one marker per call */
  assert_calls ("[TOOL_CALLS]get_weather[ARGS]{\"city\": \"Rome\"}[TOOL_CALLS]search[ARGS]{\"q\": \"y\"}", 2,
                "get_weather", "city", NULL);
  /* the marker is a control token in Mistral's vocabulary and may be gone:
   * a bare list of calls still counts */
  assert_calls ("[{\"name\": \"search\", \"arguments\": {\"q\": \"x\"}}]", 1, "search", "q", NULL);
  assert_no_calls ("[TOOL_CALLS]get_weather{\"city\": 1}");
  assert_no_calls ("[TOOL_CALLS][]");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server/tool-calls/hermes", test_hermes);
  g_test_add_func ("/server/tool-calls/llama", test_llama);
  g_test_add_func ("/server/tool-calls/mistral", test_mistral);

  return g_test_run ();
}
