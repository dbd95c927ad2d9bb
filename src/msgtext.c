/* SPDX-License-Identifier: MIT */
/*
 * msgtext.c - text helpers of the message module: UTF-8 repair (RFC 3629),
 * windows-1252 decoding, HTML to text (HTML Living Standard entities, the
 * common subset), and the split of reply text into new part, quoted reply
 * (RFC 3676 section 4.5 '>' quotes, client attribution lines) and signature
 * (RFC 3676 section 4.3 "-- " delimiter, mobile and sign-off blocks).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gravity/buf.h"
#include "gravity/util.h"
#include "msgtext.h"

#define TEXT_MAX        ((size_t)1 << 30)

/* --- UTF-8 ------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t k, i;

	if (s[0] < 0x80)
		return s[0] ? 1 : 0;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < k)
		return 0;
	for (i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return k;
}

char *
gr_utf8_sanitize(const char *s, size_t len, size_t *outlen)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, o = 0, k;
	char *out;

	if (len > (SIZE_MAX - 1) / 3)
		return NULL;
	out = malloc(len * 3 + 1);
	if (!out)
		return NULL;
	while (i < len) {
		k = utf8_seq(u + i, len - i);
		if (k) {
			memcpy(out + o, u + i, k);
			o += k;
			i += k;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
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
		if (utf8_seq((const unsigned char *)s + i - 1, n - i + 1) ==
		    n - i + 1)
			return n;
		return i - 1;
	}
	return n;
}

static size_t
put_utf8(char *o, uint32_t cp)
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

static const uint16_t cp1252_hi[32] = {
	0x20ac, 0xfffd, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0xfffd, 0x017d, 0xfffd,
	0xfffd, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0xfffd, 0x017e, 0x0178,
};

char *
gr_cp1252_to_utf8(const char *s, size_t len, size_t *outlen)
{
	size_t i, o = 0;
	unsigned char c;
	uint32_t cp;
	char *out;

	if (len > (SIZE_MAX - 1) / 3)
		return NULL;
	out = malloc(len * 3 + 1);
	if (!out)
		return NULL;
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == 0)
			cp = 0xfffd;
		else if (c >= 0x80 && c < 0xa0)
			cp = cp1252_hi[c - 0x80];
		else
			cp = c;
		o += put_utf8(out + o, cp);
	}
	out[o] = '\0';
	if (outlen)
		*outlen = o;
	return out;
}

/* --- HTML to text ------------------------------------------------------ */

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
		h2t_text(h, u, put_utf8(u, cp));
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

/* --- quote and signature split ------------------------------------------ */

struct line {
	const char *s;          /* start of the line */
	size_t n;               /* length without the line break */
};

enum { L_NEW, L_QUOTED, L_SIG };

struct split {
	struct line *l;
	size_t n;
	unsigned char *kind;
};

/* Trimmed view of a line: skip blanks, '*' and '_' emphasis around it. */
static struct line
trim_line(struct line l)
{
	while (l.n && (*l.s == ' ' || *l.s == '\t' || *l.s == '*'))
		l.s++, l.n--;
	while (l.n && (l.s[l.n - 1] == ' ' || l.s[l.n - 1] == '\t' ||
	       l.s[l.n - 1] == '\r' || l.s[l.n - 1] == '*'))
		l.n--;
	return l;
}

static int
line_blank(struct line l)
{
	return trim_line(l).n == 0;
}

static int
starts_ci(struct line l, const char *p)
{
	size_t k = strlen(p);

	return l.n >= k && gr_strncaseeq(l.s, p, k);
}

static int
ends_ci(struct line l, const char *p)
{
	size_t k = strlen(p);

	return l.n >= k && gr_strncaseeq(l.s + l.n - k, p, k);
}

/* Case-insensitive search for p inside l. */
static int
contains_ci(struct line l, const char *p)
{
	size_t k = strlen(p), i;

	for (i = 0; i + k <= l.n; i++)
		if (gr_strncaseeq(l.s + i, p, k))
			return 1;
	return 0;
}

