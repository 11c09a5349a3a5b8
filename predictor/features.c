/*
 * features.c - the prompt feature vector (documented in FEATURES.md).
 *
 * One scanner walks every text once, 64 bytes at a time: it classifies the
 * block into bit masks (word bytes, white space, newlines; SSE2 where the
 * compiler offers it, a table otherwise, same result), counts what a mask
 * or a vector can count (letters, digits, spaces...), writes the block's
 * bytes lower-cased into a small buffer, and then visits only the events:
 * each word once (hashed 8 normalised bytes at a time), each punctuation
 * byte, each newline, each non-ASCII sequence.  It never allocates and
 * never reads outside [text, text+len) (the last block is copied into a
 * zeroed buffer), so NUL bytes, invalid UTF-8 and megabyte prompts are
 * just more bytes.  Training (pred_features_prompt) and serving
 * (pred_features_converse) feed the same scanner, so the model sees
 * identical features in both.
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "pred.h"
#include "pred_feat.h"

_Static_assert(F_END == PRED_NFEATURES, "pred_feat.h and pred.h disagree");

/* Byte classes. */
#define C_ALPHA	0x01
#define C_UPPER	0x02
#define C_DIGIT	0x04
#define C_SPACE	0x08	/* space, tab, CR, VT, FF, NUL and other controls */
#define C_NL	0x10
#define C_PUNCT	0x20	/* printable ASCII, not alnum, not space */
#define C_MATH	0x40	/* + - * / = ^ < > % */
#define C_HIGH	0x80	/* >= 0x80: part of a UTF-8 sequence */

#define WORDCH	(C_ALPHA | C_DIGIT | C_HIGH)
#define SEEN_BITS 1024	/* distinct-word bitmap */

static uint8_t	ctab[256];
static uint8_t	ntab[256];	/* byte → lowercase, digits as '0' (ASCII only) */

/* Keyword → class.  Words are matched lowercased, whole. */
struct kw {
	const char	*word;
	int		 feat;
};
static const struct kw keywords[] = {
	{ "who", F_KW_WH }, { "what", F_KW_WH }, { "when", F_KW_WH },
	{ "where", F_KW_WH }, { "which", F_KW_WH }, { "whom", F_KW_WH },
	{ "whose", F_KW_WH }, { "how", F_KW_WH },
	{ "why", F_KW_REASON }, { "explain", F_KW_REASON },
	{ "prove", F_KW_REASON }, { "derive", F_KW_REASON },
	{ "justify", F_KW_REASON }, { "analyze", F_KW_REASON },
	{ "analyse", F_KW_REASON }, { "compare", F_KW_REASON },
	{ "reason", F_KW_REASON }, { "reasoning", F_KW_REASON },
	{ "evaluate", F_KW_REASON }, { "infer", F_KW_REASON },
	{ "therefore", F_KW_REASON }, { "because", F_KW_REASON },
	{ "solve", F_KW_MATH }, { "calculate", F_KW_MATH },
	{ "compute", F_KW_MATH }, { "equation", F_KW_MATH },
	{ "integral", F_KW_MATH }, { "derivative", F_KW_MATH },
	{ "probability", F_KW_MATH }, { "sum", F_KW_MATH },
	{ "product", F_KW_MATH }, { "total", F_KW_MATH },
	{ "remainder", F_KW_MATH }, { "find", F_KW_MATH },
	{ "value", F_KW_MATH }, { "number", F_KW_MATH },
	{ "integer", F_KW_MATH }, { "integers", F_KW_MATH },
	{ "real", F_KW_MATH }, { "polynomial", F_KW_MATH },
	{ "triangle", F_KW_MATH }, { "area", F_KW_MATH },
	{ "percent", F_KW_MATH }, { "average", F_KW_MATH },
	{ "code", F_KW_CODE }, { "function", F_KW_CODE },
	{ "python", F_KW_CODE }, { "java", F_KW_CODE },
	{ "javascript", F_KW_CODE }, { "sql", F_KW_CODE },
	{ "implement", F_KW_CODE }, { "bug", F_KW_CODE },
	{ "compile", F_KW_CODE }, { "class", F_KW_CODE },
	{ "def", F_KW_CODE }, { "return", F_KW_CODE },
	{ "program", F_KW_CODE }, { "algorithm", F_KW_CODE },
	{ "script", F_KW_CODE }, { "array", F_KW_CODE },
	{ "string", F_KW_CODE }, { "regex", F_KW_CODE },
	{ "write", F_KW_CREATIVE }, { "story", F_KW_CREATIVE },
	{ "poem", F_KW_CREATIVE }, { "essay", F_KW_CREATIVE },
	{ "letter", F_KW_CREATIVE }, { "imagine", F_KW_CREATIVE },
	{ "creative", F_KW_CREATIVE }, { "blog", F_KW_CREATIVE },
	{ "email", F_KW_CREATIVE }, { "song", F_KW_CREATIVE },
	{ "translate", F_KW_TRANSFORM }, { "summarize", F_KW_TRANSFORM },
	{ "summarise", F_KW_TRANSFORM }, { "summary", F_KW_TRANSFORM },
	{ "rewrite", F_KW_TRANSFORM }, { "paraphrase", F_KW_TRANSFORM },
	{ "convert", F_KW_TRANSFORM }, { "classify", F_KW_TRANSFORM },
	{ "extract", F_KW_TRANSFORM }, { "correct", F_KW_TRANSFORM },
	{ "json", F_KW_FORMAT }, { "table", F_KW_FORMAT },
	{ "bullet", F_KW_FORMAT }, { "bullets", F_KW_FORMAT },
	{ "markdown", F_KW_FORMAT }, { "csv", F_KW_FORMAT },
	{ "yaml", F_KW_FORMAT }, { "xml", F_KW_FORMAT },
	{ "format", F_KW_FORMAT }, { "list", F_KW_FORMAT },
	{ "concise", F_KW_LIMIT }, { "brief", F_KW_LIMIT },
	{ "briefly", F_KW_LIMIT }, { "short", F_KW_LIMIT },
	{ "exactly", F_KW_LIMIT }, { "only", F_KW_LIMIT },
	{ "must", F_KW_LIMIT }, { "limit", F_KW_LIMIT },
	{ "maximum", F_KW_LIMIT }, { "minimum", F_KW_LIMIT },
	{ "not", F_KW_NEG }, { "never", F_KW_NEG }, { "except", F_KW_NEG },
	{ "false", F_KW_NEG }, { "incorrect", F_KW_NEG },
	{ "no", F_KW_NEG }, { "none", F_KW_NEG }, { "cannot", F_KW_NEG },
	{ "if", F_KW_LOGIC }, { "then", F_KW_LOGIC }, { "all", F_KW_LOGIC },
	{ "some", F_KW_LOGIC }, { "every", F_KW_LOGIC },
	{ "each", F_KW_LOGIC }, { "true", F_KW_LOGIC },
	{ "either", F_KW_LOGIC }, { "neither", F_KW_LOGIC },
	{ "directly", F_KW_LOGIC }, { "left", F_KW_LOGIC },
	{ "right", F_KW_LOGIC }, { "between", F_KW_LOGIC },
	{ "i", F_KW_PERSONAL }, { "my", F_KW_PERSONAL },
	{ "me", F_KW_PERSONAL }, { "you", F_KW_PERSONAL },
	{ "your", F_KW_PERSONAL }, { "please", F_KW_PERSONAL },
	{ "we", F_KW_PERSONAL }, { "our", F_KW_PERSONAL },
};

