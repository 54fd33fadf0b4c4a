/* SPDX-License-Identifier: MIT */
/* Fuzz target for the GGUF reader: parse arbitrary bytes, then walk
 * everything a successful parse hands out. */
#include <glib.h>

#include "engine-error.h"
#include "fuzz-target.h"
#include "gguf-walk.h"
#include "gguf/gguf.h"

int
LLVMFuzzerInitialize (int    *argc G_GNUC_UNUSED,
                      char ***argv G_GNUC_UNUSED)
{
  /* A g_return_if_fail hit by the walk is an API contract broken: make it
   * a crash the fuzzer reports rather than a line it ignores. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr (GBytes) bytes = g_bytes_new_static (data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiGguf) gguf = bendi_gguf_new_from_bytes (bytes, &error);

  if (gguf == NULL)
    {
      /* Every refusal is a corrupt-file error with a readable message. */
      g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }
  gguf_walk (gguf, data, size);
  return 0;
}
