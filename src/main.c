/* SPDX-License-Identifier: MIT */
/*
 * main.c - the gravity command: a table of subcommands (as notmuch's
 * commands[]), each in its own cmd_*.c.  Only main() turns a status into an
 * exit code (sysexits.h).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cli.h"
#include "gravity/config.h"
#include "gravity/util.h"

const char *gr_progname = "gravity";

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "poll", gr_cmd_poll,
	  "read new mail, classify it, write reminders and drafts" },
	{ "classify", gr_cmd_classify,
	  "classify message files, Maildirs or mboxes (no state, no outputs)" },
	{ "explain", gr_cmd_explain,
	  "show every rule that fired for one message, and what would follow" },
	{ "rules", gr_cmd_rules,
	  "rules check: validate the rule files and templates" },
	{ "eval", gr_cmd_eval,
	  "measure the rules against labelled sets (LABELS.tsv)" },
	{ "train", gr_cmd_train,
	  "fit the rules' weights to labelled mail (leave-one-owner-out report)" },
	{ "learn", gr_cmd_learn,
	  "keep labelled examples for the next 'gravity train'" },
	{ "init", gr_cmd_init,
	  "write a starter config and an empty user rules directory" },
	{ "referrals", gr_cmd_referrals,
	  "the referral ledger: who introduced whom, thanked or not" },
	{ "folders", gr_cmd_folders,
	  "list the IMAP account's folders and what each is used for" },
	{ "redo", gr_cmd_redo,
	  "classify and plan seen mail again with the current rules" },
	{ "status", gr_cmd_status,
	  "last poll of each account; reminders, drafts and thanks pending" },
};

void
gr_warnx(const char *fmt, ...)
{
	va_list ap;

	/* Errors quote file names, rule text and mail: one clean line. */
	fprintf(stderr, "%s: ", gr_progname);
	va_start(ap, fmt);
	gr_term_vline(stderr, fmt, ap);
	va_end(ap);
}

