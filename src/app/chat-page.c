/* SPDX-License-Identifier: MIT */
/* The Chat page: the thread of the conversation shown, the model it talks to, and replies streamed into the thread and the journal. */
#define G_LOG_DOMAIN "bendi-app"

#include "chat-page-private.h"

#include <glib/gi18n.h>

#include "app-state.h"
#include "message-row.h"
#include "window.h"

/* The context meter turns orange, then red, past these shares. */
#define CONTEXT_WARNING 0.8
#define CONTEXT_FULL 0.95
/* Within this many pixels of the end counts as at the end. */
#define STICK_MARGIN 48.0

G_DEFINE_FINAL_TYPE (BendiChatPage, bendi_chat_page, BENDI_TYPE_PAGE)

static void
toast (BendiChatPage *self,
       const char    *text)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (BENDI_IS_WINDOW (root))
    bendi_window_add_toast (BENDI_WINDOW (root), adw_toast_new (text));
}

static char *
format_count (gint64 n)
{
  return g_strdup_printf ("%'" G_GINT64_FORMAT, n);
}

/* ------------------------------------------------------------------------ */
/* The thread */

static void
row_regenerate_cb (BendiChatPage   *self,
                   BendiMessageRow *row);
static void
row_edit_submitted_cb (BendiChatPage   *self,
                       const char      *text,
                       BendiMessageRow *row);

static GtkWidget *
create_row (BendiChatPage    *self,
            BendiChatMessage *message)
{
  GtkWidget *row = bendi_message_row_new (self->conversation, message);

  g_signal_connect_swapped (row, "regenerate", G_CALLBACK (row_regenerate_cb), self);
  g_signal_connect_swapped (row, "edit-submitted", G_CALLBACK (row_edit_submitted_cb), self);
  bendi_message_row_set_busy (BENDI_MESSAGE_ROW (row),
                              bendi_chat_runner_get_state (self->runner) == BENDI_CHAT_RUNNER_GENERATING);
  return row;
}

/* Makes the rows follow the thread, keeping those of the common start. */
static void
sync_rows (BendiChatPage *self)
{
  g_autoptr (GPtrArray) thread = NULL;
  GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->message_box));
  guint i = 0;

  thread = self->conversation != NULL ? bendi_conversation_get_thread (self->conversation)
                                      : g_ptr_array_new ();
  for (; i < thread->len && child != NULL; i++)
    {
      if (bendi_message_row_get_message (BENDI_MESSAGE_ROW (child)) != g_ptr_array_index (thread, i))
        break;
      /* Alternatives below it may have changed: ‹ n/m › again. */
      bendi_message_row_sync (BENDI_MESSAGE_ROW (child));
      child = gtk_widget_get_next_sibling (child);
    }
  while (child != NULL)
    {
      GtkWidget *next = gtk_widget_get_next_sibling (child);
      GtkRoot *root = gtk_widget_get_root (child);
      GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;

      /* The focus must not go down with the row (an edit's text, a ‹ ›
       * button): GTK 4.8 keeps a dangling pointer to it otherwise. The
       * composer is where the user goes next anyway. */
      if (focus != NULL && (focus == child || gtk_widget_is_ancestor (focus, child)))
        gtk_widget_grab_focus (bendi_chat_composer_get_text_view (self->composer));
      gtk_box_remove (self->message_box, child);
      child = next;
    }
  for (; i < thread->len; i++)
    gtk_box_append (self->message_box, create_row (self, g_ptr_array_index (thread, i)));

  gtk_stack_set_visible_child_name (self->chat_stack, thread->len > 0 ? "messages" : "start");
}

static void
set_rows_busy (BendiChatPage *self,
               gboolean       busy)
{
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->message_box));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    bendi_message_row_set_busy (BENDI_MESSAGE_ROW (child), busy);
}

static void
scroll_to_end (BendiChatPage *self)
{
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);

  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment));
}

/* The content grew: follow it if the user was at the end. */
static void
scroll_upper_changed_cb (BendiChatPage *self)
{
  if (self->stick_to_bottom)
    scroll_to_end (self);
}

static void
scroll_value_changed_cb (BendiChatPage *self,
                         GtkAdjustment *adjustment)
{
  self->stick_to_bottom = gtk_adjustment_get_value (adjustment) + gtk_adjustment_get_page_size (adjustment) >=
                          gtk_adjustment_get_upper (adjustment) - STICK_MARGIN;
}

static void
update_context_meter (BendiChatPage *self)
{
  gint64 n_ctx = bendi_chat_runner_get_n_ctx (self->runner);
  gint64 used = 0;
  BendiChatMessage *last = self->conversation != NULL ? bendi_conversation_get_last (self->conversation) : NULL;

  if (last != NULL && !bendi_chat_message_is_user (last))
    used = bendi_chat_message_get_n_context_tokens (last);
  gtk_widget_set_visible (GTK_WIDGET (self->context_meter), n_ctx > 0);
  if (n_ctx <= 0)
    {
      gtk_label_set_label (self->context_label, "");
      return;
    }
  {
    g_autofree char *used_text = format_count (used);
    g_autofree char *n_ctx_text = format_count (n_ctx);
    /* TRANSLATORS: how much of the context a conversation fills, "812 of 4,096 tokens" */
    g_autofree char *text = g_strdup_printf (_("%s of %s tokens"), used_text, n_ctx_text);

    gtk_label_set_label (self->context_label, text);
    gtk_level_bar_set_value (self->context_meter, MIN (1.0, (double) used / (double) n_ctx));
  }
}

static void
thread_changed_cb (BendiChatPage *self)
{
  sync_rows (self);
  update_context_meter (self);
  bendi_chat_page_update_title (self);
}

