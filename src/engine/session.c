/* SPDX-License-Identifier: MIT */
/* The session: prompt evaluation with KV-cache reuse, then sampling in a worker thread. */
#include "session.h"

#include <math.h>
#include <string.h>

#include "engine-error.h"
#include "stop-strings.h"

struct _BendiSession {
  BendiModel   *model;
  BendiContext *context;
  GArray       *cached;        /* BendiToken: what the KV cache holds, in order */

  GMutex        lock;          /* guards thread and result */
  GThread      *thread;
  BendiStopReason result;
  gint          cancelled;     /* atomic */
};

/* One generation's state, owned by its worker thread. */
typedef struct {
  BendiSession        *session;
  BendiGenerateParams  params;
  char               **stop;          /* owned copy of params.stop */
  GArray              *prompt;        /* BendiToken */
  BendiTextFunc        text_func;
  BendiDoneFunc        done_func;
  gpointer             user_data;
  GMainContext        *callback_context;
} Generation;

/* ------------------------------------------------------------------------ */
/* Delivering callbacks, on the worker or in a main context */

typedef struct {
  BendiTextFunc func;
  gpointer      user_data;
  char         *text;
  gsize         len;
} TextCall;

static gboolean
text_call_invoke (gpointer data)
{
  TextCall *call = data;

  call->func (call->text, call->len, call->user_data);
  return G_SOURCE_REMOVE;
}

static void
text_call_free (gpointer data)
{
  TextCall *call = data;

  g_free (call->text);
  g_free (call);
}

typedef struct {
  BendiDoneFunc        func;
  gpointer             user_data;
  BendiStopReason      reason;
  GError              *error;
  BendiGenerationStats stats;
} DoneCall;

static gboolean
done_call_invoke (gpointer data)
{
  DoneCall *call = data;

  call->func (call->reason, call->error, &call->stats, call->user_data);
  return G_SOURCE_REMOVE;
}

static void
done_call_free (gpointer data)
{
  DoneCall *call = data;

  g_clear_error (&call->error);
  g_free (call);
}

/* Returns FALSE when the receiver asked to stop. */
static gboolean
emit_text (Generation *gen,
           GString    *text)
{
  gboolean keep_going = TRUE;

  if (text->len == 0 || gen->text_func == NULL)
    return TRUE;
  if (gen->callback_context != NULL)
    {
      TextCall *call = g_new0 (TextCall, 1);

      call->func = gen->text_func;
      call->user_data = gen->user_data;
      call->len = text->len;
      call->text = g_strndup (text->str, text->len);
      g_main_context_invoke_full (gen->callback_context, G_PRIORITY_DEFAULT, text_call_invoke, call,
                                  text_call_free);
    }
  else
    keep_going = gen->text_func (text->str, text->len, gen->user_data);
  g_string_truncate (text, 0);
  return keep_going;
}

static void
emit_done (Generation                 *gen,
           BendiStopReason             reason,
           const GError               *error,
           const BendiGenerationStats *stats)
{
  DoneCall *call;

  if (gen->done_func == NULL)
    return;
  call = g_new0 (DoneCall, 1);
  call->func = gen->done_func;
  call->user_data = gen->user_data;
  call->reason = reason;
  call->error = error != NULL ? g_error_copy (error) : NULL;
  call->stats = *stats;
  if (gen->callback_context != NULL)
    g_main_context_invoke_full (gen->callback_context, G_PRIORITY_DEFAULT, done_call_invoke, call,
                                done_call_free);
  else
    {
      done_call_invoke (call);
      done_call_free (call);
    }
}

/* ------------------------------------------------------------------------ */

static gboolean
is_cancelled (gpointer data)
{
  BendiSession *self = data;

  return g_atomic_int_get (&self->cancelled) != 0;
}

static void
generation_free (Generation *gen)
{
  g_strfreev (gen->stop);
  g_clear_pointer (&gen->prompt, g_array_unref);
  g_clear_pointer (&gen->callback_context, g_main_context_unref);
  g_free (gen);
}

