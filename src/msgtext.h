/* SPDX-License-Identifier: MIT */
/*
 * msgtext.h - private text helpers of the message module: UTF-8 repair,
 * windows-1252 decoding, HTML to text, and the split of a reply's text into
 * its new part, the quoted reply and the signature.
 *
 * Every returned string is malloc'd, NUL-terminated and owned by the caller.
 */
#ifndef GRAVITY_MSGTEXT_H
#define GRAVITY_MSGTEXT_H

#include <stddef.h>
#include "gravity/status.h"

/* Copy of [s, s+len) with every byte that is not part of a valid UTF-8
 * sequence (and every NUL) replaced by U+FFFD.  *outlen may be NULL. */
char *gr_utf8_sanitize(const char *s, size_t len, size_t *outlen);

/* windows-1252 (a superset of ISO-8859-1's printable range) to UTF-8.
 * Never fails except for memory. */
char *gr_cp1252_to_utf8(const char *s, size_t len, size_t *outlen);

/* Largest n' <= n such that [s, s+n') does not end inside a UTF-8
 * sequence. */
size_t gr_utf8_cut(const char *s, size_t n);

/* HTML (UTF-8) to plain text of at most max bytes.  Drops script, style,
 * head and comments; block elements end lines; <br> breaks a line; entities
 * are decoded; blockquote content is prefixed with "> " per level.  Sets
 * *truncated to 1 when the text was cut at max.  NULL only on ENOMEM. */
char *gr_html_to_text(const char *html, size_t len, size_t max,
                      int *truncated);

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
