/* SPDX-License-Identifier: MIT */
/* The template parser: Jinja's grammar, by recursive descent, into a tree of TmplNodes. */
#include "template/template-lexer.h"

#include <stdarg.h>
#include <string.h>

typedef struct {
  BendiTemplate    *tmpl;
  const TmplSource *source;
  TmplToken        *tokens;
  gsize             n_tokens;
  gsize             pos;
  GError           *error;
  guint             depth;        /* recursion of the parse functions */
  guint             loop_depth;   /* for loops around the current statement */
  guint             if_depth;     /* if statements around it */
  const char       *open_blocks[TMPL_MAX_NESTING + 8];  /* for error messages */
  guint             n_open_blocks;
} Parser;

static TmplNode *parse_expression (Parser *p, gboolean with_condexpr);
static TmplNode *parse_tuple (Parser *p, gboolean simplified, gboolean with_condexpr,
                              const char *extra_end, gboolean explicit_parentheses);
static TmplNode *parse_unary (Parser *p, gboolean with_filter);
static TmplNode *parse_primary (Parser *p);
static TmplNode *parse_postfix (Parser *p, TmplNode *node);
static TmplNode *parse_filter_expr (Parser *p, TmplNode *node);
static TmplNode *parse_filter (Parser *p, TmplNode *node, gboolean start_inline);
static gboolean  parse_body (Parser *p, const char *const *end_names, TmplNodeList *body);

/* ------------------------------------------------------------------------ */
/* Tokens and errors. */

static TmplToken *
current (Parser *p)
{
  return &p->tokens[p->pos];
}

static TmplToken *
peek (Parser *p,
      gsize   ahead)
{
  return &p->tokens[MIN (p->pos + ahead, p->n_tokens - 1)];
}

static void
advance (Parser *p)
{
  if (p->pos + 1 < p->n_tokens)
    p->pos++;
}

static const char *
describe (const TmplToken *token,
          char             buf[64])
{
  static const char *const op_text[] = {
    "+", "-", "*", "/", "//", "%", "**", "~", "[", "]", "(", ")", "{", "}", "==", "!=", ">",
    ">=", "<", "<=", "=", ".", ":", "|", ",", ";",
  };

  switch (token->kind)
    {
    case TMPL_TOKEN_EOF: return "end of template";
    case TMPL_TOKEN_TEXT: return "template data";
    case TMPL_TOKEN_VARIABLE_BEGIN: return "begin of print statement";
    case TMPL_TOKEN_VARIABLE_END: return "end of print statement";
    case TMPL_TOKEN_BLOCK_BEGIN: return "begin of statement block";
    case TMPL_TOKEN_BLOCK_END: return "end of statement block";
    case TMPL_TOKEN_NAME:
      g_snprintf (buf, 64, "'%.40s'", token->name);
      return buf;
    case TMPL_TOKEN_STRING: return "string";
    case TMPL_TOKEN_INTEGER: return "integer";
    case TMPL_TOKEN_FLOAT: return "float";
    case TMPL_TOKEN_OPERATOR:
      g_snprintf (buf, 64, "'%s'", op_text[token->op]);
      return buf;
    default: return "token";
    }
}

#define fail_at(p, offset, ...) tmpl_source_fail ((p)->source, &(p)->error, (offset), __VA_ARGS__)

static gpointer
fail_unexpected (Parser     *p,
                 const char *expected)
{
  char buf[64];

  if (expected != NULL)
    return fail_at (p, current (p)->offset, "expected %s, got %s", expected, describe (current (p), buf));
  return fail_at (p, current (p)->offset, "unexpected %s", describe (current (p), buf));
}

static gboolean
is_op (Parser       *p,
       TmplOperator  op)
{
  return current (p)->kind == TMPL_TOKEN_OPERATOR && current (p)->op == op;
}

static gboolean
skip_op (Parser       *p,
         TmplOperator  op)
{
  if (!is_op (p, op))
    return FALSE;
  advance (p);
  return TRUE;
}

static gboolean
expect_op (Parser       *p,
           TmplOperator  op,
           const char   *what)
{
  if (skip_op (p, op))
    return TRUE;
  fail_unexpected (p, what);
  return FALSE;
}

static gboolean
is_name (Parser     *p,
         const char *name)
{
  return current (p)->kind == TMPL_TOKEN_NAME && strcmp (current (p)->name, name) == 0;
}

static gboolean
skip_name (Parser     *p,
           const char *name)
{
  if (!is_name (p, name))
    return FALSE;
  advance (p);
  return TRUE;
}

static gboolean
expect_kind (Parser        *p,
             TmplTokenKind  kind,
             const char    *what)
{
  if (current (p)->kind == kind)
    {
      advance (p);
      return TRUE;
    }
  fail_unexpected (p, what);
  return FALSE;
}

/* Guards the parse functions that recurse, so hostile nesting fails
 * cleanly instead of exhausting the stack. */
static gboolean
enter (Parser *p)
{
  if (p->depth >= TMPL_MAX_NESTING)
    {
      fail_at (p, current (p)->offset, "the template nests more than %d levels deep", TMPL_MAX_NESTING);
      return FALSE;
    }
  p->depth++;
  return TRUE;
}

static void
leave (Parser *p)
{
  p->depth--;
}

/* ------------------------------------------------------------------------ */
/* Nodes. */

static TmplNode *
node_new (Parser       *p,
          TmplNodeKind  kind,
          gsize         offset)
{
  TmplNode *node = g_new0 (TmplNode, 1);
  guint32 line, column;

  tmpl_source_position (p->source, offset, &line, &column);
  node->kind = kind;
  node->line = line;
  node->column = column;
  g_ptr_array_add (p->tmpl->nodes, node);
  return node;
}

static guint
list_depth (const TmplNodeList *list)
{
  guint depth = 0;

  for (guint i = 0; i < list->len; i++)
    if (list->items[i] != NULL)
      depth = MAX (depth, list->items[i]->depth);
  return depth;
}

/* Records how deep @node's subtree is; refuses trees past the limit, which
 * bounds every recursive walk of the tree at run time. */
static TmplNode *
node_finish (Parser   *p,
             TmplNode *node)
{
  guint depth = 0;
  const TmplNode *kids[] = { node->a, node->b, node->c, node->d };
  const TmplNodeList *lists[] = { &node->items, &node->values, &node->body, &node->else_body,
                                  &node->params, &node->defaults };

  if (node == NULL)
    return NULL;
  for (gsize i = 0; i < G_N_ELEMENTS (kids); i++)
    if (kids[i] != NULL)
      depth = MAX (depth, kids[i]->depth);
  for (gsize i = 0; i < G_N_ELEMENTS (lists); i++)
    depth = MAX (depth, list_depth (lists[i]));
  if (depth + 1 > TMPL_MAX_NESTING)
    {
      guint32 line = node->line, column = node->column;

      if (p->error == NULL)
        p->error = g_error_new (BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE,
                                "%u:%u: the template nests more than %d levels deep",
                                line, column, TMPL_MAX_NESTING);
      return NULL;
    }
  node->depth = (guint16) (depth + 1);
  return node;
}

