/* SPDX-License-Identifier: MIT */
/* An open Vulkan device: one compute queue, the memory allocator and the pipelines built for it. */
#include "vulkan/vk-private.h"

#include <string.h>

#include "engine-error.h"
#include "vulkan/vk-memory.h"

void
bendi_vk_device_params_init (BendiVkDeviceParams *params)
{
  const char *validation = g_getenv ("BENDI_VULKAN_VALIDATION");
  const char *matvec_rows = g_getenv ("BENDI_VULKAN_MATVEC_ROWS");

  memset (params, 0, sizeof *params);
  params->validation = validation != NULL && g_str_equal (validation, "1");
  params->matvec_rows = matvec_rows != NULL ? (guint) g_ascii_strtoull (matvec_rows, NULL, 10) : 0;
}

/* A queue family that computes, preferring one that does nothing else:
 * it does not wait behind a desktop's rendering; and the bits of its
 * timestamps (0: none). */
static gboolean
find_compute_queue (BendiVkDevice *self,
                    guint32       *out_family,
                    guint32       *out_timestamp_bits)
{
  g_autofree VkQueueFamilyProperties *families = NULL;
  guint32 n_families = 0;
  gboolean found = FALSE;

  self->fn.vkGetPhysicalDeviceQueueFamilyProperties (self->physical_device, &n_families, NULL);
  families = g_new0 (VkQueueFamilyProperties, MAX (n_families, 1));
  self->fn.vkGetPhysicalDeviceQueueFamilyProperties (self->physical_device, &n_families, families);
  for (guint32 i = 0; i < n_families; i++)
    {
      if (!(families[i].queueFlags & VK_QUEUE_COMPUTE_BIT) || families[i].queueCount == 0)
        continue;
      if (!found || !(families[i].queueFlags & VK_QUEUE_GRAPHICS_BIT))
        {
          *out_family = i;
          *out_timestamp_bits = families[i].timestampValidBits;
          found = TRUE;
        }
    }
  return found;
}

static gboolean
fast_path_allowed (const BendiVkDeviceParams *params,
                   BendiVkFastPath            path)
{
  return !params->portable_only && !(params->disabled_fast_paths & path);
}

/* The shader variants of this device: each fast path where the device has
 * its features and the caller did not turn it off; fp16 only on GPUs, and
 * int8 only when forced (BENDI_VULKAN_FORCE=int8-dot), even where the dot
 * product is accelerated: its activations are quantised in a dispatch of
 * their own, which takes a 22-layer model from 134 to 223 dispatches per
 * token, past the budget of 150, and no GPU has yet measured whether the
 * narrower reads win that back. */
