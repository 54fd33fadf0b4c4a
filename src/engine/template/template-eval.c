/* SPDX-License-Identifier: MIT */
/* The template evaluator: walks the parse tree, with every step, byte and level of nesting counted. */
#include "template/template-private.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

typedef enum {
  EXEC_OK,
  EXEC_BREAK,
  EXEC_CONTINUE,
  EXEC_ERROR,
} Exec;

/* Where a statement writes: the rendering, or a block being captured. */
typedef struct {
  GString *text;
  gsize    charged;
} Out;

static Value *eval (TmplRun *run, Value *frame, const TmplNode *node);
static Exec   exec_list (TmplRun *run, Value *frame, const TmplNodeList *list, Out *out);

/* ------------------------------------------------------------------------ */
/* Errors and limits. */

G_GNUC_PRINTF (3, 0)
static gpointer
fail_valist (TmplRun    *run,
             int         code,
             const char *format,
             va_list     args)
{
  if (run == NULL || run->error != NULL)
    return NULL;
  run->error = g_error_new_valist (BENDI_ENGINE_ERROR, code, format, args);
  run->error_located = FALSE;
  return NULL;
}

gpointer
tmpl_fail (TmplRun    *run,
           const char *format,
           ...)
{
  va_list args;

  va_start (args, format);
  fail_valist (run, BENDI_ENGINE_ERROR_INVALID_FILE, format, args);
  va_end (args);
  return NULL;
}

gpointer
tmpl_fail_input (TmplRun    *run,
                 const char *format,
                 ...)
{
  va_list args;

  va_start (args, format);
  fail_valist (run, BENDI_ENGINE_ERROR_INVALID_INPUT, format, args);
  va_end (args);
  return NULL;
}

/* Gives a recorded error the position of the innermost node it came
 * through. */
static void
locate (TmplRun        *run,
        const TmplNode *node)
{
  char *message;

  if (run->error == NULL || run->error_located)
    return;
  message = g_strdup_printf ("%u:%u: %s", node->line, node->column, run->error->message);
  g_free (run->error->message);
  run->error->message = message;
  run->error_located = TRUE;
}

gboolean
tmpl_charge_steps (TmplRun *run,
                   guint64  n)
{
  if (run == NULL)
    return TRUE;
  if (n > run->options.max_steps - MIN (run->steps, run->options.max_steps))
    {
      run->steps = run->options.max_steps;
      tmpl_fail (run, "the template took more than %" G_GUINT64_FORMAT " steps", run->options.max_steps);
      return FALSE;
    }
  run->steps += n;
  return TRUE;
}

gboolean
tmpl_charge_text (TmplRun *run,
                  gsize    len)
{
  return tmpl_charge_steps (run, len / 16);
}

gboolean
tmpl_charge_memory (TmplRun *run,
                    gsize    bytes)
{
  if (run == NULL)
    return TRUE;
  if (bytes > run->options.max_memory_bytes - MIN (run->live_bytes, run->options.max_memory_bytes))
    {
      tmpl_fail (run, "the template needs more than %" G_GSIZE_FORMAT " bytes of memory",
                 run->options.max_memory_bytes);
      return FALSE;
    }
  run->live_bytes += bytes;
  return TRUE;
}

gboolean
tmpl_check_memory (TmplRun *run,
                   gsize    bytes)
{
  if (!tmpl_charge_memory (run, bytes))
    return FALSE;
  tmpl_release_memory (run, bytes);
  return TRUE;
}

void
tmpl_release_memory (TmplRun *run,
                     gsize    bytes)
{
  run->live_bytes -= MIN (bytes, run->live_bytes);
}

static gboolean
enter (TmplRun *run)
{
  if (run->eval_depth >= TMPL_MAX_EVAL_DEPTH)
    {
      tmpl_fail (run, "the template nests evaluation more than %d levels deep", TMPL_MAX_EVAL_DEPTH);
      return FALSE;
    }
  run->eval_depth++;
  return tmpl_charge_steps (run, 1);
}

/* ------------------------------------------------------------------------ */
/* Output. */

static gboolean
out_append (TmplRun    *run,
            Out        *out,
            const char *text,
            gsize       len)
{
  if (len > run->options.max_output_bytes - MIN (out->text->len, run->options.max_output_bytes))
    {
      tmpl_fail (run, "the output is longer than %" G_GSIZE_FORMAT " bytes", run->options.max_output_bytes);
      return FALSE;
    }
  if (!tmpl_charge_steps (run, len / 64))
    return FALSE;
  g_string_append_len (out->text, text, (gssize) len);
  if (out->text->allocated_len > out->charged)
    {
      if (!tmpl_charge_memory (run, out->text->allocated_len - out->charged))
        return FALSE;
      out->charged = out->text->allocated_len;
    }
  return TRUE;
}

static void
out_init (Out *out)
{
  out->text = g_string_new (NULL);
  out->charged = 0;
}

static void
out_clear (TmplRun *run,
           Out     *out)
{
  tmpl_release_memory (run, out->charged);
  out->charged = 0;
  if (out->text != NULL)
    g_string_free (out->text, TRUE);
  out->text = NULL;
}

/* The captured text as a string value; clears @out. */
static Value *
out_take_value (TmplRun *run,
                Out     *out)
{
  Value *v = tmpl_new_string (run, out->text->str, out->text->len);

  out_clear (run, out);
  return v;
}

static gboolean
out_write_value (TmplRun     *run,
                 Out         *out,
                 const Value *v)
{
  GString *text;
  gboolean ok;

  if (v->type == BENDI_TEMPLATE_VALUE_STRING)
    return out_append (run, out, v->string.data, v->string.len);
  if (v->type == BENDI_TEMPLATE_VALUE_UNDEFINED)
    return TRUE;
  if (v->type == BENDI_TEMPLATE_VALUE_INTEGER)
    {
      char digits[32];
      int n = g_snprintf (digits, sizeof digits, "%" G_GINT64_FORMAT, v->integer);

      return out_append (run, out, digits, (gsize) n);
    }
  text = g_string_new (NULL);
  ok = tmpl_write_str (run, text, v) && out_append (run, out, text->str, text->len);
  g_string_free (text, TRUE);
  return ok;
}

/* ------------------------------------------------------------------------ */
/* Attributes, items and slices. */

