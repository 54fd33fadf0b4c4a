/* SPDX-License-Identifier: MIT */
/* The bendi-cli subcommands: each lives in cli-<name>.c and is listed in bendi-cli.c. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "fit-estimate.h"
#include "hw-info.h"
#include "model/context.h"
#include "model/model.h"

G_BEGIN_DECLS

/* Exit statuses shared by every command. */
enum {
  BENDI_CLI_EXIT_OK    = 0,
  BENDI_CLI_EXIT_ERROR = 1,   /* the work failed; the message is on stderr */
  BENDI_CLI_EXIT_USAGE = 2,   /* the command line is wrong */
};

/* Each command gets argv with argv[0] set to "bendi-cli NAME". */
typedef int (*BendiCliCommandFunc) (int    argc,
                                    char **argv);

int bendi_cli_info       (int argc, char **argv);
int bendi_cli_devices    (int argc, char **argv);
int bendi_cli_template   (int argc, char **argv);
int bendi_cli_chat       (int argc, char **argv);
int bendi_cli_search     (int argc, char **argv);
int bendi_cli_files      (int argc, char **argv);
int bendi_cli_pull       (int argc, char **argv);
int bendi_cli_list       (int argc, char **argv);
int bendi_cli_rm         (int argc, char **argv);
int bendi_cli_catalogue  (int argc, char **argv);
int bendi_cli_tokenize   (int argc, char **argv);
int bendi_cli_generate   (int argc, char **argv);
int bendi_cli_perplexity (int argc, char **argv);
int bendi_cli_make_model (int argc, char **argv);
int bendi_cli_bench      (int argc, char **argv);
int bendi_cli_serve      (int argc, char **argv);
int bendi_cli_hw         (int argc, char **argv);
int bendi_cli_fit        (int argc, char **argv);
int bendi_cli_advise     (int argc, char **argv);

/* Parses @entries from argv; on failure prints the error and returns FALSE
 * (the caller exits with BENDI_CLI_EXIT_USAGE). */
gboolean bendi_cli_parse_options (int           *argc,
                                  char        ***argv,
                                  const char    *parameter_string,
                                  const char    *summary,
                                  GOptionEntry  *entries);

/* Checks a --backend value for a command that runs on the CPU alone:
 * "cpu" (or none). Prints the error and returns FALSE otherwise (exit with
 * USAGE). */
gboolean bendi_cli_check_backend (const char *backend);

/* Where a model runs: the options of the commands that run one. */
typedef struct {
  char *backend;
  char *gpu_layers;
  char *devices;
  char *split;
} BendiCliBackendOptions;

#define BENDI_CLI_BACKEND_OPTION_ENTRIES(o) \
  { "backend", 0, 0, G_OPTION_ARG_STRING, &(o)->backend, \
    "Compute backend: cpu, vulkan or auto (default: a GPU that passes the self-check, else the CPU)", "NAME" }, \
  { "gpu-layers", 0, 0, G_OPTION_ARG_STRING, &(o)->gpu_layers, \
    "Layers on the GPU: a number, auto (as many as fit) or all (default)", "N" }, \
  { "devices", 0, 0, G_OPTION_ARG_STRING, &(o)->devices, \
    "Vulkan devices to share the layers, as `bendi-cli devices` numbers them: 0,1", "LIST" }, \
  { "split", 0, 0, G_OPTION_ARG_STRING, &(o)->split, "The devices' shares of the layers: 3,1", "LIST" }

void     bendi_cli_backend_options_clear (BendiCliBackendOptions       *options);
/* Fills @params' backend, GPU layers, devices and split; prints the error
 * and returns FALSE on a bad value (exit with USAGE). */
gboolean bendi_cli_backend_options_parse (const BendiCliBackendOptions *options,
                                          BendiContextParams           *params);
/* Resolves --gpu-layers auto with the fit estimator, which may pick the
 * device too. */
void     bendi_cli_backend_resolve       (BendiModel                   *model,
                                          BendiContextParams           *params,
                                          gboolean                      verbose);
/* Prints what the backend gave up or fell back from on stderr, and with
 * @verbose where the model runs. */
void     bendi_cli_backend_report        (BendiContext                 *context,
                                          gboolean                      verbose);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (BendiCliBackendOptions, bendi_cli_backend_options_clear)

/* A context as @params ask (auto layers resolved), reported. */
BendiContext *bendi_cli_context_new (BendiModel               *model,
                                     const BendiContextParams *params,
                                     gboolean                  verbose,
                                     GError                  **error) G_GNUC_WARN_UNUSED_RESULT;

/* Loads a model for the CPU, with progress on stderr when it is a terminal. */
BendiModel *bendi_cli_load_model (const char  *path,
                                  gboolean     repack,
                                  GError     **error);

/* This computer, with the cached memory bandwidths; with
 * @measure_missing, those not cached yet are measured (seconds) first. */
BendiHwInfo *bendi_cli_probe_hw (gboolean measure_missing) G_GNUC_WARN_UNUSED_RESULT;

/* A fit estimate's members (verdict, bytes, layers, speed, explanation)
 * into the object @b is building. */
void bendi_cli_add_fit_members (JsonBuilder          *b,
                                const BendiFitResult *fit,
                                const BendiHwInfo    *hw);

/* Prints "bendi-cli: MESSAGE" on stderr. */
void bendi_cli_print_error (const char *format,
                            ...) G_GNUC_PRINTF (1, 2);

G_END_DECLS
