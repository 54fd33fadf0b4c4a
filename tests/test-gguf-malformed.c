/* SPDX-License-Identifier: MIT */
/* The GGUF reader against hostile input: a table of hand-made malformed
 * files, truncation and byte-flip sweeps, memory bounds and special files. */
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "engine-error.h"
#include "fuzz/gguf-walk.h"
#include "gguf-builder.h"
#include "gguf/gguf.h"
#include "test-util.h"

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif

#ifdef HAVE_ASAN
/* From the sanitizer runtime; gcc ships no header that declares it. */
size_t __sanitizer_get_current_allocated_bytes (void);

/* Any single allocation above 256 MiB is a finding: these files are tiny,
 * so it could only be sized from a count a file claims. */
const char *__asan_default_options (void);
const char *
__asan_default_options (void)
{
  return "max_allocation_size_mb=256";
}
#elif defined(__GLIBC__)
#include <malloc.h>
#endif

#define F32  BENDI_TENSOR_TYPE_F32
#define I8   BENDI_TENSOR_TYPE_I8
#define Q4_0 BENDI_TENSOR_TYPE_Q4_0
#define Q4_K BENDI_TENSOR_TYPE_Q4_K

/* Dimension lists for gguf_put_tensor_info. */
#define NE(...) ((const guint64[]) { __VA_ARGS__ })

/* ------------------------------------------------------------------------ */
/* Building blocks for the table below. */

static void
header (GByteArray *out,
        guint64     n_tensors,
        guint64     n_kv)
{
  gguf_put_header (out, 3, n_tensors, n_kv);
}

/* The end of a file whose tensor infos are written: padding to the default
 * alignment, then @n bytes of tensor data. */
static void
data_section (GByteArray *out,
              gsize       n)
{
  gguf_put_padding (out, BENDI_GGUF_DEFAULT_ALIGNMENT);
  gguf_put_zeros (out, n);
}

/* A file with one tensor "w" and 64 bytes of data. */
static void
one_tensor (GByteArray    *out,
            guint32        n_dims,
            const guint64 *ne,
            guint32        type,
            guint64        offset)
{
  header (out, 1, 0);
  gguf_put_tensor_info (out, "w", n_dims, ne, type, offset);
  data_section (out, 64);
}

/* A file with one key "k" of @type; the caller writes the value. */
static void
one_key (GByteArray    *out,
         BendiGgufType  type)
{
  header (out, 0, 1);
  gguf_put_key (out, "k", type);
}

static void
array_key (GByteArray *out,
           guint32     elem_type,
           guint64     n)
{
  one_key (out, BENDI_GGUF_TYPE_ARRAY);
  gguf_put_array_header (out, elem_type, n);
}

static void
alignment_key (GByteArray *out,
               guint32     alignment)
{
  header (out, 0, 1);
  gguf_put_kv_u32 (out, "general.alignment", alignment);
}

static void
repeated_name (GByteArray *out,
               gsize       len)
{
  g_autofree char *name = g_strnfill (len, 'n');

  header (out, 1, 0);
  gguf_put_tensor_info (out, name, 1, NE (8), F32, 0);
  data_section (out, 32);
}

/* ------------------------------------------------------------------------ */
/* Header */

static void
bad_magic (GByteArray *out)
{
  gguf_put_bytes (out, "GGUX", 4);
  gguf_put_u32 (out, 3);
  gguf_put_zeros (out, 16);
}

static void magic_only (GByteArray *out) { gguf_put_bytes (out, "GGUF", 4); }
static void version_0 (GByteArray *out) { gguf_put_header (out, 0, 0, 0); }
static void version_1 (GByteArray *out) { gguf_put_header (out, 1, 0, 0); }
static void version_4 (GByteArray *out) { gguf_put_header (out, 4, 0, 0); }
static void version_big_endian (GByteArray *out) { gguf_put_header (out, GUINT32_SWAP_LE_BE (3), 0, 0); }

static void
counts_truncated (GByteArray *out)
{
  gguf_put_bytes (out, "GGUF", 4);
  gguf_put_u32 (out, 3);
  gguf_put_u32 (out, 0);
}

static void
n_kv_huge (GByteArray *out)
{
  header (out, 0, G_GUINT64_CONSTANT (1) << 60);
  gguf_put_zeros (out, 64);
}

static void
n_kv_max (GByteArray *out)
{
  header (out, 0, G_MAXUINT64);
  gguf_put_zeros (out, 64);
}

static void
n_tensors_huge (GByteArray *out)
{
  header (out, G_GUINT64_CONSTANT (1) << 63, 0);
  gguf_put_zeros (out, 64);
}

/* Two entries announced, one present: the second is read from padding. */
static void
n_kv_too_many (GByteArray *out)
{
  header (out, 0, 2);
  gguf_put_kv_string (out, "k", "a value long enough to pass the quick count check");
}

static void
n_tensors_too_many (GByteArray *out)
{
  header (out, 2, 0);
  gguf_put_tensor_info (out, "w", 1, NE (8), F32, 0);
  data_section (out, 64);
}

/* The count fits the file, but not what is left after the metadata. */
static void
n_tensors_after_metadata (GByteArray *out)
{
  g_autofree char *value = g_strnfill (100, 'x');

  header (out, 2, 1);
  gguf_put_kv_string (out, "k", value);
  gguf_put_tensor_info (out, "w", 1, NE (1), F32, 0);
}

/* ------------------------------------------------------------------------ */
/* Keys */

static void
key_empty (GByteArray *out)
{
  header (out, 0, 1);
  gguf_put_key (out, "", BENDI_GGUF_TYPE_UINT8);
  gguf_put_u8 (out, 0);
  /* Without a key the entry is shorter than the smallest valid one. */
  gguf_put_zeros (out, 8);
}

static void
key_nul (GByteArray *out)
{
  header (out, 0, 1);
  gguf_put_string_len (out, 3, "a\0b", 3);
  gguf_put_u32 (out, BENDI_GGUF_TYPE_UINT8);
  gguf_put_u8 (out, 0);
}

static void
long_key (GByteArray *out,
          gsize       len)
{
  g_autofree char *key = g_strnfill (len, 'k');

  header (out, 0, 1);
  gguf_put_key (out, key, BENDI_GGUF_TYPE_UINT8);
  gguf_put_u8 (out, 0);
}

static void key_too_long (GByteArray *out) { long_key (out, BENDI_GGUF_MAX_KEY_LENGTH + 1); }
static void ok_key_at_limit (GByteArray *out) { long_key (out, BENDI_GGUF_MAX_KEY_LENGTH); }

static void
key_length_huge (GByteArray *out)
{
  header (out, 0, 1);
  gguf_put_u64 (out, G_GUINT64_CONSTANT (1) << 63);
  gguf_put_zeros (out, 32);
}

