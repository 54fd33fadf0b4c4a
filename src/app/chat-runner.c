/* SPDX-License-Identifier: MIT */
/* Loading a model in a GTask thread (after a fit check), and streaming replies from the engine's worker thread to the main loop. */
#define G_LOG_DOMAIN "bendi-app"

#include "chat-runner.h"

#include <glib/gi18n.h>

#include "chat-prompt.h"
#include "engine-error.h"
#include "fit-estimate.h"
#include "fit-model.h"
#include "hw-info.h"
#include "remote-client.h"

G_DEFINE_QUARK (bendi-chat-error-quark, bendi_chat_error)

/* Progress goes to the main loop at most every this much of the load. */
#define PROGRESS_STEP 0.01

/* The hardware description, shared read-only by the runner and the load
 * threads: BendiHwInfo itself is not reference counted, and a load in
 * flight must keep the one it started with when a newer one comes. */
typedef struct
{
  BendiHwInfo *info;
} SharedHardware;

static void
shared_hardware_clear (gpointer data)
{
  SharedHardware *shared = data;

  g_clear_pointer (&shared->info, bendi_hw_info_free);
}

static void
shared_hardware_unref (SharedHardware *shared)
{
  g_atomic_rc_box_release_full (shared, shared_hardware_clear);
}

/* What a reply in flight needs on the main thread. It outlives the runner
 * when the engine's last callbacks are still queued: they find runner
 * NULL and do nothing. */
typedef struct
{
  gatomicrefcount         ref_count;
  BendiChatRunner        *runner;      /* NULL once the runner is gone */
  BendiReasoningSplitter *splitter;
  GString                *reasoning;
  GString                *content;
  gboolean                stopped;     /* Stop pressed: later pieces are dropped */
  GCancellable           *cancellable; /* a remote reply's stream */
  gboolean                in_reasoning; /* a remote reply's journal has "<think>" open */
} Reply;

struct _BendiChatRunner
{
  GObject parent_instance;

  BendiChatRunnerState state;
  char                *model_path;
  char                *model_name;
  double               load_fraction;
  GCancellable        *load_cancellable;
  BendiBackend         backend;
  gint64               gpu_layers;      /* -1: as many as fit */
  gint64               loaded_gpu_layers; /* what the model loaded or loading asked for */
  BendiBackend         loaded_backend;
  SharedHardware      *hardware;        /* NULL: probe at each load */

  /* Remote mode: a model on another machine's server. */
  BendiRemoteClient   *remote_client;
  char                *remote_model;    /* its id on the server */
  gint64               remote_n_ctx;    /* 0: the server did not say */

  BendiModel          *model;
  BendiChatPrompt     *prompt;
  BendiSession        *session;
  BendiChatPlacement   placement;      /* where the session runs, read while it is idle */
  char                *gpu_names;      /* placement's strings */
  char                *placement_note;
  Reply               *reply;          /* the reply in flight, or NULL */
};

enum {
  PROP_0,
  PROP_STATE,
  PROP_MODEL_PATH,
  PROP_LOAD_FRACTION,
  N_PROPS
};

enum {
  TEXT,
  DONE,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (BendiChatRunner, bendi_chat_runner, G_TYPE_OBJECT)

static void
set_state (BendiChatRunner     *self,
           BendiChatRunnerState state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
set_model_path (BendiChatRunner *self,
                const char      *path)
{
  if (g_strcmp0 (self->model_path, path) == 0)
    return;
  g_free (self->model_path);
  g_free (self->model_name);
  self->model_path = g_strdup (path);
  self->model_name = path != NULL ? g_path_get_basename (path) : NULL;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL_PATH]);
}

static void
set_load_fraction (BendiChatRunner *self,
                   double           fraction)
{
  if (self->load_fraction == fraction)
    return;
  self->load_fraction = fraction;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOAD_FRACTION]);
}

static Reply *
reply_ref (Reply *reply)
{
  g_atomic_ref_count_inc (&reply->ref_count);
  return reply;
}

static void
reply_unref (Reply *reply)
{
  if (!g_atomic_ref_count_dec (&reply->ref_count))
    return;
  g_clear_pointer (&reply->splitter, bendi_reasoning_splitter_free);
  g_clear_object (&reply->cancellable);
  g_string_free (reply->reasoning, TRUE);
  g_string_free (reply->content, TRUE);
  g_free (reply);
}

/* Stops the reply in flight, if any, and forgets it. */
static void
abandon_reply (BendiChatRunner *self)
{
  if (self->reply == NULL)
    return;
  if (self->reply->cancellable != NULL)
    g_cancellable_cancel (self->reply->cancellable);
  else if (self->session != NULL)
    {
      bendi_session_cancel (self->session);
      bendi_session_wait (self->session);
    }
  self->reply->runner = NULL;
  g_clear_pointer (&self->reply, reply_unref);
}

/* ------------------------------------------------------------------------ */
/* Loading */

