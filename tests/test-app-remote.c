/* SPDX-License-Identifier: MIT */
/* Remote endpoints in the real window under Xvfb: a connection added in Preferences and tested, its models in My Models and the chat's model list (an unreachable one said so), a streamed remote chat, and a 429 shown in the chat with a Retry that answers. With BENDI_SCREENSHOT_DIR set it also writes connections-en.png, models-remote-en.png and chat-remote-en.png there:
 *   BENDI_SCREENSHOT_DIR=$PWD/screenshots meson test -C build test-app-remote */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "app-test-util.h"
#include "chat-page-private.h"
#include "connections-page.h"
#include "message-row.h"
#include "models-page.h"
#include "preferences-window.h"
#include "remote-test-server.h"
#include "test-util.h"

#define TIMEOUT 30

typedef struct
{
  RemoteTestServer *server;
  char             *dead_url;   /* where nobody listens */
} Fixture;

static gboolean
label_starts_with (GtkWidget *widget,
                   gpointer   user_data)
{
  return gtk_widget_get_visible (widget) && g_str_has_prefix (gtk_label_get_label (GTK_LABEL (widget)), user_data);
}

static gboolean
is_preferences (GtkWidget *widget,
                gpointer   user_data G_GNUC_UNUSED)
{
  return BENDI_IS_PREFERENCES_WINDOW (widget);
}

static GtkWidget *
find_toplevel (BendiAppTestMatch match)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWidget) window = g_list_model_get_item (toplevels, i);

      if (match (window, NULL) && gtk_widget_get_visible (window))
        return window;
    }
  return NULL;
}

static const BendiRemoteEndpoint *
find_endpoint (const char *name)
{
  GPtrArray *endpoints = bendi_remote_models_get_endpoints (bendi_app_state_get_remote_models (bendi_app_state_get_default ()));

  for (guint i = 0; i < endpoints->len; i++)
    {
      const BendiRemoteEndpoint *endpoint = g_ptr_array_index (endpoints, i);

      if (g_strcmp0 (endpoint->connection->name, name) == 0)
        return endpoint;
    }
  return NULL;
}

static gboolean
is_message_dialog (GtkWidget *widget,
                   gpointer   user_data G_GNUC_UNUSED)
{
  return ADW_IS_MESSAGE_DIALOG (widget);
}

/* Adds a connection through the dialog, as a person would: name, address,
 * Test (which must list the models, or say why not), Add. */
static void
add_connection (GtkWidget  *preferences,
                const char *name,
                const char *url,
                const char *expect_test)
{
  GtkWidget *page = bendi_app_test_find (preferences, BENDI_TYPE_CONNECTIONS_PAGE, NULL, NULL);
  GtkWidget *add;
  GtkWidget *dialog;
  GtkWidget *test;
  GtkWidget *label;
  g_autoptr (GPtrArray) entries = NULL;

  g_assert_nonnull (page);
  add = adw_preferences_group_get_header_suffix (ADW_PREFERENCES_GROUP (bendi_app_test_find (page, ADW_TYPE_PREFERENCES_GROUP, NULL, NULL)));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (add), ==, "Add a Connection");
  g_signal_emit_by_name (add, "clicked");
  BENDI_APP_TEST_WAIT_UNTIL ((dialog = find_toplevel (is_message_dialog)) != NULL, 10);
  entries = bendi_app_test_find_all (dialog, ADW_TYPE_ENTRY_ROW, NULL, NULL);
  g_assert_cmpuint (entries->len, ==, 3);
  gtk_editable_set_text (GTK_EDITABLE (g_ptr_array_index (entries, 0)), name);
  g_assert_false (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog), "save"));
  gtk_editable_set_text (GTK_EDITABLE (g_ptr_array_index (entries, 1)), url);
  g_assert_true (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog), "save"));

  test = bendi_app_test_find (dialog, GTK_TYPE_BUTTON, bendi_app_test_button_has_label, (gpointer) "_Test Connection");
  g_assert_nonnull (test);
  g_signal_emit_by_name (test, "clicked");
  BENDI_APP_TEST_WAIT_UNTIL ((label = bendi_app_test_find (dialog, GTK_TYPE_LABEL, label_starts_with,
                                                           (gpointer) expect_test)) != NULL, TIMEOUT);
  /* The dialog's own button, which answers and closes. */
  add = bendi_app_test_find (dialog, GTK_TYPE_BUTTON, bendi_app_test_button_has_label, (gpointer) "_Add");
  g_assert_nonnull (add);
  g_signal_emit_by_name (add, "clicked");
  BENDI_APP_TEST_WAIT_UNTIL (find_toplevel (is_message_dialog) == NULL, 10);
  BENDI_APP_TEST_WAIT_UNTIL (find_endpoint (name) != NULL, 10);
}

/* Writes @widget as @name in BENDI_SCREENSHOT_DIR, when it is set. */
static void
screenshot (BendiWindow *window,
            GtkWidget   *widget,
            const char  *name)
{
  const char *dir = g_getenv ("BENDI_SCREENSHOT_DIR");
  g_autofree char *path = NULL;

  if (dir == NULL || *dir == '\0')
    return;
  bendi_app_test_flush (window);
  path = g_build_filename (dir, name, NULL);
  bendi_app_test_screenshot (widget, path);
}

