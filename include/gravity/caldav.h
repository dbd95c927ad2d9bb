/* SPDX-License-Identifier: MIT */
/*
 * caldav.h - opt-in push of reminders to a CalDAV calendar collection
 * (RFC 4791) over HTTP (RFC 9110) with libcurl: each reminder is the
 * resource COLLECTION/<uid>.ics, created with If-None-Match: * and updated
 * with If-Match: <etag> (RFC 9110 section 13.1); a cancelled reminder is
 * PUT again (STATUS:CANCELLED, higher SEQUENCE) or, by option, DELETEd.
 *
 * The push runs after the poll's local work is written and recorded.  The
 * state remembers per reminder the SEQUENCE last pushed, its ETag and URL;
 * a reminder whose SEQUENCE is above the pushed one is pending, so a failed
 * push is simply retried by the next poll and a rerun pushes nothing.
 */
#ifndef GRAVITY_CALDAV_H
#define GRAVITY_CALDAV_H

#include "gravity/secret.h"
#include "gravity/state.h"
#include "gravity/status.h"

/* All pointers foreign.  Fill with gr_caldav_opts_init() first. */
typedef struct gr_caldav_opts {
	const char *url;        /* collection URL (http or https); NULL: off */
	const char *user;       /* HTTP basic auth user, or NULL (no auth) */
	gr_cred cred;           /* the password: GR_CRED_NONE, _PASSCMD,
	                         * _ENV or _NETRC (machine = the URL's host) */
	const char *cafile;     /* PEM bundle for a private CA, or NULL */
	int delete_cancelled;   /* 1: DELETE a cancelled reminder instead */
	long timeout;           /* seconds per request (0: 30) */
} gr_caldav_opts;

void gr_caldav_opts_init(gr_caldav_opts *o);

typedef struct gr_caldav_stats {
	long pushed;            /* resources created or updated */
	long deleted;
	long failed;            /* left pending for the next poll */
} gr_caldav_stats;

/* Push every pending reminder of st (its file read from out_dir/relpath)
 * and record the new ETag, URL and pushed SEQUENCE.  A failure of one
 * reminder leaves it pending and goes on; a connection failure stops the
 * push.  GR_OK when everything pending was pushed; otherwise GR_E_NET (or
 * GR_E_AUTH, GR_E_TLS, GR_E_CONFIG) with err saying what failed first -
 * never a password.  *stats is filled in either case. */
gr_status gr_caldav_push(const gr_caldav_opts *o, gr_state *st,
                         const char *out_dir, gr_caldav_stats *stats,
                         gr_error *err);

#endif
