/* SPDX-License-Identifier: MIT */
/* Splitting a model's reply into its reasoning and its answer, as the text streams in. */
#include "template/chat-template.h"

#include <string.h>

typedef struct {
  const char *open;
  const char *close;
} ReasoningTags;

static const ReasoningTags tags[] = {
  { "<think>", "</think>" },
  { "<thinking>", "</thinking>" },
  { "<reasoning>", "</reasoning>" },
  { "<seed:think>", "</seed:think>" },
  { "[THINK]", "[/THINK]" },
  { "<|begin_of_thought|>", "<|end_of_thought|>" },
};

typedef enum {
  STATE_START,       /* nothing but whitespace yet: a reasoning block may open */
  STATE_REASONING,
  STATE_CONTENT,
} State;

struct _BendiReasoningSplitter {
  GString     *pending;       /* text not yet classified */
  State        state;
  const char  *close;         /* the tag that ends the reasoning; NULL: any */
  gboolean     trim_content;  /* drop the whitespace that separates content */
  gboolean     saw_reasoning;
};

BendiReasoningSplitter *
bendi_reasoning_splitter_new (gboolean starts_in_reasoning)
{
  BendiReasoningSplitter *self = g_new0 (BendiReasoningSplitter, 1);

  self->pending = g_string_new (NULL);
  self->state = starts_in_reasoning ? STATE_REASONING : STATE_START;
  self->saw_reasoning = starts_in_reasoning;
  return self;
}

void
bendi_reasoning_splitter_free (BendiReasoningSplitter *self)
{
  if (self == NULL)
    return;
  g_string_free (self->pending, TRUE);
  g_free (self);
}

static gboolean
is_prefix (const char *text,
           gsize       len,
           const char *tag)
{
  return len < strlen (tag) && strncmp (tag, text, len) == 0;
}

/* The earliest closing tag in @text, or NULL; *tag_len gets its length. */
static const char *
find_close (const BendiReasoningSplitter *self,
            const char                   *text,
            gsize                        *tag_len)
{
  const char *best = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (tags); i++)
    {
      const char *found;

      if (self->close != NULL && self->close != tags[i].close)
        continue;
      found = strstr (text, tags[i].close);
      if (found != NULL && (best == NULL || found < best))
        {
          best = found;
          *tag_len = strlen (tags[i].close);
        }
    }
  return best;
}

/* How many bytes at the end of @text could start a closing tag. */
static gsize
partial_close_length (const BendiReasoningSplitter *self,
                      const char                   *text,
                      gsize                         len)
{
  gsize longest = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (tags); i++)
    {
      gsize tag_len = strlen (tags[i].close);

      if (self->close != NULL && self->close != tags[i].close)
        continue;
      for (gsize n = MIN (len, tag_len - 1); n > longest; n--)
        if (strncmp (text + len - n, tags[i].close, n) == 0)
          {
            longest = n;
            break;
          }
    }
  return longest;
}

