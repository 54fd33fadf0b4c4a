/* SPDX-License-Identifier: MIT */
/* The kernel tables behind bendi_matmul and the vector helpers: one table per
 * instruction-set family, filled by its own file and chosen at run time. */
#pragma once

#include <glib.h>

#include "cpu/matmul.h"
#include "tensor/fp16.h"
#include "tensor/quant-blocks.h"

G_BEGIN_DECLS

/* Rows per interleaved group: one 512-bit register holds one 32-bit lane per
 * row, so one instruction works on all of a group's rows. */
#define BENDI_INTERLEAVE 16

/* How activations are rounded before the product, as llama.cpp pairs them
 * with each weight type. */
typedef enum {
  BENDI_ACT_F32,     /* used as given */
  BENDI_ACT_F16,     /* rounded to half precision (kept as floats), for F16 weights */
  BENDI_ACT_BF16,    /* rounded to bfloat16 (kept as floats), for BF16 weights */
  BENDI_ACT_Q8_0,    /* blocks of 32: int8 and a half-precision scale */
  BENDI_ACT_Q8_1,    /* as Q8_0, plus d·Σq for the weights' minimum */
  BENDI_ACT_Q8_K,    /* blocks of 256: int8, a float scale, sums of 16 */
  BENDI_ACT_COUNT,
} BendiActKind;

/* Quantised activations, n_tokens rows, in planar form so SIMD kernels can
 * broadcast scales and quants without converting them. */
typedef struct {
  BendiActKind kind;
  gint64       n_cols;
  gint64       n_tokens;
  gint64       n_blocks;   /* per token; 0 for the float kinds */
  gsize        stride;     /* bytes from one token's values to the next */
  const void  *values;     /* int8 quants, or floats */
  const float *d;          /* [t * n_blocks + b]: the block's scale, as ggml stores it */
  const gint32 *sums;      /* Q8_0: -bias · Σq per block; Q8_1: Σq; Q8_K: -bias · Σq
                            * per 16 quants, [(t * n_blocks + b) * 16 + j] */
  const float *s;          /* Q8_1: d·Σq rounded to half precision, as ggml stores it */
  const gint16 *bsums;     /* Q8_K: [(t * n_blocks + b) * 16 + j], sums of 16 quants */
  int          bias;       /* Q8_0: what the weights' unsigned quants are offset by */
} BendiActs;

/* Writable view of the same, for the quantisers. */
typedef struct {
  guint8 *values;
  float  *d;
  gint32 *sums;
  float  *s;
  gint16 *bsums;
} BendiActsOut;

/* Tokens [t0, n_tokens) of @acts: a view of the same arrays. */
static inline BendiActs
bendi_acts_from_token (const BendiActs *acts,
                       gint64           t0)
{
  BendiActs rest = *acts;
  gint64 skip = t0 * acts->n_blocks;
  /* Q8_K keeps its sums per 16 quants (and only it has bsums), the
   * others one per block. */
  gboolean q8_k = acts->kind == BENDI_ACT_Q8_K;

  rest.n_tokens = acts->n_tokens - t0;
  rest.values = (const guint8 *) acts->values + t0 * (gint64) acts->stride;
  rest.d = acts->d != NULL ? acts->d + skip : NULL;
  rest.s = acts->s != NULL ? acts->s + skip : NULL;
  rest.sums = acts->sums != NULL ? acts->sums + skip * (q8_k ? 16 : 1) : NULL;
  rest.bsums = q8_k && acts->bsums != NULL ? acts->bsums + skip * 16 : acts->bsums;
  return rest;
}

/* Quantises tokens [t0, t1) of @in (n_cols floats per token) into @out with
 * the layout of @acts. */
typedef void (*BendiActQuantizeFunc) (const BendiActs    *acts,
                                   const BendiActsOut *out,
                                   const float        *in,
                                   gint64              t0,
                                   gint64              t1);

/* out[t * ld_out + r] for rows [r0, r1) and all tokens of @acts. Row
 * kernels read rows at w->data + r * row_bytes; interleaved kernels get
 * whole groups (r0, r1 multiples of BENDI_INTERLEAVE). */
typedef void (*BendiGemmFunc) (const BendiMatrix *w,
                               gint64             r0,
                               gint64             r1,
                               const BendiActs   *acts,
                               float             *out,
                               gint64             ld_out);

/* A BendiGemmFunc named @name that runs @impl (a kernel written once for
 * a family of layouts) for the weight kind @kind. */
#define BENDI_DEFINE_GEMM(name, impl, kind)                                 \
  static void                                                               \
  name (const BendiMatrix *w,                                               \
        gint64             r0,                                              \
        gint64             r1,                                              \
        const BendiActs   *a,                                               \
        float             *out,                                             \
        gint64             ld_out)                                          \
  {                                                                         \
    impl (kind, w, r0, r1, a, out, ld_out);                                 \
  }

