/* SPDX-License-Identifier: MIT */
/* Recording dispatches with the barriers they need, and replaying the recording. */
#include "vulkan/vk-recorder.h"

#include "engine-error.h"
#include "vulkan/vk-private.h"

/* Descriptor sets per pool; a recording that needs more opens another. */
#define SETS_PER_POOL 256
#define MAX_BINDINGS  8

typedef struct {
  VkBuffer     buffer;
  VkDeviceSize begin;
  VkDeviceSize end;
} Range;

struct _BendiVkRecorder {
  BendiVkDevice   *device;
  VkCommandPool    command_pool;
  VkCommandBuffer  commands;
  VkFence          fence;
  GArray          *descriptor_pools;  /* of VkDescriptorPool */
  guint            pool_in_use;       /* index of the pool sets come from */
  gboolean         recording;
  gboolean         ready;             /* ended successfully: may be submitted */
  GError          *error;
  guint            n_dispatches;
  guint            n_barriers;
  /* What dispatches since the last barrier read and wrote. */
  GArray          *reads;             /* of Range */
  GArray          *writes;            /* of Range */
  /* Scratch buffers of the recording, the largest last: ops' intermediate
   * results (quantised activations). Only the largest outlives a begin. */
  GPtrArray       *scratch;           /* of BendiVkBuffer */
  /* Dispatch timing (vk-recorder.h): timestamp 0 at the start, i + 1
   * after times[i]. */
  VkQueryPool      timestamps;
  GArray          *times;             /* of BendiVkDispatchTime */
  guint64          n_runs;
};

BendiVkRecorder *
bendi_vk_recorder_new (BendiVkDevice  *device,
                       GError        **error)
{
  g_autoptr (BendiVkRecorder) self = g_new0 (BendiVkRecorder, 1);
  VkCommandPoolCreateInfo pool_info = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
    .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
    .queueFamilyIndex = device->queue_family,
  };
  VkCommandBufferAllocateInfo alloc_info = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
    .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
    .commandBufferCount = 1,
  };
  VkFenceCreateInfo fence_info = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
  VkResult result;

  self->device = device;
  self->descriptor_pools = g_array_new (FALSE, FALSE, sizeof (VkDescriptorPool));
  self->reads = g_array_new (FALSE, FALSE, sizeof (Range));
  self->writes = g_array_new (FALSE, FALSE, sizeof (Range));
  self->scratch = g_ptr_array_new_with_free_func ((GDestroyNotify) bendi_vk_buffer_free);
  self->times = g_array_new (FALSE, FALSE, sizeof (BendiVkDispatchTime));

  /* A pool per recorder: command pools must not be shared between threads. */
  result = device->fn.vkCreateCommandPool (device->device, &pool_info, NULL, &self->command_pool);
  if (result == VK_SUCCESS)
    {
      alloc_info.commandPool = self->command_pool;
      result = device->fn.vkAllocateCommandBuffers (device->device, &alloc_info, &self->commands);
    }
  if (result == VK_SUCCESS)
    result = device->fn.vkCreateFence (device->device, &fence_info, NULL, &self->fence);
  if (result == VK_SUCCESS && bendi_vk_device_times_dispatches (device))
    {
      VkQueryPoolCreateInfo query_info = {
        .sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
        .queryType = VK_QUERY_TYPE_TIMESTAMP,
        .queryCount = BENDI_VK_MAX_TIMED_DISPATCHES + 1,
      };

      result = device->fn.vkCreateQueryPool (device->device, &query_info, NULL, &self->timestamps);
    }
  if (result != VK_SUCCESS)
    {
      bendi_vk_set_error (error, result, "Creating a command recorder");
      return NULL;
    }
  return g_steal_pointer (&self);
}

void
bendi_vk_recorder_free (BendiVkRecorder *self)
{
  BendiVkDevice *device;

  if (self == NULL)
    return;
  device = self->device;
  for (guint i = 0; i < self->descriptor_pools->len; i++)
    device->fn.vkDestroyDescriptorPool (device->device,
                                        g_array_index (self->descriptor_pools, VkDescriptorPool, i), NULL);
  if (self->fence != VK_NULL_HANDLE)
    device->fn.vkDestroyFence (device->device, self->fence, NULL);
  if (self->timestamps != VK_NULL_HANDLE)
    device->fn.vkDestroyQueryPool (device->device, self->timestamps, NULL);
  if (self->command_pool != VK_NULL_HANDLE)
    device->fn.vkDestroyCommandPool (device->device, self->command_pool, NULL);
  g_array_unref (self->descriptor_pools);
  g_array_unref (self->reads);
  g_array_unref (self->writes);
  g_ptr_array_unref (self->scratch);
  g_array_unref (self->times);
  g_clear_error (&self->error);
  g_free (self);
}

