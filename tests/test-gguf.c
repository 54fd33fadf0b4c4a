/* SPDX-License-Identifier: MIT */
/* GGUF reading and writing of well-formed files: every metadata type, nested arrays, tensors in place. */
#include <glib/gstdio.h>
#include <string.h>

#include "engine-error.h"
#include "gguf-builder.h"
#include "gguf/gguf-writer.h"
#include "test-util.h"

static GBytes *
build_every_type (guint32 version)
{
  g_autoptr (BendiGgufWriter) writer = bendi_gguf_writer_new ();
  g_autoptr (GError) error = NULL;
  const guint8 u8s[] = { 0, 7, 255 };
  const gint8 i8s[] = { -128, 0, 127 };
  const guint16 u16s[] = { 0, 65535 };
  const gint16 i16s[] = { -32768, 32767 };
  const guint32 u32s[] = { 0, 4000000000u };
  const gint32 i32s[] = { G_MININT32, -1, G_MAXINT32 };
  const float f32s[] = { 1.5f, -0.25f };
  const guint64 u64s[] = { G_MAXUINT64 };
  const gint64 i64s[] = { G_MININT64, G_MAXINT64 };
  const double f64s[] = { 3.141592653589793 };
  const gboolean bools[] = { TRUE, FALSE, TRUE };
  const char *const strings[] = { "hello", "", "世界" };
  guint8 bool_bytes[G_N_ELEMENTS (bools)];
  BendiGgufValue inner[2] = { 0 };
  BendiGgufValue nested = { 0 };
  const BendiGgufString inner_strings[] = { { "a", 1 }, { "bc", 2 } };
  GBytes *bytes;

  for (gsize i = 0; i < G_N_ELEMENTS (bools); i++)
    bool_bytes[i] = bools[i] ? 1 : 0;

  bendi_gguf_writer_set_version (writer, version);
  bendi_gguf_writer_add_string (writer, "general.architecture", "llama");
  bendi_gguf_writer_add_uint32 (writer, "u32", 4000000000u);
  bendi_gguf_writer_add_int32 (writer, "i32", -5);
  bendi_gguf_writer_add_uint64 (writer, "u64", G_MAXUINT64);
  bendi_gguf_writer_add_float32 (writer, "f32", 0.125f);
  bendi_gguf_writer_add_bool (writer, "bool", TRUE);
  bendi_gguf_writer_add_array (writer, "a.u8", BENDI_GGUF_TYPE_UINT8, u8s, G_N_ELEMENTS (u8s));
  bendi_gguf_writer_add_array (writer, "a.i8", BENDI_GGUF_TYPE_INT8, i8s, G_N_ELEMENTS (i8s));
  bendi_gguf_writer_add_array (writer, "a.u16", BENDI_GGUF_TYPE_UINT16, u16s, G_N_ELEMENTS (u16s));
  bendi_gguf_writer_add_array (writer, "a.i16", BENDI_GGUF_TYPE_INT16, i16s, G_N_ELEMENTS (i16s));
  bendi_gguf_writer_add_array (writer, "a.u32", BENDI_GGUF_TYPE_UINT32, u32s, G_N_ELEMENTS (u32s));
  bendi_gguf_writer_add_array (writer, "a.i32", BENDI_GGUF_TYPE_INT32, i32s, G_N_ELEMENTS (i32s));
  bendi_gguf_writer_add_array (writer, "a.f32", BENDI_GGUF_TYPE_FLOAT32, f32s, G_N_ELEMENTS (f32s));
  bendi_gguf_writer_add_array (writer, "a.u64", BENDI_GGUF_TYPE_UINT64, u64s, G_N_ELEMENTS (u64s));
  bendi_gguf_writer_add_array (writer, "a.i64", BENDI_GGUF_TYPE_INT64, i64s, G_N_ELEMENTS (i64s));
  bendi_gguf_writer_add_array (writer, "a.f64", BENDI_GGUF_TYPE_FLOAT64, f64s, G_N_ELEMENTS (f64s));
  bendi_gguf_writer_add_array (writer, "a.bool", BENDI_GGUF_TYPE_BOOL, bool_bytes, G_N_ELEMENTS (bool_bytes));
  bendi_gguf_writer_add_string_array (writer, "a.string", strings, G_N_ELEMENTS (strings));

  /* [[u16 65535, 0], ["a", "bc"]] */
  inner[0].type = BENDI_GGUF_TYPE_ARRAY;
  inner[0].arr.elem_type = BENDI_GGUF_TYPE_UINT16;
  inner[0].arr.n = 2;
  inner[0].arr.raw = (const guint8 *) "\xff\xff\x00\x00";
  inner[1].type = BENDI_GGUF_TYPE_ARRAY;
  inner[1].arr.elem_type = BENDI_GGUF_TYPE_STRING;
  inner[1].arr.n = 2;
  inner[1].arr.strings = inner_strings;
  nested.type = BENDI_GGUF_TYPE_ARRAY;
  nested.arr.elem_type = BENDI_GGUF_TYPE_ARRAY;
  nested.arr.n = 2;
  nested.arr.arrays = inner;
  bendi_gguf_writer_add_value (writer, "a.nested", &nested);

  {
    const float values[6] = { 1, 2, 3, 4, 5, 6 };
    const gint64 ne[2] = { 3, 2 };
    g_autoptr (GBytes) data = g_bytes_new (values, sizeof values);

    bendi_gguf_writer_add_tensor (writer, "t.f32", BENDI_TENSOR_TYPE_F32, 2, ne, data);
  }
  {
    guint8 block[18] = { 0 };
    const gint64 ne[1] = { 32 };
    g_autoptr (GBytes) data = NULL;

    block[0] = 0x00;
    block[1] = 0x3c;  /* d = 1.0 in half precision */
    memset (block + 2, 0x98, 16);
    data = g_bytes_new (block, sizeof block);
    bendi_gguf_writer_add_tensor (writer, "t.q4_0", BENDI_TENSOR_TYPE_Q4_0, 1, ne, data);
  }

  bytes = bendi_gguf_writer_write_bytes (writer, NULL, NULL, &error);
  g_assert_no_error (error);
  return bytes;
}

