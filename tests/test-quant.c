/* SPDX-License-Identifier: MIT */
/* The reference dequantisers and quantisers: hand-built blocks, round trips, llama.cpp's own files, fp16/bf16. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gguf/gguf.h"
#include "tensor/fp16.h"
#include "tensor/quant-blocks.h"
#include "tensor/quant.h"
#include "test-util.h"

/* Half-precision constants used below, each worked out by hand:
 * sign | exponent (bias 15) << 10 | mantissa. */
#define H_0_25     0x3400  /* 2^-2 */
#define H_0_5      0x3800  /* 2^-1 */
#define H_1        0x3c00
#define H_2        0x4000
#define H_MINUS_1  0xbc00
#define H_MINUS_2  0xc000

/* The IQ4_NL levels, as ggml's kvalues_iq4nl lists them. */
static const int iq4nl_levels[16] = {
  -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113,
};

/* ------------------------------------------------------------------------ */
/* Helpers */

static void
put_u16 (guint8  *p,
         guint16  v)
{
  p[0] = (guint8) v;
  p[1] = (guint8) (v >> 8);
}

static void
put_f32 (guint8 *p,
         float   f)
{
  guint32 u = bendi_float_bits (f);

  for (int i = 0; i < 4; i++)
    p[i] = (guint8) (u >> (8 * i));
}

static gsize
row_bytes (BendiTensorType type,
           gint64          n)
{
  gsize bytes = 0;

  g_assert_true (bendi_tensor_type_row_bytes (type, n, &bytes));
  return bytes;
}

/* Dequantises @n elements of @type from @block and checks each against
 * @expected exactly: every value here is a small dyadic number that float
 * arithmetic represents without rounding. */
static void
check_dequantized (BendiTensorType  type,
                   const guint8    *blocks,
                   const double    *expected,
                   gint64           n)
{
  g_autofree float *out = g_new0 (float, n);

  g_assert_true (bendi_quant_can_dequantize (type));
  bendi_dequantize_row (type, blocks, out, n);
  for (gint64 i = 0; i < n; i++)
    {
      if (out[i] != (float) expected[i])
        g_error ("%s element %" G_GINT64_FORMAT ": got %.9g, expected %.9g",
                 bendi_tensor_type_name (type), i, out[i], expected[i]);
    }
}

static void
fill_gaussian (GRand *rand,
               float *x,
               gint64 n,
               double sigma)
{
  for (gint64 i = 0; i < n; i += 2)
    {
      /* Box-Muller: two independent normal deviates from two uniforms. */
      double u1 = 1.0 - g_rand_double (rand);
      double u2 = g_rand_double (rand);
      double r = sqrt (-2.0 * log (u1)) * sigma;

      x[i] = (float) (r * cos (2 * G_PI * u2));
      if (i + 1 < n)
        x[i + 1] = (float) (r * sin (2 * G_PI * u2));
    }
}

/* RMS of (y - x) over RMS of x. */
static double
relative_rms_error (const float *x,
                    const float *y,
                    gint64       n)
{
  double err = 0.0, ref = 0.0;

  for (gint64 i = 0; i < n; i++)
    {
      err += ((double) y[i] - x[i]) * ((double) y[i] - x[i]);
      ref += (double) x[i] * x[i];
    }
  return ref > 0.0 ? sqrt (err / ref) : sqrt (err);
}

/* Quantises @x into @type and back into @y; checks the byte count. */
static void
round_trip (BendiTensorType  type,
            const float     *x,
            float           *y,
            gint64           n)
{
  gsize bytes = row_bytes (type, n);
  g_autofree guint8 *q = g_malloc0 (bytes + 1);

  q[bytes] = 0xa5;   /* a canary: quantisers must stay inside the row */
  g_assert_true (bendi_quant_can_quantize (type));
  g_assert_cmpuint (bendi_quantize_row (type, x, q, n), ==, bytes);
  g_assert_cmpuint (q[bytes], ==, 0xa5);
  bendi_dequantize_row (type, q, y, n);
}

/* ------------------------------------------------------------------------ */
/* fp16 and bf16 */

/* The value of a finite half, straight from the definition. */
static double
half_value (guint16 h)
{
  int exponent = (h >> 10) & 0x1f;
  int mantissa = h & 0x3ff;
  double v = exponent == 0 ? ldexp (mantissa, -24) : ldexp (1024 + mantissa, exponent - 25);

  return (h & 0x8000) != 0 ? -v : v;
}

