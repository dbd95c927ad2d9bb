/* SPDX-License-Identifier: MIT */
/* cmd_poll.c - "gravity poll": one poll of the inbox, then exit; "gravity
 * redo": the same pipeline over mail already seen. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "gravity/caldav.h"
#include "gravity/config.h"
#include "gravity/imap.h"
#include "gravity/poll.h"

static void
poll_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: gravity poll [--config FILE] [--account NAME] [--source URI]\n"
	    "                    [--rules DIR] [--out DIR] [--state FILE] [--dry-run]\n"
	    "                    [--cafile FILE] [--insecure] [--passcmd CMD]\n"
	    "                    [--password-env VAR] [--append-drafts]\n"
	    "                    [--caldav URL] [-v|-q]\n"
	    "Read what is new in the source, classify it, write reminders to\n"
	    "OUT/reminders/*.ics and drafts to OUT/drafts/*.eml, append one JSON\n"
	    "line per message to OUT/log.jsonl, and print a short summary.\n"
	    "Sources: maildir:DIR, mbox:FILE, FILE, '-' (one message on stdin),\n"
	    "imaps://USER@HOST[:PORT]/FOLDER, imap://... (STARTTLS required).\n"
	    "Without --source, the config file ($XDG_CONFIG_HOME/gravity/config)\n"
	    "names the account; 'gravity init' writes a starter one.  IMAP\n"
	    "passwords come from --passcmd, --password-env or ~/.netrc, never\n"
	    "from the command line.  --caldav (or 'caldav' in the config) also\n"
	    "PUTs each new or changed reminder to that CalDAV collection.\n"
	    "Defaults: OUT is $XDG_DATA_HOME/gravity, STATE is\n"
	    "$XDG_STATE_HOME/gravity/state.db.  Nothing is ever sent.\n");
}

/* Read the config file (the default one when path is NULL; without
 * --source it must exist) and take from it what the command line did not
 * say: the account (the source, its IMAP and CalDAV settings) when no
 * --source is given, or --config or --account names the file or the
 * account, and always the rules directory, output directory and state, as
 * every command does. */
static int
load_config(const char *path, const char *account, gr_config **cfg,
            gr_poll_opts *o, const char **rules_dir)
{
	const gr_account *a = NULL;
	int need = !o->source, rc;

	if (need && !path && !account) {
		char *def = gr_config_default_path();
		int missing = !def || access(def, F_OK) != 0;

		if (missing) {
			char *stray = gr_cli_stray(def);

			if (stray)
				gr_warnx("no source: the config file is %s, and %s "
				         "is not read: move it there (or give "
				         "--config %s)", def, stray, stray);
			else
				gr_warnx("no source: give --source URI, or write a "
				         "config file with 'gravity init' (%s)",
				         def ? def : "?");
			free(stray);
			free(def);
			return EX_USAGE;
		}
		free(def);
	}
	rc = gr_cli_config(path, account, need, cfg,
	                   need || account || path ? &a : NULL);
	if (rc != EX_OK || !*cfg)
		return rc;
	if (a && !o->source) {
		o->source = a->source;
		o->imap = &a->imap;
		o->account = a->name;
	}
	if (a && a->caldav.url)
		o->caldav = &a->caldav;
	if (!*rules_dir)
		*rules_dir = (*cfg)->rules_dir;
	if (!o->out_dir)
		o->out_dir = (*cfg)->out_dir;
	if (!o->state_path)
		o->state_path = (*cfg)->state_path;
	return EX_OK;
}

static void
redo_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: gravity redo [--since DATE | --class CLASS | MESSAGE-ID...]\n"
	    "                    [--config FILE] [--account NAME] [--source URI]\n"
	    "                    [--rules DIR] [--out DIR] [--state FILE]\n"
	    "                    [--cafile FILE] [--insecure] [--passcmd CMD]\n"
	    "                    [--password-env VAR] [-v|-q]\n"
	    "Classify and plan again, with the current rules, the messages\n"
	    "gravity has seen (all of them; those it recorded since DATE,\n"
	    "YYYY-MM-DD or YYYY-MM-DDTHH:MM, local time; those of a class; or\n"
	    "the ones with these Message-IDs), and try the failed ones again.\n"
	    "A draft or reminder that comes out different is written again\n"
	    "under the same name (a reminder with a higher SEQUENCE); one no\n"
	    "longer planned is withdrawn (a reminder cancelled, a draft\n"
	    "removed); a draft you edited is never touched; the rest is left\n"
	    "alone.  Each message redone gets a log.jsonl line saying what\n"
	    "changed.  IMAP messages are fetched again by UID, while the\n"
	    "folder's UIDVALIDITY is the one they were seen with.  New mail is\n"
	    "left for the next poll.  Options as for 'gravity poll'.\n");
}

