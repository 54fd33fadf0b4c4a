/* SPDX-License-Identifier: MIT */
/* Screenshots of the model pages (welcome, Discover, a model page and its "Why?", Downloads, My Models, a model's details and tokenizer, Hardware, Preferences) in English and Chinese, wide and 360 px narrow, from a local Hub. Written only when BENDI_SCREENSHOT_DIR names a folder:
 *
 *   BENDI_SCREENSHOT_DIR=$PWD/screenshots meson test -C build test-app-screenshots
 */
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

#include "app-state.h"
#include "app-test-util.h"
#include "discover-page.h"
#include "download-row.h"
#include "fit-chart.h"
#include "hub-test-server.h"
#include "hw-bandwidth.h"
#include "model-card.h"
#include "model-details.h"
#include "model-page.h"
#include "models-page.h"
#include "preferences-window.h"
#include "test-util.h"
#include "tokenizer-view.h"
#include "welcome-card.h"
#include "welcome-page.h"

#define REPO "bendi-test/Stories-GGUF"
#define REAL_FILE "stories260K-Q4_K_M.gguf"
#define MISSING_FILE "stories260K-Q8_0.gguf"

static const char *
output_dir (void)
{
  return g_getenv ("BENDI_SCREENSHOT_DIR");
}

static BendiWindow *main_window;

static void
shoot (GtkWidget  *widget,
       const char *name)
{
  g_autofree char *file = g_strdup_printf ("%s-%s.png", name, g_getenv ("BENDI_SCREENSHOT_LANG"));
  g_autofree char *path = g_build_filename (output_dir (), file, NULL);

  /* Text views lay out their lines in idle time, a frame or two late. */
  for (int i = 0; i < 3; i++)
    bendi_app_test_flush (main_window);
  bendi_app_test_screenshot (widget, path);
  g_test_message ("wrote %s", path);
}

static gboolean
has_tooltip (GtkWidget *widget,
             gpointer   user_data)
{
  return g_strcmp0 (gtk_widget_get_tooltip_text (widget), user_data) == 0;
}

static gboolean
row_is_file (GtkWidget *widget,
             gpointer   user_data)
{
  return g_strcmp0 (g_object_get_data (G_OBJECT (widget), "bendi-file"), user_data) == 0;
}

static gboolean
has_class (GtkWidget *widget,
           gpointer   user_data)
{
  return gtk_widget_has_css_class (widget, user_data);
}

static gboolean
badge_settled (GtkWidget  *page,
               const char *title)
{
  GtkWidget *row = bendi_app_test_find (page, ADW_TYPE_ACTION_ROW, bendi_app_test_row_has_title, (gpointer) title);
  GtkWidget *badge = row != NULL ? bendi_app_test_find (row, GTK_TYPE_LABEL, has_class, (gpointer) "fit-badge")
                                 : NULL;

  return badge != NULL && !gtk_widget_has_css_class (badge, "fit-neutral") &&
         *gtk_label_get_text (GTK_LABEL (badge)) != '\0';
}

static gboolean
all_downloads_settled (GtkWidget *page)
{
  g_autoptr (GPtrArray) rows = bendi_app_test_find_all (page, BENDI_TYPE_DOWNLOAD_ROW, NULL, NULL);

  for (guint i = 0; i < rows->len; i++)
    {
      BendiHubDownloadState state =
        bendi_hub_download_get_state (bendi_download_row_get_download (g_ptr_array_index (rows, i)));

      if (state != BENDI_HUB_DOWNLOAD_COMPLETED && state != BENDI_HUB_DOWNLOAD_FAILED)
        return FALSE;
    }
  return rows->len == 2;
}

static GtkWindow *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (g_type_is_a (G_OBJECT_TYPE (window), type) && gtk_widget_get_mapped (GTK_WIDGET (window)))
        return window;
    }
  return NULL;
}

