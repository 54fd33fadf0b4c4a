/* SPDX-License-Identifier: MIT */
/* Markdown as widgets: one text view per run of prose, a BendiCodeBlock per code block, a separator per rule. */
#define G_LOG_DOMAIN "bendi-app"

#include "markdown-view.h"

#include "code-block.h"
#include "markdown.h"

struct _BendiMarkdownView
{
  GtkWidget parent_instance;

  char      *markdown;
  GPtrArray *blocks;   /* of BendiMarkdownBlock, one per child widget */
  int        width;    /* at the last allocation */
  guint      reflow_id;
  guint      reflow_frames;
};

/* Frames to keep checking the text views' heights after a width change. */
#define REFLOW_FRAMES 10

G_DEFINE_FINAL_TYPE (BendiMarkdownView, bendi_markdown_view, GTK_TYPE_WIDGET)

/* The tags every prose view shares, named as the parser names them. */
static GtkTextTagTable *
get_tag_table (void)
{
  static GtkTextTagTable *table;
  static const double heading_scales[] = { 1.5, 1.3, 1.15, 1.05, 1.0, 1.0 };

  if (table != NULL)
    return table;
  table = gtk_text_tag_table_new ();

#define ADD_TAG(name, ...) \
  gtk_text_tag_table_add (table, g_object_new (GTK_TYPE_TEXT_TAG, "name", name, __VA_ARGS__, NULL))

  ADD_TAG ("bold", "weight", PANGO_WEIGHT_BOLD);
  ADD_TAG ("italic", "style", PANGO_STYLE_ITALIC);
  ADD_TAG ("strike", "strikethrough", TRUE);
  ADD_TAG ("code", "family", "monospace", "background", "rgba(127,127,127,0.16)");
  ADD_TAG ("link", "foreground", "#3584e4", "underline", PANGO_UNDERLINE_SINGLE);
  ADD_TAG ("quote", "foreground", "rgba(127,127,127,1)", "left-margin", 14);
  ADD_TAG ("table", "family", "monospace");
  for (int i = 0; i < 6; i++)
    {
      g_autofree char *name = g_strdup_printf ("h%d", i + 1);
      g_autofree char *list = g_strdup_printf ("list%d", i + 1);

      ADD_TAG (name, "weight", PANGO_WEIGHT_BOLD, "scale", heading_scales[i], "pixels-above-lines", 4);
      /* A hanging indent: wrapped lines line up after the bullet. */
      ADD_TAG (list, "left-margin", 18 * (i + 1), "indent", -12);
    }
#undef ADD_TAG
  return table;
}

/* Opens the link under a click, if there is one. */
static void
text_pressed_cb (GtkGestureClick *gesture,
                 int              n_press,
                 double           x,
                 double           y,
                 gpointer         user_data G_GNUC_UNUSED)
{
  GtkTextView *view = GTK_TEXT_VIEW (gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (gesture)));
  GArray *links = g_object_get_data (G_OBJECT (view), "bendi-links");
  GtkTextIter iter;
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);
  int buffer_x, buffer_y;
  int offset;

  if (n_press != 1 || links == NULL || gtk_text_buffer_get_has_selection (buffer))
    return;
  gtk_text_view_window_to_buffer_coords (view, GTK_TEXT_WINDOW_WIDGET, (int) x, (int) y, &buffer_x, &buffer_y);
  if (!gtk_text_view_get_iter_at_location (view, &iter, buffer_x, buffer_y))
    return;
  offset = gtk_text_iter_get_offset (&iter);
  for (guint i = 0; i < links->len; i++)
    {
      const BendiMarkdownSpan *link = &g_array_index (links, BendiMarkdownSpan, i);

      /* Char offsets, converted when the links were stored. */
      if ((gsize) offset >= link->start && (gsize) offset < link->end && link->href != NULL)
        {
          gtk_show_uri (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (view))), link->href, GDK_CURRENT_TIME);
          return;
        }
    }
}

static void
clear_link (gpointer data)
{
  g_free (((BendiMarkdownSpan *) data)->href);
}

