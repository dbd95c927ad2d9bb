/* SPDX-License-Identifier: MIT */
/*
 * owner.h - the owner of the mailbox as the rules directory describes them
 * (gravity-rules(5)): the "profile" (name, addresses, time zone, opening
 * hours, holidays, signature), the "services" offered or referred out (with
 * the phrases that name each), the "partners" services are referred to, and
 * the known "contacts".
 *
 * A leaf over pattern.h: it parses those four files (rules.c calls the
 * parsers for the files its layering picks) and answers questions about
 * them; it knows nothing of rules or classes.
 *
 * Ownership: everything reachable from a gr_owner is owned by it; the
 * pointers the queries return live as long as the gr_owner.
 */
#ifndef GRAVITY_OWNER_H
#define GRAVITY_OWNER_H

#include <stddef.h>
#include "gravity/conf.h"
#include "gravity/pattern.h"
#include "gravity/status.h"
#include "gravity/util.h"

/* Opening hours of one weekday, minutes after local midnight: the first
 * range, then the further ranges of the same day in time order ("hours
 * mon-fri 09:00-12:30,13:30-18:00", or a second hours line: a lunch
 * break). */
#define GR_HOURS_MAX 4
typedef struct gr_hours {
	int open;               /* -1: closed all day */
	int close;
	int n_more;             /* further ranges, 0 to GR_HOURS_MAX - 1 */
	struct { int open, close; } more[GR_HOURS_MAX - 1];
} gr_hours;

typedef struct gr_profile {
	char *name;             /* "Maya Torres" */
	char *org;              /* may be NULL */
	gr_strv emails;         /* lowercased; first is the From of drafts */
	char *timezone;         /* IANA name, e.g. "America/Los_Angeles" */
	gr_hours week[7];       /* [0] = Sunday ... [6] = Saturday */
	gr_strv holidays;       /* "YYYY-MM-DD" or "YYYY-MM-DD..YYYY-MM-DD" */
	char *signature;        /* text appended to drafts; may be NULL */
	gr_strv authserv_ids;   /* "auth-serv-id": the owner's receiving
	                         * servers' authserv-ids (RFC 8601), as
	                         * written; empty when not given */
} gr_profile;

typedef struct gr_service {
	char *key;              /* "mortgage" */
	char *label;            /* "Mortgages, pre-approval, refinancing" */
	int offered;            /* 1: the owner offers it; 0: refers it out */
	gr_strv say;            /* "say [LANG] TEXT" lines: "LANG\tTEXT", LANG
	                         * "" for the drafts' default language */
} gr_service;

typedef struct gr_partner {
	char *name;             /* "Luis Romero" */
	char *org;              /* may be NULL */
	char *email;            /* lowercased */
	char *phone;            /* as written, or NULL */
	gr_strv services;       /* service keys this partner serves */
} gr_partner;

typedef struct gr_owner gr_owner;

/* An owner with an empty profile (every day closed).  *out owned by the
 * caller; GR_E_NOMEM. */
gr_status gr_owner_new(gr_owner **out);
void gr_owner_free(gr_owner *o);

/* Parse one file into o; problems go to d at FILE:LINE:COL.  Partners are
 * checked against the services parsed before them, so parse "services"
 * first. */
void gr_owner_parse_profile(gr_owner *o, gr_conf *c, gr_diags *d);
void gr_owner_parse_services(gr_owner *o, gr_conf *c, gr_diags *d);
void gr_owner_parse_partners(gr_owner *o, gr_conf *c, gr_diags *d);
void gr_owner_parse_contacts(gr_owner *o, gr_conf *c, gr_diags *d);

const gr_profile *gr_owner_profile(const gr_owner *o);

/* 1 if a profile line "hours DAYS SPANS" would be taken ("mon-fri",
 * "09:00-12:30,13:30-18:00" or "closed"); for checking an answer before
 * it is written. */
int gr_owner_hours_ok(const char *days, const char *spans);
/* 1 if a profile line "timezone TZ" would be taken. */
int gr_owner_timezone_ok(const char *tz);
/* The zone someone who wrote tz most likely meant ("toronto",
 * "America/Toronot": America/Toronto), into buf; NULL when none is
 * close. */
const char *gr_owner_timezone_guess(const char *tz, char *buf, size_t len);

/* 1 if addr is one of the owner's own addresses. */
int gr_owner_is_owner(const gr_owner *o, const char *addr);
/* 1 if addr is listed in the "contacts" file. */
int gr_owner_is_contact(const gr_owner *o, const char *addr);

size_t gr_owner_n_services(const gr_owner *o);
/* 1 when no phrase of any service has a letter outside ASCII: as far as
 * can be told, the services name things in English only. */
int gr_owner_services_ascii(const gr_owner *o);
/* The i-th service in file order, or NULL past the end. */
const gr_service *gr_owner_service(const gr_owner *o, size_t i);
const gr_service *gr_owner_service_by_key(const gr_owner *o, const char *key);
/* How many of the i-th service's phrases match text (0 past the end).
 * Plain phrases are matched against folded, the same text with its
 * accents removed (gr_fold_accents), when it is given; an acronym in
 * capitals only in capitals; a last word may go on by a few letters
 * (gravity-rules(5), SERVICES). */
int gr_owner_service_hits(const gr_owner *o, size_t i, const char *text,
                          const char *folded, gr_matcher *mm);
/* The stems of the words of text (accents folded, lowercase, a plural s
 * dropped, cut to six bytes; no words under four letters, no stop words)
 * not in seen yet, appended to out and added to seen. */
gr_status gr_owner_stems(const char *text, gr_strv *out, gr_strmap *seen);
/* How many of each service's stems (of its label's and phrases' words,
 * but none a service of the other kind also has) the words of the texts
 * have (ntexts of them, NULL ones skipped; stems as gr_owner_stems makes
 * them), into counts (gr_owner_n_services(o) of them): a loose match that
 * does not hinge on the owner's exact wording.  GR_E_NOMEM leaves counts
 * 0. */
gr_status gr_owner_loose_counts(const gr_owner *o, const char *const *texts,
                                size_t ntexts, int *counts);
/* What the i-th service's first matching phrase matched (in folded, the
 * text with accents folded, for the phrases that match so; else in text),
 * into buf (cut to len - 1 bytes); 0 when none matches.  mm may be NULL. */
int gr_owner_service_excerpt(const gr_owner *o, size_t i, const char *text,
                             const char *folded, gr_matcher *mm, char *buf,
                             size_t len);

/* How the owner says the service in a sentence in language lang ("es"),
 * from its "say" lines: the line for lang, else (lang NULL or "") the line
 * without a language; NULL when there is none.  Owned by s. */
const char *gr_owner_service_say(const gr_service *s, const char *lang);

size_t gr_owner_n_partners(const gr_owner *o);
const gr_partner *gr_owner_partner(const gr_owner *o, size_t i);
/* First partner (with an address) serving the service key, or NULL. */
const gr_partner *gr_owner_partner_for(const gr_owner *o, const char *key);
/* The partner whose address is addr, or NULL. */
const gr_partner *gr_owner_partner_by_addr(const gr_owner *o,
                                           const char *addr);

#endif
