/* SPDX-License-Identifier: MIT */
/* Python's string formatting as templates use it: str % args and str.format with its format specs. */
#include "template/template-private.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  gunichar fill;
  char     align;       /* '<', '>', '^', '=' or 0 */
  char     sign;        /* '+', '-', ' ' or 0 */
  gboolean alternate;
  gboolean zero;
  gint64   width;       /* -1 when absent */
  char     grouping;    /* ',', '_' or 0 */
  gint64   precision;   /* -1 when absent */
  char     type;        /* 0 when absent */
} FormatSpec;

static void
pad_text (GString          *out,
          const char       *text,
          gsize             len,
          const FormatSpec *spec,
          char              default_align)
{
  gint64 n = 0;
  gint64 pad;
  char align = spec->align != 0 ? spec->align : default_align;
  gint64 left;

  for (gsize i = 0; i < len; i++)
    if (((guchar) text[i] & 0xc0) != 0x80)
      n++;
  pad = spec->width > n ? MIN (spec->width - n, 1 << 20) : 0;
  if (align == '=' && pad > 0 && len > 0 && (text[0] == '-' || text[0] == '+' || text[0] == ' '))
    {
      g_string_append_c (out, text[0]);
      for (gint64 i = 0; i < pad; i++)
        g_string_append_unichar (out, spec->fill);
      g_string_append_len (out, text + 1, (gssize) len - 1);
      return;
    }
  left = align == '>' || align == '=' ? pad : align == '^' ? pad / 2 : 0;
  for (gint64 i = 0; i < left; i++)
    g_string_append_unichar (out, spec->fill);
  g_string_append_len (out, text, (gssize) len);
  for (gint64 i = left; i < pad; i++)
    g_string_append_unichar (out, spec->fill);
}

static void
group_digits (GString *digits,
              gsize    start,
              char     separator)
{
  gsize end = start;
  GString *grouped;

  while (end < digits->len && g_ascii_isdigit (digits->str[end]))
    end++;
  if (end - start <= 3)
    return;
  grouped = g_string_new (NULL);
  for (gsize i = start; i < end; i++)
    {
      if (i > start && (end - i) % 3 == 0)
        g_string_append_c (grouped, separator);
      g_string_append_c (grouped, digits->str[i]);
    }
  g_string_erase (digits, (gssize) start, (gssize) (end - start));
  g_string_insert_len (digits, (gssize) start, grouped->str, (gssize) grouped->len);
  g_string_free (grouped, TRUE);
}

/* printf with a conversion chosen at run time, keeping the formats literal. */
static void
format_double (char     *buf,
               gsize     size,
               char      conversion,
               gboolean  alternate,
               int       precision,
               double    d)
{
  switch (conversion)
    {
    case 'e': g_snprintf (buf, size, alternate ? "%#.*e" : "%.*e", precision, d); break;
    case 'E': g_snprintf (buf, size, alternate ? "%#.*E" : "%.*E", precision, d); break;
    case 'f': g_snprintf (buf, size, alternate ? "%#.*f" : "%.*f", precision, d); break;
    case 'F': g_snprintf (buf, size, alternate ? "%#.*F" : "%.*F", precision, d); break;
    case 'G': g_snprintf (buf, size, alternate ? "%#.*G" : "%.*G", precision, d); break;
    default: g_snprintf (buf, size, alternate ? "%#.*g" : "%.*g", precision, d); break;
    }
}

