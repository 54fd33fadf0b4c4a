/* SPDX-License-Identifier: MIT */
/* Preferences → Connections: the OpenAI-compatible servers whose models Bendi lists beside the local ones. */
#pragma once

#include "app-types.h"
#include "remote-models.h"

G_BEGIN_DECLS

#define BENDI_TYPE_CONNECTIONS_PAGE (bendi_connections_page_get_type ())
G_DECLARE_FINAL_TYPE (BendiConnectionsPage, bendi_connections_page, BENDI, CONNECTIONS_PAGE, AdwPreferencesPage)

/* A page listing @models' connections, with add, edit and remove. */
GtkWidget *bendi_connections_page_new       (BendiRemoteModels    *models);

/* The dialog that adds a connection (@connection_id NULL) or edits one,
 * shown over @parent. Its Test button lists the server's models or says
 * why it cannot; Save is enabled once the address is a usable URL. */
GtkWidget *bendi_connections_page_edit      (BendiConnectionsPage *self,
                                             const char           *connection_id,
                                             GtkWindow            *parent);

G_END_DECLS
