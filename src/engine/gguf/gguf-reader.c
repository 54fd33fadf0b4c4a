/* SPDX-License-Identifier: MIT */
/* The GGUF reader: parses an untrusted file, checking every size before use. */
#include "gguf/gguf.h"

#include <stdarg.h>
#include <string.h>

#include "engine-error.h"

/* Smallest possible encodings, used to refuse counts the file cannot hold
 * before anything is allocated for them. */
#define MIN_KV_BYTES          (8 + 4 + 1)          /* key length, type, 1-byte value */
#define MIN_TENSOR_INFO_BYTES (8 + 4 + 8 + 4 + 8)  /* name length, n_dims, ne[0], type, offset */
#define MIN_ARRAY_BYTES       (4 + 8)              /* element type, count */

/* Hard caps on work a hostile file can ask for, whatever its size. */
#define MAX_STRING_ITEMS      (16u * 1024 * 1024)
#define MAX_NESTED_ITEMS      (1u * 1024 * 1024)
#define MAX_STRING_LENGTH     ((gsize) 256 * 1024 * 1024)

struct _BendiGguf {
  GBytes            *bytes;
  GMappedFile       *mapped_file;   /* set when the file was mapped */
  const guint8      *data;
  gsize              size;
  gboolean           writable;

  guint32            version;
  guint32            alignment;
  gsize              data_offset;

  gsize              n_kv;
  const char       **keys;
  BendiGgufValue    *values;
  GHashTable        *key_index;     /* key → index + 1 */

  gsize              n_tensors;
  BendiGgufTensorInfo *tensors;
  GHashTable        *tensor_index;  /* name → index + 1 */

  GStringChunk      *strings;
  GPtrArray         *allocations;   /* arrays of strings and of values */
  gsize              n_string_items;
  gsize              n_nested_items;
};

/* ------------------------------------------------------------------------ */
/* A cursor over the file's bytes. The first failure is kept and every later
 * read fails too, so parsing code can read a whole record and check once. */

typedef struct {
  const guint8 *data;
  gsize         size;
  gsize         pos;
  const char   *context;   /* what is being read, for error messages */
  GError       *error;
} Reader;

G_GNUC_PRINTF (2, 3)
static void
reader_fail (Reader     *r,
             const char *format,
             ...)
{
  g_autofree char *message = NULL;
  va_list args;

  if (r->error != NULL)
    return;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  if (r->context != NULL)
    r->error = g_error_new (BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE,
                            "Invalid GGUF file: %s: %s", r->context, message);
  else
    r->error = g_error_new (BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE,
                            "Invalid GGUF file: %s", message);
}

static gsize
reader_remaining (const Reader *r)
{
  return r->size - r->pos;
}

static const guint8 *
reader_take (Reader     *r,
             gsize       n,
             const char *what)
{
  const guint8 *p;

  if (r->error != NULL)
    return NULL;
  if (n > reader_remaining (r))
    {
      reader_fail (r, "the file ends while reading %s (%" G_GSIZE_FORMAT " bytes needed at offset %"
                   G_GSIZE_FORMAT ", %" G_GSIZE_FORMAT " left)", what, n, r->pos, reader_remaining (r));
      return NULL;
    }
  p = r->data + r->pos;
  r->pos += n;
  return p;
}

static guint32
reader_u32 (Reader     *r,
            const char *what)
{
  const guint8 *p = reader_take (r, 4, what);
  guint32 v = 0;

  if (p != NULL)
    memcpy (&v, p, 4);
  return GUINT32_FROM_LE (v);
}

static guint64
reader_u64 (Reader     *r,
            const char *what)
{
  const guint8 *p = reader_take (r, 8, what);
  guint64 v = 0;

  if (p != NULL)
    memcpy (&v, p, 8);
  return GUINT64_FROM_LE (v);
}

/* A length-prefixed string. Its bytes stay in the file; *out_len is set. */
static const char *
reader_string (Reader     *r,
               const char *what,
               gsize       max_len,
               gsize      *out_len)
{
  guint64 len = reader_u64 (r, what);
  const guint8 *p;

  *out_len = 0;
  if (r->error != NULL)
    return NULL;
  if (len > max_len)
    {
      reader_fail (r, "%s is %" G_GUINT64_FORMAT " bytes long, more than the limit of %" G_GSIZE_FORMAT,
                   what, len, max_len);
      return NULL;
    }
  p = reader_take (r, (gsize) len, what);
  if (p == NULL)
    return NULL;
  *out_len = (gsize) len;
  return (const char *) p;
}

/* ------------------------------------------------------------------------ */

