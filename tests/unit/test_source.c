/* SPDX-License-Identifier: MIT */
/* test_source.c - the local sources: Maildir, mbox, stdin, one file, URI
 * dispatch and auto-detection, and the corpus mbox files. */
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
#include <unistd.h>

#include "gravity/source.h"
#include "gravity/util.h"

#include "testlib.h"

#define MAXMSG 32

/* Everything a source handed on, copied. */
struct got {
	size_t n;
	char *data[MAXMSG];
	size_t len[MAXMSG];
	char *id[MAXMSG];
	int trunc[MAXMSG];
};

static void
got_free(struct got *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->data[i]);
		free(g->id[i]);
	}
	memset(g, 0, sizeof *g);
}

/* Read every message of uri into g; returns the open status. */
static gr_status
read_all(const char *uri, size_t max, struct got *g, gr_error *e)
{
	gr_source_opts o = { .max_message = max };
	gr_source *s;
	gr_raw_msg m;
	gr_status st;

	memset(g, 0, sizeof *g);
	gr_error_clear(e);
	st = gr_source_open(uri, &o, &s, e);
	if (st != GR_OK)
		return st;
	while ((st = gr_source_next(s, &m, e)) != GR_DONE) {
		if (st != GR_OK)
			fail_msg("%s: next: %s", uri, e->msg);
		assert_true(g->n < MAXMSG);
		assert_non_null(m.data);
		assert_non_null(m.source_id);
		g->data[g->n] = gr_strndup(m.data, m.len);
		g->len[g->n] = m.len;
		g->id[g->n] = gr_strdup(m.source_id);
		g->trunc[g->n] = m.truncated;
		g->n++;
	}
	gr_source_close(s);
	return GR_OK;
}

static void
fixture(const char *name, char *out, size_t n)
{
	int r = snprintf(out, n, "%s/%s", tl_srcpath("tests/data/source"), name);

	assert_true(r > 0 && (size_t)r < n);
}

static void
write_file(const char *path, const char *s, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(s, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* --- fixture directory ------------------------------------------------- */

static int
setup(void **state)
{
	char *dir = malloc(PATH_MAX);

	if (!dir)
		return -1;
	tl_mkdtemp(dir, PATH_MAX, "source");
	*state = dir;
	return 0;
}

static int
teardown(void **state)
{
	if (tl_rmtree(*state) != 0)
		return -1;
	free(*state);
	return 0;
}

/* --- Maildir ----------------------------------------------------------- */

static const char *const md_files[] = {
	"cur/1700000100.M1P1.host:2,S",
	"new/1700000300.M3P1.host",
	"cur/1700000200.M2P1.host:2,",
	"cur/999999999.M0P1.host:2,FS",   /* 9-digit seconds: oldest */
	"tmp/1700000050.M9P1.host",       /* being delivered: ignored */
	"new/.hidden",                    /* dot file: ignored */
};

static void
make_maildir(const char *md)
{
	char p[PATH_MAX + 64];

	assert_int_equal(mkdir(md, 0700), 0);
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s/%s", md, (const char *[]){ "cur", "new",
		         "tmp" }[i]);
		assert_int_equal(mkdir(p, 0700), 0);
	}
	for (size_t i = 0; i < sizeof md_files / sizeof md_files[0]; i++) {
		char body[128];
		int n = snprintf(body, sizeof body, "Subject: %zu\n\nbody %s\n",
		                 i, md_files[i]);

		snprintf(p, sizeof p, "%s/%s", md, md_files[i]);
		write_file(p, body, (size_t)n);
	}
}

/* Names and mtimes of every file below md, as one string. */
static char *
snapshot(const char *md)
{
	char cmd[PATH_MAX + 64], line[1024];
	FILE *f;
	gr_buf b;

	gr_buf_init(&b, 1 << 20);
	snprintf(cmd, sizeof cmd, "cd '%s' && find . -printf '%%p %%T@ %%m\\n' "
	         "| sort", md);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (fgets(line, sizeof line, f))
		assert_int_equal(gr_buf_addstr(&b, line), GR_OK);
	assert_int_equal(pclose(f), 0);
	return gr_buf_steal(&b);
}

