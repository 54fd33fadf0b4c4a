/* SPDX-License-Identifier: MIT */
/* Markdown to styled blocks: md4c's callbacks build text with tagged ranges, code blocks and rules. */
#define G_LOG_DOMAIN "bendi-app"

#include "markdown.h"

#include <md4c.h>
#include <string.h>

/* Deeper lists indent no further. */
#define MAX_LIST_TAG 6

typedef struct
{
  gsize       start;
  const char *tag;
  char       *href;
} OpenSpan;

typedef struct
{
  gboolean ordered;
  gboolean tight;
  guint    next_number;
} List;

typedef struct
{
  GPtrArray          *blocks;
  BendiMarkdownBlock *text;       /* the text block being written, or NULL */
  BendiMarkdownBlock *code;       /* the code block being written, or NULL */
  GArray             *open_spans; /* of OpenSpan */
  GArray             *lists;      /* of List, innermost last */
  gboolean            item_started;  /* a list item's first paragraph joins its marker */

  /* Tables are collected, then laid out in columns. */
  GPtrArray          *table_rows;  /* of GPtrArray of char *, or NULL outside a table */
  guint               table_head_rows;
  GString            *cell;
} Renderer;

static const char *const heading_tags[] = { "h1", "h2", "h3", "h4", "h5", "h6" };
static const char *const list_tags[] = { "list1", "list2", "list3", "list4", "list5", "list6" };

static BendiMarkdownBlock *
block_new (BendiMarkdownKind kind)
{
  BendiMarkdownBlock *block = g_new0 (BendiMarkdownBlock, 1);

  block->kind = kind;
  block->text = g_string_new (NULL);
  block->spans = g_array_new (FALSE, FALSE, sizeof (BendiMarkdownSpan));
  return block;
}

void
bendi_markdown_block_free (BendiMarkdownBlock *block)
{
  if (block == NULL)
    return;
  for (guint i = 0; i < block->spans->len; i++)
    g_free (g_array_index (block->spans, BendiMarkdownSpan, i).href);
  g_array_unref (block->spans);
  g_string_free (block->text, TRUE);
  g_free (block->language);
  g_free (block);
}

gboolean
bendi_markdown_block_equal (const BendiMarkdownBlock *a,
                            const BendiMarkdownBlock *b)
{
  if (a->kind != b->kind || !g_string_equal (a->text, b->text) || g_strcmp0 (a->language, b->language) != 0 ||
      a->spans->len != b->spans->len)
    return FALSE;
  for (guint i = 0; i < a->spans->len; i++)
    {
      const BendiMarkdownSpan *span_a = &g_array_index (a->spans, BendiMarkdownSpan, i);
      const BendiMarkdownSpan *span_b = &g_array_index (b->spans, BendiMarkdownSpan, i);

      if (span_a->start != span_b->start || span_a->end != span_b->end || span_a->tag != span_b->tag ||
          g_strcmp0 (span_a->href, span_b->href) != 0)
        return FALSE;
    }
  return TRUE;
}

static BendiMarkdownBlock *
current_text (Renderer *r)
{
  if (r->text == NULL)
    r->text = block_new (BENDI_MARKDOWN_TEXT);
  return r->text;
}

static void
add_span (BendiMarkdownBlock *block,
          gsize               start,
          gsize               end,
          const char         *tag,
          const char         *href)
{
  BendiMarkdownSpan span = { start, MIN (end, block->text->len), tag, g_strdup (href) };

  if (span.end <= span.start)
    {
      g_free (span.href);
      return;
    }
  g_array_append_val (block->spans, span);
}

/* Ends the text block: trailing line breaks trimmed, open spans closed
 * here and reopened at the start of the next block. */
static void
flush_text (Renderer *r)
{
  BendiMarkdownBlock *block = r->text;

  if (block == NULL)
    return;
  r->text = NULL;
  while (block->text->len > 0 && block->text->str[block->text->len - 1] == '\n')
    g_string_truncate (block->text, block->text->len - 1);
  for (guint i = 0; i < r->open_spans->len; i++)
    {
      OpenSpan *open = &g_array_index (r->open_spans, OpenSpan, i);

      add_span (block, open->start, block->text->len, open->tag, open->href);
      open->start = 0;
    }
  for (guint i = 0; i < block->spans->len; i++)
    {
      BendiMarkdownSpan *span = &g_array_index (block->spans, BendiMarkdownSpan, i);

      span->end = MIN (span->end, block->text->len);
    }
  if (block->text->len == 0)
    bendi_markdown_block_free (block);
  else
    g_ptr_array_add (r->blocks, block);
}

