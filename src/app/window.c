/* SPDX-License-Identifier: MIT */
/* The main window: the page list, pages created when first shown, the window's size remembered. */
#define G_LOG_DOMAIN "bendi-app"

#include "window.h"

#include <glib/gi18n.h>

#include "app-state.h"
#include "application.h"
#include "page.h"
#include "pages.h"
#include "preferences-window.h"

struct _BendiWindow
{
  AdwApplicationWindow parent_instance;

  AdwToastOverlay *toast_overlay;
  AdwLeaflet      *leaflet;
  GtkListBox      *sidebar_list;
  GtkStack        *stack;

  GSettings       *settings;
};

G_DEFINE_FINAL_TYPE (BendiWindow, bendi_window, ADW_TYPE_APPLICATION_WINDOW)

static GtkWidget *
create_sidebar_row (const BendiPageInfo *info)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *icon = gtk_image_new_from_icon_name (info->icon_name);
  GtkWidget *label = gtk_label_new (_(info->title));

  gtk_label_set_xalign (GTK_LABEL (label), 0.0f);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_box_append (GTK_BOX (box), icon);
  gtk_box_append (GTK_BOX (box), label);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  g_object_set_data (G_OBJECT (row), "bendi-page-info", (gpointer) info);
  return row;
}

static GtkListBoxRow *
find_sidebar_row (BendiWindow *self,
                  const char  *id)
{
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->sidebar_list));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      const BendiPageInfo *info = g_object_get_data (G_OBJECT (child), "bendi-page-info");

      if (info != NULL && g_str_equal (info->id, id))
        return GTK_LIST_BOX_ROW (child);
    }
  return NULL;
}

static void
sidebar_row_activated_cb (BendiWindow   *self,
                          GtkListBoxRow *row)
{
  const BendiPageInfo *info = g_object_get_data (G_OBJECT (row), "bendi-page-info");

  bendi_window_show_page (self, info->id);
}

static void
leaflet_folded_cb (BendiWindow *self)
{
  gboolean folded = adw_leaflet_get_folded (self->leaflet);

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->stack));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (BENDI_IS_PAGE (child))
      bendi_page_set_folded (BENDI_PAGE (child), folded);
  /* Unfolded, both panes show, so a selected row is the page shown; folded,
   * the list is a menu, where a selected row would look stuck. */
  if (folded)
    gtk_list_box_unselect_all (self->sidebar_list);
  else
    {
      const char *id = bendi_window_get_page_id (self);
      GtkListBoxRow *row = id != NULL ? find_sidebar_row (self, id) : NULL;

      if (row != NULL)
        gtk_list_box_select_row (self->sidebar_list, row);
    }
}

