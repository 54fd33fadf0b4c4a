/* SPDX-License-Identifier: MIT */
/* Downloads against a Hub-shaped server on 127.0.0.1: resume, verification,
 * hostile servers and names, full disks, concurrency, cancellation. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/xattr.h>
#include <glib/gstdio.h>

#include "hub-client.h"
#include "hub-download-private.h"
#include "hub-error.h"
#include "hub-queue.h"
#include "hub-test-server.h"
#include "test-util.h"

#define REPO "test-org/Tiny-GGUF"
#define FILE_NAME "tiny-Q4_K_M.gguf"
#define FILE_SIZE ((gsize) 3 * 1024 * 1024 + 123)

typedef struct {
  HubTestServer  *server;
  char           *dir;
  BendiHubConfig *config;
  BendiHubClient *client;
  GBytes         *content;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data G_GNUC_UNUSED)
{
  f->server = hub_test_server_new ();
  f->dir = bendi_test_make_temp_dir ();
  f->config = bendi_hub_config_new ();
  bendi_hub_config_set_endpoint (f->config, hub_test_server_get_endpoint (f->server));
  bendi_hub_config_set_models_dir (f->config, f->dir);
  f->client = bendi_hub_client_new (f->config);
  f->content = hub_test_random_bytes (FILE_SIZE, 42);
  hub_test_server_add_file (f->server, REPO, FILE_NAME, f->content, NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data G_GNUC_UNUSED)
{
  g_clear_object (&f->client);
  g_clear_object (&f->config);
  hub_test_server_free (f->server);
  bendi_test_remove_dir (f->dir);
  g_free (f->dir);
  g_bytes_unref (f->content);
}

static void
result_cb (GObject      *object G_GNUC_UNUSED,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static BendiHubFile *
listed_file (Fixture    *f,
             const char *repo,
             const char *path)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GPtrArray) files = NULL;
  g_autoptr (GError) error = NULL;

  bendi_hub_client_list_files_async (f->client, repo, NULL, NULL, result_cb, &result);
  files = bendi_hub_client_list_files_finish (f->client, wait_for (&result), &error);
  g_assert_no_error (error);
  for (guint i = 0; i < files->len; i++)
    {
      BendiHubFile *file = g_ptr_array_index (files, i);

      if (strcmp (file->path, path) == 0)
        return bendi_hub_file_copy (file);
    }
  g_assert_not_reached ();
  return NULL;
}

static BendiHubDownload *
new_download (Fixture *f)
{
  g_autoptr (BendiHubFile) file = listed_file (f, REPO, FILE_NAME);
  BendiHubDownload *download = bendi_hub_download_new (f->client, REPO, NULL, file);

  bendi_hub_download_set_retry_delay (download, 1);
  return download;
}

static char *
run_download (BendiHubDownload  *download,
              GCancellable      *cancellable,
              GError           **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  bendi_hub_download_run_async (download, cancellable, result_cb, &result);
  return bendi_hub_download_run_finish (download, wait_for (&result), error);
}

static char *
part_path (Fixture *f)
{
  return g_build_filename (f->dir, REPO, FILE_NAME ".part", NULL);
}

static char *
final_path (Fixture *f)
{
  return g_build_filename (f->dir, REPO, FILE_NAME, NULL);
}

static void
assert_file_equals (const char *path,
                    GBytes     *expected)
{
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;
  gsize size;

  g_assert_true (g_file_get_contents (path, &contents, &size, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (contents, size, g_bytes_get_data (expected, NULL), g_bytes_get_size (expected));
}

static void
write_part (Fixture *f,
            gsize    n)
{
  g_autofree char *dir = g_build_filename (f->dir, REPO, NULL);
  g_autofree char *part = part_path (f);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_true (g_file_set_contents (part, g_bytes_get_data (f->content, NULL), (gssize) n, NULL));
}

/* ------------------------------------------------------------------------ */

