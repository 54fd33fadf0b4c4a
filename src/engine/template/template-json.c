/* SPDX-License-Identifier: MIT */
/* tojson: Python's json.dumps, byte for byte, as Hugging Face's templates call it. */
#include "template/template-private.h"

#include <math.h>
#include <string.h>

typedef struct {
  TmplRun    *run;
  GString    *out;
  const char *indent;           /* NULL: everything on one line */
  const char *item_separator;
  const char *key_separator;
  gboolean    sort_keys;
} JsonWriter;

/* json.dumps(ensure_ascii=False) escapes only quotes, backslashes and
 * control characters. */
static void
write_string (GString    *out,
              const char *text,
              gsize       len)
{
  g_string_append_c (out, '"');
  for (gsize i = 0; i < len; i++)
    {
      guchar c = (guchar) text[i];

      switch (c)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        case '\b': g_string_append (out, "\\b"); break;
        case '\f': g_string_append (out, "\\f"); break;
        default:
          if (c < 0x20)
            g_string_append_printf (out, "\\u%04x", c);
          else
            g_string_append_c (out, (char) c);
          break;
        }
    }
  g_string_append_c (out, '"');
}

static void
write_float (GString *out,
             double   value)
{
  if (isnan (value))
    g_string_append (out, "NaN");
  else if (isinf (value))
    g_string_append (out, value < 0 ? "-Infinity" : "Infinity");
  else
    tmpl_write_float (out, value);
}

static void
newline (JsonWriter *w,
         guint       level)
{
  g_string_append_c (w->out, '\n');
  for (guint i = 0; i < level; i++)
    g_string_append (w->out, w->indent);
}

/* The text grows outside the value heap: bound it as it grows, since
 * indentation can make it far larger than the value. */
static gboolean
within_limits (JsonWriter *w)
{
  if (w->out->len > w->run->options.max_memory_bytes / 2)
    {
      tmpl_fail (w->run, "the template needs more than %" G_GSIZE_FORMAT " bytes of memory",
                 w->run->options.max_memory_bytes);
      return FALSE;
    }
  return TRUE;
}

/* Dict keys become strings as json.dumps converts them. */
static gboolean
write_key (JsonWriter  *w,
           const Value *key)
{
  switch (key->type)
    {
    case BENDI_TEMPLATE_VALUE_STRING:
      write_string (w->out, key->string.data, key->string.len);
      return TRUE;
    case BENDI_TEMPLATE_VALUE_BOOLEAN:
      g_string_append (w->out, key->boolean ? "\"true\"" : "\"false\"");
      return TRUE;
    case BENDI_TEMPLATE_VALUE_NONE:
      g_string_append (w->out, "\"null\"");
      return TRUE;
    case BENDI_TEMPLATE_VALUE_INTEGER:
      g_string_append_printf (w->out, "\"%" G_GINT64_FORMAT "\"", key->integer);
      return TRUE;
    case BENDI_TEMPLATE_VALUE_FLOAT:
      g_string_append_c (w->out, '"');
      write_float (w->out, key->number);
      g_string_append_c (w->out, '"');
      return TRUE;
    default:
      tmpl_fail (w->run, "keys must be str, int, float, bool or None, not %s", tmpl_type_name (key));
      return FALSE;
    }
}

static int
compare_entries (gconstpointer a,
                 gconstpointer b,
                 gpointer      user_data)
{
  const TmplDictEntry *x = *(const TmplDictEntry *const *) a;
  const TmplDictEntry *y = *(const TmplDictEntry *const *) b;
  JsonWriter *w = user_data;
  int order = 0;

  if (!tmpl_compare (w->run, x->key, y->key, &order))
    return 0;
  return order == 2 ? 0 : order;
}

