/* SPDX-License-Identifier: MIT */
/* bendi-cli info: what a GGUF file holds, without loading the model. */
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "cli-commands.h"
#include "gguf/gguf.h"

typedef struct {
  guint64 n_tensors;
  guint64 n_elements;
  guint64 n_bytes;
} TypeTally;

static gint64
tensor_elements (const BendiGgufTensorInfo *t)
{
  return t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3];
}

static void
tally_types (const BendiGguf *gguf,
             TypeTally        tally[BENDI_TENSOR_TYPE_COUNT],
             guint64         *n_params)
{
  *n_params = 0;
  for (gsize i = 0; i < bendi_gguf_get_n_tensors (gguf); i++)
    {
      const BendiGgufTensorInfo *t = bendi_gguf_get_tensor (gguf, i);

      tally[t->type].n_tensors++;
      tally[t->type].n_elements += (guint64) tensor_elements (t);
      tally[t->type].n_bytes += t->n_bytes;
      *n_params += (guint64) tensor_elements (t);
    }
}

/* An integer hyper-parameter under the architecture's prefix, or -1. */
static gint64
arch_int (const BendiGguf *gguf,
          const char      *arch,
          const char      *name)
{
  g_autofree char *key = g_strdup_printf ("%s.%s", arch, name);
  const BendiGgufValue *value = bendi_gguf_find (gguf, key);
  gint64 v;

  if (value == NULL || !bendi_gguf_value_get_int64 (value, &v))
    return -1;
  return v;
}

static char *
format_count (guint64 n)
{
  if (n >= 1000000000)
    return g_strdup_printf ("%.2fB", n / 1e9);
  if (n >= 1000000)
    return g_strdup_printf ("%.2fM", n / 1e6);
  if (n >= 1000)
    return g_strdup_printf ("%.2fK", n / 1e3);
  return g_strdup_printf ("%" G_GUINT64_FORMAT, n);
}

static void
print_text (const char      *path,
            const BendiGguf *gguf,
            const char      *arch,
            gint64           n_vocab,
            gboolean         has_template,
            guint64          n_params,
            const TypeTally *tally)
{
  g_autofree char *params = format_count (n_params);
  g_autofree char *size = g_format_size (bendi_gguf_get_file_size (gguf));
  gint64 v;

  printf ("file:           %s\n", path);
  printf ("gguf version:   %u\n", bendi_gguf_get_version (gguf));
  printf ("architecture:   %s%s\n", arch != NULL ? arch : "(none)",
          arch != NULL && !g_str_equal (arch, "llama") && !g_str_equal (arch, "qwen2") &&
          !g_str_equal (arch, "qwen3") ? " (not supported by this engine)" : "");
  printf ("parameters:     %s\n", params);
  printf ("size:           %s\n", size);
  if (arch != NULL)
    {
      if ((v = arch_int (gguf, arch, "context_length")) >= 0)
        printf ("context length: %" G_GINT64_FORMAT "\n", v);
      if ((v = arch_int (gguf, arch, "block_count")) >= 0)
        printf ("layers:         %" G_GINT64_FORMAT "\n", v);
      if ((v = arch_int (gguf, arch, "embedding_length")) >= 0)
        printf ("embedding:      %" G_GINT64_FORMAT "\n", v);
    }
  if (n_vocab >= 0)
    printf ("vocabulary:     %" G_GINT64_FORMAT " tokens\n", n_vocab);
  printf ("chat template:  %s\n", has_template ? "yes" : "no");
  printf ("tensors:        %" G_GSIZE_FORMAT "\n", bendi_gguf_get_n_tensors (gguf));
  for (guint32 type = 0; type < BENDI_TENSOR_TYPE_COUNT; type++)
    if (tally[type].n_tensors > 0)
      {
        g_autofree char *bytes = g_format_size (tally[type].n_bytes);

        printf ("  %-8s %5" G_GUINT64_FORMAT " tensors  %10s%s\n", bendi_tensor_type_name (type),
                tally[type].n_tensors, bytes,
                bendi_tensor_type_is_supported (type) ? "" : "  (unsupported tensor type)");
      }
}