static const char *const on_prefixes[] = {
	"On ", "Am ", "Le ", "El ", "Il ", "Op ", "Em ", "W dniu ", "Den ",
	"Dne ", "Pada ", NULL
};
static const char *const wrote_verbs[] = {
	" wrote", " schrieb", " a \xc3\xa9" "crit", " escribi\xc3\xb3",
	" ha scritto", " schreef", " escreveu", " pisze", " skrev",
	" napsal", " kirjoitti", " napisa\xc5\x82", " menulis", NULL
};

static int
is_attribution(struct line l)
{
	const char *const *p;

	while (l.n && (*l.s == '-' || *l.s == ' '))
		l.s++, l.n--;
	if (l.n > 400 || !ends_ci(l, ":"))
		return 0;
	for (p = on_prefixes; *p; p++)
		if (starts_ci(l, *p))
			break;
	if (!*p)
		return 0;
	for (p = wrote_verbs; *p; p++)
		if (contains_ci(l, *p))
			return 1;
	return 0;
}

/* "On <date>, <name> wrote:" on one line or wrapped over two or three:
 * the number of lines it takes, 0 if none. */
static size_t
on_wrote(const struct split *sp, size_t i)
{
	struct line a = trim_line(sp->l[i]), b, j;
	char tmp[640];
	size_t k, len;

	if (is_attribution(a))
		return 1;
	if (a.n > 300 || a.n == 0)
		return 0;
	memcpy(tmp, a.s, a.n);
	len = a.n;
	for (k = 1; k < 3 && i + k < sp->n; k++) {
		b = trim_line(sp->l[i + k]);
		/* a line that is an attribution by itself starts its own */
		if (b.n == 0 || b.n > 200 || len + 1 + b.n >= sizeof tmp ||
		    is_attribution(b))
			return 0;
		tmp[len++] = ' ';
		memcpy(tmp + len, b.s, b.n);
		len += b.n;
		j.s = tmp;
		j.n = len;
		if (is_attribution(j))
			return k + 1;
	}
	return 0;
}

static int
is_quote_line(struct line l);

/* Index of the next non-blank line after i, or sp->n. */
static size_t
next_nonblank(const struct split *sp, size_t i)
{
	for (i++; i < sp->n; i++)
		if (trim_line(sp->l[i]).n)
			break;
	return i;
}

static int
looks_dated(struct line l)
{
	size_t digits = 0;

	for (size_t i = 0; i < l.n; i++)
		if (l.s[i] >= '0' && l.s[i] <= '9')
			digits++;
	return digits >= 4 || memchr(l.s, '@', l.n) != NULL;
}

/* Any client's attribution: one or two short lines ending in ':', with a
 * date or an address, right before a '>' quote (e.g. Android's
 * "02.04.2012 14:20 <name> <addr> wrote in Russian:").  Returns the number
 * of attribution lines, 0 if none. */
static size_t
generic_attribution(const struct split *sp, size_t i)
{
	struct line a = trim_line(sp->l[i]), b;
	size_t j;

	if (a.n == 0 || a.n > 300)
		return 0;
	if (ends_ci(a, ":")) {
		j = next_nonblank(sp, i);
		if (j < sp->n && is_quote_line(sp->l[j]) && looks_dated(a))
			return 1;
		return 0;
	}
	if (i + 1 >= sp->n)
		return 0;
	b = trim_line(sp->l[i + 1]);
	if (b.n == 0 || b.n > 200 || !ends_ci(b, ":"))
		return 0;
	j = next_nonblank(sp, i + 1);
	if (j < sp->n && is_quote_line(sp->l[j]) && looks_dated(a))
		return 2;
	return 0;
}

