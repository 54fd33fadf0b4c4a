/* SPDX-License-Identifier: MIT */
/* Kernel benchmark: the matrix products of a TinyLlama-shaped 1.1B model
 * (all Q4_0 by default), timed in model order so weights stream from
 * memory as they would in a forward pass, next to the measured memory
 * read bandwidth. Not a test: run it by hand.
 *
 *   perf-matmul [--type Q4_0] [--threads 1,2] [--layers 22] [--prompt 512]
 *               [--no-repack] [--passes 5] [--offset 32]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu-bandwidth.h"
#include "cpu/cpu-features.h"
#include "cpu/matmul.h"
#include "cpu/weight-arena.h"
#include "tensor/quant.h"

/* The model: n_embd 2048, 32 query heads and 4 KV heads of 64, FFN 5632,
 * vocabulary 32000, 22 layers. */
#define N_EMBD 2048
#define N_KV 256
#define N_FF 5632
#define N_VOCAB 32000

typedef enum {
  SHAPE_QO,        /* 2048 × 2048 */
  SHAPE_KV,        /* 256 × 2048 */
  SHAPE_GATE_UP,   /* 5632 × 2048 */
  SHAPE_DOWN,      /* 2048 × 5632 */
  SHAPE_OUTPUT,    /* 32000 × 2048 */
  N_SHAPES,
} ShapeId;

static const struct {
  const char *name;
  gint64      n_rows;
  gint64      n_cols;
  int         per_layer;   /* 0: once per model */
} shapes[N_SHAPES] = {
  { "q, o      2048 x 2048", N_EMBD, N_EMBD, 2 },
  { "k, v       256 x 2048", N_KV, N_EMBD, 2 },
  { "gate, up  5632 x 2048", N_FF, N_EMBD, 2 },
  { "down      2048 x 5632", N_EMBD, N_FF, 1 },
  { "output   32000 x 2048", N_VOCAB, N_EMBD, 0 },
};

/* One layer's matrices in the order a forward pass uses them. */
static const ShapeId layer_order[] = {
  SHAPE_QO, SHAPE_KV, SHAPE_KV, SHAPE_QO, SHAPE_GATE_UP, SHAPE_GATE_UP, SHAPE_DOWN,
};

typedef struct {
  ShapeId     shape;
  BendiMatrix matrix;
  BendiWeightArena *allocation;   /* as the model loader keeps weights: 2 MiB pages */
} Weight;

typedef struct {
  GPtrArray *weights;      /* Weight *, in forward order, output last */
  gsize      total_bytes;  /* of the layers and the output */
} Model;

static guint64 rng_state = 0x9e3779b97f4a7c15ull;

static guint64
rng_next (void)
{
  /* xorshift64*: fast enough to fill a gigabyte. */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545f4914f6cdd1dull;
}

/* A few rows quantised from random values, repeated: realistic blocks
 * (scales, nibbles) without quantising a whole model. */
static guint8 *
make_pattern (BendiTensorType type,
              gint64          n_cols,
              gint64          n_rows,
              gsize          *out_bytes)
{
  gsize row_bytes;
  guint8 *pattern;
  g_autofree float *row = g_new (float, n_cols);

  g_assert (bendi_tensor_type_row_bytes (type, n_cols, &row_bytes));
  pattern = g_malloc (row_bytes * n_rows);
  for (gint64 r = 0; r < n_rows; r++)
    {
      for (gint64 c = 0; c < n_cols; c++)
        row[c] = (float) ((double) (rng_next () >> 11) / 9007199254740992.0 - 0.5) * 0.1f;
      bendi_quantize_row (type, row, pattern + r * row_bytes, n_cols);
    }
  *out_bytes = row_bytes * n_rows;
  return pattern;
}

static Weight *
weight_new (BendiTensorType type,
            ShapeId         shape,
            gsize           offset,
            gboolean        repack,
            double         *repack_seconds)
{
  static guint8 *patterns[N_SHAPES];
  static gsize pattern_bytes[N_SHAPES];
  Weight *w = g_new0 (Weight, 1);
  gint64 n_rows = shapes[shape].n_rows, n_cols = shapes[shape].n_cols;
  gsize row_bytes, bytes;
  guint8 *data;

  if (patterns[shape] == NULL)
    patterns[shape] = make_pattern (type, n_cols, 64, &pattern_bytes[shape]);
  g_assert (bendi_tensor_type_row_bytes (type, n_cols, &row_bytes));
  bytes = row_bytes * n_rows;

  /* GGUF aligns tensors to 32 bytes only: --offset 32 reproduces that. */
  w->allocation = bendi_weight_arena_new (bytes + 64, NULL);
  g_assert (w->allocation != NULL);
  data = (guint8 *) bendi_weight_arena_alloc (w->allocation, bytes + 64) + offset;
  for (gsize done = 0; done < bytes; done += pattern_bytes[shape])
    memcpy (data + done, patterns[shape], MIN (pattern_bytes[shape], bytes - done));

  w->shape = shape;
  bendi_matrix_init (&w->matrix, type, n_cols, n_rows, data);
  if (repack && bendi_matrix_can_repack (&w->matrix))
    {
      gint64 t0 = g_get_monotonic_time ();

      bendi_matrix_repack (&w->matrix, data);
      *repack_seconds += (double) (g_get_monotonic_time () - t0) * 1e-6;
    }
  return w;
}

