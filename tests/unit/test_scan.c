/* SPDX-License-Identifier: MIT */
/*
 * test_scan.c - the one-pass scan of pattern.h ("Scanners"): its symbols
 * never tell apart two characters PCRE2 matches caselessly (checked over
 * every code point), and a pattern of a scanner matches exactly what it
 * matches alone, at the same span, on texts made to trip the scan
 * (blanks, apostrophes, hyphens, case beyond ASCII, word boundaries,
 * invalid UTF-8); and a piece of a text that the scan of the whole
 * text rules out is one the pattern does not match alone.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "gravity/buf.h"
#include "gravity/pattern.h"
#include "scan.h"

#include "testlib.h"

static size_t
put_utf8(char *o, uint32_t c)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xc0 | (c >> 6));
		o[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xe0 | (c >> 12));
		o[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (c >> 18));
	o[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	o[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

static uint32_t
get_utf8(const unsigned char *s)
{
	if (s[0] < 0x80)
		return s[0];
	if (s[0] < 0xe0)
		return ((uint32_t)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
	if (s[0] < 0xf0)
		return ((uint32_t)(s[0] & 0x0f) << 12) |
		       ((uint32_t)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
	return ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3f) << 12) |
	       ((uint32_t)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
}

/* Every character pat (caseless, Unicode) matches in the text of all code
 * points has the symbol want; returns how many it matched. */
static size_t
all_match_sym(const char *all, size_t n, const char *pat, unsigned want)
{
	int err;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
	                               PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS,
	                               &err, &off, NULL);
	pcre2_match_data *md;
	size_t at = 0, hits = 0;

	assert_non_null(re);
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	md = pcre2_match_data_create(1, NULL);
	while (at < n && pcre2_match(re, (PCRE2_SPTR)all, n, at, 0, md,
	                             NULL) >= 0) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		uint32_t c = get_utf8((const unsigned char *)all + ov[0]);

		if (gr_scan_symbol(c) != want) {
			print_error("/%s/i matches U+%04X, symbol %u, not %u\n",
			            pat, (unsigned)c, gr_scan_symbol(c), want);
			fail();
		}
		hits++;
		at = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
	}
	pcre2_match_data_free(md);
	pcre2_code_free(re);
	return hits;
}

/* Two characters PCRE2 matches caselessly have one symbol; \s matches
 * blanks only: so a string of symbols found in no text cannot hide a
 * match.  Over every code point. */
static void
test_symbols_sound(void **state)
{
	char *all = malloc(0x110000 * 4), pat[64 * 1024];
	size_t n = 0;

	(void)state;
	assert_non_null(all);
	for (uint32_t c = 1; c < 0x110000; c++)
		if (c < 0xd800 || c > 0xdfff)
			n += put_utf8(all + n, c);
	/* every symbol but "any other character": the class of all the
	 * characters with it matches only characters with it */
	for (unsigned sym = 1; sym < 0x100; sym++) {
		size_t k = 0, members = 0;

		if (sym == 0x80 || sym == ' ')
			continue;
		k += (size_t)snprintf(pat + k, sizeof pat - k, "[");
		for (uint32_t c = 1; c < 0x110000; c++) {
			if ((c >= 0xd800 && c <= 0xdfff) ||
			    gr_scan_symbol(c) != sym)
				continue;
			k += (size_t)snprintf(pat + k, sizeof pat - k,
			                      "\\x{%x}", (unsigned)c);
			members++;
			assert_true(k < sizeof pat - 16);
		}
		if (!members)
			continue;
		snprintf(pat + k, sizeof pat - k, "]");
		assert_true(all_match_sym(all, n, pat, sym) >= members);
	}
	assert_true(all_match_sym(all, n, "\\s", ' ') >= 25);
	free(all);
}

/* What p matches in s through the scanner, against q (the same pattern,
 * in no scanner) alone. */
static void
same_match(const gr_pattern *p, const gr_pattern *q, gr_matcher *mm,
           const char *pat, const char *s)
{
	size_t a0 = 0, a1 = 0, b0 = 0, b1 = 0;
	int a = gr_pattern_match(p, s, mm, &a0, &a1);
	int b = gr_pattern_match(q, s, NULL, &b0, &b1);

	if (a != b || (a && (a0 != b0 || a1 != b1))) {
		print_error("/%s/ on \"%s\": scan %d [%zu,%zu), alone %d "
		            "[%zu,%zu)\n", pat, s, a, a0, a1, b, b0, b1);
		fail();
	}
}

/* Pieces of s, blank-edged ones (a sentence's) and any: where the scan
 * of the whole of s rules the piece out for p, q alone must not match
 * it.  Adds the pieces ruled out to *out. */
