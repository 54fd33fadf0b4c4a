/* SPDX-License-Identifier: MIT */
/* Conversations on disk: <id>.json replaced atomically by a writer thread, and <id>.<message>.reply, the journal of a streaming reply.
 *
 * A journal's first line is {"starts_in_reasoning": …, "conversation":
 * {…}}: the conversation as it was when the reply began, the reply empty
 * and marked streaming. The reply's text follows, raw, appended piece by
 * piece from the main thread as the model writes it (a write(2) each, no
 * fsync: a killed process loses nothing the kernel has). On load, a
 * journal wins over <id>.json unless <id>.json already holds the reply
 * finished (the save at the end of a reply landed but the journal was not
 * yet deleted).
 */
#define G_LOG_DOMAIN "bendi-app"

#include "conversation-store.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "template/chat-template.h"

/* Larger files are not conversations Bendi wrote. */
#define MAX_FILE_BYTES ((gsize) 512 * 1024 * 1024)

struct _BendiConversationStore
{
  GObject parent_instance;

  char        *dir;
  GListStore  *conversations;

  /* Saves and deletes run in order on one thread. */
  GThreadPool *writer;
  GMutex       pending_lock;
  GCond        pending_cond;
  guint        n_pending;

  /* The reply being streamed. */
  int          journal_fd;
  char        *journal_path;
};

G_DEFINE_FINAL_TYPE (BendiConversationStore, bendi_conversation_store, G_TYPE_OBJECT)

typedef struct
{
  char   *path;       /* the file to write, or with data NULL, to delete */
  GBytes *data;
  char   *journal;    /* deleted once @path is written, or NULL */
} WriteJob;

static void
write_job_free (WriteJob *job)
{
  g_free (job->path);
  g_clear_pointer (&job->data, g_bytes_unref);
  g_free (job->journal);
  g_free (job);
}

static gboolean
write_all (int         fd,
           const char *data,
           gsize       len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}

/* g_file_set_contents_full () writes a temporary file and renames it over
 * @path, after an fsync when @path existed: the file is the old or the
 * new version, never a mix, even after a power cut. */
static gboolean
replace_file (const char *path,
              GBytes     *data,
              GError    **error)
{
  gsize len;
  const char *contents = g_bytes_get_data (data, &len);

  return g_file_set_contents_full (path, contents, (gssize) len, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

static void
writer_func (gpointer data,
             gpointer user_data)
{
  WriteJob *job = data;
  BendiConversationStore *self = user_data;
  g_autoptr (GError) error = NULL;

  if (job->data != NULL)
    {
      if (!replace_file (job->path, job->data, &error))
        g_message ("Could not save the conversation %s: %s", job->path, error->message);
      else if (job->journal != NULL)
        g_unlink (job->journal);
    }
  else
    g_unlink (job->path);
  write_job_free (job);

  g_mutex_lock (&self->pending_lock);
  self->n_pending--;
  g_cond_broadcast (&self->pending_cond);
  g_mutex_unlock (&self->pending_lock);
}

static void
queue_job (BendiConversationStore *self,
           char                   *path,
           GBytes                 *data,
           char                   *journal)
{
  WriteJob *job = g_new0 (WriteJob, 1);

  job->path = path;
  job->data = data;
  job->journal = journal;
  g_mutex_lock (&self->pending_lock);
  self->n_pending++;
  g_mutex_unlock (&self->pending_lock);
  g_thread_pool_push (self->writer, job, NULL);
}

static char *
conversation_path (const char *dir,
                   const char *id)
{
  g_autofree char *name = g_strconcat (id, ".json", NULL);

  return g_build_filename (dir, name, NULL);
}

static GBytes *
serialize (JsonNode *node)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  gsize len = 0;
  char *text;

  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, &len);
  return g_bytes_new_take (text, len);
}

static GBytes *
serialize_conversation (BendiConversation *conversation)
{
  g_autoptr (JsonNode) node = bendi_conversation_to_json (conversation);

  return serialize (node);
}

static int
compare_updated (gconstpointer a,
                 gconstpointer b,
                 gpointer      user_data G_GNUC_UNUSED)
{
  gint64 updated_a = bendi_conversation_get_updated ((BendiConversation *) a);
  gint64 updated_b = bendi_conversation_get_updated ((BendiConversation *) b);

  if (updated_a != updated_b)
    return updated_a > updated_b ? -1 : 1;
  return g_strcmp0 (bendi_conversation_get_id ((BendiConversation *) a),
                    bendi_conversation_get_id ((BendiConversation *) b));
}

