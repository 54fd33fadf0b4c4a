/* SPDX-License-Identifier: MIT */
/* The Hub-shaped test server. API answers go through SoupServer; the CDN
 * takes over the connection and writes the response itself, so that it can
 * lie about ranges, cut a body short or trickle it. */
#include "hub-test-server.h"

#include <string.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

typedef struct {
  char    *path;
  GBytes  *content;      /* NULL for listing-only entries */
  guint64  size;
  char    *sha256;       /* as listed */
  char    *etag;
} TestFile;

typedef struct {
  char      *id;
  char      *token;      /* gated when set */
  GPtrArray *files;      /* TestFile */
} TestRepo;

struct _HubTestServer {
  GThread          *thread;
  GMainContext     *context;
  GMainLoop        *loop;
  SoupServer       *server;
  char             *endpoint;
  guint             port;
  GMutex            lock;
  GCond             ready;
  gboolean          started;

  GHashTable       *repos;       /* id → TestRepo */
  HubTestRangeMode  range_mode;
  GQueue            cuts;        /* guint64 * */
  gsize             throttle_chunk;
  guint             throttle_delay_us;
  GPtrArray        *requests;    /* HubTestRequest */
  GPtrArray        *writers;     /* GThread */
  guint             etag_counter;
};

static void
test_file_free (TestFile *file)
{
  g_free (file->path);
  g_clear_pointer (&file->content, g_bytes_unref);
  g_free (file->sha256);
  g_free (file->etag);
  g_free (file);
}

static void
test_repo_free (TestRepo *repo)
{
  g_free (repo->id);
  g_free (repo->token);
  g_ptr_array_unref (repo->files);
  g_free (repo);
}

static void
request_free (HubTestRequest *request)
{
  g_free (request->path);
  g_free (request->range);
  g_free (request->if_range);
  g_free (request);
}

char *
hub_test_sha256 (GBytes *bytes)
{
  return g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
}

GBytes *
hub_test_random_bytes (gsize   n,
                       guint32 seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  guint8 *data = g_malloc (MAX (n, 1));

  for (gsize i = 0; i < n; i += 4)
    {
      guint32 v = g_rand_int (rand);

      memcpy (data + i, &v, MIN (4, n - i));
    }
  return g_bytes_new_take (data, n);
}

static void
log_request (HubTestServer *self,
             const char    *path,
             const char    *range,
             const char    *if_range,
             gboolean       authorized,
             guint          status)
{
  HubTestRequest *request = g_new0 (HubTestRequest, 1);

  request->path = g_strdup (path);
  request->range = g_strdup (range);
  request->if_range = g_strdup (if_range);
  request->authorized = authorized;
  request->status = status;
  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->requests, request);
  g_mutex_unlock (&self->lock);
}

/* Looks up repo and file under the lock. */
static TestRepo *
find_repo (HubTestServer *self,
           const char    *id)
{
  return g_hash_table_lookup (self->repos, id);
}

static TestFile *
find_file (TestRepo   *repo,
           const char *path)
{
  for (guint i = 0; i < repo->files->len; i++)
    {
      TestFile *file = g_ptr_array_index (repo->files, i);

      if (strcmp (file->path, path) == 0)
        return file;
    }
  return NULL;
}

static void
set_json (SoupServerMessage *msg,
          JsonNode          *root)
{
  g_autofree char *text = json_to_string (root, FALSE);

  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, text, strlen (text));
}

static void
set_error (SoupServerMessage *msg,
           guint              status,
           const char        *code)
{
  const char *body = "{\"error\":\"test error\"}";

  soup_server_message_set_status (msg, status, NULL);
  if (code != NULL)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "X-Error-Code", code);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, body, strlen (body));
}

