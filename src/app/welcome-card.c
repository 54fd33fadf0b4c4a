/* SPDX-License-Identifier: MIT */
/* A welcome card: one click lists the repository, queues the file a person would start with, follows it, and opens the chat. */
#define G_LOG_DOMAIN "bendi-app"

#include "welcome-card.h"

#include <glib/gi18n.h>

#include "app-error.h"
#include "app-format.h"
#include "app-state.h"
#include "fit-badge.h"
#include "window.h"

struct _BendiWelcomeCard
{
  GtkListBoxRow           parent_instance;

  GtkLabel               *role_label;
  GtkLabel               *name_label;
  GtkLabel               *facts_label;
  GtkLabel               *description_label;
  GtkWidget              *action_box;
  GtkButton              *action_button;
  GtkProgressBar         *progress_bar;
  GtkLabel               *status_label;

  BendiAppState          *state;
  BendiHubCatalogueEntry *entry;
  GCancellable           *cancellable;
  GPtrArray              *downloads;    /* BendiHubDownload, the parts of the file chosen */
  char                   *ready_path;   /* the downloaded model, once there */
  gboolean                started;      /* this card's button started the download */
};

G_DEFINE_FINAL_TYPE (BendiWelcomeCard, bendi_welcome_card, GTK_TYPE_LIST_BOX_ROW)

static void
set_status (BendiWelcomeCard *self,
            const char       *text,
            gboolean          is_error)
{
  gtk_label_set_text (self->status_label, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), text != NULL);
  if (is_error)
    gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "error");
}

static void
show_ready (BendiWelcomeCard *self,
            const char       *path)
{
  g_free (self->ready_path);
  self->ready_path = g_strdup (path);
  gtk_button_set_label (self->action_button, _("_Chat"));
  gtk_widget_set_sensitive (GTK_WIDGET (self->action_button), TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), FALSE);
  set_status (self, _("Downloaded: ready to chat."), FALSE);
}

static void
open_chat (BendiWelcomeCard *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "win.chat-with-model", "s", self->ready_path);
}

static void
downloads_changed_cb (BendiWelcomeCard *self)
{
  guint64 done = 0, total = 0;
  guint n_completed = 0;
  const GError *error = NULL;
  GtkRoot *root;

  for (guint i = 0; i < self->downloads->len; i++)
    {
      BendiHubDownload *download = g_ptr_array_index (self->downloads, i);
      BendiHubDownloadState state = bendi_hub_download_get_state (download);

      done += bendi_hub_download_get_downloaded_bytes (download);
      total += bendi_hub_download_get_total_bytes (download);
      n_completed += state == BENDI_HUB_DOWNLOAD_COMPLETED;
      if (state == BENDI_HUB_DOWNLOAD_FAILED)
        error = bendi_hub_download_get_error (download);
      if (state == BENDI_HUB_DOWNLOAD_CANCELLED)
        {
          g_ptr_array_set_size (self->downloads, 0);
          gtk_button_set_label (self->action_button, _("_Download and Chat"));
          gtk_widget_set_sensitive (GTK_WIDGET (self->action_button), TRUE);
          gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), FALSE);
          set_status (self, _("The download was cancelled."), FALSE);
          return;
        }
    }

  if (error != NULL)
    {
      g_autofree char *title = NULL;
      g_autofree char *description = NULL;

      bendi_app_error_describe (error, &title, &description);
      set_status (self, description, TRUE);
      gtk_button_set_label (self->action_button, _("_Try Again"));
      gtk_widget_set_sensitive (GTK_WIDGET (self->action_button), TRUE);
      return;
    }
  if (n_completed == self->downloads->len && self->downloads->len > 0)
    {
      const char *path = bendi_hub_download_get_destination (g_ptr_array_index (self->downloads, 0));

      show_ready (self, path);
      /* The one click was "download and chat": if the person is still here,
       * the chat opens by itself. */
      root = gtk_widget_get_root (GTK_WIDGET (self));
      if (self->started && BENDI_IS_WINDOW (root) &&
          g_strcmp0 (bendi_window_get_page_id (BENDI_WINDOW (root)), "welcome") == 0)
        {
          self->started = FALSE;
          open_chat (self);
        }
      return;
    }

  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), TRUE);
  gtk_progress_bar_set_fraction (self->progress_bar, total > 0 ? (double) done / (double) total : 0.0);
  {
    g_autofree char *done_text = g_format_size (done);
    g_autofree char *total_text = g_format_size (total);
    g_autofree char *text = g_strdup_printf (_("Downloading: %s of %s"), done_text, total_text);

    set_status (self, text, FALSE);
  }
}

