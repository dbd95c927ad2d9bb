/* SPDX-License-Identifier: MIT */
/*
 * lang.h - which of six languages a message is written in (English,
 * Spanish, Portuguese, French, German, Italian), and whether it is written
 * formally (usted, Sie, vous, Lei, "Dear Ms. ...").
 *
 * A scorer over the function words of each language (articles, pronouns,
 * prepositions, greetings and closings) plus a few letters only one of them
 * uses (ñ and ¿ in Spanish, ã/õ and -ção in Portuguese, ß in German): a
 * paragraph of mail carries dozens of those words, so the counts separate
 * the six languages cleanly, with no model files to install.  A text too
 * short or too mixed to tell is GR_LANG_UNKNOWN: the caller keeps its
 * default then.
 *
 * A leaf: it knows nothing of messages or rules.
 */
#ifndef GRAVITY_LANG_H
#define GRAVITY_LANG_H

#include <stddef.h>

typedef enum gr_lang {
	GR_LANG_UNKNOWN = 0,
	GR_LANG_EN,
	GR_LANG_ES,
	GR_LANG_PT,
	GR_LANG_FR,
	GR_LANG_DE,
	GR_LANG_IT,
	GR_LANG_COUNT
} gr_lang;

/* "en", "es", "pt", "fr", "de", "it"; "" for GR_LANG_UNKNOWN. */
const char *gr_lang_code(gr_lang l);
/* The language of a two-letter code (any case), or GR_LANG_UNKNOWN. */
gr_lang gr_lang_from_code(const char *code);

/* The language of text (UTF-8), or GR_LANG_UNKNOWN when fewer than a few
 * words of any language are found or two languages come close.  Reads at
 * most the first 16 KiB. */
gr_lang gr_lang_detect(const char *text);

/* Per-language word counts of the last call, for tests and explain. */
void gr_lang_scores(const char *text, int scores[GR_LANG_COUNT]);

/* 1 if text, written in l, is formal: the polite forms of address (usted,
 * Sie, vous, Lei, o senhor), titles ("Dear Ms. Torres", "Sra."), formal
 * greetings and closings outweigh the familiar ones.  German and French
 * mail is formal unless it is familiar; the others are familiar unless
 * formal. */
int gr_lang_formal(gr_lang l, const char *text);

/* Lowercase one UTF-8 word into out (ASCII and Latin-1 letters folded).
 * Returns the length written (at most outlen - 1). */
size_t gr_lang_fold(const char *s, size_t n, char *out, size_t outlen);

#endif