typedef struct
{
  char   *path;
  gint64  n_ctx;
  int     n_threads;
  double  last_fraction;
  BendiContextParams context_params;   /* backend and GPU layers, once resolved */
  SharedHardware    *hardware;          /* NULL: probe */
  BendiHwInfo       *probed;            /* the load's own probe, without one */

  BendiModel      *model;
  BendiChatPrompt *prompt;
  BendiSession    *session;
} LoadData;

static void
load_data_free (LoadData *data)
{
  g_free (data->path);
  g_clear_pointer (&data->hardware, shared_hardware_unref);
  g_clear_pointer (&data->probed, bendi_hw_info_free);
  g_clear_pointer (&data->session, bendi_session_free);
  g_clear_pointer (&data->prompt, bendi_chat_prompt_free);
  g_clear_pointer (&data->model, bendi_model_unref);
  g_free (data);
}

typedef struct
{
  BendiChatRunner *runner;
  GCancellable    *cancellable;
  double           fraction;
} ProgressCall;

static gboolean
progress_invoke_cb (gpointer data)
{
  ProgressCall *call = data;

  /* A load cancelled and replaced must not move the new one's bar. */
  if (call->runner->load_cancellable == call->cancellable)
    set_load_fraction (call->runner, call->fraction);
  return G_SOURCE_REMOVE;
}

static void
progress_call_free (gpointer data)
{
  ProgressCall *call = data;

  g_object_unref (call->runner);
  g_object_unref (call->cancellable);
  g_free (call);
}

static gboolean
load_progress_cb (double   fraction,
                  gpointer user_data)
{
  GTask *task = user_data;
  LoadData *data = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  if (g_cancellable_is_cancelled (cancellable))
    return FALSE;
  if (fraction - data->last_fraction >= PROGRESS_STEP || fraction >= 1.0)
    {
      ProgressCall *call = g_new0 (ProgressCall, 1);

      data->last_fraction = fraction;
      call->runner = g_object_ref (g_task_get_source_object (task));
      call->cancellable = g_object_ref (cancellable);
      call->fraction = fraction;
      g_main_context_invoke_full (g_task_get_context (task), G_PRIORITY_DEFAULT, progress_invoke_cb, call,
                                  progress_call_free);
    }
  return TRUE;
}

/* The engine's errors, in the words the chat page shows. */
static GError *
translate_load_error (const GError *error)
{
  if (error->domain == BENDI_ENGINE_ERROR)
    switch (error->code)
      {
      case BENDI_ENGINE_ERROR_CANCELLED:
        return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, error->message);
      case BENDI_ENGINE_ERROR_UNSUPPORTED:
        return g_error_new_literal (BENDI_CHAT_ERROR, BENDI_CHAT_ERROR_UNSUPPORTED, error->message);
      case BENDI_ENGINE_ERROR_INVALID_FILE:
        return g_error_new_literal (BENDI_CHAT_ERROR, BENDI_CHAT_ERROR_INVALID_FILE, error->message);
      default:
        break;
      }
  return g_error_new_literal (BENDI_CHAT_ERROR, BENDI_CHAT_ERROR_FAILED, error->message);
}

/* Refuses a model that cannot fit before mapping gigabytes of it. */
/* The computer the load counts with: the app's, else its own probe's. */
static const BendiHwInfo *
load_hardware (const LoadData *data)
{
  return data->hardware != NULL ? data->hardware->info : data->probed;
}

static gboolean
check_fit (LoadData  *data,
           GError   **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (BendiGguf) gguf = NULL;
  const BendiHwInfo *hw;
  g_autoptr (BendiFitResult) fit = NULL;
  BendiFitModel *fit_model = NULL;
  BendiFitParams params;
  gboolean ok = TRUE;

  gguf = bendi_gguf_open (data->path, BENDI_GGUF_OPEN_DEFAULT, &local_error);
  if (gguf != NULL)
    fit_model = bendi_fit_model_new (gguf, &local_error);
  if (fit_model == NULL)
    {
      if (local_error->domain == BENDI_ENGINE_ERROR && local_error->code == BENDI_ENGINE_ERROR_IO)
        g_set_error_literal (error, BENDI_CHAT_ERROR, BENDI_CHAT_ERROR_FAILED, local_error->message);
      else
        g_set_error_literal (error, BENDI_CHAT_ERROR, BENDI_CHAT_ERROR_INVALID_FILE, local_error->message);
      return FALSE;
    }
  if (!bendi_fit_model_get_engine_supported (fit_model))
    {
      g_set_error_literal (error, BENDI_CHAT_ERROR, BENDI_CHAT_ERROR_UNSUPPORTED,
                           bendi_fit_model_get_unsupported_reason (fit_model));
      bendi_fit_model_free (fit_model);
      return FALSE;
    }

  /* A probe opens a Vulkan instance: slow, so the app's is used when it
   * gave one. */
  if (data->hardware == NULL)
    data->probed = bendi_hw_info_probe (NULL);
  hw = load_hardware (data);
  bendi_fit_params_init (&params);
  params.n_ctx = data->n_ctx;
  params.n_threads = data->n_threads;
  if (data->context_params.backend == BENDI_BACKEND_CPU)
    params.gpu_layers = 0;
  else if (data->context_params.n_gpu_layers >= 0)
    params.gpu_layers = data->context_params.n_gpu_layers;
  else
    params.gpu_layers = BENDI_FIT_GPU_LAYERS_AUTO;
  fit = bendi_fit_estimate (fit_model, hw, &params);
  /* "As many as fit" becomes the estimator's count for the GPU it chose;
   * where it chose none (it leaves out software devices), the engine's
   * own rule decides. */
  if (data->context_params.backend != BENDI_BACKEND_CPU && data->context_params.n_gpu_layers == BENDI_GPU_LAYERS_AUTO &&
      fit->gpu >= 0 && (guint) fit->gpu < hw->gpus->len)
    {
      const BendiHwGpu *gpu = g_ptr_array_index (hw->gpus, fit->gpu);

      if (gpu->type != BENDI_VK_DEVICE_TYPE_CPU || data->context_params.backend == BENDI_BACKEND_VULKAN)
        {
          data->context_params.n_gpu_layers = fit->gpu_layers;
          data->context_params.devices[0] = gpu->index;
          data->context_params.n_devices = 1;
        }
    }
  if (fit->verdict == BENDI_FIT_VERDICT_NO)
    {
      g_set_error_literal (error, BENDI_CHAT_ERROR, BENDI_CHAT_ERROR_DOES_NOT_FIT, fit->explanation);
      ok = FALSE;
    }
  bendi_fit_model_free (fit_model);
  return ok;
}

