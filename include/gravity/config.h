/* SPDX-License-Identifier: MIT */
/*
 * config.h - gravity's configuration file: $XDG_CONFIG_HOME/gravity/config,
 * else ~/.config/gravity/config (a --config path overrides).  Read with the
 * shared line reader (conf.h); every problem is a FILE:LINE:COL diagnostic
 * and unknown keys are errors.
 *
 *   rules-dir ~/.config/gravity/rules    # global keys, unindented
 *   out-dir ~/gravity
 *   state ~/.local/state/gravity/state.db
 *   account work                         # an account block; keys indented
 *       source imaps://maya@imap.example.com/INBOX
 *       user maya@example.com            # the login, when not in the URL
 *       folders "Clients/Active" Projects
 *       sent-folder Sent
 *       passcmd "pass show mail/work"     # or password-env VAR, netrc [FILE],
 *                                        # token-cmd "CMD" (XOAUTH2)
 *       cafile ~/.config/gravity/ca.pem
 *       insecure no
 *       timeout 60
 *       append-drafts no                 # yes: APPEND drafts (\Draft)
 *       drafts-folder Drafts
 *       oauth2-token-url https://oauth2.googleapis.com/token  # instead of
 *       oauth2-client-id ID              # a password: the refresh-token
 *       oauth2-client-secret-cmd "CMD"   # flow (or -env VAR)
 *       oauth2-refresh-token-cmd "CMD"   # (or -env VAR)
 *       oauth2-cafile FILE               # CA for the token endpoint
 *       caldav https://dav.example.com/maya/gravity/  # opt-in: push
 *       caldav-user maya                 # reminders to this CalDAV
 *       caldav-passcmd "pass show dav"   # collection (or
 *       caldav-cafile FILE               # caldav-password-env VAR,
 *                                        # caldav-netrc [FILE])
 *       caldav-delete no                 # yes: DELETE cancelled ones
 *
 * Account keys written unindented before any "account" line make an account
 * named "default".  A leading "~", "$HOME" or "${HOME}" in a path (and in
 * a maildir:/mbox: source) is the home directory.
 */
#ifndef GRAVITY_CONFIG_H
#define GRAVITY_CONFIG_H

#include "gravity/caldav.h"
#include "gravity/conf.h"
#include "gravity/imap.h"
#include "gravity/status.h"
#include "gravity/util.h"

typedef struct gr_account {
	char *name;             /* owned */
	char *source;           /* owned: source URI (imap[s]://, maildir:...) */
	char *user;             /* owned or NULL */
	char *cred_arg;         /* owned or NULL (secret source, never a secret) */
	char *cred_origin;      /* owned or NULL: "FILE:LINE" of the source */
	char *cafile;           /* owned or NULL */
	char *sent_folder;      /* owned or NULL */
	char *drafts_folder;    /* owned or NULL ("Drafts") */
	char *o2_url, *o2_id;   /* owned or NULL: OAuth2 token endpoint, client */
	char *o2_secret;        /* owned or NULL: command or variable name */
	char *o2_refresh;       /* owned or NULL: command or variable name */
	char *o2_cafile;        /* owned or NULL */
	gr_strv folders;        /* owned: more folders to poll */
	struct gr_imap_opts imap; /* ready to use; its pointers point into this
	                         * account (valid while the config lives) */
	char *dav_url, *dav_user; /* owned or NULL: CalDAV collection, login */
	char *dav_cred_arg;     /* owned or NULL: command, variable or netrc */
	char *dav_cred_origin;  /* owned or NULL: "FILE:LINE" */
	char *dav_cafile;       /* owned or NULL */
	gr_caldav_opts caldav;  /* ready to use, like imap (url NULL: off) */
} gr_account;

typedef struct gr_config {
	char *path;             /* owned: the file read */
	char *rules_dir;        /* owned or NULL (use the built-in default) */
	char *out_dir;          /* owned or NULL */
	char *state_path;       /* owned or NULL */
	gr_account *accounts;   /* owned, in file order */
	size_t naccounts;
} gr_config;

/* Read path.  GR_OK with *out (owned by caller, gr_config_free);
 * GR_E_NOINPUT if the file does not exist; GR_E_CONFIG with diagnostics in
 * d for any problem (d may be NULL). */
gr_status gr_config_load(const char *path, gr_config **out, gr_diags *d);
void gr_config_free(gr_config *c);

/* The account called name, or the first one when name is NULL; NULL if
 * there is none. */
const gr_account *gr_config_account(const gr_config *c, const char *name);

/* $XDG_CONFIG_HOME/gravity/config, else $HOME/.config/gravity/config.
 * Owned by caller; NULL when neither variable is set. */
char *gr_config_default_path(void);

/* What 'gravity init' was told (pointers foreign).  A NULL field is
 * written as a commented-out example; with no source the whole account
 * block is. */
typedef struct gr_starter {
	const char *rules_dir;  /* NULL: "~/.config/gravity/rules", commented */
	const char *out_dir;    /* NULL: ~/gravity */
	const char *state;      /* NULL: ~/.local/state/gravity/state.db */
	const char *account;    /* NULL: "work" */
	const char *source;     /* imap[s]:// URI, maildir:..., or NULL */
	const char *user;       /* the login, or NULL (the URL's user) */
	const char *passcmd;    /* or NULL */
	const char *cafile;     /* a private CA's PEM file, or NULL */
} gr_starter;

/* The commented starter config for s (NULL: all examples) into *out
 * (caller frees); it is itself a valid config. */
gr_status gr_config_starter(const gr_starter *s, char **out);

/* Create path holding data: parent directories 0700, the file 0600 and
 * O_EXCL, so an existing file is never overwritten (GR_E_IO "exists"). */
gr_status gr_config_write_new(const char *path, const char *data, size_t len,
                              gr_error *err);

/* gr_config_starter(s) written with gr_config_write_new. */
gr_status gr_config_write_starter(const char *path, const gr_starter *s,
                                  gr_error *err);

#endif
