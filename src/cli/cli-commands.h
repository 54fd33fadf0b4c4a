/* SPDX-License-Identifier: MIT */
/* The bendi-cli subcommands: each lives in cli-<name>.c and is listed in bendi-cli.c. */
#pragma once

#include <glib.h>

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

/* Parses @entries from argv; on failure prints the error and returns FALSE
 * (the caller exits with BENDI_CLI_EXIT_USAGE). */
gboolean bendi_cli_parse_options (int           *argc,
                                  char        ***argv,
                                  const char    *parameter_string,
                                  const char    *summary,
                                  GOptionEntry  *entries);

/* Prints "bendi-cli: MESSAGE" on stderr. */
void bendi_cli_print_error (const char *format,
                            ...) G_GNUC_PRINTF (1, 2);

G_END_DECLS
