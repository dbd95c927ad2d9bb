/* SPDX-License-Identifier: MIT */
/*
 * source_mbox.c - read-only mbox source: mboxo and mboxrd (RFC 4155, the
 * application/mbox format), LF or CRLF line ends.
 *
 * The file is read through a window of MBOX_WIN bytes (pread), never mapped
 * or loaded whole, and each message is handed on whole when small and cut
 * to its header and text parts when large (src/msgcut.h), so memory stays
 * bounded whatever the size of the file or of a message.  A line starting with
 * "From " separates messages when it is at the start of the file, or when
 *   - "From " is directly followed by a sender and the next line is a
 *     header field (the Netscape "From - " style, and separators not
 *     preceded by a blank line), or
 *   - it follows a blank line and is a real postmark
 *     ("From SENDER Www Mmm dd hh:mm..."),
 * and it does not sit inside the message's top-level multipart body whose
 * closing delimiter comes later (an unescaped mbox attached to a message).
 * A body line "From me to you" is therefore kept, and so is a broken
 * "From  :x" field inside a header block.  The postmark line and
 * the blank line before the next one are not handed on; lines matching
 * ^>+From  lose one '>' (mboxrd; also right for mboxo's escaping).
 *
 * A read error (or the file shrinking while it is read) ends the source
 * with GR_E_IO.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "gravity/source.h"
#include "gravity/util.h"
#include "msgcut.h"

#define NONE ((size_t)-1)
#define MBOX_WIN ((size_t)1 << 20)      /* bytes of the file held */
#define LOOK 4096                       /* bytes of a line looked at */

/* Set of message hashes with how often each was seen. */
struct hcount {
	uint64_t key;
	uint32_t count;         /* 0: empty slot */
};

struct mbox {
	char *path;             /* owned: realpath */
	int fd;                 /* -1 when the file is empty */
	size_t size;
	char *win;              /* owned: MBOX_WIN bytes of the file */
	size_t woff, wlen;      /* the window holds [woff, woff + wlen) */
	int ioerr;              /* errno of a failed read, or EIO if the
	                         * file shrank */
	gr_msgin *in;           /* owned */
	size_t pos;             /* offset of the next postmark line */
	size_t max;
	gr_buf data;
	char *id;               /* owned: source_id of the last message */
	struct hcount *seen;    /* owned */
	size_t seen_cap, seen_n;
};

/* A message being delimited. */
struct span {
	size_t start;           /* the postmark line */
	char boundary[72];      /* top-level multipart boundary or "" */
	int closed;             /* its closing delimiter was passed */
	size_t close_at;        /* offset of the closing delimiter, NONE, or 0
	                         * when not looked for yet */
};

/* --- the window ------------------------------------------------------- */

/* The bytes [p, p + n) of the file (n <= MBOX_WIN, cut at the file's
 * end): read into the window when it does not hold them.  After a read
 * error the bytes are zeros and mb->ioerr is set. */
static const char *
at(struct mbox *mb, size_t p, size_t n)
{
	size_t got = 0;

	if (p >= mb->size)
		return mb->win;
	if (n > mb->size - p)
		n = mb->size - p;
	if (p >= mb->woff && p + n <= mb->woff + mb->wlen)
		return mb->win + (p - mb->woff);
	mb->woff = p;
	mb->wlen = mb->size - p < MBOX_WIN ? mb->size - p : MBOX_WIN;
	while (got < mb->wlen) {
		ssize_t r = pread(mb->fd, mb->win + got, mb->wlen - got,
		                  (off_t)(p + got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (!mb->ioerr)
				mb->ioerr = r < 0 ? errno : EIO;
			memset(mb->win + got, 0, mb->wlen - got);
			break;
		}
		got += (size_t)r;
	}
	return mb->win;
}

/* The bytes from p to the end of the window (*n of them, at least one
 * unless p is at the end of the file): the window moves only when it does
 * not hold p. */
static const char *
from(struct mbox *mb, size_t p, size_t *n)
{
	if (p >= mb->size) {
		*n = 0;
		return mb->win;
	}
	if (p < mb->woff || p >= mb->woff + mb->wlen)
		(void)at(mb, p, MBOX_WIN);
	*n = mb->woff + mb->wlen - p;
	return mb->win + (p - mb->woff);
}

/* The byte at p (0 past the end). */
static char
byte_at(struct mbox *mb, size_t p)
{
	return p < mb->size ? *at(mb, p, 1) : '\0';
}

/* --- lines ------------------------------------------------------------- */

static size_t
line_end(struct mbox *mb, size_t p)
{
	while (p < mb->size) {
		size_t n;
		const char *s = from(mb, p, &n);
		const char *nl = memchr(s, '\n', n);

		if (nl)
			return p + (size_t)(nl - s) + 1;
		p += n;
	}
	return mb->size;
}

/* The first bytes of the line at p (at most LOOK), without its line end:
 * *n their count. */
static const char *
line_head(struct mbox *mb, size_t p, size_t *n)
{
	size_t avail = mb->size - p < LOOK ? mb->size - p : LOOK;
	const char *s = at(mb, p, avail);
	const char *nl = memchr(s, '\n', avail);

	*n = nl ? (size_t)(nl - s) : avail;
	if (nl && *n > 0 && s[*n - 1] == '\r')
		(*n)--;
	else if (!nl && p + avail == mb->size && *n > 0 && s[*n - 1] == '\r')
		(*n)--;
	return s;
}

static int
starts_from(struct mbox *mb, size_t p)
{
	return mb->size - p >= 5 && memcmp(at(mb, p, 5), "From ", 5) == 0;
}

static int
is_blank(struct mbox *mb, size_t p)
{
	char c = byte_at(mb, p);

	return p >= mb->size || c == '\n' ||
	       (c == '\r' && (p + 1 == mb->size || byte_at(mb, p + 1) == '\n'));
}

/* A header field line: 1+ printable non-colon characters, then ':'
 * (a name longer than LOOK bytes is not one). */
static int
is_header(struct mbox *mb, size_t p)
{
	size_t n, i;
	const char *s = line_head(mb, p, &n);

	for (i = 0; i < n && s[i] != ':'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 32 || c >= 127)
			return 0;
	}
	return i > 0 && i < n;
}

