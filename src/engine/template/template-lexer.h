/* SPDX-License-Identifier: MIT */
/* The template lexer's tokens, shared with the parser. */
#pragma once

#include "template/template-private.h"

G_BEGIN_DECLS

typedef enum {
  TMPL_TOKEN_EOF,
  TMPL_TOKEN_TEXT,            /* text between tags, already trimmed as the tags ask */
  TMPL_TOKEN_VARIABLE_BEGIN,  /* {{ */
  TMPL_TOKEN_VARIABLE_END,    /* }} */
  TMPL_TOKEN_BLOCK_BEGIN,     /* {% */
  TMPL_TOKEN_BLOCK_END,       /* %} */
  TMPL_TOKEN_NAME,
  TMPL_TOKEN_STRING,
  TMPL_TOKEN_INTEGER,
  TMPL_TOKEN_FLOAT,
  TMPL_TOKEN_OPERATOR,
} TmplTokenKind;

typedef enum {
  TMPL_TOK_ADD, TMPL_TOK_SUB, TMPL_TOK_MUL, TMPL_TOK_DIV, TMPL_TOK_FLOORDIV,
  TMPL_TOK_MOD, TMPL_TOK_POW, TMPL_TOK_TILDE, TMPL_TOK_LBRACKET, TMPL_TOK_RBRACKET,
  TMPL_TOK_LPAREN, TMPL_TOK_RPAREN, TMPL_TOK_LBRACE, TMPL_TOK_RBRACE, TMPL_TOK_EQ,
  TMPL_TOK_NE, TMPL_TOK_GT, TMPL_TOK_GE, TMPL_TOK_LT, TMPL_TOK_LE, TMPL_TOK_ASSIGN,
  TMPL_TOK_DOT, TMPL_TOK_COLON, TMPL_TOK_PIPE, TMPL_TOK_COMMA, TMPL_TOK_SEMICOLON,
} TmplOperator;

typedef struct {
  TmplTokenKind kind;
  TmplOperator  op;
  gsize         offset;     /* in the normalised source */
  const char   *name;       /* NAME: interned */
  char         *text;       /* TEXT and STRING: the text (owned) */
  gsize         text_len;
  gint64        integer;
  double        number;
} TmplToken;

/* The source after Jinja's preparation (newlines normalised, one trailing
 * newline dropped), with where each line starts. */
typedef struct {
  char   *text;
  gsize   len;
  GArray *line_starts;   /* gsize offsets */
} TmplSource;

gboolean tmpl_source_init  (TmplSource  *source,
                            const char  *text,
                            gsize        len,
                            GError     **error);
void     tmpl_source_clear (TmplSource  *source);
/* 1-based line and column (in characters) of @offset. */
void     tmpl_source_position (const TmplSource *source,
                               gsize             offset,
                               guint32          *line,
                               guint32          *column);

/* Records "LINE:COLUMN: MESSAGE" for @offset in *@error, unless an error
 * is there already. Returns NULL, for `return tmpl_source_fail (…)`. */
gpointer tmpl_source_fail (const TmplSource *source,
                           GError          **error,
                           gsize             offset,
                           const char       *format,
                           ...) G_GNUC_PRINTF (4, 5);

/* Splits @source into tokens (appended to @tokens, ending with EOF). */
gboolean tmpl_lex (BendiTemplate    *tmpl,
                   const TmplSource *source,
                   GArray           *tokens,
                   GError          **error);
void     tmpl_tokens_free (GArray *tokens);

G_END_DECLS
