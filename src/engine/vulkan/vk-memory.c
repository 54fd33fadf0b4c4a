/* SPDX-License-Identifier: MIT */
/* Device memory in blocks, buffers placed in them, and staging copies with progress. */
#include "vulkan/vk-memory.h"

#include <string.h>

#include "engine-error.h"
#include "vulkan/vk-pipeline.h"
#include "vulkan/vk-private.h"

/* Most drivers handle a few large allocations far better than many small
 * ones (some cap the count at 4096), so buffers share blocks of this size. */
#define BLOCK_BYTES    ((gsize) 256 * 1024 * 1024)
/* Staging copies and progress reports go in pieces of this size. */
#define STAGING_BYTES  ((gsize) 16 * 1024 * 1024)

typedef struct {
  VkDeviceMemory memory;
  guint32        type_index;
  gsize          size;
  gsize          used;       /* bump pointer: blocks are freed whole */
  guint          n_buffers;  /* live buffers in the block */
  guint8        *mapped;     /* host-visible blocks stay mapped */
} MemoryBlock;

struct _BendiVkAllocator {
  BendiVkDevice *device;
  GMutex         lock;
  GPtrArray     *blocks;     /* of MemoryBlock */
  /* Bytes allocated from each heap: drivers that overcommit (lavapipe
   * does) would otherwise say yes far past the heap's size. */
  guint64        heap_used[VK_MAX_MEMORY_HEAPS];
  /* Tests of running out of memory: BENDI_VULKAN_TEST_MEMORY_LIMIT bytes
   * per heap, in blocks of a sixteenth of that (0: the heaps' sizes). */
  guint64        test_limit;
  gsize          block_bytes;
};

struct _BendiVkBuffer {
  BendiVkDevice *device;
  VkBuffer       handle;
  gsize          offset;     /* into handle: non-zero for views */
  gsize          size;
  gboolean       is_view;
  MemoryBlock   *block;      /* NULL for views */
  guint8        *mapped;     /* host address of byte 0, or NULL */
  VkBufferView   texel_view; /* as R32_UINT texels, made on first use */
  VkBufferView   texel_view4; /* as R32G32B32A32_UINT texels, likewise */
};

struct _BendiVkTensor {
  BendiVkDevice      *device;
  BendiTensorType     type;
  gint64              n_cols;
  gint64              n_rows;
  gsize               row_bytes;
  GArray             *chunks;  /* of BendiVkTensorChunk */
  guint32             lanes;   /* interleaved for this many lanes (bendi_vk_tensor_get_interleave_lanes), or 0 */
};

/* ------------------------------------------------------------------------ */
/* The allocator */

BendiVkAllocator *
bendi_vk_allocator_new (BendiVkDevice *device)
{
  BendiVkAllocator *self = g_new0 (BendiVkAllocator, 1);

  self->device = device;
  g_mutex_init (&self->lock);
  self->blocks = g_ptr_array_new ();
  self->test_limit = g_ascii_strtoull (g_getenv ("BENDI_VULKAN_TEST_MEMORY_LIMIT") != NULL
                                       ? g_getenv ("BENDI_VULKAN_TEST_MEMORY_LIMIT") : "0", NULL, 10);
  self->block_bytes = self->test_limit > 0 ? (gsize) MIN (self->test_limit / 16, BLOCK_BYTES) : BLOCK_BYTES;
  return self;
}

static void
block_free (BendiVkAllocator *self,
            MemoryBlock      *block)
{
  BendiVkDevice *device = self->device;
  guint32 heap = device->memory_properties.memoryTypes[block->type_index].heapIndex;

  self->heap_used[heap] -= block->size;
  if (block->mapped != NULL)
    device->fn.vkUnmapMemory (device->device, block->memory);
  device->fn.vkFreeMemory (device->device, block->memory, NULL);
  g_free (block);
}

void
bendi_vk_allocator_free (BendiVkAllocator *self)
{
  if (self == NULL)
    return;
  /* Buffers still alive here are a caller's leak; free their memory anyway
   * so the device can be destroyed. */
  for (guint i = 0; i < self->blocks->len; i++)
    block_free (self, g_ptr_array_index (self->blocks, i));
  g_ptr_array_unref (self->blocks);
  g_mutex_clear (&self->lock);
  g_free (self);
}

/* The first memory type allowed by @bits that has @preferred, else the
 * first that has @required; -1 if none. */