/* For g_ptr_array_sort_with_data (), which passes pointers to the elements. */
static int
compare_updated_indirect (gconstpointer a,
                          gconstpointer b,
                          gpointer      user_data)
{
  return compare_updated (*(gconstpointer *) a, *(gconstpointer *) b, user_data);
}

/* ------------------------------------------------------------------------ */
/* Loading, in a worker thread. */

static BendiConversation *
read_conversation (const char *path,
                   GError    **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GMappedFile) file = g_mapped_file_new (path, FALSE, error);

  if (file == NULL)
    return NULL;
  if (g_mapped_file_get_length (file) > MAX_FILE_BYTES)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "too large");
      return NULL;
    }
  if (!json_parser_load_from_data (parser, g_mapped_file_get_contents (file),
                                   (gssize) g_mapped_file_get_length (file), error))
    return NULL;
  return bendi_conversation_new_from_json (json_parser_get_root (parser), error);
}

/* "<id>.<message>.reply" → id and message id. */
static gboolean
parse_journal_name (const char  *name,
                    char       **id,
                    guint       *message_id)
{
  g_autofree char *stem = NULL;
  const char *dot;
  guint64 number;

  if (!g_str_has_suffix (name, ".reply"))
    return FALSE;
  stem = g_strndup (name, strlen (name) - strlen (".reply"));
  dot = strrchr (stem, '.');
  if (dot == NULL || dot == stem ||
      !g_ascii_string_to_unsigned (dot + 1, 10, 1, G_MAXUINT, &number, NULL))
    return FALSE;
  *id = g_strndup (stem, (gsize) (dot - stem));
  *message_id = (guint) number;
  return TRUE;
}

/* The conversation in journal @path with the reply's text put back, or
 * NULL when the journal is damaged or has nothing newer than @saved. */
