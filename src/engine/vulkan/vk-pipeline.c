/* SPDX-License-Identifier: MIT */
/* The pipeline table, pipelines built on demand from embedded SPIR-V, and the on-disk pipeline cache. */
#include "vulkan/vk-pipeline.h"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>

#include "engine-error.h"
#include "vk-shaders.h"
#include "vulkan/vk-private.h"
#include "vulkan/vk-push-constants.h"

/* Every op: its shader, bindings (bit i of written: the shader stores to
 * binding i), push-constant block and specialisation constants. Typed ops
 * append the weight type to the shader name ("matvec_q4_0"); ops with a
 * subgroup variant append "_subgroup" when the device uses them. */
typedef struct {
  BendiVkOp   op;
  const char *shader;
  gboolean    typed;
  gboolean    has_subgroup_variant;
  gboolean    has_rows_variant;    /* "_rows": the CPU devices' (matvec: rows per invocation) */
  gboolean    has_token_constant;  /* specialisation constants 2 and 3: tokens per dispatch, vec4 loads */
  guint       n_bindings;
  guint32     written;
  guint32     push_size;
  guint32     workgroup_size;      /* specialisation constant 0 */
  guint32     rows_per_workgroup;  /* specialisation constant 1, where the shader has it
                                    * (matvec: the device's matvec_rows) */
  /* The "_rows" variant's bindings read through texel buffers: bit i for
   * binding i, of one-word texels or (rows_texels4) of four; and how many
   * bindings it has, where it has more than the others. */
  guint32     rows_texels;
  guint32     rows_texels4;
  guint       rows_n_bindings;
} PipelineSpec;

static const PipelineSpec pipeline_specs[BENDI_VK_N_OPS] = {
  /* CPU devices: weights as texels of a word (0) and again of four (7, an
   * eighth binding), activations (1) and norm weights (3) of four, the
   * norm's partial sums (4) of a word */
  { BENDI_VK_OP_MATVEC, "matvec", TRUE, TRUE, TRUE, TRUE, 7, (1u << 2) | (1u << 5), sizeof (BendiVkMatmulConstants), 64, 2,
    (1u << 0) | (1u << 1) | (1u << 3) | (1u << 4) | (1u << 7), (1u << 1) | (1u << 3) | (1u << 7), 8 },
  { BENDI_VK_OP_MATMUL, "matmul", TRUE, FALSE, FALSE, FALSE, 7, 1u << 2, sizeof (BendiVkMatmulConstants), 256, 0 },
  { BENDI_VK_OP_GET_ROWS, "get_rows", TRUE, FALSE, FALSE, FALSE, 3, 1u << 2, sizeof (BendiVkGetRowsConstants), 64, 0 },
  { BENDI_VK_OP_RMS_NORM, "rms_norm", FALSE, TRUE, FALSE, FALSE, 3, 1u << 2, sizeof (BendiVkRmsNormConstants), 256, 0 },
  { BENDI_VK_OP_ROPE, "rope", FALSE, FALSE, FALSE, FALSE, 3, 1u << 0, sizeof (BendiVkRopeConstants), 64, 0 },
  { BENDI_VK_OP_ROPE_KV, "rope_kv", FALSE, FALSE, FALSE, FALSE, 7, (1u << 0) | (1u << 3) | (1u << 4), sizeof (BendiVkRopeKvConstants), 64, 0 },
  { BENDI_VK_OP_SWIGLU, "swiglu", FALSE, FALSE, FALSE, FALSE, 3, 1u << 2, sizeof (BendiVkSwigluConstants), 256, 0 },
  { BENDI_VK_OP_ADD, "add", FALSE, FALSE, FALSE, FALSE, 3, 1u << 2, sizeof (BendiVkAddConstants), 256, 0 },
  { BENDI_VK_OP_KV_WRITE, "kv_write", FALSE, FALSE, FALSE, FALSE, 5, (1u << 2) | (1u << 3), sizeof (BendiVkKvWriteConstants), 64, 0 },
  /* CPU devices: queries (0) as texels of a word, keys and values (1, 2)
   * of four; the head dimension as specialisation constant 2 */
  { BENDI_VK_OP_ATTENTION, "attention", FALSE, TRUE, TRUE, FALSE, 5, 1u << 4, sizeof (BendiVkAttentionConstants), 64, 0,
    (1u << 0) | (1u << 1) | (1u << 2), (1u << 1) | (1u << 2), 0 },
  { BENDI_VK_OP_ATTENTION_SPLIT, "attention_split", FALSE, TRUE, FALSE, FALSE, 5, 1u << 4, sizeof (BendiVkAttentionConstants), 64, 0 },
  { BENDI_VK_OP_ATTENTION_COMBINE, "attention_combine", FALSE, FALSE, FALSE, FALSE, 2, 1u << 1, sizeof (BendiVkCombineConstants), 64, 0 },
  { BENDI_VK_OP_SOFTMAX, "softmax", FALSE, TRUE, FALSE, FALSE, 1, 1u << 0, sizeof (BendiVkRowConstants), 256, 0 },
  { BENDI_VK_OP_ARGMAX, "argmax", FALSE, FALSE, FALSE, FALSE, 2, 1u << 1, sizeof (BendiVkRowConstants), 256, 0 },
  { BENDI_VK_OP_QKV_PREP, "qkv_prep", FALSE, TRUE, FALSE, FALSE, 7, (1u << 0) | (1u << 1) | (1u << 2), sizeof (BendiVkQkvPrepConstants), 64, 0 },
  { BENDI_VK_OP_QUANTIZE_Q8, "quantize_q8", FALSE, FALSE, FALSE, FALSE, 4, 1u << 3, sizeof (BendiVkQuantizeConstants), 64, 0 },
  { BENDI_VK_OP_READ, "read", FALSE, FALSE, FALSE, FALSE, 2, 1u << 1, sizeof (BendiVkReadConstants), 256, 0 },
};

