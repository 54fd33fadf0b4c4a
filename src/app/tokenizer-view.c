/* SPDX-License-Identifier: MIT */
/* Tokens made visible: each piece of the text in its own colour, a character split over several tokens underlined, and the ids below. */
#define G_LOG_DOMAIN "bendi-app"

#include "tokenizer-view.h"

#include <glib/gi18n.h>
#include <string.h>

/* Longer input is cut: the view is for seeing how text splits, and a
 * text view with tens of thousands of tags gets slow. */
#define MAX_INPUT_BYTES 20000
#define TOKENIZE_DELAY_MS 150
/* The longest UTF-8 character; a piece still incomplete after that many
 * bytes never will be. */
#define MAX_CHAR_BYTES 4

/* Light enough for text on top in the light and the dark style. */
static const char *const token_colours[] = {
  "rgba(53,132,228,0.28)",
  "rgba(51,209,122,0.30)",
  "rgba(246,211,45,0.40)",
  "rgba(255,120,0,0.28)",
  "rgba(192,97,203,0.28)",
  "rgba(237,51,59,0.24)",
};

struct _BendiTokenizerView
{
  AdwBin          parent_instance;

  GtkStack       *stack;
  GtkSpinner     *spinner;
  AdwStatusPage  *status;
  GtkTextView    *input_view;
  GtkLabel       *count_label;
  GtkCheckButton *special_check;
  GtkTextView    *tokens_view;
  GtkTextView    *ids_view;

  BendiTokenizer *tokenizer;
  GArray         *tokens;           /* BendiToken of the text shown */
  guint           tokenize_source;
};

G_DEFINE_FINAL_TYPE (BendiTokenizerView, bendi_tokenizer_view, ADW_TYPE_BIN)

static void
create_tags (GtkTextBuffer *buffer)
{
  for (gsize i = 0; i < G_N_ELEMENTS (token_colours); i++)
    {
      g_autofree char *name = g_strdup_printf ("token-%" G_GSIZE_FORMAT, i);

      gtk_text_buffer_create_tag (buffer, name, "background", token_colours[i], NULL);
    }
  /* A character that took more than one token. */
  gtk_text_buffer_create_tag (buffer, "split", "underline", PANGO_UNDERLINE_DOUBLE, NULL);
  gtk_text_buffer_create_tag (buffer, "control", "style", PANGO_STYLE_ITALIC, "weight", PANGO_WEIGHT_BOLD, NULL);
}

static void
insert_tagged (GtkTextBuffer *buffer,
               const char    *text,
               gssize         len,
               guint          colour,
               gboolean       split,
               gboolean       control)
{
  GtkTextIter end;
  g_autofree char *tag = g_strdup_printf ("token-%u", colour % (guint) G_N_ELEMENTS (token_colours));

  gtk_text_buffer_get_end_iter (buffer, &end);
  gtk_text_buffer_insert_with_tags_by_name (buffer, &end, text, (int) len, tag,
                                            split ? "split" : (control ? "control" : NULL), NULL);
}

