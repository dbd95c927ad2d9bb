/* SPDX-License-Identifier: MIT */
/*
 * config.c - the configuration file (see config.h), read with the shared
 * line reader; the XDG Base Directory default path; the starter file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gravity/buf.h"
#include "gravity/config.h"
#include "gravity/fileio.h"

/* Keys of an account block. */
enum akey {
	K_SOURCE, K_USER, K_FOLDERS, K_SENT, K_PASSCMD, K_PASSENV, K_NETRC,
	K_TOKENCMD, K_CAFILE, K_INSECURE, K_TIMEOUT, K_CTIMEOUT, K_BATCH,
	K_TEXTCAP, K_APPEND, K_DRAFTS, K_O2URL, K_O2ID, K_O2SECCMD, K_O2SECENV,
	K_O2REFCMD, K_O2REFENV, K_O2CAFILE, K_DAV, K_DAVUSER, K_DAVPASSCMD,
	K_DAVPASSENV, K_DAVNETRC, K_DAVCAFILE, K_DAVDELETE, K_NONE
};

static const char *const akeys[] = {
	[K_SOURCE] = "source", [K_USER] = "user", [K_FOLDERS] = "folders",
	[K_SENT] = "sent-folder", [K_PASSCMD] = "passcmd",
	[K_PASSENV] = "password-env", [K_NETRC] = "netrc",
	[K_TOKENCMD] = "token-cmd", [K_CAFILE] = "cafile",
	[K_INSECURE] = "insecure", [K_TIMEOUT] = "timeout",
	[K_CTIMEOUT] = "connect-timeout", [K_BATCH] = "batch",
	[K_TEXTCAP] = "text-cap", [K_APPEND] = "append-drafts",
	[K_DRAFTS] = "drafts-folder",
	[K_O2URL] = "oauth2-token-url", [K_O2ID] = "oauth2-client-id",
	[K_O2SECCMD] = "oauth2-client-secret-cmd",
	[K_O2SECENV] = "oauth2-client-secret-env",
	[K_O2REFCMD] = "oauth2-refresh-token-cmd",
	[K_O2REFENV] = "oauth2-refresh-token-env",
	[K_O2CAFILE] = "oauth2-cafile",
	[K_DAV] = "caldav", [K_DAVUSER] = "caldav-user",
	[K_DAVPASSCMD] = "caldav-passcmd", [K_DAVPASSENV] = "caldav-password-env",
	[K_DAVNETRC] = "caldav-netrc",
	[K_DAVCAFILE] = "caldav-cafile", [K_DAVDELETE] = "caldav-delete",
};

typedef struct loader {
	gr_conf *conf;
	gr_diags *d;
	gr_config *c;
	const gr_toks *t;
} loader;

static enum akey
akey_of(const char *s)
{
	for (int i = 0; i < K_NONE; i++)
		if (strcmp(s, akeys[i]) == 0)
			return (enum akey)i;
	return K_NONE;
}

static char *
expand_path(const char *s)
{
	return gr_expand_home(s);
}

static void
account_free(gr_account *a)
{
	free(a->name);
	free(a->source);
	free(a->user);
	free(a->cred_arg);
	free(a->cred_origin);
	free(a->cafile);
	free(a->sent_folder);
	free(a->drafts_folder);
	free(a->o2_url);
	free(a->o2_id);
	free(a->o2_secret);
	free(a->o2_refresh);
	free(a->o2_cafile);
	free(a->dav_url);
	free(a->dav_user);
	free(a->dav_cred_arg);
	free(a->dav_cred_origin);
	free(a->dav_cafile);
	gr_strv_free(&a->folders);
}

void
gr_config_free(gr_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->naccounts; i++)
		account_free(&c->accounts[i]);
	free(c->accounts);
	free(c->path);
	free(c->rules_dir);
	free(c->out_dir);
	free(c->state_path);
	free(c);
}

static gr_account *
new_account(gr_config *c, const char *name)
{
	gr_account *na = realloc(c->accounts, (c->naccounts + 1) * sizeof *na);
	gr_account *a;

	if (!na)
		return NULL;
	c->accounts = na;
	a = &c->accounts[c->naccounts];
	memset(a, 0, sizeof *a);
	gr_imap_opts_init(&a->imap);   /* a->caldav: zero is "off" */
	a->name = gr_strdup(name);
	if (!a->name)
		return NULL;
	c->naccounts++;
	return a;
}

