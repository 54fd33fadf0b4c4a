/* SPDX-License-Identifier: MIT */
/* Downloads under Xvfb, from a local Hub: a model page's Download button queues the file, the queue shows progress and pauses and resumes it, and the model lands in My Models, where its details split text into its tokens; a damaged file found on disk is said to be damaged. */
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

#include "app-test-util.h"
#include "discover-page.h"
#include "download-row.h"
#include "gguf/gguf.h"
#include "hub-test-server.h"
#include "model-details.h"
#include "model-page.h"
#include "models-page.h"
#include "tokenizer-view.h"
#include "tokenizer/tokenizer.h"
#include "test-util.h"

#define REPO "bendi-test/Stories-GGUF"
#define REAL_FILE "stories260K-Q4_K_M.gguf"

#define RETRIED_FILE "stories260K-Q5_K_M.gguf"
#define CANCELLED_FILE "stories260K-Q6_K.gguf"

typedef struct
{
  GBytes        *content;
  HubTestServer *server;
} Fixture;

static gboolean
row_is_file (GtkWidget *widget,
             gpointer   user_data)
{
  return g_strcmp0 (g_object_get_data (G_OBJECT (widget), "bendi-file"), user_data) == 0;
}

static gboolean
has_tooltip (GtkWidget *widget,
             gpointer   user_data)
{
  return g_strcmp0 (gtk_widget_get_tooltip_text (widget), user_data) == 0 && gtk_widget_get_visible (widget);
}

static gboolean
has_class (GtkWidget *widget,
           gpointer   user_data)
{
  return gtk_widget_has_css_class (widget, user_data);
}

static const char *
badge_text (GtkWidget *row)
{
  GtkWidget *badge = bendi_app_test_find (row, GTK_TYPE_LABEL, has_class, (gpointer) "fit-badge");

  return badge != NULL ? gtk_label_get_text (GTK_LABEL (badge)) : NULL;
}

static void
click (GtkWidget  *root,
       const char *tooltip)
{
  GtkWidget *button = bendi_app_test_find (root, GTK_TYPE_BUTTON, has_tooltip, (gpointer) tooltip);

  g_assert_nonnull (button);
  g_assert_true (gtk_widget_is_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
}

static gboolean
badge_settled (GtkWidget *page,
               const char *title)
{
  GtkWidget *row = bendi_app_test_find (page, ADW_TYPE_ACTION_ROW, bendi_app_test_row_has_title, (gpointer) title);
  const char *text = row != NULL ? badge_text (row) : NULL;

  return text != NULL && *text != '\0' && g_strcmp0 (text, "Checking…") != 0;
}

static gboolean
stack_shows (GtkWidget *widget,
             gpointer   user_data)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (GTK_STACK (widget)), user_data) == 0;
}

static void
check_tokens (GtkWidget  *view,
              const char *path,
              const char *text)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiGguf) gguf = bendi_gguf_open (path, BENDI_GGUF_OPEN_DEFAULT, &error);
  g_autoptr (BendiTokenizer) tokenizer = NULL;
  g_autoptr (GArray) expected = NULL;
  g_autofree char *count = NULL;
  const BendiToken *shown;
  gsize n_shown = 0;
  glong n_chars;

  g_assert_no_error (error);
  tokenizer = bendi_tokenizer_new_from_gguf (gguf, &error);
  g_assert_no_error (error);
  expected = bendi_tokenizer_encode (tokenizer, text, strlen (text), BENDI_TOKENIZE_PARSE_SPECIAL, &error);
  g_assert_no_error (error);

  bendi_tokenizer_view_set_text (BENDI_TOKENIZER_VIEW (view), text);
  BENDI_APP_TEST_WAIT_UNTIL (bendi_tokenizer_view_get_n_tokens (BENDI_TOKENIZER_VIEW (view)) == (int) expected->len,
                             10);
  shown = bendi_tokenizer_view_get_tokens (BENDI_TOKENIZER_VIEW (view), &n_shown);
  g_assert_cmpmem (shown, n_shown * sizeof (BendiToken), expected->data, expected->len * sizeof (BendiToken));
  n_chars = g_utf8_strlen (text, -1);
  count = g_strdup_printf ("%u token%s · %ld character%s", expected->len, expected->len == 1 ? "" : "s",
                           n_chars, n_chars == 1 ? "" : "s");
  g_assert_nonnull (bendi_app_test_find_label (view, count));
}

