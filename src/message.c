/* SPDX-License-Identifier: MIT */
/*
 * message.c - parse one mail message: RFC 5322 header fields (unfolding,
 * addresses, dates, msg-ids), RFC 2047 encoded words, MIME structure and
 * transfer encodings (RFC 2045, 2046), charsets to UTF-8, and the choice of
 * the main text.  libetpan does the grammar; this file bounds what libetpan
 * sees (header size, nesting, NUL bytes, boundary parameters that crash
 * libetpan 1.9.4) and what the result may cost.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libetpan/libetpan.h>

#include "gravity/buf.h"
#include "gravity/message.h"
#include "gravity/pattern.h"
#include "gravity/util.h"
#include "html.h"
#include "msgtext.h"

#define MSGID_MAX       998     /* RFC 5322 line length */
#define REFS_MAX        1000

void
gr_parse_limits_default(gr_parse_limits *l)
{
	l->max_raw = (size_t)64 << 20;
	l->max_header = GR_PARSE_MAX_HEADER;
	l->max_text = (size_t)256 << 10;
	l->max_parts = 1000;
	l->max_depth = 32;
	l->max_addrs = 1000;
}

static const uint16_t cp1252_hi[32] = {
	0x20ac, 0xfffd, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0xfffd, 0x017d, 0xfffd,
	0xfffd, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0xfffd, 0x017e, 0x0178,
};

/* windows-1252 (a superset of ISO-8859-1's printable range) to UTF-8,
 * the fallback for text that is not valid in its declared charset.  NULL
 * only on ENOMEM. */
static char *
cp1252_to_utf8(const char *s, size_t len, size_t *outlen)
{
	size_t i, o = 0;
	unsigned char c;
	uint32_t cp;
	char *out;

	if (len > (SIZE_MAX - 1) / 3)
		return NULL;
	out = malloc(len * 3 + 1);
	if (!out)
		return NULL;
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == 0)
			cp = 0xfffd;
		else if (c >= 0x80 && c < 0xa0)
			cp = cp1252_hi[c - 0x80];
		else
			cp = c;
		o += gr_utf8_put(out + o, cp);
	}
	out[o] = '\0';
	if (outlen)
		*outlen = o;
	return out;
}

/* A raw header field: name and unfolded, undecoded value. */
struct rawhdr {
	char *name;
	char *value;
};

struct ctx {
	const gr_parse_limits *lim;
	gr_message *m;
	char *work;             /* NUL-free copy of the input */
	size_t wlen;
	size_t body;            /* offset of the body in work */
	struct rawhdr *rh;
	size_t nrh;
};

/* --- header block -------------------------------------------------------- */

static int
is_ftext(unsigned char c)
{
	return c > 32 && c < 127 && c != ':';
}

int
gr_message_field_line(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && is_ftext((unsigned char)s[i]))
		i++;
	if (i == 0)
		return 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i < n && s[i] == ':';
}

static size_t
line_end(const char *s, size_t n, size_t i)
{
	const char *e = memchr(s + i, '\n', n - i);

	return e ? (size_t)(e - s) + 1 : n;
}

static gr_status
push_rawhdr(struct ctx *c, const char *s, size_t n)
{
	size_t k = 0, i, o = 0;
	struct rawhdr *nr;
	char *v;

	while (k < n && s[k] != ':')
		k++;
	nr = realloc(c->rh, (c->nrh + 1) * sizeof *nr);
	if (!nr)
		return GR_E_NOMEM;
	c->rh = nr;
	v = malloc(n - k + 1);
	nr[c->nrh].name = gr_strndup(s, k);
	nr[c->nrh].value = v;
	if (!v || !nr[c->nrh].name) {
		free(v);
		free(nr[c->nrh].name);
		return GR_E_NOMEM;
	}
	c->nrh++;
	/* unfold the value, trim the name's trailing blanks */
	for (i = k + 1; i < n; i++)
		if (s[i] != '\r' && s[i] != '\n')
			v[o++] = s[i];
	v[o] = '\0';
	memmove(v, gr_str_trim(v), strlen(gr_str_trim(v)) + 1);
	while (k && (nr[c->nrh - 1].name[k - 1] == ' ' ||
	       nr[c->nrh - 1].name[k - 1] == '\t'))
		nr[c->nrh - 1].name[--k] = '\0';
	return GR_OK;
}

/* Split the header block at c->work + off into raw fields and find the
 * body.  Fails with GR_E_LIMIT past lim->max_header. */
static gr_status
scan_headers(struct ctx *c, size_t off, gr_error *err)
{
	const char *s = c->work;
	size_t n = c->wlen, i = off, start = off, e;
	gr_status st;

	while (i < n) {
		if (i - off > c->lim->max_header)
			break;
		e = line_end(s, n, i);
		if (s[i] == '\n' || (s[i] == '\r' && i + 1 < n &&
		    s[i + 1] == '\n')) {
			c->body = e;
			goto done;
		}
		if (i > start && (s[i] == ' ' || s[i] == '\t')) {
			i = e;
			continue;
		}
		if (i > start) {
			st = push_rawhdr(c, s + start, i - start);
			if (st != GR_OK)
				return st;
		}
		if (!gr_message_field_line(s + i, e - i)) {
			c->body = i;
			return GR_OK;
		}
		start = i;
		i = e;
	}
	if (i - off > c->lim->max_header)
		return gr_error_set(err, GR_E_LIMIT,
		    "message header block exceeds the %zu-byte limit",
		    c->lim->max_header);
	c->body = n;
done:
	if (i > start)
		return push_rawhdr(c, s + start, i - start);
	return GR_OK;
}

/* --- decoding -------------------------------------------------------------- */

static int
has_8bit_or_ew(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80 || (s[0] == '=' && s[1] == '?'))
			return 1;
	return 0;
}

