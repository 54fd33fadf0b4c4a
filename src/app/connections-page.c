/* SPDX-License-Identifier: MIT */
/* The Connections page of Preferences: a row per endpoint (name, address, edit, remove), and one dialog to add or edit one, with a test that lists its models. */
#define G_LOG_DOMAIN "bendi-app"

#include "connections-page.h"

#include <glib/gi18n.h>

#include "hub-token.h"

struct _BendiConnectionsPage
{
  AdwPreferencesPage   parent_instance;

  AdwPreferencesGroup *group;
  GPtrArray           *rows;       /* the group's rows, to remove them again */
  BendiRemoteModels   *models;
};

G_DEFINE_FINAL_TYPE (BendiConnectionsPage, bendi_connections_page, ADW_TYPE_PREFERENCES_PAGE)

/* The dialog's parts, kept on it. */
typedef struct
{
  BendiConnectionsPage *page;
  char                 *connection_id;   /* NULL: adding */
  AdwEntryRow          *name_row;
  AdwEntryRow          *url_row;
  AdwPasswordEntryRow  *key_row;
  GtkWidget            *test_button;
  GtkLabel             *test_label;
  GtkSpinner           *test_spinner;
  GCancellable         *test_cancellable;
} Editor;

static void
editor_free (Editor *editor)
{
  g_cancellable_cancel (editor->test_cancellable);
  g_clear_object (&editor->test_cancellable);
  g_clear_object (&editor->page);
  g_free (editor->connection_id);
  g_free (editor);
}

static void
toast (BendiConnectionsPage *self,
       const char           *text)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (ADW_IS_PREFERENCES_WINDOW (root))
    adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (root), adw_toast_new (text));
}

static void
set_test_result (Editor     *editor,
                 const char *text,
                 gboolean    failed)
{
  gtk_spinner_stop (editor->test_spinner);
  gtk_widget_set_visible (GTK_WIDGET (editor->test_spinner), FALSE);
  gtk_label_set_label (editor->test_label, text);
  gtk_widget_set_visible (GTK_WIDGET (editor->test_label), text != NULL && *text != '\0');
  if (failed)
    gtk_widget_add_css_class (GTK_WIDGET (editor->test_label), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (editor->test_label), "error");
}

static void
url_changed_cb (AdwMessageDialog *dialog)
{
  Editor *editor = g_object_get_data (G_OBJECT (dialog), "bendi-editor");
  g_autofree char *normal = bendi_remote_normalize_url (gtk_editable_get_text (GTK_EDITABLE (editor->url_row)), NULL);

  adw_message_dialog_set_response_enabled (dialog, "save", normal != NULL);
  gtk_widget_set_sensitive (editor->test_button, normal != NULL);
}

static void
test_listed_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Editor *editor = user_data;
  g_autoptr (GPtrArray) models = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) names = g_string_new (NULL);
  g_autofree char *text = NULL;

  models = bendi_remote_client_list_models_finish (BENDI_REMOTE_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (models == NULL)
    {
      text = g_strdup_printf (_("The test failed: %s"), error->message);
      set_test_result (editor, text, TRUE);
      return;
    }
  for (guint i = 0; i < models->len; i++)
    {
      const BendiRemoteModel *model = g_ptr_array_index (models, i);

      if (i > 0)
        g_string_append (names, ", ");
      g_string_append (names, model->id);
    }
  if (models->len == 0)
    text = g_strdup (_("The server answers, but lists no models."));
  else
    /* TRANSLATORS: %d models and then their names */
    text = g_strdup_printf (ngettext ("The server answers, with %d model: %s",
                                      "The server answers, with %d models: %s", models->len),
                            (int) models->len, names->str);
  set_test_result (editor, text, FALSE);
}

