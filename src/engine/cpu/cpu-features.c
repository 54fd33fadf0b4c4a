/* SPDX-License-Identifier: MIT */
/* CPUID and XGETBV probing: a feature counts only when the OS saves its registers. */
#include "cpu/cpu-features.h"

#include <string.h>

#include "cpu/kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define BENDI_X86 1
#endif
#if defined(__linux__) && defined(__x86_64__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

/* The L2 prefetch distance everywhere but where measured otherwise. */
#define PREFETCH_L2_AHEAD_DEFAULT 3584

gsize bendi_prefetch_l2_ahead = PREFETCH_L2_AHEAD_DEFAULT;

static BendiCpuFeatures detected;
static BendiCpuFeatures overridden;
static const BendiCpuFeatures *current;
static gint serial = 1;   /* bumped by every override */

#ifdef BENDI_X86
static guint64
read_xcr0 (void)
{
  guint32 eax, edx;

  /* XGETBV with ECX = 0 reads XCR0, the register states the OS saves. */
  __asm__ volatile ("xgetbv" : "=a" (eax), "=d" (edx) : "c" (0));
  return ((guint64) edx << 32) | eax;
}

/* Linux hands out the 8 KiB of AMX tile state only to processes that ask. */
static gboolean
request_amx_permission (void)
{
#if defined(__linux__) && defined(__x86_64__)
  const long arch_req_xcomp_perm = 0x1023;
  const long xfeature_xtiledata = 18;

  return syscall (SYS_arch_prctl, arch_req_xcomp_perm, xfeature_xtiledata) == 0;
#else
  return FALSE;
#endif
}

static void
detect_x86 (BendiCpuFeatures *features)
{
  guint32 eax, ebx, ecx, edx;
  guint32 max_leaf;
  guint64 xcr0 = 0;
  gboolean os_avx, os_avx512;
  gboolean avx, fma, f16c;
  gboolean intel;
  guint family, model;

  if (!__get_cpuid (0, &max_leaf, &ebx, &ecx, &edx) || max_leaf < 7)
    return;
  if (bendi_cpu_identify (&intel, &family, &model))
    bendi_prefetch_l2_ahead = bendi_cpu_prefetch_l2_ahead_for (intel, family, model);

  __cpuid (1, eax, ebx, ecx, edx);
  fma = (ecx >> 12) & 1;
  avx = (ecx >> 28) & 1;
  f16c = (ecx >> 29) & 1;
  if ((ecx >> 27) & 1)                  /* OSXSAVE: XGETBV is usable */
    xcr0 = read_xcr0 ();
  os_avx = (xcr0 & 0x6) == 0x6;         /* SSE and AVX state */
  os_avx512 = (xcr0 & 0xe6) == 0xe6;    /* plus opmask and both ZMM halves */

  __cpuid_count (7, 0, eax, ebx, ecx, edx);
  features->avx2 = os_avx && avx && fma && f16c && ((ebx >> 5) & 1);
  features->avx512 = os_avx512 && features->avx2 &&
                     ((ebx >> 16) & 1) &&   /* F */
                     ((ebx >> 17) & 1) &&   /* DQ */
                     ((ebx >> 30) & 1) &&   /* BW */
                     ((ebx >> 31) & 1);     /* VL */
  features->avx512_vnni = features->avx512 && ((ecx >> 11) & 1);
  /* AMX-TILE and AMX-INT8, with tile config and data state in XCR0. */
  features->amx_int8 = features->avx512_vnni && ((edx >> 24) & 1) && ((edx >> 25) & 1) &&
                       (xcr0 & 0x60000) == 0x60000 && request_amx_permission ();

  __cpuid_count (7, 1, eax, ebx, ecx, edx);
  features->avx_vnni = features->avx2 && ((eax >> 4) & 1);
  features->avx512_bf16 = features->avx512 && ((eax >> 5) & 1);
}
#endif

gboolean
bendi_cpu_identify (gboolean *intel,
                    guint    *family,
                    guint    *model)
{
#ifdef BENDI_X86
  guint32 eax, ebx, ecx, edx;

  if (!__get_cpuid (0, &eax, &ebx, &ecx, &edx))
    return FALSE;
  /* "GenuineIntel" in EBX, EDX, ECX */
  *intel = ebx == 0x756e6547 && edx == 0x49656e69 && ecx == 0x6c65746e;
  __cpuid (1, eax, ebx, ecx, edx);
  *family = (eax >> 8) & 0xf;
  *model = (eax >> 4) & 0xf;
  if (*family == 6 || *family == 15)
    *model |= ((eax >> 16) & 0xf) << 4;
  if (*family == 15)
    *family += (eax >> 20) & 0xff;
  return TRUE;
#else
  *intel = FALSE;
  *family = *model = 0;
  return FALSE;
#endif
}

