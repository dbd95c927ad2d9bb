/* SPDX-License-Identifier: MIT */
/*
 * rules.h - the rules directory: its layered files, the scored
 * classification rules with their phrase lists, the overrides, and the
 * owner's files (owner.h) it loads along.  The language is documented in
 * gravity-rules(5).
 *
 * Layering: gr_rules_load() takes several directories, lowest priority first
 * (the installed defaults, then the user's).  A file in a later directory
 * replaces the file of the same relative name in an earlier one; files with
 * new names extend the set.  So a user overrides "profile" or one ".rules"
 * file without copying the rest.
 *
 * The rules look at a message only through gr_facts (below), which the
 * classifier supplies: this module knows the language of the rule files,
 * not where the facts come from, and never calls the classifier.
 *
 * Ownership: everything reachable from a gr_rules is owned by it.
 */
#ifndef GRAVITY_RULES_H
#define GRAVITY_RULES_H

#include <stddef.h>
#include "gravity/status.h"
#include "gravity/conf.h"
#include "gravity/owner.h"
#include "gravity/pattern.h"
#include "gravity/util.h"

typedef enum gr_class {
	GR_CLASS_INQUIRY = 0,
	GR_CLASS_OUT_OF_SCOPE,
	GR_CLASS_REFERRAL_INTRO,
	GR_CLASS_COLD_PITCH,
	GR_CLASS_AUTOMATED,
	GR_CLASS_OTHER,
	GR_CLASS_COUNT
} gr_class;

/* "inquiry", "out_of_scope", ... ; never NULL. */
const char *gr_class_name(gr_class c);
/* 0 and *out set if name is a class name, else -1. */
int gr_class_from_name(const char *name, gr_class *out);

typedef struct gr_rules gr_rules;

/* Load and compile every file of the layered directories.  Problems are
 * added to diags (FILE:LINE:COL); returns GR_E_CONFIG if any is an error,
 * in which case *out is NULL.  *out owned by caller. */
gr_status gr_rules_load(const char *const *dirs, size_t ndirs,
                        gr_rules **out, gr_diags *diags);
void gr_rules_free(gr_rules *r);

/* The owner described by the profile, services, partners and contacts
 * files; never NULL.  Owned by r. */
const gr_owner *gr_rules_owner(const gr_rules *r);

/* Path of the winning file with that relative name (e.g. "actions",
 * "templates/inquiry.txt") in the layered directories, or NULL.  Owned by r. */
const char *gr_rules_file(const gr_rules *r, const char *relname);

/* The plain phrases (not the /regex/ entries) of the phrase list named
 * name, or NULL when there is no such list.  Owned by r. */
const gr_strv *gr_rules_list_plain(const gr_rules *r, const char *name);

/* The relative names of every file whose name starts with prefix
 * ("templates/"), in name order, appended to out. */
gr_status gr_rules_files_under(const gr_rules *r, const char *prefix,
                               gr_strv *out);

/* Every layer's file of that relative name, lowest layer (the installed
 * defaults) first and the winner last, at most max: for files that add
 * to the defaults instead of replacing them (tone).  Owned by r. */
size_t gr_rules_file_layers(const gr_rules *r, const char *relname,
                            const char **paths, size_t max);

/* The scored rules, for `gravity rules` listings and explain output. */
typedef struct gr_rule_info {
	const char *name;               /* all owned by the rules */
	const char *desc;
	const char *file;
	unsigned line;
	int scored;                     /* 0: a helper used by all/any */
	double score[GR_CLASS_COUNT];
} gr_rule_info;

size_t gr_rules_n_rules(const gr_rules *r);
/* 0 and *out filled for 0 <= i < gr_rules_n_rules(r), else -1. */
int gr_rules_rule_info(const gr_rules *r, size_t i, gr_rule_info *out);

/* Minimum total a class needs to win (else the class is "other"). */
double gr_rules_threshold(const gr_rules *r);

/* --- evaluation --------------------------------------------------------- */