void
bendi_chat_page_update_title (BendiChatPage *self)
{
  g_autofree char *title = NULL;
  const char *model = bendi_chat_runner_get_model_name (self->runner);

  title = self->conversation != NULL ? bendi_conversation_dup_display_title (self->conversation)
                                     : g_strdup (_("New Chat"));
  adw_window_title_set_title (self->model_title, title);
  adw_window_title_set_subtitle (self->model_title, model != NULL ? model : _("No model loaded"));
}

void
bendi_chat_page_show_conversation (BendiChatPage     *self,
                                   BendiConversation *conversation)
{
  g_return_if_fail (BENDI_IS_CHAT_PAGE (self));
  g_return_if_fail (BENDI_IS_CONVERSATION (conversation));

  if (self->conversation == conversation)
    return;
  if (self->conversation != NULL)
    g_signal_handlers_disconnect_by_data (self->conversation, self);
  g_set_object (&self->conversation, conversation);
  g_signal_connect_swapped (conversation, "thread-changed", G_CALLBACK (thread_changed_cb), self);
  g_signal_connect_swapped (conversation, "notify::title", G_CALLBACK (bendi_chat_page_update_title), self);

  /* A conversation's own system prompt wins over the model's default. */
  if (bendi_conversation_get_n_messages (conversation) > 0)
    g_object_set (self->chat_settings, "system-prompt",
                  bendi_conversation_get_system_prompt (conversation) != NULL
                    ? bendi_conversation_get_system_prompt (conversation) : "",
                  NULL);

  /* Rows of the last conversation share no messages with this one. */
  while (gtk_widget_get_first_child (GTK_WIDGET (self->message_box)) != NULL)
    gtk_box_remove (self->message_box, gtk_widget_get_first_child (GTK_WIDGET (self->message_box)));
  self->stick_to_bottom = TRUE;
  thread_changed_cb (self);
  scroll_to_end (self);
  bendi_chat_page_sidebar_select (self, conversation);
  if (bendi_conversation_store_lookup (self->store, bendi_conversation_get_id (conversation)) != NULL)
    g_settings_set_string (self->settings, "chat-conversation", bendi_conversation_get_id (conversation));
}

void
bendi_chat_page_new_conversation (BendiChatPage *self)
{
  g_autoptr (BendiConversation) conversation = NULL;

  g_return_if_fail (BENDI_IS_CHAT_PAGE (self));

  /* An empty conversation is reused rather than stacked up. */
  if (self->conversation != NULL && bendi_conversation_get_n_messages (self->conversation) == 0)
    {
      gtk_widget_grab_focus (GTK_WIDGET (self->composer));
      return;
    }
  conversation = bendi_conversation_new ();
  bendi_chat_page_show_conversation (self, conversation);
  gtk_widget_grab_focus (GTK_WIDGET (self->composer));
}

/* ------------------------------------------------------------------------ */
/* Loading a model */

/* Whether @path (may be NULL) names a model a load can start on: a file
 * that is there, or a remote model. */
static gboolean
can_load (const char *path)
{
  return path != NULL && *path != '\0' &&
         (g_file_test (path, G_FILE_TEST_IS_REGULAR) || bendi_remote_model_path_parse (path, NULL, NULL));
}

static void
update_start_page (BendiChatPage *self)
{
  BendiChatRunnerState state = bendi_chat_runner_get_state (self->runner);
  g_autofree char *last = g_settings_get_string (self->settings, "chat-model");
  g_autofree char *description = NULL;
  gboolean offer_last = FALSE;

  switch (state)
    {
    case BENDI_CHAT_RUNNER_LOADING:
      description = g_strdup (_("Loading the model…"));
      break;
    case BENDI_CHAT_RUNNER_READY:
    case BENDI_CHAT_RUNNER_GENERATING:
      if (bendi_chat_runner_is_remote (self->runner))
        /* TRANSLATORS: %s is a remote model, "llama3 on Lab server" */
        description = g_strdup_printf (_("%s runs on another computer: what you write is sent to it. Write a "
                                         "message below."),
                                       bendi_chat_runner_get_model_name (self->runner));
      else
        /* TRANSLATORS: %s is a model's file name */
        description = g_strdup_printf (_("%s is ready. Write a message below; nothing you write leaves this computer."),
                                       bendi_chat_runner_get_model_name (self->runner));
      break;
    case BENDI_CHAT_RUNNER_EMPTY:
    default:
      description = g_strdup (_("Choose a model to talk to. It runs on this computer, and nothing you write leaves it."));
      offer_last = can_load (last);
      break;
    }
  adw_status_page_set_description (self->start_page, description);
  gtk_widget_set_visible (self->last_model_button, offer_last);
  if (offer_last)
    {
      g_autofree char *model_id = NULL;
      g_autofree char *name = bendi_remote_model_path_parse (last, NULL, &model_id) ? g_strdup (model_id)
                                                                                   : g_path_get_basename (last);
      /* TRANSLATORS: %s is a model's file name */
      g_autofree char *label = g_strdup_printf (_("Load %s"), name);

      gtk_button_set_label (GTK_BUTTON (self->last_model_button), label);
      gtk_actionable_set_action_target (GTK_ACTIONABLE (self->last_model_button), "s", last);
    }
}

