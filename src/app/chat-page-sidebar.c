/* SPDX-License-Identifier: MIT */
/* The Chat page's conversation list (search, rename, delete with undo, export) and its model chooser. */
#define G_LOG_DOMAIN "bendi-app"

#include "chat-page-private.h"

#include <glib/gi18n.h>

#include "hub-config.h"
#include "hub-library.h"
#include "remote-row.h"
#include "window.h"

static void model_row_activated_cb (BendiChatPage *self,
                                    GtkListBoxRow *row);

/* ------------------------------------------------------------------------ */
/* The list */

static char *
format_date (gint64 unix_time)
{
  g_autoptr (GDateTime) then = g_date_time_new_from_unix_local (unix_time);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  int days;

  if (then == NULL)
    return g_strdup ("");
  days = g_date_time_get_day_of_year (now) - g_date_time_get_day_of_year (then);
  if (g_date_time_get_year (now) == g_date_time_get_year (then) && days == 0)
    /* TRANSLATORS: when a conversation of today last changed, in
     * g_date_time_format ()'s notation: "14:05". %X would add seconds. */
    return g_date_time_format (then, _("%H:%M"));
  if (g_date_time_get_year (now) == g_date_time_get_year (then) && days == 1)
    return g_strdup (_("Yesterday"));
  return g_date_time_format (then, "%x");
}

static void
update_conversation_row (GtkListBoxRow *row)
{
  BendiConversation *conversation = g_object_get_data (G_OBJECT (row), "bendi-conversation");
  GtkWidget *box = gtk_list_box_row_get_child (row);
  GtkWidget *title_label = gtk_widget_get_first_child (box);
  GtkWidget *date_label = gtk_widget_get_next_sibling (title_label);
  g_autofree char *title = bendi_conversation_dup_display_title (conversation);
  g_autofree char *date = format_date (bendi_conversation_get_updated (conversation));

  gtk_label_set_label (GTK_LABEL (title_label), title);
  gtk_label_set_label (GTK_LABEL (date_label), date);
}

static GtkWidget *
create_conversation_row (gpointer item,
                         gpointer user_data G_GNUC_UNUSED)
{
  BendiConversation *conversation = item;
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *title = gtk_label_new (NULL);
  GtkWidget *date = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (title), 0.0f);
  gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (GTK_LABEL (date), 0.0f);
  gtk_widget_add_css_class (date, "caption");
  gtk_widget_add_css_class (date, "dim-label");
  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), date);
  gtk_widget_set_margin_top (box, 4);
  gtk_widget_set_margin_bottom (box, 4);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  g_object_set_data_full (G_OBJECT (row), "bendi-conversation", g_object_ref (conversation), g_object_unref);
  update_conversation_row (GTK_LIST_BOX_ROW (row));
  g_signal_connect_object (conversation, "notify::updated", G_CALLBACK (update_conversation_row), row,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (conversation, "notify::title", G_CALLBACK (update_conversation_row), row,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (conversation, "thread-changed", G_CALLBACK (update_conversation_row), row,
                           G_CONNECT_SWAPPED);
  return row;
}

static gboolean
text_matches (const char *text,
              const char *folded_query)
{
  g_autofree char *folded = NULL;

  if (text == NULL)
    return FALSE;
  folded = g_utf8_casefold (text, -1);
  return strstr (folded, folded_query) != NULL;
}

/* A conversation matches when its title or any message has the words. */
static gboolean
conversation_matches (gpointer item,
                      gpointer user_data)
{
  BendiChatPage *self = user_data;
  BendiConversation *conversation = item;
  const char *query = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autofree char *folded_query = NULL;
  g_autofree char *title = NULL;

  if (query == NULL || *query == '\0')
    return TRUE;
  folded_query = g_utf8_casefold (query, -1);
  title = bendi_conversation_dup_display_title (conversation);
  if (text_matches (title, folded_query))
    return TRUE;
  for (guint id = 1; id <= bendi_conversation_get_n_messages (conversation); id++)
    if (text_matches (bendi_chat_message_get_content (bendi_conversation_lookup (conversation, id)), folded_query))
      return TRUE;
  return FALSE;
}

static void
search_changed_cb (BendiChatPage *self)
{
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
}

static void
list_changed_cb (BendiChatPage *self)
{
  gboolean empty = g_list_model_get_n_items (G_LIST_MODEL (self->filtered)) == 0;
  const char *query = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  gtk_stack_set_visible_child_name (self->sidebar_stack, empty ? "empty" : "list");
  adw_status_page_set_title (self->sidebar_status,
                             query != NULL && *query != '\0' ? _("No Results") : _("No Conversations"));
  if (self->conversation != NULL)
    bendi_chat_page_sidebar_select (self, self->conversation);
}

static void
conversation_activated_cb (BendiChatPage *self,
                           GtkListBoxRow *row)
{
  BendiConversation *conversation = g_object_get_data (G_OBJECT (row), "bendi-conversation");

  bendi_chat_page_show_conversation (self, conversation);
  /* Narrow: the list covers the chat; get it out of the way. */
  if (adw_flap_get_folded (self->flap))
    adw_flap_set_reveal_flap (self->flap, FALSE);
}

void
bendi_chat_page_sidebar_select (BendiChatPage     *self,
                                BendiConversation *conversation)
{
  GListModel *model = G_LIST_MODEL (self->filtered);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (BendiConversation) item = g_list_model_get_item (model, i);

      if (item == conversation)
        {
          gtk_list_box_select_row (self->conversation_list, gtk_list_box_get_row_at_index (self->conversation_list,
                                                                                          (int) i));
          return;
        }
    }
  gtk_list_box_unselect_all (self->conversation_list);
}

