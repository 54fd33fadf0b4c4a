/* SPDX-License-Identifier: MIT */
/* The model graph on Vulkan against the f32 reference and the CPU path, for every architecture and weight type; partial offload, two devices, replay, greedy decoding on the device, the self-check and the fallbacks. */
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "engine-error.h"
#include "model/backend.h"
#include "model/context.h"
#include "model/forward-reference.h"
#include "model/forward-vulkan.h"
#include "perplexity.h"
#include "sampler.h"
#include "session.h"
#include "test-model-util.h"
#include "test-util.h"
#include "vulkan/vk-device.h"
#include "vulkan/vk-private.h"

static const BendiToken sequence[] = { 1, 270, 290, 12, 280, 291, 66, 285, 270, 99 };
#define N_SEQUENCE ((gint64) G_N_ELEMENTS (sequence))
/* The first N_PROMPT tokens go in as one batch, the rest one at a time:
 * both kinds of recording. */
#define N_PROMPT 6

/* Whether there is a Vulkan device to test on; the test is skipped, with
 * the reason, when not. */
static gboolean
have_vulkan (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) devices = bendi_vk_list_devices (&error);

  if (devices == NULL)
    {
      g_autofree char *message = g_strdup_printf ("no Vulkan: %s", error->message);

      g_test_skip (message);
      return FALSE;
    }
  for (guint i = 0; i < devices->len; i++)
    if (((BendiVkDeviceInfo *) g_ptr_array_index (devices, i))->usable)
      return TRUE;
  g_test_skip ("no usable Vulkan device");
  return FALSE;
}

static void
params_init (BendiContextParams *params,
             BendiBackend        backend)
{
  bendi_context_params_init (params);
  params->n_ctx = 32;
  params->n_threads = 2;
  params->backend = backend;
  /* The self-check runs in its own tests; here it would only double the
   * time. On a GPU, f32 arithmetic unless a case forces a fast path. */
  params->flags = BENDI_CONTEXT_NO_SELF_CHECK | BENDI_CONTEXT_F32_SHADERS;
}

static BendiContext *
context_new (BendiModel               *model,
             const BendiContextParams *params)
{
  g_autoptr (GError) error = NULL;
  BendiContext *context = bendi_context_new (model, params, &error);

  g_assert_no_error (error);
  return context;
}

/* Runs the sequence through @context (a prompt, then single tokens) and
 * returns every position's logits. */
static float *
run_sequence (BendiContext *context,
              gint64        n_vocab)
{
  g_autoptr (GError) error = NULL;
  float *logits = g_new (float, N_SEQUENCE * n_vocab);

  g_assert_true (bendi_context_decode (context, sequence, N_PROMPT, TRUE, &error));
  g_assert_no_error (error);
  memcpy (logits, bendi_context_get_logits (context, 0), sizeof (float) * (gsize) (N_PROMPT * n_vocab));
  for (gint64 t = N_PROMPT; t < N_SEQUENCE; t++)
    {
      g_assert_true (bendi_context_decode (context, &sequence[t], 1, FALSE, &error));
      g_assert_no_error (error);
      memcpy (logits + t * n_vocab, bendi_context_get_logits (context, -1), sizeof (float) * (gsize) n_vocab);
    }
  return logits;
}

static char *
make_model (const char      *dir,
            BendiArch        arch,
            BendiTensorType  type,
            gint64           n_embd,
            gint64           n_layer)
{
  BendiModelMakerParams params;

  bendi_model_maker_params_init (&params);
  params.arch = arch;
  params.type = type;
  params.n_embd = n_embd;
  params.n_ff = 2 * n_embd;
  params.n_head = n_embd / 32;
  params.n_head_kv = MAX (1, params.n_head / 2);
  params.n_layer = n_layer;
  params.seed = 11;
  return bendi_test_make_model (dir, "model.gguf", &params);
}

/* ------------------------------------------------------------------------ */
/* Whole-model logits */

typedef struct {
  const char     *name;
  BendiArch       arch;
  BendiTensorType type;
  /* RMS error of the logits relative to the f32 reference: the GPU keeps
   * activations in floats, so only the F16 KV cache and summation order
   * stand between them. */
  double          reference_tolerance;
} LogitsCase;

/* The CPU rounds activations to 8 bits for quantised weights (as llama.cpp
 * does), which these random, untrained models amplify to a few per cent of
 * the logits (see test-model.c): the GPU and the CPU agree to that, and
 * both to the reference. A wrong shader, layout or fusion gives errors near
 * 100%. */
#define CPU_TOLERANCE 0.08

static const LogitsCase logits_cases[] = {
  { "llama-f32", BENDI_ARCH_LLAMA, BENDI_TENSOR_TYPE_F32, 0.003 },
  { "llama-f16", BENDI_ARCH_LLAMA, BENDI_TENSOR_TYPE_F16, 0.003 },
  { "llama-bf16", BENDI_ARCH_LLAMA, BENDI_TENSOR_TYPE_BF16, 0.003 },
  { "llama-q4_0", BENDI_ARCH_LLAMA, BENDI_TENSOR_TYPE_Q4_0, 0.003 },
  { "llama-q4_1", BENDI_ARCH_LLAMA, BENDI_TENSOR_TYPE_Q4_1, 0.003 },
  { "llama-q5_0", BENDI_ARCH_LLAMA, BENDI_TENSOR_TYPE_Q5_0, 0.003 },
  { "llama-q5_1", BENDI_ARCH_LLAMA, BENDI_TENSOR_TYPE_Q5_1, 0.003 },
  { "llama-q8_0", BENDI_ARCH_LLAMA, BENDI_TENSOR_TYPE_Q8_0, 0.003 },
  { "llama-q2_k", BENDI_ARCH_LLAMA, BENDI_TENSOR_TYPE_Q2_K, 0.003 },
  { "llama-q3_k", BENDI_ARCH_LLAMA, BENDI_TENSOR_TYPE_Q3_K, 0.003 },
  { "llama-q4_k", BENDI_ARCH_LLAMA, BENDI_TENSOR_TYPE_Q4_K, 0.003 },
  { "llama-q5_k", BENDI_ARCH_LLAMA, BENDI_TENSOR_TYPE_Q5_K, 0.003 },
  { "llama-q6_k", BENDI_ARCH_LLAMA, BENDI_TENSOR_TYPE_Q6_K, 0.003 },
  { "llama-iq4_nl", BENDI_ARCH_LLAMA, BENDI_TENSOR_TYPE_IQ4_NL, 0.003 },
  { "llama-iq4_xs", BENDI_ARCH_LLAMA, BENDI_TENSOR_TYPE_IQ4_XS, 0.003 },
  { "qwen2-f32", BENDI_ARCH_QWEN2, BENDI_TENSOR_TYPE_F32, 0.003 },
  { "qwen2-q4_0", BENDI_ARCH_QWEN2, BENDI_TENSOR_TYPE_Q4_0, 0.003 },
  { "qwen2-q5_k", BENDI_ARCH_QWEN2, BENDI_TENSOR_TYPE_Q5_K, 0.003 },
  { "qwen3-f32", BENDI_ARCH_QWEN3, BENDI_TENSOR_TYPE_F32, 0.003 },
  { "qwen3-q8_0", BENDI_ARCH_QWEN3, BENDI_TENSOR_TYPE_Q8_0, 0.003 },
  { "qwen3-q6_k", BENDI_ARCH_QWEN3, BENDI_TENSOR_TYPE_Q6_K, 0.003 },
};

static const LogitsCase *
logits_case (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (logits_cases); i++)
    if (g_str_equal (logits_cases[i].name, name))
      return &logits_cases[i];
  g_error ("no logits case %s", name);
}

/* The case's model: two layers, 256 wide for the types in blocks of 256
 * (K-quants and IQ4_XS), else 64. */
static char *
make_case_model (const char       *dir,
                 const LogitsCase *lc)
{
  gboolean big_blocks = lc->type >= BENDI_TENSOR_TYPE_Q2_K && lc->type != BENDI_TENSOR_TYPE_IQ4_NL;

  return make_model (dir, lc->arch, lc->type, big_blocks ? 256 : 64, 2);
}

