/* SPDX-License-Identifier: MIT */
/* Jinja's tests (`x is defined`, `n is divisibleby 3`…), with the behaviour of its Python implementation. */
#include "template/template-private.h"

#include <math.h>
#include <string.h>

static const char *const no_params[] = { NULL };

static gboolean
test_defined (TmplRun  *run G_GNUC_UNUSED,
              Value    *v,
              Value   **params G_GNUC_UNUSED,
              gboolean *result)
{
  *result = v->type != BENDI_TEMPLATE_VALUE_UNDEFINED;
  return TRUE;
}

static gboolean
test_undefined (TmplRun  *run G_GNUC_UNUSED,
                Value    *v,
                Value   **params G_GNUC_UNUSED,
                gboolean *result)
{
  *result = v->type == BENDI_TEMPLATE_VALUE_UNDEFINED;
  return TRUE;
}

static gboolean
test_none (TmplRun  *run G_GNUC_UNUSED,
           Value    *v,
           Value   **params G_GNUC_UNUSED,
           gboolean *result)
{
  *result = v->type == BENDI_TEMPLATE_VALUE_NONE;
  return TRUE;
}

static gboolean
test_boolean (TmplRun  *run G_GNUC_UNUSED,
              Value    *v,
              Value   **params G_GNUC_UNUSED,
              gboolean *result)
{
  *result = v->type == BENDI_TEMPLATE_VALUE_BOOLEAN;
  return TRUE;
}

static gboolean
test_true (TmplRun  *run G_GNUC_UNUSED,
           Value    *v,
           Value   **params G_GNUC_UNUSED,
           gboolean *result)
{
  *result = v->type == BENDI_TEMPLATE_VALUE_BOOLEAN && v->boolean;
  return TRUE;
}

static gboolean
test_false (TmplRun  *run G_GNUC_UNUSED,
            Value    *v,
            Value   **params G_GNUC_UNUSED,
            gboolean *result)
{
  *result = v->type == BENDI_TEMPLATE_VALUE_BOOLEAN && !v->boolean;
  return TRUE;
}

static gboolean
test_integer (TmplRun  *run G_GNUC_UNUSED,
              Value    *v,
              Value   **params G_GNUC_UNUSED,
              gboolean *result)
{
  *result = v->type == BENDI_TEMPLATE_VALUE_INTEGER;
  return TRUE;
}

static gboolean
test_float (TmplRun  *run G_GNUC_UNUSED,
            Value    *v,
            Value   **params G_GNUC_UNUSED,
            gboolean *result)
{
  *result = v->type == BENDI_TEMPLATE_VALUE_FLOAT;
  return TRUE;
}

static gboolean
test_number (TmplRun  *run G_GNUC_UNUSED,
             Value    *v,
             Value   **params G_GNUC_UNUSED,
             gboolean *result)
{
  /* bool is a number in Python. */
  *result = tmpl_is_number (v);
  return TRUE;
}

static gboolean
test_string (TmplRun  *run G_GNUC_UNUSED,
             Value    *v,
             Value   **params G_GNUC_UNUSED,
             gboolean *result)
{
  *result = v->type == BENDI_TEMPLATE_VALUE_STRING;
  return TRUE;
}

static gboolean
test_mapping (TmplRun  *run G_GNUC_UNUSED,
              Value    *v,
              Value   **params G_GNUC_UNUSED,
              gboolean *result)
{
  *result = v->type == BENDI_TEMPLATE_VALUE_DICT;
  return TRUE;
}

static gboolean
test_iterable (TmplRun  *run G_GNUC_UNUSED,
               Value    *v,
               Value   **params G_GNUC_UNUSED,
               gboolean *result)
{
  *result = v->type == BENDI_TEMPLATE_VALUE_STRING || tmpl_is_sequence (v) ||
            v->type == BENDI_TEMPLATE_VALUE_DICT || v->type == BENDI_TEMPLATE_VALUE_UNDEFINED ||
            v->type == TMPL_VALUE_LOOP;
  return TRUE;
}

static gboolean
test_sequence (TmplRun  *run G_GNUC_UNUSED,
               Value    *v,
               Value   **params G_GNUC_UNUSED,
               gboolean *result)
{
  /* Anything with a length and items: strings, dicts, and Jinja's
   * Undefined too. */
  *result = v->type == BENDI_TEMPLATE_VALUE_STRING || v->type == BENDI_TEMPLATE_VALUE_DICT ||
            v->type == BENDI_TEMPLATE_VALUE_UNDEFINED ||
            (tmpl_is_sequence (v) && !(v->flags & TMPL_FLAG_GENERATOR));
  return TRUE;
}