/* Formats @v by @spec into @out, as Python's format(v, spec). */
static gboolean
format_value (TmplRun          *run,
              GString          *out,
              Value            *v,
              const FormatSpec *spec)
{
  g_autoptr (GString) body = g_string_new (NULL);
  char type = spec->type;

  if (v->type == BENDI_TEMPLATE_VALUE_STRING || (type == 's') ||
      (!tmpl_is_number (v) && type == 0) || (v->type == BENDI_TEMPLATE_VALUE_BOOLEAN && type == 0 &&
                                             spec->width < 0 && spec->precision < 0))
    {
      const char *text;
      gsize len;
      g_autoptr (GString) str = g_string_new (NULL);

      if (!tmpl_is_number (v) && v->type != BENDI_TEMPLATE_VALUE_STRING && (spec->width >= 0 || spec->precision >= 0 ||
                                                                            type != 0))
        {
          tmpl_fail (run, "unsupported format string passed to %s.__format__", tmpl_type_name (v));
          return FALSE;
        }
      if (v->type != BENDI_TEMPLATE_VALUE_STRING && type == 's')
        {
          tmpl_fail (run, "unknown format code 's' for object of type '%s'", tmpl_type_name (v));
          return FALSE;
        }
      if (!tmpl_write_str (run, str, v))
        return FALSE;
      text = str->str;
      len = str->len;
      if (spec->precision >= 0)
        {
          const char *p = text;

          for (gint64 i = 0; i < spec->precision && p < text + len; i++)
            p = g_utf8_next_char (p);
          len = (gsize) (p - text);
        }
      pad_text (out, text, len, spec, '<');
      return TRUE;
    }

  if (tmpl_is_integer (v) && (type == 0 || type == 'd' || type == 'n' || type == 'x' || type == 'X' ||
                              type == 'o' || type == 'b' || type == 'c'))
    {
      gint64 i = tmpl_to_int64 (v);
      guint64 magnitude = i < 0 ? (guint64) 0 - (guint64) i : (guint64) i;

      if (type == 'c')
        {
          gunichar c = (gunichar) CLAMP (i, 0, 0x10ffff);

          /* UTF-8 cannot hold a lone surrogate. */
          g_string_append_unichar (body, c >= 0xd800 && c <= 0xdfff ? 0xfffd : c);
          pad_text (out, body->str, body->len, spec, '<');
          return TRUE;
        }
      if (i < 0)
        g_string_append_c (body, '-');
      else if (spec->sign == '+' || spec->sign == ' ')
        g_string_append_c (body, spec->sign);
      if (spec->alternate && (type == 'x' || type == 'X' || type == 'o' || type == 'b'))
        g_string_append_printf (body, "0%c", type);
      {
        gsize digits_start = body->len;

        if (type == 'x')
          g_string_append_printf (body, "%" G_GINT64_MODIFIER "x", magnitude);
        else if (type == 'X')
          g_string_append_printf (body, "%" G_GINT64_MODIFIER "X", magnitude);
        else if (type == 'o')
          g_string_append_printf (body, "%" G_GINT64_MODIFIER "o", magnitude);
        else if (type == 'b')
          {
            char bits[65];
            int n = 0;

            do
              {
                bits[n++] = (char) ('0' + (magnitude & 1));
                magnitude >>= 1;
              }
            while (magnitude > 0);
            while (n > 0)
              g_string_append_c (body, bits[--n]);
          }
        else
          g_string_append_printf (body, "%" G_GUINT64_FORMAT, magnitude);
        if (spec->grouping != 0)
          group_digits (body, digits_start, spec->grouping);
      }
    }
  else if (tmpl_is_number (v) && (type == 0 || strchr ("eEfFgG%", type) != NULL))
    {
      double d = tmpl_to_double (v);
      char buf[512];
      gint64 precision = spec->precision >= 0 ? MIN (spec->precision, 100) : 6;
      gsize digits_start;

      if (signbit (d) && !isnan (d))
        g_string_append_c (body, '-');
      else if (spec->sign == '+' || spec->sign == ' ')
        g_string_append_c (body, spec->sign);
      digits_start = body->len;
      d = fabs (d);
      if (type == 0 && spec->precision < 0)
        {
          if (tmpl_is_integer (v))
            g_string_append_printf (body, "%" G_GINT64_FORMAT, (gint64) d);
          else
            tmpl_write_float (body, d);
        }
      else if (type == '%')
        {
          g_snprintf (buf, sizeof buf, "%.*f", (int) precision, d * 100.0);
          g_string_append (body, buf);
          g_string_append_c (body, '%');
        }
      else
        {
          char c = type == 0 ? 'g' : type;

          if (fabs (d) > 1e300 && (c == 'f' || c == 'F'))
            c = 'e';
          format_double (buf, sizeof buf, c, spec->alternate, (int) precision, d);
          g_string_append (body, buf);
          if (type == 0 && strpbrk (buf, ".eninf") == NULL)
            g_string_append (body, ".0");
        }
      if (spec->grouping != 0)
        group_digits (body, digits_start, spec->grouping);
    }
  else
    {
      tmpl_fail (run, "unknown format code '%c' for object of type '%s'", type, tmpl_type_name (v));
      return FALSE;
    }
  if (spec->zero && spec->align == 0)
    {
      FormatSpec zero = *spec;

      zero.fill = '0';
      zero.align = '=';
      pad_text (out, body->str, body->len, &zero, '>');
    }
  else
    pad_text (out, body->str, body->len, spec, '>');
  return TRUE;
}

/* A run of digits, capped so that widths stay sane. */
static gint64
read_number (const char **p,
             const char  *end)
{
  gint64 n = 0;

  while (*p < end && g_ascii_isdigit (**p))
    {
      n = MIN (n * 10 + (**p - '0'), 1 << 20);
      (*p)++;
    }
  return n;
}