static gboolean
row_is_download_of (GtkWidget *widget,
                    gpointer   user_data)
{
  return g_strcmp0 (bendi_hub_download_get_file (bendi_download_row_get_download (BENDI_DOWNLOAD_ROW (widget)))->path,
                    user_data) == 0;
}

static gboolean
has_partial_file (const char *dir,
                  const char *prefix)
{
  g_autoptr (GDir) listing = g_dir_open (dir, 0, NULL);
  const char *name;

  while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
    if (g_str_has_prefix (name, prefix))
      return TRUE;
  return FALSE;
}

/* A download that arrives damaged fails, says so and offers a retry, which
 * succeeds once the Hub serves the right bytes; a cancelled one leaves no
 * partial file behind. */
static void
check_retry_and_cancel (BendiWindow *window,
                        Fixture     *fixture,
                        GtkWidget   *model_page)
{
  g_autofree char *dir = g_build_filename (g_getenv ("BENDI_MODELS_DIR"), REPO, NULL);
  BendiPage *downloads;
  GtkWidget *row;
  BendiHubDownload *download;
  GtkWidget *status;

  bendi_window_show_page (window, "discover");
  click (bendi_app_test_find (model_page, ADW_TYPE_ACTION_ROW, row_is_file, (gpointer) RETRIED_FILE), "Download");
  downloads = bendi_window_show_page (window, "downloads");
  BENDI_APP_TEST_WAIT_UNTIL ((row = bendi_app_test_find (GTK_WIDGET (downloads), BENDI_TYPE_DOWNLOAD_ROW,
                                                          row_is_download_of, (gpointer) RETRIED_FILE)) != NULL, 10);
  download = bendi_download_row_get_download (BENDI_DOWNLOAD_ROW (row));
  BENDI_APP_TEST_WAIT_UNTIL (bendi_hub_download_get_state (download) == BENDI_HUB_DOWNLOAD_FAILED, 30);
  /* Said in red, in words, with a Retry button. */
  status = bendi_app_test_find (row, GTK_TYPE_LABEL, has_class, (gpointer) "error");
  g_assert_nonnull (status);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (status)), !=, "");
  hub_test_server_replace_content (fixture->server, REPO, RETRIED_FILE, fixture->content);
  click (row, "Retry");
  BENDI_APP_TEST_WAIT_UNTIL (bendi_hub_download_get_state (download) == BENDI_HUB_DOWNLOAD_COMPLETED, 30);

  bendi_window_show_page (window, "discover");
  click (bendi_app_test_find (model_page, ADW_TYPE_ACTION_ROW, row_is_file, (gpointer) CANCELLED_FILE), "Download");
  downloads = bendi_window_show_page (window, "downloads");
  BENDI_APP_TEST_WAIT_UNTIL ((row = bendi_app_test_find (GTK_WIDGET (downloads), BENDI_TYPE_DOWNLOAD_ROW,
                                                          row_is_download_of, (gpointer) CANCELLED_FILE)) != NULL, 10);
  download = bendi_download_row_get_download (BENDI_DOWNLOAD_ROW (row));
  BENDI_APP_TEST_WAIT_UNTIL (bendi_hub_download_get_downloaded_bytes (download) > 0, 20);
  BENDI_APP_TEST_WAIT_UNTIL (has_partial_file (dir, CANCELLED_FILE), 10);
  click (row, "Cancel and Delete the Partial File");
  BENDI_APP_TEST_WAIT_UNTIL (bendi_hub_download_get_state (download) == BENDI_HUB_DOWNLOAD_CANCELLED, 10);
  BENDI_APP_TEST_WAIT_UNTIL (!has_partial_file (dir, CANCELLED_FILE), 10);
  g_assert_true (has_partial_file (dir, RETRIED_FILE));
}

