/* SPDX-License-Identifier: MIT */
/* Helpers for the template tests: variables from JSON, one-call rendering. */
#pragma once

#include <json-glib/json-glib.h>

#include "template/template.h"

G_BEGIN_DECLS

/* A template value from JSON text (objects keep their member order); the
 * test fails on malformed JSON. */
BendiTemplateValue *template_test_value_from_json (const char *json) G_GNUC_WARN_UNUSED_RESULT;
BendiTemplateValue *template_test_value_from_node (JsonNode   *node) G_GNUC_WARN_UNUSED_RESULT;

/* Parses @source and renders it with @variables_json (an object, or NULL)
 * and @options (NULL for the defaults, with strftime_now fixed to
 * 2024-07-26). */
char *template_test_render (const char                 *source,
                            const char                 *variables_json,
                            const BendiTemplateOptions *options,
                            GError                    **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