static BendiConversation *
recover_journal (const char        *path,
                 const char        *id,
                 guint              message_id,
                 BendiConversation *saved)
{
  g_autofree char *contents = NULL;
  g_autofree char *reasoning = NULL;
  g_autofree char *content = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (BendiConversation) conversation = NULL;
  BendiChatMessage *saved_reply, *reply;
  JsonObject *header;
  JsonNode *node;
  gsize len = 0;
  const char *newline, *text, *valid_end;
  gboolean starts_in_reasoning = FALSE;

  saved_reply = saved != NULL ? bendi_conversation_lookup (saved, message_id) : NULL;
  if (saved_reply != NULL && bendi_chat_message_get_status (saved_reply) != BENDI_MESSAGE_STREAMING)
    return NULL;

  if (!g_file_get_contents (path, &contents, &len, NULL) || len > MAX_FILE_BYTES)
    return NULL;
  newline = memchr (contents, '\n', len);
  if (newline == NULL ||
      !json_parser_load_from_data (parser, contents, newline - contents, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  header = json_node_get_object (json_parser_get_root (parser));
  node = json_object_get_member (header, "starts_in_reasoning");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    starts_in_reasoning = json_node_get_boolean (node);
  node = json_object_get_member (header, "conversation");
  if (node == NULL)
    return NULL;
  conversation = bendi_conversation_new_from_json (node, NULL);
  if (conversation == NULL || g_strcmp0 (bendi_conversation_get_id (conversation), id) != 0)
    return NULL;
  reply = bendi_conversation_lookup (conversation, message_id);
  if (reply == NULL || bendi_chat_message_is_user (reply))
    return NULL;

  /* A piece cut in the middle of a character ends the text before it. */
  text = newline + 1;
  g_utf8_validate (text, contents + len - text, &valid_end);
  {
    g_autofree char *raw = g_strndup (text, (gsize) (valid_end - text));

    bendi_chat_split_reasoning (raw, starts_in_reasoning, &reasoning, &content);
  }
  bendi_chat_message_set_content (reply, content);
  bendi_chat_message_set_reasoning (reply, reasoning);
  bendi_chat_message_set_status (reply, BENDI_MESSAGE_STOPPED);
  bendi_chat_message_set_error (reply, _("Bendi was closed before this reply was finished."));
  return g_steal_pointer (&conversation);
}

/* Replies marked streaming with no journal to finish them: say so. */
static gboolean
close_interrupted_replies (BendiConversation *conversation)
{
  gboolean changed = FALSE;

  for (guint id = 1; id <= bendi_conversation_get_n_messages (conversation); id++)
    {
      BendiChatMessage *message = bendi_conversation_lookup (conversation, id);

      if (bendi_chat_message_get_status (message) == BENDI_MESSAGE_STREAMING)
        {
          bendi_chat_message_set_status (message, BENDI_MESSAGE_STOPPED);
          bendi_chat_message_set_error (message, _("Bendi was closed before this reply was finished."));
          changed = TRUE;
        }
    }
  return changed;
}

typedef struct
{
  GPtrArray *conversations;
  guint      n_unreadable;
} LoadResult;

static void
load_result_free (LoadResult *result)
{
  g_ptr_array_unref (result->conversations);
  g_free (result);
}

static void
load_thread (GTask        *task,
             gpointer      source_object G_GNUC_UNUSED,
             gpointer      task_data,
             GCancellable *cancellable)
{
  const char *dir_path = task_data;
  g_autoptr (GHashTable) by_id = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  g_autoptr (GPtrArray) journals = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GError) error = NULL;
  LoadResult *result = g_new0 (LoadResult, 1);
  GHashTableIter iter;
  gpointer value;
  const char *name;

  result->conversations = g_ptr_array_new_with_free_func (g_object_unref);
  dir = g_dir_open (dir_path, 0, &error);
  if (dir == NULL)
    {
      /* No folder yet: no conversations yet. */
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          load_result_free (result);
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      g_task_return_pointer (task, result, (GDestroyNotify) load_result_free);
      return;
    }

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir_path, name, NULL);
      g_autoptr (GError) read_error = NULL;
      BendiConversation *conversation;

      if (g_cancellable_is_cancelled (cancellable))
        break;
      if (g_str_has_suffix (name, ".reply"))
        {
          g_ptr_array_add (journals, g_steal_pointer (&path));
          continue;
        }
      if (!g_str_has_suffix (name, ".json"))
        continue;
      conversation = read_conversation (path, &read_error);
      if (conversation == NULL)
        {
          g_message ("Could not read the conversation %s: %s", path, read_error->message);
          result->n_unreadable++;
          continue;
        }
      g_hash_table_replace (by_id, g_strdup (bendi_conversation_get_id (conversation)), conversation);
    }

  for (guint i = 0; i < journals->len; i++)
    {
      const char *path = g_ptr_array_index (journals, i);
      g_autofree char *basename = g_path_get_basename (path);
      g_autofree char *id = NULL;
      guint message_id = 0;
      BendiConversation *recovered;

      if (!parse_journal_name (basename, &id, &message_id))
        continue;
      recovered = recover_journal (path, id, message_id, g_hash_table_lookup (by_id, id));
      if (recovered != NULL)
        {
          g_autofree char *json_path = conversation_path (dir_path, id);
          g_autoptr (GBytes) data = serialize_conversation (recovered);

          g_hash_table_replace (by_id, g_strdup (id), recovered);
          if (!replace_file (json_path, data, NULL))
            continue;
        }
      g_unlink (path);
    }

  g_hash_table_iter_init (&iter, by_id);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      BendiConversation *conversation = value;

      if (close_interrupted_replies (conversation))
        {
          g_autofree char *json_path = conversation_path (dir_path, bendi_conversation_get_id (conversation));
          g_autoptr (GBytes) data = serialize_conversation (conversation);

          replace_file (json_path, data, NULL);
        }
      g_ptr_array_add (result->conversations, g_object_ref (conversation));
    }
  g_ptr_array_sort_with_data (result->conversations, compare_updated_indirect, NULL);
  g_task_return_pointer (task, result, (GDestroyNotify) load_result_free);
}

/* ------------------------------------------------------------------------ */

static void
close_journal (BendiConversationStore *self)
{
  if (self->journal_fd >= 0)
    close (self->journal_fd);
  self->journal_fd = -1;
  g_clear_pointer (&self->journal_path, g_free);
}

static void
bendi_conversation_store_finalize (GObject *object)
{
  BendiConversationStore *self = BENDI_CONVERSATION_STORE (object);

  /* Waits for the queued writes: nothing asked for is lost. */
  g_thread_pool_free (self->writer, FALSE, TRUE);
  close_journal (self);
  g_mutex_clear (&self->pending_lock);
  g_cond_clear (&self->pending_cond);
  g_clear_object (&self->conversations);
  g_free (self->dir);

  G_OBJECT_CLASS (bendi_conversation_store_parent_class)->finalize (object);
}

static void
bendi_conversation_store_class_init (BendiConversationStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = bendi_conversation_store_finalize;
}

static void
bendi_conversation_store_init (BendiConversationStore *self)
{
  self->conversations = g_list_store_new (BENDI_TYPE_CONVERSATION);
  self->journal_fd = -1;
  g_mutex_init (&self->pending_lock);
  g_cond_init (&self->pending_cond);
  self->writer = g_thread_pool_new (writer_func, self, 1, FALSE, NULL);
}

