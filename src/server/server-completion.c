/* SPDX-License-Identifier: MIT */
/* /v1/chat/completions and /v1/completions: requests checked field by field, jobs on slots, replies whole or streamed. */
#define G_LOG_DOMAIN "bendi-server"

#include "server-private.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/socket.h>

#include "engine-error.h"
#include "sse.h"
#include "stop-strings.h"
#include "tool-calls.h"

#define MAX_STOP_STRINGS     16
#define MAX_STOP_BYTES       256
#define MAX_TOKENS_LIMIT     G_GINT64_CONSTANT (1000000000)
#define STATUS_CLIENT_CLOSED 499

/* Streaming with tools: text that may be a tool call is held back. */
typedef enum {
  TOOLS_UNDECIDED,   /* only whitespace or the start of a marker so far */
  TOOLS_STREAMING,   /* plain content; a marker later still switches to holding */
  TOOLS_HOLDING,     /* everything to the end is held, parsed when done */
} ToolState;

struct _Job {
  BendiServer            *server;
  SoupServerMessage      *msg;          /* NULL once answered or the client left */
  gulong                  finished_id;
  GSource                *watch;
  Slot                   *slot;
  gboolean                chat;
  gboolean                stream;
  gboolean                include_usage;
  gboolean                stream_started;
  char                   *id;
  gint64                  created;
  char                   *model_id;
  GArray                 *prompt;       /* BendiToken */
  gint64                  n_ctx;
  BendiGenerateParams     params;
  char                  **stop;
  BendiJsonConstraint    *constraint;
  char                  **tool_names;   /* NULL: no tools offered */
  BendiReasoningSplitter *splitter;     /* chat only */
  GString                *content;
  GString                *reasoning;
  ToolState               tool_state;
  GString                *held;
  BendiStopStrings       *tool_watch;
};

/* A request error: status, the field at fault, a message. */
typedef struct {
  guint       status;
  const char *code;
  char       *param;
  char       *message;
} RequestError;

static gboolean G_GNUC_PRINTF (3, 4)
fail (RequestError *e,
      const char   *param,
      const char   *format,
      ...)
{
  va_list args;

  va_start (args, format);
  e->status = SOUP_STATUS_BAD_REQUEST;
  e->param = g_strdup (param);
  e->message = g_strdup_vprintf (format, args);
  va_end (args);
  return FALSE;
}

/* ------------------------------------------------------------------------ */
/* Reading fields: absent and null mean "not given"; anything else of the
 * wrong type or out of range is an error naming the field. */

static JsonNode *
member (JsonObject *object,
        const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && !JSON_NODE_HOLDS_NULL (node) ? node : NULL;
}

static gboolean
is_number (JsonNode *node)
{
  return JSON_NODE_HOLDS_VALUE (node) &&
         (json_node_get_value_type (node) == G_TYPE_INT64 || json_node_get_value_type (node) == G_TYPE_DOUBLE);
}

static gboolean
read_double (JsonObject   *object,
             const char   *name,
             double        min,
             double        max,
             gboolean      exclusive_min,
             double       *out,
             RequestError *e)
{
  JsonNode *node = member (object, name);
  double value;

  if (node == NULL)
    return TRUE;
  if (!is_number (node))
    return fail (e, name, "'%s' must be a number", name);
  value = json_node_get_double (node);
  if (!isfinite (value) || value < min || value > max || (exclusive_min && value == min))
    return fail (e, name, "'%s' must be %s %g and at most %g", name, exclusive_min ? "above" : "at least", min, max);
  *out = value;
  return TRUE;
}

