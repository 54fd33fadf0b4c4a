/* SPDX-License-Identifier: MIT */
/* Perplexity of a text, by llama.cpp's method, to check the engine against it. */
#pragma once

#include <glib.h>

#include "model/context.h"

G_BEGIN_DECLS

/* Called after each chunk with the running perplexity; return FALSE to stop. */
typedef gboolean (*BendiPerplexityFunc) (gint64   chunk,
                                         gint64   n_chunks,
                                         double   perplexity,
                                         gpointer user_data);

/* Splits @tokens into floor (n_tokens / @chunk_size) chunks; each chunk's
 * first token becomes BOS when the model adds BOS; each chunk runs from an
 * empty cache; the logits at positions chunk_size/2 … chunk_size-2 are
 * scored against the token that follows. *out_perplexity is exp of the mean
 * negative log-likelihood over all scored tokens. */
gboolean bendi_perplexity (BendiContext        *context,
                           const BendiToken    *tokens,
                           gint64               n_tokens,
                           gint64               chunk_size,
                           BendiPerplexityFunc  progress,
                           gpointer             user_data,
                           double              *out_perplexity,
                           GError             **error);

/* -log softmax (logits)[target], computed in double precision. */
double bendi_negative_log_likelihood (const float *logits,
                                      gint64       n_vocab,
                                      BendiToken   target);

G_END_DECLS
