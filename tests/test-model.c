/* SPDX-License-Identifier: MIT */
/* Loading models and the fast forward pass against the f32 reference, for every architecture. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "engine-error.h"
#include "gguf/gguf-writer.h"
#include "model/context.h"
#include "model/forward-reference.h"
#include "vulkan/vk-device.h"
#include "test-model-util.h"
#include "test-util.h"

static const BendiToken sequence[] = { 1, 270, 290, 12, 280, 291, 66, 285, 270, 99, 286, 2, 260, 261 };
#define N_SEQUENCE ((gint64) G_N_ELEMENTS (sequence))

static BendiContext *
context_new (BendiModel *model,
             gint64      n_batch,
             int         n_threads)
{
  g_autoptr (GError) error = NULL;
  BendiContextParams params;
  BendiContext *context;

  bendi_context_params_init (&params);
  params.n_ctx = 64;
  params.n_batch = n_batch;
  params.n_threads = n_threads;
  context = bendi_context_new (model, &params, &error);
  g_assert_no_error (error);
  return context;
}

typedef struct {
  const char     *name;
  BendiArch       arch;
  BendiTensorType type;
  gint64          n_embd;
  gint64          n_ff;
  double          tolerance;   /* relative RMS error of the logits */
} ForwardCase;

/* The fast path differs from the reference by the F16 KV cache (errors of a
 * few parts in ten thousand) and, for quantised weights, by activations
 * rounded to 8 bits before each product, as llama.cpp does: about 0.5% per
 * product, which these random, untrained models amplify to 2–4% in the
 * logits. A wrong kernel, layout or RoPE gives errors near 100%. Kernels are
 * checked one by one, tightly, in test-matmul. */
static const ForwardCase forward_cases[] = {
  { "llama-f32",  BENDI_ARCH_LLAMA, BENDI_TENSOR_TYPE_F32,  64,  128, 0.003 },
  { "qwen2-f32",  BENDI_ARCH_QWEN2, BENDI_TENSOR_TYPE_F32,  64,  128, 0.003 },
  { "qwen3-f32",  BENDI_ARCH_QWEN3, BENDI_TENSOR_TYPE_F32,  64,  128, 0.003 },
  { "llama-f16",  BENDI_ARCH_LLAMA, BENDI_TENSOR_TYPE_F16,  64,  96,  0.005 },
  { "llama-q8_0", BENDI_ARCH_LLAMA, BENDI_TENSOR_TYPE_Q8_0, 64,  128, 0.06 },
  { "qwen2-q4_0", BENDI_ARCH_QWEN2, BENDI_TENSOR_TYPE_Q4_0, 128, 256, 0.06 },
  { "qwen3-q4_1", BENDI_ARCH_QWEN3, BENDI_TENSOR_TYPE_Q4_1, 128, 256, 0.06 },
  { "llama-q4_k", BENDI_ARCH_LLAMA, BENDI_TENSOR_TYPE_Q4_K, 256, 512, 0.06 },
  { "qwen3-q6_k", BENDI_ARCH_QWEN3, BENDI_TENSOR_TYPE_Q6_K, 256, 512, 0.06 },
};

static void
test_fast_matches_reference (gconstpointer data)
{
  const ForwardCase *fc = data;
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *path = NULL;
  g_autoptr (BendiModel) reference_model = NULL;
  g_autoptr (BendiModel) fast_model = NULL;
  g_autoptr (BendiReferenceState) reference = NULL;
  g_autoptr (BendiContext) context = NULL;
  g_autoptr (GError) error = NULL;
  BendiModelMakerParams params;
  gint64 n_vocab;

  bendi_model_maker_params_init (&params);
  params.arch = fc->arch;
  params.type = fc->type;
  params.n_embd = fc->n_embd;
  params.n_ff = fc->n_ff;
  params.n_head = fc->n_embd / 16;
  params.n_head_kv = params.n_head / 2;
  params.n_layer = 3;
  params.seed = 7;
  path = bendi_test_make_model (dir, "model.gguf", &params);

  reference_model = bendi_test_load_model (path, FALSE);
  fast_model = bendi_test_load_model (path, TRUE);
  n_vocab = bendi_model_get_config (reference_model)->n_vocab;
  reference = bendi_reference_state_new (reference_model, 64, &error);
  g_assert_no_error (error);
  context = context_new (fast_model, 0, 2);

  /* the whole sequence in one batch, against the reference token by token */
  g_assert_true (bendi_context_decode (context, sequence, N_SEQUENCE, TRUE, &error));
  g_assert_no_error (error);
  for (gint64 t = 0; t < N_SEQUENCE; t++)
    {
      const float *expected = bendi_reference_forward (reference, sequence[t], t);
      const float *got = bendi_context_get_logits (context, t);
      double err = bendi_test_relative_rms_error (got, expected, n_vocab);

      if (err > fc->tolerance)
        g_error ("%s: position %" G_GINT64_FORMAT ": relative error %.5f > %.5f", fc->name, t, err, fc->tolerance);
    }
  bendi_test_remove_dir (dir);
}

