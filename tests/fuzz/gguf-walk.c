/* SPDX-License-Identifier: MIT */
/* Walks a parsed GGUF through every accessor, checking each one's contract. */
#include "gguf-walk.h"

#include <string.h>

#include "engine-error.h"

static guint64
sum_bytes (const void *data,
           gsize       n)
{
  const guint8 *p = data;
  guint64 sum = 0;

  for (gsize i = 0; i < n; i++)
    sum = sum * 31 + p[i];
  return sum;
}

static gboolean
is_integer_type (BendiGgufType type)
{
  switch (type)
    {
    case BENDI_GGUF_TYPE_UINT8:
    case BENDI_GGUF_TYPE_INT8:
    case BENDI_GGUF_TYPE_UINT16:
    case BENDI_GGUF_TYPE_INT16:
    case BENDI_GGUF_TYPE_UINT32:
    case BENDI_GGUF_TYPE_INT32:
    case BENDI_GGUF_TYPE_UINT64:
    case BENDI_GGUF_TYPE_INT64:
      return TRUE;
    case BENDI_GGUF_TYPE_FLOAT32:
    case BENDI_GGUF_TYPE_BOOL:
    case BENDI_GGUF_TYPE_STRING:
    case BENDI_GGUF_TYPE_ARRAY:
    case BENDI_GGUF_TYPE_FLOAT64:
    case BENDI_GGUF_TYPE_COUNT:
    default:
      return FALSE;
    }
}

static gboolean
is_float_type (BendiGgufType type)
{
  return type == BENDI_GGUF_TYPE_FLOAT32 || type == BENDI_GGUF_TYPE_FLOAT64;
}

/* Only a uint64 with its top bit set is an integer that int64 cannot hold. */
static gboolean
fits_int64 (const BendiGgufValue *scalar)
{
  return scalar->type != BENDI_GGUF_TYPE_UINT64 || scalar->u64 <= G_MAXINT64;
}

static guint64
walk_string (const BendiGgufString *s)
{
  g_assert_nonnull (s->data);
  g_assert_cmpint (s->data[s->len], ==, '\0');
  return sum_bytes (s->data, s->len) + s->len;
}

static guint64
walk_value (const BendiGgufValue *value,
            guint                 depth)
{
  guint64 sum = value->type;
  gint64 i;
  double d;

  g_assert_cmpuint (value->type, <, BENDI_GGUF_TYPE_COUNT);
  if (value->type == BENDI_GGUF_TYPE_STRING)
    return sum + walk_string (&value->str);

  if (value->type != BENDI_GGUF_TYPE_ARRAY)
    {
      gboolean is_int = bendi_gguf_value_get_int64 (value, &i);
      gboolean is_float = bendi_gguf_value_get_double (value, &d);

      g_assert_true (is_int == (is_integer_type (value->type) && fits_int64 (value)));
      g_assert_true (is_float == is_float_type (value->type));
      if (value->type == BENDI_GGUF_TYPE_BOOL)
        g_assert_true (value->b == TRUE || value->b == FALSE);
      return sum + (is_int ? (guint64) i : 0);
    }

  g_assert_cmpuint (depth, <, BENDI_GGUF_MAX_ARRAY_DEPTH);
  g_assert_cmpuint (value->arr.elem_type, <, BENDI_GGUF_TYPE_COUNT);
  sum += value->arr.n;
  if (value->arr.elem_type == BENDI_GGUF_TYPE_STRING)
    {
      g_assert_nonnull (value->arr.strings);
      for (gsize k = 0; k < value->arr.n; k++)
        sum = sum * 7 + walk_string (&value->arr.strings[k]);
    }
  else if (value->arr.elem_type == BENDI_GGUF_TYPE_ARRAY)
    {
      g_assert_nonnull (value->arr.arrays);
      for (gsize k = 0; k < value->arr.n; k++)
        {
          g_assert_cmpint (value->arr.arrays[k].type, ==, BENDI_GGUF_TYPE_ARRAY);
          sum = sum * 7 + walk_value (&value->arr.arrays[k], depth + 1);
        }
    }
  else
    {
      gsize size = bendi_gguf_type_size (value->arr.elem_type);

      g_assert_cmpuint (size, >, 0);
      g_assert_true (value->arr.n == 0 || value->arr.raw != NULL);
      for (gsize k = 0; k < value->arr.n; k++)
        {
          gboolean is_int = bendi_gguf_array_get_int64 (value, k, &i);
          gboolean is_float = bendi_gguf_array_get_double (value, k, &d);

          if (value->arr.elem_type == BENDI_GGUF_TYPE_UINT64)
            {
              guint64 u;

              memcpy (&u, value->arr.raw + k * 8, 8);
              g_assert_true (is_int == (GUINT64_FROM_LE (u) <= G_MAXINT64));
            }
          else
            g_assert_true (is_int == is_integer_type (value->arr.elem_type));
          g_assert_true (is_float == is_float_type (value->arr.elem_type));
          if (value->arr.elem_type == BENDI_GGUF_TYPE_BOOL)
            g_assert_cmpuint (value->arr.raw[k], <=, 1);
          sum = sum * 7 + sum_bytes (value->arr.raw + k * size, size);
        }
      g_assert_false (bendi_gguf_array_get_int64 (value, value->arr.n, &i));
      g_assert_false (bendi_gguf_array_get_double (value, value->arr.n, &d));
    }
  return sum;
}

