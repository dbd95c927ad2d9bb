/* SPDX-License-Identifier: MIT */
/*
 * profile.c - the owner's "profile", "services" and "partners" files of a
 * rules directory (gravity-rules(5)).  Time zones are IANA names checked
 * against libical's built-in zones (tzdata); dates are ISO 8601 (RFC 3339
 * full-date).
 */
#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>

#include "gravity/buf.h"
#include "rules_priv.h"

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

/* "HH:MM" -> minutes, or -1. */
static int
parse_hhmm(const char *s, size_t n)
{
	int h, m;

	if (n != 5 || s[2] != ':')
		return -1;
	for (size_t i = 0; i < 5; i++)
		if (i != 2 && (s[i] < '0' || s[i] > '9'))
			return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 24 || m > 59 || (h == 24 && m != 0))
		return -1;
	return h * 60 + m;
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

static void
profile_hours(gr_rules *r, gr_conf *c, gr_diags *d, const gr_toks *t)
{
	unsigned days;
	int open = -1, close = -1;

	if (t->n != 3) {
		gr_conf_error(c, d, t->v[0].col,
		              "hours wants DAYS HH:MM-HH:MM (e.g. hours mon-fri "
		              "09:00-18:00) or DAYS closed");
		return;
	}
	days = parse_days(t->v[1].text);
	if (!days) {
		gr_conf_error(c, d, t->v[1].col, "bad day range '%s' (use "
		              "mon..sun, a-b or a,b)", t->v[1].text);
		return;
	}
	if (strcmp(t->v[2].text, "closed") != 0) {
		const char *dash = strchr(t->v[2].text, '-');

		if (dash) {
			open = parse_hhmm(t->v[2].text,
			                  (size_t)(dash - t->v[2].text));
			close = parse_hhmm(dash + 1, strlen(dash + 1));
		}
		if (open < 0 || close < 0 || close <= open) {
			gr_conf_error(c, d, t->v[2].col, "bad hours '%s' (want "
			              "HH:MM-HH:MM, opening before closing)",
			              t->v[2].text);
			return;
		}
	}
	for (int i = 0; i < 7; i++) {
		if (days & (1u << i)) {
			r->profile.week[i].open = open;
			r->profile.week[i].close = close;
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

static void
set_str(char **dst, char *val)
{
	free(*dst);
	*dst = val;
}

static void
profile_line(gr_rules *r, gr_conf *c, gr_diags *d, const gr_toks *t,
             int *in_sig)
{
	const char *k = t->v[0].text;
	gr_profile *p = &r->profile;

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
			if (!valid_email(t->v[i].text)) {
				gr_conf_error(c, d, t->v[i].col, "bad address "
				              "'%s'", t->v[i].text);
				continue;
			}
			gr_str_lower(t->v[i].text);
			gr_strv_push(&p->emails, t->v[i].text);
		}
	} else if (strcmp(k, "timezone") == 0) {
		if (t->n != 2 ||
		    !icaltimezone_get_builtin_timezone(t->v[1].text))
			gr_conf_error(c, d, t->v[1].col, "unknown time zone '%s' "
			              "(want an IANA name such as "
			              "Europe/Berlin)", t->v[1].text);
		else
			set_str(&p->timezone, gr_strdup(t->v[1].text));
	} else if (strcmp(k, "hours") == 0) {
		profile_hours(r, c, d, t);
	} else if (strcmp(k, "holiday") == 0) {
		for (size_t i = 1; i < t->n; i++) {
			if (!valid_date(t->v[i].text))
				gr_conf_error(c, d, t->v[i].col, "bad date '%s' "
				              "(want YYYY-MM-DD)", t->v[i].text);
			else
				gr_strv_push(&p->holidays, t->v[i].text);
		}
	} else if (strcmp(k, "signature") == 0) {
		set_str(&p->signature, t->n > 1 ? join_toks(t, 1) : NULL);
		*in_sig = 1;
	} else {
		gr_conf_error(c, d, t->v[0].col, "unknown profile keyword '%s' "
		              "(name, org, email, timezone, hours, holiday, "
		              "signature)", k);
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
gr_profile_parse(gr_rules *r, gr_conf *c, gr_diags *d)
{
	const char *line;
	int indent, in_sig = 0;

	while (gr_conf_next(c, &line, &indent) == GR_OK) {
		gr_toks t = { 0 };

		if (indent > 0 && in_sig) {
			sig_append(&r->profile, line);
			continue;
		}
		if (indent > 0) {
			gr_conf_error(c, d, (unsigned)indent + 1, "unexpected "
			              "indented line (only 'signature' takes "
			              "continuation lines)");
			continue;
		}
		if (gr_conf_split(c, line, &t, d) == GR_OK && t.n > 0)
			profile_line(r, c, d, &t, &in_sig);
		gr_toks_free(&t);
	}
}

void
gr_profile_free(gr_profile *p)
{
	free(p->name);
	free(p->org);
	free(p->timezone);
	free(p->signature);
	gr_strv_free(&p->emails);
	gr_strv_free(&p->holidays);
	memset(p, 0, sizeof *p);
}

/* --- services ----------------------------------------------------------- */

static gr_svc *
svc_new(gr_rules *r)
{
	gr_svc *nv = realloc(r->svcs, (r->nsvcs + 1) * sizeof *nv);

	if (!nv)
		return NULL;
	r->svcs = nv;
	memset(&nv[r->nsvcs], 0, sizeof *nv);
	return &nv[r->nsvcs++];
}

static void
svc_phrases(gr_rules *r, gr_svc *s, gr_conf *c, gr_diags *d,
            const gr_toks *t, size_t from)
{
	for (size_t i = from; i < t->n; i++) {
		gr_tok *k = &t->v[i];
		pcre2_code *re, **nv;
		char *pat;

		(void)r;
		gr_tok_strip_comma(k);
		if (!*k->text)
			continue;
		if (k->regex) {
			re = gr_re_compile_at(c, d, k->col, k->text,
			                      k->flags);
		} else {
			pat = gr_phrase_pattern(k->text);
			re = pat ? gr_re_compile_at(c, d, k->col, pat, "") :
			     NULL;
			free(pat);
		}
		if (!re)
			continue;
		nv = realloc(s->pats, (s->npats + 1) * sizeof *nv);
		if (!nv) {
			pcre2_code_free(re);
			return;
		}
		s->pats = nv;
		s->pats[s->npats++] = re;
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

static gr_svc *
svc_head(gr_rules *r, gr_conf *c, gr_diags *d, const gr_toks *t)
{
	const char *k = t->v[0].text;
	gr_svc *s;

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
	if (gr_rules_service_by_key(r, t->v[1].text)) {
		gr_conf_error(c, d, t->v[1].col, "duplicate service '%s'",
		              t->v[1].text);
		return NULL;
	}
	s = svc_new(r);
	if (!s)
		return NULL;
	s->pub.key = gr_strdup(t->v[1].text);
	s->pub.label = t->n > 2 ? join_toks(t, 2) : gr_strdup(t->v[1].text);
	s->pub.offered = k[0] == 'o';
	s->line = gr_conf_lineno(c);
	return s;
}

void
gr_services_parse(gr_rules *r, gr_conf *c, gr_diags *d)
{
	const char *line;
	int indent;
	gr_svc *cur = NULL;
	size_t curi = 0;
	int in_phrases = 0;

	while (gr_conf_next(c, &line, &indent) == GR_OK) {
		gr_toks t = { 0 };

		if (gr_conf_split(c, line, &t, d) != GR_OK || t.n == 0) {
			gr_toks_free(&t);
			continue;
		}
		if (indent == 0) {
			cur = svc_head(r, c, d, &t);
			curi = r->nsvcs - 1;
			in_phrases = 0;
		} else if (!cur) {
			gr_conf_error(c, d, t.v[0].col, "indented line outside "
			              "an offer/refer block");
		} else if (strcmp(t.v[0].text, "phrases") == 0 &&
		           !t.v[0].quoted) {
			svc_phrases(r, &r->svcs[curi], c, d, &t, 1);
			in_phrases = 1;
		} else if (in_phrases) {
			svc_phrases(r, &r->svcs[curi], c, d, &t, 0);
		} else {
			gr_conf_error(c, d, t.v[0].col, "unknown service field "
			              "'%s' (phrases)", t.v[0].text);
		}
		gr_toks_free(&t);
	}
}

/* --- partners ----------------------------------------------------------- */

static void
partner_field(gr_rules *r, gr_partner_priv *p, gr_conf *c, gr_diags *d,
              const gr_toks *t)
{
	const char *k = t->v[0].text;

	if (t->n < 2) {
		gr_conf_error(c, d, t->v[0].col, "'%s' needs a value", k);
	} else if (strcmp(k, "email") == 0) {
		if (t->n != 2 || !valid_email(t->v[1].text)) {
			gr_conf_error(c, d, t->v[1].col, "bad address '%s'",
			              t->v[1].text);
			return;
		}
		set_str(&p->pub.email, gr_strdup(t->v[1].text));
		gr_str_lower(p->pub.email);
	} else if (strcmp(k, "org") == 0) {
		set_str(&p->pub.org, join_toks(t, 1));
	} else if (strcmp(k, "serves") == 0) {
		for (size_t i = 1; i < t->n; i++) {
			gr_tok_strip_comma(&t->v[i]);
			if (!*t->v[i].text)
				continue;
			if (!gr_rules_service_by_key(r, t->v[i].text))
				gr_conf_error(c, d, t->v[i].col, "partner serves "
				              "unknown service '%s' (not in the "
				              "services file)", t->v[i].text);
			else if (gr_rules_service_by_key(r, t->v[i].text)->offered)
				gr_diag_warn(d, gr_conf_path(c),
				             gr_conf_lineno(c), t->v[i].col,
				             "service '%s' is one you offer, not "
				             "one you refer out", t->v[i].text);
			gr_strv_push(&p->pub.services, t->v[i].text);
		}
	} else {
		gr_conf_error(c, d, t->v[0].col, "unknown partner field '%s' "
		              "(email, org, serves)", k);
	}
}

static void
partner_end(gr_partner_priv *p, gr_diags *d)
{
	if (p && !p->pub.email)
		gr_diag_add(d, p->file, p->line, 1, "partner '%s' has no email "
		            "address", p->pub.name);
}

void
gr_partners_parse(gr_rules *r, gr_conf *c, gr_diags *d)
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
			gr_partner_priv *nv;

			partner_end(cur >= 0 ? &r->partners[cur] : NULL, d);
			cur = -1;
			if (strcmp(t.v[0].text, "partner") != 0 || t.n < 2) {
				gr_conf_error(c, d, t.v[0].col, "want 'partner "
				              "\"Name\"', not '%s'", t.v[0].text);
				gr_toks_free(&t);
				continue;
			}
			nv = realloc(r->partners,
			             (r->npartners + 1) * sizeof *nv);
			if (nv) {
				r->partners = nv;
				memset(&nv[r->npartners], 0, sizeof *nv);
				nv[r->npartners].pub.name = join_toks(&t, 1);
				nv[r->npartners].file =
					gr_rules_intern(r, gr_conf_path(c));
				nv[r->npartners].line = gr_conf_lineno(c);
				cur = (long)r->npartners++;
			}
		} else if (cur < 0) {
			gr_conf_error(c, d, t.v[0].col, "indented line outside "
			              "a partner block");
		} else {
			partner_field(r, &r->partners[cur], c, d, &t);
		}
		gr_toks_free(&t);
	}
	partner_end(cur >= 0 ? &r->partners[cur] : NULL, d);
}
