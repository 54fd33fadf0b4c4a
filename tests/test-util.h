/* SPDX-License-Identifier: MIT */
/* Shared helpers for the test programs: finding ../shared test data, temporary directories. */
#pragma once

#include <glib.h>

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

G_END_DECLS
