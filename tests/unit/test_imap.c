/* SPDX-License-Identifier: MIT */
/*
 * test_imap.c - the IMAP response parser on recorded transcripts
 * (tests/data/imap/), and the imap:// source against a private Dovecot on
 * 127.0.0.1 started by tests/dovecot.sh (skipped when Dovecot is absent).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gravity/buf.h"
#include "gravity/imap.h"
#include "gravity/state.h"
#include "gravity/util.h"

#include "testlib.h"

#define MAXLIT (300 * 1024)
#define MAXRESP (8u << 20)

/* The recorded Dovecot session (tests/data/imap/). */
static char *
session(size_t *len)
{
	return tl_slurp(tl_srcpath("tests/data/imap/dovecot-session.txt"), len);
}

/* Parse all of [buf, buf+len) with the stream, feeding step bytes at a
 * time (0: all at once, or split at split when split > 0); summary gets
 * one word per response. */
static gr_status
run_stream(const char *buf, size_t len, size_t step, size_t split,
           gr_buf *summary, size_t *count)
{
	gr_imap_parser *p;
	gr_error err;
	gr_status st = GR_OK;
	size_t off = 0;

	*count = 0;
	assert_int_equal(gr_imap_parser_new(MAXLIT, MAXRESP, &p), GR_OK);
	while (off < len && st == GR_OK) {
		size_t n = step ? step : (split ? (off < split ? split : len - off)
		                                : len);
		gr_imap_resp *r;

		if (n > len - off)
			n = len - off;
		st = gr_imap_parser_feed(p, buf + off, n, &err);
		off += n;
		while (st == GR_OK &&
		       (st = gr_imap_parser_next(p, &r, &err)) == GR_OK) {
			gr_buf_printf(summary, "%s%s/%s/%u/%zu ", r->tag ? r->tag : "*",
			              r->kind == GR_IMAP_CONTINUE ? "+" : "",
			              r->name ? r->name : "", r->number, r->data.n);
			(*count)++;
			gr_imap_resp_free(r);
		}
		if (st == GR_DONE)
			st = GR_OK;
	}
	if (st == GR_OK && gr_imap_parser_pending(p))
		st = GR_DONE;
	gr_imap_parser_free(p);
	return st;
}

static void
test_dovecot_transcript(void **state)
{
	size_t len, used, n = 0, off = 0;
	char *t = session(&len);
	gr_imap_resp *r;
	gr_error err;
	uint64_t uv = 0;
	int saw_inject = 0, saw_uv = 0;

	(void)state;
	while (off < len) {
		assert_int_equal(gr_imap_parse(t + off, len - off, MAXLIT, MAXRESP,
		                               &r, &used, &err), GR_OK);
		off += used;
		n++;
		if (r->kind == GR_IMAP_UNTAGGED && gr_imap_code_is(r, "UIDVALIDITY",
		                                                    &uv))
			saw_uv = 1;
		if (r->kind == GR_IMAP_UNTAGGED && strcmp(r->name, "EXISTS") == 0)
			assert_int_equal(r->number, 4);
		if (r->kind == GR_IMAP_UNTAGGED && strcmp(r->name, "FETCH") == 0 &&
		    r->number == 3 &&
		    gr_imap_fetch_get(&r->data.v[0], "BODY[TEXT]")) {
			/* The body holds "g3 OK", "* 77 FETCH" and "{5}" lines. */
			const gr_imap_val *txt = gr_imap_fetch_get(&r->data.v[0],
			                                           "BODY[TEXT]");

			assert_non_null(txt);
			assert_int_equal(txt->len, 100);
			assert_non_null(strstr(txt->str, "g3 OK fake"));
			assert_non_null(strstr(txt->str, "* 77 FETCH"));
			saw_inject = 1;
		}
		if (r->kind == GR_IMAP_TAGGED)
			assert_string_equal(r->name, "OK");
		gr_imap_resp_free(r);
	}
	assert_int_equal(n, 20);
	assert_true(saw_uv);
	assert_int_equal(uv, 1795404756u);
	assert_true(saw_inject);
	free(t);
}

static void
test_split_every_byte(void **state)
{
	size_t len, c0, c;
	char *t = session(&len);
	gr_buf ref, got;

	(void)state;
	gr_buf_init(&ref, 1u << 20);
	assert_int_equal(run_stream(t, len, 0, 0, &ref, &c0), GR_OK);
	assert_int_equal(c0, 20);
	for (size_t k = 1; k < len; k++) {
		gr_buf_init(&got, 1u << 20);
		assert_int_equal(run_stream(t, len, 0, k, &got, &c), GR_OK);
		assert_int_equal(c, c0);
		assert_string_equal(got.data, ref.data);
		gr_buf_free(&got);
	}
	gr_buf_init(&got, 1u << 20);
	assert_int_equal(run_stream(t, len, 1, 0, &got, &c), GR_OK);
	assert_string_equal(got.data, ref.data);
	gr_buf_free(&got);
	gr_buf_free(&ref);
	free(t);
}