static void
test_clean (Fixture       *f,
            gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (BendiHubDownload) download = new_download (f);
  g_autoptr (GError) error = NULL;
  g_autofree char *path = run_download (download, NULL, &error);
  g_autofree char *expected = final_path (f);
  g_autofree char *part = part_path (f);
  g_autoptr (GPtrArray) requests = hub_test_server_get_requests (f->server);
  gboolean saw_redirect = FALSE;

  g_assert_no_error (error);
  g_assert_cmpstr (path, ==, expected);
  assert_file_equals (path, f->content);
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  g_assert_cmpint (bendi_hub_download_get_state (download), ==, BENDI_HUB_DOWNLOAD_COMPLETED);
  g_assert_cmpuint (bendi_hub_download_get_downloaded_bytes (download), ==, FILE_SIZE);
  for (guint i = 0; i < requests->len; i++)
    {
      HubTestRequest *r = g_ptr_array_index (requests, i);

      saw_redirect |= strstr (r->path, "/resolve/main/") != NULL && r->status == 302;
    }
  g_assert_true (saw_redirect);
  g_assert_cmpuint (hub_test_server_count_cdn_requests (f->server), ==, 1);

  /* A second run finds the verified file and fetches nothing. */
  g_clear_pointer (&path, g_free);
  path = run_download (download, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hub_test_server_count_cdn_requests (f->server), ==, 1);
}

/* The connection drops at 100 random places; each download resumes from
 * there with Range and ends byte-identical. */
static void
test_resume_random_cuts (Fixture       *f,
                         gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  g_autofree char *final = final_path (f);

  for (guint i = 0; i < 100; i++)
    {
      g_autoptr (BendiHubDownload) download = new_download (f);
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) requests = NULL;
      g_autofree char *path = NULL;
      g_autofree char *expected_range = NULL;
      guint64 cut = (guint64) g_rand_int_range (rand, 1, (gint32) FILE_SIZE);
      HubTestRequest *second;

      g_unlink (final);
      hub_test_server_clear_requests (f->server);
      hub_test_server_push_cut (f->server, cut);
      path = run_download (download, NULL, &error);
      g_assert_no_error (error);
      assert_file_equals (path, f->content);
      requests = hub_test_server_get_requests (f->server);
      g_assert_cmpuint (hub_test_server_count_cdn_requests (f->server), ==, 2);
      /* resolve, cdn (cut), resolve, cdn (resumed) */
      second = g_ptr_array_index (requests, requests->len - 1);
      expected_range = g_strdup_printf ("bytes=%" G_GUINT64_FORMAT "-", cut);
      g_assert_cmpstr (second->range, ==, expected_range);
      g_assert_cmpuint (second->status, ==, 206);
      g_assert_nonnull (second->if_range);
    }
}

/* A part left by an earlier run (an app restart) is hashed and resumed. */
static void
test_resume_existing_part (Fixture       *f,
                           gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (BendiHubDownload) download = new_download (f);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) requests = NULL;
  g_autofree char *path = NULL;

  write_part (f, 1000000);
  path = run_download (download, NULL, &error);
  g_assert_no_error (error);
  assert_file_equals (path, f->content);
  requests = hub_test_server_get_requests (f->server);
  g_assert_cmpstr (((HubTestRequest *) g_ptr_array_index (requests, requests->len - 1))->range, ==, "bytes=1000000-");
}

/* A server that answers 200 to a Range request sends the whole file: the
 * part must start over, never have the whole file appended to it. */
static void
test_range_ignored (Fixture       *f,
                    gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (BendiHubDownload) download = new_download (f);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) requests = NULL;
  g_autofree char *path = NULL;
  HubTestRequest *last;

  write_part (f, 500000);
  hub_test_server_set_range_mode (f->server, HUB_TEST_RANGE_IGNORE);
  path = run_download (download, NULL, &error);
  g_assert_no_error (error);
  assert_file_equals (path, f->content);
  requests = hub_test_server_get_requests (f->server);
  last = g_ptr_array_index (requests, requests->len - 1);
  g_assert_cmpstr (last->range, ==, "bytes=500000-");
  g_assert_cmpuint (last->status, ==, 200);
}

