/* SPDX-License-Identifier: MIT */
/* Secrets in the user's keyring (libsecret) under one string attribute: the
 * Hub token by endpoint, a remote connection's API key by its id. */
#pragma once

#include <gio/gio.h>
#include <libsecret/secret.h>

G_BEGIN_DECLS

/* Finishes with the secret stored under @attribute = @value, or NULL (no
 * error) when there is none, no keyring runs or it would not answer;
 * only cancellation is an error. */
void      hub_secret_lookup_async  (const SecretSchema   *schema,
                                    const char           *attribute,
                                    const char           *value,
                                    GCancellable         *cancellable,
                                    GAsyncReadyCallback   callback,
                                    gpointer              user_data);
char     *hub_secret_lookup_finish (GAsyncResult         *result,
                                    GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* Stores @secret with @label in the default collection, or with NULL or ""
 * clears what is stored (clearing nothing is no error). */
void      hub_secret_store_async   (const SecretSchema   *schema,
                                    const char           *attribute,
                                    const char           *value,
                                    const char           *label,
                                    const char           *secret,
                                    GCancellable         *cancellable,
                                    GAsyncReadyCallback   callback,
                                    gpointer              user_data);
gboolean  hub_secret_store_finish  (GAsyncResult         *result,
                                    GError              **error);

G_END_DECLS
