// SPDX-License-Identifier: MIT
// Weight rows of every tensor type, read from a uint buffer `wq` that the
// including shader declares. The layouts are those of
// src/engine/tensor/quant-blocks.h, byte for byte. Reading words and
// picking bytes out needs no 8- or 16-bit storage feature, so this runs on
// every Vulkan device; blocks of 18, 22, 110 or 210 bytes sit at any even
// offset, hence the unaligned loads.
//
// Each type is read in groups of 16 consecutive elements:
//   dequant16 (row_offset, g, n_cols, v)  elements 16 g … 16 g + 15 of the
//   row that starts at byte row_offset, into v. Elements at or past n_cols
//   (only the float types allow rows that are not whole groups) read 0.
// The types with blocks of 32 elements (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0,
// IQ4_NL) are also read a block at a time, each byte loaded once:
//   dequant32_parts (row_offset, b, q, d, m)  block b of the row as its
//   32 quants (as floats: IQ4_NL's table values) and the d and m that
//   make each weight d · q + m; dequant32 (row_offset, b, v) the weights
//   themselves. Such types define UNIT_ELEMENTS as 32.
// Q4_0 rows of whole octets of blocks are stored interleaved on CPU
// devices: dequant16_rows (row, g, interleaved, lanes, v) reads either.

// Rows each lane of the CPU devices' matrix × vector shader goes along
// (BENDI_VK_ROWS_PER_LANE), which their Q4_0 layout follows.
#define ROWS_PER_LANE 32u

// FP16 variants keep dequantised weights as float16_t: half the registers.
#ifdef FP16
#define DQ_T float16_t
#else
#define DQ_T float
#endif

uint
load_u8 (uint offset)
{
  return (WQ (offset >> 2) >> ((offset & 3u) * 8u)) & 0xffu;
}

// @offset is even.
uint
load_u16 (uint offset)
{
  return (WQ (offset >> 2) >> ((offset & 2u) * 8u)) & 0xffffu;
}

uint
load_u32 (uint offset)
{
  uint shift = (offset & 3u) * 8u;
  uint low = WQ (offset >> 2);

  if (shift == 0u)
    return low;
  return (low >> shift) | (WQ ((offset >> 2) + 1u) << (32u - shift));
}

float
load_f16 (uint offset)
{
  return unpackHalf2x16 (load_u16 (offset)).x;
}

// Byte k of a little-endian word.
uint
byte_of (uint word,
         uint k)
{
  return (word >> (8u * k)) & 0xffu;
}

// The 32 bits of the 64 in (@high, @low) that start at bit @shift < 32:
// branch-free, and right for a shift of 0 too (high moves out entirely).
uint
funnel_shift (uint low,
              uint high,
              uint shift)
{
  return (low >> shift) | ((high << 1u) << (31u - shift));
}

// 16 bytes from @offset, as four words: five word loads, or four where the
// offset is aligned (the fifth word may lie past the buffer's end).
void
load_16_bytes (uint      offset,
               out uvec4 bytes)
{
  uint w = offset >> 2;
  uint shift = (offset & 3u) * 8u;
  uint a0 = WQ (w), a1 = WQ (w + 1u), a2 = WQ (w + 2u), a3 = WQ (w + 3u);
  uint a4 = shift != 0u ? WQ (w + 4u) : 0u;

  bytes = uvec4 (funnel_shift (a0, a1, shift), funnel_shift (a1, a2, shift), funnel_shift (a2, a3, shift),
                 funnel_shift (a3, a4, shift));
}

// An f16 and the 16 bytes after it (Q4_0's and IQ4_NL's blocks) from the
// five words that hold them, the f16 at byte @lead (0 or 2) of a0.
void
f16_and_16_bytes (uint      a0,
                  uint      a1,
                  uint      a2,
                  uint      a3,
                  uint      a4,
                  uint      lead,
                  out float h,
                  out uvec4 bytes)
{
  // The f16 in a0's high half and the bytes word-aligned, or the f16 in its
  // low half and the bytes two further on.
  h = unpackHalf2x16 (a0 >> (lead * 8u)).x;
  bytes = lead != 0u ? uvec4 (a1, a2, a3, a4)
                     : uvec4 (funnel_shift (a0, a1, 16u), funnel_shift (a1, a2, 16u), funnel_shift (a2, a3, 16u),
                              funnel_shift (a3, a4, 16u));
}

