/* SPDX-License-Identifier: MIT */
/*
 * conf.c - line reader, tokenizer and FILE:LINE:COL diagnostics for every
 * gravity text file (rules, profile, policy, templates' headers, config).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gravity/buf.h"
#include "gravity/conf.h"
#include "gravity/util.h"

#define CONF_MAX_FILE (4u << 20)

struct gr_conf {
	char *path;
	char *data;             /* whole file, NUL-terminated */
	size_t len;
	size_t pos;
	unsigned lineno;        /* line of the last line returned */
	char *line;             /* current line, comment removed */
};

static void
diag_vadd(gr_diags *d, int warning, const char *file, unsigned line,
          unsigned col, const char *fmt, va_list ap)
{
	char msg[1024];

	if (!d)
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 16;
		gr_diag *nv = realloc(d->v, ncap * sizeof *nv);

		if (!nv)
			return;
		d->v = nv;
		d->cap = ncap;
	}
	d->v[d->n].file = gr_strdup(file ? file : "-");
	d->v[d->n].line = line;
	d->v[d->n].col = col;
	d->v[d->n].msg = gr_strdup(msg);
	d->v[d->n].warning = warning;
	d->n++;
}

void
gr_diag_add(gr_diags *d, const char *file, unsigned line, unsigned col,
            const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, 0, file, line, col, fmt, ap);
	va_end(ap);
}

void
gr_diag_warn(gr_diags *d, const char *file, unsigned line, unsigned col,
             const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, 1, file, line, col, fmt, ap);
	va_end(ap);
}

size_t
gr_diags_errors(const gr_diags *d)
{
	size_t n = 0;

	for (size_t i = 0; d && i < d->n; i++)
		n += !d->v[i].warning;
	return n;
}

void
gr_diags_print(const gr_diags *d, FILE *fp)
{
	for (size_t i = 0; d && i < d->n; i++) {
		const gr_diag *g = &d->v[i];
		const char *kind = g->warning ? "warning" : "error";

		/* The messages quote the files' text: one clean line each. */
		if (g->line && g->col)
			gr_term_line(fp, "%s:%u:%u: %s: %s", g->file, g->line,
			             g->col, kind, g->msg);
		else if (g->line)
			gr_term_line(fp, "%s:%u: %s: %s", g->file, g->line, kind,
			             g->msg);
		else
			gr_term_line(fp, "%s: %s: %s", g->file, kind, g->msg);
	}
}

void
gr_diags_free(gr_diags *d)
{
	for (size_t i = 0; d && i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
	}
	if (d) {
		free(d->v);
		d->v = NULL;
		d->n = d->cap = 0;
	}
}

/* A reader named name over data (len bytes, NUL-terminated), which it
 * takes: freed with the reader, or here on failure. */
static gr_status
conf_take(const char *name, char *data, size_t len, gr_conf **out,
          gr_error *err)
{
	gr_conf *c = calloc(1, sizeof *c);

	if (!c || !(c->path = gr_strdup(name))) {
		free(c);
		free(data);
		return gr_error_set(err, GR_E_NOMEM, "%s: out of memory", name);
	}
	c->data = data;
	c->len = len;
	*out = c;
	return GR_OK;
}

gr_status
gr_conf_open(const char *path, gr_conf **out, gr_error *err)
{
	char *data;
	size_t len;
	gr_status st;

	*out = NULL;
	st = gr_read_file(path, CONF_MAX_FILE, &data, &len, err);
	if (st != GR_OK)
		return st;
	return conf_take(path, data, len, out, err);
}

void
gr_conf_close(gr_conf *c)
{
	if (!c)
		return;
	free(c->path);
	free(c->data);
	free(c->line);
	free(c);
}

const char *
gr_conf_path(const gr_conf *c)
{
	return c->path;
}

unsigned
gr_conf_lineno(const gr_conf *c)
{
	return c->lineno;
}

static int
is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v';
}

/* Length of s up to a trailing comment: '#' at token start outside quotes
 * and /regex/. */
static size_t
strip_comment(const char *s, size_t n)
{
	int inq = 0, inre = 0;

	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		int tokstart = (i == 0 || is_blank(s[i - 1]));

		if ((inq || inre) && ch == '\\' && i + 1 < n) {
			i++;
			continue;
		}
		if (inq) {
			if (ch == '"')
				inq = 0;
		} else if (inre) {
			if (ch == '/')
				inre = 0;
		} else if (ch == '"') {
			inq = 1;
		} else if (ch == '/' && tokstart) {
			inre = 1;
		} else if (ch == '#' && tokstart) {
			return i;
		}
	}
	return n;
}

