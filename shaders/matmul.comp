#version 450
// SPDX-License-Identifier: MIT
// Y = W · X for a prompt's many tokens: tiles of TILE_ROWS weight rows and
// TILE_TOKENS tokens, TILE_K elements deep, staged in shared memory (the
// weights dequantised once per tile), each invocation computing a 4 × 4
// block of outputs. Edges of any size are handled by bounds checks. The
// epilogue knows ACCUMULATE, GLU and BIAS as matvec.comp does; prompts
// norm their input in a dispatch of its own.
//
// With COOPMAT (VK_KHR_cooperative_matrix) the tile is 4 × 4 matrices of
// the device's M × N (specialisation constants 4 to 6: M, N, K): four
// subgroups, each multiplying a 2 × 2 block of them, from weights and
// activations staged as float16_t and summed in f32. The products go
// through shared memory to the same epilogue.
#include "common.glsl"

#ifdef COOPMAT
#extension GL_KHR_cooperative_matrix : require
#extension GL_KHR_memory_scope_semantics : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require

layout (constant_id = 4) const uint CM_M = 16;
layout (constant_id = 5) const uint CM_N = 16;
layout (constant_id = 6) const uint CM_K = 16;

#define TILE_ROWS (4u * CM_M)
#define TILE_TOKENS (4u * CM_N)
#else
#define TILE_ROWS 64u
#define TILE_TOKENS 64u
#endif
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
  uint interleave_lanes; // unused: only CPU devices interleave, and they take matvec.comp
} p;

#define WQ(i) wq[i]
#include "types.glsl"

// One output: bias, then GLU's (gate, up) pair (@next is the up row's
// value), accumulation or a plain store.
void
store_output (uint  r,
              uint  t,
              float value,
              float next)
{
  uint out_row = p.first_row + r;

  if ((p.flags & FLAG_BIAS) != 0u)
    value += bias[out_row];
  if ((p.flags & FLAG_GLU) != 0u)
    {
      if (r % 2u == 0u)
        {
          float up = next + ((p.flags & FLAG_BIAS) != 0u ? bias[out_row + 1u] : 0.0);

          y[t * p.y_stride + out_row / 2u] = value / (1.0 + exp (-value)) * up;
        }
    }
  else
    {
      uint out_index = t * p.y_stride + out_row;

      y[out_index] = (p.flags & FLAG_ACCUMULATE) != 0u ? y[out_index] + value : value;
    }
}

#ifdef COOPMAT

#define MAT_A coopmat<float16_t, gl_ScopeSubgroup, CM_M, CM_K, gl_MatrixUseA>
#define MAT_B coopmat<float16_t, gl_ScopeSubgroup, CM_K, CM_N, gl_MatrixUseB>
#define MAT_C coopmat<float, gl_ScopeSubgroup, CM_M, CM_N, gl_MatrixUseAccumulator>

// Rows of weights and of tokens, TILE_K deep each; the products, row by row.
shared float16_t w_tile[TILE_ROWS * TILE_K];
shared float16_t x_tile[TILE_TOKENS * TILE_K];
shared float y_tile[TILE_ROWS * TILE_TOKENS];

void
main ()
{
  uint row0 = gl_WorkGroupID.x * TILE_ROWS;
  uint token0 = gl_WorkGroupID.y * TILE_TOKENS;
  // Subgroups 0 to 3 multiply (a device with smaller subgroups than asked
  // for has more, which only stage); each takes a quadrant.
  bool multiplies = gl_SubgroupID < 4u;
  uint quad_row = (gl_SubgroupID % 2u) * 2u * CM_M;
  uint quad_token = ((gl_SubgroupID / 2u) % 2u) * 2u * CM_N;
  MAT_C acc[2][2];

  [[unroll]] for (uint i = 0; i < 2u; i++)
    [[unroll]] for (uint j = 0; j < 2u; j++)
      acc[i][j] = MAT_C (0.0);

  for (uint k0 = 0; k0 < p.n_cols; k0 += TILE_K)
    {
      // Weights: TILE_ROWS rows × 2 groups of 16.
      for (uint item = TID; item < TILE_ROWS * 2u; item += WG_SIZE)
        {
          uint r = item / 2u;
          uint half_k = item % 2u;
          uint g = k0 / 16u + half_k;
          float v[16];

          if (row0 + r < p.n_rows && 16u * g < p.n_cols)
            dequant16 ((row0 + r) * p.row_bytes, g, p.n_cols, v);
          else
            [[unroll]] for (uint i = 0; i < 16u; i++)
              v[i] = 0.0;
          [[unroll]] for (uint i = 0; i < 16u; i++)
            w_tile[r * TILE_K + 16u * half_k + i] = float16_t (v[i]);
        }
      for (uint index = TID; index < TILE_TOKENS * TILE_K; index += WG_SIZE)
        {
          uint t = index / TILE_K;
          uint k = index % TILE_K;

          x_tile[index] = float16_t (token0 + t < p.n_tokens && k0 + k < p.n_cols
                                     ? x[(token0 + t) * p.x_stride + k0 + k] : 0.0);
        }
      barrier ();

      if (multiplies)
        [[unroll]] for (uint k = 0; k < TILE_K; k += CM_K)
          {
            MAT_A a[2];
            MAT_B b[2];

            // A: rows × k, row-major; B: k × tokens, each token's column
            // one row of x_tile.
            [[unroll]] for (uint i = 0; i < 2u; i++)
              coopMatLoad (a[i], w_tile, (quad_row + i * CM_M) * TILE_K + k, TILE_K,
                           gl_CooperativeMatrixLayoutRowMajor);
            [[unroll]] for (uint j = 0; j < 2u; j++)
              coopMatLoad (b[j], x_tile, (quad_token + j * CM_N) * TILE_K + k, TILE_K,
                           gl_CooperativeMatrixLayoutColumnMajor);
            [[unroll]] for (uint i = 0; i < 2u; i++)
              [[unroll]] for (uint j = 0; j < 2u; j++)
                acc[i][j] = coopMatMulAdd (a[i], b[j], acc[i][j]);
          }
      barrier ();
    }

  if (multiplies)
    [[unroll]] for (uint i = 0; i < 2u; i++)
      [[unroll]] for (uint j = 0; j < 2u; j++)
        coopMatStore (acc[i][j], y_tile, (quad_row + i * CM_M) * TILE_TOKENS + quad_token + j * CM_N,
                      TILE_TOKENS, gl_CooperativeMatrixLayoutRowMajor);
  barrier ();

  // Every output once; a GLU pair's gate row (even) takes its up row.
  for (uint index = TID; index < TILE_ROWS * TILE_TOKENS; index += WG_SIZE)
    {
      uint r = index / TILE_TOKENS;
      uint t = index % TILE_TOKENS;

      if (row0 + r < p.n_rows && token0 + t < p.n_tokens)
        store_output (row0 + r, token0 + t, y_tile[index],
                      r + 1u < TILE_ROWS ? y_tile[index + TILE_TOKENS] : 0.0);
    }
}

#else

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

          if (t < p.n_tokens && r < p.n_rows)
            store_output (r, t, acc[i][j], i + 1u < MICRO ? acc[i + 1u][j] : 0.0);
        }
    }
}

#endif
