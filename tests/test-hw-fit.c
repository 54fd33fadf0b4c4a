/* SPDX-License-Identifier: MIT */
/* The fit estimator on described machines (no GPU, an 8 GB GPU, an integrated GPU, two GPUs, a cgroup limit) with models of real sizes. */
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fit-estimate.h"
#include "model/context.h"
#include "model/model-maker.h"
#include "test-hw-util.h"
#include "test-util.h"

/* Llama 3 8B's shape at Q4_K: 4.5 GB of weights, grouped-query attention. */
static const HwTestModel llama8b_q4k = {
  "llama", 128256, 4096, 32, 32, 8, 14336, 8192, 0, 0, BENDI_TENSOR_TYPE_Q4_K, FALSE, 15
};
/* Llama 2 13B's shape at Q8_0: 13.8 GB, and a large KV cache (no GQA). */
static const HwTestModel llama13b_q8 = {
  "llama", 32000, 5120, 40, 40, 40, 13824, 4096, 0, 0, BENDI_TENSOR_TYPE_Q8_0, FALSE, 7
};
/* Llama 3 70B's shape at Q4_K: 40 GB. */
static const HwTestModel llama70b_q4k = {
  "llama", 128256, 8192, 80, 64, 8, 28672, 8192, 0, 0, BENDI_TENSOR_TYPE_Q4_K, FALSE, 15
};
/* Llama 3 70B's shape in F16: 141 GB. */
static const HwTestModel llama70b_f16 = {
  "llama", 128256, 8192, 80, 64, 8, 28672, 8192, 0, 0, BENDI_TENSOR_TYPE_F16, FALSE, 1
};
/* Llama 3.1 405B's shape cut to 100 of its 126 layers, at Q4_K: 185 GB. */
static const HwTestModel llama320b_q4k = {
  "llama", 128256, 16384, 100, 128, 8, 53248, 8192, 0, 0, BENDI_TENSOR_TYPE_Q4_K, FALSE, 15
};
/* About stories260K's size (its FFN rounded to whole Q8_0 blocks), at Q8_0: 0.3 MB. */
static const HwTestModel stories_q8 = {
  "llama", 512, 64, 5, 8, 4, 192, 512, 0, 0, BENDI_TENSOR_TYPE_Q8_0, FALSE, 7
};
/* Mixtral 8x7B's shape at Q4_K: 8 experts, 2 per token. */
static const HwTestModel mixtral_q4k = {
  "llama", 32000, 4096, 32, 32, 8, 14336, 32768, 8, 2, BENDI_TENSOR_TYPE_Q4_K, FALSE, 15
};

typedef struct {
  char *dir;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data G_GNUC_UNUSED)
{
  f->dir = bendi_test_make_temp_dir ();
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data G_GNUC_UNUSED)
{
  bendi_test_remove_dir (f->dir);
  g_free (f->dir);
}

static BendiFitModel *
open_model (Fixture           *f,
            const HwTestModel *m)
{
  g_autofree char *path = hw_test_write_model (f->dir, "model.gguf", m);
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiGguf) gguf = bendi_gguf_open (path, BENDI_GGUF_OPEN_DEFAULT, &error);
  BendiFitModel *model;

  g_assert_no_error (error);
  model = bendi_fit_model_new (gguf, &error);
  g_assert_no_error (error);
  return model;
}

/* ------------------------------------------------------------------------ */
/* What the test expects, worked out from the shapes: the estimator's
 * documented rules, counted here independently. */

typedef struct {
  const HwTestModel *m;
  gint64  n_ctx;
  guint64 layer;        /* weights of one layer */
  guint64 shared;       /* embeddings, output, norm */
  guint64 kv_layer;     /* KV cache of one layer */
  guint64 scratch;
  guint64 cpu_overhead;
} Expect;

static void
expect_init (Expect            *e,
             const HwTestModel *m,
             gint64             n_ctx)
{
  BendiModelConfig config = { 0 };
  BendiContextParams params;
  gint64 head_dim = m->n_embd / m->n_head;
  gsize kv, scratch;

  e->m = m;
  e->n_ctx = n_ctx;
  e->layer = hw_test_layer_bytes (m);
  e->shared = hw_test_shared_bytes (m);
  /* Keys and values, F16, for every position. */
  e->kv_layer = 2 * (guint64) n_ctx * (guint64) (m->n_head_kv * head_dim) * 2;

  /* Scratch is the engine's own accounting. */
  config.n_vocab = m->n_vocab;
  config.n_ctx_train = m->n_ctx_train;
  config.n_embd = m->n_embd;
  config.n_layer = m->n_layer;
  config.n_head = m->n_head;
  config.n_head_kv = m->n_head_kv;
  config.head_dim = head_dim;
  config.n_ff = m->n_ff;
  config.n_rot = head_dim;
  bendi_context_params_init (&params);
  params.n_ctx = n_ctx;
  params.n_threads = 8;
  bendi_context_estimate_memory (&config, &params, &kv, &scratch);
  g_assert_cmpuint (kv, ==, e->kv_layer * (guint64) m->n_layer);
  e->scratch = scratch;
  e->cpu_overhead = BENDI_FIT_CPU_OVERHEAD_BYTES + BENDI_FIT_CPU_OVERHEAD_PER_VOCAB_TOKEN * (guint64) m->n_vocab;
}

static guint64
expect_weights (const Expect *e)
{
  return e->layer * (guint64) e->m->n_layer + e->shared;
}

static guint64
expect_gpu (const Expect *e,
            gint64        n)
{
  if (n == 0)
    return 0;
  return (e->layer + e->kv_layer) * (guint64) n + (n == e->m->n_layer ? e->shared : 0) + e->scratch +
         BENDI_FIT_GPU_OVERHEAD_BYTES;
}

static guint64
expect_ram (const Expect *e,
            gint64        n)
{
  if (n == e->m->n_layer)
    return e->cpu_overhead;
  return (e->layer + e->kv_layer) * (guint64) (e->m->n_layer - n) + e->shared + e->scratch + e->cpu_overhead;
}

/* The most layers on a discrete GPU with @vram_free bytes, RAM aside. */
static gint64
expect_layers_on (const Expect *e,
                  guint64       vram_free)
{
  for (gint64 n = e->m->n_layer; n > 0; n--)
    if (expect_gpu (e, n) <= vram_free)
      return n;
  return 0;
}

/* Sizes the way the explanation prints them: gigabytes with two decimals,
 * megabytes with one below 10 MB. */
static char *
size_text (guint64 bytes)
{
  if (bytes < 10 * 1000 * 1000)
    return g_strdup_printf ("%.1f MB", (double) bytes / 1e6);
  return g_strdup_printf ("%.2f GB", (double) bytes / 1e9);
}

static char *
memory_line (const Expect *e,
             guint64       buffers,
             guint64       overhead)
{
  g_autofree char *weights = size_text (expect_weights (e));
  g_autofree char *kv = size_text (e->kv_layer * (guint64) e->m->n_layer);
  g_autofree char *buf = size_text (buffers);
  g_autofree char *over = size_text (overhead);
  g_autofree char *total = size_text (expect_weights (e) + e->kv_layer * (guint64) e->m->n_layer + buffers + overhead);

  return g_strdup_printf ("%s weights + %s KV cache (%d tokens) + %s buffers + %s runtime = %s.",
                          weights, kv, (int) e->n_ctx, buf, over, total);
}

