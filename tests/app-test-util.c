/* SPDX-License-Identifier: MIT */
/* Helpers for the GUI tests: a private Xvfb, the app run in-process, waiting on conditions with deadlines. */
#include "app-test-util.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <fcntl.h>
#include <locale.h>
#include <glib-unix.h>
#include <glib/gstdio.h>

#include "chat-page-private.h"
#include "test-util.h"

static char *test_home;
static GPid xvfb_pid;

static void
xvfb_child_setup (gpointer user_data G_GNUC_UNUSED)
{
  /* The server goes when the test goes, even when the test crashes. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static void
stop_xvfb (void)
{
  if (xvfb_pid > 0)
    {
      kill (xvfb_pid, SIGTERM);
      g_spawn_close_pid (xvfb_pid);
      xvfb_pid = 0;
    }
}

/* Starts Xvfb on a display it picks itself and sets DISPLAY. */
static gboolean
start_xvfb (void)
{
  g_autofree char *xvfb = g_find_program_in_path ("Xvfb");
  g_autoptr (GError) error = NULL;
  int fds[2];
  int source_fds[1], target_fds[1] = { 3 };
  const char *argv[] = { NULL, "-displayfd", "3", "-screen", "0", "1280x1024x24", "-nolisten", "tcp",
                         "-noreset", NULL };
  char number[32] = { 0 };
  gsize len = 0;
  struct pollfd pfd;
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  if (xvfb == NULL)
    return FALSE;
  argv[0] = xvfb;
  if (!g_unix_open_pipe (fds, FD_CLOEXEC, &error))
    g_error ("pipe: %s", error->message);
  source_fds[0] = fds[1];
  if (!g_spawn_async_with_pipes_and_fds (NULL, argv, NULL,
                                         G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                                         G_SPAWN_STDERR_TO_DEV_NULL,
                                         xvfb_child_setup, NULL, -1, -1, -1,
                                         source_fds, target_fds, 1, &xvfb_pid,
                                         NULL, NULL, NULL, &error))
    g_error ("could not start Xvfb: %s", error->message);
  close (fds[1]);

  /* Xvfb writes the display number and a newline once it accepts clients. */
  pfd.fd = fds[0];
  pfd.events = POLLIN;
  while (len < sizeof number - 1 && memchr (number, '\n', len) == NULL)
    {
      int timeout_ms = (int) ((deadline - g_get_monotonic_time ()) / 1000);
      ssize_t n;

      if (timeout_ms <= 0 || poll (&pfd, 1, timeout_ms) <= 0)
        g_error ("Xvfb did not say its display within 30 s");
      n = read (fds[0], number + len, sizeof number - 1 - len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        g_error ("Xvfb exited before it said its display");
      len += (gsize) n;
    }
  close (fds[0]);
  g_strstrip (number);
  {
    g_autofree char *display = g_strdup_printf (":%s", number);

    g_setenv ("DISPLAY", display, TRUE);
  }
  atexit (stop_xvfb);
  return TRUE;
}

void
bendi_app_test_init (int    *argc,
                     char ***argv)
{
  g_test_init (argc, argv, NULL);

  if (!g_test_subprocess ())
    {
      const char *dirs[][2] = {
        { "XDG_DATA_HOME", "data" },
        { "XDG_CONFIG_HOME", "config" },
        { "XDG_CACHE_HOME", "cache" },
        { "XDG_STATE_HOME", "state" },
        { "XDG_RUNTIME_DIR", "runtime" },
      };

      /* Mesa's shader cache stays where it was: it holds the driver's
       * compiled code, not the app's state, and without it every window
       * that loads onto lavapipe compiles its shaders cold. (Mesa adds
       * "mesa_shader_cache" to the folder it is given, as it does to
       * XDG_CACHE_HOME.) */
      if (g_getenv ("MESA_SHADER_CACHE_DIR") == NULL)
        {
          g_autofree char *cache_home = NULL;

          if (g_getenv ("XDG_CACHE_HOME") != NULL && g_path_is_absolute (g_getenv ("XDG_CACHE_HOME")))
            cache_home = g_strdup (g_getenv ("XDG_CACHE_HOME"));
          else if (g_getenv ("HOME") != NULL)
            cache_home = g_build_filename (g_getenv ("HOME"), ".cache", NULL);
          if (cache_home != NULL)
            g_setenv ("MESA_SHADER_CACHE_DIR", cache_home, TRUE);
        }

      /* The subprocesses of a test share one home, so that what one saves
       * the next can read back. */
      test_home = bendi_test_make_temp_dir ();
      for (gsize i = 0; i < G_N_ELEMENTS (dirs); i++)
        {
          g_autofree char *dir = g_build_filename (test_home, dirs[i][1], NULL);

          g_mkdir_with_parents (dir, 0700);
          g_setenv (dirs[i][0], dir, TRUE);
        }
      g_setenv ("BENDI_APP_TEST_HOME", test_home, TRUE);

      g_setenv ("GDK_BACKEND", "x11", TRUE);
      g_setenv ("GSK_RENDERER", "cairo", TRUE);
      g_setenv ("GTK_A11Y", "none", TRUE);
      g_setenv ("NO_AT_BRIDGE", "1", TRUE);
      g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
      g_setenv ("GIO_USE_VFS", "local", TRUE);
      g_setenv ("GTK_IM_MODULE", "gtk-im-context-simple", TRUE);
      /* No session bus: the app runs as a non-unique instance. */
      g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bendi-test-bus", TRUE);
      if (g_getenv ("BENDI_TEST_USE_DISPLAY") == NULL || g_getenv ("DISPLAY") == NULL)
        {
          g_unsetenv ("DISPLAY");
          g_unsetenv ("WAYLAND_DISPLAY");
          start_xvfb ();
        }
    }
  else
    test_home = g_strdup (g_getenv ("BENDI_APP_TEST_HOME"));
}

int
bendi_app_test_run_tests (void)
{
  int status = g_test_run ();

  if (!g_test_subprocess ())
    bendi_test_remove_dir (test_home);
  g_clear_pointer (&test_home, g_free);
  return status;
}

gboolean
bendi_app_test_have_display (void)
{
  if (g_getenv ("DISPLAY") == NULL)
    {
      g_test_skip ("no X server: install Xvfb to run the GUI tests");
      return FALSE;
    }
  return TRUE;
}

const char *
bendi_app_test_get_home (void)
{
  return test_home;
}

gboolean
bendi_app_test_wake_cb (gpointer user_data G_GNUC_UNUSED)
{
  return G_SOURCE_CONTINUE;
}

void
bendi_app_test_wait (BendiAppTestCondition condition,
                     gpointer              user_data,
                     double                timeout_s,
                     const char           *what)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) (timeout_s * G_USEC_PER_SEC);
  guint tick = g_timeout_add (10, bendi_app_test_wake_cb, NULL);

  while (!condition (user_data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out after %g s waiting for %s", timeout_s, what);
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (tick);
}

static gboolean
frame_drawn_cb (GtkWidget     *widget G_GNUC_UNUSED,
                GdkFrameClock *clock G_GNUC_UNUSED,
                gpointer       user_data)
{
  guint *frames = user_data;

  (*frames)++;
  return G_SOURCE_CONTINUE;
}

void
bendi_app_test_flush (BendiWindow *window)
{
  guint frames = 0;
  guint id;

  while (g_main_context_iteration (NULL, FALSE))
    ;
  gtk_widget_queue_draw (GTK_WIDGET (window));
  id = gtk_widget_add_tick_callback (GTK_WIDGET (window), frame_drawn_cb, &frames, NULL);
  BENDI_APP_TEST_WAIT_UNTIL (frames >= 2, 10);
  gtk_widget_remove_tick_callback (GTK_WIDGET (window), id);
}

typedef struct
{
  BendiAppTestFunc func;
  gpointer         user_data;
  gboolean         ran;
  gint64           started;   /* monotonic µs when the app was made */
} RunData;

static gboolean
window_ready (gpointer user_data)
{
  GtkApplication *app = user_data;
  GtkWindow *window = gtk_application_get_active_window (app);

  return window != NULL && gtk_widget_get_mapped (GTK_WIDGET (window));
}

static void
activate_after_cb (GApplication *app,
                   RunData      *data)
{
  GtkWindow *window;

  /* Run once, from the main loop that g_application_run () spins. */
  if (data->ran)
    return;
  data->ran = TRUE;
  bendi_app_test_wait (window_ready, app, 30, "the main window to be mapped");
  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_assert_true (BENDI_IS_WINDOW (window));
  bendi_app_test_flush (BENDI_WINDOW (window));
  /* Start-up to the first frames, for the record (never asserted): what
   * meson's test log keeps of every GUI test. */
  g_printerr ("BENDI-METRIC startup-to-first-frame-ms %.1f\n", (g_get_monotonic_time () - data->started) / 1000.0);

  data->func (BENDI_APPLICATION (app), BENDI_WINDOW (window), data->user_data);

  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
}

static gboolean first_run;

gboolean
bendi_app_test_trap_in_locale (const char *locale)
{
  if (locale != NULL)
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
    }
  g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC,
                          G_TEST_SUBPROCESS_INHERIT_STDOUT | G_TEST_SUBPROCESS_INHERIT_STDERR);
  if (locale != NULL)
    g_unsetenv ("LC_ALL");
  g_test_trap_assert_passed ();
  return TRUE;
}

