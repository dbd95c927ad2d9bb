/* SPDX-License-Identifier: MIT */
/*
 * test_msgcut.c - the sources' cut of large messages (src/msgcut.c): a
 * message cut to its header and text parts parses to the same message as
 * the whole one (headers, addresses, text and its split, MIME type, flags,
 * part and attachment counts), over hand-made large messages, the repo's
 * message fixtures, the shared corpus and every labelled example set
 * ($GR_SHARED, skipped when absent); the cut does not depend on how the
 * bytes arrive; it is bounded; a header over the limit still fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "gravity/buf.h"
#include "gravity/message.h"
#include "gravity/util.h"
#include "../../src/msgcut.h"
#include "testlib.h"

/* Cut raw (whole_max 1: always), fed chunk bytes at a time. */
static void
cut(const char *raw, size_t len, size_t chunk, gr_buf *out)
{
	gr_msgin *in = gr_msgin_new(0, 1);

	assert_non_null(in);
	gr_buf_init(out, (size_t)64 << 20);
	gr_msgin_begin(in, out);
	for (size_t i = 0; i < len; i += chunk)
		assert_int_equal(gr_msgin_add(in, raw + i, len - i < chunk ?
		                              len - i : chunk), GR_OK);
	assert_int_equal(gr_msgin_end(in), GR_OK);
	assert_true(len <= 1 || gr_msgin_cut(in));
	gr_msgin_free(in);
}

