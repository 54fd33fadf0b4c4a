/* SPDX-License-Identifier: MIT */
/* bendi-cli tokenize: the token ids of a text, for checking tokenizers against llama.cpp. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli-commands.h"
#include "tokenizer/tokenizer.h"

/* Reads all of standard input, byte for byte. */
static GByteArray *
read_stdin (GError **error)
{
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  guint8 buffer[65536];

  for (;;)
    {
      gssize n = read (STDIN_FILENO, buffer, sizeof buffer);

      if (n == 0)
        break;
      if (n < 0)
        {
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                       "Cannot read standard input: %s", g_strerror (errno));
          return NULL;
        }
      g_byte_array_append (bytes, buffer, (guint) n);
    }
  return g_steal_pointer (&bytes);
}

int
bendi_cli_tokenize (int    argc,
                    char **argv)
{
  g_autofree char *model_path = NULL;
  g_autofree char *prompt = NULL;
  gboolean no_bos = FALSE, special = FALSE, from_stdin = FALSE;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, "Model or vocabulary GGUF file", "FILE" },
    { "prompt", 'p', 0, G_OPTION_ARG_STRING, &prompt, "Text to tokenise", "TEXT" },
    { "stdin", 0, 0, G_OPTION_ARG_NONE, &from_stdin, "Read the text from standard input", NULL },
    { "no-bos", 0, 0, G_OPTION_ARG_NONE, &no_bos, "Do not add BOS/EOS tokens", NULL },
    { "special", 0, 0, G_OPTION_ARG_NONE, &special, "Match special tokens written in the text", NULL },
    { NULL }
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiGguf) gguf = NULL;
  g_autoptr (BendiTokenizer) tokenizer = NULL;
  g_autoptr (GByteArray) input = NULL;
  g_autoptr (GArray) tokens = NULL;
  g_autoptr (GString) line = g_string_new (NULL);
  BendiTokenizeFlags flags = 0;

  if (!bendi_cli_parse_options (&argc, &argv, "", "Print the token ids of a text.", entries))
    return BENDI_CLI_EXIT_USAGE;
  if (model_path == NULL || (prompt == NULL) == !from_stdin || argc != 1)
    {
      bendi_cli_print_error ("tokenize needs -m FILE and either -p TEXT or --stdin");
      return BENDI_CLI_EXIT_USAGE;
    }

  gguf = bendi_gguf_open (model_path, BENDI_GGUF_OPEN_DEFAULT, &error);
  if (gguf != NULL)
    tokenizer = bendi_tokenizer_new_from_gguf (gguf, &error);
  if (tokenizer == NULL)
    {
      bendi_cli_print_error ("%s", error->message);
      return BENDI_CLI_EXIT_ERROR;
    }
  if (from_stdin)
    {
      input = read_stdin (&error);
      if (input == NULL)
        {
          bendi_cli_print_error ("%s", error->message);
          return BENDI_CLI_EXIT_ERROR;
        }
    }
  else
    {
      input = g_byte_array_new ();
      g_byte_array_append (input, (const guint8 *) prompt, (guint) strlen (prompt));
    }

  if (!no_bos)
    flags |= BENDI_TOKENIZE_ADD_SPECIAL;
  if (special)
    flags |= BENDI_TOKENIZE_PARSE_SPECIAL;
  tokens = bendi_tokenizer_encode (tokenizer, (const char *) input->data, input->len, flags, &error);
  if (tokens == NULL)
    {
      bendi_cli_print_error ("%s", error->message);
      return BENDI_CLI_EXIT_ERROR;
    }
  for (guint i = 0; i < tokens->len; i++)
    g_string_append_printf (line, i == 0 ? "%d" : " %d", g_array_index (tokens, BendiToken, i));
  printf ("%s\n", line->str);
  return BENDI_CLI_EXIT_OK;
}