/* Starts a new line, with a blank line before it when @blank_line. */
static void
begin_line (Renderer *r,
            gboolean  blank_line)
{
  GString *text = current_text (r)->text;

  if (text->len == 0)
    return;
  if (text->str[text->len - 1] != '\n')
    g_string_append_c (text, '\n');
  if (blank_line && (text->len < 2 || text->str[text->len - 2] != '\n'))
    g_string_append_c (text, '\n');
}

static void
open_span (Renderer   *r,
           const char *tag,
           const char *href)
{
  OpenSpan open = { current_text (r)->text->len, tag, g_strdup (href) };

  g_array_append_val (r->open_spans, open);
}

static void
close_span (Renderer *r)
{
  OpenSpan *open;

  if (r->open_spans->len == 0)
    return;
  open = &g_array_index (r->open_spans, OpenSpan, r->open_spans->len - 1);
  add_span (current_text (r), open->start, current_text (r)->text->len, open->tag, open->href);
  g_free (open->href);
  g_array_set_size (r->open_spans, r->open_spans->len - 1);
}

static char *
attribute_dup (const MD_ATTRIBUTE *attribute)
{
  if (attribute->text == NULL || attribute->size == 0)
    return NULL;
  return g_strndup (attribute->text, attribute->size);
}

/* Terminal width of @text: East Asian wide characters take two columns. */
static gsize
text_width (const char *text)
{
  gsize width = 0;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    width += g_unichar_iswide (g_utf8_get_char (p)) ? 2 : 1;
  return width;
}

static void
append_padded (GString    *out,
               const char *text,
               gsize       width)
{
  g_string_append (out, text);
  for (gsize w = text_width (text); w < width; w++)
    g_string_append_c (out, ' ');
}

/* The collected table as aligned columns in a monospace range. */
static void
emit_table (Renderer *r)
{
  g_autoptr (GArray) widths = g_array_new (FALSE, TRUE, sizeof (gsize));
  BendiMarkdownBlock *block;
  gsize start;

  for (guint i = 0; i < r->table_rows->len; i++)
    {
      GPtrArray *row = g_ptr_array_index (r->table_rows, i);

      if (row->len > widths->len)
        g_array_set_size (widths, row->len);
      for (guint j = 0; j < row->len; j++)
        g_array_index (widths, gsize, j) = MAX (g_array_index (widths, gsize, j),
                                                text_width (g_ptr_array_index (row, j)));
    }

  begin_line (r, TRUE);
  block = current_text (r);
  start = block->text->len;
  for (guint i = 0; i < r->table_rows->len; i++)
    {
      GPtrArray *row = g_ptr_array_index (r->table_rows, i);
      gsize row_start = block->text->len;

      for (guint j = 0; j < widths->len; j++)
        {
          if (j > 0)
            g_string_append (block->text, " │ ");
          append_padded (block->text, j < row->len ? g_ptr_array_index (row, j) : "", g_array_index (widths, gsize, j));
        }
      while (block->text->len > row_start && block->text->str[block->text->len - 1] == ' ')
        g_string_truncate (block->text, block->text->len - 1);
      if (i < r->table_head_rows)
        add_span (block, row_start, block->text->len, "bold", NULL);
      g_string_append_c (block->text, '\n');
      if (i + 1 == r->table_head_rows)
        {
          for (guint j = 0; j < widths->len; j++)
            {
              if (j > 0)
                g_string_append (block->text, "─┼─");
              for (gsize w = 0; w < g_array_index (widths, gsize, j); w++)
                g_string_append (block->text, "─");
            }
          g_string_append_c (block->text, '\n');
        }
    }
  add_span (block, start, block->text->len, "table", NULL);
  g_clear_pointer (&r->table_rows, g_ptr_array_unref);
}

