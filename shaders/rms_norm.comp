#version 450
// SPDX-License-Identifier: MIT
// out = x / sqrt (mean (x²) + eps) · weight, one workgroup per row. Rows
// are tokens (the layer norms) or heads within tokens (Qwen3's per-head
// Q/K norms, with the same weight for every head). In place is allowed.
#include "common.glsl"

layout (binding = 0) readonly buffer X { float x[]; };
layout (binding = 1) readonly buffer Weight { float weight[]; };
layout (binding = 2) writeonly buffer Out { float out_values[]; };

layout (push_constant) uniform Params {
  uint n;                // elements per row
  uint n_rows;           // tokens · rows_per_token
  uint rows_per_token;   // 1, or heads per token
  uint x_stride;         // floats from one token to the next
  uint out_stride;
  uint has_weight;
  float eps;
} p;

#include "reduce.glsl"

void
main ()
{
  uint row = flat_workgroup_id ();

  // Uniform per workgroup: the grid may overshoot to stay under 65535 wide.
  if (row >= p.n_rows)
    return;
  uint token = row / p.rows_per_token;
  uint head = row % p.rows_per_token;
  uint in_base = token * p.x_stride + head * p.n;
  uint out_base = token * p.out_stride + head * p.n;
  float sum = 0.0;

  for (uint i = TID; i < p.n; i += WG_SIZE)
    sum += x[in_base + i] * x[in_base + i];
  float scale = 1.0 / sqrt (wg_sum (sum) / float (p.n) + p.eps);

  for (uint i = TID; i < p.n; i += WG_SIZE)
    {
      float v = x[in_base + i] * scale;
      out_values[out_base + i] = p.has_weight != 0u ? v * weight[i] : v;
    }
}
