/* SPDX-License-Identifier: MIT */
/* Preferences: GSettings bound to the rows, the access token kept in the keyring, never in a file. */
#define G_LOG_DOMAIN "bendi-app"

#include "preferences-window.h"

#include <glib/gi18n.h>
#include <math.h>

#include "app-state.h"
#include "connections-page.h"
#include "hub-token.h"

static const char *const backends[] = { "auto", "cpu", "vulkan" };

struct _BendiPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  AdwActionRow         *models_dir_row;
  GtkButton            *models_dir_reset_button;
  AdwEntryRow          *endpoint_row;
  AdwPasswordEntryRow  *token_row;
  GtkLabel             *token_label;
  AdwComboRow          *backend_row;
  GtkSpinButton        *gpu_layers_spin;
  GtkSpinButton        *threads_spin;
  AdwActionRow         *server_row;
  GtkSwitch            *server_switch;
  GtkSpinButton        *port_spin;

  BendiAppState        *state;
  GSettings            *settings;
  GCancellable         *cancellable;
  GtkFileChooserNative *chooser;
};

G_DEFINE_FINAL_TYPE (BendiPreferencesWindow, bendi_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static void
toast (BendiPreferencesWindow *self,
       const char             *text)
{
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (text));
}

static void
update_models_dir (BendiPreferencesWindow *self)
{
  g_autofree char *setting = g_settings_get_string (self->settings, "models-directory");

  adw_action_row_set_subtitle (self->models_dir_row,
                               bendi_hub_config_get_models_dir (bendi_app_state_get_config (self->state)));
  gtk_widget_set_sensitive (GTK_WIDGET (self->models_dir_reset_button), *setting != '\0');
}

static void
chooser_response_cb (BendiPreferencesWindow *self,
                     int                     response)
{
  g_autoptr (GFile) folder = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (self->chooser));
  g_clear_object (&self->chooser);
  if (folder != NULL && (path = g_file_get_path (folder)) != NULL)
    g_settings_set_string (self->settings, "models-directory", path);
}

static void
models_dir_choose_cb (BendiPreferencesWindow *self)
{
  if (self->chooser != NULL)
    return;
  self->chooser = gtk_file_chooser_native_new (_("Models Folder"), GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Select"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_signal_connect_swapped (self->chooser, "response", G_CALLBACK (chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
models_dir_reset_cb (BendiPreferencesWindow *self)
{
  g_settings_reset (self->settings, "models-directory");
}

static void
endpoint_apply_cb (BendiPreferencesWindow *self)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->endpoint_row))));

  /* Only web addresses: anything else would fail later, less clearly. */
  if (*text != '\0' && !g_str_has_prefix (text, "https://") && !g_str_has_prefix (text, "http://"))
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->endpoint_row), "error");
      toast (self, _("The hub address must start with https://"));
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (self->endpoint_row), "error");
  g_settings_set_string (self->settings, "hub-endpoint", text);
}

static void
update_token_label (BendiPreferencesWindow *self)
{
  BendiHubConfig *config = bendi_app_state_get_config (self->state);

  if (!bendi_hub_token_keyring_available ())
    {
      gtk_widget_set_sensitive (GTK_WIDGET (self->token_row), FALSE);
      gtk_label_set_text (self->token_label, _("No keyring is running, so a token cannot be kept. Set HF_TOKEN "
                                               "in the environment instead."));
    }
  else if (bendi_hub_config_get_token (config) != NULL)
    gtk_label_set_text (self->token_label, _("A token for this hub is kept in your keyring. Enter another to "
                                             "replace it, or apply an empty one to forget it."));
  else
    gtk_label_set_text (self->token_label, _("Only models behind a license you accepted on the hub need one. "
                                             "It is kept in your keyring."));
}

static void
token_saved (BendiPreferencesWindow *self,
             gboolean                saved,
             const GError           *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (!saved)
    {
      g_autofree char *text = g_strdup_printf (_("The keyring refused the token: %s"), error->message);

      toast (self, text);
      return;
    }
  update_token_label (self);
}

