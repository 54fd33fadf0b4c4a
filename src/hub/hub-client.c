/* SPDX-License-Identifier: MIT */
/* The Hub's API: search, details, file lists and header peeks, each run as
 * blocking HTTP in a worker thread behind an _async/_finish pair. */
#define G_LOG_DOMAIN "bendi-hub"

#include "hub-client.h"

#include <string.h>

#include "engine-error.h"
#include "hub-error.h"
#include "hub-names.h"
#include "hub-private.h"

/* Seconds a connection may sit silent before it counts as dropped. */
#define IO_TIMEOUT_SECONDS 60
#define PEEK_FIRST_BYTES ((gsize) 2 * 1024 * 1024)

struct _BendiHubClient
{
  GObject         parent_instance;

  BendiHubConfig *config;
  SoupSession    *session;
  char           *session_proxy;   /* the config's proxy the session was made for */
};

enum {
  PROP_0,
  PROP_CONFIG,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (BendiHubClient, bendi_hub_client, G_TYPE_OBJECT)

static const char *
getenv_nonempty (const char *name)
{
  const char *value = g_getenv (name);

  return value != NULL && *value != '\0' ? value : NULL;
}

/* http_proxy and friends, as curl reads them. GIO's default resolver reads
 * GNOME's settings; these variables are honoured on top, like other tools. */
static GProxyResolver *
proxy_resolver_from_environment (void)
{
  const char *http = getenv_nonempty ("http_proxy");
  const char *https = getenv_nonempty ("https_proxy");
  const char *all = getenv_nonempty ("all_proxy");
  const char *no_proxy = getenv_nonempty ("no_proxy");
  g_autoptr (GStrvBuilder) ignore = g_strv_builder_new ();
  g_auto (GStrv) ignore_hosts = NULL;
  GProxyResolver *resolver;

  if (http == NULL)
    http = getenv_nonempty ("HTTP_PROXY");
  if (https == NULL)
    https = getenv_nonempty ("HTTPS_PROXY");
  if (all == NULL)
    all = getenv_nonempty ("ALL_PROXY");
  if (no_proxy == NULL)
    no_proxy = getenv_nonempty ("NO_PROXY");
  if (http == NULL && https == NULL && all == NULL)
    return NULL;

  g_strv_builder_add_many (ignore, "localhost", "127.0.0.0/8", "::1", NULL);
  if (no_proxy != NULL)
    {
      g_auto (GStrv) hosts = g_strsplit (no_proxy, ",", -1);

      for (guint i = 0; hosts[i] != NULL; i++)
        if (*g_strstrip (hosts[i]) != '\0')
          g_strv_builder_add (ignore, hosts[i]);
    }
  ignore_hosts = g_strv_builder_end (ignore);
  resolver = g_simple_proxy_resolver_new (all, ignore_hosts);
  if (http != NULL)
    g_simple_proxy_resolver_set_uri_proxy (G_SIMPLE_PROXY_RESOLVER (resolver), "http", http);
  if (https != NULL)
    g_simple_proxy_resolver_set_uri_proxy (G_SIMPLE_PROXY_RESOLVER (resolver), "https", https);
  return resolver;
}

static SoupSession *
create_session (const char *manual_proxy)
{
  g_autoptr (GProxyResolver) resolver = NULL;
  SoupSession *session;

  session = soup_session_new_with_options ("user-agent", "Bendi/" BENDI_VERSION " ",
                                           "timeout", IO_TIMEOUT_SECONDS,
                                           NULL);
  /* Downloads resume at byte offsets, which a decoded body would break. */
  soup_session_remove_feature_by_type (session, SOUP_TYPE_CONTENT_DECODER);
  if (manual_proxy != NULL)
    {
      const char *loopback[] = { "localhost", "127.0.0.0/8", "::1", NULL };

      resolver = g_simple_proxy_resolver_new (manual_proxy, (char **) loopback);
    }
  else
    resolver = proxy_resolver_from_environment ();
  if (resolver != NULL)
    soup_session_set_proxy_resolver (session, resolver);
  return session;
}

/* The session for the config as it is now; remade when the proxy changed.
 * Called on the client's thread only, as libsoup asks. */
static SoupSession *
get_session (BendiHubClient *self)
{
  const char *proxy = bendi_hub_config_get_proxy (self->config);

  if (self->session == NULL || g_strcmp0 (proxy, self->session_proxy) != 0)
    {
      g_clear_object (&self->session);
      self->session = create_session (proxy);
      g_free (self->session_proxy);
      self->session_proxy = g_strdup (proxy);
    }
  return self->session;
}

HubHttp *
hub_http_new_for_client (BendiHubClient *client)
{
  HubHttp *http = g_new0 (HubHttp, 1);
  g_autoptr (GUri) uri = NULL;

  http->session = g_object_ref (get_session (client));
  http->endpoint = g_strdup (bendi_hub_config_get_endpoint (client->config));
  http->token = g_strdup (bendi_hub_config_get_token (client->config));
  http->has_token = http->token != NULL;
  uri = g_uri_parse (http->endpoint, SOUP_HTTP_URI_FLAGS, NULL);
  if (uri != NULL)
    http->endpoint_host = g_strdup (g_uri_get_host (uri));
  return http;
}

static void
bendi_hub_client_dispose (GObject *object)
{
  BendiHubClient *self = (BendiHubClient *) object;

  g_clear_object (&self->session);
  g_clear_object (&self->config);

  G_OBJECT_CLASS (bendi_hub_client_parent_class)->dispose (object);
}

static void
bendi_hub_client_finalize (GObject *object)
{
  BendiHubClient *self = (BendiHubClient *) object;

  g_free (self->session_proxy);

  G_OBJECT_CLASS (bendi_hub_client_parent_class)->finalize (object);
}

static void
bendi_hub_client_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  BendiHubClient *self = BENDI_HUB_CLIENT (object);

