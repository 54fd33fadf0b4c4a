/* SPDX-License-Identifier: MIT */
/* The JSON grammar: what the matcher takes and refuses, schema shapes, and constrained generation over a real vocabulary. */
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "json-grammar.h"
#include "session.h"
#include "test-model-util.h"
#include "test-util.h"

static BendiJsonGrammar *
grammar_from_schema (const char *schema)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  BendiJsonGrammar *grammar;

  g_assert_true (json_parser_load_from_data (parser, schema, -1, &error));
  grammar = bendi_json_grammar_new_from_schema (json_parser_get_root (parser), &error);
  g_assert_no_error (error);
  return grammar;
}

/* Feeds @text byte by byte: TRUE when every byte was taken and the value
 * is then complete (or may end). */
static gboolean
accepts (const BendiJsonGrammar *grammar,
         const char             *text)
{
  g_autoptr (BendiJsonMatcher) matcher = bendi_json_matcher_new (grammar);

  for (const char *p = text; *p != '\0'; p++)
    if (!bendi_json_matcher_feed (matcher, p, 1))
      return FALSE;
  return bendi_json_matcher_can_end (matcher);
}

/* Whether @text can be fed at all (a prefix of something valid). */
static gboolean
takes_prefix (const BendiJsonGrammar *grammar,
              const char             *text)
{
  g_autoptr (BendiJsonMatcher) matcher = bendi_json_matcher_new (grammar);

  return bendi_json_matcher_feed (matcher, text, strlen (text));
}

static void
test_any_object (void)
{
  g_autoptr (BendiJsonGrammar) grammar = bendi_json_grammar_new_object ();
  const char *valid[] = {
    "{}", "{ }", "{\"a\":1}", "{\"a\": [1, 2.5, -3e+2, true, false, null, \"x\"]}",
    "{\"nested\": {\"deeper\": {\"k\": [[], {}]}}}", "{\"esc\": \"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\"}",
    "{\"utf8\": \"héllo 本地 😀\"}", "{\n  \"pretty\": 1,\n  \"x\": 0\n}", " {\"leading\": 0.5}", "{\"z\":-0}",
    NULL
  };
  const char *invalid[] = {
    "[]", "\"str\"", "1", "{\"a\":}", "{\"a\" 1}", "{a:1}", "{\"a\":1,}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}",
    "{\"a\":-}", "{\"a\":tru}", "{\"a\":True}", "{\"a\":\"tab\there\"}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12g4\"}",
    "{\"a\":[1 2]}", "{\"a\":1}}", "{\"a\":1} ", "{\"a\":\"\xff\"}", "{\"a\":\"\xc3\"}",
    /* blank space is limited: one space, or a line break and an indent */
    "{  \"a\":1}", "{\n\n\"a\":1}", "{\t\"a\":1}",
    NULL
  };

  for (guint i = 0; valid[i] != NULL; i++)
    if (!accepts (grammar, valid[i]))
      g_error ("refused %s", valid[i]);
  for (guint i = 0; invalid[i] != NULL; i++)
    if (accepts (grammar, invalid[i]))
      g_error ("accepted %s", invalid[i]);
  /* incomplete but on the way */
  g_assert_true (takes_prefix (grammar, "{\"a\": [1, {\"b\": \"c"));
  g_assert_false (accepts (grammar, "{\"a\": [1, {\"b\": \"c"));
}

static void
test_complete_stops (void)
{
  g_autoptr (BendiJsonGrammar) grammar = bendi_json_grammar_new_object ();
  g_autoptr (BendiJsonMatcher) matcher = bendi_json_matcher_new (grammar);

  g_assert_false (bendi_json_matcher_is_complete (matcher));
  g_assert_true (bendi_json_matcher_feed (matcher, "{\"a\": 1", 7));
  g_assert_false (bendi_json_matcher_can_end (matcher));
  /* a refused piece leaves the matcher as it was */
  g_assert_false (bendi_json_matcher_feed (matcher, "]", 1));
  g_assert_true (bendi_json_matcher_feed (matcher, "}", 1));
  g_assert_true (bendi_json_matcher_is_complete (matcher));
  g_assert_false (bendi_json_matcher_feed (matcher, " ", 1));
}

