/* SPDX-License-Identifier: MIT */
/*
 * cmd_status.c - "gravity status": what gravity did last and what waits on
 * the owner: the last poll of each account (time and result), the pending
 * reminders (due soonest first), the drafts whose message is not answered
 * yet and the introductions not thanked yet.  Text, or JSON with --json.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "gravity/config.h"
#include "gravity/state.h"
#include "gravity/util.h"

static void
status_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: gravity status [--config FILE] [--state FILE] [--json]\n"
	    "Show the last poll of each account (when, and whether it worked),\n"
	    "the pending reminders (due soonest first), the drafts whose\n"
	    "message you have not answered yet, and the introductions you have\n"
	    "not thanked yet.  Times are local (TZ).  STATE: --state, else the\n"
	    "config file's (--config, default $XDG_CONFIG_HOME/gravity/config),\n"
	    "else $XDG_STATE_HOME/gravity/state.db.\n");
}

/* What the state holds (all empty when there is no state file yet). */
struct status {
	gr_state_polls polls;
	gr_state_rems rems;
	gr_state_outs drafts;
	gr_state_referrals refs;
};

static void
status_free(struct status *s)
{
	gr_state_polls_free(&s->polls);
	gr_state_rems_free(&s->rems);
	gr_state_outs_free(&s->drafts);
	gr_state_referrals_free(&s->refs);
}

/* The pending follow-up reminder of a follow-up draft d, or NULL. */
static const gr_state_rem *
followup_of(const struct status *s, const gr_state_out *d)
{
	for (size_t i = 0; d->message_id && i < s->rems.n; i++)
		if (s->rems.v[i].action && s->rems.v[i].message_id &&
		    strcmp(s->rems.v[i].action, "followup") == 0 &&
		    strcmp(s->rems.v[i].message_id, d->message_id) == 0)
			return &s->rems.v[i];
	return NULL;
}

static gr_status
status_read(gr_state *st, struct status *s, gr_error *err)
{
	gr_status rc = gr_state_poll_list(st, &s->polls, err);
	size_t n = 0;

	if (rc == GR_OK)
		rc = gr_state_rem_list(st, NULL, 1, 0, &s->rems, err);
	if (rc == GR_OK)
		rc = gr_state_output_list(st, NULL, 1, &s->drafts, err);
	/* A follow-up draft follows the owner's own message: it waits while
	 * its reminder does, and is done with once they wrote back. */
	for (size_t i = 0; rc == GR_OK && i < s->drafts.n; i++) {
		const gr_state_out *d = &s->drafts.v[i];

		if (!d->action || strcmp(d->action, "followup") != 0 ||
		    followup_of(s, d))
			s->drafts.v[n++] = *d;
	}
	if (rc == GR_OK)
		s->drafts.n = n;
	if (rc == GR_OK)
		rc = gr_state_referral_list(st, &s->refs, err);
	return rc;
}

static int
unthanked(const gr_state_referral *r)
{
	return r->kind && strcmp(r->kind, "received") == 0 && !r->thanked;
}

static const char *
local_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (t <= 0 || !localtime_r(&t, &tm) ||
	    strftime(buf, len, "%Y-%m-%d %H:%M %Z", &tm) == 0)
		snprintf(buf, len, "?");
	return buf;
}

static const char *
iso_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (t <= 0 || !gmtime_r(&t, &tm) ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "?");
	return buf;
}

/* The accounts to show: the config's, in file order, then any other
 * account the state has a poll of (a poll with --source is recorded
 * under its URI).  *poll[i]: its last poll, or NULL. */
struct acct_row {
	const char *name;
	const gr_state_poll *poll;
};

static struct acct_row *
accounts(const gr_config *cfg, const struct status *s, size_t *n)
{
	size_t cap = (cfg ? cfg->naccounts : 0) + s->polls.n, k = 0;
	struct acct_row *v = calloc(cap ? cap : 1, sizeof *v);

	if (!v)
		return NULL;
	for (size_t i = 0; cfg && i < cfg->naccounts; i++) {
		v[k].name = cfg->accounts[i].name;
		for (size_t j = 0; j < s->polls.n; j++)
			if (strcmp(s->polls.v[j].account, v[k].name) == 0)
				v[k].poll = &s->polls.v[j];
		k++;
	}
	for (size_t j = 0; j < s->polls.n; j++) {
		int known = 0;

		for (size_t i = 0; i < k && !known; i++)
			known = v[i].poll == &s->polls.v[j];
		if (!known) {
			v[k].name = s->polls.v[j].account;
			v[k++].poll = &s->polls.v[j];
		}
	}
	*n = k;
	return v;
}

