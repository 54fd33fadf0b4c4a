/* SPDX-License-Identifier: MIT */
/* Header-only GGUF parsing (bendi_gguf_new_from_header): what a remote peek
 * at the first bytes of a download sees, with hostile headers and prefixes. */
#include <string.h>

#include "engine-error.h"
#include "gguf-builder.h"
#include "gguf/gguf.h"
#include "test-util.h"

#define F32 BENDI_TENSOR_TYPE_F32

#define NE(...) ((const guint64[]) { __VA_ARGS__ })

static GBytes *
prefix_of (GBytes *bytes,
           gsize   n)
{
  return g_bytes_new_from_bytes (bytes, 0, n);
}

/* The prefix up to the data section holds everything a header parse needs;
 * what it gives matches a full parse, without tensor data. */
static void
test_matches_full_parse (void)
{
  g_autoptr (GBytes) bytes = gguf_build_small_model ();
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiGguf) full = bendi_gguf_new_from_bytes (bytes, &error);
  g_autoptr (BendiGguf) header = NULL;
  g_autoptr (GBytes) prefix = NULL;
  guint64 needed = 99;

  g_assert_no_error (error);
  prefix = prefix_of (bytes, bendi_gguf_get_data_offset (full));
  header = bendi_gguf_new_from_header (prefix, g_bytes_get_size (bytes), &needed, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (needed, ==, 0);
  g_assert_true (bendi_gguf_is_header_only (header));
  g_assert_false (bendi_gguf_is_header_only (full));
  g_assert_cmpuint (bendi_gguf_get_file_size (header), ==, g_bytes_get_size (bytes));
  g_assert_cmpuint (bendi_gguf_get_data_offset (header), ==, bendi_gguf_get_data_offset (full));
  g_assert_cmpuint (bendi_gguf_get_alignment (header), ==, bendi_gguf_get_alignment (full));
  g_assert_cmpuint (bendi_gguf_get_n_kv (header), ==, bendi_gguf_get_n_kv (full));
  for (gsize i = 0; i < bendi_gguf_get_n_kv (full); i++)
    g_assert_cmpstr (bendi_gguf_get_key (header, i), ==, bendi_gguf_get_key (full, i));
  g_assert_cmpuint (bendi_gguf_get_n_tensors (header), ==, bendi_gguf_get_n_tensors (full));
  g_assert_cmpuint (bendi_gguf_get_n_tensors (full), >, 0);
  for (gsize i = 0; i < bendi_gguf_get_n_tensors (full); i++)
    {
      const BendiGgufTensorInfo *a = bendi_gguf_get_tensor (full, i);
      const BendiGgufTensorInfo *b = bendi_gguf_get_tensor (header, i);

      g_assert_cmpstr (a->name, ==, b->name);
      g_assert_cmpint (a->type, ==, b->type);
      g_assert_cmpuint (a->offset, ==, b->offset);
      g_assert_cmpuint (a->n_bytes, ==, b->n_bytes);
      g_assert_cmpmem (a->ne, sizeof a->ne, b->ne, sizeof b->ne);
      g_assert_nonnull (a->data);
      g_assert_null (b->data);
    }
  g_assert_nonnull (bendi_gguf_find_tensor (header, bendi_gguf_get_tensor (full, 0)->name));

  /* The whole file as the prefix is fine too, and still has no data. */
  g_clear_pointer (&header, bendi_gguf_free);
  header = bendi_gguf_new_from_header (bytes, g_bytes_get_size (bytes), NULL, &error);
  g_assert_no_error (error);
  g_assert_null (bendi_gguf_get_tensor (header, 0)->data);
}

/* Every prefix shorter than the header is INCOMPLETE, never INVALID, and the
 * bytes it asks for are more than it has and no more than the header holds,
 * so a caller that fetches what it is told always makes progress. */
static void
test_every_short_prefix (void)
{
  g_autoptr (GBytes) bytes = gguf_build_small_model ();
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiGguf) full = bendi_gguf_new_from_bytes (bytes, &error);
  gsize header_end;
  gsize file_size = g_bytes_get_size (bytes);
  gsize first_ok = G_MAXSIZE;

  g_assert_no_error (error);
  header_end = bendi_gguf_get_data_offset (full);
  for (gsize n = 0; n <= header_end; n++)
    {
      g_autoptr (GBytes) prefix = prefix_of (bytes, n);
      g_autoptr (BendiGguf) gguf = NULL;
      guint64 needed = 0;

      gguf = bendi_gguf_new_from_header (prefix, file_size, &needed, &error);
      if (gguf != NULL)
        {
          g_assert_no_error (error);
          first_ok = MIN (first_ok, n);
          continue;
        }
      g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INCOMPLETE);
      g_assert_cmpuint (first_ok, ==, G_MAXSIZE);
      g_assert_cmpuint (needed, >, n);
      g_assert_cmpuint (needed, <=, header_end);
      g_clear_error (&error);
    }
  /* Padding before the data section is not needed to parse. */
  g_assert_cmpuint (first_ok, <=, header_end);

  /* Fetching what is asked for, from nothing, reaches a parse. */
  {
    guint64 have = 0;
    guint rounds = 0;

    for (;;)
      {
        g_autoptr (GBytes) prefix = prefix_of (bytes, (gsize) have);
        g_autoptr (BendiGguf) gguf = NULL;
        guint64 needed = 0;

        gguf = bendi_gguf_new_from_header (prefix, file_size, &needed, &error);
        rounds++;
        if (gguf != NULL)
          break;
        g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INCOMPLETE);
        g_clear_error (&error);
        g_assert_cmpuint (needed, >, have);
        have = needed;
        g_assert_cmpuint (rounds, <, 10000);
      }
    g_assert_cmpuint (have, <=, header_end);
  }
}

