/* SPDX-License-Identifier: MIT */
/* Python's str, list and dict methods that chat templates call, and the string operations filters share. */
#include "template/template-private.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Strings: code points, not bytes, as Python counts them. */

static gboolean
arg_string (TmplRun     *run,
            const Value *v,
            const char  *what)
{
  if (v->type != BENDI_TEMPLATE_VALUE_STRING)
    {
      tmpl_fail (run, "%s must be str, not %s", what, tmpl_type_name (v));
      return FALSE;
    }
  return TRUE;
}

/* The byte offset of code point @index (clamped to the string). */
static gsize
byte_offset (Value *s,
             gint64 index)
{
  const char *p = s->string.data;
  const char *end = p + s->string.len;

  if (s->flags & TMPL_FLAG_ASCII)
    return (gsize) CLAMP (index, 0, (gint64) s->string.len);
  for (gint64 i = 0; i < index && p < end; i++)
    p = g_utf8_next_char (p);
  return (gsize) (p - s->string.data);
}

static gint64
char_index (Value *s,
            gsize  offset)
{
  gint64 n = 0;

  if (s->flags & TMPL_FLAG_ASCII)
    return (gint64) offset;
  for (gsize i = 0; i < offset; i++)
    if (((guchar) s->string.data[i] & 0xc0) != 0x80)
      n++;
  return n;
}

/* Python's [start:end] on a string, as byte offsets. */
static gboolean
resolve_range (TmplRun     *run,
               Value       *s,
               const Value *start_v,
               const Value *end_v,
               gsize       *from,
               gsize       *to)
{
  gint64 len = (gint64) tmpl_string_n_chars (s);
  gint64 start, end;

  if (!tmpl_arg_int (run, start_v, 0, "start", &start) || !tmpl_arg_int (run, end_v, len, "end", &end))
    return FALSE;
  if (start < 0)
    start = MAX (start + len, 0);
  if (end < 0)
    end = MAX (end + len, 0);
  start = MIN (start, len);
  end = MIN (end, len);
  *from = byte_offset (s, start);
  *to = end > start ? byte_offset (s, end) : *from;
  return TRUE;
}

static Value *
case_map (TmplRun *run,
          Value   *s,
          gboolean upper)
{
  char *mapped;

  if (!tmpl_charge_text (run, s->string.len))
    return NULL;
  if (s->flags & TMPL_FLAG_ASCII)
    {
      GString *out = g_string_sized_new (s->string.len);

      for (gsize i = 0; i < s->string.len; i++)
        g_string_append_c (out, upper ? g_ascii_toupper (s->string.data[i]) : g_ascii_tolower (s->string.data[i]));
      return tmpl_new_string_take_gstring (run, out);
    }
  mapped = upper ? g_utf8_strup (s->string.data, (gssize) s->string.len) :
                   g_utf8_strdown (s->string.data, (gssize) s->string.len);
  {
    Value *v = tmpl_new_string (run, mapped, strlen (mapped));

    g_free (mapped);
    return v;
  }
}

Value *
tmpl_str_lower (TmplRun *run,
                Value   *s)
{
  return case_map (run, s, FALSE);
}

Value *
tmpl_str_upper (TmplRun *run,
                Value   *s)
{
  return case_map (run, s, TRUE);
}

static void
append_mapped (GString  *out,
               gunichar  c,
               int       mode)   /* 0 lower, 1 upper, 2 title */
{
  char buf[8];
  gsize n = (gsize) g_unichar_to_utf8 (c, buf);
  char *mapped;

  if (mode == 2)
    {
      g_string_append_unichar (out, g_unichar_totitle (c));
      return;
    }
  mapped = mode == 1 ? g_utf8_strup (buf, (gssize) n) : g_utf8_strdown (buf, (gssize) n);
  g_string_append (out, mapped);
  g_free (mapped);
}

Value *
tmpl_str_capitalize (TmplRun *run,
                     Value   *s)
{
  GString *out;
  gboolean first = TRUE;

  if (!tmpl_charge_text (run, s->string.len))
    return NULL;
  out = g_string_sized_new (s->string.len);

  for (const char *p = s->string.data; p < s->string.data + s->string.len; p = g_utf8_next_char (p))
    {
      append_mapped (out, g_utf8_get_char (p), first ? 2 : 0);
      first = FALSE;
    }
  return tmpl_new_string_take_gstring (run, out);
}

/* str.title(): a cased letter after an uncased character starts a word. */
static Value *
string_title (TmplRun *run,
              Value   *s)
{
  GString *out;
  gboolean previous_cased = FALSE;

  if (!tmpl_charge_text (run, s->string.len))
    return NULL;
  out = g_string_sized_new (s->string.len);

  for (const char *p = s->string.data; p < s->string.data + s->string.len; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      gboolean cased = g_unichar_isupper (c) || g_unichar_islower (c) || g_unichar_istitle (c);

      if (cased)
        append_mapped (out, c, previous_cased ? 0 : 2);
      else
        g_string_append_unichar (out, c);
      previous_cased = cased;
    }
  return tmpl_new_string_take_gstring (run, out);
}

static gboolean
in_char_set (const Value *chars,
             gunichar     c)
{
  if (chars == NULL)
    return tmpl_unichar_isspace (c);
  for (const char *p = chars->string.data; p < chars->string.data + chars->string.len; p = g_utf8_next_char (p))
    if (g_utf8_get_char (p) == c)
      return TRUE;
  return FALSE;
}