/* Exactly n arguments (n < 0: at least one). */
static int
want_args(loader *l, int n)
{
	size_t have = l->t->n - 1;

	if ((n < 0 && have >= 1) || (n >= 0 && have == (size_t)n))
		return 1;
	if (n == 1 && have > 1)
		gr_conf_error(l->conf, l->d, l->t->v[2].col,
		              "'%s' takes one value (quote it if it has blanks)",
		              l->t->v[0].text);
	else
		gr_conf_error(l->conf, l->d, l->t->v[0].col, "'%s' needs %s",
		              l->t->v[0].text, n == 0 ? "no value" : "a value");
	return 0;
}

static int
parse_bool(loader *l, int *out)
{
	const char *v = l->t->v[1].text;

	if (gr_strcaseeq(v, "yes") || gr_strcaseeq(v, "true") ||
	    strcmp(v, "1") == 0)
		*out = 1;
	else if (gr_strcaseeq(v, "no") || gr_strcaseeq(v, "false") ||
	         strcmp(v, "0") == 0)
		*out = 0;
	else {
		gr_conf_error(l->conf, l->d, l->t->v[1].col,
		              "'%s' is yes or no, not '%s'", l->t->v[0].text, v);
		return 0;
	}
	return 1;
}

/* A positive number, with an optional k/K or m/M suffix when sizes. */
static int
parse_num(loader *l, unsigned long long max, unsigned long long *out,
          int sizes)
{
	const char *v = l->t->v[1].text;
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (sizes && (*end == 'k' || *end == 'K'))
		n = n > max / 1024 ? max + 1 : n * 1024, end++;
	else if (sizes && (*end == 'm' || *end == 'M'))
		n = n > max / 1048576 ? max + 1 : n * 1048576, end++;
	if (errno || end == v || *end || *v == '-' || n == 0 || n > max) {
		gr_conf_error(l->conf, l->d, l->t->v[1].col,
		              "'%s' needs a number from 1 to %llu, not '%s'",
		              l->t->v[0].text, max, v);
		return 0;
	}
	*out = n;
	return 1;
}

/* Remember where a credential was set ("FILE:LINE"), for messages. */
static int
set_origin(loader *l, char **dst)
{
	gr_buf b;

	free(*dst);
	gr_buf_init(&b, 8192);
	if (gr_buf_printf(&b, "%s:%u", l->c->path,
	                  gr_conf_lineno(l->conf)) != GR_OK) {
		gr_buf_free(&b);
		*dst = NULL;
		return -1;
	}
	*dst = gr_buf_steal(&b);
	return *dst ? 1 : -1;
}

/* A password source for IMAP (dav 0) or CalDAV (dav 1). */
static int
set_cred(loader *l, gr_account *a, int dav, gr_cred_kind kind,
         const char *arg)
{
	gr_cred *c = dav ? &a->caldav.cred : &a->imap.cred;
	char **dst = dav ? &a->dav_cred_arg : &a->cred_arg;

	if (c->kind != GR_CRED_NONE) {
		if (dav)
			gr_conf_error(l->conf, l->d, l->t->v[0].col, "account '%s' "
			              "already has a CalDAV password source", a->name);
		else
			gr_conf_error(l->conf, l->d, l->t->v[0].col, "account '%s' "
			              "already has a password source; give only one "
			              "of passcmd, password-env, netrc, token-cmd",
			              a->name);
		return 0;
	}
	c->kind = kind;
	free(*dst);
	*dst = NULL;
	if (arg) {
		*dst = kind == GR_CRED_NETRC ? expand_path(arg) : gr_strdup(arg);
		if (!*dst)
			return -1;
	}
	return set_origin(l, dav ? &a->dav_cred_origin : &a->cred_origin);
}

static int
set_str(char **dst, const char *v, int path)
{
	free(*dst);
	*dst = path ? expand_path(v) : gr_strdup(v);
	return *dst ? 1 : -1;
}

