/* SPDX-License-Identifier: MIT */
/* The tokenizer's insides, shared by its files: the vocabulary tables, the
 * pre-tokenizers, SentencePiece and BPE encoding, Unicode helpers. */
#pragma once

#include <glib.h>

#include "tokenizer/tokenizer.h"

G_BEGIN_DECLS

/* Input and vocabulary limits; llama.cpp counts in int32 too. */
#define BENDI_TOKENIZER_MAX_INPUT  ((gsize) G_MAXINT32)
#define BENDI_TOKENIZER_MAX_VOCAB  (16 * 1024 * 1024)

/* ------------------------------------------------------------------------ */
/* Token attributes, as llama.cpp derives them from tokenizer.ggml.token_type
 * and from the token texts. UNDEFINED (type 0) has no bit. */

typedef enum {
  BENDI_TOKEN_ATTR_UNKNOWN      = 1 << 0,
  BENDI_TOKEN_ATTR_UNUSED       = 1 << 1,
  BENDI_TOKEN_ATTR_NORMAL       = 1 << 2,
  BENDI_TOKEN_ATTR_CONTROL      = 1 << 3,
  BENDI_TOKEN_ATTR_USER_DEFINED = 1 << 4,
  BENDI_TOKEN_ATTR_BYTE         = 1 << 5,
  /* Spaces beside the token are dropped when it is matched in text. */
  BENDI_TOKEN_ATTR_LSTRIP       = 1 << 6,
  BENDI_TOKEN_ATTR_RSTRIP       = 1 << 7,
  /* Ends a generation. */
  BENDI_TOKEN_ATTR_EOG          = 1 << 8,
} BendiTokenAttr;

typedef enum {
  BENDI_VOCAB_SPM,   /* "llama": SentencePiece, scores, byte fallback */
  BENDI_VOCAB_BPE,   /* "gpt2": byte-level BPE with merges */
} BendiVocabType;

/* The split rules of a BPE vocabulary, chosen by tokenizer.ggml.pre. */
typedef enum {
  BENDI_PRE_DEFAULT,
  BENDI_PRE_GPT2,
  BENDI_PRE_LLAMA3,
  BENDI_PRE_QWEN2,
  BENDI_PRE_QWEN35,
  BENDI_PRE_DEEPSEEK_LLM,
  BENDI_PRE_DEEPSEEK_CODER,
  BENDI_PRE_DEEPSEEK3,
  BENDI_PRE_FALCON,
  BENDI_PRE_STARCODER,
  BENDI_PRE_PORO,
  BENDI_PRE_VIKING,
} BendiPreTokenizer;

/* Flags a `tokenizer.ggml.pre` value sets besides the split rules. */
typedef struct {
  const char        *name;
  BendiPreTokenizer  pre;
  gboolean           ignore_merges;  /* a word that is a token is not split */
  gboolean           add_bos;        /* BOS by default */
  gboolean           clean_spaces;   /* decode drops " ," " ." and the like */
  gboolean           no_bos;         /* the model has no BOS token */
} BendiPreTokenizerInfo;

/* NULL for a name llama.cpp does not know or Bendi does not implement. */
const BendiPreTokenizerInfo *bendi_pre_tokenizer_lookup (const char *name);

/* ------------------------------------------------------------------------ */
/* Open-addressing hash tables: token text → id, and merge pair → rank. */

typedef struct {
  gint32 *slots;   /* token ids, -1 for empty */
  gsize   mask;    /* number of slots - 1, a power of two minus one */
} BendiTokenIndex;

typedef struct {
  guint64 key;     /* left id << 32 | right id; G_MAXUINT64 for empty */
  gint32  rank;
  gint32  result;  /* the token the pair merges into */
} BendiMergeSlot;

typedef struct {
  BendiMergeSlot *slots;
  gsize           mask;
  gsize           n;
} BendiMergeIndex;

/* ------------------------------------------------------------------------ */

struct _BendiTokenizer {
  BendiVocabType     type;
  BendiPreTokenizer  pre;
  char              *pre_name;

  gint32             n_vocab;
  const char       **texts;        /* NUL-terminated, in text_storage */
  guint32           *text_lens;
  float             *scores;
  guint16           *attrs;        /* BendiTokenAttr */
  char              *text_storage;

  /* What each token prints as with show_control (llama.cpp's piece cache);
   * pieces point into piece_storage or at the texts. */
  const char       **pieces;
  guint32           *piece_lens;
  char              *piece_storage;

  BendiTokenIndex    index;
  BendiMergeIndex    merges;

  BendiToken         bos;
  BendiToken         eos;
  BendiToken         eot;
  BendiToken         eom;
  BendiToken         unk;
  /* SentencePiece byte fallback: the token for each byte ("<0x41>", else
   * the byte itself as text), or BENDI_TOKEN_NONE. */
  BendiToken         byte_tokens[256];

  gboolean           add_bos;
  gboolean           add_eos;
  gboolean           add_space_prefix;
  gboolean           ignore_merges;
  gboolean           clean_spaces;
  /* No token holds a "▁" right after another character, so SentencePiece
   * can work word by word: no merge ever crosses the start of a word. */
  gboolean           spm_split_words;

  /* Control, user-defined and unknown tokens, longest text first: the
   * order llama.cpp splits them out of text in. */
  BendiToken        *special;
  gsize              n_special;
};

static inline gboolean
bendi_tokenizer_has_token (const BendiTokenizer *self,
                           BendiToken            token)
{
  return token >= 0 && token < self->n_vocab;
}

