/* SPDX-License-Identifier: MIT */
/* Test-only GGUF construction: raw fields byte by byte (even inconsistent
 * ones, for malformed files) and a small well-formed model from the writer. */
#pragma once

#include <glib.h>

#include "gguf/gguf.h"

G_BEGIN_DECLS

/* Each appends one field to @out exactly as given, little-endian. */
void gguf_put_u8          (GByteArray *out,
                           guint8      value);
void gguf_put_u32         (GByteArray *out,
                           guint32     value);
void gguf_put_u64         (GByteArray *out,
                           guint64     value);
void gguf_put_bytes       (GByteArray *out,
                           const void *data,
                           gsize       n);
void gguf_put_zeros       (GByteArray *out,
                           gsize       n);
/* A uint64 length, then the bytes of @s (without its NUL). */
void gguf_put_string      (GByteArray *out,
                           const char *s);
/* A uint64 length of @claimed_len, then only @n bytes of @data: the two
 * differ in files that lie about a length. */
void gguf_put_string_len  (GByteArray *out,
                           guint64     claimed_len,
                           const void *data,
                           gsize       n);

/* "GGUF", the version and both counts. */
void gguf_put_header      (GByteArray *out,
                           guint32     version,
                           guint64     n_tensors,
                           guint64     n_kv);
/* A key and a value type; the value follows with the put functions. */
void gguf_put_key         (GByteArray   *out,
                           const char   *key,
                           BendiGgufType type);
void gguf_put_kv_u32      (GByteArray *out,
                           const char *key,
                           guint32     value);
void gguf_put_kv_string   (GByteArray *out,
                           const char *key,
                           const char *value);
/* An array header: element type and count; the elements follow. */
void gguf_put_array_header (GByteArray *out,
                            guint32     elem_type,
                            guint64     n);
/* A tensor info: name, n_dims, n_dims dimensions from @ne, type, offset. */
void gguf_put_tensor_info (GByteArray    *out,
                           const char    *name,
                           guint32        n_dims,
                           const guint64 *ne,
                           guint32        type,
                           guint64        offset);
/* Zeros up to the next multiple of @alignment. */
void gguf_put_padding     (GByteArray *out,
                           gsize       alignment);

/* A few-KB model written by the GGUF writer: scalar keys of several types,
 * a vocabulary as string arrays, nested arrays, alignment 64, and tensors of
 * F32, F16, BF16, I8, Q4_0, Q8_0 and Q4_K holding a byte pattern. */
GBytes *gguf_build_small_model (void) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