gsize
bendi_gguf_type_size (BendiGgufType type)
{
  switch (type)
    {
    case BENDI_GGUF_TYPE_UINT8:
    case BENDI_GGUF_TYPE_INT8:
    case BENDI_GGUF_TYPE_BOOL:
      return 1;
    case BENDI_GGUF_TYPE_UINT16:
    case BENDI_GGUF_TYPE_INT16:
      return 2;
    case BENDI_GGUF_TYPE_UINT32:
    case BENDI_GGUF_TYPE_INT32:
    case BENDI_GGUF_TYPE_FLOAT32:
      return 4;
    case BENDI_GGUF_TYPE_UINT64:
    case BENDI_GGUF_TYPE_INT64:
    case BENDI_GGUF_TYPE_FLOAT64:
      return 8;
    case BENDI_GGUF_TYPE_STRING:
    case BENDI_GGUF_TYPE_ARRAY:
    case BENDI_GGUF_TYPE_COUNT:
    default:
      return 0;
    }
}

const char *
bendi_gguf_type_name (BendiGgufType type)
{
  static const char *const names[BENDI_GGUF_TYPE_COUNT] = {
    "uint8", "int8", "uint16", "int16", "uint32", "int32", "float32",
    "bool", "string", "array", "uint64", "int64", "float64",
  };

  if ((guint) type >= BENDI_GGUF_TYPE_COUNT)
    return "unknown";
  return names[type];
}

/* Decodes one little-endian scalar of @type at @p into @out. */
static void
decode_scalar (BendiGgufType   type,
               const guint8   *p,
               BendiGgufValue *out)
{
  out->type = type;
  switch (type)
    {
    case BENDI_GGUF_TYPE_UINT8:
      out->u64 = p[0];
      break;
    case BENDI_GGUF_TYPE_INT8:
      out->i64 = (gint8) p[0];
      break;
    case BENDI_GGUF_TYPE_BOOL:
      out->b = p[0] != 0;
      break;
    case BENDI_GGUF_TYPE_UINT16:
      {
        guint16 v;
        memcpy (&v, p, 2);
        out->u64 = GUINT16_FROM_LE (v);
      }
      break;
    case BENDI_GGUF_TYPE_INT16:
      {
        guint16 v;
        memcpy (&v, p, 2);
        out->i64 = (gint16) GUINT16_FROM_LE (v);
      }
      break;
    case BENDI_GGUF_TYPE_UINT32:
      {
        guint32 v;
        memcpy (&v, p, 4);
        out->u64 = GUINT32_FROM_LE (v);
      }
      break;
    case BENDI_GGUF_TYPE_INT32:
      {
        guint32 v;
        memcpy (&v, p, 4);
        out->i64 = (gint32) GUINT32_FROM_LE (v);
      }
      break;
    case BENDI_GGUF_TYPE_FLOAT32:
      {
        guint32 v;
        float f;
        memcpy (&v, p, 4);
        v = GUINT32_FROM_LE (v);
        memcpy (&f, &v, 4);
        out->f64 = f;
      }
      break;
    case BENDI_GGUF_TYPE_UINT64:
      {
        guint64 v;
        memcpy (&v, p, 8);
        out->u64 = GUINT64_FROM_LE (v);
      }
      break;
    case BENDI_GGUF_TYPE_INT64:
      {
        guint64 v;
        memcpy (&v, p, 8);
        out->i64 = (gint64) GUINT64_FROM_LE (v);
      }
      break;
    case BENDI_GGUF_TYPE_FLOAT64:
      {
        guint64 v;
        double f;
        memcpy (&v, p, 8);
        v = GUINT64_FROM_LE (v);
        memcpy (&f, &v, 8);
        out->f64 = f;
      }
      break;
    case BENDI_GGUF_TYPE_STRING:
    case BENDI_GGUF_TYPE_ARRAY:
    case BENDI_GGUF_TYPE_COUNT:
    default:
      g_assert_not_reached ();
    }
}

static const char *
copy_string (BendiGguf  *self,
             const char *data,
             gsize       len)
{
  return g_string_chunk_insert_len (self->strings, data, (gssize) len);
}

static gboolean read_value (BendiGguf      *self,
                            Reader         *r,
                            BendiGgufType   type,
                            guint           depth,
                            BendiGgufValue *out);

