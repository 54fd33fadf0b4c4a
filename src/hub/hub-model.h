/* SPDX-License-Identifier: MIT */
/* What the Hub says about a repository and its files, as plain records. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* A repository from a search or from its details page. */
typedef struct {
  char    *id;               /* "owner/name" */
  char    *author;
  gint64   downloads;
  gint64   likes;
  char    *last_modified;    /* ISO 8601, or NULL */
  char    *gated;            /* NULL when open; "auto" or "manual" */
  char    *license;          /* the card's license id, or NULL */
  char    *pipeline_tag;
  char   **tags;             /* never NULL */
  /* From the Hub's own GGUF summary of the repository, when it has one. */
  char    *architecture;
  gint64   context_length;   /* 0 when unknown */
  gint64   n_params;         /* 0 when unknown */
} BendiHubModel;

/* One file of a repository. */
typedef struct {
  char    *path;             /* relative to the repository root; checked safe */
  guint64  size;
  char    *sha256;           /* LFS sha256, 64 lowercase hex digits, or NULL */
  const char *quant;         /* static; NULL when the name does not say */
  guint    split_index;      /* 1-based; 0 when not a split part */
  guint    split_count;
} BendiHubFile;

/* A model as the user sees it: a single GGUF file or all parts of a split. */
typedef struct {
  char      *name;           /* the path, or for splits the path without -0000N-of-0000M */
  const char *quant;
  guint64    size;           /* all parts */
  GPtrArray *parts;          /* of BendiHubFile, in part order */
  gboolean   complete;       /* every part of a split is listed */
} BendiHubFileGroup;

#define BENDI_HUB_TYPE_MODEL      (bendi_hub_model_get_type ())
#define BENDI_HUB_TYPE_FILE       (bendi_hub_file_get_type ())
#define BENDI_HUB_TYPE_FILE_GROUP (bendi_hub_file_group_get_type ())

GType              bendi_hub_model_get_type      (void) G_GNUC_CONST;
GType              bendi_hub_file_get_type       (void) G_GNUC_CONST;
GType              bendi_hub_file_group_get_type (void) G_GNUC_CONST;

BendiHubModel     *bendi_hub_model_copy       (const BendiHubModel *self);
void               bendi_hub_model_free       (BendiHubModel       *self);
BendiHubFile      *bendi_hub_file_new         (const char          *path,
                                               guint64              size,
                                               const char          *sha256);
BendiHubFile      *bendi_hub_file_copy        (const BendiHubFile  *self);
void               bendi_hub_file_free        (BendiHubFile        *self);
BendiHubFileGroup *bendi_hub_file_group_copy  (const BendiHubFileGroup *self);
void               bendi_hub_file_group_free  (BendiHubFileGroup   *self);

/* Groups the GGUF files of @files (BendiHubFile) into models: split parts
 * of one name together; other files are left out. Sorted by name. */
GPtrArray         *bendi_hub_group_files      (GPtrArray           *files) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiHubModel, bendi_hub_model_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiHubFile, bendi_hub_file_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiHubFileGroup, bendi_hub_file_group_free)

G_END_DECLS
