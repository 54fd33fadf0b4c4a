/* SPDX-License-Identifier: MIT */
/* The quantisation advisor: each file through the fit estimator, then the rules of quant-advisor.h. */
#define G_LOG_DOMAIN "bendi-hw"

#include "quant-advisor.h"

#include <glib/gi18n-lib.h>

#include "engine-error.h"
#include "fit-private.h"

/* Higher is better; equal numbers are about equally good. */
static const struct {
  const char *name;
  int         quality;
} quant_qualities[] = {
  { "F32", 100 }, { "BF16", 99 }, { "F16", 99 },
  { "Q8_0", 90 },
  { "Q6_K", 80 },
  { "Q5_K_M", 70 },
  { "Q5_K_S", 65 }, { "Q5_0", 65 }, { "Q5_1", 65 },
  { "Q4_K_M", 60 },
  { "Q4_K_S", 55 }, { "Q4_0", 55 }, { "Q4_1", 55 },
  { "IQ4_NL", 50 }, { "IQ4_XS", 50 },
  { "Q3_K_L", 40 },
  { "IQ3_M", 37 },
  { "Q3_K_M", 35 },
  { "IQ3_S", 33 },
  { "Q3_K_S", 30 },
  { "IQ3_XS", 28 },
  { "IQ3_XXS", 25 },
  { "Q2_K", 20 },
  { "Q2_K_S", 17 },
  { "IQ2_M", 16 },
  { "IQ2_S", 14 },
  { "IQ2_XS", 12 },
  { "IQ2_XXS", 10 },
  { "IQ1_M", 5 },
  { "IQ1_S", 3 },
};

#define FOUR_BIT_QUALITY 50   /* IQ4_XS: below it, quality drops quickly */
#define SWEET_SPOT_QUALITY 70 /* Q5_K_M */

int
bendi_advisor_quant_quality (const char *quant)
{
  if (quant == NULL)
    return 0;
  for (gsize i = 0; i < G_N_ELEMENTS (quant_qualities); i++)
    if (g_ascii_strcasecmp (quant, quant_qualities[i].name) == 0)
      return quant_qualities[i].quality;
  return 0;
}

static void
advice_free (BendiAdvice *advice)
{
  g_free (advice->file_name);
  g_free (advice->quant);
  g_clear_pointer (&advice->fit, bendi_fit_result_free);
  g_free (advice->reason);
  g_free (advice);
}

void
bendi_advisor_result_free (BendiAdvisorResult *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->ranked, g_ptr_array_unref);
  g_free (self->summary);
  g_free (self);
}

static gboolean
fits_gpu (const BendiAdvice *a)
{
  return a->fit->verdict == BENDI_FIT_VERDICT_GPU;
}

/* Fits, at a usable speed (or one not known: bandwidth not measured). */
static gboolean
runs_usably (const BendiAdvice *a)
{
  return a->fit->verdict != BENDI_FIT_VERDICT_NO &&
         (a->fit->est_gen_tokens_per_s <= 0.0 || a->fit->est_gen_tokens_per_s >= BENDI_ADVISOR_USABLE_TOKENS_PER_S);
}

typedef gboolean (*AdviceFilter) (const BendiAdvice *a,
                                  gpointer           data);

/* The best quality that passes @filter; on equal quality the smaller. */
static BendiAdvice *
best_quality (GPtrArray    *all,
              AdviceFilter  filter,
              gpointer      data)
{
  BendiAdvice *best = NULL;

  for (guint i = 0; i < all->len; i++)
    {
      BendiAdvice *a = g_ptr_array_index (all, i);

      if (!filter (a, data))
        continue;
      if (best == NULL || a->quality > best->quality ||
          (a->quality == best->quality && a->fit->total_bytes < best->fit->total_bytes))
        best = a;
    }
  return best;
}

static gboolean
four_bit_on_gpu (const BendiAdvice *a,
                 gpointer           data G_GNUC_UNUSED)
{
  return a->quality >= FOUR_BIT_QUALITY && fits_gpu (a);
}

static gboolean
four_bit_usable_to_sweet_spot (const BendiAdvice *a,
                               gpointer           data G_GNUC_UNUSED)
{
  return a->quality >= FOUR_BIT_QUALITY && a->quality <= SWEET_SPOT_QUALITY && runs_usably (a);
}

static gboolean
four_bit_usable (const BendiAdvice *a,
                 gpointer           data G_GNUC_UNUSED)
{
  return a->quality >= FOUR_BIT_QUALITY && runs_usably (a);
}

static gboolean
low_bit_on_gpu (const BendiAdvice *a,
                gpointer           data G_GNUC_UNUSED)
{
  return a->quality < FOUR_BIT_QUALITY && fits_gpu (a);
}