static JsonNode *
repo_to_json (TestRepo *repo)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, repo->id);
  json_builder_set_member_name (b, "downloads");
  json_builder_add_int_value (b, 1000 + (gint64) strlen (repo->id));
  json_builder_set_member_name (b, "likes");
  json_builder_add_int_value (b, 7);
  json_builder_set_member_name (b, "lastModified");
  json_builder_add_string_value (b, "2025-01-02T03:04:05.000Z");
  json_builder_set_member_name (b, "gated");
  if (repo->token != NULL)
    json_builder_add_string_value (b, "manual");
  else
    json_builder_add_boolean_value (b, FALSE);
  json_builder_set_member_name (b, "tags");
  json_builder_begin_array (b);
  json_builder_add_string_value (b, "gguf");
  json_builder_add_string_value (b, "license:apache-2.0");
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static JsonNode *
tree_to_json (TestRepo *repo)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_array (b);
  for (guint i = 0; i < repo->files->len; i++)
    {
      TestFile *file = g_ptr_array_index (repo->files, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "type");
      json_builder_add_string_value (b, "file");
      json_builder_set_member_name (b, "oid");
      json_builder_add_string_value (b, "0123456789abcdef0123456789abcdef01234567");
      json_builder_set_member_name (b, "size");
      json_builder_add_int_value (b, (gint64) file->size);
      json_builder_set_member_name (b, "path");
      json_builder_add_string_value (b, file->path);
      if (file->sha256 != NULL)
        {
          json_builder_set_member_name (b, "lfs");
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "oid");
          json_builder_add_string_value (b, file->sha256);
          json_builder_set_member_name (b, "size");
          json_builder_add_int_value (b, (gint64) file->size);
          json_builder_set_member_name (b, "pointerSize");
          json_builder_add_int_value (b, 134);
          json_builder_end_object (b);
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  return json_builder_get_root (b);
}

/* ------------------------------------------------------------------------ */
/* The CDN: a raw HTTP/1.1 response on a stolen connection. */

typedef struct {
  HubTestServer *self;
  GIOStream     *stream;
  GBytes        *content;
  char          *etag;
  char          *range;
  char          *if_range;
  char          *path;
  gboolean       authorized;
  gboolean       has_cut;
  guint64        cut;
} CdnResponse;

static gpointer
cdn_thread (gpointer data)
{
  CdnResponse *r = data;
  HubTestServer *self = r->self;
  GOutputStream *out = g_io_stream_get_output_stream (r->stream);
  gsize size = g_bytes_get_size (r->content);
  const guint8 *bytes = g_bytes_get_data (r->content, NULL);
  g_autoptr (GString) head = g_string_new (NULL);
  gsize start = 0, end = size;   /* [start, end) */
  guint status = 200;
  HubTestRangeMode mode;
  gsize chunk;
  guint delay;

  g_mutex_lock (&self->lock);
  mode = self->range_mode;
  chunk = self->throttle_chunk;
  delay = self->throttle_delay_us;
  g_mutex_unlock (&self->lock);

  if (r->range != NULL && mode != HUB_TEST_RANGE_IGNORE &&
      (r->if_range == NULL || g_strcmp0 (r->if_range, r->etag) == 0) &&
      g_str_has_prefix (r->range, "bytes="))
    {
      char *dash = NULL;
      guint64 first = g_ascii_strtoull (r->range + 6, &dash, 10);

      if (first >= size)
        status = 416;
      else
        {
          status = 206;
          start = (gsize) first;
          if (dash != NULL && dash[0] == '-' && g_ascii_isdigit (dash[1]))
            end = (gsize) MIN ((guint64) size, g_ascii_strtoull (dash + 1, NULL, 10) + 1);
        }
    }

  if (status == 416)
    g_string_append_printf (head, "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */%" G_GSIZE_FORMAT
                            "\r\nContent-Length: 0\r\n", size);
  else if (status == 206)
    {
      gsize shown = mode == HUB_TEST_RANGE_WRONG && start >= 100 ? start - 100 : start;

      g_string_append_printf (head, "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes %" G_GSIZE_FORMAT "-%"
                              G_GSIZE_FORMAT "/%" G_GSIZE_FORMAT "\r\nContent-Length: %" G_GSIZE_FORMAT "\r\n",
                              shown, end - 1 - (start - shown), size, end - start);
    }
  else
    g_string_append_printf (head, "HTTP/1.1 200 OK\r\nContent-Length: %" G_GSIZE_FORMAT "\r\n", size);
  g_string_append_printf (head, "ETag: %s\r\nAccept-Ranges: bytes\r\nContent-Type: application/octet-stream\r\n"
                          "Connection: close\r\n\r\n", r->etag);
  log_request (self, r->path, r->range, r->if_range, r->authorized, status);

  if (g_output_stream_write_all (out, head->str, head->len, NULL, NULL, NULL) && status != 416)
    {
      gsize limit = end;

      if (r->has_cut && r->cut < end - start)
        limit = start + (gsize) r->cut;
      if (chunk == 0)
        chunk = 1024 * 1024;
      for (gsize pos = start; pos < limit;)
        {
          gsize n = MIN (chunk, limit - pos);

          if (!g_output_stream_write_all (out, bytes + pos, n, NULL, NULL, NULL))
            break;
          pos += n;
          if (delay > 0)
            g_usleep (delay);
        }
    }
  g_io_stream_close (r->stream, NULL, NULL);

  g_object_unref (r->stream);
  g_bytes_unref (r->content);
  g_free (r->etag);
  g_free (r->range);
  g_free (r->if_range);
  g_free (r->path);
  g_free (r);
  return NULL;
}