/* Batched, token-by-token, split into small batches, with 1 or 3 threads:
 * the same numbers up to summation order. */
static void
test_batching_consistent (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *path = NULL;
  g_autoptr (BendiModel) model = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree float *batched = NULL;
  BendiModelMakerParams params;
  gint64 n_vocab;
  const struct { gint64 n_batch; int n_threads; } variants[] = { { 1, 1 }, { 5, 3 }, { 512, 1 }, { 3, 2 } };

  bendi_model_maker_params_init (&params);
  params.type = BENDI_TENSOR_TYPE_Q8_0;
  path = bendi_test_make_model (dir, "model.gguf", &params);
  model = bendi_test_load_model (path, TRUE);
  n_vocab = bendi_model_get_config (model)->n_vocab;

  {
    g_autoptr (BendiContext) context = context_new (model, 0, 2);

    g_assert_true (bendi_context_decode (context, sequence, N_SEQUENCE, TRUE, &error));
    batched = g_memdup2 (bendi_context_get_logits (context, 0), sizeof (float) * n_vocab * N_SEQUENCE);
  }
  for (gsize v = 0; v < G_N_ELEMENTS (variants); v++)
    {
      g_autoptr (BendiContext) context = context_new (model, variants[v].n_batch, variants[v].n_threads);

      if (variants[v].n_batch == 1)
        {
          /* one decode call per token, like generation */
          for (gint64 t = 0; t < N_SEQUENCE; t++)
            {
              g_assert_true (bendi_context_decode (context, &sequence[t], 1, FALSE, &error));
              g_assert_cmpfloat (bendi_test_relative_rms_error (bendi_context_get_logits (context, -1),
                                                                batched + t * n_vocab, n_vocab), <, 1e-4);
            }
        }
      else
        {
          g_assert_true (bendi_context_decode (context, sequence, N_SEQUENCE, TRUE, &error));
          for (gint64 t = 0; t < N_SEQUENCE; t++)
            g_assert_cmpfloat (bendi_test_relative_rms_error (bendi_context_get_logits (context, t),
                                                              batched + t * n_vocab, n_vocab), <, 1e-4);
        }
      g_assert_no_error (error);
    }
  bendi_test_remove_dir (dir);
}

/* Truncating the cache and running the tail again gives the same logits:
 * what a chat session does to reuse a common prefix. */
static void
test_truncate_reuse (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *path = bendi_test_make_model (dir, "model.gguf", NULL);
  g_autoptr (BendiModel) model = bendi_test_load_model (path, TRUE);
  g_autoptr (BendiContext) context = context_new (model, 0, 2);
  g_autoptr (GError) error = NULL;
  gint64 n_vocab = bendi_model_get_config (model)->n_vocab;
  g_autofree float *first = NULL;

  g_assert_true (bendi_context_decode (context, sequence, N_SEQUENCE, TRUE, &error));
  first = g_memdup2 (bendi_context_get_logits (context, 0), sizeof (float) * n_vocab * N_SEQUENCE);
  bendi_context_truncate (context, 6);
  g_assert_cmpint (bendi_context_get_n_past (context), ==, 6);
  g_assert_true (bendi_context_decode (context, sequence + 6, N_SEQUENCE - 6, TRUE, &error));
  g_assert_no_error (error);
  for (gint64 t = 6; t < N_SEQUENCE; t++)
    g_assert_cmpfloat (bendi_test_relative_rms_error (bendi_context_get_logits (context, t - 6),
                                                      first + t * n_vocab, n_vocab), <, 1e-5);
  bendi_test_remove_dir (dir);
}

