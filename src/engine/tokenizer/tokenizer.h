/* SPDX-License-Identifier: MIT */
/* Text to token ids and back, for the vocabularies GGUF files carry (SentencePiece and byte-level BPE). */
#pragma once

#include <glib.h>

#include "gguf/gguf.h"

G_BEGIN_DECLS

typedef gint32 BendiToken;
#define BENDI_TOKEN_NONE ((BendiToken) -1)

typedef struct _BendiTokenizer BendiTokenizer;

typedef enum {
  BENDI_TOKENIZE_DEFAULT       = 0,
  /* Add BOS/EOS as the vocabulary's metadata says (add_bos_token...). */
  BENDI_TOKENIZE_ADD_SPECIAL   = 1 << 0,
  /* Match control and user-defined tokens ("<|im_start|>") in the text;
   * otherwise they are plain text. */
  BENDI_TOKENIZE_PARSE_SPECIAL = 1 << 1,
} BendiTokenizeFlags;

/* Reads `tokenizer.ggml.*` from @gguf, deriving flags, special tokens and
 * the end-of-generation set as llama.cpp does. The vocabulary is untrusted:
 * a bad one is refused with a BENDI_ENGINE_ERROR_INVALID_FILE naming what
 * is wrong: arrays of the wrong type or length, duplicate tokens, tokens
 * that are not UTF-8 or hold NUL bytes, token types outside 0–6, byte tokens
 * other than "<0x00>"–"<0xFF>", NaN scores, merges without a space or naming
 * tokens the vocabulary lacks, add_bos/add_eos without the token. A model
 * other than "llama" or "gpt2", or a `tokenizer.ggml.pre` llama.cpp does not
 * know (or Bendi does not implement), is BENDI_ENGINE_ERROR_UNSUPPORTED.
 * Like llama.cpp, and not refused: a special-token id outside the vocabulary
 * (0xFFFFFFFF often means "none") leaves the default in place; an empty
 * token is named "[EMPTY_<id>]"; a missing `pre` means "default". */
BendiTokenizer *bendi_tokenizer_new_from_gguf (const BendiGguf *gguf,
                                               GError         **error) G_GNUC_WARN_UNUSED_RESULT;
void            bendi_tokenizer_free          (BendiTokenizer  *self);

gint32      bendi_tokenizer_get_n_vocab   (const BendiTokenizer *self);
/* "llama" (SentencePiece) or "gpt2" (byte-level BPE). */
const char *bendi_tokenizer_get_model     (const BendiTokenizer *self);
/* The pre-tokenizer in use, e.g. "default", "llama3", "qwen2". */
const char *bendi_tokenizer_get_pre       (const BendiTokenizer *self);
BendiToken  bendi_tokenizer_get_bos       (const BendiTokenizer *self);
BendiToken  bendi_tokenizer_get_eos       (const BendiTokenizer *self);
gboolean    bendi_tokenizer_get_add_bos   (const BendiTokenizer *self);
gboolean    bendi_tokenizer_get_add_eos   (const BendiTokenizer *self);
/* Tokens that end a generation: EOS, EOT, EOM and their kin. */
gboolean    bendi_tokenizer_is_end_of_generation (const BendiTokenizer *self,
                                                  BendiToken            token);
/* Control tokens (BOS, <|im_start|>...) that print only when asked. */
gboolean    bendi_tokenizer_is_control    (const BendiTokenizer *self,
                                           BendiToken            token);
/* The token's string in the vocabulary, as stored ("▁the", "Ġthe"). */
const char *bendi_tokenizer_get_text      (const BendiTokenizer *self,
                                           BendiToken            token);

/* Tokenises @len bytes of @text, which must be valid UTF-8 (NUL bytes
 * allowed) and shorter than 2^31 bytes; otherwise the error is
 * BENDI_ENGINE_ERROR_INVALID_INPUT. Returns the tokens, or NULL with an
 * error. */
GArray *bendi_tokenizer_encode (const BendiTokenizer *self,
                                const char           *text,
                                gsize                 len,
                                BendiTokenizeFlags    flags,
                                GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* The bytes @token stands for in text: byte tokens become their byte,
 * SentencePiece's "▁" a space, BPE's byte alphabet its bytes. Control tokens
 * give "" unless @show_control. The result may end inside a UTF-8 character:
 * stream through a BendiDetokenizer. Valid until @self is freed. */
const char *bendi_tokenizer_get_piece (const BendiTokenizer *self,
                                       BendiToken            token,
                                       gboolean              show_control,
                                       gsize                *out_len);

/* The text of a whole sequence as llama.cpp's detokenize gives it:
 * SentencePiece's leading dummy space comes off the first piece, and BPE
 * vocabularies that ask for it get " ," " ." " 's"… cleaned up. Invalid
 * UTF-8 is replaced by U+FFFD. Ids outside the vocabulary print nothing. */
char *bendi_tokenizer_decode (const BendiTokenizer *self,
                              const BendiToken     *tokens,
                              gsize                 n_tokens,
                              gboolean              show_control) G_GNUC_WARN_UNUSED_RESULT;

/* Streaming detokenisation: feed tokens one by one and get back only whole
 * UTF-8 characters, holding back a character split across tokens; bytes
 * that can never become UTF-8 come out at once as U+FFFD. Pieces are not
 * trimmed or cleaned up: a stream continues a prompt. */
typedef struct _BendiDetokenizer BendiDetokenizer;

BendiDetokenizer *bendi_detokenizer_new   (const BendiTokenizer *tokenizer,
                                           gboolean              show_control) G_GNUC_WARN_UNUSED_RESULT;
void              bendi_detokenizer_free  (BendiDetokenizer     *self);
/* Appends what @token completes to @out (may append nothing). */
void              bendi_detokenizer_feed  (BendiDetokenizer     *self,
                                           BendiToken            token,
                                           GString              *out);
/* At the end of a stream: what is held back, as U+FFFD if incomplete. */
void              bendi_detokenizer_flush (BendiDetokenizer     *self,
                                           GString              *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiTokenizer, bendi_tokenizer_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiDetokenizer, bendi_detokenizer_free)

G_END_DECLS
