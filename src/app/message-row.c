/* SPDX-License-Identifier: MIT */
/* A message of the chat, following its BendiChatMessage: redrawn at most once a frame while it streams. */
#define G_LOG_DOMAIN "bendi-app"

#include "message-row.h"

#include <glib/gi18n.h>

#include "markdown-view.h"

struct _BendiMessageRow
{
  GtkWidget parent_instance;

  GtkLabel          *author_label;
  GtkSpinner        *spinner;
  GtkExpander       *reasoning_expander;
  GtkLabel          *reasoning_label;
  GtkStack          *body_stack;
  GtkLabel          *user_label;
  BendiMarkdownView *content_view;
  GtkTextView       *edit_view;
  GtkLabel          *status_label;
  GtkWidget         *branch_box;
  GtkLabel          *branch_label;
  GtkWidget         *edit_button;
  GtkWidget         *regenerate_button;
  GtkWidget         *retry_button;
  GtkLabel          *stats_label;

  BendiConversation *conversation;
  BendiChatMessage  *message;
  guint              tick_id;
  gboolean           busy;
};

enum {
  REGENERATE,
  EDIT_SUBMITTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (BendiMessageRow, bendi_message_row, GTK_TYPE_WIDGET)

static char *
format_stats (BendiChatMessage *message)
{
  gint64 n_tokens = bendi_chat_message_get_n_tokens (message);
  double speed = bendi_chat_message_get_tokens_per_second (message);
  g_autofree char *number = NULL;
  g_autofree char *tokens = NULL;

  if (n_tokens <= 0)
    return g_strdup ("");
  number = g_strdup_printf ("%'" G_GINT64_FORMAT, n_tokens);
  /* TRANSLATORS: the length of a reply, "42 tokens"; %s is the number */
  tokens = g_strdup_printf (ngettext ("%s token", "%s tokens", (gulong) n_tokens), number);
  if (speed <= 0.0)
    return g_steal_pointer (&tokens);
  /* TRANSLATORS: "42 tokens · 31.5 tokens/s" */
  return g_strdup_printf (_("%s · %.1f tokens/s"), tokens, speed);
}

static void
update_actions (BendiMessageRow *self)
{
  BendiMessageStatus status = bendi_chat_message_get_status (self->message);
  guint n = bendi_conversation_get_n_alternatives (self->conversation, self->message);
  guint index = bendi_conversation_get_alternative_index (self->conversation, self->message);
  gboolean editable = !self->busy && status != BENDI_MESSAGE_STREAMING;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "message.previous", editable && index > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "message.next", editable && index + 1 < n);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "message.edit", editable);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "message.submit-edit", !self->busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "message.regenerate", editable);
}

static void
update (BendiMessageRow *self)
{
  BendiChatMessage *message = self->message;
  gboolean user = bendi_chat_message_is_user (message);
  BendiMessageStatus status = bendi_chat_message_get_status (message);
  const char *content = bendi_chat_message_get_content (message);
  const char *reasoning = bendi_chat_message_get_reasoning (message);
  const char *error = bendi_chat_message_get_error (message);
  const char *model = bendi_chat_message_get_model (message);
  guint n = bendi_conversation_get_n_alternatives (self->conversation, message);
  g_autofree char *stats = NULL;
  const char *status_text = NULL;

  gtk_label_set_label (self->author_label, user ? _("You") : model != NULL ? model : _("Assistant"));
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), status == BENDI_MESSAGE_STREAMING);
  gtk_spinner_set_spinning (self->spinner, status == BENDI_MESSAGE_STREAMING);

  if (user)
    gtk_label_set_label (self->user_label, content);
  else
    bendi_markdown_view_set_markdown (self->content_view, content);
  gtk_widget_set_visible (GTK_WIDGET (self->content_view), !user && *content != '\0');

  gtk_widget_set_visible (GTK_WIDGET (self->reasoning_expander), reasoning != NULL);
  if (reasoning != NULL)
    {
      gtk_label_set_label (self->reasoning_label, reasoning);
      gtk_expander_set_label (self->reasoning_expander,
                              status == BENDI_MESSAGE_STREAMING && *content == '\0' ? _("Thinking…")
                                                                                    : _("Reasoning"));
    }

  switch (status)
    {
    case BENDI_MESSAGE_STOPPED:
      status_text = error != NULL ? error : _("Stopped.");
      break;
    case BENDI_MESSAGE_LENGTH:
      status_text = error != NULL ? error : _("The reply reached its length limit.");
      break;
    case BENDI_MESSAGE_ERROR:
      status_text = error != NULL ? error : _("The reply failed.");
      break;
    case BENDI_MESSAGE_DONE:
    case BENDI_MESSAGE_STREAMING:
    default:
      break;
    }
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), status_text != NULL);
  gtk_label_set_label (self->status_label, status_text != NULL ? status_text : "");
  /* A failed reply (a server that did not answer, a stream cut off)
   * offers to ask again, beside the regenerate icon that is easy to miss. */
  gtk_widget_set_visible (self->retry_button, !user && status == BENDI_MESSAGE_ERROR);
  if (status == BENDI_MESSAGE_ERROR)
    gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "error");

  stats = user ? g_strdup ("") : format_stats (message);
  gtk_label_set_label (self->stats_label, stats);

  gtk_widget_set_visible (self->branch_box, n > 1);
  if (n > 1)
    {
      /* TRANSLATORS: which of the alternatives of a message is shown, "2/3" */
      g_autofree char *position = g_strdup_printf (_("%u/%u"),
                                                   bendi_conversation_get_alternative_index (self->conversation,
                                                                                             message) + 1, n);

      gtk_label_set_label (self->branch_label, position);
    }
  update_actions (self);
}

