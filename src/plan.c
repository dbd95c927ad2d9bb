/* SPDX-License-Identifier: MIT */
/*
 * plan.c - the outputs (reminder .ics, draft .eml) the policy asks for one
 * classified message (plan.h), and the follow-up of a conversation that
 * went quiet.
 *
 * Implements the safety rule of RFC 3834 section 2: no draft is ever made
 * for machine-generated mail, whatever the policy says.
 * Output names follow RFC 5545 (UID) and RFC 5322 (msg-id) syntax.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>

#include "gravity/bhours.h"
#include "gravity/buf.h"
#include "gravity/calendar.h"
#include "gravity/draft.h"
#include "gravity/fileio.h"
#include "gravity/plan.h"
#include "gravity/template.h"
#include "gravity/util.h"

#define ACT_MAX_TEXT    (256u << 10)
#define ACT_EXCERPT     240     /* bytes of the excerpt */
#define ACT_QUOTE_BYTES 4000

/* Everything one plan needs, with the strings it makes. */
typedef struct act_run {
	const gr_policy_settings *p;
	const gr_owner *owner;
	const gr_profile *prof;
	const gr_message *m;
	const gr_verdict *v;
	const gr_plan_ctx *ctx;
	char id[17];
	int automated;
	time_t arrival;
	gr_addr who[GR_ROLE_COUNT];     /* borrowed; addr NULL if unknown */
	gr_var vars[32];
	size_t nvars;
	gr_strv owned;                  /* values made for vars */
	gr_plan *out;
	gr_error *err;
	const char *why;                /* replaces the classifier's reasons */
} act_run;

static const char *
first_name_of(act_run *ar, const char *name)
{
	char *s, *comma;
	size_t n;

	if (!name || !*name)
		return "";
	s = gr_strdup(name);
	if (!s || gr_strv_push_owned(&ar->owned, s) != GR_OK)
		return "";
	comma = strchr(s, ',');                 /* "Lee, Dana" */
	if (comma)
		s = comma + 1;
	s = gr_str_trim(s);
	if (*s == '"' || *s == '\'')
		s++;
	n = strcspn(s, " \t\"'");
	s[n] = '\0';
	return s;
}

static void
var_add(act_run *ar, const char *name, const char *value)
{
	if (ar->nvars < sizeof ar->vars / sizeof ar->vars[0]) {
		ar->vars[ar->nvars].name = name;
		ar->vars[ar->nvars].value = value ? value : "";
		ar->nvars++;
	}
}

static const char *
own(act_run *ar, char *s)
{
	if (!s || gr_strv_push_owned(&ar->owned, s) != GR_OK)
		return "";
	return s;
}

/* The first sentences of the new text, blanks collapsed, at most
 * ACT_EXCERPT bytes, cut at a character boundary. */
static char *
make_excerpt(const char *text)
{
	gr_buf b;
	int sentences = 0, blank = 0;
	const char *p;

	gr_buf_init(&b, ACT_EXCERPT + 8);
	for (p = text ? text : ""; *p && b.len < ACT_EXCERPT; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			blank = b.len > 0;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			continue;
		if (blank && gr_buf_addc(&b, ' ') != GR_OK)
			break;
		blank = 0;
		if (gr_buf_addc(&b, (char)c) != GR_OK)
			break;
		if ((c == '.' || c == '?' || c == '!') &&
		    (p[1] == ' ' || p[1] == '\n' || !p[1]) && ++sentences == 2)
			break;
	}
	if (*p && b.len >= ACT_EXCERPT) {
		while (b.len && ((unsigned char)b.data[b.len - 1] & 0xC0) == 0x80)
			b.len--;
		if (b.len && (unsigned char)b.data[b.len - 1] >= 0xC0)
			b.len--;
		if (b.data)
			b.data[b.len] = '\0';
		gr_buf_addstr(&b, "...");
	}
	return gr_buf_steal(&b);
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

	var_add(ar, names[r][0], a->name);
	var_add(ar, names[r][1], first_name_of(ar, a->name));
	var_add(ar, names[r][2], a->addr);
}

