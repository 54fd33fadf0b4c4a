/* SPDX-License-Identifier: MIT */
/* A conversation as a tree of messages, its saved JSON form and its exports.
 *
 * The saved form:
 *   {
 *     "format": "bendi-conversation", "version": 1,
 *     "id": "6f0c…", "title": "", "created": 1764000000, "updated": 1764000100,
 *     "model": "/path/model.gguf", "system_prompt": "…",
 *     "selected": 1,                      (the first message shown; 0: none)
 *     "messages": [                       (message N at index N - 1)
 *       { "id": 1, "parent": 0, "role": "user", "content": "…", "created": …,
 *         "selected": 2 },                (the reply shown below it; 0: none)
 *       { "id": 2, "parent": 1, "role": "assistant", "content": "…",
 *         "reasoning": "…", "status": "done", "model": "…", "tokens": 42,
 *         "tokens_per_second": 31.5, "context_tokens": 120, "error": "…",
 *         "created": …, "selected": 0 }
 *     ]
 *   }
 * A parent always comes before its children, so the ids alone rule out
 * cycles.
 */
#define G_LOG_DOMAIN "bendi-app"

#include "conversation.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <string.h>

#define FORMAT_NAME "bendi-conversation"
#define FORMAT_VERSION 1
/* Titles made from the first message are cut here (characters). */
#define AUTO_TITLE_LENGTH 60

struct _BendiConversation
{
  GObject parent_instance;

  char      *id;
  char      *title;
  char      *system_prompt;
  char      *model;
  gint64     created;
  gint64     updated;
  GPtrArray *messages;   /* of BendiChatMessage, message N at N - 1 */
  GPtrArray *children;   /* of GPtrArray of BendiChatMessage (unowned), by parent id; [0]: first messages */
  GArray    *selected;   /* of guint, by parent id: the child shown, 0 for none */
};

enum {
  PROP_0,
  PROP_TITLE,
  PROP_UPDATED,
  N_PROPS
};

enum {
  THREAD_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (BendiConversation, bendi_conversation, G_TYPE_OBJECT)

static gint64
now_unix (void)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();

  return g_date_time_to_unix (now);
}