/* A 206 whose Content-Range is not what was asked: start over without Range. */
static void
test_wrong_content_range (Fixture       *f,
                          gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (BendiHubDownload) download = new_download (f);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) requests = NULL;
  g_autofree char *path = NULL;

  write_part (f, 500000);
  hub_test_server_set_range_mode (f->server, HUB_TEST_RANGE_WRONG);
  path = run_download (download, NULL, &error);
  g_assert_no_error (error);
  assert_file_equals (path, f->content);
  requests = hub_test_server_get_requests (f->server);
  g_assert_cmpuint (hub_test_server_count_cdn_requests (f->server), ==, 2);
  g_assert_null (((HubTestRequest *) g_ptr_array_index (requests, requests->len - 1))->range);
}

/* A complete part: with the size known nothing is fetched; with the size
 * unknown the server answers 416 and the part is verified as it is. */
static void
test_complete_part (Fixture       *f,
                    gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (BendiHubFile) file = listed_file (f, REPO, FILE_NAME);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) requests = NULL;
  g_autofree char *path = NULL;
  g_autofree char *final = final_path (f);

  {
    g_autoptr (BendiHubDownload) download = bendi_hub_download_new (f->client, REPO, NULL, file);

    write_part (f, FILE_SIZE);
    path = run_download (download, NULL, &error);
    g_assert_no_error (error);
    assert_file_equals (path, f->content);
    g_assert_cmpuint (hub_test_server_count_cdn_requests (f->server), ==, 0);
  }

  g_unlink (final);
  file->size = 0;
  {
    g_autoptr (BendiHubDownload) download = bendi_hub_download_new (f->client, REPO, NULL, file);

    write_part (f, FILE_SIZE);
    g_clear_pointer (&path, g_free);
    path = run_download (download, NULL, &error);
    g_assert_no_error (error);
    assert_file_equals (path, f->content);
    requests = hub_test_server_get_requests (f->server);
    g_assert_cmpuint (((HubTestRequest *) g_ptr_array_index (requests, requests->len - 1))->status, ==, 416);
  }
}

/* The file changes on the server between two attempts. Resuming with the
 * old listing sends If-Range, gets the new file whole, and fails its
 * checksum: nothing mixed lands in the library. With the new listing the
 * stale part is dropped and the new file downloaded. */
static void
test_file_changed (Fixture       *f,
                   gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (GBytes) changed = hub_test_random_bytes (FILE_SIZE, 99);
  g_autofree char *final = final_path (f);
  g_autofree char *part = part_path (f);

  {
    g_autoptr (BendiHubDownload) download = new_download (f);
    g_autoptr (GPtrArray) requests = NULL;
    HubTestRequest *last;

    /* The first attempt is cut; then the server's file changes. */
    hub_test_server_push_cut (f->server, 700000);
    bendi_hub_download_set_retry_delay (download, 300);
    bendi_hub_download_run_async (download, NULL, NULL, NULL);
    while (hub_test_server_count_cdn_requests (f->server) < 1)
      g_main_context_iteration (NULL, FALSE);
    hub_test_server_replace_content (f->server, REPO, FILE_NAME, changed);
    while (bendi_hub_download_get_state (download) == BENDI_HUB_DOWNLOAD_RUNNING ||
           bendi_hub_download_get_state (download) == BENDI_HUB_DOWNLOAD_VERIFYING)
      g_main_context_iteration (NULL, TRUE);
    g_assert_cmpint (bendi_hub_download_get_state (download), ==, BENDI_HUB_DOWNLOAD_FAILED);
    g_assert_error (bendi_hub_download_get_error (download), BENDI_HUB_ERROR, BENDI_HUB_ERROR_CHECKSUM_MISMATCH);
    requests = hub_test_server_get_requests (f->server);
    last = g_ptr_array_index (requests, requests->len - 1);
    g_assert_cmpstr (last->range, ==, "bytes=700000-");
    g_assert_nonnull (last->if_range);
    g_assert_cmpuint (last->status, ==, 200);
    g_assert_false (g_file_test (final, G_FILE_TEST_EXISTS));
    g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  }

  /* Now the listing says the new sha256: a part begun for the old one is
   * dropped rather than resumed. */
  {
    g_autoptr (BendiHubFile) file = listed_file (f, REPO, FILE_NAME);
    g_autoptr (BendiHubDownload) download = NULL;
    g_autoptr (GPtrArray) requests = NULL;
    g_autoptr (GError) error = NULL;
    g_autofree char *path = NULL;
    g_autofree char *old_sha = hub_test_sha256 (f->content);

    g_free (file->sha256);
    file->sha256 = hub_test_sha256 (changed);
    write_part (f, 100000);
    if (setxattr (part, "user.bendi.sha256", old_sha, strlen (old_sha), 0) != 0)
      {
        g_test_skip ("no user extended attributes here");
        return;
      }
    hub_test_server_clear_requests (f->server);
    download = bendi_hub_download_new (f->client, REPO, NULL, file);
    path = run_download (download, NULL, &error);
    g_assert_no_error (error);
    assert_file_equals (path, changed);
    requests = hub_test_server_get_requests (f->server);
    g_assert_null (((HubTestRequest *) g_ptr_array_index (requests, requests->len - 1))->range);
  }
}