static TmplNodeList
list_from (Parser    *p,
           GPtrArray *array)
{
  TmplNodeList list = { NULL, 0 };

  if (array->len > 0)
    {
      list.items = g_memdup2 (array->pdata, array->len * sizeof (gpointer));
      list.len = array->len;
      g_ptr_array_add (p->tmpl->blocks, list.items);
    }
  g_ptr_array_unref (array);
  return list;
}

static Value *
constant_new (Parser *p,
              Value  *value)
{
  if (value->ref_count != TMPL_IMMORTAL)
    {
      value->ref_count = TMPL_IMMORTAL;
      g_ptr_array_add (p->tmpl->constants, value);
    }
  return value;
}

const char *
tmpl_intern (BendiTemplate *tmpl,
             const char    *name,
             gsize          len)
{
  g_autofree char *key = g_strndup (name, len);
  char *found = g_hash_table_lookup (tmpl->names, key);

  if (found != NULL)
    return found;
  found = g_steal_pointer (&key);
  g_hash_table_add (tmpl->names, found);
  return found;
}

/* ------------------------------------------------------------------------ */
/* Expressions. */

static gboolean
parse_call_args (Parser    *p,
                 TmplNode  *node)
{
  GPtrArray *args = g_ptr_array_new ();
  GPtrArray *kw_values = g_ptr_array_new ();
  GPtrArray *kw_names = g_ptr_array_new ();
  gboolean require_comma = FALSE;
  gsize start = current (p)->offset;

  advance (p);   /* ( */
  while (!is_op (p, TMPL_TOK_RPAREN) && p->error == NULL)
    {
      if (require_comma)
        {
          if (!expect_op (p, TMPL_TOK_COMMA, "','"))
            break;
          if (is_op (p, TMPL_TOK_RPAREN))
            break;
        }
      if (is_op (p, TMPL_TOK_MUL) || is_op (p, TMPL_TOK_POW))
        {
          fail_at (p, current (p)->offset, "*args and **kwargs in calls are not supported");
          break;
        }
      if (current (p)->kind == TMPL_TOKEN_NAME && peek (p, 1)->kind == TMPL_TOKEN_OPERATOR &&
          peek (p, 1)->op == TMPL_TOK_ASSIGN)
        {
          const char *name = current (p)->name;
          TmplNode *value;

          p->pos += 2;
          value = parse_expression (p, TRUE);
          if (value == NULL)
            break;
          for (guint i = 0; i < kw_names->len; i++)
            if (kw_names->pdata[i] == name)
              {
                fail_at (p, start, "keyword argument '%s' repeated", name);
                break;
              }
          g_ptr_array_add (kw_names, (gpointer) name);
          g_ptr_array_add (kw_values, value);
        }
      else
        {
          TmplNode *value;

          if (kw_values->len > 0)
            {
              fail_at (p, current (p)->offset, "positional argument follows keyword argument");
              break;
            }
          value = parse_expression (p, TRUE);
          if (value == NULL)
            break;
          g_ptr_array_add (args, value);
        }
      require_comma = TRUE;
    }
  if (p->error == NULL)
    expect_op (p, TMPL_TOK_RPAREN, "')'");
  node->items = list_from (p, args);
  node->values = list_from (p, kw_values);
  if (kw_names->len > 0)
    {
      node->kw_names = g_memdup2 (kw_names->pdata, kw_names->len * sizeof (gpointer));
      g_ptr_array_add (p->tmpl->blocks, node->kw_names);
    }
  g_ptr_array_unref (kw_names);
  return p->error == NULL;
}

static TmplNode *
parse_call (Parser   *p,
            TmplNode *callee)
{
  TmplNode *node = node_new (p, TMPL_NODE_CALL, current (p)->offset);

  /* Errors in a call point at what is called. */
  node->line = callee->line;
  node->column = callee->column;
  node->a = callee;
  if (!parse_call_args (p, node))
    return NULL;
  return node_finish (p, node);
}

/* The name after `|` or `is`, with Jinja's dotted names allowed. */
static const char *
parse_dotted_name (Parser *p)
{
  g_autoptr (GString) name = NULL;

  if (current (p)->kind != TMPL_TOKEN_NAME)
    return fail_unexpected (p, "a name");
  name = g_string_new (current (p)->name);
  advance (p);
  while (is_op (p, TMPL_TOK_DOT))
    {
      advance (p);
      if (current (p)->kind != TMPL_TOKEN_NAME)
        return fail_unexpected (p, "a name");
      g_string_append_printf (name, ".%s", current (p)->name);
      advance (p);
    }
  return tmpl_intern (p->tmpl, name->str, name->len);
}

static TmplNode *
parse_filter (Parser   *p,
              TmplNode *subject,
              gboolean  start_inline)
{
  TmplNode *node = subject;

  while ((is_op (p, TMPL_TOK_PIPE) || start_inline) && p->error == NULL)
    {
      TmplNode *filter;
      gsize offset;

      if (!start_inline)
        advance (p);
      start_inline = FALSE;
      offset = current (p)->offset;
      filter = node_new (p, TMPL_NODE_FILTER, offset);
      filter->a = node;
      filter->name = parse_dotted_name (p);
      if (filter->name == NULL)
        return NULL;
      filter->filter = tmpl_find_filter (filter->name);
      if (filter->filter == NULL && p->if_depth == 0)
        return fail_at (p, offset, "no filter named '%s'", filter->name);
      if (is_op (p, TMPL_TOK_LPAREN) && !parse_call_args (p, filter))
        return NULL;
      node = node_finish (p, filter);
      if (node == NULL)
        return NULL;
    }
  return node;
}