static gboolean
read_array (BendiGguf      *self,
            Reader         *r,
            guint           depth,
            BendiGgufValue *out)
{
  guint32 elem_type;
  guint64 n;
  gsize min_elem_bytes;

  if (depth >= BENDI_GGUF_MAX_ARRAY_DEPTH)
    {
      reader_fail (r, "arrays are nested more than %d deep", BENDI_GGUF_MAX_ARRAY_DEPTH);
      return FALSE;
    }
  elem_type = reader_u32 (r, "an array's element type");
  n = reader_u64 (r, "an array's length");
  if (r->error != NULL)
    return FALSE;
  if (elem_type >= BENDI_GGUF_TYPE_COUNT)
    {
      reader_fail (r, "array element type %u is not a GGUF type", elem_type);
      return FALSE;
    }

  if (elem_type == BENDI_GGUF_TYPE_STRING)
    min_elem_bytes = 8;
  else if (elem_type == BENDI_GGUF_TYPE_ARRAY)
    min_elem_bytes = MIN_ARRAY_BYTES;
  else
    min_elem_bytes = bendi_gguf_type_size (elem_type);
  if (n > reader_remaining (r) / min_elem_bytes)
    {
      reader_fail (r, "an array of %" G_GUINT64_FORMAT " %s values cannot fit in the %" G_GSIZE_FORMAT
                   " bytes left", n, bendi_gguf_type_name (elem_type), reader_remaining (r));
      return FALSE;
    }

  out->type = BENDI_GGUF_TYPE_ARRAY;
  out->arr.elem_type = elem_type;
  out->arr.n = (gsize) n;

  if (elem_type == BENDI_GGUF_TYPE_STRING)
    {
      BendiGgufString *items;

      if (n > MAX_STRING_ITEMS - self->n_string_items)
        {
          reader_fail (r, "more than %u strings in arrays", MAX_STRING_ITEMS);
          return FALSE;
        }
      self->n_string_items += (gsize) n;
      items = g_new0 (BendiGgufString, MAX ((gsize) n, 1));
      g_ptr_array_add (self->allocations, items);
      out->arr.strings = items;
      for (gsize i = 0; i < n; i++)
        {
          gsize len;
          const char *s = reader_string (r, "a string in an array", MAX_STRING_LENGTH, &len);

          if (s == NULL)
            return FALSE;
          items[i].data = copy_string (self, s, len);
          items[i].len = len;
        }
    }
  else if (elem_type == BENDI_GGUF_TYPE_ARRAY)
    {
      BendiGgufValue *items;

      if (n > MAX_NESTED_ITEMS - self->n_nested_items)
        {
          reader_fail (r, "more than %u arrays nested in arrays", MAX_NESTED_ITEMS);
          return FALSE;
        }
      self->n_nested_items += (gsize) n;
      items = g_new0 (BendiGgufValue, MAX ((gsize) n, 1));
      g_ptr_array_add (self->allocations, items);
      out->arr.arrays = items;
      for (gsize i = 0; i < n; i++)
        if (!read_array (self, r, depth + 1, &items[i]))
          return FALSE;
    }
  else
    {
      gsize size = bendi_gguf_type_size (elem_type);
      const guint8 *raw = reader_take (r, (gsize) n * size, "an array's elements");

      if (raw == NULL)
        return FALSE;
      if (elem_type == BENDI_GGUF_TYPE_BOOL)
        for (gsize i = 0; i < n; i++)
          if (raw[i] > 1)
            {
              reader_fail (r, "element %" G_GSIZE_FORMAT " of a bool array is %u, not 0 or 1", i, raw[i]);
              return FALSE;
            }
      out->arr.raw = raw;
    }
  return TRUE;
}

static gboolean
read_value (BendiGguf      *self,
            Reader         *r,
            BendiGgufType   type,
            guint           depth,
            BendiGgufValue *out)
{
  if (type == BENDI_GGUF_TYPE_STRING)
    {
      gsize len;
      const char *s = reader_string (r, "a string value", MAX_STRING_LENGTH, &len);

      if (s == NULL)
        return FALSE;
      out->type = BENDI_GGUF_TYPE_STRING;
      out->str.data = copy_string (self, s, len);
      out->str.len = len;
      return TRUE;
    }
  if (type == BENDI_GGUF_TYPE_ARRAY)
    return read_array (self, r, depth, out);
  if ((guint) type >= BENDI_GGUF_TYPE_COUNT)
    {
      reader_fail (r, "value type %u is not a GGUF type", (guint) type);
      return FALSE;
    }
  {
    const guint8 *p = reader_take (r, bendi_gguf_type_size (type), "a value");

    if (p == NULL)
      return FALSE;
    if (type == BENDI_GGUF_TYPE_BOOL && p[0] > 1)
      {
        reader_fail (r, "a bool is %u, not 0 or 1", p[0]);
        return FALSE;
      }
    decode_scalar (type, p, out);
  }
  return TRUE;
}