static void
test_depth_limit (void)
{
  g_autoptr (BendiJsonGrammar) grammar = bendi_json_grammar_new_object ();
  g_autoptr (BendiJsonMatcher) matcher = bendi_json_matcher_new (grammar);
  gboolean refused = FALSE;

  for (int i = 0; i < 100 && !refused; i++)
    refused = !bendi_json_matcher_feed (matcher, "[", 1);
  g_assert_true (refused);
}

static void
test_schema (void)
{
  g_autoptr (BendiJsonGrammar) grammar = grammar_from_schema (
    "{\"type\":\"object\",\"properties\":{"
    "\"name\":{\"type\":\"string\"},"
    "\"age\":{\"type\":\"integer\"},"
    "\"score\":{\"type\":\"number\"},"
    "\"mood\":{\"enum\":[\"happy\",\"sad\",1,null]},"
    "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"boolean\"}},"
    "\"kind\":{\"const\":{\"x\":[1]}},"
    "\"extra\":{\"anyOf\":[{\"type\":\"string\"}]}},"
    "\"required\":[\"name\",\"age\"]}");
  const char *valid[] = {
    "{\"name\":\"Ann\",\"age\":3}",
    "{\"name\": \"Ann\", \"age\": -3, \"score\": 2.5e3, \"mood\": \"sad\", \"tags\": [true, false], "
    "\"kind\": {\"x\":[1]}, \"extra\": [1, {\"any\": null}]}",
    "{\"name\":\"\",\"age\":0,\"mood\":1}", "{\"name\":\"a\",\"age\":1,\"mood\":null}",
    "{\"name\":\"a\",\"age\":1,\"tags\":[]}",
    NULL
  };
  const char *invalid[] = {
    "{}", "{\"name\":\"Ann\"}", "{\"age\":3,\"name\":\"Ann\"}", "{\"name\":\"Ann\",\"age\":3.5}",
    "{\"name\":3,\"age\":3}", "{\"name\":\"a\",\"age\":1,\"mood\":\"angry\"}", "{\"name\":\"a\",\"age\":1,\"mood\":2}",
    "{\"name\":\"a\",\"age\":1,\"tags\":[1]}", "{\"name\":\"a\",\"age\":1,\"other\":1}",
    "{\"name\":\"a\",\"age\":1,\"kind\":{\"x\":[2]}}", "{\"name\":\"a\",\"name\":\"b\",\"age\":1}",
    "{\"name\":\"a\",\"age\":1,}", "[]",
    NULL
  };

  for (guint i = 0; valid[i] != NULL; i++)
    if (!accepts (grammar, valid[i]))
      g_error ("refused %s", valid[i]);
  for (guint i = 0; invalid[i] != NULL; i++)
    if (accepts (grammar, invalid[i]))
      g_error ("accepted %s", invalid[i]);
}

static void
test_schema_top_level (void)
{
  g_autoptr (BendiJsonGrammar) number = grammar_from_schema ("{\"type\":\"number\"}");
  g_autoptr (BendiJsonGrammar) list = grammar_from_schema ("{\"type\":\"array\",\"items\":{\"type\":\"integer\"}}");
  g_autoptr (BendiJsonGrammar) any = grammar_from_schema ("{}");
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiJsonGrammar) none = NULL;
  g_autoptr (GString) many = g_string_new ("{\"enum\":[");

  /* a top-level number may end, or go on */
  g_assert_true (accepts (number, "12"));
  g_assert_true (accepts (number, "-1.5e-3"));
  g_assert_false (accepts (number, "\"12\""));
  g_assert_true (accepts (list, "[1, 2, 3]"));
  g_assert_false (accepts (list, "[1, 2.5]"));
  g_assert_true (accepts (any, "\"anything\""));
  g_assert_true (accepts (any, "[null]"));

  /* too many enum values for the matcher's bit sets */
  for (int i = 0; i < 70; i++)
    g_string_append_printf (many, "%s%d", i > 0 ? "," : "", i);
  g_string_append (many, "]}");
  g_assert_true (json_parser_load_from_data (parser, many->str, -1, NULL));
  none = bendi_json_grammar_new_from_schema (json_parser_get_root (parser), &error);
  g_assert_null (none);
  g_assert_nonnull (error);
}

/* ------------------------------------------------------------------------ */
/* Constrained generation with the tiny vocabulary: whatever the model's
 * random weights prefer, the text is JSON of the grammar. */

