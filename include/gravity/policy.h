/* SPDX-License-Identifier: MIT */
/*
 * policy.h - the "actions" policy file of a rules directory: for each
 * class, the reminders and drafts to make ("remind NAME due WHEN ...",
 * "draft NAME to ROLE template NAME ..."), and the settings (reminders,
 * alarm, duration, introductions, quote, followup, keep-done).  The format
 * is documented at the top of rules/actions and in gravity-rules(5).
 * Loading also reads every template of templates/ and templates/LANG/
 * and lints them, and the reminder summaries, against the "tone" file
 * (tone.h); and the "care" file's lists of sensitive situations and
 * urgent needs.  plan.h turns a policy into outputs.
 *
 * A draft's template is chosen by context (gr_policy_template): the
 * message's language (templates/es/inquiry.txt), the service
 * (inquiry-selling.txt) and the situation (inquiry-sensitive.txt,
 * inquiry-partner.txt, inquiry-known.txt), falling back to the template
 * the actions line names.
 *
 * Ownership: everything reachable from a gr_policy is owned by it.
 */
#ifndef GRAVITY_POLICY_H
#define GRAVITY_POLICY_H

#include <stddef.h>
#include "gravity/bhours.h"
#include "gravity/conf.h"
#include "gravity/rules.h"
#include "gravity/template.h"

typedef struct gr_policy gr_policy;

/* Whom an action is about or addressed to. */
typedef enum gr_role {
	GR_ROLE_NONE = -1,
	GR_ROLE_SENDER = 0,
	GR_ROLE_NEW_CONTACT,
	GR_ROLE_INTRODUCER,
	GR_ROLE_PARTNER,
	GR_ROLE_COUNT
} gr_role;

/* Conditions of an action ("if partner known ..."); all must hold. */
enum {
	GR_IF_PARTNER    = 1 << 0,  /* the service has a partner */
	GR_IF_NO_PARTNER = 1 << 1,
	GR_IF_OPT_IN     = 1 << 2,  /* "introductions opt-in" (default) */
	GR_IF_DIRECT     = 1 << 3,  /* "introductions direct" */
	GR_IF_KNOWN      = 1 << 4,  /* the owner knows the sender */
	GR_IF_UNKNOWN    = 1 << 5,
};

/* One "remind" or "draft" line of an "on CLASS" block. */
typedef struct gr_action {
	int is_draft;
	char *action;           /* its name: "reply", "thank", ... */
	unsigned conds;         /* GR_IF_* bits, all must hold */
	gr_due due;             /* remind */
	gr_role who;            /* remind: whose name the summary gives */
	gr_template *summary;   /* remind: NULL for the default */
	gr_role to;             /* draft */
	unsigned cc, bcc;       /* draft: sets of 1 << gr_role */
	gr_template *tpl;       /* draft */
	char *tpl_name;         /* draft: the name the line gives, "inquiry.txt" */
	int quote;              /* draft: -1 default, 0 no, 1 yes */
} gr_action;

/* The settings lines of the file, with their defaults. */
typedef struct gr_policy_settings {
	int as_todo;            /* "reminders todo" (default event) */
	int alarm_min;          /* "alarm N" minutes before due (0: none) */
	int duration_min;       /* "duration N" of an event */
	int direct;             /* "introductions direct" (default opt-in) */
	int quote_lines;        /* "quote N" lines of the original (40) */
	gr_due fu_after;        /* "followup after WHEN" (5bd) */
	gr_due fu_later;        /* "followup later WHEN" (15bd): when the
	                         * other side said no rush or a later season */
	int fu_max;             /* "followup max N" (1; 0: never) */
	int keep_done;          /* "keep-done N" days (30) */
	gr_template *fu_tpl;    /* templates/followup.txt, or NULL */
	char lang[3];           /* "language" of templates/ itself ("en") */
	unsigned langs;         /* "languages": 1 << gr_lang answered in (all
	                         * six by default) */
} gr_policy_settings;

/* Read the policy and every template it names from r's layered
 * directories, and lint each template against the "tone" phrase list.
 * Problems go to diags as FILE:LINE:COL; GR_E_CONFIG if any is an error.
 * *out owned by caller. */
gr_status gr_policy_load(const gr_rules *r, gr_policy **out, gr_diags *diags);
void gr_policy_free(gr_policy *p);

/* The actions of class c in file order; *n gets their number.  Owned by
 * p. */
const gr_action *gr_policy_actions(const gr_policy *p, gr_class c, size_t *n);
/* Owned by p. */
const gr_policy_settings *gr_policy_get_settings(const gr_policy *p);

/* The template for a draft named name ("inquiry.txt") in language lang
 * (a two-letter code; NULL, "" or a language not answered in: templates/
 * itself), for the service key (may be NULL), in the first of the
 * situations (variants, most specific first: "sensitive", "partner",
 * "known") that has one: LANG/NAME-SERVICE-VARIANT, LANG/NAME-VARIANT,
 * LANG/NAME-SERVICE, LANG/NAME, then the same in templates/ itself.  NULL
 * when there is none.  *lang_used, when not NULL, gets the language of the
 * template found ("" for templates/ itself).  Owned by p. */
const gr_template *gr_policy_template(const gr_policy *p, const char *lang,
                                      const char *name, const char *service,
                                      const char *const *variants,
                                      size_t nvariants,
                                      const char **lang_used);

/* The "care" file's phrases: sensitive situations (bereavement, illness,
 * divorce...), urgent needs ("leaking", "this week"), an answer that
 * declines an introduction ("no thanks", "we found someone"), and what
 * offers a next step in the owner's own mail ("let me know", "I can
 * send").  Owned by p; empty when there is no care file. */
enum { GR_CARE_SENSITIVE, GR_CARE_URGENT, GR_CARE_DECLINE, GR_CARE_OFFER,
       GR_CARE_COUNT };
const gr_strv *gr_policy_care(const gr_policy *p, int which);

/* Follow-up policy: "followup after WHEN" and "followup max N";
 * "keep-done N": days a cancelled or completed reminder stays in the
 * combined feed. */
void gr_policy_followup(const gr_policy *p, gr_due *after, int *max);
int gr_policy_keep_done(const gr_policy *p);

#endif