static void
weight_free (gpointer data)
{
  Weight *w = data;

  bendi_weight_arena_free (w->allocation);
  g_free (w);
}

static void
model_init (Model          *model,
            BendiTensorType type,
            int             n_layers,
            gsize           offset,
            gboolean        repack)
{
  double repack_seconds = 0;

  model->weights = g_ptr_array_new_with_free_func (weight_free);
  model->total_bytes = 0;
  for (int l = 0; l < n_layers; l++)
    for (gsize i = 0; i < G_N_ELEMENTS (layer_order); i++)
      g_ptr_array_add (model->weights, weight_new (type, layer_order[i], offset, repack, &repack_seconds));
  g_ptr_array_add (model->weights, weight_new (type, SHAPE_OUTPUT, offset, repack, &repack_seconds));
  for (guint i = 0; i < model->weights->len; i++)
    {
      Weight *w = g_ptr_array_index (model->weights, i);

      model->total_bytes += w->matrix.row_bytes * (gsize) w->matrix.n_rows;
    }
  printf ("model: %d layers + output, %s, %.1f MB of weights%s",
          n_layers, bendi_tensor_type_name (type), (double) model->total_bytes / 1e6,
          repack ? "" : ", row layout\n");
  if (repack)
    printf (", repacked in %.2f s (%.2f GB/s)\n", repack_seconds,
            repack_seconds > 0 ? (double) model->total_bytes / repack_seconds / 1e9 : 0.0);
}

/* Seconds per shape, summed over one pass through the model. */
typedef struct {
  double seconds[N_SHAPES];
  int    calls[N_SHAPES];
  double total;
} PassTimes;

static void
run_pass (BendiMatmulContext *ctx,
          Model              *model,
          int                 n_layers,
          gint64              n_tokens,
          gint64              output_tokens,
          float              *in,
          float              *out,
          PassTimes          *times)
{
  memset (times, 0, sizeof *times);
  for (guint i = 0; i < model->weights->len; i++)
    {
      Weight *w = g_ptr_array_index (model->weights, i);
      gint64 nt = w->shape == SHAPE_OUTPUT ? output_tokens : n_tokens;
      gint64 t0;
      double seconds;

      if (w->shape != SHAPE_OUTPUT && i >= (guint) n_layers * G_N_ELEMENTS (layer_order))
        continue;
      t0 = g_get_monotonic_time ();
      bendi_matmul (ctx, &w->matrix, in, nt, out);
      seconds = (double) (g_get_monotonic_time () - t0) * 1e-6;
      times->seconds[w->shape] += seconds;
      times->calls[w->shape]++;
      times->total += seconds;
    }
}

