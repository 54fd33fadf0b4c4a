/* SPDX-License-Identifier: MIT */
/* The desktop app's types, declared once so headers need not include each other. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

typedef struct _BendiApplication BendiApplication;
typedef struct _BendiChatPage    BendiChatPage;
typedef struct _BendiPage        BendiPage;
typedef struct _BendiWindow      BendiWindow;

G_END_DECLS
