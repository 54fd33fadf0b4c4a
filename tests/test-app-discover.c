/* SPDX-License-Identifier: MIT */
/* Discover under Xvfb: the catalogue is listed and filtered, a model page ranks a repository's files for this computer with a verdict each, live as the context changes, and an unreachable hub is said so. */
#include <glib/gi18n.h>
#include <string.h>

#include "app-test-util.h"
#include "discover-page.h"
#include "fit-badge.h"
#include "hub-catalogue.h"
#include "hub-test-server.h"
#include "model-card.h"
#include "model-page.h"
#include "test-util.h"

#define REPO "bendi-test/Stories-GGUF"
#define REAL_FILE "stories260K-Q4_K_M.gguf"
#define HUGE_FILE "stories260K-F16.gguf"

static gboolean
card_is_shown (GtkWidget *widget,
               gpointer   user_data G_GNUC_UNUSED)
{
  return bendi_model_card_get_entry (BENDI_MODEL_CARD (widget)) != NULL && gtk_widget_get_child_visible (widget);
}

static gboolean
is_hub_card (GtkWidget *widget,
             gpointer   user_data)
{
  return bendi_model_card_get_hub_model (BENDI_MODEL_CARD (widget)) != NULL &&
         g_strcmp0 (bendi_model_card_get_repo_id (BENDI_MODEL_CARD (widget)), user_data) == 0 &&
         gtk_widget_get_child_visible (widget);
}

static guint
count_catalogue_cards (GtkWidget *page)
{
  g_autoptr (GPtrArray) cards = bendi_app_test_find_all (page, BENDI_TYPE_MODEL_CARD, card_is_shown, NULL);

  return cards->len;
}

static void
check_catalogue (BendiApplication *app G_GNUC_UNUSED,
                 BendiWindow      *window,
                 gpointer          user_data)
{
  gboolean chinese = GPOINTER_TO_INT (user_data);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) catalogue = bendi_hub_catalogue_load (NULL, &error);
  const BendiHubCatalogueEntry *first;
  GtkWidget *page;
  GtkWidget *entry;

  g_assert_no_error (error);
  g_assert_cmpuint (catalogue->len, >, 3);
  first = g_ptr_array_index (catalogue, 0);

  page = GTK_WIDGET (bendi_window_show_page (window, "discover"));
  g_assert_true (BENDI_IS_DISCOVER_PAGE (page));
  /* Every model of the catalogue gets a card, with its name on it. */
  BENDI_APP_TEST_WAIT_UNTIL (count_catalogue_cards (page) == catalogue->len, 20);
  g_assert_nonnull (bendi_app_test_find_label (page, first->name));
  /* Described in the reader's language. */
  g_assert_nonnull (bendi_app_test_find_label (page, chinese ? first->description_zh : first->description_en));
  g_assert_nonnull (bendi_app_test_find_label (GTK_WIDGET (window), chinese ? "发现" : "Discover"));

  /* Typing filters the catalogue at once. */
  entry = bendi_app_test_find (page, GTK_TYPE_SEARCH_ENTRY, NULL, NULL);
  g_assert_nonnull (entry);
  gtk_editable_set_text (GTK_EDITABLE (entry), first->name);
  BENDI_APP_TEST_WAIT_UNTIL (count_catalogue_cards (page) < catalogue->len, 10);
  g_assert_cmpuint (count_catalogue_cards (page), >=, 1);
  gtk_editable_set_text (GTK_EDITABLE (entry), "");
  BENDI_APP_TEST_WAIT_UNTIL (count_catalogue_cards (page) == catalogue->len, 10);

  /* Once typing pauses, the Hub is searched too: its GGUF repositories
   * that the catalogue lacks get cards of their own. */
  gtk_editable_set_text (GTK_EDITABLE (entry), "stories");
  BENDI_APP_TEST_WAIT_UNTIL (bendi_app_test_find (page, BENDI_TYPE_MODEL_CARD, is_hub_card, (gpointer) REPO) != NULL,
                             20);
}

static void
run_catalogue (const char *locale)
{
  HubTestServer *server;

  if (g_test_subprocess ())
    {
      bendi_app_test_run (check_catalogue, GINT_TO_POINTER (g_str_has_prefix (locale, "zh")));
      return;
    }
  if (!bendi_app_test_have_display ())
    return;
  /* Searches go to a local Hub, never to the network. */
  server = hub_test_server_new ();
  hub_test_server_add_listing (server, REPO, REAL_FILE, 1000000);
  g_setenv ("HF_ENDPOINT", hub_test_server_get_endpoint (server), TRUE);
  bendi_app_test_trap_in_locale (locale);
  hub_test_server_free (server);
}

static void
test_catalogue_en (void)
{
  run_catalogue ("en_US.UTF-8");
}

static void
test_catalogue_zh (void)
{
  run_catalogue ("zh_CN.UTF-8");
}