Value *
tmpl_str_strip (TmplRun     *run,
                Value       *s,
                const Value *chars,
                gboolean     left,
                gboolean     right)
{
  const char *start = s->string.data;
  const char *end = start + s->string.len;

  if (!tmpl_arg_given (chars))
    chars = NULL;
  else if (!arg_string (run, chars, "strip arg"))
    return NULL;
  if (chars != NULL && !tmpl_charge_steps (run, s->string.len * MAX (chars->string.len, 1) / 256))
    return NULL;
  while (left && start < end && in_char_set (chars, g_utf8_get_char (start)))
    start = g_utf8_next_char (start);
  while (right && end > start)
    {
      const char *prev = g_utf8_prev_char (end);

      if (!in_char_set (chars, g_utf8_get_char (prev)))
        break;
      end = prev;
    }
  if (start == s->string.data && end == s->string.data + s->string.len)
    return tmpl_ref (s);
  return tmpl_new_string (run, start, (gsize) (end - start));
}

Value *
tmpl_str_replace (TmplRun *run,
                  Value   *s,
                  Value   *old,
                  Value   *replacement,
                  gint64   count)
{
  GString *out;
  const char *p = s->string.data;
  const char *end = p + s->string.len;

  if (count < 0)
    count = G_MAXINT64;
  out = g_string_sized_new (s->string.len);
  if (old->string.len == 0)
    {
      /* Python puts the replacement between every character, and at both ends. */
      gint64 done = 0;

      if (done < count)
        {
          g_string_append_len (out, replacement->string.data, (gssize) replacement->string.len);
          done++;
        }
      while (p < end)
        {
          const char *next = g_utf8_next_char (p);

          g_string_append_len (out, p, next - p);
          p = next;
          if (done < count)
            {
              g_string_append_len (out, replacement->string.data, (gssize) replacement->string.len);
              done++;
            }
          if (out->len > 4 * (gsize) run->options.max_output_bytes + s->string.len)
            break;
        }
    }
  else
    {
      gint64 done = 0;

      while (p < end && done < count)
        {
          const char *found = memmem (p, (gsize) (end - p), old->string.data, old->string.len);

          if (found == NULL)
            break;
          g_string_append_len (out, p, found - p);
          g_string_append_len (out, replacement->string.data, (gssize) replacement->string.len);
          p = found + old->string.len;
          done++;
          if (!tmpl_charge_steps (run, 1))
            {
              g_string_free (out, TRUE);
              return NULL;
            }
          if (out->len > run->options.max_memory_bytes)
            break;
        }
      g_string_append_len (out, p, end - p);
    }
  if (!tmpl_charge_steps (run, (s->string.len + out->len) / 64) || !tmpl_check_memory (run, out->len))
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return tmpl_new_string_take_gstring (run, out);
}

Value *
tmpl_str_pad (TmplRun  *run,
              Value    *s,
              gint64    width,
              gunichar  fill,
              char      align)
{
  gint64 n = (gint64) tmpl_string_n_chars (s);
  gint64 pad, left, right;
  GString *out;

  if (width <= n)
    return tmpl_ref (s);
  if (width - n > (gint64) run->options.max_output_bytes)
    return tmpl_fail (run, "the padding is too wide");
  pad = width - n;
  left = align == '>' ? pad : align == '^' ? pad / 2 + (pad & width & 1) : 0;
  right = pad - left;
  out = g_string_sized_new (s->string.len + (gsize) pad);
  for (gint64 i = 0; i < left; i++)
    g_string_append_unichar (out, fill);
  g_string_append_len (out, s->string.data, (gssize) s->string.len);
  for (gint64 i = 0; i < right; i++)
    g_string_append_unichar (out, fill);
  return tmpl_new_string_take_gstring (run, out);
}

/* str.split and str.rsplit. */
static Value *
string_split (TmplRun     *run,
              Value       *s,
              const Value *sep,
              const Value *maxsplit_v,
              gboolean     from_right)
{
  gint64 maxsplit;
  Value *parts;
  const char *start = s->string.data;
  const char *end = start + s->string.len;
  GPtrArray *pieces;   /* pairs of begin/end pointers, in order found */

  if (!tmpl_arg_int (run, maxsplit_v, -1, "maxsplit", &maxsplit))
    return NULL;
  if (tmpl_arg_given (sep) && !arg_string (run, sep, "sep"))
    return NULL;
  if (tmpl_arg_given (sep) && sep->string.len == 0)
    return tmpl_fail (run, "empty separator");
  if (maxsplit < 0)
    maxsplit = G_MAXINT64;
  if (!tmpl_charge_steps (run, s->string.len / 64))
    return NULL;
  pieces = g_ptr_array_new ();
  if (!tmpl_arg_given (sep))
    {
      /* Runs of whitespace separate; none at either end counts. */
      if (!from_right)
        {
          const char *p = start;

          while (TRUE)
            {
              const char *word;

              while (p < end && tmpl_unichar_isspace (g_utf8_get_char (p)))
                p = g_utf8_next_char (p);
              if (p >= end)
                break;
              word = p;
              if ((gint64) pieces->len / 2 == maxsplit)
                {
                  /* The rest, trailing whitespace and all. */
                  g_ptr_array_add (pieces, (gpointer) word);
                  g_ptr_array_add (pieces, (gpointer) end);
                  break;
                }
              while (p < end && !tmpl_unichar_isspace (g_utf8_get_char (p)))
                p = g_utf8_next_char (p);
              g_ptr_array_add (pieces, (gpointer) word);
              g_ptr_array_add (pieces, (gpointer) p);
            }
        }
      else
        {
          const char *p = end;

          while (TRUE)
            {
              const char *word_end;

              while (p > start && tmpl_unichar_isspace (g_utf8_get_char (g_utf8_prev_char (p))))
                p = g_utf8_prev_char (p);
              if (p <= start)
                break;
              word_end = p;
              if ((gint64) pieces->len / 2 == maxsplit)
                {
                  g_ptr_array_add (pieces, (gpointer) start);
                  g_ptr_array_add (pieces, (gpointer) word_end);
                  break;
                }
              while (p > start && !tmpl_unichar_isspace (g_utf8_get_char (g_utf8_prev_char (p))))
                p = g_utf8_prev_char (p);
              g_ptr_array_add (pieces, (gpointer) p);
              g_ptr_array_add (pieces, (gpointer) word_end);
            }
        }
    }
  else if (!from_right)
    {
      const char *p = start;
      gint64 done = 0;

      while (done < maxsplit)
        {
          const char *found = memmem (p, (gsize) (end - p), sep->string.data, sep->string.len);

          if (found == NULL)
            break;
          g_ptr_array_add (pieces, (gpointer) p);
          g_ptr_array_add (pieces, (gpointer) found);
          p = found + sep->string.len;
          done++;
        }
      g_ptr_array_add (pieces, (gpointer) p);
      g_ptr_array_add (pieces, (gpointer) end);
    }
  else
    {
      const char *p = end;
      gint64 done = 0;

      while (done < maxsplit && p - start >= (gssize) sep->string.len)
        {
          const char *found = NULL;

          for (const char *q = p - sep->string.len; q >= start; q--)
            if (memcmp (q, sep->string.data, sep->string.len) == 0)
              {
                found = q;
                break;
              }
          if (found == NULL)
            break;
          g_ptr_array_add (pieces, (gpointer) (found + sep->string.len));
          g_ptr_array_add (pieces, (gpointer) p);
          p = found;
          done++;
        }
      g_ptr_array_add (pieces, (gpointer) start);
      g_ptr_array_add (pieces, (gpointer) p);
    }

  parts = tmpl_new_list (run, BENDI_TEMPLATE_VALUE_LIST, pieces->len / 2);
  for (guint i = 0; parts != NULL && i < pieces->len; i += 2)
    {
      /* rsplit found its pieces from the end. */
      guint at = from_right ? pieces->len - 2 - i : i;
      const char *a = pieces->pdata[at], *b = pieces->pdata[at + 1];
      Value *piece = tmpl_new_string (run, a, (gsize) (b - a));

      if (piece == NULL || !tmpl_list_append (run, parts, piece))
        {
          tmpl_unref (parts);
          parts = NULL;
        }
    }
  g_ptr_array_unref (pieces);
  return parts;
}