gr_status
gr_conf_next(gr_conf *c, const char **line, int *indent)
{
	while (c->pos < c->len) {
		const char *s = c->data + c->pos;
		const char *nl = memchr(s, '\n', c->len - c->pos);
		size_t n = nl ? (size_t)(nl - s) : c->len - c->pos;
		size_t ind = 0, keep;

		c->pos += n + (nl ? 1 : 0);
		c->lineno++;
		while (ind < n && is_blank(s[ind]))
			ind++;
		if (ind == n || s[ind] == '#')
			continue;
		keep = ind + strip_comment(s + ind, n - ind);
		while (keep > ind && is_blank(s[keep - 1]))
			keep--;
		free(c->line);
		c->line = gr_strndup(s, keep);
		if (!c->line)
			return GR_E_NOMEM;
		/* NUL bytes inside a line end it: treat the rest as absent. */
		*line = c->line + ind;
		if (indent)
			*indent = (int)ind;
		return GR_OK;
	}
	return GR_DONE;
}

static gr_status
toks_push(gr_toks *t, gr_tok *tok)
{
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 8;
		gr_tok *nv = realloc(t->v, ncap * sizeof *nv);

		if (!nv)
			return GR_E_NOMEM;
		t->v = nv;
		t->cap = ncap;
	}
	t->v[t->n++] = *tok;
	return GR_OK;
}

void
gr_toks_free(gr_toks *t)
{
	for (size_t i = 0; t && i < t->n; i++)
		free(t->v[i].text);
	if (t) {
		free(t->v);
		t->v = NULL;
		t->n = t->cap = 0;
	}
}

void
gr_tok_strip_comma(gr_tok *t)
{
	size_t n;

	if (t->regex) {
		char *cm = strchr(t->flags, ',');

		if (cm)
			*cm = '\0';
		return;
	}
	if (t->quoted)
		return;
	n = strlen(t->text);
	if (n > 0 && t->text[n - 1] == ',')
		t->text[n - 1] = '\0';
}

void
gr_conf_error(gr_conf *c, gr_diags *d, unsigned col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, 0, c->path, c->lineno, col, fmt, ap);
	va_end(ap);
}

/* Column of p in the current raw line (1-based). */
static unsigned
col_of(gr_conf *c, const char *line, const char *p)
{
	const char *base = c->line ? c->line : line;

	if (p >= base && p <= base + strlen(base))
		return (unsigned)(p - base) + 1;
	return (unsigned)(p - line) + 1;
}

gr_status
gr_conf_split(gr_conf *c, const char *line, gr_toks *out, gr_diags *diags)
{
	const char *p = line;

	while (*p) {
		gr_tok tok;
		gr_buf b;
		gr_status st = GR_OK;

		while (is_blank(*p))
			p++;
		if (!*p)
			break;
		memset(&tok, 0, sizeof tok);
		tok.col = col_of(c, line, p);
		gr_buf_init(&b, CONF_MAX_FILE);
		if (*p == '"') {
			tok.quoted = 1;
			p++;
			while (*p && *p != '"' && st == GR_OK) {
				if (*p == '\\' && p[1]) {
					char e = p[1];

					st = gr_buf_addc(&b, e == 'n' ? '\n' :
					                 e == 't' ? '\t' : e);
					p += 2;
				} else {
					st = gr_buf_addc(&b, *p++);
				}
			}
			if (*p != '"') {
				gr_buf_free(&b);
				gr_conf_error(c, diags, tok.col,
				              "unterminated quoted string");
				return GR_E_CONFIG;
			}
			p++;
		} else if (*p == '/') {
			size_t nf = 0;

			tok.regex = 1;
			p++;
			while (*p && *p != '/' && st == GR_OK) {
				if (*p == '\\' && p[1]) {
					st = gr_buf_add(&b, p, 2);
					p += 2;
				} else {
					st = gr_buf_addc(&b, *p++);
				}
			}
			if (*p != '/') {
				gr_buf_free(&b);
				gr_conf_error(c, diags, tok.col,
				              "unterminated /regex/ (a '/' inside it "
				              "is written \\/)");
				return GR_E_CONFIG;
			}
			p++;
			while (*p && !is_blank(*p)) {
				if (nf + 1 >= sizeof tok.flags) {
					gr_buf_free(&b);
					gr_conf_error(c, diags, col_of(c, line, p),
					              "too many regex flags");
					return GR_E_CONFIG;
				}
				tok.flags[nf++] = *p++;
			}
		} else {
			while (*p && !is_blank(*p) && st == GR_OK)
				st = gr_buf_addc(&b, *p++);
		}
		if (st != GR_OK) {
			gr_buf_free(&b);
			return st;
		}
		tok.text = gr_buf_steal(&b);
		if (!tok.text || toks_push(out, &tok) != GR_OK) {
			free(tok.text);
			return GR_E_NOMEM;
		}
	}
	return GR_OK;
}
