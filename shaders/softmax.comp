#version 450
// SPDX-License-Identifier: MIT
// x = softmax (x) along each row, in place, one workgroup per row.
#include "common.glsl"

layout (binding = 0) buffer X { float x[]; };

layout (push_constant) uniform Params {
  uint n;
  uint n_rows;
  uint stride;
} p;

#include "reduce.glsl"

void
main ()
{
  if (flat_workgroup_id () >= p.n_rows)
    return;
  uint base = flat_workgroup_id () * p.stride;
  float m = -1.0 / 0.0;
  float sum = 0.0;

  for (uint i = TID; i < p.n; i += WG_SIZE)
    m = max (m, x[base + i]);
  m = wg_max (m);
  for (uint i = TID; i < p.n; i += WG_SIZE)
    sum += exp (x[base + i] - m);
  float inv = 1.0 / wg_sum (sum);
  for (uint i = TID; i < p.n; i += WG_SIZE)
    x[base + i] = exp (x[base + i] - m) * inv;
}
