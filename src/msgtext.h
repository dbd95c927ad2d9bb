/* SPDX-License-Identifier: MIT */
/*
 * msgtext.h - the split of a message's text into what the sender wrote
 * now, the quoted reply or forwarded message, and the signature; for the
 * message module (private: message.c fills gr_message's new_text, quoted
 * and signature with it).
 *
 * Every returned string is malloc'd, NUL-terminated and owned by the caller.
 */
#ifndef GRAVITY_MSGTEXT_H
#define GRAVITY_MSGTEXT_H

#include <stddef.h>
#include "gravity/status.h"

/* The three parts of a message's text. */
typedef struct gr_text_parts {
	char *new_text;         /* what the sender wrote now */
	char *quoted;           /* quoted reply or forwarded message, or "" */
	char *signature;        /* signature block, or "" */
	int forward;            /* a forwarded-message marker was seen */
} gr_text_parts;

/* Split text (UTF-8, NUL-terminated).  Fills *out; on error nothing is
 * left allocated.  Linear in the length of text. */
gr_status gr_text_split(const char *text, gr_text_parts *out);
void gr_text_parts_free(gr_text_parts *p);

#endif
