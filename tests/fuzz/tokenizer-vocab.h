/* SPDX-License-Identifier: MIT */
/* Small synthetic vocabularies written with the GGUF writer, so that tests
 * and the tokenizer fuzz target can build good and broken ones in memory;
 * shared by test-tokenizer and fuzz-tokenizer. */
#pragma once

#include <glib.h>

#include "gguf/gguf-writer.h"
#include "tokenizer/tokenizer.h"

G_BEGIN_DECLS

/* tokenizer.ggml.token_type values. */
enum {
  TEST_TOKEN_NORMAL       = 1,
  TEST_TOKEN_UNKNOWN      = 2,
  TEST_TOKEN_CONTROL      = 3,
  TEST_TOKEN_USER_DEFINED = 4,
  TEST_TOKEN_BYTE         = 6,
};

/* SentencePiece: 0 <unk>, 1 <s>, 2 </s>, TEST_SPM_BYTE (b) the byte tokens,
 * then the pieces below. */
#define TEST_SPM_BYTE(b) (3 + (b))
enum {
  TEST_SPM_SPACE = 259,   /* ▁ */
  TEST_SPM_A,
  TEST_SPM_B,
  TEST_SPM_C,
  TEST_SPM_SPACE_A,       /* ▁a, score -5 */
  TEST_SPM_AB,            /* ab, score -6 */
  TEST_SPM_SPACE_AB,      /* ▁ab, score -7 */
  TEST_SPM_BC,            /* bc, score -1.5 */
  TEST_SPM_IM_START,      /* <|im_start|>, control */
  TEST_SPM_TOOL,          /* <tool>, user-defined */
};

/* Byte-level BPE: GPT-2's 256 byte characters in byte order (so byte b is
 * token b), then the tokens below, with merges "Ġ a", "a b", "Ġa b". */
enum {
  TEST_BPE_AB = 256,
  TEST_BPE_SPACE_A,       /* Ġa */
  TEST_BPE_SPACE_AB,      /* Ġab */
  TEST_BPE_SPACE_BC,      /* Ġbc, which no merge makes */
  TEST_BPE_EOT,           /* <|endoftext|>, control */
  TEST_BPE_IM_END,        /* <|im_end|>, typed normal */
  TEST_BPE_TOOL,          /* <tool>, user-defined */
};

typedef struct {
  GPtrArray *tokens;   /* char *, owned */
  GArray    *scores;   /* float */
  GArray    *types;    /* gint32 */
  GPtrArray *merges;   /* char *, owned; NULL for SentencePiece */
} TestVocab;

typedef enum {
  TEST_OMIT_NONE   = 0,
  TEST_OMIT_TOKENS = 1 << 0,
  TEST_OMIT_SCORES = 1 << 1,
  TEST_OMIT_TYPES  = 1 << 2,
  TEST_OMIT_MERGES = 1 << 3,
} TestOmit;

/* Without @with_bytes the byte tokens' ids hold normal filler pieces. */
TestVocab  *test_vocab_new_spm (gboolean         with_bytes);
TestVocab  *test_vocab_new_bpe (void);
void        test_vocab_free    (TestVocab       *vocab);
BendiToken  test_vocab_add     (TestVocab       *vocab,
                                const char      *text,
                                float            score,
                                gint32           type);
/* Replaces the text of token @id. */
void        test_vocab_set     (TestVocab       *vocab,
                                BendiToken       id,
                                const char      *text);

/* A writer holding the vocabulary's keys but those in @omit; add more keys
 * and load it with test_vocab_load. */
BendiGgufWriter *test_vocab_writer (const TestVocab *vocab,
                                    const char      *model,
                                    const char      *pre,
                                    TestOmit         omit);
/* The tokenizer of the file @writer makes, or NULL with @error set. */
BendiTokenizer  *test_vocab_load   (BendiGgufWriter *writer,
                                    GError         **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestVocab, test_vocab_free)

G_END_DECLS
