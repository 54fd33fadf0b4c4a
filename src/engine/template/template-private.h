/* SPDX-License-Identifier: MIT */
/* What the template engine's files share: the value layout, the parse tree and the render state. */
#pragma once

#include "template/template.h"

#include "engine-error.h"

G_BEGIN_DECLS

typedef BendiTemplateValue Value;
typedef struct _TmplRun TmplRun;
typedef struct _TmplNode TmplNode;

/* Kinds of value that never leave the engine, after the public ones. */
enum {
  TMPL_VALUE_LOOP = BENDI_TEMPLATE_VALUE_CALLABLE + 1,  /* the `loop` of a for */
  TMPL_VALUE_FRAME,                                     /* a scope of variables */
};

enum {
  TMPL_FLAG_ASCII     = 1 << 0,   /* strings: every byte is below 0x80 */
  TMPL_FLAG_GENERATOR = 1 << 1,   /* lists: what Jinja hands out as a lazy iterator */
};

/* Containers nested deeper than this cannot be printed, compared or copied. */
#define TMPL_MAX_VALUE_DEPTH 512
/* Statements and expressions nested deeper than this are refused by the
 * parser, so that no later walk over the tree can exhaust the stack. */
#define TMPL_MAX_NESTING 256
/* Nested evaluation calls, macros included: bounds the C stack a render uses. */
#define TMPL_MAX_EVAL_DEPTH 2500

#define TMPL_IMMORTAL G_MAXUINT

typedef struct {
  Value   *key;
  Value   *value;
  guint32  hash;
} TmplDictEntry;

typedef enum {
  TMPL_CALL_BUILTIN,   /* a global function: range, namespace, raise_exception… */
  TMPL_CALL_METHOD,    /* a method bound to its object */
  TMPL_CALL_MACRO,     /* a macro, or the `caller` of a call block */
  TMPL_CALL_LOOP,      /* `loop` itself in a recursive for */
} TmplCallKind;

struct _BendiTemplateValue {
  guint     ref_count;      /* TMPL_IMMORTAL: static, or a template's constant */
  guint8    type;           /* BendiTemplateValueType or TMPL_VALUE_* */
  guint8    flags;
  TmplRun  *run;            /* the render that allocated it; NULL for the caller's */
  Value    *run_prev;       /* every value of a render, for the sweep at its end */
  Value    *run_next;
  gsize     charged;        /* bytes counted against the render's memory */
  union {
    gboolean boolean;
    gint64   integer;
    double   number;
    struct {
      char  *data;          /* NUL-terminated, right after the value */
      gsize  len;           /* bytes */
      gsize  n_chars;       /* code points; G_MAXSIZE until counted */
      guint32 hash;
      gboolean hashed;      /* whether hash is computed yet */
    } string;
    struct {
      Value **items;
      gsize   len;
      gsize   cap;
    } list;                 /* lists and tuples */
    struct {
      TmplDictEntry *entries;
      gsize          len;
      gsize          cap;
      guint32       *index; /* open addressing: entry + 1, 0 when free */
      gsize          index_size;
    } dict;                 /* dicts and namespaces */
    struct {
      TmplCallKind    kind;
      guint           id;       /* builtin or method number */
      const char     *name;
      Value          *self;     /* METHOD: the object; MACRO: the defining frame; LOOP: the loop */
      const TmplNode *node;     /* MACRO: the macro or call block */
    } callable;
    struct {
      Value          *items;    /* a list */
      gsize           index0;
      guint           depth0;
      const TmplNode *node;     /* the for statement */
      Value          *frame;    /* where the for runs, for recursive calls */
      Value          *changed;  /* the last arguments of loop.changed() */
    } loop;
    struct {
      Value        *parent;
      const char  **names;      /* interned by the template */
      Value       **values;
      gsize         len;
      gsize         cap;
    } frame;
  };
};

/* ------------------------------------------------------------------------ */
/* The parse tree. */

