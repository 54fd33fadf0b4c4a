/* SPDX-License-Identifier: MIT */
/* Vulkan devices: what each one can do (for `bendi-cli devices` and the hardware probe) and an open device to compute on. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  BENDI_VK_DEVICE_TYPE_OTHER,
  BENDI_VK_DEVICE_TYPE_INTEGRATED,
  BENDI_VK_DEVICE_TYPE_DISCRETE,
  BENDI_VK_DEVICE_TYPE_VIRTUAL,
  BENDI_VK_DEVICE_TYPE_CPU,         /* lavapipe, SwiftShader */
} BendiVkDeviceType;

typedef struct {
  guint              index;                      /* as vkEnumeratePhysicalDevices orders them */
  char              *name;
  guint32            vendor_id;
  guint32            device_id;
  const char        *vendor_name;                /* "NVIDIA", "AMD", … or "unknown" */
  BendiVkDeviceType  type;
  char              *driver_name;                /* VkPhysicalDeviceDriverProperties */
  char              *driver_info;
  guint32            driver_version;             /* raw, vendor-encoded */
  guint32            api_version;                /* VK_MAKE_API_VERSION */
  guint8             device_uuid[16];

  guint64            device_local_bytes;         /* sum of the device-local heaps */
  gboolean           has_memory_budget;          /* VK_EXT_memory_budget */
  guint64            budget_bytes;               /* device-local budget, when has_memory_budget */
  guint64            usage_bytes;                /* device-local usage, when has_memory_budget */
  gboolean           uma;                        /* device-local memory is host-visible (shared) */

  guint32            subgroup_size;
  guint32            subgroup_size_min;
  guint32            subgroup_size_max;
  gboolean           subgroup_arithmetic;        /* subgroupAdd/Max in compute shaders */
  gboolean           fp16_storage;               /* storageBuffer16BitAccess */
  gboolean           fp16_arithmetic;            /* shaderFloat16 */
  gboolean           int8_storage;               /* storageBuffer8BitAccess */
  gboolean           int8_arithmetic;            /* shaderInt8 */
  gboolean           integer_dot_product;        /* VK_KHR_shader_integer_dot_product */
  gboolean           cooperative_matrix;         /* VK_KHR_cooperative_matrix */

  guint64            max_storage_buffer_range;   /* bytes one binding can see */
  guint64            max_memory_allocation_size;
  guint32            max_workgroup_invocations;
  guint32            max_shared_memory_bytes;
  guint32            max_push_constants_bytes;
  guint64            min_storage_buffer_offset_alignment;
  guint64            max_texel_buffer_elements;

  gboolean           usable;                     /* Bendi can compute on it */
  char              *unusable_reason;            /* why not, when !usable */
} BendiVkDeviceInfo;

void bendi_vk_device_info_free (BendiVkDeviceInfo *info);
const char *bendi_vk_device_type_name (BendiVkDeviceType type);

/* Every Vulkan device, as a GPtrArray of BendiVkDeviceInfo (owned by the
 * array). No loader, or one older than Vulkan 1.1, is the normal "no GPU"
 * case: NULL with an UNSUPPORTED error whose message says which. */
GPtrArray *bendi_vk_list_devices (GError **error) G_GNUC_WARN_UNUSED_RESULT;

typedef struct _BendiVkDevice BendiVkDevice;

typedef struct {
  /* Enable VK_LAYER_KHRONOS_validation; every validation error it reports
   * is a g_warning and counted. Default: BENDI_VULKAN_VALIDATION=1. */
  gboolean    validation;
  /* Only the portable shader variants: no subgroup operations. */
  gboolean    portable_only;
  /* Tests: the GPU-shaped kernels even on a CPU device, which otherwise
   * gets kernels shaped for SIMD lanes (lavapipe). */
  gboolean    gpu_kernels;
  /* Where the pipeline cache lives; NULL: $XDG_CACHE_HOME/bendi. "" turns
   * the disk cache off. */
  const char *cache_dir;
  /* Tests: bytes one binding may see, below the device's own limit, so
   * tensors split across bindings at small sizes. 0: the device's limit. */
  guint64     max_binding_bytes;
  /* Tests: upload through staging buffers even where device memory is
   * host-visible. */
  gboolean    force_staging;
} BendiVkDeviceParams;

void bendi_vk_device_params_init (BendiVkDeviceParams *params);

/* Opens device @index of bendi_vk_list_devices () with one compute queue.
 * @params may be NULL for the defaults. */
BendiVkDevice *bendi_vk_device_new (guint                      index,
                                    const BendiVkDeviceParams *params,
                                    GError                   **error) G_GNUC_WARN_UNUSED_RESULT;
void           bendi_vk_device_free (BendiVkDevice *self);

const BendiVkDeviceInfo *bendi_vk_device_get_info (const BendiVkDevice *self);
/* Validation-layer errors reported since the device was opened. */
guint          bendi_vk_device_get_validation_errors (const BendiVkDevice *self);
/* Whether the validation layer is really on (it may be missing). */
gboolean       bendi_vk_device_is_validated (const BendiVkDevice *self);
/* Whether the subgroup fast paths are in use. */
gboolean       bendi_vk_device_uses_subgroups (const BendiVkDevice *self);
/* Whether the kernels for CPU devices are in use. */
gboolean       bendi_vk_device_uses_cpu_kernels (const BendiVkDevice *self);
/* The largest buffer one binding sees whole: the device's binding and
 * allocation limits (or the test's smaller one). */
guint64        bendi_vk_device_get_max_buffer_bytes (const BendiVkDevice *self);
/* Writes the pipeline cache to disk now (it is also written on free). */
gboolean       bendi_vk_device_save_pipeline_cache (BendiVkDevice  *self,
                                                    GError        **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiVkDevice, bendi_vk_device_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiVkDeviceInfo, bendi_vk_device_info_free)

G_END_DECLS
