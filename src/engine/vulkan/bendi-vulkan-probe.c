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
  int answer_fd;

  if (argc != 1)
    return 2;
  /* The answer keeps standard output to itself: whatever a driver prints
   * there while listing goes to standard error instead. */
  answer_fd = dup (STDOUT_FILENO);
  if (answer_fd < 0 || dup2 (STDERR_FILENO, STDOUT_FILENO) < 0)
    return 1;
  bendi_vk_probe_answer (answer_fd);
  /* Answered. No exit handlers: what the drivers leave allocated is not
   * this program's to report, and a leak checker's exit status would read
   * to the caller as a failed listing. */
  _exit (0);
}
