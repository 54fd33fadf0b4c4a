/* SPDX-License-Identifier: MIT */
/* The fit estimate's arithmetic as sentences for people, in their language: what the memory adds up to, where it goes, and the speed that allows. */
#define G_LOG_DOMAIN "bendi-hw"

#include "fit-private.h"

#include <glib/gi18n-lib.h>

void
bendi_hw_ensure_i18n (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      const char *dir = g_getenv ("BENDI_LOCALEDIR");

      bindtextdomain (GETTEXT_PACKAGE, dir != NULL && *dir != '\0' ? dir : BENDI_LOCALEDIR);
      bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
      g_once_init_leave (&done, 1);
    }
}

/* Where sizes are said in megabytes (bendi_hw_format_memory ()). */
#define MEGABYTES_BELOW ((guint64) 10 * 1000 * 1000)

char *
bendi_hw_format_memory (guint64 bytes)
{
  if (bytes < MEGABYTES_BELOW)
    return g_strdup_printf ("%.1f MB", (double) bytes / 1e6);
  return g_strdup_printf ("%.2f GB", (double) bytes / 1e9);
}

static char *
format_gbps (double gbps)
{
  return g_strdup_printf ("%.1f GB/s", gbps);
}

static char *
format_tokens_per_s (double tokens_per_s)
{
  return g_strdup_printf (tokens_per_s < 10.0 ? "%.1f" : "%.0f", tokens_per_s);
}

/* "4.37 GB weights + 0.25 GB KV cache (4096 tokens) + …" */
static void
explain_memory (GString              *text,
                const BendiFitResult *r)
{
  g_autofree char *weights = bendi_hw_format_memory (r->weights_bytes);
  g_autofree char *kv = bendi_hw_format_memory (r->kv_cache_bytes);
  g_autofree char *buffers = bendi_hw_format_memory (r->buffers_bytes);
  g_autofree char *overhead = bendi_hw_format_memory (r->overhead_bytes);
  g_autofree char *total = bendi_hw_format_memory (r->total_bytes);
  g_autofree char *tokens = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d token", "%d tokens",
                                                          (gulong) r->n_ctx), (int) r->n_ctx);

  /* TRANSLATORS: the memory a model needs: weights, KV cache (for a
   * number of tokens of context), buffers, the runtime itself, and the
   * total, each like "4.37 GB". */
  g_string_append_printf (text, _("%s weights + %s KV cache (%s) + %s buffers + %s runtime = %s."),
                          weights, kv, tokens, buffers, overhead, total);
  g_string_append_c (text, '\n');
}

/* Where the memory comes from: the GPU's and the RAM's free space. */
static char *
describe_room (const BendiFitResult *r,
               const BendiHwInfo    *hw,
               BendiFitWhy           why)
{
  g_autofree char *ram_free = bendi_hw_format_memory (r->ram_free_bytes);
  g_autofree char *gpu_free = bendi_hw_format_memory (r->gpu_free_bytes);
  const BendiHwGpu *gpu = r->gpu >= 0 ? g_ptr_array_index (hw->gpus, r->gpu) : NULL;

  if (gpu == NULL)
    /* TRANSLATORS: %s is an amount of memory, "12.00 GB" */
    return g_strdup_printf (_("No GPU Bendi can use; the RAM has %s free"), ram_free);
  if (why == BENDI_FIT_WHY_FORCED && r->gpu_layers == 0)
    return g_strdup_printf (_("No layers on the GPU, as asked; the RAM has %s free"), ram_free);
  if (gpu->uma)
    /* TRANSLATORS: the first %s is the GPU's name, the second an amount of memory */
    return g_strdup_printf (_("Your integrated GPU (%s) shares the RAM, which has %s free"), gpu->name, ram_free);
  /* TRANSLATORS: the first %s is the GPU's name, then two amounts of memory */
  return g_strdup_printf (_("Your GPU (%s) has %s free; the RAM has %s free"), gpu->name, gpu_free, ram_free);
}