static gboolean
read_int (JsonObject   *object,
          const char   *name,
          gint64        min,
          gint64        max,
          gint64       *out,
          RequestError *e)
{
  JsonNode *node = member (object, name);
  double value;

  if (node == NULL)
    return TRUE;
  if (!is_number (node))
    return fail (e, name, "'%s' must be an integer", name);
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    {
      gint64 v = json_node_get_int (node);

      if (v < min || v > max)
        return fail (e, name, "'%s' must be between %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT, name, min, max);
      *out = v;
      return TRUE;
    }
  value = json_node_get_double (node);
  if (!isfinite (value) || value != floor (value) || value < (double) min || value > (double) max)
    return fail (e, name, "'%s' must be an integer between %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT, name, min, max);
  *out = (gint64) value;
  return TRUE;
}

static gboolean
read_bool (JsonObject   *object,
           const char   *name,
           gboolean     *out,
           RequestError *e)
{
  JsonNode *node = member (object, name);

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return fail (e, name, "'%s' must be true or false", name);
  *out = json_node_get_boolean (node);
  return TRUE;
}

static const char *
node_string (JsonNode *node)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* "stop": a string or a list of them. */
static gboolean
read_stop (JsonObject   *object,
           GPtrArray    *stop,
           RequestError *e)
{
  JsonNode *node = member (object, "stop");

  if (node == NULL)
    return TRUE;
  if (node_string (node) != NULL)
    {
      if (strlen (node_string (node)) > MAX_STOP_BYTES)
        return fail (e, "stop", "a stop string may have at most %d bytes", MAX_STOP_BYTES);
      g_ptr_array_add (stop, g_strdup (node_string (node)));
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return fail (e, "stop", "'stop' must be a string or a list of strings");
  if (json_array_get_length (json_node_get_array (node)) > MAX_STOP_STRINGS)
    return fail (e, "stop", "'stop' may hold at most %d strings", MAX_STOP_STRINGS);
  for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
    {
      const char *text = node_string (json_array_get_element (json_node_get_array (node), i));

      if (text == NULL)
        return fail (e, "stop", "'stop' must be a string or a list of strings");
      if (strlen (text) > MAX_STOP_BYTES)
        return fail (e, "stop", "a stop string may have at most %d bytes", MAX_STOP_BYTES);
      g_ptr_array_add (stop, g_strdup (text));
    }
  return TRUE;
}

static gboolean
read_sampling (JsonObject         *body,
               BendiSamplerParams *sampling,
               RequestError       *e)
{
  double temperature = sampling->temperature, top_p = sampling->top_p, min_p = sampling->min_p;
  double presence = 0.0, frequency = 0.0;
  gint64 top_k = sampling->top_k, seed = -1;

  if (!read_double (body, "temperature", 0.0, 2.0, FALSE, &temperature, e) ||
      !read_double (body, "top_p", 0.0, 1.0, TRUE, &top_p, e) ||
      !read_double (body, "min_p", 0.0, 1.0, FALSE, &min_p, e) ||
      !read_double (body, "presence_penalty", -2.0, 2.0, FALSE, &presence, e) ||
      !read_double (body, "frequency_penalty", -2.0, 2.0, FALSE, &frequency, e) ||
      !read_int (body, "top_k", 0, G_MAXINT32, &top_k, e) ||
      !read_int (body, "seed", 0, G_MAXINT64, &seed, e))
    return FALSE;
  sampling->temperature = (float) temperature;
  sampling->top_p = (float) top_p;
  sampling->min_p = (float) min_p;
  sampling->presence_penalty = (float) presence;
  sampling->frequency_penalty = (float) frequency;
  sampling->top_k = (gint) top_k;
  sampling->seed = seed;
  /* Penalties look at the recent tokens, as OpenAI's do at the whole reply. */
  if (presence != 0.0 || frequency != 0.0)
    sampling->repeat_last_n = -1;
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Messages to the template's conversation */

static gboolean
convert_content (JsonNode            *content,
                 const char          *param,
                 BendiTemplateValue  *message,
                 RequestError        *e)
{
  g_autoptr (GString) text = NULL;
  JsonArray *parts;

  if (content == NULL)
    {
      bendi_template_value_dict_set (message, "content", bendi_template_value_new_none ());
      return TRUE;
    }
  if (node_string (content) != NULL)
    {
      bendi_template_value_dict_set (message, "content", bendi_template_value_new_string (node_string (content), -1));
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_ARRAY (content))
    return fail (e, param, "'%s' must be a string or a list of text parts", param);
  /* Text parts become one string: the templates expect one. */
  parts = json_node_get_array (content);
  text = g_string_new (NULL);
  for (guint i = 0; i < json_array_get_length (parts); i++)
    {
      JsonNode *part = json_array_get_element (parts, i);
      const char *type, *part_text;

      if (!JSON_NODE_HOLDS_OBJECT (part))
        return fail (e, param, "'%s[%u]' must be an object", param, i);
      type = node_string (json_object_get_member (json_node_get_object (part), "type"));
      part_text = node_string (json_object_get_member (json_node_get_object (part), "text"));
      if (type == NULL || !g_str_equal (type, "text") || part_text == NULL)
        return fail (e, param, "'%s[%u]': only text parts are supported", param, i);
      if (text->len > 0)
        g_string_append_c (text, '\n');
      g_string_append (text, part_text);
    }
  bendi_template_value_dict_set (message, "content", bendi_template_value_new_string (text->str, (gssize) text->len));
  return TRUE;
}

/* Tool calls of earlier assistant turns: arguments come as JSON text, and
 * templates expect the object. */
static BendiTemplateValue *
convert_tool_calls (JsonNode *calls)
{
  g_autoptr (JsonNode) copy = json_node_copy (calls);
  JsonArray *array = json_node_get_array (copy);

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *call = json_array_get_element (array, i);
      JsonNode *function;
      const char *arguments;

      if (!JSON_NODE_HOLDS_OBJECT (call))
        continue;
      function = json_object_get_member (json_node_get_object (call), "function");
      if (function == NULL || !JSON_NODE_HOLDS_OBJECT (function))
        continue;
      arguments = node_string (json_object_get_member (json_node_get_object (function), "arguments"));
      if (arguments != NULL)
        {
          g_autoptr (JsonParser) parser = json_parser_new ();

          if (!server_json_too_deep (arguments, strlen (arguments), SERVER_MAX_JSON_DEPTH) &&
              json_parser_load_from_data (parser, arguments, -1, NULL) && json_parser_get_root (parser) != NULL &&
              JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
            json_object_set_member (json_node_get_object (function), "arguments",
                                    json_node_copy (json_parser_get_root (parser)));
        }
    }
  return server_template_value_from_json (copy, 2);
}

static BendiTemplateValue *
convert_messages (JsonObject   *body,
                  RequestError *e)
{
  g_autoptr (BendiTemplateValue) list = bendi_template_value_new_list ();
  JsonNode *node = member (body, "messages");
  JsonArray *messages;

  if (node == NULL)
    return fail (e, "messages", "'messages' is required"), NULL;
  if (!JSON_NODE_HOLDS_ARRAY (node) || json_array_get_length (json_node_get_array (node)) == 0)
    return fail (e, "messages", "'messages' must be a non-empty list"), NULL;
  messages = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonNode *item = json_array_get_element (messages, i);
      g_autofree char *param = g_strdup_printf ("messages[%u]", i);
      g_autofree char *content_param = g_strdup_printf ("messages[%u].content", i);
      g_autoptr (BendiTemplateValue) message = bendi_template_value_new_dict ();
      JsonObject *object;
      const char *role;
      JsonNode *calls;
      static const char *const fields[] = { "name", "tool_call_id", "reasoning_content" };

      if (!JSON_NODE_HOLDS_OBJECT (item))
        return fail (e, param, "'%s' must be an object", param), NULL;
      object = json_node_get_object (item);
      role = node_string (json_object_get_member (object, "role"));
      if (role == NULL)
        return fail (e, param, "'%s.role' must be a string", param), NULL;
      if (!g_str_equal (role, "system") && !g_str_equal (role, "user") && !g_str_equal (role, "assistant") &&
          !g_str_equal (role, "tool") && !g_str_equal (role, "developer"))
        return fail (e, param, "'%s.role' must be system, developer, user, assistant or tool", param), NULL;
      /* Templates know "system"; OpenAI's newer name for it is "developer". */
      bendi_template_value_dict_set (message, "role",
                                     bendi_template_value_new_string (g_str_equal (role, "developer") ? "system" : role, -1));
      if (member (object, "content") == NULL && !g_str_equal (role, "assistant"))
        return fail (e, content_param, "'%s' is required for the %s role", content_param, role), NULL;
      if (!convert_content (member (object, "content"), content_param, message, e))
        return NULL;
      for (gsize f = 0; f < G_N_ELEMENTS (fields); f++)
        {
          JsonNode *value = member (object, fields[f]);

          if (value == NULL)
            continue;
          if (node_string (value) == NULL)
            return fail (e, param, "'%s.%s' must be a string", param, fields[f]), NULL;
          bendi_template_value_dict_set (message, fields[f], bendi_template_value_new_string (node_string (value), -1));
        }
      calls = member (object, "tool_calls");
      if (calls != NULL)
        {
          BendiTemplateValue *value;

          if (!JSON_NODE_HOLDS_ARRAY (calls))
            return fail (e, param, "'%s.tool_calls' must be a list", param), NULL;
          value = convert_tool_calls (calls);
          if (value == NULL)
            return fail (e, param, "'%s.tool_calls' is nested too deep", param), NULL;
          bendi_template_value_dict_set (message, "tool_calls", value);
        }
      bendi_template_value_list_append (list, g_steal_pointer (&message));
    }
  return g_steal_pointer (&list);
}

/* "tools" and "tool_choice": the tools the template sees, and their
 * names, or none with tool_choice "none". */
static gboolean
read_tools (JsonObject          *body,
            BendiTemplateValue  *extra,
            char              ***names,
            RequestError        *e)
{
  JsonNode *tools = member (body, "tools");
  JsonNode *choice = member (body, "tool_choice");
  g_autoptr (GPtrArray) found = NULL;
  BendiTemplateValue *value;

  if (choice != NULL && node_string (choice) == NULL && !JSON_NODE_HOLDS_OBJECT (choice))
    return fail (e, "tool_choice", "'tool_choice' must be none, auto, required or an object");
  if (choice != NULL && node_string (choice) != NULL && !g_str_equal (node_string (choice), "none") &&
      !g_str_equal (node_string (choice), "auto") && !g_str_equal (node_string (choice), "required"))
    return fail (e, "tool_choice", "'tool_choice' must be none, auto, required or an object");
  if (tools == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (tools))
    return fail (e, "tools", "'tools' must be a list");
  found = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < json_array_get_length (json_node_get_array (tools)); i++)
    {
      JsonNode *tool = json_array_get_element (json_node_get_array (tools), i);
      JsonNode *function = JSON_NODE_HOLDS_OBJECT (tool)
                           ? json_object_get_member (json_node_get_object (tool), "function") : NULL;
      const char *name = function != NULL && JSON_NODE_HOLDS_OBJECT (function)
                         ? node_string (json_object_get_member (json_node_get_object (function), "name")) : NULL;

      if (name == NULL || name[0] == '\0')
        return fail (e, "tools", "'tools[%u].function.name' must be a string", i);
      g_ptr_array_add (found, g_strdup (name));
    }
  if (choice != NULL && node_string (choice) != NULL && g_str_equal (node_string (choice), "none"))
    return TRUE;
  if (found->len == 0)
    return TRUE;
  value = server_template_value_from_json (tools, 1);
  if (value == NULL)
    return fail (e, "tools", "'tools' is nested too deep");
  bendi_template_value_dict_set (extra, "tools", value);
  g_ptr_array_add (found, NULL);
  *names = (char **) g_ptr_array_free (g_steal_pointer (&found), FALSE);
  return TRUE;
}

static gboolean
read_response_format (BendiServer   *self,
                      JsonObject    *body,
                      Job           *job,
                      RequestError  *e)
{
  JsonNode *format = member (body, "response_format");
  const char *type;
  g_autoptr (BendiJsonGrammar) grammar = NULL;
  g_autoptr (GError) error = NULL;

  if (format == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (format))
    return fail (e, "response_format", "'response_format' must be an object");
  type = node_string (json_object_get_member (json_node_get_object (format), "type"));
  if (type == NULL)
    return fail (e, "response_format.type", "'response_format.type' must be text, json_object or json_schema");
  if (g_str_equal (type, "text"))
    return TRUE;
  if (g_str_equal (type, "json_object"))
    grammar = bendi_json_grammar_new_object ();
  else if (g_str_equal (type, "json_schema"))
    {
      JsonNode *wrapper = json_object_get_member (json_node_get_object (format), "json_schema");
      JsonNode *schema = wrapper != NULL && JSON_NODE_HOLDS_OBJECT (wrapper)
                         ? json_object_get_member (json_node_get_object (wrapper), "schema") : NULL;

      if (schema == NULL)
        return fail (e, "response_format.json_schema.schema", "'response_format.json_schema.schema' is required");
      grammar = bendi_json_grammar_new_from_schema (schema, &error);
      if (grammar == NULL)
        return fail (e, "response_format.json_schema.schema", "The schema cannot be used: %s", error->message);
    }
  else
    return fail (e, "response_format.type", "'response_format.type' must be text, json_object or json_schema");
  job->constraint = bendi_json_constraint_new (g_steal_pointer (&grammar), server_get_json_vocab (self));
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Jobs */

typedef enum {
  RELEASE_ANSWERED,     /* the reply is set: send it */
  RELEASE_CLIENT_LEFT,  /* nobody reads: end the exchange so libsoup closes it */
  RELEASE_FINISHED,     /* libsoup is done with the message already */
} ReleaseMode;

static void
job_release_message (Job         *job,
                     ReleaseMode  mode)
{
  if (job->msg == NULL)
    return;
  g_signal_handler_disconnect (job->msg, job->finished_id);
  if (job->watch != NULL)
    {
      g_source_destroy (job->watch);
      g_clear_pointer (&job->watch, g_source_unref);
    }
  if (mode == RELEASE_CLIENT_LEFT)
    {
      if (!job->stream_started && soup_server_message_get_status (job->msg) == 0)
        soup_server_message_set_status (job->msg, STATUS_CLIENT_CLOSED, "Client Closed Request");
      else if (job->stream_started)
        soup_message_body_complete (soup_server_message_get_response_body (job->msg));
    }
  if (mode != RELEASE_FINISHED)
    soup_server_message_unpause (job->msg);
  g_clear_object (&job->msg);
}

static void
job_free (Job *job)
{
  job_release_message (job, RELEASE_CLIENT_LEFT);
  g_free (job->id);
  g_free (job->model_id);
  g_clear_pointer (&job->prompt, g_array_unref);
  g_strfreev (job->stop);
  g_clear_pointer (&job->constraint, bendi_json_constraint_free);
  g_strfreev (job->tool_names);
  g_clear_pointer (&job->splitter, bendi_reasoning_splitter_free);
  g_string_free (job->content, TRUE);
  g_string_free (job->reasoning, TRUE);
  g_string_free (job->held, TRUE);
  g_clear_pointer (&job->tool_watch, bendi_stop_strings_free);
  g_free (job);
}

/* The client left: its generation stops at once and its slot frees. */
static void
job_client_gone (Job         *job,
                 ReleaseMode  mode)
{
  BendiServer *self = job->server;

  job_release_message (job, mode);
  if (job->slot != NULL)
    bendi_session_cancel (job->slot->session);
  else
    {
      server_unqueue (self, job);
      server_count (self, &self->stats.n_cancelled);
      job_free (job);
    }
}

static void
message_finished_cb (SoupServerMessage *msg G_GNUC_UNUSED,
                     gpointer           user_data)
{
  job_client_gone (user_data, RELEASE_FINISHED);
}

/* A paused message is not read from, so libsoup learns of a closed
 * connection only when it next writes: watch the socket meanwhile. */
static gboolean
socket_watch_cb (GSocket      *socket,
                 GIOCondition  condition,
                 gpointer      user_data)
{
  Job *job = user_data;
  char byte;
  gssize n = 0;

  if (!(condition & (G_IO_HUP | G_IO_ERR)))
    {
      n = recv (g_socket_get_fd (socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return G_SOURCE_CONTINUE;
      if (n > 0)
        {
          /* A pipelined request: the client is there, stop watching. */
          g_clear_pointer (&job->watch, g_source_unref);
          return G_SOURCE_REMOVE;
        }
    }
  g_clear_pointer (&job->watch, g_source_unref);
  job_client_gone (job, RELEASE_CLIENT_LEFT);
  return G_SOURCE_REMOVE;
}

gint64
server_job_get_n_ctx (Job *job)
{
  return job->n_ctx;
}

static void
add_usage (JsonBuilder                *b,
           const BendiGenerationStats *stats)
{
  json_builder_set_member_name (b, "usage");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "prompt_tokens");
  json_builder_add_int_value (b, stats->n_prompt_tokens);
  json_builder_set_member_name (b, "completion_tokens");
  json_builder_add_int_value (b, stats->n_generated_tokens);
  json_builder_set_member_name (b, "total_tokens");
  json_builder_add_int_value (b, stats->n_prompt_tokens + stats->n_generated_tokens);
  json_builder_set_member_name (b, "prompt_tokens_details");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "cached_tokens");
  json_builder_add_int_value (b, stats->n_reused_tokens);
  json_builder_end_object (b);
  json_builder_end_object (b);
}

/* The members every reply and chunk starts with. */
static void
add_header_members (JsonBuilder *b,
                    Job         *job,
                    gboolean     chunk)
{
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, job->id);
  json_builder_set_member_name (b, "object");
  json_builder_add_string_value (b, !job->chat ? "text_completion" : chunk ? "chat.completion.chunk" : "chat.completion");
  json_builder_set_member_name (b, "created");
  json_builder_add_int_value (b, job->created);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, job->model_id);
  json_builder_set_member_name (b, "system_fingerprint");
  json_builder_add_string_value (b, "bendi-" BENDI_VERSION);
}

static void
add_tool_calls (JsonBuilder *b,
                GPtrArray   *calls,
                gboolean     with_index)
{
  json_builder_set_member_name (b, "tool_calls");
  json_builder_begin_array (b);
  for (guint i = 0; i < calls->len; i++)
    {
      BendiToolCall *call = g_ptr_array_index (calls, i);
      g_autofree char *id = server_random_id ("call_");

      json_builder_begin_object (b);
      if (with_index)
        {
          json_builder_set_member_name (b, "index");
          json_builder_add_int_value (b, i);
        }
      json_builder_set_member_name (b, "id");
      json_builder_add_string_value (b, id);
      json_builder_set_member_name (b, "type");
      json_builder_add_string_value (b, "function");
      json_builder_set_member_name (b, "function");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, call->name);
      json_builder_set_member_name (b, "arguments");
      json_builder_add_string_value (b, call->arguments);
      json_builder_end_object (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static void
send_event (Job        *job,
            const char *data)
{
  GString *event = g_string_new (NULL);
  gsize len;

  bendi_sse_append_event (event, NULL, data, -1);
  len = event->len;
  soup_message_body_append (soup_server_message_get_response_body (job->msg), SOUP_MEMORY_TAKE,
                            g_string_free (event, FALSE), len);
  soup_server_message_unpause (job->msg);
}

/* One streamed chunk. Chat: a delta of @role, @content, @reasoning and
 * @calls (each may be NULL); completions: @content as the text. */
static void
send_chunk (Job         *job,
            const char  *role,
            const char  *content,
            const char  *reasoning,
            GPtrArray   *calls,
            const char  *finish_reason)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  add_header_members (b, job, TRUE);
  json_builder_set_member_name (b, "choices");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "index");
  json_builder_add_int_value (b, 0);
  if (job->chat)
    {
      json_builder_set_member_name (b, "delta");
      json_builder_begin_object (b);
      if (role != NULL)
        {
          json_builder_set_member_name (b, "role");
          json_builder_add_string_value (b, role);
        }
      if (content != NULL)
        {
          json_builder_set_member_name (b, "content");
          json_builder_add_string_value (b, content);
        }
      if (reasoning != NULL)
        {
          json_builder_set_member_name (b, "reasoning_content");
          json_builder_add_string_value (b, reasoning);
        }
      if (calls != NULL)
        add_tool_calls (b, calls, TRUE);
      json_builder_end_object (b);
    }
  else
    {
      json_builder_set_member_name (b, "text");
      json_builder_add_string_value (b, content != NULL ? content : "");
    }
  json_builder_set_member_name (b, "logprobs");
  json_builder_add_null_value (b);
  json_builder_set_member_name (b, "finish_reason");
  if (finish_reason != NULL)
    json_builder_add_string_value (b, finish_reason);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  json_builder_end_array (b);
  if (job->include_usage)
    {
      /* OpenAI's shape: null in every chunk but the last, extra one. */
      json_builder_set_member_name (b, "usage");
      json_builder_add_null_value (b);
    }
  json_builder_end_object (b);
  text = server_builder_to_string (b);
  send_event (job, text);
}

static void
deliver_content (Job        *job,
                 const char *text,
                 gsize       len)
{
  g_autofree char *copy = NULL;

  if (len == 0)
    return;
  if (!job->stream)
    {
      g_string_append_len (job->content, text, (gssize) len);
      return;
    }
  copy = g_strndup (text, len);
  send_chunk (job, NULL, copy, NULL, NULL, NULL);
}

/* Streams content, holding back what may be a tool call. */
static void
deliver_tool_aware (Job        *job,
                    const char *text,
                    gsize       len)
{
  const char *const *markers = bendi_tool_calls_get_markers ();
  g_autoptr (GString) safe = NULL;

  if (job->tool_names == NULL || !job->stream)
    {
      deliver_content (job, text, len);
      return;
    }
  if (job->tool_state == TOOLS_HOLDING)
    {
      g_string_append_len (job->held, text, (gssize) len);
      return;
    }
  if (job->tool_state == TOOLS_UNDECIDED)
    {
      const char *start;
      gboolean maybe = FALSE;

      g_string_append_len (job->held, text, (gssize) len);
      start = job->held->str;
      while (g_ascii_isspace (*start))
        start++;
      if (*start == '\0')
        return;
      if (*start == '{' || *start == '[')
        {
          job->tool_state = TOOLS_HOLDING;
          return;
        }
      for (guint i = 0; markers[i] != NULL; i++)
        {
          gsize n = MIN (strlen (start), strlen (markers[i]));

          if (strncmp (start, markers[i], n) == 0)
            {
              maybe = TRUE;
              if (n == strlen (markers[i]))
                {
                  job->tool_state = TOOLS_HOLDING;
                  return;
                }
            }
        }
      if (maybe)
        return;
      job->tool_state = TOOLS_STREAMING;
      {
        g_autofree char *pending = g_strndup (job->held->str, job->held->len);
        gsize pending_len = job->held->len;

        g_string_truncate (job->held, 0);
        deliver_tool_aware (job, pending, pending_len);
      }
      return;
    }

  /* Streaming: a marker later in the reply switches to holding. */
  safe = g_string_new (NULL);
  if (bendi_stop_strings_feed (job->tool_watch, text, len, safe))
    {
      deliver_content (job, safe->str, safe->len);
      job->tool_state = TOOLS_HOLDING;
      /* The stop-string finder drops the marker; which one it was is found
       * again when parsing, so the Hermes one stands for all. */
      g_string_append (job->held, "<tool_call>");
      return;
    }
  deliver_content (job, safe->str, safe->len);
}

static gboolean
on_text (const char *text,
         gsize       len,
         gpointer    user_data)
{
  Job *job = user_data;
  g_autoptr (GString) reasoning = NULL;
  g_autoptr (GString) content = NULL;

  if (job->msg == NULL)
    return FALSE;
  if (!job->chat)
    {
      deliver_content (job, text, len);
      return TRUE;
    }
  reasoning = g_string_new (NULL);
  content = g_string_new (NULL);
  bendi_reasoning_splitter_feed (job->splitter, text, len, reasoning, content);
  if (reasoning->len > 0)
    {
      if (job->stream)
        send_chunk (job, NULL, NULL, reasoning->str, NULL, NULL);
      else
        g_string_append_len (job->reasoning, reasoning->str, (gssize) reasoning->len);
    }
  deliver_tool_aware (job, content->str, content->len);
  return TRUE;
}

static void
reply_whole (Job                        *job,
             const char                 *finish_reason,
             GPtrArray                  *calls,
             const char                 *content,
             const BendiGenerationStats *stats)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  add_header_members (b, job, FALSE);
  json_builder_set_member_name (b, "choices");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "index");
  json_builder_add_int_value (b, 0);
  if (job->chat)
    {
      json_builder_set_member_name (b, "message");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "role");
      json_builder_add_string_value (b, "assistant");
      json_builder_set_member_name (b, "content");
      if (content != NULL)
        json_builder_add_string_value (b, content);
      else
        json_builder_add_null_value (b);
      if (job->reasoning->len > 0)
        {
          g_autofree char *reasoning = g_strstrip (g_strdup (job->reasoning->str));

          json_builder_set_member_name (b, "reasoning_content");
          json_builder_add_string_value (b, reasoning);
        }
      if (calls != NULL)
        add_tool_calls (b, calls, FALSE);
      json_builder_end_object (b);
    }
  else
    {
      json_builder_set_member_name (b, "text");
      json_builder_add_string_value (b, content != NULL ? content : "");
    }
  json_builder_set_member_name (b, "logprobs");
  json_builder_add_null_value (b);
  json_builder_set_member_name (b, "finish_reason");
  json_builder_add_string_value (b, finish_reason);
  json_builder_end_object (b);
  json_builder_end_array (b);
  add_usage (b, stats);
  json_builder_end_object (b);
  server_reply_json (job->msg, SOUP_STATUS_OK, b);
  soup_server_message_unpause (job->msg);
}

