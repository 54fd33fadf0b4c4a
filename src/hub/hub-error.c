/* SPDX-License-Identifier: MIT */
/* The hub's error domain. */
#include "hub-error.h"

G_DEFINE_QUARK (bendi-hub-error-quark, bendi_hub_error)