// The same at the even offset @base: five word loads for both, where the
// two apart took six whenever @base is a multiple of four.
void
load_f16_and_16_bytes (uint      base,
                       out float h,
                       out uvec4 bytes)
{
  uint w = base >> 2;

  f16_and_16_bytes (WQ (w), WQ (w + 1u), WQ (w + 2u), WQ (w + 3u), WQ (w + 4u), base & 2u, h, bytes);
}

uint
byte_at (uvec4 bytes,
         uint  i)
{
  return byte_of (bytes[i >> 2], i & 3u);
}

// The 32 nibbles of 16 bytes as ggml's 32-element blocks hold them: byte
// i's low nibble is element i, its high nibble element i + 16.
void
nibbles32 (uvec4     bytes,
           out uint  q[32])
{
  [[unroll]] for (uint i = 0; i < 16u; i++)
    {
      q[i] = byte_at (bytes, i) & 0xfu;
      q[i + 16u] = byte_at (bytes, i) >> 4;
    }
}

// The same of the 16 bytes at @offset.
void
load_nibbles32 (uint     offset,
                out uint q[32])
{
  uvec4 bytes;

  load_16_bytes (offset, bytes);
  nibbles32 (bytes, q);
}

#if defined(TYPE_F32)
#define BLOCK_ELEMENTS 16u
#define BLOCK_BYTES 64u

void
dequant16 (uint      row_offset,
           uint      g,
           uint      n_cols,
           out DQ_T v[16])
{
  [[unroll]] for (uint i = 0; i < 16u; i++)
    {
      uint c = 16u * g + i;
      v[i] = DQ_T (c < n_cols ? uintBitsToFloat (WQ ((row_offset >> 2) + c)) : 0.0);
    }
}

#elif defined(TYPE_F16) || defined(TYPE_BF16)
#define BLOCK_ELEMENTS 16u
#define BLOCK_BYTES 32u

void
dequant16 (uint      row_offset,
           uint      g,
           uint      n_cols,
           out DQ_T v[16])
{
  [[unroll]] for (uint i = 0; i < 16u; i++)
    {
      uint c = 16u * g + i;
      uint bits = c < n_cols ? load_u16 (row_offset + 2u * c) : 0u;
#ifdef TYPE_F16
      v[i] = DQ_T (unpackHalf2x16 (bits).x);
#else
      v[i] = DQ_T (uintBitsToFloat (bits << 16));
#endif
    }
}

#elif defined(TYPE_Q4_0) || defined(TYPE_IQ4_NL)
#define BLOCK_ELEMENTS 32u
#define BLOCK_BYTES 18u

#ifdef TYPE_IQ4_NL
const float iq4nl_values[16] = float[16] (-127.0, -104.0, -83.0, -65.0, -49.0, -35.0, -22.0, -10.0,
                                          1.0, 13.0, 25.0, 38.0, 53.0, 69.0, 89.0, 113.0);
#endif

void
dequant16 (uint      row_offset,
           uint      g,
           uint      n_cols,
           out DQ_T v[16])
{
  uint base = row_offset + (g >> 1) * BLOCK_BYTES;
  uint shift = (g & 1u) * 4u;   // element j in the low nibble, j + 16 in the high
  float d;
  uvec4 qs;

  load_f16_and_16_bytes (base, d, qs);
  [[unroll]] for (uint i = 0; i < 16u; i++)
    {
      uint q = (byte_at (qs, i) >> shift) & 0xfu;
#ifdef TYPE_IQ4_NL
      v[i] = DQ_T (d * iq4nl_values[q]);
#else
      v[i] = DQ_T ((float (q) - 8.0) * d);
#endif
    }
}

#define UNIT_ELEMENTS 32u

// Eight Q4_0 blocks are 144 bytes, nine texels of four words: where rows
// start on texels, matvec.comp's CPU-device shape reads such groups and
// takes each block from the words that hold it. (IQ4_NL's would be read
// the same way, but its table lookups, sixteen rows of eight blocks of
// them, take LLVM minutes to compile.)
#ifdef TYPE_Q4_0
#define BLOCKS_IN_TEXELS 8u

