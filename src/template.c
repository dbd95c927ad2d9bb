/* SPDX-License-Identifier: MIT */
/*
 * template.c - reply templates: an optional "Subject:" header block, a blank
 * line, then a body with {{name}} and {{name|fallback}} placeholders.
 * Placeholders are checked against gr_template_known_vars() at load time and
 * reported as FILE:LINE:COL.
 */
#include <stdlib.h>
#include <string.h>

#include "gravity/buf.h"
#include "gravity/template.h"
#include "gravity/util.h"

#define TPL_MAX_FILE    (256u << 10)
#define TPL_MAX_OUT     (1u << 20)
#define TPL_MAX_NAME    64

struct gr_template {
	char *name;
	char *subject;          /* NULL when the file has no header block */
	char *body;
	unsigned subject_line;  /* line of the Subject: value in the file */
	unsigned subject_col;
	unsigned body_line;     /* file line where the body starts */
};

static const char *const known_vars[] = {
	"owner_name", "owner_first_name", "owner_email", "owner_org",
	"sender_name", "sender_first_name", "sender_email",
	"subject", "service", "service_label",
	"partner_name", "partner_first_name", "partner_email", "partner_org",
	"introducer_name", "introducer_first_name", "introducer_email",
	"new_contact_name", "new_contact_first_name", "new_contact_email",
	"excerpt", "signature", "date",
	NULL
};

const char *const *
gr_template_known_vars(void)
{
	return known_vars;
}

static int
is_known(const char *name, size_t n)
{
	for (size_t i = 0; known_vars[i]; i++)
		if (strlen(known_vars[i]) == n && memcmp(known_vars[i], name, n) == 0)
			return 1;
	return 0;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* One placeholder found at p ("{{" ... "}}"). */
typedef struct tpl_ph {
	const char *name;
	size_t name_len;
	const char *fallback;   /* NULL when there is no '|' */
	size_t fallback_len;
	const char *end;        /* just past "}}" */
	int junk;               /* text after the name before '|' or "}}" */
} tpl_ph;

/* Parse the placeholder starting at p (which points at "{{").  0 if it is
 * closed on the same line, -1 if not. */
static int
ph_parse(const char *p, tpl_ph *ph)
{
	const char *q = p + 2, *close, *bar = NULL;

	close = strstr(q, "}}");
	if (!close)
		return -1;
	for (const char *s = q; s < close; s++) {
		if (*s == '\n')
			return -1;
		if (*s == '|' && !bar)
			bar = s;
	}
	memset(ph, 0, sizeof *ph);
	ph->end = close + 2;
	while (q < close && is_space(*q))
		q++;
	ph->name = q;
	while (q < (bar ? bar : close) && !is_space(*q))
		q++;
	ph->name_len = (size_t)(q - ph->name);
	while (q < (bar ? bar : close) && is_space(*q))
		q++;
	ph->junk = q < (bar ? bar : close);
	if (bar) {
		ph->fallback = bar + 1;
		ph->fallback_len = (size_t)(close - bar - 1);
	}
	return 0;
}

/* Check every placeholder of text, which starts at file line line0,
 * column col0.  Returns the number of errors added. */
static size_t
check_text(const char *file, const char *text, unsigned line0, unsigned col0,
           gr_diags *diags)
{
	unsigned line = line0, col = col0;
	size_t nerr = 0;

	for (const char *p = text; *p;) {
		tpl_ph ph;

		if (p[0] == '{' && p[1] == '{') {
			if (ph_parse(p, &ph) < 0) {
				gr_diag_add(diags, file, line, col,
				            "unclosed \"{{\" (a placeholder ends with "
				            "\"}}\" on the same line)");
				nerr++;
				p += 2, col += 2;
				continue;
			}
			if (ph.name_len == 0 || ph.junk) {
				gr_diag_add(diags, file, line, col,
				            "bad placeholder: write {{name}} or "
				            "{{name|fallback}}");
				nerr++;
			} else if (!is_known(ph.name, ph.name_len)) {
				gr_diag_add(diags, file, line, col,
				            "unknown placeholder \"%.*s\"",
				            (int)(ph.name_len > TPL_MAX_NAME ?
				                  TPL_MAX_NAME : ph.name_len), ph.name);
				nerr++;
			}
			col += (unsigned)(ph.end - p);
			p = ph.end;
			continue;
		}
		if (*p == '\n')
			line++, col = 1;
		else
			col++;
		p++;
	}
	return nerr;
}

void
gr_template_free(gr_template *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->subject);
	free(t->body);
	free(t);
}

/* Copy [data, data+len) with CRLF turned into LF; NUL bytes end it. */
static char *
normalise(const char *data, size_t len)
{
	char *s = malloc(len + 1);
	size_t o = 0;

	if (!s)
		return NULL;
	for (size_t i = 0; i < len && data[i]; i++) {
		if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')
			continue;
		s[o++] = data[i];
	}
	s[o] = '\0';
	return s;
}