static void
handle_cdn (HubTestServer     *self,
            SoupServerMessage *msg,
            const char        *path)
{
  /* /cdn/OWNER/REPO/FILE… */
  g_auto (GStrv) parts = g_strsplit (path + strlen ("/cdn/"), "/", 3);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  CdnResponse *r;
  TestRepo *repo;
  TestFile *file;
  g_autofree char *repo_id = NULL;

  if (g_strv_length (parts) < 3)
    {
      set_error (msg, 404, NULL);
      return;
    }
  repo_id = g_strdup_printf ("%s/%s", parts[0], parts[1]);
  g_mutex_lock (&self->lock);
  repo = find_repo (self, repo_id);
  file = repo != NULL ? find_file (repo, parts[2]) : NULL;
  if (file == NULL || file->content == NULL)
    {
      g_mutex_unlock (&self->lock);
      set_error (msg, 404, NULL);
      return;
    }
  r = g_new0 (CdnResponse, 1);
  r->self = self;
  r->content = g_bytes_ref (file->content);
  r->etag = g_strdup (file->etag);
  if (!g_queue_is_empty (&self->cuts))
    {
      guint64 *cut = g_queue_pop_head (&self->cuts);

      r->has_cut = TRUE;
      r->cut = *cut;
      g_free (cut);
    }
  g_mutex_unlock (&self->lock);
  r->range = g_strdup (soup_message_headers_get_one (headers, "Range"));
  r->if_range = g_strdup (soup_message_headers_get_one (headers, "If-Range"));
  r->authorized = soup_message_headers_get_one (headers, "Authorization") != NULL;
  r->path = g_strdup (path);
  r->stream = soup_server_message_steal_connection (msg);
  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->writers, g_thread_new ("hub-test-cdn", cdn_thread, r));
  g_mutex_unlock (&self->lock);
}

static void
handle_resolve (HubTestServer     *self,
                SoupServerMessage *msg,
                const char        *repo_id,
                const char        *file_path)
{
  const char *auth = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Authorization");
  TestRepo *repo;
  TestFile *file;
  guint status = 302;

  g_mutex_lock (&self->lock);
  repo = find_repo (self, repo_id);
  file = repo != NULL ? find_file (repo, file_path) : NULL;
  if (repo == NULL)
    {
      status = 404;
      set_error (msg, 404, "RepoNotFound");
    }
  else if (repo->token != NULL && auth == NULL)
    {
      status = 401;
      set_error (msg, 401, "GatedRepo");
    }
  else if (repo->token != NULL && (!g_str_has_prefix (auth, "Bearer ") || strcmp (auth + 7, repo->token) != 0))
    {
      status = 403;
      set_error (msg, 403, "GatedRepo");
    }
  else if (file == NULL)
    {
      status = 404;
      set_error (msg, 404, "EntryNotFound");
    }
  else
    {
      /* Another host name for the same server: the token must not follow. */
      g_autofree char *location = g_strdup_printf ("http://localhost:%u/cdn/%s/%s", self->port, repo_id, file_path);

      soup_server_message_set_redirect (msg, 302, location);
    }
  g_mutex_unlock (&self->lock);
  log_request (self, g_uri_get_path (soup_server_message_get_uri (msg)), NULL, NULL, auth != NULL, status);
}

