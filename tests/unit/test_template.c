/* SPDX-License-Identifier: MIT */
/* test_template.c - template loading, diagnostics and rendering. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gravity/template.h"

static gr_template *
load_ok(const char *text)
{
	gr_template *t = NULL;
	gr_diags d = { 0 };

	assert_int_equal(gr_template_load_mem("t.txt", text, strlen(text), &t,
	                                      &d), GR_OK);
	assert_int_equal(d.n, 0);
	gr_diags_free(&d);
	return t;
}

static void
test_subject_and_body(void **state)
{
	static const gr_var vars[] = {
		{ "sender_first_name", "Dana" },
		{ "subject", "kitchen remodel" },
		{ "owner_name", "Maya Torres" },
	};
	gr_template *t;
	char *subj, *body;

	(void)state;
	t = load_ok("Subject: Re: {{subject}}\r\n\r\nHi {{ sender_first_name }},"
	            "\r\n\r\n{{owner_name}} here.\r\n");
	assert_int_equal(gr_template_render(t, vars, 3, &subj, &body, NULL),
	                 GR_OK);
	assert_string_equal(subj, "Re: kitchen remodel");
	assert_string_equal(body, "Hi Dana,\n\nMaya Torres here.\n");
	assert_true(gr_template_uses(t, "owner_name"));
	assert_false(gr_template_uses(t, "signature"));
	free(subj);
	free(body);
	gr_template_free(t);
}

static void
test_body_only_and_fallback(void **state)
{
	static const gr_var vars[] = {
		{ "sender_first_name", "" },
		{ "partner_name", NULL },
		{ "owner_first_name", "Maya" },
	};
	gr_template *t;
	char *subj, *body;

	(void)state;
	/* "Note:" is not a header: the whole file is body. */
	t = load_ok("Note: hi {{sender_first_name|there}} from "
	            "{{owner_first_name|me}} and {{partner_name|a friend}}"
	            "{{service}}.\n}} stays");
	assert_int_equal(gr_template_render(t, vars, 3, &subj, &body, NULL),
	                 GR_OK);
	assert_null(subj);
	assert_string_equal(body, "Note: hi there from Maya and a friend.\n}} stays");
	free(body);
	gr_template_free(t);
}

static void
expect_diag(const char *text, unsigned line, unsigned col, const char *what)
{
	gr_template *t = NULL;
	gr_diags d = { 0 };

	assert_int_equal(gr_template_load_mem("bad.txt", text, strlen(text), &t,
	                                      &d), GR_E_CONFIG);
	assert_null(t);
	assert_true(d.n >= 1);
	assert_string_equal(d.v[0].file, "bad.txt");
	assert_int_equal(d.v[0].line, line);
	assert_int_equal(d.v[0].col, col);
	assert_non_null(strstr(d.v[0].msg, what));
	gr_diags_free(&d);
}

static void
test_diagnostics(void **state)
{
	(void)state;
	expect_diag("Hello\n  {{sendr_name}}\n", 2, 3, "unknown placeholder "
	            "\"sendr_name\"");
	expect_diag("Subject: x\n\nline\nab {{subject\n}}", 4, 4, "unclosed");
	expect_diag("Subject: {{nope}}\n\nbody", 1, 10, "\"nope\"");
	expect_diag("Subject: ok\nX-Foo: bar\n\nbody", 2, 1, "unknown template "
	            "header");
	expect_diag("a {{}} b", 1, 3, "bad placeholder");
	expect_diag("a {{sender name}} b", 1, 3, "bad placeholder");
	expect_diag("caf\xc3 {{subject}}", 0, 0, "UTF-8");
}

static void
test_known_vars(void **state)
{
	static const char *need[] = {
		"owner_name", "owner_first_name", "owner_email", "owner_org",
		"sender_name", "sender_first_name", "sender_email", "subject",
		"service", "service_label", "partner_name", "partner_first_name",
		"partner_email", "partner_org", "introducer_name",
		"introducer_first_name", "introducer_email", "new_contact_name",
		"new_contact_first_name", "new_contact_email", "excerpt",
		"signature", "date",
	};
	const char *const *kv = gr_template_known_vars();

	(void)state;
	for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
		int found = 0;

		for (size_t j = 0; kv[j]; j++)
			found |= strcmp(kv[j], need[i]) == 0;
		assert_true(found);
	}
}

static char *
render_body(const char *text, const gr_var *vars, size_t n)
{
	gr_template *t = load_ok(text);
	char *subj = NULL, *body = NULL;

	assert_int_equal(gr_template_render(t, vars, n, &subj, &body, NULL),
	                 GR_OK);
	free(subj);
	gr_template_free(t);
	return body;
}

