/* SPDX-License-Identifier: MIT */
/* Measured bandwidths: the cache keyed by hardware, and the GPU measurement on whatever Vulkan device is there (lavapipe in CI). */
#include <glib/gstdio.h>

#include "hw-bandwidth.h"
#include "gpu-bandwidth.h"
#include "test-hw-util.h"
#include "test-util.h"
#include "vulkan/vk-device.h"

static void
test_cache (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *file = g_build_filename (dir, "bandwidth.ini", NULL);
  g_autoptr (BendiHwInfo) hw = hw_test_machine (16 * GB, 8 * GB);
  g_autoptr (GError) error = NULL;
  double measured;

  /* Nothing cached yet. */
  g_assert_false (bendi_hw_bandwidth_load (hw, dir));
  g_assert_cmpfloat (hw->cpu_bandwidth_gbps, ==, 0.0);

  g_assert_true (bendi_hw_bandwidth_measure (hw, BENDI_HW_MEASURE_CPU, dir, &error));
  g_assert_no_error (error);
  measured = hw->cpu_bandwidth_gbps;
  g_assert_cmpfloat (measured, >, 0.0);
  g_assert_true (g_file_test (file, G_FILE_TEST_IS_REGULAR));

  /* The same hardware finds it. */
  {
    g_autoptr (BendiHwInfo) same = hw_test_machine (16 * GB, 4 * GB);

    g_assert_true (bendi_hw_bandwidth_load (same, dir));
    g_assert_cmpfloat (same->cpu_bandwidth_gbps, ==, measured);
    /* Measuring what is cached measures nothing. */
    g_assert_true (bendi_hw_bandwidth_measure (same, BENDI_HW_MEASURE_CPU, dir, &error));
    g_assert_no_error (error);
    g_assert_cmpfloat (same->cpu_bandwidth_gbps, ==, measured);
  }
  /* Other memory, another processor: not theirs. */
  {
    g_autoptr (BendiHwInfo) more_ram = hw_test_machine (32 * GB, 8 * GB);
    g_autoptr (BendiHwInfo) other_cpu = hw_test_machine (16 * GB, 8 * GB);

    g_free (other_cpu->cpu_model);
    other_cpu->cpu_model = g_strdup ("Other [CPU]");
    g_assert_false (bendi_hw_bandwidth_load (more_ram, dir));
    g_assert_cmpfloat (more_ram->cpu_bandwidth_gbps, ==, 0.0);
    g_assert_false (bendi_hw_bandwidth_load (other_cpu, dir));
  }
  /* A GPU is keyed by its own device and driver. */
  {
    g_autoptr (BendiHwInfo) with_gpu = hw_test_machine (16 * GB, 8 * GB);
    BendiHwGpu *gpu = hw_test_add_gpu (with_gpu, "GPU", BENDI_VK_DEVICE_TYPE_DISCRETE, 8 * GB, 8 * GB, FALSE);

    g_assert_true (bendi_hw_bandwidth_load (with_gpu, dir));
    g_assert_cmpfloat (gpu->bandwidth_gbps, ==, 0.0);
  }
  bendi_test_remove_dir (dir);
}

/* A damaged cache is nothing measured, and is replaced. */
static void
test_damaged_cache (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *file = g_build_filename (dir, "bandwidth.ini", NULL);
  g_autoptr (BendiHwInfo) hw = hw_test_machine (16 * GB, 8 * GB);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (file, "[cpu\n\x01\xff gbps=abc\n", -1, &error);
  g_assert_no_error (error);
  g_assert_false (bendi_hw_bandwidth_load (hw, dir));
  g_assert_true (bendi_hw_bandwidth_measure (hw, BENDI_HW_MEASURE_CPU, dir, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (hw->cpu_bandwidth_gbps, >, 0.0);
  {
    g_autoptr (BendiHwInfo) again = hw_test_machine (16 * GB, 8 * GB);

    g_assert_true (bendi_hw_bandwidth_load (again, dir));
    g_assert_cmpfloat (again->cpu_bandwidth_gbps, ==, hw->cpu_bandwidth_gbps);
  }
  bendi_test_remove_dir (dir);
}

/* A cache that cannot be written is an error, but the measurement stands. */
static void
test_unwritable_cache (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *blocker = g_build_filename (dir, "file", NULL);
  g_autofree char *cache = g_build_filename (blocker, "bendi", NULL);
  g_autoptr (BendiHwInfo) hw = hw_test_machine (16 * GB, 8 * GB);
  g_autoptr (GError) error = NULL;

  /* A file where the directory would go. */
  g_file_set_contents (blocker, "", -1, &error);
  g_assert_no_error (error);
  g_assert_false (bendi_hw_bandwidth_measure (hw, BENDI_HW_MEASURE_CPU, cache, &error));
  g_assert_nonnull (error);
  g_assert_cmpfloat (hw->cpu_bandwidth_gbps, >, 0.0);
  bendi_test_remove_dir (dir);
}

/* The first Vulkan device's read bandwidth through the read shader:
 * a positive number (its size depends on the device). */
static void
test_gpu (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) devices = bendi_vk_list_devices (&error);
  const BendiVkDeviceInfo *device = NULL;
  double gbps;

  for (guint i = 0; devices != NULL && i < devices->len && device == NULL; i++)
    if (((const BendiVkDeviceInfo *) g_ptr_array_index (devices, i))->usable)
      device = g_ptr_array_index (devices, i);
  if (device == NULL)
    {
      g_test_skip ("no usable Vulkan device");
      return;
    }
  g_clear_error (&error);
  gbps = bendi_hw_gpu_bandwidth_measure (device->index, 16 << 20, 0.0, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (gbps, >, 0.0);
  g_assert_cmpuint (bendi_hw_gpu_bandwidth_default_bytes (0), ==, 64 << 20);
  g_assert_cmpuint (bendi_hw_gpu_bandwidth_default_bytes ((guint64) 2 << 30), ==, 512 << 20);
  g_assert_cmpuint (bendi_hw_gpu_bandwidth_default_bytes ((guint64) 80 << 30), ==, 1024 << 20);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/hw/bandwidth/cache", test_cache);
  g_test_add_func ("/hw/bandwidth/damaged-cache", test_damaged_cache);
  g_test_add_func ("/hw/bandwidth/unwritable-cache", test_unwritable_cache);
  g_test_add_func ("/hw/bandwidth/gpu", test_gpu);

  return g_test_run ();
}
