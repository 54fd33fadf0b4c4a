/* SPDX-License-Identifier: MIT */
/* The tokenizer view: text typed or pasted, shown as the model's tokens in colours, with their ids and the count. */
#pragma once

#include <adwaita.h>

#include "tokenizer/tokenizer.h"

G_BEGIN_DECLS

#define BENDI_TYPE_TOKENIZER_VIEW (bendi_tokenizer_view_get_type ())
G_DECLARE_FINAL_TYPE (BendiTokenizerView, bendi_tokenizer_view, BENDI, TOKENIZER_VIEW, AdwBin)

GtkWidget *bendi_tokenizer_view_new        (void);

/* Shows the tokens of @tokenizer (taken); NULL with @error says why there
 * is none, NULL without one shows that it is being read. */
void       bendi_tokenizer_view_set_tokenizer (BendiTokenizerView *self,
                                               BendiTokenizer     *tokenizer,
                                               const GError       *error);

void       bendi_tokenizer_view_set_text   (BendiTokenizerView *self,
                                            const char         *text);
/* The tokens of the text shown (-1 until the tokenizer is ready). */
int        bendi_tokenizer_view_get_n_tokens (BendiTokenizerView *self);
/* The ids shown, for checks: [ids, count]. */
const BendiToken *bendi_tokenizer_view_get_tokens (BendiTokenizerView *self,
                                                   gsize              *n_tokens);

G_END_DECLS