/* Split the header block off text (owned by t afterwards). */
static gr_status
split_headers(gr_template *t, char *text, gr_diags *diags, size_t *nerr)
{
	char *p = text, *nl;
	unsigned line = 1;

	t->body_line = 1;
	if (!gr_startswith_ci(text, "subject:")) {
		t->body = text;
		return GR_OK;
	}
	for (;;) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		if (*p == '\0')
			break;
		if (gr_startswith_ci(p, "subject:")) {
			char *v = p + 8;
			unsigned col = 9;

			while (is_space(*v))
				v++, col++;
			free(t->subject);
			t->subject = gr_strdup(v);
			if (!t->subject)
				return GR_E_NOMEM;
			t->subject_line = line;
			t->subject_col = col;
		} else {
			gr_diag_add(diags, t->name, line, 1,
			            "unknown template header (only \"Subject:\"; "
			            "end the header block with a blank line)");
			(*nerr)++;
		}
		if (!nl) {
			p += strlen(p);
			break;
		}
		p = nl + 1;
		line++;
	}
	t->body = gr_strdup(nl ? p + 1 : p);
	t->body_line = line + (nl ? 1 : 0);
	free(text);
	return t->body ? GR_OK : GR_E_NOMEM;
}

gr_status
gr_template_load_mem(const char *name, const char *data, size_t len,
                     gr_template **out, gr_diags *diags)
{
	gr_template *t;
	char *text;
	size_t nerr = 0;
	gr_status st;

	*out = NULL;
	if (len > TPL_MAX_FILE) {
		gr_diag_add(diags, name, 0, 0, "template larger than %u bytes",
		            TPL_MAX_FILE);
		return GR_E_CONFIG;
	}
	t = calloc(1, sizeof *t);
	text = normalise(data, len);
	if (!t || !text || !(t->name = gr_strdup(name ? name : "-"))) {
		free(text);
		gr_template_free(t);
		return GR_E_NOMEM;
	}
	st = split_headers(t, text, diags, &nerr);
	if (st != GR_OK)
		goto fail;
	if (!gr_utf8_valid(t->body, strlen(t->body)) ||
	    (t->subject && !gr_utf8_valid(t->subject, strlen(t->subject)))) {
		gr_diag_add(diags, t->name, 0, 0, "template is not valid UTF-8");
		nerr++;
	}
	if (t->subject)
		nerr += check_text(t->name, t->subject, t->subject_line,
		                   t->subject_col, diags);
	nerr += check_text(t->name, t->body, t->body_line, 1, diags);
	if (nerr) {
		st = GR_E_CONFIG;
		goto fail;
	}
	*out = t;
	return GR_OK;
fail:
	gr_template_free(t);
	return st;
}

gr_status
gr_template_load(const char *path, gr_template **out, gr_diags *diags)
{
	char *data;
	size_t len;
	gr_error err;
	gr_status st;

	*out = NULL;
	st = gr_read_file(path, TPL_MAX_FILE, &data, &len, &err);
	if (st != GR_OK) {
		gr_diag_add(diags, path, 0, 0, "%s", err.msg);
		return st == GR_E_NOMEM ? st : GR_E_CONFIG;
	}
	st = gr_template_load_mem(path, data, len, out, diags);
	free(data);
	return st;
}

static const char *
var_value(const gr_var *vars, size_t nvars, const char *name, size_t n)
{
	for (size_t i = 0; i < nvars; i++)
		if (vars[i].name && strlen(vars[i].name) == n &&
		    memcmp(vars[i].name, name, n) == 0)
			return vars[i].value;
	return NULL;
}

static gr_status
render_text(const gr_template *t, const char *text, const gr_var *vars,
            size_t nvars, char **out, gr_error *err)
{
	gr_buf b;
	gr_status st = GR_OK;
	const char *p = text, *lit = text;

	gr_buf_init(&b, TPL_MAX_OUT);
	while (*p && st == GR_OK) {
		tpl_ph ph;
		const char *v;

		if (p[0] != '{' || p[1] != '{' || ph_parse(p, &ph) < 0) {
			p++;
			continue;
		}
		st = gr_buf_add(&b, lit, (size_t)(p - lit));
		v = var_value(vars, nvars, ph.name, ph.name_len);
		if (st == GR_OK && v && *v)
			st = gr_buf_addstr(&b, v);
		else if (st == GR_OK && ph.fallback)
			st = gr_buf_add(&b, ph.fallback, ph.fallback_len);
		p = lit = ph.end;
	}
	if (st == GR_OK)
		st = gr_buf_add(&b, lit, (size_t)(p - lit));
	if (st != GR_OK) {
		gr_buf_free(&b);
		return gr_error_set(err, st, "%s: rendering failed: %s", t->name,
		                    gr_status_to_string(st));
	}
	*out = gr_buf_steal(&b);
	return *out ? GR_OK : gr_error_set(err, GR_E_NOMEM, "%s: out of memory",
	                                   t->name);
}

gr_status
gr_template_render(const gr_template *t, const gr_var *vars, size_t nvars,
                   char **subject, char **body, gr_error *err)
{
	gr_status st;

	*subject = NULL;
	*body = NULL;
	if (t->subject) {
		st = render_text(t, t->subject, vars, nvars, subject, err);
		if (st != GR_OK)
			return st;
	}
	st = render_text(t, t->body, vars, nvars, body, err);
	if (st != GR_OK) {
		free(*subject);
		*subject = NULL;
	}
	return st;
}

static int
text_uses(const char *text, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = text; p && (p = strstr(p, "{{")); p += 2) {
		tpl_ph ph;

		if (ph_parse(p, &ph) == 0 && ph.name_len == n &&
		    memcmp(ph.name, name, n) == 0)
			return 1;
	}
	return 0;
}

int
gr_template_uses(const gr_template *t, const char *name)
{
	return text_uses(t->subject, name) || text_uses(t->body, name);
}

const char *
gr_template_name(const gr_template *t)
{
	return t->name;
}
