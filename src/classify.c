/* SPDX-License-Identifier: MIT */
/*
 * classify.c - one class per message, explained rule by rule
 * (gravity-rules(5)).  The classifier gathers the facts of a message (its
 * fields, the owner's services it names, who the sender is to the owner,
 * its machine signs from gr_message_auto_signs) and lets the rules score
 * them (gr_rules_eval); then overrides and the built-in safety rules
 * decide, and a referral's parties are found.  It reads the rules, the
 * owner and the message through their public headers only.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gravity/buf.h"
#include "gravity/classify.h"
#include "gravity/extract.h"
#include "gravity/lang.h"
#include "gravity/owner.h"
#include "gravity/pattern.h"
#include "gravity/train.h"

/* Bytes of the new text whose words are features. */
#define WORDS_TEXT_MAX 4096
/* Longest word kept (bytes). */
#define WORD_MAX 32
/* New text shorter than this many words is "short-text"; longer than
 * LONG_WORDS is "long-text". */
#define SHORT_WORDS 25
#define LONG_WORDS 250

#define BUILTIN_FILE "(built-in)"
/* Stems of referred-out services a loose match needs
 * (gr_owner_loose_counts). */
#define LOOSE_MIN 2

/* Tie order: on equal totals the class listed first wins. */
static const gr_class tie_order[GR_CLASS_COUNT] = {
	GR_CLASS_AUTOMATED, GR_CLASS_REFERRAL_INTRO, GR_CLASS_INQUIRY,
	GR_CLASS_OUT_OF_SCOPE, GR_CLASS_COLD_PITCH, GR_CLASS_OTHER
};

/* --- built-in patterns -------------------------------------------------- */

/* The patterns that find a referral's introducer. */
typedef struct builtins {
	gr_pattern *attrib;     /* "On ..., Name <addr> wrote:" */
	gr_pattern *thanks;     /* "Thanks Nate!" */
	gr_pattern *named;      /* "Jen Park said/referred ..." */
	gr_pattern *full_name;  /* "Jen Park": two capitalised words */
	gr_pattern *quote_head; /* a line that says whose mail is quoted */
} builtins;

/* Compiled on first use and kept for the life of the process (gravity
 * classifies in one thread); NULL when out of memory. */
static const builtins *
builtin_patterns(void)
{
	static builtins b;

	if (b.attrib && b.thanks && b.named && b.quote_head && b.full_name)
		return &b;
	if (!b.full_name)
		b.full_name = gr_pattern_compile(NULL, BUILTIN_FILE, 0, 0,
		    "(?<![\\p{L}\\p{M}])(\\p{Lu}[\\p{Ll}\\p{M}]+(?:-\\p{Lu}[\\p{Ll}\\p{M}]+)?"
		    "[ \\t]+\\p{Lu}[\\p{Ll}\\p{M}]+)(?![\\p{L}\\p{M}])", "c");
	/* "On ... Name <a@b> wrote:" in the common languages, or the
	 * first line of an Outlook header block ("From: Name <a@b>"). */
	if (!b.quote_head)
		b.quote_head = gr_pattern_compile(NULL, BUILTIN_FILE, 0, 0,
		    "^[>\\s]*(?:(?:from|von|de|da|van|od|fr\xc3\xa5n|fra|"
		    "envoy\xc3\xa9 par)\\s*:[^\\n]*|[^\\n]*\\b(?:wrote|schrieb|"
		    "a \xc3\xa9" "crit|escribi\xc3\xb3|escreveu|ha scritto|schreef|"
		    "skrev|napisa\xc5\x82)\\b[^\\n]*)$", "m");
	if (!b.attrib)
		b.attrib = gr_pattern_compile(NULL, BUILTIN_FILE, 0, 0,
		    "(\\p{L}[\\p{L}\\p{M}'. -]{0,60}?)\\s*<([^<>\\s@]+@"
		    "[^<>\\s]+)>\\s*wrote:", "");
	if (!b.thanks)
		b.thanks = gr_pattern_compile(NULL, BUILTIN_FILE, 0, 0,
		    "^\\s*(?i:thanks|thank you|thx)\\s*,?\\s+"
		    "(\\p{Lu}\\p{Ll}+)\\b", "c");
	if (!b.named)
		b.named = gr_pattern_compile(NULL, BUILTIN_FILE, 0, 0,
		    "(\\p{Lu}\\p{Ll}+(?: \\p{Lu}\\p{Ll}+)?)\\b[^.!?\\n]{0,40}?"
		    "\\b(?i:referred|recommended|suggested|said|told)\\b", "c");
	return b.attrib && b.thanks && b.named && b.quote_head && b.full_name ?
	       &b : NULL;
}

/* --- evaluation state --------------------------------------------------- */

typedef struct ev {
	const gr_rules *r;
	const gr_owner *o;
	const gr_message *m;
	const builtins *bi;
	gr_matcher *mm;
	char *fields[GR_FIELD_COUNT];   /* built on demand */
	double num[GR_NUM_COUNT];
	long best_svc;
	long best_referred;             /* referred-out service most named */
	int ask_offered, ask_referred;  /* service phrases in asking sentences */
	int loose_offered, loose_referred;  /* service stems (loose match) */
	int subj_offered, subj_referred;    /* service phrases in the subject */
	gr_auto auto_level;
	const char *auto_why;
	unsigned signs;         /* gr_message_signs */
	int known;
	int forged;             /* Authentication-Results: no pass */
	signed char pv[GR_PRED_COUNT];  /* predicate values, -1: not yet */
	int quotes_done;
	int q_owner, q_self, q_other;   /* whose mail the quoted part holds */
} ev;

static char *
addrs_text(const gr_addrlist *l)
{
	gr_buf b;

	gr_buf_init(&b, 1u << 20);
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].name && *l->v[i].name)
			gr_buf_printf(&b, "%s ", l->v[i].name);
		gr_buf_printf(&b, "<%s>\n", l->v[i].addr ? l->v[i].addr : "");
	}
	return gr_buf_steal(&b);
}

/* --- the facts the rules see ------------------------------------------- */

static const char *
fact_text(void *aux, gr_field f)
{
	ev *e = aux;
	const gr_message *m = e->m;
	const char *at;

	switch (f) {
	case GR_FIELD_SUBJECT: return m->subject;
	case GR_FIELD_FROM: return m->from.addr;
	case GR_FIELD_FROM_NAME: return m->from.name;
	case GR_FIELD_FROM_DOMAIN:
		at = m->from.addr ? strchr(m->from.addr, '@') : NULL;
		return at ? at + 1 : NULL;
	case GR_FIELD_BODY: return m->new_text;
	case GR_FIELD_QUOTED: return m->quoted;
	case GR_FIELD_SIGNATURE: return m->signature;
	case GR_FIELD_TEXT: return m->text;
	case GR_FIELD_TO:
	case GR_FIELD_CC:
	case GR_FIELD_REPLY_TO:
		if (!e->fields[f])
			e->fields[f] = addrs_text(f == GR_FIELD_TO ? &m->to :
			                          f == GR_FIELD_CC ? &m->cc :
			                          &m->reply_to);
		return e->fields[f];
	default:
		return NULL;
	}
}

static const char *
fact_header(void *aux, const char *name, size_t n)
{
	const gr_message *m = ((ev *)aux)->m;

	for (size_t i = 0; i < m->n_headers; i++) {
		const gr_header *h = &m->headers[i];

		if (h->name && gr_strcaseeq(h->name, name) && n-- == 0)
			return h->value ? h->value : "";
	}
	return NULL;
}