// Rows of a multiple of 256 elements as CPU devices store them
// (vk-memory.c's interleave_group): in groups of @lanes · ROWS_PER_LANE
// rows, each octet of columns (9 texels) of a lane's rows one after
// another, the lanes side by side, texel by texel. Texel @i of octet @o
// of @row (of the chunk).
uint
interleaved_texel (uint row,
                   uint o,
                   uint i,
                   uint lanes)
{
  uint group_rows = lanes * ROWS_PER_LANE;

  return row / group_rows * group_rows * (p.row_bytes / 16u) +
         ((o * ROWS_PER_LANE + row % ROWS_PER_LANE) * 9u + i) * lanes + row % group_rows / ROWS_PER_LANE;
}

// dequant16 of row @row, stored one row after another or, where
// @interleaved, as above: the block's five words from where either layout
// put them, chosen without a branch (CPU devices run both sides of one).
void
dequant16_rows (uint      row,
                uint      g,
                bool      interleaved,
                uint      lanes,
                out DQ_T  v[16])
{
  uint b = g >> 1;
  uint first = BLOCK_BYTES * (b % BLOCKS_IN_TEXELS) / 4u;   // word of the octet
  // Interleaved, the five words span two texels at most, @lanes apart.
  uint texel = interleaved_texel (row, b / BLOCKS_IN_TEXELS, first / 4u, lanes);
  // Where the block starts in plain rows (interleaved rows are whole
  // texels, so its offset within a word is the same both ways).
  uint base = row * p.row_bytes + b * BLOCK_BYTES;
  uint a[5];
  float d;
  uvec4 qs;

  [[unroll]] for (uint k = 0; k < 5u; k++)
    {
      uint word = first % 4u + k;

      a[k] = WQ (interleaved ? 4u * (texel + word / 4u * lanes) + word % 4u : base / 4u + k);
    }
  f16_and_16_bytes (a[0], a[1], a[2], a[3], a[4], base % 4u, d, qs);
  [[unroll]] for (uint i = 0; i < 16u; i++)
    v[i] = DQ_T ((float ((byte_at (qs, i) >> ((g & 1u) * 4u)) & 0xfu) - 8.0) * d);
}
#endif

void
dequant32_parts (uint      row_offset,
                 uint      b,
                 out float q[32],
                 out float d,
                 out float m)
{
  uvec4 qs;
  uint n[32];

  load_f16_and_16_bytes (row_offset + b * BLOCK_BYTES, d, qs);
  nibbles32 (qs, n);
  [[unroll]] for (uint i = 0; i < 32u; i++)
#ifdef TYPE_IQ4_NL
    q[i] = iq4nl_values[n[i]];
#else
    q[i] = float (n[i]);
#endif
#ifdef TYPE_IQ4_NL
  m = 0.0;
#else
  m = -8.0 * d;
#endif
}

#elif defined(TYPE_Q4_1)
#define BLOCK_ELEMENTS 32u
#define BLOCK_BYTES 20u

void
dequant16 (uint      row_offset,
           uint      g,
           uint      n_cols,
           out DQ_T v[16])
{
  uint base = row_offset + (g >> 1) * BLOCK_BYTES;
  uint shift = (g & 1u) * 4u;
  float d = load_f16 (base);
  float m = load_f16 (base + 2u);
  uvec4 qs;

  load_16_bytes (base + 4u, qs);
  [[unroll]] for (uint i = 0; i < 16u; i++)
    v[i] = DQ_T (float ((byte_at (qs, i) >> shift) & 0xfu) * d + m);
}

#define UNIT_ELEMENTS 32u

void
dequant32_parts (uint      row_offset,
                 uint      b,
                 out float q[32],
                 out float d,
                 out float m)
{
  uint base = row_offset + b * BLOCK_BYTES;
  uint n[32];

  d = load_f16 (base);
  m = load_f16 (base + 2u);
  load_nibbles32 (base + 4u, n);
  [[unroll]] for (uint i = 0; i < 32u; i++)
    q[i] = float (n[i]);
}

#elif defined(TYPE_Q5_0) || defined(TYPE_Q5_1)
#ifdef TYPE_Q5_0
#define BLOCK_BYTES 22u
#define QH_OFFSET 2u
#else
#define BLOCK_BYTES 24u
#define QH_OFFSET 4u
#endif
#define BLOCK_ELEMENTS 32u

