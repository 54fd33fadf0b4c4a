/* SPDX-License-Identifier: MIT */
/* Discover: the catalogue filtered as the user types, the Hub searched once they pause, and a model's page a click away. */
#define G_LOG_DOMAIN "bendi-app"

#include "discover-page.h"

#include <glib/gi18n.h>
#include <string.h>

#include "app-error.h"
#include "app-format.h"
#include "app-state.h"
#include "catalogue-fit.h"
#include "model-card.h"
#include "model-page.h"

/* Shorter queries match too much of the Hub to be useful. */
#define MIN_HUB_QUERY 2
#define HUB_RESULTS 30

enum {
  SIZE_ANY,
  SIZE_UP_TO_2B,
  SIZE_2B_TO_10B,
  SIZE_10B_TO_40B,
  SIZE_OVER_40B,
  SIZE_FITS,
};

enum {
  LICENSE_ANY,
  LICENSE_OPEN,
  LICENSE_VENDOR,
};

struct _BendiDiscoverPage
{
  BendiPage       parent_instance;

  GtkStack       *stack;
  AdwHeaderBar   *header_bar;
  GtkSearchEntry *search_entry;
  GtkDropDown    *size_filter;
  GtkDropDown    *family_filter;
  GtkDropDown    *license_filter;
  GtkDropDown    *language_filter;
  GtkCheckButton *supported_check;
  GtkStack       *catalogue_stack;
  GtkListBox     *catalogue_list;
  AdwStatusPage  *catalogue_status;
  GtkWidget      *hub_section;
  GtkStack       *hub_stack;
  GtkListBox     *hub_list;
  AdwStatusPage  *hub_status;
  GtkSpinner     *hub_spinner;
  BendiModelPage *model_page;

  BendiAppState  *state;
  GCancellable   *search_cancellable;
  GPtrArray      *language_codes;   /* of the language filter's items after "Any" */
  char          **search_words;     /* lower-case */
  gboolean        catalogue_loaded;
};

G_DEFINE_FINAL_TYPE (BendiDiscoverPage, bendi_discover_page, BENDI_TYPE_PAGE)

static gboolean
is_open_source_license (const char *license)
{
  static const char *const open[] = { "Apache-2.0", "MIT", "apache-2.0", "mit", "BSD-3-Clause", "bsd-3-clause" };

  for (gsize i = 0; license != NULL && i < G_N_ELEMENTS (open); i++)
    if (g_str_equal (license, open[i]))
      return TRUE;
  return FALSE;
}

static gboolean
size_matches (guint              size_filter,
              gint64             n_params,
              const BendiHwInfo *hw,
              const BendiHubCatalogueEntry *entry)
{
  switch (size_filter)
    {
    case SIZE_UP_TO_2B:
      return n_params > 0 && n_params <= 2000000000;
    case SIZE_2B_TO_10B:
      return n_params > 2000000000 && n_params <= 10000000000;
    case SIZE_10B_TO_40B:
      return n_params > 10000000000 && n_params <= 40000000000;
    case SIZE_OVER_40B:
      return n_params > 40000000000;
    case SIZE_FITS:
      {
        BendiCatalogueFit fit;

        /* Until the probe is done every model may fit; a search result
         * has only its parameter count, when the Hub knows it. */
        if (hw == NULL)
          return TRUE;
        if (entry != NULL)
          {
            bendi_catalogue_fit_estimate (entry, hw, 0, &fit);
            return fit.verdict != BENDI_FIT_VERDICT_NO;
          }
        return n_params <= 0 ||
               bendi_catalogue_fit_weights_bytes (n_params) < hw->ram_available_bytes;
      }
    case SIZE_ANY:
    default:
      return TRUE;
    }
}

/* "Llama 3.2" matches "bartowski/Llama-3.2-1B-Instruct-GGUF". */
static char *
squash (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    if (g_ascii_isalnum (*p))
      g_string_append_c (out, g_ascii_tolower (*p));
  return g_string_free (out, FALSE);
}

static gboolean
words_match (BendiDiscoverPage *self,
             const char        *haystack)
{
  g_autofree char *folded = g_utf8_casefold (haystack, -1);

  for (guint i = 0; self->search_words != NULL && self->search_words[i] != NULL; i++)
    if (strstr (folded, self->search_words[i]) == NULL)
      return FALSE;
  return TRUE;
}

