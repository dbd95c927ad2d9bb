/* SPDX-License-Identifier: MIT */
/*
 * test_message.c - unit tests of the message module: header decoding,
 * addresses, MIME text choice, charsets, quote/signature split, crash and
 * resource guards, pack/unpack, and the parser worker (with the corpus).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "gravity/buf.h"
#include "gravity/extract.h"
#include "gravity/message.h"
#include "gravity/util.h"
#include "../src/msgtext.h"
#include "../src/parser.h"

#include "testlib.h"

/* --- helpers ----------------------------------------------------------------- */

static char *
slurp(const char *dir, const char *name, size_t *len)
{
	return tl_slurp(tl_path(dir, name), len);
}

static char *
fixture(const char *name, size_t *len)
{
	char dir[4096];

	snprintf(dir, sizeof dir, "%s", tl_srcpath("tests/data/msg"));
	return slurp(dir, name, len);
}

static gr_message *
parse_fixture(const char *name)
{
	size_t len;
	char *raw = fixture(name, &len);
	gr_message *m = NULL;
	gr_error err;

	gr_error_clear(&err);
	if (gr_message_parse(raw, len, NULL, &m, &err) != GR_OK)
		fail_msg("%s: %s", name, err.msg);
	free(raw);
	assert_non_null(m);
	return m;
}

static gr_message *
parse_str(const char *s)
{
	gr_message *m = NULL;
	gr_error err;

	if (gr_message_parse(s, strlen(s), NULL, &m, &err) != GR_OK)
		fail_msg("parse: %s", err.msg);
	return m;
}

/* --- headers ----------------------------------------------------------------- */

static void
test_rfc2047(void **state)
{
	gr_message *m = parse_fixture("rfc2047.eml");

	(void)state;
	assert_string_equal(m->subject, "Caf\xc3\xa9 menu and Gr\xc3\xbc\xc3\x9f" "e");
	assert_string_equal(m->from.name, "Andr\xc3\xa9 Dupont");
	assert_string_equal(m->from.addr, "andre.dupont@example.com");
	assert_string_equal(gr_message_header(m, "x-raw-utf8"),
	                    "Caf\xc3\xa9 direct");
	assert_string_equal(m->message_id, "abc.123@example.com");
	assert_string_equal(m->in_reply_to, "prev.1@example.com");
	assert_int_equal(m->references.n, 3);
	assert_string_equal(m->references.v[0], "root.0@example.com");
	assert_string_equal(m->references.v[1], "prev.1@example.com");
	/* 2026-08-11 14:15:58 UTC */
	assert_int_equal((long long)m->date, 1786457758LL);
	assert_true(m->flags & GR_MSG_IS_REPLY);
	assert_string_equal(m->content_type, "text/plain");
	assert_string_equal(m->new_text, "Hello there.");
	assert_true(m->n_headers >= 10);
	gr_message_free(m);
}

static void
test_addresses(void **state)
{
	gr_message *m = parse_fixture("addrs.eml");
	const gr_addr *r;

	(void)state;
	assert_string_equal(m->from.name, "Support, Desk");
	assert_string_equal(m->from.addr, "help@example.com");
	assert_int_equal(m->to.n, 3);
	assert_string_equal(m->to.v[0].name, "Doe, John");
	assert_string_equal(m->to.v[0].addr, "john@x.com");
	assert_null(m->to.v[1].name);
	assert_string_equal(m->to.v[1].addr, "a@x.com");
	assert_string_equal(m->to.v[2].name, "J\xc3\xb6rg");
	assert_string_equal(m->to.v[2].addr, "b@y.com");
	/* the broken address is kept but has no usable addr */
	assert_true(m->cc.n >= 1);
	assert_string_equal(m->cc.v[0].addr, "c@z.org");
	for (size_t i = 1; i < m->cc.n; i++)
		assert_true(m->cc.v[i].addr == NULL ||
		            strchr(m->cc.v[i].addr, '<') == NULL);
	assert_int_equal(m->bcc.n, 1);          /* kept in Sent copies */
	assert_string_equal(m->bcc.v[0].name, "Priya Nair");
	assert_string_equal(m->bcc.v[0].addr, "priya.nair@northwind.example");
	r = gr_message_reply_addr(m);
	assert_string_equal(r->addr, "replies@example.com");
	gr_message_free(m);

	m = parse_str("From: Only From <ONLY@from.example>\nSubject: x\n\nhi\n");
	assert_string_equal(gr_message_reply_addr(m)->addr, "only@from.example");
	gr_message_free(m);

	/* a Reply-To without a valid address falls back to From */
	m = parse_str("From: f@example.com\nReply-To: nobody\n\nhi\n");
	assert_string_equal(gr_message_reply_addr(m)->addr, "f@example.com");
	gr_message_free(m);
}

/* --- MIME and charsets ------------------------------------------------------- */

static void
test_alternative(void **state)
{
	gr_message *m = parse_fixture("alternative.eml");

	(void)state;
	assert_string_equal(m->text, "Plain version");
	assert_false(m->flags & GR_MSG_HTML_ONLY);
	assert_string_equal(m->content_type, "multipart/alternative");
	assert_int_equal(m->n_parts, 2);
	assert_int_equal(m->n_attachments, 0);
	gr_message_free(m);
}

static void
test_html_only(void **state)
{
	gr_message *m = parse_fixture("htmlonly.eml");

	(void)state;
	assert_true(m->flags & GR_MSG_HTML_ONLY);
	assert_null(strstr(m->text, "alert"));
	assert_null(strstr(m->text, "color"));
	assert_null(strstr(m->text, "comment"));
	assert_null(strstr(m->text, "<p"));
	assert_null(strstr(m->text, "<div"));
	assert_non_null(strstr(m->text, "Hello Maya & team,"));
	assert_non_null(strstr(m->text, "\xe2\x82\xac" "5 \xe2\x80\x94 ABC <ok>"));
	assert_non_null(strstr(m->text, "line one\nline two"));
	assert_non_null(strstr(m->text, "> quoted text"));
	assert_non_null(strstr(m->quoted, "quoted text"));
	assert_null(strstr(m->new_text, "quoted text"));
	gr_message_free(m);
}

