/* SPDX-License-Identifier: MIT */
/* BPE pre-tokenizers: the split rules named by tokenizer.ggml.pre, written
 * out by hand so that they behave exactly like llama.cpp's and run in
 * linear time on any input.
 *
 * llama.cpp applies a list of regexes in turn, each refining the pieces the
 * previous one left: within a piece, every match becomes a piece and so
 * does every stretch between matches. For the GPT-2 and Llama 3 patterns it
 * uses hand-written splitters, which we mirror step by step; the others go
 * through std::regex, with two quirks we keep: `\s` is the White_Space
 * property, and a non-ASCII white space character never matches a
 * character class written with explicit characters (llama.cpp turns it into
 * U+000B before matching). */
#include "tokenizer/tokenizer-private.h"

#include <string.h>

#define WS      BENDI_CPT_WHITESPACE
#define LETTER  BENDI_CPT_LETTER
#define NUMBER  BENDI_CPT_NUMBER
#define MARK    BENDI_CPT_MARK
#define PUNCT   BENDI_CPT_PUNCTUATION
#define SYMBOL  BENDI_CPT_SYMBOL

/* The text as code points with their classes. */
typedef struct {
  gunichar *cpts;
  guint16  *flags;
  gsize     n;
} Text;

/* The pieces being cut from one stretch [start, end) of the text. Like
 * llama.cpp's _add_token, an end at or before the last one adds nothing. */
typedef struct {
  GArray *ends;
  gsize   prev;
} Cutter;

static void
cut (Cutter *c,
     gsize   end)
{
  if (end > c->prev)
    {
      g_array_append_val (c->ends, end);
      c->prev = end;
    }
}

/* Flags and code point at @pos, or 0 past the end of the stretch, so that
 * lookahead never leaves it (llama.cpp's OUT_OF_RANGE). */
static inline guint16
flags_at (const Text *t,
          gsize       pos,
          gsize       end)
{
  return pos < end ? t->flags[pos] : 0;
}

static inline gunichar
cpt_at (const Text *t,
        gsize       pos,
        gsize       end)
{
  return pos < end ? t->cpts[pos] : G_MAXUINT32;
}

static inline gboolean
is_crlf (gunichar c)
{
  return c == '\r' || c == '\n';
}

/* ------------------------------------------------------------------------ */
/* Hand-written splitters, as llama.cpp's unicode.cpp has them. */

/* 's|'t|'re|'ve|'m|'ll|'d, case-folded when @fold: the length of the
 * contraction at @pos, or 0. */
static gsize
contraction_len (const Text *t,
                 gsize       pos,
                 gsize       end,
                 gboolean    fold)
{
  gunichar n1, n2;

  if (t->cpts[pos] != '\'' || pos + 1 >= end)
    return 0;
  n1 = t->cpts[pos + 1];
  if (fold)
    n1 = g_unichar_tolower (n1);
  if (n1 == 's' || n1 == 't' || n1 == 'm' || n1 == 'd')
    return 2;
  if (pos + 2 >= end)
    return 0;
  n2 = t->cpts[pos + 2];
  if (fold)
    n2 = g_unichar_tolower (n2);
  if ((n1 == 'r' && n2 == 'e') || (n1 == 'v' && n2 == 'e') || (n1 == 'l' && n2 == 'l'))
    return 3;
  return 0;
}

/* 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
static void
split_gpt2 (const Text *t,
            gsize       start,
            gsize       end,
            Cutter     *c)
{
  gsize pos = start;

  while (pos < end)
    {
      gunichar cpt = t->cpts[pos];
      guint16 f2 = cpt == ' ' ? flags_at (t, pos + 1, end) : t->flags[pos];
      gsize n = contraction_len (t, pos, end, FALSE);
      gsize n_ws = 0;

      if (n > 0)
        {
          pos += n;
          cut (c, pos);
          continue;
        }
      if (f2 & (LETTER | NUMBER))
        {
          guint16 run = f2 & LETTER ? LETTER : NUMBER;

          pos += cpt == ' ';
          while (flags_at (t, pos, end) & run)
            pos++;
          cut (c, pos);
          continue;
        }
      if (f2 != 0 && !(f2 & (WS | LETTER | NUMBER)))
        {
          pos += cpt == ' ';
          while (flags_at (t, pos, end) != 0 && !(flags_at (t, pos, end) & (WS | LETTER | NUMBER)))
            pos++;
          cut (c, pos);
          continue;
        }
      while (flags_at (t, pos + n_ws, end) & WS)
        n_ws++;
      if (n_ws > 1 && pos + n_ws < end)
        pos += n_ws - 1;   /* \s+(?!\S) leaves the last one to the next word */
      else if (n_ws > 0)
        pos += n_ws;
      else
        pos++;
      cut (c, pos);
    }
}

