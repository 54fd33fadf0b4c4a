// SPDX-License-Identifier: MIT
// Sums and maxima over a workgroup: through shared memory everywhere, or
// with subgroup arithmetic when built with USE_SUBGROUP (the fast path the
// device layer picks only when the device reports it). Every invocation of
// the workgroup must call these, in uniform control flow, and every one
// gets the result. The workgroup size must be a power of two.

#ifdef USE_SUBGROUP
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require

shared float reduce_scratch[gl_WorkGroupSize.x];

float
wg_sum (float v)
{
  v = subgroupAdd (v);
  // A workgroup of one subgroup (the usual choice of this variant) needs
  // no shared memory and no barrier: on CPU devices like lavapipe each
  // barrier costs microseconds.
  if (gl_NumSubgroups == 1u)
    return v;
  if (subgroupElect ())
    reduce_scratch[gl_SubgroupID] = v;
  barrier ();
  float total = 0.0;
  for (uint i = 0; i < gl_NumSubgroups; i++)
    total += reduce_scratch[i];
  barrier ();
  return total;
}

float
wg_max (float v)
{
  v = subgroupMax (v);
  if (gl_NumSubgroups == 1u)
    return v;
  if (subgroupElect ())
    reduce_scratch[gl_SubgroupID] = v;
  barrier ();
  float total = reduce_scratch[0];
  for (uint i = 1; i < gl_NumSubgroups; i++)
    total = max (total, reduce_scratch[i]);
  barrier ();
  return total;
}

#else

shared float reduce_scratch[gl_WorkGroupSize.x];

float
wg_sum (float v)
{
  reduce_scratch[TID] = v;
  barrier ();
  [[unroll]] for (uint s = WG_SIZE / 2; s > 0; s >>= 1)
    {
      if (TID < s)
        reduce_scratch[TID] += reduce_scratch[TID + s];
      barrier ();
    }
  float total = reduce_scratch[0];
  barrier ();
  return total;
}

float
wg_max (float v)
{
  reduce_scratch[TID] = v;
  barrier ();
  [[unroll]] for (uint s = WG_SIZE / 2; s > 0; s >>= 1)
    {
      if (TID < s)
        reduce_scratch[TID] = max (reduce_scratch[TID], reduce_scratch[TID + s]);
      barrier ();
    }
  float total = reduce_scratch[0];
  barrier ();
  return total;
}

#endif
