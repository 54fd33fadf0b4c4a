#version 450
// SPDX-License-Identifier: MIT
// y = W · x for one to MATVEC_MAX_TOKENS activation columns, W in any
// tensor type, dequantised in registers as it is read: generation's
// matrix products. W may be one chunk of a matrix split across bindings:
// first_row places the chunk's rows in y.
//
// The epilogue does what would otherwise take dispatches of its own
// (flags as in vk-push-constants.h):
//   ACCUMULATE  y += W · x: the residual adds after attention and the FFN
//   GLU         rows come in (gate, up) pairs, and y = silu (gate) · up
//   NORM        x is RMS-normed and multiplied by a weight on its way in;
//               its sum of squares comes as partial sums that the product
//               which last wrote x left behind (PARTIALS)
//   BIAS        y = W · x + bias (Qwen2's Q, K and V)
//   PARTIALS    partial sums of the new y², for the next NORM
//
// On GPUs a workgroup takes ROWS_PER_WORKGROUP rows (an even number, for
// GLU's pairs) and goes along them together: its invocations stride along
// the rows a unit at a time (a whole 32-element block where the type is
// read that way, else 16 elements), so neighbours read neighbouring
// blocks, each invocation has a unit of every row in flight, and the
// activations it loads serve all the rows; then each row's partial sums
// meet in a workgroup reduction.
// Built with ROW_PER_INVOCATION, for CPU devices (lavapipe), each
// invocation computes ROWS_PER_LANE whole rows alone: the activations it
// loads (the same for every lane; for Q4_0's blocks the lanes load and
// quantise a share each and pass the rest round) serve all of them, there
// is no reduction at all, and the weights, the activations and the norm's
// weights come through texel buffers, which lavapipe gathers for the whole
// SIMD vector at once where a storage buffer read costs a loop over the
// lanes with a branch each (the activations' share of the time fell from
// 45% to 20%).
//
// Variants of the GPU shape, picked per device (vk-device.c):
//   FP16        weights dequantised to float16_t and multiplied with
//               float16_t activations, four products summed in f16 and
//               everything else in f32: half the registers for w[16]
//   INT8        x comes quantised to 8-bit blocks (quantize_q8.comp, which
//               also applies the NORM), each block of 32 products is summed
//               in integers and scaled once; INT8_DOT does the sums with the
//               packed 4×8-bit dot product instruction
#include "common.glsl"

#ifdef FP16
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#endif
#ifdef INT8_DOT
// GL_EXT_integer_dot_product's dotPacked4x8EXT, spelled as the SPIR-V
// instruction it compiles to (OpSDot on 4×8-bit packed words, capabilities
// DotProduct and DotProductInput4x8BitPacked): Debian 12's glslang predates
// the GLSL extension.
#extension GL_EXT_spirv_intrinsics : require
spirv_instruction (extensions = ["SPV_KHR_integer_dot_product"], capabilities = [6019, 6018], id = 4450)
int dot_packed_4x8 (int a, int b, spirv_literal int packed_vector_format);
#endif

#define MATVEC_MAX_TOKENS 8

#define FLAG_ACCUMULATE 1u
#define FLAG_GLU 2u
#define FLAG_NORM 4u
#define FLAG_BIAS 8u
#define FLAG_PARTIALS 16u

layout (constant_id = 1) const uint ROWS_PER_WORKGROUP = 1;
// Tokens per dispatch, at most MATVEC_MAX_TOKENS, as a constant: a loop
// over a push-constant count costs CPU devices all eight bodies, masked.
layout (constant_id = 2) const uint N_TOKENS = 1;
// x rows start on 16-byte boundaries and hold whole groups of 16: read
// them four floats at a time.
layout (constant_id = 3) const bool X_VEC4 = false;

