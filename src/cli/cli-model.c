/* SPDX-License-Identifier: MIT */
/* What the model-running commands share: loading with progress, and where the model runs (--backend, --gpu-layers, --devices, --split). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli-commands.h"
#include "fit-estimate.h"
#include "fit-model.h"

gboolean
bendi_cli_check_backend (const char *backend)
{
  if (backend == NULL || g_str_equal (backend, "cpu"))
    return TRUE;
  if (g_str_equal (backend, "vulkan") || g_str_equal (backend, "auto"))
    bendi_cli_print_error ("the %s backend is not available for this command yet; use --backend cpu", backend);
  else
    bendi_cli_print_error ("unknown backend “%s” (cpu, vulkan, auto)", backend);
  return FALSE;
}

static gboolean
print_progress (double   fraction,
                gpointer user_data G_GNUC_UNUSED)
{
  fprintf (stderr, "\rloading %3d%%", (int) (fraction * 100.0 + 0.5));
  if (fraction >= 1.0)
    fputs ("\r            \r", stderr);
  fflush (stderr);
  return TRUE;
}

BendiModel *
bendi_cli_load_model (const char  *path,
                      gboolean     repack,
                      GError     **error)
{
  BendiModelParams params;

  bendi_model_params_init (&params);
  params.repack = repack;
  return bendi_model_load (path, &params, isatty (STDERR_FILENO) ? print_progress : NULL, NULL, error);
}

/* ------------------------------------------------------------------------ */
/* Where the model runs */

void
bendi_cli_backend_options_clear (BendiCliBackendOptions *options)
{
  g_clear_pointer (&options->backend, g_free);
  g_clear_pointer (&options->gpu_layers, g_free);
  g_clear_pointer (&options->devices, g_free);
  g_clear_pointer (&options->split, g_free);
}

/* "0,1" or "3,1": up to BENDI_MAX_GPUS non-negative numbers. */
static gboolean
parse_list (const char *text,
            const char *option,
            gboolean    integers,
            double     *values,
            guint      *n_values)
{
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);

  *n_values = 0;
  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *end = NULL;
      double value = g_ascii_strtod (g_strstrip (parts[i]), &end);

      if (*n_values == BENDI_MAX_GPUS || end == parts[i] || *end != '\0' || !(value >= 0.0) ||
          (integers && (value != (double) (guint) value)))
        {
          bendi_cli_print_error ("%s takes up to %d comma-separated %s, not “%s”", option, BENDI_MAX_GPUS,
                                 integers ? "device numbers" : "non-negative shares", text);
          return FALSE;
        }
      values[(*n_values)++] = value;
    }
  return TRUE;
}

gboolean
bendi_cli_backend_options_parse (const BendiCliBackendOptions *options,
                                 BendiContextParams           *params)
{
  double devices[BENDI_MAX_GPUS], split[BENDI_MAX_GPUS];
  guint n_split = 0;

  if (options->backend != NULL && !bendi_backend_from_name (options->backend, &params->backend))
    {
      bendi_cli_print_error ("unknown backend “%s” (cpu, vulkan, auto)", options->backend);
      return FALSE;
    }
  if (options->backend == NULL)
    params->backend = BENDI_BACKEND_AUTO;

  params->n_gpu_layers = BENDI_GPU_LAYERS_ALL;
  if (options->gpu_layers != NULL && g_str_equal (options->gpu_layers, "auto"))
    params->n_gpu_layers = BENDI_GPU_LAYERS_AUTO;
  else if (options->gpu_layers != NULL && !g_str_equal (options->gpu_layers, "all"))
    {
      char *end = NULL;
      gint64 n = g_ascii_strtoll (options->gpu_layers, &end, 10);

      if (end == options->gpu_layers || *end != '\0' || n < 0)
        {
          bendi_cli_print_error ("--gpu-layers takes a number of layers, auto or all, not “%s”", options->gpu_layers);
          return FALSE;
        }
      params->n_gpu_layers = n;
    }

  if (options->devices != NULL && !parse_list (options->devices, "--devices", TRUE, devices, &params->n_devices))
    return FALSE;
  for (guint d = 0; d < params->n_devices; d++)
    params->devices[d] = (guint) devices[d];
  if (options->split != NULL)
    {
      if (!parse_list (options->split, "--split", FALSE, split, &n_split))
        return FALSE;
      if (n_split != params->n_devices)
        {
          bendi_cli_print_error ("--split needs a share for each of the --devices");
          return FALSE;
        }
      for (guint d = 0; d < n_split; d++)
        params->split[d] = split[d];
    }
  if (params->backend == BENDI_BACKEND_CPU &&
      (params->n_devices > 0 || (options->gpu_layers != NULL && params->n_gpu_layers != 0)))
    {
      bendi_cli_print_error ("--gpu-layers and --devices are for the vulkan and auto backends");
      return FALSE;
    }
  return TRUE;
}

