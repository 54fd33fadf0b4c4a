/* SPDX-License-Identifier: MIT */
/* The JSON grammar: schema nodes, a byte-level pushdown matcher, and the vocabulary trie that turns it into a token filter. */
#include "json-grammar.h"

#include <gio/gio.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#define MAX_ALTERNATIVES   64    /* enum values or properties in one place: one bit each */
#define MAX_WHITESPACE_RUN 20   /* the indent after a line break */
#define MAX_NUMBER_BYTES   40
#define MAX_FRAMES         (BENDI_JSON_GRAMMAR_MAX_DEPTH + 2)

/* ------------------------------------------------------------------------ */
/* Schema nodes */

typedef enum {
  NODE_ANY,
  NODE_OBJECT,        /* properties when it has any, else any members */
  NODE_ARRAY,
  NODE_STRING,
  NODE_NUMBER,
  NODE_INTEGER,
  NODE_LITERALS,      /* exactly one of a few texts: enum, const, booleans, null */
} NodeKind;

typedef struct _Node Node;
struct _Node {
  NodeKind   kind;
  GPtrArray *literals;     /* LITERALS: char *, compact JSON */
  GPtrArray *keys;         /* OBJECT: char *, each property name as a JSON string */
  GPtrArray *values;       /* OBJECT: Node *, each property's value */
  guint64    required;     /* OBJECT: bit i: property i must appear */
  Node      *items;        /* ARRAY: NULL for any */
};

struct _BendiJsonGrammar {
  Node      *root;
  Node      *any_literals;  /* what a value of any type may be when it starts with a letter */
  GPtrArray *nodes;        /* every Node, to free */
};

static Node *
node_new (BendiJsonGrammar *grammar,
          NodeKind          kind)
{
  Node *node = g_new0 (Node, 1);

  node->kind = kind;
  g_ptr_array_add (grammar->nodes, node);
  return node;
}

static void
node_free (gpointer data)
{
  Node *node = data;

  g_clear_pointer (&node->literals, g_ptr_array_unref);
  g_clear_pointer (&node->keys, g_ptr_array_unref);
  g_clear_pointer (&node->values, g_ptr_array_unref);
  g_free (node);
}

/* The literals any value may start with. */
static const char *const any_literals[] = { "true", "false", "null" };
static const char *const boolean_literals[] = { "true", "false" };
static const char *const null_literals[] = { "null" };

static Node *
literal_node_new (BendiJsonGrammar  *grammar,
                  const char *const *texts,
                  gsize              n)
{
  Node *node = node_new (grammar, NODE_LITERALS);

  node->literals = g_ptr_array_new_with_free_func (g_free);
  for (gsize i = 0; i < n; i++)
    g_ptr_array_add (node->literals, g_strdup (texts[i]));
  return node;
}

static BendiJsonGrammar *
grammar_new (void)
{
  BendiJsonGrammar *self = g_new0 (BendiJsonGrammar, 1);

  self->nodes = g_ptr_array_new_with_free_func (node_free);
  self->any_literals = literal_node_new (self, any_literals, G_N_ELEMENTS (any_literals));
  return self;
}

BendiJsonGrammar *
bendi_json_grammar_new_object (void)
{
  BendiJsonGrammar *self = grammar_new ();

  self->root = node_new (self, NODE_OBJECT);
  return self;
}

void
bendi_json_grammar_free (BendiJsonGrammar *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->nodes);
  g_free (self);
}

static Node *
compile (BendiJsonGrammar  *grammar,
         JsonNode          *schema,
         guint              depth,
         GError           **error);

static Node *
compile_enum (BendiJsonGrammar  *grammar,
              JsonArray         *values,
              GError           **error)
{
  Node *node;

  if (json_array_get_length (values) == 0 || json_array_get_length (values) > MAX_ALTERNATIVES)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "an enum must have between 1 and %d values", MAX_ALTERNATIVES);
      return NULL;
    }
  node = node_new (grammar, NODE_LITERALS);
  node->literals = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < json_array_get_length (values); i++)
    g_ptr_array_add (node->literals, json_to_string (json_array_get_element (values, i), FALSE));
  return node;
}