static void
key_truncated (GByteArray *out)
{
  header (out, 0, 1);
  gguf_put_string_len (out, 40, "twenty bytes of key.", 20);
}

static void
key_duplicate (GByteArray *out)
{
  header (out, 0, 2);
  gguf_put_kv_u32 (out, "dup.key", 1);
  gguf_put_kv_u32 (out, "dup.key", 2);
}

static void
key_duplicate_apart (GByteArray *out)
{
  header (out, 0, 3);
  gguf_put_kv_u32 (out, "a", 1);
  gguf_put_kv_u32 (out, "b", 2);
  gguf_put_kv_u32 (out, "a", 3);
}

/* Control bytes are escaped and invalid UTF-8 replaced in messages. */
static void
key_duplicate_unprintable (GByteArray *out)
{
  header (out, 0, 2);
  gguf_put_kv_u32 (out, "bad\x01\xff", 1);
  gguf_put_kv_u32 (out, "bad\x01\xff", 2);
}

/* Long names are cut in messages. */
static void
key_duplicate_long (GByteArray *out)
{
  g_autofree char *key = g_strnfill (1000, 'k');

  header (out, 0, 2);
  gguf_put_kv_u32 (out, key, 1);
  gguf_put_kv_u32 (out, key, 2);
}

/* ------------------------------------------------------------------------ */
/* Values */

static void
value_type_unknown (GByteArray *out)
{
  one_key (out, BENDI_GGUF_TYPE_COUNT);
  gguf_put_u64 (out, 0);
}

static void
value_type_huge (GByteArray *out)
{
  one_key (out, (BendiGgufType) G_MAXUINT32);
  gguf_put_u64 (out, 0);
}

static void
value_truncated (GByteArray *out)
{
  one_key (out, BENDI_GGUF_TYPE_UINT64);
  gguf_put_zeros (out, 3);
}

static void
bool_value_2 (GByteArray *out)
{
  one_key (out, BENDI_GGUF_TYPE_BOOL);
  gguf_put_u8 (out, 2);
}

static void
string_length_huge (GByteArray *out)
{
  one_key (out, BENDI_GGUF_TYPE_STRING);
  gguf_put_u64 (out, G_GUINT64_CONSTANT (1) << 60);
  gguf_put_zeros (out, 16);
}

static void
string_length_max (GByteArray *out)
{
  one_key (out, BENDI_GGUF_TYPE_STRING);
  gguf_put_u64 (out, G_MAXUINT64);
  gguf_put_zeros (out, 16);
}

static void
string_truncated (GByteArray *out)
{
  one_key (out, BENDI_GGUF_TYPE_STRING);
  gguf_put_string_len (out, 100, "short", 5);
}

/* ------------------------------------------------------------------------ */
/* Arrays */

static void
array_type_unknown (GByteArray *out)
{
  array_key (out, 13, 1);
  gguf_put_u8 (out, 0);
}

static void
array_type_huge (GByteArray *out)
{
  array_key (out, 0x80000000u, 1);
  gguf_put_u8 (out, 0);
}

static void
array_count_huge (GByteArray *out)
{
  array_key (out, BENDI_GGUF_TYPE_UINT8, G_GUINT64_CONSTANT (1) << 60);
  gguf_put_zeros (out, 16);
}

/* 2^61 elements of 8 bytes: the byte count wraps to 0 in 64 bits. */
static void
array_bytes_wrap (GByteArray *out)
{
  array_key (out, BENDI_GGUF_TYPE_UINT64, G_GUINT64_CONSTANT (1) << 61);
  gguf_put_zeros (out, 16);
}

static void
array_elements_truncated (GByteArray *out)
{
  array_key (out, BENDI_GGUF_TYPE_UINT32, 10);
  gguf_put_zeros (out, 8);
}

static void
array_strings_huge (GByteArray *out)
{
  array_key (out, BENDI_GGUF_TYPE_STRING, G_GUINT64_CONSTANT (1) << 60);
  gguf_put_zeros (out, 16);
}

static void
array_string_length_huge (GByteArray *out)
{
  array_key (out, BENDI_GGUF_TYPE_STRING, 1);
  gguf_put_u64 (out, G_GUINT64_CONSTANT (1) << 62);
  gguf_put_zeros (out, 8);
}

static void
array_strings_truncated (GByteArray *out)
{
  array_key (out, BENDI_GGUF_TYPE_STRING, 3);
  gguf_put_string (out, "a");
  gguf_put_string (out, "b");
  gguf_put_string_len (out, 5, "cd", 2);
}

static void
array_bool_2 (GByteArray *out)
{
  array_key (out, BENDI_GGUF_TYPE_BOOL, 3);
  gguf_put_bytes (out, "\x00\x01\x02", 3);
}

/* @levels arrays of arrays, then an empty uint8 array at the bottom. */
static void
nested_arrays (GByteArray *out,
               guint       levels)
{
  one_key (out, BENDI_GGUF_TYPE_ARRAY);
  for (guint i = 0; i < levels; i++)
    gguf_put_array_header (out, BENDI_GGUF_TYPE_ARRAY, 1);
  gguf_put_array_header (out, BENDI_GGUF_TYPE_UINT8, 0);
}

static void ok_nesting_at_limit (GByteArray *out) { nested_arrays (out, BENDI_GGUF_MAX_ARRAY_DEPTH - 1); }
static void nesting_too_deep (GByteArray *out) { nested_arrays (out, BENDI_GGUF_MAX_ARRAY_DEPTH); }

static void
nested_count_huge (GByteArray *out)
{
  array_key (out, BENDI_GGUF_TYPE_ARRAY, G_GUINT64_CONSTANT (1) << 60);
  gguf_put_zeros (out, 16);
}

static void
nested_inner_type_unknown (GByteArray *out)
{
  array_key (out, BENDI_GGUF_TYPE_ARRAY, 2);
  gguf_put_array_header (out, BENDI_GGUF_TYPE_UINT8, 0);
  gguf_put_array_header (out, 99, 0);
}

/* ------------------------------------------------------------------------ */
/* Alignment */

static void alignment_zero (GByteArray *out) { alignment_key (out, 0); }
static void alignment_48 (GByteArray *out) { alignment_key (out, 48); }
static void alignment_2_mib (GByteArray *out) { alignment_key (out, 2u << 20); }
static void alignment_2_31 (GByteArray *out) { alignment_key (out, 1u << 31); }

static void
alignment_uint64 (GByteArray *out)
{
  header (out, 0, 1);
  gguf_put_key (out, "general.alignment", BENDI_GGUF_TYPE_UINT64);
  gguf_put_u64 (out, 32);
}

