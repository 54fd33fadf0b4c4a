/* SPDX-License-Identifier: MIT */
/* The Downloads page: a row per download of the shared queue, the list itself a view of the queue's model. */
#define G_LOG_DOMAIN "bendi-app"

#include "downloads-page.h"

#include <glib/gi18n.h>

#include "app-state.h"
#include "download-row.h"

struct _BendiDownloadsPage
{
  BendiPage      parent_instance;

  AdwHeaderBar  *header_bar;
  GtkStack      *stack;
  GtkListBox    *list;

  BendiAppState *state;
};

G_DEFINE_FINAL_TYPE (BendiDownloadsPage, bendi_downloads_page, BENDI_TYPE_PAGE)

static GtkWidget *
create_row (gpointer item,
            gpointer user_data G_GNUC_UNUSED)
{
  return bendi_download_row_new (BENDI_HUB_DOWNLOAD (item));
}

static gboolean
is_finished (BendiHubDownload *download)
{
  BendiHubDownloadState state = bendi_hub_download_get_state (download);

  return state == BENDI_HUB_DOWNLOAD_COMPLETED || state == BENDI_HUB_DOWNLOAD_CANCELLED;
}

static void
update_state (BendiDownloadsPage *self)
{
  GListModel *downloads = G_LIST_MODEL (bendi_app_state_get_downloads (self->state));
  guint n = g_list_model_get_n_items (downloads);
  gboolean any_finished = FALSE;

  for (guint i = 0; i < n && !any_finished; i++)
    {
      g_autoptr (BendiHubDownload) download = g_list_model_get_item (downloads, i);

      any_finished = is_finished (download);
    }
  gtk_stack_set_visible_child_name (self->stack, n > 0 ? "list" : "empty");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "downloads.clear-finished", any_finished);
}

static void
download_state_cb (BendiDownloadsPage *self)
{
  update_state (self);
}

static void
items_changed_cb (BendiDownloadsPage *self,
                  guint               position,
                  guint               removed G_GNUC_UNUSED,
                  guint               added)
{
  GListModel *downloads = G_LIST_MODEL (bendi_app_state_get_downloads (self->state));

  for (guint i = position; i < position + added; i++)
    {
      g_autoptr (BendiHubDownload) download = g_list_model_get_item (downloads, i);

      g_signal_connect_object (download, "notify::state", G_CALLBACK (download_state_cb), self,
                               G_CONNECT_SWAPPED);
    }
  update_state (self);
}

static void
clear_finished_activated_cb (GtkWidget  *widget,
                             const char *action_name G_GNUC_UNUSED,
                             GVariant   *parameter G_GNUC_UNUSED)
{
  BendiDownloadsPage *self = BENDI_DOWNLOADS_PAGE (widget);
  BendiHubDownloadQueue *queue = bendi_app_state_get_downloads (self->state);
  g_autoptr (GPtrArray) finished = g_ptr_array_new_with_free_func (g_object_unref);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (queue));

  for (guint i = 0; i < n; i++)
    {
      BendiHubDownload *download = g_list_model_get_item (G_LIST_MODEL (queue), i);

      if (is_finished (download))
        g_ptr_array_add (finished, download);
      else
        g_object_unref (download);
    }
  for (guint i = 0; i < finished->len; i++)
    bendi_hub_download_queue_remove (queue, g_ptr_array_index (finished, i));
}

static void
bendi_downloads_page_dispose (GObject *object)
{
  BendiDownloadsPage *self = BENDI_DOWNLOADS_PAGE (object);

  if (self->state != NULL)
    g_signal_handlers_disconnect_by_data (bendi_app_state_get_downloads (self->state), self);
  gtk_widget_dispose_template (GTK_WIDGET (self), BENDI_TYPE_DOWNLOADS_PAGE);
  g_clear_object (&self->state);

  G_OBJECT_CLASS (bendi_downloads_page_parent_class)->dispose (object);
}

static void
bendi_downloads_page_class_init (BendiDownloadsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bendi_downloads_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/bendi/Bendi/downloads-page.ui");
  gtk_widget_class_bind_template_child (widget_class, BendiDownloadsPage, header_bar);
  gtk_widget_class_bind_template_child (widget_class, BendiDownloadsPage, stack);
  gtk_widget_class_bind_template_child (widget_class, BendiDownloadsPage, list);

  gtk_widget_class_install_action (widget_class, "downloads.clear-finished", NULL, clear_finished_activated_cb);
}

static void
bendi_downloads_page_init (BendiDownloadsPage *self)
{
  BendiHubDownloadQueue *queue;
  guint n;

  gtk_widget_init_template (GTK_WIDGET (self));
  bendi_page_set_header_bar (BENDI_PAGE (self), self->header_bar);

  self->state = g_object_ref (bendi_app_state_get_default ());
  queue = bendi_app_state_get_downloads (self->state);
  gtk_list_box_bind_model (self->list, G_LIST_MODEL (queue), create_row, NULL, NULL);
  g_signal_connect_swapped (queue, "items-changed", G_CALLBACK (items_changed_cb), self);
  n = g_list_model_get_n_items (G_LIST_MODEL (queue));
  items_changed_cb (self, 0, 0, n);
}