static void
choose_fast_paths (BendiVkDevice             *self,
                   const BendiVkDeviceParams *params)
{
  const BendiVkDeviceInfo *info = &self->info;
  gboolean cpu_device = info->type == BENDI_VK_DEVICE_TYPE_CPU;
  BendiVkFastPath forced = params->forced_fast_paths;
  /* bendi_vk_buffer_new_view ()'s */
  guint64 view_alignment = MAX (info->min_storage_buffer_offset_alignment, 4);

  self->use_subgroups = info->subgroup_arithmetic && fast_path_allowed (params, BENDI_VK_FAST_SUBGROUP);
  /* CPU devices read weights, activations and norm weights through texel
   * buffers: weight chunks must not hold more words than one may, and every
   * buffer view's offset (aligned for storage buffers) must suit a texel
   * view too, and fall on a 16-byte texel; the attention kernel's
   * workgroup is one subgroup of at least eight, whose lanes shuffle.
   * Forcing a fast path forces the
   * GPU-shaped kernels it is a variant of (subgroup alone: the baseline
   * the others are measured against). */
  self->use_cpu_kernels = cpu_device && !params->gpu_kernels && !(forced & BENDI_VK_FAST_ALL) &&
                          info->max_texel_buffer_elements >= (1u << 20) &&
                          view_alignment % 16 == 0 &&
                          view_alignment % MAX (info->min_texel_buffer_offset_alignment, 1) == 0 &&
                          info->subgroup_arithmetic && info->subgroup_shuffle &&
                          info->subgroup_size >= 8 && info->subgroup_size <= 64;
  self->cpu_lanes = self->use_cpu_kernels ? info->subgroup_size : 0;
  self->use_fp16 = info->fp16_arithmetic && fast_path_allowed (params, BENDI_VK_FAST_FP16) &&
                   ((forced & BENDI_VK_FAST_FP16) || !cpu_device);
  /* The dot product is a variant of the int8 path: turning int8 off turns
   * both off. */
  self->use_int8_dot = info->integer_dot_product && fast_path_allowed (params, BENDI_VK_FAST_INT8_DOT) &&
                       fast_path_allowed (params, BENDI_VK_FAST_INT8) &&
                       (forced & BENDI_VK_FAST_INT8_DOT);
  self->use_int8 = self->use_int8_dot ||
                   ((forced & BENDI_VK_FAST_INT8) && fast_path_allowed (params, BENDI_VK_FAST_INT8));
  /* Cooperative matrices for prompts: a shape the kernels take, float16_t
   * arithmetic, the memory model the shaders are written against, shared
   * memory for their tiles and a build that has them (glslc too old for
   * GL_KHR_cooperative_matrix builds none). On CPU devices only when
   * forced: lavapipe runs them as plain loops. */
  self->use_coopmat = info->coopmat_m > 0 && info->fp16_arithmetic && info->vulkan_memory_model &&
                      info->max_shared_memory_bytes >= bendi_vk_coopmat_shared_bytes (info) &&
                      info->max_workgroup_invocations >= 4 * info->subgroup_size &&
                      bendi_vk_pipeline_has_coopmat () &&
                      fast_path_allowed (params, BENDI_VK_FAST_COOPMAT) &&
                      ((forced & BENDI_VK_FAST_COOPMAT) || !cpu_device);
}

char *
bendi_vk_fast_paths_describe (BendiVkFastPath paths)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new ();

  if (paths & BENDI_VK_FAST_INT8_DOT)
    g_ptr_array_add (names, "int8-dot");
  else if (paths & BENDI_VK_FAST_INT8)
    g_ptr_array_add (names, "int8");
  if (paths & BENDI_VK_FAST_COOPMAT)
    g_ptr_array_add (names, "coopmat");
  if (paths & BENDI_VK_FAST_FP16)
    g_ptr_array_add (names, "fp16");
  if (paths & BENDI_VK_FAST_SUBGROUP)
    g_ptr_array_add (names, "subgroup");
  if (names->len == 0)
    return g_strdup ("portable");
  g_ptr_array_add (names, NULL);
  return g_strjoinv (",", (char **) names->pdata);
}

static gboolean
create_logical_device (BendiVkDevice  *self,
                       GError        **error)
{
  const float priority = 1.0f;
  const char *extensions[3];
  guint32 n_extensions = 0;
  VkPhysicalDeviceShaderIntegerDotProductFeatures dot_features = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_FEATURES,
    .shaderIntegerDotProduct = VK_TRUE,
  };
  BendiVkCoopmatFeatures coopmat_features = {
    .sType = BENDI_VK_STRUCTURE_TYPE_COOPMAT_FEATURES,
    .cooperativeMatrix = VK_TRUE,
  };
  VkPhysicalDeviceVulkan11Features features11 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES,
    .storageBuffer16BitAccess = self->info.fp16_storage,
  };
  VkPhysicalDeviceVulkan12Features features12 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES,
    .pNext = &features11,
    .shaderFloat16 = self->info.fp16_arithmetic,
    .shaderInt8 = self->info.int8_arithmetic,
    .storageBuffer8BitAccess = self->info.int8_storage,
    .vulkanMemoryModel = self->use_coopmat,
  };
  VkDeviceQueueCreateInfo queue_info = {
    .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
    .queueFamilyIndex = self->queue_family,
    .queueCount = 1,
    .pQueuePriorities = &priority,
  };
  VkDeviceCreateInfo create_info = {
    .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
    .pNext = &features12,
    .queueCreateInfoCount = 1,
    .pQueueCreateInfos = &queue_info,
  };
  VkResult result;

  if (self->info.has_memory_budget)
    extensions[n_extensions++] = VK_EXT_MEMORY_BUDGET_EXTENSION_NAME;
  /* Only where the int8 shaders will use it: a driver with a bad
   * implementation is then never asked for it. */
  if (self->use_int8_dot)
    {
      extensions[n_extensions++] = VK_KHR_SHADER_INTEGER_DOT_PRODUCT_EXTENSION_NAME;
      dot_features.pNext = features11.pNext;
      features11.pNext = &dot_features;
    }
  if (self->use_coopmat)
    {
      extensions[n_extensions++] = BENDI_VK_COOPMAT_EXTENSION;
      coopmat_features.pNext = features11.pNext;
      features11.pNext = &coopmat_features;
    }
  create_info.enabledExtensionCount = n_extensions;
  create_info.ppEnabledExtensionNames = extensions;

  result = self->fn.vkCreateDevice (self->physical_device, &create_info, NULL, &self->device);
  if (result != VK_SUCCESS)
    {
      bendi_vk_set_error (error, result, "Opening the Vulkan device");
      return FALSE;
    }
  if (!bendi_vk_load_device (&self->fn, self->device, error))
    {
      /* vkDestroyDevice itself may be missing: ask the instance for it. */
      PFN_vkDestroyDevice destroy = (PFN_vkDestroyDevice)
        self->fn.vkGetInstanceProcAddr (self->instance->instance, "vkDestroyDevice");

      if (destroy != NULL)
        destroy (self->device, NULL);
      self->device = VK_NULL_HANDLE;
      return FALSE;
    }
  self->fn.vkGetDeviceQueue (self->device, self->queue_family, 0, &self->queue);
  return TRUE;
}

