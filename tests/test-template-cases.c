/* SPDX-License-Identifier: MIT */
/* Real chat templates against Hugging Face's renderings: every case of shared/templates/cases.json, byte for byte. */
#include <string.h>

#include "engine-error.h"
#include "template/chat-template.h"
#include "test-template-util.h"
#include "test-util.h"

/* 2024-07-26 00:00:00 UTC: the date the reference used for strftime_now. */
#define REFERENCE_NOW 1721952000

/* Renders one case as the reference did: the messages, the generation
 * prompt flag, and the special tokens and extra variables as given (a null
 * token is passed as None, as the reference passed it). */
static void
check_case (const char *templates_dir,
            JsonObject *c,
            guint       index)
{
  const char *template_name = json_object_get_string_member (c, "template");
  g_autofree char *path = g_build_filename (templates_dir, template_name, NULL);
  g_autofree char *source = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiTemplate) tmpl = NULL;
  g_autoptr (BendiTemplateValue) messages = NULL;
  g_autoptr (BendiTemplateValue) extra = bendi_template_value_new_dict ();
  g_autofree char *out = NULL;
  BendiTemplateOptions options;
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;
  gsize len;

  g_test_message ("case %u: %s, %s, add_generation_prompt=%d", index, template_name,
                  json_object_get_string_member (c, "conversation"),
                  json_object_get_boolean_member (c, "add_generation_prompt"));
  g_file_get_contents (path, &source, &len, &error);
  g_assert_no_error (error);
  tmpl = bendi_template_new (source, (gssize) len, &error);
  g_assert_no_error (error);

  messages = template_test_value_from_node (json_object_get_member (c, "messages"));
  json_object_iter_init_ordered (&iter, json_object_get_object_member (c, "special_tokens"));
  while (json_object_iter_next_ordered (&iter, &name, &member))
    bendi_template_value_dict_set (extra, name, template_test_value_from_node (member));
  json_object_iter_init_ordered (&iter, json_object_get_object_member (c, "extra"));
  while (json_object_iter_next_ordered (&iter, &name, &member))
    bendi_template_value_dict_set (extra, name, template_test_value_from_node (member));

  bendi_template_options_init (&options);
  options.has_now = TRUE;
  options.now_unix = REFERENCE_NOW;
  out = bendi_chat_template_render (tmpl, messages, json_object_get_boolean_member (c, "add_generation_prompt"),
                                    NULL, NULL, extra, &options, &len, &error);
  if (json_object_has_member (c, "expected"))
    {
      g_assert_no_error (error);
      g_assert_cmpstr (out, ==, json_object_get_string_member (c, "expected"));
      g_assert_cmpuint (len, ==, strlen (out));
    }
  else
    {
      /* The reference failed: so must we, with its message. */
      const char *expected_error = json_object_get_string_member (c, "expected_error");

      g_assert_null (out);
      g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_INPUT);
      if (strstr (error->message, expected_error) == NULL)
        g_error ("“%s” does not contain “%s”", error->message, expected_error);
    }
}

static void
test_cases (void)
{
  g_autofree char *cases_path = bendi_test_data_path ("templates/cases.json");
  g_autofree char *templates_dir = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonArray *cases;

  if (cases_path == NULL)
    return;
  templates_dir = g_path_get_dirname (cases_path);
  json_parser_load_from_file (parser, cases_path, &error);
  g_assert_no_error (error);
  cases = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "cases");
  g_assert_cmpuint (json_array_get_length (cases), ==, 64);
  for (guint i = 0; i < json_array_get_length (cases); i++)
    check_case (templates_dir, json_array_get_object_element (cases, i), i);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/template-cases/cases-json", test_cases);

  return g_test_run ();
}
