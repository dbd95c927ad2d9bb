/* SPDX-License-Identifier: MIT */
/*
 * tone.c - the tone lint of draft templates (tone.h): phrases of the
 * "tone" file, ALL-CAPS words and "!!".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gravity/tone.h"

#define TONE_MAX_FILE (1u << 20)

typedef struct tone {
	gr_strv phrases;
	gr_strv where;          /* "FILE:LINE" of each phrase */
	gr_strv allow;          /* ALL-CAPS words allowed */
} tone;

static void
tone_free(tone *tn)
{
	gr_strv_free(&tn->phrases);
	gr_strv_free(&tn->where);
	gr_strv_free(&tn->allow);
}

/* Read the tone file: one phrase a line; "allow-caps WORD..." lines. */
static void
tone_load(tone *tn, const char *path, gr_diags *d)
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
		if (strncmp(line, "allow-caps", 10) == 0 &&
		    (line[10] == ' ' || line[10] == '\t')) {
			gr_toks t = { 0 };

			if (gr_conf_split(c, line, &t, d) == GR_OK)
				for (size_t i = 1; i < t.n; i++)
					gr_strv_push(&tn->allow, t.v[i].text);
			gr_toks_free(&t);
			continue;
		}
		snprintf(where, sizeof where, "%s:%u", path, gr_conf_lineno(c));
		gr_strv_push(&tn->phrases, line);
		gr_strv_push(&tn->where, where);
	}
	gr_conf_close(c);
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

/* Length of phrase matched at s (ASCII case-insensitive, ending on a word
 * boundary; a blank matches a run of blanks; the word "N" matches a number;
 * an apostrophe matches U+2019 too), or 0. */
static size_t
phrase_at(const char *s, const char *phrase)
{
	const char *p = s, *ph = phrase;

	while (*ph) {
		int word_n = ph[0] == 'N' && (ph == phrase || ph[-1] == ' ') &&
		             !is_alnum((unsigned char)ph[1]);

		if (*ph == ' ') {
			if (*p != ' ' && *p != '\t')
				return 0;
			while (*p == ' ' || *p == '\t')
				p++;
			while (*ph == ' ')
				ph++;
		} else if (word_n && *p >= '0' && *p <= '9') {
			while (*p >= '0' && *p <= '9')
				p++;
			ph++;
		} else if (*ph == '\'' && strncmp(p, "\xe2\x80\x99", 3) == 0) {
			ph++, p += 3;
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

/* Check one line of a template. */
static void
lint_line(const tone *tn, const char *file, unsigned lineno, const char *ln,
          gr_diags *d)
{
	int in_ph = 0;

	for (const char *p = ln; *p; p++) {
		int start = p == ln || !is_alnum((unsigned char)p[-1]);

		if (p[0] == '{' && p[1] == '{')
			in_ph = 1;
		if (in_ph) {
			if (p[0] == '}' && p[1] == '}')
				in_ph = 0, p++;
			continue;
		}
		if (p[0] == '!' && p[1] == '!' && (p == ln || p[-1] != '!'))
			gr_diag_add(d, file, lineno, (unsigned)(p - ln) + 1,
			            "tone: \"!!\" sounds pushy; one '!' at most");
		for (size_t i = 0; start && i < tn->phrases.n; i++)
			if (phrase_at(p, tn->phrases.v[i]))
				gr_diag_add(d, file, lineno, (unsigned)(p - ln) + 1,
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
					gr_diag_add(d, file, lineno,
					            (unsigned)(p - ln) + 1, "tone: ALL-CAPS "
					            "word \"%s\" reads as shouting (allow "
					            "it with 'allow-caps %s' in tone)",
					            word, word);
			}
		}
	}
}

static void
lint_file(const tone *tn, const char *path, gr_diags *d)
{
	char *data, *line, *save = NULL;
	gr_error err;
	unsigned lineno = 0;
	char *p;

	if (gr_read_file(path, TONE_MAX_FILE, &data, NULL, &err) != GR_OK)
		return;         /* gr_template_load reported it */
	for (p = data; p; p = save) {
		save = strchr(p, '\n');
		if (save)
			*save++ = '\0';
		line = p;
		lineno++;
		lint_line(tn, path, lineno, line, d);
	}
	free(data);
}

void
gr_tone_lint(const char *tone_path, const gr_strv *templates, gr_diags *d)
{
	tone tn = { { 0 }, { 0 }, { 0 } };

	if (tone_path)
		tone_load(&tn, tone_path, d);
	for (size_t i = 0; i < templates->n; i++)
		lint_file(&tn, templates->v[i], d);
	tone_free(&tn);
}

