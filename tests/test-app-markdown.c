/* SPDX-License-Identifier: MIT */
/* Markdown to blocks: inline styles, headings, lists, code blocks (finished or still streaming), tables, entities. */
#include <string.h>

#include "markdown.h"

static GPtrArray *
parse (const char *markdown)
{
  return bendi_markdown_parse (markdown, -1);
}

static BendiMarkdownBlock *
block (GPtrArray *blocks,
       guint      index)
{
  g_assert_cmpuint (index, <, blocks->len);
  return g_ptr_array_index (blocks, index);
}

/* The span of @tag covering [start, end), which must be there. */
static const BendiMarkdownSpan *
assert_span (BendiMarkdownBlock *text_block,
             const char         *tag,
             gsize               start,
             gsize               end)
{
  for (guint i = 0; i < text_block->spans->len; i++)
    {
      const BendiMarkdownSpan *span = &g_array_index (text_block->spans, BendiMarkdownSpan, i);

      if (g_str_equal (span->tag, tag) && span->start == start && span->end == end)
        return span;
    }
  g_error ("no %s span from %" G_GSIZE_FORMAT " to %" G_GSIZE_FORMAT " in “%s”", tag, start, end,
           text_block->text->str);
  return NULL;
}

static void
test_inline (void)
{
  g_autoptr (GPtrArray) blocks = parse ("Hello **bold** and *it* `code` ~~del~~");
  BendiMarkdownBlock *text = block (blocks, 0);

  g_assert_cmpuint (blocks->len, ==, 1);
  g_assert_cmpint (text->kind, ==, BENDI_MARKDOWN_TEXT);
  g_assert_cmpstr (text->text->str, ==, "Hello bold and it code del");
  assert_span (text, "bold", 6, 10);
  assert_span (text, "italic", 15, 17);
  assert_span (text, "code", 18, 22);
  assert_span (text, "strike", 23, 26);
  g_assert_cmpuint (text->spans->len, ==, 4);
}

static void
test_paragraphs (void)
{
  g_autoptr (GPtrArray) blocks = parse ("# Title\n\nPara one\nline two\n\nPara three");
  BendiMarkdownBlock *text = block (blocks, 0);

  g_assert_cmpuint (blocks->len, ==, 1);
  /* A single line break stays one: models mean them. */
  g_assert_cmpstr (text->text->str, ==, "Title\n\nPara one\nline two\n\nPara three");
  assert_span (text, "h1", 0, 5);
}

static void
test_lists (void)
{
  g_autoptr (GPtrArray) blocks = parse ("- a\n- b\n  1. c\n  2. d\n- [x] e\n- [ ] f");
  BendiMarkdownBlock *text = block (blocks, 0);

  g_assert_cmpstr (text->text->str, ==, "• a\n• b\n1. c\n2. d\n☑ e\n☐ f");
  assert_span (text, "list1", 0, strlen ("• a"));
  assert_span (text, "list2", strlen ("• a\n• b\n"), strlen ("• a\n• b\n1. c"));
  /* The outer item holds its nested list. */
  assert_span (text, "list1", strlen ("• a\n"), strlen ("• a\n• b\n1. c\n2. d"));
}

static void
test_ordered_start (void)
{
  g_autoptr (GPtrArray) blocks = parse ("Steps:\n\n3. three\n4. four");

  g_assert_cmpstr (block (blocks, 0)->text->str, ==, "Steps:\n\n3. three\n4. four");
}

static void
test_code_block (void)
{
  g_autoptr (GPtrArray) blocks = parse ("Intro\n\n```python\nprint('hi')\nx = 1\n```\n\nAfter");

  g_assert_cmpuint (blocks->len, ==, 3);
  g_assert_cmpint (block (blocks, 0)->kind, ==, BENDI_MARKDOWN_TEXT);
  g_assert_cmpstr (block (blocks, 0)->text->str, ==, "Intro");
  g_assert_cmpint (block (blocks, 1)->kind, ==, BENDI_MARKDOWN_CODE);
  g_assert_cmpstr (block (blocks, 1)->language, ==, "python");
  g_assert_cmpstr (block (blocks, 1)->text->str, ==, "print('hi')\nx = 1");
  g_assert_cmpstr (block (blocks, 2)->text->str, ==, "After");
}