/* Copies a name out of the file; it must be non-empty and hold no NUL. */
static const char *
read_name (BendiGguf  *self,
           Reader     *r,
           const char *what,
           gsize       max_len)
{
  gsize len;
  const char *s = reader_string (r, what, max_len, &len);

  if (s == NULL)
    return NULL;
  if (len == 0)
    {
      reader_fail (r, "%s is empty", what);
      return NULL;
    }
  if (memchr (s, '\0', len) != NULL)
    {
      reader_fail (r, "%s holds a NUL byte", what);
      return NULL;
    }
  return copy_string (self, s, len);
}

static gboolean
read_metadata (BendiGguf *self,
               Reader    *r)
{
  self->keys = g_new0 (const char *, MAX (self->n_kv, 1));
  self->values = g_new0 (BendiGgufValue, MAX (self->n_kv, 1));

  for (gsize i = 0; i < self->n_kv; i++)
    {
      g_autofree char *context = g_strdup_printf ("metadata entry %" G_GSIZE_FORMAT, i);
      g_autofree char *key_context = NULL;
      const char *key;
      guint32 type;

      r->context = context;
      key = read_name (self, r, "the key", BENDI_GGUF_MAX_KEY_LENGTH);
      if (key == NULL)
        return FALSE;
      key_context = g_strdup_printf ("metadata key '%s'", key);
      r->context = key_context;
      if (g_hash_table_contains (self->key_index, key))
        {
          reader_fail (r, "the key appears twice");
          return FALSE;
        }
      type = reader_u32 (r, "the value type");
      if (r->error != NULL)
        return FALSE;
      if (type >= BENDI_GGUF_TYPE_COUNT)
        {
          reader_fail (r, "value type %u is not a GGUF type", type);
          return FALSE;
        }
      if (!read_value (self, r, type, 0, &self->values[i]))
        return FALSE;
      self->keys[i] = key;
      g_hash_table_insert (self->key_index, (gpointer) key, GSIZE_TO_POINTER (i + 1));
    }
  r->context = NULL;
  return TRUE;
}

static gboolean
read_alignment (BendiGguf *self,
                Reader    *r)
{
  const BendiGgufValue *value = bendi_gguf_find (self, "general.alignment");

  self->alignment = BENDI_GGUF_DEFAULT_ALIGNMENT;
  if (value == NULL)
    return TRUE;
  r->context = "metadata key 'general.alignment'";
  if (value->type != BENDI_GGUF_TYPE_UINT32)
    {
      reader_fail (r, "it has type %s, expected uint32", bendi_gguf_type_name (value->type));
      return FALSE;
    }
  if (value->u64 == 0 || (value->u64 & (value->u64 - 1)) != 0 || value->u64 > BENDI_GGUF_MAX_ALIGNMENT)
    {
      reader_fail (r, "%" G_GUINT64_FORMAT " is not a power of two between 1 and %u",
                   value->u64, BENDI_GGUF_MAX_ALIGNMENT);
      return FALSE;
    }
  self->alignment = (guint32) value->u64;
  r->context = NULL;
  return TRUE;
}

