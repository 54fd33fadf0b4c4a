/* SPDX-License-Identifier: MIT */
/* The quantisation advisor: one 8B model in ten quantisations, as a repository lists them, on described machines. */
#include <locale.h>
#include <string.h>

#include "engine-error.h"
#include "quant-advisor.h"
#include "test-hw-util.h"
#include "test-util.h"

/* Llama 3 8B's shape, all Q4_K: the one header fetched. */
static const HwTestModel llama8b = {
  "llama", 128256, 4096, 32, 32, 8, 14336, 8192, 0, 0, BENDI_TENSOR_TYPE_Q4_K, FALSE, 15
};

/* Sizes as a Hugging Face repository of Llama 3 8B lists them. */
static const struct {
  const char *file;
  const char *quant;
  guint64     size;
} repo_files[] = {
  { "Llama-3-8B-Q8_0.gguf", "Q8_0", 8540000000 },
  { "Llama-3-8B-Q6_K.gguf", "Q6_K", 6600000000 },
  { "Llama-3-8B-Q5_K_M.gguf", "Q5_K_M", 5730000000 },
  { "Llama-3-8B-Q5_K_S.gguf", "Q5_K_S", 5600000000 },
  { "Llama-3-8B-Q4_K_M.gguf", NULL, 0 },   /* the header: its own size and file type */
  { "Llama-3-8B-Q4_K_S.gguf", "Q4_K_S", 4690000000 },
  { "Llama-3-8B-IQ4_XS.gguf", "IQ4_XS", 4450000000 },
  { "Llama-3-8B-Q3_K_L.gguf", "Q3_K_L", 4320000000 },
  { "Llama-3-8B-Q3_K_M.gguf", "Q3_K_M", 4020000000 },
  { "Llama-3-8B-Q2_K.gguf", "Q2_K", 3180000000 },
};

