/* SPDX-License-Identifier: MIT */
/* Test-only GGUF construction: raw fields for malformed files, a small model from the writer. */
#include "gguf-builder.h"

#include <string.h>

#include "gguf/gguf-writer.h"

void
gguf_put_u8 (GByteArray *out,
             guint8      value)
{
  g_byte_array_append (out, &value, 1);
}

void
gguf_put_u32 (GByteArray *out,
              guint32     value)
{
  guint8 le[4];

  for (guint i = 0; i < 4; i++)
    le[i] = (guint8) (value >> (8 * i));
  g_byte_array_append (out, le, 4);
}

void
gguf_put_u64 (GByteArray *out,
              guint64     value)
{
  guint8 le[8];

  for (guint i = 0; i < 8; i++)
    le[i] = (guint8) (value >> (8 * i));
  g_byte_array_append (out, le, 8);
}

void
gguf_put_bytes (GByteArray *out,
                const void *data,
                gsize       n)
{
  g_assert_cmpuint (n, <=, G_MAXUINT);
  if (n > 0)
    g_byte_array_append (out, data, (guint) n);
}

void
gguf_put_zeros (GByteArray *out,
                gsize       n)
{
  g_assert_cmpuint (n, <=, G_MAXUINT - out->len);
  g_byte_array_set_size (out, out->len + (guint) n);
  memset (out->data + out->len - n, 0, n);
}

void
gguf_put_string (GByteArray *out,
                 const char *s)
{
  gguf_put_string_len (out, strlen (s), s, strlen (s));
}

void
gguf_put_string_len (GByteArray *out,
                     guint64     claimed_len,
                     const void *data,
                     gsize       n)
{
  gguf_put_u64 (out, claimed_len);
  gguf_put_bytes (out, data, n);
}

void
gguf_put_header (GByteArray *out,
                 guint32     version,
                 guint64     n_tensors,
                 guint64     n_kv)
{
  gguf_put_bytes (out, BENDI_GGUF_MAGIC, 4);
  gguf_put_u32 (out, version);
  gguf_put_u64 (out, n_tensors);
  gguf_put_u64 (out, n_kv);
}

void
gguf_put_key (GByteArray    *out,
              const char    *key,
              BendiGgufType  type)
{
  gguf_put_string (out, key);
  gguf_put_u32 (out, type);
}

void
gguf_put_kv_u32 (GByteArray *out,
                 const char *key,
                 guint32     value)
{
  gguf_put_key (out, key, BENDI_GGUF_TYPE_UINT32);
  gguf_put_u32 (out, value);
}

void
gguf_put_kv_string (GByteArray *out,
                    const char *key,
                    const char *value)
{
  gguf_put_key (out, key, BENDI_GGUF_TYPE_STRING);
  gguf_put_string (out, value);
}

void
gguf_put_array_header (GByteArray *out,
                       guint32     elem_type,
                       guint64     n)
{
  gguf_put_u32 (out, elem_type);
  gguf_put_u64 (out, n);
}

void
gguf_put_tensor_info (GByteArray    *out,
                      const char    *name,
                      guint32        n_dims,
                      const guint64 *ne,
                      guint32        type,
                      guint64        offset)
{
  gguf_put_string (out, name);
  gguf_put_u32 (out, n_dims);
  for (guint32 d = 0; d < n_dims; d++)
    gguf_put_u64 (out, ne[d]);
  gguf_put_u32 (out, type);
  gguf_put_u64 (out, offset);
}

void
gguf_put_padding (GByteArray *out,
                  gsize       alignment)
{
  gguf_put_zeros (out, (alignment - out->len % alignment) % alignment);
}

/* ------------------------------------------------------------------------ */

static void
add_patterned_tensor (BendiGgufWriter *writer,
                      const char      *name,
                      BendiTensorType  type,
                      guint32          n_dims,
                      const gint64    *ne)
{
  g_autoptr (GBytes) data = NULL;
  gsize row_bytes;
  gsize n_rows = 1;
  guint8 *bytes;
  gsize n_bytes;

  g_assert_true (bendi_tensor_type_row_bytes (type, ne[0], &row_bytes));
  for (guint32 d = 1; d < n_dims; d++)
    n_rows *= (gsize) ne[d];
  n_bytes = row_bytes * n_rows;
  bytes = g_malloc (n_bytes);
  for (gsize i = 0; i < n_bytes; i++)
    bytes[i] = (guint8) (i * 37 + type);
  data = g_bytes_new_take (bytes, n_bytes);
  bendi_gguf_writer_add_tensor (writer, name, type, n_dims, ne, data);
}

