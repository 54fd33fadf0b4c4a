/* SPDX-License-Identifier: MIT */
/* Python's operators on template values: arithmetic, comparison chains, `in`, and iteration. */
#include "template/template-private.h"

#include <math.h>
#include <string.h>

Value *
tmpl_iterate (TmplRun *run,
              Value   *v)
{
  Value *items;

  /* Whoever asks for the items visits each of them. */
  if (!tmpl_charge_steps (run, tmpl_is_sequence (v) ? v->list.len :
                               v->type == BENDI_TEMPLATE_VALUE_DICT ? v->dict.len : 0))
    return NULL;
  switch (v->type)
    {
    case BENDI_TEMPLATE_VALUE_UNDEFINED:
      return tmpl_new_list (run, BENDI_TEMPLATE_VALUE_LIST, 0);
    case BENDI_TEMPLATE_VALUE_LIST:
    case BENDI_TEMPLATE_VALUE_TUPLE:
      items = tmpl_new_list (run, BENDI_TEMPLATE_VALUE_LIST, v->list.len);
      for (gsize i = 0; items != NULL && i < v->list.len; i++)
        tmpl_list_append (run, items, tmpl_ref (v->list.items[i]));
      return items;
    case BENDI_TEMPLATE_VALUE_DICT:
      items = tmpl_new_list (run, BENDI_TEMPLATE_VALUE_LIST, v->dict.len);
      for (gsize i = 0; items != NULL && i < v->dict.len; i++)
        tmpl_list_append (run, items, tmpl_ref (v->dict.entries[i].key));
      return items;
    case BENDI_TEMPLATE_VALUE_STRING:
      {
        const char *p = v->string.data;
        const char *end = p + v->string.len;

        items = tmpl_new_list (run, BENDI_TEMPLATE_VALUE_LIST, tmpl_string_n_chars (v));
        while (items != NULL && p < end)
          {
            const char *next = g_utf8_next_char (p);
            Value *c = tmpl_new_string (run, p, (gsize) (next - p));

            if (c == NULL || !tmpl_list_append (run, items, c))
              {
                tmpl_unref (items);
                return NULL;
              }
            p = next;
          }
        return items;
      }
    default:
      return tmpl_fail (run, "'%s' object is not iterable", tmpl_type_name (v));
    }
}

gboolean
tmpl_contains (TmplRun  *run,
               Value    *container,
               Value    *item,
               gboolean *result)
{
  *result = FALSE;
  switch (container->type)
    {
    case BENDI_TEMPLATE_VALUE_STRING:
      if (item->type != BENDI_TEMPLATE_VALUE_STRING)
        {
          tmpl_fail (run, "'in <string>' requires string as left operand, not %s", tmpl_type_name (item));
          return FALSE;
        }
      if (!tmpl_charge_steps (run, container->string.len / 64))
        return FALSE;
      *result = item->string.len == 0 ||
                memmem (container->string.data, container->string.len, item->string.data, item->string.len) != NULL;
      return TRUE;
    case BENDI_TEMPLATE_VALUE_LIST:
    case BENDI_TEMPLATE_VALUE_TUPLE:
      if (!tmpl_charge_steps (run, container->list.len / 4))
        return FALSE;
      for (gsize i = 0; i < container->list.len && !*result; i++)
        *result = tmpl_equal (container->list.items[i], item);
      return TRUE;
    case BENDI_TEMPLATE_VALUE_DICT:
    case BENDI_TEMPLATE_VALUE_NAMESPACE:
      {
        guint32 hash;

        if (!tmpl_hash (item, &hash))
          {
            tmpl_fail (run, "unhashable type: '%s'", tmpl_type_name (item));
            return FALSE;
          }
        *result = tmpl_dict_get (container, item) != NULL;
        return TRUE;
      }
    case BENDI_TEMPLATE_VALUE_UNDEFINED:
      return TRUE;
    default:
      tmpl_fail (run, "argument of type '%s' is not iterable", tmpl_type_name (container));
      return FALSE;
    }
}