static void
print_json (const char      *path,
            const BendiGguf *gguf,
            const char      *arch,
            gint64           n_vocab,
            gboolean         has_template,
            guint64          n_params,
            const TypeTally *tally)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;
  const char *const int_keys[] = { "context_length", "block_count", "embedding_length",
                                   "feed_forward_length", "attention.head_count",
                                   "attention.head_count_kv" };

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "file");
  json_builder_add_string_value (builder, path);
  json_builder_set_member_name (builder, "gguf_version");
  json_builder_add_int_value (builder, bendi_gguf_get_version (gguf));
  json_builder_set_member_name (builder, "architecture");
  if (arch != NULL)
    json_builder_add_string_value (builder, arch);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "parameters");
  json_builder_add_int_value (builder, (gint64) n_params);
  json_builder_set_member_name (builder, "size_bytes");
  json_builder_add_int_value (builder, (gint64) bendi_gguf_get_file_size (gguf));
  for (gsize i = 0; arch != NULL && i < G_N_ELEMENTS (int_keys); i++)
    {
      gint64 v = arch_int (gguf, arch, int_keys[i]);
      g_autofree char *member = g_strdelimit (g_strdup (int_keys[i]), ".", '_');

      if (v < 0)
        continue;
      json_builder_set_member_name (builder, member);
      json_builder_add_int_value (builder, v);
    }
  json_builder_set_member_name (builder, "vocab_size");
  json_builder_add_int_value (builder, n_vocab);
  json_builder_set_member_name (builder, "chat_template");
  json_builder_add_boolean_value (builder, has_template);
  json_builder_set_member_name (builder, "n_tensors");
  json_builder_add_int_value (builder, (gint64) bendi_gguf_get_n_tensors (gguf));
  json_builder_set_member_name (builder, "tensor_types");
  json_builder_begin_object (builder);
  for (guint32 type = 0; type < BENDI_TENSOR_TYPE_COUNT; type++)
    if (tally[type].n_tensors > 0)
      {
        json_builder_set_member_name (builder, bendi_tensor_type_name (type));
        json_builder_begin_object (builder);
        json_builder_set_member_name (builder, "tensors");
        json_builder_add_int_value (builder, (gint64) tally[type].n_tensors);
        json_builder_set_member_name (builder, "parameters");
        json_builder_add_int_value (builder, (gint64) tally[type].n_elements);
        json_builder_set_member_name (builder, "bytes");
        json_builder_add_int_value (builder, (gint64) tally[type].n_bytes);
        json_builder_set_member_name (builder, "supported");
        json_builder_add_boolean_value (builder, bendi_tensor_type_is_supported (type));
        json_builder_end_object (builder);
      }
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  printf ("%s\n", text);
}

int
bendi_cli_info (int    argc,
                char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { NULL }
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiGguf) gguf = NULL;
  TypeTally tally[BENDI_TENSOR_TYPE_COUNT] = { { 0 } };
  const BendiGgufValue *tokens;
  const char *arch = NULL;
  guint64 n_params;
  gint64 n_vocab = -1;
  gboolean has_template;

  if (!bendi_cli_parse_options (&argc, &argv, "FILE", "Describe a GGUF model file.", entries))
    return BENDI_CLI_EXIT_USAGE;
  if (argc != 2)
    {
      bendi_cli_print_error ("info takes exactly one FILE");
      return BENDI_CLI_EXIT_USAGE;
    }

  gguf = bendi_gguf_open (argv[1], BENDI_GGUF_OPEN_DEFAULT, &error);
  if (gguf == NULL)
    {
      bendi_cli_print_error ("%s", error->message);
      return BENDI_CLI_EXIT_ERROR;
    }
  if (!bendi_gguf_get_string (gguf, "general.architecture", FALSE, &arch, &error))
    {
      bendi_cli_print_error ("%s", error->message);
      return BENDI_CLI_EXIT_ERROR;
    }
  tokens = bendi_gguf_find (gguf, "tokenizer.ggml.tokens");
  if (tokens != NULL && tokens->type == BENDI_GGUF_TYPE_ARRAY)
    n_vocab = (gint64) tokens->arr.n;
  has_template = bendi_gguf_find (gguf, "tokenizer.chat_template") != NULL;
  tally_types (gguf, tally, &n_params);

  if (json)
    print_json (argv[1], gguf, arch, n_vocab, has_template, n_params, tally);
  else
    print_text (argv[1], gguf, arch, n_vocab, has_template, n_params, tally);
  return BENDI_CLI_EXIT_OK;
}
