/* SPDX-License-Identifier: MIT */
/*
 * imap_proto.c - gravity's IMAP response parser and body-structure walker.
 *
 * Implements the response grammar of RFC 3501 section 9 (IMAP4rev1) and
 * RFC 9051 (IMAP4rev2) as far as a read-only client needs it: tagged,
 * untagged and continuation responses, resp-text-code, atoms, numbers,
 * quoted strings, literals (RFC 7888 "{N+}" accepted), NIL and nested
 * lists, and the BODYSTRUCTURE of RFC 3501 section 7.4.2.
 *
 * A pure function over a byte buffer: no I/O, no global state.  A response
 * is first framed (lines and literal counts, checked against the caller's
 * bounds before anything is allocated), then tokenised, so literal bytes
 * are never mistaken for protocol lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gravity/buf.h"
#include "gravity/imap.h"
#include "gravity/util.h"

#define MAX_DEPTH 64

/* --- framing ----------------------------------------------------------- */

/* If the line [s, s+n) (without its line end) ends with "{N}" or "{N+}",
 * store N and return 1; 0 if it does not; -1 if N does not fit. */
static int
literal_count(const char *s, size_t n, uint64_t *count)
{
	size_t i, start;
	uint64_t v = 0;

	if (n < 3 || s[n - 1] != '}')
		return 0;
	i = n - 1;
	if (i > 0 && s[i - 1] == '+')
		i--;
	start = i;
	while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9')
		i--;
	if (i == start || i == 0 || s[i - 1] != '{')
		return 0;
	for (size_t k = i; k < start; k++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[k] - '0');
	}
	*count = v;
	return 1;
}

/* Find the end of the first complete response in buf: GR_OK with *end,
 * GR_DONE if incomplete. */
static gr_status
frame(const char *buf, size_t len, size_t max_literal, size_t max_response,
      size_t *end, gr_error *err)
{
	size_t pos = 0;

	for (;;) {
		const char *nl = pos < len ? memchr(buf + pos, '\n', len - pos) : NULL;
		size_t e, ln;
		uint64_t cnt;
		int r;

		if (!nl) {
			if (len > max_response)
				goto toolong;
			return GR_DONE;
		}
		e = (size_t)(nl - buf);
		if (e + 1 > max_response)
			goto toolong;
		ln = e;
		if (ln > pos && buf[ln - 1] == '\r')
			ln--;
		r = literal_count(buf + pos, ln - pos, &cnt);
		if (r < 0 || (r == 1 && cnt > max_literal))
			return gr_error_set(err, GR_E_LIMIT,
			                    "IMAP literal larger than %zu bytes refused",
			                    max_literal);
		if (r == 0) {
			*end = e + 1;
			return GR_OK;
		}
		if (cnt > max_response - (e + 1))
			goto toolong;
		pos = e + 1 + (size_t)cnt;
		if (pos > len)
			return GR_DONE;
	}
toolong:
	return gr_error_set(err, GR_E_LIMIT,
	                    "IMAP response larger than %zu bytes refused",
	                    max_response);
}

/* --- values ------------------------------------------------------------ */

static void
val_free(gr_imap_val *v)
{
	for (size_t i = 0; i < v->n; i++)
		val_free(&v->v[i]);
	free(v->v);
	free(v->str);
	memset(v, 0, sizeof *v);
}

void
gr_imap_resp_free(gr_imap_resp *r)
{
	if (!r)
		return;
	free(r->tag);
	free(r->name);
	free(r->text);
	val_free(&r->code);
	val_free(&r->data);
	free(r);
}

static gr_imap_val *
list_add(gr_imap_val *l)
{
	size_t n = l->n;

	/* Capacity is implicit: 4, then doubled at each power of two. */
	if (n == 0 || (n >= 4 && (n & (n - 1)) == 0)) {
		gr_imap_val *nv = realloc(l->v, (n ? n * 2 : 4) * sizeof *nv);

		if (!nv)
			return NULL;
		l->v = nv;
	}
	memset(&l->v[n], 0, sizeof l->v[n]);
	l->n++;
	return &l->v[n];
}

/* --- tokeniser over one framed response -------------------------------- */

typedef struct lexer {
	const char *s;
	size_t len;             /* the framed response, line end included */
	size_t pos;
	gr_error *err;
} lexer;

