/* SPDX-License-Identifier: MIT */
/* test_draft.c - .eml drafts, parsed back with libetpan (and Python's
 * email package when python3 is installed). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libetpan/libetpan.h>

#include "gravity/draft.h"

static const char body_text[] =
	"Hi Dana,\n"
	"\n"
	"Thanks for writing \xe2\x80\x94 caf\xc3\xa9 = 100% sure.  Trailing space \n"
	"From the start of a line.\n"
	"A very long line that goes on and on well past the seventy-six column "
	"limit of quoted-printable so that soft line breaks are needed, with "
	"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9 accents near "
	"the breaks ==== and tabs\t.\n"
	"\n"
	"> quoted line\n"
	"Last line without newline\t";

/* Decode an RFC 2047 header value to UTF-8 (caller frees). */
static char *
decode(const char *v)
{
	size_t idx = 0;
	char *out = NULL;

	assert_int_equal(mailmime_encoded_phrase_parse("utf-8", v, strlen(v),
	                 &idx, "utf-8", &out), MAILIMF_NO_ERROR);
	return out;
}

static void
check_lines(const char *s)
{
	const char *body = strstr(s, "\r\n\r\n");
	const char *p = s;

	assert_non_null(body);
	while (*p) {
		const char *nl = strstr(p, "\r\n");
		size_t n;

		assert_non_null(nl);                    /* ends with CRLF */
		n = (size_t)(nl - p);
		assert_null(memchr(p, '\n', n));        /* no bare LF */
		assert_null(memchr(p, '\r', n));        /* no bare CR */
		assert_true(n <= (p > body ? 76 : 78));
		p = nl + 2;
	}
}

static void
draft_init(gr_draft *d, gr_addr *to, gr_addr *cc, gr_addr *bcc,
           gr_strv *refs)
{
	memset(d, 0, sizeof *d);
	d->from.name = "Maya Torres";
	d->from.addr = "maya@torreshomes.com";
	to->name = "Lee, Dana \"DL\"";
	to->addr = "dana@example.com";
	cc->name = "Jos\xc3\xa9 N\xc3\xba\xc3\xb1""ez-Garc\xc3\xad""a de la "
	           "Torre y Villalobos";
	cc->addr = "jose@example.org";
	bcc->name = NULL;
	bcc->addr = "intro@example.net";
	d->to.v = to;
	d->to.n = 1;
	d->cc.v = cc;
	d->cc.n = 1;
	d->bcc.v = bcc;
	d->bcc.n = 1;
	d->subject = "Re: K\xc3\xbc""chenumbau \xe2\x80\x94 a rather long subject "
	             "line that needs more than one encoded word to carry it";
	d->in_reply_to = "CAF1234567890abcdef@mail.gmail.com";
	for (int i = 0; i < 6; i++) {
		char id[80];

		snprintf(id, sizeof id, "%d.long-message-identifier-%d@mx.example."
		         "com", i, i * 7919);
		assert_int_equal(gr_strv_push(refs, id), GR_OK);
	}
	d->references = refs;
	d->message_id = "gravity.0123456789abcdef.reply@torreshomes.com";
	d->date = 1795600800;   /* Wed, 25 Nov 2026 10:00:00 +0000 */
	d->body = body_text;
}

