/* SPDX-License-Identifier: MIT */
/* A Vulkan loader that prints on standard output, as some drivers do while
 * their devices are listed, and offers nothing (too old a loader):
 * test-vulkan-device points BENDI_VULKAN_LOADER here to check that what a
 * driver prints does not become part of bendi-vulkan-probe's answer. */
#include <stdio.h>

void *vkGetInstanceProcAddr (void *instance, const char *name);

void *
vkGetInstanceProcAddr (void       *instance,
                       const char *name)
{
  (void) instance;
  printf ("fake driver: asked for %s\n", name);
  fflush (stdout);
  return NULL;
}