/* One bit flipped, same size: the checksum catches it, nothing is kept. */
static void
test_bit_flip (Fixture       *f,
               gconstpointer  data G_GNUC_UNUSED)
{
  g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (f->content, NULL), FILE_SIZE);
  g_autoptr (GBytes) flipped = NULL;
  g_autoptr (BendiHubDownload) download = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *final = final_path (f);
  g_autofree char *part = part_path (f);

  copy[FILE_SIZE / 2] ^= 0x10;
  flipped = g_bytes_new (copy, FILE_SIZE);
  hub_test_server_replace_content (f->server, REPO, FILE_NAME, flipped);
  download = new_download (f);
  path = run_download (download, NULL, &error);
  g_assert_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_CHECKSUM_MISMATCH);
  g_assert_null (path);
  g_assert_false (g_file_test (final, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
}

static void
test_not_found (Fixture       *f,
                gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GPtrArray) files = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiHubFile) missing = bendi_hub_file_new ("missing.gguf", 10, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  g_autoptr (BendiHubDownload) download = bendi_hub_download_new (f->client, REPO, NULL, missing);
  g_autofree char *path = NULL;

  bendi_hub_client_list_files_async (f->client, "nobody/nothing", NULL, NULL, result_cb, &result);
  files = bendi_hub_client_list_files_finish (f->client, wait_for (&result), &error);
  g_assert_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_NOT_FOUND);
  g_assert_null (files);
  g_assert_nonnull (strstr (error->message, "nobody/nothing"));
  g_clear_error (&error);

  path = run_download (download, NULL, &error);
  g_assert_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_NOT_FOUND);
}

static void
test_gated (Fixture       *f,
            gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;

  hub_test_server_add_file (f->server, "meta/Gated", "g-Q8_0.gguf", f->content, NULL);
  hub_test_server_set_gated (f->server, "meta/Gated", "right-token");
  {
    g_autoptr (BendiHubFile) file = listed_file (f, "meta/Gated", "g-Q8_0.gguf");
    g_autoptr (BendiHubDownload) download = bendi_hub_download_new (f->client, "meta/Gated", NULL, file);

    path = run_download (download, NULL, &error);
    g_assert_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_GATED);
    /* The message says where to accept the license. */
    g_assert_nonnull (strstr (error->message, "/meta/Gated"));
    g_assert_nonnull (strstr (error->message, "license"));
    g_clear_error (&error);

    bendi_hub_config_set_token (f->config, "wrong-token");
    g_clear_object (&download);
    download = bendi_hub_download_new (f->client, "meta/Gated", NULL, file);
    path = run_download (download, NULL, &error);
    g_assert_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_UNAUTHORIZED);
    g_assert_null (strstr (error->message, "wrong-token"));
    g_clear_error (&error);

    bendi_hub_config_set_token (f->config, "right-token");
    g_clear_object (&download);
    download = bendi_hub_download_new (f->client, "meta/Gated", NULL, file);
    path = run_download (download, NULL, &error);
    g_assert_no_error (error);
    assert_file_equals (path, f->content);
  }
  /* The token went to the Hub's host, never to the CDN's. */
  {
    g_autoptr (GPtrArray) requests = hub_test_server_get_requests (f->server);
    guint authorized_resolves = 0;

    for (guint i = 0; i < requests->len; i++)
      {
        HubTestRequest *r = g_ptr_array_index (requests, i);

        if (g_str_has_prefix (r->path, "/cdn/"))
          g_assert_false (r->authorized);
        else if (strstr (r->path, "/resolve/") != NULL && r->authorized)
          authorized_resolves++;
      }
    g_assert_cmpuint (authorized_resolves, ==, 2);
  }
}

