/* SPDX-License-Identifier: MIT */
/* The base of every page: the folded state and the header bar's back button. */
#define G_LOG_DOMAIN "bendi-app"

#include "page.h"

#include <glib/gi18n.h>

typedef struct
{
  gboolean folded;
} BendiPagePrivate;

enum {
  PROP_0,
  PROP_FOLDED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_TYPE_WITH_PRIVATE (BendiPage, bendi_page, ADW_TYPE_BIN)

static void
bendi_page_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  BendiPage *self = BENDI_PAGE (object);

  switch (prop_id)
    {
    case PROP_FOLDED:
      g_value_set_boolean (value, bendi_page_get_folded (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bendi_page_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  BendiPage *self = BENDI_PAGE (object);

  switch (prop_id)
    {
    case PROP_FOLDED:
      bendi_page_set_folded (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bendi_page_class_init (BendiPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = bendi_page_get_property;
  object_class->set_property = bendi_page_set_property;

  properties[PROP_FOLDED] =
    g_param_spec_boolean ("folded", NULL, NULL,
                          FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
bendi_page_init (BendiPage *self G_GNUC_UNUSED)
{
}

gboolean
bendi_page_get_folded (BendiPage *self)
{
  BendiPagePrivate *priv = bendi_page_get_instance_private (self);

  g_return_val_if_fail (BENDI_IS_PAGE (self), FALSE);
  return priv->folded;
}

void
bendi_page_set_folded (BendiPage *self,
                       gboolean   folded)
{
  BendiPagePrivate *priv = bendi_page_get_instance_private (self);

  g_return_if_fail (BENDI_IS_PAGE (self));
  folded = !!folded;
  if (priv->folded == folded)
    return;
  priv->folded = folded;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FOLDED]);
}

void
bendi_page_set_header_bar (BendiPage    *self,
                           AdwHeaderBar *header_bar)
{
  GtkWidget *back;
  GtkWidget *box;
  GtkWidget *first;

  g_return_if_fail (BENDI_IS_PAGE (self));
  g_return_if_fail (ADW_IS_HEADER_BAR (header_bar));

  back = gtk_button_new_from_icon_name ("go-previous-symbolic");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (back), "win.navigate-back");
  gtk_widget_set_tooltip_text (back, _("Back"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (back), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Back"), -1);
  adw_header_bar_pack_start (header_bar, back);

  /* The template packed its own buttons first; back goes before them,
   * right after the window controls. */
  box = gtk_widget_get_parent (back);
  first = gtk_widget_get_first_child (box);
  if (GTK_IS_BOX (box))
    gtk_box_reorder_child_after (GTK_BOX (box), back, GTK_IS_WINDOW_CONTROLS (first) ? first : NULL);

  g_object_bind_property (self, "folded", back, "visible", G_BINDING_SYNC_CREATE);
  g_object_bind_property (self, "folded", header_bar, "show-start-title-buttons", G_BINDING_SYNC_CREATE);
}

void
bendi_page_shown (BendiPage *self)
{
  g_return_if_fail (BENDI_IS_PAGE (self));

  if (BENDI_PAGE_GET_CLASS (self)->shown != NULL)
    BENDI_PAGE_GET_CLASS (self)->shown (self);
}
