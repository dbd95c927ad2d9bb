/* SPDX-License-Identifier: MIT */
/* test_extract.c - what a message says (extract.c), its language and
 * register (lang.c), and the greetings made from names (greet.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gravity/extract.h"
#include "gravity/greet.h"
#include "gravity/lang.h"
#include "gravity/message.h"
#include "gravity/util.h"

#include "testlib.h"

static int
has(const gr_strv *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (strstr(v->v[i], s))
			return 1;
	return 0;
}

/* A buyer with three asks, availability, a budget and two phone numbers
 * (the owner's own is not the sender's). */
static void
test_inquiry_text(void **state)
{
	static const char text[] =
		"Hi Maya,\n\n"
		"My partner Devin and I are hoping to buy our first place sometime\n"
		"next spring. We rent in Midtown right now, so we've mostly been\n"
		"looking at Curtis Park and Hollywood Park. Realistically we're\n"
		"thinking somewhere around $525-575k.\n\n"
		"Your website says you do consultations for first-time buyers. Could\n"
		"we set one up? Weekday evenings after 6 or a Saturday morning would\n"
		"be easiest for us.\n\n"
		"Also, do we talk to a lender first or to you first? Dr. Smith said\n"
		"approx. 3 weeks. My number is (916) 555-0142, the office's is "
		"(916) 555-0100.\n\n"
		"Thanks!\nKayla\n";
	gr_extract x;

	(void)state;
	assert_int_equal(gr_extract_text(text, NULL, "(916) 555-0100", &x),
	                 GR_OK);
	assert_int_equal(x.lang, GR_LANG_EN);
	assert_false(x.formal);
	assert_string_equal(x.signoff, "Kayla");
	assert_int_equal(x.questions.n, 2);
	assert_string_equal(x.questions.v[0], "Could we set one up?");
	assert_string_equal(x.questions.v[1], "Also, do we talk to a lender "
	                    "first or to you first?");
	assert_true(has(&x.availability, "Weekday evenings after 6"));
	assert_true(has(&x.timing, "next spring"));
	assert_true(x.later);
	assert_false(x.no_rush);
	/* The short question is quoted with the sentence it leans on, and
	 * the availability after it joins the same block. */
	assert_int_equal(x.asks.n, 2);
	assert_string_equal(x.asks.v[0], "Your website says you do "
	                    "consultations for first-time buyers. Could we set "
	                    "one up? Weekday evenings after 6 or a Saturday "
	                    "morning would be easiest for us.");
	assert_string_equal(x.budget, "$525-575k");
	assert_int_equal(x.phones.n, 1);
	assert_string_equal(x.phones.v[0], "(916) 555-0142");
	assert_true(has(&x.places, "Curtis Park and Hollywood Park"));
	assert_true(has(&x.places, "Midtown"));
	/* No greeting, no sign-off in the clean text and the excerpt. */
	assert_null(strstr(x.text, "Hi Maya"));
	assert_null(strstr(x.text, "Thanks!"));
	assert_null(strstr(x.text, "Kayla"));
	assert_true(gr_startswith_ci(x.excerpt, "My partner Devin"));
	assert_true(strlen(x.excerpt) <= GR_EXTRACT_MAX_EXCERPT);
	gr_extract_free(&x);
}

/* A website form relay: field labels are not the person's words, its
 * fields are read (name, phone, place, date). */
