/*
 * features.c - the prompt feature vector (documented in FEATURES.md).
 *
 * One scanner walks every text once, byte by byte, driven by a 256-entry
 * class table; it never allocates and never reads past `len`, so NUL bytes,
 * invalid UTF-8 and megabyte prompts are just more bytes.  Training
 * (pred_features_prompt) and serving (pred_features_converse) feed the same
 * scanner, so the model sees identical features in both.
 */
#include "autoconf.h"

#include <pthread.h>
#include <string.h>

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
#define MAXKW	12	/* longest keyword, bytes */
#define SEEN_BITS 1024	/* distinct-word bitmap */

static uint8_t	ctab[256];
static uint8_t	ntab[256];	/* byte → lowercase, digits as '0', spaces as ' ' */

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

/* Open-addressing table of keyword hashes; slot value = index+1. */
#define KWTAB	512
static uint16_t	kwtab[KWTAB];
#define KWBLOOM_BITS	12	/* 1 in ~27 other words pays a keyword probe */
static uint8_t	kwbloom[1 << KWBLOOM_BITS];
static uint8_t	kwlen[sizeof(keywords) / sizeof(keywords[0])];
static uint32_t	h_step, h_by, h_limits[6];
/* Per byte, packed counter increments (see init_packed, count_bytes). */
static uint64_t	pk0[256], pk1[256];
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* Word hashing: a cheap rolling step per byte (short dependency chain),
 * mixed once at the end of the word. */
static inline uint32_t
wstep(uint32_t h, uint8_t n)
{
	return ((h << 5) | (h >> 27)) ^ n;
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
		else if (ctab[c] & C_SPACE)
			ntab[c] = ' ';
	}
	for (c = 0; "+-*/=^<>%"[c]; c++)
		ctab[(uint8_t)"+-*/=^<>%"[c]] |= C_MATH;
}

/* Four 16-bit counter lanes per table: pk0 counts letters, upper case,
 * digits, spaces; pk1 punctuation, math symbols, brackets, "$" and "\". */
static void
init_packed(void)
{
	int c;

	for (c = 0; c < 256; c++) {
		pk0[c] = (uint64_t)!!(ctab[c] & C_ALPHA) |
		    (uint64_t)!!(ctab[c] & C_UPPER) << 16 |
		    (uint64_t)!!(ctab[c] & C_DIGIT) << 32 |
		    (uint64_t)!!(ctab[c] & C_SPACE) << 48;
		pk1[c] = (uint64_t)!!(ctab[c] & C_PUNCT) |
		    (uint64_t)!!(ctab[c] & C_MATH) << 16 |
		    (uint64_t)(c == '(' || c == ')' || c == '[' || c == ']' ||
		    c == '{' || c == '}') << 32 |
		    (uint64_t)(c == '$' || c == '\\') << 48;
	}
}

static uint32_t
whash(const char *w)
{
	uint32_t h = 0;

	while (*w)
		h = wstep(h, ntab[(uint8_t)*w++]);
	return wmix(h);
}

static void
init_tables(void)
{
	static const char *limits[6] = { "words", "sentences", "paragraphs",
	    "lines", "characters", "points" };
	size_t i, j;

	init_ctab();
	init_packed();
	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
		kwlen[i] = (uint8_t)strlen(keywords[i].word);
		kwbloom[whash(keywords[i].word) >> (32 - KWBLOOM_BITS)] = 1;
		j = whash(keywords[i].word) & (KWTAB - 1);
		while (kwtab[j] != 0)
			j = (j + 1) & (KWTAB - 1);
		kwtab[j] = (uint16_t)(i + 1);
	}
	h_step = whash("step");
	h_by = whash("by");
	for (i = 0; i < 6; i++)
		h_limits[i] = whash(limits[i]);
}

/* ---- the scanner ---------------------------------------------------------- */

/* State carried across the texts of one request; features go to f. */
struct scan {
	float		*f;
	uint32_t	 prev_wh, prev2_wh;	/* last two words' hashes, 0 = none */
	int		 prev_num;		/* the previous word was a number */
	size_t		 tok2;			/* token estimate, in half tokens */
	uint32_t	 words, distinct, numbers, longwords, maxword;
	uint32_t	 tri[1 << F_CHAR3_BITS];	/* char trigram counts */
	uint8_t		 seen[SEEN_BITS / 8];	/* distinct-word bitmap */
};

/* Pass 1, branch-free per byte: character trigrams and byte-class counts.
 * The 16-bit packed lanes are flushed every 65535 bytes. */