static gr_status
bad(lexer *lx, const char *what)
{
	return gr_error_set(lx->err, GR_E_PROTOCOL,
	                    "IMAP: malformed response (%s at byte %zu)", what,
	                    lx->pos);
}

static int
at_eol(const lexer *lx)
{
	return lx->pos >= lx->len || lx->s[lx->pos] == '\r' ||
	       lx->s[lx->pos] == '\n';
}

static gr_status
set_str(gr_imap_val *v, gr_imap_type t, const char *p, size_t n)
{
	v->type = t;
	v->str = malloc(n + 1);
	if (!v->str)
		return GR_E_NOMEM;
	if (n)
		memcpy(v->str, p, n);
	v->str[n] = '\0';
	v->len = n;
	return GR_OK;
}

static gr_status
lex_quoted(lexer *lx, gr_imap_val *v)
{
	gr_buf b;
	gr_status st = GR_OK;

	gr_buf_init(&b, lx->len);
	lx->pos++;
	while (st == GR_OK) {
		char c;

		if (lx->pos >= lx->len || at_eol(lx)) {
			gr_buf_free(&b);
			return bad(lx, "unterminated quoted string");
		}
		c = lx->s[lx->pos++];
		if (c == '"')
			break;
		if (c == '\\' && lx->pos < lx->len && !at_eol(lx))
			c = lx->s[lx->pos++];
		st = gr_buf_addc(&b, c);
	}
	if (st == GR_OK)
		st = set_str(v, GR_IMAP_STRING, b.data ? b.data : "", b.len);
	gr_buf_free(&b);
	return st;
}

static gr_status
lex_literal(lexer *lx, gr_imap_val *v)
{
	uint64_t n = 0;
	size_t p = lx->pos + 1;

	while (p < lx->len && lx->s[p] >= '0' && lx->s[p] <= '9') {
		if (n > (UINT64_MAX - 9) / 10)
			return bad(lx, "literal size");
		n = n * 10 + (uint64_t)(lx->s[p++] - '0');
	}
	if (p < lx->len && lx->s[p] == '+')
		p++;
	if (p >= lx->len || lx->s[p] != '}')
		return bad(lx, "literal");
	p++;
	if (p < lx->len && lx->s[p] == '\r')
		p++;
	if (p >= lx->len || lx->s[p] != '\n')
		return bad(lx, "literal not at line end");
	p++;
	/* The framer already checked that n bytes follow. */
	if (n > lx->len - p)
		return bad(lx, "short literal");
	lx->pos = p + (size_t)n;
	return set_str(v, GR_IMAP_STRING, lx->s + p, (size_t)n);
}

static int
atom_end(char c, int in_code)
{
	return c == ' ' || c == '(' || c == ')' || c == '"' || c == '{' ||
	       c == '\r' || c == '\n' || (in_code && c == ']');
}

static gr_status
lex_atom(lexer *lx, gr_imap_val *v, int in_code)
{
	size_t start = lx->pos;
	int brackets = 0;
	int digits = 1;

	while (lx->pos < lx->len) {
		char c = lx->s[lx->pos];

		if (c == '\r' || c == '\n')
			break;
		if (brackets) {
			if (c == ']')
				brackets--;
		} else if (c == '[') {
			brackets++;
		} else if (atom_end(c, in_code)) {
			break;
		}
		if (c < '0' || c > '9')
			digits = 0;
		lx->pos++;
	}
	if (lx->pos == start)
		return bad(lx, "unexpected character");
	if (set_str(v, GR_IMAP_ATOM, lx->s + start, lx->pos - start) != GR_OK)
		return GR_E_NOMEM;
	if (digits && v->len <= 19) {
		v->type = GR_IMAP_NUMBER;
		v->num = strtoull(v->str, NULL, 10);
	} else if (gr_strcaseeq(v->str, "NIL")) {
		free(v->str);
		v->str = NULL;
		v->len = 0;
		v->type = GR_IMAP_NIL;
	}
	return GR_OK;
}

/* Tokens into list l until end of line, ')' (when in a list) or ']' (in a
 * response code). */
