/* SPDX-License-Identifier: MIT */
/* AMX kernels for batches of tokens: the tile unit multiplies 16 tokens ×
 * 32 int8 activations by 32 × 16 int8 weights per instruction, one block
 * (or K-quant sub-block of 32) of the interleaved layout (see
 * interleave.c). Each block's int32 tile is scaled by the weights' and the
 * activations' block scales in AVX-512, as the VNNI kernels do, so the
 * results are the same sums.
 *
 * A group's weights are first unpacked to signed bytes in a panel (one
 * 512-byte B tile per block: row p holds elements 4p..4p+3 of the 16 rows,
 * which is the interleaved chunk layout), then every 16-token tile of the
 * batch runs over it. Fewer than 16 tokens, and the last partial tile, go
 * to the VNNI kernels. */
#include "cpu/kernels-avx512.h"

#include <stdalign.h>

#define AMX_TOKENS 16

/* Tile registers (numbers: the intrinsics paste them into the mnemonic):
 * C for two blocks, A (activations) and B (weights) for each. */
#define TILE_C0 0
#define TILE_C1 1
#define TILE_A0 2
#define TILE_A1 3
#define TILE_B0 4
#define TILE_B1 5

typedef struct {
  guint8  palette;
  guint8  start_row;
  guint8  reserved[14];
  guint16 colsb[16];
  guint8  rows[16];
} __attribute__ ((packed)) TileConfig;

G_STATIC_ASSERT (sizeof (TileConfig) == 64);

/* The VNNI kernels, for small batches and the last tokens. */
static BendiGemmFunc vnni_kernels[GROUP_Q5_1 + 1];

static void
tiles_configure (void)
{
  TileConfig config;

  memset (&config, 0, sizeof config);
  config.palette = 1;
  config.rows[TILE_C0] = config.rows[TILE_C1] = AMX_TOKENS;
  config.colsb[TILE_C0] = config.colsb[TILE_C1] = 64;        /* 16 rows' int32 */
  config.rows[TILE_A0] = config.rows[TILE_A1] = AMX_TOKENS;
  config.colsb[TILE_A0] = config.colsb[TILE_A1] = BENDI_QK;  /* a block's 32 bytes */
  config.rows[TILE_B0] = config.rows[TILE_B1] = BENDI_QK / 4;
  config.colsb[TILE_B0] = config.colsb[TILE_B1] = 64;        /* 4 bytes of 16 rows */
  _tile_loadconfig (&config);
}

/* The group's weights as B tiles: signed bytes (q - 8, q - 16, the IQ4_NL
 * levels, Q8_0's q), or for Q4_1 and Q5_1 the unsigned quants. */
static void
panel_unpack (GroupKind         kind,
              const GroupParts *parts,
              gint64            nb,
              guint8           *panel)
{
  const __m512i low_mask = _mm512_set1_epi8 (0x0f);
  const __m512i levels = _mm512_broadcast_i32x4 (_mm_setr_epi8 (-127, -104, -83, -65, -49, -35, -22, -10,
                                                                1, 13, 25, 38, 53, 69, 89, 113));

  for (gint64 b = 0; b < nb; b++)
    {
      const guint8 *chunks = parts->quants + b * parts->quant_bytes;
      guint8 *tile = panel + b * 512;

      if (kind == GROUP_Q8_0)
        {
          for (int j = 0; j < 8; j++)
            _mm512_store_si512 (tile + 64 * j, _mm512_xor_si512 (_mm512_loadu_si512 (chunks + 64 * j),
                                                                 _mm512_set1_epi8 ((char) 0x80)));
          continue;
        }
      for (int p = 0; p < 4; p++)
        {
          __m512i packed = _mm512_loadu_si512 (chunks + 64 * p);
          __m512i lo = _mm512_and_si512 (packed, low_mask);
          __m512i hi = _mm512_and_si512 (_mm512_srli_epi16 (packed, 4), low_mask);

          if (parts->high_bits != NULL)
            {
              __m512i qh = _mm512_loadu_si512 (parts->high_bits + b * 64);

              lo = _mm512_or_si512 (lo, fifth_bits (qh, 4 * p));
              hi = _mm512_or_si512 (hi, fifth_bits (qh, 16 + 4 * p));
            }
          switch (kind)
            {
            case GROUP_Q4_0:
              lo = _mm512_sub_epi8 (lo, _mm512_set1_epi8 (8));
              hi = _mm512_sub_epi8 (hi, _mm512_set1_epi8 (8));
              break;
            case GROUP_Q5_0:
              lo = _mm512_sub_epi8 (lo, _mm512_set1_epi8 (16));
              hi = _mm512_sub_epi8 (hi, _mm512_set1_epi8 (16));
              break;
            case GROUP_IQ4_NL:
              lo = _mm512_shuffle_epi8 (levels, lo);
              hi = _mm512_shuffle_epi8 (levels, hi);
              break;
            default:
              break;
            }
          /* B row p: elements 4p..; row 4 + p: elements 16 + 4p.. */
          _mm512_store_si512 (tile + 64 * p, lo);
          _mm512_store_si512 (tile + 64 * (4 + p), hi);
        }
    }
}