static void
add_str(cJSON *o, const char *k, const char *v)
{
	if (v && *v)
		cJSON_AddStringToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

static void
add_time(cJSON *o, const char *k, time_t t)
{
	char buf[32];

	if (t > 0)
		cJSON_AddStringToObject(o, k, iso_time(t, buf, sizeof buf));
	else
		cJSON_AddNullToObject(o, k);
}

static cJSON *
to_json(const char *state, const struct acct_row *a, size_t na,
        const struct status *s)
{
	cJSON *root = cJSON_CreateObject(), *arr, *o;

	if (!root)
		return NULL;
	cJSON_AddStringToObject(root, "state", state);
	arr = cJSON_AddArrayToObject(root, "accounts");
	for (size_t i = 0; arr && i < na; i++) {
		const gr_state_poll *p = a[i].poll;

		o = cJSON_CreateObject();
		cJSON_AddItemToArray(arr, o);
		cJSON_AddStringToObject(o, "account", a[i].name);
		add_time(o, "last_poll", p ? p->at : 0);
		cJSON_AddStringToObject(o, "result", p ? p->status : "never");
		/* An ok poll's text is its warnings. */
		add_str(o, "error", p && strcmp(p->status, "ok") != 0 ?
		        p->error : NULL);
		add_str(o, "warnings", p && strcmp(p->status, "ok") == 0 ?
		        p->error : NULL);
		cJSON_AddNumberToObject(o, "new_messages", p ? p->processed : 0);
		cJSON_AddNumberToObject(o, "failed_messages", p ? p->failed : 0);
	}
	arr = cJSON_AddArrayToObject(root, "reminders");
	for (size_t i = 0; arr && i < s->rems.n; i++) {
		const gr_state_rem *r = &s->rems.v[i];

		o = cJSON_CreateObject();
		cJSON_AddItemToArray(arr, o);
		add_time(o, "due", r->due);
		add_str(o, "summary", r->summary);
		add_str(o, "action", r->action);
		add_str(o, "peer", r->peer);
		add_str(o, "file", r->relpath);
		add_str(o, "uid", r->uid);
		add_str(o, "message_id", r->message_id);
	}
	arr = cJSON_AddArrayToObject(root, "drafts");
	for (size_t i = 0; arr && i < s->drafts.n; i++) {
		const gr_state_out *d = &s->drafts.v[i];

		o = cJSON_CreateObject();
		cJSON_AddItemToArray(arr, o);
		add_str(o, "file", d->relpath);
		add_str(o, "action", d->action);
		add_time(o, "written", d->at);
		add_str(o, "from", d->sender);
		if (d->action && strcmp(d->action, "followup") == 0 &&
		    followup_of(s, d))
			add_str(o, "to", followup_of(s, d)->peer);
		add_str(o, "subject", d->subject);
		add_str(o, "message_id", d->message_id);
	}
	arr = cJSON_AddArrayToObject(root, "referrals_not_thanked");
	for (size_t i = 0; arr && i < s->refs.n; i++) {
		const gr_state_referral *r = &s->refs.v[i];

		if (!unthanked(r))
			continue;
		o = cJSON_CreateObject();
		cJSON_AddItemToArray(arr, o);
		add_time(o, "date", r->at);
		add_str(o, "introducer_name", r->introducer_name);
		add_str(o, "introducer_email", r->introducer_addr);
		add_str(o, "contact_name", r->contact_name);
		add_str(o, "contact_email", r->contact_addr);
		add_str(o, "subject", r->subject);
		add_str(o, "message_id", r->message_id);
	}
	return root;
}

/* "Name <addr>", or whichever is known, into buf. */
static const char *
who(char *buf, size_t len, const char *name, const char *addr)
{
	if (name && *name && addr)
		snprintf(buf, len, "%s <%s>", name, addr);
	else
		snprintf(buf, len, "%s", addr ? addr : name ? name : "(unknown)");
	return buf;
}

/* Names, subjects and errors come from mail and servers: every line with
 * them goes through gr_term_line(). */
static void
print_text(const char *state, const struct acct_row *a, size_t na,
           const struct status *s)
{
	char t[64], w1[600], w2[600];
	size_t nref = 0;

	gr_term_line(stdout, "Last polls (state %s):", state);
	if (!na)
		printf("  (no account configured and no poll yet)\n");
	for (size_t i = 0; i < na; i++) {
		const gr_state_poll *p = a[i].poll;

		if (!p)
			gr_term_line(stdout, "  %s: never polled", a[i].name);
		else if (strcmp(p->status, "ok") == 0)
			gr_term_line(stdout, "  %s: %s, ok: %ld new message%s%s%s%s",
			             a[i].name, local_time(p->at, t, sizeof t),
			             p->processed, p->processed == 1 ? "" : "s",
			             p->failed ? ", some failed (see log.jsonl)" :
			             "", p->error ? "; " : "",
			             p->error ? p->error : "");
		else
			gr_term_line(stdout, "  %s: %s, FAILED: %s", a[i].name,
			             local_time(p->at, t, sizeof t),
			             p->error ? p->error : "?");
	}
	printf("\nPending reminders, due soonest first:\n");
	if (!s->rems.n)
		printf("  (none)\n");
	for (size_t i = 0; i < s->rems.n; i++)
		gr_term_line(stdout, "  %s  %s  (%s)",
		             local_time(s->rems.v[i].due, t, sizeof t),
		             s->rems.v[i].summary ? s->rems.v[i].summary : "?",
		             s->rems.v[i].relpath);
	printf("\nDrafts not answered yet:\n");
	if (!s->drafts.n)
		printf("  (none)\n");
	for (size_t i = 0; i < s->drafts.n; i++) {
		const gr_state_out *d = &s->drafts.v[i];
		const gr_state_rem *fu = followup_of(s, d);

		if (d->action && strcmp(d->action, "followup") == 0)
			gr_term_line(stdout, "  %s  follow-up to %s: %s", d->relpath,
			             fu && fu->peer ? fu->peer : "?",
			             d->subject ? d->subject : "(no subject)");
		else
			gr_term_line(stdout, "  %s  %s: %s", d->relpath,
			             d->sender ? d->sender : "?",
			             d->subject ? d->subject : "(no subject)");
	}
	printf("\nIntroductions not thanked yet:\n");
	for (size_t i = 0; i < s->refs.n; i++) {
		const gr_state_referral *r = &s->refs.v[i];

		if (!unthanked(r))
			continue;
		nref++;
		gr_term_line(stdout, "  %.10s  %s introduced %s",
		             local_time(r->at, t, sizeof t),
		             who(w1, sizeof w1, r->introducer_name,
		                 r->introducer_addr),
		             who(w2, sizeof w2, r->contact_name, r->contact_addr));
	}
	if (!nref)
		printf("  (none)\n");
}

int
gr_cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *path = NULL;
	char buf[PATH_MAX];
	gr_config *cfg = NULL;
	struct status s;
	struct acct_row *a = NULL;
	size_t na = 0;
	gr_state *st = NULL;
	gr_error err;
	int c, json = 0, rc;

	memset(&s, 0, sizeof s);
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:S:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = gr_cli_path(optarg); break;
		case 'S': path = gr_cli_path(optarg); break;
		case 'j': json = 1; break;
		case 'h': status_usage(stdout); return EX_OK;
		default: status_usage(stderr); return EX_USAGE;
		}
	}
	if (optind != argc) {
		status_usage(stderr);
		return EX_USAGE;
	}
	if ((rc = gr_cli_state_path(path, config, &cfg, buf, sizeof buf,
	                            &path)) != EX_OK) {
		gr_config_free(cfg);
		return rc;
	}
	/* No state yet: every account is "never polled", nothing waits. */
	if (access(path, F_OK) == 0) {
		if (gr_state_open(path, &st, &err) != GR_OK) {
			gr_warnx("%s%s", err.msg, err.status == GR_E_LOCKED ?
			         " (a poll is running: try again when it ends)" :
			         "");
			gr_config_free(cfg);
			return err.status == GR_E_LOCKED ? EX_TEMPFAIL :
			       gr_status_to_exit(err.status);
		}
		if (status_read(st, &s, &err) != GR_OK) {
			gr_warnx("%s", err.msg);
			rc = gr_status_to_exit(err.status);
		}
		gr_state_close(st);
	}
	if (rc == EX_OK && !(a = accounts(cfg, &s, &na))) {
		gr_warnx("out of memory");
		rc = EX_OSERR;
	}
	if (rc == EX_OK && json) {
		cJSON *root = to_json(path, a, na, &s);
		char *out = root ? cJSON_Print(root) : NULL;

		if (out)
			printf("%s\n", out);
		else
			rc = EX_OSERR;
		free(out);
		cJSON_Delete(root);
	} else if (rc == EX_OK) {
		print_text(path, a, na, &s);
	}
	free(a);
	status_free(&s);
	gr_config_free(cfg);
	return rc;
}
