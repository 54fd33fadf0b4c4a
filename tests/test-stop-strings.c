/* SPDX-License-Identifier: MIT */
/* Stop strings over streamed text: nothing of a stop string is ever shown. */
#include "stop-strings.h"

/* Feeds @pieces one by one; returns what was shown and whether it stopped. */
static char *
run (const char *const *stop,
     const char *const *pieces,
     gboolean          *stopped)
{
  g_autoptr (BendiStopStrings) s = bendi_stop_strings_new (stop);
  GString *out = g_string_new (NULL);

  *stopped = FALSE;
  for (gsize i = 0; pieces[i] != NULL && !*stopped; i++)
    *stopped = bendi_stop_strings_feed (s, pieces[i], strlen (pieces[i]), out);
  if (!*stopped)
    bendi_stop_strings_flush (s, out);
  return g_string_free (out, FALSE);
}

static void
test_split_stop (void)
{
  const char *stop[] = { "<|im_end|>", NULL };
  const char *pieces[] = { "Hello", " world<|", "im_", "end|>", "never", NULL };
  gboolean stopped;
  g_autofree char *out = run (stop, pieces, &stopped);

  g_assert_true (stopped);
  g_assert_cmpstr (out, ==, "Hello world");
}

static void
test_false_start (void)
{
  const char *stop[] = { "\n\nUser:", NULL };
  const char *pieces[] = { "a\n", "\nUs", "ually", " fine", NULL };
  gboolean stopped;
  g_autofree char *out = run (stop, pieces, &stopped);

  g_assert_false (stopped);
  g_assert_cmpstr (out, ==, "a\n\nUsually fine");
}

/* Held-back text is shown as soon as it is ruled out. */
static void
test_holds_back_only_prefix (void)
{
  const char *stop[] = { "STOP", NULL };
  g_autoptr (BendiStopStrings) s = bendi_stop_strings_new (stop);
  g_autoptr (GString) out = g_string_new (NULL);

  g_assert_false (bendi_stop_strings_feed (s, "abcST", 5, out));
  g_assert_cmpstr (out->str, ==, "abc");
  g_assert_false (bendi_stop_strings_feed (s, "x", 1, out));
  g_assert_cmpstr (out->str, ==, "abcSTx");
}

/* With several, the earliest in the text wins. */
static void
test_earliest (void)
{
  const char *stop[] = { "END", "", "##", NULL };
  const char *pieces[] = { "one ## two END", NULL };
  gboolean stopped;
  g_autofree char *out = run (stop, pieces, &stopped);

  g_assert_true (stopped);
  g_assert_cmpstr (out, ==, "one ");
}

static void
test_no_stops (void)
{
  const char *pieces[] = { "plain ", "text", NULL };
  gboolean stopped;
  g_autofree char *out = run (NULL, pieces, &stopped);

  g_assert_false (stopped);
  g_assert_cmpstr (out, ==, "plain text");
}

/* Multi-byte characters: a stop string in Chinese split across pieces. */
static void
test_utf8 (void)
{
  const char *stop[] = { "结束", NULL };
  const char *pieces[] = { "你好", "结", "束吧", NULL };
  gboolean stopped;
  g_autofree char *out = run (stop, pieces, &stopped);

  g_assert_true (stopped);
  g_assert_cmpstr (out, ==, "你好");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/stop-strings/split-stop", test_split_stop);
  g_test_add_func ("/engine/stop-strings/false-start", test_false_start);
  g_test_add_func ("/engine/stop-strings/holds-back-only-prefix", test_holds_back_only_prefix);
  g_test_add_func ("/engine/stop-strings/earliest", test_earliest);
  g_test_add_func ("/engine/stop-strings/no-stops", test_no_stops);
  g_test_add_func ("/engine/stop-strings/utf8", test_utf8);

  return g_test_run ();
}
