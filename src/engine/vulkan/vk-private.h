/* SPDX-License-Identifier: MIT */
/* What the files of the Vulkan backend share: the instance and device structs and their helpers. */
#pragma once

#include "vulkan/vk-loader.h"
#include "vulkan/vk-device.h"

G_BEGIN_DECLS

/* An instance with its entry points and, when validating, the messenger
 * that counts validation errors. */
typedef struct {
  BendiVkFunctions         fn;
  VkInstance               instance;
  guint32                  api_version;
  VkDebugUtilsMessengerEXT messenger;
  gboolean                 validation;
  gint                     validation_errors;  /* atomic */
  guint                    users;              /* under the instances' lock */
  gboolean                 kept;               /* for the rest of the process */
} BendiVkInstance;

/* The process's instance (another under the validation layer), shared by
 * every device and listing; NULL with @error when there is none to be had.
 * Where a real GPU is present it lives until the process ends: NVIDIA's
 * driver breaks after some ten instances made and destroyed in one process
 * (see vk-instance.c). Where there are only CPU devices (lavapipe) it goes
 * with its last user, and the driver's memory with it. */
BendiVkInstance *bendi_vk_instance_acquire (gboolean          validation,
                                            GError          **error);
void             bendi_vk_instance_release (BendiVkInstance  *self);
/* Instances made so far in this process (for the tests). */
guint            bendi_vk_instances_made   (void);

/* The physical devices of @self, in enumeration order. */
GArray          *bendi_vk_instance_get_physical_devices (BendiVkInstance  *self,
                                                         GError          **error);
void             bendi_vk_instance_describe (BendiVkInstance   *self,
                                             VkPhysicalDevice   physical_device,
                                             guint              index,
                                             BendiVkDeviceInfo *info);

/* The vendor's name for a PCI vendor id (vk-device-info.c); "unknown"
 * for one not in its table. */
const char        *bendi_vk_vendor_name       (guint32                  vendor_id);
/* A device's description as bytes and back, for a child process's list
 * (vk-probe.c). Reading takes one description from the front of *@bytes
 * (*@left of them) and moves past it; NULL where they end too soon or
 * hold a value no description has. */
void               bendi_vk_device_info_write (const BendiVkDeviceInfo *info,
                                               GByteArray              *out);
BendiVkDeviceInfo *bendi_vk_device_info_read  (const guint8           **bytes,
                                               gsize                   *left);

gboolean         bendi_vk_has_extension (const VkExtensionProperties *extensions,
                                         guint32                      n_extensions,
                                         const char                  *name);

/* VK_KHR_cooperative_matrix, which Debian 12's Vulkan headers (1.3.239)
 * predate: its structures as the specification lays them out. */
#define BENDI_VK_COOPMAT_EXTENSION "VK_KHR_cooperative_matrix"
#define BENDI_VK_STRUCTURE_TYPE_COOPMAT_FEATURES ((VkStructureType) 1000506000)
#define BENDI_VK_STRUCTURE_TYPE_COOPMAT_PROPERTIES ((VkStructureType) 1000506001)
#define BENDI_VK_COMPONENT_TYPE_FLOAT16 0
#define BENDI_VK_COMPONENT_TYPE_FLOAT32 1
#define BENDI_VK_SCOPE_SUBGROUP 3

typedef struct {
  VkStructureType sType;
  void           *pNext;
  VkBool32        cooperativeMatrix;
  VkBool32        cooperativeMatrixRobustBufferAccess;
} BendiVkCoopmatFeatures;

typedef struct {
  VkStructureType sType;
  void           *pNext;
  guint32         m_size;
  guint32         n_size;
  guint32         k_size;
  gint32          a_type;
  gint32          b_type;
  gint32          c_type;
  gint32          result_type;
  VkBool32        saturating_accumulation;
  gint32          scope;
} BendiVkCoopmatProperties;

typedef VkResult (VKAPI_PTR *BendiVkGetCoopmatProperties) (VkPhysicalDevice          physical_device,
                                                          guint32                  *count,
                                                          BendiVkCoopmatProperties *properties);

