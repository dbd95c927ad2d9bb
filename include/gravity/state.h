/* SPDX-License-Identifier: MIT */
/*
 * state.h - what gravity has seen and produced, in SQLite (WAL, synchronous
 * NORMAL: see state.c, busy timeout 5 s, BEGIN IMMEDIATE for every write).  A lock file
 * (STATE.lock, flock LOCK_EX|LOCK_NB) makes a second concurrent poll fail at
 * once with GR_E_LOCKED.
 *
 * Order per message (so a crash never loses or doubles an output): render
 * outputs with deterministic names, write each atomically, then record the
 * message and its outputs in one transaction.
 */
#ifndef GRAVITY_STATE_H
#define GRAVITY_STATE_H

#include <stdint.h>
#include <time.h>
#include "gravity/status.h"

typedef struct gr_state gr_state;

/* Rows are read into lists the caller owns: every string in a list lives
 * until the list's free function, across later reads and writes of the
 * state.  A list holds at most GR_STATE_MAX_ROWS rows; a query that would
 * give more fails (GR_E_LIMIT) rather than hand out part of its answer.
 * Free functions take a zeroed list too, and leave one behind. */
#define GR_STATE_MAX_ROWS 100000
typedef struct gr_state_mem gr_state_mem;       /* strings of a list */

/* Open or create path (mode 0600), take the lock, create or migrate the
 * schema.  *out owned by caller.  GR_E_LOCKED when another handle (in any
 * process) holds the lock; GR_E_STATE naming path when the file cannot be
 * created, is not a gravity state database, is corrupt or is newer. */
gr_status gr_state_open(const char *path, gr_state **out, gr_error *err);
/* The state's secret key for the drafts' Message-IDs (schema 10): 32
 * random bytes made when the state was created or migrated, the same for
 * every later open; valid until gr_state_close.  NULL for st NULL. */
#define GR_STATE_DRAFT_KEY_LEN 32
const unsigned char *gr_state_draft_key(const gr_state *st);
/* Rolls back an open transaction, closes and releases the lock. */
void gr_state_close(gr_state *st);

/* PRAGMA integrity_check: GR_OK, or GR_E_STATE with the first problem. */
gr_status gr_state_check(gr_state *st, gr_error *err);

/* 1 if a message with this source_id, or (when message_id is not NULL)
 * this Message-ID, was recorded, 0 if not; GR_E_STATE on error (as a
 * negative number: -GR_E_STATE).  A message recorded "failed" counts as
 * seen only once GR_STATE_FAILED_TRIES polls failed on it: the next poll
 * that reads it tries it once more.  Record "failed" only for failures that
 * are the message's own, and nothing for a transient one. */
#define GR_STATE_FAILED_TRIES 2
int gr_state_seen(gr_state *st, const char *source_id, const char *message_id);

gr_status gr_state_begin(gr_state *st, gr_error *err);     /* BEGIN IMMEDIATE */
gr_status gr_state_commit(gr_state *st, gr_error *err);
void gr_state_rollback(gr_state *st);

/* Record one message.  status is "ok" or "failed" (error then says why).
 * cls may be NULL for failed messages.  digest (see gr_state_msgid_match)
 * may be NULL.  Recording a source_id again replaces its row.  Every
 * record/set/add function may run inside gr_state_begin()..
 * gr_state_commit(); outside one it commits on its own (BEGIN IMMEDIATE ..
 * COMMIT).  NULL or "" strings are stored as NULL. */
gr_status gr_state_record_message(gr_state *st, const char *source_id,
                                  const char *message_id, const char *digest,
                                  const char *from, const char *subject,
                                  const char *cls, const char *status,
                                  const char *error, time_t when,
                                  gr_error *err);

/* A message's identity is its source_id; its Message-ID is a key for
 * threads and for the same message met again (another folder, a second
 * copy).  How one with message_id and digest (the caller's SHA-256 over
 * Message-ID, From, Date and body) stands against those recorded:
 * GR_MSGID_SAME when one with both is (or one recorded before digests were
 * kept: the same message, as it was judged then), GR_MSGID_OTHER when only
 * different messages carry that Message-ID, GR_MSGID_NEW when none does
 * (or message_id is NULL or ""); -GR_E_STATE on error. */
enum { GR_MSGID_NEW = 0, GR_MSGID_SAME = 1, GR_MSGID_OTHER = 2 };
int gr_state_msgid_match(gr_state *st, const char *message_id,
                         const char *digest);