static void
store_loaded_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  BendiConversationStore *store = BENDI_CONVERSATION_STORE (source);
  g_autoptr (GError) error = NULL;
  g_autofree char *last_id = NULL;
  BendiChatPage *self;
  BendiConversation *last;
  guint n_unreadable = 0;

  if (!bendi_conversation_store_load_finish (store, result, &n_unreadable, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    }
  self = BENDI_CHAT_PAGE (user_data);
  self->loaded = TRUE;
  if (error != NULL)
    {
      GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
      g_autofree char *text = g_strdup_printf (_("Could not read the saved conversations: %s"), error->message);

      if (BENDI_IS_WINDOW (root))
        bendi_window_add_toast (BENDI_WINDOW (root), adw_toast_new (text));
    }
  else if (n_unreadable > 0)
    {
      GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
      g_autofree char *text = g_strdup_printf (ngettext ("%u saved conversation could not be read",
                                                         "%u saved conversations could not be read", n_unreadable),
                                               n_unreadable);

      if (BENDI_IS_WINDOW (root))
        bendi_window_add_toast (BENDI_WINDOW (root), adw_toast_new (text));
    }

  /* Back where the user left off, unless they started something new. */
  last_id = g_settings_get_string (self->settings, "chat-conversation");
  last = bendi_conversation_store_lookup (self->store, last_id);
  if (last != NULL && (self->conversation == NULL || bendi_conversation_get_n_messages (self->conversation) == 0))
    bendi_chat_page_show_conversation (self, last);
  list_changed_cb (self);
}

