/* SPDX-License-Identifier: MIT */
/*
 * cmd_init.c - "gravity init": a working setup for a new owner.  The config
 * (rules-dir active) and, in the user rules directory, a profile, services
 * and partners file whose comments explain each line.  On a terminal it
 * asks for what it needs (name, address, time zone guessed from the
 * system, hours, IMAP host and login, password command); elsewhere it asks
 * nothing and takes flags (--non-interactive forces that).  It never
 * overwrites a file.
 */
#include <ctype.h>
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
#include "gravity/buf.h"
#include "gravity/config.h"
#include "gravity/fileio.h"
#include "gravity/owner.h"
#include "gravity/util.h"

#define ZONEINFO "/usr/share/zoneinfo"

/* What the owner said (flags or answers); NULL: not given. */
struct answers {
	const char *name, *email, *tz, *hours;
	const char *host, *user, *passcmd, *source, *account;
	const char *out, *state, *cafile;
};

static void
init_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: gravity init [--config FILE] [--rules DIR] [--non-interactive]\n"
	    "                    [--name NAME] [--email ADDRESS] [--timezone ZONE]\n"
	    "                    [--hours 'DAYS HH:MM-HH:MM'] [--imap-host HOST[:PORT]]\n"
	    "                    [--imap-user LOGIN] [--passcmd CMD] [--source URI]\n"
	    "                    [--account NAME] [--out DIR] [--state FILE]\n"
	    "                    [--cafile FILE]\n"
	    "Write a config file (default $XDG_CONFIG_HOME/gravity/config) that\n"
	    "reads your rules directory (default: 'rules' beside it), and in that\n"
	    "directory a profile, services and partners file with comments that\n"
	    "explain each line.  On a terminal it asks for what the flags did not\n"
	    "give (name, address, time zone, hours, IMAP server, login, password\n"
	    "command); otherwise, or with --non-interactive, it asks nothing.\n"
	    "Existing files are never overwritten.\n");
}

/* --- checks --------------------------------------------------------------- */

static int
valid_tz(const char *tz)
{
	char path[PATH_MAX];
	struct stat sb;

	if (!tz || !*tz || tz[0] == '/' || strstr(tz, "..") ||
	    snprintf(path, sizeof path, ZONEINFO "/%s", tz) >= (int)sizeof path)
		return 0;
	/* The system knows it, and so does the profile's reader. */
	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
	       gr_owner_timezone_ok(tz);
}

/* "mon-fri 09:00-17:30": days, then spans, as the profile takes them. */
static int
valid_hours(const char *h)
{
	char days[64], spans[128], rest[2];

	return h && sscanf(h, "%63s %127s %1s", days, spans, rest) == 2 &&
	       strcmp(spans, "closed") != 0 && gr_owner_hours_ok(days, spans);
}

static int
valid_email(const char *e)
{
	const char *at = e ? strrchr(e, '@') : NULL;

	return at && at != e && at[1] && strchr(at, '.') &&
	       !strpbrk(e, " \t<>\"");
}

static int
valid_text(const char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s < 0x20)
			return 0;
	return 1;
}

/* The system's time zone: $TZ when it names a zone, else the target of
 * /etc/localtime, else /etc/timezone, else UTC. */
static const char *
guess_tz(char *buf, size_t len)
{
	const char *tz = getenv("TZ");
	char link[PATH_MAX];
	ssize_t n;
	FILE *fp;

	if (tz && *tz == ':')
		tz++;
	if (tz && valid_tz(tz))
		return tz;
	n = readlink("/etc/localtime", link, sizeof link - 1);
	if (n > 0) {
		const char *z;

		link[n] = '\0';
		z = strstr(link, "zoneinfo/");
		if (z && valid_tz(z + 9)) {
			snprintf(buf, len, "%s", z + 9);
			return buf;
		}
	}
	fp = fopen("/etc/timezone", "r");
	if (fp) {
		if (fgets(buf, (int)len, fp)) {
			buf[strcspn(buf, " \t\r\n")] = '\0';
			if (valid_tz(buf)) {
				fclose(fp);
				return buf;
			}
		}
		fclose(fp);
	}
	return "UTC";
}

/* --- asking ----------------------------------------------------------- */