/* An oauth2-* key: the account logs in with the refresh-token flow. */
static int
oauth2_key(loader *l, gr_account *a, char **dst, const char *v, int path)
{
	if (a->imap.cred.kind != GR_CRED_NONE &&
	    a->imap.cred.kind != GR_CRED_OAUTH2) {
		gr_conf_error(l->conf, l->d, l->t->v[0].col, "account '%s' already "
		              "has a password source; oauth2-* keys replace it",
		              a->name);
		return 0;
	}
	if (a->imap.cred.kind == GR_CRED_NONE &&
	    set_origin(l, &a->cred_origin) < 0)
		return -1;
	a->imap.cred.kind = GR_CRED_OAUTH2;
	return set_str(dst, v, path);
}

/* 1 done, 0 diagnosed, -1 out of memory. */
static int
account_key(loader *l, gr_account *a, enum akey k)
{
	const char *v = l->t->n > 1 ? l->t->v[1].text : NULL;
	unsigned long long n;
	int r;

	switch (k) {
	case K_FOLDERS:
		if (!want_args(l, -1))
			return 0;
		for (size_t i = 1; i < l->t->n; i++)
			if (gr_strv_push(&a->folders, l->t->v[i].text) != GR_OK)
				return -1;
		return 1;
	case K_NETRC:
	case K_DAVNETRC:
		if (l->t->n > 2)
			return want_args(l, 1);
		return set_cred(l, a, k == K_DAVNETRC, GR_CRED_NETRC, v);
	default:
		break;
	}
	if (!want_args(l, 1))
		return 0;
	switch (k) {
	case K_SOURCE:   return set_str(&a->source, v, 0);
	case K_USER:     return set_str(&a->user, v, 0);
	case K_SENT:     return set_str(&a->sent_folder, v, 0);
	case K_DRAFTS:   return set_str(&a->drafts_folder, v, 0);
	case K_O2URL:    return oauth2_key(l, a, &a->o2_url, v, 0);
	case K_O2ID:     return oauth2_key(l, a, &a->o2_id, v, 0);
	case K_O2CAFILE: return oauth2_key(l, a, &a->o2_cafile, v, 1);
	case K_O2SECCMD:
	case K_O2SECENV:
		a->imap.cred.oauth2.secret_src = k == K_O2SECCMD ? GR_CRED_PASSCMD
		                                                 : GR_CRED_ENV;
		return oauth2_key(l, a, &a->o2_secret, v, 0);
	case K_O2REFCMD:
	case K_O2REFENV:
		a->imap.cred.oauth2.refresh_src = k == K_O2REFCMD ? GR_CRED_PASSCMD
		                                                  : GR_CRED_ENV;
		return oauth2_key(l, a, &a->o2_refresh, v, 0);
	case K_CAFILE:   return set_str(&a->cafile, v, 1);
	case K_DAV:      return set_str(&a->dav_url, v, 0);
	case K_DAVUSER:  return set_str(&a->dav_user, v, 0);
	case K_DAVCAFILE: return set_str(&a->dav_cafile, v, 1);
	case K_DAVDELETE: return parse_bool(l, &a->caldav.delete_cancelled);
	case K_DAVPASSCMD: return set_cred(l, a, 1, GR_CRED_PASSCMD, v);
	case K_DAVPASSENV: return set_cred(l, a, 1, GR_CRED_ENV, v);
	case K_PASSCMD:  return set_cred(l, a, 0, GR_CRED_PASSCMD, v);
	case K_PASSENV:  return set_cred(l, a, 0, GR_CRED_ENV, v);
	case K_TOKENCMD: return set_cred(l, a, 0, GR_CRED_TOKENCMD, v);
	case K_INSECURE: return parse_bool(l, &a->imap.insecure);
	case K_APPEND:   return parse_bool(l, &a->imap.append_drafts);
	case K_TIMEOUT:
	case K_CTIMEOUT:
		if (!(r = parse_num(l, 3600, &n, 0)))
			return 0;
		if (k == K_TIMEOUT)
			a->imap.timeout = (long)n;
		else
			a->imap.connect_timeout = (long)n;
		return 1;
	case K_BATCH:
		if (!(r = parse_num(l, 10000, &n, 0)))
			return 0;
		a->imap.batch = (unsigned)n;
		return 1;
	case K_TEXTCAP:
		if (!(r = parse_num(l, 64ull << 20, &n, 1)))
			return 0;
		a->imap.text_cap = (size_t)n;
		return 1;
	default:
		return 0;
	}
}