/* Brings the KV cache to hold exactly @prompt, reusing the longest common
 * prefix with what it holds already. The last prompt token is always
 * evaluated, since its logits choose the first new token. */
static gboolean
evaluate_prompt (BendiSession         *self,
                 GArray               *prompt,
                 BendiGenerationStats *stats,
                 GError              **error)
{
  const BendiToken *tokens = &g_array_index (prompt, BendiToken, 0);
  gsize n_common = 0;

  while (n_common < self->cached->len && n_common < prompt->len &&
         g_array_index (self->cached, BendiToken, n_common) == tokens[n_common])
    n_common++;
  if (n_common == prompt->len)
    n_common--;
  bendi_context_truncate (self->context, (gint64) n_common);
  g_array_set_size (self->cached, n_common);
  stats->n_reused_tokens = (gint64) n_common;

  if (!bendi_context_decode (self->context, tokens + n_common, (gint64) (prompt->len - n_common), FALSE, error))
    {
      g_array_set_size (self->cached, bendi_context_get_n_past (self->context));
      return FALSE;
    }
  g_array_append_vals (self->cached, tokens + n_common, prompt->len - n_common);
  return TRUE;
}

static gpointer
generation_thread (gpointer data)
{
  Generation *gen = data;
  BendiSession *self = gen->session;
  const BendiTokenizer *tokenizer = bendi_model_get_tokenizer (self->model);
  gint32 n_vocab = (gint32) bendi_model_get_config (self->model)->n_vocab;
  g_autoptr (BendiSampler) sampler = bendi_sampler_new (&gen->params.sampling, n_vocab);
  g_autoptr (BendiDetokenizer) detokenizer = bendi_detokenizer_new (tokenizer, FALSE);
  g_autoptr (BendiStopStrings) stop = bendi_stop_strings_new ((const char *const *) gen->stop);
  g_autoptr (GString) piece = g_string_new (NULL);
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GTimer) timer = g_timer_new ();
  g_autofree float *masked = gen->params.token_filter != NULL ? g_new (float, n_vocab) : NULL;
  BendiGenerationStats stats = { .n_prompt_tokens = (gint64) gen->prompt->len };
  BendiStopReason reason = BENDI_STOP_REASON_NONE;
  gboolean hit_stop_string = FALSE;
  gboolean argmax_only = bendi_sampler_params_are_argmax (&gen->params.sampling);

  for (guint i = 0; i < gen->prompt->len; i++)
    bendi_sampler_accept (sampler, g_array_index (gen->prompt, BendiToken, i));

  if (!evaluate_prompt (self, gen->prompt, &stats, &error))
    reason = g_error_matches (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_CANCELLED)
             ? BENDI_STOP_REASON_CANCELLED
             : g_error_matches (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_CONTEXT_FULL)
             ? BENDI_STOP_REASON_LENGTH : BENDI_STOP_REASON_ERROR;
  stats.prompt_seconds = g_timer_elapsed (timer, NULL);
  g_timer_start (timer);

  while (reason == BENDI_STOP_REASON_NONE)
    {
      BendiToken token;

      if (g_atomic_int_get (&self->cancelled))
        {
          reason = BENDI_STOP_REASON_CANCELLED;
          break;
        }
      if (masked != NULL)
        {
          /* The filter works on a copy: the context's logits stay as the
           * model computed them. */
          const BendiTokenFilter *filter = gen->params.token_filter;

          memcpy (masked, bendi_context_get_logits (self->context, -1), sizeof (float) * (gsize) n_vocab);
          if (!filter->apply (gen->params.token_filter_data, masked, n_vocab))
            {
              reason = BENDI_STOP_REASON_STOP;
              break;
            }
          token = bendi_sampler_sample (sampler, masked);
          /* A draw's rounding can land on a token of probability zero. */
          if (!(masked[token] > -INFINITY))
            token = bendi_argmax (masked, n_vocab);
          if (!(masked[token] > -INFINITY))
            {
              g_set_error (&error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_INPUT,
                           "The token filter ruled out every token");
              reason = BENDI_STOP_REASON_ERROR;
              break;
            }
          filter->accept (gen->params.token_filter_data, token);
        }
      else if (argmax_only)
        token = bendi_context_get_argmax (self->context);
      else
        token = bendi_sampler_sample (sampler, bendi_context_get_logits (self->context, -1));
      bendi_sampler_accept (sampler, token);
      if (!gen->params.ignore_eos && bendi_tokenizer_is_end_of_generation (tokenizer, token))
        {
          reason = BENDI_STOP_REASON_STOP;
          break;
        }
      stats.n_generated_tokens++;

      /* Show whole characters, holding back what may start a stop string. */
      g_string_truncate (piece, 0);
      bendi_detokenizer_feed (detokenizer, token, piece);
      if (bendi_stop_strings_feed (stop, piece->str, piece->len, text))
        {
          hit_stop_string = TRUE;
          reason = BENDI_STOP_REASON_STOP;
        }
      if (!emit_text (gen, text))
        reason = BENDI_STOP_REASON_CANCELLED;
      if (reason != BENDI_STOP_REASON_NONE)
        break;

      if (gen->params.max_tokens > 0 && stats.n_generated_tokens >= gen->params.max_tokens)
        {
          reason = BENDI_STOP_REASON_LENGTH;
          break;
        }
      if (bendi_context_get_n_past (self->context) >= bendi_context_get_n_ctx (self->context))
        {
          reason = BENDI_STOP_REASON_LENGTH;
          break;
        }
      if (!bendi_context_decode (self->context, &token, 1, FALSE, &error))
        {
          reason = g_error_matches (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_CANCELLED)
                   ? BENDI_STOP_REASON_CANCELLED : BENDI_STOP_REASON_ERROR;
          break;
        }
      g_array_append_val (self->cached, token);
    }

  /* What was held back at the end was not a stop string after all. */
  if (!hit_stop_string)
    {
      g_string_truncate (piece, 0);
      bendi_detokenizer_flush (detokenizer, piece);
      if (!bendi_stop_strings_feed (stop, piece->str, piece->len, text))
        bendi_stop_strings_flush (stop, text);
      emit_text (gen, text);
    }
  stats.generate_seconds = g_timer_elapsed (timer, NULL);

  if (reason != BENDI_STOP_REASON_ERROR)
    g_clear_error (&error);
  emit_done (gen, reason, error, &stats);

  g_mutex_lock (&self->lock);
  self->result = reason;
  g_mutex_unlock (&self->lock);
  generation_free (gen);
  return NULL;
}

