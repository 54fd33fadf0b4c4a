/* SPDX-License-Identifier: MIT */
/* The Hardware page: processor, memory, GPUs, measured memory speed, and a chart of which models fit. */
#pragma once

#include "page.h"

G_BEGIN_DECLS

#define BENDI_TYPE_HARDWARE_PAGE (bendi_hardware_page_get_type ())
G_DECLARE_FINAL_TYPE (BendiHardwarePage, bendi_hardware_page, BENDI, HARDWARE_PAGE, BendiPage)

/* TRUE while the Measure button's measurement runs. */
gboolean bendi_hardware_page_get_measuring (BendiHardwarePage *self);

G_END_DECLS
