/* SPDX-License-Identifier: MIT */
/*
 * template.c - reply templates: an optional "Subject:" header block, a blank
 * line, then a body with {{name}} and {{name|fallback}} placeholders and the
 * blocks {{#if name}} / {{#unless name}} ... {{else}} ... {{/if}} and
 * {{#each list}} ... {{.}} ... {{.note}} ... {{/each}} (an item of a list
 * may carry a note after a tab: {{.}} is the item, {{.note}} the note).
 *
 * A template is cut into tokens once, at load, and every problem (unknown
 * names, unclosed or mismatched blocks, placeholders nested in a fallback)
 * is reported as FILE:LINE:COL then; rendering walks the tokens and cannot
 * fail except for memory.  A block tag alone on its line takes the whole
 * line with it, so blocks can sit on lines of their own without leaving
 * blank lines behind.
 */
#include <stdlib.h>
#include <string.h>

#include "gravity/buf.h"
#include "gravity/template.h"
#include "gravity/util.h"

#define TPL_MAX_FILE    (256u << 10)
#define TPL_MAX_OUT     (1u << 20)
#define TPL_MAX_NAME    64
#define TPL_MAX_DEPTH   8
#define TPL_MAX_TOKENS  8192

static const char *const known_vars[] = {
	"owner_name", "owner_first_name", "owner_email", "owner_org",
	"owner_phone",
	"sender_name", "sender_first_name", "sender_email",
	"subject", "service", "service_label", "service_phrase",
	"partner_name", "partner_first_name", "partner_email", "partner_org",
	"partner_phone",
	"introducer_name", "introducer_first_name", "introducer_email",
	"new_contact_name", "new_contact_first_name", "new_contact_email",
	"new_contact_names",
	"excerpt", "signature", "date",
	/* what the message says (extract.h) */
	"greeting", "formal", "lang", "questions", "asks", "availability",
	"timing", "budget", "phone", "place", "wants_call", "no_rush",
	"sensitive", "urgent", "need", "area", "timing_only",
	/* what the plan knows */
	"known", "past_client", "partner_sender", "introducer_bcc",
	"introducer_cc", "introducer_copy_asked", "introducer_on_message",
	"several_new_contacts", "open_question", "visitor_name",
	NULL
};

/* Variables whose value is a list (one item a line) for {{#each}}. */
static const char *const list_vars[] = {
	"questions", "asks", "availability", "timing", "timing_only", "phone",
	"place", NULL
};

const char *const *
gr_template_known_vars(void)
{
	return known_vars;
}

static int
in_list(const char *const *l, const char *name, size_t n)
{
	for (size_t i = 0; l[i]; i++)
		if (strlen(l[i]) == n && memcmp(l[i], name, n) == 0)
			return 1;
	return 0;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t';
}

typedef enum tk_kind {
	TK_TEXT = 0,
	TK_VAR,         /* {{name}} or {{name|fallback}} */
	TK_ITEM,        /* {{.}} */
	TK_NOTE,        /* {{.note}} */
	TK_IF,          /* {{#if name}} */
	TK_UNLESS,      /* {{#unless name}} */
	TK_EACH,        /* {{#each name}} */
	TK_ELSE,        /* {{else}} */
	TK_END,         /* {{/if}}, {{/unless}}, {{/each}} */
} tk_kind;

typedef struct tk {
	tk_kind k;
	const char *s;          /* text, or the name */
	size_t n;
	const char *fb;         /* fallback (TK_VAR), NULL when none */
	size_t fbn;
	size_t other;           /* IF/UNLESS/EACH: its ELSE or END; ELSE: END */
} tk;

typedef struct tk_list {
	tk *v;
	size_t n;
} tk_list;

struct gr_template {
	char *name;
	char *subject;          /* NULL when the file has no header block */
	char *body;
	tk_list subj_tk, body_tk;
	unsigned subject_line;  /* line of the Subject: value in the file */
	unsigned subject_col;
	unsigned body_line;     /* file line where the body starts */
};

/* One "{{ ... }}" found at p. */
typedef struct tpl_ph {
	const char *in;         /* what is between the braces */
	size_t in_len;
	const char *end;        /* just past "}}" */
} tpl_ph;

/* The placeholder starting at p (which points at "{{"): 0 if it is closed
 * on the same line, -1 if not. */