GBytes *
gguf_build_small_model (void)
{
  g_autoptr (BendiGgufWriter) writer = bendi_gguf_writer_new ();
  g_autoptr (GError) error = NULL;
  static const char *const tokens[] = {
    "<unk>", "<s>", "</s>", "\xe2\x96\x81", "a", "b", "c", "ab", "bc", "abc",
    ("\xe2\x96\x81" "a"), "\xe4\xb8\x96", "\xe7\x95\x8c", "<0x0A>", "",
  };
  static const char *const merges[] = { "a b", "b c", "ab c", "\xe2\x96\x81 a" };
  float scores[G_N_ELEMENTS (tokens)];
  gint32 token_types[G_N_ELEMENTS (tokens)];
  const gint64 head_dims[] = { 4, 4, 2 };
  BendiGgufValue inner[3] = { 0 };
  BendiGgufValue deepest = { 0 };
  BendiGgufValue nested = { 0 };
  const BendiGgufString pair[] = { { "x", 1 }, { "yz", 2 } };
  GBytes *bytes;

  for (gsize i = 0; i < G_N_ELEMENTS (tokens); i++)
    {
      scores[i] = -(float) i;
      token_types[i] = i < 3 ? 3 : 1;
    }

  bendi_gguf_writer_set_alignment (writer, 64);
  bendi_gguf_writer_add_string (writer, "general.architecture", "llama");
  bendi_gguf_writer_add_string (writer, "general.name", "small test model");
  bendi_gguf_writer_add_uint32 (writer, "llama.block_count", 2);
  bendi_gguf_writer_add_uint32 (writer, "llama.context_length", 64);
  bendi_gguf_writer_add_uint64 (writer, "llama.embedding_length", 8);
  bendi_gguf_writer_add_int32 (writer, "llama.rope.dimension_count", -1);
  bendi_gguf_writer_add_float32 (writer, "llama.rope.freq_base", 10000.0f);
  bendi_gguf_writer_add_bool (writer, "tokenizer.ggml.add_bos_token", TRUE);
  bendi_gguf_writer_add_string (writer, "tokenizer.ggml.model", "llama");
  bendi_gguf_writer_add_string_array (writer, "tokenizer.ggml.tokens", tokens, G_N_ELEMENTS (tokens));
  bendi_gguf_writer_add_array (writer, "tokenizer.ggml.scores", BENDI_GGUF_TYPE_FLOAT32,
                               scores, G_N_ELEMENTS (scores));
  bendi_gguf_writer_add_array (writer, "tokenizer.ggml.token_type", BENDI_GGUF_TYPE_INT32,
                               token_types, G_N_ELEMENTS (token_types));
  bendi_gguf_writer_add_string_array (writer, "tokenizer.ggml.merges", merges, G_N_ELEMENTS (merges));
  bendi_gguf_writer_add_array (writer, "llama.head_dims", BENDI_GGUF_TYPE_INT64,
                               head_dims, G_N_ELEMENTS (head_dims));

  /* [[u16 1, 2], ["x", "yz"], [[]]]: arrays of arrays, three levels deep. */
  deepest.type = BENDI_GGUF_TYPE_ARRAY;
  deepest.arr.elem_type = BENDI_GGUF_TYPE_UINT8;
  inner[0].type = BENDI_GGUF_TYPE_ARRAY;
  inner[0].arr.elem_type = BENDI_GGUF_TYPE_UINT16;
  inner[0].arr.n = 2;
  inner[0].arr.raw = (const guint8 *) "\x01\x00\x02\x00";
  inner[1].type = BENDI_GGUF_TYPE_ARRAY;
  inner[1].arr.elem_type = BENDI_GGUF_TYPE_STRING;
  inner[1].arr.n = G_N_ELEMENTS (pair);
  inner[1].arr.strings = pair;
  inner[2].type = BENDI_GGUF_TYPE_ARRAY;
  inner[2].arr.elem_type = BENDI_GGUF_TYPE_ARRAY;
  inner[2].arr.n = 1;
  inner[2].arr.arrays = &deepest;
  nested.type = BENDI_GGUF_TYPE_ARRAY;
  nested.arr.elem_type = BENDI_GGUF_TYPE_ARRAY;
  nested.arr.n = G_N_ELEMENTS (inner);
  nested.arr.arrays = inner;
  bendi_gguf_writer_add_value (writer, "test.nested", &nested);

  add_patterned_tensor (writer, "token_embd.weight", BENDI_TENSOR_TYPE_F32, 2, (const gint64[]) { 8, 15 });
  add_patterned_tensor (writer, "output_norm.weight", BENDI_TENSOR_TYPE_F16, 1, (const gint64[]) { 8 });
  add_patterned_tensor (writer, "blk.0.attn_norm.weight", BENDI_TENSOR_TYPE_BF16, 3, (const gint64[]) { 2, 2, 2 });
  add_patterned_tensor (writer, "blk.0.attn_q.weight", BENDI_TENSOR_TYPE_Q4_0, 2, (const gint64[]) { 32, 2 });
  add_patterned_tensor (writer, "blk.0.ffn_up.weight", BENDI_TENSOR_TYPE_Q8_0, 1, (const gint64[]) { 64 });
  add_patterned_tensor (writer, "blk.1.ffn_down.weight", BENDI_TENSOR_TYPE_Q4_K, 1, (const gint64[]) { 256 });
  add_patterned_tensor (writer, "rope_freqs", BENDI_TENSOR_TYPE_I8, 4, (const gint64[]) { 3, 1, 1, 2 });

  bytes = bendi_gguf_writer_write_bytes (writer, NULL, NULL, &error);
  g_assert_no_error (error);
  return bytes;
}
