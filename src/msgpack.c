/* SPDX-License-Identifier: MIT */
/*
 * msgpack.c - flat serialisation of a gr_message for the parser worker's
 * pipe.  Format (all integers big-endian):
 *
 *   "GRM2"
 *   u32 n_headers, n x (str name, str value)
 *   addr from, addr sender            addr = str name, str addr
 *   4 x (u32 n, n x addr)             reply_to, to, cc, bcc
 *   str subject, message_id, in_reply_to
 *   u32 n, n x str                    references
 *   u64 date (two's complement)
 *   str text, new_text, quoted, signature, content_type
 *   u32 flags, u64 n_parts, u64 n_attachments, u64 raw_size
 *
 *   str = u32 length (0xffffffff for NULL) then that many bytes, no NUL.
 *
 * and of a gr_extract (the worker's reading of a message's new text):
 *
 *   "GRX1"
 *   u32 lang, u32 formal, str text
 *   4 x strv                          questions, availability, timing, asks
 *   str budget, 2 x strv              phones, places
 *   str excerpt, signoff, form_name, form_email
 *   6 x u32                           web_form, wants_call, no_rush, later,
 *                                     copy_asked, moved_to_bcc
 *
 *   strv = u32 n, n x str (not NULL)
 *
 * The unpacker trusts nothing: every length and count is checked against
 * the bytes left and a cap before anything is allocated.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gravity/buf.h"
#include "gravity/extract.h"
#include "gravity/message.h"

#define PACK_MAGIC      "GRM2"
#define XPACK_MAGIC     "GRX1"
#define PACK_MAX        ((size_t)1 << 31)
#define PACK_NULL       0xffffffffU
#define COUNT_MAX       ((uint32_t)1 << 22)

/* --- writing ------------------------------------------------------------- */

static gr_status
put_u32(gr_buf *b, uint32_t v)
{
	unsigned char p[4] = { v >> 24, v >> 16, v >> 8, v };

	return gr_buf_add(b, p, 4);
}

static gr_status
put_u64(gr_buf *b, uint64_t v)
{
	gr_status st = put_u32(b, (uint32_t)(v >> 32));

	return st != GR_OK ? st : put_u32(b, (uint32_t)v);
}

static gr_status
put_str(gr_buf *b, const char *s)
{
	size_t n;
	gr_status st;

	if (!s)
		return put_u32(b, PACK_NULL);
	n = strlen(s);
	if (n >= PACK_NULL)
		return GR_E_LIMIT;
	if ((st = put_u32(b, (uint32_t)n)) != GR_OK)
		return st;
	return gr_buf_add(b, s, n);
}

static gr_status
put_addr(gr_buf *b, const gr_addr *a)
{
	gr_status st = put_str(b, a->name);

	return st != GR_OK ? st : put_str(b, a->addr);
}

static gr_status
put_list(gr_buf *b, const gr_addrlist *l)
{
	gr_status st;

	if (l->n > COUNT_MAX)
		return GR_E_LIMIT;
	if ((st = put_u32(b, (uint32_t)l->n)) != GR_OK)
		return st;
	for (size_t i = 0; i < l->n && st == GR_OK; i++)
		st = put_addr(b, &l->v[i]);
	return st;
}

