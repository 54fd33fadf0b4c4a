/* SPDX-License-Identifier: MIT */
/* bendi-cli end to end: exit codes, output formats, corrupt files, and the tiny real model. */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>

#include "test-model-util.h"
#include "test-util.h"

#define RUN(r, ...) bendi_test_run_cli ((r), (const char *const[]) { __VA_ARGS__, NULL }, NULL)

static void
test_usage (void)
{
  g_auto (BendiTestRun) r = { 0 };

  if (!RUN (&r, "--help"))
    return;
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "generate"));
  bendi_test_run_clear (&r);

  RUN (&r, "frobnicate");
  g_assert_cmpint (r.status, ==, 2);
  g_assert_nonnull (strstr (r.err, "frobnicate"));
  bendi_test_run_clear (&r);

  RUN (&r, "generate", "-p", "no model");
  g_assert_cmpint (r.status, ==, 2);
  bendi_test_run_clear (&r);

  RUN (&r, "info", "--no-such-option");
  g_assert_cmpint (r.status, ==, 2);
  bendi_test_run_clear (&r);

  RUN (&r, "generate", "-m", "x.gguf", "-p", "x", "--backend", "tpu");
  g_assert_cmpint (r.status, ==, 2);
  g_assert_nonnull (strstr (r.err, "tpu"));
}

typedef struct {
  char *dir;
  char *model;
} Fixture;

static void
fixture_set_up (Fixture      *f,
                gconstpointer data G_GNUC_UNUSED)
{
  BendiModelMakerParams params;

  bendi_model_maker_params_init (&params);
  params.arch = BENDI_ARCH_QWEN3;
  params.type = BENDI_TENSOR_TYPE_Q8_0;
  f->dir = bendi_test_make_temp_dir ();
  f->model = bendi_test_make_model (f->dir, "model.gguf", &params);
}

static void
fixture_tear_down (Fixture      *f,
                   gconstpointer data G_GNUC_UNUSED)
{
  bendi_test_remove_dir (f->dir);
  g_free (f->dir);
  g_free (f->model);
}

static JsonObject *
parse_object (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  g_assert_true (json_parser_load_from_data (parser, text, -1, &error));
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
test_info (Fixture      *f,
           gconstpointer data G_GNUC_UNUSED)
{
  g_auto (BendiTestRun) r = { 0 };
  g_autoptr (JsonObject) info = NULL;

  if (!RUN (&r, "info", "--json", f->model))
    return;
  g_assert_cmpint (r.status, ==, 0);
  info = parse_object (r.out);
  g_assert_cmpstr (json_object_get_string_member (info, "architecture"), ==, "qwen3");
  g_assert_cmpint (json_object_get_int_member (info, "block_count"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (info, "embedding_length"), ==, 64);
  g_assert_true (json_object_has_member (json_object_get_object_member (info, "tensor_types"), "Q8_0"));
  bendi_test_run_clear (&r);

  RUN (&r, "info", f->model);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "qwen3"));
}

/* A truncated or missing file: exit 1 with the reader's message, never a crash. */
static void
test_corrupt (Fixture      *f,
              gconstpointer data G_GNUC_UNUSED)
{
  g_autofree char *contents = NULL;
  g_autofree char *cut = g_build_filename (f->dir, "cut.gguf", NULL);
  gsize len;
  const double fractions[] = { 0.0, 0.001, 0.01, 0.1, 0.5, 0.999 };

  g_assert_true (g_file_get_contents (f->model, &contents, &len, NULL));
  for (gsize i = 0; i < G_N_ELEMENTS (fractions); i++)
    {
      g_auto (BendiTestRun) info = { 0 };
      g_auto (BendiTestRun) gen = { 0 };

      g_assert_true (g_file_set_contents (cut, contents, (gssize) (len * fractions[i]), NULL));
      if (!RUN (&info, "info", cut))
        return;
      g_assert_cmpint (info.status, ==, 1);
      g_assert_nonnull (strstr (info.err, "GGUF"));
      RUN (&gen, "generate", "-m", cut, "-p", "the", "-n", "2");
      g_assert_cmpint (gen.status, ==, 1);
      g_assert_cmpuint (strlen (gen.err), >, 0);
    }
  {
    g_auto (BendiTestRun) r = { 0 };

    RUN (&r, "generate", "-m", "/nonexistent/model.gguf", "-p", "the");
    g_assert_cmpint (r.status, ==, 1);
    g_assert_nonnull (strstr (r.err, "/nonexistent/model.gguf"));
  }
}

