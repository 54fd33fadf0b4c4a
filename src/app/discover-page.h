/* SPDX-License-Identifier: MIT */
/* The Discover page: the curated catalogue and a live search of the Hub, filtered, each model one click from its page. */
#pragma once

#include "page.h"

G_BEGIN_DECLS

#define BENDI_TYPE_DISCOVER_PAGE (bendi_discover_page_get_type ())
G_DECLARE_FINAL_TYPE (BendiDiscoverPage, bendi_discover_page, BENDI, DISCOVER_PAGE, BendiPage)

/* Opens the model page of @repo_id (a catalogue model or any Hub
 * repository); also the action discover.show-model('OWNER/REPO'). */
void bendi_discover_page_show_model (BendiDiscoverPage *self,
                                     const char        *repo_id);

G_END_DECLS