static int
same_str(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static int
same_addr(const gr_addr *a, const gr_addr *b)
{
	return same_str(a->name, b->name) && same_str(a->addr, b->addr);
}

static int
same_list(const gr_addrlist *a, const gr_addrlist *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (!same_addr(&a->v[i], &b->v[i]))
			return 0;
	return 1;
}

/* "" when a and b are the same message, else the first field that differs. */
static const char *
diff(const gr_message *a, const gr_message *b)
{
	if (a->n_headers != b->n_headers)
		return "header count";
	for (size_t i = 0; i < a->n_headers; i++)
		if (!same_str(a->headers[i].name, b->headers[i].name) ||
		    !same_str(a->headers[i].value, b->headers[i].value))
			return "a header";
	if (!same_addr(&a->from, &b->from) || !same_addr(&a->sender, &b->sender))
		return "From or Sender";
	if (!same_list(&a->reply_to, &b->reply_to) || !same_list(&a->to, &b->to) ||
	    !same_list(&a->cc, &b->cc) || !same_list(&a->bcc, &b->bcc))
		return "an address list";
	if (!same_str(a->subject, b->subject) ||
	    !same_str(a->message_id, b->message_id) ||
	    !same_str(a->in_reply_to, b->in_reply_to) || a->date != b->date)
		return "subject, ids or date";
	if (a->references.n != b->references.n)
		return "references";
	for (size_t i = 0; i < a->references.n; i++)
		if (!same_str(a->references.v[i], b->references.v[i]))
			return "references";
	if (!same_str(a->text, b->text))
		return "text";
	if (!same_str(a->new_text, b->new_text) || !same_str(a->quoted, b->quoted) ||
	    !same_str(a->signature, b->signature))
		return "text split";
	if (!same_str(a->content_type, b->content_type))
		return "content type";
	if (a->flags != b->flags)
		return "flags";
	if (a->n_parts != b->n_parts || a->n_attachments != b->n_attachments)
		return "part counts";
	return "";
}

static size_t n_differ;

/* The whole message and its cut parse the same; returns 1 if compared
 * (0 when the whole message does not parse: then neither must).  Each
 * difference is printed and counted in n_differ. */
static int
check_same(const char *name, const char *raw, size_t len)
{
	gr_message *a = NULL, *b = NULL;
	gr_error ea, eb;
	gr_status sa, sb;
	gr_buf c;
	const char *d;

	cut(raw, len, 4093, &c);
	sa = gr_message_parse(raw, len, NULL, &a, &ea);
	sb = gr_message_parse(c.data, c.len, NULL, &b, &eb);
	if (sa != sb) {
		print_message("# %s: whole parse %d, cut parse %d (%s)\n", name,
		              sa, sb, sa == GR_OK ? eb.msg : ea.msg);
		n_differ++;
	} else if (sa == GR_OK && *(d = diff(a, b))) {
		print_message("# %s: the cut message differs in %s\n", name, d);
		n_differ++;
	}
	gr_message_free(a);
	gr_message_free(b);
	gr_buf_free(&c);
	return sa == GR_OK;
}

/* A large message: text, HTML alternative, a forwarded message with its
 * own attachment, and a big base64 attachment. */
static char *
big_message(size_t att, size_t *len)
{
	gr_buf b;
	const char *line = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n";

	gr_buf_init(&b, att + ((size_t)1 << 20));
	assert_int_equal(gr_buf_addstr(&b,
	    "From: Ana Ruiz <ana@client.example>\r\n"
	    "To: Maya <maya@studio.example>, Sam <sam@studio.example>\r\n"
	    "Subject: =?utf-8?q?Gro=C3=9Fes_Projekt?=\r\n"
	    "Message-ID: <big@client.example>\r\n"
	    "Date: Mon, 10 Jun 2024 09:00:00 +0200\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed;\r\n boundary=\"OUT\"\r\n\r\n"
	    "This is a multi-part message in MIME format.\r\n"
	    "--OUT\r\n"
	    "Content-Type: multipart/alternative; boundary=ALT\r\n\r\n"
	    "--ALT\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "Hi Maya,\r\n\r\ncould you quote a website for my caf=E9?\r\n\r\n"
	    "On Mon, Sam wrote:\r\n> an earlier line\r\n\r\n-- \r\nAna\r\n"
	    "--ALT\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
	    "<p>Hi Maya, could you quote a website?</p>\r\n--ALT--\r\n"
	    "--OUT\r\nContent-Type: message/rfc822\r\n\r\n"
	    "From: Bo <bo@other.example>\r\nSubject: inner\r\n"
	    "Content-Type: multipart/mixed; boundary=\"IN\"\r\n\r\n"
	    "--IN\r\nContent-Type: text/plain\r\n\r\ninner text\r\n"
	    "--IN\r\nContent-Type: image/png; name=a.png\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"), GR_OK);
	for (int i = 0; i < 2000; i++)
		assert_int_equal(gr_buf_addstr(&b, line), GR_OK);
	assert_int_equal(gr_buf_addstr(&b, "--IN--\r\n\r\n--OUT\r\n"
	    "Content-Type: application/pdf\r\n"
	    "Content-Disposition: attachment; filename=brief.pdf\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"
	    /* dashes in a dropped body that start no delimiter */
	    "-x\r\n--not-OUT\r\n---\r\na-b--c\r\n-\r\n"), GR_OK);
	while (b.len < att)
		assert_int_equal(gr_buf_addstr(&b, line), GR_OK);
	/* a line far longer than any the cut looks at, then the end */
	for (int i = 0; i < 3000; i++)
		assert_int_equal(gr_buf_add(&b, line, 76), GR_OK);
	assert_int_equal(gr_buf_addstr(&b, "\r\n--OUT--\r\nepilogue\r\n"), GR_OK);
	*len = b.len;
	return gr_buf_steal(&b);
}

static void
test_cut_big(void **state)
{
	size_t len;
	char *raw = big_message((size_t)6 << 20, &len);
	gr_buf c1, c2, c3;
	gr_message *m = NULL;
	gr_error err;

	(void)state;
	n_differ = 0;
	assert_int_equal(check_same("big", raw, len), 1);
	assert_int_equal(n_differ, 0);
	/* the same cut however the bytes arrive */
	cut(raw, len, 1 << 16, &c1);
	cut(raw, len, 7, &c2);
	cut(raw, len, len, &c3);
	assert_int_equal(c1.len, c2.len);
	assert_int_equal(c1.len, c3.len);
	assert_memory_equal(c1.data, c2.data, c1.len);
	assert_memory_equal(c1.data, c3.data, c1.len);
	/* attachments are gone: a few KiB are left of 6 MiB */
	assert_true(c1.len < 8192);
	assert_null(strstr(c1.data, "QUJDREVG"));
	assert_non_null(strstr(c1.data, "caf=E9"));
	/* and what the parser makes of it */
	assert_int_equal(gr_message_parse(c1.data, c1.len, NULL, &m, &err), GR_OK);
	assert_non_null(strstr(m->text, "café"));
	assert_int_equal(m->n_attachments, 2);
	assert_true(m->flags & GR_MSG_HAS_ATTACHMENT);
	gr_message_free(m);
	gr_buf_free(&c1);
	gr_buf_free(&c2);
	gr_buf_free(&c3);
	free(raw);
}

/* Through the message reader as the sources use it: small messages pass
 * byte for byte; large ones are cut and bounded. */
static void
test_whole_or_cut(void **state)
{
	gr_msgin *in = gr_msgin_new(0, 0);
	size_t len;
	char *raw = big_message((size_t)40 << 20, &len);
	const char *small = "From: a@b.example\r\nSubject: x\r\n\r\nhi\0there\r\n";
	gr_buf out;

	(void)state;
	assert_non_null(in);
	gr_buf_init(&out, (size_t)64 << 20);
	gr_msgin_begin(in, &out);
	assert_int_equal(gr_msgin_add(in, small, 42), GR_OK);
	assert_int_equal(gr_msgin_end(in), GR_OK);
	assert_int_equal(gr_msgin_cut(in), 0);
	assert_int_equal(out.len, 42);
	assert_memory_equal(out.data, small, 42);
	gr_msgin_begin(in, &out);
	for (size_t i = 0; i < len; i += 65536)
		assert_int_equal(gr_msgin_add(in, raw + i, len - i < 65536 ?
		                              len - i : 65536), GR_OK);
	assert_int_equal(gr_msgin_end(in), GR_OK);
	assert_int_equal(gr_msgin_cut(in), 1);
	assert_true(out.len < 8192);
	assert_true(out.cap <= GR_CUT_MAX + 1);
	gr_buf_free(&out);
	gr_msgin_free(in);
	free(raw);
}

/* A header over the parser's limit fails the same way cut or whole; many
 * text parts stop at GR_CUT_MAX. */
static void
test_cut_limits(void **state)
{
	gr_buf b, c;
	gr_message *m = NULL;
	gr_error err;

	(void)state;
	gr_buf_init(&b, (size_t)64 << 20);
	assert_int_equal(gr_buf_addstr(&b, "From: a@b.example\r\nX-Long: "), GR_OK);
	for (int i = 0; i < (2 << 20) / 64; i++)
		assert_int_equal(gr_buf_addstr(&b, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), GR_OK);
	assert_int_equal(gr_buf_addstr(&b, "\r\nSubject: x\r\n\r\nbody\r\n"), GR_OK);
	cut(b.data, b.len, 65536, &c);
	assert_true(c.len <= GR_PARSE_MAX_HEADER + 70000);
	assert_int_equal(gr_message_parse(c.data, c.len, NULL, &m, &err), GR_E_LIMIT);
	assert_int_equal(gr_message_parse(b.data, b.len, NULL, &m, &err), GR_E_LIMIT);
	gr_buf_free(&c);
	gr_buf_reset(&b);
	assert_int_equal(gr_buf_addstr(&b, "From: a@b.example\r\nContent-Type: "
	                 "multipart/mixed; boundary=X\r\n\r\n"), GR_OK);
	for (int i = 0; i < 40; i++) {
		assert_int_equal(gr_buf_addstr(&b, "--X\r\nContent-Type: text/plain\r\n\r\n"), GR_OK);
		for (int j = 0; j < (1 << 20) / 64; j++)
			assert_int_equal(gr_buf_addstr(&b, "hello hello hello hello hello hello hello hello hello hello hell\r\n"), GR_OK);
	}
	assert_int_equal(gr_buf_addstr(&b, "--X--\r\n"), GR_OK);
	cut(b.data, b.len, 65536, &c);
	assert_true(c.len <= GR_CUT_MAX);
	assert_true(c.len > GR_CUT_MAX - (2 << 20));
	assert_int_equal(gr_message_parse(c.data, c.len, NULL, &m, &err), GR_OK);
	gr_message_free(m);
	gr_buf_free(&c);
	gr_buf_free(&b);
}

/* Every regular file under dir (recursively), cut and whole: the same. */
static void
walk(const char *dir, size_t *n, size_t *parsed)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		char path[8192];
		struct stat sb;
		char *data = NULL;
		size_t len;
		gr_error err;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (stat(path, &sb) != 0)
			continue;
		if (S_ISDIR(sb.st_mode)) {
			walk(path, n, parsed);
			continue;
		}
		if (!S_ISREG(sb.st_mode) || strstr(e->d_name, ".tsv") ||
		    strstr(e->d_name, ".md") || strstr(e->d_name, ".ics"))
			continue;
		if (gr_read_file(path, (size_t)64 << 20, &data, &len, &err) != GR_OK)
			fail_msg("cannot read %s: %s", path, err.msg);
		(*n)++;
		*parsed += (size_t)check_same(path, data, len);
		free(data);
	}
	closedir(d);
}