static void
test_truncated_input(void **state)
{
	size_t len, c;
	char *t = session(&len);

	(void)state;
	/* Every prefix: complete responses come out, the rest waits. */
	for (size_t k = 0; k < len; k++) {
		gr_buf s;
		gr_status st;

		gr_buf_init(&s, 1u << 20);
		st = run_stream(t, k, 0, 0, &s, &c);
		assert_true(st == GR_OK || st == GR_DONE);
		assert_true(c <= 20);
		gr_buf_free(&s);
	}
	free(t);
}

static void
test_huge_literal_refused(void **state)
{
	static const char big[] = "* 1 FETCH (UID 1 BODY[] {1099511627776}\r\nxx";
	static const char over[] = "* 1 FETCH (UID 1 BODY[] "
	                           "{99999999999999999999999}\r\n";
	gr_imap_resp *r;
	gr_error err;
	size_t used;

	(void)state;
	assert_int_equal(gr_imap_parse(big, sizeof big - 1, MAXLIT, MAXRESP, &r,
	                               &used, &err), GR_E_LIMIT);
	assert_null(r);
	assert_non_null(strstr(err.msg, "literal"));
	assert_int_equal(gr_imap_parse(over, sizeof over - 1, MAXLIT, MAXRESP,
	                               &r, &used, &err), GR_E_LIMIT);
	/* Just above the cap is refused too, just below waits for bytes. */
	assert_int_equal(gr_imap_parse("* 1 FETCH (X {11}\r\n", 19, 10, MAXRESP,
	                               &r, &used, &err), GR_E_LIMIT);
	assert_int_equal(gr_imap_parse("* 1 FETCH (X {10}\r\n", 19, 10, MAXRESP,
	                               &r, &used, &err), GR_DONE);
	/* A line without end longer than max_response. */
	assert_int_equal(gr_imap_parse("* OK aaaaaaaaaaaaaaaaaaaa", 25, 10, 16,
	                               &r, &used, &err), GR_E_LIMIT);
}

static gr_imap_resp *
parse1(const char *s, gr_status want)
{
	gr_imap_resp *r = NULL;
	gr_error err;
	size_t used;

	assert_int_equal(gr_imap_parse(s, strlen(s), MAXLIT, MAXRESP, &r, &used,
	                               &err), want);
	if (want == GR_OK)
		assert_int_equal(used, strlen(s));
	return r;
}

static void
test_quoted_nil_and_codes(void **state)
{
	gr_imap_resp *r;
	char deep[300];

	(void)state;
	r = parse1("* LIST (\\Noselect) \"/\" \"a \\\"q\\\" \\\\ b\"\r\n", GR_OK);
	assert_string_equal(r->name, "LIST");
	assert_int_equal(r->data.n, 3);
	assert_int_equal(r->data.v[0].type, GR_IMAP_LIST);
	assert_string_equal(r->data.v[0].v[0].str, "\\Noselect");
	assert_string_equal(r->data.v[2].str, "a \"q\" \\ b");
	gr_imap_resp_free(r);

	r = parse1("* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n",
	           GR_OK);
	assert_true(gr_imap_code_is(r, "PERMANENTFLAGS", NULL));
	assert_int_equal(r->code.v[1].n, 3);
	assert_string_equal(r->code.v[1].v[2].str, "\\*");
	assert_string_equal(r->text, "Limited");
	gr_imap_resp_free(r);

	/* RFC 3501 6.4.5 example with NIL, a header-fields key and a
	 * literal. */
	r = parse1("* 12 FETCH (FLAGS (\\Seen) BODY[HEADER.FIELDS (FROM)] {11}\r\n"
	           "From: a@b\r\n ENVELOPE (NIL \"x\") UID 7)\r\n", GR_OK);
	assert_int_equal(r->number, 12);
	assert_int_equal(gr_imap_fetch_get(&r->data.v[0],
	                 "BODY[HEADER.FIELDS (FROM)]")->len, 11);
	assert_int_equal(gr_imap_fetch_get(&r->data.v[0], "ENVELOPE")->v[0].type,
	                 GR_IMAP_NIL);
	assert_int_equal(gr_imap_fetch_get(&r->data.v[0], "UID")->num, 7);
	gr_imap_resp_free(r);

	r = parse1("+ idling\r\n", GR_OK);
	assert_int_equal(r->kind, GR_IMAP_CONTINUE);
	assert_string_equal(r->text, "idling");
	gr_imap_resp_free(r);

	r = parse1("A001 NO [AUTHENTICATIONFAILED] Bad (password)\r\n", GR_OK);
	assert_string_equal(r->tag, "A001");
	assert_string_equal(r->name, "NO");
	assert_string_equal(r->text, "Bad (password)");
	gr_imap_resp_free(r);

	/* Malformed: unclosed list, unterminated quote, stray ')', too deep. */
	assert_null(parse1("* 1 FETCH (UID 1\r\n", GR_E_PROTOCOL));
	assert_null(parse1("* LIST () \"/\" \"abc\r\n", GR_E_PROTOCOL));
	assert_null(parse1("* SEARCH 1 2)\r\n", GR_E_PROTOCOL));
	assert_null(parse1("A1 FETCH 1\r\n", GR_E_PROTOCOL));
	memset(deep, '(', sizeof deep);
	memcpy(deep, "* X ", 4);
	memcpy(deep + sizeof deep - 3, "\r\n", 3);
	assert_null(parse1(deep, GR_E_PROTOCOL));
}

