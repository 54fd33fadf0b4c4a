/* SPDX-License-Identifier: MIT */
/* Template values: Python's data model in the small (None, bool, int, float, str, list, tuple, dict). */
#include "template/template-private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Dicts and frames switch from a linear scan to a hash index past this size. */
#define SMALL_TABLE 8

Value tmpl_undefined_value = { .ref_count = TMPL_IMMORTAL, .type = BENDI_TEMPLATE_VALUE_UNDEFINED };
Value tmpl_none_value = { .ref_count = TMPL_IMMORTAL, .type = BENDI_TEMPLATE_VALUE_NONE };
Value tmpl_true_value = { .ref_count = TMPL_IMMORTAL, .type = BENDI_TEMPLATE_VALUE_BOOLEAN,
                          .boolean = TRUE };
Value tmpl_false_value = { .ref_count = TMPL_IMMORTAL, .type = BENDI_TEMPLATE_VALUE_BOOLEAN,
                           .boolean = FALSE };
Value tmpl_empty_string_value = { .ref_count = TMPL_IMMORTAL, .type = BENDI_TEMPLATE_VALUE_STRING,
                                  .flags = TMPL_FLAG_ASCII,
                                  .string = { .data = (char *) "", .len = 0, .n_chars = 0 } };

/* ------------------------------------------------------------------------ */
/* Allocation and release. Every value a render makes is counted against
 * its memory limit and linked into its list, so that values kept alive by
 * reference cycles (a list appended to itself, a macro stored in the scope
 * it closes over) are still freed when the render ends. */

static void
run_link (TmplRun *run,
          Value   *v)
{
  v->run_prev = NULL;
  v->run_next = run->objects;
  if (run->objects != NULL)
    run->objects->run_prev = v;
  run->objects = v;
}

static void
run_unlink (Value *v)
{
  TmplRun *run = v->run;

  if (v->run_prev != NULL)
    v->run_prev->run_next = v->run_next;
  else
    run->objects = v->run_next;
  if (v->run_next != NULL)
    v->run_next->run_prev = v->run_prev;
  v->run_prev = v->run_next = NULL;
}

static Value *
value_alloc (TmplRun *run,
             guint8   type,
             gsize    extra)
{
  gsize size;
  Value *v;

  if (extra > G_MAXSIZE - sizeof (Value) - 1)
    return tmpl_fail (run, "a value is too large");
  size = sizeof (Value) + extra;
  if (run != NULL && (!tmpl_charge_memory (run, size) || !tmpl_charge_steps (run, 1 + extra / 64)))
    return NULL;
  v = g_malloc0 (size);
  v->ref_count = 1;
  v->type = type;
  if (run != NULL)
    {
      v->run = run;
      v->charged = size;
      run_link (run, v);
    }
  return v;
}

/* Grows a value's own storage by @bytes, counted like the value itself. */
static gboolean
value_charge (Value *v,
              gsize  bytes)
{
  if (v->run == NULL)
    return TRUE;
  if (!tmpl_charge_memory (v->run, bytes) || !tmpl_charge_steps (v->run, bytes / 64))
    return FALSE;
  v->charged += bytes;
  return TRUE;
}

/* Work done inside comparisons and hashing, which cannot fail: it is
 * counted against the run that owns the values and stops the render at
 * its next step. */
static void
note_work (const Value *a,
           const Value *b,
           guint64      units)
{
  TmplRun *run = a->run != NULL ? a->run : b != NULL ? b->run : NULL;

  if (run != NULL)
    run->steps = units > G_MAXUINT64 - run->steps ? G_MAXUINT64 : run->steps + units;
}

Value *
tmpl_ref (Value *value)
{
  if (value != NULL && value->ref_count != TMPL_IMMORTAL)
    value->ref_count++;
  return value;
}

/* TRUE when @v lost its last reference. */
static gboolean
release (Value *v)
{
  if (v == NULL || v->ref_count == TMPL_IMMORTAL)
    return FALSE;
  return --v->ref_count == 0;
}

static void
push_pending (Value **pending,
              Value  *v)
{
  if (v->run != NULL)
    run_unlink (v);
  v->run_next = *pending;
  *pending = v;
}

static void
release_into (Value **pending,
              Value  *v)
{
  if (release (v))
    push_pending (pending, v);
}

/* Frees @v's own memory; with @pending, releases what it holds too. */
static void
free_one (Value  *v,
          Value **pending)
{
  switch (v->type)
    {
    case BENDI_TEMPLATE_VALUE_LIST:
    case BENDI_TEMPLATE_VALUE_TUPLE:
      for (gsize i = 0; pending != NULL && i < v->list.len; i++)
        release_into (pending, v->list.items[i]);
      g_free (v->list.items);
      break;
    case BENDI_TEMPLATE_VALUE_DICT:
    case BENDI_TEMPLATE_VALUE_NAMESPACE:
      for (gsize i = 0; pending != NULL && i < v->dict.len; i++)
        {
          release_into (pending, v->dict.entries[i].key);
          release_into (pending, v->dict.entries[i].value);
        }
      g_free (v->dict.entries);
      g_free (v->dict.index);
      break;
    case BENDI_TEMPLATE_VALUE_CALLABLE:
      if (pending != NULL)
        release_into (pending, v->callable.self);
      break;
    case TMPL_VALUE_LOOP:
      if (pending != NULL)
        {
          release_into (pending, v->loop.items);
          release_into (pending, v->loop.frame);
          release_into (pending, v->loop.changed);
        }
      break;
    case TMPL_VALUE_FRAME:
      for (gsize i = 0; pending != NULL && i < v->frame.len; i++)
        release_into (pending, v->frame.values[i]);
      if (pending != NULL)
        release_into (pending, v->frame.parent);
      g_free (v->frame.names);
      g_free (v->frame.values);
      break;
    default:
      break;
    }
  if (v->run != NULL)
    tmpl_release_memory (v->run, v->charged);
  g_free (v);
}

/* Iterative, so that a list nested a million deep cannot exhaust the stack. */
void
tmpl_unref (Value *value)
{
  Value *pending = NULL;

  if (!release (value))
    return;
  push_pending (&pending, value);
  while (pending != NULL)
    {
      Value *v = pending;

      pending = v->run_next;
      free_one (v, &pending);
    }
}