/* 1 if source_id is the first message recorded with message_id (not
 * counting copies, class "duplicate"), or none is; 0 if another one came
 * with it first (that one owns the Message-ID: see poll.c); -GR_E_STATE
 * on error. */
int gr_state_msgid_first(gr_state *st, const char *message_id,
                         const char *source_id);

/* Record one output written for message_id (kind "reminder" or "draft").
 * relpath is required; uid may be NULL (drafts); due 0 means none.  A row
 * with the same relpath or uid is replaced (an updated reminder). */
gr_status gr_state_record_output(gr_state *st, const char *message_id,
                                 const char *kind, const char *action,
                                 const char *relpath, const char *uid,
                                 int sequence, time_t due, const char *sha256,
                                 gr_error *err);

/* A message as recorded (for the failed ones, see gr_state_failed_list). */
typedef struct gr_state_msg {
	const char *source_id, *message_id, *sender, *subject, *cls;
	const char *status, *error;
	time_t at;
	int tries;              /* polls that failed on it (0 when "ok") */
	const char *digest;     /* see gr_state_msgid_match */
} gr_state_msg;

typedef struct gr_state_msgs {
	gr_state_msg *v;
	size_t n;
	gr_state_mem *mem;
} gr_state_msgs;
void gr_state_msgs_free(gr_state_msgs *l);

/* *out := the messages recorded "failed", the most recent first: those
 * with tries < GR_STATE_FAILED_TRIES get their next try from the next poll
 * that reads them, the others only through gr_state_retry(). */
gr_status gr_state_failed_list(gr_state *st, gr_state_msgs *out,
                               gr_error *err);
/* Give the failed message source_id a new try: the next poll that reads it
 * processes it again (as after its first failure; an IMAP poll reads only
 * UIDs past the folder's mark, so for one below it the caller fetches the
 * message itself).  GR_E_NOINPUT when source_id is not a failed message. */
gr_status gr_state_retry(gr_state *st, const char *source_id, gr_error *err);

/* *out := the message recorded as source_id (none or one row), or when
 * source_id is NULL the messages recorded at or after since, oldest
 * first. */
gr_status gr_state_msg_list(gr_state *st, const char *source_id, time_t since,
                            gr_state_msgs *out, gr_error *err);

/* An output as recorded (gr_state_record_output), with the sender and
 * subject of its message (NULL when unknown). */
typedef struct gr_state_out {
	const char *message_id, *kind, *action, *relpath, *uid, *sha256;
	const char *sender, *subject;
	int sequence;
	time_t due, at;
} gr_state_out;

typedef struct gr_state_outs {
	gr_state_out *v;
	size_t n;
	gr_state_mem *mem;
} gr_state_outs;
void gr_state_outs_free(gr_state_outs *l);

/* *out := the outputs of message_id (relpath order); with message_id
 * NULL, every output, or when open_drafts the drafts whose message the
 * owner has not answered; oldest first. */
gr_status gr_state_output_list(gr_state *st, const char *message_id,
                               int open_drafts, gr_state_outs *out,
                               gr_error *err);
/* Forget the output relpath (a draft withdrawn by a redo). */
gr_status gr_state_output_forget(gr_state *st, const char *relpath,
                                 gr_error *err);

/* The last poll of an account (schema 7): its time and result. */
typedef struct gr_state_poll {
	const char *account;    /* config account name, or the source URI */
	time_t at;
	const char *status;     /* "ok" or "failed" */
	const char *error;      /* why it failed, or NULL */
	long processed, failed; /* new messages, messages that failed */
} gr_state_poll;

typedef struct gr_state_polls {
	gr_state_poll *v;
	size_t n;
	gr_state_mem *mem;
} gr_state_polls;
void gr_state_polls_free(gr_state_polls *l);

/* Record p as the last poll of p->account (replacing the one before). */
gr_status gr_state_poll_put(gr_state *st, const gr_state_poll *p,
                            gr_error *err);
/* *out := the last poll of every account, account order. */
gr_status gr_state_poll_list(gr_state *st, gr_state_polls *out,
                             gr_error *err);

/* Last recorded SEQUENCE of uid, or -1 if none. */
int gr_state_sequence_of(gr_state *st, const char *uid);

/* IMAP folder high-water marks. */
gr_status gr_state_folder_get(gr_state *st, const char *folder,
                              uint32_t *uidvalidity, uint32_t *last_uid,
                              gr_error *err);   /* zeros if unknown */