BendiConversationStore *
bendi_conversation_store_new (const char *dir)
{
  BendiConversationStore *self = g_object_new (BENDI_TYPE_CONVERSATION_STORE, NULL);

  if (dir != NULL)
    self->dir = g_strdup (dir);
  else
    self->dir = g_build_filename (g_get_user_data_dir (), "bendi", "conversations", NULL);
  return self;
}

const char *
bendi_conversation_store_get_dir (BendiConversationStore *self)
{
  g_return_val_if_fail (BENDI_IS_CONVERSATION_STORE (self), NULL);
  return self->dir;
}

GListModel *
bendi_conversation_store_get_model (BendiConversationStore *self)
{
  g_return_val_if_fail (BENDI_IS_CONVERSATION_STORE (self), NULL);
  return G_LIST_MODEL (self->conversations);
}

static gboolean
find_conversation (BendiConversationStore *self,
                   BendiConversation      *conversation,
                   guint                  *position)
{
  return g_list_store_find (self->conversations, conversation, position);
}

BendiConversation *
bendi_conversation_store_lookup (BendiConversationStore *self,
                                 const char             *id)
{
  g_return_val_if_fail (BENDI_IS_CONVERSATION_STORE (self), NULL);

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->conversations)); i++)
    {
      g_autoptr (BendiConversation) conversation = g_list_model_get_item (G_LIST_MODEL (self->conversations), i);

      if (g_strcmp0 (bendi_conversation_get_id (conversation), id) == 0)
        return conversation;
    }
  return NULL;
}

void
bendi_conversation_store_load_async (BendiConversationStore *self,
                                     GCancellable           *cancellable,
                                     GAsyncReadyCallback     callback,
                                     gpointer                user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (BENDI_IS_CONVERSATION_STORE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, bendi_conversation_store_load_async);
  g_task_set_task_data (task, g_strdup (self->dir), g_free);
  g_task_run_in_thread (task, load_thread);
}

