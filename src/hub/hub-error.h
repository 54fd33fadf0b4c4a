/* SPDX-License-Identifier: MIT */
/* The error domain of the model hub: what went wrong talking to the Hub or
 * writing into the library. Cancellation is G_IO_ERROR_CANCELLED. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define BENDI_HUB_ERROR (bendi_hub_error_quark ())

typedef enum {
  BENDI_HUB_ERROR_NOT_FOUND,          /* no such repository, revision or file */
  BENDI_HUB_ERROR_GATED,              /* the repository needs an accepted license and a token */
  BENDI_HUB_ERROR_UNAUTHORIZED,       /* the token is wrong or lacks access */
  BENDI_HUB_ERROR_NETWORK,            /* no connection, or it dropped and retries ran out */
  BENDI_HUB_ERROR_HTTP,               /* an HTTP status the hub cannot act on */
  BENDI_HUB_ERROR_INVALID_RESPONSE,   /* the server said something malformed or inconsistent */
  BENDI_HUB_ERROR_CHECKSUM_MISMATCH,  /* the bytes received are not the file the Hub lists */
  BENDI_HUB_ERROR_NO_SPACE,           /* the disk is (or would be) full */
  BENDI_HUB_ERROR_UNSAFE_PATH,        /* a name from the server would write outside the library */
  BENDI_HUB_ERROR_IO,                 /* the file system said no */
  BENDI_HUB_ERROR_UNVERIFIABLE,       /* the Hub gives no sha256 to check the file against */
  BENDI_HUB_ERROR_INVALID_ARGUMENT,
} BendiHubError;

GQuark bendi_hub_error_quark (void);

G_END_DECLS