static void
server_cb (SoupServer        *server G_GNUC_UNUSED,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  HubTestServer *self = user_data;
  g_auto (GStrv) parts = NULL;
  guint n;

  if (g_str_has_prefix (path, "/cdn/"))
    {
      handle_cdn (self, msg, path);
      return;
    }
  parts = g_strsplit (path + 1, "/", 0);
  n = g_strv_length (parts);

  if (strcmp (path, "/api/models") == 0)
    {
      const char *search = query != NULL ? g_hash_table_lookup (query, "search") : NULL;
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;
      GHashTableIter iter;
      gpointer value;

      json_builder_begin_array (b);
      g_mutex_lock (&self->lock);
      g_hash_table_iter_init (&iter, self->repos);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        {
          TestRepo *repo = value;
          g_autofree char *id = g_ascii_strdown (repo->id, -1);
          g_autofree char *needle = g_ascii_strdown (search != NULL ? search : "", -1);

          if (strstr (id, needle) != NULL)
            {
              g_autoptr (JsonNode) node = repo_to_json (repo);

              json_builder_add_value (b, g_steal_pointer (&node));
            }
        }
      g_mutex_unlock (&self->lock);
      json_builder_end_array (b);
      root = json_builder_get_root (b);
      set_json (msg, root);
    }
  else if (n >= 4 && strcmp (parts[0], "api") == 0 && strcmp (parts[1], "models") == 0)
    {
      g_autofree char *repo_id = g_strdup_printf ("%s/%s", parts[2], parts[3]);
      g_autoptr (JsonNode) root = NULL;
      TestRepo *repo;

      g_mutex_lock (&self->lock);
      repo = find_repo (self, repo_id);
      if (repo == NULL)
        set_error (msg, 404, "RepoNotFound");
      else if (n == 4)
        root = repo_to_json (repo);
      else if (n == 6 && strcmp (parts[4], "tree") == 0)
        root = tree_to_json (repo);
      else
        set_error (msg, 404, NULL);
      g_mutex_unlock (&self->lock);
      if (root != NULL)
        set_json (msg, root);
    }
  else if (n >= 5 && strcmp (parts[2], "resolve") == 0)
    {
      g_autofree char *repo_id = g_strdup_printf ("%s/%s", parts[0], parts[1]);
      g_autofree char *file_path = g_strjoinv ("/", parts + 4);

      handle_resolve (self, msg, repo_id, file_path);
      return;
    }
  else
    set_error (msg, 404, NULL);
  log_request (self, path, NULL, NULL, FALSE, soup_server_message_get_status (msg));
}

static gpointer
server_thread (gpointer data)
{
  HubTestServer *self = data;
  g_autoptr (GError) error = NULL;
  GSList *uris;

  g_main_context_push_thread_default (self->context);
  self->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (self->server, NULL, server_cb, self, NULL);
  if (!soup_server_listen_local (self->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error))
    g_error ("Cannot listen: %s", error->message);
  uris = soup_server_get_uris (self->server);
  self->port = (guint) g_uri_get_port (uris->data);
  self->endpoint = g_strdup_printf ("http://127.0.0.1:%u", self->port);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_mutex_lock (&self->lock);
  self->started = TRUE;
  g_cond_signal (&self->ready);
  g_mutex_unlock (&self->lock);

  g_main_loop_run (self->loop);
  soup_server_disconnect (self->server);
  g_clear_object (&self->server);
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

HubTestServer *
hub_test_server_new (void)
{
  HubTestServer *self = g_new0 (HubTestServer, 1);

  g_mutex_init (&self->lock);
  g_cond_init (&self->ready);
  g_queue_init (&self->cuts);
  self->repos = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) test_repo_free);
  self->requests = g_ptr_array_new_with_free_func ((GDestroyNotify) request_free);
  self->writers = g_ptr_array_new ();
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->thread = g_thread_new ("hub-test-server", server_thread, self);
  g_mutex_lock (&self->lock);
  while (!self->started)
    g_cond_wait (&self->ready, &self->lock);
  g_mutex_unlock (&self->lock);
  return self;
}

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

void
hub_test_server_free (HubTestServer *self)
{
  g_main_context_invoke (self->context, quit_cb, self->loop);
  g_thread_join (self->thread);
  for (guint i = 0; i < self->writers->len; i++)
    g_thread_join (g_ptr_array_index (self->writers, i));
  g_ptr_array_unref (self->writers);
  g_main_loop_unref (self->loop);
  g_main_context_unref (self->context);
  g_hash_table_unref (self->repos);
  g_ptr_array_unref (self->requests);
  g_queue_clear_full (&self->cuts, g_free);
  g_free (self->endpoint);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->ready);
  g_free (self);
}

const char *
hub_test_server_get_endpoint (HubTestServer *self)
{
  return self->endpoint;
}

