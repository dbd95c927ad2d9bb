/* SPDX-License-Identifier: MIT */
/*
 * source_imap.c - the imap:// and imaps:// source driver.
 *
 * The Sent and Drafts folders are the server's \Sent and \Drafts (RFC 6154,
 * see imap_folders.c) unless the config names them.  A folder that cannot
 * be opened is one warning and the rest of the poll goes on; only the
 * URI's own folder is a fatal error.
 *
 * Read-only (RFC 3501): folders are opened with EXAMINE (6.3.2) and read
 * with UID SEARCH (6.4.4) and UID FETCH (6.4.8) using BODY.PEEK only, so
 * no flag ever changes.  Incremental: the state keeps UIDVALIDITY and the
 * highest UID processed per folder (RFC 3501 2.3.1.1); a UIDVALIDITY change
 * means a rescan.  A folder seen before is asked STATUS (UIDNEXT
 * UIDVALIDITY) first and examined only when that shows news.  Two batched fetches per batch: BODYSTRUCTURE plus the
 * header first, then, grouped by identical item lists, the MIME headers of
 * the parts and the text parts (capped partial fetches, section 6.4.5).
 * Each message is rebuilt as an RFC 5322 / RFC 2046 message: the real
 * header and a multipart/mixed body with the text parts and an empty
 * placeholder per attachment; a message with no text of its own but a
 * forwarded message/rfc822 gets that message's first text part, inside
 * the message/rfc822 part with its header, as the parser would read it
 * from the whole file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gravity/buf.h"
#include "gravity/imap.h"
#include "gravity/state.h"
#include "gravity/util.h"

#define MAX_PARTS 32

typedef struct folder {
	char *name;             /* IMAP name */
	char *key;              /* state key and gr_raw_msg.folder */
	const char *role;       /* for messages: "folders", "sent-folder"... */
	int is_sent;
	int examined;
	uint32_t uidvalidity;
	uint32_t last;          /* high-water mark at open */
	uint32_t *uids;         /* to deliver, ascending, all > last */
	unsigned char *done;
	size_t nuids;
	size_t next_fetch;      /* index of the next UID to fetch */
	size_t mark;            /* uids[0..mark) are done */
	size_t saved;           /* mark as last written to the state */
} folder;

/* One message of a batch while it is being fetched. */
typedef struct rec {
	uint32_t uid;
	int got;                /* first fetch answered */
	int bad;                /* unusable BODYSTRUCTURE */
	int multipart;
	char *header;
	size_t hlen;
	gr_imap_part parts[MAX_PARTS];
	size_t nparts;
	int want[MAX_PARTS];    /* WANT_* */
	char *mime[MAX_PARTS];
	size_t mimelen[MAX_PARTS];
	char *inhdr[MAX_PARTS]; /* WANT_INNER: the inner text part's header */
	size_t inhdrlen[MAX_PARTS];
	char *text[MAX_PARTS];
	size_t textlen[MAX_PARTS];
	char *items;            /* second fetch items, NULL if none */
	char *msg;              /* the rebuilt message */
	size_t msglen;
	char source_id[512];
} rec;

typedef struct imap_src {
	gr_imap_uri uri;
	struct gr_imap_opts o;
	gr_state *state;
	int verbose;
	gr_imap_conn *conn;
	folder *f;
	size_t nf;
	size_t cur;
	rec *batch;
	size_t nbatch;
	size_t ibatch;
	int drafts_open;        /* the drafts folder, not f[cur], is examined */
	char *drafts;           /* owned: the folder drafts go to, or NULL */
	int append_off;         /* drafts cannot be appended this poll (said) */
	int progress;           /* stderr is a terminal: show "fetched N/M" */
	char prefix[400];       /* "imaps://user@host:port/" */
} imap_src;

/* --- folders -------------------------------------------------------------- */

static gr_status
add_folder(imap_src *s, const char *name, int is_sent, const char *role)
{
	folder *nf;

	for (size_t i = 0; i < s->nf; i++)
		if (strcmp(s->f[i].name, name) == 0) {
			s->f[i].is_sent |= is_sent;
			return GR_OK;
		}
	nf = realloc(s->f, (s->nf + 1) * sizeof *nf);
	if (!nf)
		return GR_E_NOMEM;
	s->f = nf;
	memset(&s->f[s->nf], 0, sizeof s->f[s->nf]);
	s->f[s->nf].name = gr_strdup(name);
	s->f[s->nf].is_sent = is_sent;
	s->f[s->nf].role = role;
	if (s->f[s->nf].name) {
		gr_buf b;

		gr_buf_init(&b, 4096);
		if (gr_buf_printf(&b, "%s%s", s->prefix, name) == GR_OK)
			s->f[s->nf].key = gr_buf_steal(&b);
		gr_buf_free(&b);
	}
	s->nf++;
	return s->f[s->nf - 1].key ? GR_OK : GR_E_NOMEM;
}

static void
folder_free(folder *f)
{
	free(f->name);
	free(f->key);
	free(f->uids);
	free(f->done);
}

typedef struct exam {
	uint64_t uidvalidity, uidnext, exists;
	int have_uidvalidity;
} exam;

static gr_status
on_examine(const gr_imap_resp *r, void *arg, gr_error *err)
{
	exam *e = arg;

	(void)err;
	if (strcmp(r->name, "OK") == 0) {
		if (gr_imap_code_is(r, "UIDVALIDITY", &e->uidvalidity))
			e->have_uidvalidity = 1;
		(void)gr_imap_code_is(r, "UIDNEXT", &e->uidnext);
	} else if (strcmp(r->name, "EXISTS") == 0 && r->has_number) {
		e->exists = r->number;
	}
	return GR_OK;
}

