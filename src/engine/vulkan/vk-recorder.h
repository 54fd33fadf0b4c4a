/* SPDX-License-Identifier: MIT */
/* A command recorder: record dispatches once, submit and wait, replay the same command buffer for every token. */
#pragma once

#include <glib.h>

#include "vulkan/vk-device.h"
#include "vulkan/vk-memory.h"
#include "vulkan/vk-pipeline.h"

G_BEGIN_DECLS

typedef struct _BendiVkRecorder BendiVkRecorder;

BendiVkRecorder *bendi_vk_recorder_new  (BendiVkDevice    *device,
                                         GError          **error) G_GNUC_WARN_UNUSED_RESULT;
void             bendi_vk_recorder_free (BendiVkRecorder  *self);

/* Starts a new recording, dropping the previous one. */
void     bendi_vk_recorder_begin  (BendiVkRecorder        *self);

/* Records one dispatch of @pipeline with its bindings (pipeline->n_bindings
 * buffers, in binding order; NULL for one the dispatch does not touch) and
 * push constants (pipeline->push_size bytes). A memory barrier goes before it only when it reads or writes what
 * an earlier dispatch since the last barrier wrote (or writes what one
 * read). Errors are kept: the first one is reported by end (), and once
 * failed, recording does nothing. Returns FALSE once failed. */
gboolean bendi_vk_recorder_record (BendiVkRecorder        *self,
                                   const BendiVkPipeline  *pipeline,
                                   BendiVkBuffer *const   *bindings,
                                   const void             *constants,
                                   guint32                 groups_x,
                                   guint32                 groups_y,
                                   guint32                 groups_z);

/* Records a copy of the first @size bytes of @src to @dst, with the
 * barriers that order it after every earlier dispatch and before every
 * later one (and the host's reads after the submission). */
gboolean bendi_vk_recorder_copy   (BendiVkRecorder        *self,
                                   BendiVkBuffer          *src,
                                   BendiVkBuffer          *dst,
                                   gsize                   size);

/* A device buffer of at least @size bytes for the recording's own
 * intermediate results, the same for every caller (the barriers order
 * their uses); it stays valid until the next begin (). NULL once the
 * recording failed, or failing it when out of memory. */
BendiVkBuffer *bendi_vk_recorder_get_scratch (BendiVkRecorder *self,
                                              gsize            size);

/* Keeps @error (taking it) as the recording's failure, unless one is
 * already kept. For ops that find their arguments wrong. */
void     bendi_vk_recorder_fail   (BendiVkRecorder        *self,
                                   GError                 *error);
/* Whether the recording has failed so far. */
gboolean bendi_vk_recorder_failed (const BendiVkRecorder  *self);

/* Finishes the recording; reports the first error of record (). */
gboolean bendi_vk_recorder_end    (BendiVkRecorder        *self,
                                   GError                **error);

/* Runs the recorded command buffer and waits for it. It can be run again
 * as often as wanted: what changes between runs (positions, token ids)
 * lives in buffers the host writes, not in the recording. */
gboolean bendi_vk_recorder_submit_and_wait (BendiVkRecorder  *self,
                                            GError          **error);

/* Where the device times dispatches (bendi_vk_device_times_dispatches ()),
 * the GPU time of each dispatch and copy of the recording, in recording
 * order, summed over its runs since it was recorded or the times were
 * reset. Each runs from the end of everything recorded before it to its
 * own end, so that dispatches running side by side (no barrier between)
 * share out the time they took together, and the times add up to the
 * recording's. */
typedef struct {
  const char *what;       /* the pipeline's name, or "copy" */
  guint64     groups;     /* workgroups dispatched (0 for a copy) */
  guint64     bytes;      /* binding 0's size (a product's weights), or the bytes copied */
  guint64     ns;
} BendiVkDispatchTime;

/* The times and the runs they sum; NULL with 0 runs where dispatches are
 * not timed. Valid until the next begin (). The first
 * BENDI_VK_MAX_TIMED_DISPATCHES of a recording are timed. */
#define BENDI_VK_MAX_TIMED_DISPATCHES 4095
const BendiVkDispatchTime *bendi_vk_recorder_get_times   (const BendiVkRecorder *self,
                                                          guint                 *n_times,
                                                          guint64               *n_runs);
void                       bendi_vk_recorder_reset_times (BendiVkRecorder       *self);

BendiVkDevice *bendi_vk_recorder_get_device       (const BendiVkRecorder *self);
guint          bendi_vk_recorder_get_n_dispatches (const BendiVkRecorder *self);
guint          bendi_vk_recorder_get_n_barriers   (const BendiVkRecorder *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiVkRecorder, bendi_vk_recorder_free)

G_END_DECLS