static void
test_bodystructure(void **state)
{
	gr_imap_resp *r;
	gr_imap_part p[8];
	size_t n;

	(void)state;
	/* Nested multipart from Dovecot: mixed(alternative(plain, html), pdf). */
	r = parse1("* 2 FETCH (BODYSTRUCTURE (((\"text\" \"plain\" (\"charset\" "
	           "\"utf-8\") NIL NIL \"quoted-printable\" 54 0 NIL NIL NIL NIL)"
	           "(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 59 0"
	           " NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"inner-b\") NIL"
	           " NIL NIL)(\"application\" \"pdf\" (\"name\" \"brief.pdf\") NIL "
	           "NIL \"base64\" 106 NIL (\"attachment\" (\"filename\" "
	           "\"brief.pdf\")) NIL NIL) \"mixed\" (\"boundary\" \"outer-b\") "
	           "NIL NIL NIL))\r\n", GR_OK);
	assert_int_equal(gr_imap_body_parts(gr_imap_fetch_get(&r->data.v[0],
	                 "BODYSTRUCTURE"), p, 8, &n), GR_OK);
	assert_int_equal(n, 3);
	assert_string_equal(p[0].section, "1.1");
	assert_string_equal(p[0].subtype, "plain");
	assert_false(p[0].attachment);
	assert_string_equal(p[1].section, "1.2");
	assert_string_equal(p[1].subtype, "html");
	assert_string_equal(p[2].section, "2");
	assert_string_equal(p[2].type, "application");
	assert_true(p[2].attachment);
	assert_int_equal(p[2].size, 106);
	/* Bounded: only max parts are kept. */
	assert_int_equal(gr_imap_body_parts(gr_imap_fetch_get(&r->data.v[0],
	                 "BODYSTRUCTURE"), p, 2, &n), GR_OK);
	assert_int_equal(n, 2);
	gr_imap_resp_free(r);

	/* RFC 3501 7.4.2 single part (upper case, no extension data). */
	r = parse1("* 1 FETCH (BODYSTRUCTURE (\"TEXT\" \"PLAIN\" (\"CHARSET\" "
	           "\"US-ASCII\") NIL NIL \"7BIT\" 3028 92))\r\n", GR_OK);
	assert_int_equal(gr_imap_body_parts(&r->data.v[0].v[1], p, 8, &n), GR_OK);
	assert_int_equal(n, 1);
	assert_string_equal(p[0].section, "1");
	assert_string_equal(p[0].type, "text");
	assert_false(p[0].attachment);
	/* Not a body structure. */
	assert_int_equal(gr_imap_body_parts(&r->data.v[0].v[0], p, 8, &n),
	                 GR_E_PROTOCOL);
	gr_imap_resp_free(r);
}

