/* SPDX-License-Identifier: MIT */
/* Measured bandwidths and their cache: one key file, a group per processor-and-memory and per GPU-and-driver. */
#define G_LOG_DOMAIN "bendi-hw"

#include "hw-bandwidth.h"

#include <errno.h>

#include "cpu-bandwidth.h"
#include "gpu-bandwidth.h"

#define CACHE_FILE "bandwidth.ini"
/* Long enough for a steady best pass; the buffer fill comes on top. */
#define CPU_MEASURE_SECONDS 1.0
#define GPU_MEASURE_SECONDS 0.5
/* The GPU read test's groups. "gpu" groups hold figures of the test before
 * 2026-11, which read through the matrix × vector shader and measured that
 * shader (on an H100, 8-16% of what the memory does) rather than the
 * memory: those are measured again. */
#define GPU_KIND "gpu-read"
/* The CPU read test's groups. "cpu" groups hold figures of the test before
 * it prefetched, up to 15% low: they are measured again. */
#define CPU_KIND "cpu-prefetched"

static char *
cache_path (const char *cache_dir)
{
  if (cache_dir != NULL)
    return g_build_filename (cache_dir, CACHE_FILE, NULL);
  return g_build_filename (g_get_user_cache_dir (), "bendi", CACHE_FILE, NULL);
}

/* Group names stand for the hardware: a checksum, since a processor's
 * name may hold the brackets a key file's group names may not. */
static char *
group_for (const char *kind,
           const char *hardware)
{
  g_autofree char *sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, hardware, -1);

  sum[16] = '\0';
  return g_strdup_printf ("%s %s", kind, sum);
}

static double
lookup (GKeyFile   *file,
        const char *kind,
        const char *hardware)
{
  g_autofree char *group = group_for (kind, hardware);
  g_autofree char *stored = g_key_file_get_string (file, group, "hardware", NULL);
  double gbps;

  /* A checksum collision is not worth trusting. */
  if (stored == NULL || !g_str_equal (stored, hardware))
    return 0.0;
  gbps = g_key_file_get_double (file, group, "gbps", NULL);
  return gbps > 0.0 && gbps < 1e6 ? gbps : 0.0;
}

static void
store (GKeyFile   *file,
       const char *kind,
       const char *hardware,
       double      gbps)
{
  g_autofree char *group = group_for (kind, hardware);
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *when = g_date_time_format_iso8601 (now);

  g_key_file_set_string (file, group, "hardware", hardware);
  g_key_file_set_double (file, group, "gbps", gbps);
  g_key_file_set_string (file, group, "measured", when);
}

static void
apply_cache (BendiHwInfo *info,
             GKeyFile    *file)
{
  g_autofree char *cpu_key = bendi_hw_info_cpu_cache_key (info);

  info->cpu_bandwidth_gbps = lookup (file, CPU_KIND, cpu_key);
  for (guint i = 0; i < info->gpus->len; i++)
    {
      BendiHwGpu *gpu = g_ptr_array_index (info->gpus, i);

      if (gpu->cache_key != NULL)
        gpu->bandwidth_gbps = lookup (file, GPU_KIND, gpu->cache_key);
    }
}

gboolean
bendi_hw_bandwidth_load (BendiHwInfo *info,
                         const char  *cache_dir)
{
  g_autofree char *path = cache_path (cache_dir);
  g_autoptr (GKeyFile) file = g_key_file_new ();

  g_return_val_if_fail (info != NULL, FALSE);

  /* No cache, or a damaged one, is simply nothing measured yet. */
  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, NULL))
    return FALSE;
  apply_cache (info, file);
  return info->cpu_bandwidth_gbps > 0.0;
}

gboolean
bendi_hw_bandwidth_measure (BendiHwInfo          *info,
                            BendiHwMeasureFlags   flags,
                            const char           *cache_dir,
                            GError              **error)
{
  g_autofree char *path = cache_path (cache_dir);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr (GKeyFile) file = g_key_file_new ();
  gboolean again = (flags & BENDI_HW_MEASURE_AGAIN) != 0;
  gboolean changed = FALSE;

  g_return_val_if_fail (info != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* Start from what is cached, so measuring one part keeps the others. */
  g_key_file_load_from_file (file, path, G_KEY_FILE_KEEP_COMMENTS, NULL);
  apply_cache (info, file);

  if ((flags & BENDI_HW_MEASURE_CPU) && (again || info->cpu_bandwidth_gbps <= 0.0))
    {
      g_autofree char *cpu_key = bendi_hw_info_cpu_cache_key (info);
      double gbps = bendi_cpu_read_bandwidth_measure (0, 0, CPU_MEASURE_SECONDS);

      if (gbps > 0.0)
        {
          info->cpu_bandwidth_gbps = gbps;
          store (file, CPU_KIND, cpu_key, gbps);
          changed = TRUE;
        }
    }
  for (guint i = 0; (flags & BENDI_HW_MEASURE_GPUS) && i < info->gpus->len; i++)
    {
      BendiHwGpu *gpu = g_ptr_array_index (info->gpus, i);
      g_autoptr (GError) gpu_error = NULL;
      double gbps;

      if (!gpu->usable || gpu->type == BENDI_VK_DEVICE_TYPE_CPU || gpu->cache_key == NULL ||
          (!again && gpu->bandwidth_gbps > 0.0))
        continue;
      gbps = bendi_hw_gpu_bandwidth_measure (gpu->index, bendi_hw_gpu_bandwidth_default_bytes (gpu->vram_free_bytes),
                                             GPU_MEASURE_SECONDS, &gpu_error);
      if (gbps <= 0.0)
        {
          g_debug ("Could not measure the bandwidth of GPU %u (%s): %s", gpu->index, gpu->name,
                   gpu_error != NULL ? gpu_error->message : "no result");
          continue;
        }
      gpu->bandwidth_gbps = gbps;
      store (file, GPU_KIND, gpu->cache_key, gbps);
      changed = TRUE;
    }

  if (!changed)
    return TRUE;
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Could not create the cache directory %s: %s", dir, g_strerror (saved_errno));
      return FALSE;
    }
  return g_key_file_save_to_file (file, path, error);
}
