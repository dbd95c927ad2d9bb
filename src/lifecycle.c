/* SPDX-License-Identifier: MIT */
/*
 * lifecycle.c - follow a conversation across polls.
 *
 * Implements: RFC 5322 section 3.6.4 threading (Message-ID, In-Reply-To,
 * References), RFC 5545 section 3.8.7.4 (SEQUENCE raised on every change,
 * STATUS:CANCELLED for events and COMPLETED for to-dos, new DTSTAMP), and
 * the combined feed a calendar subscribes to (one VCALENDAR, one VTIMEZONE
 * per zone, done items kept for a while so that cancellations reach
 * subscribers whose importers ignore SEQUENCE).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gravity/buf.h"
#include "gravity/bhours.h"
#include "gravity/calendar.h"
#include "gravity/extract.h"
#include "gravity/fileio.h"
#include "gravity/lifecycle.h"
#include "gravity/util.h"

static time_t
msg_time(const gr_life *lf, const gr_message *m)
{
	return m->date > 0 && m->date <= lf->now ? m->date : lf->now;
}

/* What the owner's receiving server said of m (gr_extract_auth). */
static int
auth_of(const gr_life *lf, const gr_message *m)
{
	const gr_profile *p = gr_owner_profile(gr_rules_owner(lf->rules));

	return gr_extract_auth(m, &p->authserv_ids);
}

/* The owner's From, unless the receiving server's Authentication-Results
 * say it failed (then a stranger claims the owner's address: it cancels
 * nothing and makes no one a contact). */
int
gr_life_from_owner(const gr_life *lf, const gr_message *m)
{
	return m->from.addr &&
	       gr_owner_is_owner(gr_rules_owner(lf->rules), m->from.addr) &&
	       auth_of(lf, m) >= 0;
}

int
gr_life_answered(gr_life *lf, const gr_message *m)
{
	return m->message_id && gr_state_replied(lf->state, m->message_id);
}

/* The thread of m: a known thread of its own id, In-Reply-To or
 * References, else the oldest reference, else its own id.  NULL when m
 * has no id at all. */
static gr_status
thread_of(gr_life *lf, const gr_message *m, char **out, gr_error *err)
{
	const char *ids[64];
	size_t n = 0;
	gr_status st;

	ids[n++] = m->message_id;
	ids[n++] = m->in_reply_to;
	for (size_t i = m->references.n; i > 0 && n < 64; i--)
		ids[n++] = m->references.v[i - 1];
	st = gr_state_thread_find(lf->state, ids, n, out, err);
	if (st != GR_OK || *out)
		return st;
	if (m->references.n)
		*out = gr_strdup(m->references.v[0]);
	else if (m->in_reply_to)
		*out = gr_strdup(m->in_reply_to);
	else if (m->message_id)
		*out = gr_strdup(m->message_id);
	return GR_OK;
}

static int
id_eq(const char *a, const char *b)
{
	return a && b && *a && strcmp(a, b) == 0;
}

/* 1 if m is id or answers it (In-Reply-To or References). */
static int
refers_to(const gr_message *m, const char *id)
{
	if (!id || !*id)
		return 0;
	if (id_eq(m->in_reply_to, id))
		return 1;
	for (size_t i = 0; i < m->references.n; i++)
		if (id_eq(m->references.v[i], id))
			return 1;
	return 0;
}

static int
addressed(const gr_message *m, const char *addr)
{
	const gr_addrlist *l[3] = { &m->to, &m->cc, &m->bcc };

	for (int k = 0; addr && k < 3; k++)
		for (size_t i = 0; i < l[k]->n; i++)
			if (gr_strcaseeq(l[k]->v[i].addr, addr))
				return 1;
	return 0;
}

/* The sentence of text around its first match of a phrase of list, into
 * a new string; NULL when none matches. */
static char *
sentence_with(const char *text, const gr_strv *list)
{
	const char *which = NULL, *p, *a, *b;
	char *out;

	if (!text || !gr_extract_phrase_in(text, list, &which) || !which)
		return NULL;
	/* The phrase as written, else (wrapped across a line) its first
	 * word after a blank. */
	p = gr_strcasestr(text, which);
	if (!p) {
		char w[64];
		size_t n = strcspn(which, " ");

		snprintf(w, sizeof w, "%.*s", (int)(n < sizeof w ? n : 63), which);
		p = gr_strcasestr(text, w);
	}
	if (!p)
		return NULL;
	/* A sentence ends at . ! ? or a blank line, not at a wrapped one. */
	for (a = p; a > text && !strchr(".!?", a[-1]) &&
	     !(a[-1] == '\n' && a - 1 > text && a[-2] == '\n'); a--)
		;
	for (b = p; *b && !strchr(".!?", *b) && !(b[0] == '\n' && b[1] == '\n');
	     b++)
		;
	if (*b && *b != '\n')
		b++;
	{
		char *cut = malloc((size_t)(b - a) + 1);

		if (!cut)
			return NULL;
		memcpy(cut, a, (size_t)(b - a));
		cut[b - a] = '\0';
		out = gr_text_clean(cut, GR_NL_BLANK, 400);
		free(cut);
	}
	if (out)
		memmove(out, gr_str_trim(out), strlen(gr_str_trim(out)) + 1);
	if (out && !*out) {
		free(out);
		out = NULL;
	}
	return out;
}

