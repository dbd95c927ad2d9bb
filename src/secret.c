/* SPDX-License-Identifier: MIT */
/*
 * secret.c - credentials (see secret.h): a command's first output line
 * (like mbsync's PassCmd, run with /bin/sh -c and read through a pipe, no
 * stdio buffering), an environment variable, a netrc file, or the OAuth2
 * refresh-token flow.  Secrets are zeroed (explicit_bzero) before their
 * memory is freed and never appear in error messages.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gravity/buf.h"
#include "gravity/secret.h"
#include "gravity/util.h"

#define SECRET_MAX 8192         /* OAuth2 tokens can be a few KiB */

void
gr_cred_init(gr_cred *c)
{
	memset(c, 0, sizeof *c);
}

int
gr_cred_is_token(const gr_cred *c)
{
	return c->kind == GR_CRED_TOKENCMD || c->kind == GR_CRED_OAUTH2;
}

const char *
gr_cred_describe(const gr_cred *c, char *buf, size_t len)
{
	const char *o = c->origin;
	int n = 0;

	switch (c->kind) {
	case GR_CRED_NONE:
		n = snprintf(buf, len, "no password source");
		break;
	case GR_CRED_PASSCMD:
		n = snprintf(buf, len, "passcmd");
		break;
	case GR_CRED_TOKENCMD:
		n = snprintf(buf, len, "token-cmd");
		break;
	case GR_CRED_ENV:
		n = snprintf(buf, len, "password-env $%.100s",
		             c->arg ? c->arg : "?");
		break;
	case GR_CRED_NETRC:
		n = snprintf(buf, len, "netrc %.300s", c->arg ? c->arg : "~/.netrc");
		break;
	case GR_CRED_OAUTH2:
		n = snprintf(buf, len, "OAuth2 refresh token for %.200s",
		             c->oauth2.token_url ? c->oauth2.token_url : "?");
		break;
	}
	if (o && *o && n >= 0 && (size_t)n < len && c->kind != GR_CRED_NONE)
		snprintf(buf + n, len - (size_t)n, " (%.300s)", o);
	return buf;
}

void
gr_secret_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/* Read the child's output up to the first line end into buf. */
static size_t
read_first_line(int fd, char *buf, size_t cap, int *toolong)
{
	size_t have = 0;
	int eol = 0;

	*toolong = 0;
	for (;;) {
		char tmp[512];
		ssize_t r = read(fd, tmp, sizeof tmp);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r && !eol; i++) {
			if (tmp[i] == '\n' || tmp[i] == '\r')
				eol = 1;
			else if (have + 1 < cap)
				buf[have++] = tmp[i];
			else
				*toolong = 1;
		}
		explicit_bzero(tmp, sizeof tmp);
		/* Keep draining so the child never blocks on a full pipe. */
	}
	buf[have] = '\0';
	return have;
}

static gr_status
run_cmd(const char *what, const char *cmd, char **out, gr_error *err)
{
	char *buf = NULL;
	int fds[2], status = 0, toolong = 0;
	pid_t pid;
	size_t n;

	if (pipe(fds) < 0)
		return gr_error_set(err, GR_E_IO, "%s: pipe: %s", what,
		                    strerror(errno));
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return gr_error_set(err, GR_E_IO, "%s: fork: %s", what,
		                    strerror(errno));
	}
	if (pid == 0) {
		close(fds[0]);
		if (dup2(fds[1], STDOUT_FILENO) < 0)
			_exit(127);
		close(fds[1]);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	buf = malloc(SECRET_MAX);
	if (buf)
		n = read_first_line(fds[0], buf, SECRET_MAX, &toolong);
	else
		n = 0;
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!buf)
		return gr_error_set(err, GR_E_NOMEM, "%s: out of memory", what);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		gr_secret_free(buf);
		if (WIFSIGNALED(status))
			return gr_error_set(err, GR_E_AUTH, "%s: killed by signal %d",
			                    what, WTERMSIG(status));
		return gr_error_set(err, GR_E_AUTH, "%s: the command failed "
		                    "(exit %d%s); run it in a shell: it must "
		                    "exit 0 and print the secret on its first "
		                    "line", what, WEXITSTATUS(status),
		                    WEXITSTATUS(status) == 127 ? ": command not "
		                    "found" : WEXITSTATUS(status) == 126 ?
		                    ": not executable" : "");
	}
	if (toolong || n == 0) {
		gr_secret_free(buf);
		return gr_error_set(err, GR_E_AUTH, "%s: %s; run it in a shell: "
		                    "it must print the secret on its first line",
		                    what, toolong ? "first output line too long"
		                                  : "the command printed nothing");
	}
	*out = buf;
	return GR_OK;
}

