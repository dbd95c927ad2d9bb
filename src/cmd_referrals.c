/* SPDX-License-Identifier: MIT */
/*
 * cmd_referrals.c - "gravity referrals": the referral ledger, most recent
 * first, with the introducers who sent the most business on top.  Text, or
 * JSON (RFC 8259) with --json.
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
referrals_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: gravity referrals [--config FILE] [--state FILE] [--json]\n"
	    "List the referrals gravity has seen: introductions made to you\n"
	    "(who introduced whom, when, for what, whether you thanked them)\n"
	    "and requests you passed to a partner, most recent first, after a\n"
	    "summary of the introducers who sent you the most business.\n"
	    "STATE: --state, else the config file's (--config, default\n"
	    "$XDG_CONFIG_HOME/gravity/config), else\n"
	    "$XDG_STATE_HOME/gravity/state.db.\n");
}

/* One introducer in the summary (strings of the ledger's rows). */
typedef struct intro_sum {
	const char *name, *addr;
	long count, thanked;
	time_t last;
} intro_sum;

typedef struct ledger {
	cJSON *rows;            /* array of referral objects */
	intro_sum *sum;
	size_t nsum;
	int oom;
} ledger;

static void
add_str(cJSON *o, const char *k, const char *v)
{
	if (v && *v)
		cJSON_AddStringToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

static void
iso_date(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (t <= 0 || !gmtime_r(&t, &tm) ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "?");
}

static void
count_introducer(ledger *l, const gr_state_referral *r)
{
	intro_sum *s = NULL, *nv;

	for (size_t i = 0; i < l->nsum && !s; i++)
		if (gr_strcaseeq(l->sum[i].addr, r->introducer_addr))
			s = &l->sum[i];
	if (!s) {
		nv = realloc(l->sum, (l->nsum + 1) * sizeof *nv);
		if (!nv) {
			l->oom = 1;
			return;
		}
		l->sum = nv;
		s = &l->sum[l->nsum++];
		memset(s, 0, sizeof *s);
		s->addr = r->introducer_addr;
		s->name = r->introducer_name;
	}
	s->count++;
	s->thanked += r->thanked != 0;
	if (r->at > s->last)
		s->last = r->at;
}

static const char *
said(int v)
{
	return v > 0 ? "yes" : v < 0 ? "no" : NULL;
}

/* Where a referral given stands: "made" only once the introduction was
 * seen in the owner's sent mail; a draft is not a referral. */
static const char *
given_status(const gr_state_referral *r)
{
	if (r->sent_at)
		return "made";
	if (r->partner_said < 0 || r->contact_said < 0)
		return "declined";
	if (r->introduced_at || !r->ask_mid)
		return "introduction-drafted";
	if (r->asked_at || r->offered_at || r->partner_said || r->contact_said)
		return "asking";
	return "drafted";
}

static void
add_referral(ledger *l, const gr_state_referral *r)
{
	cJSON *o = cJSON_CreateObject();
	char when[32];

	if (!o) {
		l->oom = 1;
		return;
	}
	iso_date(r->at, when, sizeof when);
	cJSON_AddStringToObject(o, "kind", r->kind ? r->kind : "?");
	cJSON_AddStringToObject(o, "date", when);
	cJSON_AddNumberToObject(o, "time", (double)r->at);
	add_str(o, "introducer_name", r->introducer_name);
	add_str(o, "introducer_email", r->introducer_addr);
	add_str(o, "contact_name", r->contact_name);
	add_str(o, "contact_email", r->contact_addr);
	add_str(o, "partner_name", r->partner_name);
	add_str(o, "partner_email", r->partner_addr);
	add_str(o, "service", r->service);
	add_str(o, "subject", r->subject);
	add_str(o, "message_id", r->message_id);
	if (r->kind && strcmp(r->kind, "given") == 0) {
		cJSON_AddStringToObject(o, "status", given_status(r));
		cJSON_AddBoolToObject(o, "sent", r->sent_at != 0);
		cJSON_AddBoolToObject(o, "opt_in", r->ask_mid != NULL);
		cJSON_AddBoolToObject(o, "partner_asked", r->asked_at != 0);
		cJSON_AddBoolToObject(o, "offer_sent", r->offered_at != 0);
		add_str(o, "partner_said", said(r->partner_said));
		add_str(o, "contact_said", said(r->contact_said));
		if (r->sent_at) {
			iso_date(r->sent_at, when, sizeof when);
			cJSON_AddStringToObject(o, "sent_date", when);
		}
	}
	if (r->kind && strcmp(r->kind, "received") == 0) {
		cJSON_AddBoolToObject(o, "thanked", r->thanked != 0);
		if (r->introducer_addr)
			count_introducer(l, r);
	}
	cJSON_AddItemToArray(l->rows, o);
}

static int
by_count(const void *a, const void *b)
{
	const intro_sum *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	if (x->last != y->last)
		return x->last < y->last ? 1 : -1;
	return strcmp(x->addr ? x->addr : "", y->addr ? y->addr : "");
}

static const char *
js(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* "Name <addr>", or whichever of them is known, into buf. */
static const char *
who(char *buf, size_t len, const char *name, const char *addr)
{
	if (name && addr)
		snprintf(buf, len, "%s <%s>", name, addr);
	else
		snprintf(buf, len, "%s", addr ? addr : name ? name : "(unknown)");
	return buf;
}

static int
is_yes(const cJSON *o, const char *k)
{
	const char *v = js(o, k);

	return v && strcmp(v, "yes") == 0;
}

static int
jtrue(const cJSON *o, const char *k)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, k));
}