/* A failed lookup reports a corrupt file. */
static void
expect_lookup_error (GError **error)
{
  g_assert_error (*error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE);
  g_assert_cmpuint (strlen ((*error)->message), >, 0);
  g_clear_error (error);
}

/* Every typed getter on @key succeeds exactly when the value has its type. */
static void
check_getters (const BendiGguf      *gguf,
               const char           *key,
               const BendiGgufValue *value)
{
  g_autoptr (GError) error = NULL;
  const BendiGgufValue *array;
  const char *s = NULL;
  gint64 direct = 0;
  gboolean has_int = bendi_gguf_value_get_int64 (value, &direct);
  gboolean b = FALSE;
  gint64 i = 0;
  double d = 0;

  if (bendi_gguf_get_int (gguf, key, TRUE, G_MININT64, G_MAXINT64, &i, &error))
    {
      g_assert_true (has_int);
      g_assert_cmpint (i, ==, direct);
    }
  else
    {
      g_assert_false (has_int);
      expect_lookup_error (&error);
    }
  /* A range of one value: only that value passes. */
  if (bendi_gguf_get_int (gguf, key, TRUE, 0, 0, &i, &error))
    g_assert_true (has_int && direct == 0);
  else
    expect_lookup_error (&error);

  if (bendi_gguf_get_float (gguf, key, TRUE, &d, &error))
    g_assert_true (is_float_type (value->type));
  else
    expect_lookup_error (&error);

  if (bendi_gguf_get_bool (gguf, key, TRUE, &b, &error))
    {
      g_assert_cmpint (value->type, ==, BENDI_GGUF_TYPE_BOOL);
      g_assert_true (b == value->b);
    }
  else
    {
      g_assert_cmpint (value->type, !=, BENDI_GGUF_TYPE_BOOL);
      expect_lookup_error (&error);
    }

  if (bendi_gguf_get_string (gguf, key, TRUE, &s, &error))
    {
      g_assert_cmpint (value->type, ==, BENDI_GGUF_TYPE_STRING);
      g_assert_true (s == value->str.data);
    }
  else
    {
      g_assert_cmpint (value->type, !=, BENDI_GGUF_TYPE_STRING);
      expect_lookup_error (&error);
    }

  for (guint t = 0; t < BENDI_GGUF_TYPE_COUNT; t++)
    {
      if (bendi_gguf_get_array (gguf, key, (BendiGgufType) t, TRUE, &array, &error))
        {
          g_assert_cmpint (value->type, ==, BENDI_GGUF_TYPE_ARRAY);
          g_assert_true (array == value);
        }
      else
        {
          g_assert_null (array);
          expect_lookup_error (&error);
        }
    }
}

static guint64
walk_metadata (const BendiGguf *gguf)
{
  g_autoptr (GError) error = NULL;
  guint64 sum = 0;
  gint64 untouched = 42;

  for (gsize k = 0; k < bendi_gguf_get_n_kv (gguf); k++)
    {
      const char *key = bendi_gguf_get_key (gguf, k);
      const BendiGgufValue *value = bendi_gguf_get_value (gguf, k);

      g_assert_nonnull (key);
      g_assert_cmpuint (strlen (key), >, 0);
      g_assert_cmpuint (strlen (key), <=, BENDI_GGUF_MAX_KEY_LENGTH);
      g_assert_true (bendi_gguf_find (gguf, key) == value);
      check_getters (gguf, key, value);
      sum = sum * 131 + walk_value (value, 0) + sum_bytes (key, strlen (key));
    }

  /* No key is empty, so "" is always absent: optional lookups leave the
   * output alone, required ones fail. */
  g_assert_null (bendi_gguf_find (gguf, ""));
  g_assert_true (bendi_gguf_get_int (gguf, "", FALSE, 0, 1, &untouched, &error));
  g_assert_no_error (error);
  g_assert_cmpint (untouched, ==, 42);
  g_assert_false (bendi_gguf_get_int (gguf, "", TRUE, 0, 1, &untouched, &error));
  expect_lookup_error (&error);
  return sum;
}