#ifdef ROW_PER_INVOCATION
#extension GL_KHR_shader_subgroup_arithmetic : require
#extension GL_KHR_shader_subgroup_shuffle : require
// Q4_0 rows start on 16-byte texels (rows_octets; bendi_vk_rows_on_texels
// ()): a constant, since lavapipe runs both sides of a branch, the loop
// of the side not taken once.
layout (constant_id = 7) const bool ROWS_ON_TEXELS = false;
// Texels (vk-memory.c's texel views) of one word, or of four where x and
// the norm's weights are read in fours and the weights eight blocks a step
// (rows_octets); the norm's partial sums (binding 4) too, below.
layout (binding = 0) uniform usamplerBuffer weight_words;
layout (binding = 1) uniform usamplerBuffer x_texels;
layout (binding = 3) uniform usamplerBuffer norm_weight_texels;
layout (binding = 7) uniform usamplerBuffer weight_texels;
#define WQ(i) texelFetch (weight_words, int (i)).x
#define X_AT(i) uintBitsToFloat (texelFetch (x_texels, int ((i) >> 2u))[(i) & 3u])
#define NORM_WEIGHT_AT(i) uintBitsToFloat (texelFetch (norm_weight_texels, int ((i) >> 2u))[(i) & 3u])
#else
layout (binding = 0) readonly buffer Weights { uint wq[]; };
#define WQ(i) wq[i]
#ifdef INT8
// 12 words per token and block: 8 of packed bytes, d, d · Σ q, padding.
layout (binding = 1) readonly buffer XQ { uvec4 xq[]; };
#else
layout (binding = 1) readonly buffer X { float x[]; };
layout (binding = 1) readonly buffer X4 { vec4 x4[]; };
#endif
layout (binding = 3) readonly buffer NormWeight { float norm_weight[]; };
layout (binding = 3) readonly buffer NormWeight4 { vec4 norm_weight4[]; };
#define X_AT(i) x[i]
#define NORM_WEIGHT_AT(i) norm_weight[i]
#endif
layout (binding = 2) buffer Y { float y[]; };
#ifdef ROW_PER_INVOCATION
layout (binding = 4) uniform usamplerBuffer partials_in_words;
#define PARTIAL_IN_AT(i) uintBitsToFloat (texelFetch (partials_in_words, int (i)).x)
#else
layout (binding = 4) readonly buffer PartialsIn { float partials_in[]; };
#define PARTIAL_IN_AT(i) partials_in[i]
#endif
layout (binding = 5) writeonly buffer PartialsOut { float partials_out[]; };
layout (binding = 6) readonly buffer Bias { float bias[]; };

layout (push_constant) uniform Params {
  uint n_cols;
  uint n_rows;          // rows of this chunk
  uint row_bytes;
  uint first_row;       // of this chunk, within a token's y row
  uint n_tokens;        // N_TOKENS, which the shader uses
  uint x_stride;        // floats from one token's x to the next
  uint y_stride;
  uint flags;
  uint first_token;     // of this pass: tokens past MATVEC_MAX_TOKENS take several
  uint n_partials;
  uint partial_stride;
  uint partial_base;
  float eps;
  uint x_first_token;   // x's (and partials_in's) token of y's token 0
  uint interleave_lanes; // W's rows interleaved for this many lanes (types.glsl), or 0
} p;

#include "types.glsl"
#ifndef ROW_PER_INVOCATION
#include "reduce.glsl"
#endif

bool
has_flag (uint flag)
{
  return (p.flags & flag) != 0u;
}

// The RMS norm's 1 / sqrt (mean (x²) + eps) of token t, from the partial
// sums; this invocation's share of them when @stride is the workgroup's.
float
partial_squares (uint t,
                 uint first,
                 uint stride)
{
  float sum = 0.0;

  for (uint i = first; i < p.n_partials; i += stride)
    sum += PARTIAL_IN_AT ((p.x_first_token + p.first_token + t) * p.partial_stride + i);
  return sum;
}

float
norm_scale (float sum_of_squares)
{
  return 1.0 / sqrt (sum_of_squares / float (p.n_cols) + p.eps);
}

#ifdef INT8

