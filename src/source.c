/* SPDX-License-Identifier: MIT */
/*
 * source.c - the source driver table and URI dispatch.  The helpers the
 * local drivers share are in source_io.c, so no driver depends on this
 * file that depends on every driver.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gravity/imap.h"
#include "gravity/source.h"
#include "gravity/util.h"

struct gr_source {
	const struct gr_source_driver *drv;     /* foreign (static) */
	void *handle;                           /* owned by drv */
};

/*
 * Tried in order; the first whose accepts() says yes opens the URI.  Explicit
 * schemes never overlap; for a bare path the order is the auto-detection
 * order (Maildir, mbox, then one message file), so keep gr_driver_file last.
 */
static const struct gr_source_driver *const drivers[] = {
	&gr_driver_imap,        /* imap://, imaps:// */
	&gr_driver_maildir,
	&gr_driver_mbox,
	&gr_driver_stdin,
	&gr_driver_file,
	NULL
};

/* Schemes named in the "unknown scheme" message. */
#define KNOWN_SCHEMES "maildir:, mbox:, file:, imap://, imaps:// or - for stdin"

const struct gr_source_driver *
gr_source_driver_for(const char *uri)
{
	if (!uri || !*uri)
		return NULL;
	for (size_t i = 0; drivers[i]; i++)
		if (drivers[i]->accepts(uri))
			return drivers[i];
	return NULL;
}

/* Length of a leading "scheme:" (RFC 3986 scheme syntax), or 0. */
static size_t
scheme_len(const char *uri)
{
	size_t n = 0;

	if (!((uri[0] >= 'a' && uri[0] <= 'z') || (uri[0] >= 'A' && uri[0] <= 'Z')))
		return 0;
	while (uri[n] && uri[n] != ':') {
		unsigned char c = (unsigned char)uri[n];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))
			return 0;
		n++;
	}
	return uri[n] == ':' ? n : 0;
}

/* Why no driver took uri. */
static gr_status
no_driver(const char *uri, gr_error *err)
{
	struct stat sb;
	size_t n = scheme_len(uri);

	if (stat(uri, &sb) == 0) {
		if (S_ISDIR(sb.st_mode))
			return gr_error_set(err, GR_E_NOINPUT,
			                    "%s: a directory but not a Maildir "
			                    "(no cur/ or new/)", uri);
		return gr_error_set(err, GR_E_NOINPUT, "%s: not a readable "
		                    "mail source", uri);
	}
	if (n > 1)      /* "C:" style one-letter prefixes are paths */
		return gr_error_set(err, GR_E_USAGE, "%s: unknown source scheme "
		                    "\"%.*s:\" (use " KNOWN_SCHEMES ")", uri,
		                    (int)n, uri);
	return gr_error_set(err, GR_E_NOINPUT, "%s: %s", uri, strerror(ENOENT));
}

char *
gr_source_expand(const char *uri)
{
	static const char *const schemes[] = { "maildir:", "mbox:", "file:" };
	char *rest, *out;
	size_t n;

	if (!uri)
		return NULL;
	for (size_t i = 0; i < 3; i++) {
		n = strlen(schemes[i]);
		if (strncmp(uri, schemes[i], n) != 0)
			continue;
		rest = gr_expand_home(uri + n);
		out = rest ? malloc(n + strlen(rest) + 1) : NULL;
		if (out) {
			memcpy(out, uri, n);
			strcpy(out + n, rest);
		}
		free(rest);
		return out;
	}
	if (scheme_len(uri) > 1)        /* imap://, imaps:// and the unknown */
		return gr_strdup(uri);
	return gr_expand_home(uri);
}

gr_status
gr_source_open(const char *uri0, const gr_source_opts *opts, gr_source **out,
               gr_error *err)
{
	const struct gr_source_driver *drv;
	char *uri;
	gr_source *s;
	gr_status st;

	*out = NULL;
	if (!uri0 || !*uri0)
		return gr_error_set(err, GR_E_USAGE, "empty source (use "
		                    KNOWN_SCHEMES ")");
	uri = gr_source_expand(uri0);
	if (!uri)
		return gr_error_set(err, GR_E_NOMEM, "%s: out of memory", uri0);
	drv = gr_source_driver_for(uri);
	if (!drv) {
		st = no_driver(uri, err);
		free(uri);
		return st;
	}
	s = calloc(1, sizeof *s);
	if (!s) {
		free(uri);
		return gr_error_set(err, GR_E_NOMEM, "%s: out of memory", uri0);
	}
	s->drv = drv;
	st = drv->open(uri, opts, &s->handle, err);
	free(uri);
	if (st != GR_OK) {
		free(s);
		return st;
	}
	*out = s;
	return GR_OK;
}

gr_status
gr_source_next(gr_source *s, gr_raw_msg *msg, gr_error *err)
{
	memset(msg, 0, sizeof *msg);
	return s->drv->next(s->handle, msg, err);
}

gr_status
gr_source_done(gr_source *s, const gr_raw_msg *msg, gr_error *err)
{
	if (!s->drv->done)
		return GR_OK;
	return s->drv->done(s->handle, msg, err);
}

gr_status
gr_source_append(gr_source *s, const char *folder, const char *data,
                 size_t len, const char *message_id, gr_error *err)
{
	if (!s || !s->drv->append)
		return GR_OK;
	return s->drv->append(s->handle, folder, data, len, message_id, err);
}

void
gr_source_close(gr_source *s)
{
	if (!s)
		return;
	s->drv->close(s->handle);
	free(s);
}
