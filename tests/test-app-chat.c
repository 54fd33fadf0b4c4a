/* SPDX-License-Identifier: MIT */
/* The Chat page under Xvfb with stories260K: Enter and input methods, a streamed reply and its stop, branches and their export, a restart, and a kill -9 in the middle of a reply. */
#include <locale.h>
#include <signal.h>

#include <glib/gstdio.h>

#include <json-glib/json-glib.h>

#include "app-state.h"
#include "app-test-util.h"
#include "chat-page-private.h"
#include "markdown-view.h"
#include "message-row.h"
#include "test-util.h"

/* Seconds: loading is quick, but the machine may be busy. */
#define LOAD_TIMEOUT 60
/* Loading onto lavapipe has LLVM compile the shaders at their first
 * dispatch: over a minute on a cold cache under AddressSanitizer, whose
 * malloc LLVM leans on, and more beside other tests. */
#define VULKAN_LOAD_TIMEOUT 300
#define REPLY_TIMEOUT 120

static char *
model_path (void)
{
  return bendi_test_data_path ("models/stories260K.gguf");
}

/* Runs the current test in a child process, in English. */
static void
run_child (void)
{
  if (setlocale (LC_ALL, "en_US.UTF-8") == NULL)
    {
      g_test_skip ("the en_US.UTF-8 locale is not installed");
      return;
    }
  setlocale (LC_ALL, "C");
  g_setenv ("LC_ALL", "en_US.UTF-8", TRUE);
  g_test_trap_subprocess (NULL, (VULKAN_LOAD_TIMEOUT + 240) * G_USEC_PER_SEC,
                          G_TEST_SUBPROCESS_INHERIT_STDOUT | G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static BendiChatPage *
show_chat (BendiWindow *window)
{
  BendiPage *page = bendi_window_show_page (window, "chat");

  g_assert_true (BENDI_IS_CHAT_PAGE (page));
  return BENDI_CHAT_PAGE (page);
}

static void
load_model (BendiChatPage *page)
{
  g_autofree char *path = model_path ();

  g_assert_nonnull (path);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "chat.load-model", "s", path));
  BENDI_APP_TEST_WAIT_UNTIL (bendi_chat_runner_get_state (page->runner) != BENDI_CHAT_RUNNER_LOADING, LOAD_TIMEOUT);
  g_assert_cmpint (bendi_chat_runner_get_state (page->runner), ==, BENDI_CHAT_RUNNER_READY);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (page->main_stack), ==, "chat");
  /* Greedy, so that what a test sees is what the model always says; and
   * short, since stories260K rarely ends a story by itself. */
  g_object_set (page->chat_settings, "temperature", 0.0, "max-tokens", (gint64) 96, NULL);
}

static GtkEventController *
find_controller (GtkWidget  *widget,
                 const char *name)
{
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr (GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (g_strcmp0 (gtk_event_controller_get_name (controller), name) == 0)
        return controller;
    }
  return NULL;
}

/* Presses @keyval in the composer as the keyboard would reach it: through
 * its key controller. Returns whether the composer took the key. */
static gboolean
press_key (BendiChatComposer *composer,
           guint              keyval,
           GdkModifierType    state)
{
  GtkEventController *keys = find_controller (bendi_chat_composer_get_text_view (composer), "bendi-send-keys");
  gboolean handled = FALSE;

  g_assert_nonnull (keys);
  g_signal_emit_by_name (keys, "key-pressed", keyval, 36, state, &handled);
  return handled;
}

/* Writes @text and presses Enter. */
static void
send_message (BendiChatPage *page,
              const char    *text)
{
  bendi_chat_composer_set_text (page->composer, text);
  g_assert_true (press_key (page->composer, GDK_KEY_Return, 0));
}

/* ------------------------------------------------------------------------ */

static void
count_send_cb (BendiChatComposer *composer G_GNUC_UNUSED,
               const char        *text,
               gpointer           user_data)
{
  GPtrArray *sent = user_data;

  g_ptr_array_add (sent, g_strdup (text));
}

