/* SPDX-License-Identifier: MIT */
/* Unicode for the tokenizers: UTF-8 decoding, the character classes the
 * pre-tokenizers split on, and GPT-2's byte-to-unicode alphabet. */
#include "tokenizer/tokenizer-private.h"

#include <string.h>

/* The White_Space property (PropList.txt), which llama.cpp's \s means. GLib
 * has no test for it: g_unichar_isspace leaves out U+0085. */
static gboolean
is_white_space (gunichar c)
{
  if (c <= 0x20)
    return c == 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0x85)
    return FALSE;
  switch (c)
    {
    case 0x0085: case 0x00a0: case 0x1680:
    case 0x2028: case 0x2029: case 0x202f: case 0x205f: case 0x3000:
      return TRUE;
    default:
      return c >= 0x2000 && c <= 0x200a;
    }
}

/* llama.cpp maps Python's unicodedata categories to these flags; GLib
 * reports the same general categories. */
static guint16
category_flags (gunichar c)
{
  switch (g_unichar_type (c))
    {
    case G_UNICODE_UNASSIGNED:
      return BENDI_CPT_UNDEFINED;
    case G_UNICODE_CONTROL:
    case G_UNICODE_FORMAT:
    case G_UNICODE_PRIVATE_USE:
    case G_UNICODE_SURROGATE:
      return BENDI_CPT_CONTROL;
    case G_UNICODE_LOWERCASE_LETTER:
    case G_UNICODE_MODIFIER_LETTER:
    case G_UNICODE_OTHER_LETTER:
    case G_UNICODE_TITLECASE_LETTER:
    case G_UNICODE_UPPERCASE_LETTER:
      return BENDI_CPT_LETTER;
    case G_UNICODE_SPACING_MARK:
    case G_UNICODE_ENCLOSING_MARK:
    case G_UNICODE_NON_SPACING_MARK:
      return BENDI_CPT_MARK;
    case G_UNICODE_DECIMAL_NUMBER:
    case G_UNICODE_LETTER_NUMBER:
    case G_UNICODE_OTHER_NUMBER:
      return BENDI_CPT_NUMBER;
    case G_UNICODE_CONNECT_PUNCTUATION:
    case G_UNICODE_DASH_PUNCTUATION:
    case G_UNICODE_CLOSE_PUNCTUATION:
    case G_UNICODE_FINAL_PUNCTUATION:
    case G_UNICODE_INITIAL_PUNCTUATION:
    case G_UNICODE_OTHER_PUNCTUATION:
    case G_UNICODE_OPEN_PUNCTUATION:
      return BENDI_CPT_PUNCTUATION;
    case G_UNICODE_CURRENCY_SYMBOL:
    case G_UNICODE_MODIFIER_SYMBOL:
    case G_UNICODE_MATH_SYMBOL:
    case G_UNICODE_OTHER_SYMBOL:
      return BENDI_CPT_SYMBOL;
    case G_UNICODE_LINE_SEPARATOR:
    case G_UNICODE_PARAGRAPH_SEPARATOR:
    case G_UNICODE_SPACE_SEPARATOR:
      return BENDI_CPT_SEPARATOR;
    default:
      return BENDI_CPT_UNDEFINED;
    }
}

guint16
bendi_unicode_flags (gunichar c)
{
  guint16 flags;

  if (c > 0x10ffff)
    return BENDI_CPT_UNDEFINED;
  flags = category_flags (c);
  if (is_white_space (c))
    flags |= BENDI_CPT_WHITESPACE;
  return flags;
}

/* ------------------------------------------------------------------------ */
/* UTF-8 */

