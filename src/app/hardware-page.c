/* SPDX-License-Identifier: MIT */
/* The Hardware page: the shared probe shown as rows, a bandwidth measurement run in two steps, and the fit chart. */
#define G_LOG_DOMAIN "bendi-app"

#include "hardware-page.h"

#include <glib/gi18n.h>

#include "app-format.h"
#include "app-state.h"
#include "catalogue-fit.h"
#include "fit-chart.h"
#include "window.h"

#define PULSE_MS 120

struct _BendiHardwarePage
{
  BendiPage            parent_instance;

  AdwHeaderBar        *header_bar;
  GtkStack            *stack;
  GtkSpinner          *spinner;
  AdwActionRow        *cpu_row;
  AdwActionRow        *cores_row;
  AdwActionRow        *simd_row;
  AdwActionRow        *ram_row;
  AdwActionRow        *ram_free_row;
  AdwActionRow        *disk_row;
  AdwPreferencesGroup *gpu_group;
  AdwPreferencesGroup *bandwidth_group;
  GtkListBoxRow       *progress_row;
  GtkLabel            *progress_label;
  GtkProgressBar      *progress_bar;
  AdwActionRow        *cpu_bandwidth_row;
  BendiFitChart       *chart;
  GtkLabel            *chart_label;

  BendiAppState       *state;
  GPtrArray           *gpu_rows;        /* rows added to gpu_group and bandwidth_group */
  GCancellable        *cancellable;
  guint                pulse_source;
  gboolean             measuring;
};

G_DEFINE_FINAL_TYPE (BendiHardwarePage, bendi_hardware_page, BENDI_TYPE_PAGE)

static const char *
gpu_type_name (BendiVkDeviceType type)
{
  switch (type)
    {
    case BENDI_VK_DEVICE_TYPE_DISCRETE:
      return _("Graphics card");
    case BENDI_VK_DEVICE_TYPE_INTEGRATED:
      return _("Integrated graphics");
    case BENDI_VK_DEVICE_TYPE_VIRTUAL:
      return _("Virtual GPU");
    case BENDI_VK_DEVICE_TYPE_CPU:
      return _("Software renderer on the processor");
    case BENDI_VK_DEVICE_TYPE_OTHER:
    default:
      return _("GPU");
    }
}

static void
set_subtitle (AdwActionRow *row,
              const char   *text)
{
  adw_action_row_set_subtitle (row, text != NULL && *text != '\0' ? text : _("Unknown"));
}

static void
add_row (BendiHardwarePage   *self,
         AdwPreferencesGroup *group,
         const char          *title,
         const char          *subtitle)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 4);
  adw_preferences_group_add (group, row);
  g_ptr_array_add (self->gpu_rows, row);
  g_object_set_data (G_OBJECT (row), "bendi-group", group);
}

static void
clear_gpu_rows (BendiHardwarePage *self)
{
  for (guint i = 0; i < self->gpu_rows->len; i++)
    {
      GtkWidget *row = g_ptr_array_index (self->gpu_rows, i);

      adw_preferences_group_remove (g_object_get_data (G_OBJECT (row), "bendi-group"), row);
    }
  g_ptr_array_set_size (self->gpu_rows, 0);
}