// The sum of the four byte products of two packed words.
int
dot4 (uint a,
      uint b)
{
#ifdef INT8_DOT
  return dot_packed_4x8 (int (a), int (b), 0);
#else
  ivec4 va = ivec4 (int (a << 24) >> 24, int (a << 16) >> 24, int (a << 8) >> 24, int (a) >> 24);
  ivec4 vb = ivec4 (int (b << 24) >> 24, int (b << 16) >> 24, int (b << 8) >> 24, int (b) >> 24);

  return va.x * vb.x + va.y * vb.y + va.z * vb.z + va.w * vb.w;
#endif
}

// A block of weights (as load_block_i8 gives it) times block b of
// quantised token t.
float
block_product (uint  wq8[8],
               vec2  d,
               float m,
               uint  b,
               uint  n_blocks,
               uint  t)
{
  uint i = 3u * ((p.first_token + t) * n_blocks + b);
  uvec4 lo = xq[i], hi = xq[i + 1u];
  vec2 scales = uintBitsToFloat (xq[i + 2u].xy);
  int first = dot4 (wq8[0], lo.x) + dot4 (wq8[1], lo.y) + dot4 (wq8[2], lo.z) + dot4 (wq8[3], lo.w);
  int second = dot4 (wq8[4], hi.x) + dot4 (wq8[5], hi.y) + dot4 (wq8[6], hi.z) + dot4 (wq8[7], hi.w);

#ifdef HALF_SCALES
  return scales.x * (d.x * float (first) + d.y * float (second));
#else
  return d.x * scales.x * float (first + second) + m * scales.y;
#endif
}

#else

// Four activations of token t from element c (a multiple of 4), normed
// weights applied.
vec4
load_x4 (uint t,
         uint c)
{
  uint index = (p.x_first_token + p.first_token + t) * p.x_stride + c;
  vec4 v;

  if (X_VEC4)
    {
#ifdef ROW_PER_INVOCATION
      v = uintBitsToFloat (texelFetch (x_texels, int (index / 4u)));
      if (has_flag (FLAG_NORM))
        v *= uintBitsToFloat (texelFetch (norm_weight_texels, int (c / 4u)));
#else
      v = x4[index / 4u];
      if (has_flag (FLAG_NORM))
        v *= norm_weight4[c / 4u];
#endif
    }
  else
    // Past the row's end, read its last element and drop it: no branch.
    [[unroll]] for (uint i = 0; i < 4u; i++)
      {
        uint k = min (c + i, p.n_cols - 1u);

        v[i] = X_AT (index - c + k);
        if (has_flag (FLAG_NORM))
          v[i] *= NORM_WEIGHT_AT (k);
        v[i] = c + i < p.n_cols ? v[i] : 0.0;
      }
  return v;
}

// Thirty-two activations of token t from element c (a multiple of 4) in
// @xv; returns their sum.
float
load_x32 (uint     t,
          uint     c,
          out vec4 xv[8])
{
  vec4 sums = vec4 (0.0);

  [[unroll]] for (uint k = 0; k < 8u; k++)
    {
      xv[k] = load_x4 (t, c + 4u * k);
      sums += xv[k];
    }
  return sums.x + sums.y + sums.z + sums.w;
}

#ifdef FP16
float
dot16 (float16_t w[16],
       vec4      xv[4])
{
  return float (dot (f16vec4 (w[0], w[1], w[2], w[3]), f16vec4 (xv[0]))) +
         float (dot (f16vec4 (w[4], w[5], w[6], w[7]), f16vec4 (xv[1]))) +
         float (dot (f16vec4 (w[8], w[9], w[10], w[11]), f16vec4 (xv[2]))) +
         float (dot (f16vec4 (w[12], w[13], w[14], w[15]), f16vec4 (xv[3])));
}
#else
float
dot16 (float w[16],
       vec4  xv[4])
{
  return dot (vec4 (w[0], w[1], w[2], w[3]), xv[0]) + dot (vec4 (w[4], w[5], w[6], w[7]), xv[1]) +
         dot (vec4 (w[8], w[9], w[10], w[11]), xv[2]) + dot (vec4 (w[12], w[13], w[14], w[15]), xv[3]);
}
#endif