static void
runner_state_cb (BendiChatPage *self)
{
  BendiChatRunnerState state = bendi_chat_runner_get_state (self->runner);
  gboolean generating = state == BENDI_CHAT_RUNNER_GENERATING;
  BendiChatPlacement placement;

  gtk_revealer_set_reveal_child (self->load_revealer, state == BENDI_CHAT_RUNNER_LOADING);
  bendi_chat_composer_set_busy (self->composer, generating);
  set_rows_busy (self, generating);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.stop", generating);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.cancel-load", state == BENDI_CHAT_RUNNER_LOADING);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.unload-model", state == BENDI_CHAT_RUNNER_READY);
  bendi_chat_settings_panel_set_loaded_context_length (self->settings_panel, bendi_chat_runner_get_n_ctx (self->runner));
  /* Where a remote model runs is the server's business. */
  bendi_chat_settings_panel_set_loaded_placement (self->settings_panel,
                                                  (state == BENDI_CHAT_RUNNER_READY ||
                                                   state == BENDI_CHAT_RUNNER_GENERATING) &&
                                                  !bendi_chat_runner_is_remote (self->runner),
                                                  bendi_chat_runner_get_backend (self->runner),
                                                  bendi_chat_runner_get_gpu_layers (self->runner));
  /* and where the engine put a local one, which need not be what was asked */
  bendi_chat_runner_get_placement (self->runner, &placement);
  bendi_chat_settings_panel_set_running_on (self->settings_panel, &placement);
  update_start_page (self);
  update_context_meter (self);
  bendi_chat_page_update_title (self);
}

static void
load_fraction_cb (BendiChatPage *self)
{
  gtk_progress_bar_set_fraction (self->load_progress, bendi_chat_runner_get_load_fraction (self->runner));
}

static void send_text (BendiChatPage *self,
                       const char    *text);

static void
show_load_error (BendiChatPage *self,
                 const GError  *error)
{
  const char *title;
  g_autofree char *description = NULL;

  if (g_error_matches (error, BENDI_CHAT_ERROR, BENDI_CHAT_ERROR_DOES_NOT_FIT))
    {
      title = _("This Model Does Not Fit");
      description = g_strdup_printf ("%s\n\n%s", error->message,
                                     _("Try a smaller quantisation of it, a smaller model, or a shorter context "
                                       "length in the model settings."));
    }
  else if (g_error_matches (error, BENDI_CHAT_ERROR, BENDI_CHAT_ERROR_UNSUPPORTED))
    {
      title = _("Bendi Cannot Run This Model Yet");
      description = g_strdup (error->message);
    }
  else if (g_error_matches (error, BENDI_CHAT_ERROR, BENDI_CHAT_ERROR_INVALID_FILE))
    {
      title = _("This File Is Not a Usable Model");
      description = g_strdup_printf ("%s\n\n%s", error->message,
                                     _("The file may be damaged or incomplete: download it again."));
    }
  else
    {
      title = _("The Model Could Not Be Loaded");
      description = g_strdup (error->message);
    }
  adw_status_page_set_title (self->error_page, title);
  adw_status_page_set_description (self->error_page, description);
  gtk_stack_set_visible_child_name (self->main_stack, "error");
}

static void
load_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (BendiChatPage) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *pending = g_steal_pointer (&self->pending_text);

  if (!bendi_chat_runner_load_finish (BENDI_CHAT_RUNNER (source), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_load_error (self, error);
      else if (pending != NULL)
        bendi_chat_composer_set_text (self->composer, pending);
      return;
    }
  g_clear_pointer (&self->retry_model, g_free);
  gtk_stack_set_visible_child_name (self->main_stack, "chat");
  g_settings_set_string (self->settings, "chat-model", bendi_chat_runner_get_model_path (self->runner));
  if (pending != NULL)
    send_text (self, pending);
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->composer));
}

static BendiRemoteModels *
remote_models (BendiChatPage *self)
{
  return self->app_state != NULL ? bendi_app_state_get_remote_models (self->app_state) : NULL;
}

static void send_text (BendiChatPage *self,
                       const char    *text);

/* The settings, the title and a message waiting: as after a local load. */
static void
remote_ready (BendiChatPage *self)
{
  g_autofree char *pending = g_steal_pointer (&self->pending_text);

  gtk_stack_set_visible_child_name (self->main_stack, "chat");
  g_settings_set_string (self->settings, "chat-model", bendi_chat_runner_get_model_path (self->runner));
  if (pending != NULL)
    send_text (self, pending);
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->composer));
}

/* Points the runner at a remote model once its connection's client is
 * there (its API key read from the keyring); else waits for it. */
static void
load_remote (BendiChatPage *self,
             const char    *path)
{
  BendiRemoteModels *models = remote_models (self);
  g_autofree char *connection_id = NULL;
  g_autofree char *model_id = NULL;
  g_autofree char *display_name = NULL;
  const BendiRemoteConnection *connection;
  const BendiRemoteModel *model;
  BendiRemoteClient *client;

  if (models == NULL || !bendi_remote_model_path_parse (path, &connection_id, &model_id))
    return;
  if (self->pending_remote != path)
    {
      g_free (self->pending_remote);
      self->pending_remote = g_strdup (path);
    }
  g_free (self->retry_model);
  self->retry_model = g_strdup (path);
  connection = bendi_remote_models_lookup_connection (models, connection_id);
  if (connection == NULL)
    {
      g_autoptr (GError) error = g_error_new (BENDI_CHAT_ERROR, BENDI_CHAT_ERROR_FAILED,
                                              _("The connection of “%s” was removed. Add it again in Preferences, "
                                                "or choose another model."), model_id);

      g_clear_pointer (&self->pending_remote, g_free);
      bendi_chat_runner_unload (self->runner);
      show_load_error (self, error);
      return;
    }
  client = bendi_remote_models_get_client (models, connection_id);
  if (client == NULL)
    return;   /* "changed" comes back here */
  g_clear_pointer (&self->pending_remote, g_free);
  bendi_chat_settings_set_model (self->chat_settings, path);
  if (self->conversation != NULL && bendi_conversation_get_n_messages (self->conversation) > 0)
    g_object_set (self->chat_settings, "system-prompt",
                  bendi_conversation_get_system_prompt (self->conversation) != NULL
                    ? bendi_conversation_get_system_prompt (self->conversation) : "",
                  NULL);
  model = bendi_remote_models_lookup_model (models, connection_id, model_id);
  /* TRANSLATORS: a remote model and where it runs, "llama3 on Lab server" */
  display_name = g_strdup_printf (_("%s on %s"), model_id, connection->name);
  bendi_chat_runner_set_remote (self->runner, path, client, model_id, display_name,
                                model != NULL ? model->context_length : 0);
  remote_ready (self);
}

