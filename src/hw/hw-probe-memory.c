/* SPDX-License-Identifier: MIT */
/* How much RAM this program may use: /proc/meminfo, narrowed by every memory cgroup limit above it. */
#define G_LOG_DOMAIN "bendi-hw"

#include "hw-probe-private.h"

#include <string.h>

/* The contents of @root/@path, or NULL. */
static char *
read_file (const char *root,
           const char *path)
{
  g_autofree char *full = g_build_filename (root, path, NULL);
  char *contents = NULL;

  if (!g_file_get_contents (full, &contents, NULL, NULL))
    return NULL;
  return contents;
}

/* The number after "@key" at the start of a line of @text ("MemTotal:",
 * "inactive_file "), times @unit; FALSE when absent. */
static gboolean
find_value (const char *text,
            const char *key,
            guint64     unit,
            guint64    *out)
{
  gsize key_len = strlen (key);

  for (const char *line = text; line != NULL && *line != '\0'; )
    {
      const char *end = strchr (line, '\n');

      if (strncmp (line, key, key_len) == 0)
        {
          guint64 v = g_ascii_strtoull (line + key_len, NULL, 10);

          *out = v > G_MAXUINT64 / unit ? G_MAXUINT64 : v * unit;
          return TRUE;
        }
      line = end != NULL ? end + 1 : NULL;
    }
  return FALSE;
}

/* A whole file holding one number ("max" for none: G_MAXUINT64). */
static gboolean
read_number (const char *dir,
             const char *name,
             guint64    *out)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *text = NULL;
  char *end;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return FALSE;
  g_strstrip (text);
  if (g_str_equal (text, "max"))
    {
      *out = G_MAXUINT64;
      return TRUE;
    }
  *out = g_ascii_strtoull (text, &end, 10);
  return end != text;
}

typedef struct {
  gboolean    v2;
  const char *limit_file;
  const char *usage_file;
  const char *inactive_key;   /* page cache the kernel reclaims before it hits the limit */
} CgroupFlavour;

static const CgroupFlavour flavour_v1 = {
  FALSE, "memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file "
};
static const CgroupFlavour flavour_v2 = {
  TRUE, "memory.max", "memory.current", "inactive_file "
};

/* Where the hierarchy of @flavour is mounted (@root-relative mount point
 * and the hierarchy's path at that mount), from mountinfo: fields are
 * "id parent dev root mount-point options [optional…] - fstype source
 * super-options". */
static gboolean
find_mount (const char          *mountinfo,
            const CgroupFlavour *flavour,
            char               **mount_point,
            char               **mount_root)
{
  g_auto (GStrv) lines = g_strsplit (mountinfo, "\n", -1);

  for (gsize i = 0; lines[i] != NULL; i++)
    {
      g_auto (GStrv) fields = g_strsplit (lines[i], " ", -1);
      guint n = g_strv_length (fields);
      guint dash;

      if (n < 7)
        continue;
      for (dash = 6; dash < n && !g_str_equal (fields[dash], "-"); dash++)
        ;
      if (dash + 1 >= n)
        continue;
      if (flavour->v2 ? !g_str_equal (fields[dash + 1], "cgroup2") : !g_str_equal (fields[dash + 1], "cgroup"))
        continue;
      if (!flavour->v2)
        {
          g_auto (GStrv) options = dash + 3 < n ? g_strsplit (fields[dash + 3], ",", -1) : NULL;

          if (options == NULL || !g_strv_contains ((const char *const *) options, "memory"))
            continue;
        }
      *mount_root = g_strdup (fields[3]);
      *mount_point = g_strdup (fields[4]);
      return TRUE;
    }
  return FALSE;
}

/* This process's path in the hierarchy of @flavour, from /proc/self/cgroup
 * ("id:controllers:path"; v2 is "0::path"). */