void
tmpl_run_sweep (TmplRun *run)
{
  while (run->objects != NULL)
    {
      Value *v = run->objects;

      run_unlink (v);
      free_one (v, NULL);
    }
}

/* ------------------------------------------------------------------------ */
/* Constructors. */

static guint32 string_hash (const Value *v);

Value *
tmpl_new_int (TmplRun *run,
              gint64   value)
{
  Value *v = value_alloc (run, BENDI_TEMPLATE_VALUE_INTEGER, 0);

  if (v != NULL)
    v->integer = value;
  return v;
}

Value *
tmpl_new_float (TmplRun *run,
                double   value)
{
  Value *v = value_alloc (run, BENDI_TEMPLATE_VALUE_FLOAT, 0);

  if (v != NULL)
    v->number = value;
  return v;
}

static gboolean
bytes_are_ascii (const char *text,
                 gsize       len)
{
  for (gsize i = 0; i < len; i++)
    if ((guchar) text[i] >= 0x80)
      return FALSE;
  return TRUE;
}

Value *
tmpl_new_string2 (TmplRun    *run,
                  const char *a,
                  gsize       a_len,
                  const char *b,
                  gsize       b_len)
{
  Value *v;

  if (a_len + b_len == 0)
    return &tmpl_empty_string_value;
  if (b_len > G_MAXSIZE / 2 || a_len > G_MAXSIZE / 2)
    return tmpl_fail (run, "a string is too long");
  v = value_alloc (run, BENDI_TEMPLATE_VALUE_STRING, a_len + b_len + 1);
  if (v == NULL)
    return NULL;
  v->string.data = (char *) (v + 1);
  v->string.len = a_len + b_len;
  v->string.n_chars = G_MAXSIZE;
  if (a_len > 0)
    memcpy (v->string.data, a, a_len);
  if (b_len > 0)
    memcpy (v->string.data + a_len, b, b_len);
  v->string.data[a_len + b_len] = '\0';
  if (bytes_are_ascii (v->string.data, v->string.len))
    {
      v->flags |= TMPL_FLAG_ASCII;
      v->string.n_chars = v->string.len;
    }
  /* Values outside a render may become a template's constants, read by
   * several renders at once: fill the caches now, never later. */
  if (run == NULL)
    {
      tmpl_string_n_chars (v);
      string_hash (v);
    }
  return v;
}

Value *
tmpl_new_string (TmplRun    *run,
                 const char *text,
                 gsize       len)
{
  return tmpl_new_string2 (run, text, len, NULL, 0);
}

Value *
tmpl_new_string_take_gstring (TmplRun *run,
                              GString *text)
{
  Value *v = tmpl_new_string (run, text->str, text->len);

  g_string_free (text, TRUE);
  return v;
}

Value *
tmpl_new_list (TmplRun *run,
               guint8   type,
               gsize    reserve)
{
  Value *v = value_alloc (run, type, 0);

  if (v == NULL)
    return NULL;
  if (reserve > 0)
    {
      if (reserve > G_MAXSIZE / sizeof (Value *) || !value_charge (v, reserve * sizeof (Value *)))
        {
          tmpl_unref (v);
          return tmpl_fail (run, "a list is too long");
        }
      v->list.items = g_new (Value *, reserve);
      v->list.cap = reserve;
    }
  return v;
}

Value *
tmpl_new_dict (TmplRun *run,
               guint8   type)
{
  return value_alloc (run, type, 0);
}

Value *
tmpl_new_callable (TmplRun        *run,
                   TmplCallKind    kind,
                   guint           id,
                   const char     *name,
                   Value          *self,
                   const TmplNode *node)
{
  Value *v = value_alloc (run, BENDI_TEMPLATE_VALUE_CALLABLE, 0);

  if (v == NULL)
    return NULL;
  v->callable.kind = kind;
  v->callable.id = id;
  v->callable.name = name;
  v->callable.self = tmpl_ref (self);
  v->callable.node = node;
  return v;
}

Value *
tmpl_new_frame (TmplRun *run,
                Value   *parent)
{
  Value *v = value_alloc (run, TMPL_VALUE_FRAME, 0);

  if (v != NULL)
    v->frame.parent = tmpl_ref (parent);
  return v;
}

Value *
tmpl_new_loop (TmplRun *run)
{
  return value_alloc (run, TMPL_VALUE_LOOP, 0);
}

/* ------------------------------------------------------------------------ */
/* Lists, dicts and frames. */

static gboolean
grow (Value   *v,
      void   **array,
      gsize   *cap,
      gsize    needed,
      gsize    elem_size)
{
  gsize new_cap;

  if (needed <= *cap)
    return TRUE;
  new_cap = MAX (needed, MAX (*cap * 2, 4));
  if (new_cap > G_MAXSIZE / elem_size / 2)
    {
      if (v->run != NULL)
        tmpl_fail (v->run, "a container is too large");
      return FALSE;
    }
  if (!value_charge (v, (new_cap - *cap) * elem_size))
    return FALSE;
  *array = g_realloc (*array, new_cap * elem_size);
  *cap = new_cap;
  return TRUE;
}

gboolean
tmpl_list_append (TmplRun *run G_GNUC_UNUSED,
                  Value   *list,
                  Value   *item)
{
  if (!grow (list, (void **) &list->list.items, &list->list.cap, list->list.len + 1, sizeof (Value *)))
    {
      tmpl_unref (item);
      return FALSE;
    }
  list->list.items[list->list.len++] = item;
  return TRUE;
}

/* Eight bytes at a time: keys can be long strings. */
static guint32
hash_bytes (const char *data,
            gsize       len)
{
  guint64 h = 0x9e3779b97f4a7c15ull ^ len;
  gsize i = 0;

  for (; i + 8 <= len; i += 8)
    {
      guint64 word;

      memcpy (&word, data + i, 8);
      h = (h ^ word) * 0xff51afd7ed558ccdull;
      h ^= h >> 32;
    }
  if (i < len)
    {
      guint64 word = 0;

      memcpy (&word, data + i, len - i);
      h = (h ^ word) * 0xff51afd7ed558ccdull;
    }
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return (guint32) h;
}

static guint32
string_hash (const Value *v)
{
  Value *mutable_v = (Value *) v;

  guint32 hash;

  if (v->string.hashed)
    return v->string.hash;
  note_work (v, NULL, v->string.len / 64);
  hash = hash_bytes (v->string.data, v->string.len);
  /* Shared values (the static empty string) are never written to. */
  if (v->ref_count != TMPL_IMMORTAL)
    {
      mutable_v->string.hash = hash;
      mutable_v->string.hashed = TRUE;
    }
  return hash;
}