gr_status gr_state_folder_set(gr_state *st, const char *folder,
                              uint32_t uidvalidity, uint32_t last_uid,
                              gr_error *err);

/* Known contacts: addresses the owner has written to. */
gr_status gr_state_add_contact(gr_state *st, const char *addr, gr_error *err);
int gr_state_is_contact(gr_state *st, const char *addr);     /* 1/0 */

/* Counts for summaries. */
gr_status gr_state_counts(gr_state *st, long *messages, long *outputs,
                          gr_error *err);

/* --- lifecycle (schema 2) ---------------------------------------------- */

/* A reminder as it was last rendered (enough to render it again). */
typedef struct gr_state_rem {
	const char *uid, *message_id, *thread, *action, *relpath;
	int sequence;
	int done;               /* 1: CANCELLED (event) / COMPLETED (todo) */
	int as_todo, duration_min, alarm_min;
	time_t due, stamp, changed;     /* stamp: DTSTAMP; changed: status */
	const char *tzid, *summary, *description;
	const char *etag, *href;        /* CalDAV; NULL when not pushed */
	const char *peer;       /* address of the person it is about */
	int push_seq;           /* SEQUENCE last pushed to CalDAV, -1: never
	                         * (read only: gr_state_rem_put keeps it) */
} gr_state_rem;

typedef struct gr_state_rems {
	gr_state_rem *v;
	size_t n;
	gr_state_mem *mem;
} gr_state_rems;
void gr_state_rems_free(gr_state_rems *l);

/* Insert or replace the reminder r->uid.  NULL etag/href keep the stored
 * ones; the pushed SEQUENCE is always kept. */
gr_status gr_state_rem_put(gr_state *st, const gr_state_rem *r, gr_error *err);
/* CalDAV: uid was pushed at SEQUENCE push_seq; its ETag and URL now (NULL
 * clears: a deleted resource, or a server that sent no ETag). */
gr_status gr_state_rem_pushed(gr_state *st, const char *uid, int push_seq,
                              const char *etag, const char *href,
                              gr_error *err);
/* A short text that changes whenever the reminders the feed shows (the
 * pending ones and the done ones changed at or after done_since) may have
 * changed; read in constant time. */
gr_status gr_state_rem_token(gr_state *st, time_t done_since, char out[64],
                             gr_error *err);
/* *out := the reminders of thread, due order: the pending ones, and unless
 * pending_only the done ones changed at or after done_since. */
gr_status gr_state_rem_list(gr_state *st, const char *thread,
                            int pending_only, time_t done_since,
                            gr_state_rems *out, gr_error *err);
/* *out := the reminders whose latest SEQUENCE is not pushed to CalDAV
 * (push_seq < sequence), due order. */
gr_status gr_state_rem_unpushed(gr_state *st, gr_state_rems *out,
                                gr_error *err);
/* The feed's reminders of all threads (the pending ones and the done ones
 * changed at or after done_since), a page of at most max at a time, so
 * that memory stays bounded whatever their number.  page: zeroed for the
 * first page; each call replaces it with the rows that follow its last
 * one, in due order; an empty page is the end. */
gr_status gr_state_rem_page(gr_state *st, time_t done_since, size_t max,
                            gr_state_rems *page, gr_error *err);

/* Threads: the conversation a message belongs to, found by Message-ID
 * through In-Reply-To/References. */
typedef struct gr_state_thread {
	const char *thread;     /* id: the first Message-ID seen of it */
	const char *cls;        /* class of the first incoming message */
	const char *subject;
	const char *peer_name, *peer_addr;      /* whom the owner wrote to */
	const char *owner_msgid;        /* the owner's last message */
	time_t last_in, last_out;       /* last message from them / owner */
	int followups;          /* follow-ups made so far */
	/* Schema 9: whom a follow-up may go to and what it asks. */
	const char *lead_addr, *lead_name;      /* the person it is with */
	const char *open_question;      /* the owner's last question to them */
	const char *lang;       /* the conversation's language, or NULL */
	int formal;             /* the lead wrote formally */
	int later;              /* the lead said no rush / a later season */
	int asked;              /* the owner's last message to the lead asked
	                         * something or offered a next step */
} gr_state_thread;