static void
check_every_type (const BendiGguf *gguf)
{
  g_autoptr (GError) error = NULL;
  const BendiGgufValue *v;
  gint64 i;
  double d;
  gboolean b;
  const char *s;

  g_assert_cmpuint (bendi_gguf_get_n_kv (gguf), ==, 19);
  g_assert_cmpstr (bendi_gguf_get_key (gguf, 0), ==, "general.architecture");

  g_assert_true (bendi_gguf_get_string (gguf, "general.architecture", TRUE, &s, &error));
  g_assert_cmpstr (s, ==, "llama");
  g_assert_true (bendi_gguf_get_int (gguf, "u32", TRUE, 0, G_MAXINT64, &i, &error));
  g_assert_cmpint (i, ==, 4000000000);
  g_assert_true (bendi_gguf_get_int (gguf, "i32", TRUE, G_MININT64, G_MAXINT64, &i, &error));
  g_assert_cmpint (i, ==, -5);
  v = bendi_gguf_find (gguf, "u64");
  g_assert_nonnull (v);
  g_assert_cmpint (v->type, ==, BENDI_GGUF_TYPE_UINT64);
  g_assert_cmpuint (v->u64, ==, G_MAXUINT64);
  g_assert_false (bendi_gguf_value_get_int64 (v, &i));
  g_assert_true (bendi_gguf_get_float (gguf, "f32", TRUE, &d, &error));
  g_assert_cmpfloat (d, ==, 0.125);
  g_assert_true (bendi_gguf_get_bool (gguf, "bool", TRUE, &b, &error));
  g_assert_true (b);
  g_assert_no_error (error);

  g_assert_true (bendi_gguf_get_array (gguf, "a.u8", BENDI_GGUF_TYPE_INT64, TRUE, &v, &error));
  g_assert_cmpuint (v->arr.n, ==, 3);
  g_assert_true (bendi_gguf_array_get_int64 (v, 2, &i));
  g_assert_cmpint (i, ==, 255);
  g_assert_true (bendi_gguf_get_array (gguf, "a.i8", BENDI_GGUF_TYPE_INT64, TRUE, &v, &error));
  g_assert_true (bendi_gguf_array_get_int64 (v, 0, &i));
  g_assert_cmpint (i, ==, -128);
  g_assert_true (bendi_gguf_get_array (gguf, "a.u16", BENDI_GGUF_TYPE_INT64, TRUE, &v, &error));
  g_assert_true (bendi_gguf_array_get_int64 (v, 1, &i));
  g_assert_cmpint (i, ==, 65535);
  g_assert_true (bendi_gguf_get_array (gguf, "a.i16", BENDI_GGUF_TYPE_INT64, TRUE, &v, &error));
  g_assert_true (bendi_gguf_array_get_int64 (v, 0, &i));
  g_assert_cmpint (i, ==, -32768);
  g_assert_true (bendi_gguf_get_array (gguf, "a.u32", BENDI_GGUF_TYPE_INT64, TRUE, &v, &error));
  g_assert_true (bendi_gguf_array_get_int64 (v, 1, &i));
  g_assert_cmpint (i, ==, 4000000000);
  g_assert_true (bendi_gguf_get_array (gguf, "a.i32", BENDI_GGUF_TYPE_INT64, TRUE, &v, &error));
  g_assert_true (bendi_gguf_array_get_int64 (v, 0, &i));
  g_assert_cmpint (i, ==, G_MININT32);
  g_assert_true (bendi_gguf_get_array (gguf, "a.f32", BENDI_GGUF_TYPE_FLOAT32, TRUE, &v, &error));
  g_assert_true (bendi_gguf_array_get_double (v, 1, &d));
  g_assert_cmpfloat (d, ==, -0.25);
  g_assert_false (bendi_gguf_array_get_double (v, 2, &d));
  g_assert_true (bendi_gguf_get_array (gguf, "a.u64", BENDI_GGUF_TYPE_UINT64, TRUE, &v, &error));
  g_assert_false (bendi_gguf_array_get_int64 (v, 0, &i));  /* does not fit in int64 */
  g_assert_true (bendi_gguf_get_array (gguf, "a.i64", BENDI_GGUF_TYPE_INT64, TRUE, &v, &error));
  g_assert_true (bendi_gguf_array_get_int64 (v, 1, &i));
  g_assert_cmpint (i, ==, G_MAXINT64);
  g_assert_true (bendi_gguf_get_array (gguf, "a.f64", BENDI_GGUF_TYPE_FLOAT64, TRUE, &v, &error));
  g_assert_true (bendi_gguf_array_get_double (v, 0, &d));
  g_assert_cmpfloat (d, ==, 3.141592653589793);
  g_assert_true (bendi_gguf_get_array (gguf, "a.bool", BENDI_GGUF_TYPE_BOOL, TRUE, &v, &error));
  g_assert_cmpuint (v->arr.n, ==, 3);
  g_assert_cmpuint (v->arr.raw[1], ==, 0);
  g_assert_true (bendi_gguf_get_array (gguf, "a.string", BENDI_GGUF_TYPE_STRING, TRUE, &v, &error));
  g_assert_cmpuint (v->arr.n, ==, 3);
  g_assert_cmpstr (v->arr.strings[0].data, ==, "hello");
  g_assert_cmpuint (v->arr.strings[1].len, ==, 0);
  g_assert_cmpstr (v->arr.strings[2].data, ==, "世界");
  g_assert_no_error (error);

  v = bendi_gguf_find (gguf, "a.nested");
  g_assert_nonnull (v);
  g_assert_cmpint (v->arr.elem_type, ==, BENDI_GGUF_TYPE_ARRAY);
  g_assert_cmpuint (v->arr.n, ==, 2);
  g_assert_true (bendi_gguf_array_get_int64 (&v->arr.arrays[0], 0, &i));
  g_assert_cmpint (i, ==, 65535);
  g_assert_cmpstr (v->arr.arrays[1].arr.strings[1].data, ==, "bc");

  g_assert_cmpuint (bendi_gguf_get_n_tensors (gguf), ==, 2);
  {
    const BendiGgufTensorInfo *t = bendi_gguf_find_tensor (gguf, "t.f32");
    const float *values;

    g_assert_nonnull (t);
    g_assert_cmpuint (t->n_dims, ==, 2);
    g_assert_cmpint (t->ne[0], ==, 3);
    g_assert_cmpint (t->ne[1], ==, 2);
    g_assert_cmpint (t->ne[2], ==, 1);
    g_assert_cmpuint (t->n_bytes, ==, 24);
    g_assert_cmpuint (((guintptr) t->data - (guintptr) t->data % 32) % 32, ==, 0);
    values = t->data;
    g_assert_cmpfloat (values[5], ==, 6.0f);
  }
  {
    const BendiGgufTensorInfo *t = bendi_gguf_find_tensor (gguf, "t.q4_0");

    g_assert_nonnull (t);
    g_assert_cmpint (t->type, ==, BENDI_TENSOR_TYPE_Q4_0);
    g_assert_cmpuint (t->n_bytes, ==, 18);
    g_assert_cmpuint (t->offset % bendi_gguf_get_alignment (gguf), ==, 0);
    g_assert_cmpuint (((const guint8 *) t->data)[2], ==, 0x98);
  }
  g_assert_null (bendi_gguf_find_tensor (gguf, "missing"));
  g_assert_null (bendi_gguf_find (gguf, "missing"));
}