/* ------------------------------------------------------------------------ */

const char *
bendi_stop_reason_to_string (BendiStopReason reason)
{
  switch (reason)
    {
    case BENDI_STOP_REASON_STOP:
      return "stop";
    case BENDI_STOP_REASON_LENGTH:
      return "length";
    case BENDI_STOP_REASON_CANCELLED:
      return "cancelled";
    case BENDI_STOP_REASON_ERROR:
      return "error";
    case BENDI_STOP_REASON_NONE:
    default:
      return "none";
    }
}

void
bendi_generate_params_init (BendiGenerateParams *params)
{
  memset (params, 0, sizeof *params);
  params->parse_special = TRUE;
  bendi_sampler_params_init (&params->sampling);
}

BendiSession *
bendi_session_new (BendiModel               *model,
                   const BendiContextParams *params,
                   GError                  **error)
{
  BendiContext *context = bendi_context_new (model, params, error);
  BendiSession *self;

  if (context == NULL)
    return NULL;
  self = g_new0 (BendiSession, 1);
  self->model = bendi_model_ref (model);
  self->context = context;
  self->cached = g_array_new (FALSE, FALSE, sizeof (BendiToken));
  g_mutex_init (&self->lock);
  bendi_context_set_abort_func (context, is_cancelled, self);
  return self;
}

