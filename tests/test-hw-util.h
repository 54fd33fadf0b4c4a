/* SPDX-License-Identifier: MIT */
/* Helpers for the hw tests: model files of realistic sizes that take no disk space, and described machines. */
#pragma once

#include <glib.h>

#include "hw-info.h"
#include "tensor/tensor-type.h"

G_BEGIN_DECLS

/* A llama-shaped model (a mixture of experts when n_expert > 0). */
typedef struct {
  const char      *arch;           /* "llama"; any name */
  gint64           n_vocab;
  gint64           n_embd;
  gint64           n_layer;
  gint64           n_head;
  gint64           n_head_kv;
  gint64           n_ff;
  gint64           n_ctx_train;
  gint64           n_expert;
  gint64           n_expert_used;
  BendiTensorType  type;           /* of every matrix; norms are F32 */
  gboolean         tied;           /* no output.weight */
  gint64           file_type;      /* general.file_type, or -1 for none */
} HwTestModel;

/* A GGUF for @model under @dir: the header written, the tensor data a hole
 * (a sparse file), so a 40 GB model costs a few kilobytes. Returns its
 * path. */
char   *hw_test_write_model (const char        *dir,
                             const char        *name,
                             const HwTestModel *model) G_GNUC_WARN_UNUSED_RESULT;

/* Bytes of all tensors, of one layer's and of the shared ones, counted by
 * the test itself from the shapes. */
guint64 hw_test_layer_bytes  (const HwTestModel *model);
guint64 hw_test_shared_bytes (const HwTestModel *model);

/* A machine with @ram_total bytes of RAM, @ram_available of them free,
 * 8 cores, no GPU and no bandwidth measured. */
BendiHwInfo *hw_test_machine (guint64 ram_total,
                              guint64 ram_available) G_GNUC_WARN_UNUSED_RESULT;

/* Adds a GPU with @vram bytes, @vram_free of them free (with a memory
 * budget), usable. */
BendiHwGpu  *hw_test_add_gpu (BendiHwInfo       *hw,
                              const char        *name,
                              BendiVkDeviceType  type,
                              guint64            vram,
                              guint64            vram_free,
                              gboolean           uma);

#define GB ((guint64) 1000 * 1000 * 1000)

G_END_DECLS