static gr_status
lex_list(lexer *lx, gr_imap_val *l, int depth, int in_code)
{
	l->type = GR_IMAP_LIST;
	if (depth > MAX_DEPTH)
		return bad(lx, "lists nested too deep");
	for (;;) {
		gr_imap_val *v;
		gr_status st;
		char c;

		while (lx->pos < lx->len && lx->s[lx->pos] == ' ')
			lx->pos++;
		if (at_eol(lx))
			return depth > 0 ? bad(lx, "unclosed list") : GR_OK;
		c = lx->s[lx->pos];
		if (c == ')') {
			if (depth == 0 || in_code)
				return bad(lx, "unbalanced ')'");
			lx->pos++;
			return GR_OK;
		}
		if (c == ']' && in_code)
			return GR_OK;
		v = list_add(l);
		if (!v)
			return GR_E_NOMEM;
		if (c == '(') {
			lx->pos++;
			st = lex_list(lx, v, depth + 1, 0);
		} else if (c == '"') {
			st = lex_quoted(lx, v);
		} else if (c == '{') {
			st = lex_literal(lx, v);
		} else {
			st = lex_atom(lx, v, in_code);
		}
		if (st != GR_OK)
			return st;
	}
}

static gr_status
lex_word(lexer *lx, char **out)
{
	size_t start = lx->pos;

	while (lx->pos < lx->len && !atom_end(lx->s[lx->pos], 0) &&
	       lx->s[lx->pos] != '[')
		lx->pos++;
	if (lx->pos == start)
		return bad(lx, "missing word");
	*out = gr_strndup(lx->s + start, lx->pos - start);
	return *out ? GR_OK : GR_E_NOMEM;
}

static void
skip_sp(lexer *lx)
{
	while (lx->pos < lx->len && lx->s[lx->pos] == ' ')
		lx->pos++;
}

static gr_status
rest_text(lexer *lx, char **out)
{
	size_t start = lx->pos, end = lx->len;

	while (end > start && (lx->s[end - 1] == '\n' || lx->s[end - 1] == '\r'))
		end--;
	*out = gr_strndup(lx->s + start, end - start);
	lx->pos = lx->len;
	return *out ? GR_OK : GR_E_NOMEM;
}

static int
is_status(const char *name)
{
	static const char *const names[] = {
		"OK", "NO", "BAD", "BYE", "PREAUTH"
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(name, names[i]) == 0)
			return 1;
	return 0;
}

static gr_status
lex_status(lexer *lx, gr_imap_resp *r)
{
	gr_status st;

	r->code.type = GR_IMAP_LIST;
	skip_sp(lx);
	if (lx->pos < lx->len && lx->s[lx->pos] == '[') {
		lx->pos++;
		st = lex_list(lx, &r->code, 0, 1);
		if (st != GR_OK)
			return st;
		if (lx->pos >= lx->len || lx->s[lx->pos] != ']')
			return bad(lx, "unclosed response code");
		lx->pos++;
		skip_sp(lx);
	}
	return rest_text(lx, &r->text);
}

static gr_status
lex_resp(lexer *lx, gr_imap_resp *r)
{
	gr_status st;

	if (lx->s[0] == '+') {
		r->kind = GR_IMAP_CONTINUE;
		lx->pos = 1;
		skip_sp(lx);
		return rest_text(lx, &r->text);
	}
	if (lx->s[0] == '*' && lx->len > 1 && lx->s[1] == ' ') {
		r->kind = GR_IMAP_UNTAGGED;
		lx->pos = 2;
	} else {
		r->kind = GR_IMAP_TAGGED;
		st = lex_word(lx, &r->tag);
		if (st != GR_OK)
			return st;
		if (lx->pos >= lx->len || lx->s[lx->pos] != ' ')
			return bad(lx, "missing space after tag");
		lx->pos++;
	}
	if (r->kind == GR_IMAP_UNTAGGED && lx->pos < lx->len &&
	    lx->s[lx->pos] >= '0' && lx->s[lx->pos] <= '9') {
		uint64_t n = 0;

		while (lx->pos < lx->len && lx->s[lx->pos] >= '0' &&
		       lx->s[lx->pos] <= '9') {
			n = n * 10 + (uint64_t)(lx->s[lx->pos++] - '0');
			if (n > UINT32_MAX)
				return bad(lx, "message number");
		}
		r->has_number = 1;
		r->number = (uint32_t)n;
		skip_sp(lx);
	}
	st = lex_word(lx, &r->name);
	if (st != GR_OK)
		return st;
	for (char *p = r->name; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 32);
	if (is_status(r->name))
		return lex_status(lx, r);
	if (r->kind == GR_IMAP_TAGGED)
		return bad(lx, "tagged response is not OK/NO/BAD");
	return lex_list(lx, &r->data, 0, 0);
}