static void
test_render_and_parse(void **state)
{
	gr_draft d;
	gr_addr to, cc, bcc;
	gr_strv refs = { 0 };
	char *s = NULL, *v, *dec = NULL, *want;
	gr_error err;
	size_t idx = 0, declen = 0, i, j;
	struct mailimf_fields *f = NULL;
	struct mailimf_single_fields sf;
	struct mailimf_mailbox *mb;
	clistiter *it;

	(void)state;
	draft_init(&d, &to, &cc, &bcc, &refs);
	assert_int_equal(gr_draft_render(&d, &s, &err), GR_OK);
	check_lines(s);
	assert_non_null(strstr(s, "\r\nDate: Wed, 25 Nov 2026 10:00:00 +0000\r\n"));
	free(s);
	/* The Date in the owner's zone (PST), format=flowed declared. */
	d.utc_offset_min = -480;
	d.flowed = 1;
	assert_int_equal(gr_draft_render(&d, &s, &err), GR_OK);
	assert_non_null(strstr(s, "\r\nDate: Wed, 25 Nov 2026 02:00:00 -0800\r\n"));
	assert_non_null(strstr(s, "text/plain; charset=UTF-8; format=flowed\r\n"));
	d.utc_offset_min = 0;
	d.flowed = 0;
	free(s);
	assert_int_equal(gr_draft_render(&d, &s, &err), GR_OK);
	assert_non_null(strstr(s, "\r\nMIME-Version: 1.0\r\n"));
	assert_non_null(strstr(s, "Content-Type: text/plain; charset=UTF-8\r\n"));
	assert_non_null(strstr(s, "Content-Transfer-Encoding: "
	                       "quoted-printable\r\n"));
	assert_non_null(strstr(s, "\r\n=46rom the start"));
	assert_non_null(strstr(s, "Trailing space=20\r\n"));

	assert_int_equal(mailimf_fields_parse(s, strlen(s), &idx, &f),
	                 MAILIMF_NO_ERROR);
	mailimf_single_fields_init(&sf, f);
	assert_non_null(sf.fld_subject);
	v = decode(sf.fld_subject->sbj_value);
	assert_string_equal(v, d.subject);
	free(v);
	mb = clist_content(clist_begin(sf.fld_from->frm_mb_list->mb_list));
	assert_string_equal(mb->mb_addr_spec, "maya@torreshomes.com");
	assert_string_equal(mb->mb_display_name, "Maya Torres");
	assert_non_null(sf.fld_to);
	it = clist_begin(sf.fld_to->to_addr_list->ad_list);
	mb = ((struct mailimf_address *)clist_content(it))->ad_data.ad_mailbox;
	assert_string_equal(mb->mb_addr_spec, "dana@example.com");
	assert_string_equal(mb->mb_display_name, "Lee, Dana \"DL\"");
	it = clist_begin(sf.fld_cc->cc_addr_list->ad_list);
	mb = ((struct mailimf_address *)clist_content(it))->ad_data.ad_mailbox;
	assert_string_equal(mb->mb_addr_spec, "jose@example.org");
	v = decode(mb->mb_display_name);
	assert_string_equal(v, cc.name);
	free(v);
	assert_non_null(sf.fld_bcc);
	assert_string_equal(sf.fld_message_id->mid_value, d.message_id);
	assert_string_equal(clist_content(clist_begin(
	                    sf.fld_in_reply_to->mid_list)), d.in_reply_to);
	i = 0;
	for (it = clist_begin(sf.fld_references->mid_list); it;
	     it = clist_next(it))
		assert_string_equal(clist_content(it), refs.v[i++]);
	assert_int_equal(i, refs.n);
	mailimf_fields_free(f);

	/* The body decodes back to the text, with CRLF line ends. */
	v = strstr(s, "\r\n\r\n") + 4;
	idx = 0;
	assert_int_equal(mailmime_part_parse(v, strlen(v), &idx,
	                 MAILMIME_MECHANISM_QUOTED_PRINTABLE, &dec, &declen),
	                 MAILIMF_NO_ERROR);
	want = malloc(sizeof body_text * 2 + 2);
	for (i = j = 0; body_text[i]; i++) {
		if (body_text[i] == '\n')
			want[j++] = '\r';
		want[j++] = body_text[i];
	}
	want[j++] = '\r';
	want[j++] = '\n';
	assert_int_equal(declen, j);
	assert_memory_equal(dec, want, j);
	mmap_string_unref(dec);
	free(want);

	/* Python's strict parser, when available, reports no defect. */
	if (system("python3 -c 'import email.policy' >/dev/null 2>&1") == 0) {
		char path[] = "/tmp/gr-draft-XXXXXX", cmd[512];
		int fd = mkstemp(path);

		assert_true(fd >= 0);
		assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
		close(fd);
		snprintf(cmd, sizeof cmd, "python3 -c '"
		         "import email, email.policy, sys\n"
		         "m = email.message_from_bytes(open(sys.argv[1], \"rb\")"
		         ".read(), policy=email.policy.default)\n"
		         "d = list(m.defects)\n"
		         "for k in m.keys(): d += m[k].defects\n"
		         "assert m.get_content().startswith(\"Hi Dana\"), 1\n"
		         "assert \"K\\u00fcchen\" in m[\"subject\"], 2\n"
		         "sys.exit(1 if d else 0)' %s", path);
		assert_int_equal(system(cmd), 0);
		unlink(path);
	}
	free(s);
	gr_strv_free(&refs);
}