typedef struct {
  const char       *name;
  BendiActQuantizeFunc quantize[BENDI_ACT_COUNT];
  BendiGemmFunc     gemm_rows[BENDI_TENSOR_TYPE_COUNT];
  BendiGemmFunc     gemm_interleaved[BENDI_TENSOR_TYPE_COUNT];

  /* vec-ops.h */
  void  (*fp16_to_fp32) (float *out, const BendiFp16 *in, gint64 n);
  void  (*fp32_to_fp16) (BendiFp16 *out, const float *in, gint64 n);
  float (*dot_f16_f32)  (const BendiFp16 *a, const float *b, gint64 n);
  void  (*mad_f16)      (float *y, const BendiFp16 *x, float a, gint64 n);
  void  (*add)          (float *out, const float *x, gint64 n);
  void  (*rms_norm)     (float *out, const float *x, const float *weight, gint64 n, float eps);
  void  (*swiglu)       (float *out, const float *gate, const float *up, gint64 n);
  void  (*rope)         (float *head, const float *cos_table, const float *sin_table, gint64 n_rot, gboolean neox);
  void  (*attend)       (float *out, const float *q, const BendiFp16 *keys, const BendiFp16 *values,
                         gint64 stride, gint64 n_pos, gint64 head_dim, float scale, float *scores);
  /* Several heads sharing keys and values (NULL: attend () head by head);
   * a single head goes to attend (), which is faster for one */
  void  (*attend_heads) (float *out, const float *q, int n_heads, const BendiFp16 *keys,
                         const BendiFp16 *values, gint64 stride, gint64 n_pos, gint64 head_dim, float scale,
                         float *scores);
  /* bendi_vec_attend_heads_half (): llama.cpp's arithmetic for a batch of
   * few queries, each score summed as ggml's vec_dot_f16 sums it with this
   * family's vector width; @scores is scratch for n_heads · n_pos floats */
  void  (*attend_half)  (float *out, const float *q, int n_heads, const BendiFp16 *keys,
                         const BendiFp16 *values, gint64 stride, gint64 n_pos, gint64 head_dim, float scale,
                         float *scores);
  /* x[i] = expf (x[i]) for @n values <= 0, the C library's results */
  void  (*expf_neg)     (float *x, gint64 n);
  /* Floats in one of this family's vectors, as ggml's vector code on the
   * same processor counts them (GGML_F32_EPR). */
  int   vector_floats;
} BendiCpuKernels;

/* The table for the current features (bendi_cpu_features_get ()). */
const BendiCpuKernels *bendi_cpu_kernels (void);

/* Each family's table; a family copies the generic table and replaces the
 * entries it has faster kernels for. */
void bendi_kernels_init_generic      (BendiCpuKernels *table);
#if defined(__x86_64__)
void bendi_kernels_init_avx2         (BendiCpuKernels *table);
void bendi_kernels_init_avx2_vnni    (BendiCpuKernels *table);
void bendi_kernels_init_avx512_vnni  (BendiCpuKernels *table);
void bendi_kernels_init_amx          (BendiCpuKernels *table);
#endif

#if defined(__x86_64__)
#include <xmmintrin.h>

/* Prefetching for the weight stream of a product that reads each weight
 * once (a token or a few: generation). Each core must keep more cache
 * lines in flight than the hardware prefetchers and the out-of-order window
 * manage with the kernels' arithmetic between loads: the lines 1 KiB ahead
 * go to L1, those 3.5 KiB ahead to L2 (6 KiB on Skylake-SP and Cascade
 * Lake servers, bendi_cpu_prefetch_l2_ahead_for ()). 1B matrices in model order, 2
 * threads, runs alternated in one session (perf-matmul), tokens/s with the
 * L1 prefetch alone -> with both: AVX-512 Q4_0 39-44 -> 50-51, Q4_K 35 ->
 * 43, IQ4_NL 46 -> 51; AVX2 VNNI Q4_0 42 -> 47, Q4_K 31 -> 38. The L2
 * distance has a plateau at 3-4 KiB (4.5 KiB lost 3%, 5 KiB and more 6-10%,
 * the L1 distance from 256 B to 1 KiB made no difference); the L2 prefetch
 * alone and prefetchnta were worse. The K-quants with a second stream of
 * high bits (Q3_K, Q5_K, Q6_K) have more arithmetic per byte and lost
 * with it (AVX-512: Q6_K 0.80-0.82 of the read bandwidth without, 0.67-0.76
 * with prefetches on both streams or on the quants alone; Q5_K 0.75
 * without, 0.71-0.74 with), so they have none, while Q2_K (0.58 -> 0.65),
 * Q4_K (0.69 -> 0.84) and IQ4_XS (0.75 -> 0.83) gained. */
