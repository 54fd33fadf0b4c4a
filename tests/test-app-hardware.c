/* SPDX-License-Identifier: MIT */
/* The Hardware and welcome pages under Xvfb: this computer's RAM as /proc/meminfo says, in English and Chinese; the first start recommends catalogue models that fit, chosen by rules checked here on made-up computers. */
#include <glib/gi18n.h>
#include <string.h>

#include "app-state.h"
#include "app-format.h"
#include "app-test-util.h"
#include "catalogue-fit.h"
#include "hardware-page.h"
#include "hub-test-server.h"
#include "hw-bandwidth.h"
#include "test-util.h"
#include "welcome-card.h"
#include "welcome-page.h"

/* MemTotal, read here rather than through the probe under test. */
static guint64
read_mem_total (void)
{
  g_autofree char *meminfo = NULL;
  const char *line;

  g_assert_true (g_file_get_contents ("/proc/meminfo", &meminfo, NULL, NULL));
  line = strstr (meminfo, "MemTotal:");
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen ("MemTotal:"), NULL, 10) * 1024;
}

static gboolean
row_has_subtitle_with (GtkWidget *widget,
                       gpointer   user_data)
{
  const char *subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (widget));

  return subtitle != NULL && strstr (subtitle, user_data) != NULL;
}

typedef struct
{
  const char *title;      /* the page's name in the sidebar */
  const char *ram_title;
} Expected;

static void
check_ram (BendiApplication *app G_GNUC_UNUSED,
           BendiWindow      *window,
           gpointer          user_data)
{
  const Expected *expected = user_data;
  g_autofree char *ram = g_format_size (read_mem_total ());
  GtkWidget *page = GTK_WIDGET (bendi_window_show_page (window, "hardware"));
  GtkWidget *row;

  g_assert_true (BENDI_IS_HARDWARE_PAGE (page));
  g_assert_nonnull (bendi_app_test_find_label (GTK_WIDGET (window), expected->title));
  /* The physical RAM is on the page once the probe is done, whether or
   * not a cgroup limits what Bendi may use of it. */
  BENDI_APP_TEST_WAIT_UNTIL ((row = bendi_app_test_find (page, ADW_TYPE_ACTION_ROW, row_has_subtitle_with, ram)) != NULL,
                             30);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, expected->ram_title);
}

static void
test_ram_en (void)
{
  if (g_test_subprocess ())
    {
      Expected expected = { "Hardware", "RAM" };

      bendi_app_test_run (check_ram, &expected);
      return;
    }
  if (bendi_app_test_have_display ())
    bendi_app_test_trap_in_locale ("en_US.UTF-8");
}

static void
test_ram_zh (void)
{
  if (g_test_subprocess ())
    {
      Expected expected = { "硬件", "内存" };

      bendi_app_test_run (check_ram, &expected);
      return;
    }
  if (bendi_app_test_have_display ())
    bendi_app_test_trap_in_locale ("zh_CN.UTF-8");
}

static gboolean
is_shown (GtkWidget *widget,
          gpointer   user_data G_GNUC_UNUSED)
{
  return gtk_widget_is_visible (widget);
}

/* Measure runs with progress shown, and the page then shows the speed it
 * measured. */
static void
check_measure (BendiApplication *app G_GNUC_UNUSED,
               BendiWindow      *window,
               gpointer          user_data G_GNUC_UNUSED)
{
  BendiAppState *state = bendi_app_state_get_default ();
  GtkWidget *page = GTK_WIDGET (bendi_window_show_page (window, "hardware"));
  GtkWidget *row;
  g_autofree char *speed = NULL;

  BENDI_APP_TEST_WAIT_UNTIL (bendi_app_state_get_hardware (state) != NULL, 30);
  g_assert_false (bendi_hardware_page_get_measuring (BENDI_HARDWARE_PAGE (page)));
  g_assert_true (gtk_widget_activate_action (page, "hardware.measure", NULL));
  g_assert_true (bendi_hardware_page_get_measuring (BENDI_HARDWARE_PAGE (page)));
  g_assert_nonnull (bendi_app_test_find (page, GTK_TYPE_PROGRESS_BAR, is_shown, NULL));
  BENDI_APP_TEST_WAIT_UNTIL (!bendi_hardware_page_get_measuring (BENDI_HARDWARE_PAGE (page)), 90);
  g_assert_cmpfloat (bendi_app_state_get_hardware (state)->cpu_bandwidth_gbps, >, 0.0);
  speed = bendi_format_bandwidth (bendi_app_state_get_hardware (state)->cpu_bandwidth_gbps);
  row = bendi_app_test_find (page, ADW_TYPE_ACTION_ROW, bendi_app_test_row_has_title, (gpointer) "Main memory");
  g_assert_nonnull (row);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==, speed);
}