static int
global_key(loader *l, const char *key)
{
	gr_config *c = l->c;
	char **dst;

	if (strcmp(key, "rules-dir") == 0)
		dst = &c->rules_dir;
	else if (strcmp(key, "out-dir") == 0)
		dst = &c->out_dir;
	else if (strcmp(key, "state") == 0)
		dst = &c->state_path;
	else
		return 2;               /* not a global key */
	if (!want_args(l, 1))
		return 0;
	return set_str(dst, l->t->v[1].text, 1);
}

static int
find_account(const gr_config *c, const char *name)
{
	for (size_t i = 0; i < c->naccounts; i++)
		if (strcmp(c->accounts[i].name, name) == 0)
			return 1;
	return 0;
}

/* One line.  *cur is the open account block (NULL outside). */
static int
do_line(loader *l, int indent, gr_account **cur)
{
	const char *key = l->t->v[0].text;
	enum akey k = akey_of(key);
	int r;

	if (!indent) {
		if (strcmp(key, "account") == 0) {
			if (!want_args(l, 1))
				return 0;
			if (find_account(l->c, l->t->v[1].text)) {
				gr_conf_error(l->conf, l->d, l->t->v[1].col,
				              "account '%s' defined twice", l->t->v[1].text);
				return 0;
			}
			*cur = new_account(l->c, l->t->v[1].text);
			return *cur ? 1 : -1;
		}
		r = global_key(l, key);
		if (r != 2)
			return r;
		if (k != K_NONE) {
			if (!*cur || strcmp((*cur)->name, "default") != 0) {
				if (find_account(l->c, "default")) {
					gr_conf_error(l->conf, l->d, l->t->v[0].col, "'%s' "
					              "belongs indented in an account block",
					              key);
					return 0;
				}
				*cur = new_account(l->c, "default");
				if (!*cur)
					return -1;
			}
			return account_key(l, *cur, k);
		}
	} else if (k != K_NONE) {
		if (!*cur) {
			gr_conf_error(l->conf, l->d, l->t->v[0].col, "indented '%s' "
			              "outside an account block", key);
			return 0;
		}
		return account_key(l, *cur, k);
	}
	gr_conf_error(l->conf, l->d, l->t->v[0].col, "unknown key '%s'", key);
	return 0;
}

/* Point each account's imap options at its own strings; check it. */
static void
finish(loader *l)
{
	for (size_t i = 0; i < l->c->naccounts; i++) {
		gr_account *a = &l->c->accounts[i];

		a->imap.user = a->user;
		a->imap.cred.arg = a->cred_arg;
		a->imap.cred.origin = a->cred_origin;
		a->imap.cafile = a->cafile;
		a->imap.sent_folder = a->sent_folder;
		a->imap.drafts_folder = a->drafts_folder;
		a->imap.cred.oauth2.token_url = a->o2_url;
		a->imap.cred.oauth2.client_id = a->o2_id;
		a->imap.cred.oauth2.cafile = a->o2_cafile;
		a->imap.cred.oauth2.secret_arg = a->o2_secret;
		a->imap.cred.oauth2.refresh_arg = a->o2_refresh;
		if (a->imap.cred.kind == GR_CRED_OAUTH2 &&
		    (!a->o2_url || !a->o2_id || !a->o2_refresh))
			gr_diag_add(l->d, l->c->path, 0, 0, "account '%s': OAuth2 "
			            "needs oauth2-token-url, oauth2-client-id and "
			            "oauth2-refresh-token-cmd (or -env)", a->name);
		a->caldav.url = a->dav_url;
		a->caldav.user = a->dav_user;
		a->caldav.cred.arg = a->dav_cred_arg;
		a->caldav.cred.origin = a->dav_cred_origin;
		a->caldav.cafile = a->dav_cafile;
		if ((a->dav_user || a->caldav.cred.kind != GR_CRED_NONE ||
		     a->dav_cafile) && !a->dav_url)
			gr_diag_add(l->d, l->c->path, 0, 0, "account '%s': caldav-* "
			            "keys need 'caldav URL'", a->name);
		a->imap.folders = (const char *const *)a->folders.v;
		a->imap.nfolders = a->folders.n;
		if (!a->source)
			gr_diag_add(l->d, l->c->path, 0, 0, "account '%s' has no "
			            "'source'", a->name);
	}
}

/* Split a config line into tokens like gr_conf_split(), except that a
 * token starting with '/' is a plain word (an absolute path), not a
 * /regex/.  Unclosed quotes are diagnosed. */