/* The weight types with shaders, as types.glsl spells them. */
static const char *
type_suffix (BendiTensorType type)
{
  switch (type)
    {
    case BENDI_TENSOR_TYPE_F32: return "f32";
    case BENDI_TENSOR_TYPE_F16: return "f16";
    case BENDI_TENSOR_TYPE_BF16: return "bf16";
    case BENDI_TENSOR_TYPE_Q4_0: return "q4_0";
    case BENDI_TENSOR_TYPE_Q4_1: return "q4_1";
    case BENDI_TENSOR_TYPE_Q5_0: return "q5_0";
    case BENDI_TENSOR_TYPE_Q5_1: return "q5_1";
    case BENDI_TENSOR_TYPE_Q8_0: return "q8_0";
    case BENDI_TENSOR_TYPE_Q2_K: return "q2_k";
    case BENDI_TENSOR_TYPE_Q3_K: return "q3_k";
    case BENDI_TENSOR_TYPE_Q4_K: return "q4_k";
    case BENDI_TENSOR_TYPE_Q5_K: return "q5_k";
    case BENDI_TENSOR_TYPE_Q6_K: return "q6_k";
    case BENDI_TENSOR_TYPE_IQ4_NL: return "iq4_nl";
    case BENDI_TENSOR_TYPE_IQ4_XS: return "iq4_xs";
    default: return NULL;
    }
}

gboolean
bendi_vk_rows_on_texels (BendiVkDevice   *device,
                         BendiTensorType  type,
                         gsize            row_bytes)
{
  return device->use_cpu_kernels && type == BENDI_TENSOR_TYPE_Q4_0 && row_bytes % 16 == 0;
}

gboolean
bendi_vk_type_is_supported (BendiTensorType type)
{
  return type_suffix (type) != NULL;
}

static const BendiVkShaderCode *
find_shader (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (bendi_vk_shader_codes); i++)
    if (strcmp (bendi_vk_shader_codes[i].name, name) == 0)
      return &bendi_vk_shader_codes[i];
  return NULL;
}

/* Whether @type has int8 matrix × vector variants: those that
 * shaders/meson.build builds (its int8_weight_types says which and why). */
