/* SPDX-License-Identifier: MIT */
/* The probe's parts, each reading a file tree rooted at @root ("/" on a real system), so tests can hand them fake /proc and /sys trees. */
#pragma once

#include <glib.h>

#include "hw-info.h"

G_BEGIN_DECLS

/* Model name, logical and physical cores and caches, from
 * @root/proc/cpuinfo and @root/sys/devices/system/cpu. */
void bendi_hw_probe_cpu    (BendiHwInfo *info,
                            const char  *root);

/* RAM from @root/proc/meminfo, narrowed by the memory cgroups (v1 and v2)
 * that @root/proc/self/cgroup and @root/proc/self/mountinfo name. */
void bendi_hw_probe_memory (BendiHwInfo *info,
                            const char  *root);

G_END_DECLS
