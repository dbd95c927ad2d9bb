/* SPDX-License-Identifier: MIT */
/*
 * source_maildir.c - read-only Maildir source (the Maildir format as
 * described by D. J. Bernstein, "Using maildir format", and the ":2,"
 * info suffix).  Messages of new/ and cur/ are handed on in delivery order
 * (their unique names sorted with the leading seconds compared as numbers);
 * tmp/ and dot files are ignored and nothing is ever renamed or re-flagged.
 * The source_id leaves out new|cur and the ":2,FLAGS" suffix, so reading a
 * message in a mail client does not make it look new to gravity.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gravity/source.h"
#include "gravity/util.h"

struct md_entry {
	char *sub;              /* "new" or "cur" (static) */
	char *name;             /* owned: file name in sub/ */
	size_t ulen;            /* length of the unique name in name */
};

struct maildir {
	char *dir;              /* owned: realpath of the Maildir */
	struct md_entry *ent;   /* owned */
	size_t n, cap, next;
	size_t max;
	gr_buf data;
	char *id;               /* owned: source_id of the last message */
};

static int
has_sub(const char *dir, const char *sub)
{
	char path[4096];
	struct stat sb;
	int n = snprintf(path, sizeof path, "%s/%s", dir, sub);

	return n > 0 && (size_t)n < sizeof path && stat(path, &sb) == 0 &&
	       S_ISDIR(sb.st_mode);
}

static int
maildir_accepts(const char *uri)
{
	if (strncmp(uri, "maildir:", 8) == 0)
		return 1;
	return has_sub(uri, "cur") || has_sub(uri, "new");
}

/* The unique name: the file name up to the info separator ':'. */
static size_t
unique_len(const char *name)
{
	const char *colon = strchr(name, ':');

	return colon ? (size_t)(colon - name) : strlen(name);
}

/* Delivery order: leading digits (seconds) as numbers, then bytes. */
static int
entry_cmp(const void *pa, const void *pb)
{
	const struct md_entry *a = pa, *b = pb;
	size_t da = strspn(a->name, "0123456789");
	size_t db = strspn(b->name, "0123456789");
	size_t n = a->ulen < b->ulen ? a->ulen : b->ulen;
	int c;

	if (da != db && da > 0 && db > 0)
		return da < db ? -1 : 1;
	c = memcmp(a->name, b->name, n);
	if (c != 0)
		return c;
	if (a->ulen != b->ulen)
		return a->ulen < b->ulen ? -1 : 1;
	return -strcmp(a->sub, b->sub);         /* "new" before "cur" */
}

static gr_status
add_entry(struct maildir *md, char *sub, const char *name, gr_error *err)
{
	if (md->n == md->cap) {
		size_t ncap = md->cap ? md->cap * 2 : 64;
		struct md_entry *ne = realloc(md->ent, ncap * sizeof *ne);

		if (!ne)
			return gr_error_set(err, GR_E_NOMEM, "%s: out of memory",
			                    md->dir);
		md->ent = ne;
		md->cap = ncap;
	}
	md->ent[md->n].name = strdup(name);
	if (!md->ent[md->n].name)
		return gr_error_set(err, GR_E_NOMEM, "%s: out of memory", md->dir);
	md->ent[md->n].sub = sub;
	md->ent[md->n].ulen = unique_len(name);
	md->n++;
	return GR_OK;
}

static gr_status
scan_sub(struct maildir *md, char *sub, gr_error *err)
{
	char path[4096];
	DIR *d;
	struct dirent *de;
	gr_status st = GR_OK;
	int n = snprintf(path, sizeof path, "%s/%s", md->dir, sub);

	if (n < 0 || (size_t)n >= sizeof path)
		return gr_error_set(err, GR_E_IO, "%s: path too long", md->dir);
	d = opendir(path);
	if (!d) {
		if (errno == ENOENT)
			return GR_OK;   /* a Maildir may lack new/ or cur/ */
		return gr_error_set(err, GR_E_IO, "%s: %s", path, strerror(errno));
	}
	while (st == GR_OK && (errno = 0, de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN &&
		    de->d_type != DT_LNK)
			continue;
		st = add_entry(md, sub, de->d_name, err);
	}
	if (st == GR_OK && errno != 0)
		st = gr_error_set(err, GR_E_IO, "%s: %s", path, strerror(errno));
	closedir(d);
	return st;
}

/* Drop the second of two entries with the same unique name (a message seen
 * in new/ and again in cur/ while a mail client moved it). */