/* The text of a "----- Xxx -----" line without its dashes, or n == 0. */
static struct line
dashed_title(struct line l)
{
	size_t lead = 0;

	l = trim_line(l);
	while (l.n && (*l.s == '-' || *l.s == '_' || *l.s == ' '))
		l.s++, l.n--, lead++;
	if (lead < 2) {
		l.n = 0;
		return l;
	}
	while (l.n && (l.s[l.n - 1] == '-' || l.s[l.n - 1] == '_' ||
	       l.s[l.n - 1] == ' '))
		l.n--;
	return l;
}

static int
title_is(struct line t, const char *const *set)
{
	for (; *set; set++)
		if (t.n == strlen(*set) && gr_strncaseeq(t.s, *set, t.n))
			return 1;
	return 0;
}

static const char *const orig_titles[] = {
	"Original Message", "Original Mail", "Urspr\xc3\xbcngliche Nachricht",
	"Message d'origine", "Mensaje original", "Messaggio originale",
	"Oorspronkelijk bericht", "Mensagem original", NULL
};
static const char *const fwd_titles[] = {
	"Forwarded message", "Forwarded Message", "Weitergeleitete Nachricht",
	"Message transf\xc3\xa9r\xc3\xa9", "Mensaje reenviado",
	"Messaggio inoltrato", "Doorgestuurd bericht", NULL
};

static const char *const hdr_from[] = {
	"From:", "De:", "De :", "Von:", "Van:", "Da:", "Fra:", "Od:", NULL
};
static const char *const hdr_sent[] = {
	"Sent:", "Date:", "Gesendet:", "Datum:", "Envoy\xc3\xa9 :",
	"Envoy\xc3\xa9:", "Enviado:", "Inviato:", "Verzonden:", "Sendt:", NULL
};
static const char *const hdr_subj[] = {
	"Subject:", "To:", "An:", "Betreff:", "Objet :", "Objet:", "Asunto:",
	"Para:", "Oggetto:", "Onderwerp:", "Aan:", "Emne:", "\xc3\x80 :", NULL
};

static int
starts_any(struct line l, const char *const *set)
{
	for (; *set; set++)
		if (starts_ci(l, *set))
			return 1;
	return 0;
}

/* An Outlook-style "From: / Sent: / To: / Subject:" header block. */
static int
outlook_block(const struct split *sp, size_t i)
{
	int sent = 0, subj = 0;
	size_t j;

	if (!starts_any(trim_line(sp->l[i]), hdr_from))
		return 0;
	for (j = i + 1; j < sp->n && j <= i + 6; j++) {
		struct line t = trim_line(sp->l[j]);
		if (starts_any(t, hdr_sent))
			sent = 1;
		else if (starts_any(t, hdr_subj))
			subj = 1;
	}
	return sent && subj;
}

static int
is_quote_line(struct line l)
{
	while (l.n && (*l.s == ' ' || *l.s == '\t'))
		l.s++, l.n--;
	return l.n && *l.s == '>';
}

/* Where the quoted part starts.  TAIL: every line from head on is quoted.
 * ATTR: lines head..head+nattr-1 are an attribution; after it only '>'
 * lines are quoted, so a bottom-posted or interleaved answer stays new. */
enum { Q_NONE, Q_TAIL, Q_ATTR };

static int
find_quote_head(const struct split *sp, size_t *head, size_t *nattr,
                int *forward)
{
	size_t i, k;

	for (i = 0; i < sp->n; i++) {
		struct line t = trim_line(sp->l[i]);
		*head = i;
		if (t.n == 0 || is_quote_line(sp->l[i]))
			continue;
		if (title_is(dashed_title(t), fwd_titles) ||
		    (t.n == 24 && gr_strncaseeq(t.s, "Begin forwarded message:",
		                                24))) {
			*forward = 1;
			return Q_TAIL;
		}
		if (title_is(dashed_title(t), orig_titles))
			return Q_TAIL;
		if ((k = on_wrote(sp, i)) != 0 ||
		    (k = generic_attribution(sp, i)) != 0) {
			if (i + k > sp->n)
				k = sp->n - i;
			*nattr = k;
			k = next_nonblank(sp, i + k - 1);
			return k < sp->n && is_quote_line(sp->l[k]) ? Q_ATTR
			                                            : Q_TAIL;
		}
		if (outlook_block(sp, i)) {
			/* take a rule line just above (blanks between) with it */
			for (k = i; k > 0 && i - k < 3; k--) {
				struct line r = trim_line(sp->l[k - 1]);
				if (r.n == 0)
					continue;
				if (r.n >= 8 && dashed_title(r).n == 0)
					*head = k - 1;
				break;
			}
			return Q_TAIL;
		}
	}
	*head = sp->n;
	return Q_NONE;
}