BendiVkDevice *
bendi_vk_device_new (guint                      index,
                     const BendiVkDeviceParams *params,
                     GError                   **error)
{
  g_autoptr (BendiVkDevice) self = NULL;
  g_autoptr (GArray) physical_devices = NULL;
  guint32 timestamp_bits = 0;
  BendiVkDeviceParams defaults;

  if (params == NULL)
    {
      bendi_vk_device_params_init (&defaults);
      params = &defaults;
    }

  self = g_new0 (BendiVkDevice, 1);
  g_mutex_init (&self->queue_lock);
  self->instance = bendi_vk_instance_acquire (params->validation, error);
  if (self->instance == NULL)
    return NULL;
  /* The instance may outlive the devices: count only this one's errors. */
  self->validation_errors_before = (guint) g_atomic_int_get (&self->instance->validation_errors);
  self->fn = self->instance->fn;
  physical_devices = bendi_vk_instance_get_physical_devices (self->instance, error);
  if (physical_devices == NULL)
    return NULL;
  if (index >= physical_devices->len)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_ARGUMENT,
                   "There is no Vulkan device %u (%u found)", index, physical_devices->len);
      return NULL;
    }
  self->physical_device = g_array_index (physical_devices, VkPhysicalDevice, index);
  bendi_vk_instance_describe (self->instance, self->physical_device, index, &self->info);
  if (!self->info.usable)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_UNSUPPORTED,
                   "Vulkan device %u (%s) cannot be used: %s", index, self->info.name,
                   self->info.unusable_reason);
      return NULL;
    }
  self->fn.vkGetPhysicalDeviceMemoryProperties (self->physical_device, &self->memory_properties);

  self->max_binding_bytes = self->info.max_storage_buffer_range;
  if (params->max_binding_bytes > 0)
    self->max_binding_bytes = MIN (self->max_binding_bytes, params->max_binding_bytes);
  self->force_staging = params->force_staging;
  choose_fast_paths (self, params);
  self->matvec_rows = params->matvec_rows >= 2 && params->matvec_rows <= 8 && params->matvec_rows % 2 == 0
                      ? params->matvec_rows : 2;

  if (!find_compute_queue (self, &self->queue_family, &timestamp_bits))
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_UNSUPPORTED,
                   "Vulkan device %u (%s) has no compute queue", index, self->info.name);
      return NULL;
    }
  if (params->time_dispatches && timestamp_bits > 0)
    {
      VkPhysicalDeviceProperties properties;

      self->fn.vkGetPhysicalDeviceProperties (self->physical_device, &properties);
      self->timestamp_ns = properties.limits.timestampPeriod;
      self->timestamp_mask = timestamp_bits >= 64 ? G_MAXUINT64 : (G_GUINT64_CONSTANT (1) << timestamp_bits) - 1;
    }
  if (!create_logical_device (self, error))
    return NULL;

  self->allocator = bendi_vk_allocator_new (self);
  self->pipelines = bendi_vk_pipeline_set_new (self, params->cache_dir);
  self->placeholder = bendi_vk_buffer_new (self, 16, BENDI_VK_MEMORY_DEVICE, error);
  if (self->placeholder == NULL)
    return NULL;
  return g_steal_pointer (&self);
}

