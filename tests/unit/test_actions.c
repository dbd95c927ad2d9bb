/* SPDX-License-Identifier: MIT */
/* test_actions.c - the actions policy, tone lint and the plan of outputs,
 * with the shipped rules/actions, rules/tone and rules/templates. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libical/ical.h>

#include "gravity/draft.h"
#include "gravity/plan.h"
#include "gravity/util.h"

#include "testlib.h"

#define NOW     1793500000      /* Sat 31 Oct 2026 ~20:26 PDT */

typedef struct fx {
	char dir[PATH_MAX];     /* shipped policy + test owner */
	gr_rules *r;
	gr_policy *p;
} fx;

static void
link_in(const char *dir, const char *target, const char *name)
{
	char to[PATH_MAX];

	snprintf(to, sizeof to, "%s/%s", dir, name);
	assert_int_equal(symlink(tl_srcpath(target), to), 0);
}

/* A rules directory with the shipped actions, tone and templates and the
 * test owner's profile, services and partners. */
static int
setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	gr_diags d = { 0 };
	const char *dirs[1];

	if (!f)
		return -1;
	tl_mkdtemp(f->dir, sizeof f->dir, "act");
	link_in(f->dir, "rules/actions", "actions");
	link_in(f->dir, "rules/tone", "tone");
	link_in(f->dir, "rules/lists.rules", "lists.rules");
	link_in(f->dir, "rules/lang-en.rules", "lang-en.rules");
	link_in(f->dir, "rules/lang-es.rules", "lang-es.rules");
	link_in(f->dir, "rules/lang-pt.rules", "lang-pt.rules");
	link_in(f->dir, "rules/lang-fr.rules", "lang-fr.rules");
	link_in(f->dir, "rules/lang-de.rules", "lang-de.rules");
	link_in(f->dir, "rules/lang-it.rules", "lang-it.rules");
	link_in(f->dir, "rules/care", "care");
	link_in(f->dir, "rules/templates", "templates");
	link_in(f->dir, "tests/data/actions/owner/profile", "profile");
	link_in(f->dir, "tests/data/actions/owner/services", "services");
	link_in(f->dir, "tests/data/actions/owner/partners", "partners");
	dirs[0] = f->dir;
	if (gr_rules_load(dirs, 1, &f->r, &d) != GR_OK ||
	    gr_policy_load(f->r, &f->p, &d) != GR_OK || gr_diags_errors(&d)) {
		gr_diags_print(&d, stderr);
		return -1;
	}
	gr_diags_free(&d);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fx *f = *state;

	gr_policy_free(f->p);
	gr_rules_free(f->r);
	if (tl_rmtree(f->dir) != 0)
		return -1;
	free(f);
	return 0;
}

/* A message built by hand (strings are not freed). */
static void
msg_init(gr_message *m, gr_header *hdrs, size_t nh)
{
	memset(m, 0, sizeof *m);
	m->headers = hdrs;
	m->n_headers = nh;
	m->from.name = "Dana Lee";
	m->from.addr = "dana@example.com";
	m->subject = "Kitchen remodel question";
	m->message_id = "abc123@mail.example.com";
	m->date = 1793406600;   /* Fri 30 Oct 2026 17:30 PDT */
	m->text = "Hello Maya. We want to buy a home in Midtown next spring. "
	          "Can you help? Our budget is private-detail-42.\n";
	m->new_text = m->text;
	m->quoted = "";
	m->signature = "";
	m->content_type = "text/plain";
}

static void
verdict_init(gr_verdict *v, gr_class cls)
{
	memset(v, 0, sizeof *v);
	v->cls = cls;
}

static const char *
expect_id(const char *mid)
{
	static char hex[65];

	gr_sha256_hex(mid, strlen(mid), hex);
	hex[16] = '\0';
	return hex;
}

static const gr_output *
find_out(const gr_plan *pl, gr_output_kind k, const char *action)
{
	if (getenv("GR_TEST_DEBUG"))
		for (size_t i = 0; i < pl->n; i++)
			fprintf(stderr, "# %s %s\n", pl->v[i].action, pl->v[i].summary);
	for (size_t i = 0; i < pl->n; i++)
		if (pl->v[i].kind == k && strcmp(pl->v[i].action, action) == 0)
			return &pl->v[i];
	return NULL;
}

/* The text of a draft: its quoted-printable body decoded, soft line
 * breaks joined, CRLF made LF.  Static buffer. */
static const char *
body_of(const char *eml)
{
	static char out[1 << 16];
	const char *p = strstr(eml, "\r\n\r\n");
	size_t o = 0;
	static const char hex[] = "0123456789ABCDEF";

	assert_non_null(p);
	for (p += 4; *p && o + 1 < sizeof out; p++) {
		if (p[0] == '=' && p[1] == '\r' && p[2] == '\n') {
			p += 2;
		} else if (p[0] == '=' && p[1] && p[2]) {
			out[o++] = (char)((strchr(hex, p[1]) - hex) * 16 +
			                  (strchr(hex, p[2]) - hex));
			p += 2;
		} else if (p[0] != '\r') {
			out[o++] = *p;
		}
	}
	out[o] = '\0';
	return out;
}

static int
seq_three(void *aux, const char *uid)
{
	(void)aux;
	return strstr(uid, "-reply@gravity") ? 3 : -1;
}

/* Parse a reminder back; its DESCRIPTION must hold want (if given). */
static void
check_ics_desc(const gr_output *o, const char *want)
{
	icalcomponent *cal = icalparser_parse_string(o->content), *ev;

	assert_non_null(cal);
	assert_int_equal(icalcomponent_count_errors(cal), 0);
	ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	assert_non_null(ev);
	assert_non_null(icalcomponent_get_first_property(ev,
	                ICAL_DTSTAMP_PROPERTY));
	assert_string_equal(icalcomponent_get_uid(ev), o->uid);
	if (want && !strstr(icalcomponent_get_description(ev), want))
		fail_msg("description:\n%s", icalcomponent_get_description(ev));
	icalcomponent_free(cal);
}

