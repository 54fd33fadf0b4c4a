/* SPDX-License-Identifier: MIT */
/* bendi-cli catalogue: the curated models Bendi suggests. */
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "cli-commands.h"
#include "hub-catalogue.h"

int
bendi_cli_catalogue (int    argc,
                     char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { NULL },
  };
  g_autoptr (GPtrArray) catalogue = NULL;
  g_autoptr (GError) error = NULL;

  if (!bendi_cli_parse_options (&argc, &argv, NULL, "List the curated model catalogue.", entries))
    return BENDI_CLI_EXIT_USAGE;
  catalogue = bendi_hub_catalogue_load (NULL, &error);
  if (catalogue == NULL)
    {
      bendi_cli_print_error ("%s", error->message);
      return BENDI_CLI_EXIT_ERROR;
    }
  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_begin_array (b);
      for (guint i = 0; i < catalogue->len; i++)
        {
          const BendiHubCatalogueEntry *e = g_ptr_array_index (catalogue, i);

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "repo");
          json_builder_add_string_value (b, e->repo_id);
          json_builder_set_member_name (b, "name");
          json_builder_add_string_value (b, e->name);
          json_builder_set_member_name (b, "family");
          json_builder_add_string_value (b, e->family);
          json_builder_set_member_name (b, "architecture");
          json_builder_add_string_value (b, e->architecture);
          json_builder_set_member_name (b, "params_total");
          json_builder_add_int_value (b, e->params_total);
          json_builder_set_member_name (b, "params_active");
          json_builder_add_int_value (b, e->params_active);
          json_builder_set_member_name (b, "context_length");
          json_builder_add_int_value (b, e->context_length);
          json_builder_set_member_name (b, "license");
          json_builder_add_string_value (b, e->license_id);
          json_builder_set_member_name (b, "license_url");
          json_builder_add_string_value (b, e->license_url);
          json_builder_set_member_name (b, "source");
          json_builder_add_string_value (b, e->source);
          json_builder_set_member_name (b, "description_en");
          json_builder_add_string_value (b, e->description_en);
          json_builder_set_member_name (b, "description_zh");
          json_builder_add_string_value (b, e->description_zh);
          json_builder_set_member_name (b, "supported");
          json_builder_add_boolean_value (b, e->supported);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      root = json_builder_get_root (b);
      text = json_to_string (root, TRUE);
      printf ("%s\n", text);
      return BENDI_CLI_EXIT_OK;
    }
  for (guint i = 0; i < catalogue->len; i++)
    {
      const BendiHubCatalogueEntry *e = g_ptr_array_index (catalogue, i);

      printf ("%-48s %-10s %6.1fB  %-22s%s\n", e->repo_id, e->architecture, (double) e->params_total / 1e9,
              e->license_id, e->supported ? "" : "  (not supported yet)");
    }
  return BENDI_CLI_EXIT_OK;
}