/* The names of the GPUs @context runs layers on, each once, in layer
 * order, joined by ", "; NULL when it runs on the CPU or @hw does not
 * know them. */
static char *
gpu_names_for (const BendiHwInfo *hw,
               BendiContext      *context)
{
  g_autoptr (GString) names = g_string_new (NULL);
  guint n_devices = 0;
  const guint *devices = bendi_context_get_gpu_devices (context, &n_devices);

  if (bendi_context_get_n_gpu_layers (context) == 0)
    return NULL;
  for (guint i = 0; i < n_devices; i++)
    {
      int position = bendi_hw_info_find_gpu (hw, devices[i]);
      const char *name = position >= 0 ? ((const BendiHwGpu *) g_ptr_array_index (hw->gpus, position))->name : NULL;
      gboolean seen = FALSE;

      if (name == NULL)
        return NULL;
      for (guint j = 0; j < i && !seen; j++)
        seen = devices[j] == devices[i];
      if (seen)
        continue;
      if (names->len > 0)
        g_string_append (names, ", ");
      g_string_append (names, name);
    }
  return names->len > 0 ? g_string_free (g_steal_pointer (&names), FALSE) : NULL;
}

static void
load_thread (GTask        *task,
             gpointer      source_object G_GNUC_UNUSED,
             gpointer      task_data,
             GCancellable *cancellable)
{
  LoadData *data = task_data;
  g_autoptr (GError) error = NULL;
  BendiModelParams model_params;
  BendiContextParams context_params;

  if (!check_fit (data, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  bendi_model_params_init (&model_params);
  data->model = bendi_model_load (data->path, &model_params, load_progress_cb, task, &error);
  if (data->model == NULL)
    {
      g_task_return_error (task, translate_load_error (error));
      return;
    }
  data->prompt = bendi_chat_prompt_new (data->model, NULL, &error);
  if (data->prompt == NULL)
    {
      g_task_return_error (task, translate_load_error (error));
      return;
    }
  context_params = data->context_params;
  context_params.n_ctx = data->n_ctx;
  context_params.n_threads = data->n_threads;
  data->session = bendi_session_new (data->model, &context_params, &error);
  if (data->session == NULL)
    {
      g_task_return_error (task, translate_load_error (error));
      return;
    }
  if (g_cancellable_is_cancelled (cancellable))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
      return;
    }
  g_task_return_boolean (task, TRUE);
}

/* ------------------------------------------------------------------------ */
/* Generating */

static gboolean
reply_text_cb (const char *text,
               gsize       len,
               gpointer    user_data)
{
  Reply *reply = user_data;
  g_autofree char *chunk = NULL;

  /* A small model writes faster than the main loop shows: pieces already
   * queued when Stop was pressed are dropped, so the reply ends where the
   * user saw it end. */
  if (reply->runner == NULL || reply->runner->reply != reply || reply->stopped)
    return FALSE;
  bendi_reasoning_splitter_feed (reply->splitter, text, len, reply->reasoning, reply->content);
  chunk = g_strndup (text, len);
  g_signal_emit (reply->runner, signals[TEXT], 0, chunk, reply->reasoning->str, reply->content->str);
  return TRUE;
}

/* Reads where the session runs (the engine may have given up a GPU while
 * it answered), or clears it without a session. The engine's worker must
 * be idle. */
static void
update_placement (BendiChatRunner *self)
{
  BendiContext *context;

  g_clear_pointer (&self->placement_note, g_free);
  memset (&self->placement, 0, sizeof self->placement);
  if (self->session == NULL)
    {
      g_clear_pointer (&self->gpu_names, g_free);
      return;
    }
  context = bendi_session_get_context (self->session);
  self->placement_note = g_strdup (bendi_context_get_backend_note (context));
  self->placement = (BendiChatPlacement) {
    .n_layers = bendi_model_get_config (self->model)->n_layer,
    .gpu_layers = bendi_context_get_n_gpu_layers (context),
    .n_threads = bendi_context_get_n_threads (context),
    .gpu_names = bendi_context_get_n_gpu_layers (context) > 0 ? self->gpu_names : NULL,
    .note = self->placement_note,
  };
}

static void
reply_done_cb (BendiStopReason             reason,
               const GError               *error,
               const BendiGenerationStats *stats,
               gpointer                    user_data)
{
  Reply *reply = user_data;
  g_autoptr (BendiChatRunner) self = NULL;
  double tokens_per_second = 0.0;

  if (reply->runner == NULL || reply->runner->reply != reply)
    {
      reply_unref (reply);
      return;
    }
  self = g_object_ref (reply->runner);
  /* Joins the finished worker, so the next reply can start. */
  bendi_session_wait (self->session);
  update_placement (self);
  bendi_reasoning_splitter_finish (reply->splitter, reply->reasoning, reply->content);
  if (stats->generate_seconds > 0.0 && stats->n_generated_tokens > 1)
    tokens_per_second = (double) (stats->n_generated_tokens - 1) / stats->generate_seconds;
  if (reply->stopped && reason != BENDI_STOP_REASON_ERROR)
    reason = BENDI_STOP_REASON_CANCELLED;
  self->reply = NULL;
  set_state (self, BENDI_CHAT_RUNNER_READY);
  g_signal_emit (self, signals[DONE], 0, (int) reason, error,
                 g_strstrip (reply->reasoning->str), g_strstrip (reply->content->str),
                 stats->n_generated_tokens, tokens_per_second,
                 bendi_context_get_n_past (bendi_session_get_context (self->session)));
  reply->runner = NULL;
  /* The session's reference and the runner's. */
  reply_unref (reply);
  reply_unref (reply);
}


/* ------------------------------------------------------------------------ */
/* Remote replies */

static Reply *
reply_new (BendiChatRunner *self,
           gboolean         starts_in_reasoning)
{
  Reply *reply = g_new0 (Reply, 1);

  g_atomic_ref_count_init (&reply->ref_count);
  reply->runner = self;
  reply->splitter = bendi_reasoning_splitter_new (starts_in_reasoning);
  reply->reasoning = g_string_new (NULL);
  reply->content = g_string_new (NULL);
  return reply;
}

static void
remote_delta_cb (const char *reasoning,
                 const char *content,
                 gpointer    user_data)
{
  Reply *reply = user_data;
  g_autoptr (GString) chunk = g_string_new (NULL);

  if (reply->runner == NULL || reply->runner->reply != reply || reply->stopped)
    return;
  /* The journal keeps raw text, as a local model writes it: the
   * reasoning inside <think> tags, so a recovery splits it out again. */
  if (reasoning != NULL)
    {
      if (!reply->in_reasoning)
        g_string_append (chunk, "<think>");
      reply->in_reasoning = TRUE;
      g_string_append (chunk, reasoning);
      g_string_append (reply->reasoning, reasoning);
    }
  if (content != NULL)
    {
      if (reply->in_reasoning)
        g_string_append (chunk, "</think>");
      reply->in_reasoning = FALSE;
      g_string_append (chunk, content);
      g_string_append (reply->content, content);
    }
  if (chunk->len > 0)
    g_signal_emit (reply->runner, signals[TEXT], 0, chunk->str, reply->reasoning->str, reply->content->str);
}

/* The client's errors, said for people, in the same domain and code. */
static GError *
explain_remote_error (BendiChatRunner *self,
                      const GError    *error)
{
  const char *url = bendi_remote_client_get_base_url (self->remote_client);

  if (error->domain != BENDI_REMOTE_ERROR)
    return g_error_copy (error);
  switch ((BendiRemoteError) error->code)
    {
    case BENDI_REMOTE_ERROR_UNREACHABLE:
      return g_error_new (BENDI_REMOTE_ERROR, error->code,
                          _("Could not reach the server at %s. Check that it is running and that the address is "
                            "right. (%s)"), url, error->message);
    case BENDI_REMOTE_ERROR_UNAUTHORIZED:
      return g_error_new (BENDI_REMOTE_ERROR, error->code,
                          _("The server refused the API key. Check the connection's key in Preferences. (%s)"),
                          error->message);
    case BENDI_REMOTE_ERROR_MODEL_NOT_FOUND:
      return g_error_new (BENDI_REMOTE_ERROR, error->code,
                          _("The server has no model called “%s”. Refresh the model list and choose another one."),
                          self->remote_model);
    case BENDI_REMOTE_ERROR_RATE_LIMITED:
      {
        gint64 seconds = bendi_remote_error_get_retry_after (error);

        if (seconds >= 0)
          return g_error_new (BENDI_REMOTE_ERROR, error->code,
                              ngettext ("The server is busy with too many requests. Try again in %d second.",
                                        "The server is busy with too many requests. Try again in %d seconds.",
                                        (gulong) MIN (seconds, G_MAXINT)),
                              (int) MIN (seconds, G_MAXINT));
        return g_error_new_literal (BENDI_REMOTE_ERROR, error->code,
                                    _("The server is busy with too many requests. Try again in a moment."));
      }
    case BENDI_REMOTE_ERROR_TIMEOUT:
      return g_error_new (BENDI_REMOTE_ERROR, error->code,
                          _("The server did not answer in time. It may be busy or the network slow. (%s)"),
                          error->message);
    case BENDI_REMOTE_ERROR_STREAM_CUT:
      return g_error_new_literal (BENDI_REMOTE_ERROR, error->code,
                                  _("The connection to the server broke before the reply was finished. What "
                                    "came is kept."));
    case BENDI_REMOTE_ERROR_SERVER:
      return g_error_new (BENDI_REMOTE_ERROR, error->code, _("The server failed: %s"), error->message);
    case BENDI_REMOTE_ERROR_PROTOCOL:
      return g_error_new (BENDI_REMOTE_ERROR, error->code, _("The server's answer could not be read: %s"),
                          error->message);
    case BENDI_REMOTE_ERROR_INVALID_URL:
    default:
      return g_error_copy (error);
    }
}

static void
remote_chat_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Reply *reply = user_data;
  g_autoptr (BendiRemoteChatResult) chat = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) explained = NULL;
  g_autoptr (BendiChatRunner) self = NULL;
  BendiStopReason reason = BENDI_STOP_REASON_STOP;
  gint64 n_tokens = 0;
  gint64 n_context_tokens = 0;
  double tokens_per_second = 0.0;

  chat = bendi_remote_client_chat_finish (BENDI_REMOTE_CLIENT (source), result, &error);
  if (reply->runner == NULL || reply->runner->reply != reply)
    {
      reply_unref (reply);
      return;
    }
  self = g_object_ref (reply->runner);
  if (chat != NULL)
    {
      if (g_strcmp0 (chat->finish_reason, "length") == 0)
        reason = BENDI_STOP_REASON_LENGTH;
      n_tokens = chat->completion_tokens;
      tokens_per_second = chat->tokens_per_second;
      if (chat->prompt_tokens >= 0)
        n_context_tokens = chat->prompt_tokens + chat->completion_tokens;
    }
  else if (reply->stopped || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    reason = BENDI_STOP_REASON_CANCELLED;
  else
    {
      reason = BENDI_STOP_REASON_ERROR;
      explained = explain_remote_error (self, error);
    }
  self->reply = NULL;
  set_state (self, BENDI_CHAT_RUNNER_READY);
  g_signal_emit (self, signals[DONE], 0, (int) reason, explained,
                 g_strstrip (reply->reasoning->str), g_strstrip (reply->content->str),
                 n_tokens, tokens_per_second, n_context_tokens);
  reply->runner = NULL;
  /* The request's reference and the runner's. */
  reply_unref (reply);
  reply_unref (reply);
}