static void
follow_downloads (BendiWelcomeCard *self,
                  GPtrArray        *downloads)
{
  for (guint i = 0; i < downloads->len; i++)
    {
      BendiHubDownload *download = g_ptr_array_index (downloads, i);

      g_ptr_array_add (self->downloads, g_object_ref (download));
      g_signal_connect_object (download, "notify", G_CALLBACK (downloads_changed_cb), self, G_CONNECT_SWAPPED);
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->action_button), FALSE);
  downloads_changed_cb (self);
}

static void
list_files_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (BendiWelcomeCard) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) files = bendi_hub_client_list_files_finish (BENDI_HUB_CLIENT (object), result, &error);
  g_autoptr (GPtrArray) groups = NULL;
  g_autoptr (GPtrArray) complete = g_ptr_array_new ();
  g_autoptr (GPtrArray) downloads = NULL;
  const BendiHubFileGroup *group;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  gtk_widget_set_sensitive (GTK_WIDGET (self->action_button), TRUE);
  if (files == NULL)
    {
      g_autofree char *title = NULL;
      g_autofree char *description = NULL;

      bendi_app_error_describe (error, &title, &description);
      set_status (self, description, TRUE);
      gtk_button_set_label (self->action_button, _("_Try Again"));
      return;
    }
  groups = bendi_hub_group_files (files);
  for (guint i = 0; i < groups->len; i++)
    if (((const BendiHubFileGroup *) g_ptr_array_index (groups, i))->complete)
      g_ptr_array_add (complete, g_ptr_array_index (groups, i));
  group = bendi_catalogue_fit_choose_group (complete, self->entry);
  if (group == NULL)
    {
      set_status (self, _("The hub lists no model file for it now."), TRUE);
      return;
    }
  self->started = TRUE;
  downloads = bendi_app_state_download_group (self->state, self->entry->repo_id, group);
  follow_downloads (self, downloads);
}

static void
action_clicked_cb (BendiWelcomeCard *self)
{
  BendiHubDownloadQueue *queue = bendi_app_state_get_downloads (self->state);

  if (self->ready_path != NULL)
    {
      open_chat (self);
      return;
    }
  /* Failed parts go back in line. */
  if (self->downloads->len > 0)
    {
      self->started = TRUE;
      for (guint i = 0; i < self->downloads->len; i++)
        bendi_hub_download_queue_resume (queue, g_ptr_array_index (self->downloads, i));
      gtk_widget_set_sensitive (GTK_WIDGET (self->action_button), FALSE);
      return;
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->action_button), FALSE);
  set_status (self, _("Finding the file…"), FALSE);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  bendi_hub_client_list_files_async (bendi_app_state_get_client (self->state), self->entry->repo_id, NULL,
                                     self->cancellable, list_files_cb, g_object_ref (self));
}

static void
details_clicked_cb (BendiWelcomeCard *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  BendiPage *page;

  if (!BENDI_IS_WINDOW (root))
    return;
  page = bendi_window_show_page (BENDI_WINDOW (root), "discover");
  if (page != NULL)
    gtk_widget_activate_action (GTK_WIDGET (page), "discover.show-model", "s", self->entry->repo_id);
}

/* A model downloaded before (another day, or from Discover) needs no
 * second download. */
static void
library_changed_cb (BendiWelcomeCard *self)
{
  GPtrArray *library = bendi_app_state_get_library (self->state);

  if (self->ready_path != NULL || self->downloads->len > 0 || library == NULL)
    return;
  for (guint i = 0; i < library->len; i++)
    {
      const BendiHubLocalModel *model = g_ptr_array_index (library, i);

      if (model->source == BENDI_HUB_SOURCE_BENDI && g_strcmp0 (model->repo_id, self->entry->repo_id) == 0)
        {
          show_ready (self, model->paths[0]);
          set_status (self, _("Already on this computer."), FALSE);
          return;
        }
    }
}

