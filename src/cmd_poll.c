/* SPDX-License-Identifier: MIT */
/* cmd_poll.c - "gravity poll": one poll of the inbox, then exit. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "gravity/poll.h"

static void
poll_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: gravity poll [--config FILE] [--source URI] [--rules DIR]\n"
	    "                    [--out DIR] [--state FILE] [--dry-run] [-v|-q]\n"
	    "Read what is new in the source, classify it, write reminders to\n"
	    "OUT/reminders/*.ics and drafts to OUT/drafts/*.eml, append one JSON\n"
	    "line per message to OUT/log.jsonl, and print a short summary.\n"
	    "Sources: maildir:DIR, mbox:FILE, FILE, '-' (one message on stdin).\n"
	    "Defaults: OUT is $XDG_DATA_HOME/gravity, STATE is\n"
	    "$XDG_STATE_HOME/gravity/state.db.  Nothing is ever sent.\n");
}

/* $XDG_<kind> or ~/<fallback>, joined with tail.  Static storage. */
static const char *
xdg_path(const char *env, const char *fallback, const char *tail,
         char *buf, size_t len)
{
	const char *base = getenv(env), *home = getenv("HOME");
	int n;

	if (base && *base)
		n = snprintf(buf, len, "%s/%s", base, tail);
	else
		n = snprintf(buf, len, "%s/%s/%s", home ? home : ".", fallback,
		             tail);
	return n > 0 && (size_t)n < len ? buf : NULL;
}

int
gr_cmd_poll(int argc, char **argv)
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
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	gr_poll_opts o = { 0 };
	gr_poll_stats stats;
	const char *rules_dir = NULL, *config = NULL;
	char outbuf[PATH_MAX], statebuf[PATH_MAX];
	gr_rules *r;
	gr_policy *pol;
	gr_error err;
	gr_status st;
	int c, quiet = 0, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:s:r:o:S:nvqhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 's': o.source = optarg; break;
		case 'r': rules_dir = optarg; break;
		case 'o': o.out_dir = optarg; break;
		case 'S': o.state_path = optarg; break;
		case 'n': o.dry_run = 1; break;
		case 'v': o.verbose = 1; break;
		case 'q': quiet = 1; break;
		case 'h': poll_usage(stdout); return EX_OK;
		case 'V': gr_print_version(); return EX_OK;
		default: poll_usage(stderr); return EX_USAGE;
		}
	}
	if (optind != argc) {
		poll_usage(stderr);
		return EX_USAGE;
	}
	if (config) {
		gr_warnx("%s: configuration files are not supported yet; "
		         "use --source", config);
		return EX_CONFIG;
	}
	if (!o.source) {
		gr_warnx("no source: give --source URI (see gravity poll --help)");
		return EX_USAGE;
	}
	if (!o.out_dir)
		o.out_dir = xdg_path("XDG_DATA_HOME", ".local/share", "gravity",
		                     outbuf, sizeof outbuf);
	if (!o.state_path)
		o.state_path = xdg_path("XDG_STATE_HOME", ".local/state",
		                        "gravity/state.db", statebuf,
		                        sizeof statebuf);
	if (!o.out_dir || !o.state_path) {
		gr_warnx("cannot build the default output or state path");
		return EX_USAGE;
	}
	rc = gr_cli_load(rules_dir, 1, &r, &pol);
	if (rc != EX_OK)
		return rc;
	o.rules = r;
	o.policy = pol;
	o.summary = quiet ? NULL : stdout;
	st = gr_poll_run(&o, &stats, &err);
	if (st != GR_OK) {
		gr_warnx("%s", err.msg);
		rc = gr_status_to_exit(st);
	}
	gr_policy_free(pol);
	gr_rules_free(r);
	return rc;
}