/* --- reminders ------------------------------------------------------------ */

static void
to_reminder(const gr_state_rem *r, gr_reminder *out)
{
	memset(out, 0, sizeof *out);
	out->uid = r->uid;
	out->sequence = r->sequence;
	out->status = r->done ? GR_REM_DONE : GR_REM_PENDING;
	out->as_todo = r->as_todo;
	out->due = r->due;
	out->duration_min = r->duration_min;
	out->alarm_min = r->alarm_min;
	out->tzid = r->tzid;
	out->summary = r->summary;
	out->description = r->description;
	out->message_id = r->message_id;
	out->dtstamp = r->stamp;
}

static gr_status
out_path(const gr_life *lf, const char *rel, char *buf, size_t len,
         gr_error *err)
{
	int n = snprintf(buf, len, "%s/%s", lf->out_dir, rel);

	if (n < 0 || (size_t)n >= len || strstr(rel, ".."))
		return gr_error_set(err, GR_E_INTERNAL, "refusing output path %s",
		                    rel);
	return GR_OK;
}

/* Close one reminder: same UID, SEQUENCE + 1, CANCELLED/COMPLETED, new
 * DTSTAMP; the file first, then the state. */
static gr_status
close_reminder(gr_life *lf, gr_state_rem *r, gr_error *err)
{
	gr_reminder rem;
	char path[PATH_MAX], hash[65], *ics = NULL;
	gr_status st;

	r->sequence++;
	r->done = 1;
	r->stamp = lf->now;
	r->changed = lf->now;
	to_reminder(r, &rem);
	st = gr_calendar_render_with(lf->cal, &rem, &ics, err);
	if (st == GR_OK)
		st = out_path(lf, r->relpath, path, sizeof path, err);
	if (st == GR_OK)
		st = gr_write_atomic(path, ics, strlen(ics), err);
	if (st == GR_OK) {
		gr_sha256_hex(ics, strlen(ics), hash);
		st = gr_state_record_output(lf->state, r->message_id, "reminder",
		                            r->action, r->relpath, r->uid,
		                            r->sequence, r->due, hash, err);
	}
	if (st == GR_OK)
		st = gr_state_rem_put(lf->state, r, err);
	free(ics);
	return st;
}

/* Close the pending reminders of thread with action a1 or a2 whose person
 * is in to (when to is not NULL). */
static gr_status
close_thread(gr_life *lf, const char *thread, const char *a1, const char *a2,
             const gr_addrlist *const *to, size_t nto, long *count,
             gr_error *err)
{
	gr_state_rems l;
	gr_status st;

	st = gr_state_rem_list(lf->state, thread, 1, 0, &l, err);
	for (size_t i = 0; st == GR_OK && i < l.n; i++) {
		gr_state_rem *r = &l.v[i];
		int match = !to || !r->peer;

		if (!r->action || (strcmp(r->action, a1) != 0 &&
		                   (!a2 || strcmp(r->action, a2) != 0)))
			continue;
		for (size_t k = 0; to && !match && k < nto; k++)
			for (size_t j = 0; j < to[k]->n && !match; j++)
				match = gr_strcaseeq(to[k]->v[j].addr, r->peer);
		if (!match)
			continue;
		st = close_reminder(lf, r, err);
		if (st == GR_OK)
			(*count)++;
	}
	gr_state_rems_free(&l);
	return st;
}

static gr_status
record_reminders(gr_life *lf, const char *thread, const gr_plan *pl,
                 const char *message_id, gr_error *err)
{
	gr_status st = GR_OK;

	for (size_t i = 0; st == GR_OK && pl && i < pl->n; i++) {
		const gr_output *o = &pl->v[i];
		gr_state_rem r;

		if (o->kind != GR_OUT_REMINDER)
			continue;
		memset(&r, 0, sizeof r);
		r.uid = o->uid;
		r.message_id = message_id;
		r.thread = thread;
		r.action = o->action;
		r.relpath = o->relpath;
		r.sequence = o->sequence;
		r.as_todo = o->as_todo;
		r.duration_min = o->duration_min;
		r.alarm_min = o->alarm_min;
		r.due = o->due;
		r.stamp = lf->now;
		r.changed = lf->now;
		r.tzid = o->tzid;
		r.summary = o->rem_summary;
		r.description = o->rem_description;
		r.peer = o->peer;
		st = gr_state_rem_put(lf->state, &r, err);
	}
	return st;
}

