/* SPDX-License-Identifier: MIT */
/* The engine's error domain. */
#include "engine-error.h"

G_DEFINE_QUARK (bendi-engine-error-quark, bendi_engine_error)