static void
test_connection (Editor *editor)
{
  g_autoptr (BendiRemoteClient) client = NULL;
  g_autoptr (GError) error = NULL;
  const char *key = gtk_editable_get_text (GTK_EDITABLE (editor->key_row));

  const char *url = gtk_editable_get_text (GTK_EDITABLE (editor->url_row));
  const BendiRemoteConnection *connection = NULL;

  g_cancellable_cancel (editor->test_cancellable);
  g_clear_object (&editor->test_cancellable);
  if (editor->connection_id != NULL)
    connection = bendi_remote_models_lookup_connection (editor->page->models, editor->connection_id);
  /* Editing with the key left empty and the same address: the client in
   * use, which has the key from the keyring. */
  if (*key == '\0' && connection != NULL && g_strcmp0 (url, connection->base_url) == 0 &&
      bendi_remote_models_get_client (editor->page->models, editor->connection_id) != NULL)
    client = g_object_ref (bendi_remote_models_get_client (editor->page->models, editor->connection_id));
  else
    client = bendi_remote_client_new (url, key, &error);
  if (client == NULL)
    {
      set_test_result (editor, error->message, TRUE);
      return;
    }
  editor->test_cancellable = g_cancellable_new ();
  gtk_label_set_label (editor->test_label, "");
  gtk_widget_set_visible (GTK_WIDGET (editor->test_label), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (editor->test_spinner), TRUE);
  gtk_spinner_start (editor->test_spinner);
  /* Short: a test the user waits on, not a long generation. */
  bendi_remote_client_set_timeouts (client, 10000, 15000);
  bendi_remote_client_list_models_async (client, editor->test_cancellable, test_listed_cb, editor);
}

static void
save_connection (Editor *editor)
{
  BendiRemoteConnections *connections = bendi_remote_models_get_connections (editor->page->models);
  const char *name = gtk_editable_get_text (GTK_EDITABLE (editor->name_row));
  const char *url = gtk_editable_get_text (GTK_EDITABLE (editor->url_row));
  const char *key = gtk_editable_get_text (GTK_EDITABLE (editor->key_row));
  g_autoptr (GError) error = NULL;
  g_autofree char *id = NULL;

  if (editor->connection_id == NULL)
    {
      id = bendi_remote_connections_add (connections, name, url, &error);
      /* Its key before its first listing, so the list is asked with it. */
      if (id != NULL && *key != '\0')
        bendi_remote_models_set_api_key (editor->page->models, id, key);
    }
  else
    {
      id = g_strdup (editor->connection_id);
      if (bendi_remote_connections_rename (connections, id, name, &error) &&
          bendi_remote_connections_set_base_url (connections, id, url, &error) && *key != '\0')
        bendi_remote_models_set_api_key (editor->page->models, id, key);
    }
  if (error != NULL)
    toast (editor->page, error->message);
  else if (*key != '\0' && !bendi_hub_token_keyring_available ())
    toast (editor->page, _("No keyring is running: the API key is kept until Bendi closes."));
}

static void
dialog_response_cb (AdwMessageDialog *dialog,
                    const char       *response)
{
  Editor *editor = g_object_get_data (G_OBJECT (dialog), "bendi-editor");

  if (g_strcmp0 (response, "save") == 0)
    save_connection (editor);
}

/* "Test" must not close the dialog, as responses do: it is a button of
 * its own in the extra child. */
static void
test_clicked_cb (GtkWidget *dialog)
{
  test_connection (g_object_get_data (G_OBJECT (dialog), "bendi-editor"));
}