/* Newlines and tabs shown as marks, so an empty-looking token is seen. */
static char *
visible_text (const char *text,
              gsize       len)
{
  g_autofree char *valid = g_utf8_make_valid (text, (gssize) len);
  GString *out = g_string_new (NULL);

  for (const char *p = valid; *p != '\0'; p++)
    {
      if (*p == '\n')
        g_string_append (out, "↵\n");
      else if (*p == '\t')
        g_string_append (out, "→");
      else
        g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

static void
show_tokens (BendiTokenizerView *self)
{
  GtkTextBuffer *tokens_buffer = gtk_text_view_get_buffer (self->tokens_view);
  GtkTextBuffer *ids_buffer = gtk_text_view_get_buffer (self->ids_view);
  g_autoptr (GString) pending = g_string_new (NULL);
  g_autofree guint *colours = g_new0 (guint, MAX (self->tokens->len, 1));
  guint group_start = 0, n_groups = 0;

  gtk_text_buffer_set_text (tokens_buffer, "", 0);
  gtk_text_buffer_set_text (ids_buffer, "", 0);

  for (guint i = 0; i < self->tokens->len; i++)
    {
      BendiToken token = g_array_index (self->tokens, BendiToken, i);
      gsize len = 0;
      const char *piece = bendi_tokenizer_get_piece (self->tokenizer, token, TRUE, &len);
      gboolean control = bendi_tokenizer_is_control (self->tokenizer, token);

      if (control && len == 0)
        {
          piece = bendi_tokenizer_get_text (self->tokenizer, token);
          len = piece != NULL ? strlen (piece) : 0;
        }
      if (pending->len == 0)
        group_start = i;
      g_string_append_len (pending, piece, (gssize) len);

      /* Bytes of a character split over several tokens wait for the rest,
       * then show as that one character. */
      if (!g_utf8_validate_len (pending->str, pending->len, NULL) && pending->len < MAX_CHAR_BYTES &&
          i + 1 < self->tokens->len)
        continue;
      {
        g_autofree char *shown = visible_text (pending->str, pending->len);

        insert_tagged (tokens_buffer, shown, -1, n_groups, i > group_start, control);
      }
      for (guint j = group_start; j <= i; j++)
        colours[j] = n_groups;
      n_groups++;
      g_string_truncate (pending, 0);
    }

  for (guint i = 0; i < self->tokens->len; i++)
    {
      g_autofree char *id = g_strdup_printf ("%d", g_array_index (self->tokens, BendiToken, i));
      GtkTextIter end;

      insert_tagged (ids_buffer, id, -1, colours[i], FALSE, FALSE);
      gtk_text_buffer_get_end_iter (ids_buffer, &end);
      gtk_text_buffer_insert (ids_buffer, &end, " ", 1);
    }
}

static void
tokenize (BendiTokenizerView *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->input_view);
  GtkTextIter start, end;
  g_autofree char *text = NULL;
  g_autofree char *count = NULL;
  g_autofree char *characters = NULL;
  g_autoptr (GError) error = NULL;
  BendiTokenizeFlags flags = BENDI_TOKENIZE_PARSE_SPECIAL;
  const char *cut;
  gsize len;
  glong n_chars;
  GArray *tokens;

  if (self->tokenizer == NULL)
    return;
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  len = strlen (text);
  if (len > MAX_INPUT_BYTES)
    {
      /* Cut at a character boundary: the tokenizer wants valid UTF-8. */
      cut = g_utf8_find_prev_char (text, text + MAX_INPUT_BYTES + 1);
      len = (gsize) (cut - text);
    }
  if (gtk_check_button_get_active (self->special_check))
    flags |= BENDI_TOKENIZE_ADD_SPECIAL;
  tokens = bendi_tokenizer_encode (self->tokenizer, text, len, flags, &error);
  if (tokens == NULL)
    {
      gtk_label_set_text (self->count_label, error->message);
      g_array_set_size (self->tokens, 0);
      show_tokens (self);
      return;
    }
  g_array_unref (self->tokens);
  self->tokens = tokens;
  show_tokens (self);

  n_chars = g_utf8_strlen (text, (gssize) len);
  count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u token", "%u tokens", self->tokens->len),
                           self->tokens->len);
  characters = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%ld character", "%ld characters", (gulong) n_chars),
                                n_chars);
  if (len < strlen (text))
    {
      g_autofree char *shown = g_strdup_printf ("%s · %s", count, characters);

      /* TRANSLATORS: the counts, then why they are not for the whole text */
      gtk_label_set_text (self->count_label, shown);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->count_label), _("Only the beginning of a long text is split."));
    }
  else
    {
      g_autofree char *shown = g_strdup_printf ("%s · %s", count, characters);

      gtk_label_set_text (self->count_label, shown);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->count_label), NULL);
    }
}

static gboolean
tokenize_cb (gpointer user_data)
{
  BendiTokenizerView *self = user_data;

  self->tokenize_source = 0;
  tokenize (self);
  return G_SOURCE_REMOVE;
}

static void
queue_tokenize (BendiTokenizerView *self)
{
  g_clear_handle_id (&self->tokenize_source, g_source_remove);
  self->tokenize_source = g_timeout_add (TOKENIZE_DELAY_MS, tokenize_cb, self);
}

static void
bendi_tokenizer_view_dispose (GObject *object)
{
  BendiTokenizerView *self = BENDI_TOKENIZER_VIEW (object);

  g_clear_handle_id (&self->tokenize_source, g_source_remove);
  /* The bin's child is a template child too: taken out first, or both
   * gtk_widget_dispose_template () and AdwBin would unparent it. */
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), BENDI_TYPE_TOKENIZER_VIEW);

  G_OBJECT_CLASS (bendi_tokenizer_view_parent_class)->dispose (object);
}

