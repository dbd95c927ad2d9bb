/* SPDX-License-Identifier: MIT */
/*
 * test_rules.c - the rules loader: layering, profile/services/partners,
 * phrase lists, and every lint diagnostic (FILE:LINE:COL).
 */
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

#include "gravity/classify.h"
#include "gravity/owner.h"
#include "gravity/pattern.h"
#include "gravity/rules.h"

#include "testlib.h"

/* A scratch rules directory. */
typedef struct scratch {
	char dir[PATH_MAX];
} scratch;

static void
sc_init(scratch *s)
{
	tl_mkdtemp(s->dir, sizeof s->dir, "rules");
}

static void
sc_file(scratch *s, const char *rel, const char *text)
{
	tl_write(s->dir, rel, text);
}

static void
sc_free(scratch *s)
{
	assert_int_equal(tl_rmtree(s->dir), 0);
}

/* Load one dir; return the status, diags in *d. */
static gr_status
sc_load(scratch *s, gr_diags *d, gr_rules **r)
{
	const char *dirs[1] = { s->dir };

	return gr_rules_load(dirs, 1, r, d);
}

/* 1 if d holds an entry for file (suffix), line, col whose message
 * contains needle. col 0: any column. */
static int
has_diag(const gr_diags *d, const char *file, unsigned line, unsigned col,
         const char *needle, int warning)
{
	size_t fl = strlen(file);

	for (size_t i = 0; i < d->n; i++) {
		const gr_diag *g = &d->v[i];
		size_t gl = strlen(g->file);

		if (gl >= fl && strcmp(g->file + gl - fl, file) == 0 &&
		    g->line == line && (col == 0 || g->col == col) &&
		    strstr(g->msg, needle) && g->warning == warning)
			return 1;
	}
	gr_diags_print(d, stdout);
	return 0;
}

/* Load text as the only .rules file and return the diagnostics. */
static gr_status
lint_rules(const char *text, gr_diags *d)
{
	scratch s;
	gr_rules *r = NULL;
	gr_status st;

	sc_init(&s);
	sc_file(&s, "t.rules", text);
	st = sc_load(&s, d, &r);
	gr_rules_free(r);
	sc_free(&s);
	return st;
}

#define OK_RULE "rule ok\n\tdescribe \"d\"\n\tsubject ~ /x/\n" \
	"\tscore inquiry 1 out_of_scope 1 referral_intro 1 cold_pitch 1\n"

static void
test_lint_unknown_keyword(void **state)
{
	gr_diags d = { 0 };

	(void)state;
	assert_int_equal(lint_rules(OK_RULE "rulez x\n"
	                            "rule a\n\tdescribe \"d\"\n"
	                            "\tsubjekt ~ /x/\n", &d), GR_E_CONFIG);
	assert_true(has_diag(&d, "t.rules", 5, 1, "unknown keyword 'rulez'",
	                     0));
	assert_true(has_diag(&d, "t.rules", 8, 2, "unknown keyword or field "
	                     "'subjekt'", 0));
	gr_diags_free(&d);
}

static void
test_lint_bad_regex(void **state)
{
	gr_diags d = { 0 };

	(void)state;
	assert_int_equal(lint_rules(OK_RULE "rule a\n\tdescribe \"d\"\n"
	                            "\tbody ~ /(unclosed/\n"
	                            "\tscore inquiry 1\n", &d), GR_E_CONFIG);
	assert_true(has_diag(&d, "t.rules", 7, 9, "missing closing "
	                     "parenthesis at offset 9", 0));
	gr_diags_free(&d);
	assert_int_equal(lint_rules(OK_RULE "rule a\n\tdescribe \"d\"\n"
	                            "\tbody ~ /x/q\n", &d), GR_E_CONFIG);
	assert_true(has_diag(&d, "t.rules", 7, 9, "unknown regex flag 'q'",
	                     0));
	gr_diags_free(&d);
}