static void
test_uri_and_quote(void **state)
{
	gr_imap_uri u;
	gr_error err;
	gr_buf b;

	(void)state;
	assert_int_equal(gr_imap_uri_parse("imaps://maya%40w@mail.example/Clients"
	                 "%2FActive", &u, &err), GR_OK);
	assert_true(u.implicit_tls);
	assert_string_equal(u.user, "maya@w");
	assert_string_equal(u.host, "mail.example");
	assert_int_equal(u.port, 993);
	assert_string_equal(u.folder, "Clients/Active");
	gr_imap_uri_free(&u);
	assert_int_equal(gr_imap_uri_parse("imap://127.0.0.1:1143", &u, &err),
	                 GR_OK);
	assert_false(u.implicit_tls);
	assert_null(u.user);
	assert_int_equal(u.port, 1143);
	assert_string_equal(u.folder, "INBOX");
	gr_imap_uri_free(&u);
	assert_int_equal(gr_imap_uri_parse("imaps://[::1]:99/X", &u, &err), GR_OK);
	assert_string_equal(u.host, "[::1]");
	gr_imap_uri_free(&u);
	/* A login that is a whole address: the last '@' ends the user. */
	assert_int_equal(gr_imap_uri_parse("imaps://hannah@example.com@imap."
	                 "example.com/INBOX", &u, &err), GR_OK);
	assert_string_equal(u.user, "hannah@example.com");
	assert_string_equal(u.host, "imap.example.com");
	assert_string_equal(u.folder, "INBOX");
	gr_imap_uri_free(&u);
	assert_int_equal(gr_imap_uri_parse("imap://a@b.example@127.0.0.1:1143/"
	                 "Sent Items", &u, &err), GR_OK);
	assert_string_equal(u.user, "a@b.example");
	assert_string_equal(u.host, "127.0.0.1");
	assert_int_equal(u.port, 1143);
	assert_string_equal(u.folder, "Sent Items");
	gr_imap_uri_free(&u);
	/* an '@' in the folder is the folder's */
	assert_int_equal(gr_imap_uri_parse("imaps://u@h/a@b", &u, &err), GR_OK);
	assert_string_equal(u.user, "u");
	assert_string_equal(u.host, "h");
	assert_string_equal(u.folder, "a@b");
	gr_imap_uri_free(&u);
	assert_int_equal(gr_imap_uri_parse("imaps://u:secret@h/", &u, &err),
	                 GR_E_USAGE);
	assert_null(strstr(err.msg, "secret"));
	assert_int_equal(gr_imap_uri_parse("imaps://h:0/", &u, &err), GR_E_USAGE);
	assert_int_equal(gr_imap_uri_parse("pop3://h/", &u, &err), GR_E_USAGE);

	gr_buf_init(&b, 100);
	assert_int_equal(gr_imap_quote(&b, "a \"b\" \\c"), GR_OK);
	assert_string_equal(b.data, "\"a \\\"b\\\" \\\\c\"");
	gr_buf_reset(&b);
	assert_int_equal(gr_imap_quote(&b, "a\r\nb"), GR_E_PARSE);
	/* Mailbox names in modified UTF-7 (RFC 3501 5.1.3; its own example,
	 * a typical localised Sent folder, "&", a character past U+FFFF). */
	{
		static const char *const v[][2] = {
			{ "INBOX", "\"INBOX\"" },
			{ "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/"
			  "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
			  "\"~peter/mail/&U,BTFw-/&ZeVnLIqe-\"" },
			{ "\xc3\x89l\xc3\xa9ments envoy\xc3\xa9s",
			  "\"&AMk-l&AOk-ments envoy&AOk-s\"" },
			{ "R&D \"x\"", "\"R&-D \\\"x\\\"\"" },
			{ "\xf0\x9f\x98\x80", "\"&2D3eAA-\"" },
			{ "", "\"\"" },
		};

		static const char *const bad[] = {
			"&AMk", "&AM-", "&AMk!-", "&2D0-", "&3gA-", "&AAo-",
			"a\tb", "\xc3\x89",
		};
		char *u;

		for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
			gr_buf_reset(&b);
			assert_int_equal(gr_imap_quote_mailbox(&b, v[i][0]), GR_OK);
			assert_string_equal(b.data, v[i][1]);
			/* and back, as LIST gives it (without the quotes and
			 * the backslashes of the quoted string) */
			if (strchr(v[i][0], '"'))
				continue;
			b.data[strlen(b.data) - 1] = '\0';
			assert_int_equal(gr_imap_mailbox_utf8(b.data + 1, &u), GR_OK);
			assert_string_equal(u, v[i][0]);
			free(u);
		}
		assert_int_equal(gr_imap_mailbox_utf8("R&-D", &u), GR_OK);
		assert_string_equal(u, "R&D");
		free(u);
		assert_int_equal(gr_imap_mailbox_utf8("Gesendete Objekte", &u),
		                 GR_OK);
		assert_string_equal(u, "Gesendete Objekte");
		free(u);
		/* cut short, bad padding, a bad character, lone surrogates, a
		 * control, raw bytes */
		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			u = NULL;
			assert_int_equal(gr_imap_mailbox_utf8(bad[i], &u),
			                 GR_E_PARSE);
			assert_null(u);
		}
		gr_buf_reset(&b);
		assert_int_equal(gr_imap_quote_mailbox(&b, "bad\xc3("), GR_E_PARSE);
		gr_buf_reset(&b);
		assert_int_equal(gr_imap_quote_mailbox(&b, "a\rb"), GR_E_PARSE);
		gr_buf_reset(&b);
		assert_int_equal(gr_imap_quote_mailbox(&b, "\xed\xa0\x80"),
		                 GR_E_PARSE);        /* a surrogate */
	}
	gr_buf_free(&b);
}

