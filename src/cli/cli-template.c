/* SPDX-License-Identifier: MIT */
/* bendi-cli template: render a chat template for a conversation, exactly as the model would see it. */
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "cli-commands.h"
#include "template/chat-template.h"
#include "template/template-json-glib.h"

/* Deeper JSON than this is refused rather than converted recursively. */
#define MAX_JSON_DEPTH 256

/* The conversation file: a list of messages, or an object with "messages"
 * whose other members (tools, documents…) become template variables. */
static gboolean
load_conversation (const char          *path,
                   BendiTemplateValue **messages,
                   BendiTemplateValue  *extra,
                   GError             **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (!json_parser_load_from_file (parser, path, error))
    return FALSE;
  root = json_parser_get_root (parser);
  if (root != NULL && JSON_NODE_HOLDS_ARRAY (root))
    {
      *messages = bendi_template_value_from_json_node (root, MAX_JSON_DEPTH, error);
      return *messages != NULL;
    }
  if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
    {
      JsonObject *object = json_node_get_object (root);
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;

      json_object_iter_init_ordered (&iter, object);
      while (json_object_iter_next_ordered (&iter, &name, &member))
        {
          BendiTemplateValue *value = bendi_template_value_from_json_node (member, MAX_JSON_DEPTH, error);

          if (value == NULL)
            return FALSE;
          if (g_str_equal (name, "messages") && bendi_template_value_get_value_type (value) == BENDI_TEMPLATE_VALUE_LIST)
            {
              g_clear_pointer (messages, bendi_template_value_unref);
              *messages = value;
            }
          else
            bendi_template_value_dict_set (extra, name, value);
        }
      if (*messages != NULL)
        return TRUE;
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               "%s: expected a list of messages, or an object with a \"messages\" list", path);
  return FALSE;
}

/* --var name=value: a string, or a boolean for true and false. */
static gboolean
add_variable (BendiTemplateValue *extra,
              const char         *assignment)
{
  const char *equals = strchr (assignment, '=');
  g_autofree char *name = NULL;
  const char *value;

  if (equals == NULL || equals == assignment)
    {
      bendi_cli_print_error ("--var expects NAME=VALUE, not “%s”", assignment);
      return FALSE;
    }
  name = g_strndup (assignment, (gsize) (equals - assignment));
  value = equals + 1;
  if (g_str_equal (value, "true") || g_str_equal (value, "false"))
    bendi_template_value_dict_set (extra, name, bendi_template_value_new_boolean (value[0] == 't'));
  else
    bendi_template_value_dict_set (extra, name, bendi_template_value_new_string (value, -1));
  return TRUE;
}

/* --now YYYY-MM-DD[THH:MM:SS]: the time strftime_now () sees, in UTC. */
static gboolean
parse_now (const char *text,
           gint64     *unix_time)
{
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (GDateTime) when = NULL;
  g_autofree char *iso = NULL;

  if (strlen (text) == 10)
    iso = g_strdup_printf ("%sT00:00:00Z", text);
  else
    iso = g_strdup_printf ("%sZ", text);
  when = g_date_time_new_from_iso8601 (iso, utc);
  if (when == NULL)
    return FALSE;
  *unix_time = g_date_time_to_unix (when);
  return TRUE;
}

