/* SPDX-License-Identifier: MIT */
/* The GGUF writer: metadata is serialised as it is added, tensors at the end. */
#include "gguf/gguf-writer.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>

#include "engine-error.h"

typedef struct {
  char           *name;
  BendiTensorType type;
  guint32         n_dims;
  gint64          ne[BENDI_GGUF_MAX_DIMS];
  gsize           n_bytes;
  guint64         offset;
  GBytes         *data;
} TensorEntry;

struct _BendiGgufWriter {
  guint32     version;
  guint32     alignment;
  guint64     n_kv;
  GByteArray *metadata;   /* the serialised key/value entries */
  GArray     *tensors;    /* TensorEntry */
};

/* ------------------------------------------------------------------------ */

static void
tensor_entry_clear (gpointer data)
{
  TensorEntry *t = data;

  g_free (t->name);
  g_clear_pointer (&t->data, g_bytes_unref);
}

static void
put_u32 (GByteArray *out,
         guint32     v)
{
  v = GUINT32_TO_LE (v);
  g_byte_array_append (out, (const guint8 *) &v, 4);
}

static void
put_u64 (GByteArray *out,
         guint64     v)
{
  v = GUINT64_TO_LE (v);
  g_byte_array_append (out, (const guint8 *) &v, 8);
}

static void
put_string (GByteArray *out,
            const char *s,
            gsize       len)
{
  put_u64 (out, len);
  g_byte_array_append (out, (const guint8 *) s, (guint) len);
}

/* Appends @n scalars given in host order, converted to little-endian. */
static void
put_scalars (GByteArray    *out,
             BendiGgufType  type,
             const void    *elements,
             gsize          n)
{
  gsize size = bendi_gguf_type_size (type);
  const guint8 *p = elements;

  g_return_if_fail (size != 0);
  for (gsize i = 0; i < n; i++, p += size)
    {
      guint8 le[8];

      memcpy (le, p, size);
#if G_BYTE_ORDER == G_BIG_ENDIAN
      for (gsize j = 0; j < size / 2; j++)
        {
          guint8 tmp = le[j];
          le[j] = le[size - 1 - j];
          le[size - 1 - j] = tmp;
        }
#endif
      g_byte_array_append (out, le, (guint) size);
    }
}

static void
put_key (BendiGgufWriter *self,
         const char      *key,
         BendiGgufType    type)
{
  put_string (self->metadata, key, strlen (key));
  put_u32 (self->metadata, type);
  self->n_kv++;
}

/* A value as the reader returned it: scalars decoded, arrays in the file. */
static void
put_value (GByteArray           *out,
           const BendiGgufValue *value)
{
  switch (value->type)
    {
    case BENDI_GGUF_TYPE_UINT8:
    case BENDI_GGUF_TYPE_UINT16:
    case BENDI_GGUF_TYPE_UINT32:
    case BENDI_GGUF_TYPE_UINT64:
      {
        guint64 v = value->u64;
        guint8 le[8];

        for (gsize i = 0; i < 8; i++)
          le[i] = (guint8) (v >> (8 * i));
        g_byte_array_append (out, le, (guint) bendi_gguf_type_size (value->type));
      }
      break;
    case BENDI_GGUF_TYPE_INT8:
    case BENDI_GGUF_TYPE_INT16:
    case BENDI_GGUF_TYPE_INT32:
    case BENDI_GGUF_TYPE_INT64:
      {
        guint64 v = (guint64) value->i64;
        guint8 le[8];

        for (gsize i = 0; i < 8; i++)
          le[i] = (guint8) (v >> (8 * i));
        g_byte_array_append (out, le, (guint) bendi_gguf_type_size (value->type));
      }
      break;
    case BENDI_GGUF_TYPE_BOOL:
      {
        guint8 b = value->b ? 1 : 0;
        g_byte_array_append (out, &b, 1);
      }
      break;
    case BENDI_GGUF_TYPE_FLOAT32:
      {
        float f = (float) value->f64;
        put_scalars (out, BENDI_GGUF_TYPE_FLOAT32, &f, 1);
      }
      break;
    case BENDI_GGUF_TYPE_FLOAT64:
      put_scalars (out, BENDI_GGUF_TYPE_FLOAT64, &value->f64, 1);
      break;
    case BENDI_GGUF_TYPE_STRING:
      put_string (out, value->str.data, value->str.len);
      break;
    case BENDI_GGUF_TYPE_ARRAY:
      put_u32 (out, value->arr.elem_type);
      put_u64 (out, value->arr.n);
      if (value->arr.elem_type == BENDI_GGUF_TYPE_STRING)
        for (gsize i = 0; i < value->arr.n; i++)
          put_string (out, value->arr.strings[i].data, value->arr.strings[i].len);
      else if (value->arr.elem_type == BENDI_GGUF_TYPE_ARRAY)
        for (gsize i = 0; i < value->arr.n; i++)
          put_value (out, &value->arr.arrays[i]);
      else /* already little-endian, straight from a file */
        g_byte_array_append (out, value->arr.raw,
                             (guint) (value->arr.n * bendi_gguf_type_size (value->arr.elem_type)));
      break;
    case BENDI_GGUF_TYPE_COUNT:
    default:
      g_return_if_reached ();
    }
}