/* --- against Dovecot --------------------------------------------------- */

typedef struct dv {
	int up;
	char dir[256];
	unsigned port, sport;   /* STARTTLS, implicit TLS */
	char ca[300];
} dv;

static dv D;

static int
sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	r = system(cmd);
	return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

static void
write_big_message(const char *path)
{
	FILE *fp = fopen(path, "w");
	char line[78];

	assert_non_null(fp);
	fputs("From: Big Sender <big@files.example>\r\nTo: maya@studio.example\r\n"
	      "Subject: the 20 MB file\r\nMessage-ID: <big-5@files.example>\r\n"
	      "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=BB\r\n"
	      "\r\n--BB\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
	      "--BB\r\nContent-Type: application/octet-stream\r\n"
	      "Content-Disposition: attachment; filename=big.bin\r\n"
	      "Content-Transfer-Encoding: base64\r\n\r\n", fp);
	memset(line, 'Q', 76);
	line[76] = '\r';
	line[77] = '\n';
	for (int i = 0; i < 20 * 1024 * 1024 / 76; i++)
		fwrite(line, 1, sizeof line, fp);
	fputs("--BB--\r\n", fp);
	assert_int_equal(fclose(fp), 0);
}

#define DVSH "bash -c '. \"%s\"; %s' >/dev/null 2>&1"

static int
dv_setup(void **state)
{
	char big[400], cmd[16384];
	const char *m = tl_srcpath("tests/data/imap/mail");
	char mail[4096];
	FILE *fp;

	(void)state;
	memset(&D, 0, sizeof D);
	if (sh("command -v dovecot >/dev/null && command -v openssl >/dev/null "
	       "&& command -v bash >/dev/null") != 0) {
		print_message("# dovecot or openssl not installed: IMAP server "
		              "tests skipped\n");
		return 0;
	}
	tl_mkdtemp(D.dir, sizeof D.dir, "imap");
	snprintf(mail, sizeof mail, "%s", m);
	snprintf(big, sizeof big, "%s/big.eml", D.dir);
	write_big_message(big);
	snprintf(cmd, sizeof cmd,
	         "set -e; D=%s; M=%s; dv_setup $D; "
	         "dv_msg $D 1700000001.a.h S $M/1-plain.eml; "
	         "dv_msg $D 1700000002.b.h F $M/2-mixed.eml; "
	         "dv_msg $D 1700000003.c.h S $M/3-inject.eml; "
	         "dv_msg $D 1700000004.d.h \"\" $M/4-html.eml; "
	         "dv_msg $D 1700000005.e.h \"\" %s; "
	         "for f in Sent Projects; do mkdir -p $D/home/test/Maildir/.$f/cur "
	         "$D/home/test/Maildir/.$f/new $D/home/test/Maildir/.$f/tmp; done; "
	         "cp $M/1-plain.eml $D/home/test/Maildir/.Projects/cur/1.p.h:2,S; "
	         "sed \"s/^From: .*/From: Maya <maya@studio.example>/; "
	         "s/^Message-ID: .*/Message-ID: <sent-1@studio.example>/\" "
	         "$M/1-plain.eml > $D/home/test/Maildir/.Sent/cur/1.s.h:2,S; "
	         "dv_start $D", D.dir, mail, big);
	if (sh(DVSH, tl_srcpath("tests/servers/dovecot.sh"), cmd) != 0) {
		print_message("# could not start dovecot (see %s/dovecot.log)\n",
		              D.dir);
		return 0;
	}
	snprintf(cmd, sizeof cmd, "%s/ports", D.dir);
	fp = fopen(cmd, "r");
	if (!fp || fscanf(fp, "%u %u", &D.port, &D.sport) != 2)
		return -1;
	fclose(fp);
	snprintf(D.ca, sizeof D.ca, "%s/ca.crt", D.dir);
	D.up = 1;
	return 0;
}

static int
dv_teardown(void **state)
{
	(void)state;
	if (D.dir[0]) {
		char cmd[600];

		snprintf(cmd, sizeof cmd, "dv_stop %s", D.dir);
		sh(DVSH, tl_srcpath("tests/servers/dovecot.sh"), cmd);
		tl_rmtree(D.dir);
	}
	return 0;
}

#define NEED_DOVECOT() do { if (!D.up) skip(); } while (0)

