/* SPDX-License-Identifier: MIT */
/*
 * state.h - what gravity has seen and produced, in SQLite (WAL, synchronous
 * FULL, busy timeout 5 s, BEGIN IMMEDIATE for every write).  A lock file
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

/* Open or create path (mode 0600), take the lock, create or migrate the
 * schema.  *out owned by caller.  GR_E_LOCKED when another handle (in any
 * process) holds the lock; GR_E_STATE naming path when the file cannot be
 * created, is not a gravity state database, is corrupt or is newer. */
gr_status gr_state_open(const char *path, gr_state **out, gr_error *err);
/* Rolls back an open transaction, closes and releases the lock. */
void gr_state_close(gr_state *st);

/* PRAGMA integrity_check: GR_OK, or GR_E_STATE with the first problem. */
gr_status gr_state_check(gr_state *st, gr_error *err);

/* 1 if a message with this source_id, or (when message_id is not NULL)
 * this Message-ID, was recorded (status "ok" or "failed": record "failed"
 * only for failures that retrying will not fix, and record nothing for a
 * transient one so the next poll retries); 0 if not; GR_E_STATE on error
 * (as a negative number: -GR_E_STATE). */
int gr_state_seen(gr_state *st, const char *source_id, const char *message_id);

gr_status gr_state_begin(gr_state *st, gr_error *err);     /* BEGIN IMMEDIATE */
gr_status gr_state_commit(gr_state *st, gr_error *err);
void gr_state_rollback(gr_state *st);

/* Record one message.  status is "ok" or "failed" (error then says why).
 * cls may be NULL for failed messages.  Recording a source_id again
 * replaces its row.  Every record/set/add function may run inside
 * gr_state_begin()..gr_state_commit(); outside one it commits on its own
 * (BEGIN IMMEDIATE .. COMMIT).  NULL or "" strings are stored as NULL. */
gr_status gr_state_record_message(gr_state *st, const char *source_id,
                                  const char *message_id, const char *from,
                                  const char *subject, const char *cls,
                                  const char *status, const char *error,
                                  time_t when, gr_error *err);

/* Record one output written for message_id (kind "reminder" or "draft").
 * relpath is required; uid may be NULL (drafts); due 0 means none.  A row
 * with the same relpath or uid is replaced (an updated reminder). */
gr_status gr_state_record_output(gr_state *st, const char *message_id,
                                 const char *kind, const char *action,
                                 const char *relpath, const char *uid,
                                 int sequence, time_t due, const char *sha256,
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

#endif