static void
alignment_string (GByteArray *out)
{
  header (out, 0, 1);
  gguf_put_kv_string (out, "general.alignment", "32");
}

/* The largest alignment: one tensor, the data section 1 MiB into the file. */
static void
ok_alignment_1_mib (GByteArray *out)
{
  header (out, 1, 1);
  gguf_put_kv_u32 (out, "general.alignment", BENDI_GGUF_MAX_ALIGNMENT);
  gguf_put_tensor_info (out, "w", 1, NE (1), F32, 0);
  gguf_put_padding (out, BENDI_GGUF_MAX_ALIGNMENT);
  gguf_put_zeros (out, 4);
}

/* Alignment 1: tensors packed back to back at odd offsets. */
static void
ok_alignment_1 (GByteArray *out)
{
  header (out, 2, 1);
  gguf_put_kv_u32 (out, "general.alignment", 1);
  gguf_put_tensor_info (out, "a", 1, NE (3), I8, 0);
  gguf_put_tensor_info (out, "b", 1, NE (1), F32, 3);
  gguf_put_zeros (out, 7);
}

/* ------------------------------------------------------------------------ */
/* Tensor infos */

static void tensor_name_empty (GByteArray *out) { repeated_name (out, 0); }
static void tensor_name_too_long (GByteArray *out) { repeated_name (out, BENDI_GGUF_MAX_TENSOR_NAME_LENGTH + 1); }
static void ok_tensor_name_at_limit (GByteArray *out) { repeated_name (out, BENDI_GGUF_MAX_TENSOR_NAME_LENGTH); }

static void
tensor_name_nul (GByteArray *out)
{
  header (out, 1, 0);
  gguf_put_string_len (out, 3, "w\0x", 3);
  gguf_put_u32 (out, 1);
  gguf_put_u64 (out, 8);
  gguf_put_u32 (out, F32);
  gguf_put_u64 (out, 0);
  data_section (out, 32);
}

static void
tensor_name_length_huge (GByteArray *out)
{
  header (out, 1, 0);
  gguf_put_u64 (out, G_GUINT64_CONSTANT (1) << 62);
  gguf_put_zeros (out, 64);
}

static void
tensor_name_duplicate (GByteArray *out)
{
  header (out, 2, 0);
  gguf_put_tensor_info (out, "w", 1, NE (8), F32, 0);
  gguf_put_tensor_info (out, "w", 1, NE (8), F32, 32);
  data_section (out, 64);
}

static void
n_dims_0 (GByteArray *out)
{
  header (out, 1, 0);
  gguf_put_tensor_info (out, "w", 0, NULL, F32, 0);
  data_section (out, 32);
}

static void n_dims_5 (GByteArray *out) { one_tensor (out, 5, NE (1, 1, 1, 1, 1), F32, 0); }

static void
n_dims_huge (GByteArray *out)
{
  header (out, 1, 0);
  gguf_put_string (out, "w");
  gguf_put_u32 (out, G_MAXUINT32);
  gguf_put_zeros (out, 64);
}

static void dim_zero (GByteArray *out) { one_tensor (out, 2, NE (8, 0), F32, 0); }
static void dim_minus_one (GByteArray *out) { one_tensor (out, 1, NE (G_MAXUINT64), F32, 0); }
static void dim_2_63 (GByteArray *out) { one_tensor (out, 1, NE (G_GUINT64_CONSTANT (1) << 63), F32, 0); }
static void type_removed (GByteArray *out) { one_tensor (out, 1, NE (32), 4, 0); }
static void type_count (GByteArray *out) { one_tensor (out, 1, NE (8), BENDI_TENSOR_TYPE_COUNT, 0); }
static void type_huge (GByteArray *out) { one_tensor (out, 1, NE (8), G_MAXUINT32, 0); }
static void block_q4_0 (GByteArray *out) { one_tensor (out, 1, NE (31), Q4_0, 0); }
static void block_q4_k (GByteArray *out) { one_tensor (out, 2, NE (128, 2), Q4_K, 0); }

static void
elements_overflow_2d (GByteArray *out)
{
  one_tensor (out, 2, NE (G_GUINT64_CONSTANT (1) << 32, G_GUINT64_CONSTANT (1) << 32), F32, 0);
}

static void
elements_overflow_4d (GByteArray *out)
{
  one_tensor (out, 4, NE (1u << 16, 1u << 16, 1u << 16, 1u << 16), I8, 0);
}

/* 2^62 elements fit in int64, their 2^64 bytes do not fit in 64 bits. */
static void
bytes_overflow_row (GByteArray *out)
{
  one_tensor (out, 1, NE (G_GUINT64_CONSTANT (1) << 62), F32, 0);
}

static void
bytes_overflow_rows (GByteArray *out)
{
  one_tensor (out, 2, NE (G_GUINT64_CONSTANT (1) << 31, G_GUINT64_CONSTANT (1) << 31), F32, 0);
}

static void offset_misaligned (GByteArray *out) { one_tensor (out, 1, NE (8), F32, 4); }

static void
offset_misaligned_64 (GByteArray *out)
{
  header (out, 1, 1);
  gguf_put_kv_u32 (out, "general.alignment", 64);
  gguf_put_tensor_info (out, "w", 1, NE (8), F32, 32);
  gguf_put_padding (out, 64);
  gguf_put_zeros (out, 64);
}

static void offset_past_end (GByteArray *out) { one_tensor (out, 1, NE (8), F32, G_GUINT64_CONSTANT (1) << 40); }

/* offset + size would wrap around 2^64 back inside the file. */
static void
offset_wraps (GByteArray *out)
{
  one_tensor (out, 1, NE (16), F32, G_MAXUINT64 - 31);
}

static void size_past_end (GByteArray *out) { one_tensor (out, 1, NE (G_GUINT64_CONSTANT (1) << 60), F32, 0); }

static void
data_one_byte_short (GByteArray *out)
{
  header (out, 1, 0);
  gguf_put_tensor_info (out, "w", 1, NE (8), F32, 0);
  data_section (out, 31);
}

/* The last tensor ends exactly at the end of the file. */
static void
ok_data_ends_at_eof (GByteArray *out)
{
  header (out, 1, 0);
  gguf_put_tensor_info (out, "w", 1, NE (8), F32, 0);
  data_section (out, 32);
}

static void
tensors_overlap (GByteArray *out)
{
  header (out, 2, 0);
  gguf_put_tensor_info (out, "a", 1, NE (16), F32, 0);
  gguf_put_tensor_info (out, "b", 1, NE (8), F32, 32);
  data_section (out, 96);
}

static void
tensors_same_offset (GByteArray *out)
{
  header (out, 2, 0);
  gguf_put_tensor_info (out, "a", 1, NE (8), F32, 0);
  gguf_put_tensor_info (out, "b", 1, NE (1), F32, 0);
  data_section (out, 64);
}

