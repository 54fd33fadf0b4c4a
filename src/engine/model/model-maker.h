/* SPDX-License-Identifier: MIT */
/* Synthetic models with random weights, for tests and benchmarks (`bendi-cli make-model`). */
#pragma once

#include <glib.h>

#include "gguf/gguf.h"
#include "model/model.h"

G_BEGIN_DECLS

typedef struct {
  BendiArch       arch;
  gint64          n_embd;
  gint64          n_layer;
  gint64          n_head;
  gint64          n_head_kv;
  gint64          n_ff;
  gint64          n_ctx_train;    /* 0: 2048 */
  BendiTensorType type;           /* of every matrix, embeddings and output included */
  gboolean        tied_output;    /* no output.weight: the embeddings serve */
  guint64         seed;
} BendiModelMakerParams;

void bendi_model_maker_params_init (BendiModelMakerParams *params);

/* Writes a model whose tokenizer is copied from @vocab (every
 * `tokenizer.*` key) and whose weights are random but fixed by the seed:
 * the same parameters always give the same file. */
gboolean bendi_model_maker_write (const BendiModelMakerParams *params,
                                  const BendiGguf             *vocab,
                                  const char                  *path,
                                  GError                     **error);

G_END_DECLS
