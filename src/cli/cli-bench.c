/* SPDX-License-Identifier: MIT */
/* bendi-cli bench: prompt and generation speed, with the machine's memory bandwidth measured in the same run. */
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli-commands.h"
#include "cpu/cpu-features.h"
#include "cpu-bandwidth.h"
#include "gpu-bandwidth.h"
#include "model/context.h"

typedef struct {
  double mean;
  double stddev;
} Rate;

/* Memory read bandwidth windows around each generation run: long enough
 * for the read test's best pass to be the memory's, short beside a run. */
#define BANDWIDTH_WINDOW_SECONDS 0.5

/* Tokens per second over the runs' times. */
static Rate
rate_of (gint64        n_tokens,
         const double *seconds,
         int           n_runs)
{
  double sum = 0.0, sum_sq = 0.0;
  Rate r;

  for (int i = 0; i < n_runs; i++)
    {
      double tps = (double) n_tokens / seconds[i];

      sum += tps;
      sum_sq += tps * tps;
    }
  r.mean = sum / n_runs;
  r.stddev = n_runs > 1 ? sqrt (MAX (0.0, (sum_sq - sum * sum / n_runs) / (n_runs - 1))) : 0.0;
  return r;
}

/* Resident and peak resident memory from /proc/self/status, in bytes. */
static void
read_rss (guint64 *rss,
          guint64 *peak)
{
  g_autofree char *status = NULL;
  const char *p;

  *rss = *peak = 0;
  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return;
  if ((p = strstr (status, "VmRSS:")) != NULL)
    *rss = g_ascii_strtoull (p + 6, NULL, 10) * 1024;
  if ((p = strstr (status, "VmHWM:")) != NULL)
    *peak = g_ascii_strtoull (p + 6, NULL, 10) * 1024;
}

/* The memory read bandwidth with @n_threads threads, best of
 * BANDWIDTH_WINDOW_SECONDS of passes. Its buffer is no part of the
 * model's memory: the peak resident memory so far goes into @peak_rss
 * first, and the kernel's record of it is reset afterwards (Linux
 * clear_refs), so that the peak bench reports stays the model's. */
static double
measure_bandwidth_window (int      n_threads,
                          guint64 *peak_rss)
{
  guint64 rss, peak;
  double gbps;
  FILE *clear_refs;

  read_rss (&rss, &peak);
  *peak_rss = MAX (*peak_rss, peak);
  gbps = bendi_cpu_read_bandwidth_measure (n_threads, 0, BANDWIDTH_WINDOW_SECONDS);
  if ((clear_refs = fopen ("/proc/self/clear_refs", "w")) != NULL)
    {
      fputs ("5", clear_refs);
      fclose (clear_refs);
    }
  return gbps;
}

/* The first @depth of @tokens in the cache, where the tests start (an
 * earlier run's positions after them dropped). */
static gboolean
fill_to_depth (BendiContext     *context,
               const BendiToken *tokens,
               gint64            depth,
               GError          **error)
{
  if (bendi_context_get_n_past (context) >= depth)
    {
      bendi_context_truncate (context, depth);
      return TRUE;
    }
  bendi_context_truncate (context, 0);
  return depth == 0 || bendi_context_decode (context, tokens, depth, FALSE, error);
}

/* @n_prompt tokens in one batch after the first @depth. */
static gboolean
run_prompt (BendiContext     *context,
            const BendiToken *tokens,
            gint64            depth,
            gint64            n_prompt,
            double           *seconds,
            GError          **error)
{
  g_autoptr (GTimer) timer = NULL;

  if (!fill_to_depth (context, tokens, depth, error))
    return FALSE;
  timer = g_timer_new ();
  if (!bendi_context_decode (context, tokens + depth, n_prompt, FALSE, error))
    return FALSE;
  *seconds = g_timer_elapsed (timer, NULL);
  return TRUE;
}