typedef enum {
  /* Statements. */
  TMPL_NODE_TEXT,          /* constant: the text */
  TMPL_NODE_PRINT,         /* a: the expression */
  TMPL_NODE_IF,            /* a: test; body; else_body (an elif is an IF alone in it) */
  TMPL_NODE_FOR,           /* a: target; b: iterable; c: filter or NULL; body; else_body; flag: recursive */
  TMPL_NODE_SET,           /* a: target (NAME, TUPLE of NAMEs, NSREF); b: value */
  TMPL_NODE_SET_BLOCK,     /* a: target; c: FILTER chain whose innermost subject is NULL, or NULL; body */
  TMPL_NODE_MACRO,         /* name; params: NAMEs; defaults (NULL items); body; flag: TMPL_MACRO_* */
  TMPL_NODE_CALL_BLOCK,    /* a: the CALL; params and defaults of caller; body; flag */
  TMPL_NODE_FILTER_BLOCK,  /* c: FILTER chain as in SET_BLOCK; body */
  TMPL_NODE_WITH,          /* params: NAMEs; defaults: their values; body */
  TMPL_NODE_BREAK,
  TMPL_NODE_CONTINUE,
  TMPL_NODE_SCOPE,         /* body, in a scope of its own (Hugging Face's generation block) */
  /* Expressions. */
  TMPL_NODE_CONST,         /* constant */
  TMPL_NODE_NAME,          /* name */
  TMPL_NODE_LIST,          /* items */
  TMPL_NODE_TUPLE,         /* items */
  TMPL_NODE_DICT,          /* items: keys; values */
  TMPL_NODE_ATTR,          /* a.name */
  TMPL_NODE_ITEM,          /* a[b] */
  TMPL_NODE_SLICE,         /* a[b:c:d], each of b c d may be NULL */
  TMPL_NODE_CALL,          /* a(items…, kw_names=values…) */
  TMPL_NODE_FILTER,        /* a|name(items…, kw_names=values…); func */
  TMPL_NODE_TEST,          /* a is name(items…, kw_names=values…); func */
  TMPL_NODE_NEG,
  TMPL_NODE_POS,
  TMPL_NODE_NOT,
  TMPL_NODE_AND,
  TMPL_NODE_OR,
  TMPL_NODE_BINARY,        /* a op b */
  TMPL_NODE_CONCAT,        /* items joined with ~ */
  TMPL_NODE_COMPARE,       /* a ops[0] items[0] ops[1] items[1]… */
  TMPL_NODE_COND,          /* b if a else c (c may be NULL) */
  TMPL_NODE_NSREF,         /* a.name as an assignment target; a is a NAME */
} TmplNodeKind;

typedef enum {
  TMPL_OP_ADD,
  TMPL_OP_SUB,
  TMPL_OP_MUL,
  TMPL_OP_DIV,
  TMPL_OP_FLOORDIV,
  TMPL_OP_MOD,
  TMPL_OP_POW,
  TMPL_OP_EQ,
  TMPL_OP_NE,
  TMPL_OP_LT,
  TMPL_OP_LE,
  TMPL_OP_GT,
  TMPL_OP_GE,
  TMPL_OP_IN,
  TMPL_OP_NOT_IN,
} TmplOp;

enum {
  TMPL_FOR_RECURSIVE   = 1 << 0,
  TMPL_MACRO_VARARGS   = 1 << 0,   /* the body mentions `varargs` */
  TMPL_MACRO_KWARGS    = 1 << 1,   /* … `kwargs` */
  TMPL_MACRO_CALLER    = 1 << 2,   /* … `caller` */
};

typedef struct {
  TmplNode **items;
  guint      len;
} TmplNodeList;

typedef struct _TmplFilter TmplFilter;
typedef struct _TmplTest TmplTest;

struct _TmplNode {
  TmplNodeKind     kind;
  guint8           op;
  guint8           flags;
  guint16          depth;
  guint32          line;
  guint32          column;
  const char      *name;       /* interned */
  Value           *constant;
  TmplNode        *a, *b, *c, *d;
  TmplNodeList     items;      /* operands, positional arguments, keys */
  TmplNodeList     values;     /* dict values, keyword argument values */
  const char     **kw_names;   /* interned, one per values item of a call */
  guint8          *ops;        /* COMPARE: one TmplOp per items entry */
  TmplNodeList     body;
  TmplNodeList     else_body;
  TmplNodeList     params;     /* MACRO, CALL_BLOCK, WITH */
  TmplNodeList     defaults;   /* one per param; NULL items when none */
  const TmplFilter *filter;    /* FILTER: NULL when unknown (an error when run) */
  const TmplTest   *test;      /* TEST: likewise */
};

struct _BendiTemplate {
  TmplNodeList  body;
  GHashTable   *names;          /* interned identifiers */
  GPtrArray    *nodes;          /* every node, freed flat */
  GPtrArray    *blocks;         /* arrays the nodes point to */
  GPtrArray    *constants;      /* immortal values */
  const char   *name_loop;      /* interned names the evaluator looks for */
  const char   *name_caller;
  const char   *name_varargs;
  const char   *name_kwargs;
};

