/* SPDX-License-Identifier: MIT */
/* Agreement with llama.cpp on ../shared/golden: perplexities within 1% and identical greedy continuations. */
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "model/context.h"
#include "perplexity.h"
#include "session.h"
#include "test-util.h"

/* F32 weights leave only the F16 KV cache and summation order between us
 * and llama.cpp; quantised weights add 8-bit activations, as llama.cpp
 * does too, so both should land far inside the 1%. */
#define PPL_TOLERANCE_F32    0.002
#define PPL_TOLERANCE        0.01

typedef struct {
  char   *model;
  char   *text;
  gint64  n_ctx;
  double  expected;
} PerplexityCase;

static void
perplexity_case_free (gpointer data)
{
  PerplexityCase *pc = data;

  g_free (pc->model);
  g_free (pc->text);
  g_free (pc);
}

static void
run_perplexity_case (gconstpointer data)
{
  const PerplexityCase *pc = data;
  g_autofree char *model_path = NULL;
  g_autofree char *text_path = NULL;
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiModel) model = NULL;
  g_autoptr (BendiContext) context = NULL;
  g_autoptr (GArray) tokens = NULL;
  BendiContextParams params;
  gsize text_len;
  double ppl, relative, tolerance;

  model_path = bendi_test_data_path (pc->model);
  text_path = bendi_test_data_path (pc->text);
  if (model_path == NULL || text_path == NULL)
    return;
  g_assert_true (g_file_get_contents (text_path, &text, &text_len, &error));
  model = bendi_model_load (model_path, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  tokens = bendi_tokenizer_encode (bendi_model_get_tokenizer (model), text, text_len,
                                   BENDI_TOKENIZE_ADD_SPECIAL, &error);
  g_assert_no_error (error);

  bendi_context_params_init (&params);
  params.n_ctx = pc->n_ctx;
  params.n_batch = pc->n_ctx;
  params.n_threads = 2;
  context = bendi_context_new (model, &params, &error);
  g_assert_no_error (error);
  g_assert_true (bendi_perplexity (context, &g_array_index (tokens, BendiToken, 0), tokens->len, pc->n_ctx,
                                   NULL, NULL, &ppl, &error));
  g_assert_no_error (error);

  relative = fabs (ppl - pc->expected) / pc->expected;
  tolerance = strstr (pc->model, "F32") != NULL || strstr (pc->model, "stories") != NULL
              ? PPL_TOLERANCE_F32 : PPL_TOLERANCE;
  g_test_message ("%s %s ctx %" G_GINT64_FORMAT ": %.4f (llama.cpp %.4f, %+.4f%%)", pc->model, pc->text,
                  pc->n_ctx, ppl, pc->expected, 100.0 * (ppl - pc->expected) / pc->expected);
  if (relative > tolerance)
    g_error ("%s on %s at ctx %" G_GINT64_FORMAT ": perplexity %.4f, llama.cpp %.4f (%.3f%% apart, limit %.2f%%)",
             pc->model, pc->text, pc->n_ctx, ppl, pc->expected, 100 * relative, 100 * tolerance);
}

typedef struct {
  char *model;
  char *prompt;
  char *expected;
} GreedyCase;

static void
greedy_case_free (gpointer data)
{
  GreedyCase *gc = data;

  g_free (gc->model);
  g_free (gc->prompt);
  g_free (gc->expected);
  g_free (gc);
}

static gboolean
append_text (const char *text,
             gsize       len,
             gpointer    user_data)
{
  g_string_append_len (user_data, text, (gssize) len);
  return TRUE;
}

