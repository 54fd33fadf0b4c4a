/* SPDX-License-Identifier: MIT */
/* Model cards: what a person needs to choose a model at a glance, in their language. */
#define G_LOG_DOMAIN "bendi-app"

#include "model-card.h"

#include <glib/gi18n.h>

#include "app-format.h"
#include "catalogue-fit.h"
#include "fit-badge.h"

struct _BendiModelCard
{
  GtkListBoxRow           parent_instance;

  GtkLabel               *name_label;
  GtkLabel               *facts_label;
  GtkLabel               *description_label;
  GtkBox                 *badges;
  GtkWidget              *support_badge;
  GtkWidget              *fit_badge;

  BendiHubCatalogueEntry *entry;
  BendiHubModel          *hub_model;
};

G_DEFINE_FINAL_TYPE (BendiModelCard, bendi_model_card, GTK_TYPE_LIST_BOX_ROW)

static void
append_fact (GString    *facts,
             const char *fact)
{
  if (fact == NULL || *fact == '\0')
    return;
  if (facts->len > 0)
    g_string_append (facts, " · ");
  g_string_append (facts, fact);
}

static void
set_supported (BendiModelCard *self,
               gboolean        supported)
{
  bendi_fit_badge_set_text (self->support_badge, supported ? _("Runs in Bendi") : _("Not supported yet"),
                            !supported);
}

static void
bendi_model_card_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), BENDI_TYPE_MODEL_CARD);

  G_OBJECT_CLASS (bendi_model_card_parent_class)->dispose (object);
}

static void
bendi_model_card_finalize (GObject *object)
{
  BendiModelCard *self = BENDI_MODEL_CARD (object);

  g_clear_pointer (&self->entry, bendi_hub_catalogue_entry_free);
  g_clear_pointer (&self->hub_model, bendi_hub_model_free);

  G_OBJECT_CLASS (bendi_model_card_parent_class)->finalize (object);
}

static void
bendi_model_card_class_init (BendiModelCardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bendi_model_card_dispose;
  object_class->finalize = bendi_model_card_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/bendi/Bendi/model-card.ui");
  gtk_widget_class_bind_template_child (widget_class, BendiModelCard, name_label);
  gtk_widget_class_bind_template_child (widget_class, BendiModelCard, facts_label);
  gtk_widget_class_bind_template_child (widget_class, BendiModelCard, description_label);
  gtk_widget_class_bind_template_child (widget_class, BendiModelCard, badges);
}

static void
bendi_model_card_init (BendiModelCard *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->support_badge = bendi_fit_badge_new ();
  self->fit_badge = bendi_fit_badge_new ();
  gtk_widget_set_visible (self->fit_badge, FALSE);
  gtk_box_append (self->badges, self->support_badge);
  gtk_box_append (self->badges, self->fit_badge);
}

GtkWidget *
bendi_model_card_new_for_entry (const BendiHubCatalogueEntry *entry)
{
  BendiModelCard *self = g_object_new (BENDI_TYPE_MODEL_CARD, NULL);
  g_autoptr (GString) facts = g_string_new (NULL);
  g_autofree char *params = bendi_format_parameters (entry->params_total);
  g_autofree char *context = bendi_format_context (entry->context_length);
  g_autofree char *langs = bendi_format_languages ((const char *const *) entry->languages, 2);
  const char *description = bendi_format_prefers_chinese () ? entry->description_zh : entry->description_en;

  self->entry = bendi_hub_catalogue_entry_copy (entry);
  gtk_label_set_text (self->name_label, entry->name);
  append_fact (facts, params);
  if (entry->params_active > 0 && entry->params_active < entry->params_total)
    {
      g_autofree char *active = bendi_format_parameters (entry->params_active);
      /* TRANSLATORS: a mixture-of-experts model uses only part of its parameters per token */
      g_autofree char *text = g_strdup_printf (_("%s active"), active);

      append_fact (facts, text);
    }
  append_fact (facts, context);
  append_fact (facts, entry->license_id);
  append_fact (facts, langs);
  gtk_label_set_text (self->facts_label, facts->str);
  gtk_label_set_text (self->description_label, description);
  gtk_widget_set_visible (GTK_WIDGET (self->description_label), description != NULL && *description != '\0');
  set_supported (self, entry->supported);
  return GTK_WIDGET (self);
}