static void
check_logits (const LogitsCase *lc,
              BendiContextFlags flags)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *path = NULL;
  g_autoptr (BendiModel) reference_model = NULL;
  g_autoptr (BendiModel) model = NULL;
  g_autoptr (BendiReferenceState) reference = NULL;
  g_autoptr (BendiContext) cpu = NULL;
  g_autoptr (BendiContext) gpu = NULL;
  g_autofree float *cpu_logits = NULL;
  g_autofree float *gpu_logits = NULL;
  g_autoptr (GError) error = NULL;
  BendiContextParams params;
  gint64 n_vocab;
  double worst_reference = 0.0, worst_cpu = 0.0;
  /* With 8-bit activations the GPU rounds them as the CPU does, so it is
   * as far from the f32 reference as the CPU is (CPU_TOLERANCE); fp16
   * products add a few 1e-4 of relative error to each product. */
  double reference_tolerance = (flags & BENDI_CONTEXT_INT8_SHADERS) ? CPU_TOLERANCE
                               : (flags & BENDI_CONTEXT_FP16_SHADERS) ? 0.01
                               : lc->reference_tolerance;

  if (!have_vulkan ())
    return;
  path = make_case_model (dir, lc);
  reference_model = bendi_test_load_model (path, FALSE);
  /* The CPU rewrites its weights into its own layout; the GPU gets them
   * back in the file's. */
  model = bendi_test_load_model (path, TRUE);
  n_vocab = bendi_model_get_config (model)->n_vocab;
  reference = bendi_reference_state_new (reference_model, 32, &error);
  g_assert_no_error (error);

  params_init (&params, BENDI_BACKEND_CPU);
  cpu = context_new (model, &params);
  params.backend = BENDI_BACKEND_VULKAN;
  params.flags |= flags;
  gpu = context_new (model, &params);
  g_assert_cmpint (bendi_context_get_backend (gpu), ==, BENDI_BACKEND_VULKAN);
  g_assert_cmpint (bendi_context_get_n_gpu_layers (gpu), ==, 2);
  /* The forced variant is the one that runs. */
  if (flags & BENDI_CONTEXT_INT8_SHADERS)
    g_assert_nonnull (strstr (bendi_context_get_backend_description (gpu), "int8"));
  if (flags & BENDI_CONTEXT_FP16_SHADERS)
    g_assert_nonnull (strstr (bendi_context_get_backend_description (gpu), "fp16"));

  cpu_logits = run_sequence (cpu, n_vocab);
  gpu_logits = run_sequence (gpu, n_vocab);
  for (gint64 t = 0; t < N_SEQUENCE; t++)
    {
      const float *expected = bendi_reference_forward (reference, sequence[t], t);
      double to_reference = bendi_test_relative_rms_error (gpu_logits + t * n_vocab, expected, n_vocab);
      double to_cpu = bendi_test_relative_rms_error (gpu_logits + t * n_vocab, cpu_logits + t * n_vocab, n_vocab);

      worst_reference = MAX (worst_reference, to_reference);
      worst_cpu = MAX (worst_cpu, to_cpu);
      if (to_reference > reference_tolerance || to_cpu > CPU_TOLERANCE)
        g_error ("%s: position %" G_GINT64_FORMAT ": relative error %.5f to the reference (limit %.5f), %.5f to the "
                 "CPU (limit %.5f)", lc->name, t, to_reference, reference_tolerance, to_cpu, CPU_TOLERANCE);
    }
  g_test_message ("%s: worst relative error %.5f to the reference, %.5f to the CPU", lc->name, worst_reference,
                  worst_cpu);
  bendi_test_remove_dir (dir);
}

static void
test_logits (gconstpointer data)
{
  check_logits (data, BENDI_CONTEXT_DEFAULT);
}

/* The shaders shaped for GPUs, portable and with subgroups, run on lavapipe
 * too: the graph is the same whichever variant computes it. */
static void
test_logits_gpu_shaders (gconstpointer data)
{
  check_logits (data, BENDI_CONTEXT_GPU_SHADERS);
}

static void
test_logits_portable (gconstpointer data)
{
  check_logits (data, BENDI_CONTEXT_GPU_SHADERS | BENDI_CONTEXT_PORTABLE_SHADERS);
}

/* The int8 matrix × vector shaders (with the integer dot product where the
 * device has it, accelerated or not) and the fp16 ones, forced on. */
static void
test_logits_int8 (gconstpointer data)
{
  check_logits (data, BENDI_CONTEXT_INT8_SHADERS);
}

static void
test_logits_fp16 (gconstpointer data)
{
  check_logits (data, BENDI_CONTEXT_FP16_SHADERS);
}

/* A prompt of 40 tokens, past the matrix × vector shaders' 8, on
 * cooperative matrices: every position's logits against the f32 reference
 * (float16_t weights and activations: the fp16 shaders' tolerance) and the
 * CPU. Skipped where the device has none, unless
 * BENDI_TEST_REQUIRE_COOPMAT=1 (CI's run on Debian unstable's lavapipe,
 * tests/coopmat-toolchain.sh). */
static void
test_logits_coopmat (gconstpointer data)
{
  const LogitsCase *lc = data;
  gboolean required = bendi_test_coopmat_required ();
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *path = NULL;
  g_autoptr (BendiModel) reference_model = NULL;
  g_autoptr (BendiModel) model = NULL;
  g_autoptr (BendiReferenceState) reference = NULL;
  g_autoptr (BendiContext) cpu = NULL;
  g_autoptr (BendiContext) gpu = NULL;
  g_autoptr (GError) error = NULL;
  BendiToken prompt[40];
  BendiContextParams params;
  double worst_reference = 0.0, worst_cpu = 0.0;
  gint64 n_vocab;

  if (!have_vulkan ())
    {
      g_assert_false (required);
      return;
    }
  path = make_case_model (dir, lc);
  reference_model = bendi_test_load_model (path, FALSE);
  model = bendi_test_load_model (path, TRUE);
  n_vocab = bendi_model_get_config (model)->n_vocab;
  reference = bendi_reference_state_new (reference_model, G_N_ELEMENTS (prompt), &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (prompt); i++)
    prompt[i] = (BendiToken) (1 + (i * 37) % (n_vocab - 1));

  params_init (&params, BENDI_BACKEND_CPU);
  params.n_ctx = 64;
  cpu = context_new (model, &params);
  params.backend = BENDI_BACKEND_VULKAN;
  params.flags |= BENDI_CONTEXT_COOPMAT_SHADERS;
  gpu = context_new (model, &params);
  if (strstr (bendi_context_get_backend_description (gpu), "coopmat") == NULL)
    {
      const char *why = "no cooperative matrices on this Vulkan device (or none built)";

      if (required)
        g_error ("%s: %s", why, bendi_context_get_backend_description (gpu));
      g_test_skip (why);
      bendi_test_remove_dir (dir);
      return;
    }
  g_assert_true (bendi_context_decode (cpu, prompt, G_N_ELEMENTS (prompt), TRUE, &error));
  g_assert_no_error (error);
  g_assert_true (bendi_context_decode (gpu, prompt, G_N_ELEMENTS (prompt), TRUE, &error));
  g_assert_no_error (error);
  for (gint64 t = 0; t < (gint64) G_N_ELEMENTS (prompt); t++)
    {
      const float *expected = bendi_reference_forward (reference, prompt[t], t);
      const float *got = bendi_context_get_logits (gpu, t);
      double to_reference = bendi_test_relative_rms_error (got, expected, n_vocab);
      double to_cpu = bendi_test_relative_rms_error (got, bendi_context_get_logits (cpu, t), n_vocab);

      worst_reference = MAX (worst_reference, to_reference);
      worst_cpu = MAX (worst_cpu, to_cpu);
      if (to_reference > 0.01 || to_cpu > CPU_TOLERANCE)
        g_error ("%s: position %" G_GINT64_FORMAT ": relative error %.5f to the reference (limit 0.01), %.5f to "
                 "the CPU (limit %.5f)", lc->name, t, to_reference, to_cpu, CPU_TOLERANCE);
    }
  g_test_message ("%s: worst relative error over %zu prompt positions %.5f to the reference, %.5f to the CPU",
                  lc->name, G_N_ELEMENTS (prompt), worst_reference, worst_cpu);
  bendi_test_remove_dir (dir);
}

/* ------------------------------------------------------------------------ */
/* Where the layers run */

/* How far the GPU's logits may stray from the CPU's for F32 weights: by
 * summation order, and by the CPU's attention for a few tokens, which sums
 * in half precision as llama.cpp's does (a few parts in ten thousand). A
 * layer on the wrong device or a lost transfer gives errors near 1. */
#define CPU_GPU_F32_TOLERANCE 2e-3

/* Logits of the sequence with @params on a fresh model of @type. */
static float *
logits_with (const char               *path,
             const BendiContextParams *params,
             gint64                    expect_gpu_layers)
{
  g_autoptr (BendiModel) model = bendi_test_load_model (path, TRUE);
  g_autoptr (BendiContext) context = context_new (model, params);

  g_assert_cmpint (bendi_context_get_n_gpu_layers (context), ==, expect_gpu_layers);
  return run_sequence (context, bendi_model_get_config (model)->n_vocab);
}