/* The time the hypervisor has taken from this machine's processors
 * ("steal" in /proc/stat, all of them together), in seconds; -1 where it
 * is not told. A thread whose processor is taken holds the others at the
 * next barrier, so a generation run loses that time and more. */
static double
steal_seconds (void)
{
#ifdef _SC_CLK_TCK
  g_autofree char *stat = NULL;
  g_auto (GStrv) fields = NULL;
  long ticks = sysconf (_SC_CLK_TCK);
  char *end;

  if (ticks <= 0 || !g_file_get_contents ("/proc/stat", &stat, NULL, NULL) || !g_str_has_prefix (stat, "cpu "))
    return -1.0;
  end = strchr (stat, '\n');
  if (end != NULL)
    *end = '\0';
  /* cpu user nice system idle iowait irq softirq steal ... */
  fields = g_strsplit_set (stat + 4, " ", -1);
  for (int i = 0, n = 0; fields[i] != NULL; i++)
    if (*fields[i] != '\0' && ++n == 8)
      return (double) g_ascii_strtoull (fields[i], NULL, 10) / (double) ticks;
#endif
  return -1.0;
}

static double
thread_cpu_seconds (void)
{
  struct timespec now;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &now);
  return (double) now.tv_sec + (double) now.tv_nsec * 1e-9;
}

/* n_gen tokens one at a time after the first @depth (from an empty cache
 * where it is 0), as llama-bench's tg test;
 * also each token's time (where @token_seconds is not NULL), the steal
 * time meanwhile (-1 where it is not told), and the CPU time this thread
 * spends per token (on a GPU, what recording and submitting cost: the
 * wait for the device is not CPU time). The GPU times, where taken, are
 * this run's. */
static gboolean
run_generation (BendiContext     *context,
                const BendiToken *tokens,
                gint64            depth,
                gint64            n_gen,
                double           *seconds,
                double           *cpu_seconds,
                double           *steal,
                double           *token_seconds,
                GError          **error)
{
  g_autoptr (GTimer) timer = NULL;
  double cpu_start, steal_start, last = 0.0;

  if (!fill_to_depth (context, tokens, depth, error))
    return FALSE;
  bendi_context_reset_gpu_times (context);
  timer = g_timer_new ();
  cpu_start = thread_cpu_seconds ();
  steal_start = steal_seconds ();
  for (gint64 i = 0; i < n_gen; i++)
    {
      double now;

      if (!bendi_context_decode (context, &tokens[depth + i], 1, FALSE, error))
        return FALSE;
      now = g_timer_elapsed (timer, NULL);
      if (token_seconds != NULL)
        token_seconds[i] = now - last;
      last = now;
    }
  *seconds = g_timer_elapsed (timer, NULL);
  *cpu_seconds = thread_cpu_seconds () - cpu_start;
  *steal = steal_start >= 0 ? MAX (steal_seconds () - steal_start, 0.0) : -1.0;
  return TRUE;
}

typedef struct {
  Rate    pp;
  Rate    tg;
  double  cpu_ms_per_token;
  guint   dispatches_per_token;
  double  last_gen_seconds;       /* the run the GPU times are of */
  /* Where the CPU's memory is the ceiling (measure's @bandwidth_threads):
   * the best read bandwidth of all windows, and each generation run's
   * weights bandwidth as a fraction of the better of the windows just
   * before and just after it, sorted. */
  double  bandwidth;
  double *fractions;             /* n_runs of them */
  guint64 peak_rss;              /* before each window (see measure_bandwidth_window) */
  /* Each generated token's time, all runs', sorted: the tokens/s above is
   * their mean, which a few tokens held up by the host can move. */
  double *token_seconds;
  gsize   n_token_seconds;
  double  steal_seconds;         /* taken by the hypervisor during the runs; -1: not told */
} Measurement;

static void
measurement_clear (Measurement *m)
{
  g_clear_pointer (&m->fractions, g_free);
  g_clear_pointer (&m->token_seconds, g_free);
}