void
bendi_chat_page_sidebar_init (BendiChatPage *self)
{
  self->filter = gtk_custom_filter_new (conversation_matches, self, NULL);
  self->filtered = gtk_filter_list_model_new (g_object_ref (bendi_conversation_store_get_model (self->store)),
                                              g_object_ref (GTK_FILTER (self->filter)));
  gtk_list_box_bind_model (self->conversation_list, G_LIST_MODEL (self->filtered), create_conversation_row, self,
                           NULL);
  g_signal_connect_object (self->filtered, "items-changed", G_CALLBACK (list_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_swapped (self->search_entry, "search-changed", G_CALLBACK (search_changed_cb), self);
  g_signal_connect_swapped (self->conversation_list, "row-activated", G_CALLBACK (conversation_activated_cb), self);
  g_signal_connect_swapped (self->model_list, "row-activated", G_CALLBACK (model_row_activated_cb), self);
  g_signal_connect_swapped (self->remote_list, "row-activated", G_CALLBACK (model_row_activated_cb), self);
  list_changed_cb (self);
  /* The page holds a reference until the list arrives. */
  bendi_conversation_store_load_async (self->store, self->cancellable, store_loaded_cb, self);
}

/* ------------------------------------------------------------------------ */
/* Rename, delete, export */

static void
rename_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    BendiChatPage    *self)
{
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  BendiConversation *conversation = g_object_get_data (G_OBJECT (dialog), "bendi-conversation");

  if (g_strcmp0 (response, "rename") != 0)
    return;
  bendi_conversation_set_title (conversation, gtk_editable_get_text (entry));
  if (bendi_conversation_store_lookup (self->store, bendi_conversation_get_id (conversation)) != NULL)
    bendi_conversation_store_save (self->store, conversation);
}

void
bendi_chat_page_rename (BendiChatPage *self)
{
  GtkWidget *dialog;
  GtkWidget *entry;
  g_autofree char *title = NULL;

  if (self->conversation == NULL)
    return;
  title = bendi_conversation_dup_display_title (self->conversation);
  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                   _("Rename Conversation"), NULL);
  entry = gtk_entry_new ();
  gtk_editable_set_text (GTK_EDITABLE (entry), title);
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Name"), -1);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "rename", _("_Rename"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "rename", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "rename");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (rename_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
undo_delete_cb (AdwToast      *toast,
                BendiChatPage *self)
{
  BendiConversation *conversation = g_object_get_data (G_OBJECT (toast), "bendi-conversation");

  bendi_conversation_store_add (self->store, conversation);
  bendi_chat_page_show_conversation (self, conversation);
}

void
bendi_chat_page_delete (BendiChatPage *self)
{
  g_autoptr (BendiConversation) conversation = NULL;
  g_autofree char *title = NULL;
  g_autofree char *text = NULL;
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  AdwToast *toast;

  if (self->conversation == NULL || self->conversation == self->reply_conversation)
    return;
  conversation = g_object_ref (self->conversation);
  title = bendi_conversation_dup_display_title (conversation);
  bendi_conversation_store_delete (self->store, conversation);

  /* Show the next most recent one, or a fresh one. */
  if (g_list_model_get_n_items (bendi_conversation_store_get_model (self->store)) > 0)
    {
      g_autoptr (BendiConversation) next = g_list_model_get_item (bendi_conversation_store_get_model (self->store), 0);

      bendi_chat_page_show_conversation (self, next);
    }
  else
    {
      g_autoptr (BendiConversation) fresh = bendi_conversation_new ();

      bendi_chat_page_show_conversation (self, fresh);
    }

  /* TRANSLATORS: %s is a conversation's title */
  text = g_strdup_printf (_("“%s” deleted"), title);
  toast = adw_toast_new (text);
  adw_toast_set_button_label (toast, _("_Undo"));
  g_object_set_data_full (G_OBJECT (toast), "bendi-conversation", g_steal_pointer (&conversation), g_object_unref);
  g_signal_connect_object (toast, "button-clicked", G_CALLBACK (undo_delete_cb), self, 0);
  if (BENDI_IS_WINDOW (root))
    bendi_window_add_toast (BENDI_WINDOW (root), toast);
  else
    g_object_unref (toast);
}

/* A file name from a title: no slashes, not hidden, not too long. */
static char *
file_name_for (const char *title,
               const char *extension)
{
  g_autofree char *name = g_utf8_substring (title, 0, MIN (g_utf8_strlen (title, -1), 80));

  g_strdelimit (name, "/\\:*?\"<>|\n\r\t", '-');
  if (*name == '.' || *name == '\0')
    {
      g_free (name);
      name = g_strdup (_("Conversation"));
    }
  return g_strconcat (name, ".", extension, NULL);
}

gboolean
bendi_chat_page_export_to_file (BendiChatPage  *self,
                                const char     *format,
                                GFile          *file,
                                GError        **error)
{
  g_autofree char *path = g_file_get_path (file);
  g_autofree char *text = NULL;

  if (self->conversation == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "no conversation is shown");
      return FALSE;
    }
  if (path == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, _("not a local file"));
      return FALSE;
    }
  text = g_str_equal (format, "json") ? bendi_conversation_export_json (self->conversation)
                                       : bendi_conversation_to_markdown (self->conversation);
  return g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