static void
test_measure (void)
{
  if (g_test_subprocess ())
    {
      bendi_app_test_run (check_measure, NULL);
      return;
    }
  if (bendi_app_test_have_display ())
    bendi_app_test_trap_in_locale ("en_US.UTF-8");
}

/* A computer with no GPU, @ram_gb of RAM (three quarters free) and
 * memory read at @gbps. */
static BendiHwInfo *
make_computer (double ram_gb,
               double gbps)
{
  BendiHwInfo *hw = bendi_hw_info_new ();

  hw->cpu_model = g_strdup ("Test CPU");
  hw->logical_cores = 8;
  hw->physical_cores = 8;
  hw->ram_physical_bytes = (guint64) (ram_gb * 1e9);
  hw->ram_total_bytes = hw->ram_physical_bytes;
  hw->ram_available_bytes = hw->ram_physical_bytes / 4 * 3;
  hw->cpu_bandwidth_gbps = gbps;
  hw->gpus = g_ptr_array_new_with_free_func ((GDestroyNotify) bendi_hw_gpu_free);
  return hw;
}

static void
check_picks (GPtrArray         *catalogue,
             const BendiHwInfo *hw)
{
  const BendiHubCatalogueEntry *picks[BENDI_WELCOME_N_PICKS];

  bendi_welcome_page_choose (catalogue, hw, picks);
  for (int i = 0; i < BENDI_WELCOME_N_PICKS; i++)
    {
      BendiCatalogueFit fit;

      if (picks[i] == NULL)
        continue;
      /* Only what runs here, and never the same model twice. */
      g_assert_true (picks[i]->supported);
      bendi_catalogue_fit_estimate (picks[i], hw, 0, &fit);
      g_assert_cmpint (fit.verdict, !=, BENDI_FIT_VERDICT_NO);
      g_assert_cmpuint (fit.weights_bytes, <, hw->ram_available_bytes);
      for (int j = 0; j < i; j++)
        g_assert_true (picks[i] != picks[j]);
    }
  if (picks[BENDI_WELCOME_PICK_CHINESE] != NULL)
    g_assert_true (g_strv_contains ((const char *const *) picks[BENDI_WELCOME_PICK_CHINESE]->languages, "zh"));
  /* Quality means more parameters at work than the fast pick. */
  if (picks[BENDI_WELCOME_PICK_FAST] != NULL && picks[BENDI_WELCOME_PICK_QUALITY] != NULL)
    g_assert_cmpint (picks[BENDI_WELCOME_PICK_QUALITY]->params_active, >=,
                     picks[BENDI_WELCOME_PICK_FAST]->params_active);
}

static void
test_choose (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) catalogue = bendi_hub_catalogue_load (NULL, &error);
  const BendiHubCatalogueEntry *picks[BENDI_WELCOME_N_PICKS];
  BendiHwInfo *big = make_computer (64, 80);
  BendiHwInfo *small = make_computer (8, 20);
  BendiHwInfo *tiny = make_computer (0.2, 10);

  g_assert_no_error (error);
  check_picks (catalogue, big);
  check_picks (catalogue, small);
  check_picks (catalogue, tiny);

  /* A computer with room gets all three kinds. */
  bendi_welcome_page_choose (catalogue, big, picks);
  for (int i = 0; i < BENDI_WELCOME_N_PICKS; i++)
    g_assert_nonnull (picks[i]);
  /* The bigger computer's best model is at least as big. */
  {
    const BendiHubCatalogueEntry *small_picks[BENDI_WELCOME_N_PICKS];

    bendi_welcome_page_choose (catalogue, small, small_picks);
    g_assert_nonnull (small_picks[BENDI_WELCOME_PICK_FAST]);
    if (small_picks[BENDI_WELCOME_PICK_QUALITY] != NULL)
      g_assert_cmpint (picks[BENDI_WELCOME_PICK_QUALITY]->params_active, >=,
                       small_picks[BENDI_WELCOME_PICK_QUALITY]->params_active);
  }
  /* 200 MB holds no chat model of the catalogue. */
  bendi_welcome_page_choose (catalogue, tiny, picks);
  for (int i = 0; i < BENDI_WELCOME_N_PICKS; i++)
    g_assert_null (picks[i]);

  bendi_hw_info_free (big);
  bendi_hw_info_free (small);
  bendi_hw_info_free (tiny);
}

