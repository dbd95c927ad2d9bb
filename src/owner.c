/* SPDX-License-Identifier: MIT */
/*
 * owner.c - the owner's "profile", "services", "partners" and "contacts"
 * files of a rules directory (gravity-rules(5)), and the questions the
 * classifier and the planner ask of them.  Time zones are IANA names
 * checked against libical's built-in zones (tzdata); dates are ISO 8601
 * (RFC 3339 full-date).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libical/ical.h>

#include "gravity/buf.h"
#include "gravity/owner.h"

typedef struct owner_svc {
	gr_service pub;
	gr_pattern **pats;      /* one per phrase, owned */
	unsigned char *folded;  /* per pattern: 1 matches the text with its
	                         * accents removed (plain phrases) */
	size_t npats;
	gr_strv stems;          /* the stems of its label's and phrases'
	                         * words that no service of the other kind
	                         * has (gr_owner_loose_counts) */
} owner_svc;

typedef struct owner_partner {
	gr_partner pub;
	unsigned line;          /* of its "partner" line */
} owner_partner;

struct gr_owner {
	gr_profile profile;
	owner_svc *svcs;
	size_t nsvcs;
	owner_partner *partners;
	size_t npartners;
	gr_strv contacts;       /* lowercased addresses */
	gr_scanner *scanner;    /* the services' phrases, for one scan of a
	                         * text for all of them (owned) */
	int phrases_nonascii;   /* a phrase has a letter outside ASCII */
	/* the services' stems, each once, packed (stem_key) in an open
	 * table of lcap slots (0: free) with its number in the values */
	uint64_t *lkeys;
	uint32_t *lvals;
	size_t lcap, nlstems;
};

static const char *const day_names[7] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat"
};

static int
day_index(const char *s, size_t n)
{
	for (int i = 0; i < 7; i++)
		if (n == 3 && gr_strncaseeq(s, day_names[i], 3))
			return i;
	return -1;
}

/* Join tokens [from, n) with blanks; the text of a name or label. */
static char *
join_toks(const gr_toks *t, size_t from)
{
	gr_buf b;

	gr_buf_init(&b, 4096);
	for (size_t i = from; i < t->n; i++) {
		if (i > from && gr_buf_addc(&b, ' ') != GR_OK)
			break;
		if (gr_buf_addstr(&b, t->v[i].text) != GR_OK)
			break;
	}
	return gr_buf_steal(&b);
}

/* "HH:MM" (or "H:MM", or a whole hour "9", "17") -> minutes, or -1. */
static int
parse_hhmm(const char *s, size_t n)
{
	size_t hl = n == 4 ? 1 : 2;     /* 9:00 or 09:00 */
	int h = 0, m;

	if ((n == 1 || n == 2) && s[0] >= '0' && s[0] <= '9' &&
	    (n == 1 || (s[1] >= '0' && s[1] <= '9'))) {
		h = n == 1 ? s[0] - '0' : (s[0] - '0') * 10 + (s[1] - '0');
		return h <= 24 ? h * 60 : -1;
	}
	if ((n != 4 && n != 5) || s[hl] != ':')
		return -1;
	for (size_t i = 0; i < n; i++)
		if (i != hl && (s[i] < '0' || s[i] > '9'))
			return -1;
	for (size_t i = 0; i < hl; i++)
		h = h * 10 + (s[i] - '0');
	m = (s[hl + 1] - '0') * 10 + (s[hl + 2] - '0');
	if (h > 24 || m > 59 || (h == 24 && m != 0))
		return -1;
	return h * 60 + m;
}

/* "HH:MM-HH:MM[,HH:MM-HH:MM...]" -> open[], close[] (*n of them, at most
 * GR_HOURS_MAX, each opening before its closing); -1 when it is not. */
static int
parse_spans(const char *r, int *open, int *close, int *n)
{
	*n = 0;
	while (*r) {
		size_t len = strcspn(r, ",");
		const char *dash = memchr(r, '-', len);
		int a = -1, b = -1;

		if (dash) {
			a = parse_hhmm(r, (size_t)(dash - r));
			b = parse_hhmm(dash + 1, len - (size_t)(dash - r) - 1);
		}
		if (a < 0 || b < 0 || b <= a || *n == GR_HOURS_MAX)
			return -1;
		open[*n] = a;
		close[(*n)++] = b;
		r += len + (r[len] == ',');
	}
	return *n ? 0 : -1;
}

/* "mon-fri", "sat", "mon,wed,fri" -> bit set of days, 0 on error. */
static unsigned
parse_days(const char *s)
{
	unsigned set = 0;

	while (*s) {
		const char *comma = strchr(s, ',');
		size_t n = comma ? (size_t)(comma - s) : strlen(s);
		const char *dash = memchr(s, '-', n);
		int a, b;

		if (dash) {
			a = day_index(s, (size_t)(dash - s));
			b = day_index(dash + 1, n - (size_t)(dash - s) - 1);
		} else {
			a = b = day_index(s, n);
		}
		if (a < 0 || b < 0)
			return 0;
		for (int i = a;; i = (i + 1) % 7) {
			set |= 1u << i;
			if (i == b)
				break;
		}
		s += n + (comma ? 1 : 0);
	}
	return set;
}

/* Add [open, close) to day h, keeping the ranges in time order; -1 and
 * the range it overlaps when it does, -2 when the day is full. */
static int
hours_add(gr_hours *h, int open, int close, int *ov_open, int *ov_close)
{
	int o[GR_HOURS_MAX], c[GR_HOURS_MAX], n = 0, k;

	if (h->open >= 0) {
		o[n] = h->open, c[n++] = h->close;
		for (k = 0; k < h->n_more && k < GR_HOURS_MAX - 1; k++)
			o[n] = h->more[k].open, c[n++] = h->more[k].close;
	}
	for (k = 0; k < n; k++)
		if (open < c[k] && o[k] < close) {
			*ov_open = o[k];
			*ov_close = c[k];
			return -1;
		}
	if (n == GR_HOURS_MAX)
		return -2;
	for (k = n; k > 0 && o[k - 1] > open; k--)
		o[k] = o[k - 1], c[k] = c[k - 1];
	o[k] = open, c[k] = close;
	n++;
	h->open = o[0];
	h->close = c[0];
	h->n_more = n - 1;
	for (k = 1; k < n; k++)
		h->more[k - 1].open = o[k], h->more[k - 1].close = c[k];
	return 0;
}

