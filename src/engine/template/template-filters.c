/* SPDX-License-Identifier: MIT */
/* Jinja's filters, with the behaviour of its Python implementation, and the binding of arguments. */
#include "template/template-private.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Arguments. */

gboolean
tmpl_bind_args (TmplRun            *run,
                const char         *function,
                const TmplArgs     *args,
                const char *const  *params,
                guint               n_required,
                Value             **out)
{
  gsize n_params = 0;

  while (params != NULL && params[n_params] != NULL)
    n_params++;
  for (gsize i = 0; i < n_params; i++)
    out[i] = NULL;
  if (args->n_pos > n_params)
    {
      tmpl_fail (run, "%s() takes at most %" G_GSIZE_FORMAT " argument(s) (%" G_GSIZE_FORMAT " given)",
                 function, n_params, args->n_pos);
      return FALSE;
    }
  for (gsize i = 0; i < args->n_pos; i++)
    out[i] = args->pos[i];
  for (gsize k = 0; k < args->n_kw; k++)
    {
      gsize i;

      for (i = 0; i < n_params; i++)
        if (g_str_equal (params[i], args->kw_names[k]))
          break;
      if (i == n_params)
        {
          tmpl_fail (run, "%s() got an unexpected keyword argument '%s'", function, args->kw_names[k]);
          return FALSE;
        }
      if (out[i] != NULL)
        {
          tmpl_fail (run, "%s() got multiple values for argument '%s'", function, params[i]);
          return FALSE;
        }
      out[i] = args->kw[k];
    }
  for (guint i = 0; i < n_required && i < n_params; i++)
    if (out[i] == NULL)
      {
        tmpl_fail (run, "%s() is missing the argument '%s'", function, params[i]);
        return FALSE;
      }
  return TRUE;
}

gboolean
tmpl_arg_given (const Value *v)
{
  return v != NULL && v->type != BENDI_TEMPLATE_VALUE_NONE;
}