static void
opts_for(struct gr_imap_opts *o)
{
	gr_imap_opts_init(o);
	o->cafile = D.ca;
	o->cred.kind = GR_CRED_PASSCMD;
	o->cred.arg = "printf 'test-pass-123\\n'";
	o->timeout = 10;
	o->connect_timeout = 5;
}

static void
uri_for(char *buf, size_t n, int implicit, const char *folder)
{
	snprintf(buf, n, "%s://test@127.0.0.1:%u/%s", implicit ? "imaps" : "imap",
	         implicit ? D.sport : D.port, folder);
}

/* Flags of every message in INBOX, as one string, read with EXAMINE. */
typedef struct flagsacc { gr_buf b; } flagsacc;

static gr_status
on_flags(const gr_imap_resp *r, void *arg, gr_error *err)
{
	flagsacc *fa = arg;
	const gr_imap_val *f;

	(void)err;
	if (strcmp(r->name, "FETCH") != 0)
		return GR_OK;
	f = gr_imap_fetch_get(&r->data.v[0], "FLAGS");
	gr_buf_printf(&fa->b, "%u:", r->number);
	for (size_t i = 0; f && i < f->n; i++)
		if (!gr_strcaseeq(f->v[i].str, "\\Recent"))
			gr_buf_printf(&fa->b, "%s,", f->v[i].str);
	gr_buf_addc(&fa->b, ' ');
	return GR_OK;
}

static char *
inbox_flags(void)
{
	struct gr_imap_opts o;
	gr_imap_uri u;
	gr_imap_conn *c;
	gr_error err;
	char uri[200];
	flagsacc fa;

	opts_for(&o);
	uri_for(uri, sizeof uri, 1, "INBOX");
	assert_int_equal(gr_imap_uri_parse(uri, &u, &err), GR_OK);
	assert_int_equal(gr_imap_connect(&u, &o, &c, &err), GR_OK);
	assert_int_equal(gr_imap_cmd(c, "EXAMINE INBOX", NULL, NULL, &err), GR_OK);
	gr_buf_init(&fa.b, 1u << 16);
	assert_int_equal(gr_imap_cmd(c, "FETCH 1:* (FLAGS)", on_flags, &fa, &err),
	                 GR_OK);
	gr_imap_close(c);
	gr_imap_uri_free(&u);
	return gr_buf_steal(&fa.b);
}

typedef struct polled {
	int n, sent;
	int plain_ok, mixed_ok, inject_ok, html_ok, big_ok;
	char subjects[4096];
	uint64_t bytes;
} polled;

static gr_status
poll_once(const char *uri, const struct gr_imap_opts *o, gr_state *st,
          polled *p, gr_error *err)
{
	gr_source_opts so = { .state = st, .imap = o };
	gr_raw_msg m;
	void *h;
	gr_status s;

	memset(p, 0, sizeof *p);
	s = gr_driver_imap.open(uri, &so, &h, err);
	if (s != GR_OK) {
		print_message("# %s\n", err->msg);
		return s;
	}
	while ((s = gr_driver_imap.next(h, &m, err)) == GR_OK) {
		char *d = gr_strndup(m.data, m.len);

		assert_non_null(d);
		assert_non_null(m.source_id);
		assert_true(m.uid > 0 && m.uidvalidity > 0);
		p->n++;
		p->sent += m.is_sent;
		if (strstr(d, "<plain-1@") && strstr(d, "quote for a logo"))
			p->plain_ok = 1;
		if (strstr(d, "<mixed-2@") && strstr(d, "meet Carla =E2=80=94") &&
		    strstr(d, "application/pdf") && strstr(d, "brief.pdf") &&
		    !strstr(d, "JVBERi0") && !strstr(d, "<p>Hi Maya") &&
		    !strstr(d, "outer-b"))
			p->mixed_ok = 1;
		if (strstr(d, "<inject-3@") && strstr(d, "g3 OK fake") &&
		    strstr(d, "* 77 FETCH"))
			p->inject_ok = 1;
		if (strstr(d, "<html-4@") && strstr(d, "Weekly digest: 3"))
			p->html_ok = 1;
		if (strstr(d, "<big-5@") && strstr(d, "See attached.") &&
		    strstr(d, "big.bin") && m.len < 4096)
			p->big_ok = 1;
		if (strlen(p->subjects) < sizeof p->subjects - 200) {
			const char *s1 = strstr(d, "Subject: ");

			if (s1)
				strncat(p->subjects, s1 + 9, strcspn(s1 + 9, "\r\n"));
			strcat(p->subjects, "|");
		}
		free(d);
		s = gr_driver_imap.done(h, &m, err);
		assert_int_equal(s, GR_OK);
	}
	if (s != GR_DONE)
		print_message("# %s\n", err->msg);
	p->bytes = gr_imap_source_bytes(h);
	gr_driver_imap.close(h);
	return s == GR_DONE ? GR_OK : s;
}