  switch (prop_id)
    {
    case PROP_CONFIG:
      g_value_set_object (value, self->config);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bendi_hub_client_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  BendiHubClient *self = BENDI_HUB_CLIENT (object);

  switch (prop_id)
    {
    case PROP_CONFIG:
      self->config = g_value_dup_object (value);
      if (self->config == NULL)
        self->config = bendi_hub_config_new ();
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bendi_hub_client_class_init (BendiHubClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bendi_hub_client_dispose;
  object_class->finalize = bendi_hub_client_finalize;
  object_class->get_property = bendi_hub_client_get_property;
  object_class->set_property = bendi_hub_client_set_property;

  properties[PROP_CONFIG] =
    g_param_spec_object ("config", NULL, NULL, BENDI_HUB_TYPE_CONFIG,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
bendi_hub_client_init (BendiHubClient *self G_GNUC_UNUSED)
{
}

BendiHubClient *
bendi_hub_client_new (BendiHubConfig *config)
{
  g_return_val_if_fail (config == NULL || BENDI_HUB_IS_CONFIG (config), NULL);

  return g_object_new (BENDI_HUB_TYPE_CLIENT, "config", config, NULL);
}

BendiHubConfig *
bendi_hub_client_get_config (BendiHubClient *self)
{
  g_return_val_if_fail (BENDI_HUB_IS_CLIENT (self), NULL);
  return self->config;
}

char *
bendi_hub_client_get_file_url (BendiHubClient *self,
                               const char     *repo_id,
                               const char     *revision,
                               const char     *path)
{
  g_return_val_if_fail (BENDI_HUB_IS_CLIENT (self), NULL);
  return hub_build_file_url (bendi_hub_config_get_endpoint (self->config), repo_id, revision, path);
}

/* ------------------------------------------------------------------------ */
/* One operation's inputs, handed to its worker thread. */

typedef struct {
  HubHttp *http;
  char    *query;
  char    *repo_id;
  char    *revision;
  char    *path;
  BendiHubSort sort;
  guint    limit;
} Operation;

static void
operation_free (Operation *op)
{
  g_clear_pointer (&op->http, hub_http_free);
  g_free (op->query);
  g_free (op->repo_id);
  g_free (op->revision);
  g_free (op->path);
  g_free (op);
}

static GTask *
operation_task_new (BendiHubClient      *self,
                    gpointer             source_tag,
                    const char          *repo_id,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data,
                    Operation          **out_op)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Operation *op = g_new0 (Operation, 1);

  g_task_set_source_tag (task, source_tag);
  g_task_set_return_on_cancel (task, FALSE);
  op->http = hub_http_new_for_client (self);
  op->repo_id = g_strdup (repo_id);
  g_task_set_task_data (task, op, (GDestroyNotify) operation_free);
  *out_op = op;
  return task;
}

/* Refuses a repository id before it is put into a URL. */
static gboolean
check_repo_id (GTask      *task,
               const char *repo_id)
{
  if (bendi_hub_repo_id_is_valid (repo_id))
    return TRUE;
  g_task_return_new_error (task, BENDI_HUB_ERROR, BENDI_HUB_ERROR_INVALID_ARGUMENT,
                           "“%s” is not a repository name like owner/name", repo_id != NULL ? repo_id : "");
  return FALSE;
}

/* Search ------------------------------------------------------------------ */

static void
search_thread (GTask        *task,
               gpointer      source_object G_GNUC_UNUSED,
               gpointer      task_data,
               GCancellable *cancellable)
{
  static const char *const sort_keys[] = { "downloads", "likes", "lastModified", "trendingScore" };
  Operation *op = task_data;
  g_autofree char *query = g_uri_escape_string (op->query, NULL, FALSE);
  g_autofree char *url = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GPtrArray) models = g_ptr_array_new_with_free_func ((GDestroyNotify) bendi_hub_model_free);
  GError *error = NULL;

  if (op->limit > 0)
    url = g_strdup_printf ("%s/api/models?search=%s&filter=gguf&sort=%s&direction=-1&limit=%u",
                           op->http->endpoint, query, sort_keys[op->sort], op->limit);
  else
    url = g_strdup_printf ("%s/api/models?search=%s&filter=gguf&sort=%s&direction=-1",
                           op->http->endpoint, query, sort_keys[op->sort]);
  root = hub_http_get_json (op->http, url, NULL, NULL, cancellable, &error);
  if (root == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (!JSON_NODE_HOLDS_ARRAY (root))
    {
      g_task_return_new_error (task, BENDI_HUB_ERROR, BENDI_HUB_ERROR_INVALID_RESPONSE,
                               "The search answer is not a list");
      return;
    }
  for (guint i = 0; i < json_array_get_length (json_node_get_array (root)); i++)
    {
      JsonNode *node = json_array_get_element (json_node_get_array (root), i);
      BendiHubModel *model = JSON_NODE_HOLDS_OBJECT (node) ? hub_model_from_json (json_node_get_object (node)) : NULL;

      if (model != NULL)
        g_ptr_array_add (models, model);
    }
  g_task_return_pointer (task, g_steal_pointer (&models), (GDestroyNotify) g_ptr_array_unref);
}

void
bendi_hub_client_search_async (BendiHubClient      *self,
                               const char          *query,
                               BendiHubSort         sort,
                               guint                limit,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  Operation *op;

  g_return_if_fail (BENDI_HUB_IS_CLIENT (self));
  g_return_if_fail (query != NULL);
  g_return_if_fail ((guint) sort <= BENDI_HUB_SORT_TRENDING);

  task = operation_task_new (self, bendi_hub_client_search_async, NULL, cancellable, callback, user_data, &op);
  op->query = g_strdup (query);
  op->sort = sort;
  op->limit = limit;
  g_task_run_in_thread (task, search_thread);
}

GPtrArray *
bendi_hub_client_search_finish (BendiHubClient  *self,
                                GAsyncResult    *result,
                                GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == bendi_hub_client_search_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Details ------------------------------------------------------------------ */

static void
get_model_thread (GTask        *task,
                  gpointer      source_object G_GNUC_UNUSED,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  Operation *op = task_data;
  g_autofree char *url = g_strdup_printf ("%s/api/models/%s", op->http->endpoint, op->repo_id);
  g_autoptr (JsonNode) root = NULL;
  BendiHubModel *model;
  GError *error = NULL;

  root = hub_http_get_json (op->http, url, op->repo_id, NULL, cancellable, &error);
  if (root == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  model = JSON_NODE_HOLDS_OBJECT (root) ? hub_model_from_json (json_node_get_object (root)) : NULL;
  if (model == NULL)
    {
      g_task_return_new_error (task, BENDI_HUB_ERROR, BENDI_HUB_ERROR_INVALID_RESPONSE,
                               "The details of “%s” are malformed", op->repo_id);
      return;
    }
  g_task_return_pointer (task, model, (GDestroyNotify) bendi_hub_model_free);
}

void
bendi_hub_client_get_model_async (BendiHubClient      *self,
                                  const char          *repo_id,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  Operation *op;

  g_return_if_fail (BENDI_HUB_IS_CLIENT (self));

  task = operation_task_new (self, bendi_hub_client_get_model_async, repo_id, cancellable, callback, user_data, &op);
  if (check_repo_id (task, repo_id))
    g_task_run_in_thread (task, get_model_thread);
}

BendiHubModel *
bendi_hub_client_get_model_finish (BendiHubClient  *self,
                                   GAsyncResult    *result,
                                   GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == bendi_hub_client_get_model_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Files -------------------------------------------------------------------- */

/* Pages of a listing are followed this far at most: a hostile server could
 * otherwise link pages forever. */
#define MAX_TREE_PAGES 100

static void
list_files_thread (GTask        *task,
                   gpointer      source_object G_GNUC_UNUSED,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  Operation *op = task_data;
  g_autofree char *revision = g_uri_escape_string (op->revision != NULL ? op->revision : "main", NULL, FALSE);
  g_autofree char *url = g_strdup_printf ("%s/api/models/%s/tree/%s?recursive=true", op->http->endpoint,
                                          op->repo_id, revision);
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func ((GDestroyNotify) bendi_hub_file_free);
  guint pages = 0;

  while (url != NULL)
    {
      g_autoptr (JsonNode) root = NULL;
      char *next = NULL;
      GError *error = NULL;
      JsonArray *array;

      if (++pages > MAX_TREE_PAGES)
        {
          g_task_return_new_error (task, BENDI_HUB_ERROR, BENDI_HUB_ERROR_INVALID_RESPONSE,
                                   "The file list of “%s” has more than %d pages", op->repo_id, MAX_TREE_PAGES);
          return;
        }
      root = hub_http_get_json (op->http, url, op->repo_id, &next, cancellable, &error);
      g_free (url);
      url = next;
      if (root == NULL)
        {
          g_task_return_error (task, error);
          return;
        }
      if (!JSON_NODE_HOLDS_ARRAY (root))
        {
          g_task_return_new_error (task, BENDI_HUB_ERROR, BENDI_HUB_ERROR_INVALID_RESPONSE,
                                   "The file list of “%s” is not a list", op->repo_id);
          return;
        }
      array = json_node_get_array (root);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *node = json_array_get_element (array, i);
          BendiHubFile *file = JSON_NODE_HOLDS_OBJECT (node) ? hub_file_from_json (json_node_get_object (node)) : NULL;

          if (file != NULL)
            g_ptr_array_add (files, file);
        }
    }
  g_task_return_pointer (task, g_steal_pointer (&files), (GDestroyNotify) g_ptr_array_unref);
}

void
bendi_hub_client_list_files_async (BendiHubClient      *self,
                                   const char          *repo_id,
                                   const char          *revision,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  Operation *op;

  g_return_if_fail (BENDI_HUB_IS_CLIENT (self));

  task = operation_task_new (self, bendi_hub_client_list_files_async, repo_id, cancellable, callback, user_data, &op);
  op->revision = g_strdup (revision);
  if (check_repo_id (task, repo_id))
    g_task_run_in_thread (task, list_files_thread);
}

GPtrArray *
bendi_hub_client_list_files_finish (BendiHubClient  *self,
                                    GAsyncResult    *result,
                                    GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == bendi_hub_client_list_files_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Header peek -------------------------------------------------------------- */

/* "bytes 0-1023/4096": the total, or 0 when the header is malformed. */
static guint64
content_range_total (SoupMessage *msg)
{
  goffset start, end, total;

  if (!soup_message_headers_get_content_range (soup_message_get_response_headers (msg), &start, &end, &total) ||
      total <= 0)
    return 0;
  return (guint64) total;
}

/* Appends bytes @have.. of the file to @prefix until it holds @want, with
 * one Range request; a server that ignores Range sends the file from the
 * start, so the prefix is read again from there. */
static gboolean
fetch_prefix (HubHttp       *http,
              const char    *url,
              const char    *repo_id,
              const char    *path,
              GByteArray    *prefix,
              gsize          want,
              guint64       *file_size,
              GCancellable  *cancellable,
              GError       **error)
{
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GInputStream) stream = NULL;
  g_autofree char *range = g_strdup_printf ("bytes=%u-%" G_GSIZE_FORMAT, prefix->len, want - 1);
  g_autofree guint8 *buffer = NULL;
  guint status;

  stream = hub_http_open (http, url, range, NULL, &msg, cancellable, error);
  if (stream == NULL)
    return FALSE;
  status = soup_message_get_status (msg);
  if (status == SOUP_STATUS_PARTIAL_CONTENT)
    {
      goffset start = -1, end = -1, total = -1;

      if (!soup_message_headers_get_content_range (soup_message_get_response_headers (msg), &start, &end, &total) ||
          start != (goffset) prefix->len || total <= 0 || end < start)
        {
          g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_INVALID_RESPONSE,
                       "The server answered a Range request for the header of “%s” with the wrong bytes", path);
          return FALSE;
        }
      *file_size = content_range_total (msg);
    }
  else if (status == SOUP_STATUS_OK)
    {
      goffset length = soup_message_headers_get_content_length (soup_message_get_response_headers (msg));

      if (length <= 0)
        {
          g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_INVALID_RESPONSE,
                       "The server gives neither ranges nor the size of “%s”", path);
          return FALSE;
        }
      *file_size = (guint64) length;
      g_byte_array_set_size (prefix, 0);
    }
  else if (status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE)
    {
      /* Asked past the end: the file is smaller than the header said. */
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE,
                   "“%s” ends before its GGUF header does", path);
      return FALSE;
    }
  else
    {
      hub_http_set_status_error (http, msg, repo_id, path, error);
      return FALSE;
    }

  want = (gsize) MIN ((guint64) want, *file_size);
  buffer = g_malloc (65536);
  while (prefix->len < want)
    {
      gssize n = g_input_stream_read (stream, buffer, MIN (65536, want - prefix->len), cancellable, error);

      if (n < 0)
        return FALSE;
      if (n == 0)
        break;
      g_byte_array_append (prefix, buffer, (guint) n);
    }
  /* The rest of a whole-file answer is not wanted: closing drops it. */
  g_input_stream_close (stream, NULL, NULL);
  return TRUE;
}

static void
peek_header_thread (GTask        *task,
                    gpointer      source_object G_GNUC_UNUSED,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  Operation *op = task_data;
  g_autofree char *url = hub_build_file_url (op->http->endpoint, op->repo_id, op->revision, op->path);
  g_autoptr (GByteArray) prefix = g_byte_array_new ();
  gsize want = PEEK_FIRST_BYTES;
  guint64 file_size = 0;

  for (;;)
    {
      g_autoptr (GBytes) bytes = NULL;
      g_autoptr (GError) error = NULL;
      BendiGguf *gguf;
      guint64 needed = 0;
      gsize had = prefix->len;

      if (!fetch_prefix (op->http, url, op->repo_id, op->path, prefix, want, &file_size, cancellable, &error))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      if (prefix->len <= had && prefix->len < MIN (want, file_size))
        {
          g_task_return_new_error (task, BENDI_HUB_ERROR, BENDI_HUB_ERROR_NETWORK,
                                   "The connection closed while reading the header of “%s”", op->path);
          return;
        }
      bytes = g_bytes_new (prefix->data, prefix->len);
      gguf = bendi_gguf_new_from_header (bytes, file_size, &needed, &error);
      if (gguf != NULL)
        {
          g_task_return_pointer (task, gguf, (GDestroyNotify) bendi_gguf_free);
          return;
        }
      if (!g_error_matches (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INCOMPLETE))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      if (prefix->len >= BENDI_HUB_PEEK_MAX_BYTES)
        {
          g_task_return_new_error (task, BENDI_HUB_ERROR, BENDI_HUB_ERROR_INVALID_RESPONSE,
                                   "The GGUF header of “%s” is longer than %" G_GSIZE_FORMAT " MiB",
                                   op->path, BENDI_HUB_PEEK_MAX_BYTES >> 20);
          return;
        }
      /* Double at least, to need few round trips for a long vocabulary. */
      want = (gsize) MIN (MAX (needed, (guint64) prefix->len * 2), (guint64) BENDI_HUB_PEEK_MAX_BYTES);
    }
}

void
bendi_hub_client_peek_header_async (BendiHubClient      *self,
                                    const char          *repo_id,
                                    const char          *revision,
                                    const char          *path,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  Operation *op;

  g_return_if_fail (BENDI_HUB_IS_CLIENT (self));
  g_return_if_fail (path != NULL);

  task = operation_task_new (self, bendi_hub_client_peek_header_async, repo_id, cancellable, callback, user_data, &op);
  op->revision = g_strdup (revision);
  op->path = g_strdup (path);
  if (!check_repo_id (task, repo_id))
    return;
  if (!bendi_hub_file_path_is_safe (path))
    {
      g_task_return_new_error (task, BENDI_HUB_ERROR, BENDI_HUB_ERROR_UNSAFE_PATH,
                               "Refusing the unsafe file name “%s”", path);
      return;
    }
  g_task_run_in_thread (task, peek_header_thread);
}

BendiGguf *
bendi_hub_client_peek_header_finish (BendiHubClient  *self,
                                     GAsyncResult    *result,
                                     GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == bendi_hub_client_peek_header_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