static void
bench (Model          *model,
       int             n_threads,
       int             n_layers,
       gint64          n_tokens,
       int             n_passes,
       double          bandwidth)
{
  g_autoptr (BendiThreadPool) pool = bendi_thread_pool_new (n_threads);
  g_autoptr (BendiMatmulContext) ctx = bendi_matmul_context_new (pool);
  /* As llama.cpp evaluates a prompt: logits for its last token only. */
  gint64 output_tokens = n_tokens > 1 ? 1 : n_tokens;
  g_autofree float *in = g_new (float, n_tokens * N_FF);
  g_autofree float *out = g_new (float, MAX (n_tokens * N_FF, N_VOCAB));
  PassTimes best = { .total = G_MAXDOUBLE }, times;
  double layer_seconds = 0, model_seconds, op_count = 0;

  for (gint64 i = 0; i < n_tokens * N_FF; i++)
    in[i] = (float) ((double) (rng_next () >> 11) / 9007199254740992.0 - 0.5);

  run_pass (ctx, model, n_layers, n_tokens, output_tokens, in, out, &times);   /* warm-up */
  for (int p = 0; p < n_passes; p++)
    {
      run_pass (ctx, model, n_layers, n_tokens, output_tokens, in, out, &times);
      if (times.total < best.total)
        best = times;
    }

  printf ("\n%d thread%s, %" G_GINT64_FORMAT " token%s (best of %d passes):\n",
          n_threads, n_threads == 1 ? "" : "s", n_tokens, n_tokens == 1 ? "" : "s", n_passes);
  printf ("  %-22s %10s %9s %8s %9s\n", "matrix", "us/call", "GB/s", "of bw", "GOP/s");
  for (int s = 0; s < N_SHAPES; s++)
    {
      Weight *w = NULL;
      gint64 nt = s == SHAPE_OUTPUT ? output_tokens : n_tokens;
      double per_call, bytes, ops;

      for (guint i = 0; i < model->weights->len && w == NULL; i++)
        if (((Weight *) g_ptr_array_index (model->weights, i))->shape == (ShapeId) s)
          w = g_ptr_array_index (model->weights, i);
      per_call = best.seconds[s] / best.calls[s];
      bytes = (double) w->matrix.row_bytes * (double) w->matrix.n_rows;
      ops = 2.0 * (double) w->matrix.n_rows * (double) w->matrix.n_cols * (double) nt;
      printf ("  %-22s %10.1f %9.2f %7.0f%% %9.1f\n", shapes[s].name, per_call * 1e6,
              bytes / per_call / 1e9, 100.0 * bytes / per_call / 1e9 / bandwidth, ops / per_call / 1e9);
      if (s != SHAPE_OUTPUT)
        layer_seconds += best.seconds[s];
      op_count += ops * (s == SHAPE_OUTPUT ? 1 : shapes[s].per_layer * 22);
    }

  /* The whole model: the measured layers scaled to 22, plus the output. */
  model_seconds = layer_seconds / n_layers * 22 + best.seconds[SHAPE_OUTPUT];
  printf ("  1.1B model matrices: %.2f ms per %s -> %.1f tokens/s, %.0f GOP/s",
          model_seconds * 1e3, n_tokens == 1 ? "token" : "batch",
          (double) n_tokens / model_seconds, op_count / model_seconds / 1e9);
  if (n_tokens == 1)
    printf (", weights read at %.1f GB/s = %.0f%% of bandwidth",
            (double) model->total_bytes / best.total / 1e9,
            100.0 * (double) model->total_bytes / best.total / 1e9 / bandwidth);
  printf ("\n");
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *type_name = g_strdup ("Q4_0");
  g_autofree char *threads_list = g_strdup ("1,2");
  int n_layers = 22, n_passes = 5, offset = 0;
  gint64 n_prompt = 512;
  gboolean no_repack = FALSE, skip_bandwidth = FALSE;
  GOptionEntry entries[] = {
    { "type", 0, 0, G_OPTION_ARG_STRING, &type_name, "Weight type", "Q4_0" },
    { "threads", 0, 0, G_OPTION_ARG_STRING, &threads_list, "Thread counts", "1,2" },
    { "layers", 0, 0, G_OPTION_ARG_INT, &n_layers, "Layers to build (the estimate scales to 22)", "22" },
    { "prompt", 0, 0, G_OPTION_ARG_INT64, &n_prompt, "Prompt tokens (0: generation only)", "512" },
    { "passes", 0, 0, G_OPTION_ARG_INT, &n_passes, "Timed passes (best is kept)", "5" },
    { "offset", 0, 0, G_OPTION_ARG_INT, &offset, "Misalign the weights by this many bytes", "0" },
    { "no-repack", 0, 0, G_OPTION_ARG_NONE, &no_repack, "Keep ggml's row layout", NULL },
    { "no-bandwidth", 0, 0, G_OPTION_ARG_NONE, &skip_bandwidth, "Skip the memory bandwidth test", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) options = g_option_context_new ("- time the CPU matrix kernels");
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) thread_counts = NULL;
  BendiTensorType type;
  Model model;

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  if (!bendi_tensor_type_from_name (type_name, &type) || !bendi_quant_can_quantize (type))
    {
      fprintf (stderr, "unknown or unsupported type %s\n", type_name);
      return 1;
    }
  n_layers = CLAMP (n_layers, 1, 22);
  offset = CLAMP (offset, 0, 63);

  printf ("kernels: %s\n", bendi_cpu_features_describe (bendi_cpu_features_get ()));
  model_init (&model, type, n_layers, (gsize) offset, !no_repack);

  thread_counts = g_strsplit (threads_list, ",", -1);
  for (int i = 0; thread_counts[i] != NULL; i++)
    {
      int n_threads = atoi (thread_counts[i]);
      double bandwidth = 1;

      if (n_threads <= 0)
        continue;
      if (!skip_bandwidth)
        {
          bandwidth = bendi_cpu_read_bandwidth_measure (n_threads, 0, 1.0);
          printf ("\nmemory read bandwidth, %d thread%s: %.2f GB/s\n", n_threads,
                  n_threads == 1 ? "" : "s", bandwidth);
        }
      bench (&model, n_threads, n_layers, 1, n_passes, bandwidth);
      if (n_prompt > 1)
        bench (&model, n_threads, MIN (n_layers, 2), n_prompt, 1, bandwidth);
    }

  g_ptr_array_unref (model.weights);
  return 0;
}
