/* SPDX-License-Identifier: MIT */
/* Blocking HTTP for the hub's worker threads: redirects followed by hand so
 * the token stays with the Hub, and the Hub's errors made readable. */
#define G_LOG_DOMAIN "bendi-hub"

#include "hub-private.h"

#include <string.h>

#include "hub-error.h"
#include "hub-names.h"

#define MAX_REDIRECTS 10
#define MAX_JSON_BYTES ((gsize) 64 * 1024 * 1024)

void
hub_http_free (HubHttp *http)
{
  if (http == NULL)
    return;
  g_clear_object (&http->session);
  g_free (http->endpoint);
  g_free (http->endpoint_host);
  if (http->token != NULL)
    memset (http->token, 0, strlen (http->token));
  g_free (http->token);
  g_free (http);
}

/* Whether @uri is on the endpoint's own host, where the token may go. */
static gboolean
uri_is_endpoint (HubHttp *http,
                 GUri    *uri)
{
  return http->endpoint_host != NULL && g_uri_get_host (uri) != NULL &&
         g_ascii_strcasecmp (g_uri_get_host (uri), http->endpoint_host) == 0;
}

GInputStream *
hub_http_open (HubHttp       *http,
               const char    *url,
               const char    *range,
               const char    *if_range,
               SoupMessage  **out_msg,
               GCancellable  *cancellable,
               GError       **error)
{
  g_autofree char *current = g_strdup (url);

  *out_msg = NULL;
  for (guint hop = 0; hop <= MAX_REDIRECTS; hop++)
    {
      g_autoptr (SoupMessage) msg = NULL;
      g_autoptr (GInputStream) stream = NULL;
      g_autoptr (GError) local_error = NULL;
      g_autoptr (GUri) uri = g_uri_parse (current, SOUP_HTTP_URI_FLAGS, NULL);
      SoupMessageHeaders *headers;
      const char *location;
      guint status;

      if (uri == NULL || (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 &&
                          g_strcmp0 (g_uri_get_scheme (uri), "https") != 0))
        {
          g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_INVALID_RESPONSE,
                       "Not an HTTP address: %s", current);
          return NULL;
        }
      msg = soup_message_new_from_uri (SOUP_METHOD_GET, uri);
      soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
      headers = soup_message_get_request_headers (msg);
      /* Byte offsets must mean bytes of the file, never of an encoding. */
      soup_message_headers_replace (headers, "Accept-Encoding", "identity");
      if (range != NULL)
        soup_message_headers_replace (headers, "Range", range);
      if (if_range != NULL)
        soup_message_headers_replace (headers, "If-Range", if_range);
      if (http->token != NULL && uri_is_endpoint (http, uri))
        {
          g_autofree char *bearer = g_strdup_printf ("Bearer %s", http->token);

          soup_message_headers_replace (headers, "Authorization", bearer);
          memset (bearer, 0, strlen (bearer));
        }

      stream = soup_session_send (http->session, msg, cancellable, &local_error);
      if (stream == NULL)
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_propagate_error (error, g_steal_pointer (&local_error));
          else
            g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_NETWORK,
                         "Cannot reach %s: %s", g_uri_get_host (uri) != NULL ? g_uri_get_host (uri) : current,
                         local_error->message);
          return NULL;
        }
      status = soup_message_get_status (msg);
      location = soup_message_headers_get_one (soup_message_get_response_headers (msg), "Location");
      if (SOUP_STATUS_IS_REDIRECTION (status) && status != 304 && location != NULL)
        {
          g_autoptr (GUri) next = g_uri_parse_relative (uri, location, SOUP_HTTP_URI_FLAGS, NULL);

          g_input_stream_close (stream, NULL, NULL);
          if (next == NULL)
            {
              g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_INVALID_RESPONSE,
                           "The server redirected to a malformed address");
              return NULL;
            }
          g_free (current);
          current = g_uri_to_string (next);
          continue;
        }
      *out_msg = g_steal_pointer (&msg);
      return g_steal_pointer (&stream);
    }
  g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_NETWORK,
               "More than %d redirects for %s", MAX_REDIRECTS, url);
  return NULL;
}

gboolean
hub_http_status_is_transient (guint status)
{
  return status == 408 || status == 429 || (status >= 500 && status <= 599);
}

