/* SPDX-License-Identifier: MIT */
/* util.c - string, vector, hashing and file-reading helpers. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "gravity/util.h"

char *
gr_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

char *
gr_strndup(const char *s, size_t n)
{
	return s ? strndup(s, n) : NULL;
}

char *
gr_expand_home(const char *s)
{
	static const char *const pfx[] = { "~", "${HOME}", "$HOME" };
	const char *home = getenv("HOME");
	char *out;

	if (!s)
		return NULL;
	for (size_t i = 0; home && *home && i < 3; i++) {
		size_t n = strlen(pfx[i]), hl = strlen(home);

		if (strncmp(s, pfx[i], n) != 0 || (s[n] && s[n] != '/'))
			continue;
		while (hl > 0 && home[hl - 1] == '/' && s[n] == '/')
			hl--;           /* "/home/h/" + "/x" is "/home/h/x" */
		out = malloc(hl + strlen(s + n) + 1);
		if (out) {
			memcpy(out, home, hl);
			strcpy(out + hl, s + n);
		}
		return out;
	}
	return gr_strdup(s);
}

static int
lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

int
gr_strcaseeq(const char *a, const char *b)
{
	if (!a || !b)
		return 0;
	while (*a && lower((unsigned char)*a) == lower((unsigned char)*b))
		a++, b++;
	return *a == '\0' && *b == '\0';
}

int
gr_strncaseeq(const char *a, const char *b, size_t n)
{
	if (!a || !b)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return 0;
		if (!a[i])
			return 1;
	}
	return 1;
}

int
gr_startswith_ci(const char *s, const char *prefix)
{
	return s && prefix && gr_strncaseeq(s, prefix, strlen(prefix));
}

const char *
gr_strcasestr(const char *hay, const char *needle)
{
	char first[3];
	size_t n;

	if (!hay || !needle)
		return NULL;
	n = strlen(needle);
	if (n == 0)
		return hay;
	/* strcspn skips to the next place where the needle's first byte
	 * (either case) stands; only there are the rest compared */
	first[0] = (char)lower((unsigned char)*needle);
	first[1] = (char)(first[0] >= 'a' && first[0] <= 'z' ?
	                  first[0] - 32 : first[0]);
	first[2] = '\0';
	for (hay += strcspn(hay, first); *hay;
	     hay += 1 + strcspn(hay + 1, first))
		if (gr_strncaseeq(hay + 1, needle + 1, n - 1))
			return hay;
	return NULL;
}

void
gr_str_lower(char *s)
{
	for (; s && *s; s++)
		*s = (char)lower((unsigned char)*s);
}

static int
blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
	       c == '\v';
}

