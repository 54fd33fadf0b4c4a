/* SPDX-License-Identifier: MIT */
/* Fit badges: the estimator's verdict as a short coloured label, the same on every page. */
#define G_LOG_DOMAIN "bendi-app"

#include "fit-badge.h"

#include <glib/gi18n.h>

static const char *const verdict_classes[] = { "fit-gpu", "fit-partial", "fit-cpu", "fit-no", "fit-neutral",
                                               "fit-error" };

char *
bendi_fit_badge_text (BendiFitVerdict verdict,
                      gint64          gpu_layers,
                      gint64          n_layers)
{
  switch (verdict)
    {
    case BENDI_FIT_VERDICT_GPU:
      return g_strdup (_("Fits on the GPU"));
    case BENDI_FIT_VERDICT_PARTIAL:
      /* A guess from the parameter count knows no layer counts. */
      if (n_layers <= 0)
        return g_strdup (_("Partly on the GPU"));
      /* TRANSLATORS: part of a model on the graphics card: "Partial: 20 of 32 layers on the GPU" */
      return g_strdup_printf (_("Partial: %d of %d layers on the GPU"), (int) gpu_layers, (int) n_layers);
    case BENDI_FIT_VERDICT_CPU:
      return g_strdup (_("CPU only"));
    case BENDI_FIT_VERDICT_NO:
    default:
      return g_strdup (_("Does not fit"));
    }
}

GtkWidget *
bendi_fit_badge_new (void)
{
  GtkWidget *badge = gtk_label_new (NULL);

  gtk_widget_add_css_class (badge, "fit-badge");
  gtk_widget_add_css_class (badge, "caption");
  gtk_widget_set_valign (badge, GTK_ALIGN_CENTER);
  gtk_label_set_ellipsize (GTK_LABEL (badge), PANGO_ELLIPSIZE_END);
  return badge;
}

static void
set_class (GtkWidget  *badge,
           const char *css_class)
{
  for (gsize i = 0; i < G_N_ELEMENTS (verdict_classes); i++)
    gtk_widget_remove_css_class (badge, verdict_classes[i]);
  gtk_widget_add_css_class (badge, css_class);
}

void
bendi_fit_badge_set (GtkWidget      *badge,
                     BendiFitVerdict verdict,
                     gint64          gpu_layers,
                     gint64          n_layers)
{
  g_autofree char *text = bendi_fit_badge_text (verdict, gpu_layers, n_layers);

  g_return_if_fail (GTK_IS_LABEL (badge));

  gtk_label_set_text (GTK_LABEL (badge), text);
  set_class (badge, verdict_classes[MIN ((guint) verdict, 3u)]);
  gtk_widget_set_visible (badge, TRUE);
}

void
bendi_fit_badge_set_text (GtkWidget  *badge,
                          const char *text,
                          gboolean    is_error)
{
  g_return_if_fail (GTK_IS_LABEL (badge));

  gtk_label_set_text (GTK_LABEL (badge), text);
  set_class (badge, is_error ? "fit-error" : "fit-neutral");
  gtk_widget_set_visible (badge, text != NULL && *text != '\0');
}
