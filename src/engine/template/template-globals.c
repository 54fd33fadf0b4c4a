/* SPDX-License-Identifier: MIT */
/* The global functions chat templates call: range, dict, namespace, raise_exception and strftime_now. */
#include "template/template-private.h"

#include <string.h>

enum {
  BUILTIN_DICT,
  BUILTIN_NAMESPACE,
  BUILTIN_RAISE_EXCEPTION,
  BUILTIN_RANGE,
  BUILTIN_STRFTIME_NOW,
};

#define GLOBAL(id_, name_) \
  { .ref_count = TMPL_IMMORTAL, .type = BENDI_TEMPLATE_VALUE_CALLABLE, \
    .callable = { .kind = TMPL_CALL_BUILTIN, .id = id_, .name = name_ } }

static Value globals[] = {
  /* Sorted by name. */
  GLOBAL (BUILTIN_DICT, "dict"),
  GLOBAL (BUILTIN_NAMESPACE, "namespace"),
  GLOBAL (BUILTIN_RAISE_EXCEPTION, "raise_exception"),
  GLOBAL (BUILTIN_RANGE, "range"),
  GLOBAL (BUILTIN_STRFTIME_NOW, "strftime_now"),
};

Value *
tmpl_find_global (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (globals); i++)
    if (strcmp (globals[i].callable.name, name) == 0)
      return &globals[i];
  return NULL;
}

static Value *
builtin_range (TmplRun        *run,
               const TmplArgs *args)
{
  gint64 start = 0, stop, step = 1;
  gint64 count;
  Value *list;

  if (args->n_kw > 0)
    return tmpl_fail (run, "range() takes no keyword arguments");
  if (args->n_pos < 1 || args->n_pos > 3)
    return tmpl_fail (run, "range expected 1 to 3 arguments, got %" G_GSIZE_FORMAT, args->n_pos);
  for (gsize i = 0; i < args->n_pos; i++)
    if (!tmpl_is_integer (args->pos[i]))
      return tmpl_fail (run, "'%s' object cannot be interpreted as an integer", tmpl_type_name (args->pos[i]));
  if (args->n_pos == 1)
    stop = tmpl_to_int64 (args->pos[0]);
  else
    {
      start = tmpl_to_int64 (args->pos[0]);
      stop = tmpl_to_int64 (args->pos[1]);
      if (args->n_pos == 3)
        step = tmpl_to_int64 (args->pos[2]);
    }
  if (step == 0)
    return tmpl_fail (run, "range() arg 3 must not be zero");
  /* The length, computed without overflow. */
  if (step > 0)
    count = start < stop ? (gint64) (((guint64) stop - (guint64) start - 1) / (guint64) step + 1) : 0;
  else
    count = start > stop ? (gint64) (((guint64) start - (guint64) stop - 1) / ((guint64) 0 - (guint64) step) + 1) : 0;
  if (count < 0 || count > run->options.max_range)
    return tmpl_fail (run, "range too big: the sandbox allows ranges of at most %" G_GINT64_FORMAT " items",
                      run->options.max_range);
  list = tmpl_new_list (run, BENDI_TEMPLATE_VALUE_LIST, (gsize) count);
  for (gint64 i = 0; list != NULL && i < count; i++)
    {
      Value *item = tmpl_new_int (run, start + i * step);

      if (item == NULL || !tmpl_list_append (run, list, item))
        {
          tmpl_unref (list);
          return NULL;
        }
    }
  return list;
}

