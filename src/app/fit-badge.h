/* SPDX-License-Identifier: MIT */
/* The fit badge: a coloured pill saying where a model runs here (GPU, partly on the GPU, CPU, does not fit). */
#pragma once

#include <gtk/gtk.h>

#include "fit-estimate.h"

G_BEGIN_DECLS

/* "Fits on the GPU", "Partial: 20 of 32 layers on the GPU", "CPU only",
 * "Does not fit". */
char      *bendi_fit_badge_text (BendiFitVerdict verdict,
                                 gint64          gpu_layers,
                                 gint64          n_layers) G_GNUC_WARN_UNUSED_RESULT;

/* A label styled as a badge, empty until set. */
GtkWidget *bendi_fit_badge_new  (void);
void       bendi_fit_badge_set  (GtkWidget      *badge,
                                 BendiFitVerdict verdict,
                                 gint64          gpu_layers,
                                 gint64          n_layers);
/* Shows @text in the neutral style (“Damaged”, “Checking…”). */
void       bendi_fit_badge_set_text (GtkWidget  *badge,
                                     const char *text,
                                     gboolean    is_error);

G_END_DECLS
