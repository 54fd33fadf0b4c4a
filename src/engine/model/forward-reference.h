/* SPDX-License-Identifier: MIT */
/* The plain f32 reference forward pass: one token at a time, weights dequantised row by row. */
#pragma once

#include <glib.h>

#include "model/model.h"

G_BEGIN_DECLS

typedef struct _BendiReferenceState BendiReferenceState;

/* The model must be loaded without repacking (rows as in the file). */
BendiReferenceState *bendi_reference_state_new  (BendiModel          *model,
                                                 gint64               n_ctx,
                                                 GError             **error) G_GNUC_WARN_UNUSED_RESULT;
void                 bendi_reference_state_free (BendiReferenceState *state);

/* Runs @token at position @pos (positions must come in order from 0) and
 * returns the n_vocab logits, valid until the next call. */
const float *bendi_reference_forward (BendiReferenceState *state,
                                      BendiToken           token,
                                      gint64               pos);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiReferenceState, bendi_reference_state_free)

G_END_DECLS
