/* SPDX-License-Identifier: MIT */
/* The welcome page: probes this computer (and measures its memory speed once), then picks a fast, a good and a Chinese-speaking model that fit. */
#define G_LOG_DOMAIN "bendi-app"

#include "welcome-page.h"

#include <glib/gi18n.h>

#include "app-state.h"
#include "catalogue-fit.h"
#include "quant-advisor.h"
#include "welcome-card.h"

/* Fast enough to feel instant in a chat: about three times reading speed. */
#define FAST_TOKENS_PER_S 20.0
/* Without a measured bandwidth: what usually runs at a usable speed on the
 * processor of a recent computer (a 7B model at Q4_K_M). */
#define UNMEASURED_USABLE_BYTES ((guint64) 6 * 1000 * 1000 * 1000)
#define UNMEASURED_FAST_PARAMS ((gint64) 2000000000)

struct _BendiWelcomePage
{
  BendiPage      parent_instance;

  AdwHeaderBar  *header_bar;
  GtkLabel      *hardware_label;
  GtkStack      *stack;
  GtkSpinner    *spinner;
  GtkLabel      *loading_label;
  GtkListBox    *list;

  BendiAppState *state;
  GCancellable  *cancellable;
  gboolean       measured;        /* asked for the memory speed once */
  char          *picked;          /* the repositories shown, joined, to rebuild only on change */
};

G_DEFINE_FINAL_TYPE (BendiWelcomePage, bendi_welcome_page, BENDI_TYPE_PAGE)

static gboolean
is_for_chat (const BendiHubCatalogueEntry *entry)
{
  return g_strv_contains ((const char *const *) entry->tasks, "chat") ||
         g_strv_contains ((const char *const *) entry->tasks, "reasoning");
}

static gboolean
is_usable (const BendiCatalogueFit *fit)
{
  if (fit->verdict == BENDI_FIT_VERDICT_NO)
    return FALSE;
  if (fit->tokens_per_s > 0.0)
    return fit->tokens_per_s >= BENDI_ADVISOR_USABLE_TOKENS_PER_S;
  return fit->verdict == BENDI_FIT_VERDICT_GPU || fit->weights_bytes <= UNMEASURED_USABLE_BYTES;
}

void
bendi_welcome_page_choose (GPtrArray                    *catalogue,
                           const BendiHwInfo            *hw,
                           const BendiHubCatalogueEntry *picks[BENDI_WELCOME_N_PICKS])
{
  const BendiHubCatalogueEntry *fastest = NULL;
  double fastest_speed = 0.0;

  for (int i = 0; i < BENDI_WELCOME_N_PICKS; i++)
    picks[i] = NULL;

  /* Small and fast: the largest model that still writes quickly. */
  for (guint i = 0; i < catalogue->len; i++)
    {
      const BendiHubCatalogueEntry *entry = g_ptr_array_index (catalogue, i);
      BendiCatalogueFit fit;
      gboolean fast;

      if (!entry->supported || !is_for_chat (entry))
        continue;
      bendi_catalogue_fit_estimate (entry, hw, 0, &fit);
      if (fit.verdict == BENDI_FIT_VERDICT_NO)
        continue;
      fast = fit.tokens_per_s > 0.0 ? fit.tokens_per_s >= FAST_TOKENS_PER_S
                                    : entry->params_total <= UNMEASURED_FAST_PARAMS;
      if (fast && (picks[BENDI_WELCOME_PICK_FAST] == NULL ||
                   entry->params_total > picks[BENDI_WELCOME_PICK_FAST]->params_total))
        picks[BENDI_WELCOME_PICK_FAST] = entry;
      if (fastest == NULL || fit.tokens_per_s > fastest_speed ||
          (fit.tokens_per_s == fastest_speed && entry->params_total < fastest->params_total))
        {
          fastest = entry;
          fastest_speed = fit.tokens_per_s;
        }
    }
  /* A slow computer still gets its quickest model. */
  if (picks[BENDI_WELCOME_PICK_FAST] == NULL)
    picks[BENDI_WELCOME_PICK_FAST] = fastest;

  /* The best quality that fits at a usable speed: the most parameters at
   * work per token; then the best of those speaking Chinese. */
  for (int pick = BENDI_WELCOME_PICK_QUALITY; pick <= BENDI_WELCOME_PICK_CHINESE; pick++)
    for (guint i = 0; i < catalogue->len; i++)
      {
        const BendiHubCatalogueEntry *entry = g_ptr_array_index (catalogue, i);
        const BendiHubCatalogueEntry *best = picks[pick];
        BendiCatalogueFit fit;
        gboolean taken = FALSE;

        if (!entry->supported || !is_for_chat (entry))
          continue;
        if (pick == BENDI_WELCOME_PICK_CHINESE && !g_strv_contains ((const char *const *) entry->languages, "zh"))
          continue;
        for (int other = 0; other < pick; other++)
          taken |= picks[other] == entry;
        if (taken)
          continue;
        bendi_catalogue_fit_estimate (entry, hw, 0, &fit);
        if (!is_usable (&fit))
          continue;
        if (best == NULL || entry->params_active > best->params_active ||
            (entry->params_active == best->params_active && entry->params_total > best->params_total))
          picks[pick] = entry;
      }
}

