/* SPDX-License-Identifier: MIT */
/* Errors from the hub and the engine, said for people: what happened and what to do. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  BENDI_APP_ERROR_KIND_OFFLINE,       /* no network at all */
  BENDI_APP_ERROR_KIND_UNREACHABLE,   /* the hub did not answer or answered nonsense */
  BENDI_APP_ERROR_KIND_ACCESS,        /* gated, or the token is refused */
  BENDI_APP_ERROR_KIND_NOT_FOUND,
  BENDI_APP_ERROR_KIND_DISK,          /* full or not writable */
  BENDI_APP_ERROR_KIND_CORRUPT,       /* a damaged or foreign file */
  BENDI_APP_ERROR_KIND_UNSUPPORTED,
  BENDI_APP_ERROR_KIND_OTHER,
} BendiAppErrorKind;

/* Sorts @error, telling "offline" from "unreachable" by asking the
 * network monitor. */
BendiAppErrorKind bendi_app_error_get_kind   (const GError *error);
/* The icon an AdwStatusPage shows for it. */
const char       *bendi_app_error_icon_name  (BendiAppErrorKind kind);
/* A short title ("No Internet Connection") and a sentence saying what to
 * do, which ends with the error's own message when that helps. */
void              bendi_app_error_describe   (const GError *error,
                                              char        **title,
                                              char        **description);

G_END_DECLS