static gboolean
read_tensor_info (BendiGguf           *self,
                  Reader              *r,
                  gsize                index,
                  BendiGgufTensorInfo *t)
{
  g_autofree char *context = g_strdup_printf ("tensor %" G_GSIZE_FORMAT, index);
  g_autofree char *name_context = NULL;
  const BendiTensorTypeInfo *type_info;
  guint32 type;
  guint64 n_rows = 1;
  gsize row_bytes;

  r->context = context;
  t->name = read_name (self, r, "the name", BENDI_GGUF_MAX_TENSOR_NAME_LENGTH);
  if (t->name == NULL)
    return FALSE;
  name_context = g_strdup_printf ("tensor '%s'", t->name);
  r->context = name_context;
  if (g_hash_table_contains (self->tensor_index, t->name))
    {
      reader_fail (r, "the name appears twice");
      return FALSE;
    }

  t->n_dims = reader_u32 (r, "the number of dimensions");
  if (r->error != NULL)
    return FALSE;
  if (t->n_dims < 1 || t->n_dims > BENDI_GGUF_MAX_DIMS)
    {
      reader_fail (r, "%u dimensions; 1 to %d are allowed", t->n_dims, BENDI_GGUF_MAX_DIMS);
      return FALSE;
    }
  for (guint d = 0; d < BENDI_GGUF_MAX_DIMS; d++)
    t->ne[d] = 1;
  for (guint d = 0; d < t->n_dims; d++)
    {
      guint64 ne = reader_u64 (r, "a dimension");

      if (r->error != NULL)
        return FALSE;
      if (ne == 0 || ne > G_MAXINT64)
        {
          reader_fail (r, "dimension %u is %" G_GINT64_FORMAT "; it must be positive", d, (gint64) ne);
          return FALSE;
        }
      t->ne[d] = (gint64) ne;
    }

  type = reader_u32 (r, "the type");
  t->offset = reader_u64 (r, "the offset");
  if (r->error != NULL)
    return FALSE;
  type_info = bendi_tensor_type_info (type);
  if (type_info == NULL)
    {
      reader_fail (r, "type %u is not a known tensor type", type);
      return FALSE;
    }
  t->type = (BendiTensorType) type;

  /* Elements in total must fit in int64, like every index the engine uses. */
  {
    guint64 n_elements = (guint64) t->ne[0];

    for (guint d = 1; d < BENDI_GGUF_MAX_DIMS; d++)
      {
        if ((guint64) t->ne[d] > (guint64) G_MAXINT64 / n_elements)
          {
            reader_fail (r, "its %u dimensions multiply to more than 2^63 elements", t->n_dims);
            return FALSE;
          }
        n_elements *= (guint64) t->ne[d];
        n_rows *= (guint64) t->ne[d];
      }
  }
  if (!bendi_tensor_type_row_bytes (t->type, t->ne[0], &row_bytes))
    {
      reader_fail (r, "a row of %" G_GINT64_FORMAT " elements is not a whole number of %s blocks of %u",
                   t->ne[0], type_info->name, type_info->block_size);
      return FALSE;
    }
  if (n_rows > G_MAXSIZE / row_bytes)
    {
      reader_fail (r, "its size in bytes overflows");
      return FALSE;
    }
  t->n_bytes = (gsize) (n_rows * row_bytes);
  if (t->offset % self->alignment != 0)
    {
      reader_fail (r, "offset %" G_GUINT64_FORMAT " is not a multiple of the alignment %u",
                   t->offset, self->alignment);
      return FALSE;
    }
  g_hash_table_insert (self->tensor_index, (gpointer) t->name, GSIZE_TO_POINTER (index + 1));
  r->context = NULL;
  return TRUE;
}

static int
compare_tensor_offsets (gconstpointer a,
                        gconstpointer b)
{
  const BendiGgufTensorInfo *ta = *(const BendiGgufTensorInfo *const *) a;
  const BendiGgufTensorInfo *tb = *(const BendiGgufTensorInfo *const *) b;

  return ta->offset < tb->offset ? -1 : ta->offset > tb->offset ? 1 : 0;
}