static gr_status
on_search(const gr_imap_resp *r, void *arg, gr_error *err)
{
	folder *f = arg;

	if (strcmp(r->name, "SEARCH") != 0)
		return GR_OK;
	for (size_t i = 0; i < r->data.n; i++) {
		const gr_imap_val *v = &r->data.v[i];
		uint32_t *nu;

		if (v->type != GR_IMAP_NUMBER || v->num > UINT32_MAX ||
		    v->num <= f->last)
			continue;       /* "last+1:*" also returns the last UID */
		nu = realloc(f->uids, (f->nuids + 1) * sizeof *nu);
		if (!nu)
			return gr_error_set(err, GR_E_NOMEM, "out of memory");
		f->uids = nu;
		f->uids[f->nuids++] = (uint32_t)v->num;
	}
	return GR_OK;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* What STATUS said of one folder. */
typedef struct status_ctx {
	const char *quoted;     /* the folder as sent, quoted */
	uint64_t uidvalidity, uidnext;
	int seen;
} status_ctx;

static gr_status
on_status(const gr_imap_resp *r, void *arg, gr_error *err)
{
	status_ctx *sc = arg;
	const gr_imap_val *att;
	const char *name;
	gr_buf q;
	int same;

	(void)err;
	if (strcmp(r->name, "STATUS") != 0 || r->data.n < 2 ||
	    r->data.v[1].type != GR_IMAP_LIST || !(name = gr_imap_str(&r->data.v[0])))
		return GR_OK;
	gr_buf_init(&q, 8192);
	same = gr_imap_quote(&q, name) == GR_OK && q.data &&
	       (strcmp(q.data, sc->quoted) == 0 ||
	        (gr_strcaseeq(q.data, "\"INBOX\"") &&
	         gr_strcaseeq(sc->quoted, "\"INBOX\"")));
	gr_buf_free(&q);
	if (!same)
		return GR_OK;
	att = &r->data.v[1];
	for (size_t i = 0; i + 1 < att->n; i += 2) {
		const char *k = gr_imap_str(&att->v[i]);

		if (!k || att->v[i + 1].type != GR_IMAP_NUMBER)
			continue;
		if (gr_strcaseeq(k, "UIDNEXT"))
			sc->uidnext = att->v[i + 1].num;
		else if (gr_strcaseeq(k, "UIDVALIDITY"))
			sc->uidvalidity = att->v[i + 1].num;
	}
	sc->seen = 1;
	return GR_OK;
}

/* A folder the state knows: one STATUS (RFC 3501 6.3.10) tells whether it
 * has anything above the high-water mark.  1 when it has not (the folder
 * needs no EXAMINE, so a poll with no news costs one round trip per
 * folder, whatever the folder's size), 0 when it must be examined (news, a
 * new UIDVALIDITY, or a server that did not answer STATUS). */
static int
unchanged(imap_src *s, folder *f, uint32_t uv0, uint32_t last0)
{
	status_ctx sc = { NULL, 0, 0, 0 };
	gr_buf cmd, q;
	gr_error e;
	int same = 0;

	gr_buf_init(&cmd, 8192);
	gr_buf_init(&q, 8192);
	if (gr_buf_addstr(&cmd, "STATUS ") == GR_OK &&
	    gr_imap_quote_mailbox(&q, f->name) == GR_OK &&
	    gr_buf_add(&cmd, q.data, q.len) == GR_OK &&
	    gr_buf_addstr(&cmd, " (UIDNEXT UIDVALIDITY)") == GR_OK) {
		sc.quoted = q.data;
		if (gr_imap_cmd(s->conn, cmd.data, on_status, &sc, &e) == GR_OK &&
		    sc.seen && sc.uidvalidity == uv0 && sc.uidnext > 0 &&
		    sc.uidnext <= (uint64_t)last0 + 1)
			same = 1;
	}
	gr_buf_free(&cmd);
	gr_buf_free(&q);
	if (same) {
		f->uidvalidity = uv0;
		f->last = last0;
	}
	return same;
}

/* The folder the server marks use (GR_IMAP_USE_*), when it is not
 * name: one LIST, for a configured folder that turned out missing.
 * NULL when there is none (or the LIST failed). */
static char *
marked_instead(imap_src *s, unsigned use, const char *name)
{
	gr_imap_mailbox *v = NULL;
	size_t n = 0;
	const char *m;
	char *out = NULL;
	gr_error e;

	if (gr_imap_list(s->conn, &v, &n, &e) != GR_OK)
		return NULL;
	m = gr_imap_special(v, n, use);
	if (m && strcmp(m, name) != 0)
		out = gr_strdup(m);
	gr_imap_mailboxes_free(v, n);
	return out;
}

static gr_status examine(imap_src *s, folder *f, gr_error *err);

/* EXAMINE said NO (no such folder, or no right to it).  The URI's own
 * folder is the point of the poll: stop.  A sent-folder that is not there
 * gives way to the folder the server marks \Sent (the config only
 * overrides it): the owner's answers are still read.  Any other: one
 * warning, and the poll goes on without it. */
static gr_status
folder_refused(imap_src *s, folder *f, gr_error *err)
{
	char why[sizeof err->msg], *alt = NULL;

	snprintf(why, sizeof why, "%s", err ? err->msg : "refused");
	if (f == &s->f[0])
		return gr_error_set(err, GR_E_SETUP, "folder '%s' cannot be "
		                    "opened (%.600s); 'gravity folders' lists the "
		                    "account's folders", f->name, why);
	if (f->is_sent && s->o.sent_folder && strcmp(f->role, "sent-folder") == 0)
		alt = marked_instead(s, GR_IMAP_USE_SENT, f->name);
	for (size_t i = 0; alt && i < s->nf; i++)
		if (strcmp(s->f[i].name, alt) == 0) {
			free(alt);      /* read already, as one of 'folders' */
			alt = NULL;
		}
	if (alt) {
		gr_buf b;
		char *key = NULL;

		gr_warning("sent-folder '%s' cannot be "
		        "opened (%.600s); read '%s' instead, which the server "
		        "marks \\Sent (correct or remove the sent-folder line; "
		        "'gravity folders' lists the account's folders)\n",
		        f->name, why, alt);
		gr_buf_init(&b, 4096);
		if (gr_buf_printf(&b, "%s%s", s->prefix, alt) == GR_OK)
			key = gr_buf_steal(&b);
		gr_buf_free(&b);
		if (!key) {
			free(alt);
			return gr_error_set(err, GR_E_NOMEM, "out of memory");
		}
		free(f->name);
		free(f->key);
		f->name = alt;
		f->key = key;
		f->role = "\\Sent folder";
		return examine(s, f, err);
	}
	gr_warning("%s '%s' cannot be opened (%.600s); "
	        "skipped this poll ('gravity folders' lists the account's "
	        "folders)\n", f->role, f->name, why);
	return GR_OK;
}

/* UID mode: the UIDs asked for, on the UIDVALIDITY they were seen with. */
static gr_status
pick_uids(imap_src *s, folder *f, gr_error *err)
{
	if (s->o.uidvalidity && s->o.uidvalidity != f->uidvalidity)
		return gr_error_set(err, GR_E_NOINPUT, "%s: UIDVALIDITY is %u now, "
		                    "not %u: the server renumbered the folder, so "
		                    "its UIDs name other messages", f->key,
		                    f->uidvalidity, s->o.uidvalidity);
	f->uids = malloc(s->o.nuids * sizeof *f->uids);
	f->done = calloc(s->o.nuids, 1);
	if (!f->uids || !f->done)
		return gr_error_set(err, GR_E_NOMEM, "out of memory");
	memcpy(f->uids, s->o.uids, s->o.nuids * sizeof *f->uids);
	qsort(f->uids, s->o.nuids, sizeof *f->uids, cmp_u32);
	for (size_t i = 0; i < s->o.nuids; i++)     /* once each, no 0 */
		if (f->uids[i] && (!f->nuids || f->uids[i] != f->uids[f->nuids - 1]))
			f->uids[f->nuids++] = f->uids[i];
	return GR_OK;
}

static gr_status
examine(imap_src *s, folder *f, gr_error *err)
{
	exam e = { 0, 0, 0, 0 };
	uint32_t uv0 = 0, last0 = 0;
	gr_buf cmd;
	gr_status st;

	f->examined = 1;
	if (s->state) {
		st = gr_state_folder_get(s->state, f->key, &uv0, &last0, err);
		if (st != GR_OK)
			return st;
	}
	if (uv0 && unchanged(s, f, uv0, last0))
		return GR_OK;
	gr_buf_init(&cmd, 8192);
	st = gr_buf_addstr(&cmd, "EXAMINE ");
	if (st == GR_OK && gr_imap_quote_mailbox(&cmd, f->name) != GR_OK)
		st = gr_error_set(err, GR_E_CONFIG, "folder name refused (not "
		                  "UTF-8, or a control character in it)");
	if (st == GR_OK)
		st = gr_imap_cmd(s->conn, cmd.data, on_examine, &e, err);
	gr_buf_free(&cmd);
	if (st == GR_E_PROTOCOL && gr_imap_alive(s->conn))
		return folder_refused(s, f, err);
	if (st != GR_OK)
		return st;
	if (!e.have_uidvalidity || e.uidvalidity == 0 || e.uidvalidity > UINT32_MAX)
		return gr_error_set(err, GR_E_PROTOCOL, "%s: %s: no UIDVALIDITY",
		                    gr_imap_peer(s->conn), f->name);
	f->uidvalidity = (uint32_t)e.uidvalidity;
	if (s->o.nuids)
		return pick_uids(s, f, err);
	f->last = uv0 == f->uidvalidity ? last0 : 0;
	if (uv0 && uv0 != f->uidvalidity && s->verbose)
		fprintf(stderr, "gravity: %s: UIDVALIDITY changed (%u -> %u), "
		        "rescanning\n", f->key, uv0, f->uidvalidity);
	if (s->state && uv0 != f->uidvalidity) {
		st = gr_state_folder_set(s->state, f->key, f->uidvalidity, 0, err);
		if (st != GR_OK)
			return st;
	}
	if (e.exists == 0 || (e.uidnext && e.uidnext <= (uint64_t)f->last + 1))
		return GR_OK;   /* nothing new: no more round trips */
	{
		char q[64];

		snprintf(q, sizeof q, "UID SEARCH UID %u:*", f->last + 1);
		st = gr_imap_cmd(s->conn, q, on_search, f, err);
	}
	if (st != GR_OK)
		return st;
	if (f->nuids) {
		qsort(f->uids, f->nuids, sizeof *f->uids, cmp_u32);
		f->done = calloc(f->nuids, 1);
		if (!f->done)
			return gr_error_set(err, GR_E_NOMEM, "out of memory");
	}
	return GR_OK;
}

/* After an APPEND examined the drafts folder: examine f again, on the same
 * UIDVALIDITY (else its UIDs are void: stop, the next poll rescans). */
static gr_status
reexamine(imap_src *s, folder *f, gr_error *err)
{
	exam e = { 0, 0, 0, 0 };
	gr_buf cmd;
	gr_status st;

	gr_buf_init(&cmd, 8192);
	st = gr_buf_addstr(&cmd, "EXAMINE ");
	if (st == GR_OK)
		st = gr_imap_quote_mailbox(&cmd, f->name);
	if (st == GR_OK)
		st = gr_imap_cmd(s->conn, cmd.data, on_examine, &e, err);
	gr_buf_free(&cmd);
	if (st != GR_OK)
		return st;
	s->drafts_open = 0;
	if (e.uidvalidity != f->uidvalidity)
		return gr_error_set(err, GR_E_NET, "%s: UIDVALIDITY changed during "
		                    "the poll; the next poll rescans", f->key);
	return GR_OK;
}

/* --- batches -------------------------------------------------------------- */

/* Free what was fetched of r (the rebuilt message is kept). */
static void
rec_drop_pieces(rec *r)
{
	free(r->header);
	r->header = NULL;
	for (size_t i = 0; i < MAX_PARTS; i++) {
		free(r->mime[i]);
		free(r->inhdr[i]);
		free(r->text[i]);
		r->mime[i] = r->inhdr[i] = r->text[i] = NULL;
	}
	free(r->items);
	r->items = NULL;
}

static void
rec_clear(rec *r)
{
	rec_drop_pieces(r);
	free(r->msg);
	r->msg = NULL;
}

static void
batch_free(imap_src *s)
{
	for (size_t i = 0; i < s->nbatch; i++)
		rec_clear(&s->batch[i]);
	free(s->batch);
	s->batch = NULL;
	s->nbatch = s->ibatch = 0;
}

static rec *
batch_find(imap_src *s, uint32_t uid)
{
	for (size_t i = 0; i < s->nbatch; i++)
		if (s->batch[i].uid == uid)
			return &s->batch[i];
	return NULL;
}

static gr_status
copy_val(const gr_imap_val *v, char **out, size_t *len)
{
	const char *p = gr_imap_str(v);

	if (!p) {
		*out = NULL;
		*len = 0;
		return GR_OK;
	}
	*out = malloc(v->len + 1);
	if (!*out)
		return GR_E_NOMEM;
	memcpy(*out, p, v->len + 1);
	*len = v->len;
	return GR_OK;
}

static uint32_t
fetch_uid(const gr_imap_resp *r, const gr_imap_val **atts)
{
	const gr_imap_val *u;

	if (strcmp(r->name, "FETCH") != 0 || r->data.n < 1 ||
	    r->data.v[0].type != GR_IMAP_LIST)
		return 0;
	*atts = &r->data.v[0];
	u = gr_imap_fetch_get(*atts, "UID");
	if (!u || u->type != GR_IMAP_NUMBER || u->num > UINT32_MAX)
		return 0;
	return (uint32_t)u->num;
}

/* What is fetched of a part. */
enum {
	WANT_NONE = 0,
	WANT_TEXT,              /* its MIME header and its text */
	WANT_PLACEHOLDER,       /* its MIME header only (an attachment) */
	WANT_INNER,             /* a forwarded message/rfc822: its MIME header,
	                         * and the header and text of its first text
	                         * part (the parser reads it when the message
	                         * has no text of its own) */
};

/* Decide which parts to fetch, as the parser picks its text: the text/plain
 * parts, else the text/html ones, else the text of the first forwarded
 * message; a placeholder for every attachment. */
static void
choose_parts(rec *r)
{
	int plain = 0, own = 0, inner = 0;

	for (size_t i = 0; i < r->nparts; i++)
		if (!r->parts[i].attachment) {
			own = 1;
			plain |= strcmp(r->parts[i].subtype, "plain") == 0;
		}
	for (size_t i = 0; i < r->nparts; i++) {
		const gr_imap_part *p = &r->parts[i];

		if (!own && !inner && p->inner[0]) {
			r->want[i] = WANT_INNER;
			inner = 1;
		} else if (p->attachment) {
			r->want[i] = WANT_PLACEHOLDER;
		} else if (strcmp(p->subtype, plain ? "plain" : "html") == 0) {
			r->want[i] = WANT_TEXT;
		} else {
			r->want[i] = WANT_NONE;
		}
	}
}

static gr_status
items_for(rec *r, size_t cap)
{
	gr_buf b;
	gr_status st = GR_OK;

	gr_buf_init(&b, 65536);
	if (!r->multipart) {
		if (r->nparts == 1 && !r->parts[0].attachment)
			st = gr_buf_printf(&b, "BODY.PEEK[TEXT]<0.%zu>", cap);
	} else {
		for (size_t i = 0; i < r->nparts && st == GR_OK; i++) {
			const gr_imap_part *p = &r->parts[i];

			if (!r->want[i])
				continue;
			st = gr_buf_printf(&b, "%sBODY.PEEK[%s.MIME]", b.len ? " " : "",
			                   p->section);
			if (st == GR_OK && r->want[i] == WANT_TEXT)
				st = gr_buf_printf(&b, " BODY.PEEK[%s]<0.%zu>",
				                   p->section, cap);
			if (st == GR_OK && r->want[i] == WANT_INNER)
				st = gr_buf_printf(&b, " BODY.PEEK[%s] "
				                   "BODY.PEEK[%s]<0.%zu>",
				                   p->inner_hdr, p->inner, cap);
		}
	}
	if (st == GR_OK && b.len)
		r->items = gr_buf_steal(&b);
	gr_buf_free(&b);
	return st;
}

typedef struct fetch_ctx {
	imap_src *s;
	size_t cap;
} fetch_ctx;

static gr_status
on_fetch1(const gr_imap_resp *r, void *arg, gr_error *err)
{
	fetch_ctx *fc = arg;
	const gr_imap_val *atts = NULL, *bs;
	uint32_t uid = fetch_uid(r, &atts);
	rec *m = uid ? batch_find(fc->s, uid) : NULL;

	if (!m || m->got)
		return GR_OK;           /* unsolicited FETCH (e.g. FLAGS) */
	m->got = 1;
	if (copy_val(gr_imap_fetch_get(atts, "BODY[HEADER]"), &m->header,
	             &m->hlen) != GR_OK)
		return gr_error_set(err, GR_E_NOMEM, "out of memory");
	bs = gr_imap_fetch_get(atts, "BODYSTRUCTURE");
	if (!bs || gr_imap_body_parts(bs, m->parts, MAX_PARTS, &m->nparts) !=
	    GR_OK || !m->header) {
		m->bad = 1;
		return GR_OK;
	}
	m->multipart = bs->n > 0 && bs->v[0].type == GR_IMAP_LIST;
	choose_parts(m);
	if (items_for(m, fc->cap) != GR_OK)
		return gr_error_set(err, GR_E_NOMEM, "out of memory");
	return GR_OK;
}

/* The inner header and text of part i (WANT_INNER) from a FETCH. */
static gr_status
inner_vals(rec *m, size_t i, const gr_imap_val *atts)
{
	const gr_imap_part *p = &m->parts[i];
	char key[96];
	gr_status st = GR_OK;

	snprintf(key, sizeof key, "BODY[%s]", p->inner_hdr);
	if (!m->inhdr[i])
		st = copy_val(gr_imap_fetch_get(atts, key), &m->inhdr[i],
		              &m->inhdrlen[i]);
	snprintf(key, sizeof key, "BODY[%s]", p->inner);
	if (st == GR_OK && !m->text[i])
		st = copy_val(gr_imap_fetch_get(atts, key), &m->text[i],
		              &m->textlen[i]);
	return st;
}

static gr_status
on_fetch2(const gr_imap_resp *r, void *arg, gr_error *err)
{
	fetch_ctx *fc = arg;
	const gr_imap_val *atts = NULL;
	uint32_t uid = fetch_uid(r, &atts);
	rec *m = uid ? batch_find(fc->s, uid) : NULL;
	char key[96];
	gr_status st = GR_OK;

	if (!m || m->bad)
		return GR_OK;
	if (!m->multipart) {
		const gr_imap_val *t = gr_imap_fetch_get(atts, "BODY[TEXT]");

		if (t && !m->text[0])
			st = copy_val(t, &m->text[0], &m->textlen[0]);
	}
	for (size_t i = 0; m->multipart && i < m->nparts && st == GR_OK; i++) {
		if (!m->want[i])
			continue;
		snprintf(key, sizeof key, "BODY[%s.MIME]", m->parts[i].section);
		if (!m->mime[i])
			st = copy_val(gr_imap_fetch_get(atts, key), &m->mime[i],
			              &m->mimelen[i]);
		snprintf(key, sizeof key, "BODY[%s]", m->parts[i].section);
		if (st == GR_OK && m->want[i] == WANT_TEXT && !m->text[i])
			st = copy_val(gr_imap_fetch_get(atts, key), &m->text[i],
			              &m->textlen[i]);
		if (st == GR_OK && m->want[i] == WANT_INNER)
			st = inner_vals(m, i, atts);
	}
	if (st != GR_OK)
		return gr_error_set(err, GR_E_NOMEM, "out of memory");
	return GR_OK;
}

/* "1:3,7,9:10" for uids (ascending). */
static gr_status
uid_set(gr_buf *b, const uint32_t *u, size_t n)
{
	gr_status st = GR_OK;

	for (size_t i = 0; i < n && st == GR_OK; ) {
		const char *sep = i ? "," : "";
		size_t j = i;

		while (j + 1 < n && u[j + 1] == u[j] + 1)
			j++;
		if (j == i)
			st = gr_buf_printf(b, "%s%u", sep, u[i]);
		else
			st = gr_buf_printf(b, "%s%u:%u", sep, u[i], u[j]);
		i = j + 1;
	}
	return st;
}

/* Second round: one UID FETCH per distinct item list. */
static gr_status
fetch_parts(imap_src *s, fetch_ctx *fc, gr_error *err)
{
	unsigned char *sent = calloc(s->nbatch ? s->nbatch : 1, 1);
	uint32_t *uids = calloc(s->nbatch ? s->nbatch : 1, sizeof *uids);
	gr_status st = GR_OK;

	if (!sent || !uids) {
		st = gr_error_set(err, GR_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < s->nbatch && st == GR_OK; i++) {
		const char *items = s->batch[i].items;
		size_t n = 0;
		gr_buf cmd;

		if (sent[i] || !items || s->batch[i].bad)
			continue;
		for (size_t j = i; j < s->nbatch; j++)
			if (!sent[j] && s->batch[j].items && !s->batch[j].bad &&
			    strcmp(s->batch[j].items, items) == 0) {
				sent[j] = 1;
				uids[n++] = s->batch[j].uid;
			}
		gr_buf_init(&cmd, 1u << 20);
		st = gr_buf_addstr(&cmd, "UID FETCH ");
		if (st == GR_OK)
			st = uid_set(&cmd, uids, n);
		if (st == GR_OK)
			st = gr_buf_printf(&cmd, " (UID %s)", items);
		if (st == GR_OK)
			st = gr_imap_cmd(s->conn, cmd.data, on_fetch2, fc, err);
		else
			st = gr_error_set(err, st, "UID FETCH: command too long");
		gr_buf_free(&cmd);
	}
out:
	free(sent);
	free(uids);
	return st;
}

/* --- rebuilding a message --------------------------------------------- */

/* Append the header without its Content-Type and Content-Transfer-Encoding
 * fields, and without the blank line that ends it. */
static gr_status
add_header_without_ct(gr_buf *b, const char *h, size_t n)
{
	size_t i = 0;
	int skip = 0;
	gr_status st = GR_OK;

	while (i < n && st == GR_OK) {
		const char *nl = memchr(h + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - h) + 1 : n;
		size_t ll = e - i;

		if (ll <= 2 && (h[i] == '\r' || h[i] == '\n'))
			break;          /* the blank line */
		if (h[i] != ' ' && h[i] != '\t')
			skip = gr_startswith_ci(h + i, "content-type:") ||
			       gr_startswith_ci(h + i, "content-transfer-encoding:");
		if (!skip)
			st = gr_buf_add(b, h + i, ll);
		i = e;
	}
	if (st == GR_OK && b->len && b->data[b->len - 1] != '\n')
		st = gr_buf_addstr(b, "\r\n");
	return st;
}

/* Append a header block (cut at its last line end if it was truncated)
 * and make sure it ends with a blank line. */
static gr_status
add_header_block(gr_buf *b, const char *h, size_t n)
{
	size_t keep = n;
	gr_status st;

	if (!h)
		return gr_buf_addstr(b, "\r\n");
	while (keep > 0 && h[keep - 1] != '\n')
		keep--;
	st = gr_buf_add(b, h, keep);
	if (st != GR_OK)
		return st;
	if (keep >= 2 && h[keep - 2] == '\n')
		return GR_OK;
	if (keep >= 3 && h[keep - 2] == '\r' && h[keep - 3] == '\n')
		return GR_OK;
	return gr_buf_addstr(b, "\r\n");
}

static gr_status
build_msg(const rec *r, gr_buf *b)
{
	char hex[65], bnd[96];
	gr_status st;

	if (!r->multipart) {
		st = add_header_block(b, r->header, r->hlen);
		if (st == GR_OK && r->text[0])
			st = gr_buf_add(b, r->text[0], r->textlen[0]);
		return st;
	}
	gr_sha256_hex(r->header, r->hlen, hex);
	snprintf(bnd, sizeof bnd, "=_gravity_%u_%.16s", r->uid, hex);
	st = add_header_without_ct(b, r->header, r->hlen);
	if (st == GR_OK)
		st = gr_buf_printf(b, "Content-Type: multipart/mixed; "
		                   "boundary=\"%s\"\r\n\r\n", bnd);
	for (size_t i = 0; i < r->nparts && st == GR_OK; i++) {
		if (!r->want[i])
			continue;
		st = gr_buf_printf(b, "\r\n--%s\r\n", bnd);
		if (st == GR_OK)
			st = add_header_block(b, r->mime[i], r->mimelen[i]);
		/* A forwarded message: its own header comes first. */
		if (st == GR_OK && r->want[i] == WANT_INNER)
			st = add_header_block(b, r->inhdr[i], r->inhdrlen[i]);
		if (st == GR_OK && r->want[i] != WANT_PLACEHOLDER && r->text[i])
			st = gr_buf_add(b, r->text[i], r->textlen[i]);
	}
	if (st == GR_OK)
		st = gr_buf_printf(b, "\r\n--%s--\r\n", bnd);
	return st;
}

static gr_status
fetch_batch(imap_src *s, folder *f, gr_error *err)
{
	size_t n = f->nuids - f->next_fetch;
	fetch_ctx fc = { s, s->o.text_cap };
	gr_buf cmd;
	gr_status st;
	char *shrunk;

	if (n > s->o.batch)
		n = s->o.batch;
	s->batch = calloc(n, sizeof *s->batch);
	if (!s->batch)
		return gr_error_set(err, GR_E_NOMEM, "out of memory");
	s->nbatch = n;
	for (size_t i = 0; i < n; i++)
		s->batch[i].uid = f->uids[f->next_fetch + i];
	gr_buf_init(&cmd, 1u << 20);
	st = gr_buf_addstr(&cmd, "UID FETCH ");
	if (st == GR_OK)
		st = uid_set(&cmd, f->uids + f->next_fetch, n);
	if (st == GR_OK)
		st = gr_buf_printf(&cmd, " (UID RFC822.SIZE BODYSTRUCTURE "
		                   "BODY.PEEK[HEADER]<0.%zu>)", s->o.text_cap);
	if (st == GR_OK)
		st = gr_imap_cmd(s->conn, cmd.data, on_fetch1, &fc, err);
	gr_buf_free(&cmd);
	if (st == GR_OK)
		st = fetch_parts(s, &fc, err);
	if (st != GR_OK)
		return st;
	f->next_fetch += n;
	for (size_t i = 0; i < n; i++) {
		rec *r = &s->batch[i];
		gr_buf b;

		snprintf(r->source_id, sizeof r->source_id, "%s;UIDVALIDITY=%u;"
		         "UID=%u", f->key, f->uidvalidity, r->uid);
		if (!r->got || r->bad)
			continue;
		gr_buf_init(&b, (size_t)MAX_PARTS * (s->o.text_cap + 65536) +
		            s->o.text_cap + 65536);
		st = build_msg(r, &b);
		if (st != GR_OK) {
			gr_buf_free(&b);
			return gr_error_set(err, st, "%s: cannot rebuild message",
			                    r->source_id);
		}
		/* Only the rebuilt message is held from here on, in no more
		 * bytes than it has. */
		rec_drop_pieces(r);
		r->msglen = b.len;
		r->msg = gr_buf_steal(&b);
		if (!r->msg)
			return gr_error_set(err, GR_E_NOMEM, "out of memory");
		if ((shrunk = realloc(r->msg, r->msglen + 1)))
			r->msg = shrunk;
	}
	return GR_OK;
}

/* --- the driver ------------------------------------------------------------ */

static int
imap_accepts(const char *uri)
{
	return gr_startswith_ci(uri, "imap://") || gr_startswith_ci(uri, "imaps://");
}

/* Write the high-water marks that moved.  Once per batch, not per message:
 * every message is recorded by its source_id as well, so after a crash the
 * few UIDs above a stale mark are fetched again and skipped as seen. */
static gr_status
save_marks(imap_src *s, gr_error *err)
{
	gr_status st = GR_OK;

	for (size_t i = 0; i < s->nf && s->state && st == GR_OK; i++) {
		folder *f = &s->f[i];

		if (f->mark == f->saved)
			continue;
		st = gr_state_folder_set(s->state, f->key, f->uidvalidity,
		                         f->uids[f->mark - 1], err);
		if (st == GR_OK)
			f->saved = f->mark;
	}
	return st;
}

static void
imap_close(void *handle)
{
	imap_src *s = handle;

	if (!s)
		return;
	(void)save_marks(s, NULL);
	batch_free(s);
	for (size_t i = 0; i < s->nf; i++)
		folder_free(&s->f[i]);
	free(s->f);
	free(s->drafts);
	gr_imap_close(s->conn);
	gr_imap_uri_free(&s->uri);
	free(s);
}

/* The Sent folder (polled: the owner's answers) and the Drafts folder
 * (append-drafts): the config's names, else what the server marks \Sent
 * and \Drafts.  One LIST, and only when the config leaves one open. */
static gr_status
find_folders(imap_src *s, gr_error *err)
{
	gr_imap_mailbox *v = NULL;
	size_t n = 0;
	const char *sent = s->o.sent_folder, *drafts = s->o.drafts_folder;
	gr_status st = GR_OK;

	if (!sent || (s->o.append_drafts && !drafts)) {
		st = gr_imap_list(s->conn, &v, &n, err);
		if (st == GR_E_PROTOCOL && gr_imap_alive(s->conn))
			st = GR_OK;     /* no LIST at all: nothing is marked */
		if (st != GR_OK)
			return st;
		if (!sent)
			sent = gr_imap_special(v, n, GR_IMAP_USE_SENT);
		if (!drafts)
			drafts = gr_imap_special(v, n, GR_IMAP_USE_DRAFTS);
	}
	if (s->verbose)
		fprintf(stderr, "gravity: sent folder: %s%s%s; drafts folder: "
		        "%s%s%s\n", sent ? "'" : "", sent ? sent : "none",
		        sent ? (s->o.sent_folder ? "' (sent-folder)" : "' (\\Sent)")
		             : "",
		        drafts ? "'" : "", drafts ? drafts : "none",
		        drafts ? (s->o.drafts_folder ? "' (drafts-folder)"
		                                     : "' (\\Drafts)") : "");
	if (sent)
		st = add_folder(s, sent, 1, s->o.sent_folder ? "sent-folder"
		                                             : "\\Sent folder");
	if (st == GR_OK && drafts && !(s->drafts = gr_strdup(drafts)))
		st = GR_E_NOMEM;
	gr_imap_mailboxes_free(v, n);
	return st == GR_E_NOMEM ? gr_error_set(err, st, "out of memory") : st;
}

static gr_status
imap_open(const char *uri, const gr_source_opts *opts, void **handle,
          gr_error *err)
{
	imap_src *s;
	const char *user;
	gr_status st;

	*handle = NULL;
	s = calloc(1, sizeof *s);
	if (!s)
		return gr_error_set(err, GR_E_NOMEM, "out of memory");
	if (opts && opts->imap)
		s->o = *opts->imap;
	else
		gr_imap_opts_init(&s->o);
	if (!s->o.batch)
		s->o.batch = 200;
	if (!s->o.text_cap)
		s->o.text_cap = 256 * 1024;
	s->state = opts ? opts->state : NULL;
	s->progress = isatty(STDERR_FILENO);
	s->verbose = opts ? opts->verbose : 0;
	st = gr_imap_uri_parse(uri, &s->uri, err);
	if (st != GR_OK)
		goto fail;
	user = s->o.user ? s->o.user : s->uri.user;
	if (!user || !*user) {
		st = gr_error_set(err, GR_E_SETUP, "%s: no user name: write it "
		                  "in the URL (%s://you@example.com@%s/%s) or as "
		                  "'user NAME' in the config's account", uri,
		                  s->uri.implicit_tls ? "imaps" : "imap",
		                  s->uri.host, s->uri.folder);
		goto fail;
	}
	if (s->o.cred.kind == GR_CRED_NONE) {
		st = gr_error_set(err, GR_E_SETUP, "%s: no password source for "
		                  "user '%s': add passcmd \"CMD\" (or password-env "
		                  "VAR, netrc, token-cmd \"CMD\") to the config's "
		                  "account, or give --passcmd", uri, user);
		goto fail;
	}
	snprintf(s->prefix, sizeof s->prefix, "%s://%s%s%s:%u/",
	         s->uri.implicit_tls ? "imaps" : "imap", user ? user : "",
	         user ? "@" : "", s->uri.host, s->uri.port);
	if (s->o.nuids) {           /* UID mode: one folder, no state */
		s->state = NULL;
		st = add_folder(s, s->o.uids_folder ? s->o.uids_folder
		                                    : s->uri.folder, 0, "folder");
	} else {
		st = add_folder(s, s->uri.folder, 0, "folder");
		for (size_t i = 0; st == GR_OK && i < s->o.nfolders; i++)
			st = add_folder(s, s->o.folders[i], 0, "folders");
	}
	if (st != GR_OK) {
		st = gr_error_set(err, st, "out of memory");
		goto fail;
	}
	st = gr_imap_connect(&s->uri, &s->o, &s->conn, err);
	if (st == GR_OK && !s->o.nuids)
		st = find_folders(s, err);
	if (st != GR_OK)
		goto fail;
	*handle = s;
	return GR_OK;
fail:
	imap_close(s);
	return st;
}

/* Long first polls: "gravity: INBOX: fetched 1200/10000" on one terminal
 * line, rewritten per batch; nothing when stderr is not a terminal. */
static void
show_progress(const imap_src *s, const folder *f)
{
	if (!s->progress || f->nuids <= s->o.batch)
		return;
	fprintf(stderr, "\rgravity: %s: fetched %zu/%zu%s", f->name,
	        f->next_fetch, f->nuids, f->next_fetch == f->nuids ? "\n" : "");
	fflush(stderr);
}

static gr_status
imap_next(void *handle, gr_raw_msg *msg, gr_error *err)
{
	imap_src *s = handle;

	memset(msg, 0, sizeof *msg);
	for (;;) {
		folder *f;
		gr_status st;

		if (s->ibatch > 0 && s->ibatch <= s->nbatch) {
			/* The message handed out before: its bytes were the
			 * caller's until this call. */
			rec *done = &s->batch[s->ibatch - 1];

			free(done->msg);
			done->msg = NULL;
		}
		if (s->ibatch < s->nbatch) {
			rec *r = &s->batch[s->ibatch++];

			f = &s->f[s->cur];
			msg->source_id = r->source_id;
			msg->folder = f->key;
			msg->uidvalidity = f->uidvalidity;
			msg->uid = r->uid;
			msg->is_sent = f->is_sent;
			if (!r->got)
				continue;       /* expunged meanwhile: nothing to do */
			if (r->bad)
				return gr_error_set(err, GR_E_PARSE, "%s: unusable "
				                    "BODYSTRUCTURE or header",
				                    r->source_id);
			msg->data = r->msg;
			msg->len = r->msglen;
			return GR_OK;
		}
		batch_free(s);
		st = save_marks(s, err);
		if (st != GR_OK)
			return st;
		if (s->cur >= s->nf)
			return GR_DONE;
		f = &s->f[s->cur];
		if (!f->examined) {
			st = examine(s, f, err);
			if (st != GR_OK)
				return st;
		}
		if (f->next_fetch >= f->nuids) {
			s->cur++;
			continue;
		}
		if (s->drafts_open) {
			st = reexamine(s, f, err);
			if (st != GR_OK)
				return st;
		}
		st = fetch_batch(s, f, err);
		if (st != GR_OK)
			return st;
		show_progress(s, f);
		/* UIDs that vanished (expunged) count as done. */
		for (size_t i = 0; i < s->nbatch; i++)
			if (!s->batch[i].got) {
				gr_raw_msg gone = { .folder = f->key, .uid = s->batch[i].uid };

				(void)gr_driver_imap.done(s, &gone, NULL);
			}
	}
}

static gr_status
imap_done(void *handle, const gr_raw_msg *msg, gr_error *err)
{
	imap_src *s = handle;
	folder *f = NULL;
	uint32_t *hit;

	for (size_t i = 0; i < s->nf && msg->folder; i++)
		if (s->f[i].key == msg->folder || strcmp(s->f[i].key, msg->folder) == 0)
			f = &s->f[i];
	if (!f || !f->nuids)
		return GR_OK;
	hit = bsearch(&msg->uid, f->uids, f->nuids, sizeof *f->uids, cmp_u32);
	if (!hit)
		return GR_OK;
	f->done[hit - f->uids] = 1;
	while (f->mark < f->nuids && f->done[f->mark])
		f->mark++;
	(void)err;              /* the mark is saved per batch (save_marks) */
	return GR_OK;
}

/* --- drafts (the only write) ------------------------------------------- */

static gr_status
on_search_any(const gr_imap_resp *r, void *arg, gr_error *err)
{
	int *found = arg;

	(void)err;
	if (strcmp(r->name, "SEARCH") == 0 && r->data.n > 0)
		*found = 1;
	return GR_OK;
}

/* RFC 3501 6.3.11 APPEND with the \Draft flag, after a UID SEARCH HEADER
 * Message-ID (6.4.4) in that folder, so a rerun never appends twice. */
static gr_status
imap_append(void *handle, const char *box, const char *data, size_t len,
            const char *message_id, gr_error *err)
{
	imap_src *s = handle;
	gr_buf cmd;
	int found = 0;
	gr_status st;

	if (!s->o.append_drafts || s->append_off)
		return GR_OK;
	if (!box)
		box = s->drafts;
	if (!box) {
		s->append_off = 1;
		gr_warning("append-drafts: the server marks "
		        "no folder \\Drafts; name one with 'drafts-folder NAME' "
		        "('gravity folders' lists them); drafts are in the "
		        "output directory only this poll\n");
		return GR_OK;
	}
	if (!message_id || !*message_id)
		return gr_error_set(err, GR_E_INTERNAL, "draft without a "
		                    "Message-ID: not appended to %s", box);
	gr_buf_init(&cmd, 16384);
	st = gr_buf_addstr(&cmd, "EXAMINE ");
	if (st == GR_OK && gr_imap_quote_mailbox(&cmd, box) != GR_OK)
		st = gr_error_set(err, GR_E_CONFIG, "drafts box name with a "
		                  "line break refused");
	if (st == GR_OK && !s->drafts_open) {
		s->drafts_open = 1;
		st = gr_imap_cmd(s->conn, cmd.data, NULL, NULL, err);
		if (st == GR_E_PROTOCOL && gr_imap_alive(s->conn)) {
			char *alt = s->o.drafts_folder && box == s->drafts ?
			            marked_instead(s, GR_IMAP_USE_DRAFTS, box) : NULL;

			gr_buf_free(&cmd);
			if (alt) {
				/* A drafts-folder that is not there gives way
				 * to the one the server marks \Drafts. */
				gr_warning("append-drafts: "
				        "drafts-folder '%s' cannot be opened "
				        "(%.600s); drafts go to '%s' instead, which "
				        "the server marks \\Drafts (correct or "
				        "remove the drafts-folder line)\n", box,
				        err ? err->msg : "refused", alt);
				free(s->drafts);
				s->drafts = alt;
				s->drafts_open = 0;
				return imap_append(handle, NULL, data, len,
				                   message_id, err);
			}
			s->append_off = 1;
			gr_warning("append-drafts: drafts "
			        "folder '%s' cannot be opened (%.600s); drafts are "
			        "in the output directory only this poll\n", box,
			        err ? err->msg : "refused");
			return GR_OK;
		}
	}
	gr_buf_reset(&cmd);
	if (st == GR_OK)
		st = gr_buf_addstr(&cmd, "UID SEARCH HEADER Message-ID ");
	if (st == GR_OK && gr_imap_quote(&cmd, message_id) != GR_OK)
		st = gr_error_set(err, GR_E_PARSE, "draft Message-ID with a line "
		                  "break refused");
	if (st == GR_OK)
		st = gr_imap_cmd(s->conn, cmd.data, on_search_any, &found, err);
	gr_buf_reset(&cmd);
	if (st == GR_OK && !found) {
		st = gr_buf_addstr(&cmd, "APPEND ");
		if (st == GR_OK)
			st = gr_imap_quote_mailbox(&cmd, box);
		if (st == GR_OK)
			st = gr_buf_addstr(&cmd, " (\\Draft)");
		if (st == GR_OK)
			st = gr_imap_cmd_literal(s->conn, cmd.data, data, len, NULL,
			                         NULL, err);
		if (st == GR_E_PROTOCOL && gr_imap_alive(s->conn)) {
			/* Refused (quota, rights): the draft is in the output
			 * directory; asking again each poll would stop each. */
			s->append_off = 1;
			gr_warning("append-drafts: %.600s; "
			        "drafts are in the output directory only this "
			        "poll", err ? err->msg : "APPEND refused");
			st = GR_OK;
		}
		if (st == GR_OK && s->verbose)
			fprintf(stderr, "gravity: draft %s appended to %s\n",
			        message_id, box);
	}
	gr_buf_free(&cmd);
	return st;
}

uint64_t
gr_imap_source_bytes(void *handle)
{
	imap_src *s = handle;

	return s && s->conn ? gr_imap_bytes_received(s->conn) : 0;
}

const struct gr_source_driver gr_driver_imap = {
	.name = "imap",
	.accepts = imap_accepts,
	.open = imap_open,
	.next = imap_next,
	.done = imap_done,
	.close = imap_close,
	.append = imap_append,
};
