/* SPDX-License-Identifier: MIT */
/* Finding the models already on disk, and removing and importing them. */
#define G_LOG_DOMAIN "bendi-hub"

#include "hub-library.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "engine-error.h"
#include "gguf/gguf.h"
#include "hub-error.h"
#include "hub-fs.h"
#include "hub-names.h"

/* The list of imported files, in the models directory: paths only. */
#define IMPORTED_FILE "imported.json"
#define MAX_SCAN_DEPTH 4

G_DEFINE_BOXED_TYPE (BendiHubLocalModel, bendi_hub_local_model, bendi_hub_local_model_copy, bendi_hub_local_model_free)

BendiHubLocalModel *
bendi_hub_local_model_copy (const BendiHubLocalModel *self)
{
  BendiHubLocalModel *copy = g_new0 (BendiHubLocalModel, 1);

  *copy = *self;
  copy->name = g_strdup (self->name);
  copy->repo_id = g_strdup (self->repo_id);
  copy->paths = g_strdupv (self->paths);
  copy->architecture = g_strdup (self->architecture);
  return copy;
}

void
bendi_hub_local_model_free (BendiHubLocalModel *self)
{
  if (self == NULL)
    return;
  g_free (self->name);
  g_free (self->repo_id);
  g_strfreev (self->paths);
  g_free (self->architecture);
  g_free (self);
}

const char *
bendi_hub_source_to_string (BendiHubSource source)
{
  switch (source)
    {
    case BENDI_HUB_SOURCE_BENDI:
      return "bendi";
    case BENDI_HUB_SOURCE_IMPORTED:
      return "imported";
    case BENDI_HUB_SOURCE_LM_STUDIO:
      return "lm-studio";
    case BENDI_HUB_SOURCE_OLLAMA:
      return "ollama";
    default:
      return "unknown";
    }
}

/* The architecture from the file's header; the mapping reads only the
 * header's pages. */
static char *
read_architecture (const char *path)
{
  g_autoptr (BendiGguf) gguf = bendi_gguf_open (path, BENDI_GGUF_OPEN_DEFAULT, NULL);
  const char *arch = NULL;

  if (gguf == NULL || !bendi_gguf_get_string (gguf, "general.architecture", TRUE, &arch, NULL))
    return NULL;
  return g_strdup (arch);
}

static gboolean
file_has_gguf_magic (const char *path)
{
  char magic[4];
  int fd = open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  gboolean ok;

  if (fd < 0)
    return FALSE;
  ok = read (fd, magic, 4) == 4 && memcmp (magic, BENDI_GGUF_MAGIC, 4) == 0;
  close (fd);
  return ok;
}

static guint64
file_size (const char *path)
{
  GStatBuf st;

  return g_stat (path, &st) == 0 ? (guint64) st.st_size : 0;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Adds the GGUF files of @paths (relative names → absolute paths) as
 * models, split parts grouped. @prefix goes before each name. */
static void
add_gguf_group (GPtrArray      *models,
                GHashTable     *files,
                const char     *name_prefix,
                const char     *repo_id,
                BendiHubSource  source)
{
  g_autoptr (GHashTable) groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, files);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const char *relative = key;
      const char *slash = strrchr (relative, '/');
      const char *base_name = slash != NULL ? slash + 1 : relative;
      g_autofree char *base = NULL;
      g_autofree char *group_name = NULL;
      GPtrArray *parts;
      guint index = 0, count = 0;

      if (bendi_hub_split_parse (base_name, &index, &count, &base))
        group_name = slash != NULL ? g_strdup_printf ("%.*s/%s", (int) (slash - relative), relative, base)
                                   : g_steal_pointer (&base);
      else
        group_name = g_strdup (relative);
      parts = g_hash_table_lookup (groups, group_name);
      if (parts == NULL)
        {
          parts = g_ptr_array_new ();
          g_hash_table_insert (groups, g_strdup (group_name), parts);
        }
      g_ptr_array_add (parts, key);
    }

  g_hash_table_iter_init (&iter, groups);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      GPtrArray *parts = value;
      BendiHubLocalModel *model = g_new0 (BendiHubLocalModel, 1);
      g_autoptr (GStrvBuilder) paths = g_strv_builder_new ();

      g_ptr_array_sort (parts, compare_names);
      for (guint i = 0; i < parts->len; i++)
        {
          const char *path = g_hash_table_lookup (files, g_ptr_array_index (parts, i));

          g_strv_builder_add (paths, path);
          model->size += file_size (path);
        }
      model->paths = g_strv_builder_end (paths);
      model->name = name_prefix != NULL ? g_strdup_printf ("%s/%s", name_prefix, (const char *) key)
                                        : g_strdup (key);
      model->repo_id = g_strdup (repo_id);
      model->quant = bendi_hub_quant_from_name (key);
      model->architecture = read_architecture (model->paths[0]);
      model->source = source;
      g_ptr_array_add (models, model);
    }
}

