/* SPDX-License-Identifier: MIT */
/*
 * msgcut.c - a message read piece by piece: whole when small, cut to its
 * header and text parts when large (see msgcut.h).
 *
 * The cut follows the MIME structure (RFC 2045, 2046) line by line, as
 * libetpan reads it: a header ends at a blank line or at the first line
 * that is not a field; a part starts at a line "--BOUNDARY" followed only
 * by blanks, and a multipart ends at "--BOUNDARY--"; a message/rfc822
 * part's body starts with its own header.  A line is looked at through
 * its first LINE_HOLD bytes (no delimiter or blank line is longer); the
 * rest of a long line is kept or dropped as its start decided, without
 * being held.
 */
#include <stdlib.h>
#include <string.h>

#include "gravity/util.h"
#include "msgcut.h"

#define LINE_HOLD       1024            /* bytes of a line looked at */
#define FIELD_MAX       4096            /* bytes of a Content-* field parsed */
#define PART_HDR_MAX    ((size_t)64 << 10)
#define MAX_NEST        64              /* multipart levels followed */
#define BND_MAX         200             /* longest boundary the parser takes */

enum { S_HEAD, S_BODY, S_DONE };
enum { F_NONE, F_CT, F_CD };

struct gr_msgin {
	size_t max_header;
	size_t whole_max;
	gr_buf *out;            /* foreign */
	gr_buf cut;             /* the cut message while cutting */
	size_t raw;             /* bytes handed on whole so far */
	int cutting;
	/* the line being read */
	char hold[LINE_HOLD];
	size_t hn;
	int inlong;             /* past LINE_HOLD: in the line's tail */
	int tail_head;          /* the long line is a header line */
	int tail_keep;          /* keep its tail */
	/* where the line is */
	int state;
	int top;                /* the header is the message's own */
	int lines;              /* lines of the message seen */
	size_t hbytes;          /* bytes of the current header */
	int fkind;              /* the field being read: F_* */
	char ct[FIELD_MAX], cd[FIELD_MAX];
	size_t ctn, cdn;
	int have_ct;
	int keep;               /* body lines are kept */
	size_t kept;            /* bytes of this body kept */
	int cutline;            /* the line was cut at the budget: its line
	                         * end is still owed */
	int first, next_first;  /* the line opens a part: the parser never
	                         * takes it for a delimiter */
	char bnd[MAX_NEST][BND_MAX + 1];
	size_t blen[MAX_NEST];
	size_t nb;
};

gr_msgin *
gr_msgin_new(size_t max_header, size_t whole_max)
{
	gr_msgin *in = calloc(1, sizeof *in);

	if (!in)
		return NULL;
	in->max_header = max_header ? max_header : GR_PARSE_MAX_HEADER;
	in->whole_max = whole_max ? whole_max : GR_WHOLE_MAX;
	gr_buf_init(&in->cut, GR_CUT_MAX);
	return in;
}

void
gr_msgin_free(gr_msgin *in)
{
	if (!in)
		return;
	gr_buf_free(&in->cut);
	free(in);
}

static void
reset_fields(gr_msgin *in)
{
	in->hbytes = 0;
	in->fkind = F_NONE;
	in->ctn = in->cdn = 0;
	in->have_ct = 0;
}

void
gr_msgin_begin(gr_msgin *in, gr_buf *out)
{
	in->out = out;
	gr_buf_reset(out);
	gr_buf_free(&in->cut);
	gr_buf_init(&in->cut, GR_CUT_MAX);
	in->raw = 0;
	in->cutting = 0;
	in->hn = 0;
	in->inlong = 0;
	in->state = S_HEAD;
	in->top = 1;
	in->lines = 0;
	in->keep = 0;
	in->kept = 0;
	in->cutline = 0;
	in->first = in->next_first = 0;
	in->nb = 0;
	reset_fields(in);
}

int
gr_msgin_cut(const gr_msgin *in)
{
	return in->cutting;
}

/* --- output -------------------------------------------------------------- */

/* Keep n bytes; past GR_CUT_MAX nothing more is kept. */
static gr_status
emit(gr_msgin *in, const char *s, size_t n)
{
	gr_status st;

	if (in->state == S_DONE || n == 0)
		return GR_OK;
	if (n > GR_CUT_MAX - in->cut.len) {
		in->state = S_DONE;
		return GR_OK;
	}
	st = gr_buf_add(&in->cut, s, n);
	if (st == GR_E_LIMIT) {
		in->state = S_DONE;
		return GR_OK;
	}
	return st;
}

/* Keep up to the part's text budget of n body bytes.  A line cut at the
 * budget still gets its line end (nl: s ends the line), so the delimiter
 * after it stays at the start of a line. */