static gboolean
abort_at_once (gpointer user_data G_GNUC_UNUSED)
{
  return TRUE;
}

static void
test_decode_errors (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *path = bendi_test_make_model (dir, "model.gguf", NULL);
  g_autoptr (BendiModel) model = bendi_test_load_model (path, TRUE);
  g_autoptr (BendiContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree BendiToken *many = g_new0 (BendiToken, 65);
  BendiToken bad[2] = { 1, 100000 };
  BendiToken negative = -1;

  context = context_new (model, 0, 2);
  g_assert_false (bendi_context_decode (context, many, 65, FALSE, &error));
  g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_CONTEXT_FULL);
  g_clear_error (&error);
  g_assert_false (bendi_context_decode (context, bad, 2, FALSE, &error));
  g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_false (bendi_context_decode (context, &negative, 1, FALSE, &error));
  g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_cmpint (bendi_context_get_n_past (context), ==, 0);

  /* an abort leaves the cache as it was */
  g_assert_true (bendi_context_decode (context, sequence, 4, FALSE, &error));
  bendi_context_set_abort_func (context, abort_at_once, NULL);
  g_assert_false (bendi_context_decode (context, sequence + 4, 4, FALSE, &error));
  g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_CANCELLED);
  g_assert_cmpint (bendi_context_get_n_past (context), ==, 4);
  bendi_test_remove_dir (dir);
}

/* ------------------------------------------------------------------------ */
/* Models that must be refused, each with a message naming what is wrong. */

typedef void (*Mutation) (BendiGgufWriter *writer, const BendiGguf *source, const char *key, gsize index);

/* Rewrites the model at @path through @mutate, which sees every key and
 * tensor (index G_MAXSIZE for keys) and writes them or something else. */
static char *
rewrite_model (const char *dir,
               const char *path,
               Mutation    mutate_key,
               Mutation    mutate_tensor)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiGguf) source = bendi_gguf_open (path, BENDI_GGUF_OPEN_DEFAULT, &error);
  g_autoptr (BendiGgufWriter) writer = bendi_gguf_writer_new ();
  char *out = g_build_filename (dir, "mutated.gguf", NULL);

  g_assert_no_error (error);
  for (gsize i = 0; i < bendi_gguf_get_n_kv (source); i++)
    mutate_key (writer, source, bendi_gguf_get_key (source, i), i);
  for (gsize i = 0; i < bendi_gguf_get_n_tensors (source); i++)
    mutate_tensor (writer, source, bendi_gguf_get_tensor (source, i)->name, i);
  g_assert_true (bendi_gguf_writer_write_file (writer, out, NULL, NULL, &error));
  return out;
}

static void
copy_key (BendiGgufWriter *writer,
          const BendiGguf *source,
          const char      *key,
          gsize            index)
{
  bendi_gguf_writer_add_value (writer, key, bendi_gguf_get_value (source, index));
}

static void
copy_tensor (BendiGgufWriter *writer,
             const BendiGguf *source,
             const char      *name G_GNUC_UNUSED,
             gsize            index)
{
  const BendiGgufTensorInfo *t = bendi_gguf_get_tensor (source, index);
  g_autoptr (GBytes) data = g_bytes_new (t->data, t->n_bytes);

  bendi_gguf_writer_add_tensor (writer, t->name, t->type, t->n_dims, t->ne, data);
}

static void
key_unknown_arch (BendiGgufWriter *writer,
                  const BendiGguf *source,
                  const char      *key,
                  gsize            index)
{
  if (g_str_equal (key, "general.architecture"))
    bendi_gguf_writer_add_string (writer, key, "mamba");
  else
    copy_key (writer, source, key, index);
}

static void
key_drop_block_count (BendiGgufWriter *writer,
                      const BendiGguf *source,
                      const char      *key,
                      gsize            index)
{
  if (!g_str_equal (key, "llama.block_count"))
    copy_key (writer, source, key, index);
}

static void
key_block_count_string (BendiGgufWriter *writer,
                        const BendiGguf *source,
                        const char      *key,
                        gsize            index)
{
  if (g_str_equal (key, "llama.block_count"))
    bendi_gguf_writer_add_string (writer, key, "two");
  else
    copy_key (writer, source, key, index);
}