static void
check_ics(const gr_output *o)
{
	check_ics_desc(o, NULL);
}

static void
test_inquiry(void **state)
{
	fx *f = *state;
	gr_message m;
	gr_verdict v;
	gr_plan pl, pl2;
	gr_plan_ctx ctx = { NOW, NULL, NULL, NULL };
	gr_error err;
	const gr_output *rem, *dr;
	char want[256], hex[65];
	unsigned char key[GR_DRAFT_KEY_LEN];
	const char *id = expect_id("abc123@mail.example.com");

	memset(key, 0x5a, sizeof key);
	ctx.draft_key = key;
	msg_init(&m, NULL, 0);
	verdict_init(&v, GR_CLASS_INQUIRY);
	v.service = gr_owner_service_by_key(gr_rules_owner(f->r), "buying");
	assert_int_equal(gr_actions_plan(f->p, f->r, &m, &v, &ctx, &pl, &err),
	                 GR_OK);
	assert_int_equal(pl.n, 2);
	rem = find_out(&pl, GR_OUT_REMINDER, "reply");
	assert_non_null(rem);
	snprintf(want, sizeof want, "reminders/%s-reply.ics", id);
	assert_string_equal(rem->relpath, want);
	snprintf(want, sizeof want, "%s-reply@gravity", id);
	assert_string_equal(rem->uid, want);
	assert_int_equal(rem->sequence, 0);
	/* Friday 17:30 + 4bh: 30 min Friday, 3.5 h Saturday (10-14). */
	assert_int_equal(rem->due, 1793406600 + 30 * 60 + 16 * 3600
	                 + 3 * 3600 + 30 * 60);
	/* The summary says what to do; the description leads with what
	 * they ask, the reasons last. */
	assert_string_equal(rem->summary, "reminder: Reply to Dana: Can you "
	                    "help? \xe2\x80\x94 due Sat 31 Oct 13:30 PDT");
	check_ics_desc(rem, "They ask:\n> We want to buy a home in Midtown next "
	               "spring. Can you help?\n\nArea: Midtown\nTiming: We want "
	               "to buy a home in Midtown next spring.\nThey are in no "
	               "rush.\n\nFrom: Dana Lee <dana@example.com>\nSubject: "
	               "Kitchen remodel question\nReceived: Fri 30 Oct 17:30 PDT\n"
	               "Service: Buying a home\nWhy: classified as inquiry\n\n"
	               "Message-ID: <abc123@mail.example.com>");
	assert_non_null(strstr(rem->content, "URL:mid:abc123@mail.example.com"));

	dr = find_out(&pl, GR_OUT_DRAFT, "reply");
	assert_non_null(dr);
	snprintf(want, sizeof want, "drafts/%s-reply.eml", id);
	assert_string_equal(dr->relpath, want);
	/* The draft's Message-ID: keyed by the state's secret, not made
	 * from the request's Message-ID alone. */
	snprintf(want, sizeof want, "%s-reply", id);
	gr_hmac_sha256_hex(key, sizeof key, want, strlen(want), hex);
	snprintf(want, sizeof want, "gravity.%.32s@torreshomes.com", hex);
	assert_string_equal(dr->uid, want);
	assert_null(strstr(dr->uid, id));
	snprintf(want, sizeof want, "\r\nMessage-ID: <%s>\r\n", dr->uid);
	assert_non_null(strstr(dr->content, want));
	assert_non_null(strstr(dr->content, "From: Maya Torres "
	                       "<maya@torreshomes.com>\r\n"));
	assert_non_null(strstr(dr->content, "To: Dana Lee <dana@example.com>\r\n"));
	assert_non_null(strstr(dr->content, "Subject: Re: Kitchen remodel "
	                       "question\r\n"));
	assert_non_null(strstr(dr->content, "In-Reply-To: "
	                       "<abc123@mail.example.com>\r\n"));
	assert_non_null(strstr(dr->content, "References: "
	                       "<abc123@mail.example.com>\r\n"));
	assert_non_null(strstr(dr->content, "Hi Dana,"));
	assert_non_null(strstr(dr->content, "--=20\r\nMaya Torres"));
	assert_non_null(strstr(dr->content, "Dana Lee wrote:"));
	assert_non_null(strstr(dr->content, "> Hello Maya."));
	/* The question quoted back with a gap; the quote above "-- ";
	 * the Date in the owner's zone; format=flowed. */
	assert_non_null(strstr(dr->content, "> We want to buy a home in Midtown "
	                       "next spring. Can you help?\r\n\r\n[... yes or "
	                       "no, and how]\r\n"));
	assert_true(strstr(dr->content, "Dana Lee wrote:") <
	            strstr(dr->content, "--=20\r\n"));
	assert_non_null(strstr(dr->content, " -0700\r\n"));
	assert_non_null(strstr(dr->content, "format=flowed"));
	/* Timing was given: not asked again. */
	assert_null(strstr(dr->content, "What timing"));
	/* An offered service without a "say" line is not named: its label
	 * is a heading, and a wrong one would be a false statement. */
	assert_non_null(strstr(body_of(dr->content), "Thank you for your "
	                       "message. I'd be glad to help."));
	assert_null(strstr(dr->content, "about buying a home"));
	assert_string_equal(dr->summary, "draft to Dana Lee <dana@example.com>: "
	                    "Re: Kitchen remodel question");

	/* Same message, same names and bytes; a known UID raises SEQUENCE. */
	ctx.sequence_of = seq_three;
	assert_int_equal(gr_actions_plan(f->p, f->r, &m, &v, &ctx, &pl2, &err),
	                 GR_OK);
	assert_int_equal(pl2.n, 2);
	assert_string_equal(find_out(&pl2, GR_OUT_DRAFT, "reply")->content,
	                    dr->content);
	assert_string_equal(find_out(&pl2, GR_OUT_REMINDER, "reply")->relpath,
	                    rem->relpath);
	assert_int_equal(find_out(&pl2, GR_OUT_REMINDER, "reply")->sequence, 4);
	assert_non_null(strstr(find_out(&pl2, GR_OUT_REMINDER, "reply")->content,
	                "SEQUENCE:4"));
	gr_plan_free(&pl2);
	/* Another key (another state): the same names, another Message-ID. */
	key[0] ^= 1;
	assert_int_equal(gr_actions_plan(f->p, f->r, &m, &v, &ctx, &pl2, &err),
	                 GR_OK);
	assert_string_equal(find_out(&pl2, GR_OUT_DRAFT, "reply")->relpath,
	                    dr->relpath);
	assert_string_not_equal(find_out(&pl2, GR_OUT_DRAFT, "reply")->uid,
	                        dr->uid);
	gr_plan_free(&pl);
	gr_plan_free(&pl2);
}