static char *
line (const char *text,
      guint       index)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);

  g_assert_cmpuint (index, <, g_strv_length (lines));
  return g_strdup (lines[index]);
}

static guint
n_lines (const char *text)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);

  return g_strv_length (lines);
}

static void
assert_sums (const BendiFitResult *r)
{
  g_assert_cmpuint (r->total_bytes, ==, r->weights_bytes + r->kv_cache_bytes + r->buffers_bytes + r->overhead_bytes);
  g_assert_cmpuint (r->total_bytes, ==, r->gpu_bytes + r->ram_bytes);
}

/* Tokens per second the way the explanation prints them. */
static char *
tps (double tokens_per_s)
{
  return g_strdup_printf (tokens_per_s < 10.0 ? "%.1f" : "%.0f", tokens_per_s);
}

/* ------------------------------------------------------------------------ */

static void
test_no_gpu (Fixture       *f,
             gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (BendiFitModel) model = open_model (f, &llama8b_q4k);
  g_autoptr (BendiHwInfo) hw = hw_test_machine (16 * GB, 12 * GB);
  g_autoptr (BendiFitResult) r = NULL;
  g_autofree char *expected_memory = NULL;
  g_autofree char *ram = NULL;
  g_autofree char *expected_place = NULL;
  g_autofree char *expected_speed = NULL;
  g_autofree char *per_token = NULL;
  g_autofree char *speed = NULL;
  g_autofree char *l0 = NULL, *l1 = NULL, *l2 = NULL;
  guint64 embd_row, bytes_per_token;
  double expected_tps;
  Expect e;

  hw->cpu_bandwidth_gbps = 50.0;
  expect_init (&e, &llama8b_q4k, 4096);   /* the model's 8192, at most 4096 */
  r = bendi_fit_estimate (model, hw, NULL);

  g_assert_cmpint (r->verdict, ==, BENDI_FIT_VERDICT_CPU);
  g_assert_cmpstr (bendi_fit_verdict_name (r->verdict), ==, "cpu");
  g_assert_cmpint (r->gpu, ==, -1);
  g_assert_cmpint (r->gpu_layers, ==, 0);
  g_assert_cmpint (r->n_layers, ==, 32);
  g_assert_cmpint (r->n_ctx, ==, 4096);
  g_assert_cmpuint (r->weights_bytes, ==, expect_weights (&e));
  g_assert_cmpuint (r->kv_cache_bytes, ==, 32 * e.kv_layer);
  g_assert_cmpuint (r->buffers_bytes, ==, e.scratch);
  g_assert_cmpuint (r->overhead_bytes, ==, e.cpu_overhead);
  g_assert_cmpuint (r->ram_bytes, ==, expect_ram (&e, 0));
  g_assert_cmpuint (r->gpu_bytes, ==, 0);
  g_assert_cmpuint (r->ram_free_bytes, ==, 12 * GB);
  assert_sums (r);
  g_assert_true (r->engine_supported);

  /* Every weight once, but one row of the embeddings (4096 Q4_K values:
   * 16 blocks of 144 bytes). */
  embd_row = 4096 / 256 * 144;
  bytes_per_token = expect_weights (&e) - 128256 * embd_row + embd_row;
  g_assert_cmpuint (r->bytes_per_token, ==, bytes_per_token);
  expected_tps = 50e9 * BENDI_FIT_CPU_EFFICIENCY / (double) bytes_per_token;
  g_assert_cmpfloat_with_epsilon (r->est_gen_tokens_per_s, expected_tps, expected_tps * 1e-9);

  expected_memory = memory_line (&e, e.scratch, e.cpu_overhead);
  ram = size_text (expect_ram (&e, 0));
  expected_place = g_strdup_printf ("No GPU Bendi can use; the RAM has 12.00 GB free → runs on the CPU (%s in RAM).", ram);
  per_token = size_text (bytes_per_token);
  speed = tps (expected_tps);
  expected_speed = g_strdup_printf ("CPU: 50.0 GB/s × %d%% ÷ %s per token ≈ %s tokens/s at most.",
                                    (int) (BENDI_FIT_CPU_EFFICIENCY * 100 + 0.5), per_token, speed);
  g_assert_cmpuint (n_lines (r->explanation), ==, 3);
  l0 = line (r->explanation, 0);
  l1 = line (r->explanation, 1);
  l2 = line (r->explanation, 2);
  g_assert_cmpstr (l0, ==, expected_memory);
  g_assert_cmpstr (l1, ==, expected_place);
  g_assert_cmpstr (l2, ==, expected_speed);
}

/* A model of a few megabytes is told in megabytes: two decimals of a
 * gigabyte would make its weights, its cache and what a token reads all
 * "0.00 GB". */
static void
test_small_in_megabytes (Fixture       *f,
                         gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (BendiFitModel) model = open_model (f, &stories_q8);
  g_autoptr (BendiHwInfo) hw = hw_test_machine (16 * GB, 12 * GB);
  g_autoptr (BendiFitResult) r = NULL;
  g_autofree char *expected_memory = NULL;
  g_autofree char *weights = NULL;
  g_autofree char *per_token = NULL;
  g_autofree char *l0 = NULL, *l2 = NULL;
  Expect e;

  hw->cpu_bandwidth_gbps = 50.0;
  expect_init (&e, &stories_q8, 512);
  r = bendi_fit_estimate (model, hw, NULL);
  g_assert_cmpint (r->verdict, ==, BENDI_FIT_VERDICT_CPU);
  g_assert_cmpuint (r->weights_bytes, ==, expect_weights (&e));
  g_assert_cmpuint (r->weights_bytes, <, 1000 * 1000);

  l0 = line (r->explanation, 0);
  l2 = line (r->explanation, 2);
  expected_memory = memory_line (&e, e.scratch, e.cpu_overhead);
  g_assert_cmpstr (l0, ==, expected_memory);
  weights = g_strdup_printf ("%.1f MB weights + ", (double) r->weights_bytes / 1e6);
  g_assert_true (g_str_has_prefix (l0, weights));
  per_token = g_strdup_printf (" ÷ %.1f MB per token ", (double) r->bytes_per_token / 1e6);
  g_assert_nonnull (strstr (l2, per_token));
  g_assert_null (strstr (r->explanation, "0.00 GB"));
}