/* The token whose text is exactly @len bytes at @text, or BENDI_TOKEN_NONE. */
BendiToken bendi_tokenizer_lookup     (const BendiTokenizer *self,
                                       const char           *text,
                                       gsize                 len);
/* The rank of merging @left and @right (lower merges first) and the token
 * it gives in *out_result; -1 when the pair does not merge. */
gint32     bendi_tokenizer_merge_rank (const BendiTokenizer *self,
                                       BendiToken            left,
                                       BendiToken            right,
                                       BendiToken           *out_result);

void       bendi_token_index_init   (BendiTokenIndex       *index,
                                     gsize                  n);
void       bendi_token_index_clear  (BendiTokenIndex       *index);
/* Returns the id already holding that text, or -1 after inserting @id. */
gint32     bendi_token_index_insert (BendiTokenIndex       *index,
                                     const BendiTokenizer  *self,
                                     gint32                 id);

void       bendi_merge_index_init   (BendiMergeIndex       *index,
                                     gsize                  n);
void       bendi_merge_index_clear  (BendiMergeIndex       *index);
/* Keeps the first rank given to a pair, as llama.cpp does. */
void       bendi_merge_index_insert (BendiMergeIndex       *index,
                                     BendiToken             left,
                                     BendiToken             right,
                                     gint32                 rank,
                                     BendiToken             result);

/* ------------------------------------------------------------------------ */
/* The merge queues: a binary min-heap ordered by a 64-bit key (priority in
 * the high half, symbol index in the low), with two words of payload. */

typedef struct {
  guint64 key;
  guint32 a;
  guint32 b;
} BendiHeapItem;

typedef struct {
  BendiHeapItem *items;
  gsize          n;
  gsize          capacity;
} BendiHeap;

void     bendi_heap_clear (BendiHeap     *heap);
void     bendi_heap_push  (BendiHeap     *heap,
                           guint64        key,
                           guint32        a,
                           guint32        b);
/* Removes the item with the least key into *out; FALSE when empty. */
gboolean bendi_heap_pop   (BendiHeap     *heap,
                           BendiHeapItem *out);

/* ------------------------------------------------------------------------ */
/* Unicode: categories as llama.cpp's tables give them, from GLib. */

typedef enum {
  BENDI_CPT_UNDEFINED   = 1 << 0,
  BENDI_CPT_NUMBER      = 1 << 1,   /* \p{N} */
  BENDI_CPT_LETTER      = 1 << 2,   /* \p{L} */
  BENDI_CPT_SEPARATOR   = 1 << 3,   /* \p{Z} */
  BENDI_CPT_MARK        = 1 << 4,   /* \p{M} */
  BENDI_CPT_PUNCTUATION = 1 << 5,   /* \p{P} */
  BENDI_CPT_SYMBOL      = 1 << 6,   /* \p{S} */
  BENDI_CPT_CONTROL     = 1 << 7,   /* \p{C} but unassigned */
  BENDI_CPT_WHITESPACE  = 1 << 8,   /* the White_Space property: \s */
} BendiCptFlags;

guint16 bendi_unicode_flags (gunichar c);

/* Length of the UTF-8 sequence a lead byte starts (1 for stray bytes), as
 * llama.cpp's unicode_len_utf8 counts it. */
static inline gsize
bendi_utf8_lead_len (guint8 lead)
{
  static const guint8 lengths[16] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4 };

  return lengths[lead >> 4];
}

typedef enum {
  BENDI_UTF8_VALID,
  BENDI_UTF8_INCOMPLETE,   /* a valid start cut short by the end of input */
  BENDI_UTF8_INVALID,
} BendiUtf8Status;

/* Looks at the character starting @text (@len > 0 bytes): sets *out_len to
 * its length when valid, and *out_char to the code point. */
BendiUtf8Status bendi_utf8_next (const char *text,
                                 gsize       len,
                                 gsize      *out_len,
                                 gunichar   *out_char);
/* Whether @len bytes are valid UTF-8 (NUL bytes allowed); the offset of the
 * first bad byte in *out_bad. */
gboolean        bendi_utf8_validate (const char *text,
                                     gsize       len,
                                     gsize      *out_bad);
/* Appends @len bytes to @out, each invalid sequence as U+FFFD. */
void            bendi_utf8_append_valid (GString    *out,
                                         const char *text,
                                         gsize       len);

/* GPT-2's byte-to-unicode alphabet: byte @b as 1 or 2 UTF-8 bytes in @out;
 * returns the length. */
gsize bendi_byte_to_unicode (guint8  b,
                             char    out[2]);
/* The byte a code point of that alphabet stands for, or -1. */
gint  bendi_unicode_to_byte (gunichar c);

/* ------------------------------------------------------------------------ */
/* Pre-tokenization: splits @len bytes of valid UTF-8 into words, appending
 * each word's end offset (in bytes from @text) to @word_ends. */
void bendi_pre_tokenize (BendiPreTokenizer  pre,
                         const char        *text,
                         gsize              len,
                         GArray            *word_ends);

/* Encoders for one stretch of text without special tokens; they append to
 * @out (BendiToken). */
gboolean bendi_spm_encode (const BendiTokenizer *self,
                           const char           *text,
                           gsize                 len,
                           gboolean              add_space_prefix,
                           GArray               *out,
                           GError              **error);
void     bendi_bpe_encode (const BendiTokenizer *self,
                           const char           *text,
                           gsize                 len,
                           GArray               *out);

G_END_DECLS
