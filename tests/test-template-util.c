/* SPDX-License-Identifier: MIT */
/* Helpers for the template tests. */
#include "test-template-util.h"

/* 2024-07-26 00:00:00 UTC, the date the reference renderings were made with. */
#define REFERENCE_NOW 1721952000

BendiTemplateValue *
template_test_value_from_node (JsonNode *node)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_NULL:
      return bendi_template_value_new_none ();
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
        BendiTemplateValue *list = bendi_template_value_new_list ();
        JsonArray *array = json_node_get_array (node);

        for (guint i = 0; i < json_array_get_length (array); i++)
          bendi_template_value_list_append (list, template_test_value_from_node (json_array_get_element (array, i)));
        return list;
      }
    case JSON_NODE_OBJECT:
      {
        BendiTemplateValue *dict = bendi_template_value_new_dict ();
        JsonObjectIter iter;
        const char *name;
        JsonNode *member;

        json_object_iter_init_ordered (&iter, json_node_get_object (node));
        while (json_object_iter_next_ordered (&iter, &name, &member))
          bendi_template_value_dict_set (dict, name, template_test_value_from_node (member));
        return dict;
      }
    default:
      g_assert_not_reached ();
    }
}

BendiTemplateValue *
template_test_value_from_json (const char *json)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  return template_test_value_from_node (json_parser_get_root (parser));
}

char *
template_test_render (const char                 *source,
                      const char                 *variables_json,
                      const BendiTemplateOptions *options,
                      GError                    **error)
{
  g_autoptr (BendiTemplate) tmpl = NULL;
  g_autoptr (BendiTemplateValue) variables = NULL;
  BendiTemplateOptions defaults;

  if (options == NULL)
    {
      bendi_template_options_init (&defaults);
      defaults.has_now = TRUE;
      defaults.now_unix = REFERENCE_NOW;
      options = &defaults;
    }
  tmpl = bendi_template_new (source, -1, error);
  if (tmpl == NULL)
    return NULL;
  if (variables_json != NULL)
    variables = template_test_value_from_json (variables_json);
  return bendi_template_render (tmpl, variables, options, NULL, error);
}
