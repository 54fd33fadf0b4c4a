/* SPDX-License-Identifier: MIT */
/* Loading the curated catalogue. */
#define G_LOG_DOMAIN "bendi-hub"

#include "hub-catalogue.h"

#include <string.h>
#include <json-glib/json-glib.h>

#include "hub-error.h"
#include "hub-names.h"

G_DEFINE_BOXED_TYPE (BendiHubCatalogueEntry, bendi_hub_catalogue_entry,
                     bendi_hub_catalogue_entry_copy, bendi_hub_catalogue_entry_free)

BendiHubCatalogueEntry *
bendi_hub_catalogue_entry_copy (const BendiHubCatalogueEntry *self)
{
  BendiHubCatalogueEntry *copy = g_new0 (BendiHubCatalogueEntry, 1);

  *copy = *self;
  copy->repo_id = g_strdup (self->repo_id);
  copy->name = g_strdup (self->name);
  copy->family = g_strdup (self->family);
  copy->architecture = g_strdup (self->architecture);
  copy->languages = g_strdupv (self->languages);
  copy->tasks = g_strdupv (self->tasks);
  copy->license_id = g_strdup (self->license_id);
  copy->license_url = g_strdup (self->license_url);
  copy->description_en = g_strdup (self->description_en);
  copy->description_zh = g_strdup (self->description_zh);
  copy->recommended_file = g_strdup (self->recommended_file);
  copy->source = g_strdup (self->source);
  return copy;
}

void
bendi_hub_catalogue_entry_free (BendiHubCatalogueEntry *self)
{
  if (self == NULL)
    return;
  g_free (self->repo_id);
  g_free (self->name);
  g_free (self->family);
  g_free (self->architecture);
  g_strfreev (self->languages);
  g_strfreev (self->tasks);
  g_free (self->license_id);
  g_free (self->license_url);
  g_free (self->description_en);
  g_free (self->description_zh);
  g_free (self->recommended_file);
  g_free (self->source);
  g_free (self);
}

gboolean
bendi_hub_architecture_is_supported (const char *architecture)
{
  static const char *const supported[] = { "llama", "qwen2", "qwen3", NULL };

  return architecture != NULL && g_strv_contains (supported, architecture);
}

char *
bendi_hub_catalogue_find (void)
{
  const char *env = g_getenv ("BENDI_CATALOGUE");
  g_autofree char *source = g_build_filename (BENDI_SOURCE_DATADIR, "catalogue.json", NULL);
  g_autofree char *installed = g_build_filename (BENDI_DATADIR, "catalogue.json", NULL);

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  if (g_file_test (source, G_FILE_TEST_IS_REGULAR))
    return g_steal_pointer (&source);
  return g_steal_pointer (&installed);
}

static JsonObject *
member_object (JsonObject *object,
               const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static const char *
required_string (JsonObject  *object,
                 const char  *member,
                 const char  *where,
                 GError     **error)
{
  const char *value = json_object_get_string_member_with_default (object, member, NULL);

  if (value == NULL || *value == '\0')
    g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_INVALID_ARGUMENT,
                 "Catalogue entry %s lacks “%s”", where, member);
  return value;
}

static char **
string_list (JsonObject *object,
             const char *member)
{
  g_autoptr (GStrvBuilder) out = g_strv_builder_new ();
  JsonNode *node = json_object_get_member (object, member);

  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
      {
        JsonNode *item = json_array_get_element (json_node_get_array (node), i);

        if (JSON_NODE_HOLDS_VALUE (item) && json_node_get_value_type (item) == G_TYPE_STRING)
          g_strv_builder_add (out, json_node_get_string (item));
      }
  return g_strv_builder_end (out);
}

