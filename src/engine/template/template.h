/* SPDX-License-Identifier: MIT */
/* A sandboxed Jinja engine for chat templates, rendering as Hugging Face's apply_chat_template does.
 *
 * Chat templates come from untrusted GGUF files, so the engine is a closed
 * world: it has no access to files, the network, the environment or the
 * host's objects, only to the values the caller hands in. Everything a
 * template can ask for is bounded (BendiTemplateOptions): nesting and macro
 * recursion, `range` lengths, evaluation steps, live memory and output
 * size. A template that breaks a rule or a limit fails with a GError in the
 * BENDI_ENGINE_ERROR domain whose message starts with "LINE:COLUMN: ".
 *
 * The semantics are Jinja 2's as Hugging Face configures it: trim_blocks and
 * lstrip_blocks on, loop controls, raise_exception, strftime_now, and a
 * tojson that keeps non-ASCII text and spaces items as Python's json.dumps.
 * Two deliberate departures, for templates written against other engines:
 * an attribute or item of an undefined value is undefined instead of an
 * error, and lists have append/pop (the immutable sandbox refuses them).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Templates longer than this are refused before parsing. */
#define BENDI_TEMPLATE_MAX_SOURCE_BYTES    ((gsize) 1024 * 1024)

#define BENDI_TEMPLATE_DEFAULT_MAX_OUTPUT  ((gsize) 1024 * 1024)
#define BENDI_TEMPLATE_DEFAULT_MAX_MEMORY  ((gsize) 32 * 1024 * 1024)
/* Real templates take 80 to 100 steps per message: the default leaves
 * room for some 20,000 messages, while a hostile loop stops in about a
 * quarter of a second. */
#define BENDI_TEMPLATE_DEFAULT_MAX_STEPS   ((guint64) 2 * 1000 * 1000)
#define BENDI_TEMPLATE_DEFAULT_MAX_RECURSION 256
#define BENDI_TEMPLATE_DEFAULT_MAX_RANGE   100000

/* ------------------------------------------------------------------------ */
/* Values: what templates compute with, and what callers hand in. */

typedef enum {
  BENDI_TEMPLATE_VALUE_UNDEFINED,
  BENDI_TEMPLATE_VALUE_NONE,
  BENDI_TEMPLATE_VALUE_BOOLEAN,
  BENDI_TEMPLATE_VALUE_INTEGER,
  BENDI_TEMPLATE_VALUE_FLOAT,
  BENDI_TEMPLATE_VALUE_STRING,
  BENDI_TEMPLATE_VALUE_LIST,
  BENDI_TEMPLATE_VALUE_TUPLE,       /* made by templates only */
  BENDI_TEMPLATE_VALUE_DICT,        /* keys keep their insertion order */
  BENDI_TEMPLATE_VALUE_NAMESPACE,   /* made by templates only */
  BENDI_TEMPLATE_VALUE_CALLABLE,    /* made by templates only */
} BendiTemplateValueType;

/* A reference-counted value. Values are not thread-safe while they are
 * being built; once built they may be shared and rendered from several
 * threads at once, since rendering copies what it is given. */
typedef struct _BendiTemplateValue BendiTemplateValue;

BendiTemplateValue *bendi_template_value_new_undefined (void) G_GNUC_WARN_UNUSED_RESULT;
BendiTemplateValue *bendi_template_value_new_none      (void) G_GNUC_WARN_UNUSED_RESULT;
BendiTemplateValue *bendi_template_value_new_boolean   (gboolean    value) G_GNUC_WARN_UNUSED_RESULT;
BendiTemplateValue *bendi_template_value_new_integer   (gint64      value) G_GNUC_WARN_UNUSED_RESULT;
BendiTemplateValue *bendi_template_value_new_float     (double      value) G_GNUC_WARN_UNUSED_RESULT;
/* Invalid UTF-8 in @text is replaced by U+FFFD; @length may be -1 when
 * @text is NUL-terminated. */
BendiTemplateValue *bendi_template_value_new_string    (const char *text,
                                                        gssize      length) G_GNUC_WARN_UNUSED_RESULT;
