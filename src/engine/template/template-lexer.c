/* SPDX-License-Identifier: MIT */
/* The template lexer: Jinja's tokenizer with trim_blocks and lstrip_blocks on, as Hugging Face sets it. */
#include "template/template-lexer.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  BendiTemplate    *tmpl;
  const TmplSource *source;
  const char       *src;
  gsize             len;
  gsize             pos;
  /* Whether the text that follows starts a line, for lstrip_blocks: the
   * last thing matched ended with a newline. */
  gboolean          line_starting;
  GArray           *tokens;
  GString          *brackets;   /* open ( [ { inside the current tag */
  GError           *error;
} Lexer;

/* ------------------------------------------------------------------------ */
/* The source. */

gboolean
tmpl_source_init (TmplSource  *source,
                  const char  *text,
                  gsize        len,
                  GError     **error)
{
  const char *bad = NULL;
  gsize out = 0;

  memset (source, 0, sizeof *source);
  if (len > BENDI_TEMPLATE_MAX_SOURCE_BYTES)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE,
                   "1:1: the template is %" G_GSIZE_FORMAT " bytes long; at most %" G_GSIZE_FORMAT " are accepted",
                   len, BENDI_TEMPLATE_MAX_SOURCE_BYTES);
      return FALSE;
    }
  if (!tmpl_utf8_validate (text, len, &bad))
    {
      gsize line = 1, column = 1;

      for (const char *p = text; p < bad; p++)
        {
          if (*p == '\n')
            {
              line++;
              column = 1;
            }
          else if (((guchar) *p & 0xc0) != 0x80)
            column++;
        }
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE,
                   "%" G_GSIZE_FORMAT ":%" G_GSIZE_FORMAT ": the template is not valid UTF-8", line, column);
      return FALSE;
    }

  /* Jinja turns \r\n and \r into \n everywhere, then drops one newline at
   * the very end (keep_trailing_newline is off). */
  source->text = g_malloc (len + 1);
  source->line_starts = g_array_new (FALSE, FALSE, sizeof (gsize));
  g_array_append_val (source->line_starts, out);
  for (gsize i = 0; i < len; i++)
    {
      char c = text[i];

      if (c == '\r')
        {
          if (i + 1 < len && text[i + 1] == '\n')
            i++;
          c = '\n';
        }
      source->text[out++] = c;
      if (c == '\n')
        g_array_append_val (source->line_starts, out);
    }
  if (out > 0 && source->text[out - 1] == '\n')
    out--;
  source->text[out] = '\0';
  source->len = out;
  return TRUE;
}

void
tmpl_source_clear (TmplSource *source)
{
  g_clear_pointer (&source->text, g_free);
  g_clear_pointer (&source->line_starts, g_array_unref);
}

void
tmpl_source_position (const TmplSource *source,
                      gsize             offset,
                      guint32          *line,
                      guint32          *column)
{
  const gsize *starts = (const gsize *) (gpointer) source->line_starts->data;
  gsize lo = 0, hi = source->line_starts->len;
  gsize n_chars = 0;

  /* The last line that starts at or before @offset. */
  while (hi - lo > 1)
    {
      gsize mid = (lo + hi) / 2;

      if (starts[mid] <= offset)
        lo = mid;
      else
        hi = mid;
    }
  for (gsize i = starts[lo]; i < offset && i < source->len; i++)
    if (((guchar) source->text[i] & 0xc0) != 0x80)
      n_chars++;
  *line = (guint32) MIN (lo + 1, G_MAXUINT32);
  *column = (guint32) MIN (n_chars + 1, G_MAXUINT32);
}