static void
remote_models_changed_cb (BendiChatPage *self)
{
  g_autofree char *pending = g_strdup (self->pending_remote);

  bendi_chat_page_fill_remote_list (self);
  if (pending != NULL)
    load_remote (self, pending);
}

void
bendi_chat_page_load_model (BendiChatPage *self,
                            const char    *path)
{
  g_autofree char *name = NULL;
  g_autofree char *label = NULL;

  g_return_if_fail (BENDI_IS_CHAT_PAGE (self));
  g_return_if_fail (path != NULL);

  if (bendi_remote_model_path_parse (path, NULL, NULL))
    {
      load_remote (self, path);
      return;
    }
  g_clear_pointer (&self->pending_remote, g_free);
  g_free (self->retry_model);
  self->retry_model = g_strdup (path);
  bendi_chat_settings_set_model (self->chat_settings, path);
  /* The conversation shown keeps its own system prompt. */
  if (self->conversation != NULL && bendi_conversation_get_n_messages (self->conversation) > 0)
    g_object_set (self->chat_settings, "system-prompt",
                  bendi_conversation_get_system_prompt (self->conversation) != NULL
                    ? bendi_conversation_get_system_prompt (self->conversation) : "",
                  NULL);
  name = g_path_get_basename (path);
  /* TRANSLATORS: %s is a model's file name */
  label = g_strdup_printf (_("Loading %s…"), name);
  gtk_label_set_label (self->load_label, label);
  gtk_stack_set_visible_child_name (self->main_stack, "chat");
  /* The model's settings say where it runs (Preferences' defaults until
   * chosen for it). */
  bendi_chat_runner_set_placement (self->runner, bendi_chat_settings_get_backend (self->chat_settings),
                                   bendi_chat_settings_get_gpu_layers (self->chat_settings));
  if (self->app_state != NULL)
    bendi_chat_runner_set_hardware (self->runner, bendi_app_state_dup_hardware (self->app_state));
  bendi_chat_runner_load_async (self->runner, path, bendi_chat_settings_get_context_length (self->chat_settings),
                                g_settings_get_int (self->settings, "threads"), self->cancellable, load_done_cb,
                                g_object_ref (self));
}

/* ------------------------------------------------------------------------ */
/* Replies */

static BendiTemplateValue *
build_messages (BendiConversation *conversation,
                BendiChatMessage  *until)
{
  g_autoptr (GPtrArray) thread = bendi_conversation_get_thread (conversation);
  BendiTemplateValue *messages = bendi_template_value_new_list ();
  const char *system = bendi_conversation_get_system_prompt (conversation);

  if (system != NULL && *system != '\0')
    bendi_chat_messages_append (messages, "system", system);
  for (guint i = 0; i < thread->len; i++)
    {
      BendiChatMessage *message = g_ptr_array_index (thread, i);
      const char *content = bendi_chat_message_get_content (message);

      /* A failed reply with nothing in it would only confuse the model. */
      if (*content != '\0' || bendi_chat_message_is_user (message))
        bendi_chat_messages_append (messages, bendi_chat_message_get_role (message), content);
      if (message == until)
        break;
    }
  return messages;
}

static void
update_live_speed (BendiChatPage *self)
{
  double seconds = (double) (g_get_monotonic_time () - self->reply_started) / G_USEC_PER_SEC;
  g_autofree char *count = format_count (self->reply_pieces);
  g_autofree char *text = NULL;

  if (self->reply_pieces > 1 && seconds > 0.0)
    /* TRANSLATORS: while a reply streams: "120 tokens · 31.5 tokens/s" */
    text = g_strdup_printf (ngettext ("%s token · %.1f tokens/s", "%s tokens · %.1f tokens/s", self->reply_pieces),
                            count, (self->reply_pieces - 1) / seconds);
  else
    text = g_strdup (_("Thinking…"));
  gtk_label_set_label (self->speed_label, text);
}

static void
runner_text_cb (BendiChatPage *self,
                const char    *chunk,
                const char    *reasoning,
                const char    *content)
{
  if (self->reply_message == NULL)
    return;
  /* The journal first: whatever the screen shows is on disk. */
  bendi_conversation_store_append_reply (self->store, chunk, strlen (chunk));
  if (self->reply_pieces++ == 0)
    self->reply_started = g_get_monotonic_time ();
  bendi_chat_message_set_reasoning (self->reply_message, reasoning);
  bendi_chat_message_set_content (self->reply_message, content);
  update_live_speed (self);
}

static void
runner_done_cb (BendiChatPage *self,
                int            reason,
                const GError  *error,
                const char    *reasoning,
                const char    *content,
                gint64         n_tokens,
                double         tokens_per_second,
                gint64         n_context_tokens)
{
  g_autoptr (BendiChatMessage) message = g_steal_pointer (&self->reply_message);
  g_autoptr (BendiConversation) conversation = g_steal_pointer (&self->reply_conversation);
  gint64 n_ctx = bendi_chat_runner_get_n_ctx (self->runner);
  g_autofree char *stats = NULL;

  if (message == NULL)
    return;
  bendi_chat_message_end_reply (message, (BendiStopReason) reason, error, reasoning, content, n_tokens,
                                tokens_per_second, n_context_tokens, n_ctx);
  bendi_conversation_store_end_reply (self->store, conversation);

  stats = g_strdup ("");
  if (n_tokens > 0 && tokens_per_second > 0.0)
    {
      g_autofree char *count = format_count (n_tokens);

      g_free (stats);
      stats = g_strdup_printf (ngettext ("%s token · %.1f tokens/s", "%s tokens · %.1f tokens/s", (gulong) n_tokens),
                               count, tokens_per_second);
    }
  gtk_label_set_label (self->speed_label, stats);
  if (conversation == self->conversation)
    update_context_meter (self);
}

