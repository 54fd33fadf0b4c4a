/* SPDX-License-Identifier: MIT */
/* Model details: the header read once in a worker thread, then shown as facts, metadata, template and tokens. */
#define G_LOG_DOMAIN "bendi-app"

#include "model-details.h"

#include <glib/gi18n.h>
#include <string.h>

#include "app-error.h"
#include "app-format.h"
#include "app-state.h"
#include "fit-badge.h"
#include "fit-estimate.h"
#include "fit-model.h"
#include "tokenizer-view.h"

/* Long values (a vocabulary, a template) are summed up, not listed. */
#define MAX_VALUE_CHARS 160
#define MAX_ARRAY_SHOWN 6

struct _BendiModelDetails
{
  AdwBin               parent_instance;

  AdwHeaderBar        *header_bar;
  AdwViewSwitcherTitle *switcher_title;
  GtkButton           *chat_button;
  GtkStack            *load_stack;
  GtkSpinner          *spinner;
  AdwStatusPage       *error_status;
  AdwViewStack        *view_stack;
  AdwActionRow        *fit_row;
  GtkLabel            *explanation_label;
  AdwPreferencesGroup *facts_group;
  GtkListBox          *metadata_list;
  GtkStack            *template_stack;
  GtkTextView         *template_view;
  BendiTokenizerView  *tokenizer_view;
  GtkWidget           *fit_badge;
  GPtrArray           *fact_rows;

  BendiAppState       *state;
  GCancellable        *cancellable;
  BendiHubLocalModel  *model;
  BendiGguf           *gguf;
  BendiFitModel       *fit_model;
  gulong               hardware_handler;
};

G_DEFINE_FINAL_TYPE (BendiModelDetails, bendi_model_details, ADW_TYPE_BIN)

typedef struct {
  BendiGguf      *gguf;
  BendiFitModel  *fit_model;
  GError         *fit_error;
  BendiTokenizer *tokenizer;
  GError         *tokenizer_error;
} Loaded;

static void
loaded_free (Loaded *loaded)
{
  g_clear_pointer (&loaded->fit_model, bendi_fit_model_free);
  g_clear_pointer (&loaded->tokenizer, bendi_tokenizer_free);
  g_clear_pointer (&loaded->gguf, bendi_gguf_free);
  g_clear_error (&loaded->fit_error);
  g_clear_error (&loaded->tokenizer_error);
  g_free (loaded);
}

static void
load_thread (GTask        *task,
             gpointer      source_object G_GNUC_UNUSED,
             gpointer      task_data,
             GCancellable *cancellable G_GNUC_UNUSED)
{
  GError *error = NULL;
  Loaded *loaded = g_new0 (Loaded, 1);

  loaded->gguf = bendi_gguf_open (task_data, BENDI_GGUF_OPEN_DEFAULT, &error);
  if (loaded->gguf == NULL)
    {
      loaded_free (loaded);
      g_task_return_error (task, error);
      return;
    }
  loaded->fit_model = bendi_fit_model_new (loaded->gguf, &loaded->fit_error);
  loaded->tokenizer = bendi_tokenizer_new_from_gguf (loaded->gguf, &loaded->tokenizer_error);
  g_task_return_pointer (task, loaded, (GDestroyNotify) loaded_free);
}

static char *
format_scalar (const BendiGgufValue *value)
{
  switch (value->type)
    {
    case BENDI_GGUF_TYPE_UINT8:
    case BENDI_GGUF_TYPE_UINT16:
    case BENDI_GGUF_TYPE_UINT32:
    case BENDI_GGUF_TYPE_UINT64:
      return g_strdup_printf ("%" G_GUINT64_FORMAT, value->u64);
    case BENDI_GGUF_TYPE_INT8:
    case BENDI_GGUF_TYPE_INT16:
    case BENDI_GGUF_TYPE_INT32:
    case BENDI_GGUF_TYPE_INT64:
      return g_strdup_printf ("%" G_GINT64_FORMAT, value->i64);
    case BENDI_GGUF_TYPE_FLOAT32:
    case BENDI_GGUF_TYPE_FLOAT64:
      return g_strdup_printf ("%g", value->f64);
    case BENDI_GGUF_TYPE_BOOL:
      return g_strdup (value->b ? "true" : "false");
    case BENDI_GGUF_TYPE_STRING:
      {
        g_autofree char *valid = g_utf8_make_valid (value->str.data, (gssize) value->str.len);

        if (g_utf8_strlen (valid, -1) <= MAX_VALUE_CHARS)
          return g_steal_pointer (&valid);
        *g_utf8_offset_to_pointer (valid, MAX_VALUE_CHARS) = '\0';
        return g_strconcat (valid, "…", NULL);
      }
    default:
      return g_strdup ("?");
    }
}

