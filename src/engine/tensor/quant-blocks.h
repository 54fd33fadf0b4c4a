/* SPDX-License-Identifier: MIT */
/* The block layouts of quantised types, byte for byte as ggml defines them. */
#pragma once

#include <glib.h>

#include "tensor/fp16.h"

G_BEGIN_DECLS

#define BENDI_QK 32     /* elements per block of the legacy types */
#define BENDI_QK_K 256  /* elements per super-block of the K and IQ4_XS types */
#define BENDI_K_SCALE_SIZE 12

/* x = (q - 8) * d; byte j holds element j (low nibble) and j + 16 (high). */
typedef struct {
  BendiFp16 d;
  guint8    qs[BENDI_QK / 2];
} BendiBlockQ4_0;

/* x = q * d + m */
typedef struct {
  BendiFp16 d;
  BendiFp16 m;
  guint8    qs[BENDI_QK / 2];
} BendiBlockQ4_1;

/* x = (q - 16) * d; bit j of qh (little-endian) is bit 4 of element j. */
typedef struct {
  BendiFp16 d;
  guint8    qh[4];
  guint8    qs[BENDI_QK / 2];
} BendiBlockQ5_0;

/* x = q * d + m */
typedef struct {
  BendiFp16 d;
  BendiFp16 m;
  guint8    qh[4];
  guint8    qs[BENDI_QK / 2];
} BendiBlockQ5_1;

/* x = q * d */
typedef struct {
  BendiFp16 d;
  gint8     qs[BENDI_QK];
} BendiBlockQ8_0;

/* Activations for Q4_1/Q5_1 dot products: s = d * sum (qs). */
typedef struct {
  BendiFp16 d;
  BendiFp16 s;
  gint8     qs[BENDI_QK];
} BendiBlockQ8_1;

/* 16 sub-blocks of 16: 4-bit scale and min each, 2-bit quants. */
typedef struct {
  guint8    scales[BENDI_QK_K / 16];
  guint8    qs[BENDI_QK_K / 4];
  BendiFp16 d;
  BendiFp16 dmin;
} BendiBlockQ2_K;

/* 16 sub-blocks of 16: 6-bit scales, 3-bit quants (2 low bits + hmask). */
typedef struct {
  guint8    hmask[BENDI_QK_K / 8];
  guint8    qs[BENDI_QK_K / 4];
  guint8    scales[12];
  BendiFp16 d;
} BendiBlockQ3_K;

/* 8 sub-blocks of 32: 6-bit scales and mins packed in 12 bytes, 4-bit quants. */
typedef struct {
  BendiFp16 d;
  BendiFp16 dmin;
  guint8    scales[BENDI_K_SCALE_SIZE];
  guint8    qs[BENDI_QK_K / 2];
} BendiBlockQ4_K;

/* As Q4_K with a fifth bit per element in qh. */
typedef struct {
  BendiFp16 d;
  BendiFp16 dmin;
  guint8    scales[BENDI_K_SCALE_SIZE];
  guint8    qh[BENDI_QK_K / 8];
  guint8    qs[BENDI_QK_K / 2];
} BendiBlockQ5_K;

/* 16 sub-blocks of 16: 8-bit scales, 6-bit quants (4 low bits in ql, 2 in qh). */
typedef struct {
  guint8    ql[BENDI_QK_K / 2];
  guint8    qh[BENDI_QK_K / 4];
  gint8     scales[BENDI_QK_K / 16];
  BendiFp16 d;
} BendiBlockQ6_K;

/* Activations for K-quant dot products; bsums are sums of 16 quants. */
typedef struct {
  float  d;
  gint8  qs[BENDI_QK_K];
  gint16 bsums[BENDI_QK_K / 16];
} BendiBlockQ8_K;

/* x = kvalues_iq4nl[q] * d */
typedef struct {
  BendiFp16 d;
  guint8    qs[BENDI_QK / 2];
} BendiBlockIQ4_NL;

/* 8 sub-blocks of 32 with 6-bit scales (low 4 bits in scales_l, high 2 in scales_h). */
typedef struct {
  BendiFp16 d;
  guint16   scales_h;
  guint8    scales_l[BENDI_QK_K / 64];
  guint8    qs[BENDI_QK_K / 2];
} BendiBlockIQ4_XS;

_Static_assert (sizeof (BendiBlockQ4_0) == 18, "Q4_0 block size");
_Static_assert (sizeof (BendiBlockQ4_1) == 20, "Q4_1 block size");
_Static_assert (sizeof (BendiBlockQ5_0) == 22, "Q5_0 block size");
_Static_assert (sizeof (BendiBlockQ5_1) == 24, "Q5_1 block size");
_Static_assert (sizeof (BendiBlockQ8_0) == 34, "Q8_0 block size");
_Static_assert (sizeof (BendiBlockQ8_1) == 36, "Q8_1 block size");
_Static_assert (sizeof (BendiBlockQ2_K) == 84, "Q2_K block size");
_Static_assert (sizeof (BendiBlockQ3_K) == 110, "Q3_K block size");
_Static_assert (sizeof (BendiBlockQ4_K) == 144, "Q4_K block size");
_Static_assert (sizeof (BendiBlockQ5_K) == 176, "Q5_K block size");
_Static_assert (sizeof (BendiBlockQ6_K) == 210, "Q6_K block size");
_Static_assert (sizeof (BendiBlockQ8_K) == 292, "Q8_K block size");
_Static_assert (sizeof (BendiBlockIQ4_NL) == 18, "IQ4_NL block size");
_Static_assert (sizeof (BendiBlockIQ4_XS) == 136, "IQ4_XS block size");

/* The 16 non-uniform levels of IQ4_NL and IQ4_XS. */
extern const gint8 bendi_iq4nl_values[16];

G_END_DECLS
