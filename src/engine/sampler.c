/* SPDX-License-Identifier: MIT */
/* The sampler: penalties, then top-k, top-p and min-p on the logits, then temperature and a draw. */
#include "sampler.h"

#include <math.h>
#include <string.h>

typedef struct {
  BendiToken token;
  float      logit;
  float      p;
} Candidate;

struct _BendiSampler {
  BendiSamplerParams params;
  gint32             n_vocab;
  guint64            rng[4];      /* xoshiro256** state */
  GArray            *history;     /* BendiToken, oldest first */
  Candidate         *candidates;  /* (n_vocab) */
  guint32           *counts;      /* (n_vocab) occurrences in the penalty window */
};

/* ------------------------------------------------------------------------ */
/* Random numbers: xoshiro256**, seeded through splitmix64, so a seed means
 * the same stream on every platform. */

static guint64
splitmix64 (guint64 *state)
{
  guint64 z = (*state += 0x9e3779b97f4a7c15ull);

  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static guint64
rotl (guint64 x,
      int     k)
{
  return (x << k) | (x >> (64 - k));
}

static guint64
rng_next (guint64 s[4])
{
  guint64 result = rotl (s[1] * 5, 7) * 9;
  guint64 t = s[1] << 17;

  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);
  return result;
}

/* Uniform in [0, 1). */
static double
rng_uniform (guint64 s[4])
{
  return (double) (rng_next (s) >> 11) * (1.0 / 9007199254740992.0);
}

static void
rng_seed (guint64 s[4],
          guint64 seed)
{
  for (int i = 0; i < 4; i++)
    s[i] = splitmix64 (&seed);
}

/* ------------------------------------------------------------------------ */

void
bendi_sampler_params_init (BendiSamplerParams *params)
{
  memset (params, 0, sizeof *params);
  params->temperature = 0.8f;
  params->top_k = 40;
  params->top_p = 0.95f;
  params->min_p = 0.05f;
  params->repeat_penalty = 1.0f;
  params->repeat_last_n = 64;
  params->seed = -1;
}

BendiSampler *
bendi_sampler_new (const BendiSamplerParams *params,
                   gint32                    n_vocab)
{
  BendiSampler *self = g_new0 (BendiSampler, 1);

  g_return_val_if_fail (n_vocab > 0, NULL);
  self->params = *params;
  self->n_vocab = n_vocab;
  self->history = g_array_new (FALSE, FALSE, sizeof (BendiToken));
  self->candidates = g_new (Candidate, n_vocab);
  self->counts = g_new0 (guint32, n_vocab);
  bendi_sampler_reset (self);
  return self;
}

void
bendi_sampler_free (BendiSampler *self)
{
  if (self == NULL)
    return;
  g_array_unref (self->history);
  g_free (self->candidates);
  g_free (self->counts);
  g_free (self);
}

void
bendi_sampler_reset (BendiSampler *self)
{
  guint64 seed = self->params.seed >= 0 ? (guint64) self->params.seed
                                        : ((guint64) g_random_int () << 32) | g_random_int ();

  rng_seed (self->rng, seed);
  g_array_set_size (self->history, 0);
}

void
bendi_sampler_accept (BendiSampler *self,
                      BendiToken    token)
{
  g_array_append_val (self->history, token);
}

BendiToken
bendi_argmax (const float *logits,
              gint32       n_vocab)
{
  BendiToken best = 0;

  for (gint32 i = 1; i < n_vocab; i++)
    if (logits[i] > logits[best])
      best = i;
  return best;
}

static int
compare_by_logit (gconstpointer a,
                  gconstpointer b)
{
  const Candidate *ca = a, *cb = b;

  if (ca->logit != cb->logit)
    return ca->logit > cb->logit ? -1 : 1;
  return ca->token - cb->token;   /* a total order: ties never depend on qsort */
}

/* Restores the heap below @i, the worst candidate on top. */
static void
sift_down (Candidate *c,
           gint64     n,
           gint64     i)
{
  for (;;)
    {
      gint64 worst = i, l = 2 * i + 1, r = 2 * i + 2;
      Candidate tmp;

      if (l < n && compare_by_logit (&c[l], &c[worst]) > 0)
        worst = l;
      if (r < n && compare_by_logit (&c[r], &c[worst]) > 0)
        worst = r;
      if (worst == i)
        return;
      tmp = c[i];
      c[i] = c[worst];
      c[worst] = tmp;
      i = worst;
    }
}

/* Moves the @k best candidates to the front (in no order); returns @k. A
 * min-heap of the best so far: O(n log k). */
static gint64
select_top_k (Candidate *c,
              gint64     n,
              gint64     k)
{
  /* c[0..k) is the heap, ordered so the worst kept candidate is at the top. */
  for (gint64 i = k / 2 - 1; i >= 0; i--)
    sift_down (c, k, i);
  for (gint64 i = k; i < n; i++)
    if (compare_by_logit (&c[i], &c[0]) < 0)
      {
        Candidate tmp = c[0];

        c[0] = c[i];
        c[i] = tmp;
        sift_down (c, k, 0);
      }
  return k;
}