/* --- threads -------------------------------------------------------------- */


/* The owner's mail m moves on the referrals given that are not made
 * yet: the note asking the partner, the offer to the requester and, only
 * once the introduction itself is seen sent, the referral is made. */
static gr_status
referrals_sent(gr_life *lf, const gr_message *m, time_t at, gr_error *err)
{
	gr_state_referrals l;
	gr_status st = gr_state_referral_open(lf->state, &l, err);

	for (size_t i = 0; st == GR_OK && i < l.n; i++) {
		gr_state_referral r = l.v[i];
		int to_c = addressed(m, r.contact_addr);
		int to_p = addressed(m, r.partner_addr);
		int chg = 0;

		if (at < r.at)
			continue;
		if (id_eq(m->message_id, r.intro_mid) ||
		    (to_c && to_p && (r.introduced_at || !r.ask_mid))) {
			r.sent_at = at;
			chg = 1;
		} else if (r.ask_mid && !r.asked_at && to_p && !to_c &&
		           (id_eq(m->message_id, r.ask_mid) ||
		            refers_to(m, r.ask_mid) || !m->in_reply_to)) {
			r.asked_at = at;
			r.sent_mid = m->message_id;
			chg = 1;
		} else if (r.offer_mid && !r.offered_at && to_c && !to_p &&
		           (id_eq(m->message_id, r.offer_mid) ||
		            refers_to(m, r.offer_mid) ||
		            refers_to(m, r.message_id))) {
			r.offered_at = at;
			r.offer_sent_mid = m->message_id;
			chg = 1;
		}
		if (chg)
			st = gr_state_referral_update(lf->state, &r, err);
	}
	gr_state_referrals_free(&l);
	return st;
}

/* What the owner's message m leaves open for its reader: its last
 * question, else the sentence offering a next step; *asked 1 when there
 * is either. */
static char *
owner_open(gr_life *lf, const gr_message *m, int *asked)
{
	const gr_profile *prof = gr_owner_profile(gr_rules_owner(lf->rules));
	gr_extract x;
	char *q = NULL;

	*asked = 0;
	if (gr_extract_message(m, prof->signature, &x) != GR_OK)
		return NULL;
	if (x.questions.n) {
		q = gr_strdup(x.questions.v[x.questions.n - 1]);
		*asked = 1;
	} else if (x.asks.n) {
		q = gr_strdup(x.asks.v[x.asks.n - 1]);
		*asked = 1;
	} else if ((q = sentence_with(x.text, gr_policy_care(lf->policy,
	                                                     GR_CARE_OFFER)))) {
		*asked = 1;
	}
	gr_extract_free(&x);
	return q;
}

gr_status
gr_life_owner_message(gr_life *lf, const gr_message *m, gr_error *err)
{
	/* Bcc counts for thanks: "moving you to Bcc" is how an introducer
	 * is often thanked; it does not close reminders (to[0..2) only). */
	const gr_addrlist *to[3] = { &m->to, &m->cc, &m->bcc };
	const gr_owner *ow = gr_rules_owner(lf->rules);
	time_t at = msg_time(lf, m);
	char *thread = NULL, *open = NULL;
	gr_state_threads tl;
	gr_state_thread t;
	gr_status st = GR_OK;

	st = gr_state_replied_add(lf->state, m->in_reply_to, at, err);
	for (size_t i = 0; st == GR_OK && i < m->references.n; i++)
		st = gr_state_replied_add(lf->state, m->references.v[i], at, err);
	for (int k = 0; st == GR_OK && k < 3; k++)
		for (size_t i = 0; st == GR_OK && i < to[k]->n; i++)
			st = gr_state_referral_thank(lf->state, to[k]->v[i].addr, at,
			                             err);
	if (st == GR_OK)
		st = referrals_sent(lf, m, at, err);
	if (st == GR_OK)
		st = thread_of(lf, m, &thread, err);
	if (st != GR_OK || !thread)
		return st;
	st = gr_state_thread_link(lf->state, m->message_id, thread, 1, at, err);
	if (st == GR_OK)
		st = gr_state_thread_list(lf->state, thread, &tl, err);
	if (st != GR_OK) {
		free(thread);
		return st;
	}
	memset(&t, 0, sizeof t);
	if (tl.n)
		t = tl.v[0];
	t.thread = thread;
	if (!t.subject)
		t.subject = m->subject;
	/* The silence clock runs for the lead only: a thank-you to the
	 * introducer or a note to a partner in the same thread is no
	 * message to the lead, and no follow-up ever goes to them. */
	if (at >= t.last_out && m->message_id &&
	    (!t.lead_addr || addressed(m, t.lead_addr))) {
		t.last_out = at;
		t.owner_msgid = m->message_id;
		open = owner_open(lf, m, &t.asked);
		t.open_question = open;
		if (t.lead_addr) {
			t.peer_addr = t.lead_addr;
			t.peer_name = t.lead_name;
		} else {
			for (size_t i = 0; i < m->to.n; i++)
				if (m->to.v[i].addr &&
				    !gr_owner_is_owner(ow, m->to.v[i].addr) &&
				    !gr_owner_partner_by_addr(ow, m->to.v[i].addr)) {
					t.peer_addr = m->to.v[i].addr;
					t.peer_name = m->to.v[i].name;
					break;
				}
		}
	}
	st = gr_state_thread_put(lf->state, &t, err);
	if (st == GR_OK)
		st = close_thread(lf, thread, "reply", "followup", to, 2,
		                  &lf->closed, err);
	gr_state_threads_free(&tl);
	free(thread);
	free(open);
	return st;
}

