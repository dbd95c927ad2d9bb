/* SPDX-License-Identifier: MIT */
/*
 * secret.h - credentials: where a login secret comes from, for the IMAP
 * source, the CalDAV push and the OAuth2 token endpoint alike.
 *
 * A gr_cred names the source of a secret, never the secret: a command's
 * first output line (passcmd, token-cmd; run with /bin/sh -c), an
 * environment variable, a netrc file, or the OAuth2 refresh-token flow.
 * Secrets never come from the command line, are zeroed before their
 * memory is freed, and never appear in an error message; errors and
 * gr_cred_describe() name the source and where it was configured instead.
 */
#ifndef GRAVITY_SECRET_H
#define GRAVITY_SECRET_H

#include <stddef.h>
#include "gravity/status.h"

typedef enum gr_cred_kind {
	GR_CRED_NONE = 0,       /* no secret (the IMAP source refuses this) */
	GR_CRED_PASSCMD,        /* arg: shell command; first output line is
	                         * the password */
	GR_CRED_ENV,            /* arg: name of an environment variable */
	GR_CRED_NETRC,          /* arg: netrc file, NULL for ~/.netrc
	                         * (machine = host, login = user) */
	GR_CRED_TOKENCMD,       /* arg: command printing an OAuth2 bearer
	                         * token (login with XOAUTH2) */
	GR_CRED_OAUTH2          /* the OAuth2 refresh-token flow (oauth2);
	                         * login with XOAUTH2 */
} gr_cred_kind;

/* The OAuth2 refresh-token grant (RFC 6749 section 6).  Pointers foreign.
 * The client secret and the refresh token come from a command
 * (GR_CRED_PASSCMD) or an environment variable (GR_CRED_ENV); a public
 * client has no secret (GR_CRED_NONE). */
struct gr_oauth2 {
	const char *token_url;  /* https:// only */
	const char *client_id;
	const char *cafile;     /* for the token endpoint; NULL: system CAs */
	gr_cred_kind secret_src;
	const char *secret_arg;
	gr_cred_kind refresh_src;
	const char *refresh_arg;
	long timeout;           /* seconds (0: 30) */
};

/* One credential.  All pointers foreign (usually owned by a gr_config).
 * Zero it (or gr_cred_init) for "none". */
typedef struct gr_cred {
	gr_cred_kind kind;
	const char *arg;        /* see gr_cred_kind */
	const char *origin;     /* where it was set, for messages:
	                         * "/home/h/.config/gravity/config:9" or
	                         * "--passcmd"; NULL when unknown */
	struct gr_oauth2 oauth2;/* kind == GR_CRED_OAUTH2 */
} gr_cred;

void gr_cred_init(gr_cred *c);

/* 1 when the secret is an OAuth2 bearer token (login with XOAUTH2), 0
 * when it is a password. */
int gr_cred_is_token(const gr_cred *c);

/* The credential's source in words, never its secret nor a command's
 * text (a command line may hold a secret): "passcmd (FILE:9)",
 * "password-env $VAR", "netrc /home/h/.netrc", "no password source".
 * Returns buf. */
const char *gr_cred_describe(const gr_cred *c, char *buf, size_t len);

/* Get the secret for user at host (host and user matter for netrc only;
 * user may be NULL).  *out is owned by the caller, who frees it with
 * gr_secret_free(); GR_CRED_NONE gives *out = NULL.  Failures are
 * GR_E_AUTH (the source gave nothing usable) or GR_E_CONFIG, and name
 * the source, never the secret. */
gr_status gr_cred_get(const gr_cred *c, const char *host, const char *user,
                      char **out, gr_error *err);

/* The password for user@host in a netrc file (path NULL: ~/.netrc): the
 * first "machine host" (or "default") entry whose login is user (any login
 * when user is NULL).  GR_E_AUTH if there is none. */
gr_status gr_secret_netrc(const char *path, const char *host,
                          const char *user, char **out, gr_error *err);

/* Zero s (explicit_bzero) and free it.  NULL is fine. */
void gr_secret_free(char *s);

/* POST grant_type=refresh_token to o->token_url (oauth2.c); *token (the
 * access token, free with gr_secret_free) and *expires (expires_in
 * seconds, 0 if not given; expires may be NULL).  Refused: GR_E_AUTH
 * with the endpoint's error code; unreachable or 5xx: GR_E_NET; TLS:
 * GR_E_TLS.  No secret is ever in err. */
gr_status gr_oauth2_refresh(const struct gr_oauth2 *o, const char *client_secret,
                            const char *refresh_token, char **token,
                            long *expires, gr_error *err);

#endif
