/* SPDX-License-Identifier: MIT */
/*
 * source_stdin.c - the two one-message sources: standard input ("-",
 * source_id "stdin:SHA256") and a single message file ("file:PATH" or a
 * bare path that is neither a Maildir nor an mbox, source_id
 * "file:ABSPATH").  Both read at most max_message bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gravity/source.h"
#include "gravity/util.h"

struct one {
	char *path;             /* owned: realpath, or NULL for stdin */
	size_t max;
	int done;
	gr_buf data;
	char *id;               /* owned */
};

static void
one_close(void *handle)
{
	struct one *o = handle;

	if (!o)
		return;
	free(o->path);
	free(o->id);
	gr_buf_free(&o->data);
	free(o);
}

static struct one *
one_new(const gr_source_opts *opts)
{
	struct one *o = calloc(1, sizeof *o);

	if (!o)
		return NULL;
	o->max = gr_source_max(opts);
	gr_buf_init(&o->data, o->max);
	return o;
}

static void
one_hand_on(struct one *o, gr_raw_msg *msg, int trunc)
{
	msg->data = o->data.data;
	msg->len = o->data.len;
	msg->source_id = o->id;
	msg->truncated = trunc;
	o->done = 1;
}

/* --- stdin ------------------------------------------------------------- */

static int
stdin_accepts(const char *uri)
{
	return strcmp(uri, "-") == 0;
}

static gr_status
stdin_open(const char *uri, const gr_source_opts *opts, void **handle,
           gr_error *err)
{
	(void)uri;
	*handle = one_new(opts);
	if (!*handle)
		return gr_error_set(err, GR_E_NOMEM, "stdin: out of memory");
	return GR_OK;
}

static gr_status
stdin_next(void *handle, gr_raw_msg *msg, gr_error *err)
{
	struct one *o = handle;
	char hex[65];
	int trunc;
	gr_status st;

	if (o->done)
		return GR_DONE;
	o->done = 1;
	st = gr_source_read_fd(STDIN_FILENO, "stdin", o->max, &o->data, &trunc,
	                       hex, err);
	if (st != GR_OK)
		return st;
	if (asprintf(&o->id, "stdin:%s", hex) < 0) {
		o->id = NULL;
		return gr_error_set(err, GR_E_NOMEM, "stdin: out of memory");
	}
	one_hand_on(o, msg, trunc);
	return GR_OK;
}

const struct gr_source_driver gr_driver_stdin = {
	.name = "stdin",
	.accepts = stdin_accepts,
	.open = stdin_open,
	.next = stdin_next,
	.done = NULL,
	.close = one_close,
};

/* --- one message file -------------------------------------------------- */

/* file:PATH, or any existing non-directory path (the last resort of the
 * auto-detection, so Maildir and mbox must be tried first). */
static int
file_accepts(const char *uri)
{
	struct stat sb;

	if (strncmp(uri, "file:", 5) == 0)
		return 1;
	return stat(uri, &sb) == 0 && !S_ISDIR(sb.st_mode);
}

static gr_status
file_open(const char *uri, const gr_source_opts *opts, void **handle,
          gr_error *err)
{
	const char *path = strncmp(uri, "file:", 5) == 0 ? uri + 5 : uri;
	struct one *o;
	struct stat sb;
	gr_status st;

	*handle = NULL;
	o = one_new(opts);
	if (!o)
		return gr_error_set(err, GR_E_NOMEM, "%s: out of memory", path);
	st = gr_source_abspath(path, &o->path, err);
	if (st == GR_OK && stat(o->path, &sb) == 0 && S_ISDIR(sb.st_mode))
		st = gr_error_set(err, GR_E_USAGE, "%s: is a directory (use "
		                  "maildir:%s for a Maildir)", path, path);
	if (st == GR_OK && asprintf(&o->id, "file:%s", o->path) < 0) {
		o->id = NULL;
		st = gr_error_set(err, GR_E_NOMEM, "%s: out of memory", path);
	}
	if (st != GR_OK) {
		one_close(o);
		return st;
	}
	*handle = o;
	return GR_OK;
}

static gr_status
file_next(void *handle, gr_raw_msg *msg, gr_error *err)
{
	struct one *o = handle;
	int fd, trunc = 0;
	gr_status st;

	if (o->done)
		return GR_DONE;
	o->done = 1;
	msg->source_id = o->id;
	fd = open(o->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return gr_error_set(err, errno == ENOENT ? GR_E_NOINPUT : GR_E_IO,
		                    "%s: %s", o->path, strerror(errno));
	st = gr_source_read_fd(fd, o->path, o->max, &o->data, &trunc, NULL,
	                       err);
	close(fd);
	if (st != GR_OK)
		return st;
	one_hand_on(o, msg, trunc);
	return GR_OK;
}

const struct gr_source_driver gr_driver_file = {
	.name = "file",
	.accepts = file_accepts,
	.open = file_open,
	.next = file_next,
	.done = NULL,
	.close = one_close,
};