/* Ids name files, so only letters, digits and dashes. */
static gboolean
id_is_valid (const char *id)
{
  if (id == NULL || *id == '\0' || strlen (id) > 64)
    return FALSE;
  for (const char *p = id; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-')
      return FALSE;
  return TRUE;
}

/* Adds @message (its id the next one) to the tree without selecting it. */
static void
insert_message (BendiConversation *self,
                BendiChatMessage  *message)
{
  guint parent_id = bendi_chat_message_get_parent_id (message);
  guint zero = 0;

  g_ptr_array_add (self->messages, message);
  g_ptr_array_add (self->children, g_ptr_array_new ());
  g_array_append_val (self->selected, zero);
  g_ptr_array_add (g_ptr_array_index (self->children, parent_id), message);
}

static void
bendi_conversation_finalize (GObject *object)
{
  BendiConversation *self = BENDI_CONVERSATION (object);

  g_free (self->id);
  g_free (self->title);
  g_free (self->system_prompt);
  g_free (self->model);
  g_ptr_array_unref (self->children);
  g_ptr_array_unref (self->messages);
  g_array_unref (self->selected);

  G_OBJECT_CLASS (bendi_conversation_parent_class)->finalize (object);
}

static void
bendi_conversation_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  BendiConversation *self = BENDI_CONVERSATION (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_UPDATED:
      g_value_set_int64 (value, self->updated);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bendi_conversation_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  BendiConversation *self = BENDI_CONVERSATION (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      bendi_conversation_set_title (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bendi_conversation_class_init (BendiConversationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = bendi_conversation_finalize;
  object_class->get_property = bendi_conversation_get_property;
  object_class->set_property = bendi_conversation_set_property;

  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL,
                         "",
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_UPDATED] =
    g_param_spec_int64 ("updated", NULL, NULL,
                        G_MININT64, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* The thread shown changed: a message added, another alternative chosen. */
  signals[THREAD_CHANGED] =
    g_signal_new ("thread-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
bendi_conversation_init (BendiConversation *self)
{
  guint zero = 0;

  self->title = g_strdup ("");
  self->messages = g_ptr_array_new_with_free_func (g_object_unref);
  self->children = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  self->selected = g_array_new (FALSE, TRUE, sizeof (guint));
  /* The root: the parent of first messages. */
  g_ptr_array_add (self->children, g_ptr_array_new ());
  g_array_append_val (self->selected, zero);
}

BendiConversation *
bendi_conversation_new (void)
{
  BendiConversation *self = g_object_new (BENDI_TYPE_CONVERSATION, NULL);

  self->id = g_uuid_string_random ();
  self->created = self->updated = now_unix ();
  return self;
}

const char *
bendi_conversation_get_id (BendiConversation *self)
{
  g_return_val_if_fail (BENDI_IS_CONVERSATION (self), NULL);
  return self->id;
}

const char *
bendi_conversation_get_title (BendiConversation *self)
{
  g_return_val_if_fail (BENDI_IS_CONVERSATION (self), NULL);
  return self->title;
}

void
bendi_conversation_set_title (BendiConversation *self,
                              const char        *title)
{
  g_autofree char *stripped = NULL;

  g_return_if_fail (BENDI_IS_CONVERSATION (self));

  stripped = g_strstrip (g_strdup (title != NULL ? title : ""));
  if (g_str_equal (stripped, self->title))
    return;
  g_free (self->title);
  self->title = g_steal_pointer (&stripped);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
  bendi_conversation_touch (self);
}

char *
bendi_conversation_dup_display_title (BendiConversation *self)
{
  g_return_val_if_fail (BENDI_IS_CONVERSATION (self), NULL);

  if (*self->title != '\0')
    return g_strdup (self->title);
  for (guint i = 0; i < self->messages->len; i++)
    {
      BendiChatMessage *message = g_ptr_array_index (self->messages, i);
      g_autofree char *line = NULL;
      const char *end;

      if (!bendi_chat_message_is_user (message))
        continue;
      line = g_strstrip (g_strdup (bendi_chat_message_get_content (message)));
      end = strchr (line, '\n');
      if (end != NULL)
        line[end - line] = '\0';
      g_strstrip (line);
      if (*line == '\0')
        continue;
      if (g_utf8_strlen (line, -1) > AUTO_TITLE_LENGTH)
        {
          g_autofree char *start = g_utf8_substring (line, 0, AUTO_TITLE_LENGTH);

          return g_strconcat (g_strchomp (start), "…", NULL);
        }
      return g_steal_pointer (&line);
    }
  return g_strdup (_("New Chat"));
}

const char *
bendi_conversation_get_system_prompt (BendiConversation *self)
{
  g_return_val_if_fail (BENDI_IS_CONVERSATION (self), NULL);
  return self->system_prompt;
}

void
bendi_conversation_set_system_prompt (BendiConversation *self,
                                      const char        *system_prompt)
{
  g_return_if_fail (BENDI_IS_CONVERSATION (self));

  if (system_prompt != NULL && *system_prompt == '\0')
    system_prompt = NULL;
  if (g_strcmp0 (self->system_prompt, system_prompt) == 0)
    return;
  g_free (self->system_prompt);
  self->system_prompt = g_strdup (system_prompt);
  bendi_conversation_touch (self);
}

const char *
bendi_conversation_get_model (BendiConversation *self)
{
  g_return_val_if_fail (BENDI_IS_CONVERSATION (self), NULL);
  return self->model;
}

void
bendi_conversation_set_model (BendiConversation *self,
                              const char        *model)
{
  g_return_if_fail (BENDI_IS_CONVERSATION (self));

  if (g_strcmp0 (self->model, model) == 0)
    return;
  g_free (self->model);
  self->model = g_strdup (model);
  bendi_conversation_touch (self);
}

gint64
bendi_conversation_get_created (BendiConversation *self)
{
  g_return_val_if_fail (BENDI_IS_CONVERSATION (self), 0);
  return self->created;
}

gint64
bendi_conversation_get_updated (BendiConversation *self)
{
  g_return_val_if_fail (BENDI_IS_CONVERSATION (self), 0);
  return self->updated;
}

void
bendi_conversation_touch (BendiConversation *self)
{
  gint64 now;

  g_return_if_fail (BENDI_IS_CONVERSATION (self));

  /* Never backwards, so the order of the list holds even if the clock
   * is set back. */
  now = MAX (now_unix (), self->updated);
  if (now == self->updated)
    return;
  self->updated = now;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UPDATED]);
}

guint
bendi_conversation_get_n_messages (BendiConversation *self)
{
  g_return_val_if_fail (BENDI_IS_CONVERSATION (self), 0);
  return self->messages->len;
}

BendiChatMessage *
bendi_conversation_lookup (BendiConversation *self,
                           guint              id)
{
  g_return_val_if_fail (BENDI_IS_CONVERSATION (self), NULL);

  if (id == 0 || id > self->messages->len)
    return NULL;
  return g_ptr_array_index (self->messages, id - 1);
}

GPtrArray *
bendi_conversation_get_thread (BendiConversation *self)
{
  GPtrArray *thread;
  guint id;

  g_return_val_if_fail (BENDI_IS_CONVERSATION (self), NULL);

  thread = g_ptr_array_new_with_free_func (g_object_unref);
  for (id = g_array_index (self->selected, guint, 0); id != 0; id = g_array_index (self->selected, guint, id))
    g_ptr_array_add (thread, g_object_ref (g_ptr_array_index (self->messages, id - 1)));
  return thread;
}

BendiChatMessage *
bendi_conversation_get_last (BendiConversation *self)
{
  guint id, last = 0;

  g_return_val_if_fail (BENDI_IS_CONVERSATION (self), NULL);

  for (id = g_array_index (self->selected, guint, 0); id != 0; id = g_array_index (self->selected, guint, id))
    last = id;
  return bendi_conversation_lookup (self, last);
}

BendiChatMessage *
bendi_conversation_add_message (BendiConversation *self,
                                BendiChatMessage  *parent,
                                const char        *role,
                                const char        *content)
{
  guint parent_id = 0;
  BendiChatMessage *message;

  g_return_val_if_fail (BENDI_IS_CONVERSATION (self), NULL);
  g_return_val_if_fail (parent == NULL || bendi_conversation_lookup (self, bendi_chat_message_get_id (parent)) == parent,
                        NULL);

  if (parent != NULL)
    parent_id = bendi_chat_message_get_id (parent);
  message = bendi_chat_message_new (self->messages->len + 1, parent_id, role, content);
  insert_message (self, message);
  g_array_index (self->selected, guint, parent_id) = bendi_chat_message_get_id (message);
  bendi_conversation_touch (self);
  g_signal_emit (self, signals[THREAD_CHANGED], 0);
  return message;
}

guint
bendi_conversation_get_n_alternatives (BendiConversation *self,
                                       BendiChatMessage  *message)
{
  GPtrArray *siblings;

  g_return_val_if_fail (BENDI_IS_CONVERSATION (self), 0);
  g_return_val_if_fail (BENDI_IS_CHAT_MESSAGE (message), 0);

  siblings = g_ptr_array_index (self->children, bendi_chat_message_get_parent_id (message));
  return siblings->len;
}

guint
bendi_conversation_get_alternative_index (BendiConversation *self,
                                          BendiChatMessage  *message)
{
  GPtrArray *siblings;
  guint index = 0;

  g_return_val_if_fail (BENDI_IS_CONVERSATION (self), 0);
  g_return_val_if_fail (BENDI_IS_CHAT_MESSAGE (message), 0);

  siblings = g_ptr_array_index (self->children, bendi_chat_message_get_parent_id (message));
  g_ptr_array_find (siblings, message, &index);
  return index;
}

void
bendi_conversation_select_alternative (BendiConversation *self,
                                       BendiChatMessage  *message,
                                       guint              index)
{
  guint parent_id;
  GPtrArray *siblings;
  BendiChatMessage *chosen;

  g_return_if_fail (BENDI_IS_CONVERSATION (self));
  g_return_if_fail (BENDI_IS_CHAT_MESSAGE (message));

  parent_id = bendi_chat_message_get_parent_id (message);
  siblings = g_ptr_array_index (self->children, parent_id);
  if (index >= siblings->len)
    return;
  chosen = g_ptr_array_index (siblings, index);
  if (g_array_index (self->selected, guint, parent_id) == bendi_chat_message_get_id (chosen))
    return;
  g_array_index (self->selected, guint, parent_id) = bendi_chat_message_get_id (chosen);
  bendi_conversation_touch (self);
  g_signal_emit (self, signals[THREAD_CHANGED], 0);
}

/* ------------------------------------------------------------------------ */
/* The saved form. */

JsonNode *
bendi_conversation_to_json (BendiConversation *self)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (BENDI_IS_CONVERSATION (self), NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "format");
  json_builder_add_string_value (builder, FORMAT_NAME);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, FORMAT_VERSION);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, self->id);
  json_builder_set_member_name (builder, "title");
  json_builder_add_string_value (builder, self->title);
  json_builder_set_member_name (builder, "created");
  json_builder_add_int_value (builder, self->created);
  json_builder_set_member_name (builder, "updated");
  json_builder_add_int_value (builder, self->updated);
  if (self->model != NULL)
    {
      json_builder_set_member_name (builder, "model");
      json_builder_add_string_value (builder, self->model);
    }
  if (self->system_prompt != NULL)
    {
      json_builder_set_member_name (builder, "system_prompt");
      json_builder_add_string_value (builder, self->system_prompt);
    }
  json_builder_set_member_name (builder, "selected");
  json_builder_add_int_value (builder, g_array_index (self->selected, guint, 0));

  json_builder_set_member_name (builder, "messages");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->messages->len; i++)
    {
      BendiChatMessage *message = g_ptr_array_index (self->messages, i);
      guint id = bendi_chat_message_get_id (message);
      const char *reasoning = bendi_chat_message_get_reasoning (message);
      const char *error = bendi_chat_message_get_error (message);
      const char *model = bendi_chat_message_get_model (message);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_int_value (builder, id);
      json_builder_set_member_name (builder, "parent");
      json_builder_add_int_value (builder, bendi_chat_message_get_parent_id (message));
      json_builder_set_member_name (builder, "role");
      json_builder_add_string_value (builder, bendi_chat_message_get_role (message));
      json_builder_set_member_name (builder, "content");
      json_builder_add_string_value (builder, bendi_chat_message_get_content (message));
      if (reasoning != NULL)
        {
          json_builder_set_member_name (builder, "reasoning");
          json_builder_add_string_value (builder, reasoning);
        }
      json_builder_set_member_name (builder, "created");
      json_builder_add_int_value (builder, bendi_chat_message_get_created (message));
      if (!bendi_chat_message_is_user (message))
        {
          json_builder_set_member_name (builder, "status");
          json_builder_add_string_value (builder,
                                         bendi_message_status_to_string (bendi_chat_message_get_status (message)));
          if (model != NULL)
            {
              json_builder_set_member_name (builder, "model");
              json_builder_add_string_value (builder, model);
            }
          if (error != NULL)
            {
              json_builder_set_member_name (builder, "error");
              json_builder_add_string_value (builder, error);
            }
          json_builder_set_member_name (builder, "tokens");
          json_builder_add_int_value (builder, bendi_chat_message_get_n_tokens (message));
          json_builder_set_member_name (builder, "tokens_per_second");
          json_builder_add_double_value (builder, bendi_chat_message_get_tokens_per_second (message));
          json_builder_set_member_name (builder, "context_tokens");
          json_builder_add_int_value (builder, bendi_chat_message_get_n_context_tokens (message));
        }
      json_builder_set_member_name (builder, "selected");
      json_builder_add_int_value (builder, g_array_index (self->selected, guint, id));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* Member @name of @object as a string: NULL when absent; FALSE (with
 * @error set) when present but not a string. */
static gboolean
get_optional_string (JsonObject  *object,
                     const char  *name,
                     const char **value,
                     GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);

  *value = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "“%s” is not a string", name);
      return FALSE;
    }
  *value = json_node_get_string (node);
  return TRUE;
}

