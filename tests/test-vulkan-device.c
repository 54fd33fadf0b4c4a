/* SPDX-License-Identifier: MIT */
/* The Vulkan device layer: listing, no loader, buffers and staging, tensors split across bindings, out of memory, the pipeline cache. */
#include <string.h>
#include <glib/gstdio.h>

#include "engine-error.h"
#include "test-util.h"
#include "test-vulkan-util.h"
#include "vulkan/vk-ops.h"
#include "vulkan/vk-private.h"

static void
test_list (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) devices = bendi_vk_list_devices (&error);

  if (devices == NULL)
    {
      g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_UNSUPPORTED);
      g_test_skip (error->message);
      return;
    }
  for (guint i = 0; i < devices->len; i++)
    {
      const BendiVkDeviceInfo *info = g_ptr_array_index (devices, i);

      g_assert_cmpuint (info->index, ==, i);
      g_assert_nonnull (info->name);
      g_assert_nonnull (info->vendor_name);
      g_assert_true (info->usable || info->unusable_reason != NULL);
      if (info->usable)
        {
          /* What Vulkan 1.2 guarantees, and what the shaders rely on. */
          g_assert_cmpuint (info->max_storage_buffer_range, >=, 128u * 1024 * 1024 - 1);
          g_assert_cmpuint (info->max_workgroup_invocations, >=, 256);
          g_assert_cmpuint (info->max_shared_memory_bytes, >=, 16384);
          g_assert_cmpuint (info->subgroup_size, >=, 1);
          g_assert_cmpuint (info->device_local_bytes, >, 0);
        }
    }
}

/* Without a loader Vulkan is simply absent: an UNSUPPORTED error that
 * says so, in a child process that never opened the real loader. */
static void
test_no_loader (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) devices = bendi_vk_list_devices (&error);
      g_autoptr (BendiVkDevice) device = NULL;

      g_assert_null (devices);
      g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_UNSUPPORTED);
      g_assert_nonnull (strstr (error->message, "No Vulkan loader"));
      g_clear_error (&error);
      device = bendi_vk_device_new (0, NULL, &error);
      g_assert_null (device);
      g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_UNSUPPORTED);
      return;
    }
  g_setenv ("BENDI_VULKAN_LOADER", "/nonexistent/libvulkan.so.1", TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_unsetenv ("BENDI_VULKAN_LOADER");
  g_test_trap_assert_passed ();
}

/* Devices and listings share the process's instance. Where a real GPU is
 * present it is kept for the rest of the process, since NVIDIA's driver
 * breaks after some ten instances made and destroyed (see vk-instance.c);
 * where there are only CPU devices it goes with its last user. Kept (as
 * the tests can ask on lavapipe), forty opens and listings later the
 * devices still hang off the first instance. */
static void
test_one_instance (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) listed = bendi_vk_list_devices (&error);
  g_autoptr (BendiVkDevice) first = bendi_test_vk_device_new (NULL);
  gboolean have_gpu = FALSE;
  guint index, made;
  VkInstance instance;

  if (first == NULL)
    return;
  for (guint i = 0; i < listed->len; i++)
    have_gpu |= ((const BendiVkDeviceInfo *) g_ptr_array_index (listed, i))->type != BENDI_VK_DEVICE_TYPE_CPU;
  g_assert_cmpint (first->instance->kept, ==, have_gpu);
  index = bendi_vk_device_get_info (first)->index;
  g_clear_pointer (&first, bendi_vk_device_free);

  /* This program's last user is gone: the next device makes the instance
   * again, this time to be kept. */
  g_setenv ("BENDI_VULKAN_TEST_KEEP_INSTANCE", "1", TRUE);
  first = bendi_vk_device_new (index, NULL, &error);
  g_unsetenv ("BENDI_VULKAN_TEST_KEEP_INSTANCE");
  g_assert_no_error (error);
  g_assert_true (first->instance->kept);
  instance = first->instance->instance;
  made = bendi_vk_instances_made ();
  g_clear_pointer (&first, bendi_vk_device_free);
  for (int i = 0; i < 40; i++)
    {
      g_autoptr (GPtrArray) devices = bendi_vk_list_devices (&error);
      g_autoptr (BendiVkDevice) device = bendi_vk_device_new (index, NULL, &error);

      g_assert_no_error (error);
      g_assert_nonnull (devices);
      g_assert_true (device->instance->instance == instance);
    }
  g_assert_cmpuint (bendi_vk_instances_made (), ==, made);

  /* Not kept, an instance goes with its last user: on lavapipe, the
   * validation slot's (unused so far in this program) acquired and
   * released twice is made twice. */
  if (!have_gpu)
    {
      BendiVkInstance *unkept = NULL;

      made = bendi_vk_instances_made ();
      for (int i = 0; i < 2; i++)
        {
          unkept = bendi_vk_instance_acquire (TRUE, &error);
          g_assert_no_error (error);
          g_assert_false (unkept->kept);
          bendi_vk_instance_release (unkept);
        }
      g_assert_cmpuint (bendi_vk_instances_made (), ==, made + 2);
    }
}