static void
test_maildir(void **state)
{
	char md[PATH_MAX], uri[PATH_MAX + 16], p1[PATH_MAX + 64],
	     p2[PATH_MAX + 64], real[PATH_MAX], want[PATH_MAX + 64];
	struct got g, g2;
	gr_error e;
	char *before, *after;

	snprintf(md, sizeof md, "%s/Mail", (char *)*state);
	make_maildir(md);
	assert_non_null(realpath(md, real));
	before = snapshot(md);
	snprintf(uri, sizeof uri, "maildir:%s", md);
	assert_int_equal(read_all(uri, 0, &g, &e), GR_OK);
	assert_int_equal(g.n, 4);
	/* Delivery order; ids without new|cur and without the flags. */
	snprintf(want, sizeof want, "maildir:%s/999999999.M0P1.host", real);
	assert_string_equal(g.id[0], want);
	snprintf(want, sizeof want, "maildir:%s/1700000100.M1P1.host", real);
	assert_string_equal(g.id[1], want);
	snprintf(want, sizeof want, "maildir:%s/1700000200.M2P1.host", real);
	assert_string_equal(g.id[2], want);
	snprintf(want, sizeof want, "maildir:%s/1700000300.M3P1.host", real);
	assert_string_equal(g.id[3], want);
	assert_non_null(strstr(g.data[0], "body cur/999999999.M0P1.host:2,FS"));
	assert_non_null(strstr(g.data[3], "body new/1700000300.M3P1.host"));
	/* Read-only: names, modes and mtimes unchanged. */
	after = snapshot(md);
	assert_string_equal(before, after);
	free(after);

	/* A mail client reads two messages: new -> cur, flags change. */
	snprintf(p1, sizeof p1, "%s/new/1700000300.M3P1.host", md);
	snprintf(p2, sizeof p2, "%s/cur/1700000300.M3P1.host:2,S", md);
	assert_int_equal(rename(p1, p2), 0);
	snprintf(p1, sizeof p1, "%s/cur/1700000100.M1P1.host:2,S", md);
	snprintf(p2, sizeof p2, "%s/cur/1700000100.M1P1.host:2,RS", md);
	assert_int_equal(rename(p1, p2), 0);
	assert_int_equal(read_all(md, 0, &g2, &e), GR_OK);   /* bare path */
	assert_int_equal(g2.n, g.n);
	for (size_t i = 0; i < g.n; i++) {
		assert_string_equal(g2.id[i], g.id[i]);
		assert_string_equal(g2.data[i], g.data[i]);
	}
	free(before);
	got_free(&g);
	got_free(&g2);
}

static void
test_maildir_truncates(void **state)
{
	char md[PATH_MAX];
	struct got g;
	gr_error e;

	snprintf(md, sizeof md, "%s/Mail", (char *)*state);
	make_maildir(md);
	assert_int_equal(read_all(md, 10, &g, &e), GR_OK);
	assert_int_equal(g.n, 4);
	for (size_t i = 0; i < g.n; i++) {
		assert_int_equal(g.len[i], 10);
		assert_int_equal(g.trunc[i], 1);
		assert_memory_equal(g.data[i], "Subject: ", 9);
	}
	got_free(&g);
}

/* --- mbox -------------------------------------------------------------- */