static gboolean
write_value (JsonWriter  *w,
             const Value *v,
             guint        level)
{
  if (level > TMPL_MAX_VALUE_DEPTH)
    {
      tmpl_fail (w->run, "a value is nested too deeply (or holds itself) for tojson");
      return FALSE;
    }
  if (!tmpl_charge_steps (w->run, 1) || !within_limits (w))
    return FALSE;
  switch (v->type)
    {
    case BENDI_TEMPLATE_VALUE_NONE:
      g_string_append (w->out, "null");
      return TRUE;
    case BENDI_TEMPLATE_VALUE_BOOLEAN:
      g_string_append (w->out, v->boolean ? "true" : "false");
      return TRUE;
    case BENDI_TEMPLATE_VALUE_INTEGER:
      g_string_append_printf (w->out, "%" G_GINT64_FORMAT, v->integer);
      return TRUE;
    case BENDI_TEMPLATE_VALUE_FLOAT:
      write_float (w->out, v->number);
      return TRUE;
    case BENDI_TEMPLATE_VALUE_STRING:
      if (!tmpl_charge_steps (w->run, v->string.len / 64))
        return FALSE;
      write_string (w->out, v->string.data, v->string.len);
      return TRUE;
    case BENDI_TEMPLATE_VALUE_LIST:
    case BENDI_TEMPLATE_VALUE_TUPLE:
      if (v->flags & TMPL_FLAG_GENERATOR)
        break;
      if (v->list.len == 0)
        {
          g_string_append (w->out, "[]");
          return TRUE;
        }
      g_string_append_c (w->out, '[');
      for (gsize i = 0; i < v->list.len; i++)
        {
          if (i > 0)
            g_string_append (w->out, w->item_separator);
          if (w->indent != NULL)
            newline (w, level + 1);
          if (!write_value (w, v->list.items[i], level + 1))
            return FALSE;
        }
      if (w->indent != NULL)
        newline (w, level);
      g_string_append_c (w->out, ']');
      return TRUE;
    case BENDI_TEMPLATE_VALUE_DICT:
      {
        g_autoptr (GPtrArray) entries = NULL;

        if (v->dict.len == 0)
          {
            g_string_append (w->out, "{}");
            return TRUE;
          }
        entries = g_ptr_array_sized_new ((guint) v->dict.len);
        for (gsize i = 0; i < v->dict.len; i++)
          g_ptr_array_add (entries, &v->dict.entries[i]);
        if (w->sort_keys)
          {
            if (!tmpl_charge_steps (w->run, v->dict.len))
              return FALSE;
            g_ptr_array_sort_with_data (entries, compare_entries, w);
            if (w->run->error != NULL)
              return FALSE;
          }
        g_string_append_c (w->out, '{');
        for (guint i = 0; i < entries->len; i++)
          {
            const TmplDictEntry *entry = entries->pdata[i];

            if (i > 0)
              g_string_append (w->out, w->item_separator);
            if (w->indent != NULL)
              newline (w, level + 1);
            if (!write_key (w, entry->key))
              return FALSE;
            g_string_append (w->out, w->key_separator);
            if (!write_value (w, entry->value, level + 1))
              return FALSE;
          }
        if (w->indent != NULL)
          newline (w, level);
        g_string_append_c (w->out, '}');
        return TRUE;
      }
    default:
      break;
    }
  tmpl_fail (w->run, "Object of type %s is not JSON serializable", tmpl_type_name (v));
  return FALSE;
}

gboolean
tmpl_write_json (TmplRun     *run,
                 GString     *out,
                 const Value *v,
                 const Value *indent,
                 const char  *item_separator,
                 const char  *key_separator,
                 gboolean     sort_keys)
{
  JsonWriter w = { 0 };
  g_autofree char *indent_text = NULL;

  w.run = run;
  w.out = out;
  w.item_separator = item_separator;
  w.key_separator = key_separator;
  w.sort_keys = sort_keys;
  if (indent != NULL && indent->type != BENDI_TEMPLATE_VALUE_NONE)
    {
      if (indent->type == BENDI_TEMPLATE_VALUE_STRING)
        indent_text = g_strdup (indent->string.data);
      else if (tmpl_is_integer (indent))
        indent_text = g_strnfill ((gsize) CLAMP (tmpl_to_int64 (indent), 0, 1024), ' ');
      else
        {
          tmpl_fail (run, "indent must be an integer or a string");
          return FALSE;
        }
      w.indent = indent_text;
    }
  if (!write_value (&w, v, 0))
    return FALSE;
  /* The text is built outside the value heap; count it once it exists. */
  return tmpl_check_memory (run, out->len) && tmpl_charge_steps (run, out->len / 64);
}
