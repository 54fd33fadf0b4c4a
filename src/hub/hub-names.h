/* SPDX-License-Identifier: MIT */
/* What file and repository names from the Hub mean, and which are safe to
 * write: quantisation and split parts from names, path checks. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The quantisation a GGUF file name announces ("Q4_K_M", "IQ4_XS", "F16",
 * "BF16"…), canonically upper-case, or NULL. The rightmost match wins. */
const char *bendi_hub_quant_from_name (const char *file_name);

/* For "NAME-00002-of-00003.gguf": TRUE, *index 2, *count 3 and *base
 * "NAME.gguf" (free it). FALSE for any other name. */
gboolean    bendi_hub_split_parse     (const char  *file_name,
                                       guint       *index,
                                       guint       *count,
                                       char       **base);

/* "owner/name" with each half a Hub name: letters, digits, '-', '_', '.',
 * not starting with '.', '-' or '_', no "..", at most 96 bytes. */
gboolean    bendi_hub_repo_id_is_valid (const char *repo_id);

/* A file path from the Hub that may become a path inside the library:
 * relative, '/'-separated, no empty, "." or ".." component, no backslash,
 * no control byte, valid UTF-8, and not ending in ".part" (the name of a
 * download in progress). Absolute paths and "../" escapes are refused here;
 * symbolic links on disk are refused when the file is opened. */
gboolean    bendi_hub_file_path_is_safe (const char *path);

/* TRUE for "*.gguf" (any case). */
gboolean    bendi_hub_is_gguf_name    (const char *file_name);

/* "12.3 GB", "640 MB": decimal units, like the Hub's own pages. */
char       *bendi_hub_format_size     (guint64 n_bytes) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
