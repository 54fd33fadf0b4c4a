#version 450
// SPDX-License-Identifier: MIT
// Activations quantised to 8 bits for the int8 matrix × vector variants:
// each block of 32 values of a token becomes 32 signed bytes q and a scale
// d = max |v| / 127, with v ≈ d · q, and the block's d · Σ q, which the
// types with an offset (weight = d_w · q_w + m) multiply by m. The RMS
// norm that the float variants apply on the way in is applied here, from
// the same partial sums, so the products see the normed activations.
//
// Output: per token and block, 12 words: the 8 words of q (bytes 4 k … 4 k
// + 3 in word k), d, d · Σ q, and two words of padding that keep every
// block on a 16-byte boundary for vector loads.
#include "common.glsl"

layout (binding = 0) readonly buffer X { float x[]; };
layout (binding = 1) readonly buffer NormWeight { float norm_weight[]; };
layout (binding = 2) readonly buffer PartialsIn { float partials_in[]; };
layout (binding = 3) writeonly buffer Q { uint q[]; };

layout (push_constant) uniform Params {
  uint n_cols;          // a multiple of 32
  uint n_tokens;
  uint x_stride;
  uint x_first_token;   // x's token of q's token 0
  uint norm;            // apply the RMS norm
  uint n_partials;
  uint partial_stride;
  float eps;
} p;

#include "reduce.glsl"

void
main ()
{
  uint t = gl_WorkGroupID.y;
  uint b = gl_WorkGroupID.x * WG_SIZE + TID;
  uint n_blocks = p.n_cols / 32u;
  uint xt = p.x_first_token + t;
  float scale = 1.0;
  float v[32];
  float amax = 0.0;

  // Uniform per workgroup: every invocation takes part in the reduction.
  if (p.norm != 0u)
    {
      float sum = 0.0;

      for (uint i = TID; i < p.n_partials; i += WG_SIZE)
        sum += partials_in[xt * p.partial_stride + i];
      scale = 1.0 / sqrt (wg_sum (sum) / float (p.n_cols) + p.eps);
    }
  if (b >= n_blocks)
    return;

  [[unroll]] for (uint i = 0; i < 32u; i++)
    {
      uint c = 32u * b + i;

      v[i] = x[xt * p.x_stride + c];
      if (p.norm != 0u)
        v[i] *= norm_weight[c] * scale;
      amax = max (amax, abs (v[i]));
    }

  float d = amax / 127.0;
  float inverse = d > 0.0 ? 1.0 / d : 0.0;
  int sum = 0;
  uint base = 12u * (t * n_blocks + b);

  [[unroll]] for (uint k = 0; k < 8u; k++)
    {
      uint word = 0u;

      [[unroll]] for (uint j = 0; j < 4u; j++)
        {
          int value = clamp (int (round (v[4u * k + j] * inverse)), -127, 127);

          sum += value;
          word |= (uint (value) & 0xffu) << (8u * j);
        }
      q[base + k] = word;
    }
  q[base + 8u] = floatBitsToUint (d);
  q[base + 9u] = floatBitsToUint (d * float (sum));
  q[base + 10u] = 0u;
  q[base + 11u] = 0u;
}
