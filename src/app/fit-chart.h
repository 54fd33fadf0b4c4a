/* SPDX-License-Identifier: MIT */
/* The lesson of the Hardware page as a picture: model sizes against RAM and GPU memory, and the speed limit memory bandwidth sets. */
#pragma once

#include <gtk/gtk.h>

#include "hw-info.h"

G_BEGIN_DECLS

#define BENDI_TYPE_FIT_CHART (bendi_fit_chart_get_type ())
G_DECLARE_FINAL_TYPE (BendiFitChart, bendi_fit_chart, BENDI, FIT_CHART, GtkWidget)

GtkWidget *bendi_fit_chart_new          (void);

/* Draws @hw (copied; NULL: nothing yet) with the catalogue's models
 * (BendiHubCatalogueEntry, may be NULL) as dots. */
void       bendi_fit_chart_set_hardware (BendiFitChart     *self,
                                         const BendiHwInfo *hw,
                                         GPtrArray         *catalogue);

/* What the chart shows, in words (also its accessible description). */
const char *bendi_fit_chart_get_summary (BendiFitChart     *self);

G_END_DECLS