static Node *
compile_object (BendiJsonGrammar  *grammar,
                JsonObject        *schema,
                guint              depth,
                GError           **error)
{
  Node *node = node_new (grammar, NODE_OBJECT);
  JsonNode *properties = json_object_get_member (schema, "properties");
  JsonNode *required = json_object_get_member (schema, "required");
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  if (properties == NULL || !JSON_NODE_HOLDS_OBJECT (properties) ||
      json_object_get_size (json_node_get_object (properties)) == 0)
    return node;
  if (json_object_get_size (json_node_get_object (properties)) > MAX_ALTERNATIVES)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "an object schema may have at most %d properties", MAX_ALTERNATIVES);
      return NULL;
    }
  node->keys = g_ptr_array_new_with_free_func (g_free);
  node->values = g_ptr_array_new ();
  json_object_iter_init_ordered (&iter, json_node_get_object (properties));
  while (json_object_iter_next_ordered (&iter, &name, &member))
    {
      g_autoptr (JsonNode) key = json_node_new (JSON_NODE_VALUE);
      Node *value = compile (grammar, member, depth + 1, error);

      if (value == NULL)
        return NULL;
      json_node_set_string (key, name);
      g_ptr_array_add (node->keys, json_to_string (key, FALSE));
      g_ptr_array_add (node->values, value);
    }
  if (required != NULL && JSON_NODE_HOLDS_ARRAY (required))
    {
      JsonArray *names = json_node_get_array (required);

      for (guint i = 0; i < json_array_get_length (names); i++)
        {
          const char *wanted = json_array_get_string_element (names, i);
          guint index = 0;

          if (wanted == NULL)
            continue;
          json_object_iter_init_ordered (&iter, json_node_get_object (properties));
          while (json_object_iter_next_ordered (&iter, &name, &member))
            {
              if (g_str_equal (name, wanted))
                node->required |= G_GUINT64_CONSTANT (1) << index;
              index++;
            }
        }
    }
  return node;
}

static Node *
compile (BendiJsonGrammar  *grammar,
         JsonNode          *schema,
         guint              depth,
         GError           **error)
{
  JsonObject *object;
  JsonNode *member;
  const char *type;

  if (depth > BENDI_JSON_GRAMMAR_MAX_DEPTH)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "the schema is nested more than %d deep",
                   BENDI_JSON_GRAMMAR_MAX_DEPTH);
      return NULL;
    }
  /* true, or a schema that is no object, allows anything. */
  if (schema == NULL || !JSON_NODE_HOLDS_OBJECT (schema))
    return node_new (grammar, NODE_ANY);
  object = json_node_get_object (schema);

  member = json_object_get_member (object, "const");
  if (member != NULL)
    {
      g_autofree char *text = json_to_string (member, FALSE);
      const char *texts[] = { text };

      return literal_node_new (grammar, texts, 1);
    }
  member = json_object_get_member (object, "enum");
  if (member != NULL && JSON_NODE_HOLDS_ARRAY (member))
    return compile_enum (grammar, json_node_get_array (member), error);

  member = json_object_get_member (object, "type");
  type = member != NULL && JSON_NODE_HOLDS_VALUE (member) && json_node_get_value_type (member) == G_TYPE_STRING
         ? json_node_get_string (member) : NULL;
  if (type == NULL)
    {
      /* Properties without a type still describe an object. */
      if (json_object_has_member (object, "properties"))
        return compile_object (grammar, object, depth, error);
      return node_new (grammar, NODE_ANY);
    }
  if (g_str_equal (type, "object"))
    return compile_object (grammar, object, depth, error);
  if (g_str_equal (type, "array"))
    {
      Node *node = node_new (grammar, NODE_ARRAY);
      JsonNode *items = json_object_get_member (object, "items");

      if (items != NULL && JSON_NODE_HOLDS_OBJECT (items))
        {
          node->items = compile (grammar, items, depth + 1, error);
          if (node->items == NULL)
            return NULL;
        }
      return node;
    }
  if (g_str_equal (type, "string"))
    return node_new (grammar, NODE_STRING);
  if (g_str_equal (type, "number"))
    return node_new (grammar, NODE_NUMBER);
  if (g_str_equal (type, "integer"))
    return node_new (grammar, NODE_INTEGER);
  if (g_str_equal (type, "boolean"))
    return literal_node_new (grammar, boolean_literals, G_N_ELEMENTS (boolean_literals));
  if (g_str_equal (type, "null"))
    return literal_node_new (grammar, null_literals, G_N_ELEMENTS (null_literals));
  return node_new (grammar, NODE_ANY);
}