static void
token_stored_cb (GObject      *object G_GNUC_UNUSED,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (BendiPreferencesWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  gboolean saved = bendi_hub_token_store_finish (result, &error);

  token_saved (self, saved, error);
}

static void
token_cleared_cb (GObject      *object G_GNUC_UNUSED,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (BendiPreferencesWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  gboolean saved = bendi_hub_token_clear_finish (result, &error);

  token_saved (self, saved, error);
}

static void
token_apply_cb (BendiPreferencesWindow *self)
{
  BendiHubConfig *config = bendi_app_state_get_config (self->state);
  g_autofree char *token = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->token_row))));
  const char *endpoint = bendi_hub_config_get_endpoint (config);

  gtk_editable_set_text (GTK_EDITABLE (self->token_row), "");
  bendi_hub_config_set_token (config, *token != '\0' ? token : NULL);
  if (*token != '\0')
    bendi_hub_token_store_async (endpoint, token, self->cancellable, token_stored_cb, g_object_ref (self));
  else
    bendi_hub_token_clear_async (endpoint, self->cancellable, token_cleared_cb, g_object_ref (self));
}

static gboolean
backend_get_mapping (GValue   *value,
                     GVariant *variant,
                     gpointer  user_data G_GNUC_UNUSED)
{
  const char *backend = g_variant_get_string (variant, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (backends); i++)
    if (g_str_equal (backend, backends[i]))
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  g_value_set_uint (value, 0);
  return TRUE;
}

static GVariant *
backend_set_mapping (const GValue       *value,
                     const GVariantType *expected_type G_GNUC_UNUSED,
                     gpointer            user_data G_GNUC_UNUSED)
{
  guint selected = g_value_get_uint (value);

  return g_variant_new_string (backends[selected < G_N_ELEMENTS (backends) ? selected : 0]);
}

/* The lowest value of these spin buttons means "let Bendi choose". */
static gboolean
auto_spin_output_cb (GtkSpinButton *spin,
                     gpointer       user_data G_GNUC_UNUSED)
{
  GtkAdjustment *adjustment = gtk_spin_button_get_adjustment (spin);
  double value = gtk_adjustment_get_value (adjustment);

  if (value <= gtk_adjustment_get_lower (adjustment))
    gtk_editable_set_text (GTK_EDITABLE (spin), _("Auto"));
  else
    {
      g_autofree char *text = g_strdup_printf ("%.0f", value);

      gtk_editable_set_text (GTK_EDITABLE (spin), text);
    }
  return TRUE;
}

static int
auto_spin_input_cb (GtkSpinButton *spin,
                    double        *new_value,
                    gpointer       user_data G_GNUC_UNUSED)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (spin));
  char *end = NULL;
  double value = g_ascii_strtod (text, &end);

  if (end == text || *end != '\0' || !isfinite (value))
    *new_value = gtk_adjustment_get_lower (gtk_spin_button_get_adjustment (spin));
  else
    *new_value = value;
  return TRUE;
}

static void
update_server_row (BendiPreferencesWindow *self)
{
  BendiApiServer *server = bendi_app_state_get_api_server (self->state);
  g_autofree char *url = server != NULL ? bendi_api_server_dup_url (server) : NULL;
  const GError *error = server != NULL ? bendi_api_server_get_error (server) : NULL;

  if (url != NULL)
    {
      /* TRANSLATORS: %s is the server's address, "http://127.0.0.1:8080/v1" */
      g_autofree char *text = g_strdup_printf (_("Running at %s"), url);

      adw_action_row_set_subtitle (self->server_row, text);
    }
  else if (error != NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Could not start: %s"), error->message);

      adw_action_row_set_subtitle (self->server_row, text);
    }
  else
    adw_action_row_set_subtitle (self->server_row, _("Off"));
}