static void
fill_text_view (GtkTextView              *view,
                const BendiMarkdownBlock *block)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);
  GArray *links = g_array_new (FALSE, FALSE, sizeof (BendiMarkdownSpan));
  const char *text = block->text->str;

  g_array_set_clear_func (links, clear_link);
  gtk_text_buffer_set_text (buffer, text, (int) block->text->len);
  for (guint i = 0; i < block->spans->len; i++)
    {
      const BendiMarkdownSpan *span = &g_array_index (block->spans, BendiMarkdownSpan, i);
      GtkTextIter start, end;
      glong start_offset = g_utf8_pointer_to_offset (text, text + span->start);
      glong end_offset = g_utf8_pointer_to_offset (text, text + span->end);

      gtk_text_buffer_get_iter_at_offset (buffer, &start, (int) start_offset);
      gtk_text_buffer_get_iter_at_offset (buffer, &end, (int) end_offset);
      gtk_text_buffer_apply_tag_by_name (buffer, span->tag, &start, &end);
      if (span->href != NULL)
        {
          BendiMarkdownSpan link = { (gsize) start_offset, (gsize) end_offset, span->tag, g_strdup (span->href) };

          g_array_append_val (links, link);
        }
    }
  g_object_set_data_full (G_OBJECT (view), "bendi-links", links, (GDestroyNotify) g_array_unref);
}

static GtkWidget *
create_text_view (void)
{
  g_autoptr (GtkTextBuffer) buffer = gtk_text_buffer_new (get_tag_table ());
  GtkWidget *view = gtk_text_view_new_with_buffer (buffer);
  GtkGesture *click = gtk_gesture_click_new ();

  gtk_text_view_set_editable (GTK_TEXT_VIEW (view), FALSE);
  gtk_text_view_set_cursor_visible (GTK_TEXT_VIEW (view), FALSE);
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (view), GTK_WRAP_WORD_CHAR);
  gtk_widget_add_css_class (view, "markdown");
  g_signal_connect (click, "released", G_CALLBACK (text_pressed_cb), NULL);
  gtk_widget_add_controller (view, GTK_EVENT_CONTROLLER (click));
  return view;
}

static GtkWidget *
create_block_widget (const BendiMarkdownBlock *block)
{
  GtkWidget *widget;

  switch (block->kind)
    {
    case BENDI_MARKDOWN_CODE:
      widget = bendi_code_block_new ();
      bendi_code_block_set_code (BENDI_CODE_BLOCK (widget), block->language, block->text->str);
      return widget;
    case BENDI_MARKDOWN_RULE:
      return gtk_separator_new (GTK_ORIENTATION_HORIZONTAL);
    case BENDI_MARKDOWN_TEXT:
    default:
      widget = create_text_view ();
      fill_text_view (GTK_TEXT_VIEW (widget), block);
      return widget;
    }
}

/* Makes @widget show @block if it can without a new widget. */
static gboolean
update_block_widget (GtkWidget                *widget,
                     const BendiMarkdownBlock *old_block,
                     const BendiMarkdownBlock *block)
{
  if (old_block->kind != block->kind)
    return FALSE;
  if (block->kind == BENDI_MARKDOWN_CODE)
    bendi_code_block_set_code (BENDI_CODE_BLOCK (widget), block->language, block->text->str);
  else if (block->kind == BENDI_MARKDOWN_TEXT)
    fill_text_view (GTK_TEXT_VIEW (widget), block);
  return TRUE;
}

static void
bendi_markdown_view_dispose (GObject *object)
{
  BendiMarkdownView *self = BENDI_MARKDOWN_VIEW (object);
  GtkWidget *child;

  if (self->reflow_id != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->reflow_id);
  self->reflow_id = 0;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_pointer (&self->blocks, g_ptr_array_unref);

  G_OBJECT_CLASS (bendi_markdown_view_parent_class)->dispose (object);
}

/* GTK 4.8's GtkTextView rewraps for a new width after it is allocated,
 * and its new height is not asked for again: the last wrapped line would
 * stay cut off. Ask again until every text view has the height it needs. */