static gboolean
test_callable (TmplRun  *run G_GNUC_UNUSED,
               Value    *v,
               Value   **params G_GNUC_UNUSED,
               gboolean *result)
{
  /* Jinja's Undefined can be called (to fail), so it counts. */
  *result = v->type == BENDI_TEMPLATE_VALUE_CALLABLE || v->type == BENDI_TEMPLATE_VALUE_UNDEFINED ||
            (v->type == TMPL_VALUE_LOOP && (v->loop.node->flags & TMPL_FOR_RECURSIVE));
  return TRUE;
}

static gboolean
test_escaped (TmplRun  *run G_GNUC_UNUSED,
              Value    *v G_GNUC_UNUSED,
              Value   **params G_GNUC_UNUSED,
              gboolean *result)
{
  *result = FALSE;
  return TRUE;
}

/* Python's value % 2, for ints and floats. */
static gboolean
mod_two (TmplRun *run,
         Value   *v,
         double  *mod)
{
  if (tmpl_is_integer (v))
    {
      *mod = (double) (tmpl_to_int64 (v) & 1);
      return TRUE;
    }
  if (v->type == BENDI_TEMPLATE_VALUE_FLOAT)
    {
      *mod = fmod (v->number, 2.0);
      if (*mod < 0)
        *mod += 2.0;
      return TRUE;
    }
  tmpl_fail (run, "unsupported operand type(s) for %%: '%s' and 'int'", tmpl_type_name (v));
  return FALSE;
}

static gboolean
test_odd (TmplRun  *run,
          Value    *v,
          Value   **params G_GNUC_UNUSED,
          gboolean *result)
{
  double mod;

  if (!mod_two (run, v, &mod))
    return FALSE;
  *result = mod == 1.0;
  return TRUE;
}

static gboolean
test_even (TmplRun  *run,
           Value    *v,
           Value   **params G_GNUC_UNUSED,
           gboolean *result)
{
  double mod;

  if (!mod_two (run, v, &mod))
    return FALSE;
  *result = mod == 0.0;
  return TRUE;
}

static const char *const num_params[] = { "num", NULL };

static gboolean
test_divisibleby (TmplRun  *run,
                  Value    *v,
                  Value   **params,
                  gboolean *result)
{
  Value *mod = tmpl_binary (run, TMPL_OP_MOD, v, params[0]);

  if (mod == NULL)
    return FALSE;
  *result = tmpl_to_double (mod) == 0.0;
  tmpl_unref (mod);
  return TRUE;
}

static const char *const other_params[] = { "other", NULL };

static gboolean
test_eq (TmplRun  *run G_GNUC_UNUSED,
         Value    *v,
         Value   **params,
         gboolean *result)
{
  *result = tmpl_equal (v, params[0]);
  return TRUE;
}

static gboolean
test_ne (TmplRun  *run G_GNUC_UNUSED,
         Value    *v,
         Value   **params,
         gboolean *result)
{
  *result = !tmpl_equal (v, params[0]);
  return TRUE;
}

static gboolean
ordered (TmplRun  *run,
         Value    *a,
         Value    *b,
         int       want_low,
         int       want_high,
         gboolean *result)
{
  int order;

  if (!tmpl_compare (run, a, b, &order))
    return FALSE;
  *result = order != 2 && order >= want_low && order <= want_high;
  return TRUE;
}

static gboolean
test_lt (TmplRun  *run,
           Value    *v,
           Value   **params,
           gboolean *result)
{
  return ordered (run, v, params[0], -1, -1, result);
}

static gboolean
test_le (TmplRun  *run,
           Value    *v,
           Value   **params,
           gboolean *result)
{
  return ordered (run, v, params[0], -1, 0, result);
}

static gboolean
test_gt (TmplRun  *run,
           Value    *v,
           Value   **params,
           gboolean *result)
{
  return ordered (run, v, params[0], 1, 1, result);
}

static gboolean
test_ge (TmplRun  *run,
           Value    *v,
           Value   **params,
           gboolean *result)
{
  return ordered (run, v, params[0], 0, 1, result);
}

static const char *const seq_params[] = { "seq", NULL };

static gboolean
test_in (TmplRun  *run,
         Value    *v,
         Value   **params,
         gboolean *result)
{
  return tmpl_contains (run, params[0], v, result);
}

static gboolean
test_sameas (TmplRun  *run G_GNUC_UNUSED,
             Value    *v,
             Value   **params,
             gboolean *result)
{
  /* Identity. Python shares equal constants and small scalars, so equal
   * scalars of one type count as the same object; containers never do. */
  *result = v == params[0] ||
            (v->type == params[0]->type && v->type <= BENDI_TEMPLATE_VALUE_STRING && tmpl_equal (v, params[0]));
  return TRUE;
}

