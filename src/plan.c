/* SPDX-License-Identifier: MIT */
/*
 * plan.c - the outputs (reminder .ics, draft .eml) the policy asks for one
 * classified message (plan.h), the follow-up of a conversation that went
 * quiet, and the introduction that closes a double opt-in.
 *
 * Implements the safety rule of RFC 3834 section 2: no draft is ever made
 * for machine-generated mail, whatever the policy says.
 * Output names follow RFC 5545 (UID) and RFC 5322 (msg-id) syntax.
 *
 * What a draft says comes from the message (extract.h): its questions are
 * quoted back with a gap for the owner's answer, what it already gave is
 * not asked again, and it is answered in its language with a greeting of
 * its register (greet.h).  The template is chosen by context
 * (gr_policy_template): language, service, and a sensitive, partner or
 * known-contact situation.
 *
 * Who a draft goes to is decided from the headers only.  A name in the
 * text, a quoted "On ..., X wrote:" line or an unknown sender's say-so
 * never picks a recipient: a thank-you goes to an introducer who is on the
 * message (From, To or Cc, and not a From the receiving server failed to
 * authenticate) or whose introduction the owner's own mail shows; anyone
 * else named as the referrer gets a reminder to confirm and thank.  The
 * introducer is moved to Bcc only when they are on the message and did not
 * ask to be copied, and only then may a draft say so.  Text of the message
 * that reaches a draft to anyone but its sender is names and subjects,
 * capped and stripped of control characters; a partner's note carries the
 * need in the owner's words, never the requester's message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>

#include "gravity/bhours.h"
#include "gravity/buf.h"
#include "gravity/calendar.h"
#include "gravity/draft.h"
#include "gravity/extract.h"
#include "gravity/fileio.h"
#include "gravity/greet.h"
#include "gravity/plan.h"
#include "gravity/template.h"
#include "gravity/util.h"

#define ACT_MAX_TEXT    (256u << 10)
#define ACT_QUOTE_BYTES 4000
#define ACT_NAME_MAX    64      /* bytes of a name from a message */
#define ACT_SUBJ_MAX    200     /* bytes of a subject from a message */
#define ACT_TOPIC_MAX   60      /* bytes of a topic in a summary */
#define ACT_WRAP        72      /* draft lines, after filling in */
#define ACT_CONTACTS    8       /* people introduced, addressed at once */
#define ACT_VARS        96

/* Everything one plan needs, with the strings it makes. */
typedef struct act_run {
	const gr_policy *pol;
	const gr_policy_settings *p;
	const gr_owner *owner;
	const gr_profile *prof;
	const gr_message *m;
	const gr_verdict *v;
	const gr_plan_ctx *ctx;
	char id[17];
	int automated;
	time_t arrival;
	gr_addr who[GR_ROLE_COUNT];     /* borrowed or in owned */
	gr_addr contacts[ACT_CONTACTS]; /* every person introduced */
	size_t ncontacts;
	gr_extract x;
	int auth;                       /* gr_extract_auth */
	int reply_to_differs;           /* Reply-To is not From */
	int intro_on_msg, intro_verified, intro_wrote, copy_asked;
	int sensitive, urgent, known, partner_sender;
	int thanks_skipped;             /* a thank-you draft was not allowed */
	/* A platform relays a person's words (gr_verdict.relay): drafts go
	 * only to a Reply-To that reaches the person (relay_reach); when
	 * none does, no draft, and the reminders say where to answer. */
	int relay, relay_reach;
	const char *platform;           /* "Instagram", "WeddingWire" */
	const char *relay_who;          /* the person's name, or "" */
	const char *relay_link;         /* where the message says to answer */
	const char *lang;               /* the message's language, "" unknown */
	gr_var vars[ACT_VARS];
	size_t nvars;
	gr_strv owned;                  /* values made for vars */
	gr_plan *out;
	gr_error *err;
	const char *why;                /* replaces the classifier's reasons */
	const char *open_question;      /* follow-ups */
	int is_followup;
	int unthreaded;                 /* a new conversation: no In-Reply-To */
} act_run;

static const char *
own(act_run *ar, char *s)
{
	if (!s || gr_strv_push_owned(&ar->owned, s) != GR_OK)
		return "";
	return s;
}

/* s as one line of at most max bytes, control characters gone. */
static const char *
clean(act_run *ar, const char *s, size_t max)
{
	char *c;

	if (!s || !*s)
		return "";
	c = gr_text_clean(s, GR_NL_BLANK, max);
	if (!c)
		return "";
	memmove(c, gr_str_trim(c), strlen(gr_str_trim(c)) + 1);
	return own(ar, c);
}

static void
var_set(act_run *ar, const char *name, const char *value)
{
	for (size_t i = 0; i < ar->nvars; i++)
		if (strcmp(ar->vars[i].name, name) == 0) {
			ar->vars[i].value = value ? value : "";
			return;
		}
	if (ar->nvars < ACT_VARS) {
		ar->vars[ar->nvars].name = name;
		ar->vars[ar->nvars].value = value ? value : "";
		ar->nvars++;
	}
}

static const char *
var_get(const act_run *ar, const char *name)
{
	for (size_t i = 0; i < ar->nvars; i++)
		if (strcmp(ar->vars[i].name, name) == 0)
			return ar->vars[i].value;
	return "";
}

static const char *
flag(int on)
{
	return on ? "1" : "";
}

/* "Tue 24 Nov 2026" or, with clock, "Tue 24 Nov 13:00 PST" in the
 * owner's zone. */
static char *
local_date(const gr_profile *prof, time_t t, int clock)
{
	static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	                                  "Fri", "Sat" };
	static const char *const mo[] = { "Jan", "Feb", "Mar", "Apr", "May",
	                                  "Jun", "Jul", "Aug", "Sep", "Oct",
	                                  "Nov", "Dec" };
	icaltimezone *tz = prof->timezone ?
	                   icaltimezone_get_builtin_timezone(prof->timezone) : NULL;
	struct icaltimetype lt;
	char buf[96], abbr[16] = "UTC";
	int dow;

	if (!tz)
		tz = icaltimezone_get_utc_timezone();
	lt = icaltime_from_timet_with_zone(t, 0, tz);
	dow = icaltime_day_of_week(lt) - 1;
	if (clock) {
		int dst = 0;
		const char *names = icaltimezone_get_tznames(tz);

		lt.zone = tz;
		(void)icaltimezone_get_utc_offset(tz, &lt, &dst);
		if (names && *names) {
			const char *slash = strchr(names, '/');
			const char *nm = slash && dst ? slash + 1 : names;
			size_t n = slash && !dst ? (size_t)(slash - names) : strlen(nm);

			snprintf(abbr, sizeof abbr, "%.*s", (int)n, nm);
		}
		snprintf(buf, sizeof buf, "%s %d %s %02d:%02d %s",
		         wd[(dow + 7) % 7], lt.day, mo[(lt.month + 11) % 12],
		         lt.hour, lt.minute, abbr);
	} else {
		snprintf(buf, sizeof buf, "%s %d %s %d", wd[(dow + 7) % 7], lt.day,
		         mo[(lt.month + 11) % 12], lt.year);
	}
	return gr_strdup(buf);
}

/* Minutes east of UTC of the owner's zone at t. */
static int
utc_offset(const gr_profile *prof, time_t t)
{
	icaltimezone *tz = prof->timezone ?
	                   icaltimezone_get_builtin_timezone(prof->timezone) : NULL;
	struct icaltimetype u;
	int dst = 0;

	if (!tz)
		return 0;
	u = icaltime_from_timet_with_zone(t, 0, icaltimezone_get_utc_timezone());
	return icaltimezone_get_utc_offset_of_utc_time(tz, &u, &dst) / 60;
}

static int
on_list(const gr_addrlist *l, const char *addr)
{
	for (size_t i = 0; addr && i < l->n; i++)
		if (gr_strcaseeq(l->v[i].addr, addr))
			return 1;
	return 0;
}

/* 1 if every address in l was on m (From, Reply-To, To or Cc). */
static int
all_on_message(const gr_message *m, const gr_addrlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (!gr_strcaseeq(l->v[i].addr, m->from.addr) &&
		    !gr_strcaseeq(l->v[i].addr, gr_message_reply_addr(m)->addr) &&
		    !on_list(&m->to, l->v[i].addr) && !on_list(&m->cc, l->v[i].addr))
			return 0;
	return 1;
}

/* --- language ------------------------------------------------------------ */

static const char *
and_word(const char *lang)
{
	static const struct {
		const char *l, *w;
	} t[] = { { "es", "y" }, { "pt", "e" }, { "fr", "et" }, { "de", "und" },
	          { "it", "e" } };

	for (size_t i = 0; lang && i < sizeof t / sizeof t[0]; i++)
		if (strcmp(lang, t[i].l) == 0)
			return t[i].w;
	return "and";
}

/* "Ann", "Ann and Bob", "Ann, Bob and Cy" in lang. */
static char *
join_names(const char *const *v, size_t n, const char *lang)
{
	gr_buf b;

	gr_buf_init(&b, 1024);
	for (size_t i = 0; i < n; i++) {
		if (i && i + 1 == n)
			gr_buf_printf(&b, " %s ", and_word(lang));
		else if (i)
			gr_buf_addstr(&b, ", ");
		gr_buf_addstr(&b, v[i]);
	}
	if (!b.data)
		gr_buf_addstr(&b, "");
	return gr_buf_steal(&b);
}

/* The service in a sentence in lang: its "say" line for lang, else (in the
 * templates' own language) its plain "say" line, or, for a service the
 * owner refers out, its label with the capitals of ordinary words lowered
 * ("Plumbing" reads "plumbing"; "HVAC" stays).  An offered service without
 * a "say" line gives "": its label is a heading ("Mortgages, pre-approval,
 * refinancing"), and a reply that names the wrong one of the owner's own
 * services states something false, while the partner of a referred-out
 * service was chosen by it. */
