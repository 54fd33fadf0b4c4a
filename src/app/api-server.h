/* SPDX-License-Identifier: MIT */
/* The local API server inside the app: started and stopped by the "server-enabled" setting, serving the Chat page's model. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define BENDI_TYPE_API_SERVER (bendi_api_server_get_type ())
G_DECLARE_FINAL_TYPE (BendiApiServer, bendi_api_server, BENDI, API_SERVER, GObject)

/* Follows "server-enabled", "server-port" and "chat-model" of @settings. */
BendiApiServer *bendi_api_server_new         (GSettings      *settings) G_GNUC_WARN_UNUSED_RESULT;

/* TRUE while listening. */
gboolean        bendi_api_server_get_running (BendiApiServer *self);
/* Why it is not running although enabled (the port is taken…), or NULL. */
const GError   *bendi_api_server_get_error   (BendiApiServer *self);
/* "http://127.0.0.1:8080/v1" while running, else NULL. */
char           *bendi_api_server_dup_url     (BendiApiServer *self) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
