/* SPDX-License-Identifier: MIT */
/* My Models: the shared library listed, each file's header read in a worker thread to size it against this computer. */
#define G_LOG_DOMAIN "bendi-app"

#include "models-page.h"

#include <glib/gi18n.h>

#include "app-error.h"
#include "app-format.h"
#include "app-state.h"
#include "fit-badge.h"
#include "fit-model.h"
#include "model-details.h"
#include "remote-row.h"
#include "window.h"

struct _BendiModelsPage
{
  BendiPage          parent_instance;

  GtkStack          *stack;
  AdwHeaderBar      *header_bar;
  GtkStack          *content_stack;
  GtkSpinner        *spinner;
  AdwStatusPage     *error_status;
  GtkListBox        *list;
  GtkWidget         *remote_heading;
  GtkListBox        *remote_list;
  BendiModelDetails *details;

  BendiAppState     *state;
  GCancellable      *size_cancellable;
  GHashTable        *fit_models;      /* first path → BendiFitModel, or NULL when unreadable */
  GHashTable        *fit_errors;      /* first path → what is wrong with it */
  GHashTable        *badges;          /* first path → its row's badge (not owned) */
  GtkFileChooserNative *chooser;
};

G_DEFINE_FINAL_TYPE (BendiModelsPage, bendi_models_page, BENDI_TYPE_PAGE)

/* ------------------------------------------------------------------------ */
/* Sizing each model from its header */

typedef struct {
  char          *path;
  BendiFitModel *fit_model;
  GError        *error;
} Sized;

static void
sized_free (Sized *sized)
{
  g_free (sized->path);
  g_clear_pointer (&sized->fit_model, bendi_fit_model_free);
  g_clear_error (&sized->error);
  g_free (sized);
}

static void
size_thread (GTask        *task,
             gpointer      source_object G_GNUC_UNUSED,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GStrv paths = task_data;
  GPtrArray *sized = g_ptr_array_new_with_free_func ((GDestroyNotify) sized_free);

  for (guint i = 0; paths[i] != NULL && !g_cancellable_is_cancelled (cancellable); i++)
    {
      Sized *one = g_new0 (Sized, 1);
      g_autoptr (BendiGguf) gguf = bendi_gguf_open (paths[i], BENDI_GGUF_OPEN_DEFAULT, &one->error);

      one->path = g_strdup (paths[i]);
      if (gguf != NULL)
        one->fit_model = bendi_fit_model_new (gguf, &one->error);
      g_ptr_array_add (sized, one);
    }
  g_task_return_pointer (task, sized, (GDestroyNotify) g_ptr_array_unref);
}

static void
update_badge (BendiModelsPage *self,
              const char      *path,
              GtkWidget       *badge)
{
  const BendiHwInfo *hw = bendi_app_state_get_hardware (self->state);
  BendiFitModel *fit_model = g_hash_table_lookup (self->fit_models, path);
  const char *error = g_hash_table_lookup (self->fit_errors, path);

  if (error != NULL)
    {
      bendi_fit_badge_set_text (badge, _("Damaged"), TRUE);
      gtk_widget_set_tooltip_text (badge, error);
    }
  else if (fit_model != NULL && hw != NULL)
    {
      g_autoptr (BendiFitResult) fit = bendi_fit_estimate (fit_model, hw, NULL);
      g_autofree char *speed = bendi_format_speed (fit->est_gen_tokens_per_s);

      bendi_fit_badge_set (badge, fit->verdict, fit->gpu_layers, fit->n_layers);
      gtk_widget_set_tooltip_text (badge, fit->verdict != BENDI_FIT_VERDICT_NO ? speed : NULL);
    }
  else
    bendi_fit_badge_set_text (badge, _("Checking…"), FALSE);
}

static void
update_badges (BendiModelsPage *self)
{
  GHashTableIter iter;
  gpointer path, badge;

  g_hash_table_iter_init (&iter, self->badges);
  while (g_hash_table_iter_next (&iter, &path, &badge))
    update_badge (self, path, badge);
}