static gboolean
half_is_nan (guint16 h)
{
  return (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0;
}

static void
test_fp16_exhaustive (void)
{
  for (guint32 i = 0; i <= 0xffff; i++)
    {
      guint16 h = (guint16) i;
      float f = bendi_fp16_to_fp32 (h);
      guint16 back = bendi_fp32_to_fp16 (f);

      g_assert_cmpint (signbit (f) != 0, ==, (h & 0x8000) != 0);
      if (half_is_nan (h))
        {
          g_assert_true (isnan (f));
          g_assert_true (half_is_nan (back));
          g_assert_cmpuint (back & 0x8000, ==, h & 0x8000);
        }
      else if ((h & 0x7fff) == 0x7c00)
        {
          g_assert_true (isinf (f));
          g_assert_cmpuint (back, ==, h);
        }
      else
        {
          g_assert_cmpfloat ((double) f, ==, half_value (h));
          g_assert_cmpuint (back, ==, h);
        }
#ifdef __FLT16_MAX__
      /* The compiler's own conversions, where it has them, must agree. */
      if (!half_is_nan (h))
        {
          _Float16 native;

          memcpy (&native, &h, sizeof native);
          g_assert_cmpuint (bendi_float_bits ((float) native), ==, bendi_float_bits (f));
        }
#endif
    }
}

/* Every rounding boundary: the midpoint between each pair of neighbouring
 * halves goes to the even one, and the floats just either side of it go to
 * the nearer one. The midpoint of two halves has at most 12 significant
 * bits, so float holds it exactly. */
static void
test_fp16_rounding (void)
{
  for (guint32 h = 0; h < 0x7c00; h++)
    {
      double lower = half_value ((guint16) h);
      double upper = h == 0x7bff ? 65536.0 : half_value ((guint16) (h + 1));
      float mid = (float) ((lower + upper) / 2);
      guint16 even = (h & 1) == 0 ? (guint16) h : (guint16) (h + 1);

      g_assert_cmpfloat ((double) mid, ==, (lower + upper) / 2);
      g_assert_cmpuint (bendi_fp32_to_fp16 (mid), ==, even);
      g_assert_cmpuint (bendi_fp32_to_fp16 (-mid), ==, even | 0x8000);
      g_assert_cmpuint (bendi_fp32_to_fp16 (nextafterf (mid, 0.0f)), ==, h);
      g_assert_cmpuint (bendi_fp32_to_fp16 (nextafterf (mid, INFINITY)), ==, h + 1);
      g_assert_cmpuint (bendi_fp32_to_fp16 ((float) lower), ==, h);
    }

  /* Overflow: 65504 is the largest half; from 65520 on, infinity. */
  g_assert_cmpuint (bendi_fp32_to_fp16 (65504.0f), ==, 0x7bff);
  g_assert_cmpuint (bendi_fp32_to_fp16 (65519.996f), ==, 0x7bff);
  g_assert_cmpuint (bendi_fp32_to_fp16 (65520.0f), ==, 0x7c00);
  g_assert_cmpuint (bendi_fp32_to_fp16 (1e10f), ==, 0x7c00);
  g_assert_cmpuint (bendi_fp32_to_fp16 (-3.4e38f), ==, 0xfc00);
  g_assert_cmpuint (bendi_fp32_to_fp16 (INFINITY), ==, 0x7c00);
  g_assert_cmpuint (bendi_fp32_to_fp16 (-INFINITY), ==, 0xfc00);
  g_assert_true (half_is_nan (bendi_fp32_to_fp16 (NAN)));

  /* Subnormals: 2^-24 is the smallest; half of it rounds to even (zero),
   * 1.5 × 2^-24 to even (2 × 2^-24); 2^-14 is the smallest normal. */
  g_assert_cmpuint (bendi_fp32_to_fp16 (ldexpf (1.0f, -24)), ==, 0x0001);
  g_assert_cmpuint (bendi_fp32_to_fp16 (ldexpf (1.0f, -25)), ==, 0x0000);
  g_assert_cmpuint (bendi_fp32_to_fp16 (-ldexpf (1.0f, -25)), ==, 0x8000);
  g_assert_cmpuint (bendi_fp32_to_fp16 (ldexpf (1.5f, -24)), ==, 0x0002);
  g_assert_cmpuint (bendi_fp32_to_fp16 (ldexpf (1.0f, -14)), ==, 0x0400);
  g_assert_cmpuint (bendi_fp32_to_fp16 (ldexpf (1023.0f, -24)), ==, 0x03ff);
  g_assert_cmpuint (bendi_fp32_to_fp16 (ldexpf (1023.5f, -24)), ==, 0x0400);
  g_assert_cmpuint (bendi_fp32_to_fp16 (1e-30f), ==, 0x0000);
  g_assert_cmpuint (bendi_fp32_to_fp16 (nextafterf (0.0f, 1.0f)), ==, 0x0000);
  /* Ties in the normal range: 1 + 2^-11 lies halfway between 1 and
   * 1 + 2^-10 and goes to 1 (even); 1 + 3 × 2^-11 goes up to 1 + 2^-9. */
  g_assert_cmpuint (bendi_fp32_to_fp16 (1.0f + ldexpf (1.0f, -11)), ==, 0x3c00);
  g_assert_cmpuint (bendi_fp32_to_fp16 (1.0f + ldexpf (3.0f, -11)), ==, 0x3c02);
}

/* A sweep over float bit patterns: the half chosen is a nearest one. */
static void
test_fp16_nearest (void)
{
  for (guint64 u = 0; u < 0x477ff000u; u += 997)
    {
      float f = bendi_float_from_bits ((guint32) u);
      guint16 h = bendi_fp32_to_fp16 (f);
      double err = fabs ((double) f - half_value (h));

      g_assert_cmpuint (h, <, 0x7c00);
      if (h > 0)
        g_assert_cmpfloat (err, <=, fabs ((double) f - half_value ((guint16) (h - 1))));
      if (h < 0x7bff)
        g_assert_cmpfloat (err, <=, fabs ((double) f - half_value ((guint16) (h + 1))));
#ifdef __FLT16_MAX__
      {
        _Float16 native = (_Float16) f;
        guint16 native_bits;

        memcpy (&native_bits, &native, sizeof native_bits);
        g_assert_cmpuint (native_bits, ==, h);
      }
#endif
    }
}

static void
test_bf16 (void)
{
  for (guint32 i = 0; i <= 0xffff; i++)
    {
      guint16 h = (guint16) i;
      float f = bendi_bf16_to_fp32 (h);

      /* bfloat16 is the top half of a float. */
      g_assert_cmpuint (bendi_float_bits (f), ==, i << 16);
      if (isnan (f))
        {
          guint16 back = bendi_fp32_to_bf16 (f);

          g_assert_true (isnan (bendi_bf16_to_fp32 (back)));
          g_assert_cmpuint (back & 0x8000, ==, h & 0x8000);
        }
      else
        {
          g_assert_cmpuint (bendi_fp32_to_bf16 (f), ==, h);
        }
      /* Halfway to the next bfloat16 rounds to even; just off it, to the
       * nearer one. */
      if ((h & 0x7fff) < 0x7f80)
        {
          guint32 mid = i << 16 | 0x8000;
          guint16 even = (h & 1) == 0 ? h : (guint16) (h + 1);

          g_assert_cmpuint (bendi_fp32_to_bf16 (bendi_float_from_bits (mid)), ==, even);
          g_assert_cmpuint (bendi_fp32_to_bf16 (bendi_float_from_bits (mid - 1)), ==, h);
          g_assert_cmpuint (bendi_fp32_to_bf16 (bendi_float_from_bits (mid + 1)), ==, h + 1);
        }
    }
  /* The largest float rounds up to infinity; a NaN whose payload sits only
   * in the low half must stay a NaN, not become infinity. */
  g_assert_cmpuint (bendi_fp32_to_bf16 (bendi_float_from_bits (0x7f7fffff)), ==, 0x7f80);
  g_assert_true (isnan (bendi_bf16_to_fp32 (bendi_fp32_to_bf16 (bendi_float_from_bits (0x7f800001)))));
  g_assert_true (isnan (bendi_bf16_to_fp32 (bendi_fp32_to_bf16 (bendi_float_from_bits (0xffc00001)))));
}

/* ------------------------------------------------------------------------ */
/* Hand-built blocks. Each block is laid out byte by byte at the offsets
 * ggml's structs give, and the expected values are worked out from the
 * format's definition. */

static void
test_block_q4_0 (void)
{
  /* Two blocks of 18 bytes: d, then 16 bytes whose low nibbles are
   * elements 0-15 and high nibbles elements 16-31; x = (q - 8) d. */
  guint8 b[36];
  double expected[64];

  memset (b, 0x88, sizeof b);           /* q = 8 everywhere: zero */
  put_u16 (b, H_2);
  b[2 + 0] = 0x0f;                      /* x0 = 7 · 2, x16 = -8 · 2 */
  b[2 + 1] = 0x80;                      /* x1 = -8 · 2, x17 = 0 */
  b[2 + 15] = 0x7a;                     /* x15 = 2 · 2, x31 = -1 · 2 */
  put_u16 (b + 18, H_MINUS_1);
  memset (b + 20, 0x19, 16);            /* low 9 → -1, high 1 → 7 */

  for (int i = 0; i < 64; i++)
    expected[i] = 0.0;
  expected[0] = 14;
  expected[16] = -16;
  expected[1] = -16;
  expected[17] = 0;
  expected[15] = 4;
  expected[31] = -2;
  for (int i = 32; i < 48; i++)
    expected[i] = -1;
  for (int i = 48; i < 64; i++)
    expected[i] = 7;
  check_dequantized (BENDI_TENSOR_TYPE_Q4_0, b, expected, 64);
}

static void
test_block_q4_1 (void)
{
  /* d, m, 16 bytes of nibbles; x = q d + m. */
  guint8 b[20];
  double expected[32];

  memset (b, 0x44, sizeof b);           /* q = 4: 4 · 0.5 - 2 = 0 */
  put_u16 (b, H_0_5);
  put_u16 (b + 2, H_MINUS_2);
  b[4 + 0] = 0xf0;                      /* x0 = -2, x16 = 15 · 0.5 - 2 */
  b[4 + 3] = 0x21;                      /* x3 = 0.5 - 2, x19 = 1 - 2 */

  for (int i = 0; i < 32; i++)
    expected[i] = 0.0;
  expected[0] = -2;
  expected[16] = 5.5;
  expected[3] = -1.5;
  expected[19] = -1;
  check_dequantized (BENDI_TENSOR_TYPE_Q4_1, b, expected, 32);
}

static void
test_block_q5_0 (void)
{
  /* d, qh (32 bits, little-endian: bit j is bit 4 of element j), 16 bytes
   * of low nibbles as Q4_0; x = (q - 16) d. */
  guint8 b[22];
  double expected[32];

  memset (b, 0, sizeof b);
  put_u16 (b, H_1);
  b[2] = 0x01;                          /* bit 0: element 0 */
  b[3] = 0x01;                          /* bit 8: element 8 */
  b[4] = 0x01;                          /* bit 16: element 16 */
  b[5] = 0x80;                          /* bit 31: element 31 */
  b[6 + 0] = 0xf5;                      /* x0 = 5 + 16 - 16, x16 = 15 + 16 - 16 */
  b[6 + 15] = 0x3c;                     /* x15 = 12 - 16, x31 = 3 + 16 - 16 */

  for (int i = 0; i < 32; i++)
    expected[i] = -16;
  expected[0] = 5;
  expected[8] = 0;
  expected[16] = 15;
  expected[15] = -4;
  expected[31] = 3;
  check_dequantized (BENDI_TENSOR_TYPE_Q5_0, b, expected, 32);
}

static void
test_block_q5_1 (void)
{
  /* d, m, qh, 16 bytes of nibbles; x = q d + m. */
  guint8 b[24];
  double expected[32];

  memset (b, 0, sizeof b);
  put_u16 (b, H_0_25);
  put_u16 (b + 2, H_1);
  b[4 + 2] = 0x01;                      /* bit 16: element 16 */
  b[4 + 3] = 0x80;                      /* bit 31: element 31 */
  b[8 + 0] = 0x0f;                      /* x0 = 15 · 0.25 + 1 */

  for (int i = 0; i < 32; i++)
    expected[i] = 1;
  expected[0] = 4.75;
  expected[16] = 16 * 0.25 + 1;
  expected[31] = 16 * 0.25 + 1;
  check_dequantized (BENDI_TENSOR_TYPE_Q5_1, b, expected, 32);
}

static void
test_block_q8_0 (void)
{
  /* d, then 32 signed bytes; x = q d. */
  guint8 b[34];
  double expected[32];

  put_u16 (b, H_0_5);
  for (int i = 0; i < 32; i++)
    {
      b[2 + i] = (guint8) (gint8) (i - 16);
      expected[i] = (i - 16) * 0.5;
    }
  b[2 + 0] = 0x80;                      /* -128 */
  expected[0] = -64;
  b[2 + 31] = 0x7f;                     /* 127 */
  expected[31] = 63.5;
  check_dequantized (BENDI_TENSOR_TYPE_Q8_0, b, expected, 32);
}

static void
test_block_q8_1 (void)
{
  /* d, s (unused by dequantisation), 32 signed bytes. */
  guint8 b[36];
  double expected[32];

  put_u16 (b, H_MINUS_2);
  put_u16 (b + 2, H_1);
  for (int i = 0; i < 32; i++)
    {
      b[4 + i] = (guint8) (gint8) (3 * i - 50);
      expected[i] = (3 * i - 50) * -2.0;
    }
  check_dequantized (BENDI_TENSOR_TYPE_Q8_1, b, expected, 32);
}

static void
test_block_q2_k (void)
{
  /* scales[16] (low nibble scale, high nibble min of each 16 elements),
   * qs[64], d, dmin; x = d · sc · q - dmin · m. In qs, element
   * 128 h + 32 k + l sits in byte 32 h + l at bits 2k. */
  guint8 b[84];
  double expected[256];

  for (int s = 0; s < 16; s++)
    b[s] = (guint8) (s | (15 - s) << 4);   /* sc = s, m = 15 - s */
  memset (b + 16, 0xe4, 64);               /* bits 2k hold k: q = k */
  put_u16 (b + 80, H_1);
  put_u16 (b + 82, H_0_5);
  for (int e = 0; e < 256; e++)
    {
      int s = e / 16;
      int k = (e % 128) / 32;

      expected[e] = s * k - 0.5 * (15 - s);
    }
  /* A probe: byte 33 (h = 1, l = 1), bits 6-7 (k = 3) → element 225. */
  b[16 + 33] = 0x24;                       /* k = 3 now holds 0 */
  expected[225] = 0 - 0.5 * (15 - 14);
  check_dequantized (BENDI_TENSOR_TYPE_Q2_K, b, expected, 256);
}

static void
test_block_q3_k (void)
{
  /* hmask[32], qs[64], scales[12], d. q = low 2 bits (as Q2_K) minus 4
   * when element e's bit (e / 32 of hmask byte e % 32) is clear. The
   * 6-bit scale of sub-block s: low 4 bits in a nibble of bytes 0-7 (low
   * nibbles for s < 8, high for s ≥ 8), top 2 bits at bits 2 (s / 4) of
   * byte 8 + s % 4; x = d (scale - 32) q. */
  static const guint8 scales[12] = {
    0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe,  /* low bits: s<8 → 2s, s≥8 → 2(s-8)+1 */
    0xe4, 0x1b, 0x00, 0xff,                          /* top bits, worked out below */
  };
  /* s:             0    1    2   3   4   5    6   7  8    9   10  11  12   13   14  15
   * low:           0    2    4   6   8  10   12  14  1    3    5   7   9   11   13  15
   * top:           0    3    0   3   1   2    0   3  2    1    0   3   3    0    0   3
   * scale - 32: */
  static const int scale[16] = {
    -32, 18, -28, 22, -8, 10, -20, 30, 1, -13, -27, 23, 25, -21, -19, 31,
  };
  guint8 b[110];
  double expected[256];

  memset (b, 0xff, 32);                  /* every high bit set: no -4 */
  memset (b + 32, 0xff, 64);             /* low bits 3: q = 3 */
  memcpy (b + 96, scales, 12);
  put_u16 (b + 108, H_1);
  for (int e = 0; e < 256; e++)
    expected[e] = 3.0 * scale[e / 16];

  /* Probes: element 197 = 6 · 32 + 5 loses its high bit (hmask byte 5,
   * bit 6): q = 3 - 4; element 168 = 128 + 32 + 8 loses its low bits (qs
   * byte 32 + 8, bits 2-3): q = 0. */
  b[5] = 0xbf;
  expected[197] = -1.0 * scale[197 / 16];
  b[32 + 40] = 0xf3;
  expected[168] = 0.0;
  check_dequantized (BENDI_TENSOR_TYPE_Q3_K, b, expected, 256);
}

/* The scale bytes of the Q4_K/Q5_K tests and what they decode to: bytes
 * 0-3 hold scales 0-3 and bytes 4-7 mins 0-3 in their low 6 bits; bytes
 * 8-11 hold the low 4 bits of scale (low nibble) and min (high nibble) of
 * sub-blocks 4-7, whose top 2 bits are the top bits of bytes 0-3 (scales)
 * and 4-7 (mins). */
static const guint8 k4_scales[12] = {
  0x41, 0x82, 0xc3, 0x04, 0x05, 0x46, 0x87, 0xc8, 0x21, 0x43, 0x65, 0x87,
};
/* scales 4-7: 1 | 1 << 4, 3 | 2 << 4, 5 | 3 << 4, 7 | 0 << 4
 * mins 4-7:   2 | 0 << 4, 4 | 1 << 4, 6 | 2 << 4, 8 | 3 << 4 */
static const int k4_scale[8] = { 1, 2, 3, 4, 17, 35, 53, 7 };
static const int k4_min[8] = { 5, 6, 7, 8, 2, 20, 38, 56 };

static void
test_block_q4_k (void)
{
  /* d, dmin, scales[12], qs[128]; element 64 h + 32 k + l is nibble k of
   * byte 32 h + l; x = d · sc · q - dmin · m. */
  guint8 b[144];
  double expected[256];

  put_u16 (b, H_1);
  put_u16 (b + 2, H_0_5);
  memcpy (b + 4, k4_scales, 12);
  memset (b + 16, 0xa5, 128);           /* even sub-blocks q = 5, odd q = 10 */
  for (int e = 0; e < 256; e++)
    {
      int s = e / 32;

      expected[e] = k4_scale[s] * (s % 2 == 0 ? 5 : 10) - 0.5 * k4_min[s];
    }
  /* Probe: byte 70 = 32 · 2 + 6 holds elements 134 (low) and 166 (high). */
  b[16 + 70] = 0x5f;
  expected[134] = 17 * 15 - 0.5 * 2;
  expected[166] = 35 * 5 - 0.5 * 20;
  check_dequantized (BENDI_TENSOR_TYPE_Q4_K, b, expected, 256);
}

static void
test_block_q5_k (void)
{
  /* As Q4_K with qh[32] before qs: element e's fifth bit is bit e / 32 of
   * byte e % 32. */
  guint8 b[176];
  double expected[256];

  put_u16 (b, H_1);
  put_u16 (b + 2, H_0_5);
  memcpy (b + 4, k4_scales, 12);
  memset (b + 16, 0, 32);
  memset (b + 48, 0xa5, 128);
  for (int e = 0; e < 256; e++)
    {
      int s = e / 32;

      expected[e] = k4_scale[s] * (s % 2 == 0 ? 5 : 10) - 0.5 * k4_min[s];
    }
  b[16 + 3] = 0x81;                     /* elements 3 and 7 · 32 + 3 */
  expected[3] = 1 * (5 + 16) - 0.5 * 5;
  expected[227] = 7 * (10 + 16) - 0.5 * 56;
  b[16 + 31] = 0x20;                    /* element 5 · 32 + 31 */
  expected[191] = 35 * (10 + 16) - 0.5 * 20;
  check_dequantized (BENDI_TENSOR_TYPE_Q5_K, b, expected, 256);
}

static void
test_block_q6_k (void)
{
  /* ql[128], qh[64], scales[16] (int8), d; q = low | high << 4, minus 32.
   * Low nibbles: element 128 h + 64 k + r is nibble k of ql byte 64 h + r.
   * High bits: element 128 h + 32 k + l is at bits 2k of qh byte 32 h + l. */
  guint8 b[210];
  int scale[16];
  double expected[256];

  memset (b, 0, 192);                   /* q = -32 everywhere */
  for (int s = 0; s < 16; s++)
    scale[s] = 2 * s - 15;
  scale[0] = -128;
  scale[15] = 127;
  for (int s = 0; s < 16; s++)
    b[192 + s] = (guint8) (gint8) scale[s];
  put_u16 (b + 208, H_0_5);
  for (int e = 0; e < 256; e++)
    expected[e] = 0.5 * scale[e / 16] * -32;

  /* ql byte 70 = 64 + 6: element 128 + 6 (low nibble), 128 + 64 + 6 (high). */
  b[70] = 0x3c;
  expected[134] = 0.5 * scale[8] * (12 - 32);
  expected[198] = 0.5 * scale[12] * (3 - 32);
  /* qh byte 128 + 45 = 32 + 13, bits 6-7: element 128 + 96 + 13. */
  b[128 + 45] = 0xc0;
  expected[237] = 0.5 * scale[14] * (48 - 32);
  /* qh byte 0, bits 2-3: element 32; ql byte 32, low nibble: element 32. */
  b[128 + 0] = 0x04;
  b[32] = 0x01;
  expected[32] = 0.5 * scale[2] * (17 - 32);
  check_dequantized (BENDI_TENSOR_TYPE_Q6_K, b, expected, 256);
}

static void
test_block_q8_k (void)
{
  /* d (float), qs[256], bsums[16] (unused by dequantisation). */
  guint8 b[292];
  double expected[256];

  memset (b, 0, sizeof b);
  put_f32 (b, 0.25f);
  for (int e = 0; e < 256; e++)
    {
      b[4 + e] = (guint8) (gint8) (e - 128);
      expected[e] = (e - 128) * 0.25;
    }
  check_dequantized (BENDI_TENSOR_TYPE_Q8_K, b, expected, 256);
}

static void
test_block_iq4_nl (void)
{
  /* d, 16 bytes of nibbles as Q4_0; x = d · levels[q]. */
  guint8 b[18];
  double expected[32];

  for (int i = 0; i < 16; i++)
    g_assert_cmpint (bendi_iq4nl_values[i], ==, iq4nl_levels[i]);

  put_u16 (b, H_2);
  for (int j = 0; j < 16; j++)
    {
      b[2 + j] = (guint8) (j | (15 - j) << 4);
      expected[j] = 2.0 * iq4nl_levels[j];
      expected[j + 16] = 2.0 * iq4nl_levels[15 - j];
    }
  check_dequantized (BENDI_TENSOR_TYPE_IQ4_NL, b, expected, 32);
}

static void
test_block_iq4_xs (void)
{
  /* d, scales_h (16 bits little-endian), scales_l[4], qs[128]. Sub-block s
   * of 32: its 6-bit scale has the low 4 bits in nibble s % 2 of
   * scales_l[s / 2] and the top 2 bits at bits 2s of scales_h; its 16
   * bytes of nibbles are laid out as IQ4_NL's; x = d (scale - 32) levels[q]. */
  guint8 b[136];
  /* scales_h = 0xe41b: top bits 3, 2, 1, 0, 0, 1, 2, 3 for s = 0..7;
   * scales_l low bits s. So scale - 32 is: */
  static const int scale[8] = { 48 - 32, 33 - 32, 18 - 32, 3 - 32, 4 - 32, 21 - 32, 38 - 32, 55 - 32 };
  double expected[256];

  put_u16 (b, H_0_5);
  put_u16 (b + 2, 0xe41b);
  b[4] = 0x10;
  b[5] = 0x32;
  b[6] = 0x54;
  b[7] = 0x76;
  for (int s = 0; s < 8; s++)
    {
      for (int j = 0; j < 16; j++)
        {
          int lo = (j + s) % 16;
          int hi = 15 - j;

          b[8 + 16 * s + j] = (guint8) (lo | hi << 4);
          expected[32 * s + j] = 0.5 * scale[s] * iq4nl_levels[lo];
          expected[32 * s + 16 + j] = 0.5 * scale[s] * iq4nl_levels[hi];
        }
    }
  check_dequantized (BENDI_TENSOR_TYPE_IQ4_XS, b, expected, 256);
}

static void
test_block_float (void)
{
  guint8 b[8];
  double expected[4] = { 1.0, -2.0, 0.5, 65504.0 };
  const float f32[4] = { 1.0f, -2.0f, 0.5f, 65504.0f };

  /* F16 and BF16 are little-endian 16-bit words. */
  put_u16 (b, H_1);
  put_u16 (b + 2, H_MINUS_2);
  put_u16 (b + 4, H_0_5);
  put_u16 (b + 6, 0x7bff);
  check_dequantized (BENDI_TENSOR_TYPE_F16, b, expected, 4);

  put_u16 (b, 0x3f80);
  put_u16 (b + 2, 0xc000);
  put_u16 (b + 4, 0x3f00);
  put_u16 (b + 6, 0x477f);              /* 65280: bf16 cannot hold 65504 */
  expected[3] = 65280.0;
  check_dequantized (BENDI_TENSOR_TYPE_BF16, b, expected, 4);

  expected[3] = 65504.0;
  check_dequantized (BENDI_TENSOR_TYPE_F32, (const guint8 *) f32, expected, 4);
}

/* ------------------------------------------------------------------------ */
/* Round trips */

typedef struct {
  BendiTensorType type;
  /* Largest RMS error relative to the data's RMS on Gaussian rows. */
  double          max_error;
} RoundTripCase;

/* The bounds follow from the grid each type gives a block. Rounding to a
 * grid of step Δ errs by Δ / √12 RMS. In a block of 32 Gaussian values the
 * largest magnitude is about 2.1σ and the range about 4.1σ, so Q8_0
 * (Δ = 2.1σ / 127) gives ≈ 0.5%, Q5_1 (Δ = 4.1σ / 31) ≈ 3.8%, Q4_1
 * (4.1σ / 15) ≈ 7.9%; Q5_0 and Q4_0 map the largest magnitude to -16 or -8
 * and leave the other end of their grid short by a step, ≈ 4.3% and 8.7%
 * measured. Q8_K has one scale per 256 values, whose largest is ≈ 2.9σ:
 * ≈ 0.7%. The K-quants' searched scales beat a plain grid of the same bits
 * but pay for coarse sub-block scales; their figures are measured, and match
 * what llama.cpp's own quantiser reaches on the same kind of data (see the
 * golden tests, which compare both): Q6_K ≈ 1.7%, Q5_K ≈ 3.5%, Q4_K ≈ 7.0%,
 * Q3_K ≈ 14.6%, Q2_K ≈ 26.6%; IQ4_NL and IQ4_XS ≈ 7.3%. Each bound is about
 * 10% above its figure: losing one bit would double the error, and a broken
 * scale search or layout gives errors of order 1. */
static const RoundTripCase round_trip_cases[] = {
  { BENDI_TENSOR_TYPE_F16,    0.0004 },  /* 2^-11 relative steps: ≈ 0.02% */
  { BENDI_TENSOR_TYPE_BF16,   0.003 },   /* 2^-8 relative steps: ≈ 0.17% */
  { BENDI_TENSOR_TYPE_Q8_0,   0.006 },
  { BENDI_TENSOR_TYPE_Q8_1,   0.006 },
  { BENDI_TENSOR_TYPE_Q8_K,   0.0078 },
  { BENDI_TENSOR_TYPE_Q5_0,   0.047 },
  { BENDI_TENSOR_TYPE_Q5_1,   0.042 },
  { BENDI_TENSOR_TYPE_Q4_0,   0.096 },
  { BENDI_TENSOR_TYPE_Q4_1,   0.087 },
  { BENDI_TENSOR_TYPE_Q6_K,   0.019 },
  { BENDI_TENSOR_TYPE_Q5_K,   0.039 },
  { BENDI_TENSOR_TYPE_Q4_K,   0.077 },
  { BENDI_TENSOR_TYPE_Q3_K,   0.16 },
  { BENDI_TENSOR_TYPE_Q2_K,   0.295 },
  { BENDI_TENSOR_TYPE_IQ4_NL, 0.08 },
  { BENDI_TENSOR_TYPE_IQ4_XS, 0.081 },
};

#define ROUND_TRIP_N (16 * 256)

static void
test_round_trip_gaussian (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (20240601);
  g_autofree float *x = g_new (float, ROUND_TRIP_N);
  g_autofree float *y = g_new (float, ROUND_TRIP_N);

  fill_gaussian (rand, x, ROUND_TRIP_N, 0.02);
  for (gsize i = 0; i < G_N_ELEMENTS (round_trip_cases); i++)
    {
      const RoundTripCase *c = &round_trip_cases[i];
      double error;

      round_trip (c->type, x, y, ROUND_TRIP_N);
      error = relative_rms_error (x, y, ROUND_TRIP_N);
      g_test_message ("%-7s relative RMS error %.5f (bound %.4f)",
                      bendi_tensor_type_name (c->type), error, c->max_error);
      g_assert_cmpfloat (error, <=, c->max_error);
    }

  /* F32 is a copy. */
  round_trip (BENDI_TENSOR_TYPE_F32, x, y, ROUND_TRIP_N);
  g_assert_cmpmem (x, ROUND_TRIP_N * sizeof (float), y, ROUND_TRIP_N * sizeof (float));
}

/* Rows whose every element shares one sign; the types with a min must use
 * it, the others one end of their range. */
static void
test_round_trip_one_sign (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  g_autofree float *x = g_new (float, ROUND_TRIP_N);
  g_autofree float *y = g_new (float, ROUND_TRIP_N);

  fill_gaussian (rand, x, ROUND_TRIP_N, 1.0);
  for (int sign = -1; sign <= 1; sign += 2)
    {
      for (gint64 i = 0; i < ROUND_TRIP_N; i++)
        x[i] = (float) sign * fabsf (x[i]);
      for (gsize i = 0; i < G_N_ELEMENTS (round_trip_cases); i++)
        {
          const RoundTripCase *c = &round_trip_cases[i];
          double error;

          round_trip (c->type, x, y, ROUND_TRIP_N);
          error = relative_rms_error (x, y, ROUND_TRIP_N);
          g_test_message ("%-7s sign %+d: relative RMS error %.5f",
                          bendi_tensor_type_name (c->type), sign, error);
          /* One-signed data has the same spread in a range of about
           * half the size, or the same magnitudes relative to the RMS. */
          g_assert_cmpfloat (error, <=, c->max_error);
          for (gint64 j = 0; j < ROUND_TRIP_N; j++)
            g_assert_cmpfloat ((double) sign * y[j], >=, -c->max_error * 4);
        }
    }
}

static void
test_round_trip_zeros (void)
{
  g_autofree float *x = g_new0 (float, ROUND_TRIP_N);
  g_autofree float *y = g_new (float, ROUND_TRIP_N);

  for (gsize i = 0; i < G_N_ELEMENTS (round_trip_cases); i++)
    {
      for (gint64 j = 0; j < ROUND_TRIP_N; j++)
        y[j] = 1.0f;
      round_trip (round_trip_cases[i].type, x, y, ROUND_TRIP_N);
      for (gint64 j = 0; j < ROUND_TRIP_N; j++)
        g_assert_cmpfloat (y[j], ==, 0.0f);
    }
}

/* A constant fills one level of every grid exactly (the top, the bottom or
 * the min); what is left is the fp16 rounding of the scales, 2^-11 relative
 * while they stay normal halves. A tiny constant pushes the K and IQ4_XS
 * super-block scales deep into the subnormal halves, which hold only a few
 * bits there (d ≈ 2.4·10^-7 is 4 steps of 2^-24): a few percent is all the
 * format can do. */
static void
test_round_trip_constant (void)
{
  static const struct {
    float value;
    float tolerance;
  } constants[] = {
    { 0.7f, 1.5e-3f }, { -0.3f, 1.5e-3f }, { 1000.0f, 1.5e-3f }, { -1e-3f, 0.025f },
  };
  g_autofree float *x = g_new (float, ROUND_TRIP_N);
  g_autofree float *y = g_new (float, ROUND_TRIP_N);

  for (gsize k = 0; k < G_N_ELEMENTS (constants); k++)
    {
      for (gint64 j = 0; j < ROUND_TRIP_N; j++)
        x[j] = constants[k].value;
      for (gsize i = 0; i < G_N_ELEMENTS (round_trip_cases); i++)
        {
          BendiTensorType type = round_trip_cases[i].type;
          /* BF16 itself keeps only 8 significant bits: up to 2^-8 relative. */
          float tolerance = type == BENDI_TENSOR_TYPE_BF16 ? 1.0f / 256 : constants[k].tolerance;
          float worst = 0.0f;

          round_trip (type, x, y, ROUND_TRIP_N);
          for (gint64 j = 0; j < ROUND_TRIP_N; j++)
            worst = MAX (worst, fabsf (y[j] - x[j]) / fabsf (x[j]));
          g_test_message ("%-7s constant %g: worst relative error %.5f",
                          bendi_tensor_type_name (type), x[0], worst);
          g_assert_cmpfloat (worst, <=, tolerance);
        }
    }
}

/* One huge value: it must survive, and the blocks that do not hold it must
 * not notice. */
static void
test_round_trip_outlier (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (99);
  g_autofree float *x = g_new (float, ROUND_TRIP_N);
  g_autofree float *y = g_new (float, ROUND_TRIP_N);
  const gint64 at = 256 * 3 + 37;

  fill_gaussian (rand, x, ROUND_TRIP_N, 1.0);
  x[at] = 1000.0f;
  for (gsize i = 0; i < G_N_ELEMENTS (round_trip_cases); i++)
    {
      const RoundTripCase *c = &round_trip_cases[i];
      gint64 block = bendi_tensor_type_info (c->type)->block_size;
      gint64 start = at / block * block;
      float rest_x[ROUND_TRIP_N], rest_y[ROUND_TRIP_N];
      gint64 n_rest = 0;

      round_trip (c->type, x, y, ROUND_TRIP_N);
      /* The outlier sets its block's scale, so it lands on the end of the
       * grid: off by the fp16 rounding of the scales (< 0.05%), or by a
       * little more where a least-squares scale trades some of its accuracy
       * for its 31 neighbours' (IQ4_NL: 0.2%). */
      g_test_message ("%-7s outlier 1000 came back as %g", bendi_tensor_type_name (c->type), y[at]);
      g_assert_cmpfloat (fabsf (y[at] - 1000.0f), <=, 5.0f);
      for (gint64 j = 0; j < ROUND_TRIP_N; j++)
        {
          g_assert_true (isfinite (y[j]));
          if (j < start || j >= start + block)
            {
              rest_x[n_rest] = x[j];
              rest_y[n_rest] = y[j];
              n_rest++;
            }
        }
      g_assert_cmpfloat (relative_rms_error (rest_x, rest_y, n_rest), <=, c->max_error);
    }
}

/* Small magnitudes push the fp16 scales into their subnormal range, where
 * they keep fewer bits: at σ = 10^-3 a Q8_0 scale of ~2·10^-5 still has
 * about 8, enough beside its 7-bit grid, so the usual bounds hold. Far
 * smaller data (σ = 10^-6, scales below 2^-24) is beyond fp16 scales; it
 * must still come back finite and about as small as it went in. */
static void
test_round_trip_tiny (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);
  g_autofree float *x = g_new (float, ROUND_TRIP_N);
  g_autofree float *y = g_new (float, ROUND_TRIP_N);

  fill_gaussian (rand, x, ROUND_TRIP_N, 1e-3);
  for (gsize i = 0; i < G_N_ELEMENTS (round_trip_cases); i++)
    {
      const RoundTripCase *c = &round_trip_cases[i];
      double error;

      round_trip (c->type, x, y, ROUND_TRIP_N);
      error = relative_rms_error (x, y, ROUND_TRIP_N);
      g_test_message ("%-7s tiny: relative RMS error %.5f", bendi_tensor_type_name (c->type), error);
      g_assert_cmpfloat (error, <=, c->max_error);
    }

  fill_gaussian (rand, x, ROUND_TRIP_N, 1e-6);
  for (gsize i = 0; i < G_N_ELEMENTS (round_trip_cases); i++)
    {
      round_trip (round_trip_cases[i].type, x, y, ROUND_TRIP_N);
      for (gint64 j = 0; j < ROUND_TRIP_N; j++)
        {
          g_assert_true (isfinite (y[j]));
          g_assert_cmpfloat (fabsf (y[j]), <=, 1e-4f);
        }
    }
}