static void
test_bad_index (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) devices = bendi_vk_list_devices (&error);
  g_autoptr (BendiVkDevice) device = NULL;

  if (devices == NULL)
    {
      g_test_skip (error->message);
      return;
    }
  device = bendi_vk_device_new (devices->len + 3, NULL, &error);
  g_assert_null (device);
  g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_ARGUMENT);
}

/* Round trips through device memory, mapped and through staging buffers,
 * at odd offsets and sizes; views; clearing. */
static void
check_buffers (gboolean force_staging)
{
  g_autoptr (BendiVkDevice) device = NULL;
  g_autoptr (BendiVkBuffer) buffer = NULL;
  g_autoptr (BendiVkBuffer) view = NULL;
  g_autoptr (BendiVkBuffer) host = NULL;
  g_autoptr (GError) error = NULL;
  /* Over one 16 MiB staging piece. */
  gsize size = 17 * 1024 * 1024 + 3;
  g_autofree guint8 *data = g_malloc (size);
  g_autofree guint8 *back = g_malloc0 (size);
  BendiVkDeviceParams params;
  guint64 alignment;

  bendi_vk_device_params_init (&params);
  params.cache_dir = "";
  params.force_staging = force_staging;
  device = bendi_test_vk_device_new (&params);
  if (device == NULL)
    return;
  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) (i * 7 + i / 251);

  buffer = bendi_vk_buffer_new (device, size, BENDI_VK_MEMORY_DEVICE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bendi_vk_buffer_get_size (buffer), ==, size);
  if (force_staging)
    g_assert_null (bendi_vk_buffer_get_mapped (buffer));
  g_assert_true (bendi_vk_buffer_upload (buffer, 0, data, size, &error));
  g_assert_no_error (error);
  g_assert_true (bendi_vk_buffer_download (buffer, 0, back, size, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (data, size, back, size);

  /* Partial copies at odd offsets. */
  memset (back, 0, 100);
  g_assert_true (bendi_vk_buffer_upload (buffer, 5, "hello", 5, &error));
  g_assert_true (bendi_vk_buffer_download (buffer, 3, back, 9, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (back + 2, 5, "hello", 5);
  g_assert_cmpmem (back, 2, data + 3, 2);
  g_assert_cmpmem (back + 7, 2, data + 10, 2);

  /* Out of range copies are refused. */
  g_assert_false (bendi_vk_buffer_download (buffer, size - 2, back, 3, &error));
  g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* Views see their part of the parent. */
  alignment = MAX (bendi_vk_device_get_info (device)->min_storage_buffer_offset_alignment, 4);
  g_assert_null (bendi_vk_buffer_new_view (buffer, alignment + 1, 16, &error));
  g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  view = bendi_vk_buffer_new_view (buffer, 4 * alignment, 64, &error);
  g_assert_no_error (error);
  g_assert_true (bendi_vk_buffer_download (view, 0, back, 64, &error));
  g_assert_cmpmem (back, 64, data + 4 * alignment, 64);

  /* Host memory is mapped. */
  host = bendi_vk_buffer_new (device, 10, BENDI_VK_MEMORY_HOST, &error);
  g_assert_no_error (error);
  g_assert_nonnull (bendi_vk_buffer_get_mapped (host));

  g_assert_true (bendi_vk_buffer_clear (buffer, &error));
  g_assert_no_error (error);
  g_assert_true (bendi_vk_buffer_download (buffer, size - 100, back, 100, &error));
  for (gsize i = 0; i < 100; i++)
    g_assert_cmpuint (back[i], ==, 0);
}

static void
test_buffers_mapped (void)
{
  check_buffers (FALSE);
}

static void
test_buffers_staging (void)
{
  check_buffers (TRUE);
}

static void
test_out_of_memory (void)
{
  g_autoptr (BendiVkDevice) device = bendi_test_vk_device_new (NULL);
  g_autoptr (BendiVkBuffer) buffer = NULL;
  g_autoptr (BendiVkTensor) tensor = NULL;
  g_autoptr (GError) error = NULL;

  if (device == NULL)
    return;
  /* Over any driver's allocation limit. */
  buffer = bendi_vk_buffer_new (device, (gsize) 1 << 46, BENDI_VK_MEMORY_DEVICE, &error);
  g_assert_null (buffer);
  g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_NO_MEMORY);
  g_clear_error (&error);
  /* Each chunk fits a binding, but together they are over the memory. */
  tensor = bendi_vk_tensor_new (device, BENDI_TENSOR_TYPE_F32, 16384, (gint64) 1 << 26, &error);
  g_assert_null (tensor);
  g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_NO_MEMORY);
  g_clear_error (&error);
  /* A row wider than a binding cannot be split. */
  tensor = bendi_vk_tensor_new (device, BENDI_TENSOR_TYPE_F32,
                                (gint64) bendi_vk_device_get_info (device)->max_storage_buffer_range, 1, &error);
  g_assert_null (tensor);
  g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_UNSUPPORTED);
  g_clear_error (&error);
  /* Not a whole number of blocks. */
  tensor = bendi_vk_tensor_new (device, BENDI_TENSOR_TYPE_Q4_0, 33, 1, &error);
  g_assert_null (tensor);
  g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_ARGUMENT);
}

