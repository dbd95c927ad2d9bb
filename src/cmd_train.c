/* SPDX-License-Identifier: MIT */
/*
 * cmd_train.c - "gravity train" (fit the weights from labelled mail and say
 * how well they generalise, owner by owner), "gravity learn" (add labelled
 * examples to the rules directory) and what "gravity eval" shares with
 * them: reading a labelled set, and the leave-one-owner-out report.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "cli.h"
#include "gravity/buf.h"
#include "gravity/config.h"
#include "gravity/train.h"
#include "gravity/util.h"

#define LABELS_MAX (4u << 20)
#define EXAMPLE_MAX (64u << 20)

/* --- labelled sets ------------------------------------------------------- */

struct one_aux {
	gr_labelled_fn fn;
	void *aux;
	const char *file;
	gr_class want;
	int seen;
};

static void
one_msg(void *vaux, const char *path, const char *source_id,
        const gr_message *m, const gr_verdict *v, const gr_error *perr)
{
	struct one_aux *a = vaux;

	(void)path;
	(void)source_id;
	if (a->seen++)
		return;         /* one message per labelled file */
	a->fn(a->aux, a->file, a->want, m ? v : NULL,
	      m ? NULL : perr ? perr->msg : "not classified");
}

int
gr_cli_labelled(const gr_rules *r, gr_parser *parser, const char *labels,
                int features, gr_labelled_fn fn, void *aux)
{
	gr_classify_ctx ctx = { .want_features = features };
	char *data, *save = NULL, dir[PATH_MAX], *slash;
	gr_error err;
	unsigned lineno = 0;
	int rc = EX_OK;

	if (gr_read_file(labels, LABELS_MAX, &data, NULL, &err) != GR_OK) {
		gr_warnx("%s", err.msg);
		return gr_status_to_exit(err.status);
	}
	snprintf(dir, sizeof dir, "%s", labels);
	slash = strrchr(dir, '/');
	if (slash)
		slash[1] = '\0';
	else
		dir[0] = '\0';
	for (char *line = strtok_r(data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *file = line, *cls, *tab, path[PATH_MAX];
		struct one_aux a = { fn, aux, NULL, GR_CLASS_OTHER, 0 };

		lineno++;
		if (*line == '#' || *gr_str_trim(line) == '\0')
			continue;
		tab = strchr(line, '\t');
		if (!tab) {
			gr_warnx("%s:%u: expected FILE<TAB>CLASS", labels,
			         lineno);
			rc = EX_DATAERR;
			continue;
		}
		*tab = '\0';
		cls = tab + 1;
		if ((tab = strchr(cls, '\t')) != NULL)
			*tab = '\0';
		if (gr_class_from_name(gr_str_trim(cls), &a.want) != 0) {
			gr_warnx("%s:%u: unknown class '%s'", labels, lineno,
			         cls);
			rc = EX_DATAERR;
			continue;
		}
		if ((size_t)snprintf(path, sizeof path, "%s%s",
		                     file[0] == '/' ? "" : dir, file) >=
		    sizeof path) {
			gr_warnx("%s:%u: path too long", labels, lineno);
			rc = EX_DATAERR;
			continue;
		}
		a.file = file;
		if (gr_cli_classify_path(r, parser, path, &ctx, NULL, one_msg,
		                         &a) != EX_OK || !a.seen) {
			if (!a.seen)
				fn(aux, file, a.want, NULL, "unreadable");
		}
	}
	free(data);
	return rc;
}

/* The group (owner) name of a labelled set: the owner directory's name,
 * else the name of the directory the labels file is in. */
static void
group_name(const char *labels, const char *owner, char *out, size_t len)
{
	char buf[PATH_MAX];
	const char *src = owner ? owner : labels;
	char *slash;
	size_t n;

	snprintf(buf, sizeof buf, "%s", src);
	n = strlen(buf);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	if (!owner) {           /* the labels file's directory */
		slash = strrchr(buf, '/');
		if (slash)
			*slash = '\0';
		else
			snprintf(buf, sizeof buf, ".");
	}
	slash = strrchr(buf, '/');
	snprintf(out, len, "%s", slash ? slash + 1 : buf);
	for (char *p = out; *p; p++)
		if ((unsigned char)*p <= ' ')
			*p = '_';
	if (!*out)
		snprintf(out, len, "set");
}

/* --- hand-set scores of the rules, for rules without a weight ---------- */

typedef struct hand_table {
	gr_strmap index;
	double *score;          /* rows of GR_CLASS_COUNT */
} hand_table;

static gr_status
hand_table_init(hand_table *h, const gr_rules *r)
{
	size_t n = gr_rules_n_rules(r);

	memset(h, 0, sizeof *h);
	h->score = calloc(n ? n * GR_CLASS_COUNT : 1, sizeof *h->score);
	if (!h->score)
		return GR_E_NOMEM;
	for (size_t i = 0; i < n; i++) {
		gr_rule_info ri;

		if (gr_rules_rule_info(r, i, &ri) != 0 || !ri.scored)
			continue;
		memcpy(h->score + i * GR_CLASS_COUNT, ri.score,
		       sizeof ri.score);
		if (gr_strmap_put(&h->index, ri.name, i) != GR_OK)
			return GR_E_NOMEM;
	}
	return GR_OK;
}

static const double *
hand_lookup(void *aux, const char *rule)
{
	hand_table *h = aux;
	long i = gr_strmap_get(&h->index, rule);

	return i < 0 ? NULL : h->score + (size_t)i * GR_CLASS_COUNT;
}

static void
hand_table_free(hand_table *h)
{
	gr_strmap_free(&h->index);
	free(h->score);
}

/* --- reports ----------------------------------------------------------- */

void
gr_cli_print_confusion(FILE *fp, long cm[GR_CLASS_COUNT][GR_CLASS_COUNT],
                       const gr_scores *sc)
{
	fprintf(fp, "confusion matrix (rows: label, columns: gravity)\n%-15s",
	        "");
	for (int c = 0; c < GR_CLASS_COUNT; c++)
		fprintf(fp, " %5.5s", gr_class_name((gr_class)c));
	fprintf(fp, "\n");
	for (int r = 0; r < GR_CLASS_COUNT; r++) {
		fprintf(fp, "%-15s", gr_class_name((gr_class)r));
		for (int c = 0; c < GR_CLASS_COUNT; c++)
			fprintf(fp, " %5ld", cm[r][c]);
		fprintf(fp, "\n");
	}
	fprintf(fp, "\n%-15s %9s %9s %9s %7s\n", "class", "precision",
	        "recall", "f1", "support");
	for (int k = 0; k < GR_CLASS_COUNT; k++)
		if (sc->present[k])
			fprintf(fp, "%-15s %9.3f %9.3f %9.3f %7ld\n",
			        gr_class_name((gr_class)k), sc->precision[k],
			        sc->recall[k], sc->f1[k], sc->support[k]);
}

/* One line of the summary table. */
static void
table_line(FILE *fp, const char *name, const gr_scores *sc)
{
	fprintf(fp, "%-12s %5ld %8.3f", name, sc->total, sc->macro_f1);
	for (int k = 0; k < GR_CLASS_COUNT; k++) {
		if (sc->present[k])
			fprintf(fp, " %8.3f", sc->f1[k]);
		else
			fprintf(fp, " %8s", "-");
	}
	fprintf(fp, "\n");
}

static void
table_head(FILE *fp)
{
	fprintf(fp, "%-12s %5s %8s", "owner", "n", "macro-F1");
	for (int k = 0; k < GR_CLASS_COUNT; k++)
		fprintf(fp, " %8.8s", gr_class_name((gr_class)k));
	fprintf(fp, "\n");
}

/* Score the examples of group g (all when g < 0) with m into cm, and list
 * the misclassified ones in wrong. */
static void
score_group(const gr_exset *set, long g, const gr_model *m, hand_table *h,
            long cm[GR_CLASS_COUNT][GR_CLASS_COUNT], gr_buf *wrong)
{
	for (size_t i = 0; i < set->n; i++) {
		const gr_example *e = &set->v[i];
		double sc[GR_CLASS_COUNT];
		gr_class got;

		if (g >= 0 && (long)e->group != g)
			continue;
		got = gr_model_predict(m, e, hand_lookup, h, sc);
		cm[e->label][got]++;
		if (got != e->label && wrong)
			gr_buf_printf(wrong, "  %s/%s: labelled %s, got %s\n",
			              set->groups.v[e->group], e->id,
			              gr_class_name(e->label),
			              gr_class_name(got));
	}
}

int
gr_cli_loo_report(const gr_exset *set, const gr_rules *r,
                  const gr_train_opts *o, int verbose, FILE *fp,
                  gr_scores *per_group)
{
	gr_scores *sc = calloc(set->groups.n ? set->groups.n : 1, sizeof *sc);
	hand_table h;
	gr_error err;
	int rc = EX_OK;

	if (!sc || hand_table_init(&h, r) != GR_OK) {
		free(sc);
		gr_warnx("out of memory");
		return EX_OSERR;
	}
	for (size_t g = 0; g < set->groups.n && rc == EX_OK; g++) {
		long cm[GR_CLASS_COUNT][GR_CLASS_COUNT] = { { 0 } };
		gr_model m;
		gr_buf wrong;

		if (gr_train_fit(set, (long)g, o, &m, &err) != GR_OK) {
			gr_warnx("%s", err.msg);
			rc = gr_status_to_exit(err.status);
			break;
		}
		gr_buf_init(&wrong, 1u << 20);
		score_group(set, (long)g, &m, &h, cm, &wrong);
		gr_scores_compute(cm, &sc[g]);
		if (verbose) {
			fprintf(fp, "== %s: weights fitted without its %ld "
			        "messages\n", set->groups.v[g], sc[g].total);
			gr_cli_print_confusion(fp, cm, &sc[g]);
			fprintf(fp, "\naccuracy: %ld/%ld\nmacro-F1: %.3f\n"
			        "misclassified:\n%s\n", sc[g].right,
			        sc[g].total, sc[g].macro_f1,
			        wrong.len ? wrong.data : "  (none)\n");
		}
		gr_buf_free(&wrong);
		gr_model_free(&m);
	}
	if (rc == EX_OK) {
		fprintf(fp, "leave-one-owner-out (each owner scored with weights "
		        "fitted on the others):\n");
		table_head(fp);
		for (size_t g = 0; g < set->groups.n; g++)
			table_line(fp, set->groups.v[g], &sc[g]);
		if (per_group)
			memcpy(per_group, sc, set->groups.n * sizeof *sc);
	}
	hand_table_free(&h);
	free(sc);
	return rc;
}

/* --- train --------------------------------------------------------------- */

struct collect {
	gr_exset *set;
	size_t group;
	long failed;
};

static void
collect_one(void *vaux, const char *file, gr_class want, const gr_verdict *v,
            const char *err)
{
	struct collect *c = vaux;

	if (!v) {
		gr_warnx("%s: %s", file, err ? err : "not classified");
		c->failed++;
		return;
	}
	if (gr_exset_add(c->set, file, c->group, want, v->forced, v->excluded,
	                 &v->features) != GR_OK)
		c->failed++;
}

/* Classify one labelled set with its owner's rules into set. */
static int
collect_set(const char *rules_dir, const char *owner, const char *labels,
            gr_parser *parser, gr_exset *set, gr_rules **keep)
{
	const char *dirs[2] = { rules_dir, owner };
	struct collect c = { set, 0, 0 };
	char name[256];
	gr_rules *r;
	long g;
	int rc;

	rc = gr_cli_load_dirs(dirs, 2, 0, &r, NULL);
	if (rc != EX_OK)
		return rc;
	group_name(labels, owner, name, sizeof name);
	if ((g = gr_exset_group(set, name)) < 0) {
		gr_rules_free(r);
		return EX_OSERR;
	}
	c.group = (size_t)g;
	rc = gr_cli_labelled(r, parser, labels, 1, collect_one, &c);
	if (rc == EX_OK && c.failed)
		rc = EX_DATAERR;
	if (keep && !*keep)
		*keep = r;
	else
		gr_rules_free(r);
	return rc;
}

int
gr_cli_collect(const char *rules_dir, int nsets, char **labels,
               const char **owners, gr_parser *parser, gr_exset *set,
               gr_rules **base)
{
	int rc = EX_OK;

	for (int i = 0; i < nsets && rc == EX_OK; i++)
		rc = collect_set(rules_dir, owners[i], labels[i], parser, set,
		                 NULL);
	if (rc == EX_OK && base)
		rc = gr_cli_load_dirs(&rules_dir, 1, 0, base, NULL);
	return rc;
}

/* The labelled sets of the command line: "[--owner DIR] LABELS ..." after
 * the options, each --owner applying to the sets after it.  Fills labels
 * and owners (arrays of argc entries); returns their number, or -1. */
static int
parse_sets(int argc, char **argv, int from, char **labels,
           const char **owners)
{
	const char *owner = NULL;
	int n = 0;

	for (int i = from; i < argc; i++) {
		if (strcmp(argv[i], "--owner") == 0) {
			if (++i >= argc) {
				gr_warnx("--owner wants a directory");
				return -1;
			}
			owner = argv[i];
			continue;
		}
		if (strncmp(argv[i], "--owner=", 8) == 0) {
			owner = argv[i] + 8;
			continue;
		}
		labels[n] = argv[i];
		owners[n++] = owner;
	}
	return n;
}

static void
train_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: gravity train [--config FILE] [--rules DIR] [--out FILE] "
	    "[--vectors FILE]\n"
	    "                     [--quiet] [[--owner OWNERDIR] LABELS.tsv]...\n"
	    "Fit the weights of the rules in DIR (default: rules-dir of the "
	    "config file;\nwith the defaults under them) to labelled "
	    "mail and write them to DIR/weights\n(or FILE).  Each "
	    "LABELS.tsv (lines\nFILE<TAB>CLASS[<TAB>why]) is "
	    "classified with the owner files (profile,\nservices, partners) "
	    "of the --owner directory before it.  Without LABELS.tsv the\n"
	    "examples shipped with the rules (the file \"training\") are "
	    "used.  Examples added\nwith 'gravity learn' (DIR/examples) are "
	    "always added.  With two owners or more,\nthe report gives each "
	    "owner's figures with weights fitted without its mail.\n"
	    "--vectors FILE writes the examples' features (the form of "
	    "\"training\").\n");
}