static double
fact_num(void *aux, gr_num n)
{
	return ((ev *)aux)->num[n];
}

static int
list_has_owner(const gr_owner *o, const gr_addrlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (gr_owner_is_owner(o, l->v[i].addr))
			return 1;
	return 0;
}

/* A To/Cc person other than the owner, the sender and machines. */
static const gr_addr *
other_person(const gr_owner *o, const gr_message *m, const char *besides)
{
	const gr_addrlist *ls[2] = { &m->to, &m->cc };

	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < ls[k]->n; i++) {
			const gr_addr *a = &ls[k]->v[i];

			if (!a->addr || gr_owner_is_owner(o, a->addr) ||
			    gr_strcaseeq(a->addr, m->from.addr) ||
			    (besides && gr_strcaseeq(a->addr, besides)) ||
			    gr_addr_is_machine(a->addr))
				continue;
			return a;
		}
	}
	return NULL;
}

/* 1 if s (NUL-terminated, not necessarily alone) names the owner: one of
 * their addresses or their full name. */
static int
names_owner(const gr_owner *o, const char *s)
{
	const gr_profile *pf = gr_owner_profile(o);

	for (size_t i = 0; i < pf->emails.n; i++)
		if (gr_strcasestr(s, pf->emails.v[i]))
			return 1;
	return pf->name && strlen(pf->name) >= 4 &&
	       gr_strcasestr(s, pf->name) != NULL;
}

/* Sort out whose mail the quoted part holds, from its attribution lines
 * ("On ..., Name <a@b> wrote:", "Am ... schrieb Name:", an Outlook "From:"
 * block): the owner's, the sender's own (a sales sequence quoting its
 * earlier step), or someone else's. */
static void
quote_owners(ev *e)
{
	const gr_message *m = e->m;
	const char *q = m->quoted, *p;
	const char *fname = m->from.name;
	size_t so, eo;
	int lines = 0;

	if (e->quotes_done)
		return;
	e->quotes_done = 1;
	if (!q || !*q)
		return;
	if (names_owner(e->o, q) && gr_owner_profile(e->o)->emails.n) {
		const gr_strv *em = &gr_owner_profile(e->o)->emails;

		for (size_t i = 0; i < em->n; i++)
			if (gr_strcasestr(q, em->v[i]))
				e->q_owner = 1;
	}
	for (p = q; *p && lines < 50 &&
	     gr_pattern_match(e->bi->quote_head, p, e->mm, &so, &eo);
	     p += eo > 0 ? eo : 1, lines++) {
		char *line = gr_strndup(p + so, eo - so);

		if (!line)
			break;
		if (names_owner(e->o, line))
			e->q_owner = 1;
		else if ((m->from.addr && gr_strcasestr(line, m->from.addr)) ||
		         (fname && strlen(fname) >= 4 &&
		          gr_strcasestr(line, fname)))
			e->q_self = 1;
		else
			e->q_other = 1;
		free(line);
		if (!p[eo])
			break;
	}
	if (!e->q_owner && !e->q_self)
		e->q_other = 1;
}

/* The domain of addr, or "". */
static const char *
domain_of(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;

	return at ? at + 1 : "";
}

/* The registrable part of a domain, roughly: the last two labels, or three
 * when the second-last is a short generic one ("co.uk", "com.br"). */
static const char *
base_domain(const char *d)
{
	const char *dots[3] = { NULL, NULL, NULL };
	size_t n = 0;

	for (const char *p = d + strlen(d); p > d; p--)
		if (p[-1] == '.') {
			dots[n++] = p;
			if (n == 3)
				break;
		}
	if (n < 2)
		return d;
	/* dots[0]: TLD, dots[1]: second-level label */
	if (n >= 2 && (size_t)(dots[0] - dots[1]) <= 4 &&
	    strlen(dots[0]) == 2)
		return n == 3 ? dots[2] : d;
	return dots[1];
}

static int
same_base(const char *a, const char *b)
{
	return gr_strcaseeq(base_domain(domain_of(a)),
	                    base_domain(domain_of(b)));
}

/* 1 if s holds the word w (ASCII word boundaries, no case). */
static int
has_word(const char *s, const char *w)
{
	size_t k = strlen(w);

	if (!s || k == 0)
		return 0;
	for (const char *p = s; (p = gr_strcasestr(p, w)) != NULL; p++) {
		int before = p > s && ((unsigned char)p[-1] >= 0x80 ||
		                       (p[-1] >= 'a' && p[-1] <= 'z') ||
		                       (p[-1] >= 'A' && p[-1] <= 'Z'));
		unsigned char c = (unsigned char)p[k];
		int after = c >= 0x80 || (c >= 'a' && c <= 'z') ||
		            (c >= 'A' && c <= 'Z');

		if (!before && !after)
			return 1;
	}
	return 0;
}

static int
from_owner_domain(const gr_owner *o, const gr_message *m)
{
	const gr_strv *em = &gr_owner_profile(o)->emails;
	const char *fd = domain_of(m->from.addr);

	if (!m->from.addr || gr_owner_is_owner(o, m->from.addr))
		return 0;
	for (size_t i = 0; i < em->n; i++) {
		const char *od = domain_of(em->v[i]);
		size_t nf = strlen(fd), no = strlen(od);

		if (no && (gr_strcaseeq(fd, od) ||
		           (nf > no && fd[nf - no - 1] == '.' &&
		            gr_strcaseeq(fd + nf - no, od))))
			return 1;
	}
	return 0;
}

static int
reply_to_other(const gr_message *m)
{
	for (size_t i = 0; i < m->reply_to.n; i++)
		if (m->reply_to.v[i].addr && m->from.addr &&
		    !same_base(m->reply_to.v[i].addr, m->from.addr))
			return 1;
	return 0;
}

/* A mailing list: List-Id (RFC 2919), a list's own sender address
 * ("owner-announce@", "announce-request@", "-bounces@"), or list software
 * in the Received trace (older lists write no List-* header). */
static int
mailing_list(const gr_message *m)
{
	static const char *const tails[] = {
		"-owner@", "-request@", "-bounces@", "-admin@", NULL
	};
	static const char *const software[] = {
		"majordom", "bulk_mailer", "listserv", "mailman", "ezmlm",
		"lyris", "sympa", NULL
	};
	const char *a = m->from.addr, *v;

	if (gr_message_header(m, "List-Id"))
		return 1;
	if (a && gr_startswith_ci(a, "owner-"))
		return 1;
	for (int i = 0; a && tails[i]; i++)
		if (gr_strcasestr(a, tails[i]))
			return 1;
	for (size_t n = 0; n < m->n_headers; n++) {
		const gr_header *h = &m->headers[n];

		if (!h->name || !gr_strcaseeq(h->name, "Received") ||
		    !(v = h->value))
			continue;
		for (int i = 0; software[i]; i++)
			if (gr_strcasestr(v, software[i]))
				return 1;
	}
	return 0;
}

/* Precedence bulk/junk/list, a campaign or sending service's header. */
static int
bulk_mail(const ev *e)
{
	return (e->signs & (GR_SIGN_PREC_BULK | GR_SIGN_PREC_JUNK |
	                    GR_SIGN_PREC_LIST | GR_SIGN_CAMPAIGN |
	                    GR_SIGN_ESP)) != 0;
}

/* Auto-Submitted other than "no" (RFC 3834), an auto-reply header, or an
 * auto-reply subject: an answering machine. */
static int
auto_submitted(const ev *e)
{
	return (e->signs & (GR_SIGN_AUTO_SUBMITTED | GR_SIGN_AUTOREPLY_HDR |
	                    GR_SIGN_AUTOREPLY_SUBJ)) != 0;
}

