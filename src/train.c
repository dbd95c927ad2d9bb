/* SPDX-License-Identifier: MIT */
/*
 * train.c - multinomial logistic regression over named sparse features,
 * fitted by L-BFGS (Nocedal and Wright, Numerical Optimization, 2nd ed.,
 * algorithm 7.4, with a backtracking Armijo line search), the training
 * examples' text form, and the weights file writer.
 *
 * About two hundred examples and a few thousand features: a full-batch
 * fit takes milliseconds, so the simplest exact method is used, from zero
 * weights, with no randomness: the same examples give the same weights.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gravity/buf.h"
#include "gravity/train.h"

#define K GR_CLASS_COUNT
#define LBFGS_M 10

/* On equal totals the class listed first wins (as for hand-set scores). */
static const gr_class tie_order[K] = {
	GR_CLASS_AUTOMATED, GR_CLASS_REFERRAL_INTRO, GR_CLASS_INQUIRY,
	GR_CLASS_OUT_OF_SCOPE, GR_CLASS_COLD_PITCH, GR_CLASS_OTHER
};

void
gr_train_opts_default(gr_train_opts *o)
{
	o->lambda = 0.1;
	o->lambda_words = 1.0;
	o->lambda_bias = 0.01;
	o->min_groups = 2;
	o->max_iter = 500;
}

/* --- example sets ------------------------------------------------------- */

long
gr_exset_group(gr_exset *s, const char *name)
{
	for (size_t i = 0; i < s->groups.n; i++)
		if (strcmp(s->groups.v[i], name) == 0)
			return (long)i;
	if (gr_strv_push(&s->groups, name) != GR_OK)
		return -1;
	return (long)s->groups.n - 1;
}

gr_status
gr_exset_add(gr_exset *s, const char *id, size_t group, gr_class label,
             int forced, unsigned excluded, const gr_strv *feats)
{
	gr_example *nv = realloc(s->v, (s->n + 1) * sizeof *nv), *e;

	if (!nv)
		return GR_E_NOMEM;
	s->v = nv;
	e = &s->v[s->n];
	memset(e, 0, sizeof *e);
	e->id = gr_strdup(id ? id : "");
	e->group = group;
	e->label = label;
	e->forced = forced;
	e->excluded = excluded;
	for (size_t i = 0; feats && i < feats->n; i++)
		if (gr_strv_push(&e->feats, feats->v[i]) != GR_OK) {
			gr_strv_free(&e->feats);
			free(e->id);
			return GR_E_NOMEM;
		}
	if (!e->id) {
		gr_strv_free(&e->feats);
		return GR_E_NOMEM;
	}
	s->n++;
	return GR_OK;
}

void
gr_exset_free(gr_exset *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].id);
		gr_strv_free(&s->v[i].feats);
	}
	free(s->v);
	gr_strv_free(&s->groups);
	memset(s, 0, sizeof *s);
}

/* A token of the text form: no blanks, no controls. */
static int
token_ok(const char *t)
{
	if (!*t)
		return 0;
	for (; *t; t++)
		if ((unsigned char)*t <= ' ' || *t == 0x7f)
			return 0;
	return 1;
}

gr_status
gr_exset_write(const gr_exset *s, FILE *fp, const char *comment)
{
	if (comment)
		fprintf(fp, "%s", comment);
	for (size_t i = 0; i < s->n; i++) {
		const gr_example *e = &s->v[i];

		fprintf(fp, "example %s %s %s", s->groups.v[e->group],
		        gr_class_name(e->label),
		        token_ok(e->id) ? e->id : "-");
		if (e->forced >= 0)
			fprintf(fp, " forced=%s",
			        gr_class_name((gr_class)e->forced));
		if (e->excluded) {
			const char *sep = " excluded=";

			for (int c = 0; c < K; c++)
				if (e->excluded & (1u << c)) {
					fprintf(fp, "%s%s", sep,
					        gr_class_name((gr_class)c));
					sep = ",";
				}
		}
		for (size_t j = 0; j < e->feats.n; j++)
			if (token_ok(e->feats.v[j]))
				fprintf(fp, " %s", e->feats.v[j]);
		fputc('\n', fp);
	}
	return ferror(fp) ? GR_E_IO : GR_OK;
}