static const char *
selected_family (BendiDiscoverPage *self)
{
  guint selected = gtk_drop_down_get_selected (self->family_filter);
  GtkStringObject *item;

  if (selected == 0 || selected == GTK_INVALID_LIST_POSITION)
    return NULL;
  item = gtk_drop_down_get_selected_item (self->family_filter);
  return item != NULL ? gtk_string_object_get_string (item) : NULL;
}

static const char *
selected_language (BendiDiscoverPage *self)
{
  guint selected = gtk_drop_down_get_selected (self->language_filter);

  if (selected == 0 || selected == GTK_INVALID_LIST_POSITION || selected > self->language_codes->len)
    return NULL;
  return g_ptr_array_index (self->language_codes, selected - 1);
}

static gboolean
catalogue_filter (GtkListBoxRow *row,
                  gpointer       user_data)
{
  BendiDiscoverPage *self = user_data;
  const BendiHubCatalogueEntry *entry = bendi_model_card_get_entry (BENDI_MODEL_CARD (row));
  const char *family = selected_family (self);
  const char *language = selected_language (self);
  guint license = gtk_drop_down_get_selected (self->license_filter);
  g_autofree char *tasks = NULL;
  g_autofree char *haystack = NULL;

  if (!size_matches (gtk_drop_down_get_selected (self->size_filter), entry->params_total,
                     bendi_app_state_get_hardware (self->state), entry))
    return FALSE;
  if (family != NULL && g_strcmp0 (family, entry->family) != 0)
    return FALSE;
  if (language != NULL && !g_strv_contains ((const char *const *) entry->languages, language))
    return FALSE;
  if (license == LICENSE_OPEN && !is_open_source_license (entry->license_id))
    return FALSE;
  if (license == LICENSE_VENDOR && is_open_source_license (entry->license_id))
    return FALSE;
  if (gtk_check_button_get_active (self->supported_check) && !entry->supported)
    return FALSE;
  tasks = g_strjoinv (" ", entry->tasks);
  haystack = g_strjoin (" ", entry->name, entry->repo_id, entry->family, entry->architecture,
                        entry->description_en, entry->description_zh, tasks, NULL);
  return words_match (self, haystack);
}

static gboolean
hub_filter (GtkListBoxRow *row,
            gpointer       user_data)
{
  BendiDiscoverPage *self = user_data;
  const BendiHubModel *model = bendi_model_card_get_hub_model (BENDI_MODEL_CARD (row));
  const char *family = selected_family (self);
  guint license = gtk_drop_down_get_selected (self->license_filter);
  guint size = gtk_drop_down_get_selected (self->size_filter);

  /* A search result carries fewer facts: what is unknown is not held
   * against it, except that a size asked for needs a known size. */
  if (size != SIZE_ANY && size != SIZE_FITS && model->n_params <= 0)
    return FALSE;
  if (!size_matches (size, model->n_params, bendi_app_state_get_hardware (self->state), NULL))
    return FALSE;
  if (family != NULL)
    {
      g_autofree char *needle = squash (family);
      g_autofree char *id = squash (model->id);

      if (strstr (id, needle) == NULL)
        return FALSE;
    }
  if (license == LICENSE_OPEN && !is_open_source_license (model->license))
    return FALSE;
  if (license == LICENSE_VENDOR && (model->license == NULL || is_open_source_license (model->license)))
    return FALSE;
  if (gtk_check_button_get_active (self->supported_check) &&
      (model->architecture == NULL || !bendi_hub_architecture_is_supported (model->architecture)))
    return FALSE;
  return TRUE;
}

static void
refilter (BendiDiscoverPage *self)
{
  gtk_list_box_invalidate_filter (self->catalogue_list);
  gtk_list_box_invalidate_filter (self->hub_list);
}

static void
filter_changed_cb (BendiDiscoverPage *self)
{
  refilter (self);
}