/* --gpu-layers auto, with the hardware probe's fit estimator: how many
 * layers fit the GPU (one device; with several, the engine's own rule). */
static void
fit_gpu_layers (BendiModel         *model,
                BendiContextParams *params,
                gboolean            verbose)
{
  g_autoptr (BendiHwInfo) hw = NULL;
  g_autoptr (BendiFitModel) fit_model = NULL;
  g_autoptr (BendiFitResult) fit = NULL;
  g_autoptr (GError) error = NULL;
  BendiFitParams fit_params;
  const BendiHwGpu *gpu;

  if (params->n_devices > 1)
    return;
  fit_model = bendi_fit_model_new (bendi_model_get_gguf (model), &error);
  if (fit_model == NULL)
    return;
  hw = bendi_cli_probe_hw (FALSE);
  bendi_fit_params_init (&fit_params);
  fit_params.n_ctx = params->n_ctx;
  fit_params.n_threads = params->n_threads;
  if (params->n_devices == 1)
    fit_params.gpu = bendi_hw_info_find_gpu (hw, params->devices[0]);
  fit = bendi_fit_estimate (fit_model, hw, &fit_params);
  if (fit->gpu < 0 || (guint) fit->gpu >= hw->gpus->len)
    {
      /* No GPU the estimator offloads to (it leaves out lavapipe): the
       * engine's own rule sizes the layers to the device's memory. */
      if (verbose)
        fprintf (stderr, "bendi-cli: --gpu-layers auto: no GPU for the fit estimator; the engine fits the layers "
                 "to the device's memory\n");
      return;
    }
  gpu = g_ptr_array_index (hw->gpus, fit->gpu);
  /* The auto backend never takes a CPU device; leave the choice to it. */
  if (gpu->type == BENDI_VK_DEVICE_TYPE_CPU && params->backend == BENDI_BACKEND_AUTO)
    return;
  params->n_gpu_layers = fit->gpu_layers;
  if (params->n_devices == 0)
    {
      params->devices[0] = gpu->index;
      params->n_devices = 1;
    }
  if (verbose)
    fprintf (stderr, "bendi-cli: --gpu-layers auto: %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " layers fit %s\n",
             fit->gpu_layers, fit->n_layers, gpu->name);
}

void
bendi_cli_backend_resolve (BendiModel         *model,
                           BendiContextParams *params,
                           gboolean            verbose)
{
  if (params->backend != BENDI_BACKEND_CPU && params->n_gpu_layers == BENDI_GPU_LAYERS_AUTO)
    fit_gpu_layers (model, params, verbose);
}

void
bendi_cli_backend_report (BendiContext *context,
                          gboolean      verbose)
{
  const char *note = bendi_context_get_backend_note (context);

  if (note != NULL)
    {
      g_auto (GStrv) lines = g_strsplit (note, "\n", -1);

      for (guint i = 0; lines[i] != NULL; i++)
        if (*lines[i] != '\0')
          bendi_cli_print_error ("%s", lines[i]);
    }
  if (verbose)
    fprintf (stderr, "backend: %s\n", bendi_context_get_backend_description (context));
}

BendiContext *
bendi_cli_context_new (BendiModel               *model,
                       const BendiContextParams *params,
                       gboolean                  verbose,
                       GError                  **error)
{
  BendiContextParams resolved = *params;
  BendiContext *context;

  bendi_cli_backend_resolve (model, &resolved, verbose);
  context = bendi_context_new (model, &resolved, error);
  if (context != NULL)
    bendi_cli_backend_report (context, verbose);
  return context;
}