static gboolean
parse_format_spec (TmplRun    *run,
                   const char *spec_text,
                   gsize       len,
                   FormatSpec *spec)
{
  const char *p = spec_text, *end = spec_text + len;

  memset (spec, 0, sizeof *spec);
  spec->fill = ' ';
  spec->width = -1;
  spec->precision = -1;
  if (p < end)
    {
      const char *next = g_utf8_next_char (p);

      if (next < end && strchr ("<>^=", *next) != NULL)
        {
          spec->fill = g_utf8_get_char (p);
          spec->align = *next;
          p = next + 1;
        }
      else if (strchr ("<>^=", *p) != NULL)
        spec->align = *p++;
    }
  if (p < end && (*p == '+' || *p == '-' || *p == ' '))
    spec->sign = *p++;
  if (p < end && *p == '#')
    {
      spec->alternate = TRUE;
      p++;
    }
  if (p < end && *p == '0')
    {
      spec->zero = TRUE;
      p++;
    }
  if (p < end && g_ascii_isdigit (*p))
    {
      spec->width = read_number (&p, end);
    }
  if (p < end && (*p == ',' || *p == '_'))
    spec->grouping = *p++;
  if (p < end && *p == '.')
    {
      p++;
      spec->precision = 0;
      if (p >= end || !g_ascii_isdigit (*p))
        {
          tmpl_fail (run, "format specifier missing precision");
          return FALSE;
        }
      spec->precision = read_number (&p, end);
    }
  if (p < end)
    spec->type = *p++;
  if (p != end)
    {
      tmpl_fail (run, "invalid format specifier");
      return FALSE;
    }
  return TRUE;
}

/* Python's str.format: {} {0} {name} with .attr and [key], !r !s, and a
 * format spec. */
Value *
tmpl_str_format (TmplRun        *run,
                 Value          *self,
                 const TmplArgs *args)
{
  const char *p = self->string.data, *end = p + self->string.len;
  g_autoptr (GString) out = g_string_new (NULL);
  gsize auto_index = 0;

  while (p < end)
    {
      const char *open = p;
      const char *close, *field_end, *conversion = NULL, *spec_start = NULL;
      Value *v;
      FormatSpec spec;
      gboolean ok;

      while (open < end && *open != '{' && *open != '}')
        open++;
      g_string_append_len (out, p, open - p);
      if (open >= end)
        break;
      if (open + 1 < end && open[1] == *open)
        {
          g_string_append_c (out, *open);
          p = open + 2;
          continue;
        }
      if (*open == '}')
        return tmpl_fail (run, "single '}' encountered in format string");
      close = memchr (open, '}', (gsize) (end - open));
      if (close == NULL)
        return tmpl_fail (run, "single '{' encountered in format string");
      if (memchr (open + 1, '{', (gsize) (close - open - 1)) != NULL)
        return tmpl_fail (run, "nested replacement fields are not supported");
      field_end = open + 1;
      while (field_end < close && *field_end != '!' && *field_end != ':')
        field_end++;
      if (field_end < close && *field_end == '!')
        {
          conversion = field_end + 1;
          spec_start = memchr (conversion, ':', (gsize) (close - conversion));
          if ((spec_start != NULL ? spec_start : close) != conversion + 1)
            return tmpl_fail (run, "expected ':' after conversion specifier");
        }
      else if (field_end < close)
        spec_start = field_end;

      /* The argument: a name or number, then .attr and [key] parts. */
      {
        const char *q = open + 1;
        const char *name_end = q;

        while (name_end < field_end && *name_end != '.' && *name_end != '[')
          name_end++;
        if (name_end == q)
          {
            if (auto_index >= args->n_pos)
              return tmpl_fail (run, "replacement index %" G_GSIZE_FORMAT " out of range", auto_index);
            v = tmpl_ref (args->pos[auto_index++]);
          }
        else if (g_ascii_isdigit (*q))
          {
            gsize index = 0;

            for (const char *d = q; d < name_end; d++)
              {
                if (!g_ascii_isdigit (*d))
                  return tmpl_fail (run, "bad field name in format string");
                index = MIN (index * 10 + (gsize) (*d - '0'), G_MAXUINT32);
              }
            if (index >= args->n_pos)
              return tmpl_fail (run, "replacement index %" G_GSIZE_FORMAT " out of range", index);
            v = tmpl_ref (args->pos[index]);
          }
        else
          {
            gsize k;

            for (k = 0; k < args->n_kw; k++)
              if (strlen (args->kw_names[k]) == (gsize) (name_end - q) &&
                  memcmp (args->kw_names[k], q, (gsize) (name_end - q)) == 0)
                break;
            if (k == args->n_kw)
              return tmpl_fail (run, "missing the keyword argument '%.*s' for format", (int) (name_end - q), q);
            v = tmpl_ref (args->kw[k]);
          }
        q = name_end;
        while (q < field_end && v != NULL)
          {
            const char *part_end;
            Value *next;

            if (*q == '.')
              {
                g_autofree char *attr = NULL;

                part_end = q + 1;
                while (part_end < field_end && *part_end != '.' && *part_end != '[')
                  part_end++;
                attr = g_strndup (q + 1, (gsize) (part_end - q - 1));
                next = tmpl_get_attr (run, v, attr);
                q = part_end;
              }
            else
              {
                Value *key;
                char *number_end = NULL;
                g_autofree char *text = NULL;
                gint64 number;

                part_end = memchr (q, ']', (gsize) (field_end - q));
                if (part_end == NULL)
                  {
                    tmpl_unref (v);
                    return tmpl_fail (run, "missing ']' in format string");
                  }
                text = g_strndup (q + 1, (gsize) (part_end - q - 1));
                number = g_ascii_strtoll (text, &number_end, 10);
                key = text[0] != '\0' && *number_end == '\0' ? tmpl_new_int (run, number) :
                      tmpl_new_string (run, text, strlen (text));
                next = key != NULL ? tmpl_get_item (run, v, key) : NULL;
                tmpl_unref (key);
                q = part_end + 1;
              }
            tmpl_unref (v);
            v = next;
          }
        if (v == NULL)
          return NULL;
      }
      if (conversion != NULL && (*conversion == 'r' || *conversion == 'a' || *conversion == 's'))
        {
          GString *text = g_string_new (NULL);

          ok = *conversion == 's' ? tmpl_write_str (run, text, v) : tmpl_write_repr (run, text, v);
          tmpl_unref (v);
          v = ok ? tmpl_new_string_take_gstring (run, text) : (g_string_free (text, TRUE), NULL);
          if (v == NULL)
            return NULL;
        }
      else if (conversion != NULL)
        {
          tmpl_unref (v);
          return tmpl_fail (run, "unknown conversion specifier %c", *conversion);
        }
      ok = parse_format_spec (run, spec_start != NULL ? spec_start + 1 : close,
                              spec_start != NULL ? (gsize) (close - spec_start - 1) : 0, &spec) &&
           format_value (run, out, v, &spec);
      tmpl_unref (v);
      if (!ok)
        return NULL;
      if (out->len > run->options.max_output_bytes)
        return tmpl_fail (run, "the output is longer than %" G_GSIZE_FORMAT " bytes", run->options.max_output_bytes);
      p = close + 1;
    }
  return tmpl_new_string (run, out->str, out->len);
}