/* Interns @name in @tmpl (the parser only). */
const char *tmpl_intern (BendiTemplate *tmpl,
                         const char    *name,
                         gsize          len);

/* ------------------------------------------------------------------------ */
/* A render in progress. */

struct _TmplRun {
  const BendiTemplate  *tmpl;
  BendiTemplateOptions  options;
  GError               *error;
  gboolean              error_located;  /* the message has its line and column */
  gsize                 live_bytes;
  Value                *objects;        /* every live value allocated by this run */
  guint64               steps;
  guint                 eval_depth;
  guint                 macro_depth;
};

/* Arguments of a call, borrowed. */
typedef struct {
  Value      **pos;
  gsize        n_pos;
  const char **kw_names;
  Value      **kw;
  gsize        n_kw;
} TmplArgs;

/* Records an error (without a position; the evaluator adds the node's)
 * unless one is already recorded. Returns NULL for convenience. */
gpointer tmpl_fail (TmplRun    *run,
                    const char *format,
                    ...) G_GNUC_PRINTF (2, 3);
/* The same for raise_exception: the template refuses the conversation
 * (BENDI_ENGINE_ERROR_INVALID_INPUT). */
gpointer tmpl_fail_input (TmplRun    *run,
                          const char *format,
                          ...) G_GNUC_PRINTF (2, 3);
/* Counts @n steps of work; FALSE (and an error) past the limit. */
gboolean tmpl_charge_steps (TmplRun *run,
                            guint64  n);
/* The same for work over @len bytes of text, character by character. */
gboolean tmpl_charge_text  (TmplRun *run,
                            gsize    len);
/* Counts @bytes of memory; FALSE (and an error) past the limit. */
gboolean tmpl_charge_memory (TmplRun *run,
                             gsize    bytes);
void     tmpl_release_memory (TmplRun *run,
                              gsize    bytes);
/* Whether @bytes more would fit now, for text built outside the values. */
gboolean tmpl_check_memory (TmplRun *run,
                            gsize    bytes);

/* ------------------------------------------------------------------------ */
/* Values (template-value.c). Constructors with a run count against its
 * limits and return NULL (with the run's error set) past them; with a NULL
 * run they cannot fail. */

extern Value tmpl_undefined_value;
extern Value tmpl_none_value;
extern Value tmpl_true_value;
extern Value tmpl_false_value;
extern Value tmpl_empty_string_value;

#define TMPL_UNDEFINED   (&tmpl_undefined_value)
#define TMPL_NONE        (&tmpl_none_value)
#define TMPL_TRUE        (&tmpl_true_value)
#define TMPL_FALSE       (&tmpl_false_value)
#define TMPL_BOOL(b)     ((b) ? TMPL_TRUE : TMPL_FALSE)

Value *tmpl_ref   (Value *value);
void   tmpl_unref (Value *value);
/* Frees every value @run still holds (those kept alive by cycles). */
void   tmpl_run_sweep (TmplRun *run);

Value *tmpl_new_int     (TmplRun    *run,
                         gint64      value);
Value *tmpl_new_float   (TmplRun    *run,
                         double      value);
/* @text must be valid UTF-8. */
Value *tmpl_new_string  (TmplRun    *run,
                         const char *text,
                         gsize       len);
/* Joins two pieces of valid UTF-8. */
Value *tmpl_new_string2 (TmplRun    *run,
                         const char *a,
                         gsize       a_len,
                         const char *b,
                         gsize       b_len);
Value *tmpl_new_string_take_gstring (TmplRun *run,
                                     GString *text);
Value *tmpl_new_list    (TmplRun    *run,
                         guint8      type,
                         gsize       reserve);
Value *tmpl_new_dict    (TmplRun    *run,
                         guint8      type);
Value *tmpl_new_callable (TmplRun        *run,
                          TmplCallKind    kind,
                          guint           id,
                          const char     *name,
                          Value          *self,
                          const TmplNode *node);
Value *tmpl_new_frame   (TmplRun    *run,
                         Value      *parent);
Value *tmpl_new_loop    (TmplRun    *run);

/* Take ownership of @item; FALSE past the memory limit (@item released). */
gboolean tmpl_list_append (TmplRun *run,
                           Value   *list,
                           Value   *item);