static Value *
repeat (TmplRun *run,
        Value   *seq,
        gint64   count)
{
  if (count <= 0)
    return seq->type == BENDI_TEMPLATE_VALUE_STRING ? tmpl_new_string (run, "", 0) :
           tmpl_new_list (run, seq->type, 0);
  if (seq->type == BENDI_TEMPLATE_VALUE_STRING)
    {
      GString *text;

      if (seq->string.len > 0 && (guint64) count > (guint64) (run->options.max_memory_bytes / seq->string.len))
        return tmpl_fail (run, "the template needs more than %" G_GSIZE_FORMAT " bytes of memory",
                          run->options.max_memory_bytes);
      if (!tmpl_check_memory (run, seq->string.len * (gsize) count))
        return NULL;
      text = g_string_sized_new (seq->string.len * (gsize) count);
      for (gint64 i = 0; i < count; i++)
        g_string_append_len (text, seq->string.data, (gssize) seq->string.len);
      return tmpl_new_string_take_gstring (run, text);
    }
  {
    Value *list;

    if (seq->list.len > 0 && (guint64) count > (guint64) (run->options.max_memory_bytes / sizeof (Value *) / seq->list.len))
      return tmpl_fail (run, "the template needs more than %" G_GSIZE_FORMAT " bytes of memory",
                        run->options.max_memory_bytes);
    list = tmpl_new_list (run, seq->type, seq->list.len * (gsize) count);
    for (gint64 i = 0; list != NULL && i < count; i++)
      for (gsize j = 0; j < seq->list.len; j++)
        tmpl_list_append (run, list, tmpl_ref (seq->list.items[j]));
    return list;
  }
}

static Value *
unsupported (TmplRun    *run,
             const char *op,
             Value      *a,
             Value      *b)
{
  if (a->type == BENDI_TEMPLATE_VALUE_STRING && g_str_equal (op, "+"))
    return tmpl_fail (run, "can only concatenate str (not \"%s\") to str", tmpl_type_name (b));
  return tmpl_fail (run, "unsupported operand type(s) for %s: '%s' and '%s'", op, tmpl_type_name (a),
                    tmpl_type_name (b));
}

/* Python's float floor division and modulo. */
static void
float_divmod (double  x,
              double  y,
              double *div,
              double *mod)
{
  double m = fmod (x, y);
  double d = (x - m) / y;

  if (m != 0.0)
    {
      if ((y < 0) != (m < 0))
        {
          m += y;
          d -= 1.0;
        }
    }
  else
    m = copysign (0.0, y);
  if (d != 0.0)
    {
      double floor_d = floor (d);

      if (d - floor_d > 0.5)
        floor_d += 1.0;
      d = floor_d;
    }
  else
    d = copysign (0.0, x / y);
  *div = d;
  *mod = m;
}

static Value *
int_pow (TmplRun *run,
         gint64   base,
         gint64   exponent)
{
  gint64 result = 1;

  if (exponent < 0)
    {
      if (base == 0)
        return tmpl_fail (run, "0.0 cannot be raised to a negative power");
      return tmpl_new_float (run, pow ((double) base, (double) exponent));
    }
  while (exponent > 0)
    {
      if (exponent & 1)
        {
          if (__builtin_mul_overflow (result, base, &result))
            return tmpl_fail (run, "integer overflow");
        }
      exponent >>= 1;
      if (exponent > 0 && __builtin_mul_overflow (base, base, &base))
        return tmpl_fail (run, "integer overflow");
    }
  return tmpl_new_int (run, result);
}

static const char *const op_symbols[] = {
  [TMPL_OP_ADD] = "+", [TMPL_OP_SUB] = "-", [TMPL_OP_MUL] = "*", [TMPL_OP_DIV] = "/",
  [TMPL_OP_FLOORDIV] = "//", [TMPL_OP_MOD] = "%", [TMPL_OP_POW] = "**",
};