static char *
service_phrase(const act_run *ar, const char *lang)
{
	const gr_service *s = ar->v->service;
	const char *say;
	char *out, *p;
	int deflang = !lang || !*lang || strcmp(lang, ar->p->lang) == 0;

	if (!s)
		return gr_strdup("");
	if (lang && *lang && (say = gr_owner_service_say(s, lang)) != NULL)
		return gr_strdup(say);
	if (!deflang)
		return gr_strdup("");
	if ((say = gr_owner_service_say(s, NULL)) != NULL)
		return gr_strdup(say);
	/* A referred-out service is named only where it is the subject: in
	 * an inquiry the owner was asked for their own work. */
	if (s->offered || ar->v->cls != GR_CLASS_OUT_OF_SCOPE)
		return gr_strdup("");
	out = gr_strdup(s->label ? s->label : "");
	for (p = out; p && *p;) {
		size_t n = strcspn(p, " ,/");
		int caps = 0;

		for (size_t i = 1; i < n; i++)
			caps |= p[i] >= 'A' && p[i] <= 'Z';
		if (!caps && *p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
		p += n;
		while (*p == ' ' || *p == ',' || *p == '/')
			p++;
	}
	return out;
}

/* --- people --------------------------------------------------------------- */

static void
add_contact(act_run *ar, const gr_addr *a)
{
	if (!a->addr || !gr_addr_spec_valid(a->addr) ||
	    gr_owner_is_owner(ar->owner, a->addr) ||
	    gr_strcaseeq(a->addr, ar->v->introducer.addr) ||
	    ar->ncontacts == ACT_CONTACTS)
		return;
	for (size_t i = 0; i < ar->ncontacts; i++)
		if (gr_strcaseeq(ar->contacts[i].addr, a->addr))
			return;
	ar->contacts[ar->ncontacts].addr = a->addr;
	ar->contacts[ar->ncontacts].name = (char *)clean(ar, a->name,
	                                                 ACT_NAME_MAX);
	if (!*ar->contacts[ar->ncontacts].name)
		ar->contacts[ar->ncontacts].name = NULL;
	ar->ncontacts++;
}

static void
resolve_people(act_run *ar)
{
	const gr_message *m = ar->m;
	const gr_verdict *v = ar->v;
	const gr_addr *ra = gr_message_reply_addr(m);
	gr_addr *s = &ar->who[GR_ROLE_SENDER];
	const char *iaddr = v->introducer.addr;

	memset(ar->who, 0, sizeof ar->who);
	ar->reply_to_differs = m->reply_to.n && ra && ra->addr && m->from.addr &&
	                       !gr_strcaseeq(ra->addr, m->from.addr);
	if (ra && ra->addr) {
		s->addr = ra->addr;
		/* A Reply-To of its own keeps its own name, or none: never
		 * the From's name on another address. */
		s->name = (char *)clean(ar, ar->reply_to_differs ? ra->name :
		                        ra->name && *ra->name ? ra->name :
		                        m->from.name, ACT_NAME_MAX);
		if (!*s->name)
			s->name = NULL;
	}
	/* The introducer: on the message, or shown by the owner's mail. */
	if (iaddr || v->introducer.name) {
		gr_addr *in = &ar->who[GR_ROLE_INTRODUCER];

		in->name = (char *)clean(ar, v->introducer.name, ACT_NAME_MAX);
		if (!*in->name)
			in->name = NULL;
		in->addr = v->introducer.addr;
		ar->intro_wrote = iaddr && gr_strcaseeq(iaddr, m->from.addr);
		ar->intro_on_msg = iaddr && (ar->intro_wrote ||
		                             on_list(&m->to, iaddr) ||
		                             on_list(&m->cc, iaddr));
		/* A forged From is no introducer on the message. */
		if (ar->intro_wrote && ar->auth < 0)
			ar->intro_on_msg = ar->intro_wrote = 0;
		ar->intro_verified = ar->intro_on_msg;
		if (!ar->intro_verified && iaddr && ar->ctx->seen_from) {
			const char *ids[64];
			size_t n = 0;

			if (m->in_reply_to)
				ids[n++] = m->in_reply_to;
			for (size_t i = 0; i < m->references.n && n < 64; i++)
				ids[n++] = m->references.v[i];
			ar->intro_verified = n && ar->ctx->seen_from(ar->ctx->aux,
			                                             ids, n, iaddr);
		}
		ar->copy_asked = ar->intro_wrote && ar->x.copy_asked;
	}
	/* Every person introduced; else the one who wrote. */
	if (v->cls == GR_CLASS_REFERRAL_INTRO) {
		/* The introducer's From, even a forged one: the people on the
		 * message are the ones introduced. */
		if (iaddr && gr_strcaseeq(iaddr, m->from.addr)) {
			for (size_t i = 0; i < m->to.n; i++)
				add_contact(ar, &m->to.v[i]);
			for (size_t i = 0; i < m->cc.n; i++)
				add_contact(ar, &m->cc.v[i]);
		}
		if (!ar->ncontacts && v->new_contact.addr &&
		    !gr_strcaseeq(v->new_contact.addr, m->from.addr) &&
		    (on_list(&m->to, v->new_contact.addr) ||
		     on_list(&m->cc, v->new_contact.addr)))
			add_contact(ar, &v->new_contact);
		if (!ar->ncontacts && s->addr &&
		    !gr_strcaseeq(s->addr, iaddr))
			add_contact(ar, s);
		if (ar->ncontacts)
			ar->who[GR_ROLE_NEW_CONTACT] = ar->contacts[0];
	}
	if (v->partner && v->partner->email) {
		ar->who[GR_ROLE_PARTNER].name = v->partner->name;
		ar->who[GR_ROLE_PARTNER].addr = v->partner->email;
	}
	ar->partner_sender = m->from.addr && ar->auth >= 0 &&
	                     gr_owner_partner_by_addr(ar->owner, m->from.addr);
	ar->known = v->sender_known && ar->auth >= 0;
}

/* --- relays ------------------------------------------------------------- */

/* 1 if addr's local part (up to '+', '-', '.' or '_') is a mailbox that
 * platforms and vendors send or collect from, never one person's. */
static int
role_mailbox(const char *addr)
{
	static const char *const roles[] = {
		"notification", "notifications", "notify", "alert", "alerts",
		"newsletter", "news", "marketing", "promo", "sales", "support",
		"billing", "invoice", "invoices", "receipts", "orders",
		"updates", "digest", "system", "mailer", "automailer",
		"bounce", "bounces", "unsubscribe", NULL
	};
	size_t n = strcspn(addr, "@+-._");

	for (int i = 0; roles[i]; i++)
		if (strlen(roles[i]) == n && gr_strncaseeq(addr, roles[i], n))
			return 1;
	return 0;
}

/* The Reply-To of a relayed message reaches the person when it is an
 * address of its own: not From's, no machine's or role mailbox's, not
 * the owner's.  A form service's visitor address and a marketplace's
 * relay address ("reply+...@") do; a platform's own never does. */
static int
relay_reaches(const act_run *ar)
{
	const gr_message *m = ar->m;
	const gr_addr *ra = gr_message_reply_addr(m);

	return m->reply_to.n && ra != &m->from && ra->addr && m->from.addr &&
	       gr_addr_spec_valid(ra->addr) &&
	       !gr_strcaseeq(ra->addr, m->from.addr) &&
	       !gr_addr_is_notifier(ra->addr) && !role_mailbox(ra->addr) &&
	       !gr_owner_is_owner(ar->owner, ra->addr);
}

/* s[0..n) trimmed of blanks, quotes and a trailing ':' or '-'. */
static char *
trimmed(const char *s, size_t n)
{
	while (n && strchr(" \t\"'<", *s))
		s++, n--;
	while (n && strchr(" \t\"'>:-,", s[n - 1]))
		n--;
	return n ? gr_strndup(s, n) : NULL;
}

/* The person a platform's notice names: "Nadia via WeddingWire" in From,
 * "tayo.and.bisi sent you a message", "New message from Rosa Delgado",
 * else the form's Name field. */
static const char *
relay_person(act_run *ar)
{
	static const char *const after[] = {
		" sent you ", " sent a message", " has sent you", " messaged you",
		" wrote to you", " wants to ", " te ha enviado", " te enviou",
		" vous a envoy", " hat dir ", " hat Ihnen ", " ti ha inviato",
		NULL
	};
	static const char *const before[] = {
		"message from ", "inquiry from ", "enquiry from ",
		"request from ", "lead from ", "mensaje de ", "mensagem de ",
		"message de ", "nachricht von ", "messaggio da ", NULL
	};
	const gr_message *m = ar->m;
	const char *subj = m->subject, *p;
	char *who = NULL;

	if (m->from.name && (p = gr_strcasestr(m->from.name, " via ")))
		who = trimmed(m->from.name, (size_t)(p - m->from.name));
	for (int i = 0; !who && after[i]; i++)
		if ((p = gr_strcasestr(subj, after[i])) && p > subj)
			who = trimmed(subj, (size_t)(p - subj));
	for (int i = 0; !who && before[i]; i++)
		if ((p = gr_strcasestr(subj, before[i]))) {
			const char *e, *x;

			p += strlen(before[i]);
			e = p + strcspn(p, "|([");
			if ((x = gr_strcasestr(p, " via ")) && x < e)
				e = x;
			if ((x = gr_strcasestr(p, " on ")) && x < e)
				e = x;
			who = trimmed(p, (size_t)(e - p));
		}
	if (!who && ar->x.form_name)
		who = gr_strdup(ar->x.form_name);
	if (who && (strlen(who) > ACT_NAME_MAX || strchr(who, '@'))) {
		free(who);
		who = NULL;
	}
	return who ? clean(ar, own(ar, who), ACT_NAME_MAX) : "";
}

/* The platform: "WeddingWire" of "Nadia via WeddingWire", else the From
 * name ("Instagram"), else the From domain. */
static const char *
relay_platform(act_run *ar)
{
	const gr_addr *f = &ar->m->from;
	const char *p = f->name ? gr_strcasestr(f->name, " via ") : NULL;

	if (p && *clean(ar, p + 5, 40))
		return clean(ar, p + 5, 40);
	if (f->name && *clean(ar, f->name, 40))
		return clean(ar, f->name, 40);
	if (f->addr && (p = strrchr(f->addr, '@')))
		return clean(ar, p + 1, 60);
	return "the platform";
}

/* The link the message gives to answer at: one on a "Reply:" or "View
 * message" line, else one to a conversation or inbox; never one to
 * unsubscribe or to settings. */
static const char *
relay_link(act_run *ar)
{
	static const char *const cue[] = {
		"reply", "respond", "answer", "view message", "view the message",
		"view conversation", "open message", "read message",
		"responder", "r\xc3\xa9pondre", "antworten", "rispondi", NULL
	};
	static const char *const path[] = {
		"/direct/", "/messages", "/messaging", "/inbox", "/conversation",
		"/thread", "/reply", "/chat", "/leads", "/message", NULL
	};
	static const char *const never[] = {
		"unsubscribe", "settings", "preferences", "/help", "remove",
		"privacy", "opt-out", "optout", NULL
	};
	const char *t = ar->m->text, *best = NULL;
	size_t best_len = 0;
	int best_rank = 0;

	for (const char *p = t; p && (p = strstr(p, "http")); ) {
		const char *line = p, *q = p;
		size_t n;
		int rank = 0, bad = 0;
		char *u;

		while (line > t && line[-1] != '\n')
			line--;
		if (!gr_startswith_ci(p, "https://") &&
		    !gr_startswith_ci(p, "http://")) {
			p += 4;
			continue;
		}
		while (*q && !strchr(" \t\r\n<>\"'()[]", *q))
			q++;
		n = (size_t)(q - p);
		u = gr_strndup(p, n);
		for (int i = 0; u && never[i]; i++)
			bad |= gr_strcasestr(u, never[i]) != NULL;
		for (int i = 0; u && !bad && path[i] && !rank; i++)
			if (gr_strcasestr(u, path[i]))
				rank = 1;
		if (!bad) {
			char *head = gr_strndup(line, (size_t)(p - line));

			for (int i = 0; head && cue[i]; i++)
				if (gr_strcasestr(head, cue[i]))
					rank = 2;
			free(head);
		}
		free(u);
		if (!bad && rank > best_rank && n > 10 && n <= 400) {
			best = p;
			best_len = n;
			best_rank = rank;
		}
		p = q;
	}
	return best ? clean(ar, own(ar, gr_strndup(best, best_len)), 400) : "";
}

static int
draft_class(gr_class c)
{
	return c == GR_CLASS_INQUIRY || c == GR_CLASS_OUT_OF_SCOPE ||
	       c == GR_CLASS_REFERRAL_INTRO;
}

/* Whether the message is a relay, and where its person is answered. */
static void
read_relay(act_run *ar)
{
	ar->relay = ar->v->relay && draft_class(ar->v->cls);
	if (!ar->relay)
		return;
	ar->relay_reach = relay_reaches(ar);
	ar->relay_who = relay_person(ar);
	ar->platform = relay_platform(ar);
	ar->relay_link = ar->relay_reach ? "" : relay_link(ar);
}

/* The name a greeting of person a uses: for the sender, the form's name
 * or the sign-off when the headers give none. */
static void
name_of_person(const act_run *ar, const gr_addr *a, gr_name *out)
{
	const char *signoff = NULL, *display = a->name;

	if (a == &ar->who[GR_ROLE_SENDER] ||
	    (ar->ncontacts && a->addr && ar->m->from.addr &&
	     gr_strcaseeq(a->addr, gr_message_reply_addr(ar->m)->addr))) {
		signoff = ar->x.signoff;
		if (!display || !*display)
			display = ar->x.form_name;
	}
	gr_name_parse(display, signoff, out);
}

static const char *
first_of(act_run *ar, const gr_addr *a)
{
	gr_name n;

	if (!a->addr && !a->name)
		return "";
	name_of_person(ar, a, &n);
	if (!*n.given && !*n.family)
		return "";
	return own(ar, gr_strdup(*n.given ? n.given : n.family));
}

/* --- variables ------------------------------------------------------------ */

static const char *
list_var(act_run *ar, const gr_strv *l, size_t max)
{
	gr_buf b;

	gr_buf_init(&b, 16384);
	for (size_t i = 0; i < l->n && i < max; i++) {
		char *c = gr_text_clean(l->v[i], GR_NL_BLANK, 1024);

		if (c && *c)
			gr_buf_printf(&b, "%s%s", b.len ? "\n" : "", c);
		free(c);
	}
	if (!b.data)
		return "";
	return own(ar, gr_buf_steal(&b));
}

/* What the owner's answer to a question needs, as a note for the gap
 * below it ("[... your price]"): a price, a time, a yes or no.  Several
 * join with "; "; none gives "". */
static const char *const ask_price[] = { "cost", "costs", "price",
	"prices", "pricing", "rate", "rates", "fee", "fees", "how much",
	"quote", "charge", "budget", "package", "packages", "collections", "cuánto", "cuanto", "precio", "costo",
	"coste", "tarifa", "tarifas", "presupuesto", "quanto", "preço",
	"custo", "orçamento", "pacotes", "combien", "prix", "tarif", "tarifs",
	"coût", "devis", "forfait", "forfaits", "paquetes",
	"kosten", "kostet", "preis", "angebot", "honorar", "prezzo",
	"preventivo", NULL };
static const char *const ask_when[] = { "when", "what time", "available",
	"availability", "weekend", "this week", "next week", "saturday",
	"sunday", "monday", "tuesday", "wednesday", "thursday", "friday",
	"have time", "january", "february", "march", "april", "june", "july",
	"august", "september", "october", "november", "december",
	"cuándo", "disponible", "disponibilidad", "sábado", "fin de semana",
	"quando", "disponível", "fim de semana", "quand", "disponibilité",
	"disponibilités", "samedi", "wann", "termin", "zeit", "wochenende",
	"samstag", "nächste woche", "diese woche", "montags", "dienstags",
	"mittwochs", "donnerstags", "freitags", "sabato", "fine settimana",
	"disponibile", NULL };
static const char *const ask_yes[] = { "can you", "could you", "do you",
	"would you", "will you", "are you", "can we", "could we",
	"is it possible", "is that", "is this", "es posible", "é possível",
	"est-ce possible", "ist das möglich", "è possibile", "puede", "podría",
	"podrían",
	"podemos", "hace usted", "trabaja", "pode", "poderia", "consegue",
	"faz", "podemos", "pouvez-vous", "pourriez-vous", "faites-vous",
	"est-ce que vous", "pouvons-nous", "können sie", "könnten sie",
	"können wir", "machen sie", "bieten sie", "kannst du", "gilt",
	"può", "potrebbe", "potreste", "possiamo", "riesce", NULL };

static int
ask_is(const char *q, const char *const *words)
{
	gr_strv l = { (char **)words, 0 };
	int hit;

	while (words[l.n])
		l.n++;
	hit = gr_extract_phrase_in(q, &l, NULL);
	return hit;
}

static void
ask_note(const char *q, const char *lang, char *out, size_t len)
{
	static const struct {
		const char *l, *yes, *yes_how, *price, *when;
	} t[] = {
		{ "es", "sí o no", "sí o no, y cómo", "su precio",
		  "el día y la hora" },
		{ "pt", "sim ou não", "sim ou não, e como", "o seu preço",
		  "o dia e a hora" },
		{ "fr", "oui ou non", "oui ou non, et comment", "votre tarif",
		  "le jour et l'heure" },
		{ "de", "ja oder nein", "ja oder nein, und wie", "Ihr Preis",
		  "Tag und Uhrzeit" },
		{ "it", "sì o no", "sì o no, e come", "il suo prezzo",
		  "il giorno e l'ora" },
		{ "en", "yes or no", "yes or no, and how", "your price",
		  "the day and time" },
	};
	size_t k = 0, o = 0;
	int price = ask_is(q, ask_price), when = ask_is(q, ask_when);
	int yes = strchr(q, '?') && ask_is(q, ask_yes);

	while (k + 1 < sizeof t / sizeof t[0] && (!lang || strcmp(t[k].l, lang)))
		k++;
	*out = '\0';
	if (yes)
		o += (size_t)snprintf(out, len, " %s", price || when ? t[k].yes :
		                      t[k].yes_how);
	if (price && o < len)
		o += (size_t)snprintf(out + o, len - o, "%s %s", o ? ";" : "",
		                      t[k].price);
	if (when && o < len)
		snprintf(out + o, len - o, "%s %s", o ? ";" : "", t[k].when);
}

/* A list of questions, each with the note for its gap after a tab
 * ({{.note}}), in lang. */
static const char *
asks_var(act_run *ar, const gr_strv *l, size_t max, const char *lang)
{
	gr_buf b;

	gr_buf_init(&b, 16384);
	for (size_t i = 0; i < l->n && i < max; i++) {
		char *c = gr_text_clean(l->v[i], GR_NL_BLANK, 1024), note[160];

		if (c && *c) {
			ask_note(c, lang, note, sizeof note);
			gr_buf_printf(&b, "%s%s\t%s", b.len ? "\n" : "", c, note);
		}
		free(c);
	}
	if (!b.data)
		return "";
	return own(ar, gr_buf_steal(&b));
}

/* The sentences on their timeline that are no ask (those are quoted
 * with the asks), each with the note for its gap: the owner says whether
 * the timing works. */
static const char *
timing_only(act_run *ar, const char *lang)
{
	static const struct {
		const char *l, *note;
	} t[] = {
		{ "es", " si ese plazo es posible" },
		{ "pt", " se esse prazo é possível" },
		{ "fr", " si ce calendrier est possible" },
		{ "de", " ob der Zeitplan passt" },
		{ "it", " se i tempi sono fattibili" },
		{ "en", " whether that timing works" },
	};
	size_t k = 0;
	gr_buf b;

	while (k + 1 < sizeof t / sizeof t[0] && (!lang || strcmp(t[k].l, lang)))
		k++;
	gr_buf_init(&b, 8192);
	for (size_t i = 0; i < ar->x.timing.n && i < 2; i++) {
		const char *tm = ar->x.timing.v[i];
		int asked = strchr(tm, '?') != NULL;
		char *c;

		for (size_t j = 0; j < ar->x.asks.n && !asked; j++)
			asked = strstr(ar->x.asks.v[j], tm) ||
			        strstr(tm, ar->x.asks.v[j]);
		/* A piece of a sentence ("au printemps, possiblement...")
		 * is no sentence to quote back. */
		if (asked || (*tm >= 'a' && *tm <= 'z') ||
		    !(c = gr_text_clean(tm, GR_NL_BLANK, 1024)))
			continue;
		if (*c)
			gr_buf_printf(&b, "%s%s\t%s", b.len ? "\n" : "", c,
			              t[k].note);
		free(c);
	}
	if (!b.data)
		return "";
	return own(ar, gr_buf_steal(&b));
}

/* Places that name an area: no digits (not a street number). */
static const char *
area_var(act_run *ar)
{
	const char *v[2];
	size_t n = 0;

	for (size_t i = 0; i < ar->x.places.n && n < 2; i++)
		if (!strpbrk(ar->x.places.v[i], "0123456789"))
			v[n++] = clean(ar, ar->x.places.v[i], 60);
	return n ? own(ar, join_names(v, n, ar->p->lang)) : "";
}

static void
role_vars(act_run *ar, gr_role r)
{
	static const char *const names[GR_ROLE_COUNT][3] = {
		{ "sender_name", "sender_first_name", "sender_email" },
		{ "new_contact_name", "new_contact_first_name",
		  "new_contact_email" },
		{ "introducer_name", "introducer_first_name", "introducer_email" },
		{ "partner_name", "partner_first_name", "partner_email" },
	};
	const gr_addr *a = &ar->who[r];

	var_set(ar, names[r][0], a->name);
	var_set(ar, names[r][1], first_of(ar, a));
	var_set(ar, names[r][2], a->addr);
}

static void
build_vars(act_run *ar)
{
	const gr_profile *prof = ar->prof;
	const gr_verdict *v = ar->v;
	const char *given[ACT_CONTACTS];
	gr_name on;

	gr_name_parse(prof->name, NULL, &on);
	var_set(ar, "owner_name", prof->name);
	var_set(ar, "owner_first_name", own(ar, gr_strdup(*on.given ? on.given :
	                                                   on.family)));
	var_set(ar, "owner_email", prof->emails.n ? prof->emails.v[0] : "");
	var_set(ar, "owner_org", prof->org);
	for (int r = 0; r < GR_ROLE_COUNT; r++)
		role_vars(ar, (gr_role)r);
	for (size_t i = 0; i < ar->ncontacts; i++)
		given[i] = first_of(ar, &ar->contacts[i]);
	var_set(ar, "new_contact_names", ar->ncontacts ?
	        own(ar, join_names(given, ar->ncontacts, ar->lang)) : "");
	var_set(ar, "several_new_contacts", flag(ar->ncontacts > 1));
	var_set(ar, "partner_org", v->partner ? v->partner->org : "");
	var_set(ar, "partner_phone", v->partner ? v->partner->phone : "");
	var_set(ar, "subject", clean(ar, ar->m->subject, ACT_SUBJ_MAX));
	var_set(ar, "service", v->service ? v->service->key : "");
	var_set(ar, "service_label", v->service ? v->service->label : "");
	var_set(ar, "need", own(ar, service_phrase(ar, ar->p->lang)));
	if (!*var_get(ar, "need") && v->service)
		var_set(ar, "need", v->service->label);
	var_set(ar, "area", area_var(ar));
	var_set(ar, "excerpt", clean(ar, ar->x.excerpt,
	                             GR_EXTRACT_MAX_EXCERPT + 8));
	var_set(ar, "signature", prof->signature);
	var_set(ar, "date", ar->m->date ? own(ar, local_date(prof, ar->m->date,
	                                                       0)) : "");
	/* An introducer's note asks nothing of the owner in the new
	 * contact's name: its questions and numbers are the introducer's. */
	if (ar->intro_wrote && v->cls == GR_CLASS_REFERRAL_INTRO) {
		gr_strv_free(&ar->x.questions);
		gr_strv_free(&ar->x.asks);
		gr_strv_free(&ar->x.availability);
		gr_strv_free(&ar->x.phones);
		ar->x.wants_call = 0;
	}
	var_set(ar, "questions", list_var(ar, &ar->x.questions, 8));
	var_set(ar, "asks", list_var(ar, &ar->x.asks, 8));
	var_set(ar, "availability", list_var(ar, &ar->x.availability, 4));
	var_set(ar, "timing", list_var(ar, &ar->x.timing, 4));
	var_set(ar, "budget", clean(ar, ar->x.budget, 60));
	var_set(ar, "phone", ar->x.phones.n ? clean(ar, ar->x.phones.v[0], 40) :
	        "");
	var_set(ar, "place", ar->x.places.n ? clean(ar, ar->x.places.v[0], 60) :
	        "");
	var_set(ar, "wants_call", flag(ar->x.wants_call));
	var_set(ar, "no_rush", flag(ar->x.no_rush || ar->x.later));
	var_set(ar, "sensitive", flag(ar->sensitive));
	var_set(ar, "urgent", flag(ar->urgent));
	var_set(ar, "known", flag(ar->known));
	var_set(ar, "past_client", flag(ar->known));
	var_set(ar, "partner_sender", flag(ar->partner_sender));
	var_set(ar, "introducer_on_message", flag(ar->intro_on_msg));
	var_set(ar, "introducer_copy_asked", flag(ar->copy_asked));
	var_set(ar, "introducer_bcc", "");
	var_set(ar, "introducer_cc", "");
	var_set(ar, "visitor_name", clean(ar, ar->x.form_name, ACT_NAME_MAX));
	var_set(ar, "open_question", clean(ar, ar->open_question, 400));
	var_set(ar, "lang", ar->lang);
	var_set(ar, "formal", flag(ar->x.formal));
	var_set(ar, "greeting", "");
	var_set(ar, "service_phrase", "");
}

static int
conds_hold(const act_run *ar, unsigned c)
{
	int partner = ar->who[GR_ROLE_PARTNER].addr != NULL;

	return !((c & GR_IF_PARTNER && !partner) ||
	         (c & GR_IF_NO_PARTNER && partner) ||
	         (c & GR_IF_OPT_IN && ar->p->direct) ||
	         (c & GR_IF_DIRECT && !ar->p->direct) ||
	         (c & GR_IF_KNOWN && !ar->known) ||
	         (c & GR_IF_UNKNOWN && ar->known));
}

/* --- outputs --------------------------------------------------------------- */

static gr_output *
new_output(act_run *ar, gr_output_kind kind, const char *action)
{
	gr_plan *pl = ar->out;
	gr_output *o, *nv = realloc(pl->v, (pl->n + 1) * sizeof *nv);

	if (!nv)
		return NULL;
	pl->v = nv;
	o = &pl->v[pl->n];
	memset(o, 0, sizeof *o);
	o->kind = kind;
	o->action = gr_strdup(action);
	if (!o->action)
		return NULL;
	pl->n++;
	return o;
}

static char *
name_of(act_run *ar, const char *dir, const char *action, const char *ext)
{
	char safe[64], path[128];

	gr_safe_name(action, safe, 32);
	snprintf(path, sizeof path, "%s/%s-%s.%s", dir, ar->id, safe, ext);
	return gr_strdup(path);
}

/* The 16 hex digits that name the outputs of a message id. */
static void
id_of(const char *s, size_t n, char out[17])
{
	char hex[65];

	gr_sha256_hex(s, n, hex);
	memcpy(out, hex, 16);
	out[16] = '\0';
}

/* The UID of the reminder a reminder follows from (RELATED-TO): the reply
 * reminder of the same message for other actions, the reply reminder of
 * the thread's first message for a follow-up; "" for a reply.  out holds
 * at least 128 bytes. */
static void
related_uid(const char *uid, const char *action, const char *thread,
            char *out, size_t outlen)
{
	const char *dash;

	*out = '\0';
	if (!uid || !action || strcmp(action, "reply") == 0 || outlen < 40)
		return;
	if (strcmp(action, "followup") == 0) {
		char id[17];

		if (thread && *thread) {
			id_of(thread, strlen(thread), id);
			snprintf(out, outlen, "%s-reply@gravity", id);
		}
		return;
	}
	dash = strchr(uid, '-');
	if (dash && dash - uid == 16)
		snprintf(out, outlen, "%.16s-reply@gravity", uid);
}

static char *
why_text(const act_run *ar)
{
	const gr_verdict *v = ar->v;
	gr_buf b;

	gr_buf_init(&b, 4096);
	gr_buf_printf(&b, "classified as %s", gr_class_name(v->cls));
	if (v->override)
		gr_buf_printf(&b, " by %s", v->override);
	for (size_t i = 0; i < v->n_hits && i < 6; i++)
		gr_buf_printf(&b, "%s%s%s%s%s", i ? "; " : ": ",
		              v->hits[i].rule ? v->hits[i].rule : "rule",
		              v->hits[i].desc ? " (" : "",
		              v->hits[i].desc ? v->hits[i].desc : "",
		              v->hits[i].desc ? ")" : "");
	return gr_buf_steal(&b);
}

/* "Name <addr>" or "addr", one line. */
static void
put_person(gr_buf *b, const gr_addr *a)
{
	char *n = a->name ? gr_text_clean(a->name, GR_NL_BLANK, ACT_NAME_MAX) :
	          NULL;

	if (n && *n)
		gr_buf_printf(b, "%s <%s>", n, a->addr ? a->addr : "?");
	else
		gr_buf_addstr(b, a->addr ? a->addr : "(unknown)");
	free(n);
}

/* The subject without Re:/Fwd: prefixes or list tags, one line. */
static char *
topic_of_subject(const char *subj)
{
	char *s = gr_text_clean(subj ? subj : "", GR_NL_BLANK, ACT_SUBJ_MAX);
	char *p = s;

	if (!s)
		return NULL;
	for (int again = 1; again;) {
		again = 0;
		p = gr_str_trim(p);
		if (*p == '[' && strchr(p, ']')) {
			p = strchr(p, ']') + 1;
			again = 1;
		}
		for (const char *const *w = (const char *const[]){ "re:", "fwd:",
		     "fw:", "aw:", "wg:", "tr:", "rv:", "enc:", "r:", NULL };
		     *w; w++)
			if (gr_startswith_ci(p, *w)) {
				p += strlen(*w);
				again = 1;
			}
	}
	memmove(s, p, strlen(p) + 1);
	return s;
}

/* At most max bytes of s, cut at a word with "…". */
static char *
shorten(const char *s, size_t max)
{
	size_t n = strlen(s);
	char *o;

	if (n <= max)
		return gr_strdup(s);
	n = max;
	while (n && s[n] != ' ')
		n--;
	if (!n)
		for (n = max; n && ((unsigned char)s[n] & 0xC0) == 0x80; n--)
			;       /* not inside a character */
	o = malloc(n + 4);
	if (o)
		snprintf(o, n + 4, "%.*s\xe2\x80\xa6", (int)n, s);
	return o;
}

/* What the reminder is about, in a few words: the first question that
 * stands on its own, else the subject. */
static char *
topic(const act_run *ar)
{
	static const char *const leaning[] = { "it ", "is it", "one ", "that",
		"this", "could we", "can we", "would you", "do you", "does it",
		"is that", "and ", "also", "so ", NULL };
	char *t = NULL;

	for (size_t i = 0; i < ar->x.questions.n && !t; i++) {
		const char *q = ar->x.questions.v[i];
		int lean = 0;

		for (size_t k = 0; leaning[k]; k++)
			lean |= gr_startswith_ci(q, leaning[k]);
		if (!lean && strlen(q) <= ACT_TOPIC_MAX + 20)
			t = shorten(q, ACT_TOPIC_MAX);
	}
	if (!t) {
		char *s = topic_of_subject(ar->m->subject);

		t = s && *s ? shorten(s, ACT_TOPIC_MAX) : gr_strdup("");
		free(s);
	}
	return t;
}

static const char *
first_or_addr(act_run *ar, const gr_addr *a)
{
	const char *f = first_of(ar, a);

	return *f ? f : a->addr ? a->addr : "the sender";
}

static char *
default_summary(act_run *ar, const gr_action *it)
{
	const gr_addr *a = &ar->who[it->who];
	const char *who = first_or_addr(ar, a);
	const char *need = var_get(ar, "need");
	char *tp = topic(ar);
	gr_buf b;
	/* a relayed person no address reaches: say where to answer */
	int unreached = ar->relay && !ar->relay_reach && !ar->is_followup &&
	                it->who == GR_ROLE_SENDER;

	/* a handle ("tayo.and.bisi") as the platform shows it */
	if (unreached && *ar->relay_who && !strchr(ar->relay_who, ' '))
		who = ar->relay_who;

	gr_buf_init(&b, 2048);
	if (ar->is_followup) {
		gr_buf_printf(&b, "Follow up with %s: %s", who,
		              ar->open_question && *ar->open_question ?
		              var_get(ar, "open_question") : tp ? tp : "");
	} else if (strcmp(it->action, "reply") == 0 &&
	           ar->v->cls == GR_CLASS_REFERRAL_INTRO) {
		const char *in = first_of(ar, &ar->who[GR_ROLE_INTRODUCER]);

		gr_buf_printf(&b, "Reply to %s", *var_get(ar, "new_contact_names") ?
		              var_get(ar, "new_contact_names") : who);
		if (*in)
			gr_buf_printf(&b, " (%s by %s)", ar->intro_wrote ?
			              "introduced" : "referred", in);
		if (tp && *tp)
			gr_buf_printf(&b, ": %s", tp);
	} else if (strcmp(it->action, "reply") == 0 &&
	           ar->v->cls == GR_CLASS_OUT_OF_SCOPE) {
		const gr_addr *pa = &ar->who[GR_ROLE_PARTNER];

		if (pa->addr && ar->p->direct)
			gr_buf_printf(&b, "Introduce %s to %s (%s)", who,
			              pa->name ? pa->name : pa->addr, *need ? need :
			              tp ? tp : "");
		else if (pa->addr)
			gr_buf_printf(&b, "Ask %s, then offer %s an introduction "
			              "(%s)", first_or_addr(ar, pa), who,
			              *need ? need : tp ? tp : "");
		else
			gr_buf_printf(&b, "Reply to %s: %s (no partner for it)", who,
			              *need ? need : tp ? tp : "");
	} else if (strcmp(it->action, "reply") == 0 && ar->x.wants_call &&
	           ar->x.phones.n) {
		gr_buf_printf(&b, "Call %s at %s", who, var_get(ar, "phone"));
		if (tp && *tp)
			gr_buf_printf(&b, ": %s", tp);
	} else if (strcmp(it->action, "reply") == 0 && unreached) {
		gr_buf_printf(&b, "Reply on %s to %s: %s", ar->platform, who,
		              tp && *tp ? tp : "(no subject)");
		unreached = 0;
	} else if (strcmp(it->action, "reply") == 0) {
		gr_buf_printf(&b, "Reply to %s: %s", who, tp && *tp ? tp :
		              "(no subject)");
	} else if (strncmp(it->action, "thank", 5) == 0) {
		gr_buf_printf(&b, "Thank %s for introducing %s", who,
		              *var_get(ar, "new_contact_names") ?
		              var_get(ar, "new_contact_names") : "them");
	} else {
		gr_buf_printf(&b, "%s %s: %s", it->action, who, tp ? tp : "");
	}
	/* A Reply-To that is not From: say so (both addresses are in the
	 * description). */
	if (ar->reply_to_differs && it->who == GR_ROLE_SENDER && !ar->is_followup)
		gr_buf_printf(&b, " [Reply-To: %s]", ar->who[GR_ROLE_SENDER].addr);
	else if (unreached)
		gr_buf_printf(&b, " [reply on %s]", ar->platform);
	free(tp);
	return gr_buf_steal(&b);
}

/* The reminder's text: what to answer first (the asks, when they are
 * free, a tel: link), then who, what and when, the reasons last. */
static char *
reminder_description(act_run *ar, const gr_action *it)
{
	const gr_message *m = ar->m;
	const gr_addr *s = &ar->who[GR_ROLE_SENDER];
	const gr_addr *in = &ar->who[GR_ROLE_INTRODUCER];
	char *why = ar->why ? gr_strdup(ar->why) : why_text(ar), *when = NULL;
	gr_buf b;

	gr_buf_init(&b, 16384);
	if (ar->relay && !ar->relay_reach && !ar->is_followup) {
		gr_buf_printf(&b, "Answer on %s%s%s\n", ar->platform,
		              *ar->relay_link ? ": " : "", ar->relay_link);
		gr_buf_printf(&b, "%s wrote through %s, and no e-mail address "
		              "reaches them: the message came from the "
		              "platform's own address, so no draft was "
		              "written.\n\n", *ar->relay_who ? ar->relay_who :
		              "The person", ar->platform);
	}
	if (ar->thanks_skipped && strcmp(it->action, "thanks") == 0 && in->name) {
		gr_buf_printf(&b, "%s names %s as the one who referred them",
		              first_or_addr(ar, s), in->name);
		if (in->addr)
			gr_buf_printf(&b, " (%s: quoted in the message, not on it)",
			              in->addr);
		gr_buf_addstr(&b, ". Confirm it, then thank them yourself: gravity "
		              "drafts a thank-you only to an introducer who is on "
		              "the message.\n\n");
	}
	if (ar->is_followup && ar->open_question && *ar->open_question)
		gr_buf_printf(&b, "Your open question:\n> %s\n\n",
		              var_get(ar, "open_question"));
	if (!ar->is_followup && ar->x.asks.n) {
		gr_buf_addstr(&b, "They ask:\n");
		for (size_t i = 0; i < ar->x.asks.n && i < 8; i++) {
			char *c = gr_text_clean(ar->x.asks.v[i], GR_NL_BLANK, 1024);

			gr_buf_printf(&b, "> %s\n", c ? c : "");
			free(c);
		}
		gr_buf_addc(&b, '\n');
	}
	if (!ar->is_followup) {
		for (size_t i = 0; i < ar->x.phones.n && i < 3; i++) {
			char tel[32];

			gr_extract_tel(ar->x.phones.v[i], tel, sizeof tel);
			gr_buf_printf(&b, "Phone: tel:%s (%s)%s\n", tel,
			              ar->x.phones.v[i], i == 0 && ar->x.wants_call ?
			              ", asked for a call" : "");
		}
		for (size_t i = 0; i < ar->x.availability.n && i < 2; i++) {
			char *c = gr_text_clean(ar->x.availability.v[i], GR_NL_BLANK,
			                        400);

			gr_buf_printf(&b, "When: %s\n", c ? c : "");
			free(c);
		}
		if (ar->x.budget)
			gr_buf_printf(&b, "Budget: %s\n", var_get(ar, "budget"));
		if (*var_get(ar, "area"))
			gr_buf_printf(&b, "Area: %s\n", var_get(ar, "area"));
		for (size_t i = 0; i < ar->x.timing.n && i < 2; i++) {
			char *c = gr_text_clean(ar->x.timing.v[i], GR_NL_BLANK, 400);

			gr_buf_printf(&b, "Timing: %s\n", c ? c : "");
			free(c);
		}
		if (ar->x.no_rush || ar->x.later)
			gr_buf_addstr(&b, "They are in no rush.\n");
		if (ar->sensitive)
			gr_buf_addstr(&b, "A sensitive situation: answer with care.\n");
		if (ar->urgent && ar->v->cls == GR_CLASS_OUT_OF_SCOPE)
			gr_buf_addstr(&b, "It sounds urgent.\n");
		if (b.len)
			gr_buf_addc(&b, '\n');
	}
	if (m->date)
		when = local_date(ar->prof, m->date, 1);
	gr_buf_addstr(&b, ar->is_followup ? "To: " : "From: ");
	put_person(&b, ar->is_followup ? s : &m->from);
	gr_buf_addc(&b, '\n');
	if (ar->reply_to_differs) {
		gr_buf_addstr(&b, "Reply-To: ");
		put_person(&b, s);
		gr_buf_addstr(&b, " (not the From address: check before you "
		              "answer)\n");
	}
	if (ar->ncontacts && ar->v->cls == GR_CLASS_REFERRAL_INTRO) {
		gr_buf_addstr(&b, "Introduced: ");
		for (size_t i = 0; i < ar->ncontacts; i++) {
			if (i)
				gr_buf_addstr(&b, ", ");
			put_person(&b, &ar->contacts[i]);
		}
		gr_buf_addc(&b, '\n');
	}
	if (in->name || in->addr) {
		gr_buf_addstr(&b, "Introducer: ");
		put_person(&b, in);
		gr_buf_printf(&b, "%s\n", ar->intro_on_msg ? "" : ar->intro_verified ?
		              " (your mail shows the introduction)" : in->addr ?
		              " (quoted only: unconfirmed)" : " (named only)");
	}
	gr_buf_printf(&b, "Subject: %s\n", var_get(ar, "subject"));
	if (when)
		gr_buf_printf(&b, "%s: %s\n", ar->is_followup ? "You wrote" :
		              "Received", when);
	if (ar->v->service)
		gr_buf_printf(&b, "Service: %s\n", ar->v->service->label);
	if (ar->who[GR_ROLE_PARTNER].addr) {
		gr_buf_addstr(&b, "Partner: ");
		put_person(&b, &ar->who[GR_ROLE_PARTNER]);
		if (ar->v->partner && ar->v->partner->phone)
			gr_buf_printf(&b, ", %s", ar->v->partner->phone);
		gr_buf_addc(&b, '\n');
	}
	if (ar->auth < 0)
		gr_buf_addstr(&b, "Authentication: the receiving server found no "
		              "DKIM, SPF or DMARC pass for the From address.\n");
	gr_buf_printf(&b, "Why: %s\n", why ? why : "");
	free(why);
	free(when);
	return gr_buf_steal(&b);
}

/* One reminder for action it; summary_text, when not NULL, is its title
 * instead of the action's summary or the default. */
static gr_status
plan_reminder(act_run *ar, const gr_action *it, const char *summary_text)
{
	gr_reminder rem;
	gr_output *o;
	char uid[128], rel[128], *summary = NULL, *desc = NULL, *body = NULL;
	char *when;
	gr_status st;
	int seq;

	memset(&rem, 0, sizeof rem);
	st = gr_due_compute(ar->prof, &it->due, ar->arrival, &rem.due, ar->err);
	if (st != GR_OK)
		return st;
	snprintf(uid, sizeof uid, "%s-%s@gravity", ar->id, it->action);
	related_uid(uid, ar->is_followup ? "followup" : it->action,
	            ar->is_followup && ar->m->references.n ?
	            ar->m->references.v[0] : ar->m->message_id, rel, sizeof rel);
	seq = ar->ctx->sequence_of ? ar->ctx->sequence_of(ar->ctx->aux, uid) : -1;
	if (summary_text)
		summary = gr_strdup(summary_text);
	else if (it->summary)
		st = gr_template_render(it->summary, ar->vars, ar->nvars, &body,
		                        &summary, ar->err);
	else
		summary = default_summary(ar, it);
	free(body);
	desc = reminder_description(ar, it);
	if (st != GR_OK || !summary || !desc)
		goto out;
	rem.uid = uid;
	rem.sequence = seq >= 0 ? seq + 1 : 0;
	rem.as_todo = ar->p->as_todo;
	rem.duration_min = ar->p->duration_min;
	rem.alarm_min = ar->p->alarm_min;
	rem.tzid = ar->prof->timezone;
	rem.summary = summary;
	rem.description = desc;
	rem.message_id = ar->m->message_id;
	rem.related_to = *rel ? rel : NULL;
	rem.dtstamp = ar->ctx->now;
	st = GR_E_NOMEM;
	if (!(o = new_output(ar, GR_OUT_REMINDER, it->action)))
		goto out;
	st = gr_calendar_render_with(ar->ctx->cal, &rem, &o->content, ar->err);
	if (st != GR_OK)
		goto out;
	o->len = strlen(o->content);
	o->uid = gr_strdup(uid);
	o->sequence = rem.sequence;
	o->due = rem.due;
	o->rem_summary = gr_strdup(summary);
	o->rem_description = gr_strdup(desc);
	o->tzid = rem.tzid ? gr_strdup(rem.tzid) : NULL;
	o->peer = ar->who[it->who].addr ? gr_strdup(ar->who[it->who].addr) :
	          NULL;
	o->as_todo = rem.as_todo;
	o->duration_min = rem.duration_min;
	o->alarm_min = rem.alarm_min;
	o->relpath = name_of(ar, "reminders", it->action, "ics");
	when = local_date(ar->prof, rem.due, 1);
	o->summary = malloc(strlen(summary) + 64);
	if (o->summary)
		snprintf(o->summary, strlen(summary) + 64, "reminder: %s "
		         "\xe2\x80\x94 due %.40s", summary, when ? when : "?");
	free(when);
	st = o->uid && o->relpath && o->summary && o->rem_summary &&
	     o->rem_description ? GR_OK : GR_E_NOMEM;
out:
	if (st == GR_E_NOMEM)
		gr_error_set(ar->err, st, "plan: out of memory");
	free(summary);
	free(desc);
	return st;
}

/* --- drafts --------------------------------------------------------------- */

/* Add a to l unless unknown, the owner's or already in seen; seen
 * collects every address used. */
static gr_status
add_addr(act_run *ar, gr_addrlist *l, const gr_addr *a, gr_strv *seen)
{
	gr_addr *nv;

	/* never a machine's or a platform's notice mailbox (RFC 3834) */
	if (!a->addr || !gr_addr_spec_valid(a->addr) ||
	    gr_owner_is_owner(ar->owner, a->addr) ||
	    gr_addr_is_notifier(a->addr) ||
	    gr_strv_contains_ci(seen, a->addr))
		return GR_OK;
	nv = realloc(l->v, (l->n + 1) * sizeof *nv);
	if (!nv)
		return GR_E_NOMEM;
	l->v = nv;
	l->v[l->n].addr = a->addr;
	l->v[l->n].name = a->name;
	l->n++;
	if (gr_strv_push(seen, a->addr) != GR_OK)
		return GR_E_NOMEM;
	return GR_OK;
}

static gr_status
add_role(act_run *ar, gr_addrlist *l, gr_role r, gr_strv *seen)
{
	gr_status st = GR_OK;

	if (r == GR_ROLE_NEW_CONTACT && ar->ncontacts) {
		for (size_t i = 0; i < ar->ncontacts && st == GR_OK; i++)
			st = add_addr(ar, l, &ar->contacts[i], seen);
		return st;
	}
	return add_addr(ar, l, &ar->who[r], seen);
}

/* "On Tue 24 Nov 2026, Dana Lee wrote:" (in the draft's language) and
 * "> " lines, bounded.  A web form's message is quoted under the
 * visitor's name, without its field labels. */
static gr_status
add_quote(act_run *ar, gr_buf *b, const char *lang)
{
	const gr_message *m = ar->m;
	const char *t = ar->x.web_form && ar->x.text ? ar->x.text :
	                m->new_text && *m->new_text ? m->new_text : m->text;
	const gr_addr *s = &ar->who[GR_ROLE_SENDER];
	const char *who = ar->reply_to_differs ?
	                  (s->name ? s->name : *var_get(ar, "visitor_name") ?
	                   var_get(ar, "visitor_name") : s->addr) :
	                  m->from.name && *m->from.name ? m->from.name :
	                  m->from.addr ? m->from.addr : "you";
	char *when = NULL, *w = gr_text_clean(who, GR_NL_BLANK, ACT_NAME_MAX);
	char dmy[16] = "";
	int lines = 0, said = 0;
	size_t start = b->len;

	if (m->date) {
		icaltimezone *tz = ar->prof->timezone ?
		        icaltimezone_get_builtin_timezone(ar->prof->timezone) : NULL;
		struct icaltimetype lt = icaltime_from_timet_with_zone(m->date, 0,
		        tz ? tz : icaltimezone_get_utc_timezone());

		snprintf(dmy, sizeof dmy, strcmp(lang, "de") == 0 ?
		         "%02d.%02d.%04d" : "%02d/%02d/%04d", lt.day, lt.month,
		         lt.year);
		when = local_date(ar->prof, m->date, 0);
	}
	{
		/* Before the date, between date and name, after the name. */
		static const struct {
			const char *l, *pre, *mid, *post;
		} at[] = {
			{ "es", "El ", ", ", " escribi\xc3\xb3:" },
			{ "pt", "Em ", ", ", " escreveu:" },
			{ "fr", "Le ", ", ", " a \xc3\xa9" "crit :" },
			{ "de", "Am ", " schrieb ", ":" },
			{ "it", "Il giorno ", ", ", " ha scritto:" },
			{ "en", "On ", ", ", " wrote:" },
		};
		size_t k = 0;
		const char *date = strcmp(lang, "en") == 0 || !*lang ? when : dmy;

		while (k + 1 < sizeof at / sizeof at[0] && strcmp(at[k].l, lang))
			k++;
		if (date && *date)
			gr_buf_printf(b, "\n\n%s%s%s%s%s\n", at[k].pre, date, at[k].mid,
			              w ? w : "", at[k].post);
		else
			gr_buf_printf(b, "\n\n%s%s\n", w ? w : "", strcmp(at[k].l,
			              "de") == 0 ? " schrieb:" : at[k].post);
	}
	free(when);
	free(w);
	while (t && *t && lines < ar->p->quote_lines &&
	       b->len - start < ACT_QUOTE_BYTES) {
		size_t n = strcspn(t, "\n");
		char *line;
		int skip = 0;

		if (n && t[n - 1] == '\r')
			n--;
		/* A relayed message is quoted without the platform's words
		 * and links (a lead's dashboard is the owner's alone). */
		if (ar->relay && n && (line = gr_strndup(t, n)) != NULL) {
			skip = gr_extract_boilerplate(line) ? 2 :
			       strstr(line, "://") != NULL;
			free(line);
		}
		if (skip == 2 && said)
			break;          /* the platform's footer */
		said |= !skip && n > 0;
		if (skip) {
			t += strcspn(t, "\n");
			t += *t == '\n';
			continue;
		}
		if (gr_buf_printf(b, n ? "> %.*s\n" : ">\n", (int)n, t) != GR_OK)
			return GR_E_LIMIT;
		t += strcspn(t, "\n");
		t += *t == '\n';
		lines++;
	}
	if (t && *t)
		gr_buf_addstr(b, "> [...]\n");
	return GR_OK;
}

/* The body: the text, the quote (only when may_quote), then the signature
 * below "-- ", wrapped after filling in. */
static char *
draft_body(act_run *ar, const gr_action *it, const gr_template *t,
           const char *text, const char *lang, int may_quote)
{
	const char *sig = ar->prof->signature;
	int quote = may_quote && (it->quote >= 0 ? it->quote :
	            (it->to == GR_ROLE_SENDER || it->to == GR_ROLE_NEW_CONTACT));
	gr_buf b;
	char *raw, *wrapped;

	gr_buf_init(&b, ACT_MAX_TEXT);
	gr_buf_addstr(&b, text);
	while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == ' '))
		b.data[--b.len] = '\0';
	if (quote && ar->p->quote_lines > 0)
		add_quote(ar, &b, lang);
	while (b.len && b.data[b.len - 1] == '\n')
		b.data[--b.len] = '\0';
	if (sig && *sig && !gr_template_uses(t, "signature"))
		gr_buf_printf(&b, "\n\n-- \n%s", sig);
	gr_buf_addc(&b, '\n');
	raw = gr_buf_steal(&b);
	if (!raw)
		return NULL;
	wrapped = gr_draft_wrap(raw, ACT_WRAP);
	free(raw);
	return wrapped;
}