/* RFC 2047 decode s to valid UTF-8.  NULL only on ENOMEM. */
static char *
decode_words(const char *s)
{
	size_t len = strlen(s), idx = 0;
	const char *from;
	char *res = NULL, *out;

	if (!has_8bit_or_ew(s))
		return gr_strdup(s);
	from = gr_utf8_valid(s, len) ? "utf-8" : "windows-1252";
	if (mailmime_encoded_phrase_parse(from, s, len, &idx, "utf-8",
	    &res) != MAILIMF_NO_ERROR || !res) {
		free(res);
		if (gr_utf8_valid(s, len))
			return gr_strdup(s);
		return cp1252_to_utf8(s, len, NULL);
	}
	out = gr_utf8_sanitize(res, strlen(res), NULL);
	free(res);
	return out;
}

static gr_status
decode_headers(struct ctx *c)
{
	gr_message *m = c->m;
	size_t i;

	if (!c->nrh)
		return GR_OK;
	m->headers = calloc(c->nrh, sizeof *m->headers);
	if (!m->headers)
		return GR_E_NOMEM;
	for (i = 0; i < c->nrh; i++) {
		gr_header *h = &m->headers[m->n_headers];
		h->name = gr_utf8_sanitize(c->rh[i].name, strlen(c->rh[i].name),
		                           NULL);
		h->value = decode_words(c->rh[i].value);
		m->n_headers++;
		if (!h->name || !h->value)
			return GR_E_NOMEM;
	}
	return GR_OK;
}

static const char *
raw_header(const struct ctx *c, const char *name)
{
	for (size_t i = 0; i < c->nrh; i++)
		if (gr_strcaseeq(c->rh[i].name, name))
			return c->rh[i].value;
	return NULL;
}

/* --- addresses ------------------------------------------------------------- */

static int
addr_valid(const char *a)
{
	const char *at = strchr(a, '@');

	if (!at || at == a || !at[1] || strchr(at + 1, '@'))
		return 0;
	for (; *a; a++)
		if (*a == '<' || *a == '>' || *a == ' ' || *a == '\t' ||
		    (unsigned char)*a < 32)
			return 0;
	return 1;
}

static gr_status
set_addr(gr_addr *a, const char *name, const char *spec)
{
	a->name = NULL;
	a->addr = NULL;
	if (name && *name) {
		a->name = decode_words(name);
		if (!a->name)
			return GR_E_NOMEM;
		memmove(a->name, gr_str_trim(a->name),
		        strlen(gr_str_trim(a->name)) + 1);
	}
	if (spec && addr_valid(spec)) {
		a->addr = gr_utf8_sanitize(spec, strlen(spec), NULL);
		if (!a->addr)
			return GR_E_NOMEM;
		gr_str_lower(a->addr);
	}
	return GR_OK;
}

static gr_status
list_add(struct ctx *c, gr_addrlist *l, const struct mailimf_mailbox *mb)
{
	gr_addr *nv;

	if (l->n >= c->lim->max_addrs)
		return GR_OK;
	nv = realloc(l->v, (l->n + 1) * sizeof *nv);
	if (!nv)
		return GR_E_NOMEM;
	l->v = nv;
	l->n++;
	return set_addr(&nv[l->n - 1], mb->mb_display_name, mb->mb_addr_spec);
}

static gr_status
list_add_mailboxes(struct ctx *c, gr_addrlist *l,
                   const struct mailimf_mailbox_list *ml)
{
	clistiter *it;
	gr_status st;

	if (!ml || !ml->mb_list)
		return GR_OK;
	for (it = clist_begin(ml->mb_list); it; it = clist_next(it)) {
		st = list_add(c, l, clist_content(it));
		if (st != GR_OK)
			return st;
	}
	return GR_OK;
}

/* Last resort for an unparseable list: the first token holding an '@'. */
static gr_status
fallback_addr(struct ctx *c, gr_addrlist *l, const char *v)
{
	struct mailimf_mailbox mb = { NULL, NULL };
	const char *at = strchr(v, '@'), *b, *e;
	char *tok;
	gr_status st;

	if (!at)
		return GR_OK;
	for (b = at; b > v && !strchr(" \t<,;\"(", b[-1]); b--)
		;
	for (e = at; *e && !strchr(" \t>,;\")", *e); e++)
		;
	tok = gr_strndup(b, (size_t)(e - b));
	if (!tok)
		return GR_E_NOMEM;
	mb.mb_addr_spec = tok;
	st = list_add(c, l, &mb);
	free(tok);
	return st;
}

static gr_status
parse_addrlist(struct ctx *c, const char *name, gr_addrlist *l)
{
	const char *v = raw_header(c, name);
	struct mailimf_address_list *al = NULL;
	size_t idx = 0;
	clistiter *it;
	gr_status st = GR_OK;

	if (!v || !*v)
		return GR_OK;
	if (mailimf_address_list_parse(v, strlen(v), &idx, &al) !=
	    MAILIMF_NO_ERROR || !al)
		return fallback_addr(c, l, v);
	for (it = clist_begin(al->ad_list); it && st == GR_OK;
	     it = clist_next(it)) {
		struct mailimf_address *a = clist_content(it);
		if (a->ad_type == MAILIMF_ADDRESS_MAILBOX && a->ad_data.ad_mailbox)
			st = list_add(c, l, a->ad_data.ad_mailbox);
		else if (a->ad_type == MAILIMF_ADDRESS_GROUP &&
		         a->ad_data.ad_group)
			st = list_add_mailboxes(c, l,
			                        a->ad_data.ad_group->grp_mb_list);
	}
	mailimf_address_list_free(al);
	return st;
}

/* The first mailbox of a header into *a. */
static gr_status
parse_first(struct ctx *c, const char *name, gr_addr *a)
{
	gr_addrlist l = { NULL, 0 };
	gr_status st = parse_addrlist(c, name, &l);

	if (st == GR_OK && l.n) {
		*a = l.v[0];
		l.v[0].name = l.v[0].addr = NULL;
	}
	for (size_t i = 0; i < l.n; i++) {
		free(l.v[i].name);
		free(l.v[i].addr);
	}
	free(l.v);
	return st;
}

/* --- dates and message ids ------------------------------------------------- */