static void
generate_remote (BendiChatRunner           *self,
                 BendiTemplateValue        *messages,
                 const BendiGenerateParams *params)
{
  Reply *reply = reply_new (self, FALSE);

  reply->cancellable = g_cancellable_new ();
  self->reply = reply;
  set_state (self, BENDI_CHAT_RUNNER_GENERATING);
  /* One reference for the request, one for the runner. */
  bendi_remote_client_chat_async (self->remote_client, self->remote_model, messages, params, remote_delta_cb,
                                  reply->cancellable, remote_chat_cb, reply_ref (reply));
}

/* ------------------------------------------------------------------------ */

static void
bendi_chat_runner_dispose (GObject *object)
{
  BendiChatRunner *self = BENDI_CHAT_RUNNER (object);

  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  abandon_reply (self);
  g_clear_pointer (&self->session, bendi_session_free);
  update_placement (self);
  g_clear_pointer (&self->prompt, bendi_chat_prompt_free);
  g_clear_pointer (&self->model, bendi_model_unref);
  g_clear_pointer (&self->hardware, shared_hardware_unref);
  g_clear_object (&self->remote_client);

  G_OBJECT_CLASS (bendi_chat_runner_parent_class)->dispose (object);
}

static void
bendi_chat_runner_finalize (GObject *object)
{
  BendiChatRunner *self = BENDI_CHAT_RUNNER (object);

  g_free (self->model_path);
  g_free (self->model_name);
  g_free (self->remote_model);

  G_OBJECT_CLASS (bendi_chat_runner_parent_class)->finalize (object);
}