static void
export_response_cb (GtkNativeDialog *dialog,
                    int              response,
                    BendiChatPage   *self)
{
  const char *format = g_object_get_data (G_OBJECT (dialog), "bendi-format");
  g_autoptr (GFile) file = NULL;
  g_autoptr (GError) error = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      if (!bendi_chat_page_export_to_file (self, format, file, &error))
        {
          g_autofree char *message = g_strdup_printf (_("Could not export the conversation: %s"), error->message);
          GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

          if (BENDI_IS_WINDOW (root))
            bendi_window_add_toast (BENDI_WINDOW (root), adw_toast_new (message));
        }
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

void
bendi_chat_page_export (BendiChatPage *self,
                        const char    *format)
{
  GtkFileChooserNative *dialog;
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();
  g_autofree char *title = NULL;
  g_autofree char *name = NULL;
  gboolean json = g_strcmp0 (format, "json") == 0;

  if (self->conversation == NULL || bendi_conversation_get_n_messages (self->conversation) == 0)
    return;
  dialog = gtk_file_chooser_native_new (json ? _("Export as JSON") : _("Export as Markdown"),
                                        GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  title = bendi_conversation_dup_display_title (self->conversation);
  name = file_name_for (title, json ? "json" : "md");
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
  gtk_file_filter_set_name (filter, json ? _("JSON") : _("Markdown"));
  gtk_file_filter_add_pattern (filter, json ? "*.json" : "*.md");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_object_set_data (G_OBJECT (dialog), "bendi-format", json ? "json" : "markdown");
  g_signal_connect_object (dialog, "response", G_CALLBACK (export_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* ------------------------------------------------------------------------ */
/* Choosing a model */

static char *
models_dir (BendiChatPage *self)
{
  g_autofree char *configured = g_settings_get_string (self->settings, "models-directory");
  g_autoptr (BendiHubConfig) config = bendi_hub_config_new ();

  if (*configured != '\0')
    return g_steal_pointer (&configured);
  return g_strdup (bendi_hub_config_get_models_dir (config));
}

static GtkWidget *
create_model_row (const BendiHubLocalModel *model)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *size = g_format_size (model->size);
  g_autofree char *name = g_path_get_basename (model->paths[0]);
  GString *subtitle = g_string_new (size);

  if (model->quant != NULL)
    g_string_append_printf (subtitle, " · %s", model->quant);
  if (model->source == BENDI_HUB_SOURCE_LM_STUDIO)
    g_string_append (subtitle, " · LM Studio");
  else if (model->source == BENDI_HUB_SOURCE_OLLAMA)
    g_string_append (subtitle, " · Ollama");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle->str);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  g_object_set_data_full (G_OBJECT (row), "bendi-path", g_strdup (model->paths[0]), g_free);
  g_string_free (subtitle, TRUE);
  return row;
}

static void
models_scanned_cb (GObject      *source G_GNUC_UNUSED,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) models = bendi_hub_library_scan_finish (result, &error);
  BendiChatPage *self;
  GtkWidget *child;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = BENDI_CHAT_PAGE (user_data);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->model_list))) != NULL)
    gtk_list_box_remove (self->model_list, child);
  for (guint i = 0; models != NULL && i < models->len; i++)
    {
      const BendiHubLocalModel *model = g_ptr_array_index (models, i);

      if (model->paths != NULL && model->paths[0] != NULL)
        gtk_list_box_append (self->model_list, create_model_row (model));
    }
  gtk_stack_set_visible_child_name (self->model_list_stack,
                                    gtk_widget_get_first_child (GTK_WIDGET (self->model_list)) != NULL ? "list"
                                                                                                       : "empty");
}