/* Llama 3 (digits 3, marks FALSE), Qwen 2 (1, FALSE) and Qwen 3.5 (1, TRUE):
 * (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
 *  ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * with [\p{L}\p{M}] for \p{L} when @marks. */
static void
split_llama3 (const Text *t,
              gsize       start,
              gsize       end,
              guint       max_digits,
              gboolean    marks,
              Cutter     *c)
{
  guint16 word = marks ? LETTER | MARK : LETTER;
  gsize pos = start;

  while (pos < end)
    {
      gunichar cpt = t->cpts[pos];
      guint16 f = t->flags[pos];
      guint16 f2;
      gsize n = contraction_len (t, pos, end, TRUE);
      gsize n_ws = 0, last_crlf_end = 0;

      if (n > 0)
        {
          pos += n;
          cut (c, pos);
          continue;
        }
      if (!is_crlf (cpt) && !(f & NUMBER) &&
          ((f & word) || (flags_at (t, pos + 1, end) & word)))
        {
          pos++;
          while (flags_at (t, pos, end) & word)
            pos++;
          cut (c, pos);
          continue;
        }
      if (f & NUMBER)
        {
          gsize group = pos;

          while (flags_at (t, pos, end) & NUMBER)
            {
              pos++;
              if (pos - group >= max_digits)
                {
                  cut (c, pos);
                  group = pos;
                }
            }
          cut (c, pos);
          continue;
        }
      f2 = cpt == ' ' ? flags_at (t, pos + 1, end) : f;
      if (!(f2 & (WS | word | NUMBER)))
        {
          pos += cpt == ' ';
          while (flags_at (t, pos, end) != 0 && !(flags_at (t, pos, end) & (WS | word | NUMBER)))
            pos++;
          while (is_crlf (cpt_at (t, pos, end)))
            pos++;
          cut (c, pos);
          continue;
        }
      while (flags_at (t, pos + n_ws, end) & WS)
        {
          if (is_crlf (t->cpts[pos + n_ws]))
            last_crlf_end = pos + n_ws + 1;
          n_ws++;
        }
      if (last_crlf_end > 0)
        pos = last_crlf_end;          /* \s*[\r\n]+ */
      else if (n_ws > 1 && pos + n_ws < end)
        pos += n_ws - 1;              /* \s+(?!\S) */
      else if (n_ws > 0)
        pos += n_ws;                  /* \s+ */
      else
        pos++;
      cut (c, pos);
    }
}

/* ------------------------------------------------------------------------ */
/* Regexes llama.cpp runs through std::regex: each is a matcher that
 * returns the end of the match at @pos, or 0 with the next position worth
 * trying in *next. */

typedef gsize (*MatchFunc) (const Text *t,
                            gsize       pos,
                            gsize       end,
                            gsize      *next);

typedef struct {
  gunichar first;
  gunichar last;
} Range;

static gboolean
in_ranges (gunichar     c,
           const Range *ranges,
           gsize        n)
{
  gsize lo = 0, hi = n;

  while (lo < hi)
    {
      gsize mid = lo + (hi - lo) / 2;

      if (c < ranges[mid].first)
        hi = mid;
      else if (c > ranges[mid].last)
        lo = mid + 1;
      else
        return TRUE;
    }
  return FALSE;
}

/* A character class written with explicit characters: llama.cpp's
 * std::wregex sees non-ASCII white space as U+000B, which none holds. */
static gboolean
in_explicit_class (const Text  *t,
                   gsize        pos,
                   gsize        end,
                   const Range *ranges,
                   gsize        n)
{
  gunichar c;

  if (pos >= end)
    return FALSE;
  c = t->cpts[pos];
  if (c >= 0x80 && (t->flags[pos] & WS))
    return FALSE;
  return in_ranges (c, ranges, n);
}

/* Greedy run of a class, with an optional white space in front (\s?X+):
 * the white space is taken only when the class follows it. */
typedef gboolean (*ClassFunc) (const Text *t,
                               gsize       pos,
                               gsize       end);