// The GPU shape reads a unit at a time: a whole block where the type is
// read that way (types.glsl), else a group of 16.
#ifdef UNIT_ELEMENTS
#define UNIT_32
#define dequant_unit(row_offset, u, n_cols, v) dequant32 (row_offset, u, v)
#else
#define UNIT_ELEMENTS 16u
#define dequant_unit dequant16
#endif

float
dot_unit (DQ_T w[UNIT_ELEMENTS],
          vec4 xv[UNIT_ELEMENTS / 4u])
{
  float sum = 0.0;

  [[unroll]] for (uint h = 0; h < UNIT_ELEMENTS / 16u; h++)
    {
      DQ_T w16[16];
      vec4 x16[4];

      [[unroll]] for (uint i = 0; i < 16u; i++)
        w16[i] = w[16u * h + i];
      [[unroll]] for (uint k = 0; k < 4u; k++)
        x16[k] = xv[4u * h + k];
      sum += dot16 (w16, x16);
    }
  return sum;
}

#endif

float
silu (float v)
{
  return v / (1.0 + exp (-v));
}

// Stores the product of row @row (of this chunk) for token t, or with GLU
// the pair that starts there; returns what y now holds, for PARTIALS.
float
store (uint  t,
       uint  row,
       float value,
       float up)
{
  uint out_row = p.first_row + row;
  uint base = (p.first_token + t) * p.y_stride;

  if (has_flag (FLAG_BIAS))
    {
      value += bias[out_row];
      if (has_flag (FLAG_GLU))
        up += bias[out_row + 1u];
    }
  if (has_flag (FLAG_GLU))
    {
      y[base + out_row / 2u] = silu (value) * up;
      return 0.0;
    }
  if (has_flag (FLAG_ACCUMULATE))
    value += y[base + out_row];
  y[base + out_row] = value;
  return value;
}

#ifdef ROW_PER_INVOCATION

// Rows a lane goes along in one pass (ROWS_PER_LANE in all): the
// activations each load (and for Q4_0 each quantisation) serves every row
// of a pass, so passes are as long as compiling allows: all 32 rows for
// Q4_0's one token (the integer kernel below: 15% more weights a second on
// lavapipe than 16), 16 for one or two tokens, 8 for more (sixteen rows of
// eight tokens' sums take LLVM minutes to compile).
#ifdef BLOCKS_IN_TEXELS
const uint ROWS_PER_PASS = N_TOKENS == 1u ? ROWS_PER_LANE : N_TOKENS == 2u ? ROWS_PER_LANE / 2u : ROWS_PER_LANE / 4u;
#else
const uint ROWS_PER_PASS = N_TOKENS <= 2u ? ROWS_PER_LANE / 2u : ROWS_PER_LANE / 4u;
#endif

#ifdef BLOCKS_IN_TEXELS
// Generation's products of Q4_0 where rows start on texels of four words
// (rows of a multiple of 256 elements): eight blocks of a row are nine such
// texels, so the weights take a ninth of the texel reads of the word at a
// time kind (lavapipe's gathers), and every block sits at a known place in
// them.
//
// The products are integers, two to a 32-bit multiply. Each block of 32
// activations is quantised to 8 bits (xi = round (x · 127 / max |x|), as
// the CPU path quantises them). A word of nibbles masked with 0x000f000f
// after a shift holds two weights qa and qb, 16 bits apart; the
// activations go in pairs the other way round, xb + xa · 2^16, and their
// product holds qa · xa + qb · xb in bits 16 to 31, qa · xb below them
// and the rest past bit 31. Eight such products add up without the
// middle field overflowing (|Σ| ≤ 8 · 2 · 15 · 127 < 2^15) or the low one
// reaching it (|Σ qa · xb| < 2^15), so rounding off the low 16 bits leaves
// the sum of sixteen products exactly: one multiply and one add for two
// weights where floats took a conversion, a multiply and an add each.

