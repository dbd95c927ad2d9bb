/* SPDX-License-Identifier: MIT */
/*
 * scan.c - one pass over a text for the literal words of many patterns
 * (pattern.h, "Scanners"): which patterns may match it, and from where.
 *
 * Every pattern's source is read for literal strings that each of its
 * matches must begin with (its prefixes) or contain (its factors), over
 * "symbols": a text character seen without case or accents that matter to
 * a caseless match.  ASCII letters are lowercased, U+212A KELVIN SIGN is
 * 'k' and U+017F LONG S is 's' (the only characters outside ASCII that
 * match an ASCII letter caselessly), every white-space character is ' '
 * and a run of them is one ' ', the apostrophes U+2018 and U+2019 are
 * '\'', and every other character outside ASCII is one symbol, SYM_HI.
 * The strings of all patterns go into one Aho-Corasick automaton; one
 * scan of a text notes, for each pattern, the first place one of its
 * prefixes starts and whether one of its factors occurs.
 *
 * The scan only ever says where a match can NOT be: a pattern none of
 * whose prefixes (or none of whose factors) occur in a text does not
 * match it, and one whose first prefix starts at byte k has no match
 * starting before k.  PCRE2 then matches from k, and finds exactly the
 * match it would have found from the start of the text, so matches,
 * spans and excerpts stay what PCRE2 alone gives.  Anything of a pattern
 * the reader does not understand makes it give up on that pattern, which
 * is then always matched by PCRE2 over the whole text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gravity/pattern.h"
#include "scan.h"

#define SYM_WS  ' '
#define SYM_APO '\''
#define SYM_HI  0x80u           /* any other character outside ASCII */
#define NSYM    0x100u

/* Longest literal kept (symbols), and most strings in one set. */
#define LIT_MAX 16
/* Longest string of the automaton: longer ones are cut (a prefix of a
 * prefix, a part of a factor).  As long as a literal: a shorter cut keeps
 * the automaton smaller but names more places where PCRE2 must try
 * ("booking " of "booking confirmed" at every "booking"). */
#define KEY_MAX LIT_MAX
#define SET_CAP 4096
/* Deepest nesting of groups the reader follows. */
#define DEPTH_MAX 200

/* --- symbols ------------------------------------------------------------ */

static int
is_ws_cp(uint32_t c)
{
	/* PCRE2's \s with PCRE2_UCP: horizontal and vertical white space
	 * and the separators (Z). */
	switch (c) {
	case 0x09: case 0x0a: case 0x0b: case 0x0c: case 0x0d: case 0x20:
	case 0x85: case 0xa0: case 0x1680: case 0x180e: case 0x2028:
	case 0x2029: case 0x202f: case 0x205f: case 0x3000:
		return 1;
	default:
		return c >= 0x2000 && c <= 0x200a;
	}
}

/* Latin-1 characters from U+00A1 (their lowercase for the capitals) are
 * symbols 0x81 to 0xDF, and a few more follow. */
#define SYM_L1(c) (0x81u + ((c) - 0xa1u))

unsigned
gr_scan_symbol(uint32_t c)
{
	if (is_ws_cp(c))
		return SYM_WS;
	if (c < 0x80)
		return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
	if (c >= 0xa1 && c <= 0xff) {
		if (c >= 0xc0 && c <= 0xde && c != 0xd7)
			c += 0x20;
		return SYM_L1(c);
	}
	/* the other characters that match one of those caselessly */
	switch (c) {
	case 0x2018: case 0x2019: return SYM_APO;
	case 0x212a: return 'k';                /* KELVIN SIGN */
	case 0x017f: return 's';                /* LONG S */
	case 0x1e9e: return SYM_L1(0xdf);       /* CAPITAL SHARP S */
	case 0x0178: return SYM_L1(0xff);       /* Y WITH DIAERESIS */
	case 0x039c: case 0x03bc: return SYM_L1(0xb5);  /* MU */
	case 0x212b: return SYM_L1(0xe5);       /* ANGSTROM SIGN */
	case 0x0152: case 0x0153: return 0xe0;  /* OE */
	case 0x2013: return 0xe1;
	case 0x2014: return 0xe2;
	case 0x2026: return 0xe3;
	case 0x201c: return 0xe4;
	case 0x201d: return 0xe5;
	case 0x201e: return 0xe6;
	case 0x20ac: return 0xe7;
	default: return SYM_HI;
	}
}

/* The character at s[i] (a lead byte >= 0xC0) and its length; lax: a
 * malformed sequence is U+FFFD and one byte.  Laxness only makes the
 * scan see more than PCRE2 can match, never less. */
static uint32_t
utf8_at(const unsigned char *s, size_t i, size_t len, size_t *n)
{
	unsigned char b = s[i];
	size_t k = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
	uint32_t c = b & (0x3f >> (k - 1));

	*n = 1;
	if (i + k > len)
		return 0xfffd;
	for (size_t j = 1; j < k; j++) {
		if ((s[i + j] & 0xc0) != 0x80)
			return 0xfffd;
		c = (c << 6) | (s[i + j] & 0x3f);
	}
	*n = k;
	return c;
}

/* --- literal sets -------------------------------------------------------- */

typedef struct lset {
	char **v;
	size_t n;
	int ok;                 /* 0: nothing known */
	int cut;                /* a string was cut at LIT_MAX */
} lset;

typedef struct info {
	lset e;                 /* exactly the symbol strings it matches */
	lset p;                 /* every match begins with one of these */
	lset c;                 /* every match contains one of these */
	lset s;                 /* every match ends with one of these */
} info;

static void
lset_free(lset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof *s);
}

static void
info_free(info *f)
{
	lset_free(&f->e);
	lset_free(&f->p);
	lset_free(&f->c);
	lset_free(&f->s);
}