static gsize
match_ws_opt_run (const Text *t,
                  gsize       pos,
                  gsize       end,
                  ClassFunc   in_class)
{
  gsize p = pos;

  if ((t->flags[pos] & WS) && in_class (t, pos + 1, end))
    p = pos + 1;
  else if (!in_class (t, pos, end))
    return 0;
  while (in_class (t, p, end))
    p++;
  return p;
}

static gsize
match_run (const Text *t,
           gsize       pos,
           gsize       end,
           ClassFunc   in_class)
{
  gsize p = pos;

  while (in_class (t, p, end))
    p++;
  return p > pos ? p : 0;
}

static gboolean
is_number (const Text *t,
           gsize       pos,
           gsize       end)
{
  return flags_at (t, pos, end) & NUMBER;
}

static gboolean
is_letter (const Text *t,
           gsize       pos,
           gsize       end)
{
  return flags_at (t, pos, end) & LETTER;
}

static gboolean
is_punct (const Text *t,
          gsize       pos,
          gsize       end)
{
  return flags_at (t, pos, end) & PUNCT;
}

/* [\p{P}\$\+<=>\^~\|]+ */
static gboolean
is_default_punct (const Text *t,
                  gsize       pos,
                  gsize       end)
{
  gunichar c = cpt_at (t, pos, end);

  return is_punct (t, pos, end) || (c < 0x80 && c != 0 && strchr ("$+<=>^~|", (int) c) != NULL);
}

/* [\p{P}\$\+<=>\^~\|`]+ */
static gboolean
is_falcon_punct (const Text *t,
                 gsize       pos,
                 gsize       end)
{
  return is_default_punct (t, pos, end) || cpt_at (t, pos, end) == '`';
}

static gsize
match_default_punct (const Text *t,
                     gsize       pos,
                     gsize       end,
                     gsize      *next G_GNUC_UNUSED)
{
  return match_run (t, pos, end, is_default_punct);
}

static gsize
match_falcon_punct (const Text *t,
                    gsize       pos,
                    gsize       end,
                    gsize      *next G_GNUC_UNUSED)
{
  return match_run (t, pos, end, is_falcon_punct);
}

/* \p{N}+ */
static gsize
match_numbers (const Text *t,
               gsize       pos,
               gsize       end,
               gsize      *next G_GNUC_UNUSED)
{
  return match_run (t, pos, end, is_number);
}

/* \p{N} */
static gsize
match_number (const Text *t,
              gsize       pos,
              gsize       end,
              gsize      *next G_GNUC_UNUSED)
{
  return is_number (t, pos, end) ? pos + 1 : 0;
}

/* \p{N}{1,3} */
static gsize
match_numbers_3 (const Text *t,
                 gsize       pos,
                 gsize       end,
                 gsize      *next G_GNUC_UNUSED)
{
  gsize p = pos;

  while (p - pos < 3 && is_number (t, p, end))
    p++;
  return p > pos ? p : 0;
}

/* [0-9][0-9][0-9] */
static gsize
match_ascii_digits_3 (const Text *t,
                      gsize       pos,
                      gsize       end,
                      gsize      *next G_GNUC_UNUSED)
{
  for (gsize i = 0; i < 3; i++)
    {
      gunichar c = cpt_at (t, pos + i, end);

      if (c < '0' || c > '9')
        return 0;
    }
  return pos + 3;
}

/* [\r\n] */
static gsize
match_crlf (const Text *t,
            gsize       pos,
            gsize       end G_GNUC_UNUSED,
            gsize      *next G_GNUC_UNUSED)
{
  return is_crlf (t->cpts[pos]) ? pos + 1 : 0;
}

/* \s?\p{L}+ */
static gsize
match_ws_letters (const Text *t,
                  gsize       pos,
                  gsize       end,
                  gsize      *next G_GNUC_UNUSED)
{
  return match_ws_opt_run (t, pos, end, is_letter);
}

/* \s?\p{P}+ */
static gsize
match_ws_punct (const Text *t,
                gsize       pos,
                gsize       end,
                gsize      *next G_GNUC_UNUSED)
{
  return match_ws_opt_run (t, pos, end, is_punct);
}

/* \s+$ : white space that runs to the end of the piece. */
static gsize
match_ws_to_end (const Text *t,
                 gsize       pos,
                 gsize       end,
                 gsize      *next)
{
  gsize p = pos;

  while (flags_at (t, p, end) & WS)
    p++;
  if (p > pos && p == end)
    return end;
  /* Nothing inside this run reaches the end either. */
  *next = MAX (p, pos + 1);
  return 0;
}

