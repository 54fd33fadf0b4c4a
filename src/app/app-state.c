/* SPDX-License-Identifier: MIT */
/* The models' side of the app, shared by its pages: one hub client, one download queue, one library and one hardware probe. */
#define G_LOG_DOMAIN "bendi-app"

#include "app-state.h"

#include <glib/gi18n.h>

#include "hub-token.h"
#include "hw-bandwidth.h"
#include "window.h"

struct _BendiAppState
{
  GObject                parent_instance;

  GApplication          *application;       /* not owned: it owns us */
  GSettings             *settings;
  BendiHubConfig        *config;
  BendiHubClient        *client;
  BendiHubDownloadQueue *downloads;
  BendiApiServer        *api_server;
  GCancellable          *cancellable;       /* the token lookup and the probe */

  GPtrArray             *catalogue;
  GError                *catalogue_error;

  BendiHwInfo           *hardware;
  gboolean               probing;

  GPtrArray             *library;
  GError                *library_error;
  GCancellable          *scan_cancellable;
  gboolean               scanning;

  BendiRemoteModels     *remote_models;

  char                  *environment_endpoint;
  char                  *environment_models_dir;
};

enum {
  PROP_0,
  PROP_HARDWARE,
  PROP_LIBRARY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (BendiAppState, bendi_app_state, G_TYPE_OBJECT)

#define STATE_KEY "bendi-app-state"

/* An empty setting means "the default": the environment's (HF_ENDPOINT,
 * BENDI_MODELS_DIR) when it gives one, else the hub's own. */
static gboolean
get_string_or_default (GValue   *value,
                       GVariant *variant,
                       gpointer  user_data)
{
  const char *text = g_variant_get_string (variant, NULL);
  const char *fallback = *(const char **) user_data;

  g_value_set_string (value, *text != '\0' ? text : fallback);
  return TRUE;
}

static void
token_lookup_cb (GObject      *object G_GNUC_UNUSED,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (BendiAppState) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *token = bendi_hub_token_lookup_finish (result, &error);

  /* Without a keyring the hub works anyway, for every open repository. */
  if (error != NULL)
    g_debug ("No access token from the keyring: %s", error->message);
  if (token != NULL)
    bendi_hub_config_set_token (self->config, token);
}

static void
look_up_token (BendiAppState *self)
{
  bendi_hub_token_lookup_async (bendi_hub_config_get_endpoint (self->config), self->cancellable,
                                token_lookup_cb, g_object_ref (self));
}

static void
endpoint_changed_cb (BendiAppState *self)
{
  /* Tokens are kept per endpoint: a mirror has its own, or none. */
  bendi_hub_config_set_token (self->config, NULL);
  look_up_token (self);
}

static void
models_dir_changed_cb (BendiAppState *self)
{
  if (self->library != NULL || self->scanning)
    bendi_app_state_rescan_library (self);
}

static char *
download_display_name (BendiHubDownload *download)
{
  return g_path_get_basename (bendi_hub_download_get_file (download)->path);
}

static void
announce_download (BendiAppState    *self,
                   BendiHubDownload *download)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self->application));
  g_autofree char *name = download_display_name (download);
  const char *path = bendi_hub_download_get_destination (download);
  g_autofree char *id = g_strdup_printf ("download-%s", path);
  g_autoptr (GNotification) notification = NULL;
  g_autofree char *body = NULL;

  if (window != NULL && BENDI_IS_WINDOW (window))
    {
      AdwToast *toast;
      g_autofree char *title = g_strdup_printf (_("%s is ready"), name);

      toast = adw_toast_new (title);
      adw_toast_set_button_label (toast, _("_Chat"));
      adw_toast_set_action_name (toast, "win.chat-with-model");
      adw_toast_set_action_target_value (toast, g_variant_new_string (path));
      bendi_window_add_toast (BENDI_WINDOW (window), toast);
      if (gtk_window_is_active (window))
        return;
    }

  /* Downloads take long: the user has often gone elsewhere meanwhile. */
  notification = g_notification_new (_("Download finished"));
  body = g_strdup_printf (_("%s is ready to chat with."), name);
  g_notification_set_body (notification, body);
  g_application_send_notification (self->application, id, notification);
}