static char *
draft_summary(const gr_draft *d)
{
	gr_buf b;

	gr_buf_init(&b, 4096);
	gr_buf_addstr(&b, "draft to ");
	for (size_t i = 0; i < d->to.n; i++)
		gr_buf_printf(&b, "%s%s%s<%s>", i ? ", " : "",
		              d->to.v[i].name ? d->to.v[i].name : "",
		              d->to.v[i].name ? " " : "", d->to.v[i].addr);
	for (size_t i = 0; i < d->cc.n; i++)
		gr_buf_printf(&b, "%s<%s>", i ? ", " : " (cc ", d->cc.v[i].addr);
	gr_buf_addstr(&b, d->cc.n ? ")" : "");
	for (size_t i = 0; i < d->bcc.n; i++)
		gr_buf_printf(&b, "%s<%s>", i ? ", " : " (bcc ", d->bcc.v[i].addr);
	gr_buf_addstr(&b, d->bcc.n ? ")" : "");
	gr_buf_printf(&b, ": %s", d->subject ? d->subject : "");
	return gr_buf_steal(&b);
}

static gr_status
draft_output(act_run *ar, const gr_action *it, gr_draft *d)
{
	const char *owner = ar->prof->emails.v[0];
	char name[128], mid[320];
	gr_output *o;
	gr_status st;

	/* Keyed: a reply that refers to an ask or an offer is taken as that
	 * person's answer (gr_life_optin), so no one who saw the request may
	 * be able to make the ID from it. */
	snprintf(name, sizeof name, "%s-%s", ar->id, it->action);
	st = gr_draft_id(ar->ctx->draft_key, name, strchr(owner, '@'), mid,
	                 sizeof mid);
	if (st != GR_OK)
		return gr_error_set(ar->err, st, "plan: no Message-ID for the "
		                    "draft %s", name);
	d->message_id = mid;
	if (!(o = new_output(ar, GR_OUT_DRAFT, it->action)))
		return gr_error_set(ar->err, GR_E_NOMEM, "plan: out of memory");
	st = gr_draft_render(d, &o->content, ar->err);
	if (st != GR_OK)
		return st;
	o->len = strlen(o->content);
	o->uid = gr_strdup(mid);
	o->relpath = name_of(ar, "drafts", it->action, "eml");
	o->summary = draft_summary(d);
	if (it->to == GR_ROLE_PARTNER && ar->v->cls == GR_CLASS_OUT_OF_SCOPE &&
	    !ar->out->ask_mid)
		ar->out->ask_mid = gr_strdup(mid);
	if (it->to == GR_ROLE_SENDER && (it->conds & GR_IF_OPT_IN) &&
	    ar->v->cls == GR_CLASS_OUT_OF_SCOPE && !ar->out->offer_mid)
		ar->out->offer_mid = gr_strdup(mid);
	if (it->to == GR_ROLE_SENDER && (it->cc & (1u << GR_ROLE_PARTNER)) &&
	    ar->v->cls == GR_CLASS_OUT_OF_SCOPE && !ar->out->intro_mid)
		ar->out->intro_mid = gr_strdup(mid);
	if (!o->uid || !o->relpath || !o->summary)
		return gr_error_set(ar->err, GR_E_NOMEM, "plan: out of memory");
	return GR_OK;
}