static void
test_transfer_encodings(void **state)
{
	gr_message *m = parse_fixture("base64.eml");

	(void)state;
	assert_string_equal(m->text, "Hello Maya, caf\xc3\xa9 at 3?\n");
	gr_message_free(m);
	m = parse_fixture("qp-latin1.eml");
	assert_string_equal(m->text,
	    "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln, this is a soft break.\n");
	gr_message_free(m);
}

static void
test_unknown_charset(void **state)
{
	gr_message *m = parse_fixture("unknown-charset.eml");

	(void)state;
	/* windows-1252 fallback: i-diaeresis, e-acute, curly quotes */
	assert_string_equal(m->text, "na\xc3\xafve caf\xc3\xa9 "
	    "\xe2\x80\x9cquoted\xe2\x80\x9d\n");
	assert_true(gr_utf8_valid(m->text, strlen(m->text)));
	gr_message_free(m);
}

static void
test_attachment(void **state)
{
	gr_message *m = parse_fixture("attachment.eml");

	(void)state;
	assert_true(m->flags & GR_MSG_HAS_ATTACHMENT);
	assert_true(m->flags & GR_MSG_CALENDAR);
	assert_int_equal(m->n_attachments, 1);
	assert_int_equal(m->n_parts, 3);
	assert_string_equal(m->text, "See the attached listing.");
	assert_null(strstr(m->text, "ATTACHMENT"));
	assert_null(strstr(m->text, "QVRU"));
	gr_message_free(m);
}

static void
test_utf8_repair(void **state)
{
	char *s;
	size_t n;

	(void)state;
	s = gr_utf8_sanitize("a\xff" "b\xc3\xa9\xed\xa0\x80", 8, &n);
	assert_string_equal(s, "a\xef\xbf\xbd" "b\xc3\xa9\xef\xbf\xbd"
	    "\xef\xbf\xbd\xef\xbf\xbd");
	assert_true(gr_utf8_valid(s, n));
	free(s);
	assert_int_equal(gr_utf8_cut("ab\xc3\xa9", 4), 4);
	assert_int_equal(gr_utf8_cut("ab\xc3\xa9", 3), 2);
}

/* --- quote and signature split ------------------------------------------------ */

struct split_case {
	const char *file;
	const char *new_text;           /* exact */
	const char *quoted_has;         /* substring of quoted, or NULL for "" */
	const char *sig;                /* exact */
	int forward;
};

static const struct split_case split_cases[] = {
	{ "reply-gmail.txt", "Sounds good, Thursday at 3 works.",
	  "> Are you free Thursday?", "", 0 },
	{ "reply-outlook.txt", "Please find the numbers below.\n\nRegards,",
	  "Can you send the numbers?", "Jim Smith\nAcme Corp | 555-0100", 0 },
	{ "reply-outlook-block.txt", "Yes, that is fine.",
	  "Does Friday work?", "", 0 },
	{ "forward-apple.txt", "FYI, see below.", "Is it still for sale?", "", 1 },
	{ "forward-gmail.txt", "Forwarding this to you.",
	  "Is it still for sale?", "", 1 },
	{ "quotes-inline.txt", "Yes, Friday works.\n\nAround 600k.",
	  "> And the budget?", "", 0 },
	{ "sig-dashes.txt", "Thanks for the quick answer, see you then.",
	  NULL, "-- \nJane Roe\nRoe Realty | 555-0199", 0 },
	{ "sig-iphone.txt", "Running late, be there in 10.", NULL,
	  "Sent from my iPhone", 0 },
	{ "signoff.txt", "Hi Maya,\n\nWe would like to see the house on Elm "
	  "street this weekend.\n\nBest,", NULL, "Sam", 0 },
	{ "german-wrote.txt", "Passt mir gut.", "> Hast du Zeit?", "", 0 },
	{ "bottom-post.txt", "Friday is fine.", "> Can we meet Friday?", "", 0 },
	{ "wrapped3.txt", "I get proper rendering as well.",
	  "> Was this caching", "", 0 },
	{ "android-generic.txt", "Hello", "> Hi", "", 0 },
};

static void
test_split_styles(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof split_cases / sizeof split_cases[0]; i++) {
		const struct split_case *c = &split_cases[i];
		gr_text_parts tp;
		size_t len;
		char *text = fixture(c->file, &len);

		assert_int_equal(gr_text_split(text, &tp), GR_OK);
		if (strcmp(tp.new_text, c->new_text) != 0 ||
		    strcmp(tp.signature, c->sig) != 0 ||
		    (c->quoted_has ? !strstr(tp.quoted, c->quoted_has)
		                   : tp.quoted[0] != '\0') ||
		    tp.forward != c->forward)
			fail_msg("%s: new=[%s] quoted=[%s] sig=[%s] fwd=%d",
			         c->file, tp.new_text, tp.quoted, tp.signature,
			         tp.forward);
		gr_text_parts_free(&tp);
		free(text);
	}
}

/* Attributions wrapped over lines, one of them opening with a line
 * shorter than any "On" word; lines that cannot open one. */
