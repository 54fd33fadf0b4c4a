/* SPDX-License-Identifier: MIT */
/* Compute pipelines, one per (op, weight type, variant), built on first use from the embedded SPIR-V. */
#pragma once

#include <glib.h>

#include "tensor/tensor-type.h"
#include "vulkan/vk-loader.h"
#include "vulkan/vk-device.h"

G_BEGIN_DECLS

typedef enum {
  BENDI_VK_OP_MATVEC,             /* typed */
  BENDI_VK_OP_MATMUL,             /* typed */
  BENDI_VK_OP_GET_ROWS,           /* typed */
  BENDI_VK_OP_RMS_NORM,
  BENDI_VK_OP_ROPE,
  BENDI_VK_OP_ROPE_KV,
  BENDI_VK_OP_SWIGLU,
  BENDI_VK_OP_ADD,
  BENDI_VK_OP_KV_WRITE,
  BENDI_VK_OP_ATTENTION,
  BENDI_VK_OP_ATTENTION_SPLIT,
  BENDI_VK_OP_ATTENTION_COMBINE,
  BENDI_VK_OP_SOFTMAX,
  BENDI_VK_OP_ARGMAX,
  BENDI_VK_OP_QKV_PREP,
  BENDI_VK_OP_QUANTIZE_Q8,        /* activations to 8-bit blocks, for the int8 matrix × vector variants */
  BENDI_VK_OP_READ,               /* reads a buffer: the memory bandwidth test */
  BENDI_VK_N_OPS,
} BendiVkOp;

/* Rows each invocation of the CPU devices' matrix × vector shader computes
 * (ROWS_PER_LANE in types.glsl), which their Q4_0 layout follows
 * (bendi_vk_tensor_get_interleave_lanes). */
#define BENDI_VK_ROWS_PER_LANE 32

/* Whether @device's matrix × vector kernel reads rows of @row_bytes of
 * @type eight blocks to nine four-word texels: CPU devices' Q4_0 rows that
 * start on 16-byte texels. vk-memory.c stores such rows interleaved, and
 * their products take BENDI_VK_ROWS_ON_TEXELS. */
gboolean bendi_vk_rows_on_texels (BendiVkDevice   *device,
                                  BendiTensorType  type,
                                  gsize            row_bytes);

/* How a matrix × vector product's operands lie, as its pipeline is
 * specialised for them (specialisation constants 3 and 7). */
typedef enum {
  BENDI_VK_X_VEC4 = 1 << 0,          /* activation rows 16-byte aligned, whole groups of 16: read four at a time */
  BENDI_VK_ROWS_ON_TEXELS = 1 << 1,  /* CPU devices' Q4_0: weight rows start on 16-byte texels (rows_octets) */
} BendiVkOperandLayout;

typedef struct {
  const char            *name;              /* the shader variant, "matvec_q4_0_subgroup" */
  VkPipeline             pipeline;
  VkPipelineLayout       layout;
  VkDescriptorSetLayout  set_layout;
  guint                  n_bindings;
  guint32                written_bindings;  /* bit i: the shader writes binding i */
  guint32                texel_bindings;    /* bit i: binding i is a uniform texel buffer of words */
  guint32                texel4_bindings;   /* … of four-word texels */
  guint32                push_size;
  guint32                workgroup_size;
  guint32                rows_per_workgroup;
  guint32                tokens_per_workgroup;  /* matmul: the tile's tokens */
} BendiVkPipeline;

/* The pipeline of @op for weights of @type (ignored by untyped ops), the
 * variant the device uses, specialised for @size, where the op takes a
 * size as specialisation constant 2 (matvec: tokens per dispatch, 1 to 8;
 * attention on CPU devices: the head dimension; other ops ignore it), and
 * for operands that lie as @layout says (matvec only). Owned by the
 * device. */
const BendiVkPipeline *bendi_vk_pipeline_get (BendiVkDevice        *device,
                                              BendiVkOp             op,
                                              BendiTensorType       type,
                                              guint32               size,
                                              BendiVkOperandLayout  layout,
                                              GError              **error);

/* Whether matrix × vector products of @type weights on @device run the
 * int8 variant, which reads activations that quantize_q8 wrote. */
gboolean bendi_vk_pipeline_uses_int8 (BendiVkDevice   *device,
                                      BendiTensorType  type);

/* Whether the typed ops have shaders for @type. */
gboolean bendi_vk_type_is_supported (BendiTensorType type);

G_END_DECLS