static TestRepo *
ensure_repo (HubTestServer *self,
             const char    *repo_id)
{
  TestRepo *repo = find_repo (self, repo_id);

  if (repo == NULL)
    {
      repo = g_new0 (TestRepo, 1);
      repo->id = g_strdup (repo_id);
      repo->files = g_ptr_array_new_with_free_func ((GDestroyNotify) test_file_free);
      g_hash_table_insert (self->repos, repo->id, repo);
    }
  return repo;
}

void
hub_test_server_add_file (HubTestServer *self,
                          const char    *repo_id,
                          const char    *path,
                          GBytes        *content,
                          const char    *listed_sha256)
{
  TestFile *file = g_new0 (TestFile, 1);

  file->path = g_strdup (path);
  file->content = g_bytes_ref (content);
  file->size = g_bytes_get_size (content);
  file->sha256 = listed_sha256 != NULL ? g_strdup (listed_sha256) : hub_test_sha256 (content);
  g_mutex_lock (&self->lock);
  file->etag = g_strdup_printf ("\"etag-%u\"", ++self->etag_counter);
  g_ptr_array_add (ensure_repo (self, repo_id)->files, file);
  g_mutex_unlock (&self->lock);
}

void
hub_test_server_replace_content (HubTestServer *self,
                                 const char    *repo_id,
                                 const char    *path,
                                 GBytes        *content)
{
  TestFile *file;

  g_mutex_lock (&self->lock);
  file = find_file (ensure_repo (self, repo_id), path);
  g_assert_nonnull (file);
  g_bytes_unref (file->content);
  file->content = g_bytes_ref (content);
  g_free (file->etag);
  file->etag = g_strdup_printf ("\"etag-%u\"", ++self->etag_counter);
  g_mutex_unlock (&self->lock);
}

void
hub_test_server_add_listing (HubTestServer *self,
                             const char    *repo_id,
                             const char    *path,
                             guint64        size)
{
  TestFile *file = g_new0 (TestFile, 1);

  file->path = g_strdup (path);
  file->size = size;
  file->sha256 = g_strdup ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  file->etag = g_strdup ("\"none\"");
  g_mutex_lock (&self->lock);
  g_ptr_array_add (ensure_repo (self, repo_id)->files, file);
  g_mutex_unlock (&self->lock);
}

void
hub_test_server_set_gated (HubTestServer *self,
                           const char    *repo_id,
                           const char    *token)
{
  TestRepo *repo;

  g_mutex_lock (&self->lock);
  repo = ensure_repo (self, repo_id);
  g_free (repo->token);
  repo->token = g_strdup (token);
  g_mutex_unlock (&self->lock);
}

void
hub_test_server_set_range_mode (HubTestServer    *self,
                                HubTestRangeMode  mode)
{
  g_mutex_lock (&self->lock);
  self->range_mode = mode;
  g_mutex_unlock (&self->lock);
}

void
hub_test_server_push_cut (HubTestServer *self,
                          guint64        n_bytes)
{
  g_mutex_lock (&self->lock);
  g_queue_push_tail (&self->cuts, g_memdup2 (&n_bytes, sizeof n_bytes));
  g_mutex_unlock (&self->lock);
}

void
hub_test_server_set_throttle (HubTestServer *self,
                              gsize          chunk,
                              guint          delay_us)
{
  g_mutex_lock (&self->lock);
  self->throttle_chunk = chunk;
  self->throttle_delay_us = delay_us;
  g_mutex_unlock (&self->lock);
}

GPtrArray *
hub_test_server_get_requests (HubTestServer *self)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func ((GDestroyNotify) request_free);

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->requests->len; i++)
    {
      const HubTestRequest *r = g_ptr_array_index (self->requests, i);
      HubTestRequest *c = g_new0 (HubTestRequest, 1);

      c->path = g_strdup (r->path);
      c->range = g_strdup (r->range);
      c->if_range = g_strdup (r->if_range);
      c->authorized = r->authorized;
      c->status = r->status;
      g_ptr_array_add (copy, c);
    }
  g_mutex_unlock (&self->lock);
  return copy;
}

void
hub_test_server_clear_requests (HubTestServer *self)
{
  g_mutex_lock (&self->lock);
  g_ptr_array_set_size (self->requests, 0);
  g_mutex_unlock (&self->lock);
}

guint
hub_test_server_count_cdn_requests (HubTestServer *self)
{
  guint n = 0;

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->requests->len; i++)
    if (g_str_has_prefix (((HubTestRequest *) g_ptr_array_index (self->requests, i))->path, "/cdn/"))
      n++;
  g_mutex_unlock (&self->lock);
  return n;
}