BendiVkBuffer *
bendi_vk_recorder_get_scratch (BendiVkRecorder *self,
                               gsize            size)
{
  BendiVkBuffer *largest = self->scratch->len > 0 ? g_ptr_array_index (self->scratch, self->scratch->len - 1) : NULL;
  GError *error = NULL;
  BendiVkBuffer *buffer;

  if (self->error != NULL)
    return NULL;
  if (largest != NULL && bendi_vk_buffer_get_size (largest) >= size)
    return largest;
  /* Earlier dispatches of this recording keep the smaller one bound; it
   * goes at the next begin. Growing by half again keeps the count low. */
  if (largest != NULL)
    size = MAX (size, bendi_vk_buffer_get_size (largest) / 2 * 3);
  buffer = bendi_vk_buffer_new (self->device, size, BENDI_VK_MEMORY_DEVICE, &error);
  if (buffer == NULL)
    {
      bendi_vk_recorder_fail (self, error);
      return NULL;
    }
  g_ptr_array_add (self->scratch, buffer);
  return buffer;
}

void
bendi_vk_recorder_fail (BendiVkRecorder *self,
                        GError          *error)
{
  if (self->error == NULL)
    self->error = error;
  else
    g_error_free (error);
}

gboolean
bendi_vk_recorder_failed (const BendiVkRecorder *self)
{
  return self->error != NULL;
}

static void
fail_with_result (BendiVkRecorder *self,
                  VkResult         result,
                  const char      *what)
{
  GError *error = NULL;

  bendi_vk_set_error (&error, result, what);
  bendi_vk_recorder_fail (self, error);
}

void
bendi_vk_recorder_begin (BendiVkRecorder *self)
{
  BendiVkDevice *device = self->device;
  VkCommandBufferBeginInfo begin = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO };
  VkResult result;

  g_clear_error (&self->error);
  self->ready = FALSE;
  self->n_dispatches = 0;
  self->n_barriers = 0;
  self->pool_in_use = 0;
  g_array_set_size (self->times, 0);
  self->n_runs = 0;
  g_array_set_size (self->reads, 0);
  g_array_set_size (self->writes, 0);
  if (self->scratch->len > 1)
    g_ptr_array_remove_range (self->scratch, 0, self->scratch->len - 1);
  for (guint i = 0; i < self->descriptor_pools->len; i++)
    device->fn.vkResetDescriptorPool (device->device,
                                      g_array_index (self->descriptor_pools, VkDescriptorPool, i), 0);

  result = device->fn.vkResetCommandBuffer (self->commands, 0);
  if (result == VK_SUCCESS)
    result = device->fn.vkBeginCommandBuffer (self->commands, &begin);
  if (result != VK_SUCCESS)
    {
      fail_with_result (self, result, "Starting a recording");
      return;
    }
  if (self->timestamps != VK_NULL_HANDLE)
    {
      device->fn.vkCmdResetQueryPool (self->commands, self->timestamps, 0, BENDI_VK_MAX_TIMED_DISPATCHES + 1);
      device->fn.vkCmdWriteTimestamp (self->commands, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, self->timestamps, 0);
    }
  self->recording = TRUE;
}

/* Timestamp i + 1 after what was just recorded, once it and everything
 * before it is done. */
static void
record_time (BendiVkRecorder *self,
             const char      *what,
             guint64          groups,
             guint64          bytes)
{
  BendiVkDispatchTime time = { .what = what, .groups = groups, .bytes = bytes };

  if (self->timestamps == VK_NULL_HANDLE || self->times->len >= BENDI_VK_MAX_TIMED_DISPATCHES)
    return;
  g_array_append_val (self->times, time);
  self->device->fn.vkCmdWriteTimestamp (self->commands, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, self->timestamps,
                                        self->times->len);
}

