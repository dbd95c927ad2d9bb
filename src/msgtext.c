/* SPDX-License-Identifier: MIT */
/*
 * msgtext.c - the split of a message's text into the new part, the quoted
 * reply (RFC 3676 section 4.5 '>' quotes, client attribution lines,
 * forwarded-message blocks) and the signature (RFC 3676 section 4.3 "-- "
 * delimiter, mobile and sign-off blocks).
 */
#include <stdlib.h>
#include <string.h>

#include "gravity/buf.h"
#include "gravity/util.h"
#include "msgtext.h"

#define TEXT_MAX        ((size_t)1 << 30)

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
low_ascii(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int
starts_ci(struct line l, const char *p)
{
	size_t k;

	/* most lines part at the first byte */
	if (*p && (l.n == 0 || low_ascii((unsigned char)*l.s) !=
	                       low_ascii((unsigned char)*p)))
		return 0;
	k = strlen(p);
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

/* 1 if a line that begins with l may begin with p (no case): l begins
 * with p, or l is the beginning of p. */
static int
may_begin(struct line l, const char *p)
{
	size_t i = 0;

	while (i < l.n && p[i] && low_ascii((unsigned char)l.s[i]) ==
	                          low_ascii((unsigned char)p[i]))
		i++;
	return !p[i] || i == l.n;
}

/* 0 if no line that begins with l can be an attribution: l, past the
 * dashes and blanks is_attribution skips, may begin none of
 * on_prefixes. */
static int
may_open_attribution(struct line l)
{
	while (l.n && (*l.s == '-' || *l.s == ' '))
		l.s++, l.n--;
	for (const char *const *p = on_prefixes; *p; p++)
		if (may_begin(l, *p))
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
	if (a.n > 300 || a.n == 0 || !may_open_attribution(a))
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
	if (t.n == 0)           /* no title: most lines */
		return 0;
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