static TmplNode *
parse_test (Parser   *p,
            TmplNode *subject)
{
  gsize offset = current (p)->offset;
  gboolean negated;
  TmplNode *test;
  TmplToken *token;

  advance (p);   /* is */
  negated = skip_name (p, "not");
  test = node_new (p, TMPL_NODE_TEST, current (p)->offset);
  test->a = subject;
  test->name = parse_dotted_name (p);
  if (test->name == NULL)
    return NULL;
  test->test = tmpl_find_test (test->name);
  if (test->test == NULL && p->if_depth == 0)
    return fail_at (p, offset, "no test named '%s'", test->name);
  token = current (p);
  if (is_op (p, TMPL_TOK_LPAREN))
    {
      if (!parse_call_args (p, test))
        return NULL;
    }
  else if ((token->kind == TMPL_TOKEN_NAME || token->kind == TMPL_TOKEN_STRING ||
            token->kind == TMPL_TOKEN_INTEGER || token->kind == TMPL_TOKEN_FLOAT ||
            is_op (p, TMPL_TOK_LBRACKET) || is_op (p, TMPL_TOK_LBRACE)) &&
           !is_name (p, "else") && !is_name (p, "or") && !is_name (p, "and"))
    {
      /* One argument without parentheses: `is divisibleby 3`. */
      TmplNode *arg;
      GPtrArray *args = g_ptr_array_new ();

      if (is_name (p, "is"))
        {
          g_ptr_array_unref (args);
          return fail_at (p, current (p)->offset, "you cannot chain multiple tests with is");
        }
      arg = parse_primary (p);
      arg = arg != NULL ? parse_postfix (p, arg) : NULL;
      if (arg == NULL)
        {
          g_ptr_array_unref (args);
          return NULL;
        }
      g_ptr_array_add (args, arg);
      test->items = list_from (p, args);
    }
  test = node_finish (p, test);
  if (test != NULL && negated)
    {
      TmplNode *not = node_new (p, TMPL_NODE_NOT, offset);

      not->a = test;
      return node_finish (p, not);
    }
  return test;
}

static TmplNode *
parse_subscribed (Parser    *p,
                  TmplNode **slice_parts,
                  gboolean  *is_slice)
{
  TmplNode *start = NULL;

  *is_slice = FALSE;
  if (!is_op (p, TMPL_TOK_COLON))
    {
      start = parse_expression (p, TRUE);
      if (start == NULL || !is_op (p, TMPL_TOK_COLON))
        return start;
    }
  *is_slice = TRUE;
  advance (p);   /* : */
  slice_parts[0] = start;
  slice_parts[1] = NULL;
  slice_parts[2] = NULL;
  if (!is_op (p, TMPL_TOK_COLON) && !is_op (p, TMPL_TOK_RBRACKET) && !is_op (p, TMPL_TOK_COMMA))
    {
      slice_parts[1] = parse_expression (p, TRUE);
      if (slice_parts[1] == NULL)
        return NULL;
    }
  if (skip_op (p, TMPL_TOK_COLON) && !is_op (p, TMPL_TOK_RBRACKET) && !is_op (p, TMPL_TOK_COMMA))
    {
      slice_parts[2] = parse_expression (p, TRUE);
      if (slice_parts[2] == NULL)
        return NULL;
    }
  return NULL;
}

static TmplNode *
parse_subscript (Parser   *p,
                 TmplNode *obj)
{
  gsize offset = current (p)->offset;

  if (skip_op (p, TMPL_TOK_DOT))
    {
      TmplToken *token = current (p);
      TmplNode *node;

      if (token->kind == TMPL_TOKEN_NAME)
        {
          node = node_new (p, TMPL_NODE_ATTR, token->offset);
          node->a = obj;
          node->name = token->name;
          advance (p);
          return node_finish (p, node);
        }
      if (token->kind == TMPL_TOKEN_INTEGER)
        {
          TmplNode *index = node_new (p, TMPL_NODE_CONST, token->offset);

          index->constant = constant_new (p, tmpl_new_int (NULL, token->integer));
          index = node_finish (p, index);
          node = node_new (p, TMPL_NODE_ITEM, offset);
          node->a = obj;
          node->b = index;
          advance (p);
          return node_finish (p, node);
        }
      return fail_unexpected (p, "a name or number");
    }

  /* [ … ] */
  advance (p);
  {
    GPtrArray *args = g_ptr_array_new ();
    TmplNode *parts[3] = { NULL, NULL, NULL };
    gboolean is_slice = FALSE;
    TmplNode *node;

    while (!is_op (p, TMPL_TOK_RBRACKET) && p->error == NULL)
      {
        TmplNode *arg;

        if (args->len > 0 && !expect_op (p, TMPL_TOK_COMMA, "','"))
          break;
        arg = parse_subscribed (p, parts, &is_slice);
        if (is_slice)
          {
            if (args->len > 0 || !is_op (p, TMPL_TOK_RBRACKET))
              {
                fail_at (p, offset, "slices inside tuples are not supported");
                break;
              }
            break;
          }
        if (arg == NULL)
          break;
        g_ptr_array_add (args, arg);
      }
    if (p->error != NULL || !expect_op (p, TMPL_TOK_RBRACKET, "']'"))
      {
        g_ptr_array_unref (args);
        return NULL;
      }
    if (is_slice)
      {
        g_ptr_array_unref (args);
        node = node_new (p, TMPL_NODE_SLICE, offset);
        node->a = obj;
        node->b = parts[0];
        node->c = parts[1];
        node->d = parts[2];
        return node_finish (p, node);
      }
    if (args->len == 0)
      {
        g_ptr_array_unref (args);
        return fail_at (p, offset, "expected a subscript");
      }
    node = node_new (p, TMPL_NODE_ITEM, offset);
    node->a = obj;
    if (args->len == 1)
      {
        node->b = args->pdata[0];
        g_ptr_array_unref (args);
      }
    else
      {
        TmplNode *tuple = node_new (p, TMPL_NODE_TUPLE, offset);

        tuple->items = list_from (p, args);
        node->b = node_finish (p, tuple);
        if (node->b == NULL)
          return NULL;
      }
    return node_finish (p, node);
  }
}

static TmplNode *
parse_postfix (Parser   *p,
               TmplNode *node)
{
  while (node != NULL)
    {
      if (is_op (p, TMPL_TOK_DOT) || is_op (p, TMPL_TOK_LBRACKET))
        node = parse_subscript (p, node);
      else if (is_op (p, TMPL_TOK_LPAREN))
        node = parse_call (p, node);
      else
        break;
    }
  return node;
}

static TmplNode *
parse_filter_expr (Parser   *p,
                   TmplNode *node)
{
  while (node != NULL)
    {
      if (is_op (p, TMPL_TOK_PIPE))
        node = parse_filter (p, node, FALSE);
      else if (is_name (p, "is"))
        node = parse_test (p, node);
      else if (is_op (p, TMPL_TOK_LPAREN))
        node = parse_call (p, node);
      else
        break;
    }
  return node;
}

