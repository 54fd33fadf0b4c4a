/* SPDX-License-Identifier: MIT */
/* The chat's link to the engine: loads a model in a thread (checking first that it fits), renders conversations with the model's own chat template and streams replies from the engine's worker thread to the main loop. */
#pragma once

#include <gio/gio.h>

#include "app-types.h"
#include "hw-info.h"
#include "remote-client.h"
#include "session.h"
#include "template/chat-template.h"

G_BEGIN_DECLS

#define BENDI_CHAT_ERROR (bendi_chat_error_quark ())

typedef enum {
  BENDI_CHAT_ERROR_DOES_NOT_FIT,   /* the model needs more memory than this computer has free */
  BENDI_CHAT_ERROR_UNSUPPORTED,    /* an architecture or type the engine cannot run */
  BENDI_CHAT_ERROR_INVALID_FILE,   /* not a GGUF model, or a damaged one */
  BENDI_CHAT_ERROR_CONTEXT_FULL,   /* the conversation does not fit in the context */
  BENDI_CHAT_ERROR_FAILED,
} BendiChatError;

GQuark bendi_chat_error_quark (void);

typedef enum {
  BENDI_CHAT_RUNNER_EMPTY,       /* no model */
  BENDI_CHAT_RUNNER_LOADING,
  BENDI_CHAT_RUNNER_READY,
  BENDI_CHAT_RUNNER_GENERATING,
} BendiChatRunnerState;

#define BENDI_TYPE_CHAT_RUNNER (bendi_chat_runner_get_type ())
G_DECLARE_FINAL_TYPE (BendiChatRunner, bendi_chat_runner, BENDI, CHAT_RUNNER, GObject)

BendiChatRunner     *bendi_chat_runner_new            (void) G_GNUC_WARN_UNUSED_RESULT;

BendiChatRunnerState bendi_chat_runner_get_state      (BendiChatRunner *self);
/* The model loaded or loading, or NULL. */
const char          *bendi_chat_runner_get_model_path (BendiChatRunner *self);
/* Its file name, for people. */
const char          *bendi_chat_runner_get_model_name (BendiChatRunner *self);
/* Positions in the context of the loaded model; 0 when none. */
gint64               bendi_chat_runner_get_n_ctx      (BendiChatRunner *self);
/* Load progress in [0, 1]. */
double               bendi_chat_runner_get_load_fraction (BendiChatRunner *self);

/* Where the next models loaded run: @backend is "cpu", "vulkan" or "auto"
 * (a real GPU when there is one, else the CPU), @gpu_layers the layers on
 * the GPU, -1 for as many as the fit estimator says fit. The CPU until
 * this is called. */
void     bendi_chat_runner_set_placement (BendiChatRunner *self,
                                          const char      *backend,
                                          gint64           gpu_layers);

/* The GPU layers asked for when the model loaded or loading was (-1: as
 * many as fit); 0 when none was. */
gint64   bendi_chat_runner_get_gpu_layers (BendiChatRunner *self);
/* The backend asked for then: "auto", "cpu" or "vulkan". */
const char *bendi_chat_runner_get_backend (BendiChatRunner *self);

/* Where the loaded model runs, as the engine placed it, which need not be
 * what was asked: the auto backend leaves a CPU-like Vulkan device to the
 * processor, a GPU failing the self-check is given up, fewer layers load
 * when memory runs short. */
typedef struct {
  gint64      n_layers;     /* the model's */
  gint64      gpu_layers;   /* of them on GPUs (all of them: the output too) */
  int         n_threads;    /* the processor's */
  const char *gpu_names;    /* those GPUs, joined by ", "; NULL when none or unknown */
  const char *note;         /* the engine's word on what it gave up, or NULL */
} BendiChatPlacement;

/* Fills @placement for the local model loaded (its strings the runner's,
 * until the next load or reply ends); all zero and NULL without one. */
void        bendi_chat_runner_get_placement (BendiChatRunner    *self,
                                             BendiChatPlacement *placement);

/* The computer the fit check of the next loads counts with; takes
 * @hardware (NULL: each load probes it, which opens a Vulkan instance and
 * takes a while). A load in flight keeps the description it started with. */
void     bendi_chat_runner_set_hardware  (BendiChatRunner *self,
                                          BendiHwInfo     *hardware);

/* Unloads the current model, then checks @path against this computer's
 * free memory (BENDI_CHAT_ERROR_DOES_NOT_FIT, with the arithmetic in the
 * message), loads it, and makes a session with @n_ctx positions (0: the
 * model's, at most 4096) and @n_threads threads (0: one per processor).
 * Cancelling gives G_IO_ERROR_CANCELLED and leaves no model. */
void     bendi_chat_runner_load_async  (BendiChatRunner     *self,
                                        const char          *path,
                                        gint64               n_ctx,
                                        int                  n_threads,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
gboolean bendi_chat_runner_load_finish (BendiChatRunner     *self,
                                        GAsyncResult        *result,
                                        GError             **error);
void     bendi_chat_runner_unload      (BendiChatRunner     *self);

/* Remote mode: replies come from @model_id on @client's server (an
 * OpenAI-compatible endpoint), streamed, with the same states and "text"
 * and "done" signals as a local model. Unloads any local model and is
 * READY at once: whether the server answers, and has the model, shows with
 * the first reply (as a BENDI_REMOTE_ERROR in "done", said for people).
 * @model_path is what the conversation remembers, @display_name what
 * people see ("llama3 on Lab"), @n_ctx the server's context length (0:
 * unknown, and bendi_chat_runner_get_n_ctx () says 0). Stop closes the
 * stream and "done" keeps what came, as BENDI_STOP_REASON_CANCELLED. */
void     bendi_chat_runner_set_remote  (BendiChatRunner     *self,
                                        const char          *model_path,
                                        BendiRemoteClient   *client,
                                        const char          *model_id,
                                        const char          *display_name,
                                        gint64               n_ctx);
gboolean bendi_chat_runner_is_remote   (BendiChatRunner     *self);

/* The prompt tokens @messages (a list of {"role", "content"}) make with
 * the model's template, a generation prompt added; -1 with @error set. */
gint64   bendi_chat_runner_count_tokens (BendiChatRunner    *self,
                                         BendiTemplateValue *messages,
                                         GError            **error);

/* Starts the assistant's reply to @messages with @params' sampling and
 * limits (the prompt and stop strings are filled in here). The "text"
 * signal then brings the reply as it comes, split into reasoning and
 * content, and "done" ends it; both on the main context. Fails at once
 * when no model is ready or the prompt leaves no room in the context
 * (BENDI_CHAT_ERROR_CONTEXT_FULL). *@opens_reasoning says whether the
 * template opened a reasoning block (for the journal), *@n_prompt_tokens
 * the prompt's size. */
gboolean bendi_chat_runner_generate    (BendiChatRunner           *self,
                                        BendiTemplateValue        *messages,
                                        const BendiGenerateParams *params,
                                        gboolean                  *opens_reasoning,
                                        gint64                    *n_prompt_tokens,
                                        GError                   **error);
/* Stops the reply before its next token; "done" follows with
 * BENDI_STOP_REASON_CANCELLED. */
void     bendi_chat_runner_stop        (BendiChatRunner           *self);

G_END_DECLS
