/* SPDX-License-Identifier: MIT */
/* The Vulkan instance, the validation messenger, and what each physical device can do. */
#include "vulkan/vk-private.h"

#include <dlfcn.h>
#include <link.h>

#include <string.h>

#include "engine-error.h"

#define VALIDATION_LAYER "VK_LAYER_KHRONOS_validation"

void
bendi_vk_set_error (GError     **error,
                    VkResult     result,
                    const char  *what)
{
  gboolean oom = result == VK_ERROR_OUT_OF_DEVICE_MEMORY || result == VK_ERROR_OUT_OF_HOST_MEMORY;

  g_set_error (error, BENDI_ENGINE_ERROR,
               oom ? BENDI_ENGINE_ERROR_NO_MEMORY : BENDI_ENGINE_ERROR_UNSUPPORTED,
               "%s failed: %s", what, bendi_vk_result_name (result));
}

gboolean
bendi_vk_has_extension (const VkExtensionProperties *extensions,
                        guint32                      n_extensions,
                        const char                  *name)
{
  for (guint32 i = 0; i < n_extensions; i++)
    if (strcmp (extensions[i].extensionName, name) == 0)
      return TRUE;
  return FALSE;
}

/* Validation errors become warnings (fatal in the tests) and are counted;
 * the layer's warnings and performance hints are only debug output. */
static VkBool32 VKAPI_PTR
debug_messenger_cb (VkDebugUtilsMessageSeverityFlagBitsEXT      severity,
                    VkDebugUtilsMessageTypeFlagsEXT             types G_GNUC_UNUSED,
                    const VkDebugUtilsMessengerCallbackDataEXT *data,
                    void                                       *user_data)
{
  BendiVkInstance *self = user_data;

  if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT)
    {
      g_atomic_int_inc (&self->validation_errors);
      g_warning ("Vulkan validation: %s", data->pMessage);
    }
  else
    g_debug ("Vulkan validation: %s", data->pMessage);
  return VK_FALSE;
}

static gboolean
has_layer (BendiVkFunctions *fn,
           const char       *name)
{
  g_autofree VkLayerProperties *layers = NULL;
  guint32 n_layers = 0;

  if (fn->vkEnumerateInstanceLayerProperties == NULL ||
      fn->vkEnumerateInstanceLayerProperties (&n_layers, NULL) != VK_SUCCESS)
    return FALSE;
  layers = g_new0 (VkLayerProperties, MAX (n_layers, 1));
  if (fn->vkEnumerateInstanceLayerProperties (&n_layers, layers) != VK_SUCCESS)
    return FALSE;
  for (guint32 i = 0; i < n_layers; i++)
    if (strcmp (layers[i].layerName, name) == 0)
      return TRUE;
  return FALSE;
}