static void
same_pieces(const gr_pattern *p, const gr_pattern *q, gr_matcher *mm,
            const char *pat, const char *s, size_t *out)
{
	size_t len = strlen(s);

	for (int k = 0; k < 60; k++) {
		size_t a = len ? (size_t)rand() % (len + 1) : 0, n, e;
		char *t;

		if (k % 2)
			while (a > 0 && s[a - 1] != ' ' && s[a - 1] != '\n')
				a--;
		e = a + (len > a ? (size_t)rand() % (len - a + 1) : 0);
		if (k % 4 < 2)
			while (e < len && s[e] != ' ' && s[e] != '\n')
				e++;
		n = e - a;
		if (gr_pattern_may_match_in(p, s, len, a, n, mm))
			continue;
		(*out)++;
		t = strndup(s + a, n);
		assert_non_null(t);
		if (gr_pattern_match(q, t, NULL, NULL, NULL)) {
			print_error("/%s/ matches \"%s\", piece [%zu,%zu) of "
			            "\"%s\", ruled out by the scan\n", pat, t, a,
			            e, s);
			fail();
		}
		free(t);
	}
}

static const char *const phrases[] = {
	"can you", "could you help", "follow-up", "e-mail", "I'd like to",
	"we're looking for", "straße", "café", "¿", "quanto custa",
	"Kapazität", "a quote", "who's", "long shot", "ß", "ok",
	NULL
};

static const char *const regexes[] = {
	"\\b(?:we|I)\\s+(?:help|work with)\\b[^.?!]{0,20}\\b(?:teams|firms)\\b",
	"\\b\\d{1,2}[- ]?min(?:ute)?s?\\s+(?:call|chat)\\b",
	"\\b\\w+,\\s+meet\\s+\\p{Lu}",
	"calendly\\.com/",
	"(?<!\\w)(?:kelvin|sun)(?!\\w)",
	"^\\W*(?:re:\\s*)?(?:thanks|danke)\\b",
	"\\bhat (?:Sie|dich)\\b[^.?!]{0,30}\\bempfohlen\\b",
	"[oa]ffer(?:s|ed)?",
	"x(?=yz)yz|abc",
	"(a|bc)+d",
	NULL
};

static const char *const texts[] = {
	"Can  you\thelp? could\xc2\xa0you help us", "scan you", "CAN YOU",
	"follow up, followup, follow-up, follow  up", "EMAIL e mail E-Mail",
	"I\xe2\x80\x99" "d like to, I'd  like to", "we\xe2\x80\x98re looking for",
	"STRASSE stra\xc3\x9f" "e STRA\xe1\xba\x9e" "E", "CAF\xc3\x89 cafe caf\xc3\xa9s",
	"\xc2\xbfQu\xc3\xa9?", "Quanto custa?", "KAPAZIT\xc3\x84T", "a quote.",
	"who\xe2\x80\x99s there", "a long shot", "\xe1\xba\x9e", "OK ok Ok",
	"\xe2\x84\xaa" "elvin \xe2\x84\xaa" "ELVIN", "\xc5\xbf" "un and sun",
	"we  help   small teams", "I help, firms", "a 15-minute call", "15 min chat",
	"Anna, meet Bob", "anna,meet bob", "book at calendly.com/x",
	">> Re: thanks!", "Hat Sie uns empfohlen", "offers and affered",
	"xyz abc xyzabc", "bcbcad aad", "bad \xff\xfe utf-8 can you \xc3",
	"can\xe2\x80\x8byou", "", " ", "can", "you can you can you",
	NULL
};

/* The scan of s (len bytes) made by going on from the scan of its first
 * plen bytes is the scan of the whole (when it can be gone on from);
 * returns 1 if it could. */
static int
same_resumed(const gr_scanner *sc, const char *s, size_t len, size_t plen)
{
	gr_scan_out whole = { 0 }, part = { 0 }, on = { 0 };
	char *pre = strndup(s, plen);
	size_t slots = gr_scanner_slots(sc);
	int done = 0;

	assert_non_null(pre);
	assert_int_equal(gr_scan_run(sc, s, len, &whole), GR_OK);
	assert_int_equal(gr_scan_run(sc, pre, plen, &part), GR_OK);
	free(pre);
	assert_int_equal(gr_scan_resume(sc, &part, s, len, &on, &done),
	                 GR_OK);
	if (done) {
		assert_int_equal(on.nhits, whole.nhits);
		assert_int_equal(on.nraw[0], whole.nraw[0]);
		assert_int_equal(on.nraw[1], whole.nraw[1]);
		assert_int_equal(on.overflow, whole.overflow);
		assert_int_equal(on.foverflow, whole.foverflow);
		assert_memory_equal(on.hits, whole.hits,
		                    whole.nhits * sizeof *whole.hits);
		assert_memory_equal(on.hbeg, whole.hbeg,
		                    (2 * slots + 1) * sizeof *whole.hbeg);
		assert_memory_equal(on.first, whole.first,
		                    slots * sizeof *whole.first);
		assert_memory_equal(on.seen, whole.seen, slots);
		assert_int_equal(on.resumable, whole.resumable);
	}
	gr_scan_out_free(&whole);
	gr_scan_out_free(&part);
	gr_scan_out_free(&on);
	return done;
}