static void
test_split_wrapped_attribution(void **state)
{
	static const struct {
		const char *text, *new_text;
	} cases[] = {
		{ "Hi.\n\nOn Mon, 5 Feb 2024 at 10:00, Ana Ruiz\n"
		  "<ana@example.com> wrote:\n> old\n", "Hi." },
		{ "Hi.\n\nW\ndniu 5 lutego 2024 Ana <a@example.com> pisze:\n"
		  "> old\n", "Hi." },
		{ "Hi.\n\n--\nOn Mon, 5 Feb 2024, Ana <a@example.com> wrote:\n"
		  "> old\n", "Hi." },
	};
	gr_text_parts tp;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(gr_text_split(cases[i].text, &tp), GR_OK);
		if (strcmp(tp.new_text, cases[i].new_text) != 0 ||
		    !strstr(tp.quoted, "old"))
			fail_msg("case %zu: new=[%s] quoted=[%s]", i,
			         tp.new_text, tp.quoted);
		gr_text_parts_free(&tp);
	}
	/* no "On" word: the lines stay new text */
	assert_int_equal(gr_text_split("Hi.\n\nMonday, 5 Feb 2024, Ana\n"
	                               "wrote:\nmore\n", &tp), GR_OK);
	assert_non_null(strstr(tp.new_text, "more"));
	gr_text_parts_free(&tp);
}

/* CRLF becomes LF; a CR alone stays where it is; a "boundary" with
 * blanks before its '=' is still guarded. */
static void
test_line_ends_and_guard(void **state)
{
	const char *raw = "From: x@example.com\r\nSubject: cr\r\n\r\n"
	                  "one\rtwo\r\nthree\r\n\r";
	const char *guard = "From: x@example.com\nSubject: b\n"
	                    "Content-Type: multipart/mixed; boundary  =\"\\\"\"\n"
	                    "\n--\"\nx\n";
	gr_message *m = NULL;
	gr_error err;
	gr_status st;

	(void)state;
	assert_int_equal(gr_message_parse(raw, strlen(raw), NULL, &m, &err),
	                 GR_OK);
	assert_string_equal(m->text, "one\rtwo\nthree\n\r");
	gr_message_free(m);
	m = NULL;
	st = gr_message_parse(guard, strlen(guard), NULL, &m, &err);
	assert_true(st == GR_OK || st == GR_E_PARSE);
	gr_message_free(m);
}

static void
test_split_in_message(void **state)
{
	gr_message *m = parse_str(
	    "From: a@example.com\nSubject: Fwd: house\n\n"
	    "Look.\n\n---------- Forwarded message ---------\nFrom: b@x.com\n"
	    "\nOld text\n");

	(void)state;
	assert_true(m->flags & GR_MSG_IS_FORWARD);
	assert_string_equal(m->new_text, "Look.");
	assert_non_null(strstr(m->quoted, "Old text"));
	gr_message_free(m);
}

/* --- guards -------------------------------------------------------------------- */

static void
test_boundary_crash_guard(void **state)
{
	static const char *const bad[] = {
		"Content-Type: multipart/mixed; boundary=\"\\\"\"\n\n--\"\nx\n",
		"Content-Type: multipart/mixed; boundary=\"\"\n\n--\nx\n",
		"Content-Type: multipart/mixed; boundary=\"\\\\\"\n\nx\n",
		"Content-Type: multipart/mixed; boundary=\"\n\nx\n",
		"Content-Type: multipart/mixed; boundary=\"a\"\n\n--a\n"
		"Content-Type: multipart/alternative;\n boundary=\"\\\"\"\n\n"
		"--\"\nContent-Type: text/plain\n\ninner\n--a--\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char raw[512];
		gr_message *m = NULL;
		gr_error err;
		gr_status st;

		snprintf(raw, sizeof raw, "From: x@example.com\nSubject: b\n%s",
		         bad[i]);
		st = gr_message_parse(raw, strlen(raw), NULL, &m, &err);
		assert_true(st == GR_OK || st == GR_E_PARSE);
		gr_message_free(m);
	}
}

static void
test_deep_nesting(void **state)
{
	gr_buf b;
	gr_message *m = NULL;
	gr_error err;
	gr_status st;
	int i, depth = 5000;

	(void)state;
	gr_buf_init(&b, (size_t)64 << 20);
	assert_int_equal(gr_buf_addstr(&b, "From: x@example.com\nSubject: deep\n"),
	                 GR_OK);
	for (i = 0; i < depth; i++)
		assert_int_equal(gr_buf_printf(&b, "Content-Type: multipart/mixed; "
		    "boundary=\"b%d\"\n\n--b%d\n", i, i), GR_OK);
	assert_int_equal(gr_buf_addstr(&b,
	    "Content-Type: text/plain\n\ndeepest text\n"), GR_OK);
	for (i = depth - 1; i >= 0; i--)
		assert_int_equal(gr_buf_printf(&b, "--b%d--\n", i), GR_OK);
	st = gr_message_parse(b.data, b.len, NULL, &m, &err);
	assert_true(st == GR_OK || st == GR_E_LIMIT);
	if (st == GR_OK) {
		assert_true(m->n_parts <= 1000);
		gr_message_free(m);
	}
	gr_buf_free(&b);
}

static void
test_huge_header(void **state)
{
	size_t n = (size_t)2 << 20;
	char *raw = malloc(n + 64);
	gr_message *m = NULL;
	gr_error err;
	gr_status st;

	(void)state;
	assert_non_null(raw);
	memcpy(raw, "From: x@example.com\nX-Big: ", 27);
	memset(raw + 27, 'a', n);
	memcpy(raw + 27 + n, "\n\nbody\n", 8);
	gr_error_clear(&err);
	st = gr_message_parse(raw, strlen(raw), NULL, &m, &err);
	assert_int_equal(st, GR_E_LIMIT);
	assert_null(m);
	assert_non_null(strstr(err.msg, "header"));
	free(raw);
}

static void
test_nul_bytes(void **state)
{
	static const char raw[] = "From: a@exa\0mple.com\nSubject: nu\0l\n\n"
	    "bo\0dy text\n";
	gr_message *m = NULL;
	gr_error err;

	(void)state;
	assert_int_equal(gr_message_parse(raw, sizeof raw - 1, NULL, &m, &err),
	                 GR_OK);
	assert_string_equal(m->from.addr, "a@example.com");
	assert_string_equal(m->subject, "nul");
	assert_string_equal(m->text, "body text\n");
	assert_int_equal(m->raw_size, sizeof raw - 1);
	gr_message_free(m);
}

