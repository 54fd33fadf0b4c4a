/* SPDX-License-Identifier: MIT */
/* The saved remote endpoints: a small JSON file for names and URLs, the
 * keyring for API keys. */
#define G_LOG_DOMAIN "bendi-remote"

#include "remote-connections.h"

#include <errno.h>
#include <json-glib/json-glib.h>

#include "hub-secret-private.h"
#include "hub-token.h"
#include "remote-client.h"

/* More would be a file someone else wrote; refuse it rather than read it. */
#define MAX_FILE_BYTES ((gsize) 1024 * 1024)

enum {
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

struct _BendiRemoteConnections {
  GObject    parent_instance;

  char      *path;
  GPtrArray *connections;   /* of BendiRemoteConnection */
};

G_DEFINE_FINAL_TYPE (BendiRemoteConnections, bendi_remote_connections, G_TYPE_OBJECT)

BendiRemoteConnection *
bendi_remote_connection_copy (const BendiRemoteConnection *self)
{
  BendiRemoteConnection *copy = g_new0 (BendiRemoteConnection, 1);

  copy->id = g_strdup (self->id);
  copy->name = g_strdup (self->name);
  copy->base_url = g_strdup (self->base_url);
  return copy;
}

void
bendi_remote_connection_free (BendiRemoteConnection *self)
{
  if (self == NULL)
    return;
  g_free (self->id);
  g_free (self->name);
  g_free (self->base_url);
  g_free (self);
}

G_DEFINE_BOXED_TYPE (BendiRemoteConnection, bendi_remote_connection,
                     bendi_remote_connection_copy, bendi_remote_connection_free)

/* ------------------------------------------------------------------------ */
/* The file */

/* {"connections": [{"id": …, "name": …, "base_url": …}, …]} */
static gboolean
load_file (BendiRemoteConnections  *self,
           GError                 **error)
{
  g_autofree char *text = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  JsonNode *root;
  JsonNode *list_node;
  JsonArray *list;
  gsize len = 0;

  if (!g_file_get_contents (self->path, &text, &len, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (len > MAX_FILE_BYTES || !json_parser_load_from_data (parser, text, (gssize) len, NULL))
    goto invalid;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    goto invalid;
  list_node = json_object_get_member (json_node_get_object (root), "connections");
  if (list_node == NULL || !JSON_NODE_HOLDS_ARRAY (list_node))
    goto invalid;
  list = json_node_get_array (list_node);
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonNode *node = json_array_get_element (list, i);
      JsonObject *object = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *id = object != NULL ? json_object_get_string_member_with_default (object, "id", NULL) : NULL;
      const char *name = object != NULL ? json_object_get_string_member_with_default (object, "name", "") : NULL;
      const char *url = object != NULL ? json_object_get_string_member_with_default (object, "base_url", NULL) : NULL;
      g_autofree char *normal = url != NULL ? bendi_remote_normalize_url (url, NULL) : NULL;
      BendiRemoteConnection *connection;

      /* An entry edited by hand into nonsense is skipped, not fatal. */
      if (id == NULL || *id == '\0' || normal == NULL)
        {
          g_warning ("%s: skipping connection %u, which lacks an id or a usable URL", self->path, i);
          continue;
        }
      connection = g_new0 (BendiRemoteConnection, 1);
      connection->id = g_strdup (id);
      connection->name = g_strdup (name);
      connection->base_url = g_steal_pointer (&normal);
      g_ptr_array_add (self->connections, connection);
    }
  return TRUE;

invalid:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s is not a list of connections", self->path);
  return FALSE;
}

static gboolean
save_file (BendiRemoteConnections  *self,
           GError                 **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new_immutable ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *dir = g_path_get_dirname (self->path);
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "connections");
  json_builder_begin_array (b);
  for (guint i = 0; i < self->connections->len; i++)
    {
      BendiRemoteConnection *connection = g_ptr_array_index (self->connections, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "id");
      json_builder_add_string_value (b, connection->id);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, connection->name);
      json_builder_set_member_name (b, "base_url");
      json_builder_add_string_value (b, connection->base_url);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  text = json_to_string (root, TRUE);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "Cannot create %s: %s", dir,
                   g_strerror (saved_errno));
      return FALSE;
    }
  /* g_file_set_contents writes a temporary file and renames it over the
   * old one, so a crash leaves the old list or the new, never half. */
  return g_file_set_contents_full (self->path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

static BendiRemoteConnection *
find (BendiRemoteConnections  *self,
      const char              *id,
      GError                 **error)
{
  for (guint i = 0; i < self->connections->len; i++)
    {
      BendiRemoteConnection *connection = g_ptr_array_index (self->connections, i);

      if (g_strcmp0 (connection->id, id) == 0)
        return connection;
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "No connection %s", id);
  return NULL;
}

/* Sets *@field of a connection to @value (taken) and saves; when saving
 * fails the old value is back, so the list still matches the file. */
static gboolean
replace_field (BendiRemoteConnections  *self,
               char                   **field,
               char                    *value,
               GError                 **error)
{
  g_autofree char *old = g_steal_pointer (field);

  *field = value;
  if (!save_file (self, error))
    {
      g_free (*field);
      *field = g_steal_pointer (&old);
      return FALSE;
    }
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* API keys in the keyring */

static const SecretSchema *
api_key_schema (void)
{
  static const SecretSchema schema = {
    "io.github.bendi.Bendi.RemoteApiKey", SECRET_SCHEMA_NONE,
    {
      { "connection", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
    0, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  };

  return &schema;
}

void
bendi_remote_api_key_lookup_async (const char          *connection_id,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  hub_secret_lookup_async (api_key_schema (), "connection", connection_id, cancellable, callback, user_data);
}

char *
bendi_remote_api_key_lookup_finish (GAsyncResult  *result,
                                    GError       **error)
{
  return hub_secret_lookup_finish (result, error);
}

void
bendi_remote_api_key_store_async (const char          *connection_id,
                                  const char          *api_key,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autofree char *label = g_strdup_printf ("Bendi API key for connection %s", connection_id);

  /* Without a session bus libsecret would only fail slowly. */
  if (!bendi_hub_token_keyring_available ())
    {
      g_task_report_new_error (NULL, callback, user_data, bendi_remote_api_key_store_async,
                               G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "No keyring is running to keep the API key in");
      return;
    }
  hub_secret_store_async (api_key_schema (), "connection", connection_id, label, api_key, cancellable, callback,
                          user_data);
}

gboolean
bendi_remote_api_key_store_finish (GAsyncResult  *result,
                                   GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
forget_key_cb (GObject      *object G_GNUC_UNUSED,
               GAsyncResult *result,
               gpointer      user_data G_GNUC_UNUSED)
{
  g_autoptr (GError) error = NULL;

  if (!bendi_remote_api_key_store_finish (result, &error) && error != NULL)
    g_debug ("Could not clear a removed connection's API key: %s", error->message);
}

/* ------------------------------------------------------------------------ */
/* The object */

static void
bendi_remote_connections_finalize (GObject *object)
{
  BendiRemoteConnections *self = BENDI_REMOTE_CONNECTIONS (object);

  g_free (self->path);
  g_clear_pointer (&self->connections, g_ptr_array_unref);

  G_OBJECT_CLASS (bendi_remote_connections_parent_class)->finalize (object);
}

static void
bendi_remote_connections_class_init (BendiRemoteConnectionsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = bendi_remote_connections_finalize;

  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
bendi_remote_connections_init (BendiRemoteConnections *self)
{
  self->connections = g_ptr_array_new_with_free_func ((GDestroyNotify) bendi_remote_connection_free);
}

BendiRemoteConnections *
bendi_remote_connections_new (const char  *path,
                              GError     **error)
{
  g_autoptr (BendiRemoteConnections) self = g_object_new (BENDI_TYPE_REMOTE_CONNECTIONS, NULL);

  self->path = path != NULL ? g_strdup (path)
                            : g_build_filename (g_get_user_config_dir (), "bendi", "connections.json", NULL);
  if (!load_file (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

const char *
bendi_remote_connections_get_path (BendiRemoteConnections *self)
{
  g_return_val_if_fail (BENDI_IS_REMOTE_CONNECTIONS (self), NULL);

  return self->path;
}

GPtrArray *
bendi_remote_connections_list (BendiRemoteConnections *self)
{
  GPtrArray *copy;

  g_return_val_if_fail (BENDI_IS_REMOTE_CONNECTIONS (self), NULL);

  copy = g_ptr_array_new_full (self->connections->len, (GDestroyNotify) bendi_remote_connection_free);
  for (guint i = 0; i < self->connections->len; i++)
    g_ptr_array_add (copy, bendi_remote_connection_copy (g_ptr_array_index (self->connections, i)));
  return copy;
}

BendiRemoteConnection *
bendi_remote_connections_lookup (BendiRemoteConnections *self,
                                 const char             *id)
{
  BendiRemoteConnection *connection;

  g_return_val_if_fail (BENDI_IS_REMOTE_CONNECTIONS (self), NULL);

  connection = find (self, id, NULL);
  return connection != NULL ? bendi_remote_connection_copy (connection) : NULL;
}

char *
bendi_remote_connections_add (BendiRemoteConnections  *self,
                              const char              *name,
                              const char              *base_url,
                              GError                 **error)
{
  g_autofree char *normal = NULL;
  BendiRemoteConnection *connection;
  char *id;

  g_return_val_if_fail (BENDI_IS_REMOTE_CONNECTIONS (self), NULL);

  normal = bendi_remote_normalize_url (base_url, error);
  if (normal == NULL)
    return NULL;
  connection = g_new0 (BendiRemoteConnection, 1);
  connection->id = g_uuid_string_random ();
  if (name != NULL && *name != '\0')
    connection->name = g_strstrip (g_strdup (name));
  else
    {
      g_autoptr (GUri) uri = g_uri_parse (normal, G_URI_FLAGS_NONE, NULL);

      connection->name = g_strdup (uri != NULL ? g_uri_get_host (uri) : normal);
    }
  connection->base_url = g_steal_pointer (&normal);
  g_ptr_array_add (self->connections, connection);
  if (!save_file (self, error))
    {
      g_ptr_array_remove (self->connections, connection);
      return NULL;
    }
  /* Copied first: a "changed" handler may edit the list. */
  id = g_strdup (connection->id);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  return id;
}

gboolean
bendi_remote_connections_remove (BendiRemoteConnections  *self,
                                 const char              *id,
                                 GError                 **error)
{
  BendiRemoteConnection *connection;
  BendiRemoteConnection *removed;
  guint index = 0;

  g_return_val_if_fail (BENDI_IS_REMOTE_CONNECTIONS (self), FALSE);

  connection = find (self, id, error);
  if (connection == NULL)
    return FALSE;
  g_ptr_array_find (self->connections, connection, &index);
  removed = g_ptr_array_steal_index (self->connections, index);
  if (!save_file (self, error))
    {
      g_ptr_array_insert (self->connections, (gint) index, removed);
      return FALSE;
    }
  if (bendi_hub_token_keyring_available ())
    bendi_remote_api_key_store_async (removed->id, NULL, NULL, forget_key_cb, NULL);
  bendi_remote_connection_free (removed);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  return TRUE;
}

gboolean
bendi_remote_connections_rename (BendiRemoteConnections  *self,
                                 const char              *id,
                                 const char              *name,
                                 GError                 **error)
{
  BendiRemoteConnection *connection;

  g_return_val_if_fail (BENDI_IS_REMOTE_CONNECTIONS (self), FALSE);

  connection = find (self, id, error);
  if (connection == NULL)
    return FALSE;
  if (name == NULL || *name == '\0')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "A connection needs a name");
      return FALSE;
    }
  if (g_strcmp0 (connection->name, name) == 0)
    return TRUE;
  return replace_field (self, &connection->name, g_strstrip (g_strdup (name)), error);
}

gboolean
bendi_remote_connections_set_base_url (BendiRemoteConnections  *self,
                                       const char              *id,
                                       const char              *base_url,
                                       GError                 **error)
{
  BendiRemoteConnection *connection;
  g_autofree char *normal = NULL;

  g_return_val_if_fail (BENDI_IS_REMOTE_CONNECTIONS (self), FALSE);

  connection = find (self, id, error);
  if (connection == NULL)
    return FALSE;
  normal = bendi_remote_normalize_url (base_url, error);
  if (normal == NULL)
    return FALSE;
  if (g_str_equal (normal, connection->base_url))
    return TRUE;
  return replace_field (self, &connection->base_url, g_steal_pointer (&normal), error);
}
