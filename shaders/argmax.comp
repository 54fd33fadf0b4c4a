#version 450
// SPDX-License-Identifier: MIT
// The index of each row's largest value (the first one on ties), for
// greedy decoding without reading the logits back.
#include "common.glsl"

layout (binding = 0) readonly buffer X { float x[]; };
layout (binding = 1) writeonly buffer Out { int out_index[]; };

layout (push_constant) uniform Params {
  uint n;
  uint n_rows;
  uint stride;
} p;

shared float best_values[gl_WorkGroupSize.x];
shared uint best_indices[gl_WorkGroupSize.x];

void
main ()
{
  uint row = flat_workgroup_id ();

  if (row >= p.n_rows)
    return;
  uint base = row * p.stride;
  float best = -1.0 / 0.0;
  uint best_index = 0xffffffffu;

  // Each invocation walks its indices in increasing order, so a strict >
  // keeps its first maximum.
  for (uint i = TID; i < p.n; i += WG_SIZE)
    if (x[base + i] > best || best_index == 0xffffffffu)
      {
        best = x[base + i];
        best_index = i;
      }
  best_values[TID] = best;
  best_indices[TID] = best_index;
  barrier ();
  for (uint s = WG_SIZE / 2u; s > 0u; s >>= 1)
    {
      if (TID < s)
        {
          float other = best_values[TID + s];
          uint other_index = best_indices[TID + s];

          if (other_index != 0xffffffffu &&
              (best_indices[TID] == 0xffffffffu || other > best_values[TID] ||
               (other == best_values[TID] && other_index < best_indices[TID])))
            {
              best_values[TID] = other;
              best_indices[TID] = other_index;
            }
        }
      barrier ();
    }
  if (TID == 0u)
    out_index[row] = int (best_indices[0]);
}