static TmplNode *
parse_list_or_dict (Parser   *p,
                    gboolean  is_dict)
{
  TmplNode *node = node_new (p, is_dict ? TMPL_NODE_DICT : TMPL_NODE_LIST, current (p)->offset);
  TmplOperator close = is_dict ? TMPL_TOK_RBRACE : TMPL_TOK_RBRACKET;
  GPtrArray *keys = g_ptr_array_new ();
  GPtrArray *values = g_ptr_array_new ();

  advance (p);
  while (!is_op (p, close) && p->error == NULL)
    {
      TmplNode *item;

      if (keys->len > 0 && !expect_op (p, TMPL_TOK_COMMA, "','"))
        break;
      if (is_op (p, close))
        break;
      item = parse_expression (p, TRUE);
      if (item == NULL)
        break;
      g_ptr_array_add (keys, item);
      if (is_dict)
        {
          if (!expect_op (p, TMPL_TOK_COLON, "':'"))
            break;
          item = parse_expression (p, TRUE);
          if (item == NULL)
            break;
          g_ptr_array_add (values, item);
        }
    }
  if (p->error == NULL)
    expect_op (p, close, is_dict ? "'}'" : "']'");
  node->items = list_from (p, keys);
  node->values = list_from (p, values);
  return p->error == NULL ? node_finish (p, node) : NULL;
}

static TmplNode *
parse_primary (Parser *p)
{
  TmplToken *token = current (p);
  TmplNode *node;

  switch (token->kind)
    {
    case TMPL_TOKEN_NAME:
      {
        const char *name = token->name;

        if (g_str_equal (name, "true") || g_str_equal (name, "True") ||
            g_str_equal (name, "false") || g_str_equal (name, "False") ||
            g_str_equal (name, "none") || g_str_equal (name, "None"))
          {
            node = node_new (p, TMPL_NODE_CONST, token->offset);
            node->constant = name[0] == 'n' || name[0] == 'N' ? TMPL_NONE :
                             TMPL_BOOL (name[0] == 't' || name[0] == 'T');
          }
        else
          {
            node = node_new (p, TMPL_NODE_NAME, token->offset);
            node->name = name;
          }
        advance (p);
        return node_finish (p, node);
      }
    case TMPL_TOKEN_STRING:
      {
        /* Adjacent literals are one string, as in Python. */
        GString *text = g_string_new_len (token->text, (gssize) token->text_len);

        node = node_new (p, TMPL_NODE_CONST, token->offset);
        advance (p);
        while (current (p)->kind == TMPL_TOKEN_STRING)
          {
            g_string_append_len (text, current (p)->text, (gssize) current (p)->text_len);
            advance (p);
          }
        node->constant = constant_new (p, tmpl_new_string_take_gstring (NULL, text));
        return node_finish (p, node);
      }
    case TMPL_TOKEN_INTEGER:
    case TMPL_TOKEN_FLOAT:
      node = node_new (p, TMPL_NODE_CONST, token->offset);
      node->constant = constant_new (p, token->kind == TMPL_TOKEN_INTEGER ?
                                        tmpl_new_int (NULL, token->integer) :
                                        tmpl_new_float (NULL, token->number));
      advance (p);
      return node_finish (p, node);
    case TMPL_TOKEN_OPERATOR:
      if (token->op == TMPL_TOK_LPAREN)
        {
          advance (p);
          node = parse_tuple (p, FALSE, TRUE, NULL, TRUE);
          if (node == NULL || !expect_op (p, TMPL_TOK_RPAREN, "')'"))
            return NULL;
          return node;
        }
      if (token->op == TMPL_TOK_LBRACKET)
        return parse_list_or_dict (p, FALSE);
      if (token->op == TMPL_TOK_LBRACE)
        return parse_list_or_dict (p, TRUE);
      return fail_unexpected (p, NULL);
    default:
      return fail_unexpected (p, NULL);
    }
}

static TmplNode *
parse_unary (Parser   *p,
             gboolean  with_filter)
{
  TmplNode *node;

  if (!enter (p))
    return NULL;
  if (is_op (p, TMPL_TOK_SUB) || is_op (p, TMPL_TOK_ADD))
    {
      gsize offset = current (p)->offset;
      TmplNodeKind kind = is_op (p, TMPL_TOK_SUB) ? TMPL_NODE_NEG : TMPL_NODE_POS;
      TmplNode *operand;

      advance (p);
      operand = parse_unary (p, FALSE);
      node = NULL;
      if (operand != NULL)
        {
          node = node_new (p, kind, offset);
          node->a = operand;
          node = node_finish (p, node);
        }
    }
  else
    node = parse_primary (p);
  node = parse_postfix (p, node);
  if (with_filter)
    node = parse_filter_expr (p, node);
  leave (p);
  return node;
}

static TmplNode *
binary_new (Parser       *p,
            TmplNodeKind  kind,
            TmplOp        op,
            gsize         offset,
            TmplNode     *left,
            TmplNode     *right)
{
  TmplNode *node;

  if (left == NULL || right == NULL)
    return NULL;
  node = node_new (p, kind, offset);
  node->op = op;
  node->a = left;
  node->b = right;
  return node_finish (p, node);
}

static TmplNode *
parse_pow (Parser *p)
{
  TmplNode *left = parse_unary (p, TRUE);

  /* Left-associative in Jinja: 2**3**2 is 64. */
  while (left != NULL && is_op (p, TMPL_TOK_POW))
    {
      gsize offset = current (p)->offset;

      advance (p);
      left = binary_new (p, TMPL_NODE_BINARY, TMPL_OP_POW, offset, left, parse_unary (p, TRUE));
    }
  return left;
}

static TmplNode *
parse_math2 (Parser *p)
{
  TmplNode *left = parse_pow (p);

  while (left != NULL)
    {
      gsize offset = current (p)->offset;
      TmplOp op;

      if (is_op (p, TMPL_TOK_MUL))
        op = TMPL_OP_MUL;
      else if (is_op (p, TMPL_TOK_DIV))
        op = TMPL_OP_DIV;
      else if (is_op (p, TMPL_TOK_FLOORDIV))
        op = TMPL_OP_FLOORDIV;
      else if (is_op (p, TMPL_TOK_MOD))
        op = TMPL_OP_MOD;
      else
        break;
      advance (p);
      left = binary_new (p, TMPL_NODE_BINARY, op, offset, left, parse_pow (p));
    }
  return left;
}

static TmplNode *
parse_concat (Parser *p)
{
  gsize offset = current (p)->offset;
  TmplNode *first = parse_math2 (p);
  GPtrArray *operands;
  TmplNode *node;

  if (first == NULL || !is_op (p, TMPL_TOK_TILDE))
    return first;
  operands = g_ptr_array_new ();
  g_ptr_array_add (operands, first);
  while (skip_op (p, TMPL_TOK_TILDE))
    {
      TmplNode *next = parse_math2 (p);

      if (next == NULL)
        {
          g_ptr_array_unref (operands);
          return NULL;
        }
      g_ptr_array_add (operands, next);
    }
  node = node_new (p, TMPL_NODE_CONCAT, offset);
  node->items = list_from (p, operands);
  return node_finish (p, node);
}

