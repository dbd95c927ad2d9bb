/* SPDX-License-Identifier: MIT */
/* test_config.c - the config file, its default path, the starter file and
 * the credential sources (passcmd, password-env, netrc). */
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

#include "gravity/config.h"
#include "gravity/imap.h"
#include "gravity/secret.h"

#include "testlib.h"

static char tmpdir[PATH_MAX];

static int
setup(void **state)
{
	(void)state;
	tl_mkdtemp(tmpdir, sizeof tmpdir, "config");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return tl_rmtree(tmpdir);
}

static const char *
write_tmp(const char *name, const char *text)
{
	return tl_write(tmpdir, name, text);
}

static void
test_full_config(void **state)
{
	const char *p = write_tmp("full",
	    "# comment\n"
	    "out-dir ~/gr-out\n"
	    "rules-dir $HOME/rules\n"
	    "state /var/tmp/gr.db   # trailing comment\n"
	    "account work\n"
	    "\tsource imaps://maya@imap.example.com/INBOX\n"
	    "\tfolders \"Clients/Active\" Projects\n"
	    "\tsent-folder Sent\n"
	    "\tpasscmd \"pass show mail/work\"\n"
	    "\tcafile ${HOME}/ca.pem\n"
	    "\tinsecure no\n"
	    "\ttimeout 45\n"
	    "\ttext-cap 128k\n"
	    "\tappend-drafts yes\n"
	    "account home\n"
	    "  source imap://me@127.0.0.1:1143/\n"
	    "  netrc\n");
	gr_config *c;
	gr_diags d = { NULL, 0, 0 };
	const gr_account *a;

	(void)state;
	setenv("HOME", "/home/maya", 1);
	if (gr_config_load(p, &c, &d) != GR_OK)
		gr_diags_print(&d, stdout);
	assert_int_equal(d.n, 0);
	assert_string_equal(c->out_dir, "/home/maya/gr-out");
	assert_string_equal(c->state_path, "/var/tmp/gr.db");
	assert_string_equal(c->rules_dir, "/home/maya/rules");
	assert_int_equal(c->naccounts, 2);
	a = gr_config_account(c, NULL);
	assert_string_equal(a->name, "work");
	assert_string_equal(a->source, "imaps://maya@imap.example.com/INBOX");
	assert_int_equal(a->imap.nfolders, 2);
	assert_string_equal(a->imap.folders[0], "Clients/Active");
	assert_string_equal(a->imap.sent_folder, "Sent");
	assert_int_equal(a->imap.cred.kind, GR_CRED_PASSCMD);
	assert_string_equal(a->imap.cred.arg, "pass show mail/work");
	/* where it was set, for messages: the file and line */
	assert_non_null(a->imap.cred.origin);
	assert_non_null(strstr(a->imap.cred.origin, "/full:9"));
	assert_string_equal(a->imap.cafile, "/home/maya/ca.pem");
	assert_false(a->imap.insecure);
	assert_int_equal(a->imap.timeout, 45);
	assert_int_equal(a->imap.text_cap, 128 * 1024);
	assert_int_equal(a->imap.batch, 200);
	assert_true(a->imap.append_drafts);
	a = gr_config_account(c, "home");
	assert_non_null(a);
	assert_int_equal(a->imap.cred.kind, GR_CRED_NETRC);
	assert_null(a->imap.cred.arg);
	assert_null(gr_config_account(c, "nope"));
	gr_config_free(c);
	gr_diags_free(&d);
}

static void
test_default_account_and_errors(void **state)
{
	const char *p = write_tmp("flat",
	    "source imaps://u@h/INBOX\npassword-env GR_PW\n");
	gr_config *c;
	gr_diags d = { NULL, 0, 0 };

	(void)state;
	assert_int_equal(gr_config_load(p, &c, &d), GR_OK);
	assert_string_equal(c->accounts[0].name, "default");
	assert_int_equal(c->accounts[0].imap.cred.kind, GR_CRED_ENV);
	gr_config_free(c);

	p = write_tmp("bad",
	    "account a\n"
	    "\tsource imaps://u@h/\n"
	    "\tpasscmd x\n"
	    "\tpassword-env Y\n"            /* 4: second secret source */
	    "\tcolour blue\n"               /* 5: unknown key */
	    "\ttimeout soon\n"              /* 6: not a number */
	    "\tinsecure maybe\n"            /* 7: not a boolean */
	    "\tsent-folder a b\n"           /* 8: two values */
	    "account b\n");                 /* no source */
	assert_int_equal(gr_config_load(p, &c, &d), GR_E_CONFIG);
	assert_null(c);
	assert_int_equal(gr_diags_errors(&d), 6);
	assert_int_equal(d.v[0].line, 4);
	assert_int_equal(d.v[1].line, 5);
	assert_int_equal(d.v[1].col, 2);
	assert_non_null(strstr(d.v[1].msg, "colour"));
	assert_int_equal(d.v[2].line, 6);
	assert_int_equal(d.v[3].line, 7);
	assert_int_equal(d.v[4].line, 8);
	assert_int_equal(d.v[4].col, 16);
	assert_non_null(strstr(d.v[5].msg, "'b' has no 'source'"));
	gr_diags_free(&d);

	assert_int_equal(gr_config_load("/nonexistent/gravity", &c, &d),
	                 GR_E_NOINPUT);
	gr_diags_free(&d);
}

