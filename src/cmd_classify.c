/* SPDX-License-Identifier: MIT */
/*
 * cmd_classify.c - "gravity classify" and "gravity explain", and the
 * helpers every command uses to load rules and walk message paths.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "gravity/buf.h"
#include "gravity/config.h"
#include "gravity/imap.h"
#include "gravity/source.h"
#include "gravity/util.h"

int
gr_cli_load(const char *user_dir, int want_policy, gr_rules **rules,
            gr_policy **policy)
{
	return gr_cli_load_dirs(&user_dir, user_dir ? 1 : 0, want_policy, rules,
	                        policy);
}

int
gr_cli_load_dirs(const char *const *user_dirs, size_t nuser, int want_policy,
                 gr_rules **rules, gr_policy **policy)
{
	const char *dirs[4];
	size_t n = 0;
	gr_diags d = { 0 };
	gr_status st;
	gr_buf names;

	*rules = NULL;
	if (policy)
		*policy = NULL;
	dirs[n++] = gr_default_rules_dir();
	for (size_t i = 0; i < nuser && n < 4; i++)
		if (user_dirs[i])
			dirs[n++] = gr_cli_path(user_dirs[i]);
	st = gr_rules_load(dirs, n, rules, &d);
	if (st == GR_OK && want_policy && policy)
		st = gr_policy_load(*rules, policy, &d);
	gr_diags_print(&d, stderr);
	if (st == GR_OK && gr_diags_errors(&d) > 0)
		st = GR_E_CONFIG;
	gr_diags_free(&d);
	if (st != GR_OK) {
		gr_buf_init(&names, 1u << 16);
		for (size_t i = 0; i < n; i++)
			gr_buf_printf(&names, "%s%s", i == 0 ? "" : i + 1 == n ?
			              " and " : ", ", dirs[i]);
		gr_warnx("rules in %s have errors; nothing was done",
		         names.data ? names.data : dirs[0]);
		gr_buf_free(&names);
		if (policy) {
			gr_policy_free(*policy);
			*policy = NULL;
		}
		gr_rules_free(*rules);
		*rules = NULL;
		return gr_status_to_exit(st);
	}
	return EX_OK;
}

int
gr_cli_open(const char *user_dir, int want_policy, struct gr_cli_session *s)
{
	gr_parse_limits lim;
	gr_error err;
	int rc;

	memset(s, 0, sizeof *s);
	gr_parse_limits_default(&lim);
	if (gr_parser_start(&lim, &s->parser, &err) != GR_OK) {
		gr_warnx("%s", err.msg);
		return EX_OSERR;
	}
	rc = gr_cli_load(user_dir, want_policy, &s->rules,
	                 want_policy ? &s->policy : NULL);
	if (rc != EX_OK)
		gr_cli_close(s);
	return rc;
}

void
gr_cli_close(struct gr_cli_session *s)
{
	gr_policy_free(s->policy);
	gr_rules_free(s->rules);
	gr_parser_stop(s->parser);
	memset(s, 0, sizeof *s);
}

int
gr_cli_classify_path(const gr_rules *r, gr_parser *parser, const char *path,
                     const gr_classify_ctx *ctx, const gr_source_opts *opts,
                     gr_each_fn fn, void *aux)
{
	gr_source *src;
	gr_source_opts none = { 0 };
	gr_error err;
	gr_status st;

	st = gr_source_open(path, opts ? opts : &none, &src, &err);
	if (st != GR_OK) {
		gr_warnx("%s", err.msg);
		return gr_status_to_exit(st);
	}
	for (;;) {
		gr_raw_msg raw = { 0 };
		gr_message *m = NULL;
		gr_verdict v;

		gr_error_clear(&err);
		st = gr_source_next(src, &raw, &err);
		if (st == GR_DONE)
			break;
		if (st != GR_OK) {
			if (!raw.source_id) {   /* the source itself failed */
				gr_warnx("%s", err.msg);
				gr_source_close(src);
				return gr_status_to_exit(st);
			}
			fn(aux, path, raw.source_id, NULL, NULL, &err);
			continue;
		}
		st = gr_parser_parse(parser, raw.data, raw.len, &m, &err);
		if (st != GR_OK) {
			fn(aux, path, raw.source_id, NULL, NULL, &err);
			continue;
		}
		memset(&v, 0, sizeof v);
		st = gr_classify(r, m, ctx, &v, &err);
		if (st != GR_OK)
			fn(aux, path, raw.source_id, NULL, NULL, &err);
		else
			fn(aux, path, raw.source_id, m, &v, NULL);
		gr_verdict_free(&v);
		gr_message_free(m);
	}
	gr_source_close(src);
	return EX_OK;
}