typedef struct {
  char                  *dir;
  BendiGguf             *header;
  BendiAdvisorCandidate  candidates[G_N_ELEMENTS (repo_files)];
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data G_GNUC_UNUSED)
{
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;

  f->dir = bendi_test_make_temp_dir ();
  path = hw_test_write_model (f->dir, "Llama-3-8B-Q4_K_M.gguf", &llama8b);
  f->header = bendi_gguf_open (path, BENDI_GGUF_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  for (gsize i = 0; i < G_N_ELEMENTS (repo_files); i++)
    {
      f->candidates[i].file_name = repo_files[i].file;
      f->candidates[i].quant = repo_files[i].quant;
      f->candidates[i].size_bytes = repo_files[i].size;
      if (repo_files[i].quant == NULL)
        {
          f->candidates[i].header = f->header;
          f->candidates[i].size_bytes = bendi_gguf_get_file_size (f->header);
        }
    }
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data G_GNUC_UNUSED)
{
  bendi_gguf_free (f->header);
  bendi_test_remove_dir (f->dir);
  g_free (f->dir);
}

static BendiAdvisorResult *
rank (Fixture           *f,
      const BendiHwInfo *hw)
{
  g_autoptr (GError) error = NULL;
  BendiAdvisorResult *result = bendi_advisor_rank (f->candidates, G_N_ELEMENTS (f->candidates), hw, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (result->ranked->len, ==, G_N_ELEMENTS (repo_files));
  return result;
}

static const BendiAdvice *
find (const BendiAdvisorResult *result,
      const char               *quant)
{
  for (guint i = 0; i < result->ranked->len; i++)
    {
      const BendiAdvice *a = g_ptr_array_index (result->ranked, i);

      if (g_strcmp0 (a->quant, quant) == 0)
        return a;
    }
  g_assert_not_reached ();
  return NULL;
}

static const BendiAdvice *
recommended (const BendiAdvisorResult *result)
{
  const BendiAdvice *a;

  g_assert_cmpint (result->recommended, ==, 0);
  a = g_ptr_array_index (result->ranked, 0);
  g_assert_true (a->recommended);
  for (guint i = 1; i < result->ranked->len; i++)
    g_assert_false (((const BendiAdvice *) g_ptr_array_index (result->ranked, i))->recommended);
  return a;
}

/* After the recommended one: what fits, by quality, then what does not. */
static void
assert_ranked (const BendiAdvisorResult *result)
{
  for (guint i = 2; i < result->ranked->len; i++)
    {
      const BendiAdvice *a = g_ptr_array_index (result->ranked, i - 1);
      const BendiAdvice *b = g_ptr_array_index (result->ranked, i);
      gboolean a_fits = a->fit->verdict != BENDI_FIT_VERDICT_NO;
      gboolean b_fits = b->fit->verdict != BENDI_FIT_VERDICT_NO;

      g_assert_true (a_fits >= b_fits);
      if (a_fits == b_fits)
        g_assert_cmpint (a->quality, >=, b->quality);
    }
}

static void
test_quality_order (void)
{
  /* The order, with its two "≈". */
  const char *order[] = { "Q8_0", "Q6_K", "Q5_K_M", "Q5_K_S", "Q4_K_M", "Q4_K_S", "IQ4_XS", "Q3_K_L", "Q3_K_M", "Q2_K" };

  for (gsize i = 1; i < G_N_ELEMENTS (order); i++)
    g_assert_cmpint (bendi_advisor_quant_quality (order[i - 1]), >, bendi_advisor_quant_quality (order[i]));
  g_assert_cmpint (bendi_advisor_quant_quality ("Q5_K_S"), ==, bendi_advisor_quant_quality ("Q5_0"));
  g_assert_cmpint (bendi_advisor_quant_quality ("Q4_K_S"), ==, bendi_advisor_quant_quality ("Q4_0"));
  g_assert_cmpint (bendi_advisor_quant_quality ("F16"), >, bendi_advisor_quant_quality ("Q8_0"));
  g_assert_cmpint (bendi_advisor_quant_quality ("q4_k_m"), ==, bendi_advisor_quant_quality ("Q4_K_M"));
  g_assert_cmpint (bendi_advisor_quant_quality ("Q9_Z"), ==, 0);
  g_assert_cmpint (bendi_advisor_quant_quality (NULL), ==, 0);
  g_assert_cmpint (bendi_advisor_quant_quality ("Q2_K"), >, 0);
}

/* 24 GB GPU: Q8_0 fits, and the room left suggests a larger model. */
static void
test_big_gpu (Fixture       *f,
              gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (BendiHwInfo) hw = hw_test_machine (32 * GB, 24 * GB);
  g_autoptr (BendiAdvisorResult) result = NULL;
  const BendiAdvice *pick;

  hw_test_add_gpu (hw, "Big GPU", BENDI_VK_DEVICE_TYPE_DISCRETE, 24 * GB, 23 * GB, FALSE);
  result = rank (f, hw);
  pick = recommended (result);
  g_assert_cmpstr (pick->quant, ==, "Q8_0");
  g_assert_cmpint (pick->fit->verdict, ==, BENDI_FIT_VERDICT_GPU);
  g_assert_cmpstr (pick->reason, ==, "The best quality that fits entirely on the GPU.");
  g_assert_cmpstr (result->summary, ==, "Recommended: Llama-3-8B-Q8_0.gguf. The best quality that fits entirely on the "
                                        "GPU.\nWith this much room to spare, a larger model at Q4 often beats a smaller "
                                        "one at Q8.");
  g_assert_true (find (result, "Q4_K_M")->sweet_spot);
  g_assert_true (find (result, "Q5_K_M")->sweet_spot);
  g_assert_false (find (result, "Q8_0")->sweet_spot);
  assert_ranked (result);
}

/* 8 GB GPU: Q8_0 no longer fits whole; Q6_K does. */
static void
test_8gb_gpu (Fixture       *f,
              gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (BendiHwInfo) hw = hw_test_machine (32 * GB, 24 * GB);
  g_autoptr (BendiAdvisorResult) result = NULL;
  const BendiAdvice *pick;

  hw_test_add_gpu (hw, "Test GPU 8GB", BENDI_VK_DEVICE_TYPE_DISCRETE, 8 * GB, 8 * GB, FALSE);
  result = rank (f, hw);
  g_assert_cmpint (find (result, "Q8_0")->fit->verdict, ==, BENDI_FIT_VERDICT_PARTIAL);
  pick = recommended (result);
  g_assert_cmpstr (pick->quant, ==, "Q6_K");
  g_assert_cmpint (pick->fit->verdict, ==, BENDI_FIT_VERDICT_GPU);
  /* No tip: 8 GB is not twice what it uses. */
  g_assert_null (strchr (result->summary, '\n'));
  assert_ranked (result);
}

/* 5.2 GB free on the GPU: only 3-bit files fit whole, but 4- and 5-bit ones run usably
 * split between GPU and RAM: the sweet spot, not Q6_K or Q8_0. */
static void
test_small_gpu (Fixture       *f,
                gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (BendiHwInfo) hw = hw_test_machine (32 * GB, 24 * GB);
  g_autoptr (BendiAdvisorResult) result = NULL;
  const BendiAdvice *pick;

  hw->cpu_bandwidth_gbps = 60.0;
  hw_test_add_gpu (hw, "Small GPU", BENDI_VK_DEVICE_TYPE_DISCRETE, 6 * GB, 5200000000, FALSE)->bandwidth_gbps = 300.0;
  result = rank (f, hw);
  g_assert_cmpint (find (result, "Q3_K_M")->fit->verdict, ==, BENDI_FIT_VERDICT_GPU);
  g_assert_cmpint (find (result, "Q4_K_M")->fit->verdict, ==, BENDI_FIT_VERDICT_PARTIAL);
  g_assert_cmpint (find (result, "Q6_K")->fit->verdict, ==, BENDI_FIT_VERDICT_PARTIAL);
  g_assert_cmpfloat (find (result, "Q6_K")->fit->est_gen_tokens_per_s, >=, BENDI_ADVISOR_USABLE_TOKENS_PER_S);
  pick = recommended (result);
  g_assert_cmpstr (pick->quant, ==, "Q5_K_M");
  g_assert_cmpint (pick->fit->verdict, ==, BENDI_FIT_VERDICT_PARTIAL);
  g_assert_cmpfloat (pick->fit->est_gen_tokens_per_s, >=, BENDI_ADVISOR_USABLE_TOKENS_PER_S);
  g_assert_true (g_str_has_prefix (pick->reason, "Nothing of 4 bits or more fits entirely on the GPU"));
  assert_ranked (result);
}

/* No GPU, slow memory: nothing usable; the fastest that fits. */
static void
test_slow_cpu (Fixture       *f,
               gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (BendiHwInfo) hw = hw_test_machine (16 * GB, 12 * GB);
  g_autoptr (BendiAdvisorResult) result = NULL;
  const BendiAdvice *pick;

  hw->cpu_bandwidth_gbps = 10.0;
  result = rank (f, hw);
  for (guint i = 0; i < result->ranked->len; i++)
    g_assert_cmpfloat (((const BendiAdvice *) g_ptr_array_index (result->ranked, i))->fit->est_gen_tokens_per_s, <,
                       BENDI_ADVISOR_USABLE_TOKENS_PER_S);
  pick = recommended (result);
  g_assert_cmpstr (pick->quant, ==, "Q2_K");
  g_assert_cmpstr (pick->reason, ==, "Nothing runs at a usable speed here; this is the fastest that fits.");
}

/* No GPU, fast memory: the sweet spot on the CPU. */
static void
test_fast_cpu (Fixture       *f,
               gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (BendiHwInfo) hw = hw_test_machine (16 * GB, 12 * GB);
  g_autoptr (BendiAdvisorResult) result = NULL;

  hw->cpu_bandwidth_gbps = 60.0;
  /* Lavapipe is no GPU to offload to: the reason speaks of the CPU. */
  hw_test_add_gpu (hw, "llvmpipe", BENDI_VK_DEVICE_TYPE_CPU, 2 * GB, 2 * GB, TRUE);
  result = rank (f, hw);
  g_assert_cmpint (find (result, "Q8_0")->fit->verdict, ==, BENDI_FIT_VERDICT_CPU);
  g_assert_cmpstr (recommended (result)->quant, ==, "Q5_K_M");
  g_assert_true (g_str_has_prefix (recommended (result)->reason, "No GPU to offload to"));
}

/* Bandwidth not measured: speed is no reason to refuse. */
static void
test_speed_unknown (Fixture       *f,
                    gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (BendiHwInfo) hw = hw_test_machine (16 * GB, 12 * GB);
  g_autoptr (BendiAdvisorResult) result = rank (f, hw);

  g_assert_cmpstr (recommended (result)->quant, ==, "Q5_K_M");
}

/* 4 GB of free RAM: even Q2_K is too big. The summary suggests a server:
 * the smallest's weights, KV cache and buffers (on the CPU alone, counted
 * once) are far below what one 24 GB GPU holds. */
static void
test_nothing_fits (Fixture       *f,
                   gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (BendiHwInfo) hw = hw_test_machine (8 * GB, 3 * GB);
  g_autoptr (BendiAdvisorResult) result = rank (f, hw);
  const BendiAdvice *smallest = find (result, "Q2_K");
  guint64 need = smallest->fit->weights_bytes + smallest->fit->kv_cache_bytes + smallest->fit->buffers_bytes;
  g_autofree char *missing = g_strdup_printf ("%.2f GB", (double) smallest->fit->missing_ram_bytes / 1e9);
  g_autofree char *needed = g_strdup_printf ("%.2f GB", (double) need / 1e9);
  g_autofree char *expected = g_strdup_printf ("None of these fits: even the smallest (Llama-3-8B-Q2_K.gguf) needs %s "
                                               "more memory.\nNeeds about %s: one 24 GB GPU — run it with vLLM or "
                                               "llama-server on a server and add it under Preferences → Connections.",
                                               missing, needed);

  g_assert_cmpuint (smallest->fit->gpu_layers, ==, 0);
  g_assert_cmpuint (need, <, 20 * GB);

  g_assert_cmpint (result->recommended, ==, -1);
  for (guint i = 0; i < result->ranked->len; i++)
    {
      const BendiAdvice *a = g_ptr_array_index (result->ranked, i);

      g_assert_cmpint (a->fit->verdict, ==, BENDI_FIT_VERDICT_NO);
      g_assert_false (a->recommended);
    }
  g_assert_cmpstr (result->summary, ==, expected);
  /* By quality even so. */
  g_assert_cmpstr (((const BendiAdvice *) g_ptr_array_index (result->ranked, 0))->quant, ==, "Q8_0");
}

/* The header's own file is named by its general.file_type. */
static void
test_header_quant (Fixture       *f,
                   gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (BendiHwInfo) hw = hw_test_machine (16 * GB, 12 * GB);
  g_autoptr (BendiAdvisorResult) result = rank (f, hw);
  const BendiAdvice *a = find (result, "Q4_K_M");

  g_assert_cmpstr (a->file_name, ==, "Llama-3-8B-Q4_K_M.gguf");
  g_assert_cmpint (a->quality, ==, bendi_advisor_quant_quality ("Q4_K_M"));
}

static void
test_needs_a_header (Fixture       *f,
                     gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (BendiHwInfo) hw = hw_test_machine (16 * GB, 12 * GB);
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiAdvisorResult) result = NULL;

  /* The first candidate alone has no header. */
  result = bendi_advisor_rank (f->candidates, 1, hw, NULL, &error);
  g_assert_null (result);
  g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_ARGUMENT);
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  g_unsetenv ("LANGUAGE");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/hw/advisor/quality-order", test_quality_order);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/hw/advisor/big-gpu", test_big_gpu);
  ADD ("/hw/advisor/8gb-gpu", test_8gb_gpu);
  ADD ("/hw/advisor/small-gpu", test_small_gpu);
  ADD ("/hw/advisor/slow-cpu", test_slow_cpu);
  ADD ("/hw/advisor/fast-cpu", test_fast_cpu);
  ADD ("/hw/advisor/speed-unknown", test_speed_unknown);
  ADD ("/hw/advisor/nothing-fits", test_nothing_fits);
  ADD ("/hw/advisor/header-quant", test_header_quant);
  ADD ("/hw/advisor/needs-a-header", test_needs_a_header);
#undef ADD

  return g_test_run ();
}