/* ------------------------------------------------------------------------ */

BendiGgufWriter *
bendi_gguf_writer_new (void)
{
  BendiGgufWriter *self = g_new0 (BendiGgufWriter, 1);

  self->version = 3;
  self->alignment = BENDI_GGUF_DEFAULT_ALIGNMENT;
  self->metadata = g_byte_array_new ();
  self->tensors = g_array_new (FALSE, TRUE, sizeof (TensorEntry));
  g_array_set_clear_func (self->tensors, tensor_entry_clear);
  return self;
}

void
bendi_gguf_writer_free (BendiGgufWriter *self)
{
  if (self == NULL)
    return;
  g_byte_array_unref (self->metadata);
  g_array_unref (self->tensors);
  g_free (self);
}

void
bendi_gguf_writer_set_version (BendiGgufWriter *self,
                               guint32          version)
{
  self->version = version;
}

void
bendi_gguf_writer_set_alignment (BendiGgufWriter *self,
                                 guint32          alignment)
{
  g_return_if_fail (alignment != 0 && (alignment & (alignment - 1)) == 0);
  self->alignment = alignment;
  bendi_gguf_writer_add_uint32 (self, "general.alignment", alignment);
}

void
bendi_gguf_writer_add_uint32 (BendiGgufWriter *self,
                              const char      *key,
                              guint32          value)
{
  put_key (self, key, BENDI_GGUF_TYPE_UINT32);
  put_scalars (self->metadata, BENDI_GGUF_TYPE_UINT32, &value, 1);
}

void
bendi_gguf_writer_add_int32 (BendiGgufWriter *self,
                             const char      *key,
                             gint32           value)
{
  put_key (self, key, BENDI_GGUF_TYPE_INT32);
  put_scalars (self->metadata, BENDI_GGUF_TYPE_INT32, &value, 1);
}

void
bendi_gguf_writer_add_uint64 (BendiGgufWriter *self,
                              const char      *key,
                              guint64          value)
{
  put_key (self, key, BENDI_GGUF_TYPE_UINT64);
  put_scalars (self->metadata, BENDI_GGUF_TYPE_UINT64, &value, 1);
}

void
bendi_gguf_writer_add_float32 (BendiGgufWriter *self,
                               const char      *key,
                               float            value)
{
  put_key (self, key, BENDI_GGUF_TYPE_FLOAT32);
  put_scalars (self->metadata, BENDI_GGUF_TYPE_FLOAT32, &value, 1);
}

void
bendi_gguf_writer_add_bool (BendiGgufWriter *self,
                            const char      *key,
                            gboolean         value)
{
  guint8 b = value ? 1 : 0;

  put_key (self, key, BENDI_GGUF_TYPE_BOOL);
  g_byte_array_append (self->metadata, &b, 1);
}

void
bendi_gguf_writer_add_string (BendiGgufWriter *self,
                              const char      *key,
                              const char      *value)
{
  put_key (self, key, BENDI_GGUF_TYPE_STRING);
  put_string (self->metadata, value, strlen (value));
}

