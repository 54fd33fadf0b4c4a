/* SPDX-License-Identifier: MIT */
/* The reference forward pass, kept simple enough to check by reading: everything in f32, no threads. */
#include "model/forward-reference.h"

#include <math.h>
#include <string.h>

#include "engine-error.h"
#include "model/ops.h"
#include "tensor/quant.h"

struct _BendiReferenceState {
  BendiModel *model;
  gint64      n_ctx;
  float      *x;          /* (n_embd) the residual stream */
  float      *xb;         /* (n_embd) normed input of a block */
  float      *q;          /* (n_head · head_dim) */
  float      *k;          /* (n_head_kv · head_dim) */
  float      *v;          /* (n_head_kv · head_dim) */
  float      *att_out;    /* (n_head · head_dim) */
  float      *att;        /* (n_ctx) scores of one head */
  float      *hb;         /* (n_ff) */
  float      *hb2;        /* (n_ff) */
  float      *out;        /* (n_embd) a block's output */
  float      *row;        /* (max (n_embd, n_ff, q_dim)) one dequantised weight row */
  float      *rope_cos;   /* (n_rot / 2) */
  float      *rope_sin;   /* (n_rot / 2) */
  float      *key_cache;  /* (n_layer, n_ctx, n_head_kv · head_dim) */
  float      *value_cache;/* (n_layer, n_ctx, n_head_kv · head_dim) */
  float      *logits;     /* (n_vocab) */
};

/* out = W · x, dequantising one row of W at a time. */
static void
matvec (BendiReferenceState *s,
        float               *out,
        const BendiMatrix   *w,
        const float         *x)
{
  for (gint64 r = 0; r < w->n_rows; r++)
    {
      const guint8 *row = (const guint8 *) w->data + (gsize) r * w->row_bytes;
      double sum = 0.0;

      bendi_dequantize_row (w->type, row, s->row, w->n_cols);
      for (gint64 c = 0; c < w->n_cols; c++)
        sum += (double) s->row[c] * x[c];
      out[r] = (float) sum;
    }
}

static void
add_bias (float       *x,
          const float *bias,
          gint64       n)
{
  if (bias != NULL)
    bendi_add (x, bias, n);
}

BendiReferenceState *
bendi_reference_state_new (BendiModel *model,
                           gint64      n_ctx,
                           GError    **error)
{
  const BendiModelConfig *c = bendi_model_get_config (model);
  const BendiModelWeights *w = bendi_model_get_weights (model);
  BendiReferenceState *s;
  gint64 q_dim = c->n_head * c->head_dim;
  gint64 kv_dim = c->n_head_kv * c->head_dim;

  if (w->output.layout != BENDI_MATRIX_LAYOUT_ROWS || w->layers[0].wq.layout != BENDI_MATRIX_LAYOUT_ROWS)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_ARGUMENT,
                   "The reference forward pass needs a model loaded without repacking");
      return NULL;
    }
  s = g_new0 (BendiReferenceState, 1);
  s->model = bendi_model_ref (model);
  s->n_ctx = n_ctx;
  s->x = g_new0 (float, c->n_embd);
  s->xb = g_new0 (float, c->n_embd);
  s->out = g_new0 (float, c->n_embd);
  s->q = g_new0 (float, q_dim);
  s->k = g_new0 (float, kv_dim);
  s->v = g_new0 (float, kv_dim);
  s->att_out = g_new0 (float, q_dim);
  s->att = g_new0 (float, n_ctx);
  s->hb = g_new0 (float, c->n_ff);
  s->hb2 = g_new0 (float, c->n_ff);
  s->row = g_new0 (float, MAX (MAX (c->n_embd, c->n_ff), q_dim));
  s->rope_cos = g_new0 (float, c->n_rot / 2);
  s->rope_sin = g_new0 (float, c->n_rot / 2);
  s->key_cache = g_new0 (float, c->n_layer * n_ctx * kv_dim);
  s->value_cache = g_new0 (float, c->n_layer * n_ctx * kv_dim);
  s->logits = g_new0 (float, c->n_vocab);
  return s;
}

void
bendi_reference_state_free (BendiReferenceState *s)
{
  if (s == NULL)
    return;
  g_free (s->x);
  g_free (s->xb);
  g_free (s->out);
  g_free (s->q);
  g_free (s->k);
  g_free (s->v);
  g_free (s->att_out);
  g_free (s->att);
  g_free (s->hb);
  g_free (s->hb2);
  g_free (s->row);
  g_free (s->rope_cos);
  g_free (s->rope_sin);
  g_free (s->key_cache);
  g_free (s->value_cache);
  g_free (s->logits);
  bendi_model_unref (s->model);
  g_free (s);
}

