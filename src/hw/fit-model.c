/* SPDX-License-Identifier: MIT */
/* Sizing a model from its GGUF header: bytes by tensor, by layer, and read per token. */
#define G_LOG_DOMAIN "bendi-hw"

#include "fit-model.h"

#include <string.h>

#include "engine-error.h"

struct _BendiFitModel {
  BendiModelConfig  config;
  char             *arch;
  char             *unsupported_reason;
  char             *main_type;
  char             *file_type;
  gsize             file_size;
  gint64            n_params;
  gsize             weights_bytes;
  gsize             shared_bytes;
  gsize            *layer_bytes;            /* (n_layer) */
  gsize            *layer_bytes_per_token;  /* (n_layer) */
  gsize             shared_bytes_per_token;
  gint64            expert_count;
  gint64            expert_used_count;
};

/* general.file_type: llama.cpp's numbering of the quantisation mixes a
 * file was made with. Numbers missing here were retired. */
static const struct {
  gint64      number;
  const char *name;
} file_types[] = {
  { 0, "F32" }, { 1, "F16" }, { 2, "Q4_0" }, { 3, "Q4_1" }, { 7, "Q8_0" }, { 8, "Q5_0" }, { 9, "Q5_1" },
  { 10, "Q2_K" }, { 11, "Q3_K_S" }, { 12, "Q3_K_M" }, { 13, "Q3_K_L" }, { 14, "Q4_K_S" }, { 15, "Q4_K_M" },
  { 16, "Q5_K_S" }, { 17, "Q5_K_M" }, { 18, "Q6_K" }, { 19, "IQ2_XXS" }, { 20, "IQ2_XS" }, { 21, "Q2_K_S" },
  { 22, "IQ3_XS" }, { 23, "IQ3_XXS" }, { 24, "IQ1_S" }, { 25, "IQ4_NL" }, { 26, "IQ3_S" }, { 27, "IQ3_M" },
  { 28, "IQ2_S" }, { 29, "IQ2_M" }, { 30, "IQ4_XS" }, { 31, "IQ1_M" }, { 32, "BF16" }, { 36, "TQ1_0" },
  { 37, "TQ2_0" },
};

static const char *
file_type_name (gint64 number)
{
  for (gsize i = 0; i < G_N_ELEMENTS (file_types); i++)
    if (file_types[i].number == number)
      return file_types[i].name;
  return NULL;
}

/* The layer a tensor belongs to ("blk.12.attn_q.weight" → 12), or -1. */
static gint64
tensor_layer (const char *name,
              const char **rest)
{
  const char *p;
  char *end;
  guint64 il;

  if (!g_str_has_prefix (name, "blk."))
    return -1;
  p = name + 4;
  if (!g_ascii_isdigit (*p))
    return -1;
  il = g_ascii_strtoull (p, &end, 10);
  if (*end != '.' || il > G_MAXINT32)
    return -1;
  *rest = end + 1;
  return (gint64) il;
}

static gboolean
read_expert_counts (BendiFitModel   *self,
                    const BendiGguf *gguf,
                    GError         **error)
{
  g_autofree char *count_key = g_strdup_printf ("%s.expert_count", self->arch);
  g_autofree char *used_key = g_strdup_printf ("%s.expert_used_count", self->arch);

  if (!bendi_gguf_get_int (gguf, count_key, FALSE, 0, 1 << 16, &self->expert_count, error) ||
      !bendi_gguf_get_int (gguf, used_key, FALSE, 0, 1 << 16, &self->expert_used_count, error))
    return FALSE;
  if (self->expert_count > 0 && (self->expert_used_count < 1 || self->expert_used_count > self->expert_count))
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE,
                   "Metadata key '%s' (%" G_GINT64_FORMAT ") must be between 1 and '%s' (%" G_GINT64_FORMAT ")",
                   used_key, self->expert_used_count, count_key, self->expert_count);
      return FALSE;
    }
  return TRUE;
}

/* The first part of a split model lists only its own tensors, and so only
 * some layers: the others are taken to be like those (the advisor then
 * scales the whole to the model's real size). */