static void
test_no_headers(void **state)
{
	gr_message *m = parse_str("Hello Maya,\nno header here.\n");

	(void)state;
	assert_true(m->flags & GR_MSG_NO_HEADERS);
	assert_string_equal(m->text, "Hello Maya,\nno header here.\n");
	assert_string_equal(m->subject, "");
	assert_null(m->message_id);
	gr_message_free(m);

	m = parse_str("");
	assert_string_equal(m->text, "");
	gr_message_free(m);
}

/* The message's own Message-ID: "<id>" gives id; anything else is kept
 * verbatim (blanks as one), never cut down to a token two malformed ones
 * share; an over-long one keeps its start and a digest of the whole. */
static void
test_own_message_id(void **state)
{
	static const struct { const char *field, *want; } v[] = {
		{ "<abc@x>", "abc@x" },
		{ "  <abc@x>  ", "abc@x" },
		{ "<a> junk <b@x>", "<a> junk <b@x>" },
		{ "<a> other <c@y>", "<a> other <c@y>" },
		{ "<a>\r\n\tjunk", "<a> junk" },
		{ "bare-token@x", "bare-token@x" },
		{ "two tokens", "two tokens" },
		{ "<no-close@x", "<no-close@x" },
	};
	char raw[5000], *longid;
	gr_message *m, *m2;

	(void)state;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		snprintf(raw, sizeof raw, "From: a@x\nMessage-ID: %s\n\nhi\n",
		         v[i].field);
		m = parse_str(raw);
		assert_non_null(m->message_id);
		assert_string_equal(m->message_id, v[i].want);
		gr_message_free(m);
	}
	/* two ids 3,000 bytes long that differ only at the end */
	longid = malloc(3001);
	assert_non_null(longid);
	memset(longid, 'q', 3000);
	longid[3000] = '\0';
	snprintf(raw, sizeof raw, "From: a@x\nMessage-ID: <%s> x\n\nhi\n", longid);
	m = parse_str(raw);
	longid[2999] = 'r';
	snprintf(raw, sizeof raw, "From: a@x\nMessage-ID: <%s> x\n\nhi\n", longid);
	m2 = parse_str(raw);
	assert_true(strlen(m->message_id) <= 998);
	assert_true(strlen(m->message_id) > 900);
	assert_string_not_equal(m->message_id, m2->message_id);
	gr_message_free(m);
	gr_message_free(m2);
	free(longid);
}

static void
test_text_bound(void **state)
{
	gr_parse_limits lim;
	gr_buf b;
	gr_message *m = NULL;
	gr_error err;

	(void)state;
	gr_parse_limits_default(&lim);
	lim.max_text = 1000;
	gr_buf_init(&b, 1 << 20);
	assert_int_equal(gr_buf_addstr(&b, "From: a@b.c\n\n"), GR_OK);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(gr_buf_addstr(&b, "caf\xc3\xa9 "), GR_OK);
	assert_int_equal(gr_message_parse(b.data, b.len, &lim, &m, &err), GR_OK);
	assert_true(m->flags & GR_MSG_TRUNCATED);
	assert_true(strlen(m->text) <= 1000);
	assert_true(gr_utf8_valid(m->text, strlen(m->text)));
	gr_message_free(m);
	lim.max_raw = 10;
	assert_int_equal(gr_message_parse(b.data, b.len, &lim, &m, &err),
	                 GR_E_LIMIT);
	gr_buf_free(&b);
}

/* --- pack / unpack --------------------------------------------------------------- */

static void
assert_same_message(const gr_message *a, const gr_message *b)
{
	assert_int_equal(a->n_headers, b->n_headers);
	for (size_t i = 0; i < a->n_headers; i++) {
		assert_string_equal(a->headers[i].name, b->headers[i].name);
		assert_string_equal(a->headers[i].value, b->headers[i].value);
	}
	assert_string_equal(a->subject, b->subject);
	assert_string_equal(a->text, b->text);
	assert_string_equal(a->new_text, b->new_text);
	assert_string_equal(a->quoted, b->quoted);
	assert_string_equal(a->signature, b->signature);
	assert_string_equal(a->content_type, b->content_type);
	assert_int_equal(a->to.n, b->to.n);
	for (size_t i = 0; i < a->to.n; i++) {
		if (a->to.v[i].addr)
			assert_string_equal(a->to.v[i].addr, b->to.v[i].addr);
		else
			assert_null(b->to.v[i].addr);
	}
	assert_int_equal(a->bcc.n, b->bcc.n);
	for (size_t i = 0; i < a->bcc.n; i++)
		if (a->bcc.v[i].addr)
			assert_string_equal(a->bcc.v[i].addr, b->bcc.v[i].addr);
	assert_int_equal(a->references.n, b->references.n);
	assert_int_equal(a->date, b->date);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->n_parts, b->n_parts);
	assert_int_equal(a->raw_size, b->raw_size);
	if (a->message_id)
		assert_string_equal(a->message_id, b->message_id);
	else
		assert_null(b->message_id);
}

static void
test_pack_roundtrip(void **state)
{
	static const char *const files[] = { "rfc2047.eml", "addrs.eml",
	    "attachment.eml", "htmlonly.eml" };

	(void)state;
	for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
		gr_message *m = parse_fixture(files[f]), *u = NULL;
		char *p;
		size_t n;
		gr_error err;

		assert_int_equal(gr_message_pack(m, &p, &n), GR_OK);
		assert_int_equal(gr_message_unpack(p, n, &u, &err), GR_OK);
		assert_same_message(m, u);
		gr_message_free(u);
		/* every truncation fails cleanly */
		for (size_t k = 0; k < n; k++) {
			u = NULL;
			assert_int_not_equal(gr_message_unpack(p, k, &u, &err),
			                     GR_OK);
			assert_null(u);
			assert_true(err.msg[0] != '\0');
		}
		/* flipped bytes never crash */
		for (size_t k = 0; k < n; k += 7) {
			char save = p[k];
			p[k] = (char)(p[k] ^ 0xa5);
			u = NULL;
			if (gr_message_unpack(p, n, &u, &err) == GR_OK)
				gr_message_free(u);
			p[k] = save;
		}
		free(p);
		gr_message_free(m);
	}
}