static void
clear_list (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

static void
search_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (BendiDiscoverPage) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) models = bendi_hub_client_search_finish (BENDI_HUB_CLIENT (object), result, &error);
  GPtrArray *catalogue;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  gtk_spinner_stop (self->hub_spinner);
  if (models == NULL)
    {
      g_autofree char *title = NULL;
      g_autofree char *description = NULL;

      bendi_app_error_describe (error, &title, &description);
      adw_status_page_set_icon_name (self->hub_status, bendi_app_error_icon_name (bendi_app_error_get_kind (error)));
      adw_status_page_set_title (self->hub_status, title);
      adw_status_page_set_description (self->hub_status, description);
      gtk_stack_set_visible_child_name (self->hub_stack, "error");
      return;
    }

  catalogue = bendi_app_state_get_catalogue (self->state, NULL);
  clear_list (self->hub_list);
  for (guint i = 0; i < models->len; i++)
    {
      const BendiHubModel *model = g_ptr_array_index (models, i);

      /* Catalogue models are listed above, with more facts. */
      if (catalogue != NULL && bendi_hub_catalogue_lookup (catalogue, model->id) != NULL)
        continue;
      gtk_list_box_append (self->hub_list, bendi_model_card_new_for_hub_model (model));
    }
  gtk_stack_set_visible_child_name (self->hub_stack, "results");
}

static void
search_hub (BendiDiscoverPage *self)
{
  g_autofree char *query = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->search_entry))));

  g_cancellable_cancel (self->search_cancellable);
  g_clear_object (&self->search_cancellable);
  if (g_utf8_strlen (query, -1) < MIN_HUB_QUERY)
    {
      gtk_widget_set_visible (self->hub_section, FALSE);
      clear_list (self->hub_list);
      return;
    }
  self->search_cancellable = g_cancellable_new ();
  gtk_widget_set_visible (self->hub_section, TRUE);
  gtk_spinner_start (self->hub_spinner);
  gtk_stack_set_visible_child_name (self->hub_stack, "loading");
  bendi_hub_client_search_async (bendi_app_state_get_client (self->state), query, BENDI_HUB_SORT_DOWNLOADS,
                                 HUB_RESULTS, self->search_cancellable, search_cb, g_object_ref (self));
}

static void
search_changed_cb (BendiDiscoverPage *self)
{
  g_autofree char *folded = g_utf8_casefold (gtk_editable_get_text (GTK_EDITABLE (self->search_entry)), -1);

  g_strfreev (self->search_words);
  self->search_words = g_strsplit_set (g_strstrip (folded), " \t", -1);
  /* The catalogue follows each key; the Hub only after the entry's pause. */
  refilter (self);
  search_hub (self);
}

static void
card_activated_cb (BendiDiscoverPage *self,
                   GtkListBoxRow     *row)
{
  BendiModelCard *card = BENDI_MODEL_CARD (row);

  bendi_model_page_show (self->model_page, bendi_model_card_get_repo_id (card), bendi_model_card_get_entry (card),
                         bendi_model_card_get_hub_model (card));
  gtk_stack_set_visible_child_name (self->stack, "model");
}

static void
update_fit_guesses (BendiDiscoverPage *self)
{
  const BendiHwInfo *hw = bendi_app_state_get_hardware (self->state);

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->catalogue_list));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (BENDI_IS_MODEL_CARD (child))
      bendi_model_card_set_hardware (BENDI_MODEL_CARD (child), hw);
  refilter (self);
}

static int
compare_language_codes (gconstpointer a,
                        gconstpointer b)
{
  const char *code_a = *(const char *const *) a;
  const char *code_b = *(const char *const *) b;

  return g_utf8_collate (bendi_format_language (code_a), bendi_format_language (code_b));
}

