/* SPDX-License-Identifier: MIT */
/* bendi-cli advise: which of a model's quantisations, in a directory or on the Hub, to pick for this computer. */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <sys/stat.h>

#include "cli-commands.h"
#include "hub-client.h"
#include "hub-names.h"
#include "quant-advisor.h"

/* One model of the directory or repository (a file, or all parts of a
 * split), with the header of its first part when it was read. */
typedef struct {
  char      *name;
  const char *quant;
  guint64    size;
  BendiGguf *header;
} Entry;

static void
entry_free (Entry *entry)
{
  g_free (entry->name);
  g_clear_pointer (&entry->header, bendi_gguf_free);
  g_free (entry);
}

static GPtrArray *
entries_from_groups (GPtrArray *groups)
{
  GPtrArray *entries = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);

  for (guint i = 0; i < groups->len; i++)
    {
      const BendiHubFileGroup *group = g_ptr_array_index (groups, i);
      Entry *entry;

      if (!group->complete)
        {
          bendi_cli_print_error ("skipping %s: parts of it are missing", group->name);
          continue;
        }
      entry = g_new0 (Entry, 1);
      entry->name = g_strdup (group->name);
      entry->quant = group->quant;
      entry->size = group->size;
      g_ptr_array_add (entries, entry);
    }
  return entries;
}

/* The GGUF models of @dir (not its subdirectories), every header read:
 * they are at hand. */
static GPtrArray *
list_local (const char  *dir,
            GError     **error)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, error);
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func ((GDestroyNotify) bendi_hub_file_free);
  g_autoptr (GPtrArray) groups = NULL;
  g_autoptr (GPtrArray) entries = NULL;
  const char *name;

  if (d == NULL)
    return NULL;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      GStatBuf st;

      if (bendi_hub_is_gguf_name (name) && g_stat (path, &st) == 0 && S_ISREG (st.st_mode))
        g_ptr_array_add (files, bendi_hub_file_new (name, (guint64) st.st_size, NULL));
    }
  groups = bendi_hub_group_files (files);
  entries = entries_from_groups (groups);
  for (guint i = 0; i < entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (entries, i);
      const BendiHubFileGroup *group = NULL;
      g_autofree char *path = NULL;
      g_autoptr (GError) open_error = NULL;

      for (guint j = 0; j < groups->len && group == NULL; j++)
        if (g_str_equal (((const BendiHubFileGroup *) g_ptr_array_index (groups, j))->name, entry->name))
          group = g_ptr_array_index (groups, j);
      path = g_build_filename (dir, ((const BendiHubFile *) g_ptr_array_index (group->parts, 0))->path, NULL);
      entry->header = bendi_gguf_open (path, BENDI_GGUF_OPEN_DEFAULT, &open_error);
      if (entry->header == NULL)
        bendi_cli_print_error ("%s", open_error->message);
      /* The file says best what it holds. */
      else if (bendi_gguf_find (entry->header, "general.file_type") != NULL)
        entry->quant = NULL;
    }
  return g_steal_pointer (&entries);
}

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

/* A repository's GGUF models, with one header peeked at (a single-file
 * model's when there is one): the advisor sizes the others from it. */
static GPtrArray *
list_remote (const char  *repo_id,
             GError     **error)
{
  g_autoptr (BendiHubConfig) config = bendi_hub_config_new_from_environment ();
  g_autoptr (BendiHubClient) client = bendi_hub_client_new (config);
  g_autoptr (GAsyncResult) listed = NULL;
  g_autoptr (GAsyncResult) peeked = NULL;
  g_autoptr (GPtrArray) files = NULL;
  g_autoptr (GPtrArray) groups = NULL;
  g_autoptr (GPtrArray) entries = NULL;
  const BendiHubFileGroup *sample = NULL;
  Entry *sample_entry = NULL;

  bendi_hub_client_list_files_async (client, repo_id, NULL, NULL, result_cb, &listed);
  files = bendi_hub_client_list_files_finish (client, wait_for (&listed), error);
  if (files == NULL)
    return NULL;
  groups = bendi_hub_group_files (files);
  entries = entries_from_groups (groups);
  for (guint i = 0; i < groups->len; i++)
    {
      const BendiHubFileGroup *group = g_ptr_array_index (groups, i);

      if (group->complete && (sample == NULL || (sample->parts->len > 1 && group->parts->len == 1)))
        sample = group;
    }
  if (sample == NULL)
    return g_steal_pointer (&entries);
  for (guint i = 0; i < entries->len && sample_entry == NULL; i++)
    if (g_str_equal (((Entry *) g_ptr_array_index (entries, i))->name, sample->name))
      sample_entry = g_ptr_array_index (entries, i);

  bendi_hub_client_peek_header_async (client, repo_id, NULL,
                                      ((const BendiHubFile *) g_ptr_array_index (sample->parts, 0))->path, NULL,
                                      result_cb, &peeked);
  sample_entry->header = bendi_hub_client_peek_header_finish (client, wait_for (&peeked), error);
  if (sample_entry->header == NULL)
    return NULL;
  return g_steal_pointer (&entries);
}

