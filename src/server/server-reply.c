/* SPDX-License-Identifier: MIT */
/* Reply helpers for the server: OpenAI-shaped errors, JSON bodies, the nesting check, JSON to template values, ids. */
#include "server-private.h"

#include <string.h>

void
server_reply_json (SoupServerMessage *msg,
                   guint              status,
                   JsonBuilder       *builder)
{
  char *text = server_builder_to_string (builder);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, text, strlen (text));
}

char *
server_builder_to_string (JsonBuilder *builder)
{
  g_autoptr (JsonNode) root = json_builder_get_root (builder);

  return json_to_string (root, FALSE);
}

void
server_reply_error (SoupServerMessage *msg,
                    guint              status,
                    const char        *type,
                    const char        *code,
                    const char        *param,
                    const char        *format,
                    ...)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, type);
  json_builder_set_member_name (b, "param");
  if (param != NULL)
    json_builder_add_string_value (b, param);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "code");
  if (code != NULL)
    json_builder_add_string_value (b, code);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  json_builder_end_object (b);
  server_reply_json (msg, status, b);
}

gboolean
server_json_too_deep (const char *text,
                      gsize       len,
                      guint       max_depth)
{
  guint depth = 0;
  gboolean in_string = FALSE;

  for (gsize i = 0; i < len; i++)
    {
      char c = text[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          if (++depth > max_depth)
            return TRUE;
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }
  return FALSE;
}

BendiTemplateValue *
server_template_value_from_json (JsonNode *node,
                                 guint     depth)
{
  if (depth > SERVER_MAX_JSON_DEPTH)
    return NULL;
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_BOOLEAN:
          return bendi_template_value_new_boolean (json_node_get_boolean (node));
        case G_TYPE_INT64:
          return bendi_template_value_new_integer (json_node_get_int (node));
        case G_TYPE_DOUBLE:
          return bendi_template_value_new_float (json_node_get_double (node));
        default:
          return bendi_template_value_new_string (json_node_get_string (node), -1);
        }
    case JSON_NODE_ARRAY:
      {
        g_autoptr (BendiTemplateValue) list = bendi_template_value_new_list ();
        JsonArray *array = json_node_get_array (node);

        for (guint i = 0; i < json_array_get_length (array); i++)
          {
            BendiTemplateValue *item = server_template_value_from_json (json_array_get_element (array, i), depth + 1);

            if (item == NULL)
              return NULL;
            bendi_template_value_list_append (list, item);
          }
        return g_steal_pointer (&list);
      }
    case JSON_NODE_OBJECT:
      {
        g_autoptr (BendiTemplateValue) dict = bendi_template_value_new_dict ();
        JsonObjectIter iter;
        const char *name;
        JsonNode *member;

        /* Members in the request's order, as Python's dicts keep them. */
        json_object_iter_init_ordered (&iter, json_node_get_object (node));
        while (json_object_iter_next_ordered (&iter, &name, &member))
          {
            BendiTemplateValue *item = server_template_value_from_json (member, depth + 1);

            if (item == NULL)
              return NULL;
            bendi_template_value_dict_set (dict, name, item);
          }
        return g_steal_pointer (&dict);
      }
    case JSON_NODE_NULL:
    default:
      return bendi_template_value_new_none ();
    }
}

char *
server_random_id (const char *prefix)
{
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  GString *id = g_string_new (prefix);

  for (int i = 0; i < 24; i++)
    g_string_append_c (id, alphabet[g_random_int_range (0, (gint32) sizeof alphabet - 1)]);
  return g_string_free (id, FALSE);
}
