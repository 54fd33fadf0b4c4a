/* SPDX-License-Identifier: MIT */
/* Writes the seed corpus of fuzz-gguf: small valid files made with the GGUF
 * writer. Run once as `make-gguf-corpus tests/fuzz/corpus/fuzz-gguf` and
 * commit the output; kept buildable so the corpus can be remade. */
#include <stdio.h>
#include <stdlib.h>
#include <glib.h>

#include "gguf-builder.h"
#include "gguf/gguf-writer.h"

static void
write_corpus_file (const char *dir,
                   const char *name,
                   GBytes     *bytes)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (dir, name, NULL);
  gsize size;
  const char *data = g_bytes_get_data (bytes, &size);

  if (!g_file_set_contents (path, data, (gssize) size, &error))
    {
      fprintf (stderr, "make-gguf-corpus: %s\n", error->message);
      exit (1);
    }
  printf ("%s: %" G_GSIZE_FORMAT " bytes\n", path, size);
}

static void
add_tensor (BendiGgufWriter *writer,
            const char      *name,
            BendiTensorType  type,
            guint32          n_dims,
            const gint64    *ne,
            const guint8    *data,
            gsize            n_bytes)
{
  g_autoptr (GBytes) bytes = g_bytes_new_static (data, n_bytes);

  bendi_gguf_writer_add_tensor (writer, name, type, n_dims, ne, bytes);
}

static GBytes *
finish (BendiGgufWriter *writer)
{
  g_autoptr (GError) error = NULL;
  GBytes *bytes = bendi_gguf_writer_write_bytes (writer, NULL, NULL, &error);

  g_assert_no_error (error);
  return bytes;
}

/* One scalar of every type and one array of every scalar type. */
static GBytes *
build_every_type (void)
{
  g_autoptr (BendiGgufWriter) writer = bendi_gguf_writer_new ();
  static const guint8 raw[16] = { 1, 0, 1, 0x80, 0xff, 0x7f, 0, 0, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x80 };
  const gint64 ne[1] = { 4 };

  for (guint type = 0; type < BENDI_GGUF_TYPE_COUNT; type++)
    {
      g_autofree char *scalar_key = g_strdup_printf ("scalar.%s", bendi_gguf_type_name (type));
      g_autofree char *array_key = g_strdup_printf ("array.%s", bendi_gguf_type_name (type));
      BendiGgufValue value = { .type = type };
      gsize size = bendi_gguf_type_size (type);

      if (size == 0)
        continue;
      if (type == BENDI_GGUF_TYPE_FLOAT32 || type == BENDI_GGUF_TYPE_FLOAT64)
        value.f64 = -2.5;
      else if (type == BENDI_GGUF_TYPE_BOOL)
        value.b = TRUE;
      else if (type == BENDI_GGUF_TYPE_INT8 || type == BENDI_GGUF_TYPE_INT16 ||
               type == BENDI_GGUF_TYPE_INT32 || type == BENDI_GGUF_TYPE_INT64)
        value.i64 = -1;
      else
        value.u64 = 1;
      bendi_gguf_writer_add_value (writer, scalar_key, &value);
      /* The same 16 bytes read as elements of each type (bools as 0/1). */
      if (type == BENDI_GGUF_TYPE_BOOL)
        bendi_gguf_writer_add_array (writer, array_key, type, raw, 3);
      else
        bendi_gguf_writer_add_array (writer, array_key, type, raw, sizeof raw / size);
    }
  bendi_gguf_writer_add_string (writer, "scalar.string", "h\xc3\xa9llo");
  bendi_gguf_writer_add_string_array (writer, "array.string",
                                      (const char *const[]) { "", "a", "bc" }, 3);
  add_tensor (writer, "t", BENDI_TENSOR_TYPE_F32, 1, ne, raw, sizeof raw);
  return finish (writer);
}

/* Arrays of arrays down to the deepest level the reader accepts. */
static GBytes *
build_deep_nesting (void)
{
  g_autoptr (BendiGgufWriter) writer = bendi_gguf_writer_new ();
  BendiGgufValue levels[BENDI_GGUF_MAX_ARRAY_DEPTH] = { { 0 } };

  levels[BENDI_GGUF_MAX_ARRAY_DEPTH - 1].type = BENDI_GGUF_TYPE_ARRAY;
  levels[BENDI_GGUF_MAX_ARRAY_DEPTH - 1].arr.elem_type = BENDI_GGUF_TYPE_UINT8;
  levels[BENDI_GGUF_MAX_ARRAY_DEPTH - 1].arr.n = 2;
  levels[BENDI_GGUF_MAX_ARRAY_DEPTH - 1].arr.raw = (const guint8 *) "\x05\x06";
  for (gsize d = BENDI_GGUF_MAX_ARRAY_DEPTH - 1; d > 0; d--)
    {
      levels[d - 1].type = BENDI_GGUF_TYPE_ARRAY;
      levels[d - 1].arr.elem_type = BENDI_GGUF_TYPE_ARRAY;
      levels[d - 1].arr.n = 1;
      levels[d - 1].arr.arrays = &levels[d];
    }
  bendi_gguf_writer_add_value (writer, "deep", &levels[0]);
  return finish (writer);
}

/* Version 2, byte alignment: tensors packed with no padding. */
static GBytes *
build_packed_v2 (void)
{
  g_autoptr (BendiGgufWriter) writer = bendi_gguf_writer_new ();
  static const guint8 raw[40] = { 0 };

  bendi_gguf_writer_set_version (writer, 2);
  bendi_gguf_writer_set_alignment (writer, 1);
  add_tensor (writer, "a", BENDI_TENSOR_TYPE_I8, 1, (const gint64[]) { 3 }, raw, 3);
  add_tensor (writer, "b", BENDI_TENSOR_TYPE_F16, 2, (const gint64[]) { 1, 5 }, raw, 10);
  add_tensor (writer, "c", BENDI_TENSOR_TYPE_Q8_0, 1, (const gint64[]) { 32 }, raw, 34);
  return finish (writer);
}

static GBytes *
build_empty (void)
{
  g_autoptr (BendiGgufWriter) writer = bendi_gguf_writer_new ();

  return finish (writer);
}

int
main (int   argc,
      char *argv[])
{
  GBytes *bytes;

  if (argc != 2)
    {
      fprintf (stderr, "usage: %s DIRECTORY\n", argv[0]);
      return 2;
    }
  g_mkdir_with_parents (argv[1], 0755);

  bytes = gguf_build_small_model ();
  write_corpus_file (argv[1], "small-model", bytes);
  g_bytes_unref (bytes);
  bytes = build_every_type ();
  write_corpus_file (argv[1], "every-type", bytes);
  g_bytes_unref (bytes);
  bytes = build_deep_nesting ();
  write_corpus_file (argv[1], "deep-nesting", bytes);
  g_bytes_unref (bytes);
  bytes = build_packed_v2 ();
  write_corpus_file (argv[1], "packed-v2", bytes);
  g_bytes_unref (bytes);
  bytes = build_empty ();
  write_corpus_file (argv[1], "empty", bytes);
  g_bytes_unref (bytes);
  return 0;
}
