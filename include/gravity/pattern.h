/* SPDX-License-Identifier: MIT */
/*
 * pattern.h - text patterns: the /regex/ and plain phrases of the rule,
 * services and lists files, compiled once and matched under fixed limits.
 *
 * Patterns are PCRE2: UTF-8 with Unicode properties, caseless unless the
 * "c" flag, invalid UTF-8 in the subject tolerated (it never matches), JIT
 * compiled where the system allows it and interpreted otherwise.  A match
 * that would exceed the match or depth limit counts as no match, so one
 * hostile message cannot stall a poll.
 *
 * A plain phrase matches on word boundaries, caselessly; a run of blanks
 * matches any white space, an apostrophe ' and its typographic twins, a
 * hyphen is optional.  A list of phrases compiles to one pattern shaped
 * like a trie that matches exactly what the phrases match one by one.
 *
 * A leaf: depends on util and conf (for diagnostics) only.
 * Ownership: gr_pattern and gr_matcher values belong to their creator;
 * strings returned by gr_phrase_* and gr_matcher_group are the caller's.
 */
#ifndef GRAVITY_PATTERN_H
#define GRAVITY_PATTERN_H

#include <stddef.h>
#include "gravity/conf.h"
#include "gravity/status.h"
#include "gravity/util.h"

typedef struct gr_pattern gr_pattern;   /* one compiled pattern */
typedef struct gr_matcher gr_matcher;   /* scratch of one matcher: match
                                         * data, limits, last captures */

/* Compile pat with flags (i, c, s, m, x; NULL or "" for none).  On error
 * adds "bad regex /PAT/: WHY at offset N" (or the bad flag) to d at
 * file:line:col and returns NULL; d may be NULL. */
gr_pattern *gr_pattern_compile(gr_diags *d, const char *file, unsigned line,
                               unsigned col, const char *pat,
                               const char *flags);
/* Same, at the reader's current line. */
gr_pattern *gr_pattern_compile_at(gr_conf *c, gr_diags *d, unsigned col,
                                  const char *pat, const char *flags);
/* One plain phrase (gr_phrase_pattern), at the reader's current line;
 * NULL without a diagnostic when out of memory. */
gr_pattern *gr_pattern_phrase_at(gr_conf *c, gr_diags *d, unsigned col,
                                 const char *phrase);
void gr_pattern_free(gr_pattern *p);

/* A matcher for one thread of work; NULL when out of memory. */
gr_matcher *gr_matcher_new(void);
void gr_matcher_free(gr_matcher *mm);

/* 1 if p matches s, 0 otherwise (also for a NULL p or s, and when a limit
 * is hit).  When so and eo are non-NULL they receive the byte span of the
 * leftmost match.  mm may be NULL for a one-off match (slower: it makes and
 * frees its own scratch). */
int gr_pattern_match(const gr_pattern *p, const char *s, gr_matcher *mm,
                     size_t *so, size_t *eo);
/* How many matches of mm stopped at the match or depth limit (they
 * counted as no match), since mm was made. */
unsigned long gr_matcher_limits(const gr_matcher *mm);
/* 1 if p hits the match or depth limit on one of a few built-in torture
 * subjects (long runs of letters, digits, blanks, words, that a last
 * character fails to finish): a pattern that backtracks without end on
 * hostile text.  Counted in mm's limits too. */
int gr_pattern_torture(const gr_pattern *p, gr_matcher *mm);
/* Capture group n of mm's last successful match on s (the same s), or NULL
 * when the group did not take part.  Caller frees. */
char *gr_matcher_group(const gr_matcher *mm, const char *s, unsigned n);

/* --- scanners ------------------------------------------------------------
 *
 * A scanner holds many patterns (the phrase lists and regexes of the rules,
 * the phrases of the owner's services) for one pass over a text: from each
 * pattern's source it knows literal strings every match must begin with or
 * contain (caseless, any run of blanks as one), and one automaton finds
 * those of all its patterns in one scan.  gr_pattern_match of a pattern of
 * a built scanner, with a matcher, scans the text once for all of them
 * (the matcher keeps the scans of its last few texts), and runs PCRE2 only
 * on a text where the pattern can match, from the first place where its
 * match can start.  The result is always the one PCRE2 alone gives over
 * the whole text: same match, same span.  A pattern of which nothing is
 * known (a back reference, the x flag, strings shorter than two letters)
 * is matched as before.
 */
typedef struct gr_scanner gr_scanner;

gr_scanner *gr_scanner_new(void);
/* Put p in sc (before sc is built).  0, or -1 when p is in a scanner
 * already or out of memory: p is then matched by PCRE2 alone, as is a
 * pattern of which the build finds nothing known.  sc must outlive every
 * match of p. */
int gr_scanner_add(gr_scanner *sc, gr_pattern *p);
/* Make the automaton of every pattern added (else the first match of one
 * of them does); GR_E_NOMEM (the patterns are then matched by PCRE2
 * alone). */
gr_status gr_scanner_build(gr_scanner *sc);
void gr_scanner_free(gr_scanner *sc);

/* Between pin and unpin the caller promises that a text pointer passed to
 * gr_pattern_match with mm names the same bytes each time (the texts are
 * neither changed nor freed), so its scan is found by the pointer alone.
 * Outside, a kept scan is used only for a text of the same bytes.  Pins
 * nest. */
void gr_matcher_pin(gr_matcher *mm);
void gr_matcher_unpin(gr_matcher *mm);
/* Leave the pinned span for matches of texts the pin does not cover (a
 * callee's own temporary strings), and come back with what pause gave. */
unsigned long gr_matcher_pause(gr_matcher *mm);
void gr_matcher_resume(gr_matcher *mm, unsigned long pin);

/* 0 if p cannot match the piece s[a, a+n) copied out as a string of its
 * own, as the scan of the whole of s (len bytes, kept by mm like those of
 * gr_pattern_match) shows; 1 if it may (then match the copy).  A piece
 * with a word character or a blank on either side, a pattern outside a
 * scanner, or too many hits in s always may. */
int gr_pattern_may_match_in(const gr_pattern *p, const char *s, size_t len,
                            size_t a, size_t n, gr_matcher *mm);
/* The first of the np patterns at ps that may match s[a, a+n) so (as
 * gr_pattern_may_match_in says), or np when none may. */
size_t gr_pattern_first_may_match_in(const gr_pattern *const *ps, size_t np,
                                     const char *s, size_t len, size_t a,
                                     size_t n, gr_matcher *mm);

/* The regex source of a plain phrase.  Caller frees; NULL when out of
 * memory. */
char *gr_phrase_pattern(const char *phrase);
/* The regex source of all phrases as one trie; NULL when out of memory or
 * when phrases holds no phrase.  Caller frees. */
char *gr_phrase_union(const gr_strv *phrases);

#endif
