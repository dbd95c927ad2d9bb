/* SPDX-License-Identifier: MIT */
/*
 * util.h - small string, vector and hashing helpers shared by every module.
 * All returned strings are malloc'd and owned by the caller unless stated.
 */
#ifndef GRAVITY_UTIL_H
#define GRAVITY_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "gravity/status.h"

/* NULL-safe strdup/strndup; NULL on allocation failure or NULL input. */
char *gr_strdup(const char *s);
char *gr_strndup(const char *s, size_t n);

/* A path as users write it: a leading "~", "$HOME" or "${HOME}" (alone or
 * followed by '/') becomes $HOME; anything else is copied unchanged (also
 * when HOME is unset or empty).  NULL on allocation failure or NULL s. */
char *gr_expand_home(const char *s);

/* ASCII-only case helpers (locale independent). */
int gr_strcaseeq(const char *a, const char *b);          /* 1 if equal */
int gr_strncaseeq(const char *a, const char *b, size_t n);
const char *gr_strcasestr(const char *hay, const char *needle);
void gr_str_lower(char *s);
int gr_startswith_ci(const char *s, const char *prefix);

/* Trim ASCII whitespace in place; returns s advanced past leading blanks. */
char *gr_str_trim(char *s);

/* UTF-8 (RFC 3629), the one decoder of the program.  The character at s
 * (n bytes available): its length in bytes and, when cp is non-NULL, its
 * code point; 0 when s does not start with a valid sequence (overlong,
 * surrogate, past U+10FFFF, cut short) or n is 0.  NUL is a character. */
size_t gr_utf8_decode(const char *s, size_t n, uint32_t *cp);
/* 1 if [s, s+n) is valid UTF-8. */
int gr_utf8_valid(const char *s, size_t n);
/* Encode cp (at most U+10FFFF) into o, which has room for 4 bytes; the
 * number of bytes written. */
size_t gr_utf8_put(char *o, uint32_t cp);
/* Copy of [s, s+len) with every byte that is not part of a valid UTF-8
 * sequence (and every NUL) replaced by U+FFFD.  *outlen may be NULL.
 * Caller frees; NULL on allocation failure. */
char *gr_utf8_sanitize(const char *s, size_t len, size_t *outlen);
/* Largest n' <= n such that [s, s+n') does not end inside a UTF-8
 * sequence. */
size_t gr_utf8_cut(const char *s, size_t n);

/* What gr_text_clean does with a line feed. */
enum { GR_NL_DROP = 0, GR_NL_BLANK, GR_NL_KEEP };

/* Copy s without C0 controls, DEL and invalid UTF-8 (tabs become blanks;
 * '\n' as nl says), at most max bytes, never cutting a character.
 * NULL s gives "".  Caller frees; NULL on allocation failure. */
char *gr_text_clean(const char *s, int nl, size_t max);

/* A copy of s with the accented Latin letters of Latin-1 and Latin
 * Extended-A as their base letter ("tradução" -> "traducao", "Ł" -> "L");
 * other bytes unchanged.  Caller frees; NULL on allocation failure. */
char *gr_fold_accents(const char *s);
/* The same for the n bytes at s, into out (room for n bytes); the length
 * of the folded text (not terminated). */
size_t gr_fold_accents_n(const char *s, size_t n, char *out);

/* Terminal output.  Print one line to fp (the '\n' is added) from fmt,
 * with every control character (C0 with tab and line feed, DEL, C1),
 * bidirectional override and invalid UTF-8 byte shown as a blank, at most
 * GR_TERM_LINE_MAX bytes: text from a message, a rule file or the state
 * can neither forge lines nor drive the terminal.  Every line a command
 * prints that may hold such text goes through here. */
#define GR_TERM_LINE_MAX 65536
void gr_term_line(FILE *fp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void gr_term_vline(FILE *fp, const char *fmt, va_list ap);
/* A warning met while polling: "gravity: warning: ..." on stderr, one
 * clean line, and counted, the first kept, so that the poll's record (and
 * 'gravity status') says so; gr_warnings_reset() at the poll's start. */
void gr_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
size_t gr_warnings(const char **first);
void gr_warnings_reset(void);

/* SHA-256 of data as 64 lowercase hex digits plus NUL. */
void gr_sha256_hex(const void *data, size_t len, char out[65]);
/* HMAC-SHA256 of data under key, as 64 lowercase hex digits plus NUL. */
void gr_hmac_sha256_hex(const void *key, size_t klen, const void *data,
                        size_t len, char out[65]);
/* n bytes from the kernel's random source (getrandom(2)); 0, or -1 with
 * errno set. */
int gr_random_bytes(void *buf, size_t n);

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

/* A map from strings (owned copies) to numbers: open addressing, FNV-1a. */
typedef struct gr_strmap {
	char **keys;    /* cap slots, NULL when free */
	size_t *vals;
	size_t cap;
	size_t n;
} gr_strmap;

/* The number stored under key, or -1. */
long gr_strmap_get(const gr_strmap *m, const char *key);
/* Store val under key (replacing an earlier value). */
gr_status gr_strmap_put(gr_strmap *m, const char *key, size_t val);
void gr_strmap_free(gr_strmap *m);

/* Read a whole file, at most max bytes (GR_E_LIMIT beyond).  *out is
 * NUL-terminated and owned by the caller. */
gr_status gr_read_file(const char *path, size_t max, char **out, size_t *len,
                       gr_error *err);

#endif