gsize
tmpl_line_break_length (const char *p,
                        const char *end)
{
  switch ((guchar) *p)
    {
    case '\r':
      return p + 1 < end && p[1] == '\n' ? 2 : 1;
    case '\n': case 0x0b: case 0x0c: case 0x1c: case 0x1d: case 0x1e:
      return 1;
    case 0xc2:
      return p + 1 < end && (guchar) p[1] == 0x85 ? 2 : 0;
    case 0xe2:
      return p + 2 < end && (guchar) p[1] == 0x80 && ((guchar) p[2] == 0xa8 || (guchar) p[2] == 0xa9) ? 3 : 0;
    default:
      return 0;
    }
}

static Value *
string_splitlines (TmplRun  *run,
                   Value    *s,
                   gboolean  keepends)
{
  Value *lines = tmpl_new_list (run, BENDI_TEMPLATE_VALUE_LIST, 0);
  const char *p = s->string.data, *end = p + s->string.len, *line = p;

  while (lines != NULL && p < end)
    {
      gsize brk = tmpl_line_break_length (p, end);
      Value *piece;

      if (brk == 0)
        {
          p++;
          continue;
        }
      piece = tmpl_new_string (run, line, (gsize) (p - line) + (keepends ? brk : 0));
      if (piece == NULL || !tmpl_list_append (run, lines, piece))
        {
          tmpl_unref (lines);
          return NULL;
        }
      p += brk;
      line = p;
    }
  if (lines != NULL && line < end)
    {
      Value *piece = tmpl_new_string (run, line, (gsize) (end - line));

      if (piece == NULL || !tmpl_list_append (run, lines, piece))
        {
          tmpl_unref (lines);
          return NULL;
        }
    }
  return lines;
}

/* startswith/endswith with one prefix or a tuple of them. */
static Value *
str_affix (TmplRun  *run,
           Value    *s,
           Value   **params,
           gboolean  at_end)
{
  Value *affix = params[0];
  gsize from, to;
  Value *const *candidates = &affix;
  gsize n = 1;

  if (!resolve_range (run, s, params[1], params[2], &from, &to))
    return NULL;
  if (affix->type == BENDI_TEMPLATE_VALUE_TUPLE)
    {
      candidates = affix->list.items;
      n = affix->list.len;
    }
  for (gsize i = 0; i < n; i++)
    {
      const Value *c = candidates[i];

      if (c->type != BENDI_TEMPLATE_VALUE_STRING)
        return tmpl_fail (run, "%s first arg must be str or a tuple of str, not %s",
                          at_end ? "endswith" : "startswith", tmpl_type_name (c));
      if (c->string.len <= to - from &&
          memcmp (s->string.data + (at_end ? to - c->string.len : from), c->string.data, c->string.len) == 0)
        return TMPL_TRUE;
    }
  return TMPL_FALSE;
}

