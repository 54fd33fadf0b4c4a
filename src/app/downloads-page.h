/* SPDX-License-Identifier: MIT */
/* The Downloads page: the queue, with progress, speed and time left, pause, resume, cancel and retry. */
#pragma once

#include "page.h"

G_BEGIN_DECLS

#define BENDI_TYPE_DOWNLOADS_PAGE (bendi_downloads_page_get_type ())
G_DECLARE_FINAL_TYPE (BendiDownloadsPage, bendi_downloads_page, BENDI, DOWNLOADS_PAGE, BendiPage)

G_END_DECLS
