/* SPDX-License-Identifier: MIT */
/* Safe directory walks in the library. */
#include "hub-fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "hub-error.h"

void
hub_fs_set_errno_error (GError     **error,
                        int          saved_errno,
                        const char  *format,
                        ...)
{
  g_autofree char *message = NULL;
  va_list args;
  int code;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  if (saved_errno == ENOSPC || saved_errno == EDQUOT)
    code = BENDI_HUB_ERROR_NO_SPACE;
  else if (saved_errno == ELOOP)
    code = BENDI_HUB_ERROR_UNSAFE_PATH;
  else
    code = BENDI_HUB_ERROR_IO;
  g_set_error (error, BENDI_HUB_ERROR, code, "%s: %s", message, g_strerror (saved_errno));
}

int
hub_fs_open_root (const char  *root,
                  gboolean     create,
                  GError     **error)
{
  int fd;

  if (create && g_mkdir_with_parents (root, 0755) != 0)
    {
      int saved_errno = errno;

      hub_fs_set_errno_error (error, saved_errno, "Cannot create the models directory “%s”", root);
      return -1;
    }
  fd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    {
      int saved_errno = errno;

      if (saved_errno == ENOENT)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "“%s” does not exist", root);
      else
        hub_fs_set_errno_error (error, saved_errno, "Cannot open the models directory “%s”", root);
    }
  return fd;
}

int
hub_fs_open_dir_beneath (int          root_fd,
                         const char  *relative,
                         gboolean     create,
                         GError     **error)
{
  g_auto (GStrv) components = g_strsplit (relative, "/", -1);
  int fd = dup (root_fd);

  if (fd < 0)
    {
      hub_fs_set_errno_error (error, errno, "Cannot open the models directory");
      return -1;
    }
  for (guint i = 0; components[i] != NULL; i++)
    {
      const char *name = components[i];
      int next;

      if (*name == '\0')
        continue;
      if (strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
        {
          close (fd);
          g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_UNSAFE_PATH,
                       "Refusing the path “%s”: it leaves the models directory", relative);
          return -1;
        }
      next = openat (fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (next < 0 && errno == ENOENT && create)
        {
          if (mkdirat (fd, name, 0755) != 0 && errno != EEXIST)
            {
              int saved_errno = errno;

              close (fd);
              hub_fs_set_errno_error (error, saved_errno, "Cannot create “%s”", name);
              return -1;
            }
          next = openat (fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
      if (next < 0)
        {
          int saved_errno = errno;
          struct stat st;

          /* O_NOFOLLOW on a link gives ELOOP; O_DIRECTORY on a link to a
           * directory's name may give ENOTDIR: both mean "not a plain dir". */
          if (saved_errno == ELOOP ||
              (saved_errno == ENOTDIR && fstatat (fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK (st.st_mode)))
            g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_UNSAFE_PATH,
                         "Refusing to write through the symbolic link “%s” in “%s”", name, relative);
          else if (saved_errno == ENOENT)
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "“%s” does not exist", relative);
          else
            hub_fs_set_errno_error (error, saved_errno, "Cannot open “%s”", relative);
          close (fd);
          return -1;
        }
      close (fd);
      fd = next;
    }
  return fd;
}