static gboolean
reflow_tick_cb (GtkWidget     *widget,
                GdkFrameClock *clock G_GNUC_UNUSED,
                gpointer       user_data G_GNUC_UNUSED)
{
  BendiMarkdownView *self = BENDI_MARKDOWN_VIEW (widget);
  gboolean settled = TRUE;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      int needed = 0;

      if (!GTK_IS_TEXT_VIEW (child) || !gtk_widget_get_visible (child))
        continue;
      gtk_widget_measure (child, GTK_ORIENTATION_VERTICAL, gtk_widget_get_width (child), &needed, NULL, NULL, NULL);
      if (needed != gtk_widget_get_height (child))
        settled = FALSE;
    }
  if (!settled)
    gtk_widget_queue_resize (widget);
  if (settled || ++self->reflow_frames >= REFLOW_FRAMES)
    {
      self->reflow_id = 0;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
bendi_markdown_view_size_allocate (GtkWidget *widget,
                                   int        width,
                                   int        height,
                                   int        baseline)
{
  BendiMarkdownView *self = BENDI_MARKDOWN_VIEW (widget);

  gtk_layout_manager_allocate (gtk_widget_get_layout_manager (widget), widget, width, height, baseline);
  if (width == self->width)
    return;
  self->width = width;
  self->reflow_frames = 0;
  if (self->reflow_id == 0)
    self->reflow_id = gtk_widget_add_tick_callback (widget, reflow_tick_cb, NULL, NULL);
}

static void
bendi_markdown_view_finalize (GObject *object)
{
  BendiMarkdownView *self = BENDI_MARKDOWN_VIEW (object);

  g_free (self->markdown);

  G_OBJECT_CLASS (bendi_markdown_view_parent_class)->finalize (object);
}

static void
bendi_markdown_view_class_init (BendiMarkdownViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bendi_markdown_view_dispose;
  object_class->finalize = bendi_markdown_view_finalize;

  widget_class->size_allocate = bendi_markdown_view_size_allocate;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "markdownview");
}

static void
bendi_markdown_view_init (BendiMarkdownView *self)
{
  GtkLayoutManager *layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));

  gtk_orientable_set_orientation (GTK_ORIENTABLE (layout), GTK_ORIENTATION_VERTICAL);
  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (layout), 10);
  self->blocks = g_ptr_array_new_with_free_func ((GDestroyNotify) bendi_markdown_block_free);
}

GtkWidget *
bendi_markdown_view_new (void)
{
  return g_object_new (BENDI_TYPE_MARKDOWN_VIEW, NULL);
}

void
bendi_markdown_view_set_markdown (BendiMarkdownView *self,
                                  const char        *markdown)
{
  g_autoptr (GPtrArray) blocks = NULL;
  GtkWidget *child;
  guint i;

  g_return_if_fail (BENDI_IS_MARKDOWN_VIEW (self));

  if (markdown == NULL)
    markdown = "";
  if (g_strcmp0 (self->markdown, markdown) == 0)
    return;
  g_free (self->markdown);
  self->markdown = g_strdup (markdown);

  blocks = bendi_markdown_parse (markdown, -1);
  child = gtk_widget_get_first_child (GTK_WIDGET (self));
  for (i = 0; i < blocks->len; i++)
    {
      BendiMarkdownBlock *block = g_ptr_array_index (blocks, i);
      BendiMarkdownBlock *old_block = i < self->blocks->len ? g_ptr_array_index (self->blocks, i) : NULL;
      GtkWidget *next = child != NULL ? gtk_widget_get_next_sibling (child) : NULL;

      if (child != NULL && old_block != NULL && bendi_markdown_block_equal (old_block, block))
        {
          child = next;
          continue;
        }
      if (child == NULL || old_block == NULL || !update_block_widget (child, old_block, block))
        {
          GtkWidget *widget = create_block_widget (block);

          gtk_widget_insert_before (widget, GTK_WIDGET (self), child);
          if (child != NULL)
            gtk_widget_unparent (child);
        }
      child = next;
    }
  while (child != NULL)
    {
      GtkWidget *next = gtk_widget_get_next_sibling (child);

      gtk_widget_unparent (child);
      child = next;
    }
  g_ptr_array_unref (self->blocks);
  self->blocks = g_steal_pointer (&blocks);
}

const char *
bendi_markdown_view_get_markdown (BendiMarkdownView *self)
{
  g_return_val_if_fail (BENDI_IS_MARKDOWN_VIEW (self), NULL);
  return self->markdown;
}