gboolean
tmpl_arg_int (TmplRun     *run,
              const Value *v,
              gint64       fallback,
              const char  *what,
              gint64      *out)
{
  if (!tmpl_arg_given (v))
    {
      *out = fallback;
      return TRUE;
    }
  if (!tmpl_is_integer (v))
    {
      tmpl_fail (run, "%s must be an integer, not '%s'", what, tmpl_type_name (v));
      return FALSE;
    }
  *out = tmpl_to_int64 (v);
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Helpers. */

static Value *
new_generator (TmplRun *run)
{
  Value *list = tmpl_new_list (run, BENDI_TEMPLATE_VALUE_LIST, 0);

  if (list != NULL)
    list->flags |= TMPL_FLAG_GENERATOR;
  return list;
}

/* Jinja's attribute getter for filters: "a.b.0" looks up items a, b, 0. */
static Value *
attr_path_get (TmplRun     *run,
               Value       *item,
               const Value *path)
{
  g_auto (GStrv) parts = NULL;
  Value *current;

  if (tmpl_is_integer (path))
    {
      Value *key = tmpl_new_int (run, tmpl_to_int64 (path));
      Value *result = key != NULL ? tmpl_get_item (run, item, key) : NULL;

      tmpl_unref (key);
      return result;
    }
  if (path->type != BENDI_TEMPLATE_VALUE_STRING)
    return tmpl_fail (run, "an attribute name must be a string");
  parts = g_strsplit (path->string.data, ".", -1);
  current = tmpl_ref (item);
  for (gsize i = 0; parts[i] != NULL && current != NULL; i++)
    {
      Value *key;
      Value *next;
      char *end = NULL;
      gint64 index = g_ascii_strtoll (parts[i], &end, 10);

      if (parts[i][0] != '\0' && end != NULL && *end == '\0')
        key = tmpl_new_int (run, index);
      else
        key = tmpl_new_string (run, parts[i], strlen (parts[i]));
      next = key != NULL ? tmpl_get_item (run, current, key) : NULL;
      tmpl_unref (key);
      tmpl_unref (current);
      current = next;
    }
  return current;
}

/* The value to sort or compare by: the attribute, and lowered when case
 * does not matter. */
static Value *
sort_key (TmplRun     *run,
          Value       *item,
          const Value *attribute,
          gboolean     case_sensitive)
{
  Value *key = tmpl_arg_given (attribute) ? attr_path_get (run, item, attribute) : tmpl_ref (item);

  if (key != NULL && !case_sensitive && key->type == BENDI_TEMPLATE_VALUE_STRING)
    {
      Value *lowered = tmpl_str_lower (run, key);

      tmpl_unref (key);
      return lowered;
    }
  return key;
}

/* A stable merge sort of @items by @keys (parallel arrays) that stops at
 * the first comparison Python would refuse. */
static gboolean
merge_sort (TmplRun  *run,
            Value   **items,
            Value   **keys,
            gsize     n,
            gboolean  reverse)
{
  g_autofree Value **tmp_items = NULL;
  g_autofree Value **tmp_keys = NULL;

  if (n < 2)
    return TRUE;
  tmp_items = g_new (Value *, n);
  tmp_keys = g_new (Value *, n);
  for (gsize width = 1; width < n; width *= 2)
    {
      if (!tmpl_charge_steps (run, n))
        return FALSE;
      for (gsize lo = 0; lo < n; lo += 2 * width)
        {
          gsize mid = MIN (lo + width, n), hi = MIN (lo + 2 * width, n);
          gsize i = lo, j = mid, k = lo;

          while (i < mid && j < hi)
            {
              int order;

              if (!tmpl_compare (run, keys[j], keys[i], &order))
                return FALSE;
              /* Take from the right only when strictly before, to stay stable. */
              if (reverse ? order > 0 && order != 2 : order < 0)
                {
                  tmp_items[k] = items[j];
                  tmp_keys[k++] = keys[j++];
                }
              else
                {
                  tmp_items[k] = items[i];
                  tmp_keys[k++] = keys[i++];
                }
            }
          while (i < mid)
            {
              tmp_items[k] = items[i];
              tmp_keys[k++] = keys[i++];
            }
          while (j < hi)
            {
              tmp_items[k] = items[j];
              tmp_keys[k++] = keys[j++];
            }
        }
      memcpy (items, tmp_items, n * sizeof (Value *));
      memcpy (keys, tmp_keys, n * sizeof (Value *));
    }
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Filters. */

static const char *const no_params[] = { NULL };

static Value *
filter_abs (TmplRun *run,
            Value   *v,
            Value  **params G_GNUC_UNUSED)
{
  if (v->type == BENDI_TEMPLATE_VALUE_FLOAT)
    return tmpl_new_float (run, fabs (v->number));
  if (tmpl_is_integer (v))
    {
      gint64 i = tmpl_to_int64 (v);

      if (i == G_MININT64)
        return tmpl_fail (run, "integer overflow");
      return tmpl_new_int (run, i < 0 ? -i : i);
    }
  return tmpl_fail (run, "bad operand type for abs(): '%s'", tmpl_type_name (v));
}

static const char *const attr_params[] = { "name", NULL };

static Value *
filter_attr (TmplRun *run,
             Value   *v,
             Value  **params)
{
  if (params[0]->type != BENDI_TEMPLATE_VALUE_STRING)
    return tmpl_fail (run, "attribute name must be string");
  return tmpl_get_attr (run, v, params[0]->string.data);
}

static const char *const batch_params[] = { "linecount", "fill_with", NULL };

/* Jinja's batch, quirks included: a size of 0 or less yields one empty
 * batch and then everything. */
static Value *
filter_batch (TmplRun *run,
              Value   *v,
              Value  **params)
{
  gint64 size;
  Value *items, *result, *row;

  if (!tmpl_arg_int (run, params[0], 1, "linecount", &size))
    return NULL;
  items = tmpl_iterate (run, v);
  result = items != NULL ? new_generator (run) : NULL;
  row = result != NULL ? tmpl_new_list (run, BENDI_TEMPLATE_VALUE_LIST, 0) : NULL;
  for (gsize i = 0; row != NULL && i < items->list.len; i++)
    {
      if ((gint64) row->list.len == size)
        {
          tmpl_list_append (run, result, row);
          row = tmpl_new_list (run, BENDI_TEMPLATE_VALUE_LIST, 0);
          if (row == NULL)
            break;
        }
      tmpl_list_append (run, row, tmpl_ref (items->list.items[i]));
    }
  if (row != NULL && row->list.len > 0)
    {
      while (tmpl_arg_given (params[1]) && (gint64) row->list.len < size)
        tmpl_list_append (run, row, tmpl_ref (params[1]));
      tmpl_list_append (run, result, row);
    }
  else
    tmpl_unref (row);
  tmpl_unref (items);
  if (run->error != NULL)
    {
      tmpl_unref (result);
      return NULL;
    }
  return result;
}

static Value *
filter_capitalize (TmplRun *run,
                   Value   *v,
                   Value  **params G_GNUC_UNUSED)
{
  g_autoptr (BendiTemplateValue) s = tmpl_to_str (run, v);

  return s != NULL ? tmpl_str_capitalize (run, s) : NULL;
}

static const char *const center_params[] = { "width", NULL };

static Value *
filter_center (TmplRun *run,
               Value   *v,
               Value  **params)
{
  g_autoptr (BendiTemplateValue) s = tmpl_to_str (run, v);
  gint64 width;

  if (s == NULL || !tmpl_arg_int (run, params[0], 80, "width", &width))
    return NULL;
  return tmpl_str_pad (run, s, width, ' ', '^');
}

static Value *
filter_length (TmplRun *run,
               Value   *v,
               Value  **params G_GNUC_UNUSED)
{
  switch (v->type)
    {
    case BENDI_TEMPLATE_VALUE_UNDEFINED:
      return tmpl_new_int (run, 0);
    case BENDI_TEMPLATE_VALUE_STRING:
      return tmpl_new_int (run, (gint64) tmpl_string_n_chars (v));
    case BENDI_TEMPLATE_VALUE_LIST:
    case BENDI_TEMPLATE_VALUE_TUPLE:
      return tmpl_new_int (run, (gint64) v->list.len);
    case BENDI_TEMPLATE_VALUE_DICT:
      return tmpl_new_int (run, (gint64) v->dict.len);
    default:
      return tmpl_fail (run, "object of type '%s' has no len()", tmpl_type_name (v));
    }
}

static const char *const default_params[] = { "default_value", "boolean", NULL };

static Value *
filter_default (TmplRun *run,
                Value   *v,
                Value  **params)
{
  gboolean boolean = params[1] != NULL && tmpl_truthy (params[1]);

  if (v->type == BENDI_TEMPLATE_VALUE_UNDEFINED || (boolean && !tmpl_truthy (v)))
    return params[0] != NULL ? tmpl_ref (params[0]) : tmpl_new_string (run, "", 0);
  return tmpl_ref (v);
}

static const char *const dictsort_params[] = { "case_sensitive", "by", "reverse", NULL };

static Value *
filter_dictsort (TmplRun *run,
                 Value   *v,
                 Value  **params)
{
  gboolean case_sensitive = params[0] != NULL && tmpl_truthy (params[0]);
  gboolean by_value = FALSE;
  gboolean reverse = params[2] != NULL && tmpl_truthy (params[2]);
  Value *result;
  g_autofree Value **keys = NULL;

  if (v->type != BENDI_TEMPLATE_VALUE_DICT)
    return tmpl_fail (run, "dictsort needs a mapping, not '%s'", tmpl_type_name (v));
  if (params[1] != NULL)
    {
      if (params[1]->type == BENDI_TEMPLATE_VALUE_STRING && g_str_equal (params[1]->string.data, "value"))
        by_value = TRUE;
      else if (params[1]->type != BENDI_TEMPLATE_VALUE_STRING || !g_str_equal (params[1]->string.data, "key"))
        return tmpl_fail (run, "you can only sort by either \"key\" or \"value\"");
    }
  result = tmpl_new_list (run, BENDI_TEMPLATE_VALUE_LIST, v->dict.len);
  if (result == NULL)
    return NULL;
  keys = g_new0 (Value *, v->dict.len + 1);
  for (gsize i = 0; i < v->dict.len; i++)
    {
      Value *pair = tmpl_new_list (run, BENDI_TEMPLATE_VALUE_TUPLE, 2);

      if (pair == NULL)
        break;
      tmpl_list_append (run, pair, tmpl_ref (v->dict.entries[i].key));
      tmpl_list_append (run, pair, tmpl_ref (v->dict.entries[i].value));
      tmpl_list_append (run, result, pair);
      keys[i] = sort_key (run, by_value ? v->dict.entries[i].value : v->dict.entries[i].key, NULL, case_sensitive);
      if (keys[i] == NULL)
        break;
    }
  if (run->error == NULL)
    merge_sort (run, result->list.items, keys, result->list.len, reverse);
  for (gsize i = 0; i < v->dict.len; i++)
    tmpl_unref (keys[i]);
  if (run->error != NULL)
    {
      tmpl_unref (result);
      return NULL;
    }
  return result;
}

static Value *
filter_escape (TmplRun *run,
               Value   *v,
               Value  **params G_GNUC_UNUSED)
{
  g_autoptr (BendiTemplateValue) s = tmpl_to_str (run, v);
  GString *out;

  if (s == NULL)
    return NULL;
  out = g_string_sized_new (s->string.len);
  for (gsize i = 0; i < s->string.len; i++)
    {
      char c = s->string.data[i];

      switch (c)
        {
        case '&': g_string_append (out, "&amp;"); break;
        case '<': g_string_append (out, "&lt;"); break;
        case '>': g_string_append (out, "&gt;"); break;
        case '"': g_string_append (out, "&#34;"); break;
        case '\'': g_string_append (out, "&#39;"); break;
        default: g_string_append_c (out, c); break;
        }
    }
  return tmpl_new_string_take_gstring (run, out);
}

static Value *
filter_first (TmplRun *run,
              Value   *v,
              Value  **params G_GNUC_UNUSED)
{
  Value *items;
  Value *first;

  if (tmpl_is_sequence (v))
    return v->list.len > 0 ? tmpl_ref (v->list.items[0]) : TMPL_UNDEFINED;
  items = tmpl_iterate (run, v);

  if (items == NULL)
    return NULL;
  first = items->list.len > 0 ? tmpl_ref (items->list.items[0]) : TMPL_UNDEFINED;
  tmpl_unref (items);
  return first;
}

static Value *
filter_last (TmplRun *run,
             Value   *v,
             Value  **params G_GNUC_UNUSED)
{
  Value *items;
  Value *last;

  /* Python's reversed(): sequences only (Undefined acts as an empty one). */
  if (v->type == BENDI_TEMPLATE_VALUE_UNDEFINED)
    return TMPL_UNDEFINED;
  if ((v->flags & TMPL_FLAG_GENERATOR) ||
      !(tmpl_is_sequence (v) || v->type == BENDI_TEMPLATE_VALUE_STRING || v->type == BENDI_TEMPLATE_VALUE_DICT))
    return tmpl_fail (run, "'%s' object is not reversible", tmpl_type_name (v));
  if (tmpl_is_sequence (v))
    return v->list.len > 0 ? tmpl_ref (v->list.items[v->list.len - 1]) : TMPL_UNDEFINED;
  items = tmpl_iterate (run, v);
  if (items == NULL)
    return NULL;
  last = items->list.len > 0 ? tmpl_ref (items->list.items[items->list.len - 1]) : TMPL_UNDEFINED;
  tmpl_unref (items);
  return last;
}

/* Python's float() of a string: optional spaces, sign, digits, inf, nan. */
static gboolean
parse_python_float (const char *text,
                    double     *out)
{
  g_autofree char *clean = NULL;
  char *end = NULL;
  gsize n = 0;
  const char *p = text;

  while (g_ascii_isspace (*p))
    p++;
  clean = g_malloc (strlen (p) + 1);
  for (; *p != '\0'; p++)
    {
      if (*p == '_')
        {
          if (n == 0 || !g_ascii_isdigit (clean[n - 1]) || !g_ascii_isdigit (p[1]))
            return FALSE;
          continue;
        }
      clean[n++] = *p;
    }
  while (n > 0 && g_ascii_isspace (clean[n - 1]))
    n--;
  clean[n] = '\0';
  if (n == 0)
    return FALSE;
  {
    const char *s = clean + (clean[0] == '+' || clean[0] == '-' ? 1 : 0);

    if (g_ascii_strcasecmp (s, "inf") == 0 || g_ascii_strcasecmp (s, "infinity") == 0)
      {
        *out = clean[0] == '-' ? -INFINITY : INFINITY;
        return TRUE;
      }
    if (g_ascii_strcasecmp (s, "nan") == 0)
      {
        *out = NAN;
        return TRUE;
      }
    /* strtod also reads hex floats and "infinity" spellings Python refuses. */
    for (const char *c = s; *c != '\0'; c++)
      if (!g_ascii_isdigit (*c) && *c != '.' && *c != 'e' && *c != 'E' && *c != '+' && *c != '-')
        return FALSE;
  }
  *out = g_ascii_strtod (clean, &end);
  return end != NULL && *end == '\0';
}

static const char *const float_params[] = { "default", NULL };

static Value *
filter_float (TmplRun *run,
              Value   *v,
              Value  **params)
{
  double d;

  if (v->type == BENDI_TEMPLATE_VALUE_UNDEFINED)
    return tmpl_fail (run, "an undefined value cannot be converted to float");
  if (tmpl_is_number (v))
    return tmpl_new_float (run, tmpl_to_double (v));
  if (v->type == BENDI_TEMPLATE_VALUE_STRING && strlen (v->string.data) == v->string.len &&
      parse_python_float (v->string.data, &d))
    return tmpl_new_float (run, d);
  return params[0] != NULL ? tmpl_ref (params[0]) : tmpl_new_float (run, 0.0);
}

static Value *
filter_format (TmplRun        *run,
               Value          *v,
               const TmplArgs *args)
{
  Value *format_args;
  Value *result;

  if (args->n_pos > 0 && args->n_kw > 0)
    return tmpl_fail (run, "can't handle positional and keyword arguments at the same time");
  if (args->n_kw > 0)
    {
      format_args = tmpl_new_dict (run, BENDI_TEMPLATE_VALUE_DICT);
      for (gsize i = 0; format_args != NULL && i < args->n_kw; i++)
        {
          Value *key = tmpl_new_string (run, args->kw_names[i], strlen (args->kw_names[i]));

          if (key == NULL || !tmpl_dict_set (run, format_args, key, tmpl_ref (args->kw[i])))
            {
              tmpl_unref (format_args);
              return NULL;
            }
        }
    }
  else
    {
      format_args = tmpl_new_list (run, BENDI_TEMPLATE_VALUE_TUPLE, args->n_pos);
      for (gsize i = 0; format_args != NULL && i < args->n_pos; i++)
        tmpl_list_append (run, format_args, tmpl_ref (args->pos[i]));
    }
  if (format_args == NULL)
    return NULL;
  {
    g_autoptr (BendiTemplateValue) s = tmpl_to_str (run, v);

    result = s != NULL ? tmpl_percent_format (run, s, format_args) : NULL;
  }
  tmpl_unref (format_args);
  return result;
}

static const char *const indent_params[] = { "width", "first", "blank", NULL };

/* Jinja's indent: appends a newline, splits the lines as str.splitlines()
 * does, and joins them with "\n" + indent, leaving empty lines bare unless
 * @blank; the first line is indented only with @first. */
static Value *
filter_indent (TmplRun *run,
               Value   *v,
               Value  **params)
{
  g_autoptr (BendiTemplateValue) s = tmpl_to_str (run, v);
  g_autofree char *indent = NULL;
  gboolean first = params[1] != NULL && tmpl_truthy (params[1]);
  gboolean blank = params[2] != NULL && tmpl_truthy (params[2]);
  GString *out;
  const char *p, *end, *line;
  gboolean first_line = TRUE;

  if (s == NULL)
    return NULL;
  if (v->type != BENDI_TEMPLATE_VALUE_STRING)
    return tmpl_fail (run, "unsupported operand type(s) for +=: '%s' and 'str'", tmpl_type_name (v));
  if (params[0] != NULL && params[0]->type == BENDI_TEMPLATE_VALUE_STRING)
    indent = g_strdup (params[0]->string.data);
  else
    {
      gint64 width;

      if (!tmpl_arg_int (run, params[0], 4, "width", &width))
        return NULL;
      indent = g_strnfill ((gsize) CLAMP (width, 0, 4096), ' ');
    }
  if (!tmpl_charge_text (run, s->string.len))
    return NULL;
  out = g_string_new (first ? indent : "");
  p = line = s->string.data;
  end = p + s->string.len;
  while (TRUE)
    {
      gsize brk = p < end ? tmpl_line_break_length (p, end) : 0;

      if (p < end && brk == 0)
        {
          p++;
          continue;
        }
      /* A line ends here: at a break, or at the end (the added newline). */
      if (!first_line)
        {
          g_string_append_c (out, '\n');
          if (blank || p > line)
            g_string_append (out, indent);
        }
      g_string_append_len (out, line, p - line);
      first_line = FALSE;
      if (out->len > run->options.max_memory_bytes / 2)
        {
          g_string_free (out, TRUE);
          return tmpl_fail (run, "the template needs more than %" G_GSIZE_FORMAT " bytes of memory",
                            run->options.max_memory_bytes);
        }
      if (p >= end)
        break;
      p += brk;
      line = p;
    }
  if (!tmpl_charge_steps (run, out->len / 64))
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return tmpl_new_string_take_gstring (run, out);
}

/* Python's int() of a string in @base: optional spaces and sign, digits
 * with single underscores between them, an optional base prefix. */
static gboolean
parse_python_int (const char *text,
                  int         base,
                  gint64     *out)
{
  const char *p = text;
  gboolean negative = FALSE;
  guint64 value = 0;
  gboolean any = FALSE;

  while (g_ascii_isspace (*p))
    p++;
  if (*p == '+' || *p == '-')
    negative = *p++ == '-';
  if (p[0] == '0' && (((base == 16 || base == 0) && (p[1] == 'x' || p[1] == 'X')) ||
                      ((base == 8 || base == 0) && (p[1] == 'o' || p[1] == 'O')) ||
                      ((base == 2 || base == 0) && (p[1] == 'b' || p[1] == 'B'))))
    {
      base = p[1] == 'x' || p[1] == 'X' ? 16 : p[1] == 'o' || p[1] == 'O' ? 8 : 2;
      p += 2;
      if (*p == '_')
        p++;
    }
  if (base == 0)
    base = 10;
  for (; *p != '\0'; p++)
    {
      int digit;

      if (*p == '_' && any && p[1] != '\0' && p[1] != '_')
        continue;
      digit = g_ascii_isdigit (*p) ? *p - '0' : g_ascii_isalpha (*p) ? g_ascii_tolower (*p) - 'a' + 10 : 99;
      if (digit >= base)
        break;
      if (value > (G_MAXUINT64 - (guint64) digit) / (guint64) base)
        return FALSE;
      value = value * (guint64) base + (guint64) digit;
      any = TRUE;
    }
  while (g_ascii_isspace (*p))
    p++;
  if (*p != '\0' || !any || value > (guint64) G_MAXINT64 + (negative ? 1 : 0))
    return FALSE;
  *out = negative ? (gint64) (0 - value) : (gint64) value;
  return TRUE;
}

static const char *const int_params[] = { "default", "base", NULL };

static Value *
filter_int (TmplRun *run,
            Value   *v,
            Value  **params)
{
  gint64 base;
  gint64 i;
  double d;

  if (!tmpl_arg_int (run, params[1], 10, "base", &base))
    return NULL;
  if (v->type == BENDI_TEMPLATE_VALUE_UNDEFINED)
    return tmpl_fail (run, "an undefined value cannot be converted to int");
  if (tmpl_is_integer (v))
    return tmpl_new_int (run, tmpl_to_int64 (v));
  if (v->type == BENDI_TEMPLATE_VALUE_FLOAT)
    {
      if (!isfinite (v->number) || fabs (v->number) >= 9.2e18)
        return tmpl_fail (run, "cannot convert float %s to integer", isnan (v->number) ? "NaN" : "infinity");
      return tmpl_new_int (run, (gint64) v->number);
    }
  if (v->type == BENDI_TEMPLATE_VALUE_STRING && strlen (v->string.data) == v->string.len)
    {
      if ((base == 0 || (base >= 2 && base <= 36)) && parse_python_int (v->string.data, (int) base, &i))
        return tmpl_new_int (run, i);
      /* Jinja's quirk: "42.23"|int is 42. */
      if (parse_python_float (v->string.data, &d))
        {
          if (!isfinite (d) || fabs (d) >= 9.2e18)
            return tmpl_fail (run, "cannot convert float to integer");
          return tmpl_new_int (run, (gint64) d);
        }
    }
  return params[0] != NULL ? tmpl_ref (params[0]) : tmpl_new_int (run, 0);
}

static Value *
filter_items (TmplRun *run,
              Value   *v,
              Value  **params G_GNUC_UNUSED)
{
  Value *result;

  if (v->type == BENDI_TEMPLATE_VALUE_UNDEFINED)
    return new_generator (run);
  if (v->type != BENDI_TEMPLATE_VALUE_DICT)
    return tmpl_fail (run, "can only get item pairs from a mapping");
  result = new_generator (run);
  for (gsize i = 0; result != NULL && i < v->dict.len; i++)
    {
      Value *pair = tmpl_new_list (run, BENDI_TEMPLATE_VALUE_TUPLE, 2);

      if (pair == NULL)
        {
          tmpl_unref (result);
          return NULL;
        }
      tmpl_list_append (run, pair, tmpl_ref (v->dict.entries[i].key));
      tmpl_list_append (run, pair, tmpl_ref (v->dict.entries[i].value));
      tmpl_list_append (run, result, pair);
    }
  return result;
}

static const char *const join_params[] = { "d", "attribute", NULL };

static Value *
filter_join (TmplRun *run,
             Value   *v,
             Value  **params)
{
  g_autoptr (BendiTemplateValue) separator = params[0] != NULL ? tmpl_to_str (run, params[0]) : NULL;
  Value *items = tmpl_iterate (run, v);
  GString *out;

  if (items == NULL || (params[0] != NULL && separator == NULL))
    {
      tmpl_unref (items);
      return NULL;
    }
  out = g_string_new (NULL);
  for (gsize i = 0; i < items->list.len; i++)
    {
      Value *item = items->list.items[i];
      Value *part = params[1] != NULL ? attr_path_get (run, item, params[1]) : tmpl_ref (item);
      gboolean ok;

      if (part == NULL)
        break;
      if (i > 0 && separator != NULL)
        g_string_append_len (out, separator->string.data, (gssize) separator->string.len);
      ok = tmpl_write_str (run, out, part);
      tmpl_unref (part);
      if (!ok || !tmpl_check_memory (run, out->len))
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
filter_list (TmplRun *run,
             Value   *v,
             Value  **params G_GNUC_UNUSED)
{
  return tmpl_iterate (run, v);
}

static Value *
filter_lower (TmplRun *run,
              Value   *v,
              Value  **params G_GNUC_UNUSED)
{
  g_autoptr (BendiTemplateValue) s = tmpl_to_str (run, v);

  return s != NULL ? tmpl_str_lower (run, s) : NULL;
}

static Value *
filter_upper (TmplRun *run,
              Value   *v,
              Value  **params G_GNUC_UNUSED)
{
  g_autoptr (BendiTemplateValue) s = tmpl_to_str (run, v);

  return s != NULL ? tmpl_str_upper (run, s) : NULL;
}

/* Jinja's title filter: the first letter of each word up, the rest down,
 * words starting after spaces, dashes and opening brackets. */
static Value *
filter_title (TmplRun *run,
              Value   *v,
              Value  **params G_GNUC_UNUSED)
{
  g_autoptr (BendiTemplateValue) s = tmpl_to_str (run, v);
  GString *out;
  gboolean word_start = TRUE;

  if (s == NULL || !tmpl_charge_text (run, s->string.len))
    return NULL;
  out = g_string_sized_new (s->string.len);
  for (const char *p = s->string.data; p < s->string.data + s->string.len; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      gboolean separator = tmpl_unichar_isspace (c) || c == '-' || c == '(' || c == '{' || c == '[' || c == '<';

      if (separator)
        g_string_append_unichar (out, c);
      else if (word_start)
        {
          char buf[8];
          g_autofree char *upper = g_utf8_strup (buf, g_unichar_to_utf8 (c, buf));

          g_string_append (out, upper);
        }
      else
        {
          char buf[8];
          g_autofree char *lower = g_utf8_strdown (buf, g_unichar_to_utf8 (c, buf));

          g_string_append (out, lower);
        }
      word_start = separator;
    }
  return tmpl_new_string_take_gstring (run, out);
}

static const char *const trim_params[] = { "chars", NULL };

static Value *
filter_trim (TmplRun *run,
             Value   *v,
             Value  **params)
{
  g_autoptr (BendiTemplateValue) s = tmpl_to_str (run, v);

  if (s == NULL)
    return NULL;
  return tmpl_str_strip (run, s, params[0], TRUE, TRUE);
}

/* Applies the test named by args[first] (with the arguments after it) to
 * @item, as select and reject do. */
static gboolean
run_named_test (TmplRun        *run,
                Value          *item,
                const TmplArgs *args,
                gsize           first,
                gboolean       *result)
{
  const TmplTest *test;
  TmplArgs test_args = { 0 };

  if (args->n_pos <= first)
    {
      *result = tmpl_truthy (item);
      return TRUE;
    }
  if (args->pos[first]->type != BENDI_TEMPLATE_VALUE_STRING)
    {
      tmpl_fail (run, "the test name must be a string");
      return FALSE;
    }
  test = tmpl_find_test (args->pos[first]->string.data);
  if (test == NULL)
    {
      tmpl_fail (run, "no test named '%s'", args->pos[first]->string.data);
      return FALSE;
    }
  test_args.pos = args->pos + first + 1;
  test_args.n_pos = args->n_pos - first - 1;
  test_args.kw_names = args->kw_names;
  test_args.kw = args->kw;
  test_args.n_kw = args->n_kw;
  return tmpl_apply_test (run, test, item, &test_args, result);
}

static Value *
select_or_reject (TmplRun        *run,
                  Value          *v,
                  const TmplArgs *args,
                  gboolean        keep_when,
                  gboolean        by_attribute)
{
  Value *items;
  Value *result;

  if (by_attribute && args->n_pos == 0)
    return tmpl_fail (run, "missing the attribute to test");
  /* Jinja yields nothing at all for a false value, iterable or not. */
  if (!tmpl_truthy (v))
    return new_generator (run);
  items = tmpl_iterate (run, v);
  if (items == NULL)
    return NULL;
  result = new_generator (run);
  for (gsize i = 0; result != NULL && i < items->list.len; i++)
    {
      Value *item = items->list.items[i];
      Value *subject = by_attribute ? attr_path_get (run, item, args->pos[0]) : tmpl_ref (item);
      gboolean passed = FALSE;
      gboolean ok = subject != NULL && run_named_test (run, subject, args, by_attribute ? 1 : 0, &passed);

      tmpl_unref (subject);
      if (!ok)
        {
          tmpl_unref (result);
          result = NULL;
          break;
        }
      if (passed == keep_when)
        tmpl_list_append (run, result, tmpl_ref (item));
    }
  tmpl_unref (items);
  return result;
}

static Value *
filter_select (TmplRun        *run,
               Value          *v,
               const TmplArgs *args)
{
  return select_or_reject (run, v, args, TRUE, FALSE);
}

static Value *
filter_reject (TmplRun        *run,
               Value          *v,
               const TmplArgs *args)
{
  return select_or_reject (run, v, args, FALSE, FALSE);
}

static Value *
filter_selectattr (TmplRun        *run,
                   Value          *v,
                   const TmplArgs *args)
{
  return select_or_reject (run, v, args, TRUE, TRUE);
}

static Value *
filter_rejectattr (TmplRun        *run,
                   Value          *v,
                   const TmplArgs *args)
{
  return select_or_reject (run, v, args, FALSE, TRUE);
}

static Value *
filter_map (TmplRun        *run,
            Value          *v,
            const TmplArgs *args)
{
  Value *attribute = NULL;
  Value *fallback = NULL;
  const TmplFilter *filter = NULL;
  TmplArgs filter_args = { 0 };
  Value *items, *result;

  for (gsize k = 0; k < args->n_kw; k++)
    {
      if (g_str_equal (args->kw_names[k], "attribute"))
        attribute = args->kw[k];
      else if (g_str_equal (args->kw_names[k], "default"))
        fallback = args->kw[k];
    }
  if (attribute == NULL)
    {
      if (args->n_pos == 0 || args->pos[0]->type != BENDI_TEMPLATE_VALUE_STRING)
        return tmpl_fail (run, "map requires a filter name or attribute=");
      filter = tmpl_find_filter (args->pos[0]->string.data);
      if (filter == NULL)
        return tmpl_fail (run, "no filter named '%s'", args->pos[0]->string.data);
      filter_args.pos = args->pos + 1;
      filter_args.n_pos = args->n_pos - 1;
      filter_args.kw_names = args->kw_names;
      filter_args.kw = args->kw;
      filter_args.n_kw = args->n_kw;
    }
  if (!tmpl_truthy (v))
    return new_generator (run);
  items = tmpl_iterate (run, v);
  if (items == NULL)
    return NULL;
  result = new_generator (run);
  for (gsize i = 0; result != NULL && i < items->list.len; i++)
    {
      Value *item = items->list.items[i];
      Value *mapped;

      if (attribute != NULL)
        {
          mapped = attr_path_get (run, item, attribute);
          if (mapped != NULL && mapped->type == BENDI_TEMPLATE_VALUE_UNDEFINED && fallback != NULL)
            mapped = tmpl_ref (fallback);
        }
      else
        mapped = tmpl_apply_filter (run, filter, item, &filter_args);
      if (mapped == NULL)
        {
          tmpl_unref (result);
          result = NULL;
          break;
        }
      tmpl_list_append (run, result, mapped);
    }
  tmpl_unref (items);
  return result;
}

static const char *const minmax_params[] = { "case_sensitive", "attribute", NULL };

static Value *
min_or_max (TmplRun  *run,
            Value    *v,
            Value   **params,
            gboolean  want_max)
{
  gboolean case_sensitive = params[0] != NULL && tmpl_truthy (params[0]);
  Value *items = tmpl_iterate (run, v);
  Value *best = NULL, *best_key = NULL;

  if (items == NULL)
    return NULL;
  for (gsize i = 0; i < items->list.len; i++)
    {
      Value *key = sort_key (run, items->list.items[i], params[1], case_sensitive);
      int order = 0;

      if (key == NULL || (best_key != NULL && !tmpl_compare (run, key, best_key, &order)))
        {
          tmpl_unref (key);
          tmpl_unref (best_key);
          tmpl_unref (items);
          return NULL;
        }
      if (best_key == NULL || (want_max ? order > 0 && order != 2 : order < 0))
        {
          tmpl_unref (best_key);
          best_key = key;
          best = items->list.items[i];
        }
      else
        tmpl_unref (key);
    }
  best = best != NULL ? tmpl_ref (best) : TMPL_UNDEFINED;
  tmpl_unref (best_key);
  tmpl_unref (items);
  return best;
}

static Value *
filter_max (TmplRun *run,
            Value   *v,
            Value  **params)
{
  return min_or_max (run, v, params, TRUE);
}

static Value *
filter_min (TmplRun *run,
            Value   *v,
            Value  **params)
{
  return min_or_max (run, v, params, FALSE);
}

static const char *const replace_params[] = { "old", "new", "count", NULL };

static Value *
filter_replace (TmplRun *run,
                Value   *v,
                Value  **params)
{
  g_autoptr (BendiTemplateValue) s = tmpl_to_str (run, v);
  g_autoptr (BendiTemplateValue) old = s != NULL ? tmpl_to_str (run, params[0]) : NULL;
  g_autoptr (BendiTemplateValue) new = old != NULL ? tmpl_to_str (run, params[1]) : NULL;
  gint64 count;

  if (new == NULL || !tmpl_arg_int (run, params[2], -1, "count", &count))
    return NULL;
  return tmpl_str_replace (run, s, old, new, count);
}

static Value *
filter_reverse (TmplRun *run,
                Value   *v,
                Value  **params G_GNUC_UNUSED)
{
  Value *items;
  Value *result;

  if (v->type == BENDI_TEMPLATE_VALUE_STRING)
    {
      GString *out;
      const char *p = v->string.data + v->string.len;

      if (!tmpl_charge_text (run, v->string.len))
        return NULL;
      out = g_string_sized_new (v->string.len);

      while (p > v->string.data)
        {
          const char *prev = g_utf8_prev_char (p);

          g_string_append_len (out, prev, p - prev);
          p = prev;
        }
      return tmpl_new_string_take_gstring (run, out);
    }
  items = tmpl_iterate (run, v);
  if (items == NULL)
    return NULL;
  result = new_generator (run);
  for (gsize i = items->list.len; result != NULL && i > 0; i--)
    tmpl_list_append (run, result, tmpl_ref (items->list.items[i - 1]));
  tmpl_unref (items);
  return result;
}

static const char *const round_params[] = { "precision", "method", NULL };

static Value *
filter_round (TmplRun *run,
              Value   *v,
              Value  **params)
{
  gint64 precision;
  const char *method = "common";
  double x, scale;

  if (!tmpl_arg_int (run, params[0], 0, "precision", &precision))
    return NULL;
  if (params[1] != NULL)
    {
      if (params[1]->type != BENDI_TEMPLATE_VALUE_STRING)
        return tmpl_fail (run, "method must be 'common', 'ceil' or 'floor'");
      method = params[1]->string.data;
    }
  if (!g_str_equal (method, "common") && !g_str_equal (method, "ceil") && !g_str_equal (method, "floor"))
    return tmpl_fail (run, "method must be 'common', 'ceil' or 'floor'");
  if (!tmpl_is_number (v))
    return tmpl_fail (run, "type %s doesn't define __round__ method", tmpl_type_name (v));
  if (g_str_equal (method, "common") && tmpl_is_integer (v))
    return tmpl_new_int (run, tmpl_to_int64 (v));   /* round(int, n) stays an int */
  x = tmpl_to_double (v);
  precision = CLAMP (precision, -308, 308);
  if (!g_str_equal (method, "common"))
    {
      scale = pow (10.0, (double) precision);
      x = g_str_equal (method, "ceil") ? ceil (x * scale) : floor (x * scale);
      return tmpl_new_float (run, x / scale);
    }
  if (!isfinite (x))
    return tmpl_new_float (run, x);
  if (precision >= 0)
    {
      /* Python rounds the exact binary value, halves to even, as printf does. */
      char buf[400];

      g_snprintf (buf, sizeof buf, "%.*f", (int) MIN (precision, 330), x);
      return tmpl_new_float (run, g_ascii_strtod (buf, NULL));
    }
  scale = pow (10.0, (double) -precision);
  return tmpl_new_float (run, nearbyint (x / scale) * scale);
}

static Value *
filter_safe (TmplRun *run G_GNUC_UNUSED,
             Value   *v,
             Value  **params G_GNUC_UNUSED)
{
  return tmpl_ref (v);
}

static const char *const sort_params[] = { "reverse", "case_sensitive", "attribute", NULL };

static Value *
filter_sort (TmplRun *run,
             Value   *v,
             Value  **params)
{
  gboolean reverse = params[0] != NULL && tmpl_truthy (params[0]);
  gboolean case_sensitive = params[1] != NULL && tmpl_truthy (params[1]);
  Value *items = tmpl_iterate (run, v);
  g_autofree Value **keys = NULL;
  gboolean ok = TRUE;

  if (items == NULL)
    return NULL;
  keys = g_new0 (Value *, items->list.len + 1);
  for (gsize i = 0; ok && i < items->list.len; i++)
    ok = (keys[i] = sort_key (run, items->list.items[i], params[2], case_sensitive)) != NULL;
  if (ok)
    ok = merge_sort (run, items->list.items, keys, items->list.len, reverse);
  for (gsize i = 0; i < items->list.len; i++)
    tmpl_unref (keys[i]);
  if (!ok)
    {
      tmpl_unref (items);
      return NULL;
    }
  return items;
}

static Value *
filter_string (TmplRun *run,
               Value   *v,
               Value  **params G_GNUC_UNUSED)
{
  return tmpl_to_str (run, v);
}

static const char *const sum_params[] = { "attribute", "start", NULL };

static Value *
filter_sum (TmplRun *run,
            Value   *v,
            Value  **params)
{
  Value *items = tmpl_iterate (run, v);
  Value *total = params[1] != NULL ? tmpl_ref (params[1]) : tmpl_new_int (run, 0);

  for (gsize i = 0; items != NULL && total != NULL && i < items->list.len; i++)
    {
      Value *item = params[0] != NULL ? attr_path_get (run, items->list.items[i], params[0]) :
                    tmpl_ref (items->list.items[i]);
      Value *next = item != NULL ? tmpl_binary (run, TMPL_OP_ADD, total, item) : NULL;

      tmpl_unref (item);
      tmpl_unref (total);
      total = next;
    }
  if (items == NULL)
    {
      tmpl_unref (total);
      return NULL;
    }
  tmpl_unref (items);
  return total;
}

/* In the order of Hugging Face's tojson (x, ensure_ascii, indent, separators, sort_keys). */
static const char *const tojson_params[] = { "ensure_ascii", "indent", "separators", "sort_keys", NULL };

/* Hugging Face's tojson: json.dumps with ensure_ascii=False. */
static Value *
filter_tojson (TmplRun *run,
               Value   *v,
               Value  **params)
{
  const Value *indent = tmpl_arg_given (params[1]) ? params[1] : NULL;
  const char *item_separator = indent != NULL ? "," : ", ";
  const char *key_separator = ": ";
  GString *out;

  if (tmpl_arg_given (params[2]))
    {
      const Value *seps = params[2];

      if (!tmpl_is_sequence (seps) || seps->list.len != 2 ||
          seps->list.items[0]->type != BENDI_TEMPLATE_VALUE_STRING ||
          seps->list.items[1]->type != BENDI_TEMPLATE_VALUE_STRING)
        return tmpl_fail (run, "separators must be a pair of strings");
      item_separator = seps->list.items[0]->string.data;
      key_separator = seps->list.items[1]->string.data;
    }
  out = g_string_new (NULL);
  if (!tmpl_write_json (run, out, v, indent, item_separator, key_separator,
                        params[3] != NULL && tmpl_truthy (params[3])))
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  if (params[0] != NULL && tmpl_truthy (params[0]))
    {
      /* ensure_ascii: everything past ASCII as \uXXXX (surrogate pairs above the BMP). */
      GString *ascii = g_string_sized_new (out->len);

      for (const char *p = out->str; p < out->str + out->len; p = g_utf8_next_char (p))
        {
          gunichar c = g_utf8_get_char (p);

          if (c < 0x80)
            g_string_append_c (ascii, (char) c);
          else if (c < 0x10000)
            g_string_append_printf (ascii, "\\u%04x", c);
          else
            g_string_append_printf (ascii, "\\u%04x\\u%04x", 0xd800 + ((c - 0x10000) >> 10),
                                    0xdc00 + ((c - 0x10000) & 0x3ff));
        }
      g_string_free (out, TRUE);
      out = ascii;
    }
  return tmpl_new_string_take_gstring (run, out);
}

static const char *const unique_params[] = { "case_sensitive", "attribute", NULL };

static Value *
filter_unique (TmplRun *run,
               Value   *v,
               Value  **params)
{
  gboolean case_sensitive = params[0] != NULL && tmpl_truthy (params[0]);
  Value *items = tmpl_iterate (run, v);
  Value *seen, *result;

  if (items == NULL)
    return NULL;
  seen = tmpl_new_dict (run, BENDI_TEMPLATE_VALUE_DICT);
  result = seen != NULL ? new_generator (run) : NULL;
  for (gsize i = 0; result != NULL && i < items->list.len; i++)
    {
      Value *key = sort_key (run, items->list.items[i], params[1], case_sensitive);
      guint32 hash;

      if (key == NULL)
        {
          tmpl_unref (result);
          result = NULL;
          break;
        }
      if (!tmpl_hash (key, &hash))
        {
          tmpl_fail (run, "unhashable type: '%s'", tmpl_type_name (key));
          tmpl_unref (key);
          tmpl_unref (result);
          result = NULL;
          break;
        }
      if (tmpl_dict_get (seen, key) != NULL)
        {
          tmpl_unref (key);
          continue;
        }
      if (!tmpl_dict_set (run, seen, key, TMPL_TRUE) ||
          !tmpl_list_append (run, result, tmpl_ref (items->list.items[i])))
        {
          tmpl_unref (result);
          result = NULL;
          break;
        }
    }
  tmpl_unref (seen);
  tmpl_unref (items);
  return result;
}

static Value *
filter_wordcount (TmplRun *run,
                  Value   *v,
                  Value  **params G_GNUC_UNUSED)
{
  g_autoptr (BendiTemplateValue) s = tmpl_to_str (run, v);
  gint64 words = 0;
  gboolean in_word = FALSE;

  if (s == NULL || !tmpl_charge_text (run, s->string.len))
    return NULL;
  /* Runs of \w: letters, digits, marks and the underscore. */
  for (const char *p = s->string.data; p < s->string.data + s->string.len; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      gboolean word = c == '_' || g_unichar_isalnum (c) || g_unichar_ismark (c);

      if (word && !in_word)
        words++;
      in_word = word;
    }
  return tmpl_new_int (run, words);
}

static Value *
filter_pprint (TmplRun *run,
               Value   *v,
               Value  **params G_GNUC_UNUSED)
{
  GString *out = g_string_new (NULL);

  if (!tmpl_write_repr (run, out, v))
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return tmpl_new_string_take_gstring (run, out);
}

static const TmplFilter filters[] = {
  /* Sorted by name, for bsearch. */
  { "abs", filter_abs, NULL, no_params, 0 },
  { "attr", filter_attr, NULL, attr_params, 1 },
  { "batch", filter_batch, NULL, batch_params, 1 },
  { "capitalize", filter_capitalize, NULL, no_params, 0 },
  { "center", filter_center, NULL, center_params, 0 },
  { "count", filter_length, NULL, no_params, 0 },
  { "d", filter_default, NULL, default_params, 0 },
  { "default", filter_default, NULL, default_params, 0 },
  { "dictsort", filter_dictsort, NULL, dictsort_params, 0 },
  { "e", filter_escape, NULL, no_params, 0 },
  { "escape", filter_escape, NULL, no_params, 0 },
  { "first", filter_first, NULL, no_params, 0 },
  { "float", filter_float, NULL, float_params, 0 },
  { "forceescape", filter_escape, NULL, no_params, 0 },
  { "format", NULL, filter_format, NULL, 0 },
  { "indent", filter_indent, NULL, indent_params, 0 },
  { "int", filter_int, NULL, int_params, 0 },
  { "items", filter_items, NULL, no_params, 0 },
  { "join", filter_join, NULL, join_params, 0 },
  { "last", filter_last, NULL, no_params, 0 },
  { "length", filter_length, NULL, no_params, 0 },
  { "list", filter_list, NULL, no_params, 0 },
  { "lower", filter_lower, NULL, no_params, 0 },
  { "map", NULL, filter_map, NULL, 0 },
  { "max", filter_max, NULL, minmax_params, 0 },
  { "min", filter_min, NULL, minmax_params, 0 },
  { "pprint", filter_pprint, NULL, no_params, 0 },
  { "reject", NULL, filter_reject, NULL, 0 },
  { "rejectattr", NULL, filter_rejectattr, NULL, 0 },
  { "replace", filter_replace, NULL, replace_params, 2 },
  { "reverse", filter_reverse, NULL, no_params, 0 },
  { "round", filter_round, NULL, round_params, 0 },
  { "safe", filter_safe, NULL, no_params, 0 },
  { "select", NULL, filter_select, NULL, 0 },
  { "selectattr", NULL, filter_selectattr, NULL, 0 },
  { "sort", filter_sort, NULL, sort_params, 0 },
  { "string", filter_string, NULL, no_params, 0 },
  { "sum", filter_sum, NULL, sum_params, 0 },
  { "title", filter_title, NULL, no_params, 0 },
  { "tojson", filter_tojson, NULL, tojson_params, 0 },
  { "trim", filter_trim, NULL, trim_params, 0 },
  { "unique", filter_unique, NULL, unique_params, 0 },
  { "upper", filter_upper, NULL, no_params, 0 },
  { "wordcount", filter_wordcount, NULL, no_params, 0 },
};

static int
compare_filter_name (const void *key,
                     const void *entry)
{
  return strcmp (key, ((const TmplFilter *) entry)->name);
}

const TmplFilter *
tmpl_find_filter (const char *name)
{
  return bsearch (name, filters, G_N_ELEMENTS (filters), sizeof (TmplFilter), compare_filter_name);
}

Value *
tmpl_apply_filter (TmplRun          *run,
                   const TmplFilter *filter,
                   Value            *subject,
                   const TmplArgs   *args)
{
  Value *params[8];

  if (filter->raw != NULL)
    return filter->raw (run, subject, args);
  if (!tmpl_bind_args (run, filter->name, args, filter->params, filter->n_required, params))
    return NULL;
  return filter->func (run, subject, params);
}