static guint32
hash_int (gint64 i)
{
  guint64 x = (guint64) i;

  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return (guint32) x;
}

gboolean
tmpl_hash (const Value *v,
           guint32     *hash)
{
  switch (v->type)
    {
    case BENDI_TEMPLATE_VALUE_UNDEFINED:
      *hash = 0x2545f491u;
      return TRUE;
    case BENDI_TEMPLATE_VALUE_NONE:
      *hash = 0x9e3779b9u;
      return TRUE;
    case BENDI_TEMPLATE_VALUE_BOOLEAN:
    case BENDI_TEMPLATE_VALUE_INTEGER:
      *hash = hash_int (tmpl_to_int64 (v));
      return TRUE;
    case BENDI_TEMPLATE_VALUE_FLOAT:
      /* Equal numbers hash alike, as 1 == 1.0 == True in Python. */
      if (isfinite (v->number) && v->number == floor (v->number) && fabs (v->number) < 9.0e18)
        *hash = hash_int ((gint64) v->number);
      else
        *hash = hash_bytes ((const char *) &v->number, sizeof v->number);
      return TRUE;
    case BENDI_TEMPLATE_VALUE_STRING:
      *hash = string_hash (v);
      return TRUE;
    case BENDI_TEMPLATE_VALUE_TUPLE:
      {
        guint32 h = 0x345678u;

        for (gsize i = 0; i < v->list.len; i++)
          {
            guint32 item;

            if (!tmpl_hash (v->list.items[i], &item))
              return FALSE;
            h = (h ^ item) * 1000003u;
          }
        *hash = h;
        return TRUE;
      }
    default:
      return FALSE;
    }
}

static void
dict_rebuild_index (Value *dict)
{
  gsize size = dict->dict.index_size;
  gsize mask = size - 1;

  memset (dict->dict.index, 0, size * sizeof (guint32));
  for (gsize e = 0; e < dict->dict.len; e++)
    {
      gsize i = dict->dict.entries[e].hash & mask;

      while (dict->dict.index[i] != 0)
        i = (i + 1) & mask;
      dict->dict.index[i] = (guint32) (e + 1);
    }
}

/* Keeps the index at most half full once the dict is past SMALL_TABLE. */
static gboolean
dict_ensure_index (Value *dict,
                   gsize  n)
{
  gsize size;

  if (n <= SMALL_TABLE || n * 2 <= dict->dict.index_size)
    return TRUE;
  if (n > G_MAXUINT32 / 4)
    {
      if (dict->run != NULL)
        tmpl_fail (dict->run, "a dict is too large");
      return FALSE;
    }
  size = 16;
  while (size < n * 4)
    size *= 2;
  if (!value_charge (dict, (size - dict->dict.index_size) * sizeof (guint32)))
    return FALSE;
  g_free (dict->dict.index);
  dict->dict.index = g_new (guint32, size);
  dict->dict.index_size = size;
  dict_rebuild_index (dict);
  return TRUE;
}

static gssize
dict_find (const Value *dict,
           const Value *key,
           guint32      hash)
{
  if (dict->dict.index == NULL)
    {
      for (gsize e = 0; e < dict->dict.len; e++)
        if (dict->dict.entries[e].hash == hash && tmpl_equal (dict->dict.entries[e].key, key))
          return (gssize) e;
      return -1;
    }
  for (gsize i = hash & (dict->dict.index_size - 1);
       dict->dict.index[i] != 0;
       i = (i + 1) & (dict->dict.index_size - 1))
    {
      gsize e = dict->dict.index[i] - 1;

      if (dict->dict.entries[e].hash == hash && tmpl_equal (dict->dict.entries[e].key, key))
        return (gssize) e;
    }
  return -1;
}

gboolean
tmpl_dict_set (TmplRun *run,
               Value   *dict,
               Value   *key,
               Value   *item)
{
  guint32 hash;
  gssize found;
  gsize e;

  if (!tmpl_hash (key, &hash))
    {
      tmpl_fail (run, "unhashable type: '%s'", tmpl_type_name (key));
      tmpl_unref (key);
      tmpl_unref (item);
      return FALSE;
    }
  found = dict_find (dict, key, hash);
  if (found >= 0)
    {
      tmpl_unref (key);
      tmpl_unref (dict->dict.entries[found].value);
      dict->dict.entries[found].value = item;
      return TRUE;
    }
  if (!grow (dict, (void **) &dict->dict.entries, &dict->dict.cap, dict->dict.len + 1,
             sizeof (TmplDictEntry)))
    {
      tmpl_unref (key);
      tmpl_unref (item);
      return FALSE;
    }
  e = dict->dict.len++;
  dict->dict.entries[e].key = key;
  dict->dict.entries[e].value = item;
  dict->dict.entries[e].hash = hash;
  if (dict->dict.index != NULL && dict->dict.len * 2 <= dict->dict.index_size)
    {
      gsize mask = dict->dict.index_size - 1;
      gsize i = hash & mask;

      while (dict->dict.index[i] != 0)
        i = (i + 1) & mask;
      dict->dict.index[i] = (guint32) (e + 1);
    }
  else if (!dict_ensure_index (dict, dict->dict.len))
    {
      /* The entry is in; only the index could not grow. Take it back out. */
      dict->dict.len--;
      tmpl_unref (dict->dict.entries[e].key);
      tmpl_unref (dict->dict.entries[e].value);
      return FALSE;
    }
  return TRUE;
}

Value *
tmpl_dict_get (Value *dict,
               Value *key)
{
  guint32 hash;
  gssize e;

  if (!tmpl_hash (key, &hash))
    return NULL;
  e = dict_find (dict, key, hash);
  return e >= 0 ? dict->dict.entries[e].value : NULL;
}

Value *
tmpl_dict_get_str (Value      *dict,
                   const char *key,
                   gsize       len)
{
  Value probe = { .ref_count = TMPL_IMMORTAL, .type = BENDI_TEMPLATE_VALUE_STRING };
  gssize e;

  probe.string.data = (char *) key;
  probe.string.len = len;
  e = dict_find (dict, &probe, hash_bytes (key, len));
  return e >= 0 ? dict->dict.entries[e].value : NULL;
}

