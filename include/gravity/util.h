/* SPDX-License-Identifier: MIT */
/*
 * util.h - small string, vector and hashing helpers shared by every module.
 * All returned strings are malloc'd and owned by the caller unless stated.
 */
#ifndef GRAVITY_UTIL_H
#define GRAVITY_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include "gravity/status.h"

/* NULL-safe strdup/strndup; NULL on allocation failure or NULL input. */
char *gr_strdup(const char *s);
char *gr_strndup(const char *s, size_t n);

/* ASCII-only case helpers (locale independent). */
int gr_strcaseeq(const char *a, const char *b);          /* 1 if equal */
int gr_strncaseeq(const char *a, const char *b, size_t n);
const char *gr_strcasestr(const char *hay, const char *needle);
void gr_str_lower(char *s);
int gr_startswith_ci(const char *s, const char *prefix);

/* Trim ASCII whitespace in place; returns s advanced past leading blanks. */
char *gr_str_trim(char *s);

/* 1 if [s, s+n) is valid UTF-8. */
int gr_utf8_valid(const char *s, size_t n);

/* What gr_text_clean does with a line feed. */
enum { GR_NL_DROP = 0, GR_NL_BLANK, GR_NL_KEEP };

/* Copy s without C0 controls, DEL and invalid UTF-8 (tabs become blanks;
 * '\n' as nl says), at most max bytes, never cutting a character.
 * NULL s gives "".  Caller frees; NULL on allocation failure. */
char *gr_text_clean(const char *s, int nl, size_t max);

/* SHA-256 of data as 64 lowercase hex digits plus NUL. */
void gr_sha256_hex(const void *data, size_t len, char out[65]);

/* Growable vector of owned strings. */
typedef struct gr_strv {
	char **v;       /* owned strings, v[n] == NULL when n > 0 */
	size_t n;
	size_t cap;
} gr_strv;

gr_status gr_strv_push(gr_strv *sv, const char *s);     /* copies s */
gr_status gr_strv_push_owned(gr_strv *sv, char *s);     /* takes s */
int gr_strv_contains_ci(const gr_strv *sv, const char *s);
void gr_strv_free(gr_strv *sv);

/* Read a whole file, at most max bytes (GR_E_LIMIT beyond).  *out is
 * NUL-terminated and owned by the caller. */
gr_status gr_read_file(const char *path, size_t max, char **out, size_t *len,
                       gr_error *err);

#endif
