/* SPDX-License-Identifier: MIT */
/* The main window under Xvfb: it opens in English and in Chinese, its menu and shortcuts work, it folds when narrow. */
#include <locale.h>

#include <glib/gi18n.h>

#include "app-test-util.h"
#include "page.h"

/* Runs the test path in a child process with @locale, so that GTK starts
 * in that language; skipped when the system lacks the locale. */
static gboolean
run_in_locale (const char *locale)
{
  if (setlocale (LC_ALL, locale) == NULL)
    {
      g_autofree char *message = g_strdup_printf ("the %s locale is not installed (locale-gen it)", locale);

      g_test_skip (message);
      return FALSE;
    }
  setlocale (LC_ALL, "C");
  g_setenv ("LC_ALL", locale, TRUE);
  g_setenv ("LANGUAGE", "", TRUE);
  g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC,
                          G_TEST_SUBPROCESS_INHERIT_STDOUT | G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_unsetenv ("LC_ALL");
  g_test_trap_assert_passed ();
  return TRUE;
}

typedef struct
{
  const char *title;
  const char *chat;
} Expected;

static void
check_window (BendiApplication *app,
              BendiWindow      *window,
              gpointer          user_data)
{
  const Expected *expected = user_data;
  g_auto (GStrv) accels = NULL;

  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, expected->title);
  g_assert_cmpstr (g_get_application_name (), ==, expected->title);
  /* The sidebar names the pages in the same language. */
  g_assert_nonnull (bendi_app_test_find_label (GTK_WIDGET (window), expected->chat));
  g_assert_cmpstr (bendi_window_get_page_id (window), ==, "chat");

  accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "app.quit");
  g_assert_nonnull (accels);
  g_assert_cmpstr (accels[0], ==, "<Control>q");
}

static void
test_window_en (void)
{
  if (g_test_subprocess ())
    {
      Expected expected = { "Bendi", "Chat" };

      bendi_app_test_run (check_window, &expected);
      return;
    }
  if (bendi_app_test_have_display ())
    run_in_locale ("en_US.UTF-8");
}

static void
test_window_zh (void)
{
  if (g_test_subprocess ())
    {
      Expected expected = { "本地", "聊天" };

      bendi_app_test_run (check_window, &expected);
      return;
    }
  if (bendi_app_test_have_display ())
    run_in_locale ("zh_CN.UTF-8");
}

static GtkWindow *
find_toplevel (GType type)
{
  /* Owned by GTK, as is each window in it. */
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (g_type_is_a (G_OBJECT_TYPE (window), type))
        return window;
    }
  return NULL;
}

static gboolean
toplevel_shown (gpointer user_data)
{
  GtkWindow *window = find_toplevel ((GType) GPOINTER_TO_SIZE (user_data));

  return window != NULL && gtk_widget_get_mapped (GTK_WIDGET (window));
}

static void
check_about_and_shortcuts (BendiApplication *app,
                           BendiWindow      *window,
                           gpointer          user_data G_GNUC_UNUSED)
{
  GtkWindow *about;
  GtkWindow *shortcuts;

  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
  bendi_app_test_wait (toplevel_shown, GSIZE_TO_POINTER (ADW_TYPE_ABOUT_WINDOW), 10, "the About window");
  about = find_toplevel (ADW_TYPE_ABOUT_WINDOW);
  g_assert_cmpstr (adw_about_window_get_application_name (ADW_ABOUT_WINDOW (about)), ==, "Bendi");
  g_assert_true (gtk_window_get_transient_for (about) == GTK_WINDOW (window));
  gtk_window_destroy (about);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-help-overlay", NULL));
  bendi_app_test_wait (toplevel_shown, GSIZE_TO_POINTER (GTK_TYPE_SHORTCUTS_WINDOW), 10, "the shortcuts window");
  shortcuts = find_toplevel (GTK_TYPE_SHORTCUTS_WINDOW);
  gtk_window_close (shortcuts);
}

static void
test_about_and_shortcuts (void)
{
  if (g_test_subprocess ())
    {
      bendi_app_test_run (check_about_and_shortcuts, NULL);
      return;
    }
  if (bendi_app_test_have_display ())
    run_in_locale ("en_US.UTF-8");
}

static gboolean
window_folded (gpointer user_data)
{
  BendiWindow *window = user_data;
  AdwLeaflet *leaflet = ADW_LEAFLET (bendi_app_test_find (GTK_WIDGET (window), ADW_TYPE_LEAFLET, NULL, NULL));

  return adw_leaflet_get_folded (leaflet);
}

static void
check_narrow (BendiApplication *app G_GNUC_UNUSED,
              BendiWindow      *window,
              gpointer          user_data G_GNUC_UNUSED)
{
  AdwLeaflet *leaflet = ADW_LEAFLET (bendi_app_test_find (GTK_WIDGET (window), ADW_TYPE_LEAFLET, NULL, NULL));
  BendiPage *chat = bendi_window_get_page (window, "chat");
  GtkWidget *stack = gtk_widget_get_parent (GTK_WIDGET (chat));

  g_assert_false (adw_leaflet_get_folded (leaflet));
  g_assert_false (bendi_page_get_folded (chat));

  /* A phone-sized window shows one pane: the page, with a back button to
   * the page list. */
  gtk_window_set_default_size (GTK_WINDOW (window), 360, 640);
  bendi_app_test_wait (window_folded, window, 10, "the window to fold");
  g_assert_true (bendi_page_get_folded (chat));
  g_assert_true (adw_leaflet_get_visible_child (leaflet) == stack);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.navigate-back", NULL));
  BENDI_APP_TEST_WAIT_UNTIL (adw_leaflet_get_visible_child (leaflet) != stack, 10);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-page", "s", "chat"));
  BENDI_APP_TEST_WAIT_UNTIL (adw_leaflet_get_visible_child (leaflet) == stack, 10);
}

static void
test_narrow (void)
{
  if (g_test_subprocess ())
    {
      bendi_app_test_run (check_narrow, NULL);
      return;
    }
  if (bendi_app_test_have_display ())
    run_in_locale ("en_US.UTF-8");
}

int
main (int   argc,
      char *argv[])
{
  bendi_app_test_init (&argc, &argv);

  g_test_add_func ("/app/window/en_US", test_window_en);
  g_test_add_func ("/app/window/zh_CN", test_window_zh);
  g_test_add_func ("/app/window/about-and-shortcuts", test_about_and_shortcuts);
  g_test_add_func ("/app/window/narrow", test_narrow);

  return bendi_app_test_run_tests ();
}
