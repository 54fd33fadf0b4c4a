/* SPDX-License-Identifier: MIT */
/* A model's page: the repository's files ranked for this computer by the quantisation advisor, live as the context changes. */
#define G_LOG_DOMAIN "bendi-app"

#include "model-page.h"

#include <glib/gi18n.h>
#include <math.h>

#include "app-error.h"
#include "app-format.h"
#include "app-state.h"
#include "catalogue-fit.h"
#include "fit-badge.h"
#include "quant-advisor.h"
#include "window.h"

#define MIN_CONTEXT 512
#define DEFAULT_CONTEXT 4096

struct _BendiModelPage
{
  AdwBin                  parent_instance;

  AdwHeaderBar           *header_bar;
  AdwWindowTitle         *window_title;
  GtkLabel               *description_label;
  GtkLabel               *context_label;
  GtkScale               *context_scale;
  AdwPreferencesGroup    *files_group;
  GtkStack               *files_stack;
  GtkListBox             *files_list;
  AdwStatusPage          *files_status;
  GtkSpinner             *spinner;
  AdwActionRow           *params_row;
  AdwActionRow           *context_row;
  AdwActionRow           *languages_row;
  AdwActionRow           *license_row;
  AdwActionRow           *architecture_row;

  BendiAppState          *state;
  GCancellable           *cancellable;
  char                   *repo_id;
  BendiHubCatalogueEntry *entry;
  BendiHubModel          *model;
  GPtrArray              *groups;       /* BendiHubFileGroup, complete ones */
  BendiGguf              *header;       /* of one group, the advisor sizes the rest from it */
  const BendiHubFileGroup *sample;
  gint64                  max_ctx;
  gint64                  n_ctx;
  gboolean                setting_scale;
  guint                   rank_source;
  gulong                  hardware_handler;
  gulong                  library_handler;
};

G_DEFINE_FINAL_TYPE (BendiModelPage, bendi_model_page, ADW_TYPE_BIN)

static void load (BendiModelPage *self);
static void rank (BendiModelPage *self);

static void
set_row_text (AdwActionRow *row,
              const char   *text)
{
  adw_action_row_set_subtitle (row, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (row), text != NULL && *text != '\0');
}

static void
show_facts (BendiModelPage *self)
{
  const char *description = NULL;
  gint64 n_params = 0, context = 0;
  const char *license = NULL, *architecture = NULL;
  g_autofree char *params = NULL;
  g_autofree char *context_text = NULL;
  g_autofree char *languages = NULL;
  g_autofree char *arch_text = NULL;
  gboolean supported = TRUE;

  if (self->entry != NULL)
    {
      description = bendi_format_prefers_chinese () ? self->entry->description_zh : self->entry->description_en;
      n_params = self->entry->params_total;
      context = self->entry->context_length;
      license = self->entry->license_id;
      architecture = self->entry->architecture;
      supported = self->entry->supported;
      languages = bendi_format_languages ((const char *const *) self->entry->languages, 20);
    }
  else if (self->model != NULL)
    {
      n_params = self->model->n_params;
      context = self->model->context_length;
      license = self->model->license;
      architecture = self->model->architecture;
      supported = architecture == NULL || bendi_hub_architecture_is_supported (architecture);
    }
  /* The file itself says best what it holds. */
  if (self->header != NULL)
    {
      const char *arch = NULL;

      if (bendi_gguf_get_string (self->header, "general.architecture", FALSE, &arch, NULL) && arch != NULL)
        {
          architecture = arch;
          supported = bendi_hub_architecture_is_supported (arch);
        }
    }

  gtk_label_set_text (self->description_label, description != NULL ? description : "");
  gtk_widget_set_visible (GTK_WIDGET (self->description_label), description != NULL && *description != '\0');
  if (n_params > 0)
    params = bendi_format_parameters (n_params);
  if (context > 0)
    context_text = bendi_format_context (context);
  if (architecture != NULL)
    arch_text = supported ? g_strdup (architecture)
                          /* TRANSLATORS: %s is a model architecture like "gemma2" */
                          : g_strdup_printf (_("%s — Bendi cannot run it yet"), architecture);
  set_row_text (self->params_row, params);
  set_row_text (self->context_row, context_text);
  set_row_text (self->languages_row, languages);
  set_row_text (self->license_row, license);
  set_row_text (self->architecture_row, arch_text);
}