static Value *
loop_attr (TmplRun    *run,
           Value      *loop,
           const char *name)
{
  gsize length = loop->loop.items->list.len;
  gsize i = loop->loop.index0;

  if (g_str_equal (name, "index"))
    return tmpl_new_int (run, (gint64) i + 1);
  if (g_str_equal (name, "index0"))
    return tmpl_new_int (run, (gint64) i);
  if (g_str_equal (name, "revindex"))
    return tmpl_new_int (run, (gint64) (length - i));
  if (g_str_equal (name, "revindex0"))
    return tmpl_new_int (run, (gint64) (length - i - 1));
  if (g_str_equal (name, "first"))
    return TMPL_BOOL (i == 0);
  if (g_str_equal (name, "last"))
    return TMPL_BOOL (i + 1 == length);
  if (g_str_equal (name, "length"))
    return tmpl_new_int (run, (gint64) length);
  if (g_str_equal (name, "depth"))
    return tmpl_new_int (run, (gint64) loop->loop.depth0 + 1);
  if (g_str_equal (name, "depth0"))
    return tmpl_new_int (run, (gint64) loop->loop.depth0);
  if (g_str_equal (name, "previtem"))
    return i > 0 ? tmpl_ref (loop->loop.items->list.items[i - 1]) : TMPL_UNDEFINED;
  if (g_str_equal (name, "nextitem"))
    return i + 1 < length ? tmpl_ref (loop->loop.items->list.items[i + 1]) : TMPL_UNDEFINED;
  return NULL;
}

Value *
tmpl_get_attr (TmplRun    *run,
               Value      *obj,
               const char *name)
{
  int method;

  switch (obj->type)
    {
    case BENDI_TEMPLATE_VALUE_NAMESPACE:
      {
        Value *found = tmpl_dict_get_str (obj, name, strlen (name));

        return found != NULL ? tmpl_ref (found) : TMPL_UNDEFINED;
      }
    case TMPL_VALUE_LOOP:
      {
        Value *found = loop_attr (run, obj, name);

        if (found != NULL || run->error != NULL)
          return found;
      }
      break;
    default:
      break;
    }
  /* Python's getattr comes first: d.items is the method even when the
   * dict has an "items" key. Names starting with "_" are never exposed. */
  method = name[0] != '_' ? tmpl_find_method (obj, name) : -1;
  if (method >= 0)
    return tmpl_new_callable (run, TMPL_CALL_METHOD, (guint) method, name, obj, NULL);
  if (obj->type == BENDI_TEMPLATE_VALUE_DICT)
    {
      Value *found = tmpl_dict_get_str (obj, name, strlen (name));

      if (!tmpl_charge_steps (run, strlen (name) / 64))
        return NULL;
      return found != NULL ? tmpl_ref (found) : TMPL_UNDEFINED;
    }
  return TMPL_UNDEFINED;
}

/* The byte offset of code point @index in a string (@index ≤ its length). */
static gsize
char_offset (const Value *s,
             gsize        index)
{
  const char *p = s->string.data;

  if (s->flags & TMPL_FLAG_ASCII)
    return index;
  if (s->run != NULL)
    tmpl_charge_text (s->run, index);
  for (gsize i = 0; i < index; i++)
    p = g_utf8_next_char (p);
  return (gsize) (p - s->string.data);
}

static gsize
sequence_length (Value *v)
{
  return v->type == BENDI_TEMPLATE_VALUE_STRING ? tmpl_string_n_chars (v) : v->list.len;
}

Value *
tmpl_get_item (TmplRun *run,
               Value   *obj,
               Value   *key)
{
  switch (obj->type)
    {
    case BENDI_TEMPLATE_VALUE_DICT:
    case BENDI_TEMPLATE_VALUE_NAMESPACE:
      {
        Value *found;

        if (key->type == BENDI_TEMPLATE_VALUE_STRING && !tmpl_charge_steps (run, key->string.len / 64))
          return NULL;
        found = tmpl_dict_get (obj, key);
        if (found != NULL)
          return tmpl_ref (found);
      }
      break;
    case BENDI_TEMPLATE_VALUE_LIST:
    case BENDI_TEMPLATE_VALUE_TUPLE:
    case BENDI_TEMPLATE_VALUE_STRING:
      if (tmpl_is_integer (key) && !(obj->flags & TMPL_FLAG_GENERATOR))
        {
          gint64 len = (gint64) sequence_length (obj);
          gint64 i = tmpl_to_int64 (key);

          if (i < 0)
            i += len;
          if (i < 0 || i >= len)
            return TMPL_UNDEFINED;
          if (obj->type != BENDI_TEMPLATE_VALUE_STRING)
            return tmpl_ref (obj->list.items[i]);
          {
            gsize start = char_offset (obj, (gsize) i);
            gsize end = start + (gsize) (g_utf8_next_char (obj->string.data + start) - (obj->string.data + start));

            return tmpl_new_string (run, obj->string.data + start, end - start);
          }
        }
      break;
    case TMPL_VALUE_LOOP:
      break;
    default:
      return TMPL_UNDEFINED;
    }
  /* Jinja falls back to the attribute of that name. */
  if (key->type == BENDI_TEMPLATE_VALUE_STRING && strlen (key->string.data) == key->string.len &&
      obj->type != BENDI_TEMPLATE_VALUE_DICT && obj->type != BENDI_TEMPLATE_VALUE_NAMESPACE)
    return tmpl_get_attr (run, obj, key->string.data);
  if (key->type == BENDI_TEMPLATE_VALUE_STRING && obj->type == BENDI_TEMPLATE_VALUE_DICT &&
      strlen (key->string.data) == key->string.len)
    {
      int method = tmpl_find_method (obj, key->string.data);

      if (method >= 0 && key->string.data[0] != '_')
        return tmpl_new_callable (run, TMPL_CALL_METHOD, (guint) method, key->string.data, obj, NULL);
    }
  return TMPL_UNDEFINED;
}

static gboolean
slice_index (TmplRun *run,
             Value   *v,
             gint64  *out,
             gboolean *given)
{
  *given = FALSE;
  if (v == NULL || v->type == BENDI_TEMPLATE_VALUE_NONE)
    return TRUE;
  if (!tmpl_is_integer (v))
    {
      tmpl_fail (run, "slice indices must be integers or None");
      return FALSE;
    }
  *out = tmpl_to_int64 (v);
  *given = TRUE;
  return TRUE;
}

