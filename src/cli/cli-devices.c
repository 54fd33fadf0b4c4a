/* SPDX-License-Identifier: MIT */
/* bendi-cli devices: the Vulkan devices Bendi sees and what each can do. */
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "cli-commands.h"
#include "vulkan/vk-device.h"

static char *
format_version (guint32 version)
{
  /* VK_MAKE_API_VERSION's packing: 7 bits major, 10 minor, 12 patch. */
  return g_strdup_printf ("%u.%u.%u", (version >> 22) & 0x7fu, (version >> 12) & 0x3ffu, version & 0xfffu);
}

/* The optional features, as one comma-separated line. */
static char *
format_features (const BendiVkDeviceInfo *info)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  g_autofree char *coopmat = NULL;

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
    g_ptr_array_add (names, info->integer_dot_product_accelerated ? "integer dot product (accelerated)"
                                                                  : "integer dot product (not accelerated)");
  if (info->cooperative_matrix)
    {
      coopmat = info->coopmat_m > 0 ? g_strdup_printf ("cooperative matrix (%u×%u×%u in f16)", info->coopmat_m,
                                                       info->coopmat_n, info->coopmat_k)
                                    : g_strdup ("cooperative matrix (no shape Bendi's kernels take)");
      g_ptr_array_add (names, coopmat);
    }
  if (names->len == 0)
    return g_strdup ("none");
  g_ptr_array_add (names, NULL);
  return g_strjoinv (", ", (char **) names->pdata);
}

static void
print_text (GPtrArray  *devices,
            const char *reason)
{
  if (devices == NULL || devices->len == 0)
    {
      printf ("No Vulkan devices%s%s\n", reason != NULL ? ": " : "", reason != NULL ? reason : "");
      return;
    }
  for (guint i = 0; i < devices->len; i++)
    {
      const BendiVkDeviceInfo *info = g_ptr_array_index (devices, i);
      g_autofree char *api = format_version (info->api_version);
      g_autofree char *vram = g_format_size (info->device_local_bytes);
      g_autofree char *features = format_features (info);
      g_autofree char *binding = g_format_size_full (info->max_storage_buffer_range, G_FORMAT_SIZE_IEC_UNITS);
      g_autofree char *allocation = g_format_size_full (info->max_memory_allocation_size, G_FORMAT_SIZE_IEC_UNITS);
      g_autofree char *shared = g_format_size_full (info->max_shared_memory_bytes, G_FORMAT_SIZE_IEC_UNITS);

      printf ("%u: %s\n", info->index, info->name);
      printf ("   type:       %s\n", bendi_vk_device_type_name (info->type));
      printf ("   vendor:     %s (0x%04x), device 0x%04x\n", info->vendor_name, info->vendor_id, info->device_id);
      printf ("   driver:     %s%s%s, Vulkan %s\n", info->driver_name, *info->driver_info != '\0' ? " " : "",
              info->driver_info, api);
      printf ("   memory:     %s device-local%s", vram, info->uma ? ", shared with the host (UMA)" : "");
      if (info->has_memory_budget)
        {
          g_autofree char *budget = g_format_size (info->budget_bytes);
          g_autofree char *usage = g_format_size (info->usage_bytes);

          printf (", budget %s, %s in use", budget, usage);
        }
      printf ("\n");
      printf ("   subgroups:  %u (%u to %u)\n", info->subgroup_size, info->subgroup_size_min, info->subgroup_size_max);
      printf ("   features:   %s\n", features);
      printf ("   limits:     binding %s, allocation %s, workgroup %u invocations, shared memory %s\n",
              binding, allocation, info->max_workgroup_invocations, shared);
      if (info->usable)
        printf ("   usable:     yes\n");
      else
        printf ("   usable:     no, %s\n", info->unusable_reason);
    }
}