/* In file order no neighbours overlap; sorted by offset, 'b' covers 'a'. */
static void
tensors_overlap_out_of_order (GByteArray *out)
{
  header (out, 3, 0);
  gguf_put_tensor_info (out, "c", 1, NE (8), F32, 0);
  gguf_put_tensor_info (out, "a", 1, NE (8), F32, 64);
  gguf_put_tensor_info (out, "b", 1, NE (32), F32, 32);
  data_section (out, 160);
}

/* Back to back is not overlapping. */
static void
ok_tensors_touch (GByteArray *out)
{
  header (out, 2, 0);
  gguf_put_tensor_info (out, "b", 1, NE (8), F32, 32);
  gguf_put_tensor_info (out, "a", 1, NE (8), F32, 0);
  data_section (out, 64);
}

/* The file ends right after the tensor infos, before the padding. */
static void
data_section_past_eof (GByteArray *out)
{
  header (out, 1, 0);
  gguf_put_tensor_info (out, "w", 1, NE (8), F32, 0);
}

static void
tensor_type_truncated (GByteArray *out)
{
  header (out, 1, 0);
  gguf_put_string (out, "w");
  gguf_put_u32 (out, 4);
  for (guint i = 0; i < 4; i++)
    gguf_put_u64 (out, 1);
}

static void
tensor_offset_truncated (GByteArray *out)
{
  header (out, 1, 0);
  gguf_put_string (out, "w");
  gguf_put_u32 (out, 4);
  for (guint i = 0; i < 4; i++)
    gguf_put_u64 (out, 1);
  gguf_put_u32 (out, F32);
  gguf_put_zeros (out, 4);
}

/* ------------------------------------------------------------------------ */

typedef struct {
  const char *name;
  void      (*build) (GByteArray *out);
  /* The parse must fail and its message contain this, which names the
   * offending field; NULL for files at a limit that must parse. */
  const char *field;
} MalformedCase;

static const MalformedCase malformed_cases[] = {
  /* Header */
  { "bad-magic", bad_magic, "magic" },
  { "magic-only", magic_only, "the version" },
  { "version-0", version_0, "version 0" },
  { "version-1", version_1, "version 1" },
  { "version-4", version_4, "version 4" },
  { "version-big-endian", version_big_endian, "big-endian" },
  { "counts-truncated", counts_truncated, "the tensor count" },
  { "n-kv-huge", n_kv_huge, "the metadata count 1152921504606846976" },
  { "n-kv-max", n_kv_max, "the metadata count 18446744073709551615" },
  { "n-tensors-huge", n_tensors_huge, "the tensor count 9223372036854775808" },
  { "n-kv-too-many", n_kv_too_many, "metadata entry 1:" },
  { "n-tensors-too-many", n_tensors_too_many, "tensor 1:" },
  { "n-tensors-after-metadata", n_tensors_after_metadata, "the tensor count 2" },
  /* Keys */
  { "key-empty", key_empty, "metadata entry 0: the key is empty" },
  { "key-nul", key_nul, "metadata entry 0: the key holds a NUL" },
  { "key-too-long", key_too_long, "metadata entry 0: the key is 65536 bytes long" },
  { "ok-key-at-limit", ok_key_at_limit, NULL },
  { "key-length-huge", key_length_huge, "metadata entry 0: the key is 9223372036854775808 bytes" },
  { "key-truncated", key_truncated, "metadata entry 0: the file ends while reading the key" },
  { "key-duplicate", key_duplicate, "metadata key 'dup.key': the key appears twice" },
  { "key-duplicate-apart", key_duplicate_apart, "metadata key 'a': the key appears twice" },
  { "key-duplicate-unprintable", key_duplicate_unprintable,
    "metadata key 'bad\\x01\xef\xbf\xbd': the key appears twice" },
  { "key-duplicate-long", key_duplicate_long,
    "kkkkkkkkkk…': the key appears twice" },
  /* Values */
  { "value-type-unknown", value_type_unknown, "metadata key 'k': value type 13" },
  { "value-type-huge", value_type_huge, "metadata key 'k': value type 4294967295" },
  { "value-truncated", value_truncated, "metadata key 'k': the file ends while reading a value" },
  { "bool-value-2", bool_value_2, "metadata key 'k': a bool is 2" },
  { "string-length-huge", string_length_huge, "metadata key 'k': a string value is 1152921504606846976" },
  { "string-length-max", string_length_max, "metadata key 'k': a string value is 18446744073709551615" },
  { "string-truncated", string_truncated, "metadata key 'k': the file ends while reading a string value" },
  /* Arrays */
  { "array-type-unknown", array_type_unknown, "metadata key 'k': array element type 13" },
  { "array-type-huge", array_type_huge, "metadata key 'k': array element type 2147483648" },
  { "array-count-huge", array_count_huge, "metadata key 'k': an array of 1152921504606846976 uint8" },
  { "array-bytes-wrap", array_bytes_wrap, "metadata key 'k': an array of 2305843009213693952 uint64" },
  { "array-elements-truncated", array_elements_truncated, "metadata key 'k': an array of 10 uint32" },
  { "array-strings-huge", array_strings_huge, "metadata key 'k': an array of 1152921504606846976 string" },
  { "array-string-length-huge", array_string_length_huge, "metadata key 'k': a string in an array is" },
  { "array-strings-truncated", array_strings_truncated, "metadata key 'k': the file ends while reading a string" },
  { "array-bool-2", array_bool_2, "metadata key 'k': element 2 of a bool array is 2" },
  { "ok-nesting-at-limit", ok_nesting_at_limit, NULL },
  { "nesting-too-deep", nesting_too_deep, "metadata key 'k': arrays are nested more than 8 deep" },
  { "nested-count-huge", nested_count_huge, "metadata key 'k': an array of 1152921504606846976 array" },
  { "nested-inner-type-unknown", nested_inner_type_unknown, "metadata key 'k': array element type 99" },
  /* Alignment */
  { "alignment-zero", alignment_zero, "metadata key 'general.alignment': 0 is not a power of two" },
  { "alignment-48", alignment_48, "metadata key 'general.alignment': 48 is not a power of two" },
  { "alignment-2-mib", alignment_2_mib, "metadata key 'general.alignment': 2097152 is not" },
  { "alignment-2^31", alignment_2_31, "metadata key 'general.alignment': 2147483648 is not" },
  { "alignment-uint64", alignment_uint64, "metadata key 'general.alignment': it has type uint64" },
  { "alignment-string", alignment_string, "metadata key 'general.alignment': it has type string" },
  { "ok-alignment-1-mib", ok_alignment_1_mib, NULL },
  { "ok-alignment-1", ok_alignment_1, NULL },
  /* Tensor infos */
  { "tensor-name-empty", tensor_name_empty, "tensor 0: the name is empty" },
  { "tensor-name-too-long", tensor_name_too_long, "tensor 0: the name is 257 bytes long" },
  { "ok-tensor-name-at-limit", ok_tensor_name_at_limit, NULL },
  { "tensor-name-nul", tensor_name_nul, "tensor 0: the name holds a NUL" },
  { "tensor-name-length-huge", tensor_name_length_huge, "tensor 0: the name is 4611686018427387904 bytes" },
  { "tensor-name-duplicate", tensor_name_duplicate, "tensor 'w': the name appears twice" },
  { "n-dims-0", n_dims_0, "tensor 'w': 0 dimensions" },
  { "n-dims-5", n_dims_5, "tensor 'w': 5 dimensions" },
  { "n-dims-huge", n_dims_huge, "tensor 'w': 4294967295 dimensions" },
  { "dim-zero", dim_zero, "tensor 'w': dimension 1 is 0" },
  { "dim-minus-one", dim_minus_one, "tensor 'w': dimension 0 is -1" },
  { "dim-2^63", dim_2_63, "tensor 'w': dimension 0 is -9223372036854775808" },
  { "type-removed", type_removed, "tensor 'w': type 4 is not a known tensor type" },
  { "type-count", type_count, "tensor 'w': type 40 is not" },
  { "type-huge", type_huge, "tensor 'w': type 4294967295 is not" },
  { "block-q4_0", block_q4_0, "tensor 'w': a row of 31 elements is not a whole number of Q4_0 blocks of 32" },
  { "block-q4_k", block_q4_k, "tensor 'w': a row of 128 elements is not a whole number of Q4_K blocks of 256" },
  { "elements-overflow-2d", elements_overflow_2d, "tensor 'w': its 2 dimensions multiply to more than 2^63" },
  { "elements-overflow-4d", elements_overflow_4d, "tensor 'w': its 4 dimensions multiply to more than 2^63" },
  { "bytes-overflow-row", bytes_overflow_row, "tensor 'w': its size in bytes overflows" },
  { "bytes-overflow-rows", bytes_overflow_rows, "tensor 'w': its size in bytes overflows" },
  { "offset-misaligned", offset_misaligned, "tensor 'w': offset 4 is not a multiple of the alignment 32" },
  { "offset-misaligned-64", offset_misaligned_64, "tensor 'w': offset 32 is not a multiple of the alignment 64" },
  { "offset-past-end", offset_past_end, "tensor 'w': 32 bytes at offset 1099511627776 extend past the end" },
  { "offset-wraps", offset_wraps, "tensor 'w': 64 bytes at offset 18446744073709551584 extend past" },
  { "size-past-end", size_past_end, "tensor 'w': 4611686018427387904 bytes at offset 0 extend past" },
  { "data-one-byte-short", data_one_byte_short, "tensor 'w': 32 bytes at offset 0 extend past" },
  { "ok-data-ends-at-eof", ok_data_ends_at_eof, NULL },
  { "tensors-overlap", tensors_overlap, "tensor 'b': it overlaps tensor 'a'" },
  { "tensors-same-offset", tensors_same_offset, "tensor 'b': it overlaps tensor 'a'" },
  { "tensors-overlap-out-of-order", tensors_overlap_out_of_order, "tensor 'a': it overlaps tensor 'b'" },
  { "ok-tensors-touch", ok_tensors_touch, NULL },
  { "data-section-past-eof", data_section_past_eof, "the data section would start at offset 64, past the end" },
  { "tensor-type-truncated", tensor_type_truncated, "tensor 'w': the file ends while reading the type" },
  { "tensor-offset-truncated", tensor_offset_truncated, "tensor 'w': the file ends while reading the offset" },
};