/* Python's slice semantics on strings, lists and tuples. */
static Value *
slice (TmplRun *run,
       Value   *obj,
       Value   *start_v,
       Value   *stop_v,
       Value   *step_v)
{
  gint64 start = 0, stop = 0, step = 1, len, count;
  gboolean has_start, has_stop, has_step;
  Value *result;

  /* Jinja slices with Python's own subscription, not its lenient getitem:
   * anything but a sequence fails (undefined stays undefined here). */
  if (obj->type == BENDI_TEMPLATE_VALUE_UNDEFINED)
    return TMPL_UNDEFINED;
  if ((!tmpl_is_sequence (obj) && obj->type != BENDI_TEMPLATE_VALUE_STRING) || (obj->flags & TMPL_FLAG_GENERATOR))
    return tmpl_fail (run, "'%s' object is not subscriptable", tmpl_type_name (obj));
  if (!slice_index (run, start_v, &start, &has_start) || !slice_index (run, stop_v, &stop, &has_stop) ||
      !slice_index (run, step_v, &step, &has_step))
    return NULL;
  if (!has_step)
    step = 1;
  if (step == 0)
    return tmpl_fail (run, "slice step cannot be zero");
  if (step == G_MININT64)
    step = -G_MAXINT64;
  len = (gint64) sequence_length (obj);
  if (!has_start)
    start = step > 0 ? 0 : len - 1;
  else if (start < 0)
    {
      start = start < -len ? (step > 0 ? 0 : -1) : start + len;
    }
  else if (start >= len)
    start = step > 0 ? len : len - 1;
  if (!has_stop)
    stop = step > 0 ? len : -1;
  else if (stop < 0)
    {
      stop = stop < -len ? (step > 0 ? 0 : -1) : stop + len;
    }
  else if (stop >= len)
    stop = step > 0 ? len : len - 1;
  if (step > 0)
    count = start < stop ? (stop - start - 1) / step + 1 : 0;
  else
    count = stop < start ? (start - stop - 1) / (-step) + 1 : 0;

  if (obj->type == BENDI_TEMPLATE_VALUE_STRING)
    {
      GString *text;

      if (step == 1)
        {
          gsize from = char_offset (obj, (gsize) start);
          gsize to = count > 0 ? char_offset (obj, (gsize) (start + count)) : from;

          return tmpl_new_string (run, obj->string.data + from, to - from);
        }
      if (!tmpl_charge_steps (run, (guint64) len / 8 + (guint64) count))
        return NULL;
      text = g_string_new (NULL);
      {
        /* Offsets of every character, for stepping in either direction. */
        g_autofree gsize *offsets = g_new (gsize, (gsize) len + 1);
        const char *p = obj->string.data;

        for (gint64 i = 0; i <= len; i++)
          {
            offsets[i] = (gsize) (p - obj->string.data);
            if (i < len)
              p = g_utf8_next_char (p);
          }
        for (gint64 i = 0, at = start; i < count; i++, at += step)
          g_string_append_len (text, obj->string.data + offsets[at], (gssize) (offsets[at + 1] - offsets[at]));
      }
      return tmpl_new_string_take_gstring (run, text);
    }
  result = tmpl_new_list (run, obj->type, (gsize) count);
  if (result == NULL)
    return NULL;
  for (gint64 i = 0, at = start; i < count; i++, at += step)
    tmpl_list_append (run, result, tmpl_ref (obj->list.items[at]));
  return result;
}

/* ------------------------------------------------------------------------ */
/* Calls. */

typedef struct {
  TmplArgs    args;
  Value      *inline_values[8];
  Value     **values;   /* n_pos positional, then n_kw keyword */
} EvaluatedArgs;

static void
args_clear (EvaluatedArgs *ea)
{
  gsize n = ea->args.n_pos + ea->args.n_kw;

  for (gsize i = 0; i < n; i++)
    tmpl_unref (ea->values[i]);
  if (ea->values != ea->inline_values)
    g_free (ea->values);
  ea->values = NULL;
}

/* Evaluates a call's arguments; @extra_name/@extra (borrowed) adds one more
 * keyword, for the caller of a call block. */
static gboolean
args_eval (TmplRun        *run,
           Value          *frame,
           const TmplNode *node,
           const char     *extra_name,
           Value          *extra,
           EvaluatedArgs  *ea,
           const char    **kw_names_buf,
           gsize           kw_names_buf_len)
{
  gsize n_pos = node->items.len;
  gsize n_kw = node->values.len + (extra != NULL ? 1 : 0);
  gsize n = n_pos + n_kw;

  ea->values = n <= G_N_ELEMENTS (ea->inline_values) ? ea->inline_values : g_new (Value *, n);
  ea->args.n_pos = 0;
  ea->args.n_kw = 0;
  ea->args.pos = ea->values;
  ea->args.kw = ea->values + n_pos;
  if (extra != NULL && n_kw > kw_names_buf_len)
    {
      args_clear (ea);
      tmpl_fail (run, "too many keyword arguments");
      return FALSE;
    }
  ea->args.kw_names = node->kw_names;
  for (gsize i = 0; i < n_pos; i++)
    {
      Value *v = eval (run, frame, node->items.items[i]);

      if (v == NULL)
        {
          args_clear (ea);
          return FALSE;
        }
      ea->values[ea->args.n_pos++] = v;
    }
  for (gsize i = 0; i < node->values.len; i++)
    {
      Value *v = eval (run, frame, node->values.items[i]);

      if (v == NULL)
        {
          args_clear (ea);
          return FALSE;
        }
      ea->values[n_pos + ea->args.n_kw++] = v;
    }
  if (extra != NULL)
    {
      for (gsize i = 0; i < node->values.len; i++)
        kw_names_buf[i] = node->kw_names[i];
      kw_names_buf[node->values.len] = extra_name;
      ea->args.kw_names = kw_names_buf;
      ea->values[n_pos + ea->args.n_kw++] = tmpl_ref (extra);
    }
  return TRUE;
}

static Value *
capture_body (TmplRun            *run,
              Value              *frame,
              const TmplNodeList *body)
{
  Out out;
  Exec status;

  out_init (&out);
  status = exec_list (run, frame, body, &out);
  if (status == EXEC_ERROR)
    {
      out_clear (run, &out);
      return NULL;
    }
  return out_take_value (run, &out);
}