static void
test_lint_duplicate_and_undefined(void **state)
{
	gr_diags d = { 0 };

	(void)state;
	assert_int_equal(lint_rules(OK_RULE
	                            "rule ok\n\tdescribe \"again\"\n"
	                            "\tsubject ~ /y/\n"
	                            "rule b\n\tdescribe \"d\"\n"
	                            "\tbody ~ @nosuchlist\n"
	                            "\tall ok not nosuchrule\n"
	                            "\tscore other 1\n", &d), GR_E_CONFIG);
	assert_true(has_diag(&d, "t.rules", 5, 6, "duplicate rule name 'ok'",
	                     0));
	assert_true(has_diag(&d, "t.rules", 10, 9, "undefined list "
	                     "'@nosuchlist'", 0));
	assert_true(has_diag(&d, "t.rules", 11, 13, "undefined rule "
	                     "'nosuchrule'", 0));
	gr_diags_free(&d);
}

static void
test_lint_description_class_score(void **state)
{
	gr_diags d = { 0 };

	(void)state;
	assert_int_equal(lint_rules(OK_RULE "rule nodesc\n\tsubject ~ /x/\n"
	                            "\tscore inquiry 1\n"
	                            "rule badclass\n\tdescribe \"d\"\n"
	                            "\tsubject ~ /x/\n"
	                            "\tscore enquiry 2, other x\n", &d),
	                 GR_E_CONFIG);
	assert_true(has_diag(&d, "t.rules", 5, 1, "rule 'nodesc' has no "
	                     "description", 0));
	assert_true(has_diag(&d, "t.rules", 11, 8, "unknown class 'enquiry'",
	                     0));
	gr_diags_free(&d);
}

static void
test_lint_unreachable_class(void **state)
{
	gr_diags d = { 0 };

	(void)state;
	/* An error: no message could ever get those classes. */
	assert_int_equal(lint_rules("rule a\n\tdescribe \"d\"\n"
	                            "\tsubject ~ /x/\n\tscore inquiry 1\n",
	                            &d), GR_E_CONFIG);
	assert_true(has_diag(&d, "", 0, 0, "class 'cold_pitch'", 0));
	assert_true(has_diag(&d, "", 0, 0, "class 'referral_intro'", 0));
	assert_true(has_diag(&d, "", 0, 0, "class 'out_of_scope'", 0));
	assert_int_equal(gr_diags_errors(&d), 3);
	gr_diags_free(&d);
}

static void
test_lint_class_reached_by_override(void **state)
{
	scratch s;
	gr_diags d = { 0 };
	gr_rules *r = NULL;

	(void)state;
	sc_init(&s);
	sc_file(&s, "t.rules", "rule a\n\tdescribe \"d\"\n"
	        "\tsubject ~ /x/\n\tscore inquiry 1 out_of_scope 1\n");
	sc_file(&s, "overrides", "sender a@b.example always cold_pitch\n"
	        "domain c.example always referral_intro\n"
	        "domain d.example never out_of_scope\n");
	assert_int_equal(sc_load(&s, &d, &r), GR_OK);
	assert_int_equal(gr_diags_errors(&d), 0);
	gr_rules_free(r);
	gr_diags_free(&d);
	sc_free(&s);
}

static void
test_lint_cycle_and_lists(void **state)
{
	gr_diags d = { 0 };

	(void)state;
	assert_int_equal(lint_rules(OK_RULE "rule a\n\tdescribe \"d\"\n\tb\n"
	                            "rule b\n\tdescribe \"d\"\n\tany a\n"
	                            "list empty\n"
	                            "list bad\n\t\"ok\", /[z-a]/\n", &d),
	                 GR_E_CONFIG);
	assert_true(has_diag(&d, "t.rules", 5, 1, "refers to itself", 0));
	assert_true(has_diag(&d, "t.rules", 11, 1, "list 'empty' has no "
	                     "phrases", 0));
	assert_true(has_diag(&d, "t.rules", 13, 8, "range out of order", 0));
	gr_diags_free(&d);
}

