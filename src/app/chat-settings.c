/* SPDX-License-Identifier: MIT */
/* Per-model chat settings and presets, kept in one small JSON file:
 *   { "version": 1,
 *     "models": { "model.gguf": { "system_prompt": …, "temperature": 0.8, …, "gpu_layers": 12 } },
 *     "presets": [ { "name": "Terse", "system_prompt": …, "temperature": … } ] }
 * A model's "gpu_layers" and "backend" are there only once chosen for it:
 * until then the defaults (Preferences) apply, and follow later changes.
 */
#define G_LOG_DOMAIN "bendi-app"

#include "chat-settings.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

/* Changes are written this long after the last one. */
#define SAVE_DELAY_MS 300

typedef struct
{
  char  *system_prompt;
  double temperature;
  double top_p;
  int    top_k;
  double min_p;
  double repeat_penalty;
  gint64 max_tokens;
  gint64 context_length;
  gint64 gpu_layers;
  gboolean gpu_layers_chosen;  /* else the default applies */
  char  *backend;              /* "auto", "cpu", "vulkan"; NULL: the default applies */
} Values;

typedef struct
{
  const char *name;           /* N_() */
  const char *system_prompt;  /* N_(): the model reads it in the user's language */
  double      temperature;
  double      top_p;
  double      min_p;
} BuiltinPreset;

static const BuiltinPreset builtin_presets[] = {
  { N_("Default"), "", 0.8, 0.95, 0.05 },
  { N_("Precise"),
    N_("You are a careful assistant. Answer accurately and concisely, and say so when you are not sure."),
    0.2, 0.9, 0.1 },
  { N_("Creative"),
    N_("You are an imaginative writer. Be vivid and original, and vary your sentences."),
    1.0, 0.98, 0.02 },
  { N_("Coding"),
    N_("You are an expert programmer. Answer with working code in fenced code blocks, then explain it briefly."),
    0.2, 0.9, 0.1 },
  { N_("Translator"),
    N_("Translate the user's text between Chinese and English: Chinese into English, anything else into Chinese. "
       "Reply with the translation only."),
    0.3, 0.9, 0.1 },
};

struct _BendiChatSettings
{
  GObject parent_instance;

  char       *path;
  char       *model_key;   /* the model's file name, or NULL */
  Values      values;
  JsonObject *models;      /* model key → saved values */
  JsonArray  *presets;     /* the user's */
  guint       save_id;
  gint64      default_gpu_layers;
  char       *default_backend;
};

enum {
  PROP_0,
  PROP_SYSTEM_PROMPT,
  PROP_TEMPERATURE,
  PROP_TOP_P,
  PROP_TOP_K,
  PROP_MIN_P,
  PROP_REPEAT_PENALTY,
  PROP_MAX_TOKENS,
  PROP_CONTEXT_LENGTH,
  PROP_GPU_LAYERS,
  PROP_BACKEND,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (BendiChatSettings, bendi_chat_settings, G_TYPE_OBJECT)

static void
values_init_defaults (Values *values)
{
  BendiSamplerParams sampling;

  bendi_sampler_params_init (&sampling);
  g_clear_pointer (&values->system_prompt, g_free);
  values->system_prompt = g_strdup ("");
  values->temperature = sampling.temperature;
  values->top_p = sampling.top_p;
  values->top_k = sampling.top_k;
  values->min_p = sampling.min_p;
  values->repeat_penalty = sampling.repeat_penalty;
  values->max_tokens = 0;
  values->context_length = 0;
  values->gpu_layers = -1;
  values->gpu_layers_chosen = FALSE;
  g_clear_pointer (&values->backend, g_free);
}

static gboolean
is_backend_name (const char *name)
{
  BendiBackend backend;

  return name != NULL && bendi_backend_from_name (name, &backend);
}

static JsonObject *
values_to_json (const Values *values,
                gboolean      sampling_only)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "system_prompt", values->system_prompt);
  json_object_set_double_member (object, "temperature", values->temperature);
  json_object_set_double_member (object, "top_p", values->top_p);
  json_object_set_int_member (object, "top_k", values->top_k);
  json_object_set_double_member (object, "min_p", values->min_p);
  json_object_set_double_member (object, "repeat_penalty", values->repeat_penalty);
  if (!sampling_only)
    {
      json_object_set_int_member (object, "max_tokens", values->max_tokens);
      json_object_set_int_member (object, "context_length", values->context_length);
      if (values->gpu_layers_chosen)
        json_object_set_int_member (object, "gpu_layers", values->gpu_layers);
      if (values->backend != NULL)
        json_object_set_string_member (object, "backend", values->backend);
    }
  return object;
}