static BendiVkInstance *
instance_new (gboolean   validation,
              GError   **error)
{
  g_autofree BendiVkInstance *self = g_new0 (BendiVkInstance, 1);
  g_autofree VkExtensionProperties *extensions = NULL;
  guint32 n_extensions = 0;
  guint32 loader_version = VK_API_VERSION_1_1;
  const char *enabled_extensions[1];
  const char *enabled_layers[1];
  guint32 n_enabled_extensions = 0;
  guint32 n_enabled_layers = 0;
  VkApplicationInfo app = {
    .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
    .pApplicationName = "Bendi",
    .pEngineName = "Bendi",
  };
  VkDebugUtilsMessengerCreateInfoEXT messenger_info = {
    .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
    .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT,
    .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                   VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                   VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
    .pfnUserCallback = debug_messenger_cb,
  };
  VkInstanceCreateInfo create_info = {
    .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
    .pApplicationInfo = &app,
  };
  VkResult result;

  if (!bendi_vk_load_global (&self->fn, error))
    return NULL;
  self->fn.vkEnumerateInstanceVersion (&loader_version);
  /* Devices may be newer than the instance asks for; 1.2 is what the
   * shaders target, and what Bendi needs of a device. */
  self->api_version = loader_version >= VK_API_VERSION_1_2 ? VK_API_VERSION_1_2 : VK_API_VERSION_1_1;
  app.apiVersion = self->api_version;

  if (validation)
    {
      if (self->fn.vkEnumerateInstanceExtensionProperties (NULL, &n_extensions, NULL) == VK_SUCCESS)
        {
          extensions = g_new0 (VkExtensionProperties, MAX (n_extensions, 1));
          if (self->fn.vkEnumerateInstanceExtensionProperties (NULL, &n_extensions, extensions) != VK_SUCCESS)
            n_extensions = 0;
        }
      if (!has_layer (&self->fn, VALIDATION_LAYER))
        g_message ("Vulkan validation asked for, but %s is not installed", VALIDATION_LAYER);
      else if (!bendi_vk_has_extension (extensions, n_extensions, VK_EXT_DEBUG_UTILS_EXTENSION_NAME))
        g_message ("Vulkan validation asked for, but %s is missing", VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
      else
        {
          enabled_layers[n_enabled_layers++] = VALIDATION_LAYER;
          enabled_extensions[n_enabled_extensions++] = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
          messenger_info.pUserData = self;
          /* Chained too, so instance creation itself is validated. */
          create_info.pNext = &messenger_info;
          self->validation = TRUE;
        }
    }
  create_info.enabledLayerCount = n_enabled_layers;
  create_info.ppEnabledLayerNames = enabled_layers;
  create_info.enabledExtensionCount = n_enabled_extensions;
  create_info.ppEnabledExtensionNames = enabled_extensions;

  result = self->fn.vkCreateInstance (&create_info, NULL, &self->instance);
  if (result != VK_SUCCESS)
    {
      bendi_vk_set_error (error, result, "Creating a Vulkan instance");
      return NULL;
    }
  if (!bendi_vk_load_instance (&self->fn, self->instance, error))
    {
      self->fn.vkDestroyInstance (self->instance, NULL);
      return NULL;
    }
  if (self->validation && self->fn.vkCreateDebugUtilsMessengerEXT != NULL)
    {
      result = self->fn.vkCreateDebugUtilsMessengerEXT (self->instance, &messenger_info, NULL,
                                                        &self->messenger);
      if (result != VK_SUCCESS)
        self->messenger = VK_NULL_HANDLE;
    }
  return g_steal_pointer (&self);
}

static void
instance_free (BendiVkInstance *self)
{
  if (self->messenger != VK_NULL_HANDLE)
    self->fn.vkDestroyDebugUtilsMessengerEXT (self->instance, self->messenger, NULL);
  self->fn.vkDestroyInstance (self->instance, NULL);
  g_free (self);
}

/* Whether @self has a device that is not a CPU. */
static gboolean
has_gpu (BendiVkInstance *self)
{
  g_autoptr (GArray) devices = bendi_vk_instance_get_physical_devices (self, NULL);

  for (guint i = 0; devices != NULL && i < devices->len; i++)
    {
      VkPhysicalDeviceProperties properties;

      self->fn.vkGetPhysicalDeviceProperties (g_array_index (devices, VkPhysicalDevice, i), &properties);
      if (properties.deviceType != VK_PHYSICAL_DEVICE_TYPE_CPU)
        return TRUE;
    }
  return FALSE;
}

/* Why a GPU's instance lives as long as the process: NVIDIA's driver (580
 * on an H200 here) went wrong after dozens of instances had been made and
 * destroyed in one process, as every device open, device listing and
 * hardware probe did: test-vulkan-ops' subgroup shaders stalled and
 * test-vulkan-model could no longer make an instance at all
 * (VK_ERROR_INCOMPATIBLE_DRIVER), while lavapipe never minded; others have
 * measured the same driver corrupting SubgroupLocalInvocationId after
 * about eleven cycles. Lavapipe's instance, kept, would hold some 9 MB of
 * a process that probed Vulkan only to run on the CPU, so it is not kept
 * (unless BENDI_VULKAN_TEST_KEEP_INSTANCE=1, for the tests). */
static GMutex instances_lock;
static BendiVkInstance *instances[2];   /* without, with validation */
static guint instances_made;

BendiVkInstance *
bendi_vk_instance_acquire (gboolean   validation,
                           GError   **error)
{
  BendiVkInstance **slot = &instances[validation ? 1 : 0];
  BendiVkInstance *instance;

  g_mutex_lock (&instances_lock);
  if (*slot == NULL && (*slot = instance_new (validation, error)) != NULL)
    {
      (*slot)->kept = has_gpu (*slot) || g_strcmp0 (g_getenv ("BENDI_VULKAN_TEST_KEEP_INSTANCE"), "1") == 0;
      instances_made++;
    }
  instance = *slot;
  if (instance != NULL)
    instance->users++;
  g_mutex_unlock (&instances_lock);
  return instance;
}

guint
bendi_vk_instances_made (void)
{
  guint n;

  g_mutex_lock (&instances_lock);
  n = instances_made;
  g_mutex_unlock (&instances_lock);
  return n;
}

void
bendi_vk_instance_release (BendiVkInstance *self)
{
  if (self == NULL)
    return;
  g_mutex_lock (&instances_lock);
  g_assert (self->users > 0);
  if (--self->users == 0 && !self->kept)
    {
      instances[self == instances[1] ? 1 : 0] = NULL;
      instance_free (self);
    }
  g_mutex_unlock (&instances_lock);
}

static int
collect_driver (struct dl_phdr_info *info,
                size_t               size G_GNUC_UNUSED,
                void                *data)
{
  /* Mesa's and others' drivers: libvulkan_lvp.so, libvulkan_radeon.so … */
  if (info->dlpi_name != NULL && strstr (info->dlpi_name, "/libvulkan_") != NULL)
    g_ptr_array_add (data, g_strdup (info->dlpi_name));
  return 0;
}

/* For tests under LeakSanitizer (BENDI_VULKAN_KEEP_DRIVERS set): the
 * drivers the loader has opened stay loaded for the rest of the process.
 * A driver unloaded with its instance takes with it the static data through
 * which some of its allocations are still reachable, and LeakSanitizer
 * then reports those as leaks (lavapipe with LLVM 15 on an AMD Zen 4 host:
 * 2 × 128 bytes in every process that listed devices; none while the
 * driver stays loaded). Not for the app, which wants a probe's LLVM gone. */
static void
keep_drivers_loaded (void)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  if (g_getenv ("BENDI_VULKAN_KEEP_DRIVERS") == NULL)
    return;
  /* collected first: opening from inside the walk could deadlock */
  dl_iterate_phdr (collect_driver, names);
  for (guint i = 0; i < names->len; i++)
    dlopen (g_ptr_array_index (names, i), RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
}

GArray *
bendi_vk_instance_get_physical_devices (BendiVkInstance  *self,
                                        GError          **error)
{
  g_autoptr (GArray) devices = g_array_new (FALSE, TRUE, sizeof (VkPhysicalDevice));
  guint32 n_devices = 0;
  VkResult result;

  result = self->fn.vkEnumeratePhysicalDevices (self->instance, &n_devices, NULL);
  if (result == VK_SUCCESS && n_devices > 0)
    {
      g_array_set_size (devices, n_devices);
      result = self->fn.vkEnumeratePhysicalDevices (self->instance, &n_devices,
                                                    (VkPhysicalDevice *) devices->data);
      g_array_set_size (devices, n_devices);
    }
  keep_drivers_loaded ();
  /* A loader with no driver answers "incompatible driver": no devices. */
  if (result == VK_ERROR_INITIALIZATION_FAILED || result == VK_ERROR_INCOMPATIBLE_DRIVER)
    g_array_set_size (devices, 0);
  else if (result != VK_SUCCESS && result != VK_INCOMPLETE)
    {
      bendi_vk_set_error (error, result, "Listing Vulkan devices");
      return NULL;
    }
  return g_steal_pointer (&devices);
}

static BendiVkDeviceType
device_type (VkPhysicalDeviceType type)
{
  switch (type)
    {
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return BENDI_VK_DEVICE_TYPE_INTEGRATED;
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return BENDI_VK_DEVICE_TYPE_DISCRETE;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return BENDI_VK_DEVICE_TYPE_VIRTUAL;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return BENDI_VK_DEVICE_TYPE_CPU;
    case VK_PHYSICAL_DEVICE_TYPE_OTHER:
    default: return BENDI_VK_DEVICE_TYPE_OTHER;
    }
}

const char *
bendi_vk_device_type_name (BendiVkDeviceType type)
{
  switch (type)
    {
    case BENDI_VK_DEVICE_TYPE_INTEGRATED: return "integrated";
    case BENDI_VK_DEVICE_TYPE_DISCRETE: return "discrete";
    case BENDI_VK_DEVICE_TYPE_VIRTUAL: return "virtual";
    case BENDI_VK_DEVICE_TYPE_CPU: return "cpu";
    case BENDI_VK_DEVICE_TYPE_OTHER:
    default: return "other";
    }
}

static void
describe_memory (BendiVkInstance   *self,
                 VkPhysicalDevice   physical_device,
                 gboolean           has_budget,
                 BendiVkDeviceInfo *info)
{
  VkPhysicalDeviceMemoryBudgetPropertiesEXT budget = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_BUDGET_PROPERTIES_EXT,
  };
  VkPhysicalDeviceMemoryProperties2 memory = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_PROPERTIES_2,
    .pNext = has_budget ? &budget : NULL,
  };
  const VkPhysicalDeviceMemoryProperties *props = &memory.memoryProperties;
  guint64 largest_heap = 0;
  guint32 largest_heap_index = 0;

  self->fn.vkGetPhysicalDeviceMemoryProperties2 (physical_device, &memory);
  info->has_memory_budget = has_budget;
  for (guint32 h = 0; h < props->memoryHeapCount; h++)
    {
      if (!(props->memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT))
        continue;
      info->device_local_bytes += props->memoryHeaps[h].size;
      if (has_budget)
        {
          info->budget_bytes += budget.heapBudget[h];
          info->usage_bytes += budget.heapUsage[h];
        }
      if (props->memoryHeaps[h].size > largest_heap)
        {
          largest_heap = props->memoryHeaps[h].size;
          largest_heap_index = h;
        }
    }

  /* Shared memory: an integrated or CPU device whose main heap the host
   * can map coherently. A discrete card with resizable BAR maps its VRAM
   * too, but writes through it cross the bus and it is not UMA. */
  if (info->type == BENDI_VK_DEVICE_TYPE_INTEGRATED || info->type == BENDI_VK_DEVICE_TYPE_CPU)
    for (guint32 t = 0; t < props->memoryTypeCount; t++)
      {
        VkMemoryPropertyFlags want = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT |
                                     VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                     VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;

        if ((props->memoryTypes[t].propertyFlags & want) == want &&
            props->memoryTypes[t].heapIndex == largest_heap_index)
          info->uma = TRUE;
      }
}

