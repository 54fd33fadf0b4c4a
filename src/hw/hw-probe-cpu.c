/* SPDX-License-Identifier: MIT */
/* The processor: its name, logical and physical cores (threads sharing a core count once) and caches, from /proc and sysfs. */
#define G_LOG_DOMAIN "bendi-hw"

#include "hw-probe-private.h"

#include <string.h>

#include "cpu/cpu-features.h"

#define CPU_DIR "sys/devices/system/cpu"

/* The value of the first "@key<tabs>: value" line of /proc/cpuinfo. */
static char *
cpuinfo_value (const char *cpuinfo,
               const char *key)
{
  g_auto (GStrv) lines = g_strsplit (cpuinfo, "\n", -1);

  for (gsize i = 0; lines[i] != NULL; i++)
    {
      const char *colon = strchr (lines[i], ':');

      if (colon == NULL || strncmp (lines[i], key, strlen (key)) != 0)
        continue;
      if (strspn (lines[i] + strlen (key), " \t") != (gsize) (colon - lines[i]) - strlen (key))
        continue;
      return g_strstrip (g_strdup (colon + 1));
    }
  return NULL;
}

static char *
read_line (const char *dir,
           const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  return g_strstrip (text);
}

/* "48K", "2048K", "32M" → bytes. */
static guint64
parse_cache_size (const char *text)
{
  char *end;
  guint64 v = g_ascii_strtoull (text, &end, 10);

  if (end == text)
    return 0;
  switch (g_ascii_toupper (*end))
    {
    case 'K': return v << 10;
    case 'M': return v << 20;
    case 'G': return v << 30;
    default: return v;
    }
}

/* Data and unified caches of @cpu_dir, by level. */
static void
read_caches (BendiHwInfo *info,
             const char  *cpu_dir)
{
  for (int index = 0; index < 16; index++)
    {
      g_autofree char *name = g_strdup_printf ("cache/index%d", index);
      g_autofree char *dir = g_build_filename (cpu_dir, name, NULL);
      g_autofree char *level = read_line (dir, "level");
      g_autofree char *type = read_line (dir, "type");
      g_autofree char *size = read_line (dir, "size");
      guint64 bytes;

      if (level == NULL || type == NULL || size == NULL)
        break;
      if (g_str_equal (type, "Instruction"))
        continue;
      bytes = parse_cache_size (size);
      if (g_str_equal (level, "1"))
        info->l1d_cache_bytes = bytes;
      else if (g_str_equal (level, "2"))
        info->l2_cache_bytes = bytes;
      else if (g_str_equal (level, "3"))
        info->l3_cache_bytes = bytes;
    }
}

static char *
describe_simd (const BendiCpuFeatures *f)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new ();

  if (f->avx2)
    g_ptr_array_add (names, "AVX2");
  if (f->avx_vnni)
    g_ptr_array_add (names, "AVX-VNNI");
  if (f->avx512)
    g_ptr_array_add (names, "AVX-512");
  if (f->avx512_vnni)
    g_ptr_array_add (names, "AVX-512 VNNI");
  if (f->avx512_bf16)
    g_ptr_array_add (names, "AVX-512 BF16");
  if (f->neon)
    g_ptr_array_add (names, "NEON");
  if (names->len == 0)
    return g_strdup ("none");
  g_ptr_array_add (names, NULL);
  return g_strjoinv (", ", (char **) names->pdata);
}

void
bendi_hw_probe_cpu (BendiHwInfo *info,
                    const char  *root)
{
  g_autofree char *cpuinfo_path = g_build_filename (root, "proc/cpuinfo", NULL);
  g_autofree char *cpuinfo = NULL;
  g_autofree char *cpus_path = g_build_filename (root, CPU_DIR, NULL);
  g_autoptr (GDir) cpus = g_dir_open (cpus_path, 0, NULL);
  g_autoptr (GHashTable) cores = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *first_cpu = NULL;
  const BendiCpuFeatures *features = bendi_cpu_features_get ();
  const char *entry;
  int logical = 0;

  if (g_file_get_contents (cpuinfo_path, &cpuinfo, NULL, NULL))
    {
      /* x86 says "model name"; ARM boards at best a "Hardware" line. */
      info->cpu_model = cpuinfo_value (cpuinfo, "model name");
      if (info->cpu_model == NULL)
        info->cpu_model = cpuinfo_value (cpuinfo, "Hardware");
    }
  if (info->cpu_model == NULL)
    info->cpu_model = g_strdup ("unknown processor");

  /* An offline CPU has no topology directory. Threads of one core share
   * (package, core). */
  while (cpus != NULL && (entry = g_dir_read_name (cpus)) != NULL)
    {
      g_autofree char *topology = NULL;
      g_autofree char *package = NULL;
      g_autofree char *core = NULL;

      if (!g_str_has_prefix (entry, "cpu") || !g_ascii_isdigit (entry[3]) ||
          strspn (entry + 3, "0123456789") != strlen (entry + 3))
        continue;
      topology = g_build_filename (cpus_path, entry, "topology", NULL);
      package = read_line (topology, "physical_package_id");
      core = read_line (topology, "core_id");
      if (core == NULL)
        continue;
      logical++;
      g_hash_table_add (cores, g_strdup_printf ("%s:%s", package != NULL ? package : "0", core));
      if (first_cpu == NULL || g_str_equal (entry, "cpu0"))
        {
          g_free (first_cpu);
          first_cpu = g_build_filename (cpus_path, entry, NULL);
        }
    }
  if (logical == 0)
    {
      /* No sysfs (some containers): every processor we may run on. */
      logical = (int) g_get_num_processors ();
      info->physical_cores = logical;
    }
  else
    info->physical_cores = (int) g_hash_table_size (cores);
  info->logical_cores = logical;
  if (first_cpu != NULL)
    read_caches (info, first_cpu);

  info->simd = describe_simd (features);
  info->kernels = g_strdup (bendi_cpu_features_describe (features));
}
