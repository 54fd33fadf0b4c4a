/* SPDX-License-Identifier: MIT */
/* Conversations: branches, the saved JSON and its checks, exports, atomic saves and the journal that survives a crash. */
#include <glib/gstdio.h>
#include <locale.h>

#include "conversation-store.h"
#include "test-util.h"

/* user "Hi" → assistant "Hello!"; then "Hi" edited to "Hey" and answered
 * twice (a regeneration). */
static BendiConversation *
build_branched (BendiChatMessage **out_first_user,
                BendiChatMessage **out_edited_user)
{
  BendiConversation *conversation = bendi_conversation_new ();
  BendiChatMessage *user, *edited, *reply;

  user = bendi_conversation_add_message (conversation, NULL, "user", "Hi");
  reply = bendi_conversation_add_message (conversation, user, "assistant", "Hello!");
  bendi_chat_message_set_model (reply, "stories260K.gguf");
  edited = bendi_conversation_add_message (conversation, NULL, "user", "Hey");
  reply = bendi_conversation_add_message (conversation, edited, "assistant", "First answer");
  bendi_chat_message_set_reasoning (reply, "They said hey.");
  bendi_chat_message_set_stats (reply, 3, 12.5, 20);
  reply = bendi_conversation_add_message (conversation, edited, "assistant", "Second answer");
  bendi_chat_message_set_status (reply, BENDI_MESSAGE_STOPPED);
  bendi_chat_message_set_error (reply, "stopped");
  if (out_first_user != NULL)
    *out_first_user = user;
  if (out_edited_user != NULL)
    *out_edited_user = edited;
  return conversation;
}

static char *
thread_text (BendiConversation *conversation)
{
  g_autoptr (GPtrArray) thread = bendi_conversation_get_thread (conversation);
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < thread->len; i++)
    {
      if (i > 0)
        g_string_append (text, " | ");
      g_string_append (text, bendi_chat_message_get_content (g_ptr_array_index (thread, i)));
    }
  return g_string_free (text, FALSE);
}

static void
count_cb (gpointer user_data)
{
  (*(guint *) user_data)++;
}

static void
test_branches (void)
{
  g_autoptr (BendiConversation) conversation = NULL;
  BendiChatMessage *user, *edited, *first_reply;
  g_autofree char *text = NULL;
  guint changes = 0;

  conversation = build_branched (&user, &edited);
  g_signal_connect_swapped (conversation, "thread-changed", G_CALLBACK (count_cb), &changes);

  /* The newest branch is shown: the edit and its regenerated answer. */
  text = thread_text (conversation);
  g_assert_cmpstr (text, ==, "Hey | Second answer");
  g_assert_cmpuint (bendi_conversation_get_n_alternatives (conversation, edited), ==, 2);
  g_assert_cmpuint (bendi_conversation_get_alternative_index (conversation, edited), ==, 1);
  g_assert_cmpuint (bendi_conversation_get_n_alternatives (conversation, bendi_conversation_get_last (conversation)),
                    ==, 2);
  g_assert_cmpuint (bendi_conversation_get_alternative_index (conversation,
                                                              bendi_conversation_get_last (conversation)), ==, 1);

  /* ‹ 1/2 › on the reply: the first answer to "Hey". */
  bendi_conversation_select_alternative (conversation, bendi_conversation_get_last (conversation), 0);
  g_clear_pointer (&text, g_free);
  text = thread_text (conversation);
  g_assert_cmpstr (text, ==, "Hey | First answer");
  g_assert_cmpuint (changes, ==, 1);

  /* ‹ 1/2 › on the user message: the original question and its answer. */
  bendi_conversation_select_alternative (conversation, edited, 0);
  g_clear_pointer (&text, g_free);
  text = thread_text (conversation);
  g_assert_cmpstr (text, ==, "Hi | Hello!");
  first_reply = bendi_conversation_get_last (conversation);
  g_assert_cmpuint (bendi_conversation_get_n_alternatives (conversation, first_reply), ==, 1);

  /* Back to the edit: the answer chosen there is remembered. */
  bendi_conversation_select_alternative (conversation, user, 1);
  g_clear_pointer (&text, g_free);
  text = thread_text (conversation);
  g_assert_cmpstr (text, ==, "Hey | First answer");
  g_assert_cmpuint (changes, ==, 3);

  /* Choosing what is shown, or what does not exist, changes nothing. */
  bendi_conversation_select_alternative (conversation, user, 1);
  bendi_conversation_select_alternative (conversation, user, 7);
  g_assert_cmpuint (changes, ==, 3);
  g_assert_cmpuint (bendi_conversation_get_n_messages (conversation), ==, 5);
}

