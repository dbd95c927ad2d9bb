/* SPDX-License-Identifier: MIT */
/*
 * pattern.c - compile and match the patterns of pattern.h with PCRE2
 * (UTF-8, Unicode properties, caseless, invalid UTF-8 tolerated, JIT with
 * the interpreter as fallback, a match and a depth limit per match).  The
 * phrase-to-regex translation is in phrase.c, the one-pass scan of a text
 * for the literal words of many patterns in scan.c; here a pattern of a
 * scanner is matched only where that scan leaves room for a match.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "gravity/pattern.h"
#include "scan.h"

#define GR_PATTERN_MATCH_LIMIT  200000u
#define GR_PATTERN_DEPTH_LIMIT  10000u
#define GR_PATTERN_GROUPS       16
/* Texts whose scan a matcher keeps. */
#define GR_SCAN_CACHE           16

struct gr_pattern {
	pcre2_code *re;         /* owned */
	char *src, *flags;      /* its source (owned) */
	uint32_t opt;           /* its PCRE2 options */
	pcre2_code *are;        /* the same anchored, made when first needed:
	                         * JIT code runs unanchored patterns only, and
	                         * an anchored match at each place a scan names
	                         * needs it (owned; NULL: not made or failed) */
	int are_tried;
	const gr_scanner *sc;   /* the scanner it is in, or NULL */
	size_t slot;
};

/* The scan of one text by one scanner. */
typedef struct scan_ent {
	const gr_scanner *sc;           /* NULL: unused */
	const char *ptr;                /* the text as last passed */
	size_t len;
	unsigned long pin;              /* the pinned span of ptr, 0: none */
	char *copy;                     /* the text's bytes (owned) */
	size_t copycap;
	gr_scan_out out;                /* what the scan found (owned) */
	unsigned long used;
} scan_ent;

struct gr_matcher {
	pcre2_match_data *md;   /* owned */
	pcre2_match_context *mctx;      /* owned: the limits */
	unsigned long limits;           /* matches stopped by a limit */
	scan_ent *ents;         /* GR_SCAN_CACHE of them, made at the first
	                         * scan (owned): a matcher of patterns in no
	                         * scanner costs nothing for them */
	unsigned long tick;
	const scan_ent *last;           /* the scan returned last, or NULL */
	unsigned long pin, pins;        /* current pinned span, the last one */
	unsigned pin_depth;
	pcre2_match_data *md2;          /* the check mode's second match */
};

/* How patterns of a scanner are matched: through the scan (the default),
 * by PCRE2 alone over the whole text (old), or both, stopping the program
 * on any difference (check).  Tests choose with GRAVITY_TEST_MATCH. */
enum { MODE_SCAN, MODE_OLD, MODE_CHECK };

static int
match_mode(void)
{
#ifdef GR_TEST_HOOKS
	static int mode = -1;

	if (mode < 0) {
		const char *v = getenv("GRAVITY_TEST_MATCH");

		mode = v && strcmp(v, "old") == 0 ? MODE_OLD :
		       v && strcmp(v, "check") == 0 ? MODE_CHECK : MODE_SCAN;
	}
	return mode;
#else
	return MODE_SCAN;
#endif
}

/* PCRE2 options for flags, or 0 and a diagnostic for an unknown flag. */
static int
flag_options(gr_diags *d, const char *file, unsigned line, unsigned col,
             const char *flags, uint32_t *opt)
{
	*opt = PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS | PCRE2_MATCH_INVALID_UTF;
	for (const char *f = flags ? flags : ""; *f; f++) {
		switch (*f) {
		case 'i': break;
		case 'c': *opt &= ~(uint32_t)PCRE2_CASELESS; break;
		case 's': *opt |= PCRE2_DOTALL; break;
		case 'm': *opt |= PCRE2_MULTILINE; break;
		case 'x': *opt |= PCRE2_EXTENDED; break;
		default:
			gr_diag_add(d, file, line, col, "unknown regex flag '%c' "
			            "(i, c, s, m, x)", *f);
			return -1;
		}
	}
	return 0;
}

