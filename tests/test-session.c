/* SPDX-License-Identifier: MIT */
/* The generation session: worker thread, callbacks, cancellation, stop strings, end reasons, cache reuse. */
#include <math.h>
#include <string.h>

#include "engine-error.h"
#include "session.h"
#include "test-model-util.h"
#include "test-util.h"

typedef struct {
  char       *dir;
  char       *path;
  BendiModel *model;
} Fixture;

static void
fixture_set_up (Fixture      *f,
                gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (GError) error = NULL;
  BendiModelMakerParams params;

  bendi_model_maker_params_init (&params);
  params.type = BENDI_TENSOR_TYPE_Q8_0;
  params.seed = 3;
  f->dir = bendi_test_make_temp_dir ();
  f->path = bendi_test_make_model (f->dir, "model.gguf", &params);
  f->model = bendi_model_load (f->path, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture      *f,
                   gconstpointer data G_GNUC_UNUSED)
{
  bendi_model_unref (f->model);
  bendi_test_remove_dir (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

static BendiSession *
session_new (BendiModel *model,
             gint64      n_ctx)
{
  g_autoptr (GError) error = NULL;
  BendiContextParams params;
  BendiSession *session;

  bendi_context_params_init (&params);
  params.n_ctx = n_ctx;
  params.n_threads = 2;
  session = bendi_session_new (model, &params, &error);
  g_assert_no_error (error);
  return session;
}

static BendiGenerateParams
greedy_params (const char *prompt,
               gint64      max_tokens)
{
  BendiGenerateParams params;

  bendi_generate_params_init (&params);
  params.prompt = prompt;
  params.max_tokens = max_tokens;
  params.sampling.temperature = 0.0f;
  return params;
}

/* What one generation delivered. */
typedef struct {
  GString             *text;
  int                  n_text_calls;
  int                  n_done_calls;
  BendiStopReason      reason;
  BendiGenerationStats stats;
  GThread             *text_thread;
  GThread             *done_thread;
  int                  stop_after;   /* text_func returns FALSE after this many calls; 0: never */
  GMainLoop           *loop;
} Result;

static gboolean
on_text (const char *text,
         gsize       len,
         gpointer    user_data)
{
  Result *r = user_data;

  g_string_append_len (r->text, text, (gssize) len);
  r->n_text_calls++;
  r->text_thread = g_thread_self ();
  return r->stop_after == 0 || r->n_text_calls < r->stop_after;
}

static void
on_done (BendiStopReason             reason,
         const GError               *error,
         const BendiGenerationStats *stats,
         gpointer                    user_data)
{
  Result *r = user_data;

  g_assert_true ((reason == BENDI_STOP_REASON_ERROR) == (error != NULL));
  r->reason = reason;
  r->stats = *stats;
  r->n_done_calls++;
  r->done_thread = g_thread_self ();
  if (r->loop != NULL)
    g_main_loop_quit (r->loop);
}

static Result
generate (BendiSession              *session,
          const BendiGenerateParams *params)
{
  g_autoptr (GError) error = NULL;
  Result r = { .text = g_string_new (NULL) };

  g_assert_true (bendi_session_generate (session, params, on_text, on_done, &r, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (bendi_session_wait (session), ==, r.reason);
  g_assert_cmpint (r.n_done_calls, ==, 1);
  return r;
}

static void
test_length (Fixture      *f,
             gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (BendiSession) session = session_new (f->model, 256);
  BendiGenerateParams params = greedy_params ("the little dog", 12);
  Result r = generate (session, &params);

  g_assert_cmpint (r.reason, ==, BENDI_STOP_REASON_LENGTH);
  g_assert_cmpint (r.stats.n_generated_tokens, ==, 12);
  g_assert_cmpint (r.stats.n_prompt_tokens, >, 1);
  g_assert_cmpuint (r.text->len, >, 0);
  g_assert_true (g_utf8_validate (r.text->str, (gssize) r.text->len, NULL));
  /* without a main context, callbacks run on the worker thread */
  g_assert_true (r.text_thread != g_thread_self ());
  g_assert_true (r.done_thread != g_thread_self ());
  g_string_free (r.text, TRUE);
}

/* The same greedy generation twice gives the same text; a fresh session too. */
static void
test_deterministic (Fixture      *f,
                    gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (BendiSession) session = session_new (f->model, 256);
  g_autoptr (BendiSession) other = session_new (f->model, 256);
  BendiGenerateParams params = greedy_params ("she was happy", 16);
  Result a = generate (session, &params);
  Result b = generate (session, &params);
  Result c = generate (other, &params);

  g_assert_cmpstr (a.text->str, ==, b.text->str);
  g_assert_cmpstr (a.text->str, ==, c.text->str);
  /* the second run found the prompt in the cache */
  g_assert_cmpint (b.stats.n_reused_tokens, ==, b.stats.n_prompt_tokens - 1);

  /* sampling with a seed is reproducible too */
  params.sampling.temperature = 1.0f;
  params.sampling.seed = 11;
  {
    Result d = generate (session, &params);
    Result e = generate (other, &params);

    g_assert_cmpstr (d.text->str, ==, e.text->str);
    g_string_free (d.text, TRUE);
    g_string_free (e.text, TRUE);
  }
  g_string_free (a.text, TRUE);
  g_string_free (b.text, TRUE);
  g_string_free (c.text, TRUE);
}

/* A longer prompt that starts with the previous conversation reuses it and
 * gives what a fresh session gives. */
static void
test_prefix_reuse (Fixture      *f,
                   gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (BendiSession) session = session_new (f->model, 256);
  g_autoptr (BendiSession) fresh = session_new (f->model, 256);
  BendiGenerateParams first = greedy_params ("the sun and the dog ran", 8);
  BendiGenerateParams second = greedy_params ("the sun and the dog ran to the park", 8);
  Result a = generate (session, &first);
  Result b = generate (session, &second);
  Result c = generate (fresh, &second);

  g_assert_cmpint (b.stats.n_reused_tokens, >, 3);
  g_assert_cmpint (c.stats.n_reused_tokens, ==, 0);
  g_assert_cmpstr (b.text->str, ==, c.text->str);
  g_string_free (a.text, TRUE);
  g_string_free (b.text, TRUE);
  g_string_free (c.text, TRUE);
}

/* A stop string cuts the text just before it, even across tokens. */
static void
test_stop_string (Fixture      *f,
                  gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (BendiSession) session = session_new (f->model, 256);
  BendiGenerateParams params = greedy_params ("once upon a time", 24);
  Result full = generate (session, &params);
  g_autofree char *stop = NULL;
  const char *stops[2] = { NULL, NULL };
  const char *at;
  Result cut;

  /* two characters from the middle of the text, wherever they first occur */
  g_assert_true (g_utf8_validate (full.text->str, (gssize) full.text->len, NULL));
  g_assert_cmpint (g_utf8_strlen (full.text->str, -1), >=, 6);
  {
    glong n_chars = g_utf8_strlen (full.text->str, -1);
    const char *middle = g_utf8_offset_to_pointer (full.text->str, n_chars / 2);

    stop = g_strndup (middle, (gsize) (g_utf8_offset_to_pointer (middle, 2) - middle));
  }
  at = strstr (full.text->str, stop);
  stops[0] = stop;
  params.stop = stops;
  cut = generate (session, &params);
  g_assert_cmpint (cut.reason, ==, BENDI_STOP_REASON_STOP);
  g_assert_cmpuint (cut.text->len, ==, (gsize) (at - full.text->str));
  g_assert_true (strncmp (cut.text->str, full.text->str, cut.text->len) == 0);
  g_string_free (full.text, TRUE);
  g_string_free (cut.text, TRUE);
}

/* Returning FALSE from the text callback stops at once. */
static void
test_callback_stops (Fixture      *f,
                     gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (BendiSession) session = session_new (f->model, 256);
  g_autoptr (GError) error = NULL;
  BendiGenerateParams params = greedy_params ("the", 100);
  Result r = { .text = g_string_new (NULL), .stop_after = 3 };

  g_assert_true (bendi_session_generate (session, &params, on_text, on_done, &r, NULL, &error));
  g_assert_cmpint (bendi_session_wait (session), ==, BENDI_STOP_REASON_CANCELLED);
  g_assert_cmpint (r.n_text_calls, ==, 3);
  g_assert_cmpint (r.stats.n_generated_tokens, <=, 4);
  g_string_free (r.text, TRUE);
}

typedef struct {
  GMutex  lock;
  GCond   cond;
  gint    n_tokens;
  gint    n_at_cancel;
  GString *text;
} CancelWatch;

static gboolean
count_tokens (const char *text G_GNUC_UNUSED,
              gsize       len G_GNUC_UNUSED,
              gpointer    user_data)
{
  CancelWatch *w = user_data;

  g_mutex_lock (&w->lock);
  w->n_tokens++;
  g_cond_signal (&w->cond);
  g_mutex_unlock (&w->lock);
  return TRUE;
}

/* Cancelling from another thread stops the generation within one token. */
static void
test_cancel (Fixture      *f,
             gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (BendiSession) session = session_new (f->model, 2048);
  g_autoptr (GError) error = NULL;
  BendiGenerateParams params = greedy_params ("the", 0);
  CancelWatch w = { 0 };
  Result r = { .text = g_string_new (NULL) };

  g_mutex_init (&w.lock);
  g_cond_init (&w.cond);
  params.ignore_eos = TRUE;
  g_assert_true (bendi_session_generate (session, &params, count_tokens, NULL, &w, NULL, &error));
  g_assert_true (bendi_session_is_busy (session));

  /* a second generation while one runs is refused */
  g_assert_false (bendi_session_generate (session, &params, on_text, on_done, &r, NULL, &error));
  g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_ARGUMENT);

  g_mutex_lock (&w.lock);
  while (w.n_tokens < 5)
    g_cond_wait (&w.cond, &w.lock);
  bendi_session_cancel (session);
  w.n_at_cancel = w.n_tokens;
  g_mutex_unlock (&w.lock);

  g_assert_cmpint (bendi_session_wait (session), ==, BENDI_STOP_REASON_CANCELLED);
  g_assert_cmpint (w.n_tokens, <=, w.n_at_cancel + 1);
  g_assert_false (bendi_session_is_busy (session));
  g_mutex_clear (&w.lock);
  g_cond_clear (&w.cond);
  g_string_free (r.text, TRUE);
}

/* With a main context, callbacks arrive there, on its thread. */
static void
test_main_context (Fixture      *f,
                   gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (BendiSession) session = session_new (f->model, 256);
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (GMainLoop) loop = g_main_loop_new (context, FALSE);
  g_autoptr (GError) error = NULL;
  BendiGenerateParams params = greedy_params ("a little girl", 10);
  Result r = { .text = g_string_new (NULL), .loop = loop };

  g_main_context_push_thread_default (context);
  g_assert_true (bendi_session_generate (session, &params, on_text, on_done, &r, context, &error));
  g_main_loop_run (loop);
  g_main_context_pop_thread_default (context);
  bendi_session_wait (session);

  g_assert_cmpint (r.n_done_calls, ==, 1);
  g_assert_cmpint (r.reason, ==, BENDI_STOP_REASON_LENGTH);
  g_assert_true (r.text_thread == g_thread_self ());
  g_assert_true (r.done_thread == g_thread_self ());
  g_assert_cmpuint (r.text->len, >, 0);
  g_string_free (r.text, TRUE);
}

/* The context filling up ends the generation with "length". */
static void
test_context_full (Fixture      *f,
                   gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (BendiSession) session = session_new (f->model, 16);
  BendiGenerateParams params = greedy_params ("the dog", 0);
  Result r;

  params.ignore_eos = TRUE;
  r = generate (session, &params);
  g_assert_cmpint (r.reason, ==, BENDI_STOP_REASON_LENGTH);
  g_assert_cmpint (r.stats.n_prompt_tokens + r.stats.n_generated_tokens, ==, 16 + 1);
  g_string_free (r.text, TRUE);

  /* a prompt longer than the context is refused, not crashed on */
  params.prompt = "the dog ran to the park and the sun was happy and she ran and he ran to the little girl";
  r = generate (session, &params);
  g_assert_cmpint (r.reason, ==, BENDI_STOP_REASON_LENGTH);
  g_assert_cmpint (r.stats.n_generated_tokens, ==, 0);
  g_string_free (r.text, TRUE);
}

/* A model whose end-of-text token is the one greedy decoding picks first
 * stops at once, with reason "stop" and no text; told to ignore it, it
 * goes on. */
static void
test_end_of_generation (Fixture      *f,
                        gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (BendiSession) session = session_new (f->model, 64);
  g_autoptr (BendiSession) eos_session = NULL;
  g_autoptr (BendiModel) eos_model = NULL;
  g_autoptr (BendiGguf) vocab = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *eos_path = NULL;
  const BendiToken prompt[] = { 1, 280, 266, 263 };
  BendiContext *context = bendi_session_get_context (session);
  BendiGenerateParams params = greedy_params (NULL, 5);
  BendiModelMakerParams maker;
  BendiToken first;
  Result r;

  g_assert_true (bendi_context_decode (context, prompt, G_N_ELEMENTS (prompt), FALSE, &error));
  first = bendi_argmax (bendi_context_get_logits (context, -1), (gint32) bendi_model_get_config (f->model)->n_vocab);

  /* the same weights (same seed, same vocabulary size), EOS moved */
  bendi_model_maker_params_init (&maker);
  maker.type = BENDI_TENSOR_TYPE_Q8_0;
  maker.seed = 3;
  vocab = bendi_test_tiny_vocab_with_eos (first);
  eos_path = bendi_test_make_model_with_vocab (f->dir, "eos.gguf", &maker, vocab);
  eos_model = bendi_model_load (eos_path, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  eos_session = session_new (eos_model, 64);

  params.prompt_tokens = prompt;
  params.n_prompt_tokens = G_N_ELEMENTS (prompt);
  r = generate (eos_session, &params);
  g_assert_cmpint (r.reason, ==, BENDI_STOP_REASON_STOP);
  g_assert_cmpint (r.stats.n_generated_tokens, ==, 0);
  g_assert_cmpstr (r.text->str, ==, "");
  g_string_free (r.text, TRUE);

  params.ignore_eos = TRUE;
  r = generate (eos_session, &params);
  g_assert_cmpint (r.reason, ==, BENDI_STOP_REASON_LENGTH);
  g_assert_cmpint (r.stats.n_generated_tokens, ==, 5);
  g_string_free (r.text, TRUE);
}

/* A token filter decides what may come next: only its token is drawn, even
 * at a high temperature; it can end the output, and ruling out every token
 * is an error, not a hang or a crash. */
typedef struct {
  BendiToken only;        /* the one token allowed; BENDI_TOKEN_NONE: none */
  int        n_accepted;
  int        complete_after;
} OnlyFilter;

static gboolean
only_apply (gpointer  user_data,
            float    *logits,
            gint32    n_vocab)
{
  OnlyFilter *filter = user_data;

  if (filter->complete_after > 0 && filter->n_accepted >= filter->complete_after)
    return FALSE;
  for (gint32 i = 0; i < n_vocab; i++)
    if (i != filter->only)
      logits[i] = -INFINITY;
  return TRUE;
}

static void
only_accept (gpointer   user_data,
             BendiToken token)
{
  OnlyFilter *filter = user_data;

  g_assert_cmpint (token, ==, filter->only);
  filter->n_accepted++;
}

static void
test_token_filter (Fixture      *f,
                   gconstpointer data G_GNUC_UNUSED)
{
  static const BendiTokenFilter vtable = { only_apply, only_accept };
  g_autoptr (BendiSession) session = session_new (f->model, 128);
  const BendiTokenizer *tokenizer = bendi_model_get_tokenizer (f->model);
  BendiGenerateParams params = greedy_params ("the sun", 6);
  OnlyFilter filter = { 0 };
  Result r;

  filter.only = BENDI_TOKEN_NONE;
  for (BendiToken t = 0; t < bendi_tokenizer_get_n_vocab (tokenizer); t++)
    if (g_str_equal (bendi_tokenizer_get_text (tokenizer, t), "▁dog"))
      filter.only = t;
  g_assert_cmpint (filter.only, !=, BENDI_TOKEN_NONE);
  params.token_filter = &vtable;
  params.token_filter_data = &filter;
  params.sampling.temperature = 2.0f;
  params.sampling.top_k = 0;
  params.sampling.min_p = 0.0f;
  params.sampling.top_p = 1.0f;
  params.sampling.seed = 5;
  r = generate (session, &params);
  g_assert_cmpint (r.reason, ==, BENDI_STOP_REASON_LENGTH);
  g_assert_cmpint (filter.n_accepted, ==, 6);
  g_assert_cmpstr (r.text->str, ==, " dog dog dog dog dog dog");
  g_string_free (r.text, TRUE);

  /* complete after two tokens: a normal stop */
  filter = (OnlyFilter) { .only = filter.only, .complete_after = 2 };
  r = generate (session, &params);
  g_assert_cmpint (r.reason, ==, BENDI_STOP_REASON_STOP);
  g_assert_cmpint (r.stats.n_generated_tokens, ==, 2);
  g_assert_cmpstr (r.text->str, ==, " dog dog");
  g_string_free (r.text, TRUE);

  filter = (OnlyFilter) { .only = BENDI_TOKEN_NONE };
  r = generate (session, &params);
  g_assert_cmpint (r.reason, ==, BENDI_STOP_REASON_ERROR);
  g_assert_cmpint (filter.n_accepted, ==, 0);
  g_string_free (r.text, TRUE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add ("/engine/session/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("length", test_length);
  ADD ("deterministic", test_deterministic);
  ADD ("prefix-reuse", test_prefix_reuse);
  ADD ("stop-string", test_stop_string);
  ADD ("callback-stops", test_callback_stops);
  ADD ("cancel", test_cancel);
  ADD ("main-context", test_main_context);
  ADD ("context-full", test_context_full);
  ADD ("end-of-generation", test_end_of_generation);
  ADD ("token-filter", test_token_filter);
#undef ADD

  return g_test_run ();
}