Value *
tmpl_dict_take (Value *dict,
                Value *key)
{
  guint32 hash;
  gssize e;
  Value *item;

  if (!tmpl_hash (key, &hash) || (e = dict_find (dict, key, hash)) < 0)
    return NULL;
  item = dict->dict.entries[e].value;
  tmpl_unref (dict->dict.entries[e].key);
  memmove (dict->dict.entries + e, dict->dict.entries + e + 1,
           (dict->dict.len - (gsize) e - 1) * sizeof (TmplDictEntry));
  dict->dict.len--;
  if (dict->dict.index != NULL)
    dict_rebuild_index (dict);
  return item;
}

static guint32
hash_pointer (const void *p)
{
  return hash_int ((gint64) (gintptr) p);
}

/* Frames index their names once they hold many, so that a template with
 * thousands of variables cannot make every lookup slow. */
static gssize
frame_find (const Value *frame,
            const char  *name)
{
  if (frame->frame.len <= SMALL_TABLE)
    {
      for (gsize i = 0; i < frame->frame.len; i++)
        if (frame->frame.names[i] == name)
          return (gssize) i;
      return -1;
    }
  {
    const guint32 *index = (const guint32 *) (frame->frame.names + frame->frame.cap);
    gsize mask = frame->frame.cap * 2 - 1;

    for (gsize i = hash_pointer (name) & mask; index[i] != 0; i = (i + 1) & mask)
      if (frame->frame.names[index[i] - 1] == name)
        return (gssize) (index[i] - 1);
    return -1;
  }
}

/* The names array holds cap names followed by an index of 2 * cap slots. */
static gboolean
frame_grow (Value *frame)
{
  gsize old_cap = frame->frame.cap;
  gsize new_cap = MAX (old_cap * 2, SMALL_TABLE);
  gsize names_bytes = new_cap * sizeof (char *) + 2 * new_cap * sizeof (guint32);
  const char **names;
  guint32 *index;

  if (new_cap > G_MAXUINT32 / 4)
    {
      if (frame->run != NULL)
        tmpl_fail (frame->run, "too many variables");
      return FALSE;
    }
  if (!value_charge (frame, names_bytes + new_cap * sizeof (Value *)
                     - old_cap * (sizeof (char *) + 2 * sizeof (guint32) + sizeof (Value *))))
    return FALSE;
  names = g_malloc0 (names_bytes);
  if (frame->frame.len > 0)
    memcpy (names, frame->frame.names, frame->frame.len * sizeof (char *));
  g_free (frame->frame.names);
  frame->frame.names = names;
  frame->frame.values = g_renew (Value *, frame->frame.values, new_cap);
  frame->frame.cap = new_cap;
  index = (guint32 *) (names + new_cap);
  for (gsize e = 0; e < frame->frame.len; e++)
    {
      gsize i = hash_pointer (names[e]) & (2 * new_cap - 1);

      while (index[i] != 0)
        i = (i + 1) & (2 * new_cap - 1);
      index[i] = (guint32) (e + 1);
    }
  return TRUE;
}

gboolean
tmpl_frame_set (TmplRun    *run G_GNUC_UNUSED,
                Value      *frame,
                const char *name,
                Value      *item)
{
  gssize found = frame_find (frame, name);
  gsize e;

  if (found >= 0)
    {
      tmpl_unref (frame->frame.values[found]);
      frame->frame.values[found] = item;
      return TRUE;
    }
  if (frame->frame.len == frame->frame.cap && !frame_grow (frame))
    {
      tmpl_unref (item);
      return FALSE;
    }
  e = frame->frame.len++;
  frame->frame.names[e] = name;
  frame->frame.values[e] = item;
  {
    guint32 *index = (guint32 *) (frame->frame.names + frame->frame.cap);
    gsize mask = frame->frame.cap * 2 - 1;
    gsize i = hash_pointer (name) & mask;

    while (index[i] != 0)
      i = (i + 1) & mask;
    index[i] = (guint32) (e + 1);
  }
  return TRUE;
}

void
tmpl_frame_clear (Value *frame)
{
  for (gsize i = 0; i < frame->frame.len; i++)
    tmpl_unref (frame->frame.values[i]);
  frame->frame.len = 0;
  if (frame->frame.cap > 0)
    memset (frame->frame.names + frame->frame.cap, 0, 2 * frame->frame.cap * sizeof (guint32));
}