static gr_status
emit_body(gr_msgin *in, const char *s, size_t n, int nl)
{
	size_t room = GR_CUT_TEXT - in->kept;
	gr_status st = GR_OK;

	if (!in->keep)
		return GR_OK;
	if (n > room) {
		n = room;
		in->cutline = 1;
	}
	in->kept += n;
	if (n)
		st = emit(in, s, n);
	if (st == GR_OK && nl && in->cutline) {
		in->cutline = 0;
		st = emit(in, "\n", 1);
	}
	return st;
}

/* --- header fields ------------------------------------------------------- */

static void
field_add(gr_msgin *in, const char *s, size_t n)
{
	char *f = in->fkind == F_CT ? in->ct : in->cd;
	size_t *fn = in->fkind == F_CT ? &in->ctn : &in->cdn;

	if (in->fkind == F_NONE)
		return;
	if (n > FIELD_MAX - 1 - *fn)
		n = FIELD_MAX - 1 - *fn;
	memcpy(f + *fn, s, n);
	*fn += n;
	f[*fn] = '\0';
}

/* A new field starts with the line s: note the Content-* ones. */
static void
field_start(gr_msgin *in, const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);

	in->fkind = F_NONE;
	if (!colon)
		return;
	if ((size_t)(colon - s) >= 12 && gr_strncaseeq(s, "content-type", 12) &&
	    strspn(s + 12, " \t") == (size_t)(colon - s) - 12 && !in->have_ct) {
		in->fkind = F_CT;
		in->have_ct = 1;
	} else if ((size_t)(colon - s) >= 19 &&
	           gr_strncaseeq(s, "content-disposition", 19) &&
	           strspn(s + 19, " \t") == (size_t)(colon - s) - 19 &&
	           in->cdn == 0) {
		in->fkind = F_CD;
	}
	if (in->fkind != F_NONE)
		field_add(in, colon + 1, n - (size_t)(colon + 1 - s));
}

/* The value of parameter name in a field value (after the first ';'), or
 * NULL; *len its length (quotes stripped). *bad: it has characters the
 * parser refuses in a boundary. */
static const char *
param(const char *v, const char *name, size_t *len, int *bad)
{
	size_t nl = strlen(name);
	const char *p = strchr(v, ';');

	*bad = 0;
	while (p) {
		const char *q = p + 1;

		q += strspn(q, " \t\r\n");
		if (gr_strncaseeq(q, name, nl)) {
			const char *e = q + nl;

			e += strspn(e, " \t\r\n");
			if (*e == '=') {
				e++;
				e += strspn(e, " \t");
				if (*e == '"') {
					const char *z = strchr(e + 1, '"');

					if (!z) {
						*bad = 1;
						*len = strlen(e + 1);
					} else {
						*len = (size_t)(z - e - 1);
					}
					if (memchr(e + 1, '\\', *len))
						*bad = 1;
					return e + 1;
				}
				*len = strcspn(e, " \t\r\n;\"\\");
				if (e[*len] == '"' || e[*len] == '\\')
					*bad = 1;
				return e;
			}
		}
		p = strchr(q, ';');
	}
	return NULL;
}

/* Length of an RFC 2045 token at s. */
static size_t
token(const char *s)
{
	size_t n = 0;

	while (s[n] > 32 && s[n] < 127 && !strchr("()<>@,;:\\\"/[]?=", s[n]))
		n++;
	return n;
}

/* type/subtype of a Content-Type value, lowercased, into buf; "" when it
 * is not two tokens (the parser then falls back to text/plain). */
static void
media_type(const char *v, char *buf, size_t size)
{
	size_t t, st;

	buf[0] = '\0';
	v += strspn(v, " \t\r\n");
	t = token(v);
	if (t == 0 || v[t] != '/' || (st = token(v + t + 1)) == 0 ||
	    t + 1 + st >= size)
		return;
	memcpy(buf, v, t + 1 + st);
	buf[t + 1 + st] = '\0';
	gr_str_lower(buf);
}

/* --- structure ------------------------------------------------------------ */

static void
begin_header(gr_msgin *in, int top)
{
	in->state = S_HEAD;
	in->top = top;
	reset_fields(in);
}

