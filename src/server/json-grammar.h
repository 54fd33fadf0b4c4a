/* SPDX-License-Identifier: MIT */
/* Constrained JSON output: a JSON grammar (optionally shaped by a JSON schema) enforced token by token over a vocabulary.
 *
 * A BendiJsonGrammar is what the output must be: any JSON object
 * (response_format json_object), or what a JSON schema describes. A
 * BendiJsonMatcher follows output byte by byte and refuses a byte that
 * would break the grammar. A BendiJsonConstraint puts the two over a
 * model's vocabulary (a byte trie of every token's text, built once per
 * model as a BendiJsonVocab) as the session's BendiTokenFilter: before each
 * token only the tokens whose whole text the matcher accepts stay possible,
 * end-of-generation tokens only once the value is complete, and the
 * generation ends as soon as nothing more may follow.
 *
 * The schema subset: "type" object (with "properties", written in their
 * order, and "required"; without properties: any object), array ("items"),
 * string, number, integer, boolean, null; "enum" and "const" of any JSON
 * values. Anything else ("anyOf", "$ref", a list of types…) allows any
 * JSON value there. Whitespace between tokens is allowed up to a short run,
 * so a model cannot spend its tokens on blank space.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "session.h"
#include "tokenizer/tokenizer.h"

G_BEGIN_DECLS

/* Deeper values than this are never generated. */
#define BENDI_JSON_GRAMMAR_MAX_DEPTH 32

typedef struct _BendiJsonGrammar BendiJsonGrammar;

/* Any JSON object. */
BendiJsonGrammar *bendi_json_grammar_new_object      (void) G_GNUC_WARN_UNUSED_RESULT;
/* What @schema describes. Errors (G_IO_ERROR_INVALID_ARGUMENT) for a
 * schema that is not an object, nested too deep, or with more than 64
 * properties or enum values in one place. */
BendiJsonGrammar *bendi_json_grammar_new_from_schema (JsonNode  *schema,
                                                      GError   **error) G_GNUC_WARN_UNUSED_RESULT;
void              bendi_json_grammar_free            (BendiJsonGrammar *self);

typedef struct _BendiJsonMatcher BendiJsonMatcher;

/* @grammar must outlive the matcher. */
BendiJsonMatcher *bendi_json_matcher_new  (const BendiJsonGrammar *grammar) G_GNUC_WARN_UNUSED_RESULT;
void              bendi_json_matcher_free (BendiJsonMatcher       *self);
/* Takes @len more bytes of output; FALSE, with the matcher unchanged,
 * when they break the grammar. */
gboolean bendi_json_matcher_feed        (BendiJsonMatcher *self,
                                         const char       *text,
                                         gsize             len);
/* The value is complete and nothing may follow. */
gboolean bendi_json_matcher_is_complete (const BendiJsonMatcher *self);
/* The output may end here (complete, or a top-level number that could go
 * on but need not). */
gboolean bendi_json_matcher_can_end     (const BendiJsonMatcher *self);

/* The vocabulary as a byte trie. Reference-counted, read-only once built:
 * shared by every constrained generation of a model. */
typedef struct _BendiJsonVocab BendiJsonVocab;

BendiJsonVocab *bendi_json_vocab_new   (const BendiTokenizer *tokenizer) G_GNUC_WARN_UNUSED_RESULT;
BendiJsonVocab *bendi_json_vocab_ref   (BendiJsonVocab       *self);
void            bendi_json_vocab_unref (BendiJsonVocab       *self);

typedef struct _BendiJsonConstraint BendiJsonConstraint;

/* Takes ownership of @grammar. */
BendiJsonConstraint *bendi_json_constraint_new  (BendiJsonGrammar    *grammar,
                                                 BendiJsonVocab      *vocab) G_GNUC_WARN_UNUSED_RESULT;
void                 bendi_json_constraint_free (BendiJsonConstraint *self);
/* The filter to put in BendiGenerateParams, with the constraint as its
 * data. */
const BendiTokenFilter *bendi_json_constraint_get_filter (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiJsonGrammar, bendi_json_grammar_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiJsonMatcher, bendi_json_matcher_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiJsonVocab, bendi_json_vocab_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiJsonConstraint, bendi_json_constraint_free)

G_END_DECLS
