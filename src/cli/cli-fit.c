/* SPDX-License-Identifier: MIT */
/* bendi-cli fit: will a model run on this computer, where, and how fast — with the arithmetic. */
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "cli-commands.h"
#include "fit-estimate.h"

/* "auto" or a layer count. */
static gboolean
parse_gpu_layers (const char *text,
                  gint64     *out)
{
  guint64 n;

  if (text == NULL || g_str_equal (text, "auto"))
    {
      *out = BENDI_FIT_GPU_LAYERS_AUTO;
      return TRUE;
    }
  if (!g_ascii_string_to_unsigned (text, 10, 0, 1 << 20, &n, NULL))
    return FALSE;
  *out = (gint64) n;
  return TRUE;
}

void
bendi_cli_add_fit_members (JsonBuilder          *b,
                           const BendiFitResult *fit,
                           const BendiHwInfo    *hw)
{
  const BendiHwGpu *gpu = fit->gpu >= 0 ? g_ptr_array_index (hw->gpus, fit->gpu) : NULL;

#define MEMBER_INT(name, value) (json_builder_set_member_name (b, name), json_builder_add_int_value (b, value))
  json_builder_set_member_name (b, "verdict");
  json_builder_add_string_value (b, bendi_fit_verdict_name (fit->verdict));
  MEMBER_INT ("weights_bytes", (gint64) fit->weights_bytes);
  MEMBER_INT ("kv_cache_bytes", (gint64) fit->kv_cache_bytes);
  MEMBER_INT ("buffers_bytes", (gint64) fit->buffers_bytes);
  MEMBER_INT ("overhead_bytes", (gint64) fit->overhead_bytes);
  MEMBER_INT ("total_bytes", (gint64) fit->total_bytes);
  MEMBER_INT ("gpu_bytes", (gint64) fit->gpu_bytes);
  MEMBER_INT ("ram_bytes", (gint64) fit->ram_bytes);
  MEMBER_INT ("gpu_free_bytes", (gint64) fit->gpu_free_bytes);
  MEMBER_INT ("ram_free_bytes", (gint64) fit->ram_free_bytes);
  MEMBER_INT ("missing_gpu_bytes", (gint64) fit->missing_gpu_bytes);
  MEMBER_INT ("missing_ram_bytes", (gint64) fit->missing_ram_bytes);
  MEMBER_INT ("n_ctx", fit->n_ctx);
  MEMBER_INT ("gpu_layers", fit->gpu_layers);
  MEMBER_INT ("n_layers", fit->n_layers);
  json_builder_set_member_name (b, "gpu");
  if (gpu != NULL)
    json_builder_add_int_value (b, gpu->index);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "gpu_name");
  if (gpu != NULL)
    json_builder_add_string_value (b, gpu->name);
  else
    json_builder_add_null_value (b);
  MEMBER_INT ("bytes_per_token", (gint64) fit->bytes_per_token);
  MEMBER_INT ("gpu_bytes_per_token", (gint64) fit->gpu_bytes_per_token);
#undef MEMBER_INT
  json_builder_set_member_name (b, "cpu_bandwidth_gbps");
  json_builder_add_double_value (b, fit->cpu_bandwidth_gbps);
  json_builder_set_member_name (b, "gpu_bandwidth_gbps");
  json_builder_add_double_value (b, fit->gpu_bandwidth_gbps);
  json_builder_set_member_name (b, "est_gen_tokens_per_s");
  if (fit->est_gen_tokens_per_s > 0.0)
    json_builder_add_double_value (b, fit->est_gen_tokens_per_s);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "engine_supported");
  json_builder_add_boolean_value (b, fit->engine_supported);
  json_builder_set_member_name (b, "explanation");
  json_builder_add_string_value (b, fit->explanation);
}

static void
print_json (const char          *path,
            const BendiFitModel *model,
            const BendiFitResult *fit,
            const BendiHwInfo   *hw)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "file");
  json_builder_add_string_value (b, path);
  json_builder_set_member_name (b, "architecture");
  json_builder_add_string_value (b, bendi_fit_model_get_arch (model));
  json_builder_set_member_name (b, "expert_count");
  json_builder_add_int_value (b, bendi_fit_model_get_expert_count (model));
  json_builder_set_member_name (b, "expert_used_count");
  json_builder_add_int_value (b, bendi_fit_model_get_expert_used_count (model));
  bendi_cli_add_fit_members (b, fit, hw);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  printf ("%s\n", text);
}

int
bendi_cli_fit (int    argc,
               char **argv)
{
  g_autofree char *model_path = NULL;
  g_autofree char *gpu_layers_text = NULL;
  gint64 n_ctx = 0;
  gint gpu = -1, n_threads = 0;
  gboolean json = FALSE, no_measure = FALSE;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, "Model GGUF file", "FILE" },
    { "ctx", 'c', 0, G_OPTION_ARG_INT64, &n_ctx, "Context size (default: the model's, at most 4096)", "N" },
    { "gpu-layers", 0, 0, G_OPTION_ARG_STRING, &gpu_layers_text, "Layers on the GPU, or auto (default)", "N|auto" },
    { "gpu", 0, 0, G_OPTION_ARG_INT, &gpu, "Which GPU (default: the one that holds most)", "INDEX" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &n_threads, "Threads (default: one per core)", "N" },
    { "no-measure", 0, 0, G_OPTION_ARG_NONE, &no_measure, "Do not measure the memory bandwidth if it is not cached",
      NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { NULL }
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiGguf) gguf = NULL;
  g_autoptr (BendiFitModel) model = NULL;
  g_autoptr (BendiHwInfo) hw = NULL;
  g_autoptr (BendiFitResult) fit = NULL;
  BendiFitParams params;

  if (!bendi_cli_parse_options (&argc, &argv, "", "Estimate whether a model fits this computer, where, and how fast.",
                                entries))
    return BENDI_CLI_EXIT_USAGE;
  bendi_fit_params_init (&params);
  if (model_path == NULL || argc != 1 || n_ctx < 0 || n_ctx > (1 << 24) || n_threads < 0 || gpu < -1 ||
      !parse_gpu_layers (gpu_layers_text, &params.gpu_layers))
    {
      bendi_cli_print_error ("fit needs -m FILE, and --ctx, --threads and --gpu-layers (a number or auto) in range");
      return BENDI_CLI_EXIT_USAGE;
    }
  params.n_ctx = n_ctx;
  params.gpu = gpu;
  params.n_threads = n_threads;

  /* Only the header is read: the weights stay on disk. */
  gguf = bendi_gguf_open (model_path, BENDI_GGUF_OPEN_DEFAULT, &error);
  if (gguf != NULL)
    model = bendi_fit_model_new (gguf, &error);
  if (model == NULL)
    {
      bendi_cli_print_error ("%s", error->message);
      return BENDI_CLI_EXIT_ERROR;
    }
  hw = bendi_cli_probe_hw (!no_measure);
  fit = bendi_fit_estimate (model, hw, &params);

  if (json)
    print_json (model_path, model, fit, hw);
  else
    printf ("%s: %s\n%s\n", model_path, bendi_fit_verdict_name (fit->verdict), fit->explanation);
  return BENDI_CLI_EXIT_OK;
}