Value *
tmpl_binary (TmplRun *run,
             TmplOp   op,
             Value   *a,
             Value   *b)
{
  gboolean ints = tmpl_is_integer (a) && tmpl_is_integer (b);
  gboolean numbers = tmpl_is_number (a) && tmpl_is_number (b);

  switch (op)
    {
    case TMPL_OP_ADD:
      if (ints)
        {
          gint64 r;

          if (__builtin_add_overflow (tmpl_to_int64 (a), tmpl_to_int64 (b), &r))
            return tmpl_fail (run, "integer overflow");
          return tmpl_new_int (run, r);
        }
      if (numbers)
        return tmpl_new_float (run, tmpl_to_double (a) + tmpl_to_double (b));
      if (a->type == BENDI_TEMPLATE_VALUE_STRING && b->type == BENDI_TEMPLATE_VALUE_STRING)
        return tmpl_new_string2 (run, a->string.data, a->string.len, b->string.data, b->string.len);
      if (a->type == b->type && tmpl_is_sequence (a) && !((a->flags | b->flags) & TMPL_FLAG_GENERATOR))
        {
          Value *list = tmpl_new_list (run, a->type, a->list.len + b->list.len);

          for (gsize i = 0; list != NULL && i < a->list.len; i++)
            tmpl_list_append (run, list, tmpl_ref (a->list.items[i]));
          for (gsize i = 0; list != NULL && i < b->list.len; i++)
            tmpl_list_append (run, list, tmpl_ref (b->list.items[i]));
          return list;
        }
      return unsupported (run, "+", a, b);
    case TMPL_OP_SUB:
      if (ints)
        {
          gint64 r;

          if (__builtin_sub_overflow (tmpl_to_int64 (a), tmpl_to_int64 (b), &r))
            return tmpl_fail (run, "integer overflow");
          return tmpl_new_int (run, r);
        }
      if (numbers)
        return tmpl_new_float (run, tmpl_to_double (a) - tmpl_to_double (b));
      return unsupported (run, "-", a, b);
    case TMPL_OP_MUL:
      if (ints)
        {
          gint64 r;

          if (__builtin_mul_overflow (tmpl_to_int64 (a), tmpl_to_int64 (b), &r))
            return tmpl_fail (run, "integer overflow");
          return tmpl_new_int (run, r);
        }
      if (numbers)
        return tmpl_new_float (run, tmpl_to_double (a) * tmpl_to_double (b));
      if ((a->type == BENDI_TEMPLATE_VALUE_STRING || (tmpl_is_sequence (a) && !(a->flags & TMPL_FLAG_GENERATOR))) &&
          tmpl_is_integer (b))
        return repeat (run, a, tmpl_to_int64 (b));
      if ((b->type == BENDI_TEMPLATE_VALUE_STRING || (tmpl_is_sequence (b) && !(b->flags & TMPL_FLAG_GENERATOR))) &&
          tmpl_is_integer (a))
        return repeat (run, b, tmpl_to_int64 (a));
      return unsupported (run, "*", a, b);
    case TMPL_OP_DIV:
      if (!numbers)
        return unsupported (run, "/", a, b);
      if (tmpl_to_double (b) == 0.0)
        return tmpl_fail (run, "division by zero");
      return tmpl_new_float (run, tmpl_to_double (a) / tmpl_to_double (b));
    case TMPL_OP_FLOORDIV:
    case TMPL_OP_MOD:
      if (op == TMPL_OP_MOD && a->type == BENDI_TEMPLATE_VALUE_STRING)
        return tmpl_percent_format (run, a, b);
      if (!numbers)
        return unsupported (run, op_symbols[op], a, b);
      if (ints)
        {
          gint64 x = tmpl_to_int64 (a), y = tmpl_to_int64 (b), q, r;

          if (y == 0)
            return tmpl_fail (run, "integer division or modulo by zero");
          if (x == G_MININT64 && y == -1)
            return op == TMPL_OP_MOD ? tmpl_new_int (run, 0) : tmpl_fail (run, "integer overflow");
          q = x / y;
          r = x % y;
          if (r != 0 && ((r < 0) != (y < 0)))
            {
              q -= 1;
              r += y;
            }
          return tmpl_new_int (run, op == TMPL_OP_MOD ? r : q);
        }
      {
        double div, mod;

        if (tmpl_to_double (b) == 0.0)
          return tmpl_fail (run, "float division by zero");
        float_divmod (tmpl_to_double (a), tmpl_to_double (b), &div, &mod);
        return tmpl_new_float (run, op == TMPL_OP_MOD ? mod : div);
      }
    case TMPL_OP_POW:
      if (ints)
        return int_pow (run, tmpl_to_int64 (a), tmpl_to_int64 (b));
      if (numbers)
        {
          double x = tmpl_to_double (a), y = tmpl_to_double (b);

          if (x == 0.0 && y < 0)
            return tmpl_fail (run, "0.0 cannot be raised to a negative power");
          if (x < 0 && y != floor (y))
            return tmpl_fail (run, "a negative number cannot be raised to a fractional power");
          return tmpl_new_float (run, pow (x, y));
        }
      return unsupported (run, "**", a, b);
    default:
      return tmpl_fail (run, "unknown operator");
    }
}

gboolean
tmpl_compare_op (TmplRun  *run,
                 TmplOp    op,
                 Value    *a,
                 Value    *b,
                 gboolean *result)
{
  int order;

  switch (op)
    {
    case TMPL_OP_EQ:
    case TMPL_OP_NE:
      *result = tmpl_equal (a, b) == (op == TMPL_OP_EQ);
      return tmpl_charge_steps (run, 0);
    case TMPL_OP_IN:
    case TMPL_OP_NOT_IN:
      if (!tmpl_contains (run, b, a, result))
        return FALSE;
      if (op == TMPL_OP_NOT_IN)
        *result = !*result;
      return TRUE;
    default:
      if (!tmpl_compare (run, a, b, &order))
        return FALSE;
      if (order == 2)
        *result = FALSE;
      else if (op == TMPL_OP_LT)
        *result = order < 0;
      else if (op == TMPL_OP_LE)
        *result = order <= 0;
      else if (op == TMPL_OP_GT)
        *result = order > 0;
      else
        *result = order >= 0;
      return TRUE;
    }
}