static void
key_bad_kv_heads (BendiGgufWriter *writer,
                  const BendiGguf *source,
                  const char      *key,
                  gsize            index)
{
  if (g_str_equal (key, "llama.attention.head_count_kv"))
    bendi_gguf_writer_add_uint32 (writer, key, 3);
  else
    copy_key (writer, source, key, index);
}

static void
tensor_drop_ffn_up (BendiGgufWriter *writer,
                    const BendiGguf *source,
                    const char      *name,
                    gsize            index)
{
  if (!g_str_equal (name, "blk.1.ffn_up.weight"))
    copy_tensor (writer, source, name, index);
}

static void
tensor_transpose_q (BendiGgufWriter *writer,
                    const BendiGguf *source,
                    const char      *name,
                    gsize            index)
{
  const BendiGgufTensorInfo *t = bendi_gguf_get_tensor (source, index);

  if (g_str_equal (name, "blk.0.attn_output.weight"))
    {
      gint64 ne[2] = { t->ne[0] * 2, t->ne[1] / 2 };
      g_autoptr (GBytes) data = g_bytes_new (t->data, t->n_bytes);

      bendi_gguf_writer_add_tensor (writer, name, t->type, 2, ne, data);
    }
  else
    copy_tensor (writer, source, name, index);
}

/* TQ2_0 has 256-element blocks of 66 bytes: made of zeros here. */
static void
tensor_unsupported_type (BendiGgufWriter *writer,
                         const BendiGguf *source,
                         const char      *name,
                         gsize            index)
{
  const BendiGgufTensorInfo *t = bendi_gguf_get_tensor (source, index);

  if (g_str_equal (name, "blk.0.ffn_gate.weight"))
    {
      gsize n_bytes = (gsize) (t->ne[0] / 256 * 66 * t->ne[1]);
      g_autofree guint8 *zeros = g_malloc0 (n_bytes);
      g_autoptr (GBytes) data = g_bytes_new (zeros, n_bytes);

      bendi_gguf_writer_add_tensor (writer, name, BENDI_TENSOR_TYPE_TQ2_0, 2, t->ne, data);
    }
  else
    copy_tensor (writer, source, name, index);
}

typedef struct {
  const char          *name;
  Mutation             mutate_key;
  Mutation             mutate_tensor;
  BendiEngineError     code;
  const char          *message_part;
} RefusalCase;

static const RefusalCase refusal_cases[] = {
  { "unknown-arch", key_unknown_arch, copy_tensor, BENDI_ENGINE_ERROR_UNSUPPORTED, "'mamba'" },
  { "missing-key", key_drop_block_count, copy_tensor, BENDI_ENGINE_ERROR_INVALID_FILE, "'llama.block_count'" },
  { "wrong-key-type", key_block_count_string, copy_tensor, BENDI_ENGINE_ERROR_INVALID_FILE, "'llama.block_count'" },
  { "kv-heads", key_bad_kv_heads, copy_tensor, BENDI_ENGINE_ERROR_INVALID_FILE, "head_count_kv" },
  { "missing-tensor", copy_key, tensor_drop_ffn_up, BENDI_ENGINE_ERROR_INVALID_FILE, "'blk.1.ffn_up.weight'" },
  { "wrong-shape", copy_key, tensor_transpose_q, BENDI_ENGINE_ERROR_INVALID_FILE, "'blk.0.attn_output.weight'" },
  { "unsupported-type", copy_key, tensor_unsupported_type, BENDI_ENGINE_ERROR_UNSUPPORTED, "unsupported tensor type" },
};

static void
test_refused (gconstpointer data)
{
  const RefusalCase *rc = data;
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *path = NULL;
  g_autofree char *mutated = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiModel) model = NULL;
  BendiModelMakerParams params;

  bendi_model_maker_params_init (&params);
  params.n_embd = 256;
  params.n_ff = 256;
  path = bendi_test_make_model (dir, "model.gguf", &params);
  mutated = rewrite_model (dir, path, rc->mutate_key, rc->mutate_tensor);
  model = bendi_model_load (mutated, NULL, NULL, NULL, &error);
  g_assert_null (model);
  g_assert_error (error, BENDI_ENGINE_ERROR, (gint) rc->code);
  if (strstr (error->message, rc->message_part) == NULL)
    g_error ("%s: message “%s” does not name %s", rc->name, error->message, rc->message_part);
  bendi_test_remove_dir (dir);
}