static void
bendi_tokenizer_view_finalize (GObject *object)
{
  BendiTokenizerView *self = BENDI_TOKENIZER_VIEW (object);

  g_clear_pointer (&self->tokenizer, bendi_tokenizer_free);
  g_clear_pointer (&self->tokens, g_array_unref);

  G_OBJECT_CLASS (bendi_tokenizer_view_parent_class)->finalize (object);
}

static void
bendi_tokenizer_view_class_init (BendiTokenizerViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bendi_tokenizer_view_dispose;
  object_class->finalize = bendi_tokenizer_view_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/bendi/Bendi/tokenizer-view.ui");
  gtk_widget_class_bind_template_child (widget_class, BendiTokenizerView, stack);
  gtk_widget_class_bind_template_child (widget_class, BendiTokenizerView, spinner);
  gtk_widget_class_bind_template_child (widget_class, BendiTokenizerView, status);
  gtk_widget_class_bind_template_child (widget_class, BendiTokenizerView, input_view);
  gtk_widget_class_bind_template_child (widget_class, BendiTokenizerView, count_label);
  gtk_widget_class_bind_template_child (widget_class, BendiTokenizerView, special_check);
  gtk_widget_class_bind_template_child (widget_class, BendiTokenizerView, tokens_view);
  gtk_widget_class_bind_template_child (widget_class, BendiTokenizerView, ids_view);
  gtk_widget_class_bind_template_callback (widget_class, queue_tokenize);
}

static void
bendi_tokenizer_view_init (BendiTokenizerView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->tokens = g_array_new (FALSE, FALSE, sizeof (BendiToken));
  gtk_spinner_start (self->spinner);
  create_tags (gtk_text_view_get_buffer (self->tokens_view));
  create_tags (gtk_text_view_get_buffer (self->ids_view));
  /* A sample that shows words, pieces of words and Chinese at once. */
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->input_view),
                            _("Tokenization splits text into pieces. 本地模型在你的电脑上运行。"), -1);
  g_signal_connect_swapped (gtk_text_view_get_buffer (self->input_view), "changed", G_CALLBACK (queue_tokenize),
                            self);
}

GtkWidget *
bendi_tokenizer_view_new (void)
{
  return g_object_new (BENDI_TYPE_TOKENIZER_VIEW, NULL);
}

void
bendi_tokenizer_view_set_tokenizer (BendiTokenizerView *self,
                                    BendiTokenizer     *tokenizer,
                                    const GError       *error)
{
  g_return_if_fail (BENDI_IS_TOKENIZER_VIEW (self));

  g_clear_pointer (&self->tokenizer, bendi_tokenizer_free);
  g_array_set_size (self->tokens, 0);
  self->tokenizer = tokenizer;
  gtk_spinner_stop (self->spinner);
  if (tokenizer != NULL)
    {
      gtk_stack_set_visible_child_name (self->stack, "view");
      tokenize (self);
    }
  else if (error != NULL)
    {
      adw_status_page_set_title (self->status, _("No Tokenizer"));
      adw_status_page_set_description (self->status, error->message);
      gtk_stack_set_visible_child_name (self->stack, "error");
    }
  else
    {
      gtk_spinner_start (self->spinner);
      gtk_stack_set_visible_child_name (self->stack, "loading");
    }
}

void
bendi_tokenizer_view_set_text (BendiTokenizerView *self,
                               const char         *text)
{
  g_return_if_fail (BENDI_IS_TOKENIZER_VIEW (self));

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->input_view), text, -1);
  /* At once: a caller that sets text wants to see its tokens. */
  g_clear_handle_id (&self->tokenize_source, g_source_remove);
  tokenize (self);
}

int
bendi_tokenizer_view_get_n_tokens (BendiTokenizerView *self)
{
  g_return_val_if_fail (BENDI_IS_TOKENIZER_VIEW (self), -1);
  return self->tokenizer != NULL ? (int) self->tokens->len : -1;
}

const BendiToken *
bendi_tokenizer_view_get_tokens (BendiTokenizerView *self,
                                 gsize              *n_tokens)
{
  g_return_val_if_fail (BENDI_IS_TOKENIZER_VIEW (self), NULL);
  *n_tokens = self->tokens->len;
  return (const BendiToken *) self->tokens->data;
}