void
bendi_app_test_set_first_run (gboolean is_first_run)
{
  first_run = is_first_run;
}

void
bendi_app_test_run (BendiAppTestFunc func,
                    gpointer         user_data)
{
  g_autoptr (BendiApplication) app = NULL;
  g_autoptr (GSettings) settings = g_settings_new (BENDI_APP_ID);
  RunData data = { func, user_data, FALSE, g_get_monotonic_time () };
  char *argv[] = { (char *) "bendi", NULL };
  int status;

  /* The memory backend is shared by the whole process, so this is what the
   * window reads. */
  g_settings_set_boolean (settings, "show-welcome", first_run);
  bendi_application_init_i18n ();
  app = bendi_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_signal_connect_after (app, "activate", G_CALLBACK (activate_after_cb), &data);
  status = g_application_run (G_APPLICATION (app), 1, argv);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (data.ran);
  g_assert_null (gtk_application_get_windows (GTK_APPLICATION (app)));
}

GtkWidget *
bendi_app_test_find (GtkWidget        *root,
                     GType             type,
                     BendiAppTestMatch match,
                     gpointer          user_data)
{
  if (root == NULL)
    return NULL;
  if (g_type_is_a (G_OBJECT_TYPE (root), type) && (match == NULL || match (root, user_data)))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = bendi_app_test_find (child, type, match, user_data);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
find_all (GtkWidget        *root,
          GType             type,
          BendiAppTestMatch match,
          gpointer          user_data,
          GPtrArray        *found)
{
  if (g_type_is_a (G_OBJECT_TYPE (root), type) && (match == NULL || match (root, user_data)))
    g_ptr_array_add (found, root);
  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    find_all (child, type, match, user_data, found);
}

GPtrArray *
bendi_app_test_find_all (GtkWidget        *root,
                         GType             type,
                         BendiAppTestMatch match,
                         gpointer          user_data)
{
  GPtrArray *found = g_ptr_array_new ();

  if (root != NULL)
    find_all (root, type, match, user_data, found);
  return found;
}

gboolean
bendi_app_test_row_has_title (GtkWidget *widget,
                              gpointer   user_data)
{
  return g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), user_data) == 0;
}