static int
word_in(const char *s, const char *list)
{
	for (; *list; list += 3)
		if (memcmp(s, list, 3) == 0)
			return 1;
	return 0;
}

static int
isdig(char c)
{
	return c >= '0' && c <= '9';
}

/* "From SENDER Www Mmm [d]d hh:mm..." (asctime() date after the sender). */
static int
is_postmark(struct mbox *mb, size_t p)
{
	size_t n;
	const char *s = line_head(mb, p, &n), *e = s + n;

	s += 5;
	while (s < e && *s == ' ')
		s++;
	if (s < e && *s == '"')         /* quoted local part */
		for (s++; s < e && *s != '"'; s++)
			;
	while (s < e && *s != ' ')
		s++;
	while (s < e && *s == ' ')
		s++;
	if (e - s < 16 || !word_in(s, "MonTueWedThuFriSatSun") || s[3] != ' ')
		return 0;
	for (s += 4; s < e && *s == ' '; s++)
		;
	if (e - s < 10 || !word_in(s, "JanFebMarAprMayJunJulAugSepOctNovDec"))
		return 0;
	for (s += 3; s < e && *s == ' '; s++)
		;
	if (e - s < 7 || !isdig(*s))
		return 0;
	s += isdig(s[1]) ? 2 : 1;
	if (*s != ' ')
		return 0;
	while (s < e && *s == ' ')
		s++;
	return e - s >= 5 && isdig(s[0]) && isdig(s[1]) && s[2] == ':' &&
	       isdig(s[3]) && isdig(s[4]);
}

/* --- the top-level multipart boundary ---------------------------------- */

/* Find the boundary parameter of a multipart Content-Type in the header
 * block [p, end); sp->boundary stays "" when there is none. */
static void
find_boundary(struct mbox *mb, size_t p, size_t end, struct span *sp)
{
	char ct[1024];
	size_t n = 0, len;
	const char *b, *s;

	sp->boundary[0] = '\0';
	for (; p < end; p = line_end(mb, p)) {
		s = line_head(mb, p, &len);
		if (len > 13 && gr_strncaseeq(s, "content-type:", 13))
			break;
	}
	if (p >= end)
		return;
	/* Unfold the field into ct. */
	do {
		s = line_head(mb, p, &len);
		if (len > sizeof ct - 1 - n)
			len = sizeof ct - 1 - n;
		memcpy(ct + n, s, len);
		n += len;
		p = line_end(mb, p);
	} while (p < end && (byte_at(mb, p) == ' ' || byte_at(mb, p) == '\t'));
	ct[n] = '\0';
	if (!gr_strcasestr(ct, "multipart/") ||
	    !(b = gr_strcasestr(ct, "boundary=")))
		return;
	b += 9;
	if (*b == '"') {
		b++;
		n = strcspn(b, "\"");
	} else {
		n = strcspn(b, " \t;");
	}
	if (n > 0 && n < sizeof sp->boundary) {
		memcpy(sp->boundary, b, n);
		sp->boundary[n] = '\0';
	}
}