BendiJsonGrammar *
bendi_json_grammar_new_from_schema (JsonNode  *schema,
                                    GError   **error)
{
  g_autoptr (BendiJsonGrammar) self = grammar_new ();

  if (schema == NULL || !JSON_NODE_HOLDS_OBJECT (schema))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "the schema must be a JSON object");
      return NULL;
    }
  self->root = compile (self, schema, 0, error);
  if (self->root == NULL)
    return NULL;
  return g_steal_pointer (&self);
}

/* ------------------------------------------------------------------------ */
/* The matcher: a stack of frames, one per value being written. */

typedef enum {
  FRAME_VALUE,      /* a value of node is to start */
  FRAME_OBJECT,
  FRAME_ARRAY,
  FRAME_STRING,
  FRAME_NUMBER,
  FRAME_LITERAL,    /* one of node->literals */
  FRAME_KEY,        /* one of node->keys */
} FrameKind;

enum {
  OBJECT_OPEN,        /* after "{" */
  OBJECT_AFTER_KEY,   /* a key was written: ":" next */
  OBJECT_AFTER_VALUE, /* "," or "}" next */
  OBJECT_EXPECT_KEY,  /* after "," */
};

enum {
  ARRAY_OPEN,
  ARRAY_AFTER_VALUE,
};

enum {
  STRING_START,       /* the opening quote is next */
  STRING_NORMAL,
  STRING_ESCAPE,
  STRING_HEX,         /* pos: hex digits still to come */
};

enum {
  NUMBER_START,
  NUMBER_MINUS,
  NUMBER_ZERO,
  NUMBER_INT,
  NUMBER_DOT,
  NUMBER_FRAC,
  NUMBER_EXP,
  NUMBER_EXP_SIGN,
  NUMBER_EXP_DIGITS,
};

typedef struct {
  guint8      kind;
  guint8      state;
  guint16     pos;        /* literal offset, number length, hex digits, UTF-8 bytes due, last property */
  gint16      last_key;   /* OBJECT with properties: index of the last property written, -1 none */
  guint64     alive;      /* LITERAL and KEY: alternatives still possible */
  const Node *node;
} Frame;

struct _BendiJsonMatcher {
  const BendiJsonGrammar *grammar;
  guint   depth;
  guint   whitespace_run;
  gboolean whitespace_after_newline;
  gboolean complete;
  Frame   frames[MAX_FRAMES];
};

/* Copies the part of @src in use; the frames above its depth are garbage. */
static void
matcher_copy (BendiJsonMatcher       *dst,
              const BendiJsonMatcher *src)
{
  memcpy (dst, src, offsetof (BendiJsonMatcher, frames) + sizeof (Frame) * src->depth);
}

static gboolean
push (BendiJsonMatcher *m,
      FrameKind         kind,
      const Node       *node)
{
  Frame *f;

  if (m->depth >= MAX_FRAMES)
    return FALSE;
  f = &m->frames[m->depth++];
  memset (f, 0, sizeof *f);
  f->kind = kind;
  f->node = node;
  f->last_key = -1;
  return TRUE;
}