/* Adds a reply under @parent in the shown conversation and starts it. */
static void
start_reply (BendiChatPage    *self,
             BendiChatMessage *parent)
{
  g_autoptr (BendiTemplateValue) messages = NULL;
  g_autoptr (GError) error = NULL;
  BendiConversation *conversation = self->conversation;
  BendiChatMessage *reply;
  BendiGenerateParams params;
  gboolean opens_reasoning = FALSE;

  bendi_conversation_set_model (conversation, bendi_chat_runner_get_model_path (self->runner));
  messages = build_messages (conversation, parent);
  reply = bendi_conversation_add_message (conversation, parent, "assistant", "");
  bendi_chat_message_set_model (reply, bendi_chat_runner_get_model_name (self->runner));
  bendi_chat_message_set_status (reply, BENDI_MESSAGE_STREAMING);

  bendi_generate_params_init (&params);
  bendi_chat_settings_fill_params (self->chat_settings, &params);
  if (!bendi_chat_runner_generate (self->runner, messages, &params, &opens_reasoning, NULL, &error))
    {
      bendi_chat_message_set_status (reply, BENDI_MESSAGE_ERROR);
      bendi_chat_message_set_error (reply, error->message);
      bendi_conversation_store_save (self->store, conversation);
      return;
    }
  self->reply_conversation = g_object_ref (conversation);
  self->reply_message = g_object_ref (reply);
  self->reply_pieces = 0;
  self->stick_to_bottom = TRUE;
  update_live_speed (self);
  if (!bendi_conversation_store_begin_reply (self->store, conversation, reply, opens_reasoning, &error))
    toast (self, error->message);
}

/* The runner is needed: load the model last used, then carry on. */
static gboolean
ensure_model (BendiChatPage *self,
              const char    *text)
{
  const char *model = NULL;
  g_autofree char *last = NULL;

  switch (bendi_chat_runner_get_state (self->runner))
    {
    case BENDI_CHAT_RUNNER_READY:
      return TRUE;
    case BENDI_CHAT_RUNNER_GENERATING:
      return FALSE;
    case BENDI_CHAT_RUNNER_LOADING:
      g_free (self->pending_text);
      self->pending_text = g_strdup (text);
      return FALSE;
    case BENDI_CHAT_RUNNER_EMPTY:
    default:
      break;
    }
  if (self->conversation != NULL)
    model = bendi_conversation_get_model (self->conversation);
  if (!can_load (model))
    {
      last = g_settings_get_string (self->settings, "chat-model");
      model = last;
    }
  if (!can_load (model))
    {
      toast (self, _("Choose a model first"));
      gtk_menu_button_popup (self->model_button);
      return FALSE;
    }
  /* Before loading: a remote model is ready at once, and sends it then. */
  g_free (self->pending_text);
  self->pending_text = g_strdup (text);
  bendi_chat_page_load_model (self, model);
  return FALSE;
}

static void
send_text (BendiChatPage *self,
           const char    *text)
{
  BendiChatMessage *user;

  if (!ensure_model (self, text))
    {
      bendi_chat_composer_set_text (self->composer, "");
      return;
    }
  if (self->conversation == NULL)
    bendi_chat_page_new_conversation (self);
  if (bendi_conversation_get_n_messages (self->conversation) == 0)
    bendi_conversation_set_system_prompt (self->conversation,
                                          bendi_chat_settings_get_system_prompt (self->chat_settings));
  user = bendi_conversation_add_message (self->conversation, bendi_conversation_get_last (self->conversation), "user",
                                         text);
  bendi_chat_composer_set_text (self->composer, "");
  bendi_conversation_store_add (self->store, self->conversation);
  g_settings_set_string (self->settings, "chat-conversation", bendi_conversation_get_id (self->conversation));
  start_reply (self, user);
}

static void
composer_send_cb (BendiChatPage *self,
                  const char    *text)
{
  send_text (self, text);
}

static void
composer_stop_cb (BendiChatPage *self)
{
  bendi_chat_runner_stop (self->runner);
}

static void
row_regenerate_cb (BendiChatPage   *self,
                   BendiMessageRow *row)
{
  BendiChatMessage *reply = bendi_message_row_get_message (row);
  BendiChatMessage *parent = bendi_conversation_lookup (self->conversation, bendi_chat_message_get_parent_id (reply));

  if (parent == NULL || bendi_chat_runner_get_state (self->runner) != BENDI_CHAT_RUNNER_READY)
    {
      if (bendi_chat_runner_get_state (self->runner) == BENDI_CHAT_RUNNER_EMPTY)
        toast (self, _("Load a model to write another reply"));
      return;
    }
  start_reply (self, parent);
}

static void
row_edit_submitted_cb (BendiChatPage   *self,
                       const char      *text,
                       BendiMessageRow *row)
{
  BendiChatMessage *original = bendi_message_row_get_message (row);
  BendiChatMessage *parent = bendi_conversation_lookup (self->conversation,
                                                        bendi_chat_message_get_parent_id (original));
  BendiChatMessage *edited;

  if (bendi_chat_runner_get_state (self->runner) != BENDI_CHAT_RUNNER_READY)
    {
      if (bendi_chat_runner_get_state (self->runner) == BENDI_CHAT_RUNNER_EMPTY)
        toast (self, _("Load a model to send the edited message"));
      return;
    }
  /* The edit is a new alternative beside the original, which stays. */
  edited = bendi_conversation_add_message (self->conversation, parent, "user", text);
  bendi_conversation_store_save (self->store, self->conversation);
  start_reply (self, edited);
}