static void
check_screenshots (BendiApplication *app G_GNUC_UNUSED,
                   BendiWindow      *window,
                   gpointer          user_data G_GNUC_UNUSED)
{
  GtkWidget *root = GTK_WIDGET (window);
  GtkWidget *page;
  GtkWidget *model_page;
  GtkWidget *row;
  GtkWidget *why;
  GtkWidget *details;
  GtkWidget *view;
  GtkWidget *popover;
  GtkWindow *preferences;
  g_autofree char *path = NULL;

  main_window = window;
  /* Pages shown at once, not halfway through a slide. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 720);

  page = bendi_app_test_find (root, BENDI_TYPE_WELCOME_PAGE, NULL, NULL);
  g_assert_nonnull (page);
  BENDI_APP_TEST_WAIT_UNTIL (bendi_app_test_find (page, BENDI_TYPE_WELCOME_CARD, NULL, NULL) != NULL, 30);
  shoot (root, "welcome");

  page = GTK_WIDGET (bendi_window_show_page (window, "discover"));
  BENDI_APP_TEST_WAIT_UNTIL (bendi_app_test_find (page, BENDI_TYPE_MODEL_CARD, NULL, NULL) != NULL, 30);
  shoot (root, "discover");

  bendi_discover_page_show_model (BENDI_DISCOVER_PAGE (page), REPO);
  model_page = bendi_app_test_find (page, BENDI_TYPE_MODEL_PAGE, NULL, NULL);
  BENDI_APP_TEST_WAIT_UNTIL ((row = bendi_app_test_find (model_page, ADW_TYPE_ACTION_ROW, row_is_file,
                                                          (gpointer) REAL_FILE)) != NULL, 30);
  shoot (root, "model");
  why = bendi_app_test_find (row, GTK_TYPE_MENU_BUTTON, NULL, NULL);
  popover = GTK_WIDGET (gtk_menu_button_get_popover (GTK_MENU_BUTTON (why)));
  gtk_menu_button_popup (GTK_MENU_BUTTON (why));
  BENDI_APP_TEST_WAIT_UNTIL (gtk_widget_get_mapped (popover), 10);
  shoot (popover, "model-why");
  gtk_menu_button_popdown (GTK_MENU_BUTTON (why));

  /* One download that lands, one whose file the Hub has lost: an error. */
  g_signal_emit_by_name (bendi_app_test_find (row, GTK_TYPE_BUTTON, has_tooltip, (gpointer) _("Download")),
                         "clicked");
  row = bendi_app_test_find (model_page, ADW_TYPE_ACTION_ROW, row_is_file, (gpointer) MISSING_FILE);
  g_signal_emit_by_name (bendi_app_test_find (row, GTK_TYPE_BUTTON, has_tooltip, (gpointer) _("Download")),
                         "clicked");
  page = GTK_WIDGET (bendi_window_show_page (window, "downloads"));
  BENDI_APP_TEST_WAIT_UNTIL (all_downloads_settled (page), 30);
  shoot (root, "downloads");

  page = GTK_WIDGET (bendi_window_show_page (window, "models"));
  BENDI_APP_TEST_WAIT_UNTIL (badge_settled (page, REAL_FILE) && badge_settled (page, "broken.gguf"), 30);
  shoot (root, "models");
  path = g_build_filename (g_getenv ("BENDI_MODELS_DIR"), REPO, REAL_FILE, NULL);
  g_assert_true (bendi_models_page_show_details (BENDI_MODELS_PAGE (page), path));
  details = bendi_app_test_find (page, BENDI_TYPE_MODEL_DETAILS, NULL, NULL);
  BENDI_APP_TEST_WAIT_UNTIL (bendi_app_test_find (details, GTK_TYPE_STACK, NULL, NULL) != NULL, 10);
  bendi_app_test_flush (window);
  shoot (root, "details");
  bendi_model_details_set_visible_page (BENDI_MODEL_DETAILS (details), "metadata");
  shoot (root, "details-metadata");
  bendi_model_details_set_visible_page (BENDI_MODEL_DETAILS (details), "tokenizer");
  view = bendi_app_test_find (details, BENDI_TYPE_TOKENIZER_VIEW, NULL, NULL);
  BENDI_APP_TEST_WAIT_UNTIL (bendi_tokenizer_view_get_n_tokens (BENDI_TOKENIZER_VIEW (view)) >= 0, 20);
  bendi_tokenizer_view_set_text (BENDI_TOKENIZER_VIEW (view), "Once upon a time, 本地 ran a tiny model.");
  BENDI_APP_TEST_WAIT_UNTIL (bendi_tokenizer_view_get_n_tokens (BENDI_TOKENIZER_VIEW (view)) > 10, 20);
  shoot (root, "tokenizer");

  page = GTK_WIDGET (bendi_window_show_page (window, "hardware"));
  BENDI_APP_TEST_WAIT_UNTIL (bendi_app_state_get_hardware (bendi_app_state_get_default ()) != NULL, 30);
  shoot (root, "hardware");
  shoot (bendi_app_test_find (page, BENDI_TYPE_FIT_CHART, NULL, NULL), "hardware-chart");

  g_assert_true (gtk_widget_activate_action (root, "win.preferences", NULL));
  BENDI_APP_TEST_WAIT_UNTIL ((preferences = find_toplevel (BENDI_TYPE_PREFERENCES_WINDOW)) != NULL, 10);
  shoot (GTK_WIDGET (preferences), "preferences");
  gtk_window_destroy (preferences);

  /* A phone-sized window: one pane at a time. */
  gtk_window_set_default_size (GTK_WINDOW (window), 360, 720);
  BENDI_APP_TEST_WAIT_UNTIL (gtk_widget_get_width (root) <= 400, 10);
  bendi_window_show_page (window, "hardware");
  shoot (root, "hardware-narrow");
  page = GTK_WIDGET (bendi_window_show_page (window, "discover"));
  g_assert_true (gtk_widget_activate_action (page, "discover.back", NULL));
  shoot (root, "discover-narrow");
  bendi_discover_page_show_model (BENDI_DISCOVER_PAGE (page), REPO);
  BENDI_APP_TEST_WAIT_UNTIL (bendi_app_test_find (model_page, ADW_TYPE_ACTION_ROW, row_is_file,
                                                  (gpointer) REAL_FILE) != NULL, 30);
  shoot (root, "model-narrow");
  bendi_window_show_page (window, "downloads");
  shoot (root, "downloads-narrow");
  bendi_window_show_page (window, "welcome");
  shoot (root, "welcome-narrow");
}