/* A platform carries a person's words: a machine, platform or web-form
 * sender, and relay wording ("sent you a message", "Form submission",
 * "New message from", ...: the list relay_person). */
static int
relay(ev *e)
{
	const gr_message *m = e->m;
	const char *via;
	int platform = gr_addr_is_machine(m->from.addr) ||
	               (m->from.name && gr_strcasestr(m->from.name, " via ")) ||
	               from_owner_domain(e->o, m) ||
	               gr_message_header(m, "List-Unsubscribe") ||
	               reply_to_other(m);

	if (!platform)
		return 0;
	/* "Sandra Obi via LinkedIn", Reply-To "Sandra Obi <reply+...>": the
	 * platform names the person it relays */
	if (m->from.name && (via = gr_strcasestr(m->from.name, " via ")) &&
	    via > m->from.name && !gr_message_header(m, "List-Id"))
		for (size_t i = 0; i < m->reply_to.n; i++)
			if (m->reply_to.v[i].name &&
			    strlen(m->reply_to.v[i].name) ==
			    (size_t)(via - m->from.name) &&
			    gr_strncaseeq(m->reply_to.v[i].name, m->from.name,
			                  (size_t)(via - m->from.name)))
				return 1;
	return gr_rules_list_match(e->r, "relay_person", m->subject,
	                           e->mm) > 0 ||
	       gr_rules_list_match(e->r, "relay_person", m->text, e->mm) > 0;
}

static int pred_value(ev *e, gr_pred p);

/* The loose match finds referred-out services, and more of their stems
 * than of offered ones. */
static int
loose_referred(const ev *e)
{
	return e->loose_referred > e->loose_offered &&
	       e->loose_referred >= LOOSE_MIN;
}
static long quoted_age_months(const gr_message *m);
static int referrer_named(ev *e);

static int
fact_pred(void *aux, gr_pred p)
{
	ev *e = aux;

	if ((int)p < 0 || p >= GR_PRED_COUNT)
		return 0;
	if (e->pv[p] < 0)
		e->pv[p] = (signed char)pred_value(e, p);
	return e->pv[p];
}

/* 1 unless the services are written in English only (no letter outside
 * ASCII in any phrase) and the subject and new text in another language:
 * such services cannot name what that mail asks for, so their silence
 * says nothing (service-unnamed does not hold). */
static int
services_speak(ev *e)
{
	gr_buf b;
	gr_lang l;

	if (!gr_owner_services_ascii(e->o))
		return 1;
	gr_buf_init(&b, 1u << 20);
	gr_buf_printf(&b, "%s\n%s", e->m->subject ? e->m->subject : "",
	              e->m->new_text ? e->m->new_text : "");
	l = b.data ? gr_lang_detect(b.data) : GR_LANG_UNKNOWN;
	gr_buf_free(&b);
	return l == GR_LANG_UNKNOWN || l == GR_LANG_EN;
}

static int
pred_value(ev *e, gr_pred p)
{
	const gr_message *m = e->m;
	const gr_owner *o = e->o;
	const gr_profile *pf = gr_owner_profile(o);
	const gr_service *svc = e->best_svc < 0 ? NULL :
	                        gr_owner_service(o, (size_t)e->best_svc);

	switch (p) {
	case GR_PRED_SENDER_KNOWN: return e->known;
	case GR_PRED_SENDER_PARTNER:
		return !e->forged &&
		       (gr_owner_partner_by_addr(o, m->from.addr) ||
		        gr_owner_partner_by_addr(o,
		                                 gr_message_reply_addr(m)->addr));
	case GR_PRED_OWNER_IN_TO: return list_has_owner(o, &m->to);
	case GR_PRED_OWNER_IN_CC: return list_has_owner(o, &m->cc);
	case GR_PRED_OTHER_PERSON: return other_person(o, m, NULL) != NULL;
	case GR_PRED_HAS_ATTACHMENT:
		return (m->flags & GR_MSG_HAS_ATTACHMENT) ||
		       m->n_attachments > 0;
	case GR_PRED_HTML_ONLY: return (m->flags & GR_MSG_HTML_ONLY) != 0;
	case GR_PRED_IS_REPLY: return (m->flags & GR_MSG_IS_REPLY) != 0;
	case GR_PRED_IS_FORWARD: return (m->flags & GR_MSG_IS_FORWARD) != 0;
	case GR_PRED_IS_REPORT: return (e->signs & GR_SIGN_REPORT) != 0;
	case GR_PRED_AUTOMATED: return e->auto_level != GR_AUTO_NONE;
	/* the main ask's service; when no phrase matched, the loose match
	 * of the services' words may find a referred-out one, and
	 * otherwise the ask is taken for one of the owner's own (as for an
	 * owner who lists no services): which of the owner's offers it is
	 * needs no exact wording, what the owner refers out is what
	 * decides */
	case GR_PRED_SERVICE_OFFERED:
		return svc ? svc->offered : !loose_referred(e);
	case GR_PRED_SERVICE_REFERRED:
		return svc ? !svc->offered : loose_referred(e);
	case GR_PRED_OWNER_QUOTED:
		quote_owners(e);
		return e->q_owner;
	case GR_PRED_LIST_UNSUBSCRIBE:
		return (e->signs & GR_SIGN_LIST_UNSUB) != 0;
	case GR_PRED_MAILING_LIST: return mailing_list(m);
	case GR_PRED_BULK_MAIL: return bulk_mail(e);
	case GR_PRED_AUTO_SUBMITTED: return auto_submitted(e);
	case GR_PRED_FEEDBACK_ID:
		return gr_message_header(m, "Feedback-ID") != NULL;
	case GR_PRED_FROM_MACHINE:
		return (e->signs & GR_SIGN_MACHINE_SENDER) != 0;
	case GR_PRED_FROM_VIA:
		return m->from.name && gr_strcasestr(m->from.name, " via ");
	case GR_PRED_FROM_OWNER_DOMAIN: return from_owner_domain(o, m);
	case GR_PRED_REPLY_TO_OTHER: return reply_to_other(m);
	case GR_PRED_CALENDAR: return (m->flags & GR_MSG_CALENDAR) != 0;
	case GR_PRED_RELAY: return relay(e);
	case GR_PRED_SELF_QUOTED:
		quote_owners(e);
		return e->q_self && !e->q_owner;
	case GR_PRED_OTHER_QUOTED:
		quote_owners(e);
		return m->quoted && *m->quoted && e->q_other && !e->q_owner &&
		       !e->q_self;
	case GR_PRED_OWNER_NOT_ADDRESSED:
		return !list_has_owner(o, &m->to) && !list_has_owner(o, &m->cc);
	case GR_PRED_MANY_RECIPIENTS: return m->to.n + m->cc.n >= 5;
	case GR_PRED_SHORT_TEXT:
		return e->num[GR_NUM_BODY_WORDS] < SHORT_WORDS;
	case GR_PRED_LONG_TEXT:
		return e->num[GR_NUM_BODY_WORDS] > LONG_WORDS;
	case GR_PRED_OWNER_NAME_IN_SUBJECT: {
		char first[64];
		size_t k = 0;

		for (const char *q = pf->name; q && *q && *q != ' ' &&
		     k + 1 < sizeof first; q++)
			first[k++] = *q;
		first[k] = '\0';
		return k >= 2 && has_word(m->subject, first);
	}
	case GR_PRED_OWNER_DOMAIN_MENTIONED:
		for (size_t i = 0; i < pf->emails.n; i++) {
			const char *d = domain_of(pf->emails.v[i]);

			if (*d && (gr_strcasestr(m->subject, d) ||
			           (m->new_text && gr_strcasestr(m->new_text, d))))
				return 1;
		}
		return 0;
	case GR_PRED_SERVICES_BOTH:
		return e->num[GR_NUM_OFFERED] > 0 && e->num[GR_NUM_REFERRED] > 0;
	case GR_PRED_ASK_OFFERED:
		return e->ask_offered > 0 && e->ask_referred == 0;
	case GR_PRED_ASK_REFERRED: return e->ask_referred > 0;
	case GR_PRED_SUBJECT_OFFERED:
		return e->subj_offered > 0 && e->subj_referred == 0;
	case GR_PRED_OLD_THREAD: return quoted_age_months(m) >= 3;
	case GR_PRED_REFERRER_NAMED: return referrer_named(e);
	case GR_PRED_SERVICE_UNNAMED:
		return gr_owner_n_services(o) > 0 && !svc &&
		       !e->loose_offered && !e->loose_referred &&
		       services_speak(e);
	default: return 0;
	}
}