/* ------------------------------------------------------------------------ */
/* Actions */

static void
new_activated_cb (GtkWidget  *widget,
                  const char *action_name G_GNUC_UNUSED,
                  GVariant   *parameter G_GNUC_UNUSED)
{
  bendi_chat_page_new_conversation (BENDI_CHAT_PAGE (widget));
}

static void
stop_activated_cb (GtkWidget  *widget,
                   const char *action_name G_GNUC_UNUSED,
                   GVariant   *parameter G_GNUC_UNUSED)
{
  bendi_chat_runner_stop (BENDI_CHAT_PAGE (widget)->runner);
}

static void
choose_model_activated_cb (GtkWidget  *widget,
                           const char *action_name G_GNUC_UNUSED,
                           GVariant   *parameter G_GNUC_UNUSED)
{
  BendiChatPage *self = BENDI_CHAT_PAGE (widget);

  gtk_stack_set_visible_child_name (self->main_stack, "chat");
  gtk_menu_button_popup (self->model_button);
}

static void
load_model_activated_cb (GtkWidget  *widget,
                         const char *action_name G_GNUC_UNUSED,
                         GVariant   *parameter)
{
  bendi_chat_page_load_model (BENDI_CHAT_PAGE (widget), g_variant_get_string (parameter, NULL));
}

static void
open_model_file_activated_cb (GtkWidget  *widget,
                              const char *action_name G_GNUC_UNUSED,
                              GVariant   *parameter G_GNUC_UNUSED)
{
  BendiChatPage *self = BENDI_CHAT_PAGE (widget);

  gtk_popover_popdown (self->model_popover);
  bendi_chat_page_open_model_file (self);
}

static void
unload_model_activated_cb (GtkWidget  *widget,
                           const char *action_name G_GNUC_UNUSED,
                           GVariant   *parameter G_GNUC_UNUSED)
{
  BendiChatPage *self = BENDI_CHAT_PAGE (widget);

  gtk_popover_popdown (self->model_popover);
  bendi_chat_runner_unload (self->runner);
}

static void
cancel_load_activated_cb (GtkWidget  *widget,
                          const char *action_name G_GNUC_UNUSED,
                          GVariant   *parameter G_GNUC_UNUSED)
{
  bendi_chat_runner_unload (BENDI_CHAT_PAGE (widget)->runner);
}

static void
retry_load_activated_cb (GtkWidget  *widget,
                         const char *action_name G_GNUC_UNUSED,
                         GVariant   *parameter G_GNUC_UNUSED)
{
  BendiChatPage *self = BENDI_CHAT_PAGE (widget);
  g_autofree char *model = g_strdup (self->retry_model);

  if (model != NULL)
    bendi_chat_page_load_model (self, model);
}

static void
rename_activated_cb (GtkWidget  *widget,
                     const char *action_name G_GNUC_UNUSED,
                     GVariant   *parameter G_GNUC_UNUSED)
{
  bendi_chat_page_rename (BENDI_CHAT_PAGE (widget));
}

static void
delete_activated_cb (GtkWidget  *widget,
                     const char *action_name G_GNUC_UNUSED,
                     GVariant   *parameter G_GNUC_UNUSED)
{
  bendi_chat_page_delete (BENDI_CHAT_PAGE (widget));
}

static void
export_activated_cb (GtkWidget  *widget,
                     const char *action_name G_GNUC_UNUSED,
                     GVariant   *parameter)
{
  bendi_chat_page_export (BENDI_CHAT_PAGE (widget), g_variant_get_string (parameter, NULL));
}