static gboolean
int8_type (BendiTensorType type)
{
  static gsize initialized = 0;
  static gboolean has_int8[BENDI_TENSOR_TYPE_COUNT];

  if (g_once_init_enter (&initialized))
    {
      for (int t = 0; t < BENDI_TENSOR_TYPE_COUNT; t++)
        {
          const char *suffix = type_suffix ((BendiTensorType) t);
          g_autofree char *name = suffix != NULL ? g_strdup_printf ("matvec_%s_int8", suffix) : NULL;

          has_int8[t] = name != NULL && find_shader (name) != NULL;
        }
      g_once_init_leave (&initialized, 1);
    }
  return (int) type >= 0 && type < BENDI_TENSOR_TYPE_COUNT && has_int8[type];
}

/* The cooperative-matrix variants: every type but F32 and BF16, whose
 * weights may lie outside float16_t's range. Built where glslc knows
 * GL_KHR_cooperative_matrix (shaders/meson.build). */
static gboolean
coopmat_type (BendiTensorType type)
{
  const char *suffix = type_suffix (type);
  g_autofree char *name = suffix != NULL ? g_strdup_printf ("matmul_%s_coopmat", suffix) : NULL;

  return name != NULL && find_shader (name) != NULL;
}

gboolean
bendi_vk_pipeline_has_coopmat (void)
{
  return coopmat_type (BENDI_TENSOR_TYPE_Q4_0);
}

/* matmul.comp's tiles: weights and activations 4 M and 4 N rows of 32
 * float16_t, the products 4 M × 4 N floats. */
guint32
bendi_vk_coopmat_shared_bytes (const BendiVkDeviceInfo *info)
{
  return (4 * info->coopmat_m + 4 * info->coopmat_n) * 32 * 2 + 16 * info->coopmat_m * info->coopmat_n * 4;
}

gboolean
bendi_vk_pipeline_uses_int8 (BendiVkDevice   *device,
                             BendiTensorType  type)
{
  return device->use_int8 && !device->use_cpu_kernels && int8_type (type);
}

struct _BendiVkPipelineSet {
  BendiVkDevice   *device;
  GMutex           lock;
  GHashTable      *pipelines;   /* shader name → BendiVkPipeline */
  VkPipelineCache  cache;
  char            *cache_path;  /* NULL: no disk cache */
};

static void
pipeline_destroy (BendiVkDevice   *device,
                  BendiVkPipeline *pipeline)
{
  if (pipeline->pipeline != VK_NULL_HANDLE)
    device->fn.vkDestroyPipeline (device->device, pipeline->pipeline, NULL);
  if (pipeline->layout != VK_NULL_HANDLE)
    device->fn.vkDestroyPipelineLayout (device->device, pipeline->layout, NULL);
  if (pipeline->set_layout != VK_NULL_HANDLE)
    device->fn.vkDestroyDescriptorSetLayout (device->device, pipeline->set_layout, NULL);
  g_free ((char *) pipeline->name);
  g_free (pipeline);
}

/* The cache file names the device and driver: another driver's data would
 * only be refused by the driver, but costs a read. */
static char *
cache_path_for (BendiVkDevice *device,
                const char    *cache_dir)
{
  g_autofree char *dir = NULL;
  g_autofree char *file = NULL;

  if (cache_dir != NULL && *cache_dir == '\0')
    return NULL;
  dir = cache_dir != NULL ? g_strdup (cache_dir) : g_build_filename (g_get_user_cache_dir (), "bendi", NULL);
  file = g_strdup_printf ("vulkan-pipelines-%04x-%04x-%08x.bin", device->info.vendor_id,
                          device->info.device_id, device->info.driver_version);
  return g_build_filename (dir, file, NULL);
}

BendiVkPipelineSet *
bendi_vk_pipeline_set_new (BendiVkDevice *device,
                           const char    *cache_dir)
{
  BendiVkPipelineSet *self = g_new0 (BendiVkPipelineSet, 1);
  g_autofree char *data = NULL;
  gsize size = 0;
  VkPipelineCacheCreateInfo info = { .sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO };

  self->device = device;
  g_mutex_init (&self->lock);
  self->pipelines = g_hash_table_new (g_str_hash, g_str_equal);
  self->cache_path = cache_path_for (device, cache_dir);

  /* A damaged or foreign file is harmless: the driver checks the header
   * and starts empty. */
  if (self->cache_path != NULL && g_file_get_contents (self->cache_path, &data, &size, NULL))
    {
      info.initialDataSize = size;
      info.pInitialData = data;
    }
  if (device->fn.vkCreatePipelineCache (device->device, &info, NULL, &self->cache) != VK_SUCCESS)
    {
      info.initialDataSize = 0;
      info.pInitialData = NULL;
      if (device->fn.vkCreatePipelineCache (device->device, &info, NULL, &self->cache) != VK_SUCCESS)
        self->cache = VK_NULL_HANDLE;
    }
  return self;
}