/* --- the date of quoted mail ---------------------------------------------- */

/* The month a word names (folded, any case: the first letters of the
 * months in English, German, French, Spanish, Portuguese and Italian), or
 * 0. */
static int
month_word(const char *w, size_t n)
{
	static const struct { const char *p; int m; } names[] = {
		{ "jan", 1 }, { "ene", 1 }, { "gen", 1 }, { "feb", 2 },
		{ "fev", 2 }, { "mar", 3 }, { "apr", 4 }, { "abr", 4 },
		{ "avr", 4 }, { "may", 5 }, { "mai", 5 }, { "mag", 5 },
		{ "juin", 6 }, { "jun", 6 }, { "giu", 6 }, { "juil", 7 },
		{ "jul", 7 }, { "lug", 7 }, { "aug", 8 }, { "ago", 8 },
		{ "aou", 8 }, { "sep", 9 }, { "set", 9 }, { "oct", 10 },
		{ "okt", 10 }, { "out", 10 }, { "ott", 10 }, { "nov", 11 },
		{ "dec", 12 }, { "dez", 12 }, { "dic", 12 }, { NULL, 0 }
	};
	char low[8];

	/* a month's name, or its abbreviation: 3 to 9 letters */
	if (n < 3 || n > 9)
		return 0;
	for (size_t i = 0; i < 4 && i < n; i++)
		low[i] = (char)(w[i] | 0x20);
	low[n < 4 ? n : 4] = '\0';
	/* the weekdays mardi, martes, martedi are not March */
	if (n >= 4 && strncmp(low, "mard", 4) == 0)
		return 0;
	if (n >= 4 && strncmp(low, "mart", 4) == 0)
		return 0;
	for (int i = 0; names[i].p; i++) {
		size_t k = strlen(names[i].p);

		if (strncmp(low, names[i].p, k) == 0 &&
		    (n == 3 || k == 4 || strcmp(names[i].p, "out") != 0 ||
		     n >= 7))
			return names[i].m;
	}
	return 0;
}

/* The month (year * 12 + month - 1) of one line that dates mail ("On
 * Mon, Dec 7, 2026 at ...", "Sent: 14 October 2025", "Gesendet:
 * Donnerstag, 12. März 2026", "2026-03-12", "12.03.2026"), or -1. */
static long
line_month(const char *line, size_t n)
{
	for (size_t i = 0; i + 4 <= n; i++) {
		const char *y = line + i;
		int year, month = 0;

		if (!((y[0] == '1' && y[1] == '9') || (y[0] == '2' && y[1] == '0')) ||
		    !(y[2] >= '0' && y[2] <= '9') || !(y[3] >= '0' && y[3] <= '9') ||
		    (i > 0 && y[-1] >= '0' && y[-1] <= '9') ||
		    (i + 4 < n && y[4] >= '0' && y[4] <= '9'))
			continue;
		year = (y[0] - '0') * 1000 + (y[1] - '0') * 100 +
		       (y[2] - '0') * 10 + (y[3] - '0');
		if (i + 7 <= n && y[4] == '-' && y[5] >= '0' && y[5] <= '1' &&
		    y[6] >= '0' && y[6] <= '9')
			month = (y[5] - '0') * 10 + (y[6] - '0');
		else if (i >= 3 && (y[-1] == '.' || y[-1] == '/') &&
		         y[-2] >= '0' && y[-2] <= '9') {
			/* d.m.yyyy, d/m/yyyy or m/d/yyyy: the number before
			 * the year, or the one before that when it can not be
			 * a day */
			size_t j = i - 1;
			int a = 0, b = 0, mul = 1;

			while (j > 0 && line[j - 1] >= '0' && line[j - 1] <= '9') {
				b += (line[j - 1] - '0') * mul;
				mul *= 10;
				j--;
			}
			mul = 1;
			if (j >= 2 && (line[j - 1] == '.' || line[j - 1] == '/'))
				for (j--; j > 0 && line[j - 1] >= '0' &&
				     line[j - 1] <= '9'; j--) {
					a += (line[j - 1] - '0') * mul;
					mul *= 10;
				}
			month = y[-1] == '/' && a >= 1 && a <= 12 ? a : b;
		} else {
			for (size_t k = 0; k < n && !month; ) {
				size_t e = k;

				while (e < n && (((line[e] | 0x20) >= 'a' &&
				                  (line[e] | 0x20) <= 'z')))
					e++;
				if (e > k)
					month = month_word(line + k, e - k);
				k = e + 1;
			}
		}
		if (month >= 1 && month <= 12)
			return (long)year * 12 + month - 1;
	}
	return -1;
}

/* How many months older than the message the quoted mail is, by the first
 * dated line among the quoted part's first lines; -1 when unknown. */
static long
quoted_age_months(const gr_message *m)
{
	char *f;
	const char *p;
	long qm = -1;
	struct tm tm;
	int lines = 0;

	if (!m->quoted || !*m->quoted || m->date <= 0 ||
	    !gmtime_r(&m->date, &tm))
		return -1;
	if (!(f = gr_fold_accents(m->quoted)))
		return -1;
	for (p = f; *p && lines < 12 && qm < 0; lines++) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		qm = line_month(p, n);
		p += n;
		if (*p)
			p++;
	}
	free(f);
	if (qm < 0)
		return -1;
	return ((long)tm.tm_year + 1900) * 12 + tm.tm_mon - qm;
}

/* The length of the sentence at p: it ends after . ! ? followed by a
 * blank, or at a line end. */
static size_t
sentence_len(const char *p)
{
	size_t n = 0;

	for (;;) {
		n += strcspn(p + n, "\n.!?");
		if (!p[n] || p[n] == '\n')
			return n;
		if (p[n + 1] == ' ' || p[n + 1] == '\n' || p[n + 1] == '\0')
			return n + 1;   /* with its mark */
		n++;
	}
}

/* The sentence after the one of n bytes at p, past blanks and line ends. */
static const char *
sentence_next(const char *p, size_t n)
{
	p += n;
	while (*p == '\n' || *p == ' ')
		p++;
	return p;
}

/* 1 if a sentence of the subject or new text that says who sent the
 * writer (the list referred_me) names a person ("Lucas Tremblay suggested
 * I reach out", "de la part de Genevieve Roy"): an introducer the owner
 * can thank, not "I found your name somewhere". */
