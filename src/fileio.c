/* SPDX-License-Identifier: MIT */
/*
 * fileio.c - atomic output files: temp file (O_EXCL, 0600) in the target
 * directory, write, fsync, rename, fsync the directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gravity/fileio.h"
#include "gravity/util.h"

gr_status
gr_mkdirs(const char *dir, gr_error *err)
{
	char path[PATH_MAX];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof path)
		return gr_error_set(err, GR_E_IO, "%s: bad directory name", dir);
	memcpy(path, dir, n + 1);
	for (char *p = path + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (mkdir(path, 0700) != 0 && errno != EEXIST)
				return gr_error_set(err, GR_E_IO, "%s: %s", path,
				                    strerror(errno));
			*p = c;
			if (c == '\0')
				break;
		}
	}
	return GR_OK;
}

gr_status
gr_private_dir(const char *dir, gr_error *err)
{
	char path[PATH_MAX];
	size_t n = strlen(dir);
	struct stat sb;
	gr_status st;
	int fd;

	while (n > 1 && dir[n - 1] == '/')
		n--;            /* a trailing '/' would follow a link */
	if (n == 0 || n >= sizeof path)
		return gr_error_set(err, GR_E_IO, "%s: bad directory name", dir);
	memcpy(path, dir, n);
	path[n] = '\0';
	if ((st = gr_mkdirs(path, err)) != GR_OK)
		return st;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode))
			return gr_error_set(err, GR_E_IO, "%s: a symbolic link: "
			                    "gravity writes only into a directory of "
			                    "its own (give the real path, or remove "
			                    "the link)", path);
		return gr_error_set(err, GR_E_IO, "%s: %s", path, e == ENOTDIR ?
		                    "not a directory" : strerror(e));
	}
	st = GR_OK;
	if (fstat(fd, &sb) != 0)
		st = gr_error_set(err, GR_E_IO, "%s: %s", path, strerror(errno));
	else if (sb.st_uid != geteuid())
		st = gr_error_set(err, GR_E_IO, "%s: owned by uid %u, not by this "
		                  "user: gravity writes only into a directory of "
		                  "its own", path, (unsigned)sb.st_uid);
	else if ((sb.st_mode & 077) && fchmod(fd, 0700) != 0)
		st = gr_error_set(err, GR_E_IO, "%s: cannot make it private "
		                  "(mode 0700): %s", path, strerror(errno));
	close(fd);
	return st;
}

gr_status
gr_dir_lock(const char *dir, int *fd_out, gr_error *err)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof path, "%s/.gravity.lock", dir), fd;

	*fd_out = -1;
	if (n < 0 || (size_t)n >= sizeof path)
		return gr_error_set(err, GR_E_IO, "%s: path too long", dir);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
	          0600);
	if (fd < 0)
		return gr_error_set(err, GR_E_IO, "%s: cannot create the lock "
		                    "file: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;

		close(fd);
		if (e == EWOULDBLOCK)
			return gr_error_set(err, GR_E_LOCKED, "%s: another gravity "
			                    "poll is running on this output directory "
			                    "(lock on %s held): one poll at a time per "
			                    "output directory, whatever its state file",
			                    dir, path);
		return gr_error_set(err, GR_E_IO, "%s: flock: %s", path,
		                    strerror(e));
	}
	*fd_out = fd;
	return GR_OK;
}

static gr_status
write_all(int fd, const char *p, size_t len, const char *path, gr_error *err)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return gr_error_set(err, GR_E_IO, "%s: write: %s", path,
			                    strerror(errno));
		p += w;
		len -= (size_t)w;
	}
	return GR_OK;
}

static void
dir_of(const char *path, char *dir, size_t dirlen)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (!slash) {
		snprintf(dir, dirlen, ".");
		return;
	}
	n = (size_t)(slash - path);
	if (n == 0)
		n = 1;
	if (n >= dirlen)
		n = dirlen - 1;
	memcpy(dir, path, n);
	dir[n] = '\0';
}

struct gr_afile {
	int fd;
	int sync;
	gr_status st;           /* first write error, kept for the commit */
	char path[PATH_MAX];
	char tmp[PATH_MAX];
};