static char *
describe_hardware (const BendiHwInfo *hw)
{
  const BendiHwGpu *gpu = bendi_catalogue_fit_offload_gpu (hw);
  g_autofree char *ram = g_format_size (hw->ram_total_bytes);
  g_autofree char *ram_free = g_format_size (hw->ram_available_bytes);

  if (gpu == NULL)
    /* TRANSLATORS: "This computer: 16.0 GB of RAM (9.2 GB free), no GPU Bendi can use." */
    return g_strdup_printf (_("This computer: %s of RAM (%s free), no GPU Bendi can use."), ram, ram_free);
  {
    g_autofree char *vram = g_format_size (gpu->vram_free_bytes);

    /* TRANSLATORS: "This computer: 32.0 GB of RAM (20.1 GB free) and a GeForce RTX 4060 with 7.6 GB free." */
    return g_strdup_printf (_("This computer: %s of RAM (%s free) and a %s with %s free."), ram, ram_free,
                            gpu->name, vram);
  }
}

static void
clear_list (BendiWelcomePage *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_list_box_remove (self->list, child);
}

static void
recommend (BendiWelcomePage *self)
{
  const BendiHwInfo *hw = bendi_app_state_get_hardware (self->state);
  GPtrArray *catalogue;
  const BendiHubCatalogueEntry *picks[BENDI_WELCOME_N_PICKS];
  const char *roles[BENDI_WELCOME_N_PICKS] = {
    _("Small and fast"), _("Best quality that fits"), _("Best for Chinese"),
  };
  g_autoptr (GString) picked = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *description = NULL;

  if (hw == NULL)
    return;
  description = describe_hardware (hw);
  gtk_label_set_text (self->hardware_label, description);
  catalogue = bendi_app_state_get_catalogue (self->state, &error);
  if (catalogue == NULL)
    {
      gtk_label_set_text (self->loading_label, error->message);
      gtk_spinner_stop (self->spinner);
      return;
    }
  bendi_welcome_page_choose (catalogue, hw, picks);
  for (int i = 0; i < BENDI_WELCOME_N_PICKS; i++)
    g_string_append_printf (picked, "%s\n", picks[i] != NULL ? picks[i]->repo_id : "");
  /* A new measurement may move the picks; otherwise the cards (and any
   * download they follow) stay. */
  if (g_strcmp0 (picked->str, self->picked) == 0)
    return;
  g_free (self->picked);
  self->picked = g_strdup (picked->str);

  clear_list (self);
  for (int i = 0; i < BENDI_WELCOME_N_PICKS; i++)
    if (picks[i] != NULL)
      {
        BendiCatalogueFit fit;

        bendi_catalogue_fit_estimate (picks[i], hw, 0, &fit);
        gtk_list_box_append (self->list, bendi_welcome_card_new (picks[i], &fit, roles[i]));
      }
  gtk_spinner_stop (self->spinner);
  gtk_stack_set_visible_child_name (self->stack, gtk_widget_get_first_child (GTK_WIDGET (self->list)) != NULL
                                                 ? "list" : "none");
}