static gr_status
record_referral(gr_life *lf, const gr_message *m, const gr_verdict *v,
                const gr_plan *pl, time_t at, gr_error *err)
{
	const gr_addr *ra = gr_message_reply_addr(m);
	gr_state_referral r;
	int drafts = 0;

	memset(&r, 0, sizeof r);
	r.at = at;
	r.message_id = m->message_id;
	r.subject = m->subject;
	r.service = v->service ? v->service->label : NULL;
	if (v->cls == GR_CLASS_REFERRAL_INTRO && v->introducer.addr) {
		r.kind = "received";
		r.introducer_name = v->introducer.name;
		r.introducer_addr = v->introducer.addr;
		/* An introducer only named or quoted, not on the message nor
		 * shown by the owner's mail: the ledger keeps the claim by
		 * name (as the plan capped it), no address, and counts no
		 * referral for anyone. */
		if (!pl || !pl->intro_verified) {
			r.introducer_addr = NULL;
			if (pl && pl->intro_name)
				r.introducer_name = pl->intro_name;
		}
		if (v->new_contact.addr) {
			r.contact_name = v->new_contact.name;
			r.contact_addr = v->new_contact.addr;
		} else if (ra && ra->addr &&
		           !gr_strcaseeq(ra->addr, v->introducer.addr)) {
			r.contact_name = ra->name;
			r.contact_addr = ra->addr;
		}
		return gr_state_referral_add(lf->state, &r, err);
	}
	for (size_t i = 0; pl && i < pl->n; i++)
		drafts += pl->v[i].kind == GR_OUT_DRAFT;
	/* An answer to a double opt-in is no new request (record_optin). */
	if (v->cls == GR_CLASS_OUT_OF_SCOPE && v->partner &&
	    v->partner->email && drafts && !pl->optin_id &&
	    (pl->ask_mid || pl->intro_mid)) {
		r.kind = "given";
		r.contact_name = ra ? ra->name : NULL;
		r.contact_addr = ra ? ra->addr : NULL;
		r.partner_name = v->partner->name;
		r.partner_addr = v->partner->email;
		r.ask_mid = pl->ask_mid;
		r.offer_mid = pl->offer_mid;
		r.intro_mid = pl->intro_mid;
		r.lang = pl->lang;
		r.area = pl->area;
		r.urgent = pl->urgent;
		return gr_state_referral_add(lf->state, &r, err);
	}
	return GR_OK;
}

/* The answer pl found m to be (gr_life_optin): recorded in its referral,
 * with the introduction when pl drafted it. */
static gr_status
record_optin(gr_life *lf, const gr_plan *pl, time_t at, gr_error *err)
{
	gr_state_referrals l;
	gr_status st;

	if (!pl || !pl->optin_id)
		return GR_OK;
	st = gr_state_referral_open(lf->state, &l, err);
	for (size_t i = 0; st == GR_OK && i < l.n; i++) {
		gr_state_referral r = l.v[i];

		if (r.id != pl->optin_id)
			continue;
		if (pl->optin_side == 1)
			r.partner_said = pl->optin_yes ? 1 : -1;
		else
			r.contact_said = pl->optin_yes ? 1 : -1;
		if (pl->intro_mid) {
			r.intro_mid = pl->intro_mid;
			r.introduced_at = at;
		}
		st = gr_state_referral_update(lf->state, &r, err);
	}
	gr_state_referrals_free(&l);
	return st;
}