static void
assert_logits_close (const float *got,
                     const float *want,
                     gint64       n_vocab,
                     double       tolerance,
                     const char  *what)
{
  for (gint64 t = 0; t < N_SEQUENCE; t++)
    {
      double error = bendi_test_relative_rms_error (got + t * n_vocab, want + t * n_vocab, n_vocab);

      if (error > tolerance)
        g_error ("%s: position %" G_GINT64_FORMAT ": relative error %.3g > %.3g", what, t, error, tolerance);
    }
}

/* The first N layers on the GPU and the rest on the CPU give the all-GPU
 * logits (within CPU_GPU_F32_TOLERANCE). */
static void
test_partial_offload (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *path = NULL;
  g_autofree float *all_gpu = NULL;
  BendiContextParams params;
  gint64 n_vocab;

  if (!have_vulkan ())
    return;
  path = make_model (dir, BENDI_ARCH_QWEN2, BENDI_TENSOR_TYPE_F32, 64, 3);
  {
    g_autoptr (BendiModel) model = bendi_test_load_model (path, TRUE);

    n_vocab = bendi_model_get_config (model)->n_vocab;
  }
  params_init (&params, BENDI_BACKEND_VULKAN);
  all_gpu = logits_with (path, &params, 3);
  for (gint64 n = 0; n < 3; n++)
    {
      g_autofree float *partial = NULL;
      g_autofree char *what = g_strdup_printf ("%" G_GINT64_FORMAT " GPU layers", n);

      params.n_gpu_layers = n;
      partial = logits_with (path, &params, n);
      assert_logits_close (partial, all_gpu, n_vocab, CPU_GPU_F32_TOLERANCE, what);
    }
  bendi_test_remove_dir (dir);
}

/* All the logits of a prompt longer than a binding holds rows of the
 * vocabulary (a 150,000-token vocabulary on lavapipe) come in several runs
 * on the GPU, and equal those of one run. */
static void
test_logits_over_bindings (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *path = NULL;
  g_autofree float *whole = NULL;
  g_autofree float *pieces = NULL;
  g_autofree char *limit = NULL;
  BendiContextParams params;
  gint64 n_vocab, rows;

  if (!have_vulkan ())
    return;
  path = make_model (dir, BENDI_ARCH_QWEN2, BENDI_TENSOR_TYPE_F32, 64, 2);
  {
    g_autoptr (BendiModel) model = bendi_test_load_model (path, TRUE);

    n_vocab = bendi_model_get_config (model)->n_vocab;
  }
  params_init (&params, BENDI_BACKEND_VULKAN);
  /* Activations of 8 tokens fit a binding of 4 KiB. */
  params.n_batch = 8;
  whole = logits_with (path, &params, 2);

  rows = MAX (2, 4096 / (n_vocab * (gint64) sizeof (float)) + 1);
  g_assert_cmpint (rows, <, N_PROMPT);
  limit = g_strdup_printf ("%" G_GINT64_FORMAT, rows * n_vocab * (gint64) sizeof (float));
  g_setenv ("BENDI_VULKAN_TEST_MAX_BINDING", limit, TRUE);
  pieces = logits_with (path, &params, 2);
  g_unsetenv ("BENDI_VULKAN_TEST_MAX_BINDING");
  assert_logits_close (pieces, whole, n_vocab, 1e-5, "logits in pieces");
  bendi_test_remove_dir (dir);
}

/* Lavapipe opened twice is two devices: the layers split 2 : 1 between them
 * (and 1 : 1 with the last layer on the CPU) give the one-device logits. */
static void
test_two_devices (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *path = NULL;
  g_autofree float *one = NULL;
  g_autofree float *two = NULL;
  g_autofree float *two_partial = NULL;
  BendiContextParams params;
  gint64 n_vocab;

  if (!have_vulkan ())
    return;
  path = make_model (dir, BENDI_ARCH_LLAMA, BENDI_TENSOR_TYPE_Q8_0, 64, 3);
  {
    g_autoptr (BendiModel) model = bendi_test_load_model (path, TRUE);

    n_vocab = bendi_model_get_config (model)->n_vocab;
  }
  params_init (&params, BENDI_BACKEND_VULKAN);
  params.n_devices = 1;
  one = logits_with (path, &params, 3);

  params.n_devices = 2;
  params.split[0] = 2.0;
  params.split[1] = 1.0;
  {
    g_autoptr (BendiModel) model = bendi_test_load_model (path, TRUE);
    g_autoptr (BendiContext) context = context_new (model, &params);
    const char *description = bendi_context_get_backend_description (context);

    /* A line per device, each with its layers. */
    g_assert_nonnull (strstr (description, "layers 0–1"));
    g_assert_nonnull (strstr (description, "\n"));
    g_assert_nonnull (strstr (description, "layers 2–2, output"));
    two = run_sequence (context, n_vocab);
  }
  /* The same device and shaders on both sides: the hand-over copies x
   * exactly, so nothing changes at all. */
  assert_logits_close (two, one, n_vocab, 1e-6, "two devices");

  params.n_gpu_layers = 2;
  params.split[1] = 2.0;
  two_partial = logits_with (path, &params, 2);
  /* The CPU's layer rounds its activations to 8 bits. */
  assert_logits_close (two_partial, one, n_vocab, CPU_TOLERANCE, "two devices and the CPU");
  bendi_test_remove_dir (dir);
}

/* A generated token replays one recording: the same dispatches every time,
 * at most 150 of them for a 22-layer model, and the greedy token comes from
 * the device's argmax. */
static void
test_replay_and_argmax (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *path = NULL;
  g_autoptr (BendiModel) model = NULL;
  g_autoptr (BendiContext) context = NULL;
  g_autoptr (GError) error = NULL;
  BendiModelMakerParams maker;
  BendiContextParams params;
  guint dispatches = 0;
  gint64 n_vocab;

  if (!have_vulkan ())
    return;
  bendi_model_maker_params_init (&maker);
  maker.n_layer = 22;
  maker.type = BENDI_TENSOR_TYPE_Q4_0;
  maker.seed = 5;
  path = bendi_test_make_model (dir, "model.gguf", &maker);
  model = bendi_test_load_model (path, TRUE);
  n_vocab = bendi_model_get_config (model)->n_vocab;
  params_init (&params, BENDI_BACKEND_VULKAN);
  context = context_new (model, &params);

  g_assert_true (bendi_context_decode (context, sequence, N_PROMPT, FALSE, &error));
  g_assert_no_error (error);
  for (gint64 t = N_PROMPT; t < N_SEQUENCE; t++)
    {
      BendiToken greedy = bendi_context_get_argmax (context);

      g_assert_cmpint (greedy, ==, bendi_argmax (bendi_context_get_logits (context, -1), (gint32) n_vocab));
      g_assert_true (bendi_context_decode (context, &greedy, 1, FALSE, &error));
      g_assert_no_error (error);
      if (t > N_PROMPT)
        g_assert_cmpuint (bendi_context_get_dispatches_per_token (context), ==, dispatches);
      dispatches = bendi_context_get_dispatches_per_token (context);
    }
  g_test_message ("22 layers: %u dispatches per token", dispatches);
  g_assert_cmpuint (dispatches, >, 22);
  g_assert_cmpuint (dispatches, <=, 150);
  bendi_test_remove_dir (dir);
}

/* Whether a backend description names lavapipe, whose compute queue has
 * timestamps: elsewhere a device may have none, and no GPU times. */
static gboolean
has_timestamps_for_sure (const char *backend_description)
{
  return strstr (backend_description, "llvmpipe") != NULL;
}

/* bench --gpu-profile's times: every dispatch of a generated token timed
 * and counted once, their sum within the time the tokens took, no time
 * once reset, and logits the same as without the timestamps. */