/* Append a copy of n bytes of s; 0, or -1 when full or out of memory. */
static int
lset_add(lset *s, const char *str, size_t n)
{
	char **nv, *t;

	if (s->n >= SET_CAP)
		return -1;
	if (n > LIT_MAX) {
		n = LIT_MAX;
		s->cut = 1;
	}
	if (!(t = malloc(n + 1)))
		return -1;
	memcpy(t, str, n);
	t[n] = '\0';
	if (!(s->n & (s->n + 1)) || s->n == 0) {
		nv = realloc(s->v, (2 * s->n + 2) * sizeof *nv);
		if (!nv) {
			free(t);
			return -1;
		}
		s->v = nv;
	}
	s->v[s->n++] = t;
	s->ok = 1;
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
lset_uniq(lset *s)
{
	size_t k = 0;

	if (s->n < 2)
		return;
	qsort(s->v, s->n, sizeof *s->v, cmp_str);
	for (size_t i = 0; i < s->n; i++) {
		if (k && strcmp(s->v[k - 1], s->v[i]) == 0)
			free(s->v[i]);
		else
			s->v[k++] = s->v[i];
	}
	s->n = k;
}

static int
lset_has_empty(const lset *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (!s->v[i][0])
			return 1;
	return 0;
}

static int
lset_copy(lset *d, const lset *s)
{
	memset(d, 0, sizeof *d);
	if (!s->ok)
		return 0;
	for (size_t i = 0; i < s->n; i++)
		if (lset_add(d, s->v[i], strlen(s->v[i])) != 0) {
			lset_free(d);
			return -1;
		}
	d->ok = 1;
	d->cut = s->cut;
	return 0;
}

/* d = a x b (every string of a followed by every one of b).  tail: keep
 * the last LIT_MAX symbols of each string, so that the suffixes of the
 * matches stay suffixes; else the first (lset_add cuts, and says so). */
static void
lset_cross(lset *d, const lset *a, const lset *b, int tail)
{
	char buf[2 * LIT_MAX + 1];

	memset(d, 0, sizeof *d);
	if (!a->ok || !b->ok || a->n * b->n > SET_CAP)
		return;
	for (size_t i = 0; i < a->n; i++) {
		size_t la = strlen(a->v[i]);

		for (size_t j = 0; j < b->n; j++) {
			size_t lb = strlen(b->v[j]), n = la + lb;
			size_t skip = tail && n > LIT_MAX ? n - LIT_MAX : 0;

			memcpy(buf, a->v[i], la);
			memcpy(buf + la, b->v[j], lb);
			if (lset_add(d, buf + skip, n - skip) != 0) {
				lset_free(d);
				return;
			}
		}
	}
	d->ok = 1;
	if (!tail)
		d->cut |= a->cut || b->cut;
	lset_uniq(d);
}

/* d = a u b. */
static void
lset_union(lset *d, const lset *a, const lset *b)
{
	memset(d, 0, sizeof *d);
	if (!a->ok || !b->ok || a->n + b->n > SET_CAP)
		return;
	if (lset_copy(d, a) != 0)
		return;
	for (size_t j = 0; j < b->n; j++)
		if (lset_add(d, b->v[j], strlen(b->v[j])) != 0) {
			lset_free(d);
			return;
		}
	d->ok = 1;
	d->cut |= b->cut;
	lset_uniq(d);
}

/* The prefixes of f: p, or its exact strings when it cannot match "". */
static const lset *
eff_p(const info *f)
{
	if (f->p.ok)
		return &f->p;
	if (f->e.ok && !lset_has_empty(&f->e))
		return &f->e;
	return NULL;
}

static const lset *
eff_c(const info *f)
{
	return f->c.ok ? &f->c : eff_p(f);
}

/* The suffixes of f: s, or its exact strings when it cannot match "". */
static const lset *
eff_s(const info *f)
{
	if (f->s.ok)
		return &f->s;
	if (f->e.ok && !lset_has_empty(&f->e))
		return &f->e;
	return NULL;
}

static size_t
lset_minlen(const lset *s)
{
	size_t m = (size_t)-1;

	for (size_t i = 0; i < s->n; i++)
		if (strlen(s->v[i]) < m)
			m = strlen(s->v[i]);
	return s->n ? m : 0;
}

/* 1 if a is the better filter: longer shortest string, then fewer. */
static int
lset_better(const lset *a, const lset *b)
{
	size_t ma, mb;

	if (!a || !a->ok)
		return 0;
	if (!b || !b->ok)
		return 1;
	ma = lset_minlen(a);
	mb = lset_minlen(b);
	return ma > mb || (ma == mb && a->n < b->n);
}

static void
info_exact(info *f, const char *s, size_t n)
{
	memset(f, 0, sizeof *f);
	if (lset_add(&f->e, s, n) != 0)
		lset_free(&f->e);
}

/* f = a b; a and b are freed. */
static void
info_concat(info *f, info *a, info *b)
{
	const lset *ap = eff_p(a), *bp = eff_p(b), *best;
	lset t;

	memset(f, 0, sizeof *f);
	if (a->e.ok && b->e.ok) {
		lset_cross(&f->e, &a->e, &b->e, 0);
		if (f->e.ok && f->e.cut) {
			/* cut strings are prefixes, no longer exact */
			f->p = f->e;
			memset(&f->e, 0, sizeof f->e);
		}
	}
	if (f->e.ok) {
		/* exactly known: nothing better to know */
		info_free(a);
		info_free(b);
		return;
	}
	if (!f->p.ok) {
		if (a->e.ok && bp)
			lset_cross(&f->p, &a->e, bp, 0);
		if (!f->p.ok && ap)
			lset_copy(&f->p, ap);
		if (!f->p.ok && a->e.ok && a->e.n == 1 && !a->e.v[0][0] && bp)
			lset_copy(&f->p, bp);          /* a is zero-width */
		if (f->p.ok && lset_has_empty(&f->p))
			lset_free(&f->p);
	}
	/* suffixes: b's, after a's when b may be short or empty */
	if (!f->e.ok) {
		const lset *as = eff_s(a), *bs = eff_s(b);

		if (b->e.ok && as)
			lset_cross(&f->s, as, &b->e, 1);
		else if (bs)
			lset_copy(&f->s, bs);
		if (f->s.ok && lset_has_empty(&f->s))
			lset_free(&f->s);
	}
	/* factors: a's, b's, f's own, or where a ends and b begins */
	best = eff_c(a);
	if (lset_better(eff_c(b), best))
		best = eff_c(b);
	if (eff_s(a) && bp) {
		lset_cross(&t, eff_s(a), bp, 0);
		if (t.ok && !lset_has_empty(&t) && lset_better(&t, best)) {
			if (lset_better(eff_c(f), &t)) {
				lset_free(&t);
			} else {
				f->c = t;
				best = NULL;
				t.ok = 0;
			}
		}
		if (t.ok)
			lset_free(&t);
	}
	if (best && lset_better(eff_c(f), best))
		best = NULL;            /* f's own prefixes or strings */
	if (best) {
		if (lset_copy(&t, best) == 0)
			f->c = t;
	}
	info_free(a);
	info_free(b);
}

/* f = a | b; a and b are freed. */
static void
info_alt(info *f, info *a, info *b)
{
	const lset *ap, *bp;

	memset(f, 0, sizeof *f);
	if (a->e.ok && b->e.ok)
		lset_union(&f->e, &a->e, &b->e);
	if (!f->e.ok && (ap = eff_p(a)) && (bp = eff_p(b)))
		lset_union(&f->p, ap, bp);
	if ((ap = eff_c(a)) && (bp = eff_c(b))) {
		lset_union(&f->c, ap, bp);
		if (f->c.ok && lset_has_empty(&f->c))
			lset_free(&f->c);
	}
	if (!f->e.ok && (ap = eff_s(a)) && (bp = eff_s(b)))
		lset_union(&f->s, ap, bp);
	info_free(a);
	info_free(b);
}

/* f = a{min,max} (max < 0: no bound); a is freed. */
static void
info_repeat(info *f, info *a, long min, long max)
{
	const lset *p;

	memset(f, 0, sizeof *f);
	if (min == 1 && max == 1) {
		*f = *a;
		return;
	}
	if (min >= 1 && a->e.ok && a->e.n == 1 &&
	    strcmp(a->e.v[0], " ") == 0) {
		info_exact(f, " ", 1);  /* a run of blanks is one ' ' */
	} else if (min == 0 && max == 1 && a->e.ok) {
		if (lset_copy(&f->e, &a->e) == 0 && lset_add(&f->e, "", 0) == 0)
			lset_uniq(&f->e);
		else
			lset_free(&f->e);
	} else if (min >= 1) {
		if ((p = eff_p(a)))
			lset_copy(&f->p, p);
		if ((p = eff_c(a)))
			lset_copy(&f->c, p);
		if ((p = eff_s(a)))
			lset_copy(&f->s, p);
	}
	info_free(a);
}

/* --- reading a PCRE2 pattern --------------------------------------------- */

enum zw { ZW_NO, ZW_YES, ZW_WB, ZW_NWB, ZW_NWA };

typedef struct rd {
	const unsigned char *s;
	size_t i, n;
	int fail;
	int depth;
} rd;

static int parse_alt(rd *r, info *out);

/* One literal character: its symbol as the exact string. */
static void
lit_char(info *f, uint32_t c)
{
	char sym = (char)gr_scan_symbol(c);

	info_exact(f, &sym, 1);
}

/* The character at r->i (any byte; UTF-8 decoded), advancing. */
static uint32_t
next_char(rd *r)
{
	size_t n = 1;
	uint32_t c = r->s[r->i];

	if (c >= 0xc0)
		c = utf8_at(r->s, r->i, r->n, &n);
	else if (c >= 0x80)
		c = 0xfffd;
	r->i += n;
	return c;
}

/* Escape after '\' outside a class.  Sets *zw for zero-width ones. */
static void
parse_escape(rd *r, info *f, enum zw *zw)
{
	unsigned char c;

	memset(f, 0, sizeof *f);
	if (r->i >= r->n) {
		r->fail = 1;
		return;
	}
	c = r->s[r->i++];
	switch (c) {
	case 'b':
		*zw = ZW_WB;
		info_exact(f, "", 0);
		return;
	case 'B': case 'A': case 'z': case 'Z': case 'G':
		*zw = ZW_YES;
		info_exact(f, "", 0);
		return;
	case 's': case 't': case 'n': case 'r': case 'f':
		info_exact(f, " ", 1);
		return;
	case 'd': case 'D': case 'w': case 'W': case 'S': case 'h': case 'H':
	case 'v': case 'V': case 'N': case 'R': case 'X': case 'C':
		return;         /* a class: nothing known */
	case 'p': case 'P':
		if (r->i < r->n && r->s[r->i] == '{') {
			while (r->i < r->n && r->s[r->i] != '}')
				r->i++;
			if (r->i >= r->n)
				r->fail = 1;
			r->i++;
		} else if (r->i < r->n) {
			r->i++;
		} else {
			r->fail = 1;
		}
		return;
	default:
		if (c < 0x80 && !((c >= 'a' && c <= 'z') ||
		                  (c >= 'A' && c <= 'Z') ||
		                  (c >= '0' && c <= '9'))) {
			lit_char(f, c);
			return;
		}
		r->fail = 1;    /* \x, \1, \Q, \g ...: not read */
	}
}

/* A class after '['. */
static void
parse_class(rd *r, info *f)
{
	unsigned char seen[NSYM];
	int any = 0, first = 1;
	uint32_t prev = 0;
	int have_prev = 0;

	memset(f, 0, sizeof *f);
	memset(seen, 0, sizeof seen);
	if (r->i < r->n && r->s[r->i] == '^') {
		any = 1;
		r->i++;
	}
	for (;;) {
		uint32_t c;
		int esc = 0;

		if (r->i >= r->n) {
			r->fail = 1;
			return;
		}
		c = r->s[r->i];
		if (c == ']' && !first) {
			r->i++;
			break;
		}
		first = 0;
		if (c == '[' && r->i + 1 < r->n && r->s[r->i + 1] == ':') {
			const unsigned char *e = memmem(r->s + r->i, r->n - r->i,
			                                ":]", 2);

			if (!e) {
				r->fail = 1;
				return;
			}
			r->i = (size_t)(e - r->s) + 2;
			any = 1;
			have_prev = 0;
			continue;
		}
		if (c == '\\') {
			unsigned char x;

			r->i++;
			if (r->i >= r->n) {
				r->fail = 1;
				return;
			}
			x = r->s[r->i++];
			if (x == 's' || x == 't' || x == 'n' || x == 'r' ||
			    x == 'f') {
				seen[SYM_WS] = 1;
				have_prev = 0;
				continue;
			}
			if (x < 0x80 && !((x >= 'a' && x <= 'z') ||
			                  (x >= 'A' && x <= 'Z') ||
			                  (x >= '0' && x <= '9'))) {
				c = x;
				esc = 1;
			} else if (strchr("dDwWShHvVpPNR", x)) {
				if ((x == 'p' || x == 'P') && r->i < r->n &&
				    r->s[r->i] == '{') {
					while (r->i < r->n && r->s[r->i] != '}')
						r->i++;
					r->i++;
				} else if (x == 'p' || x == 'P') {
					r->i++;
				}
				any = 1;
				have_prev = 0;
				continue;
			} else {
				r->fail = 1;
				return;
			}
		} else {
			c = next_char(r);
		}
		/* a range a-b */
		if (c == '-' && !esc && have_prev && r->i < r->n &&
		    r->s[r->i] != ']') {
			uint32_t hi;

			if (r->s[r->i] == '\\') {
				r->fail = 1;    /* not read: rare */
				return;
			}
			hi = next_char(r);
			if (hi < prev) {
				r->fail = 1;
				return;
			}
			if (hi - prev > 16) {
				any = 1;
			} else {
				for (uint32_t k = prev; k <= hi; k++)
					seen[gr_scan_symbol(k)] = 1;
			}
			have_prev = 0;
			continue;
		}
		seen[gr_scan_symbol(c)] = 1;
		prev = c;
		have_prev = 1;
	}
	if (any)
		return;
	for (unsigned k = 1; k < NSYM; k++)
		if (seen[k]) {
			char sym = (char)k;

			if (lset_add(&f->e, &sym, 1) != 0) {
				lset_free(&f->e);
				return;
			}
		}
}

/* A quantifier at r->i, if any: 1 and *min, *max (-1: none). */
static int
parse_quant(rd *r, long *min, long *max)
{
	size_t i = r->i;
	long a = 0, b;

	if (i >= r->n)
		return 0;
	switch (r->s[i]) {
	case '?': *min = 0; *max = 1; r->i++; break;
	case '*': *min = 0; *max = -1; r->i++; break;
	case '+': *min = 1; *max = -1; r->i++; break;
	case '{':
		i++;
		if (i >= r->n || r->s[i] < '0' || r->s[i] > '9')
			return 0;
		while (i < r->n && r->s[i] >= '0' && r->s[i] <= '9' && a < 100000)
			a = a * 10 + (r->s[i++] - '0');
		b = a;
		if (i < r->n && r->s[i] == ',') {
			i++;
			b = -1;
			if (i < r->n && r->s[i] >= '0' && r->s[i] <= '9') {
				b = 0;
				while (i < r->n && r->s[i] >= '0' &&
				       r->s[i] <= '9' && b < 100000)
					b = b * 10 + (r->s[i++] - '0');
			}
		}
		if (i >= r->n || r->s[i] != '}')
			return 0;
		r->i = i + 1;
		*min = a;
		*max = b;
		break;
	default:
		return 0;
	}
	if (r->i < r->n && (r->s[r->i] == '?' || r->s[r->i] == '+'))
		r->i++;         /* lazy or possessive: the same strings */
	return 1;
}

/* The text of a group from r->i up to its ')' is exactly lit? */
static int
group_is(const rd *r, const char *lit)
{
	size_t n = strlen(lit);

	return r->i + n < r->n && memcmp(r->s + r->i, lit, n) == 0 &&
	       r->s[r->i + n] == ')';
}

/* A group after '('. */
static void
parse_group(rd *r, info *f, enum zw *zw)
{
	int look = 0;

	memset(f, 0, sizeof *f);
	if (r->i < r->n && r->s[r->i] == '*') {
		r->fail = 1;    /* (*VERB) */
		return;
	}
	if (r->i < r->n && r->s[r->i] == '?') {
		r->i++;
		if (r->i >= r->n) {
			r->fail = 1;
			return;
		}
		switch (r->s[r->i]) {
		case ':': case '>': case '|':
			r->i++;
			break;
		case '=':
			r->i++;
			look = 1;
			break;
		case '!':
			r->i++;
			look = group_is(r, "\\w") ? 3 : 1;
			break;
		case '<':
			r->i++;
			if (r->i < r->n && r->s[r->i] == '=') {
				r->i++;
				look = 1;
			} else if (r->i < r->n && r->s[r->i] == '!') {
				r->i++;
				look = group_is(r, "\\w") ? 2 : 1;
			} else {
				goto named;
			}
			break;
		case 'P':
			r->i++;
			if (r->i >= r->n || r->s[r->i] != '<') {
				r->fail = 1;
				return;
			}
			r->i++;
			/* fall through */
		named:
			while (r->i < r->n && r->s[r->i] != '>')
				r->i++;
			if (r->i >= r->n) {
				r->fail = 1;
				return;
			}
			r->i++;
			break;
		case '#':
			while (r->i < r->n && r->s[r->i] != ')')
				r->i++;
			if (r->i >= r->n) {
				r->fail = 1;
				return;
			}
			r->i++;
			*zw = ZW_YES;
			info_exact(f, "", 0);
			return;
		default:
			/* option letters: (?i) (?-i:...) ; never x */
			while (r->i < r->n && ((r->s[r->i] >= 'a' &&
			                         r->s[r->i] <= 'z') ||
			                        (r->s[r->i] >= 'A' &&
			                         r->s[r->i] <= 'Z') ||
			                        r->s[r->i] == '-' ||
			                        r->s[r->i] == '^')) {
				if (r->s[r->i] == 'x' || !strchr("imnsJU-^",
				                                 r->s[r->i])) {
					r->fail = 1;
					return;
				}
				r->i++;
			}
			if (r->i >= r->n) {
				r->fail = 1;
				return;
			}
			if (r->s[r->i] == ')') {
				r->i++;
				*zw = ZW_YES;
				info_exact(f, "", 0);
				return;
			}
			if (r->s[r->i] != ':') {
				r->fail = 1;
				return;
			}
			r->i++;
		}
	}
	if (parse_alt(r, f) != 0 || r->i >= r->n || r->s[r->i] != ')') {
		r->fail = 1;
		info_free(f);
		return;
	}
	r->i++;
	if (look) {
		info_free(f);
		info_exact(f, "", 0);
		*zw = look == 2 ? ZW_NWB : look == 3 ? ZW_NWA : ZW_YES;
	}
}

typedef struct item {
	info f;
	enum zw zw;
} item;

/* One atom and its quantifier; 0, or 1 at '|' ')' or the end. */
static int
parse_item(rd *r, item *it)
{
	unsigned char c;
	long min, max;

	memset(it, 0, sizeof *it);
	if (r->i >= r->n || r->s[r->i] == '|' || r->s[r->i] == ')')
		return 1;
	c = r->s[r->i++];
	switch (c) {
	case '(':
		if (++r->depth > DEPTH_MAX) {
			r->fail = 1;
			return 0;
		}
		parse_group(r, &it->f, &it->zw);
		r->depth--;
		break;
	case '[':
		parse_class(r, &it->f);
		break;
	case '\\':
		parse_escape(r, &it->f, &it->zw);
		break;
	case '.':
		break;
	case '^': case '$':
		it->zw = ZW_YES;
		info_exact(&it->f, "", 0);
		break;
	case '*': case '+': case '?': case '{':
		r->fail = 1;
		return 0;
	default:
		r->i--;
		lit_char(&it->f, next_char(r));
	}
	if (r->fail)
		return 0;
	if (parse_quant(r, &min, &max)) {
		info t = it->f;

		if (max >= 0 && max < min) {
			r->fail = 1;
			return 0;
		}
		info_repeat(&it->f, &t, min, max);
		if (it->zw != ZW_NO)
			it->zw = ZW_YES;
	} else if (r->i < r->n && r->s[r->i] == '{') {
		r->fail = 1;    /* a '{' PCRE2 reads as a letter: not read */
	}
	return 0;
}

/* A sequence up to '|' ')' or the end, folded into one info; with
 * bounds, also the zero-width assertions that open and close it. */
static int
parse_seq(rd *r, info *out, enum zw *lead, enum zw *trail)
{
	item *v = NULL, *nv;
	size_t n = 0, cap = 0, i0, i1;

	memset(out, 0, sizeof *out);
	for (;;) {
		item it;

		if (parse_item(r, &it) || r->fail)
			break;
		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			if (!(nv = realloc(v, cap * sizeof *v))) {
				info_free(&it.f);
				r->fail = 1;
				break;
			}
			v = nv;
		}
		v[n++] = it;
	}
	if (r->fail) {
		for (size_t i = 0; i < n; i++)
			info_free(&v[i].f);
		free(v);
		return -1;
	}
	for (i0 = 0; i0 < n && v[i0].zw != ZW_NO; i0++)
		if (lead && (v[i0].zw == ZW_NWB ||
		             (v[i0].zw == ZW_WB && *lead != ZW_NWB)))
			*lead = v[i0].zw;
	for (i1 = n; i1 > i0 && v[i1 - 1].zw != ZW_NO; i1--)
		if (trail && (v[i1 - 1].zw == ZW_NWA ||
		              (v[i1 - 1].zw == ZW_WB && *trail != ZW_NWA)))
			*trail = v[i1 - 1].zw;
	if (i0 == n) {
		info_exact(out, "", 0);
	} else {
		*out = v[i0].f;
		memset(&v[i0].f, 0, sizeof v[i0].f);
		for (size_t i = i0 + 1; i < i1; i++) {
			info a = *out;

			info_concat(out, &a, &v[i].f);
			memset(&v[i].f, 0, sizeof v[i].f);
		}
	}
	for (size_t i = 0; i < n; i++)
		info_free(&v[i].f);
	free(v);
	return 0;
}