/* acc[t] += C[t] · d_w · d_a[t] (+ m · s[t] for the types with a minimum). */
static inline void
scale_block (GroupKind         kind,
             const gint32     *c,
             const GroupParts *parts,
             const BendiActs  *a,
             gint64            t0,
             gint64            b,
             __m512           *acc)
{
  const gint64 nb = a->n_blocks;
  __m512 dw = _mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) (parts->scales + b * 32)));
  __m512 m = group_has_min (kind) ? _mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) (parts->mins + b * 32)))
                                : _mm512_setzero_ps ();

  for (int t = 0; t < AMX_TOKENS; t++)
    {
      gint64 i = (t0 + t) * nb + b;

      acc[t] = _mm512_fmadd_ps (_mm512_cvtepi32_ps (_mm512_load_si512 (c + 16 * t)),
                                _mm512_mul_ps (dw, _mm512_set1_ps (a->d[i])), acc[t]);
      if (group_has_min (kind))
        acc[t] = _mm512_fmadd_ps (m, _mm512_set1_ps (a->s[i]), acc[t]);
    }
}

/* One 16-token tile against one group: two blocks in flight, so the tile
 * unit works on one while the vector unit scales the other. */
static inline void
token_tile (GroupKind         kind,
            const GroupParts *parts,
            const guint8     *panel,
            const BendiActs  *a,
            gint64            t0,
            float            *out,
            gint64            ld_out)
{
  const gint64 nb = a->n_blocks;
  const guint8 *y = (const guint8 *) a->values + t0 * a->stride;
  alignas (64) gint32 c[2][AMX_TOKENS * 16];
  __m512 acc[AMX_TOKENS];
  gint64 b = 0;

  for (int t = 0; t < AMX_TOKENS; t++)
    acc[t] = _mm512_setzero_ps ();

  for (; b + 2 <= nb; b += 2)
    {
      _tile_zero (TILE_C0);
      _tile_zero (TILE_C1);
      _tile_loadd (TILE_A0, y + b * BENDI_QK, (int) a->stride);
      _tile_loadd (TILE_B0, panel + b * 512, 64);
      _tile_loadd (TILE_A1, y + (b + 1) * BENDI_QK, (int) a->stride);
      _tile_loadd (TILE_B1, panel + (b + 1) * 512, 64);
      if (group_has_min (kind))
        {
          _tile_dpbsud (TILE_C0, TILE_A0, TILE_B0);
          _tile_dpbsud (TILE_C1, TILE_A1, TILE_B1);
        }
      else
        {
          _tile_dpbssd (TILE_C0, TILE_A0, TILE_B0);
          _tile_dpbssd (TILE_C1, TILE_A1, TILE_B1);
        }
      _tile_stored (TILE_C0, c[0], 64);
      _tile_stored (TILE_C1, c[1], 64);
      scale_block (kind, c[0], parts, a, t0, b, acc);
      scale_block (kind, c[1], parts, a, t0, b + 1, acc);
    }
  if (b < nb)
    {
      _tile_zero (TILE_C0);
      _tile_loadd (TILE_A0, y + b * BENDI_QK, (int) a->stride);
      _tile_loadd (TILE_B0, panel + b * 512, 64);
      if (group_has_min (kind))
        _tile_dpbsud (TILE_C0, TILE_A0, TILE_B0);
      else
        _tile_dpbssd (TILE_C0, TILE_A0, TILE_B0);
      _tile_stored (TILE_C0, c[0], 64);
      scale_block (kind, c[0], parts, a, t0, b, acc);
    }

  for (int t = 0; t < AMX_TOKENS; t++)
    _mm512_storeu_ps (out + (t0 + t) * ld_out, acc[t]);
}