/* The opt-in CalDAV keys of an account; their mistakes are diagnosed. */
static void
test_caldav_keys(void **state)
{
	const char *p = write_tmp("dav",
	    "account work\n"
	    "\tsource maildir:/tmp/box\n"
	    "\tcaldav https://dav.example.com/maya/gravity/\n"
	    "\tcaldav-user maya\n"
	    "\tcaldav-password-env GR_DAV_PW\n"
	    "\tcaldav-cafile ~/ca.pem\n"
	    "\tcaldav-delete yes\n"
	    "account home\n"
	    "\tsource maildir:/tmp/other\n"
	    "account third\n"
	    "\tsource maildir:/tmp/third\n"
	    "\tcaldav https://dav.example.com/x/\n"
	    "\tcaldav-netrc ~/dav-netrc\n");
	gr_config *c;
	gr_diags d = { NULL, 0, 0 };
	const gr_account *a;

	(void)state;
	setenv("HOME", "/home/maya", 1);
	assert_int_equal(gr_config_load(p, &c, &d), GR_OK);
	a = gr_config_account(c, "work");
	assert_string_equal(a->caldav.url,
	                    "https://dav.example.com/maya/gravity/");
	assert_string_equal(a->caldav.user, "maya");
	assert_int_equal(a->caldav.cred.kind, GR_CRED_ENV);
	assert_string_equal(a->caldav.cred.arg, "GR_DAV_PW");
	assert_string_equal(a->caldav.cafile, "/home/maya/ca.pem");
	assert_true(a->caldav.delete_cancelled);
	assert_int_equal(a->imap.cred.kind, GR_CRED_NONE); /* not the IMAP one */
	a = gr_config_account(c, "home");
	assert_null(a->caldav.url);                     /* off by default */
	assert_false(a->caldav.delete_cancelled);
	a = gr_config_account(c, "third");
	assert_int_equal(a->caldav.cred.kind, GR_CRED_NETRC);
	assert_string_equal(a->caldav.cred.arg, "/home/maya/dav-netrc");
	gr_config_free(c);
	gr_diags_free(&d);

	p = write_tmp("badav",
	    "account a\n"
	    "\tsource maildir:/tmp/box\n"
	    "\tcaldav-passcmd \"pass dav\"\n"
	    "\tcaldav-password-env X\n"     /* 4: second password source */
	    "\tcaldav-delete perhaps\n");   /* 5: not a boolean */
	assert_int_equal(gr_config_load(p, &c, &d), GR_E_CONFIG);
	assert_int_equal(gr_diags_errors(&d), 3);       /* and no 'caldav' */
	assert_int_equal(d.v[0].line, 4);
	assert_int_equal(d.v[1].line, 5);
	assert_non_null(strstr(d.v[2].msg, "need 'caldav URL'"));
	gr_diags_free(&d);
}

static void
test_default_path_and_starter(void **state)
{
	char path[PATH_MAX + 16], *dp;
	gr_config *c;
	gr_diags d = { NULL, 0, 0 };
	gr_error err;
	struct stat sb;

	(void)state;
	setenv("XDG_CONFIG_HOME", "/x/cfg", 1);
	dp = gr_config_default_path();
	assert_string_equal(dp, "/x/cfg/gravity/config");
	free(dp);
	unsetenv("XDG_CONFIG_HOME");
	setenv("HOME", "/home/maya", 1);
	dp = gr_config_default_path();
	assert_string_equal(dp, "/home/maya/.config/gravity/config");
	free(dp);

	snprintf(path, sizeof path, "%s/new/dir/config", tmpdir);
	assert_int_equal(gr_config_write_starter(path, NULL, &err), GR_OK);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	/* never overwritten */
	assert_int_equal(gr_config_write_starter(path, NULL, &err), GR_E_IO);
	assert_non_null(strstr(err.msg, "exists"));
	/* and the starter itself is a valid config: with nothing said,
	 * its account block is an example, commented out */
	assert_int_equal(gr_config_load(path, &c, &d), GR_OK);
	assert_int_equal(c->naccounts, 0);
	assert_null(c->rules_dir);
	gr_config_free(c);
	gr_diags_free(&d);
	/* with what 'gravity init' was told, every value is active */
	{
		gr_starter s = { .rules_dir = "~/r", .source =
		                 "imaps://h@x.example@imap.x.example/INBOX",
		                 .passcmd = "pass \"show\" it", .account = "w w" };

		snprintf(path, sizeof path, "%s/new/dir/config2", tmpdir);
		assert_int_equal(gr_config_write_starter(path, &s, &err), GR_OK);
		assert_int_equal(gr_config_load(path, &c, &d), GR_OK);
		assert_string_equal(c->rules_dir, "/home/maya/r");
		assert_int_equal(c->naccounts, 1);
		assert_string_equal(c->accounts[0].name, "w w");
		assert_string_equal(c->accounts[0].source, s.source);
		assert_int_equal(c->accounts[0].imap.cred.kind, GR_CRED_PASSCMD);
		assert_string_equal(c->accounts[0].imap.cred.arg, s.passcmd);
		assert_null(c->accounts[0].user);
		gr_config_free(c);
		gr_diags_free(&d);
	}
}

