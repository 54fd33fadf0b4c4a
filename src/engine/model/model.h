/* SPDX-License-Identifier: MIT */
/* A loaded model: hyper-parameters from GGUF metadata and weights bound in place in the mapping. */
#pragma once

#include <glib.h>

#include "cpu/matmul.h"
#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"

G_BEGIN_DECLS

typedef enum {
  BENDI_ARCH_LLAMA,   /* Llama 1–3.x, Mistral, TinyLlama, stories260K */
  BENDI_ARCH_QWEN2,   /* Q/K/V biases, NeoX RoPE */
  BENDI_ARCH_QWEN3,   /* Q/K RMS norms, NeoX RoPE */
} BendiArch;

typedef enum {
  BENDI_ROPE_NORMAL,  /* rotates adjacent pairs (x[2i], x[2i+1]) */
  BENDI_ROPE_NEOX,    /* rotates halves (x[i], x[i + n_rot/2]) */
} BendiRopeType;

typedef enum {
  BENDI_ROPE_SCALING_NONE,
  BENDI_ROPE_SCALING_LINEAR,
  BENDI_ROPE_SCALING_YARN,
} BendiRopeScaling;

typedef struct {
  BendiArch        arch;
  gint64           n_vocab;
  gint64           n_ctx_train;
  gint64           n_embd;
  gint64           n_layer;
  gint64           n_head;
  gint64           n_head_kv;
  gint64           head_dim;         /* per head, for Q, K and V */
  gint64           n_ff;
  gint64           n_rot;            /* dimensions of each head that RoPE rotates */
  float            norm_eps;
  BendiRopeType    rope_type;
  float            rope_freq_base;
  BendiRopeScaling rope_scaling;
  float            rope_freq_scale;  /* 1 / scaling factor */
  gint64           rope_n_ctx_orig;  /* YaRN: the context length trained on */
  float            yarn_ext_factor;
  float            yarn_attn_factor;
  float            yarn_beta_fast;
  float            yarn_beta_slow;
} BendiModelConfig;

typedef struct {
  const float *attn_norm;   /* (n_embd) */
  BendiMatrix  wq;          /* (n_embd → n_head · head_dim) */
  BendiMatrix  wk;          /* (n_embd → n_head_kv · head_dim) */
  BendiMatrix  wv;          /* (n_embd → n_head_kv · head_dim) */
  BendiMatrix  wo;          /* (n_head · head_dim → n_embd) */
  const float *bq;          /* qwen2: (n_head · head_dim), else NULL */
  const float *bk;          /* qwen2: (n_head_kv · head_dim) */
  const float *bv;          /* qwen2: (n_head_kv · head_dim) */
  const float *q_norm;      /* qwen3: (head_dim), else NULL */
  const float *k_norm;      /* qwen3: (head_dim) */
  const float *ffn_norm;    /* (n_embd) */
  BendiMatrix  ffn_gate;    /* (n_embd → n_ff) */
  BendiMatrix  ffn_up;      /* (n_embd → n_ff) */
  BendiMatrix  ffn_down;    /* (n_ff → n_embd) */
} BendiLayerWeights;

typedef struct {
  BendiMatrix        token_embd;   /* (n_vocab rows of n_embd) */
  BendiLayerWeights *layers;       /* (n_layer) */
  const float       *output_norm;  /* (n_embd) */
  BendiMatrix        output;       /* (n_embd → n_vocab); token_embd when tied */
  const float       *rope_freqs;   /* Llama 3.1 frequency factors: (n_rot / 2), or NULL */
} BendiModelWeights;

typedef enum {
  BENDI_MODEL_CONFIG_DEFAULT = 0,
  /* Also read an architecture this engine does not run, under its own
   * prefix and with llama's defaults, for estimates of memory (the fit
   * estimator): a RoPE scaling type it does not know is taken as none, and
   * keys and values of different lengths as two of their mean length. */
  BENDI_MODEL_CONFIG_ANY_ARCH = 1 << 0,
} BendiModelConfigFlags;

/* Reads the hyper-parameters from the metadata of @gguf; the header is
 * enough (a header-only parse will do). n_vocab is the length of the
 * tokenizer's token list, else the rows of token_embd.weight, else 0.
 * Errors: a bad value (INVALID_FILE), an architecture or feature the engine
 * does not run (UNSUPPORTED), each naming the key. */
gboolean bendi_model_config_from_gguf (const BendiGguf       *gguf,
                                       BendiModelConfigFlags  flags,
                                       BendiModelConfig      *config,
                                       GError               **error);

typedef struct _BendiModel BendiModel;

/* Load progress in [0, 1]; return FALSE to cancel the load. */
typedef gboolean (*BendiProgressFunc) (double   fraction,
                                       gpointer user_data);

typedef struct {
  /* Copy the weights, at load time, into the layout the fastest kernels
   * read, in memory backed by huge pages (the file's own pages are let go,
   * so memory does not double). TRUE by default. */
  gboolean repack;
} BendiModelParams;

void bendi_model_params_init (BendiModelParams *params);

/* Loads a model for the CPU. Errors: a corrupt file (INVALID_FILE), an
 * architecture or tensor type this engine cannot run (UNSUPPORTED, naming
 * it), a cancelled load (CANCELLED). */
BendiModel *bendi_model_load (const char             *path,
                              const BendiModelParams *params,
                              BendiProgressFunc       progress,
                              gpointer                user_data,
                              GError                **error) G_GNUC_WARN_UNUSED_RESULT;

BendiModel *bendi_model_ref   (BendiModel *self);
void        bendi_model_unref (BendiModel *self);

const BendiModelConfig  *bendi_model_get_config    (const BendiModel *self);
const BendiModelWeights *bendi_model_get_weights   (const BendiModel *self);
const BendiTokenizer    *bendi_model_get_tokenizer (const BendiModel *self);
const BendiGguf         *bendi_model_get_gguf      (const BendiModel *self);
const char              *bendi_model_get_arch_name (const BendiModel *self);
/* Bytes of all weights, as mapped. */
gsize                    bendi_model_get_weights_bytes (const BendiModel *self);
/* Bytes of the weights read to generate one token: every layer's matrices,
 * the norms and the output matrix (the embedding reads one row). */
gsize                    bendi_model_get_bytes_per_token (const BendiModel *self);
gint64                   bendi_model_get_n_params  (const BendiModel *self);

const char *bendi_arch_name (BendiArch arch);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BendiModel, bendi_model_unref)

G_END_DECLS
