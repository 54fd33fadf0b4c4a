/* SPDX-License-Identifier: MIT */
/* The settings panel: widgets bound both ways to a BendiChatSettings, presets applied when picked. */
#define G_LOG_DOMAIN "bendi-app"

#include "chat-settings-panel.h"

#include <glib/gi18n.h>

struct _BendiChatSettingsPanel
{
  GtkWidget parent_instance;

  GtkDropDown       *preset_dropdown;
  GtkPopover        *save_preset_popover;
  GtkEntry          *preset_name_entry;
  GtkTextView       *system_view;
  GtkAdjustment     *temperature_adjustment;
  GtkAdjustment     *top_p_adjustment;
  GtkAdjustment     *top_k_adjustment;
  GtkAdjustment     *min_p_adjustment;
  GtkAdjustment     *repeat_penalty_adjustment;
  GtkAdjustment     *max_tokens_adjustment;
  GtkAdjustment     *context_length_adjustment;
  AdwComboRow       *backend_row;
  AdwActionRow      *gpu_layers_row;
  GtkCheckButton    *gpu_layers_auto;
  GtkSpinButton     *gpu_layers_spin;
  GtkAdjustment     *gpu_layers_adjustment;
  GtkWidget         *reload_row;
  AdwActionRow      *running_on_row;

  BendiChatSettings *settings;
  GPtrArray         *bindings;
  gint64             loaded_n_ctx;
  gint64             loaded_gpu_layers;
  char              *loaded_backend;
  gboolean           model_loaded;
  gboolean           filling_presets;
  gboolean           showing_gpu_layers;
};

enum {
  RELOAD_MODEL,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (BendiChatSettingsPanel, bendi_chat_settings_panel, GTK_TYPE_WIDGET)

static void
fill_presets (BendiChatSettingsPanel *self)
{
  g_auto (GStrv) names = NULL;
  g_autoptr (GtkStringList) list = NULL;

  if (self->settings == NULL)
    return;
  names = bendi_chat_settings_list_presets (self->settings);
  list = gtk_string_list_new ((const char *const *) names);
  self->filling_presets = TRUE;
  gtk_drop_down_set_model (self->preset_dropdown, G_LIST_MODEL (list));
  gtk_drop_down_set_selected (self->preset_dropdown, GTK_INVALID_LIST_POSITION);
  self->filling_presets = FALSE;
}

static void
preset_selected_cb (BendiChatSettingsPanel *self)
{
  GtkStringObject *item = gtk_drop_down_get_selected_item (self->preset_dropdown);

  if (self->filling_presets || item == NULL || self->settings == NULL)
    return;
  bendi_chat_settings_apply_preset (self->settings, gtk_string_object_get_string (item));
}

static void
save_preset_cb (BendiChatSettingsPanel *self)
{
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->preset_name_entry))));

  if (*name == '\0' || self->settings == NULL)
    return;
  bendi_chat_settings_save_preset (self->settings, name);
  gtk_editable_set_text (GTK_EDITABLE (self->preset_name_entry), "");
  gtk_popover_popdown (self->save_preset_popover);
  fill_presets (self);
}

static void
update_reload_row (BendiChatSettingsPanel *self)
{
  gint64 wanted = self->settings != NULL ? bendi_chat_settings_get_context_length (self->settings) : 0;
  gint64 wanted_layers = self->settings != NULL ? bendi_chat_settings_get_gpu_layers (self->settings) : -1;
  /* 0 is "the model's": whatever was loaded with it is right. */
  gboolean context_differs = self->loaded_n_ctx > 0 && wanted > 0 && wanted != self->loaded_n_ctx;
  gboolean layers_differ = self->model_loaded && wanted_layers != self->loaded_gpu_layers;
  gboolean backend_differs = self->model_loaded && self->settings != NULL &&
                             g_strcmp0 (bendi_chat_settings_get_backend (self->settings), self->loaded_backend) != 0;

  gtk_widget_set_visible (self->reload_row, context_differs || layers_differ || backend_differs);
}

