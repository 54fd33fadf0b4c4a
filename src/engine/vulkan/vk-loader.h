/* SPDX-License-Identifier: MIT */
/* The Vulkan entry points Bendi calls, resolved at run time from libvulkan.so.1 so a machine without a loader runs the CPU path. */
#pragma once

#define VK_NO_PROTOTYPES
#include <vulkan/vulkan.h>
#include <glib.h>

G_BEGIN_DECLS

/* Resolved with vkGetInstanceProcAddr (NULL) before an instance exists. */
#define BENDI_VK_GLOBAL_FUNCTIONS(X) \
  X (vkCreateInstance) \
  X (vkEnumerateInstanceVersion) \
  X (vkEnumerateInstanceExtensionProperties) \
  X (vkEnumerateInstanceLayerProperties)

#define BENDI_VK_INSTANCE_FUNCTIONS(X) \
  X (vkDestroyInstance) \
  X (vkEnumeratePhysicalDevices) \
  X (vkGetPhysicalDeviceProperties) \
  X (vkGetPhysicalDeviceProperties2) \
  X (vkGetPhysicalDeviceFeatures2) \
  X (vkGetPhysicalDeviceMemoryProperties) \
  X (vkGetPhysicalDeviceMemoryProperties2) \
  X (vkGetPhysicalDeviceQueueFamilyProperties) \
  X (vkEnumerateDeviceExtensionProperties) \
  X (vkCreateDevice) \
  X (vkGetDeviceProcAddr)

/* Only present when VK_EXT_debug_utils is enabled: may stay NULL. */
#define BENDI_VK_DEBUG_FUNCTIONS(X) \
  X (vkCreateDebugUtilsMessengerEXT) \
  X (vkDestroyDebugUtilsMessengerEXT)

#define BENDI_VK_DEVICE_FUNCTIONS(X) \
  X (vkDestroyDevice) \
  X (vkDeviceWaitIdle) \
  X (vkGetDeviceQueue) \
  X (vkQueueSubmit) \
  X (vkQueueWaitIdle) \
  X (vkCreateCommandPool) \
  X (vkDestroyCommandPool) \
  X (vkAllocateCommandBuffers) \
  X (vkFreeCommandBuffers) \
  X (vkBeginCommandBuffer) \
  X (vkEndCommandBuffer) \
  X (vkResetCommandBuffer) \
  X (vkCmdBindPipeline) \
  X (vkCmdBindDescriptorSets) \
  X (vkCmdPushConstants) \
  X (vkCmdDispatch) \
  X (vkCmdPipelineBarrier) \
  X (vkCmdCopyBuffer) \
  X (vkCmdFillBuffer) \
  X (vkCmdResetQueryPool) \
  X (vkCmdWriteTimestamp) \
  X (vkCreateQueryPool) \
  X (vkDestroyQueryPool) \
  X (vkGetQueryPoolResults) \
  X (vkCreateFence) \
  X (vkDestroyFence) \
  X (vkResetFences) \
  X (vkWaitForFences) \
  X (vkAllocateMemory) \
  X (vkFreeMemory) \
  X (vkMapMemory) \
  X (vkUnmapMemory) \
  X (vkCreateBuffer) \
  X (vkDestroyBuffer) \
  X (vkCreateBufferView) \
  X (vkDestroyBufferView) \
  X (vkGetBufferMemoryRequirements) \
  X (vkBindBufferMemory) \
  X (vkCreateShaderModule) \
  X (vkDestroyShaderModule) \
  X (vkCreateDescriptorSetLayout) \
  X (vkDestroyDescriptorSetLayout) \
  X (vkCreatePipelineLayout) \
  X (vkDestroyPipelineLayout) \
  X (vkCreateComputePipelines) \
  X (vkDestroyPipeline) \
  X (vkCreatePipelineCache) \
  X (vkDestroyPipelineCache) \
  X (vkGetPipelineCacheData) \
  X (vkCreateDescriptorPool) \
  X (vkDestroyDescriptorPool) \
  X (vkResetDescriptorPool) \
  X (vkAllocateDescriptorSets) \
  X (vkUpdateDescriptorSets)

#define BENDI_VK_DECLARE_POINTER(name) PFN_##name name;

/* One table per instance and device: entry points resolved through the
 * device skip the loader's dispatch. */
typedef struct {
  PFN_vkGetInstanceProcAddr vkGetInstanceProcAddr;
  BENDI_VK_GLOBAL_FUNCTIONS (BENDI_VK_DECLARE_POINTER)
  BENDI_VK_INSTANCE_FUNCTIONS (BENDI_VK_DECLARE_POINTER)
  BENDI_VK_DEBUG_FUNCTIONS (BENDI_VK_DECLARE_POINTER)
  BENDI_VK_DEVICE_FUNCTIONS (BENDI_VK_DECLARE_POINTER)
} BendiVkFunctions;

/* Whether this process has opened the Vulkan loader, or begun to, or
 * tried and failed. */
gboolean bendi_vk_loader_is_open (void);

/* Opens the loader once per process and fills the global entry points.
 * Fails with UNSUPPORTED when there is no loader or it predates Vulkan 1.1. */
gboolean bendi_vk_load_global    (BendiVkFunctions  *fn,
                                  GError           **error);
gboolean bendi_vk_load_instance  (BendiVkFunctions  *fn,
                                  VkInstance         instance,
                                  GError           **error);
gboolean bendi_vk_load_device    (BendiVkFunctions  *fn,
                                  VkDevice           device,
                                  GError           **error);

/* "VK_ERROR_OUT_OF_DEVICE_MEMORY" and friends, for messages. */
const char *bendi_vk_result_name (VkResult result);

G_END_DECLS