void
dequant16 (uint      row_offset,
           uint      g,
           uint      n_cols,
           out DQ_T v[16])
{
  uint base = row_offset + (g >> 1) * BLOCK_BYTES;
  uint half_index = g & 1u;
  float d = load_f16 (base);
  uint qh = load_u32 (base + QH_OFFSET) >> (16u * half_index);
  uvec4 qs;

  load_16_bytes (base + QH_OFFSET + 4u, qs);
  [[unroll]] for (uint i = 0; i < 16u; i++)
    {
      uint q = ((byte_at (qs, i) >> (4u * half_index)) & 0xfu) | (((qh >> i) & 1u) << 4);
#ifdef TYPE_Q5_0
      v[i] = DQ_T ((float (q) - 16.0) * d);
#else
      v[i] = DQ_T (float (q) * d + load_f16 (base + 2u));
#endif
    }
}

#define UNIT_ELEMENTS 32u

void
dequant32_parts (uint      row_offset,
                 uint      b,
                 out float q[32],
                 out float d,
                 out float m)
{
  uint base = row_offset + b * BLOCK_BYTES;
  uint qh = load_u32 (base + QH_OFFSET);
  uint n[32];

  d = load_f16 (base);
  load_nibbles32 (base + QH_OFFSET + 4u, n);
  // Element i's fifth bit is bit i of qh.
  [[unroll]] for (uint i = 0; i < 32u; i++)
    q[i] = float (n[i] | (((qh >> i) & 1u) << 4));
#ifdef TYPE_Q5_0
  m = -16.0 * d;
#else
  m = load_f16 (base + 2u);
#endif
}

#elif defined(TYPE_Q8_0)
#define BLOCK_ELEMENTS 32u
#define BLOCK_BYTES 34u

void
dequant16 (uint      row_offset,
           uint      g,
           uint      n_cols,
           out DQ_T v[16])
{
  uint base = row_offset + (g >> 1) * BLOCK_BYTES;
  float d = load_f16 (base);
  uvec4 qs;

  load_16_bytes (base + 2u + 16u * (g & 1u), qs);
  [[unroll]] for (uint i = 0; i < 16u; i++)
    v[i] = DQ_T (float (bitfieldExtract (int (qs[i >> 2]), int (8u * (i & 3u)), 8)) * d);
}

#define UNIT_ELEMENTS 32u

void
dequant32_parts (uint      row_offset,
                 uint      b,
                 out float q[32],
                 out float d,
                 out float m)
{
  uint base = row_offset + b * BLOCK_BYTES;
  uvec4 qs[2];

  d = load_f16 (base);
  m = 0.0;
  load_16_bytes (base + 2u, qs[0]);
  load_16_bytes (base + 18u, qs[1]);
  [[unroll]] for (uint i = 0; i < 32u; i++)
    q[i] = float (bitfieldExtract (int (qs[i >> 4][(i >> 2) & 3u]), int (8u * (i & 3u)), 8));
}

#elif defined(TYPE_Q2_K)
#define BLOCK_ELEMENTS 256u
#define BLOCK_BYTES 84u

// Sub-block s holds elements 16 s … 16 s + 15. The 2-bit quants of
// e = 128 h + 32 k + l sit in byte 32 h + l at bit 2 k.
void
dequant16 (uint      row_offset,
           uint      g,
           uint      n_cols,
           out DQ_T v[16])
{
  uint base = row_offset + (g >> 4) * BLOCK_BYTES;
  uint s = g & 15u;
  uint sc = load_u8 (base + s);
  float d = load_f16 (base + 80u);
  float dmin = load_f16 (base + 82u);
  float dl = d * float (sc & 0xfu);
  float ml = dmin * float (sc >> 4);
  uint shift = 2u * ((s & 7u) >> 1);
  uvec4 qs;

  load_16_bytes (base + 16u + 32u * (s >> 3) + 16u * (s & 1u), qs);
  [[unroll]] for (uint i = 0; i < 16u; i++)
    v[i] = DQ_T (dl * float ((byte_at (qs, i) >> shift) & 3u) - ml);
}

#elif defined(TYPE_Q3_K)
#define BLOCK_ELEMENTS 256u
#define BLOCK_BYTES 110u