/* The person a draft to role r greets, and the greeting in lang. */
static void
greet_for(act_run *ar, gr_role r, const char *lang, int formal, char *out,
          size_t outlen)
{
	gr_lang l = gr_lang_from_code(lang);
	gr_name n;

	if (r == GR_ROLE_NEW_CONTACT && ar->ncontacts > 1) {
		memset(&n, 0, sizeof n);
		snprintf(n.given, sizeof n.given, "%s",
		         var_get(ar, "new_contact_names"));
		gr_greeting(l, 0, &n, out, outlen);
		return;
	}
	name_of_person(ar, &ar->who[r], &n);
	gr_greeting(l, formal, &n, out, outlen);
}

/* The language a draft to role r is written in: the message's own for
 * its sender and the people introduced, and for an introducer who wrote
 * it; the templates' own for partners. */
static const char *
lang_for(const act_run *ar, gr_role r)
{
	if (r == GR_ROLE_PARTNER)
		return "";
	if (r == GR_ROLE_INTRODUCER && !ar->intro_wrote)
		return "";
	return ar->lang;
}

static gr_status
plan_draft(act_run *ar, const gr_action *it)
{
	gr_draft d;
	gr_strv seen = { 0 }, refs = { 0 };
	char *subj = NULL, *text = NULL, *body = NULL, greeting[300];
	const char *variants[3], *lang, *used = "";
	const gr_template *t;
	size_t nv = 0;
	int threaded = it->to != GR_ROLE_PARTNER && !ar->unthreaded;
	int bcc_intro = 0, cc_intro = 0, formal;
	gr_status st;

	memset(&d, 0, sizeof d);
	/* RFC 3834: never; nor to a platform that relays a person */
	if (ar->automated || (ar->relay && !ar->relay_reach) ||
	    !ar->prof->emails.n)
		return ar->prof->emails.n ? GR_OK : gr_error_set(ar->err,
		       GR_E_CONFIG, "profile: no 'email' for the From of drafts");
	/* Claims are not credentials: a thank-you only to an introducer on
	 * the message or shown by the owner's mail. */
	if (it->to == GR_ROLE_INTRODUCER && !ar->intro_verified) {
		ar->thanks_skipped = ar->who[GR_ROLE_INTRODUCER].name ||
		                     ar->who[GR_ROLE_INTRODUCER].addr;
		return GR_OK;
	}
	st = add_role(ar, &d.to, it->to, &seen);
	for (int r = 0; r < GR_ROLE_COUNT && st == GR_OK; r++) {
		int in_cc = (it->cc & (1u << r)) != 0;
		int in_bcc = (it->bcc & (1u << r)) != 0;

		if (r == GR_ROLE_INTRODUCER && (in_cc || in_bcc)) {
			/* Only someone on the message is copied or moved to
			 * Bcc; one who asked to be copied stays in copy. */
			if (!ar->intro_on_msg)
				continue;
			in_cc = in_cc || ar->copy_asked;
			in_bcc = in_bcc && !in_cc;
		}
		if (in_cc) {
			size_t before = d.cc.n;

			st = add_role(ar, &d.cc, (gr_role)r, &seen);
			cc_intro |= r == GR_ROLE_INTRODUCER && d.cc.n > before;
		}
		if (in_bcc && st == GR_OK) {
			size_t before = d.bcc.n;

			st = add_role(ar, &d.bcc, (gr_role)r, &seen);
			bcc_intro |= r == GR_ROLE_INTRODUCER && d.bcc.n > before;
		}
	}
	/* Everyone else the sender copied stays in copy (a co-buyer);
	 * partners and the introducer are handled above.  Not on a draft
	 * that copies a partner: the sender does not choose who else gets
	 * the partner's address and the introduction. */
	if (st == GR_OK && it->to == GR_ROLE_SENDER &&
	    ar->v->cls != GR_CLASS_REFERRAL_INTRO &&
	    !((it->cc | it->bcc) & (1u << GR_ROLE_PARTNER)))
		for (size_t k = 0; k < 2 && st == GR_OK; k++) {
			const gr_addrlist *l = k ? &ar->m->cc : &ar->m->to;

			for (size_t i = 0; i < l->n && st == GR_OK; i++) {
				gr_addr a = l->v[i];

				if (gr_owner_partner_by_addr(ar->owner, a.addr))
					continue;
				a.name = (char *)clean(ar, a.name, ACT_NAME_MAX);
				if (!*a.name)
					a.name = NULL;
				st = add_addr(ar, &d.cc, &a, &seen);
			}
		}
	if (st != GR_OK || d.to.n == 0)
		goto out;               /* nobody to write to: no draft */
	/* The template for this context. */
	lang = lang_for(ar, it->to);
	if (ar->sensitive && (it->to == GR_ROLE_SENDER ||
	                      it->to == GR_ROLE_NEW_CONTACT))
		variants[nv++] = "sensitive";
	if ((it->to == GR_ROLE_INTRODUCER && ar->intro_wrote &&
	     ar->partner_sender) ||
	    (it->to == GR_ROLE_SENDER && ar->partner_sender))
		variants[nv++] = "partner";
	if (ar->known && it->to == GR_ROLE_SENDER)
		variants[nv++] = "known";
	t = it->tpl_name ? gr_policy_template(ar->pol, lang, it->tpl_name,
	                                      ar->v->service ?
	                                      ar->v->service->key : NULL,
	                                      variants, nv, &used) : NULL;
	if (!t)
		t = it->tpl;
	lang = *used ? used : ar->p->lang;
	formal = (it->to == GR_ROLE_SENDER || it->to == GR_ROLE_NEW_CONTACT) &&
	         ar->x.formal;
	greet_for(ar, it->to, lang, formal, greeting, sizeof greeting);
	var_set(ar, "greeting", greeting);
	var_set(ar, "formal", flag(formal));
	var_set(ar, "lang", lang);
	var_set(ar, "service_phrase", own(ar, service_phrase(ar, lang)));
	var_set(ar, "questions", asks_var(ar, &ar->x.questions, 8, lang));
	var_set(ar, "asks", asks_var(ar, &ar->x.asks, 8, lang));
	var_set(ar, "timing_only", timing_only(ar, lang));
	var_set(ar, "introducer_bcc", flag(bcc_intro));
	var_set(ar, "introducer_cc", flag(cc_intro));
	st = gr_template_render(t, ar->vars, ar->nvars, &subj, &text, ar->err);
	if (st != GR_OK)
		goto out;
	if (!subj || !*gr_str_trim(subj)) {
		free(subj);
		subj = gr_reply_subject(var_get(ar, "subject"));
	}
	/* The sender's words are quoted only to people who had them: a
	 * draft to or copying anyone who was not on the message (a partner,
	 * an introducer the owner's mail shows) quotes nothing. */
	body = draft_body(ar, it, t, text, lang, all_on_message(ar->m, &d.to) &&
	                  all_on_message(ar->m, &d.cc) &&
	                  all_on_message(ar->m, &d.bcc));
	d.from.name = ar->prof->name;
	d.from.addr = ar->prof->emails.v[0];
	d.subject = subj;
	d.date = ar->ctx->now;
	d.utc_offset_min = utc_offset(ar->prof, ar->ctx->now);
	d.flowed = 1;
	d.body = body;
	if (threaded && ar->m->message_id) {
		for (size_t i = 0; i < ar->m->references.n; i++)
			gr_strv_push(&refs, ar->m->references.v[i]);
		gr_strv_push(&refs, ar->m->message_id);
		d.in_reply_to = ar->m->message_id;
		d.references = &refs;
	}
	st = subj && body ? draft_output(ar, it, &d) :
	     gr_error_set(ar->err, GR_E_NOMEM, "plan: out of memory");
	if (st == GR_OK && !ar->out->lang)
		ar->out->lang = gr_strdup(lang);
out:
	free(d.to.v);
	free(d.cc.v);
	free(d.bcc.v);
	gr_strv_free(&seen);
	gr_strv_free(&refs);
	free(subj);
	free(text);
	free(body);
	return st;
}