static void
assert_same_conversation (BendiConversation *a,
                          BendiConversation *b)
{
  g_autofree char *text_a = thread_text (a);
  g_autofree char *text_b = thread_text (b);

  g_assert_cmpstr (bendi_conversation_get_id (a), ==, bendi_conversation_get_id (b));
  g_assert_cmpstr (bendi_conversation_get_title (a), ==, bendi_conversation_get_title (b));
  g_assert_cmpstr (bendi_conversation_get_system_prompt (a), ==, bendi_conversation_get_system_prompt (b));
  g_assert_cmpstr (bendi_conversation_get_model (a), ==, bendi_conversation_get_model (b));
  g_assert_cmpint (bendi_conversation_get_created (a), ==, bendi_conversation_get_created (b));
  g_assert_cmpint (bendi_conversation_get_updated (a), ==, bendi_conversation_get_updated (b));
  g_assert_cmpstr (text_a, ==, text_b);
  g_assert_cmpuint (bendi_conversation_get_n_messages (a), ==, bendi_conversation_get_n_messages (b));
  for (guint id = 1; id <= bendi_conversation_get_n_messages (a); id++)
    {
      BendiChatMessage *ma = bendi_conversation_lookup (a, id);
      BendiChatMessage *mb = bendi_conversation_lookup (b, id);

      g_assert_cmpuint (bendi_chat_message_get_parent_id (ma), ==, bendi_chat_message_get_parent_id (mb));
      g_assert_cmpstr (bendi_chat_message_get_role (ma), ==, bendi_chat_message_get_role (mb));
      g_assert_cmpstr (bendi_chat_message_get_content (ma), ==, bendi_chat_message_get_content (mb));
      g_assert_cmpstr (bendi_chat_message_get_reasoning (ma), ==, bendi_chat_message_get_reasoning (mb));
      g_assert_cmpstr (bendi_chat_message_get_model (ma), ==, bendi_chat_message_get_model (mb));
      g_assert_cmpstr (bendi_chat_message_get_error (ma), ==, bendi_chat_message_get_error (mb));
      g_assert_cmpint (bendi_chat_message_get_status (ma), ==, bendi_chat_message_get_status (mb));
      g_assert_cmpint (bendi_chat_message_get_created (ma), ==, bendi_chat_message_get_created (mb));
      g_assert_cmpint (bendi_chat_message_get_n_tokens (ma), ==, bendi_chat_message_get_n_tokens (mb));
      g_assert_cmpfloat (bendi_chat_message_get_tokens_per_second (ma), ==,
                         bendi_chat_message_get_tokens_per_second (mb));
      g_assert_cmpint (bendi_chat_message_get_n_context_tokens (ma), ==, bendi_chat_message_get_n_context_tokens (mb));
      g_assert_cmpuint (bendi_conversation_get_alternative_index (a, ma), ==,
                        bendi_conversation_get_alternative_index (b, mb));
    }
}