static void
test_no_header_injection(void **state)
{
	gr_draft d;
	gr_addr to, cc, bcc;
	gr_strv refs = { 0 };
	char *s = NULL;
	gr_error err;

	(void)state;
	draft_init(&d, &to, &cc, &bcc, &refs);
	d.subject = "Hello\r\nBcc: evil@attacker.example\r\nX-Evil: 1\0more";
	to.name = "Dana\r\nX-Evil: 2";
	d.in_reply_to = "abc@x\r\nX-Evil: 3";
	d.message_id = NULL;
	assert_int_equal(gr_draft_render(&d, &s, &err), GR_OK);
	check_lines(s);
	assert_null(strstr(s, "\nX-Evil"));
	assert_null(strstr(s, "\nBcc: evil"));
	assert_non_null(strstr(s, "Subject: HelloBcc: evil@attacker.example"));
	/* A made-up Message-ID in the sender's domain. */
	assert_non_null(strstr(s, "\r\nMessage-ID: <gravity."));
	assert_non_null(strstr(s, "@torreshomes.com>\r\n"));
	free(s);

	to.addr = "dana@example.com>, evil@attacker.example";
	assert_int_equal(gr_draft_render(&d, &s, &err), GR_E_PARSE);
	assert_null(s);
	assert_non_null(strstr(err.msg, "To"));
	to.addr = "dana@example.com";
	d.to.n = 0;
	assert_int_equal(gr_draft_render(&d, &s, &err), GR_E_PARSE);
	gr_strv_free(&refs);
}

/* Wrapping after the text is filled in: soft breaks end with a blank,
 * quotes keep their prefix, the signature separator and short lines are
 * kept, a long word is not cut, no line passes the width. */
static void
test_wrap(void **state)
{
	static const char in[] =
		"Hi Kayla,\n"
		"\n"
		"Thank you for getting in touch about buyer representation; I'm "
		"glad you reached out, and happy to help you both.\n"
		"> Your website says you do consultations for first-time buyers. "
		"Could we set one up?\n"
		"https://example.com/a/very/long/link/that/cannot/be/broken/anywhere"
		"/at/all/really ok\n"
		"-- \n"
		"Maya";
	char *w = gr_draft_wrap(in, 40);
	const char *p;

	(void)state;
	assert_non_null(w);
	assert_string_equal(w,
		"Hi Kayla,\n"
		"\n"
		"Thank you for getting in touch about \n"
		"buyer representation; I'm glad you \n"
		"reached out, and happy to help you both.\n"
		"> Your website says you do consultations \n"
		"> for first-time buyers. Could we set \n"
		"> one up?\n"
		"https://example.com/a/very/long/link/that/cannot/be/broken/anywhere"
		"/at/all/really \n"
		"ok\n"
		"-- \n"
		"Maya\n");
	for (p = w; *p; p += strcspn(p, "\n") + 1)
		assert_true(strcspn(p, "\n") <= 41 ||
		            gr_startswith_ci(p, "https://"));
	free(w);
}

/* A 20 KB Subject token (the subject is capped at 2,000 bytes, then
 * folded): no header line passes 998 octets (RFC 5322 section 2.1.1), and
 * unfolded the Subject is the token with a blank at each cut. */
static void
test_long_token_folded(void **state)
{
	gr_draft d;
	gr_addr to, cc, bcc;
	gr_strv refs = { 0 };
	char *s = NULL, *tok, *p, *end, *subj;
	size_t longest = 0, n = 0;
	gr_error err;

	(void)state;
	draft_init(&d, &to, &cc, &bcc, &refs);
	tok = malloc(20001);
	assert_non_null(tok);
	for (int i = 0; i < 20000; i++)
		tok[i] = (char)('a' + i % 26);
	tok[20000] = '\0';
	d.subject = tok;
	assert_int_equal(gr_draft_render(&d, &s, &err), GR_OK);
	end = strstr(s, "\r\n\r\n");
	assert_non_null(end);
	for (p = s; p < end; ) {
		char *nl = strstr(p, "\r\n");

		if ((size_t)(nl - p) > longest)
			longest = (size_t)(nl - p);
		p = nl + 2;
	}
	assert_true(longest <= 998);
	assert_true(longest > 900);             /* cut where the line ends */
	/* The Subject unfolded: every CRLF before a blank removed. */
	p = strstr(s, "\r\nSubject: ") + 11;
	subj = malloc(strlen(p) + 1);
	assert_non_null(subj);
	while (!(p[0] == '\r' && p[1] == '\n' && p[2] != ' ')) {
		if (p[0] == '\r' && p[1] == '\n')
			p += 2;
		subj[n++] = *p++;
	}
	subj[n] = '\0';
	/* blanks at the cuts only: the rest is the token's first 2,000 */
	for (size_t i = 0, k = 0; i < n; i++) {
		if (subj[i] == ' ')
			continue;
		assert_int_equal(subj[i], tok[k]);
		k++;
		if (i == n - 1)
			assert_int_equal(k, 2000);
	}
	free(subj);
	free(s);
	free(tok);
	gr_strv_free(&refs);
}

