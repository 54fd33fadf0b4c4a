/* SPDX-License-Identifier: MIT */
/* The hardware probe on fake /proc and /sys trees: cgroup v1 and v2 memory limits, SMT cores, caches; on this machine (its GPUs listed in a child); and copying a description. */
#include <glib/gstdio.h>

#include "hw-info.h"
#include "hw-probe-private.h"
#include "test-util.h"

#define GIB ((guint64) 1 << 30)
#define KIB ((guint64) 1 << 10)

/* Writes @contents to @root/@path, making directories. */
static void
put (const char *root,
     const char *path,
     const char *contents)
{
  g_autofree char *full = g_build_filename (root, path, NULL);
  g_autofree char *dir = g_path_get_dirname (full);
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (full, contents, -1, &error);
  g_assert_no_error (error);
}

static void
put_meminfo (const char *root,
             guint64     total_kib,
             guint64     available_kib)
{
  g_autofree char *text = g_strdup_printf ("MemTotal:       %" G_GUINT64_FORMAT " kB\n"
                                           "MemFree:         1000 kB\n"
                                           "MemAvailable:   %" G_GUINT64_FORMAT " kB\n"
                                           "Buffers:          100 kB\n"
                                           "Cached:          2000 kB\n",
                                           total_kib, available_kib);

  put (root, "proc/meminfo", text);
}

static BendiHwInfo *
probe_memory (const char *root)
{
  BendiHwInfo *info = bendi_hw_info_new ();

  bendi_hw_probe_memory (info, root);
  return info;
}

/* No cgroup files at all: /proc/meminfo alone. */
static void
test_memory_plain (void)
{
  g_autofree char *root = bendi_test_make_temp_dir ();
  g_autoptr (BendiHwInfo) info = NULL;

  put_meminfo (root, 64 * GIB / KIB, 50 * GIB / KIB);
  info = probe_memory (root);
  g_assert_cmpuint (info->ram_physical_bytes, ==, 64 * GIB);
  g_assert_cmpuint (info->ram_total_bytes, ==, 64 * GIB);
  g_assert_cmpuint (info->ram_available_bytes, ==, 50 * GIB);
  g_assert_false (info->ram_cgroup_limited);
  bendi_test_remove_dir (root);
}

/* Kernels before 3.14: free plus page cache. */
static void
test_memory_no_available (void)
{
  g_autofree char *root = bendi_test_make_temp_dir ();
  g_autoptr (BendiHwInfo) info = NULL;

  put (root, "proc/meminfo", "MemTotal: 8000 kB\nMemFree: 3000 kB\nCached: 1000 kB\n");
  info = probe_memory (root);
  g_assert_cmpuint (info->ram_total_bytes, ==, 8000 * KIB);
  g_assert_cmpuint (info->ram_available_bytes, ==, 4000 * KIB);
  bendi_test_remove_dir (root);
}

/* cgroup v2 (systemd, Flatpak): the tightest memory.max on the way up, and
 * the room left under it, page cache not counted as used. */
