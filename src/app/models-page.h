/* SPDX-License-Identifier: MIT */
/* My Models: the models on this computer (Bendi's, imported files, LM Studio's and Ollama's) with their fit, to chat, inspect or remove. */
#pragma once

#include "page.h"

G_BEGIN_DECLS

#define BENDI_TYPE_MODELS_PAGE (bendi_models_page_get_type ())
G_DECLARE_FINAL_TYPE (BendiModelsPage, bendi_models_page, BENDI, MODELS_PAGE, BendiPage)

/* Opens the details of the local model whose first file is @path; FALSE
 * when the library has no such model. Also models.details('PATH'). */
gboolean bendi_models_page_show_details (BendiModelsPage *self,
                                         const char      *path);

G_END_DECLS
