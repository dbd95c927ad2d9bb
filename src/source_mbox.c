/* SPDX-License-Identifier: MIT */
/*
 * source_mbox.c - read-only mbox source: mboxo and mboxrd (RFC 4155, the
 * application/mbox format), LF or CRLF line ends.
 *
 * The file is mapped read-only, never loaded whole.  A line starting with
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
 * The mbox must not be truncated while it is read (the mapping would fault).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "gravity/source.h"
#include "gravity/util.h"

#define NONE ((size_t)-1)

/* Set of message hashes with how often each was seen. */
struct hcount {
	uint64_t key;
	uint32_t count;         /* 0: empty slot */
};

struct mbox {
	char *path;             /* owned: realpath */
	const char *map;        /* owned mapping, NULL when the file is empty */
	size_t size;
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

/* --- lines ------------------------------------------------------------- */

static size_t
line_end(const struct mbox *mb, size_t p)
{
	const char *nl = memchr(mb->map + p, '\n', mb->size - p);

	return nl ? (size_t)(nl - mb->map) + 1 : mb->size;
}

/* Length of the line at p without its "\n" or "\r\n". */
static size_t
text_len(const struct mbox *mb, size_t p)
{
	size_t e = line_end(mb, p);

	if (e > p && mb->map[e - 1] == '\n')
		e--;
	if (e > p && mb->map[e - 1] == '\r')
		e--;
	return e - p;
}

static int
starts_from(const struct mbox *mb, size_t p)
{
	return mb->size - p >= 5 && memcmp(mb->map + p, "From ", 5) == 0;
}

static int
is_blank(const struct mbox *mb, size_t p)
{
	return text_len(mb, p) == 0;
}

/* A header field line: 1+ printable non-colon characters, then ':'. */
static int
is_header(const struct mbox *mb, size_t p)
{
	size_t n = text_len(mb, p), i;

	for (i = 0; i < n && mb->map[p + i] != ':'; i++) {
		unsigned char c = (unsigned char)mb->map[p + i];

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
is_postmark(const struct mbox *mb, size_t p)
{
	const char *s = mb->map + p, *e = s + text_len(mb, p);

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
find_boundary(const struct mbox *mb, size_t p, size_t end, struct span *sp)
{
	char ct[1024];
	size_t n = 0;
	const char *b;

	sp->boundary[0] = '\0';
	for (; p < end; p = line_end(mb, p))
		if (text_len(mb, p) > 13 &&
		    gr_strncaseeq(mb->map + p, "content-type:", 13))
			break;
	if (p >= end)
		return;
	/* Unfold the field into ct. */
	do {
		size_t len = text_len(mb, p);

		if (len > sizeof ct - 1 - n)
			len = sizeof ct - 1 - n;
		memcpy(ct + n, mb->map + p, len);
		n += len;
		p = line_end(mb, p);
	} while (p < end && (mb->map[p] == ' ' || mb->map[p] == '\t'));
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
is_close(const struct mbox *mb, size_t p, const struct span *sp)
{
	size_t bl = strlen(sp->boundary);

	return bl > 0 && mb->size - p >= bl + 4 && mb->map[p] == '-' &&
	       mb->map[p + 1] == '-' &&
	       memcmp(mb->map + p + 2, sp->boundary, bl) == 0 &&
	       mb->map[p + 2 + bl] == '-' && mb->map[p + 3 + bl] == '-';
}

/* Offset of the closing delimiter at or after p (searched no further than
 * max bytes past the message start), or NONE. */
static size_t
find_close(const struct mbox *mb, size_t p, const struct span *sp)
{
	size_t limit = mb->size - sp->start > mb->max ? sp->start + mb->max :
	               mb->size;

	for (; p < limit; p = line_end(mb, p)) {
		const char *hit;
		size_t q;

		if (is_close(mb, p, sp))
			return p;
		hit = memmem(mb->map + p, limit - p, "\n--", 3);
		if (!hit)
			return NONE;
		q = (size_t)(hit - mb->map) + 1;
		if (is_close(mb, q, sp))
			return q;
		p = q;
	}
	return NONE;
}

/* --- separators -------------------------------------------------------- */

/* "From " then a sender token right away ("From  :x" is a broken header). */
static int
has_sender(const struct mbox *mb, size_t p)
{
	size_t n = text_len(mb, p);

	return n > 5 && mb->map[p + 5] != ' ' && mb->map[p + 5] != ':' &&
	       mb->map[p + 5] != '\t';
}

static int
is_separator(const struct mbox *mb, size_t p, int after_blank,
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
delimit(const struct mbox *mb, struct span *sp, size_t *body, size_t *end,
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

static gr_status
copy_message(struct mbox *mb, size_t p, size_t end, int *trunc,
             gr_error *err)
{
	gr_status st = GR_OK;

	gr_buf_reset(&mb->data);
	*trunc = 0;
	for (; p < end && !*trunc; p = line_end(mb, p)) {
		size_t e = line_end(mb, p), gt = 0;
		size_t room = mb->max - mb->data.len;

		while (p + gt < e && mb->map[p + gt] == '>')
			gt++;
		if (gt > 0 && e - p - gt >= 5 &&
		    memcmp(mb->map + p + gt, "From ", 5) == 0)
			p++;    /* mboxrd: drop one '>' */
		if (e - p > room) {
			e = p + room;
			*trunc = 1;
		}
		st = gr_buf_add(&mb->data, mb->map + p, e - p);
		if (st != GR_OK)
			return gr_error_set(err, st, "%s: %s", mb->path,
			                    gr_status_to_string(st));
	}
	if (!mb->data.data && gr_buf_add(&mb->data, "", 0) != GR_OK)
		return gr_error_set(err, GR_E_NOMEM, "%s: out of memory",
		                    mb->path);
	return GR_OK;
}

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

/* 64 bits of the SHA-256 of data without its status fields. */
static int
message_hash(const char *d, size_t len, uint64_t *out)
{
	gnutls_hash_hd_t h;
	unsigned char dig[32];
	size_t p = 0;

	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
		return -1;
	while (p < len && d[p] != '\n' && !(d[p] == '\r' && d[p + 1] == '\n')) {
		size_t e = p, skip;

		do {            /* one field with its continuation lines */
			const char *nl = memchr(d + e, '\n', len - e);

			e = nl ? (size_t)(nl - d) + 1 : len;
		} while (e < len && (d[e] == ' ' || d[e] == '\t'));
		skip = is_status_field(d + p, e - p);
		if (!skip)
			gnutls_hash(h, d + p, e - p);
		p = e;
	}
	gnutls_hash(h, d + p, len - p);
	gnutls_hash_deinit(h, dig);
	*out = 0;
	for (int i = 0; i < 8; i++)
		*out = (*out << 8) | dig[i];
	return 0;
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
make_id(struct mbox *mb, gr_error *err)
{
	uint64_t key;
	uint32_t n = 0;
	char tail[16];
	gr_status st;

	if (message_hash(mb->data.data, mb->data.len, &key) != 0)
		return gr_error_set(err, GR_E_INTERNAL, "%s: SHA-256 unavailable",
		                    mb->path);
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
	if (mb->map)
		munmap((void *)mb->map, mb->size);
	free(mb->path);
	free(mb->id);
	free(mb->seen);
	gr_buf_free(&mb->data);
	free(mb);
}

static gr_status
map_file(struct mbox *mb, const char *name, gr_error *err)
{
	struct stat sb;
	void *m;
	int fd = open(mb->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return gr_error_set(err, GR_E_IO, "%s: %s", name, strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return gr_error_set(err, GR_E_IO, "%s: not a regular file", name);
	}
	mb->size = (size_t)sb.st_size;
	if (mb->size == 0) {
		close(fd);
		return GR_OK;
	}
	m = mmap(NULL, mb->size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return gr_error_set(err, GR_E_IO, "%s: mmap: %s", name,
		                    strerror(errno));
	mb->map = m;
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
	mb->max = gr_source_max(opts);
	gr_buf_init(&mb->data, mb->max);
	st = gr_source_abspath(path, &mb->path, err);
	if (st == GR_OK)
		st = map_file(mb, path, err);
	while (st == GR_OK && mb->pos < mb->size && is_blank(mb, mb->pos))
		mb->pos = line_end(mb, mb->pos);
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
	int trunc;
	gr_status st;

	if (mb->pos >= mb->size)
		return GR_DONE;
	sp.start = mb->pos;
	delimit(mb, &sp, &body, &end, &next);
	mb->pos = next;
	st = copy_message(mb, body, end, &trunc, err);
	if (st == GR_OK)
		st = make_id(mb, err);
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