static void
test_json_round_trip (void)
{
  g_autoptr (BendiConversation) conversation = build_branched (NULL, NULL);
  g_autoptr (BendiConversation) copy = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GError) error = NULL;

  bendi_conversation_set_title (conversation, "  Greetings 你好  ");
  g_assert_cmpstr (bendi_conversation_get_title (conversation), ==, "Greetings 你好");
  bendi_conversation_set_system_prompt (conversation, "Be brief.");
  bendi_conversation_set_model (conversation, "/models/stories260K.gguf");
  /* A branch other than the newest is shown. */
  bendi_conversation_select_alternative (conversation, bendi_conversation_get_last (conversation), 0);

  node = bendi_conversation_to_json (conversation);
  copy = bendi_conversation_new_from_json (node, &error);
  g_assert_no_error (error);
  assert_same_conversation (conversation, copy);
}

static void
test_json_invalid (void)
{
  static const char *const bad[] = {
    "[]",
    "{\"format\": \"something-else\", \"version\": 1, \"id\": \"a\", \"messages\": []}",
    "{\"format\": \"bendi-conversation\", \"version\": 2, \"id\": \"a\", \"messages\": []}",
    "{\"format\": \"bendi-conversation\", \"version\": 1, \"id\": \"../../etc/passwd\", \"messages\": []}",
    "{\"format\": \"bendi-conversation\", \"version\": 1, \"messages\": []}",
    "{\"format\": \"bendi-conversation\", \"version\": 1, \"id\": \"a\"}",
    "{\"format\": \"bendi-conversation\", \"version\": 1, \"id\": \"a\", \"messages\": {}}",
    "{\"format\": \"bendi-conversation\", \"version\": 1, \"id\": \"a\", \"title\": 5, \"messages\": []}",
    "{\"format\": \"bendi-conversation\", \"version\": 1, \"id\": \"a\", \"created\": -1, \"messages\": []}",
    /* Ids out of order, a parent after its child, a parent that is itself. */
    "{\"format\": \"bendi-conversation\", \"version\": 1, \"id\": \"a\", \"messages\": "
    "[{\"id\": 2, \"parent\": 0, \"role\": \"user\", \"content\": \"x\"}]}",
    "{\"format\": \"bendi-conversation\", \"version\": 1, \"id\": \"a\", \"messages\": "
    "[{\"id\": 1, \"parent\": 2, \"role\": \"user\", \"content\": \"x\"},"
    " {\"id\": 2, \"parent\": 0, \"role\": \"user\", \"content\": \"y\"}]}",
    "{\"format\": \"bendi-conversation\", \"version\": 1, \"id\": \"a\", \"messages\": "
    "[{\"id\": 1, \"parent\": 1, \"role\": \"user\", \"content\": \"x\"}]}",
    "{\"format\": \"bendi-conversation\", \"version\": 1, \"id\": \"a\", \"messages\": "
    "[{\"id\": 1, \"role\": \"user\", \"content\": \"x\"}]}",
    "{\"format\": \"bendi-conversation\", \"version\": 1, \"id\": \"a\", \"messages\": "
    "[{\"id\": 1, \"parent\": 0, \"role\": \"system\", \"content\": \"x\"}]}",
    "{\"format\": \"bendi-conversation\", \"version\": 1, \"id\": \"a\", \"messages\": "
    "[{\"id\": 1, \"parent\": 0, \"role\": \"user\", \"content\": 7}]}",
    "{\"format\": \"bendi-conversation\", \"version\": 1, \"id\": \"a\", \"messages\": "
    "[{\"id\": 1, \"parent\": 0, \"role\": \"assistant\", \"content\": \"x\", \"status\": \"exploded\"}]}",
    "{\"format\": \"bendi-conversation\", \"version\": 1, \"id\": \"a\", \"messages\": [5]}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (JsonParser) parser = json_parser_new ();
      g_autoptr (GError) error = NULL;
      g_autoptr (BendiConversation) conversation = NULL;

      g_test_message ("case %" G_GSIZE_FORMAT ": %s", i, bad[i]);
      g_assert_true (json_parser_load_from_data (parser, bad[i], -1, NULL));
      conversation = bendi_conversation_new_from_json (json_parser_get_root (parser), &error);
      g_assert_null (conversation);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    }
}