static void
resolve_roles(act_run *ar)
{
	const gr_message *m = ar->m;
	const gr_verdict *v = ar->v;
	const gr_addr *ra = gr_message_reply_addr(m);

	memset(ar->who, 0, sizeof ar->who);
	if (ra && ra->addr) {
		ar->who[GR_ROLE_SENDER] = *ra;
		if (!ra->name || !*ra->name)
			ar->who[GR_ROLE_SENDER].name = m->from.name;
	}
	if (v->introducer.addr)
		ar->who[GR_ROLE_INTRODUCER] = v->introducer;
	if (v->new_contact.addr)
		ar->who[GR_ROLE_NEW_CONTACT] = v->new_contact;
	else if (v->cls == GR_CLASS_REFERRAL_INTRO && ra && ra->addr &&
	         !gr_strcaseeq(ra->addr, v->introducer.addr))
		ar->who[GR_ROLE_NEW_CONTACT] = ar->who[GR_ROLE_SENDER];
	if (v->partner && v->partner->email) {
		ar->who[GR_ROLE_PARTNER].name = v->partner->name;
		ar->who[GR_ROLE_PARTNER].addr = v->partner->email;
	}
}

static void
build_vars(act_run *ar)
{
	const gr_profile *prof = ar->prof;
	const gr_verdict *v = ar->v;

	var_add(ar, "owner_name", prof->name);
	var_add(ar, "owner_first_name", first_name_of(ar, prof->name));
	var_add(ar, "owner_email", prof->emails.n ? prof->emails.v[0] : "");
	var_add(ar, "owner_org", prof->org);
	for (int r = 0; r < GR_ROLE_COUNT; r++)
		role_vars(ar, (gr_role)r);
	var_add(ar, "partner_org", v->partner ? v->partner->org : "");
	var_add(ar, "subject", ar->m->subject);
	var_add(ar, "service", v->service ? v->service->key : "");
	var_add(ar, "service_label", v->service ? v->service->label : "");
	var_add(ar, "excerpt", own(ar, make_excerpt(ar->m->new_text ?
	                                            ar->m->new_text : ar->m->text)));
	var_add(ar, "signature", prof->signature);
	var_add(ar, "date", ar->m->date ? own(ar, local_date(prof, ar->m->date,
	                                                       0)) : "");
}

static int
conds_hold(const act_run *ar, unsigned c)
{
	int partner = ar->who[GR_ROLE_PARTNER].addr != NULL;

	return !((c & GR_IF_PARTNER && !partner) ||
	         (c & GR_IF_NO_PARTNER && partner) ||
	         (c & GR_IF_OPT_IN && ar->p->direct) ||
	         (c & GR_IF_DIRECT && !ar->p->direct) ||
	         (c & GR_IF_KNOWN && !ar->v->sender_known) ||
	         (c & GR_IF_UNKNOWN && ar->v->sender_known));
}

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

static char *
reminder_description(act_run *ar)
{
	const gr_addr *s = &ar->who[GR_ROLE_SENDER];
	char *why = ar->why ? gr_strdup(ar->why) : why_text(ar), *when = NULL;
	const char *ex = NULL;
	gr_buf b;

	for (size_t i = 0; i < ar->nvars; i++)
		if (strcmp(ar->vars[i].name, "excerpt") == 0)
			ex = ar->vars[i].value;
	if (ar->m->date)
		when = local_date(ar->prof, ar->m->date, 1);
	gr_buf_init(&b, 16384);
	gr_buf_printf(&b, "From: %s%s%s%s\nSubject: %s\n",
	              s->name ? s->name : "", s->name ? " <" : "",
	              s->addr ? s->addr : "(unknown)", s->name ? ">" : "",
	              ar->m->subject ? ar->m->subject : "");
	if (when)
		gr_buf_printf(&b, "%s: %s\n", ar->why ? "You wrote" : "Received",
		              when);
	if (ar->v->service)
		gr_buf_printf(&b, "Service: %s\n", ar->v->service->label);
	if (ar->who[GR_ROLE_PARTNER].addr)
		gr_buf_printf(&b, "Partner: %s <%s>\n",
		              ar->who[GR_ROLE_PARTNER].name ?
		              ar->who[GR_ROLE_PARTNER].name : "",
		              ar->who[GR_ROLE_PARTNER].addr);
	gr_buf_printf(&b, "Why: %s\n", why ? why : "");
	if (ex && *ex)
		gr_buf_printf(&b, "\n%s\n", ex);
	free(why);
	free(when);
	return gr_buf_steal(&b);
}