static void
size_cb (GObject      *object G_GNUC_UNUSED,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (BendiModelsPage) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) sized = g_task_propagate_pointer (G_TASK (result), &error);

  if (sized == NULL)
    return;
  for (guint i = 0; i < sized->len; i++)
    {
      Sized *one = g_ptr_array_index (sized, i);

      if (one->fit_model != NULL)
        g_hash_table_replace (self->fit_models, g_strdup (one->path), g_steal_pointer (&one->fit_model));
      else
        {
          g_autofree char *title = NULL;
          g_autofree char *description = NULL;

          bendi_app_error_describe (one->error, &title, &description);
          g_hash_table_replace (self->fit_errors, g_strdup (one->path), g_steal_pointer (&description));
        }
    }
  update_badges (self);
}

/* Reads the headers not read yet; a file that changed on disk keeps its
 * path, so a refresh forgets them all. */
static void
size_models (BendiModelsPage *self,
             GPtrArray       *library)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr (GTask) task = NULL;
  GStrv paths;

  g_cancellable_cancel (self->size_cancellable);
  g_clear_object (&self->size_cancellable);
  self->size_cancellable = g_cancellable_new ();
  for (guint i = 0; i < library->len; i++)
    {
      const BendiHubLocalModel *model = g_ptr_array_index (library, i);

      if (!g_hash_table_contains (self->fit_models, model->paths[0]) &&
          !g_hash_table_contains (self->fit_errors, model->paths[0]))
        g_strv_builder_add (builder, model->paths[0]);
    }
  paths = g_strv_builder_end (builder);
  if (paths[0] == NULL)
    {
      g_strfreev (paths);
      return;
    }
  task = g_task_new (NULL, self->size_cancellable, size_cb, g_object_ref (self));
  g_task_set_source_tag (task, size_models);
  g_task_set_task_data (task, paths, (GDestroyNotify) g_strfreev);
  g_task_run_in_thread (task, size_thread);
}

/* ------------------------------------------------------------------------ */
/* The list */

static const BendiHubLocalModel *
find_model (BendiModelsPage *self,
            const char      *path)
{
  GPtrArray *library = bendi_app_state_get_library (self->state);

  for (guint i = 0; library != NULL && i < library->len; i++)
    {
      const BendiHubLocalModel *model = g_ptr_array_index (library, i);

      if (g_strcmp0 (model->paths[0], path) == 0)
        return model;
    }
  return NULL;
}

static GMenuModel *
create_row_menu (const BendiHubLocalModel *model)
{
  GMenu *menu = g_menu_new ();
  g_autoptr (GMenuItem) details = g_menu_item_new (_("_Details"), NULL);
  g_autoptr (GMenuItem) show = g_menu_item_new (_("_Show in Files"), NULL);

  g_menu_item_set_action_and_target_value (details, "models.details", g_variant_new_string (model->paths[0]));
  g_menu_item_set_action_and_target_value (show, "models.show-in-files", g_variant_new_string (model->paths[0]));
  g_menu_append_item (menu, details);
  g_menu_append_item (menu, show);
  /* LM Studio's and Ollama's models are theirs to remove. */
  if (model->source == BENDI_HUB_SOURCE_BENDI || model->source == BENDI_HUB_SOURCE_IMPORTED)
    {
      g_autoptr (GMenu) section = g_menu_new ();
      g_autoptr (GMenuItem) remove = g_menu_item_new (_("_Remove…"), NULL);

      g_menu_item_set_action_and_target_value (remove, "models.remove", g_variant_new_string (model->paths[0]));
      g_menu_append_item (section, remove);
      g_menu_append_section (menu, NULL, G_MENU_MODEL (section));
    }
  return G_MENU_MODEL (menu);
}

/* The row's button that opens a chat with the model at @path (a file or a
 * remote model's path). */
