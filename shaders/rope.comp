#version 450
// SPDX-License-Identifier: MIT
// Rotary position embedding of every head of every token, in place. The
// angle of pair i at position pos is pos · freqs[i]: the host folds the
// frequency base, linear or YaRN scaling and Llama 3 frequency factors
// into freqs, and YaRN's magnitude correction into mscale. Positions come
// from a buffer so a recorded command buffer replays at any position.
#include "common.glsl"

layout (binding = 0) buffer X { float x[]; };
layout (binding = 1) readonly buffer Positions { int positions[]; };
layout (binding = 2) readonly buffer Freqs { float freqs[]; };

layout (push_constant) uniform Params {
  uint n_heads;
  uint head_dim;
  uint n_rot;          // dimensions rotated, from the start of each head
  uint token_stride;   // floats from one token to the next
  uint neox;           // 0: adjacent pairs, 1: the two halves of the rotated part
  float mscale;
} p;

void
main ()
{
  uint half_rot = p.n_rot / 2u;
  uint index = gl_GlobalInvocationID.x;
  uint token = gl_WorkGroupID.y;

  if (index >= p.n_heads * half_rot)
    return;
  uint head = index / half_rot;
  uint i = index % half_rot;
  uint base = token * p.token_stride + head * p.head_dim;
  uint a = p.neox != 0u ? i : 2u * i;
  uint b = p.neox != 0u ? i + half_rot : 2u * i + 1u;
  float angle = float (positions[token]) * freqs[i];
  float c = cos (angle) * p.mscale;
  float s = sin (angle) * p.mscale;
  float x0 = x[base + a];
  float x1 = x[base + b];

  x[base + a] = x0 * c - x1 * s;
  x[base + b] = x0 * s + x1 * c;
}