static void
show_error (BendiModelPage *self,
            const GError   *error)
{
  g_autofree char *title = NULL;
  g_autofree char *description = NULL;

  bendi_app_error_describe (error, &title, &description);
  adw_status_page_set_icon_name (self->files_status, bendi_app_error_icon_name (bendi_app_error_get_kind (error)));
  adw_status_page_set_title (self->files_status, title);
  adw_status_page_set_description (self->files_status, description);
  gtk_spinner_stop (self->spinner);
  gtk_stack_set_visible_child_name (self->files_stack, "error");
  adw_preferences_group_set_description (self->files_group, NULL);
}

static void
show_loading (BendiModelPage *self)
{
  gtk_spinner_start (self->spinner);
  gtk_stack_set_visible_child_name (self->files_stack, "loading");
  adw_preferences_group_set_description (self->files_group, NULL);
}

static void
update_context_label (BendiModelPage *self)
{
  g_autofree char *number = g_strdup_printf ("%'" G_GINT64_FORMAT, self->n_ctx);
  g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s token", "%s tokens",
                                                        (gulong) self->n_ctx),
                                           number);

  gtk_label_set_text (self->context_label, text);
}

/* The scale moves in powers of two, the way context lengths are chosen;
 * its top is the model's own length, which need not be one. */
static void
setup_context_scale (BendiModelPage *self)
{
  double upper = log2 ((double) MAX (self->max_ctx, MIN_CONTEXT));
  GtkAdjustment *adjustment = gtk_range_get_adjustment (GTK_RANGE (self->context_scale));

  self->setting_scale = TRUE;
  gtk_scale_clear_marks (self->context_scale);
  gtk_adjustment_configure (adjustment, log2 ((double) self->n_ctx), log2 (MIN_CONTEXT), upper, 1.0, 1.0, 0.0);
  for (int power = (int) log2 (MIN_CONTEXT); power <= (int) floor (upper); power++)
    {
      g_autofree char *mark = NULL;

      /* Every other mark labelled, so that a narrow window stays legible. */
      if ((power - (int) log2 (MIN_CONTEXT)) % 2 == 0 || power == (int) floor (upper))
        mark = bendi_format_tokens_short ((gint64) 1 << power);
      gtk_scale_add_mark (self->context_scale, power, GTK_POS_BOTTOM, mark);
    }
  self->setting_scale = FALSE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->context_scale), self->max_ctx > MIN_CONTEXT);
  update_context_label (self);
}

static gint64
context_from_scale (BendiModelPage *self)
{
  GtkAdjustment *adjustment = gtk_range_get_adjustment (GTK_RANGE (self->context_scale));
  double value = gtk_adjustment_get_value (adjustment);

  if (value >= gtk_adjustment_get_upper (adjustment) - 1e-6)
    return MAX (self->max_ctx, MIN_CONTEXT);
  return CLAMP ((gint64) llround (exp2 (round (value))), MIN_CONTEXT, MAX (self->max_ctx, MIN_CONTEXT));
}

static gboolean
rank_idle_cb (gpointer user_data)
{
  BendiModelPage *self = user_data;

  self->rank_source = 0;
  rank (self);
  return G_SOURCE_REMOVE;
}

static void
queue_rank (BendiModelPage *self)
{
  if (self->rank_source == 0)
    self->rank_source = g_idle_add (rank_idle_cb, self);
}

static void
context_changed_cb (BendiModelPage *self)
{
  gint64 n_ctx;

  if (self->setting_scale)
    return;
  n_ctx = context_from_scale (self);
  if (n_ctx == self->n_ctx)
    return;
  self->n_ctx = n_ctx;
  update_context_label (self);
  queue_rank (self);
}