static int
ph_find(const char *p, tpl_ph *ph)
{
	const char *q = p + 2, *close = strstr(q, "}}");

	if (!close)
		return -1;
	for (const char *s = q; s < close; s++)
		if (*s == '\n')
			return -1;
	ph->in = q;
	ph->in_len = (size_t)(close - q);
	ph->end = close + 2;
	return 0;
}

/* Parsing state of one text (subject or body). */
typedef struct tk_parse {
	const char *file;
	gr_diags *d;
	size_t nerr;
	tk_list *out;
	size_t stack[TPL_MAX_DEPTH];
	unsigned sline[TPL_MAX_DEPTH], scol[TPL_MAX_DEPTH];
	int depth;
	int in_each;
	int oom;
} tk_parse;

static tk *
tk_add(tk_parse *tp, tk_kind k, const char *s, size_t n)
{
	tk *nv;

	if (tp->out->n >= TPL_MAX_TOKENS) {
		tp->oom = 1;
		return NULL;
	}
	nv = realloc(tp->out->v, (tp->out->n + 1) * sizeof *nv);
	if (!nv) {
		tp->oom = 1;
		return NULL;
	}
	tp->out->v = nv;
	nv = &tp->out->v[tp->out->n++];
	memset(nv, 0, sizeof *nv);
	nv->k = k;
	nv->s = s;
	nv->n = n;
	return nv;
}

/* One error: before, the name a (at most TPL_MAX_NAME bytes), after. */
static void
err_at(tk_parse *tp, unsigned line, unsigned col, const char *before,
       const char *a, size_t an, const char *after)
{
	gr_diag_add(tp->d, tp->file, line, col, "%s%.*s%s", before,
	            (int)(an > TPL_MAX_NAME ? TPL_MAX_NAME : an), a ? a : "",
	            after);
	tp->nerr++;
}

/* An error without a name in it. */
static void
err_msg(tk_parse *tp, unsigned line, unsigned col, const char *msg)
{
	err_at(tp, line, col, msg, NULL, 0, "");
}

/* A name: [a-z0-9_], not empty. */
static int
good_name(const char *s, size_t n)
{
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '_'))
			return 0;
	return 1;
}

/* Trim blanks around [*s, *s + *n). */
static void
trim(const char **s, size_t *n)
{
	while (*n && is_space(**s))
		(*s)++, (*n)--;
	while (*n && is_space((*s)[*n - 1]))
		(*n)--;
}

/* The kind of block tag the placeholder is, or TK_TEXT for none; *arg is
 * its name (for #if, #unless, #each). */
static tk_kind
block_kind(const tpl_ph *ph, const char **arg, size_t *argn, int *bad)
{
	const char *s = ph->in;
	size_t n = ph->in_len;
	static const struct {
		const char *w;
		tk_kind k;
	} opens[] = {
		{ "#if", TK_IF }, { "#unless", TK_UNLESS }, { "#each", TK_EACH },
	};

	*bad = 0;
	trim(&s, &n);
	*arg = NULL;
	*argn = 0;
	if (n == 4 && memcmp(s, "else", 4) == 0)
		return TK_ELSE;
	if (n && s[0] == '/') {
		*arg = s + 1;
		*argn = n - 1;
		return TK_END;
	}
	if (n == 1 && s[0] == '.')
		return TK_ITEM;
	if (n == 5 && memcmp(s, ".note", 5) == 0)
		return TK_NOTE;
	for (size_t i = 0; i < sizeof opens / sizeof opens[0]; i++) {
		size_t w = strlen(opens[i].w);

		if (n >= w && memcmp(s, opens[i].w, w) == 0 &&
		    (n == w || is_space(s[w]))) {
			*arg = s + w;
			*argn = n - w;
			trim(arg, argn);
			*bad = !good_name(*arg, *argn);
			return opens[i].k;
		}
	}
	if (n && s[0] == '#') {
		*bad = 1;
		*arg = s;
		*argn = n;
		return TK_IF;
	}
	return TK_TEXT;
}

static const char *
open_word(tk_kind k)
{
	return k == TK_EACH ? "each" : k == TK_UNLESS ? "unless" : "if";
}