static double
get_number (JsonObject *object,
            const char *name,
            double      min,
            double      max,
            double      fallback)
{
  JsonNode *node = json_object_get_member (object, name);
  double value;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      (json_node_get_value_type (node) != G_TYPE_DOUBLE && json_node_get_value_type (node) != G_TYPE_INT64))
    return fallback;
  value = json_node_get_double (node);
  return value >= min && value <= max ? value : fallback;
}

/* The properties' ranges bound what a hand-edited file can set. */
static void
values_from_json (Values     *values,
                  JsonObject *object,
                  gboolean    sampling_only)
{
  JsonNode *prompt = json_object_get_member (object, "system_prompt");

  if (prompt != NULL && JSON_NODE_HOLDS_VALUE (prompt) && json_node_get_value_type (prompt) == G_TYPE_STRING)
    {
      g_free (values->system_prompt);
      values->system_prompt = g_strdup (json_node_get_string (prompt));
    }
#define RANGE(prop) G_PARAM_SPEC_DOUBLE (properties[prop])->minimum, G_PARAM_SPEC_DOUBLE (properties[prop])->maximum
  values->temperature = get_number (object, "temperature", RANGE (PROP_TEMPERATURE), values->temperature);
  values->top_p = get_number (object, "top_p", RANGE (PROP_TOP_P), values->top_p);
  values->min_p = get_number (object, "min_p", RANGE (PROP_MIN_P), values->min_p);
  values->repeat_penalty = get_number (object, "repeat_penalty", RANGE (PROP_REPEAT_PENALTY), values->repeat_penalty);
#undef RANGE
  values->top_k = (int) get_number (object, "top_k", 0, G_PARAM_SPEC_INT (properties[PROP_TOP_K])->maximum,
                                    values->top_k);
  if (!sampling_only)
    {
      values->max_tokens = (gint64) get_number (object, "max_tokens", 0,
                                                (double) G_PARAM_SPEC_INT64 (properties[PROP_MAX_TOKENS])->maximum,
                                                (double) values->max_tokens);
      values->context_length = (gint64) get_number (object, "context_length", 0,
                                                    (double) G_PARAM_SPEC_INT64 (properties[PROP_CONTEXT_LENGTH])->maximum,
                                                    (double) values->context_length);
      if (json_object_has_member (object, "gpu_layers"))
        {
          GParamSpecInt64 *range = G_PARAM_SPEC_INT64 (properties[PROP_GPU_LAYERS]);
          double layers = get_number (object, "gpu_layers", (double) range->minimum, (double) range->maximum, -2.0);

          /* Out of range or not a number: as if never chosen. */
          values->gpu_layers_chosen = layers >= -1.0;
          values->gpu_layers = values->gpu_layers_chosen ? (gint64) layers : -1;
        }
      if (is_backend_name (json_object_get_string_member_with_default (object, "backend", NULL)))
        {
          g_free (values->backend);
          values->backend = g_strdup (json_object_get_string_member (object, "backend"));
        }
    }
}

static void
notify_all (BendiChatSettings *self)
{
  for (int i = 1; i < N_PROPS; i++)
    g_object_notify_by_pspec (G_OBJECT (self), properties[i]);
}