static gboolean
case_test (TmplRun  *run,
           Value    *v,
           gboolean  want_lower,
           gboolean *result)
{
  g_autoptr (BendiTemplateValue) s = tmpl_to_str (run, v);
  gboolean cased = FALSE;

  if (s == NULL)
    return FALSE;
  *result = FALSE;
  for (const char *p = s->string.data; p < s->string.data + s->string.len; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (want_lower ? (g_unichar_isupper (c) || g_unichar_istitle (c)) : (g_unichar_islower (c) || g_unichar_istitle (c)))
        return TRUE;
      if (g_unichar_islower (c) || g_unichar_isupper (c))
        cased = TRUE;
    }
  *result = cased;
  return TRUE;
}

static gboolean
test_lower (TmplRun  *run,
            Value    *v,
            Value   **params G_GNUC_UNUSED,
            gboolean *result)
{
  return case_test (run, v, TRUE, result);
}

static gboolean
test_upper (TmplRun  *run,
            Value    *v,
            Value   **params G_GNUC_UNUSED,
            gboolean *result)
{
  return case_test (run, v, FALSE, result);
}

static gboolean
test_filter (TmplRun  *run G_GNUC_UNUSED,
             Value    *v,
             Value   **params G_GNUC_UNUSED,
             gboolean *result)
{
  *result = v->type == BENDI_TEMPLATE_VALUE_STRING && tmpl_find_filter (v->string.data) != NULL;
  return TRUE;
}

static gboolean
test_test (TmplRun  *run G_GNUC_UNUSED,
           Value    *v,
           Value   **params G_GNUC_UNUSED,
           gboolean *result)
{
  *result = v->type == BENDI_TEMPLATE_VALUE_STRING && tmpl_find_test (v->string.data) != NULL;
  return TRUE;
}

static const TmplTest tests[] = {
  /* Sorted by strcmp, for bsearch. */
  { "!=", test_ne, other_params, 1 },
  { "<", test_lt, other_params, 1 },
  { "<=", test_le, other_params, 1 },
  { "==", test_eq, other_params, 1 },
  { ">", test_gt, other_params, 1 },
  { ">=", test_ge, other_params, 1 },
  { "boolean", test_boolean, no_params, 0 },
  { "callable", test_callable, no_params, 0 },
  { "defined", test_defined, no_params, 0 },
  { "divisibleby", test_divisibleby, num_params, 1 },
  { "eq", test_eq, other_params, 1 },
  { "equalto", test_eq, other_params, 1 },
  { "escaped", test_escaped, no_params, 0 },
  { "even", test_even, no_params, 0 },
  { "false", test_false, no_params, 0 },
  { "filter", test_filter, no_params, 0 },
  { "float", test_float, no_params, 0 },
  { "ge", test_ge, other_params, 1 },
  { "greaterthan", test_gt, other_params, 1 },
  { "gt", test_gt, other_params, 1 },
  { "in", test_in, seq_params, 1 },
  { "integer", test_integer, no_params, 0 },
  { "iterable", test_iterable, no_params, 0 },
  { "le", test_le, other_params, 1 },
  { "lessthan", test_lt, other_params, 1 },
  { "lower", test_lower, no_params, 0 },
  { "lt", test_lt, other_params, 1 },
  { "mapping", test_mapping, no_params, 0 },
  { "ne", test_ne, other_params, 1 },
  { "none", test_none, no_params, 0 },
  { "number", test_number, no_params, 0 },
  { "odd", test_odd, no_params, 0 },
  { "sameas", test_sameas, other_params, 1 },
  { "sequence", test_sequence, no_params, 0 },
  { "string", test_string, no_params, 0 },
  { "test", test_test, no_params, 0 },
  { "true", test_true, no_params, 0 },
  { "undefined", test_undefined, no_params, 0 },
  { "upper", test_upper, no_params, 0 },
};

static int
compare_test_name (const void *key,
                   const void *entry)
{
  return strcmp (key, ((const TmplTest *) entry)->name);
}

const TmplTest *
tmpl_find_test (const char *name)
{
  return bsearch (name, tests, G_N_ELEMENTS (tests), sizeof (TmplTest), compare_test_name);
}

gboolean
tmpl_apply_test (TmplRun        *run,
                 const TmplTest *test,
                 Value          *subject,
                 const TmplArgs *args,
                 gboolean       *result)
{
  Value *params[4];

  if (!tmpl_bind_args (run, test->name, args, test->params, test->n_required, params))
    return FALSE;
  return test->func (run, subject, params, result);
}
