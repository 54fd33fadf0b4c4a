/* SPDX-License-Identifier: MIT */
/* Screenshots of the Chat page in English and Chinese, wide and 360 px narrow, for the README and AppStream. Written only when BENDI_SCREENSHOT_DIR names a folder:
 *
 *   BENDI_SCREENSHOT_DIR=$PWD/screenshots meson test -C build test-app-chat-screenshots
 */
#include "app-test-util.h"
#include "chat-page-private.h"
#include "message-row.h"
#include "test-util.h"

/* Seconds: loading is quick, but the machine may be busy. */
#define REPLY_TIMEOUT 120

/* Markdown that shows what a reply can hold (a code block with its copy
 * button, a list, emphasis), the same in both languages: stories260K
 * writes children's stories only. */
#define SAMPLE_REPLY \
  "Here is a **binary search** in Python:\n\n" \
  "```python\n" \
  "def search(items, wanted):\n" \
  "    low, high = 0, len(items) - 1\n" \
  "    while low <= high:\n" \
  "        middle = (low + high) // 2\n" \
  "        if items[middle] == wanted:\n" \
  "            return middle\n" \
  "        if items[middle] < wanted:\n" \
  "            low = middle + 1\n" \
  "        else:\n" \
  "            high = middle - 1\n" \
  "    return -1\n" \
  "```\n\n" \
  "- It needs *sorted* items.\n" \
  "- Each step halves what is left: `log2(n)` steps at most.\n"

static char *
screenshot_path (const char *name,
                 const char *language)
{
  const char *dir = g_getenv ("BENDI_SCREENSHOT_DIR");
  g_autofree char *file = g_strdup_printf ("%s-%s.png", name, language);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  return g_build_filename (dir, file, NULL);
}

/* A real exchange with stories260K, then a second, answered with the
 * sample Markdown so that the picture shows formatting. */
static void
stage_chat (BendiChatPage *page)
{
  g_autofree char *model = bendi_test_data_path ("models/stories260K.gguf");
  BendiChatMessage *reply;

  if (model == NULL)
    return;
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "chat.load-model", "s", model));
  BENDI_APP_TEST_WAIT_UNTIL (bendi_chat_runner_get_state (page->runner) != BENDI_CHAT_RUNNER_LOADING, 60);
  g_assert_cmpint (bendi_chat_runner_get_state (page->runner), ==, BENDI_CHAT_RUNNER_READY);
  g_object_set (page->chat_settings, "temperature", 0.0, "max-tokens", (gint64) 48, NULL);

  bendi_chat_composer_set_text (page->composer, "Once upon a time");
  bendi_chat_composer_send (page->composer);
  BENDI_APP_TEST_WAIT_UNTIL (bendi_app_test_reply_finished (page), REPLY_TIMEOUT);

  bendi_chat_composer_set_text (page->composer, "How does binary search work?");
  bendi_chat_composer_send (page->composer);
  BENDI_APP_TEST_WAIT_UNTIL (bendi_app_test_reply_finished (page), REPLY_TIMEOUT);
  reply = bendi_conversation_get_last (page->conversation);
  bendi_chat_message_set_content (reply, SAMPLE_REPLY);
  bendi_chat_message_set_status (reply, BENDI_MESSAGE_DONE);
  bendi_chat_message_set_error (reply, NULL);
  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (page->message_box));
       row != NULL;
       row = gtk_widget_get_next_sibling (row))
    bendi_message_row_sync (BENDI_MESSAGE_ROW (row));
}

/* Lets the page settle (rows render once per frame), then writes it. */
static void
write_screenshot (BendiWindow *window,
                  const char  *name,
                  const char  *language)
{
  g_autofree char *path = screenshot_path (name, language);

  for (guint frame = 0; frame < 5; frame++)
    {
      BendiChatPage *page = BENDI_CHAT_PAGE (bendi_window_get_page (window, "chat"));
      GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (page->scroller);

      /* The end of the conversation, as after a reply. */
      gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
      bendi_app_test_flush (window);
    }
  bendi_app_test_screenshot (GTK_WIDGET (window), path);
  g_test_message ("wrote %s", path);
}

static void
resize (BendiWindow *window,
        int          width,
        int          height)
{
  gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  BENDI_APP_TEST_WAIT_UNTIL (ABS (gtk_widget_get_width (GTK_WIDGET (window)) - width) < 40, 10);
}

static void
shoot_chat (BendiApplication *app G_GNUC_UNUSED,
            BendiWindow      *window,
            gpointer          user_data)
{
  const char *language = user_data;
  BendiPage *page = bendi_window_show_page (window, "chat");
  int width, height;

  g_assert_true (BENDI_IS_CHAT_PAGE (page));
  gtk_window_get_default_size (GTK_WINDOW (window), &width, &height);
  resize (window, 1000, 720);
  write_screenshot (window, "chat-start", language);

  stage_chat (BENDI_CHAT_PAGE (page));
  write_screenshot (window, "chat", language);

  /* The model settings beside the chat. */
  adw_flap_set_reveal_flap (BENDI_CHAT_PAGE (page)->settings_flap, TRUE);
  write_screenshot (window, "chat-settings", language);
  /* Their end: context, backend, GPU layers and where the model runs. */
  {
    GtkWidget *scroller = bendi_app_test_find (GTK_WIDGET (BENDI_CHAT_PAGE (page)->settings_panel),
                                               GTK_TYPE_SCROLLED_WINDOW, NULL, NULL);
    GtkAdjustment *adjustment;

    g_assert_nonnull (scroller);
    adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scroller));
    gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
    write_screenshot (window, "chat-settings-model", language);
    gtk_adjustment_set_value (adjustment, 0);
  }
  adw_flap_set_reveal_flap (BENDI_CHAT_PAGE (page)->settings_flap, FALSE);
  /* Folding the window while the flap still slides away makes GTK
   * snapshot the flap's stack before it has a size (a fatal warning under
   * the tests' G_DEBUG): wait until it is gone. */
  BENDI_APP_TEST_WAIT_UNTIL (adw_flap_get_reveal_progress (BENDI_CHAT_PAGE (page)->settings_flap) == 0.0, 10);

  /* A phone's width: the sidebars fold away. Phones (and GNOME) show
   * only the close button; GTK's own default has three. */
  g_object_set (gtk_settings_get_default (), "gtk-decoration-layout", ":close", NULL);
  resize (window, 360, 720);
  write_screenshot (window, "chat-narrow", language);
  resize (window, width, height);
}

static void
shoot (const char *locale,
       const char *language)
{
  if (g_test_subprocess ())
    {
      bendi_app_test_run (shoot_chat, (gpointer) language);
      return;
    }
  if (g_getenv ("BENDI_SCREENSHOT_DIR") == NULL)
    {
      g_test_skip ("set BENDI_SCREENSHOT_DIR to a folder to write screenshots to");
      return;
    }
  if (bendi_app_test_have_display ())
    bendi_app_test_trap_in_locale (locale);
}

static void
test_english (void)
{
  shoot ("en_US.UTF-8", "en");
}

static void
test_chinese (void)
{
  shoot ("zh_CN.UTF-8", "zh_CN");
}

int
main (int   argc,
      char *argv[])
{
  bendi_app_test_init (&argc, &argv);

  g_test_add_func ("/app/chat-screenshots/en", test_english);
  g_test_add_func ("/app/chat-screenshots/zh_CN", test_chinese);

  return bendi_app_test_run_tests ();
}