static gint
find_memory_type (BendiVkDevice         *device,
                  guint32                bits,
                  VkMemoryPropertyFlags  required,
                  VkMemoryPropertyFlags  preferred)
{
  const VkPhysicalDeviceMemoryProperties *props = &device->memory_properties;

  for (guint32 t = 0; t < props->memoryTypeCount; t++)
    if ((bits & (1u << t)) && (props->memoryTypes[t].propertyFlags & preferred) == preferred)
      return (gint) t;
  for (guint32 t = 0; t < props->memoryTypeCount; t++)
    if ((bits & (1u << t)) && (props->memoryTypes[t].propertyFlags & required) == required)
      return (gint) t;
  return -1;
}

static MemoryBlock *
block_new (BendiVkAllocator  *self,
           guint32            type_index,
           gsize              size,
           GError           **error)
{
  BendiVkDevice *device = self->device;
  const VkMemoryType *type = &device->memory_properties.memoryTypes[type_index];
  guint64 heap_size = self->test_limit > 0 ? MIN (self->test_limit, device->memory_properties.memoryHeaps[type->heapIndex].size)
                                           : device->memory_properties.memoryHeaps[type->heapIndex].size;
  g_autofree MemoryBlock *block = g_new0 (MemoryBlock, 1);
  VkMemoryAllocateInfo info = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
    .allocationSize = size,
    .memoryTypeIndex = type_index,
  };
  VkResult result;

  if (size > heap_size - MIN (heap_size, self->heap_used[type->heapIndex]))
    {
      g_autofree char *want = g_format_size (size);
      g_autofree char *used = g_format_size (self->heap_used[type->heapIndex]);
      g_autofree char *have = g_format_size (heap_size);

      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_NO_MEMORY,
                   "Out of GPU memory: %s more asked for, %s of %s in use", want, used, have);
      return NULL;
    }
  result = device->fn.vkAllocateMemory (device->device, &info, NULL, &block->memory);
  if (result != VK_SUCCESS)
    {
      g_autofree char *want = g_format_size (size);

      if (result == VK_ERROR_OUT_OF_DEVICE_MEMORY || result == VK_ERROR_OUT_OF_HOST_MEMORY)
        g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_NO_MEMORY,
                     "Out of GPU memory allocating %s (%s)", want, bendi_vk_result_name (result));
      else
        bendi_vk_set_error (error, result, "Allocating GPU memory");
      return NULL;
    }
  if (type->propertyFlags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT)
    {
      void *mapped = NULL;

      result = device->fn.vkMapMemory (device->device, block->memory, 0, VK_WHOLE_SIZE, 0, &mapped);
      if (result != VK_SUCCESS)
        {
          device->fn.vkFreeMemory (device->device, block->memory, NULL);
          bendi_vk_set_error (error, result, "Mapping GPU memory");
          return NULL;
        }
      block->mapped = mapped;
    }
  block->type_index = type_index;
  block->size = size;
  self->heap_used[type->heapIndex] += size;
  return g_steal_pointer (&block);
}

/* Places @size bytes aligned to @alignment in a block of @type_index,
 * opening a new block when none has room. Large buffers get their own. */
static MemoryBlock *
allocator_place (BendiVkAllocator  *self,
                 guint32            type_index,
                 gsize              size,
                 gsize              alignment,
                 gsize             *out_offset,
                 GError           **error)
{
  BendiVkDevice *device = self->device;
  gsize block_bytes = MIN (self->block_bytes, device->info.max_memory_allocation_size);
  MemoryBlock *block = NULL;
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  if (size > device->info.max_memory_allocation_size)
    {
      g_autofree char *want = g_format_size (size);
      g_autofree char *limit = g_format_size (device->info.max_memory_allocation_size);

      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_NO_MEMORY,
                   "A GPU buffer of %s is over the driver's allocation limit of %s", want, limit);
      return NULL;
    }
  if (size <= block_bytes / 2)
    for (guint i = 0; i < self->blocks->len && block == NULL; i++)
      {
        MemoryBlock *candidate = g_ptr_array_index (self->blocks, i);
        gsize offset = (candidate->used + alignment - 1) / alignment * alignment;

        if (candidate->type_index == type_index && candidate->size >= block_bytes &&
            offset <= candidate->size && size <= candidate->size - offset)
          {
            block = candidate;
            *out_offset = offset;
          }
      }
  if (block == NULL)
    {
      block = block_new (self, type_index, size <= block_bytes / 2 ? block_bytes : size, error);
      if (block == NULL)
        return NULL;
      g_ptr_array_add (self->blocks, block);
      *out_offset = 0;
    }
  block->used = *out_offset + size;
  block->n_buffers++;
  return block;
}

