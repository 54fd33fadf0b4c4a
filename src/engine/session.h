/* SPDX-License-Identifier: MIT */
/* A generation session: one model, one context, text generated in a worker thread. */
#pragma once

#include <glib.h>

#include "model/context.h"
#include "sampler.h"

G_BEGIN_DECLS

typedef enum {
  BENDI_STOP_REASON_NONE,
  BENDI_STOP_REASON_STOP,       /* an end-of-generation token or a stop string */
  BENDI_STOP_REASON_LENGTH,     /* max_tokens reached, or the context is full */
  BENDI_STOP_REASON_CANCELLED,
  BENDI_STOP_REASON_ERROR,
} BendiStopReason;

/* "stop", "length", "cancelled", "error" (as OpenAI's finish_reason). */
const char *bendi_stop_reason_to_string (BendiStopReason reason);

typedef struct {
  gint64 n_prompt_tokens;     /* tokens in the prompt */
  gint64 n_reused_tokens;     /* of those, already in the KV cache from before */
  gint64 n_generated_tokens;
  double prompt_seconds;      /* evaluating the prompt */
  double generate_seconds;    /* from the first sampled token to the end */
} BendiGenerationStats;

/* Constrained generation: a filter that says, before each token is drawn,
 * which tokens may come next (a JSON grammar, say), and follows the tokens
 * chosen. Both run on the worker thread. */
typedef struct {
  /* Sets the logits of the tokens that may not come next to -INFINITY in
   * @logits (n_vocab values, a copy the sampler then draws from). Returns
   * FALSE when the output is complete and nothing may follow: the
   * generation then ends with BENDI_STOP_REASON_STOP. */
  gboolean (*apply)  (gpointer    user_data,
                      float      *logits,
                      gint32      n_vocab);
  /* The token drawn, always one that apply () left possible. */
  void     (*accept) (gpointer    user_data,
                      BendiToken  token);
} BendiTokenFilter;

typedef struct {
  /* The prompt, as text (tokenised with BOS as the model's metadata says)
   * or as tokens (used as given). */
  const char       *prompt;
  const BendiToken *prompt_tokens;
  gsize             n_prompt_tokens;
  gboolean          parse_special;   /* match "<|im_start|>" etc. in the text */
  gint64            max_tokens;      /* ≤ 0: until the context is full */
  BendiSamplerParams sampling;
  const char *const *stop;           /* NULL-terminated stop strings, or NULL */
  gboolean          ignore_eos;      /* keep going past end-of-generation tokens */
  /* NULL: none. A filter that rules out every token ends the generation
   * with an error. @token_filter_data must outlive the generation. */
  const BendiTokenFilter *token_filter;
  gpointer                token_filter_data;
} BendiGenerateParams;

void bendi_generate_params_init (BendiGenerateParams *params);

/* Receives the text generated so far, in whole UTF-8 characters and with
 * stop strings held back until they are ruled out. Return FALSE to stop
 * (only honoured when called on the worker thread). */
typedef gboolean (*BendiTextFunc) (const char *text,
                                   gsize       len,
                                   gpointer    user_data);
/* Called once at the end; @error is set when @reason is ERROR. */
typedef void     (*BendiDoneFunc) (BendiStopReason             reason,
                                   const GError               *error,
                                   const BendiGenerationStats *stats,
                                   gpointer                    user_data);

typedef struct _BendiSession BendiSession;

BendiSession *bendi_session_new  (BendiModel               *model,
                                  const BendiContextParams *params,
                                  GError                  **error) G_GNUC_WARN_UNUSED_RESULT;
/* Cancels a running generation and waits for it. */
void          bendi_session_free (BendiSession             *self);

BendiContext *bendi_session_get_context (BendiSession *self);

/* Starts generating in a worker thread. The callbacks run on that thread,
 * or, when @callback_context is given, are dispatched to it (e.g. a GTK
 * app's main context). Fails if a generation is already running or the
 * prompt cannot be tokenised. */
gboolean bendi_session_generate (BendiSession              *self,
                                 const BendiGenerateParams *params,
                                 BendiTextFunc              text_func,
                                 BendiDoneFunc              done_func,
                                 gpointer                   user_data,
                                 GMainContext              *callback_context,
                                 GError                   **error);

/* Thread-safe: the generation stops before its next token. */
void            bendi_session_cancel  (BendiSession *self);
/* Waits for the running generation (if any) to end and returns how. */
BendiStopReason bendi_session_wait    (BendiSession *self);
gboolean        bendi_session_is_busy (BendiSession *self);
/* Forgets the conversation in the KV cache. Not while busy. */
void            bendi_session_reset   (BendiSession *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiSession, bendi_session_free)

G_END_DECLS