static int
referrer_in(ev *e)
{
	const char *srcs[2] = { e->m->subject, e->m->new_text };
	const char *owner = gr_owner_profile(e->o)->name;

	for (int k = 0; k < 2; k++) {
		const char *src = srcs[k] ? srcs[k] : "", *p = src;
		size_t len = strlen(src);

		while (*p) {
			size_t n = sentence_len(p), so, eo;
			char *t;

			t = n > 0 && gr_rules_list_match_in(e->r, "referred_me",
			                                    src, len,
			                                    (size_t)(p - src), n,
			                                    e->mm) > 0 ?
			    gr_strndup(p, n) : NULL;
			for (const char *q = t; q && *q &&
			     gr_pattern_match(e->bi->full_name, q, e->mm, &so,
			                      &eo) > 0; q += eo) {
				char *name = gr_strndup(q + so, eo - so);
				int own = name && owner && gr_strcasestr(owner, name);

				free(name);
				if (!own) {
					free(t);
					return 1;
				}
				if (eo == 0)
					break;
			}
			free(t);
			p = sentence_next(p, n);
		}
	}
	return 0;
}

/* referrer_named: the subject and new text stay as they are, each
 * scanned once for all its sentences. */
static int
referrer_named(ev *e)
{
	int named;

	gr_matcher_pin(e->mm);
	named = referrer_in(e);
	gr_matcher_unpin(e->mm);
	return named;
}

/* --- services ----------------------------------------------------------- */

/* Count phrase hits per service in the subject and new text; the quoted
 * part only counts when those name no service and the message forwards
 * someone's request with that person copied (a forwarded introduction). */
static void
match_services(ev *e)
{
	const gr_owner *o = e->o;
	size_t nsvcs = gr_owner_n_services(o);
	gr_buf b;
	int best = 0, passes = 1, best_ref = 0;
	char *folded;

	e->best_svc = -1;
	e->best_referred = -1;
	if (nsvcs == 0)
		return;
	if ((e->m->flags & GR_MSG_IS_FORWARD) && other_person(o, e->m, NULL))
		passes = 2;
	for (int pass = 0; pass < passes && best == 0; pass++) {
		gr_buf_init(&b, 1u << 20);
		if (pass == 0 &&
		    (gr_buf_addstr(&b, e->m->subject ? e->m->subject :
		                   "") != GR_OK ||
		     gr_buf_addstr(&b, "\n") != GR_OK ||
		     gr_buf_addstr(&b, e->m->new_text ? e->m->new_text :
		                   "") != GR_OK))
			gr_buf_free(&b);        /* all of it or nothing */
		else if (pass == 1)
			gr_buf_addstr(&b, e->m->quoted ? e->m->quoted : "");
		folded = b.data ? gr_fold_accents(b.data) : NULL;
		for (size_t i = 0; b.data && i < nsvcs; i++) {
			int n = gr_owner_service_hits(o, i, b.data, folded,
			                              e->mm);

			e->num[gr_owner_service(o, i)->offered ?
			       GR_NUM_OFFERED : GR_NUM_REFERRED] += n;
			/* on equal counts a referred-out service wins: the
			 * owner's own trade is the setting of such asks */
			if (n > best || (n > 0 && n == best &&
			                 !gr_owner_service(o, i)->offered)) {
				best = n;
				e->best_svc = (long)i;
			}
			if (!gr_owner_service(o, i)->offered && n > best_ref) {
				best_ref = n;
				e->best_referred = (long)i;
			}
		}
		gr_buf_free(&b);
		free(folded);
	}
}

/* The loose match (gr_owner_loose_counts) over the subject and new text,
 * and the phrases of the subject alone. */
static void
match_loose(ev *e)
{
	const gr_owner *o = e->o;
	size_t nsvcs = gr_owner_n_services(o);
	const char *subj = e->m->subject ? e->m->subject : "";
	const char *texts[2] = { subj, e->m->new_text };
	int *counts;
	char *folded;

	if (nsvcs == 0)
		return;
	if ((counts = malloc(nsvcs * sizeof *counts)) != NULL &&
	    gr_owner_loose_counts(o, texts, 2, counts) == GR_OK)
		for (size_t i = 0; i < nsvcs; i++) {
			if (gr_owner_service(o, i)->offered)
				e->loose_offered += counts[i];
			else
				e->loose_referred += counts[i];
		}
	free(counts);
	folded = gr_fold_accents(subj);
	for (size_t i = 0; folded && i < nsvcs; i++) {
		int n = gr_owner_service_hits(o, i, subj, folded, e->mm);

		if (gr_owner_service(o, i)->offered)
			e->subj_offered += n;
		else
			e->subj_referred += n;
	}
	free(folded);
}

/* 1 if the sentence src[a, a+n) (src: len bytes) asks: a question mark,
 * or wording of the lists request or recommend_ask. */
static int
sentence_asks(ev *e, const char *src, size_t len, size_t a, size_t n)
{
	if (memchr(src + a, '?', n))
		return 1;
	return gr_rules_list_match_in(e->r, "request", src, len, a, n,
	                              e->mm) > 0 ||
	       gr_rules_list_match_in(e->r, "recommend_ask", src, len, a, n,
	                              e->mm) > 0;
}

/* Service phrases in the sentences of the subject and new text that ask
 * for something: what the main ask is about. */
static void
match_ask_services(ev *e)
{
	const gr_owner *o = e->o;
	size_t nsvcs = gr_owner_n_services(o);
	const char *srcs[2] = { e->m->subject, e->m->new_text };
	char *folded;
	long best_ask = -1;
	int best_n = 0, ask_offered_best = 0;
	gr_buf b;

	if (nsvcs == 0)
		return;
	gr_buf_init(&b, 1u << 20);
	/* the subject and new text stay as they are: each is scanned once
	 * for the sentences of both */
	gr_matcher_pin(e->mm);
	for (int k = 0; k < 2; k++) {
		const char *src = srcs[k] ? srcs[k] : "", *p = src;
		size_t len = strlen(src);

		while (*p) {
			size_t n = sentence_len(p);

			if (n > 0 && sentence_asks(e, src, len,
			                           (size_t)(p - src), n)) {
				gr_buf_add(&b, p, n);
				gr_buf_addstr(&b, "\n");
			}
			p = sentence_next(p, n);
		}
	}
	gr_matcher_unpin(e->mm);
	folded = b.data ? gr_fold_accents(b.data) : NULL;
	for (size_t i = 0; b.data && b.len && i < nsvcs; i++) {
		int n = gr_owner_service_hits(o, i, b.data, folded, e->mm);
		int offered = gr_owner_service(o, i)->offered;

		if (offered)
			e->ask_offered += n;
		else
			e->ask_referred += n;
		/* the main ask: a referred-out service named where the writer
		 * asks comes first (the owner's own trade is the setting of
		 * such asks, and is worded more or less broadly), else the
		 * offered service most named there */
		if (n > 0 && (best_ask < 0 || (!offered && ask_offered_best) ||
		              (offered == ask_offered_best && n > best_n))) {
			best_ask = (long)i;
			best_n = n;
			ask_offered_best = offered;
		}
	}
	if (best_ask >= 0)
		e->best_svc = best_ask;
	free(folded);
	gr_buf_free(&b);
}

static double
count_words(const char *s)
{
	double n = 0;
	int in = 0;

	for (; s && *s; s++) {
		int blank = *s == ' ' || *s == '\n' || *s == '\t' ||
		            *s == '\r';

		if (!blank && !in)
			n++;
		in = !blank;
	}
	return n;
}

static int
sender_known(const gr_owner *o, const gr_message *m,
             const gr_classify_ctx *ctx)
{
	const char *a = m->from.addr, *b = gr_message_reply_addr(m)->addr;

	if (gr_owner_is_contact(o, a) || gr_owner_is_contact(o, b))
		return 1;
	if (ctx && ctx->is_known) {
		if (a && ctx->is_known(ctx->aux, a))
			return 1;
		if (b && b != a && ctx->is_known(ctx->aux, b))
			return 1;
	}
	return 0;
}

