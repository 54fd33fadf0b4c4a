/* SPDX-License-Identifier: MIT */
/* One message of a conversation, observable so that its row follows it while it streams. */
#define G_LOG_DOMAIN "bendi-app"

#include "chat-message.h"

#include <glib/gi18n.h>

struct _BendiChatMessage
{
  GObject parent_instance;

  guint              id;
  guint              parent_id;
  char              *role;
  gint64             created;
  char              *content;
  char              *reasoning;
  BendiMessageStatus status;
  char              *error;
  char              *model;
  gint64             n_tokens;
  double             tokens_per_second;
  gint64             n_context_tokens;
};

enum {
  PROP_0,
  PROP_CONTENT,
  PROP_REASONING,
  PROP_STATUS,
  PROP_ERROR,
  PROP_MODEL,
  PROP_N_TOKENS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (BendiChatMessage, bendi_chat_message, G_TYPE_OBJECT)

static const char *const status_names[] = {
  [BENDI_MESSAGE_DONE] = "done",
  [BENDI_MESSAGE_STREAMING] = "streaming",
  [BENDI_MESSAGE_STOPPED] = "stopped",
  [BENDI_MESSAGE_LENGTH] = "length",
  [BENDI_MESSAGE_ERROR] = "error",
};

const char *
bendi_message_status_to_string (BendiMessageStatus status)
{
  g_return_val_if_fail ((gsize) status < G_N_ELEMENTS (status_names), "done");
  return status_names[status];
}

gboolean
bendi_message_status_from_string (const char         *text,
                                  BendiMessageStatus *status)
{
  for (gsize i = 0; i < G_N_ELEMENTS (status_names); i++)
    if (g_strcmp0 (text, status_names[i]) == 0)
      {
        *status = (BendiMessageStatus) i;
        return TRUE;
      }
  return FALSE;
}

/* Replaces *@field with a copy of @value and notifies @pspec, unless equal. */
static void
set_string (BendiChatMessage *self,
            char            **field,
            const char       *value,
            GParamSpec       *pspec)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), pspec);
}

static void
bendi_chat_message_finalize (GObject *object)
{
  BendiChatMessage *self = BENDI_CHAT_MESSAGE (object);

  g_free (self->role);
  g_free (self->content);
  g_free (self->reasoning);
  g_free (self->error);
  g_free (self->model);

  G_OBJECT_CLASS (bendi_chat_message_parent_class)->finalize (object);
}

