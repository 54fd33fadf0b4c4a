/* SPDX-License-Identifier: MIT */
/* Markdown (GitHub's dialect, through md4c) turned into blocks of styled text and code, for the chat's replies. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  BENDI_MARKDOWN_TEXT,  /* paragraphs, headings, lists, quotes, tables: text with tagged ranges */
  BENDI_MARKDOWN_CODE,  /* a code block: its text, and its language when the fence names one */
  BENDI_MARKDOWN_RULE,  /* a horizontal rule */
} BendiMarkdownKind;

/* A range of a text block's text (byte offsets, end exclusive) styled by
 * one tag: "bold", "italic", "code", "strike", "link" (with @href),
 * "h1"…"h6", "quote", "list1"…"list6" (list items, by depth), "table". */
typedef struct
{
  gsize       start;
  gsize       end;
  const char *tag;
  char       *href;
} BendiMarkdownSpan;

typedef struct
{
  BendiMarkdownKind kind;
  GString          *text;
  GArray           *spans;     /* of BendiMarkdownSpan, in the order they close */
  char             *language;  /* code blocks: "python", or NULL */
} BendiMarkdownBlock;

/* Parses @markdown (@len bytes, or -1 when nul-terminated). Unfinished
 * constructs, as in a reply still streaming, come out as the text they
 * are so far: an open code fence is a code block to the end. Single line
 * breaks are kept, as models mean them. Raw HTML is shown as text. */
GPtrArray *bendi_markdown_parse       (const char               *markdown,
                                       gssize                    len) G_GNUC_WARN_UNUSED_RESULT;

void       bendi_markdown_block_free  (BendiMarkdownBlock       *block);
/* TRUE when @a and @b render the same: a view keeps the widget. */
gboolean   bendi_markdown_block_equal (const BendiMarkdownBlock *a,
                                       const BendiMarkdownBlock *b);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiMarkdownBlock, bendi_markdown_block_free)

G_END_DECLS