/* The combo row's order. */
static const char *const backends[] = { "auto", "cpu", "vulkan" };

static void
show_backend (BendiChatSettingsPanel *self)
{
  const char *backend = self->settings != NULL ? bendi_chat_settings_get_backend (self->settings) : "auto";

  self->showing_gpu_layers = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (backends); i++)
    if (g_strcmp0 (backend, backends[i]) == 0)
      adw_combo_row_set_selected (self->backend_row, i);
  self->showing_gpu_layers = FALSE;
  update_reload_row (self);
}

static void
backend_widget_cb (BendiChatSettingsPanel *self)
{
  guint selected = adw_combo_row_get_selected (self->backend_row);

  if (self->showing_gpu_layers || self->settings == NULL || selected >= G_N_ELEMENTS (backends))
    return;
  g_object_set (self->settings, "backend", backends[selected], NULL);
  show_backend (self);
}

/* The settings' GPU layers into the check button ("as many as fit") and
 * the spin button (a count). */
static void
show_gpu_layers (BendiChatSettingsPanel *self)
{
  gint64 layers = self->settings != NULL ? bendi_chat_settings_get_gpu_layers (self->settings) : -1;

  self->showing_gpu_layers = TRUE;
  gtk_check_button_set_active (self->gpu_layers_auto, layers < 0);
  if (layers >= 0)
    gtk_adjustment_set_value (self->gpu_layers_adjustment, (double) layers);
  gtk_widget_set_sensitive (GTK_WIDGET (self->gpu_layers_spin), layers >= 0);
  self->showing_gpu_layers = FALSE;
  update_reload_row (self);
}

static void
gpu_layers_widget_cb (BendiChatSettingsPanel *self)
{
  gint64 layers;

  if (self->showing_gpu_layers || self->settings == NULL)
    return;
  layers = gtk_check_button_get_active (self->gpu_layers_auto)
             ? -1 : (gint64) gtk_adjustment_get_value (self->gpu_layers_adjustment);
  g_object_set (self->settings, "gpu-layers", layers, NULL);
  /* The setting may not have changed (the same count again): the
   * widgets must still agree with it. */
  show_gpu_layers (self);
}

static void
reload_clicked_cb (BendiChatSettingsPanel *self)
{
  g_signal_emit (self, signals[RELOAD_MODEL], 0);
}

static void
reset_clicked_cb (BendiChatSettingsPanel *self)
{
  if (self->settings != NULL)
    bendi_chat_settings_reset (self->settings);
  gtk_drop_down_set_selected (self->preset_dropdown, GTK_INVALID_LIST_POSITION);
}

static void
unbind (BendiChatSettingsPanel *self)
{
  for (guint i = 0; i < self->bindings->len; i++)
    g_binding_unbind (g_ptr_array_index (self->bindings, i));
  g_ptr_array_set_size (self->bindings, 0);
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);
}