static void
add_int (JsonBuilder *builder,
         const char  *name,
         gint64       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

static void
add_bool (JsonBuilder *builder,
          const char  *name,
          gboolean     value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_boolean_value (builder, value);
}

static void
add_string (JsonBuilder *builder,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
print_json (GPtrArray  *devices,
            const char *reason)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  add_string (builder, "error", reason);
  json_builder_set_member_name (builder, "devices");
  json_builder_begin_array (builder);
  for (guint i = 0; devices != NULL && i < devices->len; i++)
    {
      const BendiVkDeviceInfo *info = g_ptr_array_index (devices, i);
      g_autofree char *api = format_version (info->api_version);
      g_autoptr (GString) uuid = g_string_new (NULL);

      for (gsize b = 0; b < G_N_ELEMENTS (info->device_uuid); b++)
        g_string_append_printf (uuid, "%02x", info->device_uuid[b]);

      json_builder_begin_object (builder);
      add_int (builder, "index", info->index);
      add_string (builder, "name", info->name);
      add_string (builder, "type", bendi_vk_device_type_name (info->type));
      add_string (builder, "vendor", info->vendor_name);
      add_int (builder, "vendor_id", info->vendor_id);
      add_int (builder, "device_id", info->device_id);
      add_string (builder, "device_uuid", uuid->str);
      add_string (builder, "driver_name", info->driver_name);
      add_string (builder, "driver_info", info->driver_info);
      add_int (builder, "driver_version", info->driver_version);
      add_string (builder, "api_version", api);
      add_int (builder, "device_local_bytes", (gint64) info->device_local_bytes);
      add_bool (builder, "memory_budget", info->has_memory_budget);
      if (info->has_memory_budget)
        {
          add_int (builder, "budget_bytes", (gint64) info->budget_bytes);
          add_int (builder, "usage_bytes", (gint64) info->usage_bytes);
        }
      add_bool (builder, "uma", info->uma);
      add_int (builder, "subgroup_size", info->subgroup_size);
      add_int (builder, "subgroup_size_min", info->subgroup_size_min);
      add_int (builder, "subgroup_size_max", info->subgroup_size_max);
      add_bool (builder, "subgroup_arithmetic", info->subgroup_arithmetic);
      add_bool (builder, "fp16_storage", info->fp16_storage);
      add_bool (builder, "fp16_arithmetic", info->fp16_arithmetic);
      add_bool (builder, "int8_storage", info->int8_storage);
      add_bool (builder, "int8_arithmetic", info->int8_arithmetic);
      add_bool (builder, "integer_dot_product", info->integer_dot_product);
      add_bool (builder, "integer_dot_product_accelerated", info->integer_dot_product_accelerated);
      add_bool (builder, "cooperative_matrix", info->cooperative_matrix);
      if (info->coopmat_m > 0)
        {
          g_autofree char *shape = g_strdup_printf ("%ux%ux%u", info->coopmat_m, info->coopmat_n, info->coopmat_k);

          add_string (builder, "cooperative_matrix_shape", shape);
        }
      else
        add_string (builder, "cooperative_matrix_shape", NULL);
      add_int (builder, "max_storage_buffer_range", (gint64) info->max_storage_buffer_range);
      add_int (builder, "max_memory_allocation_size", (gint64) info->max_memory_allocation_size);
      add_int (builder, "max_workgroup_invocations", info->max_workgroup_invocations);
      add_int (builder, "max_shared_memory_bytes", info->max_shared_memory_bytes);
      add_bool (builder, "usable", info->usable);
      add_string (builder, "unusable_reason", info->unusable_reason);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  printf ("%s\n", text);
}

int
bendi_cli_devices (int    argc,
                   char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { NULL }
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) devices = NULL;

  if (!bendi_cli_parse_options (&argc, &argv, NULL, "List the Vulkan devices Bendi can compute on.", entries))
    return BENDI_CLI_EXIT_USAGE;
  if (argc != 1)
    {
      bendi_cli_print_error ("devices takes no arguments");
      return BENDI_CLI_EXIT_USAGE;
    }

  /* No loader or no device is an answer, not a failure. */
  devices = bendi_vk_list_devices (&error);
  if (json)
    print_json (devices, error != NULL ? error->message : NULL);
  else
    print_text (devices, error != NULL ? error->message : NULL);
  return BENDI_CLI_EXIT_OK;
}
