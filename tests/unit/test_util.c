/* SPDX-License-Identifier: MIT */
/* test_util.c - status, buf, util, conf and fileio. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "gravity/buf.h"
#include "gravity/conf.h"
#include "gravity/fileio.h"
#include "gravity/status.h"
#include "gravity/util.h"

#include "testlib.h"

static void
test_status_names_and_exits(void **state)
{
	gr_error e;

	(void)state;
	for (int s = 0; s < GR_STATUS_LAST; s++)
		assert_string_not_equal(gr_status_to_string((gr_status)s),
		                        "unknown status");
	assert_int_equal(gr_status_to_exit(GR_E_LOCKED), EX_TEMPFAIL);
	assert_int_equal(gr_status_to_exit(GR_E_CONFIG), EX_DATAERR);
	assert_int_equal(gr_status_to_exit(GR_E_SETUP), EX_CONFIG);
	assert_int_equal(gr_error_set(&e, GR_E_IO, "a\nb%d", 1), GR_E_IO);
	assert_string_equal(e.msg, "a b1");
}

static void
test_buf_bounded(void **state)
{
	gr_buf b;
	char *s;

	(void)state;
	gr_buf_init(&b, 8);
	assert_int_equal(gr_buf_addstr(&b, "12345"), GR_OK);
	assert_int_equal(gr_buf_addstr(&b, "6789"), GR_E_LIMIT);
	assert_string_equal(b.data, "12345");
	assert_int_equal(gr_buf_printf(&b, "%d", 678), GR_OK);
	assert_string_equal(b.data, "12345678");
	assert_int_equal(gr_buf_addc(&b, 'x'), GR_E_LIMIT);
	s = gr_buf_steal(&b);
	assert_string_equal(s, "12345678");
	free(s);
	assert_null(b.data);
}

static void
test_utf8_and_case(void **state)
{
	(void)state;
	assert_true(gr_utf8_valid("caf\xc3\xa9", 5));
	assert_false(gr_utf8_valid("caf\xc3", 4));
	assert_false(gr_utf8_valid("\xc0\xaf", 2));          /* overlong */
	assert_false(gr_utf8_valid("\xed\xa0\x80", 3));      /* surrogate */
	assert_false(gr_utf8_valid("\xf4\x90\x80\x80", 4));  /* > U+10FFFF */
	assert_true(gr_utf8_valid("a\0b", 3));
}

/* gr_utf8_valid and gr_utf8_sanitize (which go eight ASCII bytes at a
 * time) give what a walk of one character at a time gives, on random
 * texts of mostly ASCII with NULs, UTF-8 and stray bytes at any place. */
static void
test_utf8_runs(void **state)
{
	static const char *const bits[] = { "a", "bcdefgh ", "\xc3\xa9",
	                                    "\xe2\x80\x99", "\xf0\x9f\x98\x80",
	                                    "\xff", "\x80", "\xc3", "\r\n" };
	char s[256], want[256 * 3 + 1];

	(void)state;
	srand(11);
	for (int round = 0; round < 4000; round++) {
		size_t n = 0, w = 0, got;
		int valid = 1;
		char *out;

		while (n < 200) {
			int r = rand() % 40;
			const char *b = r < 30 ? bits[r % 2] : r < 33 ? "\0" :
			                bits[2 + r % 7];
			size_t k = *b ? strlen(b) : 1;

			memcpy(s + n, b, k);
			n += k;
			if (rand() % 8 == 0)
				break;
		}
		for (size_t i = 0, k; i < n; i += k ? k : 1) {
			k = gr_utf8_decode(s + i, n - i, NULL);
			if (!k)
				valid = 0;
			if (k && s[i]) {
				memcpy(want + w, s + i, k);
				w += k;
			} else {
				memcpy(want + w, "\xef\xbf\xbd", 3);
				w += 3;
			}
		}
		assert_int_equal(gr_utf8_valid(s, n), valid);
		out = gr_utf8_sanitize(s, n, &got);
		assert_non_null(out);
		assert_int_equal(got, w);
		assert_memory_equal(out, want, w);
		assert_int_equal(out[w], '\0');
		free(out);
	}
}