static void
test_every_type_v3 (void)
{
  g_autoptr (GBytes) bytes = build_every_type (3);
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiGguf) gguf = bendi_gguf_new_from_bytes (bytes, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (bendi_gguf_get_version (gguf), ==, 3);
  check_every_type (gguf);
}

static void
test_every_type_v2 (void)
{
  g_autoptr (GBytes) bytes = build_every_type (2);
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiGguf) gguf = bendi_gguf_new_from_bytes (bytes, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (bendi_gguf_get_version (gguf), ==, 2);
  check_every_type (gguf);
}

/* The same file through the memory map, and tensors pointing into it. */
static void
test_open_file (void)
{
  g_autoptr (GBytes) bytes = build_every_type (3);
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "every-type.gguf", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiGguf) gguf = NULL;
  gsize size;
  const void *data = g_bytes_get_data (bytes, &size);

  g_assert_true (g_file_set_contents (path, data, (gssize) size, &error));
  gguf = bendi_gguf_open (path, BENDI_GGUF_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bendi_gguf_get_file_size (gguf), ==, size);
  check_every_type (gguf);
  g_clear_pointer (&gguf, bendi_gguf_free);

  /* A copy-on-write mapping can be written without touching the file. */
  gguf = bendi_gguf_open (path, BENDI_GGUF_OPEN_WRITABLE_COPY, &error);
  g_assert_no_error (error);
  {
    const BendiGgufTensorInfo *t = bendi_gguf_find_tensor (gguf, "t.f32");
    float *values = bendi_gguf_get_tensor_data_mutable (gguf, t);
    g_autofree char *contents = NULL;

    values[0] = 42.0f;
    g_assert_true (g_file_get_contents (path, &contents, &size, &error));
    g_assert_cmpmem (contents, size, data, g_bytes_get_size (bytes));
  }
  g_clear_pointer (&gguf, bendi_gguf_free);
  bendi_test_remove_dir (dir);
}

