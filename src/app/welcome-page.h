/* SPDX-License-Identifier: MIT */
/* The welcome page, shown at the first start: what this computer can run, and two or three models to start with. */
#pragma once

#include "page.h"
#include "hub-catalogue.h"
#include "hw-info.h"

G_BEGIN_DECLS

#define BENDI_TYPE_WELCOME_PAGE (bendi_welcome_page_get_type ())
G_DECLARE_FINAL_TYPE (BendiWelcomePage, bendi_welcome_page, BENDI, WELCOME_PAGE, BendiPage)

typedef enum {
  BENDI_WELCOME_PICK_FAST,      /* a small model that writes quickly */
  BENDI_WELCOME_PICK_QUALITY,   /* the largest that still writes at a usable speed */
  BENDI_WELCOME_PICK_CHINESE,   /* the best that speaks Chinese well */
  BENDI_WELCOME_N_PICKS,
} BendiWelcomePick;

/* The catalogue entries to recommend on @hw, by pick; an entry is NULL when
 * nothing fits for it or it would repeat another pick. */
void bendi_welcome_page_choose (GPtrArray                    *catalogue,
                                const BendiHwInfo            *hw,
                                const BendiHubCatalogueEntry *picks[BENDI_WELCOME_N_PICKS]);

G_END_DECLS