static void
bendi_chat_settings_panel_dispose (GObject *object)
{
  BendiChatSettingsPanel *self = BENDI_CHAT_SETTINGS_PANEL (object);
  GtkWidget *child;

  unbind (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), BENDI_TYPE_CHAT_SETTINGS_PANEL);
  /* Template children without an id are not unparented by it. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (bendi_chat_settings_panel_parent_class)->dispose (object);
}

static void
bendi_chat_settings_panel_finalize (GObject *object)
{
  BendiChatSettingsPanel *self = BENDI_CHAT_SETTINGS_PANEL (object);

  g_ptr_array_unref (self->bindings);
  g_free (self->loaded_backend);

  G_OBJECT_CLASS (bendi_chat_settings_panel_parent_class)->finalize (object);
}

static void
bendi_chat_settings_panel_class_init (BendiChatSettingsPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bendi_chat_settings_panel_dispose;
  object_class->finalize = bendi_chat_settings_panel_finalize;

  signals[RELOAD_MODEL] =
    g_signal_new ("reload-model",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/bendi/Bendi/chat-settings-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, BendiChatSettingsPanel, preset_dropdown);
  gtk_widget_class_bind_template_child (widget_class, BendiChatSettingsPanel, save_preset_popover);
  gtk_widget_class_bind_template_child (widget_class, BendiChatSettingsPanel, preset_name_entry);
  gtk_widget_class_bind_template_child (widget_class, BendiChatSettingsPanel, system_view);
  gtk_widget_class_bind_template_child (widget_class, BendiChatSettingsPanel, temperature_adjustment);
  gtk_widget_class_bind_template_child (widget_class, BendiChatSettingsPanel, top_p_adjustment);
  gtk_widget_class_bind_template_child (widget_class, BendiChatSettingsPanel, top_k_adjustment);
  gtk_widget_class_bind_template_child (widget_class, BendiChatSettingsPanel, min_p_adjustment);
  gtk_widget_class_bind_template_child (widget_class, BendiChatSettingsPanel, repeat_penalty_adjustment);
  gtk_widget_class_bind_template_child (widget_class, BendiChatSettingsPanel, max_tokens_adjustment);
  gtk_widget_class_bind_template_child (widget_class, BendiChatSettingsPanel, context_length_adjustment);
  gtk_widget_class_bind_template_child (widget_class, BendiChatSettingsPanel, backend_row);
  gtk_widget_class_bind_template_child (widget_class, BendiChatSettingsPanel, gpu_layers_row);
  gtk_widget_class_bind_template_child (widget_class, BendiChatSettingsPanel, running_on_row);
  gtk_widget_class_bind_template_child (widget_class, BendiChatSettingsPanel, gpu_layers_auto);
  gtk_widget_class_bind_template_child (widget_class, BendiChatSettingsPanel, gpu_layers_spin);
  gtk_widget_class_bind_template_child (widget_class, BendiChatSettingsPanel, gpu_layers_adjustment);
  gtk_widget_class_bind_template_child (widget_class, BendiChatSettingsPanel, reload_row);
  gtk_widget_class_bind_template_callback (widget_class, save_preset_cb);
  gtk_widget_class_bind_template_callback (widget_class, reload_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, reset_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, gpu_layers_widget_cb);
  gtk_widget_class_bind_template_callback (widget_class, backend_widget_cb);
}

static void
bendi_chat_settings_panel_init (BendiChatSettingsPanel *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->bindings = g_ptr_array_new ();
  self->loaded_gpu_layers = -1;
  g_signal_connect_swapped (self->preset_dropdown, "notify::selected", G_CALLBACK (preset_selected_cb), self);
}

static void
bind (BendiChatSettingsPanel *self,
      const char             *property,
      gpointer                target,
      const char             *target_property)
{
  g_ptr_array_add (self->bindings,
                   g_object_bind_property (self->settings, property, target, target_property,
                                           G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE));
}

void
bendi_chat_settings_panel_set_settings (BendiChatSettingsPanel *self,
                                        BendiChatSettings      *settings)
{
  g_return_if_fail (BENDI_IS_CHAT_SETTINGS_PANEL (self));
  g_return_if_fail (settings == NULL || BENDI_IS_CHAT_SETTINGS (settings));

  unbind (self);
  if (settings == NULL)
    return;
  self->settings = g_object_ref (settings);
  bind (self, "system-prompt", gtk_text_view_get_buffer (self->system_view), "text");
  bind (self, "temperature", self->temperature_adjustment, "value");
  bind (self, "top-p", self->top_p_adjustment, "value");
  bind (self, "top-k", self->top_k_adjustment, "value");
  bind (self, "min-p", self->min_p_adjustment, "value");
  bind (self, "repeat-penalty", self->repeat_penalty_adjustment, "value");
  bind (self, "max-tokens", self->max_tokens_adjustment, "value");
  bind (self, "context-length", self->context_length_adjustment, "value");
  g_signal_connect_swapped (settings, "notify::context-length", G_CALLBACK (update_reload_row), self);
  g_signal_connect_swapped (settings, "notify::gpu-layers", G_CALLBACK (show_gpu_layers), self);
  g_signal_connect_swapped (settings, "notify::backend", G_CALLBACK (show_backend), self);
  fill_presets (self);
  show_gpu_layers (self);
  show_backend (self);
}

void
bendi_chat_settings_panel_set_loaded_context_length (BendiChatSettingsPanel *self,
                                                     gint64                  n_ctx)
{
  g_return_if_fail (BENDI_IS_CHAT_SETTINGS_PANEL (self));

  self->loaded_n_ctx = n_ctx;
  update_reload_row (self);
}

void
bendi_chat_settings_panel_set_loaded_placement (BendiChatSettingsPanel *self,
                                                gboolean                loaded,
                                                const char             *backend,
                                                gint64                  gpu_layers)
{
  g_return_if_fail (BENDI_IS_CHAT_SETTINGS_PANEL (self));

  self->model_loaded = loaded;
  self->loaded_gpu_layers = gpu_layers;
  g_free (self->loaded_backend);
  self->loaded_backend = g_strdup (backend);
  update_reload_row (self);
}

/* "All 22 layers on the GPU: NVIDIA GeForce RTX 4090", "10 of 22 layers on
 * the GPU, the rest on the processor", "On the processor, 8 threads". */