static void
test_alignment (void)
{
  g_autoptr (BendiGgufWriter) writer = bendi_gguf_writer_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (BendiGguf) gguf = NULL;
  const float values[4] = { 1, 2, 3, 4 };
  const gint64 ne1[1] = { 1 };
  const gint64 ne4[1] = { 4 };
  g_autoptr (GBytes) one = g_bytes_new (values, 4);
  g_autoptr (GBytes) four = g_bytes_new (values, 16);

  bendi_gguf_writer_set_alignment (writer, 256);
  bendi_gguf_writer_add_tensor (writer, "a", BENDI_TENSOR_TYPE_F32, 1, ne1, one);
  bendi_gguf_writer_add_tensor (writer, "b", BENDI_TENSOR_TYPE_F32, 1, ne4, four);
  bytes = bendi_gguf_writer_write_bytes (writer, NULL, NULL, &error);
  g_assert_no_error (error);
  gguf = bendi_gguf_new_from_bytes (bytes, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bendi_gguf_get_alignment (gguf), ==, 256);
  g_assert_cmpuint (bendi_gguf_get_data_offset (gguf) % 256, ==, 0);
  g_assert_cmpuint (bendi_gguf_find_tensor (gguf, "b")->offset, ==, 256);
  g_assert_cmpfloat (((const float *) bendi_gguf_find_tensor (gguf, "b")->data)[3], ==, 4.0f);
}

