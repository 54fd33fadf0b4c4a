/* SPDX-License-Identifier: MIT */
/* Parsing tool calls out of replies: three marker families and the bare JSON that remains when the markers are control tokens. */
#include "tool-calls.h"

#include <json-glib/json-glib.h>
#include <string.h>

#define HERMES_OPEN   "<tool_call>"
#define HERMES_CLOSE  "</tool_call>"
#define MISTRAL_CALLS "[TOOL_CALLS]"
#define MISTRAL_ARGS  "[ARGS]"
#define PYTHON_TAG    "<|python_tag|>"

void
bendi_tool_call_free (BendiToolCall *call)
{
  if (call == NULL)
    return;
  g_free (call->name);
  g_free (call->arguments);
  g_free (call);
}

const char *const *
bendi_tool_calls_get_markers (void)
{
  static const char *const markers[] = { HERMES_OPEN, MISTRAL_CALLS, PYTHON_TAG, NULL };

  return markers;
}

static gboolean
name_allowed (const char        *name,
              const char *const *tool_names)
{
  return tool_names == NULL || g_strv_contains (tool_names, name);
}

/* {"name": "...", "arguments"|"parameters": {...} or "..."} as a call. */
static BendiToolCall *
call_from_object (JsonNode *node)
{
  JsonObject *object;
  JsonNode *name, *arguments;
  BendiToolCall *call;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  object = json_node_get_object (node);
  name = json_object_get_member (object, "name");
  arguments = json_object_get_member (object, "arguments");
  if (arguments == NULL)
    arguments = json_object_get_member (object, "parameters");
  if (name == NULL || !JSON_NODE_HOLDS_VALUE (name) || json_node_get_value_type (name) != G_TYPE_STRING)
    return NULL;
  call = g_new0 (BendiToolCall, 1);
  call->name = g_strdup (json_node_get_string (name));
  if (arguments == NULL || JSON_NODE_HOLDS_NULL (arguments))
    call->arguments = g_strdup ("{}");
  else if (JSON_NODE_HOLDS_VALUE (arguments) && json_node_get_value_type (arguments) == G_TYPE_STRING)
    call->arguments = g_strdup (json_node_get_string (arguments));
  else
    call->arguments = json_to_string (arguments, FALSE);
  return call;
}

static JsonNode *
parse_json (const char *text,
            gssize      len)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *copy = g_strstrip (g_strndup (text, len < 0 ? strlen (text) : (gsize) len));

  if (copy[0] != '{' && copy[0] != '[')
    return NULL;
  if (!json_parser_load_from_data (parser, copy, -1, NULL) || json_parser_get_root (parser) == NULL)
    return NULL;
  return json_node_copy (json_parser_get_root (parser));
}

/* An object, or a list of objects, each a call. */
static gboolean
add_calls_from_json (GPtrArray         *calls,
                     JsonNode          *node,
                     const char *const *tool_names)
{
  if (node == NULL)
    return FALSE;
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      if (json_array_get_length (array) == 0)
        return FALSE;
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          BendiToolCall *call = call_from_object (json_array_get_element (array, i));

          if (call == NULL || !name_allowed (call->name, tool_names))
            {
              bendi_tool_call_free (call);
              return FALSE;
            }
          g_ptr_array_add (calls, call);
        }
      return TRUE;
    }
  {
    BendiToolCall *call = call_from_object (node);

    if (call == NULL || !name_allowed (call->name, tool_names))
      {
        bendi_tool_call_free (call);
        return FALSE;
      }
    g_ptr_array_add (calls, call);
    return TRUE;
  }
}