static void
fill_missing_layers (BendiFitModel   *self,
                     const BendiGguf *gguf)
{
  gint64 split_count = 1, n_layer = self->config.n_layer, n_present = 0;
  gsize bytes = 0, per_token = 0;

  if (!bendi_gguf_get_int (gguf, "split.count", FALSE, 0, G_MAXUINT16, &split_count, NULL) || split_count < 2)
    return;
  for (gint64 il = 0; il < n_layer; il++)
    if (self->layer_bytes[il] > 0)
      {
        n_present++;
        bytes += self->layer_bytes[il];
        per_token += self->layer_bytes_per_token[il];
      }
  if (n_present == 0 || n_present == n_layer)
    return;
  self->weights_bytes = self->shared_bytes;
  for (gint64 il = 0; il < n_layer; il++)
    {
      if (self->layer_bytes[il] == 0)
        {
          self->layer_bytes[il] = bytes / (gsize) n_present;
          self->layer_bytes_per_token[il] = per_token / (gsize) n_present;
        }
      self->weights_bytes += self->layer_bytes[il];
    }
}

/* Every tensor to its layer, or to the shared part; for each, the bytes a
 * token reads: experts' tensors ("ffn_gate_exps") only for the experts in
 * use, the embedding table one row (and all of it again when it doubles
 * as the output matrix), everything else all of it. */
static void
count_tensors (BendiFitModel   *self,
               const BendiGguf *gguf)
{
  gint64 n_layer = self->config.n_layer;
  gsize type_bytes[BENDI_TENSOR_TYPE_COUNT] = { 0 };
  gboolean tied = bendi_gguf_find_tensor (gguf, "output.weight") == NULL;
  gsize main_bytes = 0;

  self->layer_bytes = g_new0 (gsize, n_layer);
  self->layer_bytes_per_token = g_new0 (gsize, n_layer);
  for (gsize i = 0; i < bendi_gguf_get_n_tensors (gguf); i++)
    {
      const BendiGgufTensorInfo *t = bendi_gguf_get_tensor (gguf, i);
      const char *rest = NULL;
      gint64 il = tensor_layer (t->name, &rest);
      gsize per_token = t->n_bytes;

      self->weights_bytes += t->n_bytes;
      self->n_params += t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3];
      if ((guint) t->type < BENDI_TENSOR_TYPE_COUNT)
        type_bytes[t->type] += t->n_bytes;

      /* Layers past block_count (some models' extra prediction heads)
       * count with the shared tensors. */
      if (il >= 0 && il < n_layer)
        {
          if (self->expert_count > 0 && strstr (rest, "_exps.") != NULL)
            per_token = (gsize) ((double) t->n_bytes * (double) self->expert_used_count /
                                 (double) self->expert_count);
          self->layer_bytes[il] += t->n_bytes;
          self->layer_bytes_per_token[il] += per_token;
          continue;
        }
      if (g_str_equal (t->name, "token_embd.weight"))
        per_token = (t->ne[1] > 0 ? t->n_bytes / (gsize) t->ne[1] : 0) + (tied ? t->n_bytes : 0);
      self->shared_bytes += t->n_bytes;
      self->shared_bytes_per_token += per_token;
    }

  fill_missing_layers (self, gguf);
  for (guint type = 0; type < BENDI_TENSOR_TYPE_COUNT; type++)
    if (type_bytes[type] > main_bytes)
      {
        main_bytes = type_bytes[type];
        g_free (self->main_type);
        self->main_type = g_strdup (bendi_tensor_type_name (type));
      }
}

