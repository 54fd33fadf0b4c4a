#version 450
// SPDX-License-Identifier: MIT
// Merges the partial results of split attention: each split's output is
// rescaled by exp (its max - the overall max) and the sums likewise.
#include "common.glsl"

layout (binding = 0) readonly buffer Partial { float partial[]; };
layout (binding = 1) writeonly buffer Out { float out_values[]; };

layout (push_constant) uniform Params {
  uint n_head;
  uint head_dim;
  uint out_stride;
  uint n_splits;
} p;

void
main ()
{
  uint head = gl_WorkGroupID.x;
  uint token = gl_WorkGroupID.y;
  uint record = p.head_dim + 2u;
  uint first = (token * p.n_head + head) * p.n_splits * record;
  float overall_max = -1.0 / 0.0;
  float total = 0.0;

  for (uint s = 0; s < p.n_splits; s++)
    if (partial[first + s * record + 1u] > 0.0)
      overall_max = max (overall_max, partial[first + s * record]);
  for (uint s = 0; s < p.n_splits; s++)
    {
      float sum = partial[first + s * record + 1u];
      if (sum > 0.0)
        total += sum * exp (partial[first + s * record] - overall_max);
    }
  float inv = total > 0.0 ? 1.0 / total : 0.0;

  for (uint i = TID; i < p.head_dim; i += WG_SIZE)
    {
      float value = 0.0;

      for (uint s = 0; s < p.n_splits; s++)
        {
          float sum = partial[first + s * record + 1u];
          if (sum > 0.0)
            value += partial[first + s * record + 2u + i] * exp (partial[first + s * record] - overall_max);
        }
      out_values[token * p.out_stride + head * p.head_dim + i] = value * inv;
    }
}