void
hub_http_set_status_error (HubHttp      *http,
                           SoupMessage  *msg,
                           const char   *repo_id,
                           const char   *path,
                           GError      **error)
{
  guint status = soup_message_get_status (msg);
  const char *code = soup_message_headers_get_one (soup_message_get_response_headers (msg), "X-Error-Code");
  const char *repo = repo_id != NULL ? repo_id : "the repository";

  if (g_strcmp0 (code, "RepoNotFound") == 0 || (status == 404 && path == NULL && code == NULL))
    g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_NOT_FOUND,
                 "Repository “%s” not found on %s", repo, http->endpoint);
  else if (g_strcmp0 (code, "EntryNotFound") == 0 || (status == 404 && path != NULL))
    g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_NOT_FOUND,
                 "“%s” not found in %s", path != NULL ? path : "The file", repo);
  else if (g_strcmp0 (code, "RevisionNotFound") == 0)
    g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_NOT_FOUND,
                 "%s has no such revision", repo);
  else if ((status == 401 || status == 403 || g_strcmp0 (code, "GatedRepo") == 0) && !http->has_token)
    g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_GATED,
                 "“%s” is gated: accept its license at %s/%s, then set HF_TOKEN or store an access token",
                 repo, http->endpoint, repo);
  else if (status == 401 || status == 403 || g_strcmp0 (code, "GatedRepo") == 0)
    g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_UNAUTHORIZED,
                 "The access token was refused for “%s”: check the token, and that its license is accepted at %s/%s",
                 repo, http->endpoint, repo);
  else
    g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_HTTP,
                 "The server answered %u %s", status,
                 soup_message_get_reason_phrase (msg) != NULL ? soup_message_get_reason_phrase (msg) : "");
}

GBytes *
hub_read_all (GInputStream  *stream,
              gsize          max_bytes,
              GCancellable  *cancellable,
              GError       **error)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  guint8 buffer[16384];

  for (;;)
    {
      gssize n = g_input_stream_read (stream, buffer, sizeof buffer, cancellable, error);

      if (n < 0)
        return NULL;
      if (n == 0)
        break;
      if ((gsize) n > max_bytes - out->len)
        {
          g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_INVALID_RESPONSE,
                       "The server's answer is longer than %" G_GSIZE_FORMAT " bytes", max_bytes);
          return NULL;
        }
      g_byte_array_append (out, buffer, (guint) n);
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/* The rel="next" target of a Link header: <URL>; rel="next". */
static char *
parse_link_next (const char *link)
{
  g_auto (GStrv) links = NULL;

  if (link == NULL)
    return NULL;
  links = g_strsplit (link, ",", -1);
  for (guint i = 0; links[i] != NULL; i++)
    {
      const char *start = strchr (links[i], '<');
      const char *end = start != NULL ? strchr (start, '>') : NULL;

      if (end != NULL && strstr (end, "rel=\"next\"") != NULL)
        return g_strndup (start + 1, (gsize) (end - start - 1));
    }
  return NULL;
}

JsonNode *
hub_http_get_json (HubHttp       *http,
                   const char    *url,
                   const char    *repo_id,
                   char         **out_next_url,
                   GCancellable  *cancellable,
                   GError       **error)
{
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GInputStream) stream = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local_error = NULL;
  gsize size;
  const char *data;

  if (out_next_url != NULL)
    *out_next_url = NULL;
  stream = hub_http_open (http, url, NULL, NULL, &msg, cancellable, error);
  if (stream == NULL)
    return NULL;
  if (soup_message_get_status (msg) != SOUP_STATUS_OK)
    {
      hub_http_set_status_error (http, msg, repo_id, NULL, error);
      return NULL;
    }
  body = hub_read_all (stream, MAX_JSON_BYTES, cancellable, error);
  if (body == NULL)
    return NULL;
  data = g_bytes_get_data (body, &size);
  if (!json_parser_load_from_data (parser, data != NULL ? data : "", (gssize) size, &local_error))
    {
      g_set_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_INVALID_RESPONSE,
                   "The server's answer is not JSON: %s", local_error->message);
      return NULL;
    }
  if (out_next_url != NULL)
    {
      g_autofree char *next = parse_link_next (soup_message_headers_get_one (soup_message_get_response_headers (msg), "Link"));

      /* Relative links are resolved against the page that gave them. */
      if (next != NULL)
        {
          g_autoptr (GUri) base = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
          g_autoptr (GUri) resolved = base != NULL ? g_uri_parse_relative (base, next, SOUP_HTTP_URI_FLAGS, NULL) : NULL;

          if (resolved != NULL)
            *out_next_url = g_uri_to_string (resolved);
        }
    }
  return json_node_ref (json_parser_get_root (parser));
}