static void
download_state_cb (BendiHubDownload *download,
                   GParamSpec       *pspec G_GNUC_UNUSED,
                   BendiAppState    *self)
{
  BendiHubDownloadState state = bendi_hub_download_get_state (download);

  if (state == BENDI_HUB_DOWNLOAD_COMPLETED)
    {
      /* Every part of a split model must be there before it is listed. */
      bendi_app_state_rescan_library (self);
      if (bendi_hub_download_get_file (download)->split_index <= 1)
        announce_download (self, download);
    }
}

static void
downloads_changed_cb (BendiAppState *self,
                      guint          position,
                      guint          removed G_GNUC_UNUSED,
                      guint          added)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr (BendiHubDownload) download = g_list_model_get_item (G_LIST_MODEL (self->downloads), i);

      /* The queue only appends and removes, so each is seen once. */
      g_signal_connect_object (download, "notify::state", G_CALLBACK (download_state_cb), self, 0);
    }
}

static void
application_shutdown_cb (BendiAppState *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->downloads));

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->scan_cancellable);
  /* Its thread must end before the process does. */
  g_clear_object (&self->api_server);
  /* Pausing keeps each part, so the next start can resume it. */
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (BendiHubDownload) download = g_list_model_get_item (G_LIST_MODEL (self->downloads), i);
      BendiHubDownloadState state = bendi_hub_download_get_state (download);

      if (state == BENDI_HUB_DOWNLOAD_RUNNING || state == BENDI_HUB_DOWNLOAD_WAITING ||
          state == BENDI_HUB_DOWNLOAD_QUEUED)
        bendi_hub_download_pause (download);
    }
}

static void
probe_thread (GTask        *task,
              gpointer      source_object G_GNUC_UNUSED,
              gpointer      task_data,
              GCancellable *cancellable G_GNUC_UNUSED)
{
  BendiHwInfo *info = bendi_hw_info_probe (task_data);

  bendi_hw_bandwidth_load (info, NULL);
  g_task_return_pointer (task, info, (GDestroyNotify) bendi_hw_info_free);
}

static void
probe_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data G_GNUC_UNUSED)
{
  BendiAppState *self = BENDI_APP_STATE (object);
  BendiHwInfo *info = g_task_propagate_pointer (G_TASK (result), NULL);

  self->probing = FALSE;
  if (info != NULL)
    bendi_app_state_set_hardware (self, info);
}

static void
scan_cb (GObject      *object G_GNUC_UNUSED,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (BendiAppState) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) library = bendi_hub_library_scan_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->scanning = FALSE;
  g_clear_error (&self->library_error);
  g_clear_pointer (&self->library, g_ptr_array_unref);
  if (library != NULL)
    self->library = g_steal_pointer (&library);
  else
    {
      self->library = g_ptr_array_new_with_free_func ((GDestroyNotify) bendi_hub_local_model_free);
      self->library_error = g_steal_pointer (&error);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LIBRARY]);
}

static void
bendi_app_state_dispose (GObject *object)
{
  BendiAppState *self = BENDI_APP_STATE (object);

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->scan_cancellable);
  g_clear_object (&self->api_server);
  g_clear_object (&self->downloads);
  g_clear_object (&self->client);
  g_clear_object (&self->config);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (bendi_app_state_parent_class)->dispose (object);
}

static void
bendi_app_state_finalize (GObject *object)
{
  BendiAppState *self = BENDI_APP_STATE (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->scan_cancellable);
  g_clear_pointer (&self->catalogue, g_ptr_array_unref);
  g_clear_error (&self->catalogue_error);
  g_clear_pointer (&self->hardware, bendi_hw_info_free);
  g_clear_object (&self->remote_models);
  g_clear_pointer (&self->library, g_ptr_array_unref);
  g_clear_error (&self->library_error);
  g_free (self->environment_endpoint);
  g_free (self->environment_models_dir);

  G_OBJECT_CLASS (bendi_app_state_parent_class)->finalize (object);
}