void
bendi_vk_device_free (BendiVkDevice *self)
{
  if (self == NULL)
    return;
  if (self->device != VK_NULL_HANDLE)
    {
      self->fn.vkDeviceWaitIdle (self->device);
      g_clear_pointer (&self->placeholder, bendi_vk_buffer_free);
      g_clear_pointer (&self->pipelines, bendi_vk_pipeline_set_free);
      g_clear_pointer (&self->allocator, bendi_vk_allocator_free);
      self->fn.vkDestroyDevice (self->device, NULL);
    }
  g_clear_pointer (&self->instance, bendi_vk_instance_release);
  g_free (self->info.name);
  g_free (self->info.driver_name);
  g_free (self->info.driver_info);
  g_free (self->info.unusable_reason);
  g_mutex_clear (&self->queue_lock);
  g_free (self);
}

const BendiVkDeviceInfo *
bendi_vk_device_get_info (const BendiVkDevice *self)
{
  return &self->info;
}

guint
bendi_vk_device_get_validation_errors (const BendiVkDevice *self)
{
  return (guint) g_atomic_int_get (&self->instance->validation_errors) - self->validation_errors_before;
}

gboolean
bendi_vk_device_is_validated (const BendiVkDevice *self)
{
  return self->instance->validation;
}

gboolean
bendi_vk_device_uses_subgroups (const BendiVkDevice *self)
{
  return self->use_subgroups;
}

BendiVkFastPath
bendi_vk_device_get_fast_paths (const BendiVkDevice *self)
{
  return (self->use_subgroups ? BENDI_VK_FAST_SUBGROUP : 0) |
         (self->use_fp16 ? BENDI_VK_FAST_FP16 : 0) |
         (self->use_int8 ? BENDI_VK_FAST_INT8 : 0) |
         (self->use_int8_dot ? BENDI_VK_FAST_INT8_DOT : 0) |
         (self->use_coopmat ? BENDI_VK_FAST_COOPMAT : 0);
}

gboolean
bendi_vk_device_uses_cpu_kernels (const BendiVkDevice *self)
{
  return self->use_cpu_kernels;
}

gboolean
bendi_vk_device_times_dispatches (const BendiVkDevice *self)
{
  return self->timestamp_ns > 0;
}

guint64
bendi_vk_device_get_max_buffer_bytes (const BendiVkDevice *self)
{
  return MIN (self->max_binding_bytes, self->info.max_memory_allocation_size);
}

gboolean
bendi_vk_device_save_pipeline_cache (BendiVkDevice  *self,
                                     GError        **error)
{
  return bendi_vk_pipeline_set_save (self->pipelines, error);
}

gboolean
bendi_vk_device_submit_and_wait (BendiVkDevice    *self,
                                 VkCommandBuffer   command_buffer,
                                 VkFence           fence,
                                 GError          **error)
{
  VkSubmitInfo submit = {
    .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
    .commandBufferCount = 1,
    .pCommandBuffers = &command_buffer,
  };
  VkResult result;

  result = self->fn.vkResetFences (self->device, 1, &fence);
  if (result != VK_SUCCESS)
    {
      bendi_vk_set_error (error, result, "Resetting a fence");
      return FALSE;
    }
  g_mutex_lock (&self->queue_lock);
  result = self->fn.vkQueueSubmit (self->queue, 1, &submit, fence);
  g_mutex_unlock (&self->queue_lock);
  if (result != VK_SUCCESS)
    {
      bendi_vk_set_error (error, result, "Submitting work to the GPU");
      return FALSE;
    }
  result = self->fn.vkWaitForFences (self->device, 1, &fence, VK_TRUE, G_MAXUINT64);
  if (result != VK_SUCCESS)
    {
      bendi_vk_set_error (error, result, "Waiting for the GPU");
      return FALSE;
    }
  return TRUE;
}