static void
finish_stream (Job                        *job,
               const char                 *finish_reason,
               GPtrArray                  *calls,
               const char                 *content,
               const BendiGenerationStats *stats)
{
  if (content != NULL && content[0] != '\0')
    send_chunk (job, NULL, content, NULL, NULL, NULL);
  if (calls != NULL)
    send_chunk (job, NULL, NULL, NULL, calls, NULL);
  send_chunk (job, NULL, NULL, NULL, NULL, finish_reason);
  if (job->include_usage)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autofree char *text = NULL;

      json_builder_begin_object (b);
      add_header_members (b, job, TRUE);
      json_builder_set_member_name (b, "choices");
      json_builder_begin_array (b);
      json_builder_end_array (b);
      add_usage (b, stats);
      json_builder_end_object (b);
      text = server_builder_to_string (b);
      send_event (job, text);
    }
  send_event (job, "[DONE]");
  soup_message_body_complete (soup_server_message_get_response_body (job->msg));
  soup_server_message_unpause (job->msg);
}

static void
finish_job (Job                        *job,
            BendiStopReason             reason,
            const GError               *error,
            const BendiGenerationStats *stats)
{
  const char *finish_reason = reason == BENDI_STOP_REASON_LENGTH ? "length" : "stop";
  g_autoptr (GPtrArray) calls = NULL;
  g_autofree char *content = NULL;

  if (reason == BENDI_STOP_REASON_ERROR || reason == BENDI_STOP_REASON_CANCELLED)
    {
      const char *message = error != NULL ? error->message : "The server is stopping";
      guint status = reason == BENDI_STOP_REASON_ERROR ? SOUP_STATUS_INTERNAL_SERVER_ERROR
                                                       : SOUP_STATUS_SERVICE_UNAVAILABLE;

      if (job->stream_started)
        {
          g_autofree char *escaped = g_strescape (message, NULL);
          g_autofree char *event = g_strdup_printf ("{\"error\":{\"message\":\"%s\",\"type\":\"server_error\","
                                                    "\"param\":null,\"code\":null}}", escaped);

          send_event (job, event);
          soup_message_body_complete (soup_server_message_get_response_body (job->msg));
          soup_server_message_unpause (job->msg);
        }
      else
        {
          server_reply_error (job->msg, status, "server_error", NULL, NULL, "%s", message);
          soup_server_message_unpause (job->msg);
        }
      return;
    }

  if (job->chat)
    {
      g_autoptr (GString) reasoning = g_string_new (NULL);
      g_autoptr (GString) rest = g_string_new (NULL);

      bendi_reasoning_splitter_finish (job->splitter, reasoning, rest);
      if (reasoning->len > 0)
        {
          if (job->stream)
            send_chunk (job, NULL, NULL, reasoning->str, NULL, NULL);
          else
            g_string_append_len (job->reasoning, reasoning->str, (gssize) reasoning->len);
        }
      deliver_tool_aware (job, rest->str, rest->len);
      if (job->stream && job->tool_names != NULL && job->tool_state == TOOLS_STREAMING)
        {
          g_autoptr (GString) tail = g_string_new (NULL);

          bendi_stop_strings_flush (job->tool_watch, tail);
          deliver_content (job, tail->str, tail->len);
        }
    }

  /* What is left to parse: held text when streaming, all of it otherwise. */
  {
    GString *pending = job->stream ? job->held : job->content;

    if (job->tool_names != NULL && pending->len > 0)
      calls = bendi_tool_calls_parse (pending->str, (const char *const *) job->tool_names, &content);
    if (calls != NULL)
      finish_reason = "tool_calls";
    else if (job->stream)
      content = g_strndup (pending->str, pending->len);
    else
      {
        content = g_strndup (pending->str, pending->len);
        /* After a reasoning block the answer starts with blank lines. */
        if (job->reasoning->len > 0)
          g_strstrip (content);
      }
  }

  if (job->stream)
    finish_stream (job, finish_reason, calls, content, stats);
  else
    reply_whole (job, finish_reason, calls, content, stats);
}