/* "hours DAYS HH:MM-HH:MM[,HH:MM-HH:MM...]" or "hours DAYS closed".  A
 * second line for a day adds its ranges (a lunch break); ranges that
 * overlap are an error, so a line meant to replace another is not taken
 * silently. */
static void
profile_hours(gr_owner *o, gr_conf *c, gr_diags *d, const gr_toks *t)
{
	unsigned days;
	int open[GR_HOURS_MAX], close[GR_HOURS_MAX], n = 0;

	if (t->n != 3) {
		gr_conf_error(c, d, t->v[0].col,
		              "hours wants DAYS HH:MM-HH:MM (e.g. hours mon-fri "
		              "09:00-18:00, or 09:00-12:30,13:30-18:00) or DAYS "
		              "closed");
		return;
	}
	days = parse_days(t->v[1].text);
	if (!days) {
		gr_conf_error(c, d, t->v[1].col, "bad day range '%s' (use "
		              "mon..sun, a-b or a,b)", t->v[1].text);
		return;
	}
	if (strcmp(t->v[2].text, "closed") == 0) {
		for (int i = 0; i < 7; i++)
			if (days & (1u << i)) {
				memset(&o->profile.week[i], 0, sizeof o->profile.week[i]);
				o->profile.week[i].open = o->profile.week[i].close = -1;
			}
		return;
	}
	if (parse_spans(t->v[2].text, open, close, &n) < 0) {
		gr_conf_error(c, d, t->v[2].col, "bad hours '%s' (want "
		              "HH:MM-HH:MM, opening before closing, at most "
		              "%d ranges a day)", t->v[2].text, GR_HOURS_MAX);
		return;
	}
	for (int i = 0; i < 7; i++) {
		if (!(days & (1u << i)))
			continue;
		for (int k = 0; k < n; k++) {
			int oo = 0, oc = 0, rc;

			rc = hours_add(&o->profile.week[i], open[k], close[k], &oo, &oc);
			if (rc == -1) {
				gr_conf_error(c, d, t->v[2].col, "hours %02d:%02d-"
				              "%02d:%02d overlap %02d:%02d-%02d:%02d given "
				              "before for the same day (a day may have "
				              "several ranges that do not overlap; write "
				              "'hours DAY closed' first to start over)",
				              open[k] / 60, open[k] % 60, close[k] / 60,
				              close[k] % 60, oo / 60, oo % 60, oc / 60,
				              oc % 60);
				return;
			}
			if (rc == -2) {
				gr_conf_error(c, d, t->v[2].col, "more than %d hour "
				              "ranges for one day", GR_HOURS_MAX);
				return;
			}
		}
	}
}

static int
valid_date(const char *s)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30,
	                               31, 30, 31 };
	int y, m, dd;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	y = atoi(s);
	m = (s[5] - '0') * 10 + (s[6] - '0');
	dd = (s[8] - '0') * 10 + (s[9] - '0');
	if (m < 1 || m > 12 || dd < 1 || dd > mdays[m - 1])
		return 0;
	if (m == 2 && dd == 29 && (y % 4 || (y % 100 == 0 && y % 400)))
		return 0;
	return 1;
}

static int
valid_email(const char *s)
{
	const char *at = strchr(s, '@');

	return at && at != s && at[1] && !strchr(at + 1, '@') &&
	       !strpbrk(s, " \t<>,;\"");
}

/* An address as people write one: "jo@x.example", or "<jo@x.example>"
 * as in a From line (the brackets are dropped in place).  1 if what
 * remains is an address. */
static int
addr_token(char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		memmove(s, s + 1, n - 2);
		s[n - 2] = '\0';
	}
	return valid_email(s);
}

/* An authserv-id (RFC 8601 section 2.5): a word of printable ASCII
 * without ';', '(' or a quote; the receiving server's name, in practice. */
static int
valid_authserv_id(const char *s)
{
	if (!*s || strlen(s) > 255)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 127 ||
		    strchr(";()\"\\", *s))
			return 0;
	return 1;
}

static void
set_str(char **dst, char *val)
{
	free(*dst);
	*dst = val;
}

static void
profile_line(gr_owner *o, gr_conf *c, gr_diags *d, const gr_toks *t,
             int *in_sig)
{
	const char *k = t->v[0].text;
	gr_profile *p = &o->profile;

	*in_sig = 0;
	if (t->n < 2 && strcmp(k, "signature") != 0) {
		gr_conf_error(c, d, t->v[0].col, "'%s' needs a value", k);
	} else if (strcmp(k, "name") == 0) {
		set_str(&p->name, join_toks(t, 1));
	} else if (strcmp(k, "org") == 0) {
		set_str(&p->org, join_toks(t, 1));
	} else if (strcmp(k, "email") == 0) {
		for (size_t i = 1; i < t->n; i++) {
			gr_tok_strip_comma(&t->v[i]);
			if (!addr_token(t->v[i].text)) {
				gr_conf_error(c, d, t->v[i].col, "bad address "
				              "'%s'", t->v[i].text);
				continue;
			}
			gr_str_lower(t->v[i].text);
			gr_strv_push(&p->emails, t->v[i].text);
		}
	} else if (strcmp(k, "timezone") == 0) {
		char g[64];

		if (t->n == 2 &&
		    !icaltimezone_get_builtin_timezone(t->v[1].text) &&
		    gr_owner_timezone_guess(t->v[1].text, g, sizeof g))
			gr_conf_error(c, d, t->v[1].col, "unknown time zone '%s': "
			              "did you mean %s?", t->v[1].text, g);
		else if (t->n != 2 ||
		    !icaltimezone_get_builtin_timezone(t->v[1].text))
			gr_conf_error(c, d, t->v[1].col, "unknown time zone '%s' "
			              "(want an IANA name such as "
			              "Europe/Berlin)", t->v[1].text);
		else
			set_str(&p->timezone, gr_strdup(t->v[1].text));
	} else if (strcmp(k, "hours") == 0) {
		profile_hours(o, c, d, t);
	} else if (strcmp(k, "holiday") == 0) {
		for (size_t i = 1; i < t->n; i++) {
			const char *h = t->v[i].text;
			char a[11];
			int range = strlen(h) == 22 && strncmp(h + 10, "..", 2) == 0;

			snprintf(a, sizeof a, "%.10s", h);
			if (range ? !valid_date(a) || !valid_date(h + 12) ||
			            strcmp(a, h + 12) > 0 : !valid_date(h))
				gr_conf_error(c, d, t->v[i].col, "bad date '%s' "
				              "(want YYYY-MM-DD, or a range "
				              "YYYY-MM-DD..YYYY-MM-DD in order)", h);
			else
				gr_strv_push(&p->holidays, h);
		}
	} else if (strcmp(k, "signature") == 0) {
		set_str(&p->signature, t->n > 1 ? join_toks(t, 1) : NULL);
		*in_sig = 1;
	} else if (strcmp(k, "auth-serv-id") == 0) {
		for (size_t i = 1; i < t->n; i++) {
			gr_tok_strip_comma(&t->v[i]);
			if (!valid_authserv_id(t->v[i].text))
				gr_conf_error(c, d, t->v[i].col, "bad authserv-id "
				              "'%s' (want the name the server "
				              "writes first in its Authentication-"
				              "Results, such as mx.example.com)",
				              t->v[i].text);
			else
				gr_strv_push(&p->authserv_ids, t->v[i].text);
		}
	} else {
		gr_conf_error(c, d, t->v[0].col, "unknown profile keyword '%s' "
		              "(name, org, email, timezone, hours, holiday, "
		              "signature, auth-serv-id)", k);
	}
}

