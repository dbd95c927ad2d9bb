/* SPDX-License-Identifier: MIT */
/*
 * poll.h - the main job, one direction: source -> message -> classify ->
 * act -> outputs, with the state beside it.
 */
#ifndef GRAVITY_POLL_H
#define GRAVITY_POLL_H

#include <stdio.h>
#include <time.h>
#include "gravity/status.h"
#include "gravity/rules.h"
#include "gravity/plan.h"

struct gr_imap_opts;
struct gr_caldav_opts;

typedef struct gr_poll_opts {
	const char *source;     /* source URI */
	const char *out_dir;    /* OUT: reminders/, drafts/, log.jsonl */
	const char *state_path; /* SQLite file */
	const gr_rules *rules;  /* foreign */
	const gr_policy *policy;/* foreign */
	int dry_run;            /* classify and plan, write nothing */
	int verbose;
	FILE *summary;          /* human summary goes here (stdout) */
	const struct gr_imap_opts *imap; /* foreign; IMAP settings or NULL */
	time_t now;             /* the current time (0: time(NULL)); tests set it */
	const struct gr_caldav_opts *caldav; /* foreign; CalDAV push or NULL */
	const char *account;    /* the name the poll's time and result are
	                         * recorded under (NULL: the source URI) */
} gr_poll_opts;

typedef struct gr_poll_stats {
	long seen;              /* messages read from the source */
	long skipped;           /* already processed earlier */
	long processed;
	long failed;            /* logged and skipped */
	long reminders;
	long drafts;
	long by_class[GR_CLASS_COUNT];
	long closed;            /* reminders closed: the owner answered */
	long followups;         /* follow-ups made (the other side went quiet) */
	long withdrawn;         /* follow-ups withdrawn (they wrote back) */
	long pushed;            /* CalDAV resources created, updated, deleted */
	long push_failed;       /* CalDAV pushes left for the next poll */
} gr_poll_stats;

/* Run one poll.  Per-message problems are logged and counted, never fatal;
 * the return value is for problems that stop the poll (source unreadable,
 * state locked, output directory unwritable).  Unless on --dry-run, the
 * poll's time and result are recorded in the state for its account, and a
 * poll that stops appends one line with the error to OUT/log.jsonl. */
gr_status gr_poll_run(const gr_poll_opts *o, gr_poll_stats *stats,
                      gr_error *err);

#endif