/* One referral given, as far as it went: a draft is not a referral. */
static void
print_given(const cJSON *o, const char *day, char *a, size_t alen, char *b,
            size_t blen)
{
	const char *st = js(o, "status");
	const char *c = who(a, alen, js(o, "contact_name"),
	                    js(o, "contact_email"));
	const char *p = who(b, blen, js(o, "partner_name"),
	                    js(o, "partner_email"));

	if (st && strcmp(st, "made") == 0) {
		gr_term_line(stdout, "  %s  you referred %s to %s", day, c, p);
	} else if (st && strcmp(st, "declined") == 0) {
		gr_term_line(stdout, "  %s  no referral: %s", day,
		             js(o, "partner_said") &&
		             strcmp(js(o, "partner_said"), "no") == 0 ?
		             "the partner said no" :
		             "they said no to the introduction");
		gr_term_line(stdout, "        %s, %s", c, p);
	} else if (st && strcmp(st, "introduction-drafted") == 0) {
		gr_term_line(stdout, "  %s  introduction of %s to %s drafted, "
		             "not sent yet", day, c, p);
	} else {
		gr_term_line(stdout, "  %s  asking %s whether to take %s "
		             "(not referred yet)", day, p, c);
		gr_term_line(stdout, "        partner: %s; requester: %s",
		             is_yes(o, "partner_said") ? "said yes" :
		             jtrue(o, "partner_asked") ? "asked, no answer yet" :
		             "note drafted, not sent",
		             is_yes(o, "contact_said") ? "said yes" :
		             jtrue(o, "offer_sent") ? "offered, no answer yet" :
		             "offer drafted, not sent");
	}
}

/* Names, addresses, services and subjects come from mail: every line
 * holding them goes through gr_term_line(). */
static void
print_text(const ledger *l)
{
	const cJSON *o;
	char day[16], a[600], b[600];

	printf("Introducers who sent the most business:\n");
	if (!l->nsum)
		printf("  (none yet)\n");
	for (size_t i = 0; i < l->nsum; i++)
		gr_term_line(stdout, "  %3ld  %s  (thanked %ld of %ld)",
		             l->sum[i].count, who(a, sizeof a, l->sum[i].name,
		             l->sum[i].addr), l->sum[i].thanked, l->sum[i].count);
	printf("\nReferrals, most recent first:\n");
	if (cJSON_GetArraySize(l->rows) == 0)
		printf("  (none yet)\n");
	cJSON_ArrayForEach(o, l->rows) {
		const char *kind = js(o, "kind"), *date = js(o, "date");
		const char *svc = js(o, "service"), *subj = js(o, "subject");

		snprintf(day, sizeof day, "%.10s", date ? date : "?");
		if (kind && strcmp(kind, "given") == 0)
			print_given(o, day, a, sizeof a, b, sizeof b);
		else
			gr_term_line(stdout, "  %s  %s introduced %s  %s", day,
			             who(a, sizeof a, js(o, "introducer_name"),
			                 js(o, "introducer_email")),
			             who(b, sizeof b, js(o, "contact_name"),
			                 js(o, "contact_email")),
			             cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o,
			             "thanked")) ? "[thanked]" : "[not thanked yet]");
		gr_term_line(stdout, "        for: %s", svc ? svc : subj ? subj : "?");
	}
}