gr_pattern *
gr_pattern_compile(gr_diags *d, const char *file, unsigned line,
                   unsigned col, const char *pat, const char *flags)
{
	gr_pattern *p;
	uint32_t opt;
	int errcode;
	PCRE2_SIZE off;

	if (flag_options(d, file, line, col, flags, &opt) != 0)
		return NULL;
	if (!(p = calloc(1, sizeof *p)))
		return NULL;
	p->re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, opt,
	                      &errcode, &off, NULL);
	if (!p->re) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(errcode, msg, sizeof msg);
		gr_diag_add(d, file, line, col, "bad regex /%s/: %s at offset "
		            "%zu", pat, (const char *)msg, (size_t)off);
		free(p);
		return NULL;
	}
	/* JIT is an optimisation: without it (W^X policies) the
	 * interpreter runs the same pattern. */
	(void)pcre2_jit_compile(p->re, PCRE2_JIT_COMPLETE);
	p->src = gr_strdup(pat);
	p->flags = flags ? gr_strdup(flags) : NULL;
	p->opt = opt;
	return p;
}

gr_pattern *
gr_pattern_compile_at(gr_conf *c, gr_diags *d, unsigned col, const char *pat,
                      const char *flags)
{
	return gr_pattern_compile(d, gr_conf_path(c), gr_conf_lineno(c), col,
	                          pat, flags);
}

gr_pattern *
gr_pattern_phrase_at(gr_conf *c, gr_diags *d, unsigned col,
                     const char *phrase)
{
	char *pat = gr_phrase_pattern(phrase);
	gr_pattern *p;

	if (!pat)
		return NULL;
	p = gr_pattern_compile_at(c, d, col, pat, "");
	free(pat);
	return p;
}

void
gr_pattern_free(gr_pattern *p)
{
	if (!p)
		return;
	pcre2_code_free(p->re);
	pcre2_code_free(p->are);
	free(p->src);
	free(p->flags);
	free(p);
}

/* --- scanners ------------------------------------------------------------ */

int
gr_scanner_add(gr_scanner *sc, gr_pattern *p)
{
	long slot;

	if (!sc || !p || p->sc || !p->src)
		return -1;
	slot = gr_scanner_add_src(sc, gr_strdup(p->src),
	                          p->flags ? gr_strdup(p->flags) : NULL);
	if (slot < 0)
		return -1;
	p->sc = sc;
	p->slot = (size_t)slot;
	return 0;
}

void
gr_matcher_pin(gr_matcher *mm)
{
	if (mm && mm->pin_depth++ == 0)
		mm->pin = ++mm->pins;
}

void
gr_matcher_unpin(gr_matcher *mm)
{
	if (mm && mm->pin_depth > 0 && --mm->pin_depth == 0)
		mm->pin = 0;
}

unsigned long
gr_matcher_pause(gr_matcher *mm)
{
	unsigned long pin = mm ? mm->pin : 0;

	if (mm)
		mm->pin = 0;
	return pin;
}

void
gr_matcher_resume(gr_matcher *mm, unsigned long pin)
{
	if (mm)
		mm->pin = pin;
}

/* 1 if e holds the text at s as it is in the current pinned span. */
static int
pinned(const gr_matcher *mm, const scan_ent *e, const char *s)
{
	return mm->pin && e->pin == mm->pin && e->ptr == s;
}

/* Scan s (len bytes) by sc into e: going on from the kept scan of the
 * longest text s begins with (the new text of a message begins its
 * whole text), else from the start. */
static gr_status
scan_new(gr_matcher *mm, scan_ent *e, const gr_scanner *sc, const char *s,
         size_t len)
{
	const scan_ent *from = NULL;
	int done = 0;
	gr_status st;

	for (int i = 0; i < GR_SCAN_CACHE; i++) {
		const scan_ent *p = &mm->ents[i];

		if (p != e && p->sc == sc && p->len > 0 && p->len < len &&
		    p->out.resumable && p->out.scanned == p->len &&
		    (!from || p->len > from->len) &&
		    memcmp(p->copy, s, p->len) == 0)
			from = p;
	}
	if (from && (st = gr_scan_resume(sc, &from->out, s, len, &e->out,
	                                 &done)) != GR_OK)
		return st;
	return done ? GR_OK : gr_scan_run(sc, s, len, &e->out);
}

/* The scan of s (len bytes) by sc: kept from before when the same text
 * was scanned (the same pointer in the current pinned span, else the same
 * bytes), else made now.  NULL when out of memory. */
