/* SPDX-License-Identifier: MIT */
/*
 * phrase.c - plain phrases of the rule files as PCRE2 pattern sources
 * (gravity-rules(5), "Phrases"), for pattern.h: one phrase alone, or a
 * whole list of them as one pattern shaped like a trie.
 *
 * A phrase matches caselessly on word boundaries; a run of blanks matches
 * any run of white space, an apostrophe matches ' and its typographic
 * twins, a hyphen is optional (or white space).  A list of fifty phrases
 * written as fifty alternatives, each with its own boundary assertions,
 * makes PCRE2 try fifty look-behinds at every letter of a message; the
 * trie form asserts the boundary once and shares common prefixes, so a
 * position is given up after one comparison per distinct first letter.
 * Both forms match exactly the same strings.
 */
#include <stdlib.h>
#include <string.h>

#include "gravity/buf.h"
#include "gravity/pattern.h"

#define GR_PHRASE_MAX_PATTERN (4u << 20)

/* The next unit of phrase p (a regex atom) into u; returns the bytes of p
 * it stands for, 0 at the end.  ASCII letters are lowercased: the patterns
 * are compiled caseless, so 'I' and 'i' are one unit. */
static size_t
phrase_unit(const unsigned char *p, char u[16])
{
	size_t n = 0;

	if (!*p)
		return 0;
	if (*p == ' ' || *p == '\t') {
		while (p[n] == ' ' || p[n] == '\t')
			n++;
		strcpy(u, "\\s+");
		return n;
	}
	if (*p == '\'' || (p[0] == 0xe2 && p[1] == 0x80 &&
	                   (p[2] == 0x98 || p[2] == 0x99))) {
		strcpy(u, "['\xe2\x80\x98\xe2\x80\x99]");
		return *p == '\'' ? 1 : 3;
	}
	if (*p == '-') {
		strcpy(u, "[-\\s]?");
		return 1;
	}
	if (*p >= 'A' && *p <= 'Z') {
		u[0] = (char)(*p - 'A' + 'a');
		u[1] = '\0';
		return 1;
	}
	if (*p < 0x80 && !((*p >= 'a' && *p <= 'z') ||
	                   (*p >= '0' && *p <= '9'))) {
		u[0] = '\\';
		u[1] = (char)*p;
		u[2] = '\0';
		return 1;
	}
	/* A character of UTF-8, whole: a trie must not branch inside one. */
	u[n++] = (char)*p;
	while (n < 4 && *p >= 0xc0 && (p[n] & 0xc0) == 0x80) {
		u[n] = (char)p[n];
		n++;
	}
	u[n] = '\0';
	return n;
}

/* Append s unless an earlier append failed (*st keeps the first error). */
static void
add(gr_buf *b, const char *s, gr_status *st)
{
	if (*st == GR_OK)
		*st = gr_buf_addstr(b, s);
}

char *
gr_phrase_pattern(const char *phrase)
{
	gr_buf b;
	const unsigned char *p = (const unsigned char *)phrase;
	char u[16];
	size_t n;
	gr_status st = GR_OK;

	gr_buf_init(&b, GR_PHRASE_MAX_PATTERN);
	add(&b, "(?<!\\w)(?:", &st);
	while ((n = phrase_unit(p, u)) > 0) {
		add(&b, u, &st);
		p += n;
	}
	add(&b, ")(?!\\w)", &st);
	if (st != GR_OK) {
		gr_buf_free(&b);
		return NULL;
	}
	return gr_buf_steal(&b);
}

/* --- the trie ----------------------------------------------------------- */

typedef struct node {
	char unit[16];
	int end;                /* a phrase ends here */
	struct node *kids;      /* owned array, in first-seen order */
	size_t nkids;
} node;

static void
node_free(node *t)
{
	for (size_t i = 0; i < t->nkids; i++)
		node_free(&t->kids[i]);
	free(t->kids);
}

static node *
node_child(node *t, const char *unit)
{
	node *nv;

	for (size_t i = 0; i < t->nkids; i++)
		if (strcmp(t->kids[i].unit, unit) == 0)
			return &t->kids[i];
	nv = realloc(t->kids, (t->nkids + 1) * sizeof *nv);
	if (!nv)
		return NULL;
	t->kids = nv;
	nv = &t->kids[t->nkids++];
	memset(nv, 0, sizeof *nv);
	strcpy(nv->unit, unit);
	return nv;
}

static gr_status
node_add(node *t, const char *phrase)
{
	const unsigned char *p = (const unsigned char *)phrase;
	char u[16];
	size_t n;

	while ((n = phrase_unit(p, u)) > 0) {
		if (!(t = node_child(t, u)))
			return GR_E_NOMEM;
		p += n;
	}
	t->end = 1;
	return GR_OK;
}

/* Longer phrases first: the excerpt shows the most that matched. */
static void
node_emit(gr_buf *b, const node *t, gr_status *st)
{
	int group = t->nkids > 1 || (t->nkids == 1 && t->end);

	if (group)
		add(b, "(?:", st);
	for (size_t i = 0; i < t->nkids; i++) {
		if (i)
			add(b, "|", st);
		add(b, t->kids[i].unit, st);
		node_emit(b, &t->kids[i], st);
	}
	if (group)
		add(b, t->end ? "|)" : ")", st);
}

char *
gr_phrase_union(const gr_strv *phrases)
{
	node root;
	gr_buf b;
	gr_status st = GR_OK;

	memset(&root, 0, sizeof root);
	for (size_t i = 0; i < phrases->n && st == GR_OK; i++)
		if (phrases->v[i][0])
			st = node_add(&root, phrases->v[i]);
	if (st != GR_OK || root.nkids == 0) {
		node_free(&root);
		return NULL;
	}
	gr_buf_init(&b, GR_PHRASE_MAX_PATTERN);
	add(&b, "(?<!\\w)(?:", &st);
	node_emit(&b, &root, &st);
	add(&b, ")(?!\\w)", &st);
	node_free(&root);
	if (st != GR_OK) {
		gr_buf_free(&b);
		return NULL;
	}
	return gr_buf_steal(&b);
}