static void
make_id(act_run *ar)
{
	const gr_message *m = ar->m;
	gr_buf b;

	gr_buf_init(&b, 1u << 20);
	if (m->message_id && *m->message_id)
		gr_buf_addstr(&b, m->message_id);
	else if (ar->ctx->source_id && *ar->ctx->source_id)
		gr_buf_addstr(&b, ar->ctx->source_id);
	else
		gr_buf_printf(&b, "%s\n%lld\n%s\n%.65536s",
		              m->from.addr ? m->from.addr : "", (long long)m->date,
		              m->subject ? m->subject : "", m->text ? m->text : "");
	id_of(b.data ? b.data : "", b.len, ar->id);
	gr_buf_free(&b);
}

void
gr_plan_free(gr_plan *pl)
{
	for (size_t i = 0; pl && i < pl->n; i++) {
		free(pl->v[i].action);
		free(pl->v[i].relpath);
		free(pl->v[i].uid);
		free(pl->v[i].content);
		free(pl->v[i].summary);
		free(pl->v[i].rem_summary);
		free(pl->v[i].rem_description);
		free(pl->v[i].tzid);
		free(pl->v[i].peer);
	}
	if (pl) {
		free(pl->v);
		free(pl->intro_name);
		free(pl->intro_addr);
		free(pl->ask_mid);
		free(pl->offer_mid);
		free(pl->intro_mid);
		free(pl->lang);
		free(pl->area);
		memset(pl, 0, sizeof *pl);
	}
}