static const char *const signoffs[] = {
	"Best", "Best regards", "Best wishes", "Kind regards", "Warm regards",
	"Warmly", "Regards", "Thanks", "Thank you", "Thanks again", "Many thanks",
	"Thanks so much", "Cheers", "Sincerely", "Yours", "Yours sincerely",
	"Yours truly", "All the best", "Take care", "Talk soon", "Love",
	"Respectfully", "Thx", "Ty", "Mit freundlichen Gr\xc3\xbc\xc3\x9f" "en",
	"Viele Gr\xc3\xbc\xc3\x9f" "e", "Liebe Gr\xc3\xbc\xc3\x9f" "e",
	"Cordialement", "Bien \xc3\xa0 vous", "Merci", "Saludos",
	"Saludos cordiales", "Un saludo", "Un abrazo", "Atentamente",
	"Gracias", "Muchas gracias", NULL
};

static int
is_signoff(struct line l)
{
	const char *const *p;

	l = trim_line(l);
	if (l.n && (l.s[l.n - 1] == ',' || l.s[l.n - 1] == '!' ||
	    l.s[l.n - 1] == '.'))
		l.n--;
	for (p = signoffs; *p; p++)
		if (l.n == strlen(*p) && gr_strncaseeq(l.s, *p, l.n))
			return 1;
	return 0;
}

static int
is_mobile_sig(struct line l)
{
	l = trim_line(l);
	if (l.n > 80)
		return 0;
	if (starts_ci(l, "Sent from my ")) {
		/* "Sent from my desk, is much easier..." is prose */
		size_t words = 1;
		for (size_t i = 0; i < l.n; i++)
			if (l.s[i] == ',' || l.s[i] == '.')
				return 0;
			else if (l.s[i] == ' ')
				words++;
		return words <= 6;
	}
	return starts_ci(l, "Sent from Mail") ||
	    starts_ci(l, "Sent from Yahoo") || starts_ci(l, "Sent from Outlook") ||
	    starts_ci(l, "Sent via ") || starts_ci(l, "Get Outlook for ") ||
	    starts_ci(l, "Sent with ") ||
	    starts_ci(l, "Von meinem iPhone gesendet") ||
	    starts_ci(l, "Envoy\xc3\xa9 de mon ");
}

/* Mark the signature among the L_NEW lines before head. */
static void
mark_signature(struct split *sp, size_t head)
{
	size_t i, first = head, last_new = 0, seen = 0, nonblank_before = 0;

	for (i = 0; i < head; i++) {
		struct line t;
		if (sp->kind[i] != L_NEW)
			continue;
		t = trim_line(sp->l[i]);
		if (t.n == 2 && memcmp(t.s, "--", 2) == 0 &&
		    (sp->l[i].n == 2 || sp->l[i].s[2] == ' ' ||
		     sp->l[i].s[2] == '\r') && nonblank_before) {
			first = i;
			goto mark;
		}
		if (t.n)
			nonblank_before++;
	}
	/* "Sent from my iPhone" among the last three non-blank lines */
	for (i = head; i-- > 0 && seen < 3;) {
		if (sp->kind[i] != L_NEW || line_blank(sp->l[i]))
			continue;
		seen++;
		if (is_mobile_sig(sp->l[i]) && nonblank_before > seen) {
			first = i;
			goto mark;
		}
	}
	/* a sign-off followed by at most four short lines */
	seen = 0;
	for (i = head; i-- > 0;) {
		if (sp->kind[i] != L_NEW || line_blank(sp->l[i]))
			continue;
		if (!last_new)
			last_new = i + 1;
		if (is_signoff(sp->l[i])) {
			if (seen >= 1 && nonblank_before > seen + 1)
				first = i + 1;
			break;
		}
		if (++seen > 4 || trim_line(sp->l[i]).n > 60)
			break;
	}
mark:
	for (i = first; i < head; i++)
		if (sp->kind[i] == L_NEW)
			sp->kind[i] = L_SIG;
}

