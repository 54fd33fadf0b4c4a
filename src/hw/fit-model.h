/* SPDX-License-Identifier: MIT */
/* What the fit estimator needs to know about a model, taken from a parsed GGUF header alone: no weights are loaded or read. */
#pragma once

#include <glib.h>

#include "gguf/gguf.h"
#include "model/model.h"

G_BEGIN_DECLS

typedef struct _BendiFitModel BendiFitModel;

/* Sizes up the model in @gguf: the bytes of every tensor (exact, from the
 * tensor infos), how they divide into layers, and the hyper-parameters the
 * KV cache and scratch depend on. A header-only parse (a remote file
 * peeked at) serves as well as an opened file. An architecture the engine
 * does not run yet is still sized (engine_supported is then FALSE, with
 * the engine's reason). Errors: INVALID_FILE when the metadata lacks what
 * sizing needs (the layer count, the head counts…). */
BendiFitModel *bendi_fit_model_new  (const BendiGguf *gguf,
                                     GError         **error) G_GNUC_WARN_UNUSED_RESULT;
/* The same model in another quantisation, known only by its file size
 * (@file_size bytes): every tensor of @like scaled by the ratio of the
 * weights' sizes. For a repository's file list, where only one header was
 * fetched. */
BendiFitModel *bendi_fit_model_new_scaled (const BendiFitModel *like,
                                           gsize                file_size) G_GNUC_WARN_UNUSED_RESULT;
void           bendi_fit_model_free (BendiFitModel   *self);

/* Hyper-parameters read as the engine reads them (for an architecture it
 * does not run, as for llama). */
const BendiModelConfig *bendi_fit_model_get_config (const BendiFitModel *self);
/* general.architecture */
const char *bendi_fit_model_get_arch              (const BendiFitModel *self);
gboolean    bendi_fit_model_get_engine_supported  (const BendiFitModel *self);
/* Why the engine cannot run it, or NULL. */
const char *bendi_fit_model_get_unsupported_reason (const BendiFitModel *self);

/* The weight type most of the bytes are in ("Q4_K"), and the quantisation
 * the file declares (general.file_type: "Q4_K_M"), or NULL. */
const char *bendi_fit_model_get_main_type  (const BendiFitModel *self);
const char *bendi_fit_model_get_file_type  (const BendiFitModel *self);

gsize       bendi_fit_model_get_file_size     (const BendiFitModel *self);
gint64      bendi_fit_model_get_n_params      (const BendiFitModel *self);
gint64      bendi_fit_model_get_n_layers      (const BendiFitModel *self);
/* Bytes of every tensor. */
gsize       bendi_fit_model_get_weights_bytes (const BendiFitModel *self);
/* Bytes of the tensors of layer @il ("blk.IL.*"). */
gsize       bendi_fit_model_get_layer_bytes   (const BendiFitModel *self,
                                               gint64               il);
/* Bytes of the tensors outside the layers: embeddings, output, norms. */
gsize       bendi_fit_model_get_shared_bytes  (const BendiFitModel *self);

/* Bytes of weights read to generate one token, the engine's way (every
 * layer, the output matrix, one row of the embeddings), except that a
 * mixture-of-experts layer reads only expert_used_count of its
 * expert_count experts. */
gsize       bendi_fit_model_get_bytes_per_token       (const BendiFitModel *self);
/* The part of that which layer @il reads. */
gsize       bendi_fit_model_get_layer_bytes_per_token (const BendiFitModel *self,
                                                       gint64               il);

/* Experts per MoE layer, and how many each token uses; 0 for a dense model. */
gint64      bendi_fit_model_get_expert_count      (const BendiFitModel *self);
gint64      bendi_fit_model_get_expert_used_count (const BendiFitModel *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiFitModel, bendi_fit_model_free)

G_END_DECLS
