/* SPDX-License-Identifier: MIT */
/* Writing GGUF files: for make-model, for tests that need synthetic models, and for tools. */
#pragma once

#include <glib.h>

#include "gguf/gguf.h"

G_BEGIN_DECLS

typedef struct _BendiGgufWriter BendiGgufWriter;

/* Fills @buffer with the @n_bytes of tensor @index when the tensor was added
 * without data; lets big models be written one tensor at a time. */
typedef gboolean (*BendiGgufTensorFillFunc) (gsize     index,
                                             guint8   *buffer,
                                             gsize     n_bytes,
                                             gpointer  user_data,
                                             GError  **error);

BendiGgufWriter *bendi_gguf_writer_new           (void) G_GNUC_WARN_UNUSED_RESULT;
void             bendi_gguf_writer_free          (BendiGgufWriter *self);

/* Version 3 unless told otherwise. */
void bendi_gguf_writer_set_version      (BendiGgufWriter *self,
                                         guint32          version);
/* Also records the `general.alignment` key. */
void bendi_gguf_writer_set_alignment    (BendiGgufWriter *self,
                                         guint32          alignment);

void bendi_gguf_writer_add_uint32       (BendiGgufWriter *self,
                                         const char      *key,
                                         guint32          value);
void bendi_gguf_writer_add_int32        (BendiGgufWriter *self,
                                         const char      *key,
                                         gint32           value);
void bendi_gguf_writer_add_uint64       (BendiGgufWriter *self,
                                         const char      *key,
                                         guint64          value);
void bendi_gguf_writer_add_float32      (BendiGgufWriter *self,
                                         const char      *key,
                                         float            value);
void bendi_gguf_writer_add_bool         (BendiGgufWriter *self,
                                         const char      *key,
                                         gboolean         value);
void bendi_gguf_writer_add_string       (BendiGgufWriter *self,
                                         const char      *key,
                                         const char      *value);
/* @elements holds @n values of the scalar @elem_type in host byte order. */
void bendi_gguf_writer_add_array        (BendiGgufWriter *self,
                                         const char      *key,
                                         BendiGgufType    elem_type,
                                         const void      *elements,
                                         gsize            n);
void bendi_gguf_writer_add_string_array (BendiGgufWriter   *self,
                                         const char        *key,
                                         const char *const *strings,
                                         gsize              n);
/* Copies any value, nested arrays included, e.g. from another file. */
void bendi_gguf_writer_add_value        (BendiGgufWriter      *self,
                                         const char           *key,
                                         const BendiGgufValue *value);

/* Declares a tensor. @data, when given, must hold exactly its bytes;
 * otherwise the fill function supplies them at write time. Returns the
 * tensor's index. */
gsize bendi_gguf_writer_add_tensor      (BendiGgufWriter *self,
                                         const char      *name,
                                         BendiTensorType  type,
                                         guint32          n_dims,
                                         const gint64    *ne,
                                         GBytes          *data);

/* Writes to a temporary file beside @path and renames it into place, so a
 * failure (a full disk) never leaves a half-written model under @path. */
gboolean bendi_gguf_writer_write_file   (BendiGgufWriter         *self,
                                         const char              *path,
                                         BendiGgufTensorFillFunc  fill,
                                         gpointer                 user_data,
                                         GError                 **error);
GBytes  *bendi_gguf_writer_write_bytes  (BendiGgufWriter         *self,
                                         BendiGgufTensorFillFunc  fill,
                                         gpointer                 user_data,
                                         GError                 **error) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiGgufWriter, bendi_gguf_writer_free)

G_END_DECLS
