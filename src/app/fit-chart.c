/* SPDX-License-Identifier: MIT */
/* The fit chart: where the memory runs out, and how generation slows as models grow (bandwidth ÷ bytes per token). */
#define G_LOG_DOMAIN "bendi-app"

#include "fit-chart.h"

#include <glib/gi18n.h>
#include <math.h>

#include "catalogue-fit.h"
#include "fit-estimate.h"

#define MARGIN_LEFT 48.0
#define MARGIN_RIGHT 16.0
#define MARGIN_TOP 28.0
#define MARGIN_BOTTOM 44.0
#define DOT_RADIUS 4.0

typedef struct {
  char   *name;
  double  size_gb;
  double  tokens_per_s;     /* 0: unknown */
  BendiFitVerdict verdict;
} Dot;

struct _BendiFitChart
{
  GtkWidget  parent_instance;

  gboolean   have_hw;
  double     ram_gb;           /* available */
  double     gpu_gb;           /* free on the GPU offloaded to; 0: none */
  gboolean   gpu_uma;
  double     cpu_rate;         /* bytes per second generation reaches; 0: not measured */
  double     gpu_rate;
  GArray    *dots;             /* Dot */
  char      *summary;
};

G_DEFINE_FINAL_TYPE (BendiFitChart, bendi_fit_chart, GTK_TYPE_WIDGET)

static void
dot_clear (gpointer data)
{
  Dot *dot = data;

  g_free (dot->name);
}

/* 1, 2 or 5 times a power of ten: axis steps people read easily. */
static double
nice_step (double range,
           int    max_ticks)
{
  double raw = range / MAX (max_ticks, 1);
  double power = pow (10.0, floor (log10 (raw)));
  double fraction = raw / power;

  if (fraction <= 1.0)
    return power;
  if (fraction <= 2.0)
    return 2.0 * power;
  if (fraction <= 5.0)
    return 5.0 * power;
  return 10.0 * power;
}

static void
set_colour (cairo_t       *cr,
            const GdkRGBA *colour,
            double         alpha)
{
  cairo_set_source_rgba (cr, colour->red, colour->green, colour->blue, colour->alpha * alpha);
}

/* Returns the text's width, so that labels can keep clear of each other. */
static double
draw_text (BendiFitChart *self,
           cairo_t       *cr,
           const char    *text,
           double         x,
           double         y,
           double         xalign,
           gboolean       small)
{
  g_autoptr (PangoLayout) layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
  int width, height;

  if (small)
    {
      PangoAttrList *attrs = pango_attr_list_new ();

      pango_attr_list_insert (attrs, pango_attr_scale_new (PANGO_SCALE_SMALL));
      pango_layout_set_attributes (layout, attrs);
      pango_attr_list_unref (attrs);
    }
  pango_layout_get_pixel_size (layout, &width, &height);
  cairo_move_to (cr, x - xalign * width, y - height / 2.0);
  pango_cairo_show_layout (cr, layout);
  return width;
}

static double
speed_at (BendiFitChart *self,
          double         size_gb)
{
  double bytes = size_gb * 1e9;

  if (bytes <= 0.0)
    return 0.0;
  if (self->gpu_rate > 0.0 && size_gb <= self->gpu_gb)
    return self->gpu_rate / bytes;
  return self->cpu_rate > 0.0 ? self->cpu_rate / bytes : 0.0;
}

static void
bendi_fit_chart_snapshot (GtkWidget   *widget,
                          GtkSnapshot *snapshot)
{
  BendiFitChart *self = BENDI_FIT_CHART (widget);
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  double plot_w = width - MARGIN_LEFT - MARGIN_RIGHT;
  double plot_h = height - MARGIN_TOP - MARGIN_BOTTOM;
  GdkRGBA fg, gpu_colour = { 0.15, 0.64, 0.41, 1 }, ram_colour = { 0.21, 0.52, 0.89, 1 };
  GdkRGBA no_colour = { 0.75, 0.11, 0.16, 1 };
  double x_max, y_max = 10.0, x_step, y_step, last_label_end = -1e9;
  gboolean have_speed;
  cairo_t *cr;

  if (!self->have_hw || plot_w < 40.0 || plot_h < 40.0)
    return;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS

  x_max = MAX (self->ram_gb + (self->gpu_uma ? 0.0 : self->gpu_gb), 1.0) * 1.25;
  have_speed = self->cpu_rate > 0.0 || self->gpu_rate > 0.0;
  for (guint i = 0; i < self->dots->len; i++)
    {
      const Dot *dot = &g_array_index (self->dots, Dot, i);

      y_max = MAX (y_max, dot->tokens_per_s * 1.15);
    }
  y_max = MIN (y_max, 500.0);
  x_step = nice_step (x_max, (int) MAX (2.0, plot_w / 70.0));
  y_step = nice_step (y_max, (int) MAX (2.0, plot_h / 40.0));

  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, (float) width, (float) height));
  cairo_set_line_width (cr, 1.0);