gr_status
gr_life_optin(gr_life *lf, const gr_message *m, const gr_plan_ctx *ctx,
              gr_plan *pl, int *matched, gr_error *err)
{
	const gr_addr *ra = gr_message_reply_addr(m);
	gr_state_referrals l;
	gr_state_referral *r = NULL;
	gr_status st;
	int side = 0;

	*matched = 0;
	memset(pl, 0, sizeof *pl);
	/* an answer refers to the ask or the offer: mail that refers to
	 * nothing (most new mail) costs no query */
	if (!lf->state || (!m->in_reply_to && m->references.n == 0) ||
	    auth_of(lf, m) < 0)
		return GR_OK;
	/* An answer refers to what only its reader has: the draft's ID
	 * (keyed by the state's secret, gr_draft_id) or the owner's sent
	 * mail's; never to the request alone, whose Message-ID anyone who
	 * saw the request knows (kept only for offers seen sent before their
	 * ID was recorded, schema 10).  A quote refers to nothing. */
	st = gr_state_referral_open(lf->state, &l, err);
	for (size_t i = 0; st == GR_OK && i < l.n && !side; i++) {
		gr_state_referral *c = &l.v[i];

		if (!c->ask_mid)
			continue;       /* introduced directly: nothing to answer */
		if (gr_strcaseeq(m->from.addr, c->partner_addr) &&
		    (refers_to(m, c->ask_mid) || refers_to(m, c->sent_mid)))
			side = 1;
		else if ((gr_strcaseeq(m->from.addr, c->contact_addr) ||
		          (ra && gr_strcaseeq(ra->addr, c->contact_addr))) &&
		         (refers_to(m, c->offer_mid) ||
		          refers_to(m, c->offer_sent_mid) ||
		          (c->offered_at && !c->offer_sent_mid &&
		           refers_to(m, c->message_id))))
			side = 2;
		if (side)
			r = c;
	}
	if (st == GR_OK && r) {
		const gr_profile *prof = gr_owner_profile(gr_rules_owner(lf->rules));
		gr_extract x;
		int yes, other;

		st = gr_extract_message(m, prof->signature, &x);
		if (st != GR_OK) {
			gr_state_referrals_free(&l);
			return gr_error_set(err, st, "opt-in: out of memory");
		}
		yes = !gr_extract_phrase_in(x.text, gr_policy_care(lf->policy,
		                            GR_CARE_DECLINE), NULL);
		gr_extract_free(&x);
		other = side == 1 ? r->contact_said : r->partner_said;
		if (!yes || other > 0) {
			gr_introduction in;

			memset(&in, 0, sizeof in);
			in.contact_name = r->contact_name;
			in.contact_addr = r->contact_addr;
			in.partner_name = r->partner_name;
			in.partner_addr = r->partner_addr;
			in.service = r->service;
			in.subject = r->subject;
			in.message_id = r->message_id;
			in.lang = r->lang;
			in.area = r->area;
			in.urgent = r->urgent;
			in.at = msg_time(lf, m);
			in.declined_by = yes ? NULL : side == 1 ? "partner" :
			                 "requester";
			st = gr_actions_introduce(lf->policy, lf->rules, &in, ctx,
			                          pl, err);
		}
		if (st == GR_OK) {
			*matched = 1;
			pl->optin_id = r->id;
			pl->optin_side = side;
			pl->optin_yes = yes;
		}
	}
	gr_state_referrals_free(&l);
	return st;
}