/* ------------------------------------------------------------------------ */

typedef struct {
  double last;
  int    calls;
  int    cancel_after;
} ProgressLog;

static gboolean
record_progress (double   fraction,
                 gpointer user_data)
{
  ProgressLog *log = user_data;

  g_assert_cmpfloat (fraction, >=, log->last);
  g_assert_cmpfloat (fraction, <=, 1.0);
  log->last = fraction;
  log->calls++;
  return log->cancel_after == 0 || log->calls < log->cancel_after;
}

static void
test_load_progress (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *path = bendi_test_make_model (dir, "model.gguf", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiModel) model = NULL;
  ProgressLog log = { 0 };

  model = bendi_model_load (path, NULL, record_progress, &log, &error);
  g_assert_no_error (error);
  g_assert_cmpint (log.calls, >, 2);
  g_assert_cmpfloat (log.last, ==, 1.0);
  g_clear_pointer (&model, bendi_model_unref);

  log = (ProgressLog) { .cancel_after = 2 };
  model = bendi_model_load (path, NULL, record_progress, &log, &error);
  g_assert_null (model);
  g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_CANCELLED);
  bendi_test_remove_dir (dir);
}

/* The model's hyper-parameters come from the metadata, and the file is
 * left untouched by repacking. */
static void
test_config_and_file_untouched (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *path = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr (BendiModel) model = NULL;
  BendiModelMakerParams params;
  const BendiModelConfig *c;
  gsize len_before, len_after;

  bendi_model_maker_params_init (&params);
  params.arch = BENDI_ARCH_QWEN2;
  params.type = BENDI_TENSOR_TYPE_Q4_0;
  params.n_embd = 128;
  params.n_head = 8;
  params.n_head_kv = 2;
  params.n_ff = 256;
  params.n_layer = 2;
  path = bendi_test_make_model (dir, "model.gguf", &params);
  g_assert_true (g_file_get_contents (path, &before, &len_before, NULL));

  model = bendi_test_load_model (path, TRUE);
  c = bendi_model_get_config (model);
  g_assert_cmpint (c->arch, ==, BENDI_ARCH_QWEN2);
  g_assert_cmpint (c->n_embd, ==, 128);
  g_assert_cmpint (c->n_head, ==, 8);
  g_assert_cmpint (c->n_head_kv, ==, 2);
  g_assert_cmpint (c->head_dim, ==, 16);
  g_assert_cmpint (c->n_ff, ==, 256);
  g_assert_cmpint (c->rope_type, ==, BENDI_ROPE_NEOX);
  g_assert_cmpfloat (c->rope_freq_base, ==, 1000000.0f);
  g_assert_nonnull (bendi_model_get_weights (model)->layers[1].bq);
  g_assert_null (bendi_model_get_weights (model)->layers[1].q_norm);
  g_clear_pointer (&model, bendi_model_unref);

  g_assert_true (g_file_get_contents (path, &after, &len_after, NULL));
  g_assert_cmpmem (before, len_before, after, len_after);
  bendi_test_remove_dir (dir);
}

/* Resident bytes of @path's mapping in this process, from /proc/self/smaps;
 * its start address goes to @start. */
static gsize
mapping_resident_bytes (const char *path,
                        guintptr   *start)
{
  g_autofree char *smaps = NULL;
  g_auto (GStrv) lines = NULL;
  gboolean in_mapping = FALSE;
  gsize rss = 0;

  *start = 0;
  g_assert_true (g_file_get_contents ("/proc/self/smaps", &smaps, NULL, NULL));
  lines = g_strsplit (smaps, "\n", -1);
  for (char **line = lines; *line != NULL; line++)
    {
      if (g_ascii_isxdigit (**line) && strchr (*line, '-') != NULL && strchr (*line, ' ') != NULL)
        {
          in_mapping = g_str_has_suffix (*line, path);
          if (in_mapping && *start == 0)
            *start = (guintptr) g_ascii_strtoull (*line, NULL, 16);
        }
      else if (in_mapping && g_str_has_prefix (*line, "Rss:"))
        rss += (gsize) g_ascii_strtoull (*line + 4, NULL, 10) * 1024;
    }
  return rss;
}