/* [一-龥ࠀ-一가-퟿]+ */
static const Range cjk_ranges[] = {
  { 0x0800, 0x9fa5 },   /* ࠀ-一 and 一-龥 overlap into one range */
  { 0xac00, 0xd7ff },
};

static gboolean
is_cjk (const Text *t,
        gsize       pos,
        gsize       end)
{
  return in_explicit_class (t, pos, end, cjk_ranges, G_N_ELEMENTS (cjk_ranges));
}

static gsize
match_cjk (const Text *t,
           gsize       pos,
           gsize       end,
           gsize      *next G_GNUC_UNUSED)
{
  return match_run (t, pos, end, is_cjk);
}

/* DeepSeek LLM's letters: the cased letters up to Unicode 13, as its
 * tokenizer.json spells them out. */
static const Range deepseek_letter_ranges[] = {
  { 0x0041, 0x005a }, { 0x0061, 0x007a }, { 0x00b5, 0x00b5 }, { 0x00c0, 0x00d6 },
  { 0x00d8, 0x00f6 }, { 0x00f8, 0x01ba }, { 0x01bc, 0x01bf }, { 0x01c4, 0x0293 },
  { 0x0295, 0x02af }, { 0x0370, 0x0373 }, { 0x0376, 0x0377 }, { 0x037b, 0x037d },
  { 0x037f, 0x037f }, { 0x0386, 0x0386 }, { 0x0388, 0x038a }, { 0x038c, 0x038c },
  { 0x038e, 0x03a1 }, { 0x03a3, 0x03f5 }, { 0x03f7, 0x0481 }, { 0x048a, 0x052f },
  { 0x0531, 0x0556 }, { 0x10a0, 0x10c5 }, { 0x13a0, 0x13f5 }, { 0x13f8, 0x13fd },
  { 0x1c90, 0x1cba }, { 0x1cbd, 0x1cbf }, { 0x1d00, 0x1d2b }, { 0x1d6b, 0x1d77 },
  { 0x1d79, 0x1d9a }, { 0x1e00, 0x1f15 }, { 0x1f18, 0x1f1d }, { 0x1f20, 0x1f45 },
  { 0x1f48, 0x1f4d }, { 0x1f50, 0x1f57 }, { 0x1f59, 0x1f59 }, { 0x1f5b, 0x1f5b },
  { 0x1f5d, 0x1f5d }, { 0x1f5f, 0x1f7d }, { 0x1f80, 0x1fb4 }, { 0x1fb6, 0x1fbc },
  { 0x1fbe, 0x1fbe }, { 0x1fc2, 0x1fc4 }, { 0x1fc6, 0x1fcc }, { 0x1fd0, 0x1fd3 },
  { 0x1fd6, 0x1fdb }, { 0x1fe0, 0x1fec }, { 0x1ff2, 0x1ff4 }, { 0x1ff6, 0x1ffc },
  { 0x2102, 0x2102 }, { 0x2107, 0x2107 }, { 0x210a, 0x2113 }, { 0x2115, 0x2115 },
  { 0x2119, 0x211d }, { 0x2124, 0x2124 }, { 0x2126, 0x2126 }, { 0x2128, 0x2128 },
  { 0x212a, 0x212d }, { 0x212f, 0x2134 }, { 0x2139, 0x2139 }, { 0x213c, 0x213f },
  { 0x2145, 0x2149 }, { 0x214e, 0x214e }, { 0x2183, 0x2184 }, { 0x2c00, 0x2c7b },
  { 0x2c7e, 0x2ce4 }, { 0x2ceb, 0x2cee }, { 0x2cf2, 0x2cf3 }, { 0xa640, 0xa66d },
  { 0xa680, 0xa69b }, { 0xa722, 0xa76f }, { 0xa771, 0xa787 }, { 0xa78b, 0xa78e },
  { 0xab70, 0xabbf }, { 0xfb00, 0xfb06 }, { 0xfb13, 0xfb17 }, { 0xff21, 0xff3a },
  { 0xff41, 0xff5a }, { 0x10400, 0x1044f }, { 0x104b0, 0x104d3 }, { 0x104d8, 0x104fb },
  { 0x10c80, 0x10cb2 }, { 0x10cc0, 0x10cf2 }, { 0x118a0, 0x118df }, { 0x1e900, 0x1e943 },
};