/* An exact-size heap copy, so AddressSanitizer sees a read one byte past
 * the end of the file. */
static GBytes *
exact_copy (const guint8 *data,
            gsize         n)
{
  return g_bytes_new (data, n);
}

static void
assert_invalid_file (const GError *error)
{
  g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
}

static void
test_malformed (gconstpointer data)
{
  const MalformedCase *c = data;
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiGguf) gguf = NULL;

  c->build (out);
  bytes = exact_copy (out->data, out->len);
  gguf = bendi_gguf_new_from_bytes (bytes, &error);
  if (c->field == NULL)
    {
      g_assert_no_error (error);
      gguf_walk (gguf, g_bytes_get_data (bytes, NULL), out->len);
      return;
    }
  g_assert_null (gguf);
  assert_invalid_file (error);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, c->field));
}

/* A model loader's lookups name the key they could not use. */
static void
test_loader_lookups (void)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiGguf) gguf = NULL;
  const BendiGgufValue *array;
  const char *s;
  gboolean b;
  gint64 i;
  double d;

  header (out, 0, 4);
  gguf_put_kv_string (out, "s", "text");
  gguf_put_kv_u32 (out, "u", 7);
  gguf_put_key (out, "b", BENDI_GGUF_TYPE_BOOL);
  gguf_put_u8 (out, 1);
  gguf_put_key (out, "a", BENDI_GGUF_TYPE_ARRAY);
  gguf_put_array_header (out, BENDI_GGUF_TYPE_UINT8, 2);
  gguf_put_bytes (out, "\x01\x02", 2);
  bytes = exact_copy (out->data, out->len);
  gguf = bendi_gguf_new_from_bytes (bytes, &error);
  g_assert_no_error (error);

#define EXPECT_LOOKUP_ERROR(call, words)                        \
  G_STMT_START {                                                \
    g_assert_false (call);                                      \
    assert_invalid_file (error);                                \
    g_test_message ("%s", error->message);                      \
    g_assert_nonnull (strstr (error->message, words));          \
    g_clear_error (&error);                                     \
  } G_STMT_END

  EXPECT_LOOKUP_ERROR (bendi_gguf_get_string (gguf, "general.architecture", TRUE, &s, &error),
                       "lacks the required metadata key 'general.architecture'");
  EXPECT_LOOKUP_ERROR (bendi_gguf_get_int (gguf, "llama.block_count", TRUE, 1, 100, &i, &error),
                       "'llama.block_count'");
  EXPECT_LOOKUP_ERROR (bendi_gguf_get_int (gguf, "s", TRUE, 0, 10, &i, &error), "'s' has type string");
  EXPECT_LOOKUP_ERROR (bendi_gguf_get_int (gguf, "u", TRUE, 0, 5, &i, &error), "'u' is 7, outside 0 to 5");
  EXPECT_LOOKUP_ERROR (bendi_gguf_get_float (gguf, "u", TRUE, &d, &error), "'u' has type uint32");
  EXPECT_LOOKUP_ERROR (bendi_gguf_get_bool (gguf, "u", TRUE, &b, &error), "'u' has type uint32");
  EXPECT_LOOKUP_ERROR (bendi_gguf_get_string (gguf, "b", TRUE, &s, &error), "'b' has type bool");
  EXPECT_LOOKUP_ERROR (bendi_gguf_get_array (gguf, "u", BENDI_GGUF_TYPE_INT64, TRUE, &array, &error),
                       "'u' has type uint32");
  EXPECT_LOOKUP_ERROR (bendi_gguf_get_array (gguf, "a", BENDI_GGUF_TYPE_STRING, TRUE, &array, &error),
                       "'a' is an array of uint8");
