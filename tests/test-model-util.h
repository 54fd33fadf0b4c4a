/* SPDX-License-Identifier: MIT */
/* Helpers for tests that run models: a tiny vocabulary and synthetic models built from it. */
#pragma once

#include <glib.h>

#include "gguf/gguf.h"
#include "model/model-maker.h"
#include "model/model.h"

G_BEGIN_DECLS

/* A small SentencePiece vocabulary (unk, bos, eos, the 256 byte tokens and a
 * few dozen words), so model tests need no test data. */
BendiGguf *bendi_test_tiny_vocab (void) G_GNUC_WARN_UNUSED_RESULT;
/* The same, with another end-of-text token. */
BendiGguf *bendi_test_tiny_vocab_with_eos (gint32 eos) G_GNUC_WARN_UNUSED_RESULT;

/* Writes a synthetic model with the tiny vocabulary into @dir; returns its
 * path. @params NULL means the maker's defaults. */
char *bendi_test_make_model (const char                  *dir,
                             const char                  *name,
                             const BendiModelMakerParams *params) G_GNUC_WARN_UNUSED_RESULT;
char *bendi_test_make_model_with_vocab (const char                  *dir,
                                        const char                  *name,
                                        const BendiModelMakerParams *params,
                                        const BendiGguf             *vocab) G_GNUC_WARN_UNUSED_RESULT;

/* Loads @path (asserting it loads), repacked for the SIMD kernels or not. */
BendiModel *bendi_test_load_model (const char *path,
                                   gboolean    repack) G_GNUC_WARN_UNUSED_RESULT;

/* RMS of (a - b) relative to the RMS of b, over @n values. */
double bendi_test_relative_rms_error (const float *a,
                                      const float *b,
                                      gint64       n);

G_END_DECLS
