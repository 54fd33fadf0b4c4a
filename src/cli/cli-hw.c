/* SPDX-License-Identifier: MIT */
/* bendi-cli hw: what this computer has for running models, with measured memory bandwidths. */
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "cli-commands.h"
#include "hub-config.h"
#include "hw-bandwidth.h"
#include "hw-info.h"

static char *
format_bandwidth (double gbps)
{
  if (gbps <= 0.0)
    return g_strdup ("not measured (bendi-cli hw --measure)");
  return g_strdup_printf ("%.1f GB/s read", gbps);
}

static void
print_text (const BendiHwInfo *hw)
{
  g_autofree char *l1 = g_format_size_full (hw->l1d_cache_bytes, G_FORMAT_SIZE_IEC_UNITS);
  g_autofree char *l2 = g_format_size_full (hw->l2_cache_bytes, G_FORMAT_SIZE_IEC_UNITS);
  g_autofree char *l3 = g_format_size_full (hw->l3_cache_bytes, G_FORMAT_SIZE_IEC_UNITS);
  g_autofree char *ram_total = g_format_size (hw->ram_total_bytes);
  g_autofree char *ram_available = g_format_size (hw->ram_available_bytes);
  g_autofree char *ram_physical = g_format_size (hw->ram_physical_bytes);
  g_autofree char *disk = g_format_size (hw->disk_free_bytes);
  g_autofree char *cpu_bandwidth = format_bandwidth (hw->cpu_bandwidth_gbps);

  printf ("processor:  %s\n", hw->cpu_model);
  printf ("cores:      %d physical, %d logical\n", hw->physical_cores, hw->logical_cores);
  printf ("simd:       %s (kernels: %s)\n", hw->simd, hw->kernels);
  printf ("caches:     L1d %s and L2 %s per core, L3 %s\n", l1, l2, l3);
  printf ("memory:     %s, %s available", ram_total, ram_available);
  if (hw->ram_cgroup_limited)
    printf (" (a cgroup limit: the machine has %s)", ram_physical);
  printf ("\n");
  printf ("bandwidth:  %s\n", cpu_bandwidth);
  printf ("disk:       %s free in %s\n", disk, hw->models_dir);
  if (hw->gpus->len == 0)
    printf ("gpus:       none%s%s\n", hw->gpu_note != NULL ? ": " : "", hw->gpu_note != NULL ? hw->gpu_note : "");
  for (guint i = 0; i < hw->gpus->len; i++)
    {
      const BendiHwGpu *gpu = g_ptr_array_index (hw->gpus, i);
      g_autofree char *vram = g_format_size (gpu->vram_bytes);
      g_autofree char *vram_free = g_format_size (gpu->vram_free_bytes);
      g_autofree char *bandwidth = format_bandwidth (gpu->bandwidth_gbps);

      printf ("gpu %u:      %s (%s, %s)\n", gpu->index, gpu->name, gpu->vendor, bendi_vk_device_type_name (gpu->type));
      printf ("   driver:    %s\n", gpu->driver);
      printf ("   memory:    %s%s, %s free%s\n", vram, gpu->uma ? " shared with the system (UMA)" : "", vram_free,
              gpu->has_memory_budget ? "" : " (no memory budget: what others use is unknown)");
      printf ("   features:  %s\n", *gpu->features != '\0' ? gpu->features : "none");
      printf ("   bandwidth: %s\n", gpu->type == BENDI_VK_DEVICE_TYPE_CPU || !gpu->usable
                                    ? "not measured (not a device to offload to)" : bandwidth);
      printf ("   usable:    %s\n", gpu->usable ? "yes" : "no");
    }
}