static time_t
parse_date(const char *v)
{
	struct mailimf_date_time *dt = NULL;
	struct tm tm;
	size_t idx = 0;
	time_t t = 0;
	int z, off;

	if (!v || mailimf_date_time_parse(v, strlen(v), &idx, &dt) !=
	    MAILIMF_NO_ERROR || !dt)
		return 0;
	if (dt->dt_year < 1970 || dt->dt_year > 9999 || dt->dt_month < 1 ||
	    dt->dt_month > 12 || dt->dt_day < 1 || dt->dt_day > 31 ||
	    dt->dt_hour < 0 || dt->dt_hour > 23 || dt->dt_min < 0 ||
	    dt->dt_min > 59 || dt->dt_sec < 0 || dt->dt_sec > 60 ||
	    dt->dt_zone < -9959 || dt->dt_zone > 9959)
		goto out;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = dt->dt_year - 1900;
	tm.tm_mon = dt->dt_month - 1;
	tm.tm_mday = dt->dt_day;
	tm.tm_hour = dt->dt_hour;
	tm.tm_min = dt->dt_min;
	tm.tm_sec = dt->dt_sec;
	t = timegm(&tm);
	if (t == (time_t)-1) {
		t = 0;
		goto out;
	}
	z = dt->dt_zone < 0 ? -dt->dt_zone : dt->dt_zone;
	off = (z / 100) * 3600 + (z % 100) * 60;
	t -= dt->dt_zone < 0 ? -off : off;
	if (t < 0)
		t = 0;
out:
	mailimf_date_time_free(dt);
	return t;
}

/* Next msg-id in *p: "<x>" without brackets, else a bare token.  Returns
 * NULL at the end (and *nomem on ENOMEM). */
static char *
next_msgid(const char **p, int *nomem)
{
	const char *s = *p, *b, *e;
	char *id;

	while (*s == ' ' || *s == '\t' || *s == ',')
		s++;
	if (!*s)
		return NULL;
	if (*s == '<') {
		b = s + 1;
		e = strchr(b, '>');
		if (!e)
			e = b + strcspn(b, " \t<");
		*p = *e == '>' ? e + 1 : e;
	} else {
		b = s;
		e = b + strcspn(b, " \t<,");
		*p = e;
	}
	while (b < e && (*b == ' ' || *b == '\t'))
		b++;
	while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (e == b || e - b > MSGID_MAX)
		return next_msgid(p, nomem);
	id = gr_utf8_sanitize(b, (size_t)(e - b), NULL);
	if (!id)
		*nomem = 1;
	return id;
}

/* The message's own Message-ID: the msg-id inside "<...>" when that is the
 * whole field, else the field verbatim (blanks and folds as one space), so
 * that malformed ones ("<a> junk <b@x>") stay as distinct as they came.
 * One longer than MSGID_MAX keeps its start and, after a '~', 16 hex
 * digits of the SHA-256 of the whole.  NULL for an empty field. */
static char *
own_msgid(const char *v, int *nomem)
{
	gr_buf b;
	char *id = NULL;
	size_t n;

	gr_buf_init(&b, (size_t)MSGID_MAX * 4);
	for (; *v; v++) {
		int blank = *v == ' ' || *v == '\t' || *v == '\r' || *v == '\n';

		if (blank && (b.len == 0 || b.data[b.len - 1] == ' '))
			continue;
		if (gr_buf_addc(&b, blank ? ' ' : *v) != GR_OK) {
			*nomem = b.len < (size_t)MSGID_MAX * 4;
			break;
		}
	}
	while (b.len && b.data[b.len - 1] == ' ')
		b.len--;
	n = b.len;
	if (n > 2 && b.data[0] == '<' && b.data[n - 1] == '>' &&
	    !memchr(b.data + 1, '<', n - 2) && !memchr(b.data + 1, '>', n - 2) &&
	    !memchr(b.data + 1, ' ', n - 2)) {
		id = gr_utf8_sanitize(b.data + 1, n - 2, NULL);
	} else if (n > MSGID_MAX) {
		char hex[65], *cut;
		size_t k = gr_utf8_cut(b.data, MSGID_MAX - 17);

		gr_sha256_hex(b.data, n, hex);
		if ((cut = gr_utf8_sanitize(b.data, k, NULL)) &&
		    asprintf(&id, "%s~%.16s", cut, hex) < 0)
			id = NULL;
		free(cut);
	} else if (n) {
		id = gr_utf8_sanitize(b.data, n, NULL);
	}
	if (n && !id)
		*nomem = 1;
	gr_buf_free(&b);
	return id;
}

static gr_status
parse_ids(struct ctx *c)
{
	gr_message *m = c->m;
	const char *p;
	char *id;
	int nomem = 0;

	if ((p = raw_header(c, "Message-ID")) != NULL)
		m->message_id = own_msgid(p, &nomem);
	if ((p = raw_header(c, "In-Reply-To")) != NULL) {
		/* prefer a bracketed id: "In-Reply-To: Bob's message <x@y>" */
		const char *lt = strchr(p, '<');
		if (lt)
			p = lt;
		m->in_reply_to = next_msgid(&p, &nomem);
	}
	if ((p = raw_header(c, "References")) != NULL) {
		while (m->references.n < REFS_MAX &&
		       (id = next_msgid(&p, &nomem)) != NULL)
			if (gr_strv_push_owned(&m->references, id) != GR_OK)
				return GR_E_NOMEM;
	}
	return nomem ? GR_E_NOMEM : GR_OK;
}

static int
subject_prefix(const char *s, const char *const *set)
{
	while (*s == ' ' || *s == '\t' || *s == '[')
		s++;
	for (; *set; set++)
		if (gr_startswith_ci(s, *set))
			return 1;
	return 0;
}

static const char *const re_prefixes[] = {
	"re:", "re :", "aw:", "sv:", "antw:", "r\xc3\xa9" "f:", "ref:", "vs:",
	"odp:", "res:", NULL
};
static const char *const fwd_prefixes[] = {
	"fwd:", "fw:", "fwd :", "wg:", "tr:", "enc:", "rv:", "i:", NULL
};