/* Lengths of one and several blocks, and none. */
static void
test_round_trip_lengths (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (11);
  float x[3 * 256], y[3 * 256];

  fill_gaussian (rand, x, G_N_ELEMENTS (x), 1.0);
  for (gsize i = 0; i < G_N_ELEMENTS (round_trip_cases); i++)
    {
      const RoundTripCase *c = &round_trip_cases[i];
      gint64 block = bendi_tensor_type_info (c->type)->block_size;
      gint64 lengths[] = { block, 2 * block, 3 * block, 3 * 256 };

      for (gsize k = 0; k < G_N_ELEMENTS (lengths); k++)
        {
          gint64 n = lengths[k];

          round_trip (c->type, x, y, n);
          /* Short rows sample few blocks, so allow a little more. */
          g_assert_cmpfloat (relative_rms_error (x, y, n), <=, c->max_error * 1.3);
        }
      g_assert_cmpuint (bendi_quantize_row (c->type, x, NULL, 0), ==, 0);
      bendi_dequantize_row (c->type, NULL, NULL, 0);
    }
}

/* Non-finite input is garbage in, but must not crash or read out of bounds. */
static void
test_round_trip_non_finite (void)
{
  float x[256], y[256];

  for (int i = 0; i < 256; i++)
    x[i] = (float) i / 256.0f;
  x[5] = NAN;
  x[40] = INFINITY;
  x[200] = -INFINITY;
  for (gsize i = 0; i < G_N_ELEMENTS (round_trip_cases); i++)
    round_trip (round_trip_cases[i].type, x, y, 256);
  for (int i = 0; i < 256; i++)
    x[i] = NAN;
  for (gsize i = 0; i < G_N_ELEMENTS (round_trip_cases); i++)
    round_trip (round_trip_cases[i].type, x, y, 256);
}

