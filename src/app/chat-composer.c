/* SPDX-License-Identifier: MIT */
/* The message entry. Input methods for Chinese and Japanese show uncommitted text (preedit) and take Enter to commit it; the Enter that sends is taken before the input method sees keys, so it must know whether one is composing. */
#define G_LOG_DOMAIN "bendi-app"

#include "chat-composer.h"

struct _BendiChatComposer
{
  GtkWidget parent_instance;

  GtkLabel    *placeholder;
  GtkTextView *text_view;
  GtkStack    *button_stack;
  GtkWidget   *send_button;
  GtkWidget   *stop_button;

  gboolean     busy;
  gboolean     composing;
};

enum {
  PROP_0,
  PROP_BUSY,
  N_PROPS
};

enum {
  SEND,
  STOP,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (BendiChatComposer, bendi_chat_composer, GTK_TYPE_WIDGET)

static void
update_placeholder (BendiChatComposer *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text_view);

  gtk_widget_set_visible (GTK_WIDGET (self->placeholder),
                          gtk_text_buffer_get_char_count (buffer) == 0 && !self->composing);
}

static void
preedit_changed_cb (BendiChatComposer *self,
                    const char        *preedit)
{
  self->composing = preedit != NULL && *preedit != '\0';
  update_placeholder (self);
}

static gboolean
key_pressed_cb (GtkEventControllerKey *controller G_GNUC_UNUSED,
                guint                  keyval,
                guint                  keycode G_GNUC_UNUSED,
                GdkModifierType        state,
                BendiChatComposer     *self)
{
  if (keyval != GDK_KEY_Return && keyval != GDK_KEY_KP_Enter && keyval != GDK_KEY_ISO_Enter)
    return GDK_EVENT_PROPAGATE;
  /* The input method's Enter: let it commit its text. */
  if (self->composing)
    return GDK_EVENT_PROPAGATE;
  /* Shift+Enter: a new line in the message. */
  if (state & GDK_SHIFT_MASK)
    return GDK_EVENT_PROPAGATE;
  bendi_chat_composer_send (self);
  return GDK_EVENT_STOP;
}

static void
send_clicked_cb (BendiChatComposer *self)
{
  bendi_chat_composer_send (self);
}

static void
stop_clicked_cb (BendiChatComposer *self)
{
  g_signal_emit (self, signals[STOP], 0);
}

static void
bendi_chat_composer_dispose (GObject *object)
{
  GtkWidget *child;

  gtk_widget_dispose_template (GTK_WIDGET (object), BENDI_TYPE_CHAT_COMPOSER);
  /* Template children without an id are not unparented by it. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (bendi_chat_composer_parent_class)->dispose (object);
}

static void
bendi_chat_composer_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  BendiChatComposer *self = BENDI_CHAT_COMPOSER (object);

  switch (prop_id)
    {
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bendi_chat_composer_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  BendiChatComposer *self = BENDI_CHAT_COMPOSER (object);

  switch (prop_id)
    {
    case PROP_BUSY:
      bendi_chat_composer_set_busy (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static gboolean
bendi_chat_composer_grab_focus (GtkWidget *widget)
{
  return gtk_widget_grab_focus (GTK_WIDGET (BENDI_CHAT_COMPOSER (widget)->text_view));
}

static void
bendi_chat_composer_class_init (BendiChatComposerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bendi_chat_composer_dispose;
  object_class->get_property = bendi_chat_composer_get_property;
  object_class->set_property = bendi_chat_composer_set_property;
  widget_class->grab_focus = bendi_chat_composer_grab_focus;

  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL,
                          FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SEND] =
    g_signal_new ("send",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL, NULL,
                  G_TYPE_NONE, 1,
                  G_TYPE_STRING);
  signals[STOP] =
    g_signal_new ("stop",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/bendi/Bendi/chat-composer.ui");
  gtk_widget_class_bind_template_child (widget_class, BendiChatComposer, placeholder);
  gtk_widget_class_bind_template_child (widget_class, BendiChatComposer, text_view);
  gtk_widget_class_bind_template_child (widget_class, BendiChatComposer, button_stack);
  gtk_widget_class_bind_template_child (widget_class, BendiChatComposer, send_button);
  gtk_widget_class_bind_template_child (widget_class, BendiChatComposer, stop_button);
  gtk_widget_class_bind_template_callback (widget_class, send_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, stop_clicked_cb);
  gtk_widget_class_set_css_name (widget_class, "composer");
}

static void
bendi_chat_composer_init (BendiChatComposer *self)
{
  GtkEventController *keys;

  gtk_widget_init_template (GTK_WIDGET (self));

  /* Capture: before the text view hands the key to its input method. */
  keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_name (keys, "bendi-send-keys");
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->text_view), keys);

  g_signal_connect_swapped (self->text_view, "preedit-changed", G_CALLBACK (preedit_changed_cb), self);
  g_signal_connect_object (gtk_text_view_get_buffer (self->text_view), "changed", G_CALLBACK (update_placeholder),
                           self, G_CONNECT_SWAPPED);
}

GtkWidget *
bendi_chat_composer_new (void)
{
  return g_object_new (BENDI_TYPE_CHAT_COMPOSER, NULL);
}

char *
bendi_chat_composer_dup_text (BendiChatComposer *self)
{
  GtkTextBuffer *buffer;
  GtkTextIter start, end;

  g_return_val_if_fail (BENDI_IS_CHAT_COMPOSER (self), NULL);

  buffer = gtk_text_view_get_buffer (self->text_view);
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

void
bendi_chat_composer_set_text (BendiChatComposer *self,
                              const char        *text)
{
  g_return_if_fail (BENDI_IS_CHAT_COMPOSER (self));

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->text_view), text != NULL ? text : "", -1);
}

gboolean
bendi_chat_composer_get_busy (BendiChatComposer *self)
{
  g_return_val_if_fail (BENDI_IS_CHAT_COMPOSER (self), FALSE);
  return self->busy;
}

void
bendi_chat_composer_set_busy (BendiChatComposer *self,
                              gboolean           busy)
{
  g_return_if_fail (BENDI_IS_CHAT_COMPOSER (self));

  busy = !!busy;
  if (self->busy == busy)
    return;
  self->busy = busy;
  gtk_stack_set_visible_child_name (self->button_stack, busy ? "stop" : "send");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

gboolean
bendi_chat_composer_is_composing (BendiChatComposer *self)
{
  g_return_val_if_fail (BENDI_IS_CHAT_COMPOSER (self), FALSE);
  return self->composing;
}

void
bendi_chat_composer_send (BendiChatComposer *self)
{
  g_autofree char *text = NULL;

  g_return_if_fail (BENDI_IS_CHAT_COMPOSER (self));

  if (self->busy)
    return;
  text = g_strstrip (bendi_chat_composer_dup_text (self));
  if (*text == '\0')
    return;
  g_signal_emit (self, signals[SEND], 0, text);
}

GtkWidget *
bendi_chat_composer_get_text_view (BendiChatComposer *self)
{
  g_return_val_if_fail (BENDI_IS_CHAT_COMPOSER (self), NULL);
  return GTK_WIDGET (self->text_view);
}
