/* SPDX-License-Identifier: MIT */
/* The rows of remote models and of their servers' states, alike in My Models and the chat's model list. */
#include "remote-row.h"

#include <adwaita.h>
#include <glib/gi18n.h>

GtkWidget *
bendi_remote_row_new (const char *icon_name,
                      const char *title,
                      const char *subtitle)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *icon = gtk_image_new_from_icon_name (icon_name);

  /* The icon says "remote" to sight; the subtitle says it in words. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (icon), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Remote"), -1);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  return row;
}

GtkWidget *
bendi_remote_row_new_state (const BendiRemoteEndpoint *endpoint)
{
  const char *name = endpoint->connection->name;
  g_autofree char *title = NULL;
  GtkWidget *row;

  switch (endpoint->state)
    {
    case BENDI_REMOTE_ENDPOINT_LISTING:
      /* TRANSLATORS: %s is the name of a connection to a server */
      title = g_strdup_printf (_("Asking %s…"), name);
      row = bendi_remote_row_new ("network-server-symbolic", title, endpoint->connection->base_url);
      break;
    case BENDI_REMOTE_ENDPOINT_FAILED:
      /* TRANSLATORS: %s is the name of a connection to a server that did not answer */
      title = g_strdup_printf (_("%s is unreachable"), name);
      row = bendi_remote_row_new ("network-offline-symbolic", title, endpoint->error->message);
      break;
    case BENDI_REMOTE_ENDPOINT_LISTED:
    default:
      return NULL;
    }
  gtk_widget_set_sensitive (row, FALSE);
  return row;
}
