/* SPDX-License-Identifier: MIT */
/*
 * caldav.c - push reminders to a CalDAV collection (see caldav.h).
 *
 * Implements: RFC 4791 section 5.3.2 (a calendar object resource is
 * created or replaced with PUT; one component UID per resource), RFC 9110
 * sections 9.3.4 and 9.3.5 (PUT, DELETE), 13.1.1 and 13.1.2 (If-Match,
 * If-None-Match: * so that a PUT never overwrites an unknown version) and
 * 15.5.13 (412: re-read the ETag and retry once), RFC 7617 (basic auth).
 * Transport, TLS and certificate checks are libcurl's; redirects are not
 * followed.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "gravity/buf.h"
#include "gravity/caldav.h"
#include "gravity/util.h"
#include "gravity/tls.h"

#define DAV_ETAG_MAX    256
#define DAV_ICS_MAX     (1u << 20)

void
gr_caldav_opts_init(gr_caldav_opts *o)
{
	memset(o, 0, sizeof *o);
	gr_cred_init(&o->cred);
}

typedef struct dav {
	const gr_caldav_opts *o;
	CURL *h;
	char *base;             /* collection URL ending in '/' */
	char *password;         /* owned; wiped */
	char etag[DAV_ETAG_MAX];/* ETag of the last response ("" none) */
	char ebuf[CURL_ERROR_SIZE];
} dav;

/* Keep the ETag response header (RFC 9110 section 8.8.3). */
static size_t
on_header(char *p, size_t size, size_t n, void *aux)
{
	dav *d = aux;
	size_t len = size * n, i = 5;

	if (len > 5 && gr_strncaseeq(p, "ETag:", 5)) {
		while (i < len && (p[i] == ' ' || p[i] == '\t'))
			i++;
		while (len > i && (p[len - 1] == '\r' || p[len - 1] == '\n' ||
		                   p[len - 1] == ' '))
			len--;
		if (len - i < sizeof d->etag) {
			memcpy(d->etag, p + i, len - i);
			d->etag[len - i] = '\0';
		}
	}
	return size * n;
}

static size_t
on_body(char *p, size_t size, size_t n, void *aux)
{
	(void)p;
	(void)aux;
	return size * n;        /* response bodies are not needed */
}

/* An ETag fit to send back in If-Match: printable, no CR/LF. */
static int
etag_ok(const char *e)
{
	if (!e || !*e)
		return 0;
	for (; *e; e++)
		if ((unsigned char)*e < 0x20 || *e == 0x7f)
			return 0;
	return 1;
}

/* One request.  *code is the HTTP status (0 when none came); d->etag the
 * ETag it carried.  Transport problems are the return value. */
