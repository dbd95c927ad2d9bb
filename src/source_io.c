/* SPDX-License-Identifier: MIT */
/*
 * source_io.c - helpers shared by the local source drivers
 * (source_maildir.c, source_mbox.c, source_stdin.c): the message size
 * bound, reading a descriptor under it, and absolute paths for source ids.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gravity/source.h"

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
                  int *truncated, gr_error *err)
{
	char chunk[65536];
	gr_status st;

	gr_buf_reset(out);
	*truncated = 0;
	for (;;) {
		size_t want = sizeof chunk;
		ssize_t r;

		/* Read one byte past max to learn whether there is more. */
		if (max - out->len + 1 < want)
			want = max - out->len + 1;
		r = read(fd, chunk, want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return gr_error_set(err, GR_E_IO, "%s: read: %s", name,
			                    strerror(errno));
		if (r == 0)
			break;
		if ((size_t)r > max - out->len) {
			r = (ssize_t)(max - out->len);
			*truncated = 1;
		}
		st = gr_buf_add(out, chunk, (size_t)r);
		if (st != GR_OK)
			return gr_error_set(err, st, "%s: %s", name,
			                    gr_status_to_string(st));
		if (*truncated)
			break;
	}
	if (!out->data)         /* empty input: still hand on "" */
		return gr_buf_add(out, "", 0) == GR_OK ? GR_OK :
		       gr_error_set(err, GR_E_NOMEM, "%s: out of memory", name);
	return GR_OK;
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