#undef EXPECT_LOOKUP_ERROR

  /* And the same keys read with the right types work. */
  g_assert_true (bendi_gguf_get_int (gguf, "u", TRUE, 0, 7, &i, &error));
  g_assert_cmpint (i, ==, 7);
  g_assert_true (bendi_gguf_get_array (gguf, "a", BENDI_GGUF_TYPE_INT64, TRUE, &array, &error));
  g_assert_true (bendi_gguf_array_get_int64 (array, 1, &i));
  g_assert_cmpint (i, ==, 2);
  g_assert_no_error (error);
}

/* ------------------------------------------------------------------------ */
/* Sweeps over a small model made by the writer. */

/* The bytes a file needs: up to the end of its last tensor's data. What
 * follows is padding, which may be cut. */
static gsize
needed_size (GBytes *model)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiGguf) gguf = bendi_gguf_new_from_bytes (model, &error);
  gsize needed = 0;

  g_assert_no_error (error);
  g_assert_cmpuint (bendi_gguf_get_n_tensors (gguf), >, 0);
  for (gsize i = 0; i < bendi_gguf_get_n_tensors (gguf); i++)
    {
      const BendiGgufTensorInfo *t = bendi_gguf_get_tensor (gguf, i);

      needed = MAX (needed, bendi_gguf_get_data_offset (gguf) + t->offset + t->n_bytes);
    }
  return needed;
}

static void
test_truncate_every_byte (void)
{
  g_autoptr (GBytes) model = gguf_build_small_model ();
  gsize size;
  const guint8 *data = g_bytes_get_data (model, &size);
  gsize needed = needed_size (model);
  gsize n_valid = 0;

  g_test_message ("small model: %" G_GSIZE_FORMAT " bytes, %" G_GSIZE_FORMAT " needed", size, needed);
  g_assert_cmpuint (needed, <, size);
  for (gsize len = 0; len < size; len++)
    {
      g_autoptr (GBytes) part = exact_copy (data, len);
      g_autoptr (GError) error = NULL;
      g_autoptr (BendiGguf) gguf = bendi_gguf_new_from_bytes (part, &error);

      if (len < needed)
        {
          g_assert_null (gguf);
          assert_invalid_file (error);
        }
      else
        {
          g_assert_no_error (error);
          gguf_walk (gguf, g_bytes_get_data (part, NULL), len);
          n_valid++;
        }
    }
  g_assert_cmpuint (n_valid, ==, size - needed);
}

/* Every byte before the data section set to a few values. A change may
 * leave a valid file (a different key name, a value, a dimension that still
 * fits): then everything it hands out must still hold up. */
static void
test_flip_header_bytes (void)
{
  g_autoptr (GBytes) model = gguf_build_small_model ();
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiGguf) original = bendi_gguf_new_from_bytes (model, &error);
  gsize size;
  const guint8 *data = g_bytes_get_data (model, &size);
  g_autofree guint8 *copy = g_memdup2 (data, size);
  gsize header_size;
  gsize n_valid = 0, n_refused = 0;

  g_assert_no_error (error);
  header_size = bendi_gguf_get_data_offset (original);
  for (gsize i = 0; i < header_size; i++)
    {
      const guint8 values[] = { data[i] ^ 0xff, 0x00, 0x80, data[i] ^ 0x01, 0x7f, 0xff };

      for (gsize v = 0; v < G_N_ELEMENTS (values); v++)
        {
          g_autoptr (GBytes) bytes = NULL;
          g_autoptr (BendiGguf) gguf = NULL;

          if (values[v] == data[i])
            continue;
          copy[i] = values[v];
          bytes = exact_copy (copy, size);
          gguf = bendi_gguf_new_from_bytes (bytes, &error);
          if (gguf != NULL)
            {
              gguf_walk (gguf, g_bytes_get_data (bytes, NULL), size);
              n_valid++;
            }
          else
            {
              assert_invalid_file (error);
              g_clear_error (&error);
              n_refused++;
            }
        }
      copy[i] = data[i];
    }
  g_test_message ("%" G_GSIZE_FORMAT " header bytes: %" G_GSIZE_FORMAT " changed files parsed, %"
                  G_GSIZE_FORMAT " refused", header_size, n_valid, n_refused);
  g_assert_cmpuint (n_valid, >, 0);
  g_assert_cmpuint (n_refused, >, 0);
}

/* ------------------------------------------------------------------------ */
/* Memory: what the reader allocates follows the bytes in the file, never a
 * count the file claims. */

/* Bytes the process has allocated and not freed. */
static gsize
heap_in_use (void)
{
#if defined(HAVE_ASAN)
  return __sanitizer_get_current_allocated_bytes ();
#elif defined(__GLIBC__)
  struct mallinfo2 info = mallinfo2 ();

  return info.uordblks + info.hblkhd;
#else
  return 0;
#endif
}

#ifndef HAVE_ASAN
/* Caps this process's data segment at its current size plus @budget bytes,
 * so that allocating more makes g_malloc abort. FALSE when it cannot. */
static gboolean
limit_memory_growth (gsize budget)
{
  g_autofree char *status = NULL;
  const char *line;
  struct rlimit limit;
  guint64 vm_data_kib;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) ||
      (line = strstr (status, "VmData:")) == NULL)
    return FALSE;
  vm_data_kib = g_ascii_strtoull (line + strlen ("VmData:"), NULL, 10);
  g_assert_cmpint (getrlimit (RLIMIT_DATA, &limit), ==, 0);
  limit.rlim_cur = vm_data_kib * 1024 + budget;
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_cur > limit.rlim_max)
    limit.rlim_cur = limit.rlim_max;
  g_assert_cmpint (setrlimit (RLIMIT_DATA, &limit), ==, 0);
  return TRUE;
}
#endif

#define MIB (1024 * 1024)

static void
claim_kv_count (GByteArray *out)
{
  header (out, 0, G_GUINT64_CONSTANT (1) << 60);
  gguf_put_zeros (out, 76);
}