static gr_status
request(dav *d, const char *method, const char *url, const char *cond,
        const char *body, size_t len, long *code, gr_error *err)
{
	struct curl_slist *hl = NULL, *t;
	char hdr[DAV_ETAG_MAX + 32];
	CURLcode rc;

	*code = 0;
	d->etag[0] = d->ebuf[0] = '\0';
	curl_easy_setopt(d->h, CURLOPT_URL, url);
	curl_easy_setopt(d->h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(d->h, CURLOPT_NOBODY, 0L);
	curl_easy_setopt(d->h, CURLOPT_POSTFIELDS, NULL);
	curl_easy_setopt(d->h, CURLOPT_HTTPGET, 1L);
	if (body) {
		curl_easy_setopt(d->h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(d->h, CURLOPT_POSTFIELDSIZE_LARGE,
		                 (curl_off_t)len);
		curl_easy_setopt(d->h, CURLOPT_CUSTOMREQUEST, method);
		hl = curl_slist_append(hl, "Content-Type: text/calendar; "
		                       "charset=utf-8");
		if (hl)
			hl = (t = curl_slist_append(hl, "Expect:")) ? t : hl;
	}
	if (cond) {
		snprintf(hdr, sizeof hdr, "%s", cond);
		t = curl_slist_append(hl, hdr);
		if (!t) {
			curl_slist_free_all(hl);
			return gr_error_set(err, GR_E_NOMEM, "caldav: out of memory");
		}
		hl = t;
	}
	curl_easy_setopt(d->h, CURLOPT_HTTPHEADER, hl);
	rc = curl_easy_perform(d->h);
	curl_easy_setopt(d->h, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hl);
	if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CONNECT_ERROR ||
	    rc == CURLE_SSL_CACERT_BADFILE)
		return gr_error_set(err, GR_E_TLS, "caldav: %s: TLS: %s", d->base,
		                    *d->ebuf ? d->ebuf : curl_easy_strerror(rc));
	if (rc)
		return gr_error_set(err, GR_E_NET, "caldav: %s: %s", d->base,
		                    *d->ebuf ? d->ebuf : curl_easy_strerror(rc));
	curl_easy_getinfo(d->h, CURLINFO_RESPONSE_CODE, code);
	return GR_OK;
}

/* The resource's current ETag into d->etag ("" and *gone = 1 if it does not
 * exist). */
static gr_status
fetch_etag(dav *d, const char *url, int *gone, gr_error *err)
{
	long code;
	gr_status st = request(d, "GET", url, NULL, NULL, 0, &code, err);

	*gone = 0;
	if (st != GR_OK)
		return st;
	if (code == 404 || code == 410) {
		*gone = 1;
		d->etag[0] = '\0';
		return GR_OK;
	}
	if (code / 100 != 2)
		return gr_error_set(err, GR_E_PROTOCOL, "caldav: %s: GET: HTTP %ld",
		                    url, code);
	return GR_OK;
}

static gr_status
http_error(const char *url, const char *method, long code, gr_error *err)
{
	return gr_error_set(err, code == 401 || code == 403 ? GR_E_AUTH :
	                    code >= 500 ? GR_E_NET : GR_E_PROTOCOL,
	                    "caldav: %s: %s refused (HTTP %ld%s)", url, method,
	                    code, code == 401 ? ", check caldav-user and the "
	                    "password" : "");
}

/* A conditional PUT or DELETE; on 412 the ETag is read again and the
 * request retried once.  d->etag holds the new ETag afterwards. */
static gr_status
send_cond(dav *d, const char *method, const char *url, const char *etag,
          const char *body, size_t len, gr_error *err)
{
	char cond[DAV_ETAG_MAX + 32], cur[DAV_ETAG_MAX];
	long code;
	int gone = 0;
	gr_status st;

	for (int attempt = 0; attempt < 2; attempt++) {
		if (etag_ok(etag))
			snprintf(cond, sizeof cond, "If-Match: %s", etag);
		else
			snprintf(cond, sizeof cond, "If-None-Match: *");
		if (!body && !etag_ok(etag))
			cond[0] = '\0';         /* DELETE of an unknown version */
		st = request(d, method, url, *cond ? cond : NULL, body, len, &code,
		             err);
		if (st != GR_OK)
			return st;
		if (code / 100 == 2 || (!body && (code == 404 || code == 410)))
			return GR_OK;
		if (code != 412 || attempt == 1)
			return http_error(url, method, code, err);
		/* Someone (or an earlier, interrupted run of ours) changed it:
		 * ours is newer by SEQUENCE, so take the server's ETag and retry. */
		if ((st = fetch_etag(d, url, &gone, err)) != GR_OK)
			return st;
		if (gone && !body)
			return GR_OK;
		snprintf(cur, sizeof cur, "%s", d->etag);
		etag = gone ? NULL : cur;
	}
	return gr_error_set(err, GR_E_INTERNAL, "caldav: %s: retry loop", url);
}

/* The resource URL of uid: the stored one when it is in this collection,
 * else COLLECTION/<uid>.ics.  *fresh = 1 when not the stored one. */
static char *
item_url(dav *d, const gr_state_rem *it, int *fresh)
{
	size_t bl = strlen(d->base);
	char *esc, *url;
	gr_buf b;

	*fresh = 0;
	if (it->href && strncmp(it->href, d->base, bl) == 0 && it->href[bl])
		return gr_strdup(it->href);
	*fresh = 1;
	esc = curl_easy_escape(d->h, it->uid, 0);
	if (!esc)
		return NULL;
	gr_buf_init(&b, 1u << 16);
	url = gr_buf_printf(&b, "%s%s.ics", d->base, esc) == GR_OK ?
	      gr_buf_steal(&b) : NULL;
	gr_buf_free(&b);
	curl_free(esc);
	return url;
}

static gr_status
push_one(dav *d, gr_state *st, const char *out_dir, const gr_state_rem *it,
         gr_caldav_stats *stats, gr_error *err)
{
	char path[PATH_MAX], *ics = NULL, *url;
	size_t len = 0;
	int fresh, n;
	gr_status s;

	url = item_url(d, it, &fresh);
	if (!url)
		return gr_error_set(err, GR_E_NOMEM, "caldav: out of memory");
	if (it->done && d->o->delete_cancelled) {
		if (it->push_seq < 0 && !it->href) {
			s = GR_OK;      /* never on the server: nothing to delete */
		} else {
			s = send_cond(d, "DELETE", url, fresh ? NULL : it->etag, NULL,
			              0, err);
		}
		if (s == GR_OK)
			s = gr_state_rem_pushed(st, it->uid, it->sequence, NULL, NULL,
			                        err);
		if (s == GR_OK)
			stats->deleted++;
		free(url);
		return s;
	}
	n = snprintf(path, sizeof path, "%s/%s", out_dir, it->relpath);
	if (n < 0 || (size_t)n >= sizeof path || strstr(it->relpath, "..")) {
		free(url);
		return gr_error_set(err, GR_E_INTERNAL, "caldav: refusing path %s",
		                    it->relpath);
	}
	s = gr_read_file(path, DAV_ICS_MAX, &ics, &len, err);
	if (s == GR_OK)
		s = send_cond(d, "PUT", url, fresh ? NULL : it->etag, ics, len, err);
	if (s == GR_OK)
		s = gr_state_rem_pushed(st, it->uid, it->sequence,
		                        *d->etag ? d->etag : NULL, url, err);
	if (s == GR_OK)
		stats->pushed++;
	free(ics);
	free(url);
	return s;
}

/* Plain http only to this machine: basic auth would show the password to
 * the network. */
static gr_status
check_url(const gr_caldav_opts *o, gr_error *err)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *pw = NULL;
	gr_status st = GR_OK;

	if (!u)
		return gr_error_set(err, GR_E_NOMEM, "caldav: out of memory");
	if (curl_url_set(u, CURLUPART_URL, o->url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		st = gr_error_set(err, GR_E_CONFIG, "caldav: '%s' is not a URL",
		                  o->url);
	} else if (curl_url_get(u, CURLUPART_PASSWORD, &pw, 0) == CURLUE_OK) {
		st = gr_error_set(err, GR_E_CONFIG, "caldav: the collection URL "
		                  "holds a password; use caldav-passcmd or "
		                  "caldav-password-env");
	} else if (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0) {
		st = gr_error_set(err, GR_E_CONFIG, "caldav: %s: only http and "
		                  "https URLs", o->url);
	} else if (strcmp(scheme, "http") == 0 && o->user &&
	           strcmp(host, "127.0.0.1") != 0 && strcmp(host, "[::1]") != 0 &&
	           !gr_strcaseeq(host, "localhost")) {
		st = gr_error_set(err, GR_E_CONFIG, "caldav: %s: refusing to send "
		                  "a password over plain http; use https", o->url);
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(pw);
	curl_url_cleanup(u);
	return st;
}

/* The collection URL's host (for a netrc lookup); caller frees. */
static gr_status
dav_host(const char *url, char **out, gr_error *err)
{
	CURLU *u = curl_url();
	char *host = NULL;

	*out = NULL;
	if (!u)
		return gr_error_set(err, GR_E_NOMEM, "caldav: out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
		*out = gr_strdup(host);
	curl_free(host);
	curl_url_cleanup(u);
	return *out ? GR_OK : gr_error_set(err, GR_E_NOMEM,
	                                   "caldav: out of memory");
}

static gr_status
dav_open(dav *d, const gr_caldav_opts *o, gr_error *err)
{
	char *host = NULL;
	size_t ul = strlen(o->url);
	CURLcode rc;
	gr_status st;

	memset(d, 0, sizeof *d);
	d->o = o;
	if ((st = check_url(o, err)) != GR_OK)
		return st;
	d->base = malloc(ul + 2);
	if (!d->base)
		return gr_error_set(err, GR_E_NOMEM, "caldav: out of memory");
	memcpy(d->base, o->url, ul + 1);
	if (ul && o->url[ul - 1] != '/')
		memcpy(d->base + ul, "/", 2);
	if (o->cred.kind != GR_CRED_NONE && o->cred.kind != GR_CRED_PASSCMD &&
	    o->cred.kind != GR_CRED_ENV && o->cred.kind != GR_CRED_NETRC)
		return gr_error_set(err, GR_E_CONFIG, "caldav: the password comes "
		                    "from caldav-passcmd, caldav-password-env or "
		                    "caldav-netrc");
	if ((st = dav_host(o->url, &host, err)) != GR_OK)
		return st;
	st = gr_cred_get(&o->cred, host, o->user, &d->password, err);
	free(host);
	if (st != GR_OK) {
		if (err) {
			char m[sizeof err->msg];

			snprintf(m, sizeof m, "%s", err->msg);
			gr_error_set(err, st, "caldav: %.900s", m);
		}
		return st;
	}
	d->h = curl_easy_init();
	if (!d->h)
		return gr_error_set(err, GR_E_NOMEM, "caldav: out of memory");
	rc = curl_easy_setopt(d->h, CURLOPT_PROTOCOLS_STR, "http,https");
	if (!rc) rc = curl_easy_setopt(d->h, CURLOPT_NOSIGNAL, 1L);
	if (!rc) rc = curl_easy_setopt(d->h, CURLOPT_ERRORBUFFER, d->ebuf);
	if (!rc) rc = curl_easy_setopt(d->h, CURLOPT_CONNECTTIMEOUT, 10L);
	if (!rc) rc = curl_easy_setopt(d->h, CURLOPT_TIMEOUT,
	                               o->timeout > 0 ? o->timeout : 30L);
	if (!rc) rc = curl_easy_setopt(d->h, CURLOPT_HEADERFUNCTION, on_header);
	if (!rc) rc = curl_easy_setopt(d->h, CURLOPT_HEADERDATA, d);
	if (!rc) rc = curl_easy_setopt(d->h, CURLOPT_WRITEFUNCTION, on_body);
	if (!rc) rc = curl_easy_setopt(d->h, CURLOPT_USERAGENT, "gravity");
	if (!rc) rc = gr_tls_trust(d->h, o->cafile);
	if (!rc && o->user) {
		rc = curl_easy_setopt(d->h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		if (!rc) rc = curl_easy_setopt(d->h, CURLOPT_USERNAME, o->user);
		if (!rc) rc = curl_easy_setopt(d->h, CURLOPT_PASSWORD,
		                               d->password ? d->password : "");
	}
	if (rc)
		return gr_error_set(err, GR_E_INTERNAL, "caldav: curl setup: %s",
		                    curl_easy_strerror(rc));
	return GR_OK;
}

static void
dav_close(dav *d)
{
	if (d->h) {
		/* curl keeps its own copy of the password: overwrite it. */
		curl_easy_setopt(d->h, CURLOPT_PASSWORD, "");
		curl_easy_setopt(d->h, CURLOPT_ERRORBUFFER, NULL);
		curl_easy_cleanup(d->h);
	}
	gr_secret_free(d->password);
	free(d->base);
}

gr_status
gr_caldav_push(const gr_caldav_opts *o, gr_state *st, const char *out_dir,
               gr_caldav_stats *stats, gr_error *err)
{
	gr_state_rems l = { 0 };
	gr_error first = { GR_OK, "" }, e;
	gr_status rc, ret = GR_OK;
	dav d;

	memset(stats, 0, sizeof *stats);
	if (!o || !o->url || !*o->url)
		return GR_OK;
	rc = gr_state_rem_unpushed(st, &l, err);
	if (rc != GR_OK || l.n == 0)
		goto out;
	if ((rc = dav_open(&d, o, err)) != GR_OK) {
		stats->failed = (long)l.n;
		dav_close(&d);
		goto out;
	}
	for (size_t i = 0; i < l.n; i++) {
		gr_status s = push_one(&d, st, out_dir, &l.v[i], stats, &e);

		if (s == GR_OK)
			continue;
		if (ret == GR_OK) {
			ret = s;
			first = e;
		}
		stats->failed++;
		/* The server is unreachable or refuses us: the rest would fail
		 * the same way. */
		if (s == GR_E_NET || s == GR_E_TLS || s == GR_E_AUTH ||
		    s == GR_E_STATE || s == GR_E_NOMEM) {
			stats->failed += (long)(l.n - i - 1);
			break;
		}
	}
	dav_close(&d);
	if (ret != GR_OK && err)
		*err = first;
	rc = ret;
out:
	gr_state_rems_free(&l);
	return rc;
}