gboolean
bendi_conversation_store_load_finish (BendiConversationStore *self,
                                      GAsyncResult           *result,
                                      guint                  *n_unreadable,
                                      GError                **error)
{
  LoadResult *loaded;

  g_return_val_if_fail (BENDI_IS_CONVERSATION_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  loaded = g_task_propagate_pointer (G_TASK (result), error);
  if (loaded == NULL)
    return FALSE;
  /* Conversations started while loading stay. */
  for (guint i = 0; i < loaded->conversations->len; i++)
    {
      BendiConversation *conversation = g_ptr_array_index (loaded->conversations, i);

      if (bendi_conversation_store_lookup (self, bendi_conversation_get_id (conversation)) == NULL)
        g_list_store_append (self->conversations, conversation);
    }
  g_list_store_sort (self->conversations, compare_updated, NULL);
  if (n_unreadable != NULL)
    *n_unreadable = loaded->n_unreadable;
  load_result_free (loaded);
  return TRUE;
}

static void
ensure_dir (BendiConversationStore *self)
{
  if (g_mkdir_with_parents (self->dir, 0700) != 0)
    g_message ("Could not create %s: %s", self->dir, g_strerror (errno));
}

void
bendi_conversation_store_add (BendiConversationStore *self,
                              BendiConversation      *conversation)
{
  g_return_if_fail (BENDI_IS_CONVERSATION_STORE (self));
  g_return_if_fail (BENDI_IS_CONVERSATION (conversation));

  if (!find_conversation (self, conversation, NULL))
    g_list_store_insert (self->conversations, 0, conversation);
  bendi_conversation_store_save (self, conversation);
}

/* Moves @conversation to its place by date, if it is not there. */
static void
resort (BendiConversationStore *self,
        BendiConversation      *conversation)
{
  GListModel *model = G_LIST_MODEL (self->conversations);
  g_autoptr (BendiConversation) before = NULL;
  g_autoptr (BendiConversation) after = NULL;
  guint position;

  if (!find_conversation (self, conversation, &position))
    return;
  if (position > 0)
    before = g_list_model_get_item (model, position - 1);
  after = g_list_model_get_item (model, position + 1);
  if ((before == NULL || compare_updated (before, conversation, NULL) <= 0) &&
      (after == NULL || compare_updated (conversation, after, NULL) <= 0))
    return;
  g_object_ref (conversation);
  g_list_store_remove (self->conversations, position);
  g_list_store_insert_sorted (self->conversations, conversation, compare_updated, NULL);
  g_object_unref (conversation);
}

void
bendi_conversation_store_save (BendiConversationStore *self,
                               BendiConversation      *conversation)
{
  g_return_if_fail (BENDI_IS_CONVERSATION_STORE (self));
  g_return_if_fail (BENDI_IS_CONVERSATION (conversation));

  ensure_dir (self);
  queue_job (self, conversation_path (self->dir, bendi_conversation_get_id (conversation)),
             serialize_conversation (conversation), NULL);
  resort (self, conversation);
}

void
bendi_conversation_store_delete (BendiConversationStore *self,
                                 BendiConversation      *conversation)
{
  guint position;
  const char *id;

  g_return_if_fail (BENDI_IS_CONVERSATION_STORE (self));
  g_return_if_fail (BENDI_IS_CONVERSATION (conversation));

  id = bendi_conversation_get_id (conversation);
  for (guint message_id = 1; message_id <= bendi_conversation_get_n_messages (conversation); message_id++)
    {
      g_autofree char *name = g_strdup_printf ("%s.%u.reply", id, message_id);

      queue_job (self, g_build_filename (self->dir, name, NULL), NULL, NULL);
    }
  queue_job (self, conversation_path (self->dir, id), NULL, NULL);
  if (find_conversation (self, conversation, &position))
    g_list_store_remove (self->conversations, position);
}

gboolean
bendi_conversation_store_begin_reply (BendiConversationStore *self,
                                      BendiConversation      *conversation,
                                      BendiChatMessage       *message,
                                      gboolean                starts_in_reasoning,
                                      GError                **error)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) header = NULL;
  g_autoptr (GBytes) data = NULL;
  g_autofree char *name = NULL;
  gsize len;
  const char *bytes;
  int saved_errno;

  g_return_val_if_fail (BENDI_IS_CONVERSATION_STORE (self), FALSE);
  g_return_val_if_fail (BENDI_IS_CONVERSATION (conversation), FALSE);
  g_return_val_if_fail (BENDI_IS_CHAT_MESSAGE (message), FALSE);

  close_journal (self);
  ensure_dir (self);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "starts_in_reasoning");
  json_builder_add_boolean_value (builder, starts_in_reasoning);
  json_builder_set_member_name (builder, "conversation");
  json_builder_add_value (builder, bendi_conversation_to_json (conversation));
  json_builder_end_object (builder);
  header = json_builder_get_root (builder);
  data = serialize (header);
  bytes = g_bytes_get_data (data, &len);

  name = g_strdup_printf ("%s.%u.reply", bendi_conversation_get_id (conversation), bendi_chat_message_get_id (message));
  self->journal_path = g_build_filename (self->dir, name, NULL);
  self->journal_fd = g_open (self->journal_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (self->journal_fd < 0 || !write_all (self->journal_fd, bytes, len) || !write_all (self->journal_fd, "\n", 1))
    {
      saved_errno = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not save the reply in %s: %s"), self->dir, g_strerror (saved_errno));
      g_unlink (self->journal_path);
      close_journal (self);
      return FALSE;
    }
  return TRUE;
}

void
bendi_conversation_store_append_reply (BendiConversationStore *self,
                                       const char             *text,
                                       gsize                   len)
{
  g_return_if_fail (BENDI_IS_CONVERSATION_STORE (self));

  if (self->journal_fd < 0 || len == 0)
    return;
  if (!write_all (self->journal_fd, text, len))
    {
      /* A full disk: the reply is still saved whole at its end. */
      g_message ("Could not write to %s: %s", self->journal_path, g_strerror (errno));
      close (self->journal_fd);
      self->journal_fd = -1;
    }
}

void
bendi_conversation_store_end_reply (BendiConversationStore *self,
                                    BendiConversation      *conversation)
{
  g_return_if_fail (BENDI_IS_CONVERSATION_STORE (self));
  g_return_if_fail (BENDI_IS_CONVERSATION (conversation));

  if (self->journal_fd >= 0)
    close (self->journal_fd);
  self->journal_fd = -1;
  ensure_dir (self);
  /* The journal goes only once the finished conversation is on disk. */
  queue_job (self, conversation_path (self->dir, bendi_conversation_get_id (conversation)),
             serialize_conversation (conversation), g_steal_pointer (&self->journal_path));
  resort (self, conversation);
}

void
bendi_conversation_store_flush (BendiConversationStore *self)
{
  g_return_if_fail (BENDI_IS_CONVERSATION_STORE (self));

  g_mutex_lock (&self->pending_lock);
  while (self->n_pending > 0)
    g_cond_wait (&self->pending_cond, &self->pending_lock);
  g_mutex_unlock (&self->pending_lock);
}