static void
test_mbox_three(void **state)
{
	char path[PATH_MAX], uri[PATH_MAX + 16];
	struct got g;
	gr_error e;

	(void)state;
	fixture("three.mbox", path, sizeof path);
	snprintf(uri, sizeof uri, "mbox:%s", path);
	assert_int_equal(read_all(uri, 0, &g, &e), GR_OK);
	assert_int_equal(g.n, 3);
	/* The postmark is gone; the message starts with its header. */
	assert_memory_equal(g.data[0], "From: Alice", 11);
	/* "From me" after a blank line is body, not a separator. */
	assert_non_null(strstr(g.data[0], "\n\nFrom me to you, with thanks.\n"
	                                  "Alice\n"));
	/* The blank line before the next postmark is not handed on. */
	assert_int_equal(g.data[0][g.len[0] - 1], '\n');
	assert_int_not_equal(g.data[0][g.len[0] - 2], '\n');
	/* mboxrd: one '>' less on ^>+From lines only. */
	assert_non_null(strstr(g.data[1], "\nFrom here on, an escaped line.\n"
	                                  ">From there, a doubly escaped one.\n"
	                                  "> From a quote, untouched.\n"));
	assert_memory_equal(g.data[2], "From: Carol", 11);
	assert_true(g.len[2] > 0 && g.data[2][g.len[2] - 1] == '\n');
	assert_null(strstr(g.data[2], "\n\n\n"));
	for (size_t i = 0; i < 3; i++) {
		assert_memory_equal(g.id[i], "mbox:/", 6);
		assert_non_null(strchr(g.id[i], '#'));
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(g.id[i], g.id[j]);
	}
	got_free(&g);
}

static void
test_mbox_no_blank_line(void **state)
{
	char path[PATH_MAX];
	struct got g;
	gr_error e;

	(void)state;
	fixture("noblank.mbox", path, sizeof path);
	assert_int_equal(read_all(path, 0, &g, &e), GR_OK);
	assert_int_equal(g.n, 3);
	assert_non_null(strstr(g.data[0], "No blank line follows this body.\n"));
	assert_null(strstr(g.data[0], "Bob"));
	assert_non_null(strstr(g.data[1], "\nFrom me, a line that is not a "
	                                  "separator\nbecause"));
	assert_memory_equal(g.data[2], "From: Carol", 11);
	got_free(&g);
}

static void
test_mbox_attached_mbox(void **state)
{
	char path[PATH_MAX];
	struct got g;
	gr_error e;

	(void)state;
	fixture("attached.mbox", path, sizeof path);
	assert_int_equal(read_all(path, 0, &g, &e), GR_OK);
	assert_int_equal(g.n, 2);
	assert_non_null(strstr(g.data[0], "\nFrom 0123456789abcdef"));
	assert_non_null(strstr(g.data[0], "--=-=-=--\n"));
	assert_non_null(strstr(g.data[1], "Subject: after the attachment"));
	got_free(&g);
}

/* An LF fixture turned to CRLF reads as the same messages in CRLF. */
static void
test_mbox_crlf(void **state)
{
	char src[PATH_MAX], dst[PATH_MAX + 16], *lf, *crlf;
	size_t len, n = 0;
	struct got g;
	gr_error e;

	fixture("three.mbox", src, sizeof src);
	assert_int_equal(gr_read_file(src, 1 << 20, &lf, &len, &e), GR_OK);
	crlf = malloc(2 * len + 1);
	assert_non_null(crlf);
	for (size_t i = 0; i < len; i++) {
		if (lf[i] == '\n')
			crlf[n++] = '\r';
		crlf[n++] = lf[i];
	}
	snprintf(dst, sizeof dst, "%s/crlf.mbox", (char *)*state);
	write_file(dst, crlf, n);
	assert_int_equal(read_all(dst, 0, &g, &e), GR_OK);
	assert_int_equal(g.n, 3);
	assert_memory_equal(g.data[0], "From: Alice <alice@example.org>\r\n", 33);
	assert_non_null(strstr(g.data[0], "\r\nFrom me to you"));
	assert_int_not_equal(g.data[0][g.len[0] - 3], '\n');
	assert_non_null(strstr(g.data[1], "\r\nFrom here on, an escaped line.\r\n"
	                                  ">From there"));
	free(lf);
	free(crlf);
	got_free(&g);
}

