/* SPDX-License-Identifier: MIT */
/* The sampler: greedy, seeds, top-k/top-p/min-p narrowing, penalties, and the distribution it draws from. */
#include <math.h>

#include "sampler.h"

#define N_VOCAB 8

static const float logits[N_VOCAB] = { 1.0f, 3.0f, 2.5f, -1.0f, 0.0f, 2.9f, -5.0f, 0.5f };

static BendiSamplerParams
params_with (float temperature,
             gint  top_k,
             float top_p,
             float min_p)
{
  BendiSamplerParams p;

  bendi_sampler_params_init (&p);
  p.temperature = temperature;
  p.top_k = top_k;
  p.top_p = top_p;
  p.min_p = min_p;
  p.seed = 1234;
  return p;
}

static void
test_greedy (void)
{
  BendiSamplerParams p = params_with (0.0f, 40, 0.95f, 0.05f);
  g_autoptr (BendiSampler) sampler = bendi_sampler_new (&p, N_VOCAB);

  g_assert_cmpint (bendi_argmax (logits, N_VOCAB), ==, 1);
  for (int i = 0; i < 20; i++)
    g_assert_cmpint (bendi_sampler_sample (sampler, logits), ==, 1);
}

/* The same seed gives the same tokens; another seed other tokens. */
static void
test_seed (void)
{
  BendiSamplerParams p = params_with (1.5f, 0, 1.0f, 0.0f);
  g_autoptr (BendiSampler) a = bendi_sampler_new (&p, N_VOCAB);
  g_autoptr (BendiSampler) b = bendi_sampler_new (&p, N_VOCAB);
  g_autoptr (BendiSampler) c = NULL;
  gboolean differs = FALSE;
  BendiToken first[64];

  p.seed = 99;
  c = bendi_sampler_new (&p, N_VOCAB);
  for (int i = 0; i < 64; i++)
    {
      first[i] = bendi_sampler_sample (a, logits);
      g_assert_cmpint (first[i], ==, bendi_sampler_sample (b, logits));
      differs |= first[i] != bendi_sampler_sample (c, logits);
    }
  g_assert_true (differs);

  /* reset rewinds to the seed */
  bendi_sampler_reset (a);
  for (int i = 0; i < 64; i++)
    g_assert_cmpint (bendi_sampler_sample (a, logits), ==, first[i]);
}

/* Draw counts match softmax (logits / T) within a generous statistical bound. */
static void
test_distribution (void)
{
  BendiSamplerParams p = params_with (0.7f, 0, 1.0f, 0.0f);
  g_autoptr (BendiSampler) sampler = bendi_sampler_new (&p, N_VOCAB);
  const int n_draws = 40000;
  int counts[N_VOCAB] = { 0 };
  double expected[N_VOCAB], sum = 0.0;

  for (int i = 0; i < N_VOCAB; i++)
    sum += expected[i] = exp (logits[i] / 0.7);
  for (int i = 0; i < n_draws; i++)
    counts[bendi_sampler_sample (sampler, logits)]++;
  for (int i = 0; i < N_VOCAB; i++)
    {
      double pi = expected[i] / sum;
      double sigma = sqrt (n_draws * pi * (1 - pi));

      g_assert_cmpfloat (fabs (counts[i] - n_draws * pi), <=, 5 * sigma + 1);
    }
}

/* Narrowing: only the allowed tokens are ever drawn. */
static void
test_top_k (void)
{
  BendiSamplerParams p = params_with (5.0f, 2, 1.0f, 0.0f);
  g_autoptr (BendiSampler) sampler = bendi_sampler_new (&p, N_VOCAB);
  gboolean seen[N_VOCAB] = { FALSE };

  for (int i = 0; i < 2000; i++)
    seen[bendi_sampler_sample (sampler, logits)] = TRUE;
  /* the two best are 1 (3.0) and 5 (2.9) */
  for (int i = 0; i < N_VOCAB; i++)
    g_assert_cmpint (seen[i], ==, i == 1 || i == 5);
}

static void
test_top_p (void)
{
  /* softmax at T=1: p(1) ≈ 0.36, p(5) ≈ 0.32, p(2) ≈ 0.22; top-p 0.6 keeps
   * 1 and 5 (0.68 ≥ 0.6), top-p 0.3 keeps only 1. */
  BendiSamplerParams p = params_with (1.0f, 0, 0.6f, 0.0f);
  g_autoptr (BendiSampler) sampler = bendi_sampler_new (&p, N_VOCAB);
  g_autoptr (BendiSampler) narrow = NULL;
  gboolean seen[N_VOCAB] = { FALSE };

  for (int i = 0; i < 2000; i++)
    seen[bendi_sampler_sample (sampler, logits)] = TRUE;
  for (int i = 0; i < N_VOCAB; i++)
    g_assert_cmpint (seen[i], ==, i == 1 || i == 5);

  p.top_p = 0.3f;
  narrow = bendi_sampler_new (&p, N_VOCAB);
  for (int i = 0; i < 200; i++)
    g_assert_cmpint (bendi_sampler_sample (narrow, logits), ==, 1);
}