static void
sig_append(gr_profile *p, const char *line)
{
	gr_buf b;

	gr_buf_init(&b, 64 * 1024);
	if (p->signature && *p->signature) {
		gr_buf_addstr(&b, p->signature);
		gr_buf_addc(&b, '\n');
	}
	gr_buf_addstr(&b, line);
	set_str(&p->signature, gr_buf_steal(&b));
}

void
gr_owner_parse_profile(gr_owner *o, gr_conf *c, gr_diags *d)
{
	const char *line;
	int indent, in_sig = 0;

	while (gr_conf_next(c, &line, &indent) == GR_OK) {
		gr_toks t = { 0 };

		if (indent > 0 && in_sig) {
			sig_append(&o->profile, line);
			continue;
		}
		if (indent > 0) {
			gr_conf_error(c, d, (unsigned)indent + 1, "unexpected "
			              "indented line (only 'signature' takes "
			              "continuation lines)");
			continue;
		}
		if (gr_conf_split(c, line, &t, d) == GR_OK && t.n > 0)
			profile_line(o, c, d, &t, &in_sig);
		gr_toks_free(&t);
	}
}

static void
profile_free(gr_profile *p)
{
	free(p->name);
	free(p->org);
	free(p->timezone);
	free(p->signature);
	gr_strv_free(&p->emails);
	gr_strv_free(&p->holidays);
	gr_strv_free(&p->authserv_ids);
	memset(p, 0, sizeof *p);
}

/* --- services ----------------------------------------------------------- */

static owner_svc *
svc_new(gr_owner *o)
{
	owner_svc *nv = realloc(o->svcs, (o->nsvcs + 1) * sizeof *nv);

	if (!nv)
		return NULL;
	o->svcs = nv;
	memset(&nv[o->nsvcs], 0, sizeof *nv);
	return &nv[o->nsvcs++];
}

/* 1 if phrase is an acronym in capitals ("IT", "DJ", "NAS", "M365"). */
static int
is_acronym(const char *phrase)
{
	size_t n = strlen(phrase);
	int letters = 0;

	if (n < 2 || n > 4)
		return 0;
	for (const char *p = phrase; *p; p++) {
		if (*p >= 'A' && *p <= 'Z')
			letters++;
		else if (!(*p >= '0' && *p <= '9'))
			return 0;
	}
	return letters > 0;
}

/* The pattern of a plain service phrase.  Services are matched more
 * loosely than list phrases, so that the classes do not hinge on how the
 * owner words them: accents do not count (the phrase and the text are
 * compared without them), the last word may go on by a few letters
 * ("headshot" finds "headshots", "video" finds "videographer"), and an
 * acronym in capitals matches only in capitals ("IT" is not "it"). */
static gr_pattern *
svc_phrase(gr_conf *c, gr_diags *d, unsigned col, const char *phrase)
{
	char *folded, *pat;
	gr_buf b;
	size_t n, letters = 0;
	gr_pattern *p;

	if (is_acronym(phrase)) {
		gr_buf_init(&b, 4096);
		gr_buf_printf(&b, "(?<!\\w)%s(?:s)?(?!\\w)", phrase);
		p = b.data ? gr_pattern_compile_at(c, d, col, b.data, "c") :
		    NULL;
		gr_buf_free(&b);
		return p;
	}
	if (!(folded = gr_fold_accents(phrase)))
		return NULL;
	pat = gr_phrase_pattern(folded);
	n = strlen(folded);
	while (letters < n && ((folded[n - 1 - letters] >= 'a' &&
	                        folded[n - 1 - letters] <= 'z') ||
	                       (folded[n - 1 - letters] >= 'A' &&
	                        folded[n - 1 - letters] <= 'Z')))
		letters++;
	free(folded);
	if (!pat)
		return NULL;
	gr_buf_init(&b, 1u << 20);
	n = strlen(pat);
	/* pat ends in "(?!\w)": let the last word go on */
	if (letters >= 3 && n > 6 && strcmp(pat + n - 6, "(?!\\w)") == 0)
		gr_buf_printf(&b, "%.*s\\w{0,%d}(?!\\w)", (int)(n - 6), pat,
		              letters >= 5 ? 8 : 3);
	else
		gr_buf_addstr(&b, pat);
	free(pat);
	p = b.data ? gr_pattern_compile_at(c, d, col, b.data, "") : NULL;
	gr_buf_free(&b);
	return p;
}

/* --- loose matching: the words of the services --------------------------- */

/* Words that say nothing about a trade, in the languages of the default
 * rules (en, de, fr, es, pt, it; folded, lowercase; words under four
 * letters never count), in strcmp order: gr_owner_stems looks a word
 * of a message up with a binary search when its stem is new. */
