/* SPDX-License-Identifier: MIT */
/* Tokens to text: single pieces, whole sequences as llama.cpp's detokenize
 * gives them, and a streaming detokenizer that only ever hands out whole
 * UTF-8 characters. */
#include "tokenizer/tokenizer-private.h"

#include <string.h>

const char *
bendi_tokenizer_get_piece (const BendiTokenizer *self,
                           BendiToken            token,
                           gboolean              show_control,
                           gsize                *out_len)
{
  gsize dummy;

  if (out_len == NULL)
    out_len = &dummy;
  /* A model's output layer may have more rows than the vocabulary has
   * tokens (padding); such an id prints as nothing. */
  if (!bendi_tokenizer_has_token (self, token) ||
      (!show_control && (self->attrs[token] & (BENDI_TOKEN_ATTR_CONTROL | BENDI_TOKEN_ATTR_UNKNOWN))))
    {
      *out_len = 0;
      return "";
    }
  *out_len = self->piece_lens[token];
  return self->pieces[token];
}

/* llama.cpp's clean_up_tokenization_spaces, pass for pass, on @text in
 * place: " ?" " !" " ." " ," lose their space, " ' " loses both, and " 's"
 * " 'm" " 're" " 've" lose theirs. Returns the new length. */
static gsize
clean_spaces (char  *text,
              gsize  total)
{
  gsize n;

  n = total;
  total = n > 0 ? 1 : 0;
  for (gsize i = 1; i < n; i++)
    {
      char x = text[i];

      if (text[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ','))
        total--;
      text[total++] = x;
    }

  n = total;
  total = n > 0 ? 1 : 0;
  for (gsize i = 1; i < n; i++)
    {
      char x = text[i];

      if (x == '\'' && i + 1 < n && text[i - 1] == ' ' && text[i + 1] == ' ')
        {
          total--;
          text[++i] = '\0';
        }
      text[total++] = x;
    }

  n = total;
  total = n > 0 ? 1 : 0;
  for (gsize i = 1; i < n; i++)
    {
      char x = text[i];

      if (text[i - 1] == ' ' && x == '\'' && i + 1 < n)
        {
          char x1 = text[i + 1];

          if (x1 == 's' || x1 == 'm')
            total--;
          else if (x1 != 't' && x1 != 'd' && i + 2 < n)
            {
              char x2 = text[i + 2];

              if ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e'))
                total--;
            }
        }
      text[total++] = x;
    }
  return total;
}

char *
bendi_tokenizer_decode (const BendiTokenizer *self,
                        const BendiToken     *tokens,
                        gsize                 n_tokens,
                        gboolean              show_control)
{
  g_autoptr (GString) raw = g_string_new (NULL);
  GString *out;
  /* SentencePiece's dummy prefix comes off the first piece again. */
  gboolean strip_space = self->add_space_prefix;

  g_return_val_if_fail (tokens != NULL || n_tokens == 0, NULL);

  for (gsize i = 0; i < n_tokens; i++)
    {
      gsize len;
      const char *piece = bendi_tokenizer_get_piece (self, tokens[i], show_control, &len);

      if (strip_space && len > 0 && piece[0] == ' ')
        {
          piece++;
          len--;
        }
      strip_space = FALSE;
      g_string_append_len (raw, piece, (gssize) len);
    }
  if (self->clean_spaces)
    g_string_truncate (raw, clean_spaces (raw->str, raw->len));

  out = g_string_sized_new (raw->len + 1);
  bendi_utf8_append_valid (out, raw->str, raw->len);
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------------------------ */

struct _BendiDetokenizer {
  const BendiTokenizer *tokenizer;
  gboolean              show_control;
  GString              *pending;   /* bytes of a character not yet whole */
};

BendiDetokenizer *
bendi_detokenizer_new (const BendiTokenizer *tokenizer,
                       gboolean              show_control)
{
  BendiDetokenizer *self;

  g_return_val_if_fail (tokenizer != NULL, NULL);

  self = g_new0 (BendiDetokenizer, 1);
  self->tokenizer = tokenizer;
  self->show_control = show_control;
  self->pending = g_string_new (NULL);
  return self;
}

void
bendi_detokenizer_free (BendiDetokenizer *self)
{
  if (self == NULL)
    return;
  g_string_free (self->pending, TRUE);
  g_free (self);
}

void
bendi_detokenizer_feed (BendiDetokenizer *self,
                        BendiToken        token,
                        GString          *out)
{
  GString *pending = self->pending;
  gsize len, pos = 0, run = 0;
  const char *piece = bendi_tokenizer_get_piece (self->tokenizer, token, self->show_control, &len);

  g_string_append_len (pending, piece, (gssize) len);

  /* Whole characters go out; invalid bytes as U+FFFD at once, so that the
   * stream never stalls; a character cut short by the end stays. */
  while (pos < pending->len)
    {
      gsize n;
      gunichar c;
      BendiUtf8Status status = bendi_utf8_next (pending->str + pos, pending->len - pos, &n, &c);

      if (status == BENDI_UTF8_INCOMPLETE)
        break;
      if (status == BENDI_UTF8_INVALID)
        {
          g_string_append_len (out, pending->str + run, (gssize) (pos - run));
          g_string_append (out, "\xef\xbf\xbd");
          run = pos + n;
        }
      pos += n;
    }
  g_string_append_len (out, pending->str + run, (gssize) (pos - run));
  g_string_erase (pending, 0, (gssize) pos);
}

void
bendi_detokenizer_flush (BendiDetokenizer *self,
                         GString          *out)
{
  if (self->pending->len > 0)
    bendi_utf8_append_valid (out, self->pending->str, self->pending->len);
  g_string_truncate (self->pending, 0);
}
