#version 450
// SPDX-License-Identifier: MIT
// What a layer does between its Q/K/V projection and attention, for each
// head of each token: Qwen3's per-head RMS norms of queries and keys,
// RoPE, and the keys and values into the F16 caches at the token's
// position (queries are rotated in place). One workgroup per head: the
// grid's x is the n_head query heads, then the n_head_kv key heads, then
// the n_head_kv value heads, in the order a fused Q|K|V row holds them.
//
// The RoPE table holds (cos, sin) of every rotated pair at each token's
// position, magnitude scaling included, as the host's bendi_rope_table ()
// computes them: the angles agree with the CPU path to the last bit, and
// the GPU evaluates no trigonometry on large angles.
#include "common.glsl"

#define MAX_HEAD_DIM 256u

layout (binding = 0) buffer Qkv { float qkv[]; };
layout (binding = 1) writeonly buffer KCache { uint k_cache[]; };
layout (binding = 2) writeonly buffer VCache { uint v_cache[]; };
layout (binding = 3) readonly buffer Positions { int positions[]; };
layout (binding = 4) readonly buffer RopeTable { vec2 rope_table[]; };
layout (binding = 5) readonly buffer QNorm { float q_norm[]; };
layout (binding = 6) readonly buffer KNorm { float k_norm[]; };

layout (push_constant) uniform Params {
  uint n_head;
  uint n_head_kv;
  uint head_dim;     // even, at most MAX_HEAD_DIM
  uint n_rot;
  uint neox;
  uint qkv_stride;   // floats from one token's Q|K|V row to the next
  uint n_ctx;
  uint has_q_norm;
  uint has_k_norm;
  float eps;
} p;

#include "reduce.glsl"

shared float head_values[MAX_HEAD_DIM];

// Element e of the head, rotated (elements past n_rot are not).
float
rotated (uint e,
         uint token)
{
  uint half_rot = p.n_rot / 2u;

  if (e >= p.n_rot)
    return head_values[e];
  uint pair = p.neox != 0u ? e % half_rot : e / 2u;
  bool first = p.neox != 0u ? e < half_rot : (e & 1u) == 0u;
  uint partner = p.neox != 0u ? (first ? e + half_rot : e - half_rot) : e ^ 1u;
  vec2 cs = rope_table[token * half_rot + pair];

  return first ? head_values[e] * cs.x - head_values[partner] * cs.y
               : head_values[partner] * cs.y + head_values[e] * cs.x;
}

void
main ()
{
  uint slot = gl_WorkGroupID.x;
  uint token = gl_WorkGroupID.y;
  uint q_dim = p.n_head * p.head_dim;
  uint kv_dim = p.n_head_kv * p.head_dim;
  bool is_query = slot < p.n_head;
  bool is_key = !is_query && slot < p.n_head + p.n_head_kv;
  // Key heads follow the queries and value heads the keys, so one formula
  // places both.
  uint base = token * p.qkv_stride + (is_query ? slot * p.head_dim : q_dim + (slot - p.n_head) * p.head_dim);
  bool normed = (is_query && p.has_q_norm != 0u) || (is_key && p.has_k_norm != 0u);
  int pos = positions[token];

  // The norm is uniform per workgroup, so its reduction may run here.
  if (normed)
    {
      float sum = 0.0;

      for (uint e = TID; e < p.head_dim; e += WG_SIZE)
        sum += qkv[base + e] * qkv[base + e];
      float scale = 1.0 / sqrt (wg_sum (sum) / float (p.head_dim) + p.eps);

      for (uint e = TID; e < p.head_dim; e += WG_SIZE)
        head_values[e] = qkv[base + e] * scale * (is_query ? q_norm[e] : k_norm[e]);
    }
  else
    for (uint e = TID; e < p.head_dim; e += WG_SIZE)
      head_values[e] = qkv[base + e];
  barrier ();

  for (uint j = TID; j < p.head_dim / 2u; j += WG_SIZE)
    {
      uint e = 2u * j;

      if (is_query)
        {
          qkv[base + e] = rotated (e, token);
          qkv[base + e + 1u] = rotated (e + 1u, token);
        }
      // Positions past the cache are dropped; the host checks them.
      else if (pos >= 0 && uint (pos) < p.n_ctx)
        {
          uint word = (uint (pos) * kv_dim + (slot - p.n_head - (is_key ? 0u : p.n_head_kv)) * p.head_dim + e) / 2u;

          if (is_key)
            k_cache[word] = packHalf2x16 (vec2 (rotated (e, token), rotated (e + 1u, token)));
          else
            v_cache[word] = packHalf2x16 (vec2 (head_values[e], head_values[e + 1u]));
        }
    }
}
