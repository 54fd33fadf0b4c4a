/* SPDX-License-Identifier: MIT */
/* The Bendi application: app-wide actions (quit, about) and the keyboard accelerators. */
#define G_LOG_DOMAIN "bendi-app"

#include "application.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "window.h"

struct _BendiApplication
{
  AdwApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (BendiApplication, bendi_application, ADW_TYPE_APPLICATION)

static void
quit_activated_cb (GSimpleAction *action G_GNUC_UNUSED,
                   GVariant      *parameter G_GNUC_UNUSED,
                   gpointer       user_data)
{
  GApplication *app = user_data;
  GList *windows;

  /* Closing first lets each window save its size and stop its work. */
  while ((windows = gtk_application_get_windows (GTK_APPLICATION (app))) != NULL)
    gtk_window_destroy (GTK_WINDOW (windows->data));
  g_application_quit (app);
}

static void
about_activated_cb (GSimpleAction *action G_GNUC_UNUSED,
                    GVariant      *parameter G_GNUC_UNUSED,
                    gpointer       user_data)
{
  GtkApplication *app = user_data;
  const char *developers[] = { _("The Bendi developers"), NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", gtk_application_get_active_window (app),
                        "modal", TRUE,
                        "application-name", _("Bendi"),
                        "application-icon", BENDI_APP_ID,
                        "version", BENDI_VERSION,
                        "developer-name", _("The Bendi developers"),
                        "developers", developers,
                        "comments", _("Run large language models on your own computer: nothing leaves it."),
                        "license-type", GTK_LICENSE_MIT_X11,
                        /* TRANSLATORS: your names, one per line, shown in the About window */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static const GActionEntry app_actions[] = {
  { "quit", quit_activated_cb, NULL, NULL, NULL },
  { "about", about_activated_cb, NULL, NULL, NULL },
};

static void
bendi_application_activate (GApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    window = GTK_WINDOW (bendi_window_new (BENDI_APPLICATION (app)));
  gtk_window_present (window);
}

static void
bendi_application_startup (GApplication *app)
{
  static const struct {
    const char *action;
    const char *accels[3];
  } accels[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "window.close", { "<Control>w", NULL } },
    { "win.new-chat", { "<Control>n", NULL } },
    { "win.navigate-back", { "<Alt>Left", NULL } },
    { "win.show-page('chat')", { "<Alt>1", NULL } },
    { "win.show-page('discover')", { "<Alt>2", NULL } },
    { "win.show-page('models')", { "<Alt>3", NULL } },
    { "win.show-page('downloads')", { "<Alt>4", NULL } },
    { "win.show-page('hardware')", { "<Alt>5", NULL } },
    { "win.preferences", { "<Control>comma", NULL } },
  };

  G_APPLICATION_CLASS (bendi_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions, G_N_ELEMENTS (app_actions), app);
  for (gsize i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (app), accels[i].action, accels[i].accels);
  /* The window title, the task switcher and the About window say the
   * translated name: "本地" in Chinese. */
  g_set_application_name (_("Bendi"));
  gtk_window_set_default_icon_name (BENDI_APP_ID);
}

static void
bendi_application_class_init (BendiApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->activate = bendi_application_activate;
  app_class->startup = bendi_application_startup;
}

static void
bendi_application_init (BendiApplication *self G_GNUC_UNUSED)
{
}

void
bendi_application_init_i18n (void)
{
  const char *localedir = g_getenv ("BENDI_LOCALEDIR");

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL && *localedir != '\0' ? localedir : BENDI_LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}

BendiApplication *
bendi_application_new (void)
{
  return g_object_new (BENDI_TYPE_APPLICATION,
                       "application-id", BENDI_APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/io/github/bendi/Bendi",
                       NULL);
}