static char *
default_summary(act_run *ar, const gr_action *it)
{
	const gr_addr *a = &ar->who[it->who];
	const char *who = a->name && *a->name ? a->name :
	                  a->addr ? a->addr : "the sender";
	const char *subj = ar->m->subject && *ar->m->subject ?
	                   ar->m->subject : "(no subject)";
	gr_buf b;

	gr_buf_init(&b, 2048);
	if (strcmp(it->action, "reply") == 0)
		gr_buf_printf(&b, "Reply to %s: %s", who, subj);
	else if (strncmp(it->action, "thank", 5) == 0)
		gr_buf_printf(&b, "Thank %s: %s", who, subj);
	else if (strcmp(it->action, "followup") == 0)
		gr_buf_printf(&b, "Follow up with %s: %s", who, subj);
	else
		gr_buf_printf(&b, "Follow up with %s (%s): %s", who, it->action,
		              subj);
	return gr_buf_steal(&b);
}

static gr_status
plan_reminder(act_run *ar, const gr_action *it)
{
	gr_reminder rem;
	gr_output *o;
	char uid[128], *summary = NULL, *desc = NULL, *body = NULL, *when;
	gr_status st;
	int seq;

	memset(&rem, 0, sizeof rem);
	st = gr_due_compute(ar->prof, &it->due, ar->arrival, &rem.due, ar->err);
	if (st != GR_OK)
		return st;
	snprintf(uid, sizeof uid, "%s-%s@gravity", ar->id, it->action);
	seq = ar->ctx->sequence_of ? ar->ctx->sequence_of(ar->ctx->aux, uid) : -1;
	if (it->summary)
		st = gr_template_render(it->summary, ar->vars, ar->nvars, &body,
		                        &summary, ar->err);
	else
		summary = default_summary(ar, it);
	free(body);
	desc = reminder_description(ar);
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

/* Add role r's address to l unless unknown, the owner's or already in
 * seen; seen collects every address used. */
static gr_status
add_rcpt(act_run *ar, gr_addrlist *l, gr_role r, gr_strv *seen)
{
	const gr_addr *a = &ar->who[r];
	gr_addr *nv;

	if (!a->addr || !gr_addr_spec_valid(a->addr) ||
	    gr_owner_is_owner(ar->owner, a->addr) ||
	    gr_strv_contains_ci(seen, a->addr))
		return GR_OK;
	nv = realloc(l->v, (l->n + 1) * sizeof *nv);
	if (!nv)
		return GR_E_NOMEM;
	l->v = nv;
	l->v[l->n++] = *a;
	if (gr_strv_push(seen, a->addr) != GR_OK)
		return GR_E_NOMEM;
	return GR_OK;
}

/* "On Tue 24 Nov 2026, Dana Lee wrote:" and "> " lines, bounded. */
static gr_status
add_quote(act_run *ar, gr_buf *b)
{
	const gr_message *m = ar->m;
	const char *t = m->new_text && *m->new_text ? m->new_text : m->text;
	const gr_addr *f = &m->from;
	char *when = m->date ? local_date(ar->prof, m->date, 0) : NULL;
	int lines = 0;
	size_t start = b->len;

	gr_buf_printf(b, "\n\nOn %s%s%s wrote:\n", when ? when : "",
	              when ? ", " : "", f->name && *f->name ? f->name :
	              f->addr ? f->addr : "you");
	free(when);
	while (t && *t && lines < ar->p->quote_lines &&
	       b->len - start < ACT_QUOTE_BYTES) {
		size_t n = strcspn(t, "\n");

		if (n && t[n - 1] == '\r')
			n--;
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

static char *
draft_body(act_run *ar, const gr_action *it, const char *text)
{
	const char *sig = ar->prof->signature;
	int quote = it->quote >= 0 ? it->quote :
	            (it->to == GR_ROLE_SENDER || it->to == GR_ROLE_NEW_CONTACT);
	gr_buf b;

	gr_buf_init(&b, ACT_MAX_TEXT);
	gr_buf_addstr(&b, text);
	while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == ' '))
		b.data[--b.len] = '\0';
	if (sig && *sig && !gr_template_uses(it->tpl, "signature"))
		gr_buf_printf(&b, "\n\n-- \n%s", sig);
	if (quote && ar->p->quote_lines > 0)
		add_quote(ar, &b);
	gr_buf_addc(&b, '\n');
	return gr_buf_steal(&b);
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
	char mid[256];
	gr_output *o;
	gr_status st;

	snprintf(mid, sizeof mid, "gravity.%s.%s%s", ar->id, it->action,
	         strchr(owner, '@'));
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
	if (!o->uid || !o->relpath || !o->summary)
		return gr_error_set(ar->err, GR_E_NOMEM, "plan: out of memory");
	return GR_OK;
}

static gr_status
plan_draft(act_run *ar, const gr_action *it)
{
	gr_draft d;
	gr_strv seen = { 0 }, refs = { 0 };
	char *subj = NULL, *text = NULL, *body = NULL;
	int threaded = it->to != GR_ROLE_PARTNER;
	gr_status st;

	memset(&d, 0, sizeof d);
	if (ar->automated || !ar->prof->emails.n)  /* RFC 3834: never */
		return ar->prof->emails.n ? GR_OK : gr_error_set(ar->err,
		       GR_E_CONFIG, "profile: no 'email' for the From of drafts");
	st = add_rcpt(ar, &d.to, it->to, &seen);
	for (int r = 0; r < GR_ROLE_COUNT && st == GR_OK; r++)
		if (it->cc & (1u << r))
			st = add_rcpt(ar, &d.cc, (gr_role)r, &seen);
	for (int r = 0; r < GR_ROLE_COUNT && st == GR_OK; r++)
		if (it->bcc & (1u << r))
			st = add_rcpt(ar, &d.bcc, (gr_role)r, &seen);
	if (st != GR_OK || d.to.n == 0)
		goto out;               /* nobody to write to: no draft */
	st = gr_template_render(it->tpl, ar->vars, ar->nvars, &subj, &text,
	                        ar->err);
	if (st != GR_OK)
		goto out;
	if (!subj || !*gr_str_trim(subj)) {
		free(subj);
		subj = gr_reply_subject(ar->m->subject);
	}
	body = draft_body(ar, it, text);
	d.from.name = ar->prof->name;
	d.from.addr = ar->prof->emails.v[0];
	d.subject = subj;
	d.date = ar->ctx->now;
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
	char hex[65];
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
	gr_sha256_hex(b.data ? b.data : "", b.len, hex);
	gr_buf_free(&b);
	memcpy(ar->id, hex, 16);
	ar->id[16] = '\0';
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
		pl->v = NULL;
		pl->n = 0;
	}
}