/* The token time that @fraction of the tokens take at most. */
static double
token_seconds_at (const Measurement *m,
                  double             fraction)
{
  return m->n_token_seconds > 0 ? m->token_seconds[(gsize) (fraction * (double) (m->n_token_seconds - 1) + 0.5)] : 0.0;
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Measurement, measurement_clear)

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* A warm-up run of each test, then the measured ones. With
 * @bandwidth_threads > 0, the memory's read bandwidth is measured with
 * that many threads just before and just after each generation run: on a
 * shared machine the bandwidth left to this one drifts over seconds, and a
 * run compared with a measurement taken at another time would be off by
 * the drift, either way. */
static gboolean
measure (BendiContext     *context,
         const BendiToken *tokens,
         gint64            depth,
         gint64            n_prompt,
         gint64            n_gen,
         int               n_runs,
         int               bandwidth_threads,
         Measurement      *m,
         GError          **error)
{
  g_autofree double *pp_seconds = g_new0 (double, n_runs);
  g_autofree double *tg_seconds = g_new0 (double, n_runs);
  double cpu_seconds = 0.0, best_cpu = G_MAXDOUBLE, steal = 0.0;
  gboolean paired = bandwidth_threads > 0 && n_gen > 0;
  gint64 bytes_per_token = (gint64) bendi_model_get_bytes_per_token (bendi_context_get_model (context));

  memset (m, 0, sizeof *m);
  if ((n_prompt > 0 && !run_prompt (context, tokens, depth, MIN (n_prompt, 32), &pp_seconds[0], error)) ||
      (n_gen > 0 &&
       !run_generation (context, tokens, depth, MIN (n_gen, 4), &tg_seconds[0], &cpu_seconds, &steal, NULL, error)))
    return FALSE;
  if (paired)
    m->fractions = g_new0 (double, n_runs);
  m->n_token_seconds = (gsize) n_gen * (gsize) n_runs;
  m->token_seconds = g_new0 (double, MAX (m->n_token_seconds, 1));
  m->steal_seconds = 0.0;
  for (int r = 0; r < n_runs; r++)
    {
      double before = 0.0, after;

      if (n_prompt > 0 && !run_prompt (context, tokens, depth, n_prompt, &pp_seconds[r], error))
        return FALSE;
      if (paired)
        before = measure_bandwidth_window (bandwidth_threads, &m->peak_rss);
      if (n_gen > 0 && !run_generation (context, tokens, depth, n_gen, &tg_seconds[r], &cpu_seconds, &steal,
                                        m->token_seconds + (gsize) r * (gsize) n_gen, error))
        return FALSE;
      m->steal_seconds = steal < 0 || m->steal_seconds < 0 ? -1.0 : m->steal_seconds + steal;
      best_cpu = MIN (best_cpu, cpu_seconds);
      if (!paired)
        continue;
      after = measure_bandwidth_window (bandwidth_threads, &m->peak_rss);
      m->bandwidth = MAX (m->bandwidth, MAX (before, after));
      if (MAX (before, after) > 0)
        m->fractions[r] = (double) n_gen / tg_seconds[r] * (double) bytes_per_token / 1e9 / MAX (before, after);
    }
  if (n_prompt > 0)
    m->pp = rate_of (n_prompt, pp_seconds, n_runs);
  if (n_gen > 0)
    {
      m->tg = rate_of (n_gen, tg_seconds, n_runs);
      m->last_gen_seconds = tg_seconds[n_runs - 1];
      m->cpu_ms_per_token = 1e3 * best_cpu / (double) n_gen;
    }
  if (paired)
    qsort (m->fractions, (gsize) n_runs, sizeof (double), compare_doubles);
  qsort (m->token_seconds, m->n_token_seconds, sizeof (double), compare_doubles);
  m->dispatches_per_token = bendi_context_get_dispatches_per_token (context);
  return TRUE;
}