static void
test_streaming_code (void)
{
  /* A reply cut mid-fence, as while it streams: code to the end. */
  g_autoptr (GPtrArray) blocks = parse ("Here:\n```c\nint x");
  g_autoptr (GPtrArray) no_language = parse ("```\n<b>not html</b>\n```");

  g_assert_cmpuint (blocks->len, ==, 2);
  g_assert_cmpint (block (blocks, 1)->kind, ==, BENDI_MARKDOWN_CODE);
  g_assert_cmpstr (block (blocks, 1)->language, ==, "c");
  g_assert_cmpstr (block (blocks, 1)->text->str, ==, "int x");

  g_assert_null (block (no_language, 0)->language);
  g_assert_cmpstr (block (no_language, 0)->text->str, ==, "<b>not html</b>");
}

static void
test_rule_and_quote (void)
{
  g_autoptr (GPtrArray) blocks = parse ("> quoted\n\nnext\n\n---\n\nlast");

  g_assert_cmpuint (blocks->len, ==, 3);
  g_assert_cmpstr (block (blocks, 0)->text->str, ==, "quoted\n\nnext");
  assert_span (block (blocks, 0), "quote", 0, 6);
  g_assert_cmpint (block (blocks, 1)->kind, ==, BENDI_MARKDOWN_RULE);
  g_assert_cmpstr (block (blocks, 2)->text->str, ==, "last");
}

static void
test_links_and_entities (void)
{
  g_autoptr (GPtrArray) blocks = parse ("see [docs](https://example.org/a?b=1) &amp; &#20013;&#x6587; &bogus; <think>x</think>");
  BendiMarkdownBlock *text = block (blocks, 0);
  const BendiMarkdownSpan *link;

  g_assert_cmpstr (text->text->str, ==, "see docs & 中文 &bogus; <think>x</think>");
  link = assert_span (text, "link", 4, 8);
  g_assert_cmpstr (link->href, ==, "https://example.org/a?b=1");
}

static void
test_table (void)
{
  g_autoptr (GPtrArray) blocks = parse ("| a | 名字 |\n|---|---|\n| 1 | 2 |");
  BendiMarkdownBlock *text = block (blocks, 0);

  /* 名字 is four columns wide: the rule under it is four long. */
  g_assert_cmpstr (text->text->str, ==, "a │ 名字\n──┼─────\n1 │ 2");
  assert_span (text, "bold", 0, strlen ("a │ 名字"));
  assert_span (text, "table", 0, text->text->len);
}

static void
test_empty_and_equal (void)
{
  g_autoptr (GPtrArray) empty = parse ("");
  g_autoptr (GPtrArray) a = parse ("**x** y\n\n```\nz\n```");
  g_autoptr (GPtrArray) b = parse ("**x** y\n\n```\nz\n```");
  g_autoptr (GPtrArray) c = parse ("*x* y\n\n```\nz\n```");

  g_assert_cmpuint (empty->len, ==, 0);
  g_assert_cmpuint (a->len, ==, 2);
  g_assert_true (bendi_markdown_block_equal (block (a, 0), block (b, 0)));
  g_assert_true (bendi_markdown_block_equal (block (a, 1), block (b, 1)));
  /* Same text, other style. */
  g_assert_false (bendi_markdown_block_equal (block (a, 0), block (c, 0)));
}

static void
test_nul_in_text (void)
{
  const char text[] = "a\0b";
  g_autoptr (GPtrArray) blocks = bendi_markdown_parse (text, sizeof text - 1);

  g_assert_cmpstr (block (blocks, 0)->text->str, ==, "a\uFFFDb");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/app/markdown/inline", test_inline);
  g_test_add_func ("/app/markdown/paragraphs", test_paragraphs);
  g_test_add_func ("/app/markdown/lists", test_lists);
  g_test_add_func ("/app/markdown/ordered-start", test_ordered_start);
  g_test_add_func ("/app/markdown/code-block", test_code_block);
  g_test_add_func ("/app/markdown/streaming-code", test_streaming_code);
  g_test_add_func ("/app/markdown/rule-and-quote", test_rule_and_quote);
  g_test_add_func ("/app/markdown/links-and-entities", test_links_and_entities);
  g_test_add_func ("/app/markdown/table", test_table);
  g_test_add_func ("/app/markdown/empty-and-equal", test_empty_and_equal);
  g_test_add_func ("/app/markdown/nul", test_nul_in_text);

  return g_test_run ();
}