// Block @c (its first column, a multiple of 32) of token t's activations,
// normed, quantised: their scale, the sum of the 8-bit values, and the
// packed pairs, pair 4k + s for the block's word k of nibbles shifted right
// by 4s. The workgroup is one subgroup (vk-device.c): lane l < 8 loads the
// four activations of texel l, and the lanes quantise their own and pass
// each other the pairs, where every lane loading and quantising all 32
// took eight texel reads and 32 roundings each.
void
pack_x32 (uint      t,
          uint      c,
          out int   pairs[16],
          out float scale,
          out int   sum)
{
  // Lanes past the block's first eight hold nothing of it.
  vec4 v = TID < 8u ? load_x4 (t, c + 4u * min (TID, 7u)) : vec4 (0.0);

  vec4 a = abs (v);
  scale = subgroupMax (max (max (a.x, a.y), max (a.z, a.w))) / 127.0;
  float inverse = scale > 0.0 ? 1.0 / scale : 0.0;
  ivec4 xi = ivec4 (roundEven (v * inverse));

  sum = subgroupAdd (xi.x + xi.y + xi.z + xi.w);
  // Shift 4s brings the nibbles of bytes 4k + s/2 and 4k + s/2 + 2 to bits
  // 0 and 16: low nibbles (activations 4k + s/2, of lane k) for even s,
  // high (activations 16 + 4k + s/2, of lane k + 4) for odd.
  int low_pair = xi.z + (xi.x << 16);
  int high_pair = xi.w + (xi.y << 16);

  [[unroll]] for (uint k = 0; k < 4u; k++)
    {
      pairs[4u * k] = subgroupShuffle (low_pair, k);
      pairs[4u * k + 1u] = subgroupShuffle (low_pair, k + 4u);
      pairs[4u * k + 2u] = subgroupShuffle (high_pair, k);
      pairs[4u * k + 3u] = subgroupShuffle (high_pair, k + 4u);
    }
}

void
rows_octets (uint      row0,
             inout float sums[ROWS_PER_PASS][N_TOKENS])
{
  const uint N_TEXELS = BLOCK_BYTES * BLOCKS_IN_TEXELS / 16u;

  for (uint o = 0; o < p.n_cols / (32u * BLOCKS_IN_TEXELS); o++)
    {
      int pairs[N_TOKENS][BLOCKS_IN_TEXELS][16];
      float x_scale[N_TOKENS][BLOCKS_IN_TEXELS];
      int x_sum8[N_TOKENS][BLOCKS_IN_TEXELS];

      [[unroll]] for (uint t = 0; t < N_TOKENS; t++)
        [[unroll]] for (uint j = 0; j < BLOCKS_IN_TEXELS; j++)
          {
            int sum;

            pack_x32 (t, 32u * (BLOCKS_IN_TEXELS * o + j), pairs[t][j], x_scale[t][j], sum);
            // Q4_0's weights are q - 8.
            x_sum8[t][j] = 8 * sum;
          }
      [[unroll]] for (uint r = 0; r < ROWS_PER_PASS; r++)
        {
          // Past the last row, repeat it: cheaper than a branch per lane.
          uint row = min (row0 + r, p.n_rows - 1u);
          // The octet's texels: one after another, or interleaved as
          // CPU devices store such rows (types.glsl), for as many lanes as
          // this workgroup has: a constant, so no divisions.
          bool interleaved = p.interleave_lanes != 0u;
          uint first = interleaved ? interleaved_texel (row, o, 0u, WG_SIZE) : row * (p.row_bytes / 16u) + N_TEXELS * o;
          uint stride = interleaved ? WG_SIZE : 1u;
          uint words[4u * N_TEXELS];

          [[unroll]] for (uint i = 0; i < N_TEXELS; i++)
            {
              uvec4 texel = texelFetch (weight_texels, int (first + i * stride));

              [[unroll]] for (uint c = 0; c < 4u; c++)
                words[4u * i + c] = texel[c];
            }
          [[unroll]] for (uint j = 0; j < BLOCKS_IN_TEXELS; j++)
            {
              const uint w = BLOCK_BYTES * j / 4u;
              float d;
              uvec4 qs;
              int q[16];

              f16_and_16_bytes (words[w], words[w + 1u], words[w + 2u], words[w + 3u], words[w + 4u],
                                (BLOCK_BYTES * j) % 4u, d, qs);
              [[unroll]] for (uint k = 0; k < 4u; k++)
                [[unroll]] for (uint s = 0; s < 4u; s++)
                  q[4u * k + s] = int ((qs[k] >> (4u * s)) & 0x000f000fu);
              [[unroll]] for (uint t = 0; t < N_TOKENS; t++)
                {
                  // Eight products to a sum (above): half a block each.
                  int half_sums[2] = { 0, 0 };

                  [[unroll]] for (uint i = 0; i < 16u; i++)
                    half_sums[i / 8u] += q[i] * pairs[t][j][i];
                  int dot_sum = ((half_sums[0] + 0x8000) >> 16) + ((half_sums[1] + 0x8000) >> 16);

                  sums[r][t] += d * x_scale[t][j] * float (dot_sum - x_sum8[t][j]);
                }
            }
        }
    }
}
#endif