#ifndef BENDI_PREFETCH_L1_AHEAD
#define BENDI_PREFETCH_L1_AHEAD 1024
#endif

/* The L2 distance for this processor, set when its features are first
 * asked for (bendi_cpu_features_get ()), before any kernel runs. */
extern gsize bendi_prefetch_l2_ahead;

/* Prefetches for the @bytes a kernel is about to read from @p. Prefetches
 * past the end of a mapping are harmless: they never fault. */
static inline __attribute__ ((always_inline)) void
bendi_prefetch_stream (const void *p,
                       gsize       bytes)
{
  const char *c = p;

  for (gsize line = 0; line < bytes; line += 64)
    {
      _mm_prefetch (c + BENDI_PREFETCH_L1_AHEAD + line, _MM_HINT_T0);
      _mm_prefetch (c + bendi_prefetch_l2_ahead + line, _MM_HINT_T1);
    }
}
#endif

/* 2^(i/32) for i < 32, the table of glibc's expf (): the vector forms of
 * expf_neg () take its steps in double precision (x·32/ln 2 = k + r,
 * 2^(k/32) from this table, 2^(r/32) by a cubic, the fused steps of its FMA
 * build), so their results are the same bits as glibc 2.36's and 2.43's
 * for every float from -0 to -inf (all 2.1 billion checked when the first
 * was written; test-cpu-vec checks a sample of each family's). */
extern const guint64 bendi_kernels_exp2_32nds[32];

/* attend_half () for one head, each score summed in double precision, as
 * ggml sums the elements its vector loop leaves. */
void bendi_kernels_attend_half_generic (float           *out,
                                        const float     *q,
                                        const BendiFp16 *keys,
                                        const BendiFp16 *values,
                                        gint64           stride,
                                        gint64           n_pos,
                                        gint64           head_dim,
                                        float            scale,
                                        float           *scores);

/* Attention for one head through the table's dot and mad: the wide heads
 * a family's own version does not take. */
void bendi_kernels_attend_generic (float           *out,
                                   const float     *q,
                                   const BendiFp16 *keys,
                                   const BendiFp16 *values,
                                   gint64           stride,
                                   gint64           n_pos,
                                   gint64           head_dim,
                                   float            scale,
                                   float           *scores);

/* Bumped by bendi_cpu_features_override () so the table is chosen again. */
guint bendi_cpu_features_serial (void);

/* The activation kind llama.cpp pairs with weights of @type. */
BendiActKind bendi_act_kind_for_type (BendiTensorType type);

/* Offset that makes @type's quants unsigned in the interleaved layout
 * (0 for types with a minimum, whose quants are unsigned already): Q6_K's
 * quants are q - 32 with q stored, so its bias is 32. */
int bendi_act_bias_for_type (BendiTensorType type);

/* Whether @type has an interleaved layout, and the conversions between it
 * and ggml's rows for one group of BENDI_INTERLEAVE rows (n_cols each). */
gboolean bendi_interleave_supported (BendiTensorType type);
void     bendi_interleave_group     (BendiTensorType type,
                                     gint64          n_cols,
                                     const guint8   *rows,
                                     guint8         *group);
void     bendi_deinterleave_row     (BendiTensorType type,
                                     gint64          n_cols,
                                     const guint8   *group,
                                     int             row_in_group,
                                     guint8         *row);

/* ------------------------------------------------------------------------ */
/* Shared scalar helpers. */

/* Rounds half away from zero, as C's roundf, for |x| < 2^22. */
static inline int
bendi_round_away (float x)
{
  return (int) (x + (x < 0 ? -0.5f : 0.5f));
}

/* Rounds half to even, as ggml's nearest_int, for |x| < 2^22. */
static inline int
bendi_round_even (float x)
{
  float shifted = x + 12582912.0f;   /* 1.5 · 2^23: the ulp becomes 1 */
  guint32 bits = bendi_float_bits (shifted);

  return (int) (bits & 0x007fffff) - 0x00400000;
}

/* The 6-bit scale and minimum of sub-block @j (0..7) of a Q4_K or Q5_K block. */
static inline void
bendi_k4_scale_min (int           j,
                    const guint8 *packed,
                    guint8       *scale,
                    guint8       *min)
{
  if (j < 4)
    {
      *scale = packed[j] & 63;
      *min = packed[j + 4] & 63;
    }
  else
    {
      *scale = (packed[j + 4] & 0x0f) | ((packed[j - 4] >> 6) << 4);
      *min = (packed[j + 4] >> 4) | ((packed[j] >> 6) << 4);
    }
}

G_END_DECLS