static void
test_gpu_times (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *path = make_model (dir, BENDI_ARCH_LLAMA, BENDI_TENSOR_TYPE_Q4_0, 64, 3);
  g_autoptr (BendiModel) model = bendi_test_load_model (path, TRUE);
  gint64 n_vocab = bendi_model_get_config (model)->n_vocab;
  g_autoptr (BendiContext) plain = NULL;
  g_autoptr (BendiContext) timed = NULL;
  g_autofree float *plain_logits = NULL;
  g_autofree float *timed_logits = NULL;
  g_autoptr (GArray) times = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GTimer) timer = NULL;
  BendiContextParams params;
  double total_ns = 0.0, wall_ns;
  guint dispatches = 0;

  if (!have_vulkan ())
    return;
  params_init (&params, BENDI_BACKEND_VULKAN);
  plain = context_new (model, &params);
  params.flags |= BENDI_CONTEXT_GPU_TIMES;
  timed = context_new (model, &params);
  plain_logits = run_sequence (plain, n_vocab);
  g_assert_null (bendi_context_get_gpu_times (plain));
  timed_logits = run_sequence (timed, n_vocab);
  g_assert_cmpmem (plain_logits, sizeof (float) * (gsize) (N_SEQUENCE * n_vocab),
                   timed_logits, sizeof (float) * (gsize) (N_SEQUENCE * n_vocab));

  /* Tokens timed from a reset, against the time they took. */
  bendi_context_reset_gpu_times (timed);
  g_assert_null (bendi_context_get_gpu_times (timed));
  bendi_context_truncate (timed, N_PROMPT);
  timer = g_timer_new ();
  for (gint64 t = N_PROMPT; t < N_SEQUENCE; t++)
    {
      g_assert_true (bendi_context_decode (timed, &sequence[t], 1, FALSE, &error));
      g_assert_no_error (error);
    }
  wall_ns = g_timer_elapsed (timer, NULL) * 1e9 / (double) (N_SEQUENCE - N_PROMPT);
  times = bendi_context_get_gpu_times (timed);
  if (times == NULL && !has_timestamps_for_sure (bendi_context_get_backend_description (timed)))
    {
      g_test_skip ("the device's compute queue has no timestamps");
      bendi_test_remove_dir (dir);
      return;
    }
  g_assert_nonnull (times);
  for (guint i = 0; i < times->len; i++)
    {
      const BendiGpuTime *k = &g_array_index (times, BendiGpuTime, i);

      g_test_message ("%8.1f us %2u x %s", k->ns_per_token / 1e3, k->dispatches, k->kernel);
      for (guint j = 0; j < i; j++)
        g_assert_cmpstr (k->kernel, !=, g_array_index (times, BendiGpuTime, j).kernel);
      total_ns += k->ns_per_token;
      dispatches += k->dispatches;
    }
  g_assert_cmpuint (dispatches, ==, bendi_context_get_dispatches_per_token (timed));
  g_test_message ("GPU %.0f us of %.0f us per token", total_ns / 1e3, wall_ns / 1e3);
  g_assert_cmpfloat (total_ns, >, 0.0);
  g_assert_cmpfloat (total_ns, <=, wall_ns);
  /* The products read their weights: binding 0's bytes are counted. */
  g_assert_nonnull (strstr (g_array_index (times, BendiGpuTime, 0).kernel, "workgroups"));
  for (guint i = 0; i < times->len; i++)
    if (g_str_has_prefix (g_array_index (times, BendiGpuTime, i).kernel, "matvec"))
      g_assert_cmpuint (g_array_index (times, BendiGpuTime, i).bytes, >=, 64 * 64 / 32 * 18);
  bendi_test_remove_dir (dir);
}

/* ------------------------------------------------------------------------ */
/* A backend that defends itself */

/* Whether a GPU other than a CPU device is here, which the auto backend
 * would take. */
static gboolean
have_real_gpu (void)
{
  g_autoptr (GPtrArray) devices = bendi_vk_list_devices (NULL);

  for (guint i = 0; devices != NULL && i < devices->len; i++)
    {
      const BendiVkDeviceInfo *info = g_ptr_array_index (devices, i);

      if (info->usable && info->type != BENDI_VK_DEVICE_TYPE_CPU)
        return TRUE;
    }
  return FALSE;
}

/* A driver whose fast shaders compute garbage is caught by the load-time
 * check and gets the portable ones; one where those fail too leaves the
 * model to the CPU. Either way the logits are right, and a note says why. */
static void
test_self_check (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *path = NULL;
  g_autoptr (BendiModel) model = NULL;
  g_autofree float *cpu_logits = NULL;
  BendiContextParams params;
  gint64 n_vocab;

  if (!have_vulkan ())
    return;
  path = make_model (dir, BENDI_ARCH_LLAMA, BENDI_TENSOR_TYPE_F32, 64, 2);
  model = bendi_test_load_model (path, TRUE);
  n_vocab = bendi_model_get_config (model)->n_vocab;
  params_init (&params, BENDI_BACKEND_CPU);
  {
    g_autoptr (BendiContext) cpu = context_new (model, &params);

    cpu_logits = run_sequence (cpu, n_vocab);
  }
  params.backend = BENDI_BACKEND_VULKAN;
  params.flags = BENDI_CONTEXT_F32_SHADERS;

  /* A sound driver passes, quietly. */
  {
    g_autoptr (BendiContext) context = context_new (model, &params);
    g_autofree float *logits = NULL;

    g_assert_cmpint (bendi_context_get_backend (context), ==, BENDI_BACKEND_VULKAN);
    g_assert_null (bendi_context_get_backend_note (context));
    logits = run_sequence (context, n_vocab);
    assert_logits_close (logits, cpu_logits, n_vocab, CPU_GPU_F32_TOLERANCE, "checked GPU");
  }

  g_setenv ("BENDI_VULKAN_TEST_FAULT", "fast", TRUE);
  {
    g_autoptr (BendiContext) context = context_new (model, &params);
    g_autofree float *logits = NULL;

    g_assert_cmpint (bendi_context_get_backend (context), ==, BENDI_BACKEND_VULKAN);
    g_assert_nonnull (strstr (bendi_context_get_backend_note (context), "trying the portable shaders"));
    g_assert_nonnull (strstr (bendi_context_get_backend_description (context), "portable shaders"));
    logits = run_sequence (context, n_vocab);
    assert_logits_close (logits, cpu_logits, n_vocab, CPU_GPU_F32_TOLERANCE, "portable fallback");
  }

  g_setenv ("BENDI_VULKAN_TEST_FAULT", "all", TRUE);
  {
    g_autoptr (BendiContext) context = context_new (model, &params);
    g_autofree float *logits = NULL;

    g_assert_cmpint (bendi_context_get_backend (context), ==, BENDI_BACKEND_CPU);
    g_assert_nonnull (strstr (bendi_context_get_backend_note (context), "the CPU runs this model"));
    logits = run_sequence (context, n_vocab);
    assert_logits_close (logits, cpu_logits, n_vocab, 1e-6, "CPU fallback");
  }
  g_unsetenv ("BENDI_VULKAN_TEST_FAULT");
  bendi_test_remove_dir (dir);
}

/* A mismatch with the int8 and fp16 shaders forced on falls back to the
 * portable variants, which use neither. */
static void
test_self_check_fast_paths (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *path = NULL;
  g_autoptr (BendiModel) model = NULL;
  BendiContextParams params;

  if (!have_vulkan ())
    return;
  path = make_model (dir, BENDI_ARCH_LLAMA, BENDI_TENSOR_TYPE_Q8_0, 64, 1);
  model = bendi_test_load_model (path, TRUE);
  params_init (&params, BENDI_BACKEND_VULKAN);
  params.flags = BENDI_CONTEXT_INT8_SHADERS | BENDI_CONTEXT_FP16_SHADERS;

  /* Sound, they pass the check and stay. */
  {
    g_autoptr (BendiContext) context = context_new (model, &params);

    g_assert_null (bendi_context_get_backend_note (context));
    g_assert_nonnull (strstr (bendi_context_get_backend_description (context), "int8"));
  }
  g_setenv ("BENDI_VULKAN_TEST_FAULT", "fast", TRUE);
  {
    g_autoptr (BendiContext) context = context_new (model, &params);

    g_assert_cmpint (bendi_context_get_backend (context), ==, BENDI_BACKEND_VULKAN);
    g_assert_nonnull (strstr (bendi_context_get_backend_note (context), "(fast shaders): trying the portable"));
    g_assert_nonnull (strstr (bendi_context_get_backend_description (context), "; portable shaders"));
  }
  g_unsetenv ("BENDI_VULKAN_TEST_FAULT");
  /* BENDI_VULKAN_DISABLE turns a forced fast path off. */
  g_setenv ("BENDI_VULKAN_DISABLE", "int8,int8-dot", TRUE);
  {
    g_autoptr (BendiContext) context = context_new (model, &params);

    g_assert_null (strstr (bendi_context_get_backend_description (context), "int8"));
    g_assert_nonnull (strstr (bendi_context_get_backend_description (context), "fp16"));
  }
  g_unsetenv ("BENDI_VULKAN_DISABLE");
  bendi_test_remove_dir (dir);
}

