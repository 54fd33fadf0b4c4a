/* SPDX-License-Identifier: MIT */
/* Server-Sent Events: one writer and one parser for the whole project. */
#include "sse.h"

#include <gio/gio.h>
#include <string.h>

#define DEFAULT_MAX_EVENT_BYTES ((gsize) 16 * 1024 * 1024)

struct _BendiSseParser {
  BendiSseEventFunc func;
  gpointer          user_data;
  gsize             max_event_bytes;
  GString          *line;
  GString          *data;
  GString          *event;
  char             *id;
  gint64            retry;
  gboolean          after_cr;     /* the last byte was a CR: an LF next is part of it */
  gboolean          started;      /* past a possible byte-order mark */
  gboolean          failed;
};

/* ------------------------------------------------------------------------ */
/* Writing */

/* Appends @len bytes of @text with every line break (CRLF, LF, CR) as
 * "\n" + @prefix, so each line becomes its own field. */
static void
append_field_lines (GString    *out,
                    const char *prefix,
                    const char *text,
                    gsize       len)
{
  g_string_append (out, prefix);
  for (gsize i = 0; i < len; i++)
    {
      if (text[i] == '\r' || text[i] == '\n')
        {
          if (text[i] == '\r' && i + 1 < len && text[i + 1] == '\n')
            i++;
          g_string_append_c (out, '\n');
          g_string_append (out, prefix);
        }
      else
        g_string_append_c (out, text[i]);
    }
  g_string_append_c (out, '\n');
}

void
bendi_sse_append_event (GString    *out,
                        const char *event,
                        const char *data,
                        gssize      len)
{
  gsize data_len = len < 0 ? strlen (data) : (gsize) len;

  if (event != NULL)
    {
      g_string_append (out, "event: ");
      for (const char *p = event; *p != '\0'; p++)
        g_string_append_c (out, *p == '\r' || *p == '\n' ? ' ' : *p);
      g_string_append_c (out, '\n');
    }
  append_field_lines (out, "data: ", data, data_len);
  g_string_append_c (out, '\n');
}

void
bendi_sse_append_comment (GString    *out,
                          const char *text)
{
  append_field_lines (out, ": ", text, strlen (text));
}

/* ------------------------------------------------------------------------ */
/* Parsing */

BendiSseParser *
bendi_sse_parser_new (gsize             max_event_bytes,
                      BendiSseEventFunc func,
                      gpointer          user_data)
{
  BendiSseParser *self = g_new0 (BendiSseParser, 1);

  self->func = func;
  self->user_data = user_data;
  self->max_event_bytes = max_event_bytes > 0 ? max_event_bytes : DEFAULT_MAX_EVENT_BYTES;
  self->line = g_string_new (NULL);
  self->data = g_string_new (NULL);
  self->event = g_string_new (NULL);
  self->retry = -1;
  return self;
}

void
bendi_sse_parser_free (BendiSseParser *self)
{
  if (self == NULL)
    return;
  g_string_free (self->line, TRUE);
  g_string_free (self->data, TRUE);
  g_string_free (self->event, TRUE);
  g_free (self->id);
  g_free (self);
}

gint64
bendi_sse_parser_get_retry (BendiSseParser *self)
{
  return self->retry;
}

static void
dispatch (BendiSseParser *self)
{
  /* An event without data lines is no event, and forgets its name. */
  if (self->data->len > 0)
    {
      /* Every data line added a "\n"; the last one is not part of the data. */
      g_string_truncate (self->data, self->data->len - 1);
      self->func (self->event->len > 0 ? self->event->str : "message", self->data->str, self->data->len, self->id,
                  self->user_data);
    }
  g_string_truncate (self->data, 0);
  g_string_truncate (self->event, 0);
}

static gboolean
process_line (BendiSseParser  *self,
              GError         **error)
{
  const char *line = self->line->str;
  gsize len = self->line->len;
  const char *colon = memchr (line, ':', len);
  g_autofree char *field = NULL;
  const char *value;
  gsize value_len;

  if (len == 0)
    {
      dispatch (self);
      return TRUE;
    }
  if (colon == line)
    return TRUE;   /* a comment */
  if (colon != NULL)
    {
      field = g_strndup (line, (gsize) (colon - line));
      value = colon + 1;
      if (value < line + len && *value == ' ')
        value++;
      value_len = len - (gsize) (value - line);
    }
  else
    {
      field = g_strndup (line, len);
      value = "";
      value_len = 0;
    }

  if (g_str_equal (field, "data"))
    {
      if (self->data->len + value_len + 1 > self->max_event_bytes)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                       "An event of the stream is larger than %" G_GSIZE_FORMAT " bytes", self->max_event_bytes);
          return FALSE;
        }
      g_string_append_len (self->data, value, (gssize) value_len);
      g_string_append_c (self->data, '\n');
    }
  else if (g_str_equal (field, "event"))
    {
      g_string_truncate (self->event, 0);
      g_string_append_len (self->event, value, (gssize) value_len);
    }
  else if (g_str_equal (field, "id"))
    {
      /* An id holding NUL is ignored, as the standard says. */
      if (memchr (value, '\0', value_len) == NULL)
        {
          g_free (self->id);
          self->id = g_strndup (value, value_len);
        }
    }
  else if (g_str_equal (field, "retry"))
    {
      gboolean digits = value_len > 0 && value_len < 16;

      for (gsize i = 0; i < value_len && digits; i++)
        digits = g_ascii_isdigit (value[i]);
      if (digits)
        self->retry = (gint64) g_ascii_strtoull (value, NULL, 10);
    }
  return TRUE;
}

gboolean
bendi_sse_parser_feed (BendiSseParser  *self,
                       const char      *bytes,
                       gsize            len,
                       GError         **error)
{
  gsize i = 0;

  if (self->failed)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "The event stream failed before");
      return FALSE;
    }
  if (!self->started && len > 0)
    {
      /* A byte-order mark may start the stream; it may also arrive a byte
       * at a time, so hold the first bytes until they rule it out. */
      static const char bom[] = "\xEF\xBB\xBF";

      g_string_append_len (self->line, bytes, (gssize) len);
      if (self->line->len < 3 && memcmp (self->line->str, bom, self->line->len) == 0)
        return TRUE;
      self->started = TRUE;
      {
        g_autofree char *held = g_strndup (self->line->str, self->line->len);
        gsize held_len = self->line->len;
        gsize skip = held_len >= 3 && memcmp (held, bom, 3) == 0 ? 3 : 0;

        g_string_truncate (self->line, 0);
        return bendi_sse_parser_feed (self, held + skip, held_len - skip, error);
      }
    }

  while (i < len)
    {
      const char *end = bytes + i;
      gsize run = 0;

      if (self->after_cr)
        {
          self->after_cr = FALSE;
          if (bytes[i] == '\n')
            {
              i++;
              continue;
            }
        }
      /* The run up to the next line break goes into the line at once. */
      while (i + run < len && end[run] != '\r' && end[run] != '\n')
        run++;
      if (self->line->len + run > self->max_event_bytes)
        {
          self->failed = TRUE;
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                       "A line of the stream is longer than %" G_GSIZE_FORMAT " bytes", self->max_event_bytes);
          return FALSE;
        }
      g_string_append_len (self->line, end, (gssize) run);
      i += run;
      if (i == len)
        break;
      self->after_cr = bytes[i] == '\r';
      i++;
      if (!process_line (self, error))
        {
          self->failed = TRUE;
          return FALSE;
        }
      g_string_truncate (self->line, 0);
    }
  return TRUE;
}
