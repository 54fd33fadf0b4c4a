/* SPDX-License-Identifier: MIT */
/* Where conversations live: one JSON file each, replaced atomically, and a journal for the reply being written. */
#pragma once

#include <gio/gio.h>

#include "conversation.h"

G_BEGIN_DECLS

#define BENDI_TYPE_CONVERSATION_STORE (bendi_conversation_store_get_type ())
G_DECLARE_FINAL_TYPE (BendiConversationStore, bendi_conversation_store, BENDI, CONVERSATION_STORE, GObject)

/* @dir holds the files; NULL for $XDG_DATA_HOME/bendi/conversations. */
BendiConversationStore *bendi_conversation_store_new (const char *dir) G_GNUC_WARN_UNUSED_RESULT;

const char        *bendi_conversation_store_get_dir    (BendiConversationStore *self);
/* The conversations (BendiConversation), most recently updated first. */
GListModel        *bendi_conversation_store_get_model  (BendiConversationStore *self);
BendiConversation *bendi_conversation_store_lookup     (BendiConversationStore *self,
                                                        const char             *id);

/* Reads every saved conversation in a worker thread and fills the list.
 * A reply cut short by a crash is recovered from its journal, up to the
 * last piece written, and marked stopped. Files that cannot be read are
 * left untouched and counted. */
void     bendi_conversation_store_load_async  (BendiConversationStore *self,
                                               GCancellable           *cancellable,
                                               GAsyncReadyCallback     callback,
                                               gpointer                user_data);
gboolean bendi_conversation_store_load_finish (BendiConversationStore *self,
                                               GAsyncResult           *result,
                                               guint                  *n_unreadable,
                                               GError                **error);

/* Adds @conversation at the top and saves it. */
void     bendi_conversation_store_add         (BendiConversationStore *self,
                                               BendiConversation      *conversation);
/* Saves @conversation (written by a worker thread: write to a temporary
 * file, then rename over the old one) and moves it to the top when it was
 * updated since. */
void     bendi_conversation_store_save        (BendiConversationStore *self,
                                               BendiConversation      *conversation);
/* Removes @conversation from the list and its files from the disk. */
void     bendi_conversation_store_delete      (BendiConversationStore *self,
                                               BendiConversation      *conversation);

/* A streaming reply. begin_reply writes a journal: the conversation as it
 * is (with @message, the reply, empty) and then every piece of text
 * appended, each written as it arrives; a crash loses at most the piece
 * being written. end_reply saves the conversation and then drops the
 * journal. One reply at a time. */
gboolean bendi_conversation_store_begin_reply  (BendiConversationStore *self,
                                                BendiConversation      *conversation,
                                                BendiChatMessage       *message,
                                                gboolean                starts_in_reasoning,
                                                GError                **error);
void     bendi_conversation_store_append_reply (BendiConversationStore *self,
                                                const char             *text,
                                                gsize                   len);
void     bendi_conversation_store_end_reply    (BendiConversationStore *self,
                                                BendiConversation      *conversation);

/* Waits until every save and delete asked for is done. */
void     bendi_conversation_store_flush        (BendiConversationStore *self);

G_END_DECLS
