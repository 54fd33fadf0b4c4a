/* SPDX-License-Identifier: MIT */
/* bendi-cli: the scriptable face of every layer of Bendi. */
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli-commands.h"

typedef struct {
  const char         *name;
  BendiCliCommandFunc func;
  const char         *summary;
} Command;

static const Command commands[] = {
  { "info",        bendi_cli_info,        "Describe a GGUF model file" },
  { "devices",     bendi_cli_devices,     "List the Vulkan devices" },
  { "tokenize",    bendi_cli_tokenize,    "Print the token ids of a text" },
  { "generate",    bendi_cli_generate,    "Continue a prompt with a model" },
  { "serve",       bendi_cli_serve,       "Serve a model over an OpenAI-compatible HTTP API" },
  { "perplexity",  bendi_cli_perplexity,  "Measure a model's perplexity on a text" },
  { "make-model",  bendi_cli_make_model,  "Write a model with random weights" },
  { "bench",       bendi_cli_bench,       "Measure prompt and generation speed" },
  { "chat",        bendi_cli_chat,        "Chat with a model in the terminal, or with one on a server (--endpoint URL; --list-models)" },
  { "template",    bendi_cli_template,    "Render a chat template for a conversation" },
  { "search",      bendi_cli_search,      "Search the Hub for GGUF models" },
  { "files",       bendi_cli_files,       "List a Hub repository's GGUF files" },
  { "pull",        bendi_cli_pull,        "Download a model file, verified" },
  { "list",        bendi_cli_list,        "List the models on this computer" },
  { "rm",          bendi_cli_rm,          "Remove models from the library" },
  { "catalogue",   bendi_cli_catalogue,   "List the curated model catalogue" },
  { "hw",          bendi_cli_hw,          "Describe this computer: processor, memory, disk, GPUs" },
  { "fit",         bendi_cli_fit,         "Estimate whether a model fits here, where, and how fast" },
  { "advise",      bendi_cli_advise,      "Pick the quantisation of a model for this computer" },
};

static void
print_usage (FILE *out)
{
  fprintf (out, "Usage: bendi-cli COMMAND [OPTIONS…]\n\nCommands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-12s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\nRun “bendi-cli COMMAND --help” for a command's options.\n");
}

void
bendi_cli_print_error (const char *format,
                       ...)
{
  va_list args;

  fputs ("bendi-cli: ", stderr);
  va_start (args, format);
  vfprintf (stderr, format, args);
  va_end (args);
  fputc ('\n', stderr);
}

gboolean
bendi_cli_parse_options (int           *argc,
                         char        ***argv,
                         const char    *parameter_string,
                         const char    *summary,
                         GOptionEntry  *entries)
{
  g_autoptr (GOptionContext) context = g_option_context_new (parameter_string);
  g_autoptr (GError) error = NULL;

  g_option_context_set_summary (context, summary);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      bendi_cli_print_error ("%s", error->message);
      return FALSE;
    }
  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "");

  if (argc < 2)
    {
      print_usage (stderr);
      return BENDI_CLI_EXIT_USAGE;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "help") == 0)
    {
      print_usage (stdout);
      return BENDI_CLI_EXIT_OK;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      {
        g_autofree char *prgname = g_strdup_printf ("bendi-cli %s", commands[i].name);
        g_autofree char **sub_argv = g_new0 (char *, argc);

        g_set_prgname (prgname);
        sub_argv[0] = prgname;
        for (int j = 2; j < argc; j++)
          sub_argv[j - 1] = argv[j];
        return commands[i].func (argc - 1, sub_argv);
      }
  bendi_cli_print_error ("unknown command “%s”", argv[1]);
  print_usage (stderr);
  return BENDI_CLI_EXIT_USAGE;
}