/* 1 if the line at p is the boundary's closing delimiter. */
static int
is_close(struct mbox *mb, size_t p, const struct span *sp)
{
	size_t bl = strlen(sp->boundary);
	const char *s;

	if (bl == 0 || mb->size - p < bl + 4)
		return 0;
	s = at(mb, p, bl + 4);
	return s[0] == '-' && s[1] == '-' && memcmp(s + 2, sp->boundary, bl) == 0 &&
	       s[2 + bl] == '-' && s[3 + bl] == '-';
}

/* Offset of the closing delimiter at or after p (searched no further than
 * max bytes past the message start), or NONE.  Reads ahead through the
 * window; nothing is held. */
static size_t
find_close(struct mbox *mb, size_t p, const struct span *sp)
{
	size_t limit = mb->size - sp->start > mb->max ? sp->start + mb->max :
	               mb->size;

	if (p < limit && is_close(mb, p, sp))
		return p;
	while (p < limit) {
		size_t n;
		const char *s = from(mb, p, &n);
		const char *hit;

		if (n > limit - p)
			n = limit - p;
		if (n < 3 && p + n < limit)     /* the window's last bytes */
			s = at(mb, p, n = limit - p < 3 ? limit - p : 3);
		hit = memmem(s, n, "\n--", 3);
		size_t q;

		if (!hit) {
			if (p + n >= limit)
				return NONE;
			p += n - 2;     /* "\n--" may straddle the windows */
			continue;
		}
		q = p + (size_t)(hit - s) + 1;
		if (is_close(mb, q, sp))
			return q;
		p = q;
	}
	return NONE;
}

/* --- separators -------------------------------------------------------- */

/* "From " then a sender token right away ("From  :x" is a broken header). */
static int
has_sender(struct mbox *mb, size_t p)
{
	size_t n;
	const char *s = line_head(mb, p, &n);

	return n > 5 && s[5] != ' ' && s[5] != ':' && s[5] != '\t';
}

static int
is_separator(struct mbox *mb, size_t p, int after_blank,
             struct span *sp)
{
	size_t next = line_end(mb, p);
	int hdr = next < mb->size && is_header(mb, next) && has_sender(mb, p);

	if (!hdr && !(after_blank && is_postmark(mb, p)))
		return 0;
	if (sp->boundary[0] && !sp->closed) {
		if (sp->close_at == 0)
			sp->close_at = find_close(mb, p, sp);
		if (sp->close_at != NONE && p < sp->close_at)
			return 0;
	}
	return 1;
}

/* Delimit the message whose postmark is at sp->start: *body is its first
 * line, *end the offset after its last line (one trailing blank line left
 * out), *next the next postmark or the file size. */
static void
delimit(struct mbox *mb, struct span *sp, size_t *body, size_t *end,
        size_t *next)
{
	size_t p = line_end(mb, sp->start), last_blank = NONE;
	int after_blank = 0;

	*body = p;
	/* The header: up to a blank line, or a postmark (a message with no
	 * body); a stray "From " line inside it is a broken field. */
	while (p < mb->size && !is_blank(mb, p) &&
	       !(starts_from(mb, p) && is_postmark(mb, p) &&
	         is_separator(mb, p, 0, sp)))
		p = line_end(mb, p);
	find_boundary(mb, *body, p, sp);
	for (; p < mb->size; p = line_end(mb, p)) {
		if (starts_from(mb, p) && is_separator(mb, p, after_blank, sp))
			break;
		if (sp->boundary[0] && !sp->closed && is_close(mb, p, sp))
			sp->closed = 1;
		after_blank = is_blank(mb, p);
		last_blank = after_blank ? p : NONE;
	}
	*next = p;
	*end = (last_blank != NONE && last_blank >= *body) ? last_blank : p;
}

/* --- copying and naming ------------------------------------------------ */

/* Header fields mail clients rewrite to store flags: left out of the id. */
static int
is_status_field(const char *s, size_t n)
{
	static const char *const names[] = {
		"status:", "x-status:", "x-mozilla-status:",
		"x-mozilla-status2:", "x-keywords:", "x-uid:", "x-imap:",
		"x-imapbase:", "content-length:", "lines:", NULL
	};

	for (size_t i = 0; names[i]; i++) {
		size_t l = strlen(names[i]);

		if (n >= l && gr_strncaseeq(s, names[i], l))
			return 1;
	}
	return 0;
}

/* The message's id hash, taken as its lines stream by: SHA-256 of the
 * message as handed on, without the status fields of its header. */