static TmplNode *
parse_math1 (Parser *p)
{
  TmplNode *left = parse_concat (p);

  while (left != NULL && (is_op (p, TMPL_TOK_ADD) || is_op (p, TMPL_TOK_SUB)))
    {
      gsize offset = current (p)->offset;
      TmplOp op = is_op (p, TMPL_TOK_ADD) ? TMPL_OP_ADD : TMPL_OP_SUB;

      advance (p);
      left = binary_new (p, TMPL_NODE_BINARY, op, offset, left, parse_concat (p));
    }
  return left;
}

static TmplNode *
parse_compare (Parser *p)
{
  gsize offset = current (p)->offset;
  TmplNode *first = parse_math1 (p);
  GPtrArray *operands = NULL;
  GByteArray *ops = NULL;
  TmplNode *node;

  while (first != NULL)
    {
      TmplOp op;
      TmplNode *operand;

      if (is_op (p, TMPL_TOK_EQ))
        op = TMPL_OP_EQ;
      else if (is_op (p, TMPL_TOK_NE))
        op = TMPL_OP_NE;
      else if (is_op (p, TMPL_TOK_LT))
        op = TMPL_OP_LT;
      else if (is_op (p, TMPL_TOK_LE))
        op = TMPL_OP_LE;
      else if (is_op (p, TMPL_TOK_GT))
        op = TMPL_OP_GT;
      else if (is_op (p, TMPL_TOK_GE))
        op = TMPL_OP_GE;
      else if (is_name (p, "in"))
        op = TMPL_OP_IN;
      else if (is_name (p, "not") && peek (p, 1)->kind == TMPL_TOKEN_NAME &&
               strcmp (peek (p, 1)->name, "in") == 0)
        {
          op = TMPL_OP_NOT_IN;
          advance (p);
        }
      else
        break;
      advance (p);
      operand = parse_math1 (p);
      if (operand == NULL)
        {
          first = NULL;
          break;
        }
      if (operands == NULL)
        {
          operands = g_ptr_array_new ();
          ops = g_byte_array_new ();
        }
      g_ptr_array_add (operands, operand);
      g_byte_array_append (ops, (guint8 *) &op, 1);
    }
  if (operands == NULL)
    return first;
  if (first == NULL)
    {
      g_ptr_array_unref (operands);
      g_byte_array_unref (ops);
      return NULL;
    }
  node = node_new (p, TMPL_NODE_COMPARE, offset);
  node->a = first;
  node->items = list_from (p, operands);
  node->ops = g_byte_array_free (ops, FALSE);
  g_ptr_array_add (p->tmpl->blocks, node->ops);
  return node_finish (p, node);
}

static TmplNode *
parse_not (Parser *p)
{
  TmplNode *node;

  if (!is_name (p, "not"))
    return parse_compare (p);
  if (!enter (p))
    return NULL;
  node = node_new (p, TMPL_NODE_NOT, current (p)->offset);
  advance (p);
  node->a = parse_not (p);
  leave (p);
  return node->a != NULL ? node_finish (p, node) : NULL;
}

static TmplNode *
parse_and (Parser *p)
{
  TmplNode *left = parse_not (p);

  while (left != NULL && is_name (p, "and"))
    {
      gsize offset = current (p)->offset;

      advance (p);
      left = binary_new (p, TMPL_NODE_AND, 0, offset, left, parse_not (p));
    }
  return left;
}

static TmplNode *
parse_or (Parser *p)
{
  TmplNode *left = parse_and (p);

  while (left != NULL && is_name (p, "or"))
    {
      gsize offset = current (p)->offset;

      advance (p);
      left = binary_new (p, TMPL_NODE_OR, 0, offset, left, parse_and (p));
    }
  return left;
}

static TmplNode *
parse_condexpr (Parser *p)
{
  gsize offset = current (p)->offset;
  TmplNode *expr = parse_or (p);

  while (expr != NULL && skip_name (p, "if"))
    {
      TmplNode *node = node_new (p, TMPL_NODE_COND, offset);

      node->b = expr;
      node->a = parse_or (p);
      if (node->a == NULL)
        return NULL;
      if (skip_name (p, "else"))
        {
          node->c = parse_condexpr (p);
          if (node->c == NULL)
            return NULL;
        }
      expr = node_finish (p, node);
    }
  return expr;
}

static TmplNode *
parse_expression (Parser   *p,
                  gboolean  with_condexpr)
{
  TmplNode *node;

  if (!enter (p))
    return NULL;
  node = with_condexpr ? parse_condexpr (p) : parse_or (p);
  leave (p);
  return node;
}

static gboolean
is_tuple_end (Parser     *p,
              const char *extra_end)
{
  TmplToken *token = current (p);

  if (token->kind == TMPL_TOKEN_VARIABLE_END || token->kind == TMPL_TOKEN_BLOCK_END ||
      token->kind == TMPL_TOKEN_EOF || is_op (p, TMPL_TOK_RPAREN))
    return TRUE;
  return extra_end != NULL && is_name (p, extra_end);
}

static TmplNode *
parse_tuple (Parser     *p,
             gboolean    simplified,
             gboolean    with_condexpr,
             const char *extra_end,
             gboolean    explicit_parentheses)
{
  gsize offset = current (p)->offset;
  GPtrArray *items = g_ptr_array_new ();
  gboolean is_tuple = FALSE;
  TmplNode *node;

  while (TRUE)
    {
      TmplNode *item;

      if (items->len > 0 && !expect_op (p, TMPL_TOK_COMMA, "','"))
        break;
      if (is_tuple_end (p, extra_end))
        break;
      item = simplified ? parse_primary (p) : parse_expression (p, with_condexpr);
      if (item == NULL)
        break;
      g_ptr_array_add (items, item);
      if (is_op (p, TMPL_TOK_COMMA))
        is_tuple = TRUE;
      else
        break;
    }
  if (p->error != NULL)
    {
      g_ptr_array_unref (items);
      return NULL;
    }
  if (!is_tuple)
    {
      if (items->len > 0)
        {
          node = items->pdata[0];
          g_ptr_array_unref (items);
          return node;
        }
      if (!explicit_parentheses)
        {
          g_ptr_array_unref (items);
          return fail_unexpected (p, "an expression");
        }
    }
  node = node_new (p, TMPL_NODE_TUPLE, offset);
  node->items = list_from (p, items);
  return node_finish (p, node);
}

/* ------------------------------------------------------------------------ */
/* Statements. */

