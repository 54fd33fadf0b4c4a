/* SPDX-License-Identifier: MIT */
/* The model settings beside the chat: preset, system prompt, sampling and limits, bound to a BendiChatSettings. */
#pragma once

#include "app-types.h"
#include "chat-runner.h"
#include "chat-settings.h"

G_BEGIN_DECLS

#define BENDI_TYPE_CHAT_SETTINGS_PANEL (bendi_chat_settings_panel_get_type ())
G_DECLARE_FINAL_TYPE (BendiChatSettingsPanel, bendi_chat_settings_panel, BENDI, CHAT_SETTINGS_PANEL, GtkWidget)

/* Signal "reload-model": the context length, backend or GPU layers changed and
 * the user asked to load the model again with them. */
void bendi_chat_settings_panel_set_settings (BendiChatSettingsPanel *self,
                                             BendiChatSettings      *settings);
/* Whether the model loaded uses the context length shown; when not, a
 * button offers to reload it. */
void bendi_chat_settings_panel_set_loaded_context_length (BendiChatSettingsPanel *self,
                                                          gint64                  n_ctx);
/* Whether a model is loaded, and the backend and GPU layers asked for
 * when it was (-1: as many as fit); when they differ from the settings'
 * the same button offers to reload it. */
void bendi_chat_settings_panel_set_loaded_placement (BendiChatSettingsPanel *self,
                                                     gboolean                loaded,
                                                     const char             *backend,
                                                     gint64                  gpu_layers);
/* Where the model loaded runs, as the engine placed it: the layers on the
 * GPU of how many, or the processor, and the engine's note on what it gave
 * up; NULL (or no layers) hides the row. */
void bendi_chat_settings_panel_set_running_on (BendiChatSettingsPanel   *self,
                                               const BendiChatPlacement *placement);
/* Whether this computer has a GPU; without one the GPU layers row says
 * they only matter for the Vulkan backend. */
void bendi_chat_settings_panel_set_have_gpu (BendiChatSettingsPanel *self,
                                             gboolean                have_gpu);

G_END_DECLS