static void
claim_tensor_count (GByteArray *out)
{
  header (out, G_GUINT64_CONSTANT (1) << 60, 0);
  gguf_put_zeros (out, 76);
}

static void
claim_array (GByteArray *out,
             guint32     elem_type)
{
  array_key (out, elem_type, G_GUINT64_CONSTANT (1) << 60);
  gguf_put_zeros (out, 100 - out->len);
}

static void claim_u8_array (GByteArray *out) { claim_array (out, BENDI_GGUF_TYPE_UINT8); }
static void claim_string_array (GByteArray *out) { claim_array (out, BENDI_GGUF_TYPE_STRING); }
static void claim_nested_array (GByteArray *out) { claim_array (out, BENDI_GGUF_TYPE_ARRAY); }

static void
claim_string_length (GByteArray *out)
{
  one_key (out, BENDI_GGUF_TYPE_STRING);
  gguf_put_u64 (out, G_GUINT64_CONSTANT (1) << 60);
  gguf_put_zeros (out, 100 - out->len);
}

/* 1 MiB of arrays nested as deep as allowed, each claiming as many
 * elements as the rest of the file could hold, then one level too deep:
 * a reader sizing storage from claims would take 32 times the file. */
static void
claim_nested_chain (GByteArray *out)
{
  one_key (out, BENDI_GGUF_TYPE_ARRAY);
  for (guint i = 0; i < BENDI_GGUF_MAX_ARRAY_DEPTH; i++)
    gguf_put_array_header (out, BENDI_GGUF_TYPE_ARRAY, (MIB - out->len) / 12 - 1);
  gguf_put_zeros (out, MIB - out->len);
}

/* Valid files made of the smallest items of each kind, about 1 MiB. */
static void
many_empty_strings (GByteArray *out)
{
  array_key (out, BENDI_GGUF_TYPE_STRING, MIB / 8);
  gguf_put_zeros (out, MIB);
}

static void
many_empty_arrays (GByteArray *out)
{
  array_key (out, BENDI_GGUF_TYPE_ARRAY, MIB / 12);
  for (gsize i = 0; i < MIB / 12; i++)
    gguf_put_array_header (out, BENDI_GGUF_TYPE_UINT8, 0);
}

static void
many_keys (GByteArray *out)
{
  const gsize n = MIB / 14;

  header (out, 0, n);
  for (gsize i = 0; i < n; i++)
    {
      char key[16];

      g_snprintf (key, sizeof key, "%" G_GSIZE_FORMAT, i);
      gguf_put_key (out, key, BENDI_GGUF_TYPE_UINT8);
      gguf_put_u8 (out, (guint8) i);
    }
}

static void
many_tensors (GByteArray *out)
{
  const gsize n = MIB / 48;

  header (out, n, 1);
  gguf_put_kv_u32 (out, "general.alignment", 1);
  for (gsize i = 0; i < n; i++)
    {
      char name[16];

      g_snprintf (name, sizeof name, "%" G_GSIZE_FORMAT, i);
      gguf_put_tensor_info (out, name, 1, NE (1), I8, i);
    }
  gguf_put_zeros (out, n);
}

typedef struct {
  const char *name;
  void      (*build) (GByteArray *out);
  const char *field;   /* as in MalformedCase; NULL for valid files */
} MemoryCase;

static const MemoryCase memory_cases[] = {
  { "claim-kv-count", claim_kv_count, "the metadata count" },
  { "claim-tensor-count", claim_tensor_count, "the tensor count" },
  { "claim-u8-array", claim_u8_array, "metadata key 'k': an array of" },
  { "claim-string-array", claim_string_array, "metadata key 'k': an array of" },
  { "claim-nested-array", claim_nested_array, "metadata key 'k': an array of" },
  { "claim-string-length", claim_string_length, "metadata key 'k': a string value is" },
  { "claim-nested-chain", claim_nested_chain, "metadata key 'k': arrays are nested more than" },
  { "many-empty-strings", many_empty_strings, NULL },
  { "many-empty-arrays", many_empty_arrays, NULL },
  { "many-keys", many_keys, NULL },
  { "many-tensors", many_tensors, NULL },
};

/* Live allocations of a parsed file stay under this many times its size
 * (plus a constant): about 48 bytes per smallest 12-byte item at worst. */
#define LIVE_BYTES_PER_FILE_BYTE 6
/* And the peak while parsing, when the data segment is capped. */
#define PEAK_BYTES_PER_FILE_BYTE 10

static void
parse_memory_case (const MemoryCase *c,
                   GBytes           *bytes,
                   gboolean          measure)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiGguf) gguf = NULL;
  gsize size = g_bytes_get_size (bytes);
  gsize before = heap_in_use ();

  gguf = bendi_gguf_new_from_bytes (bytes, &error);
  if (c->field != NULL)
    {
      g_assert_null (gguf);
      assert_invalid_file (error);
      g_assert_nonnull (strstr (error->message, c->field));
      return;
    }
  g_assert_no_error (error);
  if (measure && before != 0)
    {
      gsize live = heap_in_use () - before;

      g_test_message ("%s: %" G_GSIZE_FORMAT " bytes held for a file of %" G_GSIZE_FORMAT " (%.1fx)",
                      c->name, live, size, (double) live / (double) size);
      g_assert_cmpuint (live, <=, LIVE_BYTES_PER_FILE_BYTE * size + MIB);
    }
  gguf_walk (gguf, g_bytes_get_data (bytes, NULL), size);
}

