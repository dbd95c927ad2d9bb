/* SPDX-License-Identifier: MIT */
/*
 * tone.h - the tone lint of draft templates and reminder summaries.
 *
 * The "tone" file of a rules directory lists pushy phrases, one a line; a
 * user's tone file adds to the installed one (every layer is read, lowest
 * first), and "remove PHRASE" takes a phrase of a lower layer out.
 * "lists NAME..." adds the phrases of the classifier's phrase lists (the
 * ones that find sales sequences and pitches), so that a reply never sounds
 * like the mail gravity files as a pitch.  "allow-caps WORD..." allows an
 * ALL-CAPS word.
 *
 * Matching ignores ASCII case and treats a blank, a run of blanks, a
 * hyphen and a line end as the same ("Limited-time" is "limited time"),
 * and every apostrophe (' ’ ‘ ʼ `) as the same; the word N matches any
 * number ("only N spots").  A template is flagged where it uses a listed
 * phrase, an ALL-CAPS word of three letters or more that is not allowed,
 * or "!!".  {{placeholders}} are not checked.
 */
#ifndef GRAVITY_TONE_H
#define GRAVITY_TONE_H

#include "gravity/conf.h"
#include "gravity/rules.h"
#include "gravity/util.h"

typedef struct gr_tone gr_tone;

/* Read every layer of r's "tone" file and the lists it names.  Problems go
 * to d.  *out owned by the caller; GR_E_NOMEM only. */
gr_status gr_tone_load(const gr_rules *r, gr_tone **out, gr_diags *d);
void gr_tone_free(gr_tone *t);

/* Check the template file at path: each finding is an error at its
 * FILE:LINE:COL; a listed phrase names where it was listed.  An unreadable
 * file is skipped (its loader says so). */
void gr_tone_check_file(const gr_tone *t, const char *path, gr_diags *d);

/* Check one line of text that sits at file:line:col (a reminder summary
 * of the actions file). */
void gr_tone_check_text(const gr_tone *t, const char *file, unsigned line,
                        unsigned col, const char *text, gr_diags *d);

#endif
