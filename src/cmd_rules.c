/* SPDX-License-Identifier: MIT */
/* cmd_rules.c - "gravity rules check": validate rules, policy, templates. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "gravity/config.h"

static void
rules_usage(FILE *fp)
{
	fprintf(fp, "usage: gravity rules check [--config FILE] [--rules DIR]\n"
	        "Validate the rule files, the actions policy and every template "
	        "(including the tone lint)\nof the default rules layered under "
	        "DIR.  Problems are printed as FILE:LINE:COL: message;\n"
	        "the exit status is 65 (EX_DATAERR) when there is any error.\n");
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
		printf("rules OK: %s%s%s\n", gr_default_rules_dir(),
		       rules_dir ? " + " : "", rules_dir ? rules_dir : "");
	gr_policy_free(pol);
	gr_rules_free(r);
	gr_config_free(cfg);
	return rc;
}
