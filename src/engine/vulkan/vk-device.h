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
  gboolean           subgroup_shuffle;           /* subgroupShuffle in compute shaders */
  gboolean           fp16_storage;               /* storageBuffer16BitAccess */
  gboolean           fp16_arithmetic;            /* shaderFloat16 */
  gboolean           int8_storage;               /* storageBuffer8BitAccess */
  gboolean           int8_arithmetic;            /* shaderInt8 */
  gboolean           integer_dot_product;        /* VK_KHR_shader_integer_dot_product's shaderIntegerDotProduct */
  gboolean           integer_dot_product_accelerated; /* its packed 4×8-bit signed dot product is fast */
  gboolean           cooperative_matrix;         /* VK_KHR_cooperative_matrix */
  /* Its float16_t × float16_t + float products of one subgroup, M × N
   * outputs K deep, that the prompt kernels use (the largest with M, N,
   * K ≤ 16 and K dividing 32); 0 where there is none. */
  guint32            coopmat_m;
  guint32            coopmat_n;
  guint32            coopmat_k;
  gboolean           vulkan_memory_model;        /* vulkanMemoryModel: the cooperative-matrix shaders need it */

  guint64            max_storage_buffer_range;   /* bytes one binding can see */
  guint64            max_memory_allocation_size;
  guint32            max_workgroup_invocations;
  guint32            max_shared_memory_bytes;
  guint32            max_push_constants_bytes;
  guint64            min_storage_buffer_offset_alignment;
  guint64            min_texel_buffer_offset_alignment;
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

/* What bendi_vk_list_devices () finds, as far as choosing a backend goes. */
typedef enum {
  BENDI_VK_PROBE_FAILED = 0,        /* no answer: list the devices here */
  BENDI_VK_PROBE_NO_VULKAN = 'v',   /* no loader or none usable: @reason says which */
  BENDI_VK_PROBE_NO_DEVICE = 'n',   /* no usable device */
  BENDI_VK_PROBE_CPU_ONLY = 'c',    /* usable devices, every one of them a CPU device */
  BENDI_VK_PROBE_GPU = 'g',         /* a usable device that is not a CPU */
  BENDI_VK_PROBE_BROKEN = 'x',      /* listing crashed or hung: @reason says which */
} BendiVkProbe;

/* GPU, CPU_ONLY or NO_DEVICE for a list of bendi_vk_list_devices (). */
BendiVkProbe bendi_vk_probe_devices (GPtrArray *infos);

/* Lists the devices in a child process, bendi-vulkan-probe (vk-probe.c),
 * so that this one loads no driver when there is no GPU to use; FAILED
 * where that cannot be done (the program not found, the drivers already
 * loaded here). @reason (NULL on entry) gets a message for NO_VULKAN and
 * BROKEN. */
BendiVkProbe bendi_vk_probe_in_child (char **reason);

/* The devices as bendi_vk_list_devices () lists them, listed by
 * bendi-vulkan-probe where this process has loaded no driver yet
 * (vk-probe.c), so that looking costs it nothing; here where that cannot
 * be done. A driver that crashes or hangs in the child: NULL with an
 * UNSUPPORTED error that says so. */
GPtrArray *bendi_vk_list_devices_in_child (GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* What the child does (bendi-vulkan-probe's whole work): lists the devices
 * and writes them, or why there are none, to @fd. */
void bendi_vk_probe_answer (int fd);

typedef struct _BendiVkDevice BendiVkDevice;

/* The shader variants beyond the portable ones, each behind its device
 * feature; the known-bad table and the self-check turn them off. */
typedef enum {
  BENDI_VK_FAST_SUBGROUP  = 1 << 0,  /* subgroup reductions */
  /* Matrix × vector with the weights dequantised to float16_t and
   * multiplied in f16, summed in f32 per group of 16 (shaderFloat16). */
  BENDI_VK_FAST_FP16      = 1 << 1,
  /* Matrix × vector on activations quantised to 8 bits on the device,
   * blocks summed in integers and scaled once (Q4_0, Q4_1, Q5_0, Q5_1,
   * Q8_0, IQ4_NL, Q4_K, Q5_K, Q6_K, IQ4_XS), with plain integer
   * arithmetic, which any device runs but none gains from ... */
  BENDI_VK_FAST_INT8      = 1 << 2,
  /* ... or with the packed 4×8-bit dot product of
   * VK_KHR_shader_integer_dot_product. Both only when forced, even where
   * the driver says the dot product is accelerated (choose_fast_paths ()
   * in vk-device.c says why). */
  BENDI_VK_FAST_INT8_DOT  = 1 << 3,
  /* Prompt matrix products on VK_KHR_cooperative_matrix: weights and
   * activations staged as float16_t, summed in f32. On GPUs that have it
   * (and the float16_t arithmetic and memory model it needs); on CPU
   * devices only when forced. */
  BENDI_VK_FAST_COOPMAT   = 1 << 4,
  BENDI_VK_FAST_ALL       = 0x1f,
} BendiVkFastPath;

/* "subgroup,fp16,int8-dot": the fast paths in @paths, or "portable". */
char *bendi_vk_fast_paths_describe (BendiVkFastPath paths) G_GNUC_WARN_UNUSED_RESULT;

typedef struct {
  /* Enable VK_LAYER_KHRONOS_validation; every validation error it reports
   * is a g_warning and counted. Default: BENDI_VULKAN_VALIDATION=1. */
  gboolean    validation;
  /* Only the portable shader variants: no fast path at all. */
  gboolean    portable_only;
  /* Fast paths to leave off (a known-bad driver), and, for tests, fast
   * paths to use even where the device would not (not accelerated, a CPU
   * device) as long as it has the features they need; any forced one
   * means the GPU-shaped kernels, as gpu_kernels does. */
  BendiVkFastPath disabled_fast_paths;
  BendiVkFastPath forced_fast_paths;
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
  /* Rows per workgroup of the GPU-shaped matrix × vector kernel: an even
   * number up to 8; anything else means the default (2). Default:
   * BENDI_VULKAN_MATVEC_ROWS, so that a GPU's best can be measured. */
  guint       matvec_rows;
  /* Benchmarks: time every dispatch on the GPU with timestamp queries
   * (bendi_vk_recorder_get_times ()), where the queue has timestamps. */
  gboolean    time_dispatches;
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
/* The fast paths in use. */
BendiVkFastPath bendi_vk_device_get_fast_paths (const BendiVkDevice *self);
/* Whether the kernels for CPU devices are in use. */
gboolean       bendi_vk_device_uses_cpu_kernels (const BendiVkDevice *self);
/* Whether recordings time their dispatches (time_dispatches asked, and
 * the compute queue has timestamps). */
gboolean       bendi_vk_device_times_dispatches (const BendiVkDevice *self);
/* The largest buffer one binding sees whole: the device's binding and
 * allocation limits (or the test's smaller one). */
guint64        bendi_vk_device_get_max_buffer_bytes (const BendiVkDevice *self);
/* Writes the pipeline cache to disk now (it is also written on free). */
gboolean       bendi_vk_device_save_pipeline_cache (BendiVkDevice  *self,
                                                    GError        **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiVkDevice, bendi_vk_device_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiVkDeviceInfo, bendi_vk_device_info_free)

G_END_DECLS