/* --- words -------------------------------------------------------------- */

/* The code point at s (bytes left: n) and its length; invalid UTF-8 reads
 * as one byte U+FFFD. */
static unsigned
utf8_next(const unsigned char *s, size_t n, size_t *len)
{
	uint32_t cp;
	size_t k;

	if (*s < 0x80) {
		*len = 1;
		return *s;
	}
	k = gr_utf8_decode((const char *)s, n, &cp);
	*len = k ? k : 1;
	return k ? cp : 0xFFFD;
}

/* Letters of words: Latin, Greek, Cyrillic and the other alphabets up to
 * U+1FFF, kana and CJK; not digits, marks of punctuation or symbols. */
static inline int
is_letter(unsigned cp)
{
	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
	if (cp < 0xC0 || cp == 0xD7 || cp == 0xF7 || cp == 0xFFFD)
		return 0;
	return cp < 0x2000 || (cp >= 0x3040 && cp < 0xA000) ||
	       (cp >= 0xAC00 && cp < 0xD7A4);
}

/* Lower case for ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic. */
static unsigned
to_lower(unsigned cp)
{
	if (cp >= 'A' && cp <= 'Z')
		return cp + 32;
	if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)
		return cp + 32;
	if (cp >= 0x100 && cp <= 0x17F && cp != 0x130 && cp != 0x131 &&
	    cp != 0x138 && cp != 0x149 && cp != 0x17F) {
		/* pairs: even upper, odd lower, except 0x139-0x148 and
		 * 0x179-0x17E, where odd is upper */
		if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E))
			return (cp & 1) ? cp + 1 : cp;
		return (cp & 1) ? cp : cp + 1;
	}
	if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2)
		return cp + 32;
	if (cp >= 0x410 && cp <= 0x42F)
		return cp + 32;
	if (cp >= 0x400 && cp <= 0x40F)
		return cp + 80;
	return cp;
}

/* Add the words of [s, s+n) not seen yet to out (seen: a map of them). */
static gr_status
add_words(const char *s, size_t n, gr_strmap *seen, gr_strv *out)
{
	const unsigned char *p = (const unsigned char *)s;
	char w[5 + WORD_MAX + 4];
	size_t i = 0;
	gr_status st = GR_OK;

	memcpy(w, "word:", 5);
	while (i < n && st == GR_OK) {
		size_t k = 5, letters = 0, len;
		unsigned cp = utf8_next(p + i, n - i, &len);
		int too_long = 0;

		if (!is_letter(cp)) {
			i += len;
			continue;
		}
		while (i < n && is_letter(cp = utf8_next(p + i, n - i, &len))) {
			if (k + 4 > 5 + WORD_MAX)
				too_long = 1;
			else if (cp < 0x80)     /* a letter A-Z or a-z */
				w[k++] = (char)(cp | 0x20);
			else
				k += gr_utf8_put(w + k, to_lower(cp));
			letters++;
			i += len;
		}
		w[k] = '\0';
		if (letters < 2 || too_long || gr_strmap_get(seen, w) >= 0)
			continue;
		st = gr_strmap_put(seen, w, out->n);
		if (st == GR_OK)
			st = gr_strv_push(out, w);
	}
	return st;
}

gr_status
gr_classify_words(const gr_message *m, gr_strv *out)
{
	gr_strmap seen = { 0 };
	gr_status st;
	size_t n;

	st = add_words(m->subject ? m->subject : "",
	               m->subject ? strlen(m->subject) : 0, &seen, out);
	n = m->new_text ? strlen(m->new_text) : 0;
	if (n > WORDS_TEXT_MAX) {
		n = WORDS_TEXT_MAX;
		while (n > 0 && ((unsigned char)m->new_text[n] & 0xC0) == 0x80)
			n--;
	}
	if (st == GR_OK && n)
		st = add_words(m->new_text, n, &seen, out);
	gr_strmap_free(&seen);
	return st;
}

/* --- verdict ------------------------------------------------------------ */

static gr_status
add_hit(gr_verdict *v, const char *rule, const char *desc, const char *file,
        unsigned line, const double *score, const char *excerpt)
{
	gr_hit *nv = realloc(v->hits, (v->n_hits + 1) * sizeof *nv);

	if (!nv)
		return GR_E_NOMEM;
	v->hits = nv;
	memset(&nv[v->n_hits], 0, sizeof *nv);
	nv[v->n_hits].rule = rule;
	nv[v->n_hits].desc = desc;
	nv[v->n_hits].file = file;
	nv[v->n_hits].line = line;
	if (score)
		memcpy(nv[v->n_hits].score, score, sizeof nv[v->n_hits].score);
	if (excerpt)
		snprintf(nv[v->n_hits].excerpt, sizeof nv[v->n_hits].excerpt,
		         "%s", excerpt);
	v->n_hits++;
	return GR_OK;
}

static gr_class
best_class(const gr_verdict *v, const int *excluded, double threshold)
{
	gr_class best = GR_CLASS_OTHER;
	double bs = 0;
	int have = 0;

	for (int i = 0; i < GR_CLASS_COUNT; i++) {
		gr_class c = tie_order[i];

		if (excluded[c] || c == GR_CLASS_OTHER)
			continue;
		if (!have || v->scores[c] > bs) {
			best = c;
			bs = v->scores[c];
			have = 1;
		}
	}
	if (!have || bs < threshold ||
	    (!excluded[GR_CLASS_OTHER] && v->scores[GR_CLASS_OTHER] > bs))
		return GR_CLASS_OTHER;
	return best;
}

static gr_status
copy_addr(gr_addr *dst, const char *name, const char *addr)
{
	dst->name = name && *name ? gr_strdup(name) : NULL;
	dst->addr = addr && *addr ? gr_strdup(addr) : NULL;
	if (addr && *addr)
		gr_str_lower(dst->addr);
	return GR_OK;
}

/* Introducer from "On ..., Name <addr> wrote:".  1 if found. */
static int
intro_from_attribution(ev *e, gr_verdict *v)
{
	const char *s = e->m->quoted && *e->m->quoted ? e->m->quoted :
	                e->m->text;
	char *name, *addr, *nm;
	int ok = 0;

	if (!s || !gr_pattern_match(e->bi->attrib, s, e->mm, NULL, NULL))
		return 0;
	name = gr_matcher_group(e->mm, s, 1);
	addr = gr_matcher_group(e->mm, s, 2);
	if (addr && !gr_owner_is_owner(e->o, addr) &&
	    !gr_strcaseeq(addr, v->new_contact.addr)) {
		nm = name;
		while (nm && (gr_startswith_ci(nm, "AM ") ||
		              gr_startswith_ci(nm, "PM ")))
			nm += 3;
		copy_addr(&v->introducer, nm, addr);
		ok = 1;
	}
	free(name);
	free(addr);
	return ok;
}

/* 1 if name is the owner's, or opens with a greeting ("Hi Kofi"). */
static int
not_introducer(const char *owner, const char *name)
{
	static const char *const greet[] = {
		"hi ", "hello ", "hey ", "dear ", "hola ", "ol\xc3\xa1 ",
		"bonjour ", "hallo ", "ciao ", "salut ", "oi ", NULL
	};

	if (owner && gr_strncaseeq(owner, name, strlen(name)))
		return 1;
	for (int i = 0; greet[i]; i++)
		if (gr_startswith_ci(name, greet[i]))
			return 1;
	return 0;
}