// This lane's rows from @row0 on, for one pass; adds each token's sum of
// the stored values' squares to @squares.
void
rows_pass (uint      row0,
           float     scale[N_TOKENS],
           inout float squares[N_TOKENS])
{
  float sums[ROWS_PER_PASS][N_TOKENS];

  [[unroll]] for (uint t = 0; t < N_TOKENS; t++)
    [[unroll]] for (uint r = 0; r < ROWS_PER_PASS; r++)
      sums[r][t] = 0.0;

#ifdef BLOCKS_IN_TEXELS
  if (N_TOKENS <= 2u && ROWS_ON_TEXELS)
    rows_octets (row0, sums);
  else
#endif
#ifdef UNIT_32
  // Generation (one or two tokens) reads a whole block a step: a block's
  // weights are d · q + m, so the sums take d · Σ q x + m · Σ x with Σ x
  // once for all the rows. More tokens go 16 elements a step as the other
  // types do: unrolled over eight tokens, the whole-block body took LLVM
  // minutes to compile.
  if (N_TOKENS <= 2u)
    {
      for (uint u = 0; u < p.n_cols / 32u; u++)
        {
          vec4 xv[N_TOKENS][8];
          float x_sums[N_TOKENS];

          [[unroll]] for (uint t = 0; t < N_TOKENS; t++)
            x_sums[t] = load_x32 (t, 32u * u, xv[t]);
          [[unroll]] for (uint r = 0; r < ROWS_PER_PASS; r++)
            {
              float q[32], d, m;

              // Past the last row, repeat it: cheaper than a branch per lane.
              dequant32_parts (min (row0 + r, p.n_rows - 1u) * p.row_bytes, u, q, d, m);
              [[unroll]] for (uint t = 0; t < N_TOKENS; t++)
                sums[r][t] += d * dot_unit (q, xv[t]) + m * x_sums[t];
            }
        }
    }
  else
#endif
  for (uint g = 0; g < (p.n_cols + 15u) / 16u; g++)
    {
      vec4 xv[N_TOKENS][4];

      [[unroll]] for (uint t = 0; t < N_TOKENS; t++)
        [[unroll]] for (uint k = 0; k < 4u; k++)
          xv[t][k] = load_x4 (t, 16u * g + 4u * k);
      [[unroll]] for (uint r = 0; r < ROWS_PER_PASS; r++)
        {
          float w[16];
          uint row = min (row0 + r, p.n_rows - 1u);

#ifdef TYPE_Q4_0
          dequant16_rows (row, g, p.interleave_lanes != 0u, WG_SIZE, w);
#else
          dequant16 (row * p.row_bytes, g, p.n_cols, w);
#endif
          [[unroll]] for (uint t = 0; t < N_TOKENS; t++)
            sums[r][t] += dot16 (w, xv[t]);
        }
    }

  [[unroll]] for (uint t = 0; t < N_TOKENS; t++)
    [[unroll]] for (uint r = 0; r < ROWS_PER_PASS; r += 2u)
      if (row0 + r < p.n_rows)
        {
          if (has_flag (FLAG_GLU))
            store (t, row0 + r, sums[r][t] * scale[t], sums[r + 1u][t] * scale[t]);
          else
            {
              float v0 = store (t, row0 + r, sums[r][t] * scale[t], 0.0);

              squares[t] += v0 * v0;
              if (row0 + r + 1u < p.n_rows)
                {
                  float v1 = store (t, row0 + r + 1u, sums[r + 1u][t] * scale[t], 0.0);

                  squares[t] += v1 * v1;
                }
            }
        }
}

