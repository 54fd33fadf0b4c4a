/* SPDX-License-Identifier: MIT */
/* Markdown shown as GTK widgets: text views with styled ranges, code blocks with copy buttons, rules. */
#pragma once

#include "app-types.h"

G_BEGIN_DECLS

#define BENDI_TYPE_MARKDOWN_VIEW (bendi_markdown_view_get_type ())
G_DECLARE_FINAL_TYPE (BendiMarkdownView, bendi_markdown_view, BENDI, MARKDOWN_VIEW, GtkWidget)

GtkWidget  *bendi_markdown_view_new          (void) G_GNUC_WARN_UNUSED_RESULT;

/* Shows @markdown. Blocks that did not change keep their widgets, so a
 * streaming reply only redraws its end. */
void        bendi_markdown_view_set_markdown (BendiMarkdownView *self,
                                              const char        *markdown);
const char *bendi_markdown_view_get_markdown (BendiMarkdownView *self);

G_END_DECLS