/* Keyword k is entry k+1 of kwlen/kwx/kwfeat; entry 0 is none.  kwslot
 * maps (word hash * kwmul) >> (32 - KWSLOT_BITS) to an entry, with no two
 * keywords on one slot (init_tables picks kwmul): one lookup per word. */
#define NKW	(sizeof(keywords) / sizeof(keywords[0]))
#define KWSLOT_BITS	12
_Static_assert(NKW < 255, "kwslot holds entries in a byte");
static uint8_t	kwslot[1 << KWSLOT_BITS];
static uint32_t	kwmul;
static uint8_t	kwlen[NKW + 1];
static uint8_t	kwfeat[NKW + 1];
static uint64_t	kwx[NKW + 1][2];	/* the keyword, normalised, zero-padded */
static uint32_t	h_step, h_by, h_limits[6];
/* Per punctuation byte, eight 8-bit counter lanes (see init_packed). */
static uint64_t	pk[256];
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

#define ONES	0x0101010101010101ull
#define HIGHS	0x8080808080808080ull

/* Set bits of x (no popcnt instruction in baseline x86-64). */
static inline unsigned
popcount64(uint64_t x)
{
	x -= (x >> 1) & 0x5555555555555555ull;
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (unsigned)((x * ONES) >> 56);
}

static inline uint32_t
wmix(uint32_t h)
{
	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	h *= 0x297a2d39u;
	return h ^ (h >> 15);
}

static void
init_ctab(void)
{
	int c;

	for (c = 0; c < 256; c++) {
		if (c >= 0x80)
			ctab[c] = C_HIGH;
		else if (c >= 'a' && c <= 'z')
			ctab[c] = C_ALPHA;
		else if (c >= 'A' && c <= 'Z')
			ctab[c] = C_ALPHA | C_UPPER;
		else if (c >= '0' && c <= '9')
			ctab[c] = C_DIGIT;
		else if (c == '\n')
			ctab[c] = C_SPACE | C_NL;
		else if (c <= ' ' || c == 0x7f)
			ctab[c] = C_SPACE;
		else
			ctab[c] = C_PUNCT;
		ntab[c] = (uint8_t)c;
		if (ctab[c] & C_UPPER)
			ntab[c] = (uint8_t)(c + 32);
		else if (ctab[c] & C_DIGIT)
			ntab[c] = '0';
	}
	for (c = 0; "+-*/=^<>%"[c]; c++)
		ctab[(uint8_t)"+-*/=^<>%"[c]] |= C_MATH;
}

/* Lanes of pk[c]: 0 math symbol, 1 bracket, 2 "$" or "\", 3 "?", 4 '"',
 * 5 sentence end (. ! ?), 6 ":", 7 "`".  A block has at most 64 bytes,
 * so no lane overflows before it is flushed. */