typedef struct {
  GString        *text;
  BendiStopReason reason;
} Outcome;

static gboolean
on_text (const char *text,
         gsize       len,
         gpointer    user_data)
{
  g_string_append_len (((Outcome *) user_data)->text, text, (gssize) len);
  return TRUE;
}

static void
on_done (BendiStopReason             reason,
         const GError               *error G_GNUC_UNUSED,
         const BendiGenerationStats *stats G_GNUC_UNUSED,
         gpointer                    user_data)
{
  ((Outcome *) user_data)->reason = reason;
}

static void
test_constrained_generation (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *path = NULL;
  g_autoptr (BendiModel) model = NULL;
  g_autoptr (BendiSession) session = NULL;
  g_autoptr (BendiJsonVocab) vocab = NULL;
  g_autoptr (GError) error = NULL;
  BendiModelMakerParams maker;
  BendiContextParams context;
  guint n_complete = 0;

  bendi_model_maker_params_init (&maker);
  maker.seed = 9;
  path = bendi_test_make_model (dir, "model.gguf", &maker);
  model = bendi_model_load (path, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  bendi_context_params_init (&context);
  context.n_ctx = 512;
  context.n_threads = 2;
  session = bendi_session_new (model, &context, &error);
  g_assert_no_error (error);
  vocab = bendi_json_vocab_new (bendi_model_get_tokenizer (model));

  for (int seed = 0; seed < 6; seed++)
    {
      g_autoptr (BendiJsonConstraint) constraint = NULL;
      g_autoptr (BendiJsonGrammar) check = grammar_from_schema (
        "{\"type\":\"object\",\"properties\":{\"a\":{\"enum\":[\"dog\",\"sun\"]},\"b\":{\"type\":\"boolean\"}},"
        "\"required\":[\"a\",\"b\"]}");
      g_autoptr (BendiJsonGrammar) object = bendi_json_grammar_new_object ();
      BendiGenerateParams params;
      Outcome outcome = { g_string_new (NULL), BENDI_STOP_REASON_NONE };
      gboolean schema = seed % 2 == 0;

      constraint = bendi_json_constraint_new (schema ? grammar_from_schema (
                                                "{\"type\":\"object\",\"properties\":{\"a\":{\"enum\":[\"dog\",\"sun\"]},"
                                                "\"b\":{\"type\":\"boolean\"}},\"required\":[\"a\",\"b\"]}")
                                              : bendi_json_grammar_new_object (), vocab);
      bendi_generate_params_init (&params);
      params.prompt = "the little dog";
      params.max_tokens = 120;
      params.sampling.temperature = 1.5f;
      params.sampling.top_k = 0;
      params.sampling.top_p = 1.0f;
      params.sampling.min_p = 0.0f;
      params.sampling.seed = seed;
      params.token_filter = bendi_json_constraint_get_filter ();
      params.token_filter_data = constraint;
      g_assert_true (bendi_session_generate (session, &params, on_text, on_done, &outcome, NULL, &error));
      g_assert_no_error (error);
      bendi_session_wait (session);
      g_assert_cmpint (outcome.reason, !=, BENDI_STOP_REASON_ERROR);
      /* a finished reply is valid, a cut one a valid beginning */
      if (outcome.reason == BENDI_STOP_REASON_STOP)
        {
          g_autoptr (JsonParser) parser = json_parser_new ();

          if (!accepts (schema ? check : object, outcome.text->str))
            g_error ("not of the grammar: %s", outcome.text->str);
          g_assert_true (json_parser_load_from_data (parser, outcome.text->str, -1, NULL));
          n_complete++;
        }
      else
        g_assert_true (takes_prefix (schema ? check : object, outcome.text->str));
      g_string_free (outcome.text, TRUE);
    }
  /* the schema's replies are short enough to always finish */
  g_assert_cmpuint (n_complete, >=, 3);
  bendi_test_remove_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server/grammar/any-object", test_any_object);
  g_test_add_func ("/server/grammar/complete-stops", test_complete_stops);
  g_test_add_func ("/server/grammar/depth-limit", test_depth_limit);
  g_test_add_func ("/server/grammar/schema", test_schema);
  g_test_add_func ("/server/grammar/schema-top-level", test_schema_top_level);
  g_test_add_func ("/server/grammar/constrained-generation", test_constrained_generation);

  return g_test_run ();
}
