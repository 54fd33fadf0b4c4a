/* SPDX-License-Identifier: MIT */
/* The remote models of the connections as they change: only a new server or a new address is asked for its models again; a rename, another connection or a removal leaves the others' lists alone. */
#include <locale.h>

#include "remote-models.h"
#include "remote-test-server.h"
#include "test-util.h"

/* Runs the main loop until no endpoint is still listing. */
static void
wait_settled (BendiRemoteModels *models)
{
  for (gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;;)
    {
      GPtrArray *endpoints = bendi_remote_models_get_endpoints (models);
      gboolean listing = FALSE;

      for (guint i = 0; i < endpoints->len; i++)
        listing |= ((BendiRemoteEndpoint *) g_ptr_array_index (endpoints, i))->state ==
                   BENDI_REMOTE_ENDPOINT_LISTING;
      if (!listing)
        return;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

static const BendiRemoteEndpoint *
endpoint_at (BendiRemoteModels *models,
             guint              i)
{
  GPtrArray *endpoints = bendi_remote_models_get_endpoints (models);

  g_assert_cmpuint (i, <, endpoints->len);
  return g_ptr_array_index (endpoints, i);
}

static void
assert_listed (BendiRemoteModels *models,
               guint              i,
               const char        *name)
{
  const BendiRemoteEndpoint *endpoint = endpoint_at (models, i);

  g_assert_cmpint (endpoint->state, ==, BENDI_REMOTE_ENDPOINT_LISTED);
  g_assert_cmpuint (endpoint->models->len, >, 0);
  g_assert_cmpstr (endpoint->connection->name, ==, name);
}

static void
test_relist_what_changed (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "connections.json", NULL);
  RemoteTestServer *one = remote_test_server_new ();
  RemoteTestServer *two = remote_test_server_new ();
  g_autoptr (BendiRemoteConnections) connections = NULL;
  g_autoptr (BendiRemoteModels) models = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *id_one = NULL;
  g_autofree char *id_two = NULL;

  connections = bendi_remote_connections_new (path, &error);
  g_assert_no_error (error);
  id_one = bendi_remote_connections_add (connections, "one", remote_test_server_get_url (one), &error);
  g_assert_no_error (error);
  models = bendi_remote_models_new (connections);
  wait_settled (models);
  assert_listed (models, 0, "one");
  g_assert_cmpuint (remote_test_server_count_listings (one), ==, 1);

  /* Another connection: only it is listed. */
  id_two = bendi_remote_connections_add (connections, "two", remote_test_server_get_url (two), &error);
  g_assert_no_error (error);
  wait_settled (models);
  assert_listed (models, 1, "two");
  g_assert_cmpuint (remote_test_server_count_listings (one), ==, 1);
  g_assert_cmpuint (remote_test_server_count_listings (two), ==, 1);

  /* A rename renames, keeping the list. */
  g_assert_true (bendi_remote_connections_rename (connections, id_one, "uno", &error));
  g_assert_no_error (error);
  wait_settled (models);
  assert_listed (models, 0, "uno");
  g_assert_cmpuint (remote_test_server_count_listings (one), ==, 1);

  /* A new address is a new server; a new API key asks again. */
  g_assert_true (bendi_remote_connections_set_base_url (connections, id_one, remote_test_server_get_url (two),
                                                        &error));
  g_assert_no_error (error);
  wait_settled (models);
  assert_listed (models, 0, "uno");
  g_assert_cmpuint (remote_test_server_count_listings (two), ==, 2);
  bendi_remote_models_set_api_key (models, id_two, "");
  wait_settled (models);
  assert_listed (models, 1, "two");
  g_assert_cmpuint (remote_test_server_count_listings (two), ==, 3);

  /* Refresh asks every server; a removal leaves the others alone. */
  bendi_remote_models_refresh (models);
  wait_settled (models);
  g_assert_cmpuint (remote_test_server_count_listings (two), ==, 5);
  g_assert_true (bendi_remote_connections_remove (connections, id_two, &error));
  g_assert_no_error (error);
  wait_settled (models);
  g_assert_cmpuint (bendi_remote_models_get_endpoints (models)->len, ==, 1);
  assert_listed (models, 0, "uno");
  g_assert_cmpuint (remote_test_server_count_listings (two), ==, 5);
  g_assert_cmpuint (remote_test_server_count_listings (one), ==, 1);

  g_clear_object (&models);
  g_clear_object (&connections);
  remote_test_server_free (one);
  remote_test_server_free (two);
  bendi_test_remove_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("LANGUAGE", "C", TRUE);
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/app/remote-models/relist-what-changed", test_relist_what_changed);
  return g_test_run ();
}