typedef struct _BendiVkAllocator BendiVkAllocator;
typedef struct _BendiVkBuffer BendiVkBuffer;
typedef struct _BendiVkPipelineSet BendiVkPipelineSet;

struct _BendiVkDevice {
  BendiVkInstance                  *instance;       /* acquired, released with the device */
  guint                             validation_errors_before;  /* the instance's count when this opened */
  BendiVkFunctions                  fn;             /* the instance's, plus device entry points */
  VkPhysicalDevice                  physical_device;
  VkDevice                          device;
  VkQueue                           queue;
  guint32                           queue_family;
  GMutex                            queue_lock;     /* vkQueueSubmit is not thread-safe */
  BendiVkDeviceInfo                 info;
  VkPhysicalDeviceMemoryProperties  memory_properties;
  guint64                           max_binding_bytes;
  gboolean                          force_staging;
  gboolean                          use_subgroups;
  gboolean                          use_cpu_kernels;  /* CPU device: shaders shaped for SIMD lanes */
  guint32                           cpu_lanes;        /* ... a workgroup of them: one subgroup */
  gboolean                          use_fp16;         /* matrix × vector in float16_t */
  gboolean                          use_int8;         /* matrix × vector on 8-bit activations */
  gboolean                          use_int8_dot;     /* ... with the packed dot product */
  gboolean                          use_coopmat;      /* prompt products on cooperative matrices */
  guint32                           matvec_rows;      /* rows per workgroup of the GPU-shaped matvec */
  /* Dispatch timing: nanoseconds per timestamp tick, 0 when recordings do
   * not time their dispatches; the bits a timestamp has. */
  double                            timestamp_ns;
  guint64                           timestamp_mask;
  BendiVkAllocator                 *allocator;
  BendiVkPipelineSet               *pipelines;
  /* Bound where a dispatch leaves a binding unused: a valid buffer the
   * shader never reads or writes. */
  BendiVkBuffer                    *placeholder;
};

/* Sets @error from a failed Vulkan call: "WHAT failed: VK_ERROR_…". Out of
 * memory maps to NO_MEMORY, everything else to UNSUPPORTED. */
void bendi_vk_set_error (GError     **error,
                         VkResult     result,
                         const char  *what);

/* Submits one command buffer and waits for it, under the queue lock. */
gboolean bendi_vk_device_submit_and_wait (BendiVkDevice    *self,
                                          VkCommandBuffer   command_buffer,
                                          VkFence           fence,
                                          GError          **error);

/* vk-memory.c */
BendiVkAllocator *bendi_vk_allocator_new  (BendiVkDevice    *device);
void              bendi_vk_allocator_free (BendiVkAllocator *self);

/* vk-pipeline.c */
BendiVkPipelineSet *bendi_vk_pipeline_set_new  (BendiVkDevice       *device,
                                                const char          *cache_dir);
void                bendi_vk_pipeline_set_free (BendiVkPipelineSet  *self);
gboolean            bendi_vk_pipeline_set_save (BendiVkPipelineSet  *self,
                                                GError             **error);
/* Whether this build has the cooperative-matrix prompt kernels, and the
 * shared memory they take with @info's shape. */
gboolean            bendi_vk_pipeline_has_coopmat  (void);
guint32             bendi_vk_coopmat_shared_bytes  (const BendiVkDeviceInfo *info);

G_END_DECLS

G_BEGIN_DECLS

/* vk-memory.c: what the recorder binds. */
typedef struct _BendiVkBuffer BendiVkBuffer;
VkBuffer       bendi_vk_buffer_get_handle (const BendiVkBuffer *self,
                                           VkDeviceSize        *out_offset);
BendiVkDevice *bendi_vk_buffer_get_device (const BendiVkBuffer *self);
/* The buffer as 32-bit words of a uniform texel buffer, made on first use
 * and owned by the buffer. */
VkBufferView   bendi_vk_buffer_get_texel_view (BendiVkBuffer  *self,
                                               GError        **error);
/* The same as texels of four words. */
VkBufferView   bendi_vk_buffer_get_texel_view4 (BendiVkBuffer  *self,
                                                GError        **error);

G_END_DECLS