static void
test_web_form(void **state)
{
	static const char text[] =
		"From: Ron Whitaker <ronwhitaker1957@comcast.net>\n"
		"Phone: 916-555-0119\n"
		"Subject: Selling my mother's house\n"
		"Location: Land Park\n"
		"Event date (if any): 08/21/2027\n\n"
		"Message Body:\n"
		"Hello, my mother is moving into assisted living next month. Would\n"
		"we be better off selling as-is or fixing things first? I'd also\n"
		"like to get a sense of what it's worth. I'm available most "
		"afternoons.\n";
	gr_extract x;

	(void)state;
	assert_int_equal(gr_extract_text(text, NULL, NULL, &x), GR_OK);
	assert_true(x.web_form);
	assert_string_equal(x.form_name, "Ron Whitaker");
	assert_string_equal(x.phones.v[0], "916-555-0119");
	assert_true(has(&x.places, "Land Park"));
	assert_true(has(&x.timing, "08/21/2027"));
	assert_null(strstr(x.text, "Phone:"));
	assert_null(strstr(x.text, "Message Body"));
	assert_null(strstr(x.text, "Hello,"));
	assert_int_equal(x.questions.n, 2);     /* one has no '?' */
	assert_true(has(&x.questions, "I'd also like to get a sense"));
	assert_true(has(&x.availability, "most afternoons"));
	assert_true(gr_startswith_ci(x.excerpt, "My mother is moving"));
	gr_extract_free(&x);
}

/* Spanish, formal: the question with ¿, an indirect one, Saturday. */
static void
test_spanish(void **state)
{
	static const char text[] =
		"Buenas tardes, Sra. Torres:\n\n"
		"Mi esposo y yo queremos comprar nuestra primera casa en Elk Grove, y\n"
		"nuestro presupuesto es de alrededor de $480,000.\n\n"
		"\xc2\xbfPodr\xc3\xad" "amos hacer una cita? Mi esposo trabaja entre "
		"semana, as\xc3\xad que un s\xc3\xa1" "bado ser\xc3\xad" "a mejor "
		"para nosotros.\n\n"
		"Tambi\xc3\xa9n quisiera saber si usted habla espa\xc3\xb1ol.\n\n"
		"Atentamente,\nMar\xc3\xad" "a Elena Guti\xc3\xa9rrez\n(916) 555-0163\n";
	gr_extract x;

	(void)state;
	assert_int_equal(gr_extract_text(text, NULL, NULL, &x), GR_OK);
	assert_int_equal(x.lang, GR_LANG_ES);
	assert_true(x.formal);
	assert_int_equal(x.questions.n, 2);
	assert_true(has(&x.questions, "\xc2\xbfPodr\xc3\xad" "amos hacer una "
	                "cita?"));
	assert_true(has(&x.questions, "quisiera saber si usted habla"));
	assert_true(has(&x.availability, "un s\xc3\xa1" "bado"));
	assert_string_equal(x.budget, "$480,000");
	assert_string_equal(x.signoff, "Mar\xc3\xad" "a Elena Guti\xc3\xa9rrez");
	assert_string_equal(x.phones.v[0], "(916) 555-0163");
	assert_null(strstr(x.text, "Sra. Torres"));
	assert_null(strstr(x.text, "Atentamente"));
	gr_extract_free(&x);
}

/* Notes about copies and Bcc, "no rush", a call asked for; dates, prices
 * and zip codes are no phone numbers. */
static void
test_flags_and_shapes(void **state)
{
	static const char text[] =
		"Thanks Nate! (moving you to bcc)\n\n"
		"No rush, we're thinking about selling in the spring. Can you call\n"
		"me? Please copy me on the listing agreement. It cost $3,800 on\n"
		"2026-08-04 in 95819; call 916-555-0178 or +49 40 555-0162.\n";
	gr_extract x;
	char tel[32];

	(void)state;
	assert_int_equal(gr_extract_text(text, NULL, NULL, &x), GR_OK);
	assert_true(x.moved_to_bcc);
	assert_true(x.copy_asked);
	assert_true(x.no_rush);
	assert_true(x.later);
	assert_true(x.wants_call);
	assert_null(strstr(x.text, "bcc"));
	assert_int_equal(x.phones.n, 2);
	assert_string_equal(x.phones.v[0], "916-555-0178");
	assert_string_equal(x.phones.v[1], "+49 40 555-0162");
	assert_null(x.budget);          /* an amount, but no budget */
	gr_extract_tel(x.phones.v[1], tel, sizeof tel);
	assert_string_equal(tel, "+49405550162");
	gr_extract_free(&x);
}