/* The cooperative-matrix shape of the prompt kernels: float16_t A and B, f32
 * C and result, subgroup scope, M, N and K at most 16 and K dividing the
 * kernels' 32-deep tiles; of those, the most outputs per matrix. */
static void
choose_coopmat_shape (BendiVkInstance   *self,
                      VkPhysicalDevice   physical_device,
                      BendiVkDeviceInfo *info)
{
  BendiVkGetCoopmatProperties get_properties = (BendiVkGetCoopmatProperties)
    self->fn.vkGetInstanceProcAddr (self->instance, "vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR");
  g_autofree BendiVkCoopmatProperties *shapes = NULL;
  guint32 n_shapes = 0;

  if (get_properties == NULL || get_properties (physical_device, &n_shapes, NULL) != VK_SUCCESS || n_shapes == 0)
    return;
  n_shapes = MIN (n_shapes, 256);
  shapes = g_new0 (BendiVkCoopmatProperties, n_shapes);
  for (guint32 i = 0; i < n_shapes; i++)
    shapes[i].sType = BENDI_VK_STRUCTURE_TYPE_COOPMAT_PROPERTIES;
  if (get_properties (physical_device, &n_shapes, shapes) < 0)
    return;
  for (guint32 i = 0; i < n_shapes; i++)
    {
      const BendiVkCoopmatProperties *s = &shapes[i];

      if (s->a_type != BENDI_VK_COMPONENT_TYPE_FLOAT16 || s->b_type != BENDI_VK_COMPONENT_TYPE_FLOAT16 ||
          s->c_type != BENDI_VK_COMPONENT_TYPE_FLOAT32 || s->result_type != BENDI_VK_COMPONENT_TYPE_FLOAT32 ||
          s->scope != BENDI_VK_SCOPE_SUBGROUP || s->saturating_accumulation ||
          s->m_size == 0 || s->n_size == 0 || s->k_size == 0 ||
          s->m_size > 16 || s->n_size > 16 || s->k_size > 16 || 32 % s->k_size != 0)
        continue;
      if (s->m_size * s->n_size > info->coopmat_m * info->coopmat_n)
        {
          info->coopmat_m = s->m_size;
          info->coopmat_n = s->n_size;
          info->coopmat_k = s->k_size;
        }
    }
}

