/* SPDX-License-Identifier: MIT */
/* The chat runner without a window: the fit check counts with the hardware it is given instead of probing again; and remote mode, against Bendi's own server and a misbehaving stand-in, each outcome saved in the conversation with nothing lost. */
#include <locale.h>

#include <glib/gstdio.h>

#include "chat-runner.h"
#include "vulkan/vk-device.h"
#include "conversation-store.h"
#include "remote-test-server.h"
#include "test-server-util.h"
#include "test-util.h"

/* Seconds: a load onto lavapipe compiles its shaders at their first
 * dispatch, which on a cold shader cache under AddressSanitizer takes
 * over a minute. */
#define LOAD_TIMEOUT_S 300

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
store_loaded_cb (BendiConversationStore *store,
                 GAsyncResult           *result,
                 LoadResult             *load)
{
  load->ok = bendi_conversation_store_load_finish (store, result, NULL, &load->error);
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

/* Where the model runs comes from the engine, not from the request: the
 * CPU backend places no layer on a GPU whatever was asked, and with a
 * Vulkan device (lavapipe in CI) the layers asked for go to it, named as
 * the hardware description names the device. */
static void
test_placement (void)
{
  g_autofree char *path = bendi_test_data_path ("models/stories260K.gguf");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) devices = NULL;
  BendiChatRunner *runner;
  BendiChatPlacement placement;
  BendiHwInfo *hw;
  BendiHwGpu *gpu;
  LoadResult cpu = { FALSE, FALSE, NULL };
  LoadResult vulkan = { FALSE, FALSE, NULL };

  if (path == NULL)
    return;
  runner = bendi_chat_runner_new ();
  bendi_chat_runner_get_placement (runner, &placement);
  g_assert_cmpint (placement.n_layers, ==, 0);

  hw = fake_hardware (G_GUINT64_CONSTANT (8) << 30);
  gpu = bendi_hw_gpu_new ();
  gpu->index = 0;
  gpu->name = g_strdup ("Test GPU");
  gpu->type = BENDI_VK_DEVICE_TYPE_DISCRETE;
  gpu->vram_bytes = gpu->vram_free_bytes = G_GUINT64_CONSTANT (8) << 30;
  gpu->usable = TRUE;
  g_ptr_array_add (hw->gpus, gpu);
  bendi_chat_runner_set_hardware (runner, hw);

  bendi_chat_runner_set_placement (runner, "cpu", 3);
  load (runner, path, &cpu);
  g_assert_no_error (cpu.error);
  bendi_chat_runner_get_placement (runner, &placement);
  g_assert_cmpint (bendi_chat_runner_get_gpu_layers (runner), ==, 3);   /* what was asked */
  g_assert_cmpint (placement.gpu_layers, ==, 0);                        /* what the engine did */
  g_assert_cmpint (placement.n_layers, ==, 5);
  g_assert_cmpint (placement.n_threads, ==, 1);
  g_assert_null (placement.gpu_names);

  devices = bendi_vk_list_devices (&error);
  if (devices == NULL || devices->len == 0 || !((BendiVkDeviceInfo *) g_ptr_array_index (devices, 0))->usable)
    g_test_message ("no usable Vulkan device: the GPU half is skipped");
  else
    {
      bendi_chat_runner_set_placement (runner, "vulkan", 2);
      load (runner, path, &vulkan);
      g_assert_no_error (vulkan.error);
      bendi_chat_runner_get_placement (runner, &placement);
      g_assert_cmpint (placement.gpu_layers, ==, 2);
      g_assert_cmpint (placement.n_layers, ==, 5);
      g_assert_cmpstr (placement.gpu_names, ==, "Test GPU");
    }

  bendi_chat_runner_unload (runner);
  bendi_chat_runner_get_placement (runner, &placement);
  g_assert_cmpint (placement.n_layers, ==, 0);
  g_assert_null (placement.note);
  g_assert_finalize_object (runner);
}

/* ------------------------------------------------------------------------ */
/* Remote mode: the runner and the conversation model as the chat page
 * drives them (the reply journalled as it streams, ended by "done"), and
 * the JSON the store writes. */

#define REPLY_TIMEOUT_S 30