static void
init_packed(void)
{
	int c;

	for (c = 0; c < 256; c++)
		pk[c] = (uint64_t)!!(ctab[c] & C_MATH) |
		    (uint64_t)(c == '(' || c == ')' || c == '[' || c == ']' ||
		    c == '{' || c == '}') << 8 |
		    (uint64_t)(c == '$' || c == '\\') << 16 |
		    (uint64_t)(c == '?') << 24 | (uint64_t)(c == '"') << 32 |
		    (uint64_t)(c == '.' || c == '!' || c == '?') << 40 |
		    (uint64_t)(c == ':') << 48 | (uint64_t)(c == '`') << 56;
}

/* ---- words ------------------------------------------------------------------ */

/* What a word's bytes say, read 8 at a time. */
struct wstat {
	uint64_t	 x[2];		/* first 16 bytes, normalised, zero-padded */
	uint32_t	 affix[2];	/* first and last 3 bytes, normalised */
	uint32_t	 h;		/* hash of the normalised word */
	size_t		 digits, high;	/* digits, bytes >= 0x80 */
};

/* Up to 8 bytes at p as a little-endian integer, zero beyond min(n, 8)
 * and beyond end. */
static inline uint64_t
load8(const unsigned char *p, size_t n, const unsigned char *end)
{
	uint64_t x = 0;

	if (end - p >= 8)
		memcpy(&x, p, 8);
	else
		memcpy(&x, p, (size_t)(end - p));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	x = __builtin_bswap64(x);
#endif
	return x & (~0ull >> (8 * (8 - (n < 8 ? n : 8))));
}

/* ASCII upper case to lower, digits to '0', other bytes kept (as ntab),
 * eight at a time: what classify() does to a block, for words whose
 * normalised bytes are no longer in the block buffer. */
static inline uint64_t
normalise8(uint64_t x)
{
	uint64_t h7 = x & ~HIGHS, up, dg, dm;

	up = (h7 + 0x3f * ONES) & ~(h7 + 0x25 * ONES) & ~x & HIGHS;
	dg = (h7 + 0x50 * ONES) & ~(h7 + 0x46 * ONES) & ~x & HIGHS;
	dm = (dg >> 7) * 0xff;
	return ((x | (up >> 2)) & ~dm) | (dm & 0x30 * ONES);
}

/* Up to 8 normalised bytes at p (which has 8 readable bytes), zero
 * beyond n. */
static inline uint64_t
load8n(const unsigned char *p, size_t n)
{
	uint64_t x;

	memcpy(&x, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	x = __builtin_bswap64(x);
#endif
	return n >= 8 ? x : x & ((1ull << (8 * n)) - 1);
}

/* Digits ('0' once normalised) and bytes >= 0x80 of a normalised chunk,
 * zero-padded. */
static inline void
count8(uint64_t x, struct wstat *ws)
{
	uint64_t y = x ^ (0x30 * ONES), z, c;

	z = ~(((y & ~HIGHS) + ~HIGHS) | y | ~HIGHS);	/* 0x80 where y is 0 */
	/* both counts in one byte sum: at most 8 + 16 * 8 */
	c = (((z >> 7) + ((x & HIGHS) >> 3)) * ONES) >> 56;
	ws->digits += c & 15;
	ws->high += c >> 4;
}

/* Chunk i of the word: normalised bytes from nw, or raw ones from w. */
#define CHUNK(i, n)	(nw != NULL ? load8n(nw + (i), (n)) : \
	normalise8(load8(w + (i), (n), end)))

/* The word [w, w+len), len >= 1, inside [.., end); nw is the same word
 * normalised (with 8 readable bytes after it), or NULL.  plain says the
 * word has neither digits nor bytes >= 0x80, so they need no counting.
 * Words of up to 8 bytes (most) take one step of the loop. */
#ifdef __GNUC__
__attribute__((always_inline))
#endif
static inline void
word_stat(const unsigned char *w, const unsigned char *nw, size_t len,
    int plain, const unsigned char *end, struct wstat *ws)
{
	uint64_t h = (uint64_t)len * 0x9E3779B97F4A7C15ull, prev = 0, x = 0;
	size_t i, r;

	ws->x[1] = 0;
	ws->digits = ws->high = 0;
	x = ws->x[0] = CHUNK(0, len);
	if (!plain)
		count8(x, ws);
	h = (h ^ x) * 0xff51afd7ed558ccdull;
	for (i = 8; i < len; i += 8) {
		prev = x;
		x = CHUNK(i, len - i);
		if (!plain)
			count8(x, ws);
		if (i == 8)
			ws->x[1] = x;
		h ^= h >> 32;
		h = (h ^ x) * 0xff51afd7ed558ccdull;
	}
	r = len - (i - 8);	/* bytes in the last chunk, 1..8 */
	ws->affix[0] = (uint32_t)(ws->x[0] & 0xffffff);
	if (len <= 3)
		ws->affix[1] = ws->affix[0];
	else if (r >= 3)
		ws->affix[1] = (uint32_t)(x >> (8 * (r - 3))) & 0xffffff;
	else
		ws->affix[1] = (uint32_t)((prev >> (8 * (5 + r))) | (x << (8 * (3 - r)))) & 0xffffff;
	ws->h = (uint32_t)(h >> 32);
}

static uint32_t
whash(const char *w)
{
	struct wstat ws;
	size_t n = strlen(w);

	word_stat((const unsigned char *)w, NULL, n, 0, (const unsigned char *)w + n, &ws);
	return ws.h;
}