static const char *const stop_words[] = {
	"aber", "about", "after", "again", "alle", "also", "anche", "auch",
	"aussi", "avec", "avoir", "been", "before", "being", "best", "bitte",
	"bonjour", "both", "cette", "ciao", "come", "comme", "como", "could",
	"danke", "dann", "dans", "dass", "dear", "degli", "della", "delle",
	"denn", "dienst", "diese", "dieser", "dieses", "does", "doing", "down",
	"each", "eine", "einem", "einen", "einer", "eines", "elle", "esta",
	"este", "esto", "estos", "etre", "faire", "fare", "fazer", "first",
	"frage", "fragen", "from", "good", "gracias", "grazie", "great",
	"gruss", "grusse", "haben", "hacer", "hallo", "have", "having",
	"hello", "help", "here", "hier", "hola", "ihre", "ihren", "ihrer",
	"immer", "into", "just", "kann", "kind", "know", "konnen", "konnten",
	"last", "leistung", "leur", "like", "look", "looking", "made", "mais",
	"make", "mehr", "mein", "meine", "merci", "mich", "molto", "month",
	"more", "most", "much", "muito", "nach", "need", "needs", "next",
	"nicht", "noch", "nossa", "nosso", "nostra", "nostro", "notre", "nous",
	"nuestra", "nuestro", "obrigada", "obrigado", "oder", "offer",
	"offers", "only", "other", "over", "para", "pela", "pelo", "pero",
	"please", "plus", "pour", "price", "questa", "question", "questions",
	"questo", "quote", "regards", "same", "sans", "sehr", "service",
	"services", "servicio", "servico", "servizio", "should", "sich",
	"sind", "sobre", "some", "sono", "sont", "sous", "such", "take",
	"tambien", "tengo", "tenho", "than", "thank", "thanks", "that",
	"their", "them", "then", "there", "these", "they", "this", "those",
	"through", "tiene", "time", "today", "todo", "todos", "tous", "tout",
	"tres", "uber", "under", "unser", "unsere", "unter", "until", "usted",
	"ustedes", "very", "viele", "vielen", "voce", "voces", "votre", "vous",
	"want", "wants", "ware", "week", "well", "wenn", "werden", "were",
	"what", "when", "where", "which", "while", "will", "wird", "with",
	"work", "working", "would", "wurde", "year", "your", "yours",
};

/* 1 if w is one of the stop words: a binary search comparing bytes in
 * place (most probes part at the first byte). */
static int
is_stop_word(const char *w)
{
	size_t lo = 0, hi = sizeof stop_words / sizeof *stop_words;

	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;
		const unsigned char *a = (const unsigned char *)w;
		const unsigned char *b = (const unsigned char *)stop_words[m];

		while (*a && *a == *b) {
			a++;
			b++;
		}
		if (*a == *b)
			return 1;
		if (*a < *b)
			hi = m;
		else
			lo = m + 1;
	}
	return 0;
}

static char
low_ascii(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

/* A stem (at most six bytes) as one number, never 0: its bytes, the
 * first lowest. */
static uint64_t
stem_key(const char *stem, size_t n)
{
	uint64_t k = 0;

	while (n-- > 0)
		k = (k << 8) | (unsigned char)stem[n];
	return k;
}

/* The stem of one folded word w (n bytes) as its key (stem_key):
 * lowercase, a plural s dropped, cut to six bytes (on a character
 * boundary), so that "translations", "translating" and "translator"
 * meet, and "traducao" and "traduccion".  0 if the word does not count
 * by its length: under four letters, or too long (48 bytes or more). */
static uint64_t
word_key(const char *w, size_t n)
{
	uint64_t k = 0;

	if (n < 4 || n >= 48)
		return 0;
	if (n > 4 && low_ascii(w[n - 1]) == 's' && low_ascii(w[n - 2]) != 's')
		n--;
	if (n > 6) {
		n = 6;
		while (n > 0 && ((unsigned char)w[n] & 0xC0) == 0x80)
			n--;
	}
	while (n-- > 0)
		k = (k << 8) | (unsigned char)low_ascii(w[n]);
	return k;
}

/* The stem of one folded word w (n bytes, see word_key) into out (at
 * least 8 bytes); 0 if the word does not count by its length. */
static size_t
stem_word(const char *w, size_t n, char *out)
{
	size_t m = 0;

	for (uint64_t k = word_key(w, n); k; k >>= 8)
		out[m++] = (char)(k & 0xff);
	out[m] = '\0';
	return m;
}

/* 1 if the folded word w (n bytes, under 48) is a stop word. */
static int
is_stop(const char *w, size_t n)
{
	char low[48];

	for (size_t k = 0; k < n; k++)
		low[k] = low_ascii(w[k]);
	low[n] = '\0';
	return is_stop_word(low);
}

gr_status
gr_owner_stems(const char *text, gr_strv *out, gr_strmap *seen)
{
	char *f = text ? gr_fold_accents(text) : NULL;
	gr_status st = GR_OK;
	size_t i = 0;

	if (!text)
		return GR_OK;
	if (!f)
		return GR_E_NOMEM;
	while (f[i] && st == GR_OK) {
		size_t j = i;
		char stem[16];

		while (f[j] && (((f[j] | 0x20) >= 'a' && (f[j] | 0x20) <= 'z') ||
		                (unsigned char)f[j] >= 0x80))
			j++;
		if (j == i) {
			i++;
			continue;
		}
		/* a stem seen before adds nothing, stop word or not: the
		 * whole word is lowercased and looked up in the stop words
		 * only for a new one */
		if (stem_word(f + i, j - i, stem) > 0 &&
		    gr_strmap_get(seen, stem) < 0 && !is_stop(f + i, j - i)) {
			st = gr_strmap_put(seen, stem, out->n);
			if (st == GR_OK)
				st = gr_strv_push(out, stem);
		}
		i = j;
	}
	free(f);
	return st;
}

/* The slot of key k in o's table: where it is, or the free one where it
 * would go. */
static size_t
lslot(const gr_owner *o, uint64_t k)
{
	size_t i = (size_t)((k * 0x9E3779B97F4A7C15ull) >> 32) & (o->lcap - 1);

	while (o->lkeys[i] && o->lkeys[i] != k)
		i = (i + 1) & (o->lcap - 1);
	return i;
}

/* The number of the stem of key k among the services', or -1. */
static long
lstem(const gr_owner *o, uint64_t k)
{
	size_t i;

	if (!o->lcap || !k)
		return -1;
	i = lslot(o, k);
	return o->lkeys[i] ? (long)o->lvals[i] : -1;
}

/* Make o's table of the services' stems. */
static void
lstems_make(gr_owner *o)
{
	size_t n = 0;

	free(o->lkeys);
	free(o->lvals);
	o->lkeys = NULL;
	o->lvals = NULL;
	o->lcap = o->nlstems = 0;
	for (size_t i = 0; i < o->nsvcs; i++)
		n += o->svcs[i].stems.n;
	if (n == 0)
		return;
	for (o->lcap = 16; o->lcap < 2 * n; o->lcap *= 2)
		;
	o->lkeys = calloc(o->lcap, sizeof *o->lkeys);
	o->lvals = calloc(o->lcap, sizeof *o->lvals);
	if (!o->lkeys || !o->lvals) {
		free(o->lkeys);
		free(o->lvals);
		o->lkeys = NULL;
		o->lvals = NULL;
		o->lcap = 0;
		return;
	}
	for (size_t i = 0; i < o->nsvcs; i++)
		for (size_t j = 0; j < o->svcs[i].stems.n; j++) {
			const char *t = o->svcs[i].stems.v[j];
			uint64_t k = stem_key(t, strlen(t));
			size_t at = lslot(o, k);

			if (!o->lkeys[at]) {
				o->lkeys[at] = k;
				o->lvals[at] = (uint32_t)o->nlstems++;
			}
		}
}

/* Mark in found the services' stems that the words of text have, made
 * as gr_owner_stems makes them (a stop word marks nothing). */
static void
loose_mark(const gr_owner *o, const char *text, unsigned char *found)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0;

	while (s[i]) {
		size_t j = i, wn;
		char fw[96];
		const char *w = text + i;
		unsigned hi = 0;
		long k;

		/* a word: letters and bytes outside ASCII (those of the
		 * letters gr_fold_accents folds among them) */
		for (;; j++) {
			unsigned c = s[j];

			if (c >= 0x80)
				hi = 1;
			else if ((unsigned)((c | 0x20) - 'a') >= 26)
				break;
		}
		if (j == i) {
			i++;
			continue;
		}
		wn = j - i;
		i = j;
		/* folded, a word is at least half as long: one of 96 bytes
		 * is too long for a stem either way */
		if (wn >= sizeof fw)
			continue;
		if (hi) {
			wn = gr_fold_accents_n(w, wn, fw);
			w = fw;
		}
		if ((k = lstem(o, word_key(w, wn))) < 0 || found[k])
			continue;
		if (!is_stop(w, wn))
			found[k] = 1;
	}
}

