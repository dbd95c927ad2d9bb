/* SPDX-License-Identifier: MIT */
/*
 * rules.h - the owner's rules directory: profile, services, partners,
 * scored classification rules, phrase lists, overrides and known contacts.
 * The language is documented in gravity-rules(5).
 *
 * Layering: gr_rules_load() takes several directories, lowest priority first
 * (the installed defaults, then the user's).  A file in a later directory
 * replaces the file of the same relative name in an earlier one; files with
 * new names extend the set.  So a user overrides "profile" or one ".rules"
 * file without copying the rest.
 *
 * Ownership: everything reachable from a gr_rules is owned by it.
 */
#ifndef GRAVITY_RULES_H
#define GRAVITY_RULES_H

#include <stddef.h>
#include "gravity/status.h"
#include "gravity/conf.h"
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

/* Opening hours of one weekday, minutes after local midnight. */
typedef struct gr_hours {
	int open;               /* -1: closed all day */
	int close;
} gr_hours;

typedef struct gr_profile {
	char *name;             /* "Maya Torres" */
	char *org;              /* may be NULL */
	gr_strv emails;         /* lowercased; first is the From of drafts */
	char *timezone;         /* IANA name, e.g. "America/Los_Angeles" */
	gr_hours week[7];       /* [0] = Sunday ... [6] = Saturday */
	gr_strv holidays;       /* "YYYY-MM-DD" */
	char *signature;        /* text appended to drafts; may be NULL */
} gr_profile;

typedef struct gr_service {
	char *key;              /* "mortgage" */
	char *label;            /* "Mortgages, pre-approval, refinancing" */
	int offered;            /* 1: the owner offers it; 0: refers it out */
} gr_service;

typedef struct gr_partner {
	char *name;             /* "Luis Romero" */
	char *org;              /* may be NULL */
	char *email;            /* lowercased */
	gr_strv services;       /* service keys this partner serves */
} gr_partner;

typedef struct gr_rules gr_rules;

/* Load and compile every file of the layered directories.  Problems are
 * added to diags (FILE:LINE:COL); returns GR_E_CONFIG if any is an error,
 * in which case *out is NULL.  *out owned by caller. */
gr_status gr_rules_load(const char *const *dirs, size_t ndirs,
                        gr_rules **out, gr_diags *diags);
void gr_rules_free(gr_rules *r);

const gr_profile *gr_rules_profile(const gr_rules *r);
size_t gr_rules_n_services(const gr_rules *r);
const gr_service *gr_rules_service(const gr_rules *r, size_t i);
const gr_service *gr_rules_service_by_key(const gr_rules *r, const char *key);
size_t gr_rules_n_partners(const gr_rules *r);
const gr_partner *gr_rules_partner(const gr_rules *r, size_t i);
/* First partner serving the service key, or NULL. */
const gr_partner *gr_rules_partner_for(const gr_rules *r, const char *key);

/* Path of the winning file with that relative name (e.g. "actions",
 * "templates/inquiry.txt") in the layered directories, or NULL.  Owned by r. */
const char *gr_rules_file(const gr_rules *r, const char *relname);

/* 1 if addr is one of the owner's addresses. */
int gr_rules_is_owner(const gr_rules *r, const char *addr);

/* 1 if addr is listed in the "contacts" file. */
int gr_rules_is_contact(const gr_rules *r, const char *addr);

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

#endif