/* ------------------------------------------------------------------------ */
/* Upload progress and cancellation */

typedef struct {
  double   cancel_at;   /* > 1: never */
  double   last;
  guint    n_calls;
  gboolean monotonic;
} Progress;

static gboolean
progress_cb (double   fraction,
             gpointer user_data)
{
  Progress *progress = user_data;

  progress->monotonic &= fraction >= progress->last && fraction >= 0.0 && fraction <= 1.0;
  progress->last = fraction;
  progress->n_calls++;
  return fraction < progress->cancel_at;
}

/* The weights go up with progress from 0 to 1, over two devices too; a
 * cancel half way fails the context with CANCELLED, under either backend
 * that tries the GPU, and leaves nothing behind (ASan's leak check). */
static void
test_upload_progress (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *path = NULL;
  g_autoptr (BendiModel) model = NULL;
  BendiContextParams params;

  if (!have_vulkan ())
    return;
  path = make_model (dir, BENDI_ARCH_LLAMA, BENDI_TENSOR_TYPE_Q4_0, 64, 4);
  model = bendi_test_load_model (path, TRUE);
  params_init (&params, BENDI_BACKEND_VULKAN);
  params.progress = progress_cb;

  for (guint n_devices = 1; n_devices <= 2; n_devices++)
    {
      Progress progress = { .cancel_at = 2.0, .monotonic = TRUE };
      g_autoptr (BendiContext) context = NULL;

      params.n_devices = n_devices;
      params.progress_data = &progress;
      context = context_new (model, &params);
      g_assert_true (progress.monotonic);
      /* Per matrix at least: four layers of QKV, wo, gate+up, down, and the output. */
      g_assert_cmpuint (progress.n_calls, >=, 4 * 4 + 1);
      g_assert_cmpfloat_with_epsilon (progress.last, 1.0, 1e-9);
    }

  params.n_devices = 0;
  {
    Progress progress = { .cancel_at = 0.5, .monotonic = TRUE };
    g_autoptr (GError) error = NULL;
    g_autoptr (BendiContext) context = NULL;

    params.progress_data = &progress;
    context = bendi_context_new (model, &params, &error);
    g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_CANCELLED);
    g_assert_null (context);
    g_assert_true (progress.monotonic);
    g_assert_cmpfloat (progress.last, >=, 0.5);
    g_assert_cmpfloat (progress.last, <, 1.0);
  }
  bendi_test_remove_dir (dir);
}

/* The table of drivers known to compute garbage matches by vendor, driver
 * and device name, and nothing else. */
static void
test_known_bad (void)
{
  static const struct {
    guint32     vendor_id;
    const char *name;
    const char *driver_name;
    gboolean    bad;
  } cases[] = {
    { 0x8086, "Intel(R) Iris(R) Xe Graphics (TGL GT2)", "Intel open-source Mesa driver", TRUE },
    { 0x8086, "Intel(R) Arc(tm) A770 Graphics (DG2)", "Intel open-source Mesa driver", TRUE },
    { 0x8086, "Intel(R) Arc(TM) A750 Graphics", "Intel Corporation", TRUE },
    /* Iris Xe with another driver, other Intel GPUs, other vendors. */
    { 0x8086, "Intel(R) Iris(R) Xe Graphics", "Intel Corporation", FALSE },
    { 0x8086, "Intel(R) UHD Graphics 620 (KBL GT2)", "Intel open-source Mesa driver", FALSE },
    { 0x10de, "NVIDIA GeForce RTX 4090 (Arc edition)", "NVIDIA", FALSE },
    { 0x10005, "llvmpipe (LLVM 15.0.6, 256 bits)", "llvmpipe", FALSE },
    /* A device without driver properties. */
    { 0x8086, "Intel(R) Iris(R) Xe Graphics", NULL, FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      BendiVkDeviceInfo info;
      /* Something else first: a miss must clear it. */
      BendiVkFastPath disable = BENDI_VK_FAST_FP16;

      memset (&info, 0, sizeof info);
      info.vendor_id = cases[i].vendor_id;
      info.name = (char *) cases[i].name;
      info.driver_name = (char *) cases[i].driver_name;
      if (cases[i].bad)
        {
          g_assert_nonnull (bendi_backend_known_bad (&info, &disable));
          /* Both entries so far turn every fast path off, the new ones too. */
          g_assert_cmpint (disable, ==, BENDI_VK_FAST_ALL);
        }
      else
        {
          g_assert_null (bendi_backend_known_bad (&info, &disable));
          g_assert_cmpint (disable, ==, 0);
        }
    }
}

/* BENDI_VULKAN_FORCE and BENDI_VULKAN_DISABLE name the fast paths. */
static void
test_fast_path_names (void)
{
  g_autofree char *described = NULL;

  g_assert_cmpint (bendi_backend_fast_paths_from_names (NULL), ==, 0);
  g_assert_cmpint (bendi_backend_fast_paths_from_names (""), ==, 0);
  g_assert_cmpint (bendi_backend_fast_paths_from_names ("int8-dot, fp16,bogus"), ==,
                   BENDI_VK_FAST_INT8_DOT | BENDI_VK_FAST_FP16);
  g_assert_cmpint (bendi_backend_fast_paths_from_names ("subgroup,int8,coopmat"), ==,
                   BENDI_VK_FAST_SUBGROUP | BENDI_VK_FAST_INT8 | BENDI_VK_FAST_COOPMAT);
  described = bendi_vk_fast_paths_describe (BENDI_VK_FAST_ALL);
  g_assert_cmpstr (described, ==, "int8-dot,coopmat,fp16,subgroup");
  g_clear_pointer (&described, g_free);
  described = bendi_vk_fast_paths_describe (0);
  g_assert_cmpstr (described, ==, "portable");
}

/* The auto backend takes a real GPU and never lavapipe, which is slower
 * than the CPU path; with no GPU to try there is nothing to warn about. */
static void
test_auto (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *path = bendi_test_make_model (dir, "model.gguf", NULL);
  g_autoptr (BendiModel) model = bendi_test_load_model (path, TRUE);
  g_autoptr (BendiContext) context = NULL;
  BendiContextParams params;

  params_init (&params, BENDI_BACKEND_AUTO);
  context = context_new (model, &params);
  if (have_real_gpu ())
    g_assert_cmpint (bendi_context_get_backend (context), ==, BENDI_BACKEND_VULKAN);
  else
    {
      g_assert_cmpint (bendi_context_get_backend (context), ==, BENDI_BACKEND_CPU);
      g_assert_null (bendi_context_get_backend_note (context));
      g_assert_true (g_str_has_prefix (bendi_context_get_backend_description (context), "CPU"));
    }
  bendi_test_remove_dir (dir);
}

/* Failures are errors that name the problem under the vulkan backend, and
 * fallbacks under auto. */
static void
test_failures (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *path = bendi_test_make_model (dir, "model.gguf", NULL);
  g_autoptr (BendiModel) model = bendi_test_load_model (path, TRUE);
  g_autoptr (BendiContext) context = NULL;
  g_autoptr (GError) error = NULL;
  BendiContextParams params;

  params_init (&params, BENDI_BACKEND_VULKAN);
  params.n_devices = 1;
  params.devices[0] = 99;
  context = bendi_context_new (model, &params, &error);
  g_assert_null (context);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "no Vulkan device 99"));
  g_clear_error (&error);

  params.backend = BENDI_BACKEND_AUTO;
  context = context_new (model, &params);
  g_assert_cmpint (bendi_context_get_backend (context), ==, BENDI_BACKEND_CPU);
  g_assert_nonnull (strstr (bendi_context_get_backend_note (context), "no Vulkan device 99"));
  bendi_test_remove_dir (dir);
}

/* A GPU lost in the middle of a conversation under the auto backend hands
 * over to the CPU, which redoes the tokens in the cache: the logits go on
 * as if nothing happened. */