/* Member @name of @object as a whole number in [@min, @max]; @fallback
 * when absent. */
static gboolean
get_int (JsonObject  *object,
         const char  *name,
         gint64       min,
         gint64       max,
         gint64       fallback,
         gint64      *value,
         GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);

  *value = fallback;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
      json_node_get_int (node) < min || json_node_get_int (node) > max)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "“%s” is not a whole number from %" G_GINT64_FORMAT
                   " to %" G_GINT64_FORMAT, name, min, max);
      return FALSE;
    }
  *value = json_node_get_int (node);
  return TRUE;
}

static gboolean
read_message (BendiConversation *self,
              JsonNode          *node,
              guint              expected_id,
              gint64            *selected,
              GError           **error)
{
  JsonObject *object;
  gint64 id, parent, created, n_tokens, n_context;
  const char *role, *content, *reasoning, *status_text, *model, *message_error;
  double tokens_per_second = 0.0;
  BendiMessageStatus status = BENDI_MESSAGE_DONE;
  JsonNode *speed;
  BendiChatMessage *message;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "message %u is not an object", expected_id);
      return FALSE;
    }
  object = json_node_get_object (node);
  if (!get_int (object, "id", 1, G_MAXUINT, 0, &id, error) ||
      !get_int (object, "parent", 0, G_MAXUINT, -1, &parent, error) ||
      !get_int (object, "created", 0, G_MAXINT64, 0, &created, error) ||
      !get_int (object, "tokens", 0, G_MAXINT64, 0, &n_tokens, error) ||
      !get_int (object, "context_tokens", 0, G_MAXINT64, 0, &n_context, error) ||
      !get_int (object, "selected", 0, G_MAXUINT, 0, selected, error) ||
      !get_optional_string (object, "role", &role, error) ||
      !get_optional_string (object, "content", &content, error) ||
      !get_optional_string (object, "reasoning", &reasoning, error) ||
      !get_optional_string (object, "status", &status_text, error) ||
      !get_optional_string (object, "model", &model, error) ||
      !get_optional_string (object, "error", &message_error, error))
    {
      g_prefix_error (error, "message %u: ", expected_id);
      return FALSE;
    }
  if (id != expected_id || parent < 0 || parent >= id)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "message %u: its id must be %u and its parent an earlier message", expected_id, expected_id);
      return FALSE;
    }
  if (g_strcmp0 (role, "user") != 0 && g_strcmp0 (role, "assistant") != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "message %u: the role must be user or assistant",
                   expected_id);
      return FALSE;
    }
  if (status_text != NULL && !bendi_message_status_from_string (status_text, &status))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "message %u: unknown status “%s”", expected_id,
                   status_text);
      return FALSE;
    }
  speed = json_object_get_member (object, "tokens_per_second");
  if (speed != NULL && JSON_NODE_HOLDS_VALUE (speed) &&
      (json_node_get_value_type (speed) == G_TYPE_DOUBLE || json_node_get_value_type (speed) == G_TYPE_INT64))
    tokens_per_second = json_node_get_double (speed);

  message = bendi_chat_message_new ((guint) id, (guint) parent, role, content);
  bendi_chat_message_set_created (message, created);
  bendi_chat_message_set_reasoning (message, reasoning);
  bendi_chat_message_set_status (message, status);
  bendi_chat_message_set_model (message, model);
  bendi_chat_message_set_error (message, message_error);
  bendi_chat_message_set_stats (message, n_tokens, tokens_per_second, n_context);
  insert_message (self, message);
  return TRUE;
}