/* Which types the converters claim, and that a row that is not a whole
 * number of blocks is refused. */
static void
test_coverage (void)
{
  static const BendiTensorType both[] = {
    BENDI_TENSOR_TYPE_F32, BENDI_TENSOR_TYPE_F16, BENDI_TENSOR_TYPE_BF16,
    BENDI_TENSOR_TYPE_Q4_0, BENDI_TENSOR_TYPE_Q4_1, BENDI_TENSOR_TYPE_Q5_0,
    BENDI_TENSOR_TYPE_Q5_1, BENDI_TENSOR_TYPE_Q8_0, BENDI_TENSOR_TYPE_Q8_1,
    BENDI_TENSOR_TYPE_Q2_K, BENDI_TENSOR_TYPE_Q3_K, BENDI_TENSOR_TYPE_Q4_K,
    BENDI_TENSOR_TYPE_Q5_K, BENDI_TENSOR_TYPE_Q6_K, BENDI_TENSOR_TYPE_Q8_K,
    BENDI_TENSOR_TYPE_IQ4_NL, BENDI_TENSOR_TYPE_IQ4_XS,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (both); i++)
    {
      g_assert_true (bendi_quant_can_dequantize (both[i]));
      g_assert_true (bendi_quant_can_quantize (both[i]));
    }
  /* Every type the engine calls supported can be read. */
  for (guint32 t = 0; t < BENDI_TENSOR_TYPE_COUNT; t++)
    {
      if (bendi_tensor_type_is_supported (t))
        g_assert_true (bendi_quant_can_dequantize ((BendiTensorType) t));
    }
  g_assert_false (bendi_quant_can_dequantize (BENDI_TENSOR_TYPE_IQ2_XXS));
  g_assert_false (bendi_quant_can_quantize (BENDI_TENSOR_TYPE_I32));
  g_assert_false (bendi_quant_can_dequantize ((BendiTensorType) 4));
  g_assert_false (bendi_quant_can_dequantize ((BendiTensorType) 1000));

  if (g_test_subprocess ())
    {
      float x[48] = { 0 };
      guint8 q[64];

      /* 48 is not a whole number of 32-element blocks. */
      g_assert_cmpuint (bendi_quantize_row (BENDI_TENSOR_TYPE_Q4_0, x, q, 48), ==, 0);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*n_blocks >= 0*");
}

/* ------------------------------------------------------------------------ */
/* Quantiser rules that the matrix kernels and llama.cpp compatibility rely
 * on, checked on the bytes. */

/* Data already on a Q4_0 grid comes back as that grid: the first element
 * of largest magnitude (-2) takes q = 0, so d = -2 / -8 = 0.25 and
 * x_j = (j mod 16 - 8) · 0.25 has q_j = j mod 16. */
static void
test_quantize_q4_0_exact (void)
{
  float x[32];
  guint8 b[18];

  for (int j = 0; j < 32; j++)
    x[j] = (float) (j % 16 - 8) * 0.25f;
  g_assert_cmpuint (bendi_quantize_row (BENDI_TENSOR_TYPE_Q4_0, x, b, 32), ==, 18);
  g_assert_cmpuint (b[0] | b[1] << 8, ==, H_0_25);
  for (int j = 0; j < 16; j++)
    g_assert_cmpuint (b[2 + j], ==, j | j << 4);
}

/* Activations: Q8_0 and Q8_1 map the largest magnitude to ±127 with
 * d = max / 127 and share their quants; Q8_1's s is d · Σq; Q8_K maps
 * the largest magnitude to -127 exactly (d = max / -127) and keeps the sum
 * of each 16 quants in bsums. */
static void
test_quantize_activations (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  float x[512];
  BendiBlockQ8_0 q8_0[16];
  BendiBlockQ8_1 q8_1[16];
  BendiBlockQ8_K q8_k[2];

  fill_gaussian (rand, x, 512, 1.0);
  x[300] = -9.0f;                        /* the largest in its Q8_K block */
  bendi_quantize_row (BENDI_TENSOR_TYPE_Q8_0, x, q8_0, 512);
  bendi_quantize_row (BENDI_TENSOR_TYPE_Q8_1, x, q8_1, 512);
  bendi_quantize_row (BENDI_TENSOR_TYPE_Q8_K, x, q8_k, 512);

  for (int i = 0; i < 16; i++)
    {
      float amax = 0.0f;
      int max_q = 0;
      int sum = 0;

      for (int j = 0; j < 32; j++)
        {
          amax = MAX (amax, fabsf (x[32 * i + j]));
          max_q = MAX (max_q, abs (q8_0[i].qs[j]));
          sum += q8_1[i].qs[j];
        }
      g_assert_cmpint (max_q, ==, 127);
      g_assert_cmpuint (q8_0[i].d, ==, bendi_fp32_to_fp16 (amax / 127.0f));
      g_assert_cmpuint (q8_1[i].d, ==, q8_0[i].d);
      g_assert_cmpmem (q8_1[i].qs, 32, q8_0[i].qs, 32);
      g_assert_cmpuint (q8_1[i].s, ==, bendi_fp32_to_fp16 ((float) sum * (amax / 127.0f)));
    }

  g_assert_cmpint (q8_k[1].qs[300 - 256], ==, -127);
  g_assert_cmpfloat (q8_k[1].d, ==, 1.0f / (-127.0f / -9.0f));
  for (int i = 0; i < 2; i++)
    {
      for (int s = 0; s < 16; s++)
        {
          int sum = 0;

          for (int j = 0; j < 16; j++)
            sum += q8_k[i].qs[16 * s + j];
          g_assert_cmpint (q8_k[i].bsums[s], ==, sum);
        }
    }
}

/* ------------------------------------------------------------------------ */
/* llama.cpp's files: the same random weights in F32 and quantised by
 * llama.cpp. A wrong layout dequantises to noise as large as the weights
 * (relative error ~1.4); the right one to the error the type is known for.
 * The legacy types' quantisers must reproduce llama.cpp's bytes exactly. */

static gboolean
is_legacy (BendiTensorType type)
{
  return type == BENDI_TENSOR_TYPE_Q4_0 || type == BENDI_TENSOR_TYPE_Q4_1 ||
         type == BENDI_TENSOR_TYPE_Q5_0 || type == BENDI_TENSOR_TYPE_Q5_1 ||
         type == BENDI_TENSOR_TYPE_Q8_0;
}

static double
type_error_bound (BendiTensorType type)
{
  for (gsize i = 0; i < G_N_ELEMENTS (round_trip_cases); i++)
    {
      if (round_trip_cases[i].type == type)
        return round_trip_cases[i].max_error;
    }
  g_assert_not_reached ();
}

static void
check_golden_pair (const char *quantized_name,
                   const char *f32_name)
{
  g_autofree char *quantized_path = bendi_test_data_path (quantized_name);
  g_autofree char *f32_path = NULL;
  g_autoptr (BendiGguf) quantized = NULL;
  g_autoptr (BendiGguf) reference = NULL;
  g_autoptr (GError) error = NULL;
  gsize n_checked = 0;

  if (quantized_path == NULL)
    return;
  f32_path = bendi_test_data_path (f32_name);
  if (f32_path == NULL)
    return;
  quantized = bendi_gguf_open (quantized_path, BENDI_GGUF_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  reference = bendi_gguf_open (f32_path, BENDI_GGUF_OPEN_DEFAULT, &error);
  g_assert_no_error (error);

  for (gsize t = 0; t < bendi_gguf_get_n_tensors (quantized); t++)
    {
      const BendiGgufTensorInfo *q = bendi_gguf_get_tensor (quantized, t);
      const BendiGgufTensorInfo *f = bendi_gguf_find_tensor (reference, q->name);
      gint64 n = q->ne[0] * q->ne[1] * q->ne[2] * q->ne[3];
      g_autofree float *y = NULL;
      double error_theirs;

      g_assert_nonnull (f);
      g_assert_cmpint (f->type, ==, BENDI_TENSOR_TYPE_F32);
      g_assert_cmpmem (q->ne, sizeof q->ne, f->ne, sizeof f->ne);
      g_assert_true (bendi_quant_can_dequantize (q->type));

      y = g_new (float, n);
      bendi_dequantize_row (q->type, q->data, y, n);
      if (q->type == BENDI_TENSOR_TYPE_F32)
        {
          g_assert_cmpmem (y, n * sizeof (float), f->data, n * sizeof (float));
          continue;
        }

      error_theirs = relative_rms_error (f->data, y, n);
      g_test_message ("%s %s %s: relative RMS error %.5f", quantized_name, q->name,
                      bendi_tensor_type_name (q->type), error_theirs);
      g_assert_cmpfloat (error_theirs, <=, type_error_bound (q->type));
      n_checked++;

      {
        g_autofree guint8 *ours = g_malloc (q->n_bytes);

        g_assert_cmpuint (bendi_quantize_row (q->type, f->data, ours, n), ==, q->n_bytes);
        if (is_legacy (q->type))
          {
            g_assert_cmpmem (ours, q->n_bytes, q->data, q->n_bytes);
          }
        else
          {
            double error_ours;

            bendi_dequantize_row (q->type, ours, y, n);
            error_ours = relative_rms_error (f->data, y, n);
            g_test_message ("  ours: %.5f", error_ours);
            /* Our scale search must be about as good as llama.cpp's. */
            g_assert_cmpfloat (error_ours, <=, error_theirs * 1.05);
          }
      }
    }
  g_assert_cmpuint (n_checked, >, 0);
}

static void
test_golden_llama (void)
{
  check_golden_pair ("golden/visible-llama-Q4_0.gguf", "golden/visible-llama-F32.gguf");
  check_golden_pair ("golden/visible-llama-Q8_0.gguf", "golden/visible-llama-F32.gguf");
}

static void
test_golden_qwen2 (void)
{
  check_golden_pair ("golden/visible-qwen2-Q4_1.gguf", "golden/visible-qwen2-F32.gguf");
  check_golden_pair ("golden/visible-qwen2-Q8_0.gguf", "golden/visible-qwen2-F32.gguf");
}

static void
test_golden_qwen3 (void)
{
  check_golden_pair ("golden/visible-qwen3-Q4_K_M.gguf", "golden/visible-qwen3-F32.gguf");
  check_golden_pair ("golden/visible-qwen3-Q6_K.gguf", "golden/visible-qwen3-F32.gguf");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/quant/fp16/exhaustive", test_fp16_exhaustive);
  g_test_add_func ("/engine/quant/fp16/rounding", test_fp16_rounding);
  g_test_add_func ("/engine/quant/fp16/nearest", test_fp16_nearest);
  g_test_add_func ("/engine/quant/bf16", test_bf16);
  g_test_add_func ("/engine/quant/block/float", test_block_float);
  g_test_add_func ("/engine/quant/block/q4_0", test_block_q4_0);
  g_test_add_func ("/engine/quant/block/q4_1", test_block_q4_1);
  g_test_add_func ("/engine/quant/block/q5_0", test_block_q5_0);
  g_test_add_func ("/engine/quant/block/q5_1", test_block_q5_1);
  g_test_add_func ("/engine/quant/block/q8_0", test_block_q8_0);
  g_test_add_func ("/engine/quant/block/q8_1", test_block_q8_1);
  g_test_add_func ("/engine/quant/block/q2_k", test_block_q2_k);
  g_test_add_func ("/engine/quant/block/q3_k", test_block_q3_k);
  g_test_add_func ("/engine/quant/block/q4_k", test_block_q4_k);
  g_test_add_func ("/engine/quant/block/q5_k", test_block_q5_k);
  g_test_add_func ("/engine/quant/block/q6_k", test_block_q6_k);
  g_test_add_func ("/engine/quant/block/q8_k", test_block_q8_k);
  g_test_add_func ("/engine/quant/block/iq4_nl", test_block_iq4_nl);
  g_test_add_func ("/engine/quant/block/iq4_xs", test_block_iq4_xs);
  g_test_add_func ("/engine/quant/coverage", test_coverage);
  g_test_add_func ("/engine/quant/quantize/q4_0-exact", test_quantize_q4_0_exact);
  g_test_add_func ("/engine/quant/quantize/activations", test_quantize_activations);
  g_test_add_func ("/engine/quant/round-trip/gaussian", test_round_trip_gaussian);
  g_test_add_func ("/engine/quant/round-trip/one-sign", test_round_trip_one_sign);
  g_test_add_func ("/engine/quant/round-trip/zeros", test_round_trip_zeros);
  g_test_add_func ("/engine/quant/round-trip/constant", test_round_trip_constant);
  g_test_add_func ("/engine/quant/round-trip/outlier", test_round_trip_outlier);
  g_test_add_func ("/engine/quant/round-trip/tiny", test_round_trip_tiny);
  g_test_add_func ("/engine/quant/round-trip/lengths", test_round_trip_lengths);
  g_test_add_func ("/engine/quant/round-trip/non-finite", test_round_trip_non_finite);
  g_test_add_func ("/engine/quant/golden/llama", test_golden_llama);
  g_test_add_func ("/engine/quant/golden/qwen2", test_golden_qwen2);
  g_test_add_func ("/engine/quant/golden/qwen3", test_golden_qwen3);

  return g_test_run ();
}