static gboolean
place_tensors (BendiGguf *self,
               Reader    *r)
{
  g_autofree const BendiGgufTensorInfo **by_offset = NULL;
  gsize data_size;
  gsize padding = (self->alignment - r->pos % self->alignment) % self->alignment;

  r->context = NULL;
  if (self->n_tensors == 0)
    {
      self->data_offset = MIN (r->pos + padding, r->size);
      return TRUE;
    }
  if (padding > reader_remaining (r))
    {
      reader_fail (r, "the data section would start past the end of the file");
      return FALSE;
    }
  self->data_offset = r->pos + padding;
  data_size = r->size - self->data_offset;

  for (gsize i = 0; i < self->n_tensors; i++)
    {
      BendiGgufTensorInfo *t = &self->tensors[i];

      if (t->offset > data_size || t->n_bytes > data_size - t->offset)
        {
          reader_fail (r, "tensor '%s' (%" G_GSIZE_FORMAT " bytes at offset %" G_GUINT64_FORMAT
                       ") extends past the end of the file (the data section holds %" G_GSIZE_FORMAT " bytes)",
                       t->name, t->n_bytes, t->offset, data_size);
          return FALSE;
        }
      t->data = self->data + self->data_offset + t->offset;
    }

  by_offset = g_new (const BendiGgufTensorInfo *, self->n_tensors);
  for (gsize i = 0; i < self->n_tensors; i++)
    by_offset[i] = &self->tensors[i];
  qsort (by_offset, self->n_tensors, sizeof *by_offset, compare_tensor_offsets);
  for (gsize i = 1; i < self->n_tensors; i++)
    {
      const BendiGgufTensorInfo *prev = by_offset[i - 1];

      if (by_offset[i]->offset < prev->offset + prev->n_bytes)
        {
          reader_fail (r, "tensors '%s' and '%s' overlap", prev->name, by_offset[i]->name);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
parse (BendiGguf *self,
       GError   **error)
{
  Reader r = { .data = self->data, .size = self->size };
  const guint8 *magic = reader_take (&r, 4, "the magic number");
  guint64 n_tensors, n_kv;

  if (magic == NULL || memcmp (magic, BENDI_GGUF_MAGIC, 4) != 0)
    {
      g_clear_error (&r.error);
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE,
                   "Not a GGUF file: it does not start with \"GGUF\"");
      return FALSE;
    }
  self->version = reader_u32 (&r, "the version");
  n_tensors = reader_u64 (&r, "the tensor count");
  n_kv = reader_u64 (&r, "the metadata count");
  if (r.error == NULL)
    {
      if (self->version == 1)
        reader_fail (&r, "GGUF version 1 is obsolete and not supported; convert the model again");
      else if (self->version != 2 && self->version != 3)
        {
          if (GUINT32_SWAP_LE_BE (self->version) == 2 || GUINT32_SWAP_LE_BE (self->version) == 3)
            reader_fail (&r, "big-endian GGUF files are not supported");
          else
            reader_fail (&r, "version %u is not supported (2 and 3 are)", self->version);
        }
      else if (n_kv > reader_remaining (&r) / MIN_KV_BYTES)
        reader_fail (&r, "the metadata count %" G_GUINT64_FORMAT " cannot fit in a file of %" G_GSIZE_FORMAT " bytes",
                     n_kv, r.size);
      else if (n_tensors > reader_remaining (&r) / MIN_TENSOR_INFO_BYTES)
        reader_fail (&r, "the tensor count %" G_GUINT64_FORMAT " cannot fit in a file of %" G_GSIZE_FORMAT " bytes",
                     n_tensors, r.size);
    }
  if (r.error != NULL)
    {
      g_propagate_error (error, r.error);
      return FALSE;
    }
  self->n_kv = (gsize) n_kv;
  self->n_tensors = (gsize) n_tensors;

  if (!read_metadata (self, &r) || !read_alignment (self, &r))
    {
      g_propagate_error (error, r.error);
      return FALSE;
    }

  if (n_tensors > reader_remaining (&r) / MIN_TENSOR_INFO_BYTES)
    {
      reader_fail (&r, "the tensor count %" G_GUINT64_FORMAT " cannot fit in the %" G_GSIZE_FORMAT
                   " bytes after the metadata", n_tensors, reader_remaining (&r));
      g_propagate_error (error, r.error);
      return FALSE;
    }
  self->tensors = g_new0 (BendiGgufTensorInfo, MAX (self->n_tensors, 1));
  for (gsize i = 0; i < self->n_tensors; i++)
    if (!read_tensor_info (self, &r, i, &self->tensors[i]))
      {
        g_propagate_error (error, r.error);
        return FALSE;
      }
  if (!place_tensors (self, &r))
    {
      g_propagate_error (error, r.error);
      return FALSE;
    }
  return TRUE;
}

static BendiGguf *
gguf_new (void)
{
  BendiGguf *self = g_new0 (BendiGguf, 1);

  self->key_index = g_hash_table_new (g_str_hash, g_str_equal);
  self->tensor_index = g_hash_table_new (g_str_hash, g_str_equal);
  self->strings = g_string_chunk_new (4096);
  self->allocations = g_ptr_array_new_with_free_func (g_free);
  return self;
}

/* ------------------------------------------------------------------------ */

void
bendi_gguf_free (BendiGguf *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->bytes, g_bytes_unref);
  g_clear_pointer (&self->mapped_file, g_mapped_file_unref);
  g_free (self->keys);
  g_free (self->values);
  g_free (self->tensors);
  g_hash_table_unref (self->key_index);
  g_hash_table_unref (self->tensor_index);
  g_string_chunk_free (self->strings);
  g_ptr_array_unref (self->allocations);
  g_free (self);
}

BendiGguf *
bendi_gguf_new_from_bytes (GBytes  *bytes,
                           GError **error)
{
  g_autoptr (BendiGguf) self = gguf_new ();

  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self->bytes = g_bytes_ref (bytes);
  self->data = g_bytes_get_data (bytes, &self->size);
  if (self->data == NULL)
    self->data = (const guint8 *) "";
  if (!parse (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

BendiGguf *
bendi_gguf_open (const char          *path,
                 BendiGgufOpenFlags   flags,
                 GError             **error)
{
  g_autoptr (BendiGguf) self = gguf_new ();
  g_autoptr (GError) local_error = NULL;
  gboolean writable = (flags & BENDI_GGUF_OPEN_WRITABLE_COPY) != 0;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_IO,
                   "Cannot open “%s”: it is a directory", path);
      return NULL;
    }
  self->mapped_file = g_mapped_file_new (path, writable, &local_error);
  if (self->mapped_file == NULL)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_IO,
                   "Cannot open “%s”: %s", path, local_error->message);
      return NULL;
    }
  self->writable = writable;
  self->data = (const guint8 *) g_mapped_file_get_contents (self->mapped_file);
  self->size = g_mapped_file_get_length (self->mapped_file);
  if (self->data == NULL)
    self->data = (const guint8 *) "";
  if (!parse (self, &local_error))
    {
      g_set_error (error, local_error->domain, local_error->code,
                   "%s: %s", path, local_error->message);
      return NULL;
    }
  return g_steal_pointer (&self);
}