static void
init_tables(void)
{
	static const char *limits[6] = { "words", "sentences", "paragraphs",
	    "lines", "characters", "points" };
	uint32_t kwh[NKW], slot;
	struct wstat ws;
	size_t i, tries;

	init_ctab();
	init_packed();
	for (i = 0; i < NKW; i++) {
		kwlen[i + 1] = (uint8_t)strlen(keywords[i].word);
		word_stat((const unsigned char *)keywords[i].word, NULL, kwlen[i + 1], 0,
		    (const unsigned char *)keywords[i].word + kwlen[i + 1], &ws);
		kwx[i + 1][0] = ws.x[0];
		kwx[i + 1][1] = ws.x[1];
		kwfeat[i + 1] = (uint8_t)keywords[i].feat;
		kwh[i] = ws.h;
	}
	/* The first odd multiplier that puts every keyword on its own slot
	 * (a few tries: 131 keywords, 4096 slots). */
	kwmul = 0x9E3779B1u;
	for (tries = 0; ; tries++, kwmul += 2) {
		if (tries == 100000)
			abort();	/* a keyword listed twice */
		memset(kwslot, 0, sizeof(kwslot));
		for (i = 0; i < NKW; i++) {
			slot = (kwh[i] * kwmul) >> (32 - KWSLOT_BITS);
			if (kwslot[slot] != 0)
				break;
			kwslot[slot] = (uint8_t)(i + 1);
		}
		if (i == NKW)
			break;
	}
	h_step = whash("step");
	h_by = whash("by");
	for (i = 0; i < 6; i++)
		h_limits[i] = whash(limits[i]);
}

/* ---- the scanner ---------------------------------------------------------- */

static int
is_limit_word(uint32_t h)
{
	int i;

	for (i = 0; i < 6; i++)
		if (h_limits[i] == h)
			return 1;
	return 0;
}

/* Word counts, copied into registers for the words of a block. */
struct wacc {
	uint32_t	 prev_wh, prev2_wh;	/* last two words' hashes, 0 = none */
	int		 prev_num;		/* the previous word was a number */
	size_t		 tok2;			/* token estimate, in half tokens */
	uint32_t	 words, distinct, numbers, longwords, maxword;
};

/* State carried across the texts of one request; features go to f. */
struct scan {
	float		*f;
	struct wacc	 w;
	size_t		 letters, upper, digits;	/* ASCII, by classify() */
	size_t		 spaces, punct, punct_total;
	uint64_t	 seen[SEEN_BITS / 64];	/* distinct-word bitmap */
	int		 ngrams;	/* compute the hashed n-grams too */
};

/* Counts the word if it is a keyword: the normalised bytes must match,
 * so digits and bytes >= 0x80 never do.  Most words find an empty slot. */
static inline void
keyword(struct scan *s, const struct wstat *ws, size_t len)
{
	unsigned k = kwslot[(ws->h * kwmul) >> (32 - KWSLOT_BITS)];

	if (k != 0 && kwlen[k] == len && kwx[k][0] == ws->x[0] && kwx[k][1] == ws->x[1])
		s->f[kwfeat[k]] += 1.0f;
}

/* Bucket of a word's prefix (tag 1) or suffix (tag 2) trigram. */
static inline size_t
affix_bucket(uint32_t v, uint32_t tag)
{
	return F_AFFIX + (((v | tag << 24) * 0x9E3779B1u) >> (32 - F_AFFIX_BITS));
}

/* One word [w, w+len): counts, unigram/bigram/affix buckets, keywords,
 * phrases. */
#ifdef __GNUC__
__attribute__((always_inline))
#endif
static inline void
end_word(struct scan *s, struct wacc *a, const unsigned char *w,
    const unsigned char *nw, size_t len, int plain, const unsigned char *end)
{
	struct wstat ws;
	size_t alpha;
	uint32_t bit, bg, h;

	word_stat(w, nw, len, plain, end, &ws);
	h = ws.h;
	alpha = len - ws.digits - ws.high;
	a->words++;
	if (len > a->maxword)
		a->maxword = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
	a->longwords += len >= 12;
	a->numbers += ws.digits > 0;
	/* letters: 1 + 1 per 8; digits: 1 per 3 (most words have none) */
	a->tok2 += (alpha ? 2 * (1 + alpha / 8) : 0) + (ws.digits ? 2 * ((ws.digits + 2) / 3) : 0);
	if (s->ngrams) {
		s->f[F_WORD1 + (h >> (32 - F_WORD1_BITS))] += 1.0f;
		s->f[affix_bucket(ws.affix[0], 1)] += 1.0f;
		s->f[affix_bucket(ws.affix[1], 2)] += 1.0f;
		if (a->prev_wh != 0) {
			bg = wmix(a->prev_wh * 0x85EBCA77u + h);
			s->f[F_WORD2 + (bg >> (32 - F_WORD2_BITS))] += 1.0f;
		}
	}
	bit = h & (SEEN_BITS - 1);
	a->distinct += !(s->seen[bit >> 6] >> (bit & 63) & 1);
	s->seen[bit >> 6] |= 1ull << (bit & 63);
	keyword(s, &ws, len);
	if (h == h_step && a->prev_wh == h_by && a->prev2_wh == h_step)
		s->f[F_STEPBYSTEP] += 1.0f;
	if (a->prev_num && is_limit_word(h))
		s->f[F_WORDLIMIT] += 1.0f;
	a->prev_num = ws.digits == len;
	a->prev2_wh = a->prev_wh;
	a->prev_wh = h;
}

