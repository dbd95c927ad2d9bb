/* SPDX-License-Identifier: MIT */
/*
 * extract.h - what a message says, read from the text its sender wrote
 * now (never the quoted reply or a forwarded message): the questions as
 * sentences, when they are free and what their timeline is, a budget,
 * phone numbers, places, whether they asked for a call or said there is no
 * rush, the name they signed with, and a clean excerpt without the
 * greeting, the sign-off, the signature or a web form's field labels.
 *
 * Drafts use it to answer what was asked and never ask again for what was
 * given; reminders lead with it.  Everything is cut from the sender's own
 * words: nothing is invented, and every string is bounded, single-line
 * (items of a list are one a line) and free of control characters.
 *
 * A leaf over message.h and lang.h.
 */
#ifndef GRAVITY_EXTRACT_H
#define GRAVITY_EXTRACT_H

#include "gravity/lang.h"
#include "gravity/message.h"
#include "gravity/status.h"
#include "gravity/util.h"

#define GR_EXTRACT_MAX_ITEMS    8       /* items of each list */
#define GR_EXTRACT_MAX_SENTENCE 400     /* bytes of one sentence */
#define GR_EXTRACT_MAX_EXCERPT  280     /* bytes of the excerpt */

typedef struct gr_extract {
	gr_lang lang;           /* GR_LANG_UNKNOWN when it cannot tell */
	int formal;             /* written formally (lang.h) */
	char *text;             /* the cleaned new text, paragraphs kept */
	gr_strv questions;      /* sentences that ask something, in order */
	gr_strv availability;   /* sentences on when they can talk or meet */
	gr_strv timing;         /* sentences on their timeline */
	gr_strv asks;           /* questions and availability, in order, once */
	char *budget;           /* "$525-575k", "around $480,000"; NULL */
	gr_strv phones;         /* as written, e.g. "(916) 555-0142" */
	gr_strv places;         /* "Curtis Park", "Elk Grove" */
	char *excerpt;          /* first sentences of text, bounded */
	char *signoff;          /* the name they signed with, or NULL */
	char *form_name;        /* a web form's Name/From field, or NULL */
	char *form_email;       /* a web form's Email field, or NULL */
	int web_form;           /* the text was a web form's fields */
	int wants_call;         /* asked to be called / for a call */
	int no_rush;            /* "no rush", "not in a hurry" */
	int later;              /* names a later season or year */
	int copy_asked;         /* asks to be copied ("please copy me") */
	int moved_to_bcc;       /* says it moved someone to Bcc */
} gr_extract;

/* Read m.  exclude_phones, when not NULL, is text (the owner's signature)
 * whose phone numbers are never the sender's.  On error nothing is left
 * allocated. */
gr_status gr_extract_message(const gr_message *m, const char *exclude_phones,
                             gr_extract *out);
void gr_extract_free(gr_extract *x);

/* The same reading of a plain text (tests, and messages without headers). */
gr_status gr_extract_text(const char *text, const char *signature,
                          const char *exclude_phones, gr_extract *out);

/* 1 if any phrase of the list occurs in text: ASCII case is ignored, a
 * match starts and ends at a word boundary, a blank matches any run of
 * blanks and line ends, and ' matches a curly apostrophe.  *which, when
 * not NULL, is set to the phrase found. */
int gr_extract_phrase_in(const char *text, const gr_strv *phrases,
                         const char **which);

/* 1 if line is a platform's boilerplate around a relayed message ("You
 * have a new lead!", "Reply to this email to respond", "Unsubscribe"),
 * never the person's own words. */
int gr_extract_boilerplate(const char *line);

/* What the receiving server said of m's authenticity (RFC 8601): 1 a DKIM
 * signature of the From domain, an SPF pass for it, or a DMARC pass; -1
 * results and none of those passed (mail that claims to be from the
 * owner, a partner or a contact is then a stranger's); 0 no result.
 * With ids (the profile's auth-serv-id), only the owner's servers' fields
 * count: the first Authentication-Results field whose authserv-id is one
 * of ids and the fields with one of ids right below it; fields of other
 * servers, and any further down (where a sender could have written
 * them), are ignored.  Without ids (NULL or empty), the first (topmost)
 * Authentication-Results field, whoever wrote it: a sender's own field
 * can then only make its own mail a stranger's. */
int gr_extract_auth(const gr_message *m, const gr_strv *ids);

/* Digits of a phone number with a leading + kept ("+4940555016",
 * "9165550142"), for tel: URIs.  out holds at least 24 bytes. */
void gr_extract_tel(const char *phone, char *out, size_t outlen);

#endif