static void
test_addr_spec(void **state)
{
	(void)state;
	assert_true(gr_addr_spec_valid("dana@example.com"));
	assert_true(gr_addr_spec_valid("first.last+tag@sub.example.co.uk"));
	assert_false(gr_addr_spec_valid(NULL));
	assert_false(gr_addr_spec_valid("dana"));
	assert_false(gr_addr_spec_valid("@example.com"));
	assert_false(gr_addr_spec_valid("a@b@c"));
	assert_false(gr_addr_spec_valid("a b@example.com"));
	assert_false(gr_addr_spec_valid("a@example.com\r\nBcc: x@y"));
	assert_false(gr_addr_spec_valid(".a@example.com"));
	assert_false(gr_addr_spec_valid("a..b@example.com"));
	assert_false(gr_addr_spec_valid("<a@example.com>"));
}

static void
test_reply_subject(void **state)
{
	static const char *const cases[][2] = {
		{ "kitchen question", "Re: kitchen question" },
		{ "Re: kitchen question", "Re: kitchen question" },
		{ "RE: kitchen", "Re: kitchen" },
		{ "re:kitchen", "Re: kitchen" },
		{ "Re[2]: kitchen", "Re: kitchen" },
		{ "Re(3): kitchen", "Re: kitchen" },
		{ "Aw: Re: Sv: kitchen", "Re: kitchen" },
		{ "AW: kitchen", "Re: kitchen" },
		{ "Antw: kitchen", "Re: kitchen" },
		{ "SV: kitchen", "Re: kitchen" },
		{ "Fwd: intro to Dana", "Re: Fwd: intro to Dana" },
		{ "Re: Fwd: intro", "Re: Fwd: intro" },
		{ "Reply needed", "Re: Reply needed" },
		{ "Research: data", "Re: Research: data" },
		{ "Re[x]: odd", "Re: Re[x]: odd" },
		{ "  ", "Re:" },
		{ "Hi\r\nBcc: x", "Re: HiBcc: x" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *r = gr_reply_subject(cases[i][0]);

		assert_string_equal(r, cases[i][1]);
		free(r);
	}
}

/* gr_draft_id: "gravity.", 32 hex digits, the domain; the same for the
 * same key and name, another for another key or name; a buffer too short
 * is an error, not a cut ID. */
static void
test_draft_id(void **state)
{
	unsigned char k1[GR_DRAFT_KEY_LEN], k2[GR_DRAFT_KEY_LEN];
	char a[128], b[128], c[128], small[40];

	(void)state;
	memset(k1, 1, sizeof k1);
	memcpy(k2, k1, sizeof k2);
	k2[31] ^= 0x80;
	assert_int_equal(gr_draft_id(k1, "0123456789abcdef-ask-partner",
	                 "@x.example", a, sizeof a), GR_OK);
	assert_int_equal(strlen(a), strlen("gravity.") + 32 +
	                 strlen("@x.example"));
	assert_int_equal(strncmp(a, "gravity.", 8), 0);
	assert_int_equal(strspn(a + 8, "0123456789abcdef"), 32);
	assert_string_equal(a + 40, "@x.example");
	assert_int_equal(gr_draft_id(k1, "0123456789abcdef-ask-partner",
	                 "@x.example", b, sizeof b), GR_OK);
	assert_string_equal(a, b);
	assert_int_equal(gr_draft_id(k2, "0123456789abcdef-ask-partner",
	                 "@x.example", c, sizeof c), GR_OK);
	assert_string_not_equal(a, c);
	assert_int_equal(gr_draft_id(k1, "0123456789abcdef-offer",
	                 "@x.example", c, sizeof c), GR_OK);
	assert_string_not_equal(a, c);
	/* no key: one of this process's, the same for its life */
	assert_int_equal(gr_draft_id(NULL, "n", NULL, b, sizeof b), GR_OK);
	assert_int_equal(gr_draft_id(NULL, "n", NULL, c, sizeof c), GR_OK);
	assert_string_equal(b, c);
	assert_string_equal(b + 40, "@localhost");
	assert_int_equal(gr_draft_id(k1, "n", "@x.example", small, sizeof small),
	                 GR_E_NOMEM);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_and_parse),
		cmocka_unit_test(test_no_header_injection),
		cmocka_unit_test(test_long_token_folded),
		cmocka_unit_test(test_addr_spec),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_reply_subject),
		cmocka_unit_test(test_draft_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