void
dequant16 (uint      row_offset,
           uint      g,
           uint      n_cols,
           out DQ_T v[16])
{
  uint base = row_offset + (g >> 4) * BLOCK_BYTES;
  uint s = g & 15u;
  // 6-bit scales: low 4 bits in a nibble of bytes 0-7, top 2 bits in
  // bits 2 (s / 4) of byte 8 + s % 4 (of the 12 at offset 96).
  uint low = s < 8u ? load_u8 (base + 96u + s) & 0xfu : load_u8 (base + 96u + s - 8u) >> 4;
  uint high = (load_u8 (base + 104u + (s & 3u)) >> (2u * (s >> 2))) & 3u;
  float dl = load_f16 (base + 108u) * (float (low | (high << 4)) - 32.0);
  uint shift = 2u * ((s & 7u) >> 1);
  uint hbit = s >> 1;   // element e's high bit is bit e / 32 of byte e % 32
  uvec4 qs, hmask;

  load_16_bytes (base + 32u + 32u * (s >> 3) + 16u * (s & 1u), qs);
  load_16_bytes (base + 16u * (s & 1u), hmask);
  [[unroll]] for (uint i = 0; i < 16u; i++)
    {
      int q = int ((byte_at (qs, i) >> shift) & 3u) - (((byte_at (hmask, i) >> hbit) & 1u) != 0u ? 0 : 4);
      v[i] = DQ_T (dl * float (q));
    }
}

#elif defined(TYPE_Q4_K) || defined(TYPE_Q5_K)
#define BLOCK_ELEMENTS 256u
#ifdef TYPE_Q4_K
#define BLOCK_BYTES 144u
#define QS_OFFSET 16u
#else
#define BLOCK_BYTES 176u
#define QS_OFFSET 48u
#endif

void
dequant16 (uint      row_offset,
           uint      g,
           uint      n_cols,
           out DQ_T v[16])
{
  uint base = row_offset + (g >> 4) * BLOCK_BYTES;
  uint s = g & 15u;
  uint j = s >> 1;      // the 32-element sub-block with its own scale and min
  uint sc, m;

  if (j < 4u)
    {
      sc = load_u8 (base + 4u + j) & 63u;
      m = load_u8 (base + 8u + j) & 63u;
    }
  else
    {
      uint packed = load_u8 (base + 8u + j);
      sc = (packed & 0xfu) | ((load_u8 (base + j) >> 6) << 4);
      m = (packed >> 4) | ((load_u8 (base + 4u + j) >> 6) << 4);
    }
  float dl = load_f16 (base) * float (sc);
  float ml = load_f16 (base + 2u) * float (m);
  // e = 64 h + 32 k + l is nibble k of byte 32 h + l.
  uint shift = 4u * (j & 1u);
  uvec4 qs;

  load_16_bytes (base + QS_OFFSET + 32u * (s >> 2) + 16u * (s & 1u), qs);
#ifdef TYPE_Q5_K
  uvec4 qh;
  load_16_bytes (base + 16u + 16u * (s & 1u), qh);
#endif
  [[unroll]] for (uint i = 0; i < 16u; i++)
    {
      uint q = (byte_at (qs, i) >> shift) & 0xfu;
#ifdef TYPE_Q5_K
      q |= ((byte_at (qh, i) >> j) & 1u) << 4;
#endif
      v[i] = DQ_T (dl * float (q) - ml);
    }
}

#elif defined(TYPE_Q6_K)
#define BLOCK_ELEMENTS 256u
#define BLOCK_BYTES 210u

void
dequant16 (uint      row_offset,
           uint      g,
           uint      n_cols,
           out DQ_T v[16])
{
  uint base = row_offset + (g >> 4) * BLOCK_BYTES;
  uint s = g & 15u;
  float dl = load_f16 (base + 208u) * float (bitfieldExtract (int (load_u8 (base + 192u + s)), 0, 8));
  // Low nibbles: e = 128 h + 64 k + r is nibble k of byte 64 h + r.
  // High crumbs: e = 128 h + 32 k + l sits in byte 32 h + l at bit 2 k.
  uint low_shift = 4u * ((s & 7u) >> 2);
  uint high_shift = 2u * ((s & 7u) >> 1);
  uvec4 ql, qh;

  load_16_bytes (base + 64u * (s >> 3) + 16u * (s & 3u), ql);
  load_16_bytes (base + 128u + 32u * (s >> 3) + 16u * (s & 1u), qh);
  [[unroll]] for (uint i = 0; i < 16u; i++)
    {
      uint q = ((byte_at (ql, i) >> low_shift) & 0xfu) | (((byte_at (qh, i) >> high_shift) & 3u) << 4);
      v[i] = DQ_T (dl * (float (q) - 32.0));
    }
}

#elif defined(TYPE_IQ4_XS)
#define BLOCK_ELEMENTS 256u
#define BLOCK_BYTES 136u