gboolean
bendi_app_test_button_has_label (GtkWidget *widget,
                                 gpointer   user_data)
{
  return g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), user_data) == 0;
}

gboolean
bendi_app_test_reply_finished (BendiChatPage *page)
{
  BendiChatMessage *last = page->conversation != NULL ? bendi_conversation_get_last (page->conversation) : NULL;

  return last != NULL && !bendi_chat_message_is_user (last) &&
         bendi_chat_message_get_status (last) != BENDI_MESSAGE_STREAMING &&
         bendi_chat_runner_get_state (page->runner) == BENDI_CHAT_RUNNER_READY;
}

BendiMessageRow *
bendi_app_test_last_message_row (BendiChatPage *page)
{
  GtkWidget *row = gtk_widget_get_last_child (GTK_WIDGET (page->message_box));

  g_assert_true (BENDI_IS_MESSAGE_ROW (row));
  return BENDI_MESSAGE_ROW (row);
}

static gboolean
label_has_text (GtkWidget *widget,
                gpointer   user_data)
{
  if (GTK_IS_LABEL (widget))
    return g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), user_data) == 0;
  return g_strcmp0 (adw_window_title_get_title (ADW_WINDOW_TITLE (widget)), user_data) == 0;
}

GtkWidget *
bendi_app_test_find_label (GtkWidget  *root,
                           const char *text)
{
  GtkWidget *found = bendi_app_test_find (root, GTK_TYPE_LABEL, label_has_text, (gpointer) text);

  if (found == NULL)
    found = bendi_app_test_find (root, ADW_TYPE_WINDOW_TITLE, label_has_text, (gpointer) text);
  return found;
}