GtkWidget *
bendi_model_card_new_for_hub_model (const BendiHubModel *model)
{
  BendiModelCard *self = g_object_new (BENDI_TYPE_MODEL_CARD, NULL);
  g_autoptr (GString) facts = g_string_new (NULL);
  g_autofree char *downloads = NULL;
  g_autofree char *likes = NULL;

  self->hub_model = bendi_hub_model_copy (model);
  gtk_label_set_text (self->name_label, model->id);
  if (model->n_params > 0)
    {
      g_autofree char *params = bendi_format_parameters (model->n_params);

      append_fact (facts, params);
    }
  if (model->context_length > 0)
    {
      g_autofree char *context = bendi_format_context (model->context_length);

      append_fact (facts, context);
    }
  append_fact (facts, model->architecture);
  append_fact (facts, model->license);
  {
    g_autofree char *n_downloads = g_strdup_printf ("%'" G_GINT64_FORMAT, model->downloads);
    g_autofree char *n_likes = g_strdup_printf ("%'" G_GINT64_FORMAT, model->likes);

    /* TRANSLATORS: %s is a number like "12,345" */
    downloads = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s download", "%s downloads",
                                              (gulong) MAX (model->downloads, 0)),
                                 n_downloads);
    append_fact (facts, downloads);
    /* TRANSLATORS: %s is a number like "1,234": people who liked the model on the hub */
    likes = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s like", "%s likes", (gulong) MAX (model->likes, 0)),
                             n_likes);
  }
  append_fact (facts, likes);
  gtk_label_set_text (self->facts_label, facts->str);
  if (model->gated != NULL)
    {
      gtk_label_set_text (self->description_label, _("Needs an accepted license and an access token."));
      gtk_widget_set_visible (GTK_WIDGET (self->description_label), TRUE);
    }
  if (model->architecture != NULL)
    set_supported (self, bendi_hub_architecture_is_supported (model->architecture));
  else
    gtk_widget_set_visible (self->support_badge, FALSE);
  return GTK_WIDGET (self);
}

const char *
bendi_model_card_get_repo_id (BendiModelCard *self)
{
  g_return_val_if_fail (BENDI_IS_MODEL_CARD (self), NULL);
  return self->entry != NULL ? self->entry->repo_id : self->hub_model->id;
}

const BendiHubCatalogueEntry *
bendi_model_card_get_entry (BendiModelCard *self)
{
  g_return_val_if_fail (BENDI_IS_MODEL_CARD (self), NULL);
  return self->entry;
}

const BendiHubModel *
bendi_model_card_get_hub_model (BendiModelCard *self)
{
  g_return_val_if_fail (BENDI_IS_MODEL_CARD (self), NULL);
  return self->hub_model;
}

void
bendi_model_card_set_hardware (BendiModelCard    *self,
                               const BendiHwInfo *hw)
{
  BendiCatalogueFit fit;
  g_autofree char *verdict = NULL;
  g_autofree char *size = NULL;
  g_autofree char *text = NULL;

  g_return_if_fail (BENDI_IS_MODEL_CARD (self));

  if (self->entry == NULL || hw == NULL)
    {
      gtk_widget_set_visible (self->fit_badge, FALSE);
      return;
    }
  bendi_catalogue_fit_estimate (self->entry, hw, 0, &fit);
  bendi_fit_badge_set (self->fit_badge, fit.verdict, 0, 0);
  verdict = bendi_fit_badge_text (fit.verdict, 0, 0);
  size = g_format_size (fit.weights_bytes);
  /* TRANSLATORS: a first guess at a model's fit: "CPU only (about 4.7 GB at Q4_K_M)" */
  text = g_strdup_printf (_("%s (about %s at Q4_K_M)"), verdict, size);
  gtk_label_set_text (GTK_LABEL (self->fit_badge), text);
  gtk_widget_set_tooltip_text (self->fit_badge, _("A first guess from the parameter count; the model's page "
                                                  "checks each file."));
}