static gboolean
update_tick_cb (GtkWidget     *widget,
                GdkFrameClock *clock G_GNUC_UNUSED,
                gpointer       user_data G_GNUC_UNUSED)
{
  BendiMessageRow *self = BENDI_MESSAGE_ROW (widget);

  self->tick_id = 0;
  update (self);
  return G_SOURCE_REMOVE;
}

/* Many tokens can arrive between two frames: render once per frame. */
static void
message_changed_cb (BendiMessageRow *self)
{
  /* The actions follow the status at once (they are cheap), so that
   * Regenerate works as soon as a reply has ended. */
  update_actions (self);
  if (self->tick_id != 0)
    return;
  if (!gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      update (self);
      return;
    }
  self->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), update_tick_cb, NULL, NULL);
}

static void
copy_activated_cb (GtkWidget  *widget,
                   const char *action_name G_GNUC_UNUSED,
                   GVariant   *parameter G_GNUC_UNUSED)
{
  BendiMessageRow *self = BENDI_MESSAGE_ROW (widget);

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), bendi_chat_message_get_content (self->message));
}

static void
edit_activated_cb (GtkWidget  *widget,
                   const char *action_name G_GNUC_UNUSED,
                   GVariant   *parameter G_GNUC_UNUSED)
{
  bendi_message_row_start_edit (BENDI_MESSAGE_ROW (widget));
}

static void
cancel_edit_activated_cb (GtkWidget  *widget,
                          const char *action_name G_GNUC_UNUSED,
                          GVariant   *parameter G_GNUC_UNUSED)
{
  BendiMessageRow *self = BENDI_MESSAGE_ROW (widget);

  gtk_stack_set_visible_child_name (self->body_stack, "view");
}

static void
submit_edit_activated_cb (GtkWidget  *widget,
                          const char *action_name G_GNUC_UNUSED,
                          GVariant   *parameter G_GNUC_UNUSED)
{
  BendiMessageRow *self = BENDI_MESSAGE_ROW (widget);
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->edit_view);
  GtkTextIter start, end;
  g_autofree char *text = NULL;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = g_strstrip (gtk_text_buffer_get_text (buffer, &start, &end, FALSE));
  if (*text == '\0')
    return;
  gtk_stack_set_visible_child_name (self->body_stack, "view");
  g_signal_emit (self, signals[EDIT_SUBMITTED], 0, text);
}

static void
regenerate_activated_cb (GtkWidget  *widget,
                         const char *action_name G_GNUC_UNUSED,
                         GVariant   *parameter G_GNUC_UNUSED)
{
  g_signal_emit (widget, signals[REGENERATE], 0);
}

static void
step_alternative (BendiMessageRow *self,
                  int              step)
{
  guint index = bendi_conversation_get_alternative_index (self->conversation, self->message);

  if (step < 0 && index == 0)
    return;
  /* The conversation's thread-changed makes the page rebuild the rows. */
  bendi_conversation_select_alternative (self->conversation, self->message, (guint) ((int) index + step));
}

static void
previous_activated_cb (GtkWidget  *widget,
                       const char *action_name G_GNUC_UNUSED,
                       GVariant   *parameter G_GNUC_UNUSED)
{
  step_alternative (BENDI_MESSAGE_ROW (widget), -1);
}

static void
next_activated_cb (GtkWidget  *widget,
                   const char *action_name G_GNUC_UNUSED,
                   GVariant   *parameter G_GNUC_UNUSED)
{
  step_alternative (BENDI_MESSAGE_ROW (widget), 1);
}