static gboolean
parse_hermes (const char  *reply,
              GPtrArray   *calls,
              GString     *content)
{
  const char *p = reply;
  const char *open;

  while ((open = strstr (p, HERMES_OPEN)) != NULL)
    {
      const char *body = open + strlen (HERMES_OPEN);
      const char *close = strstr (body, HERMES_CLOSE);
      g_autoptr (JsonNode) node = NULL;

      g_string_append_len (content, p, open - p);
      /* A reply cut short may lack the closing tag. */
      node = parse_json (body, close != NULL ? close - body : -1);
      if (!add_calls_from_json (calls, node, NULL))
        return FALSE;
      if (close == NULL)
        return TRUE;
      p = close + strlen (HERMES_CLOSE);
    }
  g_string_append (content, p);
  return calls->len > 0;
}

static gboolean
parse_mistral (const char *reply,
               GPtrArray  *calls,
               GString    *content)
{
  const char *marker = strstr (reply, MISTRAL_CALLS);
  const char *p;

  if (marker == NULL)
    return FALSE;
  g_string_append_len (content, reply, marker - reply);
  p = marker + strlen (MISTRAL_CALLS);
  while (g_ascii_isspace (*p))
    p++;
  if (*p == '[' || *p == '{')
    {
      g_autoptr (JsonNode) node = parse_json (p, -1);

      return add_calls_from_json (calls, node, NULL);
    }
  /* name[ARGS]{...}, repeated, each after its own [TOOL_CALLS] */
  while (*p != '\0')
    {
      const char *args = strstr (p, MISTRAL_ARGS);
      const char *next;
      g_autoptr (JsonNode) node = NULL;
      BendiToolCall *call;

      if (args == NULL)
        return FALSE;
      next = strstr (args, MISTRAL_CALLS);
      node = parse_json (args + strlen (MISTRAL_ARGS), next != NULL ? next - args - (gssize) strlen (MISTRAL_ARGS) : -1);
      if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
        return FALSE;
      call = g_new0 (BendiToolCall, 1);
      call->name = g_strstrip (g_strndup (p, args - p));
      call->arguments = json_to_string (node, FALSE);
      g_ptr_array_add (calls, call);
      if (call->name[0] == '\0')
        return FALSE;
      p = next != NULL ? next + strlen (MISTRAL_CALLS) : "";
    }
  return calls->len > 0;
}

/* Llama 3.1: the whole reply is the call (or calls separated by ";"). */
static gboolean
parse_llama (const char        *reply,
             const char *const *tool_names,
             GPtrArray         *calls)
{
  const char *tag = strstr (reply, PYTHON_TAG);
  g_autofree char *text = g_strstrip (g_strdup (tag != NULL ? tag + strlen (PYTHON_TAG) : reply));
  g_autoptr (JsonNode) whole = parse_json (text, -1);
  g_auto (GStrv) parts = NULL;

  if (tag != NULL)
    tool_names = NULL;   /* the tag says it is a call */
  if (whole != NULL)
    return add_calls_from_json (calls, whole, tool_names);
  if (text[0] != '{')
    return FALSE;
  parts = g_strsplit (text, ";", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_autoptr (JsonNode) node = parse_json (parts[i], -1);

      if (g_strstrip (parts[i])[0] == '\0')
        continue;
      if (!add_calls_from_json (calls, node, tool_names))
        return FALSE;
    }
  return calls->len > 0;
}

GPtrArray *
bendi_tool_calls_parse (const char        *reply,
                        const char *const *tool_names,
                        char             **content)
{
  g_autoptr (GPtrArray) calls = g_ptr_array_new_with_free_func ((GDestroyNotify) bendi_tool_call_free);
  g_autoptr (GString) rest = g_string_new (NULL);
  gboolean found;

  *content = NULL;
  if (strstr (reply, HERMES_OPEN) != NULL)
    found = parse_hermes (reply, calls, rest);
  else if (strstr (reply, MISTRAL_CALLS) != NULL)
    found = parse_mistral (reply, calls, rest);
  else
    found = parse_llama (reply, tool_names, calls);
  if (!found || calls->len == 0)
    return NULL;
  g_strstrip (rest->str);
  rest->len = strlen (rest->str);
  if (rest->len > 0)
    *content = g_string_free (g_steal_pointer (&rest), FALSE);
  return g_steal_pointer (&calls);
}