static void
load_catalogue (BendiDiscoverPage *self)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *catalogue = bendi_app_state_get_catalogue (self->state, &error);
  g_autoptr (GtkStringList) families = gtk_string_list_new (NULL);
  g_autoptr (GtkStringList) language_names = gtk_string_list_new (NULL);
  g_autoptr (GHashTable) seen_families = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) seen_languages = g_hash_table_new (g_str_hash, g_str_equal);
  static const char *const first_languages[] = { "zh", "en" };

  self->catalogue_loaded = TRUE;
  gtk_string_list_append (families, _("Any family"));
  gtk_string_list_append (language_names, _("Any language"));
  if (catalogue == NULL)
    {
      adw_status_page_set_description (self->catalogue_status, error->message);
      gtk_stack_set_visible_child_name (self->catalogue_stack, "error");
      gtk_drop_down_set_model (self->family_filter, G_LIST_MODEL (families));
      gtk_drop_down_set_model (self->language_filter, G_LIST_MODEL (language_names));
      return;
    }

  for (guint i = 0; i < catalogue->len; i++)
    {
      const BendiHubCatalogueEntry *entry = g_ptr_array_index (catalogue, i);

      gtk_list_box_append (self->catalogue_list, bendi_model_card_new_for_entry (entry));
      if (g_hash_table_add (seen_families, entry->family))
        gtk_string_list_append (families, entry->family);
      for (guint j = 0; entry->languages[j] != NULL; j++)
        if (!g_hash_table_contains (seen_languages, entry->languages[j]))
          {
            g_hash_table_add (seen_languages, entry->languages[j]);
            g_ptr_array_add (self->language_codes, g_strdup (entry->languages[j]));
          }
    }
  /* Chinese and English first, as most of the catalogue speaks them; the
   * rest by name. */
  g_ptr_array_sort (self->language_codes, compare_language_codes);
  for (gsize k = G_N_ELEMENTS (first_languages); k > 0; k--)
    {
      guint index;

      if (g_ptr_array_find_with_equal_func (self->language_codes, first_languages[k - 1], g_str_equal, &index))
        {
          char *code = g_ptr_array_steal_index (self->language_codes, index);

          g_ptr_array_insert (self->language_codes, 0, code);
        }
    }
  for (guint i = 0; i < self->language_codes->len; i++)
    gtk_string_list_append (language_names, bendi_format_language (g_ptr_array_index (self->language_codes, i)));
  gtk_drop_down_set_model (self->family_filter, G_LIST_MODEL (families));
  gtk_drop_down_set_model (self->language_filter, G_LIST_MODEL (language_names));
  gtk_stack_set_visible_child_name (self->catalogue_stack, "list");
  update_fit_guesses (self);
}

static void
back_activated_cb (GtkWidget  *widget,
                   const char *action_name G_GNUC_UNUSED,
                   GVariant   *parameter G_GNUC_UNUSED)
{
  BendiDiscoverPage *self = BENDI_DISCOVER_PAGE (widget);

  gtk_stack_set_visible_child_name (self->stack, "browse");
}

static void
show_model_activated_cb (GtkWidget  *widget,
                         const char *action_name G_GNUC_UNUSED,
                         GVariant   *parameter)
{
  bendi_discover_page_show_model (BENDI_DISCOVER_PAGE (widget), g_variant_get_string (parameter, NULL));
}

static void
search_again_activated_cb (GtkWidget  *widget,
                           const char *action_name G_GNUC_UNUSED,
                           GVariant   *parameter G_GNUC_UNUSED)
{
  search_hub (BENDI_DISCOVER_PAGE (widget));
}

static void
bendi_discover_page_shown (BendiPage *page)
{
  BendiDiscoverPage *self = BENDI_DISCOVER_PAGE (page);

  if (!self->catalogue_loaded)
    load_catalogue (self);
  bendi_app_state_probe_hardware (self->state);
  bendi_app_state_ensure_library (self->state);
}

static void
bendi_discover_page_dispose (GObject *object)
{
  BendiDiscoverPage *self = BENDI_DISCOVER_PAGE (object);

  g_cancellable_cancel (self->search_cancellable);
  if (self->state != NULL)
    g_signal_handlers_disconnect_by_data (self->state, self);
  /* The bin's child is a template child too: taken out first, or both
   * gtk_widget_dispose_template () and AdwBin would unparent it. */
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), BENDI_TYPE_DISCOVER_PAGE);

  G_OBJECT_CLASS (bendi_discover_page_parent_class)->dispose (object);
}