static gr_status
pack_into(gr_buf *b, const gr_message *m)
{
	gr_status st;
	size_t i;

	if (m->n_headers > COUNT_MAX || m->references.n > COUNT_MAX)
		return GR_E_LIMIT;
	if ((st = gr_buf_add(b, PACK_MAGIC, 4)) != GR_OK ||
	    (st = put_u32(b, (uint32_t)m->n_headers)) != GR_OK)
		return st;
	for (i = 0; i < m->n_headers; i++)
		if ((st = put_str(b, m->headers[i].name)) != GR_OK ||
		    (st = put_str(b, m->headers[i].value)) != GR_OK)
			return st;
	if ((st = put_addr(b, &m->from)) != GR_OK ||
	    (st = put_addr(b, &m->sender)) != GR_OK ||
	    (st = put_list(b, &m->reply_to)) != GR_OK ||
	    (st = put_list(b, &m->to)) != GR_OK ||
	    (st = put_list(b, &m->cc)) != GR_OK ||
	    (st = put_list(b, &m->bcc)) != GR_OK ||
	    (st = put_str(b, m->subject)) != GR_OK ||
	    (st = put_str(b, m->message_id)) != GR_OK ||
	    (st = put_str(b, m->in_reply_to)) != GR_OK ||
	    (st = put_u32(b, (uint32_t)m->references.n)) != GR_OK)
		return st;
	for (i = 0; i < m->references.n; i++)
		if ((st = put_str(b, m->references.v[i])) != GR_OK)
			return st;
	if ((st = put_u64(b, (uint64_t)(int64_t)m->date)) != GR_OK ||
	    (st = put_str(b, m->text)) != GR_OK ||
	    (st = put_str(b, m->new_text)) != GR_OK ||
	    (st = put_str(b, m->quoted)) != GR_OK ||
	    (st = put_str(b, m->signature)) != GR_OK ||
	    (st = put_str(b, m->content_type)) != GR_OK ||
	    (st = put_u32(b, m->flags)) != GR_OK ||
	    (st = put_u64(b, m->n_parts)) != GR_OK ||
	    (st = put_u64(b, m->n_attachments)) != GR_OK)
		return st;
	return put_u64(b, m->raw_size);
}

gr_status
gr_message_pack(const gr_message *m, char **out, size_t *len)
{
	gr_buf b;
	gr_status st;

	*out = NULL;
	*len = 0;
	gr_buf_init(&b, PACK_MAX);
	st = pack_into(&b, m);
	if (st != GR_OK) {
		gr_buf_free(&b);
		return st;
	}
	*len = b.len;
	*out = gr_buf_steal(&b);
	return *out ? GR_OK : GR_E_NOMEM;
}

static gr_status
put_strv(gr_buf *b, const gr_strv *v)
{
	gr_status st;

	if (v->n > COUNT_MAX)
		return GR_E_LIMIT;
	st = put_u32(b, (uint32_t)v->n);
	for (size_t i = 0; i < v->n && st == GR_OK; i++)
		st = put_str(b, v->v[i]);
	return st;
}

static gr_status
xpack_into(gr_buf *b, const gr_extract *x)
{
	const gr_strv *lists[] = { &x->questions, &x->availability,
	                           &x->timing, &x->asks };
	const char *strs[] = { x->excerpt, x->signoff, x->form_name,
	                       x->form_email };
	const int flags[] = { x->web_form, x->wants_call, x->no_rush, x->later,
	                      x->copy_asked, x->moved_to_bcc };
	gr_status st = gr_buf_add(b, XPACK_MAGIC, 4);

	if (st == GR_OK)
		st = put_u32(b, (uint32_t)x->lang);
	if (st == GR_OK)
		st = put_u32(b, (uint32_t)x->formal);
	if (st == GR_OK)
		st = put_str(b, x->text);
	for (size_t i = 0; i < 4 && st == GR_OK; i++)
		st = put_strv(b, lists[i]);
	if (st == GR_OK)
		st = put_str(b, x->budget);
	if (st == GR_OK)
		st = put_strv(b, &x->phones);
	if (st == GR_OK)
		st = put_strv(b, &x->places);
	for (size_t i = 0; i < 4 && st == GR_OK; i++)
		st = put_str(b, strs[i]);
	for (size_t i = 0; i < 6 && st == GR_OK; i++)
		st = put_u32(b, (uint32_t)flags[i]);
	return st;
}

gr_status
gr_extract_pack(const gr_extract *x, char **out, size_t *len)
{
	gr_buf b;
	gr_status st;

	*out = NULL;
	*len = 0;
	gr_buf_init(&b, PACK_MAX);
	st = xpack_into(&b, x);
	if (st != GR_OK) {
		gr_buf_free(&b);
		return st;
	}
	*len = b.len;
	*out = gr_buf_steal(&b);
	return *out ? GR_OK : GR_E_NOMEM;
}

/* --- reading --------------------------------------------------------------- */