/* find, rfind, index, rindex and count. */
static Value *
str_search (TmplRun  *run,
            Value    *s,
            Value   **params,
            gboolean  from_right,
            gboolean  must_find,
            gboolean  counting)
{
  Value *sub = params[0];
  gsize from, to;
  const char *found = NULL;

  if (!arg_string (run, sub, "substring") || !resolve_range (run, s, params[1], params[2], &from, &to))
    return NULL;
  if (!tmpl_charge_steps (run, (to - from) / 64))
    return NULL;
  if (counting)
    {
      gint64 n = 0;

      if (sub->string.len == 0)
        return tmpl_new_int (run, char_index (s, to) - char_index (s, from) + 1);
      for (const char *p = s->string.data + from;
           (found = memmem (p, (gsize) (s->string.data + to - p), sub->string.data, sub->string.len)) != NULL;
           p = found + sub->string.len)
        n++;
      return tmpl_new_int (run, n);
    }
  if (sub->string.len <= to - from)
    {
      if (!from_right)
        found = memmem (s->string.data + from, to - from, sub->string.data, sub->string.len);
      else
        for (const char *q = s->string.data + to - sub->string.len; q >= s->string.data + from; q--)
          if (memcmp (q, sub->string.data, sub->string.len) == 0)
            {
              found = q;
              break;
            }
    }
  if (found == NULL)
    return must_find ? tmpl_fail (run, "substring not found") : tmpl_new_int (run, -1);
  return tmpl_new_int (run, char_index (s, (gsize) (found - s->string.data)));
}

static Value *
string_join (TmplRun *run,
             Value   *s,
             Value   *iterable)
{
  Value *items = tmpl_iterate (run, iterable);
  GString *out;

  if (items == NULL)
    return NULL;
  out = g_string_new (NULL);
  for (gsize i = 0; i < items->list.len; i++)
    {
      Value *item = items->list.items[i];

      if (item->type != BENDI_TEMPLATE_VALUE_STRING)
        {
          tmpl_fail (run, "sequence item %" G_GSIZE_FORMAT ": expected str instance, %s found", i,
                     tmpl_type_name (item));
          break;
        }
      if (i > 0)
        g_string_append_len (out, s->string.data, (gssize) s->string.len);
      g_string_append_len (out, item->string.data, (gssize) item->string.len);
      if (!tmpl_check_memory (run, out->len))
        break;
    }
  tmpl_unref (items);
  if (run->error != NULL)
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return tmpl_new_string_take_gstring (run, out);
}

static Value *
string_partition (TmplRun  *run,
                  Value    *s,
                  Value    *sep,
                  gboolean  from_right)
{
  const char *found = NULL;
  Value *result;
  const char *start = s->string.data, *end = start + s->string.len;

  if (!arg_string (run, sep, "sep"))
    return NULL;
  if (sep->string.len == 0)
    return tmpl_fail (run, "empty separator");
  if (!from_right)
    found = memmem (start, s->string.len, sep->string.data, sep->string.len);
  else if (sep->string.len <= s->string.len)
    for (const char *q = end - sep->string.len; q >= start; q--)
      if (memcmp (q, sep->string.data, sep->string.len) == 0)
        {
          found = q;
          break;
        }
  result = tmpl_new_list (run, BENDI_TEMPLATE_VALUE_TUPLE, 3);
  if (result == NULL)
    return NULL;
  if (found == NULL)
    {
      Value *empty = tmpl_new_string (run, "", 0);

      tmpl_list_append (run, result, from_right ? empty : tmpl_ref (s));
      tmpl_list_append (run, result, tmpl_ref (empty));
      tmpl_list_append (run, result, from_right ? tmpl_ref (s) : tmpl_ref (empty));
      if (!from_right)
        tmpl_unref (empty);
      return result;
    }
  tmpl_list_append (run, result, tmpl_new_string (run, start, (gsize) (found - start)));
  tmpl_list_append (run, result, tmpl_ref (sep));
  tmpl_list_append (run, result, tmpl_new_string (run, found + sep->string.len,
                                                  (gsize) (end - found - sep->string.len)));
  for (gsize i = 0; i < result->list.len; i++)
    if (result->list.items[i] == NULL)
      {
        result->list.len = i;
        tmpl_unref (result);
        return NULL;
      }
  return result;
}

static Value *
str_predicate (TmplRun *run,
               Value   *s,
               int      kind)
{
  gboolean any = FALSE, cased = FALSE;

  if (kind == 'l' || kind == 'u')
    {
      for (const char *p = s->string.data; p < s->string.data + s->string.len; p = g_utf8_next_char (p))
        {
          gunichar c = g_utf8_get_char (p);

          if (kind == 'l' ? (g_unichar_isupper (c) || g_unichar_istitle (c)) : (g_unichar_islower (c) || g_unichar_istitle (c)))
            return TMPL_FALSE;
          cased |= g_unichar_islower (c) || g_unichar_isupper (c);
        }
      return TMPL_BOOL (cased);
    }
  for (const char *p = s->string.data; p < s->string.data + s->string.len; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      gboolean ok;

      switch (kind)
        {
        case 'd': ok = g_unichar_isdigit (c); break;
        case 'n': ok = g_unichar_isdigit (c) || g_unichar_type (c) == G_UNICODE_LETTER_NUMBER ||
                       g_unichar_type (c) == G_UNICODE_OTHER_NUMBER; break;
        case 'a': ok = g_unichar_isalpha (c); break;
        case 'A': ok = g_unichar_isalnum (c); break;
        case 's': ok = tmpl_unichar_isspace (c); break;
        default: ok = FALSE; break;
        }
      if (!ok)
        return TMPL_FALSE;
      any = TRUE;
    }
  (void) run;
  return TMPL_BOOL (any);
}

/* ------------------------------------------------------------------------ */
/* Methods. */

enum {
  CLASS_STR,
  CLASS_LIST,     /* lists; tuples get the ones marked read-only */
  CLASS_DICT,
  CLASS_LOOP,
};

typedef Value *(*MethodFunc) (TmplRun *run, Value *self, Value **params);
typedef Value *(*MethodRawFunc) (TmplRun *run, Value *self, const TmplArgs *args);

typedef struct {
  guint8             cls;
  gboolean           read_only;   /* for tuples too */
  const char        *name;
  MethodFunc         func;
  MethodRawFunc      raw;
  const char *const *params;
  guint              n_required;
} Method;