static const scan_ent *
scan_of(gr_matcher *mm, const gr_scanner *sc, const char *s, size_t len)
{
	scan_ent *e, *old;

	if (!mm->ents && !(mm->ents = calloc(GR_SCAN_CACHE, sizeof *mm->ents)))
		return NULL;
	/* the patterns of one list or rule ask for one text in turn */
	if (mm->last && mm->last->sc == sc && pinned(mm, mm->last, s) &&
	    mm->last->len == len) {
		e = (scan_ent *)mm->last;
		e->used = ++mm->tick;
		return e;
	}
	old = &mm->ents[0];
	for (int i = 0; i < GR_SCAN_CACHE; i++) {
		e = &mm->ents[i];
		if (e->sc == sc && e->len == len &&
		    (pinned(mm, e, s) || memcmp(e->copy, s, len) == 0)) {
			e->ptr = s;
			e->pin = mm->pin;
			e->used = ++mm->tick;
			mm->last = e;
			return e;
		}
		if (e->used < old->used)
			old = e;
	}
	e = old;
	e->sc = NULL;
	if (len + 1 > e->copycap) {
		char *c = realloc(e->copy, len + 1);

		if (!c)
			return NULL;
		e->copy = c;
		e->copycap = len + 1;
	}
	memcpy(e->copy, s, len);
	e->copy[len] = '\0';
	if (scan_new(mm, e, sc, s, len) != GR_OK)
		return NULL;
	e->sc = sc;
	e->ptr = s;
	e->len = len;
	e->pin = mm->pin;
	e->used = ++mm->tick;
	mm->last = e;
	return e;
}

gr_matcher *
gr_matcher_new(void)
{
	gr_matcher *mm = calloc(1, sizeof *mm);

	if (!mm)
		return NULL;
	mm->md = pcre2_match_data_create(GR_PATTERN_GROUPS, NULL);
	mm->mctx = pcre2_match_context_create(NULL);
	if (!mm->md || !mm->mctx) {
		gr_matcher_free(mm);
		return NULL;
	}
	pcre2_set_match_limit(mm->mctx, GR_PATTERN_MATCH_LIMIT);
	pcre2_set_depth_limit(mm->mctx, GR_PATTERN_DEPTH_LIMIT);
	return mm;
}

void
gr_matcher_free(gr_matcher *mm)
{
	if (!mm)
		return;
	pcre2_match_data_free(mm->md);
	pcre2_match_data_free(mm->md2);
	pcre2_match_context_free(mm->mctx);
	for (int i = 0; mm->ents && i < GR_SCAN_CACHE; i++) {
		free(mm->ents[i].copy);
		gr_scan_out_free(&mm->ents[i].out);
	}
	free(mm->ents);
	free(mm);
}

/* The check mode: the match of p over the whole of s by PCRE2 alone must
 * be the one just made (rc, from start or skipped); else say so and stop. */
static void
check_same(const gr_pattern *p, const char *s, size_t len, gr_matcher *mm,
           int rc, size_t start, int skip)
{
	PCRE2_SIZE *a, *b;
	int rc2;

	if (!mm->md2 &&
	    !(mm->md2 = pcre2_match_data_create(GR_PATTERN_GROUPS, NULL)))
		return;
	rc2 = pcre2_match(p->re, (PCRE2_SPTR)s, len, 0, 0, mm->md2, mm->mctx);
	if (rc2 == PCRE2_ERROR_MATCHLIMIT || rc2 == PCRE2_ERROR_DEPTHLIMIT ||
	    rc2 == PCRE2_ERROR_HEAPLIMIT)
		rc2 = PCRE2_ERROR_NOMATCH;
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	    rc == PCRE2_ERROR_HEAPLIMIT)
		rc = PCRE2_ERROR_NOMATCH;
	a = pcre2_get_ovector_pointer(mm->md);
	b = pcre2_get_ovector_pointer(mm->md2);
	if ((rc >= 0) == (rc2 >= 0) &&
	    (rc < 0 || (rc == rc2 && memcmp(a, b, 2 * (size_t)rc *
	                                    sizeof *a) == 0)))
		return;
	fprintf(stderr, "gravity: scan check: pattern slot %zu, %s from %zu: "
	        "rc %d [%zu,%zu) alone rc %d [%zu,%zu) in %zu bytes\n",
	        p->slot, skip ? "skipped" : "matched", start, rc,
	        rc >= 0 ? (size_t)a[0] : 0, rc >= 0 ? (size_t)a[1] : 0, rc2,
	        rc2 >= 0 ? (size_t)b[0] : 0, rc2 >= 0 ? (size_t)b[1] : 0, len);
	fprintf(stderr, "text: %.*s\n", (int)(len < 4000 ? len : 4000), s);
	abort();
}