gpointer
tmpl_source_fail (const TmplSource *source,
                  GError          **error,
                  gsize             offset,
                  const char       *format,
                  ...)
{
  g_autofree char *message = NULL;
  guint32 line, column;
  va_list args;

  if (*error != NULL)
    return NULL;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  tmpl_source_position (source, offset, &line, &column);
  *error = g_error_new (BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE, "%u:%u: %s", line, column, message);
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* Helpers. */

#define lexer_fail(lx, offset, ...) tmpl_source_fail ((lx)->source, &(lx)->error, (offset), __VA_ARGS__)

static gboolean
starts_with (const Lexer *lx,
             gsize        at,
             const char  *prefix)
{
  gsize n = strlen (prefix);

  return at <= lx->len && lx->len - at >= n && memcmp (lx->src + at, prefix, n) == 0;
}

/* Length of the Python whitespace character at @at, or 0. */
static gsize
space_at (const Lexer *lx,
          gsize        at)
{
  guchar c;

  if (at >= lx->len)
    return 0;
  c = (guchar) lx->src[at];
  if (c < 0x80)
    return tmpl_unichar_isspace (c) ? 1 : 0;
  {
    const char *p = lx->src + at;
    gunichar u = g_utf8_get_char (p);

    return tmpl_unichar_isspace (u) ? (gsize) (g_utf8_next_char (p) - p) : 0;
  }
}

static gsize
skip_spaces (const Lexer *lx,
             gsize        at)
{
  gsize n;

  while ((n = space_at (lx, at)) > 0)
    at += n;
  return at;
}

/* Where the whitespace that ends src[start, end) begins (Python's rstrip). */
static gsize
rstrip (const Lexer *lx,
        gsize        start,
        gsize        end)
{
  while (end > start)
    {
      gsize prev = end - 1;

      while (prev > start && ((guchar) lx->src[prev] & 0xc0) == 0x80)
        prev--;
      if (space_at (lx, prev) != end - prev)
        break;
      end = prev;
    }
  return end;
}

static TmplToken *
emit (Lexer         *lx,
      TmplTokenKind  kind,
      gsize          offset)
{
  TmplToken token = { 0 };

  token.kind = kind;
  token.offset = offset;
  g_array_append_val (lx->tokens, token);
  return &g_array_index (lx->tokens, TmplToken, lx->tokens->len - 1);
}

static void
emit_text (Lexer *lx,
           gsize  start,
           gsize  end)
{
  TmplToken *token;

  if (end <= start)
    return;
  token = emit (lx, TMPL_TOKEN_TEXT, start);
  /* Not g_strndup: the text may hold NUL bytes. */
  token->text = g_malloc (end - start + 1);
  memcpy (token->text, lx->src + start, end - start);
  token->text[end - start] = '\0';
  token->text_len = end - start;
}

/* The end of the text before a tag opened at @tag with whitespace control
 * @sign ('-', '+' or 0), as Jinja trims it: '-' strips all whitespace
 * before; otherwise lstrip_blocks strips the spaces that start the line of
 * a block or comment tag. */
static gsize
trim_text_end (Lexer    *lx,
               gsize     start,
               gsize     tag,
               char      sign,
               gboolean  is_variable)
{
  gsize line_start;

  if (sign == '-')
    return rstrip (lx, start, tag);
  if (sign == '+' || is_variable)
    return tag;
  line_start = tag;
  while (line_start > start && lx->src[line_start - 1] != '\n')
    line_start--;
  if ((line_start > start || lx->line_starting) && line_start < tag && skip_spaces (lx, line_start) == tag)
    return line_start;
  return tag;
}

/* ------------------------------------------------------------------------ */
/* Inside a tag. */

static const struct {
  const char   *text;
  TmplOperator  op;
} operators[] = {
  /* Longest first. */
  { "//", TMPL_TOK_FLOORDIV }, { "**", TMPL_TOK_POW }, { "==", TMPL_TOK_EQ },
  { "!=", TMPL_TOK_NE }, { ">=", TMPL_TOK_GE }, { "<=", TMPL_TOK_LE },
  { "+", TMPL_TOK_ADD }, { "-", TMPL_TOK_SUB }, { "/", TMPL_TOK_DIV }, { "*", TMPL_TOK_MUL },
  { "%", TMPL_TOK_MOD }, { "~", TMPL_TOK_TILDE }, { "[", TMPL_TOK_LBRACKET },
  { "]", TMPL_TOK_RBRACKET }, { "(", TMPL_TOK_LPAREN }, { ")", TMPL_TOK_RPAREN },
  { "{", TMPL_TOK_LBRACE }, { "}", TMPL_TOK_RBRACE }, { ">", TMPL_TOK_GT }, { "<", TMPL_TOK_LT },
  { "=", TMPL_TOK_ASSIGN }, { ".", TMPL_TOK_DOT }, { ":", TMPL_TOK_COLON }, { "|", TMPL_TOK_PIPE },
  { ",", TMPL_TOK_COMMA }, { ";", TMPL_TOK_SEMICOLON },
};

static gboolean
is_name_start (gunichar c)
{
  return c == '_' || (c < 0x80 ? g_ascii_isalpha (c) : g_unichar_isalpha (c));
}

static gboolean
is_name_char (gunichar c)
{
  if (c < 0x80)
    return c == '_' || g_ascii_isalnum (c);
  return g_unichar_isalnum (c) || g_unichar_ismark (c);
}

static gboolean
is_digit_run (const Lexer *lx,
              gsize       *at)
{
  /* (\d+_)*\d+ */
  gsize p = *at;

  if (p >= lx->len || !g_ascii_isdigit (lx->src[p]))
    return FALSE;
  while (p < lx->len)
    {
      if (g_ascii_isdigit (lx->src[p]))
        p++;
      else if (lx->src[p] == '_' && p + 1 < lx->len && g_ascii_isdigit (lx->src[p + 1]))
        p++;
      else
        break;
    }
  *at = p;
  return TRUE;
}

/* A float: digits, then a fraction, an exponent or both. */
static gboolean
match_float (const Lexer *lx,
             gsize       *end)
{
  gsize p = lx->pos;
  gboolean fraction = FALSE;

  if (p > 0 && lx->src[p - 1] == '.')
    return FALSE;
  if (!is_digit_run (lx, &p))
    return FALSE;
  if (p < lx->len && lx->src[p] == '.')
    {
      gsize q = p + 1;

      if (is_digit_run (lx, &q))
        {
          p = q;
          fraction = TRUE;
        }
    }
  if (p < lx->len && (lx->src[p] == 'e' || lx->src[p] == 'E'))
    {
      gsize q = p + 1;

      if (q < lx->len && (lx->src[q] == '+' || lx->src[q] == '-'))
        q++;
      if (is_digit_run (lx, &q))
        {
          *end = q;
          return TRUE;
        }
    }
  if (!fraction)
    return FALSE;
  *end = p;
  return TRUE;
}

static char *
without_underscores (const char *text,
                     gsize       len)
{
  char *out = g_malloc (len + 1);
  gsize n = 0;

  for (gsize i = 0; i < len; i++)
    if (text[i] != '_')
      out[n++] = text[i];
  out[n] = '\0';
  return out;
}

static gboolean
lex_number (Lexer *lx)
{
  gsize start = lx->pos;
  gsize end;

  if (match_float (lx, &end))
    {
      g_autofree char *digits = without_underscores (lx->src + start, end - start);
      TmplToken *token = emit (lx, TMPL_TOKEN_FLOAT, start);

      token->number = g_ascii_strtod (digits, NULL);
      lx->pos = end;
      return TRUE;
    }

  {
    /* 0b…, 0o…, 0x…, [1-9](_?\d)*, 0(_?0)* */
    int base = 10;
    gsize p = start;
    g_autofree char *digits = NULL;
    char *digits_end = NULL;
    guint64 value;
    TmplToken *token;

    if (lx->src[p] == '0' && p + 1 < lx->len && lx->src[p + 1] != '\0' &&
        strchr ("bBoOxX", lx->src[p + 1]) != NULL)
      {
        char prefix = g_ascii_tolower (lx->src[p + 1]);
        gsize q = p + 2;

        base = prefix == 'b' ? 2 : prefix == 'o' ? 8 : 16;
        while (q < lx->len)
          {
            char c = lx->src[q];
            gboolean digit = base == 16 ? g_ascii_isxdigit (c) : (c >= '0' && c < '0' + base);

            if (digit)
              q++;
            else if (c == '_' && q + 1 < lx->len)
              {
                char d = lx->src[q + 1];

                if (base == 16 ? g_ascii_isxdigit (d) : (d >= '0' && d < '0' + base))
                  q++;
                else
                  break;
              }
            else
              break;
          }
        if (q == p + 2)
          base = 10;   /* just "0": the letter starts a name */
        else
          {
            digits = without_underscores (lx->src + p + 2, q - p - 2);
            end = q;
          }
      }
    if (base == 10)
      {
        gsize q = p;

        if (lx->src[p] == '0')
          {
            q++;
            while (q < lx->len && (lx->src[q] == '0' ||
                                   (lx->src[q] == '_' && q + 1 < lx->len && lx->src[q + 1] == '0')))
              q++;
          }
        else
          is_digit_run (lx, &q);
        digits = without_underscores (lx->src + p, q - p);
        end = q;
      }
    errno = 0;
    value = g_ascii_strtoull (digits, &digits_end, base);
    if (errno != 0 || value > (guint64) G_MAXINT64)
      {
        lexer_fail (lx, start, "the integer %.*s is too large", (int) MIN (end - start, 40), lx->src + start);
        return FALSE;
      }
    token = emit (lx, TMPL_TOKEN_INTEGER, start);
    token->integer = (gint64) value;
    lx->pos = end;
    return TRUE;
  }
}

static int
hex_value (char c)
{
  return g_ascii_xdigit_value (c);
}

/* Decodes a string literal as Python's unicode-escape codec does. */
static gboolean
lex_string (Lexer *lx)
{
  gsize start = lx->pos;
  char quote = lx->src[start];
  gsize p = start + 1;
  GString *text = g_string_new (NULL);
  TmplToken *token;

  while (TRUE)
    {
      char c;

      if (p >= lx->len)
        {
          g_string_free (text, TRUE);
          lexer_fail (lx, start, "the string that starts here does not end");
          return FALSE;
        }
      c = lx->src[p];
      if (c == quote)
        {
          p++;
          break;
        }
      if (c != '\\')
        {
          g_string_append_c (text, c);
          p++;
          continue;
        }
      if (p + 1 >= lx->len)
        {
          g_string_append_c (text, '\\');
          p++;
          continue;
        }
      c = lx->src[p + 1];
      p += 2;
      switch (c)
        {
        case '\n': break;
        case '\\': g_string_append_c (text, '\\'); break;
        case '\'': g_string_append_c (text, '\''); break;
        case '"': g_string_append_c (text, '"'); break;
        case 'a': g_string_append_c (text, '\a'); break;
        case 'b': g_string_append_c (text, '\b'); break;
        case 'f': g_string_append_c (text, '\f'); break;
        case 'n': g_string_append_c (text, '\n'); break;
        case 'r': g_string_append_c (text, '\r'); break;
        case 't': g_string_append_c (text, '\t'); break;
        case 'v': g_string_append_c (text, '\v'); break;
        case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
          {
            gunichar u = (gunichar) (c - '0');

            for (int i = 0; i < 2 && p < lx->len && lx->src[p] >= '0' && lx->src[p] <= '7'; i++)
              u = u * 8 + (gunichar) (lx->src[p++] - '0');
            g_string_append_unichar (text, u);
          }
          break;
        case 'x':
        case 'u':
        case 'U':
          {
            int n = c == 'x' ? 2 : c == 'u' ? 4 : 8;
            guint32 u = 0;

            for (int i = 0; i < n; i++)
              {
                if (p >= lx->len || hex_value (lx->src[p]) < 0)
                  {
                    g_string_free (text, TRUE);
                    lexer_fail (lx, start, "truncated \\%c escape in a string", c);
                    return FALSE;
                  }
                u = u * 16 + (guint32) hex_value (lx->src[p++]);
              }
            if (u > 0x10ffff)
              {
                g_string_free (text, TRUE);
                lexer_fail (lx, start, "illegal Unicode character \\U%08x in a string", u);
                return FALSE;
              }
            /* UTF-8 cannot hold a lone surrogate. */
            if (u >= 0xd800 && u <= 0xdfff)
              u = 0xfffd;
            g_string_append_unichar (text, u);
          }
          break;
        default:
          /* Unknown escapes stay as they are. */
          g_string_append_c (text, '\\');
          p--;
          break;
        }
    }
  token = emit (lx, TMPL_TOKEN_STRING, start);
  token->text_len = text->len;
  token->text = g_string_free (text, FALSE);
  lx->pos = p;
  return TRUE;
}

static const char closing_of[] = { ['('] = ')', ['['] = ']', ['{'] = '}' };

/* Tokens up to the end of a {{ }} or {% %} tag. */
static gboolean
lex_tag (Lexer    *lx,
         gboolean  is_block,
         gsize     tag_start)
{
  g_string_truncate (lx->brackets, 0);
  while (TRUE)
    {
      gsize start = lx->pos;
      guchar c;

      if (lx->pos >= lx->len)
        {
          lexer_fail (lx, tag_start, "unexpected end of template: the %s does not end",
                      is_block ? "block tag" : "print tag");
          return FALSE;
        }
      c = (guchar) lx->src[lx->pos];

      /* The end of the tag, only outside brackets. */
      if (lx->brackets->len == 0)
        {
          const char *end = is_block ? "%}" : "}}";

          if (c == '-' && starts_with (lx, lx->pos + 1, end))
            {
              emit (lx, is_block ? TMPL_TOKEN_BLOCK_END : TMPL_TOKEN_VARIABLE_END, start);
              lx->pos = skip_spaces (lx, lx->pos + 3);
              lx->line_starting = lx->pos > start + 3 && lx->src[lx->pos - 1] == '\n';
              return TRUE;
            }
          if (is_block && c == '+' && starts_with (lx, lx->pos + 1, end))
            {
              emit (lx, TMPL_TOKEN_BLOCK_END, start);
              lx->pos += 3;
              lx->line_starting = FALSE;
              return TRUE;
            }
          if (starts_with (lx, lx->pos, end))
            {
              emit (lx, is_block ? TMPL_TOKEN_BLOCK_END : TMPL_TOKEN_VARIABLE_END, start);
              lx->pos += 2;
              lx->line_starting = FALSE;
              /* trim_blocks: the first newline after a block tag goes. */
              if (is_block && lx->pos < lx->len && lx->src[lx->pos] == '\n')
                {
                  lx->pos++;
                  lx->line_starting = TRUE;
                }
              return TRUE;
            }
        }

      if (space_at (lx, lx->pos) > 0)
        {
          lx->pos = skip_spaces (lx, lx->pos);
          continue;
        }
      if (g_ascii_isdigit (c))
        {
          if (!lex_number (lx))
            return FALSE;
          continue;
        }
      if (c == '\'' || c == '"')
        {
          if (!lex_string (lx))
            return FALSE;
          continue;
        }
      {
        gunichar u = g_utf8_get_char (lx->src + lx->pos);

        if (is_name_start (u))
          {
            gsize p = lx->pos;
            TmplToken *token;

            while (p < lx->len && is_name_char (g_utf8_get_char (lx->src + p)))
              p = (gsize) (g_utf8_next_char (lx->src + p) - lx->src);
            token = emit (lx, TMPL_TOKEN_NAME, start);
            token->name = tmpl_intern (lx->tmpl, lx->src + start, p - start);
            lx->pos = p;
            continue;
          }
      }
      for (gsize i = 0; i < G_N_ELEMENTS (operators); i++)
        if (starts_with (lx, lx->pos, operators[i].text))
          {
            TmplToken *token;

            if (c == '(' || c == '[' || c == '{')
              {
                if (lx->brackets->len >= TMPL_MAX_NESTING)
                  {
                    lexer_fail (lx, start, "brackets are nested more than %d deep", TMPL_MAX_NESTING);
                    return FALSE;
                  }
                g_string_append_c (lx->brackets, closing_of[c]);
              }
            else if (c == ')' || c == ']' || c == '}')
              {
                if (lx->brackets->len == 0)
                  {
                    lexer_fail (lx, start, "unexpected '%c'", c);
                    return FALSE;
                  }
                if (lx->brackets->str[lx->brackets->len - 1] != (char) c)
                  {
                    lexer_fail (lx, start, "unexpected '%c', expected '%c'", c,
                                lx->brackets->str[lx->brackets->len - 1]);
                    return FALSE;
                  }
                g_string_truncate (lx->brackets, lx->brackets->len - 1);
              }
            token = emit (lx, TMPL_TOKEN_OPERATOR, start);
            token->op = operators[i].op;
            lx->pos += strlen (operators[i].text);
            goto next;
          }
      {
        gunichar u = g_utf8_get_char (lx->src + lx->pos);
        char utf8[8] = { 0 };

        g_unichar_to_utf8 (u, utf8);
        lexer_fail (lx, start, "unexpected char '%s'", utf8);
        return FALSE;
      }
    next:
      ;
    }
}

/* ------------------------------------------------------------------------ */
/* Between tags. */

/* The first "{{", "{%" or "{#" at or after @from, or len. */
static gsize
find_tag (const Lexer *lx,
          gsize        from)
{
  const char *p = lx->src + from;
  const char *end = lx->src + lx->len;

  while (p < end && (p = memchr (p, '{', (gsize) (end - p))) != NULL)
    {
      if (p + 1 < end && (p[1] == '{' || p[1] == '%' || p[1] == '#'))
        return (gsize) (p - lx->src);
      p++;
    }
  return lx->len;
}

/* `{%[-+]? raw [-]?%}` at @tag: where it ends, or 0. */
static gsize
match_raw_begin (const Lexer *lx,
                 gsize        tag)
{
  gsize p = tag + 2;

  if (p < lx->len && (lx->src[p] == '-' || lx->src[p] == '+'))
    p++;
  p = skip_spaces (lx, p);
  if (!starts_with (lx, p, "raw"))
    return 0;
  p = skip_spaces (lx, p + 3);
  if (starts_with (lx, p, "-%}"))
    return skip_spaces (lx, p + 3);
  if (starts_with (lx, p, "%}"))
    return p + 2;
  return 0;
}

static gboolean
lex_raw (Lexer *lx,
         gsize  raw_start)
{
  gsize from = lx->pos;

  for (gsize tag = find_tag (lx, from); tag < lx->len; tag = find_tag (lx, tag + 1))
    {
      gsize p = tag + 2;
      char sign = 0;
      gsize end;

      if (lx->src[tag + 1] != '%')
        continue;
      if (p < lx->len && (lx->src[p] == '-' || lx->src[p] == '+'))
        sign = lx->src[p++];
      p = skip_spaces (lx, p);
      if (!starts_with (lx, p, "endraw"))
        continue;
      p = skip_spaces (lx, p + 6);
      if (starts_with (lx, p, "+%}"))
        end = p + 3;
      else if (starts_with (lx, p, "-%}"))
        end = skip_spaces (lx, p + 3);
      else if (starts_with (lx, p, "%}"))
        end = p + 2 + (p + 2 < lx->len && lx->src[p + 2] == '\n' ? 1 : 0);
      else
        continue;
      emit_text (lx, from, trim_text_end (lx, from, tag, sign, FALSE));
      lx->pos = end;
      lx->line_starting = end > 0 && lx->src[end - 1] == '\n';
      return TRUE;
    }
  lexer_fail (lx, raw_start, "missing end of raw directive");
  return FALSE;
}

static gboolean
lex_comment (Lexer *lx,
             gsize  comment_start)
{
  const char *found = memmem (lx->src + lx->pos, lx->len - lx->pos, "#}", 2);
  gsize close;

  if (found == NULL)
    {
      lexer_fail (lx, comment_start, "missing end of comment tag");
      return FALSE;
    }
  close = (gsize) (found - lx->src);
  if (close > lx->pos && lx->src[close - 1] == '-')
    {
      lx->pos = skip_spaces (lx, close + 2);
      lx->line_starting = lx->pos > close + 2 && lx->src[lx->pos - 1] == '\n';
    }
  else if (close > lx->pos && lx->src[close - 1] == '+')
    {
      lx->pos = close + 2;
      lx->line_starting = FALSE;
    }
  else
    {
      lx->pos = close + 2;
      lx->line_starting = FALSE;
      if (lx->pos < lx->len && lx->src[lx->pos] == '\n')
        {
          lx->pos++;
          lx->line_starting = TRUE;
        }
    }
  return TRUE;
}

gboolean
tmpl_lex (BendiTemplate    *tmpl,
          const TmplSource *source,
          GArray           *tokens,
          GError          **error)
{
  Lexer lx = { 0 };

  lx.tmpl = tmpl;
  lx.source = source;
  lx.src = source->text;
  lx.len = source->len;
  lx.line_starting = TRUE;
  lx.tokens = tokens;
  lx.brackets = g_string_new (NULL);

  while (lx.pos < lx.len && lx.error == NULL)
    {
      gsize start = lx.pos;
      gsize tag = find_tag (&lx, start);
      gsize raw_end;
      char kind;
      char sign = 0;

      if (tag >= lx.len)
        {
          emit_text (&lx, start, lx.len);
          lx.pos = lx.len;
          break;
        }
      kind = lx.src[tag + 1];
      if (tag + 2 < lx.len && (lx.src[tag + 2] == '-' || lx.src[tag + 2] == '+'))
        sign = lx.src[tag + 2];
      raw_end = kind == '%' ? match_raw_begin (&lx, tag) : 0;
      emit_text (&lx, start, trim_text_end (&lx, start, tag, sign, kind == '{'));
      lx.pos = tag + 2 + (sign != 0 ? 1 : 0);
      lx.line_starting = FALSE;
      if (raw_end > 0)
        {
          lx.pos = raw_end;
          lx.line_starting = lx.src[raw_end - 1] == '\n';
          lex_raw (&lx, tag);
        }
      else if (kind == '#')
        lex_comment (&lx, tag);
      else
        {
          emit (&lx, kind == '%' ? TMPL_TOKEN_BLOCK_BEGIN : TMPL_TOKEN_VARIABLE_BEGIN, tag);
          lex_tag (&lx, kind == '%', tag);
        }
    }
  g_string_free (lx.brackets, TRUE);
  emit (&lx, TMPL_TOKEN_EOF, lx.len);
  if (lx.error != NULL)
    {
      g_propagate_error (error, lx.error);
      return FALSE;
    }
  return TRUE;
}

void
tmpl_tokens_free (GArray *tokens)
{
  for (guint i = 0; i < tokens->len; i++)
    g_free (g_array_index (tokens, TmplToken, i).text);
  g_array_unref (tokens);
}
