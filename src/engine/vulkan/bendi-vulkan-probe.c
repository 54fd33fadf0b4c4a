/* SPDX-License-Identifier: MIT */
/* bendi-vulkan-probe: lists the Vulkan devices for a process that must not
 * load the drivers itself, its answer on standard output (vk-probe.c). A
 * program of its own, started with exec, so that the caller may have any
 * number of threads. */
#include <unistd.h>

#include "vulkan/vk-device.h"

int
main (int    argc,
      char **argv G_GNUC_UNUSED)
{
  if (argc != 1)
    return 2;
  bendi_vk_probe_answer (STDOUT_FILENO);
  return 0;
}