static void
check_enter (BendiApplication *app G_GNUC_UNUSED,
             BendiWindow      *window G_GNUC_UNUSED,
             gpointer          user_data G_GNUC_UNUSED)
{
  g_autoptr (GPtrArray) sent = g_ptr_array_new_with_free_func (g_free);
  GtkWidget *holder = gtk_window_new ();
  GtkWidget *composer = bendi_chat_composer_new ();
  GtkWidget *text_view = bendi_chat_composer_get_text_view (BENDI_CHAT_COMPOSER (composer));
  BendiChatComposer *self = BENDI_CHAT_COMPOSER (composer);

  gtk_window_set_child (GTK_WINDOW (holder), composer);
  gtk_window_present (GTK_WINDOW (holder));
  g_signal_connect (composer, "send", G_CALLBACK (count_send_cb), sent);

  /* Enter with nothing written sends nothing. */
  g_assert_true (press_key (self, GDK_KEY_Return, 0));
  g_assert_cmpuint (sent->len, ==, 0);

  /* An input method is composing (pinyin "nihao" not yet committed): its
   * Enter commits the text and must not send. */
  bendi_chat_composer_set_text (self, "你好");
  g_signal_emit_by_name (text_view, "preedit-changed", "nihao");
  g_assert_true (bendi_chat_composer_is_composing (self));
  g_assert_false (press_key (self, GDK_KEY_Return, 0));
  g_assert_false (press_key (self, GDK_KEY_KP_Enter, 0));
  g_assert_cmpuint (sent->len, ==, 0);

  /* Committed: now Enter sends. */
  g_signal_emit_by_name (text_view, "preedit-changed", "");
  g_assert_false (bendi_chat_composer_is_composing (self));
  g_assert_true (press_key (self, GDK_KEY_Return, 0));
  g_assert_cmpuint (sent->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (sent, 0), ==, "你好");

  /* Shift+Enter is a line break, left to the text view. */
  g_assert_false (press_key (self, GDK_KEY_Return, GDK_SHIFT_MASK));
  g_assert_cmpuint (sent->len, ==, 1);

  /* Other keys are the text view's. */
  g_assert_false (press_key (self, GDK_KEY_a, 0));

  /* While a reply is written, Enter sends nothing. */
  bendi_chat_composer_set_busy (self, TRUE);
  g_assert_true (press_key (self, GDK_KEY_Return, 0));
  g_assert_cmpuint (sent->len, ==, 1);

  gtk_window_destroy (GTK_WINDOW (holder));
}

static void
test_enter (void)
{
  if (g_test_subprocess ())
    {
      bendi_app_test_run (check_enter, NULL);
      return;
    }
  if (bendi_app_test_have_display ())
    run_child ();
}

/* ------------------------------------------------------------------------ */

typedef struct
{
  BendiChatPage *page;
  guint          pieces;
  guint          stop_after;   /* 0: never */
  gboolean       saw_row_text;
} Stream;

static gboolean
has_tooltip (GtkWidget *widget,
             gpointer   user_data)
{
  return g_strcmp0 (gtk_widget_get_tooltip_text (widget), user_data) == 0;
}

static void
stream_text_cb (BendiChatRunner *runner G_GNUC_UNUSED,
                const char      *chunk G_GNUC_UNUSED,
                const char      *reasoning G_GNUC_UNUSED,
                const char      *content G_GNUC_UNUSED,
                gpointer         user_data)
{
  Stream *stream = user_data;
  BendiChatComposer *composer = stream->page->composer;

  stream->pieces++;
  /* The user presses Stop, as they would mid-reply. */
  if (stream->stop_after > 0 && stream->pieces == stream->stop_after)
    {
      GtkWidget *stop = bendi_app_test_find (GTK_WIDGET (composer), GTK_TYPE_BUTTON, has_tooltip,
                                             (gpointer) "Stop the Reply");

      g_assert_nonnull (stop);
      g_assert_true (bendi_chat_composer_get_busy (composer));
      g_assert_true (gtk_widget_is_sensitive (stop));
      /* "clicked" itself: gtk_widget_activate () clicks 250 ms later, by
       * when stories260K has finished. */
      g_signal_emit_by_name (stop, "clicked");
    }
}