/* Tensor placement is checked against the declared size: one byte less than
 * the real file puts the last tensor past the end. */
static void
test_declared_size (void)
{
  g_autoptr (GBytes) bytes = gguf_build_small_model ();
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiGguf) full = bendi_gguf_new_from_bytes (bytes, &error);
  g_autoptr (BendiGguf) gguf = NULL;
  g_autoptr (GBytes) prefix = NULL;
  gsize data_end = 0;

  g_assert_no_error (error);
  prefix = prefix_of (bytes, bendi_gguf_get_data_offset (full));
  for (gsize i = 0; i < bendi_gguf_get_n_tensors (full); i++)
    {
      const BendiGgufTensorInfo *t = bendi_gguf_get_tensor (full, i);

      data_end = MAX (data_end, bendi_gguf_get_data_offset (full) + t->offset + t->n_bytes);
    }

  /* Exactly the end of the last tensor is enough... */
  gguf = bendi_gguf_new_from_header (prefix, data_end, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&gguf, bendi_gguf_free);

  /* ... one byte less is not. */
  gguf = bendi_gguf_new_from_header (prefix, data_end - 1, NULL, &error);
  g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE);
  g_assert_nonnull (strstr (error->message, "extend past the end of the file"));
  g_assert_null (gguf);
  g_clear_error (&error);

  /* A prefix longer than the file it claims to start is the caller's bug. */
  gguf = bendi_gguf_new_from_header (bytes, g_bytes_get_size (bytes) - 1, NULL, &error);
  g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_ARGUMENT);
  g_assert_null (gguf);
  g_clear_error (&error);

  /* An empty file and a file that is not GGUF. */
  {
    g_autoptr (GBytes) empty = g_bytes_new (NULL, 0);
    g_autoptr (GBytes) text = g_bytes_new_static ("<html>", 6);

    gguf = bendi_gguf_new_from_header (empty, 0, NULL, &error);
    g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE);
    g_clear_error (&error);
    gguf = bendi_gguf_new_from_header (text, 1000, NULL, &error);
    g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE);
    g_clear_error (&error);
    g_assert_null (gguf);
  }
}

/* A file that claims to be enormous may claim enormous counts, which the
 * declared size alone would allow: the parse must ask for more bytes rather
 * than allocate for them. Counts the declared size cannot hold are invalid. */
static void
test_hostile_counts (void)
{
  const guint64 huge_file = G_GUINT64_CONSTANT (1) << 50;
  struct {
    guint64  n_tensors;
    guint64  n_kv;
    guint64  file_size;
    gint     code;
  } cases[] = {
    { 0, G_GUINT64_CONSTANT (1) << 40, huge_file, BENDI_ENGINE_ERROR_INCOMPLETE },
    { G_GUINT64_CONSTANT (1) << 40, 0, huge_file, BENDI_ENGINE_ERROR_INCOMPLETE },
    { 0, G_GUINT64_CONSTANT (1) << 60, huge_file, BENDI_ENGINE_ERROR_INVALID_FILE },
    { G_MAXUINT64, 0, huge_file, BENDI_ENGINE_ERROR_INVALID_FILE },
    { 0, G_MAXUINT64, G_MAXSIZE, BENDI_ENGINE_ERROR_INVALID_FILE },
    { 1000, 0, 1000, BENDI_ENGINE_ERROR_INVALID_FILE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GByteArray) out = g_byte_array_new ();
      g_autoptr (GBytes) prefix = NULL;
      g_autoptr (GError) error = NULL;
      g_autoptr (BendiGguf) gguf = NULL;
      guint64 needed = 0;

      gguf_put_header (out, 3, cases[i].n_tensors, cases[i].n_kv);
      gguf_put_zeros (out, 64);
      prefix = g_byte_array_free_to_bytes (g_steal_pointer (&out));
      gguf = bendi_gguf_new_from_header (prefix, cases[i].file_size, &needed, &error);
      g_assert_null (gguf);
      g_assert_error (error, BENDI_ENGINE_ERROR, cases[i].code);
      if (cases[i].code == BENDI_ENGINE_ERROR_INCOMPLETE)
        g_assert_cmpuint (needed, >, g_bytes_get_size (prefix));
    }
}

/* A tensor placed past the declared end, or overlapping another, is refused
 * as in a full parse, though its bytes are nowhere at hand. */