static void
run_greedy_case (gconstpointer data)
{
  const GreedyCase *gc = data;
  g_autofree char *model_path = bendi_test_data_path (gc->model);
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiModel) model = NULL;
  g_autoptr (BendiSession) session = NULL;
  g_autoptr (GString) output = g_string_new (NULL);
  BendiGenerateParams params;

  if (model_path == NULL)
    return;
  model = bendi_model_load (model_path, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  session = bendi_session_new (model, NULL, &error);
  g_assert_no_error (error);
  bendi_generate_params_init (&params);
  params.prompt = gc->prompt;
  params.max_tokens = 48;
  params.sampling.temperature = 0.0f;
  g_assert_true (bendi_session_generate (session, &params, append_text, NULL, output, NULL, &error));
  g_assert_cmpint (bendi_session_wait (session), ==, BENDI_STOP_REASON_LENGTH);
  g_assert_cmpstr (output->str, ==, gc->expected);
}

/* A JSON string field of greedy.tsv, decoded. */
static char *
parse_json_string (const char *json)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  g_assert_true (json_parser_load_from_data (parser, json, -1, &error));
  g_assert_no_error (error);
  return g_strdup (json_node_get_string (json_parser_get_root (parser)));
}

static char *
read_golden (const char *name)
{
  g_autofree char *path = NULL;
  char *contents = NULL;
  g_autofree char *dir = NULL;
  const char *env = g_getenv ("BENDI_TEST_DATA");
  const char *root = g_getenv ("BENDI_SOURCE_ROOT");

  /* Cases are listed before any test runs, so look for the files without
   * skipping: a missing file means no cases, and one test says why. */
  dir = env != NULL && *env != '\0' ? g_strdup (env)
        : root != NULL ? g_build_filename (root, "..", "shared", NULL) : NULL;
  if (dir == NULL)
    return NULL;
  path = g_build_filename (dir, "golden", name, NULL);
  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;
  return contents;
}

static void
test_data_present (void)
{
  g_autofree char *path = bendi_test_data_path ("golden/perplexity.txt");

  if (path == NULL)
    return;
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *perplexities = read_golden ("perplexity.txt");
  g_autofree char *greedy = read_golden ("greedy.tsv");

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/golden/data-present", test_data_present);

  if (perplexities != NULL)
    {
      g_auto (GStrv) lines = g_strsplit (perplexities, "\n", -1);

      for (gsize i = 0; lines[i] != NULL; i++)
        {
          g_auto (GStrv) fields = g_strsplit_set (g_strstrip (lines[i]), " \t", -1);
          PerplexityCase *pc;
          g_autofree char *name = NULL;

          if (g_strv_length (fields) != 4)
            continue;
          pc = g_new0 (PerplexityCase, 1);
          pc->model = g_strdup_printf ("%s%s", g_str_has_prefix (fields[0], "stories") ? "models/" : "golden/",
                                       fields[0]);
          pc->text = g_build_filename ("golden", fields[1], NULL);
          pc->n_ctx = g_ascii_strtoll (fields[2], NULL, 10);
          pc->expected = g_ascii_strtod (fields[3], NULL);
          name = g_strdup_printf ("/engine/golden/perplexity/%s/%s/%" G_GINT64_FORMAT, fields[0], fields[1],
                                  pc->n_ctx);
          g_test_add_data_func_full (name, pc, run_perplexity_case, perplexity_case_free);
        }
    }
  if (greedy != NULL)
    {
      g_auto (GStrv) lines = g_strsplit (greedy, "\n", -1);

      for (gsize i = 0; lines[i] != NULL; i++)
        {
          g_auto (GStrv) fields = g_strsplit (lines[i], "\t", -1);
          GreedyCase *gc;
          g_autofree char *name = NULL;

          if (g_strv_length (fields) != 3)
            continue;
          gc = g_new0 (GreedyCase, 1);
          gc->model = g_strdup_printf ("models/%s", fields[0]);
          gc->prompt = parse_json_string (fields[1]);
          gc->expected = parse_json_string (fields[2]);
          name = g_strdup_printf ("/engine/golden/greedy/%" G_GSIZE_FORMAT, i);
          g_test_add_data_func_full (name, gc, run_greedy_case, greedy_case_free);
        }
    }
  return g_test_run ();
}