static void
test_lint_partners(void **state)
{
	scratch s;
	gr_diags d = { 0 };
	gr_rules *r = NULL;

	(void)state;
	sc_init(&s);
	sc_file(&s, "services", "offer web \"Websites\"\n\tphrases website\n"
	        "refer photo \"Photography\"\n\tphrases photographer\n"
	        "sell x \"y\"\nphrases photo\n");
	sc_file(&s, "partners", "partner \"No Mail\"\n\tserves photo\n"
	        "partner \"Ann\"\n\temail ann@photo.example\n"
	        "\tserves photo, video\n\tfax 123\n");
	assert_int_equal(sc_load(&s, &d, &r), GR_E_CONFIG);
	assert_null(r);
	assert_true(has_diag(&d, "services", 5, 1, "unknown services keyword "
	                     "'sell'", 0));
	assert_true(has_diag(&d, "services", 6, 1, "'phrases' belongs to the "
	                     "offer or refer line above it: indent it", 0));
	assert_true(has_diag(&d, "partners", 1, 1, "partner 'No Mail' has no "
	                     "email", 0));
	assert_true(has_diag(&d, "partners", 5, 16, "unknown service 'video'",
	                     0));
	assert_true(has_diag(&d, "partners", 6, 2, "unknown partner field "
	                     "'fax'", 0));
	gr_diags_free(&d);
	sc_free(&s);
}

/* Addresses as people copy them from a From line: "<ann@x.example>" in
 * the profile, "partner "Name" <address>" (or the bare address) on a
 * partner's first line. */
static void
test_address_forms(void **state)
{
	scratch s;
	gr_diags d = { 0 };
	gr_rules *r = NULL;
	const gr_owner *o;

	(void)state;
	sc_init(&s);
	sc_file(&s, "profile", "name Ann Lee\nemail <Ann@Lee.example>\n"
	        "timezone Europe/Berlin\nhours mon-fri 09:00-17:00\n");
	sc_file(&s, "services", "refer photo \"Photography\"\n"
	        "\tphrases photographer\n");
	sc_file(&s, "partners", "partner \"Bea Lund\" <Bea@Lund.example>\n"
	        "\tserves photo\n"
	        "partner Cy Ode cy@ode.example\n\tserves photo\n"
	        "partner \"Di Fox\"\n\temail <di@fox.example>\n");
	assert_int_equal(sc_load(&s, &d, &r), GR_OK);
	o = gr_rules_owner(r);
	assert_string_equal(gr_owner_profile(o)->emails.v[0], "ann@lee.example");
	assert_int_equal(gr_owner_n_partners(o), 3);
	assert_string_equal(gr_owner_partner(o, 0)->name, "Bea Lund");
	assert_string_equal(gr_owner_partner(o, 0)->email, "bea@lund.example");
	assert_string_equal(gr_owner_partner(o, 1)->name, "Cy Ode");
	assert_string_equal(gr_owner_partner(o, 1)->email, "cy@ode.example");
	assert_string_equal(gr_owner_partner(o, 2)->email, "di@fox.example");
	gr_rules_free(r);
	gr_diags_free(&d);
	sc_free(&s);
	/* a name alone still wants an address, and says how to give one */
	sc_init(&s);
	sc_file(&s, "partners", "partner \"No Mail\"\n");
	assert_int_equal(sc_load(&s, &d, &r), GR_E_CONFIG);
	assert_true(has_diag(&d, "partners", 1, 1, "has no email address: add "
	                     "an indented line 'email ADDRESS'", 0));
	gr_diags_free(&d);
	sc_free(&s);
}

static void
test_lint_profile(void **state)
{
	scratch s;
	gr_diags d = { 0 };
	gr_rules *r = NULL;

	(void)state;
	sc_init(&s);
	sc_file(&s, "profile", "name Ann\n"
	        "timezone Mars/Olympus_Mons\n"
	        "hours mon-fri 9h00-17:00\n"
	        "hours xyz 09:00-17:00\n"
	        "hours sat 14:00-10:00\n"
	        "holiday 2026-02-30\n"
	        "email not-an-address\n"
	        "favourite colour\n");
	assert_int_equal(sc_load(&s, &d, &r), GR_E_CONFIG);
	assert_true(has_diag(&d, "profile", 2, 10, "unknown time zone "
	                     "'Mars/Olympus_Mons'", 0));
	assert_true(has_diag(&d, "profile", 3, 15, "bad hours '9h00-17:00'",
	                     0));
	assert_true(has_diag(&d, "profile", 4, 7, "bad day range 'xyz'", 0));
	assert_true(has_diag(&d, "profile", 5, 11, "bad hours", 0));
	assert_true(has_diag(&d, "profile", 6, 9, "bad date '2026-02-30'", 0));
	assert_true(has_diag(&d, "profile", 7, 7, "bad address", 0));
	assert_true(has_diag(&d, "profile", 8, 1, "unknown profile keyword "
	                     "'favourite'", 0));
	gr_diags_free(&d);
	sc_free(&s);
}