static guint64
walk_tensors (const BendiGguf *gguf,
              const guint8    *file,
              gsize            file_size)
{
  gsize n = bendi_gguf_get_n_tensors (gguf);
  gsize alignment = bendi_gguf_get_alignment (gguf);
  gsize data_offset = bendi_gguf_get_data_offset (gguf);
  guint64 sum = 0;

  g_assert_cmpuint (alignment, >, 0);
  g_assert_cmpuint (alignment & (alignment - 1), ==, 0);
  g_assert_cmpuint (alignment, <=, BENDI_GGUF_MAX_ALIGNMENT);
  g_assert_cmpuint (data_offset, <=, file_size);
  if (n > 0)
    g_assert_cmpuint (data_offset % alignment, ==, 0);

  for (gsize k = 0; k < n; k++)
    {
      const BendiGgufTensorInfo *t = bendi_gguf_get_tensor (gguf, k);
      gsize row_bytes, n_bytes, end;

      g_assert_nonnull (t->name);
      g_assert_cmpuint (strlen (t->name), >, 0);
      g_assert_cmpuint (strlen (t->name), <=, BENDI_GGUF_MAX_TENSOR_NAME_LENGTH);
      g_assert_true (bendi_gguf_find_tensor (gguf, t->name) == t);
      g_assert_cmpuint (t->n_dims, >=, 1);
      g_assert_cmpuint (t->n_dims, <=, BENDI_GGUF_MAX_DIMS);
      for (guint d = 0; d < BENDI_GGUF_MAX_DIMS; d++)
        {
          g_assert_cmpint (t->ne[d], >=, 1);
          if (d >= t->n_dims)
            g_assert_cmpint (t->ne[d], ==, 1);
        }
      g_assert_nonnull (bendi_tensor_type_info (t->type));

      /* The byte count, recomputed with checked arithmetic. */
      g_assert_true (bendi_tensor_type_row_bytes (t->type, t->ne[0], &row_bytes));
      n_bytes = row_bytes;
      for (guint d = 1; d < BENDI_GGUF_MAX_DIMS; d++)
        g_assert_true (g_size_checked_mul (&n_bytes, n_bytes, (gsize) t->ne[d]));
      g_assert_cmpuint (t->n_bytes, ==, n_bytes);

      g_assert_cmpuint (t->offset % alignment, ==, 0);
      g_assert_cmpuint (t->offset, <=, file_size - data_offset);
      g_assert_true (g_size_checked_add (&end, data_offset + (gsize) t->offset, t->n_bytes));
      g_assert_cmpuint (end, <=, file_size);
      g_assert_true ((const guint8 *) t->data == file + data_offset + t->offset);
      sum = sum * 131 + sum_bytes (t->data, t->n_bytes);
    }

  /* Pairwise, which is quadratic: only for the small files fuzzing makes. */
  if (n <= 256)
    for (gsize a = 0; a < n; a++)
      for (gsize b = a + 1; b < n; b++)
        {
          const BendiGgufTensorInfo *ta = bendi_gguf_get_tensor (gguf, a);
          const BendiGgufTensorInfo *tb = bendi_gguf_get_tensor (gguf, b);

          g_assert_true (ta->offset + ta->n_bytes <= tb->offset || tb->offset + tb->n_bytes <= ta->offset);
          g_assert_cmpstr (ta->name, !=, tb->name);
        }
  g_assert_null (bendi_gguf_find_tensor (gguf, ""));
  return sum;
}

guint64
gguf_walk (const BendiGguf *gguf,
           const guint8    *file,
           gsize            file_size)
{
  guint32 version = bendi_gguf_get_version (gguf);

  g_assert_true (version == 2 || version == 3);
  g_assert_cmpuint (bendi_gguf_get_file_size (gguf), ==, file_size);
  return walk_metadata (gguf) * 31 + walk_tensors (gguf, file, file_size);
}
