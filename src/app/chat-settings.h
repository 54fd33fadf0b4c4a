/* SPDX-License-Identifier: MIT */
/* A model's chat settings (system prompt, sampling, limits), remembered per model, and the presets that fill them in. */
#pragma once

#include "app-types.h"
#include "session.h"

G_BEGIN_DECLS

#define BENDI_TYPE_CHAT_SETTINGS (bendi_chat_settings_get_type ())
G_DECLARE_FINAL_TYPE (BendiChatSettings, bendi_chat_settings, BENDI, CHAT_SETTINGS, GObject)

/* Settings kept in @path (JSON); NULL for
 * $XDG_CONFIG_HOME/bendi/chat-settings.json. Properties: "system-prompt",
 * "temperature", "top-p", "top-k", "min-p", "repeat-penalty",
 * "max-tokens" (0: no limit), "context-length" (0: the model's, at most
 * 4096), "gpu-layers" (-1: as many as fit), "backend" ("auto", "cpu" or
 * "vulkan"). Every change is saved for the current model. */
BendiChatSettings *bendi_chat_settings_new (const char *path) G_GNUC_WARN_UNUSED_RESULT;

/* Shows the settings remembered for @model_path (by its file name, so a
 * moved file keeps them), or the defaults. NULL: the defaults, not saved. */
void         bendi_chat_settings_set_model        (BendiChatSettings   *self,
                                                   const char          *model_path);
/* Back to the defaults, for the current model. */
void         bendi_chat_settings_reset            (BendiChatSettings   *self);

const char  *bendi_chat_settings_get_system_prompt  (BendiChatSettings *self);
gint64       bendi_chat_settings_get_context_length (BendiChatSettings *self);
/* The model's layers to put on the GPU (-1: as many as fit): the value
 * chosen for this model, else the default. */
gint64       bendi_chat_settings_get_gpu_layers     (BendiChatSettings *self);
/* The GPU layers of models that have none chosen (Preferences' setting);
 * -1 until set. Not saved. */
void         bendi_chat_settings_set_default_gpu_layers (BendiChatSettings *self,
                                                         gint64             gpu_layers);
/* Where the model runs: "auto", "cpu" or "vulkan"; the value chosen for
 * this model, else the default ("auto" until set, not saved). */
const char  *bendi_chat_settings_get_backend        (BendiChatSettings *self);
void         bendi_chat_settings_set_default_backend (BendiChatSettings *self,
                                                      const char        *backend);
/* Sampling and the token limit, onto @params. */
void         bendi_chat_settings_fill_params      (BendiChatSettings   *self,
                                                   BendiGenerateParams *params);

/* The presets' names, built-in ones first (translated), then the user's.
 * NULL-terminated. */
char       **bendi_chat_settings_list_presets     (BendiChatSettings   *self) G_GNUC_WARN_UNUSED_RESULT;
/* Sets the system prompt and sampling of preset @name; FALSE when there
 * is no such preset. */
gboolean     bendi_chat_settings_apply_preset     (BendiChatSettings   *self,
                                                   const char          *name);
/* Saves the system prompt and sampling as preset @name, replacing a
 * user preset of that name. */
void         bendi_chat_settings_save_preset      (BendiChatSettings   *self,
                                                   const char          *name);
/* Forgets user preset @name; built-in ones stay. */
gboolean     bendi_chat_settings_delete_preset    (BendiChatSettings   *self,
                                                   const char          *name);

/* Writes pending changes now. */
void         bendi_chat_settings_flush            (BendiChatSettings   *self);

G_END_DECLS