static GtkWidget *
chat_button_new (const char *path)
{
  GtkWidget *chat = gtk_button_new_from_icon_name ("bendi-chat-symbolic");

  gtk_actionable_set_action_name (GTK_ACTIONABLE (chat), "win.chat-with-model");
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (chat), g_variant_new_string (path));
  gtk_widget_set_tooltip_text (chat, _("Chat with this model"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (chat), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Chat with this model"),
                                  -1);
  gtk_widget_set_valign (chat, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (chat, "flat");
  return chat;
}

static GtkWidget *
create_row (BendiModelsPage          *self,
            const BendiHubLocalModel *model)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *badge = bendi_fit_badge_new ();
  GtkWidget *chat = chat_button_new (model->paths[0]);
  GtkWidget *menu_button = gtk_menu_button_new ();
  g_autoptr (GMenuModel) menu = create_row_menu (model);
  g_autoptr (GString) subtitle = g_string_new (NULL);
  g_autofree char *title = g_path_get_basename (model->name);
  g_autofree char *size = g_format_size (model->size);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  g_string_append (subtitle, size);
  if (model->quant != NULL)
    g_string_append_printf (subtitle, " · %s", model->quant);
  if (model->architecture != NULL)
    g_string_append_printf (subtitle, " · %s", model->architecture);
  g_string_append_printf (subtitle, " · %s", bendi_format_source (model->source));
  if (model->repo_id != NULL)
    g_string_append_printf (subtitle, "\n%s", model->repo_id);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle->str);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 3);

  adw_action_row_add_suffix (ADW_ACTION_ROW (row), badge);
  g_hash_table_replace (self->badges, g_strdup (model->paths[0]), badge);
  if (model->architecture == NULL)
    g_hash_table_replace (self->fit_errors, g_strdup (model->paths[0]),
                          g_strdup (_("The file is damaged or is not a GGUF model.")));
  update_badge (self, model->paths[0], badge);

  /* A file the engine cannot read cannot be chatted with. */
  gtk_widget_set_sensitive (chat, model->architecture != NULL);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), chat);

  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (menu_button), "view-more-symbolic");
  gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (menu_button), menu);
  gtk_widget_set_tooltip_text (menu_button, _("More"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (menu_button), GTK_ACCESSIBLE_PROPERTY_LABEL, _("More"), -1);
  gtk_widget_set_valign (menu_button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (menu_button, "flat");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), menu_button);

  g_object_set_data_full (G_OBJECT (row), "bendi-path", g_strdup (model->paths[0]), g_free);
  return row;
}

static void
clear_list (BendiModelsPage *self)
{
  GtkWidget *child;

  g_hash_table_remove_all (self->badges);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_list_box_remove (self->list, child);
}

static gboolean
has_remote (BendiModelsPage *self)
{
  return bendi_remote_models_get_endpoints (bendi_app_state_get_remote_models (self->state))->len > 0;
}

/* The remote endpoints' models, each with its chat button; an endpoint
 * that did not answer is a row that says so. */
static void
remote_changed_cb (BendiModelsPage *self)
{
  GPtrArray *endpoints = bendi_remote_models_get_endpoints (bendi_app_state_get_remote_models (self->state));
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->remote_list))) != NULL)
    gtk_list_box_remove (self->remote_list, child);
  for (guint i = 0; i < endpoints->len; i++)
    {
      const BendiRemoteEndpoint *endpoint = g_ptr_array_index (endpoints, i);
      const char *name = endpoint->connection->name;

      GtkWidget *state_row = bendi_remote_row_new_state (endpoint);

      if (state_row != NULL)
        gtk_list_box_append (self->remote_list, state_row);
      for (guint j = 0; j < endpoint->models->len; j++)
        {
          const BendiRemoteModel *model = g_ptr_array_index (endpoint->models, j);
          g_autofree char *subtitle = NULL;
          g_autofree char *path = bendi_remote_model_path_new (endpoint->connection->id, model->id);
          GtkWidget *row;

          if (model->context_length > 0)
            {
              g_autofree char *tokens = g_strdup_printf ("%'" G_GINT64_FORMAT, model->context_length);

              /* TRANSLATORS: where a remote model runs and its context, "on Lab server · 8,192 tokens of context" */
              subtitle = g_strdup_printf (_("on %s · %s tokens of context"), name, tokens);
            }
          else
            subtitle = g_strdup_printf (_("on %s"), name);
          row = bendi_remote_row_new ("network-server-symbolic", model->id, subtitle);
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), chat_button_new (path));
          g_object_set_data_full (G_OBJECT (row), "bendi-path", g_steal_pointer (&path), g_free);
          gtk_list_box_append (self->remote_list, row);
        }
    }
  gtk_widget_set_visible (self->remote_heading, endpoints->len > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->remote_list), endpoints->len > 0);
  if (endpoints->len > 0 && g_strcmp0 (gtk_stack_get_visible_child_name (self->content_stack), "empty") == 0)
    gtk_stack_set_visible_child_name (self->content_stack, "list");
}

