#version 450
// SPDX-License-Identifier: MIT
// Y = W · X for a prompt's many tokens: tiles of TILE_ROWS weight rows and
// TILE_TOKENS tokens, TILE_K elements deep, staged in shared memory (the
// weights dequantised once per tile), each invocation computing a 4 × 4
// block of outputs. Edges of any size are handled by bounds checks. The
// epilogue knows ACCUMULATE, GLU and BIAS as matvec.comp does; prompts
// norm their input in a dispatch of its own.
#include "common.glsl"

#define TILE_ROWS 64u
#define TILE_TOKENS 64u
#define TILE_K 32u
#define MICRO 4u

layout (binding = 0) readonly buffer Weights { uint wq[]; };
layout (binding = 1) readonly buffer X { float x[]; };
layout (binding = 2) buffer Y { float y[]; };
layout (binding = 6) readonly buffer Bias { float bias[]; };

#define FLAG_ACCUMULATE 1u
#define FLAG_GLU 2u
#define FLAG_BIAS 8u

layout (push_constant) uniform Params {
  uint n_cols;
  uint n_rows;
  uint row_bytes;
  uint first_row;
  uint n_tokens;
  uint x_stride;
  uint y_stride;
  uint flags;
  uint first_token;  // unused: one dispatch takes all tokens
  uint n_partials;   // unused: see matvec.comp
  uint partial_stride;
  uint partial_base;
  float eps;
  uint x_first_token;   // unused: 0
} p;

#define WQ(i) wq[i]
#include "types.glsl"

// +1 keeps the column reads of the inner loop off one memory bank.
shared float w_tile[TILE_ROWS][TILE_K + 1u];
shared float x_tile[TILE_TOKENS][TILE_K + 1u];

void
main ()
{
  // 256 invocations: a 16 × 16 grid of 4 × 4 micro-tiles.
  uint row0 = gl_WorkGroupID.x * TILE_ROWS;
  uint token0 = gl_WorkGroupID.y * TILE_TOKENS;
  uint micro_row = (TID % 16u) * MICRO;
  uint micro_token = (TID / 16u) * MICRO;
  float acc[MICRO][MICRO];

  [[unroll]] for (uint i = 0; i < MICRO; i++)
    [[unroll]] for (uint j = 0; j < MICRO; j++)
      acc[i][j] = 0.0;

  for (uint k0 = 0; k0 < p.n_cols; k0 += TILE_K)
    {
      // Weights: 64 rows × 2 groups of 16, one group per invocation.
      if (TID < TILE_ROWS * (TILE_K / 16u))
        {
          uint r = TID / 2u;
          uint half_k = TID % 2u;
          uint g = k0 / 16u + half_k;
          float v[16];

          if (row0 + r < p.n_rows && 16u * g < p.n_cols)
            dequant16 ((row0 + r) * p.row_bytes, g, p.n_cols, v);
          else
            [[unroll]] for (uint i = 0; i < 16u; i++)
              v[i] = 0.0;
          [[unroll]] for (uint i = 0; i < 16u; i++)
            w_tile[r][16u * half_k + i] = v[i];
        }
      // Activations: 64 tokens × 32, eight per invocation.
      [[unroll]] for (uint i = 0; i < (TILE_TOKENS * TILE_K) / 256u; i++)
        {
          uint index = TID + 256u * i;
          uint t = index / TILE_K;
          uint k = index % TILE_K;

          x_tile[t][k] = token0 + t < p.n_tokens && k0 + k < p.n_cols
                         ? x[(token0 + t) * p.x_stride + k0 + k] : 0.0;
        }
      barrier ();

      [[unroll]] for (uint k = 0; k < TILE_K; k++)
        {
          float wv[MICRO], xv[MICRO];

          [[unroll]] for (uint i = 0; i < MICRO; i++)
            {
              wv[i] = w_tile[micro_row + i][k];
              xv[i] = x_tile[micro_token + i][k];
            }
          [[unroll]] for (uint i = 0; i < MICRO; i++)
            [[unroll]] for (uint j = 0; j < MICRO; j++)
              acc[i][j] += wv[i] * xv[j];
        }
      barrier ();
    }

  // Each micro-tile starts on an even row: GLU's (gate, up) pairs stay
  // together.
  [[unroll]] for (uint j = 0; j < MICRO; j++)
    {
      uint t = token0 + micro_token + j;

      [[unroll]] for (uint i = 0; i < MICRO; i++)
        {
          uint r = row0 + micro_row + i;
          uint out_row = p.first_row + r;
          float value = acc[i][j];

          if (t >= p.n_tokens || r >= p.n_rows)
            continue;
          if ((p.flags & FLAG_BIAS) != 0u)
            value += bias[out_row];
          if ((p.flags & FLAG_GLU) != 0u)
            {
              if (i % 2u == 0u)
                {
                  float gate = value;
                  float up = acc[i + 1u][j] + ((p.flags & FLAG_BIAS) != 0u ? bias[out_row + 1u] : 0.0);

                  y[t * p.y_stride + out_row / 2u] = gate / (1.0 + exp (-gate)) * up;
                }
            }
          else
            {
              uint out_index = t * p.y_stride + out_row;

              y[out_index] = (p.flags & FLAG_ACCUMULATE) != 0u ? y[out_index] + value : value;
            }
        }
    }
}
