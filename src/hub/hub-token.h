/* SPDX-License-Identifier: MIT */
/* The Hub access token in the user's keyring (libsecret), one per endpoint,
 * so that it is never written to a plain file. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Finishes with the token for @endpoint, or NULL (no error) when there is
 * none or no keyring is running. */
void     bendi_hub_token_lookup_async  (const char          *endpoint,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
char    *bendi_hub_token_lookup_finish (GAsyncResult        *result,
                                        GError             **error) G_GNUC_WARN_UNUSED_RESULT;
void     bendi_hub_token_store_async   (const char          *endpoint,
                                        const char          *token,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
gboolean bendi_hub_token_store_finish  (GAsyncResult        *result,
                                        GError             **error);
void     bendi_hub_token_clear_async   (const char          *endpoint,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
gboolean bendi_hub_token_clear_finish  (GAsyncResult        *result,
                                        GError             **error);

/* TRUE when a session bus is there to ask; without one (CI, ssh) libsecret
 * would only fail slowly. */
gboolean bendi_hub_token_keyring_available (void);

G_END_DECLS