gr_status
gr_actions_plan(const gr_policy *p, const gr_rules *r, const gr_message *m,
                const gr_verdict *v, const gr_plan_ctx *ctx, gr_plan *out,
                gr_error *err)
{
	act_run ar;
	const gr_action *acts;
	size_t n;
	gr_status st = GR_OK;

	out->v = NULL;
	out->n = 0;
	if ((unsigned)v->cls >= GR_CLASS_COUNT)
		return gr_error_set(err, GR_E_INTERNAL, "plan: bad class %d",
		                    (int)v->cls);
	memset(&ar, 0, sizeof ar);
	ar.p = gr_policy_get_settings(p);
	ar.owner = gr_rules_owner(r);
	ar.prof = gr_owner_profile(ar.owner);
	ar.m = m;
	ar.v = v;
	ar.ctx = ctx;
	ar.out = out;
	ar.err = err;
	ar.automated = v->cls == GR_CLASS_AUTOMATED ||
	               gr_message_auto_signs(m, NULL) != GR_AUTO_NONE;
	ar.arrival = m->date > 0 && m->date <= ctx->now ? m->date : ctx->now;
	make_id(&ar);
	resolve_roles(&ar);
	build_vars(&ar);
	acts = gr_policy_actions(p, v->cls, &n);
	for (size_t i = 0; i < n && st == GR_OK; i++) {
		if (!conds_hold(&ar, acts[i].conds))
			continue;
		st = acts[i].is_draft ? plan_draft(&ar, &acts[i]) :
		     plan_reminder(&ar, &acts[i]);
	}
	gr_strv_free(&ar.owned);
	if (st != GR_OK)
		gr_plan_free(out);
	return st;
}

