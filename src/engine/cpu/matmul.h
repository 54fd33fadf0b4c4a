/* SPDX-License-Identifier: MIT */
/* Weight matrix × activations on the CPU: the operation that takes nearly all of a forward pass. */
#pragma once

#include <glib.h>

#include "cpu/thread-pool.h"
#include "tensor/tensor-type.h"

G_BEGIN_DECLS

typedef enum {
  BENDI_MATRIX_LAYOUT_ROWS = 0,      /* rows as GGUF stores them */
  BENDI_MATRIX_LAYOUT_INTERLEAVED,   /* rewritten by bendi_matrix_repack () for the SIMD kernels */
} BendiMatrixLayout;

/* A 2-D weight: n_rows rows (output features) of n_cols elements (input
 * features). The data is usually the GGUF mapping itself. */
typedef struct {
  BendiTensorType   type;
  gint64            n_cols;
  gint64            n_rows;
  gsize             row_bytes;
  const void       *data;
  BendiMatrixLayout layout;
} BendiMatrix;

/* Scratch memory and threads for matrix products; one per context, used
 * by one thread at a time. */
typedef struct _BendiMatmulContext BendiMatmulContext;

BendiMatmulContext *bendi_matmul_context_new  (BendiThreadPool    *pool) G_GNUC_WARN_UNUSED_RESULT;
void                bendi_matmul_context_free (BendiMatmulContext *self);

/* Sets up @matrix over @data, a tensor of @type with @n_cols × @n_rows. */
void bendi_matrix_init (BendiMatrix     *matrix,
                        BendiTensorType  type,
                        gint64           n_cols,
                        gint64           n_rows,
                        const void      *data);

/* Whether repacking @matrix would speed up products on this CPU: a
 * quantised type with at least 16 rows, and a SIMD kernel for its
 * interleaved layout in the kernel family in use. */
gboolean bendi_matrix_can_repack (const BendiMatrix *matrix);

/* Rewrites the matrix into the layout the fastest kernels read: every 16
 * rows become one group, 16 rows' quants side by side (see interleave.c);
 * rows after the last whole group keep ggml's layout. The size does not
 * change and every byte is kept; the layout becomes INTERLEAVED and
 * matrix->data becomes @dest. @dest is either matrix->data itself (writable
 * memory, rewritten in place) or row_bytes × n_rows bytes elsewhere (the
 * source is then only read). Works for every quantised type (F32, F16 and
 * BF16 are only copied); any kernel family can read the result. */
void bendi_matrix_repack (BendiMatrix *matrix,
                          void        *dest);

/* out[t * n_rows + r] = Σ_c W[r, c] · in[t * n_cols + c]  for t < n_tokens.
 * Activations are rounded as llama.cpp rounds them for each weight type
 * (Q8_0, Q8_1 or Q8_K blocks; F16 or BF16 for those weights) before the
 * product; the rows are split over the context's threads. @in and @out
 * must not overlap. */
void bendi_matmul (BendiMatmulContext *ctx,
                   const BendiMatrix  *w,
                   const float        *in,
                   gint64              n_tokens,
                   float              *out);

/* bendi_matmul () for @n matrices (at most 3 fused; more go one by one)
 * that read the same input, such as a layer's Q, K and V: the input is
 * rounded once and the threads go from one matrix's rows to the next
 * without waiting for each other in between. Matrices whose input is
 * rounded differently (another kind of weight type) go one by one. */
void bendi_matmul_n (BendiMatmulContext       *ctx,
                     int                       n,
                     const BendiMatrix *const *w,
                     const float              *in,
                     gint64                    n_tokens,
                     float *const             *out);

/* Makes rows [@t0, @t1) of a product's input, n_cols floats each, into
 * @dest (row @t0 first). It must only read memory the product does not
 * write, and may be called by several threads at once. */
typedef void (*BendiMatmulInputFunc) (gpointer     data,
                                      gint64       t0,
                                      gint64       t1,
                                      float       *dest);

/* Steps a product runs on its threads, so that no thread waits for one
 * that runs them alone. */
typedef struct {
  /* The input is made by this (a norm, an activation) rather than read:
   * for a few tokens every thread makes all of it for itself, for more
   * each makes a share. @in may then be NULL. */
  BendiMatmulInputFunc make_input;
  gpointer             input_data;
  /* Where a batch's input is made (n_tokens × n_cols floats), so that it
   * takes no memory of its own; it may be memory make_input reads, if each
   * row of the input depends only on the same row there and there is one
   * matrix (matrices that round their input differently go one by one,
   * each making it again). NULL: the context's scratch. A few tokens'
   * inputs never go there. */
  float               *batch_input;
  /* With one matrix: each output row is also added into this array,
   * shaped as the output (a residual stream), by the thread that made the
   * row. */
  float               *residual;
} BendiMatmulSteps;

/* bendi_matmul_n () with @steps (or none, if NULL). */
void bendi_matmul_with (BendiMatmulContext       *ctx,
                        int                       n,
                        const BendiMatrix *const *w,
                        const float              *in,
                        gint64                    n_tokens,
                        float *const             *out,
                        const BendiMatmulSteps   *steps);

/* Row @row of @w as floats (for embeddings), in either layout: n_cols
 * values into @out, exactly as bendi_dequantize_row () gives them. */
void bendi_matrix_get_row (const BendiMatrix *w,
                           gint64             row,
                           float             *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiMatmulContext, bendi_matmul_context_free)

G_END_DECLS