static void
bendi_discover_page_finalize (GObject *object)
{
  BendiDiscoverPage *self = BENDI_DISCOVER_PAGE (object);

  g_clear_object (&self->search_cancellable);
  g_clear_object (&self->state);
  g_clear_pointer (&self->language_codes, g_ptr_array_unref);
  g_strfreev (self->search_words);

  G_OBJECT_CLASS (bendi_discover_page_parent_class)->finalize (object);
}

static void
bendi_discover_page_class_init (BendiDiscoverPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  BendiPageClass *page_class = BENDI_PAGE_CLASS (klass);

  object_class->dispose = bendi_discover_page_dispose;
  object_class->finalize = bendi_discover_page_finalize;
  page_class->shown = bendi_discover_page_shown;

  g_type_ensure (BENDI_TYPE_MODEL_PAGE);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/bendi/Bendi/discover-page.ui");
  gtk_widget_class_bind_template_child (widget_class, BendiDiscoverPage, stack);
  gtk_widget_class_bind_template_child (widget_class, BendiDiscoverPage, header_bar);
  gtk_widget_class_bind_template_child (widget_class, BendiDiscoverPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, BendiDiscoverPage, size_filter);
  gtk_widget_class_bind_template_child (widget_class, BendiDiscoverPage, family_filter);
  gtk_widget_class_bind_template_child (widget_class, BendiDiscoverPage, license_filter);
  gtk_widget_class_bind_template_child (widget_class, BendiDiscoverPage, language_filter);
  gtk_widget_class_bind_template_child (widget_class, BendiDiscoverPage, supported_check);
  gtk_widget_class_bind_template_child (widget_class, BendiDiscoverPage, catalogue_stack);
  gtk_widget_class_bind_template_child (widget_class, BendiDiscoverPage, catalogue_list);
  gtk_widget_class_bind_template_child (widget_class, BendiDiscoverPage, catalogue_status);
  gtk_widget_class_bind_template_child (widget_class, BendiDiscoverPage, hub_section);
  gtk_widget_class_bind_template_child (widget_class, BendiDiscoverPage, hub_stack);
  gtk_widget_class_bind_template_child (widget_class, BendiDiscoverPage, hub_list);
  gtk_widget_class_bind_template_child (widget_class, BendiDiscoverPage, hub_status);
  gtk_widget_class_bind_template_child (widget_class, BendiDiscoverPage, hub_spinner);
  gtk_widget_class_bind_template_child (widget_class, BendiDiscoverPage, model_page);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, filter_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, card_activated_cb);

  gtk_widget_class_install_action (widget_class, "discover.back", NULL, back_activated_cb);
  gtk_widget_class_install_action (widget_class, "discover.show-model", "s", show_model_activated_cb);
  gtk_widget_class_install_action (widget_class, "discover.search-again", NULL, search_again_activated_cb);
}

static void
bendi_discover_page_init (BendiDiscoverPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  bendi_page_set_header_bar (BENDI_PAGE (self), self->header_bar);

  /* The model page has its own header: it shows the window buttons on the
   * start side while the window is folded, as the page's own does. */
  g_object_bind_property (self, "folded", bendi_model_page_get_header_bar (self->model_page),
                          "show-start-title-buttons", G_BINDING_SYNC_CREATE);

  self->language_codes = g_ptr_array_new_with_free_func (g_free);
  self->state = g_object_ref (bendi_app_state_get_default ());
  g_signal_connect_swapped (self->state, "notify::hardware", G_CALLBACK (update_fit_guesses), self);
  gtk_list_box_set_filter_func (self->catalogue_list, catalogue_filter, self, NULL);
  gtk_list_box_set_filter_func (self->hub_list, hub_filter, self, NULL);
}

void
bendi_discover_page_show_model (BendiDiscoverPage *self,
                                const char        *repo_id)
{
  GPtrArray *catalogue;

  g_return_if_fail (BENDI_IS_DISCOVER_PAGE (self));
  g_return_if_fail (repo_id != NULL);

  if (!self->catalogue_loaded)
    load_catalogue (self);
  catalogue = bendi_app_state_get_catalogue (self->state, NULL);
  bendi_model_page_show (self->model_page, repo_id,
                         catalogue != NULL ? bendi_hub_catalogue_lookup (catalogue, repo_id) : NULL, NULL);
  gtk_stack_set_visible_child_name (self->stack, "model");
}