typedef struct gr_state_threads {
	gr_state_thread *v;
	size_t n;
	gr_state_mem *mem;
} gr_state_threads;
void gr_state_threads_free(gr_state_threads *l);

/* *thread (caller frees) := the thread of the first of ids[0..n) that is
 * known, or NULL. */
gr_status gr_state_thread_find(gr_state *st, const char *const *ids, size_t n,
                               char **thread, gr_error *err);
gr_status gr_state_thread_link(gr_state *st, const char *message_id,
                               const char *thread, int from_owner, time_t at,
                               gr_error *err);
/* *out := the row of thread (none when it is unknown), or all rows when
 * thread is NULL; thread order. */
gr_status gr_state_thread_list(gr_state *st, const char *thread,
                               gr_state_threads *out, gr_error *err);
/* *out := the threads where the owner wrote last and that had fewer than
 * max_followups follow-ups: the only ones a follow-up can be due on. */
gr_status gr_state_thread_waiting(gr_state *st, int max_followups,
                                  gr_state_threads *out, gr_error *err);
/* *out := the threads that had a follow-up (followups > 0); thread order. */
gr_status gr_state_thread_followed(gr_state *st, gr_state_threads *out,
                                   gr_error *err);
gr_status gr_state_thread_put(gr_state *st, const gr_state_thread *t,
                              gr_error *err);

/* Message-IDs the owner has answered (In-Reply-To/References of sent mail). */
gr_status gr_state_replied_add(gr_state *st, const char *message_id,
                               time_t at, gr_error *err);
int gr_state_replied(gr_state *st, const char *message_id);     /* 1/0 */
/* 1 if one of the messages ids[0..n) came from addr (From, as recorded)
 * and the owner answered it: the owner's own mail shows that addr wrote
 * it.  0 otherwise (also on error). */
int gr_state_seen_from(gr_state *st, const char *const *ids, size_t n,
                       const char *addr);

/* Referral ledger.  kind "received": introducer_* introduced contact_* to
 * the owner; "given": the owner passed contact_*'s request to partner_*.
 * Adding a message_id again does nothing. */
typedef struct gr_state_referral {
	long id;
	const char *kind;
	time_t at;
	const char *message_id;
	const char *introducer_name, *introducer_addr;
	const char *contact_name, *contact_addr;
	const char *partner_name, *partner_addr;
	const char *service, *subject;
	int thanked;
	time_t thanked_at;
	/* Schema 9, kind "given": the drafts' Message-IDs (asking the
	 * partner, offering the requester an introduction, the three-way
	 * introduction), the owner's sent mail that asked the partner, when
	 * the ask and the offer were seen sent, each side's answer (1 yes,
	 * -1 no, 0 none yet), when the introduction was drafted and when it
	 * was seen sent (then, only then, the referral is made), and the
	 * request's language, area and urgency. */
	const char *ask_mid, *offer_mid, *intro_mid, *sent_mid;
	time_t asked_at, offered_at;
	/* Schema 10: the owner's sent mail that offered the introduction
	 * (NULL in rows offered before). */
	const char *offer_sent_mid;
	int partner_said, contact_said;
	time_t introduced_at, sent_at;
	const char *lang;
	const char *area;       /* places of the request that name an area */
	int urgent;             /* the request sounded urgent */
} gr_state_referral;

typedef struct gr_state_referrals {
	gr_state_referral *v;
	size_t n;
	gr_state_mem *mem;
} gr_state_referrals;
void gr_state_referrals_free(gr_state_referrals *l);

gr_status gr_state_referral_add(gr_state *st, const gr_state_referral *r,
                                gr_error *err);
/* The owner wrote to introducer at when: received referrals from them made
 * at or before when become thanked. */
gr_status gr_state_referral_thank(gr_state *st, const char *introducer,
                                  time_t when, gr_error *err);
/* Record the progress of referral r->id: sent_mid, asked_at, offered_at,
 * partner_said, contact_said, introduced_at, sent_at, intro_mid and
 * offer_sent_mid. */
gr_status gr_state_referral_update(gr_state *st, const gr_state_referral *r,
                                   gr_error *err);
/* *out := the referrals given that are not made yet and that no side
 * declined, oldest first. */
gr_status gr_state_referral_open(gr_state *st, gr_state_referrals *out,
                                 gr_error *err);
/* *out := the ledger, most recent first. */
gr_status gr_state_referral_list(gr_state *st, gr_state_referrals *out,
                                 gr_error *err);

#endif