static void
test_damaged_selection (void)
{
  /* A selection that names no child falls back to the last child. */
  const char *json =
    "{\"format\": \"bendi-conversation\", \"version\": 1, \"id\": \"a\", \"selected\": 9, \"messages\": ["
    "{\"id\": 1, \"parent\": 0, \"role\": \"user\", \"content\": \"one\", \"selected\": 1},"
    "{\"id\": 2, \"parent\": 0, \"role\": \"user\", \"content\": \"two\", \"selected\": 3},"
    "{\"id\": 3, \"parent\": 2, \"role\": \"assistant\", \"content\": \"three\"}]}";
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiConversation) conversation = NULL;
  g_autofree char *text = NULL;

  g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
  conversation = bendi_conversation_new_from_json (json_parser_get_root (parser), &error);
  g_assert_no_error (error);
  text = thread_text (conversation);
  g_assert_cmpstr (text, ==, "two | three");
}

static void
test_display_title (void)
{
  g_autoptr (BendiConversation) conversation = bendi_conversation_new ();
  g_autofree char *empty = NULL;
  g_autofree char *first_line = NULL;
  g_autofree char *long_title = NULL;
  g_autofree char *titled = NULL;
  g_autofree char *long_text = NULL;
  BendiChatMessage *message;
  GString *builder = g_string_new (NULL);

  empty = bendi_conversation_dup_display_title (conversation);
  g_assert_cmpstr (empty, ==, "New Chat");

  message = bendi_conversation_add_message (conversation, NULL, "user", "\n  What is a token?  \nAnd why?");
  first_line = bendi_conversation_dup_display_title (conversation);
  g_assert_cmpstr (first_line, ==, "What is a token?");

  /* 70 Chinese characters: cut after 60 characters, not bytes. */
  for (int i = 0; i < 70; i++)
    g_string_append (builder, "字");
  long_text = g_string_free (builder, FALSE);
  bendi_chat_message_set_content (message, long_text);
  long_title = bendi_conversation_dup_display_title (conversation);
  g_assert_cmpint (g_utf8_strlen (long_title, -1), ==, 61);
  g_assert_true (g_str_has_suffix (long_title, "字…"));

  bendi_conversation_set_title (conversation, "Tokens");
  titled = bendi_conversation_dup_display_title (conversation);
  g_assert_cmpstr (titled, ==, "Tokens");
}

static void
test_markdown (void)
{
  g_autoptr (BendiConversation) conversation = bendi_conversation_new ();
  g_autofree char *markdown = NULL;
  BendiChatMessage *user, *reply;

  bendi_conversation_set_title (conversation, "Sums");
  bendi_conversation_set_system_prompt (conversation, "Answer with numbers.");
  user = bendi_conversation_add_message (conversation, NULL, "user", "1 + 1?");
  reply = bendi_conversation_add_message (conversation, user, "assistant", "**2**");
  bendi_chat_message_set_model (reply, "qwen3-0.6b.gguf");
  bendi_chat_message_set_reasoning (reply, "One and one.");
  /* A discarded alternative is not exported. */
  bendi_conversation_add_message (conversation, NULL, "user", "ignored");
  bendi_conversation_select_alternative (conversation, user, 0);

  markdown = bendi_conversation_to_markdown (conversation);
  g_assert_cmpstr (markdown, ==,
                   "# Sums\n"
                   "\n"
                   "## System Prompt\n"
                   "\n"
                   "Answer with numbers.\n"
                   "\n"
                   "## You\n"
                   "\n"
                   "1 + 1?\n"
                   "\n"
                   "## qwen3-0.6b.gguf\n"
                   "\n"
                   "<details>\n"
                   "<summary>Reasoning</summary>\n"
                   "\n"
                   "One and one.\n"
                   "\n"
                   "</details>\n"
                   "\n"
                   "**2**\n");
}