static void
test_scan_same_as_alone(void **state)
{
	gr_scanner *sc = gr_scanner_new();
	gr_pattern *p[64], *q[64];
	const char *src[64];
	gr_matcher *mm = gr_matcher_new();
	gr_strv all = { 0 };
	size_t n = 0, ntexts = 0, ruled = 0, resumed = 0;

	(void)state;
	for (size_t i = 0; phrases[i]; i++) {
		char *s = gr_phrase_pattern(phrases[i]);

		src[n] = phrases[i];
		p[n] = gr_pattern_compile(NULL, "t", 1, 1, s, "");
		q[n] = gr_pattern_compile(NULL, "t", 1, 1, s, "");
		free(s);
		n++;
		gr_strv_push(&all, phrases[i]);
	}
	{
		char *u = gr_phrase_union(&all);

		src[n] = "(the list as one trie)";
		p[n] = gr_pattern_compile(NULL, "t", 1, 1, u, "");
		q[n] = gr_pattern_compile(NULL, "t", 1, 1, u, "");
		free(u);
		n++;
	}
	for (size_t i = 0; regexes[i]; i++) {
		src[n] = regexes[i];
		p[n] = gr_pattern_compile(NULL, "t", 1, 1, regexes[i], "");
		q[n] = gr_pattern_compile(NULL, "t", 1, 1, regexes[i], "");
		n++;
	}
	for (size_t i = 0; i < n; i++) {
		assert_non_null(p[i]);
		assert_non_null(q[i]);
		assert_int_equal(gr_scanner_add(sc, p[i]), 0);
		assert_int_equal(gr_scanner_add(sc, p[i]), -1);
	}
	assert_int_equal(gr_scanner_build(sc), GR_OK);
	for (size_t t = 0; texts[t]; t++) {
		for (size_t i = 0; i < n; i++)
			same_match(p[i], q[i], mm, src[i], texts[t]);
		/* and again, the scan kept */
		for (size_t i = n; i-- > 0;)
			same_match(p[i], q[i], mm, src[i], texts[t]);
	}
	/* random texts from the same pieces */
	while (texts[ntexts])
		ntexts++;
	srand(7);
	for (int round = 0; round < 400; round++) {
		gr_buf b;

		gr_buf_init(&b, 1u << 16);
		for (int k = rand() % 12; k >= 0; k--) {
			const char *t = texts[(size_t)rand() % ntexts];
			size_t len = strlen(t), from = len ? (size_t)rand() % len : 0;

			gr_buf_add(&b, t + from, len - from);
			gr_buf_addstr(&b, rand() % 3 ? " " : "\n");
		}
		for (size_t i = 0; i < n && b.data; i++) {
			same_match(p[i], q[i], mm, src[i], b.data);
			same_pieces(p[i], q[i], mm, src[i], b.data, &ruled);
		}
		/* the scan of a beginning of it, gone on from: at every
		 * byte (some inside a character, some inside a blank run
		 * or at a word's edge) */
		for (size_t k = 1; b.data && k < b.len; k++)
			resumed += same_resumed(sc, b.data, b.len, k);
		/* the matcher goes on from the kept scan of b's beginning */
		if (b.data) {
			gr_buf_addstr(&b, texts[(size_t)rand() % ntexts]);
			for (size_t i = 0; i < n; i++)
				same_match(p[i], q[i], mm, src[i], b.data);
		}
		gr_buf_free(&b);
	}
	/* the scan does rule pieces out (else it saves nothing), and is
	 * gone on from */
	assert_true(ruled > 1000);
	assert_true(resumed > 1000);
	for (size_t i = 0; i < n; i++) {
		gr_pattern_free(p[i]);
		gr_pattern_free(q[i]);
	}
	gr_strv_free(&all);
	gr_matcher_free(mm);
	gr_scanner_free(sc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symbols_sound),
		cmocka_unit_test(test_scan_same_as_alone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
