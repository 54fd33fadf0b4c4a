/* SPDX-License-Identifier: MIT */
/* The main window: a sidebar of pages beside the page shown, one pane at a time when narrow. */
#pragma once

#include "app-types.h"

G_BEGIN_DECLS

#define BENDI_TYPE_WINDOW (bendi_window_get_type ())
G_DECLARE_FINAL_TYPE (BendiWindow, bendi_window, BENDI, WINDOW, AdwApplicationWindow)

BendiWindow *bendi_window_new         (BendiApplication *application) G_GNUC_WARN_UNUSED_RESULT;

/* Shows the page with @id (see pages.c), creating it the first time, and
 * returns it; NULL for an unknown id. */
BendiPage   *bendi_window_show_page   (BendiWindow      *self,
                                       const char       *id);
/* The page with @id if it was created, else NULL. */
BendiPage   *bendi_window_get_page    (BendiWindow      *self,
                                       const char       *id);
/* The id of the page shown. */
const char  *bendi_window_get_page_id (BendiWindow      *self);

/* Shows a short message at the bottom of the window; takes @toast. */
void         bendi_window_add_toast   (BendiWindow      *self,
                                       AdwToast         *toast);

G_END_DECLS
