/* SPDX-License-Identifier: MIT */
/*
 * source_io.c - helpers shared by the local source drivers
 * (source_maildir.c, source_mbox.c, source_stdin.c): the message size
 * bound, reading a message from a descriptor under it (whole or cut, see
 * msgcut.h), and absolute paths for source ids.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "gravity/source.h"
#include "msgcut.h"

#define GR_SOURCE_DEFAULT_MAX ((size_t)64 << 20)

size_t
gr_source_max(const gr_source_opts *opts)
{
	if (!opts || opts->max_message == 0)
		return GR_SOURCE_DEFAULT_MAX;
	return opts->max_message;
}

gr_status
gr_source_read_fd(int fd, const char *name, size_t max, gr_buf *out,
                  int *truncated, char sha256[65], gr_error *err)
{
	char chunk[65536];
	gr_msgin *in = gr_msgin_new(0, 0);
	gnutls_hash_hd_t h = NULL;
	size_t got = 0;
	gr_status st = GR_OK;

	*truncated = 0;
	if (!in || (sha256 && gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)) {
		gr_msgin_free(in);
		return gr_error_set(err, GR_E_NOMEM, "%s: out of memory", name);
	}
	gr_msgin_begin(in, out);
	while (st == GR_OK) {
		size_t want = sizeof chunk;
		ssize_t r;

		/* Read one byte past max to learn whether there is more. */
		if (max - got + 1 < want)
			want = max - got + 1;
		r = read(fd, chunk, want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			st = gr_error_set(err, GR_E_IO, "%s: read: %s", name,
			                  strerror(errno));
			break;
		}
		if (r == 0)
			break;
		if ((size_t)r > max - got) {
			r = (ssize_t)(max - got);
			*truncated = 1;
		}
		got += (size_t)r;
		if (h)
			gnutls_hash(h, chunk, (size_t)r);
		st = gr_msgin_add(in, chunk, (size_t)r);
		if (st != GR_OK)
			st = gr_error_set(err, st, "%s: %s", name,
			                  gr_status_to_string(st));
		if (*truncated)
			break;
	}
	if (st == GR_OK && (st = gr_msgin_end(in)) != GR_OK)
		st = gr_error_set(err, st, "%s: %s", name, gr_status_to_string(st));
	gr_msgin_free(in);
	if (h) {
		unsigned char dig[32];

		gnutls_hash_deinit(h, dig);
		for (int i = 0; i < 32; i++)
			snprintf(sha256 + 2 * i, 3, "%02x", dig[i]);
	}
	return st;
}

gr_status
gr_source_abspath(const char *path, char **out, gr_error *err)
{
	*out = realpath(path, NULL);
	if (*out)
		return GR_OK;
	if (errno == ENOENT || errno == ENOTDIR)
		return gr_error_set(err, GR_E_NOINPUT, "%s: %s", path,
		                    strerror(errno));
	if (errno == ENOMEM)
		return gr_error_set(err, GR_E_NOMEM, "%s: out of memory", path);
	return gr_error_set(err, GR_E_IO, "%s: %s", path, strerror(errno));
}