static gboolean
low_bit_usable (const BendiAdvice *a,
                gpointer           data G_GNUC_UNUSED)
{
  return a->quality < FOUR_BIT_QUALITY && runs_usably (a);
}

/* Rule 4: anything that fits, the fastest (then the better). */
static BendiAdvice *
fastest_that_fits (GPtrArray *all)
{
  BendiAdvice *best = NULL;

  for (guint i = 0; i < all->len; i++)
    {
      BendiAdvice *a = g_ptr_array_index (all, i);

      if (a->fit->verdict == BENDI_FIT_VERDICT_NO)
        continue;
      if (best == NULL || a->fit->est_gen_tokens_per_s > best->fit->est_gen_tokens_per_s ||
          (a->fit->est_gen_tokens_per_s == best->fit->est_gen_tokens_per_s && a->quality > best->quality))
        best = a;
    }
  return best;
}

/* @has_gpu: whether there is a GPU to offload to at all, so that the
 * reason does not speak of one to a machine without. */
static BendiAdvice *
choose (GPtrArray  *all,
        gboolean    has_gpu,
        char      **reason)
{
  BendiAdvice *pick;

  if ((pick = best_quality (all, four_bit_on_gpu, NULL)) != NULL)
    *reason = g_strdup (_("The best quality that fits entirely on the GPU."));
  else if ((pick = best_quality (all, four_bit_usable_to_sweet_spot, NULL)) != NULL)
    *reason = g_strdup (has_gpu ? _("Nothing of 4 bits or more fits entirely on the GPU: the best quality up to the "
                                    "Q5_K_M sweet spot that runs at a usable speed (higher ones are slower for "
                                    "little gain).")
                                : _("No GPU to offload to: the best quality up to the Q5_K_M sweet spot that runs "
                                    "at a usable speed on the CPU (higher ones are slower for little gain)."));
  else if ((pick = best_quality (all, four_bit_usable, NULL)) != NULL)
    *reason = g_strdup (_("The best quality that runs at a usable speed."));
  else if ((pick = best_quality (all, low_bit_on_gpu, NULL)) != NULL)
    *reason = g_strdup (_("Quality drops quickly below 4 bits, but nothing of 4 bits or more fits at a usable "
                          "speed; this one fits entirely on the GPU."));
  else if ((pick = best_quality (all, low_bit_usable, NULL)) != NULL)
    *reason = g_strdup (_("Quality drops quickly below 4 bits, but nothing of 4 bits or more fits at a usable "
                          "speed."));
  else if ((pick = fastest_that_fits (all)) != NULL)
    *reason = g_strdup (_("Nothing runs at a usable speed here; this is the fastest that fits."));
  return pick;
}

/* What fits before what does not, then better quality, then smaller. */
static int
compare_advice (gconstpointer pa,
                gconstpointer pb)
{
  const BendiAdvice *a = *(const BendiAdvice *const *) pa;
  const BendiAdvice *b = *(const BendiAdvice *const *) pb;
  gboolean a_fits = a->fit->verdict != BENDI_FIT_VERDICT_NO;
  gboolean b_fits = b->fit->verdict != BENDI_FIT_VERDICT_NO;

  if (a->recommended != b->recommended)
    return a->recommended ? -1 : 1;
  if (a_fits != b_fits)
    return a_fits ? -1 : 1;
  if (a->quality != b->quality)
    return a->quality > b->quality ? -1 : 1;
  return a->fit->total_bytes < b->fit->total_bytes ? -1 : a->fit->total_bytes > b->fit->total_bytes;
}

