/* SPDX-License-Identifier: MIT */
/* The saved remote connections: the JSON file under a temporary
 * XDG_CONFIG_HOME, and the API keys in the keyring when one runs. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "hub-token.h"
#include "remote-client.h"
#include "remote-connections.h"
#include "test-util.h"

static char *config_home;

static void
count_cb (BendiRemoteConnections *connections G_GNUC_UNUSED,
          gpointer                user_data)
{
  (*(guint *) user_data)++;
}

/* The file, in a folder that exists. */
static char *
file_path (void)
{
  g_autofree char *dir = g_build_filename (config_home, "bendi", NULL);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  return g_build_filename (dir, "connections.json", NULL);
}

static void
test_add_list_reload (void)
{
  g_autoptr (BendiRemoteConnections) store = NULL;
  g_autoptr (BendiRemoteConnections) again = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiRemoteConnection) found = NULL;
  g_autofree char *path = file_path ();
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  BendiRemoteConnection *connection;
  guint n_changed = 0;
  GStatBuf st;

  g_remove (path);
  store = bendi_remote_connections_new (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (bendi_remote_connections_get_path (store), ==, path);
  list = bendi_remote_connections_list (store);
  g_assert_cmpuint (list->len, ==, 0);
  g_clear_pointer (&list, g_ptr_array_unref);
  g_signal_connect (store, "changed", G_CALLBACK (count_cb), &n_changed);

  first = bendi_remote_connections_add (store, "GPU box", "http://gpu-box:8000/", &error);
  g_assert_no_error (error);
  second = bendi_remote_connections_add (store, "", "https://Llama.Example.org/v1", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (first, !=, second);
  g_assert_cmpuint (n_changed, ==, 2);
  g_assert_null (bendi_remote_connections_add (store, "bad", "ftp://gpu-box/", &error));
  g_assert_error (error, BENDI_REMOTE_ERROR, BENDI_REMOTE_ERROR_INVALID_URL);
  g_clear_error (&error);
  g_assert_cmpuint (n_changed, ==, 2);

  /* Only its owner may read the file. */
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  again = bendi_remote_connections_new (NULL, &error);
  g_assert_no_error (error);
  list = bendi_remote_connections_list (again);
  g_assert_cmpuint (list->len, ==, 2);
  connection = g_ptr_array_index (list, 0);
  g_assert_cmpstr (connection->id, ==, first);
  g_assert_cmpstr (connection->name, ==, "GPU box");
  g_assert_cmpstr (connection->base_url, ==, "http://gpu-box:8000/v1");
  connection = g_ptr_array_index (list, 1);
  g_assert_cmpstr (connection->id, ==, second);
  /* No name: the host names it. */
  g_assert_cmpstr (connection->name, ==, "llama.example.org");
  g_assert_cmpstr (connection->base_url, ==, "https://llama.example.org/v1");

  found = bendi_remote_connections_lookup (again, second);
  g_assert_nonnull (found);
  g_assert_cmpstr (found->name, ==, "llama.example.org");
  g_assert_null (bendi_remote_connections_lookup (again, "no-such-id"));
}

static void
test_rename_move_remove (void)
{
  g_autoptr (BendiRemoteConnections) store = NULL;
  g_autoptr (BendiRemoteConnections) again = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = file_path ();
  g_autofree char *id = NULL;
  g_autofree char *other = NULL;
  BendiRemoteConnection *connection;
  guint n_changed = 0;

  g_remove (path);
  store = bendi_remote_connections_new (NULL, &error);
  g_assert_no_error (error);
  id = bendi_remote_connections_add (store, "Box", "http://box:8080", &error);
  g_assert_no_error (error);
  other = bendi_remote_connections_add (store, "Other", "http://other:8080", &error);
  g_assert_no_error (error);
  g_signal_connect (store, "changed", G_CALLBACK (count_cb), &n_changed);

  g_assert_true (bendi_remote_connections_rename (store, id, "Big box", &error));
  g_assert_no_error (error);
  g_assert_true (bendi_remote_connections_set_base_url (store, id, "http://box:9090/v1/", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_changed, ==, 2);
  /* The same again changes nothing. */
  g_assert_true (bendi_remote_connections_rename (store, id, "Big box", &error));
  g_assert_cmpuint (n_changed, ==, 2);

  g_assert_false (bendi_remote_connections_set_base_url (store, id, "box", &error));
  g_assert_error (error, BENDI_REMOTE_ERROR, BENDI_REMOTE_ERROR_INVALID_URL);
  g_clear_error (&error);
  g_assert_false (bendi_remote_connections_rename (store, id, "", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (bendi_remote_connections_remove (store, "no-such-id", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpuint (n_changed, ==, 2);

  g_assert_true (bendi_remote_connections_remove (store, other, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_changed, ==, 3);

  again = bendi_remote_connections_new (NULL, &error);
  g_assert_no_error (error);
  list = bendi_remote_connections_list (again);
  g_assert_cmpuint (list->len, ==, 1);
  connection = g_ptr_array_index (list, 0);
  g_assert_cmpstr (connection->id, ==, id);
  g_assert_cmpstr (connection->name, ==, "Big box");
  g_assert_cmpstr (connection->base_url, ==, "http://box:9090/v1");
}

/* A file that is not a connection list is refused, not overwritten later. */
static void
test_bad_file (void)
{
  static const char *const bad[] = {
    "not json", "[]", "{\"connections\": 3}", "{}",
  };
  g_autofree char *path = file_path ();

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (BendiRemoteConnections) store = NULL;
      g_autofree char *kept = NULL;

      g_assert_true (g_file_set_contents (path, bad[i], -1, NULL));
      store = bendi_remote_connections_new (NULL, &error);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_assert_null (store);
      g_assert_true (g_file_get_contents (path, &kept, NULL, NULL));
      g_assert_cmpstr (kept, ==, bad[i]);
    }
  g_remove (path);
}

/* An entry without an id or with a URL that makes no sense is skipped; the
 * rest load. */
static void
test_bad_entries_skipped (void)
{
  g_autofree char *path = file_path ();
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiRemoteConnections) store = NULL;
  g_autoptr (GPtrArray) list = NULL;

  g_assert_true (g_file_set_contents (path,
                                      "{\"connections\": [{\"id\": \"a\", \"name\": \"A\", \"base_url\": \"http://a\"},"
                                      "{\"name\": \"no id\", \"base_url\": \"http://b\"},"
                                      "{\"id\": \"c\", \"name\": \"C\", \"base_url\": \"gopher://c\"}, 5]}",
                                      -1, NULL));
  g_test_expect_message ("bendi-remote", G_LOG_LEVEL_WARNING, "*skipping connection 1*");
  g_test_expect_message ("bendi-remote", G_LOG_LEVEL_WARNING, "*skipping connection 2*");
  g_test_expect_message ("bendi-remote", G_LOG_LEVEL_WARNING, "*skipping connection 3*");
  store = bendi_remote_connections_new (NULL, &error);
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  list = bendi_remote_connections_list (store);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_cmpstr (((BendiRemoteConnection *) g_ptr_array_index (list, 0))->base_url, ==, "http://a/v1");
  g_remove (path);
}

typedef struct {
  gboolean done;
  gboolean ok;
  char    *key;
  GError  *error;
} KeyOutcome;

static void
store_cb (GObject      *object G_GNUC_UNUSED,
          GAsyncResult *result,
          gpointer      user_data)
{
  KeyOutcome *o = user_data;

  o->ok = bendi_remote_api_key_store_finish (result, &o->error);
  o->done = TRUE;
}

static void
lookup_cb (GObject      *object G_GNUC_UNUSED,
           GAsyncResult *result,
           gpointer      user_data)
{
  KeyOutcome *o = user_data;

  o->key = bendi_remote_api_key_lookup_finish (result, &o->error);
  o->done = TRUE;
}

static void
wait_key (KeyOutcome *o)
{
  while (!o->done)
    g_main_context_iteration (NULL, TRUE);
}

/* The key goes to the keyring and never into the file. A real keyring
 * only when asked for (BENDI_TEST_KEYRING=1), as it may be the user's own
 * and locked, which would put up a prompt; run it in a private one with
 *   dbus-run-session -- sh -c 'echo -n pw | gnome-keyring-daemon --unlock
 *     --components=secrets; BENDI_TEST_KEYRING=1 tests/test-remote-connections' */
static void
test_api_key (void)
{
  g_autofree char *path = file_path ();
  g_autofree char *id = NULL;
  g_autofree char *text = NULL;
  g_autoptr (BendiRemoteConnections) store = NULL;
  g_autoptr (GError) error = NULL;
  KeyOutcome stored = { 0 }, looked_up = { 0 }, cleared = { 0 }, gone = { 0 };
  const char *key = "sk-test-7f3a9c";

  if (bendi_hub_token_keyring_available () && g_strcmp0 (g_getenv ("BENDI_TEST_KEYRING"), "1") != 0)
    {
      g_test_skip ("set BENDI_TEST_KEYRING=1 to store a key in the session's keyring");
      return;
    }
  if (!bendi_hub_token_keyring_available ())
    {
      KeyOutcome none = { 0 };

      /* Without a keyring a lookup finds nothing, and says so without error. */
      bendi_remote_api_key_lookup_async ("some-id", NULL, lookup_cb, &none);
      wait_key (&none);
      g_assert_no_error (none.error);
      g_assert_null (none.key);
      g_test_skip ("no session bus, so no keyring to store in");
      return;
    }

  g_remove (path);
  store = bendi_remote_connections_new (NULL, &error);
  g_assert_no_error (error);
  id = bendi_remote_connections_add (store, "Keyed", "http://keyed:8000", &error);
  g_assert_no_error (error);

  bendi_remote_api_key_store_async (id, key, NULL, store_cb, &stored);
  wait_key (&stored);
  if (stored.error != NULL)
    {
      /* A bus without a Secret Service (a bare CI container) cannot store. */
      g_test_skip (stored.error->message);
      g_clear_error (&stored.error);
      return;
    }
  g_assert_true (stored.ok);
  bendi_remote_api_key_lookup_async (id, NULL, lookup_cb, &looked_up);
  wait_key (&looked_up);
  g_assert_no_error (looked_up.error);
  g_assert_cmpstr (looked_up.key, ==, key);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_null (strstr (text, key));

  bendi_remote_api_key_store_async (id, NULL, NULL, store_cb, &cleared);
  wait_key (&cleared);
  g_assert_no_error (cleared.error);
  bendi_remote_api_key_lookup_async (id, NULL, lookup_cb, &gone);
  wait_key (&gone);
  g_assert_no_error (gone.error);
  g_assert_null (gone.key);
  g_free (looked_up.key);

  /* Removing the connection clears its key, in the background. */
  {
    KeyOutcome again = { 0 };
    gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
    gboolean cleared_on_remove = FALSE;

    bendi_remote_api_key_store_async (id, key, NULL, store_cb, &again);
    wait_key (&again);
    g_assert_no_error (again.error);
    g_assert_true (bendi_remote_connections_remove (store, id, &error));
    g_assert_no_error (error);
    while (!cleared_on_remove && g_get_monotonic_time () < deadline)
      {
        KeyOutcome check = { 0 };

        bendi_remote_api_key_lookup_async (id, NULL, lookup_cb, &check);
        wait_key (&check);
        g_assert_no_error (check.error);
        cleared_on_remove = check.key == NULL;
        g_free (check.key);
      }
    g_assert_true (cleared_on_remove);
  }
}

/* A change that cannot be saved is not made: the list still matches the
 * file, and no one is told of a change. Root writes anywhere, so the save
 * fails by a folder standing where the file goes. */
static void
test_failed_save_keeps_old (void)
{
  g_autoptr (BendiRemoteConnections) store = NULL;
  g_autoptr (BendiRemoteConnection) connection = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "connections.json", NULL);
  g_autofree char *id = NULL;
  guint n_changed = 0;

  store = bendi_remote_connections_new (path, &error);
  g_assert_no_error (error);
  id = bendi_remote_connections_add (store, "Box", "http://box:8080", &error);
  g_assert_no_error (error);
  g_signal_connect (store, "changed", G_CALLBACK (count_cb), &n_changed);
  g_assert_cmpint (g_remove (path), ==, 0);
  g_assert_cmpint (g_mkdir (path, 0700), ==, 0);

  g_assert_false (bendi_remote_connections_rename (store, id, "Big box", &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_false (bendi_remote_connections_set_base_url (store, id, "http://box:9090", &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_cmpuint (n_changed, ==, 0);
  connection = bendi_remote_connections_lookup (store, id);
  g_assert_cmpstr (connection->name, ==, "Box");
  g_assert_cmpstr (connection->base_url, ==, "http://box:8080/v1");

  g_assert_cmpint (g_rmdir (path), ==, 0);
  bendi_test_remove_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  /* Before anything asks GLib for the config dir, which it then keeps. */
  config_home = bendi_test_make_temp_dir ();
  g_setenv ("XDG_CONFIG_HOME", config_home, TRUE);

  g_test_add_func ("/remote/connections/add-list-reload", test_add_list_reload);
  g_test_add_func ("/remote/connections/rename-move-remove", test_rename_move_remove);
  g_test_add_func ("/remote/connections/failed-save-keeps-old", test_failed_save_keeps_old);
  g_test_add_func ("/remote/connections/bad-file", test_bad_file);
  g_test_add_func ("/remote/connections/bad-entries-skipped", test_bad_entries_skipped);
  g_test_add_func ("/remote/connections/api-key", test_api_key);

  status = g_test_run ();
  bendi_test_remove_dir (config_home);
  g_free (config_home);
  return status;
}
