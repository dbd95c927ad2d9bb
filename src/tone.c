/* SPDX-License-Identifier: MIT */
/*
 * tone.c - the tone lint of draft templates and reminder summaries
 * (tone.h): phrases of every layer of the "tone" file and of the phrase
 * lists it names, ALL-CAPS words and "!!".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gravity/tone.h"

#define TONE_MAX_FILE   (1u << 20)
#define TONE_MAX_LAYERS 8

struct gr_tone {
	gr_strv phrases;
	gr_strv where;          /* "FILE:LINE" of each phrase */
	gr_strv allow;          /* ALL-CAPS words allowed */
};

void
gr_tone_free(gr_tone *t)
{
	if (!t)
		return;
	gr_strv_free(&t->phrases);
	gr_strv_free(&t->where);
	gr_strv_free(&t->allow);
	free(t);
}

static int
is_alnum(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch >= 0x80;
}

static int
lower_c(int ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
}

/* Length of an apostrophe at p (' ` and U+2019, U+2018, U+02BC, U+00B4),
 * or 0. */
static size_t
apostrophe(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	if (*u == '\'' || *u == '`')
		return 1;
	if (u[0] == 0xE2 && u[1] == 0x80 && (u[2] == 0x99 || u[2] == 0x98))
		return 3;
	if ((u[0] == 0xCA && u[1] == 0xBC) || (u[0] == 0xC2 && u[1] == 0xB4))
		return 2;
	return 0;
}

/* A blank, a hyphen (or a dash) or a line end: one "separator". */
static size_t
separator(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	if (*u == ' ' || *u == '\t' || *u == '-' || *u == '\n' || *u == '\r')
		return 1;
	if (u[0] == 0xE2 && u[1] == 0x80 && u[2] >= 0x90 && u[2] <= 0x94)
		return 3;       /* hyphen, non-breaking hyphen, dashes */
	if (u[0] == 0xC2 && u[1] == 0xA0)
		return 2;       /* no-break space */
	return 0;
}

/* Length of phrase matched at s (see tone.h), ending on a word boundary,
 * or 0. */
static size_t
phrase_at(const char *s, const char *phrase)
{
	const char *p = s, *ph = phrase;

	while (*ph) {
		int word_n = ph[0] == 'N' && (ph == phrase || separator(ph - 1)) &&
		             !is_alnum((unsigned char)ph[1]);
		size_t k;

		if (separator(ph)) {
			if (!separator(p))
				return 0;
			while ((k = separator(p)) != 0)
				p += k;
			while ((k = separator(ph)) != 0)
				ph += k;
		} else if (word_n && *p >= '0' && *p <= '9') {
			while (*p >= '0' && *p <= '9')
				p++;
			ph++;
		} else if ((k = apostrophe(ph)) != 0) {
			size_t j = apostrophe(p);

			if (!j)
				return 0;
			ph += k, p += j;
		} else if (lower_c((unsigned char)*ph) == lower_c((unsigned char)*p)) {
			ph++, p++;
		} else {
			return 0;
		}
	}
	if (p > s && is_alnum((unsigned char)p[-1]) && is_alnum((unsigned char)*p))
		return 0;
	return (size_t)(p - s);
}

static int
same_phrase(const char *a, const char *b)
{
	size_t n = phrase_at(a, b);

	return n && a[n] == '\0';
}

/* Take out the phrases equal to ph (any spelling variant). */
static void
remove_phrase(gr_tone *t, const char *ph)
{
	size_t o = 0;

	for (size_t i = 0; i < t->phrases.n; i++) {
		if (same_phrase(t->phrases.v[i], ph)) {
			free(t->phrases.v[i]);
			free(t->where.v[i]);
			continue;
		}
		t->phrases.v[o] = t->phrases.v[i];
		t->where.v[o++] = t->where.v[i];
	}
	t->phrases.n = t->where.n = o;
}

static void
add_phrase(gr_tone *t, const char *ph, const char *where)
{
	for (size_t i = 0; i < t->phrases.n; i++)
		if (same_phrase(t->phrases.v[i], ph))
			return;
	gr_strv_push(&t->phrases, ph);
	gr_strv_push(&t->where, where);
}

/* "lists NAME...": the plain phrases of those phrase lists. */
static void
add_lists(gr_tone *t, const gr_rules *r, gr_conf *c, gr_diags *d,
          const gr_toks *tk)
{
	char where[1100];

	for (size_t i = 1; i < tk->n; i++) {
		const gr_strv *l;

		gr_tok_strip_comma(&tk->v[i]);
		l = gr_rules_list_plain(r, tk->v[i].text);
		if (!l) {
			gr_conf_error(c, d, tk->v[i].col, "no phrase list '%s' in "
			              "the rules", tk->v[i].text);
			continue;
		}
		snprintf(where, sizeof where, "%s:%u (list %s)", gr_conf_path(c),
		         gr_conf_lineno(c), tk->v[i].text);
		for (size_t k = 0; k < l->n; k++)
			add_phrase(t, l->v[k], where);
	}
}