static void
on_done (BendiStopReason             reason,
         const GError               *error,
         const BendiGenerationStats *stats,
         gpointer                    user_data)
{
  Job *job = user_data;
  BendiServer *self = job->server;
  Slot *slot = job->slot;

  if (job->msg != NULL)
    {
      finish_job (job, reason, error, stats);
      job_release_message (job, RELEASE_ANSWERED);
    }
  server_count (self, reason == BENDI_STOP_REASON_CANCELLED ? &self->stats.n_cancelled : &self->stats.n_completions);
  if (self->verbose)
    g_message ("%s: %" G_GINT64_FORMAT " prompt tokens (%" G_GINT64_FORMAT " cached), %" G_GINT64_FORMAT
               " generated, %s", job->id, stats->n_prompt_tokens, stats->n_reused_tokens, stats->n_generated_tokens,
               bendi_stop_reason_to_string (reason));
  job_free (job);
  server_slot_done (self, slot);
}

static void
start_stream (Job *job)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (job->msg);

  soup_server_message_set_status (job->msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (headers, "text/event-stream", NULL);
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");
  soup_message_headers_replace (headers, "X-Accel-Buffering", "no");
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  job->stream_started = TRUE;
  if (job->chat)
    send_chunk (job, "assistant", "", NULL, NULL, NULL);
  else
    soup_server_message_unpause (job->msg);
}

