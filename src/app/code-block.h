/* SPDX-License-Identifier: MIT */
/* A code block in a reply: its language, the code in a monospace view that scrolls sideways, and a copy button. */
#pragma once

#include "app-types.h"

G_BEGIN_DECLS

#define BENDI_TYPE_CODE_BLOCK (bendi_code_block_get_type ())
G_DECLARE_FINAL_TYPE (BendiCodeBlock, bendi_code_block, BENDI, CODE_BLOCK, GtkWidget)

GtkWidget  *bendi_code_block_new      (void) G_GNUC_WARN_UNUSED_RESULT;

/* @language may be NULL. */
void        bendi_code_block_set_code (BendiCodeBlock *self,
                                       const char     *language,
                                       const char     *code);
const char *bendi_code_block_get_code (BendiCodeBlock *self);

G_END_DECLS