static void
check_stream_and_stop (BendiApplication *app G_GNUC_UNUSED,
                       BendiWindow      *window,
                       gpointer          user_data G_GNUC_UNUSED)
{
  BendiChatPage *page = show_chat (window);
  Stream stream = { page, 0, 0, FALSE };
  BendiStallMeter *meter;
  BendiChatMessage *reply;
  BendiMessageRow *row;
  double max_stall_ms = 0;
  double max_busy_ms = 0;
  guint ticks = 0;
  gulong handler;
  g_autofree char *saved = NULL;
  g_autofree char *saved_path = NULL;

  load_model (page);
  handler = g_signal_connect (page->runner, "text", G_CALLBACK (stream_text_cb), &stream);

  /* A reply streams in, and the UI keeps running meanwhile. */
  meter = bendi_stall_meter_start ();
  send_message (page, "Once upon a time");
  g_assert_cmpstr (bendi_chat_composer_dup_text (page->composer), ==, "");
  BENDI_APP_TEST_WAIT_UNTIL (bendi_app_test_reply_finished (page), REPLY_TIMEOUT);
  bendi_stall_meter_stop (meter, &max_stall_ms, &max_busy_ms, &ticks);
  g_test_message ("main-loop stall while streaming %u pieces: longest %.1f ms, of which the main thread worked "
                  "%.1f ms (%u timer ticks)", stream.pieces, max_stall_ms, max_busy_ms, ticks);
  g_printerr ("BENDI-METRIC stream-stall-ms %.1f busy-ms %.1f pieces %u\n", max_stall_ms, max_busy_ms, stream.pieces);

  reply = bendi_conversation_get_last (page->conversation);
  g_assert_cmpuint (stream.pieces, >, 1);
  g_assert_cmpstr (bendi_chat_message_get_content (reply), !=, "");
  /* Finished by the model or by the token limit; neither stopped nor failed. */
  g_assert_true (bendi_chat_message_get_status (reply) == BENDI_MESSAGE_DONE ||
                 bendi_chat_message_get_status (reply) == BENDI_MESSAGE_LENGTH);
  g_assert_cmpint (bendi_chat_message_get_n_tokens (reply), >, 0);
  g_assert_cmpint (bendi_chat_message_get_n_tokens (reply), <=, 96);
  g_assert_cmpint (bendi_chat_message_get_n_context_tokens (reply), >, bendi_chat_message_get_n_tokens (reply));
  g_assert_cmpstr (bendi_chat_message_get_model (reply), ==, "stories260K.gguf");

  /* The page shows it: the row's Markdown is the reply, the meter moved. */
  row = bendi_app_test_last_message_row (page);
  bendi_message_row_sync (row);
  g_assert_true (bendi_message_row_get_message (row) == reply);
  g_assert_cmpstr (bendi_markdown_view_get_markdown (BENDI_MARKDOWN_VIEW (bendi_app_test_find (GTK_WIDGET (row),
                                                                                             BENDI_TYPE_MARKDOWN_VIEW,
                                                                                             NULL, NULL))),
                   ==, bendi_chat_message_get_content (reply));
  g_assert_cmpfloat (gtk_level_bar_get_value (page->context_meter), >, 0.0);
  g_assert_cmpstr (gtk_label_get_label (page->context_label), !=, "");

  /* It is saved, finished, and the journal is gone. */
  bendi_conversation_store_flush (page->store);
  saved_path = g_strdup_printf ("%s/bendi/conversations/%s.json", g_get_user_data_dir (),
                                bendi_conversation_get_id (page->conversation));
  g_assert_true (g_file_get_contents (saved_path, &saved, NULL, NULL));
  g_assert_null (strstr (saved, "\"streaming\""));
  g_assert_true (strstr (saved, "\"status\":\"done\"") != NULL || strstr (saved, "\"status\":\"length\"") != NULL);
  {
    g_autofree char *journal = g_strdup_printf ("%s/bendi/conversations/%s.%u.reply", g_get_user_data_dir (),
                                                bendi_conversation_get_id (page->conversation),
                                                bendi_chat_message_get_id (reply));

    g_assert_false (g_file_test (journal, G_FILE_TEST_EXISTS));
  }

  /* The next reply is stopped after three pieces. */
  stream.pieces = 0;
  stream.stop_after = 3;
  send_message (page, "Tell me another one");
  BENDI_APP_TEST_WAIT_UNTIL (bendi_app_test_reply_finished (page), REPLY_TIMEOUT);
  reply = bendi_conversation_get_last (page->conversation);
  if (stream.pieces < 3)
    g_test_message ("the reply ended after %u pieces, before it could be stopped", stream.pieces);
  else
    {
      GtkLabel *status;

      g_assert_cmpint (bendi_chat_message_get_status (reply), ==, BENDI_MESSAGE_STOPPED);
      row = bendi_app_test_last_message_row (page);
      bendi_message_row_sync (row);
      status = GTK_LABEL (bendi_app_test_find_label (GTK_WIDGET (row), "Stopped."));
      g_assert_nonnull (status);
      g_assert_true (gtk_widget_get_visible (GTK_WIDGET (status)));
    }
  g_assert_false (bendi_chat_composer_get_busy (page->composer));
  g_signal_handler_disconnect (page->runner, handler);
}

static void
test_stream_and_stop (void)
{
  g_autofree char *model = NULL;

  if (g_test_subprocess ())
    {
      bendi_app_test_run (check_stream_and_stop, NULL);
      return;
    }
  model = model_path ();
  if (model != NULL && bendi_app_test_have_display ())
    run_child ();
}

/* ------------------------------------------------------------------------ */

static GtkWidget *
find_file_chooser (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();   /* GTK's own */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWidget) window = g_list_model_get_item (toplevels, i);

      if (GTK_IS_FILE_CHOOSER_DIALOG (window) && gtk_widget_get_visible (window))
        return window;
    }
  return NULL;
}