void
main ()
{
  uint lane = flat_workgroup_id () * WG_SIZE + TID;
  float scale[N_TOKENS];
  float squares[N_TOKENS];

  // Lanes past the last row go along repeating it (rows_pass) and store
  // nothing: rows_octets' lanes pass each other activations.
  [[unroll]] for (uint t = 0; t < N_TOKENS; t++)
    {
      scale[t] = has_flag (FLAG_NORM) ? norm_scale (partial_squares (t, 0u, 1u)) : 1.0;
      squares[t] = 0.0;
    }
  for (uint pass = 0; pass < ROWS_PER_LANE / ROWS_PER_PASS; pass++)
    rows_pass (lane * ROWS_PER_LANE + pass * ROWS_PER_PASS, scale, squares);
  if (has_flag (FLAG_PARTIALS) && lane * ROWS_PER_LANE < p.n_rows)
    [[unroll]] for (uint t = 0; t < N_TOKENS; t++)
      partials_out[(p.first_token + t) * p.partial_stride + p.partial_base + lane] = squares[t];
}

#else

shared float sums_scratch[ROWS_PER_WORKGROUP * N_TOKENS * WG_SIZE];

void
main ()
{
  uint group_id = flat_workgroup_id ();
  uint row0 = group_id * ROWS_PER_WORKGROUP;
  float scale[N_TOKENS];
  float sums[ROWS_PER_WORKGROUP][N_TOKENS];
  float totals[ROWS_PER_WORKGROUP][N_TOKENS];
  uint offsets[ROWS_PER_WORKGROUP];

  // Uniform per workgroup: every invocation leaves together.
  if (row0 >= p.n_rows)
    return;
  [[unroll]] for (uint t = 0; t < N_TOKENS; t++)
    scale[t] = has_flag (FLAG_NORM) ? norm_scale (wg_sum (partial_squares (t, TID, WG_SIZE))) : 1.0;
  // Rows past the end repeat the last, so every invocation takes part in
  // the reductions; their results are not stored.
  [[unroll]] for (uint r = 0; r < ROWS_PER_WORKGROUP; r++)
    {
      offsets[r] = min (row0 + r, p.n_rows - 1u) * p.row_bytes;
      [[unroll]] for (uint t = 0; t < N_TOKENS; t++)
        sums[r][t] = 0.0;
    }

  // All the workgroup's rows in one pass: each invocation has a unit of
  // every row in flight at once, and the activations it loads serve them
  // all; one reduction per row and token at the end.
#ifdef INT8
  uint n_blocks = p.n_cols / 32u;

  for (uint b = TID; b < n_blocks; b += WG_SIZE)
    [[unroll]] for (uint r = 0; r < ROWS_PER_WORKGROUP; r++)
      {
        uint wq8[8];
        vec2 d;
        float m;

        load_block_i8 (offsets[r], b, wq8, d, m);
        [[unroll]] for (uint t = 0; t < N_TOKENS; t++)
          sums[r][t] += block_product (wq8, d, m, b, n_blocks, t);
      }
#else
  uint n_units = (p.n_cols + UNIT_ELEMENTS - 1u) / UNIT_ELEMENTS;

  for (uint u = TID; u < n_units; u += WG_SIZE)
    {
      DQ_T w[ROWS_PER_WORKGROUP][UNIT_ELEMENTS];

      [[unroll]] for (uint r = 0; r < ROWS_PER_WORKGROUP; r++)
        dequant_unit (offsets[r], u, p.n_cols, w[r]);
      [[unroll]] for (uint t = 0; t < N_TOKENS; t++)
        {
          vec4 xv[UNIT_ELEMENTS / 4u];

          [[unroll]] for (uint k = 0; k < UNIT_ELEMENTS / 4u; k++)
            xv[k] = load_x4 (t, UNIT_ELEMENTS * u + 4u * k);
          [[unroll]] for (uint r = 0; r < ROWS_PER_WORKGROUP; r++)
            sums[r][t] += dot_unit (w[r], xv);
        }
    }
#endif
  // The sums over the workgroup, all rows and tokens together: one set of
  // barriers for them all (lavapipe builds each barrier into a coroutine
  // split, and one reduction per value took minutes to compile there).
  // Only invocation 0 needs the totals.
#ifdef USE_SUBGROUP
  [[unroll]] for (uint r = 0; r < ROWS_PER_WORKGROUP; r++)
    [[unroll]] for (uint t = 0; t < N_TOKENS; t++)
      totals[r][t] = subgroupAdd (sums[r][t]);
  if (gl_NumSubgroups > 1u)
    {
      if (subgroupElect ())
        [[unroll]] for (uint r = 0; r < ROWS_PER_WORKGROUP; r++)
          [[unroll]] for (uint t = 0; t < N_TOKENS; t++)
            sums_scratch[(r * N_TOKENS + t) * WG_SIZE + gl_SubgroupID] = totals[r][t];
      barrier ();
      [[unroll]] for (uint r = 0; r < ROWS_PER_WORKGROUP; r++)
        [[unroll]] for (uint t = 0; t < N_TOKENS; t++)
          {
            totals[r][t] = 0.0;
            for (uint i = 0; i < gl_NumSubgroups; i++)
              totals[r][t] += sums_scratch[(r * N_TOKENS + t) * WG_SIZE + i];
          }
    }
#else
  [[unroll]] for (uint r = 0; r < ROWS_PER_WORKGROUP; r++)
    [[unroll]] for (uint t = 0; t < N_TOKENS; t++)
      sums_scratch[(r * N_TOKENS + t) * WG_SIZE + TID] = sums[r][t];
  barrier ();
  [[dont_unroll]] for (uint s = WG_SIZE / 2u; s > 0u; s >>= 1)
    {
      if (TID < s)
        for (uint i = 0; i < ROWS_PER_WORKGROUP * N_TOKENS; i++)
          sums_scratch[i * WG_SIZE + TID] += sums_scratch[i * WG_SIZE + TID + s];
      barrier ();
    }
  [[unroll]] for (uint r = 0; r < ROWS_PER_WORKGROUP; r++)
    [[unroll]] for (uint t = 0; t < N_TOKENS; t++)
      totals[r][t] = sums_scratch[(r * N_TOKENS + t) * WG_SIZE];
#endif

  if (TID != 0u)
    return;
  [[unroll]] for (uint r = 0; r < ROWS_PER_WORKGROUP; r++)
    [[unroll]] for (uint t = 0; t < N_TOKENS; t++)
      totals[r][t] *= scale[t];
  [[unroll]] for (uint t = 0; t < N_TOKENS; t++)
    {
      float squares = 0.0;

      for (uint r = 0; r < ROWS_PER_WORKGROUP && row0 + r < p.n_rows; r++)
        if (has_flag (FLAG_GLU))
          {
            store (t, row0 + r, totals[r][t], totals[r + 1u][t]);
            r++;
          }
        else
          {
            float v = store (t, row0 + r, totals[r][t], 0.0);

            squares += v * v;
          }
      if (has_flag (FLAG_PARTIALS))
        partials_out[(p.first_token + t) * p.partial_stride + p.partial_base + group_id] = squares;
    }
}

#endif
