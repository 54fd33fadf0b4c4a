/* SPDX-License-Identifier: MIT */
/* Preferences: models folder, model hub and access token, how models run, and the local API server. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define BENDI_TYPE_PREFERENCES_WINDOW (bendi_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (BendiPreferencesWindow, bendi_preferences_window, BENDI, PREFERENCES_WINDOW,
                      AdwPreferencesWindow)

GtkWidget *bendi_preferences_window_new (GtkWindow *parent);

G_END_DECLS