Value *
tmpl_frame_lookup (Value      *frame,
                   const char *name)
{
  for (; frame != NULL; frame = frame->frame.parent)
    {
      gssize i = frame_find (frame, name);

      if (i >= 0)
        return frame->frame.values[i];
    }
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* Python's type predicates, truth and comparisons. */

gboolean
tmpl_is_sequence (const Value *v)
{
  return v->type == BENDI_TEMPLATE_VALUE_LIST || v->type == BENDI_TEMPLATE_VALUE_TUPLE;
}

gboolean
tmpl_is_integer (const Value *v)
{
  return v->type == BENDI_TEMPLATE_VALUE_INTEGER || v->type == BENDI_TEMPLATE_VALUE_BOOLEAN;
}

gboolean
tmpl_is_number (const Value *v)
{
  return tmpl_is_integer (v) || v->type == BENDI_TEMPLATE_VALUE_FLOAT;
}

gint64
tmpl_to_int64 (const Value *v)
{
  if (v->type == BENDI_TEMPLATE_VALUE_BOOLEAN)
    return v->boolean ? 1 : 0;
  return v->integer;
}

double
tmpl_to_double (const Value *v)
{
  if (v->type == BENDI_TEMPLATE_VALUE_FLOAT)
    return v->number;
  return (double) tmpl_to_int64 (v);
}

gsize
tmpl_string_n_chars (Value *v)
{
  if (v->string.n_chars == G_MAXSIZE)
    {
      gsize n = 0;

      note_work (v, NULL, v->string.len / 64);
      for (gsize i = 0; i < v->string.len; i++)
        if (((guchar) v->string.data[i] & 0xc0) != 0x80)
          n++;
      v->string.n_chars = n;
    }
  return v->string.n_chars;
}

gboolean
tmpl_truthy (const Value *v)
{
  switch (v->type)
    {
    case BENDI_TEMPLATE_VALUE_UNDEFINED:
    case BENDI_TEMPLATE_VALUE_NONE:
      return FALSE;
    case BENDI_TEMPLATE_VALUE_BOOLEAN:
      return v->boolean;
    case BENDI_TEMPLATE_VALUE_INTEGER:
      return v->integer != 0;
    case BENDI_TEMPLATE_VALUE_FLOAT:
      return v->number != 0.0;
    case BENDI_TEMPLATE_VALUE_STRING:
      return v->string.len > 0;
    case BENDI_TEMPLATE_VALUE_LIST:
      /* A generator is an object, and objects are true. */
      return (v->flags & TMPL_FLAG_GENERATOR) != 0 || v->list.len > 0;
    case BENDI_TEMPLATE_VALUE_TUPLE:
      return v->list.len > 0;
    case BENDI_TEMPLATE_VALUE_DICT:
      return v->dict.len > 0;
    default:
      return TRUE;
    }
}

static gboolean
equal_at (const Value *a,
          const Value *b,
          guint        depth)
{
  if (a == b)
    return TRUE;
  if (depth > TMPL_MAX_VALUE_DEPTH)
    return FALSE;
  note_work (a, b, 1);
  if (tmpl_is_number (a) && tmpl_is_number (b))
    {
      if (tmpl_is_integer (a) && tmpl_is_integer (b))
        return tmpl_to_int64 (a) == tmpl_to_int64 (b);
      return tmpl_to_double (a) == tmpl_to_double (b);
    }
  if (a->type != b->type)
    return FALSE;
  switch (a->type)
    {
    case BENDI_TEMPLATE_VALUE_UNDEFINED:
    case BENDI_TEMPLATE_VALUE_NONE:
      return TRUE;
    case BENDI_TEMPLATE_VALUE_STRING:
      if (a->string.len != b->string.len)
        return FALSE;
      note_work (a, b, a->string.len / 64);
      return memcmp (a->string.data, b->string.data, a->string.len) == 0;
    case BENDI_TEMPLATE_VALUE_LIST:
    case BENDI_TEMPLATE_VALUE_TUPLE:
      if ((a->flags | b->flags) & TMPL_FLAG_GENERATOR)
        return FALSE;
      if (a->list.len != b->list.len)
        return FALSE;
      for (gsize i = 0; i < a->list.len; i++)
        if (!equal_at (a->list.items[i], b->list.items[i], depth + 1))
          return FALSE;
      return TRUE;
    case BENDI_TEMPLATE_VALUE_DICT:
      if (a->dict.len != b->dict.len)
        return FALSE;
      for (gsize i = 0; i < a->dict.len; i++)
        {
          const TmplDictEntry *entry = &a->dict.entries[i];
          gssize j = dict_find (b, entry->key, entry->hash);

          if (j < 0 || !equal_at (entry->value, b->dict.entries[j].value, depth + 1))
            return FALSE;
        }
      return TRUE;
    default:
      return FALSE;
    }
}

gboolean
tmpl_equal (const Value *a,
            const Value *b)
{
  return equal_at (a, b, 0);
}

static gboolean
compare_at (TmplRun     *run,
            const Value *a,
            const Value *b,
            int         *result,
            guint        depth)
{
  if (depth > TMPL_MAX_VALUE_DEPTH)
    {
      tmpl_fail (run, "values nested too deeply to compare");
      return FALSE;
    }
  note_work (a, b, 1);
  if (tmpl_is_number (a) && tmpl_is_number (b))
    {
      if (tmpl_is_integer (a) && tmpl_is_integer (b))
        {
          gint64 x = tmpl_to_int64 (a), y = tmpl_to_int64 (b);

          *result = x < y ? -1 : x > y ? 1 : 0;
        }
      else
        {
          double x = tmpl_to_double (a), y = tmpl_to_double (b);

          if (isnan (x) || isnan (y))
            *result = 2;   /* unordered: every comparison but != is false */
          else
            *result = x < y ? -1 : x > y ? 1 : 0;
        }
      return TRUE;
    }
  if (a->type == BENDI_TEMPLATE_VALUE_STRING && b->type == BENDI_TEMPLATE_VALUE_STRING)
    {
      /* UTF-8 byte order is code point order. */
      int c;

      note_work (a, b, MIN (a->string.len, b->string.len) / 64);
      c = memcmp (a->string.data, b->string.data, MIN (a->string.len, b->string.len));

      if (c == 0)
        c = a->string.len < b->string.len ? -1 : a->string.len > b->string.len ? 1 : 0;
      *result = c < 0 ? -1 : c > 0 ? 1 : 0;
      return TRUE;
    }
  if (a->type == b->type && tmpl_is_sequence (a) && !((a->flags | b->flags) & TMPL_FLAG_GENERATOR))
    {
      gsize n = MIN (a->list.len, b->list.len);

      for (gsize i = 0; i < n; i++)
        if (!equal_at (a->list.items[i], b->list.items[i], depth + 1))
          return compare_at (run, a->list.items[i], b->list.items[i], result, depth + 1);
      *result = a->list.len < b->list.len ? -1 : a->list.len > b->list.len ? 1 : 0;
      return TRUE;
    }
  tmpl_fail (run, "'<' not supported between instances of '%s' and '%s'",
             tmpl_type_name (a), tmpl_type_name (b));
  return FALSE;
}

gboolean
tmpl_compare (TmplRun     *run,
              const Value *a,
              const Value *b,
              int         *result)
{
  return compare_at (run, a, b, result, 0);
}

const char *
tmpl_type_name (const Value *v)
{
  switch (v->type)
    {
    case BENDI_TEMPLATE_VALUE_UNDEFINED: return "Undefined";
    case BENDI_TEMPLATE_VALUE_NONE: return "NoneType";
    case BENDI_TEMPLATE_VALUE_BOOLEAN: return "bool";
    case BENDI_TEMPLATE_VALUE_INTEGER: return "int";
    case BENDI_TEMPLATE_VALUE_FLOAT: return "float";
    case BENDI_TEMPLATE_VALUE_STRING: return "str";
    case BENDI_TEMPLATE_VALUE_LIST: return (v->flags & TMPL_FLAG_GENERATOR) ? "generator" : "list";
    case BENDI_TEMPLATE_VALUE_TUPLE: return "tuple";
    case BENDI_TEMPLATE_VALUE_DICT: return "dict";
    case BENDI_TEMPLATE_VALUE_NAMESPACE: return "Namespace";
    case BENDI_TEMPLATE_VALUE_CALLABLE:
      return v->callable.kind == TMPL_CALL_METHOD ? "builtin_function_or_method" :
             v->callable.kind == TMPL_CALL_MACRO ? "Macro" : "function";
    case TMPL_VALUE_LOOP: return "LoopContext";
    default: return "object";
    }
}

gboolean
tmpl_unichar_isspace (gunichar c)
{
  switch (c)
    {
    case '\t': case '\n': case 0x0b: case 0x0c: case '\r':
    case 0x1c: case 0x1d: case 0x1e: case 0x1f: case ' ':
    case 0x85: case 0xa0: case 0x1680: case 0x2028: case 0x2029:
    case 0x202f: case 0x205f: case 0x3000:
      return TRUE;
    default:
      return c >= 0x2000 && c <= 0x200a;
    }
}

/* ------------------------------------------------------------------------ */
/* Printing as Python does. */

/* repr(float): the shortest digits that read back the same, in fixed
 * notation for decimal exponents from -4 to 15 and scientific beyond. */
void
tmpl_write_float (GString *out,
                  double   value)
{
  char buf[64];
  char digits[32];
  gsize n_digits = 0;
  int exponent;
  int decimal_point;
  const char *e;

  if (isnan (value))
    {
      g_string_append (out, "nan");
      return;
    }
  if (isinf (value))
    {
      g_string_append (out, value < 0 ? "-inf" : "inf");
      return;
    }
  if (value == 0.0)
    {
      g_string_append (out, signbit (value) ? "-0.0" : "0.0");
      return;
    }
  for (int precision = 1; precision <= 17; precision++)
    {
      g_snprintf (buf, sizeof buf, "%.*e", precision - 1, value);
      if (strtod (buf, NULL) == value)
        break;
    }
  /* buf is "-d.ddde±XX": gather the digits without trailing zeros. */
  for (const char *p = buf; *p != 'e'; p++)
    if (g_ascii_isdigit (*p))
      digits[n_digits++] = *p;
  while (n_digits > 1 && digits[n_digits - 1] == '0')
    n_digits--;
  e = strchr (buf, 'e');
  exponent = atoi (e + 1);
  decimal_point = exponent + 1;
  if (value < 0)
    g_string_append_c (out, '-');
  if (decimal_point > -4 && decimal_point <= 16)
    {
      if (decimal_point <= 0)
        {
          g_string_append (out, "0.");
          for (int i = decimal_point; i < 0; i++)
            g_string_append_c (out, '0');
          g_string_append_len (out, digits, (gssize) n_digits);
        }
      else if ((gsize) decimal_point >= n_digits)
        {
          g_string_append_len (out, digits, (gssize) n_digits);
          for (gsize i = n_digits; i < (gsize) decimal_point; i++)
            g_string_append_c (out, '0');
          g_string_append (out, ".0");
        }
      else
        {
          g_string_append_len (out, digits, decimal_point);
          g_string_append_c (out, '.');
          g_string_append_len (out, digits + decimal_point, (gssize) n_digits - decimal_point);
        }
    }
  else
    {
      g_string_append_c (out, digits[0]);
      if (n_digits > 1)
        {
          g_string_append_c (out, '.');
          g_string_append_len (out, digits + 1, (gssize) n_digits - 1);
        }
      g_string_append_printf (out, "e%c%02d", exponent < 0 ? '-' : '+', ABS (exponent));
    }
}

static gboolean
unichar_isprintable (gunichar c)
{
  switch (g_unichar_type (c))
    {
    case G_UNICODE_CONTROL:
    case G_UNICODE_FORMAT:
    case G_UNICODE_SURROGATE:
    case G_UNICODE_PRIVATE_USE:
    case G_UNICODE_UNASSIGNED:
    case G_UNICODE_LINE_SEPARATOR:
    case G_UNICODE_PARAGRAPH_SEPARATOR:
      return FALSE;
    case G_UNICODE_SPACE_SEPARATOR:
      return c == ' ';
    default:
      return TRUE;
    }
}

static void
write_string_repr (GString     *out,
                   const Value *v)
{
  const char *s = v->string.data;
  const char *end = s + v->string.len;
  char quote = '\'';

  if (memchr (s, '\'', v->string.len) != NULL && memchr (s, '"', v->string.len) == NULL)
    quote = '"';
  g_string_append_c (out, quote);
  while (s < end)
    {
      gunichar c = g_utf8_get_char (s);

      s = g_utf8_next_char (s);
      if (c == (gunichar) quote || c == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, (char) c);
        }
      else if (c == '\t')
        g_string_append (out, "\\t");
      else if (c == '\n')
        g_string_append (out, "\\n");
      else if (c == '\r')
        g_string_append (out, "\\r");
      else if (c < 0x20 || c == 0x7f)
        g_string_append_printf (out, "\\x%02x", c);
      else if (c < 0x7f || unichar_isprintable (c))
        g_string_append_unichar (out, c);
      else if (c <= 0xff)
        g_string_append_printf (out, "\\x%02x", c);
      else if (c <= 0xffff)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_printf (out, "\\U%08x", c);
    }
  g_string_append_c (out, quote);
}