guint32
bendi_gguf_get_version (const BendiGguf *self)
{
  return self->version;
}

guint32
bendi_gguf_get_alignment (const BendiGguf *self)
{
  return self->alignment;
}

gsize
bendi_gguf_get_file_size (const BendiGguf *self)
{
  return self->size;
}

gsize
bendi_gguf_get_data_offset (const BendiGguf *self)
{
  return self->data_offset;
}

gsize
bendi_gguf_get_n_kv (const BendiGguf *self)
{
  return self->n_kv;
}

const char *
bendi_gguf_get_key (const BendiGguf *self,
                    gsize            index)
{
  g_return_val_if_fail (index < self->n_kv, NULL);
  return self->keys[index];
}

const BendiGgufValue *
bendi_gguf_get_value (const BendiGguf *self,
                      gsize            index)
{
  g_return_val_if_fail (index < self->n_kv, NULL);
  return &self->values[index];
}

const BendiGgufValue *
bendi_gguf_find (const BendiGguf *self,
                 const char      *key)
{
  gsize index = GPOINTER_TO_SIZE (g_hash_table_lookup (self->key_index, key));

  return index == 0 ? NULL : &self->values[index - 1];
}

gsize
bendi_gguf_get_n_tensors (const BendiGguf *self)
{
  return self->n_tensors;
}

const BendiGgufTensorInfo *
bendi_gguf_get_tensor (const BendiGguf *self,
                       gsize            index)
{
  g_return_val_if_fail (index < self->n_tensors, NULL);
  return &self->tensors[index];
}

const BendiGgufTensorInfo *
bendi_gguf_find_tensor (const BendiGguf *self,
                        const char      *name)
{
  gsize index = GPOINTER_TO_SIZE (g_hash_table_lookup (self->tensor_index, name));

  return index == 0 ? NULL : &self->tensors[index - 1];
}

void *
bendi_gguf_get_tensor_data_mutable (BendiGguf                 *self,
                                    const BendiGgufTensorInfo *tensor)
{
  g_return_val_if_fail (self->writable, NULL);
  g_return_val_if_fail (tensor >= self->tensors && tensor < self->tensors + self->n_tensors, NULL);
  return (void *) tensor->data;
}

/* ------------------------------------------------------------------------ */
/* Values */

static gboolean
is_unsigned_type (BendiGgufType type)
{
  return type == BENDI_GGUF_TYPE_UINT8 || type == BENDI_GGUF_TYPE_UINT16 ||
         type == BENDI_GGUF_TYPE_UINT32 || type == BENDI_GGUF_TYPE_UINT64;
}

static gboolean
is_signed_type (BendiGgufType type)
{
  return type == BENDI_GGUF_TYPE_INT8 || type == BENDI_GGUF_TYPE_INT16 ||
         type == BENDI_GGUF_TYPE_INT32 || type == BENDI_GGUF_TYPE_INT64;
}

static gboolean
is_integer_type (BendiGgufType type)
{
  return is_unsigned_type (type) || is_signed_type (type);
}

gboolean
bendi_gguf_value_get_int64 (const BendiGgufValue *value,
                            gint64               *out)
{
  if (is_unsigned_type (value->type))
    {
      if (value->u64 > G_MAXINT64)
        return FALSE;
      *out = (gint64) value->u64;
      return TRUE;
    }
  if (is_signed_type (value->type))
    {
      *out = value->i64;
      return TRUE;
    }
  return FALSE;
}

gboolean
bendi_gguf_value_get_double (const BendiGgufValue *value,
                             double               *out)
{
  if (value->type != BENDI_GGUF_TYPE_FLOAT32 && value->type != BENDI_GGUF_TYPE_FLOAT64)
    return FALSE;
  *out = value->f64;
  return TRUE;
}

static gboolean
array_get_scalar (const BendiGgufValue *array,
                  gsize                 index,
                  BendiGgufValue       *out)
{
  gsize size;

  if (array->type != BENDI_GGUF_TYPE_ARRAY || index >= array->arr.n)
    return FALSE;
  size = bendi_gguf_type_size (array->arr.elem_type);
  if (size == 0)
    return FALSE;
  decode_scalar (array->arr.elem_type, array->arr.raw + index * size, out);
  return TRUE;
}

gboolean
bendi_gguf_array_get_int64 (const BendiGgufValue *array,
                            gsize                 index,
                            gint64               *out)
{
  BendiGgufValue item;

  return array_get_scalar (array, index, &item) && bendi_gguf_value_get_int64 (&item, out);
}