static void
library_changed_cb (BendiModelsPage *self)
{
  GPtrArray *library = bendi_app_state_get_library (self->state);
  const GError *error = bendi_app_state_get_library_error (self->state);

  clear_list (self);
  if (library == NULL)
    {
      gtk_spinner_start (self->spinner);
      gtk_stack_set_visible_child_name (self->content_stack, "loading");
      return;
    }
  gtk_spinner_stop (self->spinner);
  if (error != NULL)
    {
      g_autofree char *title = NULL;
      g_autofree char *description = NULL;

      bendi_app_error_describe (error, &title, &description);
      adw_status_page_set_description (self->error_status, description);
      gtk_stack_set_visible_child_name (self->content_stack, "error");
      return;
    }
  for (guint i = 0; i < library->len; i++)
    gtk_list_box_append (self->list, create_row (self, g_ptr_array_index (library, i)));
  gtk_stack_set_visible_child_name (self->content_stack, library->len > 0 || has_remote (self) ? "list" : "empty");
  size_models (self, library);

  /* The details of a model that is gone make no sense. */
  if (g_str_equal (gtk_stack_get_visible_child_name (self->stack), "details") &&
      find_model (self, bendi_model_details_get_path (self->details)) == NULL)
    gtk_stack_set_visible_child_name (self->stack, "library");
}

static void
row_activated_cb (BendiModelsPage *self,
                  GtkListBoxRow   *row)
{
  bendi_models_page_show_details (self, g_object_get_data (G_OBJECT (row), "bendi-path"));
}

/* ------------------------------------------------------------------------ */
/* Actions */

static void
add_toast (BendiModelsPage *self,
           const char      *title)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (BENDI_IS_WINDOW (root))
    bendi_window_add_toast (BENDI_WINDOW (root), adw_toast_new (title));
}

static void
details_activated_cb (GtkWidget  *widget,
                      const char *action_name G_GNUC_UNUSED,
                      GVariant   *parameter)
{
  bendi_models_page_show_details (BENDI_MODELS_PAGE (widget), g_variant_get_string (parameter, NULL));
}

static void
back_activated_cb (GtkWidget  *widget,
                   const char *action_name G_GNUC_UNUSED,
                   GVariant   *parameter G_GNUC_UNUSED)
{
  gtk_stack_set_visible_child_name (BENDI_MODELS_PAGE (widget)->stack, "library");
}

static void
refresh_activated_cb (GtkWidget  *widget,
                      const char *action_name G_GNUC_UNUSED,
                      GVariant   *parameter G_GNUC_UNUSED)
{
  BendiModelsPage *self = BENDI_MODELS_PAGE (widget);

  g_hash_table_remove_all (self->fit_models);
  g_hash_table_remove_all (self->fit_errors);
  bendi_app_state_rescan_library (self->state);
  bendi_remote_models_refresh (bendi_app_state_get_remote_models (self->state));
}

static void
show_items_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autofree char *folder_uri = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &error);

  /* Without a file manager that shows a file, open its folder. */
  if (reply == NULL)
    gtk_show_uri (NULL, folder_uri, GDK_CURRENT_TIME);
}

static void
show_in_files_activated_cb (GtkWidget  *widget,
                            const char *action_name G_GNUC_UNUSED,
                            GVariant   *parameter)
{
  const char *path = g_variant_get_string (parameter, NULL);
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFile) folder = g_file_get_parent (file);
  g_autofree char *uri = g_file_get_uri (file);
  char *folder_uri = folder != NULL ? g_file_get_uri (folder) : g_strdup (uri);
  GDBusConnection *bus = g_application_get_dbus_connection (g_application_get_default ());
  const char *uris[] = { uri, NULL };
  GtkRoot *root = gtk_widget_get_root (widget);

  if (bus == NULL)
    {
      gtk_show_uri (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, folder_uri, GDK_CURRENT_TIME);
      g_free (folder_uri);
      return;
    }
  /* The file manager's own way to show a file selected in its folder. */
  g_dbus_connection_call (bus, "org.freedesktop.FileManager1", "/org/freedesktop/FileManager1",
                          "org.freedesktop.FileManager1", "ShowItems", g_variant_new ("(^ass)", uris, ""), NULL,
                          G_DBUS_CALL_FLAGS_NONE, -1, NULL, show_items_cb, folder_uri);
}

