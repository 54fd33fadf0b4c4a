/* SPDX-License-Identifier: MIT */
/* Records of repositories and files, and grouping split GGUF parts. */
#include "hub-model.h"

#include <string.h>

#include "hub-names.h"

G_DEFINE_BOXED_TYPE (BendiHubModel, bendi_hub_model, bendi_hub_model_copy, bendi_hub_model_free)
G_DEFINE_BOXED_TYPE (BendiHubFile, bendi_hub_file, bendi_hub_file_copy, bendi_hub_file_free)
G_DEFINE_BOXED_TYPE (BendiHubFileGroup, bendi_hub_file_group, bendi_hub_file_group_copy, bendi_hub_file_group_free)

BendiHubModel *
bendi_hub_model_copy (const BendiHubModel *self)
{
  BendiHubModel *copy = g_new0 (BendiHubModel, 1);

  *copy = *self;
  copy->id = g_strdup (self->id);
  copy->author = g_strdup (self->author);
  copy->last_modified = g_strdup (self->last_modified);
  copy->gated = g_strdup (self->gated);
  copy->license = g_strdup (self->license);
  copy->pipeline_tag = g_strdup (self->pipeline_tag);
  copy->tags = g_strdupv (self->tags);
  copy->architecture = g_strdup (self->architecture);
  return copy;
}

void
bendi_hub_model_free (BendiHubModel *self)
{
  if (self == NULL)
    return;
  g_free (self->id);
  g_free (self->author);
  g_free (self->last_modified);
  g_free (self->gated);
  g_free (self->license);
  g_free (self->pipeline_tag);
  g_strfreev (self->tags);
  g_free (self->architecture);
  g_free (self);
}

BendiHubFile *
bendi_hub_file_new (const char *path,
                    guint64     size,
                    const char *sha256)
{
  BendiHubFile *self = g_new0 (BendiHubFile, 1);
  const char *base;

  self->path = g_strdup (path);
  self->size = size;
  self->sha256 = g_ascii_strdown (sha256 != NULL ? sha256 : "", -1);
  if (*self->sha256 == '\0')
    g_clear_pointer (&self->sha256, g_free);
  base = strrchr (path, '/');
  base = base != NULL ? base + 1 : path;
  self->quant = bendi_hub_quant_from_name (path);
  if (!bendi_hub_split_parse (base, &self->split_index, &self->split_count, NULL))
    self->split_index = self->split_count = 0;
  return self;
}

BendiHubFile *
bendi_hub_file_copy (const BendiHubFile *self)
{
  BendiHubFile *copy = g_new0 (BendiHubFile, 1);

  *copy = *self;
  copy->path = g_strdup (self->path);
  copy->sha256 = g_strdup (self->sha256);
  return copy;
}

void
bendi_hub_file_free (BendiHubFile *self)
{
  if (self == NULL)
    return;
  g_free (self->path);
  g_free (self->sha256);
  g_free (self);
}

BendiHubFileGroup *
bendi_hub_file_group_copy (const BendiHubFileGroup *self)
{
  BendiHubFileGroup *copy = g_new0 (BendiHubFileGroup, 1);

  *copy = *self;
  copy->name = g_strdup (self->name);
  copy->parts = g_ptr_array_new_with_free_func ((GDestroyNotify) bendi_hub_file_free);
  for (guint i = 0; i < self->parts->len; i++)
    g_ptr_array_add (copy->parts, bendi_hub_file_copy (g_ptr_array_index (self->parts, i)));
  return copy;
}

void
bendi_hub_file_group_free (BendiHubFileGroup *self)
{
  if (self == NULL)
    return;
  g_free (self->name);
  g_clear_pointer (&self->parts, g_ptr_array_unref);
  g_free (self);
}

static int
compare_parts (gconstpointer a,
               gconstpointer b)
{
  const BendiHubFile *fa = *(const BendiHubFile *const *) a;
  const BendiHubFile *fb = *(const BendiHubFile *const *) b;

  return (int) fa->split_index - (int) fb->split_index;
}

static int
compare_groups (gconstpointer a,
                gconstpointer b)
{
  const BendiHubFileGroup *ga = *(const BendiHubFileGroup *const *) a;
  const BendiHubFileGroup *gb = *(const BendiHubFileGroup *const *) b;

  return strcmp (ga->name, gb->name);
}

GPtrArray *
bendi_hub_group_files (GPtrArray *files)
{
  g_autoptr (GHashTable) by_name = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *groups = g_ptr_array_new_with_free_func ((GDestroyNotify) bendi_hub_file_group_free);

  for (guint i = 0; i < files->len; i++)
    {
      const BendiHubFile *file = g_ptr_array_index (files, i);
      g_autofree char *name = NULL;
      BendiHubFileGroup *group;

      if (!bendi_hub_is_gguf_name (file->path))
        continue;
      if (file->split_count > 0)
        {
          const char *slash = strrchr (file->path, '/');
          g_autofree char *base = NULL;

          bendi_hub_split_parse (slash != NULL ? slash + 1 : file->path, NULL, NULL, &base);
          if (slash != NULL)
            name = g_strdup_printf ("%.*s/%s", (int) (slash - file->path), file->path, base);
          else
            name = g_steal_pointer (&base);
        }
      else
        name = g_strdup (file->path);

      group = g_hash_table_lookup (by_name, name);
      if (group == NULL)
        {
          group = g_new0 (BendiHubFileGroup, 1);
          group->name = g_steal_pointer (&name);
          group->quant = file->quant;
          group->parts = g_ptr_array_new_with_free_func ((GDestroyNotify) bendi_hub_file_free);
          g_ptr_array_add (groups, group);
          g_hash_table_insert (by_name, group->name, group);
        }
      g_ptr_array_add (group->parts, bendi_hub_file_copy (file));
      group->size += file->size;
    }

  for (guint i = 0; i < groups->len; i++)
    {
      BendiHubFileGroup *group = g_ptr_array_index (groups, i);
      const BendiHubFile *first = g_ptr_array_index (group->parts, 0);

      g_ptr_array_sort (group->parts, compare_parts);
      group->complete = TRUE;
      if (first->split_count > 0)
        {
          /* Complete when parts 1..count are each there once, of one count. */
          group->complete = group->parts->len == first->split_count;
          for (guint p = 0; p < group->parts->len && group->complete; p++)
            {
              const BendiHubFile *part = g_ptr_array_index (group->parts, p);

              group->complete = part->split_index == p + 1 && part->split_count == first->split_count;
            }
        }
    }
  g_ptr_array_sort (groups, compare_groups);
  return groups;
}