const float *
bendi_reference_forward (BendiReferenceState *s,
                         BendiToken           token,
                         gint64               pos)
{
  const BendiModelConfig *c = bendi_model_get_config (s->model);
  const BendiModelWeights *w = bendi_model_get_weights (s->model);
  gint64 hd = c->head_dim;
  gint64 kv_dim = c->n_head_kv * hd;
  gint64 heads_per_kv = c->n_head / c->n_head_kv;
  float scale = 1.0f / sqrtf ((float) hd);

  g_return_val_if_fail (token >= 0 && token < c->n_vocab, NULL);
  g_return_val_if_fail (pos >= 0 && pos < s->n_ctx, NULL);

  /* token embedding */
  bendi_dequantize_row (w->token_embd.type,
                        (const guint8 *) w->token_embd.data + (gsize) token * w->token_embd.row_bytes,
                        s->x, c->n_embd);
  bendi_rope_table (s->rope_cos, s->rope_sin, c, w->rope_freqs, pos);

  for (gint64 il = 0; il < c->n_layer; il++)
    {
      const BendiLayerWeights *l = &w->layers[il];
      float *key_cache = s->key_cache + il * s->n_ctx * kv_dim;
      float *value_cache = s->value_cache + il * s->n_ctx * kv_dim;

      /* attention rmsnorm */
      bendi_rms_norm (s->xb, s->x, l->attn_norm, c->n_embd, c->norm_eps);

      /* q, k, v projections (and qwen2's biases) */
      matvec (s, s->q, &l->wq, s->xb);
      matvec (s, s->k, &l->wk, s->xb);
      matvec (s, s->v, &l->wv, s->xb);
      add_bias (s->q, l->bq, c->n_head * hd);
      add_bias (s->k, l->bk, kv_dim);
      add_bias (s->v, l->bv, kv_dim);

      /* qwen3's per-head q/k rmsnorm, then RoPE */
      for (gint64 h = 0; h < c->n_head; h++)
        {
          if (l->q_norm != NULL)
            bendi_rms_norm (s->q + h * hd, s->q + h * hd, l->q_norm, hd, c->norm_eps);
          bendi_rope_apply (s->q + h * hd, s->rope_cos, s->rope_sin, c->n_rot, c->rope_type);
        }
      for (gint64 h = 0; h < c->n_head_kv; h++)
        {
          if (l->k_norm != NULL)
            bendi_rms_norm (s->k + h * hd, s->k + h * hd, l->k_norm, hd, c->norm_eps);
          bendi_rope_apply (s->k + h * hd, s->rope_cos, s->rope_sin, c->n_rot, c->rope_type);
        }

      /* remember this position's keys and values */
      memcpy (key_cache + pos * kv_dim, s->k, kv_dim * sizeof (float));
      memcpy (value_cache + pos * kv_dim, s->v, kv_dim * sizeof (float));

      /* attention: each query head reads the keys and values of its group */
      for (gint64 h = 0; h < c->n_head; h++)
        {
          const float *q = s->q + h * hd;
          gint64 kv_head = h / heads_per_kv;
          float *out = s->att_out + h * hd;

          for (gint64 t = 0; t <= pos; t++)
            {
              const float *k = key_cache + t * kv_dim + kv_head * hd;
              float dot = 0.0f;

              for (gint64 i = 0; i < hd; i++)
                dot += q[i] * k[i];
              s->att[t] = dot * scale;
            }
          bendi_softmax (s->att, pos + 1);
          for (gint64 i = 0; i < hd; i++)
            out[i] = 0.0f;
          for (gint64 t = 0; t <= pos; t++)
            {
              const float *v = value_cache + t * kv_dim + kv_head * hd;

              for (gint64 i = 0; i < hd; i++)
                out[i] += s->att[t] * v[i];
            }
        }

      /* output projection, residual */
      matvec (s, s->out, &l->wo, s->att_out);
      bendi_add (s->x, s->out, c->n_embd);

      /* feed-forward rmsnorm, SwiGLU, residual */
      bendi_rms_norm (s->xb, s->x, l->ffn_norm, c->n_embd, c->norm_eps);
      matvec (s, s->hb, &l->ffn_gate, s->xb);
      matvec (s, s->hb2, &l->ffn_up, s->xb);
      bendi_swiglu (s->hb, s->hb, s->hb2, c->n_ff);
      matvec (s, s->out, &l->ffn_down, s->hb);
      bendi_add (s->x, s->out, c->n_embd);
    }

  /* final rmsnorm, classifier */
  bendi_rms_norm (s->x, s->x, w->output_norm, c->n_embd, c->norm_eps);
  matvec (s, s->logits, &w->output, s->x);
  return s->logits;
}
