/* SPDX-License-Identifier: MIT */
/*
 * cmd_folders.c - "gravity folders": the IMAP account's folders, what the
 * server marks each for (RFC 6154 special uses), and which ones gravity
 * reads (the source's folder, 'folders', the Sent folder) or writes
 * (drafts, with append-drafts).  Read-only: one LIST.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "gravity/config.h"
#include "gravity/imap.h"

static void
folders_usage(FILE *fp)
{
	fprintf(fp, "usage: gravity folders [--config FILE] [--account NAME]\n"
	        "List the IMAP account's folders, what the server marks each for "
	        "(\\Sent, \\Drafts ...)\nand which ones gravity reads or writes. "
	        "Nothing is changed.\n");
}

static int
has(const gr_imap_mailbox *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return 1;
	return 0;
}

/* What gravity does with folder name: "" when nothing. */
static void
role_of(const gr_account *a, const gr_imap_uri *u, const char *sent,
        const char *drafts, const char *name, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
#define ADD(...) do { if (off < len) \
	off += (size_t)snprintf(buf + off, len - off, __VA_ARGS__); } while (0)
	if (strcmp(name, u->folder) == 0)
		ADD("read (the source's folder)");
	for (size_t i = 0; i < a->imap.nfolders; i++)
		if (strcmp(name, a->imap.folders[i]) == 0)
			ADD("%sread (folders)", off ? "; " : "");
	if (sent && strcmp(name, sent) == 0)
		ADD("%sread: your sent mail (%s)", off ? "; " : "",
		    a->imap.sent_folder && strcmp(sent, a->imap.sent_folder) == 0 ?
		    "sent-folder" : "found by \\Sent");
	if (drafts && strcmp(name, drafts) == 0)
		ADD("%sdrafts go here %s (%s)", off ? "; " : "",
		    a->imap.append_drafts ? "(append-drafts yes)"
		                          : "with append-drafts",
		    a->imap.drafts_folder &&
		    strcmp(drafts, a->imap.drafts_folder) == 0 ?
		    "drafts-folder" : "found by \\Drafts");
#undef ADD
}

/* Columns on a terminal: UTF-8 characters, not bytes. */
static int
width(const char *s)
{
	int w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xC0) != 0x80;
	return w;
}

static void
print_folders(const gr_account *a, const gr_imap_uri *u,
              const gr_imap_mailbox *v, size_t n)
{
	/* A configured folder the server does not have gives way to the
	 * marked one, as in a poll. */
	const char *sent = a->imap.sent_folder && has(v, n, a->imap.sent_folder) ?
	                   a->imap.sent_folder :
	                   gr_imap_special(v, n, GR_IMAP_USE_SENT);
	const char *drafts = a->imap.drafts_folder &&
	                     has(v, n, a->imap.drafts_folder) ?
	                     a->imap.drafts_folder :
	                     gr_imap_special(v, n, GR_IMAP_USE_DRAFTS);
	int w = 6;

	for (size_t i = 0; i < n; i++)
		if (width(v[i].name) > w && width(v[i].name) < 40)
			w = width(v[i].name);
	for (size_t i = 0; i < n; i++) {
		char uses[80] = "", role[300];
		size_t off = 0;

		for (unsigned b = 1; b <= GR_IMAP_USE_TRASH; b <<= 1)
			if ((v[i].use & b) && off < sizeof uses)
				off += (size_t)snprintf(uses + off, sizeof uses - off,
				                        "%s%s", off ? " " : "",
				                        gr_imap_use_name(b));
		if (v[i].noselect && off < sizeof uses)
			snprintf(uses + off, sizeof uses - off, "%s(no messages)",
			         off ? " " : "");
		role_of(a, u, sent, drafts, v[i].name, role, sizeof role);
		printf("  %s%*s  %-10s  %s\n", v[i].name,
		       w - width(v[i].name) > 0 ? w - width(v[i].name) : 0, "",
		       uses, role);
	}
	/* What the config names but the server does not have. */
	if (!has(v, n, u->folder))
		printf("missing: '%s' (the source URI's folder) is not on the "
		       "server\n", u->folder);
	for (size_t i = 0; i < a->imap.nfolders; i++)
		if (!has(v, n, a->imap.folders[i]))
			printf("missing: '%s' (folders) is not on the server\n",
			       a->imap.folders[i]);
	if (a->imap.sent_folder && !has(v, n, a->imap.sent_folder))
		printf("missing: '%s' (sent-folder) is not on the server%s%s%s\n",
		       a->imap.sent_folder, sent ? "; '" : "", sent ? sent : "",
		       sent ? "' (\\Sent) is read instead" : "");
	if (a->imap.drafts_folder && !has(v, n, a->imap.drafts_folder))
		printf("missing: '%s' (drafts-folder) is not on the server%s%s%s\n",
		       a->imap.drafts_folder, drafts ? "; '" : "",
		       drafts ? drafts : "",
		       drafts ? "' (\\Drafts) takes the drafts instead" : "");
	if (!sent)
		printf("no sent folder: the server marks none \\Sent; to have "
		       "your answers read, add 'sent-folder NAME' to the "
		       "account\n");
	if (!drafts && a->imap.append_drafts)
		printf("no drafts folder: the server marks none \\Drafts; add "
		       "'drafts-folder NAME' to the account\n");
}

int
gr_cmd_folders(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "account", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *account = NULL;
	const gr_account *a;
	gr_config *cfg = NULL;
	gr_imap_conn *conn = NULL;
	gr_imap_mailbox *v = NULL;
	gr_imap_uri u;
	gr_error err;
	gr_status st;
	size_t n = 0;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:a:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = gr_cli_path(optarg); break;
		case 'a': account = optarg; break;
		case 'h': folders_usage(stdout); return EX_OK;
		case 'V': gr_print_version(); return EX_OK;
		default: folders_usage(stderr); return EX_USAGE;
		}
	}
	if (optind != argc) {
		folders_usage(stderr);
		return EX_USAGE;
	}
	rc = gr_cli_config(config, account, 1, &cfg, &a);
	if (rc != EX_OK)
		return rc;
	if (gr_imap_uri_parse(a->source, &u, &err) != GR_OK) {
		gr_warnx("account '%s': %s is not an IMAP source: it has no "
		         "folders to list", a->name, a->source);
		gr_config_free(cfg);
		return EX_USAGE;
	}
	if (!a->imap.user && !u.user)
		st = gr_error_set(&err, GR_E_SETUP, "account '%s': no user name: "
		                  "write it in the URL or as 'user NAME'", a->name);
	else
		st = gr_imap_connect(&u, &a->imap, &conn, &err);
	if (st == GR_OK)
		st = gr_imap_list(conn, &v, &n, &err);
	if (st == GR_OK) {
		printf("%s://%s%s%s:%u/ (account %s)\n",
		       u.implicit_tls ? "imaps" : "imap",
		       a->imap.user ? a->imap.user : u.user ? u.user : "", "@",
		       u.host, u.port, a->name);
		print_folders(a, &u, v, n);
	} else {
		gr_warnx("%s", err.msg);
		rc = gr_status_to_exit(st);
	}
	gr_imap_mailboxes_free(v, n);
	gr_imap_close(conn);
	gr_imap_uri_free(&u);
	gr_config_free(cfg);
	return rc;
}