/* Collects *.gguf under @dir (to a few levels) into @files: relative name →
 * absolute path. Links are not followed into other folders. */
static void
collect_gguf_files (const char *dir,
                    const char *relative,
                    guint       depth,
                    GHashTable *files)
{
  g_autoptr (GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  if (handle == NULL || depth > MAX_SCAN_DEPTH)
    return;
  while ((name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *child = relative != NULL ? g_strdup_printf ("%s/%s", relative, name) : g_strdup (name);

      if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        continue;
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        collect_gguf_files (path, child, depth + 1, files);
      else if (bendi_hub_is_gguf_name (name) && !g_str_has_prefix (name, "mmproj") &&
               g_file_test (path, G_FILE_TEST_IS_REGULAR))
        g_hash_table_insert (files, g_steal_pointer (&child), g_steal_pointer (&path));
    }
}

/* <root>/<owner>/<repo>/…: Bendi's own layout, and LM Studio's. */
static void
scan_repo_tree (GPtrArray      *models,
                const char     *root,
                BendiHubSource  source)
{
  g_autoptr (GDir) owners = g_dir_open (root, 0, NULL);
  const char *owner;

  if (owners == NULL)
    return;
  while ((owner = g_dir_read_name (owners)) != NULL)
    {
      g_autofree char *owner_path = g_build_filename (root, owner, NULL);
      g_autoptr (GDir) repos = NULL;
      const char *repo;

      if (g_file_test (owner_path, G_FILE_TEST_IS_SYMLINK) || !g_file_test (owner_path, G_FILE_TEST_IS_DIR))
        continue;
      repos = g_dir_open (owner_path, 0, NULL);
      while (repos != NULL && (repo = g_dir_read_name (repos)) != NULL)
        {
          g_autofree char *repo_path = g_build_filename (owner_path, repo, NULL);
          g_autofree char *repo_id = g_strdup_printf ("%s/%s", owner, repo);
          g_autoptr (GHashTable) files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

          if (g_file_test (repo_path, G_FILE_TEST_IS_SYMLINK) || !g_file_test (repo_path, G_FILE_TEST_IS_DIR))
            continue;
          collect_gguf_files (repo_path, NULL, 0, files);
          add_gguf_group (models, files, repo_id, bendi_hub_repo_id_is_valid (repo_id) ? repo_id : NULL, source);
        }
    }
}

static gboolean
is_sha256_hex (const char *s)
{
  if (s == NULL || strlen (s) != 64)
    return FALSE;
  for (guint i = 0; i < 64; i++)
    if (!g_ascii_isxdigit (s[i]))
      return FALSE;
  return TRUE;
}

/* One Ollama manifest: its model layer names a blob, which is a GGUF. */
static void
add_ollama_manifest (GPtrArray  *models,
                     const char *blobs_dir,
                     const char *manifest_path,
                     const char *display_name)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonNode *layers_node;

  if (file_size (manifest_path) > 1024 * 1024 || !json_parser_load_from_file (parser, manifest_path, NULL))
    return;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return;
  layers_node = json_object_get_member (json_node_get_object (root), "layers");
  if (layers_node == NULL || !JSON_NODE_HOLDS_ARRAY (layers_node))
    return;
  for (guint i = 0; i < json_array_get_length (json_node_get_array (layers_node)); i++)
    {
      JsonNode *layer = json_array_get_element (json_node_get_array (layers_node), i);
      JsonObject *object;
      const char *media_type, *digest;
      g_autofree char *blob = NULL;
      g_autofree char *blob_path = NULL;
      BendiHubLocalModel *model;

      if (!JSON_NODE_HOLDS_OBJECT (layer))
        continue;
      object = json_node_get_object (layer);
      media_type = json_object_get_string_member_with_default (object, "mediaType", NULL);
      digest = json_object_get_string_member_with_default (object, "digest", NULL);
      if (g_strcmp0 (media_type, "application/vnd.ollama.image.model") != 0 || digest == NULL)
        continue;
      /* The digest becomes a file name: only "sha256:" and 64 hex digits,
       * so a crafted manifest cannot point anywhere else. */
      if (!g_str_has_prefix (digest, "sha256:") || !is_sha256_hex (digest + 7))
        continue;
      blob = g_strdup_printf ("sha256-%s", digest + 7);
      blob_path = g_build_filename (blobs_dir, blob, NULL);
      if (!g_file_test (blob_path, G_FILE_TEST_IS_REGULAR) || !file_has_gguf_magic (blob_path))
        continue;
      model = g_new0 (BendiHubLocalModel, 1);
      model->name = g_strdup (display_name);
      model->paths = g_new0 (char *, 2);
      model->paths[0] = g_steal_pointer (&blob_path);
      model->size = file_size (model->paths[0]);
      model->architecture = read_architecture (model->paths[0]);
      model->source = BENDI_HUB_SOURCE_OLLAMA;
      g_ptr_array_add (models, model);
      return;
    }
}

/* manifests/<registry>/<namespace>/<model>/<tag> */
static void
scan_ollama (GPtrArray  *models,
             const char *root)
{
  g_autofree char *manifests = g_build_filename (root, "manifests", NULL);
  g_autofree char *blobs = g_build_filename (root, "blobs", NULL);
  g_autoptr (GDir) registries = g_dir_open (manifests, 0, NULL);
  const char *registry;

  while (registries != NULL && (registry = g_dir_read_name (registries)) != NULL)
    {
      g_autofree char *registry_path = g_build_filename (manifests, registry, NULL);
      g_autoptr (GDir) namespaces = g_dir_open (registry_path, 0, NULL);
      const char *ns;

      while (namespaces != NULL && (ns = g_dir_read_name (namespaces)) != NULL)
        {
          g_autofree char *ns_path = g_build_filename (registry_path, ns, NULL);
          g_autoptr (GDir) names = g_dir_open (ns_path, 0, NULL);
          const char *name;

          while (names != NULL && (name = g_dir_read_name (names)) != NULL)
            {
              g_autofree char *name_path = g_build_filename (ns_path, name, NULL);
              g_autoptr (GDir) tags = g_dir_open (name_path, 0, NULL);
              const char *tag;

              while (tags != NULL && (tag = g_dir_read_name (tags)) != NULL)
                {
                  g_autofree char *tag_path = g_build_filename (name_path, tag, NULL);
                  g_autofree char *display = NULL;

                  if (strcmp (ns, "library") == 0)
                    display = g_strdup_printf ("%s:%s", name, tag);
                  else
                    display = g_strdup_printf ("%s/%s:%s", ns, name, tag);
                  add_ollama_manifest (models, blobs, tag_path, display);
                }
            }
        }
    }
}

static char **
read_imported (const char *models_dir)
{
  g_autofree char *path = g_build_filename (models_dir, IMPORTED_FILE, NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GStrvBuilder) out = g_strv_builder_new ();
  JsonNode *root;

  if (json_parser_load_from_file (parser, path, NULL) &&
      (root = json_parser_get_root (parser)) != NULL && JSON_NODE_HOLDS_ARRAY (root))
    for (guint i = 0; i < json_array_get_length (json_node_get_array (root)); i++)
      {
        JsonNode *node = json_array_get_element (json_node_get_array (root), i);

        if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
          g_strv_builder_add (out, json_node_get_string (node));
      }
  return g_strv_builder_end (out);
}

static gboolean
write_imported (const char          *models_dir,
                const char * const  *paths,
                GError             **error)
{
  g_autofree char *path = g_build_filename (models_dir, IMPORTED_FILE, NULL);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_array (builder);
  for (guint i = 0; paths[i] != NULL; i++)
    json_builder_add_string_value (builder, paths[i]);
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  if (g_mkdir_with_parents (models_dir, 0755) != 0)
    {
      hub_fs_set_errno_error (error, errno, "Cannot create “%s”", models_dir);
      return FALSE;
    }
  if (!g_file_set_contents (path, text, -1, error))
    return FALSE;
  return TRUE;
}

static int
compare_models (gconstpointer a,
                gconstpointer b)
{
  const BendiHubLocalModel *ma = *(const BendiHubLocalModel *const *) a;
  const BendiHubLocalModel *mb = *(const BendiHubLocalModel *const *) b;

  if (ma->source != mb->source)
    return (int) ma->source - (int) mb->source;
  return strcmp (ma->name, mb->name);
}

GPtrArray *
bendi_hub_library_scan (const char         *models_dir,
                        BendiHubScanFlags   flags,
                        GCancellable       *cancellable,
                        GError            **error)
{
  g_autoptr (GPtrArray) models = g_ptr_array_new_with_free_func ((GDestroyNotify) bendi_hub_local_model_free);
  g_auto (GStrv) imported = NULL;

  g_return_val_if_fail (models_dir != NULL, NULL);

  scan_repo_tree (models, models_dir, BENDI_HUB_SOURCE_BENDI);
  imported = read_imported (models_dir);
  for (guint i = 0; imported[i] != NULL; i++)
    {
      g_autoptr (GHashTable) files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

      if (!g_file_test (imported[i], G_FILE_TEST_IS_REGULAR))
        continue;
      g_hash_table_insert (files, g_strdup (imported[i]), g_strdup (imported[i]));
      add_gguf_group (models, files, NULL, NULL, BENDI_HUB_SOURCE_IMPORTED);
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  if ((flags & BENDI_HUB_SCAN_NO_DISCOVER) == 0)
    {
      const char *home = g_get_home_dir ();
      const char *ollama = g_getenv ("OLLAMA_MODELS");
      g_autofree char *lmstudio = g_build_filename (home, ".lmstudio", "models", NULL);
      g_autofree char *lmstudio_cache = g_build_filename (home, ".cache", "lm-studio", "models", NULL);
      g_autofree char *ollama_home = g_build_filename (home, ".ollama", "models", NULL);

      scan_repo_tree (models, lmstudio, BENDI_HUB_SOURCE_LM_STUDIO);
      scan_repo_tree (models, lmstudio_cache, BENDI_HUB_SOURCE_LM_STUDIO);
      scan_ollama (models, ollama != NULL && *ollama != '\0' ? ollama : ollama_home);
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  g_ptr_array_sort (models, compare_models);
  return g_steal_pointer (&models);
}

typedef struct {
  char             *models_dir;
  BendiHubScanFlags flags;
} ScanData;

static void
scan_data_free (ScanData *data)
{
  g_free (data->models_dir);
  g_free (data);
}

static void
scan_thread (GTask        *task,
             gpointer      source_object G_GNUC_UNUSED,
             gpointer      task_data,
             GCancellable *cancellable)
{
  ScanData *data = task_data;
  GError *error = NULL;
  GPtrArray *models = bendi_hub_library_scan (data->models_dir, data->flags, cancellable, &error);

  if (models == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, models, (GDestroyNotify) g_ptr_array_unref);
}

void
bendi_hub_library_scan_async (const char          *models_dir,
                              BendiHubScanFlags    flags,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  ScanData *data = g_new0 (ScanData, 1);

  g_task_set_source_tag (task, bendi_hub_library_scan_async);
  data->models_dir = g_strdup (models_dir);
  data->flags = flags;
  g_task_set_task_data (task, data, (GDestroyNotify) scan_data_free);
  g_task_run_in_thread (task, scan_thread);
}

GPtrArray *
bendi_hub_library_scan_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Deletes @path only when it lies inside @models_dir, through a walk that
 * follows no link, then the folders it leaves empty. */
static gboolean
remove_download (const char  *models_dir,
                 const char  *path,
                 GError     **error)
{
  g_autofree char *root = g_canonicalize_filename (models_dir, NULL);
  g_autofree char *file = g_canonicalize_filename (path, NULL);
  g_autofree char *relative_dir = NULL;
  const char *relative;
  const char *slash;
  int root_fd, dir_fd;

  if (!g_str_has_prefix (file, root) || file[strlen (root)] != '/')
    {
      g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_UNSAFE_PATH,
                   "“%s” is not inside the models directory", path);
      return FALSE;
    }
  relative = file + strlen (root) + 1;
  slash = strrchr (relative, '/');
  if (slash == NULL)
    {
      g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_UNSAFE_PATH, "“%s” is not a download", path);
      return FALSE;
    }
  relative_dir = g_strndup (relative, (gsize) (slash - relative));
  root_fd = hub_fs_open_root (root, FALSE, error);
  if (root_fd < 0)
    return FALSE;
  dir_fd = hub_fs_open_dir_beneath (root_fd, relative_dir, FALSE, error);
  close (root_fd);
  if (dir_fd < 0)
    return FALSE;
  if (unlinkat (dir_fd, slash + 1, 0) != 0 && errno != ENOENT)
    {
      int saved_errno = errno;

      close (dir_fd);
      hub_fs_set_errno_error (error, saved_errno, "Cannot remove “%s”", path);
      return FALSE;
    }
  close (dir_fd);

  /* Empty folders up to the models directory go too (rmdir fails on others). */
  {
    g_autofree char *dir = g_path_get_dirname (file);

    while (strlen (dir) > strlen (root) && g_rmdir (dir) == 0)
      {
        char *parent = g_path_get_dirname (dir);

        g_free (dir);
        dir = parent;
      }
  }
  return TRUE;
}

gboolean
bendi_hub_library_remove (const char                *models_dir,
                          const BendiHubLocalModel  *model,
                          GError                   **error)
{
  g_return_val_if_fail (models_dir != NULL && model != NULL, FALSE);

  switch (model->source)
    {
    case BENDI_HUB_SOURCE_BENDI:
      for (guint i = 0; model->paths[i] != NULL; i++)
        if (!remove_download (models_dir, model->paths[i], error))
          return FALSE;
      return TRUE;
    case BENDI_HUB_SOURCE_IMPORTED:
      {
        g_auto (GStrv) imported = read_imported (models_dir);
        g_autoptr (GStrvBuilder) kept = g_strv_builder_new ();
        g_auto (GStrv) paths = NULL;

        for (guint i = 0; imported[i] != NULL; i++)
          if (!g_strv_contains ((const char * const *) model->paths, imported[i]))
            g_strv_builder_add (kept, imported[i]);
        paths = g_strv_builder_end (kept);
        return write_imported (models_dir, (const char * const *) paths, error);
      }
    case BENDI_HUB_SOURCE_LM_STUDIO:
    case BENDI_HUB_SOURCE_OLLAMA:
    default:
      g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_INVALID_ARGUMENT,
                   "“%s” belongs to %s: remove it there", model->name,
                   model->source == BENDI_HUB_SOURCE_OLLAMA ? "Ollama" : "LM Studio");
      return FALSE;
    }
}

gboolean
bendi_hub_library_import (const char  *models_dir,
                          const char  *path,
                          GError     **error)
{
  g_autofree char *absolute = g_canonicalize_filename (path, NULL);
  g_autoptr (BendiGguf) gguf = NULL;
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) imported = NULL;
  g_auto (GStrv) paths = NULL;

  g_return_val_if_fail (models_dir != NULL && path != NULL, FALSE);

  gguf = bendi_gguf_open (absolute, BENDI_GGUF_OPEN_DEFAULT, error);
  if (gguf == NULL)
    return FALSE;
  imported = read_imported (models_dir);
  if (g_strv_contains ((const char * const *) imported, absolute))
    return TRUE;
  g_strv_builder_addv (builder, (const char **) imported);
  g_strv_builder_add (builder, absolute);
  paths = g_strv_builder_end (builder);
  return write_imported (models_dir, (const char * const *) paths, error);
}