static const char *const no_params[] = { NULL };
static const char *const chars_params[] = { "chars", NULL };
static const char *const split_params[] = { "sep", "maxsplit", NULL };
static const char *const affix_params[] = { "prefix", "start", "end", NULL };
static const char *const sub_params[] = { "sub", "start", "end", NULL };
static const char *const replace_params[] = { "old", "new", "count", NULL };
static const char *const keepends_params[] = { "keepends", NULL };
static const char *const iterable_params[] = { "iterable", NULL };
static const char *const pad_params[] = { "width", "fillchar", NULL };
static const char *const width_params[] = { "width", NULL };
static const char *const sep_params[] = { "sep", NULL };
static const char *const value_params[] = { "value", NULL };
static const char *const index_params[] = { "index", NULL };
static const char *const insert_params[] = { "index", "object", NULL };
static const char *const item_params[] = { "object", NULL };
static const char *const list_index_params[] = { "value", "start", "stop", NULL };
static const char *const get_params[] = { "key", "default", NULL };

#define STR_METHOD(name) \
  static Value *str_##name (TmplRun *run, Value *self, Value **params)

STR_METHOD (strip) { return tmpl_str_strip (run, self, params[0], TRUE, TRUE); }
STR_METHOD (lstrip) { return tmpl_str_strip (run, self, params[0], TRUE, FALSE); }
STR_METHOD (rstrip) { return tmpl_str_strip (run, self, params[0], FALSE, TRUE); }
STR_METHOD (split) { return string_split (run, self, params[0], params[1], FALSE); }
STR_METHOD (rsplit) { return string_split (run, self, params[0], params[1], TRUE); }
STR_METHOD (splitlines) { return string_splitlines (run, self, params[0] != NULL && tmpl_truthy (params[0])); }
STR_METHOD (startswith) { return str_affix (run, self, params, FALSE); }
STR_METHOD (endswith) { return str_affix (run, self, params, TRUE); }
STR_METHOD (find) { return str_search (run, self, params, FALSE, FALSE, FALSE); }
STR_METHOD (rfind) { return str_search (run, self, params, TRUE, FALSE, FALSE); }
STR_METHOD (index) { return str_search (run, self, params, FALSE, TRUE, FALSE); }
STR_METHOD (rindex) { return str_search (run, self, params, TRUE, TRUE, FALSE); }
STR_METHOD (count) { return str_search (run, self, params, FALSE, FALSE, TRUE); }
STR_METHOD (upper) { (void) params; return tmpl_str_upper (run, self); }
STR_METHOD (lower) { (void) params; return tmpl_str_lower (run, self); }
STR_METHOD (title) { (void) params; return string_title (run, self); }
STR_METHOD (capitalize) { (void) params; return tmpl_str_capitalize (run, self); }
STR_METHOD (join) { return string_join (run, self, params[0]); }
STR_METHOD (partition) { return string_partition (run, self, params[0], FALSE); }
STR_METHOD (rpartition) { return string_partition (run, self, params[0], TRUE); }
STR_METHOD (isdigit) { (void) params; return str_predicate (run, self, 'd'); }
STR_METHOD (isnumeric) { (void) params; return str_predicate (run, self, 'n'); }
STR_METHOD (isalpha) { (void) params; return str_predicate (run, self, 'a'); }
STR_METHOD (isalnum) { (void) params; return str_predicate (run, self, 'A'); }
STR_METHOD (isspace) { (void) params; return str_predicate (run, self, 's'); }
STR_METHOD (islower) { (void) params; return str_predicate (run, self, 'l'); }
STR_METHOD (isupper) { (void) params; return str_predicate (run, self, 'u'); }

static Value *
str_replace (TmplRun *run,
             Value   *self,
             Value  **params)
{
  gint64 count;

  if (!arg_string (run, params[0], "replace() argument 1") || !arg_string (run, params[1], "replace() argument 2") ||
      !tmpl_arg_int (run, params[2], -1, "count", &count))
    return NULL;
  return tmpl_str_replace (run, self, params[0], params[1], count);
}

static Value *
str_pad_method (TmplRun *run,
                Value   *self,
                Value  **params,
                char     align)
{
  gint64 width;
  gunichar fill = ' ';

  if (!tmpl_arg_int (run, params[0], 0, "width", &width))
    return NULL;
  if (params[1] != NULL)
    {
      if (params[1]->type != BENDI_TEMPLATE_VALUE_STRING || tmpl_string_n_chars (params[1]) != 1)
        return tmpl_fail (run, "the fill character must be exactly one character long");
      fill = g_utf8_get_char (params[1]->string.data);
    }
  return tmpl_str_pad (run, self, width, fill, align);
}

STR_METHOD (center) { return str_pad_method (run, self, params, '^'); }
STR_METHOD (ljust) { return str_pad_method (run, self, params, '<'); }
STR_METHOD (rjust) { return str_pad_method (run, self, params, '>'); }

static Value *
str_zfill (TmplRun *run,
           Value   *self,
           Value  **params)
{
  gint64 width;
  gboolean sign;
  Value *padded, *result;

  if (!tmpl_arg_int (run, params[0], 0, "width", &width))
    return NULL;
  sign = self->string.len > 0 && (self->string.data[0] == '-' || self->string.data[0] == '+');
  if (!sign)
    return tmpl_str_pad (run, self, width, '0', '>');
  {
    g_autoptr (BendiTemplateValue) rest = tmpl_new_string (run, self->string.data + 1, self->string.len - 1);

    if (rest == NULL)
      return NULL;
    padded = tmpl_str_pad (run, rest, width - 1, '0', '>');
  }
  if (padded == NULL)
    return NULL;
  result = tmpl_new_string2 (run, self->string.data, 1, padded->string.data, padded->string.len);
  tmpl_unref (padded);
  return result;
}