static void
test_secrets(void **state)
{
	gr_cred o;
	char *s, buf[256];
	gr_error err;
	const char *nrc = write_tmp("netrc",
	    "machine other.example login x password nope\n"
	    "macdef init\nmachine h login u password inmacro\n\n"
	    "machine h login v password pv\n"
	    "machine h login u password pu\n"
	    "default login d password pd\n");

	(void)state;
	gr_cred_init(&o);
	o.kind = GR_CRED_PASSCMD;
	o.arg = "echo 's3cret pw'; echo second";
	assert_int_equal(gr_cred_get(&o, "h", "u", &s, &err), GR_OK);
	assert_string_equal(s, "s3cret pw");
	gr_secret_free(s);
	assert_false(gr_cred_is_token(&o));
	o.arg = "echo leaked-on-failure; exit 2";
	o.origin = "cfg:4";
	assert_int_equal(gr_cred_get(&o, "h", "u", &s, &err), GR_E_AUTH);
	assert_null(s);
	assert_null(strstr(err.msg, "leaked"));
	assert_non_null(strstr(err.msg, "passcmd (cfg:4)"));
	/* a description names the source, never a command's text */
	gr_cred_describe(&o, buf, sizeof buf);
	assert_string_equal(buf, "passcmd (cfg:4)");
	o.arg = "true";
	assert_int_equal(gr_cred_get(&o, "h", "u", &s, &err), GR_E_AUTH);
	o.kind = GR_CRED_ENV;
	o.arg = "GR_TEST_SECRET_VAR";
	o.origin = NULL;
	unsetenv("GR_TEST_SECRET_VAR");
	assert_int_equal(gr_cred_get(&o, "h", "u", &s, &err), GR_E_AUTH);
	assert_non_null(strstr(err.msg, "$GR_TEST_SECRET_VAR is not set"));
	setenv("GR_TEST_SECRET_VAR", "envpw", 1);
	assert_int_equal(gr_cred_get(&o, "h", "u", &s, &err), GR_OK);
	assert_string_equal(s, "envpw");
	gr_secret_free(s);
	o.kind = GR_CRED_TOKENCMD;
	o.arg = "echo tok-123";
	assert_true(gr_cred_is_token(&o));
	assert_int_equal(gr_cred_get(&o, "h", "u", &s, &err), GR_OK);
	assert_string_equal(s, "tok-123");
	gr_secret_free(s);
	o.kind = GR_CRED_OAUTH2;
	assert_true(gr_cred_is_token(&o));
	assert_int_equal(gr_cred_get(&o, "h", "u", &s, &err), GR_E_CONFIG);
	o.kind = GR_CRED_NONE;
	assert_int_equal(gr_cred_get(&o, "h", "u", &s, &err), GR_OK);
	assert_null(s);
	/* netrc through the same call: host and user pick the entry */
	o.kind = GR_CRED_NETRC;
	o.arg = nrc;
	assert_int_equal(gr_cred_get(&o, "h", "u", &s, &err), GR_OK);
	assert_string_equal(s, "pu");
	gr_secret_free(s);
	gr_cred_describe(&o, buf, sizeof buf);
	assert_non_null(strstr(buf, "netrc /"));

	assert_int_equal(gr_secret_netrc(nrc, "h", "u", &s, &err), GR_OK);
	assert_string_equal(s, "pu");
	gr_secret_free(s);
	assert_int_equal(gr_secret_netrc(nrc, "h", NULL, &s, &err), GR_OK);
	assert_string_equal(s, "pv");
	gr_secret_free(s);
	assert_int_equal(gr_secret_netrc(nrc, "elsewhere", NULL, &s, &err), GR_OK);
	assert_string_equal(s, "pd");
	gr_secret_free(s);
	assert_int_equal(gr_secret_netrc(nrc, "other.example", "y", &s, &err),
	                 GR_E_AUTH);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_config),
		cmocka_unit_test(test_default_account_and_errors),
		cmocka_unit_test(test_caldav_keys),
		cmocka_unit_test(test_default_path_and_starter),
		cmocka_unit_test(test_secrets),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