static void
write_file (BendiChatSettings *self)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  g_autoptr (JsonObject) object = json_object_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (self->path);
  g_autofree char *text = NULL;

  json_object_set_int_member (object, "version", 1);
  json_object_set_object_member (object, "models", json_object_ref (self->models));
  json_object_set_array_member (object, "presets", json_array_ref (self->presets));
  json_node_set_object (root, object);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  g_mkdir_with_parents (dir, 0700);
  if (!g_file_set_contents_full (self->path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    g_message ("Could not save the chat settings: %s", error->message);
}

static gboolean
save_timeout_cb (gpointer user_data)
{
  BendiChatSettings *self = user_data;

  self->save_id = 0;
  write_file (self);
  return G_SOURCE_REMOVE;
}

/* Remembers the values for the current model, and writes soon. */
static void
changed (BendiChatSettings *self)
{
  if (self->model_key == NULL)
    return;
  json_object_set_object_member (self->models, self->model_key, values_to_json (&self->values, FALSE));
  g_clear_handle_id (&self->save_id, g_source_remove);
  self->save_id = g_timeout_add (SAVE_DELAY_MS, save_timeout_cb, self);
}

static void
read_file (BendiChatSettings *self)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonNode *root;
  JsonNode *member;

  if (!json_parser_load_from_file (parser, self->path, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_message ("Could not read the chat settings %s: %s", self->path, error->message);
      return;
    }
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return;
  member = json_object_get_member (json_node_get_object (root), "models");
  if (member != NULL && JSON_NODE_HOLDS_OBJECT (member))
    {
      json_object_unref (self->models);
      self->models = json_object_ref (json_node_get_object (member));
    }
  member = json_object_get_member (json_node_get_object (root), "presets");
  if (member != NULL && JSON_NODE_HOLDS_ARRAY (member))
    {
      json_array_unref (self->presets);
      self->presets = json_array_ref (json_node_get_array (member));
    }
}

static void
bendi_chat_settings_finalize (GObject *object)
{
  BendiChatSettings *self = BENDI_CHAT_SETTINGS (object);

  bendi_chat_settings_flush (self);
  g_free (self->path);
  g_free (self->model_key);
  g_free (self->values.system_prompt);
  g_free (self->values.backend);
  g_free (self->default_backend);
  json_object_unref (self->models);
  json_array_unref (self->presets);

  G_OBJECT_CLASS (bendi_chat_settings_parent_class)->finalize (object);
}

static void
bendi_chat_settings_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  BendiChatSettings *self = BENDI_CHAT_SETTINGS (object);

  switch (prop_id)
    {
    case PROP_SYSTEM_PROMPT:
      g_value_set_string (value, self->values.system_prompt);
      break;
    case PROP_TEMPERATURE:
      g_value_set_double (value, self->values.temperature);
      break;
    case PROP_TOP_P:
      g_value_set_double (value, self->values.top_p);
      break;
    case PROP_TOP_K:
      g_value_set_int (value, self->values.top_k);
      break;
    case PROP_MIN_P:
      g_value_set_double (value, self->values.min_p);
      break;
    case PROP_REPEAT_PENALTY:
      g_value_set_double (value, self->values.repeat_penalty);
      break;
    case PROP_MAX_TOKENS:
      g_value_set_int64 (value, self->values.max_tokens);
      break;
    case PROP_CONTEXT_LENGTH:
      g_value_set_int64 (value, self->values.context_length);
      break;
    case PROP_GPU_LAYERS:
      g_value_set_int64 (value, bendi_chat_settings_get_gpu_layers (self));
      break;
    case PROP_BACKEND:
      g_value_set_string (value, bendi_chat_settings_get_backend (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bendi_chat_settings_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  BendiChatSettings *self = BENDI_CHAT_SETTINGS (object);
  Values *values = &self->values;

  switch (prop_id)
    {
    case PROP_SYSTEM_PROMPT:
      if (g_strcmp0 (values->system_prompt, g_value_get_string (value)) == 0)
        return;
      g_free (values->system_prompt);
      values->system_prompt = g_strdup (g_value_get_string (value) != NULL ? g_value_get_string (value) : "");
      break;
    case PROP_TEMPERATURE:
      if (values->temperature == g_value_get_double (value))
        return;
      values->temperature = g_value_get_double (value);
      break;
    case PROP_TOP_P:
      if (values->top_p == g_value_get_double (value))
        return;
      values->top_p = g_value_get_double (value);
      break;
    case PROP_TOP_K:
      if (values->top_k == g_value_get_int (value))
        return;
      values->top_k = g_value_get_int (value);
      break;
    case PROP_MIN_P:
      if (values->min_p == g_value_get_double (value))
        return;
      values->min_p = g_value_get_double (value);
      break;
    case PROP_REPEAT_PENALTY:
      if (values->repeat_penalty == g_value_get_double (value))
        return;
      values->repeat_penalty = g_value_get_double (value);
      break;
    case PROP_MAX_TOKENS:
      if (values->max_tokens == g_value_get_int64 (value))
        return;
      values->max_tokens = g_value_get_int64 (value);
      break;
    case PROP_CONTEXT_LENGTH:
      if (values->context_length == g_value_get_int64 (value))
        return;
      values->context_length = g_value_get_int64 (value);
      break;
    case PROP_GPU_LAYERS:
      if (values->gpu_layers_chosen && values->gpu_layers == g_value_get_int64 (value))
        return;
      values->gpu_layers = g_value_get_int64 (value);
      values->gpu_layers_chosen = TRUE;
      break;
    case PROP_BACKEND:
      if (!is_backend_name (g_value_get_string (value)) || g_strcmp0 (values->backend, g_value_get_string (value)) == 0)
        return;
      g_free (values->backend);
      values->backend = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }
  g_object_notify_by_pspec (object, pspec);
  changed (self);
}

static void
bendi_chat_settings_class_init (BendiChatSettingsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = bendi_chat_settings_finalize;
  object_class->get_property = bendi_chat_settings_get_property;
  object_class->set_property = bendi_chat_settings_set_property;

  properties[PROP_SYSTEM_PROMPT] = g_param_spec_string ("system-prompt", NULL, NULL, "", flags);
  properties[PROP_TEMPERATURE] = g_param_spec_double ("temperature", NULL, NULL, 0.0, 2.0, 0.8, flags);
  properties[PROP_TOP_P] = g_param_spec_double ("top-p", NULL, NULL, 0.0, 1.0, 0.95, flags);
  properties[PROP_TOP_K] = g_param_spec_int ("top-k", NULL, NULL, 0, 1000, 40, flags);
  properties[PROP_MIN_P] = g_param_spec_double ("min-p", NULL, NULL, 0.0, 1.0, 0.05, flags);
  properties[PROP_REPEAT_PENALTY] = g_param_spec_double ("repeat-penalty", NULL, NULL, 0.5, 2.0, 1.0, flags);
  properties[PROP_MAX_TOKENS] = g_param_spec_int64 ("max-tokens", NULL, NULL, 0, 1 << 20, 0, flags);
  properties[PROP_CONTEXT_LENGTH] = g_param_spec_int64 ("context-length", NULL, NULL, 0, 1 << 20, 0, flags);
  /* The same range as the gpu-layers setting of Preferences. */
  properties[PROP_GPU_LAYERS] = g_param_spec_int64 ("gpu-layers", NULL, NULL, -1, 4096, -1, flags);
  properties[PROP_BACKEND] = g_param_spec_string ("backend", NULL, NULL, "auto", flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
bendi_chat_settings_init (BendiChatSettings *self)
{
  self->models = json_object_new ();
  self->presets = json_array_new ();
  values_init_defaults (&self->values);
  self->default_gpu_layers = -1;
  self->default_backend = g_strdup ("auto");
}

BendiChatSettings *
bendi_chat_settings_new (const char *path)
{
  BendiChatSettings *self = g_object_new (BENDI_TYPE_CHAT_SETTINGS, NULL);

  self->path = path != NULL ? g_strdup (path)
                            : g_build_filename (g_get_user_config_dir (), "bendi", "chat-settings.json", NULL);
  read_file (self);
  return self;
}

void
bendi_chat_settings_set_model (BendiChatSettings *self,
                               const char        *model_path)
{
  g_autofree char *key = NULL;

  g_return_if_fail (BENDI_IS_CHAT_SETTINGS (self));

  key = model_path != NULL ? g_path_get_basename (model_path) : NULL;
  g_free (self->model_key);
  self->model_key = g_steal_pointer (&key);
  values_init_defaults (&self->values);
  if (self->model_key != NULL && json_object_has_member (self->models, self->model_key))
    {
      JsonNode *saved = json_object_get_member (self->models, self->model_key);

      if (JSON_NODE_HOLDS_OBJECT (saved))
        values_from_json (&self->values, json_node_get_object (saved), FALSE);
    }
  notify_all (self);
}

void
bendi_chat_settings_reset (BendiChatSettings *self)
{
  g_return_if_fail (BENDI_IS_CHAT_SETTINGS (self));

  values_init_defaults (&self->values);
  notify_all (self);
  changed (self);
}

const char *
bendi_chat_settings_get_system_prompt (BendiChatSettings *self)
{
  g_return_val_if_fail (BENDI_IS_CHAT_SETTINGS (self), NULL);
  return self->values.system_prompt;
}

gint64
bendi_chat_settings_get_context_length (BendiChatSettings *self)
{
  g_return_val_if_fail (BENDI_IS_CHAT_SETTINGS (self), 0);
  return self->values.context_length;
}

gint64
bendi_chat_settings_get_gpu_layers (BendiChatSettings *self)
{
  g_return_val_if_fail (BENDI_IS_CHAT_SETTINGS (self), -1);
  return self->values.gpu_layers_chosen ? self->values.gpu_layers : self->default_gpu_layers;
}

void
bendi_chat_settings_set_default_gpu_layers (BendiChatSettings *self,
                                            gint64             gpu_layers)
{
  gint64 shown;

  g_return_if_fail (BENDI_IS_CHAT_SETTINGS (self));

  shown = bendi_chat_settings_get_gpu_layers (self);
  self->default_gpu_layers = CLAMP (gpu_layers, -1, 4096);
  if (bendi_chat_settings_get_gpu_layers (self) != shown)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GPU_LAYERS]);
}

const char *
bendi_chat_settings_get_backend (BendiChatSettings *self)
{
  g_return_val_if_fail (BENDI_IS_CHAT_SETTINGS (self), "auto");
  return self->values.backend != NULL ? self->values.backend : self->default_backend;
}

void
bendi_chat_settings_set_default_backend (BendiChatSettings *self,
                                         const char        *backend)
{
  g_autofree char *shown = NULL;

  g_return_if_fail (BENDI_IS_CHAT_SETTINGS (self));

  shown = g_strdup (bendi_chat_settings_get_backend (self));
  g_free (self->default_backend);
  self->default_backend = g_strdup (is_backend_name (backend) ? backend : "auto");
  if (g_strcmp0 (bendi_chat_settings_get_backend (self), shown) != 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BACKEND]);
}

void
bendi_chat_settings_fill_params (BendiChatSettings   *self,
                                 BendiGenerateParams *params)
{
  g_return_if_fail (BENDI_IS_CHAT_SETTINGS (self));

  params->sampling.temperature = (float) self->values.temperature;
  params->sampling.top_p = (float) self->values.top_p;
  params->sampling.top_k = self->values.top_k;
  params->sampling.min_p = (float) self->values.min_p;
  params->sampling.repeat_penalty = (float) self->values.repeat_penalty;
  params->max_tokens = self->values.max_tokens > 0 ? self->values.max_tokens : -1;
}

char **
bendi_chat_settings_list_presets (BendiChatSettings *self)
{
  GStrvBuilder *builder = g_strv_builder_new ();
  char **names;

  g_return_val_if_fail (BENDI_IS_CHAT_SETTINGS (self), NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (builtin_presets); i++)
    g_strv_builder_add (builder, _(builtin_presets[i].name));
  for (guint i = 0; i < json_array_get_length (self->presets); i++)
    {
      JsonNode *node = json_array_get_element (self->presets, i);

      if (JSON_NODE_HOLDS_OBJECT (node) && json_object_has_member (json_node_get_object (node), "name"))
        g_strv_builder_add (builder, json_object_get_string_member (json_node_get_object (node), "name"));
    }
  names = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return names;
}

static int
find_user_preset (BendiChatSettings *self,
                  const char        *name)
{
  for (guint i = 0; i < json_array_get_length (self->presets); i++)
    {
      JsonNode *node = json_array_get_element (self->presets, i);

      if (JSON_NODE_HOLDS_OBJECT (node) &&
          g_strcmp0 (json_object_get_string_member_with_default (json_node_get_object (node), "name", NULL), name) == 0)
        return (int) i;
    }
  return -1;
}

gboolean
bendi_chat_settings_apply_preset (BendiChatSettings *self,
                                  const char        *name)
{
  int user;

  g_return_val_if_fail (BENDI_IS_CHAT_SETTINGS (self), FALSE);

  for (gsize i = 0; i < G_N_ELEMENTS (builtin_presets); i++)
    if (g_strcmp0 (_(builtin_presets[i].name), name) == 0)
      {
        const BuiltinPreset *preset = &builtin_presets[i];
        Values defaults = { 0 };

        values_init_defaults (&defaults);
        g_free (self->values.system_prompt);
        self->values.system_prompt = g_strdup (*preset->system_prompt != '\0' ? _(preset->system_prompt) : "");
        self->values.temperature = preset->temperature;
        self->values.top_p = preset->top_p;
        self->values.min_p = preset->min_p;
        self->values.top_k = defaults.top_k;
        self->values.repeat_penalty = defaults.repeat_penalty;
        g_free (defaults.system_prompt);
        notify_all (self);
        changed (self);
        return TRUE;
      }
  user = find_user_preset (self, name);
  if (user < 0)
    return FALSE;
  values_from_json (&self->values, json_array_get_object_element (self->presets, (guint) user), TRUE);
  notify_all (self);
  changed (self);
  return TRUE;
}

void
bendi_chat_settings_save_preset (BendiChatSettings *self,
                                 const char        *name)
{
  JsonObject *object;
  int existing;

  g_return_if_fail (BENDI_IS_CHAT_SETTINGS (self));
  g_return_if_fail (name != NULL && *name != '\0');

  object = values_to_json (&self->values, TRUE);
  json_object_set_string_member (object, "name", name);
  existing = find_user_preset (self, name);
  if (existing >= 0)
    json_array_remove_element (self->presets, (guint) existing);
  json_array_add_object_element (self->presets, object);
  g_clear_handle_id (&self->save_id, g_source_remove);
  self->save_id = g_timeout_add (SAVE_DELAY_MS, save_timeout_cb, self);
}

gboolean
bendi_chat_settings_delete_preset (BendiChatSettings *self,
                                   const char        *name)
{
  int existing;

  g_return_val_if_fail (BENDI_IS_CHAT_SETTINGS (self), FALSE);

  existing = find_user_preset (self, name);
  if (existing < 0)
    return FALSE;
  json_array_remove_element (self->presets, (guint) existing);
  g_clear_handle_id (&self->save_id, g_source_remove);
  self->save_id = g_timeout_add (SAVE_DELAY_MS, save_timeout_cb, self);
  return TRUE;
}

void
bendi_chat_settings_flush (BendiChatSettings *self)
{
  g_return_if_fail (BENDI_IS_CHAT_SETTINGS (self));

  if (self->save_id == 0)
    return;
  g_clear_handle_id (&self->save_id, g_source_remove);
  write_file (self);
}