const float iq4nl_values[16] = float[16] (-127.0, -104.0, -83.0, -65.0, -49.0, -35.0, -22.0, -10.0,
                                          1.0, 13.0, 25.0, 38.0, 53.0, 69.0, 89.0, 113.0);

void
dequant16 (uint      row_offset,
           uint      g,
           uint      n_cols,
           out DQ_T v[16])
{
  uint base = row_offset + (g >> 4) * BLOCK_BYTES;
  uint s = g & 15u;
  uint j = s >> 1;
  uint low = (load_u8 (base + 4u + (j >> 1)) >> (4u * (j & 1u))) & 0xfu;
  uint high = (load_u16 (base + 2u) >> (2u * j)) & 3u;
  float dl = load_f16 (base) * (float (low | (high << 4)) - 32.0);
  uint shift = 4u * (s & 1u);
  uvec4 qs;

  load_16_bytes (base + 8u + 16u * j, qs);
  [[unroll]] for (uint i = 0; i < 16u; i++)
    v[i] = DQ_T (dl * iq4nl_values[(byte_at (qs, i) >> shift) & 0xfu]);
}

#else
#error "No TYPE_* defined"
#endif

#ifdef UNIT_ELEMENTS
// A whole block as values: d · q + m.
void
dequant32 (uint      row_offset,
           uint      b,
           out DQ_T  v[32])
{
  float q[32], d, m;

  dequant32_parts (row_offset, b, q, d, m);
  [[unroll]] for (uint i = 0; i < 32u; i++)
    v[i] = DQ_T (q[i] * d + m);
}
#endif

#ifdef INT8
// The int8 variants of matvec.comp read the 32-weight blocks (sub-blocks
// with their own scale in Q4_K, Q5_K and IQ4_XS) of the types whose quants
// fit a signed byte whole:
//   load_block_i8 (row_offset, b, q, d, m)  block b of the row as packed
//   signed bytes, q[k] holding weights 4 k … 4 k + 3, each weight being
//   d.x · q + m; with HALF_SCALES (Q6_K: a scale per 16 weights) the
//   second 16 weights are d.y · q.
// Byte-wise offsets are added without carries: every nibble value plus
// 0x78 (Q4_0) or every 5-bit value plus 0x70 (Q5_0) stays under 0x100, and
// flipping the top bit then leaves the value minus 8 (16) as a signed byte.

// Bits 0-3 of @bits into bit 4 of bytes 0-3: Q5's fifth bits.
uint
spread_high_bits (uint bits)
{
  return ((bits & 1u) << 4) | ((bits & 2u) << 11) | ((bits & 4u) << 18) | ((bits & 8u) << 25);
}

#if defined(TYPE_IQ4_NL) || defined(TYPE_IQ4_XS)
const int iq4nl_ints[16] = int[16] (-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);

// Four nibbles (one per byte) into their four table values.
uint
iq4nl_pack (uint nibbles)
{
  uint packed = 0u;

  [[unroll]] for (uint j = 0; j < 4u; j++)
    packed |= (uint (iq4nl_ints[(nibbles >> (8u * j)) & 0xfu]) & 0xffu) << (8u * j);
  return packed;
}
#endif

#ifdef TYPE_Q6_K
#define HALF_SCALES
#endif