/* The disk fills after some bytes: a clear error, the part kept (what was
 * written stays a resumable prefix) and other files in the library intact. */
typedef struct {
  gsize written;
  gsize limit;
} DiskQuota;

static gssize
quota_write (int         fd,
             const void *buffer,
             gsize       n,
             off_t       offset,
             gpointer    user_data)
{
  DiskQuota *quota = user_data;
  gsize room = quota->limit - MIN (quota->limit, quota->written);

  if (room == 0)
    {
      errno = ENOSPC;
      return -1;
    }
  n = MIN (n, room);
  quota->written += n;
  return pwrite (fd, buffer, n, offset);
}

static void
test_disk_full (Fixture       *f,
                gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (GBytes) other = hub_test_random_bytes (200000, 5);
  g_autofree char *other_path = NULL;
  g_autofree char *part = part_path (f);
  g_autoptr (GError) error = NULL;
  DiskQuota quota = { 0, 1500000 };

  /* A verified file already in the library. */
  hub_test_server_add_file (f->server, REPO, "other-Q8_0.gguf", other, NULL);
  {
    g_autoptr (BendiHubFile) file = listed_file (f, REPO, "other-Q8_0.gguf");
    g_autoptr (BendiHubDownload) download = bendi_hub_download_new (f->client, REPO, NULL, file);

    other_path = run_download (download, NULL, &error);
    g_assert_no_error (error);
  }

  {
    g_autoptr (BendiHubDownload) download = new_download (f);
    g_autofree char *path = NULL;
    GStatBuf st;

    bendi_hub_download_set_write_func (download, quota_write, &quota);
    path = run_download (download, NULL, &error);
    g_assert_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_NO_SPACE);
    g_assert_nonnull (strstr (error->message, "disk is full"));
    g_clear_error (&error);
    g_assert_cmpint (g_stat (part, &st), ==, 0);
    g_assert_cmpint (st.st_size, <=, 1500000);
    assert_file_equals (other_path, other);

    /* Room again: it resumes from what was kept. */
    bendi_hub_download_set_write_func (download, NULL, NULL);
    path = run_download (download, NULL, &error);
    g_assert_no_error (error);
    assert_file_equals (path, f->content);
  }

  /* Too little free space is refused before anything is fetched. */
  {
    g_autofree char *final = final_path (f);
    g_autoptr (BendiHubDownload) download = new_download (f);
    g_autofree char *path = NULL;
    guint before;

    g_unlink (final);
    before = hub_test_server_count_cdn_requests (f->server);
    bendi_hub_download_set_free_space (download, 1000);
    path = run_download (download, NULL, &error);
    g_assert_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_NO_SPACE);
    g_assert_nonnull (strstr (error->message, "Not enough disk space"));
    g_assert_cmpuint (hub_test_server_count_cdn_requests (f->server), ==, before);
  }
}

/* Two downloads of one file at once: one waits for the other, then finds
 * the verified file; the file is fetched once. The queue joins them too. */