/* Whether the @length bytes at @pos of @contents lie inside an occurrence
 * of @within. */
static gboolean
covered_by (const char *contents,
            gsize       pos,
            gsize       length,
            const char *within)
{
  gsize within_length = within != NULL ? strlen (within) : 0;

  if (within_length < length)
    return FALSE;
  for (const char *w = strstr (contents, within); w != NULL; w = strstr (w + 1, within))
    if ((gsize) (w - contents) <= pos && pos + length <= (gsize) (w - contents) + within_length)
      return TRUE;
  return FALSE;
}

/* Whether @unwanted occurs in @contents other than as part of @wanted or
 * @also (sampled replies may contain one another). */
static gboolean
occurs_outside (const char *contents,
                const char *unwanted,
                const char *wanted,
                const char *also)
{
  gsize length = strlen (unwanted);

  for (const char *u = strstr (contents, unwanted); u != NULL; u = strstr (u + 1, unwanted))
    {
      gsize pos = (gsize) (u - contents);

      if (!covered_by (contents, pos, length, wanted) && !covered_by (contents, pos, length, also))
        return TRUE;
    }
  return FALSE;
}

/* Exports the conversation in @format to @name in the test home. The
 * menu's action opens the file chooser (GTK's own dialog here, without a
 * portal), which is cancelled; the file is written by what the chooser
 * calls once it has one. The file must hold @wanted and @also (when not
 * NULL) and not @unwanted. */
static void
export_and_check (BendiChatPage *page,
                  const char    *format,
                  const char    *name,
                  const char    *wanted,
                  const char    *also,
                  const char    *unwanted)
{
  g_autofree char *path = g_build_filename (bendi_app_test_get_home (), name, NULL);
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  GtkWidget *chooser = NULL;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "chat.export", "s", format));
  BENDI_APP_TEST_WAIT_UNTIL ((chooser = find_file_chooser ()) != NULL, 10);
  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_CANCEL);
  BENDI_APP_TEST_WAIT_UNTIL (find_file_chooser () == NULL, 10);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  g_assert_true (bendi_chat_page_export_to_file (page, format, file, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, wanted));
  if (also != NULL && *also != '\0')
    g_assert_nonnull (strstr (contents, also));
  if (unwanted != NULL && *unwanted != '\0')
    g_assert_false (occurs_outside (contents, unwanted, wanted, also));
}

static void
check_branches (BendiApplication *app G_GNUC_UNUSED,
                BendiWindow      *window,
                gpointer          user_data G_GNUC_UNUSED)
{
  BendiChatPage *page = show_chat (window);
  BendiChatMessage *first_reply, *second_reply, *user, *edited;
  BendiMessageRow *row;
  GtkWidget *first_row;

  load_model (page);
  /* Sampled, so that a regenerated reply may differ. */
  g_object_set (page->chat_settings, "temperature", 1.0, NULL);
  send_message (page, "Hello");
  BENDI_APP_TEST_WAIT_UNTIL (bendi_app_test_reply_finished (page), REPLY_TIMEOUT);
  first_reply = bendi_conversation_get_last (page->conversation);
  user = bendi_conversation_lookup (page->conversation, bendi_chat_message_get_parent_id (first_reply));

  /* Regenerate: a second alternative, shown as 2/2. */
  row = bendi_app_test_last_message_row (page);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "message.regenerate", NULL));
  BENDI_APP_TEST_WAIT_UNTIL (bendi_app_test_reply_finished (page), REPLY_TIMEOUT);
  second_reply = bendi_conversation_get_last (page->conversation);
  g_assert_true (second_reply != first_reply);
  g_assert_cmpuint (bendi_conversation_get_n_alternatives (page->conversation, second_reply), ==, 2);
  row = bendi_app_test_last_message_row (page);
  bendi_message_row_sync (row);
  g_assert_nonnull (bendi_app_test_find_label (GTK_WIDGET (row), "2/2"));

  /* ‹ back to the first: the row shows it, 1/2. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "message.previous", NULL));
  row = bendi_app_test_last_message_row (page);
  bendi_message_row_sync (row);
  g_assert_true (bendi_message_row_get_message (row) == first_reply);
  g_assert_nonnull (bendi_app_test_find_label (GTK_WIDGET (row), "1/2"));

  /* Edit the question: a new branch under the same parent, answered. */
  first_row = gtk_widget_get_first_child (GTK_WIDGET (page->message_box));
  g_assert_true (bendi_message_row_get_message (BENDI_MESSAGE_ROW (first_row)) == user);
  bendi_message_row_start_edit (BENDI_MESSAGE_ROW (first_row));
  {
    GtkTextView *editor = GTK_TEXT_VIEW (bendi_app_test_find (first_row, GTK_TYPE_TEXT_VIEW, NULL, NULL));

    /* The first text view in a user row is the editor. */
    gtk_text_buffer_set_text (gtk_text_view_get_buffer (editor), "Hello there", -1);
  }
  g_assert_true (gtk_widget_activate_action (first_row, "message.submit-edit", NULL));
  BENDI_APP_TEST_WAIT_UNTIL (bendi_app_test_reply_finished (page), REPLY_TIMEOUT);
  edited = gtk_widget_get_first_child (GTK_WIDGET (page->message_box)) != NULL
             ? bendi_message_row_get_message (BENDI_MESSAGE_ROW (gtk_widget_get_first_child (GTK_WIDGET (page->message_box))))
             : NULL;
  g_assert_nonnull (edited);
  g_assert_cmpstr (bendi_chat_message_get_content (edited), ==, "Hello there");
  g_assert_cmpuint (bendi_conversation_get_n_alternatives (page->conversation, edited), ==, 2);
  /* The original question and both its answers are still there. */
  g_assert_cmpuint (bendi_conversation_get_n_messages (page->conversation), ==, 5);
  g_assert_cmpstr (bendi_chat_message_get_content (user), ==, "Hello");

  /* Export as Markdown through the menu's action and its file chooser:
   * the branch shown is written, the others are not. */
  export_and_check (page, "markdown", "chat.md", "Hello there",
                    bendi_chat_message_get_content (bendi_conversation_get_last (page->conversation)),
                    bendi_chat_message_get_content (second_reply));
  export_and_check (page, "json", "chat.json", "\"content\" : \"Hello there\"", NULL, "\"content\" : \"Hello\"");
}

