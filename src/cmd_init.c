/* SPDX-License-Identifier: MIT */
/*
 * cmd_init.c - "gravity init": a commented starter config and an empty
 * user rules directory.  Never overwrites a file.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli.h"
#include "gravity/config.h"
#include "gravity/fileio.h"

static void
init_usage(FILE *fp)
{
	fprintf(fp, "usage: gravity init [--config FILE] [--rules DIR]\n"
	        "Write a commented starter config (default "
	        "$XDG_CONFIG_HOME/gravity/config)\nand create an empty user "
	        "rules directory beside it.  Existing files are kept.\n");
}

static int
make_rules_dir(const char *dir)
{
	static const char readme[] =
	    "Your rules.  A file here replaces the default file of the same\n"
	    "name; new files extend the defaults.  Start with 'profile',\n"
	    "'services' and 'partners' (see gravity-rules(5)), then run\n"
	    "'gravity rules check'.\n";
	char path[PATH_MAX];
	gr_error err;
	struct stat sb;
	int n;

	if (gr_mkdirs(dir, &err) != GR_OK) {
		gr_warnx("%s", err.msg);
		return EX_CANTCREAT;
	}
	n = snprintf(path, sizeof path, "%s/README", dir);
	if (n < 0 || (size_t)n >= sizeof path)
		return EX_CANTCREAT;
	if (stat(path, &sb) == 0)
		return EX_OK;
	if (gr_write_atomic(path, readme, sizeof readme - 1, &err) != GR_OK) {
		gr_warnx("%s", err.msg);
		return EX_CANTCREAT;
	}
	printf("created %s/\n", dir);
	return EX_OK;
}

int
gr_cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "rules", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *rules = NULL;
	char *def = NULL, rulesbuf[PATH_MAX];
	gr_error err;
	int c, rc = EX_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:r:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = gr_cli_path(optarg); break;
		case 'r': rules = gr_cli_path(optarg); break;
		case 'h': init_usage(stdout); return EX_OK;
		case 'V': gr_print_version(); return EX_OK;
		default: init_usage(stderr); return EX_USAGE;
		}
	}
	if (optind != argc) {
		init_usage(stderr);
		return EX_USAGE;
	}
	if (!config)
		config = def = gr_config_default_path();
	if (!config) {
		gr_warnx("cannot find a config directory (set HOME)");
		return EX_USAGE;
	}
	if (gr_config_write_starter(config, &err) == GR_OK)
		printf("wrote %s\n", config);
	else if (access(config, F_OK) == 0)
		printf("kept %s (it exists)\n", config);
	else {
		gr_warnx("%s", err.msg);
		rc = gr_status_to_exit(err.status);
	}
	if (rc == EX_OK && !rules) {
		const char *slash = strrchr(config, '/');
		int n = snprintf(rulesbuf, sizeof rulesbuf, "%.*s/rules",
		                 slash ? (int)(slash - config) : 1,
		                 slash ? config : ".");

		rules = n > 0 && (size_t)n < sizeof rulesbuf ? rulesbuf : NULL;
	}
	if (rc == EX_OK && rules)
		rc = make_rules_dir(rules);
	free(def);
	return rc;
}
