/* SPDX-License-Identifier: MIT */
/* A download's row: follows its progress as the hub notifies it, and offers only what its state allows. */
#define G_LOG_DOMAIN "bendi-app"

#include "download-row.h"

#include <glib/gi18n.h>

#include "app-error.h"
#include "app-format.h"
#include "app-state.h"

struct _BendiDownloadRow
{
  GtkListBoxRow     parent_instance;

  GtkLabel         *title_label;
  GtkLabel         *repo_label;
  GtkButton        *chat_button;
  GtkButton        *pause_button;
  GtkButton        *resume_button;
  GtkButton        *retry_button;
  GtkButton        *cancel_button;
  GtkButton        *remove_button;
  GtkProgressBar   *progress_bar;
  GtkLabel         *status_label;

  BendiHubDownload *download;
};

G_DEFINE_FINAL_TYPE (BendiDownloadRow, bendi_download_row, GTK_TYPE_LIST_BOX_ROW)

/* "1.2 GB of 4.7 GB" */
static char *
format_amount (BendiHubDownload *download)
{
  g_autofree char *done = g_format_size (bendi_hub_download_get_downloaded_bytes (download));
  guint64 total_bytes = bendi_hub_download_get_total_bytes (download);
  g_autofree char *total = g_format_size (total_bytes);

  if (total_bytes == 0)
    return g_steal_pointer (&done);
  /* TRANSLATORS: progress of a download: "1.2 GB of 4.7 GB" */
  return g_strdup_printf (_("%s of %s"), done, total);
}

static char *
format_running (BendiHubDownload *download)
{
  g_autofree char *amount = format_amount (download);
  g_autofree char *rate = bendi_format_transfer_rate (bendi_hub_download_get_speed (download));
  g_autofree char *remaining = bendi_format_remaining (bendi_hub_download_get_remaining_seconds (download));

  if (bendi_hub_download_get_speed (download) <= 0.0)
    return g_steal_pointer (&amount);
  if (remaining == NULL)
    return g_strdup_printf ("%s · %s", amount, rate);
  return g_strdup_printf ("%s · %s · %s", amount, rate, remaining);
}

static void
update (BendiDownloadRow *self)
{
  BendiHubDownloadState state = bendi_hub_download_get_state (self->download);
  guint64 total = bendi_hub_download_get_total_bytes (self->download);
  guint64 done = bendi_hub_download_get_downloaded_bytes (self->download);
  g_autofree char *status = NULL;
  gboolean is_error = FALSE;
  gboolean show_progress = TRUE;

  switch (state)
    {
    case BENDI_HUB_DOWNLOAD_QUEUED:
      status = g_strdup (_("Waiting for another download to finish"));
      break;
    case BENDI_HUB_DOWNLOAD_WAITING:
      status = g_strdup (_("Waiting: another download of this file is running"));
      break;
    case BENDI_HUB_DOWNLOAD_RUNNING:
      status = format_running (self->download);
      break;
    case BENDI_HUB_DOWNLOAD_VERIFYING:
      status = g_strdup (_("Checking the file…"));
      break;
    case BENDI_HUB_DOWNLOAD_PAUSED:
      {
        g_autofree char *amount = format_amount (self->download);

        /* TRANSLATORS: %s is "1.2 GB of 4.7 GB" */
        status = g_strdup_printf (_("Paused · %s"), amount);
      }
      break;
    case BENDI_HUB_DOWNLOAD_COMPLETED:
      {
        g_autofree char *size = g_format_size (total > 0 ? total : done);

        /* TRANSLATORS: %s is a size like "4.7 GB" */
        status = g_strdup_printf (_("Downloaded · %s"), size);
        show_progress = FALSE;
      }
      break;
    case BENDI_HUB_DOWNLOAD_FAILED:
      {
        g_autofree char *title = NULL;
        g_autofree char *description = NULL;

        bendi_app_error_describe (bendi_hub_download_get_error (self->download), &title, &description);
        /* TRANSLATORS: why a download failed: "No Internet Connection: Connect to…" */
        status = g_strdup_printf (_("%s: %s"), title, description);
        is_error = TRUE;
      }
      break;
    case BENDI_HUB_DOWNLOAD_CANCELLED:
    default:
      status = g_strdup (_("Cancelled"));
      show_progress = FALSE;
      break;
    }

  gtk_label_set_text (self->status_label, status);
  if (is_error)
    gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "error");
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), show_progress);
  gtk_progress_bar_set_fraction (self->progress_bar, total > 0 ? (double) done / (double) total : 0.0);

  /* Only what the state allows. A queued download has not started: it can
   * be taken out of the queue, not paused. */
  gtk_widget_set_visible (GTK_WIDGET (self->pause_button),
                          state == BENDI_HUB_DOWNLOAD_RUNNING || state == BENDI_HUB_DOWNLOAD_WAITING);
  gtk_widget_set_visible (GTK_WIDGET (self->resume_button), state == BENDI_HUB_DOWNLOAD_PAUSED);
  gtk_widget_set_visible (GTK_WIDGET (self->retry_button), state == BENDI_HUB_DOWNLOAD_FAILED);
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button),
                          state != BENDI_HUB_DOWNLOAD_COMPLETED && state != BENDI_HUB_DOWNLOAD_CANCELLED &&
                          state != BENDI_HUB_DOWNLOAD_VERIFYING);
  gtk_widget_set_visible (GTK_WIDGET (self->remove_button),
                          state == BENDI_HUB_DOWNLOAD_COMPLETED || state == BENDI_HUB_DOWNLOAD_CANCELLED);
  /* A split model is chatted with through its first part. */
  gtk_widget_set_visible (GTK_WIDGET (self->chat_button),
                          state == BENDI_HUB_DOWNLOAD_COMPLETED &&
                          bendi_hub_download_get_file (self->download)->split_index <= 1);
}