/* Texts a condition can look at ("header NAME" goes through
 * gr_facts.header instead). */
typedef enum gr_field {
	GR_FIELD_SUBJECT, GR_FIELD_FROM, GR_FIELD_FROM_NAME,
	GR_FIELD_FROM_DOMAIN, GR_FIELD_TO, GR_FIELD_CC, GR_FIELD_REPLY_TO,
	GR_FIELD_BODY, GR_FIELD_QUOTED, GR_FIELD_SIGNATURE, GR_FIELD_TEXT,
	GR_FIELD_HEADER, GR_FIELD_COUNT
} gr_field;

/* Numbers a comparison can look at. */
typedef enum gr_num {
	GR_NUM_RECIPIENTS, GR_NUM_TO, GR_NUM_CC, GR_NUM_ATTACHMENTS,
	GR_NUM_OFFERED, GR_NUM_REFERRED, GR_NUM_BODY_WORDS, GR_NUM_COUNT
} gr_num;

/* Yes/no facts about a message (gravity-rules(5), FACTS).  Each is also a
 * feature of the learned weights ("fact:NAME"). */
typedef enum gr_pred {
	GR_PRED_SENDER_KNOWN, GR_PRED_SENDER_PARTNER, GR_PRED_OWNER_IN_TO,
	GR_PRED_OWNER_IN_CC, GR_PRED_OTHER_PERSON, GR_PRED_HAS_ATTACHMENT,
	GR_PRED_HTML_ONLY, GR_PRED_IS_REPLY, GR_PRED_IS_FORWARD,
	GR_PRED_IS_REPORT, GR_PRED_AUTOMATED, GR_PRED_SERVICE_OFFERED,
	GR_PRED_SERVICE_REFERRED, GR_PRED_OWNER_QUOTED,
	/* headers and addresses */
	GR_PRED_LIST_UNSUBSCRIBE, GR_PRED_MAILING_LIST, GR_PRED_BULK_MAIL,
	GR_PRED_AUTO_SUBMITTED, GR_PRED_FEEDBACK_ID, GR_PRED_FROM_MACHINE,
	GR_PRED_FROM_VIA, GR_PRED_FROM_OWNER_DOMAIN, GR_PRED_REPLY_TO_OTHER,
	GR_PRED_CALENDAR, GR_PRED_RELAY,
	/* thread */
	GR_PRED_SELF_QUOTED, GR_PRED_OTHER_QUOTED, GR_PRED_OWNER_NOT_ADDRESSED,
	GR_PRED_MANY_RECIPIENTS,
	/* text */
	GR_PRED_SHORT_TEXT, GR_PRED_LONG_TEXT, GR_PRED_OWNER_NAME_IN_SUBJECT,
	GR_PRED_OWNER_DOMAIN_MENTIONED,
	/* services */
	GR_PRED_SERVICES_BOTH, GR_PRED_ASK_OFFERED, GR_PRED_ASK_REFERRED,
	GR_PRED_SUBJECT_OFFERED, GR_PRED_OLD_THREAD, GR_PRED_REFERRER_NAMED,
	GR_PRED_SERVICE_UNNAMED,
	GR_PRED_COUNT
} gr_pred;

/* The name of p as the rule files write it ("sender-known"). */
const char *gr_pred_name(gr_pred p);

/* The message as the rules see it.  text, header and num may be asked
 * many times (keep them cheap), pred once per evaluation at most.
 * Strings stay the supplier's and valid until gr_rules_eval returns. */
typedef struct gr_facts {
	/* The text of field f (never GR_FIELD_HEADER); NULL reads as "". */
	const char *(*text)(void *aux, gr_field f);
	/* The value of the n-th header field (from 0) named name, compared
	 * without case; NULL after the last. */
	const char *(*header)(void *aux, const char *name, size_t n);
	double (*num)(void *aux, gr_num n);
	int (*pred)(void *aux, gr_pred p);
	void *aux;
} gr_facts;

/* Bytes of the excerpt handed to gr_rule_fired, NUL included. */
#define GR_EXCERPT_SIZE 96