static void
test_lost_device (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *path = NULL;
  g_autoptr (BendiModel) model = NULL;
  g_autoptr (BendiContext) context = NULL;
  g_autofree float *cpu_logits = NULL;
  g_autofree float *logits = NULL;
  BendiContextParams params;
  gint64 n_vocab;

  if (!have_vulkan ())
    return;
  path = make_model (dir, BENDI_ARCH_QWEN3, BENDI_TENSOR_TYPE_F32, 64, 2);
  model = bendi_test_load_model (path, TRUE);
  n_vocab = bendi_model_get_config (model)->n_vocab;
  params_init (&params, BENDI_BACKEND_CPU);
  {
    g_autoptr (BendiContext) cpu = context_new (model, &params);

    cpu_logits = run_sequence (cpu, n_vocab);
  }
  /* Lavapipe, named, under auto. */
  params.backend = BENDI_BACKEND_AUTO;
  params.n_devices = 1;
  g_setenv ("BENDI_VULKAN_TEST_FAULT", "lost", TRUE);
  context = context_new (model, &params);
  g_unsetenv ("BENDI_VULKAN_TEST_FAULT");
  g_assert_cmpint (bendi_context_get_backend (context), ==, BENDI_BACKEND_VULKAN);
  logits = run_sequence (context, n_vocab);
  g_assert_cmpint (bendi_context_get_backend (context), ==, BENDI_BACKEND_CPU);
  g_assert_nonnull (strstr (bendi_context_get_backend_note (context), "VK_ERROR_DEVICE_LOST"));
  assert_logits_close (logits, cpu_logits, n_vocab, CPU_GPU_F32_TOLERANCE, "after the GPU was lost");
  bendi_test_remove_dir (dir);
}

/* "auto" layers that do not fit after all: fewer are tried until they do,
 * the rest run on the CPU. */
static void
test_out_of_memory (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *path = NULL;
  g_autoptr (BendiModel) model = NULL;
  g_autoptr (BendiContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree float *cpu_logits = NULL;
  g_autofree float *logits = NULL;
  BendiModelMakerParams maker;
  BendiContextParams params;
  gint64 n_vocab, n_layers;

  if (!have_vulkan ())
    return;
  /* About 2.5 MB of weights a layer. */
  bendi_model_maker_params_init (&maker);
  maker.n_embd = 256;
  maker.n_ff = 512;
  maker.n_head = 8;
  maker.n_head_kv = 4;
  maker.n_layer = 6;
  path = bendi_test_make_model (dir, "model.gguf", &maker);
  model = bendi_test_load_model (path, TRUE);
  n_vocab = bendi_model_get_config (model)->n_vocab;
  params_init (&params, BENDI_BACKEND_CPU);
  {
    g_autoptr (BendiContext) cpu = context_new (model, &params);

    cpu_logits = run_sequence (cpu, n_vocab);
  }

  /* A 12 MB device: the engine's estimate (from the real heap) is all six
   * layers, and allocating them fails. */
  g_setenv ("BENDI_VULKAN_TEST_MEMORY_LIMIT", "12000000", TRUE);
  params.backend = BENDI_BACKEND_VULKAN;
  params.n_gpu_layers = BENDI_GPU_LAYERS_AUTO;
  context = context_new (model, &params);
  n_layers = bendi_context_get_n_gpu_layers (context);
  g_test_message ("%" G_GINT64_FORMAT " of 6 layers fit", n_layers);
  g_assert_cmpint (n_layers, >, 0);
  g_assert_cmpint (n_layers, <, 6);
  g_assert_nonnull (strstr (bendi_context_get_backend_note (context), "did not fit"));
  logits = run_sequence (context, n_vocab);
  assert_logits_close (logits, cpu_logits, n_vocab, CPU_GPU_F32_TOLERANCE, "fewer layers");
  g_clear_pointer (&context, bendi_context_free);

  /* Asked for every layer, it is an error that says so. */
  params.n_gpu_layers = BENDI_GPU_LAYERS_ALL;
  context = bendi_context_new (model, &params, &error);
  g_assert_null (context);
  g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_NO_MEMORY);
  g_assert_nonnull (strstr (error->message, "Out of GPU memory"));
  g_unsetenv ("BENDI_VULKAN_TEST_MEMORY_LIMIT");
  bendi_test_remove_dir (dir);
}

/* A whole model, prompt and generated tokens, under the Khronos validation
 * layer: no errors, with the CPU devices' shaders and with the GPUs'. */
static void
test_validation (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *path = NULL;
  g_autoptr (BendiModel) model = NULL;
  g_autoptr (BendiContext) context = NULL;
  g_autofree float *logits = NULL;
  BendiContextParams params;

  if (!have_vulkan ())
    return;
  path = make_model (dir, BENDI_ARCH_QWEN2, BENDI_TENSOR_TYPE_Q4_K, 256, 3);
  model = bendi_test_load_model (path, TRUE);
  params_init (&params, BENDI_BACKEND_VULKAN);
  params.flags |= BENDI_CONTEXT_VULKAN_VALIDATION;
  /* Two devices and the CPU: every kind of hand-over. */
  params.n_devices = 2;
  params.n_gpu_layers = 2;
  context = context_new (model, &params);
  if (bendi_context_get_validation_errors (context) < 0)
    {
      g_test_skip ("the Khronos validation layer is not installed");
      bendi_test_remove_dir (dir);
      return;
    }
  logits = run_sequence (context, bendi_model_get_config (model)->n_vocab);
  g_assert_cmpint (bendi_context_get_validation_errors (context), ==, 0);
  g_clear_pointer (&context, bendi_context_free);
  g_clear_pointer (&logits, g_free);

  /* The shaders GPUs run, every layer and the output on one device. */
  params.flags |= BENDI_CONTEXT_GPU_SHADERS;
  params.n_devices = 0;
  params.n_gpu_layers = BENDI_GPU_LAYERS_ALL;
  context = context_new (model, &params);
  logits = run_sequence (context, bendi_model_get_config (model)->n_vocab);
  g_assert_cmpint (bendi_context_get_validation_errors (context), ==, 0);

  /* The count is real: an invalid call (a buffer for no use at all) is
   * counted, and warned about. */
  {
    g_autoptr (BendiVkDevice) device = NULL;
    g_autoptr (GError) error = NULL;
    BendiVkDeviceParams device_params;
    VkBufferCreateInfo info = {
      .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
      .size = 256,
      .usage = 0,
      .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
    };
    VkBuffer buffer = VK_NULL_HANDLE;

    bendi_vk_device_params_init (&device_params);
    device_params.validation = TRUE;
    device = bendi_vk_device_new (0, &device_params, &error);
    g_assert_no_error (error);
    g_test_expect_message (NULL, G_LOG_LEVEL_WARNING, "Vulkan validation: *");
    if (device->fn.vkCreateBuffer (device->device, &info, NULL, &buffer) == VK_SUCCESS)
      device->fn.vkDestroyBuffer (device->device, buffer, NULL);
    g_test_assert_expected_messages ();
    g_assert_cmpuint (bendi_vk_device_get_validation_errors (device), >, 0);
  }
  bendi_test_remove_dir (dir);
}

/* ------------------------------------------------------------------------ */
/* llama.cpp's results (../shared/golden) and stories260K */

static gboolean
append_text (const char *text,
             gsize       len,
             gpointer    user_data)
{
  g_string_append_len (user_data, text, (gssize) len);
  return TRUE;
}

/* A JSON string, decoded. */
static char *
parse_json_string (const char *json)
{
  g_autoptr (JsonParser) parser = json_parser_new ();

  g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
  return g_strdup (json_node_get_string (json_parser_get_root (parser)));
}

/* Greedy continuations of stories260K on the GPU: llama.cpp's, which the
 * CPU path gives too (test-golden). */