/* --gpu-profile: the GPU's time per token by kernel, the slowest first,
 * with the read bandwidth of the products. */
static gint
by_time (gconstpointer a,
         gconstpointer b)
{
  double ta = ((const BendiGpuTime *) a)->ns_per_token, tb = ((const BendiGpuTime *) b)->ns_per_token;

  return (ta < tb) - (ta > tb);
}

/* The GB/s a matrix product's dispatches read its weights at (binding 0
 * of the pipelines named so); 0 for other kernels. */
static double
weight_gbps (const BendiGpuTime *kernel)
{
  gboolean product = g_str_has_prefix (kernel->kernel, "matvec") || g_str_has_prefix (kernel->kernel, "matmul");

  return product && kernel->ns_per_token > 0 ? (double) kernel->bytes / kernel->ns_per_token : 0.0;
}

static double
total_ns (const GArray *kernels)
{
  double total = 0.0;

  for (guint i = 0; i < kernels->len; i++)
    total += g_array_index (kernels, BendiGpuTime, i).ns_per_token;
  return total;
}

static void
print_gpu_times (GArray *kernels,
                 double  seconds_per_token)
{
  double total = total_ns (kernels);

  g_array_sort (kernels, by_time);
  printf ("gpu time:    %.3f of the %.3f ms a token took (%.0f%%), by kernel:\n", total / 1e6, seconds_per_token * 1e3,
          seconds_per_token > 0 ? 100.0 * total / (seconds_per_token * 1e9) : 0.0);
  for (guint i = 0; i < kernels->len; i++)
    {
      const BendiGpuTime *k = &g_array_index (kernels, BendiGpuTime, i);
      double gbps = weight_gbps (k);

      printf ("  %8.1f µs %5.1f%% %4u×", k->ns_per_token / 1e3, 100.0 * k->ns_per_token / MAX (total, 1.0),
              k->dispatches);
      if (gbps > 0)
        printf (" %7.1f GB/s", gbps);
      else
        printf ("             ");
      printf ("  %s\n", k->kernel);
    }
}