static void
test_lint_overrides(void **state)
{
	scratch s;
	gr_diags d = { 0 };
	gr_rules *r = NULL;

	(void)state;
	sc_init(&s);
	sc_file(&s, "overrides", "sender a@b.example always other\n"
	        "sender a@b.example sometimes other\n"
	        "domain b.example never spam\n"
	        "domain a@b.example never other\n"
	        "person x always other\n"
	        "sender a@b.example always\n");
	assert_int_equal(sc_load(&s, &d, &r), GR_E_CONFIG);
	assert_true(has_diag(&d, "overrides", 2, 20, "want 'always' or "
	                     "'never'", 0));
	assert_true(has_diag(&d, "overrides", 3, 24, "unknown class 'spam'",
	                     0));
	assert_true(has_diag(&d, "overrides", 4, 8, "is not a domain", 0));
	assert_true(has_diag(&d, "overrides", 5, 1, "want 'sender", 0));
	assert_true(has_diag(&d, "overrides", 6, 1, "want 'sender", 0));
	gr_diags_free(&d);
	sc_free(&s);
}

static void
test_profile_values(void **state)
{
	scratch s;
	gr_diags d = { 0 };
	gr_rules *r = NULL;
	const gr_profile *p;

	(void)state;
	sc_init(&s);
	sc_file(&s, "profile", "name \"Ann Lee\"\norg Lee Studio\n"
	        "email Ann@Lee.example\nemail ann.lee@mail.example\n"
	        "timezone Europe/Berlin\nhours mon-fri 09:00-18:00\n"
	        "hours sat 9:30-14:00\nholiday 2026-12-25\n"
	        "signature\n\tAnn Lee\n\tLee Studio # not a comment?\n");
	assert_int_equal(sc_load(&s, &d, &r), GR_OK);
	p = gr_owner_profile(gr_rules_owner(r));
	assert_string_equal(p->name, "Ann Lee");
	assert_string_equal(p->org, "Lee Studio");
	assert_int_equal(p->emails.n, 2);
	assert_string_equal(p->emails.v[0], "ann@lee.example");
	assert_true(gr_owner_is_owner(gr_rules_owner(r), "ANN@lee.example"));
	assert_false(gr_owner_is_owner(gr_rules_owner(r), "bob@lee.example"));
	assert_string_equal(p->timezone, "Europe/Berlin");
	assert_int_equal(p->week[0].open, -1);
	assert_int_equal(p->week[1].open, 9 * 60);
	assert_int_equal(p->week[5].close, 18 * 60);
	assert_int_equal(p->week[6].open, 9 * 60 + 30);  /* 9:30 as 09:30 */
	assert_int_equal(p->week[6].close, 14 * 60);
	assert_string_equal(p->holidays.v[0], "2026-12-25");
	assert_string_equal(p->signature, "Ann Lee\nLee Studio");
	gr_rules_free(r);
	gr_diags_free(&d);
	sc_free(&s);
}

/* Several hour ranges a day (one line or two: a lunch break), overlaps
 * reported, holiday ranges, a service's "say" lines, a partner's phone,
 * templates by language two levels down, the layers of one file. */