BendiTemplateValue *bendi_template_value_new_list      (void) G_GNUC_WARN_UNUSED_RESULT;
BendiTemplateValue *bendi_template_value_new_dict      (void) G_GNUC_WARN_UNUSED_RESULT;

BendiTemplateValue *bendi_template_value_ref   (BendiTemplateValue *self);
void                bendi_template_value_unref (BendiTemplateValue *self);

/* Building: both take ownership of @item. Setting an existing key
 * replaces its value and keeps its place. */
void bendi_template_value_list_append (BendiTemplateValue *self,
                                       BendiTemplateValue *item);
void bendi_template_value_dict_set    (BendiTemplateValue *self,
                                       const char         *key,
                                       BendiTemplateValue *item);

/* Reading. Getters return zero, FALSE or NULL for a value of another type. */
BendiTemplateValueType bendi_template_value_get_value_type (const BendiTemplateValue *self);
gboolean            bendi_template_value_get_boolean  (const BendiTemplateValue *self);
gint64              bendi_template_value_get_integer  (const BendiTemplateValue *self);
double              bendi_template_value_get_float    (const BendiTemplateValue *self);
/* The UTF-8 text (NUL-terminated; it may hold NUL bytes of its own). */
const char         *bendi_template_value_get_string   (const BendiTemplateValue *self,
                                                       gsize                    *length);
/* Items of a list or tuple; entries of a dict or namespace. */
gsize               bendi_template_value_get_length   (const BendiTemplateValue *self);
BendiTemplateValue *bendi_template_value_list_get     (const BendiTemplateValue *self,
                                                       gsize                     index);
/* The value under a string key, or NULL. */
BendiTemplateValue *bendi_template_value_dict_lookup  (const BendiTemplateValue *self,
                                                       const char               *key);

/* The value as a template prints it: Python's str(), e.g. "None",
 * "[1, 'a']". */
char *bendi_template_value_to_string (const BendiTemplateValue *self) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiTemplateValue, bendi_template_value_unref)

/* ------------------------------------------------------------------------ */
/* Templates. */

typedef struct {
  gsize    max_output_bytes;   /* the rendering, and any captured block */
  gsize    max_memory_bytes;   /* live values and captured text */
  guint64  max_steps;          /* nodes evaluated, items visited, bytes/64 copied */
  guint    max_recursion;      /* macro calls in progress */
  gint64   max_range;          /* items a `range` may produce */
  /* What strftime_now() sees, in seconds since 1970 UTC; when FALSE, the
   * local time of the call. */
  gboolean has_now;
  gint64   now_unix;
} BendiTemplateOptions;

/* Fills @options with the defaults above and the real clock. */
void bendi_template_options_init (BendiTemplateOptions *options);

/* A parsed template. Immutable: one may be rendered from several threads
 * at once. */
typedef struct _BendiTemplate BendiTemplate;

/* Parses @source (UTF-8, @length -1 when NUL-terminated). Syntax errors,
 * unknown filters and tests (outside `if` blocks, as in Jinja) and
 * nesting beyond the limit fail here with the line and column. */
BendiTemplate *bendi_template_new  (const char  *source,
                                    gssize       length,
                                    GError     **error) G_GNUC_WARN_UNUSED_RESULT;
void           bendi_template_free (BendiTemplate *self);

/* Renders with the string-keyed entries of @variables (a dict, or NULL)
 * as the template's variables. @options may be NULL for the defaults.
 * Returns the text, NUL-terminated; *@length (optional) gets its length,
 * which counts any NUL bytes the values brought in. Fails with
 * BENDI_ENGINE_ERROR_INVALID_INPUT when the template calls
 * raise_exception () or a variable is nested too deeply, and with
 * BENDI_ENGINE_ERROR_INVALID_FILE for every other error in the template. */
char *bendi_template_render (BendiTemplate              *self,
                             BendiTemplateValue         *variables,
                             const BendiTemplateOptions *options,
                             gsize                      *length,
                             GError                    **error) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiTemplate, bendi_template_free)

G_END_DECLS