/* Introducer named in the text: "Thanks Nate!", "Jen Park said ...";
 * the first such name that is not the owner's or a greeting. */
static void
intro_from_name(ev *e, gr_verdict *v)
{
	const char *srcs[3] = { e->m->subject, e->m->new_text, NULL };
	const gr_pattern *res[2] = { e->bi->thanks, e->bi->named };
	const char *owner = gr_owner_profile(e->o)->name;

	for (int k = 0; k < 2; k++) {
		for (int i = 0; srcs[i]; i++) {
			const char *s = srcs[i];
			size_t so, eo;

			for (int tries = 0; tries < 8 && *s; tries++) {
				char *name;

				if (!gr_pattern_match(res[k], s, e->mm, &so, &eo))
					break;
				name = gr_matcher_group(e->mm, s, 1);
				if (name && !not_introducer(owner, name)) {
					v->introducer.name = name;
					return;
				}
				free(name);
				/* the next match, a character further on */
				s += so + 1;
				while ((*s & 0xC0) == 0x80)
					s++;
			}
		}
	}
}

static void
intro_parties(ev *e, gr_verdict *v)
{
	const gr_message *m = e->m;
	const gr_addr *ra = gr_message_reply_addr(m);
	const gr_addr *other = other_person(e->o, m, ra->addr);

	if (other && !gr_owner_is_owner(e->o, m->from.addr)) {
		copy_addr(&v->introducer, m->from.name, m->from.addr);
		copy_addr(&v->new_contact, other->name, other->addr);
		return;
	}
	copy_addr(&v->new_contact, ra->name, ra->addr);
	if (intro_from_attribution(e, v))
		return;
	if (other) {
		copy_addr(&v->introducer, other->name, other->addr);
		return;
	}
	intro_from_name(e, v);
}

static void
ev_free(ev *e)
{
	for (int i = 0; i < GR_FIELD_COUNT; i++)
		free(e->fields[i]);
	gr_matcher_free(e->mm);
}

static gr_status
ev_init(ev *e, const gr_rules *r, const gr_message *m,
        const gr_classify_ctx *ctx)
{
	memset(e, 0, sizeof *e);
	e->r = r;
	e->o = gr_rules_owner(r);
	e->m = m;
	e->bi = builtin_patterns();
	e->mm = gr_matcher_new();
	if (!e->bi || !e->mm)
		return GR_E_NOMEM;
	/* A known or partner address claimed without a pass where the
	 * receiving server checked: a stranger's mail. */
	e->forged = gr_extract_auth(m,
	                           &gr_owner_profile(e->o)->authserv_ids) < 0;
	e->known = !e->forged && sender_known(e->o, m, ctx);
	e->auto_level = gr_message_auto_signs(m, &e->auto_why);
	e->signs = gr_message_signs(m);
	e->num[GR_NUM_RECIPIENTS] = (double)(m->to.n + m->cc.n);
	e->num[GR_NUM_TO] = (double)m->to.n;
	e->num[GR_NUM_CC] = (double)m->cc.n;
	e->num[GR_NUM_ATTACHMENTS] = (double)m->n_attachments;
	e->num[GR_NUM_BODY_WORDS] = count_words(m->new_text);
	memset(e->pv, -1, sizeof e->pv);
	match_services(e);
	match_ask_services(e);
	match_loose(e);
	return GR_OK;
}

typedef struct scoring {
	ev *e;
	gr_verdict *v;
	int features;
} scoring;

/* A rule held: its learned weights (else its hand-set scores) count, and
 * it is a reason. */
static gr_status
rule_fired(void *aux, const gr_rule_info *ri, const char *excerpt)
{
	scoring *sc = aux;
	gr_verdict *v = sc->v;
	const double *w = NULL;
	char name[256];

	snprintf(name, sizeof name, "rule:%s", ri->name);
	if (sc->features && gr_strv_push(&v->features, name) != GR_OK)
		return GR_E_NOMEM;
	if (v->learned)
		w = gr_rules_weight(sc->e->r, name);
	if (!w)
		w = ri->score;
	for (int c = 0; c < GR_CLASS_COUNT; c++)
		v->scores[c] += w[c];
	return add_hit(v, ri->name, ri->desc, ri->file, ri->line, w,
	               excerpt);
}

static gr_status
add_contrib(gr_verdict *v, const char *name, const double *w)
{
	gr_contrib *nv = realloc(v->contribs,
	                         (v->n_contribs + 1) * sizeof *nv);

	if (!nv)
		return GR_E_NOMEM;
	v->contribs = nv;
	memset(&nv[v->n_contribs], 0, sizeof *nv);
	snprintf(nv[v->n_contribs].name, sizeof nv[v->n_contribs].name, "%s",
	         name);
	for (int c = 0; c < GR_CLASS_COUNT; c++) {
		nv[v->n_contribs].score[c] = w[c];
		v->scores[c] += w[c];
	}
	v->n_contribs++;
	return GR_OK;
}

/* The facts and words: features, and with weights their contributions. */
static gr_status
score_facts_words(ev *e, gr_verdict *v, int features)
{
	gr_strv words = { 0 };
	const double *w;
	char name[96];
	gr_status st = GR_OK;

	if (v->learned && (w = gr_rules_weight(e->r, "bias")) != NULL)
		st = add_contrib(v, "bias", w);
	for (int p = 0; p < GR_PRED_COUNT && st == GR_OK; p++) {
		if (!fact_pred(e, (gr_pred)p))
			continue;
		snprintf(name, sizeof name, "fact:%s", gr_pred_name((gr_pred)p));
		if (features)
			st = gr_strv_push(&v->features, name);
		if (st == GR_OK && v->learned &&
		    (w = gr_rules_weight(e->r, name)) != NULL)
			st = add_contrib(v, name, w);
	}
	if (st == GR_OK && (features || v->learned))
		st = gr_classify_words(e->m, &words);
	for (size_t i = 0; i < words.n && st == GR_OK; i++) {
		if (features)
			st = gr_strv_push(&v->features, words.v[i]);
		if (st == GR_OK && v->learned &&
		    (w = gr_rules_weight(e->r, words.v[i])) != NULL)
			st = add_contrib(v, words.v[i], w);
	}
	gr_strv_free(&words);
	return st;
}

static gr_status
score_rules(ev *e, gr_verdict *v, int features)
{
	const gr_facts f = {
		.text = fact_text,
		.header = fact_header,
		.num = fact_num,
		.pred = fact_pred,
		.aux = e,
	};
	scoring sc = { e, v, features };
	gr_status st;

	v->learned = gr_rules_has_weights(e->r);
	v->budget.cpu_seconds = GR_CLASSIFY_CPU_SECONDS;
	st = gr_rules_eval_within(e->r, &f, e->mm, &v->budget, rule_fired, &sc);
	if (st == GR_OK)
		st = score_facts_words(e, v, features);
	return st;
}

static int
draft_class(gr_class c)
{
	return c == GR_CLASS_INQUIRY || c == GR_CLASS_OUT_OF_SCOPE ||
	       c == GR_CLASS_REFERRAL_INTRO;
}

/* The machine signs as the decision uses them.  Hard signs (an answering
 * machine, a delivery report, a null return path, Precedence list/junk, a
 * no-reply sender that relays no person's words) force "automated";
 * bulk-mail signs (List-Unsubscribe, List-Id, Precedence bulk, campaign
 * headers) rule out the classes that get a reply draft, unless a platform
 * relays a person's words. */