static void
gemm_amx (GroupKind          kind,
          const BendiMatrix *w,
          gint64             r0,
          gint64             r1,
          const BendiActs   *a,
          float             *out,
          gint64             ld_out)
{
  const gint64 nb = a->n_blocks;
  gint64 n_full = a->n_tokens - a->n_tokens % AMX_TOKENS;
  guint8 *panel;

  if (n_full == 0)
    {
      vnni_kernels[kind] (w, r0, r1, a, out, ld_out);
      return;
    }

  panel = g_aligned_alloc (nb, 512, 64);
  tiles_configure ();
  for (gint64 r = r0; r < r1; r += BENDI_INTERLEAVE)
    {
      GroupParts parts = group_parts (kind, (const guint8 *) w->data + r * w->row_bytes, nb);

      panel_unpack (kind, &parts, nb, panel);
      /* The tile loads are asm without a memory operand: keep the
       * panel's stores before them. */
      __asm__ volatile ("" ::: "memory");
      for (gint64 t = 0; t < n_full; t += AMX_TOKENS)
        token_tile (kind, &parts, panel, a, t, out + r, ld_out);
    }
  _tile_release ();
  g_aligned_free (panel);

  /* The last tokens: the same activations from token n_full on. */
  if (n_full < a->n_tokens)
    {
      BendiActs rest = bendi_acts_from_token (a, n_full);

      vnni_kernels[kind] (w, r0, r1, &rest, out + n_full * ld_out, ld_out);
    }
}

BENDI_DEFINE_GEMM (gemm_amx_q4_0, gemm_amx, GROUP_Q4_0)
BENDI_DEFINE_GEMM (gemm_amx_iq4_nl, gemm_amx, GROUP_IQ4_NL)
BENDI_DEFINE_GEMM (gemm_amx_q8_0, gemm_amx, GROUP_Q8_0)
BENDI_DEFINE_GEMM (gemm_amx_q5_0, gemm_amx, GROUP_Q5_0)
BENDI_DEFINE_GEMM (gemm_amx_q4_1, gemm_amx, GROUP_Q4_1)
BENDI_DEFINE_GEMM (gemm_amx_q5_1, gemm_amx, GROUP_Q5_1)

/* ------------------------------------------------------------------------ */
/* K-quants with sub-blocks of 32 (Q4_K, Q5_K, IQ4_XS): each sub-block is
 * one B tile and its int32 tile is scaled by the rows' sub-block scales;
 * Q4_K's and Q5_K's minimums meet the activations' sums of 16 once per
 * super-block (VPDPWSSD on 16-bit pairs). */

typedef struct {
  __m512  scale[8];
  __m512i min_pairs[8];
  __m512  dmin;
} KScales;

static BendiGemmFunc vnni_kquant_kernels[KQUANT_IQ4_XS + 1];

