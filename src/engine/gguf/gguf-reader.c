/* SPDX-License-Identifier: MIT */
/* The GGUF reader: parses an untrusted file, checking every size before use. */
#include "gguf/gguf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "engine-error.h"

/* Smallest possible encodings, used to refuse counts the file cannot hold
 * before anything is allocated for them. */
#define MIN_KV_BYTES          (8 + 1 + 4 + 1)          /* key length, key, type, 1-byte value */
#define MIN_TENSOR_INFO_BYTES (8 + 1 + 4 + 8 + 4 + 8)  /* name length, name, n_dims, ne[0], type, offset */
#define MIN_ARRAY_BYTES       (4 + 8)                  /* element type, count */

/* Hard caps on work a hostile file can ask for, whatever its size. */
#define MAX_STRING_ITEMS      (16u * 1024 * 1024)
#define MAX_NESTED_ITEMS      (1u * 1024 * 1024)
#define MAX_STRING_LENGTH     ((gsize) 256 * 1024 * 1024)

/* Names from the file are cut to this many bytes in error messages. */
#define MAX_NAME_IN_MESSAGE   96

/* A name and where it sits in file order. Lookups binary-search arrays of
 * these sorted by name: a hash table keyed by names from the file could be
 * fed names that all hash alike, which makes parsing quadratic. */
typedef struct {
  const char *name;
  gsize       index;
} NameEntry;

struct _BendiGguf {
  GBytes              *bytes;
  GMappedFile         *mapped_file;   /* set when the file was mapped */
  const guint8        *data;
  gsize                size;          /* bytes held in memory */
  gsize                file_size;     /* bytes in the whole file; more than size for a header-only parse */
  gboolean             writable;
  gboolean             header_only;

  guint32              version;
  guint32              alignment;
  gsize                data_offset;

  gsize                n_kv;
  const char         **keys;
  BendiGgufValue      *values;
  NameEntry           *keys_by_name;

  gsize                n_tensors;
  BendiGgufTensorInfo *tensors;
  NameEntry           *tensors_by_name;

  GStringChunk        *strings;
  GPtrArray           *allocations;   /* arrays of strings and of values */
  gsize                n_string_items;
  gsize                n_nested_items;
};

/* ------------------------------------------------------------------------ */
/* A cursor over the file's bytes. The first failure is kept and every later
 * read fails too, so parsing code can read a whole record and check once. */

typedef enum {
  SECTION_HEADER,
  SECTION_METADATA,
  SECTION_TENSORS,
} Section;

typedef struct {
  const guint8 *data;
  gsize         size;    /* bytes available to read */
  gsize         limit;   /* bytes in the whole file: size, or more when only a prefix is at hand */
  gsize         pos;
  gsize         needed;  /* for a prefix too short: the bytes the failed read needed */
  /* What is being read, so that every error names it: "metadata entry 3"
   * until its key is known, then "metadata key 'x'"; likewise tensors. */
  Section       section;
  gsize         item;
  const char   *item_name;
  GError       *error;
} Reader;

/* Names come from the file: control bytes and quotes are escaped and long
 * names cut, so a message stays one readable line of valid UTF-8. */
static char *
printable_name (const char *name)
{
  g_autoptr (GString) out = g_string_new (NULL);
  gsize len = strlen (name);
  gsize shown = MIN (len, MAX_NAME_IN_MESSAGE);

  for (gsize i = 0; i < shown; i++)
    {
      guchar c = (guchar) name[i];

      if (c < 0x20 || c == 0x7f || c == '\'' || c == '\\')
        g_string_append_printf (out, "\\x%02x", c);
      else
        g_string_append_c (out, (char) c);
    }
  if (shown < len)
    g_string_append (out, "…");
  return g_utf8_make_valid (out->str, (gssize) out->len);
}