/* p compiled anchored (and JIT compiled), or NULL: match p->re with
 * PCRE2_ANCHORED instead (the interpreter, slower, the same match). */
static const pcre2_code *
anchored(const gr_pattern *p)
{
	gr_pattern *w = (gr_pattern *)p;       /* one thread: see pattern.h */
	int errcode;
	PCRE2_SIZE off;

	if (!w->are_tried) {
		w->are_tried = 1;
		w->are = w->src ? pcre2_compile((PCRE2_SPTR)w->src,
		                                PCRE2_ZERO_TERMINATED,
		                                w->opt | PCRE2_ANCHORED, &errcode,
		                                &off, NULL) : NULL;
		if (w->are)
			(void)pcre2_jit_compile(w->are, PCRE2_JIT_COMPLETE);
	}
	return w->are;
}

/* gr_pattern_match, through the scan of p's scanner if use_scan. */
static int
match(const gr_pattern *p, const char *s, gr_matcher *mm, size_t *so,
      size_t *eo, int use_scan)
{
	gr_matcher *own = NULL;
	PCRE2_SIZE *ov;
	size_t len, start = 0;
	const scan_ent *e = NULL;
	int rc, skip = 0, mode = match_mode();

	if (!p || !s)
		return 0;
	if (!mm && !(mm = own = gr_matcher_new()))
		return 0;
	/* a pinned text does not change: its length is the one kept */
	len = mm->last && pinned(mm, mm->last, s) ? mm->last->len : strlen(s);
	/* the automaton is made when first needed: a command that matches
	 * nothing does not pay for it (gravity matches in one thread) */
	if (p->sc && !own && use_scan && mode != MODE_OLD &&
	    (gr_scanner_built(p->sc) ||
	     gr_scanner_build((gr_scanner *)p->sc) == GR_OK) &&
	    gr_scanner_slot_filtered(p->sc, p->slot))
		e = scan_of(mm, p->sc, s, len);
	if (!e) {
		rc = pcre2_match(p->re, (PCRE2_SPTR)s, len, 0, 0, mm->md,
		                 mm->mctx);
	} else if (gr_scanner_slot_has(p->sc, p->slot, 0) &&
	           !e->out.seen[p->slot]) {
		/* none of the strings every match holds */
		rc = PCRE2_ERROR_NOMATCH;
		skip = 1;
	} else if (!gr_scanner_slot_has(p->sc, p->slot, 1)) {
		rc = pcre2_match(p->re, (PCRE2_SPTR)s, len, 0, 0, mm->md,
		                 mm->mctx);
	} else if (e->out.first[p->slot] == (size_t)-1) {
		rc = PCRE2_ERROR_NOMATCH;
		skip = 1;
	} else if (e->out.overflow) {
		/* no match starts before the first prefix: PCRE2 from
		 * there finds what it would find from the start */
		start = e->out.first[p->slot];
		rc = pcre2_match(p->re, (PCRE2_SPTR)s, len, start, 0, mm->md,
		                 mm->mctx);
	} else {
		/* every match starts where a prefix does: the first of
		 * those places where PCRE2 matches, anchored there, is
		 * where and how it matches from the start */
		const gr_scan_out *o = &e->out;

		const pcre2_code *re = anchored(p);

		rc = PCRE2_ERROR_NOMATCH;
		for (size_t h = o->hbeg[p->slot]; h < o->hbeg[p->slot + 1] &&
		     rc == PCRE2_ERROR_NOMATCH; h++) {
			start = o->hits[h].at;
			rc = pcre2_match(re ? re : p->re, (PCRE2_SPTR)s, len,
			                 start, re ? 0 : PCRE2_ANCHORED, mm->md,
			                 mm->mctx);
		}
	}
	if (mode == MODE_CHECK && p->sc)
		check_same(p, s, len, mm, rc, start, skip);
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	    rc == PCRE2_ERROR_HEAPLIMIT)
		mm->limits++;
	if (rc >= 0 && so && eo) {
		ov = pcre2_get_ovector_pointer(mm->md);
		*so = ov[0];
		*eo = ov[1] >= ov[0] ? ov[1] : ov[0];
	}
	gr_matcher_free(own);
	return rc >= 0;
}