static char *
format_value (const BendiGgufValue *value)
{
  g_autoptr (GString) text = NULL;
  gsize n;

  if (value->type != BENDI_GGUF_TYPE_ARRAY)
    return format_scalar (value);

  n = value->arr.n;
  text = g_string_new (NULL);
  {
    g_autofree char *number = g_strdup_printf ("%" G_GSIZE_FORMAT, n);

    /* TRANSLATORS: the size of a list in a model's metadata, before its first items */
    g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, "%s item", "%s items", (gulong) n), number);
  }
  if (n > 0 && value->arr.elem_type != BENDI_GGUF_TYPE_ARRAY)
    {
      g_string_append (text, ": ");
      for (gsize i = 0; i < n && i < MAX_ARRAY_SHOWN; i++)
        {
          g_autofree char *item = NULL;

          if (value->arr.elem_type == BENDI_GGUF_TYPE_STRING)
            {
              BendiGgufValue element = { .type = BENDI_GGUF_TYPE_STRING, .str = value->arr.strings[i] };

              item = format_scalar (&element);
            }
          else
            {
              double number = 0.0;

              bendi_gguf_array_get_double (value, i, &number);
              item = g_strdup_printf ("%g", number);
            }
          g_string_append_printf (text, i > 0 ? ", %s" : "%s", item);
        }
      if (n > MAX_ARRAY_SHOWN)
        g_string_append (text, ", …");
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
clear_list (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

static void
add_fact (BendiModelDetails *self,
          const char        *title,
          const char        *value)
{
  GtkWidget *row;

  if (value == NULL || *value == '\0')
    return;
  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), value);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 3);
  adw_preferences_group_add (self->facts_group, row);
  g_ptr_array_add (self->fact_rows, row);
}

static void
clear_facts (BendiModelDetails *self)
{
  for (guint i = 0; i < self->fact_rows->len; i++)
    adw_preferences_group_remove (self->facts_group, g_ptr_array_index (self->fact_rows, i));
  g_ptr_array_set_size (self->fact_rows, 0);
}

static void
show_fit (BendiModelDetails *self)
{
  const BendiHwInfo *hw = bendi_app_state_get_hardware (self->state);
  g_autoptr (BendiFitResult) fit = NULL;
  g_autofree char *speed = NULL;

  if (self->fit_model == NULL)
    return;
  if (hw == NULL)
    {
      bendi_fit_badge_set_text (self->fit_badge, _("Checking…"), FALSE);
      bendi_app_state_probe_hardware (self->state);
      return;
    }
  fit = bendi_fit_estimate (self->fit_model, hw, NULL);
  bendi_fit_badge_set (self->fit_badge, fit->verdict, fit->gpu_layers, fit->n_layers);
  speed = bendi_format_speed (fit->est_gen_tokens_per_s);
  adw_action_row_set_subtitle (self->fit_row, fit->verdict != BENDI_FIT_VERDICT_NO ? speed : "");
  gtk_label_set_text (self->explanation_label, fit->explanation);
}