/* Examples added by "gravity learn" to DIR/examples. */
static int
add_local(const char *rules_dir, gr_parser *parser, gr_exset *set)
{
	char labels[PATH_MAX];
	struct stat sb;

	if (!rules_dir || (size_t)snprintf(labels, sizeof labels,
	                                    "%s/examples/labels.tsv",
	                                    rules_dir) >= sizeof labels ||
	    stat(labels, &sb) != 0)
		return EX_OK;
	return collect_set(rules_dir, NULL, labels, parser, set, NULL);
}

static int
write_text(const char *path, const gr_model *m, const gr_exset *set,
           const char *comment, int vectors)
{
	char tmp[PATH_MAX];
	FILE *fp;
	gr_status st;

	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
		gr_warnx("%s: path too long", path);
		return EX_CANTCREAT;
	}
	if (!(fp = fopen(tmp, "w"))) {
		gr_warnx("%s: cannot write: %s", tmp, strerror(errno));
		return EX_CANTCREAT;
	}
	st = vectors ? gr_exset_write(set, fp, comment) :
	     gr_model_write(m, fp, comment);
	if (fclose(fp) != 0 || st != GR_OK || rename(tmp, path) != 0) {
		gr_warnx("%s: cannot write: %s", path, strerror(errno));
		remove(tmp);
		return EX_IOERR;
	}
	return EX_OK;
}

