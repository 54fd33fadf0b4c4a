#version 450
// SPDX-License-Identifier: MIT
// Causal attention over the F16 KV cache, flash style: one workgroup per
// (token, query head) walks the keys in chunks of WG_SIZE, one key per
// invocation, keeping a running maximum and sum (online softmax) so the
// scores never need a buffer of their own. Query head h reads KV head
// h / (n_head / n_head_kv) (grouped-query attention); a token at position
// pos sees keys 0 … pos.
//
// Built with SPLIT, the keys of each token are divided among n_splits
// workgroups (the z of the grid), which write their unnormalised output
// with its maximum and sum; attention_combine.comp merges them. Long
// contexts then fill the device even for one token. Chunk sizes come from
// the positions at run time, so a recorded command buffer replays.
//
// Built with CPU_DEVICE, for lavapipe, the workgroup is one subgroup and
// shares nothing through memory: queries, keys and values come through
// texel buffers (one gather for the SIMD vector, where a storage buffer
// read loops over the lanes with a branch each, as a shared one does), and
// each key's weight reaches the lanes by a subgroup shuffle, with no
// barrier (each costs lavapipe a coroutine switch). The head dimension is
// a specialisation constant there, so that every loop over it unrolls:
// the query is read once into registers, each lane reads its key four
// words (a texel) at a time, and the lanes own whole texels of the values.
#include "common.glsl"

#define MAX_HEAD_DIM 256u

#ifdef CPU_DEVICE
#extension GL_KHR_shader_subgroup_shuffle : require
// Queries as texels of a word, the caches as texels of four.
layout (binding = 0) uniform usamplerBuffer q_words;
layout (binding = 1) uniform usamplerBuffer k_texels;
layout (binding = 2) uniform usamplerBuffer v_texels;
#define Q_AT(i) uintBitsToFloat (texelFetch (q_words, int (i)).x)
#define K_AT(i) texelFetch (k_texels, int ((i) >> 2))[(i) & 3u]
#define V_AT(i) texelFetch (v_texels, int ((i) >> 2))[(i) & 3u]
layout (constant_id = 2) const uint HEAD_DIM = 64;
#else
layout (binding = 0) readonly buffer Q { float q[]; };
layout (binding = 1) readonly buffer KCache { uint k_cache[]; };
layout (binding = 2) readonly buffer VCache { uint v_cache[]; };
#define Q_AT(i) q[i]
#define K_AT(i) k_cache[i]
#define V_AT(i) v_cache[i]
#endif
layout (binding = 3) readonly buffer Positions { int positions[]; };
layout (binding = 4) writeonly buffer Out { float out_values[]; };

layout (push_constant) uniform Params {
  uint n_head;
  uint n_head_kv;
  uint head_dim;       // even, at most MAX_HEAD_DIM
  uint q_stride;       // floats from one token's queries to the next
  uint out_stride;
  uint n_ctx;
  uint n_splits;
  float scale;
} p;

#include "reduce.glsl"

#ifdef CPU_DEVICE

// Pairs of the head (one word of two halves each); where the key rows lie
// on texels (HEAD_DIM a multiple of 8), each lane's key is read a texel at
// a time, and where the values' pairs also split into whole texels per
// lane, lane l owns the LANE_TEXELS texels from pair PAIRS_PER_LANE · l
// on; else lane l owns pairs l, l + WG_SIZE, … and every word is read
// alone.
const uint HALF_DIM = HEAD_DIM / 2u;
const bool KEY_TEXELS = HEAD_DIM % 8u == 0u;
const uint LANE_TEXELS = HALF_DIM % (4u * WG_SIZE) == 0u ? HALF_DIM / (4u * WG_SIZE) : 0u;
const uint PAIRS_PER_LANE = (HALF_DIM + WG_SIZE - 1u) / WG_SIZE;

// Pair j of this lane's values.
uint
lane_pair (uint j)
{
  return LANE_TEXELS > 0u ? TID * PAIRS_PER_LANE + j : TID + j * WG_SIZE;
}