GtkWidget *
bendi_connections_page_edit (BendiConnectionsPage *self,
                             const char           *connection_id,
                             GtkWindow            *parent)
{
  const BendiRemoteConnection *connection = NULL;
  Editor *editor = g_new0 (Editor, 1);
  GtkWidget *dialog;
  GtkWidget *box;
  GtkWidget *list;
  GtkWidget *test_box;
  GtkWidget *test_button;

  g_return_val_if_fail (BENDI_IS_CONNECTIONS_PAGE (self), NULL);

  if (connection_id != NULL)
    connection = bendi_remote_models_lookup_connection (self->models, connection_id);
  editor->page = g_object_ref (self);
  editor->connection_id = connection != NULL ? g_strdup (connection_id) : NULL;

  dialog = adw_message_dialog_new (parent, connection != NULL ? _("Edit Connection") : _("Add Connection"),
                                   _("An OpenAI-compatible server: vLLM, SGLang, llama.cpp's llama-server, Ollama, "
                                     "or another computer running bendi-cli serve."));
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  editor->name_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (editor->name_row), _("Name"));
  editor->url_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (editor->url_row), _("Address, such as http://server:8000"));
  editor->key_row = ADW_PASSWORD_ENTRY_ROW (adw_password_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (editor->key_row),
                                 connection != NULL ? _("API Key (empty keeps the current one)")
                                                    : _("API Key (optional)"));
  gtk_list_box_append (GTK_LIST_BOX (list), GTK_WIDGET (editor->name_row));
  gtk_list_box_append (GTK_LIST_BOX (list), GTK_WIDGET (editor->url_row));
  gtk_list_box_append (GTK_LIST_BOX (list), GTK_WIDGET (editor->key_row));
  gtk_box_append (GTK_BOX (box), list);

  test_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  test_button = gtk_button_new_with_mnemonic (_("_Test Connection"));
  gtk_widget_set_tooltip_text (test_button, _("List the server's models with this address and key"));
  g_signal_connect_swapped (test_button, "clicked", G_CALLBACK (test_clicked_cb), dialog);
  editor->test_spinner = GTK_SPINNER (gtk_spinner_new ());
  gtk_widget_set_visible (GTK_WIDGET (editor->test_spinner), FALSE);
  gtk_box_append (GTK_BOX (test_box), test_button);
  gtk_box_append (GTK_BOX (test_box), GTK_WIDGET (editor->test_spinner));
  gtk_box_append (GTK_BOX (box), test_box);
  editor->test_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (editor->test_label, TRUE);
  gtk_label_set_xalign (editor->test_label, 0.0);
  gtk_label_set_selectable (editor->test_label, TRUE);
  gtk_widget_set_visible (GTK_WIDGET (editor->test_label), FALSE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (editor->test_label));
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "save", connection != NULL ? _("_Save") : _("_Add"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "save", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "save");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "bendi-editor", editor, (GDestroyNotify) editor_free);
  editor->test_button = test_button;
  g_signal_connect (dialog, "response", G_CALLBACK (dialog_response_cb), NULL);
  g_signal_connect_swapped (editor->url_row, "changed", G_CALLBACK (url_changed_cb), dialog);
  if (connection != NULL)
    {
      gtk_editable_set_text (GTK_EDITABLE (editor->name_row), connection->name);
      gtk_editable_set_text (GTK_EDITABLE (editor->url_row), connection->base_url);
    }
  url_changed_cb (ADW_MESSAGE_DIALOG (dialog));
  gtk_window_present (GTK_WINDOW (dialog));
  return dialog;
}

static void
edit_clicked_cb (GtkWidget *button)
{
  BendiConnectionsPage *self = g_object_get_data (G_OBJECT (button), "bendi-page");

  bendi_connections_page_edit (self, g_object_get_data (G_OBJECT (button), "bendi-id"),
                               GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))));
}

static void
remove_clicked_cb (GtkWidget *button)
{
  BendiConnectionsPage *self = g_object_get_data (G_OBJECT (button), "bendi-page");
  g_autoptr (GError) error = NULL;

  if (!bendi_remote_connections_remove (bendi_remote_models_get_connections (self->models),
                                        g_object_get_data (G_OBJECT (button), "bendi-id"), &error))
    g_message ("Could not remove the connection: %s", error->message);
}

static void
add_clicked_cb (BendiConnectionsPage *self)
{
  bendi_connections_page_edit (self, NULL, GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))));
}

static GtkWidget *
icon_button (BendiConnectionsPage *self,
             const char           *icon_name,
             const char           *tooltip,
             const char           *id,
             GCallback             callback)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon_name);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip, -1);
  g_object_set_data (G_OBJECT (button), "bendi-page", self);
  g_object_set_data_full (G_OBJECT (button), "bendi-id", g_strdup (id), g_free);
  g_signal_connect (button, "clicked", callback, NULL);
  return button;
}

/* The endpoint's state in words, for the row's subtitle. */
static char *
describe_endpoint (const BendiRemoteEndpoint *endpoint)
{
  switch (endpoint->state)
    {
    case BENDI_REMOTE_ENDPOINT_LISTING:
      /* TRANSLATORS: a server's address, while it is being asked for its models */
      return g_strdup_printf (_("%s · asking…"), endpoint->connection->base_url);
    case BENDI_REMOTE_ENDPOINT_FAILED:
      /* TRANSLATORS: a server's address, then why it did not answer */
      return g_strdup_printf (_("%s · unreachable: %s"), endpoint->connection->base_url, endpoint->error->message);
    case BENDI_REMOTE_ENDPOINT_LISTED:
    default:
      return g_strdup_printf (ngettext ("%s · %u model", "%s · %u models", endpoint->models->len),
                              endpoint->connection->base_url, endpoint->models->len);
    }
}

