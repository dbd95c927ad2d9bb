/* SPDX-License-Identifier: MIT */
/*
 * scan.h - between pattern.c and scan.c: the literal strings a pattern's
 * matches must begin with or contain, and the one-pass scan of a text for
 * those of every pattern of a scanner (pattern.h, "Scanners").
 */
#ifndef GRAVITY_SCAN_H
#define GRAVITY_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include "gravity/pattern.h"

typedef struct gr_lits gr_lits;

/* What every match of the PCRE2 pattern pat (with gravity's flags) must
 * begin with or contain, or NULL when nothing useful is known (the
 * pattern is then always matched over the whole text). */
gr_lits *gr_lits_of(const char *pat, const char *flags);
void gr_lits_free(gr_lits *l);

/* Give the pattern pat with flags (may be NULL) a slot of sc, taking both
 * (read when sc is built): the slot, or -1 when out of memory or sc is
 * built already. */
long gr_scanner_add_src(gr_scanner *sc, char *pat, char *flags);
size_t gr_scanner_slots(const gr_scanner *sc);
/* 1 if the slot has prefixes or factors. */
int gr_scanner_slot_filtered(const gr_scanner *sc, size_t slot);
/* The states of a built scanner's automaton. */
size_t gr_scanner_states(const gr_scanner *sc);
/* 1 if the slot's prefixes (p) or factors (c) decide. */
int gr_scanner_slot_has(const gr_scanner *sc, size_t slot, int prefix);
int gr_scanner_built(const gr_scanner *sc);

/* Where a slot's prefixes start. */
typedef struct gr_scan_hit {
	size_t slot;
	size_t at;
} gr_scan_hit;

/* Where a scan stands: the automaton's state (a row offset), how many
 * symbols it read and where the last 32 began, and whether the last was
 * a blank. */
typedef struct gr_scan_state {
	size_t v, k;
	size_t ring[32];
	int ws;
} gr_scan_state;

/* Hits of one step kept for gr_scan_resume. */
#define GR_SCAN_TAIL 32

/* What one scan found, per slot of the scanner (arrays of
 * gr_scanner_slots(sc) entries, hbeg twice that and one more, kept by the
 * caller and grown by gr_scan_run). */
typedef struct gr_scan_out {
	size_t *first;          /* the byte where the first of the slot's
	                         * prefixes starts, (size_t)-1: none */
	unsigned char *seen;    /* 1 if one of its factors occurs */
	gr_scan_hit *hits;      /* every prefix's start, by slot and byte,
	                         * each once; then every factor's, the slot
	                         * counted from nslots */
	size_t nhits, hcap;
	size_t nraw[2];         /* prefix and factor hits found */
	int overflow;           /* too many prefixes to keep: their hits are
	                         * incomplete */
	int foverflow;          /* the same for the factors */
	size_t *hbeg;           /* slot k's hits: hits[hbeg[k] .. hbeg[k+1]),
	                         * its factors' from hbeg[nslots + k] */
	size_t nslots;          /* the arrays' size */
	gr_scan_hit *spare;     /* room for the sort (owned); after it, the
	                         * first nkept are the hits as found (by
	                         * slot, some twice) */
	size_t scap, nkept;
	/* for gr_scan_resume: the text's length, the state at its end, the
	 * hits of the last step when it was at the last byte */
	int resumable;
	size_t scanned;
	gr_scan_state at;
	gr_scan_hit tail[GR_SCAN_TAIL];
	size_t ntail;
	int tail_ok;
} gr_scan_out;

/* Scan len bytes of text once with a built sc into out (which it sizes).
 * GR_E_NOMEM leaves out unusable. */
gr_status gr_scan_run(const gr_scanner *sc, const char *text, size_t len,
                      gr_scan_out *out);
void gr_scan_out_free(gr_scan_out *out);

/* The scan of text (len bytes) by sc into out made from prev, a scan by
 * sc of its first prev->scanned bytes, going on from where prev stopped:
 * the same as gr_scan_run's.  *done is 0 (out untouched but for its
 * sizes) when prev cannot be gone on from: it was not kept for that (too
 * many hits), or its end is not on a character boundary of text.  prev
 * and out are not the same.  GR_E_NOMEM leaves out unusable. */
gr_status gr_scan_resume(const gr_scanner *sc, const gr_scan_out *prev,
                         const char *text, size_t len, gr_scan_out *out,
                         int *done);

/* 0 if slot's pattern cannot match s[a, a+n) copied out and matched
 * alone, as out, the scan of the whole of s (len bytes) by sc, shows: the
 * piece holds none of the strings every match must begin with or
 * contain.  1 if it may, or if the scan cannot tell (the piece has a word
 * character or a blank at its edges, or too many hits were found). */
int gr_scan_piece_may(const gr_scanner *sc, const gr_scan_out *out,
                      size_t slot, const char *s, size_t len, size_t a,
                      size_t n);

/* The symbol of code point c (see scan.c): for tests. */
unsigned gr_scan_symbol(uint32_t c);

#endif
