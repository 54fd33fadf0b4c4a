/* SPDX-License-Identifier: MIT */
/* Helpers for the template tests. */
#include "test-template-util.h"

#include "template/template-json-glib.h"

/* 2024-07-26 00:00:00 UTC, the date the reference renderings were made with. */
#define REFERENCE_NOW 1721952000

BendiTemplateValue *
template_test_value_from_node (JsonNode *node)
{
  g_autoptr (GError) error = NULL;
  BendiTemplateValue *value = bendi_template_value_from_json_node (node, 64, &error);

  g_assert_no_error (error);
  return value;
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
