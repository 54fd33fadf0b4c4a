/* SPDX-License-Identifier: MIT */
/* Choosing the next token from logits: greedy, or temperature with top-k, top-p, min-p and penalties. */
#pragma once

#include <glib.h>

#include "tokenizer/tokenizer.h"

G_BEGIN_DECLS

typedef struct {
  float  temperature;        /* ≤ 0: greedy (always the most likely token) */
  gint   top_k;              /* keep the k most likely; ≤ 0: off */
  float  top_p;              /* keep the smallest set with this much probability; ≥ 1: off */
  float  min_p;              /* drop tokens below min_p × the best one's probability; ≤ 0: off */
  float  repeat_penalty;     /* divide positive logits of recent tokens by this; 1: off */
  gint   repeat_last_n;      /* how many recent tokens count; 0: none, -1: all */
  float  presence_penalty;   /* subtracted once from each recent token's logit */
  float  frequency_penalty;  /* subtracted per occurrence */
  gint64 seed;               /* < 0: a random seed */
} BendiSamplerParams;

/* llama.cpp's defaults: temperature 0.8, top-k 40, top-p 0.95, min-p 0.05,
 * no penalties, random seed. */
void bendi_sampler_params_init (BendiSamplerParams *params);
/* Whether these parameters pick the token of the largest logit, whatever
 * came before (greedy without penalties): the argmax, which a GPU can find
 * without the logits being read. */
gboolean bendi_sampler_params_are_argmax (const BendiSamplerParams *params);

typedef struct _BendiSampler BendiSampler;

BendiSampler *bendi_sampler_new    (const BendiSamplerParams *params,
                                    gint32                    n_vocab) G_GNUC_WARN_UNUSED_RESULT;
void          bendi_sampler_free   (BendiSampler             *self);

/* Picks a token from @logits (n_vocab values, left untouched). The same
 * seed and the same logits give the same tokens. */
BendiToken    bendi_sampler_sample (BendiSampler             *self,
                                    const float              *logits);
/* Records @token in the history the penalties look at (prompt tokens too). */
void          bendi_sampler_accept (BendiSampler             *self,
                                    BendiToken                token);
void          bendi_sampler_reset  (BendiSampler             *self);

/* The index of the largest value: greedy decoding. */
BendiToken    bendi_argmax         (const float              *logits,
                                    gint32                    n_vocab);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiSampler, bendi_sampler_free)

G_END_DECLS