static void
test_concurrent (Fixture       *f,
                 gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (BendiHubDownload) a = new_download (f);
  g_autoptr (BendiHubDownload) b = new_download (f);
  g_autoptr (GAsyncResult) result_a = NULL;
  g_autoptr (GAsyncResult) result_b = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path_a = NULL;
  g_autofree char *path_b = NULL;

  hub_test_server_set_throttle (f->server, 256 * 1024, 20000);
  bendi_hub_download_run_async (a, NULL, result_cb, &result_a);
  bendi_hub_download_run_async (b, NULL, result_cb, &result_b);
  path_a = bendi_hub_download_run_finish (a, wait_for (&result_a), &error);
  g_assert_no_error (error);
  path_b = bendi_hub_download_run_finish (b, wait_for (&result_b), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (path_a, ==, path_b);
  assert_file_equals (path_a, f->content);
  g_assert_cmpuint (hub_test_server_count_cdn_requests (f->server), ==, 1);

  {
    g_autoptr (BendiHubDownloadQueue) queue = bendi_hub_download_queue_new (f->client);
    g_autoptr (BendiHubFile) file = listed_file (f, REPO, FILE_NAME);
    BendiHubDownload *first = bendi_hub_download_queue_add (queue, REPO, file);
    BendiHubDownload *second = bendi_hub_download_queue_add (queue, REPO, file);

    g_assert_true (first == second);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (queue)), ==, 1);
    while (bendi_hub_download_get_state (first) != BENDI_HUB_DOWNLOAD_COMPLETED)
      g_main_context_iteration (NULL, TRUE);
    while (bendi_hub_download_queue_get_n_running (queue) > 0)
      g_main_context_iteration (NULL, TRUE);
  }
}

/* Names from the API that would escape the library are left out of the
 * listing and refused by downloads; symbolic links are not followed. */
static void
test_unsafe_names (Fixture       *f,
                   gconstpointer  data G_GNUC_UNUSED)
{
  const char *const hostile[] = { "../evil.gguf", "/etc/evil.gguf", "a/../../evil.gguf", "a/./b.gguf",
                                  "a\\..\\evil.gguf", "x.gguf.part", "" };
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GPtrArray) files = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *outside = bendi_test_make_temp_dir ();

  for (guint i = 0; i < G_N_ELEMENTS (hostile); i++)
    hub_test_server_add_listing (f->server, REPO, hostile[i], 10);
  bendi_hub_client_list_files_async (f->client, REPO, NULL, NULL, result_cb, &result);
  files = bendi_hub_client_list_files_finish (f->client, wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (files->len, ==, 1);

  for (guint i = 0; i < G_N_ELEMENTS (hostile); i++)
    {
      g_autoptr (BendiHubFile) file = bendi_hub_file_new (hostile[i], 10, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
      g_autoptr (BendiHubDownload) download = bendi_hub_download_new (f->client, REPO, NULL, file);

      g_free (run_download (download, NULL, &error));
      g_assert_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_UNSAFE_PATH);
      g_clear_error (&error);
    }
  {
    g_autoptr (BendiHubFile) file = bendi_hub_file_new ("x.gguf", 10, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    g_autoptr (BendiHubDownload) download = bendi_hub_download_new (f->client, "../evil", NULL, file);

    g_free (run_download (download, NULL, &error));
    g_assert_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
  }

  /* The repository folder is a link to somewhere else. */
  {
    g_autofree char *owner = g_build_filename (f->dir, "test-org", NULL);
    g_autofree char *link = g_build_filename (owner, "Tiny-GGUF", NULL);
    g_autoptr (BendiHubDownload) download = new_download (f);
    g_autofree char *path = NULL;
    g_autoptr (GDir) dir = NULL;

    g_assert_cmpint (g_mkdir_with_parents (owner, 0755), ==, 0);
    g_assert_cmpint (symlink (outside, link), ==, 0);
    path = run_download (download, NULL, &error);
    g_assert_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_UNSAFE_PATH);
    g_clear_error (&error);
    dir = g_dir_open (outside, 0, NULL);
    g_assert_null (g_dir_read_name (dir));
    g_unlink (link);
  }

  /* The part is a link: it is not written through. */
  {
    g_autofree char *target = g_build_filename (outside, "target", NULL);
    g_autofree char *part = part_path (f);
    g_autoptr (BendiHubDownload) download = new_download (f);
    g_autofree char *path = NULL;
    g_autofree char *repo_dir = g_build_filename (f->dir, REPO, NULL);

    g_assert_cmpint (g_mkdir_with_parents (repo_dir, 0755), ==, 0);
    g_assert_true (g_file_set_contents (target, "keep", -1, NULL));
    g_assert_cmpint (symlink (target, part), ==, 0);
    path = run_download (download, NULL, &error);
    g_assert_error (error, BENDI_HUB_ERROR, BENDI_HUB_ERROR_UNSAFE_PATH);
    g_clear_error (&error);
    {
      g_autofree char *contents = NULL;

      g_assert_true (g_file_get_contents (target, &contents, NULL, NULL));
      g_assert_cmpstr (contents, ==, "keep");
    }
    g_unlink (part);
    g_unlink (target);
  }
  bendi_test_remove_dir (outside);
}