static int
parse_alt(rd *r, info *out)
{
	if (parse_seq(r, out, NULL, NULL) != 0)
		return -1;
	while (r->i < r->n && r->s[r->i] == '|') {
		info b, a = *out;

		r->i++;
		if (parse_seq(r, &b, NULL, NULL) != 0) {
			info_free(&a);
			memset(out, 0, sizeof *out);
			return -1;
		}
		info_alt(out, &a, &b);
	}
	return 0;
}

/* --- what a pattern's matches must hold ---------------------------------- */

/* One string of a filter and what may be checked around it. */
typedef struct gr_lit {
	char *s;                /* symbols, NUL-terminated */
	unsigned char left;     /* the byte before must not be an ASCII word
	                         * character */
	unsigned char right;    /* nor the byte after its last symbol */
} gr_lit;

struct gr_lits {
	gr_lit *p;              /* prefixes: where a match may start */
	size_t np;
	gr_lit *c;              /* factors: one occurs in every match */
	size_t nc;
};

/* Collapse runs of ' ' in s; strip leading blanks when lstrip. */
static void
collapse(char *s, int lstrip)
{
	size_t k = 0;

	for (size_t i = 0; s[i]; i++) {
		if (s[i] == SYM_WS && ((k && s[k - 1] == SYM_WS) ||
		                       (!k && lstrip)))
			continue;
		s[k++] = s[i];
	}
	s[k] = '\0';
}