static int
enter_block_cb (MD_BLOCKTYPE type,
                void        *detail,
                void        *user_data)
{
  Renderer *r = user_data;

  switch (type)
    {
    case MD_BLOCK_P:
      if (r->item_started)
        r->item_started = FALSE;
      else if (r->table_rows == NULL)
        begin_line (r, r->lists->len == 0 || !g_array_index (r->lists, List, r->lists->len - 1).tight);
      break;
    case MD_BLOCK_H:
      {
        unsigned level = CLAMP (((MD_BLOCK_H_DETAIL *) detail)->level, 1, 6);

        r->item_started = FALSE;
        begin_line (r, TRUE);
        open_span (r, heading_tags[level - 1], NULL);
      }
      break;
    case MD_BLOCK_QUOTE:
      begin_line (r, TRUE);
      open_span (r, "quote", NULL);
      break;
    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
      {
        List list = { type == MD_BLOCK_OL, TRUE, 1 };

        if (type == MD_BLOCK_OL)
          {
            list.tight = ((MD_BLOCK_OL_DETAIL *) detail)->is_tight;
            list.next_number = ((MD_BLOCK_OL_DETAIL *) detail)->start;
          }
        else
          list.tight = ((MD_BLOCK_UL_DETAIL *) detail)->is_tight;
        if (r->lists->len == 0)
          begin_line (r, TRUE);
        g_array_append_val (r->lists, list);
      }
      break;
    case MD_BLOCK_LI:
      {
        MD_BLOCK_LI_DETAIL *item = detail;
        List *list = &g_array_index (r->lists, List, r->lists->len - 1);
        GString *text;

        begin_line (r, !list->tight);
        open_span (r, list_tags[MIN (r->lists->len, MAX_LIST_TAG) - 1], NULL);
        text = current_text (r)->text;
        if (item->is_task)
          g_string_append (text, item->task_mark == ' ' ? "☐ " : "☑ ");
        else if (list->ordered)
          g_string_append_printf (text, "%u. ", list->next_number++);
        else
          g_string_append (text, r->lists->len % 2 == 1 ? "• " : "◦ ");
        r->item_started = TRUE;
      }
      break;
    case MD_BLOCK_HR:
      flush_text (r);
      g_ptr_array_add (r->blocks, block_new (BENDI_MARKDOWN_RULE));
      break;
    case MD_BLOCK_CODE:
      {
        MD_BLOCK_CODE_DETAIL *code = detail;

        r->item_started = FALSE;
        flush_text (r);
        r->code = block_new (BENDI_MARKDOWN_CODE);
        r->code->language = attribute_dup (&code->lang);
      }
      break;
    case MD_BLOCK_HTML:
      begin_line (r, TRUE);
      break;
    case MD_BLOCK_TABLE:
      r->table_rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
      r->table_head_rows = ((MD_BLOCK_TABLE_DETAIL *) detail)->head_row_count;
      break;
    case MD_BLOCK_TR:
      if (r->table_rows != NULL)
        g_ptr_array_add (r->table_rows, g_ptr_array_new_with_free_func (g_free));
      break;
    case MD_BLOCK_TH:
    case MD_BLOCK_TD:
      g_string_truncate (r->cell, 0);
      break;
    case MD_BLOCK_DOC:
    case MD_BLOCK_THEAD:
    case MD_BLOCK_TBODY:
    default:
      break;
    }
  return 0;
}

static int
leave_block_cb (MD_BLOCKTYPE type,
                void        *detail G_GNUC_UNUSED,
                void        *user_data)
{
  Renderer *r = user_data;

  switch (type)
    {
    case MD_BLOCK_H:
    case MD_BLOCK_QUOTE:
    case MD_BLOCK_LI:
      close_span (r);
      r->item_started = FALSE;
      break;
    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
      g_array_set_size (r->lists, r->lists->len - 1);
      break;
    case MD_BLOCK_CODE:
      if (r->code != NULL)
        {
          GString *text = r->code->text;

          if (text->len > 0 && text->str[text->len - 1] == '\n')
            g_string_truncate (text, text->len - 1);
          g_ptr_array_add (r->blocks, g_steal_pointer (&r->code));
        }
      break;
    case MD_BLOCK_TH:
    case MD_BLOCK_TD:
      if (r->table_rows != NULL && r->table_rows->len > 0)
        g_ptr_array_add (g_ptr_array_index (r->table_rows, r->table_rows->len - 1),
                         g_strdup (g_strstrip (r->cell->str)));
      break;
    case MD_BLOCK_TABLE:
      if (r->table_rows != NULL)
        emit_table (r);
      break;
    default:
      break;
    }
  return 0;
}

static const char *
span_tag (MD_SPANTYPE type)
{
  switch (type)
    {
    case MD_SPAN_EM:
      return "italic";
    case MD_SPAN_STRONG:
      return "bold";
    case MD_SPAN_CODE:
      return "code";
    case MD_SPAN_DEL:
      return "strike";
    case MD_SPAN_A:
    case MD_SPAN_IMG:
      return "link";
    default:
      return NULL;
    }
}

static int
enter_span_cb (MD_SPANTYPE type,
               void       *detail,
               void       *user_data)
{
  Renderer *r = user_data;
  const char *tag = span_tag (type);
  g_autofree char *href = NULL;

  if (tag == NULL || r->table_rows != NULL)
    return 0;
  if (type == MD_SPAN_A)
    href = attribute_dup (&((MD_SPAN_A_DETAIL *) detail)->href);
  else if (type == MD_SPAN_IMG)
    href = attribute_dup (&((MD_SPAN_IMG_DETAIL *) detail)->src);
  open_span (r, tag, href);
  return 0;
}

