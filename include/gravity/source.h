/* SPDX-License-Identifier: MIT */
/*
 * source.h - where mail comes from.  One driver struct hides each mailbox
 * kind (as isync's struct driver does); a source URI picks the driver:
 *   maildir:PATH   a Maildir (cur/ and new/)
 *   mbox:PATH      an mbox file (mboxrd/mboxo "From " separated)
 *   -              one message on standard input
 *   imaps://user@host[:port]/FOLDER, imap://...   (see imap.h)
 *   file:PATH      one message file
 * A bare path is taken as a Maildir if it has cur/ or new/, else as an mbox
 * if it starts with "From ", else as one message file.  An unknown scheme
 * gives GR_E_USAGE; a path that does not exist gives GR_E_NOINPUT.
 *
 * Local sources are read-only: nothing in a Maildir or mbox is ever renamed,
 * rewritten or re-flagged.  Their source_ids are stable across the changes a
 * mail client makes:
 *   maildir:ABSDIR/UNIQUE        UNIQUE is the file name up to ":2," (the
 *                                Maildir unique name), so a flag change or a
 *                                move from new/ to cur/ keeps the id.
 *   mbox:ABSPATH#HASH[~N]        HASH is 16 hex digits of the SHA-256 of the
 *                                message as handed on, leaving out the status
 *                                headers mail clients rewrite (Status,
 *                                X-Status, X-Mozilla-Status*, X-Keywords,
 *                                X-UID, X-IMAP*, Content-Length, Lines); ~N
 *                                (N >= 2) marks the N-th identical message in
 *                                the file.  Byte offsets are not used: they
 *                                change whenever an earlier message is deleted.
 *   stdin:SHA256                 of the bytes read
 *   file:ABSPATH
 * ABSDIR and ABSPATH are realpath()s.
 *
 * All memory belongs to the driver's user unless stated otherwise.
 */
#ifndef GRAVITY_SOURCE_H
#define GRAVITY_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include "gravity/buf.h"
#include "gravity/status.h"

struct gr_state;
struct gr_imap_opts;

/* One raw message handed on by a source. */
typedef struct gr_raw_msg {
	const char *data;       /* owned by the source; valid until next()/close() */
	size_t len;
	const char *source_id;  /* owned by the source: stable identity, e.g.
	                         * "maildir:/m/123.M1P2.host" or
	                         * "imap://u@h/INBOX;UIDVALIDITY=7;UID=42" */
	const char *folder;     /* owned by the source: folder key or NULL */
	uint32_t uidvalidity;   /* IMAP only, else 0 */
	uint32_t uid;           /* IMAP only, else 0 */
	int is_sent;            /* 1: from the owner's Sent folder */
	int truncated;          /* 1: the message was longer than max_message
	                         * and only its first max_message bytes were
	                         * read (next() still returns GR_OK) */
} gr_raw_msg;

typedef struct gr_source_opts {
	struct gr_state *state; /* foreign; may be NULL (classify) */
	size_t max_message;     /* bytes; larger messages are cut (0: 64 MiB) */
	int verbose;
	const struct gr_imap_opts *imap; /* foreign; IMAP settings (imap.h) */
} gr_source_opts;

typedef struct gr_source gr_source;

struct gr_source_driver {
	const char *name;       /* "maildir", "mbox", "stdin", "imap" */
	/* 1 if this driver handles uri. */
	int (*accepts)(const char *uri);
	/* Open uri.  *handle owned by the driver until close(). */
	gr_status (*open)(const char *uri, const gr_source_opts *opts,
	                  void **handle, gr_error *err);
	/* Next message into *msg (data owned by the driver).  GR_DONE at end.
	 * A per-message read error returns GR_E_PARSE/GR_E_IO with msg->source_id
	 * set, and the next call goes on with the next message. */
	gr_status (*next)(void *handle, gr_raw_msg *msg, gr_error *err);
	/* The caller has durably recorded msg (IMAP moves its high-water mark).
	 * May be NULL. */
	gr_status (*done)(void *handle, const gr_raw_msg *msg, gr_error *err);
	void (*close)(void *handle);
	/* Optional (NULL: nothing to do).  Store a draft in the mailbox's
	 * drafts folder (folder NULL: the configured one), unless a message
	 * with this Message-ID is already there, so a rerun never doubles it.
	 * data (len bytes, CRLF lines) and message_id stay the caller's.
	 * Drivers that may not write return GR_OK without doing anything. */
	gr_status (*append)(void *handle, const char *folder, const char *data,
	                    size_t len, const char *message_id, gr_error *err);
};

/* Pick a driver for uri and open it.  *out owned by caller. */
gr_status gr_source_open(const char *uri, const gr_source_opts *opts,
                         gr_source **out, gr_error *err);
/* Clears *msg, then asks the driver for the next message. */
gr_status gr_source_next(gr_source *s, gr_raw_msg *msg, gr_error *err);
gr_status gr_source_done(gr_source *s, const gr_raw_msg *msg, gr_error *err);
/* The driver's append (see struct gr_source_driver); GR_OK when it has
 * none. */
gr_status gr_source_append(gr_source *s, const char *folder, const char *data,
                           size_t len, const char *message_id, gr_error *err);
void gr_source_close(gr_source *s);

extern const struct gr_source_driver gr_driver_maildir;
extern const struct gr_source_driver gr_driver_mbox;
extern const struct gr_source_driver gr_driver_stdin;
extern const struct gr_source_driver gr_driver_file;  /* one message file */

/* uri as users write it: "~", "$HOME" or "${HOME}" at the start of its
 * path (a bare path, or after maildir:, mbox: or file:) is the home
 * directory (gr_expand_home); other URIs are copied unchanged.  Caller
 * frees; NULL on allocation failure.  gr_source_open does this itself. */
char *gr_source_expand(const char *uri);

/* The driver gr_source_open would pick for uri, or NULL (no side effects
 * beyond stat()ing and reading the first bytes of a bare path). */
const struct gr_source_driver *gr_source_driver_for(const char *uri);

/* --- helpers for drivers (source_io.c) ---------------------------------- */

/* opts->max_message, or the 64 MiB default when opts is NULL or it is 0. */
size_t gr_source_max(const gr_source_opts *opts);

/* Read the message on fd to its end (at most max bytes; *truncated is set
 * to 1 when there was more, which is not read) into out (reset first):
 * whole when it is small, cut to its header and text parts when it is
 * large (src/msgcut.h), so memory stays bounded whatever its size.  With
 * sha256 not NULL, the SHA-256 of the bytes read goes there (64 hex digits
 * and a NUL).  name names fd in messages.  GR_E_IO on a read error. */
gr_status gr_source_read_fd(int fd, const char *name, size_t max, gr_buf *out,
                            int *truncated, char sha256[65], gr_error *err);

/* realpath(path) into *out (malloc'd, caller frees): GR_E_NOINPUT naming
 * path when it does not exist, GR_E_IO otherwise. */
gr_status gr_source_abspath(const char *path, char **out, gr_error *err);

#endif