BendiUtf8Status
bendi_utf8_next (const char *text,
                 gsize       len,
                 gsize      *out_len,
                 gunichar   *out_char)
{
  const guint8 *p = (const guint8 *) text;
  guint8 second_lo = 0x80, second_hi = 0xbf;
  gsize need;
  gunichar c;

  if (p[0] < 0x80)
    {
      *out_len = 1;
      *out_char = p[0];
      return BENDI_UTF8_VALID;
    }
  if (p[0] < 0xc2 || p[0] > 0xf4)
    {
      /* A continuation byte, an overlong lead or beyond U+10FFFF. */
      *out_len = 1;
      return BENDI_UTF8_INVALID;
    }
  if (p[0] < 0xe0)
    {
      need = 1;
      c = p[0] & 0x1f;
    }
  else if (p[0] < 0xf0)
    {
      need = 2;
      c = p[0] & 0x0f;
      if (p[0] == 0xe0)
        second_lo = 0xa0;           /* overlong */
      else if (p[0] == 0xed)
        second_hi = 0x9f;           /* surrogates */
    }
  else
    {
      need = 3;
      c = p[0] & 0x07;
      if (p[0] == 0xf0)
        second_lo = 0x90;           /* overlong */
      else if (p[0] == 0xf4)
        second_hi = 0x8f;           /* beyond U+10FFFF */
    }

  for (gsize i = 1; i <= need; i++)
    {
      guint8 lo = i == 1 ? second_lo : 0x80;
      guint8 hi = i == 1 ? second_hi : 0xbf;

      if (i >= len)
        {
          *out_len = i;
          return BENDI_UTF8_INCOMPLETE;
        }
      if (p[i] < lo || p[i] > hi)
        {
          /* The maximal valid prefix becomes one replacement character. */
          *out_len = i;
          return BENDI_UTF8_INVALID;
        }
      c = (c << 6) | (p[i] & 0x3f);
    }
  *out_len = need + 1;
  *out_char = c;
  return BENDI_UTF8_VALID;
}

gboolean
bendi_utf8_validate (const char *text,
                     gsize       len,
                     gsize      *out_bad)
{
  gsize pos = 0;

  while (pos < len)
    {
      gsize n;
      gunichar c;

      /* ASCII runs are the common case; skip them a byte at a time without
       * the full decoder. */
      if ((guint8) text[pos] < 0x80)
        {
          pos++;
          continue;
        }
      if (bendi_utf8_next (text + pos, len - pos, &n, &c) != BENDI_UTF8_VALID)
        {
          if (out_bad != NULL)
            *out_bad = pos;
          return FALSE;
        }
      pos += n;
    }
  return TRUE;
}

void
bendi_utf8_append_valid (GString    *out,
                         const char *text,
                         gsize       len)
{
  gsize pos = 0;
  gsize run = 0;   /* start of the valid run not yet appended */

  while (pos < len)
    {
      gsize n;
      gunichar c;

      if (bendi_utf8_next (text + pos, len - pos, &n, &c) == BENDI_UTF8_VALID)
        {
          pos += n;
          continue;
        }
      g_string_append_len (out, text + run, (gssize) (pos - run));
      g_string_append (out, "\xef\xbf\xbd");
      pos += n;
      run = pos;
    }
  g_string_append_len (out, text + run, (gssize) (pos - run));
}

/* ------------------------------------------------------------------------ */
/* GPT-2's alphabet: printable bytes stand for themselves; the 68 others
 * (controls, space, DEL, 0x80–0xA0, soft hyphen) take U+0100 onwards in
 * byte order, so every byte is a visible character. */

static gboolean
is_self_byte (guint b)
{
  return (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || b >= 0xae;
}

gsize
bendi_byte_to_unicode (guint8 b,
                       char   out[2])
{
  gunichar c;

  if (is_self_byte (b))
    c = b;
  else if (b <= 0x20)
    c = 0x100 + b;                   /* 33 of them: U+0100–U+0120 */
  else if (b <= 0xa0)
    c = 0x100 + 33 + (b - 0x7f);     /* 34 of them: U+0121–U+0142 */
  else
    c = 0x143;                       /* the soft hyphen */

  if (c < 0x80)
    {
      out[0] = (char) c;
      return 1;
    }
  out[0] = (char) (0xc0 | (c >> 6));
  out[1] = (char) (0x80 | (c & 0x3f));
  return 2;
}

gint
bendi_unicode_to_byte (gunichar c)
{
  if (c < 0x100)
    return is_self_byte (c) ? (gint) c : -1;
  if (c <= 0x120)
    return (gint) (c - 0x100);
  if (c <= 0x142)
    return (gint) (0x7f + (c - 0x121));
  if (c == 0x143)
    return 0xad;
  return -1;
}