static void
test_unpack_garbage(void **state)
{
	unsigned char g[4096];
	gr_message *u = NULL;
	gr_error err;
	uint32_t x = 12345;

	(void)state;
	assert_int_not_equal(gr_message_unpack("", 0, &u, &err), GR_OK);
	/* a huge header count with the right magic */
	assert_int_not_equal(gr_message_unpack("GRM2\xff\xff\xff\xf0", 8, &u,
	                                       &err), GR_OK);
	assert_null(u);
	for (int round = 0; round < 200; round++) {
		for (size_t i = 0; i < sizeof g; i++) {
			x = x * 1103515245 + 12345;
			g[i] = (unsigned char)(x >> 16);
		}
		memcpy(g, "GRM2", 4);
		u = NULL;
		if (gr_message_unpack((char *)g, sizeof g, &u, &err) == GR_OK)
			gr_message_free(u);
	}
}

/* --- a reading over the pipe ------------------------------------------------ */

static const char reading_msg[] =
    "From: Ana Lima <ana@example.com>\nTo: sam@studio.example\n"
    "Subject: New website\nContent-Type: text/plain; charset=utf-8\n\n"
    "Dear Sam,\n\nwe need a new website for our bakery in Curtis Park. "
    "Could you send a quote? Our budget is around $5,000 and we would like "
    "to launch by March. You can call me at (916) 555-0142, not at "
    "(916) 555-0199. Are you free on Tuesday afternoon?\n\n"
    "Kind regards,\nAna\n";
static const char reading_sig[] = "Sam Studio\n(916) 555-0199\n";

static void
assert_same_str(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void
assert_same_strv(const gr_strv *a, const gr_strv *b)
{
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++)
		assert_string_equal(a->v[i], b->v[i]);
}

static void
assert_same_extract(const gr_extract *a, const gr_extract *b)
{
	assert_int_equal(a->lang, b->lang);
	assert_int_equal(a->formal, b->formal);
	assert_same_str(a->text, b->text);
	assert_same_strv(&a->questions, &b->questions);
	assert_same_strv(&a->availability, &b->availability);
	assert_same_strv(&a->timing, &b->timing);
	assert_same_strv(&a->asks, &b->asks);
	assert_same_str(a->budget, b->budget);
	assert_same_strv(&a->phones, &b->phones);
	assert_same_strv(&a->places, &b->places);
	assert_same_str(a->excerpt, b->excerpt);
	assert_same_str(a->signoff, b->signoff);
	assert_same_str(a->form_name, b->form_name);
	assert_same_str(a->form_email, b->form_email);
	assert_int_equal(a->web_form, b->web_form);
	assert_int_equal(a->wants_call, b->wants_call);
	assert_int_equal(a->no_rush, b->no_rush);
	assert_int_equal(a->later, b->later);
	assert_int_equal(a->copy_asked, b->copy_asked);
	assert_int_equal(a->moved_to_bcc, b->moved_to_bcc);
}

/* The reading in-process, of the message as the worker parses it. */
static void
reading_here(gr_extract *x)
{
	gr_parse_limits lim;
	gr_message *m = NULL;
	gr_error err;

	gr_parse_limits_default(&lim);
	assert_int_equal(gr_message_parse(reading_msg, strlen(reading_msg), &lim,
	                                  &m, &err), GR_OK);
	assert_int_equal(gr_extract_message(m, reading_sig, x), GR_OK);
	gr_message_free(m);
	/* a reading with something in each kind of field */
	assert_true(x->questions.n > 0 && x->phones.n > 0 && x->budget &&
	            x->places.n > 0 && x->availability.n > 0 &&
	            x->timing.n > 0 && x->text && x->lang == GR_LANG_EN &&
	            x->formal);
}

/* A reading survives the pipe's format exactly; every truncation and
 * garbage fail cleanly. */
static void
test_extract_pack(void **state)
{
	gr_extract x, u;
	gr_error err;
	char *p;
	size_t n;

	(void)state;
	reading_here(&x);
	assert_int_equal(gr_extract_pack(&x, &p, &n), GR_OK);
	assert_int_equal(gr_extract_unpack(p, n, &u, &err), GR_OK);
	assert_same_extract(&x, &u);
	gr_extract_free(&u);
	for (size_t k = 0; k < n; k++) {
		assert_int_not_equal(gr_extract_unpack(p, k, &u, &err), GR_OK);
		assert_null(u.text);
		assert_int_equal(u.questions.n, 0);
	}
	for (size_t k = 0; k < n; k += 5) {
		char save = p[k];

		p[k] = (char)(p[k] ^ 0x5a);
		if (gr_extract_unpack(p, n, &u, &err) == GR_OK)
			gr_extract_free(&u);
		p[k] = save;
	}
	free(p);
	gr_extract_free(&x);
}

/* The worker's reading (gr_parser_read_too) is the one made here, with the
 * owner's phone left out; without read_too there is none. */