static int
is_word_sym(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* Keep set s as n strings in *out; -1 (nothing kept) if one is useless. */
static int
keep(const lset *s, gr_lit **out, size_t *n, int prefix, int exact,
     enum zw lead, enum zw trail)
{
	gr_lit *v;
	size_t k = 0;

	if (!s || !s->ok || s->n == 0)
		return -1;
	if (!(v = calloc(s->n, sizeof *v)))
		return -1;
	for (size_t i = 0; i < s->n; i++) {
		char *t = gr_strdup(s->v[i]);
		size_t len;
		unsigned char first, last;

		if (!t)
			goto fail;
		if (prefix && t[0] == SYM_WS) {
			free(t);        /* a blank may start inside a run */
			goto fail;
		}
		collapse(t, 1);
		len = strlen(t);
		if (len > KEY_MAX) {
			t[KEY_MAX] = '\0';
			len = KEY_MAX;
		}
		first = (unsigned char)t[0];
		if (len == 0 || (len == 1 && (is_word_sym(first) ||
		                              first == SYM_HI))) {
			free(t);        /* too common to filter */
			goto fail;
		}
		last = (unsigned char)t[len - 1];
		v[k].s = t;
		if (prefix)
			v[k].left = lead == ZW_NWB ||
			            (lead == ZW_WB && is_word_sym(first));
		if (prefix && exact && !s->cut && strcmp(t, s->v[i]) == 0 &&
		    len < KEY_MAX &&
		    last < 0x80 && last != SYM_WS)
			v[k].right = trail == ZW_NWA ||
			             (trail == ZW_WB && is_word_sym(last));
		k++;
	}
	*out = v;
	*n = k;
	return 0;
fail:
	for (size_t i = 0; i < k; i++)
		free(v[i].s);
	free(v);
	return -1;
}

void
gr_lits_free(gr_lits *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->np; i++)
		free(l->p[i].s);
	for (size_t i = 0; i < l->nc; i++)
		free(l->c[i].s);
	free(l->p);
	free(l->c);
	free(l);
}