gboolean
server_job_start (Job  *job,
                  Slot *slot)
{
  BendiServer *self = job->server;
  g_autoptr (GError) error = NULL;

  if (slot->session != NULL && slot->n_ctx != job->n_ctx)
    g_clear_pointer (&slot->session, bendi_session_free);
  if (slot->session == NULL)
    {
      BendiContextParams params;

      bendi_context_params_init (&params);
      params.n_ctx = job->n_ctx;
      params.n_threads = self->n_threads;
      slot->session = bendi_session_new (self->served->model, &params, &error);
      slot->n_ctx = job->n_ctx;
    }
  else
    bendi_session_wait (slot->session);   /* the last generation's thread is ending: join it */

  job->params.prompt_tokens = &g_array_index (job->prompt, BendiToken, 0);
  job->params.n_prompt_tokens = job->prompt->len;
  job->params.stop = (const char *const *) job->stop;
  if (job->constraint != NULL)
    {
      job->params.token_filter = bendi_json_constraint_get_filter ();
      job->params.token_filter_data = job->constraint;
    }
  if (slot->session == NULL ||
      !bendi_session_generate (slot->session, &job->params, on_text, on_done, job, self->context, &error))
    {
      server_reply_error (job->msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "server_error", NULL, NULL, "%s",
                          error->message);
      job_release_message (job, RELEASE_ANSWERED);
      job_free (job);
      return FALSE;
    }
  slot->job = job;
  job->slot = slot;
  if (job->stream)
    start_stream (job);
  return TRUE;
}