static void
show_page_activated_cb (GtkWidget  *widget,
                        const char *action_name G_GNUC_UNUSED,
                        GVariant   *parameter)
{
  bendi_window_show_page (BENDI_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

static void
navigate_back_activated_cb (GtkWidget  *widget,
                            const char *action_name G_GNUC_UNUSED,
                            GVariant   *parameter G_GNUC_UNUSED)
{
  BendiWindow *self = BENDI_WINDOW (widget);

  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

static void
new_chat_activated_cb (GtkWidget  *widget,
                       const char *action_name G_GNUC_UNUSED,
                       GVariant   *parameter G_GNUC_UNUSED)
{
  BendiPage *page = bendi_window_show_page (BENDI_WINDOW (widget), "chat");

  if (page != NULL)
    gtk_widget_activate_action (GTK_WIDGET (page), "chat.new", NULL);
}

static void
chat_with_model_activated_cb (GtkWidget  *widget,
                              const char *action_name G_GNUC_UNUSED,
                              GVariant   *parameter)
{
  BendiWindow *self = BENDI_WINDOW (widget);
  const char *path = g_variant_get_string (parameter, NULL);
  BendiPage *page = bendi_window_show_page (self, "chat");

  /* Without the Chat page's own action, the model is the one it loads
   * next. */
  if (page == NULL || !gtk_widget_activate_action (GTK_WIDGET (page), "chat.load-model", "s", path))
    g_settings_set_string (self->settings, "chat-model", path);
}

static void
preferences_activated_cb (GtkWidget  *widget,
                          const char *action_name G_GNUC_UNUSED,
                          GVariant   *parameter G_GNUC_UNUSED)
{
  gtk_window_present (GTK_WINDOW (bendi_preferences_window_new (GTK_WINDOW (widget))));
}

static void
save_window_state (BendiWindow *self)
{
  int width = 0, height = 0;
  const char *page_id = bendi_window_get_page_id (self);

  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  g_settings_delay (self->settings);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (GTK_WINDOW (self)));
  if (!gtk_window_is_maximized (GTK_WINDOW (self)) && width > 0 && height > 0)
    {
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
  if (page_id != NULL)
    g_settings_set_string (self->settings, "last-page", page_id);
  g_settings_apply (self->settings);
}

static gboolean
bendi_window_close_request (GtkWindow *window)
{
  save_window_state (BENDI_WINDOW (window));
  return GTK_WINDOW_CLASS (bendi_window_parent_class)->close_request (window);
}

static void
bendi_window_dispose (GObject *object)
{
  BendiWindow *self = BENDI_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), BENDI_TYPE_WINDOW);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (bendi_window_parent_class)->dispose (object);
}

static void
bendi_window_class_init (BendiWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = bendi_window_dispose;
  window_class->close_request = bendi_window_close_request;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/bendi/Bendi/window.ui");
  gtk_widget_class_bind_template_child (widget_class, BendiWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, BendiWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, BendiWindow, sidebar_list);
  gtk_widget_class_bind_template_child (widget_class, BendiWindow, stack);
  gtk_widget_class_bind_template_callback (widget_class, sidebar_row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, leaflet_folded_cb);

  gtk_widget_class_install_action (widget_class, "win.show-page", "s", show_page_activated_cb);
  gtk_widget_class_install_action (widget_class, "win.navigate-back", NULL, navigate_back_activated_cb);
  gtk_widget_class_install_action (widget_class, "win.new-chat", NULL, new_chat_activated_cb);
  gtk_widget_class_install_action (widget_class, "win.chat-with-model", "s", chat_with_model_activated_cb);
  gtk_widget_class_install_action (widget_class, "win.preferences", NULL, preferences_activated_cb);
}

static void
bendi_window_init (BendiWindow *self)
{
  const BendiPageInfo *pages;
  gsize n_pages;
  g_autofree char *last_page = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  pages = bendi_pages_get (&n_pages);
  for (gsize i = 0; i < n_pages; i++)
    gtk_list_box_append (self->sidebar_list, create_sidebar_row (&pages[i]));

  self->settings = g_settings_new (BENDI_APP_ID);
  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  /* The models' shared state starts with the window: it runs the local API
   * server when that is switched on. */
  bendi_app_state_get_default ();

  /* The first start opens on the welcome page, which recommends models. */
  if (g_settings_get_boolean (self->settings, "show-welcome"))
    last_page = g_strdup ("welcome");
  else
    last_page = g_settings_get_string (self->settings, "last-page");
  if (bendi_pages_lookup (last_page) == NULL)
    {
      g_free (last_page);
      last_page = g_strdup (pages[0].id);
    }
  bendi_window_show_page (self, last_page);
}

BendiWindow *
bendi_window_new (BendiApplication *application)
{
  return g_object_new (BENDI_TYPE_WINDOW,
                       "application", application,
                       NULL);
}

BendiPage *
bendi_window_get_page (BendiWindow *self,
                       const char  *id)
{
  g_return_val_if_fail (BENDI_IS_WINDOW (self), NULL);

  return (BendiPage *) gtk_stack_get_child_by_name (self->stack, id);
}

BendiPage *
bendi_window_show_page (BendiWindow *self,
                        const char  *id)
{
  const BendiPageInfo *info;
  GtkWidget *page;
  GtkListBoxRow *row;

  g_return_val_if_fail (BENDI_IS_WINDOW (self), NULL);

  info = bendi_pages_lookup (id);
  if (info == NULL)
    {
      g_warning ("No page named “%s”", id);
      return NULL;
    }

  page = gtk_stack_get_child_by_name (self->stack, id);
  if (page == NULL)
    {
      page = g_object_new (info->get_type (), NULL);
      bendi_page_set_folded (BENDI_PAGE (page), adw_leaflet_get_folded (self->leaflet));
      gtk_stack_add_titled (self->stack, page, id, _(info->title));
    }
  gtk_stack_set_visible_child (self->stack, page);
  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->stack));

  row = find_sidebar_row (self, id);
  if (row != NULL && !adw_leaflet_get_folded (self->leaflet))
    gtk_list_box_select_row (self->sidebar_list, row);

  bendi_page_shown (BENDI_PAGE (page));
  return BENDI_PAGE (page);
}

const char *
bendi_window_get_page_id (BendiWindow *self)
{
  g_return_val_if_fail (BENDI_IS_WINDOW (self), NULL);

  return gtk_stack_get_visible_child_name (self->stack);
}

void
bendi_window_add_toast (BendiWindow *self,
                        AdwToast    *toast)
{
  g_return_if_fail (BENDI_IS_WINDOW (self));

  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}
