/* SPDX-License-Identifier: MIT */
/*
 * pattern.c - compile and match the patterns of pattern.h with PCRE2
 * (UTF-8, Unicode properties, caseless, invalid UTF-8 tolerated, JIT with
 * the interpreter as fallback, a match and a depth limit per match).  The
 * phrase-to-regex translation is in phrase.c.
 */
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "gravity/pattern.h"

#define GR_PATTERN_MATCH_LIMIT  200000u
#define GR_PATTERN_DEPTH_LIMIT  10000u
#define GR_PATTERN_GROUPS       16

struct gr_pattern {
	pcre2_code *re;         /* owned */
};

struct gr_matcher {
	pcre2_match_data *md;   /* owned */
	pcre2_match_context *mctx;      /* owned: the limits */
	unsigned long limits;           /* matches stopped by a limit */
};

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
	free(p);
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
	pcre2_match_context_free(mm->mctx);
	free(mm);
}

int
gr_pattern_match(const gr_pattern *p, const char *s, gr_matcher *mm,
                 size_t *so, size_t *eo)
{
	gr_matcher *own = NULL;
	PCRE2_SIZE *ov;
	int rc;

	if (!p || !s)
		return 0;
	if (!mm && !(mm = own = gr_matcher_new()))
		return 0;
	rc = pcre2_match(p->re, (PCRE2_SPTR)s, strlen(s), 0, 0, mm->md,
	                 mm->mctx);
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
		(void)gr_pattern_match(p, s, mm, NULL, NULL);
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