gr_status
gr_life_incoming(gr_life *lf, const gr_message *m, const gr_verdict *v,
                 const gr_plan *pl, gr_error *err)
{
	const gr_addr *ra = gr_message_reply_addr(m);
	time_t at = msg_time(lf, m);
	char *thread = NULL;
	gr_state_threads tl = { 0 };
	gr_state_thread t;
	gr_status st;

	st = thread_of(lf, m, &thread, err);
	if (st == GR_OK && thread)
		st = gr_state_thread_link(lf->state, m->message_id, thread, 0, at,
		                          err);
	if (st == GR_OK && thread)
		st = gr_state_thread_list(lf->state, thread, &tl, err);
	if (st == GR_OK && thread) {
		memset(&t, 0, sizeof t);
		if (tl.n)
			t = tl.v[0];
		t.thread = thread;
		if (!t.cls) {   /* the first message from the other side */
			t.cls = gr_class_name(v->cls);
			t.subject = m->subject;
			/* The lead: the new contact of an introduction, else
			 * the one who wrote. */
			if (v->cls == GR_CLASS_REFERRAL_INTRO &&
			    v->new_contact.addr) {
				t.lead_addr = v->new_contact.addr;
				t.lead_name = v->new_contact.name;
			} else if (ra && ra->addr &&
			           !(v->cls == GR_CLASS_REFERRAL_INTRO &&
			             gr_strcaseeq(ra->addr, v->introducer.addr))) {
				t.lead_addr = ra->addr;
				t.lead_name = ra->name ? ra->name : m->from.name;
			}
		}
		if (!t.peer_addr && ra && ra->addr) {
			t.peer_addr = ra->addr;
			t.peer_name = ra->name ? ra->name : m->from.name;
		}
		/* What the lead says of themselves: their language and
		 * register, and whether there is no rush. */
		if (pl && ra && (gr_strcaseeq(ra->addr, t.lead_addr) ||
		                 !t.lang)) {
			if (pl->lang && *pl->lang)
				t.lang = pl->lang;
			if (gr_strcaseeq(ra->addr, t.lead_addr)) {
				t.formal = pl->formal;
				t.later = t.later || pl->later;
			}
		}
		if (at > t.last_in)
			t.last_in = at;
		st = gr_state_thread_put(lf->state, &t, err);
	}
	/* The other side wrote back: a pending nudge is no longer needed
	 * (not when the server found its From forged: a stranger's word). */
	if (st == GR_OK && thread && auth_of(lf, m) >= 0)
		st = close_thread(lf, thread, "followup", NULL, NULL, 0,
		                  &lf->withdrawn, err);
	if (st == GR_OK)
		st = record_reminders(lf, thread, pl, m->message_id, err);
	if (st == GR_OK)
		st = record_referral(lf, m, v, pl, at, err);
	if (st == GR_OK)
		st = record_optin(lf, pl, at, err);
	gr_state_threads_free(&tl);
	free(thread);
	return st;
}

gr_status
gr_life_redo_thread(gr_life *lf, const char *thread, const char *message_id,
                    const gr_plan *pl, const char *const *cancel,
                    size_t ncancel, long *cancelled, gr_error *err)
{
	gr_state_rems l = { 0 };
	gr_status st = GR_OK;

	if (ncancel)
		st = gr_state_rem_list(lf->state, thread, 1, 0, &l, err);
	for (size_t i = 0; st == GR_OK && i < l.n; i++)
		for (size_t k = 0; k < ncancel; k++)
			if (strcmp(l.v[i].uid, cancel[k]) == 0) {
				st = close_reminder(lf, &l.v[i], err);
				if (st == GR_OK && cancelled)
					(*cancelled)++;
				break;
			}
	if (st == GR_OK)
		st = record_reminders(lf, thread, pl, message_id, err);
	gr_state_rems_free(&l);
	return st;
}

gr_status
gr_life_redo(gr_life *lf, const gr_message *m, const gr_verdict *v,
             const gr_plan *pl, const char *const *cancel, size_t ncancel,
             long *cancelled, gr_error *err)
{
	char *thread = NULL;
	gr_status st;

	st = thread_of(lf, m, &thread, err);
	if (st == GR_OK)
		st = gr_life_redo_thread(lf, thread, m->message_id, pl, cancel,
		                         ncancel, cancelled, err);
	if (st == GR_OK)
		st = record_referral(lf, m, v, pl, msg_time(lf, m), err);
	if (st == GR_OK)
		st = record_optin(lf, pl, msg_time(lf, m), err);
	free(thread);
	return st;
}

/* --- follow-ups ----------------------------------------------------------- */

static int
followup_class(const char *cls)
{
	return cls && (strcmp(cls, "inquiry") == 0 ||
	               strcmp(cls, "referral_intro") == 0);
}

static int
seq_of(void *aux, const char *uid)
{
	return gr_state_sequence_of(aux, uid);
}

/* The follow-up of thread t as the current rules plan it (the tick's
 * and a redo's alike). */
static gr_status
plan_followup(gr_life *lf, const gr_state_thread *t, gr_plan *pl,
              gr_error *err)
{
	gr_plan_ctx ctx = { lf->now, seq_of, lf->state, NULL, lf->cal, NULL,
	                    gr_state_draft_key(lf->state) };
	gr_followup f;

	memset(&f, 0, sizeof f);
	f.peer_name = t->lead_addr ? t->lead_name : t->peer_name;
	f.peer_addr = t->lead_addr ? t->lead_addr : t->peer_addr;
	f.open_question = t->open_question;
	f.lang = t->lang;
	f.formal = t->formal;
	f.later = t->later;
	f.subject = t->subject;
	f.owner_msgid = t->owner_msgid;
	f.thread = t->thread;
	f.last_out = t->last_out;
	return gr_actions_followup(lf->policy, lf->rules, &f, &ctx, pl, err);
}

