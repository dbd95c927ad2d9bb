/* SPDX-License-Identifier: MIT */
/*
 * train.h - fit the classifier's weights from labelled examples and
 * measure how well they generalise (gravity-rules(5), WEIGHTS).
 *
 * The model is a multinomial logistic regression: each class c gets a score
 * bias[c] + the sum over the message's features f of w[f][c], and the class
 * with the highest score among those the safety rules and overrides allow
 * wins.  Features are named strings: "rule:NAME" (a scored rule held),
 * "fact:NAME" (a built-in fact about headers, addresses or the thread) and
 * "word:WORD" (a word of the subject or the new text).  Fitting minimises
 * the cross-entropy plus an L2 penalty (larger for words), by L-BFGS, from
 * all-zero weights: the result depends only on the examples and options.
 *
 * Examples come in groups (one group per owner's labelled set).  A word
 * becomes a feature only if it occurs in examples of at least min_groups
 * groups, so no one owner's vocabulary can carry the model.  Leave-one-
 * group-out fits on all groups but one and scores that one.
 *
 * Ownership: a gr_exset owns its examples and their strings; a gr_model
 * owns its names and numbers.
 */
#ifndef GRAVITY_TRAIN_H
#define GRAVITY_TRAIN_H

#include <stdio.h>
#include "gravity/rules.h"
#include "gravity/status.h"
#include "gravity/util.h"

typedef struct gr_example {
	char *id;               /* where it came from (a file name) */
	size_t group;           /* index into gr_exset.groups */
	gr_class label;
	int forced;             /* class the safety rules force, or -1 */
	unsigned excluded;      /* bit c set: class c is ruled out */
	gr_strv feats;          /* "rule:NAME", "fact:NAME", "word:WORD" */
} gr_example;

typedef struct gr_exset {
	gr_example *v;
	size_t n;
	gr_strv groups;         /* group names (owners) */
} gr_exset;

/* The group named name (added when new); -1 when out of memory. */
long gr_exset_group(gr_exset *s, const char *name);
/* Append an example (copies id and feats); GR_E_NOMEM. */
gr_status gr_exset_add(gr_exset *s, const char *id, size_t group,
                       gr_class label, int forced, unsigned excluded,
                       const gr_strv *feats);
void gr_exset_free(gr_exset *s);

/* Write s as text: one "example GROUP CLASS ID [forced=C] [excluded=C,..]
 * FEATURE..." line per example.  GR_E_IO. */
gr_status gr_exset_write(const gr_exset *s, FILE *fp, const char *comment);
/* Read lines written by gr_exset_write and add them to s.  Errors name
 * path:line. */
gr_status gr_exset_read(gr_exset *s, const char *path, gr_error *err);

typedef struct gr_train_opts {
	double lambda;          /* L2 weight of rule and fact features */
	double lambda_words;    /* L2 weight of word features */
	double lambda_bias;     /* L2 weight of the class biases */
	unsigned min_groups;    /* a word needs examples in this many groups */
	unsigned max_iter;      /* L-BFGS iterations */
} gr_train_opts;

/* The defaults (documented in gravity-rules(5)). */
void gr_train_opts_default(gr_train_opts *o);

typedef struct gr_model {
	gr_strv names;          /* feature names, in fitting order */
	double *w;              /* names.n rows of GR_CLASS_COUNT */
	double bias[GR_CLASS_COUNT];
	gr_strmap index;        /* name -> row */
	size_t n_examples;      /* fitted on */
	double loss;            /* final objective */
	unsigned iters;
} gr_model;

/* Fit on every example of s whose group is not leave_out (-1: all). */
gr_status gr_train_fit(const gr_exset *s, long leave_out,
                       const gr_train_opts *o, gr_model *out,
                       gr_error *err);
void gr_model_free(gr_model *m);

/* Hand-set score of a rule the model has no weight for (NULL if none):
 * a rule the training examples never saw keeps its "score" line. */
typedef const double *(*gr_hand_score)(void *aux, const char *rule);

/* The class with the highest score among those not excluded (bit c of
 * excluded set: class c ruled out); on equal scores automated, then
 * referral_intro, inquiry, out_of_scope, cold_pitch, other. */
gr_class gr_model_pick(const double scores[GR_CLASS_COUNT], unsigned excluded);

/* Class totals of e under m (hand supplies rules without a weight; may be
 * NULL), and the class picked, as gravity picks it. */
gr_class gr_model_predict(const gr_model *m, const gr_example *e,
                          gr_hand_score hand, void *aux,
                          double scores[GR_CLASS_COUNT]);

/* Write m as a weights file (gravity-rules(5)).  GR_E_IO. */
gr_status gr_model_write(const gr_model *m, FILE *fp, const char *comment);

/* Per-class and macro figures of a confusion matrix (rows: label,
 * columns: answer).  A class absent from both rows and answers is left
 * out of the macro-F1. */
typedef struct gr_scores {
	double precision[GR_CLASS_COUNT], recall[GR_CLASS_COUNT],
	       f1[GR_CLASS_COUNT];
	long support[GR_CLASS_COUNT];
	int present[GR_CLASS_COUNT];
	double macro_f1;
	long right, total;
} gr_scores;

void gr_scores_compute(long cm[GR_CLASS_COUNT][GR_CLASS_COUNT],
                       gr_scores *out);

#endif