static void
test_branches (void)
{
  g_autofree char *model = NULL;

  if (g_test_subprocess ())
    {
      bendi_app_test_run (check_branches, NULL);
      return;
    }
  model = model_path ();
  if (model != NULL && bendi_app_test_have_display ())
    run_child ();
}

/* ------------------------------------------------------------------------ */
/* Restarting: the first run chats and quits, the second finds the chat. */

static char *
note_path (const char *name)
{
  return g_build_filename (bendi_app_test_get_home (), name, NULL);
}

static void
check_restart_write (BendiApplication *app G_GNUC_UNUSED,
                     BendiWindow      *window,
                     gpointer          user_data G_GNUC_UNUSED)
{
  BendiChatPage *page = show_chat (window);
  g_autofree char *note = note_path ("restart.txt");
  g_autofree char *contents = NULL;

  BENDI_APP_TEST_WAIT_UNTIL (page->loaded, 30);
  load_model (page);
  send_message (page, "Once upon a time");
  BENDI_APP_TEST_WAIT_UNTIL (bendi_app_test_reply_finished (page), REPLY_TIMEOUT);
  contents = g_strdup_printf ("%s\n%s", bendi_conversation_get_id (page->conversation),
                              bendi_chat_message_get_content (bendi_conversation_get_last (page->conversation)));
  g_assert_true (g_file_set_contents (note, contents, -1, NULL));
}

static void
check_restart_read (BendiApplication *app G_GNUC_UNUSED,
                    BendiWindow      *window,
                    gpointer          user_data G_GNUC_UNUSED)
{
  BendiChatPage *page = show_chat (window);
  g_autofree char *note = note_path ("restart.txt");
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;
  BendiConversation *conversation;
  GtkListBoxRow *row;

  g_assert_true (g_file_get_contents (note, &contents, NULL, NULL));
  lines = g_strsplit (contents, "\n", 2);
  BENDI_APP_TEST_WAIT_UNTIL (page->loaded, 30);
  conversation = bendi_conversation_store_lookup (page->store, lines[0]);
  g_assert_nonnull (conversation);
  g_assert_cmpuint (bendi_conversation_get_n_messages (conversation), ==, 2);
  g_assert_cmpstr (bendi_chat_message_get_content (bendi_conversation_get_last (conversation)), ==, lines[1]);

  /* It is in the list (the earlier tests' conversations too, perhaps
   * saved in the same second); choosing it shows its messages. */
  row = NULL;
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (page->filtered)); i++)
    {
      g_autoptr (GObject) item = g_list_model_get_item (G_LIST_MODEL (page->filtered), i);

      if (item == (GObject *) conversation)
        row = gtk_list_box_get_row_at_index (page->conversation_list, (int) i);
    }
  g_assert_nonnull (row);
  g_signal_emit_by_name (page->conversation_list, "row-activated", row);
  g_assert_true (page->conversation == conversation);
  g_assert_true (bendi_message_row_get_message (bendi_app_test_last_message_row (page)) ==
                 bendi_conversation_get_last (conversation));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (page->chat_stack), ==, "messages");
}