static gboolean
can_assign (const TmplNode *target)
{
  if (target->kind == TMPL_NODE_NAME)
    return TRUE;
  if (target->kind == TMPL_NODE_TUPLE)
    {
      for (guint i = 0; i < target->items.len; i++)
        if (!can_assign (target->items.items[i]))
          return FALSE;
      return TRUE;
    }
  return FALSE;
}

static TmplNode *
parse_assign_target (Parser     *p,
                     gboolean    name_only,
                     gboolean    with_namespace,
                     const char *extra_end)
{
  gsize offset = current (p)->offset;
  TmplNode *target;

  if (with_namespace && current (p)->kind == TMPL_TOKEN_NAME && peek (p, 1)->kind == TMPL_TOKEN_OPERATOR &&
      peek (p, 1)->op == TMPL_TOK_DOT)
    {
      TmplNode *ns = node_new (p, TMPL_NODE_NAME, offset);

      ns->name = current (p)->name;
      ns = node_finish (p, ns);
      p->pos += 2;
      if (current (p)->kind != TMPL_TOKEN_NAME)
        return fail_unexpected (p, "a name");
      target = node_new (p, TMPL_NODE_NSREF, offset);
      target->a = ns;
      target->name = current (p)->name;
      advance (p);
      return node_finish (p, target);
    }
  if (name_only)
    {
      if (current (p)->kind != TMPL_TOKEN_NAME)
        return fail_unexpected (p, "a name");
      target = node_new (p, TMPL_NODE_NAME, offset);
      target->name = current (p)->name;
      advance (p);
      target = node_finish (p, target);
    }
  else
    target = parse_tuple (p, TRUE, TRUE, extra_end, FALSE);
  if (target != NULL && !can_assign (target))
    return fail_at (p, offset, "can't assign to this expression");
  if (target != NULL && target->kind == TMPL_NODE_NAME &&
      (g_str_equal (target->name, "true") || g_str_equal (target->name, "false") ||
       g_str_equal (target->name, "none") || g_str_equal (target->name, "True") ||
       g_str_equal (target->name, "False") || g_str_equal (target->name, "None")))
    return fail_at (p, offset, "can't assign to a constant");
  return target;
}

/* The end of a statement's opening tag, as Jinja allows: an optional ':'. */
static gboolean
expect_block_end (Parser *p)
{
  skip_op (p, TMPL_TOK_COLON);
  return expect_kind (p, TMPL_TOKEN_BLOCK_END, "end of statement block");
}

static gboolean
parse_statements (Parser            *p,
                  const char        *block,
                  const char *const *end_names,
                  TmplNodeList      *body)
{
  gboolean ok;

  if (!expect_block_end (p))
    return FALSE;
  p->open_blocks[p->n_open_blocks++] = block;
  ok = parse_body (p, end_names, body);
  p->n_open_blocks--;
  return ok;
}

/* The body of a block statement up to its end tag, which it consumes.
 * Blocks that run apart from the loop around them (macros, call and
 * filter blocks, block sets) do not let break or continue reach it. */
static gboolean
parse_block_body (Parser       *p,
                  const char   *block,
                  const char   *end_name,
                  gboolean      outside_loops,
                  TmplNodeList *body)
{
  const char *const end[] = { end_name, NULL };
  guint saved_loop_depth = p->loop_depth;
  gboolean ok;

  if (outside_loops)
    p->loop_depth = 0;
  ok = parse_statements (p, block, end, body);
  p->loop_depth = saved_loop_depth;
  if (ok)
    advance (p);   /* the end tag */
  return ok;
}

static gboolean
parse_signature (Parser   *p,
                 TmplNode *node)
{
  GPtrArray *params = g_ptr_array_new ();
  GPtrArray *defaults = g_ptr_array_new ();
  gboolean any_default = FALSE;

  if (!expect_op (p, TMPL_TOK_LPAREN, "'('"))
    goto out;
  while (!is_op (p, TMPL_TOK_RPAREN) && p->error == NULL)
    {
      TmplNode *param;

      if (params->len > 0 && !expect_op (p, TMPL_TOK_COMMA, "','"))
        break;
      param = parse_assign_target (p, TRUE, FALSE, NULL);
      if (param == NULL)
        break;
      g_ptr_array_add (params, param);
      if (skip_op (p, TMPL_TOK_ASSIGN))
        {
          TmplNode *value = parse_expression (p, TRUE);

          if (value == NULL)
            break;
          g_ptr_array_add (defaults, value);
          any_default = TRUE;
        }
      else if (any_default)
        {
          fail_at (p, current (p)->offset, "non-default argument follows default argument");
          break;
        }
      else
        g_ptr_array_add (defaults, NULL);
    }
  if (p->error == NULL)
    expect_op (p, TMPL_TOK_RPAREN, "')'");
out:
  node->params = list_from (p, params);
  node->defaults = list_from (p, defaults);
  return p->error == NULL;
}

/* Which of varargs, kwargs and caller a macro body mentions, as Jinja
 * decides whether a macro accepts extra arguments. Nested macros have
 * their own. */
static guint8
scan_macro_names (const BendiTemplate *tmpl,
                  const TmplNode      *node)
{
  guint8 flags = 0;
  const TmplNode *kids[4];
  const TmplNodeList *lists[6];

  if (node == NULL)
    return 0;
  if (node->kind == TMPL_NODE_NAME)
    {
      if (node->name == tmpl->name_varargs)
        return TMPL_MACRO_VARARGS;
      if (node->name == tmpl->name_kwargs)
        return TMPL_MACRO_KWARGS;
      if (node->name == tmpl->name_caller)
        return TMPL_MACRO_CALLER;
      return 0;
    }
  kids[0] = node->a;
  kids[1] = node->b;
  kids[2] = node->c;
  kids[3] = node->d;
  lists[0] = &node->items;
  lists[1] = &node->values;
  lists[2] = node->kind == TMPL_NODE_MACRO ? NULL : &node->body;
  lists[3] = &node->else_body;
  lists[4] = &node->params;
  lists[5] = &node->defaults;
  for (gsize i = 0; i < G_N_ELEMENTS (kids); i++)
    flags |= scan_macro_names (tmpl, kids[i]);
  for (gsize i = 0; i < G_N_ELEMENTS (lists); i++)
    for (guint j = 0; lists[i] != NULL && j < lists[i]->len; j++)
      flags |= scan_macro_names (tmpl, lists[i]->items[j]);
  return flags;
}

static guint8
scan_body (const BendiTemplate *tmpl,
           const TmplNodeList  *body)
{
  guint8 flags = 0;

  for (guint i = 0; i < body->len; i++)
    flags |= scan_macro_names (tmpl, body->items[i]);
  return flags;
}