/* Strings read from the terminal, freed at the end. */
struct held {
	char *v[16];
	size_t n;
};

/* Said after the reason an answer was refused, when a check has a better
 * guess ("did you mean ..."); cleared when said. */
static char ask_hint[128];

/* valid_tz for a question: a refused zone leaves its likely meaning. */
static int
valid_tz_asked(const char *tz)
{
	char g[64];

	if (valid_tz(tz))
		return 1;
	if (gr_owner_timezone_guess(tz, g, sizeof g) && valid_tz(g))
		snprintf(ask_hint, sizeof ask_hint, "did you mean %s?", g);
	return 0;
}

/* Ask on the terminal; an empty answer takes dflt (may be NULL: "not
 * now").  Re-asks while check refuses.  NULL at end of input. */
static const char *
ask(struct held *h, const char *q, const char *dflt, int (*check)(const char *),
    const char *why)
{
	for (;;) {
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;

		printf("%s%s%s%s: ", q, dflt ? " [" : "", dflt ? dflt : "",
		       dflt ? "]" : "");
		fflush(stdout);
		n = getline(&line, &cap, stdin);
		if (n < 0) {
			free(line);
			printf("\n");
			return NULL;
		}
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' ||
		                 line[n - 1] == ' '))
			line[--n] = '\0';
		if (n == 0) {
			free(line);
			if (!dflt || !check || check(dflt))
				return dflt;
			printf("  %s\n", why);
			continue;
		}
		if (check && !check(line)) {
			printf("  %s\n", why);
			if (ask_hint[0])
				printf("  %s\n", ask_hint);
			ask_hint[0] = '\0';
			free(line);
			continue;
		}
		if (h->n == sizeof h->v / sizeof h->v[0]) {
			free(line);
			return dflt;
		}
		h->v[h->n++] = line;
		return line;
	}
}

/* A host name, or HOST:PORT for a server on a port of its own. */
static int
valid_host(const char *s)
{
	const char *colon = strchr(s, ':');
	char *end;
	long port;

	if (!*s || s == colon || strpbrk(s, " \t/@\"[]"))
		return 0;
	if (!colon)
		return 1;
	port = strtol(colon + 1, &end, 10);
	return isdigit((unsigned char)colon[1]) && *end == '\0' && port > 0 &&
	       port < 65536;
}

static void
interview(struct answers *a, struct held *h, const char *tzguess)
{
	printf("Setting up gravity.  Press Enter to take the value in "
	       "[brackets];\nleave a question empty to fill it in later.\n\n");
	if (!a->name)
		a->name = ask(h, "Your name (drafts are signed with it)", NULL,
		              valid_text, "one line, please");
	if (!a->email)
		a->email = ask(h, "Your email address (drafts are From it)", NULL,
		               valid_email, "an address like you@example.com");
	if (!a->tz)
		a->tz = ask(h, "Your time zone", tzguess, valid_tz_asked,
		            "an IANA zone such as Europe/Berlin (see "
		            ZONEINFO ")");
	if (!a->hours)
		a->hours = ask(h, "Your business hours", "mon-fri 09:00-17:00",
		               valid_hours, "days and a span, such as "
		               "mon-fri 09:00-17:00 or mon,wed 08:30-12:00");
	if (!a->source && !a->host)
		a->host = ask(h, "Your IMAP server (such as imap.example.com)",
		              NULL, valid_host, "a host name, or HOST:PORT when "
		              "the server has a port of its own");
	if ((a->source || a->host) && !a->user)
		a->user = ask(h, "Your IMAP login", a->email, valid_text,
		              "one line, please");
	if ((a->source || a->host) && !a->passcmd)
		a->passcmd = ask(h, "A command that prints your IMAP password "
		                 "(such as: pass show mail/work)", NULL, valid_text,
		                 "one line, please");
	printf("\n");
}

/* --- writing ------------------------------------------------------------ */

/* path under $HOME written as ~/...; else as it is. */
static const char *
tilde(const char *path, char *buf, size_t len)
{
	const char *home = getenv("HOME");
	size_t hl = home ? strlen(home) : 0;

	if (hl > 1 && strncmp(path, home, hl) == 0 && path[hl] == '/' &&
	    snprintf(buf, len, "~%s", path + hl) < (int)len)
		return buf;
	return path;
}

