/* SPDX-License-Identifier: MIT */
/* Shader benchmark: the matrix × vector products of a TinyLlama-shaped
 * model on a Vulkan device, one layer's worth per submission, timed with
 * the CPU's own matrix products beside them. Not a test: run it by hand.
 *
 *   perf-vulkan [--type Q4_0] [--device N] [--passes 5] [--portable]
 *               [--layers 1]
 *
 * With --layers N the submission goes through N layers' distinct weights:
 * enough of them (40 of Q4_0) to stream from memory as a whole model's do
 * instead of staying in the last-level cache.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tensor/quant.h"
#include "vulkan/vk-ops.h"

#define N_EMBD 2048
#define N_FF 5632

int
main (int    argc,
      char **argv)
{
  g_autofree char *type_name = NULL;
  gint device_index = 0, passes = 5, n_tokens = 1, n_layers = 1;
  gboolean portable = FALSE;
  GOptionEntry entries[] = {
    { "type", 0, 0, G_OPTION_ARG_STRING, &type_name, "Weight type (default Q4_0)", "T" },
    { "device", 0, 0, G_OPTION_ARG_INT, &device_index, "Vulkan device", "N" },
    { "passes", 0, 0, G_OPTION_ARG_INT, &passes, "Timed passes", "N" },
    { "tokens", 0, 0, G_OPTION_ARG_INT, &n_tokens, "Tokens per product", "N" },
    { "portable", 0, 0, G_OPTION_ARG_NONE, &portable, "Portable shaders only", NULL },
    { "layers", 0, 0, G_OPTION_ARG_INT, &n_layers, "Layers of distinct weights", "N" },
    { NULL }
  };
  g_autoptr (GOptionContext) options = g_option_context_new ("");
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiVkDevice) device = NULL;
  g_autoptr (BendiVkRecorder) rec = NULL;
  g_autoptr (GPtrArray) tensors = g_ptr_array_new_with_free_func ((GDestroyNotify) bendi_vk_tensor_free);
  g_autoptr (BendiVkBuffer) x = NULL;
  g_autoptr (BendiVkBuffer) h = NULL;
  BendiVkDeviceParams params;
  BendiTensorType type = BENDI_TENSOR_TYPE_Q4_0;
  g_autofree guint8 *data = NULL;
  gsize row_bytes;
  g_autoptr (GTimer) timer = g_timer_new ();
  double best = 1e30, best_cpu = 1e30;

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (type_name != NULL && !bendi_tensor_type_from_name (type_name, &type))
    {
      g_printerr ("unknown type %s\n", type_name);
      return 2;
    }
  if (n_layers < 1 || passes < 1 || n_tokens < 1)
    {
      g_printerr ("--layers, --passes and --tokens take positive numbers\n");
      return 2;
    }
  bendi_vk_device_params_init (&params);
  params.portable_only = portable;
  device = bendi_vk_device_new ((guint) device_index, &params, &error);
  if (device == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  bendi_tensor_type_row_bytes (type, N_FF, &row_bytes);
  data = g_malloc0 (row_bytes * N_FF);
  {
    g_autofree float *values = g_new (float, N_FF);
    GRand *rand = g_rand_new_with_seed (1);

    for (gint64 r = 0; r < N_FF; r++)
      {
        gsize rb;

        for (gint64 c = 0; c < N_FF; c++)
          values[c] = (float) g_rand_double_range (rand, -1, 1);
        bendi_tensor_type_row_bytes (type, N_EMBD, &rb);
        bendi_quantize_row (type, values, data + r * rb, N_EMBD);
      }
    g_rand_free (rand);
  }
  /* gate, up, down of each layer */
  for (int i = 0; i < 3 * n_layers; i++)
    {
      gboolean is_down = i % 3 == 2;
      BendiVkTensor *t = bendi_vk_tensor_new (device, type, is_down ? N_FF : N_EMBD, is_down ? N_EMBD : N_FF, &error);

      g_assert_no_error (error);
      g_ptr_array_add (tensors, t);
      bendi_vk_tensor_upload (t, data, NULL, NULL, &error);
      g_assert_no_error (error);
    }
  x = bendi_vk_buffer_new (device, (gsize) N_FF * 4 * n_tokens, BENDI_VK_MEMORY_DEVICE, &error);
  h = bendi_vk_buffer_new (device, (gsize) N_FF * 4 * n_tokens, BENDI_VK_MEMORY_DEVICE, &error);
  g_assert_no_error (error);
  bendi_vk_buffer_clear (x, NULL);
  rec = bendi_vk_recorder_new (device, &error);
  bendi_vk_recorder_begin (rec);
  for (int l = 0; l < n_layers; l++)
    {
      bendi_vk_op_matmul (rec, tensors->pdata[3 * l], x, N_EMBD, h, N_FF, n_tokens, FALSE);
      bendi_vk_op_matmul (rec, tensors->pdata[3 * l + 1], x, N_EMBD, h, N_FF, n_tokens, FALSE);
      bendi_vk_op_matmul (rec, tensors->pdata[3 * l + 2], h, N_FF, x, N_EMBD, n_tokens, FALSE);
    }
  bendi_vk_recorder_end (rec, &error);
  g_assert_no_error (error);
  for (int p = 0; p < passes + 1; p++)
    {
      double t;
      struct timespec c0, c1;

      clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &c0);
      g_timer_start (timer);
      bendi_vk_recorder_submit_and_wait (rec, &error);
      g_assert_no_error (error);
      t = g_timer_elapsed (timer, NULL);
      clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &c1);
      if (p > 0)
        {
          best = MIN (best, t);
          best_cpu = MIN (best_cpu, (c1.tv_sec - c0.tv_sec) + (c1.tv_nsec - c0.tv_nsec) * 1e-9);
        }
    }
  printf ("%s: %d products of 11.5 M weights, %d tokens: %.2f ms (%.2f ms CPU), %.2f G weights/s\n",
          bendi_tensor_type_name (type), 3 * n_layers, n_tokens, best * 1e3, best_cpu * 1e3,
          3.0 * n_layers * N_EMBD * N_FF * n_tokens / best / 1e9);
  return 0;
}