gboolean
bendi_vk_pipeline_set_save (BendiVkPipelineSet  *self,
                            GError             **error)
{
  BendiVkDevice *device = self->device;
  g_autofree char *dir = NULL;
  g_autofree guint8 *data = NULL;
  g_autoptr (GError) local_error = NULL;
  size_t size = 0;
  VkResult result;

  if (self->cache_path == NULL || self->cache == VK_NULL_HANDLE)
    return TRUE;
  result = device->fn.vkGetPipelineCacheData (device->device, self->cache, &size, NULL);
  if (result == VK_SUCCESS && size > 0)
    {
      data = g_malloc (size);
      result = device->fn.vkGetPipelineCacheData (device->device, self->cache, &size, data);
    }
  if (result != VK_SUCCESS)
    {
      bendi_vk_set_error (error, result, "Reading the pipeline cache");
      return FALSE;
    }
  if (size == 0)
    return TRUE;
  dir = g_path_get_dirname (self->cache_path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_IO,
                   "Could not create %s: %s", dir, g_strerror (errno));
      return FALSE;
    }
  if (!g_file_set_contents (self->cache_path, (const char *) data, (gssize) size, &local_error))
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_IO,
                   "Could not save the pipeline cache: %s", local_error->message);
      return FALSE;
    }
  return TRUE;
}

void
bendi_vk_pipeline_set_free (BendiVkPipelineSet *self)
{
  BendiVkDevice *device;
  GHashTableIter iter;
  gpointer value;
  g_autoptr (GError) error = NULL;

  if (self == NULL)
    return;
  device = self->device;
  /* Saving is best effort: a read-only cache directory only costs the
   * next start its compile time. */
  if (!bendi_vk_pipeline_set_save (self, &error))
    g_debug ("Pipeline cache not saved: %s", error->message);
  g_hash_table_iter_init (&iter, self->pipelines);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    pipeline_destroy (device, value);
  g_hash_table_unref (self->pipelines);
  if (self->cache != VK_NULL_HANDLE)
    device->fn.vkDestroyPipelineCache (device->device, self->cache, NULL);
  g_free (self->cache_path);
  g_mutex_clear (&self->lock);
  g_free (self);
}

