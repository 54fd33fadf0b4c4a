/* SPDX-License-Identifier: MIT */
/* The API server switch: a BendiServer on 127.0.0.1 (never beyond this computer from the app), restarted when its port changes. */
#define G_LOG_DOMAIN "bendi-app"

#include "api-server.h"

#include "bendi-server.h"

struct _BendiApiServer
{
  GObject      parent_instance;

  GSettings   *settings;
  BendiServer *server;
  GError      *error;
};

enum {
  PROP_0,
  PROP_RUNNING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (BendiApiServer, bendi_api_server, G_TYPE_OBJECT)

static void
load_model (BendiApiServer *self)
{
  g_autofree char *path = g_settings_get_string (self->settings, "chat-model");

  /* Until a model is chosen the server answers 503, as it should. */
  if (self->server != NULL && *path != '\0')
    bendi_server_load_model (self->server, path, NULL, NULL);
}

static void
stop (BendiApiServer *self)
{
  if (self->server != NULL)
    {
      bendi_server_stop (self->server);
      g_clear_object (&self->server);
    }
}

static void
update (BendiApiServer *self)
{
  gboolean was_running = self->server != NULL;
  BendiServerOptions options;

  stop (self);
  g_clear_error (&self->error);
  if (g_settings_get_boolean (self->settings, "server-enabled"))
    {
      bendi_server_options_init (&options);
      options.port = (guint16) g_settings_get_int (self->settings, "server-port");
      options.n_threads = g_settings_get_int (self->settings, "threads");
      self->server = bendi_server_new (&options, &self->error);
      if (self->server != NULL && !bendi_server_start (self->server, &self->error))
        g_clear_object (&self->server);
      if (self->error != NULL)
        g_debug ("The API server did not start: %s", self->error->message);
      load_model (self);
    }
  if (was_running || self->server != NULL || self->error != NULL)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

static void
bendi_api_server_dispose (GObject *object)
{
  BendiApiServer *self = BENDI_API_SERVER (object);

  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  stop (self);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (bendi_api_server_parent_class)->dispose (object);
}

static void
bendi_api_server_finalize (GObject *object)
{
  BendiApiServer *self = BENDI_API_SERVER (object);

  g_clear_error (&self->error);

  G_OBJECT_CLASS (bendi_api_server_parent_class)->finalize (object);
}

static void
bendi_api_server_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  BendiApiServer *self = BENDI_API_SERVER (object);

  switch (prop_id)
    {
    case PROP_RUNNING:
      g_value_set_boolean (value, bendi_api_server_get_running (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bendi_api_server_class_init (BendiApiServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bendi_api_server_dispose;
  object_class->finalize = bendi_api_server_finalize;
  object_class->get_property = bendi_api_server_get_property;

  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
bendi_api_server_init (BendiApiServer *self G_GNUC_UNUSED)
{
}

BendiApiServer *
bendi_api_server_new (GSettings *settings)
{
  BendiApiServer *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (BENDI_TYPE_API_SERVER, NULL);
  self->settings = g_object_ref (settings);
  g_signal_connect_swapped (settings, "changed::server-enabled", G_CALLBACK (update), self);
  g_signal_connect_swapped (settings, "changed::server-port", G_CALLBACK (update), self);
  g_signal_connect_swapped (settings, "changed::chat-model", G_CALLBACK (load_model), self);
  if (g_settings_get_boolean (settings, "server-enabled"))
    update (self);
  return self;
}

gboolean
bendi_api_server_get_running (BendiApiServer *self)
{
  g_return_val_if_fail (BENDI_IS_API_SERVER (self), FALSE);
  return self->server != NULL;
}

const GError *
bendi_api_server_get_error (BendiApiServer *self)
{
  g_return_val_if_fail (BENDI_IS_API_SERVER (self), NULL);
  return self->error;
}

char *
bendi_api_server_dup_url (BendiApiServer *self)
{
  g_return_val_if_fail (BENDI_IS_API_SERVER (self), NULL);

  if (self->server == NULL)
    return NULL;
  return g_strdup_printf ("http://127.0.0.1:%u/v1", bendi_server_get_port (self->server));
}