/* Keeps the candidates whose probability is at least @min_p times the best
 * one's: logit ≥ max + ln (min_p). Returns how many, moved to the front. */
static gint64
drop_below_min_p (Candidate *c,
                  gint64     n,
                  float      min_p)
{
  float max = -INFINITY;
  float threshold;
  gint64 kept = 0;

  for (gint64 i = 0; i < n; i++)
    max = MAX (max, c[i].logit);
  threshold = max + logf (min_p);
  for (gint64 i = 0; i < n; i++)
    if (c[i].logit >= threshold)
      c[kept++] = c[i];
  return MAX (kept, 1);
}

static gboolean
has_penalties (const BendiSamplerParams *p)
{
  return p->repeat_penalty != 1.0f || p->presence_penalty != 0.0f || p->frequency_penalty != 0.0f;
}

gboolean
bendi_sampler_params_are_argmax (const BendiSamplerParams *params)
{
  g_return_val_if_fail (params != NULL, FALSE);

  return params->temperature <= 0.0f && !has_penalties (params);
}

/* Repetition, presence and frequency penalties over the recent window. */
static void
apply_penalties (BendiSampler *self)
{
  const BendiSamplerParams *p = &self->params;
  gint64 n = self->history->len;
  gint64 window = p->repeat_last_n < 0 ? n : MIN (n, p->repeat_last_n);
  const BendiToken *recent;

  /* An empty history has no array yet: no pointer to offset. */
  if (window == 0 || !has_penalties (p))
    return;
  recent = &g_array_index (self->history, BendiToken, 0) + (n - window);
  for (gint64 i = 0; i < window; i++)
    if (recent[i] >= 0 && recent[i] < self->n_vocab)
      self->counts[recent[i]]++;
  for (gint64 i = 0; i < window; i++)
    {
      BendiToken t = recent[i];
      Candidate *c;

      if (t < 0 || t >= self->n_vocab || self->counts[t] == 0)
        continue;
      c = &self->candidates[t];
      c->logit = c->logit > 0 ? c->logit / p->repeat_penalty : c->logit * p->repeat_penalty;
      c->logit -= (float) self->counts[t] * p->frequency_penalty + p->presence_penalty;
      self->counts[t] = 0;   /* each token once */
    }
}

/* Probabilities of the first @n candidates (sorted or not) at temperature 1. */
static void
softmax_candidates (Candidate *c,
                    gint64     n)
{
  float max = -INFINITY;
  double sum = 0.0;

  for (gint64 i = 0; i < n; i++)
    max = MAX (max, c[i].logit);
  for (gint64 i = 0; i < n; i++)
    {
      c[i].p = expf (c[i].logit - max);
      sum += c[i].p;
    }
  for (gint64 i = 0; i < n; i++)
    c[i].p = (float) (c[i].p / sum);
}

BendiToken
bendi_sampler_sample (BendiSampler *self,
                      const float  *logits)
{
  const BendiSamplerParams *p = &self->params;
  Candidate *c = self->candidates;
  gint64 n = self->n_vocab;
  double r, acc;

  for (gint32 i = 0; i < self->n_vocab; i++)
    c[i] = (Candidate) { .token = i, .logit = logits[i] };
  apply_penalties (self);

  if (p->temperature <= 0.0f)
    {
      gint32 best = 0;

      for (gint32 i = 1; i < self->n_vocab; i++)
        if (c[i].logit > c[best].logit)
          best = i;
      return best;
    }

  /* Only the best candidates matter: narrow them down before sorting, since
   * sorting a 150,000-token vocabulary for each token would cost more than
   * a forward pass of a small model. */
  if (p->top_k > 0 && p->top_k < n)
    n = select_top_k (c, n, p->top_k);
  else if (p->min_p > 0.0f)
    n = drop_below_min_p (c, n, p->min_p);
  qsort (c, (gsize) n, sizeof *c, compare_by_logit);

  /* top-p and min-p look at the probabilities before temperature, as
   * llama.cpp's default sampler chain does */
  softmax_candidates (c, n);
  if (p->top_p < 1.0f)
    {
      double cum = 0.0;

      for (gint64 i = 0; i < n; i++)
        {
          cum += c[i].p;
          if (cum >= p->top_p)
            {
              n = i + 1;
              break;
            }
        }
    }
  if (p->min_p > 0.0f)
    {
      float threshold = c[0].p * p->min_p;
      gint64 keep = 1;

      while (keep < n && c[keep].p >= threshold)
        keep++;
      n = keep;
    }

  /* temperature, then one draw */
  for (gint64 i = 0; i < n; i++)
    c[i].logit /= p->temperature;
  softmax_candidates (c, n);
  r = rng_uniform (self->rng);
  acc = 0.0;
  for (gint64 i = 0; i < n; i++)
    {
      acc += c[i].p;
      if (r < acc)
        return c[i].token;
    }
  return c[n - 1].token;
}
