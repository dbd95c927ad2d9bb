/* SPDX-License-Identifier: MIT */
/*
 * source.h - where mail comes from.  One driver struct hides each mailbox
 * kind (as isync's struct driver does); a source URI picks the driver:
 *   maildir:PATH   a Maildir (cur/ and new/)
 *   mbox:PATH      an mbox file (mboxrd/mboxo "From " separated)
 *   -              one message on standard input
 *   imaps://user@host[:port]/FOLDER, imap://...   (see imap.h)
 * A bare path is taken as a Maildir if it has cur/ or new/, else as an mbox
 * if it starts with "From ", else as one message file.
 *
 * All memory belongs to the driver's user unless stated otherwise.
 */
#ifndef GRAVITY_SOURCE_H
#define GRAVITY_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include "gravity/status.h"

struct gr_state;
struct gr_imap_opts;

/* One raw message handed on by a source. */
typedef struct gr_raw_msg {
	const char *data;       /* owned by the source; valid until next()/close() */
	size_t len;
	const char *source_id;  /* owned by the source: stable identity, e.g.
	                         * "maildir:/m/cur/123.host:2,S" or
	                         * "imap://u@h/INBOX;UIDVALIDITY=7;UID=42" */
	const char *folder;     /* owned by the source: folder key or NULL */
	uint32_t uidvalidity;   /* IMAP only, else 0 */
	uint32_t uid;           /* IMAP only, else 0 */
	int is_sent;            /* 1: from the owner's Sent folder */
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
};

/* Pick a driver for uri and open it.  *out owned by caller. */
gr_status gr_source_open(const char *uri, const gr_source_opts *opts,
                         gr_source **out, gr_error *err);
gr_status gr_source_next(gr_source *s, gr_raw_msg *msg, gr_error *err);
gr_status gr_source_done(gr_source *s, const gr_raw_msg *msg, gr_error *err);
void gr_source_close(gr_source *s);

extern const struct gr_source_driver gr_driver_maildir;
extern const struct gr_source_driver gr_driver_mbox;
extern const struct gr_source_driver gr_driver_stdin;
extern const struct gr_source_driver gr_driver_file;  /* one message file */

#endif