static gr_status
parse_fields(struct ctx *c)
{
	gr_message *m = c->m;
	const char *subj;
	gr_status st;

	if ((st = parse_first(c, "From", &m->from)) != GR_OK ||
	    (st = parse_first(c, "Sender", &m->sender)) != GR_OK ||
	    (st = parse_addrlist(c, "Reply-To", &m->reply_to)) != GR_OK ||
	    (st = parse_addrlist(c, "To", &m->to)) != GR_OK ||
	    (st = parse_addrlist(c, "Cc", &m->cc)) != GR_OK ||
	    (st = parse_addrlist(c, "Bcc", &m->bcc)) != GR_OK ||
	    (st = parse_ids(c)) != GR_OK)
		return st;
	subj = gr_message_header(m, "Subject");
	free(m->subject);
	m->subject = gr_strdup(subj ? subj : "");
	if (!m->subject)
		return GR_E_NOMEM;
	m->date = parse_date(raw_header(c, "Date"));
	if (m->in_reply_to || m->references.n ||
	    subject_prefix(m->subject, re_prefixes))
		m->flags |= GR_MSG_IS_REPLY;
	if (subject_prefix(m->subject, fwd_prefixes))
		m->flags |= GR_MSG_IS_FORWARD;
	return GR_OK;
}

/* --- guards against libetpan 1.9.4 crashes --------------------------------- */

/* Length of the boundary value at s (after '='): *bad set when libetpan
 * must not see it (empty, quote or backslash inside, unterminated, long). */
static void
check_boundary_value(const char *s, size_t n, int *bad)
{
	size_t i = 0, len = 0;

	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i < n && s[i] == '"') {
		for (i++; i < n && s[i] != '"' && s[i] != '\n'; i++) {
			if (s[i] == '\\') {
				*bad = 1;
				return;
			}
			len++;
		}
		if (i >= n || s[i] != '"')
			*bad = 1;
	} else {
		while (i < n && !strchr(" \t\r\n;\"\\", s[i]))
			i++, len++;
		if (i < n && (s[i] == '"' || s[i] == '\\'))
			*bad = 1;
	}
	if (len == 0 || len > 200)
		*bad = 1;
}

/* The place a "message/rfc822" with its '/' at p would begin in s (n
 * bytes), or n if none does. */
static size_t
rfc822_at(const char *s, size_t n, size_t p)
{
	size_t i = p - 7;

	return p >= 7 && i + 14 <= n &&
	       gr_strncaseeq(s + i, "message/rfc822", 14) ? i : n;
}

/* The place a "boundary" parameter name with its '=' at q (after blanks
 * or none) would begin in s, or n if none does. */
static size_t
boundary_at(const char *s, size_t n, size_t q)
{
	size_t e = q, i;

	while (e > 0 && (s[e - 1] == ' ' || s[e - 1] == '\t'))
		e--;
	i = e - 8;
	return e >= 8 && gr_strncaseeq(s + i, "boundary", 8) ? i : n;
}

/* Neutralise the boundary parameters libetpan would crash on (and any
 * beyond the nesting budget) by renaming them, in the working copy.  Does
 * the same to message/rfc822 types beyond the budget: both nest.  Each
 * '/' and '=' is a place one may end: memchr goes from one to the next,
 * in the order of the text (the budget counts in that order). */
static void
guard_mime(struct ctx *c)
{
	char *s = c->work;
	size_t n = c->wlen, i, j, budget, kept = 0;
	const char *sl = memchr(s, '/', n), *eq = memchr(s, '=', n);

	budget = c->lim->max_parts < 1000 ? c->lim->max_parts : 1000;
	while (sl || eq) {
		int bad = 0;

		if (sl && (!eq || sl < eq)) {
			i = rfc822_at(s, n, (size_t)(sl - s));
			sl = memchr(sl + 1, '/', n - (size_t)(sl + 1 - s));
			if (i < n && ++kept > budget)
				s[i] = 'x';
			continue;
		}
		i = boundary_at(s, n, (size_t)(eq - s));
		eq = memchr(eq + 1, '=', n - (size_t)(eq + 1 - s));
		if (i == n)
			continue;
		/* a parameter: ';' before */
		for (j = i; j > 0 && strchr(" \t\r\n", s[j - 1]); j--)
			;
		if (j == 0 || s[j - 1] != ';')
			continue;
		for (j = i + 8; j < n && (s[j] == ' ' || s[j] == '\t'); j++)
			;
		check_boundary_value(s + j + 1, n - j - 1, &bad);
		if (bad || ++kept > budget)
			s[i] = 'x';
	}
}

/* --- MIME walk -------------------------------------------------------------- */

enum { C_PLAIN, C_HTML, C_MSG_PLAIN, C_MSG_HTML, C_N };

struct walk {
	struct mailmime *cand[C_N];
	size_t nodes;
};

static const char *
type_name(const struct mailmime_content *ct, char *buf, size_t size)
{
	const char *t = "application";
	const struct mailmime_type *ty;

	if (!ct || !ct->ct_type)
		return NULL;
	ty = ct->ct_type;
	if (ty->tp_type == MAILMIME_TYPE_DISCRETE_TYPE &&
	    ty->tp_data.tp_discrete_type) {
		switch (ty->tp_data.tp_discrete_type->dt_type) {
		case MAILMIME_DISCRETE_TYPE_TEXT: t = "text"; break;
		case MAILMIME_DISCRETE_TYPE_IMAGE: t = "image"; break;
		case MAILMIME_DISCRETE_TYPE_AUDIO: t = "audio"; break;
		case MAILMIME_DISCRETE_TYPE_VIDEO: t = "video"; break;
		case MAILMIME_DISCRETE_TYPE_EXTENSION:
			if (ty->tp_data.tp_discrete_type->dt_extension)
				t = ty->tp_data.tp_discrete_type->dt_extension;
			break;
		default: break;
		}
	} else if (ty->tp_type == MAILMIME_TYPE_COMPOSITE_TYPE &&
	           ty->tp_data.tp_composite_type) {
		switch (ty->tp_data.tp_composite_type->ct_type) {
		case MAILMIME_COMPOSITE_TYPE_MESSAGE: t = "message"; break;
		case MAILMIME_COMPOSITE_TYPE_MULTIPART: t = "multipart"; break;
		default:
			if (ty->tp_data.tp_composite_type->ct_token)
				t = ty->tp_data.tp_composite_type->ct_token;
			break;
		}
	}
	snprintf(buf, size, "%s/%s", t, ct->ct_subtype ? ct->ct_subtype : "");
	gr_str_lower(buf);
	return buf;
}