/* Classify the line [p, q): list item, option, code-like, quote, question. */
static void
end_line(struct scan *s, const unsigned char *p, const unsigned char *q)
{
	size_t indent = 0;

	while (p < q && (*p == ' ' || *p == '\t'))
		p++, indent++;
	while (q > p && (ctab[q[-1]] & C_SPACE))
		q--;
	if (p == q)
		return;
	s->f[F_LINES_NONEMPTY] += 1.0f;
	if (q - p >= 2 && (*p == '-' || *p == '*' || *p == '+') && p[1] == ' ')
		s->f[F_LIST_LINES] += 1.0f;
	else if (q - p >= 3 && (ctab[*p] & C_DIGIT) && (p[1] == '.' || p[1] == ')') && p[2] == ' ')
		s->f[F_LIST_LINES] += 1.0f;
	else if (q - p >= 3 && *p >= 'A' && *p <= 'J' && (p[1] == '.' || p[1] == ')') && p[2] == ' ')
		s->f[F_OPTION_LINES] += 1.0f;
	else if (q - p >= 4 && *p == '(' && p[1] >= 'A' && p[1] <= 'J' && p[2] == ')')
		s->f[F_OPTION_LINES] += 1.0f;
	if (*p == '>')
		s->f[F_QUOTE_LINES] += 1.0f;
	if (indent >= 4 || q[-1] == ';' || q[-1] == '{' || q[-1] == '}' ||
	    (q - p >= 2 && p[0] == '/' && p[1] == '/') || *p == '#' ||
	    (q[-1] == ':' && indent >= 2))
		s->f[F_CODE_LINES] += 1.0f;
	if (q[-1] == '?')
		s->f[F_QUESTION_LINES] += 1.0f;
}

/* Length of the valid UTF-8 sequence at p (p[0] >= 0x80), counting its
 * script; or 1 for an invalid byte, counted as such. */
static size_t
utf8(struct scan *s, const unsigned char *p, const unsigned char *end)
{
	uint32_t cp;
	size_t n, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07;
	else
		goto bad;
	if ((size_t)(end - p) < n)
		goto bad;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			goto bad;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		goto bad;
	s->f[pred_script_feature(cp)] += 1.0f;
	s->f[F_NONASCII] += (float)n;
	s->w.tok2 += n >= 3 ? 2 : 1;
	return n;
bad:
	s->f[F_INVALID_UTF8] += 1.0f;
	s->f[F_NONASCII] += 1.0f;
	s->w.tok2 += 2;
	return 1;
}

/* ---- blocks ----------------------------------------------------------------- */

#define BLOCK	64
#define AHEAD	8	/* bytes after a block that its events may look at */

/* Bit i of each mask describes b[i]. */
struct masks {
	uint64_t	 word;	/* ASCII letter, digit, or byte >= 0x80 */
	uint64_t	 high;	/* byte >= 0x80 */
	uint64_t	 digit;	/* ASCII digit */
	uint64_t	 space;	/* C_SPACE: white space, NUL, controls, DEL */
	uint64_t	 nl;	/* '\n' */
};

/* Classifies the block b into m, writes its normalised bytes (as
 * normalise8) to nb followed by 16 zero bytes, and adds its ASCII letters,
 * upper-case letters and digits to s.  The bytes of b past the text are
 * zero, and zero is none of these. */