void
load_block_i8 (uint      row_offset,
               uint      b,
               out uint  q[8],
               out vec2  d,
               out float m)
{
  // The block of BLOCK_ELEMENTS weights, and the 32 of them wanted.
  uint base = row_offset + (b / (BLOCK_ELEMENTS / 32u)) * BLOCK_BYTES;
  uint j = b % (BLOCK_ELEMENTS / 32u);

  m = 0.0;
#if defined(TYPE_Q6_K)
  // Sub-blocks 2 j and 2 j + 1 of 16: low nibbles in the 32 bytes at
  // 64 (j / 4) + 32 (j % 2), nibble (j % 4) / 2; high crumbs in the 32
  // bytes at 128 + 32 (j / 4), crumb j % 4; quants 0 … 63 less 32.
  uint low_shift = 4u * ((j & 3u) >> 1);
  uint high_shift = 2u * (j & 3u);

  d = load_f16 (base + 208u) * vec2 (float (bitfieldExtract (int (load_u8 (base + 192u + 2u * j)), 0, 8)),
                                     float (bitfieldExtract (int (load_u8 (base + 193u + 2u * j)), 0, 8)));
  [[unroll]] for (uint k = 0; k < 8u; k++)
    {
      uint low = (load_u32 (base + 64u * (j >> 2) + 32u * (j & 1u) + 4u * k) >> low_shift) & 0x0f0f0f0fu;
      uint high = (load_u32 (base + 128u + 32u * (j >> 2) + 4u * k) >> high_shift) & 0x03030303u;

      q[k] = ((low | (high << 4)) + 0x60606060u) ^ 0x80808080u;
    }
  return;
#else
  d = vec2 (load_f16 (base));
#endif
#if defined(TYPE_Q4_K) || defined(TYPE_Q5_K)
  uint sc, mn;

  // 6-bit scales and mins of the eight sub-blocks, as in dequant16.
  if (j < 4u)
    {
      sc = load_u8 (base + 4u + j) & 63u;
      mn = load_u8 (base + 8u + j) & 63u;
    }
  else
    {
      uint packed = load_u8 (base + 8u + j);
      sc = (packed & 0xfu) | ((load_u8 (base + j) >> 6) << 4);
      mn = (packed >> 4) | ((load_u8 (base + 4u + j) >> 6) << 4);
    }
  m = -load_f16 (base + 2u) * float (mn);
  d *= float (sc);
  // Sub-block j is nibble j % 2 of the 32 bytes at QS_OFFSET + 32 (j / 2);
  // Q5_K's fifth bits are bit j of the 32 bytes at 16.
  [[unroll]] for (uint k = 0; k < 8u; k++)
    {
      q[k] = (load_u32 (base + QS_OFFSET + 32u * (j >> 1) + 4u * k) >> (4u * (j & 1u))) & 0x0f0f0f0fu;
#ifdef TYPE_Q5_K
      q[k] |= ((load_u32 (base + 16u + 4u * k) >> j) & 0x01010101u) << 4;
#endif
    }
#elif defined(TYPE_IQ4_XS)
  uint low = (load_u8 (base + 4u + (j >> 1)) >> (4u * (j & 1u))) & 0xfu;
  uint high = (load_u16 (base + 2u) >> (2u * j)) & 3u;
  uvec4 qs;

  d *= float (low | (high << 4)) - 32.0;
  load_16_bytes (base + 8u + 16u * j, qs);
  [[unroll]] for (uint k = 0; k < 4u; k++)
    {
      q[k] = iq4nl_pack (qs[k] & 0x0f0f0f0fu);
      q[k + 4u] = iq4nl_pack ((qs[k] >> 4) & 0x0f0f0f0fu);
    }
#elif defined(TYPE_Q8_0)
  [[unroll]] for (uint k = 0; k < 8u; k++)
    q[k] = load_u32 (base + 2u + 4u * k);
#elif defined(TYPE_Q5_0) || defined(TYPE_Q5_1)
  uint qh = load_u32 (base + QH_OFFSET);
  uvec4 qs;

#ifdef TYPE_Q5_1
  m = load_f16 (base + 2u);
#endif
  load_16_bytes (base + QH_OFFSET + 4u, qs);
  [[unroll]] for (uint k = 0; k < 4u; k++)
    {
      uint lo = (qs[k] & 0x0f0f0f0fu) | spread_high_bits (qh >> (4u * k));
      uint hi = ((qs[k] >> 4) & 0x0f0f0f0fu) | spread_high_bits (qh >> (16u + 4u * k));
#ifdef TYPE_Q5_0
      lo = (lo + 0x70707070u) ^ 0x80808080u;
      hi = (hi + 0x70707070u) ^ 0x80808080u;
#endif
      q[k] = lo;
      q[k + 4u] = hi;
    }
#else
  uvec4 qs;

#ifdef TYPE_Q4_1
  m = load_f16 (base + 2u);
  load_16_bytes (base + 4u, qs);
#else
  load_16_bytes (base + 2u, qs);
#endif
  [[unroll]] for (uint k = 0; k < 4u; k++)
    {
      uint lo = qs[k] & 0x0f0f0f0fu;
      uint hi = (qs[k] >> 4) & 0x0f0f0f0fu;
#if defined(TYPE_Q4_0)
      lo = (lo + 0x78787878u) ^ 0x80808080u;
      hi = (hi + 0x78787878u) ^ 0x80808080u;
#elif defined(TYPE_IQ4_NL)
      lo = iq4nl_pack (lo);
      hi = iq4nl_pack (hi);
#endif
      q[k] = lo;
      q[k + 4u] = hi;
    }
#endif
}
#endif