static void
test_min_p (void)
{
  /* min-p 0.5: keep tokens with p ≥ p(best)/2, i.e. logit ≥ 3 - ln 2 ≈ 2.31:
   * tokens 1, 5, 2. */
  BendiSamplerParams p = params_with (3.0f, 0, 1.0f, 0.5f);
  g_autoptr (BendiSampler) sampler = bendi_sampler_new (&p, N_VOCAB);
  gboolean seen[N_VOCAB] = { FALSE };

  for (int i = 0; i < 3000; i++)
    seen[bendi_sampler_sample (sampler, logits)] = TRUE;
  for (int i = 0; i < N_VOCAB; i++)
    g_assert_cmpint (seen[i], ==, i == 1 || i == 5 || i == 2);
}

/* A repeated token loses to the runner-up under a penalty. */
static void
test_repeat_penalty (void)
{
  BendiSamplerParams p = params_with (0.0f, 0, 1.0f, 0.0f);
  g_autoptr (BendiSampler) sampler = NULL;

  p.repeat_penalty = 1.1f;   /* 3.0 / 1.1 = 2.73 < 2.9 */
  p.repeat_last_n = 4;
  sampler = bendi_sampler_new (&p, N_VOCAB);
  bendi_sampler_accept (sampler, 1);
  g_assert_cmpint (bendi_sampler_sample (sampler, logits), ==, 5);
  /* outside the window of 4, the penalty no longer applies */
  for (int i = 0; i < 4; i++)
    bendi_sampler_accept (sampler, 7);
  g_assert_cmpint (bendi_sampler_sample (sampler, logits), ==, 1);

  /* negative logits are pushed down, not up */
  {
    const float negative[N_VOCAB] = { -1.0f, -1.05f, -3.0f, -3.0f, -3.0f, -3.0f, -3.0f, -3.0f };

    bendi_sampler_reset (sampler);
    bendi_sampler_accept (sampler, 0);
    g_assert_cmpint (bendi_sampler_sample (sampler, negative), ==, 1);
  }
}

static void
test_frequency_presence (void)
{
  BendiSamplerParams p = params_with (0.0f, 0, 1.0f, 0.0f);
  g_autoptr (BendiSampler) sampler = NULL;

  p.frequency_penalty = 0.06f;   /* twice: 3.0 - 0.12 = 2.88 < 2.9 */
  sampler = bendi_sampler_new (&p, N_VOCAB);
  bendi_sampler_accept (sampler, 1);
  g_assert_cmpint (bendi_sampler_sample (sampler, logits), ==, 1);   /* 2.94 > 2.9 */
  bendi_sampler_accept (sampler, 1);
  g_assert_cmpint (bendi_sampler_sample (sampler, logits), ==, 5);
}

/* A large vocabulary with top-k takes the partial selection path. */
static void
test_large_vocab (void)
{
  const gint32 n = 150000;
  g_autofree float *big = g_new (float, n);
  BendiSamplerParams p = params_with (1.0f, 3, 1.0f, 0.0f);
  g_autoptr (BendiSampler) sampler = bendi_sampler_new (&p, n);
  GRand *rand = g_rand_new_with_seed (7);

  for (gint32 i = 0; i < n; i++)
    big[i] = (float) g_rand_double_range (rand, -10, 10);
  g_rand_free (rand);
  big[123] = 20.0f;
  big[99999] = 19.5f;
  big[5] = 19.0f;
  for (int i = 0; i < 500; i++)
    {
      BendiToken t = bendi_sampler_sample (sampler, big);

      g_assert_true (t == 123 || t == 99999 || t == 5);
    }
  p.top_k = 0;
  p.min_p = 0.5f;
  {
    g_autoptr (BendiSampler) min_p = bendi_sampler_new (&p, n);

    for (int i = 0; i < 500; i++)
      {
        BendiToken t = bendi_sampler_sample (min_p, big);

        g_assert_true (t == 123 || t == 99999);
      }
  }
}

/* Which parameters a GPU may answer with its argmax: greedy and no
 * penalty of any kind, since a penalty can move the largest logit. */
static void
test_params_are_argmax (void)
{
  BendiSamplerParams p;

  bendi_sampler_params_init (&p);
  g_assert_false (bendi_sampler_params_are_argmax (&p));
  p.temperature = 0.0f;
  g_assert_true (bendi_sampler_params_are_argmax (&p));
  p.repeat_penalty = 1.1f;
  g_assert_false (bendi_sampler_params_are_argmax (&p));
  p.repeat_penalty = 1.0f;
  p.presence_penalty = 0.5f;
  g_assert_false (bendi_sampler_params_are_argmax (&p));
  p.presence_penalty = 0.0f;
  p.frequency_penalty = 0.5f;
  g_assert_false (bendi_sampler_params_are_argmax (&p));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/sampler/greedy", test_greedy);
  g_test_add_func ("/engine/sampler/seed", test_seed);
  g_test_add_func ("/engine/sampler/distribution", test_distribution);
  g_test_add_func ("/engine/sampler/top-k", test_top_k);
  g_test_add_func ("/engine/sampler/top-p", test_top_p);
  g_test_add_func ("/engine/sampler/min-p", test_min_p);
  g_test_add_func ("/engine/sampler/repeat-penalty", test_repeat_penalty);
  g_test_add_func ("/engine/sampler/frequency-presence", test_frequency_presence);
  g_test_add_func ("/engine/sampler/large-vocab", test_large_vocab);
  g_test_add_func ("/engine/sampler/params-are-argmax", test_params_are_argmax);

  return g_test_run ();
}