static void
show_gpus (BendiHardwarePage *self,
           const BendiHwInfo *hw)
{
  const BendiHwGpu *offload = bendi_catalogue_fit_offload_gpu (hw);

  clear_gpu_rows (self);
  for (guint i = 0; hw->gpus != NULL && i < hw->gpus->len; i++)
    {
      const BendiHwGpu *gpu = g_ptr_array_index (hw->gpus, i);
      g_autofree char *vram = g_format_size (gpu->vram_bytes);
      g_autofree char *vram_free = g_format_size (gpu->vram_free_bytes);
      g_autofree char *memory = NULL;
      g_autofree char *subtitle = NULL;

      if (gpu->uma)
        /* TRANSLATORS: an integrated GPU's memory: "2.1 GB shared with the processor, 2.1 GB free" */
        memory = g_strdup_printf (_("%s shared with the processor, %s free"), vram, vram_free);
      else
        /* TRANSLATORS: a GPU's memory: "8.0 GB, 6.1 GB free" */
        memory = g_strdup_printf (_("%s of memory, %s free"), vram, vram_free);
      if (gpu->usable && gpu->type != BENDI_VK_DEVICE_TYPE_CPU)
        subtitle = g_strdup_printf ("%s · %s", gpu_type_name (gpu->type), memory);
      else if (gpu->usable)
        subtitle = g_strdup_printf ("%s · %s", gpu_type_name (gpu->type),
                                    _("no faster than the processor itself, so Bendi does not use it"));
      else
        subtitle = g_strdup_printf ("%s · %s", gpu_type_name (gpu->type), _("Bendi cannot use it"));
      add_row (self, self->gpu_group, gpu->name, subtitle);
    }
  /* No GPU is a normal case, not an error: say what it means. */
  if (offload == NULL)
    {
      g_autofree char *subtitle = NULL;

      if (hw->gpu_note != NULL)
        subtitle = g_strdup_printf ("%s %s", _("Models run on the processor, which works; a GPU with enough memory "
                                               "makes them several times faster."), hw->gpu_note);
      else
        subtitle = g_strdup (_("Models run on the processor, which works; a GPU with enough memory makes them "
                               "several times faster."));
      add_row (self, self->gpu_group, _("No GPU Bendi Can Use"), subtitle);
    }
  else
    for (guint i = 0; i < hw->gpus->len; i++)
      {
        const BendiHwGpu *gpu = g_ptr_array_index (hw->gpus, i);
        g_autofree char *bandwidth = NULL;

        if (!gpu->usable || gpu->type == BENDI_VK_DEVICE_TYPE_CPU)
          continue;
        bandwidth = bendi_format_bandwidth (gpu->bandwidth_gbps);
        add_row (self, self->bandwidth_group, gpu->name, bandwidth);
      }
}

static void
show_hardware (BendiHardwarePage *self)
{
  const BendiHwInfo *hw = bendi_app_state_get_hardware (self->state);
  g_autofree char *cores = NULL;
  g_autofree char *simd = NULL;
  g_autofree char *ram = NULL;
  g_autofree char *ram_free = NULL;
  g_autofree char *disk = NULL;
  g_autofree char *bandwidth = NULL;

  if (hw == NULL)
    {
      gtk_spinner_start (self->spinner);
      gtk_stack_set_visible_child_name (self->stack, "loading");
      return;
    }

  set_subtitle (self->cpu_row, hw->cpu_model);
  /* TRANSLATORS: "8 cores, 16 threads" */
  cores = g_strdup_printf (_("%d cores, %d threads"), hw->physical_cores, hw->logical_cores);
  set_subtitle (self->cores_row, cores);
  if (hw->kernels != NULL && *hw->kernels != '\0')
    /* TRANSLATORS: the processor's instruction sets, then the ones Bendi's own code uses */
    simd = g_strdup_printf (_("%s (Bendi uses %s)"), hw->simd, hw->kernels);
  set_subtitle (self->simd_row, simd != NULL ? simd : hw->simd);

  ram = g_format_size (hw->ram_total_bytes);
  if (hw->ram_cgroup_limited)
    {
      g_autofree char *physical = g_format_size (hw->ram_physical_bytes);
      g_autofree char *limited = g_strdup_printf (_("%s for Bendi, of %s (limited by the system)"), ram, physical);

      set_subtitle (self->ram_row, limited);
    }
  else
    set_subtitle (self->ram_row, ram);
  ram_free = g_format_size (hw->ram_available_bytes);
  set_subtitle (self->ram_free_row, ram_free);
  disk = g_format_size (hw->disk_free_bytes);
  if (hw->models_dir != NULL)
    {
      g_autofree char *with_dir = g_strdup_printf ("%s · %s", disk, hw->models_dir);

      set_subtitle (self->disk_row, with_dir);
    }
  else
    set_subtitle (self->disk_row, disk);

  bandwidth = bendi_format_bandwidth (hw->cpu_bandwidth_gbps);
  set_subtitle (self->cpu_bandwidth_row, bandwidth);
  show_gpus (self, hw);

  bendi_fit_chart_set_hardware (self->chart, hw, bendi_app_state_get_catalogue (self->state, NULL));
  gtk_label_set_text (self->chart_label, bendi_fit_chart_get_summary (self->chart));

  gtk_spinner_stop (self->spinner);
  gtk_stack_set_visible_child_name (self->stack, "info");
}