static gr_status
afile_open(const char *path, int sync, gr_afile **out, gr_error *err)
{
	gr_afile *f = calloc(1, sizeof *f);
	int n;

	*out = NULL;
	if (!f)
		return gr_error_set(err, GR_E_NOMEM, "%s: out of memory", path);
	n = snprintf(f->tmp, sizeof f->tmp, "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof f->tmp ||
	    strlen(path) >= sizeof f->path) {
		free(f);
		return gr_error_set(err, GR_E_IO, "%s: path too long", path);
	}
	strcpy(f->path, path);
	f->sync = sync;
	(void)unlink(f->tmp);
	f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (f->fd < 0) {
		gr_status st = gr_error_set(err, GR_E_IO, "%s: %s", f->tmp,
		                            strerror(errno));

		free(f);
		return st;
	}
	*out = f;
	return GR_OK;
}

gr_status
gr_afile_open(const char *path, gr_afile **out, gr_error *err)
{
	return afile_open(path, 1, out, err);
}

gr_status
gr_afile_write(gr_afile *f, const void *data, size_t len, gr_error *err)
{
	if (f->st == GR_OK)
		f->st = write_all(f->fd, data, len, f->tmp, err);
	return f->st;
}

void
gr_afile_abort(gr_afile *f)
{
	if (!f)
		return;
	if (f->fd >= 0)
		close(f->fd);
	(void)unlink(f->tmp);
	free(f);
}

gr_status
gr_afile_commit(gr_afile *f, gr_error *err)
{
	char dir[PATH_MAX];
	gr_status st = f->st;
	int dfd;

	if (st == GR_OK && f->sync && fsync(f->fd) != 0)
		st = gr_error_set(err, GR_E_IO, "%s: fsync: %s", f->tmp,
		                  strerror(errno));
	if (close(f->fd) != 0 && st == GR_OK)
		st = gr_error_set(err, GR_E_IO, "%s: close: %s", f->tmp,
		                  strerror(errno));
	f->fd = -1;
	if (st == GR_OK && rename(f->tmp, f->path) != 0)
		st = gr_error_set(err, GR_E_IO, "%s: rename: %s", f->path,
		                  strerror(errno));
	if (st != GR_OK || !f->sync) {
		if (st != GR_OK)
			(void)unlink(f->tmp);
		free(f);
		return st;
	}
	dir_of(f->path, dir, sizeof dir);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		if (fsync(dfd) != 0)
			st = gr_error_set(err, GR_E_IO, "%s: fsync: %s", dir,
			                  strerror(errno));
		close(dfd);
	}
	free(f);
	return st;
}

static gr_status
write_atomic(const char *path, const void *data, size_t len, int sync,
             gr_error *err)
{
	gr_afile *f;
	gr_status st = afile_open(path, sync, &f, err);

	if (st != GR_OK)
		return st;
	if ((st = gr_afile_write(f, data, len, err)) != GR_OK) {
		gr_afile_abort(f);
		return st;
	}
	return gr_afile_commit(f, err);
}

gr_status
gr_write_atomic(const char *path, const void *data, size_t len, gr_error *err)
{
	return write_atomic(path, data, len, 1, err);
}

gr_status
gr_write_atomic_nosync(const char *path, const void *data, size_t len,
                       gr_error *err)
{
	return write_atomic(path, data, len, 0, err);
}

gr_status
gr_sync_fs(const char *dir, gr_error *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	gr_status st = GR_OK;

	if (fd < 0)
		return gr_error_set(err, GR_E_IO, "%s: %s", dir, strerror(errno));
	if (syncfs(fd) != 0)
		st = gr_error_set(err, GR_E_IO, "%s: sync: %s", dir,
		                  strerror(errno));
	close(fd);
	return st;
}

gr_status
gr_clean_tmp(const char *dir, gr_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[PATH_MAX];

	if (!d) {
		if (errno == ENOENT)
			return GR_OK;
		return gr_error_set(err, GR_E_IO, "%s: %s", dir, strerror(errno));
	}
	while ((de = readdir(d)) != NULL) {
		int n;

		if (!strstr(de->d_name, ".tmp."))
			continue;
		n = snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (n > 0 && (size_t)n < sizeof path)
			(void)unlink(path);
	}
	closedir(d);
	return GR_OK;
}

void
gr_safe_name(const char *in, char *out, size_t maxlen)
{
	size_t o = 0;

	for (; in && *in && o < maxlen; in++) {
		unsigned char c = (unsigned char)*in;
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		         (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		         c == '@' || c == '+' || c == '-';

		if (o == 0 && c == '.')
			ok = 0;
		out[o++] = ok ? (char)c : '_';
	}
	if (o == 0 && maxlen > 0)
		out[o++] = '_';
	out[o] = '\0';
}