/* Questions in a list, one wrapped onto the next line: each item one
 * sentence, the wrapped one whole; a line after the list is its own. */
static void
test_list_items(void **state)
{
	static const char text[] =
		"Some questions:\n"
		"- Do you work with XLIFF files?\n"
		"- What would be your price per word and how many words you can do per\n"
		"week?\n"
		"  * Can you start\n"
		"    in May?\n"
		"We would be happy for an offer.\n";
	gr_extract x;

	(void)state;
	assert_int_equal(gr_extract_text(text, NULL, NULL, &x), GR_OK);
	assert_int_equal(x.questions.n, 3);
	assert_string_equal(x.questions.v[0], "Do you work with XLIFF files?");
	assert_string_equal(x.questions.v[1], "What would be your price per word "
	                    "and how many words you can do per week?");
	assert_string_equal(x.questions.v[2], "Can you start in May?");
	assert_int_equal(x.timing.n, 0);        /* "in May": no day */
	gr_extract_free(&x);

	/* A day of May is a date; the verb is not. */
	assert_int_equal(gr_extract_text("We may move. Our party is on May 15th."
	                                 "\n", NULL, NULL, &x), GR_OK);
	assert_int_equal(x.timing.n, 1);
	assert_string_equal(x.timing.v[0], "Our party is on May 15th.");
	gr_extract_free(&x);
	assert_int_equal(gr_extract_text("It is on the 15th May, you may come."
	                                 "\n", NULL, NULL, &x), GR_OK);
	assert_int_equal(x.timing.n, 1);
	gr_extract_free(&x);
}

static void
test_phrase_in(void **state)
{
	gr_strv l = { 0 };
	const char *which;

	(void)state;
	assert_int_equal(gr_strv_push(&l, "passed away"), GR_OK);
	assert_int_equal(gr_strv_push(&l, "don't"), GR_OK);
	assert_true(gr_extract_phrase_in("my mother PASSED\n away", &l, &which));
	assert_string_equal(which, "passed away");
	assert_true(gr_extract_phrase_in("we don\xe2\x80\x99t", &l, NULL));
	assert_false(gr_extract_phrase_in("trespassed away", &l, NULL));
	gr_strv_free(&l);
}

