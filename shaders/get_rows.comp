#version 450
// SPDX-License-Identifier: MIT
// out[t] = row tokens[t] of W, dequantised: the token embedding lookup. W
// may be one chunk of a matrix split across bindings; tokens outside the
// chunk are left to the dispatch of their own chunk.
#include "common.glsl"

layout (binding = 0) readonly buffer Weights { uint wq[]; };
layout (binding = 1) readonly buffer Tokens { int tokens[]; };
layout (binding = 2) writeonly buffer Out { float out_rows[]; };

layout (push_constant) uniform Params {
  uint n_cols;
  uint n_rows;      // rows of this chunk
  uint row_bytes;
  uint first_row;   // of this chunk, in the whole matrix
  uint n_tokens;
  uint out_stride;
  uint interleave_lanes; // W's rows interleaved for this many lanes (types.glsl), or 0
} p;

#define WQ(i) wq[i]
#include "types.glsl"

void
main ()
{
  uint t = gl_WorkGroupID.y;
  int token = tokens[t];
  uint n_groups = (p.n_cols + 15u) / 16u;

  if (token < int (p.first_row) || token >= int (p.first_row + p.n_rows))
    return;
  uint row = uint (token) - p.first_row;

  for (uint g = gl_WorkGroupID.x * WG_SIZE + TID; g < n_groups; g += WG_SIZE * gl_NumWorkGroups.x)
    {
      float v[16];

#ifdef TYPE_Q4_0
      dequant16_rows (row, g, p.interleave_lanes != 0u, max (p.interleave_lanes, 1u), v);
#else
      dequant16 (row * p.row_bytes, g, p.n_cols, v);
#endif
      [[unroll]] for (uint i = 0; i < 16u; i++)
        if (16u * g + i < p.n_cols)
          out_rows[t * p.out_stride + 16u * g + i] = v[i];
    }
}