static void
test_memory_cgroup_v2 (void)
{
  g_autofree char *root = bendi_test_make_temp_dir ();
  g_autoptr (BendiHwInfo) info = NULL;
  g_autofree char *current = g_strdup_printf ("%" G_GUINT64_FORMAT "\n", 3 * GIB);
  g_autofree char *stat = g_strdup_printf ("anon 1000\nfile 2000\ninactive_anon 5\ninactive_file %" G_GUINT64_FORMAT
                                           "\nactive_file 7\n", GIB);
  g_autofree char *limit = g_strdup_printf ("%" G_GUINT64_FORMAT "\n", 8 * GIB);

  put_meminfo (root, 64 * GIB / KIB, 50 * GIB / KIB);
  put (root, "proc/self/cgroup", "0::/user.slice/user-1000.slice/app-flatpak-org.example-1.scope\n");
  put (root, "proc/self/mountinfo",
       "22 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw\n"
       "30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n");
  /* The scope has no limit of its own; the user's slice has 8 GiB. */
  put (root, "sys/fs/cgroup/user.slice/user-1000.slice/app-flatpak-org.example-1.scope/memory.max", "max\n");
  put (root, "sys/fs/cgroup/user.slice/user-1000.slice/memory.max", limit);
  put (root, "sys/fs/cgroup/user.slice/user-1000.slice/memory.current", current);
  put (root, "sys/fs/cgroup/user.slice/user-1000.slice/memory.stat", stat);
  put (root, "sys/fs/cgroup/user.slice/memory.max", "max\n");
  info = probe_memory (root);
  g_assert_cmpuint (info->ram_physical_bytes, ==, 64 * GIB);
  g_assert_cmpuint (info->ram_total_bytes, ==, 8 * GIB);
  /* 3 GiB in use, 1 GiB of it reclaimable page cache: 6 GiB left. */
  g_assert_cmpuint (info->ram_available_bytes, ==, 6 * GIB);
  g_assert_true (info->ram_cgroup_limited);
  bendi_test_remove_dir (root);
}

/* cgroup v1 (older Docker): memory.limit_in_bytes, where "no limit" is a
 * huge number. */
static void
test_memory_cgroup_v1 (void)
{
  g_autofree char *root = bendi_test_make_temp_dir ();
  g_autoptr (BendiHwInfo) info = NULL;
  g_autofree char *limit = g_strdup_printf ("%" G_GUINT64_FORMAT "\n", 4 * GIB);
  g_autofree char *usage = g_strdup_printf ("%" G_GUINT64_FORMAT "\n", GIB);

  put_meminfo (root, 32 * GIB / KIB, 20 * GIB / KIB);
  put (root, "proc/self/cgroup", "12:pids:/docker/abc\n4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n0::/\n");
  put (root, "proc/self/mountinfo",
       "31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755\n"
       "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
       "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n");
  put (root, "sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n");
  put (root, "sys/fs/cgroup/memory/docker/memory.limit_in_bytes", "9223372036854771712\n");
  put (root, "sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes", limit);
  put (root, "sys/fs/cgroup/memory/docker/abc/memory.usage_in_bytes", usage);
  put (root, "sys/fs/cgroup/memory/docker/abc/memory.stat", "cache 10\nrss 20\ntotal_inactive_file 0\n");
  info = probe_memory (root);
  g_assert_cmpuint (info->ram_total_bytes, ==, 4 * GIB);
  g_assert_cmpuint (info->ram_available_bytes, ==, 3 * GIB);
  g_assert_true (info->ram_cgroup_limited);
  bendi_test_remove_dir (root);
}

/* Inside a cgroup namespace the mount's root is the container's own
 * cgroup, and /proc/self/cgroup says "/". */
static void
test_memory_cgroup_namespace (void)
{
  g_autofree char *root = bendi_test_make_temp_dir ();
  g_autoptr (BendiHwInfo) info = NULL;
  g_autofree char *limit = g_strdup_printf ("%" G_GUINT64_FORMAT "\n", 2 * GIB);

  put_meminfo (root, 16 * GIB / KIB, 10 * GIB / KIB);
  put (root, "proc/self/cgroup", "0::/\n");
  put (root, "proc/self/mountinfo",
       "700 600 0:26 /kubepods/pod1/ctr /sys/fs/cgroup ro,nosuid - cgroup2 cgroup rw\n");
  put (root, "sys/fs/cgroup/memory.max", limit);
  put (root, "sys/fs/cgroup/memory.current", "0\n");
  info = probe_memory (root);
  g_assert_cmpuint (info->ram_total_bytes, ==, 2 * GIB);
  g_assert_cmpuint (info->ram_available_bytes, ==, 2 * GIB);
  bendi_test_remove_dir (root);
}