static gboolean
is_unlabelled_icon_button (GtkWidget *widget,
                           gpointer   user_data G_GNUC_UNUSED)
{
  const char *icon = NULL;

  /* GTK's and libadwaita's own (window buttons, spin buttons) are theirs. */
  if (gtk_widget_get_ancestor (widget, GTK_TYPE_WINDOW_CONTROLS) != NULL ||
      gtk_widget_get_ancestor (widget, GTK_TYPE_SPIN_BUTTON) != NULL ||
      (gtk_widget_get_ancestor (widget, GTK_TYPE_MENU_BUTTON) != NULL && !GTK_IS_MENU_BUTTON (widget)))
    return FALSE;
  if (GTK_IS_MENU_BUTTON (widget))
    icon = gtk_menu_button_get_icon_name (GTK_MENU_BUTTON (widget));
  else if (GTK_IS_BUTTON (widget) && gtk_button_get_label (GTK_BUTTON (widget)) == NULL)
    icon = gtk_button_get_icon_name (GTK_BUTTON (widget));
  return icon != NULL && gtk_widget_get_tooltip_text (widget) == NULL;
}

/* Every icon-only button of the model pages says what it does. */
static void
check_tooltips (BendiWindow *window)
{
  const char *pages[] = { "discover", "models", "downloads", "hardware", "welcome" };

  for (gsize i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      GtkWidget *page = GTK_WIDGET (bendi_window_show_page (window, pages[i]));
      g_autoptr (GPtrArray) bare = bendi_app_test_find_all (page, GTK_TYPE_WIDGET, is_unlabelled_icon_button, NULL);

      for (guint j = 0; j < bare->len; j++)
        g_test_message ("%s: a %s with the icon %s has no tooltip", pages[i],
                        G_OBJECT_TYPE_NAME (g_ptr_array_index (bare, j)),
                        GTK_IS_MENU_BUTTON (g_ptr_array_index (bare, j))
                          ? gtk_menu_button_get_icon_name (g_ptr_array_index (bare, j))
                          : gtk_button_get_icon_name (g_ptr_array_index (bare, j)));
      g_assert_cmpuint (bare->len, ==, 0);
    }
}