static void
test_tokenize (Fixture      *f,
               gconstpointer data G_GNUC_UNUSED)
{
  g_auto (BendiTestRun) with_bos = { 0 };
  g_auto (BendiTestRun) without = { 0 };
  g_auto (BendiTestRun) piped = { 0 };
  g_auto (GStrv) ids = NULL;
  g_autofree char *line = NULL;

  if (!RUN (&with_bos, "tokenize", "-m", f->model, "-p", "the little girl"))
    return;
  g_assert_cmpint (with_bos.status, ==, 0);
  RUN (&without, "tokenize", "-m", f->model, "--no-bos", "-p", "the little girl");
  g_assert_cmpint (without.status, ==, 0);
  /* BOS is id 1 in the tiny vocabulary: the same ids after it */
  g_assert_true (g_str_has_prefix (with_bos.out, "1 "));
  g_assert_cmpstr (with_bos.out + 2, ==, without.out);
  /* ids of the tiny vocabulary, one line */
  g_assert_nonnull (strchr (without.out, '\n'));
  ids = g_strsplit (g_strchomp (without.out), " ", -1);
  g_assert_cmpuint (g_strv_length (ids), >=, 3);
  for (gsize i = 0; ids[i] != NULL; i++)
    g_assert_cmpint (g_ascii_strtoll (ids[i], NULL, 10), <, 294);

  /* from stdin, byte for byte: the here-document adds a newline */
  bendi_test_run_cli (&piped, (const char *const[]) { "tokenize", "-m", f->model, "--no-bos", "--stdin", NULL },
           "the little girl");
  g_assert_cmpint (piped.status, ==, 0);
  line = g_strchomp (g_strdup (without.out));
  g_assert_true (g_str_has_prefix (piped.out, line));
  g_assert_cmpuint (strlen (piped.out), >, strlen (without.out));

  /* control tokens written in the text are matched only with --special */
  {
    g_auto (BendiTestRun) special = { 0 };
    g_auto (BendiTestRun) plain = { 0 };

    RUN (&special, "tokenize", "-m", f->model, "--no-bos", "--special", "-p", "</s>");
    g_assert_cmpint (special.status, ==, 0);
    g_assert_cmpstr (special.out, ==, "2\n");
    RUN (&plain, "tokenize", "-m", f->model, "--no-bos", "-p", "</s>");
    g_assert_cmpint (plain.status, ==, 0);
    g_assert_cmpstr (plain.out, !=, "2\n");
  }
}

static void
test_generate (Fixture      *f,
               gconstpointer data G_GNUC_UNUSED)
{
  g_auto (BendiTestRun) a = { 0 };
  g_auto (BendiTestRun) b = { 0 };

  if (!RUN (&a, "generate", "-m", f->model, "-p", "the dog", "-n", "8", "--temp", "0.9", "--seed", "5"))
    return;
  g_assert_cmpint (a.status, ==, 0);
  RUN (&b, "generate", "-m", f->model, "-p", "the dog", "-n", "8", "--temp", "0.9", "--seed", "5",
       "--threads", "1");
  g_assert_cmpint (b.status, ==, 0);
  g_assert_cmpstr (a.out, ==, b.out);
  g_assert_false (g_str_has_prefix (a.out, "the dog"));
}

/* A scripted conversation: two answers, a reset between them, commands
 * understood, an unknown format refused. */