static void
test_hostile_tensors (void)
{
  struct {
    guint64     offset_b;
    guint64     file_size;
    const char *message;
  } cases[] = {
    { 32, 1 << 20, NULL },
    { 0, 1 << 20, "overlaps" },
    { G_GUINT64_CONSTANT (1) << 40, 1 << 20, "extend past the end" },
    { G_MAXUINT64 - 31, 1 << 20, NULL },  /* misaligned */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GByteArray) out = g_byte_array_new ();
      g_autoptr (GBytes) prefix = NULL;
      g_autoptr (GError) error = NULL;
      g_autoptr (BendiGguf) gguf = NULL;

      gguf_put_header (out, 3, 2, 0);
      gguf_put_tensor_info (out, "a", 1, NE (8), F32, 0);
      gguf_put_tensor_info (out, "b", 1, NE (8), F32, cases[i].offset_b);
      prefix = g_byte_array_free_to_bytes (g_steal_pointer (&out));
      gguf = bendi_gguf_new_from_header (prefix, cases[i].file_size, NULL, &error);
      if (i == 0)
        {
          g_assert_no_error (error);
          g_assert_cmpuint (bendi_gguf_get_data_offset (gguf), ==, 96);
          continue;
        }
      g_assert_null (gguf);
      g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE);
      if (cases[i].message != NULL)
        g_assert_nonnull (strstr (error->message, cases[i].message));
    }
}

/* Flipping any byte of the header: a header parse of the whole file gives
 * the same verdict and message as a full parse, and a header parse of the
 * old header's length gives that verdict too or asks for more bytes. */
static void
test_byte_flips (void)
{
  g_autoptr (GBytes) bytes = gguf_build_small_model ();
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiGguf) original = bendi_gguf_new_from_bytes (bytes, &error);
  gsize header_end;
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);

  g_assert_no_error (error);
  header_end = bendi_gguf_get_data_offset (original);
  for (gsize pos = 0; pos < header_end; pos++)
    for (guint bit = 0; bit < 8; bit += 3)
      {
        g_autofree guint8 *copy = g_memdup2 (data, size);
        g_autoptr (GBytes) mutated = NULL;
        g_autoptr (GBytes) prefix = NULL;
        g_autoptr (GError) full_error = NULL;
        g_autoptr (GError) whole_error = NULL;
        g_autoptr (GError) prefix_error = NULL;
        g_autoptr (BendiGguf) full = NULL;
        g_autoptr (BendiGguf) whole = NULL;
        g_autoptr (BendiGguf) head = NULL;

        copy[pos] ^= (guint8) (1u << bit);
        mutated = g_bytes_new (copy, size);
        prefix = prefix_of (mutated, header_end);
        full = bendi_gguf_new_from_bytes (mutated, &full_error);
        whole = bendi_gguf_new_from_header (mutated, size, NULL, &whole_error);
        head = bendi_gguf_new_from_header (prefix, size, NULL, &prefix_error);

        g_assert_true ((full == NULL) == (whole == NULL));
        if (full == NULL)
          {
            g_assert_cmpint (full_error->code, ==, whole_error->code);
            g_assert_cmpstr (full_error->message, ==, whole_error->message);
            if (head != NULL)
              g_assert_not_reached ();
            if (!g_error_matches (prefix_error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INCOMPLETE))
              g_assert_cmpstr (prefix_error->message, ==, full_error->message);
          }
        else
          {
            g_assert_cmpuint (bendi_gguf_get_n_tensors (full), ==, bendi_gguf_get_n_tensors (whole));
            if (head != NULL)
              g_assert_cmpuint (bendi_gguf_get_n_kv (head), ==, bendi_gguf_get_n_kv (full));
            else
              g_assert_error (prefix_error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INCOMPLETE);
          }
      }
}

/* The real model in shared/, if present: its header alone is enough. */
static void
test_real_model (void)
{
  g_autofree char *path = bendi_test_data_path ("models/stories260K.gguf");
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiGguf) full = NULL;
  g_autoptr (BendiGguf) header = NULL;
  g_autoptr (GBytes) prefix = NULL;
  g_autofree char *contents = NULL;
  gsize size;

  if (path == NULL)
    return;
  g_assert_true (g_file_get_contents (path, &contents, &size, &error));
  full = bendi_gguf_open (path, BENDI_GGUF_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  prefix = g_bytes_new (contents, bendi_gguf_get_data_offset (full));
  header = bendi_gguf_new_from_header (prefix, size, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bendi_gguf_get_n_tensors (header), ==, bendi_gguf_get_n_tensors (full));
  g_assert_nonnull (bendi_gguf_find (header, "general.architecture"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/gguf-header/matches-full-parse", test_matches_full_parse);
  g_test_add_func ("/engine/gguf-header/every-short-prefix", test_every_short_prefix);
  g_test_add_func ("/engine/gguf-header/declared-size", test_declared_size);
  g_test_add_func ("/engine/gguf-header/hostile-counts", test_hostile_counts);
  g_test_add_func ("/engine/gguf-header/hostile-tensors", test_hostile_tensors);
  g_test_add_func ("/engine/gguf-header/byte-flips", test_byte_flips);
  g_test_add_func ("/engine/gguf-header/real-model", test_real_model);

  return g_test_run ();
}