/* One decoder: lengths and code points, and the encoder undoes it. */
static void
test_utf8_decode(void **state)
{
	static const struct {
		const char *s;
		size_t n, len;
		uint32_t cp;
	} cases[] = {
		{ "A", 1, 1, 0x41 }, { "\xc3\xa9x", 3, 2, 0xe9 },
		{ "\xe2\x80\x99", 3, 3, 0x2019 },
		{ "\xf0\x9f\x98\x80", 4, 4, 0x1f600 },
		{ "\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff },
		{ "\xc3\xa9", 1, 0, 0 },             /* cut short */
		{ "\xc1\xbf", 2, 0, 0 },             /* overlong */
		{ "\xe0\x9f\xbf", 3, 0, 0 },         /* overlong */
		{ "\xf0\x8f\xbf\xbf", 4, 0, 0 },     /* overlong */
		{ "\xed\xbf\xbf", 3, 0, 0 },         /* surrogate */
		{ "\xf5\x80\x80\x80", 4, 0, 0 },     /* past U+10FFFF */
		{ "\x80", 1, 0, 0 },                 /* continuation */
		{ "\xc3(", 2, 0, 0 },
		{ "", 0, 0, 0 },
	};
	char buf[4];
	uint32_t cp;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cp = 0xdead;
		assert_int_equal(gr_utf8_decode(cases[i].s, cases[i].n, &cp),
		                 cases[i].len);
		if (!cases[i].len)
			continue;
		assert_int_equal(cp, cases[i].cp);
		assert_int_equal(gr_utf8_put(buf, cp), cases[i].len);
		assert_memory_equal(buf, cases[i].s, cases[i].len);
	}
	assert_true(gr_strcaseeq("List-Id", "list-ID"));
	assert_non_null(gr_strcasestr("Hello World", "WORLD"));
	assert_null(gr_strcasestr("Hello", "xyz"));
	/* the first byte of the needle in either case, the rest compared
	 * only where it stands; a first byte that is no letter */
	{
		const char *h = "aaAb wORLDs aab";

		assert_ptr_equal(gr_strcasestr(h, "ab"), h + 2);
		assert_ptr_equal(gr_strcasestr(h, "Aab"), h + 1);
		assert_ptr_equal(gr_strcasestr(h, "worlds"), h + 5);
		assert_ptr_equal(gr_strcasestr(h, " aab"), h + 11);
		assert_ptr_equal(gr_strcasestr(h, "B"), h + 3);
		assert_ptr_equal(gr_strcasestr(h, ""), h);
		assert_null(gr_strcasestr(h, "aabx"));
		assert_null(gr_strcasestr("", "a"));
	}
}

static void
test_text_clean(void **state)
{
	char *s;

	(void)state;
	s = gr_text_clean("a\r\nb\tc\x7f\xff\xc3\xa9", GR_NL_DROP, 100);
	assert_string_equal(s, "ab c\xc3\xa9");
	free(s);
	s = gr_text_clean("a\nb", GR_NL_BLANK, 100);
	assert_string_equal(s, "a b");
	free(s);
	s = gr_text_clean("a\nb", GR_NL_KEEP, 100);
	assert_string_equal(s, "a\nb");
	free(s);
	s = gr_text_clean("ab\xc3\xa9", GR_NL_KEEP, 3);  /* never half a char */
	assert_string_equal(s, "ab");
	free(s);
	s = gr_text_clean(NULL, GR_NL_KEEP, 3);
	assert_string_equal(s, "");
	free(s);
}

static void
test_expand_home(void **state)
{
	static const char *const v[][2] = {
		{ "~", "/home/h" },
		{ "~/Mail/work", "/home/h/Mail/work" },
		{ "$HOME/x", "/home/h/x" },
		{ "${HOME}/x/y", "/home/h/x/y" },
		{ "$HOME", "/home/h" },
		{ "~other/x", "~other/x" },     /* another user's: left alone */
		{ "$HOMEDIR/x", "$HOMEDIR/x" },
		{ "/abs/~/x", "/abs/~/x" },
		{ "rel/path", "rel/path" },
		{ "", "" },
	};
	char *s;

	(void)state;
	setenv("HOME", "/home/h", 1);
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		s = gr_expand_home(v[i][0]);
		assert_non_null(s);
		assert_string_equal(s, v[i][1]);
		free(s);
	}
	setenv("HOME", "/home/h/", 1);          /* one slash between */
	s = gr_expand_home("~/x");
	assert_string_equal(s, "/home/h/x");
	free(s);
	unsetenv("HOME");
	s = gr_expand_home("~/x");
	assert_string_equal(s, "~/x");
	free(s);
	assert_null(gr_expand_home(NULL));
}

static void
test_sha256(void **state)
{
	char hex[65];

	(void)state;
	gr_sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
	                         "b00361a396177a9cb410ff61f20015ad");
}