static void
search_activated_cb (GtkWidget  *widget,
                     const char *action_name G_GNUC_UNUSED,
                     GVariant   *parameter G_GNUC_UNUSED)
{
  BendiChatPage *self = BENDI_CHAT_PAGE (widget);

  adw_flap_set_reveal_flap (self->flap, TRUE);
  gtk_toggle_button_set_active (self->search_button, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

/* ------------------------------------------------------------------------ */

static void
model_popover_show_cb (BendiChatPage *self)
{
  bendi_chat_page_fill_model_list (self);
  bendi_chat_page_fill_remote_list (self);
}

static void
refresh_remote_activated_cb (GtkWidget  *widget,
                             const char *action_name G_GNUC_UNUSED,
                             GVariant   *parameter G_GNUC_UNUSED)
{
  BendiRemoteModels *models = remote_models (BENDI_CHAT_PAGE (widget));

  if (models != NULL)
    bendi_remote_models_refresh (models);
}

static void
settings_system_prompt_cb (BendiChatPage *self)
{
  /* Edits apply to the conversation shown, before and after it starts. */
  if (self->conversation != NULL)
    bendi_conversation_set_system_prompt (self->conversation,
                                          bendi_chat_settings_get_system_prompt (self->chat_settings));
}

static void
reload_model_cb (BendiChatPage *self)
{
  g_autofree char *model = g_strdup (bendi_chat_runner_get_model_path (self->runner));

  if (model != NULL && bendi_chat_runner_get_state (self->runner) != BENDI_CHAT_RUNNER_GENERATING)
    bendi_chat_page_load_model (self, model);
}

static void
default_gpu_layers_cb (BendiChatPage *self)
{
  bendi_chat_settings_set_default_gpu_layers (self->chat_settings, g_settings_get_int (self->settings, "gpu-layers"));
}

static void
default_backend_cb (BendiChatPage *self)
{
  g_autofree char *backend = g_settings_get_string (self->settings, "backend");

  bendi_chat_settings_set_default_backend (self->chat_settings, backend);
}

static void
hardware_cb (BendiChatPage *self)
{
  const BendiHwInfo *hw = bendi_app_state_get_hardware (self->app_state);
  gboolean have_gpu = FALSE;

  /* Before the probe is done, say nothing of missing GPUs. */
  if (hw == NULL)
    have_gpu = TRUE;
  for (guint i = 0; hw != NULL && i < hw->gpus->len; i++)
    {
      const BendiHwGpu *gpu = g_ptr_array_index (hw->gpus, i);

      if (gpu->usable && gpu->type != BENDI_VK_DEVICE_TYPE_CPU)
        have_gpu = TRUE;
    }
  bendi_chat_settings_panel_set_have_gpu (self->settings_panel, have_gpu);
}

static void
bendi_chat_page_shown (BendiPage *page)
{
  BendiChatPage *self = BENDI_CHAT_PAGE (page);

  gtk_widget_grab_focus (GTK_WIDGET (self->composer));
}

static void
bendi_chat_page_dispose (GObject *object)
{
  BendiChatPage *self = BENDI_CHAT_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  if (self->runner != NULL)
    g_signal_handlers_disconnect_by_data (self->runner, self);
  /* A reply cut short by closing is saved as far as it got. */
  if (self->reply_message != NULL)
    {
      bendi_chat_message_set_status (self->reply_message, BENDI_MESSAGE_STOPPED);
      bendi_conversation_store_end_reply (self->store, self->reply_conversation);
    }
  g_clear_object (&self->reply_message);
  g_clear_object (&self->reply_conversation);
  g_clear_object (&self->runner);
  if (self->conversation != NULL)
    g_signal_handlers_disconnect_by_data (self->conversation, self);
  if (self->chat_settings != NULL)
    g_signal_handlers_disconnect_by_data (self->chat_settings, self);
  /* The bin's child is a template child: unset it first, or the bin
   * would unparent it a second time. */
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), BENDI_TYPE_CHAT_PAGE);
  g_clear_object (&self->conversation);
  g_clear_object (&self->filtered);
  g_clear_object (&self->filter);
  if (self->store != NULL)
    bendi_conversation_store_flush (self->store);
  g_clear_object (&self->store);
  if (self->chat_settings != NULL)
    bendi_chat_settings_flush (self->chat_settings);
  g_clear_object (&self->chat_settings);
  g_clear_object (&self->settings);
  g_clear_object (&self->app_state);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (bendi_chat_page_parent_class)->dispose (object);
}

static void
bendi_chat_page_finalize (GObject *object)
{
  BendiChatPage *self = BENDI_CHAT_PAGE (object);

  g_free (self->retry_model);
  g_free (self->pending_text);
  g_free (self->pending_remote);

  G_OBJECT_CLASS (bendi_chat_page_parent_class)->finalize (object);
}