static void
measured_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (GError) error = NULL;

  /* A cache that cannot be written is no reason not to recommend. */
  if (!bendi_app_state_measure_finish (BENDI_APP_STATE (object), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("The memory speed was not cached: %s", error->message);
  /* The page was kept alive while measuring. */
  g_object_unref (user_data);
}

static void
hardware_changed_cb (BendiWelcomePage *self)
{
  const BendiHwInfo *hw = bendi_app_state_get_hardware (self->state);

  if (hw == NULL)
    return;
  /* Speeds decide what is "fast": measure once, the first time (the
   * result is cached for every later start). */
  if (hw->cpu_bandwidth_gbps <= 0.0 && !self->measured)
    {
      self->measured = TRUE;
      gtk_label_set_text (self->loading_label, _("Measuring how fast this computer reads its memory…"));
      bendi_app_state_measure_async (self->state, BENDI_HW_MEASURE_CPU | BENDI_HW_MEASURE_GPUS, self->cancellable,
                                     measured_cb, g_object_ref (self));
      return;
    }
  recommend (self);
}

static void
bendi_welcome_page_shown (BendiPage *page)
{
  BendiWelcomePage *self = BENDI_WELCOME_PAGE (page);

  /* Seen once is enough: later starts open where the person left off. */
  g_settings_set_boolean (bendi_app_state_get_settings (self->state), "show-welcome", FALSE);
  bendi_app_state_probe_hardware (self->state);
  bendi_app_state_ensure_library (self->state);
  hardware_changed_cb (self);
}

static void
bendi_welcome_page_dispose (GObject *object)
{
  BendiWelcomePage *self = BENDI_WELCOME_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  if (self->state != NULL)
    g_signal_handlers_disconnect_by_data (self->state, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), BENDI_TYPE_WELCOME_PAGE);

  G_OBJECT_CLASS (bendi_welcome_page_parent_class)->dispose (object);
}

static void
bendi_welcome_page_finalize (GObject *object)
{
  BendiWelcomePage *self = BENDI_WELCOME_PAGE (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->state);
  g_free (self->picked);

  G_OBJECT_CLASS (bendi_welcome_page_parent_class)->finalize (object);
}

static void
bendi_welcome_page_class_init (BendiWelcomePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  BendiPageClass *page_class = BENDI_PAGE_CLASS (klass);

  object_class->dispose = bendi_welcome_page_dispose;
  object_class->finalize = bendi_welcome_page_finalize;
  page_class->shown = bendi_welcome_page_shown;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/bendi/Bendi/welcome-page.ui");
  gtk_widget_class_bind_template_child (widget_class, BendiWelcomePage, header_bar);
  gtk_widget_class_bind_template_child (widget_class, BendiWelcomePage, hardware_label);
  gtk_widget_class_bind_template_child (widget_class, BendiWelcomePage, stack);
  gtk_widget_class_bind_template_child (widget_class, BendiWelcomePage, spinner);
  gtk_widget_class_bind_template_child (widget_class, BendiWelcomePage, loading_label);
  gtk_widget_class_bind_template_child (widget_class, BendiWelcomePage, list);
}

static void
bendi_welcome_page_init (BendiWelcomePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  bendi_page_set_header_bar (BENDI_PAGE (self), self->header_bar);

  self->cancellable = g_cancellable_new ();
  self->state = g_object_ref (bendi_app_state_get_default ());
  gtk_label_set_text (self->loading_label, _("Looking at this computer…"));
  gtk_spinner_start (self->spinner);
  g_signal_connect_swapped (self->state, "notify::hardware", G_CALLBACK (hardware_changed_cb), self);
}