/* Cancelling through the GCancellable, pause and cancel. */
static void
test_cancel (Fixture       *f,
             gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr (BendiHubDownload) download = new_download (f);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *part = part_path (f);
  g_autofree char *final = final_path (f);

  hub_test_server_set_throttle (f->server, 64 * 1024, 20000);
  bendi_hub_download_run_async (download, cancellable, result_cb, &result);
  while (bendi_hub_download_get_downloaded_bytes (download) < 200000)
    g_main_context_iteration (NULL, TRUE);
  g_cancellable_cancel (cancellable);
  path = bendi_hub_download_run_finish (download, wait_for (&result), &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpint (bendi_hub_download_get_state (download), ==, BENDI_HUB_DOWNLOAD_PAUSED);
  g_assert_true (g_file_test (part, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (final, G_FILE_TEST_EXISTS));

  /* Pause from the object, then cancel: the part goes. */
  g_clear_object (&result);
  bendi_hub_download_run_async (download, NULL, result_cb, &result);
  while (bendi_hub_download_get_state (download) != BENDI_HUB_DOWNLOAD_RUNNING)
    g_main_context_iteration (NULL, TRUE);
  bendi_hub_download_pause (download);
  path = bendi_hub_download_run_finish (download, wait_for (&result), &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpint (bendi_hub_download_get_state (download), ==, BENDI_HUB_DOWNLOAD_PAUSED);
  bendi_hub_download_cancel (download);
  g_assert_cmpint (bendi_hub_download_get_state (download), ==, BENDI_HUB_DOWNLOAD_CANCELLED);
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));

  /* Cancel while running deletes the part too. */
  g_clear_object (&result);
  bendi_hub_download_run_async (download, NULL, result_cb, &result);
  while (bendi_hub_download_get_downloaded_bytes (download) < 200000 ||
         bendi_hub_download_get_state (download) != BENDI_HUB_DOWNLOAD_RUNNING)
    g_main_context_iteration (NULL, TRUE);
  bendi_hub_download_cancel (download);
  path = bendi_hub_download_run_finish (download, wait_for (&result), &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (bendi_hub_download_get_state (download), ==, BENDI_HUB_DOWNLOAD_CANCELLED);
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (final, G_FILE_TEST_EXISTS));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add ("/hub/download/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("clean", test_clean);
  ADD ("resume-random-cuts", test_resume_random_cuts);
  ADD ("resume-existing-part", test_resume_existing_part);
  ADD ("range-ignored", test_range_ignored);
  ADD ("wrong-content-range", test_wrong_content_range);
  ADD ("complete-part", test_complete_part);
  ADD ("file-changed", test_file_changed);
  ADD ("bit-flip", test_bit_flip);
  ADD ("not-found", test_not_found);
  ADD ("gated", test_gated);
  ADD ("disk-full", test_disk_full);
  ADD ("concurrent", test_concurrent);
  ADD ("unsafe-names", test_unsafe_names);
  ADD ("cancel", test_cancel);
#undef ADD

  return g_test_run ();
}
