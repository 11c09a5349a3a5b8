/*
 * pred_feat.h - private: the index of every feature in the vector.
 * FEATURES.md documents each one; changing anything here changes
 * PRED_SCHEMA_VERSION in pred.h.
 */
#ifndef TG_PRED_FEAT_H
#define TG_PRED_FEAT_H

#include <stdint.h>

enum pred_feature {
	F_CHARS = 0, F_TOKENS, F_WORDS, F_LINES, F_LINES_NONEMPTY,
	F_SENTENCES, F_AVGWORD, F_MAXWORD, F_LONGWORDS, F_DISTINCT,
	F_DISTINCT_RATIO,						/* 10 */
	F_MESSAGES, F_USER_TURNS, F_SYSTEM_CHARS, F_ASSISTANT_CHARS,
	F_LAST_CHARS, F_LAST_TOKENS,					/* 16 */
	F_IMAGES, F_DOCUMENTS, F_TOOLS, F_TOOL_BLOCKS, F_OTHER_BLOCKS,	/* 21 */
	F_QMARKS, F_QUESTION_LINES, F_CODE_FENCES, F_INLINE_CODE,
	F_CODE_LINES, F_LIST_LINES, F_OPTION_LINES, F_QUOTE_LINES,	/* 29 */
	F_DIGITS, F_NUMBERS, F_DIGIT_RATIO, F_MATHSYM, F_LATEX,
	F_STEPBYSTEP, F_WORDLIMIT,					/* 36 */
	F_LETTERS, F_UPPER, F_UPPER_RATIO, F_PUNCT, F_PUNCT_RATIO,
	F_SPACES, F_BRACKETS, F_QUOTES, F_URLS,				/* 45 */
	F_NONASCII, F_NONASCII_RATIO, F_INVALID_UTF8,			/* 48 */
	F_SCRIPT_LATINX, F_SCRIPT_GREEK, F_SCRIPT_CYRILLIC, F_SCRIPT_RTL,
	F_SCRIPT_INDIC, F_SCRIPT_CJK, F_SCRIPT_SYMBOL, F_SCRIPT_OTHER,	/* 56 */
	F_KW_WH, F_KW_REASON, F_KW_MATH, F_KW_CODE, F_KW_CREATIVE,
	F_KW_TRANSFORM, F_KW_FORMAT, F_KW_LIMIT, F_KW_NEG, F_KW_LOGIC,
	F_KW_PERSONAL,							/* 67 */
	F_DENSE_END,							/* 68 */
};

#define F_WORD1_BITS	8				/* hashed word unigrams */
#define F_WORD1		F_DENSE_END
#define F_WORD2_BITS	7				/* hashed word bigrams */
#define F_WORD2		(F_WORD1 + (1 << F_WORD1_BITS))
#define F_AFFIX_BITS	7		/* hashed word prefix/suffix trigrams */
#define F_AFFIX		(F_WORD2 + (1 << F_WORD2_BITS))
#define F_END		(F_AFFIX + (1 << F_AFFIX_BITS))	/* == PRED_NFEATURES */

/* The script feature index of a Unicode code point >= 0x80. */
static inline int
pred_script_feature(uint32_t cp)
{
	if (cp < 0x250 || (cp >= 0x1e00 && cp < 0x1f00))
		return F_SCRIPT_LATINX;
	if (cp >= 0x370 && cp < 0x400)
		return F_SCRIPT_GREEK;
	if (cp >= 0x400 && cp < 0x530)
		return F_SCRIPT_CYRILLIC;
	if (cp >= 0x590 && cp < 0x900)
		return F_SCRIPT_RTL;
	if (cp >= 0x900 && cp < 0xe00)
		return F_SCRIPT_INDIC;
	if ((cp >= 0x2e80 && cp < 0xa000) || (cp >= 0xac00 && cp < 0xd7b0) ||
	    (cp >= 0xf900 && cp < 0xfb00) || (cp >= 0xff00 && cp < 0xfff0) ||
	    (cp >= 0x20000 && cp < 0x30000))
		return F_SCRIPT_CJK;
	if ((cp >= 0x2000 && cp < 0x2c00) || (cp >= 0x1f000 && cp < 0x1fb00))
		return F_SCRIPT_SYMBOL;
	return F_SCRIPT_OTHER;
}

#endif