static gboolean write_at (TmplRun *run, GString *out, const Value *v, gboolean repr, guint depth);

static gboolean
write_dict_items (TmplRun     *run,
                  GString     *out,
                  const Value *v,
                  guint        depth)
{
  g_string_append_c (out, '{');
  for (gsize i = 0; i < v->dict.len; i++)
    {
      if (i > 0)
        g_string_append (out, ", ");
      if (!write_at (run, out, v->dict.entries[i].key, TRUE, depth + 1))
        return FALSE;
      g_string_append (out, ": ");
      if (!write_at (run, out, v->dict.entries[i].value, TRUE, depth + 1))
        return FALSE;
    }
  g_string_append_c (out, '}');
  return TRUE;
}

static gboolean
write_at (TmplRun     *run,
          GString     *out,
          const Value *v,
          gboolean     repr,
          guint        depth)
{
  if (depth > TMPL_MAX_VALUE_DEPTH)
    {
      if (run != NULL)
        tmpl_fail (run, "a value is nested too deeply (or holds itself) to be printed");
      return FALSE;
    }
  switch (v->type)
    {
    case BENDI_TEMPLATE_VALUE_UNDEFINED:
      if (repr)
        g_string_append (out, "Undefined");
      return TRUE;
    case BENDI_TEMPLATE_VALUE_NONE:
      g_string_append (out, "None");
      return TRUE;
    case BENDI_TEMPLATE_VALUE_BOOLEAN:
      g_string_append (out, v->boolean ? "True" : "False");
      return TRUE;
    case BENDI_TEMPLATE_VALUE_INTEGER:
      g_string_append_printf (out, "%" G_GINT64_FORMAT, v->integer);
      return TRUE;
    case BENDI_TEMPLATE_VALUE_FLOAT:
      tmpl_write_float (out, v->number);
      return TRUE;
    case BENDI_TEMPLATE_VALUE_STRING:
      if (repr)
        write_string_repr (out, v);
      else
        g_string_append_len (out, v->string.data, (gssize) v->string.len);
      return TRUE;
    case BENDI_TEMPLATE_VALUE_LIST:
    case BENDI_TEMPLATE_VALUE_TUPLE:
      if (v->flags & TMPL_FLAG_GENERATOR)
        {
          g_string_append (out, "<generator object>");
          return TRUE;
        }
      g_string_append_c (out, v->type == BENDI_TEMPLATE_VALUE_LIST ? '[' : '(');
      for (gsize i = 0; i < v->list.len; i++)
        {
          if (i > 0)
            g_string_append (out, ", ");
          if (!write_at (run, out, v->list.items[i], TRUE, depth + 1))
            return FALSE;
        }
      if (v->type == BENDI_TEMPLATE_VALUE_TUPLE && v->list.len == 1)
        g_string_append_c (out, ',');
      g_string_append_c (out, v->type == BENDI_TEMPLATE_VALUE_LIST ? ']' : ')');
      return TRUE;
    case BENDI_TEMPLATE_VALUE_DICT:
      return write_dict_items (run, out, v, depth);
    case BENDI_TEMPLATE_VALUE_NAMESPACE:
      g_string_append (out, "<Namespace ");
      if (!write_dict_items (run, out, v, depth))
        return FALSE;
      g_string_append_c (out, '>');
      return TRUE;
    case BENDI_TEMPLATE_VALUE_CALLABLE:
      if (v->callable.kind == TMPL_CALL_MACRO)
        g_string_append_printf (out, "<Macro '%s'>", v->callable.name);
      else if (v->callable.kind == TMPL_CALL_METHOD)
        g_string_append_printf (out, "<built-in method %s of %s object>", v->callable.name,
                                tmpl_type_name (v->callable.self));
      else
        g_string_append_printf (out, "<function %s>", v->callable.name);
      return TRUE;
    case TMPL_VALUE_LOOP:
      g_string_append_printf (out, "<LoopContext %" G_GSIZE_FORMAT "/%" G_GSIZE_FORMAT ">",
                              v->loop.index0 + 1, v->loop.items != NULL ? v->loop.items->list.len : 0);
      return TRUE;
    default:
      g_string_append (out, "<object>");
      return TRUE;
    }
}