static void
test_cut_fixtures(void **state)
{
	char dir[4200];
	size_t n = 0, parsed = 0;

	(void)state;
	n_differ = 0;
	snprintf(dir, sizeof dir, "%s/tests/data", tl_srcdir());
	walk(dir, &n, &parsed);
	assert_int_equal(n_differ, 0);
	print_message("# fixtures: %zu files, %zu parsed, cut = whole\n", n,
	              parsed);
	assert_true(parsed > 20);
}

static void
test_cut_shared(void **state)
{
	const char *sub[] = { "corpus", "examples" };
	size_t total = 0;

	(void)state;
	n_differ = 0;
	for (int i = 0; i < 2; i++) {
		char dir[4200];
		size_t n = 0, parsed = 0;
		struct stat sb;

		snprintf(dir, sizeof dir, "%s/%s", tl_shared(), sub[i]);
		if (stat(dir, &sb) != 0) {
			print_message("# skip: %s not found (set GR_SHARED)\n", dir);
			skip();
		}
		walk(dir, &n, &parsed);
		print_message("# %s: %zu files, %zu parsed, cut = whole\n", sub[i],
		              n, parsed);
		total += parsed;
	}
	assert_int_equal(n_differ, 0);
	assert_true(total > 600);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cut_big),
		cmocka_unit_test(test_whole_or_cut),
		cmocka_unit_test(test_cut_limits),
		cmocka_unit_test(test_cut_fixtures),
		cmocka_unit_test(test_cut_shared),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
