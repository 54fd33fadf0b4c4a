/* SPDX-License-Identifier: MIT */
/* Reading GGUF model files: metadata and tensors, used in place from a memory map.
 *
 * The format (versions 2 and 3; all numbers little-endian):
 *
 *   1. Header
 *        char[4]  magic        "GGUF"
 *        uint32   version      2 or 3 (1 used 32-bit counts and is refused)
 *        uint64   n_tensors
 *        uint64   n_kv
 *   2. n_kv metadata entries, each
 *        string   key          uint64 length, then that many bytes (no NUL)
 *        uint32   value_type   a BendiGgufType
 *        value                 a scalar of that type, a string, or an array:
 *                              uint32 element type, uint64 count, elements
 *                              (arrays may hold arrays)
 *   3. n_tensors tensor infos, each
 *        string   name
 *        uint32   n_dims       1 to 4
 *        uint64   ne[n_dims]   elements per dimension, ne[0] varying fastest
 *        uint32   type         a BendiTensorType
 *        uint64   offset       from the start of the data section; a
 *                              multiple of the alignment
 *   4. Padding up to a multiple of the alignment (`general.alignment`, a
 *      uint32 power of two, 32 when absent).
 *   5. The data section: each tensor's blocks, rows of ne[0] elements.
 *
 * The file is untrusted input. Every count, length and offset is charged
 * against the bytes that remain before anything is allocated; sizes are
 * computed with checked arithmetic; tensors must lie inside the data
 * section, aligned and without overlapping. A file that breaks any rule is
 * refused with a BENDI_ENGINE_ERROR_INVALID_FILE that names what is wrong:
 * the header field, "metadata key 'name'" (or "metadata entry N" while the
 * key is unreadable), "tensor 'name'" (or "tensor N").
 *
 * Also refused: keys longer than BENDI_GGUF_MAX_KEY_LENGTH, tensor names
 * longer than BENDI_GGUF_MAX_TENSOR_NAME_LENGTH, empty names or names
 * holding NUL, a key or tensor name given twice, strings over 256 MiB,
 * arrays nested deeper than BENDI_GGUF_MAX_ARRAY_DEPTH, bools other than 0
 * and 1, 2^63 or more elements in a tensor. Memory grows with the bytes a
 * file holds (a few times the size of its header), never with the counts it
 * claims; lookups by name are binary searches, so no choice of names makes
 * parsing slower than O(n log n).
 */
#pragma once

#include <glib.h>

#include "tensor/tensor-type.h"

G_BEGIN_DECLS

#define BENDI_GGUF_MAGIC "GGUF"
#define BENDI_GGUF_DEFAULT_ALIGNMENT 32
#define BENDI_GGUF_MAX_ALIGNMENT (1u << 20)
#define BENDI_GGUF_MAX_DIMS 4
#define BENDI_GGUF_MAX_KEY_LENGTH 65535
#define BENDI_GGUF_MAX_TENSOR_NAME_LENGTH 256
#define BENDI_GGUF_MAX_ARRAY_DEPTH 8

typedef enum {
  BENDI_GGUF_TYPE_UINT8   = 0,
  BENDI_GGUF_TYPE_INT8    = 1,
  BENDI_GGUF_TYPE_UINT16  = 2,
  BENDI_GGUF_TYPE_INT16   = 3,
  BENDI_GGUF_TYPE_UINT32  = 4,
  BENDI_GGUF_TYPE_INT32   = 5,
  BENDI_GGUF_TYPE_FLOAT32 = 6,
  BENDI_GGUF_TYPE_BOOL    = 7,
  BENDI_GGUF_TYPE_STRING  = 8,
  BENDI_GGUF_TYPE_ARRAY   = 9,
  BENDI_GGUF_TYPE_UINT64  = 10,
  BENDI_GGUF_TYPE_INT64   = 11,
  BENDI_GGUF_TYPE_FLOAT64 = 12,
  BENDI_GGUF_TYPE_COUNT   = 13,
} BendiGgufType;

typedef struct _BendiGguf BendiGguf;
typedef struct _BendiGgufValue BendiGgufValue;

/* A string from the file, copied and NUL-terminated. It may hold NUL bytes
 * of its own: @len is the real length. */
typedef struct {
  const char *data;
  gsize       len;
} BendiGgufString;

struct _BendiGgufValue {
  BendiGgufType type;
  union {
    guint64         u64;   /* every unsigned integer type */
    gint64          i64;   /* every signed integer type */
    double          f64;   /* FLOAT32 and FLOAT64 */
    gboolean        b;
    BendiGgufString str;
    struct {
      BendiGgufType         elem_type;
      gsize                 n;
      const guint8         *raw;      /* scalar elements: n little-endian values in the file */
      const BendiGgufString *strings; /* STRING elements; never NULL, even when n is 0 */
      const BendiGgufValue  *arrays;  /* ARRAY elements; never NULL, even when n is 0 */
    } arr;
  };
};

typedef struct {
  const char     *name;
  guint32         n_dims;
  gint64          ne[BENDI_GGUF_MAX_DIMS]; /* unused dimensions are 1 */
  BendiTensorType type;
  guint64         offset;                  /* within the data section */
  gsize           n_bytes;
  const void     *data;                    /* in the mapping; NULL for a header-only parse */
} BendiGgufTensorInfo;

typedef enum {
  BENDI_GGUF_OPEN_DEFAULT = 0,
  /* Map the file copy-on-write so tensors may be rewritten in memory (for
   * repacking); the file itself never changes. */
  BENDI_GGUF_OPEN_WRITABLE_COPY = 1 << 0,
} BendiGgufOpenFlags;

