/* SPDX-License-Identifier: MIT */
/* Helpers for the GUI tests: a private X server, the real app run in-process, waiting on conditions. */
#pragma once

#include "application.h"
#include "chat-page.h"
#include "message-row.h"
#include "window.h"

G_BEGIN_DECLS

/* g_test_init () plus what a GUI test needs: unless this is a test
 * subprocess, a private Xvfb (started with -displayfd, so parallel tests
 * never race for a display; it dies with the test) and fresh XDG folders in
 * a temporary directory; GSK_RENDERER=cairo, the memory GSettings backend
 * and no accessibility bus. bendi_app_test_have_display () says whether a
 * display is there to test on. */
void     bendi_app_test_init         (int    *argc,
                                      char ***argv);
/* g_test_run (), then the temporary home removed (by the parent only). */
int      bendi_app_test_run_tests    (void);
/* FALSE, and the test skipped, when there is no X server (Xvfb missing). */
gboolean bendi_app_test_have_display (void);
/* The temporary folder holding the XDG folders: data/, config/, cache/. */
const char *bendi_app_test_get_home  (void);

typedef void (*BendiAppTestFunc) (BendiApplication *app,
                                  BendiWindow      *window,
                                  gpointer          user_data);

/* Runs the app as `bendi` does (its i18n set up from the environment),
 * calls @func once the main window has drawn its first frame, then quits
 * through app.quit and checks the window is gone. */
void     bendi_app_test_run          (BendiAppTestFunc func,
                                      gpointer         user_data);
/* The app runs once per process: runs the current test path again in a
 * child (which sees g_test_subprocess ()) with @locale (NULL: this
 * process's) and asserts it passed. FALSE, and the test skipped, when the
 * system lacks the locale. */
gboolean bendi_app_test_trap_in_locale (const char *locale);
/* Whether the next bendi_app_test_run () starts as the very first start
 * does, on the welcome page; by default it starts as later ones do. */
void     bendi_app_test_set_first_run (gboolean is_first_run);

/* Iterates the main context until @condition holds; the test fails with
 * @what after @timeout_s seconds. */
typedef gboolean (*BendiAppTestCondition) (gpointer user_data);
void     bendi_app_test_wait         (BendiAppTestCondition condition,
                                      gpointer              user_data,
                                      double                timeout_s,
                                      const char           *what);
/* The same for a C expression. */
#define BENDI_APP_TEST_WAIT_UNTIL(expr, timeout_s) \
  G_STMT_START { \
    gint64 bendi_wait_deadline_ = g_get_monotonic_time () + (gint64) ((timeout_s) * G_USEC_PER_SEC); \
    guint bendi_wait_tick_ = g_timeout_add (10, bendi_app_test_wake_cb, NULL); \
    while (!(expr)) \
      { \
        if (g_get_monotonic_time () > bendi_wait_deadline_) \
          g_error ("%s:%d: timed out after %g s waiting for %s", __FILE__, __LINE__, (double) (timeout_s), #expr); \
        g_main_context_iteration (NULL, TRUE); \
      } \
    g_source_remove (bendi_wait_tick_); \
  } G_STMT_END
gboolean bendi_app_test_wake_cb      (gpointer user_data);

/* Lets pending events and one frame through. */
void     bendi_app_test_flush        (BendiWindow *window);

/* The first descendant of @root (itself included) of type @type for
 * which @match (may be NULL) returns TRUE. */
typedef gboolean (*BendiAppTestMatch) (GtkWidget *widget,
                                       gpointer   user_data);
GtkWidget *bendi_app_test_find       (GtkWidget        *root,
                                      GType             type,
                                      BendiAppTestMatch match,
                                      gpointer          user_data);
/* Every such descendant, in tree order (the array is new, the widgets are
 * not referenced). */
GPtrArray *bendi_app_test_find_all   (GtkWidget        *root,
                                      GType             type,
                                      BendiAppTestMatch match,
                                      gpointer          user_data) G_GNUC_WARN_UNUSED_RESULT;
/* A BendiAppTestMatch for an AdwPreferencesRow whose title is @user_data
 * (a string). */
gboolean   bendi_app_test_row_has_title (GtkWidget *widget,
                                         gpointer   user_data);
/* The same for a GtkButton whose label (with its mnemonic) is @user_data. */
gboolean   bendi_app_test_button_has_label (GtkWidget *widget,
                                            gpointer   user_data);
/* Whether @page's last message is a reply that has ended (not streaming)
 * and the runner is ready for the next; FALSE while it has no
 * conversation. */
gboolean   bendi_app_test_reply_finished (BendiChatPage *page);
/* The row of @page's last message (asserted to be one). */
BendiMessageRow *bendi_app_test_last_message_row (BendiChatPage *page);

/* The first GtkLabel (or AdwWindowTitle title) below @root whose text is @text. */
GtkWidget *bendi_app_test_find_label (GtkWidget  *root,
                                      const char *text);

/* Draws @widget as it is on screen into a PNG at @path. */
void       bendi_app_test_screenshot (GtkWidget  *widget,
                                      const char *path);

/* Main-loop stalls: a 5 ms timer records how late the main loop runs it,
 * which is how long the loop was busy with something else. */
typedef struct _BendiStallMeter BendiStallMeter;
BendiStallMeter *bendi_stall_meter_start (void);
/* Stops and frees the meter; the longest stall (wall clock, which includes
 * waiting for a busy processor), the longest the main thread itself worked
 * between two ticks (its CPU time, which does not), and the ticks seen. */
void             bendi_stall_meter_stop  (BendiStallMeter *self,
                                          double          *max_stall_ms,
                                          double          *max_busy_ms,
                                          guint           *n_ticks);

G_END_DECLS
