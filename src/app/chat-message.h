/* SPDX-License-Identifier: MIT */
/* One message of a conversation: who said it, what, and for a reply how it ended and how fast it came. */
#pragma once

#include "app-types.h"
#include "session.h"

G_BEGIN_DECLS

typedef enum {
  BENDI_MESSAGE_DONE,       /* complete */
  BENDI_MESSAGE_STREAMING,  /* the model is still writing it */
  BENDI_MESSAGE_STOPPED,    /* stopped by the user */
  BENDI_MESSAGE_LENGTH,     /* cut at the token limit or a full context */
  BENDI_MESSAGE_ERROR,      /* generation failed; error-text says why */
} BendiMessageStatus;

/* "done", "streaming", "stopped", "length", "error" */
const char *bendi_message_status_to_string   (BendiMessageStatus  status);
gboolean    bendi_message_status_from_string (const char         *text,
                                              BendiMessageStatus *status);

#define BENDI_TYPE_CHAT_MESSAGE (bendi_chat_message_get_type ())
G_DECLARE_FINAL_TYPE (BendiChatMessage, bendi_chat_message, BENDI, CHAT_MESSAGE, GObject)

/* @role is "user" or "assistant". */
BendiChatMessage  *bendi_chat_message_new (guint       id,
                                           guint       parent_id,
                                           const char *role,
                                           const char *content) G_GNUC_WARN_UNUSED_RESULT;

/* Unique within its conversation, from 1; the parent's id is smaller (0:
 * a first message). */
guint              bendi_chat_message_get_id        (BendiChatMessage *self);
guint              bendi_chat_message_get_parent_id (BendiChatMessage *self);
const char        *bendi_chat_message_get_role      (BendiChatMessage *self);
gboolean           bendi_chat_message_is_user       (BendiChatMessage *self);
/* Seconds since 1970. */
gint64             bendi_chat_message_get_created   (BendiChatMessage *self);
void               bendi_chat_message_set_created   (BendiChatMessage *self,
                                                     gint64            created);

const char        *bendi_chat_message_get_content   (BendiChatMessage *self);
void               bendi_chat_message_set_content   (BendiChatMessage *self,
                                                     const char       *content);
/* The model's reasoning before its answer (<think>…</think>), or NULL. */
const char        *bendi_chat_message_get_reasoning (BendiChatMessage *self);
void               bendi_chat_message_set_reasoning (BendiChatMessage *self,
                                                     const char       *reasoning);

BendiMessageStatus bendi_chat_message_get_status    (BendiChatMessage *self);
void               bendi_chat_message_set_status    (BendiChatMessage *self,
                                                     BendiMessageStatus status);
const char        *bendi_chat_message_get_error     (BendiChatMessage *self);
void               bendi_chat_message_set_error     (BendiChatMessage *self,
                                                     const char       *error);

/* The model that wrote a reply (its file name), or NULL. */
const char        *bendi_chat_message_get_model     (BendiChatMessage *self);
void               bendi_chat_message_set_model     (BendiChatMessage *self,
                                                     const char       *model);

/* A reply's numbers: tokens generated, their speed, and the tokens in the
 * context once it was written (prompt and reply: the context meter). 0
 * when unknown. Notified together as "stats". */
gint64             bendi_chat_message_get_n_tokens          (BendiChatMessage *self);
double             bendi_chat_message_get_tokens_per_second (BendiChatMessage *self);
gint64             bendi_chat_message_get_n_context_tokens  (BendiChatMessage *self);
void               bendi_chat_message_set_stats             (BendiChatMessage *self,
                                                             gint64            n_tokens,
                                                             double            tokens_per_second,
                                                             gint64            n_context_tokens);

/* Ends a streamed reply as the runner's "done" said (its arguments):
 * the text, the numbers, and a status with the words that explain it;
 * @n_ctx is the context's size, 0 when unknown (a remote model). */
void               bendi_chat_message_end_reply     (BendiChatMessage *self,
                                                     BendiStopReason   reason,
                                                     const GError     *error,
                                                     const char       *reasoning,
                                                     const char       *content,
                                                     gint64            n_tokens,
                                                     double            tokens_per_second,
                                                     gint64            n_context_tokens,
                                                     gint64            n_ctx);

G_END_DECLS