static void
bendi_app_state_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  BendiAppState *self = BENDI_APP_STATE (object);

  switch (prop_id)
    {
    case PROP_HARDWARE:
      g_value_set_pointer (value, (gpointer) bendi_app_state_get_hardware (self));
      break;
    case PROP_LIBRARY:
      g_value_set_pointer (value, bendi_app_state_get_library (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bendi_app_state_class_init (BendiAppStateClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bendi_app_state_dispose;
  object_class->finalize = bendi_app_state_finalize;
  object_class->get_property = bendi_app_state_get_property;

  properties[PROP_HARDWARE] =
    g_param_spec_pointer ("hardware", NULL, NULL,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_LIBRARY] =
    g_param_spec_pointer ("library", NULL, NULL,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
bendi_app_state_init (BendiAppState *self)
{
  g_autoptr (BendiHubConfig) environment = bendi_hub_config_new_from_environment ();

  self->cancellable = g_cancellable_new ();
  self->settings = g_settings_new (BENDI_APP_ID);
  self->config = g_object_ref (environment);
  self->environment_endpoint = g_strdup (bendi_hub_config_get_endpoint (environment));
  self->environment_models_dir = g_strdup (bendi_hub_config_get_models_dir (environment));

  g_settings_bind_with_mapping (self->settings, "hub-endpoint", self->config, "endpoint", G_SETTINGS_BIND_GET,
                                get_string_or_default, NULL, &self->environment_endpoint, NULL);
  g_settings_bind_with_mapping (self->settings, "models-directory", self->config, "models-dir",
                                G_SETTINGS_BIND_GET, get_string_or_default, NULL, &self->environment_models_dir,
                                NULL);
  g_signal_connect_object (self->config, "notify::endpoint", G_CALLBACK (endpoint_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->config, "notify::models-dir", G_CALLBACK (models_dir_changed_cb), self,
                           G_CONNECT_SWAPPED);
  if (bendi_hub_config_get_token (self->config) == NULL)
    look_up_token (self);

  self->client = bendi_hub_client_new (self->config);
  self->downloads = bendi_hub_download_queue_new (self->client);
  g_signal_connect_object (self->downloads, "items-changed", G_CALLBACK (downloads_changed_cb), self,
                           G_CONNECT_SWAPPED);
  self->api_server = bendi_api_server_new (self->settings);
}

BendiAppState *
bendi_app_state_get_default (void)
{
  GApplication *app = g_application_get_default ();
  BendiAppState *self;

  g_return_val_if_fail (GTK_IS_APPLICATION (app), NULL);

  self = g_object_get_data (G_OBJECT (app), STATE_KEY);
  if (self == NULL)
    {
      self = g_object_new (BENDI_TYPE_APP_STATE, NULL);
      self->application = app;
      g_object_set_data_full (G_OBJECT (app), STATE_KEY, self, g_object_unref);
      g_signal_connect_object (app, "shutdown", G_CALLBACK (application_shutdown_cb), self, G_CONNECT_SWAPPED);
    }
  return self;
}

GSettings *
bendi_app_state_get_settings (BendiAppState *self)
{
  g_return_val_if_fail (BENDI_IS_APP_STATE (self), NULL);
  return self->settings;
}

BendiHubConfig *
bendi_app_state_get_config (BendiAppState *self)
{
  g_return_val_if_fail (BENDI_IS_APP_STATE (self), NULL);
  return self->config;
}

BendiHubClient *
bendi_app_state_get_client (BendiAppState *self)
{
  g_return_val_if_fail (BENDI_IS_APP_STATE (self), NULL);
  return self->client;
}

BendiHubDownloadQueue *
bendi_app_state_get_downloads (BendiAppState *self)
{
  g_return_val_if_fail (BENDI_IS_APP_STATE (self), NULL);
  return self->downloads;
}

BendiApiServer *
bendi_app_state_get_api_server (BendiAppState *self)
{
  g_return_val_if_fail (BENDI_IS_APP_STATE (self), NULL);
  return self->api_server;
}

GPtrArray *
bendi_app_state_get_catalogue (BendiAppState *self,
                               GError       **error)
{
  g_return_val_if_fail (BENDI_IS_APP_STATE (self), NULL);

  if (self->catalogue == NULL && self->catalogue_error == NULL)
    self->catalogue = bendi_hub_catalogue_load (NULL, &self->catalogue_error);
  if (self->catalogue == NULL)
    {
      g_propagate_error (error, g_error_copy (self->catalogue_error));
      return NULL;
    }
  return self->catalogue;
}

const BendiHwInfo *
bendi_app_state_get_hardware (BendiAppState *self)
{
  g_return_val_if_fail (BENDI_IS_APP_STATE (self), NULL);
  return self->hardware;
}

BendiRemoteModels *
bendi_app_state_get_remote_models (BendiAppState *self)
{
  g_return_val_if_fail (BENDI_IS_APP_STATE (self), NULL);

  if (self->remote_models == NULL)
    {
      g_autoptr (BendiRemoteConnections) connections = NULL;
      g_autoptr (GError) error = NULL;

      connections = bendi_remote_connections_new (NULL, &error);
      if (connections == NULL)
        {
          g_autofree char *dir = g_dir_make_tmp ("bendi-connections-XXXXXX", NULL);
          g_autofree char *path = g_build_filename (dir != NULL ? dir : g_get_tmp_dir (), "connections.json", NULL);

          /* Not a connection list: left for the user to look at, never
           * overwritten; this session starts with none, kept apart. */
          g_message ("Could not read the connections (%s); this session keeps them in %s", error->message, path);
          connections = bendi_remote_connections_new (path, NULL);
        }
      self->remote_models = bendi_remote_models_new (connections);
    }
  return self->remote_models;
}

BendiHwInfo *
bendi_app_state_dup_hardware (BendiAppState *self)
{
  BendiHwInfo *copy;

  g_return_val_if_fail (BENDI_IS_APP_STATE (self), NULL);

  if (self->hardware == NULL)
    return NULL;
  copy = bendi_hw_info_copy (self->hardware);
  /* Free memory changes from one minute to the next; the GPUs' probe is
   * too slow to repeat. */
  bendi_hw_info_refresh_memory (copy);
  return copy;
}

void
bendi_app_state_probe_hardware (BendiAppState *self)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (BENDI_IS_APP_STATE (self));

  if (self->hardware != NULL || self->probing)
    return;
  self->probing = TRUE;
  task = g_task_new (self, self->cancellable, probe_cb, NULL);
  g_task_set_source_tag (task, bendi_app_state_probe_hardware);
  g_task_set_task_data (task, g_strdup (bendi_hub_config_get_models_dir (self->config)), g_free);
  g_task_run_in_thread (task, probe_thread);
}

void
bendi_app_state_set_hardware (BendiAppState *self,
                              BendiHwInfo   *info)
{
  g_return_if_fail (BENDI_IS_APP_STATE (self));
  g_return_if_fail (info != NULL);

  if (self->hardware == info)
    return;
  g_clear_pointer (&self->hardware, bendi_hw_info_free);
  self->hardware = info;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HARDWARE]);
}

typedef struct {
  char               *models_dir;
  BendiHwMeasureFlags flags;
  BendiHwInfo        *info;
  GError             *cache_error;
} Measure;

static void
measure_free (Measure *measure)
{
  g_free (measure->models_dir);
  g_clear_pointer (&measure->info, bendi_hw_info_free);
  g_clear_error (&measure->cache_error);
  g_free (measure);
}

static void
measure_thread (GTask        *task,
                gpointer      source_object G_GNUC_UNUSED,
                gpointer      task_data,
                GCancellable *cancellable G_GNUC_UNUSED)
{
  Measure *measure = task_data;

  measure->info = bendi_hw_info_probe (measure->models_dir);
  bendi_hw_bandwidth_load (measure->info, NULL);
  bendi_hw_bandwidth_measure (measure->info, measure->flags, NULL, &measure->cache_error);
  g_task_return_boolean (task, TRUE);
}

static void
measured_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  BendiAppState *self = BENDI_APP_STATE (object);
  g_autoptr (GTask) task = user_data;
  Measure *measure = g_task_get_task_data (G_TASK (result));

  /* Even when the caller has gone: the measurement is worth keeping. */
  if (measure->info != NULL)
    bendi_app_state_set_hardware (self, g_steal_pointer (&measure->info));
  if (g_task_return_error_if_cancelled (task))
    return;
  if (measure->cache_error != NULL)
    g_task_return_error (task, g_steal_pointer (&measure->cache_error));
  else
    g_task_return_boolean (task, TRUE);
}

void
bendi_app_state_measure_async (BendiAppState        *self,
                               BendiHwMeasureFlags   flags,
                               GCancellable         *cancellable,
                               GAsyncReadyCallback   callback,
                               gpointer              user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GTask) inner = NULL;
  Measure *measure;

  g_return_if_fail (BENDI_IS_APP_STATE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, bendi_app_state_measure_async);
  measure = g_new0 (Measure, 1);
  measure->models_dir = g_strdup (bendi_hub_config_get_models_dir (self->config));
  measure->flags = flags;
  /* The work itself is not cancelled: a measurement half done is lost. */
  inner = g_task_new (self, NULL, measured_cb, g_steal_pointer (&task));
  g_task_set_task_data (inner, measure, (GDestroyNotify) measure_free);
  g_task_run_in_thread (inner, measure_thread);
}

gboolean
bendi_app_state_measure_finish (BendiAppState *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

GPtrArray *
bendi_app_state_get_library (BendiAppState *self)
{
  g_return_val_if_fail (BENDI_IS_APP_STATE (self), NULL);
  return self->library;
}

const GError *
bendi_app_state_get_library_error (BendiAppState *self)
{
  g_return_val_if_fail (BENDI_IS_APP_STATE (self), NULL);
  return self->library_error;
}

void
bendi_app_state_rescan_library (BendiAppState *self)
{
  g_return_if_fail (BENDI_IS_APP_STATE (self));

  g_cancellable_cancel (self->scan_cancellable);
  g_clear_object (&self->scan_cancellable);
  self->scan_cancellable = g_cancellable_new ();
  self->scanning = TRUE;
  bendi_hub_library_scan_async (bendi_hub_config_get_models_dir (self->config), BENDI_HUB_SCAN_DEFAULT,
                                self->scan_cancellable, scan_cb, g_object_ref (self));
}

void
bendi_app_state_ensure_library (BendiAppState *self)
{
  g_return_if_fail (BENDI_IS_APP_STATE (self));

  if (self->library == NULL && !self->scanning)
    bendi_app_state_rescan_library (self);
}

const BendiHubLocalModel *
bendi_app_state_find_download (BendiAppState *self,
                               const char    *repo_id,
                               const char    *file_path)
{
  g_autofree char *expected = NULL;

  g_return_val_if_fail (BENDI_IS_APP_STATE (self), NULL);

  if (self->library == NULL)
    return NULL;
  expected = g_build_filename (bendi_hub_config_get_models_dir (self->config), repo_id, file_path, NULL);
  for (guint i = 0; i < self->library->len; i++)
    {
      const BendiHubLocalModel *model = g_ptr_array_index (self->library, i);

      if (model->source == BENDI_HUB_SOURCE_BENDI && model->paths != NULL && model->paths[0] != NULL &&
          g_str_equal (model->paths[0], expected))
        return model;
    }
  return NULL;
}

GPtrArray *
bendi_app_state_download_group (BendiAppState           *self,
                                const char              *repo_id,
                                const BendiHubFileGroup *group)
{
  GPtrArray *downloads;

  g_return_val_if_fail (BENDI_IS_APP_STATE (self), NULL);
  g_return_val_if_fail (group != NULL && group->parts->len > 0, NULL);

  downloads = g_ptr_array_new ();
  for (guint i = 0; i < group->parts->len; i++)
    g_ptr_array_add (downloads, bendi_hub_download_queue_add (self->downloads, repo_id,
                                                              g_ptr_array_index (group->parts, i)));
  return downloads;
}