static void
check_download (BendiApplication *app G_GNUC_UNUSED,
                BendiWindow      *window,
                gpointer          user_data)
{
  Fixture *fixture = user_data;
  BendiPage *discover = bendi_window_show_page (window, "discover");
  BendiPage *downloads;
  BendiPage *models;
  GtkWidget *model_page;
  GtkWidget *file_row;
  GtkWidget *row;
  GtkWidget *details;
  GtkWidget *view;
  BendiHubDownload *download;
  g_autofree char *downloaded = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *size = g_format_size (g_bytes_get_size (fixture->content));
  g_autofree char *status = g_strdup_printf ("Downloaded · %s", size);
  gsize length = 0;
  const char *path;

  /* From the model page's row, as a person would. */
  bendi_discover_page_show_model (BENDI_DISCOVER_PAGE (discover), REPO);
  model_page = bendi_app_test_find (GTK_WIDGET (discover), BENDI_TYPE_MODEL_PAGE, NULL, NULL);
  BENDI_APP_TEST_WAIT_UNTIL (bendi_app_test_find (model_page, ADW_TYPE_ACTION_ROW, row_is_file,
                                                  (gpointer) REAL_FILE) != NULL, 30);
  file_row = bendi_app_test_find (model_page, ADW_TYPE_ACTION_ROW, row_is_file, (gpointer) REAL_FILE);
  click (file_row, "Download");

  /* The queue shows it running, with progress; it pauses and resumes. */
  downloads = bendi_window_show_page (window, "downloads");
  BENDI_APP_TEST_WAIT_UNTIL ((row = bendi_app_test_find (GTK_WIDGET (downloads), BENDI_TYPE_DOWNLOAD_ROW,
                                                          NULL, NULL)) != NULL, 10);
  download = bendi_download_row_get_download (BENDI_DOWNLOAD_ROW (row));
  BENDI_APP_TEST_WAIT_UNTIL (bendi_hub_download_get_downloaded_bytes (download) > 0, 20);
  g_assert_cmpint (bendi_hub_download_get_state (download), ==, BENDI_HUB_DOWNLOAD_RUNNING);
  BENDI_APP_TEST_WAIT_UNTIL (gtk_progress_bar_get_fraction (GTK_PROGRESS_BAR (bendi_app_test_find (row, GTK_TYPE_PROGRESS_BAR, NULL, NULL))) > 0.0, 10);
  click (row, "Pause");
  BENDI_APP_TEST_WAIT_UNTIL (bendi_hub_download_get_state (download) == BENDI_HUB_DOWNLOAD_PAUSED, 10);
  BENDI_APP_TEST_WAIT_UNTIL (bendi_app_test_find (row, GTK_TYPE_BUTTON, has_tooltip, (gpointer) "Resume") != NULL, 10);
  g_assert_cmpuint (bendi_hub_download_get_downloaded_bytes (download), <, g_bytes_get_size (fixture->content));
  click (row, "Resume");
  BENDI_APP_TEST_WAIT_UNTIL (bendi_hub_download_get_state (download) == BENDI_HUB_DOWNLOAD_COMPLETED, 30);
  BENDI_APP_TEST_WAIT_UNTIL (bendi_app_test_find_label (row, status) != NULL, 10);

  /* The file is the Hub's, byte for byte. */
  path = bendi_hub_download_get_destination (download);
  downloaded = g_strdup (path);
  g_assert_true (g_file_get_contents (downloaded, &contents, &length, NULL));
  g_assert_cmpmem (contents, length, g_bytes_get_data (fixture->content, NULL), g_bytes_get_size (fixture->content));

  /* My Models lists it with a verdict; the damaged LM Studio file found on
   * disk is listed too, as damaged. */
  models = bendi_window_show_page (window, "models");
  BENDI_APP_TEST_WAIT_UNTIL (badge_settled (GTK_WIDGET (models), REAL_FILE), 30);
  BENDI_APP_TEST_WAIT_UNTIL (badge_settled (GTK_WIDGET (models), "broken.gguf"), 30);
  g_assert_cmpstr (badge_text (bendi_app_test_find (GTK_WIDGET (models), ADW_TYPE_ACTION_ROW,
                                                    bendi_app_test_row_has_title, (gpointer) "broken.gguf")),
                   ==, "Damaged");
  g_assert_cmpstr (badge_text (bendi_app_test_find (GTK_WIDGET (models), ADW_TYPE_ACTION_ROW,
                                                    bendi_app_test_row_has_title, (gpointer) REAL_FILE)),
                   !=, "Damaged");

  /* The damaged file's details say what is wrong, in words, instead. */
  {
    g_autofree char *broken = g_build_filename (g_get_home_dir (), ".lmstudio", "models", "someone", "Broken-GGUF",
                                                "broken.gguf", NULL);
    GtkWidget *error_stack;
    GtkWidget *error_status;

    g_assert_true (bendi_models_page_show_details (BENDI_MODELS_PAGE (models), broken));
    details = bendi_app_test_find (GTK_WIDGET (models), BENDI_TYPE_MODEL_DETAILS, NULL, NULL);
    BENDI_APP_TEST_WAIT_UNTIL ((error_stack = bendi_app_test_find (details, GTK_TYPE_STACK, stack_shows,
                                                                   (gpointer) "error")) != NULL, 20);
    error_status = bendi_app_test_find (error_stack, ADW_TYPE_STATUS_PAGE, NULL, NULL);
    g_assert_nonnull (error_status);
    /* cmpstr != "" would pass a NULL: the page must say something */
    g_assert_cmpuint (strlen (adw_status_page_get_title (ADW_STATUS_PAGE (error_status)) ?: ""), >, 0);
    g_assert_cmpuint (strlen (adw_status_page_get_description (ADW_STATUS_PAGE (error_status)) ?: ""), >, 0);
  }

  /* Its details split text as the model does: a Chinese character, unknown
   * to this 512-token vocabulary, costs its three UTF-8 bytes. */
  g_assert_true (bendi_models_page_show_details (BENDI_MODELS_PAGE (models), downloaded));
  details = bendi_app_test_find (GTK_WIDGET (models), BENDI_TYPE_MODEL_DETAILS, NULL, NULL);
  g_assert_nonnull (details);
  bendi_model_details_set_visible_page (BENDI_MODEL_DETAILS (details), "tokenizer");
  view = bendi_app_test_find (details, BENDI_TYPE_TOKENIZER_VIEW, NULL, NULL);
  g_assert_nonnull (view);
  BENDI_APP_TEST_WAIT_UNTIL (bendi_tokenizer_view_get_n_tokens (BENDI_TOKENIZER_VIEW (view)) >= 0, 20);
  check_tokens (view, downloaded, "Once upon a time, there was a cat.");
  check_tokens (view, downloaded, "中");
  g_assert_cmpint (bendi_tokenizer_view_get_n_tokens (BENDI_TOKENIZER_VIEW (view)), >=, 3);

  check_retry_and_cancel (window, fixture, model_page);
  check_tooltips (window);
}