static void
test_owner_extras(void **state)
{
	scratch s, u;
	const char *dirs[2], *layers[4];
	gr_diags d = { 0 };
	gr_rules *r = NULL;
	const gr_profile *p;
	const gr_service *sv;
	const gr_partner *pa;

	(void)state;
	sc_init(&s);
	sc_init(&u);
	sc_file(&s, "profile", "name Ann\nemail ann@lee.example\n"
	        "timezone Europe/Berlin\nhours mon-fri 09:00-12:30\n"
	        "hours mon-fri 13:30-18:00\nhours sat 08:00-10:00,16:00-18:00\n"
	        "hours sun 9-13\n"
	        "holiday 2026-12-24..2027-01-02 2027-05-01\n");
	sc_file(&s, "services", "offer buying \"Buyer representation\"\n"
	        "\tphrases buy\n\tsay \"buying a home\"\n"
	        "\tsay es \"la compra de su casa\"\n"
	        "refer plumbing Plumbing\n\tphrases plumber\n");
	sc_file(&s, "partners", "partner \"Bob Kessler\"\n\temail bob@k.example\n"
	        "\tphone \"(916) 555-0111\"\n\tserves plumbing\n");
	sc_file(&s, "templates/es/inquiry.txt", "Hola\n");
	sc_file(&s, "tone", "act now\n");
	sc_file(&u, "tone", "circle back\n");
	dirs[0] = s.dir;
	dirs[1] = u.dir;
	assert_int_equal(gr_rules_load(dirs, 2, &r, &d), GR_OK);
	p = gr_owner_profile(gr_rules_owner(r));
	assert_int_equal(p->week[1].open, 9 * 60);
	assert_int_equal(p->week[1].close, 12 * 60 + 30);
	assert_int_equal(p->week[1].n_more, 1);
	assert_int_equal(p->week[1].more[0].open, 13 * 60 + 30);
	assert_int_equal(p->week[1].more[0].close, 18 * 60);
	assert_int_equal(p->week[6].n_more, 1);
	assert_int_equal(p->week[6].more[0].open, 16 * 60);
	/* whole hours */
	assert_int_equal(p->week[0].open, 9 * 60);
	assert_int_equal(p->week[0].close, 13 * 60);
	assert_string_equal(p->holidays.v[0], "2026-12-24..2027-01-02");
	assert_string_equal(p->holidays.v[1], "2027-05-01");
	sv = gr_owner_service_by_key(gr_rules_owner(r), "buying");
	assert_string_equal(gr_owner_service_say(sv, NULL), "buying a home");
	assert_string_equal(gr_owner_service_say(sv, "es"),
	                    "la compra de su casa");
	assert_null(gr_owner_service_say(sv, "de"));
	pa = gr_owner_partner_for(gr_rules_owner(r), "plumbing");
	assert_string_equal(pa->phone, "(916) 555-0111");
	assert_non_null(gr_rules_file(r, "templates/es/inquiry.txt"));
	assert_int_equal(gr_rules_file_layers(r, "tone", layers, 4), 2);
	assert_true(strstr(layers[0], s.dir) == layers[0]);
	assert_true(strstr(layers[1], u.dir) == layers[1]);
	gr_rules_free(r);
	gr_diags_free(&d);
	sc_free(&u);
	/* Overlapping ranges and backwards holiday ranges are errors. */
	sc_file(&s, "profile", "name Ann\nhours mon 09:00-17:00\n"
	        "hours mon 12:00-13:00\nholiday 2027-01-02..2026-12-24\n"
	        "hours tue 09:00-10:00,09:30-11:00\n");
	assert_int_equal(sc_load(&s, &d, &r), GR_E_CONFIG);
	assert_true(has_diag(&d, "profile", 3, 11, "overlap 09:00-17:00", 0));
	assert_true(has_diag(&d, "profile", 4, 9, "bad date", 0));
	assert_true(has_diag(&d, "profile", 5, 11, "overlap", 0));
	gr_diags_free(&d);
	sc_free(&s);
}

static void
test_layering_and_files(void **state)
{
	scratch a, b;
	const char *dirs[2];
	gr_diags d = { 0 };
	gr_rules *r = NULL;
	const char *f;

	(void)state;
	sc_init(&a);
	sc_init(&b);
	sc_file(&a, "profile", "name Base\n");
	sc_file(&a, "x.rules", OK_RULE);
	sc_file(&a, "actions", "# base\n");
	sc_file(&a, "templates/inquiry.txt", "hello\n");
	sc_file(&b, "profile", "name User\n");
	sc_file(&b, "y.rules", "rule mine\n\tdescribe \"d\"\n"
	        "\tall ok\n\tscore other 1\n");
	sc_file(&b, "templates/inquiry.txt", "hi\n");
	dirs[0] = a.dir;
	dirs[1] = b.dir;
	assert_int_equal(gr_rules_load(dirs, 2, &r, &d), GR_OK);
	assert_string_equal(gr_owner_profile(gr_rules_owner(r))->name, "User");
	assert_int_equal(gr_rules_n_rules(r), 2);
	f = gr_rules_file(r, "actions");
	assert_non_null(f);
	assert_non_null(strstr(f, a.dir));
	f = gr_rules_file(r, "templates/inquiry.txt");
	assert_non_null(f);
	assert_non_null(strstr(f, b.dir));
	assert_null(gr_rules_file(r, "tone"));
	gr_rules_free(r);
	gr_diags_free(&d);

	/* the same name in the later layer replaces the earlier file */
	sc_file(&b, "x.rules", "rule other_one\n\tdescribe \"d\"\n"
	        "\tsubject ~ /z/\n\tscore cold_pitch 1\n");
	assert_int_equal(gr_rules_load(dirs, 2, &r, &d), GR_E_CONFIG);
	assert_true(has_diag(&d, "y.rules", 3, 6, "undefined rule 'ok'", 0));
	gr_diags_free(&d);
	sc_free(&a);
	sc_free(&b);
}