static void
allocator_release (BendiVkAllocator *self,
                   MemoryBlock      *block)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  if (--block->n_buffers == 0)
    {
      g_ptr_array_remove_fast (self->blocks, block);
      block_free (self, block);
    }
}

/* ------------------------------------------------------------------------ */
/* Buffers */

BendiVkBuffer *
bendi_vk_buffer_new (BendiVkDevice      *device,
                     gsize               size,
                     BendiVkMemoryKind   kind,
                     GError            **error)
{
  g_autofree BendiVkBuffer *self = g_new0 (BendiVkBuffer, 1);
  VkBufferCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
    /* Storage buffers sizes are whole words, the shaders reading uints, and
     * whole texels of four words, which the CPU-device kernels read. */
    .size = MAX ((size + 15) / 16 * 16, 16),
    .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT |
             VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
    .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
  };
  VkMemoryPropertyFlags required, preferred;
  VkMemoryRequirements requirements;
  gsize offset = 0;
  gint type_index;
  VkResult result;

  if (size > device->info.max_memory_allocation_size || size > G_MAXSIZE - 4)
    {
      g_autofree char *want = g_format_size (size);
      g_autofree char *limit = g_format_size (device->info.max_memory_allocation_size);

      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_NO_MEMORY,
                   "A GPU buffer of %s is over the driver's allocation limit of %s", want, limit);
      return NULL;
    }
  result = device->fn.vkCreateBuffer (device->device, &info, NULL, &self->handle);
  if (result != VK_SUCCESS)
    {
      bendi_vk_set_error (error, result, "Creating a GPU buffer");
      return NULL;
    }
  device->fn.vkGetBufferMemoryRequirements (device->device, self->handle, &requirements);

  if (kind == BENDI_VK_MEMORY_HOST)
    {
      required = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
      preferred = required | VK_MEMORY_PROPERTY_HOST_CACHED_BIT;
    }
  else
    {
      required = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
      /* On shared memory, mapping the device's own memory saves a copy. */
      preferred = device->info.uma && !device->force_staging
                  ? required | VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT
                  : required;
    }
  type_index = find_memory_type (device, requirements.memoryTypeBits, required, preferred);
  if (type_index < 0 && kind == BENDI_VK_MEMORY_DEVICE)
    type_index = find_memory_type (device, requirements.memoryTypeBits, 0, 0);
  if (type_index < 0)
    {
      device->fn.vkDestroyBuffer (device->device, self->handle, NULL);
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_UNSUPPORTED,
                   "The GPU has no suitable memory type for a buffer");
      return NULL;
    }
  if (device->force_staging && kind == BENDI_VK_MEMORY_DEVICE)
    {
      /* Tests of the staging path want memory the host cannot see. */
      gint hidden = -1;

      for (guint32 t = 0; t < device->memory_properties.memoryTypeCount && hidden < 0; t++)
        if ((requirements.memoryTypeBits & (1u << t)) &&
            !(device->memory_properties.memoryTypes[t].propertyFlags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT))
          hidden = (gint) t;
      if (hidden >= 0)
        type_index = hidden;
    }

  self->block = allocator_place (device->allocator, (guint32) type_index, requirements.size,
                                 requirements.alignment, &offset, error);
  if (self->block == NULL)
    {
      device->fn.vkDestroyBuffer (device->device, self->handle, NULL);
      return NULL;
    }
  result = device->fn.vkBindBufferMemory (device->device, self->handle, self->block->memory, offset);
  if (result != VK_SUCCESS)
    {
      allocator_release (device->allocator, self->block);
      device->fn.vkDestroyBuffer (device->device, self->handle, NULL);
      bendi_vk_set_error (error, result, "Binding GPU memory");
      return NULL;
    }
  self->device = device;
  self->size = size;
  if (self->block->mapped != NULL && !(device->force_staging && kind == BENDI_VK_MEMORY_DEVICE))
    self->mapped = self->block->mapped + offset;
  return g_steal_pointer (&self);
}