/* DATE as --since takes it: YYYY-MM-DD (midnight) or YYYY-MM-DDTHH:MM[:SS]
 * (a blank for the T too), local time.  -1 when it is none of these. */
static time_t
parse_since(const char *s)
{
	static const char *const fmts[] = { "%Y-%m-%dT%H:%M:%S",
	                                    "%Y-%m-%d %H:%M:%S",
	                                    "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M",
	                                    "%Y-%m-%d" };

	for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
		struct tm tm;
		const char *end;

		memset(&tm, 0, sizeof tm);
		end = strptime(s, fmts[i], &tm);
		if (end && !*end) {
			tm.tm_isdst = -1;
			return mktime(&tm);
		}
	}
	return -1;
}

static int poll_or_redo(int argc, char **argv, int redo, gr_parser *parser);

/* The parser's processes are forked before anything else: before the
 * config and the rules are loaded (so they hold a copy of neither, and
 * each stays a few MB), and before any credential.  NULL when that failed:
 * the poll then starts its own and reports why it cannot. */
static int
with_parser(int argc, char **argv, int redo)
{
	gr_parser *p = NULL;
	gr_parse_limits lim;
	gr_error err;
	int rc;

	gr_parse_limits_default(&lim);
	if (gr_parser_start(&lim, &p, &err) != GR_OK)
		p = NULL;
	rc = poll_or_redo(argc, argv, redo, p);
	gr_parser_stop(p);
	return rc;
}

int
gr_cmd_poll(int argc, char **argv)
{
	return with_parser(argc, argv, 0);
}

int
gr_cmd_redo(int argc, char **argv)
{
	return with_parser(argc, argv, 1);
}

