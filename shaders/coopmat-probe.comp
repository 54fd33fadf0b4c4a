#version 450
// SPDX-License-Identifier: MIT
// Whether glslc knows GL_KHR_cooperative_matrix (shaders/meson.build).
#extension GL_KHR_cooperative_matrix : require
#extension GL_KHR_memory_scope_semantics : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require

layout (local_size_x = 32) in;

void
main ()
{
  coopmat<float16_t, gl_ScopeSubgroup, 16, 16, gl_MatrixUseA> a = coopmat<float16_t, gl_ScopeSubgroup, 16, 16, gl_MatrixUseA> (0.0);
}