BendiVkBuffer *
bendi_vk_buffer_new_view (BendiVkBuffer  *parent,
                          gsize           offset,
                          gsize           size,
                          GError        **error)
{
  BendiVkBuffer *self;
  guint64 alignment = MAX (parent->device->info.min_storage_buffer_offset_alignment, 4);

  if (offset % alignment != 0 || offset > parent->size || size > parent->size - offset)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_ARGUMENT,
                   "A view of %" G_GSIZE_FORMAT " bytes at %" G_GSIZE_FORMAT " does not fit a buffer of %"
                   G_GSIZE_FORMAT " bytes with offsets aligned to %" G_GUINT64_FORMAT,
                   size, offset, parent->size, alignment);
      return NULL;
    }
  self = g_new0 (BendiVkBuffer, 1);
  self->device = parent->device;
  self->handle = parent->handle;
  self->offset = parent->offset + offset;
  self->size = size;
  self->is_view = TRUE;
  self->mapped = parent->mapped != NULL ? parent->mapped + offset : NULL;
  return self;
}

void
bendi_vk_buffer_free (BendiVkBuffer *self)
{
  if (self == NULL)
    return;
  if (self->texel_view != VK_NULL_HANDLE)
    self->device->fn.vkDestroyBufferView (self->device->device, self->texel_view, NULL);
  if (self->texel_view4 != VK_NULL_HANDLE)
    self->device->fn.vkDestroyBufferView (self->device->device, self->texel_view4, NULL);
  if (!self->is_view)
    {
      self->device->fn.vkDestroyBuffer (self->device->device, self->handle, NULL);
      allocator_release (self->device->allocator, self->block);
    }
  g_free (self);
}

gsize
bendi_vk_buffer_get_size (const BendiVkBuffer *self)
{
  return self->size;
}

gpointer
bendi_vk_buffer_get_mapped (const BendiVkBuffer *self)
{
  return self->mapped;
}

VkBuffer
bendi_vk_buffer_get_handle (const BendiVkBuffer *self,
                            VkDeviceSize        *out_offset)
{
  *out_offset = self->offset;
  return self->handle;
}

BendiVkDevice *
bendi_vk_buffer_get_device (const BendiVkBuffer *self)
{
  return self->device;
}

/* A texel view of the buffer in @format, of @texel_bytes a texel, made in
 * *@view on first use. Its last texel may reach past the buffer's end into
 * the padding bendi_vk_buffer_new () gives every buffer (a view's offset is
 * aligned as much, where CPU-device kernels read texels: vk-device.c). */
static VkBufferView
get_texel_view (BendiVkBuffer  *self,
                VkFormat        format,
                guint64         texel_bytes,
                VkBufferView   *view,
                GError        **error)
{
  BendiVkDevice *device = self->device;
  guint64 n_texels = MAX ((self->size + texel_bytes - 1) / texel_bytes, 1);
  VkBufferViewCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO,
    .buffer = self->handle,
    .format = format,
    .offset = self->offset,
    .range = n_texels * texel_bytes,
  };
  VkResult result;

  if (*view != VK_NULL_HANDLE)
    return *view;
  if (n_texels > device->info.max_texel_buffer_elements)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_UNSUPPORTED,
                   "A texel view of %" G_GUINT64_FORMAT " texels is over the device's limit of %" G_GUINT64_FORMAT,
                   n_texels, device->info.max_texel_buffer_elements);
      return VK_NULL_HANDLE;
    }
  result = device->fn.vkCreateBufferView (device->device, &info, NULL, view);
  if (result != VK_SUCCESS)
    {
      bendi_vk_set_error (error, result, "Creating a texel view");
      *view = VK_NULL_HANDLE;
    }
  return *view;
}

VkBufferView
bendi_vk_buffer_get_texel_view (BendiVkBuffer  *self,
                                GError        **error)
{
  return get_texel_view (self, VK_FORMAT_R32_UINT, 4, &self->texel_view, error);
}

VkBufferView
bendi_vk_buffer_get_texel_view4 (BendiVkBuffer  *self,
                                 GError        **error)
{
  return get_texel_view (self, VK_FORMAT_R32G32B32A32_UINT, 16, &self->texel_view4, error);
}

/* A one-shot command buffer for copies, with its pool and fence. */
typedef struct {
  BendiVkDevice   *device;
  VkCommandPool    pool;
  VkCommandBuffer  commands;
  VkFence          fence;
  BendiVkBuffer   *staging;
} Transfer;