static void
test_parser_reading(void **state)
{
	gr_parser *p = NULL;
	gr_message *m = NULL;
	gr_extract here, *there;
	gr_error err;

	(void)state;
	reading_here(&here);
	assert_int_equal(gr_parser_start(NULL, &p, &err), GR_OK);
	assert_int_equal(gr_parser_parse(p, reading_msg, strlen(reading_msg), &m,
	                                 &err), GR_OK);
	assert_null(gr_parser_reading(p));
	gr_message_free(m);
	gr_parser_read_too(p, reading_sig);
	for (int round = 0; round < 2; round++) {
		gr_parser_submit(p, reading_msg, strlen(reading_msg));
		assert_int_equal(gr_parser_collect(p, &m, &err), GR_OK);
		assert_string_equal(m->subject, "New website");
		there = gr_parser_reading(p);
		assert_non_null(there);
		assert_same_extract(&here, there);
		for (size_t i = 0; i < there->phones.n; i++)
			assert_null(strstr(there->phones.v[i], "0199"));
		assert_null(gr_parser_reading(p));      /* handed over */
		gr_extract_free(there);
		free(there);
		gr_message_free(m);
	}
	/* one not taken is dropped at the next collect */
	gr_parser_submit(p, reading_msg, strlen(reading_msg));
	assert_int_equal(gr_parser_collect(p, &m, &err), GR_OK);
	gr_message_free(m);
	gr_parser_submit(p, reading_msg, strlen(reading_msg));
	assert_int_equal(gr_parser_collect(p, &m, &err), GR_OK);
	gr_message_free(m);
	gr_parser_stop(p);
	gr_extract_free(&here);
}

/* --- the worker ------------------------------------------------------------------ */

/* The worker tests drive it through its test hooks (GR_PARSER_*), which
 * only a build configured with --enable-test-hooks has: without them they
 * are left out. */
#ifdef GR_TEST_HOOKS

static void
test_parser_worker(void **state)
{
	gr_parser *p = NULL;
	gr_message *m = NULL;
	gr_error err;
	const char *good = "From: A <a@example.com>\nSubject: hi\n\nhello\n";
	const char *boom = "From: a@example.com\nSubject: CRASH-ME-NOW\n\nx\n";
	int status;

	(void)state;
	setenv("GR_PARSER_CRASH_ON", "CRASH-ME-NOW", 1);
	assert_int_equal(gr_parser_start(NULL, &p, &err), GR_OK);
	unsetenv("GR_PARSER_CRASH_ON");
	assert_int_equal(gr_parser_parse(p, good, strlen(good), &m, &err), GR_OK);
	assert_string_equal(m->from.addr, "a@example.com");
	assert_string_equal(m->text, "hello\n");
	gr_message_free(m);

	assert_int_equal(gr_parser_parse(p, boom, strlen(boom), &m, &err),
	                 GR_E_CRASH);
	assert_null(m);
	assert_non_null(strstr(err.msg, "signal 11"));
	/* a death that happens again in a fresh worker: the message's own */
	assert_non_null(strstr(err.msg, "again when retried in a fresh worker"));

	assert_int_equal(gr_parser_parse(p, good, strlen(good), &m, &err), GR_OK);
	assert_string_equal(m->subject, "hi");
	gr_message_free(m);

	/* a hostile boundary through the worker */
	const char *bad = "From: x@example.com\nContent-Type: multipart/mixed; "
	    "boundary=\"\\\"\"\n\n--\"\nx\n";
	gr_status st = gr_parser_parse(p, bad, strlen(bad), &m, &err);
	assert_true(st == GR_OK || st == GR_E_PARSE);
	gr_message_free(m);
	gr_parser_stop(p);
	/* no zombie left behind */
	assert_true(waitpid(-1, &status, WNOHANG) <= 0);
}

/* The per-message timeout, both ways a parse can hang: the worker's alarm
 * ends it, or, the alarm blocked, the poller's own bound does; either way
 * (twice: once more in a fresh worker) the message fails with one clear
 * error, the worker is replaced and the next message parses. */
static void
test_parser_timeout(void **state)
{
	const char *good = "From: A <a@example.com>\nSubject: hi\n\nhello\n";
	const char *hang = "From: a@example.com\nSubject: HANG-ME-NOW\n\nx\n";
	int status;

	(void)state;
	for (int hard = 0; hard < 2; hard++) {
		gr_parser *p = NULL;
		gr_message *m = NULL;
		gr_error err;
		time_t t0;

		setenv("GR_PARSER_HANG_ON", "HANG-ME-NOW", 1);
		setenv("GR_PARSER_TIMEOUT", "1", 1);
		if (hard)
			setenv("GR_PARSER_HANG_HARD", "1", 1);
		assert_int_equal(gr_parser_start(NULL, &p, &err), GR_OK);
		unsetenv("GR_PARSER_HANG_ON");
		unsetenv("GR_PARSER_TIMEOUT");
		unsetenv("GR_PARSER_HANG_HARD");
		t0 = time(NULL);
		assert_int_equal(gr_parser_parse(p, hang, strlen(hang), &m, &err),
		                 GR_E_LIMIT);
		assert_null(m);
		assert_non_null(strstr(err.msg, "timed out after 1 s"));
		/* which bound ended it */
		assert_int_equal(strstr(err.msg, "no answer") != NULL, hard);
		assert_non_null(strstr(err.msg, "again when retried"));
		/* twice the bound: 1 s each (+2 s for the poller's own) */
		assert_true(time(NULL) - t0 >= 2);
		assert_true(time(NULL) - t0 <= 10);
		assert_int_equal(gr_parser_parse(p, good, strlen(good), &m, &err),
		                 GR_OK);
		assert_string_equal(m->subject, "hi");
		gr_message_free(m);
		gr_parser_stop(p);
	}
	assert_true(waitpid(-1, &status, WNOHANG) <= 0);
}

/* A worker death that does not happen again is not the message's: the
 * first worker hangs on it (until its alarm kills it, as the OOM killer or
 * any other outside kill would), the message is sent once more to a fresh
 * worker, alone, and parses; nothing says it failed. */