/* Lookups for model loaders name the key and say what is wrong. */
static void
test_lookup_errors (void)
{
  g_autoptr (GBytes) bytes = build_every_type (3);
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiGguf) gguf = bendi_gguf_new_from_bytes (bytes, &error);
  const BendiGgufValue *v;
  const char *s;
  gint64 i = 7;
  double d;

  g_assert_no_error (error);
  g_assert_false (bendi_gguf_get_int (gguf, "llama.block_count", TRUE, 1, 100, &i, &error));
  g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE);
  g_assert_nonnull (strstr (error->message, "'llama.block_count'"));
  g_clear_error (&error);

  g_assert_true (bendi_gguf_get_int (gguf, "llama.block_count", FALSE, 1, 100, &i, &error));
  g_assert_cmpint (i, ==, 7);

  g_assert_false (bendi_gguf_get_int (gguf, "general.architecture", TRUE, 0, 10, &i, &error));
  g_assert_nonnull (strstr (error->message, "has type string"));
  g_clear_error (&error);

  g_assert_false (bendi_gguf_get_int (gguf, "u32", TRUE, 0, 100, &i, &error));
  g_assert_nonnull (strstr (error->message, "4000000000"));
  g_clear_error (&error);

  g_assert_false (bendi_gguf_get_string (gguf, "u32", TRUE, &s, &error));
  g_assert_nonnull (strstr (error->message, "'u32'"));
  g_clear_error (&error);

  g_assert_false (bendi_gguf_get_float (gguf, "bool", TRUE, &d, &error));
  g_clear_error (&error);

  g_assert_false (bendi_gguf_get_array (gguf, "a.f32", BENDI_GGUF_TYPE_STRING, TRUE, &v, &error));
  g_assert_nonnull (strstr (error->message, "array of float32"));
  g_clear_error (&error);

  g_assert_false (bendi_gguf_get_array (gguf, "f32", BENDI_GGUF_TYPE_FLOAT32, TRUE, &v, &error));
  g_clear_error (&error);
}

/* A writer's output copied key by key through add_value is the same file. */
static void
test_copy_values (void)
{
  g_autoptr (GBytes) bytes = build_every_type (3);
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiGguf) gguf = bendi_gguf_new_from_bytes (bytes, &error);
  g_autoptr (BendiGgufWriter) writer = bendi_gguf_writer_new ();
  g_autoptr (GBytes) copy = NULL;
  g_autoptr (BendiGguf) copied = NULL;

  g_assert_no_error (error);
  for (gsize i = 0; i < bendi_gguf_get_n_kv (gguf); i++)
    bendi_gguf_writer_add_value (writer, bendi_gguf_get_key (gguf, i), bendi_gguf_get_value (gguf, i));
  for (gsize i = 0; i < bendi_gguf_get_n_tensors (gguf); i++)
    {
      const BendiGgufTensorInfo *t = bendi_gguf_get_tensor (gguf, i);
      g_autoptr (GBytes) data = g_bytes_new_static (t->data, t->n_bytes);

      bendi_gguf_writer_add_tensor (writer, t->name, t->type, t->n_dims, t->ne, data);
    }
  copy = bendi_gguf_writer_write_bytes (writer, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (copy, bytes));
  copied = bendi_gguf_new_from_bytes (copy, &error);
  g_assert_no_error (error);
  check_every_type (copied);
}

/* Writing never leaves a partial file at the destination. */
static void
test_write_file_failure (void)
{
  g_autoptr (BendiGgufWriter) writer = bendi_gguf_writer_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "m.gguf", NULL);
  g_autofree char *part = g_strconcat (path, ".part", NULL);
  const gint64 ne[1] = { 8 };

  bendi_gguf_writer_add_tensor (writer, "no-data", BENDI_TENSOR_TYPE_F32, 1, ne, NULL);
  g_assert_false (bendi_gguf_writer_write_file (writer, path, NULL, NULL, &error));
  g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_ARGUMENT);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  g_clear_error (&error);

  if (g_file_test ("/dev/full", G_FILE_TEST_EXISTS))
    {
      g_autoptr (BendiGgufWriter) big = bendi_gguf_writer_new ();

      /* A disk with no room: /dev/full as the destination's ".part". */
      bendi_gguf_writer_add_string (big, "k", "v");
      g_assert_false (bendi_gguf_writer_write_file (big, "/dev/full/x", NULL, NULL, &error));
      g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_IO);
      g_clear_error (&error);
    }
  bendi_test_remove_dir (dir);
}

/* Every value type decoded from bytes written out by hand, not by the
 * writer, so that a mistake shared by writer and reader cannot hide. */
static void
test_raw_every_type (void)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiGguf) gguf = NULL;
  const BendiGgufValue *v;
  gint64 i;
  double d;

  gguf_put_header (out, 3, 0, 17);