static char *
find_cgroup_path (const char          *cgroups,
                  const CgroupFlavour *flavour)
{
  g_auto (GStrv) lines = g_strsplit (cgroups, "\n", -1);

  for (gsize i = 0; lines[i] != NULL; i++)
    {
      g_auto (GStrv) parts = g_strsplit (lines[i], ":", 3);

      if (g_strv_length (parts) != 3)
        continue;
      if (flavour->v2)
        {
          if (g_str_equal (parts[0], "0") && parts[1][0] == '\0')
            return g_strdup (parts[2]);
        }
      else
        {
          g_auto (GStrv) controllers = g_strsplit (parts[1], ",", -1);

          if (g_strv_contains ((const char *const *) controllers, "memory"))
            return g_strdup (parts[2]);
        }
    }
  return NULL;
}

/* Walks from this process's cgroup up to the hierarchy's root, keeping the
 * lowest limit and the least room left under any limit. */
static void
read_cgroup_limits (const char          *root,
                    const char          *cgroups,
                    const char          *mountinfo,
                    const CgroupFlavour *flavour,
                    guint64             *limit,
                    guint64             *headroom)
{
  g_autofree char *path = find_cgroup_path (cgroups, flavour);
  g_autofree char *mount_point = NULL;
  g_autofree char *mount_root = NULL;
  g_autofree char *top = NULL;
  g_autofree char *dir = NULL;
  const char *relative;

  if (path == NULL || !find_mount (mountinfo, flavour, &mount_point, &mount_root))
    return;
  /* Inside a cgroup namespace the mount's root is the namespace's root,
   * and paths are already relative to it. */
  relative = path;
  if (!g_str_equal (mount_root, "/") && g_str_has_prefix (path, mount_root))
    relative = path + strlen (mount_root);
  top = g_build_filename (root, mount_point, NULL);
  dir = g_build_filename (top, relative, NULL);

  while (g_str_has_prefix (dir, top))
    {
      guint64 dir_limit, usage, inactive = 0;
      char *parent;

      if (!read_number (dir, flavour->limit_file, &dir_limit))
        dir_limit = G_MAXUINT64;
      *limit = MIN (*limit, dir_limit);
      if (dir_limit != G_MAXUINT64 && read_number (dir, flavour->usage_file, &usage))
        {
          g_autofree char *stat_path = g_build_filename (dir, "memory.stat", NULL);
          g_autofree char *stat = NULL;

          if (g_file_get_contents (stat_path, &stat, NULL, NULL))
            find_value (stat, flavour->inactive_key, 1, &inactive);
          usage -= MIN (inactive, usage);
          *headroom = MIN (*headroom, dir_limit - MIN (usage, dir_limit));
        }
      if (strlen (dir) <= strlen (top))
        break;
      parent = g_path_get_dirname (dir);
      g_free (dir);
      dir = parent;
    }
}

void
bendi_hw_probe_memory (BendiHwInfo *info,
                       const char  *root)
{
  g_autofree char *meminfo = read_file (root, "proc/meminfo");
  g_autofree char *cgroups = read_file (root, "proc/self/cgroup");
  g_autofree char *mountinfo = read_file (root, "proc/self/mountinfo");
  guint64 total = 0, available = 0, free_bytes = 0, cached = 0;
  guint64 limit = G_MAXUINT64, headroom = G_MAXUINT64;

  if (meminfo != NULL)
    {
      find_value (meminfo, "MemTotal:", 1024, &total);
      /* Kernels before 3.14 lack MemAvailable. */
      if (!find_value (meminfo, "MemAvailable:", 1024, &available))
        {
          find_value (meminfo, "MemFree:", 1024, &free_bytes);
          find_value (meminfo, "Cached:", 1024, &cached);
          available = free_bytes + cached;
        }
    }
  if (cgroups != NULL && mountinfo != NULL)
    {
      read_cgroup_limits (root, cgroups, mountinfo, &flavour_v2, &limit, &headroom);
      read_cgroup_limits (root, cgroups, mountinfo, &flavour_v1, &limit, &headroom);
    }

  info->ram_physical_bytes = total;
  info->ram_total_bytes = MIN (total, limit);
  info->ram_available_bytes = MIN (MIN (available, headroom), info->ram_total_bytes);
  info->ram_cgroup_limited = limit < total;
}