/* The header just ended: what its body is. */
static void
header_end(gr_msgin *in)
{
	char type[128];
	size_t len = 0;
	const char *b;
	int bad = 0, attach = 0;

	in->fkind = F_NONE;
	in->state = S_BODY;
	in->keep = 1;
	in->kept = 0;
	if (!in->have_ct)
		return;                 /* text/plain */
	media_type(in->ct, type, sizeof type);
	if (strncmp(type, "multipart/", 10) == 0) {
		b = param(in->ct, "boundary", &len, &bad);
		if (b && !bad && len > 0 && len <= BND_MAX && in->nb < MAX_NEST) {
			memcpy(in->bnd[in->nb], b, len);
			in->bnd[in->nb][len] = '\0';
			in->blen[in->nb++] = len;
		}
		return;                 /* the preamble (or one text part) */
	}
	if (strcmp(type, "message/rfc822") == 0) {
		begin_header(in, 0);
		return;
	}
	if (param(in->ct, "name", &len, &bad))
		attach = 1;
	if (in->cdn) {
		const char *d = in->cd + strspn(in->cd, " \t\r\n");

		if (gr_strncaseeq(d, "attachment", 10) &&
		    strchr(" \t\r\n;", d[10]))
			attach = 1;
		if (param(in->cd, "filename", &len, &bad))
			attach = 1;
	}
	if (attach)
		in->keep = 0;
	else if (strncmp(type, "text/", 5) == 0)
		in->keep = strcmp(type, "text/plain") == 0 ||
		           strcmp(type, "text/html") == 0;
	else if (strncmp(type, "message/", 8) != 0 && type[0])
		in->keep = 0;           /* image/, application/ ... */
}

/* The header ended at a line that is not a field: that line is the body's
 * first.  When the body is dropped, a blank line stands in for it, so the
 * header's last field still ends with its line end. */
static gr_status
header_cut_short(gr_msgin *in)
{
	header_end(in);
	if (in->state == S_BODY && !in->keep)
		return emit(in, "\n", 1);
	return GR_OK;
}

/* 1 if s (a whole line) is "--B" then blanks, 2 if "--B--": B the
 * boundary at level i. */
static int
delimiter(const gr_msgin *in, size_t i, const char *s, size_t n)
{
	size_t bl = in->blen[i], k;

	if (n < 2 + bl || s[0] != '-' || s[1] != '-' ||
	    memcmp(s + 2, in->bnd[i], bl) != 0)
		return 0;
	k = 2 + bl;
	if (n >= k + 2 && s[k] == '-' && s[k + 1] == '-')
		return 2;
	while (k < n && (s[k] == ' ' || s[k] == '\t'))
		k++;
	if (k == n || s[k] == '\n' || (s[k] == '\r' && (k + 1 == n ||
	    s[k + 1] == '\n')))
		return 1;
	return 0;
}

static gr_status body_line(gr_msgin *in, const char *s, size_t n, int whole);

/* A header line (whole: n is all of it; else its first LINE_HOLD bytes). */
static gr_status
head_line(gr_msgin *in, const char *s, size_t n, int whole)
{
	size_t max = in->top ? in->max_header : PART_HDR_MAX;
	int blank = whole && ((n == 1 && s[0] == '\n') ||
	                      (n == 2 && s[0] == '\r' && s[1] == '\n'));
	gr_status st = GR_OK;

	if (in->top && in->lines == 1 && n >= 5 && memcmp(s, "From ", 5) == 0)
		return emit(in, s, n);  /* an mbox separator: the parser skips it */
	if (blank) {
		st = emit(in, s, n);
		header_end(in);
		return st;
	}
	if (in->hbytes > 0 && (s[0] == ' ' || s[0] == '\t')) {
		field_add(in, s, n);
	} else if (gr_message_field_line(s, n)) {
		field_start(in, s, n);
	} else {
		/* not a field: the header ended before this line */
		st = header_cut_short(in);
		return st == GR_OK ? body_line(in, s, n, whole) : st;
	}
	in->hbytes += n;
	in->tail_head = 1;
	in->tail_keep = in->top || in->hbytes <= max;
	if (in->tail_keep)
		st = emit(in, s, n);
	if (st == GR_OK && in->top && whole && in->hbytes > max)
		in->state = S_DONE;     /* the parser refuses it the same way */
	return st;
}

static gr_status
body_line(gr_msgin *in, const char *s, size_t n, int whole)
{
	in->tail_head = 0;
	in->tail_keep = in->keep;
	if (whole && !in->first && n >= 2 && s[0] == '-' && s[1] == '-') {
		for (size_t i = in->nb; i-- > 0; ) {
			int d = delimiter(in, i, s, n);

			if (d == 1) {
				in->nb = i + 1;
				begin_header(in, 0);
				in->next_first = 1;
				return emit(in, s, n);
			}
			if (d == 2) {
				/* the epilogue, kept as a preamble is */
				in->nb = i;
				in->keep = 1;
				in->kept = 0;
				return emit(in, s, n);
			}
		}
	}
	return emit_body(in, s, n, whole);
}

/* One line, or the first LINE_HOLD bytes of a longer one (whole = 0). */
static gr_status
line(gr_msgin *in, const char *s, size_t n, int whole)
{
	in->lines++;
	in->first = in->next_first;
	in->next_first = 0;
	if (in->state == S_DONE)
		return GR_OK;
	if (in->state == S_HEAD)
		return head_line(in, s, n, whole);
	return body_line(in, s, n, whole);
}