/* Deleting a message and adding status headers keeps the other ids. */
static void
test_mbox_stable_ids(void **state)
{
	const char *m1 = "From a@x Mon Jan  1 10:00:00 2024\nFrom: a@x\n"
	                 "Subject: 1\n\none\n\n";
	const char *m2 = "From b@x Mon Jan  1 11:00:00 2024\nFrom: b@x\n"
	                 "Subject: 2\n\ntwo\n\n";
	const char *m2s = "From b@x Mon Jan  1 11:00:00 2024\nFrom: b@x\n"
	                  "Status: RO\nX-Mozilla-Status: 0001\n"
	                  "Subject: 2\n\ntwo\n\n";
	char path[PATH_MAX + 16], all[512];
	struct got g1, g2;
	gr_error e;
	int n;

	snprintf(path, sizeof path, "%s/box", (char *)*state);
	n = snprintf(all, sizeof all, "%s%s%s", m1, m2, m2);
	write_file(path, all, (size_t)n);
	assert_int_equal(read_all(path, 0, &g1, &e), GR_OK);
	assert_int_equal(g1.n, 3);
	/* Identical messages get distinct ids: the second one has ~2. */
	assert_string_not_equal(g1.id[1], g1.id[2]);
	assert_int_equal(strlen(g1.id[2]), strlen(g1.id[1]) + 2);
	assert_memory_equal(g1.id[2], g1.id[1], strlen(g1.id[1]));
	assert_string_equal(g1.id[2] + strlen(g1.id[1]), "~2");

	n = snprintf(all, sizeof all, "%s%s", m2s, m2);
	write_file(path, all, (size_t)n);
	assert_int_equal(read_all(path, 0, &g2, &e), GR_OK);
	assert_int_equal(g2.n, 2);
	assert_string_equal(g2.id[0], g1.id[1]);
	assert_string_equal(g2.id[1], g1.id[2]);
	got_free(&g1);
	got_free(&g2);
}

static void
test_mbox_empty_and_not_mbox(void **state)
{
	char path[PATH_MAX + 16], uri[PATH_MAX + 32];
	struct got g;
	gr_error e;

	snprintf(path, sizeof path, "%s/empty", (char *)*state);
	write_file(path, "", 0);
	snprintf(uri, sizeof uri, "mbox:%s", path);
	assert_int_equal(read_all(uri, 0, &g, &e), GR_OK);
	assert_int_equal(g.n, 0);
	write_file(path, "Subject: x\n\nhi\n", 15);
	assert_int_equal(read_all(uri, 0, &g, &e), GR_E_PARSE);
	assert_non_null(strstr(e.msg, path));
}

/* --- stdin and one file ------------------------------------------------ */

static void
test_stdin(void **state)
{
	const char msg[] = "Subject: piped\n\nhello\n";
	char hex[65], want[80];
	int p[2], saved;
	struct got g;
	gr_error e;

	(void)state;
	saved = dup(STDIN_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], msg, sizeof msg - 1), (ssize_t)sizeof msg - 1);
	close(p[1]);
	assert_int_equal(dup2(p[0], STDIN_FILENO), STDIN_FILENO);
	close(p[0]);
	assert_int_equal(read_all("-", 0, &g, &e), GR_OK);
	assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
	close(saved);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.data[0], msg);
	gr_sha256_hex(msg, sizeof msg - 1, hex);
	snprintf(want, sizeof want, "stdin:%s", hex);
	assert_string_equal(g.id[0], want);
	got_free(&g);
}

static void
test_file_and_autodetect(void **state)
{
	char eml[PATH_MAX + 16], uri[PATH_MAX + 32], real[PATH_MAX],
	     want[PATH_MAX + 16], md[PATH_MAX + 16], mbox[PATH_MAX];
	struct got g;
	gr_error e;

	snprintf(eml, sizeof eml, "%s/one.eml", (char *)*state);
	write_file(eml, "Subject: one\n\nx\n", 16);
	assert_non_null(realpath(eml, real));
	snprintf(want, sizeof want, "file:%s", real);
	snprintf(uri, sizeof uri, "file:%s", eml);
	assert_int_equal(read_all(uri, 0, &g, &e), GR_OK);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.id[0], want);
	assert_string_equal(g.data[0], "Subject: one\n\nx\n");
	got_free(&g);

	snprintf(md, sizeof md, "%s/Mail", (char *)*state);
	make_maildir(md);
	fixture("three.mbox", mbox, sizeof mbox);
	assert_ptr_equal(gr_source_driver_for(eml), &gr_driver_file);
	assert_ptr_equal(gr_source_driver_for(md), &gr_driver_maildir);
	assert_ptr_equal(gr_source_driver_for(mbox), &gr_driver_mbox);
	assert_ptr_equal(gr_source_driver_for("-"), &gr_driver_stdin);
	assert_ptr_equal(gr_source_driver_for("maildir:/x"), &gr_driver_maildir);
	assert_ptr_equal(gr_source_driver_for("mbox:/x"), &gr_driver_mbox);
	assert_ptr_equal(gr_source_driver_for("file:/x"), &gr_driver_file);
	assert_null(gr_source_driver_for((char *)*state));  /* plain dir */
	assert_int_equal(read_all(eml, 0, &g, &e), GR_OK);
	assert_string_equal(g.id[0], want);
	got_free(&g);
}

