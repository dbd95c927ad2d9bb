/* SPDX-License-Identifier: MIT */
/*
 * status.h - gravity's one status enum, its names and its sysexits codes.
 *
 * Every fallible function returns a gr_status and, when given a non-NULL
 * gr_error, a one-line message naming the thing at fault.  Library code never
 * exits: only main() turns a status into an exit code.
 */
#ifndef GRAVITY_STATUS_H
#define GRAVITY_STATUS_H

#include <stddef.h>

typedef enum gr_status {
	GR_OK = 0,
	GR_DONE,        /* an iteration has no more items (not an error) */
	GR_E_NOMEM,     /* out of memory */
	GR_E_IO,        /* local file or directory error */
	GR_E_PARSE,     /* a message or datum could not be parsed */
	GR_E_CONFIG,    /* rule file, template or config file error */
	GR_E_USAGE,     /* bad command line */
	GR_E_NOINPUT,   /* a named input does not exist */
	GR_E_NET,       /* network: refused, timeout, dropped (retry next poll) */
	GR_E_TLS,       /* TLS or certificate failure */
	GR_E_AUTH,      /* login refused */
	GR_E_PROTOCOL,  /* the server said something we cannot accept */
	GR_E_STATE,     /* state database error */
	GR_E_LOCKED,    /* another gravity holds the state lock */
	GR_E_LIMIT,     /* input exceeds a bound */
	GR_E_CRASH,     /* the isolated parser died on this input */
	GR_E_INTERNAL,  /* a bug */
	GR_E_SETUP,     /* the owner's setup lacks something it needs (a
	                 * profile, a login user, a password source): fix the
	                 * configuration, nothing was consumed */
	GR_STATUS_LAST
} gr_status;

/* Static string; never NULL. */
const char *gr_status_to_string(gr_status st);

/* sysexits.h code for a status (EX_OK for GR_OK and GR_DONE). */
int gr_status_to_exit(gr_status st);

/* A status and its one-line message.  msg is always NUL-terminated. */
typedef struct gr_error {
	gr_status status;
	char msg[1024];
} gr_error;

/* Set err (when not NULL) and return st, so callers can write
 * `return gr_error_set(err, GR_E_IO, "%s: %s", path, strerror(errno));` */
gr_status gr_error_set(gr_error *err, gr_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Clear err to GR_OK and an empty message. */
void gr_error_clear(gr_error *err);

#endif
