/* SPDX-License-Identifier: MIT */
/* One download in the Downloads page: progress, speed, time left, and what can be done with it now. */
#pragma once

#include <adwaita.h>

#include "hub-download.h"

G_BEGIN_DECLS

#define BENDI_TYPE_DOWNLOAD_ROW (bendi_download_row_get_type ())
G_DECLARE_FINAL_TYPE (BendiDownloadRow, bendi_download_row, BENDI, DOWNLOAD_ROW, GtkListBoxRow)

GtkWidget        *bendi_download_row_new          (BendiHubDownload *download);
BendiHubDownload *bendi_download_row_get_download (BendiDownloadRow *self);

G_END_DECLS