gr_lits *
gr_lits_of(const char *pat, const char *flags)
{
	rd r;
	info f;
	enum zw lead = ZW_NO, trail = ZW_NO;
	gr_lits *l;
	const lset *p, *c;
	int exact;

	if (flags && strchr(flags, 'x'))
		return NULL;
	memset(&r, 0, sizeof r);
	r.s = (const unsigned char *)pat;
	r.n = strlen(pat);
	if (parse_seq(&r, &f, &lead, &trail) != 0)
		return NULL;
	if (r.i < r.n) {
		/* a top-level alternation: no bounds */
		info a = f, b;

		lead = trail = ZW_NO;
		while (r.i < r.n && r.s[r.i] == '|') {
			r.i++;
			if (parse_seq(&r, &b, NULL, NULL) != 0) {
				info_free(&a);
				return NULL;
			}
			info_alt(&f, &a, &b);
			a = f;
		}
		if (r.i < r.n) {        /* an unmatched ')' */
			info_free(&f);
			return NULL;
		}
	}
	if (!(l = calloc(1, sizeof *l))) {
		info_free(&f);
		return NULL;
	}
	p = eff_p(&f);
	exact = p == &f.e;
	if (p && keep(p, &l->p, &l->np, 1, exact, lead, trail) != 0)
		l->np = 0;
	c = eff_c(&f);
	/* factors only help when the prefixes are missing or weaker */
	if (c && c != p && (!l->np || lset_better(c, p)) &&
	    keep(c, &l->c, &l->nc, 0, 0, ZW_NO, ZW_NO) != 0)
		l->nc = 0;
	info_free(&f);
	if (!l->np && !l->nc) {
		gr_lits_free(l);
		return NULL;
	}
	return l;
}

/* --- the automaton -------------------------------------------------------- */

typedef struct outrec {
	uint32_t slot;
	unsigned char len;      /* symbols */
	unsigned char prefix;   /* 1: a prefix, 0: a factor */
	unsigned char left, right;
} outrec;

struct gr_scanner {
	size_t nslots;
	unsigned char *has_p, *has_c;   /* per slot */
	/* while adding: each slot's pattern source and flags (read at the
	 * build: a command that matches nothing does not read them) */
	char **srcs, **fls;
	gr_lits **lits;
	/* built */
	unsigned char cls[NSYM];        /* symbol -> class */
	unsigned char acls[128];        /* ASCII byte -> class */
	unsigned nclass;
	/* nstates rows of nclass: the next state as the offset of its row;
	 * the states from out_from on have outputs */
	uint32_t *delta;
	uint32_t out_from;
	uint32_t nstates;
	uint32_t *ostart;               /* nstates + 1 */
	outrec *outs;
	int built;
	int tried;                      /* a build was tried */
};

gr_scanner *
gr_scanner_new(void)
{
	return calloc(1, sizeof(gr_scanner));
}

void
gr_scanner_free(gr_scanner *sc)
{
	if (!sc)
		return;
	for (size_t i = 0; i < sc->nslots; i++) {
		gr_lits_free(sc->lits[i]);
		free(sc->srcs[i]);
		free(sc->fls[i]);
	}
	free(sc->lits);
	free(sc->srcs);
	free(sc->fls);
	free(sc->has_p);
	free(sc->has_c);
	free(sc->delta);
	free(sc->ostart);
	free(sc->outs);
	free(sc);
}

long
gr_scanner_add_src(gr_scanner *sc, char *pat, char *flags)
{
	size_t n = sc->nslots + 1;
	void *nv;

	if (sc->tried || !pat)
		goto fail;
	if (!(nv = realloc(sc->lits, n * sizeof *sc->lits)))
		goto fail;
	sc->lits = nv;
	if (!(nv = realloc(sc->srcs, n * sizeof *sc->srcs)))
		goto fail;
	sc->srcs = nv;
	if (!(nv = realloc(sc->fls, n * sizeof *sc->fls)))
		goto fail;
	sc->fls = nv;
	if (!(nv = realloc(sc->has_p, n)))
		goto fail;
	sc->has_p = nv;
	if (!(nv = realloc(sc->has_c, n)))
		goto fail;
	sc->has_c = nv;
	sc->lits[sc->nslots] = NULL;
	sc->srcs[sc->nslots] = pat;
	sc->fls[sc->nslots] = flags;
	sc->has_p[sc->nslots] = 0;
	sc->has_c[sc->nslots] = 0;
	return (long)sc->nslots++;
fail:
	free(pat);
	free(flags);
	return -1;
}

size_t
gr_scanner_slots(const gr_scanner *sc)
{
	return sc ? sc->nslots : 0;
}

int
gr_scanner_slot_filtered(const gr_scanner *sc, size_t slot)
{
	return sc && slot < sc->nslots && (sc->has_p[slot] || sc->has_c[slot]);
}

/* the trie under construction: dense rows of nclass */
typedef struct tb {
	uint32_t *go;
	uint32_t n, cap;
	unsigned nclass;
	outrec **o;             /* per state: its own outputs */
	uint32_t *no;
} tb;

static uint32_t
tb_state(tb *t)
{
	/* room for every state was made at once (growing a table of
	 * megabytes step by step costs more than filling it) */
	if (t->n == t->cap)
		return 0;
	return t->n++;
}