gr_status
gr_life_followup_replan(gr_life *lf, const gr_state_thread *t, gr_plan *pl,
                        gr_error *err)
{
	gr_due after;
	int max;

	memset(pl, 0, sizeof *pl);
	gr_policy_followup(lf->policy, &after, &max);
	if (max <= 0 || !followup_class(t->cls) || !t->owner_msgid ||
	    !t->peer_addr)
		return GR_OK;   /* no follow-up planned now */
	return plan_followup(lf, t, pl, err);
}

static gr_status
write_plan(gr_life *lf, const gr_plan *pl, gr_error *err)
{
	char path[PATH_MAX];
	gr_status st = GR_OK;

	for (size_t i = 0; st == GR_OK && i < pl->n; i++) {
		st = out_path(lf, pl->v[i].relpath, path, sizeof path, err);
		if (st == GR_OK)
			st = gr_write_atomic(path, pl->v[i].content, pl->v[i].len,
			                     err);
	}
	return st;
}

static gr_status
record_followup(gr_life *lf, gr_state_thread *t, const gr_plan *pl,
                gr_error *err)
{
	gr_status st = gr_state_begin(lf->state, err);

	for (size_t i = 0; st == GR_OK && i < pl->n; i++) {
		const gr_output *o = &pl->v[i];
		char hash[65];

		gr_sha256_hex(o->content, o->len, hash);
		st = gr_state_record_output(lf->state, t->owner_msgid,
		                            o->kind == GR_OUT_REMINDER ?
		                            "reminder" : "draft", o->action,
		                            o->relpath, o->uid, o->sequence, o->due,
		                            hash, err);
	}
	if (st == GR_OK)
		st = record_reminders(lf, t->thread, pl, t->owner_msgid, err);
	if (st == GR_OK) {
		t->followups++;
		st = gr_state_thread_put(lf->state, t, err);
	}
	if (st == GR_OK)
		st = gr_state_commit(lf->state, err);
	if (st != GR_OK)
		gr_state_rollback(lf->state);
	return st;
}

gr_status
gr_life_tick(gr_life *lf, FILE *fp, gr_error *err)
{
	const gr_profile *prof = gr_owner_profile(gr_rules_owner(lf->rules));
	gr_state_threads tl = { 0 };
	const gr_policy_settings *ps = gr_policy_get_settings(lf->policy);
	gr_due after;
	int max;
	gr_status st;

	gr_policy_followup(lf->policy, &after, &max);
	if (max <= 0)
		return GR_OK;
	st = gr_state_thread_waiting(lf->state, max, &tl, err);
	for (size_t i = 0; st == GR_OK && i < tl.n; i++) {
		gr_state_thread *t = &tl.v[i];
		gr_plan pl = { 0 };
		time_t due;

		/* Only when the owner's last message to the lead asked
		 * something or offered a next step; only to the lead; later
		 * when they said there is no rush. */
		if (!followup_class(t->cls) || !t->owner_msgid || !t->peer_addr ||
		    t->last_out <= t->last_in || t->followups >= max ||
		    !t->asked)
			continue;
		st = gr_due_compute(prof, t->later ? &ps->fu_later : &after,
		                    t->last_out, &due, err);
		if (st != GR_OK || due > lf->now)
			continue;
		st = plan_followup(lf, t, &pl, err);
		if (st == GR_OK)
			st = write_plan(lf, &pl, err);
		if (st == GR_OK)
			st = record_followup(lf, t, &pl, err);
		if (st == GR_OK) {
			lf->followups++;
			if (fp)
				gr_term_line(fp, "%-14s %s: %s", "followup",
				             t->peer_addr, t->subject ? t->subject : "");
			for (size_t k = 0; fp && k < pl.n; k++)
				gr_term_line(fp, "    %s", pl.v[k].summary);
		}
		gr_plan_free(&pl);
	}
	gr_state_threads_free(&tl);
	return st;
}

/* --- the combined feed ---------------------------------------------------- */

/*
 * The feed is rewritten only when what it would hold may have changed: the
 * state's token for it (a count of changes to the reminders, kept by
 * triggers, and the number of done ones still in the window) is kept
 * beside it, so a poll that finds nothing new costs the same whatever the
 * number of reminders.  When it changed, the feed is written piece by piece
 * straight from the state rows: never whole in memory.
 */
#define FEED_SIG "gravity.ics.sig"