/* Paths as users write them: "~" and "$HOME" after maildir:, mbox:, file:
 * or at the start of a bare path; IMAP URIs and "-" are left alone. */
static void
test_home_in_uris(void **state)
{
	static const char *const v[][2] = {
		{ "maildir:~/Mail/work", "maildir:/home/h/Mail/work" },
		{ "mbox:$HOME/inbox", "mbox:/home/h/inbox" },
		{ "file:${HOME}/one.eml", "file:/home/h/one.eml" },
		{ "~/Mail", "/home/h/Mail" },
		{ "maildir:/abs/~", "maildir:/abs/~" },
		{ "imaps://~@h/~", "imaps://~@h/~" },
		{ "-", "-" },
	};
	char md[PATH_MAX + 16], uri[64], *s;
	const char *old = getenv("HOME");
	char *saved = old ? strdup(old) : NULL;
	struct got g;
	gr_error e;

	setenv("HOME", "/home/h", 1);
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		s = gr_source_expand(v[i][0]);
		assert_non_null(s);
		assert_string_equal(s, v[i][1]);
		free(s);
	}
	/* and gr_source_open reads the Maildir it names */
	snprintf(md, sizeof md, "%s/Mail", (char *)*state);
	make_maildir(md);
	setenv("HOME", (char *)*state, 1);
	snprintf(uri, sizeof uri, "maildir:~/Mail");
	assert_int_equal(read_all(uri, 0, &g, &e), GR_OK);
	assert_int_equal(g.n, 4);
	got_free(&g);
	if (saved)
		setenv("HOME", saved, 1);
	else
		unsetenv("HOME");
	free(saved);
}

static void
test_errors(void **state)
{
	char uri[PATH_MAX + 32];
	gr_source *s = NULL;
	gr_error e;

	gr_error_clear(&e);
	assert_int_equal(gr_source_open("pop3://host/INBOX", NULL, &s, &e),
	                 GR_E_USAGE);
	assert_null(s);
	assert_non_null(strstr(e.msg, "unknown source scheme \"pop3:\""));
	assert_int_equal(gr_source_open("", NULL, &s, &e), GR_E_USAGE);
	assert_int_equal(gr_source_open("/no/such/mail", NULL, &s, &e),
	                 GR_E_NOINPUT);
	assert_non_null(strstr(e.msg, "/no/such/mail"));
	assert_int_equal(gr_source_open("maildir:/no/such/Maildir", NULL, &s,
	                 &e), GR_E_NOINPUT);
	assert_non_null(strstr(e.msg, "/no/such/Maildir"));
	assert_int_equal(gr_source_open("mbox:/no/such.mbox", NULL, &s, &e),
	                 GR_E_NOINPUT);
	assert_non_null(strstr(e.msg, "/no/such.mbox"));
	assert_int_equal(gr_source_open("file:/no/such.eml", NULL, &s, &e),
	                 GR_E_NOINPUT);
	/* A directory that is not a Maildir. */
	assert_int_equal(gr_source_open((char *)*state, NULL, &s, &e),
	                 GR_E_NOINPUT);
	assert_non_null(strstr(e.msg, "not a Maildir"));
	snprintf(uri, sizeof uri, "maildir:%s", (char *)*state);
	assert_int_equal(gr_source_open(uri, NULL, &s, &e), GR_E_NOINPUT);
	assert_null(s);
}