static Value *
call_macro (TmplRun        *run,
            Value          *macro,
            const TmplArgs *args)
{
  const BendiTemplate *tmpl = run->tmpl;
  const TmplNode *node = macro->callable.node;
  const char *name = macro->callable.name;
  gsize n_params = node->params.len;
  Value *frame;
  Value *varargs = NULL;
  Value *kwargs = NULL;
  Value *result = NULL;
  g_autofree gboolean *bound = NULL;

  if (run->macro_depth >= run->options.max_recursion)
    return tmpl_fail (run, "macros call each other more than %u deep", run->options.max_recursion);
  frame = tmpl_new_frame (run, macro->callable.self);
  if (frame == NULL)
    return NULL;
  bound = g_new0 (gboolean, n_params + 1);

  for (gsize i = 0; i < args->n_pos; i++)
    {
      if (i < n_params)
        {
          if (!tmpl_frame_set (run, frame, node->params.items[i]->name, tmpl_ref (args->pos[i])))
            goto out;
          bound[i] = TRUE;
          continue;
        }
      if (!(node->flags & TMPL_MACRO_VARARGS))
        {
          tmpl_fail (run, "macro '%s' takes not more than %" G_GSIZE_FORMAT " argument(s)", name, n_params);
          goto out;
        }
      if (varargs == NULL && (varargs = tmpl_new_list (run, BENDI_TEMPLATE_VALUE_TUPLE, 0)) == NULL)
        goto out;
      if (!tmpl_list_append (run, varargs, tmpl_ref (args->pos[i])))
        goto out;
    }
  for (gsize k = 0; k < args->n_kw; k++)
    {
      const char *kw = args->kw_names[k];
      gsize i;

      for (i = 0; i < n_params; i++)
        if (g_str_equal (node->params.items[i]->name, kw))
          break;
      if (i < n_params)
        {
          if (bound[i])
            {
              tmpl_fail (run, "macro '%s' got multiple values for argument '%s'", name, kw);
              goto out;
            }
          if (!tmpl_frame_set (run, frame, node->params.items[i]->name, tmpl_ref (args->kw[k])))
            goto out;
          bound[i] = TRUE;
        }
      else if (kw == tmpl->name_caller && (node->flags & TMPL_MACRO_CALLER))
        {
          if (!tmpl_frame_set (run, frame, tmpl->name_caller, tmpl_ref (args->kw[k])))
            goto out;
        }
      else if (node->flags & TMPL_MACRO_KWARGS)
        {
          Value *key;

          if (kwargs == NULL && (kwargs = tmpl_new_dict (run, BENDI_TEMPLATE_VALUE_DICT)) == NULL)
            goto out;
          key = tmpl_new_string (run, kw, strlen (kw));
          if (key == NULL || !tmpl_dict_set (run, kwargs, key, tmpl_ref (args->kw[k])))
            goto out;
        }
      else
        {
          tmpl_fail (run, "macro '%s' takes no keyword argument '%s'", name, kw);
          goto out;
        }
    }
  run->macro_depth++;
  for (gsize i = 0; i < n_params; i++)
    {
      Value *v;

      if (bound[i])
        continue;
      /* Defaults see the parameters before them. */
      v = node->defaults.items[i] != NULL ? eval (run, frame, node->defaults.items[i]) : TMPL_UNDEFINED;
      if (v == NULL || !tmpl_frame_set (run, frame, node->params.items[i]->name, v))
        {
          run->macro_depth--;
          goto out;
        }
    }
  if (node->flags & TMPL_MACRO_VARARGS)
    {
      if (varargs == NULL)
        varargs = tmpl_new_list (run, BENDI_TEMPLATE_VALUE_TUPLE, 0);
      if (varargs == NULL || !tmpl_frame_set (run, frame, tmpl->name_varargs, g_steal_pointer (&varargs)))
        {
          run->macro_depth--;
          goto out;
        }
    }
  if (node->flags & TMPL_MACRO_KWARGS)
    {
      if (kwargs == NULL)
        kwargs = tmpl_new_dict (run, BENDI_TEMPLATE_VALUE_DICT);
      if (kwargs == NULL || !tmpl_frame_set (run, frame, tmpl->name_kwargs, g_steal_pointer (&kwargs)))
        {
          run->macro_depth--;
          goto out;
        }
    }
  result = capture_body (run, frame, &node->body);
  run->macro_depth--;
out:
  tmpl_unref (varargs);
  tmpl_unref (kwargs);
  tmpl_unref (frame);
  return result;
}

static Value *run_loop_capture (TmplRun *run, Value *loop, Value *iterable);

Value *
tmpl_call (TmplRun        *run,
           Value          *callee,
           const TmplArgs *args)
{
  if (callee->type == TMPL_VALUE_LOOP)
    {
      if (!(callee->loop.node->flags & TMPL_FOR_RECURSIVE))
        return tmpl_fail (run, "the loop is not recursive: only loops marked 'recursive' can be called");
      if (args->n_pos != 1 || args->n_kw != 0)
        return tmpl_fail (run, "loop() takes exactly one argument");
      return run_loop_capture (run, callee, args->pos[0]);
    }
  if (callee->type != BENDI_TEMPLATE_VALUE_CALLABLE)
    {
      if (callee->type == BENDI_TEMPLATE_VALUE_UNDEFINED)
        return tmpl_fail (run, "an undefined value was called");
      return tmpl_fail (run, "'%s' object is not callable", tmpl_type_name (callee));
    }
  switch (callee->callable.kind)
    {
    case TMPL_CALL_BUILTIN:
      return tmpl_call_builtin (run, callee->callable.id, args);
    case TMPL_CALL_METHOD:
      return tmpl_call_method (run, callee->callable.self, callee->callable.id, args);
    case TMPL_CALL_MACRO:
      return call_macro (run, callee, args);
    default:
      return tmpl_fail (run, "'%s' object is not callable", tmpl_type_name (callee));
    }
}