static int
write_file(const char *path, const char *text, int *wrote)
{
	gr_error err;

	if (gr_config_write_new(path, text, strlen(text), &err) == GR_OK) {
		printf("wrote %s\n", path);
		(*wrote)++;
		return EX_OK;
	}
	if (access(path, F_OK) == 0) {
		printf("kept %s (it exists)\n", path);
		return EX_OK;
	}
	gr_warnx("%s", err.msg);
	return gr_status_to_exit(err.status);
}

/* A "key value" line, or its commented example when value is NULL. */
static gr_status
line(gr_buf *b, const char *key, const char *value, int quote,
     const char *example, const char *comment)
{
	const char *v = value ? value : example;
	gr_status st = gr_buf_printf(b, "%s%s ", value ? "" : "#", key);

	if (st == GR_OK && quote)
		st = gr_buf_addc(b, '"');
	for (; st == GR_OK && *v; v++) {
		if (quote && (*v == '"' || *v == '\\'))
			st = gr_buf_addc(b, '\\');
		if (st == GR_OK)
			st = gr_buf_addc(b, *v);
	}
	if (st == GR_OK && quote)
		st = gr_buf_addc(b, '"');
	if (st == GR_OK)
		st = gr_buf_printf(b, "%*s# %s\n", 2, "", comment);
	return st;
}

static char *
profile_text(const struct answers *a)
{
	gr_buf b;
	gr_status st;

	gr_buf_init(&b, 1u << 16);
	st = gr_buf_addstr(&b,
	    "# profile - who you are (gravity-rules(5), PROFILE).  gravity will\n"
	    "# not poll until this file has your name, at least one address,\n"
	    "# your time zone and your hours: drafts are From your first address\n"
	    "# and signed by you, reminders fall in your hours, in your zone.\n"
	    "# Lines starting with '#' are comments; remove the '#' to use one.\n"
	    "\n");
	if (st == GR_OK)
		st = line(&b, "name", a->name, 1, "Your Name",
		          "as it goes in the From: of drafts");
	if (st == GR_OK)
		st = line(&b, "org", NULL, 1, "Your Business",
		          "your business, if it has a name");
	if (st == GR_OK)
		st = line(&b, "email", a->email, 0, "you@example.com",
		          "your address; one line per address you use");
	if (st == GR_OK)
		st = line(&b, "timezone", a->tz, 0, "Europe/Berlin",
		          "an IANA zone (" ZONEINFO ")");
	if (st == GR_OK)
		st = line(&b, "hours", a->hours, 0, "mon-fri 09:00-17:00",
		          "when reminders may fall; days not listed are closed");
	if (st == GR_OK)
		st = gr_buf_addstr(&b,
		    "#hours sat 10:00-13:00   # more lines for other days\n"
		    "#holiday 2026-12-24      # a day off, one line each\n"
		    "\n"
		    "# The signature under each draft, one indented line each:\n");
	if (st == GR_OK && a->name)
		st = gr_buf_printf(&b, "signature\n\t%s\n", a->name);
	else if (st == GR_OK)
		st = gr_buf_addstr(&b, "#signature\n#\tYour Name\n");
	return st == GR_OK ? gr_buf_steal(&b) : (gr_buf_free(&b), NULL);
}

static const char services_text[] =
"# services - what you offer, and what you pass on to partners\n"
"# (gravity-rules(5), SERVICES).  Without services nothing is out of scope:\n"
"# every request is taken as one for you.  'gravity rules check' warns.\n"
"#\n"
"#   offer KEY \"Label\"     a service you sell: requests for it are\n"
"#                         inquiries, and get a reply draft and a reminder\n"
"#   refer KEY \"Label\"     a need you send to a partner: requests for it\n"
"#                         are out of scope, and get an introduction draft\n"
"#       phrases ...       indented: what people write when they want it;\n"
"#                         \"a phrase\", a word, or a /regex/, comma separated\n"
"#\n"
"# Examples (remove the '#' and make them yours):\n"
"#offer editing \"Manuscript editing\"\n"
"#\tphrases editor, \"copy edit\", proofreading, manuscript, \"my novel\"\n"
"#refer translation \"Translation\"\n"
"#\tphrases translate, translation, translator\n";