/* Selects @child under @parent_id if it is one of its children; else the
 * last child, as a damaged selection should still show something. */
static void
restore_selected (BendiConversation *self,
                  guint              parent_id,
                  gint64             child)
{
  GPtrArray *children = g_ptr_array_index (self->children, parent_id);
  guint chosen = 0;

  for (guint i = 0; i < children->len; i++)
    {
      guint id = bendi_chat_message_get_id (g_ptr_array_index (children, i));

      if (id == child)
        {
          chosen = id;
          break;
        }
    }
  if (chosen == 0 && children->len > 0)
    chosen = bendi_chat_message_get_id (g_ptr_array_index (children, children->len - 1));
  g_array_index (self->selected, guint, parent_id) = chosen;
}

BendiConversation *
bendi_conversation_new_from_json (JsonNode  *node,
                                  GError   **error)
{
  g_autoptr (BendiConversation) self = NULL;
  g_autoptr (GArray) selected = NULL;
  JsonObject *object;
  JsonNode *messages;
  const char *format, *id, *title, *model, *system_prompt;
  gint64 version, created, updated, root_selected;

  g_return_val_if_fail (node != NULL, NULL);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not a JSON object");
      return NULL;
    }
  object = json_node_get_object (node);
  if (!get_optional_string (object, "format", &format, error) ||
      !get_int (object, "version", 1, G_MAXINT, 0, &version, error) ||
      !get_optional_string (object, "id", &id, error) ||
      !get_optional_string (object, "title", &title, error) ||
      !get_optional_string (object, "model", &model, error) ||
      !get_optional_string (object, "system_prompt", &system_prompt, error) ||
      !get_int (object, "created", 0, G_MAXINT64, 0, &created, error) ||
      !get_int (object, "updated", 0, G_MAXINT64, 0, &updated, error) ||
      !get_int (object, "selected", 0, G_MAXUINT, 0, &root_selected, error))
    return NULL;
  if (g_strcmp0 (format, FORMAT_NAME) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not a Bendi conversation");
      return NULL;
    }
  if (version > FORMAT_VERSION)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "written by a newer Bendi (format version %" G_GINT64_FORMAT ")", version);
      return NULL;
    }
  if (!id_is_valid (id))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the id is missing or has characters other than "
                   "letters, digits and dashes");
      return NULL;
    }
  messages = json_object_get_member (object, "messages");
  if (messages == NULL || !JSON_NODE_HOLDS_ARRAY (messages))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "“messages” is not a list");
      return NULL;
    }

  self = g_object_new (BENDI_TYPE_CONVERSATION, NULL);
  self->id = g_strdup (id);
  g_free (self->title);
  self->title = g_strdup (title != NULL ? title : "");
  self->model = g_strdup (model);
  self->system_prompt = system_prompt != NULL && *system_prompt != '\0' ? g_strdup (system_prompt) : NULL;
  self->created = created;
  self->updated = MAX (updated, created);

  selected = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_array_append_val (selected, root_selected);
  for (guint i = 0; i < json_array_get_length (json_node_get_array (messages)); i++)
    {
      gint64 child = 0;

      if (!read_message (self, json_array_get_element (json_node_get_array (messages), i), i + 1, &child, error))
        return NULL;
      g_array_append_val (selected, child);
    }
  for (guint id_index = 0; id_index < selected->len; id_index++)
    restore_selected (self, id_index, g_array_index (selected, gint64, id_index));
  return g_steal_pointer (&self);
}