/* The rows of the model page's file list: their file names and badges. */
static gboolean
row_is_file (GtkWidget *widget,
             gpointer   user_data)
{
  return g_strcmp0 (g_object_get_data (G_OBJECT (widget), "bendi-file"), user_data) == 0;
}

static GtkWidget *
find_file_row (GtkWidget  *model_page,
               const char *file)
{
  return bendi_app_test_find (model_page, ADW_TYPE_ACTION_ROW, row_is_file, (gpointer) file);
}

static gboolean
has_class (GtkWidget *widget,
           gpointer   user_data)
{
  return gtk_widget_has_css_class (widget, user_data);
}

static const char *
row_label (GtkWidget  *row,
           const char *css_class)
{
  GtkWidget *label = bendi_app_test_find (row, GTK_TYPE_LABEL, has_class, (gpointer) css_class);

  return label != NULL ? gtk_label_get_text (GTK_LABEL (label)) : NULL;
}

static gboolean
explanation_mentions (GtkWidget  *model_page,
                      const char *text)
{
  GtkWidget *row = find_file_row (model_page, REAL_FILE);
  const char *explanation = row != NULL ? row_label (row, "fit-explanation") : NULL;

  return explanation != NULL && strstr (explanation, text) != NULL;
}

static gboolean
stack_shows (GtkWidget *widget,
             gpointer   user_data)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (GTK_STACK (widget)), user_data) == 0;
}

static gboolean
inside_window (GtkWidget   *widget,
               BendiWindow *window)
{
  graphene_rect_t bounds;

  return gtk_widget_compute_bounds (widget, GTK_WIDGET (window), &bounds) && bounds.origin.x >= 0 &&
         bounds.origin.y >= 0 && bounds.origin.x + bounds.size.width <= gtk_widget_get_width (GTK_WIDGET (window)) &&
         bounds.origin.y + bounds.size.height <= gtk_widget_get_height (GTK_WIDGET (window));
}

/* The arithmetic can be selected and copied, but opening "Why?" selects
 * none of it: a selectable label's text would all be selected when the
 * popover gives it the focus. */
static void
check_why_opens_unselected (BendiWindow *window,
                            GtkWidget   *row)
{
  GtkWidget *why = bendi_app_test_find (row, GTK_TYPE_MENU_BUTTON, NULL, NULL);
  GtkWidget *label = bendi_app_test_find (row, GTK_TYPE_LABEL, has_class, (gpointer) "fit-explanation");
  GtkPopover *popover;
  int start = -1, end = -1;

  g_assert_nonnull (why);
  g_assert_nonnull (label);
  g_assert_true (gtk_label_get_selectable (GTK_LABEL (label)));
  popover = gtk_menu_button_get_popover (GTK_MENU_BUTTON (why));
  /* A popover is placed on the monitor its button is on: the page must
   * have finished sliding in. */
  BENDI_APP_TEST_WAIT_UNTIL (inside_window (why, window), 10);
  gtk_menu_button_popup (GTK_MENU_BUTTON (why));
  BENDI_APP_TEST_WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (popover)), 10);
  bendi_app_test_flush (window);
  g_assert_false (gtk_label_get_selection_bounds (GTK_LABEL (label), &start, &end));
  gtk_popover_popdown (popover);
  BENDI_APP_TEST_WAIT_UNTIL (!gtk_widget_get_mapped (GTK_WIDGET (popover)), 10);
}

static void
check_model_page (BendiApplication *app G_GNUC_UNUSED,
                  BendiWindow      *window,
                  gpointer          user_data G_GNUC_UNUSED)
{
  BendiPage *page = bendi_window_show_page (window, "discover");
  g_autoptr (GPtrArray) recommended = NULL;
  g_autofree char *no_fit = bendi_fit_badge_text (BENDI_FIT_VERDICT_NO, 0, 0);
  GtkWidget *model_page;
  GtkWidget *real_row;
  GtkWidget *huge_row;

  bendi_discover_page_show_model (BENDI_DISCOVER_PAGE (page), REPO);
  model_page = bendi_app_test_find (GTK_WIDGET (page), BENDI_TYPE_MODEL_PAGE, NULL, NULL);
  g_assert_nonnull (model_page);
  g_assert_cmpstr (bendi_model_page_get_repo_id (BENDI_MODEL_PAGE (model_page)), ==, REPO);

  /* The list appears once the files are listed, one header read and the
   * hardware probed. */
  BENDI_APP_TEST_WAIT_UNTIL (find_file_row (model_page, REAL_FILE) != NULL, 30);
  real_row = find_file_row (model_page, REAL_FILE);
  huge_row = find_file_row (model_page, HUGE_FILE);
  g_assert_nonnull (huge_row);
  g_assert_nonnull (find_file_row (model_page, "stories260K-Q8_0.gguf"));

  /* A file larger than all the memory there is cannot fit; a 1 MB one does. */
  g_assert_cmpstr (row_label (huge_row, "fit-badge"), ==, no_fit);
  g_assert_nonnull (row_label (real_row, "fit-badge"));
  g_assert_cmpstr (row_label (real_row, "fit-badge"), !=, no_fit);
  /* The advisor recommends exactly one, and one that fits. */
  recommended = bendi_app_test_find_all (model_page, ADW_TYPE_ACTION_ROW, has_class, (gpointer) "recommended");
  g_assert_cmpuint (recommended->len, ==, 1);
  g_assert_true (g_ptr_array_index (recommended, 0) != huge_row);

  /* "Why?" shows the arithmetic, for the context chosen: the model's own
   * 2048 tokens at first (less than the default 4096), then what is set. */
  g_assert_cmpint (bendi_model_page_get_context (BENDI_MODEL_PAGE (model_page)), ==, 2048);
  g_assert_true (explanation_mentions (model_page, "KV cache (2048 tokens)"));
  g_assert_true (explanation_mentions (model_page, " weights + "));
  check_why_opens_unselected (window, real_row);
  bendi_model_page_set_context (BENDI_MODEL_PAGE (model_page), 512);
  BENDI_APP_TEST_WAIT_UNTIL (explanation_mentions (model_page, "KV cache (512 tokens)"), 10);
  g_assert_nonnull (bendi_app_test_find_label (model_page, "512 tokens"));
  /* The verdicts are redone, not just the text. */
  g_assert_cmpstr (row_label (find_file_row (model_page, HUGE_FILE), "fit-badge"), ==, no_fit);
}