/* The rest of a long line (nl: s ends it). */
static gr_status
tail(gr_msgin *in, const char *s, size_t n, int nl)
{
	if (in->state == S_DONE)
		return GR_OK;
	if (in->tail_head) {
		size_t max = in->top ? in->max_header : PART_HDR_MAX;
		gr_status st = GR_OK;

		field_add(in, s, n);
		in->hbytes += n;
		if (in->tail_keep && (in->top || in->hbytes <= max))
			st = emit(in, s, n);
		if (st == GR_OK && in->top && in->hbytes > max + 1)
			in->state = S_DONE;
		return st;
	}
	if (in->tail_keep)
		return emit_body(in, s, n, nl);
	return GR_OK;
}

/* The first "\n--" in p[0, n), or NULL: memchr finds each '-' (a
 * base64 body has none), so a long body is not compared byte by byte. */
static const char *
delim_start(const char *p, size_t n)
{
	const char *d = n >= 3 ? memchr(p + 1, '-', n - 2) : NULL;

	for (; d; d = memchr(d + 1, '-', (size_t)(p + n - 2 - d)))
		if (d[-1] == '\n' && d[1] == '-')
			return d - 1;
	return NULL;
}

/* Bytes of the message, NUL bytes already dropped. */
static gr_status
cut_add(gr_msgin *in, const char *p, size_t n)
{
	gr_status st = GR_OK;

	while (n > 0 && st == GR_OK) {
		const char *nl;
		size_t k;

		if (!in->inlong && in->hn == 0 && in->state == S_BODY &&
		    !in->keep && !(p[0] == '-' && (n == 1 || p[1] == '-'))) {
			/* A dropped body, at the start of a line that is no
			 * delimiter: skip to the next line that may be one. */
			const char *hit = delim_start(p, n);

			nl = hit ? hit : memrchr(p, '\n', n);
			if (nl) {
				k = (size_t)(nl - p) + 1;
				in->next_first = 0;
				p += k;
				n -= k;
				continue;
			}
		}
		nl = memchr(p, '\n', n);
		k = nl ? (size_t)(nl - p) + 1 : n;
		if (in->inlong) {
			st = tail(in, p, k, nl != NULL);
			if (nl)
				in->inlong = 0;
		} else if (in->hn + k <= LINE_HOLD) {
			memcpy(in->hold + in->hn, p, k);
			in->hn += k;
			if (nl) {
				st = line(in, in->hold, in->hn, 1);
				in->hn = 0;
			}
		} else {
			size_t fill = LINE_HOLD - in->hn;

			memcpy(in->hold + in->hn, p, fill);
			st = line(in, in->hold, LINE_HOLD, 0);
			in->hn = 0;
			in->inlong = 1;
			if (st == GR_OK)
				st = tail(in, p + fill, k - fill, nl != NULL);
			if (nl)
				in->inlong = 0;
		}
		p += k;
		n -= k;
	}
	return st;
}

/* Feed bytes to the cutter without their NUL bytes. */
static gr_status
cut_feed(gr_msgin *in, const char *p, size_t n)
{
	gr_status st = GR_OK;

	while (n > 0 && st == GR_OK) {
		const char *z = memchr(p, '\0', n);
		size_t k = z ? (size_t)(z - p) : n;

		st = cut_add(in, p, k);
		if (z)
			k++;
		p += k;
		n -= k;
	}
	return st;
}

gr_status
gr_msgin_add(gr_msgin *in, const char *p, size_t n)
{
	gr_status st;
	size_t max;

	if (in->cutting)
		return cut_feed(in, p, n);
	if (in->raw + n <= in->whole_max) {
		in->raw += n;
		return gr_buf_add(in->out, p, n);
	}
	/* Too large to hand on whole: cut what came so far, then the rest. */
	in->cutting = 1;
	max = in->out->max;
	st = cut_feed(in, in->out->data ? in->out->data : "", in->out->len);
	gr_buf_free(in->out);
	gr_buf_init(in->out, max);
	if (st == GR_OK)
		st = cut_feed(in, p, n);
	return st;
}

gr_status
gr_msgin_end(gr_msgin *in)
{
	gr_status st = GR_OK;
	size_t max;

	if (!in->cutting) {
		if (!in->out->data)
			return gr_buf_add(in->out, "", 0);
		return GR_OK;
	}
	if (in->hn > 0 && !in->inlong)
		st = line(in, in->hold, in->hn, 1);
	in->hn = 0;
	in->inlong = 0;
	max = in->out->max;
	gr_buf_free(in->out);
	*in->out = in->cut;
	in->out->max = max > in->cut.max ? max : in->cut.max;
	gr_buf_init(&in->cut, GR_CUT_MAX);
	if (st == GR_OK && !in->out->data)
		st = gr_buf_add(in->out, "", 0);
	return st;
}
