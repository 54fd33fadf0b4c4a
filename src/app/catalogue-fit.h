/* SPDX-License-Identifier: MIT */
/* A first guess at how a catalogue model fits here, from its parameter count alone, before any file is fetched. */
#pragma once

#include "fit-estimate.h"
#include "hub-catalogue.h"
#include "hub-model.h"

G_BEGIN_DECLS

/* Bits per weight of Q4_K_M, the quantisation most people start with. */
#define BENDI_CATALOGUE_FIT_BITS_PER_WEIGHT 4.85

typedef struct {
  BendiFitVerdict verdict;
  guint64         weights_bytes;   /* at Q4_K_M */
  guint64         total_bytes;     /* with KV cache, buffers and runtime */
  double          tokens_per_s;    /* 0: a bandwidth is not measured, or does not fit */
} BendiCatalogueFit;

/* Estimates @entry at Q4_K_M on @hw with a context of @n_ctx tokens (0: the
 * model's, at most 4096). A rough guess: the model's own page sizes each
 * file exactly from its header (bendi_fit_estimate ()). */
void bendi_catalogue_fit_estimate (const BendiHubCatalogueEntry *entry,
                                   const BendiHwInfo            *hw,
                                   gint64                        n_ctx,
                                   BendiCatalogueFit            *fit);

/* The GPU a model would be offloaded to, as the estimator chooses when
 * speeds are unknown: usable, not the CPU itself (lavapipe), the most free
 * memory. NULL when there is none. */
const BendiHwGpu *bendi_catalogue_fit_offload_gpu (const BendiHwInfo *hw);

/* Weights of @n_params parameters at Q4_K_M. */
guint64 bendi_catalogue_fit_weights_bytes (gint64 n_params);

/* The file a person would start with among @groups (BendiHubFileGroup):
 * the catalogue's recommended one (@entry may be NULL), else a Q4_K_M,
 * else any, single files before splits. NULL when @groups is empty. */
const BendiHubFileGroup *bendi_catalogue_fit_choose_group (GPtrArray                    *groups,
                                                           const BendiHubCatalogueEntry *entry);

G_END_DECLS