struct rd {
	const unsigned char *p;
	size_t left;
	gr_status st;           /* first failure */
	const char *what;       /* what was being read at the failure */
};

static void
rd_fail(struct rd *r, gr_status st, const char *what)
{
	if (r->st == GR_OK) {
		r->st = st;
		r->what = what;
	}
	r->left = 0;
}

static uint32_t
get_u32(struct rd *r, const char *what)
{
	uint32_t v;

	if (r->st != GR_OK || r->left < 4) {
		rd_fail(r, GR_E_PARSE, what);
		return 0;
	}
	v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 |
	    (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	r->left -= 4;
	return v;
}

static uint64_t
get_u64(struct rd *r, const char *what)
{
	uint64_t hi = get_u32(r, what);

	return hi << 32 | get_u32(r, what);
}

/* A string; *ok cleared on failure.  nullable: NULL is allowed. */
static char *
get_str(struct rd *r, int nullable, const char *what)
{
	uint32_t n = get_u32(r, what);
	char *s;

	if (r->st != GR_OK)
		return NULL;
	if (n == PACK_NULL) {
		if (!nullable)
			rd_fail(r, GR_E_PARSE, what);
		return NULL;
	}
	if (n > r->left || memchr(r->p, '\0', n)) {
		rd_fail(r, GR_E_PARSE, what);
		return NULL;
	}
	s = malloc((size_t)n + 1);
	if (!s) {
		rd_fail(r, GR_E_NOMEM, what);
		return NULL;
	}
	memcpy(s, r->p, n);
	s[n] = '\0';
	r->p += n;
	r->left -= n;
	return s;
}

/* A count of items each at least min_size bytes long. */
static size_t
get_count(struct rd *r, size_t min_size, const char *what)
{
	uint32_t n = get_u32(r, what);

	if (r->st != GR_OK)
		return 0;
	if (n > COUNT_MAX || n > r->left / min_size) {
		rd_fail(r, GR_E_PARSE, what);
		return 0;
	}
	return n;
}

static void
get_addr(struct rd *r, gr_addr *a, const char *what)
{
	a->name = get_str(r, 1, what);
	a->addr = get_str(r, 1, what);
}

static void
get_list(struct rd *r, gr_addrlist *l, const char *what)
{
	size_t n = get_count(r, 8, what);

	if (!n)
		return;
	l->v = calloc(n, sizeof *l->v);
	if (!l->v) {
		rd_fail(r, GR_E_NOMEM, what);
		return;
	}
	for (l->n = 0; l->n < n && r->st == GR_OK; l->n++)
		get_addr(r, &l->v[l->n], what);
}

static void
unpack_into(struct rd *r, gr_message *m)
{
	size_t n, i;

	if (r->left < 4 || memcmp(r->p, PACK_MAGIC, 4) != 0) {
		rd_fail(r, GR_E_PARSE, "magic");
		return;
	}
	r->p += 4;
	r->left -= 4;
	n = get_count(r, 8, "header count");
	if (n && !(m->headers = calloc(n, sizeof *m->headers))) {
		rd_fail(r, GR_E_NOMEM, "headers");
		return;
	}
	for (i = 0; i < n && r->st == GR_OK; i++) {
		m->headers[i].name = get_str(r, 0, "header name");
		m->headers[i].value = get_str(r, 0, "header value");
		m->n_headers = i + 1;
	}
	get_addr(r, &m->from, "from");
	get_addr(r, &m->sender, "sender");
	get_list(r, &m->reply_to, "reply-to");
	get_list(r, &m->to, "to");
	get_list(r, &m->cc, "cc");
	get_list(r, &m->bcc, "bcc");
	m->subject = get_str(r, 0, "subject");
	m->message_id = get_str(r, 1, "message-id");
	m->in_reply_to = get_str(r, 1, "in-reply-to");
	n = get_count(r, 4, "reference count");
	for (i = 0; i < n && r->st == GR_OK; i++) {
		char *s = get_str(r, 0, "reference");
		if (s && gr_strv_push_owned(&m->references, s) != GR_OK) {
			free(s);
			rd_fail(r, GR_E_NOMEM, "references");
		}
	}
	m->date = (time_t)(int64_t)get_u64(r, "date");
	m->text = get_str(r, 0, "text");
	m->new_text = get_str(r, 0, "new text");
	m->quoted = get_str(r, 0, "quoted");
	m->signature = get_str(r, 0, "signature");
	m->content_type = get_str(r, 0, "content type");
	m->flags = get_u32(r, "flags");
	m->n_parts = get_u64(r, "part count");
	m->n_attachments = get_u64(r, "attachment count");
	m->raw_size = get_u64(r, "raw size");
	if (r->st == GR_OK && r->left != 0)
		rd_fail(r, GR_E_PARSE, "trailing bytes");
}

gr_status
gr_message_unpack(const char *data, size_t len, gr_message **out,
                  gr_error *err)
{
	struct rd r = { (const unsigned char *)data, len, GR_OK, NULL };
	gr_message *m;

	*out = NULL;
	if (!data)
		return gr_error_set(err, GR_E_PARSE, "packed message: no data");
	m = calloc(1, sizeof *m);
	if (!m)
		return gr_error_set(err, GR_E_NOMEM, "packed message: out of memory");
	unpack_into(&r, m);
	if (r.st != GR_OK) {
		gr_message_free(m);
		return gr_error_set(err, r.st, "packed message: bad %s",
		                    r.what ? r.what : "data");
	}
	*out = m;
	return GR_OK;
}

static void
get_strv(struct rd *r, gr_strv *v, const char *what)
{
	size_t n = get_count(r, 4, what);

	for (size_t i = 0; i < n && r->st == GR_OK; i++) {
		char *s = get_str(r, 0, what);

		if (s && gr_strv_push_owned(v, s) != GR_OK) {
			free(s);
			rd_fail(r, GR_E_NOMEM, what);
		}
	}
}

/* A flag or a small number; above max it is refused. */
static int
get_small(struct rd *r, uint32_t max, const char *what)
{
	uint32_t v = get_u32(r, what);

	if (r->st == GR_OK && v > max)
		rd_fail(r, GR_E_PARSE, what);
	return r->st == GR_OK ? (int)v : 0;
}

static void
xunpack_into(struct rd *r, gr_extract *x)
{
	gr_strv *lists[] = { &x->questions, &x->availability, &x->timing,
	                     &x->asks };
	char **strs[] = { &x->excerpt, &x->signoff, &x->form_name,
	                  &x->form_email };
	int *flags[] = { &x->web_form, &x->wants_call, &x->no_rush, &x->later,
	                 &x->copy_asked, &x->moved_to_bcc };

	if (r->left < 4 || memcmp(r->p, XPACK_MAGIC, 4) != 0) {
		rd_fail(r, GR_E_PARSE, "magic");
		return;
	}
	r->p += 4;
	r->left -= 4;
	x->lang = (gr_lang)get_small(r, GR_LANG_COUNT - 1, "language");
	x->formal = get_small(r, 1, "formal");
	x->text = get_str(r, 1, "text");
	for (size_t i = 0; i < 4; i++)
		get_strv(r, lists[i], "list");
	x->budget = get_str(r, 1, "budget");
	get_strv(r, &x->phones, "phones");
	get_strv(r, &x->places, "places");
	for (size_t i = 0; i < 4; i++)
		*strs[i] = get_str(r, 1, "string");
	for (size_t i = 0; i < 6; i++)
		*flags[i] = get_small(r, 1, "flag");
	if (r->st == GR_OK && r->left != 0)
		rd_fail(r, GR_E_PARSE, "trailing bytes");
}

gr_status
gr_extract_unpack(const char *data, size_t len, gr_extract *out,
                  gr_error *err)
{
	struct rd r = { (const unsigned char *)data, len, GR_OK, NULL };

	memset(out, 0, sizeof *out);
	if (!data)
		return gr_error_set(err, GR_E_PARSE, "packed reading: no data");
	xunpack_into(&r, out);
	if (r.st != GR_OK) {
		gr_extract_free(out);
		return gr_error_set(err, r.st, "packed reading: bad %s",
		                    r.what ? r.what : "data");
	}
	return GR_OK;
}
