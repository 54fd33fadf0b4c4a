/* SPDX-License-Identifier: MIT */
/* Formatting numbers for people: one home for how sizes, speeds and times read in English and Chinese. */
#define G_LOG_DOMAIN "bendi-app"

#include "app-format.h"

#include <glib/gi18n.h>
#include <math.h>

char *
bendi_format_parameters (gint64 n_params)
{
  g_autofree char *number = NULL;

  if (n_params >= 1000000000)
    number = g_strdup_printf ("%.*fB", n_params >= 10000000000 ? 0 : 1, (double) n_params / 1e9);
  else if (n_params >= 10000000)
    number = g_strdup_printf ("%.0fM", (double) n_params / 1e6);
  else if (n_params >= 1000000)
    number = g_strdup_printf ("%.1fM", (double) n_params / 1e6);
  else
    /* Toy models for tests and teaching: "292K", not "0M". */
    number = g_strdup_printf ("%.0fK", (double) n_params / 1e3);
  /* TRANSLATORS: %s is a parameter count like "7.6B" or "360M" */
  return g_strdup_printf (_("%s parameters"), number);
}

char *
bendi_format_tokens_short (gint64 n_tokens)
{
  if (n_tokens >= 1024 && n_tokens % 1024 == 0)
    return g_strdup_printf ("%" G_GINT64_FORMAT "K", n_tokens / 1024);
  return g_strdup_printf ("%" G_GINT64_FORMAT, n_tokens);
}

char *
bendi_format_context (gint64 n_tokens)
{
  g_autofree char *number = bendi_format_tokens_short (n_tokens);

  /* TRANSLATORS: %s is a context length like "32K": how many tokens of
   * text the model sees at once */
  return g_strdup_printf (_("%s context"), number);
}

typedef struct {
  const char *code;
  const char *name;
} Language;

static const Language languages[] = {
  { "ar", N_("Arabic") },
  { "de", N_("German") },
  { "en", N_("English") },
  { "es", N_("Spanish") },
  { "fr", N_("French") },
  { "hi", N_("Hindi") },
  { "id", N_("Indonesian") },
  { "it", N_("Italian") },
  { "ja", N_("Japanese") },
  { "ko", N_("Korean") },
  { "nl", N_("Dutch") },
  { "pl", N_("Polish") },
  { "pt", N_("Portuguese") },
  { "ru", N_("Russian") },
  { "th", N_("Thai") },
  { "tr", N_("Turkish") },
  { "uk", N_("Ukrainian") },
  { "vi", N_("Vietnamese") },
  { "zh", N_("Chinese") },
};

const char *
bendi_format_language (const char *code)
{
  for (gsize i = 0; i < G_N_ELEMENTS (languages); i++)
    if (g_strcmp0 (languages[i].code, code) == 0)
      return _(languages[i].name);
  return code;
}

char *
bendi_format_languages (const char *const *codes,
                        guint              max_shown)
{
  guint n = codes != NULL ? g_strv_length ((char **) codes) : 0;
  g_autoptr (GString) text = g_string_new (NULL);

  for (guint i = 0; i < n && i < max_shown; i++)
    {
      if (i > 0)
        /* TRANSLATORS: between two names in a list: "English, Chinese" */
        g_string_append (text, _(", "));
      g_string_append (text, bendi_format_language (codes[i]));
    }
  if (n > max_shown)
    {
      g_autofree char *more = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s and %u more", "%s and %u more",
                                                            n - max_shown),
                                               text->str, n - max_shown);

      return g_steal_pointer (&more);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

char *
bendi_format_speed (double tokens_per_s)
{
  if (tokens_per_s <= 0.0)
    return g_strdup (_("speed not measured"));
  if (tokens_per_s < 1.0)
    return g_strdup (_("under 1 token/s"));
  if (tokens_per_s < 10.0)
    /* TRANSLATORS: an estimated generation speed, like "about 4.5 tokens/s" */
    return g_strdup_printf (_("about %.1f tokens/s"), tokens_per_s);
  return g_strdup_printf (_("about %.0f tokens/s"), tokens_per_s);
}

char *
bendi_format_bandwidth (double gbps)
{
  if (gbps <= 0.0)
    return g_strdup (_("Not measured"));
  /* TRANSLATORS: a memory bandwidth in gigabytes per second */
  return g_strdup_printf (_("%.1f GB/s"), gbps);
}

char *
bendi_format_remaining (double seconds)
{
  guint64 minutes;

  if (seconds < 0.0 || !isfinite (seconds))
    return NULL;
  if (seconds < 60.0)
    {
      guint n = (guint) MAX (1.0, ceil (seconds));

      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u second left", "%u seconds left", n), n);
    }
  minutes = (guint64) ceil (seconds / 60.0);
  if (minutes < 60)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u minute left", "%u minutes left", minutes),
                            (guint) minutes);
  {
    guint hours = (guint) (minutes / 60);
    guint rest = (guint) (minutes % 60);
    g_autofree char *h = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u hour", "%u hours", hours), hours);
    g_autofree char *m = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u minute", "%u minutes", rest), rest);

    /* TRANSLATORS: "1 hour 5 minutes left" */
    return g_strdup_printf (_("%s %s left"), h, m);
  }
}

char *
bendi_format_transfer_rate (double bytes_per_s)
{
  g_autofree char *size = g_format_size ((guint64) MAX (0.0, bytes_per_s));

  /* TRANSLATORS: a download speed, like "12.3 MB/s" */
  return g_strdup_printf (_("%s/s"), size);
}

const char *
bendi_format_source (BendiHubSource source)
{
  switch (source)
    {
    case BENDI_HUB_SOURCE_BENDI:
      return _("Downloaded by Bendi");
    case BENDI_HUB_SOURCE_IMPORTED:
      return _("Added from a file");
    case BENDI_HUB_SOURCE_LM_STUDIO:
      return "LM Studio";
    case BENDI_HUB_SOURCE_OLLAMA:
      return "Ollama";
    default:
      return "";
    }
}

gboolean
bendi_format_prefers_chinese (void)
{
  const char *const *names = g_get_language_names ();

  for (gsize i = 0; names[i] != NULL; i++)
    {
      if (g_str_has_prefix (names[i], "zh"))
        return TRUE;
      if (g_str_has_prefix (names[i], "en") || g_str_equal (names[i], "C"))
        return FALSE;
    }
  return FALSE;
}