static Value *
eval_call (TmplRun        *run,
           Value          *frame,
           const TmplNode *node,
           Value          *caller)
{
  const TmplNode *callee_node = node->a;
  EvaluatedArgs ea;
  const char *kw_names_buf[64];
  Value *callee;
  Value *result;

  if (callee_node->kind == TMPL_NODE_ATTR)
    {
      /* obj.method(…) without making the bound method. */
      Value *obj = eval (run, frame, callee_node->a);
      int method;

      if (obj == NULL)
        return NULL;
      method = callee_node->name[0] != '_' ? tmpl_find_method (obj, callee_node->name) : -1;
      if (method >= 0)
        {
          if (!args_eval (run, frame, node, run->tmpl->name_caller, caller, &ea, kw_names_buf,
                          G_N_ELEMENTS (kw_names_buf)))
            {
              tmpl_unref (obj);
              return NULL;
            }
          result = tmpl_call_method (run, obj, (guint) method, &ea.args);
          args_clear (&ea);
          tmpl_unref (obj);
          return result;
        }
      callee = tmpl_get_attr (run, obj, callee_node->name);
      tmpl_unref (obj);
      if (callee != NULL && callee->type == BENDI_TEMPLATE_VALUE_UNDEFINED)
        return tmpl_fail (run, "'%s' is undefined", callee_node->name);
    }
  else
    {
      callee = eval (run, frame, callee_node);
      if (callee != NULL && callee->type == BENDI_TEMPLATE_VALUE_UNDEFINED && callee_node->kind == TMPL_NODE_NAME)
        return tmpl_fail (run, "'%s' is undefined", callee_node->name);
    }
  if (callee == NULL)
    return NULL;
  if (!args_eval (run, frame, node, run->tmpl->name_caller, caller, &ea, kw_names_buf,
                  G_N_ELEMENTS (kw_names_buf)))
    {
      tmpl_unref (callee);
      return NULL;
    }
  result = tmpl_call (run, callee, &ea.args);
  args_clear (&ea);
  tmpl_unref (callee);
  return result;
}

/* A FILTER node; @block_subject stands for the innermost NULL subject of a
 * filter block or block set. */
static Value *
eval_filter (TmplRun        *run,
             Value          *frame,
             const TmplNode *node,
             Value          *block_subject)
{
  EvaluatedArgs ea;
  Value *subject;
  Value *result;

  if (node->a == NULL)
    subject = tmpl_ref (block_subject);
  else if (node->a->kind == TMPL_NODE_FILTER)
    {
      subject = eval_filter (run, frame, node->a, block_subject);
      if (subject == NULL)
        locate (run, node->a);
    }
  else
    subject = eval (run, frame, node->a);
  if (subject == NULL)
    return NULL;
  if (node->filter == NULL)
    {
      tmpl_unref (subject);
      return tmpl_fail (run, "no filter named '%s'", node->name);
    }
  if (!args_eval (run, frame, node, NULL, NULL, &ea, NULL, 0))
    {
      tmpl_unref (subject);
      return NULL;
    }
  result = tmpl_apply_filter (run, node->filter, subject, &ea.args);
  args_clear (&ea);
  tmpl_unref (subject);
  return result;
}

static Value *
eval_test (TmplRun        *run,
           Value          *frame,
           const TmplNode *node)
{
  EvaluatedArgs ea;
  Value *subject;
  gboolean result = FALSE;
  gboolean ok;

  if (node->test == NULL)
    return tmpl_fail (run, "no test named '%s'", node->name);
  subject = eval (run, frame, node->a);
  if (subject == NULL)
    return NULL;
  if (!args_eval (run, frame, node, NULL, NULL, &ea, NULL, 0))
    {
      tmpl_unref (subject);
      return NULL;
    }
  ok = tmpl_apply_test (run, node->test, subject, &ea.args, &result);
  args_clear (&ea);
  tmpl_unref (subject);
  return ok ? TMPL_BOOL (result) : NULL;
}

/* ------------------------------------------------------------------------ */
/* Expressions. */

static Value *
eval_literal (TmplRun        *run,
              Value          *frame,
              const TmplNode *node)
{
  Value *result;

  if (node->kind == TMPL_NODE_DICT)
    {
      result = tmpl_new_dict (run, BENDI_TEMPLATE_VALUE_DICT);
      for (guint i = 0; result != NULL && i < node->items.len; i++)
        {
          Value *key = eval (run, frame, node->items.items[i]);
          Value *value = key != NULL ? eval (run, frame, node->values.items[i]) : NULL;

          if (value == NULL)
            {
              tmpl_unref (key);
              tmpl_unref (result);
              return NULL;
            }
          if (!tmpl_dict_set (run, result, key, value))
            {
              tmpl_unref (result);
              return NULL;
            }
        }
      return result;
    }
  result = tmpl_new_list (run, node->kind == TMPL_NODE_LIST ? BENDI_TEMPLATE_VALUE_LIST : BENDI_TEMPLATE_VALUE_TUPLE,
                          node->items.len);
  for (guint i = 0; result != NULL && i < node->items.len; i++)
    {
      Value *item = eval (run, frame, node->items.items[i]);

      if (item == NULL || !tmpl_list_append (run, result, item))
        {
          tmpl_unref (result);
          return NULL;
        }
    }
  return result;
}

static Value *
eval_compare (TmplRun        *run,
              Value          *frame,
              const TmplNode *node)
{
  Value *left = eval (run, frame, node->a);

  if (left == NULL)
    return NULL;
  for (guint i = 0; i < node->items.len; i++)
    {
      Value *right = eval (run, frame, node->items.items[i]);
      gboolean result;

      if (right == NULL || !tmpl_compare_op (run, node->ops[i], left, right, &result))
        {
          tmpl_unref (left);
          tmpl_unref (right);
          return NULL;
        }
      tmpl_unref (left);
      left = right;
      if (!result)
        {
          tmpl_unref (left);
          return TMPL_FALSE;
        }
    }
  tmpl_unref (left);
  return TMPL_TRUE;
}

static Value *
eval_concat (TmplRun        *run,
             Value          *frame,
             const TmplNode *node)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < node->items.len; i++)
    {
      Value *v = eval (run, frame, node->items.items[i]);
      gboolean ok;

      if (v == NULL)
        {
          g_string_free (text, TRUE);
          return NULL;
        }
      /* Refuse before copying what would not fit. */
      if (v->type == BENDI_TEMPLATE_VALUE_STRING && !tmpl_check_memory (run, text->len + v->string.len))
        {
          tmpl_unref (v);
          g_string_free (text, TRUE);
          return NULL;
        }
      ok = tmpl_write_str (run, text, v);
      tmpl_unref (v);
      if (!ok || !tmpl_charge_steps (run, text->len / 64) || !tmpl_check_memory (run, text->len))
        {
          g_string_free (text, TRUE);
          return NULL;
        }
    }
  return tmpl_new_string_take_gstring (run, text);
}