static void
test_download (void)
{
  Fixture fixture = { NULL, NULL };
  g_autofree char *path = bendi_test_data_path ("models/stories260K.gguf");
  g_autofree char *contents = NULL;
  g_autofree char *models = NULL;
  g_autofree char *lm_studio = NULL;
  g_autofree char *broken = NULL;
  g_autoptr (GBytes) damaged = NULL;
  g_autoptr (GError) error = NULL;
  gsize length = 0;

  if (!g_test_subprocess ())
    {
      if (bendi_app_test_have_display () && path != NULL)
        bendi_app_test_trap_in_locale ("en_US.UTF-8");
      return;
    }

  /* The Hub runs in this process, so the test can change what it serves. */
  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  fixture.content = g_bytes_new_take (g_steal_pointer (&contents), length);
  damaged = hub_test_random_bytes (length, 7);
  fixture.server = hub_test_server_new ();
  hub_test_server_add_file (fixture.server, REPO, REAL_FILE, fixture.content, NULL);
  hub_test_server_add_file (fixture.server, REPO, RETRIED_FILE, fixture.content, NULL);
  hub_test_server_replace_content (fixture.server, REPO, RETRIED_FILE, damaged);
  hub_test_server_add_file (fixture.server, REPO, CANCELLED_FILE, fixture.content, NULL);
  /* Slow enough (about 3 s a file) to be caught running and paused. */
  hub_test_server_set_throttle (fixture.server, 8192, 20000);

  /* Home is the test's own, so LM Studio's folder is this one. */
  models = g_build_filename (bendi_app_test_get_home (), "models", NULL);
  lm_studio = g_build_filename (bendi_app_test_get_home (), ".lmstudio", "models", "someone", "Broken-GGUF", NULL);
  g_assert_cmpint (g_mkdir_with_parents (lm_studio, 0700), ==, 0);
  broken = g_build_filename (lm_studio, "broken.gguf", NULL);
  g_file_set_contents (broken, "GGUF\3\0\0\0 this is not a model", -1, &error);
  g_assert_no_error (error);
  g_setenv ("HOME", bendi_app_test_get_home (), TRUE);
  g_setenv ("HF_ENDPOINT", hub_test_server_get_endpoint (fixture.server), TRUE);
  g_setenv ("BENDI_MODELS_DIR", models, TRUE);
  g_unsetenv ("HF_TOKEN");
  g_unsetenv ("OLLAMA_MODELS");

  bendi_app_test_run (check_download, &fixture);
  hub_test_server_free (fixture.server);
  g_bytes_unref (fixture.content);
}

/* ------------------------------------------------------------------------ */
/* The notification when a download finishes: a private session bus on
 * which this test owns org.gtk.Notifications, the service GApplication
 * sends GNotifications to when its name is owned. */

static const char notifications_xml[] =
  "<node>"
  "  <interface name='org.gtk.Notifications'>"
  "    <method name='AddNotification'>"
  "      <arg type='s' name='app_id' direction='in'/>"
  "      <arg type='s' name='id' direction='in'/>"
  "      <arg type='a{sv}' name='notification' direction='in'/>"
  "    </method>"
  "    <method name='RemoveNotification'>"
  "      <arg type='s' name='app_id' direction='in'/>"
  "      <arg type='s' name='id' direction='in'/>"
  "    </method>"
  "  </interface>"
  "</node>";

typedef struct
{
  Fixture    fixture;
  GPtrArray *titles;   /* of what AddNotification brought, in order */
  GPtrArray *bodies;
  GPtrArray *app_ids;
} NotifyFixture;

