/* SPDX-License-Identifier: MIT */
/* GPU memory: buffers carved from large blocks, and weight tensors split across as many bindings as the driver needs. */
#pragma once

#include <glib.h>

#include "tensor/tensor-type.h"
#include "vulkan/vk-device.h"

G_BEGIN_DECLS

typedef enum {
  BENDI_VK_MEMORY_DEVICE,  /* device-local: weights, activations, KV cache */
  BENDI_VK_MEMORY_HOST,    /* host-visible and coherent: per-token inputs, results to read */
} BendiVkMemoryKind;

/* Upload progress in [0, 1]; return FALSE to cancel. The same shape as
 * the model loader's BendiProgressFunc. */
typedef gboolean (*BendiVkProgressFunc) (double   fraction,
                                         gpointer user_data);

typedef struct _BendiVkBuffer BendiVkBuffer;

/* A buffer of @size bytes (at most what one binding may see). Errors:
 * NO_MEMORY when the device is out of memory or @size is over a driver
 * limit, with the sizes in the message. */
BendiVkBuffer *bendi_vk_buffer_new      (BendiVkDevice      *device,
                                         gsize               size,
                                         BendiVkMemoryKind   kind,
                                         GError            **error) G_GNUC_WARN_UNUSED_RESULT;
/* @size bytes of @parent from @offset, which must be a multiple of the
 * device's min_storage_buffer_offset_alignment. @parent must outlive it. */
BendiVkBuffer *bendi_vk_buffer_new_view (BendiVkBuffer      *parent,
                                         gsize               offset,
                                         gsize               size,
                                         GError            **error) G_GNUC_WARN_UNUSED_RESULT;
void           bendi_vk_buffer_free     (BendiVkBuffer      *self);

gsize          bendi_vk_buffer_get_size   (const BendiVkBuffer *self);
/* The host's view of a host-visible buffer, NULL for device-only memory. */
gpointer       bendi_vk_buffer_get_mapped (const BendiVkBuffer *self);

/* Copies through a staging buffer unless the memory is mapped. Blocking. */
gboolean       bendi_vk_buffer_upload   (BendiVkBuffer      *self,
                                         gsize               offset,
                                         const void         *data,
                                         gsize               size,
                                         GError            **error);
gboolean       bendi_vk_buffer_download (BendiVkBuffer      *self,
                                         gsize               offset,
                                         void               *data,
                                         gsize               size,
                                         GError            **error);
/* Fills the whole buffer with zero bytes. */
gboolean       bendi_vk_buffer_clear    (BendiVkBuffer      *self,
                                         GError            **error);

/* A matrix of @n_rows rows of @n_cols elements of one tensor type, as the
 * file stores it, split at row boundaries into chunks that each fit one
 * binding. Ops record one dispatch per chunk. */
typedef struct _BendiVkTensor BendiVkTensor;

typedef struct {
  BendiVkBuffer *buffer;
  gint64         first_row;
  gint64         n_rows;
} BendiVkTensorChunk;

BendiVkTensor *bendi_vk_tensor_new    (BendiVkDevice        *device,
                                       BendiTensorType       type,
                                       gint64                n_cols,
                                       gint64                n_rows,
                                       GError              **error) G_GNUC_WARN_UNUSED_RESULT;
/* The same, with every chunk a multiple of @row_multiple rows (which must
 * divide @n_rows): GLU's (gate, up) row pairs stay in one binding. */
BendiVkTensor *bendi_vk_tensor_new_full (BendiVkDevice      *device,
                                         BendiTensorType     type,
                                         gint64              n_cols,
                                         gint64              n_rows,
                                         gint64              row_multiple,
                                         GError            **error) G_GNUC_WARN_UNUSED_RESULT;
void           bendi_vk_tensor_free   (BendiVkTensor        *self);
/* Uploads all n_rows · row_bytes bytes of @data, reporting progress after
 * each piece; a FALSE from @progress stops with CANCELLED. */
gboolean       bendi_vk_tensor_upload (BendiVkTensor        *self,
                                       const void           *data,
                                       BendiVkProgressFunc   progress,
                                       gpointer              user_data,
                                       GError              **error);

/* Writes @n_rows rows from @first_row, as the file stores them, to @out. */
typedef void (*BendiVkRowsFunc) (gint64    first_row,
                                 gint64    n_rows,
                                 guint8   *out,
                                 gpointer  user_data);

/* Uploads every row, asking @rows_func for them a piece at a time (rows
 * that come from elsewhere than one array: reordered, or rewritten from
 * another layout), with progress and cancellation as above. */
gboolean       bendi_vk_tensor_upload_rows (BendiVkTensor        *self,
                                            BendiVkRowsFunc       rows_func,
                                            gpointer              rows_data,
                                            BendiVkProgressFunc   progress,
                                            gpointer              user_data,
                                            GError              **error);

BendiTensorType           bendi_vk_tensor_get_type      (const BendiVkTensor *self);
gint64                    bendi_vk_tensor_get_n_cols    (const BendiVkTensor *self);
gint64                    bendi_vk_tensor_get_n_rows    (const BendiVkTensor *self);
gsize                     bendi_vk_tensor_get_row_bytes (const BendiVkTensor *self);
guint                     bendi_vk_tensor_get_n_chunks  (const BendiVkTensor *self);
/* Rows stored interleaved for the CPU devices' Q4_0 kernel, in groups of
 * this many lanes times BENDI_VK_ROWS_PER_LANE rows (a chunk holds whole
 * groups, its last one padded), or 0 for rows one after another. */
guint32                   bendi_vk_tensor_get_interleave_lanes (const BendiVkTensor *self);
const BendiVkTensorChunk *bendi_vk_tensor_get_chunk     (const BendiVkTensor *self,
                                                         guint                index);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiVkBuffer, bendi_vk_buffer_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiVkTensor, bendi_vk_tensor_free)

G_END_DECLS
