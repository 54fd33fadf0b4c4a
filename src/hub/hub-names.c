/* SPDX-License-Identifier: MIT */
/* Names from the Hub: quantisations, split parts, and which paths are safe. */
#include "hub-names.h"

#include <string.h>

/* Longest first where one name starts another ("Q4_K_M" before "Q4_K"). */
static const char *const quant_names[] = {
  "IQ1_S", "IQ1_M",
  "IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ2_M",
  "IQ3_XXS", "IQ3_XS", "IQ3_S", "IQ3_M",
  "IQ4_XS", "IQ4_NL",
  "Q2_K_XL", "Q2_K_L", "Q2_K_S", "Q2_K",
  "Q3_K_XL", "Q3_K_L", "Q3_K_M", "Q3_K_S", "Q3_K",
  "Q4_K_XL", "Q4_K_L", "Q4_K_M", "Q4_K_S", "Q4_K", "Q4_0_4_4", "Q4_0_4_8", "Q4_0_8_8", "Q4_0", "Q4_1",
  "Q5_K_XL", "Q5_K_L", "Q5_K_M", "Q5_K_S", "Q5_K", "Q5_0", "Q5_1",
  "Q6_K_XL", "Q6_K_L", "Q6_K",
  "Q8_K_XL", "Q8_0", "Q8_1",
  "TQ1_0", "TQ2_0", "MXFP4",
  "BF16", "F16", "F32", "FP16", "FP32",
};

static gboolean
is_separator (char c)
{
  return c == '\0' || c == '-' || c == '.' || c == '_' || c == '/' || c == ' ';
}

const char *
bendi_hub_quant_from_name (const char *file_name)
{
  g_autofree char *upper = NULL;
  const char *best = NULL;
  gsize best_pos = 0;
  gsize len;

  g_return_val_if_fail (file_name != NULL, NULL);

  upper = g_ascii_strup (file_name, -1);
  len = strlen (upper);
  for (gsize pos = 0; pos < len; pos++)
    {
      if (pos > 0 && !is_separator (upper[pos - 1]))
        continue;
      for (gsize q = 0; q < G_N_ELEMENTS (quant_names); q++)
        {
          gsize qlen = strlen (quant_names[q]);

          if (strncmp (upper + pos, quant_names[q], qlen) == 0 && is_separator (upper[pos + qlen]))
            {
              if (best == NULL || pos >= best_pos)
                {
                  best = quant_names[q];
                  best_pos = pos;
                }
              break;
            }
        }
    }
  if (best != NULL && strcmp (best, "FP16") == 0)
    return "F16";
  if (best != NULL && strcmp (best, "FP32") == 0)
    return "F32";
  return best;
}

static gboolean
parse_five_digits (const char *p,
                   guint      *out)
{
  guint v = 0;

  for (guint i = 0; i < 5; i++)
    {
      if (!g_ascii_isdigit (p[i]))
        return FALSE;
      v = v * 10 + (guint) (p[i] - '0');
    }
  *out = v;
  return TRUE;
}

gboolean
bendi_hub_split_parse (const char  *file_name,
                       guint       *index,
                       guint       *count,
                       char       **base)
{
  /* "-00001-of-00003.gguf" */
  const gsize suffix_len = 1 + 5 + 4 + 5 + 5;
  gsize len;
  const char *suffix;
  guint i, n;

  g_return_val_if_fail (file_name != NULL, FALSE);

  len = strlen (file_name);
  if (len <= suffix_len)
    return FALSE;
  suffix = file_name + len - suffix_len;
  if (suffix[0] != '-' || strncmp (suffix + 6, "-of-", 4) != 0 ||
      g_ascii_strcasecmp (suffix + 15, ".gguf") != 0)
    return FALSE;
  if (!parse_five_digits (suffix + 1, &i) || !parse_five_digits (suffix + 10, &n))
    return FALSE;
  if (i < 1 || n < 1 || i > n)
    return FALSE;
  if (index != NULL)
    *index = i;
  if (count != NULL)
    *count = n;
  if (base != NULL)
    *base = g_strdup_printf ("%.*s%s", (int) (suffix - file_name), file_name, suffix + 15);
  return TRUE;
}

static gboolean
hub_name_is_valid (const char *name,
                   gsize       len)
{
  if (len == 0 || len > 96)
    return FALSE;
  if (name[0] == '.' || name[0] == '-' || name[0] == '_')
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      char c = name[i];

      if (!g_ascii_isalnum (c) && c != '-' && c != '_' && c != '.')
        return FALSE;
      if (c == '.' && i + 1 < len && name[i + 1] == '.')
        return FALSE;
    }
  return TRUE;
}

gboolean
bendi_hub_repo_id_is_valid (const char *repo_id)
{
  const char *slash;

  if (repo_id == NULL)
    return FALSE;
  slash = strchr (repo_id, '/');
  if (slash == NULL || strchr (slash + 1, '/') != NULL)
    return FALSE;
  return hub_name_is_valid (repo_id, (gsize) (slash - repo_id)) &&
         hub_name_is_valid (slash + 1, strlen (slash + 1));
}

gboolean
bendi_hub_file_path_is_safe (const char *path)
{
  gsize len;
  const char *component;

  if (path == NULL)
    return FALSE;
  len = strlen (path);
  if (len == 0 || len > 1024 || !g_utf8_validate (path, (gssize) len, NULL))
    return FALSE;
  if (g_str_has_suffix (path, ".part"))
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      guchar c = (guchar) path[i];

      if (c < 0x20 || c == 0x7f || c == '\\')
        return FALSE;
    }
  component = path;
  for (;;)
    {
      const char *end = strchr (component, '/');
      gsize n = end != NULL ? (gsize) (end - component) : strlen (component);

      if (n == 0 || n > 255)
        return FALSE;
      if ((n == 1 && component[0] == '.') || (n == 2 && component[0] == '.' && component[1] == '.'))
        return FALSE;
      if (end == NULL)
        return TRUE;
      component = end + 1;
    }
}

gboolean
bendi_hub_is_gguf_name (const char *file_name)
{
  gsize len = file_name != NULL ? strlen (file_name) : 0;

  return len > 5 && g_ascii_strcasecmp (file_name + len - 5, ".gguf") == 0;
}

char *
bendi_hub_format_size (guint64 n_bytes)
{
  if (n_bytes >= G_GUINT64_CONSTANT (1000000000))
    return g_strdup_printf ("%.1f GB", (double) n_bytes / 1e9);
  if (n_bytes >= 1000000)
    return g_strdup_printf ("%.0f MB", (double) n_bytes / 1e6);
  if (n_bytes >= 1000)
    return g_strdup_printf ("%.0f kB", (double) n_bytes / 1e3);
  return g_strdup_printf ("%" G_GUINT64_FORMAT " B", n_bytes);
}