#define RAW_KV(key, type, value_bytes)                                  \
  G_STMT_START {                                                        \
    gguf_put_key (out, key, type);                                      \
    gguf_put_bytes (out, value_bytes, sizeof value_bytes - 1);          \
  } G_STMT_END
  RAW_KV ("u8", BENDI_GGUF_TYPE_UINT8, "\xfe");
  RAW_KV ("i8", BENDI_GGUF_TYPE_INT8, "\xfe");
  RAW_KV ("u16", BENDI_GGUF_TYPE_UINT16, "\x34\x12");
  RAW_KV ("i16", BENDI_GGUF_TYPE_INT16, "\x00\x80");
  RAW_KV ("u32", BENDI_GGUF_TYPE_UINT32, "\x78\x56\x34\x12");
  RAW_KV ("i32", BENDI_GGUF_TYPE_INT32, "\xff\xff\xff\xff");
  RAW_KV ("f32", BENDI_GGUF_TYPE_FLOAT32, "\x00\x00\xc0\x3f");  /* 0x3fc00000 */
  RAW_KV ("true", BENDI_GGUF_TYPE_BOOL, "\x01");
  RAW_KV ("false", BENDI_GGUF_TYPE_BOOL, "\x00");
  RAW_KV ("string", BENDI_GGUF_TYPE_STRING, "\x05\0\0\0\0\0\0\0h\0llo");
  RAW_KV ("u64", BENDI_GGUF_TYPE_UINT64, "\x08\x07\x06\x05\x04\x03\x02\x81");
  RAW_KV ("i64", BENDI_GGUF_TYPE_INT64, "\xfe\xff\xff\xff\xff\xff\xff\xff");
  RAW_KV ("f64", BENDI_GGUF_TYPE_FLOAT64, "\x18\x2d\x44\x54\xfb\x21\x09\x40");  /* pi */
  /* Arrays: int16 [1, -1]; uint64 [2^63]; no strings; [[], ["é"]]. */
  RAW_KV ("a.i16", BENDI_GGUF_TYPE_ARRAY, "\x03\0\0\0" "\x02\0\0\0\0\0\0\0" "\x01\x00\xff\xff");
  RAW_KV ("a.u64", BENDI_GGUF_TYPE_ARRAY, "\x0a\0\0\0" "\x01\0\0\0\0\0\0\0" "\0\0\0\0\0\0\0\x80");
  RAW_KV ("a.none", BENDI_GGUF_TYPE_ARRAY, "\x08\0\0\0" "\0\0\0\0\0\0\0\0");
  RAW_KV ("a.nested", BENDI_GGUF_TYPE_ARRAY,
          "\x09\0\0\0" "\x02\0\0\0\0\0\0\0"
          "\x00\0\0\0" "\0\0\0\0\0\0\0\0"
          "\x08\0\0\0" "\x01\0\0\0\0\0\0\0" "\x02\0\0\0\0\0\0\0\xc3\xa9");
