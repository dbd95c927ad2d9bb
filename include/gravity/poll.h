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

/* What a redo does again (gr_poll_opts.redo): the messages recorded at or
 * after since that match ids (Message-IDs without <>, when nids) and cls
 * (a class name, when not NULL), and the failed messages recorded at or
 * after since unless ids or cls narrow it. */
typedef struct gr_redo {
	time_t since;           /* 0: whenever */
	const char *const *ids;
	size_t nids;
	const char *cls;
} gr_redo;

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
	/* Not NULL: a redo instead of a poll.  The messages it selects are
	 * read again (an IMAP source fetches them by UID on the UIDVALIDITY
	 * they were seen with; new mail is left for the next poll),
	 * classified and planned with the current rules; outputs that differ
	 * from what is there (beyond their Date, DTSTAMP and SEQUENCE) are
	 * written again under the same names, a reminder with the next
	 * SEQUENCE; a reminder no longer planned is cancelled, a draft no
	 * longer planned is removed unless the owner edited it (and a draft
	 * the owner edited is never replaced).  Not with dry_run. */
	const gr_redo *redo;
	/* Foreign, or NULL: the poll starts (and stops) its own.  A caller
	 * that starts it before loading the rules keeps its processes small
	 * (they are forked copies of the caller). */
	gr_parser *parser;
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
	/* redo */
	long redone;            /* messages classified and planned again */
	long reclassified;      /* ... whose class changed */
	long replaced;          /* outputs written again (or anew) */
	long unchanged;         /* outputs left as they were */
	long cancelled;         /* reminders cancelled, drafts removed */
	long kept;              /* drafts the owner edited, left alone */
	long retried;           /* failed messages tried again */
	long fu_redone;         /* follow-ups planned again */
} gr_poll_stats;

/* Run one poll.  Per-message problems are logged and counted, never fatal;
 * the return value is for problems that stop the poll (source unreadable,
 * state locked, output directory unwritable).  Unless on --dry-run, the
 * poll's time and result are recorded in the state for its account, and a
 * poll that stops appends one line with the error to OUT/log.jsonl. */
gr_status gr_poll_run(const gr_poll_opts *o, gr_poll_stats *stats,
                      gr_error *err);

#endif
