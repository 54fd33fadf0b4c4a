/* SPDX-License-Identifier: MIT */
/* Finding stop strings in streamed text without ever showing a part of one. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _BendiStopStrings BendiStopStrings;

/* @stop: NULL-terminated; empty strings are ignored. */
BendiStopStrings *bendi_stop_strings_new  (const char *const *stop) G_GNUC_WARN_UNUSED_RESULT;
void              bendi_stop_strings_free (BendiStopStrings  *self);

/* Adds @len bytes of generated text and appends to @out what is now safe to
 * show: everything up to a possible start of a stop string. Returns TRUE
 * when a stop string is complete; @out then ends just before it. */
gboolean bendi_stop_strings_feed  (BendiStopStrings *self,
                                   const char       *text,
                                   gsize             len,
                                   GString          *out);
/* At the end of generation: the held-back text, which was no stop string. */
void     bendi_stop_strings_flush (BendiStopStrings *self,
                                   GString          *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiStopStrings, bendi_stop_strings_free)

G_END_DECLS
