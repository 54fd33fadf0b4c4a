/* SPDX-License-Identifier: MIT */
/* BendiServer's insides, shared by its files: the object, the slots and queue, the jobs, reply helpers. */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "bendi-server.h"
#include "json-grammar.h"
#include "session.h"
#include "template/chat-template.h"

G_BEGIN_DECLS

/* JSON request bodies nested deeper than this are refused before parsing. */
#define SERVER_MAX_JSON_DEPTH 64

/* libsoup 3.2 names no 429. */
#define SERVER_STATUS_TOO_MANY_REQUESTS 429

typedef struct _Job Job;

/* One generation at a time: a session, made when first needed and made
 * again when a request asks for another context size. */
typedef struct {
  guint         index;
  BendiSession *session;
  gint64        n_ctx;
  Job          *job;           /* the running one, or NULL */
} Slot;

/* What a served model brings, read once when it is set. */
typedef struct {
  BendiModel     *model;
  char           *id;
  gint64          created;
  BendiTemplate  *chat_template;
  char          **template_stop;   /* the template's turn terminators */
  char           *bos_text;        /* NULL when none */
  char           *eos_text;
  BendiJsonVocab *json_vocab;      /* made on first use */
} ServedModel;

struct _BendiServer {
  GObject parent_instance;

  /* Options, copied */
  char          *host;
  guint16        port;
  gint64         n_ctx;
  gint64         max_ctx;
  guint          n_parallel;
  guint          max_queue;
  int            n_threads;
  char          *api_key;
  char         **allowed_hosts;
  char          *cors_origin;
  gboolean       allow_public;
  gsize          max_body_bytes;
  char          *model_id;
  gboolean       verbose;

  /* The thread and its loop */
  GMutex         lock;            /* guards stats, the start handshake, bound_port */
  GCond          cond;
  GThread       *thread;
  GMainContext  *context;
  GMainLoop     *loop;
  GError        *start_error;
  gboolean       start_done;
  guint16        bound_port;
  BendiServerStats stats;
  guint          n_loaders;       /* model loads in flight; stop waits for them */
  gint           cancel_loads;    /* atomic */

  /* Only touched on the server thread */
  SoupServer    *soup;
  ServedModel   *served;          /* NULL while there is no model */
  gboolean       loading;
  Slot          *slots;           /* (n_parallel) */
  GQueue         queue;           /* Job *, waiting for a slot */
  gboolean       stopping;
};

/* ------------------------------------------------------------------------ */
/* Replies (server-reply.c) */

/* {"error": {"message", "type", "param", "code"}} with @status. @param and
 * @code may be NULL. */
void server_reply_error (SoupServerMessage *msg,
                         guint              status,
                         const char        *type,
                         const char        *code,
                         const char        *param,
                         const char        *format,
                         ...) G_GNUC_PRINTF (6, 7);
/* Replies @status with @builder's root as the body. */
void server_reply_json  (SoupServerMessage *msg,
                         guint              status,
                         JsonBuilder       *builder);
/* The JSON text of @builder's root. */
char *server_builder_to_string (JsonBuilder *builder) G_GNUC_WARN_UNUSED_RESULT;

/* Whether @text, as JSON, nests arrays and objects deeper than @max_depth:
 * checked before parsing, since the parser recurses once per level. */
gboolean server_json_too_deep (const char *text,
                               gsize       len,
                               guint       max_depth);

/* A JSON value as a chat template value; NULL when nested too deep. */
BendiTemplateValue *server_template_value_from_json (JsonNode *node,
                                                     guint     depth) G_GNUC_WARN_UNUSED_RESULT;

/* "chatcmpl-…", "call_…": @prefix and random letters and digits. */
char *server_random_id (const char *prefix) G_GNUC_WARN_UNUSED_RESULT;

/* ------------------------------------------------------------------------ */
/* Completions (server-completion.c) */

/* POST /v1/chat/completions (@chat) or /v1/completions. */
void server_handle_completion (BendiServer       *self,
                               SoupServerMessage *msg,
                               JsonNode          *body,
                               gboolean           chat);

/* Starts @job on @slot. FALSE when the job was answered (an error) and
 * freed instead. */
gboolean server_job_start  (Job  *job,
                            Slot *slot);
/* Frees a job that never started, answering 503 when its client is still
 * there (the server stops). */
void     server_job_abandon (Job *job);
/* The context size a job wants. */
gint64   server_job_get_n_ctx (Job *job);

/* ------------------------------------------------------------------------ */
/* Scheduling (bendi-server.c) */

/* Gives @job a free slot, or queues it; FALSE (and the caller answers 429)
 * when the queue is full. */
gboolean server_schedule   (BendiServer *self,
                            Job         *job);
/* @slot's job has ended: the next queued job starts. */
void     server_slot_done  (BendiServer *self,
                            Slot        *slot);
/* Forgets a queued job (its client left). */
void     server_unqueue    (BendiServer *self,
                            Job         *job);
void     server_count      (BendiServer *self,
                            guint64     *counter);
/* The served model's JSON vocabulary, made on first use. */
BendiJsonVocab *server_get_json_vocab (BendiServer *self);
/* The context a request gets when it asks for none. */
gint64   server_default_n_ctx (BendiServer *self);

G_END_DECLS
