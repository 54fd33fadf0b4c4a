/* SPDX-License-Identifier: MIT */
/* The Bendi application: its actions, accelerators and windows. */
#pragma once

#include "app-types.h"

G_BEGIN_DECLS

#define BENDI_TYPE_APPLICATION (bendi_application_get_type ())
G_DECLARE_FINAL_TYPE (BendiApplication, bendi_application, BENDI, APPLICATION, AdwApplication)

/* Sets the locale from the environment and binds the "bendi" text domain
 * to BENDI_LOCALEDIR from the environment (the build tree's po/, set by
 * `meson devenv` and the tests) or else the installed catalogues. Call once,
 * before any string is translated. */
void              bendi_application_init_i18n (void);

BendiApplication *bendi_application_new       (void) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