static void
test_memory (gconstpointer data)
{
  const MemoryCase *c = data;
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (GBytes) bytes = NULL;

  c->build (out);
  bytes = exact_copy (out->data, out->len);
  g_clear_pointer (&out, g_byte_array_unref);

#ifndef HAVE_ASAN
  /* The peak, in a child whose data segment cannot grow past the budget.
   * (AddressSanitizer keeps freed memory in quarantine, so not there.) */
  if (g_test_subprocess ())
    {
      if (!limit_memory_growth (PEAK_BYTES_PER_FILE_BYTE * g_bytes_get_size (bytes) + 8 * MIB))
        return;
      parse_memory_case (c, bytes, FALSE);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
#endif
  parse_memory_case (c, bytes, TRUE);
}

/* Keys and tensor names chosen so that all have the same g_str_hash: a
 * reader keeping names in a GHashTable takes quadratic time on them. */
static char *
colliding_name (guint bits,
                guint i)
{
  GString *name = g_string_new (NULL);

  /* "Ab" and "BA" hash alike (65 * 33 + 98 == 66 * 33 + 65), and so does
   * any string made of such pairs. */
  for (guint b = 0; b < bits; b++)
    g_string_append (name, (i >> b) & 1 ? "Ab" : "BA");
  return g_string_free (name, FALSE);
}

static void
test_colliding_names (void)
{
  const guint key_bits = 18, tensor_bits = 12;
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiGguf) gguf = NULL;
  g_autofree char *first_key = colliding_name (key_bits, 0);
  g_autofree char *last_key = colliding_name (key_bits, (1u << key_bits) - 1);
  g_autofree char *tensor = colliding_name (tensor_bits, 1234);

  g_assert_cmpuint (g_str_hash (first_key), ==, g_str_hash (last_key));
  header (out, 1u << tensor_bits, (1u << key_bits) + 1);
  gguf_put_kv_u32 (out, "general.alignment", 1);
  for (guint i = 0; i < 1u << key_bits; i++)
    {
      g_autofree char *key = colliding_name (key_bits, i);

      gguf_put_kv_u32 (out, key, i);
    }
  for (guint i = 0; i < 1u << tensor_bits; i++)
    {
      g_autofree char *name = colliding_name (tensor_bits, i);

      gguf_put_tensor_info (out, name, 1, NE (1), I8, i);
    }
  gguf_put_zeros (out, 1u << tensor_bits);
  bytes = exact_copy (out->data, out->len);

  gguf = bendi_gguf_new_from_bytes (bytes, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bendi_gguf_find (gguf, last_key)->u64, ==, (1u << key_bits) - 1);
  g_assert_cmpuint (bendi_gguf_find_tensor (gguf, tensor)->offset, ==, 1234);
}

/* ------------------------------------------------------------------------ */
/* Opening things that are not model files. */

static void
expect_open_error (const char *path,
                   int         code,
                   const char *words)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiGguf) gguf = bendi_gguf_open (path, BENDI_GGUF_OPEN_DEFAULT, &error);

  g_assert_null (gguf);
  g_assert_error (error, BENDI_ENGINE_ERROR, code);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, path));
  if (words != NULL)
    g_assert_nonnull (strstr (error->message, words));
}

static void
test_open_special_files (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *missing = g_build_filename (dir, "missing.gguf", NULL);
  g_autofree char *empty = g_build_filename (dir, "empty.gguf", NULL);
  g_autofree char *unreadable = g_build_filename (dir, "unreadable.gguf", NULL);
  g_autofree char *under_file = g_build_filename (empty, "model.gguf", NULL);

  expect_open_error (dir, BENDI_ENGINE_ERROR_IO, "a directory");
  expect_open_error (missing, BENDI_ENGINE_ERROR_IO, NULL);

  g_assert_true (g_file_set_contents (empty, "", 0, &error));
  expect_open_error (empty, BENDI_ENGINE_ERROR_INVALID_FILE, "empty");
  expect_open_error (under_file, BENDI_ENGINE_ERROR_IO, NULL);

  g_assert_true (g_file_set_contents (unreadable, "GGUF", 4, &error));
  g_assert_cmpint (g_chmod (unreadable, 0), ==, 0);
  if (g_access (unreadable, R_OK) != 0)
    expect_open_error (unreadable, BENDI_ENGINE_ERROR_IO, NULL);
  else
    g_test_message ("running with the right to read anything: skipped the unreadable file");

  if (g_file_test ("/dev/zero", G_FILE_TEST_EXISTS))
    expect_open_error ("/dev/zero", BENDI_ENGINE_ERROR_IO, "a device");
  if (g_file_test ("/dev/null", G_FILE_TEST_EXISTS))
    expect_open_error ("/dev/null", BENDI_ENGINE_ERROR_IO, "a device");
  bendi_test_remove_dir (dir);
}

/* Opening a FIFO must not wait for a writer: the child gets ten seconds. */
static void
test_open_fifo (void)
{
  if (g_test_subprocess ())
    {
      g_autofree char *dir = bendi_test_make_temp_dir ();
      g_autofree char *fifo = g_build_filename (dir, "model.gguf", NULL);

      g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
      expect_open_error (fifo, BENDI_ENGINE_ERROR_IO, "a pipe");
      bendi_test_remove_dir (dir);
      return;
    }
  g_test_trap_subprocess (NULL, 10 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* A writable copy needs no write access to the file, and never changes it. */
static void
test_writable_copy_of_read_only_file (void)
{
  g_autoptr (GBytes) model = gguf_build_small_model ();
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiGguf) gguf = NULL;
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "model.gguf", NULL);
  g_autofree char *contents = NULL;
  const BendiGgufTensorInfo *t;
  gsize size;
  guint8 *p;

  g_assert_true (g_file_set_contents (path, g_bytes_get_data (model, NULL),
                                      (gssize) g_bytes_get_size (model), &error));
  g_assert_cmpint (g_chmod (path, 0444), ==, 0);
  gguf = bendi_gguf_open (path, BENDI_GGUF_OPEN_WRITABLE_COPY, &error);
  g_assert_no_error (error);
  t = bendi_gguf_get_tensor (gguf, 0);
  p = bendi_gguf_get_tensor_data_mutable (gguf, t);
  memset (p, 0xab, t->n_bytes);
  g_assert_cmpuint (((const guint8 *) t->data)[0], ==, 0xab);
  g_assert_true (g_file_get_contents (path, &contents, &size, &error));
  g_assert_cmpmem (contents, size, g_bytes_get_data (model, NULL), g_bytes_get_size (model));
  g_clear_pointer (&gguf, bendi_gguf_free);
  bendi_test_remove_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (malformed_cases); i++)
    {
      g_autofree char *path = g_strconcat ("/engine/gguf-malformed/file/", malformed_cases[i].name, NULL);

      g_test_add_data_func (path, &malformed_cases[i], test_malformed);
    }
  g_test_add_func ("/engine/gguf-malformed/loader-lookups", test_loader_lookups);
  g_test_add_func ("/engine/gguf-malformed/truncate-every-byte", test_truncate_every_byte);
  g_test_add_func ("/engine/gguf-malformed/flip-header-bytes", test_flip_header_bytes);
  for (gsize i = 0; i < G_N_ELEMENTS (memory_cases); i++)
    {
      g_autofree char *path = g_strconcat ("/engine/gguf-malformed/memory/", memory_cases[i].name, NULL);

      g_test_add_data_func (path, &memory_cases[i], test_memory);
    }
  g_test_add_func ("/engine/gguf-malformed/colliding-names", test_colliding_names);
  g_test_add_func ("/engine/gguf-malformed/open-special-files", test_open_special_files);
  g_test_add_func ("/engine/gguf-malformed/open-fifo", test_open_fifo);
  g_test_add_func ("/engine/gguf-malformed/writable-copy-of-read-only-file",
                   test_writable_copy_of_read_only_file);

  return g_test_run ();
}
