/* SPDX-License-Identifier: MIT */
/* The rows of remote models and of their servers' states, alike in My Models and the chat's model list. */
#pragma once

#include <gtk/gtk.h>

#include "remote-models.h"

G_BEGIN_DECLS

/* An AdwActionRow with @icon_name as its prefix (labelled "Remote" for
 * screen readers), @title and @subtitle as plain text. */
GtkWidget *bendi_remote_row_new       (const char                *icon_name,
                                       const char                *title,
                                       const char                *subtitle);

/* A greyed-out row saying that @endpoint's server is being asked or did
 * not answer; NULL once it has listed its models. */
GtkWidget *bendi_remote_row_new_state (const BendiRemoteEndpoint *endpoint);

G_END_DECLS