/* A secret from a command or an environment variable (what names it). */
static gr_status
secret_from(gr_cred_kind src, const char *arg, const char *what, char **out,
            gr_error *err)
{
	const char *v;

	*out = NULL;
	if (src == GR_CRED_NONE)
		return GR_OK;
	if (!arg || !*arg)
		return gr_error_set(err, GR_E_CONFIG, "%s: %s", what,
		                    src == GR_CRED_ENV ? "no variable named"
		                                       : "empty command");
	if (src == GR_CRED_PASSCMD || src == GR_CRED_TOKENCMD)
		return run_cmd(what, arg, out, err);
	v = getenv(arg);
	if (!v || !*v)
		return gr_error_set(err, GR_E_AUTH, "%s: $%s is not set", what, arg);
	*out = gr_strdup(v);
	return *out ? GR_OK : gr_error_set(err, GR_E_NOMEM, "%s: out of memory",
	                                   what);
}

/* The refresh-token flow: fetch both secrets, trade them for an access
 * token, zero them. */
static gr_status
oauth2_token(const struct gr_oauth2 *o, char **out, gr_error *err)
{
	char *secret = NULL, *refresh = NULL;
	gr_status st;

	st = secret_from(o->secret_src, o->secret_arg, "oauth2 client secret",
	                 &secret, err);
	if (st == GR_OK)
		st = secret_from(o->refresh_src, o->refresh_arg,
		                 "oauth2 refresh token", &refresh, err);
	if (st == GR_OK && !refresh)
		st = gr_error_set(err, GR_E_CONFIG, "oauth2: no refresh token "
		                  "source (oauth2-refresh-token-cmd or -env)");
	if (st == GR_OK)
		st = gr_oauth2_refresh(o, secret, refresh, out, NULL, err);
	gr_secret_free(secret);
	gr_secret_free(refresh);
	return st;
}

gr_status
gr_cred_get(const gr_cred *c, const char *host, const char *user,
            char **out, gr_error *err)
{
	char what[512];

	*out = NULL;
	gr_cred_describe(c, what, sizeof what);
	switch (c->kind) {
	case GR_CRED_NONE:
		return GR_OK;
	case GR_CRED_NETRC:
		return gr_secret_netrc(c->arg, host ? host : "", user, out, err);
	case GR_CRED_PASSCMD:
	case GR_CRED_TOKENCMD:
	case GR_CRED_ENV:
		return secret_from(c->kind, c->arg, what, out, err);
	case GR_CRED_OAUTH2:
		return oauth2_token(&c->oauth2, out, err);
	}
	return gr_error_set(err, GR_E_INTERNAL, "unknown credential source");
}

/* Next blank-separated token of a netrc file (quotes not supported, as
 * in ftp(1)); NULL at the end. */
static const char *
netrc_tok(char **p)
{
	char *s = *p, *t;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (!*s)
		return NULL;
	t = s;
	while (*s && *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
		s++;
	if (*s)
		*s++ = '\0';
	*p = s;
	return t;
}

gr_status
gr_secret_netrc(const char *path, const char *host, const char *user,
                char **out, gr_error *err)
{
	char *data = NULL, *p, *home = getenv("HOME");
	const char *tok;
	char fallback[4096];
	int inmach = 0, match = 0;
	const char *login = NULL, *pass = NULL;
	gr_status st;
	size_t len;

	*out = NULL;
	if (!path) {
		if (!home)
			return gr_error_set(err, GR_E_CONFIG, "netrc: $HOME not set");
		snprintf(fallback, sizeof fallback, "%s/.netrc", home);
		path = fallback;
	}
	st = gr_read_file(path, 1u << 20, &data, &len, err);
	if (st == GR_E_NOINPUT)
		return gr_error_set(err, GR_E_AUTH, "no password source for "
		                    "%s%s%s: %s does not exist (write the password "
		                    "there, or use passcmd or password-env)",
		                    user ? user : "", user ? "@" : "", host, path);
	if (st != GR_OK)
		return st;
	p = data;
	while ((tok = netrc_tok(&p)) != NULL && !*out) {
		if (strcmp(tok, "machine") == 0 || strcmp(tok, "default") == 0) {
			if (match && pass && (!user || !login || strcmp(login, user) == 0))
				break;
			match = strcmp(tok, "default") == 0 ||
			        ((tok = netrc_tok(&p)) && strcmp(tok, host) == 0);
			inmach = 1;
			login = pass = NULL;
		} else if (inmach && strcmp(tok, "login") == 0) {
			login = netrc_tok(&p);
		} else if (inmach && strcmp(tok, "password") == 0) {
			pass = netrc_tok(&p);
		} else if (strcmp(tok, "macdef") == 0) {
			char *end = strstr(p, "\n\n");

			/* A macro body follows, up to an empty line: skip it. */
			if (match && pass)
				break;
			inmach = match = 0;
			p = end ? end + 2 : p + strlen(p);
		}
	}
	if (match && pass && (!user || !login || strcmp(login, user) == 0))
		*out = gr_strdup(pass);
	explicit_bzero(data, len);
	free(data);
	if (!*out)
		return gr_error_set(err, GR_E_AUTH, "%s: no password for %s%s%s",
		                    path, user ? user : "", user ? "@" : "", host);
	return GR_OK;
}