static void
count_bytes(struct scan *s, const unsigned char *p, size_t len)
{
	uint32_t *tri = s->tri;
	uint64_t a0, a1;
	uint32_t n0, n1 = ' ', n2 = ' ';
	size_t i, n;

	while (len > 0) {
		n = len < 65535 ? len : 65535;
		a0 = a1 = 0;
		for (i = 0; i < n; i++) {
			n0 = ntab[p[i]];
			tri[(((n2 << 16) | (n1 << 8) | n0) * 0x9E3779B1u) >> (32 - F_CHAR3_BITS)]++;
			n2 = n1;
			n1 = n0;
			a0 += pk0[p[i]];
			a1 += pk1[p[i]];
		}
		s->f[F_LETTERS] += (float)(a0 & 0xffff);
		s->f[F_UPPER] += (float)((a0 >> 16) & 0xffff);
		s->f[F_DIGITS] += (float)((a0 >> 32) & 0xffff);
		s->f[F_SPACES] += (float)((a0 >> 48) & 0xffff);
		s->f[F_PUNCT] += (float)(a1 & 0xffff);
		s->f[F_MATHSYM] += (float)((a1 >> 16) & 0xffff);
		s->f[F_BRACKETS] += (float)((a1 >> 32) & 0xffff);
		s->f[F_LATEX] += (float)((a1 >> 48) & 0xffff);
		p += n;
		len -= n;
	}
}

static void
keyword(struct scan *s, const unsigned char *w, size_t len, uint32_t h)
{
	uint32_t j = h & (KWTAB - 1);
	size_t i, k;

	while (kwtab[j] != 0) {
		k = kwtab[j] - 1;
		if (kwlen[k] == len) {
			for (i = 0; i < len && ntab[w[i]] == (uint8_t)keywords[k].word[i]; i++)
				;
			if (i == len) {
				s->f[keywords[k].feat] += 1.0f;
				return;
			}
		}
		j = (j + 1) & (KWTAB - 1);
	}
}

static int
is_limit_word(uint32_t h)
{
	int i;

	for (i = 0; i < 6; i++)
		if (h_limits[i] == h)
			return 1;
	return 0;
}

/* One finished word [w, w+len) with `digits` ASCII digits, `high` bytes
 * >= 0x80 and mixed hash h: unigram/bigram buckets, keywords, phrases. */
static void
end_word(struct scan *s, const unsigned char *w, size_t len, size_t digits,
    size_t high, uint32_t h)
{
	size_t alpha = len - digits - high;
	uint32_t bit, bg;

	s->words++;
	if (len > s->maxword)
		s->maxword = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
	s->longwords += len >= 12;
	s->numbers += digits > 0;
	s->tok2 += (alpha ? 2 * (1 + alpha / 8) : 0) + 2 * ((digits + 2) / 3);
	s->f[F_WORD1 + (h >> (32 - F_WORD1_BITS))] += 1.0f;
	if (s->prev_wh != 0) {
		bg = wmix(s->prev_wh * 0x85EBCA77u + h);
		s->f[F_WORD2 + (bg >> (32 - F_WORD2_BITS))] += 1.0f;
	}
	bit = h & (SEEN_BITS - 1);
	s->distinct += !(s->seen[bit >> 3] & (1u << (bit & 7)));
	s->seen[bit >> 3] |= (uint8_t)(1u << (bit & 7));
	if (kwbloom[h >> (32 - KWBLOOM_BITS)] && digits == 0 && high == 0 && len <= MAXKW)
		keyword(s, w, len, h);
	if (h == h_step && s->prev_wh == h_by && s->prev2_wh == h_step)
		s->f[F_STEPBYSTEP] += 1.0f;
	if (s->prev_num && is_limit_word(h))
		s->f[F_WORDLIMIT] += 1.0f;
	s->prev_num = digits == len;
	s->prev2_wh = s->prev_wh;
	s->prev_wh = h;
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
	s->tok2 += n >= 3 ? 2 : 1;
	return n;
bad:
	s->f[F_INVALID_UTF8] += 1.0f;
	s->f[F_NONASCII] += 1.0f;
	s->tok2 += 2;
	return 1;
}

