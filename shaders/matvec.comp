#version 450
// SPDX-License-Identifier: MIT
// y = W · x for one to MATVEC_MAX_TOKENS activation columns, W in any
// tensor type, dequantised in registers as it is read: generation's
// matrix products. W may be one chunk of a matrix split across bindings:
// first_row places the chunk's rows in y.
//
// On GPUs a workgroup takes ROWS_PER_WORKGROUP rows; its invocations
// stride along a row 16 elements at a time, so neighbours read
// neighbouring blocks, then the partial sums meet in a workgroup reduction.
// Built with ROW_PER_INVOCATION, for CPU devices (lavapipe), each
// invocation computes whole rows alone: the activations it reads are the
// same for every lane, which a SIMD compiler loads once, and there is no
// reduction at all.
#include "common.glsl"

#define MATVEC_MAX_TOKENS 8

layout (constant_id = 1) const uint ROWS_PER_WORKGROUP = 1;
// Tokens per dispatch, at most MATVEC_MAX_TOKENS, as a constant: a loop
// over a push-constant count costs CPU devices all eight bodies, masked.
layout (constant_id = 2) const uint N_TOKENS = 1;

layout (binding = 0) readonly buffer Weights { uint wq[]; };
layout (binding = 1) readonly buffer X { float x[]; };
layout (binding = 2) buffer Y { float y[]; };

layout (push_constant) uniform Params {
  uint n_cols;
  uint n_rows;      // rows of this chunk
  uint row_bytes;
  uint first_row;   // of this chunk, in the whole matrix
  uint n_tokens;    // N_TOKENS, which the shader uses
  uint x_stride;    // floats from one token's x to the next
  uint y_stride;
  uint accumulate;  // y += W · x (a fused residual add)
  uint first_token; // of this pass: tokens past MATVEC_MAX_TOKENS take several
} p;

#include "types.glsl"
#ifndef ROW_PER_INVOCATION
#include "reduce.glsl"
#endif

#ifdef ROW_PER_INVOCATION

void
main ()
{
  uint row = flat_workgroup_id () * WG_SIZE + TID;
  uint n_groups = (p.n_cols + 15u) / 16u;
  float sums[N_TOKENS];

  if (row >= p.n_rows)
    return;
  [[unroll]] for (uint t = 0; t < N_TOKENS; t++)
    sums[t] = 0.0;
  for (uint g = 0; g < n_groups; g++)
    {
      float w[16];

      dequant16 (row * p.row_bytes, g, p.n_cols, w);
      // Only the float types have rows that end inside a group.
      bool whole = 16u * g + 16u <= p.n_cols;
      [[unroll]] for (uint t = 0; t < N_TOKENS; t++)
          {
            uint xbase = (p.first_token + t) * p.x_stride + 16u * g;
            float acc = 0.0;

            if (whole)
              [[unroll]] for (uint i = 0; i < 16u; i++)
                acc += w[i] * x[xbase + i];
            else
              [[unroll]] for (uint i = 0; i < 16u; i++)
                acc += 16u * g + i < p.n_cols ? w[i] * x[xbase + i] : 0.0;
            sums[t] += acc;
          }
    }
  [[unroll]] for (uint t = 0; t < N_TOKENS; t++)
      {
        uint out_index = (p.first_token + t) * p.y_stride + p.first_row + row;
        y[out_index] = p.accumulate != 0u ? y[out_index] + sums[t] : sums[t];
      }
}

#else

void
main ()
{
  uint n_groups = (p.n_cols + 15u) / 16u;

  for (uint r = 0; r < ROWS_PER_WORKGROUP; r++)
    {
      uint row = flat_workgroup_id () * ROWS_PER_WORKGROUP + r;
      float sums[N_TOKENS];

      // Uniform per workgroup: every invocation leaves together.
      if (row >= p.n_rows)
        return;
      [[unroll]] for (uint t = 0; t < N_TOKENS; t++)
        sums[t] = 0.0;

      for (uint g = TID; g < n_groups; g += WG_SIZE)
        {
          float w[16];

          dequant16 (row * p.row_bytes, g, p.n_cols, w);
          [[unroll]] for (uint t = 0; t < N_TOKENS; t++)
            {
              uint xbase = (p.first_token + t) * p.x_stride + 16u * g;
              float acc = 0.0;

              [[unroll]] for (uint i = 0; i < 16u; i++)
                acc += w[i] * (16u * g + i < p.n_cols ? x[xbase + i] : 0.0);
              sums[t] += acc;
            }
        }

      [[unroll]] for (uint t = 0; t < N_TOKENS; t++)
        {
          float total = wg_sum (sums[t]);

          if (TID == 0u)
            {
              uint out_index = (p.first_token + t) * p.y_stride + p.first_row + row;
              y[out_index] = p.accumulate != 0u ? y[out_index] + total : total;
            }
        }
    }
}

#endif