static cJSON *
to_json(const ledger *l)
{
	cJSON *root = cJSON_CreateObject(), *sum = cJSON_CreateArray();
	char when[32];

	for (size_t i = 0; i < l->nsum; i++) {
		cJSON *s = cJSON_CreateObject();

		add_str(s, "name", l->sum[i].name);
		add_str(s, "email", l->sum[i].addr);
		cJSON_AddNumberToObject(s, "referrals", (double)l->sum[i].count);
		cJSON_AddNumberToObject(s, "thanked", (double)l->sum[i].thanked);
		iso_date(l->sum[i].last, when, sizeof when);
		cJSON_AddStringToObject(s, "last", when);
		cJSON_AddItemToArray(sum, s);
	}
	cJSON_AddItemToObject(root, "top_introducers", sum);
	cJSON_AddItemReferenceToObject(root, "referrals", l->rows);
	return root;
}

int
gr_cmd_referrals(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *config = NULL;
	char buf[PATH_MAX];
	struct gr_config *cfg = NULL;
	ledger l = { 0 };
	gr_state_referrals refs = { 0 };
	gr_state *st = NULL;
	gr_error err;
	int c, json = 0, rc = EX_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:S:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = gr_cli_path(optarg); break;
		case 'S': path = gr_cli_path(optarg); break;
		case 'j': json = 1; break;
		case 'h': referrals_usage(stdout); return EX_OK;
		default: referrals_usage(stderr); return EX_USAGE;
		}
	}
	if (optind != argc) {
		referrals_usage(stderr);
		return EX_USAGE;
	}
	if ((rc = gr_cli_state_path(path, config, &cfg, buf, sizeof buf,
	                            &path)) != EX_OK) {
		gr_config_free(cfg);
		return rc;
	}
	if (access(path, F_OK) != 0) {
		gr_warnx("%s: no state file (run 'gravity poll' first)", path);
		gr_config_free(cfg);
		return EX_NOINPUT;
	}
	if (gr_state_open(path, &st, &err) != GR_OK) {
		gr_warnx("%s", err.msg);
		gr_config_free(cfg);
		return err.status == GR_E_LOCKED ? EX_TEMPFAIL : EX_DATAERR;
	}
	gr_config_free(cfg);     /* path is no longer needed */
	l.rows = cJSON_CreateArray();
	if (gr_state_referral_list(st, &refs, &err) != GR_OK) {
		gr_warnx("%s", err.msg);
		rc = err.status == GR_E_NOMEM ? EX_OSERR : EX_DATAERR;
	}
	gr_state_close(st);
	for (size_t i = 0; rc == EX_OK && l.rows && i < refs.n && !l.oom; i++)
		add_referral(&l, &refs.v[i]);
	if (rc == EX_OK && (l.oom || !l.rows)) {
		gr_warnx("out of memory");
		rc = EX_OSERR;
	}
	if (rc == EX_OK) {
		if (l.nsum)
			qsort(l.sum, l.nsum, sizeof *l.sum, by_count);
		if (json) {
			cJSON *root = to_json(&l);
			char *s = root ? cJSON_Print(root) : NULL;

			if (s)
				printf("%s\n", s);
			else
				rc = EX_OSERR;
			free(s);
			cJSON_Delete(root);
		} else {
			print_text(&l);
		}
	}
	free(l.sum);
	cJSON_Delete(l.rows);
	gr_state_referrals_free(&refs);
	return rc;
}