/* ------------------------------------------------------------------------ */
/* Measuring: the CPU's memory first, then the GPUs', one step at a time so
 * the page can say which one runs. */

static gboolean
pulse_cb (gpointer user_data)
{
  BendiHardwarePage *self = user_data;

  gtk_progress_bar_pulse (self->progress_bar);
  return G_SOURCE_CONTINUE;
}

static void
stop_measuring (BendiHardwarePage *self)
{
  self->measuring = FALSE;
  g_clear_handle_id (&self->pulse_source, g_source_remove);
  gtk_widget_set_visible (GTK_WIDGET (self->progress_row), FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "hardware.measure", TRUE);
}

static void
report_cache_error (BendiHardwarePage *self,
                    const GError      *error)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autofree char *text = NULL;

  if (!BENDI_IS_WINDOW (root))
    return;
  text = g_strdup_printf (_("The measurement could not be saved for next time: %s"), error->message);
  bendi_window_add_toast (BENDI_WINDOW (root), adw_toast_new (text));
}

static void
measured_gpus_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (BendiHardwarePage) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!bendi_app_state_measure_finish (BENDI_APP_STATE (object), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      report_cache_error (self, error);
    }
  stop_measuring (self);
}

static void
measured_cpu_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (BendiHardwarePage) self = user_data;
  g_autoptr (GError) error = NULL;
  const BendiHwInfo *hw;

  if (!bendi_app_state_measure_finish (BENDI_APP_STATE (object), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      report_cache_error (self, error);
    }
  hw = bendi_app_state_get_hardware (self->state);
  if (hw == NULL || bendi_catalogue_fit_offload_gpu (hw) == NULL)
    {
      stop_measuring (self);
      return;
    }
  gtk_label_set_text (self->progress_label, _("Measuring the GPU’s memory… (step 2 of 2)"));
  bendi_app_state_measure_async (self->state, BENDI_HW_MEASURE_GPUS | BENDI_HW_MEASURE_AGAIN, self->cancellable,
                                 measured_gpus_cb, g_object_ref (self));
}

static void
measure_activated_cb (GtkWidget  *widget,
                      const char *action_name G_GNUC_UNUSED,
                      GVariant   *parameter G_GNUC_UNUSED)
{
  BendiHardwarePage *self = BENDI_HARDWARE_PAGE (widget);
  const BendiHwInfo *hw = bendi_app_state_get_hardware (self->state);

  if (self->measuring)
    return;
  self->measuring = TRUE;
  gtk_widget_action_set_enabled (widget, "hardware.measure", FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->progress_row), TRUE);
  gtk_label_set_text (self->progress_label,
                      hw != NULL && bendi_catalogue_fit_offload_gpu (hw) != NULL
                      ? _("Measuring the main memory… (step 1 of 2)") : _("Measuring the main memory…"));
  self->pulse_source = g_timeout_add (PULSE_MS, pulse_cb, self);
  bendi_app_state_measure_async (self->state, BENDI_HW_MEASURE_CPU | BENDI_HW_MEASURE_AGAIN, self->cancellable,
                                 measured_cpu_cb, g_object_ref (self));
}

/* ------------------------------------------------------------------------ */