gr_status
gr_owner_loose_counts(const gr_owner *o, const char *const *texts,
                      size_t ntexts, int *counts)
{
	unsigned char *found;

	for (size_t i = 0; i < o->nsvcs; i++)
		counts[i] = 0;
	if (o->nlstems == 0)
		return GR_OK;
	if (!(found = calloc(o->nlstems, 1)))
		return GR_E_NOMEM;
	for (size_t t = 0; t < ntexts; t++)
		if (texts[t])
			loose_mark(o, texts[t], found);
	for (size_t i = 0; i < o->nsvcs; i++)
		for (size_t j = 0; j < o->svcs[i].stems.n; j++) {
			const char *st = o->svcs[i].stems.v[j];

			counts[i] += found[lstem(o, stem_key(st, strlen(st)))];
		}
	free(found);
	return GR_OK;
}

/* Keep only the stems no service of the other kind (offered, referred)
 * has: a word of both says nothing about which it is. */
static void
svc_stems_finish(gr_owner *o)
{
	gr_strmap kind[2] = { { 0 }, { 0 } };

	for (size_t i = 0; i < o->nsvcs; i++)
		for (size_t j = 0; j < o->svcs[i].stems.n; j++)
			if (gr_strmap_put(&kind[o->svcs[i].pub.offered != 0],
			                  o->svcs[i].stems.v[j], 1) != GR_OK)
				goto out;
	for (size_t i = 0; i < o->nsvcs; i++) {
		gr_strv *sv = &o->svcs[i].stems;
		const gr_strmap *other = &kind[o->svcs[i].pub.offered == 0];
		size_t k = 0;

		for (size_t j = 0; j < sv->n; j++) {
			if (gr_strmap_get(other, sv->v[j]) >= 0)
				free(sv->v[j]);
			else
				sv->v[k++] = sv->v[j];
		}
		sv->n = k;
		if (sv->v)
			sv->v[k] = NULL;
	}
out:
	gr_strmap_free(&kind[0]);
	gr_strmap_free(&kind[1]);
	lstems_make(o);
}

/* --- services file ------------------------------------------------------- */

static void
svc_phrases(gr_owner *o, owner_svc *s, gr_conf *c, gr_diags *d,
            const gr_toks *t, size_t from)
{
	for (size_t i = from; i < t->n; i++) {
		gr_tok *k = &t->v[i];
		gr_pattern *p, **nv;
		unsigned char *nf;

		gr_tok_strip_comma(k);
		if (!*k->text)
			continue;
		for (const unsigned char *q = (const unsigned char *)k->text;
		     *q && !o->phrases_nonascii; q++)
			o->phrases_nonascii = *q >= 0x80;
		if (k->regex) {
			p = gr_pattern_compile_at(c, d, k->col, k->text, k->flags);
		} else {
			gr_strmap seen = { 0 };

			/* the stems seen so far are in s->stems: no map
			 * kept, a service has a few dozen words */
			for (size_t j = 0; j < s->stems.n; j++)
				(void)gr_strmap_put(&seen, s->stems.v[j], j);
			(void)gr_owner_stems(k->text, &s->stems, &seen);
			gr_strmap_free(&seen);
			p = svc_phrase(c, d, k->col, k->text);
		}
		if (!p)
			continue;
		nv = realloc(s->pats, (s->npats + 1) * sizeof *nv);
		nf = nv ? realloc(s->folded, s->npats + 1) : NULL;
		if (nv)
			s->pats = nv;
		if (!nf) {
			gr_pattern_free(p);
			return;
		}
		s->folded = nf;
		s->folded[s->npats] = !k->regex && !is_acronym(k->text);
		s->pats[s->npats++] = p;
	}
}