static void
test_parser_retry(void **state)
{
	const char *hang = "From: a@example.com\nSubject: HANG-FIRST\n\nx\n";
	gr_parser *p = NULL;
	gr_message *m = NULL;
	gr_error err;
	pid_t w1, w2;
	time_t t0;
	int status;

	(void)state;
	setenv("GR_PARSER_HANG_ON", "HANG-FIRST", 1);
	setenv("GR_PARSER_HANG_FIRST", "1", 1);
	setenv("GR_PARSER_TIMEOUT", "1", 1);
	assert_int_equal(gr_parser_start(NULL, &p, &err), GR_OK);
	unsetenv("GR_PARSER_HANG_ON");
	unsetenv("GR_PARSER_HANG_FIRST");
	unsetenv("GR_PARSER_TIMEOUT");
	w1 = gr_parser_worker_pid(p);
	t0 = time(NULL);
	gr_error_clear(&err);
	assert_int_equal(gr_parser_parse(p, hang, strlen(hang), &m, &err), GR_OK);
	assert_true(time(NULL) - t0 >= 1);      /* the first worker hung */
	assert_string_equal(m->subject, "HANG-FIRST");
	gr_message_free(m);
	w2 = gr_parser_worker_pid(p);
	assert_true(w2 > 0 && w2 != w1);
	/* and again: the second worker parses it at once */
	assert_int_equal(gr_parser_parse(p, hang, strlen(hang), &m, &err), GR_OK);
	assert_int_equal(gr_parser_worker_pid(p), w2);
	gr_message_free(m);
	gr_parser_stop(p);
	assert_true(waitpid(-1, &status, WNOHANG) <= 0);
}

/* Submit and collect: the worker parses while the caller does something
 * else, and collect gives what gr_parser_parse would have: a crash is
 * retried in a fresh worker, a reply collected long after its worker's
 * bound is still the reply (not a hang), a submit that was never collected
 * is dropped with its worker (the next collect gets its own message, not
 * the stale reply), and a collect without a submit is refused. */
static void
test_parser_pipeline(void **state)
{
	const char *one = "From: a@example.com\nSubject: one\n\nx\n";
	const char *two = "From: b@example.com\nSubject: two\n\ny\n";
	const char *boom = "From: a@example.com\nSubject: CRASH-ME-NOW\n\nx\n";
	gr_parser *p = NULL;
	gr_message *m = NULL;
	gr_error err;
	pid_t w1;
	int status;

	(void)state;
	setenv("GR_PARSER_CRASH_ON", "CRASH-ME-NOW", 1);
	setenv("GR_PARSER_TIMEOUT", "1", 1);
	assert_int_equal(gr_parser_start(NULL, &p, &err), GR_OK);
	unsetenv("GR_PARSER_CRASH_ON");
	unsetenv("GR_PARSER_TIMEOUT");
	assert_int_equal(gr_parser_collect(p, &m, &err), GR_E_INTERNAL);
	assert_null(m);

	gr_parser_submit(p, one, strlen(one));
	assert_int_equal(gr_parser_collect(p, &m, &err), GR_OK);
	assert_string_equal(m->subject, "one");
	gr_message_free(m);

	gr_parser_submit(p, boom, strlen(boom));
	assert_int_equal(gr_parser_collect(p, &m, &err), GR_E_CRASH);
	assert_null(m);
	assert_non_null(strstr(err.msg, "again when retried in a fresh worker"));

	/* collected 4 s later: the worker's bound (1 s + 2 s) is past, its
	 * reply waits in the socket, and the worker is not taken for hung */
	w1 = gr_parser_worker_pid(p);
	gr_parser_submit(p, two, strlen(two));
	sleep(4);
	assert_int_equal(gr_parser_collect(p, &m, &err), GR_OK);
	assert_string_equal(m->subject, "two");
	assert_int_equal(gr_parser_worker_pid(p), w1);
	gr_message_free(m);

	/* one never collected: the next collect is the next message's */
	gr_parser_submit(p, one, strlen(one));
	gr_parser_submit(p, two, strlen(two));
	assert_int_equal(gr_parser_collect(p, &m, &err), GR_OK);
	assert_string_equal(m->subject, "two");
	assert_true(gr_parser_worker_pid(p) != w1);
	gr_message_free(m);

	/* stopped with a message in the worker */
	gr_parser_submit(p, one, strlen(one));
	gr_parser_stop(p);
	assert_true(waitpid(-1, &status, WNOHANG) <= 0);
}

/* The parent pid of pid, from /proc/PID/stat; -1 when unreadable. */
static pid_t
ppid_of(pid_t pid)
{
	char path[64], buf[1024], *rp;
	FILE *f;
	size_t n;
	long pp;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if (!(f = fopen(path, "r")))
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* "pid (comm) state ppid ...": comm may hold spaces and parens */
	if (!(rp = strrchr(buf, ')')) || sscanf(rp + 1, " %*c %ld", &pp) != 1)
		return -1;
	return (pid_t)pp;
}

/* Every worker, the replacement after a crash too, is forked by
 * the spawner (forked before any credential), never by this process; when
 * the spawner dies no worker is forked from here either. */