static void
test_language(void **state)
{
	static const struct {
		const char *text;
		gr_lang lang;
		int formal;
	} cases[] = {
		{ "Hi Sam, we'd love a new website for our bakery. Do you take "
		  "on projects like this?", GR_LANG_EN, 0 },
		{ "Dear Ms. Torres, I would like to know whether your company "
		  "does inspections. Regards, Bj\xc3\xb6rn", GR_LANG_EN, 1 },
		{ "Hola, \xc2\xbfpodr\xc3\xad" "as ayudarme con la casa? Quiero "
		  "vender antes del verano. Un abrazo", GR_LANG_ES, 0 },
		{ "Bom dia, precisamos de uma tradu\xc3\xa7\xc3\xa3o do nosso "
		  "site para o portugu\xc3\xaas. Voc\xc3\xaa faz isso? "
		  "Atenciosamente", GR_LANG_PT, 1 },
		{ "Bonjour, nous allons nous marier le samedi 11 septembre et "
		  "nous aimerions savoir si vous \xc3\xaates disponible. "
		  "Cordialement", GR_LANG_FR, 1 },
		{ "Guten Tag Herr Weber, wir brauchen Hilfe mit unserem Netzwerk. "
		  "K\xc3\xb6nnen Sie n\xc3\xa4" "chste Woche vorbeikommen? Mit "
		  "freundlichen Gr\xc3\xbc\xc3\x9f" "en", GR_LANG_DE, 1 },
		{ "Hallo Jonas, kannst du dir mal unseren Drucker anschauen? "
		  "Das wäre super. Liebe Grüße", GR_LANG_DE, 0 },
		{ "Buongiorno, vorrei sapere se \xc3\xa8 possibile avere un "
		  "preventivo per il servizio fotografico. Cordiali saluti",
		  GR_LANG_IT, 1 },
		{ "Thanks!", GR_LANG_UNKNOWN, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		gr_lang l = gr_lang_detect(cases[i].text);

		if (l != cases[i].lang)
			fail_msg("case %zu: got \"%s\"", i, gr_lang_code(l));
		if (l && gr_lang_formal(l, cases[i].text) != cases[i].formal)
			fail_msg("case %zu: formal %d", i, !cases[i].formal);
	}
	assert_string_equal(gr_lang_code(GR_LANG_PT), "pt");
	assert_int_equal(gr_lang_from_code("DE"), GR_LANG_DE);
	assert_int_equal(gr_lang_from_code("xx"), GR_LANG_UNKNOWN);
}

static void
greet_is(const char *display, const char *signoff, gr_lang l, int formal,
         const char *want)
{
	gr_name n;
	char g[300];

	gr_name_parse(display, signoff, &n);
	gr_greeting(l, formal, &n, g, sizeof g);
	if (strcmp(g, want) != 0)
		fail_msg("\"%s\": \"%s\", not \"%s\"", display ? display : "(null)",
		         g, want);
}

static void
test_greetings(void **state)
{
	(void)state;
	greet_is("Kayla Brennan", NULL, GR_LANG_EN, 0, "Hi Kayla,");
	greet_is("Dr. Jordan Ames", NULL, GR_LANG_EN, 0, "Dear Dr. Ames,");
	greet_is("JORDAN AMES", NULL, GR_LANG_EN, 0, "Hi Jordan,");
	greet_is("jordan ames", NULL, GR_LANG_EN, 0, "Hi Jordan,");
	greet_is("Lee, Dana", NULL, GR_LANG_EN, 0, "Hi Dana,");
	greet_is("Siobh\xc3\xa1n Kearney, MSN, RN", NULL, GR_LANG_EN, 0,
	         "Hi Siobh\xc3\xa1n,");
	greet_is("Courtney at Nestsite", NULL, GR_LANG_EN, 0, "Hi Courtney,");
	greet_is(NULL, "Kayla", GR_LANG_EN, 0, "Hi Kayla,");
	greet_is("kbrennan@example.com", NULL, GR_LANG_EN, 0, "Hi there,");
	greet_is("Bj\xc3\xb6rn Eklund", NULL, GR_LANG_EN, 1, "Dear Mr. Eklund,");
	greet_is("Alex Quinn", NULL, GR_LANG_EN, 1, "Dear Alex Quinn,");
	greet_is("Mar\xc3\xad" "a Elena Guti\xc3\xa9rrez", NULL, GR_LANG_ES, 1,
	         "Estimada Mar\xc3\xad" "a Elena:");
	greet_is("MAR\xc3\x8d" "A ELENA GUTI\xc3\x89RREZ", NULL, GR_LANG_ES, 0,
	         "Hola, Mar\xc3\xad" "a Elena:");
	greet_is("Sra. Mar\xc3\xad" "a Guti\xc3\xa9rrez", NULL, GR_LANG_ES, 1,
	         "Estimada Sra. Guti\xc3\xa9rrez:");
	greet_is("Herr Thomas Krämer", NULL, GR_LANG_DE, 1,
	         "Guten Tag Herr Krämer,");
	greet_is("Krämer, Thomas", NULL, GR_LANG_DE, 0, "Hallo Thomas,");
	greet_is("Dr. Ines Hartmann", NULL, GR_LANG_DE, 1,
	         "Guten Tag Frau Dr. Hartmann,");
	greet_is("Dr. med. Stefanie Schulte", NULL, GR_LANG_DE, 1,
	         "Guten Tag Frau Dr. med. Schulte,");
	greet_is("Kim Novak", NULL, GR_LANG_DE, 1, "Guten Tag Kim Novak,");
	greet_is("Camille B\xc3\xa9rub\xc3\xa9", NULL, GR_LANG_FR, 1,
	         "Bonjour Madame B\xc3\xa9rub\xc3\xa9,");
	greet_is("Camille B\xc3\xa9rub\xc3\xa9", NULL, GR_LANG_FR, 0,
	         "Bonjour Camille,");
	greet_is("Giuseppina Russo", NULL, GR_LANG_IT, 1,
	         "Gentile Giuseppina Russo,");
	greet_is("Giuseppina Russo", NULL, GR_LANG_IT, 0, "Ciao Giuseppina,");
	greet_is("Helena Vaz", NULL, GR_LANG_PT, 1, "Cara Helena,");
	greet_is("Helena Vaz", NULL, GR_LANG_PT, 0, "Ol\xc3\xa1, Helena,");
	greet_is("Jean Paul Martin", NULL, GR_LANG_FR, 0, "Bonjour Jean Paul,");
	greet_is("Mathieu Caron \xe2\x80\x93 Atelier Reliure", NULL, GR_LANG_FR,
	         0, "Bonjour Mathieu,");
	greet_is(NULL, NULL, GR_LANG_ES, 1, "Buenos d\xc3\xad" "as:");
	greet_is("\xe7\x8e\x8b\xe6\x80\x9d\xe9\x9b\xa8", NULL, GR_LANG_EN, 0,
	         "Hi \xe7\x8e\x8b\xe6\x80\x9d\xe9\x9b\xa8,");
	greet_is("Mary\x01\n Ann\r Smith", NULL, GR_LANG_EN, 0, "Hi Mary Ann,");
}

/* Every question of the labelled maya inquiries is found. */
static void
test_maya_questions(void **state)
{
	static const struct {
		const char *file;
		const char *question;
	} want[] = {
		{ "msg01.eml", "Do we talk to a lender first or to you first?" },
		{ "msg05.eml", "\xc2\xbfPodr\xc3\xad" "amos hacer una cita?" },
		{ "msg08.eml", "Can you call me?" },
		{ "msg26.eml", "Is it still available?" },
		{ "msg26.eml", "Would the sellers consider a 45-day close?" },
		{ "msg30.eml", "Would we be better off selling as-is or fixing "
		  "things first?" },
	};
	gr_parse_limits lim;

	(void)state;
	gr_parse_limits_default(&lim);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		char rel[64], *data;
		size_t len;
		gr_message *m;
		gr_extract x;
		gr_error err;

		snprintf(rel, sizeof rel, "examples/maya/%s", want[i].file);
		assert_int_equal(gr_read_file(tl_shared_or_skip(rel), 1 << 20,
		                              &data, &len, &err), GR_OK);
		assert_int_equal(gr_message_parse(data, len, &lim, &m, &err),
		                 GR_OK);
		assert_int_equal(gr_extract_message(m, NULL, &x), GR_OK);
		if (!has(&x.questions, want[i].question))
			fail_msg("%s: \"%s\" not found", want[i].file,
			         want[i].question);
		gr_extract_free(&x);
		gr_message_free(m);
		free(data);
	}
}