typedef struct {
  guint  calls;
  double last;
  guint  cancel_at;  /* 0: never */
} Progress;

static gboolean
progress_cb (double   fraction,
             gpointer user_data)
{
  Progress *p = user_data;

  g_assert_cmpfloat (fraction, >=, p->last);
  g_assert_cmpfloat (fraction, <=, 1.0);
  p->last = fraction;
  return ++p->calls != p->cancel_at;
}

static void
check_tensor_upload (gboolean force_staging)
{
  g_autoptr (BendiVkDevice) device = NULL;
  g_autoptr (BendiVkTensor) tensor = NULL;
  g_autoptr (GError) error = NULL;
  BendiVkDeviceParams params;
  gint64 n_cols = 4096, n_rows = 3000;   /* 48 MB of F32, three staging pieces */
  gsize bytes = (gsize) (n_cols * n_rows) * 4;
  g_autofree float *data = g_new (float, n_cols * n_rows);
  g_autofree float *back = g_new0 (float, n_cols * 7);
  Progress progress = { 0 };

  bendi_vk_device_params_init (&params);
  params.cache_dir = "";
  params.force_staging = force_staging;
  params.max_binding_bytes = 20 * 1024 * 1024;
  device = bendi_test_vk_device_new (&params);
  if (device == NULL)
    return;
  for (gint64 i = 0; i < n_cols * n_rows; i++)
    data[i] = (float) i;
  tensor = bendi_vk_tensor_new (device, BENDI_TENSOR_TYPE_F32, n_cols, n_rows, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bendi_vk_tensor_get_n_chunks (tensor), ==, 3);

  g_assert_true (bendi_vk_tensor_upload (tensor, data, progress_cb, &progress, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (progress.last, ==, 1.0);
  g_assert_cmpuint (progress.calls, >=, 3);

  /* Chunks hold consecutive whole rows. */
  for (guint i = 0, next_row = 0; i < bendi_vk_tensor_get_n_chunks (tensor); i++)
    {
      const BendiVkTensorChunk *chunk = bendi_vk_tensor_get_chunk (tensor, i);
      gsize chunk_bytes = (gsize) chunk->n_rows * n_cols * 4;

      g_assert_cmpint (chunk->first_row, ==, next_row);
      g_assert_cmpuint (chunk_bytes, <=, params.max_binding_bytes);
      next_row += (guint) chunk->n_rows;
      g_assert_true (bendi_vk_buffer_download (chunk->buffer, chunk_bytes - sizeof (float) * n_cols * 7,
                                               back, sizeof (float) * n_cols * 7, &error));
      g_assert_no_error (error);
      g_assert_cmpmem (back, sizeof (float) * n_cols * 7,
                       data + (chunk->first_row + chunk->n_rows - 7) * n_cols, sizeof (float) * n_cols * 7);
    }
  g_assert_cmpuint (bytes, ==, bendi_vk_tensor_get_row_bytes (tensor) * n_rows);

  /* Cancelled on the second report. */
  progress = (Progress) { .cancel_at = 2 };
  g_assert_false (bendi_vk_tensor_upload (tensor, data, progress_cb, &progress, &error));
  g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_CANCELLED);
  g_assert_cmpuint (progress.calls, ==, 2);
}

static void
test_tensor_upload_mapped (void)
{
  check_tensor_upload (FALSE);
}

static void
test_tensor_upload_staging (void)
{
  check_tensor_upload (TRUE);
}

/* Building a pipeline fills the cache, which lands on disk when the
 * device closes; a second device starts from it. */
static void
test_pipeline_cache (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autoptr (GDir) listing = NULL;
  g_autoptr (GError) error = NULL;
  BendiVkDeviceParams params;
  const char *name;
  guint n_files = 0;

  bendi_vk_device_params_init (&params);
  params.cache_dir = dir;
  for (guint round = 0; round < 2; round++)
    {
      g_autoptr (BendiVkDevice) device = bendi_test_vk_device_new (&params);
      g_autoptr (BendiVkRecorder) rec = NULL;
      g_autoptr (BendiVkBuffer) x = NULL;

      if (device == NULL)
        {
          bendi_test_remove_dir (dir);
          return;
        }
      x = bendi_vk_buffer_new (device, 64, BENDI_VK_MEMORY_DEVICE, &error);
      g_assert_no_error (error);
      rec = bendi_vk_recorder_new (device, &error);
      g_assert_no_error (error);
      bendi_vk_recorder_begin (rec);
      bendi_vk_op_softmax (rec, x, 16, 16, 1);
      bendi_test_vk_run (rec);
    }
  listing = g_dir_open (dir, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *contents = NULL;
      gsize size = 0;

      g_assert_true (g_str_has_prefix (name, "vulkan-pipelines-"));
      g_assert_true (g_file_get_contents (path, &contents, &size, NULL));
      g_assert_cmpuint (size, >, 0);
      n_files++;
    }
  g_assert_cmpuint (n_files, ==, 1);
  bendi_test_remove_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/vulkan-device/list", test_list);
  g_test_add_func ("/engine/vulkan-device/no-loader", test_no_loader);
  g_test_add_func ("/engine/vulkan-device/bad-index", test_bad_index);
  g_test_add_func ("/engine/vulkan-device/one-instance", test_one_instance);
  g_test_add_func ("/engine/vulkan-device/buffers-mapped", test_buffers_mapped);
  g_test_add_func ("/engine/vulkan-device/buffers-staging", test_buffers_staging);
  g_test_add_func ("/engine/vulkan-device/out-of-memory", test_out_of_memory);
  g_test_add_func ("/engine/vulkan-device/tensor-upload-mapped", test_tensor_upload_mapped);
  g_test_add_func ("/engine/vulkan-device/tensor-upload-staging", test_tensor_upload_staging);
  g_test_add_func ("/engine/vulkan-device/pipeline-cache", test_pipeline_cache);

  return g_test_run ();
}