static void
fill (BendiConnectionsPage *self)
{
  GPtrArray *endpoints = bendi_remote_models_get_endpoints (self->models);

  for (guint i = 0; i < self->rows->len; i++)
    adw_preferences_group_remove (self->group, g_ptr_array_index (self->rows, i));
  g_ptr_array_set_size (self->rows, 0);
  for (guint i = 0; i < endpoints->len; i++)
    {
      const BendiRemoteEndpoint *endpoint = g_ptr_array_index (endpoints, i);
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *subtitle = describe_endpoint (endpoint);

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), endpoint->connection->name);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                 icon_button (self, "document-edit-symbolic", _("Edit Connection"),
                                              endpoint->connection->id, G_CALLBACK (edit_clicked_cb)));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                 icon_button (self, "user-trash-symbolic", _("Remove Connection"),
                                              endpoint->connection->id, G_CALLBACK (remove_clicked_cb)));
      g_object_set_data_full (G_OBJECT (row), "bendi-id", g_strdup (endpoint->connection->id), g_free);
      adw_preferences_group_add (self->group, row);
      g_ptr_array_add (self->rows, row);
    }
  if (endpoints->len == 0)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("No connections yet"));
      gtk_widget_add_css_class (row, "dim-label");
      adw_preferences_group_add (self->group, row);
      g_ptr_array_add (self->rows, row);
    }
}

static void
bendi_connections_page_dispose (GObject *object)
{
  BendiConnectionsPage *self = BENDI_CONNECTIONS_PAGE (object);

  if (self->models != NULL)
    g_signal_handlers_disconnect_by_data (self->models, self);
  g_clear_object (&self->models);

  G_OBJECT_CLASS (bendi_connections_page_parent_class)->dispose (object);
}

static void
bendi_connections_page_finalize (GObject *object)
{
  BendiConnectionsPage *self = BENDI_CONNECTIONS_PAGE (object);

  g_ptr_array_unref (self->rows);

  G_OBJECT_CLASS (bendi_connections_page_parent_class)->finalize (object);
}

static void
bendi_connections_page_class_init (BendiConnectionsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bendi_connections_page_dispose;
  object_class->finalize = bendi_connections_page_finalize;
}

static void
bendi_connections_page_init (BendiConnectionsPage *self)
{
  GtkWidget *add = gtk_button_new_from_icon_name ("list-add-symbolic");

  self->rows = g_ptr_array_new ();
  adw_preferences_page_set_title (ADW_PREFERENCES_PAGE (self), _("Connections"));
  adw_preferences_page_set_icon_name (ADW_PREFERENCES_PAGE (self), "network-server-symbolic");
  self->group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->group, _("Servers"));
  adw_preferences_group_set_description (self->group,
                                         _("A model too big for this computer can run on a server built for it. "
                                           "Models of the servers added here are listed in My Models and in the "
                                           "chat, marked as remote; what you write to them is sent there."));
  gtk_widget_add_css_class (add, "flat");
  gtk_widget_set_valign (add, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (add, _("Add a Connection"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (add), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Add a Connection"), -1);
  g_signal_connect_swapped (add, "clicked", G_CALLBACK (add_clicked_cb), self);
  adw_preferences_group_set_header_suffix (self->group, add);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), self->group);
}

GtkWidget *
bendi_connections_page_new (BendiRemoteModels *models)
{
  BendiConnectionsPage *self;

  g_return_val_if_fail (BENDI_IS_REMOTE_MODELS (models), NULL);

  self = g_object_new (BENDI_TYPE_CONNECTIONS_PAGE, NULL);
  self->models = g_object_ref (models);
  g_signal_connect_swapped (models, "changed", G_CALLBACK (fill), self);
  fill (self);
  return GTK_WIDGET (self);
}
