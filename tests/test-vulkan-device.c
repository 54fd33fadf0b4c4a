/* SPDX-License-Identifier: MIT */
/* The Vulkan device layer: listing (here and in a child), no loader, buffers and staging, tensors split across bindings, out of memory, the pipeline cache. */
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

/* Runs the current test again in a subprocess whose Vulkan loader is
 * @loader, and asserts that it passed. */
static void
trap_with_loader (const char *loader)
{
  g_setenv ("BENDI_VULKAN_LOADER", loader, TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_unsetenv ("BENDI_VULKAN_LOADER");
  g_test_trap_assert_passed ();
}

/* Whether two descriptions agree in every member: the strings by value,
 * the rest byte for byte (both come zeroed from g_new0, padding too). */
static void
assert_same_info (const BendiVkDeviceInfo *a,
                  const BendiVkDeviceInfo *b)
{
  BendiVkDeviceInfo x = *a, y = *b;

  g_assert_cmpstr (a->name, ==, b->name);
  g_assert_cmpstr (a->driver_name, ==, b->driver_name);
  g_assert_cmpstr (a->driver_info, ==, b->driver_info);
  g_assert_cmpstr (a->unusable_reason, ==, b->unusable_reason);
  x.name = y.name = x.driver_name = y.driver_name = NULL;
  x.driver_info = y.driver_info = x.unusable_reason = y.unusable_reason = NULL;
  g_assert_cmpmem (&x, sizeof x, &y, sizeof y);
}

/* Listed in a child, the devices are the ones listed here, member for
 * member, and no driver is loaded here until this process lists them
 * itself. Run in a process of its own, which has opened no loader. */
static void
test_list_in_child (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) in_child = NULL;
  g_autoptr (GPtrArray) here = NULL;

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
      return;
    }
  in_child = bendi_vk_list_devices_in_child (&error);
  g_assert_false (bendi_vk_loader_is_open ());
  here = bendi_vk_list_devices (NULL);
  if (here == NULL)
    {
      g_assert_null (in_child);
      g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_UNSUPPORTED);
      g_test_message ("no Vulkan here: only the error was compared (%s)", error->message);
      return;
    }
  g_assert_no_error (error);
  g_assert_cmpuint (in_child->len, ==, here->len);
  for (guint i = 0; i < here->len; i++)
    assert_same_info (g_ptr_array_index (in_child, i), g_ptr_array_index (here, i));
}

/* In a test's subprocess: listing in a child fails with an UNSUPPORTED
 * error that says @fragment, whether or not the caller asks for the
 * error, and leaves no driver loaded here. */
static void
assert_listing_fails (const char *fragment)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) devices = bendi_vk_list_devices_in_child (&error);

  g_assert_null (devices);
  g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, fragment));
  g_assert_null (bendi_vk_list_devices_in_child (NULL));
  g_assert_false (bendi_vk_loader_is_open ());
}

/* Without a loader the child's error comes back as it was. */
static void
test_list_in_child_no_loader (void)
{
  if (g_test_subprocess ())
    {
      assert_listing_fails ("No Vulkan loader");
      return;
    }
  trap_with_loader ("/nonexistent/libvulkan.so.1");
}

/* What a driver prints on standard output is no part of the answer: the
 * loader's own error comes back, not an unreadable answer. */
static void
test_list_in_child_chatty_driver (void)
{
  const char *chatty = g_getenv ("BENDI_TEST_CHATTY_VULKAN");

  if (chatty == NULL)
    {
      g_test_skip ("BENDI_TEST_CHATTY_VULKAN (set by meson test) names no chatty loader");
      return;
    }
  if (g_test_subprocess ())
    {
      assert_listing_fails ("Bendi needs 1.1 or later");
      return;
    }
  trap_with_loader (chatty);
  g_test_trap_assert_stderr ("*fake driver: asked for*");
}

/* A child that fails, or answers what no listing is, is a broken driver
 * to the caller: an error, nothing listed here instead. */
static void
test_list_in_child_bad_program (void)
{
  const char *programs[][2] = { { "false", "failed (exit status 1)" }, { "true", "could not be read" } };

  if (g_test_subprocess ())
    {
      g_autofree char *reason = NULL;

      assert_listing_fails (g_getenv ("EXPECTED"));
      g_assert_cmpint (bendi_vk_probe_in_child (&reason), ==, BENDI_VK_PROBE_BROKEN);
      g_assert_nonnull (strstr (reason, g_getenv ("EXPECTED")));
      return;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (programs); i++)
    {
      g_autofree char *path = g_find_program_in_path (programs[i][0]);

      if (path == NULL)
        {
          g_test_skip ("no true or false program");
          return;
        }
      g_setenv ("BENDI_VULKAN_PROBE", path, TRUE);
      g_setenv ("EXPECTED", programs[i][1], TRUE);
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_unsetenv ("BENDI_VULKAN_PROBE");
      g_unsetenv ("EXPECTED");
      g_test_trap_assert_passed ();
    }
}

/* A description comes back as it went, and one cut short anywhere, or
 * with a value no description has, is refused rather than read. */
static void
test_info_bytes (void)
{
  BendiVkDeviceInfo info = {
    .index = 3, .name = (char *) "dev", .vendor_id = 0x10de, .type = BENDI_VK_DEVICE_TYPE_DISCRETE,
    .driver_name = (char *) "drv", .driver_info = (char *) "", .device_local_bytes = G_MAXUINT64,
    .fp16_storage = TRUE, .max_texel_buffer_elements = 1u << 27, .unusable_reason = (char *) "why not",
    .device_uuid = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 },
  };
  g_autoptr (GByteArray) out = g_byte_array_new ();
  const guint8 *bytes;
  gsize left;
  BendiVkDeviceInfo *back;

  info.vendor_name = bendi_vk_vendor_name (info.vendor_id);
  bendi_vk_device_info_write (&info, out);
  bytes = out->data;
  left = out->len;
  back = bendi_vk_device_info_read (&bytes, &left);
  g_assert_nonnull (back);
  g_assert_cmpuint (left, ==, 0);
  g_assert_true (bytes == out->data + out->len);
  assert_same_info (back, &info);
  bendi_vk_device_info_free (back);

  for (gsize cut = 0; cut < out->len; cut++)
    {
      bytes = out->data;
      left = cut;
      g_assert_null (bendi_vk_device_info_read (&bytes, &left));
    }

  /* The type, then the UUID, end the encoding. */
  out->data[out->len - 16 - 4] = 9;
  bytes = out->data;
  left = out->len;
  g_assert_null (bendi_vk_device_info_read (&bytes, &left));
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
  trap_with_loader ("/nonexistent/libvulkan.so.1");
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
  g_test_add_func ("/engine/vulkan-device/list-in-child", test_list_in_child);
  g_test_add_func ("/engine/vulkan-device/list-in-child-no-loader", test_list_in_child_no_loader);
  g_test_add_func ("/engine/vulkan-device/list-in-child-bad-program", test_list_in_child_bad_program);
  g_test_add_func ("/engine/vulkan-device/list-in-child-chatty-driver", test_list_in_child_chatty_driver);
  g_test_add_func ("/engine/vulkan-device/info-bytes", test_info_bytes);
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
