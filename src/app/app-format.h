/* SPDX-License-Identifier: MIT */
/* Numbers as the model pages show them: parameters, context, languages, speeds and durations, translated. */
#pragma once

#include <glib.h>

#include "hub-library.h"

G_BEGIN_DECLS

/* "7.6B parameters", "360M parameters". */
char       *bendi_format_parameters    (gint64       n_params) G_GNUC_WARN_UNUSED_RESULT;
/* "32K context", "4,096 tokens" (context tokens, in binary thousands as models count them). */
char       *bendi_format_context       (gint64       n_tokens) G_GNUC_WARN_UNUSED_RESULT;
/* "32K" or "512": a context length, short. */
char       *bendi_format_tokens_short  (gint64       n_tokens) G_GNUC_WARN_UNUSED_RESULT;
/* The name of an ISO 639-1 language in the user's language; the code
 * itself when unknown. */
const char *bendi_format_language      (const char  *code);
/* "English, Chinese and 11 more": at most @max_shown names. */
char       *bendi_format_languages     (const char *const *codes,
                                        guint        max_shown) G_GNUC_WARN_UNUSED_RESULT;
/* "about 12 tokens/s", "under 1 token/s"; "speed not measured" for 0. */
char       *bendi_format_speed         (double       tokens_per_s) G_GNUC_WARN_UNUSED_RESULT;
/* "12.5 GB/s"; "not measured" for 0. */
char       *bendi_format_bandwidth     (double       gbps) G_GNUC_WARN_UNUSED_RESULT;
/* "2 minutes left", "1 hour 5 minutes left"; NULL for a negative time. */
char       *bendi_format_remaining     (double       seconds) G_GNUC_WARN_UNUSED_RESULT;
/* "12.3 MB/s". */
char       *bendi_format_transfer_rate (double       bytes_per_s) G_GNUC_WARN_UNUSED_RESULT;
/* Where a local model came from: "Downloaded by Bendi", "LM Studio"… */
const char *bendi_format_source        (BendiHubSource source);
/* TRUE when the user reads Chinese first (the description in Chinese). */
gboolean    bendi_format_prefers_chinese (void);

G_END_DECLS
