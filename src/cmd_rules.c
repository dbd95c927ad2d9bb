/* SPDX-License-Identifier: MIT */
/* cmd_rules.c - "gravity rules check": validate rules, policy, templates. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli.h"
#include "gravity/config.h"
#include "gravity/owner.h"

/* The file an owner's "name" would be written to: DIR/name for the user
 * rules directory, else the one 'gravity init' makes beside the default
 * config.  Into buf. */
static const char *
owner_path(const char *user_dir, const char *name, char *buf, size_t len)
{
	char *def = user_dir ? NULL : gr_config_default_path();
	const char *slash = def ? strrchr(def, '/') : NULL;

	if (user_dir)
		snprintf(buf, len, "%s/%s", user_dir, name);
	else if (slash)
		snprintf(buf, len, "%.*s/rules/%s", (int)(slash - def), def, name);
	else
		snprintf(buf, len, "rules/%s", name);
	free(def);
	return buf;
}

int
gr_cli_owner_check(const gr_rules *r, const char *user_dir, int warn)
{
	const gr_owner *o = gr_rules_owner(r);
	const gr_profile *p = gr_owner_profile(o);
	const char *file = gr_rules_file(r, "profile"), *lack[4];
	char path[4096], list[128] = "";
	size_t n = 0;
	int open = 0;

	for (int i = 0; i < 7; i++)
		open |= p->week[i].open >= 0 &&
		        p->week[i].close > p->week[i].open;
	if (!p->name || !*p->name)
		lack[n++] = "name";
	if (p->emails.n == 0)
		lack[n++] = "email";
	if (!p->timezone)
		lack[n++] = "timezone";
	if (!open)
		lack[n++] = "hours";
	for (size_t i = 0; i < n; i++)
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
		         i == 0 ? "" : i + 1 == n ? " and " : ", ", lack[i]);
	if (!file && !user_dir &&
	    access(owner_path(NULL, "profile", path, sizeof path), F_OK) == 0) {
		/* init's place, but the config does not say rules-dir */
		char dir[4096];

		snprintf(dir, sizeof dir, "%.*s", (int)(strlen(path) - 8), path);
		gr_warnx("no owner profile: %s is not read, as no rules "
		         "directory is named: add 'rules-dir %s' to the config "
		         "(or give --rules %s)", path, dir, dir);
		return EX_CONFIG;
	}
	if (!file) {
		char *stray = gr_cli_stray(owner_path(user_dir, "profile", path,
		                                      sizeof path));

		if (stray) {
			gr_warnx("no owner profile: %s is not read; gravity reads "
			         "%s: move it there", stray, path);
			free(stray);
			return EX_CONFIG;
		}
		gr_warnx("no owner profile: write %s with your name, email, "
		         "timezone and hours ('gravity init' writes one%s; "
		         "gravity-rules(5), PROFILE)",
		         owner_path(user_dir, "profile", path, sizeof path),
		         user_dir ? "" : "; name its directory with rules-dir "
		         "in the config or --rules");
		return EX_CONFIG;
	}
	if (n > 0) {
		gr_warnx("%s: the owner's profile has no %s: add %s (gravity-"
		         "rules(5), PROFILE)", file, list, n == 1 ? "it" : "them");
		return EX_CONFIG;
	}
	if (!warn)
		return EX_OK;
	if (gr_owner_n_services(o) == 0)
		gr_warnx("warning: no services: every request is taken as one "
		         "for you and nothing is out of scope; list what you offer "
		         "and refer out in %s",
		         gr_rules_file(r, "services") ? gr_rules_file(r, "services")
		         : owner_path(user_dir, "services", path, sizeof path));
	if (gr_owner_n_partners(o) == 0)
		gr_warnx("warning: no partners: a request you refer out gets a "
		         "decline, not an introduction; name who serves it in %s",
		         gr_rules_file(r, "partners") ? gr_rules_file(r, "partners")
		         : owner_path(user_dir, "partners", path, sizeof path));
	return EX_OK;
}

static void
rules_usage(FILE *fp)
{
	fprintf(fp, "usage: gravity rules check [--config FILE] [--rules DIR]\n"
	        "Validate the rule files, the actions policy and every template "
	        "(including the tone lint)\nof the default rules layered under "
	        "DIR.  Problems are printed as FILE:LINE:COL: message;\n"
	        "the exit status is 65 (EX_DATAERR) when there is any error, 78\n"
	        "(EX_CONFIG) when the owner's profile is missing or lacks a "
	        "name, email, timezone\nor hours.  No services or partners is "
	        "a warning.\n");
}

int
gr_cmd_rules(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *rules_dir = NULL, *config = NULL;
	struct gr_config *cfg = NULL;
	gr_rules *r;
	gr_policy *pol;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+r:c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'r': rules_dir = gr_cli_path(optarg); break;
		case 'c': config = gr_cli_path(optarg); break;
		case 'h': rules_usage(stdout); return EX_OK;
		case 'V': gr_print_version(); return EX_OK;
		default: rules_usage(stderr); return EX_USAGE;
		}
	}
	if (optind >= argc || strcmp(argv[optind], "check") != 0) {
		rules_usage(stderr);
		return EX_USAGE;
	}
	/* Options may also follow the verb: gravity rules check --rules DIR */
	argv[optind] = argv[0];
	argc -= optind;
	argv += optind;
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'r': rules_dir = gr_cli_path(optarg); break;
		case 'c': config = gr_cli_path(optarg); break;
		case 'h': rules_usage(stdout); return EX_OK;
		case 'V': gr_print_version(); return EX_OK;
		default: rules_usage(stderr); return EX_USAGE;
		}
	}
	if (optind < argc) {
		rules_usage(stderr);
		return EX_USAGE;
	}
	rc = gr_cli_rules_dir(rules_dir, config, &cfg, &rules_dir);
	if (rc != EX_OK)
		return rc;
	rc = gr_cli_load(rules_dir, 1, &r, &pol);
	if (rc == EX_OK) {
		gr_diags d = { 0 };

		gr_rules_lint_cost(r, &d);
		gr_diags_print(&d, stderr);
		gr_diags_free(&d);
	}
	if (rc == EX_OK)
		rc = gr_cli_owner_check(r, rules_dir, 1);
	if (rc == EX_OK)
		printf("rules OK: %s%s%s\n", gr_default_rules_dir(),
		       rules_dir ? " + " : "", rules_dir ? rules_dir : "");
	gr_policy_free(pol);
	gr_rules_free(r);
	gr_config_free(cfg);
	return rc;
}