typedef struct
{
  char                   *dir;
  BendiConversationStore *store;
  BendiConversation      *conversation;
  BendiChatRunner        *runner;
  BendiRemoteClient      *client;
  BendiChatMessage       *reply;       /* streaming, or NULL */
  guint                   n_text;
  guint                   stop_after;  /* Stop pressed after this many pieces; 0: never */
  gboolean                done;
  int                     reason;
  GError                 *error;
} Chat;

static void
chat_text_cb (BendiChatRunner *runner,
              const char      *chunk,
              const char      *reasoning,
              const char      *content,
              Chat            *chat)
{
  bendi_conversation_store_append_reply (chat->store, chunk, strlen (chunk));
  bendi_chat_message_set_reasoning (chat->reply, reasoning);
  bendi_chat_message_set_content (chat->reply, content);
  g_assert_cmpint (bendi_chat_runner_get_state (runner), ==, BENDI_CHAT_RUNNER_GENERATING);
  if (++chat->n_text == chat->stop_after)
    bendi_chat_runner_stop (runner);
}

static void
chat_done_cb (BendiChatRunner *runner,
              int              reason,
              const GError    *error,
              const char      *reasoning,
              const char      *content,
              gint64           n_tokens,
              double           tokens_per_second,
              gint64           n_context_tokens,
              Chat            *chat)
{
  g_assert_cmpint (bendi_chat_runner_get_state (runner), ==, BENDI_CHAT_RUNNER_READY);
  bendi_chat_message_end_reply (chat->reply, reason, error, reasoning, content, n_tokens, tokens_per_second,
                                n_context_tokens, bendi_chat_runner_get_n_ctx (runner));
  bendi_conversation_store_end_reply (chat->store, chat->conversation);
  g_clear_error (&chat->error);
  chat->error = error != NULL ? g_error_copy (error) : NULL;
  chat->reason = reason;
  chat->reply = NULL;
  chat->done = TRUE;
}

/* A conversation talking to @model on @url (with @api_key). */
static void
chat_init (Chat       *chat,
           const char *url,
           const char *api_key,
           const char *model,
           gint64      n_ctx)
{
  g_autoptr (GError) error = NULL;

  memset (chat, 0, sizeof (Chat));
  chat->dir = bendi_test_make_temp_dir ();
  chat->store = bendi_conversation_store_new (chat->dir);
  chat->conversation = bendi_conversation_new ();
  chat->client = bendi_remote_client_new (url, api_key, &error);
  g_assert_no_error (error);
  chat->runner = bendi_chat_runner_new ();
  g_signal_connect (chat->runner, "text", G_CALLBACK (chat_text_cb), chat);
  g_signal_connect (chat->runner, "done", G_CALLBACK (chat_done_cb), chat);
  bendi_chat_runner_set_remote (chat->runner, "remote:test/model", chat->client, model, "model on Test", n_ctx);
  g_assert_cmpint (bendi_chat_runner_get_state (chat->runner), ==, BENDI_CHAT_RUNNER_READY);
  g_assert_true (bendi_chat_runner_is_remote (chat->runner));
  g_assert_cmpstr (bendi_chat_runner_get_model_name (chat->runner), ==, "model on Test");
  g_assert_cmpint (bendi_chat_runner_get_n_ctx (chat->runner), ==, n_ctx);
}

static void
chat_clear (Chat *chat)
{
  bendi_conversation_store_flush (chat->store);
  g_clear_error (&chat->error);
  g_assert_finalize_object (chat->runner);
  g_clear_object (&chat->client);
  g_clear_object (&chat->conversation);
  g_assert_finalize_object (chat->store);
  bendi_test_remove_dir (chat->dir);
  g_free (chat->dir);
}

/* Asks for a reply under @parent (a user message), as the page does, and
 * waits for "done". */