/* A Hub with one real file and one it lists but has lost; a damaged file
 * in LM Studio's folder; the memory speed measured into the cache. */
static HubTestServer *
start_hub (void)
{
  HubTestServer *server = hub_test_server_new ();
  g_autofree char *path = bendi_test_data_path ("models/stories260K.gguf");
  g_autofree char *contents = NULL;
  g_autofree char *lm_studio = NULL;
  g_autofree char *broken = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  BendiHwInfo *info;
  gsize length = 0;

  g_assert_nonnull (path);
  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  bytes = g_bytes_new_take (g_steal_pointer (&contents), length);
  hub_test_server_add_file (server, REPO, REAL_FILE, bytes, NULL);
  hub_test_server_add_listing (server, REPO, MISSING_FILE, 2 * length);
  hub_test_server_add_listing (server, REPO, "stories260K-F16.gguf", G_GUINT64_CONSTANT (1) << 50);

  lm_studio = g_build_filename (bendi_app_test_get_home (), ".lmstudio", "models", "someone", "Broken-GGUF", NULL);
  g_assert_cmpint (g_mkdir_with_parents (lm_studio, 0700), ==, 0);
  broken = g_build_filename (lm_studio, "broken.gguf", NULL);
  g_file_set_contents (broken, "GGUF\3\0\0\0 this is not a model", -1, &error);
  g_assert_no_error (error);
  g_setenv ("HOME", bendi_app_test_get_home (), TRUE);
  g_setenv ("HF_ENDPOINT", hub_test_server_get_endpoint (server), TRUE);
  g_unsetenv ("HF_TOKEN");
  g_unsetenv ("OLLAMA_MODELS");

  info = bendi_hw_info_probe (NULL);
  bendi_hw_bandwidth_measure (info, BENDI_HW_MEASURE_CPU, NULL, &error);
  g_assert_no_error (error);
  bendi_hw_info_free (info);
  return server;
}

static void
test_screenshots (const char *locale,
                  const char *lang)
{
  g_autofree char *models = NULL;

  if (g_test_subprocess ())
    {
      bendi_app_test_set_first_run (TRUE);
      bendi_app_test_run (check_screenshots, NULL);
      return;
    }
  if (output_dir () == NULL)
    {
      g_test_skip ("set BENDI_SCREENSHOT_DIR to a folder to write screenshots to");
      return;
    }
  if (!bendi_app_test_have_display ())
    return;
  /* Each language downloads afresh. */
  models = g_strdup_printf ("%s/models-%s", bendi_app_test_get_home (), lang);
  g_setenv ("BENDI_MODELS_DIR", models, TRUE);
  g_setenv ("BENDI_SCREENSHOT_LANG", lang, TRUE);
  bendi_app_test_trap_in_locale (locale);
}

static void
test_en (void)
{
  test_screenshots ("en_US.UTF-8", "en");
}

static void
test_zh (void)
{
  test_screenshots ("zh_CN.UTF-8", "zh_CN");
}

int
main (int   argc,
      char *argv[])
{
  HubTestServer *server = NULL;
  int status;

  bendi_app_test_init (&argc, &argv);
  if (!g_test_subprocess () && output_dir () != NULL && g_getenv ("DISPLAY") != NULL)
    server = start_hub ();

  g_test_add_func ("/app/screenshots/en", test_en);
  g_test_add_func ("/app/screenshots/zh_CN", test_zh);

  status = bendi_app_test_run_tests ();
  g_clear_pointer (&server, hub_test_server_free);
  return status;
}