static void
check_remote (BendiApplication *app G_GNUC_UNUSED,
              BendiWindow      *window,
              gpointer          user_data)
{
  Fixture *fixture = user_data;
  const BendiRemoteEndpoint *endpoint;
  GtkWidget *preferences;
  BendiPage *models;
  BendiChatPage *chat;
  GtkWidget *row;
  GtkWidget *retry;
  BendiChatMessage *failed;
  BendiChatMessage *reply;
  g_autofree char *path = NULL;
  g_autofree char *saved_path = NULL;
  g_autofree char *saved = NULL;

  /* Preferences → Connections: a working server and a dead one. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.preferences", NULL));
  BENDI_APP_TEST_WAIT_UNTIL ((preferences = find_toplevel (is_preferences)) != NULL, 10);
  add_connection (preferences, "Test server", remote_test_server_get_url (fixture->server),
                  "The server answers, with 2 models: test-model, small-model");
  BENDI_APP_TEST_WAIT_UNTIL (find_endpoint ("Test server")->state == BENDI_REMOTE_ENDPOINT_LISTED, TIMEOUT);
  add_connection (preferences, "Dead", fixture->dead_url, "The test failed: ");
  BENDI_APP_TEST_WAIT_UNTIL (find_endpoint ("Dead")->state == BENDI_REMOTE_ENDPOINT_FAILED, TIMEOUT);
  adw_preferences_window_set_visible_page (ADW_PREFERENCES_WINDOW (preferences),
                                           ADW_PREFERENCES_PAGE (bendi_app_test_find (preferences,
                                                                                      BENDI_TYPE_CONNECTIONS_PAGE,
                                                                                      NULL, NULL)));
  screenshot (window, preferences, "connections-en.png");
  gtk_window_destroy (GTK_WINDOW (preferences));

  /* My Models lists the remote models, marked as remote; the dead one is
   * a row that says so, not a dialog. */
  models = bendi_window_show_page (window, "models");
  BENDI_APP_TEST_WAIT_UNTIL (find_endpoint ("Dead")->state == BENDI_REMOTE_ENDPOINT_FAILED, TIMEOUT);
  BENDI_APP_TEST_WAIT_UNTIL ((row = bendi_app_test_find (GTK_WIDGET (models), ADW_TYPE_ACTION_ROW,
                                                         bendi_app_test_row_has_title, (gpointer) "test-model")) != NULL,
                             10);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==, "on Test server · 8,192 tokens of context");
  g_assert_nonnull (bendi_app_test_find (GTK_WIDGET (models), ADW_TYPE_ACTION_ROW, bendi_app_test_row_has_title,
                                         (gpointer) "Dead is unreachable"));
  g_assert_null (find_toplevel (is_message_dialog));
  screenshot (window, GTK_WIDGET (window), "models-remote-en.png");

  /* The chat's model list has them too. */
  chat = BENDI_CHAT_PAGE (bendi_window_show_page (window, "chat"));
  bendi_chat_page_fill_remote_list (chat);
  g_assert_true (gtk_widget_get_visible (chat->remote_box));
  row = bendi_app_test_find (GTK_WIDGET (chat->remote_list), ADW_TYPE_ACTION_ROW, bendi_app_test_row_has_title,
                             (gpointer) "small-model");
  g_assert_nonnull (row);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==, "on Test server");
  g_assert_nonnull (bendi_app_test_find (GTK_WIDGET (chat->remote_list), ADW_TYPE_ACTION_ROW,
                                         bendi_app_test_row_has_title, (gpointer) "Dead is unreachable"));

  /* Chat with test-model: it streams into the same view. */
  endpoint = find_endpoint ("Test server");
  path = bendi_remote_model_path_new (endpoint->connection->id, "test-model");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (chat), "chat.load-model", "s", path));
  BENDI_APP_TEST_WAIT_UNTIL (bendi_chat_runner_get_state (chat->runner) == BENDI_CHAT_RUNNER_READY, 10);
  g_assert_true (bendi_chat_runner_is_remote (chat->runner));
  g_assert_nonnull (bendi_app_test_find_label (GTK_WIDGET (chat), "test-model on Test server"));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (chat->context_meter)));
  bendi_chat_composer_set_text (chat->composer, "Hi");
  g_signal_emit_by_name (chat->composer, "send", "Hi");
  BENDI_APP_TEST_WAIT_UNTIL (bendi_app_test_reply_finished (chat), TIMEOUT);
  reply = bendi_conversation_get_last (chat->conversation);
  g_assert_cmpint (bendi_chat_message_get_status (reply), ==, BENDI_MESSAGE_DONE);
  g_assert_cmpstr (bendi_chat_message_get_content (reply), ==, "Hello, world!");

  /* 429: said in the chat with when to try again, and a Retry. */
  remote_test_server_set_reply (fixture->server, REMOTE_TEST_REPLY_RATE_LIMITED);
  g_signal_emit_by_name (chat->composer, "send", "Again");
  BENDI_APP_TEST_WAIT_UNTIL (bendi_app_test_reply_finished (chat), TIMEOUT);
  failed = bendi_conversation_get_last (chat->conversation);
  g_assert_cmpint (bendi_chat_message_get_status (failed), ==, BENDI_MESSAGE_ERROR);
  g_assert_nonnull (strstr (bendi_chat_message_get_error (failed), "7 seconds"));
  bendi_app_test_flush (window);
  retry = bendi_app_test_find (GTK_WIDGET (bendi_app_test_last_message_row (chat)), GTK_TYPE_BUTTON,
                               bendi_app_test_button_has_label, (gpointer) "_Retry");
  g_assert_nonnull (retry);
  g_assert_true (gtk_widget_get_visible (retry));
  remote_test_server_set_reply (fixture->server, REMOTE_TEST_REPLY_NORMAL);
  g_assert_true (gtk_widget_activate (retry));
  BENDI_APP_TEST_WAIT_UNTIL (bendi_app_test_reply_finished (chat) && bendi_conversation_get_last (chat->conversation) != failed,
                             TIMEOUT);
  reply = bendi_conversation_get_last (chat->conversation);
  g_assert_cmpstr (bendi_chat_message_get_content (reply), ==, "Hello, world!");
  g_assert_cmpuint (bendi_conversation_get_n_alternatives (chat->conversation, reply), ==, 2);
  /* The composer is back to sending, not stopping. */
  g_assert_false (bendi_chat_composer_get_busy (chat->composer));

  /* The failed alternative, with its words and Retry, for the picture. */
  bendi_conversation_select_alternative (chat->conversation, reply,
                                         bendi_conversation_get_alternative_index (chat->conversation, failed));
  {
    /* Past the composer's crossfade from Stop back to Send. */
    GtkWidget *stack = bendi_app_test_find (GTK_WIDGET (chat->composer), GTK_TYPE_STACK, NULL, NULL);

    BENDI_APP_TEST_WAIT_UNTIL (stack == NULL || !gtk_stack_get_transition_running (GTK_STACK (stack)), 10);
  }
  screenshot (window, GTK_WIDGET (window), "chat-remote-en.png");
  bendi_conversation_select_alternative (chat->conversation, reply,
                                         bendi_conversation_get_alternative_index (chat->conversation, reply));

  /* A model the server did not list: no context length to show, so no
   * meter rather than a guess; the server's 404 is said in the chat. */
  {
    g_autofree char *unlisted = bendi_remote_model_path_new (endpoint->connection->id, "unlisted-model");

    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (chat), "chat.load-model", "s", unlisted));
    g_assert_true (bendi_chat_runner_is_remote (chat->runner));
    g_assert_false (gtk_widget_get_visible (GTK_WIDGET (chat->context_meter)));
    g_signal_emit_by_name (chat->composer, "send", "Anyone there?");
    BENDI_APP_TEST_WAIT_UNTIL (bendi_app_test_reply_finished (chat), TIMEOUT);
    failed = bendi_conversation_get_last (chat->conversation);
    g_assert_cmpint (bendi_chat_message_get_status (failed), ==, BENDI_MESSAGE_ERROR);
    g_assert_nonnull (strstr (bendi_chat_message_get_error (failed), "unlisted-model"));
    g_assert_false (gtk_widget_get_visible (GTK_WIDGET (chat->context_meter)));
  }

  /* Saved: the user's messages, the failure and the retried reply. */
  bendi_conversation_store_flush (chat->store);
  saved_path = g_strdup_printf ("%s/%s.json", bendi_conversation_store_get_dir (chat->store),
                                bendi_conversation_get_id (chat->conversation));
  g_assert_true (g_file_get_contents (saved_path, &saved, NULL, NULL));
  g_assert_nonnull (strstr (saved, "\"Again\""));
  g_assert_nonnull (strstr (saved, "7 seconds"));
  g_assert_nonnull (strstr (saved, "\"error\""));
  g_assert_nonnull (strstr (saved, "\"Anyone there?\""));
  g_assert_nonnull (strstr (saved, endpoint->connection->id));
}

static void
test_remote (void)
{
  Fixture fixture = { NULL, NULL };

  if (!g_test_subprocess ())
    {
      if (bendi_app_test_have_display ())
        bendi_app_test_trap_in_locale ("en_US.UTF-8");
      return;
    }
  fixture.server = remote_test_server_new ();
  /* A port that was listening a moment ago and is not any more. */
  {
    RemoteTestServer *dead = remote_test_server_new ();

    fixture.dead_url = g_strdup (remote_test_server_get_url (dead));
    remote_test_server_free (dead);
  }
  bendi_app_test_run (check_remote, &fixture);
  remote_test_server_free (fixture.server);
  g_free (fixture.dead_url);
}

int
main (int   argc,
      char *argv[])
{
  bendi_app_test_init (&argc, &argv);

  g_test_add_func ("/app/remote/connection-models-and-chat", test_remote);

  return bendi_app_test_run_tests ();
}
