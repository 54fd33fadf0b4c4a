/* SPDX-License-Identifier: MIT */
/* Server-Sent Events, both ways: writing events (the API server's streams) and parsing them (clients of remote endpoints). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Appends one event to @out: "event: @event" when @event is not NULL, then
 * @data (@len bytes, -1 when NUL-terminated) as one "data: " line per line
 * of it, then the blank line that ends the event. Line breaks in @event are
 * replaced by spaces, since they would end the field. */
void bendi_sse_append_event (GString    *out,
                             const char *event,
                             const char *data,
                             gssize      len);

/* Appends a comment line (": @text"), which clients ignore: a keep-alive. */
void bendi_sse_append_comment (GString    *out,
                               const char *text);

/* An event as the parser hands it over. @event is "message" when the
 * stream named none; @data has its lines joined by "\n"; @id is the last
 * event id seen so far in the stream, or NULL. */
typedef void (*BendiSseEventFunc) (const char *event,
                                   const char *data,
                                   gsize       data_len,
                                   const char *id,
                                   gpointer    user_data);

/* Parses an event stream as the WHATWG HTML standard says: lines end in
 * CRLF, LF or CR (a CRLF split across two chunks included), a leading
 * byte-order mark is skipped, lines that start with ":" are comments, a
 * field without a colon has an empty value, one space after the colon is
 * dropped, an event with no data is not dispatched, and a last event the
 * stream does not end with a blank line is discarded. */
typedef struct _BendiSseParser BendiSseParser;

/* @max_event_bytes: a cap on one event's data and on a line (0: 16 MiB), so
 * a hostile stream cannot grow the parser's memory without bound. */
BendiSseParser *bendi_sse_parser_new  (gsize              max_event_bytes,
                                       BendiSseEventFunc  func,
                                       gpointer           user_data) G_GNUC_WARN_UNUSED_RESULT;
void            bendi_sse_parser_free (BendiSseParser    *self);

/* Feeds @len bytes; events complete in them are dispatched at once. Fails
 * (G_IO_ERROR_MESSAGE_TOO_LARGE) when a line or an event is over the cap;
 * the parser then stays failed. */
gboolean bendi_sse_parser_feed  (BendiSseParser  *self,
                                 const char      *bytes,
                                 gsize            len,
                                 GError         **error);
/* The retry interval the stream asked for in milliseconds, or -1. */
gint64   bendi_sse_parser_get_retry (BendiSseParser *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiSseParser, bendi_sse_parser_free)

G_END_DECLS