static int
leave_span_cb (MD_SPANTYPE type,
               void       *detail G_GNUC_UNUSED,
               void       *user_data)
{
  Renderer *r = user_data;

  if (span_tag (type) == NULL || r->table_rows != NULL)
    return 0;
  close_span (r);
  return 0;
}

/* "&amp;", "&#20013;", "&#x4E2D;" → the character; anything else as it is. */
static void
append_entity (GString    *out,
               const char *text,
               gsize       size)
{
  static const struct { const char *name; const char *value; } named[] = {
    { "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" }, { "&quot;", "\"" }, { "&apos;", "'" },
    { "&nbsp;", "\u00a0" }, { "&copy;", "©" }, { "&reg;", "®" }, { "&mdash;", "—" }, { "&ndash;", "–" },
    { "&hellip;", "…" },
  };
  g_autofree char *entity = g_strndup (text, size);
  guint64 code = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (named); i++)
    if (g_str_equal (entity, named[i].name))
      {
        g_string_append (out, named[i].value);
        return;
      }
  if (size > 3 && entity[1] == '#' && entity[size - 1] == ';')
    {
      gboolean hex = entity[2] == 'x' || entity[2] == 'X';

      entity[size - 1] = '\0';
      if (g_ascii_string_to_unsigned (entity + (hex ? 3 : 2), hex ? 16 : 10, 1, 0x10FFFF, &code, NULL) &&
          g_unichar_validate ((gunichar) code))
        {
          g_string_append_unichar (out, (gunichar) code);
          return;
        }
    }
  g_string_append_len (out, text, (gssize) size);
}

static int
text_cb (MD_TEXTTYPE    type,
         const MD_CHAR *text,
         MD_SIZE        size,
         void          *user_data)
{
  Renderer *r = user_data;
  GString *out;

  if (r->code != NULL)
    out = r->code->text;
  else if (r->table_rows != NULL)
    out = r->cell;
  else
    out = current_text (r)->text;

  switch (type)
    {
    case MD_TEXT_ENTITY:
      append_entity (out, text, size);
      break;
    case MD_TEXT_NULLCHAR:
      g_string_append (out, "\uFFFD");
      break;
    case MD_TEXT_BR:
    case MD_TEXT_SOFTBR:
      g_string_append_c (out, r->table_rows != NULL ? ' ' : '\n');
      break;
    default:
      g_string_append_len (out, text, (gssize) size);
      break;
    }
  return 0;
}

GPtrArray *
bendi_markdown_parse (const char *markdown,
                      gssize      len)
{
  MD_PARSER parser = {
    .abi_version = 0,
    .flags = MD_DIALECT_GITHUB | MD_FLAG_NOHTML,
    .enter_block = enter_block_cb,
    .leave_block = leave_block_cb,
    .enter_span = enter_span_cb,
    .leave_span = leave_span_cb,
    .text = text_cb,
  };
  Renderer r = { 0 };

  g_return_val_if_fail (markdown != NULL || len == 0, NULL);

  if (len < 0)
    len = (gssize) strlen (markdown);
  r.blocks = g_ptr_array_new_with_free_func ((GDestroyNotify) bendi_markdown_block_free);
  r.open_spans = g_array_new (FALSE, FALSE, sizeof (OpenSpan));
  r.lists = g_array_new (FALSE, FALSE, sizeof (List));
  r.cell = g_string_new (NULL);

  /* md4c sizes are unsigned: longer input is rendered as plain text. */
  if ((guint64) len > G_MAXUINT32 || md_parse (markdown, (MD_SIZE) len, &parser, &r) != 0)
    {
      bendi_markdown_block_free (r.text);
      bendi_markdown_block_free (r.code);
      r.text = block_new (BENDI_MARKDOWN_TEXT);
      r.code = NULL;
      g_ptr_array_set_size (r.blocks, 0);
      g_string_append_len (r.text->text, markdown, len);
    }
  if (r.code != NULL)
    g_ptr_array_add (r.blocks, g_steal_pointer (&r.code));
  while (r.open_spans->len > 0)
    close_span (&r);
  flush_text (&r);

  g_array_unref (r.open_spans);
  g_array_unref (r.lists);
  g_string_free (r.cell, TRUE);
  g_clear_pointer (&r.table_rows, g_ptr_array_unref);
  return r.blocks;
}