/* 1 if the part is marked as an attachment or carries a file name. */
static int
part_is_attachment(const struct mailmime *mm)
{
	clistiter *it, *pt;

	if (mm->mm_content_type &&
	    mailmime_content_param_get(mm->mm_content_type, "name"))
		return 1;
	if (!mm->mm_mime_fields || !mm->mm_mime_fields->fld_list)
		return 0;
	for (it = clist_begin(mm->mm_mime_fields->fld_list); it;
	     it = clist_next(it)) {
		struct mailmime_field *f = clist_content(it);
		struct mailmime_disposition *d;
		if (f->fld_type != MAILMIME_FIELD_DISPOSITION)
			continue;
		d = f->fld_data.fld_disposition;
		if (!d)
			continue;
		if (d->dsp_type &&
		    d->dsp_type->dsp_type == MAILMIME_DISPOSITION_TYPE_ATTACHMENT)
			return 1;
		for (pt = d->dsp_parms ? clist_begin(d->dsp_parms) : NULL; pt;
		     pt = clist_next(pt)) {
			struct mailmime_disposition_parm *p = clist_content(pt);
			if (p->pa_type == MAILMIME_DISPOSITION_PARM_FILENAME)
				return 1;
		}
	}
	return 0;
}

static void
visit_leaf(struct ctx *c, struct walk *w, struct mailmime *mm, int in_msg)
{
	char tb[128];
	const char *t = type_name(mm->mm_content_type, tb, sizeof tb);
	int att;

	c->m->n_parts++;
	if (!t)
		t = "text/plain";
	if (strcmp(t, "text/calendar") == 0)
		c->m->flags |= GR_MSG_CALENDAR;
	att = part_is_attachment(mm) || strncmp(t, "text/", 5) != 0;
	if (att) {
		c->m->n_attachments++;
		c->m->flags |= GR_MSG_HAS_ATTACHMENT;
		return;
	}
	if (strcmp(t, "text/plain") == 0 && !w->cand[in_msg ? C_MSG_PLAIN : C_PLAIN])
		w->cand[in_msg ? C_MSG_PLAIN : C_PLAIN] = mm;
	else if (strcmp(t, "text/html") == 0 && !w->cand[in_msg ? C_MSG_HTML : C_HTML])
		w->cand[in_msg ? C_MSG_HTML : C_HTML] = mm;
}

struct frame {
	struct mailmime *mm;
	size_t depth;
	int in_msg;
};

static gr_status
walk_mime(struct ctx *c, struct mailmime *root, struct walk *w)
{
	size_t cap = 64, sp = 0;
	struct frame *st = malloc(cap * sizeof *st), f;
	char tb[128];

	if (!st)
		return GR_E_NOMEM;
	st[sp++] = (struct frame){ root, 0, 0 };
	while (sp) {
		f = st[--sp];
		if (!f.mm || f.depth > c->lim->max_depth ||
		    ++w->nodes > c->lim->max_parts)
			continue;
		if (f.mm->mm_type == MAILMIME_SINGLE) {
			visit_leaf(c, w, f.mm, f.in_msg);
			continue;
		}
		if (f.mm->mm_type == MAILMIME_MESSAGE) {
			struct frame ch = { f.mm->mm_data.mm_message.mm_msg_mime,
			                    f.depth + 1, f.in_msg || f.depth > 0 };
			if (f.depth > 0 && part_is_attachment(f.mm)) {
				c->m->n_attachments++;
				c->m->flags |= GR_MSG_HAS_ATTACHMENT;
			}
			st[sp++] = ch;
			continue;
		}
		if (f.mm->mm_type != MAILMIME_MULTIPLE ||
		    !f.mm->mm_data.mm_multipart.mm_mp_list)
			continue;
		if (type_name(f.mm->mm_content_type, tb, sizeof tb) &&
		    strcmp(tb, "multipart/report") == 0)
			c->m->flags |= GR_MSG_REPORT;
		/* push children in reverse, so the first is visited first */
		size_t nch = (size_t)clist_count(f.mm->mm_data.mm_multipart.mm_mp_list);
		if (sp + nch > cap) {
			struct frame *ns;
			while (sp + nch > cap)
				cap *= 2;
			ns = realloc(st, cap * sizeof *ns);
			if (!ns) {
				free(st);
				return GR_E_NOMEM;
			}
			st = ns;
		}
		size_t k = sp + nch;
		for (clistiter *it = clist_begin(f.mm->mm_data.mm_multipart.mm_mp_list);
		     it; it = clist_next(it))
			st[--k] = (struct frame){ clist_content(it), f.depth + 1,
			                          f.in_msg };
		sp += nch;
	}
	free(st);
	return GR_OK;
}

/* --- text of a part -------------------------------------------------------- */

static int
charset_is_utf8ish(const char *cs)
{
	return gr_strcaseeq(cs, "utf-8") || gr_strcaseeq(cs, "utf8") ||
	    gr_strcaseeq(cs, "us-ascii") || gr_strcaseeq(cs, "ascii");
}

/* Bytes in charset cs to valid UTF-8. */
static char *
to_utf8(const char *s, size_t n, const char *cs, size_t *outlen)
{
	char *res = NULL, *out;
	int r;

	if (!cs || !*cs || charset_is_utf8ish(cs)) {
		/* undeclared or ASCII 8-bit text is most often windows-1252 */
		if (gr_utf8_valid(s, n) || (cs && (gr_strcaseeq(cs, "utf-8") ||
		    gr_strcaseeq(cs, "utf8"))))
			return gr_utf8_sanitize(s, n, outlen);
		return cp1252_to_utf8(s, n, outlen);
	}
	r = charconv("utf-8", cs, s, n, &res);
	if (r != MAIL_CHARCONV_NO_ERROR || !res) {
		if (r == MAIL_CHARCONV_NO_ERROR)
			free(res);
		return cp1252_to_utf8(s, n, outlen);
	}
	out = gr_utf8_sanitize(res, strlen(res), outlen);
	free(res);
	return out;
}