static void
bendi_chat_page_class_init (BendiChatPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  BendiPageClass *page_class = BENDI_PAGE_CLASS (klass);

  object_class->dispose = bendi_chat_page_dispose;
  object_class->finalize = bendi_chat_page_finalize;
  page_class->shown = bendi_chat_page_shown;

  g_type_ensure (BENDI_TYPE_CHAT_COMPOSER);
  g_type_ensure (BENDI_TYPE_CHAT_SETTINGS_PANEL);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/bendi/Bendi/chat-page.ui");
  gtk_widget_class_bind_template_child (widget_class, BendiChatPage, flap);
  gtk_widget_class_bind_template_child (widget_class, BendiChatPage, search_button);
  gtk_widget_class_bind_template_child (widget_class, BendiChatPage, search_bar);
  gtk_widget_class_bind_template_child (widget_class, BendiChatPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, BendiChatPage, sidebar_stack);
  gtk_widget_class_bind_template_child (widget_class, BendiChatPage, conversation_list);
  gtk_widget_class_bind_template_child (widget_class, BendiChatPage, sidebar_status);
  gtk_widget_class_bind_template_child (widget_class, BendiChatPage, header_bar);
  gtk_widget_class_bind_template_child (widget_class, BendiChatPage, model_button);
  gtk_widget_class_bind_template_child (widget_class, BendiChatPage, model_popover);
  gtk_widget_class_bind_template_child (widget_class, BendiChatPage, model_list_stack);
  gtk_widget_class_bind_template_child (widget_class, BendiChatPage, model_list);
  gtk_widget_class_bind_template_child (widget_class, BendiChatPage, remote_box);
  gtk_widget_class_bind_template_child (widget_class, BendiChatPage, remote_list);
  gtk_widget_class_bind_template_child (widget_class, BendiChatPage, model_title);
  gtk_widget_class_bind_template_child (widget_class, BendiChatPage, load_revealer);
  gtk_widget_class_bind_template_child (widget_class, BendiChatPage, load_label);
  gtk_widget_class_bind_template_child (widget_class, BendiChatPage, load_progress);
  gtk_widget_class_bind_template_child (widget_class, BendiChatPage, settings_flap);
  gtk_widget_class_bind_template_child (widget_class, BendiChatPage, settings_panel);
  gtk_widget_class_bind_template_child (widget_class, BendiChatPage, main_stack);
  gtk_widget_class_bind_template_child (widget_class, BendiChatPage, chat_stack);
  gtk_widget_class_bind_template_child (widget_class, BendiChatPage, start_page);
  gtk_widget_class_bind_template_child (widget_class, BendiChatPage, start_buttons);
  gtk_widget_class_bind_template_child (widget_class, BendiChatPage, scroller);
  gtk_widget_class_bind_template_child (widget_class, BendiChatPage, message_box);
  gtk_widget_class_bind_template_child (widget_class, BendiChatPage, composer);
  gtk_widget_class_bind_template_child (widget_class, BendiChatPage, context_meter);
  gtk_widget_class_bind_template_child (widget_class, BendiChatPage, context_label);
  gtk_widget_class_bind_template_child (widget_class, BendiChatPage, speed_label);
  gtk_widget_class_bind_template_child (widget_class, BendiChatPage, error_page);
  gtk_widget_class_bind_template_callback (widget_class, composer_send_cb);
  gtk_widget_class_bind_template_callback (widget_class, composer_stop_cb);
  gtk_widget_class_bind_template_callback (widget_class, model_popover_show_cb);

  gtk_widget_class_install_action (widget_class, "chat.new", NULL, new_activated_cb);
  gtk_widget_class_install_action (widget_class, "chat.stop", NULL, stop_activated_cb);
  gtk_widget_class_install_action (widget_class, "chat.choose-model", NULL, choose_model_activated_cb);
  gtk_widget_class_install_action (widget_class, "chat.load-model", "s", load_model_activated_cb);
  gtk_widget_class_install_action (widget_class, "chat.open-model-file", NULL, open_model_file_activated_cb);
  gtk_widget_class_install_action (widget_class, "chat.unload-model", NULL, unload_model_activated_cb);
  gtk_widget_class_install_action (widget_class, "chat.cancel-load", NULL, cancel_load_activated_cb);
  gtk_widget_class_install_action (widget_class, "chat.retry-load", NULL, retry_load_activated_cb);
  gtk_widget_class_install_action (widget_class, "chat.rename", NULL, rename_activated_cb);
  gtk_widget_class_install_action (widget_class, "chat.delete", NULL, delete_activated_cb);
  gtk_widget_class_install_action (widget_class, "chat.export", "s", export_activated_cb);
  gtk_widget_class_install_action (widget_class, "chat.search", NULL, search_activated_cb);
  gtk_widget_class_install_action (widget_class, "chat.refresh-remote", NULL, refresh_remote_activated_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "chat.search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "chat.stop", NULL);
}

static void
level_bar_setup (GtkLevelBar *bar)
{
  gtk_level_bar_remove_offset_value (bar, GTK_LEVEL_BAR_OFFSET_LOW);
  gtk_level_bar_remove_offset_value (bar, GTK_LEVEL_BAR_OFFSET_HIGH);
  gtk_level_bar_remove_offset_value (bar, GTK_LEVEL_BAR_OFFSET_FULL);
  gtk_level_bar_add_offset_value (bar, "context-ok", CONTEXT_WARNING);
  gtk_level_bar_add_offset_value (bar, "context-warning", CONTEXT_FULL);
  gtk_level_bar_add_offset_value (bar, "context-full", 1.0);
}

static void
bendi_chat_page_init (BendiChatPage *self)
{
  GtkAdjustment *vadjustment;

  gtk_widget_init_template (GTK_WIDGET (self));
  bendi_page_set_header_bar (BENDI_PAGE (self), self->header_bar);

  self->cancellable = g_cancellable_new ();
  self->settings = g_settings_new (BENDI_APP_ID);
  self->store = bendi_conversation_store_new (NULL);
  self->runner = bendi_chat_runner_new ();
  self->chat_settings = bendi_chat_settings_new (NULL);
  self->stick_to_bottom = TRUE;
  level_bar_setup (self->context_meter);

  self->last_model_button = gtk_button_new ();
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->last_model_button), "s", "");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->last_model_button), "chat.load-model");
  gtk_widget_add_css_class (self->last_model_button, "pill");
  gtk_box_append (self->start_buttons, self->last_model_button);

  default_gpu_layers_cb (self);
  g_signal_connect_object (self->settings, "changed::gpu-layers", G_CALLBACK (default_gpu_layers_cb), self,
                           G_CONNECT_SWAPPED);
  default_backend_cb (self);
  g_signal_connect_object (self->settings, "changed::backend", G_CALLBACK (default_backend_cb), self,
                           G_CONNECT_SWAPPED);
  bendi_chat_settings_panel_set_settings (self->settings_panel, self->chat_settings);
  /* The app's probe, so that loading a model need not probe again. */
  if (GTK_IS_APPLICATION (g_application_get_default ()))
    {
      self->app_state = g_object_ref (bendi_app_state_get_default ());
      g_signal_connect_object (self->app_state, "notify::hardware", G_CALLBACK (hardware_cb), self, G_CONNECT_SWAPPED);
      bendi_app_state_probe_hardware (self->app_state);
      hardware_cb (self);
      g_signal_connect_object (bendi_app_state_get_remote_models (self->app_state), "changed",
                               G_CALLBACK (remote_models_changed_cb), self, G_CONNECT_SWAPPED);
    }
  g_signal_connect_swapped (self->chat_settings, "notify::system-prompt", G_CALLBACK (settings_system_prompt_cb), self);
  g_signal_connect_swapped (self->settings_panel, "reload-model", G_CALLBACK (reload_model_cb), self);

  g_signal_connect_swapped (self->runner, "notify::state", G_CALLBACK (runner_state_cb), self);
  g_signal_connect_swapped (self->runner, "notify::load-fraction", G_CALLBACK (load_fraction_cb), self);
  g_signal_connect_swapped (self->runner, "text", G_CALLBACK (runner_text_cb), self);
  g_signal_connect_swapped (self->runner, "done", G_CALLBACK (runner_done_cb), self);

  vadjustment = gtk_scrolled_window_get_vadjustment (self->scroller);
  g_signal_connect_swapped (vadjustment, "notify::upper", G_CALLBACK (scroll_upper_changed_cb), self);
  g_signal_connect_swapped (vadjustment, "value-changed", G_CALLBACK (scroll_value_changed_cb), self);

  bendi_chat_page_sidebar_init (self);
  bendi_chat_page_new_conversation (self);
  runner_state_cb (self);
}
