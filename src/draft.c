/* SPDX-License-Identifier: MIT */
/*
 * draft.c - reply drafts as .eml files.
 *
 * Implements: RFC 5322 (message format, folding under 78 columns,
 * In-Reply-To/References), RFC 2045 (MIME-Version, quoted-printable with
 * soft line breaks at 76), RFC 2047 (encoded-words "Q" for non-ASCII
 * subjects and display names), RFC 5536-style Re: handling of subjects.
 *
 * Every header value goes through gr_text_clean(): CR, LF, NUL and the other
 * control characters are dropped, so no value can start a header of its own.
 *
 * Bodies may be format=flowed (RFC 3676): gr_draft_wrap() wraps text that
 * was filled in from templates after the filling, ending each soft-broken
 * line with a space so that mail clients reflow the paragraph, and quoted
 * lines keep their "> " prefix on every piece.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gravity/buf.h"
#include "gravity/draft.h"
#include "gravity/util.h"

#define DRAFT_MAX       (8u << 20)
#define DRAFT_LINE      78      /* header lines are folded before this */
#define DRAFT_LINE_MAX  998     /* and never pass this (RFC 5322 2.1.1) */
#define DRAFT_QP_LINE   76      /* quoted-printable line limit */
#define DRAFT_MAX_NAME  200     /* bytes of a display name kept */

static const char hexd[] = "0123456789ABCDEF";


static int
is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

