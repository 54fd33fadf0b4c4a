/* SPDX-License-Identifier: MIT */
/* The Chat page. */
#define G_LOG_DOMAIN "bendi-app"

#include "chat-page.h"

struct _BendiChatPage
{
  BendiPage parent_instance;

  AdwHeaderBar *header_bar;
};

G_DEFINE_FINAL_TYPE (BendiChatPage, bendi_chat_page, BENDI_TYPE_PAGE)

static void
new_activated_cb (GtkWidget  *widget G_GNUC_UNUSED,
                  const char *action_name G_GNUC_UNUSED,
                  GVariant   *parameter G_GNUC_UNUSED)
{
}

static void
bendi_chat_page_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), BENDI_TYPE_CHAT_PAGE);

  G_OBJECT_CLASS (bendi_chat_page_parent_class)->dispose (object);
}

static void
bendi_chat_page_class_init (BendiChatPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bendi_chat_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/bendi/Bendi/chat-page.ui");
  gtk_widget_class_bind_template_child (widget_class, BendiChatPage, header_bar);
  gtk_widget_class_install_action (widget_class, "chat.new", NULL, new_activated_cb);
}

static void
bendi_chat_page_init (BendiChatPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  bendi_page_set_header_bar (BENDI_PAGE (self), self->header_bar);
}