/* A block tag: push, pop or switch. */
static void
block_tag(tk_parse *tp, tk_kind k, const char *arg, size_t argn,
          unsigned line, unsigned col)
{
	tk *t;
	size_t idx = tp->out->n;

	if (k == TK_IF || k == TK_UNLESS || k == TK_EACH) {
		if (!in_list(known_vars, arg, argn)) {
			err_at(tp, line, col, "unknown placeholder \"", arg, argn,
			       "\"");
		} else if (k == TK_EACH && !in_list(list_vars, arg, argn)) {
			err_at(tp, line, col, "\"", arg, argn, "\" is not a list "
			       "({{#each}} takes questions, asks, availability, "
			       "timing, phone or place)");
		} else if (k == TK_EACH && tp->in_each) {
			err_at(tp, line, col, "{{#each ", arg, argn, "}} inside "
			       "another {{#each}}");
		}
		if (tp->depth == TPL_MAX_DEPTH) {
			err_msg(tp, line, col, "blocks nest at most 8 deep");
			return;
		}
		if (!(t = tk_add(tp, k, arg, argn)))
			return;
		tp->stack[tp->depth] = idx;
		tp->sline[tp->depth] = line;
		tp->scol[tp->depth] = col;
		tp->depth++;
		tp->in_each += k == TK_EACH;
		return;
	}
	if (tp->depth == 0) {
		if (k == TK_ELSE)
			err_msg(tp, line, col, "{{else}} outside a block");
		else
			err_at(tp, line, col, "{{/", arg, argn, "}} without a "
			       "block to close");
		return;
	}
	{
		tk *open = &tp->out->v[tp->stack[tp->depth - 1]];
		const char *w = open_word(open->k);

		if (k == TK_ELSE) {
			if (open->other) {
				err_msg(tp, line, col, "a second {{else}} in one "
				        "block");
				return;
			}
			if (!(t = tk_add(tp, TK_ELSE, NULL, 0)))
				return;
			tp->out->v[tp->stack[tp->depth - 1]].other = idx;
			return;
		}
		if (argn != strlen(w) || memcmp(arg, w, argn) != 0)
			err_at(tp, line, col, "{{/", arg, argn, "}} closes a block "
			       "opened with a different word (write {{/if}}, "
			       "{{/unless}} or {{/each}} to match)");
		if (!(t = tk_add(tp, TK_END, NULL, 0)))
			return;
		/* tk_add may have moved the tokens: find the opener again. */
		open = &tp->out->v[tp->stack[tp->depth - 1]];
		if (open->other)
			tp->out->v[open->other].other = idx;
		else
			open->other = idx;
		tp->in_each -= open->k == TK_EACH;
		tp->depth--;
	}
}

/* A value placeholder {{name}} / {{name|fallback}}. */
static void
value_tag(tk_parse *tp, const tpl_ph *ph, unsigned line, unsigned col)
{
	const char *bar = memchr(ph->in, '|', ph->in_len);
	const char *name = ph->in, *fb = NULL;
	size_t n = bar ? (size_t)(bar - ph->in) : ph->in_len, fbn = 0;
	tk *t;

	if (bar) {
		fb = bar + 1;
		fbn = ph->in_len - n - 1;
	}
	if (memmem(ph->in, ph->in_len, "{{", 2)) {
		err_msg(tp, line, col, "nested placeholder: a fallback is plain "
		        "text and cannot hold \"{{\" (write {{name|text}})");
		return;
	}
	trim(&name, &n);
	if (!good_name(name, n)) {
		err_msg(tp, line, col, "bad placeholder: write {{name}} or "
		        "{{name|fallback}}");
		return;
	}
	if (!in_list(known_vars, name, n)) {
		err_at(tp, line, col, "unknown placeholder \"", name, n, "\"");
		return;
	}
	if ((t = tk_add(tp, TK_VAR, name, n)) != NULL) {
		t->fb = fb;
		t->fbn = fbn;
	}
}

/* Is [ls, p) blanks only and does [e, ...) hold only blanks up to the end
 * of the line?  Then the tag at p is alone on its line; *next is where the
 * following line starts. */
static int
standalone(const char *text, const char *p, const char *e, const char **ls,
           const char **next)
{
	const char *a = p, *b = e;

	while (a > text && is_space(a[-1]))
		a--;
	if (a > text && a[-1] != '\n')
		return 0;
	while (is_space(*b))
		b++;
	if (*b != '\n' && *b != '\0')
		return 0;
	*ls = a;
	*next = *b == '\n' ? b + 1 : b;
	return 1;
}