static gr_status
split_line(gr_conf *conf, const char *line, int indent, gr_toks *out,
           gr_diags *d)
{
	const char *p = line;

	while (*p) {
		gr_tok tok;
		gr_buf b;
		gr_status st = GR_OK;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		memset(&tok, 0, sizeof tok);
		tok.col = (unsigned)(p - line + indent) + 1;
		gr_buf_init(&b, 1u << 16);
		if (*p == '"') {
			tok.quoted = 1;
			for (p++; *p && *p != '"' && st == GR_OK; p++) {
				if (*p == '\\' && p[1])
					p++;
				st = gr_buf_addc(&b, *p);
			}
			if (*p != '"') {
				gr_buf_free(&b);
				gr_conf_error(conf, d, tok.col, "unterminated quoted string");
				return GR_E_CONFIG;
			}
			p++;
		} else {
			while (*p && *p != ' ' && *p != '\t' && st == GR_OK)
				st = gr_buf_addc(&b, *p++);
		}
		tok.text = st == GR_OK ? gr_buf_steal(&b) : NULL;
		gr_buf_free(&b);
		if (!tok.text)
			return GR_E_NOMEM;
		if (out->n == out->cap) {
			size_t ncap = out->cap ? out->cap * 2 : 8;
			gr_tok *nv = realloc(out->v, ncap * sizeof *nv);

			if (!nv) {
				free(tok.text);
				return GR_E_NOMEM;
			}
			out->v = nv;
			out->cap = ncap;
		}
		out->v[out->n++] = tok;
	}
	return GR_OK;
}

gr_status
gr_config_load(const char *path, gr_config **out, gr_diags *d)
{
	loader l = { NULL, d, NULL, NULL };
	gr_account *cur = NULL;
	gr_diags local = { NULL, 0, 0 };
	gr_error err;
	gr_status st;
	size_t errs0;
	const char *line;
	int indent, r = 1;

	*out = NULL;
	if (!l.d)
		l.d = &local;
	errs0 = gr_diags_errors(l.d);
	st = gr_conf_open(path, &l.conf, &err);
	if (st != GR_OK) {
		if (access(path, F_OK) != 0 && errno == ENOENT)
			st = GR_E_NOINPUT;
		gr_diag_add(l.d, path, 0, 0, "%s", err.msg);
		goto out;
	}
	l.c = calloc(1, sizeof *l.c);
	if (!l.c || !(l.c->path = gr_strdup(path))) {
		st = GR_E_NOMEM;
		goto out;
	}
	while (r >= 0 && (st = gr_conf_next(l.conf, &line, &indent)) == GR_OK) {
		gr_toks t = { NULL, 0, 0 };

		if (split_line(l.conf, line, indent, &t, l.d) == GR_OK && t.n > 0) {
			l.t = &t;
			r = do_line(&l, indent, &cur);
		}
		gr_toks_free(&t);
	}
	if (r < 0 || st == GR_E_NOMEM) {
		st = GR_E_NOMEM;
		goto out;
	}
	finish(&l);
	st = gr_diags_errors(l.d) > errs0 ? GR_E_CONFIG : GR_OK;
out:
	gr_conf_close(l.conf);
	if (st == GR_OK)
		*out = l.c;
	else
		gr_config_free(l.c);
	if (st == GR_E_NOMEM)
		gr_diag_add(l.d, path, 0, 0, "out of memory");
	gr_diags_free(&local);
	return st;
}

const gr_account *
gr_config_account(const gr_config *c, const char *name)
{
	for (size_t i = 0; c && i < c->naccounts; i++)
		if (!name || strcmp(c->accounts[i].name, name) == 0)
			return &c->accounts[i];
	return NULL;
}

char *
gr_config_default_path(void)
{
	const char *x = getenv("XDG_CONFIG_HOME");
	const char *h = getenv("HOME");
	gr_buf b;
	gr_status st;

	gr_buf_init(&b, 1u << 16);
	if (x && *x == '/')             /* XDG: relative paths are ignored */
		st = gr_buf_printf(&b, "%s/gravity/config", x);
	else if (h && *h)
		st = gr_buf_printf(&b, "%s/.config/gravity/config", h);
	else
		return NULL;
	if (st != GR_OK) {
		gr_buf_free(&b);
		return NULL;
	}
	return gr_buf_steal(&b);
}