static BendiVkPipeline *
pipeline_create (BendiVkDevice        *device,
                 VkPipelineCache       cache,
                 const PipelineSpec   *spec,
                 const char           *name,
                 guint32               workgroup_size,
                 guint32               size,
                 BendiVkOperandLayout  layout,
                 GError              **error)
{
  g_autofree char *shader = g_strndup (name, strcspn (name, "@"));
  const BendiVkShaderCode *code = find_shader (shader);
  BendiVkPipeline *pipeline;
  VkDescriptorSetLayoutBinding bindings[8];
  VkShaderModule module = VK_NULL_HANDLE;
  gboolean rows_variant = spec->has_rows_variant && g_str_has_suffix (shader, "_rows");
  gboolean coopmat_variant = g_str_has_suffix (shader, "_coopmat");
  /* A bool specialisation constant is a 32-bit VkBool32; 4 to 6 are the
   * cooperative matrices' M, N and K, 7 whether the CPU devices' Q4_0 rows
   * start on texels. */
  guint32 rows = spec->op == BENDI_VK_OP_MATVEC ? device->matvec_rows : MAX (spec->rows_per_workgroup, 1);
  guint32 constants[8] = { workgroup_size, rows, size, (layout & BENDI_VK_X_VEC4) ? VK_TRUE : VK_FALSE,
                           device->info.coopmat_m, device->info.coopmat_n, device->info.coopmat_k,
                           (layout & BENDI_VK_ROWS_ON_TEXELS) ? VK_TRUE : VK_FALSE };
  VkSpecializationMapEntry entries[8];
  VkSpecializationInfo specialization = {
    .pMapEntries = entries,
    .dataSize = sizeof constants,
    .pData = constants,
  };
  VkPushConstantRange push_range = {
    .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
    .size = spec->push_size,
  };
  VkResult result;

  if (code == NULL)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_UNSUPPORTED,
                   "No shader %s was built into this engine", name);
      return NULL;
    }
  g_assert (MAX (spec->n_bindings, spec->rows_n_bindings) <= G_N_ELEMENTS (bindings));
  for (guint32 id = 0; id < G_N_ELEMENTS (constants); id++)
    {
      gboolean used = id == 0 ||
                      (id == 1 && (spec->has_token_constant || spec->rows_per_workgroup > 0)) ||
                      ((id == 2 || id == 3) && spec->has_token_constant) ||
                      (id == 2 && rows_variant && spec->op == BENDI_VK_OP_ATTENTION) ||
                      (id >= 4 && id <= 6 && coopmat_variant) ||
                      (id == 7 && rows_variant && spec->op == BENDI_VK_OP_MATVEC);

      if (used)
        entries[specialization.mapEntryCount++] = (VkSpecializationMapEntry) {
          .constantID = id, .offset = id * sizeof (guint32), .size = sizeof (guint32),
        };
    }

  pipeline = g_new0 (BendiVkPipeline, 1);
  pipeline->name = g_strdup (name);
  pipeline->n_bindings = spec->n_bindings;
  pipeline->written_bindings = spec->written;
  if (rows_variant)
    {
      pipeline->texel_bindings = spec->rows_texels;
      pipeline->texel4_bindings = spec->rows_texels4;
      pipeline->n_bindings = MAX (spec->n_bindings, spec->rows_n_bindings);
    }
  pipeline->push_size = spec->push_size;
  pipeline->workgroup_size = workgroup_size;
  pipeline->rows_per_workgroup = rows_variant && spec->op == BENDI_VK_OP_MATVEC ? workgroup_size * BENDI_VK_ROWS_PER_LANE
                                                                                : rows;
  /* matmul.comp's tiles: 64 × 64, or 4 × 4 cooperative matrices. */
  if (spec->op == BENDI_VK_OP_MATMUL)
    {
      pipeline->rows_per_workgroup = coopmat_variant ? 4 * device->info.coopmat_m : 64;
      pipeline->tokens_per_workgroup = coopmat_variant ? 4 * device->info.coopmat_n : 64;
    }

  for (guint i = 0; i < pipeline->n_bindings; i++)
    bindings[i] = (VkDescriptorSetLayoutBinding) {
      .binding = i,
      .descriptorType = (pipeline->texel_bindings & (1u << i)) ? VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER
                                                                : VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
      .descriptorCount = 1,
      .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
    };
  {
    VkDescriptorSetLayoutCreateInfo info = {
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
      .bindingCount = pipeline->n_bindings,
      .pBindings = bindings,
    };
    result = device->fn.vkCreateDescriptorSetLayout (device->device, &info, NULL, &pipeline->set_layout);
  }
  if (result == VK_SUCCESS)
    {
      VkPipelineLayoutCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
        .setLayoutCount = 1,
        .pSetLayouts = &pipeline->set_layout,
        .pushConstantRangeCount = 1,
        .pPushConstantRanges = &push_range,
      };
      result = device->fn.vkCreatePipelineLayout (device->device, &info, NULL, &pipeline->layout);
    }
  if (result == VK_SUCCESS)
    {
      VkShaderModuleCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
        .codeSize = code->size,
        .pCode = code->code,
      };
      result = device->fn.vkCreateShaderModule (device->device, &info, NULL, &module);
    }
  if (result == VK_SUCCESS)
    {
      VkComputePipelineCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .stage = {
          .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
          .stage = VK_SHADER_STAGE_COMPUTE_BIT,
          .module = module,
          .pName = "main",
          .pSpecializationInfo = &specialization,
        },
        .layout = pipeline->layout,
      };
      result = device->fn.vkCreateComputePipelines (device->device, cache, 1, &info, NULL, &pipeline->pipeline);
    }
  if (module != VK_NULL_HANDLE)
    device->fn.vkDestroyShaderModule (device->device, module, NULL);
  if (result != VK_SUCCESS)
    {
      g_autofree char *what = g_strdup_printf ("Building the %s shader", name);

      bendi_vk_set_error (error, result, what);
      pipeline_destroy (device, pipeline);
      return NULL;
    }
  return pipeline;
}