static void
test_discrete_fits (Fixture       *f,
                    gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (BendiFitModel) model = open_model (f, &llama8b_q4k);
  g_autoptr (BendiHwInfo) hw = hw_test_machine (32 * GB, 24 * GB);
  g_autoptr (BendiFitResult) r = NULL;
  g_autofree char *expected_memory = NULL;
  g_autofree char *expected_speed = NULL;
  g_autofree char *per_token = NULL;
  g_autofree char *speed = NULL;
  g_autofree char *l0 = NULL, *l1 = NULL, *l2 = NULL;
  double expected_tps;
  Expect e;

  hw->cpu_bandwidth_gbps = 50.0;
  hw_test_add_gpu (hw, "Test GPU 8GB", BENDI_VK_DEVICE_TYPE_DISCRETE, 8 * GB, 8 * GB, FALSE)->bandwidth_gbps = 400.0;
  expect_init (&e, &llama8b_q4k, 4096);
  r = bendi_fit_estimate (model, hw, NULL);

  g_assert_cmpint (r->verdict, ==, BENDI_FIT_VERDICT_GPU);
  g_assert_cmpint (r->gpu, ==, 0);
  g_assert_cmpint (r->gpu_layers, ==, 32);
  g_assert_cmpuint (r->gpu_bytes, ==, expect_gpu (&e, 32));
  g_assert_cmpuint (r->ram_bytes, ==, e.cpu_overhead);
  g_assert_cmpuint (r->gpu_bytes, <=, 8 * GB);
  g_assert_cmpuint (r->buffers_bytes, ==, e.scratch);
  g_assert_cmpuint (r->overhead_bytes, ==, e.cpu_overhead + BENDI_FIT_GPU_OVERHEAD_BYTES);
  assert_sums (r);
  g_assert_cmpuint (r->gpu_bytes_per_token, ==, r->bytes_per_token);
  expected_tps = 400e9 * BENDI_FIT_GPU_EFFICIENCY / (double) r->bytes_per_token;
  g_assert_cmpfloat_with_epsilon (r->est_gen_tokens_per_s, expected_tps, expected_tps * 1e-9);

  expected_memory = memory_line (&e, e.scratch, e.cpu_overhead + BENDI_FIT_GPU_OVERHEAD_BYTES);
  per_token = size_text (r->bytes_per_token);
  speed = tps (expected_tps);
  expected_speed = g_strdup_printf ("GPU: 400.0 GB/s × %d%% ÷ %s per token ≈ %s tokens/s at most.",
                                    (int) (BENDI_FIT_GPU_EFFICIENCY * 100 + 0.5), per_token, speed);
  l0 = line (r->explanation, 0);
  l1 = line (r->explanation, 1);
  l2 = line (r->explanation, 2);
  g_assert_cmpstr (l0, ==, expected_memory);
  g_assert_cmpstr (l1, ==, "Your GPU (Test GPU 8GB) has 8.00 GB free; the RAM has 24.00 GB free → fits entirely on the GPU.");
  g_assert_cmpstr (l2, ==, expected_speed);
}

static void
test_discrete_partial (Fixture       *f,
                       gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (BendiFitModel) model = open_model (f, &llama13b_q8);
  g_autoptr (BendiHwInfo) hw = hw_test_machine (32 * GB, 24 * GB);
  g_autoptr (BendiFitResult) r = NULL;
  g_autofree char *gpu = NULL, *ram = NULL, *expected_place = NULL, *l1 = NULL, *l2 = NULL;
  g_autofree char *gpu_read = NULL, *cpu_read = NULL, *speed = NULL, *expected_speed = NULL;
  guint64 gpu_per_token;
  double expected_tps;
  gint64 n;
  Expect e;

  hw->cpu_bandwidth_gbps = 50.0;
  hw_test_add_gpu (hw, "Test GPU 8GB", BENDI_VK_DEVICE_TYPE_DISCRETE, 8 * GB, 8 * GB, FALSE)->bandwidth_gbps = 400.0;
  expect_init (&e, &llama13b_q8, 4096);
  n = expect_layers_on (&e, 8 * GB);
  /* Worked by hand: 337 MB of weights and 84 MB of KV cache a layer,
   * 7.5 GB for layers: 17 of them. */
  g_assert_cmpint (n, ==, 17);
  g_assert_cmpuint (expect_ram (&e, n), <=, 24 * GB);

  r = bendi_fit_estimate (model, hw, NULL);
  g_assert_cmpint (r->verdict, ==, BENDI_FIT_VERDICT_PARTIAL);
  g_assert_cmpstr (bendi_fit_verdict_name (r->verdict), ==, "partial");
  g_assert_cmpint (r->gpu_layers, ==, n);
  g_assert_cmpint (r->n_layers, ==, 40);
  g_assert_cmpuint (r->gpu_bytes, ==, expect_gpu (&e, n));
  g_assert_cmpuint (r->ram_bytes, ==, expect_ram (&e, n));
  g_assert_cmpuint (r->buffers_bytes, ==, 2 * e.scratch);
  assert_sums (r);

  /* The last 17 layers on the GPU; the rest and the shared tensors (the
   * output matrix whole, one row of embeddings) on the CPU. */
  gpu_per_token = (guint64) n * e.layer;
  g_assert_cmpuint (r->gpu_bytes_per_token, ==, gpu_per_token);
  expected_tps = 1.0 / ((double) gpu_per_token / (400e9 * BENDI_FIT_GPU_EFFICIENCY) +
                        (double) (r->bytes_per_token - gpu_per_token) / (50e9 * BENDI_FIT_CPU_EFFICIENCY));
  g_assert_cmpfloat_with_epsilon (r->est_gen_tokens_per_s, expected_tps, expected_tps * 1e-9);

  gpu = size_text (expect_gpu (&e, n));
  ram = size_text (expect_ram (&e, n));
  expected_place = g_strdup_printf ("Your GPU (Test GPU 8GB) has 8.00 GB free; the RAM has 24.00 GB free → 17 of 40 "
                                    "layers on the GPU (%s), the rest in RAM (%s).", gpu, ram);
  l1 = line (r->explanation, 1);
  g_assert_cmpstr (l1, ==, expected_place);
  gpu_read = size_text (gpu_per_token);
  cpu_read = size_text (r->bytes_per_token - gpu_per_token);
  speed = tps (expected_tps);
  expected_speed = g_strdup_printf ("GPU: %s at 400.0 GB/s × %d%% + CPU: %s at 50.0 GB/s × %d%% ≈ %s tokens/s at most.",
                                    gpu_read, (int) (BENDI_FIT_GPU_EFFICIENCY * 100 + 0.5), cpu_read,
                                    (int) (BENDI_FIT_CPU_EFFICIENCY * 100 + 0.5), speed);
  l2 = line (r->explanation, 2);
  g_assert_cmpstr (l2, ==, expected_speed);
}

