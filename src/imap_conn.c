/* SPDX-License-Identifier: MIT */
/*
 * imap_conn.c - one IMAP connection: libcurl in CONNECT_ONLY mode does the
 * TCP connection, TLS (implicit, RFC 8314; or STARTTLS, RFC 3501 6.2.1,
 * always required), certificate and host name checks and the login (LOGIN,
 * SASL PLAIN RFC 4616, XOAUTH2); then gravity sends tagged commands and
 * reads responses itself over curl_easy_send/curl_easy_recv, non-blocking
 * with poll() and a timeout.  URIs follow RFC 5092 loosely.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "gravity/buf.h"
#include "gravity/imap.h"
#include "gravity/util.h"
#include "gravity/tls.h"

#define RECV_CHUNK 65536
#define GREETING_WAIT 5         /* seconds for each reply before login */

struct gr_imap_conn {
	CURL *curl;
	curl_socket_t sock;
	gr_imap_parser *parser;
	char peer[300];
	long timeout_ms;
	unsigned next_tag;
	uint64_t bytes;
	int dead;
};

void
gr_imap_opts_init(struct gr_imap_opts *o)
{
	memset(o, 0, sizeof *o);
	o->connect_timeout = 30;
	o->timeout = 60;
	o->batch = 200;
	o->text_cap = 256 * 1024;
}

/* --- URI ---------------------------------------------------------------- */

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static char *
pct_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n &&
		    hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			*o++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

void
gr_imap_uri_free(gr_imap_uri *u)
{
	if (!u)
		return;
	free(u->user);
	free(u->host);
	free(u->folder);
	memset(u, 0, sizeof *u);
}

gr_status
gr_imap_uri_parse(const char *uri, gr_imap_uri *u, gr_error *err)
{
	const char *p, *at, *slash, *hend, *colon = NULL;

	memset(u, 0, sizeof *u);
	if (gr_startswith_ci(uri, "imaps://")) {
		u->implicit_tls = 1;
		p = uri + 8;
	} else if (gr_startswith_ci(uri, "imap://")) {
		p = uri + 7;
	} else {
		return gr_error_set(err, GR_E_USAGE, "%s: not an imap:// or "
		                    "imaps:// URI", uri);
	}
	slash = strchr(p, '/');
	if (!slash)
		slash = p + strlen(p);
	/* The last '@' ends the user: a login that is a whole address
	 * (imaps://hannah@example.com@imap.example.com/) needs no %40. */
	at = memrchr(p, '@', (size_t)(slash - p));
	if (at) {
		if (memchr(p, ':', (size_t)(at - p)))
			return gr_error_set(err, GR_E_USAGE, "imap URI: a password in "
			                    "the URI is refused; use passcmd, "
			                    "password-env or netrc");
		u->user = pct_decode(p, (size_t)(at - p));
		p = at + 1;
	}
	hend = slash;
	if (*p == '[') {
		const char *rb = memchr(p, ']', (size_t)(slash - p));

		if (!rb)
			goto bad;
		if (rb + 1 < slash && rb[1] == ':')
			colon = rb + 1;
		else if (rb + 1 != slash)
			goto bad;
	} else {
		colon = memchr(p, ':', (size_t)(slash - p));
	}
	if (colon) {
		char *end;
		unsigned long port = strtoul(colon + 1, &end, 10);

		if (end != slash || port == 0 || port > 65535 || colon + 1 == slash)
			goto bad;
		u->port = (unsigned)port;
		hend = colon;
	} else {
		u->port = u->implicit_tls ? 993 : 143;
	}
	if (hend == p)
		goto bad;
	u->host = gr_strndup(p, (size_t)(hend - p));
	u->folder = *slash && slash[1] ? pct_decode(slash + 1, strlen(slash + 1))
	                               : gr_strdup("INBOX");
	if (!u->host || !u->folder || (at && !u->user)) {
		gr_imap_uri_free(u);
		return gr_error_set(err, GR_E_NOMEM, "imap URI: out of memory");
	}
	return GR_OK;
bad:
	gr_imap_uri_free(u);
	return gr_error_set(err, GR_E_USAGE, "%s: malformed imap URI", uri);
}

