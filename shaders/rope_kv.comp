#version 450
// SPDX-License-Identifier: MIT
// RoPE and the KV-cache write in one pass, as generation wants them after
// the QKV projection: the query heads are rotated in place, the key heads
// rotated on their way into the F16 key cache, and the values copied into
// the value cache, each at the token's position. One dispatch instead of
// three. The angles are those of rope.comp.
//
// Invocation u of a token's row does one of:
//   u < n_head · n_rot / 2                  rotate one query pair
//   then kv_dim / 2 of them                 store one word (2 values) of keys
//   then kv_dim / 2 of them                 store one word of values
#include "common.glsl"

layout (binding = 0) buffer Q { float q[]; };
layout (binding = 1) readonly buffer K { float k[]; };
layout (binding = 2) readonly buffer V { float v[]; };
layout (binding = 3) writeonly buffer KCache { uint k_cache[]; };
layout (binding = 4) writeonly buffer VCache { uint v_cache[]; };
layout (binding = 5) readonly buffer Positions { int positions[]; };
layout (binding = 6) readonly buffer Freqs { float freqs[]; };

layout (push_constant) uniform Params {
  uint n_head;
  uint n_head_kv;
  uint head_dim;
  uint n_rot;
  uint neox;
  uint q_stride;   // floats from one token to the next, and where its
  uint q_offset;   // queries, keys and values start: Q, K and V may be
  uint k_stride;   // parts of one fused QKV buffer
  uint k_offset;
  uint v_stride;
  uint v_offset;
  uint n_ctx;
  float mscale;
} p;

// Element e of a key head, rotated: its partner is the next element
// (normal) or the one half the rotated part away (NeoX).
float
rotated_key (uint  base,
             uint  e,
             float pos)
{
  uint half_rot = p.n_rot / 2u;

  if (e >= p.n_rot)
    return k[base + e];
  uint pair = p.neox != 0u ? e % half_rot : e / 2u;
  bool first = p.neox != 0u ? e < half_rot : (e & 1u) == 0u;
  uint partner = p.neox != 0u ? (first ? e + half_rot : e - half_rot) : e ^ 1u;
  float angle = pos * freqs[pair];
  float c = cos (angle) * p.mscale;
  float s = sin (angle) * p.mscale;

  return first ? k[base + e] * c - k[base + partner] * s
               : k[base + partner] * s + k[base + e] * c;
}

void
main ()
{
  uint u = gl_GlobalInvocationID.x;
  uint token = gl_WorkGroupID.y;
  uint half_rot = p.n_rot / 2u;
  uint kv_dim = p.n_head_kv * p.head_dim;
  uint q_units = p.n_head * half_rot;
  int pos = positions[token];

  if (u < q_units)
    {
      uint head = u / half_rot;
      uint i = u % half_rot;
      uint base = token * p.q_stride + p.q_offset + head * p.head_dim;
      uint a = p.neox != 0u ? i : 2u * i;
      uint b = p.neox != 0u ? i + half_rot : 2u * i + 1u;
      float angle = float (pos) * freqs[i];
      float c = cos (angle) * p.mscale;
      float s = sin (angle) * p.mscale;
      float x0 = q[base + a];
      float x1 = q[base + b];

      q[base + a] = x0 * c - x1 * s;
      q[base + b] = x0 * s + x1 * c;
      return;
    }
  u -= q_units;
  // Positions past the cache are dropped; the host checks them.
  if (pos < 0 || uint (pos) >= p.n_ctx || u >= kv_dim)
    return;
  if (u < kv_dim / 2u)
    {
      uint head = (2u * u) / p.head_dim;
      uint e = (2u * u) % p.head_dim;
      uint base = token * p.k_stride + p.k_offset + head * p.head_dim;

      k_cache[uint (pos) * (kv_dim / 2u) + u] =
        packHalf2x16 (vec2 (rotated_key (base, e, float (pos)), rotated_key (base, e + 1u, float (pos))));
    }
  else
    {
      uint word = u - kv_dim / 2u;
      uint source = token * p.v_stride + p.v_offset + 2u * word;

      v_cache[uint (pos) * (kv_dim / 2u) + word] = packHalf2x16 (vec2 (v[source], v[source + 1u]));
    }
}