void
server_job_abandon (Job *job)
{
  if (job->msg != NULL)
    {
      server_reply_error (job->msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "unavailable_error", NULL, NULL,
                          "The server is stopping or changing models");
      job_release_message (job, RELEASE_ANSWERED);
    }
  job_free (job);
}

/* ------------------------------------------------------------------------ */
/* The request */

static Job *
job_new_from_request (BendiServer  *self,
                      JsonObject   *body,
                      gboolean      chat,
                      RequestError *e)
{
  ServedModel *served = self->served;
  const BendiTokenizer *tokenizer = bendi_model_get_tokenizer (served->model);
  g_autoptr (GPtrArray) stop = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (BendiTemplateValue) messages = NULL;
  g_autoptr (BendiTemplateValue) extra = bendi_template_value_new_dict ();
  g_autoptr (GError) error = NULL;
  g_autofree char *prompt = NULL;
  JsonNode *node;
  const char *model;
  gint64 max_tokens = chat ? 0 : 16, n = 1, max_ctx;
  gboolean logprobs = FALSE, echo = FALSE;
  Job *job = g_new0 (Job, 1);

  job->server = self;
  job->chat = chat;
  job->content = g_string_new (NULL);
  job->reasoning = g_string_new (NULL);
  job->held = g_string_new (NULL);
  job->n_ctx = server_default_n_ctx (self);
  bendi_generate_params_init (&job->params);

  node = member (body, "model");
  model = node_string (node);
  if (node != NULL && model == NULL)
    goto bad_model_type;
  if (model != NULL && !g_str_equal (model, served->id))
    {
      e->status = SOUP_STATUS_NOT_FOUND;
      e->code = "model_not_found";
      e->param = g_strdup ("model");
      e->message = g_strdup_printf ("The model '%s' does not exist; this server serves '%s'", model, served->id);
      goto fail;
    }
  max_ctx = self->max_ctx > 0 ? self->max_ctx : bendi_model_get_config (served->model)->n_ctx_train;
  max_ctx = MAX (max_ctx, job->n_ctx);
  if (!read_int (body, "max_tokens", 1, MAX_TOKENS_LIMIT, &max_tokens, e) ||
      !read_int (body, "max_completion_tokens", 1, MAX_TOKENS_LIMIT, &max_tokens, e) ||
      !read_int (body, "n", 1, 1, &n, e) ||
      !read_int (body, "n_ctx", 16, max_ctx, &job->n_ctx, e) ||
      !read_bool (body, "stream", &job->stream, e) ||
      !read_bool (body, "logprobs", &logprobs, e) ||
      !read_bool (body, "echo", &echo, e) ||
      !read_bool (body, "ignore_eos", &job->params.ignore_eos, e) ||
      !read_sampling (body, &job->params.sampling, e) ||
      !read_stop (body, stop, e))
    goto fail;
  if (logprobs || (!chat && member (body, "logprobs") != NULL))
    {
      fail (e, "logprobs", "logprobs are not supported");
      goto fail;
    }
  if (echo)
    {
      fail (e, "echo", "echo is not supported");
      goto fail;
    }
  job->params.max_tokens = max_tokens;
  node = member (body, "stream_options");
  if (node != NULL)
    {
      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          fail (e, "stream_options", "'stream_options' must be an object");
          goto fail;
        }
      if (!read_bool (json_node_get_object (node), "include_usage", &job->include_usage, e))
        {
          g_free (e->param);
          e->param = g_strdup ("stream_options.include_usage");
          goto fail;
        }
    }

  if (chat)
    {
      messages = convert_messages (body, e);
      if (messages == NULL)
        goto fail;
      if (!read_tools (body, extra, &job->tool_names, e))
        goto fail;
      prompt = bendi_chat_template_render (served->chat_template, messages, TRUE, served->bos_text, served->eos_text,
                                           extra, NULL, NULL, &error);
      if (prompt == NULL)
        {
          if (g_error_matches (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_INPUT))
            fail (e, "messages", "The model's chat template refused the conversation: %s", error->message);
          else
            {
              e->status = SOUP_STATUS_INTERNAL_SERVER_ERROR;
              e->message = g_strdup_printf ("The model's chat template failed: %s", error->message);
            }
          goto fail;
        }
      /* The template writes BOS itself when it wants one. */
      job->prompt = bendi_tokenizer_encode (tokenizer, prompt, strlen (prompt),
                                           BENDI_TOKENIZE_PARSE_SPECIAL |
                                           (served->bos_text != NULL && g_str_has_prefix (prompt, served->bos_text)
                                            ? 0 : BENDI_TOKENIZE_ADD_SPECIAL), &error);
      for (guint i = 0; served->template_stop[i] != NULL; i++)
        g_ptr_array_add (stop, g_strdup (served->template_stop[i]));
      job->splitter = bendi_reasoning_splitter_new (bendi_chat_prompt_opens_reasoning (prompt));
      if (job->tool_names != NULL)
        job->tool_watch = bendi_stop_strings_new (bendi_tool_calls_get_markers ());
    }
  else
    {
      const char *text;

      node = member (body, "prompt");
      if (node != NULL && JSON_NODE_HOLDS_ARRAY (node) && json_array_get_length (json_node_get_array (node)) == 1)
        node = json_array_get_element (json_node_get_array (node), 0);
      text = node_string (node);
      if (text == NULL)
        {
          fail (e, "prompt", "'prompt' must be a string");
          goto fail;
        }
      /* As bendi-cli generate tokenises: BOS as the model says, special
       * tokens as plain text. */
      job->prompt = bendi_tokenizer_encode (tokenizer, text, strlen (text), BENDI_TOKENIZE_ADD_SPECIAL, &error);
    }
  if (job->prompt == NULL)
    {
      fail (e, chat ? "messages" : "prompt", "The prompt cannot be tokenised: %s", error->message);
      goto fail;
    }
  if (job->prompt->len == 0)
    {
      fail (e, chat ? "messages" : "prompt", "The prompt is empty");
      goto fail;
    }
  /* Never truncated silently: a prompt that does not fit is refused, and
   * says how to make it fit. */
  if ((gint64) job->prompt->len >= job->n_ctx)
    {
      e->status = SOUP_STATUS_BAD_REQUEST;
      e->code = "context_length_exceeded";
      e->param = g_strdup (chat ? "messages" : "prompt");
      e->message = g_strdup_printf ("The prompt has %u tokens, and the context %" G_GINT64_FORMAT
                                    "; ask for more with \"n_ctx\" (at most %" G_GINT64_FORMAT ")",
                                    job->prompt->len, job->n_ctx, max_ctx);
      goto fail;
    }
  if (!read_response_format (self, body, job, e))
    goto fail;

  g_ptr_array_add (stop, NULL);
  job->stop = (char **) g_ptr_array_free (g_steal_pointer (&stop), FALSE);
  job->id = server_random_id (chat ? "chatcmpl-" : "cmpl-");
  job->created = g_get_real_time () / G_USEC_PER_SEC;
  job->model_id = g_strdup (served->id);
  return job;