static void
transfer_clear (Transfer *t)
{
  BendiVkDevice *device = t->device;

  if (t->fence != VK_NULL_HANDLE)
    device->fn.vkDestroyFence (device->device, t->fence, NULL);
  if (t->pool != VK_NULL_HANDLE)
    device->fn.vkDestroyCommandPool (device->device, t->pool, NULL);
  g_clear_pointer (&t->staging, bendi_vk_buffer_free);
}

static gboolean
transfer_init (Transfer       *t,
               BendiVkDevice  *device,
               gsize           staging_bytes,
               GError        **error)
{
  VkCommandPoolCreateInfo pool_info = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
    .flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT | VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
    .queueFamilyIndex = device->queue_family,
  };
  VkCommandBufferAllocateInfo alloc_info = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
    .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
    .commandBufferCount = 1,
  };
  VkFenceCreateInfo fence_info = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
  VkResult result;

  memset (t, 0, sizeof *t);
  t->device = device;
  result = device->fn.vkCreateCommandPool (device->device, &pool_info, NULL, &t->pool);
  if (result == VK_SUCCESS)
    {
      alloc_info.commandPool = t->pool;
      result = device->fn.vkAllocateCommandBuffers (device->device, &alloc_info, &t->commands);
    }
  if (result == VK_SUCCESS)
    result = device->fn.vkCreateFence (device->device, &fence_info, NULL, &t->fence);
  if (result != VK_SUCCESS)
    {
      bendi_vk_set_error (error, result, "Preparing a GPU copy");
      transfer_clear (t);
      return FALSE;
    }
  if (staging_bytes > 0)
    {
      t->staging = bendi_vk_buffer_new (device, staging_bytes, BENDI_VK_MEMORY_HOST, error);
      if (t->staging == NULL)
        {
          transfer_clear (t);
          return FALSE;
        }
    }
  return TRUE;
}

/* Records one copy (or a fill when @src is NULL) and waits for it. */
static gboolean
transfer_run (Transfer             *t,
              const BendiVkBuffer  *src,
              gsize                 src_offset,
              const BendiVkBuffer  *dst,
              gsize                 dst_offset,
              gsize                 size,
              GError              **error)
{
  BendiVkDevice *device = t->device;
  VkCommandBufferBeginInfo begin = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
    .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
  };
  /* Earlier shader work on these buffers must finish first, and the copy
   * must be visible to later shaders. */
  VkMemoryBarrier barrier = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
    .dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
  };
  VkResult result;

  result = device->fn.vkResetCommandBuffer (t->commands, 0);
  if (result == VK_SUCCESS)
    result = device->fn.vkBeginCommandBuffer (t->commands, &begin);
  if (result != VK_SUCCESS)
    {
      bendi_vk_set_error (error, result, "Recording a GPU copy");
      return FALSE;
    }
  device->fn.vkCmdPipelineBarrier (t->commands, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                                   VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &barrier, 0, NULL, 0, NULL);
  if (src != NULL)
    {
      VkBufferCopy region = {
        .srcOffset = src->offset + src_offset,
        .dstOffset = dst->offset + dst_offset,
        .size = size,
      };

      device->fn.vkCmdCopyBuffer (t->commands, src->handle, dst->handle, 1, &region);
    }
  else
    device->fn.vkCmdFillBuffer (t->commands, dst->handle, dst->offset + dst_offset, size, 0);
  barrier.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
  barrier.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_HOST_READ_BIT;
  device->fn.vkCmdPipelineBarrier (t->commands, VK_PIPELINE_STAGE_TRANSFER_BIT,
                                   VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_HOST_BIT,
                                   0, 1, &barrier, 0, NULL, 0, NULL);
  result = device->fn.vkEndCommandBuffer (t->commands);
  if (result != VK_SUCCESS)
    {
      bendi_vk_set_error (error, result, "Recording a GPU copy");
      return FALSE;
    }
  return bendi_vk_device_submit_and_wait (device, t->commands, t->fence, error);
}

static gboolean
check_range (const BendiVkBuffer  *self,
             gsize                 offset,
             gsize                 size,
             GError              **error)
{
  if (offset > self->size || size > self->size - offset)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_ARGUMENT,
                   "%" G_GSIZE_FORMAT " bytes at %" G_GSIZE_FORMAT " are outside a GPU buffer of %"
                   G_GSIZE_FORMAT " bytes", size, offset, self->size);
      return FALSE;
    }
  return TRUE;
}

/* Copies @size bytes of @data into @self at @offset, through staging
 * buffers a piece at a time where @self is not mapped. */