static Value *
str_remove_affix (TmplRun  *run,
                  Value    *self,
                  Value    *affix,
                  gboolean  at_end)
{
  if (!arg_string (run, affix, at_end ? "removesuffix() argument" : "removeprefix() argument"))
    return NULL;
  if (affix->string.len == 0 || affix->string.len > self->string.len ||
      memcmp (self->string.data + (at_end ? self->string.len - affix->string.len : 0), affix->string.data,
              affix->string.len) != 0)
    return tmpl_ref (self);
  return tmpl_new_string (run, self->string.data + (at_end ? 0 : affix->string.len),
                          self->string.len - affix->string.len);
}

STR_METHOD (removeprefix) { return str_remove_affix (run, self, params[0], FALSE); }
STR_METHOD (removesuffix) { return str_remove_affix (run, self, params[0], TRUE); }

#define LIST_METHOD(name) \
  static Value *list_##name (TmplRun *run, Value *self, Value **params)

LIST_METHOD (append)
{
  if (!tmpl_list_append (run, self, tmpl_ref (params[0])))
    return NULL;
  return TMPL_NONE;
}

LIST_METHOD (extend)
{
  Value *items = tmpl_iterate (run, params[0]);

  for (gsize i = 0; items != NULL && i < items->list.len; i++)
    if (!tmpl_list_append (run, self, tmpl_ref (items->list.items[i])))
      {
        tmpl_unref (items);
        return NULL;
      }
  if (items == NULL)
    return NULL;
  tmpl_unref (items);
  return TMPL_NONE;
}

LIST_METHOD (pop)
{
  gint64 i;
  Value *item;

  if (!tmpl_arg_int (run, params[0], -1, "index", &i) || !tmpl_charge_steps (run, self->list.len / 16))
    return NULL;
  if (self->list.len == 0)
    return tmpl_fail (run, "pop from empty list");
  if (i < 0)
    i += (gint64) self->list.len;
  if (i < 0 || i >= (gint64) self->list.len)
    return tmpl_fail (run, "pop index out of range");
  item = self->list.items[i];
  memmove (self->list.items + i, self->list.items + i + 1, (self->list.len - (gsize) i - 1) * sizeof (Value *));
  self->list.len--;
  return item;
}

LIST_METHOD (insert)
{
  gint64 i;
  gint64 len = (gint64) self->list.len;

  if (!tmpl_arg_int (run, params[0], 0, "index", &i) || !tmpl_charge_steps (run, self->list.len / 16))
    return NULL;
  if (i < 0)
    i = MAX (i + len, 0);
  i = MIN (i, len);
  if (!tmpl_list_append (run, self, tmpl_ref (params[1])))
    return NULL;
  memmove (self->list.items + i + 1, self->list.items + i, (gsize) (len - i) * sizeof (Value *));
  self->list.items[i] = params[1];
  return TMPL_NONE;
}

LIST_METHOD (index)
{
  gint64 start, stop;
  gint64 len = (gint64) self->list.len;

  if (!tmpl_arg_int (run, params[1], 0, "start", &start) || !tmpl_arg_int (run, params[2], len, "stop", &stop))
    return NULL;
  if (start < 0)
    start = MAX (start + len, 0);
  if (stop < 0)
    stop = MAX (stop + len, 0);
  if (!tmpl_charge_steps (run, self->list.len / 4))
    return NULL;
  for (gint64 i = start; i < MIN (stop, len); i++)
    if (tmpl_equal (self->list.items[i], params[0]))
      return tmpl_new_int (run, i);
  return tmpl_fail (run, "the value is not in the list");
}

LIST_METHOD (count)
{
  gint64 n = 0;

  if (!tmpl_charge_steps (run, self->list.len / 4))
    return NULL;
  for (gsize i = 0; i < self->list.len; i++)
    if (tmpl_equal (self->list.items[i], params[0]))
      n++;
  return tmpl_new_int (run, n);
}

LIST_METHOD (remove)
{
  if (!tmpl_charge_steps (run, self->list.len / 16))
    return NULL;
  for (gsize i = 0; i < self->list.len; i++)
    if (tmpl_equal (self->list.items[i], params[0]))
      {
        Value *item = self->list.items[i];

        memmove (self->list.items + i, self->list.items + i + 1, (self->list.len - i - 1) * sizeof (Value *));
        self->list.len--;
        tmpl_unref (item);
        return TMPL_NONE;
      }
  return tmpl_fail (run, "list.remove(x): x not in list");
}

LIST_METHOD (reverse)
{
  (void) run;
  (void) params;
  for (gsize i = 0, j = self->list.len; i + 1 < j; i++, j--)
    {
      Value *tmp = self->list.items[i];

      self->list.items[i] = self->list.items[j - 1];
      self->list.items[j - 1] = tmp;
    }
  return TMPL_NONE;
}

LIST_METHOD (copy)
{
  (void) params;
  return tmpl_iterate (run, self);
}

LIST_METHOD (clear)
{
  Value *items = tmpl_iterate (run, self);

  (void) params;
  if (items == NULL)
    return NULL;
  for (gsize i = 0; i < self->list.len; i++)
    tmpl_unref (self->list.items[i]);
  self->list.len = 0;
  tmpl_unref (items);
  return TMPL_NONE;
}

#define DICT_METHOD(name) \
  static Value *dict_##name (TmplRun *run, Value *self, Value **params)