static const BendiHubFileGroup *
find_group (BendiModelPage *self,
            const char     *name)
{
  for (guint i = 0; self->groups != NULL && i < self->groups->len; i++)
    {
      const BendiHubFileGroup *group = g_ptr_array_index (self->groups, i);

      if (g_strcmp0 (group->name, name) == 0)
        return group;
    }
  return NULL;
}

static const char *
group_first_path (const BendiHubFileGroup *group)
{
  return ((const BendiHubFile *) g_ptr_array_index (group->parts, 0))->path;
}

static gboolean
group_is_queued (BendiModelPage          *self,
                 const BendiHubFileGroup *group)
{
  GListModel *downloads = G_LIST_MODEL (bendi_app_state_get_downloads (self->state));
  guint n = g_list_model_get_n_items (downloads);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (BendiHubDownload) download = g_list_model_get_item (downloads, i);
      BendiHubDownloadState state = bendi_hub_download_get_state (download);

      if (g_strcmp0 (bendi_hub_download_get_repo_id (download), self->repo_id) == 0 &&
          g_strcmp0 (bendi_hub_download_get_file (download)->path, group_first_path (group)) == 0 &&
          state != BENDI_HUB_DOWNLOAD_CANCELLED && state != BENDI_HUB_DOWNLOAD_COMPLETED)
        return TRUE;
    }
  return FALSE;
}

static void
download_clicked_cb (GtkButton      *button,
                     BendiModelPage *self)
{
  const char *name = g_object_get_data (G_OBJECT (button), "bendi-group");
  const BendiHubFileGroup *group = find_group (self, name);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autofree char *title = NULL;
  AdwToast *toast;

  if (group == NULL)
    return;
  g_ptr_array_unref (bendi_app_state_download_group (self->state, self->repo_id, group));
  gtk_widget_set_sensitive (GTK_WIDGET (button), FALSE);
  gtk_widget_set_tooltip_text (GTK_WIDGET (button), _("Downloading"));
  if (!BENDI_IS_WINDOW (root))
    return;
  /* TRANSLATORS: %s is a file name */
  title = g_strdup_printf (_("Downloading %s"), group->name);
  toast = adw_toast_new (title);
  adw_toast_set_button_label (toast, _("_Show"));
  adw_toast_set_action_name (toast, "win.show-page");
  adw_toast_set_action_target_value (toast, g_variant_new_string ("downloads"));
  bendi_window_add_toast (BENDI_WINDOW (root), toast);
}

/* The popover gives the label the focus as it opens, and a selectable
 * label given the focus selects all its text: the reasons would open
 * highlighted, as if something were wrong with them. */
static void
why_popover_show_cb (GtkWidget *popover G_GNUC_UNUSED,
                     GtkLabel  *label)
{
  gtk_label_select_region (label, 0, 0);
}

static GtkWidget *
create_why_button (const BendiAdvice *advice)
{
  GtkWidget *button = gtk_menu_button_new ();
  GtkWidget *popover = gtk_popover_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *heading = gtk_label_new (advice->quant != NULL ? advice->quant : advice->file_name);
  GtkWidget *label = gtk_label_new (advice->fit->explanation);

  gtk_menu_button_set_label (GTK_MENU_BUTTON (button), _("Why?"));
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_tooltip_text (button, _("How this was worked out"));
  gtk_widget_add_css_class (heading, "heading");
  gtk_label_set_xalign (GTK_LABEL (heading), 0.0f);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 48);
  gtk_label_set_xalign (GTK_LABEL (label), 0.0f);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_widget_add_css_class (label, "fit-explanation");
  gtk_box_append (GTK_BOX (box), heading);
  gtk_box_append (GTK_BOX (box), label);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);
  gtk_popover_set_child (GTK_POPOVER (popover), box);
  g_signal_connect_after (popover, "show", G_CALLBACK (why_popover_show_cb), label);
  gtk_menu_button_set_popover (GTK_MENU_BUTTON (button), popover);
  return button;
}

