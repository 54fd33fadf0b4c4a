/* SPDX-License-Identifier: MIT */
/* A code block with its language and a copy button that says when it copied. */
#define G_LOG_DOMAIN "bendi-app"

#include "code-block.h"

#include <glib/gi18n.h>

/* How long the copy button shows a tick. */
#define COPIED_FEEDBACK_MS 1500

struct _BendiCodeBlock
{
  GtkWidget parent_instance;

  GtkLabel    *language_label;
  GtkButton   *copy_button;
  GtkTextView *code_view;

  char        *code;
  guint        feedback_id;
};

G_DEFINE_FINAL_TYPE (BendiCodeBlock, bendi_code_block, GTK_TYPE_WIDGET)

static gboolean
restore_copy_icon_cb (gpointer user_data)
{
  BendiCodeBlock *self = user_data;

  self->feedback_id = 0;
  gtk_button_set_icon_name (self->copy_button, "edit-copy-symbolic");
  return G_SOURCE_REMOVE;
}

static void
copy_clicked_cb (BendiCodeBlock *self)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), self->code != NULL ? self->code : "");
  gtk_button_set_icon_name (self->copy_button, "emblem-ok-symbolic");
  g_clear_handle_id (&self->feedback_id, g_source_remove);
  self->feedback_id = g_timeout_add (COPIED_FEEDBACK_MS, restore_copy_icon_cb, self);
}

static void
bendi_code_block_dispose (GObject *object)
{
  BendiCodeBlock *self = BENDI_CODE_BLOCK (object);
  GtkWidget *child;

  g_clear_handle_id (&self->feedback_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), BENDI_TYPE_CODE_BLOCK);
  /* Template children without an id are not unparented by it. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (bendi_code_block_parent_class)->dispose (object);
}

static void
bendi_code_block_finalize (GObject *object)
{
  BendiCodeBlock *self = BENDI_CODE_BLOCK (object);

  g_free (self->code);

  G_OBJECT_CLASS (bendi_code_block_parent_class)->finalize (object);
}

static void
bendi_code_block_class_init (BendiCodeBlockClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bendi_code_block_dispose;
  object_class->finalize = bendi_code_block_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/bendi/Bendi/code-block.ui");
  gtk_widget_class_bind_template_child (widget_class, BendiCodeBlock, language_label);
  gtk_widget_class_bind_template_child (widget_class, BendiCodeBlock, copy_button);
  gtk_widget_class_bind_template_child (widget_class, BendiCodeBlock, code_view);
  gtk_widget_class_bind_template_callback (widget_class, copy_clicked_cb);
  gtk_widget_class_set_css_name (widget_class, "codeblock");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
bendi_code_block_init (BendiCodeBlock *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
bendi_code_block_new (void)
{
  return g_object_new (BENDI_TYPE_CODE_BLOCK, NULL);
}

void
bendi_code_block_set_code (BendiCodeBlock *self,
                           const char     *language,
                           const char     *code)
{
  g_return_if_fail (BENDI_IS_CODE_BLOCK (self));

  gtk_label_set_label (self->language_label, language != NULL ? language : "");
  if (g_strcmp0 (self->code, code) == 0)
    return;
  g_free (self->code);
  self->code = g_strdup (code);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->code_view), code != NULL ? code : "", -1);
}

const char *
bendi_code_block_get_code (BendiCodeBlock *self)
{
  g_return_val_if_fail (BENDI_IS_CODE_BLOCK (self), NULL);
  return self->code;
}