static void
test_export_json (void)
{
  g_autoptr (BendiConversation) conversation = build_branched (NULL, NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *json = NULL;
  JsonObject *root;
  JsonArray *messages;

  bendi_conversation_set_system_prompt (conversation, "Be brief.");
  bendi_conversation_set_model (conversation, "/models/stories260K.gguf");
  bendi_conversation_select_alternative (conversation, bendi_conversation_get_last (conversation), 0);
  json = bendi_conversation_export_json (conversation);
  g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
  root = json_node_get_object (json_parser_get_root (parser));
  /* The title comes from the first message written, not the branch shown. */
  g_assert_cmpstr (json_object_get_string_member (root, "title"), ==, "Hi");
  g_assert_cmpstr (json_object_get_string_member (root, "model"), ==, "stories260K.gguf");
  messages = json_object_get_array_member (root, "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 0), "role"), ==, "system");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 1), "content"), ==,
                   "Hey");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 2), "content"), ==,
                   "First answer");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 2), "reasoning_content"),
                   ==, "They said hey.");
}

/* ------------------------------------------------------------------------ */

static void
load_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
  (void) source;
}

/* A fresh store on @dir, loaded. */
static BendiConversationStore *
load_store (const char *dir,
            guint      *n_unreadable)
{
  BendiConversationStore *store = bendi_conversation_store_new (dir);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  guint unreadable = 0;

  bendi_conversation_store_load_async (store, NULL, load_done_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (bendi_conversation_store_load_finish (store, result, &unreadable, &error));
  g_assert_no_error (error);
  if (n_unreadable != NULL)
    *n_unreadable = unreadable;
  return store;
}

static guint
count_files (const char *dir,
             const char *suffix)
{
  g_autoptr (GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    if (g_str_has_suffix (name, suffix))
      n++;
  return n;
}

static void
test_store_save_load (void)
{
  g_autofree char *home = bendi_test_make_temp_dir ();
  g_autofree char *dir = g_build_filename (home, "deep", "conversations", NULL);
  g_autoptr (BendiConversationStore) store = NULL;
  g_autoptr (BendiConversationStore) reloaded = NULL;
  g_autoptr (BendiConversation) older = bendi_conversation_new ();
  g_autoptr (BendiConversation) newer = build_branched (NULL, NULL);
  g_autoptr (BendiConversation) first = NULL;
  guint n_unreadable = 99;

  /* No folder yet is no conversations yet. */
  store = load_store (dir, &n_unreadable);
  g_assert_cmpuint (g_list_model_get_n_items (bendi_conversation_store_get_model (store)), ==, 0);
  g_assert_cmpuint (n_unreadable, ==, 0);

  bendi_conversation_add_message (older, NULL, "user", "Older");
  bendi_conversation_store_add (store, older);
  bendi_conversation_store_add (store, newer);
  bendi_conversation_store_flush (store);
  g_assert_cmpuint (count_files (dir, ".json"), ==, 2);
  /* Only the finished files: no temporary ones left behind. */
  g_assert_cmpuint (count_files (dir, ""), ==, 2);

  reloaded = load_store (dir, &n_unreadable);
  g_assert_cmpuint (n_unreadable, ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (bendi_conversation_store_get_model (reloaded)), ==, 2);
  assert_same_conversation (newer,
                            bendi_conversation_store_lookup (reloaded, bendi_conversation_get_id (newer)));
  assert_same_conversation (older,
                            bendi_conversation_store_lookup (reloaded, bendi_conversation_get_id (older)));

  /* Deleting removes the file. */
  bendi_conversation_store_delete (reloaded, bendi_conversation_store_lookup (reloaded,
                                                                             bendi_conversation_get_id (older)));
  bendi_conversation_store_flush (reloaded);
  g_assert_cmpuint (count_files (dir, ".json"), ==, 1);
  first = g_list_model_get_item (bendi_conversation_store_get_model (reloaded), 0);
  g_assert_cmpstr (bendi_conversation_get_id (first), ==, bendi_conversation_get_id (newer));

  bendi_test_remove_dir (home);
}

static void
test_store_unreadable (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *bad = g_build_filename (dir, "broken.json", NULL);
  g_autoptr (BendiConversationStore) store = NULL;
  g_autofree char *after = NULL;
  guint n_unreadable = 0;

  g_assert_true (g_file_set_contents (bad, "{\"format\": \"bendi-conv", -1, NULL));
  store = load_store (dir, &n_unreadable);
  g_assert_cmpuint (n_unreadable, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (bendi_conversation_store_get_model (store)), ==, 0);
  /* Left as it was, for the user to rescue. */
  g_assert_true (g_file_get_contents (bad, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, "{\"format\": \"bendi-conv");
  bendi_test_remove_dir (dir);
}

/* Starts a reply in a fresh store on @dir and returns the store, as a
 * process that is about to be killed would hold it. */
static BendiConversationStore *
start_reply (const char         *dir,
             BendiConversation **out_conversation,
             gboolean            starts_in_reasoning)
{
  BendiConversationStore *store = bendi_conversation_store_new (dir);
  BendiConversation *conversation = bendi_conversation_new ();
  BendiChatMessage *user, *reply;
  g_autoptr (GError) error = NULL;

  user = bendi_conversation_add_message (conversation, NULL, "user", "Tell me a story");
  bendi_conversation_store_add (store, conversation);
  reply = bendi_conversation_add_message (conversation, user, "assistant", "");
  bendi_chat_message_set_status (reply, BENDI_MESSAGE_STREAMING);
  g_assert_true (bendi_conversation_store_begin_reply (store, conversation, reply, starts_in_reasoning, &error));
  g_assert_no_error (error);
  *out_conversation = conversation;
  return store;
}

static void
test_store_journal_recovery (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autoptr (BendiConversationStore) store = NULL;
  g_autoptr (BendiConversation) conversation = NULL;
  BendiConversation *recovered;
  BendiChatMessage *reply;
  /* "世界" cut after the first byte of 界: the piece being written. */
  const char cut[] = "\xe4\xb8\x96\xe7";

  store = start_reply (dir, &conversation, FALSE);
  bendi_conversation_store_append_reply (store, "Once upon", 9);
  bendi_conversation_store_append_reply (store, " a time ", 8);
  bendi_conversation_store_append_reply (store, cut, sizeof cut - 1);
  /* The process dies here: the journal is closed, never finished. */
  bendi_conversation_store_flush (store);
  g_clear_object (&store);
  g_assert_cmpuint (count_files (dir, ".reply"), ==, 1);

  store = load_store (dir, NULL);
  recovered = bendi_conversation_store_lookup (store, bendi_conversation_get_id (conversation));
  g_assert_nonnull (recovered);
  reply = bendi_conversation_get_last (recovered);
  g_assert_cmpstr (bendi_chat_message_get_role (reply), ==, "assistant");
  g_assert_cmpstr (bendi_chat_message_get_content (reply), ==, "Once upon a time 世");
  g_assert_cmpint (bendi_chat_message_get_status (reply), ==, BENDI_MESSAGE_STOPPED);
  g_assert_nonnull (bendi_chat_message_get_error (reply));
  /* The recovery is saved and the journal gone. */
  g_assert_cmpuint (count_files (dir, ".reply"), ==, 0);
  g_clear_object (&store);
  store = load_store (dir, NULL);
  recovered = bendi_conversation_store_lookup (store, bendi_conversation_get_id (conversation));
  g_assert_cmpstr (bendi_chat_message_get_content (bendi_conversation_get_last (recovered)), ==,
                   "Once upon a time 世");
  bendi_test_remove_dir (dir);
}

static void
test_store_journal_reasoning (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autoptr (BendiConversationStore) store = NULL;
  g_autoptr (BendiConversation) conversation = NULL;
  BendiChatMessage *reply;

  /* The prompt opened the reasoning block (Qwen3, DeepSeek-R1). */
  store = start_reply (dir, &conversation, TRUE);
  bendi_conversation_store_append_reply (store, "Hmm, a story.", 13);
  bendi_conversation_store_append_reply (store, "</think>\n\nOnce", 14);
  g_clear_object (&store);

  store = load_store (dir, NULL);
  reply = bendi_conversation_get_last (bendi_conversation_store_lookup (store,
                                                                       bendi_conversation_get_id (conversation)));
  g_assert_cmpstr (bendi_chat_message_get_reasoning (reply), ==, "Hmm, a story.");
  g_assert_cmpstr (bendi_chat_message_get_content (reply), ==, "Once");
  bendi_test_remove_dir (dir);
}

static void
test_store_journal_stale (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autoptr (BendiConversationStore) store = NULL;
  g_autoptr (BendiConversation) conversation = NULL;
  g_autofree char *journal = NULL;
  g_autofree char *journal_copy = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;
  BendiChatMessage *reply;

  store = start_reply (dir, &conversation, FALSE);
  bendi_conversation_store_append_reply (store, "Once", 4);
  journal = g_strdup_printf ("%s/%s.2.reply", dir, bendi_conversation_get_id (conversation));
  g_assert_true (g_file_get_contents (journal, &contents, &len, NULL));

  /* The reply ends normally… */
  reply = bendi_conversation_get_last (conversation);
  bendi_chat_message_set_content (reply, "Once upon a time.");
  bendi_chat_message_set_status (reply, BENDI_MESSAGE_DONE);
  bendi_conversation_store_end_reply (store, conversation);
  bendi_conversation_store_flush (store);
  g_assert_false (g_file_test (journal, G_FILE_TEST_EXISTS));
  g_clear_object (&store);

  /* …but the process died before the journal was deleted: the saved
   * conversation, which has the whole reply, wins. */
  g_assert_true (g_file_set_contents (journal, contents, (gssize) len, NULL));
  store = load_store (dir, NULL);
  reply = bendi_conversation_get_last (bendi_conversation_store_lookup (store,
                                                                       bendi_conversation_get_id (conversation)));
  g_assert_cmpstr (bendi_chat_message_get_content (reply), ==, "Once upon a time.");
  g_assert_cmpint (bendi_chat_message_get_status (reply), ==, BENDI_MESSAGE_DONE);
  g_assert_false (g_file_test (journal, G_FILE_TEST_EXISTS));
  (void) journal_copy;
  bendi_test_remove_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  /* The exports' headings are translated: test them in English. */
  g_setenv ("LANGUAGE", "C", TRUE);
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/app/conversation/branches", test_branches);
  g_test_add_func ("/app/conversation/json-round-trip", test_json_round_trip);
  g_test_add_func ("/app/conversation/json-invalid", test_json_invalid);
  g_test_add_func ("/app/conversation/damaged-selection", test_damaged_selection);
  g_test_add_func ("/app/conversation/display-title", test_display_title);
  g_test_add_func ("/app/conversation/markdown", test_markdown);
  g_test_add_func ("/app/conversation/export-json", test_export_json);
  g_test_add_func ("/app/conversation-store/save-load", test_store_save_load);
  g_test_add_func ("/app/conversation-store/unreadable", test_store_unreadable);
  g_test_add_func ("/app/conversation-store/journal-recovery", test_store_journal_recovery);
  g_test_add_func ("/app/conversation-store/journal-reasoning", test_store_journal_reasoning);
  g_test_add_func ("/app/conversation-store/journal-stale", test_store_journal_stale);

  return g_test_run ();
}