static char *
summarise (GPtrArray         *all,
           const BendiAdvice *pick)
{
  g_autoptr (GString) text = g_string_new (NULL);

  if (pick == NULL)
    {
      const BendiAdvice *smallest = NULL;

      for (guint i = 0; i < all->len; i++)
        {
          const BendiAdvice *a = g_ptr_array_index (all, i);

          if (smallest == NULL || a->fit->total_bytes < smallest->fit->total_bytes)
            smallest = a;
        }
      if (smallest != NULL)
        {
          g_autofree char *missing = bendi_hw_format_memory (smallest->fit->missing_ram_bytes +
                                                             smallest->fit->missing_gpu_bytes);
          g_autofree char *server = bendi_fit_describe_server (smallest->fit);

          /* TRANSLATORS: a file name, then an amount of memory */
          g_string_append_printf (text, _("None of these fits: even the smallest (%s) needs %s more memory."),
                                  smallest->file_name, missing);
          g_string_append_c (text, '\n');
          g_string_append (text, server);
        }
      return g_string_free (g_steal_pointer (&text), FALSE);
    }

  /* TRANSLATORS: a file name, then why it was chosen */
  g_string_append_printf (text, _("Recommended: %s. %s"), pick->file_name, pick->reason);
  if (fits_gpu (pick) && pick->quality >= 80 && pick->fit->gpu_free_bytes >= 2 * pick->fit->gpu_bytes)
    {
      g_string_append_c (text, '\n');
      g_string_append (text, _("With this much room to spare, a larger model at Q4 often beats a smaller one at Q8."));
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* The model a candidate stands for: sized from its header, else from
 * @reference by its file size. A split model's header (its first part)
 * lists only that part's tensors: scaled up to the whole size. */
static BendiFitModel *
model_for (const BendiAdvisorCandidate  *c,
           const BendiFitModel          *reference,
           GError                      **error)
{
  g_autoptr (BendiFitModel) parsed = NULL;

  if (c->header == NULL)
    return bendi_fit_model_new_scaled (reference, c->size_bytes);
  parsed = bendi_fit_model_new (c->header, error);
  if (parsed == NULL)
    {
      g_prefix_error (error, "%s: ", c->file_name);
      return NULL;
    }
  if (c->size_bytes > bendi_fit_model_get_file_size (parsed))
    return bendi_fit_model_new_scaled (parsed, c->size_bytes);
  return g_steal_pointer (&parsed);
}

BendiAdvisorResult *
bendi_advisor_rank (const BendiAdvisorCandidate *candidates,
                    gsize                        n_candidates,
                    const BendiHwInfo           *hw,
                    const BendiFitParams        *params,
                    GError                     **error)
{
  g_autoptr (BendiFitModel) reference = NULL;
  g_autoptr (GPtrArray) all = g_ptr_array_new_with_free_func ((GDestroyNotify) advice_free);
  BendiAdvisorResult *result;
  BendiFitParams fit_params;
  BendiAdvice *pick;
  gboolean has_gpu = FALSE;
  char *reason = NULL;

  g_return_val_if_fail (candidates != NULL || n_candidates == 0, NULL);
  g_return_val_if_fail (hw != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  bendi_hw_ensure_i18n ();
  if (params != NULL)
    fit_params = *params;
  else
    bendi_fit_params_init (&fit_params);
  fit_params.gpu_layers = BENDI_FIT_GPU_LAYERS_AUTO;

  /* The reference the files without a header are sized from: a whole
   * file's header rather than a split model's first part. */
  for (gsize i = 0; i < n_candidates; i++)
    if (candidates[i].header != NULL &&
        (reference == NULL || bendi_gguf_get_file_size (candidates[i].header) >= candidates[i].size_bytes))
      {
        g_clear_pointer (&reference, bendi_fit_model_free);
        reference = model_for (&candidates[i], NULL, error);
        if (reference == NULL)
          return NULL;
        if (bendi_gguf_get_file_size (candidates[i].header) >= candidates[i].size_bytes)
          break;
      }
  if (reference == NULL)
    {
      g_set_error_literal (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_ARGUMENT,
                           "The advisor needs the header of at least one of the files");
      return NULL;
    }

  for (gsize i = 0; i < n_candidates; i++)
    {
      const BendiAdvisorCandidate *c = &candidates[i];
      g_autoptr (BendiFitModel) model = model_for (c, reference, error);
      BendiAdvice *advice;

      if (model == NULL)
        return NULL;
      advice = g_new0 (BendiAdvice, 1);
      g_ptr_array_add (all, advice);
      advice->file_name = g_strdup (c->file_name);
      advice->quant = g_strdup (c->quant != NULL ? c->quant
                                : bendi_fit_model_get_file_type (model) != NULL ? bendi_fit_model_get_file_type (model)
                                : bendi_fit_model_get_main_type (model));
      advice->quality = bendi_advisor_quant_quality (advice->quant);
      advice->sweet_spot = advice->quant != NULL && (g_ascii_strcasecmp (advice->quant, "Q4_K_M") == 0 ||
                                                     g_ascii_strcasecmp (advice->quant, "Q5_K_M") == 0);
      advice->fit = bendi_fit_estimate (model, hw, &fit_params);
    }

  for (guint i = 0; i < hw->gpus->len && !has_gpu; i++)
    has_gpu = bendi_fit_gpu_is_candidate (g_ptr_array_index (hw->gpus, i));
  pick = choose (all, has_gpu, &reason);
  if (pick != NULL)
    {
      pick->recommended = TRUE;
      pick->reason = reason;
    }

  result = g_new0 (BendiAdvisorResult, 1);
  result->summary = summarise (all, pick);
  g_ptr_array_sort (all, compare_advice);
  result->ranked = g_steal_pointer (&all);
  result->recommended = pick != NULL ? 0 : -1;
  return result;
}