static void
test_services_partners(void **state)
{
	char d0[4096], d1[4096];
	const char *dirs[2] = { d0, d1 };
	gr_diags d = { 0 };
	gr_rules *r = NULL;
	const gr_service *sv;
	const gr_partner *p;

	(void)state;
	snprintf(d0, sizeof d0, "%s/rules", tl_srcdir());
	snprintf(d1, sizeof d1, "%s/tests/personas/maya", tl_srcdir());
	assert_int_equal(gr_rules_load(dirs, 2, &r, &d), GR_OK);
	gr_diags_print(&d, stdout);
	assert_int_equal(d.n, 0);       /* no warnings either */
	assert_int_equal(gr_owner_n_services(gr_rules_owner(r)), 12);
	sv = gr_owner_service_by_key(gr_rules_owner(r), "plumbing");
	assert_non_null(sv);
	assert_false(sv->offered);
	assert_true(gr_owner_service_by_key(gr_rules_owner(r), "selling")->offered);
	p = gr_owner_partner_for(gr_rules_owner(r), "plumbing");
	assert_non_null(p);
	assert_string_equal(p->email, "bob@kesslerplumbing.com");
	assert_string_equal(p->org, "Kessler Plumbing");
	assert_null(gr_owner_partner_for(gr_rules_owner(r), "selling"));
	assert_int_equal(gr_owner_n_partners(gr_rules_owner(r)), 7);
	assert_string_equal(gr_owner_profile(gr_rules_owner(r))->name, "Maya Torres");
	assert_true(gr_rules_threshold(r) > 0);
	gr_rules_free(r);
	gr_diags_free(&d);
}

static void
test_default_rules_clean(void **state)
{
	char d0[4096];
	const char *dirs[1] = { d0 };
	gr_diags d = { 0 };
	gr_rules *r = NULL;
	gr_rule_info ri;

	(void)state;
	snprintf(d0, sizeof d0, "%s/rules", tl_srcdir());
	assert_int_equal(gr_rules_load(dirs, 1, &r, &d), GR_OK);
	gr_diags_print(&d, stdout);
	assert_int_equal(d.n, 0);
	assert_true(gr_rules_n_rules(r) > 10);
	for (size_t i = 0; i < gr_rules_n_rules(r); i++) {
		assert_int_equal(gr_rules_rule_info(r, i, &ri), 0);
		assert_non_null(ri.desc);
		assert_true(ri.line > 0);
	}
	assert_int_equal(gr_rules_rule_info(r, gr_rules_n_rules(r), &ri), -1);
	gr_rules_free(r);
	gr_diags_free(&d);
}

