/* SPDX-License-Identifier: MIT */
/* BendiServer: the local OpenAI-compatible HTTP API, safe by default, serving one model from its own thread.
 *
 * The server owns a thread with its own main context, so it runs the same
 * inside bendi-cli and inside the app without touching the caller's main
 * loop. Requests queue for the model's slots (a session each); a bounded
 * queue answers 429 beyond it. It answers 503 until a model is set (or
 * while bendi_server_load_model () loads one).
 *
 * Safe defaults: it listens on 127.0.0.1; a non-loopback address needs an
 * API key or allow_public; Host headers other than the loopback names,
 * the address listened on and the configured hosts are refused (DNS
 * rebinding); a request with an Origin is refused unless it is the one CORS
 * origin configured, and no CORS header is ever sent otherwise; bodies
 * over the limit are refused from their headers; prompts are never logged.
 */
#pragma once

#include <glib-object.h>

#include "model/model.h"

G_BEGIN_DECLS

#define BENDI_SERVER_ERROR (bendi_server_error_quark ())

typedef enum {
  BENDI_SERVER_ERROR_INVALID_CONFIG,   /* the options make no sense or are unsafe */
  BENDI_SERVER_ERROR_LISTEN,           /* the address cannot be listened on */
  BENDI_SERVER_ERROR_STATE,            /* started twice, or not started */
} BendiServerError;

GQuark bendi_server_error_quark (void);

#define BENDI_SERVER_DEFAULT_PORT           8080
#define BENDI_SERVER_DEFAULT_MAX_BODY_BYTES ((gsize) 8 * 1024 * 1024)

typedef struct {
  const char        *host;          /* address to listen on; NULL: 127.0.0.1 */
  guint16            port;          /* 0: any free port (see bendi_server_get_port) */
  gint64             n_ctx;         /* context per slot; 0: the model's, at most 4096 */
  gint64             max_ctx;       /* the most a request may ask for ("n_ctx"); 0: the model's training length */
  guint              n_parallel;    /* slots generating at once; 0: 1 */
  guint              max_queue;     /* requests waiting beyond the slots; 0: 4 per slot */
  int                n_threads;     /* per slot; 0: the processors shared between the slots */
  const char        *api_key;       /* NULL: no key asked for */
  const char *const *allowed_hosts; /* more Host names to accept (a name the server is reached by) */
  const char        *cors_origin;   /* the one origin browsers may call from; NULL: none */
  gboolean           allow_public;  /* listen beyond loopback without an API key */
  gsize              max_body_bytes;/* 0: BENDI_SERVER_DEFAULT_MAX_BODY_BYTES */
  const char        *model_id;      /* the id in /v1/models; NULL: the file's base name */
  gboolean           verbose;       /* log each request's method, path, status and token counts (never content) */
} BendiServerOptions;

void bendi_server_options_init (BendiServerOptions *options);

typedef struct {
  guint64 n_requests;         /* HTTP requests answered */
  guint64 n_completions;      /* generations that ran to their end */
  guint64 n_cancelled;        /* generations cancelled, as their client left */
  guint64 n_rejected_busy;    /* 429s */
  guint   n_busy_slots;
  guint   n_queued;
  guint   n_slots;
} BendiServerStats;

#define BENDI_TYPE_SERVER (bendi_server_get_type ())
G_DECLARE_FINAL_TYPE (BendiServer, bendi_server, BENDI, SERVER, GObject)

/* Checks and copies @options. Errors (INVALID_CONFIG): a non-loopback host
 * without an API key or allow_public, "*" as the CORS origin, a zero
 * limit where one is needed. */
BendiServer *bendi_server_new (const BendiServerOptions *options,
                               GError                  **error) G_GNUC_WARN_UNUSED_RESULT;

/* Listens and starts answering, from the server's own thread. */
gboolean bendi_server_start (BendiServer  *self,
                             GError      **error);
/* Cancels every generation and model load, closes the connections and
 * joins the thread. Safe to call twice; dispose calls it. Never from the
 * server's thread (a load callback). */
void     bendi_server_stop  (BendiServer  *self);

/* The port listened on, once started. */
guint16  bendi_server_get_port (BendiServer *self);

/* Serves @model (thread-safe; any thread). The slots' sessions are made
 * on the server's thread as requests need them. */
void     bendi_server_set_model  (BendiServer *self,
                                  BendiModel  *model);
/* Loads @path in a worker thread and serves it when loaded; until then
 * /health answers 503. @callback, if not NULL, is called on the server's
 * thread when the load ends, with the error if it failed; when the server
 * stops first, the load gives up and @callback is called from
 * bendi_server_stop () with BENDI_ENGINE_ERROR_CANCELLED. The callback must
 * not drop the last reference to the server. */
typedef void (*BendiServerLoadedFunc) (BendiServer  *server,
                                       const GError *error,
                                       gpointer      user_data);
void     bendi_server_load_model (BendiServer          *self,
                                  const char           *path,
                                  BendiServerLoadedFunc callback,
                                  gpointer              user_data);

/* Thread-safe counters. */
void     bendi_server_get_stats  (BendiServer      *self,
                                  BendiServerStats *stats);

G_END_DECLS