static void
show_loaded (BendiModelDetails *self,
             Loaded            *loaded)
{
  const char *template = NULL;
  const char *arch = NULL;
  g_autofree char *size = g_format_size (self->model->size);

  self->gguf = g_steal_pointer (&loaded->gguf);
  self->fit_model = g_steal_pointer (&loaded->fit_model);

  clear_facts (self);
  add_fact (self, _("File"), self->model->paths[0]);
  add_fact (self, _("Size"), size);
  if (bendi_gguf_get_string (self->gguf, "general.architecture", FALSE, &arch, NULL) && arch != NULL)
    add_fact (self, _("Architecture"), arch);
  if (self->fit_model != NULL)
    {
      const char *file_type = bendi_fit_model_get_file_type (self->fit_model);
      g_autofree char *params = bendi_format_parameters (bendi_fit_model_get_n_params (self->fit_model));
      g_autofree char *layers = g_strdup_printf ("%" G_GINT64_FORMAT, bendi_fit_model_get_n_layers (self->fit_model));

      add_fact (self, _("Quantisation"), file_type != NULL ? file_type : self->model->quant);
      add_fact (self, _("Parameters"), params);
      add_fact (self, _("Layers"), layers);
    }
  else
    add_fact (self, _("Quantisation"), self->model->quant);
  if (arch != NULL)
    {
      g_autofree char *key = g_strdup_printf ("%s.context_length", arch);
      gint64 context = 0;

      if (bendi_gguf_get_int (self->gguf, key, FALSE, 1, G_MAXINT64, &context, NULL) && context > 0)
        {
          g_autofree char *text = bendi_format_context (context);

          add_fact (self, _("Longest context"), text);
        }
    }
  add_fact (self, _("Source"), bendi_format_source (self->model->source));

  if (self->fit_model != NULL)
    show_fit (self);
  else
    {
      g_autofree char *title = NULL;
      g_autofree char *description = NULL;

      bendi_app_error_describe (loaded->fit_error, &title, &description);
      bendi_fit_badge_set_text (self->fit_badge, title, TRUE);
      gtk_label_set_text (self->explanation_label, description);
    }

  clear_list (self->metadata_list);
  for (gsize i = 0; i < bendi_gguf_get_n_kv (self->gguf); i++)
    {
      const char *key = bendi_gguf_get_key (self->gguf, i);
      g_autofree char *value = format_value (bendi_gguf_get_value (self->gguf, i));
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), key);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), value);
      adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 4);
      gtk_list_box_append (self->metadata_list, row);
    }

  if (bendi_gguf_get_string (self->gguf, "tokenizer.chat_template", FALSE, &template, NULL) && template != NULL)
    {
      gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->template_view), template, -1);
      gtk_stack_set_visible_child_name (self->template_stack, "text");
    }
  else
    gtk_stack_set_visible_child_name (self->template_stack, "none");

  bendi_tokenizer_view_set_tokenizer (self->tokenizer_view, g_steal_pointer (&loaded->tokenizer),
                                      loaded->tokenizer_error);
  gtk_spinner_stop (self->spinner);
  gtk_stack_set_visible_child_name (self->load_stack, "view");
}

static void
load_cb (GObject      *object G_GNUC_UNUSED,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (BendiModelDetails) self = user_data;
  g_autoptr (GError) error = NULL;
  Loaded *loaded = g_task_propagate_pointer (G_TASK (result), &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (loaded == NULL)
    {
      g_autofree char *title = NULL;
      g_autofree char *description = NULL;

      bendi_app_error_describe (error, &title, &description);
      adw_status_page_set_icon_name (self->error_status, bendi_app_error_icon_name (bendi_app_error_get_kind (error)));
      adw_status_page_set_title (self->error_status, title);
      adw_status_page_set_description (self->error_status, description);
      gtk_spinner_stop (self->spinner);
      gtk_stack_set_visible_child_name (self->load_stack, "error");
      gtk_widget_set_sensitive (GTK_WIDGET (self->chat_button), FALSE);
      return;
    }
  show_loaded (self, loaded);
  loaded_free (loaded);
}

static void
chat_clicked_cb (BendiModelDetails *self)
{
  if (self->model != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), "win.chat-with-model", "s", self->model->paths[0]);
}

static void
hardware_changed_cb (BendiModelDetails *self)
{
  show_fit (self);
}