static const char *
machine_signs(ev *e, int *hard, int *soft)
{
	int is_relay = fact_pred(e, GR_PRED_RELAY);

	*hard = *soft = 0;
	if (fact_pred(e, GR_PRED_AUTO_SUBMITTED))
		return *hard = 1, "an answering machine (Auto-Submitted, an "
		       "auto-reply header or subject)";
	if (fact_pred(e, GR_PRED_IS_REPORT))
		return *hard = 1, "delivery or read report";
	if (e->signs & GR_SIGN_NULL_RETURN)
		return *hard = 1, "null return path (RFC 3834)";
	if (e->signs & (GR_SIGN_PREC_LIST | GR_SIGN_PREC_JUNK |
	                GR_SIGN_PREC_AUTOREPLY))
		return *hard = 1, "Precedence: list/junk";
	if (fact_pred(e, GR_PRED_FROM_MACHINE) && !is_relay)
		return *hard = 1, "sent from a no-reply/daemon address, "
		       "relaying no person's words";
	if (!is_relay && (fact_pred(e, GR_PRED_LIST_UNSUBSCRIBE) ||
	                  fact_pred(e, GR_PRED_MAILING_LIST) ||
	                  fact_pred(e, GR_PRED_BULK_MAIL)))
		return *soft = 1, "sent by a bulk-mail tool (List-Unsubscribe, "
		       "List-Id, Precedence: bulk)";

	return NULL;
}

/* Decide v->cls from the scores, the overrides and the built-in safety
 * rules (automated mail, known senders). */
static gr_status
decide(ev *e, gr_verdict *v)
{
	gr_override_match om;
	int always, hard, soft;
	const char *why = machine_signs(e, &hard, &soft);
	unsigned excluded = 0;
	gr_class pick;

	gr_rules_overrides(e->r, e->m->from.addr,
	                   gr_message_reply_addr(e->m)->addr, &om);
	if (e->known) {
		om.excluded[GR_CLASS_COLD_PITCH] = 1;
		add_hit(v, "known-sender", "the owner knows this sender "
		        "(contacts or Sent mail): never cold_pitch",
		        BUILTIN_FILE, 0, NULL, NULL);
	}
	for (int c = 0; c < GR_CLASS_COUNT; c++)
		if (om.excluded[c])
			excluded |= 1u << c;
	if (soft && v->learned) {
		/* bulk mail gets no reply draft: the model picks among the
		 * other classes (unless overrides ruled those out too) */
		unsigned more = excluded;

		for (int c = 0; c < GR_CLASS_COUNT; c++)
			if (draft_class((gr_class)c))
				more |= 1u << c;
		if (more != (1u << GR_CLASS_COUNT) - 1)
			excluded = more;
	}
	if (gr_owner_n_services(e->o) == 0 &&
	    !(excluded & (1u << GR_CLASS_OUT_OF_SCOPE)) &&
	    (v->learned ? gr_model_pick(v->scores, excluded) :
	     best_class(v, om.excluded, gr_rules_threshold(e->r))) ==
	    GR_CLASS_OUT_OF_SCOPE) {
		/* Out of scope means "not a service of the owner's": an
		 * owner who lists none has not said what is not theirs. */
		om.excluded[GR_CLASS_OUT_OF_SCOPE] = 1;
		excluded |= 1u << GR_CLASS_OUT_OF_SCOPE;
		add_hit(v, "no-services", "the owner lists no services: every "
		        "request is taken as one for them, never out_of_scope",
		        BUILTIN_FILE, 0, NULL, NULL);
	}
	v->excluded = excluded;
	v->forced = hard ? (int)GR_CLASS_AUTOMATED : -1;
	always = om.always != NULL;
	if (v->learned)
		pick = gr_model_pick(v->scores, excluded);
	else
		pick = best_class(v, om.excluded, gr_rules_threshold(e->r));
	if (always) {
		pick = om.always_cls;
		v->override = gr_strdup(om.always);
	} else if (om.never) {
		v->override = gr_strdup(om.never);
	}
	if (hard && pick != GR_CLASS_AUTOMATED &&
	    !(always && !draft_class(pick))) {
		add_hit(v, "automated-signs", why, BUILTIN_FILE, 0, NULL, NULL);
		pick = GR_CLASS_AUTOMATED;
	} else if (soft && !v->learned && pick != GR_CLASS_AUTOMATED &&
	           pick != GR_CLASS_COLD_PITCH &&
	           !(always && !draft_class(pick))) {
		add_hit(v, "automated-signs", why, BUILTIN_FILE, 0, NULL, NULL);
		pick = GR_CLASS_AUTOMATED;
	} else if (soft && draft_class(pick) && !always) {
		/* every other class was ruled out by overrides */
		add_hit(v, "automated-signs", why, BUILTIN_FILE, 0, NULL, NULL);
		pick = GR_CLASS_AUTOMATED;
	} else if (soft && pick == GR_CLASS_COLD_PITCH) {
		add_hit(v, "bulk-prospecting", "bulk-tool signs, but the "
		        "rules say it prospects the owner: cold_pitch (no "
		        "draft either way)", BUILTIN_FILE, 0, NULL, NULL);
	}
	v->cls = pick;
	return GR_OK;
}

gr_status
gr_classify(const gr_rules *r, const gr_message *m,
            const gr_classify_ctx *ctx, gr_verdict *out, gr_error *err)
{
	ev e;
	gr_status st;

	memset(out, 0, sizeof *out);
	out->cls = GR_CLASS_OTHER;
	if (!r || !m)
		return gr_error_set(err, GR_E_INTERNAL, "classify: no rules or "
		                    "no message");
	st = ev_init(&e, r, m, ctx);
	if (st == GR_OK)
		st = score_rules(&e, out, ctx && ctx->want_features);
	if (st == GR_OK)
		st = decide(&e, out);
	if (st != GR_OK) {
		ev_free(&e);
		gr_verdict_free(out);
		return gr_error_set(err, st, "classify: out of memory");
	}
	out->sender_known = e.known;
	/* the plan's relay: the fact, or relay wording from a platform's
	 * notice mailbox ("notification@") */
	out->relay = (fact_pred(&e, GR_PRED_RELAY) ||
	              (gr_addr_is_notifier(m->from.addr) &&
	               (gr_rules_list_match(r, "relay_person", m->subject,
	                                    e.mm) > 0 ||
	                gr_rules_list_match(r, "relay_person", m->text,
	                                    e.mm) > 0))) &&
	             gr_rules_list_match(r, "event_notice", m->subject,
	                                 e.mm) <= 0;
	/* out of scope: the need is the referred-out service most named,
	 * even when an offered one is named more (the owner's own trade is
	 * the context of such asks) */
	if (out->cls == GR_CLASS_OUT_OF_SCOPE && e.best_referred >= 0)
		e.best_svc = e.best_referred;
	if (e.best_svc >= 0) {
		out->service = gr_owner_service(e.o, (size_t)e.best_svc);
		if (!out->service->offered)
			out->partner = gr_owner_partner_for(e.o,
			                                    out->service->key);
	}
	if (out->cls == GR_CLASS_REFERRAL_INTRO)
		intro_parties(&e, out);
	ev_free(&e);
	return GR_OK;
}

void
gr_verdict_free(gr_verdict *v)
{
	if (!v)
		return;
	free(v->hits);
	free(v->override);
	free(v->introducer.name);
	free(v->introducer.addr);
	free(v->new_contact.name);
	free(v->new_contact.addr);
	free(v->contribs);
	gr_strv_free(&v->features);
	memset(v, 0, sizeof *v);
	v->cls = GR_CLASS_OTHER;
	v->forced = -1;
}