static int
feed_unchanged(const gr_life *lf, const char *token)
{
	char path[PATH_MAX], *old = NULL;
	struct stat sb;
	int same = 0;

	if (out_path(lf, "gravity.ics", path, sizeof path, NULL) != GR_OK ||
	    stat(path, &sb) != 0)
		return 0;
	if (out_path(lf, FEED_SIG, path, sizeof path, NULL) == GR_OK &&
	    gr_read_file(path, 128, &old, NULL, NULL) == GR_OK)
		same = strcmp(old, token) == 0;
	free(old);
	return same;
}

/* Reminders read from the state per page of the feed. */
#define FEED_PAGE 256

/* First pass: the feed's time span and zones. */
typedef struct feed_span {
	time_t lo, hi;
	size_t n;
	gr_strv zones;
} feed_span;

static gr_status
span_add(void *aux, const gr_state_rem *r, gr_error *err)
{
	feed_span *sp = aux;
	const char *tz = r->tzid ? r->tzid : "UTC";

	if (sp->n == 0 || r->due < sp->lo)
		sp->lo = r->due;
	if (sp->n == 0 || r->due > sp->hi)
		sp->hi = r->due;
	sp->n++;
	for (size_t i = 0; i < sp->zones.n; i++)
		if (strcmp(sp->zones.v[i], tz) == 0)
			return GR_OK;
	if (gr_strv_push(&sp->zones, tz) != GR_OK)
		return gr_error_set(err, GR_E_NOMEM, "feed: out of memory");
	return GR_OK;
}

/* Second pass: each reminder rendered and written to f. */
static gr_status
feed_put(void *f, const gr_state_rem *r, gr_error *err)
{
	gr_reminder rem;
	char *ics = NULL;
	gr_status st;

	to_reminder(r, &rem);
	st = gr_calendar_render_component(&rem, &ics, err);
	if (st == GR_OK)
		st = gr_afile_write(f, ics, strlen(ics), err);
	free(ics);
	return st;
}

/* Each reminder of the feed to fn, a page at a time. */
static gr_status
feed_pass(gr_life *lf, time_t since,
          gr_status (*fn)(void *, const gr_state_rem *, gr_error *),
          void *aux, gr_error *err)
{
	gr_state_rems page = { 0 };
	gr_status st;

	while ((st = gr_state_rem_page(lf->state, since, FEED_PAGE, &page,
	                               err)) == GR_OK && page.n)
		for (size_t i = 0; st == GR_OK && i < page.n; i++)
			st = fn(aux, &page.v[i], err);
	gr_state_rems_free(&page);
	return st;
}

static gr_status
feed_write(gr_life *lf, time_t since, const char *path, gr_error *err)
{
	feed_span sp = { 0 };
	gr_afile *f = NULL;
	char *head = NULL;
	gr_status st;

	st = feed_pass(lf, since, span_add, &sp, err);
	if (st == GR_OK) {
		const gr_profile *prof = gr_owner_profile(gr_rules_owner(lf->rules));
		char name[160];

		snprintf(name, sizeof name, "gravity%s%.140s",
		         prof->name && *prof->name ? ": " : "",
		         prof->name ? prof->name : "");
		st = gr_calendar_feed_head_named((const char *const *)sp.zones.v,
		                                 sp.zones.n, sp.lo, sp.hi, name,
		                                 &head, err);
	}
	gr_strv_free(&sp.zones);
	if (st == GR_OK)
		st = gr_afile_open(path, &f, err);
	if (st != GR_OK) {
		free(head);
		return st;
	}
	st = gr_afile_write(f, head, strlen(head), err);
	free(head);
	if (st == GR_OK)
		st = feed_pass(lf, since, feed_put, f, err);
	if (st == GR_OK)
		st = gr_afile_write(f, GR_CALENDAR_FEED_TAIL,
		                    strlen(GR_CALENDAR_FEED_TAIL), err);
	if (st != GR_OK) {
		gr_afile_abort(f);
		return st;
	}
	return gr_afile_commit(f, err);
}

gr_status
gr_life_write_feed(gr_life *lf, gr_error *err)
{
	char token[64], path[PATH_MAX];
	time_t since = lf->now - (time_t)gr_policy_keep_done(lf->policy) * 86400;
	gr_status st;

	st = gr_state_rem_token(lf->state, since, token, err);
	if (st != GR_OK || feed_unchanged(lf, token))
		return st;
	st = out_path(lf, "gravity.ics", path, sizeof path, err);
	if (st == GR_OK)
		st = feed_write(lf, since, path, err);
	/* The token last: a crash before it only means one more rewrite. */
	if (st == GR_OK)
		st = out_path(lf, FEED_SIG, path, sizeof path, err);
	if (st == GR_OK)
		st = gr_write_atomic(path, token, strlen(token), err);
	return st;
}