/* Told of each scored rule that holds, in load order: the rule and the
 * first text it matched ("" if none; newlines made blanks, whole UTF-8
 * characters only), both valid during the call.  Anything but GR_OK
 * stops the evaluation with that status. */
typedef gr_status (*gr_rule_fired)(void *aux, const gr_rule_info *rule,
                                   const char *excerpt);

/* Evaluate every scored rule of r over the facts f, matching with mm.
 * GR_E_NOMEM, or what fired returned. */
gr_status gr_rules_eval(const gr_rules *r, const gr_facts *f, gr_matcher *mm,
                        gr_rule_fired fired, void *aux);

/* A header condition looks at the first GR_HEADER_INSTANCES fields of
 * that name only (a message with 28,000 "X-A" fields costs no more than
 * one with 64). */
#define GR_HEADER_INSTANCES 64

/* The cost bound of one evaluation, and what became of it. */
typedef struct gr_eval_budget {
	double cpu_seconds;     /* CPU time the evaluation may use; 0: none */
	/* set by the evaluation: */
	int cut;                /* 1: the time ran out */
	const char *cut_rule;   /* the scored rule being evaluated then (owned
	                         * by the rules); it and the rules after it
	                         * count as not holding */
	size_t rules_done;      /* scored rules evaluated before it */
	size_t rules_total;     /* scored rules */
	unsigned long limits;   /* pattern matches stopped by a match limit */
} gr_eval_budget;

/* gr_rules_eval within budget b (NULL: none): once the thread has used
 * b->cpu_seconds of CPU time since the call, no rule is evaluated
 * further; the rules that held before still fire. */
gr_status gr_rules_eval_within(const gr_rules *r, const gr_facts *f,
                               gr_matcher *mm, gr_eval_budget *b,
                               gr_rule_fired fired, void *aux);

/* Add a warning to d for each /regex/ of the rules and lists that hits
 * the match limit on a built-in torture subject (gr_pattern_torture):
 * such a pattern may cost each message its whole time budget. */
void gr_rules_lint_cost(const gr_rules *r, gr_diags *d);

/* 1 if the phrase list named name (all lang-*.rules files together)
 * matches s, 0 if not, -1 if no such list is defined. */
int gr_rules_list_match(const gr_rules *r, const char *name, const char *s,
                        gr_matcher *mm);
/* gr_rules_list_match of the piece s[a, a+n) of s (len bytes) as a
 * string of its own, without copying it out where the scan of the whole
 * of s shows that no pattern of the list can match it.  Between
 * gr_matcher_pin and unpin of mm, s must be a text of the pinned span
 * (found by its pointer). */
int gr_rules_list_match_in(const gr_rules *r, const char *name,
                           const char *s, size_t len, size_t a, size_t n,
                           gr_matcher *mm);

/* --- learned weights (gravity-rules(5), WEIGHTS) ------------------------ */

/* 1 if the rules directory has a "weights" file. */
int gr_rules_has_weights(const gr_rules *r);
/* The weights of a feature ("bias", "rule:NAME", "fact:NAME",
 * "word:WORD"): GR_CLASS_COUNT numbers in class order, or NULL when the
 * file gives none.  Owned by r. */
const double *gr_rules_weight(const gr_rules *r, const char *feature);

/* What the "overrides" file says about a sender. */
typedef struct gr_override_match {
	const char *always;     /* the deciding "always" line (sender lines
	                         * before domain lines) as "overrides:3:
	                         * sender a@b.c: always other", or NULL */
	gr_class always_cls;
	const char *never;      /* the first matching "never" line, or NULL */
	int excluded[GR_CLASS_COUNT];   /* 1: a "never" line rules it out */
} gr_override_match;

/* Match the overrides against a sender known by the addresses from and
 * reply (either may be NULL).  Strings in *out are owned by r. */
void gr_rules_overrides(const gr_rules *r, const char *from,
                        const char *reply, gr_override_match *out);

#endif