/* Skylake-SP and Cascade Lake (Intel family 6, model 0x55): a 2-core
 * Cascade Lake VM (22-24 GB/s) generated with the 1.1B Q4_0 model 1.8%
 * faster with 6 KiB than with 3.5 KiB, ahead in 14 of 15 alternated pairs
 * of bench (36.8 against 36.1 tokens/s on average), where 5 to 8 KiB all
 * did as well in perf-matmul. A Sapphire Rapids VM (35 GB/s) lost 3% at
 * 4.5 KiB and 6-10% from 5 KiB, so the others keep 3.5 KiB. */
gsize
bendi_cpu_prefetch_l2_ahead_for (gboolean intel,
                                 guint    family,
                                 guint    model)
{
  if (intel && family == 6 && model == 0x55)
    return 6144;
  return PREFETCH_L2_AHEAD_DEFAULT;
}

static void
detect (BendiCpuFeatures *features)
{
  memset (features, 0, sizeof *features);
#ifdef BENDI_X86
  detect_x86 (features);
#elif defined(__aarch64__) && defined(__ARM_NEON)
  features->neon = TRUE;
#endif
}

void
bendi_cpu_features_disable (BendiCpuFeatures *features,
                            const char       *names)
{
  g_auto (GStrv) list = NULL;

  if (names == NULL)
    return;
  list = g_strsplit_set (names, ", ", -1);
  for (gsize i = 0; list[i] != NULL; i++)
    {
      const char *name = list[i];

      /* Each name takes away its feature and everything that needs it. */
      if (g_ascii_strcasecmp (name, "all") == 0 || g_ascii_strcasecmp (name, "simd") == 0)
        memset (features, 0, sizeof *features);
      else if (g_ascii_strcasecmp (name, "avx2") == 0)
        features->avx2 = features->avx_vnni = features->avx512 =
          features->avx512_vnni = features->avx512_bf16 = features->amx_int8 = FALSE;
      else if (g_ascii_strcasecmp (name, "avx_vnni") == 0 || g_ascii_strcasecmp (name, "avxvnni") == 0)
        features->avx_vnni = FALSE;
      else if (g_ascii_strcasecmp (name, "avx512") == 0)
        features->avx512 = features->avx512_vnni = features->avx512_bf16 = features->amx_int8 = FALSE;
      else if (g_ascii_strcasecmp (name, "avx512_vnni") == 0 || g_ascii_strcasecmp (name, "avx512vnni") == 0)
        features->avx512_vnni = features->amx_int8 = FALSE;
      else if (g_ascii_strcasecmp (name, "amx") == 0)
        features->amx_int8 = FALSE;
      else if (g_ascii_strcasecmp (name, "avx512_bf16") == 0 || g_ascii_strcasecmp (name, "avx512bf16") == 0)
        features->avx512_bf16 = FALSE;
      else if (g_ascii_strcasecmp (name, "neon") == 0)
        features->neon = FALSE;
    }
}

const BendiCpuFeatures *
bendi_cpu_features_get (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      detect (&detected);
      bendi_cpu_features_disable (&detected, g_getenv ("BENDI_CPU_DISABLE"));
      g_once_init_leave (&initialized, 1);
    }
  return current != NULL ? current : &detected;
}

void
bendi_cpu_features_override (const BendiCpuFeatures *features)
{
  const BendiCpuFeatures *real = &detected;

  bendi_cpu_features_get ();   /* detects, once */
  g_atomic_int_inc (&serial);
  if (features == NULL)
    {
      current = NULL;
      return;
    }
  /* Never claim what the processor lacks: the kernels would fault. */
  overridden.avx2 = features->avx2 && real->avx2;
  overridden.avx_vnni = features->avx_vnni && real->avx_vnni;
  overridden.avx512 = features->avx512 && real->avx512;
  overridden.avx512_vnni = features->avx512_vnni && real->avx512_vnni;
  overridden.avx512_bf16 = features->avx512_bf16 && real->avx512_bf16;
  overridden.neon = features->neon && real->neon;
  overridden.amx_int8 = features->amx_int8 && real->amx_int8;
  current = &overridden;
}

guint
bendi_cpu_features_serial (void)
{
  return (guint) g_atomic_int_get (&serial);
}

const char *
bendi_cpu_features_describe (const BendiCpuFeatures *features)
{
  /* AVX-512 without VNNI runs the AVX2 kernels. */
  if (features->avx512 && features->avx512_vnni && features->amx_int8)
    return "AVX-512 VNNI AMX";
  if (features->avx512 && features->avx512_vnni)
    return "AVX-512 VNNI";
  if (features->avx2 && features->avx_vnni)
    return "AVX2 VNNI";
  if (features->avx2)
    return "AVX2";
  return "generic";
}