static void
test_restart (void)
{
  g_autofree char *model = NULL;

  if (g_test_subprocess ())
    {
      /* The same test path runs twice: the note says which run this is. */
      g_autofree char *note = note_path ("restart.txt");

      bendi_app_test_run (g_file_test (note, G_FILE_TEST_EXISTS) ? check_restart_read : check_restart_write, NULL);
      return;
    }
  model = model_path ();
  if (model == NULL || !bendi_app_test_have_display ())
    return;
  run_child ();
  run_child ();
}

/* ------------------------------------------------------------------------ */
/* kill -9 in the middle of a reply loses at most the piece being written. */

typedef struct
{
  BendiChatPage *page;
  guint          pieces;
} Crash;

static void
crash_text_cb (BendiChatRunner *runner G_GNUC_UNUSED,
               const char      *chunk G_GNUC_UNUSED,
               const char      *reasoning G_GNUC_UNUSED,
               const char      *content,
               gpointer         user_data)
{
  Crash *crash = user_data;
  g_autofree char *note = NULL;
  g_autofree char *expected = NULL;

  if (++crash->pieces < 4)
    return;
  /* What the screen shows now, the journal has: note it, and die. */
  note = note_path ("crash.txt");
  expected = g_strdup_printf ("%s\n%s", bendi_conversation_get_id (crash->page->conversation), content);
  g_assert_true (g_file_set_contents (note, expected, -1, NULL));
  kill (getpid (), SIGKILL);
}

static void
check_crash_write (BendiApplication *app G_GNUC_UNUSED,
                   BendiWindow      *window,
                   gpointer          user_data G_GNUC_UNUSED)
{
  BendiChatPage *page = show_chat (window);
  Crash crash = { page, 0 };

  load_model (page);
  g_signal_connect (page->runner, "text", G_CALLBACK (crash_text_cb), &crash);
  send_message (page, "Once upon a time");
  BENDI_APP_TEST_WAIT_UNTIL (bendi_app_test_reply_finished (page), REPLY_TIMEOUT);
  /* Only reached when the reply had fewer than four pieces. */
  g_test_message ("the reply ended before the crash");
}

static void
check_crash_read (BendiApplication *app G_GNUC_UNUSED,
                  BendiWindow      *window,
                  gpointer          user_data G_GNUC_UNUSED)
{
  BendiChatPage *page = show_chat (window);
  g_autofree char *note = note_path ("crash.txt");
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;
  BendiConversation *conversation;
  BendiChatMessage *reply;
  g_autofree char *journal_dir = g_build_filename (g_get_user_data_dir (), "bendi", "conversations", NULL);
  g_autoptr (GDir) dir = NULL;
  const char *name;

  g_assert_true (g_file_get_contents (note, &contents, NULL, NULL));
  lines = g_strsplit (contents, "\n", 2);
  BENDI_APP_TEST_WAIT_UNTIL (page->loaded, 30);
  conversation = bendi_conversation_store_lookup (page->store, lines[0]);
  g_assert_nonnull (conversation);
  reply = bendi_conversation_get_last (conversation);
  g_assert_false (bendi_chat_message_is_user (reply));
  /* Everything shown before the kill, marked as cut short. */
  g_assert_cmpstr (bendi_chat_message_get_content (reply), ==, g_strstrip (lines[1]));
  g_assert_cmpint (bendi_chat_message_get_status (reply), ==, BENDI_MESSAGE_STOPPED);
  g_assert_nonnull (bendi_chat_message_get_error (reply));
  /* The journal was folded in and removed. */
  dir = g_dir_open (journal_dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    g_assert_false (g_str_has_suffix (name, ".reply"));
}

static void
test_crash (void)
{
  g_autofree char *model = NULL;
  g_autofree char *note = NULL;

  if (g_test_subprocess ())
    {
      note = note_path ("crash.txt");
      bendi_app_test_run (g_file_test (note, G_FILE_TEST_EXISTS) ? check_crash_read : check_crash_write, NULL);
      return;
    }
  model = model_path ();
  if (model == NULL || !bendi_app_test_have_display ())
    return;

  g_setenv ("LC_ALL", "en_US.UTF-8", TRUE);
  g_test_trap_subprocess (NULL, 300 * G_USEC_PER_SEC,
                          G_TEST_SUBPROCESS_INHERIT_STDOUT | G_TEST_SUBPROCESS_INHERIT_STDERR);
  note = note_path ("crash.txt");
  if (!g_file_test (note, G_FILE_TEST_EXISTS))
    {
      /* The reply was too short to be killed in the middle. */
      g_test_trap_assert_passed ();
      g_test_skip ("the reply ended before it could be killed");
      return;
    }
  /* Killed, not exited. */
  g_test_trap_assert_failed ();
  run_child ();
}

/* ------------------------------------------------------------------------ */

static gboolean
check_button_has_label (GtkWidget *widget,
                        gpointer   user_data)
{
  return g_strcmp0 (gtk_check_button_get_label (GTK_CHECK_BUTTON (widget)), user_data) == 0;
}

static gint64
saved_gpu_layers (const char *model_name)
{
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "bendi", "chat-settings.json", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonObject *models;
  JsonObject *values;

  g_assert_true (json_parser_load_from_file (parser, path, &error));
  models = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "models");
  values = json_object_get_object_member (models, model_name);
  g_assert_nonnull (values);
  return json_object_get_int_member_with_default (values, "gpu_layers", G_MININT64);
}

