/* SPDX-License-Identifier: MIT */
/* SHA-256 (FIPS 180-4): a portable block function and one on the x86 SHA
 * extensions, chosen once at run time. */
#include "hub-sha256.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define HAVE_X86 1
#endif

static const guint32 round_constants[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

typedef void (*BlockFunc) (guint32       state[8],
                           const guint8 *data,
                           gsize         n_blocks);

/* ------------------------------------------------------------------------ */
/* Portable */

static inline guint32
rotr (guint32 x,
      guint   n)
{
  return (x >> n) | (x << (32 - n));
}

static void
blocks_portable (guint32       state[8],
                 const guint8 *data,
                 gsize         n_blocks)
{
  for (gsize b = 0; b < n_blocks; b++, data += 64)
    {
      guint32 w[64];
      guint32 a = state[0], bb = state[1], c = state[2], d = state[3];
      guint32 e = state[4], f = state[5], g = state[6], h = state[7];

      for (guint t = 0; t < 16; t++)
        w[t] = (guint32) data[4 * t] << 24 | (guint32) data[4 * t + 1] << 16 |
               (guint32) data[4 * t + 2] << 8 | (guint32) data[4 * t + 3];
      for (guint t = 16; t < 64; t++)
        {
          guint32 s0 = rotr (w[t - 15], 7) ^ rotr (w[t - 15], 18) ^ (w[t - 15] >> 3);
          guint32 s1 = rotr (w[t - 2], 17) ^ rotr (w[t - 2], 19) ^ (w[t - 2] >> 10);

          w[t] = w[t - 16] + s0 + w[t - 7] + s1;
        }
      for (guint t = 0; t < 64; t++)
        {
          guint32 s1 = rotr (e, 6) ^ rotr (e, 11) ^ rotr (e, 25);
          guint32 ch = (e & f) ^ (~e & g);
          guint32 t1 = h + s1 + ch + round_constants[t] + w[t];
          guint32 s0 = rotr (a, 2) ^ rotr (a, 13) ^ rotr (a, 22);
          guint32 maj = (a & bb) ^ (a & c) ^ (bb & c);
          guint32 t2 = s0 + maj;

          h = g;
          g = f;
          f = e;
          e = d + t1;
          d = c;
          c = bb;
          bb = a;
          a = t1 + t2;
        }
      state[0] += a;
      state[1] += bb;
      state[2] += c;
      state[3] += d;
      state[4] += e;
      state[5] += f;
      state[6] += g;
      state[7] += h;
    }
}

/* ------------------------------------------------------------------------ */
/* x86 SHA extensions. The instructions keep the eight working variables in
 * two registers ordered ABEF and CDGH, do two rounds per sha256rnds2, and
 * extend the message four words at a time with sha256msg1/msg2. */

#ifdef HAVE_X86
__attribute__ ((target ("sha,sse4.1,ssse3")))
static void
blocks_shani (guint32       state[8],
              const guint8 *data,
              gsize         n_blocks)
{
  const __m128i byte_swap = _mm_set_epi64x (0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i abcd = _mm_loadu_si128 ((const __m128i *) &state[0]);
  __m128i efgh = _mm_loadu_si128 ((const __m128i *) &state[4]);
  __m128i badc = _mm_shuffle_epi32 (abcd, 0xb1);
  __m128i hgfe = _mm_shuffle_epi32 (efgh, 0x1b);
  __m128i abef = _mm_alignr_epi8 (badc, hgfe, 8);
  __m128i cdgh = _mm_blend_epi16 (hgfe, badc, 0xf0);

  for (gsize b = 0; b < n_blocks; b++, data += 64)
    {
      __m128i abef_start = abef;
      __m128i cdgh_start = cdgh;
      __m128i w[4];

      for (guint i = 0; i < 4; i++)
        w[i] = _mm_shuffle_epi8 (_mm_loadu_si128 ((const __m128i *) (data + 16 * i)), byte_swap);

      for (guint group = 0; group < 16; group++)
        {
          __m128i k = _mm_loadu_si128 ((const __m128i *) &round_constants[4 * group]);
          __m128i msg = _mm_add_epi32 (w[group & 3], k);

          cdgh = _mm_sha256rnds2_epu32 (cdgh, abef, msg);
          msg = _mm_shuffle_epi32 (msg, 0x0e);
          abef = _mm_sha256rnds2_epu32 (abef, cdgh, msg);

          /* Words 4 groups ahead replace this group's, which are spent. */
          if (group < 12)
            {
              __m128i next = _mm_sha256msg1_epu32 (w[group & 3], w[(group + 1) & 3]);

              next = _mm_add_epi32 (next, _mm_alignr_epi8 (w[(group + 3) & 3], w[(group + 2) & 3], 4));
              w[group & 3] = _mm_sha256msg2_epu32 (next, w[(group + 3) & 3]);
            }
        }
      abef = _mm_add_epi32 (abef, abef_start);
      cdgh = _mm_add_epi32 (cdgh, cdgh_start);
    }

  {
    __m128i feba = _mm_shuffle_epi32 (abef, 0x1b);
    __m128i dchg = _mm_shuffle_epi32 (cdgh, 0xb1);

    abcd = _mm_blend_epi16 (feba, dchg, 0xf0);
    efgh = _mm_alignr_epi8 (dchg, feba, 8);
    _mm_storeu_si128 ((__m128i *) &state[0], abcd);
    _mm_storeu_si128 ((__m128i *) &state[4], efgh);
  }
}

static gboolean
cpu_has_sha_extensions (void)
{
  unsigned int eax, ebx, ecx, edx;

  if (!__get_cpuid (1, &eax, &ebx, &ecx, &edx))
    return FALSE;
  if ((ecx & bit_SSSE3) == 0 || (ecx & bit_SSE4_1) == 0)
    return FALSE;
  if (__get_cpuid_max (0, NULL) < 7)
    return FALSE;
  __cpuid_count (7, 0, eax, ebx, ecx, edx);
  return (ebx & bit_SHA) != 0;
}
#endif

static gint force_portable;

static BlockFunc
choose_block_func (void)
{
#ifdef HAVE_X86
  static gsize has_shani;

  if (g_once_init_enter (&has_shani))
    g_once_init_leave (&has_shani, cpu_has_sha_extensions () ? 2 : 1);
  if (has_shani == 2 && !g_atomic_int_get (&force_portable))
    return blocks_shani;
#endif
  return blocks_portable;
}

gboolean
bendi_sha256_is_accelerated (void)
{
  return choose_block_func () != blocks_portable;
}

void
bendi_sha256_force_portable (gboolean portable)
{
  g_atomic_int_set (&force_portable, portable ? 1 : 0);
}

/* ------------------------------------------------------------------------ */

void
bendi_sha256_init (BendiSha256 *self)
{
  static const guint32 initial[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  };

  memcpy (self->state, initial, sizeof initial);
  self->n_bytes = 0;
  self->buffered = 0;
}

void
bendi_sha256_update (BendiSha256 *self,
                     const void  *data,
                     gsize        n)
{
  const guint8 *p = data;
  BlockFunc blocks = choose_block_func ();

  self->n_bytes += n;
  if (self->buffered > 0)
    {
      gsize take = MIN (n, 64 - self->buffered);

      memcpy (self->buffer + self->buffered, p, take);
      self->buffered += take;
      p += take;
      n -= take;
      if (self->buffered < 64)
        return;
      blocks (self->state, self->buffer, 1);
      self->buffered = 0;
    }
  if (n >= 64)
    {
      blocks (self->state, p, n / 64);
      p += n / 64 * 64;
      n %= 64;
    }
  memcpy (self->buffer, p, n);
  self->buffered = n;
}

void
bendi_sha256_finish_hex (BendiSha256 *self,
                         char         hex[BENDI_SHA256_HEX_LENGTH + 1])
{
  guint64 n_bits = self->n_bytes * 8;
  guint8 padding[72] = { 0x80 };
  gsize pad = (self->buffered < 56 ? 56 : 120) - self->buffered;

  for (guint i = 0; i < 8; i++)
    padding[pad + i] = (guint8) (n_bits >> (56 - 8 * i));
  bendi_sha256_update (self, padding, pad + 8);
  g_assert (self->buffered == 0);
  for (guint i = 0; i < 8; i++)
    g_snprintf (hex + 8 * i, 9, "%08x", self->state[i]);
}