/* Adds the last run's times. */
static gboolean
read_times (BendiVkRecorder  *self,
            GError          **error)
{
  BendiVkDevice *device = self->device;
  guint n = self->times->len;
  g_autofree guint64 *stamps = NULL;
  VkResult result;

  if (self->timestamps == VK_NULL_HANDLE || n == 0)
    return TRUE;
  stamps = g_new (guint64, n + 1);
  result = device->fn.vkGetQueryPoolResults (device->device, self->timestamps, 0, n + 1,
                                             (n + 1) * sizeof (guint64), stamps, sizeof (guint64),
                                             VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT);
  if (result != VK_SUCCESS)
    {
      bendi_vk_set_error (error, result, "Reading the dispatches' timestamps");
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    {
      guint64 ticks = (stamps[i + 1] - stamps[i]) & device->timestamp_mask;

      g_array_index (self->times, BendiVkDispatchTime, i).ns += (guint64) ((double) ticks * device->timestamp_ns);
    }
  self->n_runs++;
  return TRUE;
}

static VkDescriptorSet
allocate_set (BendiVkRecorder       *self,
              const BendiVkPipeline *pipeline)
{
  BendiVkDevice *device = self->device;
  VkDescriptorSet set = VK_NULL_HANDLE;
  VkResult result = VK_ERROR_OUT_OF_POOL_MEMORY;

  while (self->pool_in_use < self->descriptor_pools->len)
    {
      VkDescriptorSetAllocateInfo info = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
        .descriptorPool = g_array_index (self->descriptor_pools, VkDescriptorPool, self->pool_in_use),
        .descriptorSetCount = 1,
        .pSetLayouts = &pipeline->set_layout,
      };

      result = device->fn.vkAllocateDescriptorSets (device->device, &info, &set);
      if (result == VK_SUCCESS)
        return set;
      if (result != VK_ERROR_OUT_OF_POOL_MEMORY && result != VK_ERROR_FRAGMENTED_POOL)
        break;
      self->pool_in_use++;
    }
  if (result == VK_ERROR_OUT_OF_POOL_MEMORY || result == VK_ERROR_FRAGMENTED_POOL)
    {
      VkDescriptorPoolSize sizes[] = {
        { .type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, .descriptorCount = SETS_PER_POOL * MAX_BINDINGS },
        { .type = VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, .descriptorCount = SETS_PER_POOL * MAX_BINDINGS },
      };
      VkDescriptorPoolCreateInfo pool_info = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
        .maxSets = SETS_PER_POOL,
        .poolSizeCount = G_N_ELEMENTS (sizes),
        .pPoolSizes = sizes,
      };
      VkDescriptorPool pool;

      result = device->fn.vkCreateDescriptorPool (device->device, &pool_info, NULL, &pool);
      if (result == VK_SUCCESS)
        {
          VkDescriptorSetAllocateInfo info = {
            .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
            .descriptorPool = pool,
            .descriptorSetCount = 1,
            .pSetLayouts = &pipeline->set_layout,
          };

          g_array_append_val (self->descriptor_pools, pool);
          self->pool_in_use = self->descriptor_pools->len - 1;
          result = device->fn.vkAllocateDescriptorSets (device->device, &info, &set);
        }
    }
  if (result != VK_SUCCESS)
    {
      fail_with_result (self, result, "Allocating descriptors");
      return VK_NULL_HANDLE;
    }
  return set;
}

static gboolean
overlaps_any (const GArray *ranges,
              const Range  *range)
{
  for (guint i = 0; i < ranges->len; i++)
    {
      const Range *r = &g_array_index (ranges, Range, i);

      if (r->buffer == range->buffer && r->begin < range->end && range->begin < r->end)
        return TRUE;
    }
  return FALSE;
}

static void
record_barrier (BendiVkRecorder *self)
{
  VkMemoryBarrier barrier = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
    .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT,
  };

  self->device->fn.vkCmdPipelineBarrier (self->commands, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                                         VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1, &barrier,
                                         0, NULL, 0, NULL);
  self->n_barriers++;
  g_array_set_size (self->reads, 0);
  g_array_set_size (self->writes, 0);
}

