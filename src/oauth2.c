/* SPDX-License-Identifier: MIT */
/*
 * oauth2.c - the OAuth 2.0 refresh-token grant (RFC 6749 section 6) over
 * HTTPS with libcurl, the response read with cJSON (RFC 6749 5.1 and 5.2),
 * for an XOAUTH2 login (Gmail, Microsoft 365).  The body is bounded; the
 * client secret, refresh token and access token are zeroed after use and
 * never appear in an error message (only the endpoint's "error" code and
 * its description do).
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "gravity/buf.h"
#include "gravity/secret.h"
#include "gravity/util.h"
#include "gravity/tls.h"

#define BODY_MAX (64 * 1024)

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	gr_buf *b = arg;

	if (gr_buf_add(b, p, size * n) != GR_OK)
		return 0;               /* over BODY_MAX: curl fails the transfer */
	return size * n;
}

/* Append "&name=value" (value percent-encoded) to the form. */
static gr_status
form_add(CURL *h, gr_buf *form, const char *name, const char *value)
{
	char *esc;
	gr_status st;

	if (!value)
		return GR_OK;
	esc = curl_easy_escape(h, value, 0);
	if (!esc)
		return GR_E_NOMEM;
	st = gr_buf_printf(form, "%s%s=%s", form->len ? "&" : "", name, esc);
	explicit_bzero(esc, strlen(esc));
	curl_free(esc);
	return st;
}

/* The endpoint's JSON error ("invalid_grant: Token has been expired"),
 * bounded and on one line; never a secret. */
static void
json_error(const gr_buf *body, char *out, size_t len)
{
	cJSON *j = cJSON_ParseWithLength(body->data ? body->data : "", body->len);
	const cJSON *e = j ? cJSON_GetObjectItemCaseSensitive(j, "error") : NULL;
	const cJSON *d = j ? cJSON_GetObjectItemCaseSensitive(j,
	                                                  "error_description")
	                   : NULL;

	snprintf(out, len, "%.80s%s%.160s",
	         cJSON_IsString(e) ? e->valuestring : "no error code",
	         cJSON_IsString(d) ? ": " : "",
	         cJSON_IsString(d) ? d->valuestring : "");
	cJSON_Delete(j);
}

static gr_status
parse_token(const char *url, const gr_buf *body, char **token, long *expires,
            gr_error *err)
{
	cJSON *j = cJSON_ParseWithLength(body->data ? body->data : "", body->len);
	const cJSON *t, *e;
	gr_status st = GR_OK;

	t = j ? cJSON_GetObjectItemCaseSensitive(j, "access_token") : NULL;
	e = j ? cJSON_GetObjectItemCaseSensitive(j, "expires_in") : NULL;
	if (!cJSON_IsString(t) || !*t->valuestring ||
	    strlen(t->valuestring) > 8192 || strpbrk(t->valuestring, "\r\n\001"))
		st = gr_error_set(err, GR_E_AUTH, "%s: no usable access_token in "
		                  "the response", url);
	else if (!(*token = gr_strdup(t->valuestring)))
		st = gr_error_set(err, GR_E_NOMEM, "%s: out of memory", url);
	if (st == GR_OK && expires)
		*expires = cJSON_IsNumber(e) ? (long)e->valuedouble : 0;
	if (t && cJSON_IsString(t))
		explicit_bzero(t->valuestring, strlen(t->valuestring));
	cJSON_Delete(j);
	return st;
}

gr_status
gr_oauth2_refresh(const struct gr_oauth2 *o, const char *client_secret,
                  const char *refresh_token, char **token, long *expires,
                  gr_error *err)
{
	char ebuf[CURL_ERROR_SIZE];
	gr_buf form, body;
	CURL *h;
	CURLcode rc;
	long code = 0;
	gr_status st;

	*token = NULL;
	if (!o->token_url || !gr_startswith_ci(o->token_url, "https://"))
		return gr_error_set(err, GR_E_CONFIG, "oauth2-token-url: an "
		                    "https:// URL is required");
	if (!o->client_id || !refresh_token)
		return gr_error_set(err, GR_E_CONFIG, "oauth2: client id and "
		                    "refresh token are required");
	h = curl_easy_init();
	if (!h)
		return gr_error_set(err, GR_E_NOMEM, "oauth2: out of memory");
	ebuf[0] = '\0';
	gr_buf_init(&form, 64 * 1024);
	gr_buf_init(&body, BODY_MAX);
	st = form_add(h, &form, "grant_type", "refresh_token");
	if (st == GR_OK)
		st = form_add(h, &form, "client_id", o->client_id);
	if (st == GR_OK)
		st = form_add(h, &form, "client_secret", client_secret);
	if (st == GR_OK)
		st = form_add(h, &form, "refresh_token", refresh_token);
	if (st != GR_OK) {
		st = gr_error_set(err, st, "oauth2: request too large");
		goto out;
	}
	rc = curl_easy_setopt(h, CURLOPT_URL, o->token_url);
	if (!rc) rc = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	if (!rc) rc = curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	if (!rc) rc = curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (!rc) rc = curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	if (!rc) rc = curl_easy_setopt(h, CURLOPT_TIMEOUT,
	                               o->timeout > 0 ? o->timeout : 30L);
	if (!rc) rc = curl_easy_setopt(h, CURLOPT_POSTFIELDS, form.data);
	if (!rc) rc = curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)form.len);
	if (!rc) rc = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	if (!rc) rc = curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
	if (!rc) rc = gr_tls_trust(h, o->cafile);
	if (rc) {
		st = gr_error_set(err, GR_E_INTERNAL, "oauth2: curl setup: %s",
		                  curl_easy_strerror(rc));
		goto out;
	}
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CONNECT_ERROR ||
	    rc == CURLE_SSL_CACERT_BADFILE) {
		st = gr_error_set(err, GR_E_TLS, "%s: TLS: %s", o->token_url,
		                  *ebuf ? ebuf : curl_easy_strerror(rc));
	} else if (rc) {
		st = gr_error_set(err, GR_E_NET, "%s: %s", o->token_url,
		                  *ebuf ? ebuf : curl_easy_strerror(rc));
	} else if (code != 200) {
		char why[300];

		json_error(&body, why, sizeof why);
		st = gr_error_set(err, code >= 500 ? GR_E_NET : GR_E_AUTH,
		                  "%s: token refresh refused (HTTP %ld, %s)",
		                  o->token_url, code, why);
	} else {
		st = parse_token(o->token_url, &body, token, expires, err);
	}
out:
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_cleanup(h);
	if (form.data)
		explicit_bzero(form.data, form.len);
	if (body.data)
		explicit_bzero(body.data, body.len);
	gr_buf_free(&form);
	gr_buf_free(&body);
	return st;
}