void
bendi_gguf_writer_add_array (BendiGgufWriter *self,
                             const char      *key,
                             BendiGgufType    elem_type,
                             const void      *elements,
                             gsize            n)
{
  g_return_if_fail (bendi_gguf_type_size (elem_type) != 0);
  put_key (self, key, BENDI_GGUF_TYPE_ARRAY);
  put_u32 (self->metadata, elem_type);
  put_u64 (self->metadata, n);
  put_scalars (self->metadata, elem_type, elements, n);
}

void
bendi_gguf_writer_add_string_array (BendiGgufWriter   *self,
                                    const char        *key,
                                    const char *const *strings,
                                    gsize              n)
{
  put_key (self, key, BENDI_GGUF_TYPE_ARRAY);
  put_u32 (self->metadata, BENDI_GGUF_TYPE_STRING);
  put_u64 (self->metadata, n);
  for (gsize i = 0; i < n; i++)
    put_string (self->metadata, strings[i], strlen (strings[i]));
}

void
bendi_gguf_writer_add_value (BendiGgufWriter      *self,
                             const char           *key,
                             const BendiGgufValue *value)
{
  put_key (self, key, value->type);
  put_value (self->metadata, value);
}

gsize
bendi_gguf_writer_add_tensor (BendiGgufWriter *self,
                              const char      *name,
                              BendiTensorType  type,
                              guint32          n_dims,
                              const gint64    *ne,
                              GBytes          *data)
{
  TensorEntry t = { 0 };
  gsize row_bytes;
  gsize n_rows = 1;

  g_return_val_if_fail (n_dims >= 1 && n_dims <= BENDI_GGUF_MAX_DIMS, G_MAXSIZE);
  g_return_val_if_fail (bendi_tensor_type_row_bytes (type, ne[0], &row_bytes), G_MAXSIZE);

  t.name = g_strdup (name);
  t.type = type;
  t.n_dims = n_dims;
  for (guint d = 0; d < BENDI_GGUF_MAX_DIMS; d++)
    t.ne[d] = d < n_dims ? ne[d] : 1;
  for (guint d = 1; d < n_dims; d++)
    n_rows *= (gsize) ne[d];
  t.n_bytes = row_bytes * n_rows;
  if (data != NULL)
    {
      g_return_val_if_fail (g_bytes_get_size (data) == t.n_bytes, G_MAXSIZE);
      t.data = g_bytes_ref (data);
    }
  g_array_append_val (self->tensors, t);
  return self->tensors->len - 1;
}

/* ------------------------------------------------------------------------ */
/* Output: the header and tensor infos are built in memory; tensor data is
 * streamed to a sink one tensor at a time. */

typedef gboolean (*SinkFunc) (gpointer      sink,
                              const guint8 *data,
                              gsize         len,
                              GError      **error);

static guint64
align_up (guint64 offset,
          guint32 alignment)
{
  return (offset + alignment - 1) / alignment * alignment;
}