gboolean
bendi_gguf_array_get_double (const BendiGgufValue *array,
                             gsize                 index,
                             double               *out)
{
  BendiGgufValue item;

  return array_get_scalar (array, index, &item) && bendi_gguf_value_get_double (&item, out);
}

static const BendiGgufValue *
lookup (const BendiGguf *self,
        const char      *key,
        gboolean         required,
        GError         **error)
{
  const BendiGgufValue *value = bendi_gguf_find (self, key);

  if (value == NULL && required)
    g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE,
                 "The model lacks the required metadata key '%s'", key);
  return value;
}

static void
set_wrong_type (GError              **error,
                const char           *key,
                const BendiGgufValue *value,
                const char           *expected)
{
  g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE,
               "Metadata key '%s' has type %s; expected %s", key,
               bendi_gguf_type_name (value->type), expected);
}

gboolean
bendi_gguf_get_int (const BendiGguf *self,
                    const char      *key,
                    gboolean         required,
                    gint64           min,
                    gint64           max,
                    gint64          *out,
                    GError         **error)
{
  const BendiGgufValue *value = lookup (self, key, required, error);
  gint64 v;

  if (value == NULL)
    return !required;
  if (!is_integer_type (value->type))
    {
      set_wrong_type (error, key, value, "an integer");
      return FALSE;
    }
  if (!bendi_gguf_value_get_int64 (value, &v) || v < min || v > max)
    {
      if (is_unsigned_type (value->type))
        g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE,
                     "Metadata key '%s' is %" G_GUINT64_FORMAT ", outside %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT,
                     key, value->u64, min, max);
      else
        g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE,
                     "Metadata key '%s' is %" G_GINT64_FORMAT ", outside %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT,
                     key, value->i64, min, max);
      return FALSE;
    }
  *out = v;
  return TRUE;
}

gboolean
bendi_gguf_get_float (const BendiGguf *self,
                      const char      *key,
                      gboolean         required,
                      double          *out,
                      GError         **error)
{
  const BendiGgufValue *value = lookup (self, key, required, error);

  if (value == NULL)
    return !required;
  if (!bendi_gguf_value_get_double (value, out))
    {
      set_wrong_type (error, key, value, "a float");
      return FALSE;
    }
  return TRUE;
}

gboolean
bendi_gguf_get_bool (const BendiGguf *self,
                     const char      *key,
                     gboolean         required,
                     gboolean        *out,
                     GError         **error)
{
  const BendiGgufValue *value = lookup (self, key, required, error);

  if (value == NULL)
    return !required;
  if (value->type != BENDI_GGUF_TYPE_BOOL)
    {
      set_wrong_type (error, key, value, "bool");
      return FALSE;
    }
  *out = value->b;
  return TRUE;
}

gboolean
bendi_gguf_get_string (const BendiGguf *self,
                       const char      *key,
                       gboolean         required,
                       const char     **out,
                       GError         **error)
{
  const BendiGgufValue *value = lookup (self, key, required, error);

  if (value == NULL)
    return !required;
  if (value->type != BENDI_GGUF_TYPE_STRING)
    {
      set_wrong_type (error, key, value, "string");
      return FALSE;
    }
  *out = value->str.data;
  return TRUE;
}

gboolean
bendi_gguf_get_array (const BendiGguf       *self,
                      const char            *key,
                      BendiGgufType          elem_type,
                      gboolean               required,
                      const BendiGgufValue **out,
                      GError               **error)
{
  const BendiGgufValue *value = lookup (self, key, required, error);
  gboolean matches;

  *out = NULL;
  if (value == NULL)
    return !required;
  if (value->type != BENDI_GGUF_TYPE_ARRAY)
    {
      g_autofree char *expected = g_strdup_printf ("an array of %s", bendi_gguf_type_name (elem_type));
      set_wrong_type (error, key, value, expected);
      return FALSE;
    }
  if (is_integer_type (elem_type))
    matches = is_integer_type (value->arr.elem_type);
  else if (elem_type == BENDI_GGUF_TYPE_FLOAT32 || elem_type == BENDI_GGUF_TYPE_FLOAT64)
    matches = value->arr.elem_type == BENDI_GGUF_TYPE_FLOAT32 ||
              value->arr.elem_type == BENDI_GGUF_TYPE_FLOAT64;
  else
    matches = value->arr.elem_type == elem_type;
  if (!matches)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE,
                   "Metadata key '%s' is an array of %s; expected an array of %s", key,
                   bendi_gguf_type_name (value->arr.elem_type), bendi_gguf_type_name (elem_type));
      return FALSE;
    }
  *out = value;
  return TRUE;
}