void
bendi_chat_page_fill_remote_list (BendiChatPage *self)
{
  GPtrArray *endpoints;
  GtkWidget *child;

  if (self->app_state == NULL)
    return;
  endpoints = bendi_remote_models_get_endpoints (bendi_app_state_get_remote_models (self->app_state));
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->remote_list))) != NULL)
    gtk_list_box_remove (self->remote_list, child);
  for (guint i = 0; i < endpoints->len; i++)
    {
      const BendiRemoteEndpoint *endpoint = g_ptr_array_index (endpoints, i);
      const char *name = endpoint->connection->name;
      GtkWidget *row;

      row = bendi_remote_row_new_state (endpoint);
      if (row != NULL)
        {
          gtk_list_box_append (self->remote_list, row);
          continue;
        }
      for (guint j = 0; j < endpoint->models->len; j++)
        {
          const BendiRemoteModel *model = g_ptr_array_index (endpoint->models, j);
          /* TRANSLATORS: where a remote model runs, "on Lab server" */
          g_autofree char *subtitle = g_strdup_printf (_("on %s"), name);

          row = bendi_remote_row_new ("network-server-symbolic", model->id, subtitle);
          gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
          g_object_set_data_full (G_OBJECT (row), "bendi-path",
                                  bendi_remote_model_path_new (endpoint->connection->id, model->id), g_free);
          gtk_list_box_append (self->remote_list, row);
        }
      if (endpoint->models->len == 0)
        {
          /* TRANSLATORS: %s is the name of a connection to a server */
          g_autofree char *title = g_strdup_printf (_("%s has no models"), name);

          row = bendi_remote_row_new ("network-server-symbolic", title, endpoint->connection->base_url);
          gtk_widget_set_sensitive (row, FALSE);
          gtk_list_box_append (self->remote_list, row);
        }
    }
  gtk_widget_set_visible (self->remote_box, endpoints->len > 0);
}

void
bendi_chat_page_fill_model_list (BendiChatPage *self)
{
  g_autofree char *dir = models_dir (self);

  bendi_hub_library_scan_async (dir, BENDI_HUB_SCAN_DEFAULT, self->cancellable, models_scanned_cb, self);
}

static void
model_row_activated_cb (BendiChatPage *self,
                        GtkListBoxRow *row)
{
  const char *path = g_object_get_data (G_OBJECT (row), "bendi-path");

  gtk_popover_popdown (self->model_popover);
  if (path != NULL)
    bendi_chat_page_load_model (self, path);
}

static void
open_response_cb (GtkNativeDialog *dialog,
                  int              response,
                  BendiChatPage   *self)
{
  g_autoptr (GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      path = g_file_get_path (file);
    }
  if (path != NULL)
    {
      g_autofree char *dir = models_dir (self);

      /* Remembered in the library, where it is; a bad file is said so
       * by the load that follows. */
      bendi_hub_library_import (dir, path, NULL);
      bendi_chat_page_load_model (self, path);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

void
bendi_chat_page_open_model_file (BendiChatPage *self)
{
  GtkFileChooserNative *dialog;
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();

  dialog = gtk_file_chooser_native_new (_("Open a Model"), GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                        GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  gtk_file_filter_set_name (filter, _("GGUF models"));
  gtk_file_filter_add_pattern (filter, "*.gguf");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect_object (dialog, "response", G_CALLBACK (open_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}