static void
test_conf_lines_and_tokens(void **state)
{
	const char *text = "# comment\n\nrule a  # trailing\n"
	                   "  body /x # y\\/z/i \"q \\\"s\"\r\nbad \"open\n";
	char dir[] = "/tmp/gr-test-XXXXXX", path[256];
	gr_conf *c;
	const char *line;
	int indent;
	gr_toks t = { 0 };
	gr_diags d = { 0 };

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/f", dir);
	assert_int_equal(gr_write_atomic(path, text, strlen(text), NULL), GR_OK);
	assert_int_equal(gr_conf_open(path, &c, NULL), GR_OK);
	unlink(path);
	rmdir(dir);
	assert_string_equal(gr_conf_path(c), path);
	assert_int_equal(gr_conf_next(c, &line, &indent), GR_OK);
	assert_string_equal(line, "rule a");
	assert_int_equal(gr_conf_lineno(c), 3);
	assert_int_equal(indent, 0);
	assert_int_equal(gr_conf_next(c, &line, &indent), GR_OK);
	assert_int_equal(indent, 2);
	assert_int_equal(gr_conf_split(c, line, &t, &d), GR_OK);
	assert_int_equal(t.n, 3);
	assert_string_equal(t.v[1].text, "x # y\\/z");
	assert_true(t.v[1].regex);
	assert_string_equal(t.v[1].flags, "i");
	assert_string_equal(t.v[2].text, "q \"s");
	assert_int_equal(t.v[2].col, 20);
	gr_toks_free(&t);
	assert_int_equal(gr_conf_next(c, &line, &indent), GR_OK);
	assert_int_equal(gr_conf_split(c, line, &t, &d), GR_E_CONFIG);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.v[0].line, 5);
	assert_int_equal(d.v[0].col, 5);
	assert_int_equal(gr_conf_next(c, &line, &indent), GR_DONE);
	gr_toks_free(&t);
	gr_diags_free(&d);
	gr_conf_close(c);
}

static void
test_atomic_write(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX + 16], *data;
	size_t len;
	struct stat sb;

	(void)state;
	tl_mkdtemp(dir, sizeof dir, "util");
	snprintf(path, sizeof path, "%s/a/b", dir);
	assert_int_equal(gr_mkdirs(path, NULL), GR_OK);
	snprintf(path, sizeof path, "%s/a/b/f.txt", dir);
	assert_int_equal(gr_write_atomic(path, "one", 3, NULL), GR_OK);
	assert_int_equal(gr_write_atomic(path, "two!", 4, NULL), GR_OK);
	assert_int_equal(gr_read_file(path, 100, &data, &len, NULL), GR_OK);
	assert_string_equal(data, "two!");
	free(data);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(gr_read_file(path, 2, &data, &len, NULL), GR_E_LIMIT);
	/* Piece by piece: the old file stays until the commit; an abort
	 * leaves it and no temporary file. */
	{
		gr_afile *f;
		char tmp[PATH_MAX + 8], cmd[PATH_MAX + 32];

		assert_int_equal(gr_afile_open(path, &f, NULL), GR_OK);
		assert_int_equal(gr_afile_write(f, "th", 2, NULL), GR_OK);
		assert_int_equal(gr_afile_write(f, "ree", 3, NULL), GR_OK);
		assert_int_equal(gr_read_file(path, 100, &data, &len, NULL),
		                 GR_OK);
		assert_string_equal(data, "two!");
		free(data);
		assert_int_equal(gr_afile_commit(f, NULL), GR_OK);
		assert_int_equal(gr_read_file(path, 100, &data, &len, NULL),
		                 GR_OK);
		assert_string_equal(data, "three");
		free(data);
		assert_int_equal(gr_afile_open(path, &f, NULL), GR_OK);
		assert_int_equal(gr_afile_write(f, "four", 4, NULL), GR_OK);
		gr_afile_abort(f);
		assert_int_equal(gr_read_file(path, 100, &data, &len, NULL),
		                 GR_OK);
		assert_string_equal(data, "three");
		free(data);
		snprintf(tmp, sizeof tmp, "%s/a/b", dir);
		snprintf(cmd, sizeof cmd, "test \"$(ls %s)\" = f.txt", tmp);
		assert_int_equal(system(cmd), 0);
	}
	assert_int_equal(tl_rmtree(dir), 0);
}

static void
test_safe_name(void **state)
{
	char out[16];

	(void)state;
	gr_safe_name("../etc/passwd", out, 15);
	assert_null(strchr(out, '/'));
	assert_true(out[0] != '.');
	gr_safe_name("", out, 15);
	assert_string_equal(out, "_");
	gr_safe_name("abcdefghijklmnopqrstuvwxyz", out, 15);
	assert_int_equal(strlen(out), 15);
}


