#version 450
// SPDX-License-Identifier: MIT
// Stores each token's keys and values in the F16 caches at the row of its
// position. The caches are rows of kv_dim halves, two to a word (kv_dim is
// even). Positions past the cache are dropped; the host checks them.
#include "common.glsl"

layout (binding = 0) readonly buffer K { float k[]; };
layout (binding = 1) readonly buffer V { float v[]; };
layout (binding = 2) writeonly buffer KCache { uint k_cache[]; };
layout (binding = 3) writeonly buffer VCache { uint v_cache[]; };
layout (binding = 4) readonly buffer Positions { int positions[]; };

layout (push_constant) uniform Params {
  uint kv_dim;
  uint k_stride;
  uint v_stride;
  uint n_ctx;
} p;

void
main ()
{
  uint pair = gl_GlobalInvocationID.x;
  uint t = gl_WorkGroupID.y;
  int pos = positions[t];

  if (2u * pair >= p.kv_dim || pos < 0 || uint (pos) >= p.n_ctx)
    return;
  uint word = (uint (pos) * p.kv_dim) / 2u + pair;
  uint ks = t * p.k_stride + 2u * pair;
  uint vs = t * p.v_stride + 2u * pair;

  k_cache[word] = packHalf2x16 (vec2 (k[ks], k[ks + 1u]));
  v_cache[word] = packHalf2x16 (vec2 (v[vs], v[vs + 1u]));
}
