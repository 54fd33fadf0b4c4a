/* SPDX-License-Identifier: MIT */
/* The Chat page's insides, shared by chat-page.c, chat-page-sidebar.c and the GUI tests. */
#pragma once

#include "app-state.h"
#include "chat-composer.h"
#include "chat-page.h"
#include "chat-runner.h"
#include "chat-settings-panel.h"
#include "chat-settings.h"
#include "conversation-store.h"

G_BEGIN_DECLS

struct _BendiChatPage
{
  BendiPage parent_instance;

  /* The conversation list. */
  AdwFlap                *flap;
  GtkToggleButton        *search_button;
  GtkSearchBar           *search_bar;
  GtkSearchEntry         *search_entry;
  GtkStack               *sidebar_stack;
  GtkListBox             *conversation_list;
  AdwStatusPage          *sidebar_status;

  /* The chat. */
  AdwHeaderBar           *header_bar;
  GtkMenuButton          *model_button;
  GtkPopover             *model_popover;
  GtkStack               *model_list_stack;
  GtkListBox             *model_list;
  GtkWidget              *remote_box;
  GtkListBox             *remote_list;
  AdwWindowTitle         *model_title;
  GtkRevealer            *load_revealer;
  GtkLabel               *load_label;
  GtkProgressBar         *load_progress;
  AdwFlap                *settings_flap;
  BendiChatSettingsPanel *settings_panel;
  GtkStack               *main_stack;
  GtkStack               *chat_stack;
  AdwStatusPage          *start_page;
  GtkBox                 *start_buttons;
  GtkScrolledWindow      *scroller;
  GtkBox                 *message_box;
  BendiChatComposer      *composer;
  GtkLevelBar            *context_meter;
  GtkLabel               *context_label;
  GtkLabel               *speed_label;
  AdwStatusPage          *error_page;
  GtkWidget              *last_model_button;

  GSettings              *settings;
  BendiAppState          *app_state;         /* NULL outside an application */
  BendiConversationStore *store;
  BendiChatRunner        *runner;
  BendiChatSettings      *chat_settings;
  GtkFilterListModel     *filtered;
  GtkCustomFilter        *filter;
  GCancellable           *cancellable;       /* the page's async work: store load, model scans */

  BendiConversation      *conversation;      /* shown */
  BendiConversation      *reply_conversation; /* the one a reply is streaming into */
  BendiChatMessage       *reply_message;
  gint64                  reply_started;     /* monotonic µs of the first piece */
  guint                   reply_pieces;
  char                   *retry_model;       /* the model that failed to load */
  char                   *pending_text;      /* sent once the model has loaded */
  char                   *pending_remote;    /* a remote model waiting for its connection's client */
  gboolean                stick_to_bottom;
  gboolean                loaded;            /* the conversations were read */
};

/* chat-page.c */
void     bendi_chat_page_show_conversation  (BendiChatPage     *self,
                                             BendiConversation *conversation);
/* A new, empty conversation, shown; saved with its first message. */
void     bendi_chat_page_new_conversation   (BendiChatPage     *self);
void     bendi_chat_page_update_title       (BendiChatPage     *self);

/* chat-page-sidebar.c */
void     bendi_chat_page_sidebar_init       (BendiChatPage     *self);
void     bendi_chat_page_sidebar_select     (BendiChatPage     *self,
                                             BendiConversation *conversation);
void     bendi_chat_page_rename             (BendiChatPage     *self);
void     bendi_chat_page_delete             (BendiChatPage     *self);
void     bendi_chat_page_export             (BendiChatPage     *self,
                                             const char        *format);
/* Writes the conversation shown, as @format ("markdown" or "json"): what
 * the export's file chooser does once it has a file. */
gboolean bendi_chat_page_export_to_file     (BendiChatPage     *self,
                                             const char        *format,
                                             GFile             *file,
                                             GError           **error);
void     bendi_chat_page_fill_model_list    (BendiChatPage     *self);
void     bendi_chat_page_open_model_file    (BendiChatPage     *self);
/* The remote endpoints' models in the model list (chat-page-sidebar.c). */
void     bendi_chat_page_fill_remote_list   (BendiChatPage     *self);

G_END_DECLS