static gboolean
upload_pieces (BendiVkBuffer  *self,
               gsize           offset,
               const guint8   *data,
               gsize           size,
               GError        **error)
{
  Transfer transfer;
  gboolean ok = TRUE;

  if (!check_range (self, offset, size, error))
    return FALSE;
  if (self->mapped != NULL)
    {
      memcpy (self->mapped + offset, data, size);
      return TRUE;
    }
  if (size == 0)
    return TRUE;
  if (!transfer_init (&transfer, self->device, MIN (size, STAGING_BYTES), error))
    return FALSE;
  for (gsize done = 0; done < size && ok;)
    {
      gsize piece = MIN (STAGING_BYTES, size - done);

      memcpy (transfer.staging->mapped, data + done, piece);
      ok = transfer_run (&transfer, transfer.staging, 0, self, offset + done, piece, error);
      done += piece;
    }
  transfer_clear (&transfer);
  return ok;
}

gboolean
bendi_vk_buffer_upload (BendiVkBuffer  *self,
                        gsize           offset,
                        const void     *data,
                        gsize           size,
                        GError        **error)
{
  return upload_pieces (self, offset, data, size, error);
}

gboolean
bendi_vk_buffer_download (BendiVkBuffer  *self,
                          gsize           offset,
                          void           *data,
                          gsize           size,
                          GError        **error)
{
  Transfer transfer;
  gboolean ok = TRUE;

  if (!check_range (self, offset, size, error))
    return FALSE;
  if (self->mapped != NULL)
    {
      memcpy (data, self->mapped + offset, size);
      return TRUE;
    }
  if (size == 0)
    return TRUE;
  if (!transfer_init (&transfer, self->device, MIN (size, STAGING_BYTES), error))
    return FALSE;
  for (gsize done = 0; done < size && ok; done += STAGING_BYTES)
    {
      gsize piece = MIN (STAGING_BYTES, size - done);

      ok = transfer_run (&transfer, self, offset + done, transfer.staging, 0, piece, error);
      if (ok)
        memcpy ((guint8 *) data + done, transfer.staging->mapped, piece);
    }
  transfer_clear (&transfer);
  return ok;
}

gboolean
bendi_vk_buffer_clear (BendiVkBuffer  *self,
                       GError        **error)
{
  Transfer transfer;
  gboolean ok;

  if (self->mapped != NULL)
    {
      memset (self->mapped, 0, self->size);
      return TRUE;
    }
  if (!transfer_init (&transfer, self->device, 0, error))
    return FALSE;
  /* vkCmdFillBuffer writes whole words; the buffer is padded to them. */
  ok = transfer_run (&transfer, NULL, 0, self, 0, (self->size + 3) / 4 * 4, error);
  transfer_clear (&transfer);
  return ok;
}

/* ------------------------------------------------------------------------ */
/* Tensors */

BendiVkTensor *
bendi_vk_tensor_new (BendiVkDevice    *device,
                     BendiTensorType   type,
                     gint64            n_cols,
                     gint64            n_rows,
                     GError          **error)
{
  return bendi_vk_tensor_new_full (device, type, n_cols, n_rows, 1, error);
}