static void
add_gpu_times (JsonBuilder *b,
               GArray      *kernels)
{
  json_builder_set_member_name (b, "gpu_ms_per_token");
  json_builder_add_double_value (b, total_ns (kernels) / 1e6);
  json_builder_set_member_name (b, "gpu_kernels");
  json_builder_begin_array (b);
  for (guint i = 0; i < kernels->len; i++)
    {
      const BendiGpuTime *k = &g_array_index (kernels, BendiGpuTime, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "kernel");
      json_builder_add_string_value (b, k->kernel);
      json_builder_set_member_name (b, "dispatches_per_token");
      json_builder_add_int_value (b, k->dispatches);
      json_builder_set_member_name (b, "us_per_token");
      json_builder_add_double_value (b, k->ns_per_token / 1e3);
      if (weight_gbps (k) > 0)
        {
          json_builder_set_member_name (b, "weight_gbps");
          json_builder_add_double_value (b, weight_gbps (k));
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

int
bendi_cli_bench (int    argc,
                 char **argv)
{
  g_autofree char *model_path = NULL;
  g_auto (BendiCliBackendOptions) backend = { 0 };
  gint64 n_prompt = 512, n_gen = 128, depth = 0;
  gint n_threads = 0, n_runs = 3;
  gboolean json = FALSE, no_repack = FALSE, compare_cpu = FALSE, gpu_profile = FALSE;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, "Model GGUF file", "FILE" },
    { "prompt", 'p', 0, G_OPTION_ARG_INT64, &n_prompt, "Prompt tokens (default 512; 0 to skip)", "P" },
    { "n-gen", 'n', 0, G_OPTION_ARG_INT64, &n_gen, "Generated tokens (default 128; 0 to skip)", "N" },
    { "depth", 'd', 0, G_OPTION_ARG_INT64, &depth,
      "Tokens already in the cache when each test starts, as after a long conversation (default 0)", "D" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &n_threads, "Threads (default: one per core)", "N" },
    { "repetitions", 'r', 0, G_OPTION_ARG_INT, &n_runs, "Runs of each test (default 3)", "R" },
    { "no-repack", 0, 0, G_OPTION_ARG_NONE, &no_repack, "Keep weights in the file's layout", NULL },
    BENDI_CLI_BACKEND_OPTION_ENTRIES (&backend),
    { "compare-cpu", 0, 0, G_OPTION_ARG_NONE, &compare_cpu, "Measure the CPU backend too, in the same run", NULL },
    { "gpu-profile", 0, 0, G_OPTION_ARG_NONE, &gpu_profile,
      "Time every dispatch of generation on the GPU and print the time per kernel", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { NULL }
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiModel) model = NULL;
  g_autoptr (BendiContext) context = NULL;
  g_autofree BendiToken *tokens = NULL;
  g_autoptr (GArray) gpu_times = NULL;
  BendiContextParams context_params;
  g_auto (Measurement) m = { 0 };
  g_auto (Measurement) cpu = { 0 };
  gboolean on_gpu, all_on_gpu;
  double bandwidth, gen_bandwidth, gen_fraction, gpu_bandwidth = 0.0;
  double median_token, slow_token, median_token_gbps;
  guint64 rss, peak_rss;
  gint64 n_tokens;
  GRand *rand;

  if (!bendi_cli_parse_options (&argc, &argv, "", "Measure prompt processing and generation speed.", entries))
    return BENDI_CLI_EXIT_USAGE;
  if (model_path == NULL || argc != 1 || n_prompt < 0 || n_gen < 0 || depth < 0 ||
      MAX (depth, MAX (n_prompt, n_gen)) > G_MAXINT32 || n_prompt + n_gen == 0 || n_threads < 0 || n_runs < 1)
    {
      bendi_cli_print_error ("bench needs -m FILE, positive -p/-n/-r and a -d of 0 or more");
      return BENDI_CLI_EXIT_USAGE;
    }
  bendi_context_params_init (&context_params);
  if (!bendi_cli_backend_options_parse (&backend, &context_params))
    return BENDI_CLI_EXIT_USAGE;

  model = bendi_cli_load_model (model_path, !no_repack, &error);
  if (model == NULL)
    {
      bendi_cli_print_error ("%s", error->message);
      return BENDI_CLI_EXIT_ERROR;
    }
  context_params.n_ctx = depth + MAX (n_prompt, n_gen) + 1;
  context_params.n_threads = n_threads;
  if (gpu_profile)
    context_params.flags |= BENDI_CONTEXT_GPU_TIMES;
  context = bendi_cli_context_new (model, &context_params, FALSE, &error);
  if (context == NULL)
    {
      bendi_cli_print_error ("%s", error->message);
      return BENDI_CLI_EXIT_ERROR;
    }
  n_threads = bendi_context_get_n_threads (context);
  on_gpu = bendi_context_get_backend (context) == BENDI_BACKEND_VULKAN;
  all_on_gpu = on_gpu && bendi_context_get_n_gpu_layers (context) == bendi_model_get_config (model)->n_layer;

  /* Random tokens: speed does not depend on what they say. */
  n_tokens = depth + MAX (n_prompt, n_gen);
  tokens = g_new (BendiToken, n_tokens);
  rand = g_rand_new_with_seed (42);
  for (gint64 i = 0; i < n_tokens; i++)
    tokens[i] = (BendiToken) g_rand_int_range (rand, 0, (gint32) bendi_model_get_config (model)->n_vocab);
  g_rand_free (rand);

  /* Where the CPU's memory holds weights, its read bandwidth is the
   * generation's ceiling, measured around each run. */
  if (!measure (context, tokens, depth, n_prompt, n_gen, n_runs, all_on_gpu ? 0 : n_threads, &m, &error))
    {
      bendi_cli_print_error ("%s", error->message);
      return BENDI_CLI_EXIT_ERROR;
    }
  gpu_times = bendi_context_get_gpu_times (context);
  if (gpu_profile && gpu_times == NULL)
    g_message ("No GPU times: %s", on_gpu ? "the GPU has no timestamps, or nothing was generated"
                                          : "the model runs on the CPU");
  /* The CPU path beside it, for a ratio that a busy machine does not skew. */
  if (compare_cpu)
    {
      g_autoptr (BendiContext) cpu_context = NULL;

      context_params.backend = BENDI_BACKEND_CPU;
      context_params.n_devices = 0;
      context_params.n_gpu_layers = BENDI_GPU_LAYERS_ALL;
      cpu_context = bendi_context_new (model, &context_params, &error);
      if (cpu_context == NULL || !measure (cpu_context, tokens, depth, n_prompt, n_gen, n_runs, 0, &cpu, &error))
        {
          bendi_cli_print_error ("%s", error->message);
          return BENDI_CLI_EXIT_ERROR;
        }
    }
  read_rss (&rss, &peak_rss);
  peak_rss = MAX (peak_rss, m.peak_rss);

  /* The ceiling for generation on the CPU: how fast these threads can
   * read memory, and the runs' median fraction of it (each against its
   * own windows); where nothing was generated or the GPUs hold every
   * layer, measured once here. */
  bandwidth = m.fractions != NULL ? m.bandwidth : bendi_cpu_read_bandwidth_measure (n_threads, 0, 1.0);
  gen_bandwidth = m.tg.mean * (double) bendi_model_get_bytes_per_token (model) / 1e9;
  if (m.fractions != NULL)
    gen_fraction = (m.fractions[(n_runs - 1) / 2] + m.fractions[n_runs / 2]) / 2;
  else
    gen_fraction = bandwidth > 0 ? gen_bandwidth / bandwidth : 0.0;
  /* The typical token beside the mean: on a shared host a few tokens
   * wait for a processor the hypervisor took, or for memory a neighbour
   * is reading, while the read test's best pass is one that did not. */
  median_token = token_seconds_at (&m, 0.5);
  slow_token = token_seconds_at (&m, 0.9);
  median_token_gbps = median_token > 0 ? (double) bendi_model_get_bytes_per_token (model) / median_token / 1e9 : 0.0;
  /* With the whole model on one GPU, that GPU's: read by a shader that
   * only reads, so that the fraction is of what the memory can do. */
  if (all_on_gpu)
    {
      guint n_devices;
      const guint *devices = bendi_context_get_gpu_devices (context, &n_devices);
      g_autoptr (GError) gpu_error = NULL;

      if (n_devices == 1)
        gpu_bandwidth = bendi_hw_gpu_bandwidth_measure (devices[0], 0, 1.0, &gpu_error);
      if (gpu_error != NULL)
        g_message ("The GPU's read bandwidth was not measured: %s", gpu_error->message);
    }

  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonGenerator) generator = json_generator_new ();
      g_autoptr (JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_begin_object (b);
#define MEMBER_DOUBLE(name, value) (json_builder_set_member_name (b, name), json_builder_add_double_value (b, value))
#define MEMBER_INT(name, value) (json_builder_set_member_name (b, name), json_builder_add_int_value (b, value))
#define MEMBER_STRING(name, value) (json_builder_set_member_name (b, name), json_builder_add_string_value (b, value))
      MEMBER_DOUBLE ("prompt_tokens_per_s", m.pp.mean);
      MEMBER_DOUBLE ("prompt_tokens_per_s_stddev", m.pp.stddev);
      MEMBER_DOUBLE ("gen_tokens_per_s", m.tg.mean);
      MEMBER_DOUBLE ("gen_tokens_per_s_stddev", m.tg.stddev);
      MEMBER_DOUBLE ("gen_bandwidth_gbps", gen_bandwidth);
      MEMBER_DOUBLE ("memory_bandwidth_gbps", bandwidth);
      /* Of the memory that holds the weights: the GPU's when it has them
       * all, else the CPU's. */
      if (gpu_bandwidth > 0)
        {
          MEMBER_DOUBLE ("gpu_bandwidth_gbps", gpu_bandwidth);
          MEMBER_DOUBLE ("gen_bandwidth_fraction", gen_bandwidth / gpu_bandwidth);
        }
      else
        MEMBER_DOUBLE ("gen_bandwidth_fraction", gen_fraction);
      if (m.fractions != NULL)
        {
          json_builder_set_member_name (b, "gen_bandwidth_fractions");
          json_builder_begin_array (b);
          for (int r = 0; r < n_runs; r++)
            json_builder_add_double_value (b, m.fractions[r]);
          json_builder_end_array (b);
          MEMBER_DOUBLE ("gen_median_token_bandwidth_fraction", bandwidth > 0 ? median_token_gbps / bandwidth : 0.0);
        }
      if (n_gen > 0)
        {
          MEMBER_DOUBLE ("gen_token_ms_median", 1e3 * median_token);
          MEMBER_DOUBLE ("gen_token_ms_p90", 1e3 * slow_token);
          if (m.steal_seconds >= 0)
            MEMBER_DOUBLE ("gen_steal_ms", 1e3 * m.steal_seconds);
        }
      MEMBER_INT ("prompt_tokens", n_prompt);
      MEMBER_INT ("gen_tokens", n_gen);
      MEMBER_INT ("depth", depth);
      MEMBER_INT ("threads", n_threads);
      MEMBER_INT ("repetitions", n_runs);
      MEMBER_INT ("model_bytes", (gint64) bendi_model_get_weights_bytes (model));
      MEMBER_INT ("bytes_per_token", (gint64) bendi_model_get_bytes_per_token (model));
      MEMBER_INT ("n_params", bendi_model_get_n_params (model));
      MEMBER_INT ("kv_cache_bytes", (gint64) bendi_context_get_kv_bytes (context));
      MEMBER_INT ("rss_bytes", (gint64) rss);
      MEMBER_INT ("peak_rss_bytes", (gint64) peak_rss);
      MEMBER_STRING ("backend", bendi_backend_name (bendi_context_get_backend (context)));
      MEMBER_STRING ("backend_description", bendi_context_get_backend_description (context));
      MEMBER_INT ("gpu_layers", bendi_context_get_n_gpu_layers (context));
      MEMBER_INT ("dispatches_per_token", m.dispatches_per_token);
      if (on_gpu && bendi_context_get_shader_variants (context) != NULL)
        MEMBER_STRING ("vulkan_variants", bendi_context_get_shader_variants (context));
      MEMBER_DOUBLE ("cpu_ms_per_token", m.cpu_ms_per_token);
      if (gpu_times != NULL)
        add_gpu_times (b, gpu_times);
      if (compare_cpu)
        {
          MEMBER_DOUBLE ("cpu_backend_prompt_tokens_per_s", cpu.pp.mean);
          MEMBER_DOUBLE ("cpu_backend_gen_tokens_per_s", cpu.tg.mean);
          MEMBER_DOUBLE ("gen_speed_vs_cpu_backend", cpu.tg.mean > 0 ? m.tg.mean / cpu.tg.mean : 0.0);
          MEMBER_DOUBLE ("prompt_speed_vs_cpu_backend", cpu.pp.mean > 0 ? m.pp.mean / cpu.pp.mean : 0.0);
        }
#undef MEMBER_DOUBLE
#undef MEMBER_INT
#undef MEMBER_STRING
      json_builder_set_member_name (b, "kernels");
      json_builder_add_string_value (b, bendi_cpu_features_describe (bendi_cpu_features_get ()));
      json_builder_set_member_name (b, "repacked");
      json_builder_add_boolean_value (b, !no_repack);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      json_generator_set_root (generator, root);
      json_generator_set_pretty (generator, TRUE);
      text = json_generator_to_data (generator, NULL);
      printf ("%s\n", text);
    }
  else
    {
      g_autofree char *size = g_format_size (bendi_model_get_weights_bytes (model));
      g_autofree char *rss_text = g_format_size (rss);
      g_autofree char *after = depth > 0 ? g_strdup_printf (" after %" G_GINT64_FORMAT, depth) : g_strdup ("");

      printf ("model:       %s (%s, %.2fB parameters)\n", model_path, size, bendi_model_get_n_params (model) / 1e9);
      if (on_gpu)
        printf ("backend:     %s\n", bendi_context_get_backend_description (context));
      else
        printf ("backend:     cpu, %d threads, %s kernels%s\n", n_threads,
                bendi_cpu_features_describe (bendi_cpu_features_get ()), no_repack ? ", weights not repacked" : "");
      if (n_prompt > 0)
        printf ("prompt:      %8.2f ± %.2f tokens/s  (%" G_GINT64_FORMAT " tokens%s)\n", m.pp.mean, m.pp.stddev, n_prompt,
                after);
      if (n_gen > 0 && on_gpu)
        {
          printf ("generation:  %8.2f ± %.2f tokens/s  (%" G_GINT64_FORMAT " tokens%s), %u dispatches and %.3f ms of "
                  "CPU time per token\n", m.tg.mean, m.tg.stddev, n_gen, after, m.dispatches_per_token,
                  m.cpu_ms_per_token);
          if (gpu_bandwidth > 0)
            printf ("             = %.1f GB/s of weights, %.0f%% of the %.1f GB/s the GPU reads\n", gen_bandwidth,
                    100.0 * gen_bandwidth / gpu_bandwidth, gpu_bandwidth);
        }
      else if (n_gen > 0)
        {
          printf ("generation:  %8.2f ± %.2f tokens/s  (%" G_GINT64_FORMAT " tokens%s) = %.1f GB/s of weights, "
                  "%.0f%% of what this machine reads\n",
                  m.tg.mean, m.tg.stddev, n_gen, after, gen_bandwidth, 100.0 * gen_fraction);
          printf ("             (the median run's, each run against the best of %.1f s of reading just before and "
                  "just after it:", BANDWIDTH_WINDOW_SECONDS);
          for (int r = 0; r < n_runs; r++)
            printf (" %.0f%%", 100.0 * m.fractions[r]);
          printf ("; at best %.1f GB/s)\n", bandwidth);
          printf ("             (a token takes %.1f ms, the median, and 9 in 10 at most %.1f ms: the median token "
                  "reads %.1f GB/s, %.0f%% of the best", 1e3 * median_token, 1e3 * slow_token, median_token_gbps,
                  bandwidth > 0 ? 100.0 * median_token_gbps / bandwidth : 0.0);
          if (m.steal_seconds >= 0)
            printf ("; the hypervisor took %.0f ms of the processors' time during the runs", 1e3 * m.steal_seconds);
          printf (")\n");
        }
      if (compare_cpu)
        printf ("cpu backend: %8.2f tokens/s prompt, %.2f tokens/s generation: %.2f× and %.2f× of it\n",
                cpu.pp.mean, cpu.tg.mean, cpu.pp.mean > 0 ? m.pp.mean / cpu.pp.mean : 0.0,
                cpu.tg.mean > 0 ? m.tg.mean / cpu.tg.mean : 0.0);
      printf ("memory:      %s resident\n", rss_text);
      if (gpu_times != NULL)
        print_gpu_times (gpu_times, m.last_gen_seconds / (double) n_gen);
    }
  return BENDI_CLI_EXIT_OK;
}