static void
test_discrete_forced (Fixture       *f,
                      gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (BendiFitModel) model = open_model (f, &llama13b_q8);
  g_autoptr (BendiHwInfo) hw = hw_test_machine (32 * GB, 24 * GB);
  BendiFitParams params;
  Expect e;

  hw_test_add_gpu (hw, "Test GPU 8GB", BENDI_VK_DEVICE_TYPE_DISCRETE, 8 * GB, 8 * GB, FALSE);
  expect_init (&e, &llama13b_q8, 2048);
  bendi_fit_params_init (&params);
  params.n_ctx = 2048;

  /* As many as asked, when they fit. */
  {
    g_autoptr (BendiFitResult) r = NULL;

    params.gpu_layers = 5;
    r = bendi_fit_estimate (model, hw, &params);
    g_assert_cmpint (r->verdict, ==, BENDI_FIT_VERDICT_PARTIAL);
    g_assert_cmpint (r->gpu_layers, ==, 5);
    g_assert_cmpint (r->n_ctx, ==, 2048);
    g_assert_cmpuint (r->gpu_bytes, ==, expect_gpu (&e, 5));
    g_assert_cmpuint (r->ram_bytes, ==, expect_ram (&e, 5));
    assert_sums (r);
  }
  /* More than fit: what the GPU lacks. */
  {
    g_autoptr (BendiFitResult) r = NULL;
    g_autofree char *missing = NULL, *expected = NULL, *l1 = NULL;

    params.gpu_layers = 40;
    r = bendi_fit_estimate (model, hw, &params);
    g_assert_cmpint (r->verdict, ==, BENDI_FIT_VERDICT_NO);
    g_assert_cmpstr (bendi_fit_verdict_name (r->verdict), ==, "no");
    g_assert_cmpint (r->gpu_layers, ==, 40);
    g_assert_cmpuint (r->missing_gpu_bytes, ==, expect_gpu (&e, 40) - 8 * GB);
    g_assert_cmpuint (r->missing_ram_bytes, ==, 0);
    g_assert_cmpfloat (r->est_gen_tokens_per_s, ==, 0.0);
    missing = size_text (r->missing_gpu_bytes);
    expected = g_strdup_printf ("Your GPU (Test GPU 8GB) has 8.00 GB free; the RAM has 24.00 GB free → does not fit: "
                                "needs %s more GPU memory.", missing);
    l1 = line (r->explanation, 1);
    g_assert_cmpstr (l1, ==, expected);
    /* No speed line when it does not fit. */
    g_assert_cmpuint (n_lines (r->explanation), ==, 2);
  }
  /* None: the CPU, as asked. */
  {
    g_autoptr (BendiFitResult) r = NULL;
    g_autofree char *ram = NULL, *expected = NULL, *l1 = NULL;

    params.gpu_layers = 0;
    r = bendi_fit_estimate (model, hw, &params);
    g_assert_cmpint (r->verdict, ==, BENDI_FIT_VERDICT_CPU);
    g_assert_cmpint (r->gpu_layers, ==, 0);
    g_assert_cmpuint (r->ram_bytes, ==, expect_ram (&e, 0));
    ram = size_text (expect_ram (&e, 0));
    expected = g_strdup_printf ("No layers on the GPU, as asked; the RAM has 24.00 GB free → runs on the CPU (%s in RAM).",
                                ram);
    l1 = line (r->explanation, 1);
    g_assert_cmpstr (l1, ==, expected);
  }
}

static void
test_discrete_too_big (Fixture       *f,
                       gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (BendiFitModel) model = open_model (f, &llama70b_q4k);
  Expect e;

  expect_init (&e, &llama70b_q4k, 4096);

  /* 40 GB on an 8 GB GPU and 24 GB of free RAM: with as many layers on the
   * GPU as it takes, RAM lacks the rest. */
  {
    g_autoptr (BendiHwInfo) hw = hw_test_machine (32 * GB, 24 * GB);
    g_autoptr (BendiFitResult) r = NULL;
    g_autofree char *missing = NULL, *expected = NULL, *l1 = NULL;
    gint64 n;

    hw_test_add_gpu (hw, "Test GPU 8GB", BENDI_VK_DEVICE_TYPE_DISCRETE, 8 * GB, 8 * GB, FALSE);
    n = expect_layers_on (&e, 8 * GB);
    g_assert_cmpuint (expect_ram (&e, n), >, 24 * GB);
    r = bendi_fit_estimate (model, hw, NULL);
    g_assert_cmpint (r->verdict, ==, BENDI_FIT_VERDICT_NO);
    g_assert_cmpint (r->gpu_layers, ==, n);
    g_assert_cmpuint (r->missing_ram_bytes, ==, expect_ram (&e, n) - 24 * GB);
    g_assert_cmpuint (r->missing_gpu_bytes, ==, 0);
    missing = size_text (r->missing_ram_bytes);
    expected = g_strdup_printf ("Your GPU (Test GPU 8GB) has 8.00 GB free; the RAM has 24.00 GB free → does not fit: "
                                "needs %s more RAM.", missing);
    l1 = line (r->explanation, 1);
    g_assert_cmpstr (l1, ==, expected);
  }
  /* With 64 GB of RAM it fits, partly on the GPU. */
  {
    g_autoptr (BendiHwInfo) hw = hw_test_machine (64 * GB, 60 * GB);
    g_autoptr (BendiFitResult) r = NULL;

    hw_test_add_gpu (hw, "Test GPU 8GB", BENDI_VK_DEVICE_TYPE_DISCRETE, 8 * GB, 8 * GB, FALSE);
    r = bendi_fit_estimate (model, hw, NULL);
    g_assert_cmpint (r->verdict, ==, BENDI_FIT_VERDICT_PARTIAL);
    g_assert_cmpint (r->gpu_layers, ==, expect_layers_on (&e, 8 * GB));
  }
  /* A GPU too small for a single 70B layer: the CPU. */
  {
    g_autoptr (BendiHwInfo) hw = hw_test_machine (64 * GB, 60 * GB);
    g_autoptr (BendiFitResult) r = NULL;
    g_autofree char *ram = NULL, *expected = NULL, *l1 = NULL;

    hw_test_add_gpu (hw, "Tiny GPU", BENDI_VK_DEVICE_TYPE_DISCRETE, GB, GB / 2, FALSE);
    g_assert_cmpuint (expect_gpu (&e, 1), >, GB / 2);
    r = bendi_fit_estimate (model, hw, NULL);
    g_assert_cmpint (r->verdict, ==, BENDI_FIT_VERDICT_CPU);
    g_assert_cmpint (r->gpu_layers, ==, 0);
    ram = size_text (expect_ram (&e, 0));
    expected = g_strdup_printf ("Your GPU (Tiny GPU) has 0.50 GB free; the RAM has 60.00 GB free → too little GPU "
                                "memory for one layer: runs on the CPU (%s in RAM).", ram);
    l1 = line (r->explanation, 1);
    g_assert_cmpstr (l1, ==, expected);
  }
}

/* Without a memory budget the driver's whole heap counts as free, and the
 * explanation says so. */
static void
test_discrete_no_budget (Fixture       *f,
                         gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (BendiFitModel) model = open_model (f, &llama8b_q4k);
  g_autoptr (BendiHwInfo) hw = hw_test_machine (32 * GB, 24 * GB);
  g_autoptr (BendiFitResult) r = NULL;
  g_autofree char *l2 = NULL;
  BendiHwGpu *gpu = hw_test_add_gpu (hw, "Old GPU", BENDI_VK_DEVICE_TYPE_DISCRETE, 8 * GB, 8 * GB, FALSE);

  gpu->has_memory_budget = FALSE;
  r = bendi_fit_estimate (model, hw, NULL);
  g_assert_cmpint (r->verdict, ==, BENDI_FIT_VERDICT_GPU);
  l2 = line (r->explanation, 2);
  g_assert_cmpstr (l2, ==, "The GPU driver does not say how much of its memory other programs use: all of it was "
                           "counted as free.");
}