static void
bendi_message_row_dispose (GObject *object)
{
  BendiMessageRow *self = BENDI_MESSAGE_ROW (object);
  GtkWidget *child;

  if (self->tick_id != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->tick_id);
  self->tick_id = 0;
  if (self->message != NULL)
    g_signal_handlers_disconnect_by_data (self->message, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), BENDI_TYPE_MESSAGE_ROW);
  /* Template children without an id are not unparented by it. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->message);
  g_clear_object (&self->conversation);

  G_OBJECT_CLASS (bendi_message_row_parent_class)->dispose (object);
}

static void
bendi_message_row_class_init (BendiMessageRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bendi_message_row_dispose;

  signals[REGENERATE] =
    g_signal_new ("regenerate",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  signals[EDIT_SUBMITTED] =
    g_signal_new ("edit-submitted",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL, NULL,
                  G_TYPE_NONE, 1,
                  G_TYPE_STRING);

  g_type_ensure (BENDI_TYPE_MARKDOWN_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/bendi/Bendi/message-row.ui");
  gtk_widget_class_bind_template_child (widget_class, BendiMessageRow, author_label);
  gtk_widget_class_bind_template_child (widget_class, BendiMessageRow, spinner);
  gtk_widget_class_bind_template_child (widget_class, BendiMessageRow, reasoning_expander);
  gtk_widget_class_bind_template_child (widget_class, BendiMessageRow, reasoning_label);
  gtk_widget_class_bind_template_child (widget_class, BendiMessageRow, body_stack);
  gtk_widget_class_bind_template_child (widget_class, BendiMessageRow, user_label);
  gtk_widget_class_bind_template_child (widget_class, BendiMessageRow, content_view);
  gtk_widget_class_bind_template_child (widget_class, BendiMessageRow, edit_view);
  gtk_widget_class_bind_template_child (widget_class, BendiMessageRow, status_label);
  gtk_widget_class_bind_template_child (widget_class, BendiMessageRow, branch_box);
  gtk_widget_class_bind_template_child (widget_class, BendiMessageRow, branch_label);
  gtk_widget_class_bind_template_child (widget_class, BendiMessageRow, edit_button);
  gtk_widget_class_bind_template_child (widget_class, BendiMessageRow, regenerate_button);
  gtk_widget_class_bind_template_child (widget_class, BendiMessageRow, retry_button);
  gtk_widget_class_bind_template_child (widget_class, BendiMessageRow, stats_label);

  gtk_widget_class_install_action (widget_class, "message.copy", NULL, copy_activated_cb);
  gtk_widget_class_install_action (widget_class, "message.edit", NULL, edit_activated_cb);
  gtk_widget_class_install_action (widget_class, "message.cancel-edit", NULL, cancel_edit_activated_cb);
  gtk_widget_class_install_action (widget_class, "message.submit-edit", NULL, submit_edit_activated_cb);
  gtk_widget_class_install_action (widget_class, "message.regenerate", NULL, regenerate_activated_cb);
  gtk_widget_class_install_action (widget_class, "message.previous", NULL, previous_activated_cb);
  gtk_widget_class_install_action (widget_class, "message.next", NULL, next_activated_cb);

  gtk_widget_class_set_css_name (widget_class, "message");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
bendi_message_row_init (BendiMessageRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
bendi_message_row_new (BendiConversation *conversation,
                       BendiChatMessage  *message)
{
  BendiMessageRow *self;
  gboolean user;

  g_return_val_if_fail (BENDI_IS_CONVERSATION (conversation), NULL);
  g_return_val_if_fail (BENDI_IS_CHAT_MESSAGE (message), NULL);

  self = g_object_new (BENDI_TYPE_MESSAGE_ROW, NULL);
  self->conversation = g_object_ref (conversation);
  self->message = g_object_ref (message);
  user = bendi_chat_message_is_user (message);
  gtk_widget_add_css_class (GTK_WIDGET (self), user ? "user" : "assistant");
  gtk_widget_set_visible (GTK_WIDGET (self->user_label), user);
  gtk_widget_set_visible (self->edit_button, user);
  gtk_widget_set_visible (self->regenerate_button, !user);
  if (user)
    gtk_widget_set_halign (GTK_WIDGET (self->user_label), GTK_ALIGN_END);

  g_signal_connect_swapped (message, "notify", G_CALLBACK (message_changed_cb), self);
  update (self);
  return GTK_WIDGET (self);
}

BendiChatMessage *
bendi_message_row_get_message (BendiMessageRow *self)
{
  g_return_val_if_fail (BENDI_IS_MESSAGE_ROW (self), NULL);
  return self->message;
}

void
bendi_message_row_set_busy (BendiMessageRow *self,
                            gboolean         busy)
{
  g_return_if_fail (BENDI_IS_MESSAGE_ROW (self));

  if (self->busy == busy)
    return;
  self->busy = busy;
  update_actions (self);
}

void
bendi_message_row_start_edit (BendiMessageRow *self)
{
  g_return_if_fail (BENDI_IS_MESSAGE_ROW (self));

  if (!bendi_chat_message_is_user (self->message))
    return;
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->edit_view), bendi_chat_message_get_content (self->message),
                            -1);
  gtk_stack_set_visible_child_name (self->body_stack, "edit");
  gtk_widget_grab_focus (GTK_WIDGET (self->edit_view));
}

void
bendi_message_row_sync (BendiMessageRow *self)
{
  g_return_if_fail (BENDI_IS_MESSAGE_ROW (self));

  if (self->tick_id != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->tick_id);
  self->tick_id = 0;
  update (self);
}
