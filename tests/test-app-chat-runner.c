/* SPDX-License-Identifier: MIT */
/* The chat runner without a window: the fit check counts with the hardware it is given instead of probing again. */
#include <locale.h>

#include "chat-runner.h"
#include "test-util.h"

#define LOAD_TIMEOUT_S 60

typedef struct
{
  gboolean done;
  gboolean ok;
  GError  *error;
} LoadResult;

static void
load_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  LoadResult *load = user_data;

  load->ok = bendi_chat_runner_load_finish (BENDI_CHAT_RUNNER (source), result, &load->error);
  load->done = TRUE;
}

static void
wait_for (gboolean *flag,
          double    timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) (timeout_s * G_USEC_PER_SEC);

  while (!*flag)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

/* A computer of @ram_bytes, free, with no GPU. */
static BendiHwInfo *
fake_hardware (guint64 ram_bytes)
{
  BendiHwInfo *hw = bendi_hw_info_new ();

  hw->cpu_model = g_strdup ("Test CPU");
  hw->logical_cores = 2;
  hw->physical_cores = 2;
  hw->ram_physical_bytes = ram_bytes;
  hw->ram_total_bytes = ram_bytes;
  hw->ram_available_bytes = ram_bytes;
  hw->gpu_note = g_strdup ("none in this test");
  return hw;
}

static void
load (BendiChatRunner *runner,
      const char      *path,
      LoadResult      *result)
{
  bendi_chat_runner_load_async (runner, path, 256, 1, NULL, load_cb, result);
  wait_for (&result->done, LOAD_TIMEOUT_S);
}

static void
test_given_hardware (void)
{
  g_autofree char *path = bendi_test_data_path ("models/stories260K.gguf");
  BendiChatRunner *runner;
  LoadResult small = { FALSE, FALSE, NULL };
  LoadResult big = { FALSE, FALSE, NULL };

  if (path == NULL)
    return;
  runner = bendi_chat_runner_new ();

  /* 64 KiB of memory: the 1 MB model cannot fit, and the runner must say
   * so from the description it was given, not from this machine. */
  bendi_chat_runner_set_hardware (runner, fake_hardware (64 * 1024));
  load (runner, path, &small);
  g_assert_false (small.ok);
  g_assert_error (small.error, BENDI_CHAT_ERROR, BENDI_CHAT_ERROR_DOES_NOT_FIT);
  g_assert_cmpint (bendi_chat_runner_get_state (runner), ==, BENDI_CHAT_RUNNER_EMPTY);

  /* 8 GiB: it fits and loads, with the placement asked for. */
  bendi_chat_runner_set_hardware (runner, fake_hardware (G_GUINT64_CONSTANT (8) << 30));
  bendi_chat_runner_set_placement (runner, "cpu", 5);
  load (runner, path, &big);
  g_assert_no_error (big.error);
  g_assert_true (big.ok);
  g_assert_cmpint (bendi_chat_runner_get_state (runner), ==, BENDI_CHAT_RUNNER_READY);
  g_assert_cmpint (bendi_chat_runner_get_gpu_layers (runner), ==, 5);

  g_clear_error (&small.error);
  g_assert_finalize_object (runner);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("LANGUAGE", "C", TRUE);
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/app/chat-runner/given-hardware", test_given_hardware);

  return g_test_run ();
}