/* Cut text (starting at file line line0, column col0) into tokens. */
static void
tokenize(tk_parse *tp, const char *text, unsigned line0, unsigned col0)
{
	unsigned line = line0, col = col0;
	const char *p = text, *lit = text;

	while (*p && !tp->oom) {
		tpl_ph ph;
		tk_kind k;
		const char *arg, *ls, *next;
		size_t argn;
		int bad;

		if (!(p[0] == '{' && p[1] == '{')) {
			if (*p == '\n')
				line++, col = 1;
			else
				col++;
			p++;
			continue;
		}
		if (ph_find(p, &ph) < 0) {
			err_msg(tp, line, col, "unclosed \"{{\" (a placeholder "
			        "ends with \"}}\" on the same line)");
			p += 2, col += 2;
			continue;
		}
		k = block_kind(&ph, &arg, &argn, &bad);
		if (k == TK_TEXT || k == TK_ITEM || k == TK_NOTE) {
			if (p > lit)
				tk_add(tp, TK_TEXT, lit, (size_t)(p - lit));
			if (k == TK_ITEM || k == TK_NOTE) {
				if (!tp->in_each)
					err_msg(tp, line, col, k == TK_ITEM ?
					        "{{.}} outside {{#each}}" :
					        "{{.note}} outside {{#each}}");
				tk_add(tp, k, NULL, 0);
			} else {
				value_tag(tp, &ph, line, col);
			}
			col += (unsigned)(ph.end - p);
			p = lit = ph.end;
			continue;
		}
		if (bad) {
			err_msg(tp, line, col, "bad block: write {{#if name}}, "
			        "{{#unless name}}, {{#each list}}, {{else}} or "
			        "{{/if}}");
			col += (unsigned)(ph.end - p);
			p = lit = ph.end;
			continue;
		}
		if (standalone(text, p, ph.end, &ls, &next)) {
			if (ls > lit)
				tk_add(tp, TK_TEXT, lit, (size_t)(ls - lit));
			block_tag(tp, k, arg, argn, line, col);
			if (next > ph.end && next[-1] == '\n')
				line++, col = 1;
			else
				col += (unsigned)(next - p);
			p = lit = next;
			continue;
		}
		if (p > lit)
			tk_add(tp, TK_TEXT, lit, (size_t)(p - lit));
		block_tag(tp, k, arg, argn, line, col);
		col += (unsigned)(ph.end - p);
		p = lit = ph.end;
	}
	if (p > lit)
		tk_add(tp, TK_TEXT, lit, (size_t)(p - lit));
	while (tp->depth > 0) {
		tk *open = &tp->out->v[tp->stack[tp->depth - 1]];

		tp->depth--;
		err_at(tp, tp->sline[tp->depth], tp->scol[tp->depth], "{{#",
		       open_word(open->k), strlen(open_word(open->k)),
		       "}} is never closed");
	}
}

static size_t
parse_text(const char *file, const char *text, unsigned line0, unsigned col0,
           tk_list *out, gr_diags *d, int *oom)
{
	tk_parse tp;

	memset(&tp, 0, sizeof tp);
	tp.file = file;
	tp.d = d;
	tp.out = out;
	tokenize(&tp, text, line0, col0);
	*oom |= tp.oom;
	return tp.nerr;
}

void
gr_template_free(gr_template *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->subject);
	free(t->body);
	free(t->subj_tk.v);
	free(t->body_tk.v);
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
	int oom = 0;
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
		nerr += parse_text(t->name, t->subject, t->subject_line,
		                   t->subject_col, &t->subj_tk, diags, &oom);
	nerr += parse_text(t->name, t->body, t->body_line, 1, &t->body_tk,
	                   diags, &oom);
	if (oom) {
		gr_diag_add(diags, t->name, 0, 0, "template too large or out of "
		            "memory (more than %u pieces)", TPL_MAX_TOKENS);
		nerr++;
	}
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

/* Rendering of one token list. */
typedef struct rd {
	const tk_list *l;
	const gr_var *vars;
	size_t nvars;
	gr_buf *b;
	gr_status st;
} rd;

static void render_range(rd *r, size_t from, size_t to, const char *item,
                         size_t itemn);

