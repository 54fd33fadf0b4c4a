/* SPDX-License-Identifier: MIT */
/* Stop strings over a stream: text that might begin a stop string is held back until it is ruled out. */
#include "stop-strings.h"

#include <string.h>

struct _BendiStopStrings {
  GPtrArray *stop;      /* char *, non-empty */
  GString   *pending;   /* text not yet shown */
};

BendiStopStrings *
bendi_stop_strings_new (const char *const *stop)
{
  BendiStopStrings *self = g_new0 (BendiStopStrings, 1);

  self->stop = g_ptr_array_new_with_free_func (g_free);
  self->pending = g_string_new (NULL);
  for (gsize i = 0; stop != NULL && stop[i] != NULL; i++)
    if (stop[i][0] != '\0')
      g_ptr_array_add (self->stop, g_strdup (stop[i]));
  return self;
}

void
bendi_stop_strings_free (BendiStopStrings *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->stop);
  g_string_free (self->pending, TRUE);
  g_free (self);
}

/* Length of the longest tail of @text that is a proper prefix of @stop. */
static gsize
partial_match (const char *text,
               gsize       len,
               const char *stop)
{
  gsize stop_len = strlen (stop);

  for (gsize n = MIN (len, stop_len - 1); n > 0; n--)
    if (memcmp (text + len - n, stop, n) == 0)
      return n;
  return 0;
}

gboolean
bendi_stop_strings_feed (BendiStopStrings *self,
                         const char       *text,
                         gsize             len,
                         GString          *out)
{
  gsize first = G_MAXSIZE;
  gsize hold = 0;

  g_string_append_len (self->pending, text, (gssize) len);

  /* The earliest complete stop string ends the text. */
  for (guint i = 0; i < self->stop->len; i++)
    {
      const char *stop = g_ptr_array_index (self->stop, i);
      const char *found = g_strstr_len (self->pending->str, (gssize) self->pending->len, stop);

      if (found != NULL)
        first = MIN (first, (gsize) (found - self->pending->str));
    }
  if (first != G_MAXSIZE)
    {
      g_string_append_len (out, self->pending->str, (gssize) first);
      g_string_truncate (self->pending, 0);
      return TRUE;
    }

  /* Hold back the longest tail that could still grow into one. */
  for (guint i = 0; i < self->stop->len; i++)
    hold = MAX (hold, partial_match (self->pending->str, self->pending->len,
                                     g_ptr_array_index (self->stop, i)));
  g_string_append_len (out, self->pending->str, (gssize) (self->pending->len - hold));
  g_string_erase (self->pending, 0, (gssize) (self->pending->len - hold));
  return FALSE;
}

void
bendi_stop_strings_flush (BendiStopStrings *self,
                          GString          *out)
{
  g_string_append_len (out, self->pending->str, (gssize) self->pending->len);
  g_string_truncate (self->pending, 0);
}