static void
test_chat (Fixture      *f,
           gconstpointer data G_GNUC_UNUSED)
{
  g_auto (BendiTestRun) r = { 0 };
  g_auto (BendiTestRun) bad = { 0 };
  g_auto (GStrv) lines = NULL;

  if (!bendi_test_run_cli (&r, (const char *const[]) { "chat", "-m", f->model, "-n", "4", "--temp", "0", "--format", "llama3",
                                            "--system", "Be brief.", NULL },
                "hello\n/reset\n/system Answer in one word.\nhi\n/exit\nnever read"))
    return;
  g_assert_cmpint (r.status, ==, 0);
  /* two answers, each cut by the limit of 4 tokens */
  lines = g_strsplit (r.out, " [length limit]\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  g_assert_cmpstr (lines[2], ==, "");

  RUN (&bad, "chat", "-m", f->model, "--format", "no-such-format");
  g_assert_cmpint (bad.status, ==, 1);
  g_assert_nonnull (strstr (bad.err, "no-such-format"));
}

/* make-model, then bench on what it made. */
static void
test_make_model_and_bench (Fixture      *f,
                           gconstpointer data G_GNUC_UNUSED)
{
  g_autofree char *vocab = bendi_test_data_path ("vocab/ggml-vocab-llama-spm.gguf");
  g_autofree char *out = g_build_filename (f->dir, "made.gguf", NULL);
  g_autoptr (JsonObject) bench = NULL;
  g_autoptr (JsonObject) deep = NULL;
  JsonArray *fractions;
  double median_ms;
  g_autoptr (JsonObject) info = NULL;
  g_auto (BendiTestRun) made = { 0 };
  g_auto (BendiTestRun) again = { 0 };
  g_auto (BendiTestRun) r = { 0 };
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  gsize first_len, second_len;

  if (vocab == NULL)
    return;
  if (!RUN (&made, "make-model", "--arch", "llama", "--vocab-from", vocab, "--embd", "256", "--layers", "2",
            "--heads", "4", "--kv-heads", "2", "--ff", "512", "--type", "Q4_0", "--seed", "9", "-o", out))
    return;
  g_assert_cmpint (made.status, ==, 0);
  g_assert_true (g_file_get_contents (out, &first, &first_len, NULL));
  /* the same seed makes the same file */
  RUN (&again, "make-model", "--arch", "llama", "--vocab-from", vocab, "--embd", "256", "--layers", "2",
       "--heads", "4", "--kv-heads", "2", "--ff", "512", "--type", "Q4_0", "--seed", "9", "-o", out);
  g_assert_cmpint (again.status, ==, 0);
  g_assert_true (g_file_get_contents (out, &second, &second_len, NULL));
  g_assert_cmpmem (first, first_len, second, second_len);

  RUN (&r, "info", "--json", out);
  g_assert_cmpint (r.status, ==, 0);
  info = parse_object (r.out);
  g_assert_cmpint (json_object_get_int_member (info, "vocab_size"), ==, 32000);
  bendi_test_run_clear (&r);

  RUN (&r, "bench", "-m", out, "-p", "16", "-n", "4", "-r", "2", "--json");
  g_assert_cmpint (r.status, ==, 0);
  bench = parse_object (r.out);
  g_assert_cmpfloat (json_object_get_double_member (bench, "prompt_tokens_per_s"), >, 0);
  g_assert_cmpfloat (json_object_get_double_member (bench, "gen_tokens_per_s"), >, 0);
  g_assert_cmpfloat (json_object_get_double_member (bench, "gen_bandwidth_gbps"), >, 0);
  g_assert_cmpfloat (json_object_get_double_member (bench, "memory_bandwidth_gbps"), >, 0);
  /* each run against the reading around it, sorted; the fraction is
   * their median */
  fractions = json_object_get_array_member (bench, "gen_bandwidth_fractions");
  g_assert_cmpuint (json_array_get_length (fractions), ==, 2);
  g_assert_cmpfloat (json_array_get_double_element (fractions, 0), >, 0);
  g_assert_cmpfloat (json_array_get_double_element (fractions, 0), <=, json_array_get_double_element (fractions, 1));
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (bench, "gen_bandwidth_fraction"),
                                  (json_array_get_double_element (fractions, 0) +
                                   json_array_get_double_element (fractions, 1)) / 2, 1e-12);
  /* the tokens' times: the median token's bandwidth is the model's bytes
   * per token over that time, against the best reading; the hypervisor's
   * share is told where /proc/stat says it */
  median_ms = json_object_get_double_member (bench, "gen_token_ms_median");
  g_assert_cmpfloat (median_ms, >, 0);
  g_assert_cmpfloat (json_object_get_double_member (bench, "gen_token_ms_p90"), >=, median_ms);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (bench, "gen_median_token_bandwidth_fraction"),
                                  (double) json_object_get_int_member (bench, "bytes_per_token") / (median_ms * 1e6) /
                                    json_object_get_double_member (bench, "memory_bandwidth_gbps"), 1e-9);
  if (g_file_test ("/proc/stat", G_FILE_TEST_EXISTS))
    g_assert_cmpfloat (json_object_get_double_member (bench, "gen_steal_ms"), >=, 0);
  /* the read test's buffer (256 MiB at least) is not the model's memory */
  if (g_access ("/proc/self/clear_refs", W_OK) == 0)
    g_assert_cmpint (json_object_get_int_member (bench, "peak_rss_bytes"), <, 200 * 1000 * 1000);
  bendi_test_run_clear (&r);

  /* after 24 tokens already in the cache: room for them too (17 positions
   * above, 24 + 8 + 1 here) */
  RUN (&r, "bench", "-m", out, "-d", "24", "-p", "8", "-n", "4", "-r", "1", "--json");
  g_assert_cmpint (r.status, ==, 0);
  deep = parse_object (r.out);
  g_assert_cmpint (json_object_get_int_member (deep, "depth"), ==, 24);
  g_assert_cmpint (json_object_get_int_member (bench, "depth"), ==, 0);
  g_assert_cmpfloat (json_object_get_double_member (deep, "gen_tokens_per_s"), >, 0);
  g_assert_cmpint (json_object_get_int_member (deep, "kv_cache_bytes") * 17, ==,
                   json_object_get_int_member (bench, "kv_cache_bytes") * 33);
  bendi_test_run_clear (&r);
  RUN (&r, "bench", "-m", out, "-d", "-1", "-n", "4");
  g_assert_cmpint (r.status, ==, 2);
  bendi_test_run_clear (&r);
  /* sizes whose sum would overflow */
  RUN (&r, "bench", "-m", out, "-p", "9223372036854775807", "-n", "9223372036854775807");
  g_assert_cmpint (r.status, ==, 2);
  bendi_test_run_clear (&r);

  /* refused inputs: a K-quant needs rows in multiples of 256 */
  RUN (&r, "make-model", "--arch", "qwen2", "--vocab-from", vocab, "--embd", "64", "--layers", "1",
       "--heads", "4", "--ff", "128", "--type", "Q4_K", "-o", out);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "256"));
  bendi_test_run_clear (&r);
  RUN (&r, "make-model", "--arch", "gpt5", "--vocab-from", vocab, "--embd", "64", "--layers", "1",
       "--heads", "4", "--ff", "128", "-o", out);
  g_assert_cmpint (r.status, ==, 2);
}

