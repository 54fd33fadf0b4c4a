/* SPDX-License-Identifier: MIT */
/* What this computer has for running models: processor, memory, disk, GPUs and their measured bandwidths.
 *
 * A BendiHwInfo is plain data. bendi_hw_info_probe () fills one in from
 * the running system; the fit estimator and its tests may also build one
 * by hand (a described machine: "an 8 GB discrete GPU, 16 GB of RAM").
 */
#pragma once

#include <glib.h>

#include "vulkan/vk-device.h"

G_BEGIN_DECLS

typedef struct {
  guint              index;            /* as bendi_vk_list_devices () orders them */
  char              *name;
  char              *vendor;
  BendiVkDeviceType  type;
  char              *driver;
  guint64            vram_bytes;       /* the device-local heaps */
  /* What this program may still allocate from them: the memory budget
   * (VK_EXT_memory_budget) less what is in use, which counts what other
   * programs hold; without a budget, all of vram_bytes. */
  guint64            vram_free_bytes;
  gboolean           has_memory_budget;
  gboolean           uma;              /* the device-local memory is system RAM */
  gboolean           usable;           /* Bendi can compute on it */
  char              *features;         /* the optional features the engine uses, comma-separated */
  /* Identifies this device and driver for the bandwidth cache. */
  char              *cache_key;
  double             bandwidth_gbps;   /* measured device-memory read speed; 0: not measured */
} BendiHwGpu;

typedef struct {
  char       *cpu_model;
  int         logical_cores;
  int         physical_cores;
  char       *simd;                    /* "AVX2 AVX-VNNI AVX-512 …" */
  char       *kernels;                 /* the engine's kernel family: "AVX-512 VNNI" */
  guint64     l1d_cache_bytes;         /* per core */
  guint64     l2_cache_bytes;          /* per core */
  guint64     l3_cache_bytes;          /* one instance, shared by its cores */

  guint64     ram_physical_bytes;      /* MemTotal */
  /* What this program may use: the physical memory, or less under a
   * cgroup limit (a container, a systemd slice, a Flatpak sandbox). */
  guint64     ram_total_bytes;
  /* Of that, what is not in use: MemAvailable, or less when the cgroup's
   * limit is nearer. */
  guint64     ram_available_bytes;
  gboolean    ram_cgroup_limited;

  char       *models_dir;              /* NULL: not asked */
  guint64     disk_free_bytes;         /* for this user, in models_dir or its nearest existing parent */

  double      cpu_bandwidth_gbps;      /* measured memory read speed, all cores; 0: not measured */

  GPtrArray  *gpus;                    /* of BendiHwGpu, in device order */
  char       *gpu_note;                /* why there are none (no Vulkan loader…), or NULL */
} BendiHwInfo;

BendiHwGpu  *bendi_hw_gpu_new   (void) G_GNUC_WARN_UNUSED_RESULT;
/* A deep copy: its strings are its own. */
BendiHwGpu  *bendi_hw_gpu_copy  (const BendiHwGpu *self) G_GNUC_WARN_UNUSED_RESULT;
void         bendi_hw_gpu_free  (BendiHwGpu *self);

/* An empty description (no GPU, nothing known), to fill in by hand. */
BendiHwInfo *bendi_hw_info_new  (void) G_GNUC_WARN_UNUSED_RESULT;
/* A deep copy: its strings and GPUs are its own, so it outlives @self and
 * may be handed to another thread. */
BendiHwInfo *bendi_hw_info_copy (const BendiHwInfo *self) G_GNUC_WARN_UNUSED_RESULT;
void         bendi_hw_info_free (BendiHwInfo *self);

/* Takes @gpu. */
void         bendi_hw_info_add_gpu (BendiHwInfo *self,
                                    BendiHwGpu  *gpu);
/* The position in gpus of Vulkan device @index (BendiHwGpu.index), or -1
 * when the description has no such device. */
int          bendi_hw_info_find_gpu (const BendiHwInfo *self,
                                     guint              index);

/* Describes this computer; @models_dir (the hub's setting), when not
 * NULL, is where free disk space is counted. Never fails: what cannot be
 * read stays 0 (a machine without a Vulkan loader or GPU is a normal case;
 * gpu_note says why). Bandwidths are 0: see hw-bandwidth.h. */
BendiHwInfo *bendi_hw_info_probe (const char *models_dir) G_GNUC_WARN_UNUSED_RESULT;

/* Reads the RAM figures again (ram_physical_bytes, ram_total_bytes,
 * ram_available_bytes, ram_cgroup_limited), as bendi_hw_info_probe ()
 * does: free memory changes from one minute to the next, and reading it
 * takes a few small files in /proc, unlike the GPUs' probe. */
void         bendi_hw_info_refresh_memory (BendiHwInfo *self);

/* "AMD Ryzen 7 7840U, 8 cores, 31.2 GB": identifies the processor and
 * memory for the bandwidth cache, so a measurement is not reused on other
 * hardware (a moved home directory, a memory upgrade). */
char        *bendi_hw_info_cpu_cache_key (const BendiHwInfo *self) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiHwGpu, bendi_hw_gpu_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiHwInfo, bendi_hw_info_free)

G_END_DECLS