static char *
reader_describe_item (const Reader *r)
{
  g_autofree char *name = r->item_name != NULL ? printable_name (r->item_name) : NULL;

  switch (r->section)
    {
    case SECTION_METADATA:
      if (name != NULL)
        return g_strdup_printf ("metadata key '%s'", name);
      return g_strdup_printf ("metadata entry %" G_GSIZE_FORMAT, r->item);
    case SECTION_TENSORS:
      if (name != NULL)
        return g_strdup_printf ("tensor '%s'", name);
      return g_strdup_printf ("tensor %" G_GSIZE_FORMAT, r->item);
    case SECTION_HEADER:
    default:
      return NULL;
    }
}

/* From now on errors are about @item of @section, whose name is not known yet. */
static void
reader_enter (Reader  *r,
              Section  section,
              gsize    item)
{
  r->section = section;
  r->item = item;
  r->item_name = NULL;
}

G_GNUC_PRINTF (2, 3)
static void
reader_fail (Reader     *r,
             const char *format,
             ...)
{
  g_autofree char *message = NULL;
  g_autofree char *where = NULL;
  va_list args;

  if (r->error != NULL)
    return;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  where = reader_describe_item (r);
  if (where != NULL)
    r->error = g_error_new (BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE,
                            "Invalid GGUF file: %s: %s", where, message);
  else
    r->error = g_error_new (BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE,
                            "Invalid GGUF file: %s", message);
}

/* The bytes left in the whole file: counts and lengths are judged against
 * these, so a header-only parse refuses exactly what a full parse refuses. */
static gsize
reader_remaining (const Reader *r)
{
  return r->limit - r->pos;
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
  if (n > r->size - r->pos)
    {
      /* The file holds these bytes but the prefix at hand does not: the
       * caller can fetch at least this much more and parse again. */
      r->needed = r->pos + n;
      r->error = g_error_new (BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INCOMPLETE,
                              "The first %" G_GSIZE_FORMAT " bytes of the GGUF file end while reading %s; "
                              "at least %" G_GSIZE_FORMAT " are needed", r->size, what, r->needed);
      return NULL;
    }
  p = r->data + r->pos;
  r->pos += n;
  return p;
}

/* Arrays sized by a count are allocated before their items are read. In a
 * header-only parse the count is judged against the whole file, whose size
 * the caller only claims; this also holds it to the bytes really at hand, so
 * memory follows them. @n items of at least @min_bytes each must fit. */