gr_status
gr_imap_parse(const char *buf, size_t len, size_t max_literal,
              size_t max_response, gr_imap_resp **out, size_t *used,
              gr_error *err)
{
	gr_imap_resp *r;
	lexer lx;
	size_t end = 0;
	gr_status st;

	*out = NULL;
	st = frame(buf, len, max_literal, max_response, &end, err);
	if (st != GR_OK)
		return st;
	r = calloc(1, sizeof *r);
	if (!r)
		return gr_error_set(err, GR_E_NOMEM, "IMAP: out of memory");
	r->data.type = GR_IMAP_LIST;
	r->code.type = GR_IMAP_LIST;
	lx.s = buf;
	lx.len = end;
	lx.pos = 0;
	lx.err = err;
	st = lex_resp(&lx, r);
	if (st == GR_E_NOMEM)
		gr_error_set(err, st, "IMAP: out of memory");
	if (st != GR_OK) {
		gr_imap_resp_free(r);
		return st;
	}
	*out = r;
	*used = end;
	return GR_OK;
}

/* --- the stream -------------------------------------------------------- */

struct gr_imap_parser {
	char *buf;
	size_t off;             /* start of unparsed bytes */
	size_t len;             /* end of bytes held */
	size_t cap;
	size_t max_literal;
	size_t max_response;
	int dead;
};

gr_status
gr_imap_parser_new(size_t max_literal, size_t max_response,
                   gr_imap_parser **out)
{
	gr_imap_parser *p = calloc(1, sizeof *p);

	*out = NULL;
	if (!p)
		return GR_E_NOMEM;
	p->max_literal = max_literal;
	p->max_response = max_response;
	*out = p;
	return GR_OK;
}

void
gr_imap_parser_free(gr_imap_parser *p)
{
	if (!p)
		return;
	free(p->buf);
	free(p);
}

size_t
gr_imap_parser_pending(const gr_imap_parser *p)
{
	return p->len - p->off;
}

gr_status
gr_imap_parser_feed(gr_imap_parser *p, const char *data, size_t len,
                    gr_error *err)
{
	size_t held = p->len - p->off;
	size_t limit = p->max_response + 65536;

	if (p->dead)
		return gr_error_set(err, GR_E_PROTOCOL, "IMAP: stream is dead");
	if (len > limit || held > limit - len)
		return gr_error_set(err, GR_E_LIMIT,
		                    "IMAP: more than %zu bytes of unparsed input",
		                    limit);
	if (p->off > 0) {
		memmove(p->buf, p->buf + p->off, held);
		p->off = 0;
		p->len = held;
	}
	if (p->len + len + 1 > p->cap) {
		size_t ncap = p->cap ? p->cap : 4096;
		char *nb;

		while (ncap < p->len + len + 1)
			ncap *= 2;
		nb = realloc(p->buf, ncap);
		if (!nb)
			return gr_error_set(err, GR_E_NOMEM, "IMAP: out of memory");
		p->buf = nb;
		p->cap = ncap;
	}
	if (len)
		memcpy(p->buf + p->len, data, len);
	p->len += len;
	return GR_OK;
}

gr_status
gr_imap_parser_next(gr_imap_parser *p, gr_imap_resp **out, gr_error *err)
{
	size_t used = 0;
	gr_status st;

	*out = NULL;
	if (p->dead)
		return gr_error_set(err, GR_E_PROTOCOL, "IMAP: stream is dead");
	if (p->off == p->len)
		return GR_DONE;
	st = gr_imap_parse(p->buf + p->off, p->len - p->off, p->max_literal,
	                   p->max_response, out, &used, err);
	if (st == GR_OK)
		p->off += used;
	else if (st != GR_DONE)
		p->dead = 1;
	return st;
}

/* --- helpers over values ----------------------------------------------- */

const char *
gr_imap_str(const gr_imap_val *v)
{
	if (!v || v->type == GR_IMAP_NIL || v->type == GR_IMAP_LIST)
		return NULL;
	return v->str;
}

const gr_imap_val *
gr_imap_fetch_get(const gr_imap_val *atts, const char *key)
{
	size_t kl = strlen(key);

	if (!atts || atts->type != GR_IMAP_LIST)
		return NULL;
	for (size_t i = 0; i + 1 < atts->n; i += 2) {
		const gr_imap_val *k = &atts->v[i];

		if (k->type != GR_IMAP_ATOM)
			continue;
		if (gr_strncaseeq(k->str, key, kl) &&
		    (k->str[kl] == '\0' || k->str[kl] == '<'))
			return &atts->v[i + 1];
	}
	return NULL;
}

