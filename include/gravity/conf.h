/* SPDX-License-Identifier: MIT */
/*
 * conf.h - the line reader every plain-text rule, profile, policy and config
 * file goes through, and the FILE:LINE:COL diagnostics they report.
 *
 * Lexical rules shared by all gravity text files:
 *   - a line whose first non-blank character is '#' is a comment; so is the
 *     rest of a line after " #" (blank then '#') outside quotes and /regex/;
 *   - blank lines are skipped;
 *   - a line that starts with blanks continues the block opened by the last
 *     unindented line (the caller decides what that means; indent is given);
 *   - tokens are separated by blanks; "double quoted" tokens may hold blanks
 *     and \" \\ escapes; /regex/flags is one token, '/' inside escaped as \/.
 */
#ifndef GRAVITY_CONF_H
#define GRAVITY_CONF_H

#include <stdio.h>
#include "gravity/status.h"
#include "gravity/util.h"

/* One problem found in a file. */
typedef struct gr_diag {
	char *file;             /* owned */
	unsigned line;          /* 1-based; 0 when the whole file is meant */
	unsigned col;           /* 1-based; 0 when unknown */
	char *msg;              /* owned */
	int warning;            /* 1: a warning, does not fail a check */
} gr_diag;

typedef struct gr_diags {
	gr_diag *v;
	size_t n;
	size_t cap;
} gr_diags;

void gr_diag_add(gr_diags *d, const char *file, unsigned line, unsigned col,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void gr_diag_warn(gr_diags *d, const char *file, unsigned line, unsigned col,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Number of entries that are errors (not warnings). */
size_t gr_diags_errors(const gr_diags *d);
/* Print "FILE:LINE:COL: error: MSG" (or warning), one per line. */
void gr_diags_print(const gr_diags *d, FILE *fp);
void gr_diags_free(gr_diags *d);

/* A reader over one file (opaque). */
typedef struct gr_conf gr_conf;

/* Open path (read whole, at most 4 MiB).  *out owned by caller. */
gr_status gr_conf_open(const char *path, gr_conf **out, gr_error *err);
void gr_conf_close(gr_conf *c);

/* Next non-blank, non-comment line with trailing comment and blanks
 * removed.  *line is owned by the reader, valid until the next call.
 * *indent is the number of leading blank columns (tab = 1).  GR_DONE at end. */
gr_status gr_conf_next(gr_conf *c, const char **line, int *indent);

const char *gr_conf_path(const gr_conf *c);
unsigned gr_conf_lineno(const gr_conf *c);

/* A token of a line, with its column for diagnostics. */
typedef struct gr_tok {
	char *text;             /* owned; quotes removed, escapes resolved */
	unsigned col;           /* 1-based column in the original line */
	int quoted;             /* 1 if it was "quoted" */
	int regex;              /* 1 if it was /regex/flags: text is the pattern */
	char flags[8];          /* regex flags after the closing '/' */
} gr_tok;

typedef struct gr_toks {
	gr_tok *v;
	size_t n;
	size_t cap;
} gr_toks;

/* Split line into tokens.  On a lexical error (unclosed quote or regex)
 * adds a diagnostic for the reader's current line and returns GR_E_CONFIG. */
gr_status gr_conf_split(gr_conf *c, const char *line, gr_toks *out,
                        gr_diags *diags);
void gr_toks_free(gr_toks *t);
/* Drop the ',' that ends a token of a comma-separated list (a /regex/'s
 * flags or a bare word; a "quoted" token keeps its text). */
void gr_tok_strip_comma(gr_tok *t);

/* Add a diagnostic at the reader's current line. */
void gr_conf_error(gr_conf *c, gr_diags *d, unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