static gboolean
reader_check_available (Reader     *r,
                        gsize       n,
                        gsize       min_bytes,
                        const char *what)
{
  gsize available = r->size - r->pos;

  if (r->error != NULL)
    return FALSE;
  if (n <= available / min_bytes)
    return TRUE;
  /* n * min_bytes fits: the count was already checked against the file. */
  r->needed = r->pos + n * min_bytes;
  r->error = g_error_new (BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INCOMPLETE,
                          "The first %" G_GSIZE_FORMAT " bytes of the GGUF file cannot hold %s; "
                          "at least %" G_GSIZE_FORMAT " are needed", r->size, what, r->needed);
  return FALSE;
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
/* Sorting. A merge sort takes O(n log n) whatever order a hostile file puts
 * its names or offsets in, where a quicksort can be driven quadratic. */

static void
merge_sort (void         *base,
            gsize         n,
            gsize         size,
            GCompareFunc  compare)
{
  g_autofree guint8 *scratch = g_malloc_n (MAX (n, 1), size);
  guint8 *src = base;
  guint8 *dst = scratch;

  for (gsize width = 1; width < n; width *= 2)
    {
      guint8 *tmp;

      for (gsize lo = 0; lo < n; lo += 2 * width)
        {
          gsize mid = MIN (lo + width, n);
          gsize hi = MIN (lo + 2 * width, n);
          gsize i = lo, j = mid, k = lo;

          /* Taking from the left run on ties keeps the sort stable. */
          while (i < mid && j < hi)
            {
              if (compare (src + j * size, src + i * size) < 0)
                memcpy (dst + k++ * size, src + j++ * size, size);
              else
                memcpy (dst + k++ * size, src + i++ * size, size);
            }
          memcpy (dst + k * size, src + i * size, (mid - i) * size);
          k += mid - i;
          memcpy (dst + k * size, src + j * size, (hi - j) * size);
        }
      tmp = src;
      src = dst;
      dst = tmp;
    }
  if (src != base)
    memcpy (base, src, n * size);
}

static int
compare_name_entries (gconstpointer a,
                      gconstpointer b)
{
  return strcmp (((const NameEntry *) a)->name, ((const NameEntry *) b)->name);
}

/* Sorts @entries by name. Returns the later of two entries that share a
 * name (in file order), or NULL when every name is different. */
static const NameEntry *
sort_names (NameEntry *entries,
            gsize      n)
{
  merge_sort (entries, n, sizeof *entries, compare_name_entries);
  for (gsize i = 1; i < n; i++)
    if (strcmp (entries[i - 1].name, entries[i].name) == 0)
      return &entries[i];
  return NULL;
}

/* The file-order index of @name plus one, or 0 when it is absent. */
static gsize
find_name (const NameEntry *entries,
           gsize            n,
           const char      *name)
{
  gsize lo = 0, hi = n;

  if (entries == NULL)
    return 0;
  while (lo < hi)
    {
      gsize mid = lo + (hi - lo) / 2;
      int cmp = strcmp (name, entries[mid].name);

      if (cmp == 0)
        return entries[mid].index + 1;
      if (cmp < 0)
        hi = mid;
      else
        lo = mid + 1;
    }
  return 0;
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

/* Element storage grows as elements are read rather than being sized from
 * the count the file claims, so memory follows the bytes really there. */
static gsize
grow_capacity (gsize capacity,
               gsize n)
{
  return MIN (n, MAX (16, capacity * 2));
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
  /* Empty arrays of strings or arrays point here, never to NULL. */
  static const BendiGgufString no_strings[1];
  static const BendiGgufValue no_arrays[1];
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
      g_autofree BendiGgufString *items = NULL;
      gsize capacity = 0;

      if (n > MAX_STRING_ITEMS - self->n_string_items)
        {
          reader_fail (r, "more than %u strings in arrays", MAX_STRING_ITEMS);
          return FALSE;
        }
      self->n_string_items += (gsize) n;
      for (gsize i = 0; i < n; i++)
        {
          gsize len;
          const char *s;

          if (i == capacity)
            {
              capacity = grow_capacity (capacity, (gsize) n);
              items = g_renew (BendiGgufString, items, capacity);
            }
          s = reader_string (r, "a string in an array", MAX_STRING_LENGTH, &len);
          if (s == NULL)
            return FALSE;
          items[i].data = copy_string (self, s, len);
          items[i].len = len;
        }
      if (items == NULL)
        {
          out->arr.strings = no_strings;
          return TRUE;
        }
      out->arr.strings = items;
      g_ptr_array_add (self->allocations, g_steal_pointer (&items));
    }
  else if (elem_type == BENDI_GGUF_TYPE_ARRAY)
    {
      g_autofree BendiGgufValue *items = NULL;
      gsize capacity = 0;

      if (n > MAX_NESTED_ITEMS - self->n_nested_items)
        {
          reader_fail (r, "more than %u arrays nested in arrays", MAX_NESTED_ITEMS);
          return FALSE;
        }
      self->n_nested_items += (gsize) n;
      for (gsize i = 0; i < n; i++)
        {
          /* Moving an element as the storage grows is safe: what it points
           * to lives in allocations of its own. */
          if (i == capacity)
            {
              capacity = grow_capacity (capacity, (gsize) n);
              items = g_renew (BendiGgufValue, items, capacity);
            }
          memset (&items[i], 0, sizeof items[i]);
          if (!read_array (self, r, depth + 1, &items[i]))
            return FALSE;
        }
      if (items == NULL)
        {
          out->arr.arrays = no_arrays;
          return TRUE;
        }
      out->arr.arrays = items;
      g_ptr_array_add (self->allocations, g_steal_pointer (&items));
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
  const NameEntry *duplicate;

  if (!reader_check_available (r, self->n_kv, MIN_KV_BYTES, "the metadata"))
    return FALSE;
  self->keys = g_new0 (const char *, MAX (self->n_kv, 1));
  self->values = g_new0 (BendiGgufValue, MAX (self->n_kv, 1));

  for (gsize i = 0; i < self->n_kv; i++)
    {
      guint32 type;

      reader_enter (r, SECTION_METADATA, i);
      self->keys[i] = read_name (self, r, "the key", BENDI_GGUF_MAX_KEY_LENGTH);
      if (self->keys[i] == NULL)
        return FALSE;
      r->item_name = self->keys[i];
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
    }

  self->keys_by_name = g_new (NameEntry, MAX (self->n_kv, 1));
  for (gsize i = 0; i < self->n_kv; i++)
    self->keys_by_name[i] = (NameEntry) { self->keys[i], i };
  duplicate = sort_names (self->keys_by_name, self->n_kv);
  if (duplicate != NULL)
    {
      reader_enter (r, SECTION_METADATA, duplicate->index);
      r->item_name = duplicate->name;
      reader_fail (r, "the key appears twice");
      return FALSE;
    }
  reader_enter (r, SECTION_HEADER, 0);
  return TRUE;
}

static gboolean
read_alignment (BendiGguf *self,
                Reader    *r)
{
  gsize index = find_name (self->keys_by_name, self->n_kv, "general.alignment");
  const BendiGgufValue *value;

  self->alignment = BENDI_GGUF_DEFAULT_ALIGNMENT;
  if (index == 0)
    return TRUE;
  value = &self->values[index - 1];
  reader_enter (r, SECTION_METADATA, index - 1);
  r->item_name = self->keys[index - 1];
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
  reader_enter (r, SECTION_HEADER, 0);
  return TRUE;
}

static gboolean
read_tensor_info (BendiGguf           *self,
                  Reader              *r,
                  gsize                index,
                  BendiGgufTensorInfo *t)
{
  const BendiTensorTypeInfo *type_info;
  guint32 type;
  guint64 n_rows = 1;
  gsize row_bytes;

  reader_enter (r, SECTION_TENSORS, index);
  t->name = read_name (self, r, "the name", BENDI_GGUF_MAX_TENSOR_NAME_LENGTH);
  if (t->name == NULL)
    return FALSE;
  r->item_name = t->name;

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
  if (t->ne[0] % type_info->block_size != 0)
    {
      reader_fail (r, "a row of %" G_GINT64_FORMAT " elements is not a whole number of %s blocks of %u",
                   t->ne[0], type_info->name, type_info->block_size);
      return FALSE;
    }
  if (!bendi_tensor_type_row_bytes (t->type, t->ne[0], &row_bytes) || n_rows > G_MAXSIZE / row_bytes)
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
  return TRUE;
}

static gboolean
read_tensor_infos (BendiGguf *self,
                   Reader    *r)
{
  const NameEntry *duplicate;

  if (self->n_tensors > reader_remaining (r) / MIN_TENSOR_INFO_BYTES)
    {
      reader_fail (r, "the tensor count %" G_GSIZE_FORMAT " cannot fit in the %" G_GSIZE_FORMAT
                   " bytes after the metadata", self->n_tensors, reader_remaining (r));
      return FALSE;
    }
  if (!reader_check_available (r, self->n_tensors, MIN_TENSOR_INFO_BYTES, "the tensor infos"))
    return FALSE;
  self->tensors = g_new0 (BendiGgufTensorInfo, MAX (self->n_tensors, 1));
  for (gsize i = 0; i < self->n_tensors; i++)
    if (!read_tensor_info (self, r, i, &self->tensors[i]))
      return FALSE;

  self->tensors_by_name = g_new (NameEntry, MAX (self->n_tensors, 1));
  for (gsize i = 0; i < self->n_tensors; i++)
    self->tensors_by_name[i] = (NameEntry) { self->tensors[i].name, i };
  duplicate = sort_names (self->tensors_by_name, self->n_tensors);
  if (duplicate != NULL)
    {
      reader_enter (r, SECTION_TENSORS, duplicate->index);
      r->item_name = duplicate->name;
      reader_fail (r, "the name appears twice");
      return FALSE;
    }
  reader_enter (r, SECTION_HEADER, 0);
  return TRUE;
}

typedef struct {
  guint64 offset;
  gsize   index;
} OffsetEntry;

static int
compare_offset_entries (gconstpointer a,
                        gconstpointer b)
{
  guint64 oa = ((const OffsetEntry *) a)->offset;
  guint64 ob = ((const OffsetEntry *) b)->offset;

  return oa < ob ? -1 : oa > ob ? 1 : 0;
}

/* Finds the data section and checks that every tensor lies inside it
 * without overlapping another. */
static gboolean
place_tensors (BendiGguf *self,
               Reader    *r)
{
  g_autofree OffsetEntry *by_offset = NULL;
  gsize data_size;
  gsize padding = (self->alignment - r->pos % self->alignment) % self->alignment;

  reader_enter (r, SECTION_HEADER, 0);
  if (self->n_tensors == 0)
    {
      self->data_offset = MIN (r->pos + padding, r->limit);
      return TRUE;
    }
  if (padding > reader_remaining (r))
    {
      reader_fail (r, "the data section would start at offset %" G_GSIZE_FORMAT
                   ", past the end of the file (%" G_GSIZE_FORMAT " bytes)", r->pos + padding, r->limit);
      return FALSE;
    }
  self->data_offset = r->pos + padding;
  data_size = r->limit - self->data_offset;

  for (gsize i = 0; i < self->n_tensors; i++)
    {
      BendiGgufTensorInfo *t = &self->tensors[i];

      if (t->offset > data_size || t->n_bytes > data_size - t->offset)
        {
          reader_enter (r, SECTION_TENSORS, i);
          r->item_name = t->name;
          reader_fail (r, "%" G_GSIZE_FORMAT " bytes at offset %" G_GUINT64_FORMAT
                       " extend past the end of the file (the data section holds %" G_GSIZE_FORMAT " bytes)",
                       t->n_bytes, t->offset, data_size);
          return FALSE;
        }
      /* A header-only parse has no tensor bytes to point at. */
      if (!self->header_only)
        t->data = self->data + self->data_offset + t->offset;
    }

  /* Sorted by offset, two tensors overlap only if some tensor overlaps the
   * one just before it. Every end is inside the file, so none overflows. */
  by_offset = g_new (OffsetEntry, self->n_tensors);
  for (gsize i = 0; i < self->n_tensors; i++)
    by_offset[i] = (OffsetEntry) { self->tensors[i].offset, i };
  merge_sort (by_offset, self->n_tensors, sizeof *by_offset, compare_offset_entries);
  for (gsize i = 1; i < self->n_tensors; i++)
    {
      const BendiGgufTensorInfo *prev = &self->tensors[by_offset[i - 1].index];
      const BendiGgufTensorInfo *t = &self->tensors[by_offset[i].index];

      if (t->offset < prev->offset + prev->n_bytes)
        {
          g_autofree char *prev_name = printable_name (prev->name);

          reader_enter (r, SECTION_TENSORS, by_offset[i].index);
          r->item_name = t->name;
          reader_fail (r, "it overlaps tensor '%s'", prev_name);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
read_header (BendiGguf *self,
             Reader    *r)
{
  guint64 n_tensors, n_kv;

  self->version = reader_u32 (r, "the version");
  n_tensors = reader_u64 (r, "the tensor count");
  n_kv = reader_u64 (r, "the metadata count");
  if (r->error != NULL)
    return FALSE;
  if (self->version == 1)
    reader_fail (r, "version 1 is obsolete and not supported; convert the model again");
  else if (GUINT32_SWAP_LE_BE (self->version) == 2 || GUINT32_SWAP_LE_BE (self->version) == 3)
    reader_fail (r, "version %u reads as a big-endian file, which is not supported", self->version);
  else if (self->version != 2 && self->version != 3)
    reader_fail (r, "version %u is not supported (2 and 3 are)", self->version);
  else if (n_kv > reader_remaining (r) / MIN_KV_BYTES)
    reader_fail (r, "the metadata count %" G_GUINT64_FORMAT " cannot fit in a file of %" G_GSIZE_FORMAT " bytes",
                 n_kv, r->limit);
  else if (n_tensors > reader_remaining (r) / MIN_TENSOR_INFO_BYTES)
    reader_fail (r, "the tensor count %" G_GUINT64_FORMAT " cannot fit in a file of %" G_GSIZE_FORMAT " bytes",
                 n_tensors, r->limit);
  if (r->error != NULL)
    return FALSE;
  self->n_kv = (gsize) n_kv;
  self->n_tensors = (gsize) n_tensors;
  return TRUE;
}

static gboolean
parse (BendiGguf *self,
       gsize     *out_needed,
       GError   **error)
{
  Reader r = { .data = self->data, .size = self->size, .limit = self->file_size };

  if (self->file_size == 0)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE,
                   "Not a GGUF file: the file is empty");
      return FALSE;
    }
  if (self->size < 4 && self->file_size >= 4)
    {
      *out_needed = 4;
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INCOMPLETE,
                   "The first %" G_GSIZE_FORMAT " bytes of the GGUF file end before its magic number; "
                   "at least 4 are needed", self->size);
      return FALSE;
    }
  if (self->size < 4 || memcmp (self->data, BENDI_GGUF_MAGIC, 4) != 0)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE,
                   "Not a GGUF file: the magic number is not \"" BENDI_GGUF_MAGIC "\"");
      return FALSE;
    }
  r.pos = 4;
  if (!read_header (self, &r) ||
      !read_metadata (self, &r) ||
      !read_alignment (self, &r) ||
      !read_tensor_infos (self, &r) ||
      !place_tensors (self, &r))
    {
      *out_needed = r.needed;
      g_propagate_error (error, r.error);
      return FALSE;
    }
  return TRUE;
}