static char *
describe_placement (const BendiChatPlacement *placement)
{
  int n_layers = (int) MIN (placement->n_layers, G_MAXINT);
  int gpu_layers = (int) MIN (placement->gpu_layers, G_MAXINT);

  if (gpu_layers <= 0)
    return g_strdup_printf (ngettext ("On the processor, %d thread", "On the processor, %d threads",
                                      placement->n_threads),
                            placement->n_threads);
  if (gpu_layers >= n_layers && placement->gpu_names != NULL)
    /* TRANSLATORS: the model's layers, then the GPU's name */
    return g_strdup_printf (ngettext ("All %d layer on the GPU: %s", "All %d layers on the GPU: %s", n_layers),
                            n_layers, placement->gpu_names);
  if (gpu_layers >= n_layers)
    return g_strdup_printf (ngettext ("All %d layer on the GPU", "All %d layers on the GPU", n_layers), n_layers);
  if (placement->gpu_names != NULL)
    /* TRANSLATORS: layers on the GPU, the model's layers, then the GPU's name */
    return g_strdup_printf (ngettext ("%d of %d layer on the GPU (%s), the rest on the processor",
                                      "%d of %d layers on the GPU (%s), the rest on the processor", n_layers),
                            gpu_layers, n_layers, placement->gpu_names);
  return g_strdup_printf (ngettext ("%d of %d layer on the GPU, the rest on the processor",
                                    "%d of %d layers on the GPU, the rest on the processor", n_layers),
                          gpu_layers, n_layers);
}

void
bendi_chat_settings_panel_set_running_on (BendiChatSettingsPanel   *self,
                                          const BendiChatPlacement *placement)
{
  g_autofree char *where = NULL;
  g_autofree char *text = NULL;

  g_return_if_fail (BENDI_IS_CHAT_SETTINGS_PANEL (self));

  if (placement == NULL || placement->n_layers <= 0)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->running_on_row), FALSE);
      return;
    }
  where = describe_placement (placement);
  /* The engine's note (why the GPU was left, or fewer layers loaded) is
   * its own English: what matters is that people see it at all. */
  text = placement->note != NULL ? g_strdup_printf ("%s\n%s", where, placement->note) : g_strdup (where);
  adw_action_row_set_subtitle (self->running_on_row, text);
  gtk_widget_set_visible (GTK_WIDGET (self->running_on_row), TRUE);
}

void
bendi_chat_settings_panel_set_have_gpu (BendiChatSettingsPanel *self,
                                        gboolean                have_gpu)
{
  g_return_if_fail (BENDI_IS_CHAT_SETTINGS_PANEL (self));

  adw_action_row_set_subtitle (self->gpu_layers_row,
                               have_gpu ? _("Layers of the model that run on the GPU; the rest run on the processor")
                                        : _("No GPU was found: the layers only matter for the Vulkan backend, "
                                            "which then runs on the processor"));
}
