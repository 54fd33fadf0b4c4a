/* SPDX-License-Identifier: MIT */
/* Template values from json-glib nodes, for the layers that read JSON (the CLI, the server, tests).
 *
 * Header-only on purpose: the engine library itself stays free of
 * json-glib, and only what includes this header links it. */
#pragma once

#include <json-glib/json-glib.h>

#include "engine-error.h"
#include "template/template.h"

G_BEGIN_DECLS

/* A template value from @node: objects keep their members' order, as
 * Python's dicts do, and JSON integers stay integers. Nesting deeper than
 * @max_depth fails with BENDI_ENGINE_ERROR_INVALID_INPUT. */
static inline BendiTemplateValue *
bendi_template_value_from_json_node (JsonNode  *node,
                                     guint      max_depth,
                                     GError   **error)
{
  if (max_depth == 0)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_INPUT, "the JSON is nested too deeply");
      return NULL;
    }
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
            BendiTemplateValue *item =
              bendi_template_value_from_json_node (json_array_get_element (array, i), max_depth - 1, error);

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

        json_object_iter_init_ordered (&iter, json_node_get_object (node));
        while (json_object_iter_next_ordered (&iter, &name, &member))
          {
            BendiTemplateValue *item = bendi_template_value_from_json_node (member, max_depth - 1, error);

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

G_END_DECLS
