/* SPDX-License-Identifier: MIT */
/* Shared helpers for the test programs: finding ../shared test data, temporary directories. */
#pragma once

#include <glib.h>

#include "tensor/fp16.h"

G_BEGIN_DECLS

/* The path of @relative inside the test data folder (BENDI_TEST_DATA, or
 * ../shared beside the source root), or NULL when it is absent; then the
 * current test is marked skipped with a message saying what is missing. */
char *bendi_test_data_path (const char *relative) G_GNUC_WARN_UNUSED_RESULT;

/* Whether the cooperative-matrix cases must run rather than skip where the
 * device lacks them: BENDI_TEST_REQUIRE_COOPMAT=1, which the tests run
 * through tests/coopmat-toolchain.sh's runner set (tests/meson.build). */
gboolean bendi_test_coopmat_required (void);

/* A fresh temporary directory, removed with its contents by
 * bendi_test_remove_dir (). */
char *bendi_test_make_temp_dir (void) G_GNUC_WARN_UNUSED_RESULT;
void  bendi_test_remove_dir    (const char *path);

/* Fails the test, naming the mapping and @when, if this process has a
 * Vulkan loader or driver or LLVM (lavapipe's) mapped; nothing is checked
 * where there is no /proc/self/maps. */
void bendi_test_assert_no_driver_mapped (const char *when);

/* The built bendi-cli, from BENDI_CLI in the environment. NULL, and the test
 * skipped, when it is not set. */
const char *bendi_test_cli_path (void);

/* What a run of bendi-cli gave back. */
typedef struct {
  int   status;   /* the exit status, or 128 + signal */
  char *out;
  char *err;
} BendiTestRun;

void bendi_test_run_clear (BendiTestRun *r);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (BendiTestRun, bendi_test_run_clear)

/* Runs the built bendi-cli with @args (NULL-terminated), feeding it @input
 * on standard input when that is not NULL, and waits for it. FALSE, and
 * the test skipped, when there is no bendi-cli to run. */
gboolean bendi_test_run_cli (BendiTestRun      *r,
                             const char *const *args,
                             const char        *input);

/* The dot product of @k and @q_half (half-precision values) as ggml's
 * vec_dot_f16 sums it with vectors of @lanes floats (16 in its AVX-512
 * build, 8 in its AVX2 build; 0: every product in double precision):
 * four accumulators over each 4 · @lanes elements, added (a0 + a2) +
 * (a1 + a3), that vector's lanes summed as GCC's _mm512_reduce_add_ps () or
 * ggml's AVX2 halves and two horizontal adds sum them, the rest in double
 * precision. */
float bendi_test_ggml_dot_f16 (const BendiFp16 *k,
                               const float     *q_half,
                               gint64           n,
                               int              lanes);

G_END_DECLS