char *
hub_build_file_url (const char *endpoint,
                    const char *repo_id,
                    const char *revision,
                    const char *path)
{
  g_autofree char *escaped_path = g_uri_escape_string (path, "/", FALSE);
  g_autofree char *escaped_revision = g_uri_escape_string (revision != NULL ? revision : "main", NULL, FALSE);

  return g_strdup_printf ("%s/%s/resolve/%s/%s", endpoint, repo_id, escaped_revision, escaped_path);
}

/* ------------------------------------------------------------------------ */
/* The Hub's JSON */

const char *
hub_json_string (JsonObject *object,
                 const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

gint64
hub_json_int (JsonObject *object,
              const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return 0;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return json_node_get_int (node);
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    return (gint64) json_node_get_double (node);
  return 0;
}

JsonObject *
hub_json_object (JsonObject *object,
                 const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

JsonArray *
hub_json_array (JsonObject *object,
                const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

BendiHubModel *
hub_model_from_json (JsonObject *object)
{
  g_autoptr (BendiHubModel) model = g_new0 (BendiHubModel, 1);
  g_autoptr (GStrvBuilder) tags = g_strv_builder_new ();
  const char *id = hub_json_string (object, "id");
  JsonNode *gated = json_object_get_member (object, "gated");
  JsonNode *tags_node = json_object_get_member (object, "tags");
  JsonObject *card = hub_json_object (object, "cardData");
  JsonObject *gguf = hub_json_object (object, "gguf");

  if (id == NULL)
    id = hub_json_string (object, "modelId");
  if (id == NULL)
    return NULL;
  model->id = g_strdup (id);
  model->author = g_strdup (hub_json_string (object, "author"));
  if (model->author == NULL && strchr (id, '/') != NULL)
    model->author = g_strndup (id, (gsize) (strchr (id, '/') - id));
  model->downloads = hub_json_int (object, "downloads");
  model->likes = hub_json_int (object, "likes");
  model->last_modified = g_strdup (hub_json_string (object, "lastModified"));
  model->pipeline_tag = g_strdup (hub_json_string (object, "pipeline_tag"));
  /* "gated" is false, or "auto"/"manual" (older answers: true). */
  if (gated != NULL && JSON_NODE_HOLDS_VALUE (gated))
    {
      if (json_node_get_value_type (gated) == G_TYPE_STRING)
        model->gated = g_strdup (json_node_get_string (gated));
      else if (json_node_get_value_type (gated) == G_TYPE_BOOLEAN && json_node_get_boolean (gated))
        model->gated = g_strdup ("manual");
    }
  if (tags_node != NULL && JSON_NODE_HOLDS_ARRAY (tags_node))
    {
      JsonArray *array = json_node_get_array (tags_node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *tag = json_array_get_element (array, i);

          if (JSON_NODE_HOLDS_VALUE (tag) && json_node_get_value_type (tag) == G_TYPE_STRING)
            {
              const char *s = json_node_get_string (tag);

              g_strv_builder_add (tags, s);
              if (model->license == NULL && g_str_has_prefix (s, "license:"))
                model->license = g_strdup (s + strlen ("license:"));
            }
        }
    }
  model->tags = g_strv_builder_end (tags);
  if (card != NULL && hub_json_string (card, "license") != NULL)
    {
      g_free (model->license);
      model->license = g_strdup (hub_json_string (card, "license"));
    }
  if (gguf != NULL)
    {
      model->architecture = g_strdup (hub_json_string (gguf, "architecture"));
      model->context_length = hub_json_int (gguf, "context_length");
      model->n_params = hub_json_int (gguf, "total");
    }
  return g_steal_pointer (&model);
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

BendiHubFile *
hub_file_from_json (JsonObject *object)
{
  const char *type = hub_json_string (object, "type");
  const char *path = hub_json_string (object, "path");
  JsonObject *lfs = hub_json_object (object, "lfs");
  const char *sha256 = NULL;
  gint64 size = hub_json_int (object, "size");

  if (g_strcmp0 (type, "file") != 0 || path == NULL)
    return NULL;
  if (!bendi_hub_file_path_is_safe (path))
    {
      g_debug ("Leaving out a file with an unsafe path from the listing");
      return NULL;
    }
  if (lfs != NULL)
    {
      sha256 = hub_json_string (lfs, "oid");
      if (sha256 != NULL && g_str_has_prefix (sha256, "sha256:"))
        sha256 += strlen ("sha256:");
      if (!is_sha256_hex (sha256))
        sha256 = NULL;
      if (hub_json_int (lfs, "size") > 0)
        size = hub_json_int (lfs, "size");
    }
  if (size < 0)
    return NULL;
  return bendi_hub_file_new (path, (guint64) size, sha256);
}