/* The placement, or what is missing. */
static char *
describe_placement (const BendiFitResult *r,
                    BendiFitWhy           why)
{
  g_autofree char *gpu = bendi_hw_format_memory (r->gpu_bytes);
  g_autofree char *ram = bendi_hw_format_memory (r->ram_bytes);
  g_autofree char *missing_gpu = bendi_hw_format_memory (r->missing_gpu_bytes);
  g_autofree char *missing_ram = bendi_hw_format_memory (r->missing_ram_bytes);

  switch (r->verdict)
    {
    case BENDI_FIT_VERDICT_GPU:
      return g_strdup (_("fits entirely on the GPU"));
    case BENDI_FIT_VERDICT_PARTIAL:
      /* TRANSLATORS: "20 of 32 layers on the GPU (3.10 GB), the rest in RAM (1.20 GB)" */
      return g_strdup_printf (_("%d of %d layers on the GPU (%s), the rest in RAM (%s)"),
                              (int) r->gpu_layers, (int) r->n_layers, gpu, ram);
    case BENDI_FIT_VERDICT_CPU:
      if (r->gpu >= 0 && why == BENDI_FIT_WHY_AUTO)
        return g_strdup_printf (_("too little GPU memory for one layer: runs on the CPU (%s in RAM)"), ram);
      /* TRANSLATORS: %s is the memory used, "4.92 GB" */
      return g_strdup_printf (_("runs on the CPU (%s in RAM)"), ram);
    case BENDI_FIT_VERDICT_NO:
    default:
      if (r->missing_gpu_bytes > 0 && r->missing_ram_bytes > 0)
        return g_strdup_printf (_("does not fit: needs %s more GPU memory and %s more RAM"), missing_gpu, missing_ram);
      if (r->missing_gpu_bytes > 0)
        return g_strdup_printf (_("does not fit: needs %s more GPU memory"), missing_gpu);
      /* TRANSLATORS: %s is an amount of memory, "3.10 GB" */
      return g_strdup_printf (_("does not fit: needs %s more RAM"), missing_ram);
    }
}

static void
explain_placement (GString              *text,
                   const BendiFitResult *r,
                   const BendiHwInfo    *hw,
                   BendiFitWhy           why)
{
  g_autofree char *room = describe_room (r, hw, why);
  g_autofree char *placement = describe_placement (r, why);
  const BendiHwGpu *gpu = r->gpu >= 0 ? g_ptr_array_index (hw->gpus, r->gpu) : NULL;

  /* TRANSLATORS: what is free, then where the model goes: "Your GPU (…)
   * has 8.00 GB free; the RAM has 12.00 GB free → fits entirely on the
   * GPU." */
  g_string_append_printf (text, _("%s → %s."), room, placement);
  g_string_append_c (text, '\n');

  if (hw->ram_cgroup_limited)
    {
      g_autofree char *limit = bendi_hw_format_memory (hw->ram_total_bytes);
      g_autofree char *physical = bendi_hw_format_memory (hw->ram_physical_bytes);

      /* TRANSLATORS: a container or sandbox limits the memory: "at most 4.00 GB of the 32.00 GB" */
      g_string_append_printf (text, _("This program may use at most %s of the %s of RAM (a cgroup limit)."),
                              limit, physical);
      g_string_append_c (text, '\n');
    }
  if (gpu != NULL && !gpu->uma && !gpu->has_memory_budget && r->gpu_layers > 0)
    {
      g_string_append (text, _("The GPU driver does not say how much of its memory other programs use: all of it "
                               "was counted as free."));
      g_string_append_c (text, '\n');
    }
}