static gboolean
is_card (GtkWidget *widget,
         gpointer   user_data G_GNUC_UNUSED)
{
  return gtk_widget_get_child_visible (widget);
}

static void
check_first_run (BendiApplication *app G_GNUC_UNUSED,
                 BendiWindow      *window,
                 gpointer          user_data G_GNUC_UNUSED)
{
  BendiAppState *state = bendi_app_state_get_default ();
  GtkWidget *page;
  g_autoptr (GPtrArray) cards = NULL;
  const BendiHubCatalogueEntry *picks[BENDI_WELCOME_N_PICKS];
  guint n_picks = 0;
  g_autoptr (GSettings) settings = g_settings_new (BENDI_APP_ID);

  /* The first start opens on the welcome page, and only the first. */
  g_assert_cmpstr (bendi_window_get_page_id (window), ==, "welcome");
  g_assert_false (g_settings_get_boolean (settings, "show-welcome"));
  page = bendi_app_test_find (GTK_WIDGET (window), BENDI_TYPE_WELCOME_PAGE, NULL, NULL);
  g_assert_nonnull (page);

  /* The measured speed is in the cache the parent filled, so the cards
   * come with the probe. */
  BENDI_APP_TEST_WAIT_UNTIL (bendi_app_state_get_hardware (state) != NULL &&
                             bendi_app_test_find (page, BENDI_TYPE_WELCOME_CARD, NULL, NULL) != NULL, 30);
  g_assert_cmpfloat (bendi_app_state_get_hardware (state)->cpu_bandwidth_gbps, >, 0.0);
  bendi_welcome_page_choose (bendi_app_state_get_catalogue (state, NULL), bendi_app_state_get_hardware (state), picks);
  cards = bendi_app_test_find_all (page, BENDI_TYPE_WELCOME_CARD, is_card, NULL);
  for (int i = 0; i < BENDI_WELCOME_N_PICKS; i++)
    if (picks[i] != NULL)
      {
        g_assert_cmpuint (n_picks, <, cards->len);
        g_assert_cmpstr (bendi_welcome_card_get_repo_id (g_ptr_array_index (cards, n_picks)), ==, picks[i]->repo_id);
        n_picks++;
      }
  g_assert_cmpuint (cards->len, ==, n_picks);
  g_assert_cmpuint (n_picks, >=, 1);
}

static void
test_first_run (void)
{
  g_autoptr (GError) error = NULL;
  BendiHwInfo *info;

  if (g_test_subprocess ())
    {
      bendi_app_test_set_first_run (TRUE);
      bendi_app_test_run (check_first_run, NULL);
      return;
    }
  if (!bendi_app_test_have_display ())
    return;
  /* What a first start measures (about two seconds), measured here into
   * the test's cache, so the app's probe finds it. */
  info = bendi_hw_info_probe (NULL);
  bendi_hw_bandwidth_measure (info, BENDI_HW_MEASURE_CPU, NULL, &error);
  g_assert_no_error (error);
  bendi_hw_info_free (info);
  bendi_app_test_trap_in_locale ("en_US.UTF-8");
}

/* One click on a recommendation downloads it from the Hub and opens the
 * chat with it. */
