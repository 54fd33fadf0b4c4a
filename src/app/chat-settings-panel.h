/* SPDX-License-Identifier: MIT */
/* The model settings beside the chat: preset, system prompt, sampling and limits, bound to a BendiChatSettings. */
#pragma once

#include "app-types.h"
#include "chat-settings.h"

G_BEGIN_DECLS

#define BENDI_TYPE_CHAT_SETTINGS_PANEL (bendi_chat_settings_panel_get_type ())
G_DECLARE_FINAL_TYPE (BendiChatSettingsPanel, bendi_chat_settings_panel, BENDI, CHAT_SETTINGS_PANEL, GtkWidget)

/* Signal "reload-model": the context length changed and the user asked
 * to load the model again with it. */
void bendi_chat_settings_panel_set_settings (BendiChatSettingsPanel *self,
                                             BendiChatSettings      *settings);
/* Whether the model loaded uses the context length shown; when not, a
 * button offers to reload it. */
void bendi_chat_settings_panel_set_loaded_context_length (BendiChatSettingsPanel *self,
                                                          gint64                  n_ctx);

G_END_DECLS