/* A limit above the machine's memory changes nothing. */
static void
test_memory_cgroup_loose (void)
{
  g_autofree char *root = bendi_test_make_temp_dir ();
  g_autoptr (BendiHwInfo) info = NULL;
  g_autofree char *limit = g_strdup_printf ("%" G_GUINT64_FORMAT "\n", 128 * GIB);

  put_meminfo (root, 16 * GIB / KIB, 10 * GIB / KIB);
  put (root, "proc/self/cgroup", "0::/app.slice\n");
  put (root, "proc/self/mountinfo", "30 22 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
  put (root, "sys/fs/cgroup/app.slice/memory.max", limit);
  put (root, "sys/fs/cgroup/app.slice/memory.current", "0\n");
  info = probe_memory (root);
  g_assert_cmpuint (info->ram_total_bytes, ==, 16 * GIB);
  g_assert_cmpuint (info->ram_available_bytes, ==, 10 * GIB);
  g_assert_false (info->ram_cgroup_limited);
  bendi_test_remove_dir (root);
}

static void
put_cpu (const char *root,
         int         cpu,
         int         core)
{
  g_autofree char *dir = g_strdup_printf ("sys/devices/system/cpu/cpu%d", cpu);
  g_autofree char *core_path = g_build_filename (dir, "topology/core_id", NULL);
  g_autofree char *package_path = g_build_filename (dir, "topology/physical_package_id", NULL);
  g_autofree char *core_text = g_strdup_printf ("%d\n", core);
  const char *caches[][4] = {
    { "index0", "1", "Data", "48K" },
    { "index1", "1", "Instruction", "32K" },
    { "index2", "2", "Unified", "2048K" },
    { "index3", "3", "Unified", "32M" },
  };

  put (root, core_path, core_text);
  put (root, package_path, "0\n");
  for (gsize i = 0; i < G_N_ELEMENTS (caches); i++)
    {
      g_autofree char *level = g_build_filename (dir, "cache", caches[i][0], "level", NULL);
      g_autofree char *type = g_build_filename (dir, "cache", caches[i][0], "type", NULL);
      g_autofree char *size = g_build_filename (dir, "cache", caches[i][0], "size", NULL);

      put (root, level, caches[i][1]);
      put (root, type, caches[i][2]);
      put (root, size, caches[i][3]);
    }
}

/* Four logical CPUs on two cores (two threads each); an offline CPU has no
 * topology. */
static void
test_cpu_topology (void)
{
  g_autofree char *root = bendi_test_make_temp_dir ();
  g_autoptr (BendiHwInfo) info = bendi_hw_info_new ();

  put (root, "proc/cpuinfo",
       "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Test Processor 9000\nflags\t\t: fpu\n\n"
       "processor\t: 1\nmodel name\t: Test Processor 9000\n");
  put_cpu (root, 0, 0);
  put_cpu (root, 1, 1);
  put_cpu (root, 2, 0);
  put_cpu (root, 3, 1);
  put (root, "sys/devices/system/cpu/cpu4/online", "0\n");
  put (root, "sys/devices/system/cpu/cpufreq/policy0", "x");

  bendi_hw_probe_cpu (info, root);
  g_assert_cmpstr (info->cpu_model, ==, "Test Processor 9000");
  g_assert_cmpint (info->logical_cores, ==, 4);
  g_assert_cmpint (info->physical_cores, ==, 2);
  g_assert_cmpuint (info->l1d_cache_bytes, ==, 48 * KIB);
  g_assert_cmpuint (info->l2_cache_bytes, ==, 2048 * KIB);
  g_assert_cmpuint (info->l3_cache_bytes, ==, 32 * 1024 * KIB);
  g_assert_nonnull (info->simd);
  g_assert_nonnull (info->kernels);
  bendi_test_remove_dir (root);
}

/* ARM boards name no model; no sysfs falls back on what we may run on. */
static void
test_cpu_sparse (void)
{
  g_autofree char *root = bendi_test_make_temp_dir ();
  g_autoptr (BendiHwInfo) info = bendi_hw_info_new ();

  put (root, "proc/cpuinfo", "processor\t: 0\nBogoMIPS\t: 48.00\nHardware\t: Test Board\n");
  bendi_hw_probe_cpu (info, root);
  g_assert_cmpstr (info->cpu_model, ==, "Test Board");
  g_assert_cmpint (info->logical_cores, ==, (int) g_get_num_processors ());
  g_assert_cmpint (info->physical_cores, ==, info->logical_cores);
  bendi_test_remove_dir (root);
}

/* This machine: numbers that hold on any Linux system. */
static void
test_this_machine (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *missing = g_build_filename (dir, "not", "yet", "models", NULL);
  g_autoptr (BendiHwInfo) info = bendi_hw_info_probe (missing);

  g_assert_cmpint (info->logical_cores, >=, 1);
  g_assert_cmpint (info->physical_cores, >=, 1);
  g_assert_cmpint (info->physical_cores, <=, info->logical_cores);
  g_assert_cmpuint (info->ram_total_bytes, >, 0);
  g_assert_cmpuint (info->ram_available_bytes, <=, info->ram_total_bytes);
  g_assert_cmpuint (info->ram_total_bytes, <=, info->ram_physical_bytes);
  /* The directory does not exist: its parent's file system answers. */
  g_assert_cmpstr (info->models_dir, ==, missing);
  g_assert_cmpuint (info->disk_free_bytes, >, 0);
  g_assert_cmpfloat (info->cpu_bandwidth_gbps, ==, 0.0);
  {
    g_autoptr (BendiHwInfo) no_dir = bendi_hw_info_probe (NULL);

    g_assert_null (no_dir->models_dir);
    g_assert_cmpuint (no_dir->disk_free_bytes, ==, 0);
  }
  /* No Vulkan is a note, not a failure. */
  g_assert_true (info->gpus->len > 0 || info->gpu_note != NULL);
  for (guint i = 0; i < info->gpus->len; i++)
    {
      const BendiHwGpu *gpu = g_ptr_array_index (info->gpus, i);

      g_assert_nonnull (gpu->name);
      g_assert_nonnull (gpu->cache_key);
    }
  /* The GPUs were listed in a child: no driver is mapped here (the app
   * would otherwise keep lavapipe's LLVM for nothing). */
  bendi_test_assert_no_driver_mapped ("after probing the hardware");
  bendi_test_remove_dir (dir);
}

/* A new field in either struct changes its size and stops this test from
 * building: copy the field in bendi_hw_info_copy () or bendi_hw_gpu_copy ()
 * (a pointer needs its own copy) and check it below, then update the size. */
#if GLIB_SIZEOF_VOID_P == 8 && GLIB_SIZEOF_LONG == 8
G_STATIC_ASSERT (sizeof (BendiHwInfo) == 128);
G_STATIC_ASSERT (sizeof (BendiHwGpu) == 96);
#endif

static BendiHwGpu *
described_gpu (guint index)
{
  BendiHwGpu *gpu = bendi_hw_gpu_new ();

  gpu->index = index;
  gpu->name = g_strdup_printf ("GPU %u", index);
  gpu->vendor = g_strdup ("Vendor");
  gpu->type = BENDI_VK_DEVICE_TYPE_DISCRETE;
  gpu->driver = g_strdup ("driver 1.2");
  gpu->vram_bytes = 8 * GIB + index;
  gpu->vram_free_bytes = 6 * GIB + index;
  gpu->has_memory_budget = TRUE;
  gpu->uma = TRUE;
  gpu->usable = TRUE;
  gpu->features = g_strdup ("fp16 storage, int8 storage");
  gpu->cache_key = g_strdup_printf ("10de:2684:%u", index);
  gpu->bandwidth_gbps = 900.5 + index;
  return gpu;
}

/* Every field differs from a fresh description's zero, so a field the
 * copy leaves behind reads 0 or NULL; the original is freed before the
 * copy is read, so a string or GPU it shares is a use after free (ASan). */
static void
test_info_copy (void)
{
  BendiHwInfo *info = bendi_hw_info_new ();
  g_autoptr (BendiHwInfo) copy = NULL;

  info->cpu_model = g_strdup ("Test CPU");
  info->logical_cores = 16;
  info->physical_cores = 8;
  info->simd = g_strdup ("AVX2 AVX-512");
  info->kernels = g_strdup ("AVX-512 VNNI");
  info->l1d_cache_bytes = 48 * KIB;
  info->l2_cache_bytes = 2048 * KIB;
  info->l3_cache_bytes = 32768 * KIB;
  info->ram_physical_bytes = 64 * GIB;
  info->ram_total_bytes = 32 * GIB;
  info->ram_available_bytes = 20 * GIB;
  info->ram_cgroup_limited = TRUE;
  info->models_dir = g_strdup ("/models");
  info->disk_free_bytes = 500 * GIB;
  info->cpu_bandwidth_gbps = 80.25;
  info->gpu_note = g_strdup ("a note");
  bendi_hw_info_add_gpu (info, described_gpu (0));
  bendi_hw_info_add_gpu (info, described_gpu (1));

  copy = bendi_hw_info_copy (info);
  g_assert_true (copy->gpus != info->gpus);
  bendi_hw_info_free (info);

  g_assert_cmpstr (copy->cpu_model, ==, "Test CPU");
  g_assert_cmpint (copy->logical_cores, ==, 16);
  g_assert_cmpint (copy->physical_cores, ==, 8);
  g_assert_cmpstr (copy->simd, ==, "AVX2 AVX-512");
  g_assert_cmpstr (copy->kernels, ==, "AVX-512 VNNI");
  g_assert_cmpuint (copy->l1d_cache_bytes, ==, 48 * KIB);
  g_assert_cmpuint (copy->l2_cache_bytes, ==, 2048 * KIB);
  g_assert_cmpuint (copy->l3_cache_bytes, ==, 32768 * KIB);
  g_assert_cmpuint (copy->ram_physical_bytes, ==, 64 * GIB);
  g_assert_cmpuint (copy->ram_total_bytes, ==, 32 * GIB);
  g_assert_cmpuint (copy->ram_available_bytes, ==, 20 * GIB);
  g_assert_true (copy->ram_cgroup_limited);
  g_assert_cmpstr (copy->models_dir, ==, "/models");
  g_assert_cmpuint (copy->disk_free_bytes, ==, 500 * GIB);
  g_assert_cmpfloat (copy->cpu_bandwidth_gbps, ==, 80.25);
  g_assert_cmpstr (copy->gpu_note, ==, "a note");
  g_assert_cmpuint (copy->gpus->len, ==, 2);
  for (guint i = 0; i < copy->gpus->len; i++)
    {
      const BendiHwGpu *gpu = g_ptr_array_index (copy->gpus, i);
      g_autofree char *name = g_strdup_printf ("GPU %u", i);
      g_autofree char *cache_key = g_strdup_printf ("10de:2684:%u", i);

      g_assert_cmpuint (gpu->index, ==, i);
      g_assert_cmpstr (gpu->name, ==, name);
      g_assert_cmpstr (gpu->vendor, ==, "Vendor");
      g_assert_cmpint (gpu->type, ==, BENDI_VK_DEVICE_TYPE_DISCRETE);
      g_assert_cmpstr (gpu->driver, ==, "driver 1.2");
      g_assert_cmpuint (gpu->vram_bytes, ==, 8 * GIB + i);
      g_assert_cmpuint (gpu->vram_free_bytes, ==, 6 * GIB + i);
      g_assert_true (gpu->has_memory_budget);
      g_assert_true (gpu->uma);
      g_assert_true (gpu->usable);
      g_assert_cmpstr (gpu->features, ==, "fp16 storage, int8 storage");
      g_assert_cmpstr (gpu->cache_key, ==, cache_key);
      g_assert_cmpfloat (gpu->bandwidth_gbps, ==, 900.5 + i);
    }

  /* A copy of a copy still owns everything: the GPU copy alone too. */
  {
    g_autoptr (BendiHwGpu) gpu = bendi_hw_gpu_copy (g_ptr_array_index (copy->gpus, 1));

    g_clear_pointer (&copy, bendi_hw_info_free);
    g_assert_cmpstr (gpu->name, ==, "GPU 1");
    g_assert_cmpstr (gpu->cache_key, ==, "10de:2684:1");
  }
}

/* Refreshing reads this machine's RAM again and leaves the rest alone. */
static void
test_info_refresh_memory (void)
{
  g_autoptr (BendiHwInfo) info = bendi_hw_info_new ();

  info->cpu_model = g_strdup ("Test CPU");
  info->disk_free_bytes = 7;
  info->ram_physical_bytes = 1;
  info->ram_total_bytes = 1;
  info->ram_available_bytes = 1;
  bendi_hw_info_add_gpu (info, described_gpu (0));

  bendi_hw_info_refresh_memory (info);
  /* Any Linux system has more than a byte of RAM. */
  g_assert_cmpuint (info->ram_physical_bytes, >, 1);
  g_assert_cmpuint (info->ram_total_bytes, >, 1);
  g_assert_cmpuint (info->ram_total_bytes, <=, info->ram_physical_bytes);
  g_assert_cmpuint (info->ram_available_bytes, <=, info->ram_total_bytes);
  g_assert_cmpstr (info->cpu_model, ==, "Test CPU");
  g_assert_cmpuint (info->disk_free_bytes, ==, 7);
  g_assert_cmpuint (info->gpus->len, ==, 1);
}

/* A GPU found by its Vulkan index, which need not be its position: the
 * probe leaves out no device, but a description made by hand may. */
static void
test_info_find_gpu (void)
{
  g_autoptr (BendiHwInfo) info = bendi_hw_info_new ();

  g_assert_cmpint (bendi_hw_info_find_gpu (info, 0), ==, -1);
  bendi_hw_info_add_gpu (info, described_gpu (2));
  bendi_hw_info_add_gpu (info, described_gpu (0));
  g_assert_cmpint (bendi_hw_info_find_gpu (info, 0), ==, 1);
  g_assert_cmpint (bendi_hw_info_find_gpu (info, 2), ==, 0);
  g_assert_cmpint (bendi_hw_info_find_gpu (info, 1), ==, -1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/hw/probe/memory-plain", test_memory_plain);
  g_test_add_func ("/hw/probe/memory-no-available", test_memory_no_available);
  g_test_add_func ("/hw/probe/memory-cgroup-v2", test_memory_cgroup_v2);
  g_test_add_func ("/hw/probe/memory-cgroup-v1", test_memory_cgroup_v1);
  g_test_add_func ("/hw/probe/memory-cgroup-namespace", test_memory_cgroup_namespace);
  g_test_add_func ("/hw/probe/memory-cgroup-loose", test_memory_cgroup_loose);
  g_test_add_func ("/hw/probe/cpu-topology", test_cpu_topology);
  g_test_add_func ("/hw/probe/cpu-sparse", test_cpu_sparse);
  g_test_add_func ("/hw/probe/this-machine", test_this_machine);
  g_test_add_func ("/hw/info/copy", test_info_copy);
  g_test_add_func ("/hw/info/refresh-memory", test_info_refresh_memory);
  g_test_add_func ("/hw/info/find-gpu", test_info_find_gpu);

  return g_test_run ();
}