static const char partners_text[] =
"# partners - who serves each need you refer out (gravity-rules(5),\n"
"# PARTNERS).  Without partners, out-of-scope requests get a polite\n"
"# decline instead of an introduction.  'gravity rules check' warns.\n"
"#\n"
"#   partner \"Full Name\"   one block per partner, then indented:\n"
"#       email ADDRESS     required: where the introduction goes\n"
"#       org \"Name\"        their business (optional)\n"
"#       serves KEY        a key from a 'refer' line of services\n"
"#   (partner \"Full Name\" <ADDRESS> gives the address on the first line)\n"
"#\n"
"# Example:\n"
"#partner \"Jo Example\"\n"
"#\temail jo@translations.example\n"
"#\tserves translation\n";

static const char readme_text[] =
"Your rules.  A file here replaces the default file of the same name; new\n"
"files extend the defaults.  'profile' (who you are), 'services' (what you\n"
"offer and what you pass on) and 'partners' (to whom) are yours to fill\n"
"in (see gravity-rules(5)); then run 'gravity rules check'.\n";

static int
write_rules(const char *dir, const struct answers *a, int *wrote)
{
	char path[PATH_MAX], *profile = profile_text(a);
	const char *names[] = { "README", "profile", "services", "partners" };
	const char *texts[] = { readme_text, profile, services_text,
	                        partners_text };
	gr_error err;
	int rc = EX_OK;

	if (!profile) {
		gr_warnx("out of memory");
		return EX_OSERR;
	}
	if (gr_mkdirs(dir, &err) != GR_OK) {
		gr_warnx("%s", err.msg);
		free(profile);
		return EX_CANTCREAT;
	}
	for (size_t i = 0; i < 4 && rc == EX_OK; i++) {
		if (snprintf(path, sizeof path, "%s/%s", dir, names[i]) >=
		    (int)sizeof path) {
			gr_warnx("%s: path too long", dir);
			rc = EX_CANTCREAT;
			break;
		}
		rc = write_file(path, texts[i], wrote);
	}
	free(profile);
	return rc;
}

/* imaps://LOGIN@HOST[:PORT]/INBOX; imap:// (STARTTLS) on port 143. */
static const char *
make_source(const struct answers *a, char *buf, size_t len)
{
	const char *colon;

	if (a->source)
		return a->source;
	if (!a->host)
		return NULL;
	colon = strchr(a->host, ':');
	snprintf(buf, len, "%s://%s%s%s/INBOX",
	         colon && strcmp(colon, ":143") == 0 ? "imap" : "imaps",
	         a->user ? a->user : "", a->user ? "@" : "", a->host);
	return buf;
}

static int
check_flags(const struct answers *a)
{
	if (a->tz && !valid_tz(a->tz)) {
		char g[64];

		if (gr_owner_timezone_guess(a->tz, g, sizeof g) && valid_tz(g))
			gr_warnx("--timezone %s: not a time zone of this system; "
			         "did you mean --timezone %s?", a->tz, g);
		else
			gr_warnx("--timezone %s: not a time zone of this system (an "
			         "IANA name such as Europe/Berlin, see " ZONEINFO ")",
			         a->tz);
		return EX_USAGE;
	}
	if (a->hours && !valid_hours(a->hours)) {
		gr_warnx("--hours '%s': write days and a span, such as "
		         "'mon-fri 09:00-17:00'", a->hours);
		return EX_USAGE;
	}
	if (a->email && !valid_email(a->email)) {
		gr_warnx("--email %s: not an address like you@example.com",
		         a->email);
		return EX_USAGE;
	}
	if ((a->name && !valid_text(a->name)) ||
	    (a->passcmd && !valid_text(a->passcmd)) ||
	    (a->host && !valid_host(a->host))) {
		gr_warnx("--name, --passcmd and --imap-host are one line each "
		         "(and a host is a name, or HOST:PORT)");
		return EX_USAGE;
	}
	return EX_OK;
}