static GtkWidget *
create_action_button (BendiModelPage          *self,
                      const BendiHubFileGroup *group)
{
  const BendiHubLocalModel *local = bendi_app_state_find_download (self->state, self->repo_id,
                                                                   group_first_path (group));
  GtkWidget *button;

  if (local != NULL)
    {
      button = gtk_button_new_from_icon_name ("bendi-chat-symbolic");
      gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "win.chat-with-model");
      gtk_actionable_set_action_target_value (GTK_ACTIONABLE (button), g_variant_new_string (local->paths[0]));
      gtk_widget_set_tooltip_text (button, _("Chat with this model"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _("Chat with this model"), -1);
    }
  else
    {
      button = gtk_button_new_from_icon_name ("folder-download-symbolic");
      g_object_set_data_full (G_OBJECT (button), "bendi-group", g_strdup (group->name), g_free);
      g_signal_connect (button, "clicked", G_CALLBACK (download_clicked_cb), self);
      gtk_widget_set_tooltip_text (button, _("Download"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Download"), -1);
      if (group_is_queued (self, group))
        {
          gtk_widget_set_sensitive (button, FALSE);
          gtk_widget_set_tooltip_text (button, _("Downloading"));
        }
    }
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  return button;
}

static GtkWidget *
create_row (BendiModelPage          *self,
            const BendiAdvice       *advice,
            const BendiHubFileGroup *group)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *badge = bendi_fit_badge_new ();
  g_autofree char *size = g_format_size (group->size);
  g_autofree char *speed = bendi_format_speed (advice->fit->est_gen_tokens_per_s);
  g_autofree char *subtitle = NULL;
  g_autofree char *badge_text = NULL;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), advice->quant != NULL ? advice->quant : group->name);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  if (advice->fit->verdict == BENDI_FIT_VERDICT_NO)
    subtitle = g_strdup_printf ("%s · %s", size, group->name);
  else
    subtitle = g_strdup_printf ("%s · %s · %s", size, speed, group->name);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 2);

  if (advice->recommended)
    {
      GtkWidget *star = gtk_image_new_from_icon_name ("starred-symbolic");

      gtk_widget_add_css_class (row, "recommended");
      gtk_widget_set_tooltip_text (star, _("Recommended for this computer"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (star), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _("Recommended for this computer"), -1);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), star);
    }

  bendi_fit_badge_set (badge, advice->fit->verdict, advice->fit->gpu_layers, advice->fit->n_layers);
  badge_text = g_strdup (gtk_label_get_text (GTK_LABEL (badge)));
  gtk_widget_set_tooltip_text (badge, badge_text);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), badge);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), create_why_button (advice));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), create_action_button (self, group));
  g_object_set_data_full (G_OBJECT (row), "bendi-file", g_strdup (group->name), g_free);
  return row;
}

static void
clear_rows (BendiModelPage *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->files_list))) != NULL)
    gtk_list_box_remove (self->files_list, child);
}

static void
rank (BendiModelPage *self)
{
  const BendiHwInfo *hw = bendi_app_state_get_hardware (self->state);
  g_autofree BendiAdvisorCandidate *candidates = NULL;
  g_autoptr (BendiAdvisorResult) result = NULL;
  g_autoptr (GError) error = NULL;
  BendiFitParams params;

  if (self->header == NULL || self->groups == NULL)
    return;
  if (hw == NULL)
    {
      /* Ranked again when the probe is done. */
      bendi_app_state_probe_hardware (self->state);
      return;
    }

  candidates = g_new0 (BendiAdvisorCandidate, self->groups->len);
  for (guint i = 0; i < self->groups->len; i++)
    {
      const BendiHubFileGroup *group = g_ptr_array_index (self->groups, i);

      candidates[i].file_name = group->name;
      candidates[i].size_bytes = group->size;
      candidates[i].header = group == self->sample ? self->header : NULL;
      candidates[i].quant = group->quant;
    }
  bendi_fit_params_init (&params);
  params.n_ctx = self->n_ctx;
  result = bendi_advisor_rank (candidates, self->groups->len, hw, &params, &error);
  if (result == NULL)
    {
      show_error (self, error);
      return;
    }

  clear_rows (self);
  for (guint i = 0; i < result->ranked->len; i++)
    {
      const BendiAdvice *advice = g_ptr_array_index (result->ranked, i);
      const BendiHubFileGroup *group = find_group (self, advice->file_name);

      if (group != NULL)
        gtk_list_box_append (self->files_list, create_row (self, advice, group));
    }
  adw_preferences_group_set_description (self->files_group, result->summary);
  gtk_spinner_stop (self->spinner);
  gtk_stack_set_visible_child_name (self->files_stack, "list");
}

