/* SPDX-License-Identifier: MIT */
/* dlopen of the Vulkan loader and entry-point resolution: no link-time dependency on libvulkan. */
#include "vulkan/vk-loader.h"

#include <dlfcn.h>

#include "engine-error.h"

/* Set before the loader is first opened, so that another thread's
 * bendi_vk_probe_in_child () does not fork while this one is inside the
 * loader or a driver (their locks would stay taken in the child). */
static gint opening = 0;

gboolean
bendi_vk_loader_is_open (void)
{
  return g_atomic_int_get (&opening) != 0;
}

static PFN_vkGetInstanceProcAddr
open_loader (char **out_reason)
{
  static gsize initialised = 0;
  static PFN_vkGetInstanceProcAddr get_instance_proc_addr = NULL;
  static char *reason = NULL;

  g_atomic_int_set (&opening, 1);

  /* The handle stays open for the life of the process: drivers register
   * atexit handlers and thread-local state that must not be unmapped. */
  if (g_once_init_enter (&initialised))
    {
      const char *path = g_getenv ("BENDI_VULKAN_LOADER");
      void *handle = dlopen (path != NULL && *path != '\0' ? path : "libvulkan.so.1", RTLD_NOW | RTLD_LOCAL);

      if (handle == NULL)
        reason = g_strdup_printf ("No Vulkan loader: %s", dlerror ());
      else
        {
          get_instance_proc_addr = (PFN_vkGetInstanceProcAddr) dlsym (handle, "vkGetInstanceProcAddr");
          if (get_instance_proc_addr == NULL)
            reason = g_strdup ("The Vulkan loader has no vkGetInstanceProcAddr");
        }
      g_once_init_leave (&initialised, 1);
    }
  *out_reason = reason;
  return get_instance_proc_addr;
}

gboolean
bendi_vk_load_global (BendiVkFunctions  *fn,
                      GError           **error)
{
  char *reason = NULL;
  guint32 version = VK_API_VERSION_1_0;

  fn->vkGetInstanceProcAddr = open_loader (&reason);
  if (fn->vkGetInstanceProcAddr == NULL)
    {
      g_set_error_literal (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_UNSUPPORTED, reason);
      return FALSE;
    }
#define LOAD_GLOBAL(name) fn->name = (PFN_##name) fn->vkGetInstanceProcAddr (NULL, #name);
  BENDI_VK_GLOBAL_FUNCTIONS (LOAD_GLOBAL)
#undef LOAD_GLOBAL

  /* vkEnumerateInstanceVersion is itself new in 1.1. */
  if (fn->vkEnumerateInstanceVersion != NULL)
    fn->vkEnumerateInstanceVersion (&version);
  if (fn->vkCreateInstance == NULL || fn->vkEnumerateInstanceExtensionProperties == NULL ||
      (VK_API_VERSION_MAJOR (version) == 1 && VK_API_VERSION_MINOR (version) < 1))
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_UNSUPPORTED,
                   "The Vulkan loader supports version %u.%u; Bendi needs 1.1 or later",
                   VK_API_VERSION_MAJOR (version), VK_API_VERSION_MINOR (version));
      return FALSE;
    }
  return TRUE;
}

gboolean
bendi_vk_load_instance (BendiVkFunctions  *fn,
                        VkInstance         instance,
                        GError           **error)
{
  const char *missing = NULL;

#define LOAD_INSTANCE(name) \
  fn->name = (PFN_##name) fn->vkGetInstanceProcAddr (instance, #name); \
  if (fn->name == NULL && missing == NULL) \
    missing = #name;
  BENDI_VK_INSTANCE_FUNCTIONS (LOAD_INSTANCE)
#undef LOAD_INSTANCE
#define LOAD_OPTIONAL(name) fn->name = (PFN_##name) fn->vkGetInstanceProcAddr (instance, #name);
  BENDI_VK_DEBUG_FUNCTIONS (LOAD_OPTIONAL)
#undef LOAD_OPTIONAL

  if (missing != NULL)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_UNSUPPORTED,
                   "The Vulkan loader lacks %s", missing);
      return FALSE;
    }
  return TRUE;
}

gboolean
bendi_vk_load_device (BendiVkFunctions  *fn,
                      VkDevice           device,
                      GError           **error)
{
  const char *missing = NULL;

#define LOAD_DEVICE(name) \
  fn->name = (PFN_##name) fn->vkGetDeviceProcAddr (device, #name); \
  if (fn->name == NULL && missing == NULL) \
    missing = #name;
  BENDI_VK_DEVICE_FUNCTIONS (LOAD_DEVICE)
#undef LOAD_DEVICE

  if (missing != NULL)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_UNSUPPORTED,
                   "The Vulkan driver lacks %s", missing);
      return FALSE;
    }
  return TRUE;
}

const char *
bendi_vk_result_name (VkResult result)
{
  switch (result)
    {
    case VK_SUCCESS: return "VK_SUCCESS";
    case VK_NOT_READY: return "VK_NOT_READY";
    case VK_TIMEOUT: return "VK_TIMEOUT";
    case VK_INCOMPLETE: return "VK_INCOMPLETE";
    case VK_ERROR_OUT_OF_HOST_MEMORY: return "VK_ERROR_OUT_OF_HOST_MEMORY";
    case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "VK_ERROR_OUT_OF_DEVICE_MEMORY";
    case VK_ERROR_INITIALIZATION_FAILED: return "VK_ERROR_INITIALIZATION_FAILED";
    case VK_ERROR_DEVICE_LOST: return "VK_ERROR_DEVICE_LOST";
    case VK_ERROR_MEMORY_MAP_FAILED: return "VK_ERROR_MEMORY_MAP_FAILED";
    case VK_ERROR_LAYER_NOT_PRESENT: return "VK_ERROR_LAYER_NOT_PRESENT";
    case VK_ERROR_EXTENSION_NOT_PRESENT: return "VK_ERROR_EXTENSION_NOT_PRESENT";
    case VK_ERROR_FEATURE_NOT_PRESENT: return "VK_ERROR_FEATURE_NOT_PRESENT";
    case VK_ERROR_INCOMPATIBLE_DRIVER: return "VK_ERROR_INCOMPATIBLE_DRIVER";
    case VK_ERROR_TOO_MANY_OBJECTS: return "VK_ERROR_TOO_MANY_OBJECTS";
    case VK_ERROR_FRAGMENTED_POOL: return "VK_ERROR_FRAGMENTED_POOL";
    case VK_ERROR_OUT_OF_POOL_MEMORY: return "VK_ERROR_OUT_OF_POOL_MEMORY";
    case VK_ERROR_INVALID_SHADER_NV: return "VK_ERROR_INVALID_SHADER_NV";
    default: return "VK_ERROR_UNKNOWN";
    }
}