static void
kpanel_unpack (KQuantKind    kind,
               const guint8 *group,
               gint64        n_super,
               guint8       *panel,
               KScales      *scales)
{
  for (gint64 sb = 0; sb < n_super; sb++)
    {
      KSuper k;

      ksuper_init (kind, group, n_super, sb, &k);
      for (int u = 0; u < 8; u++)
        for (int p = 0; p < 8; p++)
          {
            __m512i w = kquant_unit_load (kind, &k, u, p);

            /* IQ4_XS's levels come offset by 128: make them signed again. */
            if (kind == KQUANT_IQ4_XS)
              w = _mm512_xor_si512 (w, _mm512_set1_epi8 ((char) 0x80));
            _mm512_store_si512 (panel + (sb * 8 + u) * 512 + 64 * p, w);
          }
      for (int j = 0; j < 8; j++)
        scales[sb].scale[j] = k.scale[j];
      if (kind != KQUANT_IQ4_XS)
        {
          for (int j = 0; j < 8; j++)
            scales[sb].min_pairs[j] = k.min_pairs[j];
          scales[sb].dmin = k.dmin;
        }
    }
}

static inline void
kscale_unit (const gint32 *c,
             __m512        scale,
             const __m512 *dy,
             __m512       *acc)
{
  for (int t = 0; t < AMX_TOKENS; t++)
    acc[t] = _mm512_fmadd_ps (_mm512_cvtepi32_ps (_mm512_load_si512 (c + 16 * t)),
                              _mm512_mul_ps (scale, dy[t]), acc[t]);
}

static inline void
ktoken_tile (KQuantKind       kind,
             const guint8    *panel,
             const KScales   *scales,
             const BendiActs *a,
             gint64           t0,
             float           *out,
             gint64           ld_out)
{
  const gint64 nb = a->n_blocks;
  const guint8 *y = (const guint8 *) a->values + t0 * a->stride;
  const gboolean has_min = kind != KQUANT_IQ4_XS;
  alignas (64) gint32 c[2][AMX_TOKENS * 16];
  __m512 acc[AMX_TOKENS], dy[AMX_TOKENS];

  for (int t = 0; t < AMX_TOKENS; t++)
    acc[t] = _mm512_setzero_ps ();

  for (gint64 sb = 0; sb < nb; sb++)
    {
      for (int t = 0; t < AMX_TOKENS; t++)
        dy[t] = _mm512_set1_ps (a->d[(t0 + t) * nb + sb]);
      for (int u = 0; u < 8; u += 2)
        {
          _tile_zero (TILE_C0);
          _tile_zero (TILE_C1);
          _tile_loadd (TILE_A0, y + sb * BENDI_QK_K + 32 * u, (int) a->stride);
          _tile_loadd (TILE_B0, panel + (sb * 8 + u) * 512, 64);
          _tile_loadd (TILE_A1, y + sb * BENDI_QK_K + 32 * (u + 1), (int) a->stride);
          _tile_loadd (TILE_B1, panel + (sb * 8 + u + 1) * 512, 64);
          if (has_min)
            {
              _tile_dpbsud (TILE_C0, TILE_A0, TILE_B0);
              _tile_dpbsud (TILE_C1, TILE_A1, TILE_B1);
            }
          else
            {
              _tile_dpbssd (TILE_C0, TILE_A0, TILE_B0);
              _tile_dpbssd (TILE_C1, TILE_A1, TILE_B1);
            }
          _tile_stored (TILE_C0, c[0], 64);
          _tile_stored (TILE_C1, c[1], 64);
          kscale_unit (c[0], scales[sb].scale[u], dy, acc);
          kscale_unit (c[1], scales[sb].scale[u + 1], dy, acc);
        }
      if (has_min)
        for (int t = 0; t < AMX_TOKENS; t++)
          {
            const gint16 *bsums = a->bsums + ((t0 + t) * nb + sb) * 16;
            __m512i m = _mm512_setzero_si512 ();

            for (int j = 0; j < 8; j++)
              m = _mm512_dpwssd_epi32 (m, scales[sb].min_pairs[j], broadcast_u32 (bsums + 2 * j));
            acc[t] = _mm512_fnmadd_ps (_mm512_cvtepi32_ps (m), _mm512_mul_ps (scales[sb].dmin, dy[t]), acc[t]);
          }
    }

  for (int t = 0; t < AMX_TOKENS; t++)
    _mm512_storeu_ps (out + (t0 + t) * ld_out, acc[t]);
}

