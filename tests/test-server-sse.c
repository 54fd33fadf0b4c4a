/* SPDX-License-Identifier: MIT */
/* Server-Sent Events: the writer's framing, the parser against the standard's rules, at every chunk boundary. */
#include <gio/gio.h>
#include <string.h>

#include "sse.h"

typedef struct {
  GPtrArray *events;   /* "EVENT|ID|DATA" */
} Collected;

static void
collect (const char *event,
         const char *data,
         gsize       data_len,
         const char *id,
         gpointer    user_data)
{
  Collected *c = user_data;

  g_assert_cmpuint (strlen (data), ==, data_len);
  g_ptr_array_add (c->events, g_strdup_printf ("%s|%s|%s", event, id != NULL ? id : "-", data));
}

/* Parses @stream fed in pieces of @step bytes (0: all at once). */
static GPtrArray *
parse (const char *stream,
       gsize       len,
       gsize       step)
{
  Collected c = { g_ptr_array_new_with_free_func (g_free) };
  g_autoptr (BendiSseParser) parser = bendi_sse_parser_new (0, collect, &c);
  g_autoptr (GError) error = NULL;

  if (step == 0)
    step = MAX (len, 1);
  for (gsize i = 0; i < len; i += step)
    {
      g_assert_true (bendi_sse_parser_feed (parser, stream + i, MIN (step, len - i), &error));
      g_assert_no_error (error);
    }
  return c.events;
}

static void
assert_events (const char        *stream,
               const char *const *expected)
{
  gsize len = strlen (stream);

  /* every split gives the same events: a CRLF or a field cut anywhere */
  for (gsize step = 0; step <= MAX (len, 1); step++)
    {
      g_autoptr (GPtrArray) events = parse (stream, len, step);

      g_assert_cmpuint (events->len, ==, g_strv_length ((char **) expected));
      for (guint i = 0; i < events->len; i++)
        g_assert_cmpstr (g_ptr_array_index (events, i), ==, expected[i]);
      if (step == 0 && len == 0)
        break;
    }
}

static void
test_parser_rules (void)
{
  {
    const char *expected[] = { "message|-|hello", NULL };
    assert_events ("data: hello\n\n", expected);
    assert_events ("data: hello\r\n\r\n", expected);
    assert_events ("data: hello\r\r", expected);
    assert_events ("data:hello\n\n", expected);
    /* a byte-order mark at the start is not part of the first field */
    assert_events ("\xEF\xBB\xBF" "data: hello\n\n", expected);
    /* comments and unknown fields are ignored */
    assert_events (": keep-alive\nfoo: bar\ndata: hello\n\n", expected);
  }
  {
    /* only one space after the colon goes */
    const char *expected[] = { "message|-| two", NULL };
    assert_events ("data:  two\n\n", expected);
  }
  {
    const char *expected[] = { "message|-|line one\nline two", NULL };
    assert_events ("data: line one\ndata: line two\n\n", expected);
  }
  {
    /* "data" alone is an empty line of data: the event has "\n" then "" */
    const char *expected[] = { "message|-|\na", NULL };
    assert_events ("data\ndata: a\n\n", expected);
  }
  {
    const char *expected[] = { "update|7|{\"x\":1}", "message|7|second", NULL };
    /* the name is per event, the id stays */
    assert_events ("event: update\nid: 7\ndata: {\"x\":1}\n\ndata: second\n\n", expected);
  }
  {
    /* no data: nothing dispatched, and the name is forgotten */
    const char *expected[] = { "message|-|x", NULL };
    assert_events ("event: lonely\n\ndata: x\n\n", expected);
  }
  {
    /* an event the stream does not finish is dropped */
    const char *expected[] = { "message|-|done", NULL };
    assert_events ("data: done\n\ndata: cut", expected);
  }
  {
    const char *expected[] = { NULL };
    assert_events ("", expected);
  }
}