static void
test_reply_to_and_no_message_id(void **state)
{
	fx *f = *state;
	gr_message m;
	gr_verdict v;
	gr_plan pl;
	gr_plan_ctx ctx = { NOW, NULL, NULL, "maildir:cur/1700000000.1" };
	gr_error err;
	gr_addr rt = { "Sam Visitor", "sam@visitor.example" };
	const gr_output *dr;
	char want[128];

	msg_init(&m, NULL, 0);
	m.from.name = "Torres Homes website";
	m.from.addr = "wordpress@torreshomes.com";
	m.reply_to.v = &rt;
	m.reply_to.n = 1;
	m.message_id = NULL;
	verdict_init(&v, GR_CLASS_INQUIRY);
	assert_int_equal(gr_actions_plan(f->p, f->r, &m, &v, &ctx, &pl, &err),
	                 GR_OK);
	dr = find_out(&pl, GR_OUT_DRAFT, "reply");
	assert_non_null(dr);
	assert_non_null(strstr(dr->content, "To: Sam Visitor "
	                       "<sam@visitor.example>\r\n"));
	assert_null(strstr(dr->content, "In-Reply-To:"));
	/* A web form's message is quoted under the visitor's name. */
	assert_non_null(strstr(dr->content, "Sam Visitor wrote:"));
	assert_null(strstr(dr->content, "website wrote:"));
	snprintf(want, sizeof want, "drafts/%s-reply.eml",
	         expect_id("maildir:cur/1700000000.1"));
	assert_string_equal(dr->relpath, want);
	gr_plan_free(&pl);
}

static void
test_never_draft_automated(void **state)
{
	fx *f = *state;
	gr_message m;
	gr_verdict v;
	gr_plan pl;
	gr_plan_ctx ctx = { NOW, NULL, NULL, NULL };
	gr_error err;
	gr_header auto_sub[] = { { "Auto-Submitted", "auto-replied" } };
	gr_header list_id[] = { { "List-Id", "<news.example.com>" } };
	gr_header human[] = { { "Auto-Submitted", "no" } };

	/* Classified inquiry, yet Auto-Submitted: a reminder, no draft. */
	msg_init(&m, auto_sub, 1);
	verdict_init(&v, GR_CLASS_INQUIRY);
	assert_int_equal(gr_actions_plan(f->p, f->r, &m, &v, &ctx, &pl, &err),
	                 GR_OK);
	assert_int_equal(pl.n, 1);
	assert_int_equal(pl.v[0].kind, GR_OUT_REMINDER);
	gr_plan_free(&pl);

	msg_init(&m, list_id, 1);
	assert_int_equal(gr_actions_plan(f->p, f->r, &m, &v, &ctx, &pl, &err),
	                 GR_OK);
	assert_null(find_out(&pl, GR_OUT_DRAFT, "reply"));
	gr_plan_free(&pl);

	msg_init(&m, NULL, 0);
	m.from.addr = "no-reply@shop.example";
	assert_int_equal(gr_actions_plan(f->p, f->r, &m, &v, &ctx, &pl, &err),
	                 GR_OK);
	assert_null(find_out(&pl, GR_OUT_DRAFT, "reply"));
	gr_plan_free(&pl);

	/* "Auto-Submitted: no" is a person. */
	msg_init(&m, human, 1);
	assert_int_equal(gr_actions_plan(f->p, f->r, &m, &v, &ctx, &pl, &err),
	                 GR_OK);
	assert_non_null(find_out(&pl, GR_OUT_DRAFT, "reply"));
	gr_plan_free(&pl);

	/* Class automated: nothing at all. */
	msg_init(&m, NULL, 0);
	verdict_init(&v, GR_CLASS_AUTOMATED);
	assert_int_equal(gr_actions_plan(f->p, f->r, &m, &v, &ctx, &pl, &err),
	                 GR_OK);
	assert_int_equal(pl.n, 0);
	gr_plan_free(&pl);
}

/* A relay (gr_verdict.relay): its draft goes to a Reply-To that reaches
 * the person, which excuses the platform's no-reply sender and bulk
 * headers and no other machine sign; no Reply-To that reaches them, no
 * draft; and never a draft to a notice mailbox. */