static void
check_download_and_chat (BendiApplication *app G_GNUC_UNUSED,
                         BendiWindow      *window,
                         gpointer          user_data)
{
  HubTestServer *server = user_data;
  BendiAppState *state = bendi_app_state_get_default ();
  g_autofree char *path = bendi_test_data_path ("models/stories260K.gguf");
  g_autofree char *contents = NULL;
  g_autoptr (GBytes) bytes = NULL;
  GtkWidget *page = bendi_app_test_find (GTK_WIDGET (window), BENDI_TYPE_WELCOME_PAGE, NULL, NULL);
  GtkWidget *card;
  GtkWidget *button;
  const BendiHubCatalogueEntry *entry = NULL;
  GPtrArray *catalogue;
  const char *repo_id;
  gsize length = 0;

  BENDI_APP_TEST_WAIT_UNTIL ((card = bendi_app_test_find (page, BENDI_TYPE_WELCOME_CARD, NULL, NULL)) != NULL, 30);
  repo_id = bendi_welcome_card_get_repo_id (BENDI_WELCOME_CARD (card));
  catalogue = bendi_app_state_get_catalogue (state, NULL);
  for (guint i = 0; i < catalogue->len; i++)
    if (g_str_equal (((BendiHubCatalogueEntry *) g_ptr_array_index (catalogue, i))->repo_id, repo_id))
      entry = g_ptr_array_index (catalogue, i);
  g_assert_nonnull (entry);

  /* The Hub holds a tiny model under the file name the card asks for. */
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  bytes = g_bytes_new_take (g_steal_pointer (&contents), length);
  hub_test_server_add_file (server, repo_id, entry->recommended_file != NULL ? entry->recommended_file
                                                                             : "model-Q4_K_M.gguf", bytes, NULL);

  button = bendi_app_test_find (card, GTK_TYPE_BUTTON, bendi_app_test_button_has_label,
                                (gpointer) "_Download and Chat");
  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
  BENDI_APP_TEST_WAIT_UNTIL (g_strcmp0 (bendi_window_get_page_id (window), "chat") == 0, 30);
  /* What it was handed is in the library now, from this repository. */
  BENDI_APP_TEST_WAIT_UNTIL (bendi_app_state_get_library (state) != NULL &&
                             bendi_app_state_get_library (state)->len == 1, 20);
  g_assert_cmpstr (((BendiHubLocalModel *) g_ptr_array_index (bendi_app_state_get_library (state), 0))->repo_id, ==,
                   repo_id);
}

static void
test_download_and_chat (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *models = NULL;
  HubTestServer *server;
  BendiHwInfo *info;

  if (!g_test_subprocess ())
    {
      g_autofree char *path = bendi_test_data_path ("models/stories260K.gguf");

      if (!bendi_app_test_have_display () || path == NULL)
        return;
      info = bendi_hw_info_probe (NULL);
      bendi_hw_bandwidth_measure (info, BENDI_HW_MEASURE_CPU, NULL, &error);
      g_assert_no_error (error);
      bendi_hw_info_free (info);
      bendi_app_test_trap_in_locale ("en_US.UTF-8");
      return;
    }
  server = hub_test_server_new ();
  models = g_build_filename (bendi_app_test_get_home (), "welcome-models", NULL);
  g_setenv ("HF_ENDPOINT", hub_test_server_get_endpoint (server), TRUE);
  g_setenv ("BENDI_MODELS_DIR", models, TRUE);
  g_setenv ("HOME", bendi_app_test_get_home (), TRUE);
  g_unsetenv ("HF_TOKEN");
  bendi_app_test_set_first_run (TRUE);
  bendi_app_test_run (check_download_and_chat, server);
  hub_test_server_free (server);
}

int
main (int   argc,
      char *argv[])
{
  bendi_app_test_init (&argc, &argv);

  g_test_add_func ("/app/hardware/ram-en", test_ram_en);
  g_test_add_func ("/app/hardware/ram-zh", test_ram_zh);
  g_test_add_func ("/app/hardware/measure", test_measure);
  g_test_add_func ("/app/welcome/choose", test_choose);
  g_test_add_func ("/app/welcome/first-run", test_first_run);
  g_test_add_func ("/app/welcome/download-and-chat", test_download_and_chat);

  return bendi_app_test_run_tests ();
}