static void
test_retry (void)
{
  Collected c = { g_ptr_array_new_with_free_func (g_free) };
  g_autoptr (BendiSseParser) parser = bendi_sse_parser_new (0, collect, &c);

  g_assert_cmpint (bendi_sse_parser_get_retry (parser), ==, -1);
  g_assert_true (bendi_sse_parser_feed (parser, "retry: 3000\nretry: soon\n\n", 25, NULL));
  g_assert_cmpint (bendi_sse_parser_get_retry (parser), ==, 3000);
  g_assert_cmpuint (c.events->len, ==, 0);
  g_ptr_array_unref (c.events);
}

/* A stream that never ends a line cannot grow the parser without bound. */
static void
test_limits (void)
{
  Collected c = { g_ptr_array_new_with_free_func (g_free) };
  g_autoptr (BendiSseParser) parser = bendi_sse_parser_new (64, collect, &c);
  g_autoptr (BendiSseParser) lines = bendi_sse_parser_new (64, collect, &c);
  g_autoptr (GError) error = NULL;
  g_autofree char *long_line = g_strnfill (100, 'x');

  g_assert_false (bendi_sse_parser_feed (parser, long_line, 100, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
  g_clear_error (&error);
  /* failed for good */
  g_assert_false (bendi_sse_parser_feed (parser, "data: x\n\n", 9, &error));
  g_clear_error (&error);

  /* many short data lines adding up past the cap */
  for (int i = 0; i < 20 && error == NULL; i++)
    bendi_sse_parser_feed (lines, "data: 0123456789\n", 17, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
  g_assert_cmpuint (c.events->len, ==, 0);
  g_ptr_array_unref (c.events);
}

static void
test_writer (void)
{
  g_autoptr (GString) out = g_string_new (NULL);

  bendi_sse_append_event (out, NULL, "{\"a\":1}", -1);
  g_assert_cmpstr (out->str, ==, "data: {\"a\":1}\n\n");
  g_string_truncate (out, 0);
  bendi_sse_append_event (out, "ping", "x", -1);
  g_assert_cmpstr (out->str, ==, "event: ping\ndata: x\n\n");
  g_string_truncate (out, 0);
  /* every kind of line break in the data starts a new data line */
  bendi_sse_append_event (out, NULL, "a\nb\r\nc\rd", -1);
  g_assert_cmpstr (out->str, ==, "data: a\ndata: b\ndata: c\ndata: d\n\n");
  g_string_truncate (out, 0);
  bendi_sse_append_event (out, "bad\nname", "", 0);
  g_assert_cmpstr (out->str, ==, "event: bad name\ndata: \n\n");
  g_string_truncate (out, 0);
  bendi_sse_append_comment (out, "keep-alive");
  g_assert_cmpstr (out->str, ==, ": keep-alive\n");
}

/* What the writer writes, the parser reads back; line breaks become "\n". */
static void
test_round_trip (void)
{
  const char *payloads[] = { "plain", "", "two\nlines", "crlf\r\nend", "{\"json\": [1, 2]}", " leading space",
                             "trailing\n", "data: inside", NULL };
  const char *expected[] = { "plain", "", "two\nlines", "crlf\nend", "{\"json\": [1, 2]}", " leading space",
                             "trailing\n", "data: inside", NULL };
  g_autoptr (GString) stream = g_string_new (NULL);

  for (guint i = 0; payloads[i] != NULL; i++)
    bendi_sse_append_event (stream, i % 2 ? "odd" : NULL, payloads[i], -1);
  for (gsize step = 0; step < 12; step++)
    {
      g_autoptr (GPtrArray) events = parse (stream->str, stream->len, step);

      g_assert_cmpuint (events->len, ==, g_strv_length ((char **) payloads));
      for (guint i = 0; i < events->len; i++)
        {
          g_autofree char *want = g_strdup_printf ("%s|-|%s", i % 2 ? "odd" : "message", expected[i]);

          g_assert_cmpstr (g_ptr_array_index (events, i), ==, want);
        }
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server/sse/parser-rules", test_parser_rules);
  g_test_add_func ("/server/sse/retry", test_retry);
  g_test_add_func ("/server/sse/limits", test_limits);
  g_test_add_func ("/server/sse/writer", test_writer);
  g_test_add_func ("/server/sse/round-trip", test_round_trip);

  return g_test_run ();
}