void
main ()
{
  uint head = gl_WorkGroupID.x;
  uint token = gl_WorkGroupID.y;
  uint kv_head = head / (p.n_head / p.n_head_kv);
  uint kv_dim = p.n_head_kv * HEAD_DIM;
  uint key_end = uint (clamp (positions[token] + 1, 0, int (p.n_ctx)));
  uint q_base = token * p.q_stride + head * HEAD_DIM;
  float query[HEAD_DIM];
  vec2 acc[PAIRS_PER_LANE];
  float running_max = -1.0 / 0.0;
  float running_sum = 0.0;

  [[unroll]] for (uint i = 0; i < HEAD_DIM; i++)
    query[i] = Q_AT (q_base + i) * p.scale;
  [[unroll]] for (uint j = 0; j < PAIRS_PER_LANE; j++)
    acc[j] = vec2 (0.0);

  for (uint base = 0; base < key_end; base += WG_SIZE)
    {
      // Lanes past the last key read it again and weigh nothing.
      uint key = min (base + TID, key_end - 1u);
      uint row = (key * kv_dim + kv_head * HEAD_DIM) / 2u;
      float score = 0.0;

      if (KEY_TEXELS)
        [[unroll]] for (uint t = 0; t < HALF_DIM / 4u; t++)
          {
            uvec4 words = texelFetch (k_texels, int (row / 4u + t));

            [[unroll]] for (uint c = 0; c < 4u; c++)
              {
                vec2 k = unpackHalf2x16 (words[c]);

                score += query[8u * t + 2u * c] * k.x + query[8u * t + 2u * c + 1u] * k.y;
              }
          }
      else
        [[unroll]] for (uint i = 0; i < HALF_DIM; i++)
          {
            vec2 k = unpackHalf2x16 (K_AT (row + i));

            score += query[2u * i] * k.x + query[2u * i + 1u] * k.y;
          }
      score = base + TID < key_end ? score : -1.0 / 0.0;

      float new_max = max (running_max, subgroupMax (score));
      float weight = exp (score - new_max);
      // The first chunk has running_max = -inf and nothing to rescale.
      float correction = running_sum > 0.0 ? exp (running_max - new_max) : 0.0;

      running_sum = running_sum * correction + subgroupAdd (weight);
      running_max = new_max;
      [[unroll]] for (uint j = 0; j < PAIRS_PER_LANE; j++)
        acc[j] *= correction;

      // Key by key, its weight shuffled from its lane in uniform control
      // flow, then into each pair this lane owns.
      uint n_in_chunk = min (WG_SIZE, key_end - base);
      for (uint c = 0; c < n_in_chunk; c++)
        {
          float key_weight = subgroupShuffle (weight, c);
          uint value_row = ((base + c) * kv_dim + kv_head * HEAD_DIM) / 2u;

          if (LANE_TEXELS > 0u)
            [[unroll]] for (uint t = 0; t < LANE_TEXELS; t++)
              {
                uvec4 words = texelFetch (v_texels, int (value_row / 4u + TID * LANE_TEXELS + t));

                [[unroll]] for (uint w = 0; w < 4u; w++)
                  acc[4u * t + w] += key_weight * unpackHalf2x16 (words[w]);
              }
          else
            [[unroll]] for (uint j = 0; j < PAIRS_PER_LANE; j++)
              acc[j] += key_weight * unpackHalf2x16 (V_AT (value_row + min (lane_pair (j), HALF_DIM - 1u)));
        }
    }

  float inv = running_sum > 0.0 ? 1.0 / running_sum : 0.0;
  uint out_base = token * p.out_stride + head * HEAD_DIM;

  [[unroll]] for (uint j = 0; j < PAIRS_PER_LANE; j++)
    if (lane_pair (j) < HALF_DIM)
      {
        out_values[out_base + 2u * lane_pair (j)] = acc[j].x * inv;
        out_values[out_base + 2u * lane_pair (j) + 1u] = acc[j].y * inv;
      }
}

#else

shared float q_shared[MAX_HEAD_DIM];
shared float weights[gl_WorkGroupSize.x];
#define QUERY(i) q_shared[i]