/* Maps the file at @path. Only regular files: a directory, pipe or device
 * is refused with BENDI_ENGINE_ERROR_IO (without blocking on a pipe). The
 * file must not shrink while it is open: reading a mapped page past its new
 * end raises SIGBUS. */
BendiGguf *bendi_gguf_open           (const char          *path,
                                      BendiGgufOpenFlags   flags,
                                      GError             **error) G_GNUC_WARN_UNUSED_RESULT;
/* Parses a file held in memory; the GGUF keeps a reference to @bytes. */
BendiGguf *bendi_gguf_new_from_bytes (GBytes              *bytes,
                                      GError             **error) G_GNUC_WARN_UNUSED_RESULT;
/* Parses the metadata and tensor infos from @prefix, the first bytes of a
 * file of @file_size bytes whose tensor data is not at hand (a download
 * peeked at with an HTTP Range request). Every check of a full parse is
 * made, tensor placement against @file_size; tensors' data pointers are
 * NULL. When @prefix ends before the tensor infos do, the error is
 * BENDI_ENGINE_ERROR_INCOMPLETE and *@out_bytes_needed (when not NULL) is
 * a lower bound on the prefix length needed: fetch at least that much and
 * call again. A @prefix longer than @file_size is INVALID_ARGUMENT. */
BendiGguf *bendi_gguf_new_from_header (GBytes             *prefix,
                                       guint64             file_size,
                                       guint64            *out_bytes_needed,
                                       GError            **error) G_GNUC_WARN_UNUSED_RESULT;
void       bendi_gguf_free           (BendiGguf           *self);

guint32    bendi_gguf_get_version    (const BendiGguf     *self);
guint32    bendi_gguf_get_alignment  (const BendiGguf     *self);
/* The whole file's size, also for a header-only parse. */
gsize      bendi_gguf_get_file_size  (const BendiGguf     *self);
/* TRUE for a GGUF from bendi_gguf_new_from_header (): no tensor data. */
gboolean   bendi_gguf_is_header_only (const BendiGguf     *self);
/* Offset of the data section from the start of the file. */
gsize      bendi_gguf_get_data_offset (const BendiGguf    *self);

/* Metadata, in file order. */
gsize                 bendi_gguf_get_n_kv    (const BendiGguf *self);
const char           *bendi_gguf_get_key     (const BendiGguf *self,
                                              gsize            index);
const BendiGgufValue *bendi_gguf_get_value   (const BendiGguf *self,
                                              gsize            index);
/* NULL when @key is absent. */
const BendiGgufValue *bendi_gguf_find        (const BendiGguf *self,
                                              const char      *key);

/* Tensors, in file order. */
gsize                       bendi_gguf_get_n_tensors (const BendiGguf *self);
const BendiGgufTensorInfo  *bendi_gguf_get_tensor    (const BendiGguf *self,
                                                      gsize            index);
/* NULL when no tensor has that name. */
const BendiGgufTensorInfo  *bendi_gguf_find_tensor   (const BendiGguf *self,
                                                      const char      *name);
/* The tensor's bytes, writable; only for files opened WRITABLE_COPY. */
void                       *bendi_gguf_get_tensor_data_mutable (BendiGguf                 *self,
                                                                const BendiGgufTensorInfo *tensor);

const char *bendi_gguf_type_name (BendiGgufType type);
/* Bytes of one scalar of @type; 0 for STRING and ARRAY. */
gsize       bendi_gguf_type_size (BendiGgufType type);

/* Values. Integer getters accept every integer type whose value fits. */
gboolean bendi_gguf_value_get_int64  (const BendiGgufValue *value,
                                      gint64               *out);
gboolean bendi_gguf_value_get_double (const BendiGgufValue *value,
                                      double               *out);
/* Element @index of a scalar array, converted as above. */
gboolean bendi_gguf_array_get_int64  (const BendiGgufValue *array,
                                      gsize                 index,
                                      gint64               *out);
gboolean bendi_gguf_array_get_double (const BendiGgufValue *array,
                                      gsize                 index,
                                      double               *out);

/* Lookups for model loaders: each error names the key. A missing optional
 * key leaves *out untouched, so callers preload it with the default. */
gboolean bendi_gguf_get_int    (const BendiGguf *self,
                                const char      *key,
                                gboolean         required,
                                gint64           min,
                                gint64           max,
                                gint64          *out,
                                GError         **error);
gboolean bendi_gguf_get_float  (const BendiGguf *self,
                                const char      *key,
                                gboolean         required,
                                double          *out,
                                GError         **error);
gboolean bendi_gguf_get_bool   (const BendiGguf *self,
                                const char      *key,
                                gboolean         required,
                                gboolean        *out,
                                GError         **error);
/* *out points into the GGUF and lives as long as it. */
gboolean bendi_gguf_get_string (const BendiGguf *self,
                                const char      *key,
                                gboolean         required,
                                const char     **out,
                                GError         **error);
/* An array whose elements have @elem_type; for integer element types any
 * integer type is accepted (ask with BENDI_GGUF_TYPE_INT64). *out is NULL
 * when an optional array is absent. */
gboolean bendi_gguf_get_array  (const BendiGguf       *self,
                                const char            *key,
                                BendiGgufType          elem_type,
                                gboolean               required,
                                const BendiGgufValue **out,
                                GError               **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiGguf, bendi_gguf_free)

G_END_DECLS
