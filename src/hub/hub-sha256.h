/* SPDX-License-Identifier: MIT */
/* SHA-256 fast enough to hash a download as it arrives: the SHA extensions
 * where the processor has them (GLib's GChecksum manages about a tenth of
 * loopback speed), portable C elsewhere. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define BENDI_SHA256_DIGEST_LENGTH 32
#define BENDI_SHA256_HEX_LENGTH    64

typedef struct {
  guint32 state[8];
  guint64 n_bytes;
  guint8  buffer[64];
  gsize   buffered;
} BendiSha256;

void     bendi_sha256_init       (BendiSha256 *self);
void     bendi_sha256_update     (BendiSha256 *self,
                                  const void  *data,
                                  gsize        n);
/* Writes the digest as 64 lowercase hex digits and a NUL to @hex. */
void     bendi_sha256_finish_hex (BendiSha256 *self,
                                  char         hex[BENDI_SHA256_HEX_LENGTH + 1]);
/* TRUE when the SHA extensions are in use (for benchmarks and tests). */
gboolean bendi_sha256_is_accelerated (void);
/* Forces the portable code, to test it on machines with the extensions. */
void     bendi_sha256_force_portable (gboolean portable);

G_END_DECLS
