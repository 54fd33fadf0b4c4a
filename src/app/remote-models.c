/* SPDX-License-Identifier: MIT */
/* Remote endpoints' model lists: for each connection its API key from the keyring, a client, and GET /v1/models; a failure is that endpoint's state, never a dialog. */
#define G_LOG_DOMAIN "bendi-app"

#include "remote-models.h"

#define PATH_PREFIX "remote:"

/* One endpoint and the work in flight for it. */
typedef struct
{
  BendiRemoteEndpoint  public;
  BendiRemoteModels   *owner;        /* not owned; NULL once the owner let go */
  BendiRemoteClient   *client;
  GCancellable        *cancellable;
  gatomicrefcount      ref_count;
} Endpoint;

struct _BendiRemoteModels
{
  GObject                 parent_instance;

  BendiRemoteConnections *connections;
  GPtrArray              *endpoints;   /* of Endpoint, in the connections' order */
  GHashTable             *api_keys;    /* connection id → key given this session */
};

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (BendiRemoteModels, bendi_remote_models, G_TYPE_OBJECT)

char *
bendi_remote_model_path_new (const char *connection_id,
                             const char *model_id)
{
  g_return_val_if_fail (connection_id != NULL && strchr (connection_id, '/') == NULL, NULL);
  g_return_val_if_fail (model_id != NULL, NULL);

  return g_strconcat (PATH_PREFIX, connection_id, "/", model_id, NULL);
}

gboolean
bendi_remote_model_path_parse (const char  *path,
                               char       **connection_id,
                               char       **model_id)
{
  const char *slash;

  if (path == NULL || !g_str_has_prefix (path, PATH_PREFIX))
    return FALSE;
  path += strlen (PATH_PREFIX);
  /* The connection's id has no slash; a model's name may ("org/model"). */
  slash = strchr (path, '/');
  if (slash == NULL || slash == path || slash[1] == '\0')
    return FALSE;
  if (connection_id != NULL)
    *connection_id = g_strndup (path, (gsize) (slash - path));
  if (model_id != NULL)
    *model_id = g_strdup (slash + 1);
  return TRUE;
}

static Endpoint *
endpoint_ref (Endpoint *endpoint)
{
  g_atomic_ref_count_inc (&endpoint->ref_count);
  return endpoint;
}

static void
endpoint_unref (Endpoint *endpoint)
{
  if (!g_atomic_ref_count_dec (&endpoint->ref_count))
    return;
  g_clear_pointer (&endpoint->public.connection, bendi_remote_connection_free);
  g_clear_pointer (&endpoint->public.models, g_ptr_array_unref);
  g_clear_error (&endpoint->public.error);
  g_clear_object (&endpoint->client);
  g_clear_object (&endpoint->cancellable);
  g_free (endpoint);
}

static void
endpoint_forget (Endpoint *endpoint)
{
  g_cancellable_cancel (endpoint->cancellable);
  endpoint->owner = NULL;
  endpoint_unref (endpoint);
}

static void
endpoint_fail (Endpoint *endpoint,
               GError   *error)
{
  endpoint->public.state = BENDI_REMOTE_ENDPOINT_FAILED;
  g_clear_error (&endpoint->public.error);
  endpoint->public.error = error;
  g_signal_emit (endpoint->owner, signals[CHANGED], 0);
}

static void
models_listed_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Endpoint *endpoint = user_data;
  g_autoptr (GPtrArray) models = NULL;
  GError *error = NULL;

  models = bendi_remote_client_list_models_finish (BENDI_REMOTE_CLIENT (source), result, &error);
  if (endpoint->owner == NULL)
    {
      g_clear_error (&error);
      endpoint_unref (endpoint);
      return;
    }
  if (models == NULL)
    endpoint_fail (endpoint, error);
  else
    {
      g_ptr_array_unref (endpoint->public.models);
      endpoint->public.models = g_steal_pointer (&models);
      endpoint->public.state = BENDI_REMOTE_ENDPOINT_LISTED;
      g_signal_emit (endpoint->owner, signals[CHANGED], 0);
    }
  endpoint_unref (endpoint);
}

static void
endpoint_list (Endpoint   *endpoint,
               const char *api_key)
{
  GError *error = NULL;

  g_clear_object (&endpoint->client);
  endpoint->client = bendi_remote_client_new (endpoint->public.connection->base_url, api_key, &error);
  if (endpoint->client == NULL)
    {
      endpoint_fail (endpoint, error);
      return;
    }
  bendi_remote_client_list_models_async (endpoint->client, endpoint->cancellable, models_listed_cb,
                                         endpoint_ref (endpoint));
}

