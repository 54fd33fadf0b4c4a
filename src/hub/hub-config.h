/* SPDX-License-Identifier: MIT */
/* Where the hub talks to and writes to: endpoint, token, proxy, models
 * directory. Read from the environment today; the app binds these
 * properties to its GSettings keys (g_settings_bind) later. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define BENDI_HUB_DEFAULT_ENDPOINT "https://huggingface.co"

#define BENDI_HUB_TYPE_CONFIG (bendi_hub_config_get_type ())
G_DECLARE_FINAL_TYPE (BendiHubConfig, bendi_hub_config, BENDI_HUB, CONFIG, GObject)

/* Defaults: the Hub, no token, the system proxy, the default models dir. */
BendiHubConfig *bendi_hub_config_new                  (void) G_GNUC_WARN_UNUSED_RESULT;
/* Defaults overridden by HF_ENDPOINT, HF_TOKEN (or HUGGING_FACE_HUB_TOKEN),
 * BENDI_MODELS_DIR and BENDI_HUB_PROXY. */
BendiHubConfig *bendi_hub_config_new_from_environment (void) G_GNUC_WARN_UNUSED_RESULT;

/* Without a trailing slash. NULL or "" sets the default. */
const char *bendi_hub_config_get_endpoint   (BendiHubConfig *self);
void        bendi_hub_config_set_endpoint   (BendiHubConfig *self,
                                             const char     *endpoint);
/* The access token for gated repositories, or NULL. Never printed: the
 * property is write-only so that property dumps cannot show it. */
const char *bendi_hub_config_get_token      (BendiHubConfig *self);
void        bendi_hub_config_set_token      (BendiHubConfig *self,
                                             const char     *token);
/* A manual proxy URI ("http://host:3128", "socks5://…"), or NULL for the
 * system's (GNOME settings, http_proxy/https_proxy/no_proxy). */
const char *bendi_hub_config_get_proxy      (BendiHubConfig *self);
void        bendi_hub_config_set_proxy      (BendiHubConfig *self,
                                             const char     *proxy);
/* Never NULL: NULL or "" sets $XDG_DATA_HOME/bendi/models. */
const char *bendi_hub_config_get_models_dir (BendiHubConfig *self);
void        bendi_hub_config_set_models_dir (BendiHubConfig *self,
                                             const char     *models_dir);
/* Downloads a queue runs at once (1 to 8; 2 by default). */
guint       bendi_hub_config_get_max_parallel_downloads (BendiHubConfig *self);
void        bendi_hub_config_set_max_parallel_downloads (BendiHubConfig *self,
                                                         guint           n);

G_END_DECLS