/* keys(), values() and items() as lists: what templates do with the views. */
static Value *
dict_view (TmplRun *run,
           Value   *self,
           int      what)
{
  Value *list = tmpl_new_list (run, BENDI_TEMPLATE_VALUE_LIST, self->dict.len);

  for (gsize i = 0; list != NULL && i < self->dict.len; i++)
    {
      Value *item;

      if (what == 'k')
        item = tmpl_ref (self->dict.entries[i].key);
      else if (what == 'v')
        item = tmpl_ref (self->dict.entries[i].value);
      else
        {
          item = tmpl_new_list (run, BENDI_TEMPLATE_VALUE_TUPLE, 2);
          if (item == NULL)
            {
              tmpl_unref (list);
              return NULL;
            }
          tmpl_list_append (run, item, tmpl_ref (self->dict.entries[i].key));
          tmpl_list_append (run, item, tmpl_ref (self->dict.entries[i].value));
        }
      tmpl_list_append (run, list, item);
    }
  return list;
}

DICT_METHOD (keys) { (void) params; return dict_view (run, self, 'k'); }
DICT_METHOD (values) { (void) params; return dict_view (run, self, 'v'); }
DICT_METHOD (items) { (void) params; return dict_view (run, self, 'i'); }

DICT_METHOD (get)
{
  Value *found = tmpl_dict_get (self, params[0]);

  if (found == NULL && !tmpl_hash (params[0], &(guint32) { 0 }))
    return tmpl_fail (run, "unhashable type: '%s'", tmpl_type_name (params[0]));
  if (found != NULL)
    return tmpl_ref (found);
  return params[1] != NULL ? tmpl_ref (params[1]) : TMPL_NONE;
}

DICT_METHOD (pop)
{
  Value *found = tmpl_dict_take (self, params[0]);

  if (found != NULL)
    {
      if (!tmpl_charge_steps (run, self->dict.len / 4))
        {
          tmpl_unref (found);
          return NULL;
        }
      return found;
    }
  if (params[1] != NULL)
    return tmpl_ref (params[1]);
  return tmpl_fail (run, "the key is not in the dict");
}

DICT_METHOD (setdefault)
{
  Value *found = tmpl_dict_get (self, params[0]);
  Value *fallback = params[1] != NULL ? params[1] : TMPL_NONE;

  if (found != NULL)
    return tmpl_ref (found);
  if (!tmpl_dict_set (run, self, tmpl_ref (params[0]), tmpl_ref (fallback)))
    return NULL;
  return tmpl_ref (fallback);
}

DICT_METHOD (copy)
{
  Value *copy = tmpl_new_dict (run, BENDI_TEMPLATE_VALUE_DICT);

  (void) params;
  for (gsize i = 0; copy != NULL && i < self->dict.len; i++)
    if (!tmpl_dict_set (run, copy, tmpl_ref (self->dict.entries[i].key), tmpl_ref (self->dict.entries[i].value)))
      {
        tmpl_unref (copy);
        return NULL;
      }
  return copy;
}

static Value *
dict_update (TmplRun        *run,
             Value          *self,
             const TmplArgs *args)
{
  if (args->n_pos > 1)
    return tmpl_fail (run, "update expected at most 1 argument");
  if (args->n_pos == 1)
    {
      Value *other = args->pos[0];

      if (other->type != BENDI_TEMPLATE_VALUE_DICT)
        return tmpl_fail (run, "update needs a dict");
      for (gsize i = 0; i < other->dict.len; i++)
        if (!tmpl_dict_set (run, self, tmpl_ref (other->dict.entries[i].key), tmpl_ref (other->dict.entries[i].value)))
          return NULL;
    }
  for (gsize k = 0; k < args->n_kw; k++)
    {
      Value *key = tmpl_new_string (run, args->kw_names[k], strlen (args->kw_names[k]));

      if (key == NULL || !tmpl_dict_set (run, self, key, tmpl_ref (args->kw[k])))
        return NULL;
    }
  return TMPL_NONE;
}

static Value *
loop_cycle (TmplRun        *run,
            Value          *self,
            const TmplArgs *args)
{
  if (args->n_pos == 0)
    return tmpl_fail (run, "no items for cycling given");
  return tmpl_ref (args->pos[self->loop.index0 % args->n_pos]);
}

static Value *
loop_changed (TmplRun        *run,
              Value          *self,
              const TmplArgs *args)
{
  Value *now = tmpl_new_list (run, BENDI_TEMPLATE_VALUE_TUPLE, args->n_pos);
  gboolean changed;

  for (gsize i = 0; now != NULL && i < args->n_pos; i++)
    tmpl_list_append (run, now, tmpl_ref (args->pos[i]));
  if (now == NULL)
    return NULL;
  changed = self->loop.changed == NULL || !tmpl_equal (self->loop.changed, now);
  tmpl_unref (self->loop.changed);
  self->loop.changed = now;
  return TMPL_BOOL (changed);
}

