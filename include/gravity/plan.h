/* SPDX-License-Identifier: MIT */
/*
 * plan.h - the outputs one classified message gets under the policy
 * (policy.h): reminders (.ics, calendar.h) and drafts (.eml, draft.h),
 * rendered from the templates with the message's people, service and
 * partner, and the follow-up of a conversation that went quiet.  Nothing
 * is written here: the caller writes the outputs (poll.c).
 *
 * Safety rule enforced here whatever the policy says and whatever the
 * scores: a message with any machine sign (gr_message_auto_signs), or
 * whose class is automated, never gets a draft (RFC 3834).  The one
 * exception: a platform's relay of a person (gr_verdict.relay) whose
 * Reply-To reaches that person is excused the platform's no-reply sender
 * and bulk-mail headers (gr_message_relay_signs), and its drafts go to
 * that Reply-To; a relay no address reaches gets no draft, and its
 * reminders say where to answer.  No draft goes to a no-reply or notice
 * mailbox (gr_addr_is_notifier).
 *
 * Ownership: a gr_plan owns its outputs and every string in them; free it
 * with gr_plan_free().
 */
#ifndef GRAVITY_PLAN_H
#define GRAVITY_PLAN_H

#include <stddef.h>
#include <time.h>
#include "gravity/classify.h"
#include "gravity/policy.h"

typedef enum gr_output_kind {
	GR_OUT_REMINDER = 0,
	GR_OUT_DRAFT,
} gr_output_kind;

/* One file to write.  All strings owned by the output. */
typedef struct gr_output {
	gr_output_kind kind;
	char *action;           /* policy action name, e.g. "reply", "thank" */
	char *relpath;          /* "reminders/NAME.ics" or "drafts/NAME.eml" */
	char *uid;              /* reminder UID, or draft Message-ID */
	int sequence;
	char *content;          /* the file's bytes, NUL-terminated */
	size_t len;
	char *summary;          /* one line for people: "draft to Dana Lee <d@x>" */
	time_t due;             /* reminders: when due; drafts: 0 */
	/* Reminders: what was rendered, so it can be rendered again (the
	 * combined feed, a cancellation).  NULL/0 for drafts. */
	char *rem_summary;
	char *rem_description;
	char *tzid;
	char *peer;             /* address of the person it is about */
	int as_todo, duration_min, alarm_min;
} gr_output;

typedef struct gr_plan {
	gr_output *v;
	size_t n;
	/* What the plan found about a referral, for the ledger
	 * (lifecycle.h).  Owned by the plan; NULL when none. */
	int intro_verified;     /* the introducer is on the message (From,
	                         * To, Cc, authenticated) or the owner's mail
	                         * shows the introduction */
	char *intro_name;       /* the introducer's name (capped) */
	char *intro_addr;       /* their address, verified or claimed */
	char *ask_mid;          /* Message-ID of the draft asking a partner */
	char *offer_mid;        /* ... offering the requester an introduction */
	char *intro_mid;        /* ... introducing requester and partner */
	char *lang;             /* language of the drafts ("en", "es"...) */
	char *area;             /* the area the message names, or NULL */
	int urgent, formal;     /* the message sounds urgent; is formal */
	int later;              /* it says no rush, or names a later season */
	/* The message answers a double opt-in (gr_life_optin_answer): the
	 * referral's id (0: none), which side (1 the partner, 2 the
	 * requester) and whether it said yes. */
	long optin_id;
	int optin_side, optin_yes;
} gr_plan;

typedef struct gr_plan_ctx {
	time_t now;             /* DTSTAMP and Date of drafts */
	/* Last committed SEQUENCE of a reminder UID, or -1 if new.  May be NULL. */
	int (*sequence_of)(void *aux, const char *uid);
	void *aux;
	/* Where the message came from ("imap:INBOX;UIDVALIDITY=1;UID=7",
	 * a Maildir file name...), used to name the outputs of a message that
	 * has no Message-ID.  May be NULL: then a hash of From, Date, Subject
	 * and text is used. */
	const char *source_id;
	/* Zones kept between reminders (calendar.h).  May be NULL. */
	struct gr_calcache *cal;
	/* 1 if one of the messages ids[0..n) came from addr: the owner's
	 * mail shows an introduction the message only quotes.  May be NULL
	 * (then a quoted introduction is never taken as shown). */
	int (*seen_from)(void *aux, const char *const *ids, size_t n,
	                 const char *addr);
	/* The state's key for the drafts' Message-IDs (gr_state_draft_key,
	 * GR_DRAFT_KEY_LEN bytes; see gr_draft_id).  May be NULL: then a key
	 * of this process's, and the IDs differ from run to run. */
	const unsigned char *draft_key;
	/* m's reading, made beforehand as gr_extract_message(m, the
	 * profile's signature) does (by the parser worker), or NULL: then
	 * gr_actions_plan reads m itself.  gr_actions_plan takes what it
	 * points to (leaves it empty); the struct stays the caller's. */
	struct gr_extract *reading;
} gr_plan_ctx;

/* Render the outputs for message m classified as v.  *out filled; free with
 * gr_plan_free.  Names are deterministic: the same message and action give
 * the same relpath and uid on every run. */
gr_status gr_actions_plan(const gr_policy *p, const gr_rules *r,
                          const gr_message *m, const gr_verdict *v,
                          const gr_plan_ctx *ctx, gr_plan *out,
                          gr_error *err);
void gr_plan_free(gr_plan *pl);

/* A conversation where the owner wrote last and the other side went quiet.
 * Strings owned by the caller. */
typedef struct gr_followup {
	const char *peer_name, *peer_addr;      /* whom the owner wrote to */
	const char *subject;    /* the conversation's subject */
	const char *owner_msgid;/* the owner's last message (without <>) */
	const char *thread;     /* the thread's first Message-ID, or NULL */
	time_t last_out;        /* when the owner wrote */
	const char *open_question;      /* the owner's question, or NULL */
	const char *lang;       /* the conversation's language, or NULL */
	int formal;
	int later;              /* they said no rush: "followup later" */
} gr_followup;

/* The gentle follow-up: reminder "followup" (due "followup after" past
 * last_out) and a draft from templates/followup.txt answering the owner's
 * last message, naming its open question.  Names are deterministic, as
 * for gr_actions_plan. */
gr_status gr_actions_followup(const gr_policy *p, const gr_rules *r,
                              const gr_followup *f, const gr_plan_ctx *ctx,
                              gr_plan *out, gr_error *err);

/* The two sides of a double opt-in said yes: the three-way introduction
 * (templates/three-way-intro.txt, To the requester, Cc the partner) and a
 * reminder.  The text carries the need in the owner's words (the
 * service), the area and the urgency, never the requester's message.
 * One side said no: a reminder to tell the other, no draft. */
typedef struct gr_introduction {
	const char *contact_name, *contact_addr;        /* the requester */
	const char *partner_name, *partner_addr;
	const char *service;    /* service label, or NULL */
	const char *subject;    /* the request's subject */
	const char *message_id; /* the request (for names and threading) */
	const char *lang;
	const char *area;       /* the area the request named, or NULL */
	int urgent;             /* the request sounded urgent */
	time_t at;              /* when the second yes came */
	/* NULL when both said yes; else who said no ("partner" or
	 * "requester"): then no draft, a reminder to tell the other side. */
	const char *declined_by;
} gr_introduction;
gr_status gr_actions_introduce(const gr_policy *p, const gr_rules *r,
                               const gr_introduction *in,
                               const gr_plan_ctx *ctx, gr_plan *out,
                               gr_error *err);

#endif