/* dict(…) and namespace(…): an optional mapping, then keywords. */
static Value *
builtin_mapping (TmplRun        *run,
                 const TmplArgs *args,
                 guint8          type,
                 const char     *name)
{
  Value *result;

  if (args->n_pos > 1)
    return tmpl_fail (run, "%s expected at most 1 argument, got %" G_GSIZE_FORMAT, name, args->n_pos);
  result = tmpl_new_dict (run, type);
  if (result == NULL)
    return NULL;
  if (args->n_pos == 1)
    {
      Value *init = args->pos[0];

      if (init->type == BENDI_TEMPLATE_VALUE_DICT || init->type == BENDI_TEMPLATE_VALUE_NAMESPACE)
        {
          for (gsize i = 0; i < init->dict.len; i++)
            if (!tmpl_dict_set (run, result, tmpl_ref (init->dict.entries[i].key),
                                tmpl_ref (init->dict.entries[i].value)))
              goto fail;
        }
      else
        {
          Value *pairs = tmpl_iterate (run, init);

          for (gsize i = 0; pairs != NULL && i < pairs->list.len; i++)
            {
              Value *pair = pairs->list.items[i];

              if (!tmpl_is_sequence (pair) || pair->list.len != 2)
                {
                  tmpl_fail (run, "%s update sequence element #%" G_GSIZE_FORMAT " has the wrong length", name, i);
                  break;
                }
              if (!tmpl_dict_set (run, result, tmpl_ref (pair->list.items[0]), tmpl_ref (pair->list.items[1])))
                break;
            }
          tmpl_unref (pairs);
          if (run->error != NULL)
            goto fail;
        }
    }
  for (gsize k = 0; k < args->n_kw; k++)
    {
      Value *key = tmpl_new_string (run, args->kw_names[k], strlen (args->kw_names[k]));

      if (key == NULL || !tmpl_dict_set (run, result, key, tmpl_ref (args->kw[k])))
        goto fail;
    }
  return result;
fail:
  tmpl_unref (result);
  return NULL;
}

static const char *const day_names[] = {
  "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
};
static const char *const month_names[] = {
  "January", "February", "March", "April", "May", "June", "July", "August", "September",
  "October", "November", "December",
};

/* strftime in the C locale, with glibc's '-', '_', '0' and '^' flags. */
static void
format_time (GString    *out,
             GDateTime  *now,
             const char *format)
{
  for (const char *p = format; *p != '\0'; p++)
    {
      char flag = 0;
      char buf[64];
      int number = -1, width = 2;
      const char *text = NULL;
      gboolean abbreviate = FALSE;
      gsize mark;

      if (*p != '%')
        {
          g_string_append_c (out, *p);
          continue;
        }
      p++;
      if (*p == '-' || *p == '_' || *p == '0' || *p == '^' || *p == '#')
        flag = *p++;
      if (*p == '\0')
        {
          g_string_append_c (out, '%');
          break;
        }
      mark = out->len;
      switch (*p)
        {
        case 'a': abbreviate = TRUE; G_GNUC_FALLTHROUGH;
        case 'A': text = day_names[g_date_time_get_day_of_week (now) - 1]; break;
        case 'b': case 'h': abbreviate = TRUE; G_GNUC_FALLTHROUGH;
        case 'B': text = month_names[g_date_time_get_month (now) - 1]; break;
        case 'd': number = g_date_time_get_day_of_month (now); break;
        case 'e': number = g_date_time_get_day_of_month (now); if (flag == 0) flag = '_'; break;
        case 'H': number = g_date_time_get_hour (now); break;
        case 'I': number = (g_date_time_get_hour (now) + 11) % 12 + 1; break;
        case 'j': number = g_date_time_get_day_of_year (now); width = 3; break;
        case 'm': number = g_date_time_get_month (now); break;
        case 'M': number = g_date_time_get_minute (now); break;
        case 'S': number = g_date_time_get_second (now); break;
        case 'y': number = g_date_time_get_year (now) % 100; break;
        case 'Y': number = g_date_time_get_year (now); width = 1; break;
        case 'C': number = g_date_time_get_year (now) / 100; break;
        case 'G': number = g_date_time_get_week_numbering_year (now); width = 1; break;
        case 'g': number = g_date_time_get_week_numbering_year (now) % 100; break;
        case 'V': number = g_date_time_get_week_of_year (now); break;
        case 'u': number = g_date_time_get_day_of_week (now); width = 1; break;
        case 'w': number = g_date_time_get_day_of_week (now) % 7; width = 1; break;
        case 'U':
          number = (g_date_time_get_day_of_year (now) - 1 + 7 - g_date_time_get_day_of_week (now) % 7) / 7;
          break;
        case 'W':
          number = (g_date_time_get_day_of_year (now) - 1 + 7 - (g_date_time_get_day_of_week (now) + 6) % 7) / 7;
          break;
        case 'p': text = g_date_time_get_hour (now) < 12 ? "AM" : "PM"; break;
        case 'P': text = g_date_time_get_hour (now) < 12 ? "am" : "pm"; break;
        case 'Z': text = g_date_time_get_timezone_abbreviation (now); break;
        case 'z':
          {
            gint64 offset = g_date_time_get_utc_offset (now) / G_TIME_SPAN_MINUTE;

            g_snprintf (buf, sizeof buf, "%c%02d%02d", offset < 0 ? '-' : '+', (int) (ABS (offset) / 60),
                        (int) (ABS (offset) % 60));
            text = buf;
          }
          break;
        case 's':
          g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, g_date_time_to_unix (now));
          text = buf;
          break;
        case 'n': text = "\n"; break;
        case 't': text = "\t"; break;
        case '%': text = "%"; break;
        case 'D': format_time (out, now, "%m/%d/%y"); break;
        case 'F': format_time (out, now, "%Y-%m-%d"); break;
        case 'T': format_time (out, now, "%H:%M:%S"); break;
        case 'R': format_time (out, now, "%H:%M"); break;
        case 'r': format_time (out, now, "%I:%M:%S %p"); break;
        case 'c': format_time (out, now, "%a %b %e %H:%M:%S %Y"); break;
        case 'x': format_time (out, now, "%m/%d/%y"); break;
        case 'X': format_time (out, now, "%H:%M:%S"); break;
        default:
          g_string_append_c (out, '%');
          if (flag != 0)
            g_string_append_c (out, flag);
          g_string_append_c (out, *p);
          break;
        }
      if (number >= 0)
        {
          if (flag == '-')
            g_string_append_printf (out, "%d", number);
          else if (flag == '_')
            g_string_append_printf (out, "%*d", width, number);
          else
            g_string_append_printf (out, "%0*d", width, number);
        }
      else if (text != NULL)
        g_string_append_len (out, text, abbreviate ? 3 : (gssize) strlen (text));
      if (flag == '^')
        for (gsize i = mark; i < out->len; i++)
          out->str[i] = g_ascii_toupper (out->str[i]);
    }
}