int
gr_cmd_train(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'c' },
		{ "owner", required_argument, NULL, 'w' },
		{ "out", required_argument, NULL, 'o' },
		{ "vectors", required_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *rules_dir = NULL, *out = NULL, *vectors = NULL;
	const char *config = NULL;
	struct gr_config *cfg = NULL;
	char **labels = calloc((size_t)argc + 1, sizeof *labels);
	const char **owners = calloc((size_t)argc + 1, sizeof *owners);
	char outbuf[PATH_MAX];
	gr_exset set = { 0 };
	gr_rules *base = NULL;
	gr_parser *parser = NULL;
	gr_parse_limits lim;
	gr_train_opts o;
	gr_model m = { 0 };
	gr_error err;
	gr_buf head;
	int c, rc = EX_OK, quiet = 0, nsets;

	if (!labels || !owners) {
		free(labels);
		free(owners);
		return EX_OSERR;
	}
	optind = 1;
	/* "+": stop at the first labelled set; --owner comes with them */
	while ((c = getopt_long(argc, argv, "+r:c:w:o:v:qhV", opts, NULL)) != -1) {
		switch (c) {
		case 'r': rules_dir = optarg; break;
		case 'c': config = optarg; break;
		case 'o': out = optarg; break;
		case 'v': vectors = optarg; break;
		case 'q': quiet = 1; break;
		case 'w':       /* the first set's owner: the sets start here */
			optind -= strncmp(argv[optind - 1], "--owner=", 8) ? 2 : 1;
			rc = -2;
			break;
		case 'h': train_usage(stdout); rc = -1; break;
		case 'V': gr_print_version(); rc = -1; break;
		default: train_usage(stderr); rc = EX_USAGE; break;
		}
		if (rc != EX_OK)
			break;
	}
	if (rc == -2)
		rc = EX_OK;
	if (rc == -1 || rc != EX_OK) {
		free(labels);
		free(owners);
		return rc == -1 ? EX_OK : rc;
	}
	nsets = parse_sets(argc, argv, optind, labels, owners);
	/* without --rules or --out: the rules directory of the config */
	if (nsets >= 0 && !rules_dir && !out &&
	    (rc = gr_cli_rules_dir(NULL, config, &cfg, &rules_dir)) != EX_OK) {
		free(labels);
		free(owners);
		return rc;
	}
	if (nsets < 0 || (!rules_dir && !out)) {
		if (nsets >= 0)
			gr_warnx("train: say where the weights go: --rules DIR "
			         "(writes DIR/weights), --out FILE, or a config "
			         "file with rules-dir");
		gr_config_free(cfg);
		free(labels);
		free(owners);
		return EX_USAGE;
	}
	if (!out) {
		snprintf(outbuf, sizeof outbuf, "%s/weights", rules_dir);
		out = outbuf;
	}
	gr_train_opts_default(&o);
	gr_parse_limits_default(&lim);
	if (gr_parser_start(&lim, &parser, &err) != GR_OK) {
		gr_warnx("%s", err.msg);
		gr_config_free(cfg);
		free(labels);
		free(owners);
		return EX_OSERR;
	}
	rc = gr_cli_collect(rules_dir, nsets, labels, owners, parser, &set,
	                    &base);
	if (rc == EX_OK && nsets == 0) {
		const char *shipped = gr_rules_file(base, "training");

		if (shipped && gr_exset_read(&set, shipped, &err) != GR_OK) {
			gr_warnx("%s", err.msg);
			rc = gr_status_to_exit(err.status);
		}
	}
	if (rc == EX_OK)
		rc = add_local(rules_dir, parser, &set);
	if (rc == EX_OK && set.n == 0) {
		gr_warnx("train: no labelled examples (give LABELS.tsv files, "
		         "or add some with 'gravity learn')");
		rc = EX_DATAERR;
	}
	if (rc == EX_OK && set.groups.n >= 2)
		rc = gr_cli_loo_report(&set, base, &o, !quiet, stdout, NULL);
	if (rc == EX_OK && gr_train_fit(&set, -1, &o, &m, &err) != GR_OK) {
		gr_warnx("%s", err.msg);
		rc = gr_status_to_exit(err.status);
	}
	if (rc == EX_OK) {
		long cm[GR_CLASS_COUNT][GR_CLASS_COUNT] = { { 0 } };
		gr_scores sc;
		hand_table h;

		if (hand_table_init(&h, base) != GR_OK) {
			rc = EX_OSERR;
		} else {
			score_group(&set, -1, &m, &h, cm, NULL);
			hand_table_free(&h);
			gr_scores_compute(cm, &sc);
			printf("in-sample (the weights written, on all %zu "
			       "examples): macro-F1 %.3f, %ld/%ld right\n",
			       set.n, sc.macro_f1, sc.right, sc.total);
		}
	}
	if (rc == EX_OK) {
		gr_buf_init(&head, 1u << 16);
		gr_buf_printf(&head, "# weights - fitted by 'gravity train' "
		              "(gravity-rules(5), WEIGHTS) on %zu examples:",
		              set.n);
		for (size_t g = 0; g < set.groups.n; g++) {
			size_t k = 0;

			for (size_t i = 0; i < set.n; i++)
				k += set.v[i].group == g;
			gr_buf_printf(&head, " %s %zu", set.groups.v[g], k);
		}
		gr_buf_printf(&head, ".\n# %zu features, L2 %.2g (words "
		              "%.2g), words seen with %u owners or more.\n",
		              m.names.n, o.lambda, o.lambda_words,
		              o.min_groups);
		rc = write_text(out, &m, &set, head.data, 0);
		if (rc == EX_OK && vectors) {
			gr_buf_reset(&head);
			gr_buf_printf(&head, "# training - the labelled examples "
			              "the weights were fitted on, as features\n"
			              "# (gravity-rules(5), WEIGHTS); 'gravity "
			              "train' without LABELS.tsv refits from them.\n");
			rc = write_text(vectors, NULL, &set, head.data, 1);
		}
		gr_buf_free(&head);
		if (rc == EX_OK)
			printf("wrote %s (%zu features)%s%s\n", out, m.names.n,
			       vectors ? " and " : "", vectors ? vectors : "");
	}
	gr_model_free(&m);
	gr_exset_free(&set);
	gr_rules_free(base);
	gr_parser_stop(parser);
	gr_config_free(cfg);
	free(labels);
	free(owners);
	return rc;
}

