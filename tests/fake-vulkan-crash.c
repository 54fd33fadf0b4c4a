/* SPDX-License-Identifier: MIT */
/* A Vulkan loader that crashes as soon as it is asked for anything, as a
 * broken driver may while its devices are listed: test-model points
 * BENDI_VULKAN_LOADER here to check that the auto backend's child process
 * takes the crash, not the caller. */
#include <stdlib.h>

void *vkGetInstanceProcAddr (void *instance, const char *name);

void *
vkGetInstanceProcAddr (void       *instance,
                       const char *name)
{
  (void) instance;
  (void) name;
  abort ();
}