static void
test_relay(void **state)
{
	fx *f = *state;
	gr_message m;
	gr_verdict v;
	gr_plan pl;
	gr_plan_ctx ctx = { NOW, NULL, NULL, NULL };
	gr_error err;
	gr_addr visitor = { "Ailsa Fraser", "ailsa@mailbox.example" };
	gr_addr platform = { "Forms", "forms@site.example" };
	gr_header bulk[] = { { "List-Unsubscribe", "<https://site.example/u>" } };
	gr_header autosub[] = { { "Auto-Submitted", "auto-generated" } };
	const gr_output *o;

	/* a form from a no-reply sender with bulk headers: the visitor */
	msg_init(&m, bulk, 1);
	m.from.name = "Site Forms";
	m.from.addr = "no-reply@forms.site.example";
	m.reply_to.v = &visitor;
	m.reply_to.n = 1;
	verdict_init(&v, GR_CLASS_INQUIRY);
	v.relay = 1;
	assert_int_equal(gr_actions_plan(f->p, f->r, &m, &v, &ctx, &pl, &err),
	                 GR_OK);
	assert_non_null(o = find_out(&pl, GR_OUT_DRAFT, "reply"));
	assert_non_null(strstr(o->content, "To: Ailsa Fraser <ailsa@mailbox.example>"));
	gr_plan_free(&pl);

	/* the same, not a relay: the no-reply sender means no draft */
	v.relay = 0;
	assert_int_equal(gr_actions_plan(f->p, f->r, &m, &v, &ctx, &pl, &err),
	                 GR_OK);
	assert_null(find_out(&pl, GR_OUT_DRAFT, "reply"));
	gr_plan_free(&pl);

	/* a relay with Auto-Submitted: no draft, whatever the Reply-To */
	msg_init(&m, autosub, 1);
	m.reply_to.v = &visitor;
	m.reply_to.n = 1;
	v.relay = 1;
	assert_int_equal(gr_actions_plan(f->p, f->r, &m, &v, &ctx, &pl, &err),
	                 GR_OK);
	assert_null(find_out(&pl, GR_OUT_DRAFT, "reply"));
	gr_plan_free(&pl);

	/* a relay whose Reply-To is the platform's own role mailbox: no
	 * draft, and the reminder says where to answer */
	msg_init(&m, NULL, 0);
	m.from.name = "Socialbook";
	m.from.addr = "messages@socialbook.example";
	m.subject = "Morag Kerr sent you a message";
	m.text = "Morag Kerr sent you a message\n\nCan you help us buy a "
	         "home?\n\nReply: https://socialbook.example/inbox/t/77\n"
	         "Unsubscribe: https://socialbook.example/unsubscribe\n";
	m.new_text = m.text;
	platform.addr = "notifications@socialbook.example";
	m.reply_to.v = &platform;
	m.reply_to.n = 1;
	assert_int_equal(gr_actions_plan(f->p, f->r, &m, &v, &ctx, &pl, &err),
	                 GR_OK);
	assert_null(find_out(&pl, GR_OUT_DRAFT, "reply"));
	assert_non_null(o = find_out(&pl, GR_OUT_REMINDER, "reply"));
	assert_non_null(strstr(o->rem_summary, "Reply on Socialbook to Morag"));
	assert_non_null(strstr(o->rem_description,
	                       "https://socialbook.example/inbox/t/77"));
	assert_null(strstr(o->rem_description, "unsubscribe"));
	gr_plan_free(&pl);

	/* not a relay, no machine sign, but a notice mailbox: no draft */
	msg_init(&m, NULL, 0);
	m.from.addr = "notifications@shop.example";
	v.relay = 0;
	assert_int_equal(gr_actions_plan(f->p, f->r, &m, &v, &ctx, &pl, &err),
	                 GR_OK);
	assert_null(find_out(&pl, GR_OUT_DRAFT, "reply"));
	gr_plan_free(&pl);
}

static void
test_referral(void **state)
{
	fx *f = *state;
	gr_message m;
	gr_verdict v;
	gr_plan pl;
	gr_plan_ctx ctx = { NOW, NULL, NULL, NULL };
	gr_error err;
	gr_addr cc = { "Dana Lee", "dana@example.com" };
	const gr_output *o;

	msg_init(&m, NULL, 0);
	m.from.name = "Jane Park";
	m.from.addr = "jane@park.example";
	m.cc.v = &cc;
	m.cc.n = 1;
	m.subject = "Intro: Dana <> Maya";
	verdict_init(&v, GR_CLASS_REFERRAL_INTRO);
	v.introducer.name = "Jane Park";
	v.introducer.addr = "jane@park.example";
	v.new_contact = cc;
	assert_int_equal(gr_actions_plan(f->p, f->r, &m, &v, &ctx, &pl, &err),
	                 GR_OK);
	assert_int_equal(pl.n, 4);
	o = find_out(&pl, GR_OUT_DRAFT, "reply");
	assert_non_null(o);
	assert_non_null(strstr(o->content, "To: Dana Lee <dana@example.com>\r\n"));
	assert_non_null(strstr(o->content, "Bcc: Jane Park "
	                       "<jane@park.example>\r\n"));
	assert_null(strstr(o->content, "Cc:"));
	assert_non_null(strstr(o->content, "Subject: Re: Intro: Dana <> Maya"));
	assert_non_null(strstr(o->content, "Thank you, Jane, for connecting us "
	                       "(I've moved you to Bcc"));
	o = find_out(&pl, GR_OUT_DRAFT, "thanks");
	assert_non_null(o);
	assert_non_null(strstr(o->content, "To: Jane Park <jane@park.example>"));
	assert_non_null(strstr(o->content, "Subject: Thank you for the "
	                       "introduction\r\n"));
	o = find_out(&pl, GR_OUT_REMINDER, "reply");
	assert_non_null(o);
	/* As prompt as an inquiry: 4bh after Friday 17:30. */
	assert_string_equal(o->summary, "reminder: Reply to Dana (introduced by "
	                    "Jane): Intro: Dana <> Maya \xe2\x80\x94 due Sat 31 Oct "
	                    "13:30 PDT");
	check_ics(o);
	assert_null(strstr(o->content, "RELATED-TO"));
	o = find_out(&pl, GR_OUT_REMINDER, "update-introducer");
	assert_non_null(o);
	assert_non_null(strstr(o->summary, "Tell Jane how it went with Dana"));
	check_ics(o);
	/* Linked to the reply reminder it follows from. */
	assert_non_null(strstr(o->content, "RELATED-TO:"));
	assert_non_null(strstr(o->content, "-reply@gravity"));
	assert_int_equal(pl.intro_verified, 1);
	gr_plan_free(&pl);
}

