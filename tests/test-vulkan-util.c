/* SPDX-License-Identifier: MIT */
/* Helpers shared by the Vulkan tests. */
#include "test-vulkan-util.h"

#include <string.h>

#include "engine-error.h"

BendiVkDevice *
bendi_test_vk_device_new (const BendiVkDeviceParams *params)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) devices = bendi_vk_list_devices (&error);
  const char *wanted = g_getenv ("BENDI_VULKAN_TEST_DEVICE");
  BendiVkDeviceParams defaults;
  BendiVkDevice *device;
  gint index = -1;

  if (devices == NULL)
    {
      g_autofree char *message = g_strdup_printf ("no Vulkan: %s", error->message);

      g_test_skip (message);
      return NULL;
    }
  if (wanted != NULL && *wanted != '\0')
    index = (gint) g_ascii_strtoll (wanted, NULL, 10);
  else
    for (guint i = 0; i < devices->len && index < 0; i++)
      if (((BendiVkDeviceInfo *) g_ptr_array_index (devices, i))->usable)
        index = (gint) i;
  if (index < 0)
    {
      g_test_skip ("no usable Vulkan device");
      return NULL;
    }
  if (params == NULL)
    {
      bendi_vk_device_params_init (&defaults);
      defaults.cache_dir = "";
      params = &defaults;
    }
  device = bendi_vk_device_new ((guint) index, params, &error);
  g_assert_no_error (error);
  return device;
}

BendiVkBuffer *
bendi_test_vk_upload (BendiVkDevice *device,
                      const void    *data,
                      gsize          size)
{
  g_autoptr (GError) error = NULL;
  BendiVkBuffer *buffer = bendi_vk_buffer_new (device, size, BENDI_VK_MEMORY_DEVICE, &error);

  g_assert_no_error (error);
  bendi_vk_buffer_upload (buffer, 0, data, size, &error);
  g_assert_no_error (error);
  return buffer;
}

BendiVkBuffer *
bendi_test_vk_poisoned (BendiVkDevice *device,
                        gsize          size)
{
  g_autofree guint8 *poison = g_malloc (size);

  memset (poison, 0xff, size);
  return bendi_test_vk_upload (device, poison, size);
}

float *
bendi_test_vk_download (BendiVkBuffer *buffer)
{
  g_autoptr (GError) error = NULL;
  gsize size = bendi_vk_buffer_get_size (buffer);
  float *data = g_malloc (MAX (size, 4));

  bendi_vk_buffer_download (buffer, 0, data, size, &error);
  g_assert_no_error (error);
  return data;
}

void
bendi_test_vk_run (BendiVkRecorder *rec)
{
  g_autoptr (GError) error = NULL;

  bendi_vk_recorder_end (rec, &error);
  g_assert_no_error (error);
  bendi_vk_recorder_submit_and_wait (rec, &error);
  g_assert_no_error (error);
}

float *
bendi_test_random_floats (GRand *rand,
                          gsize  n,
                          float  scale)
{
  float *values = g_new (float, MAX (n, 1));

  for (gsize i = 0; i < n; i++)
    values[i] = (float) g_rand_double_range (rand, -scale, scale);
  return values;
}
