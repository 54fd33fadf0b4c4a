/* SPDX-License-Identifier: MIT */
/* Hooks for tests: failures of the disk, and short retry delays. */
#pragma once

#include <sys/types.h>

#include "hub-download.h"

G_BEGIN_DECLS

/* Writes @n bytes of @buffer at @offset of @fd like pwrite (): returns the
 * bytes written or -1 with errno set. */
typedef gssize (*BendiHubWriteFunc) (int         fd,
                                     const void *buffer,
                                     gsize       n,
                                     off_t       offset,
                                     gpointer    user_data);

void bendi_hub_download_set_write_func  (BendiHubDownload  *self,
                                         BendiHubWriteFunc  func,
                                         gpointer           user_data);
/* The first retry waits @ms, each later one twice as long (1000 by default). */
void bendi_hub_download_set_retry_delay (BendiHubDownload  *self,
                                         guint              ms);
/* Free bytes to assume instead of asking the file system (0: ask). */
void bendi_hub_download_set_free_space  (BendiHubDownload  *self,
                                         guint64            n_bytes);

G_END_DECLS