static void
set_max_context (BendiModelPage *self)
{
  const char *arch = NULL;
  gint64 context = 0;

  if (bendi_gguf_get_string (self->header, "general.architecture", FALSE, &arch, NULL) && arch != NULL)
    {
      g_autofree char *key = g_strdup_printf ("%s.context_length", arch);

      bendi_gguf_get_int (self->header, key, FALSE, 1, G_MAXINT32, &context, NULL);
    }
  if (context <= 0 && self->entry != NULL)
    context = self->entry->context_length;
  if (context <= 0)
    context = DEFAULT_CONTEXT;
  self->max_ctx = context;
  self->n_ctx = MIN (DEFAULT_CONTEXT, MAX (context, MIN_CONTEXT));
  setup_context_scale (self);
}

static void
peek_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (BendiModelPage) self = user_data;
  g_autoptr (GError) error = NULL;
  BendiGguf *header = bendi_hub_client_peek_header_finish (BENDI_HUB_CLIENT (object), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (header == NULL)
    {
      show_error (self, error);
      return;
    }
  self->header = header;
  set_max_context (self);
  show_facts (self);
  rank (self);
}

static void
list_files_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (BendiModelPage) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) files = bendi_hub_client_list_files_finish (BENDI_HUB_CLIENT (object), result, &error);
  g_autoptr (GPtrArray) groups = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (files == NULL)
    {
      show_error (self, error);
      return;
    }
  groups = bendi_hub_group_files (files);
  self->groups = g_ptr_array_new_with_free_func ((GDestroyNotify) bendi_hub_file_group_free);
  for (guint i = 0; i < groups->len; i++)
    {
      const BendiHubFileGroup *group = g_ptr_array_index (groups, i);

      /* A split with parts missing cannot be loaded. */
      if (group->complete)
        g_ptr_array_add (self->groups, bendi_hub_file_group_copy (group));
    }
  if (self->groups->len == 0)
    {
      adw_status_page_set_icon_name (self->files_status, "edit-find-symbolic");
      adw_status_page_set_title (self->files_status, _("No Model Files"));
      adw_status_page_set_description (self->files_status,
                                       _("This repository has no GGUF files, the format Bendi runs. Look for a "
                                         "repository whose name ends in “GGUF”."));
      gtk_spinner_stop (self->spinner);
      gtk_stack_set_visible_child_name (self->files_stack, "error");
      return;
    }
  /* Its header sizes the rest. */
  self->sample = bendi_catalogue_fit_choose_group (self->groups, self->entry);
  bendi_hub_client_peek_header_async (BENDI_HUB_CLIENT (object), self->repo_id, NULL,
                                      group_first_path (self->sample), self->cancellable, peek_cb, g_object_ref (self));
}

static void
get_model_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (BendiModelPage) self = user_data;
  g_autoptr (GError) error = NULL;
  BendiHubModel *model = bendi_hub_client_get_model_finish (BENDI_HUB_CLIENT (object), result, &error);

  /* The details only add facts: the files say the rest. */
  if (model == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("No details for %s: %s", self->repo_id, error->message);
      return;
    }
  g_clear_pointer (&self->model, bendi_hub_model_free);
  self->model = model;
  show_facts (self);
}