static void
api_key_cb (GObject      *source G_GNUC_UNUSED,
            GAsyncResult *result,
            gpointer      user_data)
{
  Endpoint *endpoint = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *api_key = bendi_remote_api_key_lookup_finish (result, &error);

  /* A keyring that fails is no key: the server says whether one is needed. */
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("Could not read the API key of %s: %s", endpoint->public.connection->name, error->message);
  if (endpoint->owner != NULL)
    endpoint_list (endpoint, api_key);
  endpoint_unref (endpoint);
}

/* A new endpoint for @connection, listing its models. */
static Endpoint *
endpoint_new (BendiRemoteModels           *self,
              const BendiRemoteConnection *connection)
{
  Endpoint *endpoint = g_new0 (Endpoint, 1);
  const char *api_key;

  g_atomic_ref_count_init (&endpoint->ref_count);
  endpoint->owner = self;
  endpoint->public.connection = bendi_remote_connection_copy (connection);
  endpoint->public.state = BENDI_REMOTE_ENDPOINT_LISTING;
  endpoint->public.models = g_ptr_array_new_with_free_func ((GDestroyNotify) bendi_remote_model_free);
  endpoint->cancellable = g_cancellable_new ();
  if (g_hash_table_lookup_extended (self->api_keys, connection->id, NULL, (gpointer *) &api_key))
    endpoint_list (endpoint, api_key);
  else
    bendi_remote_api_key_lookup_async (connection->id, endpoint->cancellable, api_key_cb, endpoint_ref (endpoint));
  return endpoint;
}

/* The endpoints of the connections as they now are. One whose server is
 * unchanged keeps its list (a rename only renames it), unless @relist_all
 * or it is @relist_id's (a new API key); new or moved servers are listed,
 * removed ones forgotten (their listing cancelled). */