#ifdef __SSE2__
static void
classify(struct scan *s, const unsigned char *b, struct masks *m, unsigned char *nb)
{
	const __m128i zero = _mm_setzero_si128();
	__m128i v, al, up, dg, n, nal = zero, nup = zero, ndg = zero;
	uint64_t hi, w, sp, nl, c;
	int k;

	memset(m, 0, sizeof(*m));
	for (k = 0; k < BLOCK / 16; k++) {
		v = _mm_loadu_si128((const __m128i *)(const void *)(b + 16 * k));
		al = _mm_cmplt_epi8(_mm_add_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)),
		    _mm_set1_epi8(128 - 'a')), _mm_set1_epi8(-128 + 26));
		up = _mm_cmplt_epi8(_mm_add_epi8(v, _mm_set1_epi8(128 - 'A')),
		    _mm_set1_epi8(-128 + 26));
		dg = _mm_cmplt_epi8(_mm_add_epi8(v, _mm_set1_epi8(128 - '0')),
		    _mm_set1_epi8(-128 + 10));
		n = _mm_or_si128(v, _mm_and_si128(up, _mm_set1_epi8(0x20)));
		n = _mm_or_si128(_mm_andnot_si128(dg, n), _mm_and_si128(dg, _mm_set1_epi8('0')));
		_mm_storeu_si128((__m128i *)(void *)(nb + 16 * k), n);
		nal = _mm_sub_epi8(nal, al);	/* lanes count to at most 4 */
		nup = _mm_sub_epi8(nup, up);
		ndg = _mm_sub_epi8(ndg, dg);
		hi = (uint64_t)_mm_movemask_epi8(v);
		w = hi | (uint64_t)_mm_movemask_epi8(_mm_or_si128(al, dg));
		sp = ((uint64_t)_mm_movemask_epi8(_mm_cmplt_epi8(v, _mm_set1_epi8(33))) & ~hi) |
		    (uint64_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f)));
		nl = (uint64_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('\n')));
		m->word |= w << (16 * k);
		m->high |= hi << (16 * k);
		m->digit |= (uint64_t)_mm_movemask_epi8(dg) << (16 * k);
		m->space |= sp << (16 * k);
		m->nl |= nl << (16 * k);
	}
	_mm_storeu_si128((__m128i *)(void *)(nb + BLOCK), zero);
	/* three sums of at most 64, 16 bits apart, in each 64-bit half */
	v = _mm_add_epi64(_mm_sad_epu8(nal, zero), _mm_add_epi64(
	    _mm_slli_epi64(_mm_sad_epu8(nup, zero), 16),
	    _mm_slli_epi64(_mm_sad_epu8(ndg, zero), 32)));
	v = _mm_add_epi64(v, _mm_unpackhi_epi64(v, v));
	c = (uint64_t)_mm_cvtsi128_si64(v);
	s->letters += c & 0xffff;
	s->upper += c >> 16 & 0xffff;
	s->digits += c >> 32 & 0xffff;
}
#else
static void
classify(struct scan *s, const unsigned char *b, struct masks *m, unsigned char *nb)
{
	uint8_t cl;
	int i;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < BLOCK; i++) {
		cl = ctab[b[i]];
		nb[i] = ntab[b[i]];
		s->letters += !!(cl & C_ALPHA);
		s->upper += !!(cl & C_UPPER);
		s->digits += !!(cl & C_DIGIT);
		m->word |= (uint64_t)!!(cl & WORDCH) << i;
		m->high |= (uint64_t)!!(cl & C_HIGH) << i;
		m->digit |= (uint64_t)!!(cl & C_DIGIT) << i;
		m->space |= (uint64_t)!!(cl & C_SPACE) << i;
		m->nl |= (uint64_t)!!(cl & C_NL) << i;
	}
	memset(nb + BLOCK, 0, 16);
}
#endif

#define NBUF	4096	/* normalised text kept, a multiple of BLOCK */

/* Where one text is, and what carries from one block to the next. */
struct text {
	const unsigned char *end;
	const unsigned char *word;	/* start of the open word, or NULL */
	const unsigned char *line;	/* start of the current line */
	const unsigned char *utf_next;	/* first byte not yet decoded */
	unsigned char	 last;		/* the byte before the block */
	/* nb[i] is text byte base[i] normalised, up to the current block's
	 * end; a word that began before base is read from the text again */
	const unsigned char *base;
	unsigned char	 nb[NBUF + 16];
};

/* The punctuation bytes (mask pm) of block b (b[-1] is t->last's place):
 * counts by lane, sentence ends, "://", runs of backticks. */
static void
block_punct(struct scan *s, struct text *t, const unsigned char *b, uint64_t pm)
{
	uint64_t a = 0;
	unsigned i, c, prev;
	size_t sent = 0, urls = 0, runs = 0, fences = 0;

	while (pm) {
		i = (unsigned)__builtin_ctzll(pm);
		pm &= pm - 1;
		c = b[i];
		a += pk[c];
		sent += (pk[c] >> 40 & 1) & (ctab[b[i + 1]] >> 3 & 1);
		urls += (c == ':') & (b[i + 1] == '/') & (b[i + 2] == '/');
		prev = i ? b[i - 1] : t->last;
		c = (c == '`') & (prev != '`');
		runs += c;
		fences += c & (b[i + 1] == '`') & (b[i + 2] == '`');
	}
	s->f[F_MATHSYM] += (float)(a & 0xff);
	s->f[F_BRACKETS] += (float)(a >> 8 & 0xff);
	s->f[F_LATEX] += (float)(a >> 16 & 0xff);
	s->f[F_QMARKS] += (float)(a >> 24 & 0xff);
	s->f[F_QUOTES] += (float)(a >> 32 & 0xff);
	s->f[F_SENTENCES] += (float)sent;
	s->f[F_URLS] += (float)urls;
	s->f[F_CODE_FENCES] += (float)fences;
	s->f[F_INLINE_CODE] += (float)(runs - fences);
}

/* A word that began before t->base. */
#ifdef __GNUC__
__attribute__((noinline))
#endif
static void
end_word_raw(struct scan *s, struct wacc *a, const unsigned char *w, size_t len,
    const unsigned char *end)
{
	end_word(s, a, w, NULL, len, 0, end);
}

/* The words of a block at q whose word mask is wm and digit-or-high
 * mask dh; next is 1 when the byte after the block is a word byte.  A
 * word open at the block's start began at t->word; one still open at its
 * end is left there. */
static void
block_words(struct scan *s, struct text *t, const unsigned char *q, uint64_t wm,
    uint64_t dh, int next)
{
	uint64_t starts = wm & ~((wm << 1) | (t->word != NULL));
	uint64_t ends = wm & ~((wm >> 1) | ((uint64_t)next << 63));
	const unsigned char *w;
	struct wacc a = s->w;
	size_t len;
	unsigned e;

	while (ends) {
		e = (unsigned)__builtin_ctzll(ends);
		ends &= ends - 1;
		if (t->word != NULL) {
			w = t->word;
			t->word = NULL;
		} else {
			w = q + __builtin_ctzll(starts);
			starts &= starts - 1;
		}
		len = (size_t)(q + e + 1 - w);
		if (w >= t->base)
			end_word(s, &a, w, t->nb + (w - t->base), len, w >= q &&
			    (dh & (~0ull >> (63 - e)) & (~0ull << (w - q))) == 0, t->end);
		else
			end_word_raw(s, &a, w, len, t->end);
	}
	s->w = a;
	if (starts)
		t->word = q + __builtin_ctzll(starts);
}

