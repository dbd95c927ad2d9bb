/* SPDX-License-Identifier: MIT */
/*
 * testlib.h - what gravity's C unit tests share (include it after
 * <cmocka.h>): where the source tree and the shared data are, scratch
 * directories, and whole-file reads and writes that fail the test on error.
 * Paths come back in static buffers (a ring of 8): copy one that must
 * outlive eight further calls.
 */
#ifndef GR_TESTLIB_H
#define GR_TESTLIB_H

#include <stddef.h>

/* The source tree: $top_srcdir (make check sets it), else found from the
 * path this file was compiled as. */
const char *tl_srcdir(void);

/* DIR/REL; a path longer than PATH_MAX fails the test. */
const char *tl_path(const char *dir, const char *rel);

/* top_srcdir/REL. */
const char *tl_srcpath(const char *rel);

/* The shared data beside the checkout (labelled examples, the corpus):
 * $GR_SHARED, else top_srcdir/../shared. */
const char *tl_shared(void);

/* shared/REL when it can be read; otherwise the test is skipped (cmocka's
 * skip()) after a "# skip:" line naming the missing path.  Tests that need
 * the shared data use this so that a checkout without it passes. */
const char *tl_shared_or_skip(const char *rel);

/* A new empty directory $TMPDIR/gravity-NAME.XXXXXX (TMPDIR defaults to
 * /tmp), written into dir (n bytes); fails the test when it cannot. */
void tl_mkdtemp(char *dir, size_t n, const char *name);

/* Remove DIR and everything under it (symbolic links are removed, not
 * followed).  0, or -1 when something could not be removed. */
int tl_rmtree(const char *dir);

/* Write TEXT to DIR/REL, creating the directories in REL; fails the test
 * on error.  Returns the file's path. */
const char *tl_write(const char *dir, const char *rel, const char *text);

/* The whole of PATH, NUL-terminated (its length in *len when len is not
 * NULL); fails the test when it cannot be read.  The caller frees it. */
char *tl_slurp(const char *path, size_t *len);

#endif