/* ------------------------------------------------------------------------ */
/* Exports. */

char *
bendi_conversation_to_markdown (BendiConversation *self)
{
  g_autoptr (GPtrArray) thread = NULL;
  g_autofree char *title = NULL;
  GString *out;

  g_return_val_if_fail (BENDI_IS_CONVERSATION (self), NULL);

  thread = bendi_conversation_get_thread (self);
  title = bendi_conversation_dup_display_title (self);
  out = g_string_new (NULL);
  g_string_append_printf (out, "# %s\n\n", title);
  if (self->system_prompt != NULL)
    g_string_append_printf (out, "## %s\n\n%s\n\n", _("System Prompt"), self->system_prompt);
  for (guint i = 0; i < thread->len; i++)
    {
      BendiChatMessage *message = g_ptr_array_index (thread, i);
      const char *reasoning = bendi_chat_message_get_reasoning (message);
      const char *model = bendi_chat_message_get_model (message);

      if (bendi_chat_message_is_user (message))
        g_string_append_printf (out, "## %s\n\n", _("You"));
      else if (model != NULL)
        g_string_append_printf (out, "## %s\n\n", model);
      else
        g_string_append_printf (out, "## %s\n\n", _("Assistant"));
      if (reasoning != NULL)
        g_string_append_printf (out, "<details>\n<summary>%s</summary>\n\n%s\n\n</details>\n\n", _("Reasoning"),
                                reasoning);
      g_string_append (out, bendi_chat_message_get_content (message));
      g_string_append (out, "\n\n");
    }
  /* One newline at the end, as files have. */
  while (out->len > 0 && out->str[out->len - 1] == '\n')
    g_string_truncate (out, out->len - 1);
  g_string_append_c (out, '\n');
  return g_string_free (out, FALSE);
}

