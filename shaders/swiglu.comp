#version 450
// SPDX-License-Identifier: MIT
// out = silu (gate) · up, element-wise, for every token.
#include "common.glsl"

layout (binding = 0) readonly buffer Gate { float gate[]; };
layout (binding = 1) readonly buffer Up { float up[]; };
layout (binding = 2) writeonly buffer Out { float out_values[]; };

layout (push_constant) uniform Params {
  uint n;
  uint gate_stride;
  uint up_stride;
  uint out_stride;
} p;

void
main ()
{
  uint i = gl_GlobalInvocationID.x;
  uint t = gl_WorkGroupID.y;

  if (i >= p.n)
    return;
  float g = gate[t * p.gate_stride + i];
  out_values[t * p.out_stride + i] = g / (1.0 + exp (-g)) * up[t * p.up_stride + i];
}