static void
run_init(act_run *ar, const gr_policy *p, const gr_rules *r,
         const gr_message *m, const gr_verdict *v, const gr_plan_ctx *ctx,
         gr_plan *out, gr_error *err)
{
	memset(ar, 0, sizeof *ar);
	ar->pol = p;
	ar->p = gr_policy_get_settings(p);
	ar->owner = gr_rules_owner(r);
	ar->prof = gr_owner_profile(ar->owner);
	ar->m = m;
	ar->v = v;
	ar->ctx = ctx;
	ar->out = out;
	ar->err = err;
}

/* What the message says, its situation and language. */
static gr_status
read_message(act_run *ar)
{
	const gr_strv *care[2] = { gr_policy_care(ar->pol, GR_CARE_SENSITIVE),
	                           gr_policy_care(ar->pol, GR_CARE_URGENT) };
	gr_status st = GR_OK;

	if (ar->ctx->reading) {         /* taken: the worker read it */
		ar->x = *ar->ctx->reading;
		memset(ar->ctx->reading, 0, sizeof *ar->ctx->reading);
	} else {
		st = gr_extract_message(ar->m, ar->prof->signature, &ar->x);
	}
	if (st != GR_OK)
		return gr_error_set(ar->err, st, "plan: out of memory");
	ar->auth = gr_extract_auth(ar->m, &ar->prof->authserv_ids);
	ar->lang = gr_lang_code(ar->x.lang);
	for (int k = 0; k < 2; k++) {
		int hit = gr_extract_phrase_in(ar->x.text, care[k], NULL) ||
		          gr_extract_phrase_in(ar->m->subject, care[k], NULL);

		if (k == 0)
			ar->sensitive = hit;
		else
			ar->urgent = hit;
	}
	return GR_OK;
}