static BendiHubCatalogueEntry *
entry_from_json (JsonObject  *object,
                 guint        index,
                 GError     **error)
{
  g_autoptr (BendiHubCatalogueEntry) entry = g_new0 (BendiHubCatalogueEntry, 1);
  g_autofree char *where = g_strdup_printf ("%u", index);
  JsonObject *license = member_object (object, "license");
  JsonObject *description = member_object (object, "description");
  JsonObject *params = member_object (object, "parameters");
  GError *local_error = NULL;

#define REQUIRE(field, obj, member) \
  G_STMT_START { \
    const char *value_ = required_string (obj, member, where, &local_error); \
    if (value_ == NULL) \
      { \
        g_propagate_error (error, local_error); \
        return NULL; \
      } \
    entry->field = g_strdup (value_); \
  } G_STMT_END

  REQUIRE (repo_id, object, "repo");
  g_free (where);
  where = g_strdup_printf ("“%s”", entry->repo_id);
  if (!bendi_hub_repo_id_is_valid (entry->repo_id))
    {
      g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_INVALID_ARGUMENT,
                   "Catalogue entry %s is not a repository name", where);
      return NULL;
    }
  if (license == NULL || description == NULL || params == NULL)
    {
      g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_INVALID_ARGUMENT,
                   "Catalogue entry %s lacks license, description or parameters", where);
      return NULL;
    }
  REQUIRE (name, object, "name");
  REQUIRE (family, object, "family");
  REQUIRE (architecture, object, "architecture");
  REQUIRE (license_id, license, "id");
  REQUIRE (license_url, license, "url");
  REQUIRE (description_en, description, "en");
  REQUIRE (description_zh, description, "zh");
  REQUIRE (source, object, "source");
#undef REQUIRE
  entry->recommended_file = g_strdup (json_object_get_string_member_with_default (object, "recommended_file", NULL));
  entry->params_total = json_object_get_int_member_with_default (params, "total", 0);
  entry->params_active = json_object_get_int_member_with_default (params, "active", entry->params_total);
  entry->context_length = json_object_get_int_member_with_default (object, "context_length", 0);
  entry->languages = string_list (object, "languages");
  entry->tasks = string_list (object, "tasks");
  entry->supported = bendi_hub_architecture_is_supported (entry->architecture);
  if (entry->params_total <= 0 || entry->params_active <= 0 || entry->params_active > entry->params_total ||
      entry->context_length <= 0 || entry->languages[0] == NULL || entry->tasks[0] == NULL)
    {
      g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_INVALID_ARGUMENT,
                   "Catalogue entry %s lacks parameters, context length, languages or tasks", where);
      return NULL;
    }
  if (json_object_has_member (object, "supported") &&
      json_object_get_boolean_member (object, "supported") != entry->supported)
    {
      g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_INVALID_ARGUMENT,
                   "Catalogue entry %s says supported is %s, but the engine %s “%s”", where,
                   entry->supported ? "false" : "true", entry->supported ? "runs" : "does not run",
                   entry->architecture);
      return NULL;
    }
  return g_steal_pointer (&entry);
}

GPtrArray *
bendi_hub_catalogue_load (const char  *path,
                          GError     **error)
{
  g_autofree char *found = path == NULL ? bendi_hub_catalogue_find () : NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) bendi_hub_catalogue_entry_free);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  JsonNode *root, *models;

  if (path == NULL)
    path = found;
  if (!json_parser_load_from_file (parser, path, error))
    return NULL;
  root = json_parser_get_root (parser);
  models = root != NULL && JSON_NODE_HOLDS_OBJECT (root) ? json_object_get_member (json_node_get_object (root), "models") : NULL;
  if (models == NULL || !JSON_NODE_HOLDS_ARRAY (models))
    {
      g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_INVALID_ARGUMENT,
                   "%s: the catalogue has no “models” list", path);
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (json_node_get_array (models)); i++)
    {
      JsonNode *node = json_array_get_element (json_node_get_array (models), i);
      BendiHubCatalogueEntry *entry;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_INVALID_ARGUMENT,
                       "%s: catalogue entry %u is not an object", path, i);
          return NULL;
        }
      entry = entry_from_json (json_node_get_object (node), i, error);
      if (entry == NULL)
        return NULL;
      g_ptr_array_add (entries, entry);
      if (!g_hash_table_add (seen, entry->repo_id))
        {
          g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_INVALID_ARGUMENT,
                       "%s: “%s” is listed twice", path, entry->repo_id);
          return NULL;
        }
    }
  return g_steal_pointer (&entries);
}

const BendiHubCatalogueEntry *
bendi_hub_catalogue_lookup (GPtrArray  *entries,
                            const char *repo_id)
{
  for (guint i = 0; i < entries->len; i++)
    {
      const BendiHubCatalogueEntry *entry = g_ptr_array_index (entries, i);

      if (g_strcmp0 (entry->repo_id, repo_id) == 0)
        return entry;
    }
  return NULL;
}
