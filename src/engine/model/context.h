/* SPDX-License-Identifier: MIT */
/* An inference context: the KV cache, scratch memory and threads for running a model on the CPU. */
#pragma once

#include <glib.h>

#include "model/model.h"

G_BEGIN_DECLS

typedef struct _BendiContext BendiContext;

typedef struct {
  gint64 n_ctx;      /* positions the KV cache holds; 0: the model's, at most 4096 */
  gint64 n_batch;    /* tokens per forward pass of a long prompt; 0: 512 */
  int    n_threads;  /* 0: one per processor */
} BendiContextParams;

void bendi_context_params_init (BendiContextParams *params);

/* What a context allocates, so the fit estimator uses the engine's own
 * accounting: the KV cache, and the scratch of the largest batch (the
 * activations of every step, logits, attention scores, quantised
 * activations for the matrix products). Parameters as for
 * bendi_context_new (); 0 picks the same defaults. */
void bendi_context_estimate_memory (const BendiModelConfig   *config,
                                    const BendiContextParams *params,
                                    gsize                    *kv_cache_bytes,
                                    gsize                    *scratch_bytes);

/* Polled between layers: return TRUE to abandon the current decode. */
typedef gboolean (*BendiAbortFunc) (gpointer user_data);

BendiContext *bendi_context_new  (BendiModel               *model,
                                  const BendiContextParams *params,
                                  GError                  **error) G_GNUC_WARN_UNUSED_RESULT;
void          bendi_context_free (BendiContext             *self);

BendiModel *bendi_context_get_model     (BendiContext *self);
gint64      bendi_context_get_n_ctx     (const BendiContext *self);
int         bendi_context_get_n_threads (const BendiContext *self);
/* Positions filled in the KV cache. */
gint64      bendi_context_get_n_past    (const BendiContext *self);
/* Forgets every position from @n_keep on (to reuse a common prefix). */
void        bendi_context_truncate      (BendiContext *self,
                                         gint64        n_keep);
/* Bytes of the KV cache. */
gsize       bendi_context_get_kv_bytes  (const BendiContext *self);

void        bendi_context_set_abort_func (BendiContext   *self,
                                          BendiAbortFunc  func,
                                          gpointer        user_data);

/* Runs @n_tokens tokens at the next positions, adding them to the KV cache.
 * With @all_logits, logits are kept for every token, else for the last.
 * Errors: the context is full (CONTEXT_FULL), a token outside the
 * vocabulary (INVALID_INPUT), an abort (CANCELLED; the cache then holds the
 * positions before this call). */
gboolean bendi_context_decode (BendiContext      *self,
                               const BendiToken  *tokens,
                               gint64             n_tokens,
                               gboolean           all_logits,
                               GError           **error);

/* The n_vocab logits of token @index of the last decode (-1: the last). */
const float *bendi_context_get_logits (const BendiContext *self,
                                       gint64              index);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiContext, bendi_context_free)

G_END_DECLS