/* --- corpus ------------------------------------------------------------ */

static size_t
corpus_count(const char *rel, struct got *g)
{
	char in[PATH_MAX], path[PATH_MAX];
	gr_error e;

	snprintf(in, sizeof in, "corpus/%s", rel);
	snprintf(path, sizeof path, "%s", tl_shared_or_skip(in));
	if (read_all(path, 0, g, &e) != GR_OK)
		fail_msg("%s: %s", rel, e.msg);
	return g->n;
}

static void
test_corpus_nice_mbox(void **state)
{
	struct got g;

	(void)state;
	assert_int_equal(corpus_count("spamassassin/nice.mbox", &g), 3);
	for (size_t i = 0; i < g.n; i++)
		assert_int_not_equal(strncmp(g.data[i], "From ", 5), 0);
	got_free(&g);
}

static void
test_corpus_gmime_substring(void **state)
{
	struct got g;

	(void)state;
	assert_int_equal(corpus_count("gmime/mbox__input__substring.mbox", &g),
	                 3);
	for (size_t i = 0; i < g.n; i++)
		assert_memory_equal(g.data[i], "From: fejj@gnome.org\n", 21);
	got_free(&g);
}

/* One message with an mbox attached unescaped: a bare path starting with
 * "From " is read as an mbox, and it holds one message. */
static void
test_corpus_mbox_attachment(void **state)
{
	struct got g;

	(void)state;
	assert_int_equal(corpus_count("notmuch/insert__mbox-attachment.eml",
	                              &g), 1);
	assert_non_null(strstr(g.data[0], "\nFrom fc88cba7f1f37b9cf3b296eace"));
	got_free(&g);
}

/* Every corpus file starting with a postmark is one message, except the
 * two real mbox files. */
static void
test_corpus_postmark_files(void **state)
{
	char sh[PATH_MAX], path[PATH_MAX * 3], line[PATH_MAX], head[5];
	FILE *idx;
	size_t files = 0;

	(void)state;
	snprintf(path, sizeof path, "%s", tl_shared_or_skip("corpus/INDEX.tsv"));
	snprintf(sh, sizeof sh, "%s", tl_shared());
	idx = fopen(path, "r");
	assert_non_null(idx);
	while (fgets(line, sizeof line, idx)) {
		FILE *f;
		struct got g;
		gr_error e;
		size_t n;

		line[strcspn(line, "\t\n")] = '\0';
		if (strstr(line, "nice.mbox") || strstr(line, "substring.mbox"))
			continue;
		snprintf(path, sizeof path, "%s/corpus/%s", sh, line);
		if (!(f = fopen(path, "rb")))
			continue;       /* the header row */
		n = fread(head, 1, sizeof head, f);
		fclose(f);
		if (n != 5 || memcmp(head, "From ", 5) != 0)
			continue;
		assert_int_equal(read_all(path, 0, &g, &e), GR_OK);
		if (g.n != 1)
			fail_msg("%s: %zu messages", line, g.n);
		assert_int_not_equal(strncmp(g.data[0], "From ", 5), 0);
		got_free(&g);
		files++;
	}
	fclose(idx);
	assert_true(files > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_maildir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_maildir_truncates, setup, teardown),
		cmocka_unit_test(test_mbox_three),
		cmocka_unit_test(test_mbox_no_blank_line),
		cmocka_unit_test(test_mbox_attached_mbox),
		cmocka_unit_test_setup_teardown(test_mbox_crlf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mbox_stable_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mbox_empty_and_not_mbox, setup, teardown),
		cmocka_unit_test(test_stdin),
		cmocka_unit_test_setup_teardown(test_file_and_autodetect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_home_in_uris, setup, teardown),
		cmocka_unit_test(test_corpus_nice_mbox),
		cmocka_unit_test(test_corpus_gmime_substring),
		cmocka_unit_test(test_corpus_mbox_attachment),
		cmocka_unit_test(test_corpus_postmark_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