static gr_state *
new_state(const char *name)
{
	char path[400];
	gr_state *st;
	gr_error err;

	snprintf(path, sizeof path, "%s/%s.db", D.dir, name);
	assert_int_equal(gr_state_open(path, &st, &err), GR_OK);
	return st;
}

static void
test_full_poll_readonly(void **state)
{
	struct gr_imap_opts o;
	const char *folders[] = { "Projects" };
	char uri[200], *before, *after;
	gr_state *st;
	gr_error err;
	polled p;

	(void)state;
	NEED_DOVECOT();
	before = inbox_flags();
	assert_non_null(strstr(before, "\\Seen"));
	assert_non_null(strstr(before, "\\Flagged"));
	opts_for(&o);
	o.sent_folder = "Sent";
	o.folders = folders;
	o.nfolders = 1;
	o.batch = 2;            /* several batches */
	uri_for(uri, sizeof uri, 1, "INBOX");
	st = new_state("full");
	assert_int_equal(poll_once(uri, &o, st, &p, &err), GR_OK);
	assert_int_equal(p.n, 7);       /* 5 INBOX + 1 Projects + 1 Sent */
	assert_int_equal(p.sent, 1);
	assert_true(p.plain_ok);
	assert_true(p.mixed_ok);
	assert_true(p.inject_ok);
	assert_true(p.html_ok);
	assert_true(p.big_ok);
	/* The 20 MB attachment was never downloaded. */
	assert_true(p.bytes < 256 * 1024);
	after = inbox_flags();
	assert_string_equal(before, after);
	/* Second poll: nothing new. */
	assert_int_equal(poll_once(uri, &o, st, &p, &err), GR_OK);
	assert_int_equal(p.n, 0);
	assert_true(p.bytes < 4096);
	gr_state_close(st);
	free(before);
	free(after);
}

static void
test_incremental_and_uidvalidity(void **state)
{
	struct gr_imap_opts o;
	char uri[200], cmd[16384];
	gr_state *st;
	gr_error err;
	polled p;

	(void)state;
	NEED_DOVECOT();
	opts_for(&o);
	uri_for(uri, sizeof uri, 1, "INBOX");
	st = new_state("incr");
	assert_int_equal(poll_once(uri, &o, st, &p, &err), GR_OK);
	/* 5 INBOX + the Sent folder, found by \Sent (no sent_folder set) */
	assert_int_equal(p.n, 6);
	assert_int_equal(p.sent, 1);
	snprintf(cmd, sizeof cmd, "dv_doveadm %s save -u test -m INBOX < %s",
	         D.dir, tl_srcpath("tests/data/imap/mail/4-html.eml"));
	assert_int_equal(sh(DVSH, tl_srcpath("tests/servers/dovecot.sh"), cmd),
	                 0);
	assert_int_equal(poll_once(uri, &o, st, &p, &err), GR_OK);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.subjects, "Your weekly digest|");

	/* A recreated mailbox has a new UIDVALIDITY: everything again. */
	uri_for(uri, sizeof uri, 1, "Projects");
	assert_int_equal(poll_once(uri, &o, st, &p, &err), GR_OK);
	assert_int_equal(p.n, 1);
	assert_int_equal(poll_once(uri, &o, st, &p, &err), GR_OK);
	assert_int_equal(p.n, 0);
	snprintf(cmd, sizeof cmd, "sleep 1; dv_doveadm %s mailbox delete -u test "
	         "Projects && dv_doveadm %s mailbox create -u test Projects && "
	         "dv_doveadm %s save -u test -m Projects < %s", D.dir, D.dir,
	         D.dir, tl_srcpath("tests/data/imap/mail/1-plain.eml"));
	assert_int_equal(sh(DVSH, tl_srcpath("tests/servers/dovecot.sh"), cmd),
	                 0);
	assert_int_equal(poll_once(uri, &o, st, &p, &err), GR_OK);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.subjects, "Quote for a logo?|");
	gr_state_close(st);
}