static void
test_greedy_golden (void)
{
  g_autofree char *table_path = bendi_test_data_path ("golden/greedy.tsv");
  g_autofree char *model_path = bendi_test_data_path ("models/stories260K.gguf");
  g_autofree char *table = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (BendiModel) model = NULL;
  g_autoptr (BendiSession) session = NULL;
  g_autoptr (GError) error = NULL;
  BendiContextParams params;
  guint n_cases = 0;

  if (table_path == NULL || model_path == NULL || !have_vulkan ())
    return;
  g_assert_true (g_file_get_contents (table_path, &table, NULL, NULL));
  model = bendi_test_load_model (model_path, TRUE);
  bendi_context_params_init (&params);
  params.backend = BENDI_BACKEND_VULKAN;
  params.n_threads = 2;
  params.n_ctx = 128;
  session = bendi_session_new (model, &params, &error);
  g_assert_no_error (error);
  g_assert_cmpint (bendi_context_get_backend (bendi_session_get_context (session)), ==, BENDI_BACKEND_VULKAN);

  lines = g_strsplit (table, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto (GStrv) fields = g_strsplit (lines[i], "\t", -1);
      g_autofree char *prompt = NULL;
      g_autofree char *expected = NULL;
      g_autoptr (GString) output = g_string_new (NULL);
      BendiGenerateParams generate;

      if (g_strv_length (fields) != 3 || !g_str_equal (fields[0], "stories260K.gguf"))
        continue;
      prompt = parse_json_string (fields[1]);
      expected = parse_json_string (fields[2]);
      bendi_generate_params_init (&generate);
      generate.prompt = prompt;
      generate.max_tokens = 48;
      generate.sampling.temperature = 0.0f;
      g_assert_true (bendi_session_generate (session, &generate, append_text, NULL, output, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpint (bendi_session_wait (session), ==, BENDI_STOP_REASON_LENGTH);
      g_assert_cmpstr (output->str, ==, expected);
      n_cases++;
    }
  g_assert_cmpuint (n_cases, >, 0);
}

static double
perplexity_with (BendiModel   *model,
                 BendiBackend  backend,
                 GArray       *tokens,
                 gint64        n_ctx)
{
  g_autoptr (BendiContext) context = NULL;
  g_autoptr (GError) error = NULL;
  BendiContextParams params;
  double ppl = 0.0;

  params_init (&params, backend);
  params.n_ctx = n_ctx;
  params.n_batch = n_ctx;
  context = context_new (model, &params);
  g_assert_cmpint (bendi_context_get_backend (context), ==, backend);
  g_assert_true (bendi_perplexity (context, &g_array_index (tokens, BendiToken, 0), tokens->len, n_ctx,
                                   NULL, NULL, &ppl, &error));
  g_assert_no_error (error);
  return ppl;
}

/* The golden models the perplexity test runs: stories260K and one
 * quantised model per architecture, on the English text with the shorter
 * context (every model and text would take a minute on lavapipe; the
 * logits tests cover the other types). */
static const char *const perplexity_models[] = {
  "stories260K.gguf", "visible-llama-Q4_0.gguf", "visible-qwen2-Q8_0.gguf", "visible-qwen3-Q4_K_M.gguf",
};

/* Perplexities on the GPU within 1% of the CPU path's and of llama.cpp's. */
static void
test_perplexity_golden (void)
{
  g_autofree char *table_path = bendi_test_data_path ("golden/perplexity.txt");
  g_autofree char *table = NULL;
  g_auto (GStrv) lines = NULL;
  guint n_cases = 0;

  if (table_path == NULL || !have_vulkan ())
    return;
  g_assert_true (g_file_get_contents (table_path, &table, NULL, NULL));
  lines = g_strsplit (table, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto (GStrv) fields = g_strsplit_set (g_strstrip (lines[i]), " \t", -1);
      g_autofree char *model_name = NULL;
      g_autofree char *text_name = NULL;
      g_autofree char *model_path = NULL;
      g_autofree char *text_path = NULL;
      g_autofree char *text = NULL;
      g_autoptr (BendiModel) model = NULL;
      g_autoptr (GArray) tokens = NULL;
      g_autoptr (GError) error = NULL;
      gsize text_len;
      double expected, cpu, gpu;

      if (g_strv_length (fields) != 4 || !g_str_equal (fields[1], "english.txt") || !g_str_equal (fields[2], "64") ||
          !g_strv_contains (perplexity_models, fields[0]))
        continue;
      model_name = g_strdup_printf ("%s%s", g_str_has_prefix (fields[0], "stories") ? "models/" : "golden/",
                                    fields[0]);
      text_name = g_build_filename ("golden", fields[1], NULL);
      model_path = bendi_test_data_path (model_name);
      text_path = bendi_test_data_path (text_name);
      if (model_path == NULL || text_path == NULL)
        return;
      expected = g_ascii_strtod (fields[3], NULL);
      g_assert_true (g_file_get_contents (text_path, &text, &text_len, NULL));
      model = bendi_test_load_model (model_path, TRUE);
      tokens = bendi_tokenizer_encode (bendi_model_get_tokenizer (model), text, text_len,
                                       BENDI_TOKENIZE_ADD_SPECIAL, &error);
      g_assert_no_error (error);
      cpu = perplexity_with (model, BENDI_BACKEND_CPU, tokens, 64);
      gpu = perplexity_with (model, BENDI_BACKEND_VULKAN, tokens, 64);
      g_test_message ("%s %s: GPU %.4f, CPU %.4f (%+.3f%%), llama.cpp %.4f (%+.3f%%)", fields[0], fields[1], gpu, cpu,
                      100.0 * (gpu - cpu) / cpu, expected, 100.0 * (gpu - expected) / expected);
      g_assert_cmpfloat (fabs (gpu - cpu) / cpu, <=, 0.01);
      g_assert_cmpfloat (fabs (gpu - expected) / expected, <=, 0.01);
      n_cases++;
    }
  g_assert_cmpuint (n_cases, ==, G_N_ELEMENTS (perplexity_models));
}

/* ------------------------------------------------------------------------ */
/* bendi-cli */

#define RUN(r, ...) bendi_test_run_cli ((r), (const char *const[]) { __VA_ARGS__, NULL }, NULL)

/* generate on the GPU, on two devices and partly on the CPU, and with the
 * layers fitted automatically: the CPU's greedy text; bad options are
 * usage errors. */
static void
test_cli_generate (void)
{
  g_autofree char *model = bendi_test_data_path ("models/stories260K.gguf");
  g_auto (BendiTestRun) cpu = { 0 };
  g_auto (BendiTestRun) gpu = { 0 };
  g_auto (BendiTestRun) split = { 0 };
  g_auto (BendiTestRun) bad = { 0 };

  if (model == NULL || !have_vulkan () ||
      !RUN (&cpu, "generate", "-m", model, "-p", "Once upon a time", "-n", "24", "--temp", "0", "--backend", "cpu"))
    return;
  g_assert_cmpint (cpu.status, ==, 0);
  RUN (&gpu, "generate", "-m", model, "-p", "Once upon a time", "-n", "24", "--temp", "0", "--backend", "vulkan",
       "-v");
  g_assert_cmpint (gpu.status, ==, 0);
  g_assert_cmpstr (gpu.out, ==, cpu.out);
  g_assert_nonnull (strstr (gpu.err, "backend: "));
  RUN (&split, "generate", "-m", model, "-p", "Once upon a time", "-n", "24", "--temp", "0", "--backend", "vulkan",
       "--devices", "0,0", "--split", "3,1", "--gpu-layers", "4");
  g_assert_cmpint (split.status, ==, 0);
  g_assert_cmpstr (split.out, ==, cpu.out);
  bendi_test_run_clear (&split);
  RUN (&split, "generate", "-m", model, "-p", "Once upon a time", "-n", "24", "--temp", "0", "--backend", "vulkan",
       "--gpu-layers", "auto");
  g_assert_cmpint (split.status, ==, 0);
  g_assert_cmpstr (split.out, ==, cpu.out);

  RUN (&bad, "generate", "-m", model, "-p", "x", "--backend", "vulkan", "--split", "3,1");
  g_assert_cmpint (bad.status, ==, 2);
  g_assert_nonnull (strstr (bad.err, "--split"));
  bendi_test_run_clear (&bad);
  RUN (&bad, "generate", "-m", model, "-p", "x", "--gpu-layers", "some");
  g_assert_cmpint (bad.status, ==, 2);
  bendi_test_run_clear (&bad);
  RUN (&bad, "generate", "-m", model, "-p", "x", "--backend", "metal");
  g_assert_cmpint (bad.status, ==, 2);
  bendi_test_run_clear (&bad);
  RUN (&bad, "generate", "-m", model, "-p", "x", "--backend", "vulkan", "--devices", "7");
  g_assert_cmpint (bad.status, ==, 1);
  g_assert_nonnull (strstr (bad.err, "no Vulkan device 7"));
}

/* bench --json tells where it ran, the dispatches per token and the CPU
 * time per token, and with --compare-cpu the CPU backend's speed. */
static void
test_cli_bench (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *model = bendi_test_make_model (dir, "model.gguf", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_auto (BendiTestRun) run = { 0 };
  JsonObject *result;

  if (!have_vulkan () ||
      !RUN (&run, "bench", "-m", model, "-p", "8", "-n", "4", "-r", "1", "--backend", "vulkan", "--compare-cpu",
            "--json"))
    return;
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (json_parser_load_from_data (parser, run.out, -1, &error));
  g_assert_no_error (error);
  result = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (result, "backend"), ==, "vulkan");
  g_assert_cmpint (json_object_get_int_member (result, "gpu_layers"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (result, "dispatches_per_token"), >, 2);
  g_assert_cmpfloat (json_object_get_double_member (result, "cpu_ms_per_token"), >=, 0.0);
  g_assert_cmpfloat (json_object_get_double_member (result, "gen_tokens_per_s"), >, 0.0);
  g_assert_cmpfloat (json_object_get_double_member (result, "cpu_backend_gen_tokens_per_s"), >, 0.0);
  g_assert_true (json_object_has_member (result, "gen_speed_vs_cpu_backend"));
  /* The whole model on the one device: the fraction is of that device's
   * read bandwidth, measured in the same run. */
  g_assert_cmpfloat (json_object_get_double_member (result, "gpu_bandwidth_gbps"), >, 0.0);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (result, "gen_bandwidth_fraction"),
                                  json_object_get_double_member (result, "gen_bandwidth_gbps") /
                                  json_object_get_double_member (result, "gpu_bandwidth_gbps"), 1e-9);
  /* Which shader variants ran: on lavapipe its own kernels, unless the
   * fast GPU variants are forced. */
  g_assert_cmpstr (json_object_get_string_member_with_default (result, "vulkan_variants", ""), !=, "");

  g_setenv ("BENDI_VULKAN_FORCE", "int8-dot,fp16", TRUE);
  bendi_test_run_clear (&run);
  if (!RUN (&run, "bench", "-m", model, "-p", "0", "-n", "2", "-r", "1", "--backend", "vulkan", "--gpu-profile",
            "--json"))
    g_assert_not_reached ();
  g_unsetenv ("BENDI_VULKAN_FORCE");
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (json_parser_load_from_data (parser, run.out, -1, &error));
  g_assert_no_error (error);
  result = json_node_get_object (json_parser_get_root (parser));
  /* lavapipe has all three: "int8-dot,fp16,subgroup". */
  g_assert_nonnull (strstr (json_object_get_string_member (result, "vulkan_variants"), "int8"));
  /* --gpu-profile: every dispatch of a token in one of the kernels, the
   * products with the bandwidth they read. */
  if (json_object_has_member (result, "gpu_kernels") ||
      has_timestamps_for_sure (json_object_get_string_member (result, "backend_description")))
    {
      JsonArray *kernels;
      gint64 dispatches = 0;
      gboolean product = FALSE;

      g_assert_true (json_object_has_member (result, "gpu_kernels"));
      kernels = json_object_get_array_member (result, "gpu_kernels");

      for (guint i = 0; i < json_array_get_length (kernels); i++)
        {
          JsonObject *kernel = json_array_get_object_element (kernels, i);

          dispatches += json_object_get_int_member (kernel, "dispatches_per_token");
          if (g_str_has_prefix (json_object_get_string_member (kernel, "kernel"), "matvec_"))
            product |= json_object_get_double_member (kernel, "weight_gbps") > 0;
        }
      g_assert_cmpint (dispatches, ==, json_object_get_int_member (result, "dispatches_per_token"));
      g_assert_true (product);
      g_assert_cmpfloat (json_object_get_double_member (result, "gpu_ms_per_token"), >, 0.0);
    }
  else
    g_test_message ("bench --gpu-profile: no timestamps on this device");

  /* Text, one layer on the GPU and the rest on the CPU: one generation
   * line, the GPU's (no read bandwidth of either: the weights are split). */
  bendi_test_run_clear (&run);
  if (!RUN (&run, "bench", "-m", model, "-p", "0", "-n", "2", "-r", "1", "--backend", "vulkan", "--gpu-layers", "1"))
    g_assert_not_reached ();
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "dispatches"));
  g_assert_null (strstr (strstr (run.out, "generation:") + 1, "generation:"));
  g_assert_null (strstr (run.out, "GB/s"));
  bendi_test_remove_dir (dir);
}