static void
bendi_preferences_window_dispose (GObject *object)
{
  BendiPreferencesWindow *self = BENDI_PREFERENCES_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  if (self->state != NULL)
    {
      g_signal_handlers_disconnect_by_data (bendi_app_state_get_config (self->state), self);
      if (bendi_app_state_get_api_server (self->state) != NULL)
        g_signal_handlers_disconnect_by_data (bendi_app_state_get_api_server (self->state), self);
    }
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  gtk_widget_dispose_template (GTK_WIDGET (self), BENDI_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->settings);
  g_clear_object (&self->state);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (bendi_preferences_window_parent_class)->dispose (object);
}

static void
bendi_preferences_window_class_init (BendiPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bendi_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/bendi/Bendi/preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, BendiPreferencesWindow, models_dir_row);
  gtk_widget_class_bind_template_child (widget_class, BendiPreferencesWindow, models_dir_reset_button);
  gtk_widget_class_bind_template_child (widget_class, BendiPreferencesWindow, endpoint_row);
  gtk_widget_class_bind_template_child (widget_class, BendiPreferencesWindow, token_row);
  gtk_widget_class_bind_template_child (widget_class, BendiPreferencesWindow, token_label);
  gtk_widget_class_bind_template_child (widget_class, BendiPreferencesWindow, backend_row);
  gtk_widget_class_bind_template_child (widget_class, BendiPreferencesWindow, gpu_layers_spin);
  gtk_widget_class_bind_template_child (widget_class, BendiPreferencesWindow, threads_spin);
  gtk_widget_class_bind_template_child (widget_class, BendiPreferencesWindow, server_row);
  gtk_widget_class_bind_template_child (widget_class, BendiPreferencesWindow, server_switch);
  gtk_widget_class_bind_template_child (widget_class, BendiPreferencesWindow, port_spin);
  gtk_widget_class_bind_template_callback (widget_class, models_dir_choose_cb);
  gtk_widget_class_bind_template_callback (widget_class, models_dir_reset_cb);
  gtk_widget_class_bind_template_callback (widget_class, endpoint_apply_cb);
  gtk_widget_class_bind_template_callback (widget_class, token_apply_cb);
  gtk_widget_class_bind_template_callback (widget_class, auto_spin_output_cb);
  gtk_widget_class_bind_template_callback (widget_class, auto_spin_input_cb);
}

static void
bendi_preferences_window_init (BendiPreferencesWindow *self)
{
  g_autofree char *endpoint = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->state = g_object_ref (bendi_app_state_get_default ());
  self->settings = g_object_ref (bendi_app_state_get_settings (self->state));
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (self),
                              ADW_PREFERENCES_PAGE (bendi_connections_page_new (bendi_app_state_get_remote_models (self->state))));

  update_models_dir (self);
  g_signal_connect_swapped (bendi_app_state_get_config (self->state), "notify::models-dir",
                            G_CALLBACK (update_models_dir), self);
  g_signal_connect_swapped (self->settings, "changed::models-directory", G_CALLBACK (update_models_dir), self);

  endpoint = g_settings_get_string (self->settings, "hub-endpoint");
  gtk_editable_set_text (GTK_EDITABLE (self->endpoint_row), endpoint);
  g_signal_connect_swapped (bendi_app_state_get_config (self->state), "notify::endpoint",
                            G_CALLBACK (update_token_label), self);
  update_token_label (self);

  g_settings_bind_with_mapping (self->settings, "backend", self->backend_row, "selected", G_SETTINGS_BIND_DEFAULT,
                                backend_get_mapping, backend_set_mapping, NULL, NULL);
  g_settings_bind (self->settings, "gpu-layers", gtk_spin_button_get_adjustment (self->gpu_layers_spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "threads", gtk_spin_button_get_adjustment (self->threads_spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "server-enabled", self->server_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "server-port", gtk_spin_button_get_adjustment (self->port_spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
  if (bendi_app_state_get_api_server (self->state) != NULL)
    g_signal_connect_swapped (bendi_app_state_get_api_server (self->state), "notify::running",
                              G_CALLBACK (update_server_row), self);
  update_server_row (self);
}

GtkWidget *
bendi_preferences_window_new (GtkWindow *parent)
{
  return g_object_new (BENDI_TYPE_PREFERENCES_WINDOW,
                       "transient-for", parent,
                       NULL);
}