gboolean
tmpl_write_str (TmplRun     *run,
                GString     *out,
                const Value *v)
{
  return write_at (run, out, v, FALSE, 0);
}

gboolean
tmpl_write_repr (TmplRun     *run,
                 GString     *out,
                 const Value *v)
{
  return write_at (run, out, v, TRUE, 0);
}

Value *
tmpl_to_str (TmplRun *run,
             Value   *v)
{
  GString *text;

  if (v->type == BENDI_TEMPLATE_VALUE_STRING)
    return tmpl_ref (v);
  if (v->type == BENDI_TEMPLATE_VALUE_UNDEFINED)
    return &tmpl_empty_string_value;
  text = g_string_new (NULL);
  if (!tmpl_write_str (run, text, v))
    {
      g_string_free (text, TRUE);
      return NULL;
    }
  return tmpl_new_string_take_gstring (run, text);
}

/* ------------------------------------------------------------------------ */
/* Copying the caller's values into a render. */

Value *
tmpl_import (TmplRun *run,
             Value   *v,
             guint    depth)
{
  Value *copy;

  if (v->ref_count == TMPL_IMMORTAL)
    return v;
  if (depth > TMPL_MAX_VALUE_DEPTH)
    return tmpl_fail (run, "a variable is nested more than %d deep", TMPL_MAX_VALUE_DEPTH);
  switch (v->type)
    {
    case BENDI_TEMPLATE_VALUE_INTEGER:
      return tmpl_new_int (run, v->integer);
    case BENDI_TEMPLATE_VALUE_FLOAT:
      return tmpl_new_float (run, v->number);
    case BENDI_TEMPLATE_VALUE_STRING:
      return tmpl_new_string (run, v->string.data, v->string.len);
    case BENDI_TEMPLATE_VALUE_LIST:
    case BENDI_TEMPLATE_VALUE_TUPLE:
      copy = tmpl_new_list (run, v->type, v->list.len);
      if (copy == NULL)
        return NULL;
      for (gsize i = 0; i < v->list.len; i++)
        {
          Value *item = tmpl_import (run, v->list.items[i], depth + 1);

          if (item == NULL || !tmpl_list_append (run, copy, item))
            {
              tmpl_unref (copy);
              return NULL;
            }
        }
      return copy;
    case BENDI_TEMPLATE_VALUE_DICT:
    case BENDI_TEMPLATE_VALUE_NAMESPACE:
      copy = tmpl_new_dict (run, v->type);
      if (copy == NULL)
        return NULL;
      for (gsize i = 0; i < v->dict.len; i++)
        {
          Value *key = tmpl_import (run, v->dict.entries[i].key, depth + 1);
          Value *item = key != NULL ? tmpl_import (run, v->dict.entries[i].value, depth + 1) : NULL;

          if (item == NULL)
            {
              tmpl_unref (key);
              tmpl_unref (copy);
              return NULL;
            }
          if (!tmpl_dict_set (run, copy, key, item))
            {
              tmpl_unref (copy);
              return NULL;
            }
        }
      return copy;
    default:
      /* The caller cannot make callables, loops or frames. */
      return TMPL_UNDEFINED;
    }
}

/* ------------------------------------------------------------------------ */
/* The public value API: values outside any render. */

BendiTemplateValue *
bendi_template_value_new_undefined (void)
{
  return TMPL_UNDEFINED;
}