/* bendi-cli devices --json names the fast paths' features of each device,
 * whether the packed dot product is accelerated and cooperative matrices
 * (detected, though no shader uses them yet) included. */
static void
test_cli_devices (void)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_auto (BendiTestRun) run = { 0 };
  JsonArray *devices;

  if (!have_vulkan () || !RUN (&run, "devices", "--json"))
    return;
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (json_parser_load_from_data (parser, run.out, -1, &error));
  g_assert_no_error (error);
  devices = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "devices");
  g_assert_cmpuint (json_array_get_length (devices), >, 0);
  for (guint i = 0; i < json_array_get_length (devices); i++)
    {
      JsonObject *device = json_array_get_object_element (devices, i);

      g_assert_true (json_object_has_member (device, "integer_dot_product"));
      g_assert_true (json_object_has_member (device, "cooperative_matrix"));
      g_assert_true (json_object_has_member (device, "integer_dot_product_accelerated"));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (logits_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/engine/vulkan-model/logits/%s", logits_cases[i].name);

      g_test_add_data_func (path, &logits_cases[i], test_logits);
    }
  g_test_add_data_func ("/engine/vulkan-model/logits-gpu-shaders/llama-q4_k", logits_case ("llama-q4_k"),
                        test_logits_gpu_shaders);
  g_test_add_data_func ("/engine/vulkan-model/logits-gpu-shaders/qwen2-q4_0", logits_case ("qwen2-q4_0"),
                        test_logits_gpu_shaders);
  g_test_add_data_func ("/engine/vulkan-model/logits-portable/qwen3-q8_0", logits_case ("qwen3-q8_0"),
                        test_logits_portable);
  {
    /* The types with int8 variants, and a K-quant and a float type for fp16. */
    static const char *const int8_cases[] = {
      "llama-q4_0", "llama-q4_1", "llama-q5_0", "llama-q5_1", "llama-q8_0", "llama-q4_k", "llama-q5_k",
      "llama-q6_k", "llama-iq4_nl", "llama-iq4_xs", "qwen2-q4_0", "qwen2-q5_k", "qwen3-q8_0", "qwen3-q6_k",
    };
    static const char *const fp16_cases[] = { "llama-f16", "llama-q4_k", "qwen2-q4_0" };

    for (gsize i = 0; i < G_N_ELEMENTS (int8_cases); i++)
      {
        g_autofree char *path = g_strdup_printf ("/engine/vulkan-model/logits-int8/%s", int8_cases[i]);

        g_test_add_data_func (path, logits_case (int8_cases[i]), test_logits_int8);
      }
    static const char *const coopmat_cases[] = { "llama-q4_k", "llama-f16", "qwen2-q4_0", "qwen3-q6_k" };

    for (gsize i = 0; i < G_N_ELEMENTS (fp16_cases); i++)
      {
        g_autofree char *path = g_strdup_printf ("/engine/vulkan-model/logits-fp16/%s", fp16_cases[i]);

        g_test_add_data_func (path, logits_case (fp16_cases[i]), test_logits_fp16);
      }
    for (gsize i = 0; i < G_N_ELEMENTS (coopmat_cases); i++)
      {
        g_autofree char *path = g_strdup_printf ("/engine/vulkan-model/logits-coopmat/%s", coopmat_cases[i]);

        g_test_add_data_func (path, logits_case (coopmat_cases[i]), test_logits_coopmat);
      }
  }
  g_test_add_func ("/engine/vulkan-model/self-check-fast-paths", test_self_check_fast_paths);
  g_test_add_func ("/engine/vulkan-model/upload-progress", test_upload_progress);
  g_test_add_func ("/engine/vulkan-model/partial-offload", test_partial_offload);
  g_test_add_func ("/engine/vulkan-model/logits-over-bindings", test_logits_over_bindings);
  g_test_add_func ("/engine/vulkan-model/two-devices", test_two_devices);
  g_test_add_func ("/engine/vulkan-model/replay-argmax", test_replay_and_argmax);
  g_test_add_func ("/engine/vulkan-model/self-check", test_self_check);
  g_test_add_func ("/engine/vulkan-model/known-bad", test_known_bad);
  g_test_add_func ("/engine/vulkan-model/fast-path-names", test_fast_path_names);
  g_test_add_func ("/engine/vulkan-model/auto", test_auto);
  g_test_add_func ("/engine/vulkan-model/failures", test_failures);
  g_test_add_func ("/engine/vulkan-model/lost-device", test_lost_device);
  g_test_add_func ("/engine/vulkan-model/out-of-memory", test_out_of_memory);
  g_test_add_func ("/engine/vulkan-model/validation", test_validation);
  g_test_add_func ("/engine/vulkan-model/greedy-golden", test_greedy_golden);
  g_test_add_func ("/engine/vulkan-model/perplexity-golden", test_perplexity_golden);
  g_test_add_func ("/engine/vulkan-model/cli-generate", test_cli_generate);
  g_test_add_func ("/engine/vulkan-model/cli-bench", test_cli_bench);
  g_test_add_func ("/engine/vulkan-model/gpu-times", test_gpu_times);
  g_test_add_func ("/engine/vulkan-model/cli-devices", test_cli_devices);
  return g_test_run ();
}
