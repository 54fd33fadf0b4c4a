/* SPDX-License-Identifier: MIT */
/* One model of the Discover page: its facts, and each quantisation with where it fits here, how fast it runs, and why. */
#pragma once

#include <adwaita.h>

#include "hub-catalogue.h"
#include "hub-model.h"

G_BEGIN_DECLS

#define BENDI_TYPE_MODEL_PAGE (bendi_model_page_get_type ())
G_DECLARE_FINAL_TYPE (BendiModelPage, bendi_model_page, BENDI, MODEL_PAGE, AdwBin)

GtkWidget  *bendi_model_page_new         (void);

/* Shows @repo_id: facts from @entry (a catalogue model) or @model (a search
 * result), either may be NULL; then fetches the file list and one header
 * and ranks the quantisations for this computer. */
void        bendi_model_page_show        (BendiModelPage               *self,
                                          const char                   *repo_id,
                                          const BendiHubCatalogueEntry *entry,
                                          const BendiHubModel          *model);
const char *bendi_model_page_get_repo_id (BendiModelPage               *self);

/* The context length the verdicts are for, in tokens. */
gint64      bendi_model_page_get_context (BendiModelPage               *self);
void        bendi_model_page_set_context (BendiModelPage               *self,
                                          gint64                        n_ctx);

/* The header bar, so the Discover page can follow the window's folding. */
AdwHeaderBar *bendi_model_page_get_header_bar (BendiModelPage          *self);

G_END_DECLS
