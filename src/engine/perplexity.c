/* SPDX-License-Identifier: MIT */
/* Perplexity: each chunk scored on its second half, so every scored token has context behind it. */
#include "perplexity.h"

#include <math.h>
#include <string.h>

#include "engine-error.h"

double
bendi_negative_log_likelihood (const float *logits,
                               gint64       n_vocab,
                               BendiToken   target)
{
  float max = -INFINITY;
  double sum = 0.0;

  for (gint64 i = 0; i < n_vocab; i++)
    max = MAX (max, logits[i]);
  for (gint64 i = 0; i < n_vocab; i++)
    sum += exp ((double) logits[i] - max);
  return log (sum) - ((double) logits[target] - max);
}

gboolean
bendi_perplexity (BendiContext        *context,
                  const BendiToken    *tokens,
                  gint64               n_tokens,
                  gint64               chunk_size,
                  BendiPerplexityFunc  progress,
                  gpointer             user_data,
                  double              *out_perplexity,
                  GError             **error)
{
  BendiModel *model = bendi_context_get_model (context);
  const BendiTokenizer *tokenizer = bendi_model_get_tokenizer (model);
  gint64 n_vocab = bendi_model_get_config (model)->n_vocab;
  gint64 n_chunks = chunk_size > 0 ? n_tokens / chunk_size : 0;
  g_autofree BendiToken *chunk = NULL;
  double nll_sum = 0.0;
  gint64 n_scored = 0;

  if (chunk_size < 4 || chunk_size > bendi_context_get_n_ctx (context))
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_ARGUMENT,
                   "The chunk size must be between 4 and the context size (%" G_GINT64_FORMAT "), not %"
                   G_GINT64_FORMAT, bendi_context_get_n_ctx (context), chunk_size);
      return FALSE;
    }
  if (n_chunks == 0)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_INPUT,
                   "The text has %" G_GINT64_FORMAT " tokens, fewer than one chunk of %" G_GINT64_FORMAT,
                   n_tokens, chunk_size);
      return FALSE;
    }

  chunk = g_new (BendiToken, chunk_size);
  for (gint64 c = 0; c < n_chunks; c++)
    {
      memcpy (chunk, tokens + c * chunk_size, (gsize) chunk_size * sizeof (BendiToken));
      if (bendi_tokenizer_get_add_bos (tokenizer) && bendi_tokenizer_get_bos (tokenizer) != BENDI_TOKEN_NONE)
        chunk[0] = bendi_tokenizer_get_bos (tokenizer);

      bendi_context_truncate (context, 0);
      if (!bendi_context_decode (context, chunk, chunk_size, TRUE, error))
        return FALSE;
      for (gint64 j = chunk_size / 2; j <= chunk_size - 2; j++)
        {
          nll_sum += bendi_negative_log_likelihood (bendi_context_get_logits (context, j), n_vocab,
                                                    chunk[j + 1]);
          n_scored++;
        }
      if (progress != NULL && !progress (c, n_chunks, exp (nll_sum / (double) n_scored), user_data))
        {
          g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_CANCELLED, "Cancelled");
          return FALSE;
        }
    }
  *out_perplexity = exp (nll_sum / (double) n_scored);
  return TRUE;
}
