/* SPDX-License-Identifier: MIT */
/* A recommendation on the welcome page: a catalogue model, why it was picked, and one button from download to chat. */
#pragma once

#include <adwaita.h>

#include "catalogue-fit.h"
#include "hub-catalogue.h"

G_BEGIN_DECLS

#define BENDI_TYPE_WELCOME_CARD (bendi_welcome_card_get_type ())
G_DECLARE_FINAL_TYPE (BendiWelcomeCard, bendi_welcome_card, BENDI, WELCOME_CARD, GtkListBoxRow)

/* @role says why it is recommended ("Small and fast"). */
GtkWidget  *bendi_welcome_card_new          (const BendiHubCatalogueEntry *entry,
                                             const BendiCatalogueFit      *fit,
                                             const char                   *role);
const char *bendi_welcome_card_get_repo_id  (BendiWelcomeCard             *self);

G_END_DECLS