gr_status
gr_actions_followup(const gr_policy *p, const gr_rules *r,
                    const gr_followup *f, const gr_plan_ctx *ctx,
                    gr_plan *out, gr_error *err)
{
	gr_message m;
	gr_verdict v;
	act_run ar;
	gr_action rem, dr;
	char *refs[2];
	char why[160];
	gr_status st;

	out->v = NULL;
	out->n = 0;
	if (!f->owner_msgid || !*f->owner_msgid || !f->peer_addr)
		return gr_error_set(err, GR_E_INTERNAL, "follow-up without the "
		                    "owner's message or a recipient");
	memset(&m, 0, sizeof m);
	memset(&v, 0, sizeof v);
	m.from.name = (char *)f->peer_name;
	m.from.addr = (char *)f->peer_addr;
	m.subject = (char *)(f->subject ? f->subject : "");
	m.message_id = (char *)f->owner_msgid;
	if (f->thread && strcmp(f->thread, f->owner_msgid) != 0) {
		refs[0] = (char *)f->thread;
		refs[1] = NULL;
		m.references.v = refs;
		m.references.n = 1;
	}
	m.date = f->last_out;
	m.text = m.new_text = m.quoted = m.signature = (char *)"";
	v.cls = GR_CLASS_OTHER;
	memset(&ar, 0, sizeof ar);
	ar.p = gr_policy_get_settings(p);
	ar.owner = gr_rules_owner(r);
	ar.prof = gr_owner_profile(ar.owner);
	ar.m = &m;
	ar.v = &v;
	ar.ctx = ctx;
	ar.out = out;
	ar.err = err;
	ar.arrival = f->last_out > 0 && f->last_out <= ctx->now ? f->last_out :
	             ctx->now;
	snprintf(why, sizeof why, "you answered and have heard nothing back; "
	         "one gentle follow-up (\"followup max\" in actions)");
	ar.why = why;
	make_id(&ar);
	resolve_roles(&ar);
	build_vars(&ar);
	memset(&rem, 0, sizeof rem);
	rem.action = (char *)"followup";
	rem.due = ar.p->fu_after;
	rem.who = GR_ROLE_SENDER;
	rem.to = GR_ROLE_NONE;
	st = plan_reminder(&ar, &rem);
	if (st == GR_OK && ar.p->fu_tpl) {
		memset(&dr, 0, sizeof dr);
		dr.is_draft = 1;
		dr.action = (char *)"followup";
		dr.to = GR_ROLE_SENDER;
		dr.tpl = ar.p->fu_tpl;
		dr.quote = 0;
		st = plan_draft(&ar, &dr);
	}
	gr_strv_free(&ar.owned);
	if (st != GR_OK)
		gr_plan_free(out);
	return st;
}