static Value *
builtin_strftime_now (TmplRun        *run,
                      const TmplArgs *args)
{
  static const char *const params[] = { "format", NULL };
  Value *format;
  g_autoptr (GDateTime) now = NULL;
  g_autoptr (GString) out = g_string_new (NULL);

  if (!tmpl_bind_args (run, "strftime_now", args, params, 1, &format))
    return NULL;
  if (format->type != BENDI_TEMPLATE_VALUE_STRING)
    return tmpl_fail (run, "strftime_now() argument must be str, not %s", tmpl_type_name (format));
  if (strlen (format->string.data) > 1024)
    return tmpl_fail (run, "the strftime_now() format is too long");
  if (run->options.has_now)
    now = g_date_time_new_from_unix_utc (run->options.now_unix);
  else
    now = g_date_time_new_now_local ();
  if (now == NULL)
    return tmpl_fail (run, "the time given for strftime_now() is out of range");
  format_time (out, now, format->string.data);
  return tmpl_new_string (run, out->str, out->len);
}

Value *
tmpl_call_builtin (TmplRun        *run,
                   guint           id,
                   const TmplArgs *args)
{
  switch (id)
    {
    case BUILTIN_DICT:
      return builtin_mapping (run, args, BENDI_TEMPLATE_VALUE_DICT, "dict");
    case BUILTIN_NAMESPACE:
      return builtin_mapping (run, args, BENDI_TEMPLATE_VALUE_NAMESPACE, "namespace");
    case BUILTIN_RAISE_EXCEPTION:
      {
        GString *message = g_string_new (NULL);

        for (gsize i = 0; i < args->n_pos; i++)
          if (!tmpl_write_str (run, message, args->pos[i]))
            break;
        tmpl_fail_input (run, "%s", message->str);
        g_string_free (message, TRUE);
        return NULL;
      }
    case BUILTIN_RANGE:
      return builtin_range (run, args);
    case BUILTIN_STRFTIME_NOW:
      return builtin_strftime_now (run, args);
    default:
      return tmpl_fail (run, "unknown function");
    }
}
