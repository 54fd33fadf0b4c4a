/* SPDX-License-Identifier: MIT */
/* What every page of the main window is: a widget with its own header bar, told when the window folds to one pane. */
#pragma once

#include "app-types.h"

G_BEGIN_DECLS

#define BENDI_TYPE_PAGE (bendi_page_get_type ())
G_DECLARE_DERIVABLE_TYPE (BendiPage, bendi_page, BENDI, PAGE, AdwBin)

struct _BendiPageClass
{
  AdwBinClass parent_class;

  /* Called each time the page becomes the visible one: start work it
   * needs (a probe, a scan) here rather than at construction, so that
   * start-up stays fast. */
  void (*shown) (BendiPage *self);

  gpointer padding[8];
};

/* TRUE while the window shows one pane at a time (narrow windows): the
 * page then shows a back button to the page list. */
gboolean bendi_page_get_folded     (BendiPage    *self);
void     bendi_page_set_folded     (BendiPage    *self,
                                    gboolean      folded);

/* Makes @header_bar the page's header: adds the back button to the page
 * list (visible while folded) and shows the window buttons on the start
 * side while folded. Call once from the page's init, after
 * gtk_widget_init_template (). */
void     bendi_page_set_header_bar (BendiPage    *self,
                                    AdwHeaderBar *header_bar);

/* The window calls this when the page becomes visible. */
void     bendi_page_shown          (BendiPage    *self);

G_END_DECLS