void
bendi_vk_instance_describe (BendiVkInstance   *self,
                            VkPhysicalDevice   physical_device,
                            guint              index,
                            BendiVkDeviceInfo *info)
{
  g_autofree VkExtensionProperties *extensions = NULL;
  guint32 n_extensions = 0;
  VkPhysicalDeviceProperties basic;
  VkPhysicalDeviceDriverProperties driver = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES,
  };
  VkPhysicalDeviceIDProperties ids = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES,
  };
  VkPhysicalDeviceSubgroupProperties subgroup = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES,
    .pNext = &ids,
  };
  VkPhysicalDeviceSubgroupSizeControlPropertiesEXT size_control = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_PROPERTIES_EXT,
  };
  VkPhysicalDeviceProperties2 props = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
  };
  VkPhysicalDeviceVulkan11Features features11 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES,
  };
  VkPhysicalDeviceVulkan12Features features12 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES,
    .pNext = &features11,
  };
  VkPhysicalDeviceFeatures2 features = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
  };
  VkPhysicalDeviceShaderIntegerDotProductFeatures dot_features = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_FEATURES,
  };
  VkPhysicalDeviceShaderIntegerDotProductProperties dot_props = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_PROPERTIES,
  };
  BendiVkCoopmatFeatures coopmat_features = {
    .sType = BENDI_VK_STRUCTURE_TYPE_COOPMAT_FEATURES,
  };
  gboolean has_size_control;
  gboolean has_dot_product;
  gboolean has_coopmat;
  gboolean is_1_2;

  memset (info, 0, sizeof *info);
  info->index = index;
  self->fn.vkGetPhysicalDeviceProperties (physical_device, &basic);
  is_1_2 = basic.apiVersion >= VK_API_VERSION_1_2;

  if (self->fn.vkEnumerateDeviceExtensionProperties (physical_device, NULL, &n_extensions, NULL) == VK_SUCCESS)
    {
      extensions = g_new0 (VkExtensionProperties, MAX (n_extensions, 1));
      if (self->fn.vkEnumerateDeviceExtensionProperties (physical_device, NULL, &n_extensions,
                                                         extensions) != VK_SUCCESS)
        n_extensions = 0;
    }
  has_size_control = basic.apiVersion >= VK_API_VERSION_1_3 ||
                     bendi_vk_has_extension (extensions, n_extensions,
                                             VK_EXT_SUBGROUP_SIZE_CONTROL_EXTENSION_NAME);

  /* The instance asks for Vulkan 1.2, so even a 1.3 device's integer dot
   * product comes through the extension, which the device then enables. */
  has_dot_product = is_1_2 && bendi_vk_has_extension (extensions, n_extensions,
                                                      VK_KHR_SHADER_INTEGER_DOT_PRODUCT_EXTENSION_NAME);

  has_coopmat = is_1_2 && bendi_vk_has_extension (extensions, n_extensions, BENDI_VK_COOPMAT_EXTENSION);

  /* Structures of a version the device lacks may not be chained. */
  props.pNext = &subgroup;
  if (is_1_2)
    ids.pNext = &driver;
  if (has_size_control)
    {
      size_control.pNext = props.pNext;
      props.pNext = &size_control;
    }
  if (has_dot_product)
    {
      dot_props.pNext = props.pNext;
      props.pNext = &dot_props;
    }
  self->fn.vkGetPhysicalDeviceProperties2 (physical_device, &props);
  if (is_1_2)
    {
      features.pNext = &features12;
      if (has_dot_product)
        {
          dot_features.pNext = features.pNext;
          features.pNext = &dot_features;
        }
      if (has_coopmat)
        {
          coopmat_features.pNext = features.pNext;
          features.pNext = &coopmat_features;
        }
      self->fn.vkGetPhysicalDeviceFeatures2 (physical_device, &features);
    }

  info->name = g_strdup (basic.deviceName);
  info->vendor_id = basic.vendorID;
  info->device_id = basic.deviceID;
  info->vendor_name = bendi_vk_vendor_name (basic.vendorID);
  info->type = device_type (basic.deviceType);
  info->driver_name = g_strdup (is_1_2 ? driver.driverName : "");
  info->driver_info = g_strdup (is_1_2 ? driver.driverInfo : "");
  info->driver_version = basic.driverVersion;
  info->api_version = basic.apiVersion;
  memcpy (info->device_uuid, ids.deviceUUID, sizeof info->device_uuid);

  info->subgroup_size = subgroup.subgroupSize;
  info->subgroup_size_min = has_size_control ? size_control.minSubgroupSize : subgroup.subgroupSize;
  info->subgroup_size_max = has_size_control ? size_control.maxSubgroupSize : subgroup.subgroupSize;
  info->subgroup_arithmetic = (subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) &&
                              (subgroup.supportedOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT) &&
                              (subgroup.supportedOperations & VK_SUBGROUP_FEATURE_BASIC_BIT);
  info->subgroup_shuffle = (subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) &&
                           (subgroup.supportedOperations & VK_SUBGROUP_FEATURE_SHUFFLE_BIT);
  info->fp16_storage = features11.storageBuffer16BitAccess;
  info->fp16_arithmetic = features12.shaderFloat16;
  info->int8_storage = features12.storageBuffer8BitAccess;
  info->int8_arithmetic = features12.shaderInt8;
  info->integer_dot_product = has_dot_product && dot_features.shaderIntegerDotProduct;
  /* The packed 4×8-bit dot products the int8 shaders use: signed (Q8_0's
   * quants times signed activations) or mixed (4-bit quants are unsigned). */
  info->integer_dot_product_accelerated =
    info->integer_dot_product &&
    (dot_props.integerDotProduct4x8BitPackedSignedAccelerated ||
     dot_props.integerDotProduct4x8BitPackedMixedSignednessAccelerated);
  info->cooperative_matrix = bendi_vk_has_extension (extensions, n_extensions, BENDI_VK_COOPMAT_EXTENSION);
  info->vulkan_memory_model = is_1_2 && features12.vulkanMemoryModel;
  if (has_coopmat && coopmat_features.cooperativeMatrix)
    choose_coopmat_shape (self, physical_device, info);

  info->max_storage_buffer_range = basic.limits.maxStorageBufferRange;
  info->max_workgroup_invocations = basic.limits.maxComputeWorkGroupInvocations;
  info->max_shared_memory_bytes = basic.limits.maxComputeSharedMemorySize;
  info->max_push_constants_bytes = basic.limits.maxPushConstantsSize;
  info->min_storage_buffer_offset_alignment = basic.limits.minStorageBufferOffsetAlignment;
  info->min_texel_buffer_offset_alignment = basic.limits.minTexelBufferOffsetAlignment;
  info->max_texel_buffer_elements = basic.limits.maxTexelBufferElements;
  /* maxMemoryAllocationSize is Vulkan 1.1's VkPhysicalDeviceMaintenance3Properties;
   * 1.2 devices all report it through the 1.1 properties. */
  {
    VkPhysicalDeviceMaintenance3Properties maintenance3 = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES,
    };
    VkPhysicalDeviceProperties2 props2 = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
      .pNext = &maintenance3,
    };

    self->fn.vkGetPhysicalDeviceProperties2 (physical_device, &props2);
    info->max_memory_allocation_size = maintenance3.maxMemoryAllocationSize;
  }

  describe_memory (self, physical_device,
                   bendi_vk_has_extension (extensions, n_extensions, VK_EXT_MEMORY_BUDGET_EXTENSION_NAME),
                   info);

  info->usable = TRUE;
  if (!is_1_2)
    {
      info->usable = FALSE;
      info->unusable_reason = g_strdup_printf ("Vulkan %u.%u; Bendi needs 1.2",
                                               VK_API_VERSION_MAJOR (basic.apiVersion),
                                               VK_API_VERSION_MINOR (basic.apiVersion));
    }
  else if (self->api_version < VK_API_VERSION_1_2)
    {
      info->usable = FALSE;
      info->unusable_reason = g_strdup ("the Vulkan loader predates 1.2");
    }
  else if (basic.limits.maxComputeWorkGroupInvocations < 256 || basic.limits.maxPushConstantsSize < 128)
    {
      info->usable = FALSE;
      info->unusable_reason = g_strdup ("compute limits below what the shaders need");
    }
}

GPtrArray *
bendi_vk_list_devices (GError **error)
{
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) bendi_vk_device_info_free);
  g_autoptr (GArray) devices = NULL;
  BendiVkInstance *instance;

  instance = bendi_vk_instance_acquire (FALSE, error);
  if (instance == NULL)
    return NULL;
  devices = bendi_vk_instance_get_physical_devices (instance, error);
  if (devices == NULL)
    {
      bendi_vk_instance_release (instance);
      return NULL;
    }
  for (guint i = 0; i < devices->len; i++)
    {
      BendiVkDeviceInfo *info = g_new0 (BendiVkDeviceInfo, 1);

      bendi_vk_instance_describe (instance, g_array_index (devices, VkPhysicalDevice, i), i, info);
      g_ptr_array_add (list, info);
    }
  bendi_vk_instance_release (instance);
  return g_steal_pointer (&list);
}
