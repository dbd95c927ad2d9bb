/* SPDX-License-Identifier: MIT */
/*
 * fileio.h - output files written the OpenSMTPD way: a temporary file in the
 * target directory (O_EXCL, mode 0600), write, fflush/fsync, rename over
 * the final name, fsync the directory.  A crash leaves either the old file
 * or the new one, never half of one.
 */
#ifndef GRAVITY_FILEIO_H
#define GRAVITY_FILEIO_H

#include <stddef.h>
#include "gravity/status.h"

/* Create dir and its parents, mode 0700 for the ones created. */
gr_status gr_mkdirs(const char *dir, gr_error *err);

/* An output directory: dir created with its parents (mode 0700) when
 * missing; it must be a directory, not a symbolic link (links above it
 * are followed), owned by this user; a mode wider than 0700 is tightened.
 * GR_E_IO with one line naming dir otherwise. */
gr_status gr_private_dir(const char *dir, gr_error *err);

/* Take dir/.gravity.lock (flock LOCK_EX|LOCK_NB, the file 0600, never
 * through a link): *fd holds it until closed.  GR_E_LOCKED at once when
 * another process holds it. */
gr_status gr_dir_lock(const char *dir, int *fd, gr_error *err);

/* Atomically replace path with [data, data+len), mode 0600. */
gr_status gr_write_atomic(const char *path, const void *data, size_t len,
                          gr_error *err);

/* The same without the fsyncs, for a batch that gr_sync_fs() makes
 * durable before it is recorded.  A crash before that sync can leave an
 * empty file under the final name; the batch was not recorded, so the next
 * run writes it again. */
gr_status gr_write_atomic_nosync(const char *path, const void *data,
                                 size_t len, gr_error *err);

/* The same, written piece by piece (a file too large to hold in memory):
 * open, write any number of times, then commit (fsync, rename, fsync the
 * directory) or abort (the temporary file is removed).  Both free f.  A
 * write error is kept and returned again by the commit, which then
 * leaves the old file in place. */
typedef struct gr_afile gr_afile;
gr_status gr_afile_open(const char *path, gr_afile **out, gr_error *err);
gr_status gr_afile_write(gr_afile *f, const void *data, size_t len,
                         gr_error *err);
gr_status gr_afile_commit(gr_afile *f, gr_error *err);
void gr_afile_abort(gr_afile *f);

/* Flush every file of the filesystem holding dir (syncfs(2)). */
gr_status gr_sync_fs(const char *dir, gr_error *err);

/* Remove stale "*.tmp.*" files left in dir by an interrupted write. */
gr_status gr_clean_tmp(const char *dir, gr_error *err);

/* A file name made safe for any directory: only [A-Za-z0-9._@+-], no
 * leading dot, at most maxlen bytes; out has room for maxlen+1. */
void gr_safe_name(const char *in, char *out, size_t maxlen);

#endif