gboolean
bendi_vk_recorder_record (BendiVkRecorder        *self,
                          const BendiVkPipeline  *pipeline,
                          BendiVkBuffer *const   *bindings,
                          const void             *constants,
                          guint32                 groups_x,
                          guint32                 groups_y,
                          guint32                 groups_z)
{
  BendiVkDevice *device = self->device;
  VkDescriptorBufferInfo buffer_infos[MAX_BINDINGS];
  VkBufferView texel_views[MAX_BINDINGS];
  VkWriteDescriptorSet writes[MAX_BINDINGS];
  Range ranges[MAX_BINDINGS];
  gboolean tracked[MAX_BINDINGS];
  gboolean need_barrier = FALSE;
  guint n_bindings;
  VkDescriptorSet set;

  if (self->error != NULL)
    return FALSE;
  if (!self->recording)
    {
      bendi_vk_recorder_fail (self, g_error_new_literal (BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_ARGUMENT,
                                                         "A dispatch was recorded outside begin () … end ()"));
      return FALSE;
    }
  g_return_val_if_fail (pipeline->n_bindings <= MAX_BINDINGS, FALSE);
  if (groups_x == 0 || groups_y == 0 || groups_z == 0)
    return TRUE;
  /* A local copy, so the compiler sees the bound in every loop (GCC's
   * -Warray-bounds under UBSan does not see it through the pointer). */
  n_bindings = MIN (pipeline->n_bindings, MAX_BINDINGS);

  for (guint i = 0; i < n_bindings; i++)
    {
      /* A binding the dispatch does not use gets the device's placeholder,
       * which no hazard is tracked on. */
      BendiVkBuffer *buffer = bindings[i] != NULL ? bindings[i] : device->placeholder;
      VkDeviceSize offset;
      VkBuffer handle = bendi_vk_buffer_get_handle (buffer, &offset);
      gsize size = (bendi_vk_buffer_get_size (buffer) + 3) / 4 * 4;

      if (size > device->info.max_storage_buffer_range)
        {
          bendi_vk_recorder_fail (self, g_error_new (BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_UNSUPPORTED,
                                                     "Binding %u of %s is %" G_GSIZE_FORMAT " bytes, more than "
                                                     "the device's limit of %" G_GUINT64_FORMAT,
                                                     i, pipeline->name, size,
                                                     device->info.max_storage_buffer_range));
          return FALSE;
        }
      if (bendi_vk_buffer_get_device (buffer) != device)
        {
          bendi_vk_recorder_fail (self, g_error_new (BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_ARGUMENT,
                                                     "Binding %u of %s belongs to another device",
                                                     i, pipeline->name));
          return FALSE;
        }
      buffer_infos[i] = (VkDescriptorBufferInfo) { .buffer = handle, .offset = offset, .range = size };
      texel_views[i] = VK_NULL_HANDLE;
      if (pipeline->texel_bindings & (1u << i))
        {
          GError *error = NULL;

          texel_views[i] = (pipeline->texel4_bindings & (1u << i)) ? bendi_vk_buffer_get_texel_view4 (buffer, &error)
                                                                    : bendi_vk_buffer_get_texel_view (buffer, &error);
          if (texel_views[i] == VK_NULL_HANDLE)
            {
              bendi_vk_recorder_fail (self, error);
              return FALSE;
            }
        }
      ranges[i] = (Range) { .buffer = handle, .begin = offset, .end = offset + size };
      tracked[i] = bindings[i] != NULL;
      if (!tracked[i])
        continue;
      if (pipeline->written_bindings & (1u << i))
        need_barrier |= overlaps_any (self->writes, &ranges[i]) || overlaps_any (self->reads, &ranges[i]);
      else
        need_barrier |= overlaps_any (self->writes, &ranges[i]);
    }
  if (need_barrier)
    record_barrier (self);
  for (guint i = 0; i < n_bindings; i++)
    if (tracked[i])
      g_array_append_val ((pipeline->written_bindings & (1u << i)) ? self->writes : self->reads, ranges[i]);

  set = allocate_set (self, pipeline);
  if (set == VK_NULL_HANDLE)
    return FALSE;
  for (guint i = 0; i < n_bindings; i++)
    writes[i] = (VkWriteDescriptorSet) {
      .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
      .dstSet = set,
      .dstBinding = i,
      .descriptorCount = 1,
      .descriptorType = (pipeline->texel_bindings & (1u << i)) ? VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER
                                                                : VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
      .pBufferInfo = (pipeline->texel_bindings & (1u << i)) ? NULL : &buffer_infos[i],
      .pTexelBufferView = (pipeline->texel_bindings & (1u << i)) ? &texel_views[i] : NULL,
    };
  device->fn.vkUpdateDescriptorSets (device->device, n_bindings, writes, 0, NULL);

  device->fn.vkCmdBindPipeline (self->commands, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline->pipeline);
  device->fn.vkCmdBindDescriptorSets (self->commands, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline->layout,
                                      0, 1, &set, 0, NULL);
  device->fn.vkCmdPushConstants (self->commands, pipeline->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0,
                                 pipeline->push_size, constants);
  device->fn.vkCmdDispatch (self->commands, groups_x, groups_y, groups_z);
  self->n_dispatches++;
  record_time (self, pipeline->name, (guint64) groups_x * groups_y * groups_z,
               n_bindings > 0 && bindings[0] != NULL ? bendi_vk_buffer_get_size (bindings[0]) : 0);
  return TRUE;
}