static void
bendi_chat_runner_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  BendiChatRunner *self = BENDI_CHAT_RUNNER (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_int (value, self->state);
      break;
    case PROP_MODEL_PATH:
      g_value_set_string (value, self->model_path);
      break;
    case PROP_LOAD_FRACTION:
      g_value_set_double (value, self->load_fraction);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bendi_chat_runner_class_init (BendiChatRunnerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bendi_chat_runner_dispose;
  object_class->finalize = bendi_chat_runner_finalize;
  object_class->get_property = bendi_chat_runner_get_property;

  properties[PROP_STATE] =
    g_param_spec_int ("state", NULL, NULL,
                      BENDI_CHAT_RUNNER_EMPTY, BENDI_CHAT_RUNNER_GENERATING, BENDI_CHAT_RUNNER_EMPTY,
                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_MODEL_PATH] =
    g_param_spec_string ("model-path", NULL, NULL,
                         NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_LOAD_FRACTION] =
    g_param_spec_double ("load-fraction", NULL, NULL,
                         0.0, 1.0, 0.0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * BendiChatRunner::text:
   * @chunk: the text just generated, raw (reasoning tags and all)
   * @reasoning: the reasoning so far
   * @content: the answer so far
   */
  signals[TEXT] =
    g_signal_new ("text",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL, NULL,
                  G_TYPE_NONE, 3,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
  /**
   * BendiChatRunner::done:
   * @reason: a BendiStopReason
   * @error: (nullable): why it failed, for BENDI_STOP_REASON_ERROR
   * @reasoning: the whole reasoning, trimmed
   * @content: the whole answer, trimmed
   * @n_tokens: tokens generated
   * @tokens_per_second: their speed, 0 when unknown
   * @n_context_tokens: positions of the context now used
   */
  signals[DONE] =
    g_signal_new ("done",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL, NULL,
                  G_TYPE_NONE, 7,
                  G_TYPE_INT,
                  G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_INT64,
                  G_TYPE_DOUBLE,
                  G_TYPE_INT64);
}

static void
bendi_chat_runner_init (BendiChatRunner *self)
{
  self->backend = BENDI_BACKEND_CPU;
  self->gpu_layers = 0;
  self->loaded_gpu_layers = 0;
  self->loaded_backend = BENDI_BACKEND_CPU;
}

BendiChatRunner *
bendi_chat_runner_new (void)
{
  return g_object_new (BENDI_TYPE_CHAT_RUNNER, NULL);
}

BendiChatRunnerState
bendi_chat_runner_get_state (BendiChatRunner *self)
{
  g_return_val_if_fail (BENDI_IS_CHAT_RUNNER (self), BENDI_CHAT_RUNNER_EMPTY);
  return self->state;
}

const char *
bendi_chat_runner_get_model_path (BendiChatRunner *self)
{
  g_return_val_if_fail (BENDI_IS_CHAT_RUNNER (self), NULL);
  return self->model_path;
}

const char *
bendi_chat_runner_get_model_name (BendiChatRunner *self)
{
  g_return_val_if_fail (BENDI_IS_CHAT_RUNNER (self), NULL);
  return self->model_name;
}

gint64
bendi_chat_runner_get_n_ctx (BendiChatRunner *self)
{
  g_return_val_if_fail (BENDI_IS_CHAT_RUNNER (self), 0);

  if (self->remote_client != NULL)
    return self->remote_n_ctx;
  if (self->session == NULL)
    return 0;
  return bendi_context_get_n_ctx (bendi_session_get_context (self->session));
}

double
bendi_chat_runner_get_load_fraction (BendiChatRunner *self)
{
  g_return_val_if_fail (BENDI_IS_CHAT_RUNNER (self), 0.0);
  return self->load_fraction;
}

void
bendi_chat_runner_unload (BendiChatRunner *self)
{
  g_return_if_fail (BENDI_IS_CHAT_RUNNER (self));

  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  abandon_reply (self);
  g_clear_pointer (&self->session, bendi_session_free);
  update_placement (self);
  g_clear_pointer (&self->prompt, bendi_chat_prompt_free);
  g_clear_pointer (&self->model, bendi_model_unref);
  g_clear_object (&self->remote_client);
  g_clear_pointer (&self->remote_model, g_free);
  self->remote_n_ctx = 0;
  set_model_path (self, NULL);
  set_load_fraction (self, 0.0);
  set_state (self, BENDI_CHAT_RUNNER_EMPTY);
}

static void
load_done_cb (GObject      *source G_GNUC_UNUSED,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *outer = user_data;
  BendiChatRunner *self = g_task_get_source_object (outer);
  GTask *inner = G_TASK (result);
  LoadData *data = g_task_get_task_data (inner);
  g_autoptr (GError) error = NULL;

  /* Replaced by a newer load, or unloaded meanwhile. */
  if (self->load_cancellable != g_task_get_cancellable (inner))
    {
      g_task_return_new_error (outer, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
      g_object_unref (outer);
      return;
    }
  g_clear_object (&self->load_cancellable);
  if (!g_task_propagate_boolean (inner, &error))
    {
      set_model_path (self, NULL);
      set_load_fraction (self, 0.0);
      set_state (self, BENDI_CHAT_RUNNER_EMPTY);
      g_task_return_error (outer, g_steal_pointer (&error));
      g_object_unref (outer);
      return;
    }
  self->model = g_steal_pointer (&data->model);
  self->prompt = g_steal_pointer (&data->prompt);
  self->session = g_steal_pointer (&data->session);
  g_free (self->gpu_names);
  self->gpu_names = gpu_names_for (load_hardware (data), bendi_session_get_context (self->session));
  update_placement (self);
  set_load_fraction (self, 1.0);
  set_state (self, BENDI_CHAT_RUNNER_READY);
  g_task_return_boolean (outer, TRUE);
  g_object_unref (outer);
}

static void
cancel_load_cb (GCancellable *cancellable G_GNUC_UNUSED,
                gpointer      user_data)
{
  g_cancellable_cancel (user_data);
}

void
bendi_chat_runner_set_placement (BendiChatRunner *self,
                                 const char      *backend,
                                 gint64           gpu_layers)
{
  g_return_if_fail (BENDI_IS_CHAT_RUNNER (self));

  if (backend == NULL || !bendi_backend_from_name (backend, &self->backend))
    self->backend = BENDI_BACKEND_AUTO;
  self->gpu_layers = gpu_layers;
}

gint64
bendi_chat_runner_get_gpu_layers (BendiChatRunner *self)
{
  g_return_val_if_fail (BENDI_IS_CHAT_RUNNER (self), 0);
  return self->loaded_gpu_layers;
}

void
bendi_chat_runner_get_placement (BendiChatRunner    *self,
                                 BendiChatPlacement *placement)
{
  g_return_if_fail (BENDI_IS_CHAT_RUNNER (self));
  g_return_if_fail (placement != NULL);

  *placement = self->placement;
}

const char *
bendi_chat_runner_get_backend (BendiChatRunner *self)
{
  g_return_val_if_fail (BENDI_IS_CHAT_RUNNER (self), NULL);
  return bendi_backend_name (self->loaded_backend);
}

void
bendi_chat_runner_set_hardware (BendiChatRunner *self,
                                BendiHwInfo     *hardware)
{
  g_return_if_fail (BENDI_IS_CHAT_RUNNER (self));

  g_clear_pointer (&self->hardware, shared_hardware_unref);
  if (hardware == NULL)
    return;
  self->hardware = g_atomic_rc_box_new0 (SharedHardware);
  self->hardware->info = hardware;
}

void
bendi_chat_runner_load_async (BendiChatRunner     *self,
                              const char          *path,
                              gint64               n_ctx,
                              int                  n_threads,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *outer;
  g_autoptr (GTask) inner = NULL;
  LoadData *data;

  g_return_if_fail (BENDI_IS_CHAT_RUNNER (self));
  g_return_if_fail (path != NULL);

  bendi_chat_runner_unload (self);

  /* The caller's task, and the thread's, which has its own cancellable
   * so that unloading or a newer load stops it too. */
  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, bendi_chat_runner_load_async);
  self->load_cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    g_cancellable_connect (cancellable, G_CALLBACK (cancel_load_cb), g_object_ref (self->load_cancellable),
                           g_object_unref);

  data = g_new0 (LoadData, 1);
  data->path = g_strdup (path);
  data->n_ctx = MAX (n_ctx, 0);
  data->n_threads = MAX (n_threads, 0);
  bendi_context_params_init (&data->context_params);
  data->context_params.backend = self->backend;
  data->context_params.n_gpu_layers = self->gpu_layers < 0 ? BENDI_GPU_LAYERS_AUTO : self->gpu_layers;
  if (self->hardware != NULL)
    data->hardware = g_atomic_rc_box_acquire (self->hardware);
  self->loaded_gpu_layers = self->gpu_layers;
  self->loaded_backend = self->backend;
  inner = g_task_new (self, self->load_cancellable, load_done_cb, outer);
  g_task_set_source_tag (inner, load_thread);
  g_task_set_task_data (inner, data, (GDestroyNotify) load_data_free);
  /* Cancelling interrupts the load; the thread then returns at once. */
  g_task_set_return_on_cancel (inner, FALSE);

  set_model_path (self, path);
  set_load_fraction (self, 0.0);
  set_state (self, BENDI_CHAT_RUNNER_LOADING);
  g_task_run_in_thread (inner, load_thread);
}

gboolean
bendi_chat_runner_load_finish (BendiChatRunner *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (BENDI_IS_CHAT_RUNNER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

gint64
bendi_chat_runner_count_tokens (BendiChatRunner    *self,
                                BendiTemplateValue *messages,
                                GError            **error)
{
  g_autoptr (GArray) tokens = NULL;

  g_return_val_if_fail (BENDI_IS_CHAT_RUNNER (self), -1);

  if (self->prompt == NULL)
    {
      /* A remote model's tokenizer is the server's. */
      g_set_error_literal (error, BENDI_CHAT_ERROR, BENDI_CHAT_ERROR_FAILED, _("No model is loaded."));
      return -1;
    }
  tokens = bendi_chat_prompt_build (self->prompt, messages, NULL, TRUE, NULL, NULL, error);
  return tokens != NULL ? (gint64) tokens->len : -1;
}

gboolean
bendi_chat_runner_generate (BendiChatRunner           *self,
                            BendiTemplateValue        *messages,
                            const BendiGenerateParams *params,
                            gboolean                  *opens_reasoning,
                            gint64                    *n_prompt_tokens,
                            GError                   **error)
{
  g_autoptr (GArray) tokens = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GMainContext) context = NULL;
  BendiGenerateParams generate_params = *params;
  gboolean starts_in_reasoning = FALSE;
  gint64 n_ctx;
  Reply *reply;

  g_return_val_if_fail (BENDI_IS_CHAT_RUNNER (self), FALSE);

  if (self->state != BENDI_CHAT_RUNNER_READY)
    {
      g_set_error_literal (error, BENDI_CHAT_ERROR, BENDI_CHAT_ERROR_FAILED,
                           self->state == BENDI_CHAT_RUNNER_GENERATING ? _("A reply is already being written.")
                                                                       : _("No model is loaded."));
      return FALSE;
    }
  if (self->remote_client != NULL)
    {
      generate_remote (self, messages, params);
      if (opens_reasoning != NULL)
        *opens_reasoning = FALSE;
      if (n_prompt_tokens != NULL)
        *n_prompt_tokens = 0;
      return TRUE;
    }
  tokens = bendi_chat_prompt_build (self->prompt, messages, NULL, TRUE, NULL, &starts_in_reasoning, &local_error);
  if (tokens == NULL)
    {
      g_set_error (error, BENDI_CHAT_ERROR, BENDI_CHAT_ERROR_FAILED,
                   _("The model's chat template failed: %s"), local_error->message);
      return FALSE;
    }
  n_ctx = bendi_chat_runner_get_n_ctx (self);
  if ((gint64) tokens->len >= n_ctx)
    {
      /* Numbers as strings: gettext cannot see through G_GINT64_FORMAT. */
      g_autofree char *length = g_strdup_printf ("%" G_GINT64_FORMAT, (gint64) tokens->len);
      g_autofree char *room = g_strdup_printf ("%" G_GINT64_FORMAT, n_ctx);

      g_set_error (error, BENDI_CHAT_ERROR, BENDI_CHAT_ERROR_CONTEXT_FULL,
                   _("The conversation is %s tokens long and the context holds %s. Start a new conversation, "
                     "or raise the context length in the model settings."),
                   length, room);
      return FALSE;
    }

  reply = reply_new (self, starts_in_reasoning);

  generate_params.prompt = NULL;
  generate_params.prompt_tokens = &g_array_index (tokens, BendiToken, 0);
  generate_params.n_prompt_tokens = tokens->len;
  generate_params.parse_special = FALSE;
  generate_params.stop = bendi_chat_prompt_get_stop_strings (self->prompt);
  context = g_main_context_ref_thread_default ();
  /* One reference for the session's callbacks, one for the runner. */
  if (!bendi_session_generate (self->session, &generate_params, reply_text_cb, reply_done_cb, reply_ref (reply),
                               context, &local_error))
    {
      reply_unref (reply);
      reply_unref (reply);
      g_set_error_literal (error, BENDI_CHAT_ERROR, BENDI_CHAT_ERROR_FAILED, local_error->message);
      return FALSE;
    }
  self->reply = reply;
  set_state (self, BENDI_CHAT_RUNNER_GENERATING);
  if (opens_reasoning != NULL)
    *opens_reasoning = starts_in_reasoning;
  if (n_prompt_tokens != NULL)
    *n_prompt_tokens = (gint64) tokens->len;
  return TRUE;
}

void
bendi_chat_runner_stop (BendiChatRunner *self)
{
  g_return_if_fail (BENDI_IS_CHAT_RUNNER (self));

  if (self->reply != NULL && self->reply->cancellable != NULL)
    {
      /* Closes the stream; what came stays, and "done" says CANCELLED. */
      self->reply->stopped = TRUE;
      g_cancellable_cancel (self->reply->cancellable);
    }
  else if (self->session != NULL && self->reply != NULL)
    {
      self->reply->stopped = TRUE;
      bendi_session_cancel (self->session);
    }
}

void
bendi_chat_runner_set_remote (BendiChatRunner   *self,
                              const char        *model_path,
                              BendiRemoteClient *client,
                              const char        *model_id,
                              const char        *display_name,
                              gint64             n_ctx)
{
  g_return_if_fail (BENDI_IS_CHAT_RUNNER (self));
  g_return_if_fail (model_path != NULL);
  g_return_if_fail (BENDI_IS_REMOTE_CLIENT (client));
  g_return_if_fail (model_id != NULL);

  bendi_chat_runner_unload (self);
  self->remote_client = g_object_ref (client);
  self->remote_model = g_strdup (model_id);
  self->remote_n_ctx = MAX (n_ctx, 0);
  set_model_path (self, model_path);
  g_free (self->model_name);
  self->model_name = g_strdup (display_name != NULL ? display_name : model_id);
  set_load_fraction (self, 1.0);
  set_state (self, BENDI_CHAT_RUNNER_READY);
}

gboolean
bendi_chat_runner_is_remote (BendiChatRunner *self)
{
  g_return_val_if_fail (BENDI_IS_CHAT_RUNNER (self), FALSE);
  return self->remote_client != NULL;
}