static void
rebuild (BendiRemoteModels *self,
         gboolean           relist_all,
         const char        *relist_id)
{
  g_autoptr (GPtrArray) connections = bendi_remote_connections_list (self->connections);
  g_autoptr (GPtrArray) old = g_steal_pointer (&self->endpoints);

  self->endpoints = g_ptr_array_new_with_free_func ((GDestroyNotify) endpoint_forget);
  for (guint i = 0; i < connections->len; i++)
    {
      const BendiRemoteConnection *connection = g_ptr_array_index (connections, i);
      Endpoint *endpoint = NULL;

      for (guint j = 0; j < old->len && endpoint == NULL; j++)
        {
          Endpoint *candidate = g_ptr_array_index (old, j);

          if (!relist_all && g_strcmp0 (relist_id, connection->id) != 0 &&
              g_str_equal (candidate->public.connection->id, connection->id) &&
              g_str_equal (candidate->public.connection->base_url, connection->base_url))
            {
              endpoint = g_ptr_array_steal_index (old, j);
              bendi_remote_connection_free (endpoint->public.connection);
              endpoint->public.connection = bendi_remote_connection_copy (connection);
            }
        }
      g_ptr_array_add (self->endpoints, endpoint != NULL ? endpoint : endpoint_new (self, connection));
    }
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
connections_changed_cb (BendiRemoteModels *self)
{
  rebuild (self, FALSE, NULL);
}

static Endpoint *
find_endpoint (BendiRemoteModels *self,
               const char        *connection_id)
{
  for (guint i = 0; i < self->endpoints->len; i++)
    {
      Endpoint *endpoint = g_ptr_array_index (self->endpoints, i);

      if (g_strcmp0 (endpoint->public.connection->id, connection_id) == 0)
        return endpoint;
    }
  return NULL;
}

static void
api_key_stored_cb (GObject      *source G_GNUC_UNUSED,
                   GAsyncResult *result,
                   gpointer      user_data G_GNUC_UNUSED)
{
  g_autoptr (GError) error = NULL;

  /* Without a keyring the key lasts this session (kept in memory). */
  if (!bendi_remote_api_key_store_finish (result, &error))
    g_message ("Could not save the API key in the keyring: %s", error->message);
}

static void
bendi_remote_models_dispose (GObject *object)
{
  BendiRemoteModels *self = BENDI_REMOTE_MODELS (object);

  if (self->connections != NULL)
    g_signal_handlers_disconnect_by_data (self->connections, self);
  g_clear_object (&self->connections);
  if (self->endpoints != NULL)
    g_ptr_array_set_size (self->endpoints, 0);

  G_OBJECT_CLASS (bendi_remote_models_parent_class)->dispose (object);
}

static void
bendi_remote_models_finalize (GObject *object)
{
  BendiRemoteModels *self = BENDI_REMOTE_MODELS (object);

  g_ptr_array_unref (self->endpoints);
  g_hash_table_unref (self->api_keys);

  G_OBJECT_CLASS (bendi_remote_models_parent_class)->finalize (object);
}

static void
bendi_remote_models_class_init (BendiRemoteModelsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bendi_remote_models_dispose;
  object_class->finalize = bendi_remote_models_finalize;

  signals[CHANGED] =
    g_signal_new ("changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
bendi_remote_models_init (BendiRemoteModels *self)
{
  self->endpoints = g_ptr_array_new_with_free_func ((GDestroyNotify) endpoint_forget);
  self->api_keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

BendiRemoteModels *
bendi_remote_models_new (BendiRemoteConnections *connections)
{
  BendiRemoteModels *self;

  g_return_val_if_fail (BENDI_IS_REMOTE_CONNECTIONS (connections), NULL);

  self = g_object_new (BENDI_TYPE_REMOTE_MODELS, NULL);
  self->connections = g_object_ref (connections);
  g_signal_connect_swapped (connections, "changed", G_CALLBACK (connections_changed_cb), self);
  rebuild (self, TRUE, NULL);
  return self;
}

BendiRemoteConnections *
bendi_remote_models_get_connections (BendiRemoteModels *self)
{
  g_return_val_if_fail (BENDI_IS_REMOTE_MODELS (self), NULL);
  return self->connections;
}

GPtrArray *
bendi_remote_models_get_endpoints (BendiRemoteModels *self)
{
  g_return_val_if_fail (BENDI_IS_REMOTE_MODELS (self), NULL);
  /* Endpoint starts with its public part. */
  return self->endpoints;
}

void
bendi_remote_models_refresh (BendiRemoteModels *self)
{
  g_return_if_fail (BENDI_IS_REMOTE_MODELS (self));
  rebuild (self, TRUE, NULL);
}

BendiRemoteClient *
bendi_remote_models_get_client (BendiRemoteModels *self,
                                const char        *connection_id)
{
  Endpoint *endpoint;

  g_return_val_if_fail (BENDI_IS_REMOTE_MODELS (self), NULL);

  endpoint = find_endpoint (self, connection_id);
  return endpoint != NULL ? endpoint->client : NULL;
}

const BendiRemoteConnection *
bendi_remote_models_lookup_connection (BendiRemoteModels *self,
                                       const char        *connection_id)
{
  Endpoint *endpoint;

  g_return_val_if_fail (BENDI_IS_REMOTE_MODELS (self), NULL);

  endpoint = find_endpoint (self, connection_id);
  return endpoint != NULL ? endpoint->public.connection : NULL;
}

const BendiRemoteModel *
bendi_remote_models_lookup_model (BendiRemoteModels *self,
                                  const char        *connection_id,
                                  const char        *model_id)
{
  Endpoint *endpoint;

  g_return_val_if_fail (BENDI_IS_REMOTE_MODELS (self), NULL);

  endpoint = find_endpoint (self, connection_id);
  for (guint i = 0; endpoint != NULL && i < endpoint->public.models->len; i++)
    {
      const BendiRemoteModel *model = g_ptr_array_index (endpoint->public.models, i);

      if (g_strcmp0 (model->id, model_id) == 0)
        return model;
    }
  return NULL;
}

void
bendi_remote_models_set_api_key (BendiRemoteModels *self,
                                 const char        *connection_id,
                                 const char        *api_key)
{
  g_return_if_fail (BENDI_IS_REMOTE_MODELS (self));
  g_return_if_fail (connection_id != NULL);

  g_hash_table_replace (self->api_keys, g_strdup (connection_id), g_strdup (api_key != NULL ? api_key : ""));
  bendi_remote_api_key_store_async (connection_id, api_key, NULL, api_key_stored_cb, NULL);
  rebuild (self, FALSE, connection_id);
}