/* auth_of(HEADER, IDS): gr_extract_auth of a message From
 * partner@park.example whose header starts with HEADER, the profile's
 * auth-serv-id being IDS (blank-separated, or "" for none). */
static int
auth_of(const char *head, const char *ids)
{
	char raw[2048], idbuf[256], *save = NULL;
	gr_parse_limits lim;
	gr_message *m;
	gr_error err;
	gr_strv v = { 0 };
	int r;

	snprintf(raw, sizeof raw, "%sFrom: June Park <partner@park.example>\r\n"
	         "To: owner@studio.example\r\nSubject: hello\r\n"
	         "Message-ID: <a1@park.example>\r\n\r\nHello\r\n", head);
	snprintf(idbuf, sizeof idbuf, "%s", ids);
	for (char *w = strtok_r(idbuf, " ", &save); w;
	     w = strtok_r(NULL, " ", &save))
		gr_strv_push(&v, w);
	gr_parse_limits_default(&lim);
	assert_int_equal(gr_message_parse(raw, strlen(raw), &lim, &m, &err),
	                 GR_OK);
	r = gr_extract_auth(m, &v);
	gr_message_free(m);
	gr_strv_free(&v);
	return r;
}

/* Authentication-Results (RFC 8601).  Without auth-serv-id the topmost
 * field is read, whoever wrote it; with it only the owner's servers'
 * fields count: the first with one of their ids and those right below
 * it.  A field a sender wrote below the server's Received (with the
 * server's own id, as a forger would) changes nothing. */
