/* SPDX-License-Identifier: MIT */
/* testlib.c - the unit tests' shared helpers (see testlib.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

#define RING 8

/* The next of RING static path buffers. */
static char *
next_buf(void)
{
	static char ring[RING][PATH_MAX];
	static unsigned i;

	return ring[i++ % RING];
}

const char *
tl_path(const char *dir, const char *rel)
{
	char *buf = next_buf();
	int n = snprintf(buf, PATH_MAX, "%s/%s", dir, rel);

	if (n < 0 || n >= PATH_MAX)
		fail_msg("path too long: %s/%s", dir, rel);
	return buf;
}

const char *
tl_srcdir(void)
{
	static char dir[PATH_MAX];
	static const char self[] = "tests/unit/testlib.c";
	const char *env = getenv("top_srcdir");
	size_t n = strlen(__FILE__), k = sizeof self - 1;

	if (env && *env)
		return env;
	if (n < k || strcmp(__FILE__ + n - k, self) != 0 || n == k)
		return ".";
	snprintf(dir, sizeof dir, "%.*s", (int)(n - k - 1), __FILE__);
	return dir[0] ? dir : "/";
}

const char *
tl_srcpath(const char *rel)
{
	return tl_path(tl_srcdir(), rel);
}

const char *
tl_shared(void)
{
	const char *env = getenv("GR_SHARED");

	if (env && *env)
		return env;
	return tl_path(tl_srcdir(), "../shared");
}

const char *
tl_shared_or_skip(const char *rel)
{
	const char *p = tl_path(tl_shared(), rel);

	if (access(p, R_OK) != 0) {
		print_message("# skip: %s is not readable (the shared data is "
		              "absent; set GR_SHARED to its directory)\n", p);
		skip();
	}
	return p;
}

void
tl_mkdtemp(char *dir, size_t n, const char *name)
{
	const char *tmp = getenv("TMPDIR");
	int r;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	r = snprintf(dir, n, "%s/gravity-%s.XXXXXX", tmp, name);
	if (r < 0 || (size_t)r >= n)
		fail_msg("scratch directory name too long under %s", tmp);
	if (!mkdtemp(dir))
		fail_msg("mkdtemp %s: %s", dir, strerror(errno));
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) == 0 ? 0 : -1;
}

int
tl_rmtree(const char *dir)
{
	if (access(dir, F_OK) != 0 && errno == ENOENT)
		return 0;
	return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *
tl_write(const char *dir, const char *rel, const char *text)
{
	const char *path = tl_path(dir, rel);
	char sub[PATH_MAX];
	size_t len = strlen(text);
	FILE *fp;

	/* the directories in REL, one by one */
	snprintf(sub, sizeof sub, "%s", path);
	for (char *s = sub + strlen(dir) + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		if (mkdir(sub, 0700) != 0 && errno != EEXIST)
			fail_msg("mkdir %s: %s", sub, strerror(errno));
		*s = '/';
	}
	fp = fopen(path, "wb");
	if (!fp)
		fail_msg("cannot write %s: %s", path, strerror(errno));
	if (fwrite(text, 1, len, fp) != len || fclose(fp) != 0)
		fail_msg("cannot write %s", path);
	return path;
}

char *
tl_slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *data = NULL;
	size_t cap = 0, n = 0, got;

	if (!fp)
		fail_msg("cannot read %s: %s", path, strerror(errno));
	do {
		if (cap - n < 65536) {
			char *p;

			cap = cap ? cap * 2 : 65536;
			p = realloc(data, cap + 1);
			if (!p)
				fail_msg("out of memory reading %s", path);
			data = p;
		}
		got = fread(data + n, 1, cap - n, fp);
		n += got;
	} while (got > 0);
	if (ferror(fp))
		fail_msg("cannot read %s", path);
	fclose(fp);
	data[n] = '\0';
	if (len)
		*len = n;
	return data;
}