/* "30.0 GB/s × 80% ÷ 0.58 GB per token ≈ 41 tokens/s at most." */
static void
explain_speed (GString              *text,
               const BendiFitResult *r)
{
  guint64 cpu_read = r->bytes_per_token - r->gpu_bytes_per_token;
  g_autofree char *tokens_per_s = format_tokens_per_s (r->est_gen_tokens_per_s);
  g_autofree char *cpu_bw = format_gbps (r->cpu_bandwidth_gbps);
  g_autofree char *gpu_bw = format_gbps (r->gpu_bandwidth_gbps);
  g_autofree char *cpu_bytes = bendi_hw_format_memory (cpu_read);
  g_autofree char *gpu_bytes = bendi_hw_format_memory (r->gpu_bytes_per_token);
  int cpu_percent = (int) (r->cpu_efficiency * 100.0 + 0.5);
  int gpu_percent = (int) (r->gpu_efficiency * 100.0 + 0.5);

  if (r->verdict == BENDI_FIT_VERDICT_NO)
    return;
  if (r->est_gen_tokens_per_s <= 0.0)
    g_string_append (text, _("Speed unknown until the memory bandwidth is measured (bendi-cli hw --measure)."));
  else if (r->gpu_bytes_per_token == 0)
    /* TRANSLATORS: the speed limit set by memory bandwidth: "CPU: 30.0 GB/s × 80% ÷ 0.58 GB per token ≈ 41
     * tokens/s at most." */
    g_string_append_printf (text, _("CPU: %s × %d%% ÷ %s per token ≈ %s tokens/s at most."),
                            cpu_bw, cpu_percent, cpu_bytes, tokens_per_s);
  else if (cpu_read == 0)
    g_string_append_printf (text, _("GPU: %s × %d%% ÷ %s per token ≈ %s tokens/s at most."),
                            gpu_bw, gpu_percent, gpu_bytes, tokens_per_s);
  else
    /* TRANSLATORS: the bytes each device reads per token at its speed:
     * "GPU: 3.10 GB at 448.0 GB/s × 85% + CPU: 1.20 GB at 30.0 GB/s × 80% ≈ 16 tokens/s at most." */
    g_string_append_printf (text, _("GPU: %s at %s × %d%% + CPU: %s at %s × %d%% ≈ %s tokens/s at most."),
                            gpu_bytes, gpu_bw, gpu_percent, cpu_bytes, cpu_bw, cpu_percent, tokens_per_s);
  g_string_append_c (text, '\n');
}

char *
bendi_fit_describe_server (const BendiFitResult *r)
{
  g_autofree char *total = NULL;
  guint64 needed = 0;
  guint gpu_gb = 0;
  guint n_gpus;

  bendi_hw_ensure_i18n ();
  n_gpus = bendi_fit_server_gpus (r, &gpu_gb, &needed);
  total = bendi_hw_format_memory (needed);
  if (n_gpus == 1)
    /* TRANSLATORS: a model too big for this computer: the memory it needs
     * ("42.10 GB") and the size of one GPU that holds it ("48"). Preferences
     * → Connections is where the app adds a server. */
    return g_strdup_printf (_("Needs about %s: one %u GB GPU — run it with vLLM or llama-server on a server and add "
                              "it under Preferences → Connections."), total, gpu_gb);
  /* TRANSLATORS: the memory a model needs ("141.20 GB"), then how many GPUs
   * of what size ("2 × 80 GB GPUs") */
  return g_strdup_printf (_("Needs about %s: %u × %u GB GPUs — run it with vLLM or llama-server on a server and add "
                            "it under Preferences → Connections."), total, n_gpus, gpu_gb);
}

char *
bendi_fit_explain (const BendiFitResult *r,
                   const BendiFitModel  *model,
                   const BendiHwInfo    *hw,
                   BendiFitWhy           why)
{
  g_autoptr (GString) text = g_string_new (NULL);
  gint64 n_experts = bendi_fit_model_get_expert_count (model);

  bendi_hw_ensure_i18n ();

  explain_memory (text, r);
  explain_placement (text, r, hw, why);
  if (n_experts > 0)
    {
      g_autofree char *read = bendi_hw_format_memory (r->bytes_per_token);
      g_autofree char *weights = bendi_hw_format_memory (r->weights_bytes);

      /* TRANSLATORS: a mixture-of-experts model: "2 of 8 experts per token, so 12.90 GB of the 46.70 GB …" */
      g_string_append_printf (text, _("Mixture of experts: %d of %d experts per token, so %s of the %s of weights are "
                                      "read per token."),
                              (int) bendi_fit_model_get_expert_used_count (model), (int) n_experts, read, weights);
      g_string_append_c (text, '\n');
    }
  explain_speed (text, r);
  /* A model that fits nowhere here may on a server; a forced GPU layer
   * count that does not fit is only a wrong setting. */
  if (r->verdict == BENDI_FIT_VERDICT_NO && why != BENDI_FIT_WHY_FORCED)
    {
      g_autofree char *server = bendi_fit_describe_server (r);

      g_string_append (text, server);
      g_string_append_c (text, '\n');
    }
  if (!r->engine_supported)
    {
      /* TRANSLATORS: %s is the engine's reason, in English */
      g_string_append_printf (text, _("Bendi cannot run this model yet: %s"),
                              bendi_fit_model_get_unsupported_reason (model));
      g_string_append_c (text, '\n');
    }
  /* No trailing newline. */
  if (text->len > 0)
    g_string_truncate (text, text->len - 1);
  return g_string_free (g_steal_pointer (&text), FALSE);
}
