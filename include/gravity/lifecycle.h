/* SPDX-License-Identifier: MIT */
/*
 * lifecycle.h - a conversation followed across polls: threads by
 * Message-ID (In-Reply-To/References), reply reminders closed when the
 * owner answers, one gentle follow-up when the other side goes quiet, the
 * referral ledger, and the combined calendar feed OUT/gravity.ics.
 *
 * Every function writes files first (atomically) and then the state, so a
 * crash at any point only repeats work on the next poll.
 */
#ifndef GRAVITY_LIFECYCLE_H
#define GRAVITY_LIFECYCLE_H

#include <stdio.h>
#include <time.h>
#include "gravity/plan.h"
#include "gravity/classify.h"
#include "gravity/message.h"
#include "gravity/state.h"

/* Everything is foreign (borrowed); counters are filled in. */
typedef struct gr_life {
	gr_state *state;
	const gr_rules *rules;
	const gr_policy *policy;
	const char *out_dir;
	time_t now;
	struct gr_calcache *cal;        /* zones kept (calendar.h); may be NULL */
	long closed;            /* reminders cancelled or completed */
	long withdrawn;         /* follow-ups withdrawn */
	long followups;         /* follow-ups made */
} gr_life;

/* 1 if m comes from the owner (any address of the profile). */
int gr_life_from_owner(const gr_life *lf, const gr_message *m);

/* 1 if the owner already answered m (seen in sent mail before it). */
int gr_life_answered(gr_life *lf, const gr_message *m);

/* The owner's message m: closes the pending reply reminders (and
 * follow-ups) of its thread addressed to one of its recipients, marks
 * referrals from its recipients thanked, and starts the silence clock. */
gr_status gr_life_owner_message(gr_life *lf, const gr_message *m,
                                gr_error *err);

/* An incoming message m classified as v whose plan pl was written: links
 * it to its thread, records pl's reminders, withdraws pending follow-ups,
 * records the referral (received or given). */
gr_status gr_life_incoming(gr_life *lf, const gr_message *m,
                           const gr_verdict *v, const gr_plan *pl,
                           gr_error *err);

/* Does m answer a double opt-in: the partner's reply to the owner's note
 * asking them, or the requester's reply to the offer of an introduction?
 * Then *matched is 1 and *pl the outputs that answer brings instead of
 * its class's: with the other side's yes already in, the three-way
 * introduction and its reminder (gr_actions_introduce); with a no
 * (the "care" file's decline list), a reminder to tell the other side;
 * else nothing yet.  gr_life_incoming records the answer. */
gr_status gr_life_optin(gr_life *lf, const gr_message *m,
                        const gr_plan_ctx *ctx, gr_plan *pl, int *matched,
                        gr_error *err);

/* A redo of the incoming message m, recorded before: cancels its pending
 * reminders whose UID is in cancel[0..ncancel) (SEQUENCE + 1, CANCELLED
 * or COMPLETED; *cancelled counts them, may be NULL), records the
 * reminders of pl (the ones the redo wrote anew) and the referral, unless
 * the ledger has it already. */
gr_status gr_life_redo(gr_life *lf, const gr_message *m, const gr_verdict *v,
                       const gr_plan *pl, const char *const *cancel,
                       size_t ncancel, long *cancelled, gr_error *err);
/* The same for outputs of the thread recorded under message_id (a
 * follow-up's: the owner's message it follows). */
gr_status gr_life_redo_thread(gr_life *lf, const char *thread,
                              const char *message_id, const gr_plan *pl,
                              const char *const *cancel, size_t ncancel,
                              long *cancelled, gr_error *err);
/* *pl := the follow-up of thread t as the current rules and policy plan
 * it, whether or not it is due (empty when they plan none: "followup max
 * 0", a class that gets none); for a redo of one already written. */
gr_status gr_life_followup_replan(gr_life *lf, const gr_state_thread *t,
                                  gr_plan *pl, gr_error *err);
/* Time has passed: the follow-ups that are due now.  Their one-line
 * summaries go to fp (may be NULL). */
gr_status gr_life_tick(gr_life *lf, FILE *fp, gr_error *err);

/* Rewrite OUT/gravity.ics: every pending reminder and the ones done in the
 * last "keep-done" days. */
gr_status gr_life_write_feed(gr_life *lf, gr_error *err);

#endif