BendiTemplateValue *
bendi_template_value_new_none (void)
{
  return TMPL_NONE;
}

BendiTemplateValue *
bendi_template_value_new_boolean (gboolean value)
{
  return TMPL_BOOL (value);
}

BendiTemplateValue *
bendi_template_value_new_integer (gint64 value)
{
  return tmpl_new_int (NULL, value);
}

BendiTemplateValue *
bendi_template_value_new_float (double value)
{
  return tmpl_new_float (NULL, value);
}

gboolean
tmpl_utf8_validate (const char  *text,
                    gsize        len,
                    const char **bad)
{
  const char *p = text;
  const char *end = text + len;

  /* GLib refuses NUL bytes; Python strings, and so templates, may hold them. */
  while (p < end)
    {
      const char *nul = memchr (p, '\0', (gsize) (end - p));
      const char *stop = nul != NULL ? nul : end;
      const char *invalid = NULL;

      if (!g_utf8_validate_len (p, (gsize) (stop - p), &invalid))
        {
          if (bad != NULL)
            *bad = invalid;
          return FALSE;
        }
      p = nul != NULL ? nul + 1 : end;
    }
  return TRUE;
}

BendiTemplateValue *
bendi_template_value_new_string (const char *text,
                                 gssize      length)
{
  g_autoptr (GString) valid = NULL;
  const char *p, *end;
  gsize len;

  g_return_val_if_fail (text != NULL || length == 0, NULL);

  len = length < 0 ? strlen (text) : (gsize) length;
  if (tmpl_utf8_validate (text, len, NULL))
    return tmpl_new_string (NULL, text, len);
  /* Each invalid byte becomes U+FFFD; NUL bytes stay. */
  valid = g_string_sized_new (len + 8);
  for (p = text, end = text + len; p < end;)
    {
      gunichar c = g_utf8_get_char_validated (p, end - p);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append (valid, "\xef\xbf\xbd");
          p++;
          continue;
        }
      if (c == 0)
        g_string_append_c (valid, '\0');
      else
        g_string_append_unichar (valid, c);
      p = c == 0 ? p + 1 : g_utf8_next_char (p);
    }
  return tmpl_new_string (NULL, valid->str, valid->len);
}

BendiTemplateValue *
bendi_template_value_new_list (void)
{
  return tmpl_new_list (NULL, BENDI_TEMPLATE_VALUE_LIST, 0);
}

BendiTemplateValue *
bendi_template_value_new_dict (void)
{
  return tmpl_new_dict (NULL, BENDI_TEMPLATE_VALUE_DICT);
}

BendiTemplateValue *
bendi_template_value_ref (BendiTemplateValue *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return tmpl_ref (self);
}

void
bendi_template_value_unref (BendiTemplateValue *self)
{
  tmpl_unref (self);
}

void
bendi_template_value_list_append (BendiTemplateValue *self,
                                  BendiTemplateValue *item)
{
  g_return_if_fail (self != NULL && self->type == BENDI_TEMPLATE_VALUE_LIST && self->run == NULL);
  g_return_if_fail (item != NULL);

  tmpl_list_append (NULL, self, item);
}

void
bendi_template_value_dict_set (BendiTemplateValue *self,
                               const char         *key,
                               BendiTemplateValue *item)
{
  g_return_if_fail (self != NULL && self->type == BENDI_TEMPLATE_VALUE_DICT && self->run == NULL);
  g_return_if_fail (key != NULL && item != NULL);

  tmpl_dict_set (NULL, self, bendi_template_value_new_string (key, -1), item);
}

BendiTemplateValueType
bendi_template_value_get_value_type (const BendiTemplateValue *self)
{
  g_return_val_if_fail (self != NULL, BENDI_TEMPLATE_VALUE_UNDEFINED);
  return self->type <= BENDI_TEMPLATE_VALUE_CALLABLE ? self->type : BENDI_TEMPLATE_VALUE_CALLABLE;
}

gboolean
bendi_template_value_get_boolean (const BendiTemplateValue *self)
{
  return self != NULL && self->type == BENDI_TEMPLATE_VALUE_BOOLEAN && self->boolean;
}

gint64
bendi_template_value_get_integer (const BendiTemplateValue *self)
{
  return self != NULL && self->type == BENDI_TEMPLATE_VALUE_INTEGER ? self->integer : 0;
}

double
bendi_template_value_get_float (const BendiTemplateValue *self)
{
  return self != NULL && self->type == BENDI_TEMPLATE_VALUE_FLOAT ? self->number : 0.0;
}

const char *
bendi_template_value_get_string (const BendiTemplateValue *self,
                                 gsize                    *length)
{
  if (self == NULL || self->type != BENDI_TEMPLATE_VALUE_STRING)
    {
      if (length != NULL)
        *length = 0;
      return NULL;
    }
  if (length != NULL)
    *length = self->string.len;
  return self->string.data;
}

gsize
bendi_template_value_get_length (const BendiTemplateValue *self)
{
  if (self == NULL)
    return 0;
  if (tmpl_is_sequence (self))
    return self->list.len;
  if (self->type == BENDI_TEMPLATE_VALUE_DICT || self->type == BENDI_TEMPLATE_VALUE_NAMESPACE)
    return self->dict.len;
  return 0;
}

BendiTemplateValue *
bendi_template_value_list_get (const BendiTemplateValue *self,
                               gsize                     index)
{
  if (self == NULL || !tmpl_is_sequence (self) || index >= self->list.len)
    return NULL;
  return self->list.items[index];
}

BendiTemplateValue *
bendi_template_value_dict_lookup (const BendiTemplateValue *self,
                                  const char               *key)
{
  g_return_val_if_fail (key != NULL, NULL);

  if (self == NULL || (self->type != BENDI_TEMPLATE_VALUE_DICT && self->type != BENDI_TEMPLATE_VALUE_NAMESPACE))
    return NULL;
  return tmpl_dict_get_str ((Value *) self, key, strlen (key));
}

char *
bendi_template_value_to_string (const BendiTemplateValue *self)
{
  GString *out;

  g_return_val_if_fail (self != NULL, NULL);

  out = g_string_new (NULL);
  if (!tmpl_write_str (NULL, out, self))
    g_string_assign (out, "<value nested too deeply>");
  return g_string_free (out, FALSE);
}