/* Drop the CR of every CRLF, in place. */
static void
strip_cr(char *s, size_t *len)
{
	char *cr = memchr(s, '\r', *len);
	size_t i, o;

	if (!cr) {
		s[*len] = '\0';
		return;
	}
	/* the bytes up to each CR move down as one piece */
	i = o = (size_t)(cr - s);
	while (i < *len) {
		size_t k;

		cr = memchr(s + i, '\r', *len - i);
		k = (cr ? (size_t)(cr - s) : *len) - i;
		memmove(s + o, s + i, k);
		o += k;
		i += k;
		if (!cr)
			break;
		if (!(i + 1 < *len && s[i + 1] == '\n'))
			s[o++] = '\r';         /* a CR alone stays */
		i++;
	}
	s[o] = '\0';
	*len = o;
}

/* Set m->text from n bytes in charset cs, HTML or plain. */
static gr_status
set_text(struct ctx *c, const char *s, size_t n, const char *cs, int html)
{
	gr_message *m = c->m;
	size_t cap = html ? c->lim->max_raw : c->lim->max_text, ulen;
	char *u;
	int trunc = 0;

	if (n > cap) {
		n = cap;
		m->flags |= GR_MSG_TRUNCATED;
	}
	u = to_utf8(s, n, cs, &ulen);
	if (!u)
		return GR_E_NOMEM;
	strip_cr(u, &ulen);
	if (html) {
		free(m->text);
		m->text = gr_html_to_text(u, ulen, c->lim->max_text, &trunc);
		free(u);
		if (!m->text)
			return GR_E_NOMEM;
		if (trunc)
			m->flags |= GR_MSG_TRUNCATED;
		return GR_OK;
	}
	if (ulen > c->lim->max_text) {
		ulen = gr_utf8_cut(u, c->lim->max_text);
		u[ulen] = '\0';
		m->flags |= GR_MSG_TRUNCATED;
	}
	free(m->text);
	m->text = u;
	return GR_OK;
}

static gr_status
text_of_part(struct ctx *c, struct mailmime *mm, int html)
{
	struct mailmime_data *d = mm->mm_data.mm_single;
	const char *cs = "us-ascii";
	char *dec = NULL;
	size_t idx = 0, dlen = 0;
	gr_status st;

	if (!d || d->dt_type != MAILMIME_DATA_TEXT)
		return GR_OK;
	if (mm->mm_content_type)
		cs = mailmime_content_charset_get(mm->mm_content_type);
	if (mailmime_part_parse(d->dt_data.dt_text.dt_data,
	    d->dt_data.dt_text.dt_length, &idx, d->dt_encoding, &dec,
	    &dlen) != MAILIMF_NO_ERROR || !dec)
		return set_text(c, d->dt_data.dt_text.dt_data,
		                d->dt_data.dt_text.dt_length, cs, html);
	st = set_text(c, dec, dlen, cs, html);
	mmap_string_unref(dec);
	return st;
}

static gr_status
parse_mime(struct ctx *c)
{
	struct mailmime *root = NULL;
	struct walk w;
	size_t idx = 0;
	char tb[128];
	gr_status st = GR_OK;
	int k;

	memset(&w, 0, sizeof w);
	if (mailmime_parse(c->work, c->wlen, &idx, &root) != MAILIMF_NO_ERROR ||
	    !root)
		return set_text(c, c->work + c->body, c->wlen - c->body,
		                NULL, 0);
	if (root->mm_type == MAILMIME_MESSAGE &&
	    root->mm_data.mm_message.mm_msg_mime &&
	    type_name(root->mm_data.mm_message.mm_msg_mime->mm_content_type,
	              tb, sizeof tb)) {
		free(c->m->content_type);
		c->m->content_type = gr_strdup(tb);
		if (!c->m->content_type) {
			st = GR_E_NOMEM;
			goto out;
		}
	}
	st = walk_mime(c, root, &w);
	for (k = 0; k < C_N && st == GR_OK; k++) {
		if (!w.cand[k])
			continue;
		st = text_of_part(c, w.cand[k], k == C_HTML || k == C_MSG_HTML);
		if (k == C_HTML || k == C_MSG_HTML)
			c->m->flags |= GR_MSG_HTML_ONLY;
		break;
	}
out:
	mailmime_free(root);
	return st;
}

/* --- entry points -------------------------------------------------------- */

static gr_status
split_text(gr_message *m)
{
	gr_text_parts tp;
	gr_status st = gr_text_split(m->text, &tp);

	if (st != GR_OK)
		return st;
	m->new_text = tp.new_text;
	m->quoted = tp.quoted;
	m->signature = tp.signature;
	if (tp.forward)
		m->flags |= GR_MSG_IS_FORWARD;
	return GR_OK;
}

/* A copy of raw without NUL bytes. */
static char *
copy_without_nul(const char *raw, size_t len, size_t *out)
{
	char *w = malloc(len + 1);
	const char *nul = memchr(raw, '\0', len);
	size_t i, o;

	if (!w)
		return NULL;
	o = nul ? (size_t)(nul - raw) : len;
	memcpy(w, raw, o);
	for (i = o; i < len; i++)
		if (raw[i])
			w[o++] = raw[i];
	w[o] = '\0';
	*out = o;
	return w;
}

