/* SPDX-License-Identifier: MIT */
/* The Chat page: conversations with a local model. */
#pragma once

#include "page.h"

G_BEGIN_DECLS

#define BENDI_TYPE_CHAT_PAGE (bendi_chat_page_get_type ())
G_DECLARE_FINAL_TYPE (BendiChatPage, bendi_chat_page, BENDI, CHAT_PAGE, BendiPage)

/* Loads the GGUF model at @path for chatting, showing its progress (the
 * My Models page's "Chat" button). */
void bendi_chat_page_load_model (BendiChatPage *self,
                                 const char    *path);

G_END_DECLS
