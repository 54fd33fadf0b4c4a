/* SPDX-License-Identifier: MIT */
/* Secrets in the Secret Service keyring: the Hub access token, and the
 * helpers that remote connections keep their API keys with too. */
#define G_LOG_DOMAIN "bendi-hub"

#include "hub-token.h"

#include "hub-secret-private.h"

static const SecretSchema *
token_schema (void)
{
  static const SecretSchema schema = {
    "io.github.bendi.Bendi.HubToken", SECRET_SCHEMA_NONE,
    {
      { "endpoint", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
    0, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  };

  return &schema;
}

gboolean
bendi_hub_token_keyring_available (void)
{
  const char *address = g_getenv ("DBUS_SESSION_BUS_ADDRESS");
  g_autofree char *bus = NULL;

  if (address != NULL && *address != '\0')
    return TRUE;
  bus = g_build_filename (g_get_user_runtime_dir (), "bus", NULL);
  return g_file_test (bus, G_FILE_TEST_EXISTS);
}

/* ------------------------------------------------------------------------ */
/* Any secret under one attribute */

static void
lookup_cb (GObject      *object G_GNUC_UNUSED,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;
  char *secret = secret_password_lookup_finish (result, &error);

  /* No keyring is not an error: there is simply no stored secret. */
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("No secret from the keyring: %s", error->message);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, secret, (GDestroyNotify) secret_password_free);
}

void
hub_secret_lookup_async (const SecretSchema  *schema,
                         const char          *attribute,
                         const char          *value,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, hub_secret_lookup_async);
  if (!bendi_hub_token_keyring_available ())
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }
  secret_password_lookup (schema, cancellable, lookup_cb, g_steal_pointer (&task), attribute, value, NULL);
}

char *
hub_secret_lookup_finish (GAsyncResult  *result,
                          GError       **error)
{
  char *secret = g_task_propagate_pointer (G_TASK (result), error);
  char *copy = g_strdup (secret);

  secret_password_free (secret);
  return copy;
}

static void
store_cb (GObject      *object G_GNUC_UNUSED,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;
  gboolean ok;

  /* Task data marks a store, as against a clear. */
  if (g_task_get_task_data (task) != NULL)
    ok = secret_password_store_finish (result, &error);
  else
    {
      ok = secret_password_clear_finish (result, &error);
      ok = ok || error == NULL;
    }
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, ok);
}

void
hub_secret_store_async (const SecretSchema  *schema,
                        const char          *attribute,
                        const char          *value,
                        const char          *label,
                        const char          *secret,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, hub_secret_store_async);
  if (secret == NULL || *secret == '\0')
    {
      secret_password_clear (schema, cancellable, store_cb, g_steal_pointer (&task), attribute, value, NULL);
      return;
    }
  g_task_set_task_data (task, GINT_TO_POINTER (1), NULL);
  secret_password_store (schema, SECRET_COLLECTION_DEFAULT, label, secret, cancellable, store_cb,
                         g_steal_pointer (&task), attribute, value, NULL);
}

gboolean
hub_secret_store_finish (GAsyncResult  *result,
                         GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ------------------------------------------------------------------------ */
/* The Hub token */

void
bendi_hub_token_lookup_async (const char          *endpoint,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  hub_secret_lookup_async (token_schema (), "endpoint", endpoint, cancellable, callback, user_data);
}

char *
bendi_hub_token_lookup_finish (GAsyncResult  *result,
                               GError       **error)
{
  return hub_secret_lookup_finish (result, error);
}

void
bendi_hub_token_store_async (const char          *endpoint,
                             const char          *token,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autofree char *label = g_strdup_printf ("Bendi access token for %s", endpoint);

  hub_secret_store_async (token_schema (), "endpoint", endpoint, label, token, cancellable, callback, user_data);
}

gboolean
bendi_hub_token_store_finish (GAsyncResult  *result,
                              GError       **error)
{
  return hub_secret_store_finish (result, error);
}

void
bendi_hub_token_clear_async (const char          *endpoint,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  hub_secret_store_async (token_schema (), "endpoint", endpoint, NULL, NULL, cancellable, callback, user_data);
}

gboolean
bendi_hub_token_clear_finish (GAsyncResult  *result,
                              GError       **error)
{
  return hub_secret_store_finish (result, error);
}