static void
bendi_model_details_dispose (GObject *object)
{
  BendiModelDetails *self = BENDI_MODEL_DETAILS (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_signal_handler (&self->hardware_handler, self->state);
  gtk_widget_dispose_template (GTK_WIDGET (self), BENDI_TYPE_MODEL_DETAILS);

  G_OBJECT_CLASS (bendi_model_details_parent_class)->dispose (object);
}

static void
bendi_model_details_finalize (GObject *object)
{
  BendiModelDetails *self = BENDI_MODEL_DETAILS (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->state);
  g_clear_pointer (&self->fact_rows, g_ptr_array_unref);
  g_clear_pointer (&self->model, bendi_hub_local_model_free);
  g_clear_pointer (&self->fit_model, bendi_fit_model_free);
  g_clear_pointer (&self->gguf, bendi_gguf_free);

  G_OBJECT_CLASS (bendi_model_details_parent_class)->finalize (object);
}

static void
bendi_model_details_class_init (BendiModelDetailsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bendi_model_details_dispose;
  object_class->finalize = bendi_model_details_finalize;

  g_type_ensure (BENDI_TYPE_TOKENIZER_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/bendi/Bendi/model-details.ui");
  gtk_widget_class_bind_template_child (widget_class, BendiModelDetails, header_bar);
  gtk_widget_class_bind_template_child (widget_class, BendiModelDetails, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, BendiModelDetails, chat_button);
  gtk_widget_class_bind_template_child (widget_class, BendiModelDetails, load_stack);
  gtk_widget_class_bind_template_child (widget_class, BendiModelDetails, spinner);
  gtk_widget_class_bind_template_child (widget_class, BendiModelDetails, error_status);
  gtk_widget_class_bind_template_child (widget_class, BendiModelDetails, view_stack);
  gtk_widget_class_bind_template_child (widget_class, BendiModelDetails, fit_row);
  gtk_widget_class_bind_template_child (widget_class, BendiModelDetails, explanation_label);
  gtk_widget_class_bind_template_child (widget_class, BendiModelDetails, facts_group);
  gtk_widget_class_bind_template_child (widget_class, BendiModelDetails, metadata_list);
  gtk_widget_class_bind_template_child (widget_class, BendiModelDetails, template_stack);
  gtk_widget_class_bind_template_child (widget_class, BendiModelDetails, template_view);
  gtk_widget_class_bind_template_child (widget_class, BendiModelDetails, tokenizer_view);
  gtk_widget_class_bind_template_callback (widget_class, chat_clicked_cb);
}

static void
bendi_model_details_init (BendiModelDetails *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->fact_rows = g_ptr_array_new ();
  self->fit_badge = bendi_fit_badge_new ();
  adw_action_row_add_suffix (self->fit_row, self->fit_badge);
  self->state = g_object_ref (bendi_app_state_get_default ());
  self->hardware_handler = g_signal_connect_swapped (self->state, "notify::hardware",
                                                     G_CALLBACK (hardware_changed_cb), self);
}

GtkWidget *
bendi_model_details_new (void)
{
  return g_object_new (BENDI_TYPE_MODEL_DETAILS, NULL);
}

void
bendi_model_details_show (BendiModelDetails        *self,
                          const BendiHubLocalModel *model)
{
  g_autoptr (GTask) task = NULL;
  g_autofree char *base = NULL;

  g_return_if_fail (BENDI_IS_MODEL_DETAILS (self));
  g_return_if_fail (model != NULL && model->paths != NULL && model->paths[0] != NULL);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_clear_pointer (&self->model, bendi_hub_local_model_free);
  g_clear_pointer (&self->fit_model, bendi_fit_model_free);
  g_clear_pointer (&self->gguf, bendi_gguf_free);
  self->model = bendi_hub_local_model_copy (model);

  base = g_path_get_basename (model->name);
  adw_view_switcher_title_set_title (self->switcher_title, base);
  adw_view_stack_set_visible_child_name (self->view_stack, "overview");
  gtk_widget_set_sensitive (GTK_WIDGET (self->chat_button), TRUE);
  bendi_tokenizer_view_set_tokenizer (self->tokenizer_view, NULL, NULL);
  gtk_spinner_start (self->spinner);
  gtk_stack_set_visible_child_name (self->load_stack, "loading");

  task = g_task_new (NULL, self->cancellable, load_cb, g_object_ref (self));
  g_task_set_source_tag (task, bendi_model_details_show);
  g_task_set_task_data (task, g_strdup (model->paths[0]), g_free);
  g_task_run_in_thread (task, load_thread);
}

const char *
bendi_model_details_get_path (BendiModelDetails *self)
{
  g_return_val_if_fail (BENDI_IS_MODEL_DETAILS (self), NULL);
  return self->model != NULL ? self->model->paths[0] : NULL;
}

AdwHeaderBar *
bendi_model_details_get_header_bar (BendiModelDetails *self)
{
  g_return_val_if_fail (BENDI_IS_MODEL_DETAILS (self), NULL);
  return self->header_bar;
}

void
bendi_model_details_set_visible_page (BendiModelDetails *self,
                                      const char        *name)
{
  g_return_if_fail (BENDI_IS_MODEL_DETAILS (self));
  adw_view_stack_set_visible_child_name (self->view_stack, name);
}
