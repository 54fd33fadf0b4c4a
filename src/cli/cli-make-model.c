/* SPDX-License-Identifier: MIT */
/* bendi-cli make-model: a model with random weights of any size and type, for tests and benchmarks. */
#include <stdio.h>

#include "cli-commands.h"
#include "model/model-maker.h"

static gboolean
parse_arch (const char *name,
            BendiArch  *out)
{
  const BendiArch archs[] = { BENDI_ARCH_LLAMA, BENDI_ARCH_QWEN2, BENDI_ARCH_QWEN3 };

  for (gsize i = 0; i < G_N_ELEMENTS (archs); i++)
    if (g_str_equal (name, bendi_arch_name (archs[i])))
      {
        *out = archs[i];
        return TRUE;
      }
  return FALSE;
}

int
bendi_cli_make_model (int    argc,
                      char **argv)
{
  g_autofree char *arch = NULL;
  g_autofree char *vocab_path = NULL;
  g_autofree char *type = NULL;
  g_autofree char *output = NULL;
  gint64 n_embd = 0, n_layer = 0, n_head = 0, n_head_kv = 0, n_ff = 0, n_ctx = 0, seed = 1;
  gboolean tied = FALSE;
  GOptionEntry entries[] = {
    { "arch", 0, 0, G_OPTION_ARG_STRING, &arch, "Architecture: llama, qwen2 or qwen3", "ARCH" },
    { "vocab-from", 0, 0, G_OPTION_ARG_FILENAME, &vocab_path, "GGUF file whose tokenizer to copy", "VOCAB.gguf" },
    { "embd", 0, 0, G_OPTION_ARG_INT64, &n_embd, "Embedding size", "E" },
    { "layers", 0, 0, G_OPTION_ARG_INT64, &n_layer, "Layers", "L" },
    { "heads", 0, 0, G_OPTION_ARG_INT64, &n_head, "Attention heads", "H" },
    { "kv-heads", 0, 0, G_OPTION_ARG_INT64, &n_head_kv, "Key/value heads (default: as many as heads)", "K" },
    { "ff", 0, 0, G_OPTION_ARG_INT64, &n_ff, "Feed-forward size", "F" },
    { "ctx-train", 0, 0, G_OPTION_ARG_INT64, &n_ctx, "Context length in the metadata (default 2048)", "N" },
    { "type", 0, 0, G_OPTION_ARG_STRING, &type, "Weight type, e.g. F32, F16, Q4_0, Q4_K (default F32)", "T" },
    { "tied", 0, 0, G_OPTION_ARG_NONE, &tied, "Use the embeddings as the output matrix", NULL },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Random seed (default 1)", "S" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Where to write the model", "OUT" },
    { NULL }
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiGguf) vocab = NULL;
  BendiModelMakerParams params;

  if (!bendi_cli_parse_options (&argc, &argv, "", "Write a model with random weights.", entries))
    return BENDI_CLI_EXIT_USAGE;
  bendi_model_maker_params_init (&params);
  if (arch == NULL || vocab_path == NULL || output == NULL || n_embd <= 0 || n_layer <= 0 || n_head <= 0 ||
      n_ff <= 0 || n_head_kv < 0 || n_ctx < 0 || seed < 0 || argc != 1)
    {
      bendi_cli_print_error ("make-model needs --arch, --vocab-from, --embd, --layers, --heads, --ff and -o");
      return BENDI_CLI_EXIT_USAGE;
    }
  if (!parse_arch (arch, &params.arch))
    {
      bendi_cli_print_error ("unknown architecture “%s” (llama, qwen2, qwen3)", arch);
      return BENDI_CLI_EXIT_USAGE;
    }
  if (type != NULL && !bendi_tensor_type_from_name (type, &params.type))
    {
      bendi_cli_print_error ("unknown tensor type “%s”", type);
      return BENDI_CLI_EXIT_USAGE;
    }
  params.n_embd = n_embd;
  params.n_layer = n_layer;
  params.n_head = n_head;
  params.n_head_kv = n_head_kv > 0 ? n_head_kv : n_head;
  params.n_ff = n_ff;
  params.n_ctx_train = n_ctx;
  params.tied_output = tied;
  params.seed = (guint64) seed;

  vocab = bendi_gguf_open (vocab_path, BENDI_GGUF_OPEN_DEFAULT, &error);
  if (vocab == NULL || !bendi_model_maker_write (&params, vocab, output, &error))
    {
      bendi_cli_print_error ("%s", error->message);
      return BENDI_CLI_EXIT_ERROR;
    }
  return BENDI_CLI_EXIT_OK;
}