static void
gemm_amx_kquant (KQuantKind         kind,
                 const BendiMatrix *w,
                 gint64             r0,
                 gint64             r1,
                 const BendiActs   *a,
                 float             *out,
                 gint64             ld_out)
{
  const gint64 nb = a->n_blocks;
  gint64 n_full = a->n_tokens - a->n_tokens % AMX_TOKENS;
  guint8 *panel;
  KScales *scales;

  if (n_full == 0)
    {
      vnni_kquant_kernels[kind] (w, r0, r1, a, out, ld_out);
      return;
    }

  panel = g_aligned_alloc (nb * 8, 512, 64);
  scales = g_aligned_alloc (nb, sizeof (KScales), 64);
  tiles_configure ();
  for (gint64 r = r0; r < r1; r += BENDI_INTERLEAVE)
    {
      kpanel_unpack (kind, (const guint8 *) w->data + r * w->row_bytes, nb, panel, scales);
      __asm__ volatile ("" ::: "memory");
      for (gint64 t = 0; t < n_full; t += AMX_TOKENS)
        ktoken_tile (kind, panel, scales, a, t, out + r, ld_out);
    }
  _tile_release ();
  g_aligned_free (scales);
  g_aligned_free (panel);

  if (n_full < a->n_tokens)
    {
      BendiActs rest = bendi_acts_from_token (a, n_full);

      vnni_kquant_kernels[kind] (w, r0, r1, &rest, out + n_full * ld_out, ld_out);
    }
}

BENDI_DEFINE_GEMM (gemm_amx_q4_k, gemm_amx_kquant, KQUANT_Q4_K)
BENDI_DEFINE_GEMM (gemm_amx_q5_k, gemm_amx_kquant, KQUANT_Q5_K)
BENDI_DEFINE_GEMM (gemm_amx_iq4_xs, gemm_amx_kquant, KQUANT_IQ4_XS)

void
bendi_kernels_init_amx (BendiCpuKernels *table)
{
  static const struct {
    GroupKind         kind;
    BendiTensorType type;
    BendiGemmFunc   gemm;
  } entries[] = {
    { GROUP_Q4_0, BENDI_TENSOR_TYPE_Q4_0, gemm_amx_q4_0 },
    { GROUP_IQ4_NL, BENDI_TENSOR_TYPE_IQ4_NL, gemm_amx_iq4_nl },
    { GROUP_Q8_0, BENDI_TENSOR_TYPE_Q8_0, gemm_amx_q8_0 },
    { GROUP_Q5_0, BENDI_TENSOR_TYPE_Q5_0, gemm_amx_q5_0 },
    { GROUP_Q4_1, BENDI_TENSOR_TYPE_Q4_1, gemm_amx_q4_1 },
    { GROUP_Q5_1, BENDI_TENSOR_TYPE_Q5_1, gemm_amx_q5_1 },
  };

  bendi_kernels_init_avx512_vnni (table);
  table->name = "AVX-512 VNNI AMX";
  static const struct {
    KQuantKind      kind;
    BendiTensorType type;
    BendiGemmFunc   gemm;
  } k_entries[] = {
    { KQUANT_Q4_K, BENDI_TENSOR_TYPE_Q4_K, gemm_amx_q4_k },
    { KQUANT_Q5_K, BENDI_TENSOR_TYPE_Q5_K, gemm_amx_q5_k },
    { KQUANT_IQ4_XS, BENDI_TENSOR_TYPE_IQ4_XS, gemm_amx_iq4_xs },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (entries); i++)
    {
      vnni_kernels[entries[i].kind] = table->gemm_interleaved[entries[i].type];
      table->gemm_interleaved[entries[i].type] = entries[i].gemm;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (k_entries); i++)
    {
      vnni_kquant_kernels[k_entries[i].kind] = table->gemm_interleaved[k_entries[i].type];
      table->gemm_interleaved[k_entries[i].type] = k_entries[i].gemm;
    }
}