static gboolean
is_deepseek_letter (const Text *t,
                    gsize       pos,
                    gsize       end)
{
  return in_explicit_class (t, pos, end, deepseek_letter_ranges, G_N_ELEMENTS (deepseek_letter_ranges));
}

static gsize
match_deepseek_letters (const Text *t,
                        gsize       pos,
                        gsize       end,
                        gsize      *next G_GNUC_UNUSED)
{
  return match_ws_opt_run (t, pos, end, is_deepseek_letter);
}

/* [!-/:-~！-／：-～‘-‟　-。] — U+3000 is white space, so never matches. */
static const Range deepseek_punct_ranges[] = {
  { 0x0021, 0x002f }, { 0x003a, 0x007e }, { 0x2018, 0x201f },
  { 0x3000, 0x3002 }, { 0xff01, 0xff0f }, { 0xff1a, 0xff5e },
};

static gboolean
is_deepseek_punct (const Text *t,
                   gsize       pos,
                   gsize       end)
{
  return in_explicit_class (t, pos, end, deepseek_punct_ranges, G_N_ELEMENTS (deepseek_punct_ranges));
}

static gsize
match_deepseek_punct (const Text *t,
                      gsize       pos,
                      gsize       end,
                      gsize      *next G_GNUC_UNUSED)
{
  return match_ws_opt_run (t, pos, end, is_deepseek_punct);
}

/* [一-龥぀-ゟ゠-ヿ]+ */
static const Range cjk_kana_ranges[] = {
  { 0x3040, 0x30ff }, { 0x4e00, 0x9fa5 },
};

static gboolean
is_cjk_kana (const Text *t,
             gsize       pos,
             gsize       end)
{
  return in_explicit_class (t, pos, end, cjk_kana_ranges, G_N_ELEMENTS (cjk_kana_ranges));
}

static gsize
match_cjk_kana (const Text *t,
                gsize       pos,
                gsize       end,
                gsize      *next G_GNUC_UNUSED)
{
  return match_run (t, pos, end, is_cjk_kana);
}