static int
poll_or_redo(int argc, char **argv, int redo, gr_parser *parser)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "source", required_argument, NULL, 's' },
		{ "rules", required_argument, NULL, 'r' },
		{ "out", required_argument, NULL, 'o' },
		{ "state", required_argument, NULL, 'S' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "account", required_argument, NULL, 'a' },
		{ "cafile", required_argument, NULL, 'C' },
		{ "insecure", no_argument, NULL, 'k' },
		{ "append-drafts", no_argument, NULL, 'D' },
		{ "passcmd", required_argument, NULL, 'P' },
		{ "password-env", required_argument, NULL, 'E' },
		{ "caldav", required_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "since", required_argument, NULL, 'T' },
		{ "class", required_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 },
	};
	void (*usage)(FILE *) = redo ? redo_usage : poll_usage;
	gr_redo rd = { 0 };
	const char *since = NULL;
	gr_poll_opts o = { 0 };
	struct gr_imap_opts imap;
	gr_config *cfg = NULL;
	const char *account = NULL;
	gr_poll_stats stats;
	const char *rules_dir = NULL, *config = NULL;
	char outbuf[PATH_MAX], statebuf[PATH_MAX];
	gr_rules *r;
	gr_policy *pol;
	gr_error err;
	gr_status st;
	struct gr_imap_opts acct;
	gr_caldav_opts dav;
	const char *dav_url = NULL;
	int c, quiet = 0, rc, append = 0;

	gr_imap_opts_init(&imap);
	imap.cred.kind = GR_CRED_NETRC;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:s:r:o:S:nvqhVa:C:kP:E:D", opts,
	                        NULL)) != -1) {
		switch (c) {
		case 'c': config = gr_cli_path(optarg); break;
		case 's': o.source = optarg; break;
		case 'r': rules_dir = gr_cli_path(optarg); break;
		case 'o': o.out_dir = gr_cli_path(optarg); break;
		case 'S': o.state_path = gr_cli_path(optarg); break;
		case 'n': o.dry_run = 1; break;
		case 'v': o.verbose = 1; break;
		case 'q': quiet = 1; break;
		case 'a': account = optarg; break;
		case 'C': imap.cafile = gr_cli_path(optarg); break;
		case 'k': imap.insecure = 1; break;
		case 'D': append = 1; imap.append_drafts = 1; break;
		case 'P':
			imap.cred.kind = GR_CRED_PASSCMD;
			imap.cred.arg = optarg;
			imap.cred.origin = "--passcmd";
			break;
		case 'E':
			imap.cred.kind = GR_CRED_ENV;
			imap.cred.arg = optarg;
			imap.cred.origin = "--password-env";
			break;
		case 'W': dav_url = optarg; break;
		case 'T': since = optarg; break;
		case 'L': rd.cls = optarg; break;
		case 'h': usage(stdout); return EX_OK;
		case 'V': gr_print_version(); return EX_OK;
		default: usage(stderr); return EX_USAGE;
		}
	}
	if ((!redo && (optind != argc || since || rd.cls)) ||
	    (redo && (o.dry_run || append))) {
		usage(stderr);
		return EX_USAGE;
	}
	if (redo) {
		gr_class cl;

		if ((since != NULL) + (rd.cls != NULL) + (optind < argc) > 1) {
			gr_warnx("redo: give one of --since, --class or "
			         "Message-IDs");
			return EX_USAGE;
		}
		if (since && (rd.since = parse_since(since)) == (time_t)-1) {
			gr_warnx("redo: --since '%s': write a date as YYYY-MM-DD "
			         "or YYYY-MM-DDTHH:MM (local time)", since);
			return EX_USAGE;
		}
		if (rd.cls && gr_class_from_name(rd.cls, &cl) != 0) {
			gr_warnx("redo: --class '%s' is not a class (they are "
			         "the ones 'gravity classify' prints, e.g. "
			         "inquiry)", rd.cls);
			return EX_USAGE;
		}
		/* Message-IDs as mail shows them, <> or not. */
		for (int i = optind; i < argc; i++) {
			size_t n = strlen(argv[i]);

			if (n >= 2 && argv[i][0] == '<' && argv[i][n - 1] == '>') {
				argv[i][n - 1] = '\0';
				argv[i]++;
			}
		}
		rd.ids = (const char *const *)(argv + optind);
		rd.nids = (size_t)(argc - optind);
		o.redo = &rd;
	}
	rc = load_config(config, account, &cfg, &o, &rules_dir);
	if (rc != EX_OK)
		return rc;
	if (!o.imap)
		o.imap = &imap;         /* --config with --source: CLI settings */
	if (append && o.imap != &imap) {
		acct = *o.imap;         /* the account's, with drafts on */
		acct.append_drafts = 1;
		o.imap = &acct;
	}
	if (dav_url) {            /* the account's login, this collection */
		if (o.caldav)
			dav = *o.caldav;
		else
			gr_caldav_opts_init(&dav);
		dav.url = dav_url;
		o.caldav = &dav;
	}
	if (!o.out_dir)
		o.out_dir = gr_xdg_path("XDG_DATA_HOME", ".local/share", "gravity",
		                     outbuf, sizeof outbuf);
	if (!o.state_path)
		o.state_path = gr_xdg_path("XDG_STATE_HOME", ".local/state",
		                        "gravity/state.db", statebuf,
		                        sizeof statebuf);
	if (!o.out_dir || !o.state_path) {
		gr_warnx("cannot build the default output or state path");
		return EX_USAGE;
	}
	rc = gr_cli_load(rules_dir, 1, &r, &pol);
	if (rc == EX_OK)
		rc = gr_cli_owner_check(r, rules_dir, 0);
	if (rc != EX_OK) {
		gr_policy_free(pol);
		gr_rules_free(r);
		gr_config_free(cfg);
		return rc;
	}
	o.rules = r;
	o.policy = pol;
	o.parser = parser;
	o.summary = quiet ? NULL : stdout;
#ifdef GR_TEST_HOOKS
	/* Tests make time pass: GRAVITY_NOW=epoch seconds (a test hook:
	 * ./configure --enable-test-hooks only). */
	if (getenv("GRAVITY_NOW") && *getenv("GRAVITY_NOW"))
		o.now = (time_t)strtoll(getenv("GRAVITY_NOW"), NULL, 10);
#endif
	st = gr_poll_run(&o, &stats, &err);
	if (st != GR_OK) {
		gr_warnx("%s", err.msg);
		rc = gr_status_to_exit(st);
	}
	gr_policy_free(pol);
	gr_rules_free(r);
	gr_config_free(cfg);
	return rc;
}