Value *
tmpl_percent_format (TmplRun *run,
                     Value   *format,
                     Value   *args)
{
  const char *p = format->string.data, *end = p + format->string.len;
  g_autoptr (GString) out = g_string_new (NULL);
  Value *const *items = &args;
  gsize n_items = 1, next_item = 0;
  gboolean mapping = args->type == BENDI_TEMPLATE_VALUE_DICT;

  if (args->type == BENDI_TEMPLATE_VALUE_TUPLE)
    {
      items = args->list.items;
      n_items = args->list.len;
    }
  while (p < end)
    {
      const char *percent = memchr (p, '%', (gsize) (end - p));
      FormatSpec spec;
      Value *v;
      gboolean ok;
      char type;

      if (percent == NULL)
        {
          g_string_append_len (out, p, end - p);
          break;
        }
      g_string_append_len (out, p, percent - p);
      p = percent + 1;
      memset (&spec, 0, sizeof spec);
      spec.fill = ' ';
      spec.width = -1;
      spec.precision = -1;
      v = NULL;
      if (p < end && *p == '(')
        {
          const char *close = memchr (p, ')', (gsize) (end - p));
          Value *found;

          if (close == NULL)
            return tmpl_fail (run, "incomplete format key");
          if (!mapping)
            return tmpl_fail (run, "format requires a mapping");
          found = tmpl_dict_get_str (args, p + 1, (gsize) (close - p - 1));
          if (found == NULL)
            return tmpl_fail (run, "the key '%.*s' is missing for format", (int) (close - p - 1), p + 1);
          v = found;
          p = close + 1;
        }
      while (p < end && strchr ("-+ #0", *p) != NULL)
        {
          if (*p == '-')
            spec.align = '<';
          else if (*p == '+' || (*p == ' ' && spec.sign != '+'))
            spec.sign = *p;
          else if (*p == '#')
            spec.alternate = TRUE;
          else if (*p == '0')
            spec.zero = TRUE;
          p++;
        }
      if (p < end && g_ascii_isdigit (*p))
        {
          spec.width = read_number (&p, end);
        }
      if (p < end && *p == '.')
        {
          spec.precision = 0;
          p++;
          spec.precision = read_number (&p, end);
        }
      while (p < end && strchr ("hlL", *p) != NULL)
        p++;
      if (p >= end)
        return tmpl_fail (run, "incomplete format");
      type = *p++;
      if (type == '%')
        {
          g_string_append_c (out, '%');
          continue;
        }
      if (v == NULL)
        {
          if (mapping && n_items == 1 && items[0] == args && type != 's' && type != 'r')
            return tmpl_fail (run, "format requires a mapping");
          if (next_item >= n_items)
            return tmpl_fail (run, "not enough arguments for format string");
          v = items[next_item++];
        }
      if (spec.zero && spec.align != '<')
        spec.align = 0;
      else
        spec.zero = FALSE;
      if (spec.align == 0 && !spec.zero)
        spec.align = '>';
      switch (type)
        {
        case 's':
        case 'r':
        case 'a':
          {
            GString *text = g_string_new (NULL);

            ok = type == 's' ? tmpl_write_str (run, text, v) : tmpl_write_repr (run, text, v);
            if (ok)
              {
                gsize len = text->len;

                if (spec.precision >= 0)
                  {
                    const char *q = text->str;

                    for (gint64 i = 0; i < spec.precision && q < text->str + text->len; i++)
                      q = g_utf8_next_char (q);
                    len = (gsize) (q - text->str);
                  }
                spec.zero = FALSE;
                pad_text (out, text->str, len, &spec, '>');
              }
            g_string_free (text, TRUE);
            if (!ok)
              return NULL;
          }
          break;
        case 'd':
        case 'i':
        case 'u':
          if (!tmpl_is_number (v))
            return tmpl_fail (run, "%%d format: a real number is required, not %s", tmpl_type_name (v));
          {
            g_autoptr (BendiTemplateValue) i = NULL;

            if (v->type == BENDI_TEMPLATE_VALUE_FLOAT)
              {
                if (!isfinite (v->number) || fabs (v->number) >= 9.2e18)
                  return tmpl_fail (run, "cannot convert float to integer");
                i = tmpl_new_int (run, (gint64) v->number);
              }
            else
              i = tmpl_new_int (run, tmpl_to_int64 (v));
            spec.type = 'd';
            spec.precision = -1;
            if (i == NULL || !format_value (run, out, i, &spec))
              return NULL;
          }
          break;
        case 'x': case 'X': case 'o':
          if (!tmpl_is_integer (v))
            return tmpl_fail (run, "%%%c format: an integer is required, not %s", type, tmpl_type_name (v));
          spec.type = type;
          if (!format_value (run, out, v, &spec))
            return NULL;
          break;
        case 'e': case 'E': case 'f': case 'F': case 'g': case 'G':
          if (!tmpl_is_number (v))
            return tmpl_fail (run, "must be real number, not %s", tmpl_type_name (v));
          {
            g_autoptr (BendiTemplateValue) d = tmpl_new_float (run, tmpl_to_double (v));

            spec.type = type;
            if (d == NULL || !format_value (run, out, d, &spec))
              return NULL;
          }
          break;
        case 'c':
          if (tmpl_is_integer (v))
            {
              spec.type = 'c';
              if (!format_value (run, out, v, &spec))
                return NULL;
            }
          else if (v->type == BENDI_TEMPLATE_VALUE_STRING && tmpl_string_n_chars (v) == 1)
            pad_text (out, v->string.data, v->string.len, &spec, '>');
          else
            return tmpl_fail (run, "%%c requires an int or a single character");
          break;
        default:
          return tmpl_fail (run, "unsupported format character '%c'", type);
        }
      if (out->len > run->options.max_output_bytes)
        return tmpl_fail (run, "the output is longer than %" G_GSIZE_FORMAT " bytes", run->options.max_output_bytes);
    }
  /* Python excuses leftovers only for objects with items (dicts, lists…). */
  if (next_item < n_items && (args->type == BENDI_TEMPLATE_VALUE_TUPLE || !(mapping ||
                                                                          args->type == BENDI_TEMPLATE_VALUE_LIST ||
                                                                          args->type == BENDI_TEMPLATE_VALUE_UNDEFINED)))
    return tmpl_fail (run, "not all arguments converted during string formatting");
  return tmpl_new_string (run, out->str, out->len);
}

