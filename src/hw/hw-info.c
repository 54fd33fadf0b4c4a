/* SPDX-License-Identifier: MIT */
/* The hardware description and the probe that fills it in from the running system. */
#define G_LOG_DOMAIN "bendi-hw"

#include "hw-info.h"

#include <sys/statvfs.h>

#include "gpu-bandwidth.h"
#include "hw-probe-private.h"

BendiHwGpu *
bendi_hw_gpu_new (void)
{
  return g_new0 (BendiHwGpu, 1);
}

void
bendi_hw_gpu_free (BendiHwGpu *self)
{
  if (self == NULL)
    return;
  g_free (self->name);
  g_free (self->vendor);
  g_free (self->driver);
  g_free (self->features);
  g_free (self->cache_key);
  g_free (self);
}

BendiHwInfo *
bendi_hw_info_new (void)
{
  BendiHwInfo *self = g_new0 (BendiHwInfo, 1);

  self->gpus = g_ptr_array_new_with_free_func ((GDestroyNotify) bendi_hw_gpu_free);
  return self;
}

void
bendi_hw_info_free (BendiHwInfo *self)
{
  if (self == NULL)
    return;
  g_free (self->cpu_model);
  g_free (self->simd);
  g_free (self->kernels);
  g_free (self->models_dir);
  g_clear_pointer (&self->gpus, g_ptr_array_unref);
  g_free (self->gpu_note);
  g_free (self);
}

BendiHwGpu *
bendi_hw_gpu_copy (const BendiHwGpu *self)
{
  BendiHwGpu *copy;

  g_return_val_if_fail (self != NULL, NULL);

  /* Every field by value first, so a new number or flag is never left
   * behind; then each string of its own. */
  copy = bendi_hw_gpu_new ();
  *copy = *self;
  copy->name = g_strdup (self->name);
  copy->vendor = g_strdup (self->vendor);
  copy->driver = g_strdup (self->driver);
  copy->features = g_strdup (self->features);
  copy->cache_key = g_strdup (self->cache_key);
  return copy;
}

BendiHwInfo *
bendi_hw_info_copy (const BendiHwInfo *self)
{
  BendiHwInfo *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_new0 (BendiHwInfo, 1);
  *copy = *self;
  copy->cpu_model = g_strdup (self->cpu_model);
  copy->simd = g_strdup (self->simd);
  copy->kernels = g_strdup (self->kernels);
  copy->models_dir = g_strdup (self->models_dir);
  copy->gpu_note = g_strdup (self->gpu_note);
  copy->gpus = g_ptr_array_new_with_free_func ((GDestroyNotify) bendi_hw_gpu_free);
  for (guint i = 0; self->gpus != NULL && i < self->gpus->len; i++)
    g_ptr_array_add (copy->gpus, bendi_hw_gpu_copy (g_ptr_array_index (self->gpus, i)));
  return copy;
}

void
bendi_hw_info_add_gpu (BendiHwInfo *self,
                       BendiHwGpu  *gpu)
{
  g_return_if_fail (self != NULL && gpu != NULL);

  g_ptr_array_add (self->gpus, gpu);
}

int
bendi_hw_info_find_gpu (const BendiHwInfo *self,
                        guint              index)
{
  g_return_val_if_fail (self != NULL, -1);

  for (guint i = 0; i < self->gpus->len; i++)
    if (((const BendiHwGpu *) g_ptr_array_index (self->gpus, i))->index == index)
      return (int) i;
  return -1;
}

/* Free space for this user where models go: the directory may not exist
 * yet, so its nearest existing parent answers. */
static guint64
disk_free_bytes (const char *dir)
{
  g_autofree char *path = g_strdup (dir);

  for (int depth = 0; depth < 256; depth++)
    {
      struct statvfs st;
      char *parent;

      if (statvfs (path, &st) == 0)
        return (guint64) st.f_bavail * (guint64) st.f_frsize;
      parent = g_path_get_dirname (path);
      if (g_str_equal (parent, path))
        {
          g_free (parent);
          break;
        }
      g_free (path);
      path = parent;
    }
  return 0;
}