static BendiGguf *
gguf_new (void)
{
  BendiGguf *self = g_new0 (BendiGguf, 1);

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
  g_free (self->keys_by_name);
  g_free (self->tensors);
  g_free (self->tensors_by_name);
  g_string_chunk_free (self->strings);
  g_ptr_array_unref (self->allocations);
  g_free (self);
}

BendiGguf *
bendi_gguf_new_from_bytes (GBytes  *bytes,
                           GError **error)
{
  g_autoptr (BendiGguf) self = NULL;
  gsize needed = 0;

  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = gguf_new ();
  self->bytes = g_bytes_ref (bytes);
  self->data = g_bytes_get_data (bytes, &self->size);
  self->file_size = self->size;
  if (self->data == NULL)
    self->data = (const guint8 *) "";
  if (!parse (self, &needed, error))
    return NULL;
  return g_steal_pointer (&self);
}

BendiGguf *
bendi_gguf_new_from_header (GBytes   *prefix,
                            guint64   file_size,
                            guint64  *out_bytes_needed,
                            GError  **error)
{
  g_autoptr (BendiGguf) self = NULL;
  gsize needed = 0;

  g_return_val_if_fail (prefix != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (out_bytes_needed != NULL)
    *out_bytes_needed = 0;
  if (g_bytes_get_size (prefix) > file_size)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_ARGUMENT,
                   "The %" G_GSIZE_FORMAT " bytes given are more than the file's size of %" G_GUINT64_FORMAT,
                   g_bytes_get_size (prefix), file_size);
      return NULL;
    }
  if (file_size > G_MAXSIZE)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_UNSUPPORTED,
                   "A file of %" G_GUINT64_FORMAT " bytes is too large for this system", file_size);
      return NULL;
    }

  self = gguf_new ();
  self->header_only = TRUE;
  self->bytes = g_bytes_ref (prefix);
  self->data = g_bytes_get_data (prefix, &self->size);
  self->file_size = (gsize) file_size;
  if (self->data == NULL)
    self->data = (const guint8 *) "";
  if (!parse (self, &needed, error))
    {
      if (out_bytes_needed != NULL)
        *out_bytes_needed = needed;
      return NULL;
    }
  return g_steal_pointer (&self);
}