struct idhash {
	gnutls_hash_hd_t h;
	int in_header;          /* still in the header block */
	int first;              /* no line yet */
	int skip;               /* the current field is a status field */
};

/* A line starts with the n bytes at s (n >= 1 unless the line is empty):
 * decide whether it is hashed. */
static void
idhash_line(struct idhash *ih, const char *s, size_t n)
{
	if (ih->in_header) {
		if (n > 0 && (s[0] == '\n' || (s[0] == '\r' && n > 1 &&
		    s[1] == '\n'))) {
			ih->in_header = 0;
			ih->skip = 0;
		} else if (ih->first || (n > 0 && s[0] != ' ' && s[0] != '\t')) {
			ih->skip = is_status_field(s, n);
		}
	}
	ih->first = 0;
}

/* Copy the message's lines [p, end) (mboxrd unescaped, at most mb->max
 * bytes) to the message reader and the id hash. */
static gr_status
copy_message(struct mbox *mb, size_t p, size_t end, int *trunc,
             uint64_t *key, gr_error *err)
{
	struct idhash ih = { NULL, 1, 1, 0 };
	unsigned char dig[32];
	size_t copied = 0;
	gr_status st = GR_OK;

	*trunc = 0;
	if (gnutls_hash_init(&ih.h, GNUTLS_DIG_SHA256) < 0)
		return gr_error_set(err, GR_E_INTERNAL, "%s: SHA-256 unavailable",
		                    mb->path);
	gr_msgin_begin(mb->in, &mb->data);
	for (size_t q = p, next; q < end && !*trunc && st == GR_OK; q = next) {
		size_t e, gt = 0, hn, room = mb->max - copied;
		const char *s = line_head(mb, q, &hn);

		next = e = line_end(mb, q);
		p = q;
		while (gt < hn && s[gt] == '>')
			gt++;
		if (gt > 0 && hn - gt >= 5 && memcmp(s + gt, "From ", 5) == 0)
			p++;    /* mboxrd: drop one '>' */
		if (e - p > room) {
			e = p + room;
			*trunc = 1;
		}
		s = at(mb, p, e - p < LOOK ? e - p : LOOK);
		idhash_line(&ih, s, e - p < LOOK ? e - p : LOOK);
		while (p < e && st == GR_OK) {
			size_t n;

			s = from(mb, p, &n);
			if (n > e - p)
				n = e - p;
			if (!ih.skip)
				gnutls_hash(ih.h, s, n);
			st = gr_msgin_add(mb->in, s, n);
			copied += n;
			p += n;
		}
	}
	if (st == GR_OK)
		st = gr_msgin_end(mb->in);
	gnutls_hash_deinit(ih.h, dig);
	if (st != GR_OK)
		return gr_error_set(err, st, "%s: %s", mb->path,
		                    gr_status_to_string(st));
	*key = 0;
	for (int i = 0; i < 8; i++)
		*key = (*key << 8) | dig[i];
	return GR_OK;
}

/* How often key was seen, counting this time. */
static gr_status
count_seen(struct mbox *mb, uint64_t key, uint32_t *count, gr_error *err)
{
	size_t i;

	if (2 * (mb->seen_n + 1) > mb->seen_cap) {
		size_t ncap = mb->seen_cap ? mb->seen_cap * 2 : 256;
		struct hcount *ns = calloc(ncap, sizeof *ns);

		if (!ns)
			return gr_error_set(err, GR_E_NOMEM, "%s: out of memory",
			                    mb->path);
		for (i = 0; i < mb->seen_cap; i++) {
			size_t j = mb->seen[i].key & (ncap - 1);

			if (!mb->seen[i].count)
				continue;
			while (ns[j].count)
				j = (j + 1) & (ncap - 1);
			ns[j] = mb->seen[i];
		}
		free(mb->seen);
		mb->seen = ns;
		mb->seen_cap = ncap;
	}
	i = key & (mb->seen_cap - 1);
	while (mb->seen[i].count && mb->seen[i].key != key)
		i = (i + 1) & (mb->seen_cap - 1);
	if (!mb->seen[i].count) {
		mb->seen[i].key = key;
		mb->seen_n++;
	}
	*count = ++mb->seen[i].count;
	return GR_OK;
}