static void
test_starttls_and_credentials(void **state)
{
	struct gr_imap_opts o;
	char uri[200], netrc[400];
	gr_error err;
	polled p;
	FILE *fp;

	(void)state;
	NEED_DOVECOT();
	opts_for(&o);
	uri_for(uri, sizeof uri, 0, "Sent");
	assert_int_equal(poll_once(uri, &o, NULL, &p, &err), GR_OK);
	assert_int_equal(p.n, 1);
	/* password from the environment */
	setenv("GR_TEST_IMAP_PW", "test-pass-123", 1);
	o.cred.kind = GR_CRED_ENV;
	o.cred.arg = "GR_TEST_IMAP_PW";
	assert_int_equal(poll_once(uri, &o, NULL, &p, &err), GR_OK);
	/* from a netrc file */
	snprintf(netrc, sizeof netrc, "%s/netrc", D.dir);
	fp = fopen(netrc, "w");
	assert_non_null(fp);
	fprintf(fp, "machine 127.0.0.1 login test password test-pass-123\n");
	fclose(fp);
	o.cred.kind = GR_CRED_NETRC;
	o.cred.arg = netrc;
	assert_int_equal(poll_once(uri, &o, NULL, &p, &err), GR_OK);
	assert_int_equal(p.n, 1);
}

static void
test_failures(void **state)
{
	struct gr_imap_opts o;
	char uri[200], cmd[4096];
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	gr_error err;
	polled p;
	unsigned wport = 0;
	int fd;
	FILE *fp;

	(void)state;
	NEED_DOVECOT();
	opts_for(&o);
	uri_for(uri, sizeof uri, 1, "INBOX");
	/* wrong password: GR_E_AUTH, and the secret is not in the message */
	o.cred.arg = "printf 'wrong-secret-42\\n'";
	o.cred.origin = "work.conf:7";
	assert_int_equal(poll_once(uri, &o, NULL, &p, &err), GR_E_AUTH);
	assert_null(strstr(err.msg, "wrong-secret-42"));
	assert_non_null(strstr(err.msg, "127.0.0.1"));
	/* it says which user was tried and where the password came from */
	assert_non_null(strstr(err.msg, "user 'test'"));
	assert_non_null(strstr(err.msg, "passcmd (work.conf:7)"));
	/* passcmd failing */
	o.cred.arg = "exit 3";
	assert_int_equal(poll_once(uri, &o, NULL, &p, &err), GR_E_AUTH);
	/* self-signed (private CA) without cafile: GR_E_TLS */
	opts_for(&o);
	o.cafile = NULL;
	assert_int_equal(poll_once(uri, &o, NULL, &p, &err), GR_E_TLS);
	uri_for(uri, sizeof uri, 0, "INBOX");
	assert_int_equal(poll_once(uri, &o, NULL, &p, &err), GR_E_TLS);
	/* connection refused: GR_E_NET */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	snprintf(uri, sizeof uri, "imaps://test@127.0.0.1:%u/INBOX",
	         ntohs(sa.sin_port));
	assert_int_equal(poll_once(uri, &o, NULL, &p, &err), GR_E_NET);
	assert_non_null(strstr(err.msg, "127.0.0.1:"));
	/* a certificate for another name: GR_E_TLS even with the right CA */
	snprintf(cmd, sizeof cmd, "mkdir -p %s/w && cp %s/*.crt %s/*.key "
	         "%s/passwd %s/w/ && cp -r %s/home %s/w/ && dv_start %s/w wrong",
	         D.dir, D.dir, D.dir, D.dir, D.dir, D.dir, D.dir, D.dir);
	if (sh(DVSH, tl_srcpath("tests/servers/dovecot.sh"), cmd) != 0)
		fail_msg("second dovecot did not start");
	snprintf(cmd, sizeof cmd, "%s/w/ports", D.dir);
	fp = fopen(cmd, "r");
	assert_non_null(fp);
	assert_int_equal(fscanf(fp, "%*u %u", &wport), 1);
	fclose(fp);
	opts_for(&o);
	snprintf(uri, sizeof uri, "imaps://test@127.0.0.1:%u/INBOX", wport);
	assert_int_equal(poll_once(uri, &o, NULL, &p, &err), GR_E_TLS);
	snprintf(cmd, sizeof cmd, "dv_stop %s/w", D.dir);
	sh(DVSH, tl_srcpath("tests/servers/dovecot.sh"), cmd);
}

int
main(void)
{
	/* One group (one TAP plan): the parser tests do not need the
	 * server, but share the run. */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dovecot_transcript),
		cmocka_unit_test(test_split_every_byte),
		cmocka_unit_test(test_truncated_input),
		cmocka_unit_test(test_huge_literal_refused),
		cmocka_unit_test(test_quoted_nil_and_codes),
		cmocka_unit_test(test_bodystructure),
		cmocka_unit_test(test_uri_and_quote),
		cmocka_unit_test(test_full_poll_readonly),
		cmocka_unit_test(test_incremental_and_uidvalidity),
		cmocka_unit_test(test_starttls_and_credentials),
		cmocka_unit_test(test_failures),
	};

	return cmocka_run_group_tests_name("imap", tests, dv_setup, dv_teardown);
}