static gboolean
is_space (guchar c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static gboolean
in_string (const BendiJsonMatcher *m)
{
  const Frame *f = m->depth > 0 ? &m->frames[m->depth - 1] : NULL;

  return f != NULL && ((f->kind == FRAME_STRING && f->state != STRING_START) ||
                       (f->kind == FRAME_KEY && f->pos > 0) ||
                       (f->kind == FRAME_LITERAL && f->pos > 0 && f->node->literals != NULL));
}

/* The properties that may be written next: those after the last one, up
 * to and including the first required one. */
static guint64
allowed_keys (const Frame *f)
{
  guint n = f->node->keys->len;
  guint64 allowed = 0;

  for (guint i = (guint) (f->last_key + 1); i < n; i++)
    {
      allowed |= G_GUINT64_CONSTANT (1) << i;
      if (f->node->required & (G_GUINT64_CONSTANT (1) << i))
        break;
    }
  return allowed;
}

static gboolean
required_done (const Frame *f)
{
  guint n = f->node->keys != NULL ? f->node->keys->len : 0;

  for (guint i = (guint) (f->last_key + 1); i < n; i++)
    if (f->node->required & (G_GUINT64_CONSTANT (1) << i))
      return FALSE;
  return TRUE;
}

/* The value in the top frame is complete; @key is the property a KEY frame
 * matched. */
static void
pop (BendiJsonMatcher *m,
     gint              key)
{
  m->depth--;
  if (m->depth == 0)
    {
      m->complete = TRUE;
      return;
    }
  if (key >= 0)
    m->frames[m->depth - 1].last_key = (gint16) key;
}

/* The index of a complete alternative of a LITERAL or KEY frame, or -1. */
static gint
literal_complete (const Frame *f)
{
  GPtrArray *texts = f->kind == FRAME_KEY ? f->node->keys : f->node->literals;

  for (guint i = 0; i < texts->len; i++)
    if ((f->alive & (G_GUINT64_CONSTANT (1) << i)) && strlen (g_ptr_array_index (texts, i)) == f->pos)
      return (gint) i;
  return -1;
}

static gboolean
number_final (const Frame *f)
{
  return f->state == NUMBER_ZERO || f->state == NUMBER_INT || f->state == NUMBER_FRAC ||
         f->state == NUMBER_EXP_DIGITS;
}

/* The node a value frame of kind ANY starts: objects and arrays of anything. */
static const Node any_object = { .kind = NODE_OBJECT };
static const Node any_array = { .kind = NODE_ARRAY };
static const Node any_string = { .kind = NODE_STRING };
static const Node any_number = { .kind = NODE_NUMBER };

/* Starts the value of @f (a VALUE frame, turned into the frame for it) with
 * @c. */
static gboolean
start_value (BendiJsonMatcher *m,
             Frame            *f,
             guchar            c)
{
  const Node *node = f->node;
  NodeKind kind = node->kind;

  if (kind == NODE_ANY)
    {
      if (c == '{')
        node = &any_object;
      else if (c == '[')
        node = &any_array;
      else if (c == '"')
        node = &any_string;
      else if (c == '-' || g_ascii_isdigit (c))
        node = &any_number;
      else
        node = NULL;
      kind = node != NULL ? node->kind : NODE_LITERALS;
    }
  switch (kind)
    {
    case NODE_OBJECT:
      if (c != '{' || m->depth > BENDI_JSON_GRAMMAR_MAX_DEPTH)
        return FALSE;
      *f = (Frame) { .kind = FRAME_OBJECT, .state = OBJECT_OPEN, .last_key = -1, .node = node };
      return TRUE;
    case NODE_ARRAY:
      if (c != '[' || m->depth > BENDI_JSON_GRAMMAR_MAX_DEPTH)
        return FALSE;
      *f = (Frame) { .kind = FRAME_ARRAY, .state = ARRAY_OPEN, .last_key = -1, .node = node };
      return TRUE;
    case NODE_STRING:
      if (c != '"')
        return FALSE;
      *f = (Frame) { .kind = FRAME_STRING, .state = STRING_NORMAL, .last_key = -1, .node = node };
      return TRUE;
    case NODE_NUMBER:
    case NODE_INTEGER:
      if (c != '-' && !g_ascii_isdigit (c))
        return FALSE;
      *f = (Frame) { .kind = FRAME_NUMBER, .state = NUMBER_START, .last_key = -1, .node = node };
      return FALSE;   /* not consumed: the number frame takes it */
    case NODE_LITERALS:
    case NODE_ANY:
    default:
      break;
    }
  return FALSE;
}

/* Steps one byte; FALSE when it breaks the grammar (the matcher is then in
 * an unspecified state: callers work on copies). */
static gboolean
step (BendiJsonMatcher *m,
      guchar            c)
{
  /* Between tokens: nothing, one space, or a line break and an indent
   * (llama.cpp's JSON grammar allows the same), so a model cannot fill its
   * reply with blank space. Whitespace inside strings is their content. */
  if (is_space (c) && !in_string (m))
    {
      if (m->whitespace_run == 0)
        {
          if (c != ' ' && c != '\n')
            return FALSE;
          m->whitespace_after_newline = c == '\n';
        }
      else if (!m->whitespace_after_newline || c == '\n' || c == '\r' ||
               m->whitespace_run > MAX_WHITESPACE_RUN)
        return FALSE;
      m->whitespace_run++;
    }
  else
    m->whitespace_run = 0;

  for (;;)
    {
      Frame *f;

      if (m->complete || m->depth == 0)
        return FALSE;
      f = &m->frames[m->depth - 1];
      switch ((FrameKind) f->kind)
        {
        case FRAME_VALUE:
          if (is_space (c))
            return TRUE;
          if (f->node->kind == NODE_LITERALS ||
              (f->node->kind == NODE_ANY && (c == 't' || c == 'f' || c == 'n')))
            {
              const Node *node = f->node->kind == NODE_ANY ? m->grammar->any_literals : f->node;

              *f = (Frame) { .kind = FRAME_LITERAL, .last_key = -1, .node = node,
                             .alive = node->literals->len >= 64 ? G_MAXUINT64
                                      : (G_GUINT64_CONSTANT (1) << node->literals->len) - 1 };
              continue;
            }
          if (start_value (m, f, c))
            return TRUE;
          if (f->kind == FRAME_NUMBER)
            continue;
          return FALSE;

        case FRAME_LITERAL:
        case FRAME_KEY:
          {
            GPtrArray *texts = f->kind == FRAME_KEY ? f->node->keys : f->node->literals;
            guint64 next = 0;

            for (guint i = 0; i < texts->len; i++)
              {
                const char *text = g_ptr_array_index (texts, i);

                if ((f->alive & (G_GUINT64_CONSTANT (1) << i)) && strlen (text) > f->pos && (guchar) text[f->pos] == c)
                  next |= G_GUINT64_CONSTANT (1) << i;
              }
            if (next != 0)
              {
                f->alive = next;
                f->pos++;
                return TRUE;
              }
            {
              gint done = literal_complete (f);

              if (done < 0)
                return FALSE;
              pop (m, f->kind == FRAME_KEY ? done : -1);
              continue;
            }
          }

        case FRAME_STRING:
          switch (f->state)
            {
            case STRING_NORMAL:
              if (f->pos > 0)
                {
                  /* inside a UTF-8 character */
                  if ((c & 0xC0) != 0x80)
                    return FALSE;
                  f->pos--;
                  return TRUE;
                }
              if (c == '"')
                {
                  pop (m, -1);
                  return TRUE;
                }
              if (c == '\\')
                f->state = STRING_ESCAPE;
              else if (c < 0x20 || c == 0x7F)
                return FALSE;
              else if (c >= 0x80)
                {
                  if (c >= 0xC2 && c <= 0xDF)
                    f->pos = 1;
                  else if (c >= 0xE0 && c <= 0xEF)
                    f->pos = 2;
                  else if (c >= 0xF0 && c <= 0xF4)
                    f->pos = 3;
                  else
                    return FALSE;
                }
              return TRUE;
            case STRING_ESCAPE:
              if (c == 'u')
                {
                  f->state = STRING_HEX;
                  f->pos = 4;
                  return TRUE;
                }
              if (strchr ("\"\\/bfnrt", c) == NULL || c == '\0')
                return FALSE;
              f->state = STRING_NORMAL;
              return TRUE;
            case STRING_HEX:
            default:
              if (!g_ascii_isxdigit (c))
                return FALSE;
              if (--f->pos == 0)
                f->state = STRING_NORMAL;
              return TRUE;
            }

        case FRAME_NUMBER:
          {
            gboolean integer = f->node->kind == NODE_INTEGER;
            guint8 next = G_MAXUINT8;

            switch (f->state)
              {
              case NUMBER_START:
                next = c == '-' ? NUMBER_MINUS : c == '0' ? NUMBER_ZERO : g_ascii_isdigit (c) ? NUMBER_INT : next;
                break;
              case NUMBER_MINUS:
                next = c == '0' ? NUMBER_ZERO : g_ascii_isdigit (c) ? NUMBER_INT : next;
                break;
              case NUMBER_ZERO:
              case NUMBER_INT:
                if (f->state == NUMBER_INT && g_ascii_isdigit (c))
                  next = NUMBER_INT;
                else if (!integer && c == '.')
                  next = NUMBER_DOT;
                else if (!integer && (c == 'e' || c == 'E'))
                  next = NUMBER_EXP;
                break;
              case NUMBER_DOT:
              case NUMBER_FRAC:
                next = g_ascii_isdigit (c) ? NUMBER_FRAC
                       : f->state == NUMBER_FRAC && (c == 'e' || c == 'E') ? NUMBER_EXP : next;
                break;
              case NUMBER_EXP:
                next = c == '+' || c == '-' ? NUMBER_EXP_SIGN : g_ascii_isdigit (c) ? NUMBER_EXP_DIGITS : next;
                break;
              case NUMBER_EXP_SIGN:
              case NUMBER_EXP_DIGITS:
              default:
                next = g_ascii_isdigit (c) ? NUMBER_EXP_DIGITS : next;
                break;
              }
            if (next != G_MAXUINT8)
              {
                if (++f->pos > MAX_NUMBER_BYTES)
                  return FALSE;
                f->state = next;
                return TRUE;
              }
            if (!number_final (f))
              return FALSE;
            pop (m, -1);
            continue;
          }

        case FRAME_OBJECT:
          if (is_space (c))
            return TRUE;
          switch (f->state)
            {
            case OBJECT_OPEN:
            case OBJECT_EXPECT_KEY:
              if (c == '}' && f->state == OBJECT_OPEN && required_done (f))
                {
                  pop (m, -1);
                  return TRUE;
                }
              if (c != '"')
                return FALSE;
              if (f->node->keys != NULL)
                {
                  guint64 allowed = allowed_keys (f);

                  if (allowed == 0)
                    return FALSE;
                  f->state = OBJECT_AFTER_KEY;
                  if (!push (m, FRAME_KEY, f->node))
                    return FALSE;
                  m->frames[m->depth - 1].alive = allowed;
                  continue;   /* the key frame takes the quote */
                }
              f->state = OBJECT_AFTER_KEY;
              if (!push (m, FRAME_STRING, &any_string))
                return FALSE;
              m->frames[m->depth - 1].state = STRING_NORMAL;
              return TRUE;
            case OBJECT_AFTER_KEY:
              if (c != ':')
                return FALSE;
              f->state = OBJECT_AFTER_VALUE;
              {
                const Node *value = f->node->keys != NULL
                                    ? g_ptr_array_index (f->node->values, f->last_key) : NULL;
                static const Node any = { .kind = NODE_ANY };

                return push (m, FRAME_VALUE, value != NULL ? value : &any);
              }
            case OBJECT_AFTER_VALUE:
            default:
              if (c == ',')
                {
                  if (f->node->keys != NULL && allowed_keys (f) == 0)
                    return FALSE;
                  f->state = OBJECT_EXPECT_KEY;
                  return TRUE;
                }
              if (c == '}' && required_done (f))
                {
                  pop (m, -1);
                  return TRUE;
                }
              return FALSE;
            }

        case FRAME_ARRAY:
          {
            static const Node any = { .kind = NODE_ANY };
            const Node *items = f->node->items != NULL ? f->node->items : &any;

            if (is_space (c))
              return TRUE;
            if (f->state == ARRAY_OPEN)
              {
                if (c == ']')
                  {
                    pop (m, -1);
                    return TRUE;
                  }
                f->state = ARRAY_AFTER_VALUE;
                if (!push (m, FRAME_VALUE, items))
                  return FALSE;
                continue;
              }
            if (c == ',')
              return push (m, FRAME_VALUE, items);
            if (c == ']')
              {
                pop (m, -1);
                return TRUE;
              }
            return FALSE;
          }

        default:
          return FALSE;
        }
    }
}

BendiJsonMatcher *
bendi_json_matcher_new (const BendiJsonGrammar *grammar)
{
  BendiJsonMatcher *self = g_new0 (BendiJsonMatcher, 1);

  self->grammar = grammar;
  push (self, FRAME_VALUE, grammar->root);
  return self;
}

void
bendi_json_matcher_free (BendiJsonMatcher *self)
{
  g_free (self);
}

gboolean
bendi_json_matcher_feed (BendiJsonMatcher *self,
                         const char       *text,
                         gsize             len)
{
  BendiJsonMatcher scratch;

  matcher_copy (&scratch, self);
  for (gsize i = 0; i < len; i++)
    if (!step (&scratch, (guchar) text[i]))
      return FALSE;
  matcher_copy (self, &scratch);
  return TRUE;
}

gboolean
bendi_json_matcher_is_complete (const BendiJsonMatcher *self)
{
  return self->complete;
}

gboolean
bendi_json_matcher_can_end (const BendiJsonMatcher *self)
{
  const Frame *f;

  if (self->complete)
    return TRUE;
  if (self->depth != 1)
    return FALSE;
  f = &self->frames[0];
  return (f->kind == FRAME_NUMBER && number_final (f)) || (f->kind == FRAME_LITERAL && literal_complete (f) >= 0);
}

/* ------------------------------------------------------------------------ */
/* The vocabulary trie */

typedef struct {
  guint32 first_child;   /* 0: none (the root is never a child) */
  guint32 next_sibling;
  gint32  first_token;   /* -1: no token ends here */
  guint8  byte;
} TrieNode;

struct _BendiJsonVocab {
  gint      ref_count;
  gint32    n_vocab;
  GArray   *nodes;         /* TrieNode; [0] is the root */
  gint32   *next_token;    /* (n_vocab): the next token with the same text */
  guint8   *end_of_generation; /* (n_vocab) */
  guint     max_length;    /* of a token's text */
  char    **pieces;        /* (n_vocab) each token's bytes, NULL when empty */
  gsize    *piece_lengths;
};

static guint32
trie_child (GArray  *nodes,
            guint32  parent,
            guint8   byte)
{
  guint32 child = g_array_index (nodes, TrieNode, parent).first_child;
  TrieNode fresh = { 0, 0, -1, byte };

  for (; child != 0; child = g_array_index (nodes, TrieNode, child).next_sibling)
    if (g_array_index (nodes, TrieNode, child).byte == byte)
      return child;
  fresh.next_sibling = g_array_index (nodes, TrieNode, parent).first_child;
  g_array_append_val (nodes, fresh);
  g_array_index (nodes, TrieNode, parent).first_child = nodes->len - 1;
  return nodes->len - 1;
}

BendiJsonVocab *
bendi_json_vocab_new (const BendiTokenizer *tokenizer)
{
  BendiJsonVocab *self = g_new0 (BendiJsonVocab, 1);
  TrieNode root = { 0, 0, -1, 0 };

  self->ref_count = 1;
  self->n_vocab = bendi_tokenizer_get_n_vocab (tokenizer);
  self->nodes = g_array_new (FALSE, FALSE, sizeof (TrieNode));
  g_array_append_val (self->nodes, root);
  self->next_token = g_new (gint32, self->n_vocab);
  self->end_of_generation = g_new0 (guint8, self->n_vocab);
  self->pieces = g_new0 (char *, self->n_vocab);
  self->piece_lengths = g_new0 (gsize, self->n_vocab);
  for (gint32 t = 0; t < self->n_vocab; t++)
    {
      gsize len = 0;
      const char *piece = bendi_tokenizer_get_piece (tokenizer, t, FALSE, &len);
      guint32 node = 0;

      self->next_token[t] = -1;
      self->end_of_generation[t] = bendi_tokenizer_is_end_of_generation (tokenizer, t);
      /* Control tokens write nothing and so can never advance JSON. */
      if (len == 0 || self->end_of_generation[t])
        continue;
      self->pieces[t] = g_memdup2 (piece, len);
      self->piece_lengths[t] = len;
      self->max_length = MAX (self->max_length, (guint) len);
      for (gsize i = 0; i < len; i++)
        node = trie_child (self->nodes, node, (guint8) piece[i]);
      self->next_token[t] = g_array_index (self->nodes, TrieNode, node).first_token;
      g_array_index (self->nodes, TrieNode, node).first_token = t;
    }
  return self;
}

BendiJsonVocab *
bendi_json_vocab_ref (BendiJsonVocab *self)
{
  g_atomic_int_inc (&self->ref_count);
  return self;
}

void
bendi_json_vocab_unref (BendiJsonVocab *self)
{
  if (self == NULL || !g_atomic_int_dec_and_test (&self->ref_count))
    return;
  g_array_unref (self->nodes);
  g_free (self->next_token);
  g_free (self->end_of_generation);
  for (gint32 t = 0; t < self->n_vocab; t++)
    g_free (self->pieces[t]);
  g_free (self->pieces);
  g_free (self->piece_lengths);
  g_free (self);
}

/* ------------------------------------------------------------------------ */
/* The constraint */

struct _BendiJsonConstraint {
  BendiJsonGrammar *grammar;
  BendiJsonVocab   *vocab;
  BendiJsonMatcher *matcher;
  guint8           *allowed;     /* (n_vocab) */
  BendiJsonMatcher *levels;      /* (max_length + 1): the matcher after each byte of the walk */
};

BendiJsonConstraint *
bendi_json_constraint_new (BendiJsonGrammar *grammar,
                           BendiJsonVocab   *vocab)
{
  BendiJsonConstraint *self = g_new0 (BendiJsonConstraint, 1);

  self->grammar = grammar;
  self->vocab = bendi_json_vocab_ref (vocab);
  self->matcher = bendi_json_matcher_new (grammar);
  self->allowed = g_new0 (guint8, vocab->n_vocab);
  self->levels = g_new (BendiJsonMatcher, vocab->max_length + 1);
  return self;
}

void
bendi_json_constraint_free (BendiJsonConstraint *self)
{
  if (self == NULL)
    return;
  bendi_json_matcher_free (self->matcher);
  bendi_json_grammar_free (self->grammar);
  bendi_json_vocab_unref (self->vocab);
  g_free (self->allowed);
  g_free (self->levels);
  g_free (self);
}

/* Marks every token whose text the matcher accepts from @levels[0]: a
 * depth-first walk of the trie that abandons a branch at its first
 * refused byte, so tokens sharing a prefix share its work. */
static void
walk (BendiJsonConstraint *self)
{
  GArray *nodes = self->vocab->nodes;
  g_autofree guint32 *stack = g_new (guint32, self->vocab->max_length + 2);
  gint top = 0;

  stack[0] = g_array_index (nodes, TrieNode, 0).first_child;
  while (top >= 0)
    {
      guint32 node = stack[top];
      const TrieNode *n;

      if (node == 0)
        {
          top--;
          if (top >= 0)
            stack[top] = g_array_index (nodes, TrieNode, stack[top]).next_sibling;
          continue;
        }
      n = &g_array_index (nodes, TrieNode, node);
      matcher_copy (&self->levels[top + 1], &self->levels[top]);
      if (!step (&self->levels[top + 1], n->byte))
        {
          stack[top] = n->next_sibling;
          continue;
        }
      for (gint32 t = n->first_token; t >= 0; t = self->vocab->next_token[t])
        self->allowed[t] = TRUE;
      if (n->first_child != 0)
        stack[++top] = n->first_child;
      else
        stack[top] = n->next_sibling;
    }
}

static gboolean
constraint_apply (gpointer  user_data,
                  float    *logits,
                  gint32    n_vocab)
{
  BendiJsonConstraint *self = user_data;
  gboolean can_end = bendi_json_matcher_can_end (self->matcher);
  gint32 n = MIN (n_vocab, self->vocab->n_vocab);

  if (bendi_json_matcher_is_complete (self->matcher))
    return FALSE;
  memset (self->allowed, 0, (gsize) self->vocab->n_vocab);
  matcher_copy (&self->levels[0], self->matcher);
  walk (self);
  for (gint32 t = 0; t < n; t++)
    if (!self->allowed[t] && !(can_end && self->vocab->end_of_generation[t]))
      logits[t] = -INFINITY;
  for (gint32 t = n; t < n_vocab; t++)
    logits[t] = -INFINITY;
  return TRUE;
}

static void
constraint_accept (gpointer   user_data,
                   BendiToken token)
{
  BendiJsonConstraint *self = user_data;

  /* apply () allowed only tokens the matcher takes, or an end. */
  if (token >= 0 && token < self->vocab->n_vocab && self->vocab->pieces[token] != NULL)
    bendi_json_matcher_feed (self->matcher, self->vocab->pieces[token], self->vocab->piece_lengths[token]);
}

const BendiTokenFilter *
bendi_json_constraint_get_filter (void)
{
  static const BendiTokenFilter filter = { constraint_apply, constraint_accept };

  return &filter;
}
