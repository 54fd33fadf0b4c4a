/* SPDX-License-Identifier: MIT */
/* The error domain every part of the engine reports failures in. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define BENDI_ENGINE_ERROR (bendi_engine_error_quark ())

typedef enum {
  BENDI_ENGINE_ERROR_INVALID_FILE,   /* a corrupt or malformed model file */
  BENDI_ENGINE_ERROR_UNSUPPORTED,    /* valid, but not something Bendi can run */
  BENDI_ENGINE_ERROR_IO,             /* the file system said no */
  BENDI_ENGINE_ERROR_INVALID_ARGUMENT,
  BENDI_ENGINE_ERROR_INVALID_INPUT,  /* text or tokens the caller handed in */
  BENDI_ENGINE_ERROR_NO_MEMORY,
  BENDI_ENGINE_ERROR_CANCELLED,
  BENDI_ENGINE_ERROR_CONTEXT_FULL,
  BENDI_ENGINE_ERROR_INCOMPLETE,     /* a prefix of a file ends too soon: read more and try again */
} BendiEngineError;

GQuark bendi_engine_error_quark (void);

G_END_DECLS