BendiFitModel *
bendi_fit_model_new (const BendiGguf *gguf,
                     GError         **error)
{
  g_autoptr (BendiFitModel) self = NULL;
  g_autoptr (GError) unsupported = NULL;
  const char *arch = NULL;
  gint64 file_type = -1;

  g_return_val_if_fail (gguf != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_new0 (BendiFitModel, 1);
  /* What the engine says of a model it cannot run is worth showing; the
   * model is then sized as well as its metadata allows. */
  if (!bendi_model_config_from_gguf (gguf, BENDI_MODEL_CONFIG_DEFAULT, &self->config, &unsupported))
    {
      if (!g_error_matches (unsupported, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_UNSUPPORTED))
        {
          g_propagate_error (error, g_steal_pointer (&unsupported));
          return NULL;
        }
      self->unsupported_reason = g_strdup (unsupported->message);
      if (!bendi_model_config_from_gguf (gguf, BENDI_MODEL_CONFIG_ANY_ARCH, &self->config, error))
        return NULL;
    }
  /* Both checked by bendi_model_config_from_gguf (). */
  bendi_gguf_get_string (gguf, "general.architecture", TRUE, &arch, NULL);
  self->arch = g_strdup (arch);
  if (!bendi_gguf_get_int (gguf, "general.file_type", FALSE, 0, G_MAXINT32, &file_type, error) ||
      !read_expert_counts (self, gguf, error))
    return NULL;
  count_tensors (self, gguf);
  self->file_type = g_strdup (file_type_name (file_type));
  self->file_size = bendi_gguf_get_file_size (gguf);
  return g_steal_pointer (&self);
}

BendiFitModel *
bendi_fit_model_new_scaled (const BendiFitModel *like,
                            gsize                file_size)
{
  BendiFitModel *self = g_new0 (BendiFitModel, 1);
  /* The metadata (mostly the tokenizer) is the same in every quantisation. */
  gsize metadata_bytes = like->file_size - MIN (like->weights_bytes, like->file_size);
  double ratio = like->weights_bytes > 0
                 ? (double) (file_size - MIN (metadata_bytes, file_size)) / (double) like->weights_bytes
                 : 0.0;
  gint64 n_layer = like->config.n_layer;

  self->config = like->config;
  self->arch = g_strdup (like->arch);
  self->unsupported_reason = g_strdup (like->unsupported_reason);
  self->file_size = file_size;
  self->n_params = like->n_params;
  self->expert_count = like->expert_count;
  self->expert_used_count = like->expert_used_count;
  self->layer_bytes = g_new0 (gsize, n_layer);
  self->layer_bytes_per_token = g_new0 (gsize, n_layer);
  for (gint64 il = 0; il < n_layer; il++)
    {
      self->layer_bytes[il] = (gsize) ((double) like->layer_bytes[il] * ratio);
      self->layer_bytes_per_token[il] = (gsize) ((double) like->layer_bytes_per_token[il] * ratio);
      self->weights_bytes += self->layer_bytes[il];
    }
  self->shared_bytes = (gsize) ((double) like->shared_bytes * ratio);
  self->shared_bytes_per_token = (gsize) ((double) like->shared_bytes_per_token * ratio);
  self->weights_bytes += self->shared_bytes;
  return self;
}

void
bendi_fit_model_free (BendiFitModel *self)
{
  if (self == NULL)
    return;
  g_free (self->arch);
  g_free (self->unsupported_reason);
  g_free (self->main_type);
  g_free (self->file_type);
  g_free (self->layer_bytes);
  g_free (self->layer_bytes_per_token);
  g_free (self);
}

const BendiModelConfig *
bendi_fit_model_get_config (const BendiFitModel *self)
{
  return &self->config;
}

const char *
bendi_fit_model_get_arch (const BendiFitModel *self)
{
  return self->arch;
}

gboolean
bendi_fit_model_get_engine_supported (const BendiFitModel *self)
{
  return self->unsupported_reason == NULL;
}

const char *
bendi_fit_model_get_unsupported_reason (const BendiFitModel *self)
{
  return self->unsupported_reason;
}

const char *
bendi_fit_model_get_main_type (const BendiFitModel *self)
{
  return self->main_type;
}

const char *
bendi_fit_model_get_file_type (const BendiFitModel *self)
{
  return self->file_type;
}

gsize
bendi_fit_model_get_file_size (const BendiFitModel *self)
{
  return self->file_size;
}

gint64
bendi_fit_model_get_n_params (const BendiFitModel *self)
{
  return self->n_params;
}

gint64
bendi_fit_model_get_n_layers (const BendiFitModel *self)
{
  return self->config.n_layer;
}

gsize
bendi_fit_model_get_weights_bytes (const BendiFitModel *self)
{
  return self->weights_bytes;
}

gsize
bendi_fit_model_get_layer_bytes (const BendiFitModel *self,
                                 gint64               il)
{
  g_return_val_if_fail (il >= 0 && il < self->config.n_layer, 0);

  return self->layer_bytes[il];
}

gsize
bendi_fit_model_get_shared_bytes (const BendiFitModel *self)
{
  return self->shared_bytes;
}

gsize
bendi_fit_model_get_bytes_per_token (const BendiFitModel *self)
{
  gsize total = self->shared_bytes_per_token;

  for (gint64 il = 0; il < self->config.n_layer; il++)
    total += self->layer_bytes_per_token[il];
  return total;
}

gsize
bendi_fit_model_get_layer_bytes_per_token (const BendiFitModel *self,
                                           gint64               il)
{
  g_return_val_if_fail (il >= 0 && il < self->config.n_layer, 0);

  return self->layer_bytes_per_token[il];
}

gint64
bendi_fit_model_get_expert_count (const BendiFitModel *self)
{
  return self->expert_count;
}

gint64
bendi_fit_model_get_expert_used_count (const BendiFitModel *self)
{
  return self->expert_used_count;
}