static TmplNode *
parse_for (Parser *p)
{
  static const char *const body_end[] = { "endfor", "else", NULL };
  static const char *const else_end[] = { "endfor", NULL };
  TmplNode *node = node_new (p, TMPL_NODE_FOR, current (p)->offset);
  gboolean ok;

  advance (p);
  node->a = parse_assign_target (p, FALSE, FALSE, "in");
  if (node->a == NULL)
    return NULL;
  if (!skip_name (p, "in"))
    return fail_unexpected (p, "'in'");
  node->b = parse_tuple (p, FALSE, FALSE, "recursive", FALSE);
  if (node->b == NULL)
    return NULL;
  if (skip_name (p, "if"))
    {
      node->c = parse_expression (p, TRUE);
      if (node->c == NULL)
        return NULL;
    }
  if (skip_name (p, "recursive"))
    node->flags |= TMPL_FOR_RECURSIVE;
  p->loop_depth++;
  ok = parse_statements (p, "for", body_end, &node->body);
  p->loop_depth--;
  if (!ok)
    return NULL;
  if (skip_name (p, "else"))
    {
      if (!parse_statements (p, "for", else_end, &node->else_body))
        return NULL;
    }
  advance (p);   /* endfor */
  return node_finish (p, node);
}

static TmplNode *
parse_if (Parser *p)
{
  static const char *const body_end[] = { "elif", "else", "endif", NULL };
  static const char *const else_end[] = { "endif", NULL };
  TmplNode *node = node_new (p, TMPL_NODE_IF, current (p)->offset);
  gboolean ok = TRUE;

  advance (p);
  p->if_depth++;
  node->a = parse_tuple (p, FALSE, FALSE, NULL, FALSE);
  if (node->a == NULL || !parse_statements (p, "if", body_end, &node->body))
    ok = FALSE;
  else if (is_name (p, "elif"))
    {
      /* An elif is an if alone in the else branch; it ends the same endif. */
      GPtrArray *else_body = g_ptr_array_new ();
      TmplNode *elif = parse_if (p);

      if (elif == NULL)
        {
          g_ptr_array_unref (else_body);
          ok = FALSE;
        }
      else
        {
          g_ptr_array_add (else_body, elif);
          node->else_body = list_from (p, else_body);
        }
      p->if_depth--;
      return ok ? node_finish (p, node) : NULL;
    }
  else if (skip_name (p, "else"))
    ok = parse_statements (p, "if", else_end, &node->else_body);
  p->if_depth--;
  if (!ok)
    return NULL;
  advance (p);   /* endif */
  return node_finish (p, node);
}

static TmplNode *
parse_set (Parser *p)
{
  gsize offset = current (p)->offset;
  TmplNode *target;
  TmplNode *node;

  advance (p);
  target = parse_assign_target (p, FALSE, TRUE, NULL);
  if (target == NULL)
    return NULL;
  if (skip_op (p, TMPL_TOK_ASSIGN))
    {
      node = node_new (p, TMPL_NODE_SET, offset);
      node->a = target;
      node->b = parse_tuple (p, FALSE, TRUE, NULL, FALSE);
      return node->b != NULL ? node_finish (p, node) : NULL;
    }
  node = node_new (p, TMPL_NODE_SET_BLOCK, offset);
  node->a = target;
  if (is_op (p, TMPL_TOK_PIPE))
    {
      node->c = parse_filter (p, NULL, FALSE);
      if (node->c == NULL)
        return NULL;
    }
  if (!parse_block_body (p, "set", "endset", TRUE, &node->body))
    return NULL;
  return node_finish (p, node);
}

static TmplNode *
parse_macro (Parser *p)
{
  TmplNode *node = node_new (p, TMPL_NODE_MACRO, current (p)->offset);
  TmplNode *name;

  advance (p);
  name = parse_assign_target (p, TRUE, FALSE, NULL);
  if (name == NULL)
    return NULL;
  node->name = name->name;
  if (!parse_signature (p, node))
    return NULL;
  if (!parse_block_body (p, "macro", "endmacro", TRUE, &node->body))
    return NULL;
  node->flags = scan_body (p->tmpl, &node->body);
  return node_finish (p, node);
}

static TmplNode *
parse_call_block (Parser *p)
{
  TmplNode *node = node_new (p, TMPL_NODE_CALL_BLOCK, current (p)->offset);

  advance (p);
  node->name = p->tmpl->name_caller;
  if (is_op (p, TMPL_TOK_LPAREN) && !parse_signature (p, node))
    return NULL;
  node->a = parse_expression (p, TRUE);
  if (node->a == NULL)
    return NULL;
  if (node->a->kind != TMPL_NODE_CALL)
    return fail_at (p, current (p)->offset, "expected a call after {%% call %%}");
  if (!parse_block_body (p, "call", "endcall", TRUE, &node->body))
    return NULL;
  node->flags = scan_body (p->tmpl, &node->body);
  return node_finish (p, node);
}

static TmplNode *
parse_filter_block (Parser *p)
{
  TmplNode *node = node_new (p, TMPL_NODE_FILTER_BLOCK, current (p)->offset);

  advance (p);
  node->c = parse_filter (p, NULL, TRUE);
  if (node->c == NULL)
    return NULL;
  if (!parse_block_body (p, "filter", "endfilter", TRUE, &node->body))
    return NULL;
  return node_finish (p, node);
}

static TmplNode *
parse_with (Parser *p)
{
  TmplNode *node = node_new (p, TMPL_NODE_WITH, current (p)->offset);
  GPtrArray *targets = g_ptr_array_new ();
  GPtrArray *values = g_ptr_array_new ();

  advance (p);
  while (current (p)->kind != TMPL_TOKEN_BLOCK_END && p->error == NULL)
    {
      TmplNode *target, *value;

      if (targets->len > 0 && !expect_op (p, TMPL_TOK_COMMA, "','"))
        break;
      target = parse_assign_target (p, TRUE, FALSE, NULL);
      if (target == NULL || !expect_op (p, TMPL_TOK_ASSIGN, "'='"))
        break;
      value = parse_expression (p, TRUE);
      if (value == NULL)
        break;
      g_ptr_array_add (targets, target);
      g_ptr_array_add (values, value);
    }
  node->params = list_from (p, targets);
  node->defaults = list_from (p, values);
  if (p->error != NULL || !parse_block_body (p, "with", "endwith", FALSE, &node->body))
    return NULL;
  return node_finish (p, node);
}

static TmplNode *
parse_generation (Parser *p)
{
  TmplNode *node = node_new (p, TMPL_NODE_SCOPE, current (p)->offset);

  advance (p);
  if (!parse_block_body (p, "generation", "endgeneration", FALSE, &node->body))
    return NULL;
  return node_finish (p, node);
}