/* A config value: quoted when it holds a blank, '#', a quote or a
 * backslash (the reader's quoting: \" and \\). */
static gr_status
put_value(gr_buf *b, const char *v)
{
	gr_status st = GR_OK;

	if (!strpbrk(v, " \t#\"\\") && *v)
		return gr_buf_addstr(b, v);
	st = gr_buf_addc(b, '"');
	for (; *v && st == GR_OK; v++) {
		if (*v == '"' || *v == '\\')
			st = gr_buf_addc(b, '\\');
		if (st == GR_OK)
			st = gr_buf_addc(b, *v);
	}
	return st == GR_OK ? gr_buf_addc(b, '"') : st;
}

/* "KEY VALUE  # comment" (prefix "#" when value is NULL: the example
 * is written, commented out). */
static gr_status
put_key(gr_buf *b, const char *indent, const char *key, const char *value,
        const char *example)
{
	gr_status st = gr_buf_printf(b, "%s%s%s ", indent, value ? "" : "#", key);

	if (st == GR_OK)
		st = put_value(b, value ? value : example);
	return st == GR_OK ? gr_buf_addc(b, '\n') : st;
}

static const char account_rest[] =
"\t# More folders to poll.  Your Sent folder (it tells which threads you\n"
"\t# answered) is the one the server marks \\Sent, whatever its name\n"
"\t# ('gravity folders' lists them); sent-folder names another.\n"
"\t#folders \"Clients/Active\" Projects\n"
"\t#sent-folder \"Sent Items\"\n"
"\n"
"\t# Other password sources (one per account; never the password itself):\n"
"\t#password-env GRAVITY_PASSWORD  # an environment variable's name\n"
"\t#netrc                          # ~/.netrc (or: netrc /path/to/netrc)\n"
"\t#token-cmd \"oauth2-token work\"  # an OAuth2 bearer token (XOAUTH2)\n"
"\t# or the OAuth2 refresh-token flow (Gmail, Microsoft 365):\n"
"\t#oauth2-token-url https://oauth2.googleapis.com/token\n"
"\t#oauth2-client-id 1234.apps.googleusercontent.com\n"
"\t#oauth2-client-secret-cmd \"pass show mail/client-secret\"\n"
"\t#oauth2-refresh-token-cmd \"pass show mail/refresh-token\"\n"
"\n"
"\t# A private certificate authority; 'insecure yes' turns every\n"
"\t# certificate check off (never do this outside a test).\n"
"\t#cafile ~/.config/gravity/ca.pem\n"
"\t#insecure no\n"
"\t#timeout 60\n"
"\t#text-cap 256k                  # bytes fetched per text part\n"
"\t# Also store each draft in the server's Drafts folder (flag \\Draft),\n"
"\t# once: the only change gravity ever makes to a mailbox.  The folder\n"
"\t# is the one marked \\Drafts unless drafts-folder names another.\n"
"\t#append-drafts yes\n"
"\t#drafts-folder Drafts\n"
"\n"
"\t# Opt-in: also PUT every reminder to a CalDAV calendar collection\n"
"\t# (cancelled ones are updated, or deleted with caldav-delete yes).\n"
"\t#caldav https://dav.example.com/you/gravity/\n"
"\t#caldav-user you\n"
"\t#caldav-passcmd \"pass show dav/you\"  # or caldav-password-env VAR, caldav-netrc\n"
"\t#caldav-cafile ~/.config/gravity/dav-ca.pem\n"
"\t#caldav-delete no\n";