/* Inserts or replaces; FALSE when @key cannot be a key or past a limit. */
gboolean tmpl_dict_set    (TmplRun *run,
                           Value   *dict,
                           Value   *key,
                           Value   *item);
/* Borrowed, or NULL. Keys that cannot be hashed are never found. */
Value   *tmpl_dict_get    (Value       *dict,
                           Value       *key);
Value   *tmpl_dict_get_str (Value      *dict,
                            const char *key,
                            gsize       len);
/* Removes @key; returns its value (owned) or NULL. */
Value   *tmpl_dict_take   (Value       *dict,
                           Value       *key);

/* Frame variables: @name interned. tmpl_frame_lookup is borrowed, walks
 * the parents, NULL when unset. */
gboolean tmpl_frame_set    (TmplRun    *run,
                            Value      *frame,
                            const char *name,
                            Value      *item);
Value   *tmpl_frame_lookup (Value      *frame,
                            const char *name);
/* Forgets every variable of @frame, keeping its storage. */
void     tmpl_frame_clear  (Value      *frame);

gboolean tmpl_is_sequence (const Value *v);   /* list or tuple */
gboolean tmpl_is_number (const Value *v);     /* bool, int, float */
gboolean tmpl_is_integer (const Value *v);    /* bool or int */
double   tmpl_to_double (const Value *v);     /* of a number */
gint64   tmpl_to_int64 (const Value *v);      /* of a bool or int */
gboolean tmpl_truthy (const Value *v);
gsize    tmpl_string_n_chars (Value *v);

/* Python's ==, cut short (unequal) for values nested too deeply. */
gboolean tmpl_equal (const Value *a,
                     const Value *b);
/* Python's <, <=, >, >= on numbers, strings, lists and tuples; FALSE with
 * an error when the types cannot be ordered. *result is <0, 0 or >0. */
gboolean tmpl_compare (TmplRun     *run,
                       const Value *a,
                       const Value *b,
                       int         *result);
/* Python's hash-equality classes: FALSE for unhashable values. */
gboolean tmpl_hash (const Value *v,
                    guint32     *hash);

/* Python's str() and repr(), appended; FALSE (and an error when @run is
 * set) for values nested too deeply. */
gboolean tmpl_write_str  (TmplRun     *run,
                          GString     *out,
                          const Value *v);
gboolean tmpl_write_repr (TmplRun     *run,
                          GString     *out,
                          const Value *v);
void     tmpl_write_float (GString *out,
                           double   value);
/* str(v) as a value: strings are returned as they are. */
Value   *tmpl_to_str (TmplRun *run,
                      Value   *v);
const char *tmpl_type_name (const Value *v);

/* A copy of a caller's value for a render: containers are copied, so the
 * render may change them; FALSE past a limit. */
Value *tmpl_import (TmplRun *run,
                    Value   *v,
                    guint    depth);

/* UTF-8 validation that accepts NUL bytes; *bad (optional) gets the
 * first invalid byte. */
gboolean tmpl_utf8_validate (const char  *text,
                             gsize        len,
                             const char **bad);

/* Python's isspace() for one code point. */
gboolean tmpl_unichar_isspace (gunichar c);

/* ------------------------------------------------------------------------ */
/* Evaluation helpers shared by the builtins (template-eval.c). */

/* Python's getattr-then-getitem as Jinja does it; never NULL except on error. */
Value *tmpl_get_attr (TmplRun    *run,
                      Value      *obj,
                      const char *name);
Value *tmpl_get_item (TmplRun *run,
                      Value   *obj,
                      Value   *key);
/* Calls a callable value; owned result or NULL. */
Value *tmpl_call (TmplRun        *run,
                  Value          *callee,
                  const TmplArgs *args);
/* The items a for loop would visit, as a new list; NULL on error. */
Value *tmpl_iterate (TmplRun *run,
                     Value   *v);
/* Python's binary operators, one comparison of a chain, and `in`
 * (template-operators.c). */
Value *tmpl_binary (TmplRun *run,
                    TmplOp   op,
                    Value   *a,
                    Value   *b);
gboolean tmpl_compare_op (TmplRun  *run,
                          TmplOp    op,
                          Value    *a,
                          Value    *b,
                          gboolean *result);
gboolean tmpl_contains (TmplRun *run,
                        Value   *container,
                        Value   *item,
                        gboolean *result);

/* ------------------------------------------------------------------------ */
/* Builtins (template-filters.c, template-tests.c, template-methods.c). */

/* Binds @args to the parameters named in @params (NULL-terminated), Python
 * style: positional first, then keywords. out[i] is borrowed or NULL. */