static void
test_auth_results(void **state)
{
	const char *mx_fail = "Authentication-Results: mx.studio.example; "
	                      "spf=fail smtp.mailfrom=park.example; dkim=none; "
	                      "dmarc=fail header.from=park.example\r\n";
	const char *mx_pass = "Authentication-Results: MX.Studio.Example; "
	                      "dkim=pass header.d=park.example\r\n";
	const char *other_pass = "Authentication-Results: relay.other.example; "
	                         "dmarc=pass header.from=park.example\r\n";
	const char *other_none = "Authentication-Results: filter.internal; "
	                         "spf=none; dkim=none\r\n";
	const char *rcvd = "Received: from mail.evil.example by "
	                   "mx.studio.example; Tue, 17 Nov 2026 10:00:00 "
	                   "+0000\r\n";
	char h[1024];

	(void)state;
	assert_int_equal(auth_of("", ""), 0);
	assert_int_equal(auth_of("", "mx.studio.example"), 0);
	/* No id set: the topmost field. */
	assert_int_equal(auth_of(mx_fail, ""), -1);
	assert_int_equal(auth_of(mx_pass, ""), 1);
	snprintf(h, sizeof h, "%s%s", other_pass, mx_fail);
	assert_int_equal(auth_of(h, ""), 1);
	/* With the owner's id: another server's pass above is not taken. */
	assert_int_equal(auth_of(h, "mx.studio.example"), -1);
	/* Nor another's missing results above the owner's server's pass. */
	snprintf(h, sizeof h, "%s%s", other_none, mx_pass);
	assert_int_equal(auth_of(h, ""), -1);
	assert_int_equal(auth_of(h, "mx.studio.example"), 1);
	/* Only other servers' fields: no result. */
	assert_int_equal(auth_of(other_pass, "mx.studio.example"), 0);
	/* A forged pass with the server's id below its Received is the
	 * sender's: ignored. */
	snprintf(h, sizeof h, "%s%s%s", mx_fail, rcvd, mx_pass);
	assert_int_equal(auth_of(h, "mx.studio.example"), -1);
	/* One field per method, one after the other: all are read. */
	snprintf(h, sizeof h, "%sAuthentication-Results: mx.studio.example; "
	         "spf=softfail smtp.mailfrom=park.example\r\n%s", mx_pass, rcvd);
	assert_int_equal(auth_of(h, "mx.studio.example"), 1);
	snprintf(h, sizeof h, "%s%s", mx_fail, mx_pass);
	assert_int_equal(auth_of(h, "mx.studio.example"), 1);
	/* Any of several ids; a version number after the id. */
	snprintf(h, sizeof h, "Authentication-Results: mx2.studio.example 1; "
	         "spf=fail smtp.mailfrom=park.example\r\n%s", other_pass);
	assert_int_equal(auth_of(h, "mx.studio.example mx2.studio.example"),
	                 -1);
	/* A pass for another domain is no pass for the From's. */
	assert_int_equal(auth_of("Authentication-Results: mx.studio.example; "
	                         "dkim=pass header.d=evil.example; spf=pass "
	                         "smtp.mailfrom=evil.example\r\n",
	                         "mx.studio.example"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inquiry_text),
		cmocka_unit_test(test_web_form),
		cmocka_unit_test(test_spanish),
		cmocka_unit_test(test_flags_and_shapes),
		cmocka_unit_test(test_list_items),
		cmocka_unit_test(test_phrase_in),
		cmocka_unit_test(test_language),
		cmocka_unit_test(test_greetings),
		cmocka_unit_test(test_maya_questions),
		cmocka_unit_test(test_auth_results),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