static gr_status
parse_into(struct ctx *c, gr_error *err)
{
	size_t off = 0, e;
	gr_status st;

	c->m->subject = gr_strdup("");
	c->m->content_type = gr_strdup("text/plain");
	if (!c->m->subject || !c->m->content_type)
		return GR_E_NOMEM;
	/* an mbox "From " separator line is not part of the message */
	if (c->wlen >= 5 && memcmp(c->work, "From ", 5) == 0)
		off = line_end(c->work, c->wlen, 0);
	e = line_end(c->work, c->wlen, off);
	if (!gr_message_field_line(c->work + off, e - off)) {
		c->m->flags |= GR_MSG_NO_HEADERS;
		c->body = off;
		return set_text(c, c->work + off, c->wlen - off, NULL, 0);
	}
	st = scan_headers(c, off, err);
	if (st != GR_OK)
		return st;
	if ((st = decode_headers(c)) != GR_OK ||
	    (st = parse_fields(c)) != GR_OK)
		return st;
	guard_mime(c);
	/* libetpan parses from the first header line */
	memmove(c->work, c->work + off, c->wlen - off + 1);
	c->wlen -= off;
	c->body -= off;
	return parse_mime(c);
}

gr_status
gr_message_parse(const char *raw, size_t len, const gr_parse_limits *lim,
                 gr_message **out, gr_error *err)
{
	gr_parse_limits def;
	struct ctx c;
	gr_status st;

	*out = NULL;
	if (!lim) {
		gr_parse_limits_default(&def);
		lim = &def;
	}
	if (len > lim->max_raw)
		return gr_error_set(err, GR_E_LIMIT,
		    "message of %zu bytes exceeds the %zu-byte limit", len,
		    lim->max_raw);
	memset(&c, 0, sizeof c);
	c.lim = lim;
	c.m = calloc(1, sizeof *c.m);
	if (!c.m || !(c.work = copy_without_nul(raw ? raw : "", len, &c.wlen))) {
		st = GR_E_NOMEM;
		goto fail;
	}
	c.m->raw_size = len;
	st = parse_into(&c, err);
	if (st == GR_OK && !c.m->text && !(c.m->text = gr_strdup("")))
		st = GR_E_NOMEM;
	if (st == GR_OK)
		st = split_text(c.m);
	if (st != GR_OK)
		goto fail;
	*out = c.m;
	c.m = NULL;
fail:
	for (size_t i = 0; i < c.nrh; i++) {
		free(c.rh[i].name);
		free(c.rh[i].value);
	}
	free(c.rh);
	free(c.work);
	gr_message_free(c.m);
	if (st == GR_E_NOMEM)
		return gr_error_set(err, st, "out of memory parsing a message");
	if (st != GR_OK && (!err || err->status != st))
		return gr_error_set(err, st, "message: %s",
		                    gr_status_to_string(st));
	return st;
}

static void
addrlist_free(gr_addrlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].addr);
	}
	free(l->v);
}

void
gr_message_free(gr_message *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_headers; i++) {
		free(m->headers[i].name);
		free(m->headers[i].value);
	}
	free(m->headers);
	free(m->from.name);
	free(m->from.addr);
	free(m->sender.name);
	free(m->sender.addr);
	addrlist_free(&m->reply_to);
	addrlist_free(&m->to);
	addrlist_free(&m->cc);
	addrlist_free(&m->bcc);
	free(m->subject);
	free(m->message_id);
	free(m->in_reply_to);
	gr_strv_free(&m->references);
	free(m->text);
	free(m->new_text);
	free(m->quoted);
	free(m->signature);
	free(m->content_type);
	free(m);
}

const char *
gr_message_header(const gr_message *m, const char *name)
{
	for (size_t i = 0; i < m->n_headers; i++)
		if (gr_strcaseeq(m->headers[i].name, name))
			return m->headers[i].value ? m->headers[i].value : "";
	return NULL;
}

const gr_addr *
gr_message_reply_addr(const gr_message *m)
{
	for (size_t i = 0; i < m->reply_to.n; i++)
		if (m->reply_to.v[i].addr)
			return &m->reply_to.v[i];
	return &m->from;
}

/* --- machine signs ------------------------------------------------------ */

int
gr_addr_is_machine(const char *addr)
{
	/* prefix: any local part that starts so ("noreply-billing"); else
	 * the name alone or followed by '+', '-' or '.' */
	static const struct {
		const char *name;
		int prefix;
	} names[] = {
		{ "mailer-daemon", 0 }, { "mail-daemon", 0 },
		{ "postmaster", 0 }, { "bounce", 0 }, { "bounces", 0 },
		{ "no-reply", 1 }, { "noreply", 1 }, { "no_reply", 1 },
		{ "do-not-reply", 1 }, { "donotreply", 1 },
		{ "do_not_reply", 1 },
	};
	const char *at = addr ? strchr(addr, '@') : NULL;
	size_t n;

	if (!at)
		return 0;
	n = (size_t)(at - addr);
	/* Each word of the local part after the first '-', '.', '_' or '+'
	 * is tried too: "messages-noreply", "businessprofile-noreply". */
	for (size_t w = 0; w < n; w++) {
		const char *p = addr + w;
		size_t left = n - w;

		if (w > 0 && addr[w - 1] != '-' && addr[w - 1] != '.' &&
		    addr[w - 1] != '_' && addr[w - 1] != '+')
			continue;
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
			size_t k = strlen(names[i].name);

			if (left >= k && gr_strncaseeq(p, names[i].name, k) &&
			    (left == k || names[i].prefix || p[k] == '+' ||
			     p[k] == '-' || p[k] == '.' || p[k] == '_'))
				return 1;
		}
	}
	return 0;
}

int
gr_addr_is_notifier(const char *addr)
{
	static const char *const names[] = {
		"notification", "notifications", "notify", "alert", "alerts",
		"newsletter", "newsletters", "mailer", "automailer", "digest",
		NULL
	};
	size_t n = addr ? strcspn(addr, "@+-._") : 0;

	if (!addr || !strchr(addr, '@'))
		return 0;
	for (int i = 0; names[i]; i++)
		if (strlen(names[i]) == n && gr_strncaseeq(addr, names[i], n))
			return 1;
	return gr_addr_is_machine(addr);
}

/* 1 if header value v (after blanks) starts with one of words; whole
 * words only unless prefix. */