static void
notifications_method_cb (GDBusConnection       *connection G_GNUC_UNUSED,
                         const char            *sender G_GNUC_UNUSED,
                         const char            *object_path G_GNUC_UNUSED,
                         const char            *interface_name G_GNUC_UNUSED,
                         const char            *method_name,
                         GVariant              *parameters,
                         GDBusMethodInvocation *invocation,
                         gpointer               user_data)
{
  NotifyFixture *fixture = user_data;

  if (g_strcmp0 (method_name, "AddNotification") == 0)
    {
      g_autoptr (GVariant) notification = NULL;
      const char *app_id = NULL;
      const char *id = NULL;
      const char *title = NULL;
      const char *body = NULL;

      g_variant_get (parameters, "(&s&s@a{sv})", &app_id, &id, &notification);
      g_variant_lookup (notification, "title", "&s", &title);
      g_variant_lookup (notification, "body", "&s", &body);
      g_ptr_array_add (fixture->app_ids, g_strdup (app_id));
      g_ptr_array_add (fixture->titles, g_strdup (title));
      g_ptr_array_add (fixture->bodies, g_strdup (body));
    }
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static const GDBusInterfaceVTable notifications_vtable = { notifications_method_cb, NULL, NULL, { NULL } };

/* Owns org.gtk.Notifications on the bus at @address, with a connection
 * of its own (the app's is the process's shared session bus). */
static GDBusConnection *
own_notifications (const char    *address,
                   NotifyFixture *fixture)
{
  g_autoptr (GDBusNodeInfo) node = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;
  GDBusConnection *connection;
  guint result = 0;

  connection = g_dbus_connection_new_for_address_sync (address,
                                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                         G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                       NULL, NULL, &error);
  g_assert_no_error (error);
  node = g_dbus_node_info_new_for_xml (notifications_xml, &error);
  g_assert_no_error (error);
  g_dbus_connection_register_object (connection, "/org/gtk/Notifications", node->interfaces[0],
                                     &notifications_vtable, fixture, NULL, &error);
  g_assert_no_error (error);
  reply = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "RequestName",
                                       g_variant_new ("(su)", "org.gtk.Notifications", 0x4 /* DO_NOT_QUEUE */),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(u)", &result);
  g_assert_cmpuint (result, ==, 1 /* PRIMARY_OWNER */);
  return connection;
}

static void
check_notification (BendiApplication *app,
                    BendiWindow      *window,
                    gpointer          user_data)
{
  NotifyFixture *fixture = user_data;
  BendiPage *discover = bendi_window_show_page (window, "discover");
  BendiPage *downloads;
  GtkWidget *model_page;
  GtkWidget *file_row;
  GtkWidget *row;
  GtkWidget *elsewhere;
  BendiHubDownload *download;

  /* The app is on the private bus; a notification goes to the test's
   * service only while the window is not the active one (else a toast
   * says it): the user has gone elsewhere meanwhile. */
  g_assert_nonnull (g_application_get_dbus_connection (G_APPLICATION (app)));
  bendi_discover_page_show_model (BENDI_DISCOVER_PAGE (discover), REPO);
  model_page = bendi_app_test_find (GTK_WIDGET (discover), BENDI_TYPE_MODEL_PAGE, NULL, NULL);
  /* The row first shows while its verdict is worked out; its Download
   * button comes with the verdict. */
  BENDI_APP_TEST_WAIT_UNTIL ((file_row = bendi_app_test_find (model_page, ADW_TYPE_ACTION_ROW, row_is_file,
                                                              (gpointer) REAL_FILE)) != NULL &&
                             bendi_app_test_find (file_row, GTK_TYPE_BUTTON, has_tooltip, (gpointer) "Download") != NULL,
                             30);
  click (file_row, "Download");
  downloads = bendi_window_show_page (window, "downloads");
  BENDI_APP_TEST_WAIT_UNTIL ((row = bendi_app_test_find (GTK_WIDGET (downloads), BENDI_TYPE_DOWNLOAD_ROW,
                                                          NULL, NULL)) != NULL, 10);
  download = bendi_download_row_get_download (BENDI_DOWNLOAD_ROW (row));

  /* The user goes to another window (not the app's) while it downloads. */
  elsewhere = gtk_window_new ();
  gtk_window_present (GTK_WINDOW (elsewhere));
  BENDI_APP_TEST_WAIT_UNTIL (!gtk_window_is_active (GTK_WINDOW (window)), 10);
  BENDI_APP_TEST_WAIT_UNTIL (bendi_hub_download_get_state (download) == BENDI_HUB_DOWNLOAD_COMPLETED, 30);
  BENDI_APP_TEST_WAIT_UNTIL (fixture->titles->len > 0, 10);
  gtk_window_destroy (GTK_WINDOW (elsewhere));

  g_assert_cmpuint (fixture->titles->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (fixture->app_ids, 0), ==, BENDI_APP_ID);
  g_assert_cmpstr (g_ptr_array_index (fixture->titles, 0), ==, "Download finished");
  g_assert_cmpstr (g_ptr_array_index (fixture->bodies, 0), ==, REAL_FILE " is ready to chat with.");
}

static void
test_notification (void)
{
  NotifyFixture fixture = { { NULL, NULL }, NULL, NULL, NULL };
  g_autofree char *path = bendi_test_data_path ("models/stories260K.gguf");
  g_autofree char *daemon = g_find_program_in_path ("dbus-daemon");
  g_autofree char *models = NULL;
  g_autofree char *display = NULL;
  g_autofree char *contents = NULL;
  GTestDBus *bus = NULL;
  g_autoptr (GDBusConnection) service = NULL;
  g_autoptr (GError) error = NULL;
  gsize length = 0;

  if (!g_test_subprocess ())
    {
      if (daemon == NULL)
        g_test_skip ("dbus-daemon is not installed (Debian: dbus-daemon)");
      else if (bendi_app_test_have_display () && path != NULL)
        bendi_app_test_trap_in_locale ("en_US.UTF-8");
      return;
    }

  /* GTestDBus unsets DISPLAY with the session bus variables: the app
   * still needs the test's X server. */
  display = g_strdup (g_getenv ("DISPLAY"));
  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bus);
  g_setenv ("DISPLAY", display, TRUE);
  fixture.titles = g_ptr_array_new_with_free_func (g_free);
  fixture.bodies = g_ptr_array_new_with_free_func (g_free);
  fixture.app_ids = g_ptr_array_new_with_free_func (g_free);
  service = own_notifications (g_test_dbus_get_bus_address (bus), &fixture);

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  fixture.fixture.content = g_bytes_new_take (g_steal_pointer (&contents), length);
  fixture.fixture.server = hub_test_server_new ();
  hub_test_server_add_file (fixture.fixture.server, REPO, REAL_FILE, fixture.fixture.content, NULL);
  /* A folder of its own: /app/downloads/to-library, run before in the
   * same home, leaves the file downloaded in "models". */
  models = g_build_filename (bendi_app_test_get_home (), "models-notification", NULL);
  g_setenv ("HOME", bendi_app_test_get_home (), TRUE);
  g_setenv ("HF_ENDPOINT", hub_test_server_get_endpoint (fixture.fixture.server), TRUE);
  g_setenv ("BENDI_MODELS_DIR", models, TRUE);
  g_unsetenv ("HF_TOKEN");
  g_unsetenv ("OLLAMA_MODELS");

  bendi_app_test_run (check_notification, &fixture);

  hub_test_server_free (fixture.fixture.server);
  g_bytes_unref (fixture.fixture.content);
  g_ptr_array_unref (fixture.titles);
  g_ptr_array_unref (fixture.bodies);
  g_ptr_array_unref (fixture.app_ids);
  g_dbus_connection_close_sync (service, NULL, NULL);
  /* Neither g_test_dbus_down () nor the last unref (which calls it): they
   * wait for the process's shared session connection to go, and GTK keeps
   * it to the end of this short-lived test process. */
  g_test_dbus_stop (bus);
}

int
main (int   argc,
      char *argv[])
{
  bendi_app_test_init (&argc, &argv);

  g_test_add_func ("/app/downloads/to-library", test_download);
  g_test_add_func ("/app/downloads/notification", test_notification);

  return bendi_app_test_run_tests ();
}
