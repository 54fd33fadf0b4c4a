/* SPDX-License-Identifier: MIT */
/* Helpers shared by the Vulkan tests: a device or a clean skip, and float buffers in and out. */
#pragma once

#include <glib.h>

#include "vulkan/vk-device.h"
#include "vulkan/vk-memory.h"
#include "vulkan/vk-recorder.h"

G_BEGIN_DECLS

/* Opens the first usable Vulkan device (or BENDI_VULKAN_TEST_DEVICE) with
 * @params (NULL: defaults, with the pipeline cache off). NULL, with the
 * current test skipped and the reason said, when there is none. */
BendiVkDevice *bendi_test_vk_device_new (const BendiVkDeviceParams *params) G_GNUC_WARN_UNUSED_RESULT;

BendiVkBuffer *bendi_test_vk_upload (BendiVkDevice *device,
                                     const void    *data,
                                     gsize          size) G_GNUC_WARN_UNUSED_RESULT;
/* A device buffer of @size bytes filled with NaN bit patterns, so output
 * the shader forgets to write shows. */
BendiVkBuffer *bendi_test_vk_poisoned (BendiVkDevice *device,
                                       gsize          size) G_GNUC_WARN_UNUSED_RESULT;
float         *bendi_test_vk_download (BendiVkBuffer *buffer) G_GNUC_WARN_UNUSED_RESULT;

/* end () and submit_and_wait (), asserting both succeed. */
void           bendi_test_vk_run (BendiVkRecorder *rec);

/* Uniform floats in [-scale, scale]. */
float         *bendi_test_random_floats (GRand *rand,
                                         gsize  n,
                                         float  scale) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
