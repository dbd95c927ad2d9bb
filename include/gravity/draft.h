/* SPDX-License-Identifier: MIT */
/*
 * draft.h - reply drafts as RFC 5322 messages (.eml): UTF-8 text/plain in
 * quoted-printable, RFC 2047 encoded headers folded under 78 columns,
 * In-Reply-To and References set.  No byte of any field can start a new
 * header: CR, LF and NUL are removed from every header value.
 * Drafts are never sent.
 *
 * Files use CRLF line ends (the RFC 5322 form every mail client opens, and
 * the form the IMAP APPEND of a draft needs).  "X-Unsent: 1" makes Outlook
 * and Apple Mail open the file as a message to edit and send.  The Date is
 * written at the owner's UTC offset.  Bcc is kept in the draft: it is the
 * owner's client that removes it when the owner sends.
 */
#ifndef GRAVITY_DRAFT_H
#define GRAVITY_DRAFT_H

#include <time.h>
#include "gravity/status.h"
#include "gravity/message.h"

/* Strings and lists owned by the caller. */
typedef struct gr_draft {
	gr_addr from;
	gr_addrlist to;
	gr_addrlist cc;
	gr_addrlist bcc;
	const char *subject;
	const char *in_reply_to;        /* without <>; may be NULL */
	const gr_strv *references;      /* without <>; may be NULL */
	const char *message_id;         /* without <>; if NULL, gr_draft_id
	                                 * with a key of this process's */
	time_t date;
	int utc_offset_min;             /* the Date's zone, minutes east of UTC */
	int flowed;                     /* body is format=flowed (RFC 3676) */
	const char *body;               /* UTF-8 text */
} gr_draft;

/* The Message-ID (without <>) of the draft called name (what names its
 * outputs: the message's 16 hex digits and the action): "gravity.", 32 hex
 * digits of HMAC-SHA256 under key (GR_DRAFT_KEY_LEN bytes, the state's
 * secret, gr_state_draft_key) of name, and domain ("@example.com";
 * "@localhost" when NULL).  The same key and name give the same ID on
 * every run (a redo rewrites the same draft); without the key no one can
 * make it from the request, so an answer that refers to it is an answer
 * to the draft.  key NULL: one made at random once per process.
 * GR_E_NOMEM when out is too short, GR_E_IO when no random key can be
 * had. */
#define GR_DRAFT_KEY_LEN 32
gr_status gr_draft_id(const unsigned char *key, const char *name,
                      const char *domain, char *out, size_t outlen);

/* "Re: " + subject unless it already starts with Re:/RE:/Aw:/Sv: ...;
 * *out owned by caller. */
char *gr_reply_subject(const char *subject);

/* Render d.  *out owned by caller.  GR_E_PARSE (naming the field) if an
 * address is not a plain addr-spec (see gr_addr_spec_valid). */
gr_status gr_draft_render(const gr_draft *d, char **out, gr_error *err);

/* text (UTF-8, "\n" line ends) with every line longer than width
 * characters broken at blanks into lines of at most width, as
 * format=flowed (RFC 3676) writes them: each soft-broken line ends with a
 * blank, a quoted line's "> " prefix is repeated on every piece, "-- "
 * and lines within width (quoted lines within 78) are kept as they are, a
 * word longer than width is not cut.  *out owned by caller; NULL only on ENOMEM. */
char *gr_draft_wrap(const char *text, size_t width);

/* 1 if addr is a dot-atom "local@domain" of printable ASCII without
 * blanks, quotes or RFC 5322 specials; 0 otherwise (NULL too). */
int gr_addr_spec_valid(const char *addr);

#endif