void
bendi_app_test_screenshot (GtkWidget  *widget,
                           const char *path)
{
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr (GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));

  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_true (gdk_texture_save_to_png (texture, path));
}

struct _BendiStallMeter
{
  guint  source;
  gint64 last;
  gint64 max_gap;
  gint64 last_cpu;
  gint64 max_cpu_gap;
  guint  n_ticks;
};

#define STALL_INTERVAL_MS 5

/* The main thread's own CPU time, in µs: unlike the wall clock, it does not
 * grow while other programs have the processor. */
static gint64
thread_cpu_time (void)
{
  struct timespec now;

  if (clock_gettime (CLOCK_THREAD_CPUTIME_ID, &now) != 0)
    return 0;
  return (gint64) now.tv_sec * G_USEC_PER_SEC + now.tv_nsec / 1000;
}

static gboolean
stall_tick_cb (gpointer user_data)
{
  BendiStallMeter *self = user_data;
  gint64 now = g_get_monotonic_time ();
  gint64 cpu = thread_cpu_time ();

  self->max_gap = MAX (self->max_gap, now - self->last);
  self->max_cpu_gap = MAX (self->max_cpu_gap, cpu - self->last_cpu);
  self->last = now;
  self->last_cpu = cpu;
  self->n_ticks++;
  return G_SOURCE_CONTINUE;
}

BendiStallMeter *
bendi_stall_meter_start (void)
{
  BendiStallMeter *self = g_new0 (BendiStallMeter, 1);

  self->last = g_get_monotonic_time ();
  self->last_cpu = thread_cpu_time ();
  /* Default priority, as redraws and input are: a stall here is one the
   * user would see. */
  self->source = g_timeout_add (STALL_INTERVAL_MS, stall_tick_cb, self);
  return self;
}

void
bendi_stall_meter_stop (BendiStallMeter *self,
                        double          *max_stall_ms,
                        double          *max_busy_ms,
                        guint           *n_ticks)
{
  stall_tick_cb (self);
  g_source_remove (self->source);
  /* The timer's own interval is not a stall. */
  *max_stall_ms = MAX (0.0, (double) self->max_gap / 1000.0 - STALL_INTERVAL_MS);
  *max_busy_ms = (double) self->max_cpu_gap / 1000.0;
  *n_ticks = self->n_ticks;
  g_free (self);
}