static const Method methods[] = {
  { CLASS_STR, TRUE, "capitalize", str_capitalize, NULL, no_params, 0 },
  { CLASS_STR, TRUE, "casefold", str_lower, NULL, no_params, 0 },
  { CLASS_STR, TRUE, "center", str_center, NULL, pad_params, 1 },
  { CLASS_STR, TRUE, "count", str_count, NULL, sub_params, 1 },
  { CLASS_STR, TRUE, "endswith", str_endswith, NULL, affix_params, 1 },
  { CLASS_STR, TRUE, "find", str_find, NULL, sub_params, 1 },
  { CLASS_STR, TRUE, "format", NULL, tmpl_str_format, NULL, 0 },
  { CLASS_STR, TRUE, "index", str_index, NULL, sub_params, 1 },
  { CLASS_STR, TRUE, "isalnum", str_isalnum, NULL, no_params, 0 },
  { CLASS_STR, TRUE, "isalpha", str_isalpha, NULL, no_params, 0 },
  { CLASS_STR, TRUE, "isdecimal", str_isdigit, NULL, no_params, 0 },
  { CLASS_STR, TRUE, "isdigit", str_isdigit, NULL, no_params, 0 },
  { CLASS_STR, TRUE, "islower", str_islower, NULL, no_params, 0 },
  { CLASS_STR, TRUE, "isnumeric", str_isnumeric, NULL, no_params, 0 },
  { CLASS_STR, TRUE, "isspace", str_isspace, NULL, no_params, 0 },
  { CLASS_STR, TRUE, "isupper", str_isupper, NULL, no_params, 0 },
  { CLASS_STR, TRUE, "join", str_join, NULL, iterable_params, 1 },
  { CLASS_STR, TRUE, "ljust", str_ljust, NULL, pad_params, 1 },
  { CLASS_STR, TRUE, "lower", str_lower, NULL, no_params, 0 },
  { CLASS_STR, TRUE, "lstrip", str_lstrip, NULL, chars_params, 0 },
  { CLASS_STR, TRUE, "partition", str_partition, NULL, sep_params, 1 },
  { CLASS_STR, TRUE, "removeprefix", str_removeprefix, NULL, affix_params, 1 },
  { CLASS_STR, TRUE, "removesuffix", str_removesuffix, NULL, affix_params, 1 },
  { CLASS_STR, TRUE, "replace", str_replace, NULL, replace_params, 2 },
  { CLASS_STR, TRUE, "rfind", str_rfind, NULL, sub_params, 1 },
  { CLASS_STR, TRUE, "rindex", str_rindex, NULL, sub_params, 1 },
  { CLASS_STR, TRUE, "rjust", str_rjust, NULL, pad_params, 1 },
  { CLASS_STR, TRUE, "rpartition", str_rpartition, NULL, sep_params, 1 },
  { CLASS_STR, TRUE, "rsplit", str_rsplit, NULL, split_params, 0 },
  { CLASS_STR, TRUE, "rstrip", str_rstrip, NULL, chars_params, 0 },
  { CLASS_STR, TRUE, "split", str_split, NULL, split_params, 0 },
  { CLASS_STR, TRUE, "splitlines", str_splitlines, NULL, keepends_params, 0 },
  { CLASS_STR, TRUE, "startswith", str_startswith, NULL, affix_params, 1 },
  { CLASS_STR, TRUE, "strip", str_strip, NULL, chars_params, 0 },
  { CLASS_STR, TRUE, "title", str_title, NULL, no_params, 0 },
  { CLASS_STR, TRUE, "upper", str_upper, NULL, no_params, 0 },
  { CLASS_STR, TRUE, "zfill", str_zfill, NULL, width_params, 1 },
  { CLASS_LIST, FALSE, "append", list_append, NULL, item_params, 1 },
  { CLASS_LIST, FALSE, "clear", list_clear, NULL, no_params, 0 },
  { CLASS_LIST, FALSE, "copy", list_copy, NULL, no_params, 0 },
  { CLASS_LIST, TRUE, "count", list_count, NULL, value_params, 1 },
  { CLASS_LIST, FALSE, "extend", list_extend, NULL, iterable_params, 1 },
  { CLASS_LIST, TRUE, "index", list_index, NULL, list_index_params, 1 },
  { CLASS_LIST, FALSE, "insert", list_insert, NULL, insert_params, 2 },
  { CLASS_LIST, FALSE, "pop", list_pop, NULL, index_params, 0 },
  { CLASS_LIST, FALSE, "remove", list_remove, NULL, value_params, 1 },
  { CLASS_LIST, FALSE, "reverse", list_reverse, NULL, no_params, 0 },
  { CLASS_DICT, TRUE, "copy", dict_copy, NULL, no_params, 0 },
  { CLASS_DICT, TRUE, "get", dict_get, NULL, get_params, 1 },
  { CLASS_DICT, TRUE, "items", dict_items, NULL, no_params, 0 },
  { CLASS_DICT, TRUE, "keys", dict_keys, NULL, no_params, 0 },
  { CLASS_DICT, FALSE, "pop", dict_pop, NULL, get_params, 1 },
  { CLASS_DICT, FALSE, "setdefault", dict_setdefault, NULL, get_params, 1 },
  { CLASS_DICT, FALSE, "update", NULL, dict_update, NULL, 0 },
  { CLASS_DICT, TRUE, "values", dict_values, NULL, no_params, 0 },
  { CLASS_LOOP, TRUE, "changed", NULL, loop_changed, NULL, 0 },
  { CLASS_LOOP, TRUE, "cycle", NULL, loop_cycle, NULL, 0 },
};

int
tmpl_find_method (const Value *self,
                  const char  *name)
{
  int cls;
  gboolean tuple = FALSE;

  switch (self->type)
    {
    case BENDI_TEMPLATE_VALUE_STRING: cls = CLASS_STR; break;
    case BENDI_TEMPLATE_VALUE_TUPLE: cls = CLASS_LIST; tuple = TRUE; break;
    case BENDI_TEMPLATE_VALUE_LIST:
      if (self->flags & TMPL_FLAG_GENERATOR)
        return -1;
      cls = CLASS_LIST;
      break;
    case BENDI_TEMPLATE_VALUE_DICT: cls = CLASS_DICT; break;
    case TMPL_VALUE_LOOP: cls = CLASS_LOOP; break;
    default: return -1;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (methods); i++)
    if (methods[i].cls == cls && (!tuple || methods[i].read_only) && strcmp (methods[i].name, name) == 0)
      return (int) i;
  return -1;
}

Value *
tmpl_call_method (TmplRun        *run,
                  Value          *self,
                  guint           id,
                  const TmplArgs *args)
{
  const Method *method;
  Value *params[4];

  if (id >= G_N_ELEMENTS (methods))
    return tmpl_fail (run, "unknown method");
  method = &methods[id];
  if (method->raw != NULL)
    return method->raw (run, self, args);
  if (!tmpl_bind_args (run, method->name, args, method->params, method->n_required, params))
    return NULL;
  return method->func (run, self, params);
}

