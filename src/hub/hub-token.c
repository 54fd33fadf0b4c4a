/* SPDX-License-Identifier: MIT */
/* The access token in the Secret Service keyring. */
#define G_LOG_DOMAIN "bendi-hub"

#include "hub-token.h"

#include <libsecret/secret.h>

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

static void
lookup_cb (GObject      *object G_GNUC_UNUSED,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;
  char *token = secret_password_lookup_finish (result, &error);

  /* No keyring is not an error: there is simply no stored token. */
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("No token from the keyring: %s", error->message);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, token, (GDestroyNotify) secret_password_free);
}

void
bendi_hub_token_lookup_async (const char          *endpoint,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, bendi_hub_token_lookup_async);
  if (!bendi_hub_token_keyring_available ())
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }
  secret_password_lookup (token_schema (), cancellable, lookup_cb, g_steal_pointer (&task),
                          "endpoint", endpoint, NULL);
}

char *
bendi_hub_token_lookup_finish (GAsyncResult  *result,
                               GError       **error)
{
  char *secret = g_task_propagate_pointer (G_TASK (result), error);
  char *token = g_strdup (secret);

  secret_password_free (secret);
  return token;
}

static void
boolean_cb (GObject      *object G_GNUC_UNUSED,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;
  gboolean ok;

  if (g_task_get_source_tag (task) == bendi_hub_token_store_async)
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
bendi_hub_token_store_async (const char          *endpoint,
                             const char          *token,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autofree char *label = g_strdup_printf ("Bendi access token for %s", endpoint);

  g_task_set_source_tag (task, bendi_hub_token_store_async);
  secret_password_store (token_schema (), SECRET_COLLECTION_DEFAULT, label, token, cancellable,
                         boolean_cb, g_steal_pointer (&task), "endpoint", endpoint, NULL);
}

gboolean
bendi_hub_token_store_finish (GAsyncResult  *result,
                              GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
bendi_hub_token_clear_async (const char          *endpoint,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, bendi_hub_token_clear_async);
  secret_password_clear (token_schema (), cancellable, boolean_cb, g_steal_pointer (&task),
                         "endpoint", endpoint, NULL);
}

gboolean
bendi_hub_token_clear_finish (GAsyncResult  *result,
                              GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
