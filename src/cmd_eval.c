/* SPDX-License-Identifier: MIT */
/*
 * cmd_eval.c - "gravity eval LABELS.tsv...": classify labelled sets and
 * print, for each, a confusion matrix, per-class precision/recall/F1, the
 * macro-F1 and the misclassified files with their top rules; with --loo,
 * also each owner's figures with weights fitted without its mail
 * (leave-one-owner-out, as "gravity train" reports them).
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "gravity/config.h"
#include "gravity/buf.h"
#include "gravity/util.h"

struct eval_aux {
	long cm[GR_CLASS_COUNT][GR_CLASS_COUNT];
	long failed;
	gr_buf wrong;
};

static void
eval_one(void *vaux, const char *file, gr_class want, const gr_verdict *v,
         const char *err)
{
	struct eval_aux *a = vaux;
	char top[256] = "";

	if (!v) {
		a->failed++;
		gr_buf_printf(&a->wrong, "  %s: not classified: %s\n", file,
		              err ? err : "error");
		return;
	}
	a->cm[want][v->cls]++;
	if (v->cls == want)
		return;
	for (size_t i = 0, used = 0; i < v->n_hits && i < 4; i++) {
		int n = snprintf(top + used, sizeof top - used, "%s%s",
		                 i ? ", " : "", v->hits[i].rule);

		if (n < 0 || (size_t)n >= sizeof top - used)
			break;
		used += (size_t)n;
	}
	gr_buf_printf(&a->wrong, "  %s: labelled %s, got %s (%s)\n", file,
	              gr_class_name(want), gr_class_name(v->cls), top);
}

static void
eval_usage(FILE *fp)
{
	fprintf(fp, "usage: gravity eval [--config FILE] [--rules DIR] [--loo] "
	        "[[--owner OWNERDIR] LABELS.tsv]...\n"
	        "LABELS.tsv has lines FILE<TAB>CLASS[<TAB>why]; FILE is relative "
	        "to the labels file.\nEach set is classified with the owner "
	        "files of the --owner directory before it\n(layered over DIR "
	        "and the defaults).  --loo: also fit the weights without each\n"
	        "owner's set in turn and score that set (leave-one-owner-out).\n");
}

/* Classify one set with the shipped weights and print its report. */
static int
eval_set(const char *rules_dir, const char *owner, const char *labels,
         gr_parser *parser, int many)
{
	const char *dirs[2] = { rules_dir, owner };
	struct eval_aux a;
	gr_scores sc;
	gr_rules *r;
	int rc;

	rc = gr_cli_load_dirs(dirs, 2, 0, &r, NULL);
	if (rc != EX_OK)
		return rc;
	memset(&a, 0, sizeof a);
	gr_buf_init(&a.wrong, 1u << 20);
	rc = gr_cli_labelled(r, parser, labels, 0, eval_one, &a);
	if (many && owner)
		printf("== %s (owner %s)\n", labels, owner);
	else if (many)
		printf("== %s\n", labels);
	gr_scores_compute(a.cm, &sc);
	gr_cli_print_confusion(stdout, a.cm, &sc);
	printf("\naccuracy: %ld/%ld\nmacro-F1: %.3f\n", sc.right,
	       sc.total + a.failed, sc.macro_f1);
	if (a.failed)
		printf("not classified: %ld\n", a.failed);
	printf("\nmisclassified:\n");
	if (!a.wrong.len)
		printf("  (none)\n");
	/* file names and error texts: one clean line each */
	for (char *l = a.wrong.data, *nl; l && *l; l = nl + 1) {
		if (!(nl = strchr(l, '\n')))
			break;
		*nl = '\0';
		gr_term_line(stdout, "%s", l);
	}
	if (many)
		printf("\n");
	gr_buf_free(&a.wrong);
	gr_rules_free(r);
	return rc;
}

int
gr_cmd_eval(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'c' },
		{ "owner", required_argument, NULL, 'w' },
		{ "loo", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *rules_dir = NULL, *owner = NULL, *config = NULL;
	struct gr_config *cfg = NULL;
	char **labels = calloc((size_t)argc + 1, sizeof *labels);
	const char **owners = calloc((size_t)argc + 1, sizeof *owners);
	gr_parser *parser = NULL;
	gr_parse_limits lim;
	gr_error err;
	int c, rc = EX_OK, loo = 0, n = 0, done = 0;

	if (!labels || !owners) {
		free(labels);
		free(owners);
		return EX_OSERR;
	}
	optind = 1;
	/* "+": stop at the first labelled set; --owner comes with them */
	while (!done && (c = getopt_long(argc, argv, "+r:c:w:lhV", opts,
	                                 NULL)) != -1) {
		switch (c) {
		case 'r': rules_dir = gr_cli_path(optarg); break;
		case 'c': config = gr_cli_path(optarg); break;
		case 'l': loo = 1; break;
		case 'w':       /* the first set's owner: the sets start here */
			optind -= strncmp(argv[optind - 1], "--owner=", 8) ? 2 : 1;
			done = 2;
			break;
		case 'h': eval_usage(stdout); done = 1; break;
		case 'V': gr_print_version(); done = 1; break;
		default: eval_usage(stderr); rc = EX_USAGE; done = 1; break;
		}
	}
	if (done == 2)
		done = 0;
	for (int i = optind; !done && i < argc; i++) {
		if (strncmp(argv[i], "--owner=", 8) == 0) {
			owner = argv[i] + 8;
		} else if (strcmp(argv[i], "--owner") == 0 && i + 1 < argc) {
			owner = argv[++i];
		} else if (strcmp(argv[i], "--owner") == 0) {
			gr_warnx("--owner wants a directory");
			rc = EX_USAGE;
			done = 1;
		} else {
			labels[n] = argv[i];
			owners[n++] = owner;
		}
	}
	if (!done && n == 0) {
		eval_usage(stderr);
		rc = EX_USAGE;
		done = 1;
	}
	if (!done && (rc = gr_cli_rules_dir(rules_dir, config, &cfg,
	                                    &rules_dir)) != EX_OK)
		done = 1;
	if (!done) {
		gr_parse_limits_default(&lim);
		if (gr_parser_start(&lim, &parser, &err) != GR_OK) {
			gr_warnx("%s", err.msg);
			rc = EX_OSERR;
			done = 1;
		}
	}
	for (int i = 0; !done && i < n && rc == EX_OK; i++)
		rc = eval_set(rules_dir, owners[i], labels[i], parser, n > 1);
	if (!done && rc == EX_OK && loo) {
		gr_exset set = { 0 };
		gr_rules *base = NULL;
		gr_train_opts o;

		gr_train_opts_default(&o);
		rc = gr_cli_collect(rules_dir, n, labels, owners, parser, &set,
		                    &base);
		if (rc == EX_OK && set.groups.n < 2) {
			gr_warnx("eval --loo wants labelled sets of two owners "
			         "or more");
			rc = EX_USAGE;
		}
		if (rc == EX_OK)
			rc = gr_cli_loo_report(&set, base, &o, 1, stdout, NULL);
		gr_exset_free(&set);
		gr_rules_free(base);
	}
	gr_parser_stop(parser);
	gr_config_free(cfg);
	free(labels);
	free(owners);
	return rc;
}