/* Phrase lists: word boundaries, blanks, typographic apostrophes. */
static void
test_phrase_matching(void **state)
{
	scratch s;
	gr_diags d = { 0 };
	gr_rules *r = NULL;
	gr_message m;
	gr_verdict v;
	gr_error err;
	static const struct {
		const char *body;
		gr_class want;
	} cases[] = {
		{ "I\xe2\x80\x99""d like to   introduce you", GR_CLASS_INQUIRY },
		{ "i'd LIKE to introduce you", GR_CLASS_INQUIRY },
		{ "we reintroduce you", GR_CLASS_OTHER },
		{ "a quick call", GR_CLASS_COLD_PITCH },
		{ "a 15-minute call", GR_CLASS_COLD_PITCH },
		{ "a 15 minute call", GR_CLASS_COLD_PITCH },
		{ "quickcall", GR_CLASS_OTHER },
	};

	(void)state;
	sc_init(&s);
	sc_file(&s, "t.rules", "list intro\n\t\"I'd like to introduce\"\n"
	        "list call\n\t\"quick call\", /\\b\\d+-?\\s?minute call/\n"
	        "rule i\n\tdescribe \"intro\"\n\tbody ~ @intro\n"
	        "\tscore inquiry 5\n"
	        "rule c\n\tdescribe \"call\"\n\tbody ~ @call\n"
	        "\tscore cold_pitch 5, out_of_scope 0.1, referral_intro 0.1\n");
	assert_int_equal(sc_load(&s, &d, &r), GR_OK);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&m, 0, sizeof m);
		m.subject = (char *)"";
		m.text = m.new_text = (char *)cases[i].body;
		assert_int_equal(gr_classify(r, &m, NULL, &v, &err), GR_OK);
		if (v.cls != cases[i].want)
			printf("# case %zu: %s\n", i, gr_class_name(v.cls));
		assert_int_equal(v.cls, cases[i].want);
		if (v.n_hits)
			assert_true(v.hits[0].excerpt[0] != '\0');
		gr_verdict_free(&v);
	}
	gr_rules_free(r);
	gr_diags_free(&d);
	sc_free(&s);
}

/* A phrase list compiles to one trie-shaped pattern (phrase.c): on every
 * text it must match where the phrases one by one match, and start at the
 * same place (the leftmost match). */
static long
first_match(const gr_pattern *p, const char *text, gr_matcher *mm)
{
	size_t so, eo;

	return gr_pattern_match(p, text, mm, &so, &eo) ? (long)so : -1;
}

static void
test_phrase_union(void **state)
{
	static const char *const phrases[] = {
		"let you two", "let you two connect", "let me introduce",
		"I'd like to introduce", "I would like to introduce", "cc'd",
		"cc'ed", "pre-orders", "pre orders", "caf\xc3\xa9 owner",
		"caf\xc3\xa8 owner", "\xc3\x89""cole", "a+b (c)", "know of a",
		"know of any", "know", "Q&A", "K-pop", "50% off",
	};
	static const char *const texts[] = {
		"", "we let you two connect now", "let you twos", "let you two",
		"x let me introducey", "I\xe2\x80\x99""d like to introduce",
		"I\xe2\x80\x98""D LIKE TO INTRODUCE her", "were cc'ed here",
		"preorders", "pre orders", "pre-orders", "pre--orders",
		"the CAF\xc3\x89 OWNER", "a caf\xc3\xa8 owner", "\xc3\xa9""cole",
		"a+b (c) yes", "a+b(c)", "I know of anyone", "I knowledge",
		"do you know?", "q&a", "k pop", "kpop", "\xe2\x84\xaa-pop",
		"get 50% off", "50%off", "nothing here at all",
		"\xff\xfe invalid know \xc3",
	};
	size_t np = sizeof phrases / sizeof phrases[0];
	gr_pattern *one[sizeof phrases / sizeof phrases[0]], *all;
	gr_matcher *mm = gr_matcher_new();
	gr_strv sv = { 0 };
	gr_diags d = { 0 };
	char *pat;

	(void)state;
	assert_non_null(mm);
	for (size_t i = 0; i < np; i++) {
		pat = gr_phrase_pattern(phrases[i]);
		assert_non_null(pat);
		one[i] = gr_pattern_compile(&d, "t", 1, 1, pat, "");
		assert_non_null(one[i]);
		free(pat);
		assert_int_equal(gr_strv_push(&sv, phrases[i]), GR_OK);
	}
	pat = gr_phrase_union(&sv);
	assert_non_null(pat);
	all = gr_pattern_compile(&d, "t", 1, 1, pat, "");
	if (!all)
		printf("# %s\n", d.n ? d.v[0].msg : pat);
	assert_non_null(all);
	for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
		long want = -1, got = first_match(all, texts[t], mm);

		for (size_t i = 0; i < np; i++) {
			long at = first_match(one[i], texts[t], mm);

			if (at >= 0 && (want < 0 || at < want))
				want = at;
		}
		if (got != want)
			printf("# text %zu \"%s\": union at %ld, phrases at %ld\n",
			       t, texts[t], got, want);
		assert_int_equal(got, want);
	}
	for (size_t i = 0; i < np; i++)
		gr_pattern_free(one[i]);
	gr_pattern_free(all);
	gr_matcher_free(mm);
	free(pat);
	gr_strv_free(&sv);
	gr_diags_free(&d);
}

