/* SPDX-License-Identifier: MIT */
/*
 * draft.h - reply drafts as RFC 5322 messages (.eml): UTF-8 text/plain in
 * quoted-printable, RFC 2047 encoded headers folded under 78 columns,
 * In-Reply-To and References set.  No byte of any field can start a new
 * header: CR, LF and NUL are removed from every header value.
 * Drafts are never sent.
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
	const char *message_id;         /* without <>; made up if NULL */
	time_t date;
	const char *body;               /* UTF-8 text */
} gr_draft;

/* "Re: " + subject unless it already starts with Re:/RE:/Aw:/Sv: ...;
 * *out owned by caller. */
char *gr_reply_subject(const char *subject);

/* Render d.  *out owned by caller. */
gr_status gr_draft_render(const gr_draft *d, char **out, gr_error *err);

#endif
