/* SPDX-License-Identifier: MIT */
/*
 * cmd_eval.c - "gravity eval LABELS.tsv": classify a labelled set and print
 * a confusion matrix, per-class precision/recall/F1, the macro-F1 and the
 * misclassified files with their top rules.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "gravity/buf.h"
#include "gravity/util.h"

#define EVAL_MAX_LABELS (4u << 20)

struct eval_aux {
	gr_class want;
	int got;                /* -1: failed to classify */
	char top[256];          /* top rules, for misclassified files */
	char err[1024];
};

static void
eval_one(void *vaux, const char *path, const char *source_id,
         const gr_message *m, const gr_verdict *v, const gr_error *perr)
{
	struct eval_aux *a = vaux;

	(void)path;
	(void)source_id;
	if (!m) {
		a->got = -1;
		snprintf(a->err, sizeof a->err, "%s", perr ? perr->msg : "error");
		return;
	}
	a->got = (int)v->cls;
	a->top[0] = '\0';
	for (size_t i = 0, used = 0; i < v->n_hits && i < 4; i++) {
		int n = snprintf(a->top + used, sizeof a->top - used, "%s%s",
		                 i ? ", " : "", v->hits[i].rule);

		if (n < 0 || (size_t)n >= sizeof a->top - used)
			break;
		used += (size_t)n;
	}
	(void)m;
}

static void
eval_usage(FILE *fp)
{
	fprintf(fp, "usage: gravity eval [--rules DIR] LABELS.tsv\n"
	        "LABELS.tsv has lines FILE<TAB>CLASS[<TAB>why]; FILE is relative "
	        "to the labels file.\n");
}

static void
print_report(long cm[GR_CLASS_COUNT][GR_CLASS_COUNT], long failed)
{
	double f1sum = 0;
	int nclasses = 0;
	long total = 0, right = 0;

	printf("confusion matrix (rows: label, columns: gravity)\n%-15s", "");
	for (int c = 0; c < GR_CLASS_COUNT; c++)
		printf(" %5.5s", gr_class_name((gr_class)c));
	printf("\n");
	for (int r = 0; r < GR_CLASS_COUNT; r++) {
		printf("%-15s", gr_class_name((gr_class)r));
		for (int c = 0; c < GR_CLASS_COUNT; c++) {
			printf(" %5ld", cm[r][c]);
			total += cm[r][c];
			if (r == c)
				right += cm[r][c];
		}
		printf("\n");
	}
	printf("\n%-15s %9s %9s %9s %7s\n", "class", "precision", "recall",
	       "f1", "support");
	for (int k = 0; k < GR_CLASS_COUNT; k++) {
		long tp = cm[k][k], fp = 0, fn = 0;
		double p, rcl, f1;

		for (int j = 0; j < GR_CLASS_COUNT; j++) {
			if (j == k)
				continue;
			fp += cm[j][k];
			fn += cm[k][j];
		}
		if (tp + fn == 0 && fp == 0)
			continue;       /* class absent from labels and answers */
		p = tp + fp ? (double)tp / (double)(tp + fp) : 0;
		rcl = tp + fn ? (double)tp / (double)(tp + fn) : 0;
		f1 = p + rcl > 0 ? 2 * p * rcl / (p + rcl) : 0;
		f1sum += f1;
		nclasses++;
		printf("%-15s %9.3f %9.3f %9.3f %7ld\n", gr_class_name((gr_class)k),
		       p, rcl, f1, tp + fn);
	}
	printf("\naccuracy: %ld/%ld\nmacro-F1: %.3f\n", right, total + failed,
	       nclasses ? f1sum / nclasses : 0.0);
	if (failed)
		printf("not classified: %ld\n", failed);
}

static int
eval_labels(const gr_rules *r, gr_parser *parser, const char *labels)
{
	long cm[GR_CLASS_COUNT][GR_CLASS_COUNT] = { { 0 } }, failed = 0;
	char *data, *save = NULL, dir[PATH_MAX], *slash;
	gr_buf wrong;
	gr_error err;
	unsigned lineno = 0;
	int rc = EX_OK;

	if (gr_read_file(labels, EVAL_MAX_LABELS, &data, NULL, &err) != GR_OK) {
		gr_warnx("%s", err.msg);
		return gr_status_to_exit(err.status);
	}
	snprintf(dir, sizeof dir, "%s", labels);
	slash = strrchr(dir, '/');
	if (slash)
		slash[1] = '\0';
	else
		dir[0] = '\0';
	gr_buf_init(&wrong, 1u << 20);
	for (char *line = strtok_r(data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *file = line, *cls, *tab, path[PATH_MAX];
		struct eval_aux a = { .got = -2 };

		lineno++;
		if (*line == '#' || *gr_str_trim(line) == '\0')
			continue;
		tab = strchr(line, '\t');
		if (!tab) {
			gr_warnx("%s:%u: expected FILE<TAB>CLASS", labels, lineno);
			rc = EX_DATAERR;
			continue;
		}
		*tab = '\0';
		cls = tab + 1;
		if ((tab = strchr(cls, '\t')) != NULL)
			*tab = '\0';
		if (gr_class_from_name(gr_str_trim(cls), &a.want) != 0) {
			gr_warnx("%s:%u: unknown class '%s'", labels, lineno, cls);
			rc = EX_DATAERR;
			continue;
		}
		snprintf(path, sizeof path, "%s%s", file[0] == '/' ? "" : dir, file);
		if (gr_cli_classify_path(r, parser, path, eval_one, &a) != EX_OK ||
		    a.got < 0) {
			failed++;
			gr_buf_printf(&wrong, "  %s: not classified: %s\n", file,
			              a.got == -1 ? a.err : "unreadable");
			continue;
		}
		cm[a.want][a.got]++;
		if (a.got != (int)a.want)
			gr_buf_printf(&wrong, "  %s: labelled %s, got %s (%s)\n",
			              file, gr_class_name(a.want),
			              gr_class_name((gr_class)a.got), a.top);
	}
	print_report(cm, failed);
	printf("\nmisclassified:\n%s", wrong.len ? wrong.data : "  (none)\n");
	gr_buf_free(&wrong);
	free(data);
	return rc;
}

int
gr_cmd_eval(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct gr_cli_session cs;
	const char *rules_dir = NULL;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "r:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'r': rules_dir = optarg; break;
		case 'h': eval_usage(stdout); return EX_OK;
		case 'V': gr_print_version(); return EX_OK;
		default: eval_usage(stderr); return EX_USAGE;
		}
	}
	if (optind + 1 != argc) {
		eval_usage(stderr);
		return EX_USAGE;
	}
	rc = gr_cli_open(rules_dir, 0, &cs);
	if (rc == EX_OK)
		rc = eval_labels(cs.rules, cs.parser, argv[optind]);
	gr_cli_close(&cs);
	return rc;
}