static void
print_text (const BendiAdvisorResult *result)
{
  printf ("%s\n\n", result->summary);
  printf ("   %-40s %-8s %-8s %8s %10s  %s\n", "file", "quant", "verdict", "layers", "memory", "tokens/s");
  for (guint i = 0; i < result->ranked->len; i++)
    {
      const BendiAdvice *a = g_ptr_array_index (result->ranked, i);
      g_autofree char *layers = g_strdup_printf ("%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT, a->fit->gpu_layers,
                                                 a->fit->n_layers);
      g_autofree char *memory = g_strdup_printf ("%.2f GB", (double) a->fit->total_bytes / 1e9);
      g_autofree char *speed = a->fit->est_gen_tokens_per_s > 0.0
                               ? g_strdup_printf ("%.1f", a->fit->est_gen_tokens_per_s) : g_strdup ("?");

      printf ("%s  %-40s %-8s %-8s %8s %10s  %s%s\n", a->recommended ? "→" : " ", a->file_name,
              a->quant != NULL ? a->quant : "?", bendi_fit_verdict_name (a->fit->verdict), layers, memory, speed,
              a->sweet_spot ? "  (sweet spot)" : "");
    }
}

static void
print_json (const BendiAdvisorResult *result,
            const BendiHwInfo        *hw)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "recommended");
  if (result->recommended >= 0)
    json_builder_add_string_value (b, ((BendiAdvice *) g_ptr_array_index (result->ranked, result->recommended))->file_name);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "summary");
  json_builder_add_string_value (b, result->summary);
  json_builder_set_member_name (b, "files");
  json_builder_begin_array (b);
  for (guint i = 0; i < result->ranked->len; i++)
    {
      const BendiAdvice *a = g_ptr_array_index (result->ranked, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "file");
      json_builder_add_string_value (b, a->file_name);
      json_builder_set_member_name (b, "quant");
      if (a->quant != NULL)
        json_builder_add_string_value (b, a->quant);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "quality");
      json_builder_add_int_value (b, a->quality);
      json_builder_set_member_name (b, "sweet_spot");
      json_builder_add_boolean_value (b, a->sweet_spot);
      json_builder_set_member_name (b, "recommended");
      json_builder_add_boolean_value (b, a->recommended);
      bendi_cli_add_fit_members (b, a->fit, hw);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  printf ("%s\n", text);
}

int
bendi_cli_advise (int    argc,
                  char **argv)
{
  gint64 n_ctx = 0;
  gboolean json = FALSE, no_measure = FALSE;
  GOptionEntry options[] = {
    { "ctx", 'c', 0, G_OPTION_ARG_INT64, &n_ctx, "Context size (default: the model's, at most 4096)", "N" },
    { "no-measure", 0, 0, G_OPTION_ARG_NONE, &no_measure, "Do not measure the memory bandwidth if it is not cached",
      NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { NULL }
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (BendiHwInfo) hw = NULL;
  g_autoptr (BendiAdvisorResult) result = NULL;
  g_autofree BendiAdvisorCandidate *candidates = NULL;
  BendiFitParams params;

  if (!bendi_cli_parse_options (&argc, &argv, "DIR|OWNER/REPO",
                                "Rank the quantisations of a model (the GGUF files of a directory or a Hugging Face "
                                "repository) for this computer.", options))
    return BENDI_CLI_EXIT_USAGE;
  if (argc != 2 || n_ctx < 0 || n_ctx > (1 << 24))
    {
      bendi_cli_print_error ("advise takes one DIR or OWNER/REPO, and --ctx in range");
      return BENDI_CLI_EXIT_USAGE;
    }
  if (g_file_test (argv[1], G_FILE_TEST_IS_DIR))
    entries = list_local (argv[1], &error);
  else if (bendi_hub_repo_id_is_valid (argv[1]))
    entries = list_remote (argv[1], &error);
  else
    {
      bendi_cli_print_error ("“%s” is neither a directory nor a repository like Qwen/Qwen2.5-7B-Instruct-GGUF",
                             argv[1]);
      return BENDI_CLI_EXIT_USAGE;
    }
  if (entries == NULL)
    {
      bendi_cli_print_error ("%s", error->message);
      return BENDI_CLI_EXIT_ERROR;
    }
  if (entries->len == 0)
    {
      bendi_cli_print_error ("no GGUF models in %s", argv[1]);
      return BENDI_CLI_EXIT_ERROR;
    }
  candidates = g_new0 (BendiAdvisorCandidate, entries->len);
  for (guint i = 0; i < entries->len; i++)
    {
      const Entry *entry = g_ptr_array_index (entries, i);

      candidates[i].file_name = entry->name;
      candidates[i].size_bytes = entry->size;
      candidates[i].header = entry->header;
      candidates[i].quant = entry->quant;
    }

  bendi_fit_params_init (&params);
  params.n_ctx = n_ctx;
  hw = bendi_cli_probe_hw (!no_measure);
  result = bendi_advisor_rank (candidates, entries->len, hw, &params, &error);
  if (result == NULL)
    {
      bendi_cli_print_error ("%s", error->message);
      return BENDI_CLI_EXIT_ERROR;
    }
  if (json)
    print_json (result, hw);
  else
    print_text (result);
  return BENDI_CLI_EXIT_OK;
}