static void
bendi_hardware_page_shown (BendiPage *page)
{
  BendiHardwarePage *self = BENDI_HARDWARE_PAGE (page);

  bendi_app_state_probe_hardware (self->state);
}

static void
bendi_hardware_page_dispose (GObject *object)
{
  BendiHardwarePage *self = BENDI_HARDWARE_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->pulse_source, g_source_remove);
  if (self->state != NULL)
    g_signal_handlers_disconnect_by_data (self->state, self);
  if (self->gpu_rows != NULL)
    g_ptr_array_set_size (self->gpu_rows, 0);
  gtk_widget_dispose_template (GTK_WIDGET (self), BENDI_TYPE_HARDWARE_PAGE);

  G_OBJECT_CLASS (bendi_hardware_page_parent_class)->dispose (object);
}

static void
bendi_hardware_page_finalize (GObject *object)
{
  BendiHardwarePage *self = BENDI_HARDWARE_PAGE (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->state);
  g_clear_pointer (&self->gpu_rows, g_ptr_array_unref);

  G_OBJECT_CLASS (bendi_hardware_page_parent_class)->finalize (object);
}

static void
bendi_hardware_page_class_init (BendiHardwarePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  BendiPageClass *page_class = BENDI_PAGE_CLASS (klass);

  object_class->dispose = bendi_hardware_page_dispose;
  object_class->finalize = bendi_hardware_page_finalize;
  page_class->shown = bendi_hardware_page_shown;

  g_type_ensure (BENDI_TYPE_FIT_CHART);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/bendi/Bendi/hardware-page.ui");
  gtk_widget_class_bind_template_child (widget_class, BendiHardwarePage, header_bar);
  gtk_widget_class_bind_template_child (widget_class, BendiHardwarePage, stack);
  gtk_widget_class_bind_template_child (widget_class, BendiHardwarePage, spinner);
  gtk_widget_class_bind_template_child (widget_class, BendiHardwarePage, cpu_row);
  gtk_widget_class_bind_template_child (widget_class, BendiHardwarePage, cores_row);
  gtk_widget_class_bind_template_child (widget_class, BendiHardwarePage, simd_row);
  gtk_widget_class_bind_template_child (widget_class, BendiHardwarePage, ram_row);
  gtk_widget_class_bind_template_child (widget_class, BendiHardwarePage, ram_free_row);
  gtk_widget_class_bind_template_child (widget_class, BendiHardwarePage, disk_row);
  gtk_widget_class_bind_template_child (widget_class, BendiHardwarePage, gpu_group);
  gtk_widget_class_bind_template_child (widget_class, BendiHardwarePage, bandwidth_group);
  gtk_widget_class_bind_template_child (widget_class, BendiHardwarePage, progress_row);
  gtk_widget_class_bind_template_child (widget_class, BendiHardwarePage, progress_label);
  gtk_widget_class_bind_template_child (widget_class, BendiHardwarePage, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, BendiHardwarePage, cpu_bandwidth_row);
  gtk_widget_class_bind_template_child (widget_class, BendiHardwarePage, chart);
  gtk_widget_class_bind_template_child (widget_class, BendiHardwarePage, chart_label);

  gtk_widget_class_install_action (widget_class, "hardware.measure", NULL, measure_activated_cb);
}

static void
bendi_hardware_page_init (BendiHardwarePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  bendi_page_set_header_bar (BENDI_PAGE (self), self->header_bar);

  self->gpu_rows = g_ptr_array_new ();
  self->cancellable = g_cancellable_new ();
  self->state = g_object_ref (bendi_app_state_get_default ());
  g_signal_connect_swapped (self->state, "notify::hardware", G_CALLBACK (show_hardware), self);
  show_hardware (self);
}

gboolean
bendi_hardware_page_get_measuring (BendiHardwarePage *self)
{
  g_return_val_if_fail (BENDI_IS_HARDWARE_PAGE (self), FALSE);
  return self->measuring;
}