/* Lets the page cache drop @path, so that the model is read through its
 * mapping as a file written long ago is (in large folios, where the file
 * system has them), not found in the pages that writing it left. */
static void
drop_cached_pages (const char *path)
{
  int fd = open (path, O_RDONLY);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (fdatasync (fd), ==, 0);
  g_assert_cmpint (posix_fadvise (fd, 0, 0, POSIX_FADV_DONTNEED), ==, 0);
  close (fd);
}

static void
assert_outside (const float *vector,
                guintptr     start,
                guintptr     end)
{
  if (vector != NULL)
    g_assert_true ((guintptr) vector < start || (guintptr) vector >= end);
}

/* Every vector a token reads is a copy, not the file's mapping. */
static void
assert_vectors_outside (const BendiModelWeights *w,
                        gint64                   n_layer,
                        guintptr                 start,
                        guintptr                 end)
{
  assert_outside (w->output_norm, start, end);
  assert_outside (w->rope_freqs, start, end);
  for (gint64 il = 0; il < n_layer; il++)
    {
      const BendiLayerWeights *l = &w->layers[il];
      const float *vectors[] = { l->attn_norm, l->ffn_norm, l->bq, l->bk, l->bv, l->q_norm, l->k_norm };

      for (gsize i = 0; i < G_N_ELEMENTS (vectors); i++)
        assert_outside (vectors[i], start, end);
    }
}

/* Once the matrices are repacked, generating reads nothing of the file's
 * mapping but the header and the embedding table's rows: the norms and
 * biases are copies. A norm read in place brought its page back into the
 * mapping or, where the page cache holds the file in large folios (ext4 on
 * Linux 6.18 with 8 MiB of read-ahead), the whole 2 MiB folio its repacked
 * neighbours had let go: 90 MB for a 22-layer model. The resident bound
 * catches that only where the kernel makes such folios of a file this
 * small; the pointers are checked everywhere. Skipped where no SIMD kernel
 * reads a repacked layout. */
static void
test_file_pages_let_go (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *path = NULL;
  g_autoptr (BendiModel) model = NULL;
  g_autoptr (GError) error = NULL;
  BendiContext *context;
  BendiModelMakerParams params;
  const BendiGgufTensorInfo *embd;
  guintptr start;
  gsize rss, bound;

  bendi_model_maker_params_init (&params);
  params.type = BENDI_TENSOR_TYPE_Q4_0;
  params.n_embd = 512;
  params.n_head = 8;
  params.n_head_kv = 2;
  params.n_ff = 4096;        /* 4 MB a layer: each layer's norms in folios of their own */
  params.n_layer = 4;
  path = bendi_test_make_model (dir, "model.gguf", &params);
  drop_cached_pages (path);

  model = bendi_test_load_model (path, TRUE);
  if (bendi_model_get_weights (model)->layers[0].ffn_down.layout == BENDI_MATRIX_LAYOUT_ROWS)
    {
      g_test_skip ("no SIMD kernel here reads repacked weights, so the file's pages are the weights");
      bendi_test_remove_dir (dir);
      return;
    }
  context = context_new (model, 8, 2);
  g_assert_true (bendi_context_decode (context, sequence, N_SEQUENCE, FALSE, &error));
  g_assert_no_error (error);
  for (int i = 0; i < 4; i++)
    {
      g_assert_true (bendi_context_decode (context, &sequence[i], 1, FALSE, &error));
      g_assert_no_error (error);
    }

  rss = mapping_resident_bytes (path, &start);
  g_assert_cmpuint (start, !=, 0);
  assert_vectors_outside (bendi_model_get_weights (model), bendi_model_get_config (model)->n_layer, start,
                          start + (guintptr) bendi_gguf_get_file_size (bendi_model_get_gguf (model)));
  embd = bendi_gguf_find_tensor (bendi_model_get_gguf (model), "token_embd.weight");
  bound = (gsize) ((guintptr) embd->data - start) + embd->n_bytes + 256 * 1024;
  g_test_message ("mapping resident: %" G_GSIZE_FORMAT " bytes of %" G_GSIZE_FORMAT " allowed", rss, bound);
  g_assert_cmpuint (rss, <=, bound);

  bendi_context_free (context);
  bendi_test_remove_dir (dir);
}