gr_status
gr_config_starter(const gr_starter *s, char **out)
{
	static const gr_starter none = { 0 };
	const char *in;
	gr_buf b;
	gr_status st;

	*out = NULL;
	if (!s)
		s = &none;
	gr_buf_init(&b, 1u << 20);
	st = gr_buf_addstr(&b,
	    "# gravity configuration (gravity-config(5)).  Lines starting with '#'\n"
	    "# are comments.  Global keys are unindented; an 'account' block\n"
	    "# holds indented keys.  '~' and $HOME in paths are your home.\n"
	    "\n"
	    "# Your rules: profile (who you are), services (what you offer and\n"
	    "# what you pass on), partners (to whom), overrides, templates/.\n"
	    "# Every gravity command reads them over the installed defaults.\n");
	if (st == GR_OK)
		st = put_key(&b, "", "rules-dir", s->rules_dir,
		             "~/.config/gravity/rules");
	if (st == GR_OK)
		st = gr_buf_addstr(&b, "# Where reminders, drafts and the log go, "
		                   "and gravity's own state.\n");
	if (st == GR_OK)
		st = put_key(&b, "", "out-dir", s->out_dir ? s->out_dir
		                                          : "~/gravity", NULL);
	if (st == GR_OK)
		st = put_key(&b, "", "state", s->state ? s->state :
		             "~/.local/state/gravity/state.db", NULL);
	in = s->source ? "\t" : "#\t";
	if (st == GR_OK)
		st = gr_buf_printf(&b, "\n# Your mailbox.%s\n%saccount ",
		                   s->source ? "" : "  Uncomment the account "
		                   "block and fill it in (or let\n# 'gravity init "
		                   "--imap-host HOST ...' write a new config).",
		                   s->source ? "" : "#");
	if (st == GR_OK)
		st = put_value(&b, s->account ? s->account : "work");
	if (st == GR_OK)
		st = gr_buf_printf(&b, "\n%s# imaps:// is TLS from the start (port "
		                   "993); imap:// requires\n%s# STARTTLS (port 143)."
		                   "  Mail is never sent and flags never change.\n",
		                   in, in);
	if (st == GR_OK)
		st = put_key(&b, in, "source", s->source ? s->source :
		             "imaps://you@example.com@imap.example.com/INBOX",
		             NULL);
	if (st == GR_OK)
		st = gr_buf_printf(&b, "%s# The login, when it is not the URL's "
		                   "user part (the last '@'\n%s# before the host "
		                   "ends it, so a whole address works there).\n",
		                   in, in);
	if (st == GR_OK)
		st = put_key(&b, s->source ? "\t" : "#\t", "user", s->user,
		             "you@example.com");
	if (st == GR_OK)
		st = gr_buf_printf(&b, "%s# The password never goes on the command "
		                   "line: a command whose\n%s# first output line "
		                   "is the password.\n", in, in);
	if (st == GR_OK)
		st = put_key(&b, s->source ? "\t" : "#\t", "passcmd", s->passcmd,
		             "pass show mail/work");
	if (st == GR_OK && s->source && s->cafile)
		st = gr_buf_printf(&b, "%s# The server's certificate is signed "
		                   "by this CA.\n", in);
	if (st == GR_OK && s->source && s->cafile)
		st = put_key(&b, "\t", "cafile", s->cafile, NULL);
	if (st == GR_OK)
		st = gr_buf_addc(&b, '\n');
	if (st == GR_OK && s->source)
		st = gr_buf_addstr(&b, account_rest);
	if (st == GR_OK)
		*out = gr_buf_steal(&b);
	gr_buf_free(&b);
	return st == GR_OK && !*out ? GR_E_NOMEM : st;
}

gr_status
gr_config_write_new(const char *path, const char *data, size_t len,
                    gr_error *err)
{
	char *dir = gr_strdup(path), *slash;
	size_t off = 0;
	gr_status st = GR_OK;
	int fd;

	if (!dir)
		return gr_error_set(err, GR_E_NOMEM, "out of memory");
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		st = gr_mkdirs(dir, err);
	}
	free(dir);
	if (st != GR_OK)
		return st;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return gr_error_set(err, GR_E_IO, "%s: %s", path,
		                    errno == EEXIST ? "exists; not overwritten"
		                                    : strerror(errno));
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			st = gr_error_set(err, GR_E_IO, "%s: %s", path, strerror(errno));
			break;
		}
		off += (size_t)w;
	}
	if (st == GR_OK && fsync(fd) != 0)
		st = gr_error_set(err, GR_E_IO, "%s: %s", path, strerror(errno));
	if (close(fd) != 0 && st == GR_OK)
		st = gr_error_set(err, GR_E_IO, "%s: %s", path, strerror(errno));
	return st;
}

gr_status
gr_config_write_starter(const char *path, const gr_starter *s, gr_error *err)
{
	char *text;
	gr_status st = gr_config_starter(s, &text);

	if (st != GR_OK)
		return gr_error_set(err, st, "%s: out of memory", path);
	st = gr_config_write_new(path, text, strlen(text), err);
	free(text);
	return st;
}