#undef RAW_KV
  bytes = g_bytes_new (out->data, out->len);
  gguf = bendi_gguf_new_from_bytes (bytes, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bendi_gguf_get_n_kv (gguf), ==, 17);

  v = bendi_gguf_find (gguf, "u8");
  g_assert_cmpint (v->type, ==, BENDI_GGUF_TYPE_UINT8);
  g_assert_cmpuint (v->u64, ==, 254);
  g_assert_cmpint (bendi_gguf_find (gguf, "i8")->i64, ==, -2);
  g_assert_cmpuint (bendi_gguf_find (gguf, "u16")->u64, ==, 0x1234);
  g_assert_cmpint (bendi_gguf_find (gguf, "i16")->i64, ==, -32768);
  g_assert_cmpuint (bendi_gguf_find (gguf, "u32")->u64, ==, 0x12345678);
  g_assert_cmpint (bendi_gguf_find (gguf, "i32")->i64, ==, -1);
  g_assert_cmpfloat (bendi_gguf_find (gguf, "f32")->f64, ==, 1.5);
  g_assert_true (bendi_gguf_find (gguf, "true")->b);
  g_assert_false (bendi_gguf_find (gguf, "false")->b);
  v = bendi_gguf_find (gguf, "string");
  g_assert_cmpuint (v->str.len, ==, 5);
  g_assert_cmpmem (v->str.data, 6, "h\0llo", 6);  /* its own NUL kept, and one added */
  v = bendi_gguf_find (gguf, "u64");
  g_assert_cmpuint (v->u64, ==, G_GUINT64_CONSTANT (0x8102030405060708));
  g_assert_false (bendi_gguf_value_get_int64 (v, &i));
  g_assert_cmpint (bendi_gguf_find (gguf, "i64")->i64, ==, -2);
  g_assert_true (bendi_gguf_value_get_double (bendi_gguf_find (gguf, "f64"), &d));
  g_assert_cmpfloat (d, ==, 3.141592653589793);

  v = bendi_gguf_find (gguf, "a.i16");
  g_assert_cmpuint (v->arr.n, ==, 2);
  g_assert_true (bendi_gguf_array_get_int64 (v, 1, &i));
  g_assert_cmpint (i, ==, -1);
  v = bendi_gguf_find (gguf, "a.u64");
  g_assert_false (bendi_gguf_array_get_int64 (v, 0, &i));  /* 2^63 does not fit */
  v = bendi_gguf_find (gguf, "a.none");
  g_assert_cmpint (v->arr.elem_type, ==, BENDI_GGUF_TYPE_STRING);
  g_assert_cmpuint (v->arr.n, ==, 0);
  g_assert_nonnull (v->arr.strings);
  v = bendi_gguf_find (gguf, "a.nested");
  g_assert_cmpuint (v->arr.n, ==, 2);
  g_assert_cmpuint (v->arr.arrays[0].arr.n, ==, 0);
  g_assert_cmpint (v->arr.arrays[1].arr.elem_type, ==, BENDI_GGUF_TYPE_STRING);
  g_assert_cmpstr (v->arr.arrays[1].arr.strings[0].data, ==, "é");
}

static void
test_not_gguf (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = g_bytes_new_static ("PK\x03\x04 not a model", 19);
  g_autoptr (BendiGguf) gguf = bendi_gguf_new_from_bytes (bytes, &error);
  g_autoptr (GBytes) empty = g_bytes_new_static ("", 0);

  g_assert_null (gguf);
  g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE);
  g_clear_error (&error);
  gguf = bendi_gguf_new_from_bytes (empty, &error);
  g_assert_null (gguf);
  g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE);
  g_clear_error (&error);

  gguf = bendi_gguf_open ("/nonexistent/model.gguf", BENDI_GGUF_OPEN_DEFAULT, &error);
  g_assert_null (gguf);
  g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_IO);
  g_clear_error (&error);
  gguf = bendi_gguf_open ("/", BENDI_GGUF_OPEN_DEFAULT, &error);
  g_assert_null (gguf);
  g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_IO);
}

/* The real tiny model in ../shared parses and looks like a Llama. */
static void
test_stories260k (void)
{
  g_autofree char *path = bendi_test_data_path ("models/stories260K.gguf");
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiGguf) gguf = NULL;
  const char *arch = NULL;
  gint64 n_layer = 0;

  if (path == NULL)
    return;
  gguf = bendi_gguf_open (path, BENDI_GGUF_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_true (bendi_gguf_get_string (gguf, "general.architecture", TRUE, &arch, &error));
  g_assert_cmpstr (arch, ==, "llama");
  g_assert_true (bendi_gguf_get_int (gguf, "llama.block_count", TRUE, 1, 1000, &n_layer, &error));
  g_assert_cmpint (n_layer, >, 0);
  g_assert_nonnull (bendi_gguf_find_tensor (gguf, "token_embd.weight"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/gguf/every-type-v3", test_every_type_v3);
  g_test_add_func ("/engine/gguf/every-type-v2", test_every_type_v2);
  g_test_add_func ("/engine/gguf/open-file", test_open_file);
  g_test_add_func ("/engine/gguf/alignment", test_alignment);
  g_test_add_func ("/engine/gguf/lookup-errors", test_lookup_errors);
  g_test_add_func ("/engine/gguf/copy-values", test_copy_values);
  g_test_add_func ("/engine/gguf/write-file-failure", test_write_file_failure);
  g_test_add_func ("/engine/gguf/raw-every-type", test_raw_every_type);
  g_test_add_func ("/engine/gguf/not-gguf", test_not_gguf);
  g_test_add_func ("/engine/gguf/stories260k", test_stories260k);

  return g_test_run ();
}