/* An integrated GPU's memory is the RAM: counted once. */
static void
test_integrated_uma (Fixture       *f,
                     gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (BendiHwInfo) hw = hw_test_machine (16 * GB, 10 * GB);

  /* The driver reports the whole RAM as device-local and free. */
  hw_test_add_gpu (hw, "Test iGPU", BENDI_VK_DEVICE_TYPE_INTEGRATED, 16 * GB, 16 * GB, TRUE);

  {
    g_autoptr (BendiFitModel) model = open_model (f, &llama8b_q4k);
    g_autoptr (BendiFitResult) r = bendi_fit_estimate (model, hw, NULL);
    g_autofree char *l1 = NULL;
    Expect e;

    expect_init (&e, &llama8b_q4k, 4096);
    g_assert_cmpint (r->verdict, ==, BENDI_FIT_VERDICT_GPU);
    g_assert_cmpint (r->gpu_layers, ==, 32);
    /* What the GPU may take is what the RAM has free. */
    g_assert_cmpuint (r->gpu_free_bytes, ==, 10 * GB);
    g_assert_cmpuint (r->ram_free_bytes, ==, 10 * GB);
    g_assert_cmpuint (r->total_bytes, ==, expect_gpu (&e, 32) + expect_ram (&e, 32));
    l1 = line (r->explanation, 1);
    g_assert_cmpstr (l1, ==, "Your integrated GPU (Test iGPU) shares the RAM, which has 10.00 GB free → fits entirely "
                             "on the GPU.");
  }
  /* 17.6 GB on a machine with 14 GB of free RAM and an integrated GPU
   * whose driver reports 16 GB: counting the two apart would put 36 layers
   * "on the GPU" and the rest in RAM; it is one pool, and it lacks room. */
  {
    g_autoptr (BendiHwInfo) hw2 = hw_test_machine (32 * GB, 14 * GB);
    g_autoptr (BendiFitModel) model = open_model (f, &llama13b_q8);
    g_autoptr (BendiFitResult) r = NULL;
    g_autofree char *missing = NULL, *expected = NULL, *l1 = NULL;
    Expect e;

    hw_test_add_gpu (hw2, "Test iGPU", BENDI_VK_DEVICE_TYPE_INTEGRATED, 16 * GB, 16 * GB, TRUE);
    expect_init (&e, &llama13b_q8, 4096);
    g_assert_cmpint (expect_layers_on (&e, 16 * GB), ==, 36);
    g_assert_cmpuint (expect_ram (&e, 36), <, 14 * GB);
    r = bendi_fit_estimate (model, hw2, NULL);
    g_assert_cmpint (r->verdict, ==, BENDI_FIT_VERDICT_NO);
    /* Least missing on the CPU alone: a GPU adds its own overhead. */
    g_assert_cmpint (r->gpu_layers, ==, 0);
    g_assert_cmpuint (r->missing_ram_bytes, ==, expect_ram (&e, 0) - 14 * GB);
    missing = size_text (r->missing_ram_bytes);
    expected = g_strdup_printf ("Your integrated GPU (Test iGPU) shares the RAM, which has 14.00 GB free → does not "
                                "fit: needs %s more RAM.", missing);
    l1 = line (r->explanation, 1);
    g_assert_cmpstr (l1, ==, expected);
  }
}

static void
test_two_gpus (Fixture       *f,
               gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (BendiHwInfo) hw = hw_test_machine (32 * GB, 24 * GB);
  g_autoptr (BendiFitModel) small = open_model (f, &llama8b_q4k);
  Expect e;

  hw_test_add_gpu (hw, "Small GPU", BENDI_VK_DEVICE_TYPE_DISCRETE, 4 * GB, 4 * GB, FALSE);
  hw_test_add_gpu (hw, "Big GPU", BENDI_VK_DEVICE_TYPE_DISCRETE, 12 * GB, 11 * GB, FALSE);
  /* The CPU itself as a Vulkan device (lavapipe): never worth it. */
  hw_test_add_gpu (hw, "llvmpipe", BENDI_VK_DEVICE_TYPE_CPU, 64 * GB, 64 * GB, TRUE);

  /* Only the big one holds it all. */
  {
    g_autoptr (BendiFitResult) r = bendi_fit_estimate (small, hw, NULL);
    g_autofree char *l1 = NULL;

    g_assert_cmpint (r->verdict, ==, BENDI_FIT_VERDICT_GPU);
    g_assert_cmpint (r->gpu, ==, 1);
    l1 = line (r->explanation, 1);
    g_assert_cmpstr (l1, ==, "Your GPU (Big GPU) has 11.00 GB free; the RAM has 24.00 GB free → fits entirely on the GPU.");
  }
  /* Neither holds 13B at Q8_0: the big one takes more layers. */
  {
    g_autoptr (BendiFitModel) big = open_model (f, &llama13b_q8);
    g_autoptr (BendiFitResult) r = bendi_fit_estimate (big, hw, NULL);

    expect_init (&e, &llama13b_q8, 4096);
    g_assert_cmpint (r->verdict, ==, BENDI_FIT_VERDICT_PARTIAL);
    g_assert_cmpint (r->gpu, ==, 1);
    g_assert_cmpint (r->gpu_layers, ==, expect_layers_on (&e, 11 * GB));
  }
  /* Asked for the small one: it takes what it can. */
  {
    g_autoptr (BendiFitResult) r = NULL;
    BendiFitParams params;

    expect_init (&e, &llama8b_q4k, 4096);
    bendi_fit_params_init (&params);
    params.gpu = 0;
    r = bendi_fit_estimate (small, hw, &params);
    g_assert_cmpint (r->gpu, ==, 0);
    g_assert_cmpint (r->verdict, ==, BENDI_FIT_VERDICT_PARTIAL);
    g_assert_cmpint (r->gpu_layers, ==, expect_layers_on (&e, 4 * GB));
  }
  /* Two that both hold it: the faster one. */
  {
    g_autoptr (BendiHwInfo) hw2 = hw_test_machine (32 * GB, 24 * GB);
    g_autoptr (BendiFitResult) r = NULL;

    hw_test_add_gpu (hw2, "Slow GPU", BENDI_VK_DEVICE_TYPE_DISCRETE, 16 * GB, 16 * GB, FALSE)->bandwidth_gbps = 300.0;
    hw_test_add_gpu (hw2, "Fast GPU", BENDI_VK_DEVICE_TYPE_DISCRETE, 12 * GB, 12 * GB, FALSE)->bandwidth_gbps = 900.0;
    r = bendi_fit_estimate (small, hw2, NULL);
    g_assert_cmpint (r->gpu, ==, 1);
    g_assert_cmpfloat (r->gpu_bandwidth_gbps, ==, 900.0);
  }
}

/* A container allows 8 of the machine's 64 GB. */
static void
test_cgroup_limited (Fixture       *f,
                     gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (BendiHwInfo) hw = hw_test_machine (8 * GB, 6 * GB);

  hw->ram_physical_bytes = 64 * GB;
  hw->ram_cgroup_limited = TRUE;
  {
    g_autoptr (BendiFitModel) model = open_model (f, &llama13b_q8);
    g_autoptr (BendiFitResult) r = bendi_fit_estimate (model, hw, NULL);
    g_autofree char *missing = NULL, *expected = NULL, *l1 = NULL, *l2 = NULL;
    Expect e;

    expect_init (&e, &llama13b_q8, 4096);
    g_assert_cmpint (r->verdict, ==, BENDI_FIT_VERDICT_NO);
    g_assert_cmpuint (r->missing_ram_bytes, ==, expect_ram (&e, 0) - 6 * GB);
    missing = size_text (r->missing_ram_bytes);
    expected = g_strdup_printf ("No GPU Bendi can use; the RAM has 6.00 GB free → does not fit: needs %s more RAM.",
                                missing);
    l1 = line (r->explanation, 1);
    l2 = line (r->explanation, 2);
    g_assert_cmpstr (l1, ==, expected);
    g_assert_cmpstr (l2, ==, "This program may use at most 8.00 GB of the 64.00 GB of RAM (a cgroup limit).");
  }
  {
    g_autoptr (BendiFitModel) model = open_model (f, &llama8b_q4k);
    g_autoptr (BendiFitResult) r = bendi_fit_estimate (model, hw, NULL);

    g_assert_cmpint (r->verdict, ==, BENDI_FIT_VERDICT_CPU);
  }
}