int
gr_imap_code_is(const gr_imap_resp *r, const char *name, uint64_t *num)
{
	const gr_imap_val *c = &r->code;

	if (c->n == 0 || c->v[0].type != GR_IMAP_ATOM ||
	    !gr_strcaseeq(c->v[0].str, name))
		return 0;
	if (num && c->n > 1 && c->v[1].type == GR_IMAP_NUMBER)
		*num = c->v[1].num;
	return 1;
}

gr_status
gr_imap_quote(gr_buf *b, const char *s)
{
	gr_status st = gr_buf_addc(b, '"');

	for (; *s && st == GR_OK; s++) {
		if (*s == '\r' || *s == '\n')
			return GR_E_PARSE;
		if (*s == '"' || *s == '\\')
			st = gr_buf_addc(b, '\\');
		if (st == GR_OK)
			st = gr_buf_addc(b, *s);
	}
	return st == GR_OK ? gr_buf_addc(b, '"') : st;
}

/* --- mailbox names: modified UTF-7 (RFC 3501 5.1.3) ---------------------- */

/* One UTF-8 character of s into *cp; its length, 0 when not valid UTF-8
 * (overlong, surrogate, past U+10FFFF, cut short). */
static size_t
utf8_next(const unsigned char *s, unsigned long *cp)
{
	size_t n = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 :
	           (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
	static const unsigned long min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	unsigned long c;

	if (n == 0)
		return 0;
	c = n == 1 ? s[0] : s[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* The run of UTF-16 units u[0..n) as "&" modified-BASE64 "-". */
static gr_status
mutf7_run(gr_buf *b, const unsigned short *u, size_t n)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                          "abcdefghijklmnopqrstuvwxyz0123456789+,";
	unsigned long acc = 0;
	int bits = 0;
	gr_status st = gr_buf_addc(b, '&');

	for (size_t i = 0; i < n && st == GR_OK; i++) {
		acc = (acc << 16) | u[i];
		bits += 16;
		while (bits >= 6 && st == GR_OK) {
			bits -= 6;
			st = gr_buf_addc(b, b64[(acc >> bits) & 0x3f]);
		}
	}
	if (bits > 0 && st == GR_OK)
		st = gr_buf_addc(b, b64[(acc << (6 - bits)) & 0x3f]);
	return st == GR_OK ? gr_buf_addc(b, '-') : st;
}

gr_status
gr_imap_quote_mailbox(gr_buf *b, const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	/* A run of UTF-16 units never outgrows the name's bytes. */
	unsigned short *run = malloc((strlen(name) + 1) * sizeof *run);
	size_t nrun = 0;
	gr_buf enc;
	gr_status st = run ? GR_OK : GR_E_NOMEM;

	gr_buf_init(&enc, 4096);
	while (st == GR_OK && (*p || nrun)) {
		unsigned long c = 0;
		size_t n = *p ? utf8_next(p, &c) : 0;

		if (*p && (n == 0 || c < 0x20 || c == 0x7f)) {
			st = GR_E_PARSE;
			break;
		}
		if (*p && c > 0x7e) {
			if (c >= 0x10000) {
				c -= 0x10000;
				run[nrun++] = (unsigned short)(0xd800 + (c >> 10));
				run[nrun++] = (unsigned short)(0xdc00 + (c & 0x3ff));
			} else {
				run[nrun++] = (unsigned short)c;
			}
			p += n;
			continue;
		}
		if (nrun) {             /* a printable character ends the run */
			st = mutf7_run(&enc, run, nrun);
			nrun = 0;
			continue;
		}
		st = c == '&' ? gr_buf_addstr(&enc, "&-") :
		     gr_buf_addc(&enc, (char)c);
		p += n;
	}
	if (st == GR_OK)
		st = gr_imap_quote(b, enc.data ? enc.data : "");
	gr_buf_free(&enc);
	free(run);
	return st;
}

/* Append code point c as UTF-8. */
static gr_status
utf8_put(gr_buf *b, unsigned long c)
{
	char u[4];
	size_t n;

	if (c < 0x80) {
		u[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		u[0] = (char)(0xc0 | (c >> 6));
		u[1] = (char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		u[0] = (char)(0xe0 | (c >> 12));
		u[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		u[2] = (char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (c >> 18));
		u[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		u[3] = (char)(0x80 | (c & 0x3f));
		n = 4;
	}
	return gr_buf_add(b, u, n);
}

static int
b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == ',' ? 63 : -1;
}

/* One "&...-" run starting after the '&' at *pp: its UTF-16 units as
 * UTF-8.  *pp ends after the '-'. */
static gr_status
mutf7_decode_run(gr_buf *b, const char **pp)
{
	const char *p = *pp;
	unsigned long acc = 0, hi = 0;
	int bits = 0;
	gr_status st = GR_OK;

	for (; *p && *p != '-' && st == GR_OK; p++) {
		int v = b64val(*p);

		if (v < 0)
			return GR_E_PARSE;
		acc = ((acc << 6) | (unsigned)v) & 0xffffff;
		bits += 6;
		if (bits < 16)
			continue;
		bits -= 16;
		{
			unsigned long u = (acc >> bits) & 0xffff;

			if (u >= 0xd800 && u <= 0xdbff) {
				if (hi)
					return GR_E_PARSE;
				hi = u;
			} else if (u >= 0xdc00 && u <= 0xdfff) {
				if (!hi)
					return GR_E_PARSE;
				st = utf8_put(b, 0x10000 + ((hi - 0xd800) << 10) +
				              (u - 0xdc00));
				hi = 0;
			} else if (hi || u < 0x20 || u == 0x7f) {
				return GR_E_PARSE;  /* a lone surrogate, a control */
			} else {
				st = utf8_put(b, u);
			}
		}
	}
	/* the run ends with '-', whole units, and zero padding bits */
	if (*p != '-' || hi || bits >= 6 || (acc & ((1ul << bits) - 1)))
		return GR_E_PARSE;
	*pp = p + 1;
	return st;
}

gr_status
gr_imap_mailbox_utf8(const char *name, char **out)
{
	const char *p = name;
	gr_buf b;
	gr_status st = GR_OK;

	*out = NULL;
	gr_buf_init(&b, 65536);
	while (*p && st == GR_OK) {
		unsigned char c = (unsigned char)*p;

		if (c == '&' && p[1] == '-') {
			st = gr_buf_addc(&b, '&');
			p += 2;
		} else if (c == '&') {
			p++;
			st = mutf7_decode_run(&b, &p);
		} else if (c < 0x20 || c >= 0x7f) {
			st = GR_E_PARSE;
		} else {
			st = gr_buf_addc(&b, (char)c);
			p++;
		}
	}
	if (st == GR_OK && !(*out = gr_buf_steal(&b)))
		st = GR_E_NOMEM;
	gr_buf_free(&b);
	return st;
}

/* --- BODYSTRUCTURE ----------------------------------------------------- */

static void
lower_copy(char *dst, size_t cap, const gr_imap_val *v, const char *dflt)
{
	const char *s = gr_imap_str(v);

	if (!s)
		s = dflt;
	snprintf(dst, cap, "%s", s);
	gr_str_lower(dst);
}

/* Disposition of a single part: the list ("attachment" (params)) found at
 * its extension position, or NULL. */
static const gr_imap_val *
single_disposition(const gr_imap_val *b)
{
	/* body-type-1part: type subtype params id desc enc size [lines]
	 * [envelope body lines for message/rfc822] md5 dsp lang loc */
	size_t at = 8;                  /* basic fields + md5 */

	if (gr_strcaseeq(gr_imap_str(&b->v[0]), "text"))
		at = 9;
	else if (gr_strcaseeq(gr_imap_str(&b->v[0]), "message") &&
	         gr_strcaseeq(gr_imap_str(&b->v[1]), "rfc822"))
		at = 11;
	if (at < b->n && b->v[at].type == GR_IMAP_LIST && b->v[at].n > 0)
		return &b->v[at];
	return NULL;
}

/* The first text part of an encapsulated message's body b (section sect
 * of it): plain if any, else html; none inside attachments or deeper
 * messages.  Fills p's inner fields; hdr names the part's header section
 * when b is the message's whole body ("2.HEADER"), NULL inside a
 * multipart (then it is "SECT.MIME"). */
static void
find_inner(const gr_imap_val *b, const char *sect, int depth,
           const char *hdr, gr_imap_part *p)
{
	char t[32], sub[64];

	if (depth > MAX_DEPTH || b->type != GR_IMAP_LIST || b->n == 0)
		return;
	if (b->v[0].type == GR_IMAP_LIST) {     /* multipart */
		size_t k = 0;

		for (size_t i = 0; i < b->n && b->v[i].type == GR_IMAP_LIST; i++) {
			int w = snprintf(sub, sizeof sub, "%s.%zu", sect, ++k);

			if (w > 0 && (size_t)w < sizeof sub)
				find_inner(&b->v[i], sub, depth + 1, NULL, p);
		}
		return;
	}
	if (b->n < 7)
		return;
	lower_copy(t, sizeof t, &b->v[0], "text");
	lower_copy(sub, sizeof sub, &b->v[1], "plain");
	if (strcmp(t, "text") != 0 || (strcmp(sub, "plain") != 0 &&
	                               strcmp(sub, "html") != 0))
		return;
	{
		const gr_imap_val *dsp = single_disposition(b);

		if (dsp && gr_strcaseeq(gr_imap_str(&dsp->v[0]), "attachment"))
			return;
	}
	if (p->inner[0] && !(strcmp(p->inner_subtype, "html") == 0 &&
	                     strcmp(sub, "plain") == 0))
		return;         /* keep the first; plain beats html */
	snprintf(p->inner, sizeof p->inner, "%s", sect);
	snprintf(p->inner_subtype, sizeof p->inner_subtype, "%s", sub);
	if (hdr)
		snprintf(p->inner_hdr, sizeof p->inner_hdr, "%s", hdr);
	else
		snprintf(p->inner_hdr, sizeof p->inner_hdr, "%s.MIME", sect);
}

static gr_status
walk(const gr_imap_val *b, const char *sect, gr_imap_part *parts, size_t max,
     size_t *n, int depth)
{
	gr_imap_part *p;
	const gr_imap_val *dsp;

	if (depth > MAX_DEPTH || b->type != GR_IMAP_LIST || b->n == 0)
		return GR_E_PROTOCOL;
	if (b->v[0].type == GR_IMAP_LIST) {     /* multipart */
		size_t k = 0;

		for (size_t i = 0; i < b->n && b->v[i].type == GR_IMAP_LIST; i++) {
			char sub[64];
			int w = snprintf(sub, sizeof sub, "%s%s%zu", sect,
			                 *sect ? "." : "", ++k);
			gr_status st;

			if (w < 0 || (size_t)w >= sizeof sub)
				return GR_E_PROTOCOL;
			st = walk(&b->v[i], sub, parts, max, n, depth + 1);
			if (st != GR_OK)
				return st;
		}
		return GR_OK;
	}
	if (b->n < 7)
		return GR_E_PROTOCOL;
	if (*n >= max)
		return GR_OK;
	p = &parts[(*n)++];
	memset(p, 0, sizeof *p);
	snprintf(p->section, sizeof p->section, "%s", *sect ? sect : "1");
	lower_copy(p->type, sizeof p->type, &b->v[0], "text");
	lower_copy(p->subtype, sizeof p->subtype, &b->v[1], "plain");
	p->size = b->v[6].type == GR_IMAP_NUMBER ? b->v[6].num : 0;
	dsp = single_disposition(b);
	p->attachment = strcmp(p->type, "text") != 0 ||
	                (dsp && gr_strcaseeq(gr_imap_str(&dsp->v[0]),
	                                     "attachment"));
	/* message/rfc822: type subtype params id desc enc size envelope
	 * body lines ...; the body's parts are numbered under this one. */
	if (strcmp(p->type, "message") == 0 &&
	    strcmp(p->subtype, "rfc822") == 0 && b->n > 8) {
		char sub[64], hdr[80];
		int single = b->v[8].type == GR_IMAP_LIST && b->v[8].n > 0 &&
		             b->v[8].v[0].type != GR_IMAP_LIST;
		int w = snprintf(sub, sizeof sub, "%s%s", p->section,
		                 single ? ".1" : "");

		snprintf(hdr, sizeof hdr, "%s.HEADER", p->section);
		if (w > 0 && (size_t)w < sizeof sub)
			find_inner(&b->v[8], sub, depth + 1, single ? hdr : NULL,
			           p);
	}
	return GR_OK;
}

gr_status
gr_imap_body_parts(const gr_imap_val *bs, gr_imap_part *parts, size_t max,
                   size_t *n)
{
	*n = 0;
	if (!bs)
		return GR_E_PROTOCOL;
	return walk(bs, "", parts, max, n, 0);
}