/* --- learn --------------------------------------------------------------- */

static void
learn_usage(FILE *fp)
{
	fprintf(fp, "usage: gravity learn [--config FILE] [--rules DIR] CLASS "
	        "MESSAGE...\n"
	        "Keep each MESSAGE file, labelled CLASS, among the examples of "
	        "DIR (default:\nrules-dir of the config file), in DIR/examples;"
	        " 'gravity train' adds them to\nthe shipped ones and writes "
	        "DIR/weights, which classify and poll then use.\n");
}

/* Write n bytes to path (created or truncated); 0 or -1 with errno. */
static int
write_file(const char *path, const char *data, size_t n)
{
	FILE *fp = fopen(path, "w");
	int ok;

	if (!fp)
		return -1;
	ok = fwrite(data, 1, n, fp) == n;
	return fclose(fp) == 0 && ok ? 0 : -1;
}

/* Append or replace "NAME<TAB>CLASS" in the examples' labels file. */
static int
learn_label(const char *labels, const char *name, const char *cls)
{
	char *data = NULL, *save = NULL;
	gr_buf out;
	gr_error err;
	int found = 0, rc = EX_OK;
	char tmp[PATH_MAX];
	struct stat sb;

	gr_buf_init(&out, LABELS_MAX);
	if (stat(labels, &sb) == 0 &&
	    gr_read_file(labels, LABELS_MAX, &data, NULL, &err) != GR_OK) {
		gr_warnx("%s", err.msg);
		gr_buf_free(&out);
		return gr_status_to_exit(err.status);
	}
	for (char *line = data ? strtok_r(data, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t k = strlen(name);

		if (strncmp(line, name, k) == 0 && line[k] == '\t') {
			gr_buf_printf(&out, "%s\t%s\tlearned\n", name, cls);
			found = 1;
		} else {
			gr_buf_printf(&out, "%s\n", line);
		}
	}
	if (!found)
		gr_buf_printf(&out, "%s\t%s\tlearned\n", name, cls);
	free(data);
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", labels) >= sizeof tmp)
		rc = EX_CANTCREAT;
	else if (write_file(tmp, out.data ? out.data : "", out.len) != 0 ||
	         rename(tmp, labels) != 0)
		rc = EX_CANTCREAT;
	if (rc != EX_OK) {
		gr_warnx("%s: cannot write: %s", labels, strerror(errno));
		remove(tmp);
	}
	gr_buf_free(&out);
	return rc;
}

/* Keep argv[optind + 1...] labelled argv[optind] in rules_dir/examples. */
static int
learn_into(const char *rules_dir, int argc, char **argv)
{
	char dir[PATH_MAX], labels[PATH_MAX];
	gr_class cls;
	int rc = EX_OK;

	if (gr_class_from_name(argv[optind], &cls) != 0) {
		gr_warnx("learn: '%s' is not a class (inquiry, out_of_scope, "
		         "referral_intro, cold_pitch, automated, other)",
		         argv[optind]);
		return EX_USAGE;
	}
	if ((size_t)snprintf(dir, sizeof dir, "%s/examples", rules_dir) >=
	    sizeof dir || (size_t)snprintf(labels, sizeof labels,
	                                   "%s/labels.tsv", dir) >=
	    sizeof labels) {
		gr_warnx("learn: %s: path too long", rules_dir);
		return EX_USAGE;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		gr_warnx("learn: cannot create %s: %s", dir, strerror(errno));
		return EX_CANTCREAT;
	}
	for (int i = optind + 1; i < argc && rc == EX_OK; i++) {
		char *data, hex[65], name[40], path[PATH_MAX + 64];
		size_t len;
		gr_error err;

		if (gr_read_file(argv[i], EXAMPLE_MAX, &data, &len, &err) !=
		    GR_OK) {
			gr_warnx("learn: %s", err.msg);
			rc = gr_status_to_exit(err.status);
			break;
		}
		gr_sha256_hex(data, len, hex);
		snprintf(name, sizeof name, "%.16s.eml", hex);
		snprintf(path, sizeof path, "%s/%s", dir, name);
		if (write_file(path, data, len) != 0) {
			gr_warnx("learn: cannot write %s: %s", path,
			         strerror(errno));
			rc = EX_CANTCREAT;
		}
		free(data);
		if (rc == EX_OK)
			rc = learn_label(labels, name, argv[optind]);
		if (rc == EX_OK)
			printf("%s: learned as %s (%s)\n", argv[i], argv[optind],
			       path);
	}
	return rc;
}

int
gr_cmd_learn(int argc, char **argv)
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
	int c, rc = EX_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "r:c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'r': rules_dir = optarg; break;
		case 'c': config = optarg; break;
		case 'h': learn_usage(stdout); return EX_OK;
		case 'V': gr_print_version(); return EX_OK;
		default: learn_usage(stderr); return EX_USAGE;
		}
	}
	if (optind + 2 > argc) {
		learn_usage(stderr);
		return EX_USAGE;
	}
	/* without --rules: the rules directory of the config */
	if (!rules_dir &&
	    (rc = gr_cli_rules_dir(NULL, config, &cfg, &rules_dir)) != EX_OK)
		return rc;
	if (!rules_dir) {
		gr_warnx("learn: no rules directory: give --rules DIR, or write "
		         "a config file with 'gravity init'");
		gr_config_free(cfg);
		return EX_USAGE;
	}
	rc = learn_into(rules_dir, argc, argv);
	gr_config_free(cfg);
	return rc;
}