/* --- connect ------------------------------------------------------------ */

/* A failed connect or login in one line, with what to do about it. */
static gr_status
map_curl(CURLcode rc, const gr_imap_uri *u, const struct gr_imap_opts *o,
         const char *peer, const char *ebuf, gr_error *err)
{
	const char *why = *ebuf ? ebuf : curl_easy_strerror(rc);

	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		if (!u->implicit_tls && strstr(why, "esponse"))
			return gr_error_set(err, GR_E_NET, "%s: no IMAP greeting "
			                    "within %d s (%s): if port %u is TLS from "
			                    "the start (as 993 is), use imaps://",
			                    peer, GREETING_WAIT, why, u->port);
		/* fall through */
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
		return gr_error_set(err, GR_E_NET, "%s: %s", peer, why);
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
		if (strstr(why, "host name") || strstr(why, "subject name"))
			return gr_error_set(err, GR_E_TLS, "%s: TLS: the server's "
			                    "certificate is for another host name "
			                    "(%s): connect by the name on the "
			                    "certificate", peer, why);
		if (o->cafile)
			return gr_error_set(err, GR_E_TLS, "%s: TLS: the server's "
			                    "certificate is not signed by the CA in "
			                    "cafile %s (%s)", peer, o->cafile, why);
		return gr_error_set(err, GR_E_TLS, "%s: TLS: the server's "
		                    "certificate is self-signed or from an "
		                    "unknown authority (%s): if you trust it, save "
		                    "its CA certificate (PEM) and name that file "
		                    "with 'cafile FILE' in the account (or "
		                    "--cafile)", peer, why);
	case CURLE_SSL_CONNECT_ERROR:
		if (u->implicit_tls && u->port != 993)
			return gr_error_set(err, GR_E_TLS, "%s: TLS handshake "
			                    "failed (%s): if port %u speaks plain "
			                    "IMAP with STARTTLS (as 143 does), use "
			                    "imap://", peer, why, u->port);
		/* fall through */
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_USE_SSL_FAILED:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return gr_error_set(err, GR_E_TLS, "%s: TLS: %s", peer, why);
	default:
		return gr_error_set(err, GR_E_PROTOCOL, "%s: %s", peer, why);
	}
}

static gr_status
set_credentials(CURL *h, const struct gr_imap_opts *o, const char *host,
                const char *user, const char *peer, gr_error *err)
{
	char *secret = NULL;
	gr_status st;
	CURLcode rc = CURLE_OK;

	st = gr_cred_get(&o->cred, host, user, &secret, err);
	if (st != GR_OK)
		return st;
	if (!secret)
		return GR_OK;
	if (gr_cred_is_token(&o->cred)) {
		rc = curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, secret);
		if (!rc)
			rc = curl_easy_setopt(h, CURLOPT_LOGIN_OPTIONS, "AUTH=XOAUTH2");
	} else {
		rc = curl_easy_setopt(h, CURLOPT_PASSWORD, secret);
	}
	gr_secret_free(secret);         /* curl holds its own copy */
	if (rc)
		return gr_error_set(err, GR_E_INTERNAL, "%s: credentials: %s", peer,
		                    curl_easy_strerror(rc));
	return GR_OK;
}