/* Newlines, then UTF-8 sequences, of the block at q. */
static void
block_lines_utf8(struct scan *s, struct text *t, const unsigned char *q,
    uint64_t nl, uint64_t hi)
{
	const unsigned char *p;

	s->f[F_LINES] += (float)popcount64(nl);
	while (nl) {
		p = q + __builtin_ctzll(nl);
		nl &= nl - 1;
		end_line(s, t->line, p);
		t->line = p + 1;
	}
	while (hi) {
		p = q + __builtin_ctzll(hi);
		hi &= hi - 1;
		if (p >= t->utf_next)
			t->utf_next = p + utf8(s, p, t->end);
	}
}

/* One block: b holds the bytes of q (b == q, or a zero-padded copy of
 * the text's tail) and at least AHEAD readable bytes after; n of its
 * bytes are text. */
static void
scan_block(struct scan *s, struct text *t, const unsigned char *q,
    const unsigned char *b, size_t n)
{
	uint64_t valid = n >= BLOCK ? ~0ull : (1ull << n) - 1, pm;
	struct masks m;

	if (q + BLOCK > t->base + NBUF) {	/* keep the last block */
		memcpy(t->nb, t->nb + (q - BLOCK - t->base), BLOCK);
		t->base = q - BLOCK;
	}
	classify(s, b, &m, t->nb + (q - t->base));
	m.word &= valid;
	m.space &= valid;
	pm = valid & ~(m.word | m.space);
	s->spaces += (size_t)popcount64(m.space);
	s->punct += (size_t)popcount64(pm);
	if (pm)
		block_punct(s, t, b, pm);
	block_words(s, t, q, m.word, (m.digit | m.high) & valid,
	    n > BLOCK && (ctab[b[BLOCK]] & WORDCH));
	if ((m.nl | m.high) & valid)
		block_lines_utf8(s, t, q, m.nl & valid, m.high & valid);
	t->last = b[BLOCK - 1];
}

/* Scan one text, block by block.  Word boundaries reset at the start of
 * every text. */
static void
scan_text(struct scan *s, const unsigned char *p, size_t len)
{
	unsigned char tail[BLOCK + AHEAD];
	struct text t;
	size_t o = 0, n;

	t.end = p + len;
	t.word = NULL;
	t.line = t.utf_next = t.base = p;
	t.last = 0;
	s->w.prev_wh = s->w.prev2_wh = 0;
	s->w.prev_num = 0;
	for (; o + BLOCK + AHEAD <= len; o += BLOCK)
		scan_block(s, &t, p + o, p + o, BLOCK + AHEAD);
	for (; o < len; o += BLOCK) {
		n = len - o < sizeof(tail) ? len - o : sizeof(tail);
		memset(tail, 0, sizeof(tail));
		memcpy(tail, p + o, n);
		scan_block(s, &t, p + o, tail, n);
	}
	end_line(s, t.line, t.end);
	s->f[F_LINES] += 1.0f;
	s->w.tok2 += 2 * s->punct;
	s->punct_total += s->punct;
	s->punct = 0;
}

static void
scan_init(struct scan *s, float *f)
{
	pthread_once(&init_once, init_tables);
	memset(f, 0, PRED_NFEATURES * sizeof(float));
	memset(s, 0, sizeof(*s));
	s->f = f;
	s->ngrams = 1;
}

/* Derived features, computed once all texts are scanned. */
static void
scan_finish(struct scan *s)
{
	float *f = s->f;

	f[F_LETTERS] = (float)s->letters;
	f[F_UPPER] = (float)s->upper;
	f[F_DIGITS] = (float)s->digits;
	f[F_SPACES] = (float)s->spaces;
	f[F_PUNCT] = (float)s->punct_total;
	f[F_WORDS] = (float)s->w.words;
	f[F_DISTINCT] = (float)s->w.distinct;
	f[F_NUMBERS] = (float)s->w.numbers;
	f[F_LONGWORDS] = (float)s->w.longwords;
	f[F_MAXWORD] = (float)s->w.maxword;
	f[F_TOKENS] = (float)((s->w.tok2 + 1) / 2);
	f[F_AVGWORD] = f[F_WORDS] > 0 ? f[F_LETTERS] / f[F_WORDS] : 0;
	f[F_UPPER_RATIO] = f[F_LETTERS] > 0 ? f[F_UPPER] / f[F_LETTERS] : 0;
	f[F_DIGIT_RATIO] = f[F_CHARS] > 0 ? f[F_DIGITS] / f[F_CHARS] : 0;
	f[F_PUNCT_RATIO] = f[F_CHARS] > 0 ? f[F_PUNCT] / f[F_CHARS] : 0;
	f[F_DISTINCT_RATIO] = f[F_WORDS] > 0 ? f[F_DISTINCT] / f[F_WORDS] : 0;
	f[F_NONASCII_RATIO] = f[F_CHARS] > 0 ? f[F_NONASCII] / f[F_CHARS] : 0;
}

