/* SPDX-License-Identifier: MIT */
/* bendi-cli files: a repository's GGUF models, split parts grouped, with
 * sizes, quantisations, and whether each fits this computer. */
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "cli-commands.h"
#include "fit-estimate.h"
#include "fit-model.h"
#include "hub-client.h"
#include "hub-names.h"

static void
result_cb (GObject      *object G_GNUC_UNUSED,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *result;
}

/* The fit of each complete group of @groups on @hw (NULL where unknown).
 * One header is read, with Range requests, from the smallest single-file
 * group (any group when all are split); the others are sized from it by
 * their file sizes, as the advisor does. A failure to peek or size costs
 * only the verdicts: it is reported, and the list is still printed. */
static GPtrArray *
estimate_fits (BendiHubClient       *client,
               const char           *repo_id,
               GPtrArray            *groups,
               const BendiHwInfo    *hw,
               const BendiFitParams *params)
{
  GPtrArray *fits = g_ptr_array_new_full (groups->len, (GDestroyNotify) bendi_fit_result_free);
  g_autoptr (GAsyncResult) peeked = NULL;
  g_autoptr (BendiGguf) header = NULL;
  g_autoptr (BendiFitModel) sample_model = NULL;
  g_autoptr (GError) error = NULL;
  const BendiHubFileGroup *sample = NULL;

  for (guint i = 0; i < groups->len; i++)
    {
      const BendiHubFileGroup *g = g_ptr_array_index (groups, i);

      g_ptr_array_add (fits, NULL);
      if (!g->complete)
        continue;
      if (sample == NULL || (sample->parts->len > 1 && g->parts->len == 1) ||
          ((sample->parts->len > 1) == (g->parts->len > 1) && g->size < sample->size))
        sample = g;
    }
  if (sample == NULL)
    return fits;

  bendi_hub_client_peek_header_async (client, repo_id, NULL,
                                      ((const BendiHubFile *) g_ptr_array_index (sample->parts, 0))->path, NULL,
                                      result_cb, &peeked);
  header = bendi_hub_client_peek_header_finish (client, wait_for (&peeked), &error);
  if (header != NULL)
    sample_model = bendi_fit_model_new (header, &error);
  if (sample_model == NULL)
    {
      bendi_cli_print_error ("no fit verdicts: %s", error->message);
      return fits;
    }
  for (guint i = 0; i < groups->len; i++)
    {
      const BendiHubFileGroup *g = g_ptr_array_index (groups, i);
      g_autoptr (BendiFitModel) scaled = NULL;

      if (!g->complete)
        continue;
      if (g != sample)
        scaled = bendi_fit_model_new_scaled (sample_model, (gsize) g->size);
      g_ptr_array_index (fits, i) = bendi_fit_estimate (scaled != NULL ? scaled : sample_model, hw, params);
    }
  return fits;
}