void
main ()
{
  uint head = gl_WorkGroupID.x;
  uint token = gl_WorkGroupID.y;
  uint kv_head = head / (p.n_head / p.n_head_kv);
  uint kv_dim = p.n_head_kv * p.head_dim;
  uint half_dim = p.head_dim / 2u;
  uint n_keys = uint (clamp (positions[token] + 1, 0, int (p.n_ctx)));
  uint key_begin = 0u;
  uint key_end = n_keys;
  // Each invocation owns output pairs TID, TID + WG_SIZE, …
  const uint MAX_PAIRS = (MAX_HEAD_DIM / 2u + WG_SIZE - 1u) / WG_SIZE;
  vec2 acc[MAX_PAIRS];
  float running_max = -1.0 / 0.0;
  float running_sum = 0.0;

#ifdef SPLIT
  uint chunk = (n_keys + p.n_splits - 1u) / p.n_splits;
  key_begin = min (gl_WorkGroupID.z * chunk, n_keys);
  key_end = min (key_begin + chunk, n_keys);
#endif

  uint q_base = token * p.q_stride + head * p.head_dim;

  for (uint i = TID; i < p.head_dim; i += WG_SIZE)
    q_shared[i] = Q_AT (q_base + i) * p.scale;
  barrier ();
  [[unroll]] for (uint j = 0; j < MAX_PAIRS; j++)
    acc[j] = vec2 (0.0);

  for (uint base = key_begin; base < key_end; base += WG_SIZE)
    {
      uint key = base + TID;
      float score = -1.0 / 0.0;

      if (key < key_end)
        {
          uint row = (key * kv_dim + kv_head * p.head_dim) / 2u;

          score = 0.0;
          for (uint i = 0; i < half_dim; i++)
            {
              vec2 k = unpackHalf2x16 (K_AT (row + i));
              score += QUERY (2u * i) * k.x + QUERY (2u * i + 1u) * k.y;
            }
        }
      float new_max = max (running_max, wg_max (score));
      float weight = key < key_end ? exp (score - new_max) : 0.0;
      // The first chunk has running_max = -inf and nothing to rescale.
      float correction = running_sum > 0.0 ? exp (running_max - new_max) : 0.0;

      running_sum = running_sum * correction + wg_sum (weight);
      running_max = new_max;

      uint n_in_chunk = min (WG_SIZE, key_end - base);
      [[unroll]] for (uint j = 0; j < MAX_PAIRS; j++)
        acc[j] *= correction;
      weights[TID] = weight;
      barrier ();
      [[unroll]] for (uint j = 0; j < MAX_PAIRS; j++)
        {
          uint pair = TID + j * WG_SIZE;

          if (pair < half_dim)
            for (uint c = 0; c < n_in_chunk; c++)
              {
                uint row = ((base + c) * kv_dim + kv_head * p.head_dim) / 2u;
                acc[j] += weights[c] * unpackHalf2x16 (V_AT (row + pair));
              }
        }
      barrier ();
    }

#ifdef SPLIT
  // Scratch: per (token, head, split) head_dim + 2 floats: max, sum, output.
  uint out_base = ((token * p.n_head + head) * p.n_splits + gl_WorkGroupID.z) * (p.head_dim + 2u);
  if (TID == 0u)
    {
      out_values[out_base] = running_max;
      out_values[out_base + 1u] = running_sum;
    }
  [[unroll]] for (uint j = 0; j < MAX_PAIRS; j++)
    {
      uint pair = TID + j * WG_SIZE;
      if (pair < half_dim)
        {
          out_values[out_base + 2u + 2u * pair] = acc[j].x;
          out_values[out_base + 3u + 2u * pair] = acc[j].y;
        }
    }
#else
  float inv = running_sum > 0.0 ? 1.0 / running_sum : 0.0;
  uint out_base = token * p.out_stride + head * p.head_dim;
  [[unroll]] for (uint j = 0; j < MAX_PAIRS; j++)
    {
      uint pair = TID + j * WG_SIZE;
      if (pair < half_dim)
        {
          out_values[out_base + 2u * pair] = acc[j].x * inv;
          out_values[out_base + 2u * pair + 1u] = acc[j].y * inv;
        }
    }
#endif
}

#endif