static int
tb_add(tb *t, const unsigned char *cls, const char *s, const outrec *ov)
{
	uint32_t st = 0;
	outrec *nv;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		uint32_t *g = &t->go[(size_t)st * t->nclass + cls[*p]];

		if (!*g) {
			uint32_t ns = tb_state(t);

			if (!ns)
				return -1;
			g = &t->go[(size_t)st * t->nclass + cls[*p]];
			*g = ns;
		}
		st = *g;
	}
	if (!(nv = realloc(t->o[st], (t->no[st] + 1) * sizeof *nv)))
		return -1;
	t->o[st] = nv;
	nv[t->no[st]++] = *ov;
	return 0;
}

/* The group of a symbol in the automaton's alphabet: its own for a blank,
 * an ASCII letter, the apostrophe and any other character; the letters of
 * Latin-1 share their base letter's, the digits one, the rest one.  Two
 * symbols of a group are one to the automaton: it sees more than is there
 * (never less), and stays small. */
static unsigned
sym_group(unsigned sym)
{
	/* base letters of the symbols of U+00DF..U+00FF, '.': none */
	static const char l1[] = "saaaaaaaceeeeiiiidnooooo.ouuuuyty";

	if (sym == SYM_WS || sym == SYM_APO || sym == SYM_HI ||
	    (sym >= 'a' && sym <= 'z'))
		return sym;
	if (sym >= '0' && sym <= '9')
		return '0';
	if (sym >= SYM_L1(0xdf) && sym <= SYM_L1(0xff) &&
	    l1[sym - SYM_L1(0xdf)] != '.')
		return (unsigned char)l1[sym - SYM_L1(0xdf)];
	if (sym == 0xe0)
		return 'o';             /* oe */
	return '.';
}

gr_status
gr_scanner_build(gr_scanner *sc)
{
	tb t;
	uint32_t *fail = NULL, *queue = NULL, *perm = NULL, qh = 0, qt = 0;
	unsigned char gcls[NSYM];
	size_t nout = 0;
	gr_status st = GR_E_NOMEM;

	if (sc->built)
		return GR_OK;
	if (sc->tried)
		return GR_E_NOMEM;      /* failed before: PCRE2 alone */
	sc->tried = 1;
	for (size_t i = 0; i < sc->nslots; i++) {
		gr_lits *l = gr_lits_of(sc->srcs[i], sc->fls[i]);

		sc->lits[i] = l;
		sc->has_p[i] = l && l->np > 0;
		sc->has_c[i] = l && l->nc > 0;
		free(sc->srcs[i]);
		free(sc->fls[i]);
		sc->srcs[i] = sc->fls[i] = NULL;
	}
	memset(&t, 0, sizeof t);
	/* the alphabet: class 0 for every symbol no string holds */
	memset(sc->cls, 0, sizeof sc->cls);
	memset(gcls, 0, sizeof gcls);
	gcls[SYM_WS] = 1;               /* class 1: blanks, always */
	sc->nclass = 2;
	for (size_t i = 0; i < sc->nslots; i++) {
		const gr_lits *l = sc->lits[i];

		for (size_t k = 0; l && k < l->np + l->nc; k++) {
			const char *s = k < l->np ? l->p[k].s : l->c[k - l->np].s;

			for (const unsigned char *p = (const unsigned char *)s;
			     *p; p++)
				if (!gcls[sym_group(*p)])
					gcls[sym_group(*p)] =
						(unsigned char)sc->nclass++;
		}
	}
	for (unsigned k = 1; k < NSYM; k++)
		sc->cls[k] = gcls[sym_group(k)];
	t.nclass = sc->nclass;
	/* at most one state per symbol of the strings, and the root */
	t.cap = 1;
	for (size_t i = 0; i < sc->nslots; i++) {
		const gr_lits *l = sc->lits[i];

		for (size_t k = 0; l && k < l->np + l->nc; k++)
			t.cap += (uint32_t)strlen(k < l->np ? l->p[k].s :
			                          l->c[k - l->np].s);
	}
	if ((uint64_t)t.cap * t.nclass >= UINT32_MAX ||
	    !(t.go = calloc((size_t)t.cap * t.nclass, sizeof *t.go)) ||
	    !(t.o = calloc(t.cap, sizeof *t.o)) ||
	    !(t.no = calloc(t.cap, sizeof *t.no)))
		goto out;
	if (tb_state(&t) != 0 || t.n != 1)
		goto out;
	for (size_t i = 0; i < sc->nslots; i++) {
		const gr_lits *l = sc->lits[i];

		for (size_t k = 0; l && k < l->np + l->nc; k++) {
			const gr_lit *lt = k < l->np ? &l->p[k] : &l->c[k - l->np];
			outrec o;

			o.slot = (uint32_t)i;
			o.len = (unsigned char)strlen(lt->s);
			o.prefix = k < l->np;
			o.left = lt->left;
			o.right = lt->right;
			if (tb_add(&t, sc->cls, lt->s, &o) != 0)
				goto out;
		}
	}
	/* failure links, breadth first; the rows become the full DFA and
	 * each state's outputs gain those of its failure state */
	if (!(fail = calloc(t.n, sizeof *fail)) ||
	    !(queue = malloc(t.n * sizeof *queue)))
		goto out;
	for (unsigned c = 0; c < t.nclass; c++) {
		uint32_t s = t.go[c];

		if (s) {
			fail[s] = 0;
			queue[qt++] = s;
		}
	}
	while (qh < qt) {
		uint32_t r = queue[qh++], f = fail[r];

		if (t.no[f]) {
			outrec *nv = realloc(t.o[r], (t.no[r] + t.no[f]) * sizeof *nv);

			if (!nv)
				goto out;
			memcpy(nv + t.no[r], t.o[f], t.no[f] * sizeof *nv);
			t.o[r] = nv;
			t.no[r] += t.no[f];
		}
		for (unsigned c = 0; c < t.nclass; c++) {
			uint32_t *g = &t.go[(size_t)r * t.nclass + c];

			if (*g) {
				fail[*g] = t.go[(size_t)f * t.nclass + c];
				queue[qt++] = *g;
			} else {
				*g = t.go[(size_t)f * t.nclass + c];
			}
		}
	}
	/* renumber: the states with outputs last, so that a scan knows
	 * them by their number; each entry becomes its row's offset */
	if ((uint64_t)t.n * t.nclass >= UINT32_MAX ||
	    !(perm = malloc(t.n * sizeof *perm)) ||
	    !(sc->delta = malloc((size_t)t.n * t.nclass * sizeof *sc->delta)))
		goto out;
	for (int pass = 0, k = 0; pass < 2; pass++)
		for (uint32_t s = 0; s < t.n; s++)
			if ((t.no[s] != 0) == pass) {
				if (pass == 1 && !sc->out_from)
					sc->out_from = (uint32_t)k * t.nclass;
				perm[s] = (uint32_t)k++;
			}
	if (!sc->out_from)
		sc->out_from = t.n * t.nclass;  /* no outputs at all */
	for (uint32_t s = 0; s < t.n; s++)
		for (unsigned c = 0; c < t.nclass; c++)
			sc->delta[(size_t)perm[s] * t.nclass + c] =
				perm[t.go[(size_t)s * t.nclass + c]] * t.nclass;
	for (unsigned c = 0; c < 128; c++)
		sc->acls[c] = sc->cls[gr_scan_symbol(c)];
	for (uint32_t s = 0; s < t.n; s++)
		nout += t.no[s];
	if (!(sc->ostart = malloc((t.n + 1) * sizeof *sc->ostart)) ||
	    !(sc->outs = malloc((nout ? nout : 1) * sizeof *sc->outs)))
		goto out;
	for (uint32_t s = 0; s < t.n; s++)
		fail[perm[s]] = s;      /* now: the old number of each new one */
	nout = 0;
	for (uint32_t n = 0; n < t.n; n++) {
		uint32_t s = fail[n];

		sc->ostart[n] = (uint32_t)nout;
		if (t.no[s])
			memcpy(sc->outs + nout, t.o[s], t.no[s] * sizeof *sc->outs);
		nout += t.no[s];
	}
	sc->ostart[t.n] = (uint32_t)nout;
	sc->nstates = t.n;
	sc->built = 1;
	st = GR_OK;
out:
	for (uint32_t s = 0; s < t.n; s++)
		free(t.o[s]);
	free(t.o);
	free(t.no);
	free(t.go);
	free(fail);
	free(queue);
	free(perm);
	return st;
}