static int
valid_key(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

static owner_svc *
svc_head(gr_owner *o, gr_conf *c, gr_diags *d, const gr_toks *t)
{
	const char *k = t->v[0].text;
	owner_svc *s;

	if (strcmp(k, "phrases") == 0 || strcmp(k, "say") == 0) {
		gr_conf_error(c, d, t->v[0].col, "'%s' belongs to the offer "
		              "or refer line above it: indent it", k);
		return NULL;
	}
	if (strcmp(k, "offer") != 0 && strcmp(k, "refer") != 0) {
		gr_conf_error(c, d, t->v[0].col, "unknown services keyword '%s' "
		              "(offer KEY \"Label\" or refer KEY \"Label\")", k);
		return NULL;
	}
	if (t->n < 2 || !valid_key(t->v[1].text)) {
		gr_conf_error(c, d, t->n < 2 ? t->v[0].col : t->v[1].col,
		              "'%s' wants a KEY of letters, digits, '_' or '-'",
		              k);
		return NULL;
	}
	if (gr_owner_service_by_key(o, t->v[1].text)) {
		gr_conf_error(c, d, t->v[1].col, "duplicate service '%s'",
		              t->v[1].text);
		return NULL;
	}
	s = svc_new(o);
	if (!s)
		return NULL;
	s->pub.key = gr_strdup(t->v[1].text);
	s->pub.label = t->n > 2 ? join_toks(t, 2) : gr_strdup(t->v[1].text);
	s->pub.offered = k[0] == 'o';
	{
		gr_strmap seen = { 0 };

		(void)gr_owner_stems(s->pub.label, &s->stems, &seen);
		gr_strmap_free(&seen);
	}
	return s;
}

/* "say TEXT" or "say LANG TEXT": how the owner says the service in a
 * sentence ("helping you buy a home"), for the drafts. */
static void
svc_say(gr_service *s, gr_conf *c, gr_diags *d, const gr_toks *t)
{
	const char *lang = "";
	size_t first = 1;
	char *text, *entry;
	size_t n;

	if (t->n >= 3 && strlen(t->v[1].text) == 2 && !t->v[1].quoted &&
	    t->v[1].text[0] >= 'a' && t->v[1].text[0] <= 'z' &&
	    t->v[1].text[1] >= 'a' && t->v[1].text[1] <= 'z') {
		lang = t->v[1].text;
		first = 2;
	}
	if (t->n <= first) {
		gr_conf_error(c, d, t->v[0].col, "'say' wants [LANG] \"how you "
		              "say it in a sentence\" (e.g. say es \"comprar "
		              "una casa\")");
		return;
	}
	text = join_toks(t, first);
	if (!text)
		return;
	n = strlen(lang) + strlen(text) + 2;
	entry = malloc(n);
	if (entry) {
		snprintf(entry, n, "%s\t%s", lang, text);
		if (gr_strv_push_owned(&s->say, entry) != GR_OK)
			entry = NULL;
	}
	free(text);
}

const char *
gr_owner_service_say(const gr_service *s, const char *lang)
{
	size_t n = lang ? strlen(lang) : 0;

	for (size_t i = 0; s && i < s->say.n; i++)
		if (strncmp(s->say.v[i], lang ? lang : "", n) == 0 &&
		    s->say.v[i][n] == '\t')
			return s->say.v[i] + n + 1;
	return NULL;
}

void
gr_owner_parse_services(gr_owner *o, gr_conf *c, gr_diags *d)
{
	const char *line;
	int indent;
	owner_svc *cur = NULL;
	size_t curi = 0;
	int in_phrases = 0;

	while (gr_conf_next(c, &line, &indent) == GR_OK) {
		gr_toks t = { 0 };

		if (gr_conf_split(c, line, &t, d) != GR_OK || t.n == 0) {
			gr_toks_free(&t);
			continue;
		}
		if (indent == 0) {
			cur = svc_head(o, c, d, &t);
			curi = o->nsvcs - 1;
			in_phrases = 0;
		} else if (!cur) {
			gr_conf_error(c, d, t.v[0].col, "indented line outside "
			              "an offer/refer block");
		} else if (strcmp(t.v[0].text, "phrases") == 0 &&
		           !t.v[0].quoted) {
			svc_phrases(o, &o->svcs[curi], c, d, &t, 1);
			in_phrases = 1;
		} else if (strcmp(t.v[0].text, "say") == 0 &&
		           !t.v[0].quoted) {
			svc_say(&o->svcs[curi].pub, c, d, &t);
			in_phrases = 0;
		} else if (in_phrases) {
			svc_phrases(o, &o->svcs[curi], c, d, &t, 0);
		} else {
			gr_conf_error(c, d, t.v[0].col, "unknown service field "
			              "'%s' (phrases, say)", t.v[0].text);
		}
		gr_toks_free(&t);
	}
	svc_stems_finish(o);
	/* Once: a pattern stays in the scanner it was put in (built at
	 * its first match). */
	if (!o->scanner && (o->scanner = gr_scanner_new()) != NULL)
		for (size_t i = 0; i < o->nsvcs; i++)
			for (size_t j = 0; j < o->svcs[i].npats; j++)
				(void)gr_scanner_add(o->scanner,
				                     o->svcs[i].pats[j]);
}

/* --- partners ----------------------------------------------------------- */

static void
partner_field(gr_owner *o, owner_partner *p, gr_conf *c, gr_diags *d,
              const gr_toks *t)
{
	const char *k = t->v[0].text;

	if (t->n < 2) {
		gr_conf_error(c, d, t->v[0].col, "'%s' needs a value", k);
	} else if (strcmp(k, "email") == 0) {
		if (t->n != 2 || !addr_token(t->v[1].text)) {
			gr_conf_error(c, d, t->v[1].col, "bad address '%s'",
			              t->v[1].text);
			return;
		}
		set_str(&p->pub.email, gr_strdup(t->v[1].text));
		gr_str_lower(p->pub.email);
	} else if (strcmp(k, "org") == 0) {
		set_str(&p->pub.org, join_toks(t, 1));
	} else if (strcmp(k, "phone") == 0) {
		set_str(&p->pub.phone, join_toks(t, 1));
	} else if (strcmp(k, "serves") == 0) {
		for (size_t i = 1; i < t->n; i++) {
			gr_tok_strip_comma(&t->v[i]);
			if (!*t->v[i].text)
				continue;
			if (!gr_owner_service_by_key(o, t->v[i].text))
				gr_conf_error(c, d, t->v[i].col, "partner serves "
				              "unknown service '%s' (not in the "
				              "services file)", t->v[i].text);
			else if (gr_owner_service_by_key(o, t->v[i].text)->offered)
				gr_diag_warn(d, gr_conf_path(c),
				             gr_conf_lineno(c), t->v[i].col,
				             "service '%s' is one you offer, not "
				             "one you refer out", t->v[i].text);
			gr_strv_push(&p->pub.services, t->v[i].text);
		}
	} else {
		gr_conf_error(c, d, t->v[0].col, "unknown partner field '%s' "
		              "(email, org, phone, serves)", k);
	}
}

/* "partner "Full Name"", or with the address after the name as in a From
 * line: "partner "Full Name" <jo@x.example>" (or without the brackets). */
static void
partner_head(owner_partner *p, gr_toks *t)
{
	size_t n = t->n;

	if (n >= 3 && addr_token(t->v[n - 1].text)) {
		p->pub.email = gr_strdup(t->v[n - 1].text);
		if (p->pub.email)
			gr_str_lower(p->pub.email);
		t->n = n - 1;   /* the name is the words before it */
	}
	p->pub.name = join_toks(t, 1);
	t->n = n;
}

static void
partner_end(const owner_partner *p, gr_conf *c, gr_diags *d)
{
	if (p && !p->pub.email)
		gr_diag_add(d, gr_conf_path(c), p->line, 1, "partner '%s' has "
		            "no email address: add an indented line 'email "
		            "ADDRESS' under it, or write 'partner \"Name\" "
		            "ADDRESS'", p->pub.name);
}

void
gr_owner_parse_partners(gr_owner *o, gr_conf *c, gr_diags *d)
{
	const char *line;
	int indent;
	long cur = -1;

	while (gr_conf_next(c, &line, &indent) == GR_OK) {
		gr_toks t = { 0 };

		if (gr_conf_split(c, line, &t, d) != GR_OK || t.n == 0) {
			gr_toks_free(&t);
			continue;
		}
		if (indent == 0) {
			owner_partner *nv;

			partner_end(cur >= 0 ? &o->partners[cur] : NULL, c, d);
			cur = -1;
			if (strcmp(t.v[0].text, "partner") != 0 || t.n < 2) {
				gr_conf_error(c, d, t.v[0].col, "want 'partner "
				              "\"Name\"', not '%s'", t.v[0].text);
				gr_toks_free(&t);
				continue;
			}
			nv = realloc(o->partners,
			             (o->npartners + 1) * sizeof *nv);
			if (nv) {
				o->partners = nv;
				memset(&nv[o->npartners], 0, sizeof *nv);
				partner_head(&nv[o->npartners], &t);
				nv[o->npartners].line = gr_conf_lineno(c);
				cur = (long)o->npartners++;
			}
		} else if (cur < 0) {
			gr_conf_error(c, d, t.v[0].col, "indented line outside "
			              "a partner block");
		} else {
			partner_field(o, &o->partners[cur], c, d, &t);
		}
		gr_toks_free(&t);
	}
	partner_end(cur >= 0 ? &o->partners[cur] : NULL, c, d);
}

/* --- contacts ----------------------------------------------------------- */

static void
contacts_line(gr_owner *o, gr_conf *c, gr_diags *d, const gr_toks *t)
{
	for (size_t i = 0; i < t->n; i++) {
		gr_tok_strip_comma(&t->v[i]);
		if (!strchr(t->v[i].text, '@')) {
			gr_conf_error(c, d, t->v[i].col, "'%s' is not an "
			              "address", t->v[i].text);
			continue;
		}
		gr_str_lower(t->v[i].text);
		gr_strv_push(&o->contacts, t->v[i].text);
	}
}

void
gr_owner_parse_contacts(gr_owner *o, gr_conf *c, gr_diags *d)
{
	const char *line;
	int indent;

	while (gr_conf_next(c, &line, &indent) == GR_OK) {
		gr_toks t = { 0 };

		if (gr_conf_split(c, line, &t, d) == GR_OK)
			contacts_line(o, c, d, &t);
		gr_toks_free(&t);
	}
}

/* --- the owner ---------------------------------------------------------- */

gr_status
gr_owner_new(gr_owner **out)
{
	gr_owner *o = calloc(1, sizeof *o);

	*out = o;
	if (!o)
		return GR_E_NOMEM;
	for (int i = 0; i < 7; i++)
		o->profile.week[i].open = o->profile.week[i].close = -1;
	return GR_OK;
}

void
gr_owner_free(gr_owner *o)
{
	if (!o)
		return;
	profile_free(&o->profile);
	for (size_t i = 0; i < o->nsvcs; i++) {
		free(o->svcs[i].pub.key);
		free(o->svcs[i].pub.label);
		gr_strv_free(&o->svcs[i].pub.say);
		for (size_t j = 0; j < o->svcs[i].npats; j++)
			gr_pattern_free(o->svcs[i].pats[j]);
		free(o->svcs[i].pats);
		free(o->svcs[i].folded);
		gr_strv_free(&o->svcs[i].stems);
	}
	free(o->svcs);
	for (size_t i = 0; i < o->npartners; i++) {
		free(o->partners[i].pub.name);
		free(o->partners[i].pub.org);
		free(o->partners[i].pub.email);
		free(o->partners[i].pub.phone);
		gr_strv_free(&o->partners[i].pub.services);
	}
	free(o->partners);
	gr_strv_free(&o->contacts);
	gr_scanner_free(o->scanner);
	free(o->lkeys);
	free(o->lvals);
	free(o);
}

const gr_profile *
gr_owner_profile(const gr_owner *o)
{
	return &o->profile;
}

int
gr_owner_is_owner(const gr_owner *o, const char *addr)
{
	return addr && gr_strv_contains_ci(&o->profile.emails, addr);
}

int
gr_owner_is_contact(const gr_owner *o, const char *addr)
{
	return addr && gr_strv_contains_ci(&o->contacts, addr);
}

size_t
gr_owner_n_services(const gr_owner *o)
{
	return o->nsvcs;
}

int
gr_owner_services_ascii(const gr_owner *o)
{
	return !o->phrases_nonascii;
}

const gr_service *
gr_owner_service(const gr_owner *o, size_t i)
{
	return i < o->nsvcs ? &o->svcs[i].pub : NULL;
}

const gr_service *
gr_owner_service_by_key(const gr_owner *o, const char *key)
{
	for (size_t i = 0; key && i < o->nsvcs; i++)
		if (strcmp(o->svcs[i].pub.key, key) == 0)
			return &o->svcs[i].pub;
	return NULL;
}

int
gr_owner_service_hits(const gr_owner *o, size_t i, const char *text,
                      const char *folded, gr_matcher *mm)
{
	int n = 0;

	gr_matcher_pin(mm);     /* text and folded: one scan each */
	for (size_t j = 0; i < o->nsvcs && j < o->svcs[i].npats; j++)
		n += gr_pattern_match(o->svcs[i].pats[j],
		                      o->svcs[i].folded[j] && folded ? folded :
		                      text, mm, NULL, NULL);
	gr_matcher_unpin(mm);
	return n;
}

int
gr_owner_service_excerpt(const gr_owner *o, size_t i, const char *text,
                         const char *folded, gr_matcher *mm, char *buf,
                         size_t len)
{
	size_t so, eo;
	int hit = 0;

	gr_matcher_pin(mm);
	for (size_t j = 0; i < o->nsvcs && j < o->svcs[i].npats && !hit;
	     j++) {
		const char *t = o->svcs[i].folded[j] && folded ? folded : text;

		if (gr_pattern_match(o->svcs[i].pats[j], t, mm, &so, &eo) > 0) {
			snprintf(buf, len, "%.*s", (int)(eo - so), t + so);
			hit = 1;
		}
	}
	gr_matcher_unpin(mm);
	return hit;
}

size_t
gr_owner_n_partners(const gr_owner *o)
{
	return o->npartners;
}

const gr_partner *
gr_owner_partner(const gr_owner *o, size_t i)
{
	return i < o->npartners ? &o->partners[i].pub : NULL;
}

const gr_partner *
gr_owner_partner_for(const gr_owner *o, const char *key)
{
	for (size_t i = 0; key && i < o->npartners; i++)
		if (o->partners[i].pub.email &&
		    gr_strv_contains_ci(&o->partners[i].pub.services, key))
			return &o->partners[i].pub;
	return NULL;
}

const gr_partner *
gr_owner_partner_by_addr(const gr_owner *o, const char *addr)
{
	for (size_t i = 0; addr && i < o->npartners; i++)
		if (o->partners[i].pub.email &&
		    gr_strcaseeq(o->partners[i].pub.email, addr))
			return &o->partners[i].pub;
	return NULL;
}

int
gr_owner_hours_ok(const char *days, const char *spans)
{
	int open[GR_HOURS_MAX], close[GR_HOURS_MAX], n;

	if (!days || !spans || !parse_days(days))
		return 0;
	if (strcmp(spans, "closed") == 0)
		return 1;
	if (parse_spans(spans, open, close, &n) < 0)
		return 0;
	for (int i = 0; i < n; i++)     /* one line's ranges never overlap */
		for (int k = i + 1; k < n; k++)
			if (open[i] < close[k] && open[k] < close[i])
				return 0;
	return 1;
}

/* Edits (insert, delete, replace) from a to b, case-insensitively; at
 * most cap + 1. */
static size_t
edits(const char *a, const char *b, size_t cap)
{
	size_t la = strlen(a), lb = strlen(b), row[64], prev, t;

	if (la >= 63 || lb >= 63)
		return cap + 1;
	if ((la > lb ? la - lb : lb - la) > cap)
		return cap + 1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			t = row[j];
			row[j] = prev + (tolower((unsigned char)a[i - 1]) !=
			                 tolower((unsigned char)b[j - 1]));
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (t + 1 < row[j])
				row[j] = t + 1;
			prev = t;
		}
	}
	return row[lb];
}