gboolean
bendi_vk_recorder_copy (BendiVkRecorder *self,
                        BendiVkBuffer   *src,
                        BendiVkBuffer   *dst,
                        gsize            size)
{
  BendiVkDevice *device = self->device;
  /* Everything before is done with both buffers; everything after, the
   * host included, sees the copy. */
  VkMemoryBarrier before = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
    .dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
  };
  VkMemoryBarrier after = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
    .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_HOST_READ_BIT |
                     VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
  };
  VkDeviceSize src_offset, dst_offset;
  VkBuffer src_handle = bendi_vk_buffer_get_handle (src, &src_offset);
  VkBuffer dst_handle = bendi_vk_buffer_get_handle (dst, &dst_offset);
  VkBufferCopy region = { .srcOffset = src_offset, .dstOffset = dst_offset, .size = size };

  if (self->error != NULL)
    return FALSE;
  if (!self->recording || size > bendi_vk_buffer_get_size (src) || size > bendi_vk_buffer_get_size (dst) ||
      bendi_vk_buffer_get_device (src) != device || bendi_vk_buffer_get_device (dst) != device)
    {
      bendi_vk_recorder_fail (self, g_error_new_literal (BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_ARGUMENT,
                                                         "A copy outside a recording or past a buffer's end"));
      return FALSE;
    }
  if (size == 0)
    return TRUE;
  device->fn.vkCmdPipelineBarrier (self->commands, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                                   VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &before, 0, NULL, 0, NULL);
  device->fn.vkCmdCopyBuffer (self->commands, src_handle, dst_handle, 1, &region);
  device->fn.vkCmdPipelineBarrier (self->commands, VK_PIPELINE_STAGE_TRANSFER_BIT,
                                   VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT |
                                   VK_PIPELINE_STAGE_HOST_BIT,
                                   0, 1, &after, 0, NULL, 0, NULL);
  self->n_barriers += 2;
  g_array_set_size (self->reads, 0);
  g_array_set_size (self->writes, 0);
  record_time (self, "copy", 0, size);
  return TRUE;
}

gboolean
bendi_vk_recorder_end (BendiVkRecorder  *self,
                       GError          **error)
{
  BendiVkDevice *device = self->device;
  /* Results in host-visible buffers must be visible to the host, and the
   * next replay's shaders must not overtake this one's writes. */
  VkMemoryBarrier barrier = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
    .dstAccessMask = VK_ACCESS_HOST_READ_BIT | VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                     VK_ACCESS_TRANSFER_READ_BIT,
  };
  VkResult result;

  if (self->recording)
    {
      device->fn.vkCmdPipelineBarrier (self->commands, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                                       VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT |
                                       VK_PIPELINE_STAGE_TRANSFER_BIT,
                                       0, 1, &barrier, 0, NULL, 0, NULL);
      result = device->fn.vkEndCommandBuffer (self->commands);
      self->recording = FALSE;
      if (result != VK_SUCCESS)
        fail_with_result (self, result, "Finishing a recording");
    }
  else if (self->error == NULL && !self->ready)
    bendi_vk_recorder_fail (self, g_error_new_literal (BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_ARGUMENT,
                                                       "end () without begin ()"));
  if (self->error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->error));
      return FALSE;
    }
  self->ready = TRUE;
  return TRUE;
}

gboolean
bendi_vk_recorder_submit_and_wait (BendiVkRecorder  *self,
                                   GError          **error)
{
  if (!self->ready)
    {
      g_set_error_literal (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_ARGUMENT,
                           "Nothing successfully recorded to submit");
      return FALSE;
    }
  return bendi_vk_device_submit_and_wait (self->device, self->commands, self->fence, error) &&
         read_times (self, error);
}

const BendiVkDispatchTime *
bendi_vk_recorder_get_times (const BendiVkRecorder *self,
                             guint                 *n_times,
                             guint64               *n_runs)
{
  *n_times = self->timestamps != VK_NULL_HANDLE ? self->times->len : 0;
  *n_runs = self->timestamps != VK_NULL_HANDLE ? self->n_runs : 0;
  return self->timestamps != VK_NULL_HANDLE ? (const BendiVkDispatchTime *) (gpointer) self->times->data : NULL;
}

void
bendi_vk_recorder_reset_times (BendiVkRecorder *self)
{
  for (guint i = 0; i < self->times->len; i++)
    g_array_index (self->times, BendiVkDispatchTime, i).ns = 0;
  self->n_runs = 0;
}

BendiVkDevice *
bendi_vk_recorder_get_device (const BendiVkRecorder *self)
{
  return self->device;
}

guint
bendi_vk_recorder_get_n_dispatches (const BendiVkRecorder *self)
{
  return self->n_dispatches;
}

guint
bendi_vk_recorder_get_n_barriers (const BendiVkRecorder *self)
{
  return self->n_barriers;
}