static TmplNode *
parse_statement (Parser *p)
{
  TmplToken *token = current (p);
  const char *name;
  TmplNode *node;

  if (token->kind != TMPL_TOKEN_NAME)
    return fail_unexpected (p, "a statement name");
  name = token->name;
  if (!enter (p))
    return NULL;
  if (g_str_equal (name, "for"))
    node = parse_for (p);
  else if (g_str_equal (name, "if"))
    node = parse_if (p);
  else if (g_str_equal (name, "set"))
    node = parse_set (p);
  else if (g_str_equal (name, "macro"))
    node = parse_macro (p);
  else if (g_str_equal (name, "call"))
    node = parse_call_block (p);
  else if (g_str_equal (name, "filter"))
    node = parse_filter_block (p);
  else if (g_str_equal (name, "with"))
    node = parse_with (p);
  else if (g_str_equal (name, "generation"))
    node = parse_generation (p);
  else if (g_str_equal (name, "break") || g_str_equal (name, "continue"))
    {
      if (p->loop_depth == 0)
        node = fail_at (p, token->offset, "'%s' outside loop", name);
      else
        {
          node = node_new (p, name[0] == 'b' ? TMPL_NODE_BREAK : TMPL_NODE_CONTINUE, token->offset);
          advance (p);
          node = node_finish (p, node);
        }
    }
  else if (g_str_equal (name, "include") || g_str_equal (name, "import") ||
           g_str_equal (name, "from") || g_str_equal (name, "extends") ||
           g_str_equal (name, "block"))
    node = fail_at (p, token->offset, "the '%s' tag is not supported: a chat template stands alone", name);
  else
    {
      if (p->n_open_blocks > 0)
        node = fail_at (p, token->offset, "encountered unknown tag '%s'; the innermost block that needs to be closed is '%s'",
                        name, p->open_blocks[p->n_open_blocks - 1]);
      else
        node = fail_at (p, token->offset, "encountered unknown tag '%s'", name);
    }
  leave (p);
  return node;
}

static gboolean
is_end_name (Parser            *p,
             const char *const *end_names)
{
  for (gsize i = 0; end_names != NULL && end_names[i] != NULL; i++)
    if (is_name (p, end_names[i]))
      return TRUE;
  return FALSE;
}

static gboolean
parse_body (Parser            *p,
            const char *const *end_names,
            TmplNodeList      *body)
{
  GPtrArray *nodes = g_ptr_array_new ();

  while (p->error == NULL)
    {
      TmplToken *token = current (p);

      if (token->kind == TMPL_TOKEN_EOF)
        {
          if (end_names != NULL)
            {
              g_autoptr (GString) expected = g_string_new (NULL);

              for (gsize i = 0; end_names[i] != NULL; i++)
                g_string_append_printf (expected, "%s'%s'", i > 0 ? " or " : "", end_names[i]);
              fail_at (p, token->offset, "unexpected end of template; looking for %s to close '%s'",
                       expected->str, p->open_blocks[p->n_open_blocks - 1]);
            }
          break;
        }
      if (token->kind == TMPL_TOKEN_TEXT)
        {
          TmplNode *node = node_new (p, TMPL_NODE_TEXT, token->offset);

          node->constant = constant_new (p, tmpl_new_string (NULL, token->text, token->text_len));
          g_ptr_array_add (nodes, node_finish (p, node));
          advance (p);
        }
      else if (token->kind == TMPL_TOKEN_VARIABLE_BEGIN)
        {
          TmplNode *node = node_new (p, TMPL_NODE_PRINT, token->offset);

          advance (p);
          node->a = parse_tuple (p, FALSE, TRUE, NULL, FALSE);
          if (node->a == NULL || !expect_kind (p, TMPL_TOKEN_VARIABLE_END, "end of print statement"))
            break;
          g_ptr_array_add (nodes, node_finish (p, node));
        }
      else if (token->kind == TMPL_TOKEN_BLOCK_BEGIN)
        {
          TmplNode *node;

          advance (p);
          if (is_end_name (p, end_names))
            break;
          node = parse_statement (p);
          if (node == NULL || !expect_kind (p, TMPL_TOKEN_BLOCK_END, "end of statement block"))
            break;
          g_ptr_array_add (nodes, node);
        }
      else
        {
          fail_unexpected (p, NULL);
          break;
        }
    }
  *body = list_from (p, nodes);
  return p->error == NULL;
}

gboolean
tmpl_parse (BendiTemplate *tmpl,
            const char    *text,
            gsize          len,
            GError       **error)
{
  TmplSource source;
  GArray *tokens;
  Parser p = { 0 };
  gboolean ok;

  if (!tmpl_source_init (&source, text, len, error))
    return FALSE;
  tokens = g_array_new (FALSE, TRUE, sizeof (TmplToken));
  if (!tmpl_lex (tmpl, &source, tokens, error))
    {
      tmpl_tokens_free (tokens);
      tmpl_source_clear (&source);
      return FALSE;
    }
  p.tmpl = tmpl;
  p.source = &source;
  p.tokens = (TmplToken *) (gpointer) tokens->data;
  p.n_tokens = tokens->len;
  ok = parse_body (&p, NULL, &tmpl->body);
  if (!ok)
    g_propagate_error (error, p.error);
  tmpl_tokens_free (tokens);
  tmpl_source_clear (&source);
  return ok;
}

/* ------------------------------------------------------------------------ */

static void
free_constant (gpointer data)
{
  Value *value = data;

  value->ref_count = 1;
  tmpl_unref (value);
}

BendiTemplate *
bendi_template_new (const char  *source,
                    gssize       length,
                    GError     **error)
{
  g_autoptr (BendiTemplate) self = NULL;

  g_return_val_if_fail (source != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_new0 (BendiTemplate, 1);
  self->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->nodes = g_ptr_array_new_with_free_func (g_free);
  self->blocks = g_ptr_array_new_with_free_func (g_free);
  self->constants = g_ptr_array_new_with_free_func (free_constant);
  self->name_loop = tmpl_intern (self, "loop", 4);
  self->name_caller = tmpl_intern (self, "caller", 6);
  self->name_varargs = tmpl_intern (self, "varargs", 7);
  self->name_kwargs = tmpl_intern (self, "kwargs", 6);
  if (!tmpl_parse (self, source != NULL ? source : "", length < 0 ? strlen (source) : (gsize) length, error))
    return NULL;
  return g_steal_pointer (&self);
}

void
bendi_template_free (BendiTemplate *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->nodes);
  g_ptr_array_unref (self->blocks);
  g_ptr_array_unref (self->constants);
  g_hash_table_unref (self->names);
  g_free (self);
}