static void
test_out_of_scope(void **state)
{
	fx *f = *state;
	gr_message m;
	gr_verdict v;
	gr_plan pl;
	gr_plan_ctx ctx = { NOW, NULL, NULL, NULL };
	gr_error err;
	const gr_output *o;

	msg_init(&m, NULL, 0);
	m.subject = "Know a good mortgage broker?";
	verdict_init(&v, GR_CLASS_OUT_OF_SCOPE);
	v.service = gr_owner_service_by_key(gr_rules_owner(f->r), "mortgage");
	v.partner = gr_owner_partner_for(gr_rules_owner(f->r), "mortgage");
	assert_non_null(v.partner);
	assert_int_equal(gr_actions_plan(f->p, f->r, &m, &v, &ctx, &pl, &err),
	                 GR_OK);
	assert_int_equal(pl.n, 3);
	o = find_out(&pl, GR_OUT_DRAFT, "ask-partner");
	assert_non_null(o);
	assert_non_null(strstr(o->content, "To: Luis Romero "
	                       "<luis@capitolmortgage.com>\r\n"));
	assert_null(strstr(o->content, "In-Reply-To:"));
	assert_null(strstr(o->content, "dana@example.com"));    /* minimal */
	assert_null(strstr(o->content, "private-detail"));
	assert_null(strstr(o->content, "Kitchen"));
	o = find_out(&pl, GR_OUT_DRAFT, "offer-intro");
	assert_non_null(o);
	assert_non_null(strstr(o->content, "To: Dana Lee <dana@example.com>"));
	assert_non_null(strstr(o->content, "Luis Romero"));
	/* A referred-out service is named by its label, lowered. */
	assert_non_null(strstr(body_of(o->content), "I don't handle mortgages,"));
	assert_null(find_out(&pl, GR_OUT_DRAFT, "decline"));
	assert_non_null(find_out(&pl, GR_OUT_REMINDER, "reply"));
	gr_plan_free(&pl);

	/* No partner: a kind decline, no promise. */
	v.partner = NULL;
	assert_int_equal(gr_actions_plan(f->p, f->r, &m, &v, &ctx, &pl, &err),
	                 GR_OK);
	assert_int_equal(pl.n, 2);
	assert_non_null(find_out(&pl, GR_OUT_DRAFT, "decline"));
	assert_null(find_out(&pl, GR_OUT_DRAFT, "ask-partner"));
	gr_plan_free(&pl);
}

/* Load the shipped rules with extra as a second, higher layer. */
static gr_status
load_layered(fx *f, const char *extra, gr_diags *d, gr_rules **r,
             gr_policy **p)
{
	const char *dirs[2] = { f->dir, extra };
	gr_status st;

	*p = NULL;
	st = gr_rules_load(dirs, 2, r, d);
	assert_int_equal(st, GR_OK);
	return gr_policy_load(*r, p, d);
}

static int
has_diag(const gr_diags *d, const char *file, unsigned line, unsigned col,
         const char *what)
{
	for (size_t i = 0; i < d->n; i++)
		if (strstr(d->v[i].file, file) && d->v[i].line == line &&
		    d->v[i].col == col && strstr(d->v[i].msg, what) &&
		    !d->v[i].warning)
			return 1;
	return 0;
}

static void
test_tone_lint(void **state)
{
	fx *f = *state;
	char extra[PATH_MAX];
	gr_diags d = { 0 };
	gr_rules *r;
	gr_policy *p;

	snprintf(extra, sizeof extra, "%s", tl_srcpath("tests/data/actions/pushy"));
	assert_int_equal(load_layered(f, extra, &d, &r, &p), GR_E_CONFIG);
	assert_null(p);
	assert_true(has_diag(&d, "pushy/templates/inquiry.txt", 1, 10,
	                     "\"act now\""));
	assert_true(has_diag(&d, "inquiry.txt", 1, 17, "!!"));
	assert_true(has_diag(&d, "inquiry.txt", 1, 20, "\"only N spots\""));
	assert_true(has_diag(&d, "inquiry.txt", 4, 11, "ALL-CAPS word \"FREE\""));
	assert_true(has_diag(&d, "inquiry.txt", 4, 25, "\"don't miss out\""));
	assert_true(has_diag(&d, "inquiry.txt", 5, 1, "\"just bumping this\""));
	assert_true(has_diag(&d, "inquiry.txt", 5, 28, "\"haven't heard back\""));
	for (size_t i = 0; i < d.n; i++)        /* FAQ is allowed */
		assert_null(strstr(d.v[i].msg, "FAQ"));
	gr_diags_free(&d);
	gr_rules_free(r);
}