size_t
gr_scanner_states(const gr_scanner *sc)
{
	return sc ? sc->nstates : 0;
}

/* --- scanning ------------------------------------------------------------- */

#define NONE ((size_t)-1)

static int
ascii_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/* Hits kept per scan; beyond, a pattern is matched from its first. */
#define HITS_MAX 65536

void
gr_scan_out_free(gr_scan_out *out)
{
	free(out->first);
	free(out->seen);
	free(out->hits);
	free(out->hbeg);
	free(out->spare);
	memset(out, 0, sizeof *out);
}

/* Keep a hit at byte at of a prefix (factor 0) or a factor (1) of the
 * (virtual) slot k: HITS_MAX of each kind at most, beyond which the kind
 * overflows. */
static void
add_hit(gr_scan_out *out, size_t k, size_t at, int factor)
{
	int *ovf = factor ? &out->foverflow : &out->overflow;

	if (*ovf)
		return;
	if (++out->nraw[factor] > HITS_MAX) {
		*ovf = 1;
		return;
	}
	if (out->nhits == out->hcap) {
		size_t cap = out->hcap ? 2 * out->hcap : 64;
		gr_scan_hit *nv = realloc(out->hits, cap * sizeof *nv);

		if (!nv) {
			*ovf = 1;
			return;
		}
		out->hits = nv;
		out->hcap = cap;
	}
	out->hits[out->nhits].slot = k;
	out->hits[out->nhits++].at = at;
}

/* Order out's hits by slot (nslots of them: prefixes' and factors') and
 * place, each once, and set hbeg.  They come
 * in the order their strings end: a counting pass by slot keeps that
 * order, in which the places of one slot are nearly sorted already, and
 * an insertion sort finishes each slot's run: linear in the hits.
 * GR_E_NOMEM leaves out unusable. */
static gr_status
sort_hits(gr_scan_out *out, size_t nslots)
{
	size_t *hbeg = out->hbeg, n = 0;
	gr_scan_hit *src = out->hits, *dst;

	if (!hbeg)
		return GR_OK;   /* no slots */
	memset(hbeg, 0, (nslots + 1) * sizeof *hbeg);
	if (out->nhits == 0)
		return GR_OK;
	if (out->scap < out->hcap) {
		gr_scan_hit *nv = realloc(out->spare, out->hcap * sizeof *nv);

		if (!nv)
			return GR_E_NOMEM;
		out->spare = nv;
		out->scap = out->hcap;
	}
	dst = out->spare;
	for (size_t i = 0; i < out->nhits; i++)
		hbeg[src[i].slot + 1]++;
	for (size_t k = 0; k < nslots; k++)
		hbeg[k + 1] += hbeg[k];
	/* hbeg[k]: where slot k's next hit goes, then where slot k+1's
	 * begin: shifted back below */
	for (size_t i = 0; i < out->nhits; i++)
		dst[hbeg[src[i].slot]++] = src[i];
	for (size_t k = nslots; k > 0; k--)
		hbeg[k] = hbeg[k - 1];
	hbeg[0] = 0;
	for (size_t k = 0; k < nslots; k++) {
		size_t b = n;

		for (size_t i = hbeg[k]; i < hbeg[k + 1]; i++) {
			size_t j = n, at = dst[i].at;

			while (j > b && src[j - 1].at > at)
				j--;
			if (j > b && src[j - 1].at == at)
				continue;       /* each once */
			for (size_t m = n; m > j; m--)
				src[m] = src[m - 1];
			src[j] = dst[i];
			n++;
		}
		hbeg[k] = b;
	}
	hbeg[nslots] = n;
	out->nhits = n;
	return GR_OK;
}

/* The outputs of state v (a row offset) reached at byte i of s (len
 * bytes): ring holds where each of the last symbols began, k counts
 * them. */
static void
scan_outs(const gr_scanner *sc, gr_scan_out *out, const unsigned char *s,
          size_t len, size_t i, const size_t *ring, size_t k, size_t v)
{
	size_t st = v / sc->nclass;

	for (uint32_t j = sc->ostart[st]; j < sc->ostart[st + 1]; j++) {
		const outrec *o = &sc->outs[j];
		size_t at = ring[(k - o->len) & 31];

		if (o->left && at > 0 && ascii_word(s[at - 1]))
			continue;
		if (o->right && i + 1 < len && ascii_word(s[i + 1]))
			continue;
		if (!o->prefix) {
			out->seen[o->slot] = 1;
			add_hit(out, sc->nslots + o->slot, at, 1);
			continue;
		}
		if (at < out->first[o->slot])
			out->first[o->slot] = at;
		add_hit(out, o->slot, at, 0);
	}
}

/* Size out's arrays for sc's slots. */
static gr_status
out_size(const gr_scanner *sc, gr_scan_out *out)
{
	size_t *f, *hb;
	unsigned char *sn;

	if (sc->nslots <= out->nslots)
		return GR_OK;
	if (!(f = realloc(out->first, sc->nslots * sizeof *f)))
		return GR_E_NOMEM;
	out->first = f;
	if (!(sn = realloc(out->seen, sc->nslots)))
		return GR_E_NOMEM;
	out->seen = sn;
	if (!(hb = realloc(out->hbeg, (2 * sc->nslots + 1) * sizeof *hb)))
		return GR_E_NOMEM;
	out->hbeg = hb;
	out->nslots = sc->nslots;
	return GR_OK;
}

/* Scan s[from, len) (s: len bytes) on from the state in out->at, adding
 * hits to out; leaves the state where the scan ends, with the outputs of
 * its last step (when they were found at the last byte) in out->tail. */
