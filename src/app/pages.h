/* SPDX-License-Identifier: MIT */
/* The pages of the main window, in the order of its sidebar: the one list to add a page to. */
#pragma once

#include "app-types.h"

G_BEGIN_DECLS

typedef struct
{
  const char *id;           /* "chat": win.show-page's target, saved as last-page */
  const char *title;        /* untranslated (N_), shown translated in the sidebar */
  const char *icon_name;
  GType     (*get_type) (void);
} BendiPageInfo;

/* The pages, in sidebar order. */
const BendiPageInfo *bendi_pages_get    (gsize      *n_pages);
/* The page with @id, or NULL. */
const BendiPageInfo *bendi_pages_lookup (const char *id);

G_END_DECLS
