/* SPDX-License-Identifier: MIT */
/* What the model-running commands share: --backend checking and loading with progress. */
#include <stdio.h>
#include <unistd.h>

#include "cli-commands.h"

gboolean
bendi_cli_check_backend (const char *backend)
{
  if (backend == NULL || g_str_equal (backend, "cpu"))
    return TRUE;
  if (g_str_equal (backend, "vulkan") || g_str_equal (backend, "auto"))
    bendi_cli_print_error ("the %s backend is not available in this build; use --backend cpu", backend);
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