int
bendi_cli_files (int    argc,
                 char **argv)
{
  gboolean json = FALSE, no_fit = FALSE;
  gint64 n_ctx = 0;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { "ctx", 'c', 0, G_OPTION_ARG_INT64, &n_ctx, "Context size for the fit verdict (default: the model's, at most 4096)",
      "N" },
    { "no-fit", 0, 0, G_OPTION_ARG_NONE, &no_fit, "Do not read a header to judge whether each file fits", NULL },
    { NULL },
  };
  g_autoptr (BendiHubConfig) config = NULL;
  g_autoptr (BendiHubClient) client = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GPtrArray) files = NULL;
  g_autoptr (GPtrArray) groups = NULL;
  g_autoptr (GPtrArray) fits = NULL;
  g_autoptr (BendiHwInfo) hw = NULL;
  g_autoptr (GError) error = NULL;

  if (!bendi_cli_parse_options (&argc, &argv, "OWNER/REPO", "List a repository's GGUF files.", entries))
    return BENDI_CLI_EXIT_USAGE;
  if (argc != 2 || n_ctx < 0 || n_ctx > (1 << 24))
    {
      bendi_cli_print_error ("give one repository, like Qwen/Qwen2.5-7B-Instruct-GGUF, and --ctx in range");
      return BENDI_CLI_EXIT_USAGE;
    }
  config = bendi_hub_config_new_from_environment ();
  client = bendi_hub_client_new (config);
  bendi_hub_client_list_files_async (client, argv[1], NULL, NULL, result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  files = bendi_hub_client_list_files_finish (client, result, &error);
  if (files == NULL)
    {
      bendi_cli_print_error ("%s", error->message);
      return BENDI_CLI_EXIT_ERROR;
    }
  groups = bendi_hub_group_files (files);
  if (!no_fit)
    {
      BendiFitParams params;

      bendi_fit_params_init (&params);
      params.n_ctx = n_ctx;
      /* The verdict needs no bandwidth; the speed only shows when it was
       * measured before (bendi-cli hw --measure, or advise). */
      hw = bendi_cli_probe_hw (FALSE);
      fits = estimate_fits (client, argv[1], groups, hw, &params);
    }

  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_begin_array (b);
      for (guint i = 0; i < groups->len; i++)
        {
          const BendiHubFileGroup *g = g_ptr_array_index (groups, i);

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "name");
          json_builder_add_string_value (b, g->name);
          json_builder_set_member_name (b, "quant");
          json_builder_add_string_value (b, g->quant);
          json_builder_set_member_name (b, "size");
          json_builder_add_int_value (b, (gint64) g->size);
          json_builder_set_member_name (b, "complete");
          json_builder_add_boolean_value (b, g->complete);
          json_builder_set_member_name (b, "parts");
          json_builder_begin_array (b);
          for (guint p = 0; p < g->parts->len; p++)
            {
              const BendiHubFile *f = g_ptr_array_index (g->parts, p);

              json_builder_begin_object (b);
              json_builder_set_member_name (b, "path");
              json_builder_add_string_value (b, f->path);
              json_builder_set_member_name (b, "size");
              json_builder_add_int_value (b, (gint64) f->size);
              json_builder_set_member_name (b, "sha256");
              json_builder_add_string_value (b, f->sha256);
              json_builder_end_object (b);
            }
          json_builder_end_array (b);
          if (fits != NULL && g_ptr_array_index (fits, i) != NULL)
            {
              json_builder_set_member_name (b, "fit");
              json_builder_begin_object (b);
              bendi_cli_add_fit_members (b, g_ptr_array_index (fits, i), hw);
              json_builder_end_object (b);
            }
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      root = json_builder_get_root (b);
      text = json_to_string (root, TRUE);
      printf ("%s\n", text);
      return BENDI_CLI_EXIT_OK;
    }
  for (guint i = 0; i < groups->len; i++)
    {
      const BendiHubFileGroup *g = g_ptr_array_index (groups, i);
      const BendiFitResult *fit = fits != NULL ? g_ptr_array_index (fits, i) : NULL;
      g_autofree char *size = bendi_hub_format_size (g->size);

      printf ("%-64s %-8s %10s", g->name, g->quant != NULL ? g->quant : "?", size);
      if (fit != NULL)
        {
          g_autofree char *memory = bendi_hub_format_size (fit->total_bytes);

          /* "partial 20/32": how many layers the GPU takes. */
          if (fit->verdict == BENDI_FIT_VERDICT_PARTIAL)
            printf ("  %s %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT, bendi_fit_verdict_name (fit->verdict),
                    fit->gpu_layers, fit->n_layers);
          else
            printf ("  %-7s", bendi_fit_verdict_name (fit->verdict));
          printf (" %10s", memory);
        }
      if (g->parts->len > 1)
        printf ("  (%u parts%s)", g->parts->len, g->complete ? "" : ", incomplete");
      printf ("\n");
    }
  return BENDI_CLI_EXIT_OK;
}