void
bendi_session_free (BendiSession *self)
{
  if (self == NULL)
    return;
  bendi_session_cancel (self);
  bendi_session_wait (self);
  bendi_context_free (self->context);
  bendi_model_unref (self->model);
  g_array_unref (self->cached);
  g_mutex_clear (&self->lock);
  g_free (self);
}

BendiContext *
bendi_session_get_context (BendiSession *self)
{
  return self->context;
}

gboolean
bendi_session_generate (BendiSession              *self,
                        const BendiGenerateParams *params,
                        BendiTextFunc              text_func,
                        BendiDoneFunc              done_func,
                        gpointer                   user_data,
                        GMainContext              *callback_context,
                        GError                   **error)
{
  Generation *gen;
  GArray *prompt;

  g_return_val_if_fail (params != NULL, FALSE);

  g_mutex_lock (&self->lock);
  if (self->thread != NULL)
    {
      g_mutex_unlock (&self->lock);
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_ARGUMENT,
                   "A generation is already running in this session");
      return FALSE;
    }
  g_mutex_unlock (&self->lock);

  if (params->prompt_tokens != NULL)
    {
      prompt = g_array_sized_new (FALSE, FALSE, sizeof (BendiToken), (guint) params->n_prompt_tokens);
      g_array_append_vals (prompt, params->prompt_tokens, (guint) params->n_prompt_tokens);
    }
  else
    {
      const char *text = params->prompt != NULL ? params->prompt : "";
      BendiTokenizeFlags flags = BENDI_TOKENIZE_ADD_SPECIAL |
                                 (params->parse_special ? BENDI_TOKENIZE_PARSE_SPECIAL : 0);

      prompt = bendi_tokenizer_encode (bendi_model_get_tokenizer (self->model), text, strlen (text), flags, error);
      if (prompt == NULL)
        return FALSE;
    }
  if (prompt->len == 0)
    {
      g_array_unref (prompt);
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_INPUT,
                   "The prompt is empty and the model adds no BOS token: there is nothing to continue");
      return FALSE;
    }

  gen = g_new0 (Generation, 1);
  gen->session = self;
  gen->params = *params;
  gen->stop = g_strdupv ((char **) params->stop);
  gen->params.stop = NULL;
  gen->params.prompt = NULL;
  gen->params.prompt_tokens = NULL;
  gen->prompt = prompt;
  gen->text_func = text_func;
  gen->done_func = done_func;
  gen->user_data = user_data;
  gen->callback_context = callback_context != NULL ? g_main_context_ref (callback_context) : NULL;

  g_atomic_int_set (&self->cancelled, 0);
  g_mutex_lock (&self->lock);
  self->result = BENDI_STOP_REASON_NONE;
  self->thread = g_thread_new ("bendi-generate", generation_thread, gen);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

void
bendi_session_cancel (BendiSession *self)
{
  g_atomic_int_set (&self->cancelled, 1);
}

BendiStopReason
bendi_session_wait (BendiSession *self)
{
  GThread *thread;
  BendiStopReason result;

  g_mutex_lock (&self->lock);
  thread = g_steal_pointer (&self->thread);
  g_mutex_unlock (&self->lock);
  if (thread != NULL)
    g_thread_join (thread);
  g_mutex_lock (&self->lock);
  result = self->result;
  g_mutex_unlock (&self->lock);
  return result;
}

gboolean
bendi_session_is_busy (BendiSession *self)
{
  gboolean busy;

  g_mutex_lock (&self->lock);
  busy = self->thread != NULL && self->result == BENDI_STOP_REASON_NONE;
  g_mutex_unlock (&self->lock);
  return busy;
}

void
bendi_session_reset (BendiSession *self)
{
  g_return_if_fail (!bendi_session_is_busy (self));
  bendi_context_truncate (self->context, 0);
  g_array_set_size (self->cached, 0);
}
