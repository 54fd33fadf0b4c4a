/* SPDX-License-Identifier: MIT */
/* The libFuzzer entry points every tests/fuzz/fuzz-<name>.c defines. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Runs one input; returns 0. A crash, a sanitizer report or a failed
 * g_assert is a finding. */
int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

/* Optional one-time set-up, called before the first input. */
int LLVMFuzzerInitialize   (int    *argc,
                            char ***argv);