BendiVkTensor *
bendi_vk_tensor_new_full (BendiVkDevice    *device,
                          BendiTensorType   type,
                          gint64            n_cols,
                          gint64            n_rows,
                          gint64            row_multiple,
                          GError          **error)
{
  g_autoptr (BendiVkTensor) self = NULL;
  gsize row_bytes;
  guint64 chunk_bytes;
  gint64 rows_per_chunk;
  gint64 group_rows = 1;
  guint32 lanes = 0;

  if (n_rows <= 0 || row_multiple <= 0 || n_rows % row_multiple != 0 ||
      !bendi_tensor_type_row_bytes (type, n_cols, &row_bytes) || row_bytes == 0)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_ARGUMENT,
                   "A %s tensor of %" G_GINT64_FORMAT " × %" G_GINT64_FORMAT " elements is not valid",
                   bendi_tensor_type_name (type), n_rows, n_cols);
      return NULL;
    }
  /* Whole rows per chunk (and a multiple of @row_multiple of them); a
   * chunk's size is also capped by the allocation limit, by what a texel
   * view may hold where the shaders read weights as texels, and its buffer
   * is padded to 16 bytes. */
  chunk_bytes = MIN (device->max_binding_bytes - 15, device->info.max_memory_allocation_size - 15);
  if (device->use_cpu_kernels)
    chunk_bytes = MIN (chunk_bytes, device->info.max_texel_buffer_elements * 4 - 15);
  if (row_bytes * (guint64) row_multiple > chunk_bytes)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_UNSUPPORTED,
                   "%" G_GINT64_FORMAT " rows of %" G_GSIZE_FORMAT " bytes are more than a GPU binding can see (%"
                   G_GUINT64_FORMAT " bytes)", row_multiple, row_bytes, chunk_bytes);
      return NULL;
    }

  /* The CPU devices' Q4_0 kernel reads rows of whole octets interleaved
   * in groups of a workgroup's rows, where a chunk holds whole groups. */
  if (bendi_vk_rows_on_texels (device, type, row_bytes) &&
      (guint64) device->cpu_lanes * BENDI_VK_ROWS_PER_LANE * row_multiple * row_bytes <= chunk_bytes)
    {
      lanes = device->cpu_lanes;
      group_rows = (gint64) lanes * BENDI_VK_ROWS_PER_LANE;
    }

  self = g_new0 (BendiVkTensor, 1);
  self->device = device;
  self->type = type;
  self->n_cols = n_cols;
  self->n_rows = n_rows;
  self->row_bytes = row_bytes;
  self->lanes = lanes;
  self->chunks = g_array_new (FALSE, TRUE, sizeof (BendiVkTensorChunk));

  rows_per_chunk = (gint64) (chunk_bytes / row_bytes) / (row_multiple * group_rows) * (row_multiple * group_rows);
  for (gint64 first = 0; first < n_rows; first += rows_per_chunk)
    {
      BendiVkTensorChunk chunk = {
        .first_row = first,
        .n_rows = MIN (rows_per_chunk, n_rows - first),
      };

      /* Interleaved, the last group's missing rows are padding. */
      chunk.buffer = bendi_vk_buffer_new (device, (gsize) ((chunk.n_rows + group_rows - 1) / group_rows * group_rows) *
                                                    row_bytes, BENDI_VK_MEMORY_DEVICE, error);
      if (chunk.buffer == NULL)
        return NULL;
      g_array_append_val (self->chunks, chunk);
    }
  return g_steal_pointer (&self);
}

void
bendi_vk_tensor_free (BendiVkTensor *self)
{
  if (self == NULL)
    return;
  for (guint i = 0; i < self->chunks->len; i++)
    bendi_vk_buffer_free (g_array_index (self->chunks, BendiVkTensorChunk, i).buffer);
  g_array_unref (self->chunks);
  g_free (self);
}

/* Rows stored together: an interleaved group's, else one. */
static gint64
tensor_group_rows (const BendiVkTensor *self)
{
  return self->lanes > 0 ? (gint64) self->lanes * BENDI_VK_ROWS_PER_LANE : 1;
}

/* Rows of a workgroup's group (this many lanes, BENDI_VK_ROWS_PER_LANE rows
 * each) as the CPU devices' Q4_0 kernel reads them: for each octet of
 * columns (144 bytes, 9 texels of 16), each row a lane goes along, each
 * texel, the lanes side by side. So a SIMD vector's texel read takes
 * neighbouring texels, and a group's octet is one stretch of memory: one
 * stream for the prefetchers where rows one after another were hundreds. */
static void
interleave_group (const guint8 *rows,
                  gint64        n_rows,
                  gsize         row_bytes,
                  guint32       lanes,
                  guint8       *out)
{
  const gsize texels = row_bytes / 16, octets = texels / 9;

  memset (out, 0, (gsize) lanes * BENDI_VK_ROWS_PER_LANE * row_bytes);
  for (gint64 row = 0; row < n_rows; row++)
    {
      gsize lane = (gsize) row / BENDI_VK_ROWS_PER_LANE, r = (gsize) row % BENDI_VK_ROWS_PER_LANE;

      for (gsize o = 0; o < octets; o++)
        for (gsize i = 0; i < 9; i++)
          memcpy (out + 16 * (((o * BENDI_VK_ROWS_PER_LANE + r) * 9 + i) * lanes + lane),
                  rows + (gsize) row * row_bytes + 16 * (9 * o + i), 16);
    }
}

/* bendi_vk_tensor_upload ()'s rows: from one array. */
typedef struct {
  const guint8 *data;
  gsize         row_bytes;
} ArrayRows;