static void
test_moe (Fixture       *f,
          gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (BendiFitModel) model = open_model (f, &mixtral_q4k);
  g_autoptr (BendiHwInfo) hw = hw_test_machine (64 * GB, 60 * GB);
  g_autoptr (BendiFitResult) r = NULL;
  g_autofree char *read = NULL, *weights = NULL, *expected = NULL, *l2 = NULL;
  guint64 experts, dense_part, per_token, embd_row;
  double expected_tps;
  Expect e;

  hw->cpu_bandwidth_gbps = 100.0;
  expect_init (&e, &mixtral_q4k, 4096);
  r = bendi_fit_estimate (model, hw, NULL);
  g_assert_cmpint (bendi_fit_model_get_expert_count (model), ==, 8);
  g_assert_cmpint (bendi_fit_model_get_expert_used_count (model), ==, 2);
  g_assert_cmpint (r->verdict, ==, BENDI_FIT_VERDICT_CPU);
  g_assert_cmpuint (r->weights_bytes, ==, expect_weights (&e));

  /* Per layer, three expert tensors of 8 experts; a token reads 2 of 8. */
  experts = 3 * (4096 * 14336 / 256 * 144) * 8;
  dense_part = e.layer - experts;
  embd_row = 4096 / 256 * 144;
  per_token = 32 * (dense_part + experts / 4) + (e.shared - 32000 * embd_row) + embd_row;
  g_assert_cmpuint (r->bytes_per_token, ==, per_token);
  expected_tps = 100e9 * BENDI_FIT_CPU_EFFICIENCY / (double) per_token;
  g_assert_cmpfloat_with_epsilon (r->est_gen_tokens_per_s, expected_tps, expected_tps * 1e-9);

  read = size_text (per_token);
  weights = size_text (expect_weights (&e));
  expected = g_strdup_printf ("Mixture of experts: 2 of 8 experts per token, so %s of the %s of weights are read per "
                              "token.", read, weights);
  l2 = line (r->explanation, 2);
  g_assert_cmpstr (l2, ==, expected);
}

/* A model the engine cannot run is still sized, and says why not. */
static void
test_unsupported_arch (Fixture       *f,
                       gconstpointer  data G_GNUC_UNUSED)
{
  HwTestModel gemma = llama8b_q4k;
  g_autoptr (BendiFitModel) model = NULL;
  g_autoptr (BendiHwInfo) hw = hw_test_machine (32 * GB, 24 * GB);
  g_autoptr (BendiFitResult) r = NULL;
  g_autofree char *last = NULL;
  Expect e;

  gemma.arch = "gemma2";
  model = open_model (f, &gemma);
  expect_init (&e, &gemma, 4096);
  g_assert_false (bendi_fit_model_get_engine_supported (model));
  g_assert_cmpstr (bendi_fit_model_get_arch (model), ==, "gemma2");
  r = bendi_fit_estimate (model, hw, NULL);
  g_assert_false (r->engine_supported);
  g_assert_cmpint (r->verdict, ==, BENDI_FIT_VERDICT_CPU);
  g_assert_cmpuint (r->weights_bytes, ==, expect_weights (&e));
  g_assert_cmpuint (r->kv_cache_bytes, ==, 32 * e.kv_layer);
  last = line (r->explanation, n_lines (r->explanation) - 1);
  g_assert_true (g_str_has_prefix (last, "Bendi cannot run this model yet: "));
  g_assert_nonnull (strstr (last, "'gemma2'"));
}

static void
test_speed_unknown (Fixture       *f,
                    gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (BendiFitModel) model = open_model (f, &llama8b_q4k);
  g_autoptr (BendiHwInfo) hw = hw_test_machine (32 * GB, 24 * GB);
  g_autoptr (BendiFitResult) r = NULL;
  g_autofree char *l2 = NULL;

  r = bendi_fit_estimate (model, hw, NULL);
  g_assert_cmpfloat (r->est_gen_tokens_per_s, ==, 0.0);
  l2 = line (r->explanation, 2);
  g_assert_cmpstr (l2, ==, "Speed unknown until the memory bandwidth is measured (bendi-cli hw --measure).");
}

/* The same arithmetic in Simplified Chinese. */
static void
test_chinese (Fixture       *f,
              gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (BendiFitModel) model = open_model (f, &llama13b_q8);
  g_autoptr (BendiHwInfo) hw = hw_test_machine (32 * GB, 24 * GB);
  g_autoptr (BendiFitResult) r = NULL;
  g_autofree char *weights = NULL, *kv = NULL, *buffers = NULL, *overhead = NULL, *total = NULL;
  g_autofree char *gpu = NULL, *ram = NULL, *expected0 = NULL, *expected1 = NULL, *l0 = NULL, *l1 = NULL;
  g_autofree char *l2 = NULL;
  const char *localedir = g_getenv ("BENDI_LOCALEDIR");
  gint64 n;
  Expect e;

  if (localedir == NULL)
    {
      g_test_skip ("BENDI_LOCALEDIR is not set: run through meson test, which builds the catalogues");
      return;
    }
  hw_test_add_gpu (hw, "Test GPU 8GB", BENDI_VK_DEVICE_TYPE_DISCRETE, 8 * GB, 8 * GB, FALSE);
  expect_init (&e, &llama13b_q8, 4096);
  n = expect_layers_on (&e, 8 * GB);

  g_setenv ("LANGUAGE", "zh_CN", TRUE);
  setlocale (LC_ALL, "C.UTF-8");
  r = bendi_fit_estimate (model, hw, NULL);
  g_unsetenv ("LANGUAGE");
  setlocale (LC_ALL, "C.UTF-8");

  weights = size_text (expect_weights (&e));
  kv = size_text (40 * e.kv_layer);
  buffers = size_text (2 * e.scratch);
  overhead = size_text (e.cpu_overhead + BENDI_FIT_GPU_OVERHEAD_BYTES);
  total = size_text (r->total_bytes);
  expected0 = g_strdup_printf ("权重 %s + KV 缓存 %s（4096 个词元）+ 缓冲区 %s + 运行时 %s = %s。",
                               weights, kv, buffers, overhead, total);
  gpu = size_text (expect_gpu (&e, n));
  ram = size_text (expect_ram (&e, n));
  expected1 = g_strdup_printf ("你的 GPU（Test GPU 8GB）有 %s 可用；内存有 24.00 GB 可用 → "
                               "%d 层（共 40 层）放在 GPU 上（%s），其余放在内存中（%s）。", "8.00 GB", (int) n, gpu, ram);
  l0 = line (r->explanation, 0);
  l1 = line (r->explanation, 1);
  l2 = line (r->explanation, 2);
  g_assert_cmpstr (l0, ==, expected0);
  g_assert_cmpstr (l1, ==, expected1);
  g_assert_cmpstr (l2, ==, "测量内存带宽之后才能估计速度（bendi-cli hw --measure）。");
}