/* Scan the word starting at p; return the first byte after it. */
static const unsigned char *
scan_word(struct scan *s, const unsigned char *p, const unsigned char *end)
{
	const unsigned char *w = p;
	size_t digits = 0, high = 0, n;
	uint32_t h = 0;
	uint8_t cl;

	while (p < end && ((cl = ctab[*p]) & WORDCH)) {
		if (cl & C_HIGH) {
			n = utf8(s, p, end);
			high += n;
			for (; n > 0; n--, p++)
				h = wstep(h, *p);
			continue;
		}
		h = wstep(h, ntab[*p]);
		digits += (cl >> 2) & 1;
		p++;
	}
	end_word(s, w, (size_t)(p - w), digits, high, wmix(h));
	return p;
}

/* Punctuation at p: tokens, sentence ends, URLs, backtick runs.  Returns
 * the first byte not consumed. */
static const unsigned char *
scan_punct(struct scan *s, const unsigned char *p, const unsigned char *end)
{
	const unsigned char *q;

	s->tok2 += 2;
	switch (*p) {
	case '?':
		s->f[F_QMARKS] += 1.0f;
		/* FALLTHROUGH */
	case '.': case '!':
		if (p + 1 == end || (ctab[p[1]] & C_SPACE))
			s->f[F_SENTENCES] += 1.0f;
		break;
	case '"':
		s->f[F_QUOTES] += 1.0f;
		break;
	case ':':
		if (end - p > 2 && p[1] == '/' && p[2] == '/')
			s->f[F_URLS] += 1.0f;
		break;
	case '`':
		for (q = p; q < end && *q == '`'; q++)
			;
		s->f[q - p >= 3 ? F_CODE_FENCES : F_INLINE_CODE] += 1.0f;
		s->tok2 += 2 * (size_t)(q - p - 1);
		return q;
	}
	return p + 1;
}

/* Scan one text: pass 1 counts bytes, pass 2 walks words, punctuation and
 * lines.  Word boundaries reset at the start of every text. */
static void
scan_text(struct scan *s, const unsigned char *p, size_t len)
{
	const unsigned char *end = p + len, *line = p;
	uint8_t cl;

	count_bytes(s, p, len);
	s->prev_wh = s->prev2_wh = 0;
	s->prev_num = 0;
	while (p < end) {
		cl = ctab[*p];
		if (cl & WORDCH) {
			p = scan_word(s, p, end);
		} else if (cl & C_NL) {
			s->f[F_LINES] += 1.0f;
			end_line(s, line, p);
			line = ++p;
		} else if (cl & C_PUNCT) {
			p = scan_punct(s, p, end);
		} else {
			p++;
		}
	}
	end_line(s, line, end);
	s->f[F_LINES] += 1.0f;
}

static void
scan_init(struct scan *s, float *f)
{
	pthread_once(&init_once, init_tables);
	memset(f, 0, PRED_NFEATURES * sizeof(float));
	memset(s, 0, sizeof(*s));
	s->f = f;
}

/* Derived features, computed once all texts are scanned. */
static void
scan_finish(struct scan *s)
{
	float *f = s->f;
	size_t i;

	for (i = 0; i < (1 << F_CHAR3_BITS); i++)
		f[F_CHAR3 + i] = (float)s->tri[i];
	f[F_WORDS] = (float)s->words;
	f[F_DISTINCT] = (float)s->distinct;
	f[F_NUMBERS] = (float)s->numbers;
	f[F_LONGWORDS] = (float)s->longwords;
	f[F_MAXWORD] = (float)s->maxword;
	f[F_TOKENS] = (float)((s->tok2 + 1) / 2);
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
	return (s.tok2 + 1) / 2;
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
	tok = s.tok2;
	if (len > 0)
		scan_text(&s, (const unsigned char *)prompt, len);
	out[F_CHARS] += (float)len;
	out[F_USER_TURNS] += 1.0f;
	/* Earlier turns are user turns, each answered by the assistant. */
	out[F_MESSAGES] = 2.0f * out[F_USER_TURNS] - 1.0f;
	out[F_LAST_CHARS] = (float)len;
	out[F_LAST_TOKENS] = (float)((s.tok2 - tok + 1) / 2);
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
		tok = s->tok2;
		n = scan_blocks(s, json_object_get(m, "content"), 1);
		s->f[F_CHARS] += (float)n;
		last = n;
		tok = s->tok2 - tok;
	}
	s->f[F_LAST_CHARS] = (float)last;
	s->f[F_LAST_TOKENS] = (float)((tok + 1) / 2);
}

int
pred_features_converse(const json_t *req, float out[PRED_NFEATURES])
{
	const json_t *tc, *tools;
	struct scan s;
	size_t n;

	scan_init(&s, out);
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