static int
truthy(const rd *r, const tk *t)
{
	const char *v = var_value(r->vars, r->nvars, t->s, t->n);

	return v && *v && strcmp(v, "0") != 0;
}

/* Render the block opened at i; returns the index after its END. */
static size_t
render_block(rd *r, size_t i, const char *item, size_t itemn)
{
	const tk *t = &r->l->v[i];
	size_t els = 0, end = t->other;

	if (end < r->l->n && r->l->v[end].k == TK_ELSE) {
		els = end;
		end = r->l->v[els].other;
	}
	if (t->k == TK_EACH) {
		const char *v = var_value(r->vars, r->nvars, t->s, t->n);
		int any = 0;

		while (v && *v && r->st == GR_OK) {
			size_t n = strcspn(v, "\n");

			if (n) {
				render_range(r, i + 1, els ? els : end, v, n);
				any = 1;
			}
			v += n + (v[n] == '\n');
		}
		if (!any && els)
			render_range(r, els + 1, end, item, itemn);
		return end + 1;
	}
	if (truthy(r, t) == (t->k == TK_IF))
		render_range(r, i + 1, els ? els : end, item, itemn);
	else if (els)
		render_range(r, els + 1, end, item, itemn);
	return end + 1;
}

static void
render_range(rd *r, size_t from, size_t to, const char *item, size_t itemn)
{
	for (size_t i = from; i < to && r->st == GR_OK;) {
		const tk *t = &r->l->v[i];
		const char *v;

		switch (t->k) {
		case TK_TEXT:
			r->st = gr_buf_add(r->b, t->s, t->n);
			break;
		case TK_ITEM:
		case TK_NOTE: {
			/* item<TAB>note */
			const char *tab = item ? memchr(item, '\t', itemn) : NULL;
			size_t k = tab ? (size_t)(tab - item) : itemn;

			if (item && t->k == TK_ITEM)
				r->st = gr_buf_add(r->b, item, k);
			else if (tab)
				r->st = gr_buf_add(r->b, tab + 1, itemn - k - 1);
			break;
		}
		case TK_VAR:
			v = var_value(r->vars, r->nvars, t->s, t->n);
			if (v && *v)
				r->st = gr_buf_addstr(r->b, v);
			else if (t->fb)
				r->st = gr_buf_add(r->b, t->fb, t->fbn);
			break;
		case TK_IF:
		case TK_UNLESS:
		case TK_EACH:
			i = render_block(r, i, item, itemn);
			continue;
		case TK_ELSE:
		case TK_END:
			break;  /* only reached through render_block's ranges */
		}
		i++;
	}
}

static gr_status
render_list(const gr_template *t, const tk_list *l, const gr_var *vars,
            size_t nvars, char **out, gr_error *err)
{
	gr_buf b;
	rd r = { l, vars, nvars, &b, GR_OK };

	gr_buf_init(&b, TPL_MAX_OUT);
	render_range(&r, 0, l->n, NULL, 0);
	if (r.st == GR_OK && !b.data)
		r.st = gr_buf_addstr(&b, "");
	if (r.st != GR_OK) {
		gr_buf_free(&b);
		return gr_error_set(err, r.st, "%s: rendering failed: %s", t->name,
		                    gr_status_to_string(r.st));
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
		st = render_list(t, &t->subj_tk, vars, nvars, subject, err);
		if (st != GR_OK)
			return st;
	}
	st = render_list(t, &t->body_tk, vars, nvars, body, err);
	if (st != GR_OK) {
		free(*subject);
		*subject = NULL;
	}
	return st;
}

static int
list_uses(const tk_list *l, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < l->n; i++)
		if ((l->v[i].k == TK_VAR || l->v[i].k == TK_IF ||
		     l->v[i].k == TK_UNLESS || l->v[i].k == TK_EACH) &&
		    l->v[i].n == n && memcmp(l->v[i].s, name, n) == 0)
			return 1;
	return 0;
}

int
gr_template_uses(const gr_template *t, const char *name)
{
	return list_uses(&t->subj_tk, name) || list_uses(&t->body_tk, name);
}

const char *
gr_template_name(const gr_template *t)
{
	return t->name;
}

const char *
gr_template_subject_text(const gr_template *t)
{
	return t->subject;
}