static gr_status
split_lines(const char *text, struct split *sp)
{
	size_t cap = 64, n = 0;
	const char *p = text, *e;

	sp->l = malloc(cap * sizeof *sp->l);
	if (!sp->l)
		return GR_E_NOMEM;
	for (;;) {
		if (n == cap) {
			struct line *nl = realloc(sp->l, 2 * cap * sizeof *nl);
			if (!nl)
				return GR_E_NOMEM;
			sp->l = nl;
			cap *= 2;
		}
		e = strchr(p, '\n');
		sp->l[n].s = p;
		sp->l[n].n = e ? (size_t)(e - p) : strlen(p);
		if (sp->l[n].n && sp->l[n].s[sp->l[n].n - 1] == '\r')
			sp->l[n].n--;
		n++;
		if (!e)
			break;
		p = e + 1;
	}
	sp->n = n;
	sp->kind = calloc(n, 1);
	return sp->kind ? GR_OK : GR_E_NOMEM;
}

/* Join the lines of one kind, without leading and trailing blank lines. */
static char *
join_kind(const struct split *sp, int kind)
{
	size_t i, lo = sp->n, hi = 0;
	gr_buf b;

	for (i = 0; i < sp->n; i++)
		if (sp->kind[i] == kind && !line_blank(sp->l[i])) {
			if (lo == sp->n)
				lo = i;
			hi = i + 1;
		}
	gr_buf_init(&b, TEXT_MAX);
	for (i = lo; i < hi; i++) {
		if (sp->kind[i] != kind)
			continue;
		if ((b.len && gr_buf_addc(&b, '\n') != GR_OK) ||
		    gr_buf_add(&b, sp->l[i].s, sp->l[i].n) != GR_OK) {
			gr_buf_free(&b);
			return NULL;
		}
	}
	return gr_buf_steal(&b);
}

gr_status
gr_text_split(const char *text, gr_text_parts *out)
{
	struct split sp = { NULL, 0, NULL };
	gr_status st;
	size_t head = 0, nattr = 0, i;
	int mode;

	memset(out, 0, sizeof *out);
	st = split_lines(text, &sp);
	if (st != GR_OK)
		goto fail;
	mode = find_quote_head(&sp, &head, &nattr, &out->forward);
	for (i = 0; i < sp.n; i++)
		if ((mode == Q_TAIL && i >= head) ||
		    (mode == Q_ATTR && i >= head && i < head + nattr) ||
		    is_quote_line(sp.l[i]))
			sp.kind[i] = L_QUOTED;
	mark_signature(&sp, mode == Q_TAIL ? head : sp.n);
	out->new_text = join_kind(&sp, L_NEW);
	out->quoted = join_kind(&sp, L_QUOTED);
	out->signature = join_kind(&sp, L_SIG);
	if (!out->new_text || !out->quoted || !out->signature) {
		st = GR_E_NOMEM;
		goto fail;
	}
	free(sp.l);
	free(sp.kind);
	return GR_OK;
fail:
	free(sp.l);
	free(sp.kind);
	gr_text_parts_free(out);
	return st;
}

void
gr_text_parts_free(gr_text_parts *p)
{
	if (!p)
		return;
	free(p->new_text);
	free(p->quoted);
	free(p->signature);
	p->new_text = p->quoted = p->signature = NULL;
}