/* Read one layer: one phrase a line; "allow-caps WORD...", "lists
 * NAME...", "remove PHRASE". */
static void
load_layer(gr_tone *t, const gr_rules *r, const char *path, gr_diags *d)
{
	gr_conf *c;
	gr_error err;
	const char *line;
	char where[1100];

	if (gr_conf_open(path, &c, &err) != GR_OK) {
		gr_diag_add(d, path, 0, 0, "%s", err.msg);
		return;
	}
	while (gr_conf_next(c, &line, NULL) == GR_OK) {
		int kw = 0;

		if (strncmp(line, "allow-caps", 10) == 0 &&
		    (line[10] == ' ' || line[10] == '\t'))
			kw = 1;
		else if (strncmp(line, "lists", 5) == 0 &&
		         (line[5] == ' ' || line[5] == '\t'))
			kw = 2;
		else if (strncmp(line, "remove", 6) == 0 &&
		         (line[6] == ' ' || line[6] == '\t'))
			kw = 3;
		if (kw) {
			gr_toks tk = { 0 };

			if (gr_conf_split(c, line, &tk, d) == GR_OK) {
				if (kw == 1)
					for (size_t i = 1; i < tk.n; i++)
						gr_strv_push(&t->allow, tk.v[i].text);
				else if (kw == 2)
					add_lists(t, r, c, d, &tk);
				else {
					char buf[512] = "";
					size_t o = 0;

					for (size_t i = 1; i < tk.n; i++)
						o += (size_t)snprintf(buf + o,
						        o < sizeof buf ? sizeof buf - o
						        : 0, "%s%s", i > 1 ? " " : "",
						        tk.v[i].text);
					if (o < sizeof buf && *buf)
						remove_phrase(t, buf);
				}
			}
			gr_toks_free(&tk);
			continue;
		}
		snprintf(where, sizeof where, "%s:%u", path, gr_conf_lineno(c));
		add_phrase(t, line, where);
	}
	gr_conf_close(c);
}

gr_status
gr_tone_load(const gr_rules *r, gr_tone **out, gr_diags *d)
{
	const char *layers[TONE_MAX_LAYERS];
	size_t n = gr_rules_file_layers(r, "tone", layers, TONE_MAX_LAYERS);
	gr_tone *t = calloc(1, sizeof *t);

	*out = NULL;
	if (!t)
		return GR_E_NOMEM;
	for (size_t i = 0; i < n; i++)
		load_layer(t, r, layers[i], d);
	*out = t;
	return GR_OK;
}

/* Check one line of a template (or a summary) starting at column col0. */
static void
lint_line(const gr_tone *tn, const char *file, unsigned lineno,
          unsigned col0, const char *ln, gr_diags *d)
{
	int in_ph = 0;

	for (const char *p = ln; *p; p++) {
		int start = p == ln || !is_alnum((unsigned char)p[-1]);
		unsigned col = col0 + (unsigned)(p - ln);

		if (p[0] == '{' && p[1] == '{')
			in_ph = 1;
		if (in_ph) {
			if (p[0] == '}' && p[1] == '}')
				in_ph = 0, p++;
			continue;
		}
		if (p[0] == '!' && p[1] == '!' && (p == ln || p[-1] != '!'))
			gr_diag_add(d, file, lineno, col,
			            "tone: \"!!\" sounds pushy; one '!' at most");
		for (size_t i = 0; start && i < tn->phrases.n; i++)
			if (phrase_at(p, tn->phrases.v[i]))
				gr_diag_add(d, file, lineno, col,
				            "tone: pushy phrase \"%s\" (listed at %s)",
				            tn->phrases.v[i], tn->where.v[i]);
		if (start && *p >= 'A' && *p <= 'Z') {
			size_t n = 0;
			char word[64];

			while (p[n] >= 'A' && p[n] <= 'Z')
				n++;
			if (n >= 3 && !is_alnum((unsigned char)p[n]) &&
			    n < sizeof word) {
				memcpy(word, p, n);
				word[n] = '\0';
				if (!gr_strv_contains_ci(&tn->allow, word))
					gr_diag_add(d, file, lineno, col,
					            "tone: ALL-CAPS word \"%s\" reads as "
					            "shouting (allow it with 'allow-caps "
					            "%s' in tone)", word, word);
			}
		}
	}
}

void
gr_tone_check_text(const gr_tone *t, const char *file, unsigned line,
                   unsigned col, const char *text, gr_diags *d)
{
	lint_line(t, file, line, col, text ? text : "", d);
}

void
gr_tone_check_file(const gr_tone *t, const char *path, gr_diags *d)
{
	char *data, *save = NULL;
	gr_error err;
	unsigned lineno = 0;

	if (gr_read_file(path, TONE_MAX_FILE, &data, NULL, &err) != GR_OK)
		return;         /* gr_template_load reported it */
	for (char *p = data; p; p = save) {
		save = strchr(p, '\n');
		if (save)
			*save++ = '\0';
		lineno++;
		lint_line(t, path, lineno, 1, p, d);
	}
	free(data);
}