static Value *
eval_inner (TmplRun        *run,
            Value          *frame,
            const TmplNode *node)
{
  Value *a, *b, *result;

  switch (node->kind)
    {
    case TMPL_NODE_CONST:
      return node->constant;
    case TMPL_NODE_NAME:
      {
        Value *found = tmpl_frame_lookup (frame, node->name);

        if (found != NULL)
          return tmpl_ref (found);
        found = tmpl_find_global (node->name);
        return found != NULL ? found : TMPL_UNDEFINED;
      }
    case TMPL_NODE_LIST:
    case TMPL_NODE_TUPLE:
    case TMPL_NODE_DICT:
      return eval_literal (run, frame, node);
    case TMPL_NODE_ATTR:
      a = eval (run, frame, node->a);
      if (a == NULL)
        return NULL;
      result = tmpl_get_attr (run, a, node->name);
      tmpl_unref (a);
      return result;
    case TMPL_NODE_ITEM:
      a = eval (run, frame, node->a);
      b = a != NULL ? eval (run, frame, node->b) : NULL;
      result = b != NULL ? tmpl_get_item (run, a, b) : NULL;
      tmpl_unref (a);
      tmpl_unref (b);
      return result;
    case TMPL_NODE_SLICE:
      {
        Value *parts[3] = { NULL, NULL, NULL };
        const TmplNode *part_nodes[3] = { node->b, node->c, node->d };

        a = eval (run, frame, node->a);
        result = NULL;
        if (a != NULL)
          {
            gboolean ok = TRUE;

            for (int i = 0; i < 3 && ok; i++)
              if (part_nodes[i] != NULL)
                ok = (parts[i] = eval (run, frame, part_nodes[i])) != NULL;
            if (ok)
              result = slice (run, a, parts[0], parts[1], parts[2]);
          }
        tmpl_unref (a);
        for (int i = 0; i < 3; i++)
          tmpl_unref (parts[i]);
        return result;
      }
    case TMPL_NODE_CALL:
      return eval_call (run, frame, node, NULL);
    case TMPL_NODE_FILTER:
      return eval_filter (run, frame, node, TMPL_UNDEFINED);
    case TMPL_NODE_TEST:
      return eval_test (run, frame, node);
    case TMPL_NODE_NEG:
    case TMPL_NODE_POS:
      a = eval (run, frame, node->a);
      if (a == NULL)
        return NULL;
      if (!tmpl_is_number (a))
        result = tmpl_fail (run, "bad operand type for unary %c: '%s'", node->kind == TMPL_NODE_NEG ? '-' : '+',
                            tmpl_type_name (a));
      else if (node->kind == TMPL_NODE_POS)
        result = a->type == BENDI_TEMPLATE_VALUE_BOOLEAN ? tmpl_new_int (run, tmpl_to_int64 (a)) : tmpl_ref (a);
      else if (a->type == BENDI_TEMPLATE_VALUE_FLOAT)
        result = tmpl_new_float (run, -a->number);
      else if (tmpl_to_int64 (a) == G_MININT64)
        result = tmpl_fail (run, "integer overflow");
      else
        result = tmpl_new_int (run, -tmpl_to_int64 (a));
      tmpl_unref (a);
      return result;
    case TMPL_NODE_NOT:
      a = eval (run, frame, node->a);
      if (a == NULL)
        return NULL;
      result = TMPL_BOOL (!tmpl_truthy (a));
      tmpl_unref (a);
      return result;
    case TMPL_NODE_AND:
    case TMPL_NODE_OR:
      /* Python returns the deciding operand, not a bool. */
      a = eval (run, frame, node->a);
      if (a == NULL)
        return NULL;
      if (tmpl_truthy (a) == (node->kind == TMPL_NODE_OR))
        return a;
      tmpl_unref (a);
      return eval (run, frame, node->b);
    case TMPL_NODE_BINARY:
      a = eval (run, frame, node->a);
      b = a != NULL ? eval (run, frame, node->b) : NULL;
      result = b != NULL ? tmpl_binary (run, node->op, a, b) : NULL;
      tmpl_unref (a);
      tmpl_unref (b);
      return result;
    case TMPL_NODE_CONCAT:
      return eval_concat (run, frame, node);
    case TMPL_NODE_COMPARE:
      return eval_compare (run, frame, node);
    case TMPL_NODE_COND:
      a = eval (run, frame, node->a);
      if (a == NULL)
        return NULL;
      {
        const TmplNode *branch = tmpl_truthy (a) ? node->b : node->c;

        tmpl_unref (a);
        if (branch == NULL)
          return TMPL_UNDEFINED;
        return eval (run, frame, branch);
      }
    default:
      return tmpl_fail (run, "this is not an expression");
    }
}

static Value *
eval (TmplRun        *run,
      Value          *frame,
      const TmplNode *node)
{
  Value *result = NULL;

  if (enter (run))
    {
      result = eval_inner (run, frame, node);
      run->eval_depth--;
    }
  if (result == NULL)
    locate (run, node);
  return result;
}

/* ------------------------------------------------------------------------ */
/* Statements. */

static gboolean
assign (TmplRun        *run,
        Value          *frame,
        const TmplNode *target,
        Value          *value)
{
  switch (target->kind)
    {
    case TMPL_NODE_NAME:
      return tmpl_frame_set (run, frame, target->name, value);
    case TMPL_NODE_NSREF:
      {
        Value *ns = tmpl_frame_lookup (frame, target->a->name);
        Value *key;

        if (ns == NULL || ns->type != BENDI_TEMPLATE_VALUE_NAMESPACE)
          {
            tmpl_unref (value);
            tmpl_fail (run, "cannot assign attribute on non-namespace object");
            return FALSE;
          }
        key = tmpl_new_string (run, target->name, strlen (target->name));
        if (key == NULL)
          {
            tmpl_unref (value);
            return FALSE;
          }
        return tmpl_dict_set (run, ns, key, value);
      }
    case TMPL_NODE_TUPLE:
      {
        Value *items = tmpl_iterate (run, value);
        gboolean ok = items != NULL;

        tmpl_unref (value);
        if (ok && items->list.len != target->items.len)
          {
            if (items->list.len > target->items.len)
              tmpl_fail (run, "too many values to unpack (expected %u)", target->items.len);
            else
              tmpl_fail (run, "not enough values to unpack (expected %u, got %" G_GSIZE_FORMAT ")",
                         target->items.len, items->list.len);
            ok = FALSE;
          }
        for (guint i = 0; ok && i < target->items.len; i++)
          ok = assign (run, frame, target->items.items[i], tmpl_ref (items->list.items[i]));
        tmpl_unref (items);
        return ok;
      }
    default:
      tmpl_unref (value);
      tmpl_fail (run, "cannot assign to this expression");
      return FALSE;
    }
}