static void
remove_response_cb (AdwMessageDialog *dialog,
                    const char       *response G_GNUC_UNUSED,
                    BendiModelsPage  *self)
{
  const char *path = g_object_get_data (G_OBJECT (dialog), "bendi-path");
  const BendiHubLocalModel *model = find_model (self, path);
  g_autoptr (GError) error = NULL;

  if (model == NULL)
    return;
  if (!bendi_hub_library_remove (bendi_hub_config_get_models_dir (bendi_app_state_get_config (self->state)), model,
                                 &error))
    {
      g_autofree char *title = NULL;
      g_autofree char *description = NULL;
      g_autofree char *text = NULL;

      bendi_app_error_describe (error, &title, &description);
      text = g_strdup_printf (_("%s: %s"), title, description);
      add_toast (self, text);
      return;
    }
  g_hash_table_remove (self->fit_models, path);
  g_hash_table_remove (self->fit_errors, path);
  bendi_app_state_rescan_library (self->state);
}

static void
remove_activated_cb (GtkWidget  *widget,
                     const char *action_name G_GNUC_UNUSED,
                     GVariant   *parameter)
{
  BendiModelsPage *self = BENDI_MODELS_PAGE (widget);
  const char *path = g_variant_get_string (parameter, NULL);
  const BendiHubLocalModel *model = find_model (self, path);
  GtkRoot *root = gtk_widget_get_root (widget);
  g_autofree char *name = NULL;
  g_autofree char *heading = NULL;
  g_autofree char *size = NULL;
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  if (model == NULL)
    return;
  name = g_path_get_basename (model->name);
  /* TRANSLATORS: %s is a model's file name */
  heading = g_strdup_printf (_("Remove %s?"), name);
  size = g_format_size (model->size);
  if (model->source == BENDI_HUB_SOURCE_IMPORTED)
    body = g_strdup (_("Bendi forgets this model. The file itself stays where it is."));
  else
    /* TRANSLATORS: %s is a size like "4.7 GB" */
    body = g_strdup_printf (_("The model’s files are deleted from this computer, freeing %s. You can download it "
                              "again later."), size);
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading, body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "remove", _("_Remove"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "remove", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "bendi-path", g_strdup (path), g_free);
  g_signal_connect_object (dialog, "response::remove", G_CALLBACK (remove_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
chooser_response_cb (BendiModelsPage      *self,
                     int                   response,
                     GtkFileChooserNative *chooser)
{
  g_autoptr (GFile) file = NULL;
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  g_clear_object (&self->chooser);
  if (file == NULL || (path = g_file_get_path (file)) == NULL)
    return;
  if (!bendi_hub_library_import (bendi_hub_config_get_models_dir (bendi_app_state_get_config (self->state)), path,
                                 &error))
    {
      g_autofree char *title = NULL;
      g_autofree char *description = NULL;
      g_autofree char *text = NULL;

      bendi_app_error_describe (error, &title, &description);
      text = g_strdup_printf (_("%s: %s"), title, description);
      add_toast (self, text);
      return;
    }
  bendi_app_state_rescan_library (self->state);
}

static void
import_activated_cb (GtkWidget  *widget,
                     const char *action_name G_GNUC_UNUSED,
                     GVariant   *parameter G_GNUC_UNUSED)
{
  BendiModelsPage *self = BENDI_MODELS_PAGE (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();

  if (self->chooser != NULL)
    return;
  self->chooser = gtk_file_chooser_native_new (_("Add a GGUF File"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                               GTK_FILE_CHOOSER_ACTION_OPEN, _("_Add"), _("_Cancel"));
  gtk_file_filter_set_name (filter, _("GGUF models"));
  gtk_file_filter_add_suffix (filter, "gguf");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_signal_connect_swapped (self->chooser, "response", G_CALLBACK (chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* ------------------------------------------------------------------------ */

static void
bendi_models_page_shown (BendiPage *page)
{
  BendiModelsPage *self = BENDI_MODELS_PAGE (page);

  bendi_app_state_probe_hardware (self->state);
  bendi_app_state_ensure_library (self->state);
}

static void
bendi_models_page_dispose (GObject *object)
{
  BendiModelsPage *self = BENDI_MODELS_PAGE (object);

  g_cancellable_cancel (self->size_cancellable);
  if (self->state != NULL)
    g_signal_handlers_disconnect_by_data (self->state, self);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  if (self->badges != NULL)
    g_hash_table_remove_all (self->badges);
  /* The bin's child is a template child too: taken out first, or both
   * gtk_widget_dispose_template () and AdwBin would unparent it. */
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), BENDI_TYPE_MODELS_PAGE);

  G_OBJECT_CLASS (bendi_models_page_parent_class)->dispose (object);
}

static void
bendi_models_page_finalize (GObject *object)
{
  BendiModelsPage *self = BENDI_MODELS_PAGE (object);

  g_clear_object (&self->size_cancellable);
  g_clear_object (&self->state);
  g_clear_pointer (&self->fit_models, g_hash_table_unref);
  g_clear_pointer (&self->fit_errors, g_hash_table_unref);
  g_clear_pointer (&self->badges, g_hash_table_unref);

  G_OBJECT_CLASS (bendi_models_page_parent_class)->finalize (object);
}

static void
bendi_models_page_class_init (BendiModelsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  BendiPageClass *page_class = BENDI_PAGE_CLASS (klass);

  object_class->dispose = bendi_models_page_dispose;
  object_class->finalize = bendi_models_page_finalize;
  page_class->shown = bendi_models_page_shown;

  g_type_ensure (BENDI_TYPE_MODEL_DETAILS);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/bendi/Bendi/models-page.ui");
  gtk_widget_class_bind_template_child (widget_class, BendiModelsPage, stack);
  gtk_widget_class_bind_template_child (widget_class, BendiModelsPage, header_bar);
  gtk_widget_class_bind_template_child (widget_class, BendiModelsPage, content_stack);
  gtk_widget_class_bind_template_child (widget_class, BendiModelsPage, spinner);
  gtk_widget_class_bind_template_child (widget_class, BendiModelsPage, error_status);
  gtk_widget_class_bind_template_child (widget_class, BendiModelsPage, list);
  gtk_widget_class_bind_template_child (widget_class, BendiModelsPage, remote_heading);
  gtk_widget_class_bind_template_child (widget_class, BendiModelsPage, remote_list);
  gtk_widget_class_bind_template_child (widget_class, BendiModelsPage, details);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);

  gtk_widget_class_install_action (widget_class, "models.details", "s", details_activated_cb);
  gtk_widget_class_install_action (widget_class, "models.back", NULL, back_activated_cb);
  gtk_widget_class_install_action (widget_class, "models.refresh", NULL, refresh_activated_cb);
  gtk_widget_class_install_action (widget_class, "models.show-in-files", "s", show_in_files_activated_cb);
  gtk_widget_class_install_action (widget_class, "models.remove", "s", remove_activated_cb);
  gtk_widget_class_install_action (widget_class, "models.import", NULL, import_activated_cb);
}

static void
bendi_models_page_init (BendiModelsPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  bendi_page_set_header_bar (BENDI_PAGE (self), self->header_bar);
  g_object_bind_property (self, "folded", bendi_model_details_get_header_bar (self->details),
                          "show-start-title-buttons", G_BINDING_SYNC_CREATE);

  self->fit_models = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) bendi_fit_model_free);
  self->fit_errors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->badges = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->state = g_object_ref (bendi_app_state_get_default ());
  g_signal_connect_swapped (self->state, "notify::library", G_CALLBACK (library_changed_cb), self);
  g_signal_connect_swapped (self->state, "notify::hardware", G_CALLBACK (update_badges), self);
  g_signal_connect_object (bendi_app_state_get_remote_models (self->state), "changed", G_CALLBACK (remote_changed_cb),
                           self, G_CONNECT_SWAPPED);
  library_changed_cb (self);
  remote_changed_cb (self);
}

gboolean
bendi_models_page_show_details (BendiModelsPage *self,
                                const char      *path)
{
  const BendiHubLocalModel *model;

  g_return_val_if_fail (BENDI_IS_MODELS_PAGE (self), FALSE);

  model = find_model (self, path);
  if (model == NULL)
    return FALSE;
  bendi_model_details_show (self->details, model);
  gtk_stack_set_visible_child_name (self->stack, "details");
  return TRUE;
}