static void
load (BendiModelPage *self)
{
  BendiHubClient *client = bendi_app_state_get_client (self->state);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->rank_source, g_source_remove);
  self->cancellable = g_cancellable_new ();
  g_clear_pointer (&self->groups, g_ptr_array_unref);
  g_clear_pointer (&self->header, bendi_gguf_free);
  self->sample = NULL;
  clear_rows (self);
  show_loading (self);
  show_facts (self);

  if (self->entry == NULL)
    bendi_hub_client_get_model_async (client, self->repo_id, self->cancellable, get_model_cb,
                                      g_object_ref (self));
  bendi_hub_client_list_files_async (client, self->repo_id, NULL, self->cancellable, list_files_cb,
                                     g_object_ref (self));
}

static void
reload_activated_cb (GtkWidget  *widget,
                     const char *action_name G_GNUC_UNUSED,
                     GVariant   *parameter G_GNUC_UNUSED)
{
  BendiModelPage *self = BENDI_MODEL_PAGE (widget);

  if (self->repo_id != NULL)
    load (self);
}

static void
open_hub_activated_cb (GtkWidget  *widget,
                       const char *action_name G_GNUC_UNUSED,
                       GVariant   *parameter G_GNUC_UNUSED)
{
  BendiModelPage *self = BENDI_MODEL_PAGE (widget);
  g_autofree char *uri = NULL;
  GtkRoot *root = gtk_widget_get_root (widget);

  if (self->repo_id == NULL)
    return;
  uri = g_strdup_printf ("%s/%s", bendi_hub_config_get_endpoint (bendi_app_state_get_config (self->state)),
                         self->repo_id);
  gtk_show_uri (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, uri, GDK_CURRENT_TIME);
}

static void
hardware_changed_cb (BendiModelPage *self)
{
  queue_rank (self);
}

static void
library_changed_cb (BendiModelPage *self)
{
  /* A finished download turns its Download button into Chat. */
  if (gtk_widget_get_first_child (GTK_WIDGET (self->files_list)) != NULL)
    queue_rank (self);
}

static void
bendi_model_page_dispose (GObject *object)
{
  BendiModelPage *self = BENDI_MODEL_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->rank_source, g_source_remove);
  g_clear_signal_handler (&self->hardware_handler, self->state);
  g_clear_signal_handler (&self->library_handler, self->state);
  gtk_widget_dispose_template (GTK_WIDGET (self), BENDI_TYPE_MODEL_PAGE);

  G_OBJECT_CLASS (bendi_model_page_parent_class)->dispose (object);
}

static void
bendi_model_page_finalize (GObject *object)
{
  BendiModelPage *self = BENDI_MODEL_PAGE (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->state);
  g_free (self->repo_id);
  g_clear_pointer (&self->entry, bendi_hub_catalogue_entry_free);
  g_clear_pointer (&self->model, bendi_hub_model_free);
  g_clear_pointer (&self->groups, g_ptr_array_unref);
  g_clear_pointer (&self->header, bendi_gguf_free);

  G_OBJECT_CLASS (bendi_model_page_parent_class)->finalize (object);
}

static void
bendi_model_page_class_init (BendiModelPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bendi_model_page_dispose;
  object_class->finalize = bendi_model_page_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/bendi/Bendi/model-page.ui");
  gtk_widget_class_bind_template_child (widget_class, BendiModelPage, header_bar);
  gtk_widget_class_bind_template_child (widget_class, BendiModelPage, window_title);
  gtk_widget_class_bind_template_child (widget_class, BendiModelPage, description_label);
  gtk_widget_class_bind_template_child (widget_class, BendiModelPage, context_label);
  gtk_widget_class_bind_template_child (widget_class, BendiModelPage, context_scale);
  gtk_widget_class_bind_template_child (widget_class, BendiModelPage, files_group);
  gtk_widget_class_bind_template_child (widget_class, BendiModelPage, files_stack);
  gtk_widget_class_bind_template_child (widget_class, BendiModelPage, files_list);
  gtk_widget_class_bind_template_child (widget_class, BendiModelPage, files_status);
  gtk_widget_class_bind_template_child (widget_class, BendiModelPage, spinner);
  gtk_widget_class_bind_template_child (widget_class, BendiModelPage, params_row);
  gtk_widget_class_bind_template_child (widget_class, BendiModelPage, context_row);
  gtk_widget_class_bind_template_child (widget_class, BendiModelPage, languages_row);
  gtk_widget_class_bind_template_child (widget_class, BendiModelPage, license_row);
  gtk_widget_class_bind_template_child (widget_class, BendiModelPage, architecture_row);
  gtk_widget_class_bind_template_callback (widget_class, context_changed_cb);

  gtk_widget_class_install_action (widget_class, "model.reload", NULL, reload_activated_cb);
  gtk_widget_class_install_action (widget_class, "model.open-hub", NULL, open_hub_activated_cb);
}