static int
class_list(char *v, unsigned *bits)
{
	char *save = NULL;

	for (char *t = strtok_r(v, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		gr_class c;

		if (gr_class_from_name(t, &c) != 0)
			return -1;
		*bits |= 1u << c;
	}
	return 0;
}

gr_status
gr_exset_read(gr_exset *s, const char *path, gr_error *err)
{
	char *data, *save = NULL;
	unsigned lineno = 0;
	gr_status st;

	st = gr_read_file(path, 64u << 20, &data, NULL, err);
	if (st != GR_OK)
		return st;
	for (char *line = strtok_r(data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *tsave = NULL, *t, *grp, *cls, *id;
		gr_strv feats = { 0 };
		unsigned excluded = 0;
		int forced = -1;
		gr_class label;
		long g;

		lineno++;
		line = gr_str_trim(line);
		if (!*line || *line == '#')
			continue;
		t = strtok_r(line, " \t", &tsave);
		grp = strtok_r(NULL, " \t", &tsave);
		cls = strtok_r(NULL, " \t", &tsave);
		id = strtok_r(NULL, " \t", &tsave);
		if (!t || strcmp(t, "example") != 0 || !grp || !cls || !id ||
		    gr_class_from_name(cls, &label) != 0) {
			st = gr_error_set(err, GR_E_CONFIG, "%s:%u: want "
			                  "'example GROUP CLASS ID FEATURE...'",
			                  path, lineno);
			break;
		}
		while ((t = strtok_r(NULL, " \t", &tsave)) != NULL) {
			gr_class fc;

			if (strncmp(t, "forced=", 7) == 0) {
				if (gr_class_from_name(t + 7, &fc) != 0)
					break;
				forced = (int)fc;
			} else if (strncmp(t, "excluded=", 9) == 0) {
				if (class_list(t + 9, &excluded) != 0)
					break;
			} else if (gr_strv_push(&feats, t) != GR_OK) {
				break;
			}
		}
		if (t) {
			gr_strv_free(&feats);
			st = gr_error_set(err, GR_E_CONFIG, "%s:%u: bad item "
			                  "'%s'", path, lineno, t);
			break;
		}
		g = gr_exset_group(s, grp);
		st = g < 0 ? GR_E_NOMEM : gr_exset_add(s, id, (size_t)g,
		                                       label, forced,
		                                       excluded, &feats);
		gr_strv_free(&feats);
		if (st != GR_OK) {
			gr_error_set(err, st, "%s: out of memory", path);
			break;
		}
	}
	free(data);
	return st;
}

/* --- fitting ------------------------------------------------------------ */

/* The training problem in compact form. */
typedef struct problem {
	size_t n, d;            /* examples, features */
	size_t *off;            /* n + 1 offsets into idx */
	size_t *idx;            /* feature indices of each example */
	int *y;
	double *lam;            /* per feature */
	double lam_bias;
	double *z;              /* scratch: n * K */
} problem;

static int
is_word(const char *name)
{
	return strncmp(name, "word:", 5) == 0;
}

/* Features of the training examples (words in enough groups). */
static gr_status
build_vocab(const gr_exset *s, long leave_out, unsigned min_groups,
            gr_model *m)
{
	gr_strmap seen = { 0 };
	unsigned char *groups = NULL;   /* per candidate: groups bitmap */
	size_t ncand = 0, gbytes = (s->groups.n + 7) / 8;
	gr_strv cand = { 0 };
	gr_status st = GR_OK;

	if (gbytes == 0)
		gbytes = 1;
	for (size_t i = 0; i < s->n && st == GR_OK; i++) {
		const gr_example *e = &s->v[i];

		if ((long)e->group == leave_out)
			continue;
		for (size_t j = 0; j < e->feats.n && st == GR_OK; j++) {
			long k = gr_strmap_get(&seen, e->feats.v[j]);

			if (k < 0) {
				unsigned char *ng = realloc(groups,
				                            (ncand + 1) * gbytes);

				if (!ng) {
					st = GR_E_NOMEM;
					break;
				}
				groups = ng;
				memset(groups + ncand * gbytes, 0, gbytes);
				st = gr_strmap_put(&seen, e->feats.v[j], ncand);
				if (st == GR_OK)
					st = gr_strv_push(&cand, e->feats.v[j]);
				k = (long)ncand++;
			}
			if (st == GR_OK)
				groups[(size_t)k * gbytes + e->group / 8] |=
					(unsigned char)(1u << (e->group % 8));
		}
	}
	for (size_t k = 0; k < ncand && st == GR_OK; k++) {
		unsigned ng = 0;

		for (size_t b = 0; b < gbytes; b++)
			for (unsigned char v = groups[k * gbytes + b]; v;
			     v &= (unsigned char)(v - 1))
				ng++;
		if (is_word(cand.v[k]) && ng < min_groups)
			continue;
		st = gr_strmap_put(&m->index, cand.v[k], m->names.n);
		if (st == GR_OK)
			st = gr_strv_push(&m->names, cand.v[k]);
	}
	gr_strmap_free(&seen);
	gr_strv_free(&cand);
	free(groups);
	return st;
}

static gr_status
build_problem(const gr_exset *s, long leave_out, const gr_train_opts *o,
              const gr_model *m, problem *p)
{
	size_t nnz = 0, k = 0;

	memset(p, 0, sizeof *p);
	p->d = m->names.n;
	for (size_t i = 0; i < s->n; i++)
		if ((long)s->v[i].group != leave_out) {
			p->n++;
			nnz += s->v[i].feats.n;
		}
	p->off = calloc(p->n + 1, sizeof *p->off);
	p->idx = calloc(nnz ? nnz : 1, sizeof *p->idx);
	p->y = calloc(p->n ? p->n : 1, sizeof *p->y);
	p->lam = calloc(p->d ? p->d : 1, sizeof *p->lam);
	p->z = calloc((p->n ? p->n : 1) * K, sizeof *p->z);
	if (!p->off || !p->idx || !p->y || !p->lam || !p->z)
		return GR_E_NOMEM;
	nnz = 0;
	for (size_t i = 0; i < s->n; i++) {
		const gr_example *e = &s->v[i];

		if ((long)e->group == leave_out)
			continue;
		p->off[k] = nnz;
		p->y[k] = (int)e->label;
		for (size_t j = 0; j < e->feats.n; j++) {
			long f = gr_strmap_get(&m->index, e->feats.v[j]);
			int dup = 0;

			if (f < 0)
				continue;
			for (size_t q = p->off[k]; q < nnz && !dup; q++)
				dup = p->idx[q] == (size_t)f;
			if (!dup)
				p->idx[nnz++] = (size_t)f;
		}
		k++;
	}
	p->off[p->n] = nnz;
	for (size_t f = 0; f < p->d; f++)
		p->lam[f] = is_word(m->names.v[f]) ? o->lambda_words :
		            o->lambda;
	p->lam_bias = o->lambda_bias;
	return GR_OK;
}

static void
problem_free(problem *p)
{
	free(p->off);
	free(p->idx);
	free(p->y);
	free(p->lam);
	free(p->z);
}

/* Objective and gradient at x (d*K weights, then K biases). */
static double
objective(problem *p, const double *x, double *g)
{
	const double *b = x + p->d * K;
	double f = 0;
	size_t np = (p->d + 1) * K;

	memset(g, 0, np * sizeof *g);
	for (size_t i = 0; i < p->n; i++) {
		double *z = p->z + i * K, mx, sum = 0;

		for (int c = 0; c < K; c++)
			z[c] = b[c];
		for (size_t q = p->off[i]; q < p->off[i + 1]; q++)
			for (int c = 0; c < K; c++)
				z[c] += x[p->idx[q] * K + (size_t)c];
		mx = z[0];
		for (int c = 1; c < K; c++)
			if (z[c] > mx)
				mx = z[c];
		for (int c = 0; c < K; c++)
			sum += exp(z[c] - mx);
		f += log(sum) + mx - z[p->y[i]];
		for (int c = 0; c < K; c++) {
			double r = exp(z[c] - mx) / sum - (c == p->y[i]);

			g[p->d * K + (size_t)c] += r;
			for (size_t q = p->off[i]; q < p->off[i + 1]; q++)
				g[p->idx[q] * K + (size_t)c] += r;
		}
	}
	for (size_t j = 0; j < p->d; j++)
		for (int c = 0; c < K; c++) {
			double w = x[j * K + (size_t)c];

			f += p->lam[j] * w * w;
			g[j * K + (size_t)c] += 2 * p->lam[j] * w;
		}
	for (int c = 0; c < K; c++) {
		f += p->lam_bias * b[c] * b[c];
		g[p->d * K + (size_t)c] += 2 * p->lam_bias * b[c];
	}
	return f;
}

static double
dot(const double *a, const double *b, size_t n)
{
	double s = 0;

	for (size_t i = 0; i < n; i++)
		s += a[i] * b[i];
	return s;
}

/* Minimise the objective from x = 0 by L-BFGS. */
static gr_status
lbfgs(problem *p, unsigned max_iter, double *x, double *fout,
      unsigned *iters)
{
	size_t np = (p->d + 1) * K;
	double *g = calloc(np, sizeof *g), *gn = calloc(np, sizeof *gn),
	       *d = calloc(np, sizeof *d), *xn = calloc(np, sizeof *xn),
	       *s = calloc(np * LBFGS_M, sizeof *s),
	       *y = calloc(np * LBFGS_M, sizeof *y),
	       rho[LBFGS_M], alpha[LBFGS_M], f, fn = 0;
	size_t nhist = 0, head = 0;
	unsigned it;

	if (!g || !gn || !d || !xn || !s || !y) {
		free(g); free(gn); free(d); free(xn); free(s); free(y);
		return GR_E_NOMEM;
	}
	memset(x, 0, np * sizeof *x);
	f = objective(p, x, g);
	for (it = 0; it < max_iter; it++) {
		double gd, t, gmax = 0;

		for (size_t i = 0; i < np; i++)
			if (fabs(g[i]) > gmax)
				gmax = fabs(g[i]);
		if (gmax < 1e-6)
			break;
		/* two-loop recursion: d = -H g */
		for (size_t i = 0; i < np; i++)
			d[i] = -g[i];
		for (size_t k = 0; k < nhist; k++) {
			size_t j = (head + LBFGS_M - 1 - k) % LBFGS_M;

			alpha[j] = rho[j] * dot(s + j * np, d, np);
			for (size_t i = 0; i < np; i++)
				d[i] -= alpha[j] * y[j * np + i];
		}
		if (nhist > 0) {
			size_t j = (head + LBFGS_M - 1) % LBFGS_M;
			double gamma = dot(s + j * np, y + j * np, np) /
			               dot(y + j * np, y + j * np, np);

			for (size_t i = 0; i < np; i++)
				d[i] *= gamma;
		}
		for (size_t k = nhist; k-- > 0;) {
			size_t j = (head + LBFGS_M - 1 - k) % LBFGS_M;
			double beta = rho[j] * dot(y + j * np, d, np);

			for (size_t i = 0; i < np; i++)
				d[i] += s[j * np + i] * (alpha[j] - beta);
		}
		gd = dot(g, d, np);
		if (gd >= 0) {          /* not a descent direction: restart */
			for (size_t i = 0; i < np; i++)
				d[i] = -g[i];
			gd = dot(g, d, np);
			nhist = 0;
		}
		t = nhist == 0 && it == 0 ? 1.0 / gmax : 1.0;
		for (int ls = 0; ls < 40; ls++) {
			for (size_t i = 0; i < np; i++)
				xn[i] = x[i] + t * d[i];
			fn = objective(p, xn, gn);
			if (fn <= f + 1e-4 * t * gd)
				break;
			t *= 0.5;
		}
		if (!(fn <= f + 1e-4 * t * gd))
			break;          /* no progress possible */
		{
			double *sj = s + head * np, *yj = y + head * np, sy;

			for (size_t i = 0; i < np; i++) {
				sj[i] = xn[i] - x[i];
				yj[i] = gn[i] - g[i];
			}
			sy = dot(sj, yj, np);
			if (sy > 1e-12) {
				rho[head] = 1.0 / sy;
				head = (head + 1) % LBFGS_M;
				if (nhist < LBFGS_M)
					nhist++;
			}
		}
		memcpy(x, xn, np * sizeof *x);
		memcpy(g, gn, np * sizeof *g);
		if (f - fn < 1e-10 * (1 + fabs(fn))) {
			f = fn;
			it++;
			break;
		}
		f = fn;
	}
	*fout = f;
	*iters = it;
	free(g); free(gn); free(d); free(xn); free(s); free(y);
	return GR_OK;
}

gr_status
gr_train_fit(const gr_exset *s, long leave_out, const gr_train_opts *o,
             gr_model *m, gr_error *err)
{
	problem p;
	double *x = NULL;
	gr_status st;

	memset(m, 0, sizeof *m);
	st = build_vocab(s, leave_out, o->min_groups, m);
	if (st == GR_OK)
		st = build_problem(s, leave_out, o, m, &p);
	else
		memset(&p, 0, sizeof p);
	if (st == GR_OK && p.n == 0)
		st = gr_error_set(err, GR_E_CONFIG, "train: no examples to "
		                  "fit");
	if (st == GR_OK && !(x = calloc((p.d + 1) * K, sizeof *x)))
		st = GR_E_NOMEM;
	if (st == GR_OK)
		st = lbfgs(&p, o->max_iter, x, &m->loss, &m->iters);
	if (st == GR_OK) {
		m->w = calloc(p.d ? p.d * K : 1, sizeof *m->w);
		if (!m->w)
			st = GR_E_NOMEM;
		else {
			memcpy(m->w, x, p.d * K * sizeof *x);
			memcpy(m->bias, x + p.d * K, K * sizeof *x);
			m->n_examples = p.n;
		}
	}
	free(x);
	problem_free(&p);
	if (st == GR_E_NOMEM)
		gr_error_set(err, st, "train: out of memory");
	if (st != GR_OK)
		gr_model_free(m);
	return st;
}

void
gr_model_free(gr_model *m)
{
	gr_strv_free(&m->names);
	gr_strmap_free(&m->index);
	free(m->w);
	memset(m, 0, sizeof *m);
}

gr_class
gr_model_pick(const double scores[GR_CLASS_COUNT], unsigned excluded)
{
	gr_class best = GR_CLASS_OTHER;
	int have = 0;

	for (int i = 0; i < K; i++) {
		gr_class c = tie_order[i];

		if (excluded & (1u << c))
			continue;
		if (!have || scores[c] > scores[best]) {
			best = c;
			have = 1;
		}
	}
	return best;
}

gr_class
gr_model_predict(const gr_model *m, const gr_example *e, gr_hand_score hand,
                 void *aux, double scores[GR_CLASS_COUNT])
{
	memcpy(scores, m->bias, sizeof m->bias);
	for (size_t j = 0; j < e->feats.n; j++) {
		long f = gr_strmap_get(&m->index, e->feats.v[j]);
		const double *w = NULL;

		if (f >= 0)
			w = m->w + (size_t)f * K;
		else if (hand && strncmp(e->feats.v[j], "rule:", 5) == 0)
			w = hand(aux, e->feats.v[j] + 5);
		for (int c = 0; w && c < K; c++)
			scores[c] += w[c];
	}
	if (e->forced >= 0)
		return (gr_class)e->forced;
	return gr_model_pick(scores, e->excluded);
}

gr_status
gr_model_write(const gr_model *m, FILE *fp, const char *comment)
{
	if (comment)
		fprintf(fp, "%s", comment);
	fprintf(fp, "classes");
	for (int c = 0; c < K; c++)
		fprintf(fp, " %s", gr_class_name((gr_class)c));
	fprintf(fp, "\nbias");
	for (int c = 0; c < K; c++)
		fprintf(fp, " %.4f", m->bias[c]);
	fputc('\n', fp);
	for (size_t j = 0; j < m->names.n; j++) {
		const char *n = m->names.v[j], *colon = strchr(n, ':');
		int nonzero = 0;

		for (int c = 0; c < K; c++)
			nonzero |= fabs(m->w[j * K + (size_t)c]) >= 5e-5;
		if (!colon || !nonzero || !token_ok(n))
			continue;
		fprintf(fp, "%.*s %s", (int)(colon - n), n, colon + 1);
		for (int c = 0; c < K; c++)
			fprintf(fp, " %.4f", m->w[j * K + (size_t)c]);
		fputc('\n', fp);
	}
	return ferror(fp) ? GR_E_IO : GR_OK;
}

void
gr_scores_compute(long cm[GR_CLASS_COUNT][GR_CLASS_COUNT], gr_scores *out)
{
	double sum = 0;
	int np = 0;

	memset(out, 0, sizeof *out);
	for (int k = 0; k < K; k++) {
		long tp = cm[k][k], fp = 0, fn = 0;
		double p, r;

		for (int j = 0; j < K; j++) {
			out->total += cm[k][j];
			if (j == k)
				continue;
			fp += cm[j][k];
			fn += cm[k][j];
		}
		out->right += tp;
		out->support[k] = tp + fn;
		if (tp + fn == 0 && fp == 0)
			continue;
		p = tp + fp ? (double)tp / (double)(tp + fp) : 0;
		r = tp + fn ? (double)tp / (double)(tp + fn) : 0;
		out->precision[k] = p;
		out->recall[k] = r;
		out->f1[k] = p + r > 0 ? 2 * p * r / (p + r) : 0;
		out->present[k] = 1;
		sum += out->f1[k];
		np++;
	}
	out->macro_f1 = np ? sum / np : 0;
}