char *
bendi_conversation_export_json (BendiConversation *self)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GPtrArray) thread = NULL;
  g_autofree char *title = NULL;

  g_return_val_if_fail (BENDI_IS_CONVERSATION (self), NULL);

  thread = bendi_conversation_get_thread (self);
  title = bendi_conversation_dup_display_title (self);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "title");
  json_builder_add_string_value (builder, title);
  if (self->model != NULL)
    {
      g_autofree char *basename = g_path_get_basename (self->model);

      json_builder_set_member_name (builder, "model");
      json_builder_add_string_value (builder, basename);
    }
  json_builder_set_member_name (builder, "messages");
  json_builder_begin_array (builder);
  if (self->system_prompt != NULL)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "role");
      json_builder_add_string_value (builder, "system");
      json_builder_set_member_name (builder, "content");
      json_builder_add_string_value (builder, self->system_prompt);
      json_builder_end_object (builder);
    }
  for (guint i = 0; i < thread->len; i++)
    {
      BendiChatMessage *message = g_ptr_array_index (thread, i);
      const char *reasoning = bendi_chat_message_get_reasoning (message);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "role");
      json_builder_add_string_value (builder, bendi_chat_message_get_role (message));
      json_builder_set_member_name (builder, "content");
      json_builder_add_string_value (builder, bendi_chat_message_get_content (message));
      if (reasoning != NULL)
        {
          json_builder_set_member_name (builder, "reasoning_content");
          json_builder_add_string_value (builder, reasoning);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  return json_generator_to_data (generator, NULL);
}
