// SPDX-License-Identifier: MIT
// What every shader shares: the workgroup size as specialisation constant 0
// and a flat workgroup index for grids wider than 65535.
#extension GL_EXT_control_flow_attributes : enable

layout (local_size_x_id = 0) in;

#define TID gl_LocalInvocationID.x
#define WG_SIZE gl_WorkGroupSize.x

uint
flat_workgroup_id ()
{
  return gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
}
