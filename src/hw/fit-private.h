/* SPDX-License-Identifier: MIT */
/* Shared between the fit estimator's files: the explanation text and gettext set-up. */
#pragma once

#include <glib.h>

#include "fit-estimate.h"

G_BEGIN_DECLS

/* Why the placement is what it is, for the explanation. */
typedef enum {
  BENDI_FIT_WHY_AUTO,        /* as many layers on the GPU as fit */
  BENDI_FIT_WHY_FORCED,      /* the number of GPU layers was asked for */
  BENDI_FIT_WHY_NO_GPU,      /* no GPU the engine can use */
} BendiFitWhy;

/* GPUs worth offloading to: usable, and not the CPU itself (lavapipe). */
gboolean bendi_fit_gpu_is_candidate (const BendiHwGpu *gpu);

/* The arithmetic of @result, in the user's language. */
char *bendi_fit_explain (const BendiFitResult *result,
                         const BendiFitModel  *model,
                         const BendiHwInfo    *hw,
                         BendiFitWhy           why) G_GNUC_WARN_UNUSED_RESULT;

/* For a model that does not fit: the memory it needs and the GPUs of a
 * server that would hold it, with where to add that server, translated. */
char *bendi_fit_describe_server (const BendiFitResult *result) G_GNUC_WARN_UNUSED_RESULT;

/* Binds the "bendi" text domain to its catalogues once (BENDI_LOCALEDIR in
 * the environment, for uninstalled runs and tests, else the installed
 * locale directory), with UTF-8 output. */
void bendi_hw_ensure_i18n (void);

/* "4.37 GB": decimal gigabytes, as drive and memory makers count; below
 * 10 MB, where two decimals of a gigabyte would say "0.00 GB" of a small
 * model's weights or cache, "1.2 MB". */
char *bendi_hw_format_memory (guint64 bytes) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