static void
run_free(act_run *ar)
{
	gr_extract_free(&ar->x);
	gr_strv_free(&ar->owned);
}

gr_status
gr_actions_plan(const gr_policy *p, const gr_rules *r, const gr_message *m,
                const gr_verdict *v, const gr_plan_ctx *ctx, gr_plan *out,
                gr_error *err)
{
	act_run ar;
	const gr_action *acts;
	size_t n;
	int reply_due = 0;
	gr_due rdue = { GR_DUE_NEXT_MORNING, 1 };
	gr_status st;

	memset(out, 0, sizeof *out);
	if ((unsigned)v->cls >= GR_CLASS_COUNT)
		return gr_error_set(err, GR_E_INTERNAL, "plan: bad class %d",
		                    (int)v->cls);
	run_init(&ar, p, r, m, v, ctx, out, err);
	ar.arrival = m->date > 0 && m->date <= ctx->now ? m->date : ctx->now;
	make_id(&ar);
	st = read_message(&ar);
	if (st != GR_OK) {
		run_free(&ar);
		return st;
	}
	read_relay(&ar);
	/* RFC 3834: no draft to a machine.  A platform's relay of a person
	 * is excused its own no-reply and bulk-mail signs when its Reply-To
	 * reaches the person; no other sign is excused. */
	ar.automated = v->cls == GR_CLASS_AUTOMATED ||
	               (ar.relay_reach ? gr_message_relay_signs(m, NULL) :
	                gr_message_auto_signs(m, NULL)) != GR_AUTO_NONE;
	resolve_people(&ar);
	/* No address reaches a relayed person: the reminders name them,
	 * not the platform. */
	if (ar.relay && !ar.relay_reach && *ar.relay_who)
		ar.who[GR_ROLE_SENDER].name = (char *)ar.relay_who;
	build_vars(&ar);
	acts = gr_policy_actions(p, v->cls, &n);
	for (size_t i = 0; i < n && st == GR_OK; i++) {
		if (!conds_hold(&ar, acts[i].conds))
			continue;
		if (!acts[i].is_draft && strcmp(acts[i].action, "reply") == 0) {
			reply_due = 1;
			rdue = acts[i].due;
		}
		st = acts[i].is_draft ? plan_draft(&ar, &acts[i]) :
		     plan_reminder(&ar, &acts[i], NULL);
	}
	/* A referrer named or quoted but not on the message: no draft to
	 * them, a reminder to confirm and thank them instead. */
	if (st == GR_OK && ar.thanks_skipped && !ar.automated) {
		gr_action rem;

		memset(&rem, 0, sizeof rem);
		rem.action = (char *)"thanks";
		rem.due = reply_due ? rdue : (gr_due){ GR_DUE_NEXT_MORNING, 1 };
		rem.who = GR_ROLE_INTRODUCER;
		rem.to = GR_ROLE_NONE;
		{
			char buf[512];

			snprintf(buf, sizeof buf, "Confirm, then thank %s for "
			         "referring %s", ar.who[GR_ROLE_INTRODUCER].name ?
			         ar.who[GR_ROLE_INTRODUCER].name :
			         ar.who[GR_ROLE_INTRODUCER].addr,
			         first_or_addr(&ar, &ar.who[GR_ROLE_SENDER]));
			st = plan_reminder(&ar, &rem, buf);
		}
	}
	if (st == GR_OK) {
		out->formal = ar.x.formal;
		out->later = ar.x.no_rush || ar.x.later;
		out->urgent = ar.urgent;
		if (*var_get(&ar, "area"))
			out->area = gr_strdup(var_get(&ar, "area"));
		if (!out->lang && *ar.lang)
			out->lang = gr_strdup(ar.lang);
	}
	if (st == GR_OK && v->cls == GR_CLASS_REFERRAL_INTRO) {
		const gr_addr *in = &ar.who[GR_ROLE_INTRODUCER];

		out->intro_verified = ar.intro_verified;
		out->intro_name = in->name ? gr_strdup(in->name) : NULL;
		out->intro_addr = in->addr ? gr_strdup(in->addr) : NULL;
	}
	run_free(&ar);
	if (st != GR_OK)
		gr_plan_free(out);
	return st;
}