int
gr_pattern_match(const gr_pattern *p, const char *s, gr_matcher *mm,
                 size_t *so, size_t *eo)
{
	return match(p, s, mm, so, eo, 1);
}

/* The check mode: p must not match the piece s[a, a+n) that
 * gr_pattern_may_match_in ruled out; else say so and stop. */
static void
check_piece(const gr_pattern *p, const char *s, size_t a, size_t n,
            gr_matcher *mm)
{
	char *t = gr_strndup(s + a, n);
	unsigned long pin = gr_matcher_pause(mm);
	int hit = t && match(p, t, mm, NULL, NULL, 0);

	gr_matcher_resume(mm, pin);
	free(t);
	if (!hit)
		return;
	fprintf(stderr, "gravity: scan check: pattern slot %zu ruled out but "
	        "matches [%zu,%zu) of %zu bytes\n", p->slot, a, a + n,
	        strlen(s));
	fprintf(stderr, "text: %.*s\n", (int)(n < 4000 ? n : 4000), s + a);
	abort();
}

size_t
gr_pattern_first_may_match_in(const gr_pattern *const *ps, size_t np,
                              const char *s, size_t len, size_t a, size_t n,
                              gr_matcher *mm)
{
	const scan_ent *e = NULL;
	int mode = match_mode();

	for (size_t i = 0; i < np; i++) {
		const gr_pattern *p = ps[i];

		if (!p || !s || !mm || !p->sc || mode == MODE_OLD ||
		    !(gr_scanner_built(p->sc) ||
		      gr_scanner_build((gr_scanner *)p->sc) == GR_OK) ||
		    !gr_scanner_slot_filtered(p->sc, p->slot))
			return i;
		/* the patterns of a list share a scanner: one look-up */
		if ((!e || e->sc != p->sc || !pinned(mm, e, s)) &&
		    !(e = scan_of(mm, p->sc, s, len)))
			return i;
		if (gr_scan_piece_may(p->sc, &e->out, p->slot, s, len, a, n))
			return i;
		if (mode == MODE_CHECK) {
			check_piece(p, s, a, n, mm);
			e = NULL;       /* the check's matches may reuse it */
		}
	}
	return np;
}

int
gr_pattern_may_match_in(const gr_pattern *p, const char *s, size_t len,
                        size_t a, size_t n, gr_matcher *mm)
{
	return gr_pattern_first_may_match_in(&p, 1, s, len, a, n, mm) == 0;
}

unsigned long
gr_matcher_limits(const gr_matcher *mm)
{
	return mm ? mm->limits : 0;
}

/* Subjects on which a pattern with nested or overlapping repeats
 * backtracks without end: a run of one kind of text (letters, digits,
 * blanks, words and blanks, a dotted name, short lines) that a last
 * character then fails to finish.  128 characters: an exponential or a
 * cubic pattern passes the match limit on them, a careful one costs
 * nothing. */
#define TORTURE_LEN 128

int
gr_pattern_torture(const gr_pattern *p, gr_matcher *mm)
{
	static const char *const unit[] = { "a", "0", " ", "a ", "a.", "a\n",
	                                    "ab" };
	char s[TORTURE_LEN + 2];
	unsigned long before;
	int hit = 0;

	if (!p || !mm)
		return 0;
	before = mm->limits;
	for (size_t i = 0; i < sizeof unit / sizeof *unit && !hit; i++) {
		size_t n = strlen(unit[i]);

		for (size_t k = 0; k < TORTURE_LEN; k++)
			s[k] = unit[i][k % n];
		s[TORTURE_LEN] = '!';
		s[TORTURE_LEN + 1] = '\0';
		/* PCRE2 itself: the scan would pass over most of these
		 * texts, which hold none of the pattern's words */
		(void)match(p, s, mm, NULL, NULL, 0);
		hit = mm->limits != before;
	}
	return hit;
}

char *
gr_matcher_group(const gr_matcher *mm, const char *s, unsigned n)
{
	PCRE2_SIZE *ov;

	if (!mm || !s || n >= pcre2_get_ovector_count(mm->md))
		return NULL;
	ov = pcre2_get_ovector_pointer(mm->md);
	if (ov[2 * n] == PCRE2_UNSET || ov[2 * n + 1] < ov[2 * n])
		return NULL;
	return gr_strndup(s + ov[2 * n], ov[2 * n + 1] - ov[2 * n]);
}