/* Runs a for loop's body over @loop's items; @frame is where the loop
 * statement runs. */
static Exec
run_loop (TmplRun *run,
          Value   *frame,
          Value   *loop,
          Out     *out)
{
  const TmplNode *node = loop->loop.node;
  Value *items = loop->loop.items;
  Exec status = EXEC_OK;

  Value *iteration = NULL;

  for (gsize i = 0; i < items->list.len; i++)
    {
      if (!tmpl_charge_steps (run, 1))
        break;
      /* Each iteration starts a fresh scope. The last one's frame is
       * emptied and reused unless something (a macro's closure) kept it. */
      if (iteration != NULL && iteration->ref_count == 1)
        tmpl_frame_clear (iteration);
      else
        {
          tmpl_unref (iteration);
          if ((iteration = tmpl_new_frame (run, frame)) == NULL)
            break;
        }
      loop->loop.index0 = i;
      if (!tmpl_frame_set (run, iteration, run->tmpl->name_loop, tmpl_ref (loop)) ||
          !assign (run, iteration, node->a, tmpl_ref (items->list.items[i])))
        break;
      status = exec_list (run, iteration, &node->body, out);
      if (status == EXEC_ERROR || status == EXEC_BREAK)
        break;
      status = EXEC_OK;
    }
  tmpl_unref (iteration);
  return run->error != NULL ? EXEC_ERROR : EXEC_OK;
}

/* The items of @iterable that pass the loop's `if` filter. */
static Value *
loop_items (TmplRun        *run,
            Value          *frame,
            const TmplNode *node,
            Value          *iterable)
{
  Value *items = tmpl_iterate (run, iterable);
  Value *kept;
  Value *scratch;

  if (items == NULL || node->c == NULL)
    return items;
  kept = tmpl_new_list (run, BENDI_TEMPLATE_VALUE_LIST, 0);
  scratch = kept != NULL ? tmpl_new_frame (run, frame) : NULL;
  for (gsize i = 0; scratch != NULL && i < items->list.len; i++)
    {
      Value *test;
      gboolean keep;

      if (!assign (run, scratch, node->a, tmpl_ref (items->list.items[i])) ||
          (test = eval (run, scratch, node->c)) == NULL)
        {
          tmpl_unref (scratch);
          scratch = NULL;
          break;
        }
      keep = tmpl_truthy (test);
      tmpl_unref (test);
      if (keep && !tmpl_list_append (run, kept, tmpl_ref (items->list.items[i])))
        {
          tmpl_unref (scratch);
          scratch = NULL;
          break;
        }
    }
  tmpl_unref (items);
  if (scratch == NULL)
    {
      tmpl_unref (kept);
      return NULL;
    }
  tmpl_unref (scratch);
  return kept;
}

static Exec
exec_for (TmplRun        *run,
          Value          *frame,
          const TmplNode *node,
          Out            *out)
{
  Value *iterable = eval (run, frame, node->b);
  Value *items;
  Value *loop;
  Exec status;

  if (iterable == NULL)
    return EXEC_ERROR;
  items = loop_items (run, frame, node, iterable);
  tmpl_unref (iterable);
  if (items == NULL)
    return EXEC_ERROR;
  if (items->list.len == 0)
    {
      tmpl_unref (items);
      status = exec_list (run, frame, &node->else_body, out);
      return status == EXEC_ERROR ? EXEC_ERROR : EXEC_OK;
    }
  loop = tmpl_new_loop (run);
  if (loop == NULL)
    {
      tmpl_unref (items);
      return EXEC_ERROR;
    }
  loop->loop.items = items;
  loop->loop.node = node;
  loop->loop.frame = tmpl_ref (frame);
  status = run_loop (run, frame, loop, out);
  tmpl_unref (loop);
  return status;
}

/* loop(children) in a recursive for: the body again, one level deeper,
 * its output returned as a string. */
static Value *
run_loop_capture (TmplRun *run,
                  Value   *parent_loop,
                  Value   *iterable)
{
  const TmplNode *node = parent_loop->loop.node;
  Value *frame = parent_loop->loop.frame;
  Value *items;
  Value *loop;
  Out out;
  Exec status;

  if (run->macro_depth >= run->options.max_recursion)
    return tmpl_fail (run, "recursive loops nest more than %u deep", run->options.max_recursion);
  items = loop_items (run, frame, node, iterable);
  if (items == NULL)
    return NULL;
  loop = tmpl_new_loop (run);
  if (loop == NULL)
    {
      tmpl_unref (items);
      return NULL;
    }
  loop->loop.items = items;
  loop->loop.node = node;
  loop->loop.frame = tmpl_ref (frame);
  loop->loop.depth0 = parent_loop->loop.depth0 + 1;
  out_init (&out);
  run->macro_depth++;
  status = run_loop (run, frame, loop, &out);
  run->macro_depth--;
  tmpl_unref (loop);
  if (status == EXEC_ERROR)
    {
      out_clear (run, &out);
      return NULL;
    }
  return out_take_value (run, &out);
}