/* The words of a text, as the loose service match sees them: stop words of
 * each language (the first and last of the sorted table among them) give
 * no stem, words of a trade give their six-byte stem once. */
static void
test_owner_stems(void **state)
{
	gr_strv sv = { 0 };
	gr_strmap seen = { 0 };

	(void)state;
	assert_int_equal(gr_owner_stems("Aber about yours Leistung nuestra "
	    "questo THROUGH mais bonjour obrigada servizio the and", &sv,
	    &seen), GR_OK);
	assert_int_equal(sv.n, 0);
	assert_int_equal(gr_owner_stems("Translations, translating; the "
	    "translator. Drone shots, Übersetzung", &sv, &seen), GR_OK);
	assert_int_equal(sv.n, 4);
	assert_string_equal(sv.v[0], "transl");
	assert_string_equal(sv.v[1], "drone");
	assert_string_equal(sv.v[2], "shot");
	assert_string_equal(sv.v[3], "uberse");
	gr_strv_free(&sv);
	gr_strmap_free(&seen);
}

/* The loose match counts a service's stems the words of the texts have:
 * once each, over all the texts; not through a stop word of the same stem
 * ("services"), but through another word of it ("servicing"); accents
 * folded; not a stem both kinds of service have ("design"). */
static void
test_owner_loose_counts(void **state)
{
	scratch s;
	gr_diags d = { 0 };
	gr_rules *r = NULL;
	const gr_owner *o;
	int counts[2];
	const char *t1[] = { "Services", NULL, "the DRONE" };
	const char *t2[] = { "\xc3\x9c" "bersetzungen and servicing",
	                     "drones, drone shots" };
	const char *t3[] = { "design design designs" };

	(void)state;
	sc_init(&s);
	sc_file(&s, "services", "offer transl \"Translation\"\n"
	        "\tphrases \"ubersetzung\", \"servicing\", \"design\"\n"
	        "refer drone \"Drone photography\"\n"
	        "\tphrases \"drone shots\", \"web design\"\n");
	assert_int_equal(sc_load(&s, &d, &r), GR_OK);
	o = gr_rules_owner(r);
	assert_int_equal(gr_owner_n_services(o), 2);
	assert_int_equal(gr_owner_loose_counts(o, t1, 3, counts), GR_OK);
	assert_int_equal(counts[0], 0);
	assert_int_equal(counts[1], 1);
	assert_int_equal(gr_owner_loose_counts(o, t2, 2, counts), GR_OK);
	assert_int_equal(counts[0], 2);
	assert_int_equal(counts[1], 2);
	assert_int_equal(gr_owner_loose_counts(o, t3, 1, counts), GR_OK);
	assert_int_equal(counts[0], 0);
	assert_int_equal(counts[1], 0);
	gr_rules_free(r);
	gr_diags_free(&d);
	sc_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lint_unknown_keyword),
		cmocka_unit_test(test_lint_bad_regex),
		cmocka_unit_test(test_lint_duplicate_and_undefined),
		cmocka_unit_test(test_lint_description_class_score),
		cmocka_unit_test(test_lint_unreachable_class),
		cmocka_unit_test(test_lint_class_reached_by_override),
		cmocka_unit_test(test_lint_cycle_and_lists),
		cmocka_unit_test(test_lint_partners),
		cmocka_unit_test(test_address_forms),
		cmocka_unit_test(test_lint_profile),
		cmocka_unit_test(test_lint_overrides),
		cmocka_unit_test(test_profile_values),
		cmocka_unit_test(test_layering_and_files),
		cmocka_unit_test(test_owner_extras),
		cmocka_unit_test(test_services_partners),
		cmocka_unit_test(test_default_rules_clean),
		cmocka_unit_test(test_phrase_matching),
		cmocka_unit_test(test_phrase_union),
		cmocka_unit_test(test_owner_stems),
		cmocka_unit_test(test_owner_loose_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