/* The model settings' GPU layers: the row shows Preferences' default
 * until one is chosen; a change offers to reload, and the reload asks the
 * runner for those layers; the choice is saved with the model. */
static void
check_gpu_layers (BendiApplication *app G_GNUC_UNUSED,
                  BendiWindow      *window,
                  gpointer          user_data G_GNUC_UNUSED)
{
  BendiChatPage *page = show_chat (window);
  GtkWidget *panel = GTK_WIDGET (page->settings_panel);
  g_autoptr (GSettings) settings = g_settings_new (BENDI_APP_ID);
  BendiAppState *state = bendi_app_state_get_default ();
  const BendiHwInfo *hw;
  GtkWidget *all_that_fit;
  GtkWidget *spin;
  GtkWidget *layers_row;
  GtkWidget *reload_row;
  GtkWidget *reload;
  GtkWidget *running_on;
  gboolean have_gpu = FALSE;

  /* Preferences' default, before any is chosen for the model. */
  g_settings_set_int (settings, "gpu-layers", 0);
  BENDI_APP_TEST_WAIT_UNTIL (bendi_chat_settings_get_gpu_layers (page->chat_settings) == 0, 10);
  load_model (page);
  g_assert_cmpint (bendi_chat_runner_get_gpu_layers (page->runner), ==, 0);

  all_that_fit = bendi_app_test_find (panel, GTK_TYPE_CHECK_BUTTON, check_button_has_label, (gpointer) "_All that fit");
  g_assert_nonnull (all_that_fit);
  spin = gtk_widget_get_next_sibling (all_that_fit);
  g_assert_true (GTK_IS_SPIN_BUTTON (spin));
  reload_row = bendi_app_test_find (panel, ADW_TYPE_ACTION_ROW, bendi_app_test_row_has_title,
                                    (gpointer) "The new settings apply when the model is loaded again");
  g_assert_nonnull (reload_row);
  g_assert_false (gtk_check_button_get_active (GTK_CHECK_BUTTON (all_that_fit)));
  g_assert_false (gtk_widget_get_visible (reload_row));

  /* "All that fit", then a count, as the user sets them. */
  gtk_check_button_set_active (GTK_CHECK_BUTTON (all_that_fit), TRUE);
  g_assert_cmpint (bendi_chat_settings_get_gpu_layers (page->chat_settings), ==, -1);
  g_assert_false (gtk_widget_get_sensitive (spin));
  g_assert_true (gtk_widget_get_visible (reload_row));
  gtk_check_button_set_active (GTK_CHECK_BUTTON (all_that_fit), FALSE);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), 3);
  g_assert_cmpint (bendi_chat_settings_get_gpu_layers (page->chat_settings), ==, 3);
  g_assert_true (gtk_widget_get_visible (reload_row));

  /* Reloading asks the runner for them. */
  reload = bendi_app_test_find (reload_row, GTK_TYPE_BUTTON, NULL, NULL);
  g_assert_nonnull (reload);
  g_signal_emit_by_name (reload, "clicked");
  BENDI_APP_TEST_WAIT_UNTIL (bendi_chat_runner_get_state (page->runner) == BENDI_CHAT_RUNNER_READY, LOAD_TIMEOUT);
  g_assert_cmpint (bendi_chat_runner_get_gpu_layers (page->runner), ==, 3);
  g_assert_false (gtk_widget_get_visible (reload_row));
  bendi_chat_settings_flush (page->chat_settings);
  g_assert_cmpint (saved_gpu_layers ("stories260K.gguf"), ==, 3);

  /* The backend too: "Processor only" offers to reload, and the reload
   * asks for the CPU. */
  {
    GtkWidget *backend_row = bendi_app_test_find (panel, ADW_TYPE_COMBO_ROW, bendi_app_test_row_has_title,
                                                  (gpointer) "Backend");

    g_assert_nonnull (backend_row);
    adw_combo_row_set_selected (ADW_COMBO_ROW (backend_row), 1);
    g_assert_cmpstr (bendi_chat_settings_get_backend (page->chat_settings), ==, "cpu");
    g_assert_cmpstr (bendi_chat_runner_get_backend (page->runner), !=, "cpu");
    g_assert_true (gtk_widget_get_visible (reload_row));
    g_signal_emit_by_name (reload, "clicked");
    BENDI_APP_TEST_WAIT_UNTIL (bendi_chat_runner_get_state (page->runner) == BENDI_CHAT_RUNNER_READY, LOAD_TIMEOUT);
    g_assert_cmpstr (bendi_chat_runner_get_backend (page->runner), ==, "cpu");
    g_assert_false (gtk_widget_get_visible (reload_row));

    /* "Running On" says where the engine put the model, not what was
     * asked: three GPU layers asked for, none placed on the CPU backend. */
    running_on = bendi_app_test_find (panel, ADW_TYPE_ACTION_ROW, bendi_app_test_row_has_title, (gpointer) "Running On");
    g_assert_nonnull (running_on);
    g_assert_true (gtk_widget_get_visible (running_on));
    g_assert_true (g_str_has_prefix (adw_action_row_get_subtitle (ADW_ACTION_ROW (running_on)), "On the processor, "));

    /* The GPU backend puts them on the first Vulkan device (lavapipe in
     * CI), named as the Hardware page names it. */
    BENDI_APP_TEST_WAIT_UNTIL ((hw = bendi_app_state_get_hardware (state)) != NULL, 60);
    if (hw->gpus->len > 0 && ((const BendiHwGpu *) g_ptr_array_index (hw->gpus, 0))->usable)
      {
        const BendiHwGpu *first = g_ptr_array_index (hw->gpus, 0);
        g_autofree char *want = g_strdup_printf ("3 of 5 layers on the GPU (%s), the rest on the processor",
                                                 first->name);

        adw_combo_row_set_selected (ADW_COMBO_ROW (backend_row), 2);
        g_assert_true (gtk_widget_get_visible (reload_row));
        g_signal_emit_by_name (reload, "clicked");
        BENDI_APP_TEST_WAIT_UNTIL (bendi_chat_runner_get_state (page->runner) == BENDI_CHAT_RUNNER_READY,
                                   VULKAN_LOAD_TIMEOUT);
        g_assert_true (g_str_has_prefix (adw_action_row_get_subtitle (ADW_ACTION_ROW (running_on)), want));
      }
  }

  /* A change of Preferences no longer moves a model that has its own. */
  g_settings_set_int (settings, "gpu-layers", 9);
  bendi_app_test_flush (window);
  g_assert_cmpint (bendi_chat_settings_get_gpu_layers (page->chat_settings), ==, 3);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (spin)), ==, 3);

  /* Without a GPU the row says where the layers still matter. */
  BENDI_APP_TEST_WAIT_UNTIL ((hw = bendi_app_state_get_hardware (state)) != NULL, 60);
  for (guint i = 0; i < hw->gpus->len; i++)
    {
      const BendiHwGpu *gpu = g_ptr_array_index (hw->gpus, i);

      have_gpu |= gpu->usable && gpu->type != BENDI_VK_DEVICE_TYPE_CPU;
    }
  layers_row = gtk_widget_get_ancestor (spin, ADW_TYPE_ACTION_ROW);
  g_assert_nonnull (layers_row);
  g_assert_cmpint (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (layers_row)), "Vulkan") != NULL, ==,
                   !have_gpu);

  /* Unloaded, "Running On" goes. */
  gtk_widget_activate_action (GTK_WIDGET (page), "chat.unload-model", NULL);
  BENDI_APP_TEST_WAIT_UNTIL (bendi_chat_runner_get_state (page->runner) == BENDI_CHAT_RUNNER_EMPTY, 10);
  g_assert_false (gtk_widget_get_visible (running_on));
}

static void
test_gpu_layers (void)
{
  g_autofree char *model = NULL;

  if (g_test_subprocess ())
    {
      bendi_app_test_run (check_gpu_layers, NULL);
      return;
    }
  model = model_path ();
  if (model != NULL && bendi_app_test_have_display ())
    run_child ();
}

int
main (int   argc,
      char *argv[])
{
  bendi_app_test_init (&argc, &argv);

  g_test_add_func ("/app/chat/enter-and-input-methods", test_enter);
  g_test_add_func ("/app/chat/stream-and-stop", test_stream_and_stop);
  g_test_add_func ("/app/chat/branches-and-export", test_branches);
  g_test_add_func ("/app/chat/restart", test_restart);
  g_test_add_func ("/app/chat/kill-mid-reply", test_crash);
  g_test_add_func ("/app/chat/gpu-layers", test_gpu_layers);

  return bendi_app_test_run_tests ();
}