static void
test_policy_errors(void **state)
{
	fx *f = *state;
	char dir[PATH_MAX];
	gr_diags d = { 0 };
	gr_rules *r;
	gr_policy *p;

	tl_mkdtemp(dir, sizeof dir, "act-bad");
	tl_write(dir, "actions",
	           "on automated\n"
	           "\tdraft sorry to sender template inquiry.txt\n"
	           "on inquiry\n"
	           "\tremind reply due 3weeks\n"
	           "\tdraft reply to boss template inquiry.txt\n"
	           "\tdraft reply2 to sender template missing.txt\n"
	           "\tremind r2 due 1bd if sunny\n"
	           "on spam\n"
	           "alarm -5\n");
	assert_int_equal(load_layered(f, dir, &d, &r, &p), GR_E_CONFIG);
	assert_null(p);
	assert_true(has_diag(&d, "actions", 2, 2, "RFC 3834"));
	assert_true(has_diag(&d, "actions", 4, 19, "bad due '3weeks'"));
	assert_true(has_diag(&d, "actions", 5, 17, "unknown role 'boss'"));
	assert_true(has_diag(&d, "actions", 6, 34, "templates/missing.txt"));
	assert_true(has_diag(&d, "actions", 7, 23, "unknown condition 'sunny'"));
	assert_true(has_diag(&d, "actions", 8, 4, "'on' wants one class"));
	assert_true(has_diag(&d, "actions", 9, 7, "'alarm' wants a number"));
	gr_diags_free(&d);
	gr_rules_free(r);
	assert_int_equal(tl_rmtree(dir), 0);
}

/* A forged referral.  The introducer is only quoted ("On ...,
 * Lena Park <lena@...> wrote:") or only named: no thank-you draft, no
 * Bcc, no claim of a Bcc; a reminder to confirm and thank, naming them. */