/* ---- public entry points -------------------------------------------------- */

size_t
pred_estimate_tokens(const char *text, size_t len)
{
	float f[PRED_NFEATURES];
	struct scan s;

	if (text == NULL || len == 0)
		return 0;
	scan_init(&s, f);
	scan_text(&s, (const unsigned char *)text, len);
	return (s.w.tok2 + 1) / 2;
}

void
pred_features_prompt(const char *prompt, size_t len, const char *const *turns,
    size_t nturns, float out[PRED_NFEATURES])
{
	struct scan s;
	size_t i, n, tok;

	scan_init(&s, out);
	for (i = 0; i < nturns; i++) {
		if (turns[i] == NULL)
			continue;
		n = strlen(turns[i]);
		scan_text(&s, (const unsigned char *)turns[i], n);
		out[F_CHARS] += (float)n;
		out[F_USER_TURNS] += 1.0f;
	}
	if (prompt == NULL)
		len = 0;
	tok = s.w.tok2;
	if (len > 0)
		scan_text(&s, (const unsigned char *)prompt, len);
	out[F_CHARS] += (float)len;
	out[F_USER_TURNS] += 1.0f;
	/* Earlier turns are user turns, each answered by the assistant. */
	out[F_MESSAGES] = 2.0f * out[F_USER_TURNS] - 1.0f;
	out[F_LAST_CHARS] = (float)len;
	out[F_LAST_TOKENS] = (float)((s.w.tok2 - tok + 1) / 2);
	scan_finish(&s);
}

/* ---- Converse requests ------------------------------------------------------ */

/* Count a non-text content block by its (single) key. */
static void
count_block(float *f, const char *key)
{
	if (strcmp(key, "image") == 0)
		f[F_IMAGES] += 1.0f;
	else if (strcmp(key, "document") == 0)
		f[F_DOCUMENTS] += 1.0f;
	else if (strcmp(key, "toolUse") == 0 || strcmp(key, "toolResult") == 0)
		f[F_TOOL_BLOCKS] += 1.0f;
	else if (strcmp(key, "cachePoint") != 0)
		f[F_OTHER_BLOCKS] += 1.0f;
}

/* Scan or count the blocks of one content array.  `read` says whether text
 * feeds the scanner (system and user) or is only measured (assistant).
 * Returns the text bytes seen. */
static size_t
scan_blocks(struct scan *s, const json_t *content, int read)
{
	const json_t *blk, *t;
	const char *key;
	size_t i, n, total = 0;
	json_t *v;

	if (!json_is_array(content))
		return 0;
	json_array_foreach(content, i, blk) {
		if (!json_is_object(blk))
			continue;
		t = json_object_get(blk, "text");
		if (json_is_string(t)) {
			n = json_string_length(t);
			total += n;
			if (read)
				scan_text(s, (const unsigned char *)json_string_value(t), n);
			continue;
		}
		json_object_foreach((json_t *)blk, key, v)
			count_block(s->f, key);
	}
	return total;
}

static void
scan_messages(struct scan *s, const json_t *msgs)
{
	const json_t *m, *role;
	size_t i, n, last = 0, tok = 0;
	int user;

	if (!json_is_array(msgs))
		return;
	json_array_foreach(msgs, i, m) {
		if (!json_is_object(m))
			continue;
		role = json_object_get(m, "role");
		user = !json_is_string(role) || strcmp(json_string_value(role), "assistant") != 0;
		s->f[F_MESSAGES] += 1.0f;
		if (!user) {
			s->f[F_ASSISTANT_CHARS] += (float)scan_blocks(s, json_object_get(m, "content"), 0);
			continue;
		}
		s->f[F_USER_TURNS] += 1.0f;
		tok = s->w.tok2;
		n = scan_blocks(s, json_object_get(m, "content"), 1);
		s->f[F_CHARS] += (float)n;
		last = n;
		tok = s->w.tok2 - tok;
	}
	s->f[F_LAST_CHARS] = (float)last;
	s->f[F_LAST_TOKENS] = (float)((tok + 1) / 2);
}

_Static_assert(F_DENSE_END == PRED_NDENSE, "pred.h's PRED_NDENSE is the dense count");

int
pred_features_converse(const json_t *req, float out[PRED_NFEATURES])
{
	return pred_features_converse_for(req, out, PRED_NFEATURES);
}

int
pred_features_converse_for(const json_t *req, float out[PRED_NFEATURES], size_t used)
{
	const json_t *tc, *tools;
	struct scan s;
	size_t n;

	scan_init(&s, out);
	s.ngrams = used > PRED_NDENSE;
	if (!json_is_object(req))
		return -1;
	n = scan_blocks(&s, json_object_get(req, "system"), 1);
	out[F_SYSTEM_CHARS] = (float)n;
	out[F_CHARS] += (float)n;
	scan_messages(&s, json_object_get(req, "messages"));
	tc = json_object_get(req, "toolConfig");
	tools = json_is_object(tc) ? json_object_get(tc, "tools") : NULL;
	if (json_is_array(tools))
		out[F_TOOLS] = (float)json_array_size(tools);
	scan_finish(&s);
	return 0;
}