static BendiChatMessage *
chat_reply (Chat             *chat,
            BendiChatMessage *parent)
{
  g_autoptr (BendiTemplateValue) messages = bendi_template_value_new_list ();
  g_autoptr (GPtrArray) thread = bendi_conversation_get_thread (chat->conversation);
  g_autoptr (GError) error = NULL;
  BendiGenerateParams params;
  BendiChatMessage *reply;

  for (guint i = 0; i < thread->len; i++)
    {
      BendiChatMessage *message = g_ptr_array_index (thread, i);

      if (*bendi_chat_message_get_content (message) != '\0')
        bendi_chat_messages_append (messages, bendi_chat_message_get_role (message),
                                    bendi_chat_message_get_content (message));
      if (message == parent)
        break;
    }
  reply = bendi_conversation_add_message (chat->conversation, parent, "assistant", "");
  bendi_chat_message_set_status (reply, BENDI_MESSAGE_STREAMING);
  bendi_generate_params_init (&params);
  params.max_tokens = 16;
  chat->reply = reply;
  chat->done = FALSE;
  chat->n_text = 0;
  g_assert_true (bendi_chat_runner_generate (chat->runner, messages, &params, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (bendi_chat_runner_get_state (chat->runner), ==, BENDI_CHAT_RUNNER_GENERATING);
  g_assert_true (bendi_conversation_store_begin_reply (chat->store, chat->conversation, reply, FALSE, &error));
  g_assert_no_error (error);
  wait_for (&chat->done, REPLY_TIMEOUT_S);
  return reply;
}

static BendiChatMessage *
chat_send (Chat       *chat,
           const char *text)
{
  BendiChatMessage *user = bendi_conversation_add_message (chat->conversation,
                                                           bendi_conversation_get_last (chat->conversation),
                                                           "user", text);

  bendi_conversation_store_add (chat->store, chat->conversation);
  return chat_reply (chat, user);
}

/* The conversation as saved, read back by a new store. */
static BendiConversation *
chat_reread (Chat *chat)
{
  g_autoptr (BendiConversationStore) store = NULL;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  LoadResult load = { FALSE, FALSE, NULL };
  BendiConversation *conversation;

  bendi_conversation_store_flush (chat->store);
  path = g_strdup_printf ("%s/%s.json", chat->dir, bendi_conversation_get_id (chat->conversation));
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  store = bendi_conversation_store_new (chat->dir);
  bendi_conversation_store_load_async (store, NULL, (GAsyncReadyCallback) store_loaded_cb, &load);
  wait_for (&load.done, 10);
  conversation = bendi_conversation_store_lookup (store, bendi_conversation_get_id (chat->conversation));
  g_assert_nonnull (conversation);
  return g_object_ref (conversation);
}

/* The user's message and the reply (last in the thread), as saved. */
static void
assert_saved (Chat               *chat,
              const char         *user_text,
              BendiMessageStatus  status,
              const char         *content)
{
  g_autoptr (BendiConversation) saved = chat_reread (chat);
  g_autoptr (GPtrArray) thread = bendi_conversation_get_thread (saved);
  BendiChatMessage *user;
  BendiChatMessage *reply;

  g_assert_cmpuint (thread->len, >=, 2);
  user = g_ptr_array_index (thread, thread->len - 2);
  reply = g_ptr_array_index (thread, thread->len - 1);
  g_assert_true (bendi_chat_message_is_user (user));
  g_assert_cmpstr (bendi_chat_message_get_content (user), ==, user_text);
  g_assert_cmpint (bendi_chat_message_get_status (reply), ==, status);
  g_assert_cmpstr (bendi_chat_message_get_content (reply), ==, content);
}

/* Bendi's own server (stories260K) streams a reply; the numbers come from
 * the stream. */
static void
test_remote_bendi_server (void)
{
  g_autoptr (BendiServer) server = test_server_start (NULL);
  g_autofree char *url = NULL;
  BendiChatMessage *reply;
  Chat chat;

  if (server == NULL)
    return;
  url = g_strdup_printf ("http://127.0.0.1:%u", bendi_server_get_port (server));
  chat_init (&chat, url, NULL, "stories260K", 0);
  reply = chat_send (&chat, "Once upon a time");
  g_assert_no_error (chat.error);
  g_assert_cmpint (chat.reason, ==, BENDI_STOP_REASON_LENGTH);
  g_assert_cmpuint (chat.n_text, >, 1);
  g_assert_cmpstr (bendi_chat_message_get_content (reply), !=, "");
  g_assert_cmpint (bendi_chat_message_get_n_tokens (reply), ==, 16);
  g_assert_cmpfloat (bendi_chat_message_get_tokens_per_second (reply), >, 0.0);
  assert_saved (&chat, "Once upon a time", BENDI_MESSAGE_LENGTH, bendi_chat_message_get_content (reply));
  chat_clear (&chat);
}

static const char *const reasoning_script[] = { "R:Think", "R:ing.", "Hello", ",", " world", "!", NULL };

/* Streaming with reasoning apart; then a regeneration, kept as a second
 * alternative beside the first. */
static void
test_remote_stream (void)
{
  RemoteTestServer *server = remote_test_server_new ();
  BendiChatMessage *first;
  BendiChatMessage *second;
  Chat chat;

  remote_test_server_set_script (server, reasoning_script);
  chat_init (&chat, remote_test_server_get_url (server), NULL, "test-model", 8192);
  first = chat_send (&chat, "Hi");
  g_assert_no_error (chat.error);
  g_assert_cmpint (chat.reason, ==, BENDI_STOP_REASON_STOP);
  g_assert_cmpuint (chat.n_text, ==, 6);
  g_assert_cmpstr (bendi_chat_message_get_content (first), ==, "Hello, world!");
  g_assert_cmpstr (bendi_chat_message_get_reasoning (first), ==, "Thinking.");
  g_assert_cmpint (bendi_chat_message_get_n_tokens (first), >, 0);
  assert_saved (&chat, "Hi", BENDI_MESSAGE_DONE, "Hello, world!");

  second = chat_reply (&chat, bendi_conversation_lookup (chat.conversation,
                                                        bendi_chat_message_get_parent_id (first)));
  g_assert_cmpint (chat.reason, ==, BENDI_STOP_REASON_STOP);
  g_assert_cmpuint (bendi_conversation_get_n_alternatives (chat.conversation, second), ==, 2);
  g_assert_cmpstr (bendi_chat_message_get_content (first), ==, "Hello, world!");
  chat_clear (&chat);
  remote_test_server_free (server);
}

/* Stop mid-stream closes it (the server sees the client leave) and keeps
 * what came. */
static void
test_remote_cancel (void)
{
  RemoteTestServer *server = remote_test_server_new ();
  BendiChatMessage *reply;
  Chat chat;

  remote_test_server_set_delay (server, 100);
  chat_init (&chat, remote_test_server_get_url (server), NULL, "test-model", 8192);
  chat.stop_after = 2;
  reply = chat_send (&chat, "Hi");
  g_assert_no_error (chat.error);
  g_assert_cmpint (chat.reason, ==, BENDI_STOP_REASON_CANCELLED);
  g_assert_cmpstr (bendi_chat_message_get_content (reply), ==, "Hello,");
  assert_saved (&chat, "Hi", BENDI_MESSAGE_STOPPED, "Hello,");
  {
    gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

    while (remote_test_server_count_abandoned (server) == 0 && g_get_monotonic_time () < deadline)
      g_usleep (10000);
    g_assert_cmpuint (remote_test_server_count_abandoned (server), ==, 1);
  }
  chat_clear (&chat);
  remote_test_server_free (server);
}

/* Each failure: ERROR with words for people, the user's message saved,
 * and the reply saved with whatever came. */
static void
assert_failure (Chat             *chat,
                BendiRemoteError  code,
                const char       *words,
                const char       *partial)
{
  BendiChatMessage *reply = chat_send (chat, "Hi");

  g_assert_error (chat->error, BENDI_REMOTE_ERROR, (int) code);
  g_assert_cmpint (chat->reason, ==, BENDI_STOP_REASON_ERROR);
  g_assert_nonnull (strstr (bendi_chat_message_get_error (reply), words));
  g_assert_cmpint (bendi_chat_runner_get_state (chat->runner), ==, BENDI_CHAT_RUNNER_READY);
  assert_saved (chat, "Hi", BENDI_MESSAGE_ERROR, partial);
}

static void
test_remote_unauthorized (void)
{
  RemoteTestServer *server = remote_test_server_new ();
  Chat chat;

  remote_test_server_set_api_key (server, "secret");
  chat_init (&chat, remote_test_server_get_url (server), "wrong", "test-model", 8192);
  assert_failure (&chat, BENDI_REMOTE_ERROR_UNAUTHORIZED, "API key", "");
  chat_clear (&chat);
  /* The right key: the same conversation goes on. */
  chat_init (&chat, remote_test_server_get_url (server), "secret", "test-model", 8192);
  chat_send (&chat, "Hi");
  g_assert_no_error (chat.error);
  chat_clear (&chat);
  remote_test_server_free (server);
}

static void
test_remote_unknown_model (void)
{
  RemoteTestServer *server = remote_test_server_new ();
  Chat chat;

  chat_init (&chat, remote_test_server_get_url (server), NULL, "no-such-model", 0);
  assert_failure (&chat, BENDI_REMOTE_ERROR_MODEL_NOT_FOUND, "no-such-model", "");
  chat_clear (&chat);
  remote_test_server_free (server);
}

/* 429 says when to try again; Retry then answers, as a second
 * alternative beside the failed one. */
static void
test_remote_rate_limited (void)
{
  RemoteTestServer *server = remote_test_server_new ();
  BendiChatMessage *failed;
  BendiChatMessage *retried;
  Chat chat;

  remote_test_server_set_reply (server, REMOTE_TEST_REPLY_RATE_LIMITED);
  chat_init (&chat, remote_test_server_get_url (server), NULL, "test-model", 8192);
  assert_failure (&chat, BENDI_REMOTE_ERROR_RATE_LIMITED, "7 seconds", "");
  failed = bendi_conversation_get_last (chat.conversation);

  remote_test_server_set_reply (server, REMOTE_TEST_REPLY_NORMAL);
  retried = chat_reply (&chat, bendi_conversation_lookup (chat.conversation,
                                                         bendi_chat_message_get_parent_id (failed)));
  g_assert_no_error (chat.error);
  g_assert_cmpstr (bendi_chat_message_get_content (retried), ==, "Hello, world!");
  g_assert_cmpuint (bendi_conversation_get_n_alternatives (chat.conversation, retried), ==, 2);
  assert_saved (&chat, "Hi", BENDI_MESSAGE_DONE, "Hello, world!");
  chat_clear (&chat);
  remote_test_server_free (server);
}

/* The server dies mid-stream: the part that came is kept and saved. */
static void
test_remote_cut (void)
{
  RemoteTestServer *server = remote_test_server_new ();
  Chat chat;

  remote_test_server_set_reply (server, REMOTE_TEST_REPLY_CUT);
  chat_init (&chat, remote_test_server_get_url (server), NULL, "test-model", 8192);
  assert_failure (&chat, BENDI_REMOTE_ERROR_STREAM_CUT, "broke", "Hello, world!");
  chat_clear (&chat);
  remote_test_server_free (server);
}

/* Nobody listens: unreachable, said with the address. */
static void
test_remote_unreachable (void)
{
  RemoteTestServer *server = remote_test_server_new ();
  g_autofree char *url = g_strdup (remote_test_server_get_url (server));
  Chat chat;

  remote_test_server_free (server);
  chat_init (&chat, url, NULL, "test-model", 0);
  assert_failure (&chat, BENDI_REMOTE_ERROR_UNREACHABLE, "127.0.0.1", "");
  chat_clear (&chat);
}

/* A stream that stalls: the read timeout ends it, what came kept. */
static void
test_remote_timeout (void)
{
  RemoteTestServer *server = remote_test_server_new ();
  Chat chat;

  remote_test_server_set_reply (server, REMOTE_TEST_REPLY_STALL);
  chat_init (&chat, remote_test_server_get_url (server), NULL, "test-model", 8192);
  bendi_remote_client_set_timeouts (chat.client, 2000, 500);
  assert_failure (&chat, BENDI_REMOTE_ERROR_TIMEOUT, "in time", "Hello, world!");
  chat_clear (&chat);
  remote_test_server_free (server);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("LANGUAGE", "C", TRUE);
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/app/chat-runner/given-hardware", test_given_hardware);
  g_test_add_func ("/app/chat-runner/placement", test_placement);
  g_test_add_func ("/app/chat-runner/remote-bendi-server", test_remote_bendi_server);
  g_test_add_func ("/app/chat-runner/remote-stream-and-regenerate", test_remote_stream);
  g_test_add_func ("/app/chat-runner/remote-cancel", test_remote_cancel);
  g_test_add_func ("/app/chat-runner/remote-401", test_remote_unauthorized);
  g_test_add_func ("/app/chat-runner/remote-404", test_remote_unknown_model);
  g_test_add_func ("/app/chat-runner/remote-429-and-retry", test_remote_rate_limited);
  g_test_add_func ("/app/chat-runner/remote-cut", test_remote_cut);
  g_test_add_func ("/app/chat-runner/remote-unreachable", test_remote_unreachable);
  g_test_add_func ("/app/chat-runner/remote-timeout", test_remote_timeout);

  return g_test_run ();
}