static int
value_is(const char *v, const char *const *words, int prefix)
{
	while (v && (*v == ' ' || *v == '\t'))
		v++;
	for (int i = 0; v && words[i]; i++) {
		size_t k = strlen(words[i]);

		if (gr_strncaseeq(v, words[i], k) &&
		    (prefix || v[k] == '\0' || v[k] == ';' || v[k] == ' ' ||
		     v[k] == '\t'))
			return 1;
	}
	return 0;
}

int
gr_message_auto_reply_subject(const char *subject)
{
	/* Compiled on first use and kept for the life of the process. */
	static gr_pattern *re;

	if (!subject || !*subject)
		return 0;
	if (!re)
		re = gr_pattern_compile(NULL, "(built-in)", 0, 0,
		    "^(?:(?:re|aw|fw|fwd):\\s*)?(?:out of (?:the )?office|"
		    "automatic reply|auto(?:matic)?[- ]?(?:reply|response)|"
		    "autoreply|away from (?:the )?office|abwesenheit|"
		    "automatische antwort|r\xc3\xa9ponse automatique|"
		    "respuesta autom\xc3\xa1tica|resposta autom\xc3\xa1tica|"
		    "risposta automatica|fuori sede|fora do escrit\xc3\xb3rio)",
		    "");
	return gr_pattern_match(re, subject, NULL, NULL, NULL);
}

unsigned
gr_message_signs(const gr_message *m)
{
	static const char *const prec[] = { "bulk", "list", "junk",
	                                     "auto_reply" };
	static const char *const autoreply[] = {
		"X-Autoreply", "X-Autorespond", "X-Auto-Reply",
		"X-MS-Exchange-Organization-AutoReplyType"
	};
	static const char *const campaign[] = { "X-Campaign", "X-CampaignID" };
	static const char *const esp[] = {
		"X-Campaign-Id", "X-SES-Outgoing", "X-SG-EID", "X-Mailgun-Sid",
		"X-MC-User", "X-Mailjet-Campaign", "X-Newsletter"
	};
	static const char *const no[] = { "no", NULL };
	unsigned f = 0;
	const char *v;

	if (!m)
		return 0;
	if ((v = gr_message_header(m, "Auto-Submitted")) && !value_is(v, no, 0))
		f |= GR_SIGN_AUTO_SUBMITTED;
	for (size_t i = 0; i < sizeof autoreply / sizeof *autoreply; i++)
		if (gr_message_header(m, autoreply[i]))
			f |= GR_SIGN_AUTOREPLY_HDR;
	if (gr_message_auto_reply_subject(m->subject))
		f |= GR_SIGN_AUTOREPLY_SUBJ;
	if ((v = gr_message_header(m, "Precedence")))
		for (size_t i = 0; i < sizeof prec / sizeof *prec; i++) {
			const char *w[] = { prec[i], NULL };

			if (value_is(v, w, 1))
				f |= GR_SIGN_PREC_BULK << i;
		}
	if (gr_message_header(m, "List-Id"))
		f |= GR_SIGN_LIST_ID;
	if ((m->flags & GR_MSG_REPORT) ||
	    gr_strcaseeq(m->content_type, "multipart/report"))
		f |= GR_SIGN_REPORT;
	if (gr_addr_is_machine(m->from.addr) ||
	    gr_addr_is_machine(m->sender.addr))
		f |= GR_SIGN_MACHINE_SENDER;
	if ((v = gr_message_header(m, "Return-Path")) && strstr(v, "<>"))
		f |= GR_SIGN_NULL_RETURN;
	if (gr_message_header(m, "List-Unsubscribe"))
		f |= GR_SIGN_LIST_UNSUB;
	for (size_t i = 0; i < sizeof campaign / sizeof *campaign; i++)
		if (gr_message_header(m, campaign[i]))
			f |= GR_SIGN_CAMPAIGN;
	for (size_t i = 0; i < sizeof esp / sizeof *esp; i++)
		if (gr_message_header(m, esp[i]))
			f |= GR_SIGN_ESP;
	return f;
}

/* The signs of gr_message_auto_signs, the first found; sender 0 leaves
 * out the no-reply From or Sender and the soft signs
 * (gr_message_relay_signs). */
static gr_auto
auto_signs(const gr_message *m, int sender, const char **why)
{
	static const struct {
		unsigned sign;
		const char *why;
		int soft;               /* a bulk-mail sign; needs sender */
	} order[] = {
		{ GR_SIGN_AUTO_SUBMITTED, "Auto-Submitted header", 0 },
		{ GR_SIGN_PREC_BULK | GR_SIGN_PREC_LIST | GR_SIGN_PREC_JUNK |
		  GR_SIGN_PREC_AUTOREPLY, "Precedence: bulk/list/junk", 0 },
		{ GR_SIGN_LIST_ID, "mailing-list List-Id", 0 },
		{ GR_SIGN_REPORT, "delivery or read report", 0 },
		{ GR_SIGN_MACHINE_SENDER, "sent from a no-reply/daemon address",
		  0 },
		{ GR_SIGN_AUTOREPLY_HDR, "auto-reply header", 0 },
		{ GR_SIGN_NULL_RETURN, "null return path (RFC 3834)", 0 },
		{ GR_SIGN_AUTOREPLY_SUBJ, "auto-reply subject", 0 },
		{ GR_SIGN_LIST_UNSUB | GR_SIGN_CAMPAIGN,
		  "sent by a bulk-mail tool (List-Unsubscribe)", 1 },
	};
	unsigned f = gr_message_signs(m);
	const char *dummy;

	if (!why)
		why = &dummy;
	*why = NULL;
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		if (!(f & order[i].sign))
			continue;
		if (!sender && (order[i].soft ||
		                order[i].sign == GR_SIGN_MACHINE_SENDER))
			continue;
		*why = order[i].why;
		return order[i].soft ? GR_AUTO_SOFT : GR_AUTO_HARD;
	}
	return GR_AUTO_NONE;
}

gr_auto
gr_message_auto_signs(const gr_message *m, const char **why)
{
	return auto_signs(m, 1, why);
}

gr_auto
gr_message_relay_signs(const gr_message *m, const char **why)
{
	return auto_signs(m, 0, why);
}
