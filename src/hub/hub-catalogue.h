/* SPDX-License-Identifier: MIT */
/* The curated catalogue of models that run on consumer hardware, shipped
 * as data/catalogue.json. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef struct {
  char    *repo_id;          /* a Hugging Face repository of GGUF files */
  char    *name;             /* for people: "Qwen2.5 7B Instruct" */
  char    *family;           /* "Qwen2.5", "Llama 3.2"… */
  char    *architecture;     /* general.architecture of its GGUFs */
  gint64   params_total;
  gint64   params_active;    /* equal to params_total unless mixture-of-experts */
  gint64   context_length;
  char   **languages;        /* ISO 639-1 codes */
  char   **tasks;            /* "chat", "coding", "reasoning" */
  char    *license_id;       /* an SPDX id, or the vendor's license name */
  char    *license_url;
  char    *description_en;
  char    *description_zh;
  char    *recommended_file; /* a good first file to download, or NULL */
  gboolean supported;        /* the engine runs its architecture */
  char    *source;           /* where the facts above were checked */
} BendiHubCatalogueEntry;

#define BENDI_HUB_TYPE_CATALOGUE_ENTRY (bendi_hub_catalogue_entry_get_type ())
GType                   bendi_hub_catalogue_entry_get_type (void) G_GNUC_CONST;
BendiHubCatalogueEntry *bendi_hub_catalogue_entry_copy     (const BendiHubCatalogueEntry *self);
void                    bendi_hub_catalogue_entry_free     (BendiHubCatalogueEntry       *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiHubCatalogueEntry, bendi_hub_catalogue_entry_free)

/* TRUE for the architectures Bendi's engine runs today. */
gboolean   bendi_hub_architecture_is_supported (const char *architecture);

/* Where the catalogue is: $BENDI_CATALOGUE, else the source tree's data/
 * (when running uninstalled from a build tree), else the installed copy. */
char      *bendi_hub_catalogue_find     (void) G_GNUC_WARN_UNUSED_RESULT;
/* Loads and checks @path (NULL: bendi_hub_catalogue_find ()); every entry
 * must have every field. Entries come in file order. */
GPtrArray *bendi_hub_catalogue_load     (const char  *path,
                                         GError     **error) G_GNUC_WARN_UNUSED_RESULT;
/* The entry for @repo_id, or NULL. */
const BendiHubCatalogueEntry *
           bendi_hub_catalogue_lookup   (GPtrArray   *entries,
                                         const char  *repo_id);

G_END_DECLS
