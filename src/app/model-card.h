/* SPDX-License-Identifier: MIT */
/* A row of the Discover page: a catalogue model or a Hub search result, with its facts and a first guess at its fit. */
#pragma once

#include <adwaita.h>

#include "hub-catalogue.h"
#include "hub-model.h"
#include "hw-info.h"

G_BEGIN_DECLS

#define BENDI_TYPE_MODEL_CARD (bendi_model_card_get_type ())
G_DECLARE_FINAL_TYPE (BendiModelCard, bendi_model_card, BENDI, MODEL_CARD, GtkListBoxRow)

GtkWidget *bendi_model_card_new_for_entry     (const BendiHubCatalogueEntry *entry);
GtkWidget *bendi_model_card_new_for_hub_model (const BendiHubModel          *model);

const char                   *bendi_model_card_get_repo_id   (BendiModelCard *self);
/* NULL for a Hub search result. */
const BendiHubCatalogueEntry *bendi_model_card_get_entry     (BendiModelCard *self);
/* NULL for a catalogue model. */
const BendiHubModel          *bendi_model_card_get_hub_model (BendiModelCard *self);

/* Shows the first guess at the fit of a catalogue model on @hw (NULL: none
 * yet). */
void bendi_model_card_set_hardware (BendiModelCard    *self,
                                    const BendiHwInfo *hw);

G_END_DECLS