static void
test_parser_spawner(void **state)
{
	gr_parser *p = NULL;
	gr_message *m = NULL;
	gr_error err;
	const char *good = "From: A <a@example.com>\nSubject: hi\n\nhello\n";
	const char *boom = "From: a@example.com\nSubject: CRASH-ME-NOW\n\nx\n";
	pid_t sp, w1, w2;
	int status;

	(void)state;
	setenv("GR_PARSER_CRASH_ON", "CRASH-ME-NOW", 1);
	assert_int_equal(gr_parser_start(NULL, &p, &err), GR_OK);
	unsetenv("GR_PARSER_CRASH_ON");
	sp = gr_parser_spawner_pid(p);
	w1 = gr_parser_worker_pid(p);
	assert_true(sp > 0 && w1 > 0 && sp != w1);
	assert_int_equal(ppid_of(sp), getpid());
	assert_int_equal(ppid_of(w1), sp);

	assert_int_equal(gr_parser_parse(p, boom, strlen(boom), &m, &err),
	                 GR_E_CRASH);
	assert_non_null(strstr(err.msg, "signal 11"));
	w2 = gr_parser_worker_pid(p);
	assert_true(w2 > 0 && w2 != w1);
	/* the replacement's parent is the spawner, not the (logged-in) poller */
	assert_int_equal(ppid_of(w2), sp);
	assert_true(ppid_of(w2) != getpid());
	assert_int_equal(ppid_of(w1), -1);      /* reaped by the spawner */
	assert_int_equal(gr_parser_parse(p, good, strlen(good), &m, &err), GR_OK);
	assert_string_equal(m->subject, "hi");
	gr_message_free(m);
	m = NULL;

	/* the spawner dies (its worker with it): a clear error, no restart */
	kill(sp, SIGKILL);
	for (int i = 0; i < 200 && ppid_of(w2) != -1; i++)
		usleep(5000);
	assert_int_equal(gr_parser_parse(p, good, strlen(good), &m, &err),
	                 GR_E_INTERNAL);
	assert_null(m);
	assert_non_null(strstr(err.msg, "parser spawner died"));
	assert_int_equal(gr_parser_parse(p, good, strlen(good), &m, &err),
	                 GR_E_INTERNAL);
	assert_int_equal(gr_parser_spawner_pid(p), -1);
	assert_int_equal(gr_parser_worker_pid(p), -1);
	gr_parser_stop(p);
	/* no zombie left behind, the dead spawner included */
	assert_true(waitpid(-1, &status, WNOHANG) <= 0);
}
#endif /* GR_TEST_HOOKS */

static void
test_corpus(void **state)
{
	char path[8192], line[8192], dir[4200];
	FILE *f;
	gr_parser *p = NULL;
	gr_error err;
	size_t n = 0, ok = 0, clean = 0, bad = 0;

	(void)state;
	snprintf(path, sizeof path, "%s", tl_shared_or_skip("corpus/INDEX.tsv"));
	snprintf(dir, sizeof dir, "%s/corpus", tl_shared());
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(gr_parser_start(NULL, &p, &err), GR_OK);
	while (fgets(line, sizeof line, f)) {
		char *tab = strchr(line, '\t'), *kind, *data;
		size_t len;
		gr_message *m = NULL;
		gr_status st;

		if (!tab || strncmp(line, "path\t", 5) == 0)
			continue;
		*tab = '\0';
		kind = tab + 1;
		if (strncmp(kind, "icalendar", 9) == 0)
			continue;
		data = slurp(dir, line, &len);
		gr_error_clear(&err);
		st = gr_parser_parse(p, data, len, &m, &err);
		n++;
		if (st == GR_OK) {
			ok++;
			assert_non_null(m->text);
			assert_true(gr_utf8_valid(m->text, strlen(m->text)));
			assert_true(gr_utf8_valid(m->subject, strlen(m->subject)));
			gr_message_free(m);
		} else if (st == GR_E_CRASH) {
			bad++;
			print_message("# worker died on %s: %s\n", line, err.msg);
		} else {
			clean++;
			assert_true(err.msg[0] != '\0');
			print_message("# %s: %s\n", line, err.msg);
		}
		free(data);
	}
	fclose(f);
	gr_parser_stop(p);
	print_message("# corpus: %zu messages, %zu ok, %zu clean errors, "
	              "%zu worker deaths\n", n, ok, clean, bad);
	assert_true(n > 600);
	assert_int_equal(bad, 0);
}

static void
test_maya_examples(void **state)
{
	char dir[4200], name[64];
	int found = 0;

	(void)state;
	snprintf(dir, sizeof dir, "%s", tl_shared_or_skip("examples/maya"));
	for (int i = 1; i <= 36; i++) {
		size_t len;
		char path[8192];
		char *raw;
		gr_message *m = NULL;
		gr_error err;
		FILE *f;

		snprintf(name, sizeof name, "msg%02d.eml", i);
		snprintf(path, sizeof path, "%s/%s", dir, name);
		if (!(f = fopen(path, "r")))
			continue;
		fclose(f);
		found++;
		raw = slurp(dir, name, &len);
		if (gr_message_parse(raw, len, NULL, &m, &err) != GR_OK)
			fail_msg("%s: %s", name, err.msg);
		if (!m->from.addr || !m->subject[0] || !m->message_id ||
		    !m->new_text[0])
			fail_msg("%s: from=%s subject=[%s] id=%s new_text=[%.40s]",
			         name, m->from.addr ? m->from.addr : "(null)",
			         m->subject, m->message_id ? m->message_id : "(null)",
			         m->new_text);
		if (i == 3) {
			assert_non_null(strstr(m->quoted, "Maya, meet Sarah"));
			assert_null(strstr(m->new_text, "Maya, meet Sarah"));
			assert_non_null(strstr(m->new_text, "Are you free"));
		}
		gr_message_free(m);
		free(raw);
	}
	assert_int_equal(found, 36);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc2047),
		cmocka_unit_test(test_split_wrapped_attribution),
		cmocka_unit_test(test_line_ends_and_guard),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_alternative),
		cmocka_unit_test(test_html_only),
		cmocka_unit_test(test_transfer_encodings),
		cmocka_unit_test(test_unknown_charset),
		cmocka_unit_test(test_attachment),
		cmocka_unit_test(test_utf8_repair),
		cmocka_unit_test(test_split_styles),
		cmocka_unit_test(test_split_in_message),
		cmocka_unit_test(test_boundary_crash_guard),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_huge_header),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_no_headers),
		cmocka_unit_test(test_own_message_id),
		cmocka_unit_test(test_text_bound),
		cmocka_unit_test(test_pack_roundtrip),
		cmocka_unit_test(test_unpack_garbage),
		cmocka_unit_test(test_extract_pack),
		cmocka_unit_test(test_parser_reading),
#ifdef GR_TEST_HOOKS
		cmocka_unit_test(test_parser_worker),
		cmocka_unit_test(test_parser_timeout),
		cmocka_unit_test(test_parser_retry),
		cmocka_unit_test(test_parser_pipeline),
		cmocka_unit_test(test_parser_spawner),
#endif
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_maya_examples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