static gr_status
setup_curl(gr_imap_conn *c, const gr_imap_uri *u, const char *user,
           const struct gr_imap_opts *o, char *ebuf, gr_error *err)
{
	char url[400];
	long cto = o->connect_timeout > 0 ? o->connect_timeout : 30;
	CURL *h = c->curl;
	CURLcode rc;

	snprintf(url, sizeof url, "%s://%s:%u/", u->implicit_tls ? "imaps" : "imap",
	         u->host, u->port);
	rc = curl_easy_setopt(h, CURLOPT_URL, url);
	if (!rc) rc = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "imap,imaps");
	if (!rc) rc = curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
	if (!rc) rc = curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (!rc) rc = curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (!rc) rc = curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	if (!rc) rc = curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, cto);
	if (!rc) rc = curl_easy_setopt(h, CURLOPT_TIMEOUT, cto + c->timeout_ms / 1000);
	/* A plain IMAP server greets at once; an implicit-TLS one waits for
	 * the client's TLS hello.  So for imap:// a silent server is most
	 * likely a TLS port: give up within seconds, not the whole timeout. */
	if (!rc && !u->implicit_tls)
		rc = curl_easy_setopt(h, CURLOPT_SERVER_RESPONSE_TIMEOUT,
		                      (long)GREETING_WAIT);
	if (!rc && user) rc = curl_easy_setopt(h, CURLOPT_USERNAME, user);
	if (!rc) rc = gr_tls_trust(h, o->cafile);
	if (!rc && o->insecure) {
		fprintf(stderr, "gravity: WARNING: 'insecure' is set: the "
		        "certificate and host name of %s are NOT checked; anyone "
		        "on the path can read your mail and password\n", c->peer);
		rc = curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		if (!rc)
			rc = curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (rc)
		return gr_error_set(err, GR_E_INTERNAL, "%s: curl setup: %s",
		                    c->peer, curl_easy_strerror(rc));
	return set_credentials(h, o, u->host, user, c->peer, err);
}

gr_status
gr_imap_connect(const gr_imap_uri *u, const struct gr_imap_opts *o,
                gr_imap_conn **out, gr_error *err)
{
	char ebuf[CURL_ERROR_SIZE];
	const char *user = o->user ? o->user : u->user;
	gr_imap_conn *c;
	gr_status st;
	CURLcode rc;
	size_t maxlit = (o->text_cap ? o->text_cap : 256 * 1024) + 4096;

	*out = NULL;
	ebuf[0] = '\0';
	/* The well-known ports say which scheme they need: no need to wait. */
	if (!u->implicit_tls && u->port == 993)
		return gr_error_set(err, GR_E_SETUP, "%s:993 is IMAP over TLS "
		                    "from the start: use imaps://%s/ (imap:// is "
		                    "STARTTLS, port 143)", u->host, u->host);
	if (u->implicit_tls && u->port == 143)
		return gr_error_set(err, GR_E_SETUP, "%s:143 is plain IMAP with "
		                    "STARTTLS: use imap://%s/ (imaps:// is TLS from "
		                    "the start, port 993)", u->host, u->host);
	c = calloc(1, sizeof *c);
	if (!c)
		return gr_error_set(err, GR_E_NOMEM, "imap: out of memory");
	c->sock = CURL_SOCKET_BAD;
	snprintf(c->peer, sizeof c->peer, "%s:%u", u->host, u->port);
	c->timeout_ms = (o->timeout > 0 ? o->timeout : 60) * 1000;
	c->curl = curl_easy_init();
	if (!c->curl ||
	    gr_imap_parser_new(maxlit, 64 * maxlit + (1u << 20), &c->parser)) {
		st = gr_error_set(err, GR_E_NOMEM, "%s: out of memory", c->peer);
		goto fail;
	}
	st = setup_curl(c, u, user, o, ebuf, err);
	if (st != GR_OK)
		goto fail;
	rc = curl_easy_perform(c->curl);
	if (rc == CURLE_LOGIN_DENIED) {
		char src[512];

		/* Which user, and where the secret came from: never the
		 * secret itself. */
		st = gr_error_set(err, GR_E_AUTH, "%s: login refused for user "
		                  "'%.200s' with the %s from %s; check the user "
		                  "name and what that source gives", c->peer,
		                  user ? user : "", gr_cred_is_token(&o->cred) ?
		                  "token" : "password",
		                  gr_cred_describe(&o->cred, src, sizeof src));
		goto fail;
	}
	if (rc) {
		st = map_curl(rc, u, o, c->peer, ebuf, err);
		goto fail;
	}
	rc = curl_easy_getinfo(c->curl, CURLINFO_ACTIVESOCKET, &c->sock);
	if (rc || c->sock == CURL_SOCKET_BAD) {
		st = gr_error_set(err, GR_E_NET, "%s: no connection after login",
		                  c->peer);
		goto fail;
	}
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, NULL);
	*out = c;
	return GR_OK;