/* Maps @path, refusing anything but a regular file with a clear message. */
static GMappedFile *
map_regular_file (const char  *path,
                  gboolean     writable,
                  GError     **error)
{
  g_autoptr (GError) local_error = NULL;
  GMappedFile *mapped_file;
  struct stat st;
  int saved_errno;
  int fd;

  /* Read-only even for a writable copy: the mapping is private, so writes
   * never reach the file. O_NONBLOCK keeps the open of a FIFO from waiting
   * for a writer forever; it changes nothing for a regular file. */
  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0);
  if (fd < 0)
    {
      saved_errno = errno;
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_IO,
                   "Cannot open “%s”: %s", path, g_strerror (saved_errno));
      return NULL;
    }
  if (fstat (fd, &st) != 0)
    {
      saved_errno = errno;
      g_close (fd, NULL);
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_IO,
                   "Cannot open “%s”: %s", path, g_strerror (saved_errno));
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_close (fd, NULL);
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_IO,
                   "Cannot open “%s”: it is %s, not a regular file", path,
                   S_ISDIR (st.st_mode) ? "a directory" :
                   S_ISFIFO (st.st_mode) ? "a pipe" :
                   S_ISCHR (st.st_mode) || S_ISBLK (st.st_mode) ? "a device" : "a special file");
      return NULL;
    }
  mapped_file = g_mapped_file_new_from_fd (fd, writable, &local_error);
  g_close (fd, NULL);
  if (mapped_file == NULL)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_IO,
                   "Cannot open “%s”: %s", path, local_error->message);
      return NULL;
    }
  return mapped_file;
}

BendiGguf *
bendi_gguf_open (const char          *path,
                 BendiGgufOpenFlags   flags,
                 GError             **error)
{
  g_autoptr (BendiGguf) self = NULL;
  g_autoptr (GError) local_error = NULL;
  gboolean writable = (flags & BENDI_GGUF_OPEN_WRITABLE_COPY) != 0;
  gsize needed = 0;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = gguf_new ();
  self->mapped_file = map_regular_file (path, writable, error);
  if (self->mapped_file == NULL)
    return NULL;
  self->writable = writable;
  self->data = (const guint8 *) g_mapped_file_get_contents (self->mapped_file);
  self->size = g_mapped_file_get_length (self->mapped_file);
  self->file_size = self->size;
  if (self->data == NULL)
    self->data = (const guint8 *) "";
  if (!parse (self, &needed, &local_error))
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
  return self->file_size;
}

gboolean
bendi_gguf_is_header_only (const BendiGguf *self)
{
  return self->header_only;
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
  gsize index;

  g_return_val_if_fail (key != NULL, NULL);
  index = find_name (self->keys_by_name, self->n_kv, key);
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
  gsize index;

  g_return_val_if_fail (name != NULL, NULL);
  index = find_name (self->tensors_by_name, self->n_tensors, name);
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
