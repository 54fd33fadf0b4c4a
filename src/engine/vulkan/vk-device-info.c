/* SPDX-License-Identifier: MIT */
/* A device's description as bytes and back, so that a child process that
 * listed the devices can hand the list to its parent (vk-probe.c). */
#include "vulkan/vk-private.h"

#include <stddef.h>
#include <string.h>

typedef enum {
  FIELD_U32,
  FIELD_U64,
  FIELD_BOOLEAN,
  FIELD_STRING,
} FieldKind;

typedef struct {
  const char *name;
  FieldKind   kind;
  gsize       offset;
} Field;

#define FIELD(member, kind) { #member, FIELD_##kind, offsetof (BendiVkDeviceInfo, member) }

/* Every member but type, device_uuid and vendor_name (a name the vendor id
 * gives), which are carried by hand. */
static const Field fields[] = {
  FIELD (index, U32),
  FIELD (name, STRING),
  FIELD (vendor_id, U32),
  FIELD (device_id, U32),
  FIELD (driver_name, STRING),
  FIELD (driver_info, STRING),
  FIELD (driver_version, U32),
  FIELD (api_version, U32),
  FIELD (device_local_bytes, U64),
  FIELD (has_memory_budget, BOOLEAN),
  FIELD (budget_bytes, U64),
  FIELD (usage_bytes, U64),
  FIELD (uma, BOOLEAN),
  FIELD (subgroup_size, U32),
  FIELD (subgroup_size_min, U32),
  FIELD (subgroup_size_max, U32),
  FIELD (subgroup_arithmetic, BOOLEAN),
  FIELD (subgroup_shuffle, BOOLEAN),
  FIELD (fp16_storage, BOOLEAN),
  FIELD (fp16_arithmetic, BOOLEAN),
  FIELD (int8_storage, BOOLEAN),
  FIELD (int8_arithmetic, BOOLEAN),
  FIELD (integer_dot_product, BOOLEAN),
  FIELD (integer_dot_product_accelerated, BOOLEAN),
  FIELD (cooperative_matrix, BOOLEAN),
  FIELD (coopmat_m, U32),
  FIELD (coopmat_n, U32),
  FIELD (coopmat_k, U32),
  FIELD (vulkan_memory_model, BOOLEAN),
  FIELD (max_storage_buffer_range, U64),
  FIELD (max_memory_allocation_size, U64),
  FIELD (max_workgroup_invocations, U32),
  FIELD (max_shared_memory_bytes, U32),
  FIELD (max_push_constants_bytes, U32),
  FIELD (min_storage_buffer_offset_alignment, U64),
  FIELD (min_texel_buffer_offset_alignment, U64),
  FIELD (max_texel_buffer_elements, U64),
  FIELD (usable, BOOLEAN),
  FIELD (unusable_reason, STRING),
};

const char *
bendi_vk_vendor_name (guint32 vendor_id)
{
  switch (vendor_id)
    {
    case 0x1002: return "AMD";
    case 0x10de: return "NVIDIA";
    case 0x8086: return "Intel";
    case 0x13b5: return "ARM";
    case 0x5143: return "Qualcomm";
    case 0x106b: return "Apple";
    case 0x1010: return "Imagination";
    case 0x10005: return "Mesa";
    default: return "unknown";
    }
}

void
bendi_vk_device_info_free (BendiVkDeviceInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->name);
  g_free (info->driver_name);
  g_free (info->driver_info);
  g_free (info->unusable_reason);
  g_free (info);
}

/* The encoding, little-endian as the machine is (parent and child are
 * one program): each field of the table in order, a u32 as 4 bytes, a
 * u64 as 8, a boolean as 1, a string as its u32 length (STRING_NULL for
 * none) and its bytes; then the type as a u32 and the 16 bytes of the
 * UUID. The reader checks every length against what is left. */
#define STRING_NULL G_MAXUINT32

static void
put (GByteArray *out,
     const void *bytes,
     gsize       size)
{
  g_byte_array_append (out, bytes, (guint) size);
}

void
bendi_vk_device_info_write (const BendiVkDeviceInfo *info,
                            GByteArray              *out)
{
  guint32 type = info->type;

  for (gsize i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      const guint8 *member = (const guint8 *) info + fields[i].offset;

      switch (fields[i].kind)
        {
        case FIELD_U32:
          put (out, member, sizeof (guint32));
          break;
        case FIELD_U64:
          put (out, member, sizeof (guint64));
          break;
        case FIELD_BOOLEAN:
          {
            guint8 b = *(const gboolean *) member != FALSE;

            put (out, &b, 1);
          }
          break;
        case FIELD_STRING:
          {
            const char *string = *(char *const *) member;
            guint32 length = string != NULL ? (guint32) MIN (strlen (string), G_MAXUINT32 - 1) : STRING_NULL;

            put (out, &length, sizeof length);
            if (string != NULL)
              put (out, string, length);
          }
          break;
        }
    }
  put (out, &type, sizeof type);
  put (out, info->device_uuid, sizeof info->device_uuid);
}

/* Takes @size bytes from the front of *@bytes (*@left of them); FALSE
 * where there are fewer. */
static gboolean
take (const guint8 **bytes,
      gsize         *left,
      void          *dest,
      gsize          size)
{
  if (*left < size)
    return FALSE;
  memcpy (dest, *bytes, size);
  *bytes += size;
  *left -= size;
  return TRUE;
}

static gboolean
take_string (const guint8 **bytes,
             gsize         *left,
             char         **dest)
{
  guint32 length;

  if (!take (bytes, left, &length, sizeof length))
    return FALSE;
  if (length == STRING_NULL)
    return TRUE;
  if (*left < length || memchr (*bytes, '\0', length) != NULL)
    return FALSE;
  *dest = g_strndup ((const char *) *bytes, length);
  *bytes += length;
  *left -= length;
  return TRUE;
}

BendiVkDeviceInfo *
bendi_vk_device_info_read (const guint8 **bytes,
                           gsize         *left)
{
  BendiVkDeviceInfo *info = g_new0 (BendiVkDeviceInfo, 1);
  gboolean ok = TRUE;
  guint32 type;

  for (gsize i = 0; ok && i < G_N_ELEMENTS (fields); i++)
    {
      guint8 *member = (guint8 *) info + fields[i].offset;

      switch (fields[i].kind)
        {
        case FIELD_U32:
          ok = take (bytes, left, member, sizeof (guint32));
          break;
        case FIELD_U64:
          ok = take (bytes, left, member, sizeof (guint64));
          break;
        case FIELD_BOOLEAN:
          {
            guint8 b = 0;

            ok = take (bytes, left, &b, 1) && b <= 1;
            *(gboolean *) member = b;
          }
          break;
        case FIELD_STRING:
          ok = take_string (bytes, left, (char **) member);
          break;
        }
    }
  ok = ok && take (bytes, left, &type, sizeof type) && type <= BENDI_VK_DEVICE_TYPE_CPU &&
       take (bytes, left, info->device_uuid, sizeof info->device_uuid) &&
       info->name != NULL && info->driver_name != NULL && info->driver_info != NULL;
  if (!ok)
    {
      bendi_vk_device_info_free (info);
      return NULL;
    }
  info->type = (BendiVkDeviceType) type;
  info->vendor_name = bendi_vk_vendor_name (info->vendor_id);
  return info;
}
