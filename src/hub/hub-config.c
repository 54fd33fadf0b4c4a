/* SPDX-License-Identifier: MIT */
/* The hub's settings, held in one object the app can bind to GSettings. */
#define G_LOG_DOMAIN "bendi-hub"

#include "hub-config.h"

#include <string.h>

struct _BendiHubConfig
{
  GObject  parent_instance;

  char    *endpoint;
  char    *token;
  char    *proxy;
  char    *models_dir;
  guint    max_parallel_downloads;
};

enum {
  PROP_0,
  PROP_ENDPOINT,
  PROP_TOKEN,
  PROP_PROXY,
  PROP_MODELS_DIR,
  PROP_MAX_PARALLEL_DOWNLOADS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (BendiHubConfig, bendi_hub_config, G_TYPE_OBJECT)

static char *
default_models_dir (void)
{
  return g_build_filename (g_get_user_data_dir (), "bendi", "models", NULL);
}

/* Replaces *@field with a copy of @value; FALSE when nothing changes. */
static gboolean
set_string (char       **field,
            const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

static void
bendi_hub_config_finalize (GObject *object)
{
  BendiHubConfig *self = (BendiHubConfig *) object;

  g_free (self->endpoint);
  if (self->token != NULL)
    memset (self->token, 0, strlen (self->token));
  g_free (self->token);
  g_free (self->proxy);
  g_free (self->models_dir);

  G_OBJECT_CLASS (bendi_hub_config_parent_class)->finalize (object);
}

static void
bendi_hub_config_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  BendiHubConfig *self = BENDI_HUB_CONFIG (object);

  switch (prop_id)
    {
    case PROP_ENDPOINT:
      g_value_set_string (value, self->endpoint);
      break;
    case PROP_PROXY:
      g_value_set_string (value, self->proxy);
      break;
    case PROP_MODELS_DIR:
      g_value_set_string (value, self->models_dir);
      break;
    case PROP_MAX_PARALLEL_DOWNLOADS:
      g_value_set_uint (value, self->max_parallel_downloads);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bendi_hub_config_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  BendiHubConfig *self = BENDI_HUB_CONFIG (object);

  switch (prop_id)
    {
    case PROP_ENDPOINT:
      bendi_hub_config_set_endpoint (self, g_value_get_string (value));
      break;
    case PROP_TOKEN:
      bendi_hub_config_set_token (self, g_value_get_string (value));
      break;
    case PROP_PROXY:
      bendi_hub_config_set_proxy (self, g_value_get_string (value));
      break;
    case PROP_MODELS_DIR:
      bendi_hub_config_set_models_dir (self, g_value_get_string (value));
      break;
    case PROP_MAX_PARALLEL_DOWNLOADS:
      bendi_hub_config_set_max_parallel_downloads (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bendi_hub_config_class_init (BendiHubConfigClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = bendi_hub_config_finalize;
  object_class->get_property = bendi_hub_config_get_property;
  object_class->set_property = bendi_hub_config_set_property;

  properties[PROP_ENDPOINT] =
    g_param_spec_string ("endpoint", NULL, NULL, BENDI_HUB_DEFAULT_ENDPOINT,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_TOKEN] =
    g_param_spec_string ("token", NULL, NULL, NULL,
                         G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_PROXY] =
    g_param_spec_string ("proxy", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_MODELS_DIR] =
    g_param_spec_string ("models-dir", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_MAX_PARALLEL_DOWNLOADS] =
    g_param_spec_uint ("max-parallel-downloads", NULL, NULL, 1, 8, 2,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
bendi_hub_config_init (BendiHubConfig *self)
{
  self->endpoint = g_strdup (BENDI_HUB_DEFAULT_ENDPOINT);
  self->models_dir = default_models_dir ();
  self->max_parallel_downloads = 2;
}

BendiHubConfig *
bendi_hub_config_new (void)
{
  return g_object_new (BENDI_HUB_TYPE_CONFIG, NULL);
}

static const char *
getenv_nonempty (const char *name)
{
  const char *value = g_getenv (name);

  return value != NULL && *value != '\0' ? value : NULL;
}

BendiHubConfig *
bendi_hub_config_new_from_environment (void)
{
  BendiHubConfig *self = bendi_hub_config_new ();
  const char *token = getenv_nonempty ("HF_TOKEN");

  if (token == NULL)
    token = getenv_nonempty ("HUGGING_FACE_HUB_TOKEN");
  bendi_hub_config_set_endpoint (self, getenv_nonempty ("HF_ENDPOINT"));
  bendi_hub_config_set_token (self, token);
  bendi_hub_config_set_proxy (self, getenv_nonempty ("BENDI_HUB_PROXY"));
  bendi_hub_config_set_models_dir (self, getenv_nonempty ("BENDI_MODELS_DIR"));
  return self;
}

const char *
bendi_hub_config_get_endpoint (BendiHubConfig *self)
{
  g_return_val_if_fail (BENDI_HUB_IS_CONFIG (self), NULL);
  return self->endpoint;
}

void
bendi_hub_config_set_endpoint (BendiHubConfig *self,
                               const char     *endpoint)
{
  g_autofree char *normalized = NULL;
  gsize len;

  g_return_if_fail (BENDI_HUB_IS_CONFIG (self));

  /* Mirrors are often written with a trailing slash; URLs are built by
   * appending "/api/…" to this. */
  normalized = g_strstrip (g_strdup (endpoint != NULL && *endpoint != '\0' ? endpoint : BENDI_HUB_DEFAULT_ENDPOINT));
  len = strlen (normalized);
  while (len > 0 && normalized[len - 1] == '/')
    normalized[--len] = '\0';
  if (len == 0)
    set_string (&normalized, BENDI_HUB_DEFAULT_ENDPOINT);
  if (set_string (&self->endpoint, normalized))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENDPOINT]);
}

const char *
bendi_hub_config_get_token (BendiHubConfig *self)
{
  g_return_val_if_fail (BENDI_HUB_IS_CONFIG (self), NULL);
  return self->token;
}

void
bendi_hub_config_set_token (BendiHubConfig *self,
                            const char     *token)
{
  g_return_if_fail (BENDI_HUB_IS_CONFIG (self));

  if (token != NULL && *token == '\0')
    token = NULL;
  if (g_strcmp0 (self->token, token) == 0)
    return;
  if (self->token != NULL)
    memset (self->token, 0, strlen (self->token));
  g_free (self->token);
  self->token = g_strdup (token);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOKEN]);
}

const char *
bendi_hub_config_get_proxy (BendiHubConfig *self)
{
  g_return_val_if_fail (BENDI_HUB_IS_CONFIG (self), NULL);
  return self->proxy;
}

void
bendi_hub_config_set_proxy (BendiHubConfig *self,
                            const char     *proxy)
{
  g_return_if_fail (BENDI_HUB_IS_CONFIG (self));

  if (proxy != NULL && *proxy == '\0')
    proxy = NULL;
  if (set_string (&self->proxy, proxy))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROXY]);
}

const char *
bendi_hub_config_get_models_dir (BendiHubConfig *self)
{
  g_return_val_if_fail (BENDI_HUB_IS_CONFIG (self), NULL);
  return self->models_dir;
}

void
bendi_hub_config_set_models_dir (BendiHubConfig *self,
                                 const char     *models_dir)
{
  g_autofree char *dir = NULL;

  g_return_if_fail (BENDI_HUB_IS_CONFIG (self));

  dir = models_dir != NULL && *models_dir != '\0' ? g_canonicalize_filename (models_dir, NULL) : default_models_dir ();
  if (set_string (&self->models_dir, dir))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODELS_DIR]);
}

guint
bendi_hub_config_get_max_parallel_downloads (BendiHubConfig *self)
{
  g_return_val_if_fail (BENDI_HUB_IS_CONFIG (self), 1);
  return self->max_parallel_downloads;
}

void
bendi_hub_config_set_max_parallel_downloads (BendiHubConfig *self,
                                             guint           n)
{
  g_return_if_fail (BENDI_HUB_IS_CONFIG (self));

  n = CLAMP (n, 1, 8);
  if (self->max_parallel_downloads == n)
    return;
  self->max_parallel_downloads = n;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_PARALLEL_DOWNLOADS]);
}
