/* SPDX-License-Identifier: MIT */
/* A local model's details: what its GGUF says (metadata, chat template), how it fits here, and its tokenizer. */
#pragma once

#include <adwaita.h>

#include "hub-library.h"

G_BEGIN_DECLS

#define BENDI_TYPE_MODEL_DETAILS (bendi_model_details_get_type ())
G_DECLARE_FINAL_TYPE (BendiModelDetails, bendi_model_details, BENDI, MODEL_DETAILS, AdwBin)

GtkWidget    *bendi_model_details_new            (void);
/* Reads @model's header in a worker thread and shows it. */
void          bendi_model_details_show           (BendiModelDetails        *self,
                                                  const BendiHubLocalModel *model);
const char   *bendi_model_details_get_path       (BendiModelDetails        *self);
AdwHeaderBar *bendi_model_details_get_header_bar (BendiModelDetails        *self);
/* Shows one of "overview", "metadata", "template", "tokenizer". */
void          bendi_model_details_set_visible_page (BendiModelDetails      *self,
                                                    const char             *name);

G_END_DECLS