static void
bendi_welcome_card_dispose (GObject *object)
{
  BendiWelcomeCard *self = BENDI_WELCOME_CARD (object);

  g_cancellable_cancel (self->cancellable);
  if (self->state != NULL)
    g_signal_handlers_disconnect_by_data (self->state, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), BENDI_TYPE_WELCOME_CARD);

  G_OBJECT_CLASS (bendi_welcome_card_parent_class)->dispose (object);
}

static void
bendi_welcome_card_finalize (GObject *object)
{
  BendiWelcomeCard *self = BENDI_WELCOME_CARD (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->state);
  g_clear_pointer (&self->entry, bendi_hub_catalogue_entry_free);
  g_clear_pointer (&self->downloads, g_ptr_array_unref);
  g_free (self->ready_path);

  G_OBJECT_CLASS (bendi_welcome_card_parent_class)->finalize (object);
}

static void
bendi_welcome_card_class_init (BendiWelcomeCardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bendi_welcome_card_dispose;
  object_class->finalize = bendi_welcome_card_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/bendi/Bendi/welcome-card.ui");
  gtk_widget_class_bind_template_child (widget_class, BendiWelcomeCard, role_label);
  gtk_widget_class_bind_template_child (widget_class, BendiWelcomeCard, name_label);
  gtk_widget_class_bind_template_child (widget_class, BendiWelcomeCard, facts_label);
  gtk_widget_class_bind_template_child (widget_class, BendiWelcomeCard, description_label);
  gtk_widget_class_bind_template_child (widget_class, BendiWelcomeCard, action_box);
  gtk_widget_class_bind_template_child (widget_class, BendiWelcomeCard, action_button);
  gtk_widget_class_bind_template_child (widget_class, BendiWelcomeCard, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, BendiWelcomeCard, status_label);
  gtk_widget_class_bind_template_callback (widget_class, action_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, details_clicked_cb);
}

static void
bendi_welcome_card_init (BendiWelcomeCard *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->downloads = g_ptr_array_new_with_free_func (g_object_unref);
  self->state = g_object_ref (bendi_app_state_get_default ());
  gtk_button_set_label (self->action_button, _("_Download and Chat"));
  g_signal_connect_swapped (self->state, "notify::library", G_CALLBACK (library_changed_cb), self);
}

GtkWidget *
bendi_welcome_card_new (const BendiHubCatalogueEntry *entry,
                        const BendiCatalogueFit      *fit,
                        const char                   *role)
{
  BendiWelcomeCard *self = g_object_new (BENDI_TYPE_WELCOME_CARD, NULL);
  g_autofree char *size = g_format_size (fit->weights_bytes);
  g_autofree char *speed = bendi_format_speed (fit->tokens_per_s);
  g_autofree char *verdict = bendi_fit_badge_text (fit->verdict, 0, 0);
  g_autofree char *languages = bendi_format_languages ((const char *const *) entry->languages, 2);
  g_autofree char *facts = NULL;
  const char *description = bendi_format_prefers_chinese () ? entry->description_zh : entry->description_en;

  self->entry = bendi_hub_catalogue_entry_copy (entry);
  gtk_label_set_text (self->role_label, role);
  gtk_label_set_text (self->name_label, entry->name);
  /* TRANSLATORS: "about 4.7 GB · CPU only · about 12 tokens/s · English, Chinese and 11 more" */
  facts = fit->tokens_per_s > 0.0
          ? g_strdup_printf (_("about %s · %s · %s · %s"), size, verdict, speed, languages)
          : g_strdup_printf (_("about %s · %s · %s"), size, verdict, languages);
  gtk_label_set_text (self->facts_label, facts);
  gtk_label_set_text (self->description_label, description);
  library_changed_cb (self);
  return GTK_WIDGET (self);
}

const char *
bendi_welcome_card_get_repo_id (BendiWelcomeCard *self)
{
  g_return_val_if_fail (BENDI_IS_WELCOME_CARD (self), NULL);
  return self->entry->repo_id;
}