bad_model_type:
  fail (e, "model", "'model' must be a string");
fail:
  job_free (job);
  return NULL;
}

void
server_handle_completion (BendiServer       *self,
                          SoupServerMessage *msg,
                          JsonNode          *body,
                          gboolean           chat)
{
  RequestError e = { 0 };
  Job *job = job_new_from_request (self, json_node_get_object (body), chat, &e);
  GSocket *socket;

  if (job == NULL)
    {
      server_reply_error (msg, e.status, e.status >= 500 ? "server_error" : "invalid_request_error", e.code, e.param,
                          "%s", e.message);
      g_free (e.param);
      g_free (e.message);
      return;
    }
  job->msg = g_object_ref (msg);
  soup_server_message_pause (msg);
  job->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (message_finished_cb), job);
  socket = soup_server_message_get_socket (msg);
  if (socket != NULL)
    {
      job->watch = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
      g_source_set_callback (job->watch, G_SOURCE_FUNC (socket_watch_cb), job, NULL);
      g_source_attach (job->watch, self->context);
    }
  if (!server_schedule (self, job))
    {
      server_reply_error (msg, SERVER_STATUS_TOO_MANY_REQUESTS, "rate_limit_error", "queue_full", NULL,
                          "Every slot is busy and the queue is full; try again shortly");
      job_release_message (job, RELEASE_ANSWERED);
      job_free (job);
    }
}