static void
bendi_chat_message_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  BendiChatMessage *self = BENDI_CHAT_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_CONTENT:
      g_value_set_string (value, self->content);
      break;
    case PROP_REASONING:
      g_value_set_string (value, self->reasoning);
      break;
    case PROP_STATUS:
      g_value_set_int (value, self->status);
      break;
    case PROP_ERROR:
      g_value_set_string (value, self->error);
      break;
    case PROP_MODEL:
      g_value_set_string (value, self->model);
      break;
    case PROP_N_TOKENS:
      g_value_set_int64 (value, self->n_tokens);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bendi_chat_message_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  BendiChatMessage *self = BENDI_CHAT_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_CONTENT:
      bendi_chat_message_set_content (self, g_value_get_string (value));
      break;
    case PROP_REASONING:
      bendi_chat_message_set_reasoning (self, g_value_get_string (value));
      break;
    case PROP_STATUS:
      bendi_chat_message_set_status (self, g_value_get_int (value));
      break;
    case PROP_ERROR:
      bendi_chat_message_set_error (self, g_value_get_string (value));
      break;
    case PROP_MODEL:
      bendi_chat_message_set_model (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bendi_chat_message_class_init (BendiChatMessageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = bendi_chat_message_finalize;
  object_class->get_property = bendi_chat_message_get_property;
  object_class->set_property = bendi_chat_message_set_property;

  properties[PROP_CONTENT] =
    g_param_spec_string ("content", NULL, NULL,
                         "",
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_REASONING] =
    g_param_spec_string ("reasoning", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_STATUS] =
    g_param_spec_int ("status", NULL, NULL,
                      BENDI_MESSAGE_DONE, BENDI_MESSAGE_ERROR, BENDI_MESSAGE_DONE,
                      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_MODEL] =
    g_param_spec_string ("model", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /* Notified whenever any of the stats changes. */
  properties[PROP_N_TOKENS] =
    g_param_spec_int64 ("n-tokens", NULL, NULL,
                        0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
bendi_chat_message_init (BendiChatMessage *self)
{
  self->content = g_strdup ("");
}

BendiChatMessage *
bendi_chat_message_new (guint       id,
                        guint       parent_id,
                        const char *role,
                        const char *content)
{
  BendiChatMessage *self;
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();

  g_return_val_if_fail (id > parent_id, NULL);
  g_return_val_if_fail (role != NULL, NULL);

  self = g_object_new (BENDI_TYPE_CHAT_MESSAGE, NULL);
  self->id = id;
  self->parent_id = parent_id;
  self->role = g_strdup (role);
  self->created = g_date_time_to_unix (now);
  g_free (self->content);
  self->content = g_strdup (content != NULL ? content : "");
  return self;
}

guint
bendi_chat_message_get_id (BendiChatMessage *self)
{
  g_return_val_if_fail (BENDI_IS_CHAT_MESSAGE (self), 0);
  return self->id;
}

guint
bendi_chat_message_get_parent_id (BendiChatMessage *self)
{
  g_return_val_if_fail (BENDI_IS_CHAT_MESSAGE (self), 0);
  return self->parent_id;
}

const char *
bendi_chat_message_get_role (BendiChatMessage *self)
{
  g_return_val_if_fail (BENDI_IS_CHAT_MESSAGE (self), NULL);
  return self->role;
}

gboolean
bendi_chat_message_is_user (BendiChatMessage *self)
{
  g_return_val_if_fail (BENDI_IS_CHAT_MESSAGE (self), FALSE);
  return g_str_equal (self->role, "user");
}

gint64
bendi_chat_message_get_created (BendiChatMessage *self)
{
  g_return_val_if_fail (BENDI_IS_CHAT_MESSAGE (self), 0);
  return self->created;
}

void
bendi_chat_message_set_created (BendiChatMessage *self,
                                gint64            created)
{
  g_return_if_fail (BENDI_IS_CHAT_MESSAGE (self));
  self->created = created;
}

const char *
bendi_chat_message_get_content (BendiChatMessage *self)
{
  g_return_val_if_fail (BENDI_IS_CHAT_MESSAGE (self), NULL);
  return self->content;
}

void
bendi_chat_message_set_content (BendiChatMessage *self,
                                const char       *content)
{
  g_return_if_fail (BENDI_IS_CHAT_MESSAGE (self));
  set_string (self, &self->content, content != NULL ? content : "", properties[PROP_CONTENT]);
}

const char *
bendi_chat_message_get_reasoning (BendiChatMessage *self)
{
  g_return_val_if_fail (BENDI_IS_CHAT_MESSAGE (self), NULL);
  return self->reasoning;
}

void
bendi_chat_message_set_reasoning (BendiChatMessage *self,
                                  const char       *reasoning)
{
  g_return_if_fail (BENDI_IS_CHAT_MESSAGE (self));
  set_string (self, &self->reasoning, reasoning != NULL && *reasoning != '\0' ? reasoning : NULL,
              properties[PROP_REASONING]);
}

BendiMessageStatus
bendi_chat_message_get_status (BendiChatMessage *self)
{
  g_return_val_if_fail (BENDI_IS_CHAT_MESSAGE (self), BENDI_MESSAGE_DONE);
  return self->status;
}

void
bendi_chat_message_set_status (BendiChatMessage  *self,
                               BendiMessageStatus status)
{
  g_return_if_fail (BENDI_IS_CHAT_MESSAGE (self));
  if (self->status == status)
    return;
  self->status = status;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
}

const char *
bendi_chat_message_get_error (BendiChatMessage *self)
{
  g_return_val_if_fail (BENDI_IS_CHAT_MESSAGE (self), NULL);
  return self->error;
}

void
bendi_chat_message_set_error (BendiChatMessage *self,
                              const char       *error)
{
  g_return_if_fail (BENDI_IS_CHAT_MESSAGE (self));
  set_string (self, &self->error, error, properties[PROP_ERROR]);
}

const char *
bendi_chat_message_get_model (BendiChatMessage *self)
{
  g_return_val_if_fail (BENDI_IS_CHAT_MESSAGE (self), NULL);
  return self->model;
}

void
bendi_chat_message_set_model (BendiChatMessage *self,
                              const char       *model)
{
  g_return_if_fail (BENDI_IS_CHAT_MESSAGE (self));
  set_string (self, &self->model, model, properties[PROP_MODEL]);
}

gint64
bendi_chat_message_get_n_tokens (BendiChatMessage *self)
{
  g_return_val_if_fail (BENDI_IS_CHAT_MESSAGE (self), 0);
  return self->n_tokens;
}

double
bendi_chat_message_get_tokens_per_second (BendiChatMessage *self)
{
  g_return_val_if_fail (BENDI_IS_CHAT_MESSAGE (self), 0.0);
  return self->tokens_per_second;
}

gint64
bendi_chat_message_get_n_context_tokens (BendiChatMessage *self)
{
  g_return_val_if_fail (BENDI_IS_CHAT_MESSAGE (self), 0);
  return self->n_context_tokens;
}

void
bendi_chat_message_set_stats (BendiChatMessage *self,
                              gint64            n_tokens,
                              double            tokens_per_second,
                              gint64            n_context_tokens)
{
  g_return_if_fail (BENDI_IS_CHAT_MESSAGE (self));

  if (self->n_tokens == n_tokens && self->tokens_per_second == tokens_per_second &&
      self->n_context_tokens == n_context_tokens)
    return;
  self->n_tokens = MAX (n_tokens, 0);
  self->tokens_per_second = MAX (tokens_per_second, 0.0);
  self->n_context_tokens = MAX (n_context_tokens, 0);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_TOKENS]);
}

void
bendi_chat_message_end_reply (BendiChatMessage *self,
                              BendiStopReason   reason,
                              const GError     *error,
                              const char       *reasoning,
                              const char       *content,
                              gint64            n_tokens,
                              double            tokens_per_second,
                              gint64            n_context_tokens,
                              gint64            n_ctx)
{
  g_return_if_fail (BENDI_IS_CHAT_MESSAGE (self));

  bendi_chat_message_set_reasoning (self, reasoning);
  bendi_chat_message_set_content (self, content);
  bendi_chat_message_set_stats (self, n_tokens, tokens_per_second, n_context_tokens);
  switch (reason)
    {
    case BENDI_STOP_REASON_CANCELLED:
      bendi_chat_message_set_status (self, BENDI_MESSAGE_STOPPED);
      break;
    case BENDI_STOP_REASON_LENGTH:
      bendi_chat_message_set_status (self, BENDI_MESSAGE_LENGTH);
      if (n_ctx > 0 && n_context_tokens >= n_ctx)
        bendi_chat_message_set_error (self, _("The context is full: the model cannot see more of this "
                                               "conversation. Start a new chat, or raise the context length in "
                                               "the model settings."));
      else
        bendi_chat_message_set_error (self, _("The reply reached the maximum length set in the model "
                                               "settings."));
      break;
    case BENDI_STOP_REASON_ERROR:
      bendi_chat_message_set_status (self, BENDI_MESSAGE_ERROR);
      bendi_chat_message_set_error (self, error != NULL ? error->message : _("The reply failed."));
      break;
    case BENDI_STOP_REASON_STOP:
    case BENDI_STOP_REASON_NONE:
    default:
      bendi_chat_message_set_status (self, BENDI_MESSAGE_DONE);
      break;
    }
}
