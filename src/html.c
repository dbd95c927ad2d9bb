/* SPDX-License-Identifier: MIT */
/*
 * html.c - HTML to plain text for the message module (html.h): the
 * elements and entities of the HTML Living Standard that mail uses
 * (the common subset), with quote levels kept as "> ".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gravity/buf.h"
#include "gravity/util.h"
#include "html.h"

struct h2t {
	gr_buf out;
	int bq;                 /* blockquote depth */
	int pre;                /* inside <pre> */
	int nl;                 /* line breaks owed before the next text */
	int sp;                 /* a space owed before the next text */
	int full;               /* the bound was reached */
};

static const struct {
	const char *name;
	uint32_t cp;
} entities[] = {
	{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
	{ "apos", '\'' }, { "nbsp", 0xa0 }, { "copy", 0xa9 },
	{ "reg", 0xae }, { "trade", 0x2122 }, { "hellip", 0x2026 },
	{ "mdash", 0x2014 }, { "ndash", 0x2013 }, { "lsquo", 0x2018 },
	{ "rsquo", 0x2019 }, { "ldquo", 0x201c }, { "rdquo", 0x201d },
	{ "sbquo", 0x201a }, { "bdquo", 0x201e }, { "bull", 0x2022 },
	{ "middot", 0xb7 }, { "euro", 0x20ac }, { "pound", 0xa3 },
	{ "yen", 0xa5 }, { "cent", 0xa2 }, { "sect", 0xa7 }, { "deg", 0xb0 },
	{ "laquo", 0xab }, { "raquo", 0xbb }, { "times", 0xd7 },
	{ "divide", 0xf7 }, { "shy", 0xad }, { "zwnj", 0x200c },
	{ "zwj", 0x200d }, { "thinsp", 0x2009 }, { "ensp", 0x2002 },
	{ "emsp", 0x2003 }, { "iexcl", 0xa1 }, { "iquest", 0xbf },
	{ "aacute", 0xe1 }, { "agrave", 0xe0 }, { "acirc", 0xe2 },
	{ "auml", 0xe4 }, { "atilde", 0xe3 }, { "aring", 0xe5 },
	{ "eacute", 0xe9 }, { "egrave", 0xe8 }, { "ecirc", 0xea },
	{ "euml", 0xeb }, { "iacute", 0xed }, { "igrave", 0xec },
	{ "icirc", 0xee }, { "iuml", 0xef }, { "oacute", 0xf3 },
	{ "ograve", 0xf2 }, { "ocirc", 0xf4 }, { "ouml", 0xf6 },
	{ "otilde", 0xf5 }, { "oslash", 0xf8 }, { "uacute", 0xfa },
	{ "ugrave", 0xf9 }, { "ucirc", 0xfb }, { "uuml", 0xfc },
	{ "ntilde", 0xf1 }, { "ccedil", 0xe7 }, { "szlig", 0xdf },
	{ "Aacute", 0xc1 }, { "Agrave", 0xc0 }, { "Auml", 0xc4 },
	{ "Eacute", 0xc9 }, { "Egrave", 0xc8 }, { "Ouml", 0xd6 },
	{ "Uuml", 0xdc }, { "Ntilde", 0xd1 }, { "Ccedil", 0xc7 },
	{ "aelig", 0xe6 }, { "AElig", 0xc6 },
};

static void
h2t_add(struct h2t *h, const char *p, size_t n)
{
	if (h->full)
		return;
	if (gr_buf_add(&h->out, p, n) != GR_OK)
		h->full = 1;
}

static void
h2t_prefix(struct h2t *h)
{
	for (int i = 0; i < h->bq && i < 16; i++)
		h2t_add(h, "> ", 2);
}

/* Emit owed breaks and spaces before a piece of text. */
static void
h2t_flush(struct h2t *h)
{
	int bol = h->out.len == 0 || h->out.data[h->out.len - 1] == '\n';

	if (h->nl && h->out.len) {
		for (int i = 0; i < h->nl && i < 2; i++)
			h2t_add(h, "\n", 1);
		bol = 1;
	}
	h->nl = 0;
	if (bol) {
		h2t_prefix(h);
	} else if (h->sp) {
		h2t_add(h, " ", 1);
	}
	h->sp = 0;
}

static void
h2t_text(struct h2t *h, const char *p, size_t n)
{
	h2t_flush(h);
	h2t_add(h, p, n);
}

static void
h2t_char(struct h2t *h, char c)
{
	if (c == '\r')
		return;
	if (h->pre) {
		if (c == '\n') {
			h2t_flush(h);
			h->nl = 1;
			return;
		}
		h2t_text(h, &c, 1);
		return;
	}
	if (c == ' ' || c == '\t' || c == '\n' || c == '\f') {
		h->sp = 1;
		return;
	}
	h2t_text(h, &c, 1);
}

static size_t
h2t_entity(struct h2t *h, const char *s, size_t n)
{
	char name[12], u[4];
	size_t i = 1, k = 0;
	uint32_t cp = 0;

	while (i < n && k < sizeof name - 1 && s[i] != ';' &&
	       (s[i] == '#' || (s[i] >= '0' && s[i] <= '9') ||
	        (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
		name[k++] = s[i++];
	name[k] = '\0';
	if (k == 0)
		goto literal;
	if (name[0] == '#') {
		char *end;
		unsigned long v;
		if (name[1] == 'x' || name[1] == 'X')
			v = strtoul(name + 2, &end, 16);
		else
			v = strtoul(name + 1, &end, 10);
		if (*end || end == name + 1 || v == 0 || v > 0x10ffff ||
		    (v >= 0xd800 && v <= 0xdfff))
			goto literal;
		cp = (uint32_t)v;
	} else {
		size_t e;
		for (e = 0; e < sizeof entities / sizeof entities[0]; e++)
			if (strcmp(entities[e].name, name) == 0)
				break;
		if (e == sizeof entities / sizeof entities[0])
			goto literal;
		cp = entities[e].cp;
	}
	if (i < n && s[i] == ';')
		i++;
	if (cp == 0xa0)
		h2t_char(h, ' ');
	else
		h2t_text(h, u, gr_utf8_put(u, cp));
	return i;
literal:
	h2t_text(h, "&", 1);
	return 1;
}

static int
tag_in(const char *name, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(name, *set) == 0)
			return 1;
	return 0;
}

static const char *const block_tags[] = {
	"p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table",
	"ul", "ol", "pre", "hr", "dt", "dd", "dl", "section", "article",
	"header", "footer", "center", "address", "form", "nav", "aside",
	"main", "figure", "fieldset", "caption", "tbody", "thead", "tfoot",
	"body", "html", "blockquote", NULL
};
static const char *const skip_tags[] = {
	"script", "style", "head", "title", "xml", NULL
};

/* Offset of "</name" (ASCII case-insensitive) at or after s, or n. */
static size_t
find_close(const char *s, size_t n, const char *name)
{
	size_t nl = strlen(name), i;

	for (i = 0; i + nl + 2 <= n; i++)
		if (s[i] == '<' && s[i + 1] == '/' &&
		    gr_strncaseeq(s + i + 2, name, nl))
			return i;
	return n;
}

static void
h2t_tag(struct h2t *h, const char *name, int closing)
{
	if (strcmp(name, "br") == 0) {
		h2t_flush(h);
		if (h->nl < 2)
			h->nl++;
		if (!h->out.len)
			h2t_add(h, "\n", 1);
		return;
	}
	if (strcmp(name, "td") == 0 || strcmp(name, "th") == 0) {
		h->sp = 1;
		return;
	}
	if (!tag_in(name, block_tags))
		return;
	if (strcmp(name, "blockquote") == 0) {
		h->nl = 2;
		if (closing && h->bq > 0)
			h->bq--;
		else if (!closing)
			h->bq++;
		return;
	}
	if (strcmp(name, "pre") == 0)
		h->pre = !closing;
	if (strcmp(name, "li") == 0 && !closing) {
		h->nl = h->nl ? h->nl : 1;
		h2t_text(h, "* ", 2);
		return;
	}
	if (name[0] == 'p' && !name[1] && h->nl < 2)
		h->nl = 2;
	else if (h->nl < 1)
		h->nl = 1;
}

/* Handle the markup at s[0] == '<'; returns bytes consumed. */
static size_t
h2t_markup(struct h2t *h, const char *s, size_t n)
{
	char name[16];
	size_t i = 1, k = 0;
	int closing = 0;
	char q = 0;

	if (n >= 4 && memcmp(s, "<!--", 4) == 0) {
		const char *e = memmem(s + 4, n - 4, "-->", 3);
		return e ? (size_t)(e - s) + 3 : n;
	}
	if (i < n && s[i] == '/')
		closing = 1, i++;
	if (i >= n || !((s[i] >= 'a' && s[i] <= 'z') ||
	    (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '!' || s[i] == '?')) {
		h2t_text(h, "<", 1);
		return 1;
	}
	while (i < n && k < sizeof name - 1 &&
	       ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
	        (s[i] >= '0' && s[i] <= '9')))
		name[k++] = (char)(s[i++] | 0x20);
	name[k] = '\0';
	for (; i < n; i++) {
		if (q) {
			if (s[i] == q)
				q = 0;
		} else if (s[i] == '"' || s[i] == '\'') {
			q = s[i];
		} else if (s[i] == '>') {
			break;
		}
	}
	if (i < n)
		i++;
	if (!closing && tag_in(name, skip_tags)) {
		size_t c = find_close(s + i, n - i, name);
		if (i + c < n || strcmp(name, "script") == 0 ||
		    strcmp(name, "style") == 0) {
			i += c;
			return i;
		}
	}
	h2t_tag(h, name, closing);
	return i;
}

char *
gr_html_to_text(const char *html, size_t len, size_t max, int *truncated)
{
	struct h2t h;
	size_t i = 0;

	memset(&h, 0, sizeof h);
	gr_buf_init(&h.out, max);
	while (i < len && !h.full) {
		if (html[i] == '<')
			i += h2t_markup(&h, html + i, len - i);
		else if (html[i] == '&')
			i += h2t_entity(&h, html + i, len - i);
		else
			h2t_char(&h, html[i++]);
	}
	if (truncated)
		*truncated = h.full;
	if (h.full && h.out.data)
		h.out.len = gr_utf8_cut(h.out.data, h.out.len);
	while (h.out.len && (h.out.data[h.out.len - 1] == ' ' ||
	       h.out.data[h.out.len - 1] == '\n'))
		h.out.len--;
	if (h.out.data)
		h.out.data[h.out.len] = '\0';
	return gr_buf_steal(&h.out);
}
