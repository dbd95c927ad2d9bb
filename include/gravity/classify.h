/* SPDX-License-Identifier: MIT */
/*
 * classify.h - put a parsed message into exactly one class, and say why,
 * rule by rule.  Above rules.h, owner.h and message.h: it reads them, and
 * none of them knows it.
 */
#ifndef GRAVITY_CLASSIFY_H
#define GRAVITY_CLASSIFY_H

#include "gravity/message.h"
#include "gravity/rules.h"

/* One rule that fired. */
typedef struct gr_hit {
	const char *rule;                 /* owned by the rules */
	const char *desc;                 /* owned by the rules */
	const char *file;                 /* owned by the rules */
	unsigned line;
	double score[GR_CLASS_COUNT];     /* what it added to each class */
	char excerpt[GR_EXCERPT_SIZE];    /* text that matched ("" if none) */
} gr_hit;

/* What the classifier may ask of the world (all optional). */
typedef struct gr_classify_ctx {
	/* 1 if the owner has written to addr before (Sent folder, state). */
	int (*is_known)(void *aux, const char *addr);
	void *aux;
	/* 1: fill gr_verdict.features (for training). */
	int want_features;
} gr_classify_ctx;

/* A learned contribution besides the rules': the class biases, a fact
 * that holds, or a word of the subject or new text. */
typedef struct gr_contrib {
	char name[64];                    /* "bias", "fact:relay", "word:quote" */
	double score[GR_CLASS_COUNT];
} gr_contrib;

typedef struct gr_verdict {
	gr_class cls;
	double scores[GR_CLASS_COUNT];
	gr_hit *hits;                     /* owned; in firing order */
	size_t n_hits;
	char *override;                   /* owned; NULL unless an override
	                                   * decided: "overrides:3: sender
	                                   * a@b.c: always other" */
	const gr_service *service;        /* matched service (owned by rules) */
	const gr_partner *partner;        /* partner for it, or NULL */
	int sender_known;
	/* 1: a platform relays a person's own words (the fact "relay": a
	 * form, a marketplace lead, a social message) and the subject
	 * announces no event (the list event_notice): the plan answers the
	 * person, never the platform (plan.h). */
	int relay;
	gr_addr introducer;               /* referral_intro: owned copies; */
	gr_addr new_contact;              /* fields NULL when unknown */
	/* With learned weights (gravity-rules(5), WEIGHTS): scores are the
	 * model's totals; a hit's score is its learned weight (or its hand
	 * score for a rule the weights do not name), and contribs lists the
	 * biases, facts and words that have weights (owned). */
	int learned;
	gr_contrib *contribs;
	size_t n_contribs;
	/* The machine signs: a class they force (-1: none), and the classes
	 * they, the overrides and a known sender rule out (bit per class). */
	int forced;
	unsigned excluded;
	/* When ctx->want_features: every feature of the message, named as
	 * the weights file names them ("rule:X", "fact:X", "word:X"). */
	gr_strv features;
	/* What the rules cost: budget.cut when the message used up its time
	 * (GR_CLASSIFY_CPU_SECONDS) and was classified with the rules
	 * evaluated before. */
	gr_eval_budget budget;
} gr_verdict;

/* CPU time the rules may take over one message. */
#define GR_CLASSIFY_CPU_SECONDS 1.0

/* The words of a message the weights look at: the lowercased words (two
 * letters or more) of the subject and the first 4 KiB of the new text,
 * each once, in order of first appearance, as "word:WORD" in out. */
gr_status gr_classify_words(const gr_message *m, gr_strv *out);

/* Classify m.  *out is filled (free with gr_verdict_free). */
gr_status gr_classify(const gr_rules *r, const gr_message *m,
                      const gr_classify_ctx *ctx, gr_verdict *out,
                      gr_error *err);
void gr_verdict_free(gr_verdict *v);

#endif
