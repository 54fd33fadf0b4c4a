/* SPDX-License-Identifier: MIT */
/* The pages of the main window, in sidebar order. A page is created the first time it is shown. */
#define G_LOG_DOMAIN "bendi-app"

#include "pages.h"

#include <glib/gi18n.h>

#include "chat-page.h"
#include "discover-page.h"
#include "downloads-page.h"
#include "hardware-page.h"
#include "models-page.h"
#include "welcome-page.h"

static const BendiPageInfo pages[] = {
  { "chat", N_("Chat"), "bendi-chat-symbolic", bendi_chat_page_get_type },
  { "discover", N_("Discover"), "system-search-symbolic", bendi_discover_page_get_type },
  { "models", N_("My Models"), "drive-harddisk-symbolic", bendi_models_page_get_type },
  { "downloads", N_("Downloads"), "folder-download-symbolic", bendi_downloads_page_get_type },
  { "hardware", N_("Hardware"), "computer-symbolic", bendi_hardware_page_get_type },
  { "welcome", N_("Welcome"), "starred-symbolic", bendi_welcome_page_get_type },
};

const BendiPageInfo *
bendi_pages_get (gsize *n_pages)
{
  *n_pages = G_N_ELEMENTS (pages);
  return pages;
}

const BendiPageInfo *
bendi_pages_lookup (const char *id)
{
  for (gsize i = 0; i < G_N_ELEMENTS (pages); i++)
    if (g_strcmp0 (pages[i].id, id) == 0)
      return &pages[i];
  return NULL;
}