/* The real tiny model tells a story, greedily and reproducibly. */
static void
test_stories (void)
{
  g_autofree char *model = bendi_test_data_path ("models/stories260K.gguf");
  g_autofree char *text = bendi_test_data_path ("golden/english.txt");
  g_auto (BendiTestRun) story = { 0 };
  g_auto (BendiTestRun) ppl = { 0 };
  const char *line;

  if (model == NULL || text == NULL)
    return;
  if (!RUN (&story, "generate", "-m", model, "-p", "Once upon a time", "-n", "64", "--temp", "0"))
    return;
  g_assert_cmpint (story.status, ==, 0);
  g_test_message ("Once upon a time%s", story.out);
  g_assert_false (g_str_has_prefix (story.out, "Once"));
  g_assert_nonnull (strstr (story.out, "little girl"));

  RUN (&ppl, "perplexity", "-m", model, "-f", text, "--ctx", "64");
  g_assert_cmpint (ppl.status, ==, 0);
  g_assert_nonnull (strstr (ppl.out, "[1]"));
  line = strstr (ppl.out, "PPL = ");
  g_assert_nonnull (line);
  /* llama.cpp: 6.0206 (../shared/golden/perplexity.txt) */
  g_assert_cmpfloat (fabs (g_ascii_strtod (line + 6, NULL) - 6.0206), <, 0.06);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cli/usage", test_usage);
#define ADD(path, func) g_test_add ("/cli/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("info", test_info);
  ADD ("corrupt", test_corrupt);
  ADD ("tokenize", test_tokenize);
  ADD ("generate", test_generate);
  ADD ("chat", test_chat);
  ADD ("make-model-and-bench", test_make_model_and_bench);
#undef ADD
  g_test_add_func ("/cli/stories", test_stories);

  return g_test_run ();
}