static gboolean
is_ascii_alpha (gunichar c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static gboolean
is_ascii_punct (gunichar c)
{
  return c > ' ' && c < 0x7f && !is_ascii_alpha (c) && !(c >= '0' && c <= '9');
}

/* DeepSeek V3's main pattern:
 * [!-/:-@[-`{-~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+|
 *  ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+ */
static gsize
match_deepseek3 (const Text *t,
                 gsize       pos,
                 gsize       end,
                 gsize      *next)
{
  gunichar cpt = t->cpts[pos];
  guint16 f = t->flags[pos];
  gsize p, last_crlf_end = 0;

  if (is_ascii_punct (cpt) && is_ascii_alpha (cpt_at (t, pos + 1, end)))
    {
      for (p = pos + 1; is_ascii_alpha (cpt_at (t, p, end)); p++)
        ;
      return p;
    }
  if (!is_crlf (cpt) && !(f & (LETTER | PUNCT | SYMBOL)) && (flags_at (t, pos + 1, end) & (LETTER | MARK)))
    p = pos + 1;
  else if (f & (LETTER | MARK))
    p = pos;
  else
    p = end + 1;
  if (p <= end)
    {
      while (flags_at (t, p, end) & (LETTER | MARK))
        p++;
      return p;
    }
  if (cpt == ' ' && (flags_at (t, pos + 1, end) & (PUNCT | SYMBOL)))
    p = pos + 1;
  else if (f & (PUNCT | SYMBOL))
    p = pos;
  else
    p = end + 1;
  if (p <= end)
    {
      while (flags_at (t, p, end) & (PUNCT | SYMBOL))
        p++;
      while (is_crlf (cpt_at (t, p, end)))
        p++;
      return p;
    }
  for (p = pos; flags_at (t, p, end) & WS; p++)
    if (is_crlf (t->cpts[p]))
      last_crlf_end = p + 1;
  if (last_crlf_end > 0)
    return last_crlf_end;
  if (p > pos + 1 && p < end)
    return p - 1;
  if (p > pos)
    return p;
  *next = pos + 1;
  return 0;
}

/*  ?[^(\s|.,!?…。，、।۔،)]+ */
static gboolean
is_poro_word (const Text *t,
              gsize       pos,
              gsize       end)
{
  gunichar c;

  if (pos >= end || (t->flags[pos] & WS))
    return FALSE;
  c = t->cpts[pos];
  switch (c)
    {
    case '(': case '|': case '.': case ',': case '!': case '?': case ')':
    case 0x2026: case 0x3002: case 0xff0c: case 0x3001: case 0x0964: case 0x06d4: case 0x060c:
      return FALSE;
    default:
      return TRUE;
    }
}

static gsize
match_poro (const Text *t,
            gsize       pos,
            gsize       end,
            gsize      *next G_GNUC_UNUSED)
{
  gsize p = pos;

  if (t->cpts[pos] == ' ' && is_poro_word (t, pos + 1, end))
    p = pos + 1;
  return match_run (t, p, end, is_poro_word);
}

/* ------------------------------------------------------------------------ */

typedef enum {
  STEP_END,      /* marks the end of a list */
  STEP_GPT2,
  STEP_LLAMA3,
  STEP_QWEN2,
  STEP_QWEN35,
  STEP_REGEX,
} StepKind;

typedef struct {
  StepKind  kind;
  MatchFunc match;
} Step;

#define MAX_STEPS 6

typedef struct {
  BendiPreTokenizer pre;
  Step              steps[MAX_STEPS];
} PreTokenizerSteps;

#define REGEX(f) { STEP_REGEX, f }
#define CUSTOM(k) { k, NULL }

static const PreTokenizerSteps pre_tokenizer_steps[] = {
  { BENDI_PRE_DEFAULT,        { REGEX (match_default_punct), CUSTOM (STEP_GPT2), REGEX (match_numbers),
                                REGEX (match_ascii_digits_3) } },
  { BENDI_PRE_GPT2,           { CUSTOM (STEP_GPT2) } },
  { BENDI_PRE_LLAMA3,         { CUSTOM (STEP_LLAMA3) } },
  { BENDI_PRE_QWEN2,          { CUSTOM (STEP_QWEN2) } },
  { BENDI_PRE_QWEN35,         { CUSTOM (STEP_QWEN35) } },
  { BENDI_PRE_DEEPSEEK_LLM,   { REGEX (match_crlf), REGEX (match_deepseek_letters), REGEX (match_deepseek_punct),
                                REGEX (match_ws_to_end), REGEX (match_cjk), REGEX (match_numbers) } },
  { BENDI_PRE_DEEPSEEK_CODER, { REGEX (match_crlf), REGEX (match_ws_letters), REGEX (match_ws_punct),
                                REGEX (match_cjk), REGEX (match_number) } },
  { BENDI_PRE_DEEPSEEK3,      { REGEX (match_numbers_3), REGEX (match_cjk_kana), REGEX (match_deepseek3) } },
  { BENDI_PRE_FALCON,         { REGEX (match_falcon_punct), CUSTOM (STEP_GPT2), REGEX (match_ascii_digits_3) } },
  { BENDI_PRE_STARCODER,      { REGEX (match_number), CUSTOM (STEP_GPT2) } },
  { BENDI_PRE_PORO,           { REGEX (match_poro) } },
  { BENDI_PRE_VIKING,         { REGEX (match_poro), REGEX (match_number) } },
};

/* Cuts [start, end) at every match of @match and around it, as a regex
 * iterator does. */
static void
split_regex (const Text *t,
             gsize       start,
             gsize       end,
             MatchFunc   match,
             Cutter     *c)
{
  gsize pos = start;

  while (pos < end)
    {
      gsize next = pos + 1;
      gsize match_end = match (t, pos, end, &next);

      if (match_end > pos)
        {
          cut (c, pos);          /* the stretch before the match, if any */
          cut (c, match_end);
          pos = match_end;
        }
      else
        pos = next;
    }
  cut (c, end);
}

static void
run_step (const Text *t,
          const Step *step,
          GArray     *ends,
          GArray     *new_ends)
{
  gsize start = 0;

  g_array_set_size (new_ends, 0);
  for (guint i = 0; i < ends->len; i++)
    {
      gsize end = g_array_index (ends, gsize, i);
      Cutter c = { new_ends, start };

      switch (step->kind)
        {
        case STEP_GPT2:
          split_gpt2 (t, start, end, &c);
          break;
        case STEP_LLAMA3:
          split_llama3 (t, start, end, 3, FALSE, &c);
          break;
        case STEP_QWEN2:
          split_llama3 (t, start, end, 1, FALSE, &c);
          break;
        case STEP_QWEN35:
          split_llama3 (t, start, end, 1, TRUE, &c);
          break;
        case STEP_REGEX:
          split_regex (t, start, end, step->match, &c);
          break;
        case STEP_END:
        default:
          g_assert_not_reached ();
        }
      /* Every splitter covers its stretch to the end. */
      g_assert (c.prev == end);
      start = end;
    }
}

void
bendi_pre_tokenize (BendiPreTokenizer  pre,
                    const char        *text,
                    gsize              len,
                    GArray            *word_ends)
{
  const PreTokenizerSteps *steps = &pre_tokenizer_steps[0];
  g_autoptr (GArray) ends = g_array_new (FALSE, FALSE, sizeof (gsize));
  g_autoptr (GArray) new_ends = g_array_new (FALSE, FALSE, sizeof (gsize));
  Text t = { 0 };
  gsize byte_pos = 0, cpt_pos = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (pre_tokenizer_steps); i++)
    if (pre_tokenizer_steps[i].pre == pre)
      steps = &pre_tokenizer_steps[i];

  /* Code points and their classes; the caller has validated the UTF-8. */
  t.cpts = g_new (gunichar, len + 1);
  t.flags = g_new (guint16, len + 1);
  for (gsize pos = 0; pos < len; t.n++)
    {
      gsize n = 1;
      gunichar c = 0xfffd;

      bendi_utf8_next (text + pos, len - pos, &n, &c);
      t.cpts[t.n] = c;
      t.flags[t.n] = bendi_unicode_flags (c);
      pos += n;
    }
  if (t.n > 0)
    g_array_append_val (ends, t.n);
  for (guint i = 0; i < MAX_STEPS && steps->steps[i].kind != STEP_END; i++)
    {
      GArray *swap;

      run_step (&t, &steps->steps[i], ends, new_ends);
      swap = ends;
      ends = new_ends;
      new_ends = swap;
    }

  /* Code point ends to byte ends. */
  for (guint i = 0; i < ends->len; i++)
    {
      gsize end = g_array_index (ends, gsize, i);

      for (; cpt_pos < end; cpt_pos++)
        {
          gunichar c = t.cpts[cpt_pos];

          byte_pos += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
        }
      g_array_append_val (word_ends, byte_pos);
    }

  g_free (t.cpts);
  g_free (t.flags);
}