const char *
gr_xdg_path(const char *env, const char *fallback, const char *tail,
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
gr_cli_state_path(const char *opt, const char *config, struct gr_config **cfg,
                  char *buf, size_t len, const char **out)
{
	char *def = config ? NULL : gr_config_default_path();
	gr_diags d = { 0 };
	gr_status st = GR_E_NOINPUT;

	*cfg = NULL;
	*out = opt;
	if (!opt && (config || def))
		st = gr_config_load(config ? config : def, cfg, &d);
	if (st != GR_E_NOINPUT)         /* a missing file is said below */
		gr_diags_print(&d, stderr);
	gr_diags_free(&d);
	free(def);
	if (st == GR_E_NOINPUT && config) {
		gr_warnx("%s: no such config file", config);
		return EX_NOINPUT;
	}
	if (st != GR_OK && st != GR_E_NOINPUT)
		return EX_CONFIG;       /* the file's errors are printed above */
	if (!*out && *cfg)
		*out = (*cfg)->state_path;
	if (!*out && !(*out = gr_xdg_path("XDG_STATE_HOME", ".local/state",
	                                  "gravity/state.db", buf, len))) {
		gr_warnx("cannot build the default state path");
		return EX_USAGE;
	}
	return EX_OK;
}

/* Strings made by gr_cli_path, freed when the command returns. */
static char *cli_paths[32];
static size_t n_cli_paths;

const char *
gr_cli_path(const char *arg)
{
	char *s;

	if (!arg || n_cli_paths == sizeof cli_paths / sizeof cli_paths[0])
		return arg;
	s = gr_expand_home(arg);
	if (!s)
		return arg;
	cli_paths[n_cli_paths++] = s;
	return s;
}

static void
cli_paths_free(void)
{
	while (n_cli_paths > 0)
		free(cli_paths[--n_cli_paths]);
}

char *
gr_cli_stray(const char *want)
{
	const char *slash = want ? strrchr(want, '/') : NULL;
	const char *home = getenv("HOME"), *name;
	char cand[16][4096], up[4096];
	size_t n = 0, dl;
	struct stat sb;

	if (!slash)
		return NULL;
	name = slash + 1;
	dl = (size_t)(slash - want);
	/* DIR/NAME.txt, DIR/NAME.conf, DIR/../NAME */
	snprintf(cand[n++], sizeof cand[0], "%s.txt", want);
	snprintf(cand[n++], sizeof cand[0], "%s.conf", want);
	snprintf(up, sizeof up, "%.*s", (int)dl, want);
	if ((slash = strrchr(up, '/')) != NULL)
		snprintf(cand[n++], sizeof cand[0], "%.*s/%s", (int)(slash - up),
		         up, name);
	if (strcmp(name, "config") == 0) {
		snprintf(cand[n++], sizeof cand[0], "%.*s/gravity.conf", (int)dl,
		         want);
		snprintf(cand[n++], sizeof cand[0], "%.*s/gravityrc", (int)dl,
		         want);
		snprintf(cand[n++], sizeof cand[0], "%.*s/rules/config", (int)dl,
		         want);
		if (slash)
			snprintf(cand[n++], sizeof cand[0], "%.*s/gravity.conf",
			         (int)(slash - up), up);
		if (home && *home) {
			snprintf(cand[n++], sizeof cand[0], "%s/.gravity/config",
			         home);
			snprintf(cand[n++], sizeof cand[0], "%s/.gravityrc", home);
			snprintf(cand[n++], sizeof cand[0], "%s/.gravity.conf",
			         home);
			snprintf(cand[n++], sizeof cand[0], "%s/.config/gravity/"
			         "config", home);   /* XDG_CONFIG_HOME elsewhere */
		}
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(cand[i], want) != 0 && stat(cand[i], &sb) == 0 &&
		    S_ISREG(sb.st_mode))
			return gr_strdup(cand[i]);
	return NULL;
}

int
gr_cli_config(const char *path, const char *account, int need,
              gr_config **cfg, const gr_account **acct)
{
	char *def = path ? NULL : gr_config_default_path();
	gr_diags d = { 0 };
	gr_status st;
	int rc = EX_OK;

	*cfg = NULL;
	if (acct)
		*acct = NULL;
	if (!path && !def) {
		gr_warnx("cannot find the config file (set HOME, or give --config)");
		return EX_CONFIG;
	}
	st = gr_config_load(path ? path : def, cfg, &d);
	if (st != GR_E_NOINPUT)         /* a missing file is said below */
		gr_diags_print(&d, stderr);
	gr_diags_free(&d);
	if (st == GR_E_NOINPUT && path) {
		gr_warnx("%s: no such config file", path);
		rc = EX_NOINPUT;
	} else if (st == GR_E_NOINPUT) {
		char *stray = need || account ? gr_cli_stray(def) : NULL;

		if (stray)
			gr_warnx("%s does not exist, and %s is not read: move it "
			         "there (or give --config %s)", def, stray, stray);
		else if (need || account)
			gr_warnx("%s does not exist: write it with 'gravity init'",
			         def);
		free(stray);
		rc = need || account ? EX_CONFIG : EX_OK;
	} else if (st != GR_OK) {
		rc = EX_CONFIG;         /* the file's errors are printed above */
	} else if (acct && !(*acct = gr_config_account(*cfg, account))) {
		if (account)
			gr_warnx("%s: no account named '%s'", (*cfg)->path, account);
		else
			gr_warnx("%s has no account: add an 'account NAME' block "
			         "with its 'source' (see gravity-config(5))",
			         (*cfg)->path);
		rc = EX_CONFIG;
	}
	free(def);
	if (rc != EX_OK) {
		gr_config_free(*cfg);
		*cfg = NULL;
	}
	return rc;
}

int
gr_cli_rules_dir(const char *opt, const char *config, gr_config **cfg,
                 const char **out)
{
	int rc;

	*out = opt;
	*cfg = NULL;
	if (opt && !config)
		return EX_OK;
	rc = gr_cli_config(config, NULL, 0, cfg, NULL);
	if (rc == EX_OK && !*out && *cfg)
		*out = (*cfg)->rules_dir;
	return rc;
}

void
gr_print_version(void)
{
	printf("gravity %s\n", PACKAGE_VERSION);
}

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: gravity COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(fp, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(fp, "\n'gravity help COMMAND' describes each command; "
	        "see gravity(1), gravity-config(5) and gravity-rules(5).\n");
}

const char *
gr_default_rules_dir(void)
{
	static char beside[4096];
	const char *env = getenv("GRAVITY_DEFAULT_RULES");
	struct stat sb;
	ssize_t n;
	char *slash;

	if (env && *env)
		return env;
	if (stat(GR_DEFAULT_RULES_DIR, &sb) == 0 && S_ISDIR(sb.st_mode))
		return GR_DEFAULT_RULES_DIR;
	/* Not installed: a rules/ directory beside the binary (in-tree build). */
	n = readlink("/proc/self/exe", beside, sizeof beside - 8);
	if (n > 0) {
		beside[n] = '\0';
		slash = strrchr(beside, '/');
		if (slash) {
			strcpy(slash + 1, "rules");
			if (stat(beside, &sb) == 0 && S_ISDIR(sb.st_mode))
				return beside;
		}
	}
	return GR_DEFAULT_RULES_DIR;
}

int
main(int argc, char **argv)
{
	int rc;

	if (argc < 2) {
		usage(stderr);
		return EX_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    (!strcmp(argv[1], "help") && argc == 2)) {
		usage(stdout);
		return EX_OK;
	}
	if (!strcmp(argv[1], "help")) {
		/* "gravity help CMD" is "gravity CMD --help". */
		static char help[] = "--help";
		char *hargv[] = { argv[2], help, NULL };

		if (argc > 3) {
			gr_warnx("usage: gravity help [COMMAND]");
			return EX_USAGE;
		}
		for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
			if (strcmp(argv[2], commands[i].name) == 0)
				return commands[i].fn(2, hargv);
		gr_warnx("help: unknown command '%s' (try 'gravity help')",
		         argv[2]);
		return EX_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		gr_print_version();
		return EX_OK;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			gr_warnx("cannot initialise libcurl");
			return EX_SOFTWARE;
		}
		rc = commands[i].fn(argc - 1, argv + 1);
		cli_paths_free();
		curl_global_cleanup();
		if (fflush(stdout) != 0 && rc == EX_OK)
			rc = EX_IOERR;
		return rc;
	}
	gr_warnx("unknown command '%s' (try 'gravity --help')", argv[1]);
	return EX_USAGE;
}