static void
scan_bytes(const gr_scanner *sc, gr_scan_out *out, const unsigned char *s,
           size_t from, size_t len)
{
	const uint32_t *delta = sc->delta;
	const unsigned char *acls = sc->acls;
	const size_t out_from = sc->out_from;
	gr_scan_state st = out->at;
	size_t n, mark = 0, mark_i = NONE;

	for (size_t i = from; i < len; i++) {
		unsigned b = s[i], c;

		if (b < 0x80) {
			c = acls[b];
		} else if (b < 0xc0) {
			continue;       /* inside a character */
		} else {
			c = sc->cls[gr_scan_symbol(utf8_at(s, i, len, &n))];
		}
		if (c == 1 && st.ws)    /* a blank: a run is one */
			continue;
		st.ws = c == 1;
		st.ring[st.k++ & 31] = i;
		st.v = delta[st.v + c];
		if (st.v >= out_from) {
			mark = out->nhits;
			mark_i = i;
			scan_outs(sc, out, s, len, i, st.ring, st.k, st.v);
		}
	}
	out->at = st;
	/* the outputs of a step at the last byte passed their right edge
	 * tests without a byte after them: a longer text tests them again */
	out->ntail = 0;
	out->tail_ok = 1;
	if (len > 0 && mark_i == len - 1) {
		size_t nt = out->nhits - mark;

		if (nt > GR_SCAN_TAIL || out->overflow || out->foverflow)
			out->tail_ok = 0;
		else if (nt > 0)
			memcpy(out->tail, out->hits + mark, nt * sizeof *out->tail);
		out->ntail = out->tail_ok ? nt : 0;
	}
}

/* Keep the hits as they were found (a copy of each, by slot) for
 * gr_scan_resume, then sort them. */
static gr_status
scan_finish(const gr_scanner *sc, gr_scan_out *out, size_t len)
{
	gr_status st;

	out->nkept = out->nhits;
	st = sort_hits(out, 2 * sc->nslots);
	out->scanned = len;
	out->resumable = st == GR_OK && out->tail_ok && !out->overflow &&
	                 !out->foverflow && sc->built && sc->nstates > 1;
	return st;
}

gr_status
gr_scan_run(const gr_scanner *sc, const char *text, size_t len,
            gr_scan_out *out)
{
	if (out_size(sc, out) != GR_OK)
		return GR_E_NOMEM;
	out->nhits = 0;
	out->nraw[0] = out->nraw[1] = 0;
	out->overflow = out->foverflow = 0;
	out->resumable = 0;
	memset(&out->at, 0, sizeof out->at);
	for (size_t i = 0; i < sc->nslots; i++) {
		out->first[i] = NONE;
		out->seen[i] = 0;
	}
	out->ntail = 0;
	out->tail_ok = 1;
	/* no automaton: no hits */
	if (sc->built && sc->nstates > 1)
		scan_bytes(sc, out, (const unsigned char *)text, 0, len);
	return scan_finish(sc, out, len);
}

/* 1 if the first n bytes of s end on a whole character: no UTF-8
 * sequence begun there needs the bytes after them. */
static int
ends_whole(const unsigned char *s, size_t n)
{
	for (size_t j = n; j > 0 && n - j < 4; j--) {
		unsigned char b = s[j - 1];

		if (b < 0x80)
			return 1;
		if (b >= 0xc0)
			return j - 1 + (b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2) <= n;
	}
	return 1;
}

gr_status
gr_scan_resume(const gr_scanner *sc, const gr_scan_out *prev,
               const char *text, size_t len, gr_scan_out *out, int *done)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t plen = prev->scanned, n;

	*done = 0;
	if (!prev->resumable || plen >= len || prev->nslots < sc->nslots ||
	    (s[plen] & 0xc0) == 0x80 || !ends_whole(s, plen))
		return GR_OK;
	if (out_size(sc, out) != GR_OK)
		return GR_E_NOMEM;
	if (out->hcap < prev->nkept) {
		gr_scan_hit *nv = realloc(out->hits,
		                          prev->nkept * sizeof *nv);

		if (!nv)
			return GR_E_NOMEM;
		out->hits = nv;
		out->hcap = prev->nkept;
	}
	/* the hits prev found, but for its last step's */
	n = prev->nkept;
	if (n > 0)
		memcpy(out->hits, prev->spare, n * sizeof *out->hits);
	out->nraw[0] = prev->nraw[0];
	out->nraw[1] = prev->nraw[1];
	for (size_t t = 0; t < prev->ntail; t++) {
		const gr_scan_hit *h = &prev->tail[t];

		for (size_t j = 0; j < n; j++)
			if (out->hits[j].slot == h->slot &&
			    out->hits[j].at == h->at) {
				out->hits[j] = out->hits[--n];
				break;
			}
		out->nraw[h->slot >= sc->nslots]--;
	}
	out->nhits = n;
	out->overflow = out->foverflow = 0;
	for (size_t i = 0; i < sc->nslots; i++) {
		out->first[i] = NONE;
		out->seen[i] = 0;
	}
	for (size_t j = 0; j < n; j++) {
		size_t k = out->hits[j].slot;

		if (k >= sc->nslots)
			out->seen[k - sc->nslots] = 1;
		else if (out->hits[j].at < out->first[k])
			out->first[k] = out->hits[j].at;
	}
	out->at = prev->at;
	/* the last step's outputs, with the byte after them now known (an
	 * output its left edge turned down then is turned down again) */
	if (prev->ntail > 0)
		scan_outs(sc, out, s, len, plen - 1, out->at.ring, out->at.k,
		          out->at.v);
	scan_bytes(sc, out, s, plen, len);
	*done = 1;
	return scan_finish(sc, out, len);
}

/* 1 if one of out's hits of (virtual) slot k starts in [lo, hi). */
static int
hit_in(const gr_scan_out *out, size_t k, size_t lo, size_t hi)
{
	size_t b = out->hbeg[k], e = out->hbeg[k + 1];

	while (b < e) {                 /* the first at or after lo */
		size_t m = b + (e - b) / 2;

		if (out->hits[m].at < lo)
			b = m + 1;
		else
			e = m;
	}
	return b < out->hbeg[k + 1] && out->hits[b].at < hi;
}

/* 1 if a scan of s[a, a+n) alone sees what the scan of the whole of s
 * sees from byte a on (up to a+n): no word character on either side
 * (the checks of \b edges come out the same), a blank just before it,
 * the same as the text's start, and a first character that is neither a
 * blank (the whole scan takes it into the run before) nor inside a
 * UTF-8 sequence. */
static int
piece_aligned(const gr_scanner *sc, const unsigned char *s, size_t len,
              size_t a, size_t n)
{
	size_t k;
	unsigned b, c;

	if (a > len || n > len - a)
		return 0;
	if (a > 0 && s[a - 1] != ' ' && s[a - 1] != '\n')
		return 0;
	if (a + n < len && s[a + n] != ' ' && s[a + n] != '\n')
		return 0;
	if (a == 0 || n == 0)
		return 1;
	b = s[a];
	if (b >= 0x80 && b < 0xc0)
		return 0;
	c = b < 0x80 ? sc->acls[b] : sc->cls[gr_scan_symbol(utf8_at(s, a, len,
	                                                            &k))];
	return c != 1;
}

int
gr_scan_piece_may(const gr_scanner *sc, const gr_scan_out *out,
                  size_t slot, const char *s, size_t len, size_t a, size_t n)
{
	if (!sc->built || slot >= sc->nslots ||
	    !piece_aligned(sc, (const unsigned char *)s, len, a, n))
		return 1;
	if (sc->has_c[slot] && !out->foverflow &&
	    !hit_in(out, sc->nslots + slot, a, a + n))
		return 0;
	if (sc->has_p[slot] && !out->overflow && !hit_in(out, slot, a, a + n))
		return 0;
	return 1;
}

int
gr_scanner_slot_has(const gr_scanner *sc, size_t slot, int prefix)
{
	if (!sc || slot >= sc->nslots)
		return 0;
	return prefix ? sc->has_p[slot] : sc->has_c[slot];
}

int
gr_scanner_built(const gr_scanner *sc)
{
	return sc && sc->built;
}