/* ------------------------------------------------------------------------ */
/* The tokenizer.ggml.pre values llama.cpp knows, for the rules above. */

static const BendiPreTokenizerInfo pre_tokenizers[] = {
  /* name                 pre                        ignore  add_bos clean  no_bos */
  { "default",            BENDI_PRE_DEFAULT,         FALSE,  FALSE,  TRUE,  FALSE },
  { "llama3",             BENDI_PRE_LLAMA3,          TRUE,   TRUE,   TRUE,  FALSE },
  { "llama-v3",           BENDI_PRE_LLAMA3,          TRUE,   TRUE,   TRUE,  FALSE },
  { "llama-bpe",          BENDI_PRE_LLAMA3,          TRUE,   TRUE,   TRUE,  FALSE },
  { "falcon3",            BENDI_PRE_LLAMA3,          TRUE,   TRUE,   TRUE,  FALSE },
  { "falcon-h1",          BENDI_PRE_LLAMA3,          TRUE,   TRUE,   TRUE,  FALSE },
  { "pixtral",            BENDI_PRE_LLAMA3,          TRUE,   TRUE,   TRUE,  FALSE },
  { "midm-2.0",           BENDI_PRE_LLAMA3,          TRUE,   TRUE,   TRUE,  FALSE },
  { "lfm2",               BENDI_PRE_LLAMA3,          TRUE,   TRUE,   TRUE,  FALSE },
  { "dbrx",               BENDI_PRE_LLAMA3,          FALSE,  FALSE,  TRUE,  FALSE },
  { "smaug-bpe",          BENDI_PRE_LLAMA3,          FALSE,  FALSE,  TRUE,  FALSE },
  { "chatglm-bpe",        BENDI_PRE_LLAMA3,          FALSE,  FALSE,  TRUE,  TRUE  },
  { "glm4",               BENDI_PRE_LLAMA3,          FALSE,  FALSE,  TRUE,  TRUE  },
  { "deepseek-llm",       BENDI_PRE_DEEPSEEK_LLM,    FALSE,  FALSE,  FALSE, FALSE },
  { "deepseek-coder",     BENDI_PRE_DEEPSEEK_CODER,  FALSE,  FALSE,  FALSE, FALSE },
  { "deepseek-v3",        BENDI_PRE_DEEPSEEK3,       FALSE,  FALSE,  FALSE, FALSE },
  { "hunyuan-dense",      BENDI_PRE_DEEPSEEK3,       FALSE,  FALSE,  FALSE, FALSE },
  { "falcon",             BENDI_PRE_FALCON,          FALSE,  FALSE,  TRUE,  FALSE },
  { "mpt",                BENDI_PRE_GPT2,            FALSE,  FALSE,  TRUE,  FALSE },
  { "gpt-2",              BENDI_PRE_GPT2,            FALSE,  FALSE,  TRUE,  FALSE },
  { "phi-2",              BENDI_PRE_GPT2,            FALSE,  FALSE,  TRUE,  FALSE },
  { "jina-es",            BENDI_PRE_GPT2,            FALSE,  FALSE,  TRUE,  FALSE },
  { "jina-de",            BENDI_PRE_GPT2,            FALSE,  FALSE,  TRUE,  FALSE },
  { "gigachat",           BENDI_PRE_GPT2,            FALSE,  FALSE,  TRUE,  FALSE },
  { "olmo",               BENDI_PRE_GPT2,            FALSE,  FALSE,  TRUE,  FALSE },
  { "jais",               BENDI_PRE_GPT2,            FALSE,  FALSE,  TRUE,  FALSE },
  { "exaone4",            BENDI_PRE_GPT2,            FALSE,  FALSE,  TRUE,  FALSE },
  { "trillion",           BENDI_PRE_GPT2,            FALSE,  FALSE,  FALSE, FALSE },
  { "granite-docling",    BENDI_PRE_GPT2,            FALSE,  FALSE,  FALSE, FALSE },
  { "starcoder",          BENDI_PRE_STARCODER,       FALSE,  FALSE,  TRUE,  FALSE },
  { "refact",             BENDI_PRE_STARCODER,       FALSE,  FALSE,  TRUE,  FALSE },
  { "command-r",          BENDI_PRE_STARCODER,       FALSE,  FALSE,  FALSE, FALSE },
  { "smollm",             BENDI_PRE_STARCODER,       FALSE,  FALSE,  FALSE, FALSE },
  { "codeshell",          BENDI_PRE_STARCODER,       FALSE,  FALSE,  TRUE,  FALSE },
  { "exaone",             BENDI_PRE_STARCODER,       FALSE,  FALSE,  TRUE,  FALSE },
  { "minerva-7b",         BENDI_PRE_STARCODER,       FALSE,  FALSE,  TRUE,  FALSE },
  { "qwen2",              BENDI_PRE_QWEN2,           FALSE,  FALSE,  FALSE, FALSE },
  { "deepseek-r1-qwen",   BENDI_PRE_QWEN2,           FALSE,  FALSE,  FALSE, FALSE },
  { "stablelm2",          BENDI_PRE_QWEN2,           FALSE,  FALSE,  TRUE,  FALSE },
  { "megrez",             BENDI_PRE_QWEN2,           FALSE,  FALSE,  TRUE,  FALSE },
  { "hunyuan",            BENDI_PRE_QWEN2,           FALSE,  FALSE,  FALSE, FALSE },
  { "grok-2",             BENDI_PRE_QWEN2,           FALSE,  FALSE,  FALSE, FALSE },
  { "qwen35",             BENDI_PRE_QWEN35,          FALSE,  FALSE,  FALSE, FALSE },
  { "poro-chat",          BENDI_PRE_PORO,            FALSE,  FALSE,  FALSE, FALSE },
  { "bloom",              BENDI_PRE_PORO,            FALSE,  FALSE,  TRUE,  FALSE },
  { "gpt3-finnish",       BENDI_PRE_PORO,            FALSE,  FALSE,  TRUE,  FALSE },
  { "viking",             BENDI_PRE_VIKING,          FALSE,  FALSE,  FALSE, FALSE },
};

const BendiPreTokenizerInfo *
bendi_pre_tokenizer_lookup (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (pre_tokenizers); i++)
    if (g_strcmp0 (pre_tokenizers[i].name, name) == 0)
      return &pre_tokenizers[i];
  return NULL;
}