/* --- classify ------------------------------------------------------------ */

/* The options classify and explain share. */
struct path_opts {
	const char *rules_dir, *config;
	int json;
	/* explain only: a message of an IMAP account, by UID */
	const char *account, *folder;
	uint32_t uid;
};

/* --rules DIR, --config FILE, --json, --help, --version (and for explain
 * --account NAME --uid N [--folder NAME]), then at least one path unless a
 * UID names the message.  Returns -1 to go on (argv[optind..] are the
 * paths), else the exit code. */
static int
parse_path_opts(int argc, char **argv, void (*usage)(FILE *), int imap,
                struct path_opts *po)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "account", required_argument, NULL, 'a' },
		{ "uid", required_argument, NULL, 'u' },
		{ "folder", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long n;
	char *end;
	int c;

	memset(po, 0, sizeof *po);
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:c:jhV", opts, NULL)) != -1) {
		switch (c) {
		case 'r': po->rules_dir = gr_cli_path(optarg); break;
		case 'c': po->config = gr_cli_path(optarg); break;
		case 'j': po->json = 1; break;
		case 'a': po->account = optarg; break;
		case 'f': po->folder = optarg; break;
		case 'u':
			n = strtoul(optarg, &end, 10);
			if (*end || !*optarg || *optarg == '-' || n == 0 ||
			    n > UINT32_MAX) {
				gr_warnx("--uid %s: a message's UID is a number from 1 "
				         "to %u", optarg, (unsigned)UINT32_MAX);
				return EX_USAGE;
			}
			po->uid = (uint32_t)n;
			break;
		case 'h': usage(stdout); return EX_OK;
		case 'V': gr_print_version(); return EX_OK;
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (!imap && (po->account || po->uid || po->folder)) {
		usage(stderr);
		return EX_USAGE;
	}
	if ((po->account || po->folder) && !po->uid) {
		gr_warnx("--account and --folder name where a message is: give "
		         "its --uid too ('gravity classify' reads whole folders)");
		return EX_USAGE;
	}
	if (po->uid ? optind != argc : optind >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	return -1;
}

struct classify_aux {
	int json;
	long n, failed;
};

static const char *
nz(const char *s)
{
	return s ? s : "";
}

/* The path to show: the file for single files, else the source identity. */
static const char *
shown_path(const char *path, const char *source_id)
{
	if (source_id && !strncmp(source_id, "file:", 5))
		return path;
	return source_id ? source_id : path;
}

static void
classify_one(void *vaux, const char *path, const char *source_id,
             const gr_message *m, const gr_verdict *v, const gr_error *perr)
{
	struct classify_aux *a = vaux;
	const char *p = shown_path(path, source_id);

	a->n++;
	if (!m) {
		a->failed++;
		gr_warnx("%s: skipped: %s", p, perr ? perr->msg : "unknown error");
		return;
	}
	if (a->json) {
		cJSON *o = cJSON_CreateObject(), *rules = cJSON_CreateArray();
		char *s;

		cJSON_AddStringToObject(o, "path", p);
		if (m->message_id)
			cJSON_AddStringToObject(o, "message_id", m->message_id);
		else
			cJSON_AddNullToObject(o, "message_id");
		cJSON_AddStringToObject(o, "from", nz(m->from.addr));
		cJSON_AddStringToObject(o, "subject", nz(m->subject));
		cJSON_AddStringToObject(o, "class", gr_class_name(v->cls));
		cJSON_AddNumberToObject(o, "score", v->scores[v->cls]);
		for (size_t i = 0; i < v->n_hits; i++)
			cJSON_AddItemToArray(rules, cJSON_CreateString(v->hits[i].rule));
		cJSON_AddItemToObject(o, "rules", rules);
		if (v->override)
			cJSON_AddStringToObject(o, "override", v->override);
		s = cJSON_PrintUnformatted(o);
		if (s)
			puts(s);
		free(s);
		cJSON_Delete(o);
	} else {
		gr_term_line(stdout, "%-14s %6.1f  %s  %s",
		             gr_class_name(v->cls), v->scores[v->cls], p,
		             nz(m->subject));
	}
}

static void
classify_usage(FILE *fp)
{
	fprintf(fp, "usage: gravity classify [--config FILE] [--rules DIR] [--json] "
	        "PATH...\n"
	        "Classify message files, Maildirs (maildir:DIR) and mboxes "
	        "(mbox:FILE), or '-' for standard input.\n"
	        "No state is read or written and no outputs are made.\n");
}

int
gr_cmd_classify(int argc, char **argv)
{
	struct classify_aux a = { 0 };
	struct gr_cli_session cs;
	struct path_opts po;
	struct gr_config *cfg = NULL;
	const char *rules_dir;
	int rc;

	rc = parse_path_opts(argc, argv, classify_usage, 0, &po);
	if (rc >= 0)
		return rc;
	a.json = po.json;
	rc = gr_cli_rules_dir(po.rules_dir, po.config, &cfg, &rules_dir);
	if (rc != EX_OK)
		return rc;
	rc = gr_cli_open(rules_dir, 0, &cs);
	for (int i = optind; rc == EX_OK && i < argc; i++) {
		int prc = gr_cli_classify_path(cs.rules, cs.parser, argv[i], NULL,
		                               NULL, classify_one, &a);

		if (prc != EX_OK)
			rc = prc;
	}
	gr_cli_close(&cs);
	gr_config_free(cfg);
	if (rc == EX_OK && a.failed)
		gr_warnx("%ld of %ld messages could not be classified",
		         a.failed, a.n);
	return rc;
}

/* --- explain ------------------------------------------------------------- */

struct explain_aux {
	int json;
	const gr_rules *rules;
	const gr_policy *policy;
	const char *user_dir;   /* the owner's rules directory, or NULL */
	long n;
	int rc;
};

/* What the owner can do about a wrong class: an overrides line for this
 * sender, and the services phrase that decided the scope. */
struct advice {
	char sender[512];       /* "sender a@b.example always CLASS" or "" */
	char domain[512];       /* "domain b.example always CLASS" or "" */
	char phrase[GR_EXCERPT_SIZE]; /* what the deciding phrase matched */
	char where[600];        /* the user's rules directory, in words */
};

static void
advise(const struct explain_aux *a, const gr_message *m, const gr_verdict *v,
       struct advice *ad)
{
	const gr_owner *o = gr_rules_owner(a->rules);
	const char *addr = m->from.addr, *at = addr ? strrchr(addr, '@') : NULL;

	memset(ad, 0, sizeof *ad);
	if (addr && at && !strpbrk(addr, " \t\r\n")) {
		snprintf(ad->sender, sizeof ad->sender, "sender %s always CLASS",
		         addr);
		snprintf(ad->domain, sizeof ad->domain, "domain %s always CLASS",
		         at + 1);
	}
	snprintf(ad->where, sizeof ad->where, "%s", a->user_dir ? a->user_dir :
	         "your rules directory (rules-dir in the config)");
	for (size_t i = 0; v->service && i < gr_owner_n_services(o); i++) {
		char *folded;
		gr_buf b;

		if (gr_owner_service(o, i) != v->service)
			continue;
		gr_buf_init(&b, 1u << 20);
		if (gr_buf_printf(&b, "%s\n%s", nz(m->subject), nz(m->new_text)) ==
		    GR_OK) {
			folded = gr_fold_accents(b.data);
			if (!gr_owner_service_excerpt(o, i, b.data, folded, NULL,
			                              ad->phrase, sizeof ad->phrase) &&
			    m->quoted) {
				free(folded);
				folded = gr_fold_accents(m->quoted);
				gr_owner_service_excerpt(o, i, m->quoted, folded, NULL,
				                         ad->phrase, sizeof ad->phrase);
			}
			free(folded);
		}
		gr_buf_free(&b);
	}
}

/* The end of explain: what to change when the class is wrong.  The
 * sender, the rules directory and the phrase may hold anything: each line
 * goes through gr_term_line. */
static void
explain_advice(const gr_verdict *v, const struct advice *ad)
{
	printf("\nif the class is wrong:\n");
	if (v->override)
		gr_term_line(stdout, "  an override decided (%s): change or remove "
		             "that line", v->override);
	if (*ad->sender) {
		gr_term_line(stdout, "  for every message from this sender, add to "
		             "%s/overrides:", ad->where);
		gr_term_line(stdout, "      %s", ad->sender);
		printf("  (CLASS: inquiry, out_of_scope, referral_intro, cold_pitch,"
		       " automated or other;\n");
		gr_term_line(stdout, "   '%s' covers the domain; 'never CLASS' only "
		             "rules one out)", ad->domain);
	}
	if (v->service && *ad->phrase)
		gr_term_line(stdout, "  the scope came from the services phrase "
		             "\"%s\" of %s %s: change its phrases in %s/services",
		             ad->phrase, v->service->offered ? "offer" : "refer",
		             v->service->key, ad->where);
	else if (v->cls == GR_CLASS_INQUIRY || v->cls == GR_CLASS_OUT_OF_SCOPE)
		gr_term_line(stdout, "  no services phrase matched: to say whether "
		             "you offer what this asks for, add its words to a "
		             "service's phrases in %s/services", ad->where);
	gr_term_line(stdout, "  to teach the weights with this message: 'gravity "
	             "learn CLASS FILE', then 'gravity train' (writes "
	             "%s/weights)", ad->where);
}

/* The class scoring second to v->cls. */
static gr_class
runner_up(const gr_verdict *v)
{
	gr_class best = v->cls == GR_CLASS_OTHER ? GR_CLASS_INQUIRY :
	                GR_CLASS_OTHER;

	for (int c = 0; c < GR_CLASS_COUNT; c++)
		if (c != (int)v->cls && v->scores[c] > v->scores[best])
			best = (gr_class)c;
	return best;
}

/* Order of the learned contributions to show: the biases and facts, then
 * at most max words, those that most separate the decision from the
 * runner-up first.  Returns how many indices went to idx. */
static size_t
shown_contribs(const gr_verdict *v, size_t *idx, size_t max)
{
	gr_class a = v->cls, b = runner_up(v);
	size_t n = 0, nw = 0, first_word;

	for (size_t i = 0; i < v->n_contribs; i++)
		if (strncmp(v->contribs[i].name, "word:", 5) != 0)
			idx[n++] = i;
	first_word = n;
	for (size_t i = 0; i < v->n_contribs; i++) {
		const double *w = v->contribs[i].score;
		double d = w[a] - w[b];
		size_t k;

		if (strncmp(v->contribs[i].name, "word:", 5) != 0)
			continue;
		/* insertion by |d|, keeping the max largest */
		for (k = first_word + nw; k > first_word; k--) {
			const double *o = v->contribs[idx[k - 1]].score;
			double od = o[a] - o[b];

			if ((od < 0 ? -od : od) >= (d < 0 ? -d : d))
				break;
			if (k < first_word + max)
				idx[k] = idx[k - 1];
		}
		if (k < first_word + max) {
			idx[k] = i;
			if (nw < max)
				nw++;
		}
	}
	return first_word + nw;
}

/* " class +w.w" for each weight that shows at one decimal, into buf. */
static const char *
scores_text(const double *w, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int c = 0; c < GR_CLASS_COUNT && n < len; c++)
		if (w[c] >= 0.05 || w[c] <= -0.05)
			n += (size_t)snprintf(buf + n, len - n, " %s %+.1f",
			                      gr_class_name((gr_class)c), w[c]);
	return buf;
}

static cJSON *
explain_json(const gr_message *m, const gr_verdict *v, const gr_plan *pl,
             const char *p, const struct advice *ad)
{
	cJSON *o = cJSON_CreateObject(), *hits = cJSON_CreateArray();
	cJSON *totals = cJSON_CreateObject(), *acts = cJSON_CreateArray();

	cJSON_AddStringToObject(o, "path", p);
	cJSON_AddStringToObject(o, "message_id", nz(m->message_id));
	cJSON_AddStringToObject(o, "from", nz(m->from.addr));
	cJSON_AddStringToObject(o, "subject", nz(m->subject));
	for (size_t i = 0; i < v->n_hits; i++) {
		const gr_hit *h = &v->hits[i];
		cJSON *ho = cJSON_CreateObject(), *sc = cJSON_CreateObject();

		cJSON_AddStringToObject(ho, "rule", h->rule);
		cJSON_AddStringToObject(ho, "description", nz(h->desc));
		if (h->file)
			cJSON_AddStringToObject(ho, "file", h->file);
		cJSON_AddNumberToObject(ho, "line", h->line);
		if (h->excerpt[0])
			cJSON_AddStringToObject(ho, "excerpt", h->excerpt);
		for (int c = 0; c < GR_CLASS_COUNT; c++)
			if (h->score[c] != 0)
				cJSON_AddNumberToObject(sc, gr_class_name((gr_class)c),
				                        h->score[c]);
		cJSON_AddItemToObject(ho, "scores", sc);
		cJSON_AddItemToArray(hits, ho);
	}
	cJSON_AddItemToObject(o, "hits", hits);
	if (v->learned) {
		cJSON *ca = cJSON_CreateArray();
		size_t *idx = calloc(v->n_contribs + 1, sizeof *idx);
		size_t n = idx ? shown_contribs(v, idx, 10) : 0;

		for (size_t i = 0; i < n; i++) {
			const gr_contrib *k = &v->contribs[idx[i]];
			cJSON *co = cJSON_CreateObject(), *sc = cJSON_CreateObject();

			cJSON_AddStringToObject(co, "feature", k->name);
			for (int c = 0; c < GR_CLASS_COUNT; c++)
				if (k->score[c] != 0)
					cJSON_AddNumberToObject(sc,
					    gr_class_name((gr_class)c), k->score[c]);
			cJSON_AddItemToObject(co, "scores", sc);
			cJSON_AddItemToArray(ca, co);
		}
		free(idx);
		cJSON_AddItemToObject(o, "learned", ca);
	}
	for (int c = 0; c < GR_CLASS_COUNT; c++)
		cJSON_AddNumberToObject(totals, gr_class_name((gr_class)c),
		                        v->scores[c]);
	cJSON_AddItemToObject(o, "totals", totals);
	cJSON_AddStringToObject(o, "class", gr_class_name(v->cls));
	if (v->override)
		cJSON_AddStringToObject(o, "override", v->override);
	if (v->service)
		cJSON_AddStringToObject(o, "service", v->service->key);
	if (v->partner)
		cJSON_AddStringToObject(o, "partner", nz(v->partner->email));
	for (size_t i = 0; pl && i < pl->n; i++)
		cJSON_AddItemToArray(acts, cJSON_CreateString(pl->v[i].summary));
	cJSON_AddItemToObject(o, "actions", acts);
	if (*ad->sender)
		cJSON_AddStringToObject(o, "override_line", ad->sender);
	if (*ad->phrase)
		cJSON_AddStringToObject(o, "service_phrase", ad->phrase);
	return o;
}

/* Every line through gr_term_line(): names, subjects, rule descriptions
 * and actions hold text from the message and the rule files. */
static void
explain_text(const gr_message *m, const gr_verdict *v, const gr_plan *pl,
             const char *p, const struct advice *ad)
{
	char sc[512];

	gr_term_line(stdout, "message:  %s", p);
	gr_term_line(stdout, "from:     %s%s%s%s", nz(m->from.name),
	             m->from.name ? " <" : "", nz(m->from.addr),
	             m->from.name ? ">" : "");
	gr_term_line(stdout, "subject:  %s", nz(m->subject));
	if (m->message_id)
		gr_term_line(stdout, "id:       <%s>", m->message_id);
	printf("\nrules that fired:\n");
	if (v->n_hits == 0)
		printf("  (none)\n");
	for (size_t i = 0; i < v->n_hits; i++) {
		const gr_hit *h = &v->hits[i];

		gr_term_line(stdout, "  %-28s%s", h->rule,
		             scores_text(h->score, sc, sizeof sc));
		if (h->file)
			gr_term_line(stdout, "      %s  (%s:%u)", nz(h->desc),
			             h->file, h->line);
		else
			gr_term_line(stdout, "      %s", nz(h->desc));
		if (h->excerpt[0])
			gr_term_line(stdout, "      matched: \"%s\"", h->excerpt);
	}
	if (v->learned) {
		size_t *idx = calloc(v->n_contribs + 1, sizeof *idx);
		size_t n = idx ? shown_contribs(v, idx, 10) : 0;

		printf("\nlearned weights (biases, facts, and the words that "
		       "weighed most between\n%s and %s):\n",
		       gr_class_name(v->cls), gr_class_name(runner_up(v)));
		for (size_t i = 0; i < n; i++) {
			gr_term_line(stdout, "  %-28s%s", v->contribs[idx[i]].name,
			             scores_text(v->contribs[idx[i]].score, sc,
			                         sizeof sc));
		}
		free(idx);
	}
	printf("\ntotals:  ");
	for (int c = 0; c < GR_CLASS_COUNT; c++)
		printf(" %s %.1f", gr_class_name((gr_class)c), v->scores[c]);
	printf("\n");
	if (v->override)
		gr_term_line(stdout, "override: %s", v->override);
	printf("decision: %s\n", gr_class_name(v->cls));
	if (v->service)
		gr_term_line(stdout, "service:  %s (%s)%s%s", v->service->key,
		             v->service->offered ? "offered" : "referred out",
		             v->partner ? " -> partner " : "",
		             v->partner ? nz(v->partner->email) : "");
	if (v->introducer.addr || v->new_contact.addr)
		gr_term_line(stdout, "referral: %s introduces %s",
		             nz(v->introducer.addr), nz(v->new_contact.addr));
	printf("\nactions:\n");
	if (!pl || pl->n == 0)
		printf("  (none)\n");
	for (size_t i = 0; pl && i < pl->n; i++)
		gr_term_line(stdout, "  %s", pl->v[i].summary);
	explain_advice(v, ad);
}

static void
explain_one(void *vaux, const char *path, const char *source_id,
            const gr_message *m, const gr_verdict *v, const gr_error *perr)
{
	struct explain_aux *a = vaux;
	const char *p = shown_path(path, source_id);
	gr_plan pl = { 0 };
	gr_plan_ctx ctx = { 0 };
	struct advice ad;
	gr_error err;

	if (!m) {
		gr_warnx("%s: cannot be explained: %s", p,
		         perr ? perr->msg : "unknown error");
		a->rc = EX_DATAERR;
		return;
	}
	if (a->n++)
		printf(a->json ? "" : "\n");
	ctx.now = time(NULL);
	ctx.source_id = source_id;
	if (gr_actions_plan(a->policy, a->rules, m, v, &ctx, &pl, &err) != GR_OK)
		gr_warnx("%s: actions: %s", p, err.msg);
	advise(a, m, v, &ad);
	if (a->json) {
		cJSON *o = explain_json(m, v, &pl, p, &ad);
		char *s = cJSON_Print(o);

		if (s)
			puts(s);
		free(s);
		cJSON_Delete(o);
	} else {
		explain_text(m, v, &pl, p, &ad);
	}
	gr_plan_free(&pl);
}

static void
explain_usage(FILE *fp)
{
	fprintf(fp, "usage: gravity explain [--config FILE] [--rules DIR] [--json] "
	        "FILE...\n"
	        "       gravity explain [--config FILE] [--rules DIR] [--json] "
	        "[--account NAME]\n"
	        "                       [--folder NAME] --uid N\n"
	        "Print every rule that fired with its score, description and "
	        "the text it matched,\nthe per-class totals, the decision, the "
	        "actions that would follow and what\nto change if the class is "
	        "wrong.  --uid reads message N of the account's IMAP\nfolder "
	        "(the source's, or --folder) with its TLS and login.  Nothing is "
	        "written.\n");
}

/* explain --uid: one message of the account's IMAP folder, read as the
 * poll reads it (the account's TLS and login), with no state. */
static int
explain_uid(struct gr_cli_session *cs, const struct path_opts *po,
            const struct gr_account *acct, struct explain_aux *a)
{
	struct gr_imap_opts io = acct->imap;
	gr_source_opts so = { 0 };
	int rc;

	if (gr_source_driver_for(acct->source) != &gr_driver_imap) {
		gr_warnx("account '%s': %s is not an IMAP source; explain its "
		         "message files by path instead", acct->name, acct->source);
		return EX_USAGE;
	}
	io.uids = &po->uid;
	io.nuids = 1;
	io.uids_folder = po->folder;
	io.append_drafts = 0;
	so.imap = &io;
	rc = gr_cli_classify_path(cs->rules, cs->parser, acct->source, NULL,
	                          &so, explain_one, a);
	if (rc == EX_OK && a->n == 0 && a->rc == EX_OK) {
		gr_warnx("account '%s': no message with UID %u in %s", acct->name,
		         po->uid, po->folder ? po->folder : "the source's folder");
		rc = EX_NOINPUT;
	}
	return rc;
}

int
gr_cmd_explain(int argc, char **argv)
{
	struct explain_aux a = { 0 };
	struct gr_cli_session cs;
	struct path_opts po;
	struct gr_config *cfg = NULL;
	const struct gr_account *acct = NULL;
	const char *rules_dir = NULL;
	int rc;

	rc = parse_path_opts(argc, argv, explain_usage, 1, &po);
	if (rc >= 0)
		return rc;
	a.json = po.json;
	if (po.uid) {
		rc = gr_cli_config(po.config, po.account, 1, &cfg, &acct);
		if (rc == EX_OK)
			rules_dir = po.rules_dir ? po.rules_dir : cfg->rules_dir;
	} else {
		rc = gr_cli_rules_dir(po.rules_dir, po.config, &cfg, &rules_dir);
	}
	if (rc != EX_OK)
		return rc;
	rc = gr_cli_open(rules_dir, 1, &cs);
	a.rules = cs.rules;
	a.policy = cs.policy;
	a.user_dir = rules_dir;
	if (rc == EX_OK && po.uid)
		rc = explain_uid(&cs, &po, acct, &a);
	for (int i = optind; rc == EX_OK && i < argc; i++)
		rc = gr_cli_classify_path(cs.rules, cs.parser, argv[i], NULL,
		                          NULL, explain_one, &a);
	if (rc == EX_OK)
		rc = a.rc;
	gr_cli_close(&cs);
	gr_config_free(cfg);
	return rc;
}