static gboolean
write_all (BendiGgufWriter         *self,
           SinkFunc                 sink_func,
           gpointer                 sink,
           BendiGgufTensorFillFunc  fill,
           gpointer                 user_data,
           GError                 **error)
{
  g_autoptr (GByteArray) header = g_byte_array_new ();
  static const guint8 zeros[64] = { 0 };
  guint64 offset = 0;

  g_byte_array_append (header, (const guint8 *) BENDI_GGUF_MAGIC, 4);
  put_u32 (header, self->version);
  put_u64 (header, self->tensors->len);
  put_u64 (header, self->n_kv);
  g_byte_array_append (header, self->metadata->data, self->metadata->len);

  for (guint i = 0; i < self->tensors->len; i++)
    {
      TensorEntry *t = &g_array_index (self->tensors, TensorEntry, i);

      t->offset = offset;
      offset = align_up (offset + t->n_bytes, self->alignment);
      put_string (header, t->name, strlen (t->name));
      put_u32 (header, t->n_dims);
      for (guint d = 0; d < t->n_dims; d++)
        put_u64 (header, (guint64) t->ne[d]);
      put_u32 (header, t->type);
      put_u64 (header, t->offset);
    }
  while (header->len % self->alignment != 0)
    g_byte_array_append (header, zeros, 1);
  if (!sink_func (sink, header->data, header->len, error))
    return FALSE;

  for (guint i = 0; i < self->tensors->len; i++)
    {
      TensorEntry *t = &g_array_index (self->tensors, TensorEntry, i);
      gsize padding = (gsize) (align_up (t->n_bytes, self->alignment) - t->n_bytes);

      if (t->data != NULL)
        {
          if (!sink_func (sink, g_bytes_get_data (t->data, NULL), t->n_bytes, error))
            return FALSE;
        }
      else
        {
          g_autofree guint8 *buffer = NULL;

          if (fill == NULL)
            {
              g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_ARGUMENT,
                           "Tensor '%s' has no data and no fill function was given", t->name);
              return FALSE;
            }
          buffer = g_try_malloc0 (MAX (t->n_bytes, 1));
          if (buffer == NULL)
            {
              g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_NO_MEMORY,
                           "Out of memory for tensor '%s' (%" G_GSIZE_FORMAT " bytes)", t->name, t->n_bytes);
              return FALSE;
            }
          if (!fill (i, buffer, t->n_bytes, user_data, error) ||
              !sink_func (sink, buffer, t->n_bytes, error))
            return FALSE;
        }
      while (padding > 0)
        {
          gsize n = MIN (padding, sizeof zeros);

          if (!sink_func (sink, zeros, n, error))
            return FALSE;
          padding -= n;
        }
    }
  return TRUE;
}

static gboolean
sink_to_byte_array (gpointer      sink,
                    const guint8 *data,
                    gsize         len,
                    GError      **error)
{
  GByteArray *out = sink;

  if (len > G_MAXUINT - out->len)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_NO_MEMORY,
                   "The GGUF is too large to build in memory");
      return FALSE;
    }
  g_byte_array_append (out, data, (guint) len);
  return TRUE;
}

typedef struct {
  FILE       *file;
  const char *path;
} FileSink;

static gboolean
sink_to_file (gpointer      sink,
              const guint8 *data,
              gsize         len,
              GError      **error)
{
  FileSink *fs = sink;

  if (len > 0 && fwrite (data, 1, len, fs->file) != len)
    {
      int saved_errno = errno;

      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_IO,
                   "Cannot write “%s”: %s", fs->path, g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

GBytes *
bendi_gguf_writer_write_bytes (BendiGgufWriter         *self,
                               BendiGgufTensorFillFunc  fill,
                               gpointer                 user_data,
                               GError                 **error)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();

  if (!write_all (self, sink_to_byte_array, out, fill, user_data, error))
    return NULL;
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

gboolean
bendi_gguf_writer_write_file (BendiGgufWriter         *self,
                              const char              *path,
                              BendiGgufTensorFillFunc  fill,
                              gpointer                 user_data,
                              GError                 **error)
{
  g_autofree char *tmp_path = g_strdup_printf ("%s.part", path);
  FileSink fs = { .path = tmp_path };
  gboolean ok;

  fs.file = g_fopen (tmp_path, "wb");
  if (fs.file == NULL)
    {
      int saved_errno = errno;

      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_IO,
                   "Cannot create “%s”: %s", tmp_path, g_strerror (saved_errno));
      return FALSE;
    }
  ok = write_all (self, sink_to_file, &fs, fill, user_data, error);
  if (fflush (fs.file) != 0 && ok)
    {
      int saved_errno = errno;

      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_IO,
                   "Cannot write “%s”: %s", tmp_path, g_strerror (saved_errno));
      ok = FALSE;
    }
  if (fclose (fs.file) != 0 && ok)
    {
      int saved_errno = errno;

      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_IO,
                   "Cannot write “%s”: %s", tmp_path, g_strerror (saved_errno));
      ok = FALSE;
    }
  if (ok && g_rename (tmp_path, path) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_IO,
                   "Cannot move “%s” to “%s”: %s", tmp_path, path, g_strerror (saved_errno));
      ok = FALSE;
    }
  if (!ok)
    g_unlink (tmp_path);
  return ok;
}