gboolean tmpl_bind_args (TmplRun            *run,
                         const char         *function,
                         const TmplArgs     *args,
                         const char *const  *params,
                         guint               n_required,
                         Value             **out);

/* An optional argument is given unless NULL or none; tmpl_arg_int reads
 * one as an integer, or @fallback. */
gboolean tmpl_arg_given (const Value *v);
gboolean tmpl_arg_int   (TmplRun     *run,
                         const Value *v,
                         gint64       fallback,
                         const char  *what,
                         gint64      *out);

typedef Value *(*TmplFilterFunc) (TmplRun *run,
                                  Value   *subject,
                                  Value  **params);
/* For filters that take any number of arguments (map, select, format…). */
typedef Value *(*TmplFilterRawFunc) (TmplRun        *run,
                                     Value          *subject,
                                     const TmplArgs *args);
/* Returns FALSE on error; *result is the test's answer. */
typedef gboolean (*TmplTestFunc) (TmplRun  *run,
                                  Value    *subject,
                                  Value   **params,
                                  gboolean *result);

struct _TmplFilter {
  const char        *name;
  TmplFilterFunc     func;
  TmplFilterRawFunc  raw;       /* instead of func, when set */
  const char *const *params;
  guint              n_required;
};

struct _TmplTest {
  const char        *name;
  TmplTestFunc       func;
  const char *const *params;
  guint              n_required;
};

const TmplFilter *tmpl_find_filter (const char *name);
const TmplTest   *tmpl_find_test   (const char *name);
Value *tmpl_apply_filter (TmplRun          *run,
                          const TmplFilter *filter,
                          Value            *subject,
                          const TmplArgs   *args);
gboolean tmpl_apply_test (TmplRun        *run,
                          const TmplTest *test,
                          Value          *subject,
                          const TmplArgs *args,
                          gboolean       *result);

/* Globals: range, namespace, dict, raise_exception, strftime_now…
 * (template-globals.c). */
Value *tmpl_find_global (const char *name);
Value *tmpl_call_builtin (TmplRun        *run,
                          guint           id,
                          const TmplArgs *args);
/* Methods of strings, lists and dicts: a method number, or -1. */
int    tmpl_find_method (const Value *self,
                         const char  *name);
Value *tmpl_call_method (TmplRun        *run,
                         Value          *self,
                         guint           id,
                         const TmplArgs *args);

/* String operations shared by filters and methods, on string values. */
Value *tmpl_str_lower      (TmplRun     *run,
                            Value       *s);
Value *tmpl_str_upper      (TmplRun     *run,
                            Value       *s);
Value *tmpl_str_capitalize (TmplRun     *run,
                            Value       *s);
/* Python's strip(): @chars NULL or none for whitespace. */
Value *tmpl_str_strip      (TmplRun     *run,
                            Value       *s,
                            const Value *chars,
                            gboolean     left,
                            gboolean     right);
/* Python's replace(); @count < 0 for all. */
Value *tmpl_str_replace    (TmplRun     *run,
                            Value       *s,
                            Value       *old,
                            Value       *replacement,
                            gint64       count);
/* The length of the line break at @p (str.splitlines()'s: \n, \r\n,
 * \r, \v, \f, \x1c-\x1e, U+0085, U+2028, U+2029), or 0. */
gsize  tmpl_line_break_length (const char *p,
                               const char *end);
/* Pads to @width characters with @fill; @align is '<', '>' or '^'. */
Value *tmpl_str_pad        (TmplRun     *run,
                            Value       *s,
                            gint64       width,
                            gunichar     fill,
                            char         align);

/* Python's str % args and str.format (template-format.c). */
Value *tmpl_percent_format (TmplRun        *run,
                            Value          *format,
                            Value          *args);
Value *tmpl_str_format     (TmplRun        *run,
                            Value          *self,
                            const TmplArgs *args);

/* json.dumps with Hugging Face's tojson defaults (template-json.c).
 * @indent: NULL or none for one line, an int or a string otherwise. */
gboolean tmpl_write_json (TmplRun     *run,
                          GString     *out,
                          const Value *v,
                          const Value *indent,
                          const char  *item_separator,
                          const char  *key_separator,
                          gboolean     sort_keys);

/* The parser (template-parser.c). */
gboolean tmpl_parse (BendiTemplate *tmpl,
                     const char    *source,
                     gsize          len,
                     GError       **error);

G_END_DECLS