const BendiVkPipeline *
bendi_vk_pipeline_get (BendiVkDevice        *device,
                       BendiVkOp             op,
                       BendiTensorType       type,
                       guint32               size,
                       BendiVkOperandLayout  layout,
                       GError              **error)
{
  BendiVkPipelineSet *self = device->pipelines;
  const PipelineSpec *spec;
  g_autoptr (GString) name = NULL;
  guint32 workgroup_size;
  BendiVkPipeline *pipeline;
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker = NULL;

  g_return_val_if_fail (op < BENDI_VK_N_OPS, NULL);
  spec = &pipeline_specs[op];
  g_assert (spec->op == op);

  name = g_string_new (spec->shader);
  workgroup_size = spec->workgroup_size;
  if (spec->typed)
    {
      const char *suffix = type_suffix (type);

      if (suffix == NULL)
        {
          g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_UNSUPPORTED,
                       "The Vulkan backend has no %s shader for %s weights", spec->shader,
                       bendi_tensor_type_name (type));
          return NULL;
        }
      g_string_append_printf (name, "_%s", suffix);
    }
  /* Prompts on cooperative matrices: four subgroups a workgroup. */
  if (op == BENDI_VK_OP_MATMUL && device->use_coopmat && coopmat_type (type))
    {
      g_string_append (name, "_coopmat");
      workgroup_size = 4 * device->info.subgroup_size;
    }
  /* The arithmetic variants of the GPU-shaped matrix × vector shader. */
  if (op == BENDI_VK_OP_MATVEC && !device->use_cpu_kernels)
    {
      if (bendi_vk_pipeline_uses_int8 (device, type))
        g_string_append (name, device->use_int8_dot ? "_int8dot" : "_int8");
      else if (device->use_fp16)
        g_string_append (name, "_fp16");
    }
  if (spec->has_rows_variant && device->use_cpu_kernels)
    {
      g_string_append (name, "_rows");
      /* One SIMD-wide workgroup: lavapipe runs it as one vector loop. */
      workgroup_size = device->cpu_lanes;
    }
  else if (spec->has_subgroup_variant && device->use_subgroups)
    {
      g_string_append (name, "_subgroup");
      /* One subgroup per workgroup: reductions need no shared memory and
       * no barrier, which on CPU devices (lavapipe) are what costs most. */
      workgroup_size = CLAMP (device->info.subgroup_size, 8, 128);
    }

  /* One pipeline per token count and operand layout, or head dimension:
   * its name carries them as a key. */
  if (spec->has_token_constant)
    {
      g_return_val_if_fail (size >= 1 && size <= 8, NULL);
      g_string_append_printf (name, "@%u%s%s", size, (layout & BENDI_VK_X_VEC4) ? "v" : "",
                              (layout & BENDI_VK_ROWS_ON_TEXELS) ? "t" : "");
    }
  else if (op == BENDI_VK_OP_ATTENTION && device->use_cpu_kernels)
    {
      g_return_val_if_fail (size >= 2 && size % 2 == 0, NULL);
      g_string_append_printf (name, "@%u", size);
      layout = 0;
    }
  else
    layout = 0;

  locker = g_mutex_locker_new (&self->lock);
  pipeline = g_hash_table_lookup (self->pipelines, name->str);
  if (pipeline == NULL)
    {
      gint64 start = g_get_monotonic_time ();

      pipeline = pipeline_create (device, self->cache, spec, name->str, workgroup_size, size, layout, error);
      if (pipeline == NULL)
        return NULL;
      g_debug ("Pipeline %s created in %.1f ms", name->str, (g_get_monotonic_time () - start) / 1000.0);
      g_hash_table_insert (self->pipelines, (char *) pipeline->name, pipeline);
    }
  return pipeline;
}