static void
bendi_model_page_init (BendiModelPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->state = g_object_ref (bendi_app_state_get_default ());
  self->hardware_handler = g_signal_connect_swapped (self->state, "notify::hardware",
                                                     G_CALLBACK (hardware_changed_cb), self);
  self->library_handler = g_signal_connect_swapped (self->state, "notify::library",
                                                    G_CALLBACK (library_changed_cb), self);
  self->max_ctx = DEFAULT_CONTEXT;
  self->n_ctx = DEFAULT_CONTEXT;
  setup_context_scale (self);
}

GtkWidget *
bendi_model_page_new (void)
{
  return g_object_new (BENDI_TYPE_MODEL_PAGE, NULL);
}

void
bendi_model_page_show (BendiModelPage               *self,
                       const char                   *repo_id,
                       const BendiHubCatalogueEntry *entry,
                       const BendiHubModel          *model)
{
  g_return_if_fail (BENDI_IS_MODEL_PAGE (self));
  g_return_if_fail (repo_id != NULL);

  g_free (self->repo_id);
  self->repo_id = g_strdup (repo_id);
  g_clear_pointer (&self->entry, bendi_hub_catalogue_entry_free);
  g_clear_pointer (&self->model, bendi_hub_model_free);
  if (entry != NULL)
    self->entry = bendi_hub_catalogue_entry_copy (entry);
  if (model != NULL)
    self->model = bendi_hub_model_copy (model);

  adw_window_title_set_title (self->window_title, entry != NULL ? entry->name : repo_id);
  adw_window_title_set_subtitle (self->window_title, entry != NULL ? repo_id : NULL);
  self->max_ctx = entry != NULL && entry->context_length > 0 ? entry->context_length : DEFAULT_CONTEXT;
  self->n_ctx = MIN (DEFAULT_CONTEXT, MAX (self->max_ctx, MIN_CONTEXT));
  setup_context_scale (self);
  bendi_app_state_probe_hardware (self->state);
  bendi_app_state_ensure_library (self->state);
  load (self);
}

const char *
bendi_model_page_get_repo_id (BendiModelPage *self)
{
  g_return_val_if_fail (BENDI_IS_MODEL_PAGE (self), NULL);
  return self->repo_id;
}

gint64
bendi_model_page_get_context (BendiModelPage *self)
{
  g_return_val_if_fail (BENDI_IS_MODEL_PAGE (self), 0);
  return self->n_ctx;
}

void
bendi_model_page_set_context (BendiModelPage *self,
                              gint64          n_ctx)
{
  g_return_if_fail (BENDI_IS_MODEL_PAGE (self));

  n_ctx = CLAMP (n_ctx, MIN_CONTEXT, MAX (self->max_ctx, MIN_CONTEXT));
  if (n_ctx == MAX (self->max_ctx, MIN_CONTEXT))
    gtk_range_set_value (GTK_RANGE (self->context_scale),
                         gtk_adjustment_get_upper (gtk_range_get_adjustment (GTK_RANGE (self->context_scale))));
  else
    gtk_range_set_value (GTK_RANGE (self->context_scale), log2 ((double) n_ctx));
}

AdwHeaderBar *
bendi_model_page_get_header_bar (BendiModelPage *self)
{
  g_return_val_if_fail (BENDI_IS_MODEL_PAGE (self), NULL);
  return self->header_bar;
}