static void
test_referral_claims(void **state)
{
	fx *f = *state;
	gr_message m;
	gr_verdict v;
	gr_plan pl;
	gr_plan_ctx ctx = { NOW, NULL, NULL, NULL, NULL, NULL };
	gr_error err;
	const gr_output *o;
	char longname[400];

	memset(longname, 'L', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	msg_init(&m, NULL, 0);
	m.from.name = longname;
	m.from.addr = "sam@stranger.example";
	m.subject = "Lena Park referred me";
	m.text = "Hi Maya, Lena Park referred me. Thanks Lena! Can you help us "
	         "buy a home?\n\nOn Mon, Lena Park <lena@park.example> wrote:\n"
	         "> go talk to Maya\n";
	m.new_text = "Hi Maya, Lena Park referred me. Thanks Lena! Can you help "
	             "us buy a home?\n";
	verdict_init(&v, GR_CLASS_REFERRAL_INTRO);
	v.introducer.name = "Lena Park";
	v.introducer.addr = "lena@park.example";
	assert_int_equal(gr_actions_plan(f->p, f->r, &m, &v, &ctx, &pl, &err),
	                 GR_OK);
	assert_null(find_out(&pl, GR_OUT_DRAFT, "thanks"));
	o = find_out(&pl, GR_OUT_DRAFT, "reply");
	assert_non_null(o);
	assert_null(strstr(o->content, "Bcc:"));
	assert_null(strstr(o->content, "lena@park.example"));
	assert_null(strstr(o->content, "moved you to Bcc"));
	/* The sender's display name is capped (64 bytes). */
	assert_null(strstr(o->content, "LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL"
	                   "LLLLLLLLLLLLLLLLLLLLLLLLL"));
	o = find_out(&pl, GR_OUT_REMINDER, "thanks");
	assert_non_null(o);
	assert_non_null(strstr(o->summary, "Confirm, then thank Lena Park"));
	check_ics_desc(o, "names Lena Park as the one who referred them");
	assert_int_equal(pl.intro_verified, 0);
	assert_string_equal(pl.intro_name, "Lena Park");
	gr_plan_free(&pl);

	/* Named only: recorded by name, a reminder naming them. */
	v.introducer.addr = NULL;
	m.text = m.new_text;
	assert_int_equal(gr_actions_plan(f->p, f->r, &m, &v, &ctx, &pl, &err),
	                 GR_OK);
	assert_null(find_out(&pl, GR_OUT_DRAFT, "thanks"));
	assert_non_null(find_out(&pl, GR_OUT_REMINDER, "thanks"));
	assert_string_equal(pl.intro_name, "Lena Park");
	assert_null(pl.intro_addr);
	gr_plan_free(&pl);

	/* A forged From: the receiving server found no pass. */
	{
		gr_header ar[] = { { "Authentication-Results", "mx.example; "
		                     "dkim=fail header.d=park.example; spf=softfail "
		                     "smtp.mailfrom=park.example; dmarc=fail" } };
		gr_addr cc = { "Dana Lee", "dana@example.com" };

		msg_init(&m, ar, 1);
		m.from.name = "Lena Park";
		m.from.addr = "lena@park.example";
		m.cc.v = &cc;
		m.cc.n = 1;
		v.introducer.addr = "lena@park.example";
		assert_int_equal(gr_actions_plan(f->p, f->r, &m, &v, &ctx, &pl,
		                                 &err), GR_OK);
		assert_null(find_out(&pl, GR_OUT_DRAFT, "thanks"));
		o = find_out(&pl, GR_OUT_DRAFT, "reply");
		assert_non_null(o);
		assert_null(strstr(o->content, "Bcc:"));
		gr_plan_free(&pl);
		/* The same with a pass: a real introducer. */
		ar[0].value = "mx.example; dkim=pass header.d=park.example";
		assert_int_equal(gr_actions_plan(f->p, f->r, &m, &v, &ctx, &pl,
		                                 &err), GR_OK);
		assert_non_null(find_out(&pl, GR_OUT_DRAFT, "thanks"));
		gr_plan_free(&pl);
	}
}

static int
seen_intro(void *aux, const char *const *ids, size_t n, const char *addr)
{
	(void)aux;
	return n == 1 && strcmp(ids[0], "intro@park.example") == 0 &&
	       strcmp(addr, "lena@park.example") == 0;
}

/* Who gets the reply.  The introducer who asked to be copied
 * stays in Cc; everyone introduced is addressed; an introducer the owner's
 * own mail shows is thanked although only quoted; the Bcc claim follows
 * the Bcc. */
static void
test_referral_recipients(void **state)
{
	fx *f = *state;
	gr_message m;
	gr_verdict v;
	gr_plan pl;
	gr_plan_ctx ctx = { NOW, NULL, NULL, NULL, NULL, seen_intro };
	gr_error err;
	gr_addr cc[2] = { { "Lan Nguyen", "lan@example.com" },
	                  { "Minh Tran", "minh@example.com" } };
	const gr_output *o;

	msg_init(&m, NULL, 0);
	m.from.name = "Rachel Stein";
	m.from.addr = "rachel@law.example";
	m.cc.v = cc;
	m.cc.n = 2;
	m.subject = "Introduction";
	m.text = m.new_text = "Maya, meet Lan and Minh. Please copy me on the "
	                      "listing agreement.\n";
	verdict_init(&v, GR_CLASS_REFERRAL_INTRO);
	v.introducer.name = "Rachel Stein";
	v.introducer.addr = "rachel@law.example";
	v.new_contact = cc[0];
	assert_int_equal(gr_actions_plan(f->p, f->r, &m, &v, &ctx, &pl, &err),
	                 GR_OK);
	o = find_out(&pl, GR_OUT_DRAFT, "reply");
	assert_non_null(o);
	assert_non_null(strstr(o->content, "To: Lan Nguyen <lan@example.com>, "
	                       "Minh Tran <minh@example.com>\r\n"));
	assert_non_null(strstr(o->content, "Cc: Rachel Stein "
	                       "<rachel@law.example>\r\n"));
	assert_null(strstr(o->content, "Bcc:"));
	assert_null(strstr(o->content, "moved you to Bcc"));
	assert_non_null(strstr(o->content, "kept you in copy"));
	assert_non_null(strstr(o->content, "Hi Lan and Minh,"));
	o = find_out(&pl, GR_OUT_DRAFT, "thanks");
	assert_non_null(o);
	assert_non_null(strstr(o->content, "Lan and Minh"));
	gr_plan_free(&pl);

	/* The new contact replies on the thread, the introducer already
	 * moved out: no Bcc, no claim; the owner's mail has the introduction
	 * (In-Reply-To), so the thank-you is drafted. */
	msg_init(&m, NULL, 0);
	m.from.name = "Sarah Whitfield";
	m.from.addr = "sarah@example.com";
	m.in_reply_to = "intro@park.example";
	m.subject = "Re: Intro";
	m.text = m.new_text = "Thanks Lena! (moving you to bcc)\n\nHi Maya, nice "
	                      "to meet you.\n";
	verdict_init(&v, GR_CLASS_REFERRAL_INTRO);
	v.introducer.name = "Lena Park";
	v.introducer.addr = "lena@park.example";
	assert_int_equal(gr_actions_plan(f->p, f->r, &m, &v, &ctx, &pl, &err),
	                 GR_OK);
	o = find_out(&pl, GR_OUT_DRAFT, "reply");
	assert_non_null(o);
	assert_non_null(strstr(o->content, "To: Sarah Whitfield"));
	assert_null(strstr(o->content, "Bcc:"));
	assert_null(strstr(o->content, "Bcc to spare"));
	assert_non_null(find_out(&pl, GR_OUT_DRAFT, "thanks"));
	assert_int_equal(pl.intro_verified, 1);
	gr_plan_free(&pl);
}

/* A Reply-To that is not From gets its own name or none,
 * and the reminder names both; a co-buyer in Cc stays in copy. */
static void
test_reply_to_differs(void **state)
{
	fx *f = *state;
	gr_message m;
	gr_verdict v;
	gr_plan pl;
	gr_plan_ctx ctx = { NOW, NULL, NULL, NULL, NULL, NULL };
	gr_error err;
	gr_addr rt = { NULL, "collect@attacker.example" };
	gr_addr cc = { "Leah Haddad", "leah@example.com" };
	const gr_output *o;

	msg_init(&m, NULL, 0);
	m.from.name = "Jane Writer";
	m.from.addr = "jane@writer.example";
	m.reply_to.v = &rt;
	m.reply_to.n = 1;
	m.cc.v = &cc;
	m.cc.n = 1;
	verdict_init(&v, GR_CLASS_INQUIRY);
	assert_int_equal(gr_actions_plan(f->p, f->r, &m, &v, &ctx, &pl, &err),
	                 GR_OK);
	o = find_out(&pl, GR_OUT_DRAFT, "reply");
	assert_non_null(o);
	assert_non_null(strstr(o->content, "To: <collect@attacker.example>\r\n"));
	assert_null(strstr(o->content, "Jane Writer <collect"));
	assert_non_null(strstr(o->content, "Cc: Leah Haddad <leah@example.com>"));
	o = find_out(&pl, GR_OUT_REMINDER, "reply");
	assert_non_null(o);
	assert_non_null(strstr(o->summary, "collect@attacker.example"));
	check_ics_desc(o, "From: Jane Writer <jane@writer.example>\nReply-To: "
	               "collect@attacker.example (not the From address");
	gr_plan_free(&pl);
}

/* The template by context and language; a sensitive
 * situation gets no cheer; a formal Spanish message a formal greeting. */
static void
test_context_templates(void **state)
{
	fx *f = *state;
	gr_message m;
	gr_verdict v;
	gr_plan pl;
	gr_plan_ctx ctx = { NOW, NULL, NULL, NULL, NULL, NULL };
	gr_error err;
	const gr_output *o;

	msg_init(&m, NULL, 0);
	m.from.name = "Ron Whitaker";
	m.text = m.new_text = "Hello, my mother passed away last month and we "
	                      "need to sell her house. What is it worth?\n";
	verdict_init(&v, GR_CLASS_INQUIRY);
	assert_int_equal(gr_actions_plan(f->p, f->r, &m, &v, &ctx, &pl, &err),
	                 GR_OK);
	o = find_out(&pl, GR_OUT_DRAFT, "reply");
	assert_non_null(o);
	assert_non_null(strstr(o->content, "telling me about your situation"));
	assert_null(strstr(o->content, "glad"));
	gr_plan_free(&pl);

	msg_init(&m, NULL, 0);
	m.from.name = "Mar\xc3\xad" "a Elena Guti\xc3\xa9rrez";
	m.text = m.new_text = "Buenas tardes, Sra. Torres:\n\nMi esposo y yo "
	                      "queremos comprar nuestra primera casa. \xc2\xbf"
	                      "Podr\xc3\xad" "amos hacer una cita? Un s\xc3\xa1"
	                      "bado ser\xc3\xad" "a mejor para nosotros.\n\n"
	                      "Atentamente,\nMar\xc3\xad" "a Elena\n";
	assert_int_equal(gr_actions_plan(f->p, f->r, &m, &v, &ctx, &pl, &err),
	                 GR_OK);
	o = find_out(&pl, GR_OUT_DRAFT, "reply");
	assert_non_null(o);
	assert_string_equal(pl.lang, "es");
	if (getenv("GR_TEST_DEBUG"))
		fprintf(stderr, "%s\n", body_of(o->content));
	assert_non_null(strstr(body_of(o->content), "Estimada Mar\xc3\xad" "a "
	                       "Elena:\n\nMuchas gracias por su mensaje"));
	assert_non_null(strstr(body_of(o->content), "> Mi esposo y yo queremos "
	                       "comprar nuestra primera casa. \xc2\xbfPodr\xc3\xad"
	                       "amos hacer \n> una cita? Un s\xc3\xa1" "bado "
	                       "ser\xc3\xad" "a mejor para nosotros.\n\n[... el "
	                       "d\xc3\xad" "a y la hora]\n"));
	/* The attribution line in the draft's language. */
	assert_non_null(strstr(body_of(o->content), "El 30/10/2026, Mar\xc3\xad"
	                       "a Elena Guti\xc3\xa9rrez escribi\xc3\xb3:\n"));
	assert_null(strstr(body_of(o->content), "Hi "));
	gr_plan_free(&pl);
}

/* Variants of a listed phrase are the same phrase; a user's
 * tone adds to the defaults and can remove one; summaries are linted. */
static void
test_tone_variants(void **state)
{
	fx *f = *state;
	char dir[PATH_MAX];
	gr_diags d = { 0 };
	gr_rules *r;
	gr_policy *p;

	tl_mkdtemp(dir, sizeof dir, "act-tone");
	tl_write(dir, "tone", "remove hurry\nsee you soon\n");
	tl_write(dir, "templates/inquiry.txt",
	           "Limited-time offer. I haven\xe2\x80\x99t heard from you.\n"
	           "Just following up on my previous email, a friendly reminder.\n"
	           "Are you still interested? Should I close your file?\n"
	           "No hurry. See you soon.\n");
	tl_write(dir, "actions", "on inquiry\n"
	           "\tremind reply due 1bd summary \"Act now: call "
	           "{{sender_name}}\"\n"
	           "\tdraft reply to sender template inquiry.txt\n");
	assert_int_equal(load_layered(f, dir, &d, &r, &p), GR_E_CONFIG);
	assert_true(has_diag(&d, "inquiry.txt", 1, 1, "\"limited time\""));
	assert_true(has_diag(&d, "inquiry.txt", 1, 21, "haven't heard from "
	                     "you"));
	assert_true(has_diag(&d, "inquiry.txt", 2, 1, "\"just following up\""));
	assert_true(has_diag(&d, "inquiry.txt", 2, 43, "\"friendly reminder\""));
	assert_true(has_diag(&d, "inquiry.txt", 3, 1, "are you still "
	                     "interested"));
	assert_true(has_diag(&d, "inquiry.txt", 3, 27, "should I close your "
	                     "file"));
	assert_true(has_diag(&d, "inquiry.txt", 4, 11, "\"see you soon\""));
	for (size_t i = 0; i < d.n; i++)
		assert_null(strstr(d.v[i].msg, "\"hurry\""));
	assert_true(has_diag(&d, "actions", 2, 32, "\"act now\""));
	gr_diags_free(&d);
	gr_rules_free(r);
	assert_int_equal(tl_rmtree(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inquiry),
		cmocka_unit_test(test_reply_to_and_no_message_id),
		cmocka_unit_test(test_never_draft_automated),
		cmocka_unit_test(test_referral),
		cmocka_unit_test(test_out_of_scope),
		cmocka_unit_test(test_tone_lint),
		cmocka_unit_test(test_policy_errors),
		cmocka_unit_test(test_referral_claims),
		cmocka_unit_test(test_referral_recipients),
		cmocka_unit_test(test_reply_to_differs),
		cmocka_unit_test(test_relay),
		cmocka_unit_test(test_context_templates),
		cmocka_unit_test(test_tone_variants),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
