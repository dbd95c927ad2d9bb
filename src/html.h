/* SPDX-License-Identifier: MIT */
/*
 * html.h - HTML to plain text, for the message module (private: only
 * message.c turns a text/html part into the message's text).
 *
 * The returned string is malloc'd, NUL-terminated and owned by the caller.
 */
#ifndef GRAVITY_HTML_H
#define GRAVITY_HTML_H

#include <stddef.h>

/* HTML (UTF-8) to plain text of at most max bytes.  Drops script, style,
 * head and comments; block elements end lines; <br> breaks a line; entities
 * are decoded; blockquote content is prefixed with "> " per level.  Sets
 * *truncated to 1 when the text was cut at max.  NULL only on ENOMEM. */
char *gr_html_to_text(const char *html, size_t len, size_t max,
                      int *truncated);

#endif