int
bendi_cli_template (int    argc,
                    char **argv)
{
  g_autofree char *template_path = NULL;
  g_autofree char *messages_path = NULL;
  g_autofree char *format_name = NULL;
  g_autofree char *bos_token = NULL;
  g_autofree char *eos_token = NULL;
  g_autofree char *now = NULL;
  g_auto (GStrv) variables = NULL;
  gboolean no_generation_prompt = FALSE;
  int repeat = 1;
  GOptionEntry entries[] = {
    { "template", 't', 0, G_OPTION_ARG_FILENAME, &template_path, "The Jinja chat template", "FILE" },
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format_name,
      "A named format instead of a template (chatml, llama2, llama3, gemma, phi3, mistral, zephyr, deepseek)",
      "NAME" },
    { "messages", 'm', 0, G_OPTION_ARG_FILENAME, &messages_path,
      "The conversation: a JSON list of messages, or an object with \"messages\" and more variables", "FILE.json" },
    { "bos-token", 0, 0, G_OPTION_ARG_STRING, &bos_token, "The text of the BOS token", "S" },
    { "eos-token", 0, 0, G_OPTION_ARG_STRING, &eos_token, "The text of the EOS token", "S" },
    { "var", 0, 0, G_OPTION_ARG_STRING_ARRAY, &variables,
      "A template variable (a string; true and false are booleans)", "NAME=VALUE" },
    { "no-generation-prompt", 0, 0, G_OPTION_ARG_NONE, &no_generation_prompt,
      "Do not open the assistant's turn at the end", NULL },
    { "now", 0, 0, G_OPTION_ARG_STRING, &now, "The date strftime_now () sees (UTC)", "YYYY-MM-DD" },
    { "repeat", 0, 0, G_OPTION_ARG_INT, &repeat, "Render N times and report the time per render on stderr", "N" },
    { NULL }
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiTemplateValue) messages = NULL;
  g_autoptr (BendiTemplateValue) extra = bendi_template_value_new_dict ();
  g_autoptr (BendiTemplate) tmpl = NULL;
  g_autofree char *source = NULL;
  g_autofree char *rendered = NULL;
  BendiTemplateOptions options;
  gsize source_len = 0;
  gsize rendered_len = 0;

  if (!bendi_cli_parse_options (&argc, &argv, "", "Render a chat template for a conversation.", entries))
    return BENDI_CLI_EXIT_USAGE;
  if (argc != 1)
    {
      bendi_cli_print_error ("template takes no positional arguments");
      return BENDI_CLI_EXIT_USAGE;
    }
  if ((template_path == NULL) == (format_name == NULL) || messages_path == NULL)
    {
      bendi_cli_print_error ("give --messages and one of --template or --format");
      return BENDI_CLI_EXIT_USAGE;
    }
  if (repeat < 1)
    {
      bendi_cli_print_error ("--repeat takes a count of at least 1");
      return BENDI_CLI_EXIT_USAGE;
    }
  bendi_template_options_init (&options);
  if (now != NULL)
    {
      if (!parse_now (now, &options.now_unix))
        {
          bendi_cli_print_error ("--now expects YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS, not “%s”", now);
          return BENDI_CLI_EXIT_USAGE;
        }
      options.has_now = TRUE;
    }

  if (format_name != NULL)
    {
      const char *format_source = bendi_chat_format_get_source (format_name);

      if (format_source == NULL)
        {
          g_autofree char *names = g_strjoinv (", ", (char **) bendi_chat_format_list_names ());

          bendi_cli_print_error ("unknown format “%s”; the formats are %s", format_name, names);
          return BENDI_CLI_EXIT_USAGE;
        }
      source = g_strdup (format_source);
      source_len = strlen (source);
    }
  else if (!g_file_get_contents (template_path, &source, &source_len, &error))
    {
      bendi_cli_print_error ("%s", error->message);
      return BENDI_CLI_EXIT_ERROR;
    }
  if (!load_conversation (messages_path, &messages, extra, &error))
    {
      bendi_cli_print_error ("%s", error->message);
      return BENDI_CLI_EXIT_ERROR;
    }
  for (gsize i = 0; variables != NULL && variables[i] != NULL; i++)
    if (!add_variable (extra, variables[i]))
      return BENDI_CLI_EXIT_USAGE;

  tmpl = bendi_template_new (source, (gssize) source_len, &error);
  if (tmpl == NULL)
    {
      bendi_cli_print_error ("%s:%s", template_path != NULL ? template_path : format_name, error->message);
      return BENDI_CLI_EXIT_ERROR;
    }
  {
    gint64 start = g_get_monotonic_time ();

    for (int i = 0; i < repeat; i++)
      {
        g_clear_pointer (&rendered, g_free);
        rendered = bendi_chat_template_render (tmpl, messages, !no_generation_prompt, bos_token, eos_token, extra,
                                               &options, &rendered_len, &error);
        if (rendered == NULL)
          {
            bendi_cli_print_error ("%s:%s", template_path != NULL ? template_path : format_name, error->message);
            return BENDI_CLI_EXIT_ERROR;
          }
      }
    if (repeat > 1)
      fprintf (stderr, "rendered %d times: %.3f ms per render, %" G_GSIZE_FORMAT " bytes\n", repeat,
               (double) (g_get_monotonic_time () - start) / 1000.0 / repeat, rendered_len);
  }
  fwrite (rendered, 1, rendered_len, stdout);
  if (fflush (stdout) != 0)
    {
      bendi_cli_print_error ("could not write the rendering");
      return BENDI_CLI_EXIT_ERROR;
    }
  return BENDI_CLI_EXIT_OK;
}
