#version 450
// SPDX-License-Identifier: MIT
// Reads a buffer as fast as the device can, 16 bytes an invocation at a
// time, neighbours reading neighbouring words: the memory read bandwidth
// that generation's speed is held against (src/hw/gpu-bandwidth.c), which must
// not depend on how fast the matrix × vector shaders are. The words are
// summed (modulo 2^32) into out[0], one atomic add per workgroup, so that
// no compiler may drop a read and a test can check that each word was
// read once.
#include "common.glsl"

layout (binding = 0) readonly buffer Data { uvec4 data[]; };
layout (binding = 1) buffer Out { uint out_sum[]; };

layout (push_constant) uniform Params {
  uint n_vec4;
} p;

shared uint partial[gl_WorkGroupSize.x];

void
main ()
{
  uint stride = gl_NumWorkGroups.x * WG_SIZE;
  uvec4 sum = uvec4 (0u);

  for (uint i = gl_WorkGroupID.x * WG_SIZE + TID; i < p.n_vec4; i += stride)
    sum += data[i];
  partial[TID] = sum.x + sum.y + sum.z + sum.w;
  barrier ();
  for (uint s = WG_SIZE / 2u; s > 0u; s >>= 1)
    {
      if (TID < s)
        partial[TID] += partial[TID + s];
      barrier ();
    }
  if (TID == 0u)
    atomicAdd (out_sum[0], partial[0]);
}
