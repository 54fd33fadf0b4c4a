/* SPDX-License-Identifier: MIT */
/* One home for turning a GError into words a person can act on, for status pages, rows and toasts. */
#define G_LOG_DOMAIN "bendi-app"

#include "app-error.h"

#include <gio/gio.h>
#include <glib/gi18n.h>

#include "engine-error.h"
#include "hub-error.h"

BendiAppErrorKind
bendi_app_error_get_kind (const GError *error)
{
  if (error == NULL)
    return BENDI_APP_ERROR_KIND_OTHER;
  if (error->domain == BENDI_HUB_ERROR)
    switch ((BendiHubError) error->code)
      {
      case BENDI_HUB_ERROR_NETWORK:
        return g_network_monitor_get_network_available (g_network_monitor_get_default ())
               ? BENDI_APP_ERROR_KIND_UNREACHABLE : BENDI_APP_ERROR_KIND_OFFLINE;
      case BENDI_HUB_ERROR_HTTP:
      case BENDI_HUB_ERROR_INVALID_RESPONSE:
        return BENDI_APP_ERROR_KIND_UNREACHABLE;
      case BENDI_HUB_ERROR_GATED:
      case BENDI_HUB_ERROR_UNAUTHORIZED:
        return BENDI_APP_ERROR_KIND_ACCESS;
      case BENDI_HUB_ERROR_NOT_FOUND:
        return BENDI_APP_ERROR_KIND_NOT_FOUND;
      case BENDI_HUB_ERROR_NO_SPACE:
      case BENDI_HUB_ERROR_IO:
        return BENDI_APP_ERROR_KIND_DISK;
      case BENDI_HUB_ERROR_CHECKSUM_MISMATCH:
        return BENDI_APP_ERROR_KIND_CORRUPT;
      case BENDI_HUB_ERROR_UNSAFE_PATH:
      case BENDI_HUB_ERROR_UNVERIFIABLE:
      case BENDI_HUB_ERROR_INVALID_ARGUMENT:
      default:
        return BENDI_APP_ERROR_KIND_OTHER;
      }
  if (error->domain == BENDI_ENGINE_ERROR)
    switch ((BendiEngineError) error->code)
      {
      case BENDI_ENGINE_ERROR_INVALID_FILE:
      case BENDI_ENGINE_ERROR_INCOMPLETE:
        return BENDI_APP_ERROR_KIND_CORRUPT;
      case BENDI_ENGINE_ERROR_UNSUPPORTED:
        return BENDI_APP_ERROR_KIND_UNSUPPORTED;
      case BENDI_ENGINE_ERROR_IO:
        return BENDI_APP_ERROR_KIND_DISK;
      default:
        return BENDI_APP_ERROR_KIND_OTHER;
      }
  if (error->domain == G_IO_ERROR)
    switch (error->code)
      {
      case G_IO_ERROR_NETWORK_UNREACHABLE:
      case G_IO_ERROR_HOST_UNREACHABLE:
        return BENDI_APP_ERROR_KIND_OFFLINE;
      case G_IO_ERROR_CONNECTION_REFUSED:
      case G_IO_ERROR_TIMED_OUT:
      case G_IO_ERROR_HOST_NOT_FOUND:
        return BENDI_APP_ERROR_KIND_UNREACHABLE;
      case G_IO_ERROR_NO_SPACE:
      case G_IO_ERROR_PERMISSION_DENIED:
        return BENDI_APP_ERROR_KIND_DISK;
      case G_IO_ERROR_NOT_FOUND:
        return BENDI_APP_ERROR_KIND_NOT_FOUND;
      default:
        break;
      }
  return BENDI_APP_ERROR_KIND_OTHER;
}

const char *
bendi_app_error_icon_name (BendiAppErrorKind kind)
{
  switch (kind)
    {
    case BENDI_APP_ERROR_KIND_OFFLINE:
      return "network-offline-symbolic";
    case BENDI_APP_ERROR_KIND_UNREACHABLE:
      return "network-error-symbolic";
    case BENDI_APP_ERROR_KIND_ACCESS:
      return "channel-secure-symbolic";
    case BENDI_APP_ERROR_KIND_NOT_FOUND:
      return "edit-find-symbolic";
    case BENDI_APP_ERROR_KIND_DISK:
      return "drive-harddisk-symbolic";
    case BENDI_APP_ERROR_KIND_CORRUPT:
    case BENDI_APP_ERROR_KIND_UNSUPPORTED:
    case BENDI_APP_ERROR_KIND_OTHER:
    default:
      return "dialog-warning-symbolic";
    }
}

void
bendi_app_error_describe (const GError  *error,
                          char         **title,
                          char         **description)
{
  BendiAppErrorKind kind = bendi_app_error_get_kind (error);
  const char *message = error != NULL ? error->message : "";
  const char *hint;

  switch (kind)
    {
    case BENDI_APP_ERROR_KIND_OFFLINE:
      *title = g_strdup (_("No Internet Connection"));
      hint = _("Connect to the internet to search and download models. The catalogue and the models on this "
               "computer work offline.");
      *description = g_strdup (hint);
      return;
    case BENDI_APP_ERROR_KIND_UNREACHABLE:
      *title = g_strdup (_("The Model Hub Cannot Be Reached"));
      hint = _("Try again later, or set a mirror of the hub in Preferences.");
      break;
    case BENDI_APP_ERROR_KIND_ACCESS:
      *title = g_strdup (_("Access Needed"));
      hint = _("This model needs an accepted license: accept it on the model's page on the hub, then add your "
               "access token in Preferences.");
      break;
    case BENDI_APP_ERROR_KIND_NOT_FOUND:
      *title = g_strdup (_("Not Found"));
      hint = _("The hub has no such model or file; it may have been renamed or removed.");
      break;
    case BENDI_APP_ERROR_KIND_DISK:
      *title = g_strdup (_("Cannot Write to the Disk"));
      hint = _("Free some disk space, or choose another models folder in Preferences.");
      break;
    case BENDI_APP_ERROR_KIND_CORRUPT:
      *title = g_strdup (_("Damaged File"));
      hint = _("The file is damaged or is not a GGUF model. Download it again.");
      break;
    case BENDI_APP_ERROR_KIND_UNSUPPORTED:
      *title = g_strdup (_("Not Supported Yet"));
      hint = _("Bendi cannot run this model yet.");
      break;
    case BENDI_APP_ERROR_KIND_OTHER:
    default:
      *title = g_strdup (_("Something Went Wrong"));
      hint = NULL;
      break;
    }
  if (hint == NULL)
    *description = g_strdup (message);
  else
    /* TRANSLATORS: a hint, then the technical reason: "Try again later. (connection refused)" */
    *description = g_strdup_printf (_("%s (%s)"), hint, message);
}