static void
test_model_page (void)
{
  HubTestServer *server;
  g_autofree char *path = NULL;
  g_autofree char *models = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;

  if (g_test_subprocess ())
    {
      bendi_app_test_run (check_model_page, NULL);
      return;
    }
  if (!bendi_app_test_have_display ())
    return;
  path = bendi_test_data_path ("models/stories260K.gguf");
  if (path == NULL)
    return;
  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  bytes = g_bytes_new_take (g_steal_pointer (&contents), length);

  /* One real file, whose header sizes the rest; a listed one larger than
   * any computer's memory (1 PB). */
  server = hub_test_server_new ();
  hub_test_server_add_file (server, REPO, REAL_FILE, bytes, NULL);
  hub_test_server_add_listing (server, REPO, "stories260K-Q8_0.gguf", 2 * length);
  hub_test_server_add_listing (server, REPO, HUGE_FILE, G_GUINT64_CONSTANT (1) << 50);
  models = g_build_filename (bendi_app_test_get_home (), "models", NULL);
  g_setenv ("HF_ENDPOINT", hub_test_server_get_endpoint (server), TRUE);
  g_setenv ("BENDI_MODELS_DIR", models, TRUE);
  bendi_app_test_trap_in_locale ("en_US.UTF-8");
  hub_test_server_free (server);
}

static void
check_unreachable (BendiApplication *app G_GNUC_UNUSED,
                   BendiWindow      *window,
                   gpointer          user_data G_GNUC_UNUSED)
{
  BendiPage *page = bendi_window_show_page (window, "discover");
  GtkWidget *model_page;
  GtkWidget *status;

  bendi_discover_page_show_model (BENDI_DISCOVER_PAGE (page), REPO);
  model_page = bendi_app_test_find (GTK_WIDGET (page), BENDI_TYPE_MODEL_PAGE, NULL, NULL);
  /* Said in words, with what to do, in place of the list. */
  BENDI_APP_TEST_WAIT_UNTIL (bendi_app_test_find (model_page, GTK_TYPE_STACK, stack_shows, (gpointer) "error") != NULL,
                             30);
  status = bendi_app_test_find (bendi_app_test_find (model_page, GTK_TYPE_STACK, stack_shows, (gpointer) "error"),
                                ADW_TYPE_STATUS_PAGE, NULL, NULL);
  g_assert_nonnull (status);
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (status)), !=, "");
  g_assert_nonnull (adw_status_page_get_description (ADW_STATUS_PAGE (status)));
  g_assert_null (find_file_row (model_page, REAL_FILE));
}

static void
test_unreachable (void)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GError) error = NULL;
  g_autofree char *endpoint = NULL;

  if (g_test_subprocess ())
    {
      bendi_app_test_run (check_unreachable, NULL);
      return;
    }
  if (!bendi_app_test_have_display ())
    return;
  /* A port that was free a moment ago and that nothing listens on. */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (socket, any, FALSE, &error);
  g_assert_no_error (error);
  address = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  endpoint = g_strdup_printf ("http://127.0.0.1:%u",
                              g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address)));
  g_setenv ("HF_ENDPOINT", endpoint, TRUE);
  bendi_app_test_trap_in_locale ("en_US.UTF-8");
}

int
main (int   argc,
      char *argv[])
{
  bendi_app_test_init (&argc, &argv);

  g_test_add_func ("/app/discover/catalogue-en", test_catalogue_en);
  g_test_add_func ("/app/discover/catalogue-zh", test_catalogue_zh);
  g_test_add_func ("/app/discover/model-page", test_model_page);
  g_test_add_func ("/app/discover/hub-unreachable", test_unreachable);

  return bendi_app_test_run_tests ();
}