/* What a server needs for a model that fits nowhere here: weights, KV
 * cache and one device's buffers, on GPUs of 24, 48 or 80 GiB at 90% less
 * the runtime's own, 80 GB ones rounded up to a power of two. */
static void
test_server_suggestion (Fixture       *f,
                        gconstpointer  data G_GNUC_UNUSED)
{
  static const struct {
    const HwTestModel *m;
    guint              n_gpus;
    guint              gpu_gb;
    double             min_gb;    /* the need, roughly, worked out by hand from the shape */
    double             max_gb;
  } cases[] = {
    /* 70B × 4.5 bits ≈ 40 GB + 1.3 GB KV: more than 24 GiB × 0.9, less than 48 GiB × 0.9 ≈ 46.4 GB. */
    { &llama70b_q4k, 1, 48, 38.0, 46.0 },
    /* 70.6B × 2 bytes ≈ 141 GB: two 80 GiB GPUs give 2 × 77.0 GB. */
    { &llama70b_f16, 2, 80, 140.0, 150.0 },
    /* 100 layers of 405B's × 4.5 bits ≈ 185 GB: three 80 GB GPUs (3 × 77.0 GB) would do, tensor
     * parallelism takes four. */
    { &llama320b_q4k, 4, 80, 160.0, 210.0 },
  };
  g_autoptr (BendiHwInfo) hw = hw_test_machine (32 * GB, 24 * GB);

  hw_test_add_gpu (hw, "Test GPU 8GB", BENDI_VK_DEVICE_TYPE_DISCRETE, 8 * GB, 8 * GB, FALSE);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (BendiFitModel) model = open_model (f, cases[i].m);
      g_autoptr (BendiFitResult) r = bendi_fit_estimate (model, hw, NULL);
      g_autofree char *total = NULL, *expected = NULL, *last = NULL;
      guint64 need, reported = 0;
      guint gpu_gb = 0;
      Expect e;

      expect_init (&e, cases[i].m, 4096);
      g_assert_cmpint (r->verdict, ==, BENDI_FIT_VERDICT_NO);
      need = expect_weights (&e) + e.kv_layer * (guint64) cases[i].m->n_layer + e.scratch;
      g_assert_cmpfloat ((double) need / 1e9, >, cases[i].min_gb);
      g_assert_cmpfloat ((double) need / 1e9, <, cases[i].max_gb);
      g_assert_cmpuint (bendi_fit_server_gpus (r, &gpu_gb, &reported), ==, cases[i].n_gpus);
      g_assert_cmpuint (gpu_gb, ==, cases[i].gpu_gb);
      g_assert_cmpuint (reported, ==, need);

      total = size_text (need);
      if (cases[i].n_gpus == 1)
        expected = g_strdup_printf ("Needs about %s: one %u GB GPU — run it with vLLM or llama-server on a server "
                                    "and add it under Preferences → Connections.", total, cases[i].gpu_gb);
      else
        expected = g_strdup_printf ("Needs about %s: %u × %u GB GPUs — run it with vLLM or llama-server on a server "
                                    "and add it under Preferences → Connections.", total, cases[i].n_gpus,
                                    cases[i].gpu_gb);
      last = line (r->explanation, n_lines (r->explanation) - 1);
      g_assert_cmpstr (last, ==, expected);
    }

  /* A model that fits gets no such line. */
  {
    g_autoptr (BendiFitModel) model = open_model (f, &llama8b_q4k);
    g_autoptr (BendiFitResult) r = bendi_fit_estimate (model, hw, NULL);

    g_assert_cmpint (r->verdict, !=, BENDI_FIT_VERDICT_NO);
    g_assert_null (strstr (r->explanation, "Preferences"));
  }
}

/* The server line in Chinese, as the model page shows it. */
static void
test_server_suggestion_chinese (Fixture       *f,
                                gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (BendiFitModel) model = open_model (f, &llama70b_f16);
  g_autoptr (BendiHwInfo) hw = hw_test_machine (32 * GB, 24 * GB);
  g_autoptr (BendiFitResult) r = NULL;
  g_autofree char *total = NULL, *expected = NULL, *last = NULL;
  guint64 need = 0;
  guint gpu_gb = 0;

  if (g_getenv ("BENDI_LOCALEDIR") == NULL)
    {
      g_test_skip ("BENDI_LOCALEDIR is not set: run through meson test, which builds the catalogues");
      return;
    }
  g_setenv ("LANGUAGE", "zh_CN", TRUE);
  setlocale (LC_ALL, "C.UTF-8");
  r = bendi_fit_estimate (model, hw, NULL);
  g_unsetenv ("LANGUAGE");
  setlocale (LC_ALL, "C.UTF-8");

  g_assert_cmpuint (bendi_fit_server_gpus (r, &gpu_gb, &need), ==, 2);
  total = size_text (need);
  expected = g_strdup_printf ("大约需要 %s：2 块 80 GB 的 GPU——可以在服务器上用 vLLM 或 llama-server 运行它，"
                              "再在“首选项 → 连接”中添加这台服务器。", total);
  last = line (r->explanation, n_lines (r->explanation) - 1);
  g_assert_cmpstr (last, ==, expected);
}