#define X(gb) (MARGIN_LEFT + (gb) / x_max * plot_w)
#define Y(tps) (MARGIN_TOP + plot_h - MIN ((tps), y_max) / y_max * plot_h)

  /* Where models fit: on the GPU, in RAM (partly on the GPU when one
   * helps), nowhere. */
  if (self->gpu_gb > 0.0 && !self->gpu_uma)
    {
      set_colour (cr, &gpu_colour, 0.16);
      cairo_rectangle (cr, X (0), MARGIN_TOP, X (self->gpu_gb) - X (0), plot_h);
      cairo_fill (cr);
    }
  set_colour (cr, &ram_colour, 0.12);
  cairo_rectangle (cr, X (self->gpu_uma ? 0.0 : self->gpu_gb), MARGIN_TOP,
                   X (self->ram_gb + (self->gpu_uma ? 0.0 : self->gpu_gb)) - X (self->gpu_uma ? 0.0 : self->gpu_gb),
                   plot_h);
  cairo_fill (cr);
  set_colour (cr, &no_colour, 0.08);
  cairo_rectangle (cr, X (self->ram_gb + (self->gpu_uma ? 0.0 : self->gpu_gb)), MARGIN_TOP,
                   X (x_max) - X (self->ram_gb + (self->gpu_uma ? 0.0 : self->gpu_gb)), plot_h);
  cairo_fill (cr);

  /* Axes and ticks. */
  set_colour (cr, &fg, 0.15);
  for (double y = y_step; y <= y_max + 1e-9; y += y_step)
    {
      cairo_move_to (cr, X (0), Y (y) + 0.5);
      cairo_line_to (cr, X (x_max), Y (y) + 0.5);
    }
  cairo_stroke (cr);
  set_colour (cr, &fg, 0.6);
  cairo_move_to (cr, X (0) + 0.5, MARGIN_TOP);
  cairo_line_to (cr, X (0) + 0.5, MARGIN_TOP + plot_h + 0.5);
  cairo_line_to (cr, X (x_max), MARGIN_TOP + plot_h + 0.5);
  cairo_stroke (cr);
  for (double x = 0.0; x <= x_max + 1e-9; x += x_step)
    {
      g_autofree char *tick = g_strdup_printf ("%g", x);

      draw_text (self, cr, tick, X (x), MARGIN_TOP + plot_h + 10.0, 0.5, TRUE);
    }
  if (have_speed)
    for (double y = 0.0; y <= y_max + 1e-9; y += y_step)
      {
        g_autofree char *tick = g_strdup_printf ("%g", y);

        draw_text (self, cr, tick, X (0) - 6.0, Y (y), 1.0, TRUE);
      }
  set_colour (cr, &fg, 0.75);
  /* TRANSLATORS: the chart's horizontal axis */
  draw_text (self, cr, _("Model size in GB"), X (x_max / 2.0), height - 10.0, 0.5, TRUE);
  /* TRANSLATORS: the chart's vertical axis: the most tokens per second memory allows */
  draw_text (self, cr, have_speed ? _("Tokens per second, at most") : _("Speed: measure the memory first"), 4.0,
             MARGIN_TOP / 2.0, 0.0, TRUE);

  /* The memory lines, labelled. */
  {
    const double dashes[] = { 4.0, 3.0 };

    cairo_set_dash (cr, dashes, 2, 0.0);
    if (self->gpu_gb > 0.0 && !self->gpu_uma)
      {
        g_autofree char *text = g_strdup_printf (_("GPU %.1f GB"), self->gpu_gb);

        set_colour (cr, &gpu_colour, 1.0);
        cairo_move_to (cr, X (self->gpu_gb) + 0.5, MARGIN_TOP);
        cairo_line_to (cr, X (self->gpu_gb) + 0.5, MARGIN_TOP + plot_h);
        cairo_stroke (cr);
        draw_text (self, cr, text, X (self->gpu_gb) + 3.0, MARGIN_TOP + 8.0, 0.0, TRUE);
      }
    {
      double ram_end = self->ram_gb + (self->gpu_uma ? 0.0 : self->gpu_gb);
      g_autofree char *text = g_strdup_printf (_("RAM %.1f GB"), self->ram_gb);

      set_colour (cr, &ram_colour, 1.0);
      cairo_move_to (cr, X (ram_end) + 0.5, MARGIN_TOP);
      cairo_line_to (cr, X (ram_end) + 0.5, MARGIN_TOP + plot_h);
      cairo_stroke (cr);
      draw_text (self, cr, text, X (ram_end) - 3.0, MARGIN_TOP + 24.0, 1.0, TRUE);
    }
    cairo_set_dash (cr, NULL, 0, 0.0);
  }

  /* The speed limit: bandwidth ÷ bytes read per token. */
  if (have_speed)
    {
      gboolean started = FALSE;

      set_colour (cr, &fg, 0.85);
      cairo_set_line_width (cr, 2.0);
      for (double px = 1.0; px <= plot_w; px += 2.0)
        {
          double gb = px / plot_w * x_max;
          double tps = speed_at (self, gb);

          if (tps <= 0.0)
            continue;
          if (!started)
            cairo_move_to (cr, X (gb), Y (tps));
          else
            cairo_line_to (cr, X (gb), Y (tps));
          started = TRUE;
        }
      cairo_stroke (cr);
      cairo_set_line_width (cr, 1.0);
    }

  /* The catalogue's models, labelled where there is room. */
  for (guint i = 0; i < self->dots->len; i++)
    {
      const Dot *dot = &g_array_index (self->dots, Dot, i);
      double y = have_speed && dot->tokens_per_s > 0.0 ? Y (dot->tokens_per_s) : MARGIN_TOP + plot_h - 8.0;
      const GdkRGBA *colour = dot->verdict == BENDI_FIT_VERDICT_GPU ? &gpu_colour
                              : dot->verdict == BENDI_FIT_VERDICT_NO ? &no_colour : &ram_colour;

      if (dot->size_gb > x_max)
        continue;
      set_colour (cr, colour, 1.0);
      cairo_arc (cr, X (dot->size_gb), y, DOT_RADIUS, 0, 2 * G_PI);
      cairo_fill (cr);
      /* Long names would run into the next: a label only where the last
       * one has ended. */
      if (X (dot->size_gb) + 6.0 > last_label_end + 8.0)
        {
          set_colour (cr, &fg, 0.8);
          last_label_end = X (dot->size_gb) + 6.0 +
                           draw_text (self, cr, dot->name, X (dot->size_gb) + 6.0, y - 9.0, 0.0, TRUE);
        }
    }
