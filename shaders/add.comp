#version 450
// SPDX-License-Identifier: MIT
// out = a + b for every token: the residual add, and with b_stride 0 a bias
// added to every token. out may be a or b.
#include "common.glsl"

layout (binding = 0) readonly buffer A { float a[]; };
layout (binding = 1) readonly buffer B { float b[]; };
layout (binding = 2) writeonly buffer Out { float out_values[]; };

layout (push_constant) uniform Params {
  uint n;
  uint a_stride;
  uint b_stride;
  uint out_stride;
} p;

void
main ()
{
  uint i = gl_GlobalInvocationID.x;
  uint t = gl_WorkGroupID.y;

  if (i >= p.n)
    return;
  out_values[t * p.out_stride + i] = a[t * p.a_stride + i] + b[t * p.b_stride + i];
}