static void
test_conditionals(void **state)
{
	static const gr_var vars[] = {
		{ "questions", "Is it still available?\nCan we see it Saturday?" },
		{ "budget", "$690k" },
		{ "timing", "" },
		{ "formal", "0" },
		{ "sender_first_name", "Tyler" },
	};
	char *b;

	(void)state;
	/* Block tags alone on their lines take their line with them. */
	b = render_body("Hi {{sender_first_name}},\n"
	                "{{#if questions}}\n"
	                "To your questions:\n"
	                "{{#each questions}}\n"
	                "> {{.}}\n"
	                "[...]\n"
	                "{{/each}}\n"
	                "{{/if}}\n"
	                "{{#unless timing}}\n"
	                "When would you like to move?\n"
	                "{{/unless}}\n"
	                "Budget: {{#if budget}}{{budget}}{{else}}none{{/if}}.\n"
	                "{{#if formal}}Regards{{else}}Best{{/if}}\n", vars, 5);
	assert_string_equal(b, "Hi Tyler,\nTo your questions:\n"
	                    "> Is it still available?\n[...]\n"
	                    "> Can we see it Saturday?\n[...]\n"
	                    "When would you like to move?\n"
	                    "Budget: $690k.\nBest\n");
	free(b);
	/* An empty list renders the {{else}} of its {{#each}}; nesting. */
	b = render_body("{{#each timing}}x{{else}}no timing{{/each}}|"
	                "{{#if budget}}{{#unless formal}}{{#if questions}}"
	                "deep{{/if}}{{/unless}}{{/if}}", vars, 5);
	assert_string_equal(b, "no timing|deep");
	free(b);
	/* Unset variables are false; a missing variable too. */
	b = render_body("{{#if place}}p{{else}}-{{/if}}{{#unless place}}u"
	                "{{/unless}}", vars, 5);
	assert_string_equal(b, "-u");
	free(b);
	/* An item's note after a tab: {{.}} is the item, {{.note}} the note
	 * (none: empty). */
	{
		static const gr_var nv[] = {
			{ "asks", "How much?\t your price\nAny news?" },
		};

		b = render_body("{{#each asks}}> {{.}}\n[...{{.note}}]\n{{/each}}",
		                nv, 1);
		assert_string_equal(b, "> How much?\n[... your price]\n"
		                    "> Any news?\n[...]\n");
		free(b);
	}
}

static void
test_block_diagnostics(void **state)
{
	(void)state;
	expect_diag("a\n{{#if questions}}\nb\n", 2, 1, "never closed");
	expect_diag("a {{/if}}", 1, 3, "without a block");
	expect_diag("{{#if budget}}x{{/each}}", 1, 16, "different word");
	expect_diag("{{else}}", 1, 1, "outside a block");
	expect_diag("a {{.note}}", 1, 3, "outside {{#each}}");
	expect_diag("{{#if budget}}a{{else}}b{{else}}c{{/if}}", 1, 25,
	            "second {{else}}");
	expect_diag("{{#each budget}}{{.}}{{/each}}", 1, 1, "not a list");
	expect_diag("{{.}}", 1, 1, "outside {{#each}}");
	expect_diag("x {{#if nope}}y{{/if}}", 1, 3, "unknown placeholder");
	expect_diag("x {{#iff budget}}y", 1, 3, "bad block");
	expect_diag("{{#each questions}}{{#each asks}}{{/each}}{{/each}}", 1,
	            20, "inside another");
	/* A placeholder nested in a fallback is an error, not "...}}". */
	expect_diag("Subject: {{subject|{{owner_name}}}}\n\nbody", 1, 10,
	            "nested placeholder");
	expect_diag("ok\n  {{ {{subject}} }}", 2, 3, "nested placeholder");
}

static void
test_load_file(void **state)
{
	char path[] = "/tmp/gr-tpl-XXXXXX";
	int fd = mkstemp(path);
	gr_template *t = NULL;
	gr_diags d = { 0 };
	static const char text[] = "Body {{excerpt}} {{bogus}}\n";

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof text - 1), sizeof text - 1);
	close(fd);
	assert_int_equal(gr_template_load(path, &t, &d), GR_E_CONFIG);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].file, path);
	assert_int_equal(d.v[0].col, 18);
	gr_diags_free(&d);
	unlink(path);
	assert_int_equal(gr_template_load(path, &t, &d), GR_E_CONFIG);
	assert_int_equal(d.n, 1);
	gr_diags_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subject_and_body),
		cmocka_unit_test(test_body_only_and_fallback),
		cmocka_unit_test(test_diagnostics),
		cmocka_unit_test(test_known_vars),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_conditionals),
		cmocka_unit_test(test_block_diagnostics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