static Exec
exec_node_inner (TmplRun        *run,
                 Value          *frame,
                 const TmplNode *node,
                 Out            *out)
{
  Value *v;
  gboolean ok;

  switch (node->kind)
    {
    case TMPL_NODE_TEXT:
      return out_append (run, out, node->constant->string.data, node->constant->string.len) ? EXEC_OK : EXEC_ERROR;
    case TMPL_NODE_PRINT:
      v = eval (run, frame, node->a);
      if (v == NULL)
        return EXEC_ERROR;
      ok = out_write_value (run, out, v);
      tmpl_unref (v);
      return ok ? EXEC_OK : EXEC_ERROR;
    case TMPL_NODE_IF:
      v = eval (run, frame, node->a);
      if (v == NULL)
        return EXEC_ERROR;
      ok = tmpl_truthy (v);
      tmpl_unref (v);
      return exec_list (run, frame, ok ? &node->body : &node->else_body, out);
    case TMPL_NODE_FOR:
      return exec_for (run, frame, node, out);
    case TMPL_NODE_SET:
      v = eval (run, frame, node->b);
      return v != NULL && assign (run, frame, node->a, v) ? EXEC_OK : EXEC_ERROR;
    case TMPL_NODE_SET_BLOCK:
    case TMPL_NODE_FILTER_BLOCK:
      {
        /* The block's sets stay inside it, as in Jinja. */
        Value *inner = tmpl_new_frame (run, frame);
        Value *captured = inner != NULL ? capture_body (run, inner, &node->body) : NULL;

        tmpl_unref (inner);
        if (captured == NULL)
          return EXEC_ERROR;
        if (node->c != NULL)
          {
            v = eval_filter (run, frame, node->c, captured);
            if (v == NULL)
              locate (run, node->c);
            tmpl_unref (captured);
          }
        else
          v = captured;
        if (v == NULL)
          return EXEC_ERROR;
        if (node->kind == TMPL_NODE_SET_BLOCK)
          return assign (run, frame, node->a, v) ? EXEC_OK : EXEC_ERROR;
        ok = out_write_value (run, out, v);
        tmpl_unref (v);
        return ok ? EXEC_OK : EXEC_ERROR;
      }
    case TMPL_NODE_MACRO:
      v = tmpl_new_callable (run, TMPL_CALL_MACRO, 0, node->name, frame, node);
      return v != NULL && tmpl_frame_set (run, frame, node->name, v) ? EXEC_OK : EXEC_ERROR;
    case TMPL_NODE_CALL_BLOCK:
      {
        Value *caller = tmpl_new_callable (run, TMPL_CALL_MACRO, 0, run->tmpl->name_caller, frame, node);

        if (caller == NULL)
          return EXEC_ERROR;
        v = eval_call (run, frame, node->a, caller);
        tmpl_unref (caller);
        if (v == NULL)
          {
            locate (run, node->a);
            return EXEC_ERROR;
          }
        ok = out_write_value (run, out, v);
        tmpl_unref (v);
        return ok ? EXEC_OK : EXEC_ERROR;
      }
    case TMPL_NODE_WITH:
      {
        Value *inner = tmpl_new_frame (run, frame);
        Exec status;

        if (inner == NULL)
          return EXEC_ERROR;
        for (guint i = 0; i < node->params.len; i++)
          {
            v = eval (run, frame, node->defaults.items[i]);
            if (v == NULL || !tmpl_frame_set (run, inner, node->params.items[i]->name, v))
              {
                tmpl_unref (inner);
                return EXEC_ERROR;
              }
          }
        status = exec_list (run, inner, &node->body, out);
        tmpl_unref (inner);
        return status;
      }
    case TMPL_NODE_BREAK:
      return EXEC_BREAK;
    case TMPL_NODE_CONTINUE:
      return EXEC_CONTINUE;
    case TMPL_NODE_SCOPE:
      {
        /* Hugging Face runs the generation block as a call block's body. */
        Value *inner = tmpl_new_frame (run, frame);
        Exec status;

        if (inner == NULL)
          return EXEC_ERROR;
        status = exec_list (run, inner, &node->body, out);
        tmpl_unref (inner);
        return status;
      }
    default:
      tmpl_fail (run, "this is not a statement");
      return EXEC_ERROR;
    }
}

static Exec
exec_list (TmplRun            *run,
           Value              *frame,
           const TmplNodeList *list,
           Out                *out)
{
  for (guint i = 0; i < list->len; i++)
    {
      const TmplNode *node = list->items[i];
      Exec status = EXEC_ERROR;

      if (enter (run))
        {
          status = exec_node_inner (run, frame, node, out);
          run->eval_depth--;
        }
      if (status == EXEC_ERROR)
        {
          locate (run, node);
          return EXEC_ERROR;
        }
      if (status != EXEC_OK)
        return status;
    }
  return EXEC_OK;
}

/* ------------------------------------------------------------------------ */

void
bendi_template_options_init (BendiTemplateOptions *options)
{
  g_return_if_fail (options != NULL);

  memset (options, 0, sizeof *options);
  options->max_output_bytes = BENDI_TEMPLATE_DEFAULT_MAX_OUTPUT;
  options->max_memory_bytes = BENDI_TEMPLATE_DEFAULT_MAX_MEMORY;
  options->max_steps = BENDI_TEMPLATE_DEFAULT_MAX_STEPS;
  options->max_recursion = BENDI_TEMPLATE_DEFAULT_MAX_RECURSION;
  options->max_range = BENDI_TEMPLATE_DEFAULT_MAX_RANGE;
}

char *
bendi_template_render (BendiTemplate              *self,
                       BendiTemplateValue         *variables,
                       const BendiTemplateOptions *options,
                       gsize                      *length,
                       GError                    **error)
{
  TmplRun run = { 0 };
  Value *root;
  Out out;
  Exec status = EXEC_ERROR;
  char *text = NULL;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  run.tmpl = self;
  if (options != NULL)
    run.options = *options;
  else
    bendi_template_options_init (&run.options);
  if (run.options.max_recursion > BENDI_TEMPLATE_DEFAULT_MAX_RECURSION * 4)
    run.options.max_recursion = BENDI_TEMPLATE_DEFAULT_MAX_RECURSION * 4;

  out_init (&out);
  root = tmpl_new_frame (&run, NULL);
  if (root != NULL && variables != NULL && variables->type == BENDI_TEMPLATE_VALUE_DICT)
    {
      for (gsize i = 0; i < variables->dict.len && run.error == NULL; i++)
        {
          const Value *key = variables->dict.entries[i].key;
          const char *name;
          Value *value;

          /* A variable the template never names cannot be looked up. */
          if (key->type != BENDI_TEMPLATE_VALUE_STRING || strlen (key->string.data) != key->string.len)
            continue;
          name = g_hash_table_lookup (self->names, key->string.data);
          if (name == NULL)
            continue;
          value = tmpl_import (&run, variables->dict.entries[i].value, 0);
          if (value != NULL)
            tmpl_frame_set (&run, root, name, value);
          else if (run.error != NULL)
            {
              /* The caller's values, not the template, are at fault. */
              g_autofree char *message = g_strdup_printf ("the variable “%s”: %s", name, run.error->message);

              run.error->code = BENDI_ENGINE_ERROR_INVALID_INPUT;
              g_free (run.error->message);
              run.error->message = g_steal_pointer (&message);
              run.error_located = TRUE;
            }
        }
    }
  if (root != NULL && run.error == NULL)
    status = exec_list (&run, root, &self->body, &out);
  tmpl_unref (root);
  if (status == EXEC_OK)
    {
      if (length != NULL)
        *length = out.text->len;
      text = g_string_free (g_steal_pointer (&out.text), FALSE);
    }
  out_clear (&run, &out);
  tmpl_run_sweep (&run);
  if (run.error != NULL)
    {
      g_free (text);
      g_propagate_error (error, run.error);
      return NULL;
    }
  return text;
}