fail:
	if (c->curl)
		curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, NULL);
	gr_imap_close(c);
	return st;
}

/* --- I/O ---------------------------------------------------------------- */

static gr_status
wait_sock(gr_imap_conn *c, short events, gr_error *err)
{
	struct pollfd pfd = { .fd = c->sock, .events = events };
	int r;

	do
		r = poll(&pfd, 1, (int)c->timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return gr_error_set(err, GR_E_NET, "%s: poll: %s", c->peer,
		                    strerror(errno));
	if (r == 0)
		return gr_error_set(err, GR_E_NET, "%s: timed out after %ld s "
		                    "waiting for the server", c->peer,
		                    c->timeout_ms / 1000);
	return GR_OK;
}

static gr_status
send_all(gr_imap_conn *c, const char *data, size_t len, gr_error *err)
{
	while (len > 0) {
		size_t n = 0;
		CURLcode rc = curl_easy_send(c->curl, data, len, &n);
		gr_status st;

		if (rc == CURLE_AGAIN) {
			st = wait_sock(c, POLLOUT, err);
			if (st != GR_OK)
				return st;
			continue;
		}
		if (rc)
			return gr_error_set(err, GR_E_NET, "%s: send: %s", c->peer,
			                    curl_easy_strerror(rc));
		data += n;
		len -= n;
	}
	return GR_OK;
}

/* Read what is there (waiting up to the timeout) into the parser. */
static gr_status
recv_some(gr_imap_conn *c, gr_error *err)
{
	char buf[RECV_CHUNK];

	for (;;) {
		size_t n = 0;
		CURLcode rc = curl_easy_recv(c->curl, buf, sizeof buf, &n);
		gr_status st;

		if (rc == CURLE_AGAIN) {
			st = wait_sock(c, POLLIN, err);
			if (st != GR_OK)
				return st;
			continue;
		}
		if (rc)
			return gr_error_set(err, GR_E_NET, "%s: receive: %s", c->peer,
			                    curl_easy_strerror(rc));
		if (n == 0)
			return gr_error_set(err, GR_E_NET, "%s: connection closed by "
			                    "the server", c->peer);
		c->bytes += n;
		return gr_imap_parser_feed(c->parser, buf, n, err);
	}
}

static gr_status
next_resp(gr_imap_conn *c, gr_imap_resp **r, gr_error *err)
{
	for (;;) {
		gr_status st = gr_imap_parser_next(c->parser, r, err);

		if (st != GR_DONE)
			return st;
		st = recv_some(c, err);
		if (st != GR_OK)
			return st;
	}
}

static gr_status
tagged_status(gr_imap_conn *c, const gr_imap_resp *r, const char *cmd,
              gr_error *err)
{
	char verb[32];
	size_t n = strcspn(cmd, " ");

	if (strcmp(r->name, "OK") == 0)
		return GR_OK;
	if (n >= sizeof verb)
		n = sizeof verb - 1;
	memcpy(verb, cmd, n);
	verb[n] = '\0';
	if (gr_strcaseeq(verb, "UID")) {
		size_t m = strcspn(cmd + 4, " ");

		snprintf(verb, sizeof verb, "UID %.*s", (int)m, cmd + 4);
	}
	return gr_error_set(err, GR_E_PROTOCOL, "%s: %s refused: %s %s", c->peer,
	                    verb, r->name, r->text ? r->text : "");
}

/* Send "TAG cmd[ {litlen}]\r\n"; with a literal, send it (and the CRLF
 * that ends the command) on the server's continuation (RFC 3501 7.5). */
static gr_status
run_cmd(gr_imap_conn *c, const char *cmd, const char *lit, size_t litlen,
        gr_imap_handler cb, void *arg, gr_error *err)
{
	char tag[16];
	gr_buf line;
	gr_status st, cbst = GR_OK;
	gr_error cberr;

	if (c->dead)
		return gr_error_set(err, GR_E_NET, "%s: connection lost earlier",
		                    c->peer);
	snprintf(tag, sizeof tag, "g%u", ++c->next_tag);
	gr_buf_init(&line, 64 * 1024);
	if (lit)
		st = gr_buf_printf(&line, "%s %s {%zu}\r\n", tag, cmd, litlen);
	else
		st = gr_buf_printf(&line, "%s %s\r\n", tag, cmd);
	if (st == GR_OK)
		st = send_all(c, line.data, line.len, err);
	gr_buf_free(&line);
	while (st == GR_OK) {
		gr_imap_resp *r = NULL;

		st = next_resp(c, &r, err);
		if (st != GR_OK)
			break;
		if (r->kind == GR_IMAP_CONTINUE) {
			gr_imap_resp_free(r);
			if (!lit) {
				st = gr_error_set(err, GR_E_PROTOCOL, "%s: unexpected "
				                  "continuation", c->peer);
				break;
			}
			st = send_all(c, lit, litlen, err);
			if (st == GR_OK)
				st = send_all(c, "\r\n", 2, err);
			lit = NULL;
			continue;
		}
		if (r->kind == GR_IMAP_TAGGED) {
			if (strcmp(r->tag, tag) != 0)
				st = gr_error_set(err, GR_E_PROTOCOL, "%s: unexpected "
				                  "tag %s", c->peer, r->tag);
			else
				st = tagged_status(c, r, cmd, err);
			gr_imap_resp_free(r);
			if (st == GR_OK && cbst != GR_OK) {
				if (err)
					*err = cberr;
				return cbst;
			}
			return st;
		}
		if (r->kind == GR_IMAP_UNTAGGED && strcmp(r->name, "BYE") == 0)
			st = gr_error_set(err, GR_E_NET, "%s: server closed the "
			                  "connection: %s", c->peer,
			                  r->text ? r->text : "");
		else if (r->kind == GR_IMAP_UNTAGGED && cb && cbst == GR_OK)
			cbst = cb(r, arg, &cberr);
		gr_imap_resp_free(r);
	}
	c->dead = 1;
	return st;
}

gr_status
gr_imap_cmd(gr_imap_conn *c, const char *cmd, gr_imap_handler cb, void *arg,
            gr_error *err)
{
	return run_cmd(c, cmd, NULL, 0, cb, arg, err);
}

gr_status
gr_imap_cmd_literal(gr_imap_conn *c, const char *cmd, const char *lit,
                    size_t len, gr_imap_handler cb, void *arg, gr_error *err)
{
	return run_cmd(c, cmd, lit, len, cb, arg, err);
}

int
gr_imap_alive(const gr_imap_conn *c)
{
	return c && !c->dead;
}

uint64_t
gr_imap_bytes_received(const gr_imap_conn *c)
{
	return c->bytes;
}

const char *
gr_imap_peer(const gr_imap_conn *c)
{
	return c->peer;
}

void
gr_imap_close(gr_imap_conn *c)
{
	if (!c)
		return;
	if (c->curl && c->sock != CURL_SOCKET_BAD && !c->dead) {
		static const char bye[] = "z LOGOUT\r\n";
		size_t n;

		(void)curl_easy_send(c->curl, bye, sizeof bye - 1, &n);
	}
	if (c->curl)
		curl_easy_cleanup(c->curl);
	gr_imap_parser_free(c->parser);
	free(c);
}