static void
process (BendiReasoningSplitter *self,
         GString                *reasoning,
         GString                *content,
         gboolean                final)
{
  GString *pending = self->pending;

  while (pending->len > 0)
    {
      switch (self->state)
        {
        case STATE_START:
          {
            gsize start = 0;
            gboolean maybe_tag = FALSE;

            while (start < pending->len && g_ascii_isspace (pending->str[start]))
              start++;
            if (start == pending->len)
              {
                if (final)
                  g_string_truncate (pending, 0);
                return;
              }
            for (gsize i = 0; i < G_N_ELEMENTS (tags); i++)
              {
                gsize open_len = strlen (tags[i].open);

                if (strncmp (pending->str + start, tags[i].open, open_len) == 0)
                  {
                    g_string_erase (pending, 0, (gssize) (start + open_len));
                    self->state = STATE_REASONING;
                    self->close = tags[i].close;
                    self->saw_reasoning = TRUE;
                    maybe_tag = TRUE;
                    break;
                  }
                if (!final && is_prefix (pending->str + start, pending->len - start, tags[i].open))
                  maybe_tag = TRUE;
              }
            if (self->state == STATE_REASONING)
              continue;
            if (maybe_tag)
              return;   /* wait for the rest of the tag */
            g_string_erase (pending, 0, (gssize) start);
            self->state = STATE_CONTENT;
          }
          break;
        case STATE_REASONING:
          {
            gsize tag_len = 0;
            const char *close = find_close (self, pending->str, &tag_len);
            gsize keep;

            if (close != NULL)
              {
                g_string_append_len (reasoning, pending->str, close - pending->str);
                g_string_erase (pending, 0, (gssize) (close - pending->str + (gssize) tag_len));
                self->state = STATE_CONTENT;
                self->trim_content = TRUE;
                continue;
              }
            keep = final ? 0 : partial_close_length (self, pending->str, pending->len);
            g_string_append_len (reasoning, pending->str, (gssize) (pending->len - keep));
            g_string_erase (pending, 0, (gssize) (pending->len - keep));
            return;
          }
        case STATE_CONTENT:
          if (self->trim_content)
            {
              gsize start = 0;

              while (start < pending->len && g_ascii_isspace (pending->str[start]))
                start++;
              g_string_erase (pending, 0, (gssize) start);
              if (pending->len == 0)
                return;
              self->trim_content = FALSE;
            }
          g_string_append_len (content, pending->str, (gssize) pending->len);
          g_string_truncate (pending, 0);
          return;
        }
    }
}

void
bendi_reasoning_splitter_feed (BendiReasoningSplitter *self,
                               const char             *text,
                               gsize                   len,
                               GString                *reasoning,
                               GString                *content)
{
  g_return_if_fail (self != NULL && reasoning != NULL && content != NULL);
  g_return_if_fail (text != NULL || len == 0);

  /* Tags are ASCII, so embedded NULs only matter as text; keep them out of
   * the C-string searches by cutting there. */
  g_string_append_len (self->pending, text, (gssize) strnlen (text, len));
  process (self, reasoning, content, FALSE);
}

void
bendi_reasoning_splitter_finish (BendiReasoningSplitter *self,
                                 GString                *reasoning,
                                 GString                *content)
{
  g_return_if_fail (self != NULL && reasoning != NULL && content != NULL);

  process (self, reasoning, content, TRUE);
}

static char *
trimmed (GString *text)
{
  return g_strstrip (g_string_free (text, FALSE));
}

void
bendi_chat_split_reasoning (const char  *reply,
                            gboolean     starts_in_reasoning,
                            char       **reasoning,
                            char       **content)
{
  g_autoptr (BendiReasoningSplitter) splitter = bendi_reasoning_splitter_new (starts_in_reasoning);
  GString *reasoning_text = g_string_new (NULL);
  GString *content_text = g_string_new (NULL);

  g_return_if_fail (reply != NULL && reasoning != NULL && content != NULL);

  bendi_reasoning_splitter_feed (splitter, reply, strlen (reply), reasoning_text, content_text);
  bendi_reasoning_splitter_finish (splitter, reasoning_text, content_text);
  if (splitter->saw_reasoning)
    *reasoning = trimmed (reasoning_text);
  else
    {
      *reasoning = NULL;
      g_string_free (reasoning_text, TRUE);
    }
  *content = trimmed (content_text);
}

gboolean
bendi_chat_prompt_opens_reasoning (const char *prompt)
{
  g_return_val_if_fail (prompt != NULL, FALSE);

  for (gsize i = 0; i < G_N_ELEMENTS (tags); i++)
    {
      const char *open = g_strrstr (prompt, tags[i].open);
      const char *after;

      if (open == NULL)
        continue;
      /* Opened at the very end, with nothing but whitespace after it. */
      after = open + strlen (tags[i].open);
      while (g_ascii_isspace (*after))
        after++;
      if (*after == '\0')
        return TRUE;
    }
  return FALSE;
}
