/* SPDX-License-Identifier: MIT */
/* Opening paths inside the library without following symbolic links, so
 * that no name from a server can make the hub write elsewhere. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Opens (creating it and its parents first when @create) the directory
 * @root, which may be anywhere, itself followed as given. */
int  hub_fs_open_root        (const char  *root,
                              gboolean     create,
                              GError     **error);
/* Opens the directory @relative ('/'-separated, checked safe by the caller)
 * under @root_fd, one component at a time with O_NOFOLLOW: a symbolic link
 * anywhere on the way is refused with BENDI_HUB_ERROR_UNSAFE_PATH. Missing
 * components are made when @create, else the error is G_IO_ERROR_NOT_FOUND. */
int  hub_fs_open_dir_beneath (int          root_fd,
                              const char  *relative,
                              gboolean     create,
                              GError     **error);
/* A BENDI_HUB_ERROR from errno: NO_SPACE for ENOSPC/EDQUOT, UNSAFE_PATH
 * for ELOOP, IO otherwise. */
void hub_fs_set_errno_error  (GError     **error,
                              int          saved_errno,
                              const char  *format,
                              ...) G_GNUC_PRINTF (3, 4);

G_END_DECLS