static void
add_int (JsonBuilder *b,
         const char  *name,
         gint64       value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static void
add_string (JsonBuilder *b,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_bool (JsonBuilder *b,
          const char  *name,
          gboolean     value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_boolean_value (b, value);
}

/* A bandwidth, or null when not measured. */
static void
add_bandwidth (JsonBuilder *b,
               const char  *name,
               double       gbps)
{
  json_builder_set_member_name (b, name);
  if (gbps > 0.0)
    json_builder_add_double_value (b, gbps);
  else
    json_builder_add_null_value (b);
}

static void
print_json (const BendiHwInfo *hw,
            double             measure_seconds)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  add_string (b, "cpu_model", hw->cpu_model);
  add_int (b, "logical_cores", hw->logical_cores);
  add_int (b, "physical_cores", hw->physical_cores);
  add_string (b, "simd", hw->simd);
  add_string (b, "kernels", hw->kernels);
  add_int (b, "l1d_cache_bytes", (gint64) hw->l1d_cache_bytes);
  add_int (b, "l2_cache_bytes", (gint64) hw->l2_cache_bytes);
  add_int (b, "l3_cache_bytes", (gint64) hw->l3_cache_bytes);
  add_int (b, "ram_physical_bytes", (gint64) hw->ram_physical_bytes);
  add_int (b, "ram_total_bytes", (gint64) hw->ram_total_bytes);
  add_int (b, "ram_available_bytes", (gint64) hw->ram_available_bytes);
  add_bool (b, "ram_cgroup_limited", hw->ram_cgroup_limited);
  add_string (b, "models_dir", hw->models_dir);
  add_int (b, "disk_free_bytes", (gint64) hw->disk_free_bytes);
  add_bandwidth (b, "cpu_bandwidth_gbps", hw->cpu_bandwidth_gbps);
  if (measure_seconds >= 0.0)
    {
      json_builder_set_member_name (b, "measure_seconds");
      json_builder_add_double_value (b, measure_seconds);
    }
  add_string (b, "gpu_note", hw->gpu_note);
  json_builder_set_member_name (b, "gpus");
  json_builder_begin_array (b);
  for (guint i = 0; i < hw->gpus->len; i++)
    {
      const BendiHwGpu *gpu = g_ptr_array_index (hw->gpus, i);

      json_builder_begin_object (b);
      add_int (b, "index", gpu->index);
      add_string (b, "name", gpu->name);
      add_string (b, "vendor", gpu->vendor);
      add_string (b, "type", bendi_vk_device_type_name (gpu->type));
      add_string (b, "driver", gpu->driver);
      add_int (b, "vram_bytes", (gint64) gpu->vram_bytes);
      add_int (b, "vram_free_bytes", (gint64) gpu->vram_free_bytes);
      add_bool (b, "memory_budget", gpu->has_memory_budget);
      add_bool (b, "uma", gpu->uma);
      add_bool (b, "usable", gpu->usable);
      add_string (b, "features", gpu->features);
      add_bandwidth (b, "bandwidth_gbps", gpu->bandwidth_gbps);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  printf ("%s\n", text);
}

int
bendi_cli_hw (int    argc,
              char **argv)
{
  g_autofree char *models_dir = NULL;
  gboolean json = FALSE, measure = FALSE;
  GOptionEntry entries[] = {
    { "measure", 0, 0, G_OPTION_ARG_NONE, &measure, "Measure the memory bandwidths now (a few seconds) and cache them",
      NULL },
    { "models-dir", 0, 0, G_OPTION_ARG_FILENAME, &models_dir,
      "Where models go, for the free disk space (default: the hub's)", "DIR" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { NULL }
  };
  g_autoptr (BendiHwInfo) hw = NULL;
  g_autoptr (GError) error = NULL;
  double measure_seconds = -1.0;

  if (!bendi_cli_parse_options (&argc, &argv, NULL, "Describe this computer's processor, memory, disk and GPUs.",
                                entries))
    return BENDI_CLI_EXIT_USAGE;
  if (argc != 1)
    {
      bendi_cli_print_error ("hw takes no arguments");
      return BENDI_CLI_EXIT_USAGE;
    }

  /* Models go where the hub puts them. */
  if (models_dir == NULL)
    {
      g_autoptr (BendiHubConfig) config = bendi_hub_config_new_from_environment ();

      models_dir = g_strdup (bendi_hub_config_get_models_dir (config));
    }
  hw = bendi_hw_info_probe (models_dir);
  if (measure)
    {
      gint64 start = g_get_monotonic_time ();

      if (!bendi_hw_bandwidth_measure (hw, BENDI_HW_MEASURE_CPU | BENDI_HW_MEASURE_GPUS | BENDI_HW_MEASURE_AGAIN,
                                       NULL, &error))
        bendi_cli_print_error ("the measurements could not be cached: %s", error->message);
      measure_seconds = (double) (g_get_monotonic_time () - start) * 1e-6;
    }
  else
    bendi_hw_bandwidth_load (hw, NULL);

  if (json)
    print_json (hw, measure_seconds);
  else
    print_text (hw);
  return BENDI_CLI_EXIT_OK;
}

BendiHwInfo *
bendi_cli_probe_hw (gboolean measure_missing)
{
  BendiHwInfo *hw = bendi_hw_info_probe (NULL);
  g_autoptr (GError) error = NULL;

  if (bendi_hw_bandwidth_load (hw, NULL) || !measure_missing)
    return hw;
  fprintf (stderr, "bendi-cli: measuring the memory bandwidth once (it is cached)…\n");
  if (!bendi_hw_bandwidth_measure (hw, BENDI_HW_MEASURE_CPU | BENDI_HW_MEASURE_GPUS, NULL, &error))
    bendi_cli_print_error ("the measurements could not be cached: %s", error->message);
  return hw;
}