/* The estimator's view of a real model agrees with the loaded engine's. */
static void
test_agrees_with_engine (Fixture       *f,
                         gconstpointer  data)
{
  gboolean tied = GPOINTER_TO_INT (data);
  g_autofree char *vocab_path = bendi_test_data_path ("vocab/ggml-vocab-llama-spm.gguf");
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiGguf) vocab = NULL;
  g_autoptr (BendiGguf) gguf = NULL;
  g_autoptr (BendiFitModel) fit_model = NULL;
  g_autoptr (BendiModel) model = NULL;
  g_autoptr (BendiContext) context = NULL;
  g_autoptr (BendiHwInfo) hw = hw_test_machine (32 * GB, 24 * GB);
  g_autoptr (BendiFitResult) r = NULL;
  BendiModelMakerParams params;
  BendiContextParams context_params;
  BendiFitParams fit_params;
  const BendiModelConfig *a, *b;

  if (vocab_path == NULL)
    return;
  vocab = bendi_gguf_open (vocab_path, BENDI_GGUF_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  bendi_model_maker_params_init (&params);
  params.arch = BENDI_ARCH_QWEN2;
  params.n_embd = 64;
  params.n_layer = 3;
  params.n_head = 4;
  params.n_head_kv = 2;
  params.n_ff = 128;
  params.type = BENDI_TENSOR_TYPE_Q8_0;
  params.tied_output = tied;
  path = g_build_filename (f->dir, "made.gguf", NULL);
  g_assert_true (bendi_model_maker_write (&params, vocab, path, &error));
  g_assert_no_error (error);

  gguf = bendi_gguf_open (path, BENDI_GGUF_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  fit_model = bendi_fit_model_new (gguf, &error);
  g_assert_no_error (error);
  model = bendi_model_load (path, NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  a = bendi_fit_model_get_config (fit_model);
  b = bendi_model_get_config (model);
  g_assert_cmpint (a->arch, ==, b->arch);
  g_assert_cmpint (a->n_vocab, ==, b->n_vocab);
  g_assert_cmpint (a->n_embd, ==, b->n_embd);
  g_assert_cmpint (a->n_layer, ==, b->n_layer);
  g_assert_cmpint (a->n_head_kv, ==, b->n_head_kv);
  g_assert_cmpint (a->head_dim, ==, b->head_dim);
  g_assert_cmpint (a->n_ff, ==, b->n_ff);
  g_assert_cmpuint (bendi_fit_model_get_weights_bytes (fit_model), ==, bendi_model_get_weights_bytes (model));
  g_assert_cmpuint (bendi_fit_model_get_bytes_per_token (fit_model), ==, bendi_model_get_bytes_per_token (model));
  g_assert_cmpint (bendi_fit_model_get_n_params (fit_model), ==, bendi_model_get_n_params (model));
  g_assert_true (bendi_fit_model_get_engine_supported (fit_model));
  g_assert_cmpstr (bendi_fit_model_get_main_type (fit_model), ==, "Q8_0");

  bendi_context_params_init (&context_params);
  context_params.n_ctx = 256;
  context = bendi_context_new (model, &context_params, &error);
  g_assert_no_error (error);
  bendi_fit_params_init (&fit_params);
  fit_params.n_ctx = 256;
  r = bendi_fit_estimate (fit_model, hw, &fit_params);
  g_assert_cmpuint (r->kv_cache_bytes, ==, bendi_context_get_kv_bytes (context));
  g_assert_cmpuint (r->weights_bytes, ==, bendi_model_get_weights_bytes (model));
}

/* A remote file's header (what the hub peeks at) sizes it as well as the
 * whole file does. */
static void
test_header_only (Fixture       *f,
                  gconstpointer  data G_GNUC_UNUSED)
{
  g_autofree char *path = hw_test_write_model (f->dir, "model.gguf", &mixtral_q4k);
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiGguf) whole = bendi_gguf_open (path, BENDI_GGUF_OPEN_DEFAULT, &error);
  g_autoptr (BendiGguf) header = NULL;
  g_autoptr (BendiFitModel) from_whole = NULL;
  g_autoptr (BendiFitModel) from_header = NULL;
  g_autoptr (BendiHwInfo) hw = hw_test_machine (64 * GB, 60 * GB);
  g_autoptr (BendiFitResult) a = NULL;
  g_autoptr (BendiFitResult) b = NULL;
  g_autoptr (GBytes) prefix = NULL;
  g_autofree char *contents = NULL;
  gsize prefix_len;

  g_assert_no_error (error);
  prefix_len = bendi_gguf_get_data_offset (whole);
  /* Only the header: the data section is a hole anyway. */
  contents = g_malloc (prefix_len);
  {
    FILE *file = fopen (path, "rb");

    g_assert_nonnull (file);
    g_assert_cmpuint (fread (contents, 1, prefix_len, file), ==, prefix_len);
    fclose (file);
  }
  prefix = g_bytes_new (contents, prefix_len);
  header = bendi_gguf_new_from_header (prefix, bendi_gguf_get_file_size (whole), NULL, &error);
  g_assert_no_error (error);
  g_assert_true (bendi_gguf_is_header_only (header));

  from_whole = bendi_fit_model_new (whole, &error);
  g_assert_no_error (error);
  from_header = bendi_fit_model_new (header, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bendi_fit_model_get_file_size (from_header), ==, bendi_fit_model_get_file_size (from_whole));
  g_assert_cmpuint (bendi_fit_model_get_weights_bytes (from_header), ==, bendi_fit_model_get_weights_bytes (from_whole));
  g_assert_cmpuint (bendi_fit_model_get_bytes_per_token (from_header), ==,
                    bendi_fit_model_get_bytes_per_token (from_whole));
  g_assert_cmpstr (bendi_fit_model_get_file_type (from_header), ==, "Q4_K_M");
  a = bendi_fit_estimate (from_whole, hw, NULL);
  b = bendi_fit_estimate (from_header, hw, NULL);
  g_assert_cmpuint (a->total_bytes, ==, b->total_bytes);
  g_assert_cmpstr (a->explanation, ==, b->explanation);
}

/* The same model in another quantisation, from its size alone. */
static void
test_scaled (Fixture       *f,
             gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (BendiFitModel) model = open_model (f, &llama8b_q4k);
  g_autoptr (BendiFitModel) half = NULL;
  gsize metadata = bendi_fit_model_get_file_size (model) - bendi_fit_model_get_weights_bytes (model);
  gsize weights = bendi_fit_model_get_weights_bytes (model);

  half = bendi_fit_model_new_scaled (model, metadata + weights / 2);
  g_assert_cmpuint (bendi_fit_model_get_file_size (half), ==, metadata + weights / 2);
  /* Each tensor group rounds down on its own. */
  g_assert_cmpuint (bendi_fit_model_get_weights_bytes (half), <=, weights / 2);
  g_assert_cmpuint (bendi_fit_model_get_weights_bytes (half), >=, weights / 2 - 64);
  g_assert_cmpuint (bendi_fit_model_get_layer_bytes (half, 0), ==, bendi_fit_model_get_layer_bytes (model, 0) / 2);
  g_assert_cmpint (bendi_fit_model_get_n_layers (half), ==, 32);
  g_assert_cmpint (bendi_fit_model_get_config (half)->n_head_kv, ==, 8);
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  g_unsetenv ("LANGUAGE");
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func, data) g_test_add (path, Fixture, data, fixture_set_up, func, fixture_tear_down)
  ADD ("/hw/fit/no-gpu", test_no_gpu, NULL);
  ADD ("/hw/fit/small-in-megabytes", test_small_in_megabytes, NULL);
  ADD ("/hw/fit/discrete-fits", test_discrete_fits, NULL);
  ADD ("/hw/fit/discrete-partial", test_discrete_partial, NULL);
  ADD ("/hw/fit/discrete-forced", test_discrete_forced, NULL);
  ADD ("/hw/fit/discrete-too-big", test_discrete_too_big, NULL);
  ADD ("/hw/fit/discrete-no-budget", test_discrete_no_budget, NULL);
  ADD ("/hw/fit/integrated-uma", test_integrated_uma, NULL);
  ADD ("/hw/fit/two-gpus", test_two_gpus, NULL);
  ADD ("/hw/fit/cgroup-limited", test_cgroup_limited, NULL);
  ADD ("/hw/fit/moe", test_moe, NULL);
  ADD ("/hw/fit/unsupported-arch", test_unsupported_arch, NULL);
  ADD ("/hw/fit/speed-unknown", test_speed_unknown, NULL);
  ADD ("/hw/fit/chinese", test_chinese, NULL);
  ADD ("/hw/fit/server-suggestion", test_server_suggestion, NULL);
  ADD ("/hw/fit/server-suggestion-chinese", test_server_suggestion_chinese, NULL);
  ADD ("/hw/fit/agrees-with-engine", test_agrees_with_engine, GINT_TO_POINTER (FALSE));
  ADD ("/hw/fit/agrees-with-engine-tied", test_agrees_with_engine, GINT_TO_POINTER (TRUE));
  ADD ("/hw/fit/header-only", test_header_only, NULL);
  ADD ("/hw/fit/scaled", test_scaled, NULL);
#undef ADD

  return g_test_run ();
}