/* A message with no text from name <addr>, for the plans made from the
 * state rather than from mail (follow-ups, introductions). */
static void
synth_message(gr_message *m, const char *name, const char *addr,
              const char *subject, const char *message_id, time_t date)
{
	memset(m, 0, sizeof *m);
	m->from.name = (char *)name;
	m->from.addr = (char *)addr;
	m->subject = (char *)(subject ? subject : "");
	m->message_id = (char *)message_id;
	m->date = date;
	m->text = m->new_text = m->quoted = m->signature = (char *)"";
}

/* t when it is a time gone by, else now: when a planned message arrived. */
static time_t
past_or_now(time_t t, const gr_plan_ctx *ctx)
{
	return t > 0 && t <= ctx->now ? t : ctx->now;
}

/* A message the owner wrote, as a plan's message: for follow-ups. */
gr_status
gr_actions_followup(const gr_policy *p, const gr_rules *r,
                    const gr_followup *f, const gr_plan_ctx *ctx,
                    gr_plan *out, gr_error *err)
{
	gr_message m;
	gr_verdict v;
	act_run ar;
	gr_action rem, dr;
	const gr_template *t;
	char *refs[2];
	char why[160];
	gr_status st;

	memset(out, 0, sizeof *out);
	if (!f->owner_msgid || !*f->owner_msgid || !f->peer_addr)
		return gr_error_set(err, GR_E_INTERNAL, "follow-up without the "
		                    "owner's message or a recipient");
	synth_message(&m, f->peer_name, f->peer_addr, f->subject,
	              f->owner_msgid, f->last_out);
	memset(&v, 0, sizeof v);
	if (f->thread && strcmp(f->thread, f->owner_msgid) != 0) {
		refs[0] = (char *)f->thread;
		refs[1] = NULL;
		m.references.v = refs;
		m.references.n = 1;
	}
	v.cls = GR_CLASS_OTHER;
	run_init(&ar, p, r, &m, &v, ctx, out, err);
	ar.arrival = past_or_now(f->last_out, ctx);
	snprintf(why, sizeof why, "you answered and have heard nothing back; "
	         "one gentle follow-up (\"followup max\" in actions)");
	ar.why = why;
	ar.is_followup = 1;
	ar.open_question = f->open_question;
	make_id(&ar);
	st = read_message(&ar);
	if (st != GR_OK) {
		run_free(&ar);
		return st;
	}
	ar.x.formal = f->formal;
	ar.lang = f->lang && gr_lang_from_code(f->lang) != GR_LANG_UNKNOWN ?
	          gr_lang_code(gr_lang_from_code(f->lang)) : "";
	resolve_people(&ar);
	build_vars(&ar);
	memset(&rem, 0, sizeof rem);
	rem.action = (char *)"followup";
	rem.due = f->later ? ar.p->fu_later : ar.p->fu_after;
	rem.who = GR_ROLE_SENDER;
	rem.to = GR_ROLE_NONE;
	st = plan_reminder(&ar, &rem, NULL);
	t = gr_policy_template(p, ar.lang, "followup.txt", NULL, NULL, 0, NULL);
	if (st == GR_OK && (t || ar.p->fu_tpl)) {
		memset(&dr, 0, sizeof dr);
		dr.is_draft = 1;
		dr.action = (char *)"followup";
		dr.to = GR_ROLE_SENDER;
		dr.tpl = ar.p->fu_tpl ? ar.p->fu_tpl : (gr_template *)t;
		dr.tpl_name = (char *)"followup.txt";
		dr.quote = 0;
		st = plan_draft(&ar, &dr);
	}
	run_free(&ar);
	if (st != GR_OK)
		gr_plan_free(out);
	return st;
}

gr_status
gr_actions_introduce(const gr_policy *p, const gr_rules *r,
                     const gr_introduction *in, const gr_plan_ctx *ctx,
                     gr_plan *out, gr_error *err)
{
	gr_message m;
	gr_verdict v;
	gr_partner pa;
	act_run ar;
	gr_action rem, dr;
	const gr_owner *ow = gr_rules_owner(r);
	char why[200], mid[300];
	gr_status st;

	memset(out, 0, sizeof *out);
	if (!in->contact_addr || !in->partner_addr)
		return gr_error_set(err, GR_E_INTERNAL, "introduction without "
		                    "both people");
	memset(&v, 0, sizeof v);
	memset(&pa, 0, sizeof pa);
	/* Its own names: not the request's (whose reply reminder is
	 * another), but derived from it, so a rerun makes the same. */
	snprintf(mid, sizeof mid, "introduction.%s", in->message_id ?
	         in->message_id : in->contact_addr);
	synth_message(&m, in->contact_name, in->contact_addr, in->subject, mid,
	              in->at);
	v.cls = GR_CLASS_OUT_OF_SCOPE;
	v.service = in->service ? gr_owner_service_by_key(ow, in->service) : NULL;
	for (size_t i = 0; in->service && !v.service &&
	     i < gr_owner_n_services(ow); i++) {
		const gr_service *sv = gr_owner_service(ow, i);

		if (sv->label && strcmp(sv->label, in->service) == 0)
			v.service = sv;
	}
	v.partner = gr_owner_partner_by_addr(ow, in->partner_addr);
	if (!v.partner) {
		pa.name = (char *)in->partner_name;
		pa.email = (char *)in->partner_addr;
		v.partner = &pa;
	}
	run_init(&ar, p, r, &m, &v, ctx, out, err);
	ar.arrival = past_or_now(in->at, ctx);
	if (in->declined_by)
		snprintf(why, sizeof why, "you asked both sides of an "
		         "introduction and the %s said no (double opt-in, "
		         "\"introductions\" in actions)", in->declined_by);
	else
		snprintf(why, sizeof why, "you asked both sides and both said "
		         "yes: introduce them (double opt-in, \"introductions\" "
		         "in actions)");
	ar.why = why;
	make_id(&ar);
	st = read_message(&ar);
	if (st != GR_OK) {
		run_free(&ar);
		return st;
	}
	ar.lang = in->lang && gr_lang_from_code(in->lang) != GR_LANG_UNKNOWN ?
	          gr_lang_code(gr_lang_from_code(in->lang)) : "";
	ar.urgent = in->urgent;
	ar.unthreaded = 1;      /* a new conversation of three */
	resolve_people(&ar);
	build_vars(&ar);
	/* What the introduction says of the need: the owner's words for the
	 * service, the area and the urgency the request had; never its
	 * text. */
	var_set(&ar, "area", clean(&ar, in->area, 60));
	var_set(&ar, "urgent", flag(in->urgent));
	if (in->declined_by) {
		char buf[400];
		int partner_no = strcmp(in->declined_by, "partner") == 0;
		const char *pn = ar.who[GR_ROLE_PARTNER].name ?
		                 ar.who[GR_ROLE_PARTNER].name :
		                 ar.who[GR_ROLE_PARTNER].addr;

		memset(&rem, 0, sizeof rem);
		rem.action = (char *)"introduce";
		rem.due.kind = GR_DUE_BUSINESS_HOURS;
		rem.due.amount = 4;
		rem.who = GR_ROLE_SENDER;
		rem.to = GR_ROLE_NONE;
		if (partner_no)
			snprintf(buf, sizeof buf, "%s declined: tell %s, or ask "
			         "someone else", pn, first_or_addr(&ar,
			         &ar.who[GR_ROLE_SENDER]));
		else
			snprintf(buf, sizeof buf, "%s declined the introduction: "
			         "let %s know", first_or_addr(&ar,
			         &ar.who[GR_ROLE_SENDER]), pn);
		st = plan_reminder(&ar, &rem, buf);
		run_free(&ar);
		if (st != GR_OK)
			gr_plan_free(out);
		return st;
	}
	memset(&dr, 0, sizeof dr);
	dr.is_draft = 1;
	dr.action = (char *)"introduce";
	dr.to = GR_ROLE_SENDER;
	dr.cc = 1u << GR_ROLE_PARTNER;
	dr.tpl_name = (char *)"three-way-intro.txt";
	dr.tpl = (gr_template *)gr_policy_template(p, ar.lang, dr.tpl_name, NULL,
	                                           NULL, 0, NULL);
	dr.quote = 0;
	if (!dr.tpl) {
		run_free(&ar);
		return gr_error_set(err, GR_E_CONFIG, "no template "
		                    "'templates/three-way-intro.txt' for the "
		                    "introduction");
	}
	st = plan_draft(&ar, &dr);
	if (st == GR_OK && out->n && !out->intro_mid)
		out->intro_mid = gr_strdup(out->v[out->n - 1].uid);
	memset(&rem, 0, sizeof rem);
	rem.action = (char *)"introduce";
	rem.due.kind = GR_DUE_BUSINESS_HOURS;
	rem.due.amount = 4;
	rem.who = GR_ROLE_SENDER;
	rem.to = GR_ROLE_NONE;
	if (st == GR_OK) {
		char buf[400];

		snprintf(buf, sizeof buf, "Introduce %s and %s: both said yes",
		         first_or_addr(&ar, &ar.who[GR_ROLE_SENDER]),
		         ar.who[GR_ROLE_PARTNER].name ? ar.who[GR_ROLE_PARTNER].name :
		         ar.who[GR_ROLE_PARTNER].addr);
		st = plan_reminder(&ar, &rem, buf);
	}
	run_free(&ar);
	if (st != GR_OK)
		gr_plan_free(out);
	return st;
}