static void
copy_array_rows (gint64    first_row,
                 gint64    n_rows,
                 guint8   *out,
                 gpointer  user_data)
{
  const ArrayRows *rows = user_data;

  memcpy (out, rows->data + (gsize) first_row * rows->row_bytes, (gsize) n_rows * rows->row_bytes);
}

gboolean
bendi_vk_tensor_upload (BendiVkTensor        *self,
                        const void           *data,
                        BendiVkProgressFunc   progress,
                        gpointer              user_data,
                        GError              **error)
{
  ArrayRows rows = { data, self->row_bytes };

  return bendi_vk_tensor_upload_rows (self, copy_array_rows, &rows, progress, user_data, error);
}

gboolean
bendi_vk_tensor_upload_rows (BendiVkTensor        *self,
                             BendiVkRowsFunc       rows_func,
                             gpointer              rows_data,
                             BendiVkProgressFunc   progress,
                             gpointer              user_data,
                             GError              **error)
{
  gint64 group_rows = tensor_group_rows (self);
  /* Interleaved, whole groups a piece, the rows asked for into their own
   * buffer first. */
  gint64 rows_per_piece = MAX (1, (gint64) (STAGING_BYTES / self->row_bytes) / group_rows) * group_rows;
  gsize total = (gsize) self->n_rows * self->row_bytes;
  g_autofree guint8 *staging = NULL;
  g_autofree guint8 *plain = NULL;
  gsize done = 0;

  for (guint i = 0; i < self->chunks->len; i++)
    {
      const BendiVkTensorChunk *chunk = &g_array_index (self->chunks, BendiVkTensorChunk, i);
      guint8 *mapped = bendi_vk_buffer_get_mapped (chunk->buffer);

      for (gint64 first = 0; first < chunk->n_rows; first += rows_per_piece)
        {
          gint64 n = MIN (rows_per_piece, chunk->n_rows - first);
          gsize bytes = (gsize) n * self->row_bytes;
          gsize offset = (gsize) first * self->row_bytes;
          /* Interleaved, a piece's last group is whole, padding included:
           * the chunk's buffer holds it. */
          gsize stored = (gsize) ((n + group_rows - 1) / group_rows * group_rows) * self->row_bytes;
          guint8 *out;

          /* Mapped memory is written in place; otherwise through a copy. */
          if (mapped != NULL)
            out = mapped + offset;
          else
            {
              if (staging == NULL)
                staging = g_malloc ((gsize) MIN (rows_per_piece, self->n_rows + group_rows - 1) * self->row_bytes);
              out = staging;
            }
          if (self->lanes == 0)
            rows_func (chunk->first_row + first, n, out, rows_data);
          else
            {
              if (plain == NULL)
                plain = g_malloc ((gsize) MIN (rows_per_piece, self->n_rows) * self->row_bytes);
              rows_func (chunk->first_row + first, n, plain, rows_data);
              for (gint64 g = 0; g < n; g += group_rows)
                interleave_group (plain + (gsize) g * self->row_bytes, MIN (group_rows, n - g), self->row_bytes,
                                  self->lanes, out + (gsize) g * self->row_bytes);
            }
          if (mapped == NULL && !upload_pieces (chunk->buffer, offset, staging, stored, error))
            return FALSE;
          done += bytes;
          if (progress != NULL && !progress ((double) done / (double) total, user_data))
            {
              g_set_error_literal (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_CANCELLED, "Upload cancelled");
              return FALSE;
            }
        }
    }
  return TRUE;
}

BendiTensorType
bendi_vk_tensor_get_type (const BendiVkTensor *self)
{
  return self->type;
}

gint64
bendi_vk_tensor_get_n_cols (const BendiVkTensor *self)
{
  return self->n_cols;
}

gint64
bendi_vk_tensor_get_n_rows (const BendiVkTensor *self)
{
  return self->n_rows;
}

gsize
bendi_vk_tensor_get_row_bytes (const BendiVkTensor *self)
{
  return self->row_bytes;
}

guint32
bendi_vk_tensor_get_interleave_lanes (const BendiVkTensor *self)
{
  return self->lanes;
}

guint
bendi_vk_tensor_get_n_chunks (const BendiVkTensor *self)
{
  return self->chunks->len;
}

const BendiVkTensorChunk *
bendi_vk_tensor_get_chunk (const BendiVkTensor *self,
                           guint                index)
{
  g_return_val_if_fail (index < self->chunks->len, NULL);
  return &g_array_index (self->chunks, BendiVkTensorChunk, index);
}