static void
test_fold_and_map(void **state)
{
	gr_strmap m = { 0 };
	char *f;
	char key[32];

	(void)state;
	f = gr_fold_accents("Tradu\xc3\xa7\xc3\xa3o \xc5\x81\xc3\xb3" "d\xc5\xba "
	                    "na\xc3\xafve \xe2\x82\xac");
	assert_string_equal(f, "Traducao Lodz naive \xe2\x82\xac");
	free(f);
	/* runs of ASCII longer and shorter than eight bytes around them */
	f = gr_fold_accents("a long ascii run \xc3\xa9t\xc3\xa9 x\xc3\xa0"
	                    "\xc3\xa0\xc3\xa9 another long run\xc3");
	assert_string_equal(f, "a long ascii run ete xaae another long run"
	                    "\xc3");
	free(f);
	for (int i = 0; i < 500; i++) {
		snprintf(key, sizeof key, "word:%d", i);
		assert_int_equal(gr_strmap_put(&m, key, (size_t)i * 3), GR_OK);
	}
	assert_int_equal(gr_strmap_put(&m, "word:7", 1), GR_OK);
	assert_int_equal(m.n, 500);
	assert_int_equal(gr_strmap_get(&m, "word:499"), 1497);
	assert_int_equal(gr_strmap_get(&m, "word:7"), 1);
	assert_int_equal(gr_strmap_get(&m, "word:500"), -1);
	gr_strmap_free(&m);
	assert_int_equal(gr_strmap_get(&m, "word:1"), -1);
}

/* Output directories: made 0700, a wider one tightened, a link refused;
 * the directory lock is taken once. */
static void
test_private_dir(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX + 16], link[PATH_MAX + 16];
	struct stat sb;
	gr_error e;
	int fd1, fd2;

	(void)state;
	tl_mkdtemp(dir, sizeof dir, "util");
	snprintf(path, sizeof path, "%s/out/", dir);
	assert_int_equal(gr_private_dir(path, &e), GR_OK);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(chmod(path, 0755), 0);
	assert_int_equal(gr_private_dir(path, &e), GR_OK);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	snprintf(link, sizeof link, "%s/link", dir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(gr_private_dir(link, &e), GR_E_IO);
	assert_non_null(strstr(e.msg, "a symbolic link"));
	strcat(link, "/");
	assert_int_equal(gr_private_dir(link, &e), GR_E_IO);
	snprintf(link, sizeof link, "%s/file", dir);
	tl_write(dir, "file", "x");
	assert_int_equal(gr_private_dir(link, &e), GR_E_IO);
	assert_int_equal(gr_dir_lock(path, &fd1, &e), GR_OK);
	assert_int_equal(gr_dir_lock(path, &fd2, &e), GR_E_LOCKED);
	assert_int_equal(fd2, -1);
	assert_non_null(strstr(e.msg, ".gravity.lock"));
	close(fd1);
	assert_int_equal(gr_dir_lock(path, &fd2, &e), GR_OK);
	close(fd2);
	tl_rmtree(dir);
}

/* What gr_term_line() prints for fmt with one string argument. */
static char *
term_of(const char *arg, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	assert_non_null(f);
	gr_term_line(f, "> %s", arg);
	assert_int_equal(fclose(f), 0);
	*len = n;
	return buf;
}

/* Terminal lines: every control character, C1 control, bidirectional
 * override and invalid byte is a blank; one line, capped. */
static void
test_term_line(void **state)
{
	static const char evil[] = "a\033]0;t\007\033[2J\r\nb\302\233c"
	    "\342\200\256d\377e\t\177f caf\303\251 \360\237\230\200";
	size_t n;
	char *s, *big;

	(void)state;
	s = term_of(evil, &n);
	assert_string_equal(s, "> a ]0;t  [2J  b  c   d e  f caf\303\251 "
	                    "\360\237\230\200\n");
	free(s);
	big = malloc(GR_TERM_LINE_MAX * 2);
	assert_non_null(big);
	memset(big, 'x', GR_TERM_LINE_MAX * 2 - 1);
	big[GR_TERM_LINE_MAX * 2 - 1] = '\0';
	big[5000] = '\n';
	s = term_of(big, &n);
	assert_int_equal(n, GR_TERM_LINE_MAX + 1);
	assert_int_equal(s[5002], ' ');
	assert_int_equal(s[n - 1], '\n');
	assert_null(memchr(s, '\n', n - 1));
	free(s);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_names_and_exits),
		cmocka_unit_test(test_buf_bounded),
		cmocka_unit_test(test_utf8_and_case),
		cmocka_unit_test(test_utf8_decode),
		cmocka_unit_test(test_utf8_runs),
		cmocka_unit_test(test_expand_home),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_text_clean),
		cmocka_unit_test(test_conf_lines_and_tokens),
		cmocka_unit_test(test_atomic_write),
		cmocka_unit_test(test_safe_name),
		cmocka_unit_test(test_fold_and_map),
		cmocka_unit_test(test_term_line),
		cmocka_unit_test(test_private_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