char *
gr_str_trim(char *s)
{
	size_t n;

	if (!s)
		return s;
	while (blank((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && blank((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* --- UTF-8 (RFC 3629) -------------------------------------------------- */

size_t
gr_utf8_decode(const char *str, size_t n, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t c;
	size_t k;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		if (cp)
			*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4, c = s[0] & 0x07;
	else
		return 0;
	if (n < k)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((k == 3 && c < 0x800) || (k == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	if (cp)
		*cp = c;
	return k;
}

/* How many bytes at the start of s (n bytes) are ASCII, and not NUL when
 * nul_too: eight at a time. */
static size_t
ascii_run(const char *s, size_t n, int nul_too)
{
	const uint64_t ones = 0x0101010101010101ull, highs = ones << 7;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, s + i, 8);
		if ((w & highs) || (nul_too && ((w - ones) & ~w & highs)))
			break;
	}
	while (i < n && (unsigned char)s[i] < 0x80 && (!nul_too || s[i]))
		i++;
	return i;
}

int
gr_utf8_valid(const char *s, size_t n)
{
	size_t i = 0, k;

	while ((i += ascii_run(s + i, n - i, 0)) < n) {
		if ((k = gr_utf8_decode(s + i, n - i, NULL)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

size_t
gr_utf8_put(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

char *
gr_utf8_sanitize(const char *s, size_t len, size_t *outlen)
{
	size_t i = 0, o = 0, k, cap = len + 1;
	char *out;

	if (len > (SIZE_MAX - 1) / 3)
		return NULL;
	/* room for every byte as it is; three times that once one is not
	 * (a byte becomes at most three) */
	out = malloc(cap);
	if (!out)
		return NULL;
	while (i < len) {
		k = ascii_run(s + i, len - i, 1);
		memcpy(out + o, s + i, k);
		o += k;
		i += k;
		if (i == len)
			break;
		k = gr_utf8_decode(s + i, len - i, NULL);
		if (k && s[i]) {
			memcpy(out + o, s + i, k);
			o += k;
			i += k;
			continue;
		}
		if (cap < len * 3 + 1) {
			char *nv = realloc(out, len * 3 + 1);

			if (!nv) {
				free(out);
				return NULL;
			}
			out = nv;
			cap = len * 3 + 1;
		}
		memcpy(out + o, "\xef\xbf\xbd", 3);
		o += 3;
		i++;
	}
	out[o] = '\0';
	if (outlen)
		*outlen = o;
	return out;
}

size_t
gr_utf8_cut(const char *s, size_t n)
{
	size_t i = n, back = 0;

	while (i > 0 && back < 4 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
		i--, back++;
	if (i == 0)
		return 0;
	if ((unsigned char)s[i - 1] >= 0xc0) {
		/* a lead byte: keep it only if its sequence is complete */
		if (gr_utf8_decode(s + i - 1, n - i + 1, NULL) == n - i + 1)
			return n;
		return i - 1;
	}
	return n;
}

char *
gr_text_clean(const char *s, int nl, size_t max)
{
	size_t n = s ? strlen(s) : 0, o = 0;
	char *out = malloc(n + 1);

	if (!out)
		return NULL;
	for (size_t i = 0; i < n && o < max;) {
		unsigned char c = (unsigned char)s[i];
		size_t k = 1;

		if (c >= 0x80) {
			while (k < 4 && i + k < n &&
			       ((unsigned char)s[i + k] & 0xC0) == 0x80)
				k++;
			if (gr_utf8_decode(s + i, k, NULL) == k && o + k <= max) {
				memcpy(out + o, s + i, k);
				o += k;
			}
			i += k;
			continue;
		}
		if (c == '\t' || (c == '\n' && nl == GR_NL_BLANK))
			out[o++] = ' ';
		else if ((c == '\n' && nl == GR_NL_KEEP) || (c >= 0x20 && c != 0x7f))
			out[o++] = (char)c;
		i++;
	}
	out[o] = '\0';
	return out;
}

/* A character a terminal must not be sent from untrusted text: C0 (with
 * tab and line feed), DEL, C1 (U+0080-009F: some terminals take U+009B as
 * CSI, as all take ESC [), and the bidirectional embeddings, overrides and
 * isolates (U+202A-202E, U+2066-2069) that reorder what is shown. */
static int
term_unsafe(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) ||
	       (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

void
gr_term_vline(FILE *fp, const char *fmt, va_list ap)
{
	char small[1024], *line = small;
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(small, sizeof small, fmt, aq);
	va_end(aq);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof small) {
		if (n > GR_TERM_LINE_MAX)
			n = GR_TERM_LINE_MAX;
		if ((line = malloc((size_t)n + 1)) != NULL)
			vsnprintf(line, (size_t)n + 1, fmt, ap);
		else {
			line = small;
			n = sizeof small - 1;
		}
	}
	for (size_t i = 0, k; i < (size_t)n; i += k) {
		uint32_t c;

		/* an invalid byte is blanked alone */
		if ((k = gr_utf8_decode(line + i, (size_t)n - i, &c)) == 0)
			k = 1, c = 0;
		if (term_unsafe(c))
			memset(line + i, ' ', k);
	}
	fprintf(fp, "%.*s\n", n, line);
	if (line != small)
		free(line);
}

void
gr_term_line(FILE *fp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gr_term_vline(fp, fmt, ap);
	va_end(ap);
}

void
gr_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char d[32];
	static const char hex[] = "0123456789abcdef";

	memset(d, 0, sizeof d);
	(void)gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len, d);
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = '\0';
}

void
gr_hmac_sha256_hex(const void *key, size_t klen, const void *data,
                   size_t len, char out[65])
{
	unsigned char d[32];
	static const char hex[] = "0123456789abcdef";

	memset(d, 0, sizeof d);
	(void)gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, klen, data, len, d);
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = '\0';
}

int
gr_random_bytes(void *buf, size_t n)
{
	unsigned char *p = buf;

	while (n) {
		ssize_t got = getrandom(p, n, 0);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			if (got == 0)
				errno = EIO;
			return -1;
		}
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

gr_status
gr_strv_push_owned(gr_strv *sv, char *s)
{
	if (!s)
		return GR_E_NOMEM;
	if (sv->n + 2 > sv->cap) {
		size_t ncap = sv->cap ? sv->cap * 2 : 8;
		char **nv = realloc(sv->v, ncap * sizeof *nv);

		if (!nv) {
			free(s);
			return GR_E_NOMEM;
		}
		sv->v = nv;
		sv->cap = ncap;
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
	return GR_OK;
}

gr_status
gr_strv_push(gr_strv *sv, const char *s)
{
	return gr_strv_push_owned(sv, gr_strdup(s ? s : ""));
}

int
gr_strv_contains_ci(const gr_strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (gr_strcaseeq(sv->v[i], s))
			return 1;
	return 0;
}

void
gr_strv_free(gr_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

gr_status
gr_read_file(const char *path, size_t max, char **out, size_t *len,
             gr_error *err)
{
	int fd;
	struct stat sb;
	char *buf = NULL;
	size_t have = 0, cap;
	gr_status st = GR_OK;

	*out = NULL;
	if (len)
		*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return gr_error_set(err, errno == ENOENT ? GR_E_NOINPUT : GR_E_IO,
		                    "%s: %s", path, strerror(errno));
	if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		close(fd);
		return gr_error_set(err, GR_E_IO, "%s: is a directory", path);
	}
	cap = (sb.st_size > 0 && (size_t)sb.st_size < max) ?
	      (size_t)sb.st_size + 1 : 4096;
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return gr_error_set(err, GR_E_NOMEM, "%s: out of memory", path);
	}
	for (;;) {
		ssize_t r;

		if (have + 1 >= cap) {
			size_t ncap = cap * 2;
			char *nb;

			if (cap > max + 1) {
				st = gr_error_set(err, GR_E_LIMIT,
				                  "%s: larger than %zu bytes", path, max);
				break;
			}
			nb = realloc(buf, ncap);
			if (!nb) {
				st = gr_error_set(err, GR_E_NOMEM, "%s: out of memory", path);
				break;
			}
			buf = nb;
			cap = ncap;
		}
		r = read(fd, buf + have, cap - have - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			st = gr_error_set(err, GR_E_IO, "%s: %s", path, strerror(errno));
			break;
		}
		if (r == 0)
			break;
		have += (size_t)r;
		if (have > max) {
			st = gr_error_set(err, GR_E_LIMIT, "%s: larger than %zu bytes",
			                  path, max);
			break;
		}
	}
	close(fd);
	if (st != GR_OK) {
		free(buf);
		return st;
	}
	buf[have] = '\0';
	*out = buf;
	if (len)
		*len = have;
	return GR_OK;
}

/* --- string map ----------------------------------------------------------- */

static size_t
strmap_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return (size_t)h;
}

long
gr_strmap_get(const gr_strmap *m, const char *key)
{
	size_t i;

	if (!m->cap || !key)
		return -1;
	for (i = strmap_hash(key) & (m->cap - 1); m->keys[i];
	     i = (i + 1) & (m->cap - 1))
		if (strcmp(m->keys[i], key) == 0)
			return (long)m->vals[i];
	return -1;
}

static void
strmap_place(char **keys, size_t *vals, size_t cap, char *key, size_t val)
{
	size_t i = strmap_hash(key) & (cap - 1);

	while (keys[i])
		i = (i + 1) & (cap - 1);
	keys[i] = key;
	vals[i] = val;
}

gr_status
gr_strmap_put(gr_strmap *m, const char *key, size_t val)
{
	size_t i;
	char *k;

	if (!key)
		return GR_E_INTERNAL;
	if (m->cap) {
		for (i = strmap_hash(key) & (m->cap - 1); m->keys[i];
		     i = (i + 1) & (m->cap - 1))
			if (strcmp(m->keys[i], key) == 0) {
				m->vals[i] = val;
				return GR_OK;
			}
	}
	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		char **keys = calloc(cap, sizeof *keys);
		size_t *vals = calloc(cap, sizeof *vals);

		if (!keys || !vals) {
			free(keys);
			free(vals);
			return GR_E_NOMEM;
		}
		for (i = 0; i < m->cap; i++)
			if (m->keys[i])
				strmap_place(keys, vals, cap, m->keys[i],
				             m->vals[i]);
		free(m->keys);
		free(m->vals);
		m->keys = keys;
		m->vals = vals;
		m->cap = cap;
	}
	if (!(k = gr_strdup(key)))
		return GR_E_NOMEM;
	strmap_place(m->keys, m->vals, m->cap, k, val);
	m->n++;
	return GR_OK;
}

void
gr_strmap_free(gr_strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof *m);
}

/* --- accents ------------------------------------------------------------ */

size_t
gr_fold_accents_n(const char *s, size_t n, char *out)
{
	/* base letters of U+00C0..U+00FF and U+0100..U+017F; '?' keeps the
	 * character as it is */
	static const char latin1[] =
		"AAAAAAACEEEEIIIIDNOOOOO?OUUUUYTsaaaaaaaceeeeiiiidnooooo?ouuuuyty";
	static const char ext_a[] =
		"AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIiIiJjKkkLlLlLlLl"
		"LlNnNnNnnNnOoOoOoOoRrRrRrSsSsSsSsTtTtTtUuUuUuUuUuUuWwYyYZzZzZzs";
	size_t o = 0;

	for (size_t i = 0; i < n;) {
		unsigned char c;
		unsigned cp;
		char b = '?';
		size_t a = ascii_run(s + i, n - i, 0);

		/* ASCII is copied as it is, a run at a time */
		memcpy(out + o, s + i, a);
		o += a;
		if ((i += a) >= n)
			break;
		c = (unsigned char)s[i];
		if ((c == 0xC3 || c == 0xC4 || c == 0xC5) && i + 1 < n &&
		    ((unsigned char)s[i + 1] & 0xC0) == 0x80) {
			cp = ((unsigned)(c & 0x1F) << 6) |
			     ((unsigned char)s[i + 1] & 0x3F);
			if (cp >= 0xC0 && cp < 0x100)
				b = latin1[cp - 0xC0];
			else if (cp >= 0x100 && cp < 0x180)
				b = ext_a[cp - 0x100];
			if (b != '?') {
				out[o++] = b;
				i += 2;
				continue;
			}
		}
		out[o++] = s[i++];
	}
	return o;
}

char *
gr_fold_accents(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	char *out = malloc(n + 1);

	if (!out)
		return NULL;
	out[gr_fold_accents_n(s, n, out)] = '\0';
	return out;
}

/* --- a poll's warnings -------------------------------------------------- */

static size_t n_warnings;
static char first_warning[600];

void
gr_warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (n_warnings++ == 0)
		vsnprintf(first_warning, sizeof first_warning, fmt, ap);
	va_end(ap);
	fputs("gravity: warning: ", stderr);
	va_start(ap, fmt);
	gr_term_vline(stderr, fmt, ap);
	va_end(ap);
}

size_t
gr_warnings(const char **first)
{
	if (first)
		*first = n_warnings ? first_warning : NULL;
	return n_warnings;
}

void
gr_warnings_reset(void)
{
	n_warnings = 0;
	first_warning[0] = '\0';
}