static void
chat_clicked_cb (BendiDownloadRow *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "win.chat-with-model", "s",
                              bendi_hub_download_get_destination (self->download));
}

static void
pause_clicked_cb (BendiDownloadRow *self)
{
  bendi_hub_download_pause (self->download);
}

static void
resume_clicked_cb (BendiDownloadRow *self)
{
  bendi_hub_download_queue_resume (bendi_app_state_get_downloads (bendi_app_state_get_default ()), self->download);
}

static void
cancel_clicked_cb (BendiDownloadRow *self)
{
  BendiHubDownloadQueue *queue = bendi_app_state_get_downloads (bendi_app_state_get_default ());
  BendiHubDownloadState state = bendi_hub_download_get_state (self->download);
  g_autoptr (BendiHubDownload) download = g_object_ref (self->download);

  bendi_hub_download_cancel (download);
  /* One that never started would still start when its turn came. */
  if (state == BENDI_HUB_DOWNLOAD_QUEUED)
    bendi_hub_download_queue_remove (queue, download);
}

static void
remove_clicked_cb (BendiDownloadRow *self)
{
  g_autoptr (BendiHubDownload) download = g_object_ref (self->download);

  bendi_hub_download_queue_remove (bendi_app_state_get_downloads (bendi_app_state_get_default ()), download);
}

static void
bendi_download_row_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), BENDI_TYPE_DOWNLOAD_ROW);

  G_OBJECT_CLASS (bendi_download_row_parent_class)->dispose (object);
}

static void
bendi_download_row_finalize (GObject *object)
{
  BendiDownloadRow *self = BENDI_DOWNLOAD_ROW (object);

  g_clear_object (&self->download);

  G_OBJECT_CLASS (bendi_download_row_parent_class)->finalize (object);
}

static void
bendi_download_row_class_init (BendiDownloadRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bendi_download_row_dispose;
  object_class->finalize = bendi_download_row_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/bendi/Bendi/download-row.ui");
  gtk_widget_class_bind_template_child (widget_class, BendiDownloadRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, BendiDownloadRow, repo_label);
  gtk_widget_class_bind_template_child (widget_class, BendiDownloadRow, chat_button);
  gtk_widget_class_bind_template_child (widget_class, BendiDownloadRow, pause_button);
  gtk_widget_class_bind_template_child (widget_class, BendiDownloadRow, resume_button);
  gtk_widget_class_bind_template_child (widget_class, BendiDownloadRow, retry_button);
  gtk_widget_class_bind_template_child (widget_class, BendiDownloadRow, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, BendiDownloadRow, remove_button);
  gtk_widget_class_bind_template_child (widget_class, BendiDownloadRow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, BendiDownloadRow, status_label);
  gtk_widget_class_bind_template_callback (widget_class, chat_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, pause_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, resume_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, cancel_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, remove_clicked_cb);
}

static void
bendi_download_row_init (BendiDownloadRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
bendi_download_row_new (BendiHubDownload *download)
{
  BendiDownloadRow *self;
  g_autofree char *name = NULL;

  g_return_val_if_fail (BENDI_HUB_IS_DOWNLOAD (download), NULL);

  self = g_object_new (BENDI_TYPE_DOWNLOAD_ROW, NULL);
  self->download = g_object_ref (download);
  name = g_path_get_basename (bendi_hub_download_get_file (download)->path);
  gtk_label_set_text (self->title_label, name);
  gtk_label_set_text (self->repo_label, bendi_hub_download_get_repo_id (download));
  g_signal_connect_object (download, "notify", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  update (self);
  return GTK_WIDGET (self);
}

BendiHubDownload *
bendi_download_row_get_download (BendiDownloadRow *self)
{
  g_return_val_if_fail (BENDI_IS_DOWNLOAD_ROW (self), NULL);
  return self->download;
}