static void
dedup(struct maildir *md)
{
	size_t o = 0;

	for (size_t i = 0; i < md->n; i++) {
		struct md_entry *prev = o ? &md->ent[o - 1] : NULL;

		if (prev && prev->ulen == md->ent[i].ulen &&
		    memcmp(prev->name, md->ent[i].name, prev->ulen) == 0) {
			free(md->ent[i].name);
			continue;
		}
		md->ent[o++] = md->ent[i];
	}
	md->n = o;
}

static void
maildir_close(void *handle)
{
	struct maildir *md = handle;

	if (!md)
		return;
	for (size_t i = 0; i < md->n; i++)
		free(md->ent[i].name);
	free(md->ent);
	free(md->dir);
	free(md->id);
	gr_buf_free(&md->data);
	free(md);
}

static gr_status
maildir_open(const char *uri, const gr_source_opts *opts, void **handle,
             gr_error *err)
{
	struct maildir *md;
	const char *path = strncmp(uri, "maildir:", 8) == 0 ? uri + 8 : uri;
	gr_status st;

	*handle = NULL;
	md = calloc(1, sizeof *md);
	if (!md)
		return gr_error_set(err, GR_E_NOMEM, "%s: out of memory", path);
	md->max = gr_source_max(opts);
	gr_buf_init(&md->data, md->max);
	st = gr_source_abspath(path, &md->dir, err);
	if (st == GR_OK && !has_sub(md->dir, "cur") && !has_sub(md->dir, "new"))
		st = gr_error_set(err, GR_E_NOINPUT, "%s: not a Maildir "
		                  "(no cur/ or new/)", path);
	if (st == GR_OK)
		st = scan_sub(md, "new", err);
	if (st == GR_OK)
		st = scan_sub(md, "cur", err);
	if (st != GR_OK) {
		maildir_close(md);
		return st;
	}
	qsort(md->ent, md->n, sizeof *md->ent, entry_cmp);
	dedup(md);
	*handle = md;
	return GR_OK;
}

/* Open the entry's file; when a mail client moved it since the scan (new/
 * to cur/, or a flag change), find it again by its unique name. */
static int
open_entry(struct maildir *md, const struct md_entry *e, char *path,
           size_t pathlen)
{
	static char *const subs[] = { "cur", "new" };
	int fd;

	snprintf(path, pathlen, "%s/%s/%s", md->dir, e->sub, e->name);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	for (size_t i = 0; fd < 0 && errno == ENOENT && i < 2; i++) {
		char dpath[4096];
		DIR *d;
		struct dirent *de;

		snprintf(dpath, sizeof dpath, "%s/%s", md->dir, subs[i]);
		if (!(d = opendir(dpath)))
			continue;
		while ((de = readdir(d)) != NULL)
			if (unique_len(de->d_name) == e->ulen &&
			    memcmp(de->d_name, e->name, e->ulen) == 0)
				break;
		if (de)
			snprintf(path, pathlen, "%s/%s", dpath, de->d_name);
		closedir(d);
		if (de)
			fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		else
			errno = ENOENT;
	}
	return fd;
}

static gr_status
maildir_next(void *handle, gr_raw_msg *msg, gr_error *err)
{
	struct maildir *md = handle;
	const struct md_entry *e;
	char path[8192];
	int fd, trunc = 0;
	gr_status st;

	if (md->next >= md->n)
		return GR_DONE;
	e = &md->ent[md->next++];
	free(md->id);
	if (asprintf(&md->id, "maildir:%s/%.*s", md->dir, (int)e->ulen,
	             e->name) < 0) {
		md->id = NULL;
		return gr_error_set(err, GR_E_NOMEM, "%s: out of memory", md->dir);
	}
	msg->source_id = md->id;
	fd = open_entry(md, e, path, sizeof path);
	if (fd < 0)
		return gr_error_set(err, GR_E_IO, "%s: %s", path, strerror(errno));
	st = gr_source_read_fd(fd, path, md->max, &md->data, &trunc, NULL, err);
	close(fd);
	if (st != GR_OK)
		return st;
	msg->data = md->data.data;
	msg->len = md->data.len;
	msg->truncated = trunc;
	return GR_OK;
}

const struct gr_source_driver gr_driver_maildir = {
	.name = "maildir",
	.accepts = maildir_accepts,
	.open = maildir_open,
	.next = maildir_next,
	.done = NULL,
	.close = maildir_close,
};