static int
is_atext(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

int
gr_addr_spec_valid(const char *addr)
{
	const char *at;

	if (!addr || !(at = strchr(addr, '@')) || at == addr || !at[1] ||
	    strchr(at + 1, '@') || strlen(addr) > 254)
		return 0;
	for (const char *p = addr; *p; p++) {
		if (*p == '@')
			continue;
		if (*p == '.') {
			if (p == addr || p[1] == '\0' || p[1] == '.' || p[1] == '@' ||
			    p[-1] == '@')
				return 0;
			continue;
		}
		if (!is_atext((unsigned char)*p))
			return 0;
	}
	return 1;
}

/* Header writer: folds between words so no line passes DRAFT_LINE. */
typedef struct hdr {
	gr_buf *b;
	size_t col;
	size_t min_col;         /* never fold before the first word */
	gr_status st;
} hdr;

static void
hdr_start(hdr *h, gr_buf *b, const char *name)
{
	h->b = b;
	h->st = gr_buf_printf(b, "%s:", name);
	h->col = strlen(name) + 1;
	h->min_col = h->col;
}

/* Add word, preceded by a blank (or a fold) when sep.  A word longer than
 * any line may be (RFC 5322 section 2.1.1: 998 octets) is cut where the
 * line ends, at a character boundary, and folded: unfolded, each cut reads
 * as a blank. */
static void
hdr_word(hdr *h, const char *w, size_t n, int sep)
{
	if (h->st != GR_OK)
		return;
	if (h->col > h->min_col && h->col + (sep ? 1 : 0) + n > DRAFT_LINE) {
		h->st = gr_buf_addstr(h->b, "\r\n ");
		h->col = 1;
	} else if (sep) {
		h->st = gr_buf_addc(h->b, ' ');
		h->col++;
	}
	while (h->st == GR_OK && h->col + n > DRAFT_LINE_MAX) {
		size_t k = h->col < DRAFT_LINE_MAX ?
		           gr_utf8_cut(w, DRAFT_LINE_MAX - h->col) : 0;

		if (k == 0 && h->col <= 1)
			k = 1;          /* no character boundary: cut anyway */
		h->st = gr_buf_add(h->b, w, k);
		if (h->st == GR_OK)
			h->st = gr_buf_addstr(h->b, "\r\n ");
		h->col = 1;
		w += k;
		n -= k;
	}
	if (h->st == GR_OK)
		h->st = gr_buf_add(h->b, w, n);
	h->col += n;
}

static gr_status
hdr_end(hdr *h)
{
	if (h->st == GR_OK)
		h->st = gr_buf_addstr(h->b, "\r\n");
	return h->st;
}

/* Length of the UTF-8 sequence starting with c. */
static size_t
u8len(unsigned char c)
{
	return c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/* s as RFC 2047 Q encoded-words (phrase-safe characters only), split at
 * character boundaries. */
static int
q_plain(unsigned char c)
{
	return is_atext(c) && !strchr("=?_#$%&'/^`{|}~", c);
}

/* s as RFC 2047 Q encoded-words (phrase-safe characters only), split at
 * character boundaries, each word at most 75 columns and fitting the line. */
static void
hdr_encoded(hdr *h, const char *s, int sep)
{
	char ew[80];
	size_t i = 0, n = strlen(s);

	while (i < n && h->st == GR_OK) {
		size_t o = (size_t)snprintf(ew, sizeof ew, "=?UTF-8?Q?");
		size_t room = DRAFT_LINE - h->col - (sep ? 1 : 0);

		if (h->col + 24 > DRAFT_LINE || room > 75)
			room = 75;
		while (i < n) {
			size_t k = u8len((unsigned char)s[i]), need = 0;

			for (size_t j = 0; j < k && i + j < n; j++) {
				unsigned char c = (unsigned char)s[i + j];

				need += q_plain(c) || c == ' ' ? 1 : 3;
			}
			if (o + need + 2 > room && o > 10)
				break;
			for (size_t j = 0; j < k && i + j < n; j++) {
				unsigned char c = (unsigned char)s[i + j];

				if (c == ' ') {
					ew[o++] = '_';
				} else if (q_plain(c)) {
					ew[o++] = (char)c;
				} else {
					ew[o++] = '=';
					ew[o++] = hexd[c >> 4];
					ew[o++] = hexd[c & 15];
				}
			}
			i += k;
		}
		ew[o++] = '?';
		ew[o++] = '=';
		hdr_word(h, ew, o, sep);
		sep = 1;
	}
}

/* Unstructured text (Subject): plain words, or encoded-words when it holds
 * anything but ASCII. */
static void
hdr_text(hdr *h, const char *s)
{
	if (!is_ascii(s)) {
		hdr_encoded(h, s, 1);
		return;
	}
	while (*s && h->st == GR_OK) {
		size_t n;

		while (*s == ' ')
			s++;
		n = strcspn(s, " ");
		if (n)
			hdr_word(h, s, n, 1);
		s += n;
	}
}

/* Display name as atoms, one quoted-string or encoded-words. */
static void
hdr_phrase(hdr *h, const char *name)
{
	int plain = 1;
	gr_buf q;

	if (!is_ascii(name)) {
		hdr_encoded(h, name, 1);
		return;
	}
	for (const char *p = name; *p; p++)
		plain &= is_atext((unsigned char)*p) || *p == ' ';
	if (plain) {
		hdr_text(h, name);
		return;
	}
	gr_buf_init(&q, DRAFT_MAX_NAME * 2 + 2);
	h->st = gr_buf_addc(&q, '"');
	for (const char *p = name; *p && h->st == GR_OK; p++) {
		if (*p == '"' || *p == '\\')
			h->st = gr_buf_addc(&q, '\\');
		if (h->st == GR_OK)
			h->st = gr_buf_addc(&q, *p);
	}
	if (h->st == GR_OK)
		h->st = gr_buf_addc(&q, '"');
	if (h->st == GR_OK)
		hdr_word(h, q.data, q.len, 1);
	gr_buf_free(&q);
}

static gr_status
add_mailbox(hdr *h, const gr_addr *a, int last, const char *field,
            gr_error *err)
{
	char *name = NULL, *w;
	size_t n;

	if (!gr_addr_spec_valid(a->addr))
		return gr_error_set(err, GR_E_PARSE, "draft %s: invalid address "
		                    "\"%.100s\"", field, a->addr ? a->addr : "");
	if (a->name && *a->name) {
		name = gr_text_clean(a->name, GR_NL_DROP, DRAFT_MAX_NAME);
		if (!name)
			return GR_E_NOMEM;
		if (*gr_str_trim(name))
			hdr_phrase(h, gr_str_trim(name));
		free(name);
	}
	n = strlen(a->addr) + 4;
	w = malloc(n);
	if (!w)
		return GR_E_NOMEM;
	snprintf(w, n, "<%s>%s", a->addr, last ? "" : ",");
	hdr_word(h, w, strlen(w), 1);
	free(w);
	return h->st;
}

static gr_status
add_addrs(gr_buf *b, const char *field, const gr_addr *v, size_t n,
          gr_error *err)
{
	hdr h;
	gr_status st = GR_OK;

	if (n == 0)
		return GR_OK;
	hdr_start(&h, b, field);
	for (size_t i = 0; i < n && st == GR_OK; i++)
		st = add_mailbox(&h, &v[i], i + 1 == n, field, err);
	return st == GR_OK ? hdr_end(&h) : st;
}

/* A msg-id cleaned to printable ASCII without blanks or angle brackets. */
static char *
clean_id(const char *id)
{
	char *s = gr_text_clean(id, GR_NL_DROP, 250);
	size_t o = 0;

	if (!s)
		return NULL;
	for (char *p = s; *p; p++)
		if ((unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f &&
		    *p != '<' && *p != '>')
			s[o++] = *p;
	s[o] = '\0';
	return s;
}

static gr_status
add_ids(gr_buf *b, const char *field, const char *const *ids, size_t n)
{
	hdr h;
	int any = 0;

	for (size_t i = 0; i < n; i++)
		any |= ids[i] && *ids[i];
	if (!any)
		return GR_OK;
	hdr_start(&h, b, field);
	for (size_t i = 0; i < n && h.st == GR_OK; i++) {
		char *id = clean_id(ids[i]), w[256];

		if (!id)
			return GR_E_NOMEM;
		if (*id) {
			snprintf(w, sizeof w, "<%s>", id);
			hdr_word(&h, w, strlen(w), 1);
		}
		free(id);
	}
	return hdr_end(&h);
}

/* RFC 5322 date-time at t, as the clock reads at offset minutes east of
 * UTC ("-0800" for California in winter). */
static gr_status
add_date(gr_buf *b, time_t t, int offset)
{
	static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	                                  "Fri", "Sat" };
	static const char *const mo[] = { "Jan", "Feb", "Mar", "Apr", "May",
	                                  "Jun", "Jul", "Aug", "Sep", "Oct",
	                                  "Nov", "Dec" };
	struct tm tm;
	time_t local;
	int a;

	if (offset < -18 * 60 || offset > 18 * 60)
		offset = 0;
	local = t + (time_t)offset * 60;
	a = offset < 0 ? -offset : offset;
	if (!gmtime_r(&local, &tm))
		memset(&tm, 0, sizeof tm);
	return gr_buf_printf(b, "Date: %s, %d %s %04d %02d:%02d:%02d %c%02d%02d"
	                     "\r\n", wd[tm.tm_wday % 7], tm.tm_mday,
	                     mo[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour,
	                     tm.tm_min, tm.tm_sec, offset < 0 ? '-' : '+',
	                     a / 60, a % 60);
}

/* One logical line of body as quoted-printable lines. */
static gr_status
qp_line(gr_buf *b, const char *s, size_t n)
{
	size_t col = 0;
	gr_status st = GR_OK;

	for (size_t i = 0; i < n && st == GR_OK; i++) {
		unsigned char c = (unsigned char)s[i];
		char tok[3];
		size_t tl = 1, limit = i + 1 == n ? DRAFT_QP_LINE : DRAFT_QP_LINE - 1;
		int lit = (c >= 33 && c <= 126 && c != '=') ||
		          ((c == ' ' || c == '\t') && i + 1 < n);

		if (i == 0 && n >= 5 && memcmp(s, "From ", 5) == 0)
			lit = 0;
		if (lit) {
			tok[0] = (char)c;
		} else {
			tok[0] = '=';
			tok[1] = hexd[c >> 4];
			tok[2] = hexd[c & 15];
			tl = 3;
		}
		if (col + tl > limit) {
			st = gr_buf_addstr(b, "=\r\n");
			col = 0;
		}
		if (st == GR_OK)
			st = gr_buf_add(b, tok, tl);
		col += tl;
	}
	return st == GR_OK ? gr_buf_addstr(b, "\r\n") : st;
}

static gr_status
add_body(gr_buf *b, const char *body, int flowed)
{
	gr_status st = GR_OK;
	const char *p = body ? body : "";

	while (*p && st == GR_OK) {
		size_t n = strcspn(p, "\n");
		size_t m = n;

		if (m && p[m - 1] == '\r')
			m--;
		/* RFC 3676 4.4: a line starting with a blank is stuffed
		 * with one more. */
		if (flowed && m && p[0] == ' ')
			st = gr_buf_addstr(b, " ");
		if (st == GR_OK)
			st = qp_line(b, p, m);
		p += n + (p[n] == '\n');
	}
	return st;
}

/* Length of the quote prefix of line s (">", "> >", ">> "), blanks after
 * the last '>' included. */
static size_t
quote_prefix(const char *s, size_t n)
{
	size_t i = 0, end = 0;

	while (i < n && (s[i] == '>' || s[i] == ' ')) {
		if (s[i] == '>')
			end = i + 1;
		i++;
	}
	if (end && end < n && s[end] == ' ')
		end++;
	return end;
}

char *
gr_draft_wrap(const char *text, size_t width)
{
	gr_buf b;
	const char *p = text ? text : "";

	if (width < 20)
		width = 20;
	gr_buf_init(&b, DRAFT_MAX);
	while (*p) {
		size_t n = strcspn(p, "\n"), q = quote_prefix(p, n);
		const char *s = p + q, *e = p + n;
		size_t col;

		/* The signature separator and short lines stay as they are;
		 * a quoted line up to 78 columns too (RFC 5322's line
		 * length: an original wrapped at 76 must not lose a word to
		 * a line of its own). */
		if ((n == 3 && memcmp(p, "-- ", 3) == 0) || n <= width ||
		    (q && n <= 78)) {
			gr_buf_add(&b, p, n);
			gr_buf_addc(&b, '\n');
			p += n + (p[n] == '\n');
			continue;
		}
		while (s < e) {
			const char *cut = NULL, *c;

			/* col: characters of prefix + [s, c). */
			col = q;
			for (c = s; c < e; c++) {
				if (*c == ' ' && col <= width)
					cut = c;
				if (((unsigned char)*c & 0xC0) != 0x80)
					col++;
				if (col > width && cut)
					break;
			}
			gr_buf_add(&b, p, q);
			if (col <= width) {
				gr_buf_add(&b, s, (size_t)(e - s));
				gr_buf_addc(&b, '\n');
				break;
			}
			if (!cut) {     /* a word longer than the line */
				cut = memchr(s, ' ', (size_t)(e - s));
				if (!cut) {
					gr_buf_add(&b, s, (size_t)(e - s));
					gr_buf_addc(&b, '\n');
					break;
				}
			}
			/* The blank stays at the end: a soft break. */
			gr_buf_add(&b, s, (size_t)(cut - s) + 1);
			gr_buf_addc(&b, '\n');
			s = cut + 1;
			while (s < e && *s == ' ')
				s++;
		}
		p += n + (p[n] == '\n');
	}
	if (!b.data)
		gr_buf_addstr(&b, "");
	return gr_buf_steal(&b);
}

gr_status
gr_draft_id(const unsigned char *key, const char *name, const char *domain,
            char *out, size_t outlen)
{
	static unsigned char own[GR_DRAFT_KEY_LEN];
	static int have_own;
	char hex[65];
	int n;

	if (!key) {
		if (!have_own && gr_random_bytes(own, sizeof own) != 0)
			return GR_E_IO;
		have_own = 1;
		key = own;
	}
	gr_hmac_sha256_hex(key, GR_DRAFT_KEY_LEN, name, strlen(name), hex);
	hex[32] = '\0';
	n = snprintf(out, outlen, "gravity.%s%s", hex,
	             domain ? domain : "@localhost");
	return n > 0 && (size_t)n < outlen ? GR_OK : GR_E_NOMEM;
}

/* The ID of a draft given none: named by its date, subject and text. */
static char *
made_up_id(const gr_draft *d)
{
	char hex[65], *seed, id[320];
	const char *dom = d->from.addr ? strchr(d->from.addr, '@') : NULL;
	size_t n;

	n = strlen(d->subject ? d->subject : "") + strlen(d->body ? d->body : "") +
	    64;
	seed = malloc(n);
	if (!seed)
		return NULL;
	snprintf(seed, n, "%lld\n%s\n%s", (long long)d->date,
	         d->subject ? d->subject : "", d->body ? d->body : "");
	gr_sha256_hex(seed, strlen(seed), hex);
	free(seed);
	hex[16] = '\0';
	if (dom && strlen(dom) > 200)
		dom = NULL;
	if (gr_draft_id(NULL, hex, dom, id, sizeof id) != GR_OK)
		return NULL;
	return gr_strdup(id);
}

static gr_status
add_headers(gr_buf *b, const gr_draft *d, gr_error *err)
{
	gr_status st;
	char *subj, *mid;
	const char *mids[1];
	hdr h;

	st = add_addrs(b, "From", &d->from, 1, err);
	if (st == GR_OK)
		st = add_addrs(b, "To", d->to.v, d->to.n, err);
	if (st == GR_OK)
		st = add_addrs(b, "Cc", d->cc.v, d->cc.n, err);
	if (st == GR_OK)
		st = add_addrs(b, "Bcc", d->bcc.v, d->bcc.n, err);
	if (st != GR_OK)
		return st;
	subj = gr_text_clean(d->subject ? d->subject : "", GR_NL_DROP, 2000);
	if (!subj)
		return GR_E_NOMEM;
	hdr_start(&h, b, "Subject");
	hdr_text(&h, subj);
	free(subj);
	st = hdr_end(&h);
	if (st == GR_OK)
		st = add_date(b, d->date, d->utc_offset_min);
	mid = d->message_id ? gr_strdup(d->message_id) : made_up_id(d);
	if (!mid)
		return GR_E_NOMEM;
	mids[0] = mid;
	if (st == GR_OK)
		st = add_ids(b, "Message-ID", mids, 1);
	free(mid);
	mids[0] = d->in_reply_to;
	if (st == GR_OK && d->in_reply_to)
		st = add_ids(b, "In-Reply-To", mids, 1);
	if (st == GR_OK && d->references && d->references->n)
		st = add_ids(b, "References", (const char *const *)d->references->v,
		             d->references->n);
	if (st == GR_OK)
		st = gr_buf_printf(b, "MIME-Version: 1.0\r\n"
		                   "Content-Type: text/plain; charset=UTF-8%s\r\n"
		                   "Content-Transfer-Encoding: quoted-printable\r\n"
		                   "X-Unsent: 1\r\n\r\n",
		                   d->flowed ? "; format=flowed" : "");
	return st;
}

gr_status
gr_draft_render(const gr_draft *d, char **out, gr_error *err)
{
	gr_buf b;
	gr_status st;

	*out = NULL;
	if (d->to.n == 0)
		return gr_error_set(err, GR_E_PARSE, "draft: no recipient");
	gr_buf_init(&b, DRAFT_MAX);
	if (err)
		gr_error_clear(err);
	st = add_headers(&b, d, err);
	if (st == GR_OK)
		st = add_body(&b, d->body, d->flowed);
	if (st != GR_OK) {
		gr_buf_free(&b);
		if (!err || err->status == GR_OK)
			gr_error_set(err, st, "draft \"%.60s\": %s",
			             d->subject ? d->subject : "",
			             gr_status_to_string(st));
		return st;
	}
	*out = gr_buf_steal(&b);
	return *out ? GR_OK : gr_error_set(err, GR_E_NOMEM, "draft: out of "
	                                   "memory");
}

/* Length of one reply prefix ("Re:", "RE[2]:", "Aw :") at s, or 0. */
static size_t
reply_prefix(const char *s)
{
	static const char *const words[] = { "re", "aw", "sv", "antw", "vs",
	                                     "odp", "ref", NULL };
	size_t n = 0;

	for (size_t i = 0; words[i] && !n; i++)
		if (gr_startswith_ci(s, words[i]))
			n = strlen(words[i]);
	if (!n)
		return 0;
	if (s[n] == '[' || s[n] == '(') {
		char close = s[n] == '[' ? ']' : ')';
		size_t k = n + 1;

		while (s[k] >= '0' && s[k] <= '9')
			k++;
		if (k == n + 1 || s[k] != close)
			return 0;
		n = k + 1;
	}
	while (s[n] == ' ')
		n++;
	return s[n] == ':' ? n + 1 : 0;
}

char *
gr_reply_subject(const char *subject)
{
	char *clean, *rest, *out;
	size_t n;

	clean = gr_text_clean(subject ? subject : "", GR_NL_DROP, 2000);
	if (!clean)
		return NULL;
	rest = gr_str_trim(clean);
	while ((n = reply_prefix(rest)) != 0)
		rest = gr_str_trim(rest + n);
	n = strlen(rest) + 5;
	out = malloc(n);
	if (out)
		snprintf(out, n, *rest ? "Re: %s" : "Re:", rest);
	free(clean);
	return out;
}
