/* SPDX-License-Identifier: MIT */
/* The models on this computer: Bendi's downloads, files the user imported,
 * and what LM Studio and Ollama already hold (used in place, never copied). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  BENDI_HUB_SOURCE_BENDI,       /* downloaded into the models directory */
  BENDI_HUB_SOURCE_IMPORTED,    /* a file the user picked, referenced where it is */
  BENDI_HUB_SOURCE_LM_STUDIO,
  BENDI_HUB_SOURCE_OLLAMA,
} BendiHubSource;

typedef enum {
  BENDI_HUB_SCAN_DEFAULT     = 0,
  /* Leave out LM Studio's and Ollama's folders. */
  BENDI_HUB_SCAN_NO_DISCOVER = 1 << 0,
} BendiHubScanFlags;

typedef struct {
  char          *name;          /* "owner/repo/file.gguf", or Ollama's "model:tag" */
  char          *repo_id;       /* "owner/repo" when known, else NULL */
  char         **paths;         /* every part, in order; the first is the one to load */
  guint64        size;          /* all parts */
  const char    *quant;         /* static, from the name; may be NULL */
  char          *architecture;  /* general.architecture, NULL when unreadable */
  BendiHubSource source;
} BendiHubLocalModel;

#define BENDI_HUB_TYPE_LOCAL_MODEL (bendi_hub_local_model_get_type ())
GType               bendi_hub_local_model_get_type (void) G_GNUC_CONST;
BendiHubLocalModel *bendi_hub_local_model_copy     (const BendiHubLocalModel *self);
void                bendi_hub_local_model_free     (BendiHubLocalModel       *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiHubLocalModel, bendi_hub_local_model_free)

const char *bendi_hub_source_to_string (BendiHubSource source);

/* Lists the models in @models_dir, the imported ones and (unless told not
 * to) those of LM Studio (~/.lmstudio/models, ~/.cache/lm-studio/models)
 * and Ollama ($OLLAMA_MODELS or ~/.ollama/models). Blocking; sorted by name. */
GPtrArray *bendi_hub_library_scan        (const char           *models_dir,
                                          BendiHubScanFlags     flags,
                                          GCancellable         *cancellable,
                                          GError              **error) G_GNUC_WARN_UNUSED_RESULT;
void       bendi_hub_library_scan_async  (const char           *models_dir,
                                          BendiHubScanFlags     flags,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
GPtrArray *bendi_hub_library_scan_finish (GAsyncResult         *result,
                                          GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* Removes @model: a download's files are deleted (every part), an import is
 * forgotten (its file stays). LM Studio's and Ollama's models belong to
 * them and are refused. */
gboolean   bendi_hub_library_remove      (const char               *models_dir,
                                          const BendiHubLocalModel *model,
                                          GError                  **error);

/* Adds the GGUF at @path to the library where it is, after checking its
 * header. */
gboolean   bendi_hub_library_import      (const char           *models_dir,
                                          const char           *path,
                                          GError              **error);

G_END_DECLS