#undef X
#undef Y

  cairo_destroy (cr);
}

static void
bendi_fit_chart_measure (GtkWidget      *widget G_GNUC_UNUSED,
                         GtkOrientation  orientation,
                         int             for_size G_GNUC_UNUSED,
                         int            *minimum,
                         int            *natural,
                         int            *minimum_baseline,
                         int            *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 240;
      *natural = 600;
    }
  else
    {
      *minimum = 220;
      *natural = 300;
    }
  *minimum_baseline = *natural_baseline = -1;
}

static void
bendi_fit_chart_finalize (GObject *object)
{
  BendiFitChart *self = BENDI_FIT_CHART (object);

  g_clear_pointer (&self->dots, g_array_unref);
  g_free (self->summary);

  G_OBJECT_CLASS (bendi_fit_chart_parent_class)->finalize (object);
}

static void
bendi_fit_chart_class_init (BendiFitChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = bendi_fit_chart_finalize;
  widget_class->snapshot = bendi_fit_chart_snapshot;
  widget_class->measure = bendi_fit_chart_measure;

  gtk_widget_class_set_css_name (widget_class, "fit-chart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
bendi_fit_chart_init (BendiFitChart *self)
{
  self->dots = g_array_new (FALSE, TRUE, sizeof (Dot));
  g_array_set_clear_func (self->dots, dot_clear);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Which models fit this computer"), -1);
}

GtkWidget *
bendi_fit_chart_new (void)
{
  return g_object_new (BENDI_TYPE_FIT_CHART, NULL);
}

static int
compare_dots (gconstpointer a,
              gconstpointer b)
{
  double size_a = ((const Dot *) a)->size_gb;
  double size_b = ((const Dot *) b)->size_gb;

  return size_a < size_b ? -1 : size_a > size_b;
}

void
bendi_fit_chart_set_hardware (BendiFitChart     *self,
                              const BendiHwInfo *hw,
                              GPtrArray         *catalogue)
{
  const BendiHwGpu *gpu;
  g_autoptr (GString) summary = g_string_new (NULL);
  guint n_fit = 0;

  g_return_if_fail (BENDI_IS_FIT_CHART (self));

  g_array_set_size (self->dots, 0);
  self->have_hw = hw != NULL;
  if (hw == NULL)
    {
      gtk_widget_queue_draw (GTK_WIDGET (self));
      return;
    }
  gpu = bendi_catalogue_fit_offload_gpu (hw);
  self->ram_gb = (double) hw->ram_available_bytes / 1e9;
  self->gpu_gb = gpu != NULL ? (double) gpu->vram_free_bytes / 1e9 : 0.0;
  self->gpu_uma = gpu != NULL && gpu->uma;
  self->cpu_rate = hw->cpu_bandwidth_gbps * 1e9 * BENDI_FIT_CPU_EFFICIENCY;
  self->gpu_rate = gpu != NULL ? gpu->bandwidth_gbps * 1e9 * BENDI_FIT_GPU_EFFICIENCY : 0.0;

  for (guint i = 0; catalogue != NULL && i < catalogue->len; i++)
    {
      const BendiHubCatalogueEntry *entry = g_ptr_array_index (catalogue, i);
      BendiCatalogueFit fit;
      Dot dot = { 0 };

      /* Only what runs; one point per size is enough to read the curve. */
      if (!entry->supported)
        continue;
      bendi_catalogue_fit_estimate (entry, hw, 0, &fit);
      dot.name = g_strdup (entry->name);
      dot.size_gb = (double) fit.weights_bytes / 1e9;
      dot.tokens_per_s = fit.tokens_per_s;
      dot.verdict = fit.verdict;
      n_fit += fit.verdict != BENDI_FIT_VERDICT_NO;
      g_array_append_val (self->dots, dot);
    }

  g_array_sort (self->dots, compare_dots);

  {
    g_autofree char *ram = g_format_size (hw->ram_available_bytes);

    /* TRANSLATORS: the chart's summary for screen readers and its caption */
    g_string_append_printf (summary, _("Models up to about %s fit in the free RAM."), ram);
    if (gpu != NULL && !gpu->uma)
      {
        g_autofree char *vram = g_format_size (gpu->vram_free_bytes);

        g_string_append_c (summary, ' ');
        g_string_append_printf (summary, _("Models up to about %s fit entirely on the GPU, the fastest place."), vram);
      }
    if (self->cpu_rate > 0.0)
      {
        g_string_append_c (summary, ' ');
        g_string_append_printf (summary, _("A 4 GB model generates at most about %.0f tokens per second here; "
                                           "twice the size, half the speed."),
                                speed_at (self, 4.0));
      }
    g_string_append_c (summary, ' ');
    g_string_append_printf (summary, g_dngettext (GETTEXT_PACKAGE, "%u catalogue model fits.",
                                                  "%u catalogue models fit.", n_fit),
                            n_fit);
  }
  g_free (self->summary);
  self->summary = g_string_free (g_steal_pointer (&summary), FALSE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, self->summary, -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

const char *
bendi_fit_chart_get_summary (BendiFitChart *self)
{
  g_return_val_if_fail (BENDI_IS_FIT_CHART (self), NULL);
  return self->summary;
}