static char *
describe_gpu_features (const BendiVkDeviceInfo *info)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new ();

  if (info->subgroup_arithmetic)
    g_ptr_array_add (names, "subgroup arithmetic");
  if (info->fp16_storage)
    g_ptr_array_add (names, "fp16 storage");
  if (info->fp16_arithmetic)
    g_ptr_array_add (names, "fp16 arithmetic");
  if (info->int8_storage)
    g_ptr_array_add (names, "int8 storage");
  if (info->int8_arithmetic)
    g_ptr_array_add (names, "int8 arithmetic");
  if (info->integer_dot_product)
    g_ptr_array_add (names, "integer dot product");
  if (info->cooperative_matrix)
    g_ptr_array_add (names, "cooperative matrix");
  g_ptr_array_add (names, NULL);
  return g_strjoinv (", ", (char **) names->pdata);
}

static BendiHwGpu *
gpu_from_device_info (const BendiVkDeviceInfo *info)
{
  BendiHwGpu *gpu = bendi_hw_gpu_new ();
  g_autoptr (GString) key = g_string_new (NULL);

  gpu->index = info->index;
  gpu->name = g_strdup (info->name);
  gpu->vendor = g_strdup (info->vendor_name);
  gpu->type = info->type;
  gpu->driver = *info->driver_info != '\0' ? g_strdup_printf ("%s %s", info->driver_name, info->driver_info)
                                           : g_strdup (info->driver_name);
  gpu->vram_bytes = info->device_local_bytes;
  gpu->has_memory_budget = info->has_memory_budget;
  gpu->vram_free_bytes = bendi_hw_gpu_free_bytes (info);
  gpu->uma = info->uma;
  gpu->usable = info->usable;
  gpu->features = describe_gpu_features (info);

  g_string_append_printf (key, "%04x:%04x:%08x:", info->vendor_id, info->device_id, info->driver_version);
  for (gsize i = 0; i < G_N_ELEMENTS (info->device_uuid); i++)
    g_string_append_printf (key, "%02x", info->device_uuid[i]);
  gpu->cache_key = g_string_free (g_steal_pointer (&key), FALSE);
  return gpu;
}

static void
probe_gpus (BendiHwInfo *info)
{
  g_autoptr (GError) error = NULL;
  /* By bendi-vulkan-probe: the app shows its hardware page on every
   * machine, and one whose only device is lavapipe would otherwise keep
   * its LLVM mapped for the rest of the session for nothing. */
  g_autoptr (GPtrArray) devices = bendi_vk_list_devices_in_child (&error);

  if (devices == NULL)
    {
      info->gpu_note = g_strdup (error->message);
      return;
    }
  for (guint i = 0; i < devices->len; i++)
    bendi_hw_info_add_gpu (info, gpu_from_device_info (g_ptr_array_index (devices, i)));
  if (devices->len == 0)
    info->gpu_note = g_strdup ("The Vulkan loader found no device");
}

BendiHwInfo *
bendi_hw_info_probe (const char *models_dir)
{
  BendiHwInfo *info = bendi_hw_info_new ();

  bendi_hw_probe_cpu (info, "/");
  bendi_hw_probe_memory (info, "/");
  if (models_dir != NULL)
    {
      info->models_dir = g_strdup (models_dir);
      info->disk_free_bytes = disk_free_bytes (models_dir);
    }
  probe_gpus (info);
  return info;
}

void
bendi_hw_info_refresh_memory (BendiHwInfo *self)
{
  g_return_if_fail (self != NULL);

  bendi_hw_probe_memory (self, "/");
}

char *
bendi_hw_info_cpu_cache_key (const BendiHwInfo *self)
{
  /* Rounded to the GiB: the kernel's own reservations move MemTotal by a
   * few MiB between boots. */
  return g_strdup_printf ("%s, %d cores, %" G_GUINT64_FORMAT " GiB", self->cpu_model, self->logical_cores,
                          (self->ram_physical_bytes + (1u << 29)) >> 30);
}