int
gr_cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "rules", required_argument, NULL, 'r' },
		{ "non-interactive", no_argument, NULL, 'N' },
		{ "name", required_argument, NULL, 'n' },
		{ "email", required_argument, NULL, 'e' },
		{ "timezone", required_argument, NULL, 'z' },
		{ "hours", required_argument, NULL, 'H' },
		{ "imap-host", required_argument, NULL, 'i' },
		{ "imap-user", required_argument, NULL, 'u' },
		{ "passcmd", required_argument, NULL, 'P' },
		{ "source", required_argument, NULL, 's' },
		{ "account", required_argument, NULL, 'a' },
		{ "out", required_argument, NULL, 'o' },
		{ "state", required_argument, NULL, 'S' },
		{ "cafile", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct answers a = { 0 };
	struct held held = { { 0 }, 0 };
	gr_starter s = { 0 };
	const char *config = NULL, *rules = NULL;
	char *def = NULL, rulesbuf[PATH_MAX], tzbuf[256], srcbuf[1024],
	     tr[PATH_MAX], *text = NULL;
	int c, n, rc = EX_OK, batch = 0, wrote = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:r:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = gr_cli_path(optarg); break;
		case 'r': rules = gr_cli_path(optarg); break;
		case 'N': batch = 1; break;
		case 'n': a.name = optarg; break;
		case 'e': a.email = optarg; break;
		case 'z': a.tz = optarg; break;
		case 'H': a.hours = optarg; break;
		case 'i': a.host = optarg; break;
		case 'u': a.user = optarg; break;
		case 'P': a.passcmd = optarg; break;
		case 's': a.source = optarg; break;
		case 'a': a.account = optarg; break;
		case 'o': a.out = gr_cli_path(optarg); break;
		case 'S': a.state = gr_cli_path(optarg); break;
		case 'C': a.cafile = gr_cli_path(optarg); break;
		case 'h': init_usage(stdout); return EX_OK;
		case 'V': gr_print_version(); return EX_OK;
		default: init_usage(stderr); return EX_USAGE;
		}
	}
	if (optind != argc) {
		init_usage(stderr);
		return EX_USAGE;
	}
	if ((rc = check_flags(&a)) != EX_OK)
		return rc;
	if (!config)
		config = def = gr_config_default_path();
	if (!config) {
		gr_warnx("cannot find a config directory (set HOME)");
		return EX_USAGE;
	}
	if (!rules) {
		const char *slash = strrchr(config, '/');

		n = snprintf(rulesbuf, sizeof rulesbuf, "%.*s/rules",
		             slash ? (int)(slash - config) : 1,
		             slash ? config : ".");

		rules = n > 0 && (size_t)n < sizeof rulesbuf ? rulesbuf : NULL;
	}
	if (!rules) {
		gr_warnx("%s: path too long", config);
		free(def);
		return EX_USAGE;
	}
	n = snprintf(tr, sizeof tr, "%s/profile", rules);
	if (!batch && isatty(STDIN_FILENO) && (access(config, F_OK) != 0 ||
	    (n > 0 && (size_t)n < sizeof tr && access(tr, F_OK) != 0)))
		interview(&a, &held, guess_tz(tzbuf, sizeof tzbuf));
	else if (!a.tz)
		a.tz = guess_tz(tzbuf, sizeof tzbuf);
	s.rules_dir = tilde(rules, tr, sizeof tr);
	s.out_dir = a.out;
	s.state = a.state;
	s.account = a.account;
	s.source = make_source(&a, srcbuf, sizeof srcbuf);
	s.user = a.source && a.user ? a.user : NULL;
	s.passcmd = a.passcmd;
	s.cafile = a.cafile;
	if (gr_config_starter(&s, &text) != GR_OK) {
		gr_warnx("out of memory");
		rc = EX_OSERR;
	}
	if (rc == EX_OK)
		rc = write_file(config, text, &wrote);
	if (rc == EX_OK)
		rc = write_rules(rules, &a, &wrote);
	if (rc == EX_OK && wrote)
		printf("\nNext: %s%s%s'gravity rules check', then 'gravity "
		       "folders'%s and\n'gravity poll --dry-run'.\n",
		       a.name && a.email && a.hours ? "" : "fill in ",
		       a.name && a.email && a.hours ? "" : rules,
		       a.name && a.email && a.hours ? "" : "/profile (gravity "
		       "needs your name, address, time zone\nand hours), then ",
		       s.source ? "" : " (once the account is set up)");
	free(text);
	for (size_t i = 0; i < held.n; i++)
		free(held.v[i]);
	free(def);
	return rc;
}