/* A context under the auto backend, on a model of the tiny vocabulary;
 * it must come up on the CPU. */
static BendiContext *
auto_context_on_cpu (const char *dir)
{
  g_autofree char *path = bendi_test_make_model (dir, "model.gguf", NULL);
  g_autoptr (BendiModel) model = bendi_test_load_model (path, TRUE);
  g_autoptr (GError) error = NULL;
  BendiContextParams params;
  BendiContext *context;

  bendi_context_params_init (&params);
  params.n_ctx = 32;
  params.n_threads = 2;
  params.backend = BENDI_BACKEND_AUTO;
  context = bendi_context_new (model, &params, &error);
  g_assert_no_error (error);
  g_assert_cmpint (bendi_context_get_backend (context), ==, BENDI_BACKEND_CPU);
  return context;
}

/* Without a GPU, the auto backend learns so in a child process and loads
 * no Vulkan library here: lavapipe's LLVM, once loaded, stays mapped (44 MB
 * of it resident). Run in a fresh process of its own; skipped where a GPU
 * is found, whose driver the auto backend then loads. */
static void
test_auto_loads_no_driver (void)
{
  g_autofree char *reason = NULL;

  if (g_test_subprocess ())
    {
      g_autofree char *dir = bendi_test_make_temp_dir ();
      g_autoptr (BendiContext) context = auto_context_on_cpu (dir);

      g_assert_true (g_str_has_prefix (bendi_context_get_backend_description (context), "CPU"));
      bendi_test_assert_no_driver_mapped ("under the auto backend without a GPU");
      bendi_test_remove_dir (dir);
      return;
    }
  if (!g_file_test ("/proc/self/maps", G_FILE_TEST_EXISTS))
    {
      g_test_skip ("no /proc/self/maps to read the mapped libraries from");
      return;
    }
  if (bendi_vk_probe_in_child (&reason) == BENDI_VK_PROBE_GPU)
    {
      g_test_skip ("a GPU is here: the auto backend loads its driver");
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* A driver that crashes while its devices are listed (here a loader that
 * aborts when first called) takes down the child process that lists them,
 * not the caller: the auto backend goes to the CPU with a warning that
 * says why. */
static void
test_auto_driver_crash (void)
{
  const char *crashing = g_getenv ("BENDI_TEST_CRASHING_VULKAN");

  if (crashing == NULL)
    {
      g_test_skip ("BENDI_TEST_CRASHING_VULKAN (set by meson test) names no crashing loader");
      return;
    }
  if (g_test_subprocess ())
    {
      g_autofree char *dir = bendi_test_make_temp_dir ();
      g_autoptr (BendiContext) context = NULL;
      const char *note;

      g_setenv ("BENDI_VULKAN_LOADER", crashing, TRUE);
      context = auto_context_on_cpu (dir);
      note = bendi_context_get_backend_note (context);
      g_assert_nonnull (note);
      g_assert_nonnull (strstr (note, "The Vulkan driver crashed while listing its devices"));
      g_assert_nonnull (strstr (note, "the CPU runs this model"));
      bendi_test_remove_dir (dir);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (forward_cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("/engine/model/fast-matches-reference/%s", forward_cases[i].name);

      g_test_add_data_func (name, &forward_cases[i], test_fast_matches_reference);
    }
  g_test_add_func ("/engine/model/batching-consistent", test_batching_consistent);
  g_test_add_func ("/engine/model/truncate-reuse", test_truncate_reuse);
  g_test_add_func ("/engine/model/decode-errors", test_decode_errors);
  for (gsize i = 0; i < G_N_ELEMENTS (refusal_cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("/engine/model/refused/%s", refusal_cases[i].name);

      g_test_add_data_func (name, &refusal_cases[i], test_refused);
    }
  g_test_add_func ("/engine/model/load-progress", test_load_progress);
  g_test_add_func ("/engine/model/config-and-file-untouched", test_config_and_file_untouched);
  g_test_add_func ("/engine/model/file-pages-let-go", test_file_pages_let_go);
  g_test_add_func ("/engine/model/auto-loads-no-driver", test_auto_loads_no_driver);
  g_test_add_func ("/engine/model/auto-driver-crash", test_auto_driver_crash);

  return g_test_run ();
}