const char *
gr_owner_timezone_guess(const char *tz, char *buf, size_t len)
{
	icalarray *zones = icaltimezone_get_builtin_timezones();
	char want[64];
	const char *best = NULL, *w;
	size_t bestd = 3, n;

	if (!tz || !zones || strlen(tz) >= sizeof want)
		return NULL;
	/* "toronto", "New York", "america/toronto": the city's zone */
	for (n = 0; tz[n]; n++)
		want[n] = tz[n] == ' ' ? '_' : tz[n];
	want[n] = '\0';
	w = strrchr(want, '/') ? strrchr(want, '/') + 1 : want;
	for (size_t i = 0; i < zones->num_elements; i++) {
		icaltimezone *z = icalarray_element_at(zones, i);
		const char *loc = z ? icaltimezone_get_location(z) : NULL;
		const char *city = loc && strrchr(loc, '/') ?
		                   strrchr(loc, '/') + 1 : loc;
		size_t d;

		if (!loc)
			continue;
		if (strcasecmp(loc, want) == 0) {
			best = loc;
			break;
		}
		/* the city alone, or a typo: two edits in a name of five
		 * letters or more */
		d = strcasecmp(city, w) == 0 ? 0 :
		    edits(strchr(want, '/') ? want : w,
		          strchr(want, '/') ? loc : city, 2);
		if ((d == 0 || strlen(w) >= 5) && d < bestd) {
			bestd = d;
			best = loc;
		}
	}
	if (!best)
		return NULL;
	snprintf(buf, len, "%s", best);
	return buf;
}

int
gr_owner_timezone_ok(const char *tz)
{
	return tz && *tz && icaltimezone_get_builtin_timezone(tz) != NULL;
}
