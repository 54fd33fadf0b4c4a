/* SPDX-License-Identifier: MIT */
/* Which quantisation of a model to pick for this computer: the best quality that fits on the GPU, else the best that runs at a usable speed.
 *
 * Quality, best first (from llama.cpp's perplexity and KL-divergence
 * measurements): F32 ≈ BF16 ≈ F16 > Q8_0 > Q6_K > Q5_K_M > Q5_K_S ≈ Q5_0 ≈
 * Q5_1 > Q4_K_M > Q4_K_S ≈ Q4_0 ≈ Q4_1 > IQ4_NL ≈ IQ4_XS > Q3_K_L > IQ3_M >
 * Q3_K_M > IQ3_S > Q3_K_S > IQ3_XS > IQ3_XXS > Q2_K > Q2_K_S > IQ2_M > IQ2_S >
 * IQ2_XS > IQ2_XXS > IQ1_M > IQ1_S. Q4_K_M and Q5_K_M are the usual sweet
 * spot; below 4 bits quality drops quickly; and a larger model at Q3/Q4
 * often beats a smaller one at Q8.
 *
 * The rules, in order: (1) the best quality of at least 4 bits that fits
 * entirely on the GPU; (2) the best of at least 4 bits, up to the sweet
 * spot Q5_K_M, that fits in GPU and RAM at a usable speed (higher ones are
 * slower off the GPU for little gain; taken only when nothing at or below
 * the sweet spot fits); (3) below 4 bits, the best that fits on the GPU,
 * then the best at a usable speed; (4) whatever fits, fastest first.
 */
#pragma once

#include <glib.h>

#include "fit-estimate.h"
#include "gguf/gguf.h"

G_BEGIN_DECLS

/* Generation slower than this is not "usable" (about reading speed). */
#define BENDI_ADVISOR_USABLE_TOKENS_PER_S 5.0

/* One file of the model, as a directory or a repository's file list shows
 * it. */
typedef struct {
  const char      *file_name;
  guint64          size_bytes;   /* the whole model, every split part */
  const BendiGguf *header;       /* NULL when not fetched: sized from another's */
  const char      *quant;        /* "Q4_K_M"; NULL: the header's general.file_type */
} BendiAdvisorCandidate;

typedef struct {
  char           *file_name;
  char           *quant;           /* NULL when unknown */
  int             quality;         /* higher is better; 0: unknown */
  gboolean        sweet_spot;      /* Q4_K_M or Q5_K_M */
  gboolean        recommended;
  BendiFitResult *fit;
  char           *reason;          /* for the recommended one: why, translated */
} BendiAdvice;

typedef struct {
  GPtrArray *ranked;        /* of BendiAdvice: the recommended first, then what fits by quality, then the rest */
  int        recommended;   /* index into ranked (0), or -1 when nothing fits */
  char      *summary;       /* one or two sentences for people, translated */
} BendiAdvisorResult;

/* The quality rank of a quantisation name (case-insensitive); 0 when
 * unknown. */
int bendi_advisor_quant_quality (const char *quant);

/* Ranks @candidates for @hw with @params (NULL: defaults; its gpu_layers
 * is ignored: each is placed as best it fits). At least one candidate
 * needs a header: the others are sized from it by their file sizes.
 * Errors: INVALID_ARGUMENT with no header, or what sizing a header gives. */
BendiAdvisorResult *bendi_advisor_rank        (const BendiAdvisorCandidate *candidates,
                                               gsize                        n_candidates,
                                               const BendiHwInfo           *hw,
                                               const BendiFitParams        *params,
                                               GError                     **error) G_GNUC_WARN_UNUSED_RESULT;
void                bendi_advisor_result_free (BendiAdvisorResult          *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiAdvisorResult, bendi_advisor_result_free)

G_END_DECLS