static gr_status
make_id(struct mbox *mb, uint64_t key, gr_error *err)
{
	uint32_t n = 0;
	char tail[16];
	gr_status st;

	st = count_seen(mb, key, &n, err);
	if (st != GR_OK)
		return st;
	tail[0] = '\0';
	if (n > 1)
		snprintf(tail, sizeof tail, "~%u", (unsigned)n);
	free(mb->id);
	if (asprintf(&mb->id, "mbox:%s#%016llx%s", mb->path,
	             (unsigned long long)key, tail) < 0) {
		mb->id = NULL;
		return gr_error_set(err, GR_E_NOMEM, "%s: out of memory",
		                    mb->path);
	}
	return GR_OK;
}

/* --- driver ------------------------------------------------------------ */

static int
mbox_accepts(const char *uri)
{
	char head[5];
	struct stat sb;
	int fd, ok;

	if (strncmp(uri, "mbox:", 5) == 0)
		return 1;
	if (stat(uri, &sb) != 0 || !S_ISREG(sb.st_mode))
		return 0;
	fd = open(uri, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return 0;
	ok = read(fd, head, sizeof head) == (ssize_t)sizeof head &&
	     memcmp(head, "From ", 5) == 0;
	close(fd);
	return ok;
}

static void
mbox_close(void *handle)
{
	struct mbox *mb = handle;

	if (!mb)
		return;
	if (mb->fd >= 0)
		close(mb->fd);
	free(mb->win);
	gr_msgin_free(mb->in);
	free(mb->path);
	free(mb->id);
	free(mb->seen);
	gr_buf_free(&mb->data);
	free(mb);
}

static gr_status
open_file(struct mbox *mb, const char *name, gr_error *err)
{
	struct stat sb;

	mb->fd = open(mb->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (mb->fd < 0)
		return gr_error_set(err, GR_E_IO, "%s: %s", name, strerror(errno));
	if (fstat(mb->fd, &sb) != 0 || !S_ISREG(sb.st_mode))
		return gr_error_set(err, GR_E_IO, "%s: not a regular file", name);
	mb->size = (size_t)sb.st_size;
	mb->win = malloc(MBOX_WIN);
	mb->in = gr_msgin_new(0, 0);
	if (!mb->win || !mb->in)
		return gr_error_set(err, GR_E_NOMEM, "%s: out of memory", name);
	return GR_OK;
}

static gr_status
mbox_open(const char *uri, const gr_source_opts *opts, void **handle,
          gr_error *err)
{
	const char *path = strncmp(uri, "mbox:", 5) == 0 ? uri + 5 : uri;
	struct mbox *mb;
	gr_status st;

	*handle = NULL;
	mb = calloc(1, sizeof *mb);
	if (!mb)
		return gr_error_set(err, GR_E_NOMEM, "%s: out of memory", path);
	mb->fd = -1;
	mb->max = gr_source_max(opts);
	gr_buf_init(&mb->data, mb->max);
	st = gr_source_abspath(path, &mb->path, err);
	if (st == GR_OK)
		st = open_file(mb, path, err);
	while (st == GR_OK && mb->pos < mb->size && is_blank(mb, mb->pos))
		mb->pos = line_end(mb, mb->pos);
	if (st == GR_OK && mb->ioerr)
		st = gr_error_set(err, GR_E_IO, "%s: read: %s", path,
		                  strerror(mb->ioerr));
	if (st == GR_OK && mb->pos < mb->size && !starts_from(mb, mb->pos))
		st = gr_error_set(err, GR_E_PARSE, "%s: not an mbox (does not "
		                  "start with a \"From \" line)", path);
	if (st != GR_OK) {
		mbox_close(mb);
		return st;
	}
	*handle = mb;
	return GR_OK;
}

static gr_status
mbox_next(void *handle, gr_raw_msg *msg, gr_error *err)
{
	struct mbox *mb = handle;
	struct span sp = { 0 };
	size_t body, end, next;
	uint64_t key = 0;
	int trunc;
	gr_status st;

	if (mb->pos >= mb->size || mb->ioerr)
		return GR_DONE;
	sp.start = mb->pos;
	delimit(mb, &sp, &body, &end, &next);
	mb->pos = next;
	st = copy_message(mb, body, end, &trunc, &key, err);
	if (st == GR_OK && mb->ioerr)
		return gr_error_set(err, GR_E_IO, "%s: read: %s", mb->path,
		                    strerror(mb->ioerr));
	if (st == GR_OK)
		st = make_id(mb, key, err);
	if (st != GR_OK)
		return st;
	msg->data = mb->data.data;
	msg->len = mb->data.len;
	msg->source_id = mb->id;
	msg->truncated = trunc;
	return GR_OK;
}

const struct gr_source_driver gr_driver_mbox = {
	.name = "mbox",
	.accepts = mbox_accepts,
	.open = mbox_open,
	.next = mbox_next,
	.done = NULL,
	.close = mbox_close,
};
